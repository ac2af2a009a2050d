//! How the first session starts: `praxis --agent --cwd --yolo --node` (issue 16).

use super::*;
use crate::node_api::SessionOptions;

#[test]
fn praxis_node_name_starts_the_first_session_on_that_node_not_the_local_one() {
    let keymap = crate::keymap::Keymap::default_keymap(&command::names());
    let mut s = AppState::new(keymap, "dark".into(), "/work".into(), 600);
    s.auto_start = Some(SessionOptions {
        agent: "gemini".into(),
        cwd: "/srv".into(),
        yolo: true,
        prompt_timeout_secs: None,
    });
    s.auto_start_node = Some("build-box".into());
    let connected = |node, name: &str, remote| Action::NodeConnected {
        node,
        name: name.into(),
        agents: vec!["gemini".into()],
        remote,
    };
    let fx = update(&mut s, connected(0, "local", false));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::NewSession { .. })),
        "{fx:?}"
    );
    let fx = update(&mut s, connected(1, "build-box", true));
    let started: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::NewSession { node, options } => Some((*node, options.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(started.len(), 1, "{fx:?}");
    assert_eq!(started[0].0, 1);
    assert!(started[0].1.yolo && started[0].1.agent == "gemini");
}
