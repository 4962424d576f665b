//! `key=value` pairs as Logstash's kv filter reads them. Pure.

use std::borrow::Cow;

/// A separator: any one of some characters, or a match of a regular expression
/// (`field_split_pattern`, `value_split_pattern`).
#[derive(Clone, Debug)]
pub enum Split {
    /// Any of these characters separates.
    Chars(Vec<char>),
    /// Matches of this regex separate.
    Pattern(regex::Regex),
}

impl Split {
    /// Any one of the characters of `chars`.
    pub fn chars(chars: &str) -> Self {
        Split::Chars(chars.chars().collect())
    }

    /// The first separator in `s`, as a byte range. A pattern's empty matches do not
    /// count (they would separate nothing and never advance).
    fn find(&self, s: &str) -> Option<(usize, usize)> {
        match self {
            Split::Chars(cs) => s
                .char_indices()
                .find(|(_, c)| cs.contains(c))
                .map(|(i, c)| (i, i + c.len_utf8())),
            Split::Pattern(re) => re
                .find_iter(s)
                .find(|m| !m.is_empty())
                .map(|m| (m.start(), m.end())),
        }
    }

    /// `s` without the separators it starts with.
    fn skip<'a>(&self, mut s: &'a str) -> &'a str {
        match self {
            Split::Chars(cs) => s.trim_start_matches(|c| cs.contains(&c)),
            Split::Pattern(re) => {
                while let Some(m) = re.find(s).filter(|m| m.start() == 0 && !m.is_empty()) {
                    s = &s[m.end()..];
                }
                s
            }
        }
    }
}

/// The first value separator or field separator in `s`, whichever comes first (a value
/// separator on a tie): its byte range, and whether it separates a value. Two sets of
/// characters are searched in one pass; this runs once per pair.
fn first_separator(value: &Split, field: &Split, s: &str) -> Option<(usize, usize, bool)> {
    if let (Split::Chars(v), Split::Chars(f)) = (value, field) {
        return s.char_indices().find_map(|(i, c)| {
            let is_value = v.contains(&c);
            (is_value || f.contains(&c)).then(|| (i, i + c.len_utf8(), is_value))
        });
    }
    match (value.find(s), field.find(s)) {
        (Some(v), Some(f)) if f.0 < v.0 => Some((f.0, f.1, false)),
        (Some(v), _) => Some((v.0, v.1, true)),
        (None, Some(f)) => Some((f.0, f.1, false)),
        (None, None) => None,
    }
}

/// How pairs are split, as in Logstash: `field_split` separates pairs and `value_split`
/// separates a key from its value.
#[derive(Clone, Debug)]
pub struct KvOptions {
    /// What separates pairs.
    pub field_split: Split,
    /// What separates a key from its value.
    pub value_split: Split,
    /// Characters trimmed from both ends of keys and of values.
    pub trim_key: Vec<char>,
    /// Characters trimmed from both ends of a value.
    pub trim_value: Vec<char>,
    /// Characters removed anywhere in keys and in values.
    pub remove_char_key: Vec<char>,
    /// Characters removed anywhere in a value.
    pub remove_char_value: Vec<char>,
    /// Keep `key=` with an empty value (Logstash's default: no).
    pub allow_empty_values: bool,
}

impl Default for KvOptions {
    fn default() -> Self {
        KvOptions {
            field_split: Split::chars(" "),
            value_split: Split::chars("="),
            trim_key: Vec::new(),
            trim_value: Vec::new(),
            remove_char_key: Vec::new(),
            remove_char_value: Vec::new(),
            allow_empty_values: false,
        }
    }
}

/// One `key=value` pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair<'a> {
    /// The key.
    pub key: Cow<'a, str>,
    /// The value.
    pub value: Cow<'a, str>,
    /// The value was wrapped in `()`, `[]` or `<>` (candidates for `recursive`).
    pub bracketed: bool,
}

fn closing(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '\'' => Some('\''),
        '(' => Some(')'),
        '[' => Some(']'),
        '<' => Some('>'),
        _ => None,
    }
}

