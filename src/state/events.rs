//! Node events and effect results: session updates into transcripts, status changes,
//! permission requests, created sessions, finished prompts, saved transcripts.

use super::action::Action;
use super::effect::Effect;
use super::session::{AgentCommand, SessionView};
use super::transcript::{Level, TurnState};
use super::{AppState, NodeView, Overlay};
use crate::node_api::{ErrorKind, NodeEvent, RpcError, SessionStatus, StopReason};
use crate::protocol::acp::{schema, Update};
use crate::sanitize::sanitize;

pub(super) fn on_event(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    match action {
        Action::NodeConnected {
            node,
            name,
            agents,
            remote,
        } => {
            while state.nodes.len() <= node {
                state.nodes.push(NodeView {
                    name: String::new(),
                    connected: false,
                    error: None,
                    agents: Vec::new(),
                    remote: false,
                    reconnecting: false,
                });
            }
            state.nodes[node] = NodeView {
                name,
                connected: true,
                error: None,
                agents,
                remote,
                reconnecting: false,
            };
            // Sessions left running there (by an earlier client, or another one), and its
            // history.
            fx.push(Effect::ListSessions { node });
            if remote {
                // The local node's auto-start stays for the local node.
            } else if let Some(options) = state.auto_start.take() {
                state.starting.push((options.agent.clone(), state.now_ms));
                fx.push(Effect::NewSession { node, options });
            }
        }
        Action::Node { node, event } => on_node_event(state, node, event),
        Action::NodeLink {
            node,
            online,
            reconnecting,
            reason,
        } => node_link(state, node, online, reconnecting, reason),
        Action::SessionsListed { node, result } => match result {
            Ok(list) => merge_listed(state, node, list),
            Err(e) => {
                let name = state.nodes.get(node).map_or("?", |n| n.name.as_str());
                let msg = format!("Node {name} did not list its sessions: {}", e.message);
                state.say(Level::Warning, msg)
            }
        },
        Action::Attached {
            session,
            result: Err(e),
        } => {
            if let Some(s) = state.session_mut(&session) {
                s.attached = false;
                s.transcript
                    .push_notice(Level::Error, format!("Could not attach: {}", describe(&e)));
            }
        }
        Action::Attached { result: Ok(()), .. } => {}
        Action::SessionCreated {
            node,
            options,
            result,
        } => {
            state.starting.retain(|(a, _)| *a != options.agent);
            match result {
                Ok(created) => {
                    let mut view = SessionView::new(
                        node,
                        created.session_id.clone(),
                        options.agent.clone(),
                        options.yolo,
                        state.now_ms,
                        options.cwd.display().to_string(),
                    );
                    if let Some(modes) = &created.modes {
                        view.mode = modes.current.as_deref().map(sanitize);
                        view.modes = modes.available.iter().map(|m| sanitize(m)).collect();
                    }
                    if options.yolo {
                        view.transcript.push_notice(
                            Level::Warning,
                            "YOLO is on: permission requests are approved automatically",
                        );
                    }
                    state.sessions.push(view);
                    let early: Vec<(usize, NodeEvent)> = std::mem::take(&mut state.early_events);
                    for (n, event) in early {
                        on_node_event(state, n, event);
                    }
                    state.active = Some(created.session_id);
                    state
                        .overlays
                        .retain(|o| !matches!(o, Overlay::Form(_) | Overlay::Nodes));
                }
                Err(e) => {
                    let msg = format!("Could not start {}: {}", options.agent, describe(&e));
                    match state.form_mut() {
                        Some(f) => {
                            f.pending = false;
                            f.error = Some(msg);
                        }
                        None => state.say(Level::Error, msg),
                    }
                }
            }
        }
        Action::PromptDone { session, result } => {
            let Some(s) = state.session_mut(&session) else {
                return;
            };
            s.prompt_in_flight = false;
            match result {
                Ok(done) => {
                    let tokens = done.usage.map(|u| (u.input_tokens, u.output_tokens));
                    if let Some((i, o)) = tokens {
                        s.tokens.0 += i;
                        s.tokens.1 += o;
                    }
                    let turn_state = match done.stop_reason {
                        StopReason::EndTurn => TurnState::Done,
                        StopReason::Cancelled => TurnState::Cancelled,
                        other => TurnState::Stopped(other.to_string()),
                    };
                    s.transcript.end_turn(turn_state, tokens);
                    if done.timed_out {
                        s.transcript
                            .push_notice(Level::Warning, "The prompt timed out and was cancelled");
                    }
                }
                Err(e) => {
                    let e = describe(&e);
                    s.transcript.end_turn(TurnState::Failed(e.clone()), None);
                    s.transcript.push_notice(Level::Error, e);
                }
            }
        }
        Action::TranscriptSaved { session, result } => match result {
            Ok(path) => {
                let msg = format!(
                    "Transcript saved to {} (/copy path copies it)",
                    path.display()
                );
                state.last_transcript = Some(path.clone());
                if let Some(s) = state.session_mut(&session) {
                    s.transcript.push_notice(Level::Info, msg.clone());
                }
                state.say(Level::Info, msg);
            }
            Err(e) => state.say(Level::Error, format!("Could not save the transcript: {e}")),
        },
        Action::ModeSet {
            mode,
            result: Err(e),
            ..
        } => {
            let why = match ErrorKind::of(&e) {
                ErrorKind::Unsupported => "the agent does not support modes".to_string(),
                _ => describe(&e),
            };
            state.say(Level::Error, format!("Could not set mode {mode}: {why}"));
        }
        Action::Failed(e) => state.say(Level::Error, e),
        Action::Copied(result) => match result {
            Ok(how) => state.say(Level::Info, format!("Copied ({how})")),
            Err(e) => state.say(Level::Error, format!("Could not copy: {e}")),
        },
        _ => {}
    }
}

