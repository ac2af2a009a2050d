//! The agent's session config options (ACP `configOptions`: model, mode, thought level,
//! toggles) as the client keeps them, and the commands that show and set them: `/model`,
//! `/options`, and `/mode` (through the option of category `mode` when the agent has one,
//! else `session/set_mode` for agents that only have modes).

use super::effect::Effect;
use super::execute::{notice, Outcome};
use super::session::SessionView;
use super::transcript::Level;
use super::{AppState, Scope};
use crate::node_api::{ConfigOption, OptionSetting, OptionValue, RpcError};

/// Takes the agent's options as they are now; the model and mode shown follow them.
pub(super) fn apply(s: &mut SessionView, options: Vec<ConfigOption>) {
    if let Some(m) = of_category(&options, "model") {
        s.transcript.model = Some(m.shown());
    }
    if let Some(OptionValue::Select { current, choices }) =
        of_category(&options, "mode").map(|m| &m.value)
    {
        s.mode = Some(current.clone());
        s.modes = choices.iter().map(|c| c.value.clone()).collect();
    }
    s.options = options;
}

/// The first option of `category` (`model`, `mode`, `thought_level`, ...).
pub(super) fn of_category<'a>(
    options: &'a [ConfigOption],
    category: &str,
) -> Option<&'a ConfigOption> {
    options
        .iter()
        .find(|o| o.category.as_deref() == Some(category))
}

/// The option `/options` names: by id, else by name, whatever the case.
pub(super) fn find<'a>(options: &'a [ConfigOption], name: &str) -> Option<&'a ConfigOption> {
    options.iter().find(|o| o.id == name).or_else(|| {
        options
            .iter()
            .find(|o| o.id.eq_ignore_ascii_case(name) || o.name.eq_ignore_ascii_case(name))
    })
}

/// `/model`: the models to choose from, or switch to one.
pub(super) fn model(state: &mut AppState, arg: Option<String>, fx: &mut Vec<Effect>) -> Outcome {
    let Some(s) = state.active_session() else {
        return Outcome::Refused;
    };
    let Some(opt) = of_category(&s.options, "model").cloned() else {
        let text = match &s.transcript.model {
            Some(m) => format!("This agent runs on {m} and offers no other model"),
            None => "This agent offers no choice of model".to_string(),
        };
        state.say_here(Level::Info, text);
        return Outcome::Refused;
    };
    match arg {
        None => {
            notice(state, choices(&opt, "/model NAME switches"));
            Outcome::Done
        }
        Some(arg) => set(state, &opt, &arg, fx),
    }
}

/// `/options`: every option, one option's values, or set one.
pub(super) fn options(
    state: &mut AppState,
    arg: Option<(String, String)>,
    fx: &mut Vec<Effect>,
) -> Outcome {
    let Some(s) = state.active_session() else {
        return Outcome::Refused;
    };
    if s.options.is_empty() {
        state.say_here(Level::Info, "This agent offers no session options");
        return Outcome::Refused;
    }
    let Some((name, value)) = arg else {
        let mut text = vec!["Session options (/options ID VALUE sets one):".to_string()];
        text.extend(s.options.iter().map(|o| {
            let values: Vec<String> = o.values().into_iter().map(|(v, _)| v).collect();
            format!(
                "{} · {}: {} ({})",
                o.id,
                o.name,
                o.shown(),
                values.join(", ")
            )
        }));
        notice(state, text.join("\n"));
        return Outcome::Done;
    };
    let Some(opt) = find(&s.options, &name).cloned() else {
        let ids: Vec<&str> = s.options.iter().map(|o| o.id.as_str()).collect();
        state.say_here(
            Level::Error,
            format!("No option `{name}` (options: {})", ids.join(", ")),
        );
        return Outcome::Refused;
    };
    if value.is_empty() && matches!(opt.value, OptionValue::Select { .. }) {
        let how = format!("/options {} VALUE sets it", opt.id);
        notice(state, choices(&opt, &how));
        return Outcome::Done;
    }
    set(state, &opt, &value, fx)
}

