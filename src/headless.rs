//! `praxis prompt`: one prompt, one session, the answer streamed to stdout as plain text.
//!
//! Tool calls, plans and permission decisions become readable lines; agent text is printed
//! with control characters and escape sequences removed (the node client sanitizes every
//! string it hands over; the printer does again before writing). Exit status: 0 on
//! `end_turn`, 1 when the turn ends otherwise or fails, 2 when the session cannot start, 130
//! after Ctrl+C, 128+N after SIGTERM/SIGHUP (the agent's process group is ended first).
//!
//! Writing never panics: a closed stdout or stderr is ignored ([`say`]).

use crate::node::client::Sink;
use crate::node::{LocalNode, NodeClient, NodeEvent, NodeSettings, SessionOptions};
use crate::node_api::{PermissionAnswer, PromptDone, StopReason};
use crate::protocol::acp::{content_text, schema, Update};
use crate::protocol::RpcError;
use crate::sanitize::sanitize;
use std::io::Write;

/// Arguments of `praxis prompt`.
#[derive(Debug, Clone)]
pub struct PromptArgs {
    pub options: SessionOptions,
    pub text: String,
}

pub use crate::stderr::say;

/// Which node runs the prompt.
pub enum Target {
    /// A fresh in-process node.
    Local(NodeSettings),
    /// A node daemon, reached over this transport (a Unix socket or a broker link).
    Node {
        name: String,
        reached: crate::reach::Reached,
        token: Option<String>,
    },
}

/// Runs one prompt; returns the process exit status (3 when the node cannot be reached).
pub async fn run(target: Target, args: PromptArgs) -> i32 {
    let mut out = std::io::stdout().lock();
    let mut broker = None;
    let connected = match target {
        Target::Local(settings) => NodeClient::connect(LocalNode::start(settings))
            .await
            .map_err(|e| (2, format!("the local node did not start: {}", e.message))),
        Target::Node {
            name,
            reached,
            token,
        } => {
            let (tx, rx) = tokio::sync::mpsc::channel(crate::node::client::EVENT_CAPACITY);
            // Kept for the whole run: it carries the link.
            broker = reached.endpoint;
            match NodeClient::connect_into(reached.transport, Sink::Own(tx), token).await {
                Ok(c) => {
                    match crate::reach::check_reached(broker.is_some(), Some(&name), &c.node_name) {
                        Ok(()) => Ok((c, rx)),
                        Err(e) => Err((3, e)),
                    }
                }
                Err(e) => Err((3, format!("node {name}: {}", e.message))),
            }
        }
    };
    let (client, mut events) = match connected {
        Ok(c) => c,
        Err((code, e)) => {
            say(&e);
            return code;
        }
    };
    let session = match client.new_session(&args.options).await {
        Ok(s) => s.session_id,
        Err(e) => {
            say(&format!(
                "cannot start agent `{}`: {}",
                args.options.agent, e.message
            ));
            return 2;
        }
    };
    let _broker = broker;
    let mut signals = crate::signals::Signals::new();
    let prompt = {
        let (client, session, text) = (client.clone(), session.clone(), args.text.clone());
        tokio::spawn(async move { client.prompt(&session, &text).await })
    };
    tokio::pin!(prompt);
    let mut printer = Printer::default();
    let mut interrupted = false;
    let mut failure: Option<String> = None;
    let outcome: Result<PromptDone, RpcError> = loop {
        tokio::select! {
            done = &mut prompt => break done.unwrap_or_else(|e| Err(RpcError::internal(e))),
            Some(event) = events.recv() => {
                on_event(event, &session, &client, &mut out, &mut printer, &mut failure).await;
            }
            _ = tokio::signal::ctrl_c() => {
                if interrupted {
                    return 130;
                }
                interrupted = true;
                let _ = writeln!(std::io::stderr());
                say("cancelling (Ctrl+C again to quit at once)");
                client.cancel(&session).await;
            }
            signal = signals.next() => {
                say(&format!("{signal}: ending the agent"));
                let _ = out.write_all(printer.finish().as_bytes());
                let _ = out.flush();
                drop(events);
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), client.close(&session)).await;
                return 128 + signal.number();
            }
        }
    };
    // Events queued before the answer (the loop may have seen the answer first).
    while let Ok(event) = events.try_recv() {
        on_event(
            event,
            &session,
            &client,
            &mut out,
            &mut printer,
            &mut failure,
        )
        .await;
    }
    let _ = out.write_all(printer.finish().as_bytes());
    let _ = out.flush();
    // Nobody reads events any more; dropping them keeps the node from waiting on us.
    drop(events);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), client.close(&session)).await;
    match outcome {
        Ok(done) if done.stop_reason == StopReason::EndTurn => 0,
        Ok(done) => {
            let why = if done.timed_out {
                " (prompt timed out)"
            } else {
                ""
            };
            say(&format!("the agent stopped: {}{why}", done.stop_reason));
            if interrupted {
                130
            } else {
                1
            }
        }
        Err(e) => {
            say(&failure.unwrap_or(e.message));
            1
        }
    }
}

