//! The completion popup's contents: slash commands, their arguments, or earlier prompts
//! (history search), re-filtered as the input changes.

use super::transcript::Level;
use super::AppState;

/// Candidates for the open popup: slash completion or history search.
fn current_candidates(state: &AppState) -> Option<(Vec<super::slash::Candidate>, bool)> {
    let s = state.active_session()?;
    if let Some(c) = state.completion.as_ref().filter(|c| c.history) {
        return Some((
            super::slash::history_matches(&state.history, &c.query),
            true,
        ));
    }
    let text = s.input_text();
    // Every known session, in the overlay's order (live ones first, then ended and past).
    let sessions: Vec<(String, String)> = super::fleet::rows_unfiltered(state)
        .into_iter()
        .map(|r| {
            let e = state.entry(r.at);
            let what = match e.title() {
                Some(t) => format!("{} · {}", e.agent(), super::lifecycle::cut(t, 40)),
                None => e.agent().to_string(),
            };
            let what = match r.group {
                super::fleet::Group::Ended | super::fleet::Group::History => {
                    format!("{what} ({})", e.status())
                }
                _ => what,
            };
            (e.id().to_string(), what)
        })
        .collect();
    let cx = super::slash::Context {
        agent_commands: &s.commands,
        sessions: &sessions,
        themes: &state.themes,
        modes: &s.modes,
        options: &s.options,
    };
    Some((super::slash::candidates(&text, &cx), false))
}

/// Opens the popup: slash completion (Tab) or history search (Ctrl+R).
pub(super) fn open_popup(state: &mut AppState, history: bool) {
    let Some(text) = state.active_session().map(|s| s.input_text()) else {
        return;
    };
    if !history && !text.starts_with('/') {
        state.say(Level::Info, "Tab completes commands: start with /");
        return;
    }
    if history && state.history.is_empty() {
        state.say(Level::Info, "No earlier prompts yet");
        return;
    }
    state.completion = Some(super::slash::Completion {
        items: Vec::new(),
        selected: 0,
        history,
        query: String::new(),
    });
    refilter(state);
    if state.completion.is_none() {
        let msg = if history {
            "No earlier prompt matches".to_string()
        } else {
            format!("No command starts with {text}")
        };
        state.say(Level::Info, msg);
    }
}

/// Re-filters the open popup: slash completion for the current buffer (strict prefix), closed
/// when nothing matches; history search for its own query (kept open with no match, so the
/// query can be mended).
pub(super) fn refilter(state: &mut AppState) {
    let Some(query) = state.completion.as_ref().map(|c| c.query.clone()) else {
        return;
    };
    state.completion = match current_candidates(state) {
        Some((items, history)) if history || !items.is_empty() => Some(super::slash::Completion {
            items,
            selected: 0,
            history,
            query,
        }),
        _ => None,
    };
}
