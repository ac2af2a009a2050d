//! Snapshots of the Active Sessions overlay as a fleet view (wide, 80×24, 20×6, filtered)
//! and of the session detail (a live session, one from a node's history), built through the
//! real state `update` from node events at fixed times.

use super::*;
use crate::key::{Key, KeyCode, Modifiers};
use crate::keymap::Keymap;
use crate::node_api::{
    NodeEvent, PromptDone, RpcError, SessionCreated, SessionOptions, SessionStatus, SessionSummary,
    StopReason, Usage,
};
use crate::protocol::acp::Update;
use crate::state::{command, update, Action};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::{json, Value};

const T0: u64 = 1_700_000_000_000;
const MIN: u64 = 60_000;

fn tick(s: &mut AppState, at: u64) {
    update(s, Action::Tick { now_ms: at });
}

fn key(s: &mut AppState, code: KeyCode, m: Modifiers) {
    update(s, Action::Key(Key::new(code, m)));
}

fn typed(s: &mut AppState, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c), Modifiers::NONE);
    }
}

fn node(s: &mut AppState, node: usize, name: &str, remote: bool) {
    update(
        s,
        Action::NodeConnected {
            node,
            name: name.into(),
            agents: vec!["demo".into(), "gemini".into()],
            remote,
        },
    );
}

fn create(s: &mut AppState, node: usize, id: &str, agent: &str, cwd: &str) {
    let options = SessionOptions {
        agent: agent.into(),
        cwd: cwd.into(),
        yolo: false,
        prompt_timeout_secs: Some(600),
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
            node,
            options,
            result: Ok(created),
        },
    );
}

fn ev(s: &mut AppState, node: usize, event: NodeEvent) {
    update(s, Action::Node { node, event });
}

fn upd(s: &mut AppState, node: usize, id: &str, v: Value) {
    let update = Update::from_value(v);
    ev(
        s,
        node,
        NodeEvent::Update {
            session: id.into(),
            update,
        },
    );
}

fn prompt(s: &mut AppState, text: &str) {
    typed(s, text);
    key(s, KeyCode::Enter, Modifiers::NONE);
}

fn done(s: &mut AppState, id: &str, result: Result<PromptDone, RpcError>) {
    update(
        s,
        Action::PromptDone {
            session: id.into(),
            result,
        },
    );
}

fn past(id: &str, title: &str, status: SessionStatus, ended: u64) -> SessionSummary {
    SessionSummary {
        session_id: id.into(),
        connector: "demo".into(),
        status,
        reason: (status == SessionStatus::Failed).then(|| "prompt timed out".into()),
        yolo: true,
        created_ms: ended - 25 * MIN,
        cwd: Some("/home/ann/src/praxis".into()),
        title: Some(title.into()),
        last_activity_ms: ended,
        ended_ms: Some(ended),
        ..Default::default()
    }
}

const PERM: &str = "3f2a9c1e-0b7d-4c55-9a1e-7d2b8c4e6f01";
const WORK: &str = "8b41d07a-52c3-4e9f-b6a0-1c9e3d7f2a44";
const IDLE: &str = "c09e6b52-7d18-43a2-9f4b-5e2d8a1c3b77";
const ERR: &str = "e7d3a1f9-2c46-4b8e-a05d-9f6c2b1e8d30";
const DEAD: &str = "5a8c2e7b-9d14-4f63-b2e0-3c7a9d5f1e82";

