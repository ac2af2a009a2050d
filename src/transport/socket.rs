//! Frames over a Unix socket: how a local client reaches a `praxis node` daemon with no
//! broker. The same NDJSON as an agent's stdio, one connection per client; the socket file is
//! made private (0600) by [`listen`], in a directory only its owner may enter.

use super::stdio::{read_lines, write_lines};
use crate::wire::{Inbound, Transport, CAPACITY};
use std::path::Path;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

/// Wraps a connected stream as a transport.
pub fn transport(stream: UnixStream, peer_name: &str) -> Transport {
    let (read, write) = stream.into_split();
    let (out_tx, out_rx) = mpsc::channel(CAPACITY);
    let (in_tx, in_rx) = mpsc::channel(CAPACITY);
    tokio::spawn(write_lines(write, out_rx));
    let name = peer_name.to_string();
    tokio::spawn(async move {
        read_lines(read, &in_tx).await;
        let _ = in_tx
            .send(Inbound::Closed(format!("{name} closed the connection")))
            .await;
    });
    Transport {
        outgoing: out_tx,
        incoming: in_rx,
    }
}

/// Connects to a node daemon's socket.
pub async fn connect(path: &Path) -> std::io::Result<Transport> {
    let stream = UnixStream::connect(path).await?;
    Ok(transport(stream, "the node"))
}

/// Binds `path` for a daemon: creates its directory (0700), removes a stale socket that
/// nobody answers on, refuses one that is live (another daemon), and makes the socket 0600.
pub async fn listen(path: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    if path.exists() {
        if UnixStream::connect(path).await.is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("a node already listens on {}", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}
