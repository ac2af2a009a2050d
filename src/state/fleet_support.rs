//! Test support for the fleet tests: an app at a fixed time, sessions in every state, node
//! events and listings as one-liners, and the overlay's rows as (group, id).

use super::fleet::{self, Group};
use super::*;
use crate::key::{Key, KeyCode, Modifiers};
use crate::node_api::{NodeEvent, SessionCreated, SessionStatus, SessionSummary};
use crate::protocol::acp::Update;
use serde_json::json;

pub(super) const T0: u64 = 1_700_000_000_000;
pub(super) const MIN: u64 = 60_000;

pub(super) fn key(code: KeyCode, m: Modifiers) -> Action {
    Action::Key(Key::new(code, m))
}
pub(super) fn ch(c: char) -> Action {
    key(KeyCode::Char(c), Modifiers::NONE)
}
pub(super) fn ctrl(c: char) -> Action {
    key(KeyCode::Char(c), Modifiers::CONTROL)
}
pub(super) fn typed(s: &mut AppState, text: &str) {
    for c in text.chars() {
        update(s, ch(c));
    }
}
pub(super) fn tick(s: &mut AppState, now_ms: u64) {
    update(s, Action::Tick { now_ms });
}

/// An app at time T0 with the local node connected.
pub(super) fn app() -> AppState {
    let mut s = untimed_app();
    tick(&mut s, T0);
    s
}

/// The app with its local node, before the first clock tick.
pub(super) fn untimed_app() -> AppState {
    let keymap = crate::keymap::Keymap::default_keymap(&command::names());
    let mut s = AppState::new(keymap, "dark".into(), "/work".into(), 600);
    update(
        &mut s,
        Action::NodeConnected {
            node: 0,
            name: "local".into(),
            agents: vec!["demo".into()],
            remote: false,
        },
    );
    s
}

/// A session created on the local node at the current time (it becomes the active one).
pub(super) fn create(s: &mut AppState, id: &str, cwd: &str) {
    let options = SessionOptions {
        agent: "demo".into(),
        cwd: cwd.into(),
        yolo: false,
        prompt_timeout_secs: None,
    };
    let created = SessionCreated {
        session_id: id.into(),
        agent_name: None,
        prompt_timeout_secs: Some(600),
        modes: None,
        model: None,
        options: Vec::new(),
    };
    update(
        s,
        Action::SessionCreated {
            node: 0,
            options,
            result: Ok(created),
        },
    );
}

pub(super) fn event(s: &mut AppState, event: NodeEvent) -> Vec<Effect> {
    update(s, Action::Node { node: 0, event })
}

pub(super) fn status(
    s: &mut AppState,
    id: &str,
    st: SessionStatus,
    why: Option<&str>,
) -> Vec<Effect> {
    event(
        s,
        NodeEvent::Status {
            session: id.into(),
            status: st,
            reason: why.map(str::to_string),
        },
    )
}

pub(super) fn chunk(s: &mut AppState, id: &str, text: &str) -> Vec<Effect> {
    event(
        s,
        NodeEvent::Update {
            session: id.into(),
            update: Update::from_value(
                json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": text}}),
            ),
        },
    )
}

pub(super) fn ask(s: &mut AppState, id: &str) -> Vec<Effect> {
    let ask = serde_json::from_value(json!({
        "sessionId": id, "toolCall": {"toolCallId": "t1", "title": "Edit lib.rs"},
        "options": [{"optionId": "allow", "name": "Allow once", "kind": "allow_once"}]
    }))
    .unwrap();
    event(
        s,
        NodeEvent::Permission {
            request: crate::protocol::Id::Num(1),
            session: id.into(),
            ask: Box::new(ask),
        },
    )
}

/// A session a node has in its history, ended at `ended`.
pub(super) fn past(id: &str, title: &str, cwd: &str, ended: u64) -> SessionSummary {
    SessionSummary {
        session_id: id.into(),
        connector: "demo".into(),
        status: SessionStatus::Closed,
        created_ms: ended - 10 * MIN,
        cwd: Some(cwd.into()),
        title: Some(title.into()),
        last_activity_ms: ended,
        ended_ms: Some(ended),
        ..Default::default()
    }
}

pub(super) fn listed(s: &mut AppState, node: usize, list: Vec<SessionSummary>) -> Vec<Effect> {
    update(
        s,
        Action::SessionsListed {
            node,
            result: Ok(list),
        },
    )
}

/// (group, id) of every row, in order.
pub(super) fn rows(s: &AppState) -> Vec<(Group, String)> {
    fleet::rows(s)
        .into_iter()
        .map(|r| (r.group, s.entry(r.at).id().to_string()))
        .collect()
}

/// Sessions in every state: `perm` waits for permission, `work` works, `idle` and `old`
/// are idle (`idle` more recently active), `dead` failed; the node lists `recent` (ended 10
/// minutes ago) and `ancient` (ended two days ago).
pub(super) fn fleet_app() -> AppState {
    let mut s = app();
    for (i, id) in ["old", "idle", "work", "perm", "dead"].iter().enumerate() {
        tick(&mut s, T0 + i as u64 * MIN);
        create(&mut s, id, "/work");
    }
    tick(&mut s, T0 + 10 * MIN);
    chunk(&mut s, "idle", "hello");
    status(&mut s, "work", SessionStatus::Working, None);
    ask(&mut s, "perm");
    status(
        &mut s,
        "dead",
        SessionStatus::Failed,
        Some("agent exited (code 3)"),
    );
    tick(&mut s, T0 + 60 * MIN);
    let now = s.now_ms;
    listed(
        &mut s,
        0,
        vec![
            past("recent", "explain the tests", "/work", now - 10 * MIN),
            past(
                "ancient",
                "fix the build",
                "/elsewhere",
                now - 2 * 24 * 60 * MIN,
            ),
        ],
    );
    s
}
