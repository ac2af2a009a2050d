//! The chat pane: the active session's transcript as role blocks, drawn virtually — entries
//! are laid out once per (revision, width, theme) and only the lines inside the viewport are
//! written to the frame. Follows the bottom while streaming unless the user scrolled up.

use super::role_block::{layout_key, EntryLayout, Part, Show};
use super::theme_view::ThemeView;
use crate::state::transcript::EntryKind;
use crate::state::{Scroll, SessionView};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use std::collections::HashMap;

/// Layouts of one session's entries.
#[derive(Default)]
pub struct ChatCache {
    entries: HashMap<u64, EntryLayout>,
}

/// Draws `session` into `area`; returns the transcript's total line count.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    session: &SessionView,
    cache: &mut ChatCache,
    t: &ThemeView,
    show: &Show<'_>,
) -> usize {
    if area.width == 0 || area.height == 0 {
        return 0;
    }
    let key = layout_key(t.generation, show.thoughts, show.tools);
    let mut total = 0usize;
    for e in &session.transcript.entries {
        let layout = cache.entries.entry(e.id).or_default();
        layout.refresh(e, area.width, key, t, show);
        total += layout.height;
    }
    let height = area.height as usize;
    let bottom_top = total.saturating_sub(height);
    let top = match session.scroll {
        Scroll::Follow => bottom_top,
        Scroll::Top(n) => n.min(bottom_top),
    };
    // Walk to the first visible entry, then emit lines until the viewport is full.
    let mut y = 0usize;
    let mut skip = top;
    for e in &session.transcript.entries {
        if y >= height {
            break;
        }
        let Some(layout) = cache.entries.get_mut(&e.id) else {
            continue;
        };
        if skip >= layout.height {
            skip -= layout.height;
            continue;
        }
        let rail = layout.rail;
        let glyph = layout.rail_glyph;
        let has_header = !matches!(e.kind, EntryKind::Notice { .. });
        let body_width = area.width.saturating_sub(2).max(1);
        let mut passed = 0usize;
        for part in &mut layout.parts {
            if y >= height {
                break;
            }
            let lines: &[Line<'static>] = match part {
                Part::Lines(l) => l,
                Part::Markdown { stream, .. } => {
                    stream.lines(body_width, &t.md, t.generation, &t.highlighter, &t.syntax)
                }
            };
            if skip >= lines.len() {
                skip -= lines.len();
                passed += lines.len();
                continue;
            }
            passed += skip;
            for line in &lines[skip..] {
                if y >= height {
                    break;
                }
                let row = area.y + y as u16;
                if has_header && passed == 0 {
                    buf.set_line(area.x, row, line, area.width);
                } else {
                    buf.set_stringn(area.x, row, glyph, 2, rail);
                    buf.set_line(area.x + 2, row, line, body_width);
                }
                passed += 1;
                y += 1;
            }
            skip = 0;
        }
    }
    total
}
