//! The node's ACP client connection to one agent process: spawning it, the `initialize` /
//! `authenticate` / `session/new` handshake, and typed calls guarded by the capabilities the
//! agent advertised (`session/load`, `session/list`, `session/close`).

use super::connectors::Connector;
use crate::protocol::acp::{method, PROTOCOL_VERSION};
use crate::protocol::jsonrpc::codes;
use crate::protocol::{Incoming, Peer, RpcError};
use crate::transport::stdio::{self, AgentProcess};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long an agent gets to answer the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many frames an agent may send before its handshake is answered that are kept for the
/// session (past that, reading waits, and the handshake's timeout decides).
const EARLY_LIMIT: usize = 4096;

/// An agent's frames for the session's relay: those it sent during the handshake (kept so
/// the handshake's answers could still be read), then the rest as they come.
pub struct AgentEvents {
    early: std::collections::VecDeque<Incoming>,
    rest: mpsc::Receiver<Incoming>,
    /// Frames read and dropped during the handshake (a loaded session's replayed history):
    /// the relay counts them as handled, or a prompt would wait for them forever.
    pub dropped: u64,
}

impl AgentEvents {
    pub async fn recv(&mut self) -> Option<Incoming> {
        match self.early.pop_front() {
            Some(item) => Some(item),
            None => self.rest.recv().await,
        }
    }

    /// The next frame if one is already queued.
    pub fn try_recv(&mut self) -> Option<Incoming> {
        self.early.pop_front().or_else(|| self.rest.try_recv().ok())
    }

    /// Puts a frame back: it is the next one read.
    pub fn put_back(&mut self, item: Incoming) {
        self.early.push_front(item);
    }

    /// Events that are these frames, then the end (tests).
    #[cfg(test)]
    pub fn of(items: Vec<Incoming>) -> AgentEvents {
        let (_tx, rest) = mpsc::channel(1);
        AgentEvents {
            early: items.into(),
            rest,
            dropped: 0,
        }
    }
}

/// A started agent with a live session.
pub struct AgentConn {
    pub peer: Peer,
    pub process: AgentProcess,
    /// The agent's `initialize` result.
    pub init: Value,
    /// The agent's own id for the session.
    pub session_id: String,
    /// The agent's `session/new` result (modes, models, ...).
    pub new_session: Value,
    /// How the session began.
    pub continued: Continued,
}

/// How an agent session began: new, or continuing an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continued {
    New,
    /// `session/resume`: the agent continues without replaying.
    Resumed,
    /// `session/load`: the agent replayed its history (dropped) and continues.
    Loaded,
}

/// Why an agent could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Spawn(#[from] stdio::SpawnError),
    #[error("agent `{agent}` failed during {step}: {error}")]
    Handshake {
        agent: String,
        step: &'static str,
        error: RpcError,
    },
    #[error("agent `{agent}` requires authentication ({methods}); {detail}")]
    AuthRequired {
        agent: String,
        methods: String,
        detail: String,
    },
}

impl StartError {
    pub fn to_rpc(&self) -> RpcError {
        let code = match self {
            StartError::AuthRequired { .. } => codes::AUTH_REQUIRED,
            _ => codes::INTERNAL_ERROR,
        };
        RpcError::new(code, self.to_string())
    }
}

/// The capabilities praxis offers agents: file access (confined to the session's cwd), no
/// terminals.
pub fn client_capabilities() -> Value {
    json!({
        "fs": { "readTextFile": true, "writeTextFile": true },
        "terminal": false,
        "session": { "configOptions": { "boolean": {} } },
    })
}

impl AgentConn {
    /// Spawns `connector` in `cwd` and opens a session. Returns the connection and the agent's
    /// incoming frames (not yet consumed, so nothing is lost before the caller is ready).
    pub async fn start(
        connector: &Connector,
        cwd: &Path,
        mcp_servers: Value,
        stderr_log: &Path,
    ) -> Result<(AgentConn, AgentEvents), StartError> {
        Self::start_or_continue(connector, cwd, mcp_servers, stderr_log, None).await
    }

