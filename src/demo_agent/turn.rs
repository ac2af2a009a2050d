//! One prompt turn of the demo agent: the helpers that stream updates, ask for permission and
//! use the client's file system, and the turn scripts themselves.

use super::content;
use crate::protocol::acp::method;
use crate::protocol::{Peer, RpcError};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

pub(super) struct Turn {
    pub peer: Peer,
    pub session_id: String,
    pub cwd: PathBuf,
    pub cancel: watch::Receiver<bool>,
    pub delay: Duration,
}

const CANCELLED: &str = "cancelled";
const END_TURN: &str = "end_turn";

impl Turn {
    async fn update(&self, update: Value) {
        let _ = self
            .peer
            .notify(
                method::SESSION_UPDATE,
                json!({ "sessionId": self.session_id, "update": update }),
            )
            .await;
    }

    fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }

    /// Sleeps `d`; false if the turn was cancelled meanwhile.
    async fn pause(&self, d: Duration) -> bool {
        if d.is_zero() {
            return !self.cancelled();
        }
        let mut c = self.cancel.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.cancelled(),
            _ = c.wait_for(|v| *v) => false,
        }
    }

    async fn chunk(&self, kind: &str, text: &str) {
        self.update(json!({ "sessionUpdate": kind, "content": { "type": "text", "text": text } }))
            .await;
    }

    /// Streams `text` as message chunks of about `size` bytes; false if cancelled.
    async fn stream(&self, kind: &str, text: &str, size: usize, delay: Duration) -> bool {
        for piece in content::chunks(text, size) {
            if !self.pause(delay).await {
                return false;
            }
            self.chunk(kind, piece).await;
        }
        true
    }

    async fn tool_call(&self, id: &str, title: &str, kind: &str, input: Value) {
        self.update(json!({
            "sessionUpdate": "tool_call", "toolCallId": id, "title": title, "kind": kind,
            "status": "in_progress", "rawInput": input,
        }))
        .await;
    }

    async fn tool_done(&self, id: &str, status: &str, text: &str) {
        self.update(json!({
            "sessionUpdate": "tool_call_update", "toolCallId": id, "status": status,
            "content": [{ "type": "content", "content": { "type": "text", "text": text } }],
        }))
        .await;
    }

    async fn plan(&self, statuses: [&str; 3]) {
        let steps = [
            "Read the project layout",
            "Run the test suite",
            "Propose a fix",
        ];
        let entries: Vec<Value> = steps
            .iter()
            .zip(statuses)
            .map(|(s, st)| json!({ "content": s, "priority": "medium", "status": st }))
            .collect();
        self.update(json!({ "sessionUpdate": "plan", "entries": entries }))
            .await;
    }

    /// Asks the client; `Ok(None)` when the answer is `cancelled`.
    async fn ask(&self, tool_call_id: &str, title: &str) -> Result<Option<String>, RpcError> {
        let answer = self
            .peer
            .request(
                method::REQUEST_PERMISSION,
                json!({
                    "sessionId": self.session_id,
                    "toolCall": { "toolCallId": tool_call_id, "title": title, "kind": "edit", "status": "pending" },
                    "options": [
                        { "optionId": "allow", "name": "Allow once", "kind": "allow_once" },
                        { "optionId": "allow-always", "name": "Always allow", "kind": "allow_always" },
                        { "optionId": "reject", "name": "Reject", "kind": "reject_once" },
                    ],
                }),
            )
            .await?;
        Ok(
            match answer.pointer("/outcome/outcome").and_then(Value::as_str) {
                Some("selected") => answer
                    .pointer("/outcome/optionId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                _ => None,
            },
        )
    }

    async fn fs(&self, m: &str, params: Value) -> Result<Value, RpcError> {
        let mut params = params;
        params["sessionId"] = json!(self.session_id);
        self.peer.request(m, params).await
    }

    pub fn input_tokens(&self, prompt: &str) -> u64 {
        (prompt.len() as u64 / 4).max(1)
    }
}

