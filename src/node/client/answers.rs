//! Reading the node's answers into the node API's values: modes, usage, the model, and a
//! `session/list` entry. Strings from these answers were sanitized already (`clean`), except
//! where noted.

use crate::node_api::{schema, ConfigOption, Modes, SessionStatus, SessionSummary, Usage};
use crate::sanitize::sanitize;
use serde_json::Value;
use std::path::PathBuf;

/// A session's modes from `session/new`'s `modes`.
pub(super) fn modes(v: &Value) -> Modes {
    Modes {
        current: v
            .get("currentModeId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        available: v
            .get("availableModes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect(),
    }
}

/// Reads a `configOptions` array as sent on the wire, skipping items that do not parse.
pub(super) fn config_options(v: Option<&Value>) -> Vec<ConfigOption> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| <schema::SessionConfigOption as serde::Deserialize>::deserialize(o).ok())
        .filter_map(|o| ConfigOption::from_schema(&o))
        .collect()
}

/// A prompt answer's `usage`, when it has both token counts.
pub(super) fn usage(raw: &Value) -> Option<Usage> {
    let u = raw.get("usage")?;
    Some(Usage {
        input_tokens: u.get("inputTokens")?.as_u64()?,
        output_tokens: u.get("outputTokens")?.as_u64()?,
    })
}

/// The session's model from a `session/new` answer: `models.currentModelId`, else the
/// current value of a config option of category `model`.
pub(super) fn model_of(answer: &Value) -> Option<String> {
    let current = answer
        .pointer("/models/currentModelId")
        .and_then(Value::as_str)
        .or_else(|| {
            answer
                .get("configOptions")?
                .as_array()?
                .iter()
                .find(|o| o.get("category").and_then(Value::as_str) == Some("model"))?
                .get("currentValue")?
                .as_str()
        })?;
    let name = sanitize(current);
    (!name.trim().is_empty()).then(|| name.chars().take(40).collect())
}

pub(super) fn parse_summary(v: &Value) -> Option<SessionSummary> {
    let meta = v.pointer("/_meta/praxis");
    let get = |k: &str| meta.and_then(|m| m.get(k));
    Some(SessionSummary {
        session_id: v.get("sessionId")?.as_str()?.to_string(),
        connector: get("connector")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string(),
        status: get("status")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .unwrap_or(SessionStatus::Idle),
        reason: get("reason").and_then(Value::as_str).map(str::to_owned),
        yolo: get("yolo").and_then(Value::as_bool).unwrap_or(false),
        created_ms: get("createdAt").and_then(Value::as_u64).unwrap_or(0),
        cwd: v.get("cwd").and_then(Value::as_str).map(PathBuf::from),
        title: get("title").and_then(Value::as_str).map(str::to_owned),
        last_activity_ms: get("lastActivityAt").and_then(Value::as_u64).unwrap_or(0),
        ended_ms: get("endedAt").and_then(Value::as_u64),
        queued: get("queued").and_then(Value::as_u64).unwrap_or(0) as usize,
        attached: get("attached").and_then(Value::as_u64).unwrap_or(0) as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_model_is_read_from_models_or_config_options_and_cleaned() {
        assert_eq!(
            model_of(&json!({ "models": { "currentModelId": "gpt-5\u{1b}[31m" } })).as_deref(),
            Some("gpt-5")
        );
        let opts = json!({ "configOptions": [
            { "id": "mode", "category": "mode", "currentValue": "plan" },
            { "id": "model", "category": "model", "currentValue": "sonnet" },
        ]});
        assert_eq!(model_of(&opts).as_deref(), Some("sonnet"));
        assert_eq!(
            model_of(&json!({ "models": { "currentModelId": 3 } })),
            None
        );
        assert_eq!(model_of(&json!({})), None);
    }
}
