//! The one command executor: [`execute`] runs a [`Command`], whether a key (through the keymap)
//! or a slash command (through [`run_slash`]) produced it. Slash commands the agent
//! advertised are sent to it as prompts; anything else is refused with a clear message and
//! nothing reaches the agent.

use super::command::{parse_slash, Command, Context, CopyWhat, ScrollTo, Slash};
use super::effect::Effect;
use super::fleet::{self, Move};
use super::open::{self, Switch};
use super::ops;
use super::session::Scroll;
use super::transcript::Level;
use super::{AppState, Overlay, Scope};
use crate::node_api::SessionOptions;
use std::path::PathBuf;

/// Whether a command did what it was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Done,
    /// Refused with a message; a typed command stays in the input so it can be fixed.
    Refused,
}

/// What happened to a line typed with a leading `/`.
pub(super) enum SlashOutcome {
    /// Handled here; clear the input.
    Done,
    /// An agent command: send the text as a prompt.
    SendToAgent,
    /// Refused; keep the input so it can be fixed.
    Refused,
}

/// Runs a slash command typed into the chat input.
pub(super) fn run_slash(state: &mut AppState, text: &str, fx: &mut Vec<Effect>) -> SlashOutcome {
    let Some(s) = state.active_session() else {
        return SlashOutcome::Refused;
    };
    match parse_slash(text) {
        Slash::Builtin(cmd) => match execute(state, cmd, fx) {
            Outcome::Done => SlashOutcome::Done,
            Outcome::Refused => SlashOutcome::Refused,
        },
        Slash::BadArgs(e) => {
            state.say(Level::Error, e);
            SlashOutcome::Refused
        }
        Slash::Other(name) if s.commands.iter().any(|c| c.name == name) => {
            SlashOutcome::SendToAgent
        }
        Slash::Other(name) => {
            let hint = ops::key_hint(state, Context::Chat, "complete", "Tab");
            state.say(
                Level::Error,
                format!(
                    "Unknown command /{name} — nothing was sent ({hint} lists commands; //{name} sends it as typed)"
                ),
            );
            SlashOutcome::Refused
        }
    }
}

/// Quits now.
pub(super) fn quit(state: &mut AppState, fx: &mut Vec<Effect>) {
    state.confirm_quit = false;
    state.quit = true;
    fx.push(Effect::Quit);
}

