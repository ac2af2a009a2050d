//! Reopening an ended session (failed, closed, or from the node's history, after a restart):
//! the journal is replayed to the client as the frames it was sent the first time, then the
//! agent continues the session — `session/resume` or `session/load` when it offers them, so
//! it keeps its context — or, when it cannot, starts a new agent session in the same cwd, and
//! the transcript says plainly that the agent starts without the earlier context.

use super::agent::{AgentConn, Continued};
use super::index::Entry;
use super::journal::{self, Journal};
use super::outbox::Conn;
use super::relay;
use super::server::Node;
use super::session::{lock_index, NodeSession, SessionSpec};
use crate::node_api::SessionStatus;
use crate::protocol::acp::method;
use crate::protocol::RpcError;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// What a journal says of a session: how it was made, and the frames to replay.
#[derive(Debug, PartialEq)]
pub struct Replay {
    /// The data of its `created` record.
    pub created: Value,
    /// The agent's own id for it, as last recorded (a reopen may have changed it).
    pub agent_session: Option<String>,
    /// (method, params) in order, without sequence numbers.
    pub frames: Vec<(&'static str, Value)>,
}

/// Reads a journal (pure): every prompt, update, notice and status change as the frame a
/// client was sent, YOLO approvals as such, and where the session was reopened before.
pub fn replay_of(journal: &str, session: &str) -> Option<Replay> {
    let mut created = None;
    let mut agent_session = None;
    let mut frames = Vec::new();
    let mut asked: Option<Value> = None;
    for line in journal.lines() {
        let Ok(record) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let data = record.get("data").cloned().unwrap_or(Value::Null);
        let notice = |level: &str, message: String| {
            (
                method::PRAXIS_NOTICE,
                json!({ "sessionId": session, "level": level, "message": message }),
            )
        };
        match record.get("kind").and_then(Value::as_str).unwrap_or("") {
            "created" | "reopened" => {
                if let Some(a) = data.get("agentSessionId").and_then(Value::as_str) {
                    agent_session = Some(a.to_string());
                }
                // A reopen's own notice (journaled) says where it was reopened.
                if created.is_none() {
                    created = Some(data);
                }
            }
            "prompt" => frames.push((
                method::PRAXIS_PROMPTED,
                json!({ "sessionId": session, "prompt": data }),
            )),
            "update" if data.is_object() => frames.push((
                method::SESSION_UPDATE,
                json!({ "sessionId": session, "update": data }),
            )),
            "notice" => frames.push(notice(
                data["level"].as_str().unwrap_or("warning"),
                data["message"].as_str().unwrap_or_default().to_string(),
            )),
            "error" => frames.push(notice(
                "error",
                format!(
                    "The turn failed: {}",
                    data["message"].as_str().unwrap_or("unknown error")
                ),
            )),
            "timeout" => frames.push(notice(
                "warning",
                "The prompt timed out and was cancelled.".into(),
            )),
            "permission_request" => asked = Some(data),
            "permission" if data["auto"] == true => frames.push((
                method::PRAXIS_AUTO_APPROVED,
                json!({ "sessionId": session,
                        "toolCall": asked.take().and_then(|a| a.get("toolCall").cloned()),
                        "optionId": data["optionId"] }),
            )),
            "status" => {
                let status = data["status"].as_str().unwrap_or("");
                // The session's end is what the reopen undoes.
                if status != "closed" && status != "initializing" {
                    frames.push((
                        method::PRAXIS_STATUS,
                        json!({ "sessionId": session, "status": status, "reason": data["reason"] }),
                    ));
                }
            }
            _ => {}
        }
    }
    Some(Replay {
        created: created?,
        agent_session,
        frames,
    })
}

impl Node {
    /// Opens the ended session `entry` again and attaches `conn` to it (replaying everything).
    pub(super) async fn reopen(
        self: &Arc<Self>,
        entry: Entry,
        conn: Conn,
    ) -> Result<Arc<NodeSession>, RpcError> {
        let id = entry.id.clone();
        if entry.status.is_live() {
            if let Some(pid) = entry.pid.filter(|p| super::index::other_process_alive(*p)) {
                return Err(RpcError::internal(format!(
                    "session {id} is still running in another praxis process (pid {pid})"
                )));
            }
        }
        let Some(connector) = self.settings.connectors.get(&entry.connector).cloned() else {
            return Err(RpcError::not_found(format!(
                "session {id} used agent `{}`, which node {} no longer has",
                entry.connector, self.settings.name
            )));
        };
        if !entry.cwd.is_dir() {
            return Err(RpcError::invalid_params(format!(
                "session {id} worked in {}, which no longer exists",
                entry.cwd.display()
            )));
        }
        let path = self
            .settings
            .paths
            .sessions_dir()
            .join(format!("{id}.jsonl"));
        let sid = id.clone();
        let read = tokio::task::spawn_blocking(move || {
            journal::flush_all();
            std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
                .map(|text| replay_of(&text, &sid))
        })
        .await
        .map_err(RpcError::internal)?
        .map_err(RpcError::not_found)?;
        let replay = read.ok_or_else(|| {
            RpcError::not_found(format!(
                "the journal of session {id} has no `created` record"
            ))
        })?;
        let stderr_log = self
            .settings
            .paths
            .logs_dir()
            .join(format!("{id}.stderr.log"));
        let (agent, events) = AgentConn::start_or_continue(
            &connector,
            &entry.cwd,
            json!([]),
            &stderr_log,
            replay.agent_session.as_deref(),
        )
        .await
        .map_err(|e| e.to_rpc())?;
        let continued = agent.continued;
        let spec = SessionSpec {
            id: id.clone(),
            connector: entry.connector.clone(),
            cwd: entry.cwd.clone(),
            yolo: entry.yolo,
            timeout: entry
                .prompt_timeout_secs
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
                .unwrap_or(self.settings.prompt_timeout),
            grace: self.settings.cancel_grace,
        };
        let journal = Journal::open(&self.settings.paths.sessions_dir(), &id);
        let session = NodeSession::new(spec, agent, journal, self.index.clone(), Some(entry));
        for (m, params) in replay.frames {
            session.out.emit(m, params, None).await;
        }
        let how = match continued {
            Continued::Resumed | Continued::Loaded => {
                "Reopened: the agent continues the earlier conversation.".to_string()
            }
            Continued::New => "Reopened with a new agent session: the agent starts without the earlier context (it does not offer session/load or session/resume).".to_string(),
        };
        session.notice("info", how).await;
        let idle = json!({ "sessionId": id, "status": SessionStatus::Idle, "reason": null });
        session.out.emit(method::PRAXIS_STATUS, idle, None).await;
        session.out.attach(conn, 0).await?;
        self.sessions().insert(id, session.clone());
        tokio::spawn(relay::run(session.clone(), events));
        Ok(session)
    }

