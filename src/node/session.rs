//! One session on a node: its agent process, lifecycle status, options (YOLO, cwd, prompt
//! timeout), journal, and the relay between the agent and the attached client.
//!
//! Agent → client: `session/update` is journaled and forwarded with the node's session id;
//! permission requests are auto-approved under YOLO or forwarded to the client (and answered
//! `cancelled` if the prompt is cancelled first); `fs/*` is served here, inside the cwd.
//! Client → agent: prompts (with the timeout), cancel, mode changes, close.

use super::agent::AgentConn;
use super::fs;
use super::journal::{now_ms, Journal};
use super::status::SessionStatus;
use crate::protocol::acp::method;
use crate::protocol::{Handled, Id, Incoming, Peer, RpcError};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub(super) struct SessionSpec {
    pub id: String,
    pub connector: String,
    pub cwd: PathBuf,
    pub yolo: bool,
    pub timeout: Duration,
    pub grace: Duration,
}

struct Inner {
    status: SessionStatus,
    reason: Option<String>,
    /// Signals the permission request waiting on the client to give up (cancel).
    permission_waiters: Vec<oneshot::Sender<()>>,
    closing: bool,
}

pub(super) struct NodeSession {
    pub spec: SessionSpec,
    pub created_ms: u64,
    yolo: AtomicBool,
    agent: AgentConn,
    client: Peer,
    journal: Journal,
    inner: Mutex<Inner>,
    /// How many agent frames the relay has handled (keeps a prompt's end behind its updates).
    handled: Handled,
}

