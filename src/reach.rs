//! How front ends reach a node daemon by name: over the broker when one is configured
//! ([`crate::amqp`]), else over the local daemon's Unix socket. Also the rules for node
//! names (they go into routing keys).

use crate::config::{Paths, RemoteConfig};
use crate::wire::Transport;

/// This machine's host name (the default node name), made safe for a routing key.
pub fn host_name() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        "node".into()
    } else {
        name
    }
}

/// Node names: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a node name: use 1 to 64 letters, digits, `-` or `_`",
            crate::sanitize::escape_for_log(name, 80)
        ))
    }
}

/// A connection to node `name`.
pub async fn open(remote: &RemoteConfig, paths: &Paths, name: &str) -> Result<Transport, String> {
    check_name(name)?;
    match &remote.broker {
        Some(url) => broker_link(url, name).await,
        None => {
            let path = paths.node_socket();
            crate::transport::socket::connect(&path).await.map_err(|e| {
                format!(
                    "no node daemon answers on {} ({e}); start one with `praxis node`, or configure a broker",
                    path.display()
                )
            })
        }
    }
}

async fn broker_link(url: &str, name: &str) -> Result<Transport, String> {
    let _ = (url, name);
    Err("broker links are not built yet".into())
}
