//! The ★ label values of `sluice_events_dropped_total{reason}` and
//! `sluice_component_errors_total{error_type}`, as types: a reason is spelled once, here,
//! and a component cannot invent a near-duplicate (`io` and `io_error`, `queue_full` and
//! `buffer_full` used to be told apart only by where they were written).

/// Why events were dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// A `filter` or `drop` transform removed them, as configured.
    Filtered,
    /// Nothing reads this output (a route nobody takes), or every reader is gone.
    NoConsumer,
    /// A source that cannot push back (UDP) found its consumer's buffer full.
    QueueFull,
    /// A `when_full = "drop_newest"` buffer was full.
    BufferFull,
    /// A sink could not write them.
    IoError,
    /// A Beats client disconnected before its window was acknowledged.
    UnackedWindow,
    /// The kernel dropped datagrams: a UDP socket's receive buffer was full.
    ReceiveBufferFull,
    /// A sink could not deliver them as they are; they are in its dead-letter file.
    DeadLetter,
}

impl DropReason {
    /// The ★ label value.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Filtered => "filtered",
            DropReason::NoConsumer => "no_consumer",
            DropReason::QueueFull => "queue_full",
            DropReason::BufferFull => "buffer_full",
            DropReason::IoError => "io_error",
            DropReason::UnackedWindow => "unacked_window",
            DropReason::ReceiveBufferFull => "receive_buffer_full",
            DropReason::DeadLetter => "dead_letter",
        }
    }
}

/// What went wrong in a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// A message or line that did not parse (kept, tagged).
    Parse,
    /// A message longer than the configured limit (cut, tagged).
    Oversize,
    /// A client broke the wire protocol.
    Protocol,
    /// Reading or writing failed.
    Io,
    /// Accepting a connection failed.
    Accept,
    /// Events were not confirmed written (a sink failed, or the wait ran out).
    Delivery,
    /// An HTTP request for a path that takes no events.
    NotFound,
    /// An HTTP request with a method other than POST.
    Method,
    /// A request without the right credentials.
    Unauthorized,
    /// A body larger than allowed.
    TooLarge,
    /// A request refused because the pipeline is full.
    Backpressure,
    /// A request refused because the server is shutting down.
    Shutdown,
    /// A client too slow to send what it started (a request body).
    Timeout,
    /// `max_connections` was reached.
    ConnectionLimit,
    /// A templated file path named more files than `max_files`.
    FileLimit,
    /// A file ended inside a line (a crash mid-write); the partial line was cut off.
    TornTail,
    /// A TLS handshake failed (or its certificates did not load).
    Tls,
}

impl ErrorType {
    /// The ★ label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Parse => "parse",
            ErrorType::Oversize => "oversize",
            ErrorType::Protocol => "protocol",
            ErrorType::Io => "io",
            ErrorType::Accept => "accept",
            ErrorType::Delivery => "delivery",
            ErrorType::NotFound => "not_found",
            ErrorType::Method => "method",
            ErrorType::Unauthorized => "unauthorized",
            ErrorType::TooLarge => "too_large",
            ErrorType::Backpressure => "backpressure",
            ErrorType::Shutdown => "shutdown",
            ErrorType::Timeout => "timeout",
            ErrorType::ConnectionLimit => "connection_limit",
            ErrorType::FileLimit => "file_limit",
            ErrorType::TornTail => "torn_tail",
            ErrorType::Tls => "tls",
        }
    }
}
