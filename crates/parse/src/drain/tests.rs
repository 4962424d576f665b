use super::*;

fn drain() -> Drain {
    Drain::new(Params::default())
}

#[test]
fn variables_become_wildcards_and_the_id_stays() {
    let mut d = drain();
    let a = d.add("Login failed for user alice from 10.0.0.1");
    assert!(a.new);
    assert_eq!(a.template, "Login failed for user alice from <*>");
    let b = d.add("Login failed for user bob from 10.0.0.2");
    assert!(!b.new);
    assert_eq!(b.id, a.id, "the id is the first message's");
    assert_eq!(b.template, "Login failed for user <*> from <*>");
    assert_eq!(d.len(), 1);
    // A different shape is a cluster of its own.
    let c = d.add("Database connection failed after 3 retries");
    assert!(c.new);
    assert_ne!(c.id, a.id);
    assert_eq!(
        d.template_of("Login failed for user carol from 10.9.9.9")
            .unwrap()
            .1,
        "Login failed for user <*> from <*>"
    );
    // Drain takes the leading tokens as constant: another first word is another leaf.
    assert!(d
        .template_of("Logout failed for user carol from 10.9.9.9")
        .is_none());
}

#[test]
fn dissimilar_messages_of_one_length_stay_apart() {
    let mut d = drain();
    let a = d.add("GET /api/users returned ok");
    let b = d.add("cache warmup finished without errors");
    assert_ne!(a.id, b.id);
    assert_eq!(d.len(), 2);
}

#[test]
fn clusters_are_bounded_and_the_least_recently_used_go_first() {
    let mut d = Drain::new(Params {
        max_clusters: 20,
        ..Params::default()
    });
    let keep = d.add("heartbeat ok from scheduler");
    for i in 0..100 {
        // Distinct words: each a cluster of its own.
        let w: String = (0..6)
            .map(|k| char::from(b'a' + ((i / 26usize.pow(k)) % 26) as u8))
            .collect();
        d.add(&format!("{w} alpha beta gamma"));
        d.add("heartbeat ok from scheduler");
    }
    assert!(d.len() <= 20, "{}", d.len());
    assert_eq!(
        d.add("heartbeat ok from scheduler").id,
        keep.id,
        "kept while in use"
    );
}

#[test]
fn a_snapshot_restores_the_same_clusters() {
    let mut d = drain();
    d.add("worker 1 started");
    d.add("worker 2 started");
    let s = serde_json::to_string(&d).unwrap();
    let mut back: Drain = serde_json::from_str(&s).unwrap();
    let f = back.add("worker 3 started");
    assert!(!f.new);
    assert_eq!(f.template, "worker <*> started");
}

#[test]
fn empty_and_odd_messages_never_panic() {
    let mut d = drain();
    for m in [
        "",
        "   ",
        "<*>",
        "\u{0}\u{1}",
        "ü ß 😀",
        &"x ".repeat(10_000),
    ] {
        d.add(m);
    }
    assert!(d.len() >= 4);
}

#[test]
fn a_message_of_mostly_variables_joins_its_template() {
    let mut d = drain();
    let a = d.add("GET /api/items/1 200 response_time:12ms request_id=req-1a");
    for i in 2..1000 {
        let f = d.add(&format!(
            "GET /api/items/{i} 200 response_time:{i}ms request_id=req-{i:x}"
        ));
        assert_eq!(f.id, a.id);
    }
    assert_eq!(d.len(), 1);
}
