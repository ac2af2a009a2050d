//! An agent command that shares a built-in's name stays reachable (issue 16): it is offered
//! and listed as `//name`, and `//name …` is sent to the agent as `/name …`.

use super::fleet_support::*;
use super::*;
use crate::key::{KeyCode, Modifiers};
use crate::node_api::{NodeEvent, Update};
use serde_json::json;

fn with_help_command(s: &mut AppState) {
    event(
        s,
        NodeEvent::Update {
            session: "a".into(),
            update: Update::from_value(json!({
                "sessionUpdate": "available_commands_update", "availableCommands": [
                    { "name": "help", "description": "The agent's own help" },
                    { "name": "echo", "description": "Echo", "input": { "hint": "TEXT" } } ]
            })),
        },
    );
}

fn enter(s: &mut AppState) -> Vec<Effect> {
    update(s, key(KeyCode::Enter, Modifiers::NONE))
}

fn prompts(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Prompt { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_shadowed_agent_command_is_offered_as_double_slash_and_sent_with_one() {
    let mut s = app();
    create(&mut s, "a", "/work");
    with_help_command(&mut s);
    typed(&mut s, "/he");
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    let labels: Vec<String> = s
        .completion
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|i| i.label.clone())
        .collect();
    assert_eq!(labels, vec!["/help", "//help"]);
    // The second is the agent's: accepted, then sent as the agent names it.
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    enter(&mut s);
    assert_eq!(s.active_session().unwrap().input_text(), "//help");
    let fx = enter(&mut s);
    assert_eq!(prompts(&fx), vec!["/help"]);

    // The built-in still opens the help.
    let mut s = app();
    create(&mut s, "a", "/work");
    with_help_command(&mut s);
    typed(&mut s, "/help");
    let fx = enter(&mut s);
    assert!(prompts(&fx).is_empty());
    assert!(s.overlays.contains(&Overlay::Help), "{:?}", s.overlays);
}

#[test]
fn double_slash_completes_only_the_agents_commands_and_sends_any_text_as_typed() {
    let mut s = app();
    create(&mut s, "a", "/work");
    with_help_command(&mut s);
    typed(&mut s, "//e");
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    let c = s.completion.as_ref().unwrap();
    assert_eq!(c.items.len(), 1);
    assert_eq!(c.items[0].insert, "//echo ");
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    typed(&mut s, "cho hi");
    let fx = enter(&mut s);
    assert_eq!(prompts(&fx), vec!["/echo hi"]);
}
