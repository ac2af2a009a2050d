//! What the session detail view reads about a session beyond its transcript: a bounded
//! lifecycle log (started, turns and how they ended, failures, reattaches and reopens, with
//! times), activity counts by kind (counted from the transcript, the one record of them), and
//! the title a session takes from its first prompt.

use super::transcript::{EntryKind, Item, Transcript};
use std::collections::VecDeque;

/// How many lifecycle entries a session keeps (older ones are dropped and counted).
pub const LIFECYCLE_LIMIT: usize = 200;

/// How long a title taken from a prompt may be (characters).
pub use crate::node_api::TITLE_CHARS;

/// One thing that happened to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifeKind {
    /// Started by this client (`session/new` answered).
    Started,
    /// Found on a node (listed), started earlier by another client.
    Found,
    /// This client attached (followed it and had its missed output replayed).
    Attached,
    /// Opened again after it ended: the node replays its journal and continues it.
    Reopened,
    TurnStarted,
    /// A turn ended with this stop reason ("end_turn", "cancelled", ...).
    TurnEnded(String),
    /// A turn ended with an error.
    TurnFailed(String),
    /// The session failed, with the reason.
    Failed(String),
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifeEvent {
    pub at_ms: u64,
    pub kind: LifeKind,
}

/// The lifecycle log, bounded to [`LIFECYCLE_LIMIT`] entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    events: VecDeque<LifeEvent>,
    dropped: usize,
}

impl Lifecycle {
    pub fn push(&mut self, at_ms: u64, kind: LifeKind) {
        if self.events.len() == LIFECYCLE_LIMIT {
            self.events.pop_front();
            self.dropped += 1;
        }
        self.events.push_back(LifeEvent { at_ms, kind });
    }

    /// Oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &LifeEvent> + ExactSizeIterator {
        self.events.iter()
    }

    /// How many older entries were dropped to keep the bound.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// Activity counts by kind, as the detail view shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    pub prompts: usize,
    /// Agent messages (a run of text chunks is one message).
    pub messages: usize,
    pub thoughts: usize,
    /// Tool calls by status ("completed", "failed", ...), in first-seen order.
    pub tools: Vec<(String, usize)>,
    pub permissions: usize,
    /// Answers to permission requests by option name ("Allow once", "cancelled", ...);
    /// requests still waiting are not counted here.
    pub answers: Vec<(String, usize)>,
    pub auto_approved: usize,
    pub plans: usize,
    pub notices: usize,
}

fn bump(counts: &mut Vec<(String, usize)>, key: &str) {
    match counts.iter_mut().find(|(k, _)| k == key) {
        Some((_, n)) => *n += 1,
        None => counts.push((key.to_string(), 1)),
    }
}

/// Counts what a transcript holds, by kind.
pub fn activity(t: &Transcript) -> Activity {
    let mut a = Activity::default();
    for e in &t.entries {
        match &e.kind {
            EntryKind::User { .. } => a.prompts += 1,
            EntryKind::Notice { .. } => a.notices += 1,
            EntryKind::Agent(turn) => {
                for item in &turn.items {
                    match item {
                        Item::Text(_) => a.messages += 1,
                        Item::Thought(_) => a.thoughts += 1,
                        Item::Tool(tool) => bump(&mut a.tools, &tool.status),
                        Item::Plan(_) => a.plans += 1,
                        Item::Permission(p) => {
                            a.permissions += 1;
                            if let Some(answer) = &p.answered {
                                // "Allow once (answered elsewhere)" counts as "Allow once".
                                let name = answer.trim_end_matches(" (answered elsewhere)");
                                bump(&mut a.answers, name);
                            }
                        }
                        Item::AutoApproved(_) => a.auto_approved += 1,
                        Item::Raw { .. } => {}
                    }
                }
            }
        }
    }
    a
}

pub use crate::node_api::{cut, title_line as title_from};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::acp::Update;
    use serde_json::json;

    #[test]
    fn the_log_is_bounded_and_counts_what_it_dropped() {
        let mut l = Lifecycle::default();
        for i in 0..(LIFECYCLE_LIMIT as u64 + 5) {
            l.push(i, LifeKind::TurnStarted);
        }
        assert_eq!(l.len(), LIFECYCLE_LIMIT);
        assert_eq!(l.dropped(), 5);
        assert_eq!(l.events().next().unwrap().at_ms, 5);
    }

    #[test]
    fn titles_take_the_first_line_cut() {
        assert_eq!(
            title_from("\n  fix the build \nplease").as_deref(),
            Some("fix the build")
        );
        assert_eq!(title_from(" \n "), None);
        let long = "x".repeat(100);
        let t = title_from(&long).unwrap();
        assert_eq!(t.chars().count(), TITLE_CHARS);
        assert!(t.ends_with('…'));
    }

    #[test]
    fn activity_counts_by_kind() {
        let mut t = Transcript::default();
        t.push_user("hi");
        let up = |v| Update::from_value(v);
        t.apply("a", &up(json!({"sessionUpdate": "agent_thought_chunk", "content": {"type": "text", "text": "hm"}})));
        t.apply("a", &up(json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "one "}})));
        t.apply("a", &up(json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "message"}})));
        t.apply("a", &up(json!({"sessionUpdate": "tool_call", "toolCallId": "t1", "title": "ls", "status": "completed"})));
        t.apply("a", &up(json!({"sessionUpdate": "tool_call", "toolCallId": "t2", "title": "rm", "status": "failed"})));
        t.apply("a", &up(json!({"sessionUpdate": "tool_call", "toolCallId": "t3", "title": "cp", "status": "completed"})));
        t.apply("a", &up(json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "two"}})));
        t.apply("a", &up(json!({"sessionUpdate": "plan", "entries": []})));
        let a = activity(&t);
        assert_eq!((a.prompts, a.messages, a.thoughts, a.plans), (1, 2, 1, 1));
        assert_eq!(
            a.tools,
            vec![("completed".to_string(), 2), ("failed".to_string(), 1)]
        );
    }
}
