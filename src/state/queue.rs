//! Prompts entered while the agent works: queued, and sent one by one as turns end. When a
//! turn is cancelled, fails or stops short, they come back into the input instead of going
//! out unseen; Up on an empty prompt takes the last one back to edit or drop.

use super::effect::Effect;
use super::transcript::Level;
use super::{AppState, Scope};

/// Session `id`'s turn ended (`finished`: with `end_turn`): the next queued prompt goes out,
/// or, when it did not finish, every queued prompt comes back into the input.
pub(super) fn turn_over(state: &mut AppState, id: &str, finished: bool, fx: &mut Vec<Effect>) {
    let Some(s) = state.session_mut(id) else {
        return;
    };
    if finished {
        if let Some(next) = s.queued.pop_front() {
            super::ops::dispatch(state, id, next, fx);
        }
        return;
    }
    if s.queued.is_empty() {
        return;
    }
    let mut draft = s.input_text();
    for q in s.queued.drain(..) {
        if !draft.is_empty() {
            draft.push_str("\n\n");
        }
        draft.push_str(&q);
    }
    s.set_input(&draft);
    let text = "The turn did not finish: the queued prompts are back in the input";
    state.say_in(Scope::Session(id.to_string()), Level::Info, text);
}

/// Up on an empty prompt while prompts are queued: the last one comes back into the input.
pub(super) fn take_back(state: &mut AppState) -> bool {
    let Some(s) = state.active_session_mut() else {
        return false;
    };
    if !s.input_text().is_empty() {
        return false;
    }
    let Some(last) = s.queued.pop_back() else {
        return false;
    };
    s.set_input(&last);
    s.history_pos = None;
    true
}
