//! Keys, paste and mouse: the keymap names a command for the current context; unbound keys go
//! to the text being edited (the prompt input, a form field) or choose a permission option.

use super::effect::Effect;
use super::session::Scroll;
use super::transcript::Level;
use super::{AppState, NewSessionForm, Overlay, CLOSE_GUARD_MS, FORM_FIELDS};
use crate::key::{Key, KeyCode, Modifiers, Mouse};
use crate::node_api::{PermissionAnswer, SessionOptions};
use std::path::PathBuf;

pub(super) fn on_key(state: &mut AppState, key: Key, fx: &mut Vec<Effect>) {
    if state.completion.is_some() && state.context() == "chat" && popup_key(state, key) {
        return;
    }
    let ctx = state.context();
    // Text fields of the form take typed characters (space included) before the keymap.
    let typing = matches!(key.code, KeyCode::Char(_) | KeyCode::Backspace)
        && !key
            .modifiers
            .intersects(Modifiers::CONTROL | Modifiers::ALT);
    if ctx == "form" && typing && state.form_mut().is_some_and(|f| matches!(f.field, 1 | 2)) {
        form_input(state, key);
        return;
    }
    let command = state.keymap.command(ctx, &key).map(str::to_owned);
    match command {
        Some(cmd) => run(state, &cmd, fx),
        None => unbound(state, ctx, key, fx),
    }
}

pub(super) fn on_paste(state: &mut AppState, text: &str) {
    // Pasted text is inserted as is: newlines never send.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if let Some(form) = state.form_mut() {
        if form.field == 1 {
            form.cwd.push_str(text.trim_end_matches('\n'));
        }
        return;
    }
    if state.context() == "chat" {
        if let Some(s) = state.active_session_mut() {
            s.input.insert_str(&text);
        }
    }
}

pub(super) fn on_mouse(state: &mut AppState, m: Mouse) {
    match m {
        Mouse::ScrollUp => scroll_by(state, -3),
        Mouse::ScrollDown => scroll_by(state, 3),
    }
}

fn unbound(state: &mut AppState, ctx: &str, key: Key, fx: &mut Vec<Effect>) {
    match ctx {
        "chat" => chat_input(state, key),
        "form" => form_input(state, key),
        "help" => {
            state.help_scroll = match key.code {
                KeyCode::Up | KeyCode::Char('k') => state.help_scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => state.help_scroll + 1,
                KeyCode::PageUp => state.help_scroll.saturating_sub(10),
                KeyCode::PageDown | KeyCode::Char(' ') => state.help_scroll + 10,
                KeyCode::Home => 0,
                _ => state.help_scroll,
            };
        }
        "permission" => {
            if let KeyCode::Char(c @ '1'..='9') = key.code {
                let idx = c as usize - '1' as usize;
                answer_permission(state, Some(idx), fx);
            }
        }
        _ => {}
    }
}

fn chat_input(state: &mut AppState, key: Key) {
    let history = state.history.clone();
    let Some(s) = state.active_session_mut() else {
        return;
    };
    let (row, _) = s.input.cursor();
    let last_row = s.input.lines().len().saturating_sub(1);
    let plain = key.modifiers == Modifiers::NONE;
    match key.code {
        KeyCode::Up if plain && row == 0 && !history.is_empty() => {
            let pos = match s.history_pos {
                None => history.len() - 1,
                Some(p) => p.saturating_sub(1),
            };
            s.history_pos = Some(pos);
            s.set_input(&history[pos]);
        }
        KeyCode::Down if plain && row == last_row && s.history_pos.is_some() => {
            let next = s.history_pos.map(|p| p + 1).unwrap_or(0);
            if next < history.len() {
                s.history_pos = Some(next);
                s.set_input(&history[next]);
            } else {
                s.history_pos = None;
                s.clear_input();
            }
        }
        _ => {
            s.edit(key);
            refilter(state);
        }
    }
}

