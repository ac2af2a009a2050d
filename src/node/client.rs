//! The client's view of a node: typed calls (`session/new` with praxis options, prompt,
//! cancel, close, list, resume, modes, YOLO) and a stream of typed [`NodeEvent`]s. Used by the
//! full-screen UI and the headless runner alike; it knows nothing of either.

use super::status::SessionStatus;
use crate::protocol::acp::{method, praxis_meta, schema, text_prompt, Update, PROTOCOL_VERSION};
use crate::protocol::{Handled, Id, Incoming, Peer, RpcError};
use crate::transport::Transport;
use serde_json::{json, Value};
use std::path::PathBuf;
use tokio::sync::mpsc;

/// Something a node told the client.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeEvent {
    Update {
        session: String,
        update: Update,
    },
    /// The agent asks; answer with [`NodeClient::answer_permission`] using `request`.
    Permission {
        request: Id,
        session: String,
        ask: Box<schema::RequestPermissionRequest>,
    },
    Status {
        session: String,
        status: SessionStatus,
        reason: Option<String>,
    },
    /// YOLO approved a permission request without asking.
    AutoApproved {
        session: String,
        title: String,
        option: String,
    },
    /// The node connection ended.
    Disconnected(String),
}

/// Options for a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    pub agent: String,
    pub cwd: PathBuf,
    pub yolo: bool,
    /// Overrides the node's default prompt timeout.
    pub prompt_timeout_secs: Option<u64>,
}

/// What `session/new` returned.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCreated {
    pub session_id: String,
    pub agent_name: Option<String>,
    pub prompt_timeout_secs: Option<u64>,
    pub modes: Option<Value>,
    pub raw: Value,
}

/// How a prompt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptDone {
    pub stop_reason: String,
    pub timed_out: bool,
    pub raw: Value,
}

/// A session as `session/list` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub session_id: String,
    pub connector: String,
    pub status: SessionStatus,
    pub reason: Option<String>,
    pub yolo: bool,
    pub created_ms: u64,
    pub cwd: Option<PathBuf>,
}

/// An answer to a permission request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionAnswer {
    Selected(String),
    Cancelled,
}

#[derive(Clone)]
pub struct NodeClient {
    peer: Peer,
    handled: Handled,
    /// The node's name and agents, from its `initialize` answer.
    pub node_name: String,
    pub agents: Vec<String>,
}

impl NodeClient {
    /// Connects over `transport`, runs `initialize`, and starts translating events.
    pub async fn connect(
        transport: Transport,
    ) -> Result<(NodeClient, mpsc::UnboundedReceiver<NodeEvent>), RpcError> {
        let (peer, incoming) = Peer::spawn(transport);
        let (tx, rx) = mpsc::unbounded_channel();
        let handled = Handled::default();
        tokio::spawn(translate(peer.clone(), incoming, tx, handled.clone()));
        let init = peer
            .request(
                method::INITIALIZE,
                json!({
                    "protocolVersion": PROTOCOL_VERSION,
                    "clientCapabilities": {},
                    "clientInfo": { "name": "praxis", "version": env!("CARGO_PKG_VERSION") },
                }),
            )
            .await?;
        let node_name = praxis_meta(&init, "node")
            .and_then(Value::as_str)
            .unwrap_or("node")
            .to_string();
        let agents = praxis_meta(&init, "connectors")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok((
            NodeClient {
                peer,
                handled,
                node_name,
                agents,
            },
            rx,
        ))
    }

    pub async fn new_session(&self, opts: &SessionOptions) -> Result<SessionCreated, RpcError> {
        let raw = self
            .peer
            .request(
                method::SESSION_NEW,
                json!({
                    "cwd": opts.cwd,
                    "mcpServers": [],
                    "_meta": { "praxis": {
                        "connector": opts.agent,
                        "yolo": opts.yolo,
                        "promptTimeoutSecs": opts.prompt_timeout_secs,
                    }},
                }),
            )
            .await?;
        let session_id = raw
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::internal("session/new answer has no sessionId"))?
            .to_string();
        Ok(SessionCreated {
            session_id,
            agent_name: praxis_meta(&raw, "agentInfo")
                .and_then(|i| i.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            prompt_timeout_secs: praxis_meta(&raw, "promptTimeoutSecs").and_then(Value::as_u64),
            modes: raw.get("modes").cloned(),
            raw,
        })
    }

    /// Sends a text prompt and waits for the turn to end. Every update the node sent before
    /// the answer is in the event stream by the time this returns.
    pub async fn prompt(&self, session: &str, text: &str) -> Result<PromptDone, RpcError> {
        let (raw, seq) = self
            .peer
            .request_seq(
                method::SESSION_PROMPT,
                json!({ "sessionId": session, "prompt": text_prompt(text) }),
            )
            .await;
        self.handled.reach(seq).await;
        let raw = raw?;
        Ok(PromptDone {
            stop_reason: raw
                .get("stopReason")
                .and_then(Value::as_str)
                .unwrap_or("end_turn")
                .to_string(),
            timed_out: praxis_meta(&raw, "timedOut")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            raw,
        })
    }

