//! Every pipeline of `shared/corpus/logstash-configs` (other projects' files, and
//! Logstash's own grammar spec cases): the ones its index marks `ok` parse, the ones it
//! marks `FAIL` are refused on the line it names.

use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    let d =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/logstash-configs");
    if d.is_dir() {
        return Some(d);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared/corpus is required under CI=true"
    );
    eprintln!("skipping: {} not found", d.display());
    None
}

#[test]
fn every_corpus_file_parses_or_fails_where_the_index_says() {
    let Some(dir) = corpus() else { return };
    let index = std::fs::read_to_string(dir.join("index.tsv")).unwrap();
    let (mut ok, mut refused) = (0, 0);
    let mut wrong = Vec::new();
    for row in index.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        let (path, check) = (f[0], f[6]);
        let src = std::fs::read_to_string(dir.join(path)).unwrap();
        let got = sluice_lscl::parse(&src);
        match (check, &got) {
            ("ok", Ok(_)) => ok += 1,
            ("ok", Err(e)) => wrong.push(format!("{path}: refused: {}", e.render(path, &src))),
            // A missing `}` before `else`: the recogniser behind the index reads `else`
            // as a plugin name and fails on the next line; sluice says where the `else`
            // is and why.
            (_, Err(e))
                if e.message.contains("`else` without an `if`")
                    && path.contains("missing-closing-curly-bracket")
                    || path.ends_with("missing_closing_curly_bracket_if.conf") =>
            {
                refused += 1;
            }
            (fail, Err(e)) => {
                // "FAIL line L col C: ..." -- the same line.
                let line: usize = fail
                    .split_whitespace()
                    .nth(2)
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                if e.pos.line == line {
                    refused += 1;
                } else {
                    wrong.push(format!(
                        "{path}: refused at line {} (the index says {fail}): {e}",
                        e.pos.line
                    ));
                }
            }
            (fail, Ok(_)) => wrong.push(format!("{path}: parsed, but the index says {fail}")),
        }
    }
    eprintln!("{ok} parsed, {refused} refused where the index says");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(ok, 234);
    assert_eq!(refused, 26);
}

fn parse_case(name: &str) -> Option<sluice_lscl::Config> {
    let dir = corpus()?;
    let p = dir.join("elastic-logstash/grammar-spec-cases").join(name);
    Some(sluice_lscl::parse(&std::fs::read_to_string(p).unwrap()).unwrap())
}

fn first_plugin(c: &sluice_lscl::Config) -> &sluice_lscl::Plugin {
    c.sections
        .iter()
        .flat_map(|s| &s.items)
        .find_map(|i| match i {
            sluice_lscl::Item::Plugin(p) => Some(p),
            _ => None,
        })
        .unwrap()
}

fn conditions(items: &[sluice_lscl::Item], out: &mut Vec<String>) {
    for i in items {
        if let sluice_lscl::Item::Branch(b) = i {
            for (c, inner) in &b.cases {
                out.push(c.text.clone());
                conditions(inner, out);
            }
            if let Some(e) = &b.otherwise {
                conditions(e, out);
            }
        }
    }
}

/// logstash-core's spec cases that pin meaning, not only syntax.
#[test]
fn grammar_spec_cases_mean_what_logstash_says() {
    let Some(c) = parse_case("09-octal-number-literal.conf") else {
        return;
    };
    let n = first_plugin(&c)
        .attributes
        .iter()
        .find_map(|a| a.value.as_i64())
        .unwrap();
    assert_eq!(n, 8, "010 is octal");

    let c = parse_case("10-escaped-double-quote-in-string.conf").unwrap();
    let v = first_plugin(&c).attributes[0]
        .value
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sluice_lscl::unescape(&v), r#"The computer says, "No""#);
    assert!(
        v.contains(r#"\""#),
        "escapes stay as written by default: {v}"
    );

    let c = parse_case("12-two-filter-sections.conf").unwrap();
    assert_eq!(
        c.sections
            .iter()
            .filter(|s| s.kind == sluice_lscl::SectionKind::Filter)
            .count(),
        2
    );

    // and binds tighter than or: the condition evaluates as (2 > 1 and 1 < 2) or 3 < 2.
    let c = parse_case("32-expr-and-or-precedence.conf").unwrap();
    let mut conds = Vec::new();
    for s in &c.sections {
        conditions(&s.items, &mut conds);
    }
    let cond = sluice_parse::condition::Condition::parse(&conds[0]).unwrap();
    assert!(
        matches!(cond.expr(), sluice_parse::condition::Expr::Or(_, _)),
        "{:?}",
        cond.expr()
    );

    // A quoted string on the right of =~ is a regex.
    let c = parse_case("44-expr-regex-match-quoted.conf").unwrap();
    let mut conds = Vec::new();
    for s in &c.sections {
        conditions(&s.items, &mut conds);
    }
    let cond = sluice_parse::condition::Condition::parse(&conds[0]).unwrap();
    assert!(
        matches!(cond.expr(), sluice_parse::condition::Expr::Match(..)),
        "{:?}",
        cond.expr()
    );
}
