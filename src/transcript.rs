//! Markdown transcripts from a session's JSONL journal: what the user saw — prompts, answers,
//! thoughts, tool calls with their final status, plans, stop reasons and failures.
//!
//! A pure function of the journal text; the caller decides where the file goes.
//!
//! The journal holds what the agent sent, raw; every string is sanitized here on the way out.
//! Consecutive text chunks are joined first and sanitized as one text, so an escape sequence
//! split across two chunks is removed whole.

use crate::sanitize::{sanitize, sanitize_json};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write;

#[derive(Default)]
struct Tool {
    title: String,
    kind: String,
    status: String,
    output: String,
}

enum Piece {
    Text(String),
    Thought(String),
    Tool(String),
    Plan,
    Note(String),
}

#[derive(Default)]
struct Turn {
    pieces: Vec<Piece>,
    tools: HashMap<String, Tool>,
    plan: Vec<(String, String)>,
}

impl Turn {
    fn push_text(&mut self, thought: bool, text: &str) {
        match (self.pieces.last_mut(), thought) {
            (Some(Piece::Text(t)), false) | (Some(Piece::Thought(t)), true) => t.push_str(text),
            _ => self.pieces.push(if thought {
                Piece::Thought(text.into())
            } else {
                Piece::Text(text.into())
            }),
        }
    }

    fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    fn render(&self, out: &mut String, agent: &str) {
        let _ = writeln!(out, "## ● {agent}\n");
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => {
                    out.push_str(sanitize(t).trim_end());
                    out.push_str("\n\n");
                }
                Piece::Thought(t) => {
                    for line in sanitize(t).trim().lines() {
                        let _ = writeln!(out, "> 💭 {line}");
                    }
                    out.push('\n');
                }
                Piece::Tool(id) => {
                    let tool = &self.tools[id];
                    let _ = writeln!(
                        out,
                        "- 🔧 **{}** ({}) — {}",
                        tool.title, tool.kind, tool.status
                    );
                    if !tool.output.trim().is_empty() {
                        out.push_str("\n  ```\n");
                        for line in tool.output.trim_end().lines() {
                            let _ = writeln!(out, "  {line}");
                        }
                        out.push_str("  ```\n");
                    }
                    out.push('\n');
                }
                Piece::Plan => {
                    out.push_str("**Plan**\n\n");
                    for (step, status) in &self.plan {
                        let mark = match status.as_str() {
                            "completed" => "[x]",
                            "in_progress" => "[~]",
                            _ => "[ ]",
                        };
                        let _ = writeln!(out, "- {mark} {step}");
                    }
                    out.push('\n');
                }
                Piece::Note(n) => {
                    let _ = writeln!(out, "_{n}_\n");
                }
            }
        }
    }

    fn apply(&mut self, update: &Value) {
        let kind = update
            .get("sessionUpdate")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let text = || {
            update
                .pointer("/content/text")
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        match kind {
            "agent_message_chunk" => self.push_text(false, text()),
            "agent_thought_chunk" => self.push_text(true, text()),
            "user_message_chunk" => {}
            "tool_call" | "tool_call_update" => {
                let id = update
                    .get("toolCallId")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                if !self.tools.contains_key(&id) {
                    self.pieces.push(Piece::Tool(id.clone()));
                }
                let tool = self.tools.entry(id).or_default();
                let field = |k: &str| update.get(k).and_then(Value::as_str).map(str::to_owned);
                if let Some(t) = field("title") {
                    tool.title = t;
                }
                if let Some(k) = field("kind") {
                    tool.kind = k;
                }
                if let Some(s) = field("status") {
                    tool.status = s;
                }
                for item in update
                    .get("content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(t) = item.pointer("/content/text").and_then(Value::as_str) {
                        tool.output = t.to_string();
                    } else if item.get("type").and_then(Value::as_str) == Some("diff") {
                        tool.output = diff_text(item);
                    }
                }
            }
            "plan" => {
                if !self.pieces.iter().any(|p| matches!(p, Piece::Plan)) {
                    self.pieces.push(Piece::Plan);
                }
                self.plan = update
                    .get("entries")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        let s = |k: &str| {
                            e.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string()
                        };
                        (s("content"), s("status"))
                    })
                    .collect();
            }
            "available_commands_update"
            | "current_mode_update"
            | "usage_update"
            | "config_option_update"
            | "session_info_update" => {}
            other => self.pieces.push(Piece::Note(format!("[{other} update]"))),
        }
    }
}

