//! Opening sessions, whichever way it is asked (the overlay's Enter, `/session resume ID`,
//! the switching keys, `--continue` and `--resume ID`): a live one this client follows is
//! shown, a live one it does not follow is attached, an ended one (or one from a node's
//! history) is reopened. Also switching between live sessions without the overlay,
//! closing, discarding, and session ids: any unique prefix over every known session, live
//! and past.

use super::effect::Effect;
use super::lifecycle::LifeKind;
use super::session::{short_id, Replay, Scroll};
use super::transcript::{Level, Transcript, TurnState};
use super::AppState;
use crate::node_api::SessionStatus;

/// Shows session `id`, attaching or reopening it as needed. False (with a message) when it
/// cannot be opened.
pub(super) fn open(state: &mut AppState, id: &str, fx: &mut Vec<Effect>) -> bool {
    if state.session(id).is_none() {
        let Some(pos) = state.past.iter().position(|p| p.id() == id) else {
            state.say(Level::Error, format!("No session {}", short_id(id)));
            return false;
        };
        if !node_connected(state, state.past[pos].node, id) {
            return false;
        }
        let past = state.past.swap_remove(pos);
        let view = super::listing::view_of(past.node, &past.summary);
        state.sessions.push(view);
    }
    let Some(s) = state.session_mut(id) else {
        return false;
    };
    let (node, live, attached) = (s.node, s.status.is_live(), s.attached);
    if !live {
        if !node_connected(state, node, id) {
            return false;
        }
        reopen(state, id, fx);
    } else if !attached {
        attach(state, id, fx);
    }
    state.set_active(Some(id.to_string()));
    state.overlays.clear();
    true
}

fn node_connected(state: &mut AppState, node: usize, id: &str) -> bool {
    match state.nodes.get(node) {
        Some(n) if n.connected => true,
        n => {
            let name = n.map_or("?", |n| n.name.as_str());
            let msg = format!("Node {name} is not connected: cannot open {}", short_id(id));
            state.say(Level::Error, msg);
            false
        }
    }
}

/// Follows a live session this client did not follow: the node replays it.
fn attach(state: &mut AppState, id: &str, fx: &mut Vec<Effect>) {
    let now = state.now_ms;
    let Some(s) = state.session_mut(id) else {
        return;
    };
    s.attached = true;
    s.transcript = Transcript::after(&s.transcript);
    s.replay = Some(Replay::Attach);
    s.lifecycle.push(now, LifeKind::Attached);
    fx.push(Effect::Attach {
        node: s.node,
        session: id.to_string(),
    });
}

/// Opens an ended session again: a fresh view the node's replay fills, then the agent
/// continues it.
fn reopen(state: &mut AppState, id: &str, fx: &mut Vec<Effect>) {
    let now = state.now_ms;
    let Some(s) = state.session_mut(id) else {
        return;
    };
    s.transcript = Transcript::after(&s.transcript);
    s.status = SessionStatus::Initializing;
    s.reason = None;
    s.attached = true;
    s.prompt_in_flight = false;
    s.ended_ms = None;
    s.turn_error = None;
    s.turn_open = false;
    s.unseen = false;
    s.scroll = Scroll::Follow;
    s.last_activity_ms = s.last_activity_ms.max(now);
    s.replay = Some(Replay::Reopen);
    s.lifecycle.push(now, LifeKind::Reopened);
    fx.push(Effect::Reopen {
        node: s.node,
        session: id.to_string(),
    });
    let msg = format!(
        "Reopening {}: its transcript is replayed, then the agent continues it",
        short_id(id)
    );
    state.say(Level::Info, msg);
}

/// Closes a live session (cancelling its prompt first); it stays listed as ended.
pub(super) fn close(state: &mut AppState, id: &str, fx: &mut Vec<Effect>) {
    let Some(s) = state.session_mut(id) else {
        return;
    };
    if !s.status.is_live() {
        let msg = format!("Session {} has already ended", short_id(id));
        state.say(Level::Info, msg);
        return;
    }
    let node = s.node;
    if s.prompt_in_flight {
        fx.push(Effect::Cancel {
            node,
            session: id.to_string(),
        });
    }
    s.status = SessionStatus::Closed;
    s.reason = None;
    s.prompt_in_flight = false;
    s.transcript.end_turn(TurnState::Cancelled, None);
    fx.push(Effect::Close {
        node,
        session: id.to_string(),
    });
    super::attention::ended(state, id, None, false, fx);
    if state.active.as_deref() == Some(id) {
        state.set_active(None);
    }
    state.say(Level::Info, format!("Closed session {}", short_id(id)));
}

