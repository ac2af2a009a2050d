//! The node API: the vocabulary a node and its clients share, as data only (no I/O, no
//! JSON): events a node reports, options for a new session, what calls return, session
//! statuses, stop reasons, usage, modes and typed errors. `node` speaks it on the node's
//! side and the node client (`node::client::NodeClient`) translates the wire's JSON into it,
//! so the app state depends on this module and not on the node's client or its transport.
//!
//! The session lifecycle ([`SessionStatus`]): initializing → idle ⇄ working → (failed |
//! closed), with `needs_permission` while a permission request waits for an answer.

pub use crate::protocol::acp::{schema, Update};
pub use crate::protocol::jsonrpc::codes;
pub use crate::protocol::{Id, RpcError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Initializing,
    Idle,
    Working,
    NeedsPermission,
    Failed,
    Closed,
}

impl SessionStatus {
    /// Whether the session can still take prompts (now or after the current one).
    pub fn is_live(self) -> bool {
        !matches!(self, SessionStatus::Failed | SessionStatus::Closed)
    }

    /// Whether a prompt is in flight.
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            SessionStatus::Working | SessionStatus::NeedsPermission
        )
    }

    /// The wire name (`needs_permission`), as serde writes it.
    pub fn label_wire(self) -> &'static str {
        match self {
            SessionStatus::Initializing => "initializing",
            SessionStatus::Idle => "idle",
            SessionStatus::Working => "working",
            SessionStatus::NeedsPermission => "needs_permission",
            SessionStatus::Failed => "failed",
            SessionStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SessionStatus::Initializing => "initializing",
            SessionStatus::Idle => "idle",
            SessionStatus::Working => "working",
            SessionStatus::NeedsPermission => "needs permission",
            SessionStatus::Failed => "failed",
            SessionStatus::Closed => "closed",
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The longest session title, in characters.
pub const TITLE_CHARS: usize = 80;

/// A session's title from text (a prompt, or the agent's title): its first non-blank line,
/// trimmed, cut to [`TITLE_CHARS`] characters with "…". None when it is blank. The node (its
/// index) and the client (its views) name sessions by this one rule.
pub fn title_line(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(cut(line, TITLE_CHARS))
}

/// `text` cut to `max` characters, the last one "…" when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Something a node told the client.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeEvent {
    Update {
        session: String,
        update: Update,
    },
    /// The agent asks; answer with [`NodeClient::answer_permission`] using `request`.
    Permission {
        request: Id,
        session: String,
        ask: Box<schema::RequestPermissionRequest>,
    },
    Status {
        session: String,
        status: SessionStatus,
        reason: Option<String>,
    },
    /// YOLO approved a permission request without asking.
    AutoApproved {
        session: String,
        title: String,
        option: String,
    },
    /// Something the user should know about a session (a skipped frame, ...).
    Notice {
        session: String,
        message: String,
        /// Informational (the node's level `info`): not a warning.
        info: bool,
    },
    /// Another client answered a permission request first (or the turn was cancelled):
    /// `option` is what was chosen (None: cancelled).
    PermissionResolved {
        session: String,
        request: Id,
        option: Option<String>,
    },
    /// Another client sent this prompt to a session this client watches.
    Prompted {
        session: String,
        text: String,
    },
    /// A turn ended (whoever sent its prompt): how, and how many prompts still wait.
    TurnEnded {
        session: String,
        /// None when the turn failed (`error` says why).
        stop_reason: Option<StopReason>,
        error: Option<String>,
        queued: usize,
        /// Its place in the session's frames (`_meta.praxis.seq`): later than a resume's
        /// `last_seq` means it happened after the attach.
        seq: u64,
    },
    /// The node connection ended.
    Disconnected(String),
}

/// Options for a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    pub agent: String,
    pub cwd: PathBuf,
    pub yolo: bool,
    /// Overrides the node's default prompt timeout.
    pub prompt_timeout_secs: Option<u64>,
}

/// What `session/new` returned.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCreated {
    pub session_id: String,
    pub agent_name: Option<String>,
    pub prompt_timeout_secs: Option<u64>,
    pub modes: Option<Modes>,
    /// The model the agent runs the session on, when it says (`models.currentModelId`, or
    /// a config option of category `model`).
    pub model: Option<String>,
    /// The session's config options (`configOptions`): model, mode, thought level, toggles.
    pub options: Vec<ConfigOption>,
}

/// How a prompt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptDone {
    pub stop_reason: StopReason,
    pub timed_out: bool,
    pub usage: Option<Usage>,
}

