//! The node: an ACP agent facade that starts one agent process per session from its
//! [`Connectors`] and answers `session/list`, `session/resume` and `session/close` itself.
//! It serves any number of client connections (each a [`Transport`]); a session is watched
//! by the connections attached to it ([`super::outbox`]): the one that created it, and any
//! that resumed it. A node token, when set, is checked (and removed) on every command before
//! anything else looks at it.

use super::agent::AgentConn;
use super::connectors::Connectors;
use super::index::Index;
use super::journal::Journal;
use super::outbox::{Conn, ConnId};
use super::relay;
use super::session::{NodeSession, SessionSpec};
use crate::config::{NodeConfig, Paths};
use crate::node_api::ErrorKind;
use crate::protocol::acp::{method, praxis_meta, set_field, PROTOCOL_VERSION};
use crate::protocol::{Id, Incoming, Peer, RpcError};
use crate::wire::Transport;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a node needs to run.
#[derive(Debug, Clone)]
pub struct NodeSettings {
    pub name: String,
    pub connectors: Connectors,
    pub paths: Paths,
    pub prompt_timeout: Duration,
    pub cancel_grace: Duration,
}

impl NodeSettings {
    pub fn from_config(
        config: &NodeConfig,
        paths: Paths,
        praxis_exe: &std::path::Path,
    ) -> NodeSettings {
        NodeSettings {
            name: "local".into(),
            connectors: Connectors::from_config(config, praxis_exe),
            paths,
            prompt_timeout: Duration::from_secs(config.prompt_timeout_secs),
            cancel_grace: Duration::from_secs(config.cancel_grace_secs),
        }
    }
}

/// What happens to a connection's sessions when it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnClose {
    /// The in-process node: its one client is the app, and its sessions end with it.
    CloseSessions,
    /// A node daemon: the connection detaches; its sessions keep running.
    Detach,
}

/// A node: its sessions and the connections clients reach it over. One implementation,
/// served in-process ([`super::LocalNode`]) or by `praxis node` over a Unix socket and RabbitMQ.
pub struct Node {
    pub settings: NodeSettings,
    sessions: Mutex<HashMap<String, Arc<NodeSession>>>,
    /// Every session this node ever ran (its history).
    pub(super) index: Arc<Mutex<Index>>,
    /// Held while a session is being reopened, so two clients cannot reopen it twice.
    pub(super) reopening: tokio::sync::Mutex<()>,
    next_conn: AtomicU64,
    /// When set, every command must carry it in `_meta.praxis.token`.
    token: Option<String>,
}

impl Node {
    pub fn new(settings: NodeSettings, token: Option<String>) -> Arc<Node> {
        let index = Index::open(&settings.paths, &settings.name);
        Arc::new(Node {
            settings,
            sessions: Mutex::new(HashMap::new()),
            index: Arc::new(Mutex::new(index)),
            reopening: tokio::sync::Mutex::new(()),
            next_conn: AtomicU64::new(1),
            token: token.filter(|t| !t.is_empty()),
        })
    }

    pub(super) fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<NodeSession>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session a command names (by its id or any unique prefix of it), when it runs here.
    fn session(&self, params: &Value) -> Result<Arc<NodeSession>, RpcError> {
        let id = self.resolve(params)?;
        if let Some(s) = self.sessions().get(&id).cloned() {
            return Ok(s);
        }
        Err(RpcError::not_found(format!(
            "session {id} has ended; reopen it first (Enter in the Active Sessions overlay, or praxis --resume {})",
            &id[..id.len().min(8)]
        )))
    }

    /// Every session, live or ended (ended ones stay listed until closed).
    pub(super) fn all_sessions(&self) -> Vec<Arc<NodeSession>> {
        self.sessions().values().cloned().collect()
    }

    /// Serves one client connection until it closes.
    pub fn serve(self: &Arc<Self>, transport: Transport, on_close: OnClose) {
        let (peer, incoming) = Peer::spawn(transport);
        let conn = Conn {
            id: self.next_conn.fetch_add(1, Ordering::Relaxed),
            peer,
        };
        tokio::spawn(self.clone().serve_conn(conn, incoming, on_close));
    }

    /// Checks and removes the node token of a command's params.
    fn admit(&self, params: &mut Value) -> Result<(), RpcError> {
        let given = params
            .get_mut("_meta")
            .and_then(|m| m.get_mut("praxis"))
            .and_then(Value::as_object_mut)
            .and_then(|p| p.remove("token"));
        let Some(token) = &self.token else {
            return Ok(());
        };
        match given.as_ref().and_then(Value::as_str) {
            Some(t) if constant_time_eq(t.as_bytes(), token.as_bytes()) => Ok(()),
            Some(_) => Err(RpcError::new(TOKEN_REFUSED, "wrong node token")),
            None => Err(RpcError::new(
                TOKEN_REFUSED,
                "node token required (set node_token in config.toml or PRAXIS_NODE_TOKEN)",
            )),
        }
    }

