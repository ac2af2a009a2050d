//! Key-sequence tests of being told: a session not on screen that needs permission or ends
//! a turn (or fails) emits `Effect::Notify` and counts in "N need you" until it is seen; the
//! terminal title; what a session records for the overlay and the detail (titles, cost,
//! lifecycle, activity times).

use super::attention::{need_count, terminal_title};
use super::fleet_support::*;
use super::lifecycle::LifeKind;
use super::*;
use crate::key::{KeyCode, Modifiers};
use crate::node_api::{NodeEvent, PromptDone, RpcError, SessionStatus, StopReason};
use crate::protocol::acp::Update;
use serde_json::json;

fn notifies(fx: &[Effect]) -> Vec<(String, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Notify { title, body } => Some((title.clone(), body.clone())),
            _ => None,
        })
        .collect()
}

fn send(s: &mut AppState, text: &str) -> Vec<Effect> {
    typed(s, text);
    update(s, key(KeyCode::Enter, Modifiers::NONE))
}

fn done(s: &mut AppState, id: &str, result: Result<PromptDone, RpcError>) -> Vec<Effect> {
    update(
        s,
        Action::PromptDone {
            session: id.into(),
            result,
        },
    )
}

fn end_turn() -> Result<PromptDone, RpcError> {
    Ok(PromptDone {
        stop_reason: StopReason::EndTurn,
        timed_out: false,
        usage: None,
    })
}

/// Two sessions, "a" (shown) and "b" (working in the background on "fix the build").
fn two() -> AppState {
    let mut s = app();
    create(&mut s, "b", "/work");
    send(&mut s, "fix the build\nplease");
    create(&mut s, "a", "/work");
    assert_eq!(s.active.as_deref(), Some("a"));
    s
}

#[test]
fn a_background_session_that_needs_permission_is_told_and_counted() {
    let mut s = two();
    let fx = ask(&mut s, "b");
    assert_eq!(
        notifies(&fx),
        vec![(
            "praxis · fix the build".to_string(),
            "demo (b) needs permission: Edit lib.rs".to_string()
        )]
    );
    assert_eq!(need_count(&s), 1);
    // On screen, nothing is told.
    let fx = ask(&mut s, "a");
    assert!(notifies(&fx).is_empty());
    assert_eq!(need_count(&s), 1, "the one on screen is not counted");
    // Answered elsewhere: no longer waiting.
    status(&mut s, "b", SessionStatus::Working, None);
    assert_eq!(need_count(&s), 0);
}

#[test]
fn a_background_turn_that_ends_is_told_once_and_seen_when_shown() {
    let mut s = two();
    // The node says idle, then the prompt's answer arrives: one notification.
    let mut fx = status(&mut s, "b", SessionStatus::Idle, None);
    fx.extend(done(&mut s, "b", end_turn()));
    assert_eq!(
        notifies(&fx),
        vec![(
            "praxis · fix the build".to_string(),
            "demo (b) finished".to_string()
        )]
    );
    assert!(s.session("b").unwrap().unseen);
    assert_eq!(need_count(&s), 1);
    assert_eq!(terminal_title(&s), "praxis — demo (a) · idle");
    update(&mut s, key(KeyCode::Char('2'), Modifiers::ALT));
    assert_eq!(s.active.as_deref(), Some("b"));
    assert!(!s.session("b").unwrap().unseen, "seen");
    assert_eq!(need_count(&s), 0);
    // The one on screen ends a turn: nothing to tell.
    let fx = send(&mut s, "again");
    assert!(fx.iter().any(|e| matches!(e, Effect::Prompt { .. })));
    assert!(notifies(&done(&mut s, "b", end_turn())).is_empty());
}

#[test]
fn errors_and_failures_in_the_background_are_told_and_need_you() {
    let mut s = two();
    let fx = done(&mut s, "b", Err(RpcError::new(-32603, "agent crashed")));
    assert_eq!(
        notifies(&fx)[0].1,
        "demo (b) failed: agent crashed".to_string()
    );
    let b = s.session("b").unwrap();
    assert_eq!(b.turn_error.as_deref(), Some("agent crashed"));
    assert_eq!(fleet::group_of(&s, b), fleet::Group::NeedsYou);
    // Another client prompts it: the error is behind it.
    event(
        &mut s,
        NodeEvent::Prompted {
            session: "b".into(),
            text: "retry".into(),
        },
    );
    assert_eq!(s.session("b").unwrap().turn_error, None);
    let fx = status(
        &mut s,
        "b",
        SessionStatus::Failed,
        Some("agent exited (code 3)"),
    );
    assert_eq!(
        notifies(&fx)[0].1,
        "demo (b) failed: agent exited (code 3)".to_string()
    );
    let b = s.session("b").unwrap();
    assert_eq!(b.ended_ms, Some(s.now_ms));
    assert_eq!(fleet::group_of(&s, b), fleet::Group::Ended);
    // A node going away fails its sessions quietly (the status bar says it once).
    create(&mut s, "c", "/work");
    s.set_active(Some("a".into()));
    let fx = update(
        &mut s,
        Action::Node {
            node: 0,
            event: NodeEvent::Disconnected("gone".into()),
        },
    );
    assert!(notifies(&fx).is_empty());
}

