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
use crate::state::transcript::{Entry, EntryKind, TurnState};
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

impl ChatCache {
    /// How many entries hold laid-out lines (the others keep only their height).
    pub fn laid_out(&self) -> usize {
        self.entries.values().filter(|l| !l.evicted).count()
    }
}

/// How many lines of stale layout a frame lays out again besides what it shows.
const RELAYOUT_BUDGET_LINES: usize = 4000;

/// Entries at the end that keep their lines when laid out off screen (where the view follows).
const KEEP_LAST: usize = 8;

/// How many screens above and below the view keep their lines: entries farther away keep
/// only their height and are laid out again when they come into view.
const KEEP_SCREENS: usize = 2;

fn streaming(e: &Entry) -> bool {
    matches!(&e.kind, EntryKind::Agent(t) if t.state == TurnState::Streaming)
}

/// Drops the lines of the entries (not streaming) more than [`KEEP_SCREENS`] from the view.
fn evict_far(
    entries: &[Entry],
    heights: &[usize],
    top: usize,
    height: usize,
    cache: &mut ChatCache,
) {
    let margin = KEEP_SCREENS * height;
    let (lo, hi) = (top.saturating_sub(margin), top + height + margin);
    let mut y = 0;
    for (e, &h) in entries.iter().zip(heights) {
        if (y + h < lo || y > hi) && !streaming(e) {
            if let Some(layout) = cache.entries.get_mut(&e.id).filter(|l| !l.evicted) {
                layout.evict();
            }
        }
        y += h;
    }
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
    let entries = &session.transcript.entries;
    let height = area.height as usize;
    // Heights: fresh, or (only the width, theme or toggles changed) the old one as an
    // estimate. Changed content is laid out now: it grows by appending, incrementally.
    let mut heights = Vec::with_capacity(entries.len());
    let mut stale = Vec::new();
    // Laid out now but far from the end (a replayed history): keep only the height, so
    // laying out a long transcript never holds all of its lines at once.
    let near_end = entries.len().saturating_sub(KEEP_LAST);
    for (i, e) in entries.iter().enumerate() {
        let layout = cache.entries.entry(e.id).or_default();
        if layout.fresh(e, area.width, key) {
            // Up to date (or evicted with its height still right).
        } else if layout.rev == e.rev && layout.height > 0 {
            stale.push(i);
        } else {
            layout.refresh(e, area.width, key, t, show);
            if i < near_end && !streaming(e) {
                layout.evict();
            }
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
        if i < near_end && !streaming(&entries[i]) {
            layout.evict();
        }
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
                let layout = cache
                    .entries
                    .get_mut(&entries[i].id)
                    .expect("laid out above");
                let was_stale = stale.binary_search(&i).map(|at| stale.remove(at)).is_ok();
                if was_stale || layout.evicted {
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
    evict_far(entries, &heights, top, height, cache);
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
