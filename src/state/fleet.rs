//! The Active Sessions overlay as a fleet view, as data: every known session (views and
//! `past`) in groups by what it needs (needs you, working, idle, ended, history), the most
//! recently active first within a group; the typed filter (fuzzy, case-insensitive, over
//! title, agent, node, cwd and id; rows keep their group order, the filter only hides); the
//! selection, held as a session id so it survives rows moving; and the detail of the
//! selected session, opened above the overlay.
//!
//! Rows are recomputed when asked (a key, a frame): linear in the number of sessions plus a
//! sort, with no per-row allocation beyond the row itself.

use super::listing::PastSession;
use super::session::SessionView;
use super::{AppState, Overlay};
use crate::node_api::SessionStatus;
use std::cmp::Reverse;

/// The overlay's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fleet {
    /// What was typed to filter the rows.
    pub query: String,
    /// The selected session (None, or one not among the rows: the first row).
    pub selected: Option<String>,
}

/// Rows are grouped by what they need, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// A permission request waits, or the last turn ended with an error.
    NeedsYou,
    Working,
    Idle,
    /// Ended (failed or closed) within `AppState::ended_keep_ms`.
    Ended,
    /// Ended earlier.
    History,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::NeedsYou => "needs you",
            Group::Working => "working",
            Group::Idle => "idle",
            Group::Ended => "ended",
            Group::History => "history",
        }
    }
}

/// Where a row's session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRef {
    /// `AppState::sessions[i]`.
    View(usize),
    /// `AppState::past[i]`.
    Past(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub group: Group,
    pub at: RowRef,
    /// Last activity (Unix ms), the order within a group.
    pub last_ms: u64,
}

/// A session either way it is known, for what rows show.
pub enum Entry<'a> {
    View(&'a SessionView),
    Past(&'a PastSession),
}

impl Entry<'_> {
    pub fn id(&self) -> &str {
        match self {
            Entry::View(s) => &s.id,
            Entry::Past(p) => p.id(),
        }
    }

    pub fn title(&self) -> Option<&str> {
        match self {
            Entry::View(s) => s.title.as_deref(),
            Entry::Past(p) => p.summary.title.as_deref(),
        }
    }

    pub fn agent(&self) -> &str {
        match self {
            Entry::View(s) => &s.agent,
            Entry::Past(p) => &p.summary.connector,
        }
    }

    /// "agent · model" when the model is known, else the agent.
    pub fn agent_model(&self) -> String {
        match self {
            Entry::View(s) => match &s.transcript.model {
                Some(m) => format!("{} · {m}", s.agent),
                None => s.agent.clone(),
            },
            Entry::Past(p) => p.summary.connector.clone(),
        }
    }

    pub fn node(&self) -> usize {
        match self {
            Entry::View(s) => s.node,
            Entry::Past(p) => p.node,
        }
    }

    pub fn status(&self) -> SessionStatus {
        match self {
            Entry::View(s) => s.status,
            Entry::Past(p) => p.summary.status,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Entry::View(s) => s.reason.as_deref(),
            Entry::Past(p) => p.summary.reason.as_deref(),
        }
    }

    pub fn cwd(&self) -> &str {
        match self {
            Entry::View(s) => &s.cwd,
            Entry::Past(p) => p.cwd(),
        }
    }

    pub fn last_activity_ms(&self) -> u64 {
        match self {
            Entry::View(s) => s.last_activity_ms,
            Entry::Past(p) => p.last_activity_ms(),
        }
    }
}

impl AppState {
    /// The session a row stands for.
    pub fn entry(&self, at: RowRef) -> Entry<'_> {
        match at {
            RowRef::View(i) => Entry::View(&self.sessions[i]),
            RowRef::Past(i) => Entry::Past(&self.past[i]),
        }
    }
}

fn ended_group(state: &AppState, ended_at: u64) -> Group {
    if state.now_ms.saturating_sub(ended_at) <= state.ended_keep_ms {
        Group::Ended
    } else {
        Group::History
    }
}

/// The group of a session view.
pub fn group_of(state: &AppState, s: &SessionView) -> Group {
    if !s.status.is_live() {
        return ended_group(state, s.ended_ms.unwrap_or(s.last_activity_ms));
    }
    if s.needs_you() {
        Group::NeedsYou
    } else if s.status == SessionStatus::Idle {
        Group::Idle
    } else {
        Group::Working
    }
}

fn past_group(state: &AppState, p: &PastSession) -> Group {
    ended_group(state, p.summary.ended_ms.unwrap_or(p.last_activity_ms()))
}

/// The overlay's rows: filtered by the query, grouped, most recently active first.
pub fn rows(state: &AppState) -> Vec<Row> {
    rows_matching(state, &state.fleet.query)
}

/// Every known session as the overlay orders it, whatever is typed in its filter.
pub fn rows_unfiltered(state: &AppState) -> Vec<Row> {
    rows_matching(state, "")
}

