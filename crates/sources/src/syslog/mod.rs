//! `type = "syslog"`: RFC 5424/3164 over UDP and TCP.

mod kernel_drops;
mod tcp;
mod udp;

use crate::Bound;
use sluice_core::ErrorType;
mod config;

pub use config::{Config, FramingConfig, MessageCodec, SyslogMode};
use sluice_parse::syslog::{decode, DecodeOptions, ParseOptions};
use std::net::SocketAddr;
use std::sync::Arc;

/// What a syslog source serves with.
pub type SourceContext = crate::SourceContext<Config>;

/// Serves until `shutdown` fires and everything received has been handed on.
pub(crate) async fn serve(bound: Bound, ctx: SourceContext) {
    match bound {
        Bound::Udp(s) => udp::serve(s, ctx).await,
        Bound::Tcp(l) => tcp::serve(l, ctx).await,
        Bound::Stdin => {}
    }
}

/// Per-source decoding state shared by UDP and TCP.
#[derive(Clone, Debug)]
pub(crate) struct Decoder {
    codec: MessageCodec,
    tz: chrono_tz::Tz,
    keep_original: bool,
    source: Arc<str>,
    parse_errors: sluice_core::Noted,
}

impl Decoder {
    pub(crate) fn new(ctx: &SourceContext) -> Self {
        Decoder {
            codec: ctx.config.codec,
            tz: ctx.config.timezone.0,
            keep_original: ctx.config.keep_original,
            source: ctx.id.clone(),
            parse_errors: ctx.metrics.noted(ErrorType::Parse),
        }
    }

    /// One message to one event; failures are counted here and kept, tagged.
    pub(crate) fn decode(
        &self,
        bytes: &[u8],
        peer: SocketAddr,
        now: chrono::DateTime<chrono::Utc>,
        truncated: bool,
    ) -> sluice_event::Event {
        // Receive time is reported at millisecond precision: finer digits would claim
        // a precision the sender never had.
        let now = chrono::SubsecRound::trunc_subsecs(now, 3);
        let opts = DecodeOptions {
            parse: ParseOptions {
                timezone: self.tz,
                now,
            },
            keep_original: self.keep_original,
            peer_ip: Some(peer.ip()),
        };
        let mut ev = match self.codec {
            MessageCodec::Syslog => decode(bytes, &opts).unwrap_or_else(|e| {
                self.parse_errors.note(1, &format_args!(
                    "A message from {peer} is not syslog; it is kept whole in `message`, tagged _syslogparsefailure."
                ));
                e
            }),
            MessageCodec::Plain | MessageCodec::Json => {
                let line = bytes.strip_suffix(b"\n").unwrap_or(bytes);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let mut ev = if self.codec == MessageCodec::Json {
                    sluice_parse::json_event::event_from_json(line, now).unwrap_or_else(|e| {
                        self.parse_errors.note(1, &format_args!(
                            "A message from {peer} is not a JSON object; it is kept in `message`, tagged _jsonparsefailure."
                        ));
                        e
                    })
                } else {
                    sluice_event::Event::from_message(String::from_utf8_lossy(line), now)
                };
                ev.fields_mut()
                    .get_or_insert_with("host", || sluice_event::Value::from(peer.ip().to_string()));
                ev
            }
        };
        if truncated {
            ev.add_tag("_truncated");
        }
        let meta = ev.meta_mut();
        meta.peer = Some(peer);
        meta.source = Some(self.source.clone());
        ev
    }
}

pub(crate) fn framing(cfg: &Config) -> sluice_codec::Framing {
    match cfg.framing {
        // Plain and JSON messages are lines: a line starting with digits and a space is
        // not an octet count.
        FramingConfig::Auto if cfg.codec != MessageCodec::Syslog => sluice_codec::Framing::Newline,
        FramingConfig::Auto => sluice_codec::Framing::Auto,
        FramingConfig::OctetCounting => sluice_codec::Framing::OctetCounting,
        FramingConfig::Newline => sluice_codec::Framing::Newline,
        FramingConfig::Nul => sluice_codec::Framing::Nul,
    }
}

#[cfg(test)]
mod tests;
