//! Node events and effect results: session updates into transcripts (the rest of an update
//! is `updates.rs`), status changes, permission requests, created sessions, finished prompts,
//! attaches, saved transcripts, config options set, drafts edited.
//! Listings and node links are `listing.rs`; what makes news of them is `attention.rs`.

use super::action::Action;
use super::attention::{self, TurnEnd};
use super::effect::Effect;
use super::lifecycle::LifeKind;
use super::listing;
use super::session::{Replay, SessionView};
use super::transcript::{Level, TurnState};
use super::{AppState, NodeView, Overlay, Scope};
use crate::node_api::{ErrorKind, NodeEvent, RpcError, SessionStatus, StopReason};
use crate::protocol::acp::Update;
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
                    last_beat_ms: None,
                });
            }
            state.nodes[node] = NodeView {
                name,
                connected: true,
                error: None,
                agents,
                remote,
                reconnecting: false,
                last_beat_ms: remote.then_some(state.now_ms),
            };
            // Sessions left running there (by an earlier client, or another one), and its
            // history.
            fx.push(Effect::ListSessions { node });
            // The auto-start goes to the local node, or to the node `--node` names.
            let wanted = match &state.auto_start_node {
                Some(name) => state.nodes[node].name == *name,
                None => !remote,
            };
            if !wanted || state.launch.is_some() {
                // With `--continue` or `--resume` it waits for the local node's listing (see
                // `launch.rs`).
            } else if let Some(options) = state.auto_start.take() {
                state.starting.push((options.agent.clone(), state.now_ms));
                fx.push(Effect::NewSession { node, options });
            }
        }
        Action::Node { node, event } => on_node_event(state, node, event, fx),
        Action::NodeBeat { node } => {
            let now = state.now_ms;
            if let Some(n) = state.nodes.get_mut(node) {
                n.last_beat_ms = Some(now);
            }
        }
        Action::NodeLink {
            node,
            online,
            reconnecting,
            reason,
        } => listing::node_link(state, node, online, reconnecting, reason, fx),
        Action::SessionsListed { node, result } => {
            match result {
                Ok(list) => listing::merge_listed(state, node, list),
                Err(e) => {
                    let name = state.nodes.get(node).map_or("?", |n| n.name.as_str());
                    let msg = format!("Node {name} did not list its sessions: {}", e.message);
                    state.say(Level::Warning, msg)
                }
            }
            let local = state.nodes.get(node).is_some_and(|n| !n.remote);
            if local {
                super::launch::apply(state, node, fx);
            } else {
                super::launch::retry(state, fx);
            }
        }
        Action::Attached { session, result } => attached(state, &session, result),
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
                    view.timeout_secs = created.prompt_timeout_secs.or(options.prompt_timeout_secs);
                    view.lifecycle.push(state.now_ms, LifeKind::Started);
                    view.transcript.model = created.model.as_deref().map(sanitize);
                    if let Some(modes) = &created.modes {
                        super::updates::modes(&mut view, modes);
                    }
                    super::options::apply(&mut view, created.options.clone());
                    for problem in std::mem::take(&mut state.startup_notices) {
                        view.transcript.push_notice(Level::Error, problem);
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
                        on_node_event(state, n, event, fx);
                    }
                    state.set_active(Some(created.session_id));
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
            state.end_turn_messages(&session);
            let Some(s) = state.session_mut(&session) else {
                return;
            };
            s.prompt_in_flight = false;
            let end = match result {
                Ok(done) => {
                    let tokens = done.usage.map(|u| (u.input_tokens, u.output_tokens));
                    if let Some((i, o)) = tokens {
                        s.tokens.0 += i;
                        s.tokens.1 += o;
                    }
                    let stop = done.stop_reason.to_string();
                    let turn_state = match done.stop_reason {
                        StopReason::EndTurn => TurnState::Done,
                        StopReason::Cancelled => TurnState::Cancelled,
                        other => TurnState::Stopped(other.to_string()),
                    };
                    s.transcript.end_turn(turn_state, tokens);
                    if done.timed_out {
                        s.transcript
                            .push_notice(Level::Warning, "The prompt timed out and was cancelled");
                        TurnEnd::Stopped("timed out".into())
                    } else {
                        TurnEnd::Stopped(stop)
                    }
                }
                Err(e) => {
                    let e = describe(&e);
                    s.transcript.end_turn(TurnState::Failed(e.clone()), None);
                    s.transcript.push_notice(Level::Error, e.clone());
                    TurnEnd::Failed(e)
                }
            };
            let finished = matches!(&end, TurnEnd::Stopped(r) if r == "end_turn");
            attention::touch(state, &session);
            attention::turn_ended(state, &session, end, fx);
            super::queue::turn_over(state, &session, finished, fx);
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
            session,
            mode,
            result: Ok(()),
        } => state.say_in(
            Scope::Session(session),
            Level::Info,
            format!("Mode: {mode}"),
        ),
        Action::ModeSet {
            session,
            mode,
            result: Err(e),
        } => {
            let why = match ErrorKind::of(&e) {
                ErrorKind::Unsupported => "the agent does not support modes".to_string(),
                _ => describe(&e),
            };
            let text = format!("Could not set mode {mode}: {why}");
            state.say_in(Scope::Session(session), Level::Error, text);
        }
        Action::OptionSet {
            session,
            option,
            result,
        } => super::options::answered(state, session, option, result),
        Action::OptionsHeard {
            session,
            options,
            modes,
        } => {
            if let Some(s) = state.session_mut(&session) {
                if let Some(m) = modes {
                    super::updates::modes(s, &m);
                }
                if !options.is_empty() {
                    super::options::apply(s, options);
                }
            }
        }
        Action::Edited { session, result } => match result {
            Ok(text) => {
                if let Some(s) = state.session_mut(&session) {
                    s.set_input(&text);
                    s.history_pos = None;
                }
                let lines = text.lines().count();
                let what = if lines > 1 {
                    format!("Draft edited ({lines} lines); Enter sends it")
                } else {
                    "Draft edited; Enter sends it".to_string()
                };
                state.say_in(Scope::Session(session), Level::Info, what);
            }
            Err(e) => state.say_in(
                Scope::Session(session),
                Level::Error,
                format!("Could not edit the draft: {e}"),
            ),
        },
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
pub(super) fn describe(e: &RpcError) -> String {
    match ErrorKind::of(e) {
        ErrorKind::AuthRequired => format!(
            "{} (the agent wants you to sign in: run its own login once, then try again)",
            e.message
        ),
        _ => e.message.clone(),
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
        | NodeEvent::Prompted { session, .. }
        | NodeEvent::TurnEnded { session, .. } => Some(session),
        NodeEvent::Disconnected(_) => None,
    }
}

