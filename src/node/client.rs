//! The client's view of a node: typed calls (`session/new` with praxis options, prompt,
//! cancel, close, list, resume, modes, YOLO) and a bounded stream of typed [`NodeEvent`]s.
//! Used by the full-screen UI and the headless runner alike; it knows nothing of either.
//!
//! This is where agent-controlled text enters the client, so it is sanitized here, once, for
//! every front end: every string of every event, answer and error is stripped of escape
//! sequences and control characters. Message and thought chunks go through a per-session
//! stateful [`Sanitizer`], so a sequence split across two chunks is removed whole.
//!
//! Consecutive text chunks of one session that are already queued are merged into one event
//! (up to [`COALESCE_LIMIT`] bytes) before they cross into the UI, so a flood of tiny chunks
//! costs one event per burst, not one per chunk.

pub use crate::node_api::{
    Modes, NodeEvent, PermissionAnswer, PromptDone, SessionCreated, SessionOptions, SessionStatus,
    SessionSummary, StopReason, Usage,
};
use crate::protocol::acp::{method, praxis_meta, schema, text_prompt, Update, PROTOCOL_VERSION};
use crate::protocol::{Handled, Id, Incoming, Peer, RpcError};
use crate::sanitize::{sanitize, sanitize_json, Sanitizer};
use crate::wire::Transport;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::sync::mpsc;

/// How many events the stream holds before the node's relay waits.
pub const EVENT_CAPACITY: usize = 256;

/// The most text one merged chunk event carries.
pub const COALESCE_LIMIT: usize = 16 * 1024;

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
    ) -> Result<(NodeClient, mpsc::Receiver<NodeEvent>), RpcError> {
        let (peer, incoming) = Peer::spawn(transport);
        let (tx, rx) = mpsc::channel(EVENT_CAPACITY);
        let handled = Handled::default();
        tokio::spawn(translate(peer.clone(), incoming, tx, handled.clone()));
        let init = request(
            &peer,
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

    /// A request whose answer and error are sanitized.
    async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        request(&self.peer, method, params).await
    }

    pub async fn new_session(&self, opts: &SessionOptions) -> Result<SessionCreated, RpcError> {
        let raw = self
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
            modes: raw.get("modes").map(modes),
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
        let raw = clean(raw)?;
        Ok(PromptDone {
            stop_reason: StopReason::from_wire(
                raw.get("stopReason")
                    .and_then(Value::as_str)
                    .unwrap_or("end_turn"),
            ),
            timed_out: praxis_meta(&raw, "timedOut")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            usage: usage(&raw),
        })
    }

    pub async fn cancel(&self, session: &str) {
        let _ = self
            .peer
            .notify(method::SESSION_CANCEL, json!({ "sessionId": session }))
            .await;
    }

    pub async fn close(&self, session: &str) -> Result<(), RpcError> {
        self.request(method::SESSION_CLOSE, json!({ "sessionId": session }))
            .await
            .map(|_| ())
    }

    pub async fn resume(&self, session: &str) -> Result<Value, RpcError> {
        self.request(
            method::SESSION_RESUME,
            json!({ "sessionId": session, "cwd": ".", "mcpServers": [] }),
        )
        .await
    }

    pub async fn list(&self) -> Result<Vec<SessionSummary>, RpcError> {
        let raw = self.request(method::SESSION_LIST, json!({})).await?;
        let items = raw
            .get("sessions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(items.iter().filter_map(parse_summary).collect())
    }

    pub async fn set_mode(&self, session: &str, mode: &str) -> Result<(), RpcError> {
        self.request(
            method::SESSION_SET_MODE,
            json!({ "sessionId": session, "modeId": mode }),
        )
        .await
        .map(|_| ())
    }

    /// The session's transcript as Markdown, rendered by the node from its journal.
    pub async fn transcript(&self, session: &str) -> Result<String, RpcError> {
        let v = self
            .request(method::PRAXIS_TRANSCRIPT, json!({ "sessionId": session }))
            .await?;
        v.get("markdown")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| RpcError::internal("the transcript answer has no markdown"))
    }

    pub async fn set_yolo(&self, session: &str, on: bool) -> Result<bool, RpcError> {
        let v = self
            .request(
                method::PRAXIS_SET_OPTIONS,
                json!({ "sessionId": session, "yolo": on }),
            )
            .await?;
        Ok(v.get("yolo").and_then(Value::as_bool).unwrap_or(on))
    }

    pub async fn answer_permission(&self, request: Id, answer: PermissionAnswer) {
        let outcome = match answer {
            PermissionAnswer::Selected(option) => {
                json!({ "outcome": "selected", "optionId": option })
            }
            PermissionAnswer::Cancelled => json!({ "outcome": "cancelled" }),
        };
        self.peer
            .respond(request, Ok(json!({ "outcome": outcome })))
            .await;
    }
}

async fn request(peer: &Peer, method: &str, params: Value) -> Result<Value, RpcError> {
    clean(peer.request(method, params).await)
}

