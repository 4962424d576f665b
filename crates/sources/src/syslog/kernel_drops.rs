//! Datagrams the kernel dropped because a UDP socket's receive buffer was full: they
//! never reach us, so we read the socket's drop counter from `/proc/net/udp{,6}` (the
//! `drops` column of the row with our socket's inode) and count the growth as
//! `sluice_events_dropped_total{reason="receive_buffer_full"}`, logged rate-limited.

use sluice_core::{DropReason, Noted};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the counter is read.
const EVERY: Duration = Duration::from_secs(1);

/// The inode of the socket behind `fd`, from `/proc/self/fd`.
fn socket_inode(fd: i32) -> Option<u64> {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    let s = link.to_str()?;
    s.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// The `drops` column of the row for `inode` in a `/proc/net/udp` table. Pure.
pub(crate) fn drops_in_table(table: &str, inode: u64) -> Option<u64> {
    let mut lines = table.lines();
    let header = lines.next()?;
    if !(header.contains("inode") && header.trim_end().ends_with("drops")) {
        return None;
    }
    // The header spells `tx_queue rx_queue` and `tr tm->when` as two words each over
    // one column each: in the rows, inode is the 10th field and drops the 13th.
    let (ic, dc) = (9, 12);
    lines.find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(ic)?.parse::<u64>().ok()? == inode)
            .then(|| f.get(dc)?.parse().ok())
            .flatten()
    })
}

fn drops(inode: u64) -> Option<u64> {
    ["/proc/net/udp", "/proc/net/udp6"].iter().find_map(|t| {
        let table = std::fs::read_to_string(t).ok()?;
        drops_in_table(&table, inode)
    })
}

/// Counts the kernel's drops on the socket `fd` until `shutdown`. Does nothing where
/// `/proc` does not tell (another OS, a sandbox).
pub(super) async fn watch(fd: i32, noted: Noted, shutdown: CancellationToken) {
    let Some(inode) = socket_inode(fd) else {
        return;
    };
    let Some(mut seen) = drops(inode) else {
        return;
    };
    loop {
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.cancelled() => return,
        }
        let Some(now) = drops(inode) else { return };
        if now > seen {
            let n = now - seen;
            noted.note(
                n,
                &format_args!(
                    "The kernel dropped {n} datagrams: the socket's receive buffer was full (raise receive_buffer_bytes, and net.core.rmem_max)."
                ),
            );
        }
        seen = now;
    }
}

/// The reason these drops are counted under.
pub(super) const REASON: DropReason = DropReason::ReceiveBufferFull;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drops_column_of_our_inode() {
        let table = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n\
  200: 0100007F:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 17         \n\
  201: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 0          \n";
        assert_eq!(drops_in_table(table, 4242), Some(17));
        assert_eq!(drops_in_table(table, 99), Some(0));
        assert_eq!(drops_in_table(table, 7), None);
        assert_eq!(drops_in_table("", 7), None);
    }

    #[test]
    fn a_real_socket_is_found() {
        use std::os::fd::AsRawFd;
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let Some(inode) = socket_inode(s.as_raw_fd()) else {
            return; // no /proc here
        };
        assert_eq!(drops(inode), Some(0));
    }
}
