//! What commands do to the state, shared by the executor and the key handlers: overlays,
//! scrolling and selection, the new-session form, sending a prompt, cancelling and closing
//! sessions, YOLO, permission answers, and key hints read from the keymap.

use super::command::Context;
use super::effect::Effect;
use super::execute::SlashOutcome;
use super::session::Scroll;
use super::transcript::Level;
use super::{AppState, NewSessionForm, Overlay, Scope, CLOSE_GUARD_MS, FORM_FIELDS};
use crate::node_api::{PermissionAnswer, SessionOptions};
use std::path::PathBuf;

/// The label of the first key bound to `command` in `ctx` (or globally), for messages and
/// hints: "Ctrl+W". `fallback` when no key runs it.
pub(super) fn key_hint(state: &AppState, ctx: Context, command: &str, fallback: &str) -> String {
    super::command::first_key(&state.keymap, ctx, command).unwrap_or_else(|| fallback.to_string())
}

/// Rejects the pending permission request: its first reject option, else cancelled.
pub(super) fn reject_permission(state: &mut AppState, fx: &mut Vec<Effect>) {
    let idx = state.active_session().and_then(|s| {
        s.transcript
            .entries
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                super::transcript::EntryKind::Agent(t) => {
                    t.items.iter().rev().find_map(|i| match i {
                        super::transcript::Item::Permission(p) if p.answered.is_none() => {
                            p.options.iter().position(|o| o.kind.starts_with("reject"))
                        }
                        _ => None,
                    })
                }
                _ => None,
            })
    });
    answer_permission(state, Some(idx.unwrap_or(usize::MAX)), fx);
}

pub(super) fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

pub(super) fn toggle(state: &mut AppState, which: Overlay) {
    if let Some(pos) = state.overlays.iter().position(|o| *o == which) {
        state.overlays.truncate(pos);
    } else {
        if which == Overlay::Sessions {
            super::fleet::on_open(state);
        }
        state.overlays.push(which);
    }
}

pub(super) fn page(state: &AppState) -> usize {
    state.layout.1.saturating_sub(2).max(1)
}

pub(super) fn scroll_by(state: &mut AppState, delta: i64) {
    let (total, height) = state.layout;
    let Some(s) = state.active_session_mut() else {
        return;
    };
    let bottom_top = total.saturating_sub(height);
    let current = match s.scroll {
        Scroll::Follow => bottom_top,
        Scroll::Top(t) => t.min(bottom_top),
    };
    let next = (current as i64 + delta).clamp(0, bottom_top as i64) as usize;
    s.scroll_to(if next >= bottom_top {
        Scroll::Follow
    } else {
        Scroll::Top(next)
    });
}

pub(super) fn navigate(state: &mut AppState, delta: i64) {
    let step = |sel: usize, len: usize| -> usize {
        if len == 0 {
            0
        } else {
            (sel as i64 + delta).rem_euclid(len as i64) as usize
        }
    };
    match state.context() {
        Context::Nodes => state.nodes_sel = step(state.nodes_sel, state.agent_rows().len()),
        Context::Sessions => super::fleet::move_selection(state, super::fleet::Move::By(delta)),
        Context::Form => {
            if let Some(f) = state.form_mut() {
                f.field = step(f.field, FORM_FIELDS);
            }
        }
        Context::Permission => {
            if let Some(s) = state.active_session_mut() {
                s.transcript
                    .with_pending(|p| p.selected = step(p.selected, p.options.len()));
            }
        }
        _ => {}
    }
}

pub(super) fn open_form(state: &mut AppState) {
    let Some((node, agent)) = state.agent_rows().get(state.nodes_sel).cloned() else {
        return;
    };
    if !state.nodes[node].connected {
        state.say(
            Level::Error,
            format!("Node {} is not connected", state.nodes[node].name),
        );
        return;
    }
    state.overlays.push(Overlay::Form(NewSessionForm {
        node,
        agent,
        yolo: false,
        cwd: state.default_cwd.clone(),
        timeout_secs: state.default_timeout_secs.to_string(),
        field: 0,
        pending: false,
        error: None,
    }));
}

pub(super) fn submit_form(state: &mut AppState, fx: &mut Vec<Effect>) {
    let now = state.now_ms;
    let Some(f) = state.form_mut() else { return };
    if f.pending {
        return;
    }
    let timeout = match f.timeout_secs.trim().parse::<u64>() {
        Ok(t) if t > 0 => t,
        _ => {
            f.error = Some("The prompt timeout must be a whole number of seconds".into());
            return;
        }
    };
    if f.cwd.trim().is_empty() {
        f.error = Some("Choose a working directory".into());
        return;
    }
    f.pending = true;
    f.error = None;
    let options = SessionOptions {
        agent: f.agent.clone(),
        cwd: PathBuf::from(f.cwd.trim()),
        yolo: f.yolo,
        prompt_timeout_secs: Some(timeout),
    };
    let node = f.node;
    state.starting.push((options.agent.clone(), now));
    fx.push(Effect::NewSession { node, options });
}