/// Sanitizes an answer from the node: every string of a result, an error's message and data.
fn clean(result: Result<Value, RpcError>) -> Result<Value, RpcError> {
    match result {
        Ok(mut v) => {
            sanitize_json(&mut v);
            Ok(v)
        }
        Err(mut e) => {
            e.message = sanitize(&e.message);
            if let Some(d) = e.data.as_mut() {
                sanitize_json(d);
            }
            Err(e)
        }
    }
}

/// A session's modes from `session/new`'s `modes`.
fn modes(v: &Value) -> Modes {
    Modes {
        current: v
            .get("currentModeId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        available: v
            .get("availableModes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect(),
    }
}

/// A prompt answer's `usage`, when it has both token counts.
fn usage(raw: &Value) -> Option<Usage> {
    let u = raw.get("usage")?;
    Some(Usage {
        input_tokens: u.get("inputTokens")?.as_u64()?,
        output_tokens: u.get("outputTokens")?.as_u64()?,
    })
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

/// A text chunk waiting to be merged with the ones queued behind it.
struct PendingChunk {
    session: String,
    kind: &'static str,
    /// The first chunk's update (its other fields kept); its text is replaced on sending.
    update: Value,
    text: String,
    /// How many incoming items it stands for (each is counted as handled once it is sent).
    items: u64,
}

/// The text chunk kinds that are merged and sanitized as streams.
fn chunk_kind(update: &Value) -> Option<&'static str> {
    let kind = update.get("sessionUpdate")?.as_str()?;
    let kind = [
        "agent_message_chunk",
        "agent_thought_chunk",
        "user_message_chunk",
    ]
    .into_iter()
    .find(|k| *k == kind)?;
    let content = update.get("content")?;
    (content.get("type")?.as_str()? == "text" && content.get("text")?.is_string()).then_some(kind)
}

impl PendingChunk {
    fn into_event(self) -> NodeEvent {
        let mut update = self.update;
        sanitize_json(&mut update);
        if let Some(t) = update.pointer_mut("/content/text") {
            *t = Value::String(self.text);
        }
        NodeEvent::Update {
            session: self.session,
            update: Update::from_value(update),
        }
    }
}

/// Turns the node's frames into events: sanitized, text chunks merged, in order.
async fn translate(
    peer: Peer,
    mut incoming: mpsc::Receiver<Incoming>,
    tx: mpsc::Sender<NodeEvent>,
    handled: Handled,
) {
    let _finish = handled.finish_on_drop();
    let mut streams: HashMap<(String, &'static str), Sanitizer> = HashMap::new();
    let mut pending: Option<PendingChunk> = None;
    loop {
        let item = if pending.is_some() {
            match incoming.try_recv() {
                Ok(item) => Some(item),
                Err(mpsc::error::TryRecvError::Empty) => None,
                Err(mpsc::error::TryRecvError::Disconnected) => None,
            }
        } else {
            match incoming.recv().await {
                Some(item) => Some(item),
                None => return,
            }
        };
        let Some(item) = item else {
            // Nothing more queued: the merged chunk goes out now.
            if !flush(&mut pending, &tx, &handled).await {
                return;
            }
            continue;
        };
        // A text chunk: merge it into the pending one when it continues it.
        if let Incoming::Notification { method: m, params } = &item {
            if m == method::SESSION_UPDATE {
                if let Some(update) = params.get("update") {
                    if let Some(kind) = chunk_kind(update) {
                        let session = str_field(params, "sessionId");
                        let raw = update
                            .pointer("/content/text")
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        let text = streams
                            .entry((session.clone(), kind))
                            .or_default()
                            .push(raw);
                        match &mut pending {
                            Some(p)
                                if p.session == session
                                    && p.kind == kind
                                    && p.text.len() < COALESCE_LIMIT =>
                            {
                                p.text.push_str(&text);
                                p.items += 1;
                            }
                            _ => {
                                if !flush(&mut pending, &tx, &handled).await {
                                    return;
                                }
                                pending = Some(PendingChunk {
                                    session,
                                    kind,
                                    update: update.clone(),
                                    text,
                                    items: 1,
                                });
                            }
                        }
                        continue;
                    }
                }
            }
        }
        if !flush(&mut pending, &tx, &handled).await {
            return;
        }
        if let Incoming::Notification { method: m, params } = &item {
            let ended = matches!(
                params.get("status").and_then(Value::as_str),
                Some("idle" | "failed" | "closed")
            );
            if m == method::PRAXIS_STATUS && ended {
                // A turn ended (or the session did): an unterminated sequence does not
                // swallow the next turn's text.
                let session = str_field(params, "sessionId");
                streams.retain(|(s, _), _| *s != session);
            }
        }
        let event = event_of(&peer, item).await;
        if let Some(e) = event {
            if tx.send(e).await.is_err() {
                return;
            }
        }
        handled.bump();
    }
}

/// Sends the merged chunk, if any, and counts the items it stands for as handled. False when
/// nobody reads events any more.
async fn flush(
    pending: &mut Option<PendingChunk>,
    tx: &mpsc::Sender<NodeEvent>,
    handled: &Handled,
) -> bool {
    let Some(p) = pending.take() else {
        return true;
    };
    let items = p.items;
    if tx.send(p.into_event()).await.is_err() {
        return false;
    }
    for _ in 0..items {
        handled.bump();
    }
    true
}

/// The event for one (non-chunk) item, its strings sanitized; requests the client cannot
/// serve are answered here.
async fn event_of(peer: &Peer, item: Incoming) -> Option<NodeEvent> {
    match item {
        Incoming::Notification {
            method: m,
            mut params,
        } => {
            sanitize_json(&mut params);
            match m.as_str() {
                method::SESSION_UPDATE => Some(NodeEvent::Update {
                    session: str_field(&params, "sessionId"),
                    update: Update::from_value(
                        params.get("update").cloned().unwrap_or(Value::Null),
                    ),
                }),
                method::PRAXIS_STATUS => params
                    .get("status")
                    .and_then(|s| serde_json::from_value(s.clone()).ok())
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
                method::PRAXIS_NOTICE => Some(NodeEvent::Notice {
                    session: str_field(&params, "sessionId"),
                    message: str_field(&params, "message"),
                }),
                _ => None,
            }
        }
        Incoming::Request {
            id,
            method: m,
            mut params,
        } if m == method::REQUEST_PERMISSION => {
            sanitize_json(&mut params);
            match serde_json::from_value::<schema::RequestPermissionRequest>(params.clone()) {
                Ok(ask) => Some(NodeEvent::Permission {
                    request: id,
                    session: str_field(&params, "sessionId"),
                    ask: Box::new(ask),
                }),
                Err(e) => {
                    peer.respond(id, Err(RpcError::invalid_params(e))).await;
                    None
                }
            }
        }
        Incoming::Request { id, method: m, .. } => {
            peer.respond(id, Err(RpcError::method_not_found(&m))).await;
            None
        }
        Incoming::Skipped(why) => {
            tracing::warn!(%why, "a frame from the node was skipped");
            None
        }
        Incoming::Closed(reason) => Some(NodeEvent::Disconnected(sanitize(&reason))),
    }
}

fn str_field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::memory;

    /// A client connected to a bare peer playing the node.
    async fn connected() -> (NodeClient, mpsc::Receiver<NodeEvent>, Peer) {
        let (client_end, node_end) = memory::pair();
        let (node, mut node_in) = Peer::spawn(node_end);
        let answering = node.clone();
        tokio::spawn(async move {
            while let Some(item) = node_in.recv().await {
                if let Incoming::Request { id, .. } = item {
                    answering
                        .respond(id, Ok(json!({ "protocolVersion": 1, "_meta": { "praxis": { "node": "t\u{1b}]0;x\u{7}" } } })))
                        .await;
                }
            }
        });
        let (client, events) = NodeClient::connect(client_end).await.unwrap();
        (client, events, node)
    }

    fn chunk(text: &str) -> Value {
        json!({ "sessionId": "s", "update": { "sessionUpdate": "agent_message_chunk", "content": { "type": "text", "text": text } } })
    }

    #[tokio::test]
    async fn chunks_are_sanitized_as_a_stream_and_merged() {
        let (client, mut events, node) = connected().await;
        assert_eq!(client.node_name, "t");
        let sender = tokio::spawn(async move {
            node.notify(method::SESSION_UPDATE, chunk("a\u{1b}]52;c;UFdO"))
                .await
                .unwrap();
            node.notify(method::SESSION_UPDATE, chunk("RUQ=\u{7}b"))
                .await
                .unwrap();
            for _ in 0..2000 {
                node.notify(method::SESSION_UPDATE, chunk("c"))
                    .await
                    .unwrap();
            }
            node.notify(
                method::PRAXIS_STATUS,
                json!({ "sessionId": "s", "status": "idle", "reason": "\u{9b}2Jdone" }),
            )
            .await
            .unwrap();
        });
        let mut text = String::new();
        let mut updates = 0;
        let reason = loop {
            match events.recv().await.expect("events") {
                NodeEvent::Update { update, .. } => {
                    updates += 1;
                    let Update::Known(u) = update else {
                        panic!("unknown")
                    };
                    let schema::SessionUpdate::AgentMessageChunk(c) = *u else {
                        panic!("not a chunk")
                    };
                    text.push_str(crate::protocol::acp::content_text(&c.content).unwrap());
                }
                NodeEvent::Status { reason, .. } => break reason,
                other => panic!("unexpected {other:?}"),
            }
        };
        sender.await.unwrap();
        assert_eq!(text, format!("ab{}", "c".repeat(2000)));
        assert_eq!(reason.as_deref(), Some("done"));
        assert!(
            updates < 1000,
            "{updates} events for 2002 chunks: not merged"
        );
    }
}
