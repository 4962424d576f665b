//! Framing for stream transports: where one message ends and the next begins.
//!
//! Why a crate of its own: framing is separate from decoding (a syslog line, a JSON
//! object). Keeping it here lets every TCP source share one tested implementation, and
//! keeps tokio-util out of the pure parsers.
//!
//! Decisions:
//! - [`SyslogFramer`] handles RFC 6587 octet counting and non-transparent framing (LF
//!   or NUL) and, in `Auto` mode, decides per message, because real senders differ:
//!   rsyslog and syslog-ng count the trailing LF inside the octet count, Python's
//!   SysLogHandler separates messages with NUL only.
//! - An oversized message is cut at the limit and delivered with `truncated = true`;
//!   the rest of it is skipped and the stream carries on. Only a malformed octet count
//!   in explicit octet-counting mode ends the connection, since the stream can no
//!   longer be resynchronised.
//! - [`lumberjack`] decodes the Beats protocol (Lumberjack v2). Every length it reads is
//!   checked against a limit before anything is buffered, and compressed blocks inflate
//!   with a cap, so a hostile client costs at most those limits.

#![warn(unreachable_pub, missing_docs)]

pub mod lumberjack;
mod syslog;

pub use syslog::{Frame, FrameError, Framing, SyslogFramer};
