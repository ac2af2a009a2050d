//! Key-sequence tests of finding sessions without the overlay: id prefixes over every known
//! session (`/session resume`, `/session close`), `--continue` and `--resume [ID]` applied
//! when the local node has listed its sessions, and switching between live sessions
//! (next/previous, Alt+1..9).

use super::fleet_support::*;
use super::*;
use crate::key::{Key, KeyCode, Modifiers};
use crate::node_api::{RpcError, SessionStatus, SessionSummary};

fn enter() -> Action {
    key(KeyCode::Enter, Modifiers::NONE)
}
fn alt(code: KeyCode) -> Action {
    key(code, Modifiers::ALT)
}

/// Runs a slash command in the active session; its effects.
fn slash(s: &mut AppState, text: &str) -> Vec<Effect> {
    typed(s, text);
    update(s, enter())
}

fn error(s: &AppState) -> String {
    let msg = s.status.as_ref().expect("a message");
    assert_eq!(msg.level, transcript::Level::Error, "{}", msg.text);
    msg.text.clone()
}

#[test]
fn session_commands_take_any_unique_prefix_over_live_and_past_sessions() {
    let mut s = fleet_app();
    let now = s.now_ms;
    let mut list = vec![past("abc00001-x", "first", "/work", now - MIN)];
    for i in 2..=8 {
        list.push(past(
            &format!("abc0000{i}-x"),
            "more",
            "/work",
            now - i * MIN,
        ));
    }
    listed(&mut s, 0, list);
    s.set_active(Some("idle".into()));
    // Ambiguous: the five most recent matches, then how many more.
    assert!(slash(&mut s, "/session resume abc").is_empty());
    let e = error(&s);
    assert!(
        e.starts_with("`abc` matches 8 sessions: abc00001 first, abc00002 more,"),
        "{e}"
    );
    assert!(e.ends_with("and 3 more"), "{e}");
    assert_eq!(
        s.active_session().unwrap().input_text(),
        "/session resume abc"
    );
    s.active_session_mut().unwrap().clear_input();
    assert!(slash(&mut s, "/session resume zzz").is_empty());
    assert_eq!(error(&s), "No session matches `zzz`");
    s.active_session_mut().unwrap().clear_input();
    // Unique: a past one is reopened.
    let fx = slash(&mut s, "/session resume abc00001");
    assert_eq!(
        fx,
        vec![
            Effect::Reopen {
                node: 0,
                session: "abc00001-x".into()
            },
            Effect::AppendHistory("/session resume abc00001".into())
        ]
    );
    assert_eq!(s.active.as_deref(), Some("abc00001-x"));
    // A live one by a short prefix; an exact id wins over longer ones.
    let fx = slash(&mut s, "/session close wor");
    assert!(fx.contains(&Effect::Close {
        node: 0,
        session: "work".into()
    }));
    assert_eq!(s.session("work").unwrap().status, SessionStatus::Closed);
    slash(&mut s, "/session close work");
    assert!(s.status.as_ref().unwrap().text.contains("already ended"));
}

#[test]
fn session_list_names_sessions_with_titles_in_the_overlays_order() {
    let mut s = fleet_app();
    s.set_active(Some("old".into()));
    slash(&mut s, "/session list");
    let last = s
        .active_session()
        .unwrap()
        .transcript
        .entries
        .last()
        .unwrap();
    let transcript::EntryKind::Notice { text, .. } = &last.kind else {
        panic!("a notice")
    };
    assert!(
        text.starts_with(
            "Sessions: perm demo needs permission · work demo working · idle demo idle"
        ),
        "{text}"
    );
    assert!(
        text.contains("recent demo closed “explain the tests”"),
        "{text}"
    );
}

fn launching(launch: Launch) -> AppState {
    let keymap = crate::keymap::Keymap::default_keymap(&command::names());
    let mut s = AppState::new(keymap, "dark".into(), "/work".into(), 600);
    tick(&mut s, T0 + 100 * MIN);
    s.launch = Some(launch);
    s.auto_start = Some(SessionOptions {
        agent: "demo".into(),
        cwd: "/work".into(),
        yolo: false,
        prompt_timeout_secs: None,
    });
    let fx = update(
        &mut s,
        Action::NodeConnected {
            node: 0,
            name: "local".into(),
            agents: vec!["demo".into()],
            remote: false,
        },
    );
    assert_eq!(
        fx,
        vec![Effect::ListSessions { node: 0 }],
        "no auto-start yet"
    );
    s
}

