//! Key-sequence tests of the fleet overlay and what it opens: grouping and order, the
//! session just left pre-selected, selection kept by id, typing to filter, discard, reopening
//! ended and past sessions (the view reset, the replay not news), history from listings.

use super::fleet::{self, Group, RowRef};
use super::fleet_support::*;
use super::*;
use crate::key::{Key, KeyCode, Modifiers};
use crate::node_api::{NodeEvent, SessionStatus, SessionSummary};

fn ids(s: &AppState) -> Vec<String> {
    rows(s).into_iter().map(|(_, id)| id).collect()
}

#[test]
fn rows_are_grouped_by_what_they_need_most_recent_first() {
    let s = fleet_app();
    let g = |g: Group, id: &str| (g, id.to_string());
    assert_eq!(
        rows(&s),
        vec![
            g(Group::NeedsYou, "perm"),
            g(Group::Working, "work"),
            g(Group::Idle, "idle"),
            g(Group::Idle, "old"),
            g(Group::Ended, "recent"),
            g(Group::History, "dead"),
            g(Group::History, "ancient"),
        ],
        "dead failed 50 minutes ago: past the 30 minutes ended sessions stay"
    );
    assert_eq!(s.session("dead").unwrap().status, SessionStatus::Failed);
    // With a longer window it is among the ended, most recent first.
    let mut s = s;
    s.ended_keep_ms = 24 * 60 * MIN;
    assert_eq!(
        &rows(&s)[4..],
        &[
            g(Group::Ended, "recent"),
            g(Group::Ended, "dead"),
            g(Group::History, "ancient")
        ]
    );
}

#[test]
fn the_overlay_opens_on_the_session_just_left_and_follows_it_by_id() {
    let mut s = fleet_app();
    update(&mut s, ctrl('w')); // pause the active one ("dead", the last created)
    assert!(s.active.is_none());
    update(&mut s, ctrl('w'));
    assert_eq!(s.context(), Context::Sessions);
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("dead"));
    update(&mut s, key(KeyCode::Home, Modifiers::NONE));
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("idle"));
    // It starts working: its row moves, the selection goes with it.
    status(&mut s, "idle", SessionStatus::Working, None);
    assert_eq!(rows(&s)[1], (Group::Working, "idle".to_string()));
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("idle"));
    update(&mut s, key(KeyCode::End, Modifiers::NONE));
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("ancient"));
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("perm"), "wraps");
    update(&mut s, key(KeyCode::PageDown, Modifiers::NONE));
    assert_eq!(
        fleet::selected_id(&s).as_deref(),
        Some("ancient"),
        "stops at the end"
    );
    // Opening from a session selects that one.
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    s.set_active(Some("work".into()));
    s.overlays.push(Overlay::Nodes);
    update(&mut s, ctrl('w'));
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("work"));
}

#[test]
fn typing_filters_and_esc_clears_then_closes() {
    let mut s = fleet_app();
    s.set_active(None);
    s.overlays.push(Overlay::Sessions);
    typed(&mut s, "fxbld");
    assert_eq!(s.fleet.query, "fxbld");
    assert_eq!(ids(&s), vec!["ancient"], "fuzzy over the title");
    // Letters never run commands here: 'd' was typed, nothing was discarded.
    s.fleet.query.clear();
    typed(&mut s, "d");
    assert!(s.session("dead").is_some() && s.past.len() == 2);
    s.fleet.query.clear();
    typed(&mut s, "ELSEWHERE");
    assert_eq!(ids(&s), vec!["ancient"], "case-insensitive, over the cwd");
    s.fleet.query = "rec".into();
    assert_eq!(ids(&s), vec!["recent"], "over the id");
    s.fleet.query = "demo work".into();
    assert_eq!(ids(&s).len(), 6, "every term matches some field");
    s.fleet.query = "local idle".into();
    assert_eq!(ids(&s), vec!["idle"], "node name and id");
    update(&mut s, key(KeyCode::Backspace, Modifiers::NONE));
    assert_eq!(s.fleet.query, "local idl");
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    assert_eq!(s.fleet.query, "");
    assert_eq!(s.context(), Context::Sessions, "the first Esc only clears");
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    assert!(s.overlays.is_empty());
}

#[test]
fn a_filtered_out_selection_falls_to_the_first_row() {
    let mut s = fleet_app();
    update(&mut s, ctrl('w'));
    update(&mut s, ctrl('w'));
    typed(&mut s, "explain");
    let fx = update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    assert_eq!(
        fx,
        vec![Effect::Reopen {
            node: 0,
            session: "recent".into()
        }],
        "Enter opens the one row left"
    );
}

