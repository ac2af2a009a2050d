//! The ACP vocabulary praxis uses: method names, the `_meta.praxis` extension keys, and a
//! lossless reading of `session/update` that keeps kinds the schema crate does not know.

pub use agent_client_protocol_schema::v1 as schema;
use serde_json::Value;

/// The protocol version praxis speaks.
pub const PROTOCOL_VERSION: u16 = 1;

/// Method names (agent side and client side).
pub mod method {
    pub const INITIALIZE: &str = "initialize";
    pub const AUTHENTICATE: &str = "authenticate";
    pub const SESSION_NEW: &str = "session/new";
    pub const SESSION_LOAD: &str = "session/load";
    pub const SESSION_LIST: &str = "session/list";
    pub const SESSION_RESUME: &str = "session/resume";
    pub const SESSION_CLOSE: &str = "session/close";
    pub const SESSION_PROMPT: &str = "session/prompt";
    pub const SESSION_CANCEL: &str = "session/cancel";
    pub const SESSION_SET_MODE: &str = "session/set_mode";
    pub const SESSION_SET_CONFIG_OPTION: &str = "session/set_config_option";
    pub const SESSION_UPDATE: &str = "session/update";
    pub const REQUEST_PERMISSION: &str = "session/request_permission";
    pub const FS_READ: &str = "fs/read_text_file";
    pub const FS_WRITE: &str = "fs/write_text_file";
    /// praxis extension (node → client): a session's lifecycle status changed.
    pub const PRAXIS_STATUS: &str = "_praxis/session/status";
    /// praxis extension (client → node): set per-session options such as YOLO.
    pub const PRAXIS_SET_OPTIONS: &str = "_praxis/session/set_options";
    /// praxis extension (node → client): a permission request was auto-approved under YOLO.
    pub const PRAXIS_AUTO_APPROVED: &str = "_praxis/session/auto_approved";
    /// praxis extension (node → client): something the user should know about a session
    /// (a frame from its agent was skipped, ...): `{sessionId, level, message}`.
    pub const PRAXIS_NOTICE: &str = "_praxis/session/notice";
    /// praxis extension (client → node): a session's transcript as Markdown, rendered by the
    /// node from its journal: `{sessionId}` → `{markdown}`. Works for ended sessions too.
    pub const PRAXIS_TRANSCRIPT: &str = "_praxis/session/transcript";
    /// praxis extension (node → clients): a permission request was settled (the first
    /// client's answer won, or the turn was cancelled): `{sessionId, permissionId, outcome}`.
    pub const PRAXIS_PERMISSION_RESOLVED: &str = "_praxis/session/permission_resolved";
    /// praxis extension (node → the other clients): a prompt one client sent:
    /// `{sessionId, prompt}` (the sender shows its own prompt already).
    pub const PRAXIS_PROMPTED: &str = "_praxis/session/prompted";
    /// praxis extension (client → node): stop watching a session (it keeps running).
    pub const PRAXIS_DETACH: &str = "_praxis/session/detach";
    /// praxis extension (client → node): queue a prompt behind the running turn and answer
    /// at once: `{sessionId, prompt}` → `{sessionId, queued}` (turns ahead of it).
    pub const PRAXIS_ENQUEUE: &str = "_praxis/session/enqueue";
    /// praxis extension (node → clients): a turn ended, however it was sent:
    /// `{sessionId, stopReason, timedOut, queued}` or `{sessionId, error, queued}`.
    pub const PRAXIS_TURN_ENDED: &str = "_praxis/session/turn_ended";
}

/// Sets `key` on a JSON object; a value that is not an object is left alone and reported.
pub fn set_field(target: &mut Value, key: &str, value: Value) -> Result<(), &'static str> {
    match target.as_object_mut() {
        Some(obj) => {
            obj.insert(key.to_string(), value);
            Ok(())
        }
        None => Err("params are not an object"),
    }
}

/// One `session/update` payload: typed when the schema knows its kind, raw otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Known(Box<schema::SessionUpdate>),
    Unknown(Value),
}

impl Update {
    /// Reads the `update` member of `session/update` params; never fails.
    pub fn from_value(update: Value) -> Update {
        match serde_json::from_value::<schema::SessionUpdate>(update.clone()) {
            Ok(u) => Update::Known(Box::new(u)),
            Err(_) => Update::Unknown(update),
        }
    }

    /// The `sessionUpdate` tag, for logs and for showing unknown kinds.
    pub fn kind(&self) -> String {
        match self {
            Update::Known(u) => serde_json::to_value(u.as_ref())
                .ok()
                .and_then(|v| {
                    v.get("sessionUpdate")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "unknown".into()),
            Update::Unknown(v) => v
                .get("sessionUpdate")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned(),
        }
    }
}

/// The text of a content block, when it has one.
pub fn content_text(block: &schema::ContentBlock) -> Option<&str> {
    match block {
        schema::ContentBlock::Text(t) => Some(&t.text),
        _ => None,
    }
}

/// A text prompt as ACP content blocks.
pub fn text_prompt(text: &str) -> Vec<schema::ContentBlock> {
    vec![schema::ContentBlock::Text(schema::TextContent::new(text))]
}

/// Reads `_meta.praxis.<key>` from a params or result object.
pub fn praxis_meta<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.get("_meta")?.get("praxis")?.get(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_and_unknown_updates_are_both_kept() {
        let known = Update::from_value(json!({
            "sessionUpdate": "agent_message_chunk",
            "content": {"type": "text", "text": "hi"}
        }));
        assert!(matches!(known, Update::Known(_)));
        assert_eq!(known.kind(), "agent_message_chunk");
        let unknown = Update::from_value(json!({"sessionUpdate": "hologram", "x": 1}));
        assert_eq!(unknown.kind(), "hologram");
        assert!(matches!(unknown, Update::Unknown(_)));
    }
}