/// `s` trimmed of `trim` at both ends and without any of `remove`.
fn clean<'a>(s: &'a str, trim: &[char], remove: &[char]) -> Cow<'a, str> {
    let s = s.trim_matches(|c| trim.contains(&c));
    if !remove.is_empty() && s.contains(|c| remove.contains(&c)) {
        Cow::Owned(s.chars().filter(|c| !remove.contains(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// The pairs of `text`, in order. A value may be quoted with `"`, `'`, `()`, `[]` or `<>`
/// to contain separators; the quotes are removed. Tokens without a value separator and
/// empty keys are skipped, and so are empty values unless allowed.
pub fn parse<'a>(text: &'a str, o: &KvOptions) -> Vec<Pair<'a>> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = o.field_split.skip(rest);
        if rest.is_empty() {
            break;
        }
        // The key runs to a value separator; a field separator first means no pair.
        let Some((kend, sep_end, is_pair)) = first_separator(&o.value_split, &o.field_split, rest)
        else {
            break;
        };
        let key = &rest[..kend];
        rest = &rest[sep_end..];
        if !is_pair {
            continue;
        }
        let value;
        let mut bracketed = false;
        let first = rest.chars().next();
        match first.and_then(|c| closing(c).map(|close| (c, close))) {
            Some((open, close)) if rest[open.len_utf8()..].contains(close) => {
                let inner = &rest[open.len_utf8()..];
                let end = inner.find(close).unwrap_or(inner.len());
                value = &inner[..end];
                rest = &inner[end + close.len_utf8()..];
                bracketed = open != close;
            }
            _ => {
                let end = o
                    .field_split
                    .find(rest)
                    .map_or(rest.len(), |(start, _)| start);
                value = &rest[..end];
                rest = &rest[end..];
            }
        }
        let key = clean(key, &o.trim_key, &o.remove_char_key);
        let value = clean(value, &o.trim_value, &o.remove_char_value);
        if !key.is_empty() && (o.allow_empty_values || !value.is_empty()) {
            out.push(Pair {
                key,
                value,
                bracketed,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str, o: &KvOptions) -> Vec<(String, String)> {
        parse(text, o)
            .into_iter()
            .map(|p| (p.key.into_owned(), p.value.into_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_quoted_and_bracketed() {
        let line =
            r#"user=bob  msg="hello world" ip=10.0.0.1 flag path=[/a b] x='y z' empty= tail"#;
        // Logstash skips empty values by default.
        assert!(!kv(line, &KvOptions::default())
            .iter()
            .any(|(k, _)| k == "empty"));
        let o = KvOptions {
            allow_empty_values: true,
            ..KvOptions::default()
        };
        assert_eq!(
            kv(line, &o),
            pairs(&[
                ("user", "bob"),
                ("msg", "hello world"),
                ("ip", "10.0.0.1"),
                ("path", "/a b"),
                ("x", "y z"),
                ("empty", "")
            ])
        );
    }

    #[test]
    fn custom_separators_and_trimming() {
        let o = KvOptions {
            field_split: Split::chars("&;"),
            value_split: Split::chars("=:"),
            trim_key: vec![' '],
            trim_value: vec![' ', ','],
            ..KvOptions::default()
        };
        assert_eq!(
            kv("a=1&b:2; c = 3, &=nokey&d", &o),
            pairs(&[("a", "1"), ("b", "2"), ("c", "3")])
        );
        // An unclosed quote is part of the value.
        assert_eq!(
            kv("q=\"open", &KvOptions::default()),
            pairs(&[("q", "\"open")])
        );
    }

    #[test]
    fn removed_characters_and_bracket_flags() {
        let o = KvOptions {
            remove_char_key: vec!['<', '>'],
            remove_char_value: vec!['"'],
            ..KvOptions::default()
        };
        let got = parse(r#"<a>=x"y" b=(c=1 d=2) q="quoted""#, &o);
        assert_eq!(got[0].key, "a");
        assert_eq!(got[0].value, "xy");
        assert!(!got[0].bracketed);
        assert_eq!(
            (got[1].key.as_ref(), got[1].value.as_ref(), got[1].bracketed),
            ("b", "c=1 d=2", true)
        );
        assert_eq!((got[2].value.as_ref(), got[2].bracketed), ("quoted", false));
    }

    #[test]
    fn split_patterns() {
        let o = KvOptions {
            field_split: Split::Pattern(regex::Regex::new(r",\s*").unwrap()),
            value_split: Split::Pattern(regex::Regex::new(r"\s*=>\s*").unwrap()),
            ..KvOptions::default()
        };
        assert_eq!(
            kv("a => 1, b=>two words,  c =>3,, bare, d=> (x, y)", &o),
            pairs(&[("a", "1"), ("b", "two words"), ("c", "3"), ("d", "x, y")])
        );
        // A pattern that can match nothing separates nothing, and still ends.
        let lax = KvOptions {
            field_split: Split::Pattern(regex::Regex::new(r" *").unwrap()),
            ..KvOptions::default()
        };
        assert_eq!(kv("a=1  b=2", &lax), pairs(&[("a", "1"), ("b", "2")]));
    }
}
