//! What `update` asks the runtime to do. Effects are the only way state reaches the outside
//! world (nodes, disk, clipboard).

use crate::node_api::{OptionSetting, PermissionAnswer, SessionOptions};
use crate::protocol::Id;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    NewSession {
        node: usize,
        options: SessionOptions,
    },
    Prompt {
        node: usize,
        session: String,
        text: String,
    },
    Cancel {
        node: usize,
        session: String,
    },
    Close {
        node: usize,
        session: String,
    },
    SetYolo {
        node: usize,
        session: String,
        on: bool,
    },
    AnswerPermission {
        node: usize,
        request: Id,
        answer: PermissionAnswer,
    },
    /// Export the session's journal as Markdown; `path` None means `<data>/transcripts/`.
    SaveTranscript {
        node: usize,
        session: String,
        path: Option<PathBuf>,
    },
    Copy(String),
    SetMode {
        node: usize,
        session: String,
        mode: String,
    },
    /// Set one of a session's config options (`session/set_config_option`).
    SetOption {
        node: usize,
        session: String,
        option: String,
        setting: OptionSetting,
    },
    SetTheme(String),
    /// Turn the terminal's mouse capture on or off.
    SetMouseCapture(bool),
    /// Ask a node for its sessions.
    ListSessions {
        node: usize,
    },
    /// Follow a session this client has not followed yet: replay, then live.
    Attach {
        node: usize,
        session: String,
    },
    /// Open an ended session again (one of this client's that failed or closed, or one from
    /// a node's history): the node replays its journal, then continues it with the agent
    /// (`session/load` when the agent offers it, else a fresh agent session, said in the
    /// transcript). The view's transcript is replaced by the replay.
    Reopen {
        node: usize,
        session: String,
    },
    /// Tell the user something happened in a session that is not on screen (it needs
    /// permission, or its turn ended): a bell, or a desktop notification (OSC 9) where the
    /// terminal supports it. Both strings are sanitized, one line each.
    Notify {
        title: String,
        body: String,
    },
    /// Hand the terminal to `$VISUAL` / `$EDITOR` on session `session`'s draft; the result
    /// comes back as [`Action::Edited`](super::Action::Edited).
    EditDraft {
        session: String,
        text: String,
    },
    /// Remember a prompt in the persistent history.
    AppendHistory(String),
    Quit,
}
