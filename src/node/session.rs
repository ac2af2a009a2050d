//! One session on a node: its agent process, lifecycle status, options (YOLO, cwd, prompt
//! timeout), journal, and the client → agent direction: prompts (with the timeout), cancel,
//! mode changes, close. The agent → client direction is [`super::relay`].
//!
//! Nothing here indexes foreign JSON in a way that can panic: params and answers that are not
//! objects are refused with an error (requests) or left alone (answers).

use super::agent::AgentConn;
use super::index::{self, Index};
use super::journal::{now_ms, Journal};
use super::outbox::{ConnId, Outbox};
use crate::node_api::SessionStatus;
use crate::protocol::acp::{method, set_field};
use crate::protocol::{Handled, RpcError};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long sending `session/cancel` may wait for an agent that does not read its stdin.
const CANCEL_SEND_LIMIT: Duration = Duration::from_secs(1);

pub(super) struct SessionSpec {
    pub id: String,
    pub connector: String,
    pub cwd: PathBuf,
    pub yolo: bool,
    pub timeout: Duration,
    pub grace: Duration,
}

pub(super) struct Inner {
    pub status: SessionStatus,
    pub reason: Option<String>,
    /// Signals the permission request waiting on the client to give up (cancel).
    pub permission_waiters: Vec<oneshot::Sender<()>>,
    pub closing: bool,
    pub title: Option<String>,
    pub title_from_agent: bool,
    pub last_activity_ms: u64,
    pub ended_ms: Option<u64>,
    /// The agent's config options as last heard (`session/new`, `config_option_update`,
    /// `session/set_config_option`): a client that attaches gets them with the answer.
    pub config_options: Value,
    /// The agent's session modes (`session/new`'s `modes`, its current one kept from
    /// `current_mode_update`), for the same.
    pub modes: Value,
}

pub(super) struct NodeSession {
    pub spec: SessionSpec,
    pub created_ms: u64,
    yolo: AtomicBool,
    /// The agent loaded this session (`session/load`) and no prompt was sent since: the
    /// conversation content it sends now is the history it replays, which is dropped.
    loading_history: AtomicBool,
    pub(super) agent: AgentConn,
    /// Where client-bound frames go (every attached connection, and the replay log).
    pub(super) out: Arc<Outbox>,
    pub(super) journal: Journal,
    inner: Mutex<Inner>,
    /// The node's session index (title, status and activity are kept there too).
    index: Arc<Mutex<Index>>,
    /// How many agent frames the relay has handled (keeps a prompt's end behind its updates).
    pub(super) handled: Handled,
    /// One turn at a time, and the prompts queued behind it ([`super::turns`]).
    pub(super) turns: super::turns::Turns,
}