    /// The index entry of session `id` for a reopen, whether it ended here (still listed) or
    /// in an earlier run of the node.
    pub(super) fn ended_entry(&self, id: &str) -> Option<Entry> {
        lock_index(&self.index).get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_replays_as_the_frames_clients_were_sent() {
        let lines = [
            json!({"ts": 1, "kind": "created", "data": {"sessionId": "s", "cwd": "/w", "agentSessionId": "a1"}}),
            json!({"ts": 2, "kind": "status", "data": {"status": "working"}}),
            json!({"ts": 2, "kind": "prompt", "data": [{"type": "text", "text": "hi"}]}),
            json!({"ts": 3, "kind": "update", "seq": 3, "data": {"sessionUpdate": "agent_message_chunk"}}),
            json!({"ts": 3, "kind": "permission_request", "data": {"toolCall": {"title": "rm"}}}),
            json!({"ts": 3, "kind": "permission", "data": {"auto": true, "optionId": "ok"}}),
            json!({"ts": 4, "kind": "stop", "data": {"stopReason": "end_turn"}}),
            json!({"ts": 4, "kind": "status", "data": {"status": "idle"}}),
            json!({"ts": 5, "kind": "status", "data": {"status": "closed"}}),
            json!({"ts": 6, "kind": "reopened", "data": {"sessionId": "s", "agentSessionId": "a2"}}),
        ];
        let text = lines.map(|l| l.to_string()).join("\n") + "\nnot json\n";
        let r = replay_of(&text, "s").unwrap();
        assert_eq!(r.agent_session.as_deref(), Some("a2"));
        assert_eq!(r.created["cwd"], "/w");
        let methods: Vec<&str> = r.frames.iter().map(|(m, _)| *m).collect();
        assert_eq!(
            methods,
            [
                method::PRAXIS_STATUS,
                method::PRAXIS_PROMPTED,
                method::SESSION_UPDATE,
                method::PRAXIS_AUTO_APPROVED,
                method::PRAXIS_STATUS,
            ]
        );
        assert_eq!(r.frames[3].1["toolCall"]["title"], "rm");
        assert!(r.frames.iter().all(|(_, p)| p["sessionId"] == "s"));
        assert_eq!(replay_of("{\"kind\":\"prompt\"}", "s"), None);
    }
}
