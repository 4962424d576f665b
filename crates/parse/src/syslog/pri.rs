//! `<PRI>`: 0..=191, one to three digits, no leading zeros (RFC 5424 6.2.1).

use super::ParseError;

/// Returns the rest after `>` and the PRI value.
pub(super) fn parse_pri(input: &[u8]) -> Result<(&[u8], u8), ParseError> {
    let err = |offset, reason| ParseError { offset, reason };
    let body = input.strip_prefix(b"<").ok_or(err(0, "expected `<`"))?;
    let digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(err(1, "expected PRI digits"));
    }
    if digits > 3 {
        return Err(err(1, "PRI has more than three digits"));
    }
    if body.get(digits) != Some(&b'>') {
        return Err(err(1 + digits, "expected `>` after PRI"));
    }
    if digits > 1 && body[0] == b'0' {
        return Err(err(1, "PRI has a leading zero"));
    }
    let v = body[..digits]
        .iter()
        .fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    if v > 191 {
        return Err(err(1, "PRI out of range 0..=191"));
    }
    Ok((&body[digits + 1..], v as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_range_rejects_rest() {
        assert_eq!(parse_pri(b"<0>x").unwrap(), (&b"x"[..], 0));
        assert_eq!(parse_pri(b"<191>").unwrap().1, 191);
        for bad in [
            &b"<192>"[..],
            b"<002>",
            b"<>",
            b"<1234>",
            b"<aaa>",
            b"<87]",
            b"(1>",
        ] {
            assert!(
                parse_pri(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