fn history() -> Vec<SessionSummary> {
    vec![
        past("here-old", "older here", "/work", T0 + 10 * MIN),
        past("here-new", "newer here", "/work/", T0 + 20 * MIN),
        past("yonder", "newest of all", "/srv/other", T0 + 30 * MIN),
    ]
}

fn reopen(id: &str) -> Vec<Effect> {
    vec![Effect::Reopen {
        node: 0,
        session: id.into(),
    }]
}

#[test]
fn continue_opens_the_most_recent_session_of_this_directory_else_any() {
    let mut s = launching(Launch::Continue);
    assert_eq!(listed(&mut s, 0, history()), reopen("here-new"));
    assert_eq!(s.active.as_deref(), Some("here-new"));
    assert!(s.launch.is_none() && s.auto_start.is_some());
    // Listed again later: nothing more happens.
    assert!(listed(&mut s, 0, history()).is_empty());

    let mut s = launching(Launch::Continue);
    let elsewhere = history().into_iter().filter(|p| p.session_id == "yonder");
    assert_eq!(listed(&mut s, 0, elsewhere.collect()), reopen("yonder"));
}

#[test]
fn continue_with_nothing_to_continue_starts_a_new_session() {
    let mut s = launching(Launch::Continue);
    // A remote node's listing is not the local node's.
    update(
        &mut s,
        Action::NodeConnected {
            node: 1,
            name: "far".into(),
            agents: vec!["demo".into()],
            remote: true,
        },
    );
    assert!(listed(&mut s, 1, history()).is_empty());
    let fx = listed(&mut s, 0, Vec::new());
    assert!(
        matches!(&fx[..], [Effect::NewSession { node: 0, options }] if options.agent == "demo")
    );
    assert_eq!(s.starting.len(), 1);
    // The listing failed: the same.
    let mut s = launching(Launch::Continue);
    let fx = update(
        &mut s,
        Action::SessionsListed {
            node: 0,
            result: Err(RpcError::new(-32603, "journal unreadable")),
        },
    );
    assert!(matches!(&fx[..], [Effect::NewSession { .. }]));
}

#[test]
fn resume_opens_the_overlay_on_the_history() {
    let mut s = launching(Launch::Resume(None));
    assert!(listed(&mut s, 0, history()).is_empty());
    assert_eq!(s.context(), Context::Sessions);
    assert_eq!(s.fleet.query, "");
    let ids: Vec<String> = rows(&s).into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, vec!["yonder", "here-new", "here-old"]);
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("yonder"));
    assert!(s.auto_start.is_some(), "nothing was started");
    assert_eq!(update(&mut s, enter()), reopen("yonder"));
}

#[test]
fn resume_id_opens_that_session_or_says_why_not() {
    let mut s = launching(Launch::Resume(Some("here-o".into())));
    assert_eq!(listed(&mut s, 0, history()), reopen("here-old"));
    assert!(s.overlays.is_empty());

    let mut s = launching(Launch::Resume(Some("here".into())));
    assert!(listed(&mut s, 0, history()).is_empty());
    assert_eq!(
        error(&s),
        "`here` matches 2 sessions: here-new newer here, here-old older here"
    );
    assert_eq!(s.context(), Context::Sessions);
    assert_eq!(s.fleet.query, "here", "the filter shows the candidates");
    assert_eq!(rows(&s).len(), 2);

    let mut s = launching(Launch::Resume(Some("nope".into())));
    assert!(listed(&mut s, 0, history()).is_empty());
    assert_eq!(error(&s), "No session matches `nope`");
    assert_eq!(s.context(), Context::Sessions);
    assert_eq!(s.fleet.query, "");
}

