//! How front ends reach a node daemon by name: over the broker when one is configured
//! ([`crate::amqp`]), else over the local daemon's Unix socket. Also the rules for node
//! names (they go into routing keys).

use crate::config::{Paths, RemoteConfig};
use crate::stderr::say;
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

/// Node names: 1 to 64 of `[A-Za-z0-9_-]` (they go into routing keys; the broker layer's rule).
pub fn check_name(name: &str) -> Result<(), String> {
    crate::amqp::validate_name("node name", name).map_err(|e| e.to_string())
}

/// A connection to a node, and the broker endpoint it runs over (keep it while the
/// connection is used: dropping the last clone closes the broker connection).
pub struct Reached {
    pub transport: Transport,
    pub endpoint: Option<crate::amqp::ClientEndpoint>,
}

/// A connection to node `name` (over the broker when one is configured, else the local
/// daemon's socket, which must then be that node: the caller checks the name it answers with).
pub async fn open(remote: &RemoteConfig, paths: &Paths, name: &str) -> Result<Reached, String> {
    open_node(remote, paths, Some(name), false).await
}

/// A connection to node `name`, or with None the default node: with a broker the one named
/// `node_name` in config.toml (else this host's name), without one the local daemon. With
/// `start`, a local daemon is started when none answers (see [`local_daemon`]).
pub async fn open_node(
    remote: &RemoteConfig,
    paths: &Paths,
    name: Option<&str>,
    start: bool,
) -> Result<Reached, String> {
    if let Some(name) = name {
        check_name(name)?;
    }
    match &remote.broker {
        Some(url) => {
            let name = name
                .map(str::to_owned)
                .or_else(|| remote.node_name.clone())
                .unwrap_or_else(host_name);
            broker_link(url, &name).await
        }
        None => Ok(Reached {
            transport: local_daemon(paths, start).await?,
            endpoint: None,
        }),
    }
}

/// Without a broker, a named node is reached over the local daemon's socket, which answers
/// for whichever daemon runs here: it must be the node asked for (`answered` is the name its
/// `initialize` gave). With a broker, the name routed the link, so any answer is that node.
pub fn check_reached(over_broker: bool, asked: Option<&str>, answered: &str) -> Result<(), String> {
    match asked {
        Some(asked) if !over_broker && answered != asked => Err(format!(
            "the node daemon here is `{answered}`, not `{asked}` (no broker is configured)"
        )),
        _ => Ok(()),
    }
}

/// The local daemon's socket; when nobody answers there and `start` is set, `praxis node` is
/// started in the background first (in its own session, so closing this terminal does not end
/// it; its output goes to `<data>/logs/node-daemon.log`), as tmux starts its server.
pub async fn local_daemon(paths: &Paths, start: bool) -> Result<Transport, String> {
    let path = paths.node_socket();
    let refused = match crate::transport::socket::connect(&path).await {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    if !start {
        return Err(format!(
            "no node daemon answers on {} ({refused}); start one with `praxis node`, or configure a broker",
            path.display()
        ));
    }
    let mut child = spawn_daemon(paths)?;
    let deadline = std::time::Instant::now() + DAEMON_START_LIMIT;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        if let Ok(t) = crate::transport::socket::connect(&path).await {
            return Ok(t);
        }
        // Another `praxis` may have started one at the same moment: this one then exits
        // (the socket is taken) and the other answers on the next try.
        let exited = child.try_wait().ok().flatten();
        if exited.is_some_and(|s| !s.success()) || std::time::Instant::now() > deadline {
            let log = paths.logs_dir().join("node-daemon.log");
            let tail = std::fs::read_to_string(&log)
                .map(|t| {
                    let lines: Vec<&str> = t.lines().rev().take(3).collect();
                    lines.into_iter().rev().collect::<Vec<_>>().join(" / ")
                })
                .unwrap_or_default();
            let why = match exited {
                Some(s) => format!("it exited ({s})"),
                None => format!(
                    "it did not answer within {} s",
                    DAEMON_START_LIMIT.as_secs()
                ),
            };
            return Err(format!(
                "started a node daemon for {}, but {why}: {tail}",
                path.display()
            ));
        }
    }
}

/// How long a freshly started daemon has to answer on its socket.
const DAEMON_START_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// `praxis node` (this executable), detached: its own session, stdin and stdout null, stderr
/// appended to the daemon log.
fn spawn_daemon(paths: &Paths) -> Result<std::process::Child, String> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find praxis itself: {e}"))?;
    let logs = paths.logs_dir();
    let _ = std::fs::create_dir_all(&logs);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logs.join("node-daemon.log"))
        .map_err(|e| {
            format!(
                "cannot open {}: {e}",
                logs.join("node-daemon.log").display()
            )
        })?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("node")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log);
    // SAFETY: setsid is async-signal-safe and touches no memory of this process.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
        .map_err(|e| format!("cannot start `praxis node`: {e}"))
}

async fn broker_link(url: &str, name: &str) -> Result<Reached, String> {
    let client = crate::amqp::ClientEndpoint::connect(url, &client_id())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Reached {
        transport: client.open(name),
        endpoint: Some(client),
    })
}

