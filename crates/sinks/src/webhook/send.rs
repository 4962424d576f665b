//! The webhook sink's run loop: one POST per event, retried with back-off, dead-lettered
//! when it cannot be delivered.

use super::{Format, Settings};
use crate::dead_letters::{DeadLetters, Why};
use crate::{received, SinkContext};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use sluice_core::{DropReason, ErrorType};
use sluice_event::{Event, EventBatch};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Bytes of an answer kept for a dead letter's reason.
const REASON_BYTES: usize = 500;

/// The request body for `e`.
pub(super) fn body(s: &Settings, e: &Event) -> Vec<u8> {
    match s.format {
        Format::Json => {
            let mut out = Vec::with_capacity(512);
            e.write_json(&mut out);
            out
        }
        Format::Slack => serde_json::json!({ "text": s.template.render(e) })
            .to_string()
            .into_bytes(),
    }
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    /// Worth another try after the wait (a 429's Retry-After, if any).
    Retry(String, Option<Duration>),
    /// Refused for good: the status and the answer.
    Refused(u16, String),
}

struct Conn {
    send: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    async fn attempt(&mut self, s: &Settings, body: Bytes) -> Attempt {
        match tokio::time::timeout(s.request_timeout, self.try_once(s, body)).await {
            Ok(a) => a,
            Err(_) => {
                self.send = None;
                Attempt::Retry(
                    format!("no answer from {} within request_timeout", s.url),
                    None,
                )
            }
        }
    }

    async fn try_once(&mut self, s: &Settings, body: Bytes) -> Attempt {
        let e = &s.endpoint;
        let mut send = match self.send.take() {
            Some(c) if !c.is_closed() => c,
            _ => match crate::http::connect(e, s.tls.as_ref()).await {
                Ok(c) => c,
                Err(why) => return Attempt::Retry(why, None),
            },
        };
        if let Err(err) = send.ready().await {
            return Attempt::Retry(format!("connection to {} closed: {err}", e.addr), None);
        }
        let path = if e.prefix.is_empty() {
            "/"
        } else {
            e.prefix.as_str()
        };
        let mut req = hyper::Request::builder()
            .method(hyper::Method::POST)
            .uri(path)
            .header(hyper::header::HOST, e.addr.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, "sluice");
        for (k, v) in &s.headers {
            req = req.header(k, v);
        }
        let req = match req.body(Full::new(body)) {
            Ok(r) => r,
            Err(err) => return Attempt::Refused(0, format!("cannot build the request: {err}")),
        };
        let resp = match send.send_request(req).await {
            Ok(r) => r,
            Err(err) => {
                return Attempt::Retry(format!("request to {} failed: {err}", e.addr), None)
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(hyper::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let answer = match resp.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(err) => {
                return Attempt::Retry(
                    format!("reading the answer of {} failed: {err}", e.addr),
                    None,
                )
            }
        };
        self.send = Some(send);
        let text = String::from_utf8_lossy(&answer[..answer.len().min(REASON_BYTES)]).into_owned();
        match status {
            200..=299 => Attempt::Delivered,
            408 | 429 | 500..=599 => {
                Attempt::Retry(format!("{} answered {status}: {text}", s.url), retry_after)
            }
            _ => Attempt::Refused(status, text),
        }
    }
}

/// Delivers one body: `Ok(())`, or the status, the reason and the attempts made. Failed
/// attempts are counted and logged (rate-limited) through `failures`, the sink's one
/// handle for delivery errors.
async fn deliver(
    s: &Settings,
    conn: &mut Conn,
    body: Bytes,
    ctx: &SinkContext,
    failures: &sluice_core::Noted,
) -> Result<(), (Option<u16>, String, u32)> {
    let mut wait = s.retry.initial.0;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let started = Instant::now();
        let a = conn.attempt(s, body.clone()).await;
        if let Some(h) = &ctx.metrics.request_duration {
            h.observe(started.elapsed().as_secs_f64());
        }
        match a {
            Attempt::Delivered => {
                ctx.metrics.health.clear();
                return Ok(());
            }
            Attempt::Refused(status, why) => return Err((Some(status), why, attempts)),
            Attempt::Retry(why, after) => {
                if attempts > s.max_retries {
                    return Err((None, why, attempts));
                }
                ctx.metrics.health.set_problem(why.clone());
                failures.note(1, &format_args!("{why}; sent again in {wait:?}"));
                let pause = after.unwrap_or(wait).min(s.retry.max.0);
                tokio::time::sleep(pause).await;
                wait = (wait * 2).min(s.retry.max.0);
            }
        }
    }
}

/// Runs until the input closes and every event is delivered or dead-lettered.
pub(super) async fn run(s: Arc<Settings>, mut rx: mpsc::Receiver<EventBatch>, ctx: SinkContext) {
    let dlq = DeadLetters::new(&ctx.data_dir, &ctx.id);
    let mut conn = Conn { send: None };
    let sent_bytes = ctx.metrics.bytes_counter("sent");
    let failures = ctx.metrics.noted(ErrorType::Delivery);
    while let Some(batch) = rx.recv().await {
        received(&batch, &ctx.metrics);
        let mut dead: Vec<(usize, Option<u16>, String, u32)> = Vec::new();
        let mut delivered = 0u64;
        for (i, e) in batch.iter().enumerate() {
            let b = Bytes::from(body(&s, e));
            sent_bytes.inc_by(b.len() as u64);
            match deliver(&s, &mut conn, b, &ctx, &failures).await {
                Ok(()) => delivered += 1,
                Err((status, why, attempts)) => dead.push((i, status, why, attempts)),
            }
        }
        ctx.metrics.events_sent.inc_by(delivered);
        if !dead.is_empty() {
            let n = dead.len() as u64;
            failures.note(
                n,
                &format_args!(
                    "{n} events could not be delivered to {} ({}); they are in the dead-letter file.",
                    s.url, dead[0].2
                ),
            );
            let records = dead.iter().map(|(i, status, why, attempts)| {
                (
                    &batch[*i],
                    Why {
                        index: s.url.clone(),
                        status: *status,
                        error_type: "webhook",
                        reason: why,
                        attempts: *attempts,
                    },
                )
            });
            if let Err(e) = dlq.write(records) {
                tracing::error!(component = %ctx.id, error = %e, "Cannot write the dead-letter file; the undelivered events are lost.");
                ctx.metrics.dropped(DropReason::IoError, n);
            } else {
                ctx.metrics.dropped(DropReason::DeadLetter, n);
            }
        }
        // Dropping the batch acknowledges its events: delivered or dead-lettered.
        drop(batch);
    }
}
