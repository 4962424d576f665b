//! One line of CSV: fields split at a separator, quoted fields with doubled quotes
//! inside, as Ruby's CSV (which Logstash's csv filter uses) reads them.
//!
//! A quote in the middle of an unquoted field is kept as text (Ruby refuses it; being
//! lenient keeps the event's data); an unclosed quoted field is an error, so the filter
//! tags the event.

/// Why a line is not CSV.
#[derive(Debug, PartialEq, Eq)]
pub struct Unclosed;

/// The fields of `line`; `None` for an empty field (Ruby's `nil`), `Some("")` for `""`.
pub fn parse(line: &str, separator: &str, quote: char) -> Result<Vec<Option<String>>, Unclosed> {
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        if let Some(after) = rest.strip_prefix(quote) {
            // A quoted field: up to the quote not doubled.
            let mut field = String::new();
            let mut s = after;
            loop {
                let Some(i) = s.find(quote) else {
                    return Err(Unclosed);
                };
                field.push_str(&s[..i]);
                s = &s[i + quote.len_utf8()..];
                if let Some(more) = s.strip_prefix(quote) {
                    field.push(quote);
                    s = more;
                } else {
                    break;
                }
            }
            // Anything up to the next separator belongs to the field, as text.
            match s.find(separator) {
                Some(i) => {
                    field.push_str(&s[..i]);
                    out.push(Some(field));
                    rest = &s[i + separator.len()..];
                }
                None => {
                    field.push_str(s);
                    out.push(Some(field));
                    return Ok(out);
                }
            }
        } else {
            match rest.find(separator) {
                Some(i) => {
                    out.push((i > 0).then(|| rest[..i].to_owned()));
                    rest = &rest[i + separator.len()..];
                }
                None => {
                    out.push((!rest.is_empty()).then(|| rest.to_owned()));
                    return Ok(out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Vec<Option<String>> {
        parse(line, ",", '"').unwrap()
    }

    #[test]
    fn fields_quotes_and_empties() {
        assert_eq!(
            p("a,b,c"),
            [Some("a".into()), Some("b".into()), Some("c".into())]
        );
        assert_eq!(p("a,,c,"), [Some("a".into()), None, Some("c".into()), None]);
        assert_eq!(
            p(r#""x, y","say ""hi""","""#),
            [
                Some("x, y".into()),
                Some(r#"say "hi""#.into()),
                Some("".into())
            ]
        );
        assert_eq!(
            parse("a\t\"b\tc\"", "\t", '"').unwrap(),
            [Some("a".into()), Some("b\tc".into())]
        );
        assert_eq!(
            parse("a;;b", ";;", '\'').unwrap(),
            [Some("a".into()), Some("b".into())]
        );
        assert_eq!(parse(r#""open,b"#, ",", '"'), Err(Unclosed));
        assert_eq!(p(""), [None]);
    }
}
