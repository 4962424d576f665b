//! The HTTP/1.1 client: requests go round-robin over the healthy endpoints; an endpoint
//! that failed (no answer, or a 5xx) is rested with back-off, shared by every request in
//! flight; each client keeps one kept-alive connection per endpoint, plain or TLS.

use super::config::Settings;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The first rest of a failed endpoint; each failure in a row doubles it, up to `REST_MAX`.
const REST_MIN: Duration = Duration::from_secs(1);
const REST_MAX: Duration = Duration::from_secs(60);

/// What `GET /` said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    /// `elasticsearch` or `opensearch`.
    pub(crate) distribution: String,
    pub(crate) number: String,
    pub(crate) major: u32,
    pub(crate) minor: u32,
}

impl Version {
    /// From a `GET /` answer; `None` when it is not one.
    pub(crate) fn parse(body: &[u8]) -> Option<Version> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let number = v["version"]["number"].as_str()?.to_owned();
        let mut parts = number.split(['.', '-']).map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let distribution = v["version"]["distribution"]
            .as_str()
            .unwrap_or("elasticsearch")
            .to_owned();
        Some(Version {
            distribution,
            number,
            major,
            minor,
        })
    }

    /// Data streams: Elasticsearch 7.9 and later, every OpenSearch.
    pub(crate) fn has_data_streams(&self) -> bool {
        self.distribution == "opensearch" || (self.major, self.minor) >= (7, 9)
    }
}

#[derive(Default, Clone, Copy)]
struct Rest {
    failures: u32,
    until: Option<Instant>,
}

/// The endpoints and their health, shared by the sink's clients.
pub(crate) struct Pool {
    s: Arc<Settings>,
    rest: Mutex<Vec<Rest>>,
    next: AtomicUsize,
    /// `sluice_sink_endpoint_up` of each endpoint.
    up: Vec<prometheus::IntGauge>,
    tls: Option<tokio_rustls::TlsConnector>,
    /// Read from `GET /` in the background.
    pub(crate) version: OnceLock<Version>,
}

impl Pool {
    pub(crate) fn new(s: Arc<Settings>, metrics: &sluice_core::ComponentMetrics) -> Arc<Pool> {
        let up = s
            .endpoints
            .iter()
            .map(|e| metrics.endpoint_up(&e.addr))
            .collect();
        let tls = s.tls.clone().map(tokio_rustls::TlsConnector::from);
        Arc::new(Pool {
            rest: Mutex::new(vec![Rest::default(); s.endpoints.len()]),
            s,
            next: AtomicUsize::new(0),
            up,
            tls,
            version: OnceLock::new(),
        })
    }

    /// The next endpoint that is not resting; when all are, the one that rests least.
    fn pick(&self) -> usize {
        let n = self.s.endpoints.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let Ok(rest) = self.rest.lock() else {
            return start;
        };
        let now = Instant::now();
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| rest[i].until.is_none_or(|u| u <= now))
            .unwrap_or_else(|| (0..n).min_by_key(|&i| rest[i].until).unwrap_or(start))
    }

    fn failed(&self, i: usize) {
        self.up[i].set(0);
        if let Ok(mut rest) = self.rest.lock() {
            let r = &mut rest[i];
            r.failures = r.failures.saturating_add(1);
            let wait = REST_MIN.saturating_mul(1 << r.failures.min(7).saturating_sub(1));
            r.until = Some(Instant::now() + wait.min(REST_MAX));
        }
    }

    fn ok(&self, i: usize) {
        self.up[i].set(1);
        if let Ok(mut rest) = self.rest.lock() {
            rest[i] = Rest::default();
        }
    }
}

/// A request's fate.
pub(crate) enum Reply {
    /// An HTTP status and body.
    Status(u16, Bytes),
    /// No answer: refused, reset, timed out.
    Failed {
        why: String,
        /// The request may have reached Elasticsearch (it was written, or being written,
        /// when the connection failed): whether it was applied is unknown.
        maybe_applied: bool,
    },
}