impl NodeSession {
    pub fn new(
        spec: SessionSpec,
        agent: AgentConn,
        client: Peer,
        journal: Journal,
    ) -> Arc<NodeSession> {
        journal.append(
            "created",
            json!({
                "sessionId": spec.id, "connector": spec.connector, "cwd": spec.cwd,
                "yolo": spec.yolo, "promptTimeoutSecs": spec.timeout.as_secs(),
                "agentSessionId": agent.session_id, "agentInfo": agent.init.get("agentInfo"),
            }),
        );
        Arc::new(NodeSession {
            yolo: AtomicBool::new(spec.yolo),
            spec,
            created_ms: now_ms(),
            agent,
            client,
            journal,
            inner: Mutex::new(Inner {
                status: SessionStatus::Idle,
                reason: None,
                permission_waiters: Vec::new(),
                closing: false,
            }),
            handled: Handled::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
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

    pub fn set_yolo(&self, on: bool) {
        self.yolo.store(on, Ordering::Relaxed);
        self.journal.append("option", json!({ "yolo": on }));
    }

    /// Moves to `status` (unless the session already ended) and tells the client.
    fn set_status(&self, status: SessionStatus, reason: Option<String>) {
        {
            let mut i = self.lock();
            if !i.status.is_live() || i.status == status {
                return;
            }
            i.status = status;
            i.reason = reason.clone();
        }
        let data = json!({ "sessionId": self.spec.id, "status": status, "reason": reason });
        self.journal.append("status", data.clone());
        let _ = self.client.notify(method::PRAXIS_STATUS, data);
    }

    /// Relays the agent's frames until its connection closes.
    pub async fn run_agent_events(
        self: Arc<Self>,
        mut incoming: mpsc::UnboundedReceiver<Incoming>,
    ) {
        while let Some(item) = incoming.recv().await {
            match item {
                Incoming::Notification {
                    method: m,
                    mut params,
                } if m == method::SESSION_UPDATE => {
                    params["sessionId"] = json!(self.spec.id);
                    self.journal.append(
                        "update",
                        params.get("update").cloned().unwrap_or(Value::Null),
                    );
                    let _ = self.client.notify(method::SESSION_UPDATE, params);
                }
                Incoming::Notification { method: m, .. } => {
                    tracing::debug!(method = %m, "ignored a notification from the agent");
                }
                Incoming::Request {
                    id,
                    method: m,
                    params,
                } => match m.as_str() {
                    method::REQUEST_PERMISSION => {
                        tokio::spawn(self.clone().on_permission(id, params));
                    }
                    method::FS_READ => self
                        .agent
                        .peer
                        .respond(id, fs::read_text_file(&self.spec.cwd, &params)),
                    method::FS_WRITE => {
                        let result = fs::write_text_file(&self.spec.cwd, &params);
                        self.journal.append(
                            "fs_write",
                            json!({ "path": params.get("path"), "ok": result.is_ok() }),
                        );
                        self.agent.peer.respond(id, result)
                    }
                    _ => self
                        .agent
                        .peer
                        .respond(id, Err(RpcError::method_not_found(&m))),
                },
                Incoming::Closed(reason) => {
                    self.handled.finish();
                    self.on_agent_closed(reason);
                    return;
                }
            }
            self.handled.bump();
        }
        self.handled.finish();
    }

    fn on_agent_closed(&self, reason: String) {
        let waiters = {
            let mut i = self.lock();
            if i.closing {
                return;
            }
            std::mem::take(&mut i.permission_waiters)
        };
        for w in waiters {
            let _ = w.send(());
        }
        tracing::warn!(session = %self.spec.id, %reason, "agent connection closed");
        self.set_status(SessionStatus::Failed, Some(reason));
    }

    async fn on_permission(self: Arc<Self>, id: Id, mut params: Value) {
        self.journal.append("permission_request", params.clone());
        if self.yolo() {
            if let Some(option) = allow_option(&params) {
                self.journal
                    .append("permission", json!({ "auto": true, "optionId": option }));
                let _ = self.client.notify(
                    method::PRAXIS_AUTO_APPROVED,
                    json!({ "sessionId": self.spec.id, "toolCall": params.get("toolCall"), "optionId": option }),
                );
                self.agent.peer.respond(id, Ok(selected(&option)));
                return;
            }
        }
        let (tx, rx) = oneshot::channel();
        self.lock().permission_waiters.push(tx);
        self.set_status(SessionStatus::NeedsPermission, None);
        params["sessionId"] = json!(self.spec.id);
        let ask = self.client.request(method::REQUEST_PERMISSION, params);
        let answer = tokio::select! {
            answer = ask => match answer {
                Ok(v) if v.pointer("/outcome/outcome").is_some() => v,
                Ok(v) => {
                    tracing::warn!(answer = %v, "client gave a malformed permission answer; treating it as cancelled");
                    cancelled()
                }
                Err(e) => {
                    tracing::warn!(error = %e, "permission request failed; answering cancelled");
                    cancelled()
                }
            },
            _ = rx => cancelled(),
        };
        self.journal.append("permission", answer.clone());
        {
            let mut i = self.lock();
            i.permission_waiters.retain(|w| !w.is_closed());
        }
        if self.status().0 == SessionStatus::NeedsPermission
            && self.lock().permission_waiters.is_empty()
        {
            self.set_status(SessionStatus::Working, None);
        }
        self.agent.peer.respond(id, Ok(answer));
    }

    /// Runs one prompt; enforces the timeout (cancel, then kill after the grace period).
    pub async fn prompt(&self, mut params: Value) -> Result<Value, RpcError> {
        {
            let i = self.lock();
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
        self.set_status(SessionStatus::Working, None);
        self.journal.append(
            "prompt",
            params.get("prompt").cloned().unwrap_or(Value::Null),
        );
        params["sessionId"] = json!(self.agent.session_id);
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
                self.cancel();
                match tokio::time::timeout(self.spec.grace, &mut call).await.map(|(r, _)| r) {
                    Ok(Ok(mut v)) => {
                        v["_meta"] = json!({ "praxis": { "timedOut": true, "afterSecs": secs } });
                        Ok(v)
                    }
                    Ok(Err(e)) => Err(e),
                    Err(_) => {
                        let reason = format!(
                            "prompt timed out after {secs} s and the agent ignored session/cancel for {} s; it was killed",
                            self.spec.grace.as_secs()
                        );
                        self.set_status(SessionStatus::Failed, Some(reason.clone()));
                        self.agent.process.kill();
                        return Err(RpcError::internal(reason));
                    }
                }
            }
        };
        match &result {
            Ok(v) => {
                self.journal
                    .append("stop", json!({ "stopReason": v.get("stopReason") }));
                self.set_status(SessionStatus::Idle, None);
            }
            Err(e) if self.agent.peer.closed_reason().is_some() => {
                self.set_status(SessionStatus::Failed, Some(e.message.clone()));
            }
            Err(e) => {
                self.journal
                    .append("error", json!({ "message": e.message, "code": e.code }));
                self.set_status(SessionStatus::Idle, None);
            }
        }
        result
    }

    /// `session/cancel`: tell the agent, and answer waiting permission requests `cancelled`.
    pub fn cancel(&self) {
        let waiters = std::mem::take(&mut self.lock().permission_waiters);
        for w in waiters {
            let _ = w.send(());
        }
        self.journal.append("cancel", Value::Null);
        let _ = self.agent.peer.notify(
            method::SESSION_CANCEL,
            json!({ "sessionId": self.agent.session_id }),
        );
    }

    pub async fn set_mode(&self, mut params: Value) -> Result<Value, RpcError> {
        params["sessionId"] = json!(self.agent.session_id);
        self.agent
            .peer
            .request(method::SESSION_SET_MODE, params)
            .await
    }

    /// Ends the session: cancel if busy, `session/close` if the agent supports it, then end
    /// the process group.
    pub async fn close(&self) {
        let busy = {
            let mut i = self.lock();
            i.closing = true;
            i.status.is_busy()
        };
        if busy {
            self.cancel();
        }
        self.agent.close_session().await;
        self.agent
            .process
            .terminate(self.spec.grace.min(Duration::from_secs(2)))
            .await;
        {
            let mut i = self.lock();
            i.status = SessionStatus::Closed;
        }
        let data =
            json!({ "sessionId": self.spec.id, "status": SessionStatus::Closed, "reason": null });
        self.journal.append("status", data.clone());
        let _ = self.client.notify(method::PRAXIS_STATUS, data);
    }

    /// The `session/list` entry for this session.
    pub fn summary(&self) -> Value {
        let (status, reason) = self.status();
        json!({
            "sessionId": self.spec.id,
            "cwd": self.spec.cwd,
            "_meta": { "praxis": {
                "connector": self.spec.connector,
                "status": status,
                "reason": reason,
                "yolo": self.yolo(),
                "createdAt": self.created_ms,
                "journal": self.journal.path(),
            }},
        })
    }
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
