//! Ctrl+G edits the draft in the external editor (issue 16): the runtime is asked to hand the
//! terminal over with the draft, and what the editor saved becomes the draft.

use super::fleet_support::*;
use super::*;

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