/// Runs the turn selected by `text`; returns the stop reason.
pub(super) async fn run(t: &Turn, text: &str) -> Result<&'static str, RpcError> {
    let (cmd, rest) = match text.strip_prefix('/') {
        Some(c) => c.split_once(char::is_whitespace).unwrap_or((c, "")),
        None => ("", text),
    };
    let rest = rest.trim();
    let done = |ok: bool| if ok { END_TURN } else { CANCELLED };
    match cmd {
        "" => showcase(t, text).await,
        "help" => {
            let mut s = String::from("Demo agent commands:\n\n");
            for (name, desc, hint) in super::COMMANDS {
                s.push_str(&format!(
                    "- `/{name}{}` — {desc}\n",
                    hint.map(|h| format!(" {h}")).unwrap_or_default()
                ));
            }
            Ok(done(
                t.stream("agent_message_chunk", &s, 64, Duration::ZERO)
                    .await,
            ))
        }
        "echo" => Ok(done(
            t.stream("agent_message_chunk", rest, 16, t.delay).await,
        )),
        "stream" => {
            let mut args = rest.split_whitespace().map(|a| a.parse::<usize>());
            let bytes = args.next().and_then(Result::ok).unwrap_or(1 << 20);
            let chunk = args.next().and_then(Result::ok).unwrap_or(16).max(1);
            let doc = content::markdown_of_size(bytes);
            Ok(done(
                t.stream("agent_message_chunk", &doc, chunk, Duration::ZERO)
                    .await,
            ))
        }
        "slow" => {
            let n: usize = rest.parse().unwrap_or(50);
            for i in 1..=n {
                if !t.pause(Duration::from_millis(100)).await {
                    return Ok(CANCELLED);
                }
                t.chunk("agent_message_chunk", &format!("tick {i}\n")).await;
            }
            Ok(END_TURN)
        }
        "permission" => {
            t.tool_call(
                "perm-1",
                "Write demo.txt",
                "edit",
                json!({ "path": "demo.txt" }),
            )
            .await;
            let answer = t.ask("perm-1", "Write demo.txt").await?;
            let said = answer.clone().unwrap_or_else(|| "cancelled".into());
            t.tool_done(
                "perm-1",
                if answer.as_deref() == Some("reject") || answer.is_none() {
                    "failed"
                } else {
                    "completed"
                },
                &said,
            )
            .await;
            t.chunk("agent_message_chunk", &format!("permission: {said}"))
                .await;
            Ok(if answer.is_none() {
                CANCELLED
            } else {
                END_TURN
            })
        }
        "write" => {
            let (name, body) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let path = t.cwd.join(name);
            t.tool_call(
                "write-1",
                &format!("Write {name}"),
                "edit",
                json!({ "path": path }),
            )
            .await;
            match t.ask("write-1", &format!("Write {name}")).await? {
                Some(o) if o.starts_with("allow") => {
                    match t
                        .fs(method::FS_WRITE, json!({ "path": path, "content": body }))
                        .await
                    {
                        Ok(_) => {
                            t.tool_done("write-1", "completed", "written").await;
                            t.chunk("agent_message_chunk", &format!("wrote {name}"))
                                .await;
                        }
                        Err(e) => {
                            t.tool_done("write-1", "failed", &e.message).await;
                            t.chunk(
                                "agent_message_chunk",
                                &format!("write failed: {}", e.message),
                            )
                            .await;
                        }
                    }
                    Ok(END_TURN)
                }
                Some(_) => {
                    t.tool_done("write-1", "failed", "rejected").await;
                    t.chunk("agent_message_chunk", "not written: permission rejected")
                        .await;
                    Ok(END_TURN)
                }
                None => Ok(CANCELLED),
            }
        }
        "read" => {
            let path = if rest.starts_with('/') {
                PathBuf::from(rest)
            } else {
                t.cwd.join(rest)
            };
            let answer = match t.fs(method::FS_READ, json!({ "path": path })).await {
                Ok(v) => format!(
                    "```\n{}\n```",
                    v.get("content").and_then(Value::as_str).unwrap_or_default()
                ),
                Err(e) => format!("read failed: {}", e.message),
            };
            t.chunk("agent_message_chunk", &answer).await;
            Ok(END_TURN)
        }
        "fs-escape" => {
            let mut report = String::new();
            let outside = t.cwd.join("..").join("outside.txt");
            for (label, m, params) in [
                (
                    "read /etc/hostname",
                    method::FS_READ,
                    json!({ "path": "/etc/hostname" }),
                ),
                (
                    "read ../outside.txt",
                    method::FS_READ,
                    json!({ "path": outside }),
                ),
                (
                    "write /tmp/praxis-escape.txt",
                    method::FS_WRITE,
                    json!({ "path": "/tmp/praxis-escape.txt", "content": "x" }),
                ),
            ] {
                let line = match t.fs(m, params).await {
                    Ok(_) => format!("- {label}: ALLOWED\n"),
                    Err(e) => format!("- {label}: refused ({})\n", e.message),
                };
                report.push_str(&line);
            }
            t.chunk("agent_message_chunk", &report).await;
            Ok(END_TURN)
        }
        "crash" => {
            t.chunk("agent_message_chunk", "About to crash…\n").await;
            eprintln!("demo agent: simulated crash (as requested by /crash)");
            tokio::time::sleep(Duration::from_millis(100)).await;
            std::process::exit(3);
        }
        "hang" => {
            t.chunk(
                "agent_message_chunk",
                "Hanging now; cancel will be ignored.\n",
            )
            .await;
            std::future::pending::<()>().await;
            unreachable!()
        }
        "malformed" => {
            let _ = t.peer.send_raw("this is not json {".into()).await;
            let _ = t.peer.send_raw("{\"jsonrpc\":\"2.0\"}".into()).await;
            t.update(
                json!({ "sessionUpdate": "hologram_update", "note": "a kind no client knows" }),
            )
            .await;
            let unknown = t.peer.request("_demo/unknown_method", json!({})).await;
            let answer = match unknown {
                Err(e) => format!(
                    "still alive; the client answered the unknown method with {}",
                    e.code
                ),
                Ok(v) => format!("still alive; the client answered the unknown method with {v}"),
            };
            t.chunk("agent_message_chunk", &answer).await;
            Ok(END_TURN)
        }
        other => {
            t.chunk(
                "agent_message_chunk",
                &format!("Unknown demo command `/{other}`. Try `/help`."),
            )
            .await;
            Ok(END_TURN)
        }
    }
}

