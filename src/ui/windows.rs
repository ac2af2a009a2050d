//! The windows above the chat pane: the Nodes window (nodes, their agents, new-session form)
//! and the help screen listing the active key bindings; the frame every window shares. The
//! Active Sessions overlay is `fleet.rs`, the session detail `detail.rs`.

use super::theme_view::ThemeView;
use crate::keymap::Keymap;
use crate::state::{command, AppState, Context, NewSessionForm};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

/// A centered rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clears `rect`, draws a titled border, returns the inner area.
pub(super) fn frame(buf: &mut Buffer, rect: Rect, title: &str, hint: &str, t: &ThemeView) -> Rect {
    Clear.render(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("ui.border.focused"))
        .title(Span::styled(format!(" {title} "), t.style("ui.title")))
        .title_bottom(Span::styled(format!(" {hint} "), t.style("ui.dim")))
        .style(t.style("ui.popup"));
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}

pub(super) fn put(buf: &mut Buffer, inner: Rect, row: usize, line: Line<'_>) {
    if row < inner.height as usize {
        buf.set_line(inner.x, inner.y + row as u16, &line, inner.width);
    }
}

pub fn nodes(buf: &mut Buffer, area: Rect, state: &AppState, t: &ThemeView) {
    let rect = centered(area, 64, 16);
    let inner = frame(
        buf,
        rect,
        "Nodes",
        &command::key_hints(
            &state.keymap,
            Context::Nodes,
            &[
                ("nodes.new_session", "new session"),
                ("sessions.toggle", "sessions"),
                ("window.close", "close"),
            ],
        ),
        t,
    );
    // Live sessions per (node, agent), counted once rather than once per agent row.
    let mut live_of: std::collections::HashMap<(usize, &str), usize> =
        std::collections::HashMap::new();
    for s in state.sessions.iter().filter(|s| s.status.is_live()) {
        *live_of.entry((s.node, s.agent.as_str())).or_default() += 1;
    }
    // Every row first, then the slice that keeps the selected agent in view.
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_row = 0;
    let mut agent_idx = 0;
    for (index, node) in state.nodes.iter().enumerate() {
        let (mark, scope, status) = if node.reconnecting {
            ("◌", "warning", "reconnecting".to_string())
        } else if node.connected {
            ("●", "info", "connected".to_string())
        } else if node.remote {
            let why = node.error.as_deref().unwrap_or_default();
            let why = why.strip_prefix("node offline").unwrap_or(why);
            let why = why.strip_prefix(':').unwrap_or(why).trim();
            let status = if why.is_empty() {
                "offline".to_string()
            } else {
                format!("offline: {why}")
            };
            ("○", "error", status)
        } else {
            let why = node.error.clone().unwrap_or_default();
            ("○", "error", format!("disconnected: {why}"))
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), t.style(scope)),
            Span::styled(node.name.clone(), t.style("ui.title")),
            Span::styled(format!("  {status}"), t.style("ui.dim")),
        ]));
        for agent in &node.agents {
            let selected = agent_idx == state.nodes_sel;
            if selected {
                selected_row = lines.len();
            }
            let scope = if selected {
                "ui.popup.selected"
            } else {
                "ui.text"
            };
            let live = live_of.get(&(index, agent.as_str())).copied().unwrap_or(0);
            let suffix = if live > 0 {
                format!("  ({live} live)")
            } else {
                String::new()
            };
            lines.push(Line::from(Span::styled(
                format!("{} {agent}{suffix}", if selected { "  ›" } else { "   " }),
                t.style(scope),
            )));
            agent_idx += 1;
        }
    }
    let height = inner.height as usize;
    let first = (selected_row + 1).saturating_sub(height);
    for (row, line) in lines.into_iter().skip(first).take(height).enumerate() {
        put(buf, inner, row, line);
    }
    let row = 0;
    if state.nodes.is_empty() {
        put(
            buf,
            inner,
            row,
            Line::from(Span::styled("connecting…", t.style("ui.dim"))),
        );
    }
}

