//! Pure parsers for sluice: syslog, the condition language, sprintf templates and dates.
//!
//! Why a crate of its own: parsing is where correctness and speed are won, and it is
//! easiest to test, fuzz and benchmark when it has no I/O and no async runtime. Every
//! function here takes bytes or `&str` that framing has already cut out and returns
//! either borrowed views or an [`sluice_event::Event`].
//!
//! Decisions:
//! - Syslog is parsed with nom over `&[u8]` (senders emit invalid UTF-8), strictly for
//!   RFC 5424 (a line that claims version 1 must be well-formed) and leniently for
//!   RFC 3164, which real senders bend in many ways. A line that fits nothing is kept
//!   whole and tagged, never dropped.
//! - Conditions and templates compile once at config load into small trees/segment lists
//!   and evaluate without re-parsing; errors carry the column.

#![warn(unreachable_pub, missing_docs)]

pub mod condition;
pub mod csv;
pub mod date;
pub mod drain;
pub mod joda;
pub mod json_event;
pub mod kv;
pub mod lenient_json;
pub mod redact;
pub mod syslog;
pub mod template;
