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

/// Turns the node's frames into events: sanitized, text chunks merged, in order.
pub(super) async fn translate(
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