/// One request at a time, with a connection per endpoint.
pub(crate) struct Client {
    pool: Arc<Pool>,
    conns: Vec<Option<SendRequest<Full<Bytes>>>>,
    /// The endpoint of the latest request.
    last: usize,
    /// Set once the request is handed to the connection.
    sending: bool,
}

impl Client {
    pub(crate) fn new(pool: Arc<Pool>) -> Self {
        let n = pool.s.endpoints.len();
        Client {
            pool,
            conns: (0..n).map(|_| None).collect(),
            last: 0,
            sending: false,
        }
    }

    /// The endpoint of the latest request.
    pub(crate) fn endpoint(&self) -> &str {
        &self.pool.s.endpoints[self.last].addr
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
        if let Some(p) = &self.pool.s.pipeline {
            path.push_str("&pipeline=");
            path.push_str(p);
        }
        self.request(hyper::Method::POST, &path, body).await
    }

    async fn request(&mut self, method: hyper::Method, path: &str, body: Bytes) -> Reply {
        let pool = self.pool.clone();
        let i = pool.pick();
        self.last = i;
        self.sending = false;
        let r = tokio::time::timeout(
            pool.s.request_timeout,
            self.try_request(i, method, path, body),
        )
        .await;
        let r = match r {
            Ok(r) => r,
            Err(_) => Err(format!(
                "no answer from {} within request_timeout",
                pool.s.endpoints[i].addr
            )),
        };
        match r {
            Ok((status, body)) => {
                if status >= 500 {
                    pool.failed(i);
                } else {
                    pool.ok(i);
                }
                Reply::Status(status, body)
            }
            Err(why) => {
                pool.failed(i);
                self.conns[i] = None;
                Reply::Failed {
                    why,
                    maybe_applied: self.sending,
                }
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
        let pool = self.pool.clone();
        let e = &pool.s.endpoints[i];
        let mut send = match self.conns[i].take() {
            Some(s) if !s.is_closed() => s,
            _ => crate::http::connect(e, pool.tls.as_ref()).await?,
        };
        send.ready()
            .await
            .map_err(|err| format!("connection to {} closed: {err}", e.addr))?;
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", e.prefix))
            .header(hyper::header::HOST, e.addr.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/x-ndjson");
        if pool.s.gzip && !body.is_empty() {
            req = req.header(hyper::header::CONTENT_ENCODING, "gzip");
        }
        if let Some(a) = &pool.s.authorization {
            req = req.header(hyper::header::AUTHORIZATION, a.as_str());
        }
        let req = req
            .body(Full::new(body))
            .map_err(|err| format!("cannot build the request: {err}"))?;
        self.sending = true;
        let resp = send
            .send_request(req)
            .await
            .map_err(|err| format!("request to {} failed: {err}", e.addr))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|err| format!("reading the answer of {} failed: {err}", e.addr))?
            .to_bytes();
        self.conns[i] = Some(send);
        Ok((status, body))
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn versions_of_elasticsearch_and_opensearch() {
        let es = Version::parse(br#"{"version":{"number":"8.15.3"}}"#).unwrap();
        assert_eq!(
            (es.distribution.as_str(), es.major, es.minor),
            ("elasticsearch", 8, 15)
        );
        assert!(es.has_data_streams());
        let old = Version::parse(br#"{"version":{"number":"7.8.1"}}"#).unwrap();
        assert!(!old.has_data_streams());
        let os = Version::parse(br#"{"version":{"distribution":"opensearch","number":"2.11.0"}}"#)
            .unwrap();
        assert_eq!((os.distribution.as_str(), os.major), ("opensearch", 2));
        assert!(os.has_data_streams());
        assert!(Version::parse(b"{}").is_none());
        assert!(Version::parse(b"<html>").is_none());
    }
}
