//! What the chat pane keeps of one session between frames: each entry's layout, the entries'
//! heights with their running sums, which layouts are stale (laid out at an old width, theme
//! or toggles) and which hold lines. It learns what changed from the transcript's change log,
//! so keeping up costs what changed: a frame never walks the whole transcript, except once
//! after a resize, a theme switch or a toggle, or when the transcript was replaced.
//!
//! Memory: an entry far from the view keeps only its height (its lines are laid out again
//! when it comes into view); a streaming turn always keeps its lines.

use super::heights::Heights;
use super::role_block::{EntryLayout, Show};
use super::theme_view::ThemeView;
use crate::state::transcript::{Entry, EntryKind, TurnState};
use crate::state::SessionView;
use std::collections::{BTreeSet, HashMap};

/// Entries at the end that keep their lines when laid out off screen (where the view follows).
const KEEP_LAST: usize = 8;

/// How many screens above and below the view keep their lines.
const KEEP_SCREENS: usize = 2;

/// Layouts of one session's entries.
#[derive(Default)]
pub struct ChatCache {
    pub(super) layouts: HashMap<u64, EntryLayout>,
    /// The transcript's entry ids in order, as last seen.
    ids: Vec<u64>,
    /// Their heights as laid out (the old height stands in for a stale one).
    pub(super) heights: Heights,
    /// The last transcript change taken in.
    seen: u64,
    /// What the layouts are for: (width, layout key).
    shape: Option<(u16, u64)>,
    /// Indices of the entries laid out for an old shape, ascending.
    stale: Vec<usize>,
    /// Indices of the entries holding laid-out lines.
    live: BTreeSet<usize>,
    /// Entries whose layout is out of date and shown at an estimated height: more frames are
    /// needed to lay them out.
    pub pending: bool,
    /// How many times an entry was looked at (tests check a frame does not look at them all).
    pub(super) looked: u64,
}

pub(super) fn streaming(e: &Entry) -> bool {
    matches!(&e.kind, EntryKind::Agent(t) if t.state == TurnState::Streaming)
}

/// What entries are laid out for.
pub(super) struct Shape<'a> {
    pub width: u16,
    pub key: u64,
    pub theme: &'a ThemeView,
    pub show: &'a Show<'a>,
}

impl ChatCache {
    /// How many entries hold laid-out lines (the others keep only their height).
    pub fn laid_out(&self) -> usize {
        self.layouts
            .values()
            .filter(|l| !l.evicted && !l.parts.is_empty())
            .count()
    }

    /// Takes in what changed in `session`'s transcript since the last frame.
    pub(super) fn sync(&mut self, session: &SessionView, shape: &Shape<'_>) {
        let transcript = &session.transcript;
        let entries = &transcript.entries;
        let log = transcript.changes();
        let aligned = self.ids.len() <= entries.len()
            && self
                .ids
                .last()
                .is_none_or(|&id| entries[self.ids.len() - 1].id == id);
        let same_shape = self.shape == Some((shape.width, shape.key));
        match log.since(self.seen).filter(|_| aligned && same_shape) {
            Some(changed) => {
                for e in &entries[self.ids.len()..] {
                    self.ids.push(e.id);
                    self.heights.push(0);
                }
                for i in changed.filter(|&i| i < entries.len()) {
                    self.check(entries, i, shape);
                }
            }
            None => self.rebuild(entries, shape),
        }
        self.seen = log.last();
        self.shape = Some((shape.width, shape.key));
    }

    /// Looks at every entry (the first frame, a new shape, a replaced transcript).
    fn rebuild(&mut self, entries: &[Entry], shape: &Shape<'_>) {
        if self.ids.len() > entries.len() || self.ids.iter().zip(entries).any(|(&a, e)| a != e.id) {
            let present: std::collections::HashSet<u64> = entries.iter().map(|e| e.id).collect();
            self.layouts.retain(|id, _| present.contains(id));
        }
        self.ids = entries.iter().map(|e| e.id).collect();
        self.heights.clear();
        self.stale.clear();
        self.live.clear();
        for i in 0..entries.len() {
            self.heights.push(0);
            self.check(entries, i, shape);
        }
    }