/// An error from a node as the user reads it: its message, and what to do where the kind
/// says more than the message.
fn describe(e: &RpcError) -> String {
    match ErrorKind::of(e) {
        ErrorKind::AuthRequired => format!(
            "{} (the agent wants you to sign in: run its own login once, then try again)",
            e.message
        ),
        _ => e.message.clone(),
    }
}

/// A remote node came, went, or this client's broker link wavered.
fn node_link(
    state: &mut AppState,
    node: usize,
    online: bool,
    reconnecting: bool,
    reason: Option<String>,
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
        for s in state
            .sessions
            .iter_mut()
            .filter(|s| s.node == node && s.status.is_live())
        {
            s.status = SessionStatus::Failed;
            s.reason = Some(format!("lost ({why})"));
            s.prompt_in_flight = false;
            s.transcript
                .end_turn(TurnState::Failed(format!("lost ({why})")), None);
        }
        state.say(Level::Error, format!("Node {name} is offline: {why}"));
    }
}

/// Adds the sessions a node listed that this client does not know, unattached: opening one
/// attaches and replays it. Known ones take the node's status.
fn merge_listed(state: &mut AppState, node: usize, list: Vec<crate::node_api::SessionSummary>) {
    let mut added = 0;
    for summary in list {
        if let Some(s) = state.session_mut(&summary.session_id) {
            let lost = s.status == SessionStatus::Failed
                && s.reason.as_deref().is_some_and(|r| r.starts_with("lost"));
            if lost && summary.status.is_live() {
                // It outlived the node's absence: open it again to re-attach.
                s.attached = false;
                s.node = node;
            }
            if !s.attached {
                s.status = summary.status;
                s.reason = summary.reason.map(|r| sanitize(&r));
            }
            continue;
        }
        if !summary.status.is_live() {
            continue;
        }
        let mut view = SessionView::new(
            node,
            sanitize(&summary.session_id),
            sanitize(&summary.connector),
            summary.yolo,
            summary.created_ms,
            summary
                .cwd
                .map(|c| sanitize(&c.display().to_string()))
                .unwrap_or_default(),
        );
        view.status = summary.status;
        view.reason = summary.reason.map(|r| sanitize(&r));
        view.attached = false;
        state.sessions.push(view);
        added += 1;
    }
    if added > 0 {
        let name = state.nodes.get(node).map_or("?", |n| n.name.as_str());
        let msg =
            format!("{added} session(s) running on {name}: the Active Sessions overlay lists them");
        state.say(Level::Info, msg);
    }
}

fn event_session(event: &NodeEvent) -> Option<&str> {
    match event {
        NodeEvent::Update { session, .. }
        | NodeEvent::Permission { session, .. }
        | NodeEvent::Status { session, .. }
        | NodeEvent::AutoApproved { session, .. }
        | NodeEvent::Notice { session, .. }
        | NodeEvent::PermissionResolved { session, .. }
        | NodeEvent::Prompted { session, .. } => Some(session),
        NodeEvent::Disconnected(_) => None,
    }
}

/// How many events for not-yet-known sessions are kept.
const EARLY_EVENTS_LIMIT: usize = 1000;

