//! Keys, paste and mouse: the keymap names a command for the current context; unbound keys go
//! to the text being edited (the prompt input, a form field, the Active Sessions filter) or
//! choose a permission option.

use super::command::{self, Context};
use super::completion::refilter;
use super::effect::Effect;
use super::ops::{answer_permission, scroll_by};
use super::AppState;
use crate::key::{Key, KeyCode, Modifiers, Mouse};

pub(super) fn on_key(state: &mut AppState, key: Key, fx: &mut Vec<Effect>) {
    if state.confirm_quit {
        confirm_quit(state, key, fx);
        return;
    }
    if state.completion.is_some() && state.context() == Context::Chat && popup_key(state, key) {
        return;
    }
    let ctx = state.context();
    // Text fields of the form take typed characters (space included) before the keymap.
    let typing = matches!(key.code, KeyCode::Char(_) | KeyCode::Backspace)
        && !key
            .modifiers
            .intersects(Modifiers::CONTROL | Modifiers::ALT);
    if ctx == Context::Form && typing && state.form_mut().is_some_and(|f| matches!(f.field, 1 | 2))
    {
        form_input(state, key);
        return;
    }
    let name = state.keymap.command(ctx.name(), &key).map(str::to_owned);
    match name.as_deref().map(|n| (n, command::by_name(n))) {
        Some((_, Some(spec))) => match (spec.parse)("") {
            Ok(cmd) => {
                super::execute::execute(state, cmd, fx);
            }
            Err(e) => state.say(super::transcript::Level::Error, e),
        },
        Some((n, None)) => tracing::debug!(command = n, "command has no handler"),
        None => unbound(state, ctx, key, fx),
    }
}

/// The quit confirmation takes every key: `y`, Enter (or Ctrl+Q again) quit; `n`, Esc stay.
fn confirm_quit(state: &mut AppState, key: Key, fx: &mut Vec<Effect>) {
    let ctrl = key.modifiers.contains(Modifiers::CONTROL);
    match key.code {
        KeyCode::Char('q') if ctrl => super::execute::quit(state, fx),
        KeyCode::Char('y' | 'Y') | KeyCode::Enter if !ctrl => super::execute::quit(state, fx),
        KeyCode::Char('n' | 'N') | KeyCode::Esc => state.confirm_quit = false,
        _ => {}
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
    if state.context() == Context::Sessions {
        // One line of it, into the filter.
        let line = text.lines().next().unwrap_or_default();
        state.fleet.query.push_str(&crate::sanitize::sanitize(line));
        return;
    }
    if state.context() == Context::Chat {
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

fn unbound(state: &mut AppState, ctx: Context, key: Key, fx: &mut Vec<Effect>) {
    match ctx {
        Context::Chat => chat_input(state, key),
        Context::Form => form_input(state, key),
        Context::Help => state.help_scroll = scrolled(state.help_scroll, key),
        Context::Detail => state.detail_scroll = scrolled(state.detail_scroll, key),
        Context::Sessions => {
            let plain = !key
                .modifiers
                .intersects(Modifiers::CONTROL | Modifiers::ALT);
            match key.code {
                KeyCode::Char(c) if plain => state.fleet.query.push(c),
                KeyCode::Backspace if plain => {
                    state.fleet.query.pop();
                }
                _ => {}
            }
        }
        Context::Permission => match key.code {
            KeyCode::Char(c @ '1'..='9') => {
                let idx = c as usize - '1' as usize;
                answer_permission(state, Some(idx), fx);
            }
            // Typing is not lost without a word: say what the keys do now.
            KeyCode::Char(_) | KeyCode::Backspace => {
                let reject = command::first_key(&state.keymap, ctx, "permission.reject")
                    .map(|k| format!("; {k} rejects"))
                    .unwrap_or_default();
                let text = format!("A permission request waits: 1-9 picks an option{reject}");
                state.say_here(super::transcript::Level::Warning, text);
            }
            _ => {}
        },
        _ => {}
    }
}

/// A text window's first line after a scrolling key (the drawing clamps it to the end).
fn scrolled(top: usize, key: Key) -> usize {
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => top.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => top + 1,
        KeyCode::PageUp => top.saturating_sub(10),
        KeyCode::PageDown | KeyCode::Char(' ') => top + 10,
        KeyCode::Home => 0,
        _ => top,
    }
}

fn chat_input(state: &mut AppState, key: Key) {
    if key.code == KeyCode::Up && key.modifiers == Modifiers::NONE && super::queue::take_back(state)
    {
        return;
    }
    let Some(s) = state.active_session() else {
        return;
    };
    // In a prompt wrapped over several rows, Up and Down move by the rows as drawn.
    if key.modifiers == Modifiers::NONE && matches!(key.code, KeyCode::Up | KeyCode::Down) {
        let up = key.code == KeyCode::Up;
        let w = state.input_width as usize;
        if let Some((line, col)) = super::input_wrap::vertical(&s.input, w, up) {
            if let Some(s) = state.active_session_mut() {
                s.input.move_to(line, col);
            }
            return;
        }
    }
    let (row, _) = s.input.cursor();
    let last_row = s.input.lines().len().saturating_sub(1);
    let at = s.history_pos;
    let plain = key.modifiers == Modifiers::NONE;
    let n = state.history.len();
    // Up on the first line and Down on the last walk the prompt history (Some(None): past
    // its end, back to an empty prompt).
    let recall = match key.code {
        KeyCode::Up if plain && row == 0 && n > 0 => Some(Some(match at {
            None => n - 1,
            Some(p) => p.saturating_sub(1),
        })),
        KeyCode::Down if plain && row == last_row && at.is_some() => {
            let next = at.map(|p| p + 1).unwrap_or(0);
            Some((next < n).then_some(next))
        }
        _ => None,
    };
    match recall {
        Some(pos) => {
            // Only the recalled prompt is copied, not the history.
            let text = pos.map(|p| state.history[p].clone());
            let Some(s) = state.active_session_mut() else {
                return;
            };
            if s.history_pos.is_none() {
                s.draft_before_recall = s.input_text();
            }
            s.history_pos = pos;
            match text {
                Some(t) => s.set_input(&t),
                None => {
                    let draft = std::mem::take(&mut s.draft_before_recall);
                    s.set_input(&draft);
                }
            }
        }
        None => {
            if let Some(s) = state.active_session_mut() {
                s.edit(key);
            }
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

/// Keys the open popup owns; false for any other key (it then edits the input and the popup
/// re-filters).
fn popup_key(state: &mut AppState, key: Key) -> bool {
    let Some(c) = state.completion.as_mut() else {
        return false;
    };
    let n = c.items.len().max(1);
    let plain = !key
        .modifiers
        .intersects(Modifiers::CONTROL | Modifiers::ALT);
    if c.history {
        // History search has its own query line: typing goes there, not into the prompt.
        match key.code {
            KeyCode::Char(ch) if plain => {
                c.query.push(ch);
                refilter(state);
                return true;
            }
            KeyCode::Backspace if plain => {
                c.query.pop();
                refilter(state);
                return true;
            }
            KeyCode::Char('r') if key.modifiers == Modifiers::CONTROL => {
                c.selected = (c.selected + 1) % n;
                return true;
            }
            _ => {}
        }
    }
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
