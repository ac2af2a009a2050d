//! Everything that can happen to the app, as values: terminal input, node events, and the
//! results of effects the runtime carried out.

use crate::key::{Key, Mouse};
use crate::node_api::{
    ConfigOption, NodeEvent, PromptDone, RpcError, SessionCreated, SessionOptions,
};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub enum Action {
    Key(Key),
    Paste(String),
    Mouse(Mouse),
    /// The node at this index reported something.
    Node {
        node: usize,
        event: NodeEvent,
    },
    NodeConnected {
        node: usize,
        name: String,
        agents: Vec<String>,
        remote: bool,
    },
    /// A remote node's link changed: `online` false means gone (its goodbye, or missed
    /// heartbeats); `reconnecting` is this client's own broker link being re-established.
    NodeLink {
        node: usize,
        online: bool,
        reconnecting: bool,
        reason: Option<String>,
    },
    /// A remote node's heartbeat arrived (for the detail view's health line).
    NodeBeat {
        node: usize,
    },
    /// What `session/list` said of a node's sessions.
    SessionsListed {
        node: usize,
        result: Result<Vec<crate::node_api::SessionSummary>, RpcError>,
    },
    /// Attaching to a listed session finished (its replay is already applied).
    Attached {
        session: String,
        result: Result<(), RpcError>,
    },
    SessionCreated {
        node: usize,
        options: SessionOptions,
        result: Result<SessionCreated, RpcError>,
    },
    PromptDone {
        session: String,
        result: Result<PromptDone, RpcError>,
    },
    ModeSet {
        session: String,
        mode: String,
        result: Result<(), RpcError>,
    },
    /// The agent's answer to setting a config option: every option as it is now.
    OptionSet {
        session: String,
        option: String,
        result: Result<Vec<ConfigOption>, RpcError>,
    },
    /// A session's config options and modes as its node last heard them (told when
    /// attaching).
    OptionsHeard {
        session: String,
        options: Vec<ConfigOption>,
        modes: Option<crate::node_api::Modes>,
    },
    TranscriptSaved {
        session: String,
        result: Result<PathBuf, String>,
    },
    Copied(Result<&'static str, String>),
    /// The draft as saved in the external editor, or why it could not be edited.
    Edited {
        session: String,
        result: Result<String, String>,
    },
    /// A local effect (history, theme) failed; show why.
    Failed(String),
    /// After a draw: the chat pane's total line count and height, for scrolling.
    Layout {
        total: usize,
        height: usize,
        /// The width the prompt is wrapped at.
        input_width: u16,
    },
    /// Wall clock, for ages and timeouts on guards.
    Tick {
        now_ms: u64,
    },
}
