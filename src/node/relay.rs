//! The agent → client direction of one session: `session/update` is journaled and forwarded
//! with the node's session id; permission requests are auto-approved under YOLO or forwarded
//! to the client (and answered `cancelled` if the prompt is cancelled first); `fs/*` is served
//! inside the cwd, off the async runtime and under the prompt timeout; frames the transport
//! skipped become notices; anything else gets -32601.
//!
//! The agent is untrusted: a frame of the wrong shape is refused (requests, with -32602) or
//! skipped with a log line (notifications), never indexed blindly.

use super::agent::AgentEvents;
use super::fs;
use super::session::{kind_of, NodeSession};
use crate::node_api::SessionStatus;
use crate::protocol::acp::{method, set_field};
use crate::protocol::{Id, Incoming, RpcError};
use crate::sanitize::escape_for_log;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::oneshot;

/// Relays the agent's frames until its connection closes.
pub(super) async fn run(session: Arc<NodeSession>, mut incoming: AgentEvents) {
    // Waiters on `handled` are released however this ends.
    let _finish = session.handled.finish_on_drop();
    session.handled.bump_by(incoming.dropped);
    while let Some(item) = incoming.recv().await {
        match item {
            Incoming::Notification { method: m, params } if m == method::SESSION_UPDATE => {
                let (params, merged) = coalesce(params, &mut incoming);
                forward_update(&session, params).await;
                session.handled.bump_by(merged);
            }
            Incoming::Notification { method: m, .. } => {
                tracing::debug!(method = %escape_for_log(&m, 80), "ignored a notification from the agent");
            }
            Incoming::Request {
                id,
                method: m,
                params,
            } => match m.as_str() {
                method::REQUEST_PERMISSION => match check_permission(&params) {
                    Ok(()) => {
                        tokio::spawn(on_permission(session.clone(), id, params));
                    }
                    Err(e) => session.agent.peer.respond(id, Err(e)).await,
                },
                method::FS_READ | method::FS_WRITE => {
                    tokio::spawn(on_fs(session.clone(), id, m, params));
                }
                _ => {
                    session
                        .agent
                        .peer
                        .respond(id, Err(RpcError::method_not_found(&m)))
                        .await
                }
            },
            Incoming::Skipped(why) => session.notice("warning", why).await,
            Incoming::Closed(reason) => {
                session.handled.finish();
                on_agent_closed(&session, reason).await;
                return;
            }
        }
        session.handled.bump();
    }
}

async fn forward_update(session: &NodeSession, mut params: Value) {
    let update_ok = params.get("update").is_some_and(Value::is_object);
    if !update_ok || set_field(&mut params, "sessionId", json!(session.spec.id)).is_err() {
        tracing::warn!(
            session = %session.spec.id,
            params = %escape_for_log(&params.to_string(), 120),
            "skipped a session/update whose params are {}",
            if params.is_object() { "missing an `update` object" } else { kind_of(&params) }
        );
        return;
    }
    let update = params.get("update").cloned().unwrap_or(Value::Null);
    if session.replaying_history() && is_history(&update) {
        // A loaded session's history, sent after the load's answer: the client has it
        // from the journal already.
        return;
    }
    match update.get("sessionUpdate").and_then(Value::as_str) {
        Some("session_info_update") => {
            if let Some(title) = update.get("title").and_then(Value::as_str) {
                session.agent_title(title);
            }
        }
        Some("config_option_update") => {
            if let Some(options) = update.get("configOptions").filter(|o| o.is_array()) {
                session.heard_config_options(options);
            }
        }
        Some("current_mode_update") => {
            if let Some(mode) = update.get("currentModeId").filter(|m| m.is_string()) {
                session.heard_mode(mode);
            }
        }
        _ => {}
    }
    let seq = session.out.emit(method::SESSION_UPDATE, params, None).await;
    session.journal.append_seq("update", update, seq);
}

/// The most text one merged chunk carries.
const COALESCE_BYTES: usize = 16 * 1024;

/// A text chunk (`agent_message_chunk`, `agent_thought_chunk`) that carries nothing but its
/// text: its kind, when `params` is one.
fn plain_chunk(params: &Value) -> Option<&str> {
    let p = params.as_object()?;
    let update = p.get("update")?.as_object()?;
    let content = update.get("content")?.as_object()?;
    let kind = update.get("sessionUpdate")?.as_str()?;
    let plain = p.keys().all(|k| k == "sessionId" || k == "update")
        && update.len() == 2
        && content.len() == 2
        && content.get("type")?.as_str()? == "text"
        && content.get("text")?.is_string();
    (plain && matches!(kind, "agent_message_chunk" | "agent_thought_chunk")).then_some(kind)
}

