//! The chat pane: the active session's transcript as role blocks, drawn virtually — entries
//! are laid out once per (revision, width, theme) and only the lines inside the viewport are
//! written to the frame. Follows the bottom while streaming unless the user scrolled up.
//!
//! A frame costs what changed and what is on screen: [`ChatCache`] takes in the changed entries
//! from the transcript's change log and finds the visible ones by their running heights.
//! A resize, a theme switch or a toggle (thoughts, tool output) invalidates every entry's
//! layout at once. Then only the entries on screen are laid out again in that frame; the
//! others keep their old height as an estimate and are laid out a budget at a time in the
//! frames that follow, the nearest to the bottom first ([`ChatCache::pending`] asks for them),
//! so the frame after a resize costs what is visible, not the whole transcript.

pub use super::chat_cache::ChatCache;
use super::chat_cache::Shape;
use super::role_block::{layout_key, markdown_width, Part, Show, GUIDE};
use super::theme_view::ThemeView;
use crate::state::transcript::EntryKind;
use crate::state::{Scroll, SessionView};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

/// How many lines of stale layout a frame lays out again besides what it shows.
const RELAYOUT_BUDGET_LINES: usize = 4000;

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
    let shape = Shape {
        width: area.width,
        key: layout_key(t.generation, show),
        theme: t,
        show,
    };
    let entries = &session.transcript.entries;
    let height = area.height as usize;
    // Changed content is laid out now (it grows by appending, incrementally); entries laid
    // out for an old width, theme or toggles keep their height as an estimate, and a budget
    // of them is laid out per frame, the nearest to the bottom first.
    cache.sync(session, &shape);
    cache.relayout_some(entries, RELAYOUT_BUDGET_LINES, &shape);
    // Then the ones on screen (their real heights move the view), until none is.
    let top = loop {
        let total = cache.heights.total();
        let bottom_top = total.saturating_sub(height);
        let top = match session.scroll {
            Scroll::Follow => bottom_top,
            Scroll::Top(n) => n.min(bottom_top),
        };
        let mut i = cache.heights.find(top);
        let mut y = if i < entries.len() {
            cache.heights.start(i)
        } else {
            total
        };
        let mut laid = false;
        while i < entries.len() && y < top + height {
            if cache.needs_layout(i) {
                laid |= cache.lay_out(entries, i, &shape);
            }
            y += cache.heights.get(i);
            i += 1;
        }
        if !laid {
            break top;
        }
    };
    cache.pending = cache.has_stale();
    cache.let_go_far(entries, top, height);
    let total = cache.heights.total();
    // From the first visible entry, emit lines until the viewport is full.
    let first = cache.heights.find(top);
    let mut skip = top
        - if first < entries.len() {
            cache.heights.start(first)
        } else {
            top
        };
    let mut y = 0usize;
    for e in &entries[first.min(entries.len())..] {
        if y >= height {
            break;
        }
        let Some(layout) = cache.layouts.get_mut(&e.id) else {
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
            let mut guided = None;
            let lines: &[Line<'static>] = match part {
                Part::Lines(l) => l,
                Part::Markdown { stream, guide, .. } => {
                    let (md, hl, syntax) = (&t.md, &t.highlighter, t.syntax.as_str());
                    let w = markdown_width(body_width, *guide);
                    let n = stream.line_count(w, md, t.generation, hl, syntax);
                    // Code is highlighted once it shows.
                    let rows = skip..(skip + height - y).min(n);
                    stream.highlight_rows(rows, w, md, hl, syntax);
                    guided = *guide;
                    stream.lines(w, md, t.generation, hl, syntax)
                }
                Part::Grown { grown, .. } => &grown.lines[..grown.shown],
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
                } else if let Some(style) = guided {
                    buf.set_stringn(area.x, row, glyph, 2, rail);
                    let w = markdown_width(body_width, guided);
                    let inset = body_width - w;
                    buf.set_stringn(area.x + 2, row, GUIDE, inset as usize, style);
                    buf.set_line(area.x + 2 + inset, row, line, w);
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