    /// Like [`AgentConn::start`], but first tries to continue the agent's session `earlier`
    /// (the agent's own id): `session/resume` when the agent advertises it, else
    /// `session/load` (the history it replays is dropped: the node has it in its journal),
    /// else, or when that fails, a new session. [`AgentConn::continued`] says which.
    pub async fn start_or_continue(
        connector: &Connector,
        cwd: &Path,
        mcp_servers: Value,
        stderr_log: &Path,
        earlier: Option<&str>,
    ) -> Result<(AgentConn, AgentEvents), StartError> {
        let (process, transport) = stdio::spawn(&connector.command, cwd, stderr_log)?;
        let (peer, mut incoming) = Peer::spawn(transport);
        let agent = connector.name.clone();
        let fail = |step: &'static str| {
            let agent = agent.clone();
            move |error: RpcError| StartError::Handshake { agent, step, error }
        };
        let mut early = std::collections::VecDeque::new();
        // While the agent loads an earlier session, the history it replays is not kept.
        let discard_updates = AtomicBool::new(false);
        let mut dropped = 0;
        let result = {
            let handshake = async {
                let init = timed(peer.request(
                    method::INITIALIZE,
                    json!({
                        "protocolVersion": PROTOCOL_VERSION,
                        "clientCapabilities": client_capabilities(),
                        "clientInfo": { "name": "praxis", "version": env!("CARGO_PKG_VERSION") },
                    }),
                ))
                .await
                .map_err(fail("initialize"))?;
                let params = json!({ "cwd": cwd, "mcpServers": mcp_servers });
                if let Some(earlier) = earlier {
                    let again =
                        json!({ "sessionId": earlier, "cwd": cwd, "mcpServers": mcp_servers });
                    let how = if has_capability(&init, "resume") {
                        Some((method::SESSION_RESUME, Continued::Resumed))
                    } else if supports_load(&init) {
                        Some((method::SESSION_LOAD, Continued::Loaded))
                    } else {
                        None
                    };
                    if let Some((m, continued)) = how {
                        discard_updates.store(true, Ordering::Relaxed);
                        let answer = timed(peer.request(m, again)).await;
                        discard_updates.store(false, Ordering::Relaxed);
                        match answer {
                            Ok(a) if a.is_object() || a.is_null() => {
                                let a = if a.is_null() { json!({}) } else { a };
                                return Ok((init, earlier.to_string(), a, continued));
                            }
                            Ok(_) => tracing::warn!(
                                "{m} answered with a non-object; starting a new session"
                            ),
                            Err(e) => {
                                tracing::warn!(error = %e, "{m} failed; starting a new session")
                            }
                        }
                    }
                }
                let new_session = match timed(peer.request(method::SESSION_NEW, params.clone()))
                    .await
                {
                    Err(e) if e.code == codes::AUTH_REQUIRED => {
                        authenticate(&peer, &init, connector, &e).await?;
                        match timed(peer.request(method::SESSION_NEW, params)).await {
                            Err(e) if e.code == codes::AUTH_REQUIRED => {
                                return Err(auth_required(
                                    &init,
                                    connector,
                                    format!("it still refuses after authenticating: {}", e.message),
                                ))
                            }
                            other => other.map_err(fail("session/new"))?,
                        }
                    }
                    other => other.map_err(fail("session/new"))?,
                };
                let session_id = new_session
                    .get("sessionId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        fail("session/new")(RpcError::internal("the answer has no sessionId"))
                    })?
                    .to_string();
                Ok((init, session_id, new_session, Continued::New))
            };
            tokio::pin!(handshake);
            // Frames sent before the answers are taken in meanwhile, so they cannot hold the
            // answers up behind them.
            loop {
                tokio::select! {
                    r = &mut handshake => break r,
                    Some(item) = incoming.recv(), if early.len() < EARLY_LIMIT => {
                        let replayed = matches!(&item, Incoming::Notification { method: m, .. } if m == method::SESSION_UPDATE);
                        if replayed && discard_updates.load(Ordering::Relaxed) {
                            dropped += 1;
                        } else {
                            early.push_back(item);
                        }
                    }
                }
            }
        };
        let incoming = AgentEvents {
            early,
            rest: incoming,
            dropped,
        };
        match result {
            Ok((init, session_id, new_session, continued)) => Ok((
                AgentConn {
                    peer,
                    process,
                    init,
                    session_id,
                    new_session,
                    continued,
                },
                incoming,
            )),
            Err(e) => {
                process.terminate(Duration::from_secs(1)).await;
                Err(e)
            }
        }
    }

    /// Whether the agent advertised `agentCapabilities.sessionCapabilities.<name>`.
    pub fn has_session_capability(&self, name: &str) -> bool {
        has_capability(&self.init, name)
    }

    pub fn supports_load(&self) -> bool {
        supports_load(&self.init)
    }

    /// `session/list` on the agent, when it advertises it.
    pub async fn list_sessions(&self) -> Result<Value, RpcError> {
        if !self.has_session_capability("list") {
            return Err(RpcError::method_not_found(
                "session/list (not advertised by the agent)",
            ));
        }
        self.peer.request(method::SESSION_LIST, json!({})).await
    }

    /// `session/load` on the agent, when it advertises it (history arrives as updates).
    pub async fn load_session(&self, session_id: &str, cwd: &Path) -> Result<Value, RpcError> {
        if !self.supports_load() {
            return Err(RpcError::method_not_found(
                "session/load (not advertised by the agent)",
            ));
        }
        self.peer
            .request(
                method::SESSION_LOAD,
                json!({ "sessionId": session_id, "cwd": cwd, "mcpServers": [] }),
            )
            .await
    }

    /// `session/close` on the agent when it advertises it; errors are not fatal.
    pub async fn close_session(&self) {
        if self.has_session_capability("close") {
            let call = self.peer.request(
                method::SESSION_CLOSE,
                json!({ "sessionId": self.session_id }),
            );
            if let Ok(Err(e)) = tokio::time::timeout(Duration::from_secs(2), call).await {
                tracing::debug!(error = %e, "agent refused session/close");
            }
        }
    }
}

