//! The chat pane: the active session's transcript as role blocks, drawn virtually — entries
//! are laid out once per (revision, width, theme) and only the lines inside the viewport are
//! written to the frame. Follows the bottom while streaming unless the user scrolled up.
//!
//! A resize, a theme switch or a toggle (thoughts, tool output) invalidates every entry's
//! layout at once. Then only the entries on screen are laid out again in that frame; the
//! others keep their old height as an estimate and are laid out a budget at a time in the
//! frames that follow, the nearest to the bottom first ([`ChatCache::pending`] asks for them),
//! so the frame after a resize costs what is visible, not the whole transcript.

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
    /// Entries whose layout is out of date and shown at an estimated height: more frames are
    /// needed to lay them out.
    pub pending: bool,
}

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
    let key = layout_key(t.generation, show.thoughts, show.tools);
    let entries = &session.transcript.entries;
    let height = area.height as usize;
    // Heights: fresh, or (only the width, theme or toggles changed) the old one as an
    // estimate. Changed content is laid out now: it grows by appending, incrementally.
    let mut heights = Vec::with_capacity(entries.len());
    let mut stale = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let layout = cache.entries.entry(e.id).or_default();
        if layout.rev == e.rev && layout.height > 0 && !layout.fresh(e, area.width, key) {
            stale.push(i);
        } else {
            layout.refresh(e, area.width, key, t, show);
        }
        heights.push(layout.height);
    }
    // A budget of them, nearest the bottom first (those on screen are done below anyway).
    let mut budget = RELAYOUT_BUDGET_LINES;
    while budget > 0 {
        let Some(i) = stale.pop() else { break };
        let layout = cache
            .entries
            .get_mut(&entries[i].id)
            .expect("laid out above");
        layout.refresh(&entries[i], area.width, key, t, show);
        budget = budget.saturating_sub(layout.height.max(1));
        heights[i] = layout.height;
    }
    // Then the ones on screen (their real heights move the view), until none is.
    let top = loop {
        let total: usize = heights.iter().sum();
        let bottom_top = total.saturating_sub(height);
        let top = match session.scroll {
            Scroll::Follow => bottom_top,
            Scroll::Top(n) => n.min(bottom_top),
        };
        let mut y = 0usize;
        let mut laid = false;
        for (i, h) in heights.iter_mut().enumerate() {
            if y >= top + height {
                break;
            }
            if y + *h > top {
                if let Ok(at) = stale.binary_search(&i) {
                    stale.remove(at);
                    let layout = cache
                        .entries
                        .get_mut(&entries[i].id)
                        .expect("laid out above");
                    layout.refresh(&entries[i], area.width, key, t, show);
                    laid |= layout.height != *h;
                    *h = layout.height;
                }
            }
            y += *h;
        }
        if !laid {
            break top;
        }
    };
    cache.pending = !stale.is_empty();
    let total: usize = heights.iter().sum();
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