#[test]
fn resume_id_unknown_locally_opens_it_when_a_node_daemon_lists_it_until_a_key() {
    let connect_far = |s: &mut AppState| {
        update(
            s,
            Action::NodeConnected {
                node: 1,
                name: "far".into(),
                agents: vec!["demo".into()],
                remote: true,
            },
        );
    };
    let mut far = past("far-1234", "started from a script", "/work", T0 + 40 * MIN);
    far.status = SessionStatus::Idle;
    far.ended_ms = None;
    let mut s = launching(Launch::Resume(Some("far-12".into())));
    connect_far(&mut s);
    assert!(listed(&mut s, 0, history()).is_empty());
    assert_eq!(error(&s), "No session matches `far-12`");
    let fx = listed(&mut s, 1, vec![far.clone()]);
    assert_eq!(
        fx,
        vec![Effect::Attach {
            node: 1,
            session: "far-1234".into()
        }]
    );
    assert_eq!(s.active.as_deref(), Some("far-1234"));
    assert!(
        s.overlays.is_empty() && s.status.is_none(),
        "the error is gone"
    );

    // A key first: the user has moved on; a later listing opens nothing.
    let mut s = launching(Launch::Resume(Some("far-12".into())));
    connect_far(&mut s);
    listed(&mut s, 0, history());
    update(
        &mut s,
        Action::Key(Key::new(KeyCode::Down, Modifiers::NONE)),
    );
    assert!(listed(&mut s, 1, vec![far]).is_empty());
    assert_eq!(s.context(), Context::Sessions);
}

#[test]
fn alt_digits_and_next_previous_switch_between_live_sessions_in_overlay_order() {
    let mut s = fleet_app();
    // Live, in the overlay's order: perm, work, idle, old.
    s.set_active(Some("idle".into()));
    typed(&mut s, "draft");
    update(&mut s, alt(KeyCode::Char('1')));
    assert_eq!(s.active.as_deref(), Some("perm"));
    update(&mut s, alt(KeyCode::Right));
    assert_eq!(s.active.as_deref(), Some("work"));
    update(&mut s, key(KeyCode::PageDown, Modifiers::CONTROL));
    assert_eq!(s.active.as_deref(), Some("idle"));
    assert_eq!(
        s.session("idle").unwrap().input_text(),
        "draft",
        "switching keys never edit the input"
    );
    update(&mut s, alt(KeyCode::Right));
    update(&mut s, alt(KeyCode::Right));
    assert_eq!(
        s.active.as_deref(),
        Some("perm"),
        "wraps past the last live one"
    );
    update(&mut s, alt(KeyCode::Left));
    assert_eq!(s.active.as_deref(), Some("old"));
    update(&mut s, key(KeyCode::PageUp, Modifiers::CONTROL));
    assert_eq!(s.active.as_deref(), Some("idle"));
    update(&mut s, alt(KeyCode::Char('9')));
    assert_eq!(s.active.as_deref(), Some("idle"));
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("No live session 9"));
    // From the overlay too, which it closes.
    update(&mut s, ctrl('w'));
    update(&mut s, ctrl('w'));
    assert_eq!(s.context(), Context::Sessions);
    update(&mut s, alt(KeyCode::Char('2')));
    assert_eq!(s.active.as_deref(), Some("work"));
    assert!(s.overlays.is_empty());
}

#[test]
fn switching_to_a_session_this_client_does_not_follow_attaches_it() {
    let mut s = fleet_app();
    let mut far = past("far", "", "/srv", T0);
    far.status = SessionStatus::Idle;
    far.ended_ms = None;
    far.last_activity_ms = s.now_ms;
    listed(&mut s, 0, vec![far]);
    assert!(!s.session("far").unwrap().attached);
    s.set_active(Some("old".into()));
    // Idle: far (now), idle (T0+10min), old (T0).
    update(&mut s, alt(KeyCode::Left));
    assert_eq!(s.active.as_deref(), Some("idle"));
    let fx = update(&mut s, alt(KeyCode::Left));
    assert_eq!(
        fx,
        vec![Effect::Attach {
            node: 0,
            session: "far".into()
        }]
    );
    assert!(s.session("far").unwrap().attached);
}
