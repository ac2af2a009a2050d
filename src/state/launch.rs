//! `praxis --continue` and `praxis --resume [ID]`, applied once the in-process node has
//! listed its sessions: `--continue` opens the most recently active session of the working
//! directory (else of any), or starts a new one as without the flag; `--resume` opens the
//! Active Sessions overlay on everything, history included; `--resume ID` opens that session
//! (any unique id prefix), or says why not with the overlay open; an id the in-process node
//! does not know is tried again as node daemons list theirs (until the first key), since a
//! session started with `praxis session start` lives on one.

use super::effect::Effect;
use super::fleet;
use super::transcript::Level;
use super::{AppState, Launch, Overlay};

/// The local node (`node`) has answered `session/list` (or failed to): apply the launch.
pub(super) fn apply(state: &mut AppState, node: usize, fx: &mut Vec<Effect>) {
    let Some(launch) = state.launch.take() else {
        return;
    };
    match launch {
        Launch::Continue => match most_recent(state, node) {
            Some(id) => {
                super::open::open(state, &id, fx);
            }
            None => start_new(state, node, fx),
        },
        Launch::Resume(None) => {
            open_overlay(state);
            // On the most recent session that ended, if any: that is what one resumes.
            let rows = fleet::rows(state);
            let ended = rows
                .iter()
                .find(|r| matches!(r.group, fleet::Group::Ended | fleet::Group::History));
            if let Some(r) = ended.or(rows.first()) {
                state.fleet.selected = Some(state.entry(r.at).id().to_string());
            }
        }
        Launch::Resume(Some(prefix)) => match super::open::resolve(state, &prefix) {
            Ok(id) => {
                super::open::open(state, &id, fx);
            }
            Err(e) => {
                open_overlay(state);
                if e.ambiguous {
                    // The filter shows the candidates.
                    state.fleet.query = prefix;
                } else {
                    state.launch_retry = Some(prefix);
                }
                state.say(Level::Error, e.message);
            }
        },
    }
}

/// A node daemon listed its sessions: `--resume ID` that was not found may be there.
pub(super) fn retry(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(prefix) = state.launch_retry.clone() else {
        return;
    };
    if let Ok(id) = super::open::resolve(state, &prefix) {
        state.launch_retry = None;
        state.overlays.retain(|o| *o != Overlay::Sessions);
        state.status = None;
        super::open::open(state, &id, fx);
    }
}

fn open_overlay(state: &mut AppState) {
    if !state.overlays.contains(&Overlay::Sessions) {
        state.overlays.push(Overlay::Sessions);
    }
    fleet::on_open(state);
}

/// The most recently active session of `node` in the default working directory, else of any
/// directory: views and past alike.
fn most_recent(state: &AppState, node: usize) -> Option<String> {
    let candidates = || {
        let views = state
            .sessions
            .iter()
            .filter(move |s| s.node == node)
            .map(|s| (s.last_activity_ms, s.cwd.as_str(), s.id.as_str()));
        let past = state
            .past
            .iter()
            .filter(move |p| p.node == node)
            .map(|p| (p.last_activity_ms(), p.cwd(), p.id()));
        views.chain(past)
    };
    let here = candidates()
        .filter(|(_, cwd, _)| same_dir(cwd, &state.default_cwd))
        .max_by_key(|(at, _, _)| *at);
    here.or_else(|| candidates().max_by_key(|(at, _, _)| *at))
        .map(|(_, _, id)| id.to_string())
}

/// Paths equal but for a trailing slash.
fn same_dir(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Nothing to continue: start a session as without `--continue`.
fn start_new(state: &mut AppState, node: usize, fx: &mut Vec<Effect>) {
    match state.auto_start.take() {
        Some(options) => {
            state.starting.push((options.agent.clone(), state.now_ms));
            fx.push(Effect::NewSession { node, options });
        }
        None => state.say(Level::Info, "No earlier session to continue"),
    }
}
