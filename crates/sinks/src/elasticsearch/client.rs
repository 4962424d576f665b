//! The HTTP/1.1 client: one kept-alive connection per endpoint, round-robin, a failed
//! endpoint left for the next attempt.

use super::config::Settings;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use std::sync::Arc;

pub(crate) struct Client {
    s: Arc<Settings>,
    conns: Vec<Option<SendRequest<Full<Bytes>>>>,
    next: usize,
    /// `sluice_sink_endpoint_up` of each endpoint.
    up: Vec<prometheus::IntGauge>,
}

/// A request's fate.
pub(crate) enum Reply {
    /// An HTTP status and body.
    Status(u16, Bytes),
    /// No answer: refused, reset, timed out. Whether it was applied is unknown.
    Failed(String),
}

impl Client {
    pub(crate) fn new(s: Arc<Settings>, metrics: &sluice_core::ComponentMetrics) -> Self {
        let n = s.endpoints.len();
        let up = s
            .endpoints
            .iter()
            .map(|(e, _)| metrics.endpoint_up(e))
            .collect();
        Client {
            s,
            conns: (0..n).map(|_| None).collect(),
            next: 0,
            up,
        }
    }

    /// The endpoint the next request goes to.
    pub(crate) fn endpoint(&self) -> &str {
        &self.s.endpoints[self.next].0
    }

    async fn connect(&self, i: usize) -> Result<SendRequest<Full<Bytes>>, String> {
        let addr = &self.s.endpoints[i].0;
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (send, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("HTTP handshake with {addr} failed: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(send)
    }

    /// A GET of `path` (for the version at start), with the request timeout.
    pub(crate) async fn get(&mut self, path: &str) -> Reply {
        self.request(hyper::Method::GET, path, Bytes::new()).await
    }

    /// `POST _bulk` with `body` (already compressed when gzip is on).
    pub(crate) async fn bulk(&mut self, body: Bytes) -> Reply {
        let mut path =
            "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason"
                .to_owned();
        if let Some(p) = &self.s.pipeline {
            path.push_str("&pipeline=");
            path.push_str(p);
        }
        self.request(hyper::Method::POST, &path, body).await
    }

    async fn request(&mut self, method: hyper::Method, path: &str, body: Bytes) -> Reply {
        let i = self.next;
        let r = tokio::time::timeout(
            self.s.request_timeout,
            self.try_request(i, method, path, body),
        )
        .await;
        let r = match r {
            Ok(r) => r,
            Err(_) => Err(format!(
                "no answer from {} within request_timeout",
                self.s.endpoints[i].0
            )),
        };
        match r {
            Ok((status, body)) => {
                self.up[i].set(i64::from(status < 500));
                Reply::Status(status, body)
            }
            Err(e) => {
                // Drop the connection and move on to the next endpoint.
                self.up[i].set(0);
                self.conns[i] = None;
                self.next = (i + 1) % self.conns.len();
                Reply::Failed(e)
            }
        }
    }

    async fn try_request(
        &mut self,
        i: usize,
        method: hyper::Method,
        path: &str,
        body: Bytes,
    ) -> Result<(u16, Bytes), String> {
        let mut send = match self.conns[i].take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect(i).await?,
        };
        send.ready()
            .await
            .map_err(|e| format!("connection to {} closed: {e}", self.s.endpoints[i].0))?;
        let (host, prefix) = &self.s.endpoints[i];
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{prefix}{path}"))
            .header(hyper::header::HOST, host.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/x-ndjson");
        if self.s.gzip && !body.is_empty() {
            req = req.header(hyper::header::CONTENT_ENCODING, "gzip");
        }
        if let Some(a) = &self.s.authorization {
            req = req.header(hyper::header::AUTHORIZATION, a.as_str());
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let resp = send
            .send_request(req)
            .await
            .map_err(|e| format!("request to {host} failed: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading the answer of {host} failed: {e}"))?
            .to_bytes();
        self.conns[i] = Some(send);
        Ok((status, body))
    }
}
