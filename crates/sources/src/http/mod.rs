//! `type = "http"`: `POST` NDJSON or a JSON array of objects to one path.
//!
//! The answer tells the client what happened to its events, so it knows whether to retry:
//! - 200 `{"accepted": n}` only after every event of the request has been written by
//!   every sink (the same ack token the Beats source uses);
//! - 400 with the reason (which line, which element) when the body is not JSON objects;
//!   nothing of such a request is taken;
//! - 401 without the configured bearer token; 404 on another path; 405 for other methods;
//! - 413 over `max_body_bytes`, checked on `Content-Length`, while reading, and again
//!   after gzip decoding; 415 for an unknown `Content-Encoding`;
//! - 429 with `Retry-After` when the pipeline is full (back-pressure), or when request
//!   bodies being read already hold `max_inflight_bytes` (memory stays bounded however
//!   many clients post at once); 413 over `max_events_per_request`, counted before parsing;
//! - 408 when the body does not arrive within `body_timeout`; a connection whose headers
//!   (or next request) do not arrive within `header_timeout` is closed (slow-loris);
//! - 503 when a sink failed, or the events were not written within `ack_timeout`.

mod body;
#[cfg(test)]
mod tests;

use crate::listener::serve_connections;
use body::{count_objects, decode_encoding, parse_objects, BodyError};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sluice_core::ErrorType;
mod config;
use crate::tls::Stream;
pub use config::{Auth, Config};
use sluice_event::{AckToken, BatchStatus, Event, Key, Value};
use sluice_parse::json_event::event_from_map;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};

/// What an HTTP source serves with.
pub type SourceContext = crate::SourceContext<Config>;

pub(crate) async fn serve(listener: TcpListener, ctx: SourceContext) {
    let max = ctx.config.max_connections;
    // Bytes of request bodies being read or parsed, across every connection.
    let inflight = crate::byte_budget(ctx.config.max_inflight_bytes);
    let tls = ctx.config.tls.clone();
    serve_connections(listener, &ctx, max, tls.as_ref(), move |s, peer, ctx| {
        connection(s, peer, ctx, inflight.clone())
    })
    .await;
}