/// Runs one command against the state.
pub(super) fn execute(state: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) -> Outcome {
    match cmd {
        Command::Quit => {
            if state.ending_on_quit().0 > 0 && !state.confirm_quit {
                state.confirm_quit = true;
            } else {
                quit(state, fx);
            }
        }
        Command::ToggleMouse => {
            state.mouse_capture = !state.mouse_capture;
            fx.push(Effect::SetMouseCapture(state.mouse_capture));
            let key = ops::key_hint(state, Context::Chat, "app.mouse", "/mouse");
            let text = if state.mouse_capture {
                format!("Mouse capture on: the wheel scrolls, Shift+drag selects text ({key} turns it off)")
            } else {
                format!("Mouse capture off: drag selects text, the wheel scrolls the terminal ({key} turns it on)")
            };
            state.say(Level::Info, text);
        }
        Command::Help => {
            if state.overlays.last() != Some(&Overlay::Help) {
                state.help_scroll = 0;
                state.overlays.push(Overlay::Help);
            }
        }
        Command::ToggleNodes => {
            ops::toggle(state, Overlay::Nodes);
            if state.overlays.last() == Some(&Overlay::Nodes) {
                // Opening the window asks remote nodes for sessions this client has not seen.
                for (node, n) in state.nodes.iter().enumerate() {
                    if n.remote && n.connected {
                        fx.push(super::Effect::ListSessions { node });
                    }
                }
            }
        }
        Command::ToggleSessions => ops::toggle(state, Overlay::Sessions),
        Command::CloseWindow => {
            state.overlays.pop();
        }
        Command::Send => ops::send(state, fx),
        Command::Newline => {
            if let Some(s) = state.active_session_mut() {
                s.input.insert_newline();
            }
        }
        Command::CancelOrClose => ops::cancel_or_close(state, fx),
        Command::Cancel => match state.active_session() {
            Some(s) if s.prompt_in_flight => {
                let (node, session) = (s.node, s.id.clone());
                fx.push(Effect::Cancel {
                    node,
                    session: session.clone(),
                });
                state.say_in(Scope::Turn(session), Level::Info, "Cancelling…");
            }
            _ => state.say(Level::Info, "Nothing to cancel"),
        },
        Command::Pause => {
            if let Some(s) = state.active.clone() {
                state.set_active(None);
                let hint = ops::key_hint(state, Context::Nodes, "sessions.toggle", "/session");
                state.say(
                    Level::Info,
                    format!(
                        "Paused {} — it keeps running; {hint} lists sessions",
                        ops::short(&s)
                    ),
                );
            }
        }
        Command::Stop => {
            if let Some(id) = state.active.clone() {
                super::open::close(state, &id, fx);
            }
        }
        Command::SaveTranscript(path) => {
            if let Some(s) = state.active_session() {
                fx.push(Effect::SaveTranscript {
                    node: s.node,
                    session: s.id.clone(),
                    path,
                });
            }
        }
        Command::Copy(what) => {
            let text = match what {
                CopyWhat::Answer => state
                    .active_session()
                    .and_then(|s| s.transcript.last_answer()),
                CopyWhat::Code => state
                    .active_session()
                    .and_then(|s| s.transcript.last_code_block()),
                CopyWhat::Path => state
                    .last_transcript
                    .as_ref()
                    .map(|p| p.display().to_string()),
            };
            match text {
                Some(t) => fx.push(Effect::Copy(t)),
                None => state.say(Level::Warning, "Nothing to copy yet"),
            }
        }
        Command::ToggleYolo => ops::toggle_yolo(state, fx),
        Command::ToggleThoughts => state.show_thoughts = !state.show_thoughts,
        Command::ToggleTools => state.show_tool_output = !state.show_tool_output,
        Command::ExternalEditor => {
            let Some(s) = state.active_session() else {
                return Outcome::Refused;
            };
            fx.push(Effect::EditDraft {
                session: s.id.clone(),
                text: s.input_text(),
            });
        }
        Command::ToggleToolInput => {
            state.show_tool_input = !state.show_tool_input;
            let what = if state.show_tool_input {
                "Tool calls show their raw input"
            } else {
                "Tool calls show a summary of their input"
            };
            state.say(Level::Info, what);
        }
        Command::Scroll(to) => scroll(state, to),
        Command::Complete => super::completion::open_popup(state, false),
        Command::HistorySearch => super::completion::open_popup(state, true),
        Command::NavUp => ops::navigate(state, -1),
        Command::NavDown => ops::navigate(state, 1),
        Command::NavPageUp => fleet::move_selection(state, Move::Page(-1)),
        Command::NavPageDown => fleet::move_selection(state, Move::Page(1)),
        Command::NavFirst => fleet::move_selection(state, Move::First),
        Command::NavLast => fleet::move_selection(state, Move::Last),
        Command::NewSessionForm => ops::open_form(state),
        Command::ResumeSelected => {
            if let Some(id) = fleet::shown_id(state) {
                open::open(state, &id, fx);
            }
        }
        Command::DiscardSelected => fleet::discard_selected(state, fx),
        Command::SessionDetail => fleet::open_detail(state),
        Command::SessionsBack => {
            if state.fleet.query.is_empty() {
                state.overlays.pop();
            } else {
                state.fleet.query.clear();
            }
        }
        Command::SessionNext => open::switch(state, Switch::By(1), fx),
        Command::SessionPrev => open::switch(state, Switch::By(-1), fx),
        Command::SessionGoto(n) => open::switch(state, Switch::To(n), fx),
        Command::FormToggle => {
            if let Some(f) = state.form_mut() {
                if f.field == 0 {
                    f.yolo = !f.yolo;
                }
            }
        }
        Command::FormSubmit => ops::submit_form(state, fx),
        Command::PermissionChoose => ops::answer_permission(state, None, fx),
        Command::PermissionReject => ops::reject_permission(state, fx),
        Command::Status => status(state),
        Command::History => history(state),
        Command::Mode(mode) => return super::options::mode(state, mode, fx),
        Command::Model(model) => return super::options::model(state, model, fx),
        Command::Options(arg) => return super::options::options(state, arg, fx),
        Command::Theme(name) => {
            if state.themes.contains(&name) {
                state.theme = name.clone();
                state.say(Level::Info, format!("Theme: {name}"));
                fx.push(Effect::SetTheme(name));
            } else {
                state.say(
                    Level::Error,
                    format!("No theme `{name}` (available: {})", state.themes.join(", ")),
                );
                return Outcome::Refused;
            }
        }
        Command::New => {
            let Some(s) = state.active_session() else {
                return Outcome::Refused;
            };
            let (node, agent, cwd) = (s.node, s.agent.clone(), s.cwd.clone());
            state.starting.push((agent.clone(), state.now_ms));
            fx.push(Effect::NewSession {
                node,
                options: SessionOptions {
                    agent,
                    cwd: PathBuf::from(cwd),
                    yolo: false,
                    prompt_timeout_secs: None,
                },
            });
        }
        Command::SessionList => session_list(state),
        Command::SessionResume(prefix) => match open::resolve(state, &prefix) {
            Ok(id) => {
                if !open::open(state, &id, fx) {
                    return Outcome::Refused;
                }
            }
            Err(e) => return refuse(state, e.message),
        },
        Command::SessionClose(prefix) => match open::resolve(state, &prefix) {
            Ok(id) => open::close(state, &id, fx),
            Err(e) => return refuse(state, e.message),
        },
        Command::Nodes => nodes(state),
    }
    Outcome::Done
}

