//! Drawing: a pure function of the app state into a frame, plus render caches (entry layouts
//! by revision and width, markdown blocks, highlighted code). Nothing here changes the state
//! or performs I/O.

mod chat_cache;
pub mod chat_pane;
pub mod completion_popup;
pub mod detail;
pub mod diff_view;
pub mod fleet;
pub mod fleet_cols;
pub mod grown;
pub mod heights;
pub mod highlight;
pub mod input_view;
pub mod markdown;
pub mod md_stream;
pub mod role_block;
pub mod status_bar;
pub mod text_wrap;
pub mod theme;
pub mod theme_view;
pub mod tool_summary;
mod tool_view;
pub mod windows;
pub mod wrap;

use crate::state::{command, AppState, Context, Overlay};
use highlight::Highlighter;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};
use ratatui::Frame;
use std::collections::HashMap;
use theme::Theme;
use theme_view::ThemeView;

/// Render caches that survive between frames.
pub struct UiCache {
    pub theme: ThemeView,
    chats: HashMap<String, chat_pane::ChatCache>,
    /// The last frame left layout work for the next ones (after a resize, a theme switch or
    /// a toggle, entries off screen are laid out a budget per frame): draw again.
    pub pending: bool,
    /// The width the prompt was wrapped at in the last frame (Up/Down move by its rows).
    pub input_width: u16,
}

impl UiCache {
    pub fn new(theme: Theme, highlighter: Highlighter) -> UiCache {
        UiCache {
            theme: ThemeView::new(theme, highlighter),
            chats: HashMap::new(),
            pending: false,
            input_width: 0,
        }
    }

    /// How many times the chat panes looked at a transcript entry, over all sessions.
    #[cfg(test)]
    fn looked(&self) -> u64 {
        self.chats.values().map(|c| c.looked).sum()
    }

    /// How many transcript entries hold laid-out lines, over all sessions.
    pub fn laid_out(&self) -> usize {
        self.chats
            .values()
            .map(chat_pane::ChatCache::laid_out)
            .sum()
    }
}

/// The input box's most rows, its borders included: past it, the prompt scrolls.
const INPUT_MAX_H: u16 = 10;

/// Draws the whole screen; returns the chat pane's (total lines, height) for scrolling.
pub fn draw(f: &mut Frame<'_>, state: &AppState, cache: &mut UiCache) -> (usize, usize) {
    let area = f.area();
    let buf = f.buffer_mut();
    draw_into(buf, area, state, cache)
}

/// [`draw`] on a bare buffer (tests and benchmarks).
pub fn draw_into(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    state: &AppState,
    cache: &mut UiCache,
) -> (usize, usize) {
    let t = &cache.theme;
    let base = t.style("ui");
    if base != ratatui::style::Style::default() {
        buf.set_style(area, base);
    }
    let mut layout = (0, 0);
    cache.pending = false;
    if area.height == 0 || area.width == 0 {
        return layout;
    }
    let input_h = state
        .active_session()
        .map(|s| (input_view::height(&s.input, area.width as usize) as u16 + 2).min(INPUT_MAX_H))
        .unwrap_or(0)
        .min(area.height.saturating_sub(2));
    let [chat_area, input_area, status_area] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(input_h),
        Constraint::Length(1),
    ])
    .areas(area);

    // Drop caches of sessions that are gone.
    cache
        .chats
        .retain(|id, _| state.sessions.iter().any(|s| s.id == *id));
    if let Some(session) = state.active_session() {
        let chat = cache.chats.entry(session.id.clone()).or_default();
        let total = chat_pane::draw(
            buf,
            chat_area,
            session,
            chat,
            &cache.theme,
            &role_block::Show {
                thoughts: state.show_thoughts,
                tools: state.show_tool_output,
                raw_input: state.show_tool_input,
                permission_hint: &permission_hint(state),
                cwd: &session.cwd,
            },
        );
        layout = (total, chat_area.height as usize);
        cache.pending = chat.pending;
        if session.new_output_below() {
            new_output_marker(buf, chat_area, state, &cache.theme);
        }
        // Nothing said yet (notices aside: the YOLO warning, a config problem).
        let entries = &session.transcript.entries;
        if entries.len() <= 4
            && entries
                .iter()
                .all(|e| matches!(e.kind, crate::state::transcript::EntryKind::Notice { .. }))
        {
            first_screen(buf, chat_area, state, session, &cache.theme);
        }
        if input_area.height > 0 {
            let t = &cache.theme;
            let cancel =
                command::first_key(&state.keymap, Context::Chat, "session.cancel_or_close");
            let busy = working(session, state.now_ms, input_area.width, cancel);
            let block = Block::default()
                .borders(Borders::TOP | Borders::BOTTOM)
                .border_style(t.style("ui.border.focused"))
                .title(Span::styled(
                    format!(" {} ", session.agent),
                    t.style("ui.title"),
                ))
                .title(
                    Line::from(Span::styled(busy, t.style("ui.statusline.status"))).right_aligned(),
                );
            let inner = block.inner(input_area);
            block.render(input_area, buf);
            buf.set_style(inner, t.style("ui.input"));
            let placeholder = command::key_hints(
                &state.keymap,
                Context::Chat,
                &[
                    ("chat.send", "sends"),
                    ("chat.newline", "newline"),
                    ("app.help", "help"),
                ],
            );
            let placeholder = match placeholder.is_empty() {
                _ if state.context() == Context::Permission => {
                    format!("Permission asked above: {}", permission_hint(state))
                }
                true => "Type a prompt".to_string(),
                false => format!("Type a prompt · {placeholder}"),
            };
            input_view::render(&session.input, &placeholder, inner, buf);
            cache.input_width = inner.width;
        }
    }
    if let (Some(c), Some(_)) = (&state.completion, state.active_session()) {
        if state.overlays.is_empty() {
            completion_popup::draw(buf, chat_area, c, &cache.theme);
        }
    }
    status_bar::draw(buf, status_area, state, &cache.theme);

    let t = &cache.theme;
    let over = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    if state.active_session().is_none() && !state.overlays.contains(&Overlay::Nodes) {
        windows::nodes(buf, over, state, t);
    }
    for o in &state.overlays {
        match o {
            Overlay::Nodes => windows::nodes(buf, over, state, t),
            Overlay::Sessions => fleet::draw(buf, over, state, t),
            Overlay::Detail(id) => detail::draw(buf, over, state, id, t),
            Overlay::Form(form) => windows::form(buf, over, form, &state.keymap, t),
            Overlay::Help => windows::help(buf, over, state, t),
        }
    }
    if state.confirm_quit {
        windows::confirm_quit(buf, over, state, t);
    }
    layout
}
#[cfg(test)]
mod fleet_tests;
#[cfg(test)]
mod relayout_tests;
#[cfg(test)]
mod tests;

