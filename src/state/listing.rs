//! What nodes say about their sessions: `session/list` answers merged into the client (live
//! sessions this client does not follow become unattached views, ended ones are kept as
//! history in `AppState::past`, replaced per node at each listing), and remote nodes coming
//! and going (a node that goes offline loses its live sessions as "lost").

use super::effect::Effect;
use super::lifecycle::LifeKind;
use super::session::SessionView;
use super::transcript::{Level, TurnState};
use super::AppState;
use crate::node_api::{SessionStatus, SessionSummary};
use crate::sanitize::sanitize;
use std::collections::HashMap;

/// A session a node listed that is not open as a view here: one from its history (failed or
/// closed), kept cheaply for the overlay, `--continue` and id prefixes. Every string is
/// sanitized.
#[derive(Debug, Clone, PartialEq)]
pub struct PastSession {
    pub node: usize,
    pub summary: SessionSummary,
}

impl PastSession {
    pub fn id(&self) -> &str {
        &self.summary.session_id
    }

    /// When it last did something (its end when the node recorded no activity).
    pub fn last_activity_ms(&self) -> u64 {
        self.summary
            .last_activity_ms
            .max(self.summary.ended_ms.unwrap_or(0))
            .max(self.summary.created_ms)
    }

    /// Its working directory ("" when the node did not say; listings are sanitized, so it
    /// is always text).
    pub fn cwd(&self) -> &str {
        self.summary
            .cwd
            .as_deref()
            .and_then(std::path::Path::to_str)
            .unwrap_or_default()
    }
}

fn clean(mut s: SessionSummary) -> SessionSummary {
    s.session_id = sanitize(&s.session_id);
    s.connector = sanitize(&s.connector);
    s.reason = s.reason.map(|r| sanitize(&r));
    s.cwd = s.cwd.map(|c| sanitize(&c.display().to_string()).into());
    s.title = s
        .title
        .and_then(|t| super::lifecycle::title_from(&sanitize(&t)));
    s
}

/// A view for a listed session (unattached: opening it attaches or reopens it).
pub(super) fn view_of(node: usize, s: &SessionSummary) -> SessionView {
    let cwd = s
        .cwd
        .as_ref()
        .map(|c| c.display().to_string())
        .unwrap_or_default();
    let mut view = SessionView::new(
        node,
        s.session_id.clone(),
        s.connector.clone(),
        s.yolo,
        s.created_ms,
        cwd,
    );
    view.status = s.status;
    view.reason = s.reason.clone();
    view.title = s.title.clone();
    view.last_activity_ms = s.last_activity_ms.max(s.created_ms);
    view.ended_ms = s.ended_ms;
    view.attached = false;
    view.lifecycle.push(s.created_ms, LifeKind::Found);
    view
}

/// Merges a node's listing: live sessions this client does not know are added unattached
/// (opening one attaches and replays it); known ones this client does not follow take the
/// node's word; ended ones go to the history (`past`), which is replaced for this node.
pub(super) fn merge_listed(state: &mut AppState, node: usize, list: Vec<SessionSummary>) {
    let index: HashMap<String, usize> = state
        .sessions
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i))
        .collect();
    state.past.retain(|p| p.node != node);
    let mut added = 0;
    for summary in list {
        let summary = clean(summary);
        if let Some(&i) = index.get(&summary.session_id) {
            let s = &mut state.sessions[i];
            let lost = s.status == SessionStatus::Failed
                && s.reason.as_deref().is_some_and(|r| r.starts_with("lost"));
            if lost && summary.status.is_live() {
                // It outlived the node's absence: open it again to re-attach.
                s.attached = false;
                s.node = node;
                s.ended_ms = None;
            }
            if !s.attached {
                s.status = summary.status;
                s.reason = summary.reason;
                s.title = summary.title.or(s.title.take());
                s.last_activity_ms = s.last_activity_ms.max(summary.last_activity_ms);
                s.ended_ms = summary.ended_ms.or(s.ended_ms);
            }
            continue;
        }
        if state.discarded.contains(&summary.session_id) {
            continue;
        }
        if !summary.status.is_live() {
            state.past.push(PastSession { node, summary });
            continue;
        }
        state.sessions.push(view_of(node, &summary));
        added += 1;
    }
    if added > 0 {
        let name = state.nodes.get(node).map_or("?", |n| n.name.as_str());
        let msg =
            format!("{added} session(s) running on {name}: the Active Sessions overlay lists them");
        state.say(Level::Info, msg);
    }
}

/// A remote node came, went, or this client's broker link wavered.
pub(super) fn node_link(
    state: &mut AppState,
    node: usize,
    online: bool,
    reconnecting: bool,
    reason: Option<String>,
    fx: &mut Vec<Effect>,
) {
    let Some(n) = state.nodes.get_mut(node) else {
        return;
    };
    let was_online = n.connected;
    n.connected = online;
    n.reconnecting = reconnecting;
    n.error = reason.as_deref().map(sanitize);
    let name = n.name.clone();
    if was_online && !online {
        let why = n.error.clone().unwrap_or_else(|| "node offline".into());
        lose_sessions(state, node, &format!("lost ({why})"), fx);
        state.say(Level::Error, format!("Node {name} is offline: {why}"));
    }
}

/// Every live session of `node` fails with `why` (its node went away).
pub(super) fn lose_sessions(state: &mut AppState, node: usize, why: &str, fx: &mut Vec<Effect>) {
    let ids: Vec<String> = state
        .sessions
        .iter()
        .filter(|s| s.node == node && s.status.is_live())
        .map(|s| s.id.clone())
        .collect();
    for id in ids {
        if let Some(s) = state.session_mut(&id) {
            s.status = SessionStatus::Failed;
            s.reason = Some(why.to_string());
            s.prompt_in_flight = false;
            s.transcript
                .end_turn(TurnState::Failed(why.to_string()), None);
        }
        super::attention::ended(state, &id, Some(why), false, fx);
    }
}