fn form_input(state: &mut AppState, key: Key) {
    let Some(form) = state.form_mut() else { return };
    let field = match form.field {
        1 => &mut form.cwd,
        2 => &mut form.timeout_secs,
        _ => return,
    };
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(Modifiers::CONTROL | Modifiers::ALT) =>
        {
            if form.field == 2 && !c.is_ascii_digit() {
                return;
            }
            field.push(c);
        }
        KeyCode::Backspace => {
            field.pop();
        }
        _ => {}
    }
}

fn run(state: &mut AppState, cmd: &str, fx: &mut Vec<Effect>) {
    match cmd {
        "app.quit" => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        "app.help" => {
            if state.overlays.last() != Some(&Overlay::Help) {
                state.help_scroll = 0;
                state.overlays.push(Overlay::Help);
            }
        }
        "nodes.toggle" => toggle(state, Overlay::Nodes),
        "sessions.toggle" => toggle(state, Overlay::Sessions),
        "window.close" => {
            state.overlays.pop();
        }
        "chat.send" => send(state, fx),
        "chat.newline" => {
            if let Some(s) = state.active_session_mut() {
                s.input.insert_newline();
            }
        }
        "session.cancel_or_close" => cancel_or_close(state, fx),
        "session.pause" => {
            if let Some(s) = state.active.take() {
                state.say(
                    Level::Info,
                    format!(
                        "Paused {} — it keeps running; Ctrl+W lists sessions",
                        short(&s)
                    ),
                );
            }
        }
        "transcript.save" => {
            if let Some(id) = state.active.clone() {
                fx.push(Effect::SaveTranscript {
                    session: id,
                    path: None,
                });
            }
        }
        "copy.answer" | "copy.code" => {
            let text = state.active_session().and_then(|s| {
                if cmd == "copy.answer" {
                    s.transcript.last_answer()
                } else {
                    s.transcript.last_code_block()
                }
            });
            match text {
                Some(t) => fx.push(Effect::Copy(t)),
                None => state.say(Level::Warning, "Nothing to copy yet"),
            }
        }
        "yolo.toggle" => toggle_yolo(state, fx),
        "thoughts.toggle" => state.show_thoughts = !state.show_thoughts,
        "tools.toggle" => state.show_tool_output = !state.show_tool_output,
        "scroll.page_up" => scroll_by(state, -(page(state) as i64)),
        "scroll.page_down" => scroll_by(state, page(state) as i64),
        "scroll.top" => {
            if let Some(s) = state.active_session_mut() {
                s.scroll = Scroll::Top(0);
            }
        }
        "scroll.bottom" => {
            if let Some(s) = state.active_session_mut() {
                s.scroll = Scroll::Follow;
            }
        }
        "complete" => open_popup(state, false),
        "history.search" => open_popup(state, true),
        "nav.up" | "nav.down" => navigate(state, if cmd == "nav.up" { -1 } else { 1 }),
        "nodes.new_session" => open_form(state),
        "sessions.resume" => {
            if let Some(id) = selected_session(state) {
                state.active = Some(id);
                state.overlays.clear();
            }
        }
        "sessions.discard" => {
            if let Some(id) = selected_session(state) {
                close_session(state, &id, fx);
            }
        }
        "form.toggle" => {
            if let Some(f) = state.form_mut() {
                if f.field == 0 {
                    f.yolo = !f.yolo;
                }
            }
        }
        "form.submit" => submit_form(state, fx),
        "permission.choose" => answer_permission(state, None, fx),
        "permission.reject" => {
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
            match idx {
                Some(i) => answer_permission(state, Some(i), fx),
                None => answer_permission(state, Some(usize::MAX), fx),
            }
        }
        other => tracing::debug!(command = other, "command has no handler here"),
    }
}