fn on_node_event(state: &mut AppState, node: usize, event: NodeEvent) {
    if let Some(id) = event_session(&event) {
        // A session this client listed but does not follow yet: nothing to apply.
        if state.session(id).is_some_and(|s| !s.attached) {
            return;
        }
    }
    let session = match &event {
        NodeEvent::Update { session, .. }
        | NodeEvent::Permission { session, .. }
        | NodeEvent::Status { session, .. }
        | NodeEvent::AutoApproved { session, .. }
        | NodeEvent::Notice { session, .. }
        | NodeEvent::PermissionResolved { session, .. }
        | NodeEvent::Prompted { session, .. } => Some(session.clone()),
        NodeEvent::Disconnected(_) => None,
    };
    if let Some(id) = session {
        if state.session(&id).is_none() {
            if !state.starting.is_empty() && state.early_events.len() < EARLY_EVENTS_LIMIT {
                state.early_events.push((node, event));
            }
            return;
        }
    }
    match event {
        NodeEvent::Update { session, update } => {
            let Some(s) = state.session_mut(&session) else {
                return;
            };
            let agent = s.agent.clone();
            if s.transcript.apply(&agent, &update) {
                return;
            }
            use schema::SessionUpdate as U;
            if let Update::Known(u) = &update {
                match u.as_ref() {
                    U::AvailableCommandsUpdate(c) => {
                        s.commands = c
                            .available_commands
                            .iter()
                            .map(|c| AgentCommand {
                                name: sanitize(&c.name),
                                description: sanitize(&c.description),
                                hint: c.input.as_ref().and_then(|i| match i {
                                    schema::AvailableCommandInput::Unstructured(u) => {
                                        Some(sanitize(&u.hint))
                                    }
                                    #[allow(unreachable_patterns)]
                                    _ => None,
                                }),
                            })
                            .collect();
                    }
                    U::CurrentModeUpdate(m) => s.mode = Some(sanitize(&m.current_mode_id.0)),
                    U::UsageUpdate(u) => s.context_used = Some((u.used, u.size)),
                    _ => {}
                }
            }
        }
        NodeEvent::Permission {
            request,
            session,
            ask,
        } => {
            let Some(s) = state.session_mut(&session) else {
                return;
            };
            let agent = s.agent.clone();
            s.transcript.push_permission(&agent, request, &ask);
            s.status = SessionStatus::NeedsPermission;
            s.scroll = super::Scroll::Follow;
        }
        NodeEvent::Status {
            session,
            status,
            reason,
        } => {
            let Some(s) = state.session_mut(&session) else {
                return;
            };
            let reason = reason.map(|r| sanitize(&r));
            s.status = status;
            s.reason = reason.clone();
            if status == SessionStatus::Idle && !s.prompt_in_flight {
                // A turn this client did not start (another client's, or one replayed
                // after a resume) ends with the session going idle.
                s.transcript.end_turn(TurnState::Done, None);
            }
            if status == SessionStatus::Failed {
                let why = reason.unwrap_or_else(|| "unknown reason".into());
                s.transcript.end_turn(TurnState::Failed(why.clone()), None);
                s.transcript
                    .push_notice(Level::Error, format!("Session failed: {why}"));
                s.prompt_in_flight = false;
            }
        }
        NodeEvent::AutoApproved { session, title, .. } => {
            if let Some(s) = state.session_mut(&session) {
                let agent = s.agent.clone();
                s.transcript.push_auto_approved(&agent, &title);
            }
        }
        NodeEvent::Notice { session, message } => {
            if let Some(s) = state.session_mut(&session) {
                s.transcript.push_notice(Level::Warning, message);
            }
        }
        NodeEvent::PermissionResolved {
            session,
            request,
            option,
        } => {
            if let Some(s) = state.session_mut(&session) {
                s.transcript.resolve_permission(&request, option.as_deref());
            }
        }
        NodeEvent::Prompted { session, text } => {
            if let Some(s) = state.session_mut(&session) {
                // Another client's prompt: shown as this client's would be.
                s.transcript.end_turn(TurnState::Done, None);
                s.transcript.push_user(&text);
                let agent = s.agent.clone();
                s.transcript.start_turn(&agent);
                s.scroll = super::Scroll::Follow;
            }
        }
        NodeEvent::Disconnected(reason) => {
            let reason = sanitize(&reason);
            let mut remote = false;
            if let Some(n) = state.nodes.get_mut(node) {
                n.connected = false;
                n.error = Some(reason.clone());
                remote = n.remote;
            }
            for s in state
                .sessions
                .iter_mut()
                .filter(|s| s.node == node && s.status.is_live())
            {
                s.status = SessionStatus::Failed;
                // A remote node's sessions may well live on: "lost" ones are offered again
                // when the node is linked and lists them.
                s.reason = Some(if remote {
                    format!("lost (node disconnected: {reason})")
                } else {
                    format!("node disconnected: {reason}")
                });
                s.prompt_in_flight = false;
            }
            state.say(Level::Error, format!("Node disconnected: {reason}"));
        }
    }
}