/// What an empty chat shows: where you are (agent, node, directory, YOLO) and three keys.
fn first_screen(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    state: &AppState,
    session: &crate::state::SessionView,
    t: &ThemeView,
) {
    let node = state
        .nodes
        .get(session.node)
        .map_or("?", |n| n.name.as_str());
    let yolo = if session.yolo {
        "YOLO on: permission requests are approved"
    } else {
        "YOLO off: the agent asks before it acts"
    };
    let keys = command::key_hints(
        &state.keymap,
        Context::Chat,
        &[
            ("chat.send", "sends a prompt"),
            ("nodes.toggle", "nodes and agents"),
            ("app.help", "every key"),
        ],
    );
    let lines = [
        Line::from(vec![
            Span::styled(session.agent.clone(), t.style("ui.title")),
            Span::styled(format!(" on {node}"), t.style("ui.text")),
        ]),
        Line::from(Span::styled(session.cwd.clone(), t.style("ui.text"))),
        Line::from(Span::styled(yolo, t.style("ui.dim"))),
        Line::default(),
        Line::from(Span::styled(keys, t.style("ui.dim"))),
    ];
    let top = area.y + area.height.saturating_sub(lines.len() as u16) / 2;
    for (i, line) in lines.iter().enumerate() {
        let y = top + i as u16;
        if y >= area.y + area.height {
            break;
        }
        let w = (line.width() as u16).min(area.width);
        buf.set_line(area.x + (area.width - w) / 2, y, line, w);
    }
}

/// The sign, on the chat pane's last row, that output arrived below while the user reads
/// above, with the key that jumps back and follows again.
fn new_output_marker(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    state: &AppState,
    t: &ThemeView,
) {
    let key = command::first_key(&state.keymap, Context::Chat, "scroll.bottom")
        .unwrap_or_else(|| "End".to_string());
    let text = format!(" ↓ new output below · {key} follows ");
    let w = (unicode_width::UnicodeWidthStr::width(text.as_str()) as u16).min(area.width);
    if area.height == 0 || w == 0 {
        return;
    }
    let x = area.x + area.width - w;
    let y = area.y + area.height - 1;
    buf.set_stringn(x, y, &text, w as usize, t.style("ui.statusline.attention"));
}

/// The working indicator of the input box while a turn runs: a spinner that moves with the
/// clock, the seconds since the turn started, and the key that cancels it (when it fits).
fn working(
    session: &crate::state::SessionView,
    now_ms: u64,
    width: u16,
    cancel: Option<String>,
) -> String {
    if !session.prompt_in_flight && !session.turn_open {
        return String::new();
    }
    const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];
    let queued = match session.queued.len() {
        0 => String::new(),
        n => format!(" · {n} queued"),
    };
    let spin = SPINNER[(now_ms / 500 % 4) as usize];
    // About four bytes of English to a token: an estimate, said so, until the agent counts.
    let tokens = match session.turn_text_bytes / 4 {
        0 => String::new(),
        n => format!(" · ~{} tokens", fleet_cols::si(n)),
    };
    let secs = now_ms.saturating_sub(session.turn_started_ms) / 1000;
    let elapsed = match secs {
        _ if session.turn_started_ms == 0 => String::new(),
        s if s < 60 => format!(" {s}s"),
        s => format!(" {}m {:02}s", s / 60, s % 60),
    };
    match cancel {
        Some(k) if width >= 60 => {
            format!(" {spin} working{elapsed}{tokens}{queued} · {k} cancels ")
        }
        Some(k) if width >= 40 => format!(" {spin} working{elapsed}{queued} · {k} cancels "),
        _ => format!(" {spin} working{elapsed}{queued} "),
    }
}

/// How to answer a permission request, with the keys the keymap binds.
fn permission_hint(state: &AppState) -> String {
    let key = |cmd| command::first_key(&state.keymap, Context::Permission, cmd);
    let mut parts = Vec::new();
    let choose = key("permission.choose");
    let moves =
        matches!((key("nav.up"), key("nav.down")), (Some(u), Some(d)) if u == "Up" && d == "Down");
    match (&choose, moves) {
        (Some(c), true) if c == "Enter" => parts.push("1-9 or ↑↓ + Enter to choose".to_string()),
        (Some(c), _) => parts.push(format!("1-9 or {c} to choose")),
        (None, _) => parts.push("1-9 to choose".to_string()),
    }
    if let Some(r) = key("permission.reject") {
        parts.push(format!("{r} rejects"));
    }
    parts.join(" · ")
}