/// This process's id on the broker: unique per running client (a client's queue is its own).
pub fn client_id() -> String {
    format!("c-{}", uuid::Uuid::new_v4().simple())
}

/// `praxis --status`: the broker (its URL without the password) and each node that answers
/// with its agents and session counts by status; without a broker, the local daemon. Returns
/// the exit code (3 when the broker or the daemon cannot be reached).
pub async fn status(remote: &RemoteConfig, paths: &Paths, out: &mut impl std::io::Write) -> i32 {
    match &remote.broker {
        Some(url) => {
            let client = match crate::amqp::ClientEndpoint::connect(url, &client_id()).await {
                Ok(c) => c,
                Err(e) => {
                    let _ = writeln!(out, "broker {}: unreachable", crate::amqp::redact(url));
                    say(&e.to_string());
                    return 3;
                }
            };
            let _ = writeln!(out, "broker {}: connected", crate::amqp::redact(url));
            let mut presence = client.presence();
            if let Err(e) = client.ping().await {
                say(&e.to_string());
                return 3;
            }
            let mut nodes = std::collections::BTreeMap::new();
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(1500);
            while let Ok(Ok(p)) = tokio::time::timeout_at(deadline, presence.recv()).await {
                if p.body.get("goodbye").and_then(serde_json::Value::as_bool) != Some(true) {
                    nodes.insert(p.node.clone(), p.body);
                }
            }
            if nodes.is_empty() {
                let _ = writeln!(out, "no node answered");
            }
            // Presence may be a beat old: each node is asked for its sessions now.
            let asked = nodes.into_iter().map(|(name, body)| {
                let link = client.open(&name);
                let token = remote.node_token.clone();
                async move {
                    let fresh = tokio::time::timeout(
                        std::time::Duration::from_secs(3),
                        sessions_of(link, token),
                    )
                    .await;
                    match fresh {
                        Ok(Some(sessions)) => {
                            let mut body = body;
                            body["sessions"] = sessions;
                            (name, body, None)
                        }
                        _ => (name, body, Some("(sessions as of its last heartbeat)")),
                    }
                }
            });
            for (name, body, note) in futures::future::join_all(asked).await {
                let line = node_line(&name, &body);
                let _ = writeln!(
                    out,
                    "{line}{}",
                    note.map(|n| format!(" {n}")).unwrap_or_default()
                );
            }
            client.close().await;
            0
        }
        None => {
            let path = paths.node_socket();
            let _ = writeln!(
                out,
                "broker: none configured (broker in config.toml or PRAXIS_BROKER)"
            );
            let Ok(t) = crate::transport::socket::connect(&path).await else {
                let _ = writeln!(out, "local node daemon: not running ({})", path.display());
                return 3;
            };
            let (tx, _rx) = tokio::sync::mpsc::channel(crate::node::client::EVENT_CAPACITY);
            let sink = crate::node::client::Sink::Own(tx);
            let client =
                match crate::node::NodeClient::connect_into(t, sink, remote.node_token.clone())
                    .await
                {
                    Ok(c) => c,
                    Err(e) => {
                        say(&format!("the local node daemon: {}", e.message));
                        return 3;
                    }
                };
            let sessions = client.list().await.unwrap_or_default();
            let body = serde_json::json!({
                "agents": client.agents,
                // The ones it runs (its history is the overlay's business).
                "sessions": sessions.iter().filter(|s| s.status.is_live()).map(|s| serde_json::json!({ "status": s.status })).collect::<Vec<_>>(),
            });
            let _ = writeln!(out, "local daemon on {}", path.display());
            let _ = writeln!(out, "{}", node_line(&client.node_name, &body));
            0
        }
    }
}

/// A node's running sessions as `[{status}]`, asked over a fresh link.
async fn sessions_of(link: Transport, token: Option<String>) -> Option<serde_json::Value> {
    let (tx, _rx) = tokio::sync::mpsc::channel(crate::node::client::EVENT_CAPACITY);
    let client =
        crate::node::NodeClient::connect_into(link, crate::node::client::Sink::Own(tx), token)
            .await
            .ok()?;
    let list = client.list().await.ok()?;
    Some(serde_json::json!(list
        .iter()
        .filter(|s| s.status.is_live())
        .map(|s| serde_json::json!({ "status": s.status }))
        .collect::<Vec<_>>()))
}

/// "node NAME: agents a, b · sessions: 1 working, 2 idle" from a presence body.
fn node_line(name: &str, body: &serde_json::Value) -> String {
    use crate::sanitize::sanitize;
    let agents: Vec<String> = body["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(sanitize))
        .collect();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for s in body["sessions"].as_array().into_iter().flatten() {
        let status = s["status"].as_str().unwrap_or("unknown");
        *counts
            .entry(sanitize(status).replace('_', " "))
            .or_default() += 1;
    }
    let sessions = if counts.is_empty() {
        "no sessions".to_string()
    } else {
        counts
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "node {}: agents {} · sessions: {sessions}",
        sanitize(name),
        if agents.is_empty() {
            "none".to_string()
        } else {
            agents.join(", ")
        }
    )
}