    async fn serve_conn(
        self: Arc<Self>,
        conn: Conn,
        mut incoming: tokio::sync::mpsc::Receiver<Incoming>,
        on_close: OnClose,
    ) {
        while let Some(item) = incoming.recv().await {
            match item {
                Incoming::Request {
                    id,
                    method,
                    mut params,
                } => {
                    if let Err(e) = self.admit(&mut params) {
                        tracing::warn!(method = %crate::sanitize::escape_for_log(&method, 80), "refused a command: {}", e.message);
                        conn.peer.respond(id, Err(e)).await;
                        continue;
                    }
                    tokio::spawn(self.clone().handle(conn.clone(), id, method, params));
                }
                Incoming::Notification {
                    method: m,
                    mut params,
                } if m == method::SESSION_CANCEL => {
                    if let Err(e) = self.admit(&mut params) {
                        tracing::warn!("refused session/cancel: {}", e.message);
                        continue;
                    }
                    match self.session(&params) {
                        // Not awaited here: this loop must keep reading the client.
                        Ok(s) => drop(tokio::spawn(async move { s.cancel().await })),
                        Err(e) => tracing::warn!(error = %e, "cancel for an unknown session"),
                    }
                }
                Incoming::Notification { method: m, .. } => {
                    tracing::debug!(method = %crate::sanitize::escape_for_log(&m, 80), "ignored notification")
                }
                Incoming::Skipped(why) => tracing::warn!(%why, "a client frame was skipped"),
                Incoming::Closed(reason) => {
                    self.connection_closed(conn.id, &reason, on_close).await;
                    return;
                }
            }
        }
        self.connection_closed(conn.id, "connection dropped", on_close)
            .await;
    }

    async fn connection_closed(&self, conn: ConnId, reason: &str, on_close: OnClose) {
        let all = self.all_sessions();
        match on_close {
            OnClose::CloseSessions => {
                tracing::info!(%reason, "client gone; closing every session");
                self.sessions().clear();
                for s in all {
                    s.close().await;
                }
            }
            OnClose::Detach => {
                tracing::info!(%reason, conn, "client gone; its sessions keep running");
                for s in all {
                    s.out.detach(conn).await;
                }
            }
        }
    }

    /// Closes every session (the daemon's way out).
    pub async fn close_all(&self) {
        let all: Vec<_> = self.sessions().drain().map(|(_, s)| s).collect();
        futures::future::join_all(all.iter().map(|s| s.close())).await;
    }

    async fn handle(self: Arc<Self>, conn: Conn, id: Id, m: String, params: Value) {
        if m == method::SESSION_NEW {
            // Answered inside, so the agent's first updates follow the answer.
            self.new_session(conn, id, params).await;
            return;
        }
        let result = match m.as_str() {
            method::INITIALIZE => Ok(self.initialize()),
            method::AUTHENTICATE => Ok(json!({})),
            method::SESSION_PROMPT => match self.session(&params) {
                Ok(s) => s.prompt(params, conn.id).await,
                Err(e) => Err(e),
            },
            method::PRAXIS_ENQUEUE => match self.session(&params) {
                Ok(s) => s
                    .enqueue(params, conn.id)
                    .map(|queued| json!({ "sessionId": s.spec.id, "queued": queued })),
                Err(e) => Err(e),
            },
            method::SESSION_SET_MODE => match self.session(&params) {
                Ok(s) => s.set_mode(params).await,
                Err(e) => Err(e),
            },
            method::SESSION_SET_CONFIG_OPTION => match self.session(&params) {
                Ok(s) => s.set_config_option(params, conn.id).await,
                Err(e) => Err(e),
            },
            method::SESSION_LIST => Ok(self.list(true)),
            method::SESSION_RESUME => self.resume(conn.clone(), &params).await,
            method::PRAXIS_DETACH => match self.session(&params) {
                Ok(s) => {
                    s.out.detach(conn.id).await;
                    Ok(json!({}))
                }
                Err(e) => Err(e),
            },
            method::SESSION_CLOSE => match self.resolve(&params) {
                Ok(id) => {
                    let live = self.sessions().remove(&id);
                    if let Some(s) = live {
                        s.close().await;
                    }
                    Ok(json!({}))
                }
                Err(e) => Err(e),
            },
            method::PRAXIS_SET_OPTIONS => self.session(&params).map(|s| {
                if let Some(on) = params.get("yolo").and_then(Value::as_bool) {
                    s.set_yolo(on);
                }
                json!({ "yolo": s.yolo() })
            }),
            method::PRAXIS_TRANSCRIPT => self.transcript(&params).await,
            other => Err(RpcError::method_not_found(other)),
        };
        conn.peer.respond(id, result).await;
    }

