//! `${VAR}` in config strings: the value of an environment variable, as Logstash and
//! Vector substitute them, so that secrets stay out of config files and a
//! docker-compose `environment:` block reaches the pipeline.
//!
//! `${VAR:default}` (Logstash) and `${VAR:-default}` (shell, Vector) use the default
//! when `VAR` is unset; `$${` is a literal `${`. A variable that is unset and has no
//! default is an error naming the key. Only string values are substituted, after the
//! TOML is parsed, so a value with quotes or backslashes cannot break the file.

/// `s` with its variables replaced through `lookup`; the error names the variable.
pub fn interpolate(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    if !s.contains("${") {
        return Ok(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        if rest[..i].ends_with('$') {
            out.push_str(&rest[..i - 1]);
            out.push_str("${");
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("`${{` without its closing `}}` in {s:?}"));
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(':') {
            Some((n, d)) => (n, Some(d.strip_prefix('-').unwrap_or(d))),
            None => (inner, None),
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !valid {
            return Err(format!(
                "`${{{inner}}}` does not name an environment variable"
            ));
        }
        match (lookup(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(format!(
                    "the environment variable `{name}` is not set (give a default with `${{{name}:default}}`)"
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Every string in `v` interpolated from the process environment; errors carry the
/// dotted key where they are.
pub(crate) fn interpolate_value(
    v: &mut toml::Value,
    key: &str,
    errors: &mut Vec<(String, String)>,
) {
    let lookup = |n: &str| std::env::var(n).ok();
    match v {
        toml::Value::String(s) => match interpolate(s, &lookup) {
            Ok(new) => *s = new,
            Err(e) => errors.push((key.to_owned(), e)),
        },
        toml::Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                interpolate_value(x, &format!("{key}[{i}]"), errors);
            }
        }
        toml::Value::Table(t) => {
            for (k, x) in t.iter_mut() {
                let key = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                interpolate_value(x, &key, errors);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(n: &str) -> Option<String> {
        match n {
            "PASS" => Some("s3cr\"et".into()),
            "HOST" => Some("es".into()),
            _ => None,
        }
    }

    #[test]
    fn variables_defaults_and_escapes() {
        assert_eq!(
            interpolate("http://${HOST}:9200", &env).unwrap(),
            "http://es:9200"
        );
        assert_eq!(interpolate("${PASS}", &env).unwrap(), "s3cr\"et");
        assert_eq!(interpolate("${NOPE:fallback}", &env).unwrap(), "fallback");
        assert_eq!(interpolate("${NOPE:-x}-${HOST:-y}", &env).unwrap(), "x-es");
        assert_eq!(interpolate("cost $${HOST}", &env).unwrap(), "cost ${HOST}");
        assert_eq!(interpolate("%{[field]} $5", &env).unwrap(), "%{[field]} $5");
        assert!(interpolate("${NOPE}", &env)
            .unwrap_err()
            .contains("`NOPE` is not set"));
        assert!(interpolate("${HOST", &env).is_err());
        assert!(interpolate("${a b}", &env).is_err());
    }
}