/// A session as `session/list` describes it: one the node runs now, or (status failed or
/// closed) one from its history, which `session/resume` reopens.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub session_id: String,
    pub connector: String,
    pub status: SessionStatus,
    pub reason: Option<String>,
    pub yolo: bool,
    pub created_ms: u64,
    pub cwd: Option<PathBuf>,
    /// The agent's title for it (`session_info_update`), else the first line of its first
    /// prompt; None before the first prompt.
    pub title: Option<String>,
    /// When it last did something (a prompt, a turn's end, a status change), Unix ms.
    pub last_activity_ms: u64,
    /// When it ended (failed or closed), Unix ms.
    pub ended_ms: Option<u64>,
    /// Prompts queued behind its running turn.
    pub queued: usize,
    /// How many client connections watch it now.
    pub attached: usize,
}

impl Default for SessionSummary {
    fn default() -> Self {
        SessionSummary {
            session_id: String::new(),
            connector: String::new(),
            status: SessionStatus::Idle,
            reason: None,
            yolo: false,
            created_ms: 0,
            cwd: None,
            title: None,
            last_activity_ms: 0,
            ended_ms: None,
            queued: 0,
            attached: 0,
        }
    }
}

/// An answer to a permission request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionAnswer {
    Selected(String),
    Cancelled,
}

/// A session's modes as the agent advertised them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Modes {
    pub current: Option<String>,
    pub available: Vec<String>,
}

/// One of a session's config options (ACP `configOptions`), its strings cleaned of control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigOption {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// `model`, `mode`, `model_config`, `thought_level`, or the agent's own.
    pub category: Option<String>,
    pub value: OptionValue,
}

/// A config option's kind and current value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// One of `choices` (the current one by its value id).
    Select {
        current: String,
        choices: Vec<Choice>,
    },
    Toggle(bool),
}

/// One value a select option can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub name: String,
    pub description: Option<String>,
}

/// A value to set a config option to (`session/set_config_option`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionSetting {
    Value(String),
    Toggle(bool),
}

impl ConfigOption {
    /// From the protocol's type, cleaned; `None` for a kind this client does not know.
    pub fn from_schema(o: &schema::SessionConfigOption) -> Option<Self> {
        use schema::{SessionConfigKind as K, SessionConfigSelectOptions as S};
        // One line each: names and values show in the status bar, popups and lists.
        let clean = |t: &str| {
            let t = crate::sanitize::sanitize(t);
            t.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let value = match &o.kind {
            K::Select(sel) => {
                let flat: Vec<&schema::SessionConfigSelectOption> = match &sel.options {
                    S::Ungrouped(v) => v.iter().collect(),
                    S::Grouped(groups) => groups.iter().flat_map(|g| &g.options).collect(),
                    #[allow(unreachable_patterns)]
                    _ => Vec::new(),
                };
                OptionValue::Select {
                    current: clean(&sel.current_value.0),
                    choices: flat
                        .into_iter()
                        .map(|c| Choice {
                            value: clean(&c.value.0),
                            name: clean(&c.name),
                            description: c.description.as_deref().map(clean),
                        })
                        .collect(),
                }
            }
            K::Boolean(b) => OptionValue::Toggle(b.current_value),
            #[allow(unreachable_patterns)]
            _ => return None,
        };
        let category = o.category.as_ref().map(|c| {
            use schema::SessionConfigOptionCategory as C;
            match c {
                C::Mode => "mode".to_string(),
                C::Model => "model".to_string(),
                C::ModelConfig => "model_config".to_string(),
                C::ThoughtLevel => "thought_level".to_string(),
                C::Other(o) => clean(o),
                #[allow(unreachable_patterns)]
                _ => String::new(),
            }
        });
        Some(ConfigOption {
            id: clean(&o.id.0),
            name: clean(&o.name),
            description: o.description.as_deref().map(clean),
            category,
            value,
        })
    }

    /// The current value as the user reads it: the choice's name, or on/off.
    pub fn shown(&self) -> String {
        match &self.value {
            OptionValue::Select { current, choices } => choices
                .iter()
                .find(|c| &c.value == current)
                .map_or_else(|| current.clone(), |c| c.name.clone()),
            OptionValue::Toggle(on) => if *on { "on" } else { "off" }.to_string(),
        }
    }

    /// The setting `arg` names: a choice by value id or name (any case), or on/off for a
    /// toggle (a toggle with no argument flips).
    pub fn setting(&self, arg: &str) -> Option<OptionSetting> {
        let arg = arg.trim();
        match &self.value {
            OptionValue::Select { choices, .. } => choices
                .iter()
                .find(|c| c.value == arg)
                .or_else(|| {
                    choices.iter().find(|c| {
                        c.value.eq_ignore_ascii_case(arg) || c.name.eq_ignore_ascii_case(arg)
                    })
                })
                .map(|c| OptionSetting::Value(c.value.clone())),
            OptionValue::Toggle(on) => match arg.to_ascii_lowercase().as_str() {
                "" => Some(OptionSetting::Toggle(!on)),
                "on" | "true" | "yes" | "1" => Some(OptionSetting::Toggle(true)),
                "off" | "false" | "no" | "0" => Some(OptionSetting::Toggle(false)),
                _ => None,
            },
        }
    }

    /// The values completion offers: (value, label).
    pub fn values(&self) -> Vec<(String, String)> {
        match &self.value {
            OptionValue::Select { choices, .. } => choices
                .iter()
                .map(|c| (c.value.clone(), c.name.clone()))
                .collect(),
            OptionValue::Toggle(_) => vec![
                ("on".to_string(), "on".to_string()),
                ("off".to_string(), "off".to_string()),
            ],
        }
    }
}

/// Why a turn ended (ACP's `stopReason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    Cancelled,
    MaxTokens,
    MaxTurnRequests,
    Refusal,
    /// A reason this version does not know, as the agent wrote it.
    Other(String),
}