/// How many events for not-yet-known sessions are kept.
const EARLY_EVENTS_LIMIT: usize = 1000;

fn on_node_event(state: &mut AppState, node: usize, event: NodeEvent, fx: &mut Vec<Effect>) {
    if let Some(id) = event_session(&event) {
        match state.session(id) {
            // A session this client listed but does not follow yet: nothing to apply.
            Some(s) if !s.attached => return,
            Some(_) => {}
            None => {
                if !state.starting.is_empty() && state.early_events.len() < EARLY_EVENTS_LIMIT {
                    state.early_events.push((node, event));
                }
                return;
            }
        }
        let id = id.to_string();
        attention::touch(state, &id);
    }
    match event {
        NodeEvent::Update { session, update } => {
            let Some(s) = state.session_mut(&session) else {
                return;
            };
            let agent = s.agent.clone();
            s.turn_text_bytes += super::updates::streamed_text(&update);
            if s.transcript.apply(&agent, &update) {
                return;
            }
            if let Update::Known(u) = &update {
                super::updates::apply(s, u);
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
            let what = ask.tool_call.fields.title.as_deref().map(sanitize);
            let what = what.unwrap_or_else(|| "a tool call".into());
            attention::permission_asked(state, &session, &what, fx);
        }
        NodeEvent::Status {
            session,
            status,
            reason,
        } => status_changed(state, &session, status, reason, fx),
        NodeEvent::AutoApproved { session, title, .. } => {
            if let Some(s) = state.session_mut(&session) {
                let agent = s.agent.clone();
                s.transcript.push_auto_approved(&agent, &title);
            }
        }
        NodeEvent::Notice {
            session,
            message,
            info,
        } => {
            if let Some(s) = state.session_mut(&session) {
                let level = if info { Level::Info } else { Level::Warning };
                s.transcript.push_notice(level, message);
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
                // Another client's prompt (or a replayed one): shown as this client's would be.
                s.transcript.end_turn(TurnState::Done, None);
                s.transcript.push_user(&text);
                let agent = s.agent.clone();
                s.transcript.start_turn(&agent);
                s.scroll = super::Scroll::Follow;
                s.turn_open = false;
                super::updates::prompt_title(s, &text);
            }
            attention::turn_started(state, &session);
        }
        // The turn's end is applied from its status change (and this client's own prompt's
        // answer); this is for followers that watch a session without prompting it.
        NodeEvent::TurnEnded { .. } => {}
        NodeEvent::Disconnected(reason) => {
            let reason = sanitize(&reason);
            let mut remote = false;
            if let Some(n) = state.nodes.get_mut(node) {
                n.connected = false;
                n.error = Some(reason.clone());
                remote = n.remote;
            }
            // A remote node's sessions may well live on: "lost" ones are offered again
            // when the node is linked and lists them.
            let why = if remote {
                format!("lost (node disconnected: {reason})")
            } else {
                format!("node disconnected: {reason}")
            };
            listing::lose_sessions(state, node, &why, fx);
            state.say(Level::Error, format!("Node disconnected: {reason}"));
        }
    }
}

fn status_changed(
    state: &mut AppState,
    session: &str,
    status: SessionStatus,
    reason: Option<String>,
    fx: &mut Vec<Effect>,
) {
    let Some(s) = state.session_mut(session) else {
        return;
    };
    let reason = reason.map(|r| sanitize(&r));
    let was_live = s.status.is_live();
    s.status = status;
    s.reason = reason.clone();
    if status.is_live() {
        s.ended_ms = None;
    }
    match status {
        SessionStatus::Idle if !s.prompt_in_flight => {
            // A turn this client did not start (another client's, or one replayed after a
            // resume) ends with the session going idle.
            s.transcript.end_turn(TurnState::Done, None);
            attention::turn_ended(state, session, TurnEnd::Stopped("end_turn".into()), fx);
        }
        SessionStatus::Working => attention::turn_started(state, session),
        SessionStatus::Failed => {
            let why = reason.unwrap_or_else(|| "unknown reason".into());
            s.transcript.end_turn(TurnState::Failed(why.clone()), None);
            s.transcript
                .push_notice(Level::Error, format!("Session failed: {why}"));
            s.prompt_in_flight = false;
            if was_live {
                attention::ended(state, session, Some(&why), true, fx);
            }
        }
        SessionStatus::Closed if was_live => attention::ended(state, session, None, true, fx),
        _ => {}
    }
}

/// Attaching (or reopening) finished: its replay is applied, what comes next is news.
fn attached(state: &mut AppState, session: &str, result: Result<(), RpcError>) {
    let Some(s) = state.session_mut(session) else {
        return;
    };
    let replay = s.replay.take();
    if result.is_ok() && replay == Some(Replay::Reopen) {
        // "Reopening …" has happened: the transcript says how it went.
        if state
            .status
            .as_ref()
            .is_some_and(|m| m.text.starts_with("Reopening "))
        {
            state.status = None;
        }
        return;
    }
    if let Err(e) = result {
        let why = describe(&e);
        if replay != Some(Replay::Reopen) {
            s.attached = false;
            s.transcript
                .push_notice(Level::Error, format!("Could not attach: {why}"));
        } else {
            s.status = SessionStatus::Failed;
            s.reason = Some(format!("could not reopen: {why}"));
            s.transcript
                .push_notice(Level::Error, format!("Could not reopen: {why}"));
        }
    }
}
