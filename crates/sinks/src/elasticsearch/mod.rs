//! `type = "elasticsearch"`: the `_bulk` API of Elasticsearch (and OpenSearch), retrying
//! only what failed and dead-lettering what cannot be delivered as it is.
//!
//! A batch's fate, item by item:
//! - 2xx: delivered. 409 on `action = "create"`: a duplicate, delivered before.
//! - An item that failed: `on_status` decides; by default 429 and 5xx are sent again
//!   alone, with back-off (`retry`, doubling, with jitter), and other errors (400 mapping
//!   and parsing exceptions, 404) go to the dead-letter file with their reason.
//! - A whole request without an answer (refused, reset, timed out), or answered 429/5xx,
//!   or with a response that does not match the request item for item, is sent again
//!   with back-off: never counted as a success.
//! - 413: the request is split in halves; one document alone too large is dead-lettered.
//! - After `max_retries` attempts (default: forever) an item is dead-lettered.
//!
//! Events are let go (their acknowledgements fire) only once each is delivered or
//! durably dead-lettered, so back-pressure reaches the sources while Elasticsearch is
//! down, and nothing accepted is dropped in silence.

mod bulk;
mod client;
mod config;
mod data_stream;

pub use config::{Action, Auth, Config, Endpoint, OnStatus, RetryConfig, Settings, Target};
pub use data_stream::{DataStream, DataStreamConfig};

use crate::dead_letters::{DeadLetters, Why};
use crate::{received, Sink, SinkContext};
use bulk::{delivered, encode, index_into, parse_response, Item};
use client::{Client, Pool, Reply, Version};
use sluice_core::{DropReason, ErrorType};
use sluice_event::{Event, EventBatch};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

impl Sink for Settings {
    fn start(&self, rx: mpsc::Receiver<EventBatch>, ctx: SinkContext) -> JoinHandle<()> {
        tokio::spawn(run(Arc::new(self.clone()), rx, ctx))
    }
}

/// What became of an item.
enum Fate {
    Pending,
    Delivered,
    DeadLetter {
        status: Option<u16>,
        error_type: String,
        reason: String,
    },
}