/// The full tour: thoughts, plan, tool calls (one failing), a diff behind a permission
/// request, and a markdown answer.
async fn showcase(t: &Turn, prompt: &str) -> Result<&'static str, RpcError> {
    let d = t.delay;
    let thought = format!(
        "The user wrote: \"{}\". I'll look at the project, run the tests, then propose a change.",
        prompt.chars().take(80).collect::<String>()
    );
    if !t.stream("agent_thought_chunk", &thought, 24, d).await {
        return Ok(CANCELLED);
    }
    t.plan(["in_progress", "pending", "pending"]).await;
    t.tool_call(
        "read-1",
        "Read Cargo.toml",
        "read",
        json!({ "path": "Cargo.toml" }),
    )
    .await;
    if !t.pause(d * 8).await {
        return Ok(CANCELLED);
    }
    t.tool_done("read-1", "completed", content::CARGO_TOML)
        .await;
    t.plan(["completed", "in_progress", "pending"]).await;
    t.tool_call(
        "exec-1",
        "cargo test",
        "execute",
        json!({ "command": "cargo test" }),
    )
    .await;
    if !t.pause(d * 8).await {
        return Ok(CANCELLED);
    }
    t.tool_done("exec-1", "failed", content::TEST_FAILURE).await;
    t.plan(["completed", "completed", "in_progress"]).await;
    let path = t.cwd.join("src/lib.rs");
    t.update(json!({
        "sessionUpdate": "tool_call", "toolCallId": "edit-1", "title": "Edit src/lib.rs", "kind": "edit",
        "status": "pending", "locations": [{ "path": path, "line": 3 }],
        "content": [{ "type": "diff", "path": path, "oldText": content::DIFF_OLD, "newText": content::DIFF_NEW }],
    })).await;
    let answer = t.ask("edit-1", "Edit src/lib.rs").await?;
    match answer.as_deref() {
        None => return Ok(CANCELLED),
        Some("reject") => {
            t.tool_done("edit-1", "failed", "Rejected by the user.")
                .await
        }
        Some(_) => {
            t.tool_done(
                "edit-1",
                "completed",
                "Applied (simulated: the demo agent never touches your files).",
            )
            .await
        }
    }
    t.plan(["completed", "completed", "completed"]).await;
    if !t
        .stream("agent_message_chunk", content::ANSWER, 24, d)
        .await
    {
        return Ok(CANCELLED);
    }
    t.update(json!({ "sessionUpdate": "usage_update", "used": 5321, "size": 200000, "cost": { "amount": 0.0, "currency": "USD" } })).await;
    Ok(END_TURN)
}
