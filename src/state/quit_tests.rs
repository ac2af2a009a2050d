//! Ctrl+C clears a draft before it cancels or closes; Ctrl+Q asks before ending sessions that
//! run in this process (issue 16).

use super::fleet_support::*;
use super::*;
use crate::key::{KeyCode, Modifiers};
use crate::node_api::SessionStatus;

fn input(s: &AppState) -> String {
    s.active_session().unwrap().input_text()
}

#[test]
fn ctrl_c_clears_a_draft_first_and_up_brings_it_back() {
    let mut s = app();
    create(&mut s, "a", "/work");
    typed(&mut s, "a long draft I would hate to lose");
    update(&mut s, ctrl('c'));
    assert_eq!(input(&s), "");
    assert_eq!(s.active.as_deref(), Some("a"), "the session stays open");
    assert!(
        s.close_armed.is_none(),
        "the close guard is not armed by clearing"
    );
    update(&mut s, key(KeyCode::Up, Modifiers::NONE));
    assert_eq!(input(&s), "a long draft I would hate to lose");
    // With the input empty, the second Ctrl+C of a pair closes the idle session.
    update(&mut s, ctrl('u'));
    while !input(&s).is_empty() {
        update(&mut s, key(KeyCode::Backspace, Modifiers::NONE));
    }
    update(&mut s, ctrl('c'));
    assert!(s.close_armed.is_some());
    let fx = update(&mut s, ctrl('c'));
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Close { .. })),
        "{fx:?}"
    );
}

/// An app with one session whose turn is running.
fn working() -> AppState {
    let mut s = app();
    create(&mut s, "a", "/work");
    typed(&mut s, "work");
    update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    s
}

#[test]
fn ctrl_q_asks_while_sessions_would_end_and_y_or_enter_quits_n_or_esc_stays() {
    let mut s = working();
    assert_eq!(s.ending_on_quit(), (1, 1));
    for stay in [
        key(KeyCode::Char('n'), Modifiers::NONE),
        key(KeyCode::Esc, Modifiers::NONE),
    ] {
        assert!(update(&mut s, ctrl('q')).is_empty());
        assert!(s.confirm_quit);
        // Other keys do nothing while it asks (nothing typed into the prompt).
        update(&mut s, key(KeyCode::Char('x'), Modifiers::NONE));
        assert!(s.confirm_quit && input(&s).is_empty());
        update(&mut s, stay);
        assert!(!s.confirm_quit && !s.quit);
    }
    for quit in [
        key(KeyCode::Char('y'), Modifiers::NONE),
        key(KeyCode::Enter, Modifiers::NONE),
        ctrl('q'),
    ] {
        let mut s = working();
        update(&mut s, ctrl('q'));
        assert_eq!(update(&mut s, quit), vec![Effect::Quit]);
        assert!(s.quit);
    }
}

#[test]
fn ctrl_q_quits_at_once_when_nothing_would_end() {
    let mut s = app();
    create(&mut s, "a", "/work");
    status(&mut s, "a", SessionStatus::Closed, None);
    assert_eq!(s.ending_on_quit(), (0, 0));
    assert_eq!(update(&mut s, ctrl('q')), vec![Effect::Quit]);
}

#[test]
fn alt_m_toggles_mouse_capture_and_says_how_to_select_text() {
    let mut s = app();
    create(&mut s, "a", "/work");
    assert!(s.mouse_capture);
    let fx = update(&mut s, key(KeyCode::Char('m'), Modifiers::ALT));
    assert_eq!(fx, vec![Effect::SetMouseCapture(false)]);
    let said = s.shown_status().unwrap().text.clone();
    assert!(
        said.starts_with("Mouse capture off: drag selects text"),
        "{said}"
    );
    let fx = update(&mut s, key(KeyCode::Char('m'), Modifiers::ALT));
    assert_eq!(fx, vec![Effect::SetMouseCapture(true)]);
    assert!(s
        .shown_status()
        .unwrap()
        .text
        .contains("Shift+drag selects text"));
}
