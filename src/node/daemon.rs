//! `praxis node`: the node as a daemon. The same [`Node`] as the in-process one, serving many
//! clients at once over a Unix socket and (with a broker) over RabbitMQ, keeping its sessions
//! alive while no client is attached. It announces itself and its agents (presence, with
//! heartbeats) and says goodbye on SIGINT/SIGTERM/SIGHUP, closing its sessions, then exits 0.

use super::server::{Node, NodeSettings, OnClose};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How often presence is published.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// How `praxis node` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct DaemonOptions {
    /// The Unix socket to serve (None: no socket).
    pub listen: Option<PathBuf>,
    /// The broker to serve over (None: socket only).
    pub broker: Option<String>,
    pub token: Option<String>,
}

impl Node {
    /// What presence says of this node: its name, agents, and sessions with their status.
    pub fn presence(&self) -> Value {
        let listed = self.list(false);
        let sessions: Vec<Value> = listed["sessions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                json!({
                    "sessionId": s["sessionId"],
                    "status": s.pointer("/_meta/praxis/status"),
                    "agent": s.pointer("/_meta/praxis/connector"),
                    "lastSeq": s.pointer("/_meta/praxis/lastSeq"),
                })
            })
            .collect();
        let agents: Vec<&str> = self.settings.connectors.names().collect();
        json!({
            "node": self.settings.name,
            "version": env!("CARGO_PKG_VERSION"),
            "agents": agents,
            "sessions": sessions,
        })
    }
}

/// Runs the daemon until a signal; returns the exit code.
pub async fn run(settings: NodeSettings, opts: DaemonOptions) -> i32 {
    let name = settings.name.clone();
    let node = Node::new(settings, opts.token.clone());
    let mut socket = None;
    if let Some(path) = &opts.listen {
        match crate::transport::socket::listen(path).await {
            Ok(listener) => {
                tracing::info!(path = %path.display(), "listening");
                // Beside the socket: which process serves it (for `kill`, and for tests).
                let _ = std::fs::write(pid_file(path), format!("{}\n", std::process::id()));
                socket = Some(path.clone());
                tokio::spawn(accept_socket(node.clone(), listener));
            }
            Err(e) => {
                eprintln!("praxis node: cannot listen on {}: {e}", path.display());
                return 3;
            }
        }
    }
    let remote = match &opts.broker {
        Some(url) => match super::remote::serve(node.clone(), url).await {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("praxis node: {e}");
                if let Some(p) = &socket {
                    let _ = std::fs::remove_file(p);
                    let _ = std::fs::remove_file(pid_file(p));
                }
                return 3;
            }
        },
        None => None,
    };
    let mut where_ = Vec::new();
    if let Some(p) = &socket {
        where_.push(format!("socket {}", p.display()));
    }
    if let Some(url) = &opts.broker {
        where_.push(format!("broker {}", crate::amqp::redact(url)));
    }
    eprintln!("praxis node {name}: serving on {}", where_.join(" and "));
    let mut signals = crate::signals::Signals::new();
    let signal = tokio::select! {
        s = signals.next() => s.to_string(),
        _ = tokio::signal::ctrl_c() => "SIGINT".to_string(),
    };
    eprintln!("praxis node {name}: {signal}; closing its sessions and saying goodbye");
    if let Some(r) = remote {
        r.goodbye().await;
    }
    node.close_all().await;
    if let Some(p) = &socket {
        let _ = std::fs::remove_file(p);
        let _ = std::fs::remove_file(pid_file(p));
    }
    super::journal::flush_all();
    0
}

/// The file beside a daemon's socket that holds its process id (`node.sock` → `node.pid`).
pub fn pid_file(socket: &std::path::Path) -> PathBuf {
    socket.with_extension("pid")
}

async fn accept_socket(node: Arc<Node>, listener: tokio::net::UnixListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let t = crate::transport::socket::transport(stream, "a client");
                node.serve(t, OnClose::Detach);
            }
            Err(e) => {
                tracing::error!(error = %e, "accepting a client failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
