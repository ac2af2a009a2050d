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
    ConfigOption, Modes, NodeEvent, OptionSetting, OptionValue, PermissionAnswer, PromptDone,
    SessionCreated, SessionOptions, SessionStatus, SessionSummary, StopReason, Usage,
};
use crate::protocol::acp::{method, praxis_meta, text_prompt, PROTOCOL_VERSION};
use crate::protocol::{Handled, Id, Peer, RpcError};
use crate::sanitize::{sanitize, sanitize_json};
use crate::wire::Transport;
use serde_json::{json, Value};
use tokio::sync::mpsc;
pub use translate::Sink;
use translate::{translate, SharedSeen};

mod answers;
use answers::{config_options, model_of, modes, parse_summary, usage};
mod translate;

/// How many events the stream holds before the node's relay waits.
pub const EVENT_CAPACITY: usize = 256;

/// The most text one merged chunk event carries.
pub const COALESCE_LIMIT: usize = 16 * 1024;

#[derive(Clone)]
pub struct NodeClient {
    peer: Peer,
    handled: Handled,
    seen: SharedSeen,
    /// The node token sent with every command, when the node wants one.
    token: Option<String>,
    /// The node's name and agents, from its `initialize` answer.
    pub node_name: String,
    pub agents: Vec<String>,
}

impl NodeClient {
    /// Connects over `transport`, runs `initialize`, and starts translating events.
    pub async fn connect(
        transport: Transport,
    ) -> Result<(NodeClient, mpsc::Receiver<NodeEvent>), RpcError> {
        let (tx, rx) = mpsc::channel(EVENT_CAPACITY);
        let client = Self::connect_into(transport, Sink::Own(tx), None).await?;
        Ok((client, rx))
    }

    /// Connects with events going to `sink` and `token` sent with every command.
    pub async fn connect_into(
        transport: Transport,
        sink: Sink,
        token: Option<String>,
    ) -> Result<NodeClient, RpcError> {
        let (peer, incoming) = Peer::spawn(transport);
        let handled = Handled::default();
        let seen = SharedSeen::default();
        tokio::spawn(translate(
            peer.clone(),
            incoming,
            sink,
            handled.clone(),
            seen.clone(),
        ));
        let init = request(
            &peer,
            method::INITIALIZE,
            with_token(
                json!({
                    "protocolVersion": PROTOCOL_VERSION,
                    "clientCapabilities": {},
                    "clientInfo": { "name": "praxis", "version": env!("CARGO_PKG_VERSION") },
                }),
                &token,
            ),
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
        Ok(NodeClient {
            peer,
            handled,
            seen,
            token,
            node_name,
            agents,
        })
    }

    /// A request (with the node token) whose answer and error are sanitized.
    async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        request(&self.peer, method, with_token(params, &self.token)).await
    }