impl StopReason {
    pub fn from_wire(s: &str) -> StopReason {
        match s {
            "end_turn" => StopReason::EndTurn,
            "cancelled" => StopReason::Cancelled,
            "max_tokens" => StopReason::MaxTokens,
            "max_turn_requests" => StopReason::MaxTurnRequests,
            "refusal" => StopReason::Refusal,
            other => StopReason::Other(other.to_string()),
        }
    }

    /// The wire name ("end_turn", ...).
    pub fn as_str(&self) -> &str {
        match self {
            StopReason::EndTurn => "end_turn",
            StopReason::Cancelled => "cancelled",
            StopReason::MaxTokens => "max_tokens",
            StopReason::MaxTurnRequests => "max_turn_requests",
            StopReason::Refusal => "refusal",
            StopReason::Other(s) => s,
        }
    }
}

/// Compares with the wire name: `stop_reason == "end_turn"`.
impl PartialEq<&str> for StopReason {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tokens a turn used, when the agent reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// What kind of failure an [`RpcError`] is, so the client can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The agent needs `authenticate` first.
    AuthRequired,
    /// The session or resource does not exist.
    NotFound,
    /// The peer does not offer the method (a capability it lacks).
    Unsupported,
    /// The request was malformed or its params wrong.
    Invalid,
    /// The request was cancelled.
    Cancelled,
    /// The connection ended before the answer came.
    Disconnected,
    /// Anything else the other side reported.
    Other,
}

impl ErrorKind {
    pub fn of(e: &RpcError) -> ErrorKind {
        match e.code {
            codes::AUTH_REQUIRED => ErrorKind::AuthRequired,
            codes::RESOURCE_NOT_FOUND => ErrorKind::NotFound,
            codes::METHOD_NOT_FOUND => ErrorKind::Unsupported,
            codes::INVALID_PARAMS | codes::INVALID_REQUEST | codes::PARSE_ERROR => {
                ErrorKind::Invalid
            }
            codes::REQUEST_CANCELLED => ErrorKind::Cancelled,
            codes::CONNECTION_CLOSED => ErrorKind::Disconnected,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_reasons_round_trip_their_wire_names() {
        for name in [
            "end_turn",
            "cancelled",
            "max_tokens",
            "max_turn_requests",
            "refusal",
            "paused",
        ] {
            assert_eq!(StopReason::from_wire(name).as_str(), name);
        }
        assert_eq!(StopReason::from_wire("refusal"), StopReason::Refusal);
        assert_eq!(
            StopReason::from_wire("paused"),
            StopReason::Other("paused".into())
        );
        assert!(StopReason::EndTurn == "end_turn");
    }

    #[test]
    fn wire_labels_are_what_serde_writes() {
        use SessionStatus::*;
        for s in [Initializing, Idle, Working, NeedsPermission, Failed, Closed] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.label_wire());
        }
    }

    #[test]
    fn errors_are_told_apart_by_code() {
        let kind = |code| ErrorKind::of(&RpcError::new(code, "x"));
        assert_eq!(kind(codes::AUTH_REQUIRED), ErrorKind::AuthRequired);
        assert_eq!(kind(codes::METHOD_NOT_FOUND), ErrorKind::Unsupported);
        assert_eq!(kind(codes::CONNECTION_CLOSED), ErrorKind::Disconnected);
        assert_eq!(kind(codes::RESOURCE_NOT_FOUND), ErrorKind::NotFound);
        assert_eq!(kind(-1), ErrorKind::Other);
    }
}
