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
}

impl Default for KvOptions {
    fn default() -> Self {
        KvOptions {
            field_split: vec![' '],
            value_split: vec!['='],
            trim_key: Vec::new(),
            trim_value: Vec::new(),
        }
    }
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

/// The pairs of `text`, in order. A value may be quoted with `"`, `'`, `()`, `[]` or `<>`
/// to contain separators; the quotes are removed. Tokens without a value separator and
/// empty keys are skipped.
pub fn parse<'a>(text: &'a str, o: &KvOptions) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
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
        let first = rest.chars().next();
        match first.and_then(|c| closing(c).map(|close| (c, close))) {
            Some((open, close)) if rest[open.len_utf8()..].contains(close) => {
                let inner = &rest[open.len_utf8()..];
                let end = inner.find(close).unwrap_or(inner.len());
                value = &inner[..end];
                rest = &inner[end + close.len_utf8()..];
            }
            _ => {
                let end = rest.find(is_field).unwrap_or(rest.len());
                value = &rest[..end];
                rest = &rest[end..];
            }
        }
        let key = key.trim_matches(|c| o.trim_key.contains(&c));
        let value = value.trim_matches(|c| o.trim_value.contains(&c));
        if !key.is_empty() {
            out.push((Cow::Borrowed(key), Cow::Borrowed(value)));
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
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_quoted_and_bracketed() {
        let o = KvOptions::default();
        assert_eq!(
            kv(
                r#"user=bob  msg="hello world" ip=10.0.0.1 flag path=[/a b] x='y z' empty= tail"#,
                &o
            ),
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
}
