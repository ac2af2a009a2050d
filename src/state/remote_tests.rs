//! Key-sequence tests of remote nodes in the client: a node joining lists its sessions, the
//! sessions it lists are merged (unattached), opening one attaches (and replays), events of
//! an unattached session are not applied, a node going offline loses its live sessions, and
//! coming back offers them again; another client's prompt and answered permission show.

use super::*;
use crate::key::{Key, KeyCode, Modifiers};
use crate::node_api::{NodeEvent, SessionStatus, SessionSummary};
use crate::protocol::acp::Update;
use serde_json::json;

fn app() -> AppState {
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

fn join(s: &mut AppState, node: usize, name: &str) -> Vec<Effect> {
    update(
        s,
        Action::NodeConnected {
            node,
            name: name.into(),
            agents: vec!["demo".into()],
            remote: true,
        },
    )
}

fn summary(id: &str, status: SessionStatus) -> SessionSummary {
    SessionSummary {
        session_id: id.into(),
        connector: "demo".into(),
        status,
        reason: None,
        yolo: false,
        created_ms: 5,
        cwd: Some("/srv".into()),
        ..Default::default()
    }
}

fn chunk(session: &str, text: &str) -> Action {
    Action::Node {
        node: 1,
        event: NodeEvent::Update {
            session: session.into(),
            update: Update::from_value(
                json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": text}}),
            ),
        },
    }
}

fn key(code: KeyCode, m: Modifiers) -> Action {
    Action::Key(Key::new(code, m))
}

#[test]
fn a_joining_node_is_asked_for_its_sessions_and_they_are_merged_unattached() {
    let mut s = app();
    let fx = join(&mut s, 1, "far");
    assert_eq!(fx, vec![Effect::ListSessions { node: 1 }]);
    assert!(s.nodes[1].remote && s.nodes[1].connected);
    update(
        &mut s,
        Action::SessionsListed {
            node: 1,
            result: Ok(vec![
                summary("r1", SessionStatus::Working),
                summary("gone", SessionStatus::Closed),
            ]),
        },
    );
    let r1 = s.session("r1").expect("merged");
    assert!(!r1.attached);
    assert_eq!(r1.status, SessionStatus::Working);
    assert_eq!(r1.cwd, "/srv");
    assert!(
        s.session("gone").is_none(),
        "ended sessions are not offered"
    );
    // Listing again does not duplicate.
    update(
        &mut s,
        Action::SessionsListed {
            node: 1,
            result: Ok(vec![summary("r1", SessionStatus::Idle)]),
        },
    );
    assert_eq!(s.sessions.iter().filter(|x| x.id == "r1").count(), 1);
    assert_eq!(s.session("r1").unwrap().status, SessionStatus::Idle);
    // Nothing of an unattached session is applied.
    update(&mut s, chunk("r1", "not yet"));
    assert!(s.session("r1").unwrap().transcript.entries.is_empty());
}

#[test]
fn opening_a_listed_session_from_the_overlay_attaches_it() {
    let mut s = app();
    join(&mut s, 1, "far");
    update(
        &mut s,
        Action::SessionsListed {
            node: 1,
            result: Ok(vec![summary("r1", SessionStatus::Idle)]),
        },
    );
    // Ctrl+L, Ctrl+W, Enter: the only live session is selected.
    update(&mut s, key(KeyCode::Char('l'), Modifiers::CONTROL));
    update(&mut s, key(KeyCode::Char('w'), Modifiers::CONTROL));
    let fx = update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    assert_eq!(
        fx,
        vec![Effect::Attach {
            node: 1,
            session: "r1".into()
        }]
    );
    assert_eq!(s.active.as_deref(), Some("r1"));
    assert!(s.session("r1").unwrap().attached);
    // The replay is applied like any stream.
    update(
        &mut s,
        Action::Node {
            node: 1,
            event: NodeEvent::Prompted {
                session: "r1".into(),
                text: "hello".into(),
            },
        },
    );
    update(&mut s, chunk("r1", "hi there"));
    update(
        &mut s,
        Action::Node {
            node: 1,
            event: NodeEvent::Status {
                session: "r1".into(),
                status: SessionStatus::Idle,
                reason: None,
            },
        },
    );
    let t = &s.session("r1").unwrap().transcript;
    assert_eq!(t.entries.len(), 2, "the user's prompt and the answer");
    assert_eq!(t.last_answer().as_deref(), Some("hi there"));
    assert!(!t.has_pending_permission());
}

#[test]
fn a_node_going_offline_loses_its_sessions_and_coming_back_offers_them_again() {
    let mut s = app();
    join(&mut s, 1, "far");
    update(
        &mut s,
        Action::SessionsListed {
            node: 1,
            result: Ok(vec![summary("r1", SessionStatus::Idle)]),
        },
    );
    update(
        &mut s,
        Action::NodeLink {
            node: 1,
            online: true,
            reconnecting: true,
            reason: Some("reconnecting to the broker".into()),
        },
    );
    assert!(s.nodes[1].reconnecting);
    assert!(
        s.session("r1").unwrap().status.is_live(),
        "reconnecting loses nothing"
    );
    update(
        &mut s,
        Action::NodeLink {
            node: 1,
            online: false,
            reconnecting: false,
            reason: Some("node offline: no heartbeat".into()),
        },
    );
    let r1 = s.session("r1").unwrap();
    assert_eq!(r1.status, SessionStatus::Failed);
    assert!(r1
        .reason
        .as_deref()
        .unwrap()
        .starts_with("lost (node offline"));
    assert!(!s.nodes[1].connected);
    // Back: listed again, it can be opened again.
    let fx = join(&mut s, 1, "far");
    assert_eq!(fx, vec![Effect::ListSessions { node: 1 }]);
    update(
        &mut s,
        Action::SessionsListed {
            node: 1,
            result: Ok(vec![summary("r1", SessionStatus::Working)]),
        },
    );
    let r1 = s.session("r1").unwrap();
    assert_eq!(r1.status, SessionStatus::Working);
    assert!(!r1.attached);
}

#[test]
fn opening_the_nodes_window_asks_connected_remote_nodes() {
    let mut s = app();
    join(&mut s, 1, "far");
    join(&mut s, 2, "near");
    update(
        &mut s,
        Action::NodeLink {
            node: 2,
            online: false,
            reconnecting: false,
            reason: None,
        },
    );
    let fx = update(&mut s, key(KeyCode::Char('l'), Modifiers::CONTROL));
    assert_eq!(fx, vec![Effect::ListSessions { node: 1 }]);
}

#[test]
fn a_closed_link_to_a_remote_node_loses_its_sessions_until_it_lists_them_again() {
    let mut s = app();
    join(&mut s, 1, "far");
    update(
        &mut s,
        Action::SessionsListed {
            node: 1,
            result: Ok(vec![summary("r1", SessionStatus::Working)]),
        },
    );
    update(
        &mut s,
        Action::Node {
            node: 1,
            event: NodeEvent::Disconnected("the link to far lost frames".into()),
        },
    );
    let r1 = s.session("r1").unwrap();
    assert_eq!(r1.status, SessionStatus::Failed);
    assert!(r1
        .reason
        .as_deref()
        .unwrap()
        .starts_with("lost (node disconnected"));
    join(&mut s, 1, "far");
    update(
        &mut s,
        Action::SessionsListed {
            node: 1,
            result: Ok(vec![summary("r1", SessionStatus::Working)]),
        },
    );
    assert_eq!(s.session("r1").unwrap().status, SessionStatus::Working);
    // The local node's sessions are not "lost": they ended with their node.
    let mut s = app();
    update(
        &mut s,
        Action::Node {
            node: 0,
            event: NodeEvent::Disconnected("gone".into()),
        },
    );
    assert!(!s.nodes[0].connected);
}

#[test]
fn a_remote_node_heartbeat_is_remembered_for_the_detail() {
    let mut s = app();
    update(&mut s, Action::Tick { now_ms: 1_000 });
    join(&mut s, 1, "far");
    assert_eq!(
        s.nodes[1].last_beat_ms,
        Some(1_000),
        "joining counts as a beat"
    );
    assert_eq!(
        s.nodes[0].last_beat_ms, None,
        "the in-process node has none"
    );
    update(&mut s, Action::Tick { now_ms: 6_000 });
    update(&mut s, Action::NodeBeat { node: 1 });
    assert_eq!(s.nodes[1].last_beat_ms, Some(6_000));
    update(&mut s, Action::NodeBeat { node: 9 });
}
