//! Recursive descent over the bytes of a `.conf` file. Every error names the place it
//! was found; nesting is bounded so that no file can overflow the stack.

use crate::{
    Attribute, Branch, Cond, Config, Error, Item, Plugin, Pos, Section, SectionKind, Value,
};

/// How deep values, branches and plugins may nest.
const MAX_DEPTH: usize = 200;

struct P<'a> {
    src: &'a str,
    b: &'a [u8],
    at: usize,
    /// Byte offsets where lines start.
    lines: Vec<usize>,
    depth: usize,
}

/// Parses a whole `.conf` file.
pub fn parse(src: &str) -> Result<Config, Error> {
    let mut lines = vec![0];
    lines.extend(src.match_indices('\n').map(|(i, _)| i + 1));
    let mut p = P {
        src,
        b: src.as_bytes(),
        at: 0,
        lines,
        depth: 0,
    };
    p.config()
}

fn is_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn is_bare(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl<'a> P<'a> {
    fn pos_of(&self, offset: usize) -> Pos {
        let line = self.lines.partition_point(|&s| s <= offset);
        let start = self.lines[line - 1];
        let column = self.src[start..offset.min(self.src.len())].chars().count() + 1;
        Pos {
            line,
            column,
            offset,
        }
    }

    fn pos(&self) -> Pos {
        self.pos_of(self.at)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, Error> {
        self.err_at(self.at, message)
    }

    fn err_at<T>(&self, at: usize, message: impl Into<String>) -> Result<T, Error> {
        Err(Error {
            pos: self.pos_of(at),
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    /// What is here, for error messages.
    fn found(&self) -> String {
        match self.src[self.at..].chars().next() {
            None => "the end of the file".into(),
            Some(c) if c.is_whitespace() => "whitespace".into(),
            Some(_) => {
                let word: String = self.src[self.at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .take(20)
                    .collect();
                format!("`{word}`")
            }
        }
    }

    /// Whitespace and comments; true when anything was skipped.
    fn ws(&mut self) -> bool {
        let start = self.at;
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.at += 1;
            } else if c == b'#' {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.at += 1;
                }
            } else {
                break;
            }
        }
        self.at > start
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.src[self.at..].starts_with(s) {
            self.at += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str, what: &str) -> Result<(), Error> {
        if self.eat(s) {
            Ok(())
        } else {
            self.err(format!("expected `{s}` {what}, found {}", self.found()))
        }
    }

    fn deeper(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(format!("nested more than {MAX_DEPTH} deep"));
        }
        Ok(())
    }

    /// A word of `pred` characters (possibly empty).
    fn word(&mut self, pred: fn(u8) -> bool) -> &'a str {
        let start = self.at;
        while self.peek().is_some_and(pred) {
            self.at += 1;
        }
        &self.src[start..self.at]
    }

    fn config(&mut self) -> Result<Config, Error> {
        let mut c = Config::default();
        self.ws();
        while self.at < self.b.len() {
            let start = self.at;
            let kind = match self.word(is_name) {
                "input" => SectionKind::Input,
                "filter" => SectionKind::Filter,
                "output" => SectionKind::Output,
                _ => {
                    self.at = start;
                    return self.err(format!(
                        "expected `input`, `filter` or `output`, found {}",
                        self.found()
                    ));
                }
            };
            let pos = self.pos_of(start);
            self.ws();
            self.expect("{", &format!("to open the {} section", kind.as_str()))?;
            let items = self.items(&format!("the {} section", kind.as_str()))?;
            c.sections.push(Section { kind, pos, items });
            self.ws();
        }
        Ok(c)
    }

    /// Plugins and branches up to and including the closing `}`.
    fn items(&mut self, of: &str) -> Result<Vec<Item>, Error> {
        self.deeper()?;
        let open = self.at - 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                None => {
                    let p = self.pos_of(open);
                    return self.err(format!(
                        "{of} opened at line {}, column {} is not closed with `}}`",
                        p.line, p.column
                    ));
                }
                Some(b'}') => {
                    self.at += 1;
                    break;
                }
                _ => {}
            }
            let start = self.at;
            let name = self.word(is_name);
            if name == "if" && !self.peek().is_some_and(is_name) {
                items.push(Item::Branch(self.branch()?));
                continue;
            }
            if name == "else" {
                self.at = start;
                return self.err("`else` without an `if` before it");
            }
            self.at = start;
            items.push(Item::Plugin(self.plugin()?));
        }
        self.depth -= 1;
        Ok(items)
    }

    /// A plugin's or attribute's name: a word, or a quoted string.
    fn name(&mut self, what: &str) -> Result<(String, Pos), Error> {
        let pos = self.pos();
        if matches!(self.peek(), Some(b'"' | b'\'')) {
            return Ok((self.string()?, pos));
        }
        let w = self.word(is_name);
        if w.is_empty() {
            return self.err(format!("expected {what}, found {}", self.found()));
        }
        Ok((w.to_owned(), pos))
    }

    fn plugin(&mut self) -> Result<Plugin, Error> {
        let (name, pos) = self.name("a plugin name")?;
        self.ws();
        self.expect("{", &format!("after the plugin name `{name}`"))?;
        self.deeper()?;
        let mut attributes = Vec::new();
        loop {
            self.ws();
            if self.eat("}") {
                break;
            }
            if self.peek().is_none() {
                return self.err(format!(
                    "plugin `{name}` (line {}) is not closed with `}}`",
                    pos.line
                ));
            }
            let (aname, apos) = self.name("an attribute name or `}`")?;
            self.ws();
            self.expect("=>", &format!("after the attribute name `{aname}`"))?;
            self.ws();
            let value = self.value()?;
            attributes.push(Attribute {
                name: aname,
                pos: apos,
                value,
            });
        }
        self.depth -= 1;
        Ok(Plugin {
            name,
            pos,
            attributes,
        })
    }

    fn value(&mut self) -> Result<Value, Error> {
        match self.peek() {
            Some(b'"' | b'\'') => Ok(Value::String(self.string()?)),
            Some(b'[') => self.array(),
            Some(b'{') => self.hash(),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.at;
                let w = self.word(is_name);
                let after = self.at;
                self.ws();
                if self.peek() == Some(b'{') {
                    // `codec => json { charset => "UTF-8" }`
                    self.at = start;
                    return Ok(Value::Plugin(self.plugin()?));
                }
                self.at = after;
                if w.len() < 2 || !w.bytes().all(is_bare) {
                    return self.err_at(
                        start,
                        format!("`{w}` is not a value: quote it (a bare word has two or more letters, digits or `_`)"),
                    );
                }
                Ok(Value::Bareword(w.to_owned()))
            }
            _ => self.err(format!(
                "expected a value (a string, number, bare word, array or hash), found {}",
                self.found()
            )),
        }
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.at;
        self.eat("-");
        let int = self.word(|c| c.is_ascii_digit());
        if int.is_empty() {
            return self.err_at(start, "expected a number after `-`");
        }
        if self.eat(".") {
            self.word(|c| c.is_ascii_digit());
        }
        if self.peek().is_some_and(is_name) {
            let w = self.src[start..]
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or("");
            return self.err_at(
                start,
                format!("`{w}` is not a number: quote it, as in \"{w}\""),
            );
        }
        Ok(Value::Number(self.src[start..self.at].to_owned()))
    }

    /// A quoted string's text (the quotes off, escapes as written).
    fn string(&mut self) -> Result<String, Error> {
        let start = self.at;
        let q = self.b[self.at];
        self.at += 1;
        let body = self.at;
        while let Some(c) = self.peek() {
            if c == b'\\' {
                self.at += 2;
                continue;
            }
            if c == q {
                let s = self.src[body..self.at].to_owned();
                self.at += 1;
                return Ok(s);
            }
            self.at += 1;
        }
        self.at = self.b.len();
        self.err_at(start, "this string is not closed")
    }

    fn array(&mut self) -> Result<Value, Error> {
        let open = self.at;
        self.at += 1;
        self.deeper()?;
        let mut items = Vec::new();
        self.ws();
        if !self.eat("]") {
            loop {
                self.ws();
                items.push(self.value()?);
                self.ws();
                if self.eat("]") {
                    break;
                }
                if self.peek().is_none() {
                    return self.err_at(open, "this array is not closed with `]`");
                }
                self.expect(",", "between array elements (or `]` to close it)")?;
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    fn hash(&mut self) -> Result<Value, Error> {
        let open = self.at;
        self.at += 1;
        self.deeper()?;
        let mut entries = Vec::new();
        loop {
            self.ws();
            if self.eat("}") {
                break;
            }
            if self.peek().is_none() {
                return self.err_at(open, "this hash is not closed with `}`");
            }
            let pos = self.pos();
            let key = match self.peek() {
                Some(b'"' | b'\'') => self.string()?,
                Some(c) if c == b'-' || c.is_ascii_digit() => match self.number()? {
                    Value::Number(n) => n,
                    _ => unreachable!("number() returns numbers"),
                },
                _ => {
                    let w = self.word(is_name);
                    if w.is_empty() {
                        return self.err(format!(
                            "expected a hash key or `}}`, found {}",
                            self.found()
                        ));
                    }
                    w.to_owned()
                }
            };
            self.ws();
            self.expect("=>", &format!("after the hash key `{key}`"))?;
            self.ws();
            let value = self.value()?;
            entries.push((key, pos, value));
            self.ws();
            self.eat(",");
        }
        self.depth -= 1;
        Ok(Value::Hash(entries))
    }

    /// After `if`: the condition, the block, and any `else if` / `else`.
    fn branch(&mut self) -> Result<Branch, Error> {
        self.deeper()?;
        let mut cases = Vec::new();
        let mut otherwise = None;
        let cond = self.cond()?;
        let items = self.items("this `if` block")?;
        cases.push((cond, items));
        loop {
            let save = self.at;
            self.ws();
            let start = self.at;
            if self.word(is_name) != "else" {
                self.at = save;
                break;
            }
            self.ws();
            let at_if = self.at;
            if self.word(is_name) == "if" {
                let cond = self.cond()?;
                let items = self.items("this `else if` block")?;
                cases.push((cond, items));
                continue;
            }
            self.at = at_if;
            if !self.eat("{") {
                return self.err_at(
                    start,
                    format!("expected `{{` or `if` after `else`, found {}", self.found()),
                );
            }
            otherwise = Some(self.items("this `else` block")?);
            break;
        }
        self.depth -= 1;
        Ok(Branch { cases, otherwise })
    }

    /// A condition's text, up to the `{` that opens its block (strings, regexes and
    /// brackets may hold a `{`); comments in it become spaces.
    fn cond(&mut self) -> Result<Cond, Error> {
        self.ws();
        let pos = self.pos();
        let mut text = String::new();
        // The source offset of each character of `text`, for error positions.
        let mut offsets: Vec<usize> = Vec::new();
        // Inside `[ ]` (a field reference or a list) `/` and `#` are plain characters.
        let mut depth = 0usize;
        let copy =
            |text: &mut String, offsets: &mut Vec<usize>, src: &str, from: usize, to: usize| {
                for (i, ch) in src[from..to].char_indices() {
                    text.push(if ch.is_whitespace() { ' ' } else { ch });
                    offsets.push(from + i);
                }
            };
        loop {
            let Some(c) = self.peek() else {
                return self.err_at(pos.offset, "this condition has no `{` after it");
            };
            let start = self.at;
            match c {
                b'{' if depth == 0 => break,
                b'"' | b'\'' => {
                    self.string()?;
                }
                // A regex literal (the language has no division).
                b'/' if depth == 0 => {
                    self.at += 1;
                    loop {
                        match self.peek() {
                            None => {
                                return self.err_at(
                                    start,
                                    "this regular expression is not closed with `/`",
                                )
                            }
                            Some(b'\\') => self.at += 2,
                            Some(b'/') => {
                                self.at += 1;
                                break;
                            }
                            Some(_) => self.at += 1,
                        }
                    }
                }
                b'#' if depth == 0 => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.at += 1;
                    }
                    text.push(' ');
                    offsets.push(start);
                    continue;
                }
                _ => {
                    if c == b'[' {
                        depth += 1;
                    } else if c == b']' {
                        depth = depth.saturating_sub(1);
                    }
                    self.at += self.src[self.at..].chars().next().map_or(1, char::len_utf8);
                }
            }
            copy(&mut text, &mut offsets, self.src, start, self.at);
        }
        let lead = text.len() - text.trim_start().len();
        let text = text.trim().to_owned();
        if text.is_empty() {
            return self.err_at(pos.offset, "expected a condition after `if`");
        }
        // The condition language is sluice's (the same as a TOML `if`): its errors are
        // syntax errors here, at their place in the file.
        if let Err(e) = sluice_parse::condition::Condition::parse(&text) {
            let i = lead + e.column.saturating_sub(1);
            let at = offsets.get(i).copied().unwrap_or(self.at);
            return self.err_at(at, format!("in this condition: {}", e.message));
        }
        self.at += 1; // the `{`
        Ok(Cond { text, pos })
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