fn diff_text(item: &Value) -> String {
    let path = item.get("path").and_then(Value::as_str).unwrap_or("?");
    let mut s = format!("--- {path}\n+++ {path}\n");
    for l in item
        .get("oldText")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .lines()
    {
        let _ = writeln!(s, "-{l}");
    }
    for l in item
        .get("newText")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .lines()
    {
        let _ = writeln!(s, "+{l}");
    }
    s
}

/// Sanitizes every string of a record but the text of a text chunk, which is sanitized once
/// its neighbours are joined to it.
fn clean_record(record: &mut Value) {
    let chunk_text = if record.get("kind").and_then(Value::as_str) == Some("update") {
        record.pointer_mut("/data/content/text").map(Value::take)
    } else {
        None
    };
    sanitize_json(record);
    if let (Some(text), Some(slot)) = (chunk_text, record.pointer_mut("/data/content/text")) {
        *slot = text;
    }
}

/// Renders a journal (JSONL text) as Markdown. Lines that are not valid records are skipped.
pub fn journal_to_markdown(journal: &str) -> String {
    let mut out = String::from("# praxis transcript\n\n");
    let mut agent = "agent".to_string();
    let mut turn = Turn::default();
    let flush = |turn: &mut Turn, out: &mut String, agent: &str| {
        if !turn.is_empty() {
            turn.render(out, agent);
        }
        *turn = Turn::default();
    };
    for line in journal.lines() {
        let Ok(mut record) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        clean_record(&mut record);
        let data = &record["data"];
        match record
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "created" => {
                agent = data
                    .pointer("/agentInfo/name")
                    .or_else(|| data.get("connector"))
                    .and_then(Value::as_str)
                    .unwrap_or("agent")
                    .to_string();
                let _ = writeln!(
                    out,
                    "- agent: {}\n- session: {}\n- cwd: {}\n",
                    data.get("connector").and_then(Value::as_str).unwrap_or("?"),
                    data.get("sessionId").and_then(Value::as_str).unwrap_or("?"),
                    data.get("cwd").and_then(Value::as_str).unwrap_or("?"),
                );
            }
            "prompt" => {
                flush(&mut turn, &mut out, &agent);
                let text: Vec<&str> = data
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|b| b.get("text").and_then(Value::as_str))
                    .collect();
                let _ = writeln!(out, "## ▸ you\n\n{}\n", text.join("\n").trim_end());
            }
            "update" => turn.apply(data),
            "permission" if data.get("auto").is_some() => {
                turn.pieces.push(Piece::Note("auto-approved (YOLO)".into()));
            }
            "stop" => {
                let reason = data
                    .get("stopReason")
                    .and_then(Value::as_str)
                    .unwrap_or("end_turn");
                if reason != "end_turn" {
                    turn.pieces.push(Piece::Note(format!("stopped: {reason}")));
                }
                flush(&mut turn, &mut out, &agent);
            }
            "timeout" => turn.pieces.push(Piece::Note("prompt timed out".into())),
            "notice" => {
                if let Some(m) = data.get("message").and_then(Value::as_str) {
                    turn.pieces.push(Piece::Note(m.to_string()));
                }
            }
            "status" if data.get("status").and_then(Value::as_str) == Some("failed") => {
                let reason = data
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown reason");
                turn.pieces
                    .push(Piece::Note(format!("session failed: {reason}")));
                flush(&mut turn, &mut out, &agent);
            }
            _ => {}
        }
    }
    flush(&mut turn, &mut out, &agent);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(kind: &str, data: Value) -> String {
        json!({ "ts": 0, "kind": kind, "data": data }).to_string()
    }

    #[test]
    fn agent_escapes_never_reach_the_markdown_even_split_across_chunks() {
        let chunk = |t: &str| {
            rec(
                "update",
                json!({ "sessionUpdate": "agent_message_chunk", "content": { "type": "text", "text": t } }),
            )
        };
        let journal = [
            rec("created", json!({ "connector": "demo\u{1b}]0;T\u{7}", "sessionId": "s1", "cwd": "/w", "agentInfo": { "name": "ev\u{1b}[2Jil" } })),
            rec("prompt", json!([{ "type": "text", "text": "hi\u{9b}31m" }])),
            chunk("before \u{1b}]52;c;UFdORUQ="),
            chunk("\u{7}after"),
            rec("update", json!({ "sessionUpdate": "tool_call", "toolCallId": "t", "title": "x\u{1b}P1$r\u{1b}\\y", "status": "failed" })),
            rec("notice", json!({ "level": "warning", "message": "skipped \u{1b}_apc\u{1b}\\frame" })),
            rec("stop", json!({ "stopReason": "refusal\u{1b}[5m" })),
        ]
        .join("\n");
        let md = journal_to_markdown(&journal);
        assert!(
            !md.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{md:?}"
        );
        assert!(md.contains("before after"), "{md}");
        assert!(!md.contains("UFdORUQ"), "{md}");
        assert!(md.contains("## ● evil"), "{md}");
        assert!(md.contains("**xy**"), "{md}");
        assert!(md.contains("_skipped frame_"), "{md}");
        assert!(md.contains("stopped: refusal"), "{md}");
    }

    #[test]
    fn renders_prompts_answers_tools_and_plans() {
        let journal = [
            rec("created", json!({ "connector": "demo", "sessionId": "s1", "cwd": "/w", "agentInfo": { "name": "demo" } })),
            rec("prompt", json!([{ "type": "text", "text": "hi" }])),
            rec("update", json!({ "sessionUpdate": "agent_thought_chunk", "content": { "type": "text", "text": "hmm" } })),
            rec("update", json!({ "sessionUpdate": "tool_call", "toolCallId": "t", "title": "cargo test", "kind": "execute", "status": "in_progress" })),
            rec("update", json!({ "sessionUpdate": "plan", "entries": [{ "content": "step", "status": "pending", "priority": "low" }] })),
            rec("update", json!({ "sessionUpdate": "tool_call_update", "toolCallId": "t", "status": "failed",
                "content": [{ "type": "content", "content": { "type": "text", "text": "boom" } }] })),
            rec("update", json!({ "sessionUpdate": "plan", "entries": [{ "content": "step", "status": "completed", "priority": "low" }] })),
            rec("update", json!({ "sessionUpdate": "agent_message_chunk", "content": { "type": "text", "text": "Hel" } })),
            rec("update", json!({ "sessionUpdate": "agent_message_chunk", "content": { "type": "text", "text": "lo" } })),
            rec("update", json!({ "sessionUpdate": "hologram" })),
            rec("stop", json!({ "stopReason": "cancelled" })),
            "garbage".to_string(),
        ]
        .join("\n");
        let md = journal_to_markdown(&journal);
        assert!(md.contains("## ▸ you\n\nhi\n"), "{md}");
        assert!(md.contains("## ● demo"), "{md}");
        assert!(md.contains("> 💭 hmm"), "{md}");
        assert!(
            md.contains("- 🔧 **cargo test** (execute) — failed"),
            "{md}"
        );
        assert!(md.contains("  boom"), "{md}");
        assert!(md.contains("- [x] step"), "{md}");
        assert!(!md.contains("[ ] step"), "{md}");
        assert!(md.contains("Hello\n"), "{md}");
        assert!(md.contains("_[hologram update]_"), "{md}");
        assert!(md.contains("_stopped: cancelled_"), "{md}");
    }
}