/// Removes a session from the overlay: a live one is closed first; an ended one (a view or
/// from a node's history) is only forgotten here, its node keeps its history.
pub(super) fn discard(state: &mut AppState, id: &str, fx: &mut Vec<Effect>) {
    if state.session(id).is_some_and(|s| s.status.is_live()) {
        close(state, id, fx);
    }
    let had = state.sessions.len() + state.past.len();
    state.sessions.retain(|s| s.id != id);
    state.past.retain(|p| p.id() != id);
    if state.sessions.len() + state.past.len() == had {
        return;
    }
    state.discarded.insert(id.to_string());
    if state.active.as_deref() == Some(id) {
        state.set_active(None);
    }
    if state.left.as_deref() == Some(id) {
        state.left = None;
    }
    state.say(Level::Info, format!("Discarded session {}", short_id(id)));
}

/// How many matches an ambiguous prefix lists.
const MATCHES_SHOWN: usize = 5;

/// Why an id prefix named no single session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unresolved {
    /// Several sessions match (the message lists up to five).
    pub ambiguous: bool,
    pub message: String,
}

/// The one known session (live or past) whose id starts with `prefix` (an exact id wins).
/// The error says why not: nothing given, no match, or the matches (up to five).
pub(super) fn resolve(state: &AppState, prefix: &str) -> Result<String, Unresolved> {
    let prefix = prefix.trim();
    let fail = |ambiguous, message| Err(Unresolved { ambiguous, message });
    if prefix.is_empty() {
        return fail(false, "Give a session id (any unique prefix of it)".into());
    }
    let mut hits: Vec<(u64, &str, Option<&str>)> = state
        .sessions
        .iter()
        .filter(|s| s.id.starts_with(prefix))
        .map(|s| (s.last_activity_ms, s.id.as_str(), s.title.as_deref()))
        .chain(
            state
                .past
                .iter()
                .filter(|p| p.id().starts_with(prefix))
                .map(|p| (p.last_activity_ms(), p.id(), p.summary.title.as_deref())),
        )
        .collect();
    if let Some((_, id, _)) = hits.iter().find(|(_, id, _)| *id == prefix) {
        return Ok(id.to_string());
    }
    match hits.len() {
        0 => fail(false, format!("No session matches `{prefix}`")),
        1 => Ok(hits[0].1.to_string()),
        n => {
            hits.sort_by_key(|(at, _, _)| std::cmp::Reverse(*at));
            let shown: Vec<String> = hits
                .iter()
                .take(MATCHES_SHOWN)
                .map(|(_, id, title)| match title {
                    Some(t) => format!("{} {}", short_id(id), super::lifecycle::cut(t, 30)),
                    None => short_id(id).to_string(),
                })
                .collect();
            let more = n.saturating_sub(MATCHES_SHOWN);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let shown = shown.join(", ");
            fail(
                true,
                format!("`{prefix}` matches {n} sessions: {shown}{more}"),
            )
        }
    }
}

/// Where switching goes.
pub(super) enum Switch {
    /// Forward or back through the live sessions, wrapping around.
    By(i64),
    /// The n-th live session (1-based).
    To(usize),
}

/// Shows another live session without the overlay, in the overlay's order.
pub(super) fn switch(state: &mut AppState, how: Switch, fx: &mut Vec<Effect>) {
    let order = super::fleet::live_order(state);
    if order.is_empty() {
        state.say(Level::Info, "No live sessions");
        return;
    }
    let current = state.active.as_deref().or(state.left.as_deref());
    let pos = current.and_then(|c| order.iter().position(|id| *id == c));
    let target = match how {
        Switch::To(n) if n >= 1 && n <= order.len() => n - 1,
        Switch::To(n) => {
            let msg = format!("No live session {n} (there are {})", order.len());
            state.say(Level::Info, msg);
            return;
        }
        Switch::By(d) => match pos {
            Some(p) => (p as i64 + d).rem_euclid(order.len() as i64) as usize,
            None if d < 0 => order.len() - 1,
            None => 0,
        },
    };
    let id = order[target].to_string();
    if state.active.as_deref() != Some(id.as_str()) || !state.overlays.is_empty() {
        open(state, &id, fx);
    }
}