    /// Brings entry `i`'s layout up to date, or marks it stale when only the shape changed
    /// (its old height stands in until it is laid out).
    fn check(&mut self, entries: &[Entry], i: usize, shape: &Shape<'_>) {
        self.looked += 1;
        let e = &entries[i];
        let layout = self.layouts.entry(e.id).or_default();
        if layout.fresh(e, shape.width, shape.key) {
            // Up to date (or let go with its height still right).
        } else if layout.rev == e.rev && layout.height > 0 {
            if let Err(at) = self.stale.binary_search(&i) {
                self.stale.insert(at, i);
            }
        } else {
            self.lay_out(entries, i, shape);
            // Far from the end (a replayed history): keep only the height for now.
            if i + KEEP_LAST < entries.len() && !streaming(e) {
                self.let_go(i, e.id);
            }
            return;
        }
        let h = self.layouts[&e.id].height;
        self.heights.set(i, h);
        if !self.layouts[&e.id].evicted && !self.layouts[&e.id].parts.is_empty() {
            self.live.insert(i);
        }
    }

    /// Lays entry `i` out for `shape`; true when its height changed.
    pub(super) fn lay_out(&mut self, entries: &[Entry], i: usize, shape: &Shape<'_>) -> bool {
        let e = &entries[i];
        let layout = self.layouts.entry(e.id).or_default();
        layout.refresh(e, shape.width, shape.key, shape.theme, shape.show);
        if let Ok(at) = self.stale.binary_search(&i) {
            self.stale.remove(at);
        }
        self.live.insert(i);
        let h = layout.height;
        let changed = self.heights.get(i) != h;
        self.heights.set(i, h);
        changed
    }

    /// Whether entry `i` must be laid out before it is drawn.
    pub(super) fn needs_layout(&self, i: usize) -> bool {
        self.stale.binary_search(&i).is_ok()
            || self
                .layouts
                .get(&self.ids[i])
                .is_none_or(|l| l.evicted || l.parts.is_empty())
    }

    fn let_go(&mut self, i: usize, id: u64) {
        if let Some(l) = self.layouts.get_mut(&id) {
            l.evict();
        }
        self.live.remove(&i);
    }

    /// Lays out stale entries, the nearest to the end first, until about `budget` lines.
    pub(super) fn relayout_some(
        &mut self,
        entries: &[Entry],
        mut budget: usize,
        shape: &Shape<'_>,
    ) {
        while budget > 0 {
            let Some(&i) = self.stale.last() else { break };
            self.lay_out(entries, i, shape);
            budget = budget.saturating_sub(self.heights.get(i).max(1));
            if i + KEEP_LAST < entries.len() && !streaming(&entries[i]) {
                self.let_go(i, entries[i].id);
            }
        }
    }

    /// Whether entries are still laid out for an old shape.
    pub(super) fn has_stale(&self) -> bool {
        !self.stale.is_empty()
    }

    /// Lets go of the lines of the entries (not streaming) more than [`KEEP_SCREENS`] screens
    /// from the view starting at line `top`.
    pub(super) fn let_go_far(&mut self, entries: &[Entry], top: usize, height: usize) {
        let margin = KEEP_SCREENS * height;
        let (lo, hi) = (top.saturating_sub(margin), top + height + margin);
        let far: Vec<usize> = self
            .live
            .iter()
            .copied()
            .filter(|&i| {
                let y = self.heights.start(i);
                (y + self.heights.get(i) < lo || y > hi) && !streaming(&entries[i])
            })
            .collect();
        for i in far {
            self.let_go(i, entries[i].id);
        }
    }
}
