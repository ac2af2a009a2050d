//! Sessions as news: turn starts and ends and failures recorded in a session's lifecycle,
//! the user told (`Effect::Notify`) when a session that is not on screen needs permission or
//! ends a turn, the unseen marks behind the status bar's "N need you", and the terminal title.
//!
//! Nothing here is news while a session is replaying (attach, reopen): those events rebuild
//! what happened earlier.

use super::effect::Effect;
use super::lifecycle::LifeKind;
use super::session::short_id;
use super::AppState;
use crate::node_api::SessionStatus;

/// How a turn ended.
pub(super) enum TurnEnd {
    /// With this stop reason ("end_turn", "cancelled", "max_tokens", ...).
    Stopped(String),
    /// With an error.
    Failed(String),
}

fn on_screen(state: &AppState, id: &str) -> bool {
    state.active.as_deref() == Some(id)
}

/// An event for session `id` arrived: it was active just now.
pub(super) fn touch(state: &mut AppState, id: &str) {
    let now = state.now_ms;
    if let Some(s) = state.session_mut(id) {
        if s.replay.is_none() {
            s.last_activity_ms = s.last_activity_ms.max(now);
        }
    }
}

/// A turn started (a prompt sent here or by another client, or the session seen working).
pub(super) fn turn_started(state: &mut AppState, id: &str) {
    let now = state.now_ms;
    let Some(s) = state.session_mut(id) else {
        return;
    };
    if s.turn_open {
        return;
    }
    s.turn_open = true;
    s.turn_started_ms = now;
    s.turn_text_bytes = 0;
    s.turn_error = None;
    if s.replay.is_none() {
        s.last_activity_ms = s.last_activity_ms.max(now);
        s.lifecycle.push(now, LifeKind::TurnStarted);
    }
}

/// The open turn of `id` ended (once per turn, however many signals say so).
pub(super) fn turn_ended(state: &mut AppState, id: &str, end: TurnEnd, fx: &mut Vec<Effect>) {
    let now = state.now_ms;
    let shown = on_screen(state, id);
    let notify = state.notify;
    let Some(s) = state.session_mut(id) else {
        return;
    };
    if !s.turn_open {
        return;
    }
    s.turn_open = false;
    let body = match &end {
        TurnEnd::Stopped(reason) if reason == "end_turn" => "finished".to_string(),
        TurnEnd::Stopped(reason) if reason == "cancelled" => "was cancelled".to_string(),
        TurnEnd::Stopped(reason) => format!("stopped ({reason})"),
        TurnEnd::Failed(e) => format!("failed: {e}"),
    };
    if let TurnEnd::Failed(e) = &end {
        s.turn_error = Some(e.clone());
    }
    if s.replay.is_some() {
        return;
    }
    s.lifecycle.push(
        now,
        match end {
            TurnEnd::Stopped(reason) => LifeKind::TurnEnded(reason),
            TurnEnd::Failed(e) => LifeKind::TurnFailed(e),
        },
    );
    if !shown {
        s.unseen = true;
        if notify {
            fx.push(notice(s, &body));
        }
    }
}

/// Session `id` ended: failed (with the reason) or closed. `tell` says whether a session not
/// on screen is news (a node going away fails all its sessions at once: the status bar says
/// so once instead).
pub(super) fn ended(
    state: &mut AppState,
    id: &str,
    failed: Option<&str>,
    tell: bool,
    fx: &mut Vec<Effect>,
) {
    let now = state.now_ms;
    let shown = on_screen(state, id);
    let notify = state.notify;
    let Some(s) = state.session_mut(id) else {
        return;
    };
    s.turn_open = false;
    if s.replay.is_some() {
        return;
    }
    if s.ended_ms.is_none() {
        s.ended_ms = Some(now);
    }
    s.last_activity_ms = s.last_activity_ms.max(now);
    s.lifecycle.push(
        now,
        match failed {
            Some(why) => LifeKind::Failed(why.to_string()),
            None => LifeKind::Closed,
        },
    );
    if let (Some(why), false, true) = (failed, shown, tell) {
        s.unseen = true;
        if notify {
            fx.push(notice(s, &format!("failed: {why}")));
        }
    }
}

/// Session `id` asks for permission to run `what`.
pub(super) fn permission_asked(state: &mut AppState, id: &str, what: &str, fx: &mut Vec<Effect>) {
    let shown = on_screen(state, id);
    let notify = state.notify;
    if let Some(s) = state.session(id) {
        if !shown && notify && s.replay.is_none() {
            fx.push(notice(s, &format!("needs permission: {what}")));
        }
    }
}

fn notice(s: &super::SessionView, what: &str) -> Effect {
    let name = s.title.as_deref().unwrap_or(&s.agent);
    Effect::Notify {
        title: one_line(&format!("praxis · {name}")),
        body: one_line(&format!("{} ({}) {what}", s.agent, short_id(&s.id))),
    }
}

/// Text without control characters (newlines and tabs become spaces), for titles and
/// notifications the terminal shows outside the screen.
fn one_line(text: &str) -> String {
    let clean = crate::sanitize::sanitize(text);
    clean
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Sessions that need the user, not counting the one on screen: a permission request waits,
/// or a turn ended (or the session failed) while it was not shown.
pub fn need_count(state: &AppState) -> usize {
    state
        .sessions
        .iter()
        .filter(|s| state.active.as_deref() != Some(s.id.as_str()))
        .filter(|s| s.unseen || (s.status == SessionStatus::NeedsPermission && s.attached))
        .count()
}

/// The terminal's title: "praxis — <title> (<short id>) · <status>", or "praxis" when no
/// session is shown; no control characters.
pub fn terminal_title(state: &AppState) -> String {
    let Some(s) = state.active_session() else {
        return match need_count(state) {
            0 => "praxis".to_string(),
            n => format!("praxis · {n} need you"),
        };
    };
    let name = s.title.as_deref().unwrap_or(&s.agent);
    let name = super::lifecycle::cut(name, 60);
    one_line(&format!(
        "praxis — {name} ({}) · {}",
        short_id(&s.id),
        s.status
    ))
}