pub fn form(buf: &mut Buffer, area: Rect, f: &NewSessionForm, keymap: &Keymap, t: &ThemeView) {
    let rect = centered(area, 64, 10);
    let inner = frame(
        buf,
        rect,
        &format!("New session · {}", f.agent),
        &command::key_hints(
            keymap,
            Context::Form,
            &[
                ("nav.down", "move"),
                ("form.toggle", "toggle"),
                ("form.submit", "start"),
                ("window.close", "cancel"),
            ],
        ),
        t,
    );
    let field = |i: usize, label: &str, value: String| {
        let scope = if f.field == i {
            "ui.popup.selected"
        } else {
            "ui.text"
        };
        Line::from(vec![
            Span::styled(format!("{:<20}", label), t.style("ui.dim")),
            Span::styled(value, t.style(scope)),
        ])
    };
    put(
        buf,
        inner,
        0,
        field(
            0,
            "YOLO (auto-approve)",
            if f.yolo {
                "[x] on".into()
            } else {
                "[ ] off".into()
            },
        ),
    );
    put(
        buf,
        inner,
        1,
        field(
            1,
            "Working directory",
            format!("{}{}", f.cwd, if f.field == 1 { "▏" } else { "" }),
        ),
    );
    put(
        buf,
        inner,
        2,
        field(
            2,
            "Prompt timeout (s)",
            format!("{}{}", f.timeout_secs, if f.field == 2 { "▏" } else { "" }),
        ),
    );
    put(buf, inner, 3, field(3, "", "[ Start ]".into()));
    if f.pending {
        put(
            buf,
            inner,
            5,
            Line::from(Span::styled("initializing…", t.style("info"))),
        );
    }
    if let Some(e) = &f.error {
        for (i, l) in super::text_wrap::wrap_plain(e, inner.width as usize)
            .into_iter()
            .enumerate()
        {
            put(
                buf,
                inner,
                5 + i,
                Line::from(Span::styled(l, t.style("error"))),
            );
        }
    }
}

pub fn help(buf: &mut Buffer, area: Rect, state: &AppState, t: &ThemeView) {
    let lines = help_lines(state, t);
    // As wide as the widest line, within the terminal; a line cut ends with `…`.
    let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
    let rect = centered(
        area,
        (widest + 3).max(44),
        area.height.saturating_sub(2).max(3),
    );
    let close = command::key_hints(&state.keymap, Context::Help, &[("window.close", "close")]);
    let inner = frame(
        buf,
        rect,
        "Keys",
        &format!("↑↓ PgUp PgDn scroll · Shift+drag selects text · {close}"),
        t,
    );
    let max_scroll = lines.len().saturating_sub(inner.height as usize);
    for (row, line) in lines
        .into_iter()
        .skip(state.help_scroll.min(max_scroll))
        .enumerate()
    {
        put(buf, inner, row, fit(line, inner.width as usize));
    }
}

/// `line` cut to `width` columns, ending with `…` when something was cut.
fn fit(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let pieces: Vec<crate::ui::wrap::Piece> = line
        .spans
        .iter()
        .map(|s| (s.content.to_string(), s.style))
        .collect();
    let (cut, _) = crate::ui::wrap::truncate(&pieces, width);
    Line::from(
        cut.into_iter()
            .map(|(text, style)| Span::styled(text, style))
            .collect::<Vec<_>>(),
    )
}