/// A fleet at T0 + 1h: a session waiting for permission (with usage, cost and a busy first
/// turn), one working on a remote node, an idle one, one whose turn failed, one that failed
/// five minutes ago, and a node history with a recent and older sessions.
fn fleet() -> AppState {
    let mut s = AppState::new(
        Keymap::default_keymap(&command::names()),
        "dark".into(),
        "/home/ann/src/praxis".into(),
        600,
    );
    tick(&mut s, T0);
    node(&mut s, 0, "local", false);
    node(&mut s, 1, "build-box", true);
    create(&mut s, 0, IDLE, "demo", "/home/ann/src/praxis/app");
    prompt(&mut s, "explain the tests in src/state");
    done(
        &mut s,
        IDLE,
        Ok(PromptDone {
            stop_reason: StopReason::EndTurn,
            timed_out: false,
            usage: Some(Usage {
                input_tokens: 2311,
                output_tokens: 246,
            }),
        }),
    );
    tick(&mut s, T0 + 5 * MIN);
    create(&mut s, 1, WORK, "gemini", "/srv/parser");
    prompt(
        &mut s,
        "refactor the parser into modules and keep the tests green",
    );
    ev(
        &mut s,
        1,
        NodeEvent::Status {
            session: WORK.into(),
            status: SessionStatus::Working,
            reason: None,
        },
    );
    tick(&mut s, T0 + 10 * MIN);
    create(&mut s, 0, ERR, "demo", "/home/ann/src/praxis");
    prompt(&mut s, "bump the dependencies");
    tick(&mut s, T0 + 12 * MIN);
    done(
        &mut s,
        ERR,
        Err(RpcError::new(-32603, "agent crashed (signal 9)")),
    );
    tick(&mut s, T0 + 20 * MIN);
    create(&mut s, 0, DEAD, "demo", "/tmp/scratch");
    tick(&mut s, T0 + 30 * MIN);
    create(&mut s, 0, PERM, "demo", "/home/ann/src/praxis");
    tick(&mut s, T0 + 31 * MIN);
    prompt(&mut s, "fix the build");
    upd(
        &mut s,
        0,
        PERM,
        json!({"sessionUpdate": "agent_thought_chunk", "content": {"type": "text", "text": "Look at the build."}}),
    );
    upd(
        &mut s,
        0,
        PERM,
        json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "Running the tests."}}),
    );
    upd(
        &mut s,
        0,
        PERM,
        json!({"sessionUpdate": "tool_call", "toolCallId": "t1", "title": "cargo test", "status": "failed"}),
    );
    upd(
        &mut s,
        0,
        PERM,
        json!({"sessionUpdate": "tool_call", "toolCallId": "t2", "title": "cat src/lib.rs", "status": "completed"}),
    );
    upd(
        &mut s,
        0,
        PERM,
        json!({"sessionUpdate": "plan", "entries": []}),
    );
    upd(
        &mut s,
        0,
        PERM,
        json!({"sessionUpdate": "usage_update", "used": 12400, "size": 200000, "cost": {"amount": 0.4213, "currency": "USD"}}),
    );
    tick(&mut s, T0 + 55 * MIN);
    ev(
        &mut s,
        0,
        NodeEvent::Status {
            session: DEAD.into(),
            status: SessionStatus::Failed,
            reason: Some("agent exited (code 3)".into()),
        },
    );
    tick(&mut s, T0 + 58 * MIN);
    let ask = serde_json::from_value(json!({
        "sessionId": PERM, "toolCall": {"toolCallId": "t3", "title": "Edit src/lib.rs"},
        "options": [{"optionId": "allow", "name": "Allow once", "kind": "allow_once"}]
    }))
    .unwrap();
    ev(
        &mut s,
        0,
        NodeEvent::Permission {
            request: crate::protocol::Id::Num(1),
            session: PERM.into(),
            ask: Box::new(ask),
        },
    );
    tick(&mut s, T0 + 60 * MIN);
    let now = s.now_ms;
    update(
        &mut s,
        Action::SessionsListed {
            node: 0,
            result: Ok(vec![
                past(
                    "0d9b7c3a-recent",
                    "write the README section on nodes",
                    SessionStatus::Closed,
                    now - 12 * MIN,
                ),
                past(
                    "71f4e2b8-older",
                    "add a tmux end-to-end test for resume",
                    SessionStatus::Failed,
                    now - 3 * 60 * MIN,
                ),
                past(
                    "a3c5e8f1-ancient",
                    "port the markdown renderer",
                    SessionStatus::Closed,
                    now - 2 * 24 * 60 * MIN,
                ),
            ]),
        },
    );
    // The idle session's chat is hidden: the overlay opens on it.
    s.set_active(Some(IDLE.into()));
    key(&mut s, KeyCode::Char('w'), Modifiers::CONTROL);
    key(&mut s, KeyCode::Char('w'), Modifiers::CONTROL);
    assert_eq!(s.context(), Context::Sessions);
    s
}

