//! `webhook`: each event POSTed to a URL (★ `type = "webhook"`), for alerts into Slack,
//! Mattermost, Teams-style incoming webhooks or any HTTP receiver.
//!
//! - `format = "slack"` (default) sends `{"text": ...}`, the text being `template` (a
//!   sprintf template, default `%{message}`) rendered on the event; `format = "json"`
//!   sends the event itself as JSON.
//! - `headers`, `auth` (`{ user, password }` for Basic, `{ bearer }` for a token), `tls`
//!   for `https://` URLs (as the Elasticsearch sink's).
//! - One request per event, in order. A connection failure, a timeout, 408, 429 or a 5xx
//!   is retried with doubling back-off (`retry = { initial, max }`; a 429's
//!   `Retry-After` is honoured up to `retry.max`), at most `max_retries` times. Then, or at
//!   once for any other status, the event goes to the dead-letter file
//!   (`data_dir/dead_letters/<id>/`) with the status and the answer, counted as
//!   `sluice_events_dropped_total{reason="dead_letter"}` and
//!   `sluice_component_errors_total{error_type="delivery"}`: an alert is never lost
//!   without a trace.

mod send;

use crate::elasticsearch::{Endpoint, RetryConfig};
use crate::{Sink, SinkContext};
use serde::Deserialize;
use sluice_core::config::{Build, HumanDuration};
use sluice_core::tls::ClientTlsConfig;
use sluice_event::EventBatch;
use sluice_parse::template::Template;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the request body is.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `{"text": <template>}`, as Slack's incoming webhooks take it.
    #[default]
    Slack,
    /// The event as JSON.
    Json,
}

/// `auth`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, untagged)]
pub enum WebhookAuth {
    /// HTTP basic.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        bearer: String,
    },
}

/// `type = "webhook"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    url: String,
    #[serde(default)]
    format: Format,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    auth: Option<WebhookAuth>,
    #[serde(default)]
    tls: Option<ClientTlsConfig>,
    #[serde(default = "ten_seconds")]
    request_timeout: HumanDuration,
    #[serde(default)]
    retry: RetryConfig,
    #[serde(default = "five")]
    max_retries: u32,
}

fn ten_seconds() -> HumanDuration {
    HumanDuration(Duration::from_secs(10))
}
fn five() -> u32 {
    5
}

/// A built webhook sink's settings.
pub struct Settings {
    endpoint: Endpoint,
    /// The URL as shown in logs and dead letters.
    url: String,
    format: Format,
    template: Template,
    headers: Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)>,
    tls: Option<tokio_rustls::TlsConnector>,
    request_timeout: Duration,
    retry: RetryConfig,
    max_retries: u32,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets (the URL's path, header values) only as a hash: enough for a reload to
        // see that they changed.
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.endpoint.prefix.hash(&mut h);
        for (k, v) in &self.headers {
            k.as_str().hash(&mut h);
            v.as_bytes().hash(&mut h);
        }
        f.debug_struct("Settings")
            .field("url", &self.url)
            .field("secrets", &h.finish())
            .field("format", &self.format)
            .field("template", &self.template.source())
            .field("tls", &self.tls.is_some())
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

/// A built webhook sink.
#[derive(Clone, Debug)]
pub struct Webhook {
    s: Arc<Settings>,
}

impl Config {
    /// Checks the URL, headers, template and TLS; problems go to `b` at their keys.
    pub fn build(self, b: &mut Build<'_>) -> Option<Webhook> {
        let mark = b.mark();
        let endpoint = match Endpoint::parse_with_port(&self.url, 80) {
            Ok(e) => Some(e),
            Err(why) => {
                b.push("url", why);
                None
            }
        };
        let template = b.template(self.template.as_deref().unwrap_or("%{message}"), "template");
        let mut headers = Vec::new();
        for (k, v) in &self.headers {
            match (
                hyper::header::HeaderName::from_bytes(k.as_bytes()),
                hyper::header::HeaderValue::from_str(v),
            ) {
                (Ok(k), Ok(v)) => headers.push((k, v)),
                _ => b.push(format!("headers.{k}"), "is not a valid HTTP header"),
            }
        }
        if let Some(a) = &self.auth {
            let value = match a {
                WebhookAuth::Basic { user, password } => {
                    use base64::Engine;
                    let raw = format!("{user}:{password}");
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(raw)
                    )
                }
                WebhookAuth::Bearer { bearer } => format!("Bearer {bearer}"),
            };
            match hyper::header::HeaderValue::from_str(&value) {
                Ok(v) => headers.push((hyper::header::AUTHORIZATION, v)),
                Err(_) => b.push("auth", "is not a valid Authorization header value"),
            }
        }
        let tls = match &endpoint {
            Some(e) if e.tls => match self.tls.clone().unwrap_or_default().build() {
                Ok(c) => Some(tokio_rustls::TlsConnector::from(c)),
                Err(why) => {
                    b.push("tls", why);
                    None
                }
            },
            Some(_) if self.tls.is_some() => {
                b.push("tls", "is set, but the url is not https://");
                None
            }
            _ => None,
        };
        if self.retry.initial.0.is_zero() || self.retry.max.0 < self.retry.initial.0 {
            b.push("retry", "needs 0 < initial <= max");
        }
        if !b.clean_since(mark) {
            return None;
        }
        let endpoint = endpoint?;
        // The URL as shown: Slack's carries its secret in the path.
        let url = format!(
            "{}://{}{}",
            if endpoint.tls { "https" } else { "http" },
            endpoint.addr,
            if endpoint.prefix.is_empty() {
                ""
            } else {
                "/…"
            }
        );
        Some(Webhook {
            s: Arc::new(Settings {
                endpoint,
                url,
                format: self.format,
                template: template?,
                headers,
                tls,
                request_timeout: self.request_timeout.0,
                retry: self.retry,
                max_retries: self.max_retries,
            }),
        })
    }
}

impl Sink for Webhook {
    fn start(&self, rx: mpsc::Receiver<EventBatch>, ctx: SinkContext) -> JoinHandle<()> {
        tokio::spawn(send::run(self.s.clone(), rx, ctx))
    }
}

#[cfg(test)]
mod tests;