/// Prints (or answers) one event of the prompt's session.
async fn on_event(
    event: NodeEvent,
    session: &str,
    client: &NodeClient,
    out: &mut impl Write,
    printer: &mut Printer,
    failure: &mut Option<String>,
) {
    match event {
        NodeEvent::Update { session: s, update } if s == session => {
            let _ = out.write_all(printer.update(&update).as_bytes());
            let _ = out.flush();
        }
        NodeEvent::Permission { request, ask, .. } => {
            let title = ask
                .tool_call
                .fields
                .title
                .clone()
                .unwrap_or_else(|| "a tool call".into());
            let reject = ask.options.iter().find(|o| {
                matches!(
                    o.kind,
                    schema::PermissionOptionKind::RejectOnce
                        | schema::PermissionOptionKind::RejectAlways
                )
            });
            say(&format!(
                "the agent asked permission for {title}; rejected (use --yolo to approve such requests)"
            ));
            let answer = match reject {
                Some(o) => PermissionAnswer::Selected(o.option_id.0.to_string()),
                None => PermissionAnswer::Cancelled,
            };
            client.answer_permission(request, answer).await;
        }
        NodeEvent::Notice {
            session: s,
            message,
            ..
        } if s == session => say(&message),
        NodeEvent::AutoApproved {
            session: s, title, ..
        } if s == session => {
            let line = printer.line(&format!("[yolo] approved: {}", sanitize(&title)));
            let _ = out.write_all(line.as_bytes());
        }
        NodeEvent::Status {
            session: s,
            status: crate::node::SessionStatus::Failed,
            reason: Some(reason),
        } if s == session => *failure = Some(reason),
        _ => {}
    }
}

/// Turns updates into plain text, keeping track of whether the output ends mid-line.
#[derive(Default)]
pub struct Printer {
    at_line_start: bool,
    started: bool,
    titles: std::collections::HashMap<String, String>,
    /// Each tool's output so far (sent whole in every update) and how much of it is printed.
    outputs: std::collections::HashMap<String, ToolOutput>,
}

#[derive(Default)]
struct ToolOutput {
    resent: crate::growth::Resent,
    text: String,
    printed: usize,
}

/// How a tool's output is indented under its `[tool]` line.
const OUTPUT_INDENT: &str = "    ";