#[test]
fn reopening_a_past_session_resets_a_fresh_view_and_the_replay_is_not_news() {
    let mut s = fleet_app();
    update(&mut s, ctrl('w'));
    update(&mut s, ctrl('w'));
    update(&mut s, key(KeyCode::End, Modifiers::NONE));
    let fx = update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    assert_eq!(
        fx,
        vec![Effect::Reopen {
            node: 0,
            session: "ancient".into()
        }]
    );
    assert!(s.past.iter().all(|p| p.id() != "ancient"), "no longer past");
    let v = s.session("ancient").expect("a view now");
    assert_eq!(v.status, SessionStatus::Initializing);
    assert!(v.attached && !v.prompt_in_flight && v.transcript.entries.is_empty());
    assert_eq!(v.title.as_deref(), Some("fix the build"));
    assert_eq!(v.cwd, "/elsewhere");
    assert_eq!(s.active.as_deref(), Some("ancient"));
    assert!(s.overlays.is_empty());
    // The replay: a prompt, an answer, the old end, then the agent continues.
    let replay = [
        NodeEvent::Prompted {
            session: "ancient".into(),
            text: "fix the build".into(),
        },
        NodeEvent::Status {
            session: "ancient".into(),
            status: SessionStatus::Working,
            reason: None,
        },
    ];
    for e in replay {
        event(&mut s, e);
    }
    chunk(&mut s, "ancient", "Fixed.");
    s.active = Some("other".into()); // even off screen, a replay tells nothing
    let mut fx = status(&mut s, "ancient", SessionStatus::Idle, None);
    fx.extend(status(&mut s, "ancient", SessionStatus::Closed, None));
    fx.extend(status(&mut s, "ancient", SessionStatus::Idle, None));
    assert!(fx.is_empty(), "{fx:?}");
    s.active = Some("ancient".into());
    update(
        &mut s,
        Action::Attached {
            session: "ancient".into(),
            result: Ok(()),
        },
    );
    let v = s.session("ancient").unwrap();
    assert_eq!(
        v.transcript.entries.len(),
        2,
        "the user turn and the answer"
    );
    assert_eq!(v.status, SessionStatus::Idle);
    assert_eq!(v.replay, None);
    assert!(!v.unseen);
    let kinds: Vec<_> = v.lifecycle.events().map(|e| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![lifecycle::LifeKind::Found, lifecycle::LifeKind::Reopened],
        "the replay adds no lifecycle entries"
    );
    // It is live again: a prompt goes to it.
    typed(&mut s, "and the tests");
    let fx = update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Prompt { session, .. } if session == "ancient")));
}

#[test]
fn reopening_a_failed_view_resets_it_and_a_refused_reopen_says_so() {
    let mut s = fleet_app();
    s.set_active(None);
    let fx = update(
        &mut s,
        Action::Key(Key::new(KeyCode::Char('w'), Modifiers::CONTROL)),
    );
    assert!(fx.is_empty());
    s.fleet.selected = Some("dead".into());
    let fx = update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    assert_eq!(
        fx,
        vec![Effect::Reopen {
            node: 0,
            session: "dead".into()
        }]
    );
    let v = s.session("dead").unwrap();
    assert_eq!(v.status, SessionStatus::Initializing);
    assert!(v.reason.is_none() && v.ended_ms.is_none() && v.transcript.entries.is_empty());
    update(
        &mut s,
        Action::Attached {
            session: "dead".into(),
            result: Err(crate::node_api::RpcError::new(-32002, "no journal")),
        },
    );
    let v = s.session("dead").unwrap();
    assert_eq!(v.status, SessionStatus::Failed);
    assert_eq!(v.reason.as_deref(), Some("could not reopen: no journal"));
    assert!(v.attached, "still this client's: Enter tries again");
}

#[test]
fn past_sessions_of_an_offline_node_are_not_reopened() {
    let mut s = fleet_app();
    update(
        &mut s,
        Action::Node {
            node: 0,
            event: NodeEvent::Disconnected("gone".into()),
        },
    );
    s.overlays = vec![Overlay::Sessions];
    s.fleet.selected = Some("recent".into());
    let fx = update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    assert!(fx.is_empty());
    assert!(s.past.iter().any(|p| p.id() == "recent"), "still past");
    assert!(s.status.as_ref().unwrap().text.contains("not connected"));
}