fn rows_matching(state: &AppState, query: &str) -> Vec<Row> {
    let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let keep = |e: &Entry| terms.is_empty() || matches(&terms, state, e);
    let mut rows: Vec<Row> = Vec::with_capacity(state.sessions.len() + state.past.len());
    for (i, s) in state.sessions.iter().enumerate() {
        if keep(&Entry::View(s)) {
            rows.push(Row {
                group: group_of(state, s),
                at: RowRef::View(i),
                last_ms: s.last_activity_ms,
            });
        }
    }
    for (i, p) in state.past.iter().enumerate() {
        if keep(&Entry::Past(p)) {
            rows.push(Row {
                group: past_group(state, p),
                at: RowRef::Past(i),
                last_ms: p.last_activity_ms(),
            });
        }
    }
    rows.sort_by(|a, b| {
        (a.group, Reverse(a.last_ms))
            .cmp(&(b.group, Reverse(b.last_ms)))
            .then_with(|| state.entry(a.at).id().cmp(state.entry(b.at).id()))
    });
    rows
}

/// Live sessions in the overlay's order (needs you, working, idle), unfiltered: what
/// next/previous cycle through and Alt+1..9 number.
pub fn live_order(state: &AppState) -> Vec<&str> {
    let mut live: Vec<(Group, Reverse<u64>, &str)> = state
        .sessions
        .iter()
        .filter(|s| s.status.is_live())
        .map(|s| {
            (
                group_of(state, s),
                Reverse(s.last_activity_ms),
                s.id.as_str(),
            )
        })
        .collect();
    live.sort();
    live.into_iter().map(|(_, _, id)| id).collect()
}

/// Whether every term is a subsequence of one of the row's fields (case-insensitive).
fn matches(terms: &[String], state: &AppState, e: &Entry) -> bool {
    let node = state.nodes.get(e.node()).map_or("", |n| n.name.as_str());
    let fields = [e.title().unwrap_or(""), e.agent(), node, e.cwd(), e.id()];
    terms
        .iter()
        .all(|t| fields.iter().any(|f| subsequence(t, f)))
}

/// Whether `needle` (lower case) appears in order, not necessarily together, in `hay`.
pub fn subsequence(needle: &str, hay: &str) -> bool {
    if needle.is_ascii() && hay.is_ascii() {
        // The common case, byte by byte.
        let mut want = needle.bytes().peekable();
        for b in hay.bytes() {
            match want.peek() {
                None => return true,
                Some(&w) if w == b.to_ascii_lowercase() => {
                    want.next();
                }
                _ => {}
            }
        }
        return want.peek().is_none();
    }
    let mut want = needle.chars().peekable();
    for c in hay.chars().flat_map(char::to_lowercase) {
        match want.peek() {
            None => return true,
            Some(&w) if w == c => {
                want.next();
            }
            _ => {}
        }
    }
    want.peek().is_none()
}

/// The selected row's index: the selected session's row, else the first row.
pub fn selected_index(state: &AppState, rows: &[Row]) -> Option<usize> {
    if rows.is_empty() {
        return None;
    }
    let pos = state
        .fleet
        .selected
        .as_deref()
        .and_then(|id| rows.iter().position(|r| state.entry(r.at).id() == id));
    Some(pos.unwrap_or(0))
}

/// The selected session's id.
pub fn selected_id(state: &AppState) -> Option<String> {
    let rows = rows(state);
    let i = selected_index(state, &rows)?;
    Some(state.entry(rows[i].at).id().to_string())
}

/// How the selection moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// By rows, wrapping around at either end.
    By(i64),
    /// By a page, stopping at the ends.
    Page(i64),
    First,
    Last,
}

/// Rows a page moves over.
pub const PAGE: i64 = 10;

/// Moves the overlay's selection (nothing when the overlay is not the top window).
pub(super) fn move_selection(state: &mut AppState, how: Move) {
    if state.context() != super::Context::Sessions {
        return;
    }
    let rows = rows(state);
    let Some(cur) = selected_index(state, &rows) else {
        return;
    };
    let len = rows.len() as i64;
    let next = match how {
        Move::By(d) => (cur as i64 + d).rem_euclid(len),
        Move::Page(p) => (cur as i64 + p * PAGE).clamp(0, len - 1),
        Move::First => 0,
        Move::Last => len - 1,
    };
    state.fleet.selected = Some(state.entry(rows[next as usize].at).id().to_string());
}

/// The overlay opens: no filter, the session on screen (or the one just left) selected.
pub(super) fn on_open(state: &mut AppState) {
    state.fleet.query.clear();
    state.fleet.selected = state.active.clone().or_else(|| state.left.clone());
}

/// The session the overlay's commands act on: the one the detail shows, else the selected
/// row's.
pub fn shown_id(state: &AppState) -> Option<String> {
    match state.overlays.last() {
        Some(Overlay::Detail(id)) => Some(id.clone()),
        _ => selected_id(state),
    }
}

/// Opens the detail of the selected session above the overlay.
pub(super) fn open_detail(state: &mut AppState) {
    if let Some(id) = selected_id(state) {
        state.detail_scroll = 0;
        state.overlays.push(Overlay::Detail(id));
    }
}

/// Discards the shown session; the row that takes its place is selected (and the detail,
/// if it was open, closes).
pub(super) fn discard_selected(state: &mut AppState, fx: &mut Vec<super::Effect>) {
    if let Some(Overlay::Detail(id)) = state.overlays.last() {
        state.fleet.selected = Some(id.clone());
        state.overlays.pop();
    }
    let rows = rows(state);
    let Some(i) = selected_index(state, &rows) else {
        return;
    };
    let id = state.entry(rows[i].at).id().to_string();
    super::open::discard(state, &id, fx);
    let rows = self::rows(state);
    state.fleet.selected = rows
        .get(i.min(rows.len().saturating_sub(1)))
        .map(|r| state.entry(r.at).id().to_string());
}
