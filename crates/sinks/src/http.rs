//! HTTP/1.1 connections for the sinks that speak HTTP (Elasticsearch, webhook), plain or
//! over TLS.

use crate::elasticsearch::Endpoint;
use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;

/// Opens a connection to `e` (TLS when it is `https://` and `tls` is given).
pub(crate) async fn connect(
    e: &Endpoint,
    tls: Option<&tokio_rustls::TlsConnector>,
) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(&e.addr)
        .await
        .map_err(|err| format!("cannot connect to {}: {err}", e.addr))?;
    let _ = stream.set_nodelay(true);
    match tls {
        Some(tls) if e.tls => {
            let name = rustls::pki_types::ServerName::try_from(e.host.clone())
                .map_err(|err| format!("`{}` is not a TLS server name: {err}", e.host))?;
            let stream = tls
                .connect(name, stream)
                .await
                .map_err(|err| format!("TLS handshake with {} failed: {err}", e.addr))?;
            handshake(stream, &e.addr).await
        }
        _ => handshake(stream, &e.addr).await,
    }
}

/// HTTP/1.1 over `io`, the connection driven by a task of its own.
async fn handshake<S>(io: S, addr: &str) -> Result<SendRequest<Full<Bytes>>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
        .await
        .map_err(|err| format!("HTTP handshake with {addr} failed: {err}"))?;
    tokio::spawn(conn);
    Ok(send)
}
