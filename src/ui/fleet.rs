//! The Active Sessions overlay, drawn as a fleet view: the filter line, group headers and one
//! row per session with the columns that fit the width (status glyph, Alt+N number, title,
//! agent, node, cwd, last activity, context or tokens, cost). Only the visible rows are
//! formatted, so ten thousand sessions draw as fast as ten. The rows, their order and the
//! selection come from `state::fleet`.

use super::fleet_cols::{ago, cost, fit, shorten_path, usage, Cols};
use super::theme_view::ThemeView;
use super::windows::{frame, put};
use crate::state::fleet::{self, Entry, Group, Row};
use crate::state::{command, AppState, Context};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The overlay's rectangle: the whole height, the width less a margin, at most 160 columns.
pub fn rect(area: Rect) -> Rect {
    let w = if area.width > 40 {
        (area.width - 4).min(160)
    } else {
        area.width
    };
    super::windows::centered(area, w, area.height)
}

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, t: &ThemeView) {
    let rows = fleet::rows(state);
    let filtering = !state.fleet.query.is_empty();
    let hint = command::key_hints(
        &state.keymap,
        Context::Sessions,
        &[
            ("sessions.resume", "open"),
            ("sessions.detail", "detail"),
            ("sessions.discard", "discard"),
            ("sessions.back", if filtering { "clear" } else { "close" }),
        ],
    );
    let inner = frame(buf, rect(area), "Active Sessions", &hint, t);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let total = state.sessions.len() + state.past.len();
    // The filter line, unless there is no room and nothing typed.
    let mut top = 0;
    if filtering || inner.height >= 4 {
        put(buf, inner, 0, filter_line(state, rows.len(), total, t));
        top = 1;
    }
    let list = Rect {
        y: inner.y + top,
        height: inner.height - top,
        ..inner
    };
    if rows.is_empty() {
        let text = if filtering {
            format!("No session matches `{}`", state.fleet.query)
        } else {
            match command::first_key(&state.keymap, Context::Sessions, "nodes.toggle") {
                Some(k) => format!("No sessions yet. {k} opens the Nodes window."),
                None => "No sessions yet.".to_string(),
            }
        };
        put(
            buf,
            list,
            0,
            Line::from(Span::styled(text, t.style("ui.dim"))),
        );
        return;
    }
    let groups = group_starts(&rows);
    let selected = fleet::selected_index(state, &rows).unwrap_or(0);
    // Lines are the rows with a header before each group; only the visible ones are made.
    let line_of = |row: usize| row + groups.iter().filter(|(_, start, _)| *start <= row).count();
    let total_lines = rows.len() + groups.len();
    let height = list.height as usize;
    let first = (line_of(selected) + 1).saturating_sub(height);
    let numbers = numbers(state);
    let cols = Cols::fit(
        list.width as usize,
        state.nodes.len() > 1,
        state.sessions.iter().any(|s| s.cost.is_some()),
    );
    let mut row = rows_before_line(first, &groups);
    let mut line = first;
    while line < total_lines.min(first + height) {
        let screen = line - first;
        if let Some((g, _, n)) = groups
            .iter()
            .find(|(_, start, _)| line_of(*start) - 1 == line)
        {
            put(buf, list, screen, header(*g, *n, t));
        } else {
            let r = rows[row];
            let number = numbers
                .iter()
                .position(|id| *id == state.entry(r.at).id())
                .map(|i| i + 1);
            put(
                buf,
                list,
                screen,
                row_line(state, r, row == selected, number, &cols, t),
            );
            row += 1;
        }
        line += 1;
    }
}

/// (group, first row, rows in it), in order.
fn group_starts(rows: &[Row]) -> Vec<(Group, usize, usize)> {
    let mut out: Vec<(Group, usize, usize)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match out.last_mut() {
            Some((g, _, n)) if *g == r.group => *n += 1,
            _ => out.push((r.group, i, 1)),
        }
    }
    out
}

/// How many rows come before line `line` (lines count the group headers too).
fn rows_before_line(line: usize, groups: &[(Group, usize, usize)]) -> usize {
    let mut rows = 0;
    let mut at = 0;
    for (_, _, n) in groups {
        // The header, then `n` rows.
        if line <= at {
            break;
        }
        let in_group = (line - at - 1).min(*n);
        rows += in_group;
        at += 1 + n;
    }
    rows
}

/// The first nine live sessions (what Alt+1..9 switch to).
fn numbers(state: &AppState) -> Vec<&str> {
    let mut order = fleet::live_order(state);
    order.truncate(9);
    order
}

