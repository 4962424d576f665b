//! The admin HTTP endpoint: `/metrics`, `/health`, `/ready`, `/api/components`.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus::Encoder;
use sluice_core::{ComponentKind, Telemetry};
use sluice_runtime::ComponentInfo;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct AdminState {
    pub telemetry: Telemetry,
    pub components: Arc<std::sync::RwLock<Vec<ComponentInfo>>>,
    pub ready: Arc<AtomicBool>,
}

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn components_json(state: &AdminState) -> String {
    let components = state
        .components
        .read()
        .map(|c| c.clone())
        .unwrap_or_default();
    let list: Vec<serde_json::Value> = components
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "kind": match c.kind { ComponentKind::Source => "source", ComponentKind::Transform => "transform", ComponentKind::Sink => "sink" },
                "type": c.component_type,
                "inputs": c.inputs,
                "address": c.address.map(|a| a.to_string()),
                "events_received": c.metrics.events_received.get(),
                "events_sent": c.metrics.events_sent.get(),
                "buffer_events": c.metrics.buffer_events.get(),
                "connections_active": c.metrics.connections.as_ref().map(|g| g.get()),
                "problem": c.metrics.health.problem(),
            })
        })
        .collect();
    serde_json::json!({ "components": list }).to_string()
}

/// Every component's current problem (`{"component": ..., "problem": ...}`), or `None`.
fn problems(state: &AdminState) -> Option<Vec<serde_json::Value>> {
    let components = state
        .components
        .read()
        .map(|c| c.clone())
        .unwrap_or_default();
    let list: Vec<serde_json::Value> = components
        .iter()
        .filter_map(|c| {
            c.metrics
                .health
                .problem()
                .map(|p| serde_json::json!({ "component": c.id, "problem": p }))
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

/// 503 with the problems: a sink that cannot write makes the instance degraded.
fn degraded(problems: Vec<serde_json::Value>) -> Response<Full<Bytes>> {
    reply(
        StatusCode::SERVICE_UNAVAILABLE,
        "application/json",
        format!(
            "{}\n",
            serde_json::json!({ "status": "degraded", "problems": problems })
        ),
    )
}

fn route(req: &Request<Incoming>, state: &AdminState) -> Response<Full<Bytes>> {
    if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "only GET\n");
    }
    match req.uri().path() {
        "/metrics" => {
            let mut buf = Vec::new();
            let enc = prometheus::TextEncoder::new();
            match enc.encode(&state.telemetry.registry().gather(), &mut buf) {
                Ok(()) => reply(StatusCode::OK, enc.format_type(), buf),
                Err(e) => reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    format!("{e}\n"),
                ),
            }
        }
        "/health" => match problems(state) {
            None => reply(StatusCode::OK, "application/json", "{\"status\":\"ok\"}\n"),
            Some(p) => degraded(p),
        },
        "/ready" => {
            if !state.ready.load(Ordering::SeqCst) {
                reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "application/json",
                    "{\"status\":\"shutting_down\"}\n",
                )
            } else if let Some(p) = problems(state) {
                degraded(p)
            } else {
                reply(
                    StatusCode::OK,
                    "application/json",
                    "{\"status\":\"ready\"}\n",
                )
            }
        }
        "/api/components" => reply(StatusCode::OK, "application/json", components_json(state)),
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found; try /metrics, /health, /ready, /api/components\n",
        ),
    }
}

pub async fn serve(listener: TcpListener, state: AdminState, stop: CancellationToken) {
    loop {
        let (stream, _) = tokio::select! {
            a = listener.accept() => match a {
                Ok(x) => x,
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.cancelled() => return,
        };
        let st = state.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let r = route(&req, &st);
                async move { Ok::<_, std::convert::Infallible>(r) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
