//! TCP: framed streams, a connection limit, idle timeouts, and back-pressure by simply
//! not reading while the pipeline is full.

use super::{framing, Decoder, SourceContext};
use crate::framed::{read_frames, StreamSettings};
use crate::listener::serve_connections;
use crate::tls::Stream;
use sluice_codec::SyslogFramer;
use std::net::SocketAddr;
use tokio::net::TcpListener;

pub(super) async fn serve(listener: TcpListener, ctx: SourceContext) {
    let max = ctx.config.max_connections;
    let tls = ctx.config.tls.clone();
    serve_connections(listener, &ctx, max, tls.as_ref(), connection).await;
}

async fn connection(stream: Stream, peer: SocketAddr, ctx: SourceContext) {
    let dec = Decoder::new(&ctx);
    let framer = SyslogFramer::new(
        framing(&ctx.config),
        ctx.config.max_message_bytes.0 as usize,
    );
    let settings = StreamSettings {
        idle_timeout: ctx.config.idle_timeout.0,
        batch_size: ctx.config.batch_size,
    };
    read_frames(
        stream,
        peer,
        framer,
        settings,
        &ctx,
        |bytes, truncated, now| dec.decode(bytes, peer, now, truncated),
    )
    .await;
}