/// The help screen's lines: each context's keys, the slash commands, the agent's commands.
fn help_lines(state: &AppState, t: &ThemeView) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    for ctx in Context::ALL.into_iter().filter(|c| *c != Context::Help) {
        let ctx = ctx.name();
        let bindings = state.keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(
            ctx.to_string(),
            t.style("ui.title"),
        )));
        // One line per command, its keys joined.
        let mut merged: Vec<(String, Vec<String>)> = Vec::new();
        for (key, cmd) in bindings {
            match merged.iter_mut().find(|(c, _)| *c == cmd) {
                Some((_, keys)) => keys.push(key),
                None => merged.push((cmd, vec![key])),
            }
        }
        collapse_numbered(&mut merged);
        let keys_width = merged
            .iter()
            .map(|(_, k)| k.join(", ").chars().count())
            .max()
            .unwrap_or(0)
            .min(30)
            + 2;
        for (cmd, keys) in merged {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<keys_width$}", keys.join(", ")),
                    t.style("ui.help.key"),
                ),
                Span::styled(
                    match cmd.as_str() {
                        NUMBERED => "Switch to live session 1-9 (the overlay numbers them)",
                        cmd => command::doc(cmd),
                    }
                    .to_string(),
                    t.style("ui.text"),
                ),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(
        "slash commands (Tab completes)",
        t.style("ui.title"),
    )));
    for (name, description, _) in command::slash_commands() {
        lines.push(Line::from(vec![
            Span::styled(format!("  /{name:<14}"), t.style("ui.help.key")),
            Span::styled(description.to_string(), t.style("ui.text")),
        ]));
    }
    if let Some(s) = state.active_session().filter(|s| !s.commands.is_empty()) {
        lines.push(Line::from(Span::styled(
            format!(
                "{}'s commands (sent to the agent; // reaches one that shares a built-in's name)",
                s.agent
            ),
            t.style("ui.title"),
        )));
        for c in &s.commands {
            let shown = crate::state::slash::agent_form(&c.name);
            lines.push(Line::from(vec![
                Span::styled(format!("  {shown:<15}"), t.style("ui.help.key")),
                Span::styled(c.description.clone(), t.style("ui.text")),
            ]));
        }
    }
    lines
}

/// The help line standing for `session.1` … `session.9`.
const NUMBERED: &str = "session.1-9";

/// `session.1` … `session.9` read as one line ("Alt+1…Alt+9") where they are bound.
fn collapse_numbered(merged: &mut Vec<(String, Vec<String>)>) {
    let is_numbered = |c: &str| {
        c.strip_prefix("session.")
            .is_some_and(|n| n.len() == 1 && n.chars().all(|d| d.is_ascii_digit()))
    };
    let numbered: Vec<usize> = (0..merged.len())
        .filter(|&i| is_numbered(&merged[i].0))
        .collect();
    let (Some(&first), Some(&last)) = (numbered.first(), numbered.last()) else {
        return;
    };
    if first == last {
        return;
    }
    let keys = format!("{}…{}", merged[first].1[0], merged[last].1[0]);
    merged[first] = (NUMBERED.to_string(), vec![keys]);
    for &i in numbered[1..].iter().rev() {
        merged.remove(i);
    }
}

/// The question asked before quitting ends sessions.
pub fn confirm_quit(buf: &mut Buffer, area: Rect, state: &AppState, t: &ThemeView) {
    let (ending, working) = state.ending_on_quit();
    let what = match (working, ending) {
        (1, _) => "1 session is still working".to_string(),
        (w, _) if w > 1 => format!("{w} sessions are still working"),
        (_, 1) => "1 session is running here".to_string(),
        (_, n) => format!("{n} sessions are running here"),
    };
    let lines = [
        Line::from(Span::styled(
            format!("Quit praxis? {what}."),
            t.style("ui.text"),
        )),
        Line::from(Span::styled(
            "Sessions on this machine end with it.",
            t.style("ui.dim"),
        )),
    ];
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 4;
    let rect = centered(area, width.max(34), 4);
    let inner = frame(buf, rect, "Quit", "y/Enter quits · n/Esc stays", t);
    for (row, line) in lines.into_iter().enumerate() {
        put(buf, inner, row, line);
    }
}