async fn connection(
    stream: Stream,
    peer: SocketAddr,
    ctx: SourceContext,
    inflight: Arc<Semaphore>,
) {
    let shutdown = ctx.shutdown.clone();
    let header_timeout = ctx.config.header_timeout.0;
    let svc = hyper::service::service_fn(move |req| {
        let ctx = ctx.clone();
        let inflight = inflight.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(req, peer, &ctx, &inflight).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = shutdown.cancelled() => {
            // Finish the request in flight, then close; idle keep-alives close at once.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{body}\n"))));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn refuse(
    ctx: &SourceContext,
    status: StatusCode,
    kind: ErrorType,
    msg: &str,
) -> Response<Full<Bytes>> {
    ctx.metrics
        .noted(kind)
        .note(1, &format_args!("Refused a request with {status}: {msg}"));
    answer(status, serde_json::json!({ "error": msg }))
}

/// 429 with `Retry-After: 1`: back-pressure the client can act on.
fn retry_later(ctx: &SourceContext, msg: &str) -> Response<Full<Bytes>> {
    let mut r = refuse(
        ctx,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorType::Backpressure,
        msg,
    );
    r.headers_mut()
        .insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Compares without an early exit, so the token cannot be guessed byte by byte by timing.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn handle(
    req: Request<Incoming>,
    peer: SocketAddr,
    ctx: &SourceContext,
    inflight: &Semaphore,
) -> Response<Full<Bytes>> {
    let cfg = &ctx.config;
    if req.uri().path() != cfg.path {
        return refuse(
            ctx,
            StatusCode::NOT_FOUND,
            ErrorType::NotFound,
            &format!("events are accepted at {}", cfg.path),
        );
    }
    if req.method() != Method::POST {
        let mut r = refuse(
            ctx,
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorType::Method,
            "use POST",
        );
        r.headers_mut()
            .insert(hyper::header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    if let Some(auth) = &cfg.auth {
        let given = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same_secret(given.trim().as_bytes(), auth.bearer_token.as_bytes()) {
            let mut r = refuse(
                ctx,
                StatusCode::UNAUTHORIZED,
                ErrorType::Unauthorized,
                "missing or wrong bearer token",
            );
            r.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
            return r;
        }
    }
    let max = cfg.max_body_bytes.0 as usize;
    let too_large = format!("body over max_body_bytes ({max} bytes)");
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return refuse(
            ctx,
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorType::TooLarge,
            &too_large,
        );
    }
    let encoding = req
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // What this request may hold while it is read and parsed: its declared length, or the
    // most a body may be; returned when the request has been answered.
    let reserve = declared.map_or(max, |n| n as usize).max(1);
    let Ok(_budget) = inflight.try_acquire_many(u32::try_from(reserve).unwrap_or(u32::MAX)) else {
        return retry_later(
            ctx,
            "too many request bodies in flight (max_inflight_bytes); retry later",
        );
    };
    let collected = tokio::time::timeout(
        cfg.body_timeout.0,
        Limited::new(req.into_body(), max).collect(),
    )
    .await;
    let Ok(collected) = collected else {
        return refuse(
            ctx,
            StatusCode::REQUEST_TIMEOUT,
            ErrorType::Timeout,
            "the body did not arrive within body_timeout",
        );
    };
    let raw = match collected {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return refuse(
                ctx,
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorType::TooLarge,
                &too_large,
            )
        }
        Err(e) => {
            return refuse(
                ctx,
                StatusCode::BAD_REQUEST,
                ErrorType::Io,
                &format!("could not read the body: {e}"),
            )
        }
    };
    let limit = cfg.max_events_per_request;
    let objects = match decode_encoding(encoding.as_deref(), &raw, max).and_then(|b| {
        let n = count_objects(&b);
        if n > limit {
            return Err(BodyError::TooMany(n));
        }
        parse_objects(&b)
    }) {
        Ok(o) => o,
        Err(BodyError::TooLarge) => {
            return refuse(
                ctx,
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorType::TooLarge,
                &too_large,
            )
        }
        Err(BodyError::TooMany(n)) => {
            return refuse(
                ctx,
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorType::TooLarge,
                &format!("{n} events in one request, over max_events_per_request ({limit})"),
            )
        }
        Err(BodyError::Bad(m)) => {
            return refuse(ctx, StatusCode::BAD_REQUEST, ErrorType::Parse, &m)
        }
        Err(BodyError::Encoding(m)) => {
            return refuse(
                ctx,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorType::Parse,
                &m,
            )
        }
    };
    if objects.is_empty() {
        return answer(StatusCode::OK, serde_json::json!({ "accepted": 0 }));
    }
    if !ctx.output.has_room() {
        return retry_later(ctx, "pipeline is full; retry later");
    }
    let n = objects.len();
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
    let (tx, rx) = oneshot::channel();
    let token = AckToken::new(move |s| {
        let _ = tx.send(s);
    });
    let ip = Value::from(peer.ip().to_string());
    let batch: Vec<Event> = objects
        .into_iter()
        .map(|m| {
            let mut ev = event_from_map(m, now);
            let meta = ev.meta_mut();
            meta.peer = Some(peer);
            meta.source = Some(ctx.id.clone());
            meta.ack = Some(token.clone());
            meta.metadata
                .insert(Key::const_new("ip_address"), ip.clone());
            ev
        })
        .collect();
    drop(token);
    ctx.metrics.events_received.inc_by(n as u64);
    ctx.metrics.bytes_received.inc_by(raw.len() as u64);
    if ctx.output.send(batch).await.is_err() {
        return refuse(
            ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Shutdown,
            "pipeline is shutting down",
        );
    }
    match tokio::time::timeout(cfg.ack_timeout.0, rx).await {
        Ok(Ok(BatchStatus::Delivered)) => answer(StatusCode::OK, serde_json::json!({ "accepted": n })),
        Ok(_) => refuse(ctx, StatusCode::SERVICE_UNAVAILABLE, ErrorType::Delivery, "a sink failed to write these events; retry"),
        Err(_) => refuse(
            ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Delivery,
            "events not written within ack_timeout; they may still arrive, retrying may duplicate them",
        ),
    }
}
