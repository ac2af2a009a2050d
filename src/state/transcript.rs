//! The transcript of one session as the user sees it: user turns, agent turns (text, thoughts,
//! tool calls, plans, permission requests, unknown updates kept raw), and notices.
//!
//! Pure data. Every entry carries a stable id and a revision that bumps on each change, so the
//! UI can cache rendered lines by (id, revision, width, theme). Text only ever grows by
//! appending while a turn streams, which lets the UI re-render just the open tail.

use super::changes::ChangeLog;
use crate::growth::Resent;
use crate::protocol::acp::{content_text, schema, Update};
use crate::protocol::Id;
use crate::sanitize::sanitize;

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: u64,
    pub rev: u64,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    User { text: String },
    Agent(AgentTurn),
    Notice { level: Level, text: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnState {
    Streaming,
    Done,
    Cancelled,
    /// Ended with another stop reason (max_tokens, refusal, ...).
    Stopped(String),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentTurn {
    pub agent: String,
    pub model: Option<String>,
    pub state: TurnState,
    pub items: Vec<Item>,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub input: Option<String>,
    pub output: String,
    pub diffs: Vec<Diff>,
    /// How `output` was last brought up to date (so a re-sent output costs what it grew by).
    pub resent: Resent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub path: String,
    pub old: Option<String>,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PermissionOption {
    pub id: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub request: Id,
    pub title: String,
    pub options: Vec<PermissionOption>,
    pub selected: usize,
    /// The chosen option's name once answered (or "cancelled").
    pub answered: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Markdown source, append-only while streaming.
    Text(String),
    Thought(String),
    Tool(Tool),
    Plan(Vec<(String, String)>),
    Permission(Permission),
    AutoApproved(String),
    /// An update kind praxis does not know, shown as its raw JSON.
    Raw {
        kind: String,
        json: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub entries: Vec<Entry>,
    next_id: u64,
    /// Permission requests still waiting for an answer (kept as they are asked and answered,
    /// so the keymap's context costs nothing per key).
    unanswered: usize,
    /// Which entries changed, for the chat pane.
    changes: ChangeLog,
    /// The model the agent says it runs the session on: new turns are headed with it.
    pub model: Option<String>,
}

impl Transcript {
    /// An empty transcript replacing `old` (a replay refills it): entry ids go on from
    /// where `old`'s stopped, so no id names two different entries (the chat pane's layout
    /// cache is keyed by them).
    pub fn after(old: &Transcript) -> Transcript {
        Transcript {
            entries: Vec::new(),
            next_id: old.next_id,
            unanswered: 0,
            changes: ChangeLog::after(&old.changes),
            model: old.model.clone(),
        }
    }

    fn push(&mut self, kind: EntryKind) -> &mut Entry {
        self.next_id += 1;
        self.entries.push(Entry {
            id: self.next_id,
            rev: 0,
            kind,
        });
        self.changes.touch(self.entries.len() - 1);
        self.entries.last_mut().expect("just pushed")
    }

    pub fn push_user(&mut self, text: &str) {
        self.push(EntryKind::User {
            text: sanitize(text),
        });
    }

    pub fn push_notice(&mut self, level: Level, text: impl Into<String>) {
        let text = sanitize(&text.into());
        self.push(EntryKind::Notice { level, text });
    }

    pub fn start_turn(&mut self, agent: &str) {
        self.push(EntryKind::Agent(AgentTurn {
            agent: agent.to_string(),
            model: self.model.clone(),
            state: TurnState::Streaming,
            items: Vec::new(),
            tokens_in: None,
            tokens_out: None,
        }));
    }

    /// The streaming agent turn (the last entry if it is an agent turn still streaming).
    fn open_turn(&mut self, agent: &str) -> (&mut AgentTurn, &mut u64) {
        let open = matches!(
            self.entries.last(),
            Some(Entry { kind: EntryKind::Agent(t), .. }) if t.state == TurnState::Streaming
        );
        if !open {
            self.start_turn(agent);
        }
        let e = self.entries.last_mut().expect("an open turn exists");
        let EntryKind::Agent(turn) = &mut e.kind else {
            unreachable!("checked above")
        };
        (turn, &mut e.rev)
    }

    /// Ends the open turn (if any) in `state`.
    pub fn end_turn(&mut self, state: TurnState, tokens: Option<(u64, u64)>) {
        if let Some(Entry {
            kind: EntryKind::Agent(t),
            rev,
            ..
        }) = self.entries.last_mut()
        {
            if t.state == TurnState::Streaming {
                t.state = state;
                if let Some((i, o)) = tokens {
                    t.tokens_in = Some(i);
                    t.tokens_out = Some(o);
                }
                for item in &mut t.items {
                    if let Item::Permission(p) = item {
                        if p.answered.is_none() {
                            p.answered = Some("cancelled".into());
                            self.unanswered = self.unanswered.saturating_sub(1);
                        }
                    }
                }
                *rev += 1;
                self.touch_last();
            }
        }
    }

    /// Applies one `session/update`. Returns false for kinds that do not change the transcript
    /// (commands, modes, usage), which the caller handles.
    pub fn apply(&mut self, agent: &str, update: &Update) -> bool {
        use schema::SessionUpdate as U;
        let u = match update {
            Update::Known(u) => u.as_ref(),
            Update::Unknown(v) => {
                let (turn, rev) = self.open_turn(agent);
                turn.items.push(Item::Raw {
                    kind: update.kind(),
                    json: sanitize(&v.to_string()),
                });
                *rev += 1;
                self.touch_last();
                return true;
            }
        };
        match u {
            U::AgentMessageChunk(c) => self.append(
                agent,
                false,
                content_text(&c.content).unwrap_or("[non-text content]"),
            ),
            U::AgentThoughtChunk(c) => {
                self.append(agent, true, content_text(&c.content).unwrap_or_default())
            }
            U::UserMessageChunk(c) => {
                // Replayed history (session/load): show as a user turn.
                self.push_user(content_text(&c.content).unwrap_or_default());
            }
            U::ToolCall(tc) => {
                let tool = Tool {
                    id: tc.tool_call_id.0.to_string(),
                    title: sanitize(&tc.title),
                    kind: wire(&tc.kind),
                    status: wire(&tc.status),
                    input: tc.raw_input.as_ref().map(|v| sanitize(&v.to_string())),
                    output: String::new(),
                    diffs: Vec::new(),
                    resent: Resent::default(),
                };
                let (turn, rev) = self.open_turn(agent);
                let mut tool = tool;
                apply_content(&mut tool, &tc.content);
                match find_tool(turn, &tool.id) {
                    Some(existing) => *existing = tool,
                    None => turn.items.push(Item::Tool(tool)),
                }
                *rev += 1;
                self.touch_last();
            }
            U::ToolCallUpdate(tu) => {
                let id = tu.tool_call_id.0.to_string();
                let (turn, rev) = self.open_turn(agent);
                if find_tool(turn, &id).is_none() {
                    turn.items.push(Item::Tool(Tool {
                        id: id.clone(),
                        title: "tool call".into(),
                        kind: "other".into(),
                        status: "pending".into(),
                        input: None,
                        output: String::new(),
                        diffs: Vec::new(),
                        resent: Resent::default(),
                    }));
                }
                let tool = find_tool(turn, &id).expect("inserted above");
                let f = &tu.fields;
                if let Some(t) = &f.title {
                    tool.title = sanitize(t);
                }
                if let Some(k) = &f.kind {
                    tool.kind = wire(k);
                }
                if let Some(s) = &f.status {
                    tool.status = wire(s);
                }
                if let Some(i) = &f.raw_input {
                    tool.input = Some(sanitize(&i.to_string()));
                }
                if let Some(content) = &f.content {
                    apply_content(tool, content);
                }
                *rev += 1;
                self.touch_last();
            }
            U::Plan(p) => {
                let steps: Vec<(String, String)> = p
                    .entries
                    .iter()
                    .map(|e| (sanitize(&e.content), wire(&e.status)))
                    .collect();
                let (turn, rev) = self.open_turn(agent);
                match turn.items.iter_mut().find(|i| matches!(i, Item::Plan(_))) {
                    Some(Item::Plan(existing)) => *existing = steps,
                    _ => turn.items.push(Item::Plan(steps)),
                }
                *rev += 1;
                self.touch_last();
            }
            _ => return false,
        }
        true
    }

    fn append(&mut self, agent: &str, thought: bool, text: &str) {
        let text = sanitize(text);
        let (turn, rev) = self.open_turn(agent);
        match (turn.items.last_mut(), thought) {
            (Some(Item::Text(s)), false) | (Some(Item::Thought(s)), true) => s.push_str(&text),
            _ => turn.items.push(if thought {
                Item::Thought(text)
            } else {
                Item::Text(text)
            }),
        }
        *rev += 1;
        self.touch_last();
    }

    pub fn push_permission(
        &mut self,
        agent: &str,
        request: Id,
        ask: &schema::RequestPermissionRequest,
    ) {
        let title = ask
            .tool_call
            .fields
            .title
            .as_deref()
            .map(sanitize)
            .unwrap_or_else(|| "a tool call".into());
        let options = ask
            .options
            .iter()
            .map(|o| PermissionOption {
                id: o.option_id.0.to_string(),
                name: sanitize(&o.name),
                kind: wire(&o.kind),
            })
            .collect();
        let (turn, rev) = self.open_turn(agent);
        turn.items.push(Item::Permission(Permission {
            request,
            title,
            options,
            selected: 0,
            answered: None,
        }));
        *rev += 1;
        self.touch_last();
        self.unanswered += 1;
    }

    pub fn push_auto_approved(&mut self, agent: &str, title: &str) {
        let (turn, rev) = self.open_turn(agent);
        turn.items.push(Item::AutoApproved(sanitize(title)));
        *rev += 1;
        self.touch_last();
    }

    /// Marks the permission request `request` answered (by another client, or cancelled by
    /// the node); true if it was waiting here.
    pub fn resolve_permission(&mut self, request: &Id, option: Option<&str>) -> bool {
        for (i, e) in self.entries.iter_mut().enumerate().rev() {
            if let EntryKind::Agent(t) = &mut e.kind {
                for item in t.items.iter_mut() {
                    if let Item::Permission(p) = item {
                        if &p.request == request && p.answered.is_none() {
                            let name = option
                                .and_then(|o| p.options.iter().find(|x| x.id == o))
                                .map(|x| x.name.clone());
                            p.answered = Some(match name {
                                Some(n) => format!("{n} (answered elsewhere)"),
                                None => "cancelled".into(),
                            });
                            e.rev += 1;
                            self.changes.touch(i);
                            self.unanswered = self.unanswered.saturating_sub(1);
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// Runs `f` on the permission request waiting for an answer, if any (its entry is laid
    /// out again); when `f` answers it (sets `answered`), it no longer counts as waiting.
    pub fn with_pending<R>(&mut self, f: impl FnOnce(&mut Permission) -> R) -> Option<R> {
        let (p, rev, i) = self.pending_permission()?;
        let r = f(p);
        let answered = p.answered.is_some();
        *rev += 1;
        self.changes.touch(i);
        if answered {
            self.unanswered = self.unanswered.saturating_sub(1);
        }
        Some(r)
    }

    /// The permission request still waiting for an answer, if any.
    /// With its entry's revision and index.
    fn pending_permission(&mut self) -> Option<(&mut Permission, &mut u64, usize)> {
        if self.unanswered == 0 {
            return None;
        }
        for (i, e) in self.entries.iter_mut().enumerate().rev() {
            if let EntryKind::Agent(t) = &mut e.kind {
                for item in t.items.iter_mut().rev() {
                    if let Item::Permission(p) = item {
                        if p.answered.is_none() {
                            return Some((p, &mut e.rev, i));
                        }
                    }
                }
            }
        }
        None
    }

    /// The open turn (the last entry) changed.
    fn touch_last(&mut self) {
        self.changes.touch(self.entries.len().saturating_sub(1));
    }

    /// Which entries changed, and when.
    pub fn changes(&self) -> &ChangeLog {
        &self.changes
    }

    /// Whether a permission request waits for an answer (O(1): counted as they come and go).
    pub fn has_pending_permission(&self) -> bool {
        self.unanswered > 0
    }

    /// The text of the last agent answer.
    pub fn last_answer(&self) -> Option<String> {
        self.entries.iter().rev().find_map(|e| match &e.kind {
            EntryKind::Agent(t) => {
                let text: String = t
                    .items
                    .iter()
                    .filter_map(|i| {
                        if let Item::Text(s) = i {
                            Some(s.as_str())
                        } else {
                            None
                        }
                    })
                    .collect();
                (!text.is_empty()).then_some(text)
            }
            _ => None,
        })
    }

    /// The last fenced code block in the last answer that has one.
    pub fn last_code_block(&self) -> Option<String> {
        self.entries.iter().rev().find_map(|e| match &e.kind {
            EntryKind::Agent(t) => t.items.iter().rev().find_map(|i| match i {
                Item::Text(s) => last_fence(s),
                _ => None,
            }),
            _ => None,
        })
    }
}

fn last_fence(md: &str) -> Option<String> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in md.lines() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed.starts_with("```") || trimmed.starts_with("~~~") => {
                current = Some((trimmed[..3].to_string(), String::new()));
            }
            Some((fence, body)) => {
                if trimmed.starts_with(fence.as_str()) {
                    blocks.push(std::mem::take(body));
                    current = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
            None => {}
        }
    }
    blocks.pop()
}

fn find_tool<'a>(turn: &'a mut AgentTurn, id: &str) -> Option<&'a mut Tool> {
    turn.items.iter_mut().find_map(|i| match i {
        Item::Tool(t) if t.id == id => Some(t),
        _ => None,
    })
}

fn apply_content(tool: &mut Tool, content: &[schema::ToolCallContent]) {
    // The common case, one text re-sent whole as it grows: sanitize only what was appended.
    if let [schema::ToolCallContent::Content(c)] = content {
        if let Some(t) = content_text(&c.content).filter(|t| !t.is_empty()) {
            tool.resent.apply(&mut tool.output, t);
            return;
        }
    }
    tool.resent = Resent::default();
    let mut output = String::new();
    let mut diffs = Vec::new();
    for c in content {
        match c {
            schema::ToolCallContent::Content(c) => {
                if let Some(t) = content_text(&c.content) {
                    output.push_str(&sanitize(t));
                }
            }
            schema::ToolCallContent::Diff(d) => diffs.push(Diff {
                path: sanitize(&d.path.display().to_string()),
                old: d.old_text.as_deref().map(sanitize),
                new: sanitize(&d.new_text),
            }),
            schema::ToolCallContent::Terminal(t) => {
                output.push_str(&format!("[terminal {}]", t.terminal_id.0));
            }
            _ => {}
        }
    }
    if !output.is_empty() {
        tool.output = output;
    }
    if !diffs.is_empty() {
        tool.diffs = diffs;
    }
}

/// The protocol's snake_case name of a unit enum value.
pub fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
