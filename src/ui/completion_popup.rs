//! The completion popup: matching slash commands (the agent's marked as such) or history
//! matches, drawn just above the input line — never over it — and shrunk to fit small
//! terminals.

use super::theme_view::ThemeView;
use crate::state::slash::{Completion, Source};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

/// The most rows the popup shows at once (it scrolls with the selection).
const MAX_ROWS: usize = 8;

/// Draws `c` at the bottom of `area` (the chat pane, directly above the input).
pub fn draw(buf: &mut Buffer, area: Rect, c: &Completion, t: &ThemeView) {
    if area.height == 0 || area.width == 0 || (c.items.is_empty() && !c.history) {
        return;
    }
    if area.height < 3 || area.width < 12 {
        // Too small for a box: one line with the highlighted candidate and its position.
        let text = match c.items.get(c.selected) {
            Some(item) => format!("› {} {}/{}", item.label, c.selected + 1, c.items.len()),
            None => format!("search: {} (no match)", c.query),
        };
        let line = Line::from(Span::styled(text, t.style("ui.popup.selected")));
        let y = area.y + area.height - 1;
        buf.set_style(Rect::new(area.x, y, area.width, 1), t.style("ui.popup"));
        buf.set_line(area.x, y, &line, area.width);
        return;
    }
    // History search shows its query line above the matches.
    let query_rows = usize::from(c.history);
    let rows = (c.items.len().max(1) + query_rows)
        .min(MAX_ROWS)
        .min(area.height as usize - 2);
    let width = area.width.min(72);
    let rect = Rect::new(
        area.x,
        area.y + area.height - rows as u16 - 2,
        width,
        rows as u16 + 2,
    );
    Clear.render(rect, buf);
    let title = if c.history {
        " earlier prompts (fuzzy, any case) "
    } else {
        " commands "
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("ui.border.focused"))
        .title(Span::styled(title, t.style("ui.title")))
        .title_bottom(Span::styled(
            " Tab/↑↓ move · Enter accept · Esc close ",
            t.style("ui.dim"),
        ))
        .style(t.style("ui.popup"));
    let mut inner = block.inner(rect);
    block.render(rect, buf);
    if c.history {
        let line = Line::from(vec![
            Span::styled("search: ", t.style("ui.dim")),
            Span::styled(c.query.clone(), t.style("ui.text")),
            Span::styled("▏", t.style("ui.title")),
            Span::styled(
                if c.items.is_empty() {
                    "  no earlier prompt matches"
                } else {
                    ""
                },
                t.style("ui.dim"),
            ),
        ]);
        buf.set_line(inner.x, inner.y, &line, inner.width);
        inner.y += 1;
        inner.height = inner.height.saturating_sub(1);
    }
    let rows = rows - query_rows;
    let first = c.selected.saturating_sub(rows.max(1) - 1);
    let label_w = c
        .items
        .iter()
        .map(|i| i.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    for (row, (i, item)) in c
        .items
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .enumerate()
    {
        let selected = i == c.selected;
        let scope = if selected {
            "ui.popup.selected"
        } else {
            "ui.text"
        };
        let marker = if item.source == Source::Agent {
            "(agent) "
        } else {
            ""
        };
        let pointer = if selected { "›" } else { " " };
        let line = Line::from(vec![
            Span::styled(
                format!("{pointer} {:<label_w$} ", item.label),
                t.style(scope),
            ),
            Span::styled(marker, t.style("info")),
            Span::styled(item.description.clone(), t.style("ui.dim")),
        ]);
        buf.set_line(inner.x, inner.y + row as u16, &line, inner.width);
    }
}
