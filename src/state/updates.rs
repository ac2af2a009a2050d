//! Session updates beyond the transcript: what the agent advertises (commands, mode, config
//! options, usage and cost, title), the title a prompt gives, and how much text a turn has
//! streamed (the working indicator's token estimate).

use super::lifecycle;
use super::session::{AgentCommand, SessionView};
use crate::protocol::acp::{schema, Update};
use crate::sanitize::sanitize;

/// The session's modes as the agent advertised them (`session/new`, or as its node kept them).
pub(super) fn modes(s: &mut SessionView, modes: &crate::node_api::Modes) {
    s.mode = modes.current.as_deref().map(sanitize);
    s.modes = modes.available.iter().map(|m| sanitize(m)).collect();
}

/// The answer or thought text an update streams, in bytes.
pub(super) fn streamed_text(update: &Update) -> u64 {
    use schema::SessionUpdate as U;
    match update {
        Update::Known(u) => match u.as_ref() {
            U::AgentMessageChunk(c) | U::AgentThoughtChunk(c) => match &c.content {
                schema::ContentBlock::Text(t) => t.text.len() as u64,
                _ => 0,
            },
            _ => 0,
        },
        _ => 0,
    }
}

/// A session update the transcript does not show: commands, mode, config options, usage and
/// cost, title.
pub(super) fn apply(s: &mut SessionView, u: &schema::SessionUpdate) {
    use schema::SessionUpdate as U;
    match u {
        U::AvailableCommandsUpdate(c) => {
            s.commands = c
                .available_commands
                .iter()
                .map(|c| AgentCommand {
                    name: sanitize(&c.name),
                    description: sanitize(&c.description),
                    hint: c.input.as_ref().and_then(|i| match i {
                        schema::AvailableCommandInput::Unstructured(u) => Some(sanitize(&u.hint)),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }),
                })
                .collect();
        }
        U::CurrentModeUpdate(m) => s.mode = Some(sanitize(&m.current_mode_id.0)),
        U::ConfigOptionUpdate(c) => super::options::apply(
            s,
            c.config_options
                .iter()
                .filter_map(crate::node_api::ConfigOption::from_schema)
                .collect(),
        ),
        U::UsageUpdate(u) => {
            s.context_used = Some((u.used, u.size));
            if let Some(c) = &u.cost {
                s.cost = Some((c.amount, sanitize(&c.currency)));
            }
        }
        U::SessionInfoUpdate(info) => {
            use agent_client_protocol_schema::MaybeUndefined as M;
            match &info.title {
                M::Value(t) => {
                    if let Some(t) = lifecycle::title_from(&sanitize(t)) {
                        s.title = Some(t);
                        s.agent_title = true;
                    }
                }
                M::Null => {
                    // Cleared: back to the first prompt's first line.
                    s.agent_title = false;
                    s.title = s.transcript.entries.iter().find_map(|e| match &e.kind {
                        super::transcript::EntryKind::User { text } => lifecycle::title_from(text),
                        _ => None,
                    });
                }
                M::Undefined => {}
            }
        }
        _ => {}
    }
}

/// A prompt names the session until the agent gives it a title.
pub(super) fn prompt_title(s: &mut SessionView, text: &str) {
    if !s.agent_title && s.title.is_none() {
        s.title = lifecycle::title_from(text);
    }
}
