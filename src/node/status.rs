//! The session lifecycle: initializing → idle ⇄ working → (failed | closed), with
//! `needs_permission` while a permission request waits for an answer.

use serde::{Deserialize, Serialize};
use std::fmt;

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
