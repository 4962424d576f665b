//! `key=value` pairs as Logstash's kv filter reads them. Pure.

use std::borrow::Cow;

/// How pairs are split. Every character of `field_split` separates pairs and every
/// character of `value_split` separates a key from its value, as in Logstash.
#[derive(Clone, Debug)]
pub struct KvOptions {
    pub field_split: Vec<char>,
    pub value_split: Vec<char>,
    /// Characters trimmed from both ends of keys and of values.
    pub trim_key: Vec<char>,
    pub trim_value: Vec<char>,
    /// Characters removed anywhere in keys and in values.
    pub remove_char_key: Vec<char>,
    pub remove_char_value: Vec<char>,
    /// Keep `key=` with an empty value (Logstash's default: no).
    pub allow_empty_values: bool,
}

impl Default for KvOptions {
    fn default() -> Self {
        KvOptions {
            field_split: vec![' '],
            value_split: vec!['='],
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
    pub key: Cow<'a, str>,
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
    let is_field = |c: char| o.field_split.contains(&c);
    let is_value = |c: char| o.value_split.contains(&c);
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(is_field);
        if rest.is_empty() {
            break;
        }
        // The key runs to a value separator; a field separator first means no pair.
        let Some(kend) = rest.find(|c: char| is_value(c) || is_field(c)) else {
            break;
        };
        let key = &rest[..kend];
        let sep = rest[kend..].chars().next().unwrap_or(' ');
        rest = &rest[kend + sep.len_utf8()..];
        if !is_value(sep) {
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
                let end = rest.find(is_field).unwrap_or(rest.len());
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
            field_split: vec!['&', ';'],
            value_split: vec!['=', ':'],
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
}