#[test]
fn discard_forgets_ended_and_past_sessions_and_selects_the_next_row() {
    let mut s = fleet_app();
    s.set_active(None);
    s.overlays.push(Overlay::Sessions);
    s.fleet.selected = Some("recent".into());
    assert!(
        update(&mut s, ctrl('d')).is_empty(),
        "ended: nothing to tell the node"
    );
    assert!(s.past.iter().all(|p| p.id() != "recent"));
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("dead"));
    assert!(update(&mut s, key(KeyCode::Delete, Modifiers::NONE)).is_empty());
    assert!(s.session("dead").is_none());
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("ancient"));
    // Listing again does not bring them back.
    let now = s.now_ms;
    listed(
        &mut s,
        0,
        vec![
            past("recent", "explain the tests", "/work", now - 10 * MIN),
            past("dead", "", "/work", now - 50 * MIN),
        ],
    );
    assert!(
        s.past.is_empty(),
        "ancient is gone from the new listing too"
    );
    assert!(s.session("dead").is_none());
}

#[test]
fn listings_replace_a_nodes_history_sanitized_and_keep_views() {
    let mut s = fleet_app();
    let mut p = past(
        "evil",
        "\u{1b}]0;pwned\u{7}title\u{1b}[31m",
        "/w\u{1b}[2J",
        T0,
    );
    p.reason = Some("bad\u{1b}[1m".into());
    listed(&mut s, 0, vec![p]);
    assert_eq!(s.past.len(), 1, "replaced, not appended");
    let e = &s.past[0].summary;
    assert_eq!(e.title.as_deref(), Some("title"));
    assert_eq!(e.reason.as_deref(), Some("bad"));
    assert_eq!(s.past[0].cwd(), "/w");
    // A view the node lists as ended stays a view.
    let mut dead = past("dead", "x", "/work", T0);
    dead.status = SessionStatus::Failed;
    listed(&mut s, 0, vec![dead]);
    assert!(s.past.is_empty() && s.session("dead").is_some());
    assert!(matches!(
        fleet::rows(&s).last().unwrap().at,
        RowRef::View(_)
    ));
}

#[test]
fn ten_thousand_past_sessions_list_filter_and_draw_in_linear_time() {
    let mut s = app();
    let now = s.now_ms;
    let list: Vec<SessionSummary> = (0..10_000u64)
        .map(|i| {
            past(
                &format!("{i:08}-past"),
                &format!("task {i}"),
                "/work",
                now - i * MIN,
            )
        })
        .collect();
    listed(&mut s, 0, list);
    assert_eq!(s.past.len(), 10_000);
    update(&mut s, ctrl('w'));
    typed(&mut s, "task 9999");
    assert_eq!(ids(&s), vec!["00009999-past"]);
}

#[test]
fn the_detail_opens_on_the_selected_session_and_acts_on_it() {
    let mut s = fleet_app();
    s.set_active(None);
    update(&mut s, ctrl('w'));
    s.fleet.selected = Some("recent".into());
    for k in [
        key(KeyCode::Tab, Modifiers::NONE),
        key(KeyCode::Right, Modifiers::NONE),
        ctrl('o'),
    ] {
        update(&mut s, k);
        assert_eq!(s.overlays.last(), Some(&Overlay::Detail("recent".into())));
        assert_eq!(s.context(), Context::Detail);
        update(&mut s, key(KeyCode::Down, Modifiers::NONE));
        assert_eq!(s.detail_scroll, 1, "arrows scroll the detail");
        update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
        assert_eq!(s.context(), Context::Sessions, "back to the overlay");
    }
    // Enter in the detail opens the session it shows, whatever the filter selects.
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    s.fleet.query = "perm".into();
    let fx = update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    assert_eq!(
        fx,
        vec![Effect::Reopen {
            node: 0,
            session: "recent".into()
        }]
    );
    // Ctrl+D in the detail discards it and goes back to the overlay.
    update(&mut s, ctrl('w'));
    update(&mut s, ctrl('w'));
    assert_eq!(fleet::selected_id(&s).as_deref(), Some("recent"));
    s.fleet.selected = Some("ancient".into());
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    assert!(update(&mut s, ctrl('d')).is_empty());
    assert!(s.past.iter().all(|p| p.id() != "ancient"));
    assert_eq!(s.context(), Context::Sessions);
}
