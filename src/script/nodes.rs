//! Reaching the nodes a command talks to: one node (named, or the default one), or every
//! node that answers (over the broker: the nodes that answer a ping; without one: the local
//! daemon), and finding which of them runs the session an id or id prefix names.

use super::{code, Env};
use crate::node::client::Sink;
use crate::node::{NodeClient, NodeEvent};
use crate::node_api::SessionSummary;
use std::time::Duration;
use tokio::sync::mpsc;

/// Why a command could not go on: the exit code and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// One node this command is connected to, and its events.
pub struct Linked {
    pub name: String,
    pub client: NodeClient,
    pub events: mpsc::Receiver<NodeEvent>,
}

/// The nodes a command reached, and the ones it could not.
pub struct Nodes {
    pub linked: Vec<Linked>,
    /// (node, why) for each node that was seen but did not answer.
    pub missing: Vec<(String, String)>,
    /// Kept while the links are used: dropping it closes the broker connection.
    _endpoint: Option<crate::amqp::ClientEndpoint>,
}

/// How long a node has to answer `initialize`.
const CONNECT_LIMIT: Duration = Duration::from_secs(10);
/// How long the nodes have to answer a ping, and how long after the last answer to wait for
/// more.
const PING_LIMIT: Duration = Duration::from_millis(1500);
const PING_QUIET: Duration = Duration::from_millis(300);

/// Node `name`, or the default node (see [`crate::reach::open_node`]); with `start`, a local
/// daemon is started when none runs and no broker is configured.
pub async fn one(env: &Env, name: Option<&str>, start: bool) -> Result<Nodes, Failure> {
    let reached = crate::reach::open_node(&env.remote, &env.paths, name, start)
        .await
        .map_err(|e| Failure::new(code::UNREACHABLE, e))?;
    let label = name.unwrap_or("the local daemon");
    let linked = link(label, reached.transport, env.remote.node_token.clone())
        .await
        .map_err(|e| Failure::new(code::UNREACHABLE, e))?;
    crate::reach::check_reached(reached.endpoint.is_some(), name, &linked.name)
        .map_err(|e| Failure::new(code::UNREACHABLE, e))?;
    Ok(Nodes {
        linked: vec![linked],
        missing: Vec::new(),
        _endpoint: reached.endpoint,
    })
}

/// Every node that answers (or only `only`). No node answering is not an error here.
pub async fn all(env: &Env, only: Option<&str>, start: bool) -> Result<Nodes, Failure> {
    let url = match (&env.remote.broker, only) {
        (Some(url), None) => url.clone(),
        _ => return one(env, only, start).await,
    };
    let client = crate::amqp::ClientEndpoint::connect(&url, &crate::reach::client_id())
        .await
        .map_err(|e| Failure::new(code::UNREACHABLE, e.to_string()))?;
    let mut presence = client.presence();
    client
        .ping()
        .await
        .map_err(|e| Failure::new(code::UNREACHABLE, e.to_string()))?;
    let mut names = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + PING_LIMIT;
    loop {
        let until = if names.is_empty() {
            deadline
        } else {
            deadline.min(tokio::time::Instant::now() + PING_QUIET)
        };
        match tokio::time::timeout_at(until, presence.recv()).await {
            Ok(Ok(p)) => {
                let goodbye = p.body.get("goodbye").and_then(serde_json::Value::as_bool);
                if goodbye != Some(true) {
                    names.insert(p.node);
                }
            }
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(_)) | Err(_) => break,
        }
    }
    let token = env.remote.node_token.clone();
    let links = names.into_iter().map(|name| {
        let transport = client.open(&name);
        let token = token.clone();
        async move {
            let r = link(&name, transport, token).await;
            (name, r)
        }
    });
    let mut nodes = Nodes {
        linked: Vec::new(),
        missing: Vec::new(),
        _endpoint: Some(client.clone()),
    };
    for (name, r) in futures::future::join_all(links).await {
        match r {
            Ok(l) => nodes.linked.push(l),
            Err(e) => nodes.missing.push((name, e)),
        }
    }
    Ok(nodes)
}

