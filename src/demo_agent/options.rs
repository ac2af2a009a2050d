//! The demo agent's session config options (ACP `configOptions`): a model, the mode (the same
//! as its session modes), a thought level and a toggle, so a client's `/model` and `/options`
//! have something real to talk to. Only the mode changes what the demo does.

use crate::protocol::RpcError;
use serde_json::{json, Value};

/// The models the demo offers: (value, name, description).
const MODELS: &[(&str, &str, &str)] = &[
    ("demo-fast", "Demo Fast", "Answers at once"),
    ("demo-deep", "Demo Deep", "Thinks a little longer"),
];

/// The modes (also advertised as session modes).
pub const MODES: &[(&str, &str, &str)] = &[
    ("default", "Default", "Ask before writing"),
    ("plan", "Plan", "Only plan, never write"),
];

const THOUGHT_LEVELS: &[(&str, &str, &str)] = &[
    ("low", "Low", "Brief reasoning"),
    ("medium", "Medium", "Balanced"),
    ("high", "High", "Thorough reasoning"),
];

/// One session's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub model: String,
    pub mode: String,
    pub thought: String,
    pub brief: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            model: MODELS[0].0.into(),
            mode: MODES[0].0.into(),
            thought: THOUGHT_LEVELS[1].0.into(),
            brief: false,
        }
    }
}

fn select(id: &str, name: &str, category: &str, current: &str, of: &[(&str, &str, &str)]) -> Value {
    let options: Vec<Value> = of
        .iter()
        .map(|(v, n, d)| json!({ "value": v, "name": n, "description": d }))
        .collect();
    json!({ "id": id, "name": name, "category": category, "type": "select",
            "currentValue": current, "options": options })
}

impl Settings {
    /// The `configOptions` array.
    pub fn to_json(&self) -> Value {
        json!([
            select("model", "Model", "model", &self.model, MODELS),
            select("mode", "Mode", "mode", &self.mode, MODES),
            select("thought", "Thinking", "thought_level", &self.thought, THOUGHT_LEVELS),
            { "id": "brief", "name": "Brief answers", "description": "Keep answers short",
              "type": "boolean", "currentValue": self.brief },
        ])
    }

    /// `session/set_config_option`'s `configId` and `value`.
    pub fn set(&mut self, id: &str, value: &Value) -> Result<(), RpcError> {
        let pick = |of: &[(&str, &str, &str)]| {
            let v = value.as_str().unwrap_or_default();
            of.iter()
                .find(|(x, _, _)| *x == v)
                .map(|(x, _, _)| x.to_string())
                .ok_or_else(|| RpcError::invalid_params(format!("{id} has no value `{v}`")))
        };
        match id {
            "model" => self.model = pick(MODELS)?,
            "mode" => self.mode = pick(MODES)?,
            "thought" => self.thought = pick(THOUGHT_LEVELS)?,
            "brief" => {
                self.brief = value
                    .as_bool()
                    .ok_or_else(|| RpcError::invalid_params("brief takes true or false"))?
            }
            other => {
                return Err(RpcError::invalid_params(format!(
                    "unknown config option `{other}`"
                )))
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_validate_against_the_schema_types_and_refuse_unknown_values() {
        let mut s = Settings::default();
        let opts: Vec<crate::protocol::acp::schema::SessionConfigOption> =
            serde_json::from_value(s.to_json()).unwrap();
        assert_eq!(opts.len(), 4);
        s.set("model", &json!("demo-deep")).unwrap();
        assert_eq!(s.model, "demo-deep");
        s.set("brief", &json!(true)).unwrap();
        assert!(s.brief);
        assert!(s.set("model", &json!("gpt")).is_err());
        assert!(s.set("brief", &json!("yes")).is_err());
        assert!(s.set("nope", &json!("x")).is_err());
    }
}