/// Joins the plain text chunks of one kind already queued behind `params` into it (up to
/// [`COALESCE_BYTES`]), so a flood of tiny chunks crosses the node as a few updates: each is
/// journaled, numbered and sent once. Returns the update and how many frames it took in
/// besides its own (they count as handled too).
fn coalesce(mut params: Value, incoming: &mut AgentEvents) -> (Value, u64) {
    let Some(kind) = plain_chunk(&params).map(str::to_owned) else {
        return (params, 0);
    };
    let Some(Value::String(text)) = params.pointer_mut("/update/content/text").map(Value::take)
    else {
        return (params, 0);
    };
    let mut text = text;
    let mut merged = 0;
    while text.len() < COALESCE_BYTES {
        match incoming.try_recv() {
            Some(Incoming::Notification {
                method: m,
                params: next,
            }) if m == method::SESSION_UPDATE && plain_chunk(&next) == Some(kind.as_str()) => {
                if let Some(t) = next.pointer("/update/content/text").and_then(Value::as_str) {
                    text.push_str(t);
                }
                merged += 1;
            }
            Some(other) => {
                incoming.put_back(other);
                break;
            }
            None => break,
        }
    }
    if let Some(slot) = params.pointer_mut("/update/content/text") {
        *slot = Value::String(text);
    }
    (params, merged)
}

/// Whether an update is conversation content (what `session/load` replays), as opposed to
/// session state (commands, mode, title, usage) that stays current.
fn is_history(update: &Value) -> bool {
    matches!(
        update.get("sessionUpdate").and_then(Value::as_str),
        Some(
            "user_message_chunk"
                | "agent_message_chunk"
                | "agent_thought_chunk"
                | "tool_call"
                | "tool_call_update"
                | "plan"
        )
    )
}

/// A permission request must carry an object with an `options` array.
fn check_permission(params: &Value) -> Result<(), RpcError> {
    if !params.is_object() {
        return Err(RpcError::invalid_params(format!(
            "session/request_permission params are {}, not an object",
            kind_of(params)
        )));
    }
    if !params.get("options").is_some_and(Value::is_array) {
        return Err(RpcError::invalid_params(
            "session/request_permission needs an `options` array",
        ));
    }
    Ok(())
}

async fn on_agent_closed(session: &NodeSession, reason: String) {
    let waiters = {
        let mut i = session.lock();
        if i.closing {
            return;
        }
        std::mem::take(&mut i.permission_waiters)
    };
    for w in waiters {
        let _ = w.send(());
    }
    tracing::warn!(session = %session.spec.id, %reason, "agent connection closed");
    session
        .set_status(SessionStatus::Failed, Some(reason))
        .await;
    // An agent that closed its output but kept running is of no more use: end its group.
    session.agent.process.terminate(session.spec.grace).await;
}

async fn on_permission(session: Arc<NodeSession>, id: Id, mut params: Value) {
    session.journal.append("permission_request", params.clone());
    if session.yolo() {
        if let Some(option) = allow_option(&params) {
            session
                .journal
                .append("permission", json!({ "auto": true, "optionId": option }));
            session
                .out
                .emit(
                    method::PRAXIS_AUTO_APPROVED,
                    json!({ "sessionId": session.spec.id, "toolCall": params.get("toolCall"), "optionId": option }),
                    None,
                )
                .await;
            session.agent.peer.respond(id, Ok(selected(&option))).await;
            return;
        }
    }
    let (tx, rx) = oneshot::channel();
    session.lock().permission_waiters.push(tx);
    session
        .set_status(SessionStatus::NeedsPermission, None)
        .await;
    // Checked to be an object before this task was started. Every attached client is asked
    // (and any that attaches while it waits); the first answer wins. With nobody attached it
    // waits: never approved unless YOLO, and the prompt timeout still bounds it.
    let _ = set_field(&mut params, "sessionId", json!(session.spec.id));
    let (permission, ask) = session.out.ask_permission(params).await;
    let answer = tokio::select! {
        answer = ask => match answer {
            Ok((v, _by)) => v,
            Err(_) => cancelled(),
        },
        _ = rx => {
            session.out.resolve(permission, cancelled(), None).await;
            cancelled()
        }
    };
    session.journal.append("permission", answer.clone());
    {
        let mut i = session.lock();
        i.permission_waiters.retain(|w| !w.is_closed());
    }
    if session.status().0 == SessionStatus::NeedsPermission
        && session.lock().permission_waiters.is_empty()
    {
        session.set_status(SessionStatus::Working, None).await;
    }
    session.agent.peer.respond(id, Ok(answer)).await;
}