    /// The newest frame of `session` this client applied (its replay cursor).
    pub fn last_seq(&self, session: &str) -> u64 {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.last_seq.get(session).copied().unwrap_or(0)
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
            model: model_of(&raw),
            options: config_options(raw.get("configOptions")),
        })
    }

    /// Sends a text prompt and waits for the turn to end. Every update the node sent before
    /// the answer is in the event stream by the time this returns.
    pub async fn prompt(&self, session: &str, text: &str) -> Result<PromptDone, RpcError> {
        let (raw, seq) = self
            .peer
            .request_seq(
                method::SESSION_PROMPT,
                with_token(
                    json!({ "sessionId": session, "prompt": text_prompt(text) }),
                    &self.token,
                ),
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
            .notify(
                method::SESSION_CANCEL,
                with_token(json!({ "sessionId": session }), &self.token),
            )
            .await;
    }

    pub async fn close(&self, session: &str) -> Result<(), RpcError> {
        self.request(method::SESSION_CLOSE, json!({ "sessionId": session }))
            .await
            .map(|_| ())
    }

    /// Attaches to a session: the node replays what this client has not applied yet (in
    /// order, into the event stream, before this returns), then sends it live.
    pub async fn resume(&self, session: &str) -> Result<Resumed, RpcError> {
        let after = self.last_seq(session);
        self.resume_after(session, after, false).await
    }

    /// Attaches to a session to follow it: from its first frame the node still holds
    /// (`from_start`), or from the next one on.
    pub async fn follow(&self, session: &str, from_start: bool) -> Result<Resumed, RpcError> {
        if from_start {
            self.resume_after(session, 0, false).await
        } else {
            self.resume_with(session, json!({ "fromNow": true })).await
        }
    }

    /// Queues a text prompt behind the session's running turn (or runs it now) and returns
    /// at once: the session's full id and how many turns are ahead of it.
    pub async fn enqueue(&self, session: &str, text: &str) -> Result<(String, usize), RpcError> {
        let v = self
            .request(
                method::PRAXIS_ENQUEUE,
                json!({ "sessionId": session, "prompt": text_prompt(text) }),
            )
            .await?;
        let id = v
            .get("sessionId")
            .and_then(Value::as_str)
            .unwrap_or(session)
            .to_string();
        let queued = v.get("queued").and_then(Value::as_u64).unwrap_or(0) as usize;
        Ok((id, queued))
    }

    /// Opens an ended session again (failed, closed, or from the node's history): the node
    /// replays its journal from the start, then continues it with the agent. Frames of the
    /// session's earlier run this client applied do not count: the replay starts at 1.
    pub async fn reopen(&self, session: &str) -> Result<Resumed, RpcError> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last_seq
            .remove(session);
        self.resume_after(session, 0, true).await
    }

    async fn resume_after(
        &self,
        session: &str,
        after: u64,
        reopen: bool,
    ) -> Result<Resumed, RpcError> {
        self.resume_with(session, json!({ "afterSeq": after, "reopen": reopen }))
            .await
    }

    /// `session/resume` with these `_meta.praxis` options.
    async fn resume_with(&self, session: &str, praxis: Value) -> Result<Resumed, RpcError> {
        let (raw, seq) = self
            .peer
            .request_seq(
                method::SESSION_RESUME,
                with_token(
                    json!({ "sessionId": session, "cwd": ".", "mcpServers": [],
                            "_meta": { "praxis": praxis } }),
                    &self.token,
                ),
            )
            .await;
        // The replayed frames came before the answer: they are in the stream now.
        self.handled.reach(seq).await;
        let raw = clean(raw)?;
        let summary = parse_summary(&json!({
            "sessionId": session,
            "cwd": praxis_meta(&raw, "cwd"),
            "_meta": raw.get("_meta"),
        }));
        Ok(Resumed {
            last_seq: praxis_meta(&raw, "lastSeq")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            replayed: praxis_meta(&raw, "replayed")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            options: config_options(praxis_meta(&raw, "configOptions")),
            modes: praxis_meta(&raw, "modes")
                .filter(|m| m.is_object())
                .map(modes),
            summary,
        })
    }

    /// Stops watching a session; it keeps running on its node.
    pub async fn detach(&self, session: &str) -> Result<(), RpcError> {
        self.request(method::PRAXIS_DETACH, json!({ "sessionId": session }))
            .await
            .map(|_| ())
    }

    pub async fn list(&self) -> Result<Vec<SessionSummary>, RpcError> {
        let mut raw = self.request(method::SESSION_LIST, json!({})).await?;
        match raw.get_mut("sessions").map(Value::take) {
            Some(Value::Array(items)) => Ok(items.iter().filter_map(parse_summary).collect()),
            _ => Ok(Vec::new()),
        }
    }

    pub async fn set_mode(&self, session: &str, mode: &str) -> Result<(), RpcError> {
        self.request(
            method::SESSION_SET_MODE,
            json!({ "sessionId": session, "modeId": mode }),
        )
        .await
        .map(|_| ())
    }

    /// Sets one of the session's config options; returns all of them as they are now.
    pub async fn set_config_option(
        &self,
        session: &str,
        option: &str,
        setting: &OptionSetting,
    ) -> Result<Vec<ConfigOption>, RpcError> {
        let mut params = json!({ "sessionId": session, "configId": option });
        match setting {
            OptionSetting::Value(v) => params["value"] = json!(v),
            OptionSetting::Toggle(on) => {
                params["type"] = json!("boolean");
                params["value"] = json!(on);
            }
        }
        let answer = self
            .request(method::SESSION_SET_CONFIG_OPTION, params)
            .await?;
        // Every option as it is now, as the protocol asks: without them nothing is known.
        match answer.get("configOptions").filter(|o| o.is_array()) {
            Some(options) => Ok(config_options(Some(options))),
            None => Err(RpcError::internal(
                "the agent's answer does not list the options",
            )),
        }
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

/// What a resume found.
#[derive(Debug, Clone, PartialEq)]
pub struct Resumed {
    pub last_seq: u64,
    pub replayed: u64,
    pub summary: Option<SessionSummary>,
    /// The session's config options as the node last heard them.
    pub options: Vec<ConfigOption>,
    /// The session's modes as the node last heard them.
    pub modes: Option<Modes>,
}

/// Adds the node token to a command's `_meta.praxis` (the node removes it before anything
/// else, an agent included, sees the params).
fn with_token(mut params: Value, token: &Option<String>) -> Value {
    if let (Some(t), Some(obj)) = (token, params.as_object_mut()) {
        let meta = obj.entry("_meta").or_insert_with(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            let praxis = m.entry("praxis").or_insert_with(|| json!({}));
            if let Some(p) = praxis.as_object_mut() {
                p.insert("token".into(), json!(t));
            }
        }
    }
    params
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::acp::{schema, Update};
    use crate::protocol::Incoming;
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