/// A node client over `transport`, with its own event stream.
async fn link(
    label: &str,
    transport: crate::wire::Transport,
    token: Option<String>,
) -> Result<Linked, String> {
    let (tx, events) = mpsc::channel(crate::node::client::EVENT_CAPACITY);
    let connected = tokio::time::timeout(
        CONNECT_LIMIT,
        NodeClient::connect_into(transport, Sink::Own(tx), token),
    )
    .await;
    match connected {
        Ok(Ok(client)) => Ok(Linked {
            name: client.node_name.clone(),
            client,
            events,
        }),
        Ok(Err(e)) => Err(format!("node {label}: {}", e.message)),
        Err(_) => Err(format!(
            "node {label} did not answer within {} s",
            CONNECT_LIMIT.as_secs()
        )),
    }
}

/// Where a session was found: the node (an index into [`Nodes::linked`]) and its summary.
pub struct Found {
    pub node: usize,
    pub summary: SessionSummary,
}

impl Nodes {
    /// The broker connection the links run over (None: the local daemon's socket).
    pub fn endpoint(&self) -> Option<&crate::amqp::ClientEndpoint> {
        self._endpoint.as_ref()
    }

    /// Every session of every linked node (with the history), tagged with its node; a node
    /// whose listing fails is added to `missing`.
    pub async fn sessions(&mut self) -> Vec<(usize, SessionSummary)> {
        let asked = self.linked.iter().map(|l| l.client.list());
        let answers = futures::future::join_all(asked).await;
        let mut out = Vec::new();
        for (i, answer) in answers.into_iter().enumerate() {
            match answer {
                Ok(list) => out.extend(list.into_iter().map(|s| (i, s))),
                Err(e) => self
                    .missing
                    .push((self.linked[i].name.clone(), e.message.clone())),
            }
        }
        out
    }

    /// The one session `id` names (a full id, or a unique prefix) on these nodes.
    pub async fn locate(&mut self, id: &str) -> Result<Found, Failure> {
        let id = id.trim();
        if id.is_empty() {
            return Err(Failure::new(code::USAGE, "the session id is empty"));
        }
        let all = self.sessions().await;
        let mut hits: Vec<(usize, SessionSummary)> = all
            .into_iter()
            .filter(|(_, s)| s.session_id.starts_with(id))
            .collect();
        if let Some(exact) = hits.iter().position(|(_, s)| s.session_id == id) {
            let (node, summary) = hits.swap_remove(exact);
            return Ok(Found { node, summary });
        }
        let shown = crate::sanitize::escape_for_log(id, 80);
        match hits.len() {
            1 => {
                let (node, summary) = hits.remove(0);
                Ok(Found { node, summary })
            }
            0 if !self.missing.is_empty() => Err(Failure::new(
                code::UNREACHABLE,
                format!(
                    "no session `{shown}` on the nodes that answered; {}",
                    self.missing_text()
                ),
            )),
            0 => Err(Failure::new(
                code::USAGE,
                format!("no session `{shown}` on {}", self.names_text()),
            )),
            n => {
                hits.sort_by(|a, b| a.1.session_id.cmp(&b.1.session_id));
                let listed: Vec<String> = hits
                    .iter()
                    .take(5)
                    .map(|(node, s)| {
                        let short = &s.session_id[..s.session_id.len().min(8)];
                        let title = s.title.as_deref().unwrap_or("untitled");
                        format!("{short} on {} ({title})", self.linked[*node].name)
                    })
                    .collect();
                let more = if n > 5 {
                    format!(" and {} more", n - 5)
                } else {
                    String::new()
                };
                Err(Failure::new(
                    code::USAGE,
                    format!(
                        "`{shown}` matches {n} sessions: {}{more}; give more of the id",
                        listed.join(", ")
                    ),
                ))
            }
        }
    }

    /// "node a" / "nodes a, b" / "no node" (none answered).
    pub fn names_text(&self) -> String {
        let names: Vec<&str> = self.linked.iter().map(|l| l.name.as_str()).collect();
        match names.len() {
            0 => "any node (none answered)".into(),
            1 => format!("node {}", names[0]),
            _ => format!("nodes {}", names.join(", ")),
        }
    }

    /// "node c: why; node d: why".
    pub fn missing_text(&self) -> String {
        self.missing
            .iter()
            .map(|(n, why)| format!("{n} did not answer ({why})"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