async fn run(s: Arc<Settings>, mut rx: mpsc::Receiver<EventBatch>, ctx: SinkContext) {
    // `max_in_flight` requests at once, each with its own connections, sharing the
    // endpoints' health.
    let pool = Pool::new(s.clone(), &ctx.metrics);
    let clients: Arc<std::sync::Mutex<Vec<Client>>> = Arc::new(std::sync::Mutex::new(
        (0..s.max_in_flight)
            .map(|_| Client::new(pool.clone()))
            .collect(),
    ));
    let slots = Arc::new(tokio::sync::Semaphore::new(s.max_in_flight));
    let mut inflight = tokio::task::JoinSet::new();
    let dlq = Arc::new(DeadLetters::new(&ctx.data_dir, &ctx.id));
    // The version is read in the background; the pipeline never waits for it.
    tokio::spawn(probe(s.clone(), pool, ctx.id.clone()));
    loop {
        let Some(first) = rx.recv().await else { break };
        received(&first, &ctx.metrics);
        let mut events = first;
        let deadline = tokio::time::Instant::now() + s.batch_timeout;
        while events.len() < s.batch_max_events {
            tokio::select! {
                b = rx.recv() => match b {
                    Some(b) => {
                        received(&b, &ctx.metrics);
                        events.extend(b);
                    }
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        // A free slot means a free client.
        let Some(mut client) = clients.lock().ok().and_then(|mut c| c.pop()) else {
            break;
        };
        let (s, dlq, ctx, clients) = (s.clone(), dlq.clone(), ctx.clone(), clients.clone());
        inflight.spawn(async move {
            deliver(&s, &mut client, &dlq, events, &ctx).await;
            if let Ok(mut c) = clients.lock() {
                c.push(client);
            }
            drop(slot);
        });
        // Reap finished requests so the set does not grow.
        while inflight.try_join_next().is_some() {}
    }
    while inflight.join_next().await.is_some() {}
}

/// Reads the cluster's version from `GET /`, again with back-off while nothing answers.
async fn probe(s: Arc<Settings>, pool: Arc<Pool>, id: String) {
    let mut client = Client::new(pool.clone());
    let mut wait = Duration::from_secs(1);
    loop {
        if let Reply::Status(200, body) = client.get("/").await {
            if let Some(v) = Version::parse(&body) {
                tracing::info!(component = %id, endpoint = client.endpoint(), version = %v.number, distribution = %v.distribution, "Elasticsearch reached.");
                if matches!(s.target, Target::DataStream(_)) && !v.has_data_streams() {
                    tracing::warn!(component = %id, version = %v.number, "This sink writes to a data stream, which Elasticsearch has from 7.9 on: the cluster will create plain indices instead.");
                }
                let _ = pool.version.set(v);
                return;
            }
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(60));
    }
}

/// Sends `events` until each is delivered or dead-lettered.
async fn deliver(
    s: &Settings,
    client: &mut Client,
    dlq: &DeadLetters,
    mut events: EventBatch,
    ctx: &SinkContext,
) {
    let mut body = Vec::with_capacity(events.len() * 256);
    let mut scratch = String::new();
    let mut items: Vec<Item> = events
        .iter_mut()
        .map(|e| encode(e, s, &mut body, &mut scratch))
        .collect();
    let mut fates: Vec<Fate> = (0..events.len()).map(|_| Fate::Pending).collect();
    let failures = ctx.metrics.noted(ErrorType::Delivery);
    // (outcome, status) -> items, counted once per batch.
    let mut outcomes: std::collections::BTreeMap<(&'static str, String), u64> =
        std::collections::BTreeMap::new();
    let mut count = |outcome: &'static str, status: String, n: usize| {
        *outcomes.entry((outcome, status)).or_default() += n as u64;
    };
    let mut todo: Vec<Vec<usize>> = requests(
        &items,
        (0..items.len()).collect(),
        s.batch_max_bytes,
        s.batch_max_events,
    );
    let mut backoff = s.retry.initial.0;
    while !todo.is_empty() {
        let mut again: Vec<usize> = Vec::new();
        while let Some(req) = todo.pop() {
            for &i in &req {
                items[i].attempts += 1;
            }
            let started = Instant::now();
            let (plain, wire) = request_body(&body, &items, &req, s.gzip);
            ctx.metrics.bytes_counter("encoded").inc_by(plain as u64);
            ctx.metrics.bytes_counter("sent").inc_by(wire.len() as u64);
            let reply = client.bulk(wire).await;
            if let Some(h) = &ctx.metrics.request_duration {
                h.observe(started.elapsed().as_secs_f64());
            }
            match reply {
                Reply::Status(200..=299, resp) => match parse_response(&resp, req.len()) {
                    Ok(results) => {
                        ctx.metrics.health.clear();
                        for (&i, r) in req.iter().zip(results) {
                            match delivered(&r, s.action) {
                                Some(dup) => {
                                    fates[i] = Fate::Delivered;
                                    let outcome = if dup { "duplicate" } else { "delivered" };
                                    count(outcome, r.status.to_string(), 1);
                                    // Sent again after an attempt of unknown fate, and
                                    // without an id that would make that harmless.
                                    if items[i].unknown && s.document_id.is_none() && !dup {
                                        count("possible_duplicate", r.status.to_string(), 1);
                                    }
                                }
                                None => match s.policy(r.status) {
                                    OnStatus::Retry => {
                                        count("retried", r.status.to_string(), 1);
                                        again.push(i)
                                    }
                                    OnStatus::DeadLetter => {
                                        count("dead_letter", r.status.to_string(), 1);
                                        fates[i] = Fate::DeadLetter {
                                            status: Some(r.status),
                                            error_type: r.error_type.unwrap_or_default(),
                                            reason: r.reason.unwrap_or_default(),
                                        }
                                    }
                                },
                            }
                        }
                    }
                    Err(why) => {
                        failures.note(1, &format_args!("{why}; the request is sent again"));
                        count("retried", "mismatch".into(), req.len());
                        for &i in &req {
                            items[i].unknown = true;
                        }
                        again.extend(&req);
                    }
                },
                Reply::Status(413, _) if req.len() > 1 => {
                    let (a, b) = req.split_at(req.len() / 2);
                    for &i in &req {
                        items[i].attempts -= 1;
                    }
                    todo.push(b.to_vec());
                    todo.push(a.to_vec());
                }
                Reply::Status(status, resp) => {
                    let reason = String::from_utf8_lossy(&resp[..resp.len().min(500)]).into_owned();
                    let policy = if status == 413 {
                        OnStatus::DeadLetter
                    } else {
                        s.policy(status)
                    };
                    match policy {
                        OnStatus::Retry => {
                            // A gateway that timed out may have passed the request on.
                            if status == 504 {
                                for &i in &req {
                                    items[i].unknown = true;
                                }
                            }
                            failures.note(1, &format_args!(
                                "Elasticsearch answered {status} to a bulk request of {} items; it is sent again", req.len()
                            ));
                            count("retried", status.to_string(), req.len());
                            again.extend(&req);
                        }
                        OnStatus::DeadLetter => {
                            count("dead_letter", status.to_string(), req.len());
                            for &i in &req {
                                fates[i] = Fate::DeadLetter {
                                    status: Some(status),
                                    error_type: "request".into(),
                                    reason: reason.clone(),
                                };
                            }
                        }
                    }
                }
                Reply::Failed { why, maybe_applied } => {
                    ctx.metrics
                        .health
                        .set_problem(format!("cannot reach Elasticsearch: {why}"));
                    failures.note(1, &format_args!("{why}; the request is sent again"));
                    count("retried", "none".into(), req.len());
                    for &i in &req {
                        items[i].unknown |= maybe_applied;
                    }
                    again.extend(&req);
                }
            }
        }
        // Items past max_retries are dead-lettered; the rest go again after a wait.
        again.retain(|&i| {
            let over = s.max_retries.is_some_and(|m| items[i].attempts > m);
            if over {
                count("dead_letter", "max_retries".into(), 1);
                fates[i] = Fate::DeadLetter {
                    status: None,
                    error_type: "max_retries".into(),
                    reason: format!("not delivered after {} attempts", items[i].attempts),
                };
            }
            !over
        });
        if again.is_empty() {
            break;
        }
        tokio::time::sleep(jitter(backoff)).await;
        backoff = (backoff * 2).min(s.retry.max.0);
        todo = requests(&items, again, s.batch_max_bytes, s.batch_max_events);
    }
    for ((outcome, status), n) in outcomes {
        ctx.metrics.items_counter(outcome, &status).inc_by(n);
    }
    finish(s, &events, &items, &fates, dlq, ctx);
}

/// Splits `idx` into requests of at most `max_bytes` of body each (one item at least).
fn requests(
    items: &[Item],
    idx: Vec<usize>,
    max_bytes: usize,
    max_events: usize,
) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut size = 0;
    for i in idx {
        let n = items[i].bytes.len();
        match out.last_mut() {
            // Input batches are taken whole, so a batch can pass `batch_max_events`:
            // requests are cut at both bounds.
            Some(cur) if size + n <= max_bytes && cur.len() < max_events => {
                cur.push(i);
                size += n;
            }
            _ => {
                out.push(vec![i]);
                size = n;
            }
        }
    }
    // Sent in order: `todo` is popped from the end.
    out.reverse();
    out
}

/// The body of one request, and its size before compression.
fn request_body(body: &[u8], items: &[Item], req: &[usize], gzip: bool) -> (usize, bytes::Bytes) {
    let mut plain = Vec::with_capacity(req.iter().map(|&i| items[i].bytes.len()).sum());
    for &i in req {
        plain.extend_from_slice(&body[items[i].bytes.clone()]);
    }
    let n = plain.len();
    if !gzip {
        return (n, plain.into());
    }
    use std::io::Write;
    let mut z = flate2::write::GzEncoder::new(
        Vec::with_capacity(plain.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = z.write_all(&plain);
    (n, z.finish().unwrap_or_default().into())
}

/// `d` give or take a quarter, so that many senders do not retry in step.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let f = 0.75 + f64::from(nanos % 1000) / 2000.0;
    d.mul_f64(f)
}

/// Counts, dead-letters and releases the batch.
fn finish(
    s: &Settings,
    events: &[Event],
    items: &[Item],
    fates: &[Fate],
    dlq: &DeadLetters,
    ctx: &SinkContext,
) {
    let delivered = fates
        .iter()
        .filter(|f| matches!(f, Fate::Delivered))
        .count();
    ctx.metrics.events_sent.inc_by(delivered as u64);
    let dead = events
        .iter()
        .zip(items)
        .zip(fates)
        .filter_map(|((e, it), f)| match f {
            Fate::DeadLetter {
                status,
                error_type,
                reason,
            } => Some((
                e,
                Why {
                    index: {
                        let mut index = String::new();
                        index_into(e, s, &mut index);
                        index
                    },
                    status: *status,
                    error_type,
                    reason,
                    attempts: it.attempts,
                },
            )),
            _ => None,
        });
    match dlq.write(dead) {
        Ok(0) => {}
        Ok(n) => ctx.metrics.noted_drop(DropReason::DeadLetter).note(
            n as u64,
            &format_args!(
                "{n} events could not be indexed as they are; they are in the dead-letter file"
            ),
        ),
        Err(e) => {
            tracing::error!(component = %ctx.id, error = %e, "Cannot write the dead-letter file; those events are not acknowledged.");
            for (ev, f) in events.iter().zip(fates) {
                if let (Fate::DeadLetter { .. }, Some(t)) = (f, ev.meta().ack.as_ref()) {
                    t.update(sluice_event::BatchStatus::Errored);
                }
            }
        }
    }
}
