//! Running a slash command typed into the chat input: built-ins act on the app; the agent's
//! own commands are sent to it as prompts; anything else is refused with a clear message and
//! nothing reaches the agent.

use super::effect::Effect;
use super::slash::BUILTINS;
use super::transcript::Level;
use super::{AppState, Overlay};
use crate::node_api::SessionOptions;
use std::path::PathBuf;

/// What happened to the input.
pub(super) enum Outcome {
    /// Handled here; clear the input.
    Done,
    /// An agent command: send the text as a prompt.
    SendToAgent,
    /// Refused; keep the input so it can be fixed.
    Refused,
}

pub(super) fn run(state: &mut AppState, text: &str, fx: &mut Vec<Effect>) -> Outcome {
    let body = text.trim().trim_start_matches('/');
    let (name, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    let rest = rest.trim();
    let Some(s) = state.active_session() else {
        return Outcome::Refused;
    };
    let (node, id, agent, cwd) = (s.node, s.id.clone(), s.agent.clone(), s.cwd.clone());
    if !BUILTINS.iter().any(|b| b.name == name) {
        if s.commands.iter().any(|c| c.name == name) {
            return Outcome::SendToAgent;
        }
        state.say(
            Level::Error,
            format!("Unknown command /{name} — nothing was sent (Tab lists commands)"),
        );
        return Outcome::Refused;
    }
    match name {
        "help" => {
            state.help_scroll = 0;
            state.overlays.push(Overlay::Help);
        }
        "status" => {
            let s = state.active_session().expect("checked above");
            let node_name = state
                .nodes
                .get(node)
                .map(|n| n.name.clone())
                .unwrap_or_default();
            let text = format!(
                "node {node_name} · agent {agent} · session {id} · {} · cwd {} · YOLO {} · tokens ⇡ {} ⇣ {}{}",
                s.status,
                s.cwd,
                if s.yolo { "on" } else { "off" },
                s.tokens.0,
                s.tokens.1,
                s.context_used.map(|(u, t)| format!(" · context {u}/{t}")).unwrap_or_default()
            );
            notice(state, text);
        }
        "history" => {
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
        "transcript" => fx.push(Effect::SaveTranscript {
            session: id,
            path: (!rest.is_empty()).then(|| PathBuf::from(rest)),
        }),
        "cancel" => {
            if state.active_session().is_some_and(|s| s.prompt_in_flight) {
                fx.push(Effect::Cancel { node, session: id });
                state.say(Level::Info, "Cancelling…");
            } else {
                state.say(Level::Info, "Nothing to cancel");
            }
        }
        "stop" => super::keys::close_session(state, &id, fx),
        "detach" => {
            state.active = None;
            state.say(
                Level::Info,
                "Paused — Ctrl+W in the Nodes window lists sessions",
            );
        }
        "quit" => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        "yolo" => super::keys::toggle_yolo(state, fx),
        "copy" => {
            let text = match rest {
                "" | "answer" => state
                    .active_session()
                    .and_then(|s| s.transcript.last_answer()),
                "code" => state
                    .active_session()
                    .and_then(|s| s.transcript.last_code_block()),
                "path" => state
                    .last_transcript
                    .as_ref()
                    .map(|p| p.display().to_string()),
                other => {
                    state.say(
                        Level::Error,
                        format!("/copy takes answer, code or path, not `{other}`"),
                    );
                    return Outcome::Refused;
                }
            };
            match text {
                Some(t) => fx.push(Effect::Copy(t)),
                None => state.say(Level::Warning, "Nothing to copy yet"),
            }
        }
        "mode" => {
            let s = state.active_session().expect("checked above");
            if rest.is_empty() {
                let text = match (&s.mode, s.modes.is_empty()) {
                    (_, true) => "This agent offers no session modes".to_string(),
                    (cur, false) => format!(
                        "Modes: {} (current: {})",
                        s.modes.join(", "),
                        cur.as_deref().unwrap_or("?")
                    ),
                };
                notice(state, text);
            } else if s.modes.iter().any(|m| m == rest) {
                fx.push(Effect::SetMode {
                    node,
                    session: id,
                    mode: rest.to_string(),
                });
            } else {
                state.say(
                    Level::Error,
                    format!("Unknown mode `{rest}`; /mode lists them"),
                );
                return Outcome::Refused;
            }
        }
        "theme" => {
            if state.themes.iter().any(|t| t == rest) {
                state.theme = rest.to_string();
                fx.push(Effect::SetTheme(rest.to_string()));
            } else {
                state.say(
                    Level::Error,
                    format!("No theme `{rest}` (available: {})", state.themes.join(", ")),
                );
                return Outcome::Refused;
            }
        }
        "new" => {
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
        "session" => return session(state, rest, fx),
        "node" => {
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
        _ => unreachable!("every builtin is handled"),
    }
    Outcome::Done
}

fn session(state: &mut AppState, rest: &str, fx: &mut Vec<Effect>) -> Outcome {
    let (sub, arg) = rest.split_once(' ').unwrap_or((rest, ""));
    let find = |state: &AppState, arg: &str| -> Option<String> {
        let hits: Vec<&str> = state
            .live_sessions()
            .iter()
            .filter(|s| s.id.starts_with(arg))
            .map(|s| s.id.as_str())
            .collect();
        (hits.len() == 1 && !arg.is_empty()).then(|| hits[0].to_string())
    };
    match sub {
        "" | "list" => {
            let now = state.now_ms;
            let text = state
                .live_sessions()
                .iter()
                .map(|s| {
                    format!(
                        "{} {} {} {}s",
                        s.id_preview(),
                        s.agent,
                        s.status,
                        now.saturating_sub(s.created_ms) / 1000
                    )
                })
                .collect::<Vec<_>>()
                .join(" · ");
            notice(state, format!("Sessions: {text}"));
        }
        "resume" | "close" => match find(state, arg.trim()) {
            Some(id) if sub == "resume" => {
                state.active = Some(id);
                state.overlays.clear();
            }
            Some(id) => super::keys::close_session(state, &id, fx),
            None => {
                state.say(
                    Level::Error,
                    format!("No single live session matches `{}`", arg.trim()),
                );
                return Outcome::Refused;
            }
        },
        other => {
            state.say(
                Level::Error,
                format!("Unknown subcommand /session {other} (list, resume ID, close ID)"),
            );
            return Outcome::Refused;
        }
    }
    Outcome::Done
}

fn notice(state: &mut AppState, text: String) {
    if let Some(s) = state.active_session_mut() {
        s.transcript.push_notice(Level::Info, text);
        s.scroll = super::Scroll::Follow;
    }
}
