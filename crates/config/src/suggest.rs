//! "Did you mean": the known name closest to a misspelt one.

/// Edit distance (insertions, deletions, substitutions), case-insensitive.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `word`, when it is close enough to be a typo of it (at most
/// a third of its letters differ).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `message` with " (did you mean `x`?)" when serde's "unknown field/variant `w`,
/// expected one of `a`, `b`" names a close candidate.
pub(crate) fn serde_message(message: &str) -> String {
    if !(message.starts_with("unknown field")
        || message.starts_with("unknown variant")
        || message.starts_with("unknown type"))
    {
        return message.to_owned();
    }
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let Some((word, rest)) = quoted.split_first() else {
        return message.to_owned();
    };
    match closest(word, rest.iter().copied()) {
        Some(c) => format!("{message} (did you mean `{c}`?)"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_a_suggestion_and_strangers_do_not() {
        assert_eq!(
            closest("adress", ["mode", "address", "framing"]),
            Some("address")
        );
        assert_eq!(closest("sysl0g", ["syslog", "beats"]), Some("syslog"));
        assert_eq!(closest("colour", ["admin", "sources"]), None);
        assert_eq!(
            serde_message("unknown field `adress`, expected one of `mode`, `address`"),
            "unknown field `adress`, expected one of `mode`, `address` (did you mean `address`?)"
        );
        assert_eq!(
            serde_message("invalid type: string"),
            "invalid type: string"
        );
    }
}