    pub fn cancel(&self, session: &str) {
        let _ = self
            .peer
            .notify(method::SESSION_CANCEL, json!({ "sessionId": session }));
    }

    pub async fn close(&self, session: &str) -> Result<(), RpcError> {
        self.peer
            .request(method::SESSION_CLOSE, json!({ "sessionId": session }))
            .await
            .map(|_| ())
    }

    pub async fn resume(&self, session: &str) -> Result<Value, RpcError> {
        self.peer
            .request(
                method::SESSION_RESUME,
                json!({ "sessionId": session, "cwd": ".", "mcpServers": [] }),
            )
            .await
    }

    pub async fn list(&self) -> Result<Vec<SessionSummary>, RpcError> {
        let raw = self.peer.request(method::SESSION_LIST, json!({})).await?;
        let items = raw
            .get("sessions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(items.iter().filter_map(parse_summary).collect())
    }

    pub async fn set_mode(&self, session: &str, mode: &str) -> Result<(), RpcError> {
        self.peer
            .request(
                method::SESSION_SET_MODE,
                json!({ "sessionId": session, "modeId": mode }),
            )
            .await
            .map(|_| ())
    }

    pub async fn set_yolo(&self, session: &str, on: bool) -> Result<bool, RpcError> {
        let v = self
            .peer
            .request(
                method::PRAXIS_SET_OPTIONS,
                json!({ "sessionId": session, "yolo": on }),
            )
            .await?;
        Ok(v.get("yolo").and_then(Value::as_bool).unwrap_or(on))
    }

    pub fn answer_permission(&self, request: Id, answer: PermissionAnswer) {
        let outcome = match answer {
            PermissionAnswer::Selected(option) => {
                json!({ "outcome": "selected", "optionId": option })
            }
            PermissionAnswer::Cancelled => json!({ "outcome": "cancelled" }),
        };
        self.peer
            .respond(request, Ok(json!({ "outcome": outcome })));
    }
}

fn parse_summary(v: &Value) -> Option<SessionSummary> {
    let meta = v.pointer("/_meta/praxis");
    let get = |k: &str| meta.and_then(|m| m.get(k));
    Some(SessionSummary {
        session_id: v.get("sessionId")?.as_str()?.to_string(),
        connector: get("connector")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string(),
        status: get("status")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .unwrap_or(SessionStatus::Idle),
        reason: get("reason").and_then(Value::as_str).map(str::to_owned),
        yolo: get("yolo").and_then(Value::as_bool).unwrap_or(false),
        created_ms: get("createdAt").and_then(Value::as_u64).unwrap_or(0),
        cwd: v.get("cwd").and_then(Value::as_str).map(PathBuf::from),
    })
}

async fn translate(
    peer: Peer,
    mut incoming: mpsc::UnboundedReceiver<Incoming>,
    tx: mpsc::UnboundedSender<NodeEvent>,
    handled: Handled,
) {
    while let Some(item) = incoming.recv().await {
        let event = match item {
            Incoming::Notification { method: m, params } => {
                match m.as_str() {
                    method::SESSION_UPDATE => Some(NodeEvent::Update {
                        session: str_field(&params, "sessionId"),
                        update: Update::from_value(
                            params.get("update").cloned().unwrap_or(Value::Null),
                        ),
                    }),
                    method::PRAXIS_STATUS => serde_json::from_value(params["status"].clone())
                        .ok()
                        .map(|status| NodeEvent::Status {
                            session: str_field(&params, "sessionId"),
                            status,
                            reason: params
                                .get("reason")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                        }),
                    method::PRAXIS_AUTO_APPROVED => Some(NodeEvent::AutoApproved {
                        session: str_field(&params, "sessionId"),
                        title: params
                            .pointer("/toolCall/title")
                            .and_then(Value::as_str)
                            .unwrap_or("tool call")
                            .to_string(),
                        option: str_field(&params, "optionId"),
                    }),
                    _ => None,
                }
            }
            Incoming::Request {
                id,
                method: m,
                params,
            } if m == method::REQUEST_PERMISSION => {
                match serde_json::from_value::<schema::RequestPermissionRequest>(params.clone()) {
                    Ok(ask) => Some(NodeEvent::Permission {
                        request: id,
                        session: str_field(&params, "sessionId"),
                        ask: Box::new(ask),
                    }),
                    Err(e) => {
                        peer.respond(id, Err(RpcError::invalid_params(e)));
                        None
                    }
                }
            }
            Incoming::Request { id, method: m, .. } => {
                peer.respond(id, Err(RpcError::method_not_found(&m)));
                None
            }
            Incoming::Closed(reason) => Some(NodeEvent::Disconnected(reason)),
        };
        if let Some(e) = event {
            if tx.send(e).is_err() {
                break;
            }
        }
        handled.bump();
    }
    handled.finish();
}

fn str_field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