/// Serves `fs/*` on a blocking thread, so a slow disk never stalls the runtime, and gives up
/// after the session's prompt timeout.
async fn on_fs(session: Arc<NodeSession>, id: Id, m: String, params: Value) {
    let cwd = session.spec.cwd.clone();
    let write = m == method::FS_WRITE;
    let path = params.get("path").cloned();
    let job = tokio::task::spawn_blocking(move || {
        if write {
            fs::write_text_file(&cwd, &params)
        } else {
            fs::read_text_file(&cwd, &params)
        }
    });
    let result = match tokio::time::timeout(session.spec.timeout, job).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(RpcError::internal(format!("{m} failed: {e}"))),
        Err(_) => Err(RpcError::internal(format!(
            "{m} gave no result within {} s",
            session.spec.timeout.as_secs()
        ))),
    };
    if write {
        session
            .journal
            .append("fs_write", json!({ "path": path, "ok": result.is_ok() }));
    }
    session.agent.peer.respond(id, result).await;
}

fn cancelled() -> Value {
    json!({ "outcome": { "outcome": "cancelled" } })
}

fn selected(option: &str) -> Value {
    json!({ "outcome": { "outcome": "selected", "optionId": option } })
}

/// The option YOLO picks: allow once, else allow always.
fn allow_option(params: &Value) -> Option<String> {
    let options = params.get("options")?.as_array()?;
    ["allow_once", "allow_always"].iter().find_map(|kind| {
        options
            .iter()
            .find(|o| o.get("kind").and_then(Value::as_str) == Some(kind))
            .and_then(|o| o.get("optionId").and_then(Value::as_str))
            .map(str::to_owned)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(v: Value) -> Incoming {
        Incoming::Notification {
            method: method::SESSION_UPDATE.into(),
            params: json!({ "sessionId": "a", "update": v }),
        }
    }

    fn chunk(kind: &str, text: &str) -> Incoming {
        update(json!({ "sessionUpdate": kind, "content": { "type": "text", "text": text } }))
    }

    fn params(item: Incoming) -> Value {
        match item {
            Incoming::Notification { params, .. } => params,
            other => panic!("not an update: {other:?}"),
        }
    }

    #[test]
    fn queued_plain_chunks_of_one_kind_are_joined_and_the_rest_left_in_order() {
        let tool = json!({ "sessionUpdate": "tool_call", "toolCallId": "t", "title": "x" });
        let with_meta = json!({ "sessionUpdate": "agent_message_chunk", "messageId": "m",
                                "content": { "type": "text", "text": "kept apart" } });
        let mut incoming = AgentEvents::of(vec![
            chunk("agent_message_chunk", "lo, "),
            chunk("agent_message_chunk", "\u{1b}]0;"),
            chunk("agent_message_chunk", "x\u{7}world"),
            chunk("agent_thought_chunk", "hm"),
            chunk("agent_thought_chunk", "m"),
            update(tool.clone()),
            update(with_meta.clone()),
            chunk("agent_message_chunk", "end"),
        ]);
        let first = params(chunk("agent_message_chunk", "hel"));
        let (p, n) = coalesce(first, &mut incoming);
        assert_eq!(n, 3);
        // Raw text joined as sent: the client's sanitizer sees the escape whole.
        assert_eq!(
            p["update"]["content"]["text"],
            "hello, \u{1b}]0;x\u{7}world"
        );
        let next = params(incoming.try_recv().unwrap());
        let (p, n) = coalesce(next, &mut incoming);
        assert_eq!(
            (p["update"]["content"]["text"].as_str(), n),
            (Some("hmm"), 1)
        );
        let (p, n) = coalesce(params(incoming.try_recv().unwrap()), &mut incoming);
        assert_eq!(
            (p["update"].clone(), n),
            (tool, 0),
            "other kinds pass alone"
        );
        let (p, n) = coalesce(params(incoming.try_recv().unwrap()), &mut incoming);
        assert_eq!(
            (p["update"].clone(), n),
            (with_meta, 0),
            "a chunk with more than its text is never merged"
        );
        let (p, n) = coalesce(params(incoming.try_recv().unwrap()), &mut incoming);
        assert_eq!(
            (p["update"]["content"]["text"].as_str(), n),
            (Some("end"), 0)
        );
        assert!(incoming.try_recv().is_none());
    }

    #[test]
    fn a_merged_chunk_stops_at_the_size_limit() {
        let piece = "x".repeat(1000);
        let mut incoming = AgentEvents::of(
            (0..40)
                .map(|_| chunk("agent_message_chunk", &piece))
                .collect(),
        );
        let (p, n) = coalesce(params(chunk("agent_message_chunk", &piece)), &mut incoming);
        let len = p["update"]["content"]["text"].as_str().unwrap().len();
        assert_eq!(len, 17 * 1000, "stops once past {COALESCE_BYTES} bytes");
        assert_eq!(n, 16);
    }
}