pub(super) fn send(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(s) = state.active_session() else {
        return;
    };
    let mut text = s.input_text();
    let id = s.id.clone();
    if text.trim().is_empty() {
        return;
    }
    // `//name …` is sent as `/name …`: the agent's command, even where a built-in has its name.
    let escaped = text.starts_with("//");
    if escaped {
        text.remove(0);
    }
    // An ended session takes the client's own slash commands (`/session resume`, ...), not
    // prompts.
    let ended = (!s.status.is_live()).then(|| {
        let why = s.reason.clone().unwrap_or_else(|| s.status.to_string());
        let hint = key_hint(state, Context::Chat, "nodes.toggle", "/new");
        let short = super::session::short_id(&id);
        format!(
            "This session has ended ({why}); /session resume {short} reopens it, {hint} opens a new one"
        )
    });
    if let Some(msg) = &ended {
        if escaped || !text.starts_with('/') {
            state.say_in(Scope::Session(id), Level::Error, msg.clone());
            return;
        }
    }
    state.completion = None;
    if !escaped && text.starts_with('/') {
        match super::execute::run_slash(state, &text, fx) {
            SlashOutcome::Refused => return,
            SlashOutcome::Done => {
                remember(state, &text, fx);
                if let Some(s) = state.session_mut(&id) {
                    s.clear_input();
                    s.history_pos = None;
                }
                return;
            }
            SlashOutcome::SendToAgent => {
                if let Some(msg) = ended {
                    state.say_in(Scope::Session(id), Level::Error, msg);
                    return;
                }
            }
        }
    }
    let Some(s) = state.session_mut(&id) else {
        return;
    };
    if s.prompt_in_flight {
        // Queued, sent when the turn ends.
        s.queued.push_back(text.clone());
        s.clear_input();
        s.history_pos = None;
        let n = s.queued.len();
        remember(state, &text, fx);
        state.say_in(
            Scope::Turn(id),
            Level::Info,
            format!(
                "Queued ({n}): sent when the agent is done; Up on an empty prompt takes it back"
            ),
        );
        return;
    }
    dispatch(state, &id, text, fx);
}

/// Sends `text` to session `id` as a new turn (it is idle).
pub(super) fn dispatch(state: &mut AppState, id: &str, text: String, fx: &mut Vec<Effect>) {
    let Some(s) = state.session_mut(id) else {
        return;
    };
    let id = id.to_string();
    s.transcript.push_user(&text);
    let agent = s.agent.clone();
    s.transcript.start_turn(&agent);
    s.prompt_in_flight = true;
    super::updates::prompt_title(s, &text);
    s.clear_input();
    s.history_pos = None;
    s.scroll = Scroll::Follow;
    let node = s.node;
    super::attention::turn_started(state, &id);
    state.end_turn_messages(&id);
    remember(state, &text, fx);
    state.close_armed = None;
    fx.push(Effect::Prompt {
        node,
        session: id,
        text,
    });
}

/// Adds a prompt to the history (deduplicated, bounded) and persists it.
pub(super) fn remember(state: &mut AppState, text: &str, fx: &mut Vec<Effect>) {
    state.history.retain(|h| h != text);
    state.history.push(text.to_string());
    let excess = state.history.len().saturating_sub(super::HISTORY_LIMIT);
    state.history.drain(..excess);
    fx.push(Effect::AppendHistory(text.to_string()));
}

pub(super) fn cancel_or_close(state: &mut AppState, fx: &mut Vec<Effect>) {
    let now = state.now_ms;
    let Some(s) = state.active_session() else {
        return;
    };
    // A draft is cleared first (kept in the history: ↑ brings it back).
    let draft = s.input_text();
    if !draft.trim().is_empty() {
        remember(state, &draft, fx);
        if let Some(s) = state.active_session_mut() {
            s.clear_input();
            s.history_pos = None;
        }
        state.close_armed = None;
        state.say_here(Level::Info, "Draft cleared (↑ brings it back)");
        return;
    }
    let (id, node) = (s.id.clone(), s.node);
    if s.prompt_in_flight {
        fx.push(Effect::Cancel {
            node,
            session: id.clone(),
        });
        state.say_in(Scope::Turn(id), Level::Info, "Cancelling…");
        return;
    }
    match &state.close_armed {
        Some((armed, at)) if *armed == id && now.saturating_sub(*at) <= CLOSE_GUARD_MS => {
            state.close_armed = None;
            super::open::close(state, &id, fx);
        }
        _ => {
            state.close_armed = Some((id.clone(), now));
            let close = key_hint(state, Context::Chat, "session.cancel_or_close", "/stop");
            let pause = key_hint(state, Context::Chat, "session.pause", "/detach");
            state.say_in(
                Scope::Session(id),
                Level::Warning,
                format!("Press {close} again to close this session ({pause} pauses it instead)"),
            );
        }
    }
}

pub(super) fn toggle_yolo(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(s) = state.active_session_mut() else {
        return;
    };
    s.yolo = !s.yolo;
    let (on, node, id) = (s.yolo, s.node, s.id.clone());
    fx.push(Effect::SetYolo {
        node,
        session: id,
        on,
    });
    let msg = if on {
        "YOLO on: this session's permission requests are approved automatically"
    } else {
        "YOLO off: permission requests will ask you"
    };
    state.say(if on { Level::Warning } else { Level::Info }, msg);
}

/// Answers the pending permission request with option `idx` (None: the highlighted one;
/// out of range: cancelled).
pub(super) fn answer_permission(state: &mut AppState, idx: Option<usize>, fx: &mut Vec<Effect>) {
    let Some(s) = state.active_session_mut() else {
        return;
    };
    let node = s.node;
    let answered = s.transcript.with_pending(|p| {
        let idx = idx.unwrap_or(p.selected);
        let answer = match p.options.get(idx) {
            Some(o) => {
                p.answered = Some(o.name.clone());
                PermissionAnswer::Selected(o.id.clone())
            }
            None if idx == usize::MAX => {
                p.answered = Some("rejected".into());
                PermissionAnswer::Cancelled
            }
            None => return None,
        };
        Some((p.request.clone(), answer))
    });
    let Some(Some((request, answer))) = answered else {
        return;
    };
    fx.push(Effect::AnswerPermission {
        node,
        request,
        answer,
    });
}
