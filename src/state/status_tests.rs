//! Status messages have a scope and a lifetime (issue 16): a later success replaces an error,
//! a turn's messages end with the turn, a session's stay with it, errors fade too.

use super::fleet_support::*;
use super::*;
use crate::key::{KeyCode, Modifiers};
use crate::node_api::{PromptDone, SessionStatus, StopReason};

fn enter(s: &mut AppState) -> Vec<Effect> {
    update(s, key(KeyCode::Enter, Modifiers::NONE))
}

fn shown(s: &AppState) -> Option<String> {
    s.shown_status().map(|m| m.text.clone())
}

fn with_modes(s: &mut AppState) {
    let v = s.active_session_mut().unwrap();
    v.modes = vec!["default".into(), "plan".into()];
    v.mode = Some("default".into());
}

fn done(s: &mut AppState, id: &str, reason: StopReason) -> Vec<Effect> {
    update(
        s,
        Action::PromptDone {
            session: id.into(),
            result: Ok(PromptDone {
                stop_reason: reason,
                timed_out: false,
                usage: None,
            }),
        },
    )
}

#[test]
fn a_later_success_replaces_an_error_of_its_kind() {
    let mut s = app();
    create(&mut s, "a", "/work");
    with_modes(&mut s);
    typed(&mut s, "/mode bogus");
    enter(&mut s);
    assert_eq!(shown(&s).unwrap(), "Unknown mode `bogus`; /mode lists them");
    // Refused: the draft stays for fixing.
    while !s.active_session().unwrap().input_text().is_empty() {
        update(&mut s, key(KeyCode::Backspace, Modifiers::NONE));
    }
    typed(&mut s, "/mode plan");
    let fx = enter(&mut s);
    assert!(fx.iter().any(|e| matches!(e, Effect::SetMode { .. })));
    assert_eq!(shown(&s).unwrap(), "Switching to mode plan…");
    update(
        &mut s,
        Action::ModeSet {
            session: "a".into(),
            mode: "plan".into(),
            result: Ok(()),
        },
    );
    assert_eq!(shown(&s).unwrap(), "Mode: plan");
}

#[test]
fn a_turns_messages_end_with_the_turn_and_do_not_follow_into_the_next_prompt() {
    let mut s = app();
    create(&mut s, "a", "/work");
    typed(&mut s, "first");
    enter(&mut s);
    typed(&mut s, "second");
    enter(&mut s);
    assert!(shown(&s).unwrap().starts_with("Queued (1)"));
    update(&mut s, ctrl('c'));
    assert_eq!(shown(&s).unwrap(), "Cancelling…");
    done(&mut s, "a", StopReason::Cancelled);
    // Cancelled: the turn's messages end with it, and the queued prompt comes back.
    assert_eq!(
        shown(&s).unwrap(),
        "The turn did not finish: the queued prompts are back in the input"
    );
    assert_eq!(s.active_session().unwrap().input_text(), "second");
    // With a draft, Ctrl+C clears it first.
    update(&mut s, ctrl('c'));
    assert_eq!(shown(&s).unwrap(), "Draft cleared (↑ brings it back)");
    // Cancelling, then a new prompt before the agent answers: gone as well.
    typed(&mut s, "third");
    enter(&mut s);
    update(&mut s, ctrl('c'));
    assert_eq!(shown(&s).unwrap(), "Cancelling…");
    done(&mut s, "a", StopReason::Cancelled);
    assert_eq!(shown(&s), None, "the turn ended: its messages with it");
    typed(&mut s, "fourth");
    enter(&mut s);
    assert_eq!(shown(&s), None);
}

#[test]
fn prompts_entered_while_working_are_queued_sent_in_order_and_can_be_taken_back() {
    let mut s = app();
    create(&mut s, "a", "/work");
    typed(&mut s, "first");
    enter(&mut s);
    for p in ["second", "third", "fourth"] {
        typed(&mut s, p);
        enter(&mut s);
    }
    assert_eq!(
        s.active_session().unwrap().queued,
        ["second", "third", "fourth"]
    );
    // Up on an empty prompt takes the last one back to edit (or drop).
    update(&mut s, key(KeyCode::Up, Modifiers::NONE));
    assert_eq!(s.active_session().unwrap().input_text(), "fourth");
    assert_eq!(s.active_session().unwrap().queued, ["second", "third"]);
    update(&mut s, ctrl('c'));
    assert_eq!(s.active_session().unwrap().input_text(), "");
    // The turn ends: the next one goes out, then the one after.
    let prompts = |fx: &[Effect]| -> Vec<String> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Prompt { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    };
    let fx = done(&mut s, "a", StopReason::EndTurn);
    assert_eq!(prompts(&fx), ["second"]);
    assert!(s.active_session().unwrap().prompt_in_flight);
    let fx = done(&mut s, "a", StopReason::EndTurn);
    assert_eq!(prompts(&fx), ["third"]);
    assert!(s.active_session().unwrap().queued.is_empty());
}

#[test]
fn a_sessions_message_does_not_follow_you_into_another_session() {
    let mut s = app();
    create(&mut s, "a", "/work");
    status(&mut s, "a", SessionStatus::Failed, Some("agent crashed"));
    typed(&mut s, "hello");
    enter(&mut s);
    let about_a = shown(&s).expect("why the prompt was refused");
    assert!(about_a.starts_with("This session has ended"), "{about_a}");
    create(&mut s, "b", "/work");
    assert_eq!(s.active.as_deref(), Some("b"));
    assert_eq!(shown(&s), None, "not about b");
    s.set_active(Some("a".into()));
    assert_eq!(shown(&s), Some(about_a), "still about a, while it lasts");
    // An app message shows wherever you are.
    s.say(transcript::Level::Info, "Copied (clipboard)");
    s.set_active(Some("b".into()));
    assert_eq!(shown(&s).unwrap(), "Copied (clipboard)");
}

#[test]
fn errors_fade_later_than_other_messages() {
    let mut s = app();
    create(&mut s, "a", "/work");
    s.say(
        transcript::Level::Error,
        "Could not save the transcript: disk full",
    );
    tick(&mut s, T0 + MESSAGE_MS + 1);
    assert!(shown(&s).is_some());
    tick(&mut s, T0 + ERROR_MS + 1);
    assert_eq!(shown(&s), None);
}

#[test]
fn startup_problems_are_shown_whole_in_the_first_sessions_chat() {
    let mut s = app();
    let long = format!(
        "config.toml: line 3, column 13: invalid array; expected `]` {}",
        "x".repeat(200)
    );
    s.startup_notices = vec![long.clone()];
    create(&mut s, "a", "/work");
    let notices: Vec<&str> = s
        .active_session()
        .unwrap()
        .transcript
        .entries
        .iter()
        .filter_map(|e| match &e.kind {
            transcript::EntryKind::Notice { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notices, [long.as_str()]);
    assert!(s.startup_notices.is_empty(), "shown once");
}

#[test]
fn a_message_said_before_the_first_clock_tick_lives_from_that_tick() {
    // `--resume UNKNOWN` said "No session …" before the clock was known (at 0 ms): the first
    // tick found it 55 years old and it never showed.
    let mut s = untimed_app();
    s.say(transcript::Level::Error, "No session 0695b47a");
    tick(&mut s, T0);
    assert_eq!(shown(&s).unwrap(), "No session 0695b47a");
    tick(&mut s, T0 + ERROR_MS + 1);
    assert_eq!(shown(&s), None);
}