    /// A session's transcript, rendered from its journal (live or ended sessions alike).
    async fn transcript(&self, params: &Value) -> Result<Value, RpcError> {
        // The index knows its sessions by any prefix; a journal it does not know (written
        // elsewhere) is found by its file name, a unique prefix of it too.
        let id = match self.resolve(params) {
            Ok(id) => id,
            Err(e) if ErrorKind::of(&e) == ErrorKind::NotFound => params
                .get("sessionId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Err(e) => return Err(e),
        };
        let dir = self.settings.paths.sessions_dir();
        let read = tokio::task::spawn_blocking(move || {
            // Records still queued for the writer belong in the transcript too.
            super::journal::flush_all();
            let path = super::journal::find(&dir, &id)?;
            std::fs::read_to_string(&path)
                .map(|journal| crate::transcript::journal_to_markdown(&journal))
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        match read.await {
            Ok(Ok(markdown)) => Ok(json!({ "markdown": markdown })),
            Ok(Err(e)) => Err(RpcError::not_found(e)),
            Err(e) => Err(RpcError::internal(e)),
        }
    }

    fn initialize(&self) -> Value {
        let connectors: Vec<Value> = self
            .settings
            .connectors
            .iter()
            .map(|c| json!({ "name": c.name, "command": c.command.program }))
            .collect();
        json!({
            "protocolVersion": PROTOCOL_VERSION,
            "agentCapabilities": {
                "loadSession": false,
                "sessionCapabilities": { "list": {}, "resume": {}, "close": {} },
            },
            "agentInfo": { "name": "praxis-node", "version": env!("CARGO_PKG_VERSION") },
            "authMethods": [],
            "_meta": { "praxis": { "node": self.settings.name, "connectors": connectors } },
        })
    }

    async fn new_session(self: Arc<Self>, conn: Conn, id: Id, params: Value) {
        let connector_name = praxis_meta(&params, "connector")
            .and_then(Value::as_str)
            .unwrap_or(crate::config::DEMO_AGENT)
            .to_string();
        let Some(connector) = self.settings.connectors.get(&connector_name).cloned() else {
            let known: Vec<&str> = self.settings.connectors.names().collect();
            let e = RpcError::not_found(format!(
                "no agent named `{connector_name}` on node {} (known: {})",
                self.settings.name,
                known.join(", ")
            ));
            conn.peer.respond(id, Err(e)).await;
            return;
        };
        let cwd = match params.get("cwd").and_then(Value::as_str).map(PathBuf::from) {
            Some(cwd) if cwd.is_dir() => cwd,
            Some(cwd) => {
                let e = RpcError::invalid_params(format!(
                    "working directory {} does not exist",
                    cwd.display()
                ));
                conn.peer.respond(id, Err(e)).await;
                return;
            }
            None => {
                conn.peer
                    .respond(id, Err(RpcError::invalid_params("missing cwd")))
                    .await;
                return;
            }
        };
        let session_id = uuid::Uuid::new_v4().to_string();
        let stderr_log = self
            .settings
            .paths
            .logs_dir()
            .join(format!("{session_id}.stderr.log"));
        let mcp = params
            .get("mcpServers")
            .cloned()
            .unwrap_or_else(|| json!([]));
        let started = AgentConn::start(&connector, &cwd, mcp, &stderr_log).await;
        let (agent, agent_events) = match started {
            Ok(ok) => ok,
            Err(e) => {
                conn.peer.respond(id, Err(e.to_rpc())).await;
                return;
            }
        };
        let timeout = praxis_meta(&params, "promptTimeoutSecs")
            .and_then(Value::as_u64)
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(self.settings.prompt_timeout);
        let spec = SessionSpec {
            id: session_id.clone(),
            connector: connector_name.clone(),
            cwd,
            yolo: praxis_meta(&params, "yolo")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            timeout,
            grace: self.settings.cancel_grace,
        };
        let journal = Journal::open(&self.settings.paths.sessions_dir(), &session_id);
        let session = NodeSession::new(spec, agent, journal, self.index.clone(), None);
        // The creator watches it from its first frame.
        let _ = session.out.attach(conn.clone(), 0).await;
        self.sessions().insert(session_id.clone(), session.clone());
        let mut answer = session.agent_new_session().clone();
        // The agent's answer was checked to be an object with a sessionId when it started.
        let _ = set_field(&mut answer, "sessionId", json!(session_id));
        let _ = set_field(
            &mut answer,
            "_meta",
            json!({ "praxis": {
                "connector": connector_name,
                "node": self.settings.name,
                "agentInfo": session.agent_init().get("agentInfo"),
                "promptTimeoutSecs": session.spec.timeout.as_secs(),
                "yolo": session.yolo(),
            }}),
        );
        conn.peer.respond(id, Ok(answer)).await;
        // A data dir that cannot be written does not stop the session; the user is told.
        let problems: Vec<String> = [
            session.journal.problem().map(str::to_owned),
            session.agent.process.stderr_log_problem.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        for p in problems {
            session.notice("warning", p).await;
        }
        tokio::spawn(relay::run(session, agent_events));
    }
}

/// The error code of a command refused for its node token.
pub const TOKEN_REFUSED: i64 = -32001;

/// Compares without an early exit, so the token cannot be guessed byte by byte from timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