/// The protocol's snake_case name of a unit enum value (`in_progress`).
fn wire_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Printer {
    /// Text for one update ("" for kinds that print nothing).
    pub fn update(&mut self, update: &Update) -> String {
        use schema::SessionUpdate as U;
        let Update::Known(u) = update else {
            return self.line(&format!("[{} update]", update.kind()));
        };
        match u.as_ref() {
            U::AgentMessageChunk(c) => match content_text(&c.content) {
                Some(t) => self.text(&sanitize(t)),
                None => self.line("[non-text content]"),
            },
            U::ToolCall(tc) => {
                let title = sanitize(&tc.title);
                self.titles
                    .insert(tc.tool_call_id.0.to_string(), title.clone());
                self.line(&format!(
                    "[tool] {title} ({}): {}",
                    wire_name(&tc.kind),
                    wire_name(&tc.status)
                ))
            }
            U::ToolCallUpdate(tu) => {
                let id = tu.tool_call_id.0.to_string();
                let done = tu.fields.status.is_some_and(|s| {
                    matches!(
                        s,
                        schema::ToolCallStatus::Completed | schema::ToolCallStatus::Failed
                    )
                });
                let mut out = self.tool_output(&id, tu.fields.content.as_deref(), done);
                out.push_str(&self.tool_status(tu));
                out
            }
            U::Plan(p) => {
                let steps: Vec<String> = p
                    .entries
                    .iter()
                    .map(|e| {
                        let mark = match e.status {
                            schema::PlanEntryStatus::Completed => "x",
                            schema::PlanEntryStatus::InProgress => "~",
                            _ => " ",
                        };
                        format!("[{mark}] {}", sanitize(&e.content))
                    })
                    .collect();
                self.line(&format!("[plan] {}", steps.join("  ")))
            }
            _ => String::new(),
        }
    }

    /// The `[tool]` line of an update that changes the status ("" for one that does not);
    /// called after [`tool_output`](Self::tool_output) has taken the update's output in.
    fn tool_status(&mut self, tu: &schema::ToolCallUpdate) -> String {
        let Some(status) = tu.fields.status else {
            return String::new();
        };
        let id = tu.tool_call_id.0.to_string();
        // A failure says why: its output's headline (kept, sanitized, by `tool_output`).
        let first = self
            .outputs
            .get(&id)
            .filter(|_| status == schema::ToolCallStatus::Failed)
            .and_then(|o| crate::tool_text::headline(&o.text))
            .map(|l| format!(" — {l}"))
            .unwrap_or_default();
        let title = self.titles.get(&id).cloned().unwrap_or(id);
        self.line(&format!("[tool] {title}: {}{first}", wire_name(&status)))
    }

    /// The lines of tool `id`'s output not printed yet, indented: complete lines as they come
    /// (the whole output arrives in each update), the rest once the tool is `done`.
    fn tool_output(
        &mut self,
        id: &str,
        content: Option<&[schema::ToolCallContent]>,
        done: bool,
    ) -> String {
        let text = content.into_iter().flatten().find_map(|c| match c {
            schema::ToolCallContent::Content(c) => content_text(&c.content),
            _ => None,
        });
        let o = self.outputs.entry(id.to_string()).or_default();
        if let Some(text) = text {
            o.resent.apply(&mut o.text, text);
            if o.printed > o.text.len() || !o.text.is_char_boundary(o.printed) {
                o.printed = 0; // replaced: printed again
            }
        }
        let rest = &o.text[o.printed..];
        let upto = if done {
            rest.len()
        } else {
            rest.rfind('\n').map_or(0, |i| i + 1)
        };
        let lines: Vec<String> = rest[..upto]
            .lines()
            .map(|l| match l.trim_end() {
                "" => String::new(),
                l => format!("{OUTPUT_INDENT}{l}"),
            })
            .collect();
        o.printed += upto;
        lines.iter().map(|l| self.line(l)).collect()
    }

    fn text(&mut self, t: &str) -> String {
        if t.is_empty() {
            return String::new();
        }
        self.started = true;
        self.at_line_start = t.ends_with('\n');
        t.to_string()
    }

    /// A line of its own (starting a new line first if needed).
    pub fn line(&mut self, l: &str) -> String {
        let lead = if self.started && !self.at_line_start {
            "\n"
        } else {
            ""
        };
        self.started = true;
        self.at_line_start = true;
        format!("{lead}{l}\n")
    }

    /// A final newline if the output ends mid-line.
    pub fn finish(&mut self) -> String {
        if self.started && !self.at_line_start {
            self.at_line_start = true;
            "\n".into()
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_puts_tool_lines_on_their_own_line() {
        let mut p = Printer::default();
        let chunk = Update::from_value(
            serde_json::json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "hello"}}),
        );
        let mut s = p.update(&chunk);
        s.push_str(&p.line("[tool] x"));
        s.push_str(&p.update(&chunk));
        s.push_str(&p.finish());
        assert_eq!(s, "hello\n[tool] x\nhello\n");
    }

    #[test]
    fn tool_output_is_printed_sanitized_and_indented_under_its_tool_line() {
        // Tool output in `tool_call_update` content was never printed ("[tool] Terminal:
        // completed" and nothing else).
        let mut p = Printer::default();
        let upd = |v: serde_json::Value| Update::from_value(v);
        let mut s = p.update(&upd(serde_json::json!({"sessionUpdate": "tool_call",
            "toolCallId": "t", "title": "cargo test", "kind": "execute", "status": "in_progress"})));
        for (text, status) in [
            ("running 2 tests\ntest a ... ", None),
            (
                "running 2 tests\ntest a ... ok\ntest b \x1b[31mFAILED\x1b[0m\n",
                None,
            ),
            (
                "running 2 tests\ntest a ... ok\ntest b \x1b[31mFAILED\x1b[0m\nerror: 1 failed",
                Some("failed"),
            ),
        ] {
            let mut v = serde_json::json!({"sessionUpdate": "tool_call_update", "toolCallId": "t",
                "content": [{"type": "content", "content": {"type": "text", "text": text}}]});
            if let Some(st) = status {
                v["status"] = st.into();
            }
            s.push_str(&p.update(&upd(v)));
        }
        assert_eq!(
            s,
            "[tool] cargo test (execute): in_progress\n    running 2 tests\n    test a ... ok\n    test b FAILED\n    error: 1 failed\n[tool] cargo test: failed — running 2 tests\n"
        );
    }
}