impl NodeSession {
    /// A session for `agent`. `earlier` is the index entry of the session it continues
    /// (a reopen: same id and journal), None for a new one.
    pub fn new(
        spec: SessionSpec,
        agent: AgentConn,
        journal: Journal,
        index: Arc<Mutex<Index>>,
        earlier: Option<index::Entry>,
    ) -> Arc<NodeSession> {
        let now = now_ms();
        let record = json!({
            "sessionId": spec.id, "connector": spec.connector, "cwd": spec.cwd,
            "yolo": spec.yolo, "promptTimeoutSecs": spec.timeout.as_secs(),
            "agentSessionId": agent.session_id, "agentInfo": agent.init.get("agentInfo"),
        });
        let entry = match earlier {
            Some(mut e) => {
                journal.append("reopened", record);
                e.status = SessionStatus::Idle;
                e.reason = None;
                e.ended_ms = None;
                e.last_activity_ms = now;
                e.pid = Some(std::process::id());
                e
            }
            None => {
                journal.append("created", record);
                index::Entry {
                    id: spec.id.clone(),
                    connector: spec.connector.clone(),
                    cwd: spec.cwd.clone(),
                    created_ms: now,
                    yolo: spec.yolo,
                    prompt_timeout_secs: Some(spec.timeout.as_secs()),
                    title: None,
                    title_from_agent: false,
                    last_activity_ms: now,
                    status: SessionStatus::Idle,
                    reason: None,
                    ended_ms: None,
                    pid: Some(std::process::id()),
                }
            }
        };
        let inner = Inner {
            status: SessionStatus::Idle,
            reason: None,
            permission_waiters: Vec::new(),
            closing: false,
            title: entry.title.clone(),
            title_from_agent: entry.title_from_agent,
            last_activity_ms: now,
            ended_ms: None,
            config_options: agent
                .new_session
                .get("configOptions")
                .cloned()
                .unwrap_or(Value::Null),
            modes: agent
                .new_session
                .get("modes")
                .cloned()
                .unwrap_or(Value::Null),
        };
        let created_ms = entry.created_ms;
        lock_index(&index).put(entry);
        let loading_history = agent.continued == super::agent::Continued::Loaded;
        Arc::new(NodeSession {
            yolo: AtomicBool::new(spec.yolo),
            loading_history: AtomicBool::new(loading_history),
            out: Outbox::new(&spec.id),
            spec,
            created_ms,
            agent,
            journal,
            inner: Mutex::new(inner),
            index,
            handled: Handled::default(),
            turns: Default::default(),
        })
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn status(&self) -> (SessionStatus, Option<String>) {
        let i = self.lock();
        (i.status, i.reason.clone())
    }

    pub fn yolo(&self) -> bool {
        self.yolo.load(Ordering::Relaxed)
    }

    pub fn agent_init(&self) -> &Value {
        &self.agent.init
    }

    pub fn agent_new_session(&self) -> &Value {
        &self.agent.new_session
    }

    pub(super) fn replaying_history(&self) -> bool {
        self.loading_history.load(Ordering::Relaxed)
    }

    pub fn set_yolo(&self, on: bool) {
        self.yolo.store(on, Ordering::Relaxed);
        self.journal.append("option", json!({ "yolo": on }));
        lock_index(&self.index).update(&self.spec.id, |e| e.yolo = on);
    }

    /// Keeps the session's title, activity and status in the node's index.
    /// `active`: something happened in the session (a prompt, a turn's end, a failure), as
    /// opposed to its being closed, which is not activity (every session closed when the app
    /// quits would otherwise look equally recent).
    fn touch(&self, title: Option<(String, bool)>, active: bool) {
        let (title, from_agent, status, reason, last, ended) = {
            let mut i = self.lock();
            if active {
                i.last_activity_ms = now_ms();
            }
            if let Some((t, agent)) = title {
                // The agent's title wins over the first prompt's; a later prompt changes nothing.
                if agent || i.title.is_none() {
                    i.title = Some(t);
                    i.title_from_agent = agent;
                }
            }
            if !i.status.is_live() && i.ended_ms.is_none() {
                i.ended_ms = Some(now_ms());
            }
            (
                i.title.clone(),
                i.title_from_agent,
                i.status,
                i.reason.clone(),
                i.last_activity_ms,
                i.ended_ms,
            )
        };
        lock_index(&self.index).update(&self.spec.id, |e| {
            e.title = title;
            e.title_from_agent = from_agent;
            e.status = status;
            e.reason = reason;
            e.last_activity_ms = last;
            e.ended_ms = ended;
        });
    }

    /// The agent named the session (`session_info_update`).
    pub(super) fn agent_title(&self, title: &str) {
        let title = index::clip_title(title);
        if !title.is_empty() {
            self.touch(Some((title, true)), true);
        }
    }

    /// Moves to `status` (unless the session already ended) and tells the client.
    pub(super) async fn set_status(&self, status: SessionStatus, reason: Option<String>) {
        {
            let mut i = self.lock();
            if !i.status.is_live() || i.status == status {
                return;
            }
            i.status = status;
            i.reason = reason.clone();
        }
        self.touch(None, true);
        let data = json!({ "sessionId": self.spec.id, "status": status, "reason": reason });
        self.journal.append("status", data.clone());
        self.out.emit(method::PRAXIS_STATUS, data, None).await;
    }

    /// Tells the client something about this session (shown as a notice).
    pub(super) async fn notice(&self, level: &str, message: String) {
        self.journal
            .append("notice", json!({ "level": level, "message": message }));
        self.out
            .emit(
                method::PRAXIS_NOTICE,
                json!({ "sessionId": self.spec.id, "level": level, "message": message }),
                None,
            )
            .await;
    }

    /// Runs one prompt; enforces the timeout (cancel, then kill after the grace period).
    /// `by` is the connection that sent it: the others are shown the prompt. Called with the
    /// turn held ([`super::turns`]).
    pub(super) async fn run_turn(&self, mut params: Value, by: ConnId) -> Result<Value, RpcError> {
        {
            let i = self.lock();
            if i.closing {
                return Err(RpcError::not_found("session is closed"));
            }
            match i.status {
                SessionStatus::Idle => {}
                SessionStatus::Failed => {
                    return Err(RpcError::internal(format!(
                        "session failed: {}",
                        i.reason.as_deref().unwrap_or("unknown reason")
                    )))
                }
                SessionStatus::Closed => return Err(RpcError::not_found("session is closed")),
                s => {
                    return Err(RpcError::internal(format!(
                        "session is {s}; wait for it or cancel"
                    )))
                }
            }
        }
        set_field(&mut params, "sessionId", json!(self.agent.session_id))
            .map_err(RpcError::invalid_params)?;
        self.set_status(SessionStatus::Working, None).await;
        self.loading_history.store(false, Ordering::Relaxed);
        let prompt = params.get("prompt").cloned().unwrap_or(Value::Null);
        self.journal.append("prompt", prompt.clone());
        self.touch(index::title_of_prompt(&prompt).map(|t| (t, false)), true);
        self.out
            .emit(
                method::PRAXIS_PROMPTED,
                json!({ "sessionId": self.spec.id, "prompt": prompt }),
                Some(by),
            )
            .await;
        let call = self.agent.peer.request_seq(method::SESSION_PROMPT, params);
        tokio::pin!(call);
        let result = tokio::select! {
            (r, seq) = &mut call => {
                self.handled.reach(seq).await;
                r
            }
            _ = tokio::time::sleep(self.spec.timeout) => {
                let secs = self.spec.timeout.as_secs();
                self.journal.append("timeout", json!({ "afterSecs": secs }));
                self.cancel().await;
                match tokio::time::timeout(self.spec.grace, &mut call).await.map(|(r, _)| r) {
                    Ok(Ok(mut v)) => {
                        let _ = set_field(&mut v, "_meta", json!({ "praxis": { "timedOut": true, "afterSecs": secs } }));
                        Ok(v)
                    }
                    Ok(Err(e)) => Err(e),
                    Err(_) => {
                        let reason = format!(
                            "prompt timed out after {secs} s and the agent ignored session/cancel for {} s; it was killed",
                            self.spec.grace.as_secs()
                        );
                        self.set_status(SessionStatus::Failed, Some(reason.clone())).await;
                        self.agent.process.kill();
                        return Err(RpcError::internal(reason));
                    }
                }
            }
        };
        let result = result.and_then(|v| {
            if v.is_object() {
                Ok(v)
            } else if v.is_null() {
                // Some agents answer `result: null`; the turn still ended.
                Ok(json!({}))
            } else {
                Err(RpcError::internal(format!(
                    "the agent answered session/prompt with {}, not an object",
                    kind_of(&v)
                )))
            }
        });
        match &result {
            Ok(v) => {
                self.journal
                    .append("stop", json!({ "stopReason": v.get("stopReason") }));
                self.set_status(SessionStatus::Idle, None).await;
            }
            Err(e) if self.agent.peer.closed_reason().is_some() => {
                self.set_status(SessionStatus::Failed, Some(e.message.clone()))
                    .await;
            }
            Err(e) => {
                self.journal
                    .append("error", json!({ "message": e.message, "code": e.code }));
                self.set_status(SessionStatus::Idle, None).await;
            }
        }
        result
    }

    /// `session/cancel`: tell the agent, and answer waiting permission requests `cancelled`.
    pub async fn cancel(&self) {
        let waiters = std::mem::take(&mut self.lock().permission_waiters);
        for w in waiters {
            let _ = w.send(());
        }
        self.journal.append("cancel", Value::Null);
        // An agent that stopped reading its stdin cannot hold this up: the timeout path
        // goes on to its grace period and the kill.
        let notify = self.agent.peer.notify(
            method::SESSION_CANCEL,
            json!({ "sessionId": self.agent.session_id }),
        );
        if tokio::time::timeout(CANCEL_SEND_LIMIT, notify)
            .await
            .is_err()
        {
            tracing::warn!(session = %self.spec.id, "the agent is not reading its input; session/cancel not sent");
        }
    }

    /// A client's request about this session, passed to its agent under the agent's own
    /// session id.
    async fn ask_agent(&self, method: &str, mut params: Value) -> Result<Value, RpcError> {
        set_field(&mut params, "sessionId", json!(self.agent.session_id))
            .map_err(RpcError::invalid_params)?;
        self.agent.peer.request(method, params).await
    }

    pub async fn set_mode(&self, params: Value) -> Result<Value, RpcError> {
        let mode = params.get("modeId").cloned();
        let answer = self.ask_agent(method::SESSION_SET_MODE, params).await?;
        // Kept now: the agent's `current_mode_update` may come after its answer, or never.
        if let Some(mode) = mode.filter(Value::is_string) {
            self.heard_mode(&mode);
        }
        Ok(answer)
    }

    /// `session/set_config_option`: the agent answers with every option; the other clients
    /// (and the journal) hear it as a `config_option_update`.
    pub async fn set_config_option(&self, params: Value, by: ConnId) -> Result<Value, RpcError> {
        let answer = self
            .ask_agent(method::SESSION_SET_CONFIG_OPTION, params)
            .await?;
        if let Some(options) = answer.get("configOptions").filter(|o| o.is_array()) {
            self.heard_config_options(options);
            let update =
                json!({ "sessionUpdate": "config_option_update", "configOptions": options });
            let seq = self
                .out
                .emit(
                    method::SESSION_UPDATE,
                    json!({ "sessionId": self.spec.id, "update": update }),
                    Some(by),
                )
                .await;
            self.journal.append_seq("update", update, seq);
        }
        Ok(answer)
    }

    /// Keeps the agent's latest config options.
    pub(super) fn heard_config_options(&self, options: &Value) {
        self.lock().config_options = options.clone();
    }

    pub fn config_options(&self) -> Value {
        self.lock().config_options.clone()
    }

    /// Keeps the agent's current mode (`current_mode_update`).
    pub(super) fn heard_mode(&self, mode: &Value) {
        if let Some(m) = self.lock().modes.as_object_mut() {
            m.insert("currentModeId".into(), mode.clone());
        }
    }

    pub fn modes(&self) -> Value {
        self.lock().modes.clone()
    }

    /// Ends the session: cancel if busy, `session/close` if the agent supports it, then end
    /// the process group.
    pub async fn close(&self) {
        let busy = {
            let mut i = self.lock();
            i.closing = true;
            i.status.is_busy()
        };
        let settle = self.spec.grace.min(Duration::from_secs(2));
        if busy {
            self.cancel().await;
            // The turn ends as cancelled (queued prompts behind it are refused, as the session
            // is closing) before the agent is ended; one that ignores the cancel is ended anyway.
            let _ = tokio::time::timeout(settle, self.turns.settled()).await;
        }
        self.agent.close_session().await;
        self.agent.process.terminate(settle).await;
        {
            let mut i = self.lock();
            if i.status.is_live() {
                i.status = SessionStatus::Closed;
            }
        }
        self.touch(None, false);
        let data =
            json!({ "sessionId": self.spec.id, "status": SessionStatus::Closed, "reason": null });
        self.journal.append("status", data.clone());
        self.out.emit(method::PRAXIS_STATUS, data, None).await;
    }

    /// The `session/list` entry for this session.
    pub fn summary(&self) -> Value {
        let (status, reason, title, last, ended) = {
            let i = self.lock();
            let t = i.title.clone();
            (
                i.status,
                i.reason.clone(),
                t,
                i.last_activity_ms,
                i.ended_ms,
            )
        };
        json!({
            "sessionId": self.spec.id,
            "cwd": self.spec.cwd,
            "_meta": { "praxis": {
                "connector": self.spec.connector,
                "status": status,
                "reason": reason,
                "yolo": self.yolo(),
                "createdAt": self.created_ms,
                "title": title,
                "lastActivityAt": last,
                "endedAt": ended,
                "queued": self.turns.queued(),
                "journal": self.journal.path(),
            }},
        })
    }
}

pub(super) fn lock_index(index: &Mutex<Index>) -> std::sync::MutexGuard<'_, Index> {
    index.lock().unwrap_or_else(|e| e.into_inner())
}

/// "an array", "a string", ... for error messages about foreign JSON.
pub(super) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
