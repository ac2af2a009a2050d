//! The in-process node: an ACP agent facade, served over an in-memory transport, that starts
//! one agent process per session from its [`Connectors`] and answers `session/list`,
//! `session/resume` and `session/close` itself.

use super::agent::AgentConn;
use super::connectors::Connectors;
use super::journal::Journal;
use super::relay;
use super::session::{NodeSession, SessionSpec};
use crate::config::{NodeConfig, Paths};
use crate::protocol::acp::{method, praxis_meta, set_field, PROTOCOL_VERSION};
use crate::protocol::{Id, Incoming, Peer, RpcError};
use crate::wire::{memory, Transport};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
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

/// A running local node.
pub struct LocalNode;

struct Node {
    settings: NodeSettings,
    client: Peer,
    sessions: Mutex<HashMap<String, Arc<NodeSession>>>,
}

impl LocalNode {
    /// Starts a node and returns the client's end of its connection.
    pub fn start(settings: NodeSettings) -> Transport {
        let (client_end, node_end) = memory::pair();
        let (peer, incoming) = Peer::spawn(node_end);
        let node = Arc::new(Node {
            settings,
            client: peer,
            sessions: Mutex::new(HashMap::new()),
        });
        tokio::spawn(node.serve(incoming));
        client_end
    }
}

impl Node {
    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<NodeSession>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn session(&self, params: &Value) -> Result<Arc<NodeSession>, RpcError> {
        let id = params
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::invalid_params("missing sessionId"))?;
        self.sessions()
            .get(id)
            .cloned()
            .ok_or_else(|| RpcError::not_found(format!("no session {id} on this node")))
    }

    async fn serve(self: Arc<Self>, mut incoming: tokio::sync::mpsc::Receiver<Incoming>) {
        while let Some(item) = incoming.recv().await {
            match item {
                Incoming::Request { id, method, params } => {
                    tokio::spawn(self.clone().handle(id, method, params));
                }
                Incoming::Notification { method: m, params } if m == method::SESSION_CANCEL => {
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
                    // The in-process node lives and dies with its client.
                    tracing::info!(%reason, "client gone; closing every session");
                    let all: Vec<_> = self.sessions().drain().map(|(_, s)| s).collect();
                    for s in all {
                        s.close().await;
                    }
                    return;
                }
            }
        }
    }

    async fn handle(self: Arc<Self>, id: Id, m: String, params: Value) {
        if m == method::SESSION_NEW {
            // Answered inside, so the agent's first updates follow the answer.
            self.new_session(id, params).await;
            return;
        }
        let result = match m.as_str() {
            method::INITIALIZE => Ok(self.initialize()),
            method::AUTHENTICATE => Ok(json!({})),
            method::SESSION_PROMPT => match self.session(&params) {
                Ok(s) => s.prompt(params).await,
                Err(e) => Err(e),
            },
            method::SESSION_SET_MODE => match self.session(&params) {
                Ok(s) => s.set_mode(params).await,
                Err(e) => Err(e),
            },
            method::SESSION_LIST => Ok(self.list()),
            method::SESSION_RESUME => self.session(&params).map(|s| self.resume_answer(&s)),
            method::SESSION_CLOSE => match self.session(&params) {
                Ok(s) => {
                    self.sessions().remove(&s.spec.id);
                    s.close().await;
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
        self.client.respond(id, result).await;
    }

    /// A session's transcript, rendered from its journal (live or ended sessions alike).
    async fn transcript(&self, params: &Value) -> Result<Value, RpcError> {
        let id = params
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::invalid_params("missing sessionId"))?;
        let plain = !id.is_empty()
            && id.len() <= 128
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !plain {
            return Err(RpcError::not_found(format!(
                "no session `{}`",
                crate::sanitize::escape_for_log(id, 80)
            )));
        }
        let path = self
            .settings
            .paths
            .sessions_dir()
            .join(format!("{id}.jsonl"));
        let read = tokio::task::spawn_blocking(move || {
            // Records still queued for the writer belong in the transcript too.
            super::journal::flush_all();
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

    async fn new_session(self: Arc<Self>, id: Id, params: Value) {
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
            self.client.respond(id, Err(e)).await;
            return;
        };
        let cwd = match params.get("cwd").and_then(Value::as_str).map(PathBuf::from) {
            Some(cwd) if cwd.is_dir() => cwd,
            Some(cwd) => {
                let e = RpcError::invalid_params(format!(
                    "working directory {} does not exist",
                    cwd.display()
                ));
                self.client.respond(id, Err(e)).await;
                return;
            }
            None => {
                self.client
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
                self.client.respond(id, Err(e.to_rpc())).await;
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
        let session = NodeSession::new(spec, agent, self.client.clone(), journal);
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
        self.client.respond(id, Ok(answer)).await;
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

    fn resume_answer(&self, s: &NodeSession) -> Value {
        json!({ "_meta": s.summary()["_meta"].clone() })
    }

    fn list(&self) -> Value {
        let mut sessions: Vec<Value> = self.sessions().values().map(|s| s.summary()).collect();
        sessions.sort_by_key(|s| s.pointer("/_meta/praxis/createdAt").and_then(Value::as_u64));
        json!({ "sessions": sessions })
    }
}
