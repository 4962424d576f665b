//! Sources: where events enter sluice.
//!
//! Why a crate of its own: sources own sockets, connection limits and back-pressure, the
//! parts that must never panic on what the network sends. Parsing is delegated to the
//! pure `sluice-parse`, framing to `sluice-codec`.
//!
//! Decisions:
//! - Binding is separate from serving ([`syslog::bind`] then [`syslog::serve`]), so the
//!   binary can report a port that cannot be bound before anything starts, and tests
//!   can bind port 0.
//! - On shutdown a TCP source stops accepting, takes the connections already waiting
//!   in the backlog, and reads every connection until it has been quiet briefly, so
//!   what a peer sent before the signal is not lost. UDP drains its socket buffer.

pub mod syslog;
