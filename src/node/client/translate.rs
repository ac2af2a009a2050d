//! The client's inbound half: the node's frames become [`NodeEvent`]s, sanitized, with a
//! session's consecutive text chunks merged (up to [`COALESCE_LIMIT`] bytes) when they are
//! already queued, in the order the node sent them.

use super::COALESCE_LIMIT;
use crate::node_api::NodeEvent;
use crate::protocol::acp::{method, schema, Update};
use crate::protocol::{Handled, Incoming, Peer, RpcError};
use crate::sanitize::{sanitize, sanitize_json, Sanitizer};
use serde_json::Value;
use std::collections::HashMap;
use tokio::sync::mpsc;

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

/// Where a client's events go: its own stream, or one shared by several nodes' clients
/// (tagged with the node's index), so that one loop reads every node in arrival order.
#[derive(Clone)]
pub enum Sink {
    Own(mpsc::Sender<NodeEvent>),
    Shared(usize, mpsc::Sender<(usize, NodeEvent)>),
}

impl Sink {
    async fn send(&self, e: NodeEvent) -> bool {
        match self {
            Sink::Own(tx) => tx.send(e).await.is_ok(),
            Sink::Shared(node, tx) => tx.send((*node, e)).await.is_ok(),
        }
    }
}

/// What the translation remembers of each session: the newest sequence number applied
/// (frames at or below it are duplicates and dropped; it is the cursor a resume sends) and
/// the permission requests it was asked, by the node's permission id.
#[derive(Default)]
pub struct Seen {
    pub last_seq: HashMap<String, u64>,
    permissions: HashMap<(String, u64), crate::protocol::Id>,
}

pub type SharedSeen = std::sync::Arc<std::sync::Mutex<Seen>>;

fn lock(seen: &SharedSeen) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether a node frame was seen already (by its `_meta.praxis.seq`); records it if not.
fn duplicate(seen: &SharedSeen, item: &Incoming) -> bool {
    let Incoming::Notification { params, .. } = item else {
        return false;
    };
    let Some(seq) = crate::protocol::acp::praxis_meta(params, "seq").and_then(Value::as_u64) else {
        return false;
    };
    let session = str_field(params, "sessionId");
    let mut s = lock(seen);
    let last = s.last_seq.entry(session).or_insert(0);
    if seq <= *last {
        return true;
    }
    *last = seq;
    false
}

/// Turns the node's frames into events: sanitized, text chunks merged, in order.
pub(super) async fn translate(
    peer: Peer,
    mut incoming: mpsc::Receiver<Incoming>,
    tx: Sink,
    handled: Handled,
    seen: SharedSeen,
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
        if item.as_ref().is_some_and(|i| duplicate(&seen, i)) {
            handled.bump();
            continue;
        }
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
        let event = event_of(&peer, item, &seen).await;
        if let Some(e) = event {
            if !tx.send(e).await {
                return;
            }
        }
        handled.bump();
    }
}

/// Sends the merged chunk, if any, and counts the items it stands for as handled. False when
/// nobody reads events any more.
async fn flush(pending: &mut Option<PendingChunk>, tx: &Sink, handled: &Handled) -> bool {
    let Some(p) = pending.take() else {
        return true;
    };
    let items = p.items;
    if !tx.send(p.into_event()).await {
        return false;
    }
    for _ in 0..items {
        handled.bump();
    }
    true
}

/// The event for one (non-chunk) item, its strings sanitized; requests the client cannot
/// serve are answered here.
async fn event_of(peer: &Peer, item: Incoming, seen: &SharedSeen) -> Option<NodeEvent> {
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
                    info: params.get("level").and_then(Value::as_str) == Some("info"),
                }),
                method::PRAXIS_PROMPTED => Some(NodeEvent::Prompted {
                    session: str_field(&params, "sessionId"),
                    text: params
                        .get("prompt")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|b| b.get("text").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join("\n"),
                }),
                method::PRAXIS_TURN_ENDED => Some(NodeEvent::TurnEnded {
                    session: str_field(&params, "sessionId"),
                    stop_reason: params
                        .get("stopReason")
                        .and_then(Value::as_str)
                        .map(crate::node_api::StopReason::from_wire),
                    error: params
                        .get("error")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    queued: params.get("queued").and_then(Value::as_u64).unwrap_or(0) as usize,
                    seq: crate::protocol::acp::praxis_meta(&params, "seq")
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                }),
                method::PRAXIS_PERMISSION_RESOLVED => {
                    let session = str_field(&params, "sessionId");
                    let pid = params.get("permissionId").and_then(Value::as_u64)?;
                    let request = lock(seen).permissions.remove(&(session.clone(), pid))?;
                    let option = params
                        .pointer("/outcome/optionId")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    Some(NodeEvent::PermissionResolved {
                        session,
                        request,
                        option,
                    })
                }
                _ => None,
            }
        }
        Incoming::Request {
            id,
            method: m,
            mut params,
        } if m == method::REQUEST_PERMISSION => {
            sanitize_json(&mut params);
            let pid =
                crate::protocol::acp::praxis_meta(&params, "permissionId").and_then(Value::as_u64);
            match serde_json::from_value::<schema::RequestPermissionRequest>(params.clone()) {
                Ok(ask) => {
                    let session = str_field(&params, "sessionId");
                    if let Some(pid) = pid {
                        lock(seen)
                            .permissions
                            .insert((session.clone(), pid), id.clone());
                    }
                    Some(NodeEvent::Permission {
                        request: id,
                        session,
                        ask: Box::new(ask),
                    })
                }
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