/// `/mode`: the modes, or switch to one (a config option of category `mode` when the agent
/// has one, else `session/set_mode`).
pub(super) fn mode(state: &mut AppState, mode: Option<String>, fx: &mut Vec<Effect>) -> Outcome {
    let Some(s) = state.active_session() else {
        return Outcome::Refused;
    };
    if let Some(opt) = of_category(&s.options, "mode").cloned() {
        return match mode {
            None => {
                notice(state, choices(&opt, "/mode ID switches"));
                Outcome::Done
            }
            Some(m) => set(state, &opt, &m, fx),
        };
    }
    match mode {
        None => {
            let text = match (&s.mode, s.modes.is_empty()) {
                (_, true) => "This agent offers no session modes".to_string(),
                (cur, false) => format!(
                    "Modes: {} (current: {})",
                    s.modes.join(", "),
                    cur.as_deref().unwrap_or("?")
                ),
            };
            notice(state, text);
        }
        Some(mode) if s.modes.contains(&mode) => {
            fx.push(Effect::SetMode {
                node: s.node,
                session: s.id.clone(),
                mode: mode.clone(),
            });
            // Replaces an earlier error about modes.
            state.say_here(Level::Info, format!("Switching to mode {mode}…"));
        }
        Some(mode) => {
            state.say_here(
                Level::Error,
                format!("Unknown mode `{mode}`; /mode lists them"),
            );
            return Outcome::Refused;
        }
    }
    Outcome::Done
}

/// Asks the agent to set `opt` to what `arg` names.
fn set(state: &mut AppState, opt: &ConfigOption, arg: &str, fx: &mut Vec<Effect>) -> Outcome {
    let Some(s) = state.active_session() else {
        return Outcome::Refused;
    };
    let Some(setting) = opt.setting(arg) else {
        let values: Vec<String> = opt.values().into_iter().map(|(v, _)| v).collect();
        state.say_here(
            Level::Error,
            format!(
                "{} has no value `{}` (values: {})",
                opt.name,
                arg.trim(),
                values.join(", ")
            ),
        );
        return Outcome::Refused;
    };
    let to = match (&setting, &opt.value) {
        (OptionSetting::Toggle(on), _) => if *on { "on" } else { "off" }.to_string(),
        (OptionSetting::Value(v), OptionValue::Select { choices, .. }) => choices
            .iter()
            .find(|c| &c.value == v)
            .map_or_else(|| v.clone(), |c| c.name.clone()),
        (OptionSetting::Value(v), _) => v.clone(),
    };
    fx.push(Effect::SetOption {
        node: s.node,
        session: s.id.clone(),
        option: opt.id.clone(),
        setting,
    });
    // Replaces an earlier error about this option.
    state.say_here(Level::Info, format!("Setting {} to {to}…", opt.name));
    Outcome::Done
}

/// The agent's answer to setting `option`: every option as it is now, or why not.
pub(super) fn answered(
    state: &mut AppState,
    session: String,
    option: String,
    result: Result<Vec<ConfigOption>, RpcError>,
) {
    let said = match result {
        Ok(options) => {
            let Some(s) = state.session_mut(&session) else {
                return;
            };
            apply(s, options);
            find(&s.options, &option).map(|o| (Level::Info, format!("{}: {}", o.name, o.shown())))
        }
        Err(e) => {
            let name = state
                .session(&session)
                .and_then(|s| find(&s.options, &option))
                .map_or(option.clone(), |o| o.name.clone());
            let why = super::events::describe(&e);
            Some((Level::Error, format!("Could not set {name}: {why}")))
        }
    };
    if let Some((level, text)) = said {
        state.say_in(Scope::Session(session), level, text);
    }
}

/// A select option's choices, the current one marked, and how to switch.
fn choices(opt: &ConfigOption, how: &str) -> String {
    let current = match &opt.value {
        OptionValue::Select { current, .. } => Some(current.as_str()),
        OptionValue::Toggle(_) => None,
    };
    let listed: Vec<String> = match &opt.value {
        OptionValue::Select { choices, .. } => choices
            .iter()
            .map(|c| {
                let id = if c.value.eq_ignore_ascii_case(&c.name) {
                    String::new()
                } else {
                    format!(" [{}]", c.value)
                };
                let mark = if Some(c.value.as_str()) == current {
                    " ← current"
                } else {
                    ""
                };
                format!("{}{id}{mark}", c.name)
            })
            .collect(),
        OptionValue::Toggle(on) => vec![if *on { "on" } else { "off" }.to_string()],
    };
    format!("{} ({how}):\n{}", opt.name, listed.join("\n"))
}
