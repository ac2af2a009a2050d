//! The agent's config options (issue 16): `/model`, `/options` and `/mode` set them through
//! `session/set_config_option` (modes alone through `session/set_mode`), Tab completes their
//! values, and the model shown follows what the agent says.

use super::fleet_support::*;
use super::*;
use crate::key::{KeyCode, Modifiers};
use crate::node_api::{schema, ConfigOption, OptionSetting, RpcError};
use serde_json::json;

/// Options as the demo agent advertises them: model, mode, thought level, a toggle.
fn advertised(model: &str, brief: bool) -> Vec<ConfigOption> {
    let raw = json!([
        { "id": "model", "name": "Model", "category": "model", "type": "select",
          "currentValue": model, "options": [
            { "value": "demo-fast", "name": "Demo Fast" },
            { "value": "demo-deep", "name": "Demo\n\tDeep\u{1b}[31m" } ] },
        { "id": "mode", "name": "Mode", "category": "mode", "type": "select",
          "currentValue": "default", "options": [
            { "value": "default", "name": "Default" }, { "value": "plan", "name": "Plan" } ] },
        { "id": "thought", "name": "Thinking", "category": "thought_level", "type": "select",
          "currentValue": "medium", "options": [ { "group": "levels", "name": "Levels", "options": [
            { "value": "low", "name": "Low" }, { "value": "medium", "name": "Medium" },
            { "value": "high", "name": "High" } ] } ] },
        { "id": "brief", "name": "Brief answers", "type": "boolean", "currentValue": brief },
    ]);
    let parsed: Vec<schema::SessionConfigOption> = serde_json::from_value(raw).unwrap();
    parsed
        .iter()
        .filter_map(ConfigOption::from_schema)
        .collect()
}

fn with_options(id: &str) -> AppState {
    let mut s = app();
    create(&mut s, id, "/work");
    update(
        &mut s,
        Action::OptionsHeard {
            session: id.into(),
            options: advertised("demo-fast", false),
            modes: None,
        },
    );
    s
}

fn run(s: &mut AppState, line: &str) -> Vec<Effect> {
    while !s.active_session().unwrap().input_text().is_empty() {
        update(s, key(KeyCode::Backspace, Modifiers::NONE));
    }
    typed(s, line);
    update(s, key(KeyCode::Enter, Modifiers::NONE))
}

fn shown(s: &AppState) -> String {
    s.shown_status().map(|m| m.text.clone()).unwrap_or_default()
}

fn set_option(fx: &[Effect]) -> Option<(String, OptionSetting)> {
    fx.iter().find_map(|e| match e {
        Effect::SetOption {
            option, setting, ..
        } => Some((option.clone(), setting.clone())),
        _ => None,
    })
}

fn last_notice(s: &AppState) -> String {
    let t = &s.active_session().unwrap().transcript;
    match &t.entries.last().unwrap().kind {
        transcript::EntryKind::Notice { text, .. } => text.clone(),
        other => panic!("not a notice: {other:?}"),
    }
}

#[test]
fn the_model_is_shown_from_the_options_and_model_switches_it() {
    let mut s = with_options("a");
    let v = s.active_session().unwrap();
    assert_eq!(v.transcript.model.as_deref(), Some("Demo Fast"));
    assert_eq!(v.mode.as_deref(), Some("default"));
    assert_eq!(v.modes, vec!["default", "plan"]);

    run(&mut s, "/model");
    let listed = last_notice(&s);
    assert!(
        listed.contains("Demo Fast [demo-fast] ← current"),
        "{listed}"
    );
    assert!(listed.contains("Demo Deep [demo-deep]"), "{listed}");
    assert!(!listed.contains('\u{1b}'), "agent text is cleaned");

    // By name, whatever the case.
    let fx = run(&mut s, "/model demo deep");
    assert_eq!(
        set_option(&fx),
        Some(("model".into(), OptionSetting::Value("demo-deep".into())))
    );
    assert_eq!(shown(&s), "Setting Model to Demo Deep…");
    update(
        &mut s,
        Action::OptionSet {
            session: "a".into(),
            option: "model".into(),
            result: Ok(advertised("demo-deep", false)),
        },
    );
    assert_eq!(shown(&s), "Model: Demo Deep");
    // The next turn is headed with the model.
    run(&mut s, "hello");
    let turn = s
        .active_session()
        .unwrap()
        .transcript
        .entries
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            transcript::EntryKind::Agent(t) => Some(t.model.clone()),
            _ => None,
        });
    assert_eq!(turn, Some(Some("Demo Deep".to_string())));
}

#[test]
fn a_value_the_option_does_not_have_is_refused_and_the_draft_kept() {
    let mut s = with_options("a");
    let fx = run(&mut s, "/model gpt-9");
    assert_eq!(set_option(&fx), None);
    assert_eq!(
        shown(&s),
        "Model has no value `gpt-9` (values: demo-fast, demo-deep)"
    );
    assert_eq!(s.active_session().unwrap().input_text(), "/model gpt-9");
    let fx = run(&mut s, "/options nope x");
    assert_eq!(set_option(&fx), None);
    assert_eq!(
        shown(&s),
        "No option `nope` (options: model, mode, thought, brief)"
    );
}