fn render(state: &AppState, w: u16, h: u16) -> String {
    let mut cache = UiCache::new(
        crate::ui::theme::Theme::default_dark(),
        Highlighter::new_blocking(),
    );
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        draw(f, state, &mut cache);
    })
    .unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn the_fleet_overlay_at_several_widths() {
    let s = fleet();
    let wide = render(&s, 140, 30);
    for needle in [
        "needs you · 2",
        "› ● ",
        "$0.42",
        "12k/200k",
        "build-box",
        "/home/ann/src/praxis/app",
        "agent exited (code 3)",
        "history · 2",
    ] {
        assert!(wide.contains(needle), "{needle:?} in:\n{wide}");
    }
    insta::assert_snapshot!("fleet_140x30", wide);
    insta::assert_snapshot!("fleet_80x24", render(&s, 80, 24));
    insta::assert_snapshot!("fleet_20x6", render(&s, 20, 6));
}

#[test]
fn the_fleet_overlay_filtered() {
    let mut s = fleet();
    typed(&mut s, "pars");
    let out = render(&s, 80, 24);
    assert!(out.contains("Filter: pars"), "{out}");
    assert!(out.contains("refactor the parser"), "{out}");
    assert!(!out.contains("fix the build"), "{out}");
    insta::assert_snapshot!("fleet_filtered_80x24", out);
    insta::assert_snapshot!("fleet_filtered_20x6", render(&s, 20, 6));
    typed(&mut s, "zzz");
    insta::assert_snapshot!("fleet_no_match_40x8", render(&s, 40, 8));
}

#[test]
fn the_selected_row_is_always_in_view() {
    let mut s = fleet();
    key(&mut s, KeyCode::Home, Modifiers::NONE);
    let total = s.sessions.len() + s.past.len();
    for step in 0..total * 2 {
        for (w, h) in [(20, 6), (80, 10), (50, 5), (30, 4)] {
            let out = render(&s, w, h);
            let id = crate::state::fleet::selected_id(&s).unwrap();
            assert_eq!(
                out.matches("› ").count(),
                1,
                "step {step}, {w}x{h}, {id} selected:\n{out}"
            );
        }
        key(&mut s, KeyCode::Down, Modifiers::NONE);
    }
}

#[test]
fn the_session_detail() {
    let mut s = fleet();
    key(&mut s, KeyCode::Home, Modifiers::NONE);
    key(&mut s, KeyCode::Tab, Modifiers::NONE);
    assert_eq!(s.context(), Context::Detail);
    let out = render(&s, 100, 40);
    for needle in [
        "fix the build",
        PERM,
        "needs permission",
        "prompt timeout 600s",
        "cost $0.42",
        "tool calls: 1 failed, 1 completed",
        "turn started",
    ] {
        assert!(out.contains(needle), "{needle:?} in:\n{out}");
    }
    insta::assert_snapshot!("detail_100x40", out);
    insta::assert_snapshot!("detail_20x6", render(&s, 20, 6));
    // A session from the node's history.
    key(&mut s, KeyCode::Esc, Modifiers::NONE);
    key(&mut s, KeyCode::End, Modifiers::NONE);
    key(&mut s, KeyCode::Up, Modifiers::NONE);
    key(&mut s, KeyCode::Right, Modifiers::NONE);
    let out = render(&s, 80, 20);
    assert!(out.contains("prompt timed out"), "{out}");
    insta::assert_snapshot!("detail_past_80x20", out);
}