fn has_capability(init: &Value, name: &str) -> bool {
    init.pointer(&format!("/agentCapabilities/sessionCapabilities/{name}"))
        .is_some_and(|v| !v.is_null())
}

fn supports_load(init: &Value) -> bool {
    init.pointer("/agentCapabilities/loadSession")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

async fn timed(
    call: impl std::future::Future<Output = Result<Value, RpcError>>,
) -> Result<Value, RpcError> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(RpcError::internal(format!(
                "no answer within {} s",
                HANDSHAKE_TIMEOUT.as_secs()
            )))
        })
}

fn offered_methods(init: &Value) -> Vec<String> {
    init.get("authMethods")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn auth_required(init: &Value, connector: &Connector, detail: String) -> StartError {
    let offered = offered_methods(init);
    StartError::AuthRequired {
        agent: connector.name.clone(),
        methods: if offered.is_empty() {
            "it offers no auth methods".to_string()
        } else {
            format!("methods: {}", offered.join(", "))
        },
        detail,
    }
}

/// Answers an agent's demand for authentication with the method configured for it
/// (`auth_method`). Without one, praxis does not guess: methods such as OAuth are interactive
/// (they take over the agent's stdio or open a browser), so the user is told what to set.
async fn authenticate(
    peer: &Peer,
    init: &Value,
    connector: &Connector,
    demand: &RpcError,
) -> Result<(), StartError> {
    let Some(method_id) = connector.auth_method.clone() else {
        return Err(auth_required(
            init,
            connector,
            format!(
                "the agent said: {}. Set its credentials (for example an API key under [agents.{name}.env]) or choose a method with auth_method under [agents.{name}] in config.toml",
                demand.message,
                name = connector.name
            ),
        ));
    };
    match timed(peer.request(method::AUTHENTICATE, json!({ "methodId": method_id }))).await {
        Ok(_) => Ok(()),
        Err(e) => Err(auth_required(
            init,
            connector,
            format!(
                "authenticating with `{method_id}` failed: {}. Configure the agent's credentials (for example an API key under [agents.{}.env] in config.toml) and try again",
                e.message, connector.name
            ),
        )),
    }
}