#[test]
fn options_lists_sets_selects_and_flips_toggles() {
    let mut s = with_options("a");
    run(&mut s, "/options");
    let listed = last_notice(&s);
    assert!(listed.starts_with("Session options"), "{listed}");
    assert!(
        listed.contains("thought · Thinking: Medium (low, medium, high)"),
        "{listed}"
    );
    assert!(listed.contains("brief · Brief answers: off (on, off)"));

    let fx = run(&mut s, "/options thought high");
    assert_eq!(
        set_option(&fx),
        Some(("thought".into(), OptionSetting::Value("high".into())))
    );
    // A toggle with no value flips; on/off set it.
    let fx = run(&mut s, "/options brief");
    assert_eq!(
        set_option(&fx),
        Some(("brief".into(), OptionSetting::Toggle(true)))
    );
    let fx = run(&mut s, "/options Brief off");
    assert_eq!(
        set_option(&fx),
        Some(("brief".into(), OptionSetting::Toggle(false)))
    );
    // A select with no value lists its values.
    let fx = run(&mut s, "/options thought");
    assert_eq!(set_option(&fx), None);
    assert!(last_notice(&s).contains("Medium ← current"));
}

#[test]
fn mode_goes_through_the_mode_option_when_there_is_one() {
    let mut s = with_options("a");
    let fx = run(&mut s, "/mode plan");
    assert_eq!(
        set_option(&fx),
        Some(("mode".into(), OptionSetting::Value("plan".into())))
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::SetMode { .. })));
}

#[test]
fn modes_told_on_attach_are_taken_for_an_agent_with_modes_only() {
    let mut s = app();
    create(&mut s, "a", "/work");
    update(
        &mut s,
        Action::OptionsHeard {
            session: "a".into(),
            options: Vec::new(),
            modes: Some(crate::node_api::Modes {
                current: Some("plan\u{1b}[2J".into()),
                available: vec!["default".into(), "plan".into()],
            }),
        },
    );
    let v = s.active_session().unwrap();
    assert_eq!(v.mode.as_deref(), Some("plan"));
    assert_eq!(v.modes, vec!["default", "plan"]);
    // With no mode option, /mode goes through session/set_mode.
    let fx = run(&mut s, "/mode default");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::SetMode { .. })),
        "{fx:?}"
    );
}

#[test]
fn an_agent_without_options_says_so() {
    let mut s = app();
    create(&mut s, "a", "/work");
    let fx = run(&mut s, "/model fast");
    assert_eq!(set_option(&fx), None);
    assert_eq!(shown(&s), "This agent offers no choice of model");
    run(&mut s, "/options");
    assert_eq!(shown(&s), "This agent offers no session options");
}

#[test]
fn a_refused_setting_says_why_in_the_options_words() {
    let mut s = with_options("a");
    run(&mut s, "/model demo-deep");
    update(
        &mut s,
        Action::OptionSet {
            session: "a".into(),
            option: "model".into(),
            result: Err(RpcError::invalid_params("the quota is used up")),
        },
    );
    let said = shown(&s);
    assert!(
        said.starts_with("Could not set Model: ") && said.ends_with("the quota is used up"),
        "{said}"
    );
    assert_eq!(
        s.active_session().unwrap().transcript.model.as_deref(),
        Some("Demo Fast")
    );
}

#[test]
fn an_agents_config_option_update_is_taken_as_it_comes() {
    let mut s = with_options("a");
    event(
        &mut s,
        crate::node_api::NodeEvent::Update {
            session: "a".into(),
            update: crate::node_api::Update::from_value(json!({
                "sessionUpdate": "config_option_update",
                "configOptions": [ { "id": "model", "name": "Model", "category": "model",
                    "type": "select", "currentValue": "demo-deep", "options": [
                    { "value": "demo-deep", "name": "Deep" } ] }, { "bogus": true } ],
            })),
        },
    );
    let v = s.active_session().unwrap();
    assert_eq!(v.transcript.model.as_deref(), Some("Deep"));
    assert_eq!(v.options.len(), 1, "items that do not parse are skipped");
}

#[test]
fn tab_completes_option_ids_and_values() {
    let mut s = with_options("a");
    let labels = |s: &AppState| -> Vec<String> {
        s.completion
            .as_ref()
            .map(|c| c.items.iter().map(|i| i.label.clone()).collect())
            .unwrap_or_default()
    };
    typed(&mut s, "/model ");
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    assert_eq!(labels(&s), vec!["demo-fast", "demo-deep"]);
    assert_eq!(
        s.completion.as_ref().unwrap().items[0].description,
        "Demo Fast (current)"
    );
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    run(&mut s, "");
    typed(&mut s, "/options ");
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    assert_eq!(labels(&s), vec!["model", "mode", "thought", "brief"]);
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    run(&mut s, "");
    typed(&mut s, "/options thought h");
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    assert_eq!(labels(&s), vec!["high"]);
    update(&mut s, key(KeyCode::Enter, Modifiers::NONE));
    assert_eq!(
        s.active_session().unwrap().input_text(),
        "/options thought high"
    );
}
