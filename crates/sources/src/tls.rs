//! TLS on TCP listeners: a connection's stream, plain or TLS, and the acceptor that reads
//! the certificate files again when they change.
//!
//! The handshake happens in the connection's own task, bounded by [`HANDSHAKE`], so a
//! slow or hostile client never holds up the accept loop. The acceptor looks at its
//! files' modification times at most once per [`RECHECK`], on an accept; a changed set
//! is loaded for the connections that come after, and the connections already open keep
//! the session they have. A changed file that does not load keeps the previous
//! certificates and is logged; at start it is a config error.

use sluice_core::tls::ServerTlsConfig;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How long a client has to finish the TLS handshake.
pub const HANDSHAKE: Duration = Duration::from_secs(10);

/// How often the certificate files are looked at, at most.
pub const RECHECK: Duration = Duration::from_secs(1);

/// One accepted connection's byte stream.
#[derive(Debug)]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Stream {
    /// The subject of the client's certificate chain's first certificate, when it
    /// offered one (mTLS), as DER; `None` otherwise.
    pub fn peer_certificate(&self) -> Option<Vec<u8>> {
        match self {
            Stream::Plain(_) => None,
            Stream::Tls(t) => t
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec()),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}

/// The read half of a [`Stream`]: plain TCP splits without a lock.
#[derive(Debug)]
pub enum ReadHalf {
    /// Plain TCP.
    Plain(tokio::net::tcp::OwnedReadHalf),
    /// TLS (the halves share the session behind a lock).
    Tls(tokio::io::ReadHalf<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// The write half of a [`Stream`].
#[derive(Debug)]
pub enum WriteHalf {
    /// Plain TCP.
    Plain(tokio::net::tcp::OwnedWriteHalf),
    /// TLS.
    Tls(tokio::io::WriteHalf<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Stream {
    /// Separate halves for a reader and a writer task (Beats: frames in, ACKs out).
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Plain(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Plain(r), WriteHalf::Plain(w))
            }
            Stream::Tls(s) => {
                let (r, w) = tokio::io::split(*s);
                (ReadHalf::Tls(r), WriteHalf::Tls(w))
            }
        }
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ReadHalf::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ReadHalf::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Plain(s) => Pin::new(s).poll_write(cx, buf),
            WriteHalf::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Plain(s) => Pin::new(s).poll_flush(cx),
            WriteHalf::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Plain(s) => Pin::new(s).poll_shutdown(cx),
            WriteHalf::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The modification times of a config's files, in order.
fn stamps(cfg: &ServerTlsConfig) -> Vec<Option<SystemTime>> {
    cfg.files()
        .iter()
        .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
        .collect()
}

/// A TLS acceptor that follows its certificate files.
pub struct TlsServer {
    config: ServerTlsConfig,
    id: Arc<str>,
    state: Mutex<State>,
}

struct State {
    acceptor: tokio_rustls::TlsAcceptor,
    stamps: Vec<Option<SystemTime>>,
    checked: Instant,
}

impl std::fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TlsServer({})", self.config.crt_file.display())
    }
}

impl TlsServer {
    /// Loads the certificates now; the error says which file is wrong.
    pub fn new(config: &ServerTlsConfig, id: Arc<str>) -> Result<Self, String> {
        let stamps = stamps(config);
        let server = config.build()?;
        Ok(TlsServer {
            config: config.clone(),
            id,
            state: Mutex::new(State {
                acceptor: tokio_rustls::TlsAcceptor::from(server),
                stamps,
                checked: Instant::now(),
            }),
        })
    }

    /// The acceptor for the next connection, with the files read again first if they
    /// changed since they were last loaded.
    pub fn acceptor(&self) -> Option<tokio_rustls::TlsAcceptor> {
        let mut st = self.state.lock().ok()?;
        if st.checked.elapsed() >= RECHECK {
            st.checked = Instant::now();
            let now = stamps(&self.config);
            if now != st.stamps {
                st.stamps = now;
                match self.config.build() {
                    Ok(c) => {
                        st.acceptor = tokio_rustls::TlsAcceptor::from(c);
                        tracing::info!(component = %self.id, "TLS certificate files changed: new connections use them; open ones keep theirs.");
                    }
                    Err(e) => {
                        tracing::warn!(component = %self.id, error = %e, "TLS certificate files changed but do not load; keeping the previous ones.")
                    }
                }
            }
        }
        Some(st.acceptor.clone())
    }
}

/// Loads `tls` once at config time, so a missing or broken certificate is a config error
/// at the `tls` key.
pub(crate) fn check(tls: Option<&ServerTlsConfig>, b: &mut sluice_core::config::Build<'_>) {
    if let Some(t) = tls {
        if let Err(e) = t.build() {
            b.push("tls", e);
        }
    }
}