#[test]
fn notify_off_tells_nothing_but_still_counts() {
    let mut s = two();
    s.notify = false;
    assert!(notifies(&ask(&mut s, "b")).is_empty());
    assert_eq!(need_count(&s), 1);
}

#[test]
fn the_terminal_title_names_the_session_and_has_no_control_characters() {
    let mut s = app();
    assert_eq!(terminal_title(&s), "praxis");
    create(&mut s, "0123456789abcdef", "/work");
    send(&mut s, "fix the build");
    assert_eq!(
        terminal_title(&s),
        "praxis — fix the build (01234567) · idle"
    );
    let info =
        json!({"sessionUpdate": "session_info_update", "title": "Fix \u{1b}]0;x\u{7}CI\u{7}"});
    event(
        &mut s,
        NodeEvent::Update {
            session: "0123456789abcdef".into(),
            update: Update::from_value(info),
        },
    );
    status(&mut s, "0123456789abcdef", SessionStatus::Working, None);
    let title = terminal_title(&s);
    assert_eq!(title, "praxis — Fix CI (01234567) · working");
    assert!(!title.chars().any(char::is_control));
    s.set_active(None);
    assert_eq!(terminal_title(&s), "praxis");
}

#[test]
fn titles_come_from_the_agent_else_the_first_prompt() {
    let mut s = app();
    create(&mut s, "a", "/work");
    send(&mut s, "  \n  first line of the prompt  \nsecond");
    assert_eq!(
        s.session("a").unwrap().title.as_deref(),
        Some("first line of the prompt")
    );
    let set = |t: serde_json::Value| NodeEvent::Update {
        session: "a".into(),
        update: Update::from_value(json!({"sessionUpdate": "session_info_update", "title": t})),
    };
    event(&mut s, set(json!("Agent's title")));
    done(&mut s, "a", end_turn());
    send(&mut s, "another prompt");
    assert_eq!(
        s.session("a").unwrap().title.as_deref(),
        Some("Agent's title")
    );
    event(&mut s, set(serde_json::Value::Null));
    assert_eq!(
        s.session("a").unwrap().title.as_deref(),
        Some("first line of the prompt"),
        "cleared: the first prompt's again"
    );
}

#[test]
fn usage_cost_lifecycle_and_activity_times_are_recorded() {
    let mut s = app();
    create(&mut s, "a", "/work");
    tick(&mut s, T0 + MIN);
    send(&mut s, "go");
    assert_eq!(s.session("a").unwrap().last_activity_ms, T0 + MIN);
    tick(&mut s, T0 + 2 * MIN);
    let usage = json!({"sessionUpdate": "usage_update", "used": 12000, "size": 200000,
        "cost": {"amount": 0.42, "currency": "USD"}});
    event(
        &mut s,
        NodeEvent::Update {
            session: "a".into(),
            update: Update::from_value(usage),
        },
    );
    let a = s.session("a").unwrap();
    assert_eq!(a.context_used, Some((12000, 200000)));
    assert_eq!(a.cost, Some((0.42, "USD".to_string())));
    assert_eq!(a.last_activity_ms, T0 + 2 * MIN);
    tick(&mut s, T0 + 3 * MIN);
    done(&mut s, "a", end_turn());
    send(&mut s, "more");
    done(&mut s, "a", Err(RpcError::new(-32603, "boom")));
    let kinds: Vec<(u64, LifeKind)> = s
        .session("a")
        .unwrap()
        .lifecycle
        .events()
        .map(|e| (e.at_ms, e.kind.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (T0, LifeKind::Started),
            (T0 + MIN, LifeKind::TurnStarted),
            (T0 + 3 * MIN, LifeKind::TurnEnded("end_turn".into())),
            (T0 + 3 * MIN, LifeKind::TurnStarted),
            (T0 + 3 * MIN, LifeKind::TurnFailed("boom".into())),
        ]
    );
    assert_eq!(s.session("a").unwrap().timeout_secs, Some(600));
}

#[test]
fn sessions_seen_before_the_first_tick_take_its_time() {
    let mut s = untimed_app();
    create(&mut s, "a", "/work");
    assert_eq!(s.session("a").unwrap().last_activity_ms, 0);
    tick(&mut s, T0);
    assert_eq!(s.session("a").unwrap().last_activity_ms, T0);
}
