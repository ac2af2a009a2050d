//! What keys and clock ticks cost: the keymap's context is counted, not searched for (a
//! permission request waits or not), and a tick asks for a redraw only when something on
//! screen changes with time.

use super::fleet_support::*;
use super::*;
use crate::key::{KeyCode, Modifiers};
use crate::node_api::{NodeEvent, SessionStatus};

#[test]
fn the_permission_context_follows_requests_asked_answered_resolved_and_cancelled() {
    let mut s = app();
    create(&mut s, "a", "/work");
    assert_eq!(s.context(), Context::Chat);
    ask(&mut s, "a");
    assert_eq!(s.context(), Context::Permission);
    // Answered here (1 picks the first option).
    let fx = update(&mut s, ch('1'));
    assert!(
        fx.iter()
            .any(|f| matches!(f, Effect::AnswerPermission { .. })),
        "{fx:?}"
    );
    assert_eq!(s.context(), Context::Chat);
    // Answered elsewhere.
    ask(&mut s, "a");
    assert_eq!(s.context(), Context::Permission);
    event(
        &mut s,
        NodeEvent::PermissionResolved {
            session: "a".into(),
            request: crate::protocol::Id::Num(1),
            option: Some("allow".into()),
        },
    );
    assert_eq!(s.context(), Context::Chat);
    // Rejected with Esc.
    ask(&mut s, "a");
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    assert_eq!(s.context(), Context::Chat);
    // Left waiting when the turn ends: cancelled with it.
    ask(&mut s, "a");
    assert_eq!(s.context(), Context::Permission);
    s.active_session_mut()
        .unwrap()
        .transcript
        .end_turn(transcript::TurnState::Cancelled, None);
    assert_eq!(s.context(), Context::Chat);
    assert!(!s
        .active_session()
        .unwrap()
        .transcript
        .has_pending_permission());
}

#[test]
fn an_idle_chat_is_not_redrawn_by_the_clock_but_a_fading_message_and_a_busy_session_are() {
    let mut s = app();
    create(&mut s, "a", "/work");
    s.status = None;
    s.starting.clear();
    assert!(!s.ticking(), "an idle chat with nothing that fades");
    s.say(transcript::Level::Info, "Saved");
    assert!(s.ticking(), "a message that will fade");
    tick(&mut s, T0 + MESSAGE_MS + 1);
    assert!(s.status.is_none(), "faded, so gone");
    assert!(!s.ticking());
    // Issue 16: an error fades too, later than other messages.
    s.say(transcript::Level::Error, "Unknown mode");
    assert!(s.ticking(), "an error that will fade");
    tick(&mut s, T0 + MESSAGE_MS + 1 + MESSAGE_MS + 1);
    assert!(s.status.is_some(), "an error stays longer");
    tick(&mut s, T0 + 2 * MESSAGE_MS + 2 + crate::state::ERROR_MS);
    assert!(s.status.is_none() && !s.ticking(), "then fades");
    status(&mut s, "a", SessionStatus::Working, None);
    assert!(s.ticking(), "a busy session");
    status(&mut s, "a", SessionStatus::Idle, None);
    update(&mut s, ctrl('l'));
    assert!(s.ticking(), "an overlay shows ages");
}