fn scroll(state: &mut AppState, to: ScrollTo) {
    match to {
        ScrollTo::PageUp => ops::scroll_by(state, -(ops::page(state) as i64)),
        ScrollTo::PageDown => ops::scroll_by(state, ops::page(state) as i64),
        ScrollTo::Top => {
            if let Some(s) = state.active_session_mut() {
                s.scroll_to(Scroll::Top(0));
            }
        }
        ScrollTo::Bottom => {
            if let Some(s) = state.active_session_mut() {
                s.scroll = Scroll::Follow;
            }
        }
    }
}

fn refuse(state: &mut AppState, message: String) -> Outcome {
    state.say(Level::Error, message);
    Outcome::Refused
}

fn status(state: &mut AppState) {
    let Some(s) = state.active_session() else {
        return;
    };
    let node_name = state
        .nodes
        .get(s.node)
        .map(|n| n.name.clone())
        .unwrap_or_default();
    let text = format!(
        "node {node_name} · agent {} · session {} · {} · cwd {} · YOLO {} · tokens ⇡ {} ⇣ {}{}",
        s.agent,
        s.id,
        s.status,
        s.cwd,
        if s.yolo { "on" } else { "off" },
        s.tokens.0,
        s.tokens.1,
        s.context_used
            .map(|(u, t)| format!(" · context {u}/{t}"))
            .unwrap_or_default()
    );
    notice(state, text);
}

fn history(state: &mut AppState) {
    let list: Vec<String> = state
        .history
        .iter()
        .rev()
        .take(20)
        .enumerate()
        .map(|(i, h)| format!("{}. {}", i + 1, h.lines().next().unwrap_or_default()))
        .collect();
    let text = if list.is_empty() {
        "No earlier prompts".to_string()
    } else {
        format!("Earlier prompts (newest first): {}", list.join(" · "))
    };
    notice(state, text);
}

/// How many sessions `/session list` names.
const LISTED: usize = 12;

fn session_list(state: &mut AppState) {
    let rows = fleet::rows_unfiltered(state);
    let mut text: Vec<String> = rows
        .iter()
        .take(LISTED)
        .map(|r| {
            let e = state.entry(r.at);
            let title = e.title().map(|t| super::lifecycle::cut(t, 40));
            let title = title.map(|t| format!(" “{t}”")).unwrap_or_default();
            let id = super::session::short_id(e.id());
            format!("{id} {} {}{title}", e.agent(), e.status())
        })
        .collect();
    if rows.len() > LISTED {
        let hint = ops::key_hint(state, Context::Nodes, "sessions.toggle", "the overlay");
        text.push(format!(
            "{} more ({hint} lists them all)",
            rows.len() - LISTED
        ));
    }
    let text = match text.is_empty() {
        true => "none".to_string(),
        false => text.join(" · "),
    };
    notice(state, format!("Sessions: {text}"));
}

fn nodes(state: &mut AppState) {
    let text = state
        .nodes
        .iter()
        .map(|n| {
            let status = if n.connected {
                "connected".to_string()
            } else {
                format!("disconnected: {}", n.error.clone().unwrap_or_default())
            };
            format!("{} ({status}; agents: {})", n.name, n.agents.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    notice(state, format!("Nodes: {text}"));
}

/// A line in the active session's transcript.
/// Shows `text` as a notice in the active session's chat.
pub(super) fn notice(state: &mut AppState, text: String) {
    if let Some(s) = state.active_session_mut() {
        s.transcript.push_notice(Level::Info, text);
        s.scroll = Scroll::Follow;
    }
}
