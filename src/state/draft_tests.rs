//! The draft (issue 16): Ctrl+G edits it in the external editor (the runtime is asked to hand
//! the terminal over with it, and what the editor saved becomes the draft), and in a draft
//! wrapped over several rows Up and Down move by the rows as drawn before they walk the
//! prompt history.

use super::fleet_support::*;
use super::*;
use crate::key::{KeyCode, Modifiers};

#[test]
fn ctrl_g_hands_the_draft_to_the_editor_and_takes_back_what_it_saved() {
    let mut s = app();
    create(&mut s, "a", "/work");
    typed(&mut s, "a draft");
    let fx = update(&mut s, ctrl('g'));
    assert_eq!(
        fx,
        vec![Effect::EditDraft {
            session: "a".into(),
            text: "a draft".into()
        }]
    );
    update(
        &mut s,
        Action::Edited {
            session: "a".into(),
            result: Ok("a better draft\nwith a second line".into()),
        },
    );
    let v = s.active_session().unwrap();
    assert_eq!(v.input_text(), "a better draft\nwith a second line");
    assert_eq!(
        s.shown_status().unwrap().text,
        "Draft edited (2 lines); Enter sends it"
    );
}

#[test]
fn an_editor_that_fails_leaves_the_draft_and_says_why() {
    let mut s = app();
    create(&mut s, "a", "/work");
    typed(&mut s, "kept");
    update(&mut s, ctrl('g'));
    update(
        &mut s,
        Action::Edited {
            session: "a".into(),
            result: Err("set $VISUAL or $EDITOR to edit the draft in your editor".into()),
        },
    );
    assert_eq!(s.active_session().unwrap().input_text(), "kept");
    assert_eq!(
        s.shown_status().unwrap().text,
        "Could not edit the draft: set $VISUAL or $EDITOR to edit the draft in your editor"
    );
}

#[test]
fn up_and_down_move_through_a_wrapped_draft_before_walking_the_history() {
    let mut s = app();
    create(&mut s, "a", "/work");
    s.history = vec!["an earlier prompt".into()];
    update(
        &mut s,
        Action::Layout {
            total: 0,
            height: 10,
            input_width: 10,
        },
    );
    // Three rows at width 10: "aaaa bbbb " | "cccc dddd " | "ee".
    typed(&mut s, "aaaa bbbb cccc dddd ee");
    let up = key(KeyCode::Up, Modifiers::NONE);
    let down = key(KeyCode::Down, Modifiers::NONE);
    let cursor = |s: &AppState| s.active_session().unwrap().input.cursor();
    update(&mut s, up.clone());
    assert_eq!(cursor(&s), (0, 12));
    update(&mut s, up.clone());
    assert_eq!(cursor(&s), (0, 2));
    update(&mut s, down.clone());
    assert_eq!(cursor(&s), (0, 12));
    update(&mut s, up.clone());
    let draft = "aaaa bbbb cccc dddd ee";
    assert_eq!(s.active_session().unwrap().input_text(), draft);
    // On the first row, Up walks the history; Down past its newest brings the draft back.
    update(&mut s, up);
    assert_eq!(
        s.active_session().unwrap().input_text(),
        "an earlier prompt"
    );
    update(&mut s, down);
    assert_eq!(s.active_session().unwrap().input_text(), draft);
}