fn filter_line(state: &AppState, shown: usize, total: usize, t: &ThemeView) -> Line<'static> {
    if state.fleet.query.is_empty() {
        let what = if total == 1 { "session" } else { "sessions" };
        return Line::from(Span::styled(
            format!("Type to filter · {total} {what}"),
            t.style("ui.dim"),
        ));
    }
    Line::from(vec![
        Span::styled("Filter: ", t.style("ui.dim")),
        Span::styled(format!("{}▏", state.fleet.query), t.style("ui.text")),
        Span::styled(format!("  {shown} of {total}"), t.style("ui.dim")),
    ])
}

fn header(g: Group, n: usize, t: &ThemeView) -> Line<'static> {
    let scope = match g {
        Group::NeedsYou => "warning",
        _ => "ui.fleet.group",
    };
    Line::from(vec![
        Span::styled(g.label().to_string(), t.style(scope)),
        Span::styled(format!(" · {n}"), t.style("ui.dim")),
    ])
}

/// The glyph and its theme scope for a row.
fn glyph(e: &Entry<'_>, group: Group) -> (&'static str, &'static str) {
    use crate::node_api::SessionStatus as S;
    if let Entry::View(s) = e {
        if s.status == S::NeedsPermission {
            return ("◆", "warning");
        }
        if s.turn_error.is_some() && s.status.is_live() {
            return ("✗", "error");
        }
        if s.unseen && s.status.is_live() {
            return ("◉", "info");
        }
    }
    match (e.status(), group) {
        (S::Failed, Group::History) => ("✗", "ui.dim"),
        (S::Failed, _) => ("✗", "error"),
        (S::Closed, _) => ("■", "ui.dim"),
        (S::Working, _) => ("◐", "role.agent.glyph.streaming"),
        (S::Initializing, _) => ("◌", "ui.dim"),
        (S::Idle, _) => ("●", "role.agent.glyph.done"),
        (S::NeedsPermission, _) => ("◆", "warning"),
    }
}

fn row_line(
    state: &AppState,
    r: Row,
    selected: bool,
    number: Option<usize>,
    cols: &Cols,
    t: &ThemeView,
) -> Line<'static> {
    let e = state.entry(r.at);
    let base = if selected {
        t.style("ui.popup.selected")
    } else {
        t.style("ui.text")
    };
    let dim = if selected { base } else { t.style("ui.dim") };
    let (g, scope) = glyph(&e, r.group);
    let mut spans = vec![
        Span::styled(if selected { "› " } else { "  " }, base),
        Span::styled(format!("{g} "), t.style(scope).patch(sel_bg(selected, t))),
    ];
    if cols.num {
        let n = number.map(|n| n.to_string()).unwrap_or_default();
        spans.push(Span::styled(fit(&n, 2), dim));
    }
    // The title, then why it ended (failed ones), in the title's column.
    let (title, title_style) = match e.title() {
        Some(title) => (title.to_string(), base),
        None => ("(no prompt yet)".to_string(), dim),
    };
    let why = match (e.status(), e.reason()) {
        (crate::node_api::SessionStatus::Failed, Some(r)) => format!(" · {r}"),
        (crate::node_api::SessionStatus::Failed, None) => " · failed".to_string(),
        _ => String::new(),
    };
    let title_w = crate::ui::wrap::str_width(&title).min(cols.title);
    spans.push(Span::styled(fit(&title, title_w), title_style));
    let rest = cols.title - title_w;
    let why_style = if selected { base } else { t.style("error") };
    spans.push(Span::styled(fit(&why, rest), why_style));
    let node = state.nodes.get(e.node()).map_or("?", |n| n.name.as_str());
    let (usage_text, cost_text) = match &e {
        Entry::View(s) => (usage(s), s.cost.as_ref().map(cost).unwrap_or_default()),
        Entry::Past(_) => (String::new(), String::new()),
    };
    for (w, text) in [
        (cols.id, crate::state::session::short_id(e.id()).to_string()),
        (cols.agent, e.agent_model()),
        (cols.node, node.to_string()),
        (cols.cwd, shorten_path(e.cwd(), cols.cwd)),
        (cols.age, ago(state.now_ms, e.last_activity_ms())),
        (cols.usage, usage_text),
        (cols.cost, cost_text),
    ] {
        if w > 0 {
            spans.push(Span::styled(format!(" {}", fit(&text, w)), dim));
        }
    }
    Line::from(spans)
}

fn sel_bg(selected: bool, t: &ThemeView) -> ratatui::style::Style {
    match (selected, t.style("ui.popup.selected").bg) {
        (true, Some(bg)) => ratatui::style::Style::default().bg(bg),
        _ => ratatui::style::Style::default(),
    }
}