/// The session highlighted in the Active Sessions overlay.
fn selected_session(state: &AppState) -> Option<String> {
    state
        .live_sessions()
        .get(state.sessions_sel)
        .map(|s| s.id.clone())
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

fn toggle(state: &mut AppState, which: Overlay) {
    if let Some(pos) = state.overlays.iter().position(|o| *o == which) {
        state.overlays.truncate(pos);
    } else {
        if which == Overlay::Sessions {
            state.sessions_sel = 0;
        }
        state.overlays.push(which);
    }
}

fn page(state: &AppState) -> usize {
    state.layout.1.saturating_sub(2).max(1)
}

fn scroll_by(state: &mut AppState, delta: i64) {
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
    s.scroll = if next >= bottom_top {
        Scroll::Follow
    } else {
        Scroll::Top(next)
    };
}

fn navigate(state: &mut AppState, delta: i64) {
    let step = |sel: usize, len: usize| -> usize {
        if len == 0 {
            0
        } else {
            (sel as i64 + delta).rem_euclid(len as i64) as usize
        }
    };
    match state.context() {
        "nodes" => state.nodes_sel = step(state.nodes_sel, state.agent_rows().len()),
        "sessions" => state.sessions_sel = step(state.sessions_sel, state.live_sessions().len()),
        "form" => {
            if let Some(f) = state.form_mut() {
                f.field = step(f.field, FORM_FIELDS);
            }
        }
        "permission" => {
            if let Some(s) = state.active_session_mut() {
                if let Some((p, rev)) = s.transcript.pending_permission() {
                    p.selected = step(p.selected, p.options.len());
                    *rev += 1;
                }
            }
        }
        _ => {}
    }
}

fn open_form(state: &mut AppState) {
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

fn submit_form(state: &mut AppState, fx: &mut Vec<Effect>) {
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

fn send(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(s) = state.active_session() else {
        return;
    };
    let text = s.input_text();
    let id = s.id.clone();
    if text.trim().is_empty() {
        return;
    }
    if !s.status.is_live() {
        let why = s.reason.clone().unwrap_or_else(|| s.status.to_string());
        state.say(
            Level::Error,
            format!("This session has ended ({why}); open a new one with Ctrl+L"),
        );
        return;
    }
    state.completion = None;
    if text.starts_with('/') {
        match super::commands_exec::run(state, &text, fx) {
            super::commands_exec::Outcome::Refused => return,
            super::commands_exec::Outcome::Done => {
                remember(state, &text, fx);
                if let Some(s) = state.session_mut(&id) {
                    s.clear_input();
                    s.history_pos = None;
                }
                return;
            }
            super::commands_exec::Outcome::SendToAgent => {}
        }
    }
    let Some(s) = state.session_mut(&id) else {
        return;
    };
    if s.prompt_in_flight {
        state.say(
            Level::Warning,
            "The agent is still working; Ctrl+C cancels it",
        );
        return;
    }
    s.transcript.push_user(&text);
    let agent = s.agent.clone();
    s.transcript.start_turn(&agent);
    s.prompt_in_flight = true;
    s.clear_input();
    s.history_pos = None;
    s.scroll = Scroll::Follow;
    let node = s.node;
    remember(state, &text, fx);
    state.close_armed = None;
    fx.push(Effect::Prompt {
        node,
        session: id,
        text,
    });
}

/// Adds a prompt to the history (deduplicated, bounded) and persists it.
fn remember(state: &mut AppState, text: &str, fx: &mut Vec<Effect>) {
    state.history.retain(|h| h != text);
    state.history.push(text.to_string());
    let excess = state.history.len().saturating_sub(super::HISTORY_LIMIT);
    state.history.drain(..excess);
    fx.push(Effect::AppendHistory(text.to_string()));
}

/// Candidates for the open popup: slash completion or history search.
fn current_candidates(state: &AppState) -> Option<(Vec<super::slash::Candidate>, bool)> {
    let s = state.active_session()?;
    let text = s.input_text();
    if state.completion.as_ref().is_some_and(|c| c.history) {
        return Some((super::slash::history_matches(&state.history, &text), true));
    }
    let sessions: Vec<(String, String)> = state
        .live_sessions()
        .iter()
        .map(|s| (s.id.clone(), s.agent.clone()))
        .collect();
    let cx = super::slash::Context {
        agent_commands: &s.commands,
        sessions: &sessions,
        themes: &state.themes,
        modes: &s.modes,
    };
    Some((super::slash::candidates(&text, &cx), false))
}

/// Opens the popup: slash completion (Tab) or history search (Ctrl+R).
fn open_popup(state: &mut AppState, history: bool) {
    let Some(text) = state.active_session().map(|s| s.input_text()) else {
        return;
    };
    if !history && !text.starts_with('/') {
        state.say(Level::Info, "Tab completes commands: start with /");
        return;
    }
    state.completion = Some(super::slash::Completion {
        items: Vec::new(),
        selected: 0,
        history,
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

/// Re-filters the open popup for the current buffer (strict prefix); closes it when nothing
/// matches.
fn refilter(state: &mut AppState) {
    if state.completion.is_none() {
        return;
    }
    state.completion = match current_candidates(state) {
        Some((items, history)) if !items.is_empty() => Some(super::slash::Completion {
            items,
            selected: 0,
            history,
        }),
        _ => None,
    };
}

/// Keys the open popup owns; false for any other key (it then edits the input and the popup
/// re-filters).
fn popup_key(state: &mut AppState, key: Key) -> bool {
    let Some(c) = state.completion.as_mut() else {
        return false;
    };
    let n = c.items.len().max(1);
    match key.code {
        KeyCode::Tab | KeyCode::Down => c.selected = (c.selected + 1) % n,
        KeyCode::BackTab | KeyCode::Up => c.selected = (c.selected + n - 1) % n,
        KeyCode::Esc => state.completion = None,
        KeyCode::Enter if key.modifiers == Modifiers::NONE => {
            // Accepted into the buffer, never sent; routed roots keep a trailing space so a
            // second Tab completes the subcommand.
            let insert = c.items.get(c.selected).map(|i| i.insert.clone());
            state.completion = None;
            if let (Some(insert), Some(s)) = (insert, state.active_session_mut()) {
                s.set_input(&insert);
            }
        }
        _ => return false,
    }
    true
}

fn cancel_or_close(state: &mut AppState, fx: &mut Vec<Effect>) {
    let now = state.now_ms;
    let Some(s) = state.active_session() else {
        return;
    };
    let (id, node) = (s.id.clone(), s.node);
    if s.prompt_in_flight {
        fx.push(Effect::Cancel { node, session: id });
        state.say(Level::Info, "Cancelling…");
        return;
    }
    match &state.close_armed {
        Some((armed, at)) if *armed == id && now.saturating_sub(*at) <= CLOSE_GUARD_MS => {
            state.close_armed = None;
            close_session(state, &id, fx);
        }
        _ => {
            state.close_armed = Some((id, now));
            state.say(
                Level::Warning,
                "Press Ctrl+C again to close this session (Esc pauses it instead)",
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

pub(super) fn close_session(state: &mut AppState, id: &str, fx: &mut Vec<Effect>) {
    let Some(s) = state.session(id) else { return };
    let node = s.node;
    if s.prompt_in_flight {
        fx.push(Effect::Cancel {
            node,
            session: id.to_string(),
        });
    }
    fx.push(Effect::Close {
        node,
        session: id.to_string(),
    });
    state.sessions.retain(|s| s.id != id);
    if state.active.as_deref() == Some(id) {
        state.active = None;
    }
    let live = state.live_sessions().len();
    state.sessions_sel = state.sessions_sel.min(live.saturating_sub(1));
    state.say(Level::Info, format!("Closed session {}", short(id)));
}

/// Answers the pending permission request with option `idx` (None: the highlighted one;
/// out of range: cancelled).
fn answer_permission(state: &mut AppState, idx: Option<usize>, fx: &mut Vec<Effect>) {
    let Some(s) = state.active_session_mut() else {
        return;
    };
    let node = s.node;
    let Some((p, rev)) = s.transcript.pending_permission() else {
        return;
    };
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
        None => return,
    };
    *rev += 1;
    fx.push(Effect::AnswerPermission {
        node,
        request: p.request.clone(),
        answer,
    });
}
