//! The real gemini-cli (`@google/gemini-cli@0.61.0`, installed by `bash .ci/run` under
//! target/npm) started in ACP mode (`--acp`) behind a local node, with no credentials: a fresh
//! HOME, no API keys, offline. Gemini answers `initialize` with four auth methods and
//! `session/new` with -32000 ("Gemini API key is missing or not configured."); praxis must turn
//! that into a clear -32000 error naming the agent and the methods it offers.
//!
//! praxis does not pick an auth method by itself: gemini's first one, `oauth-personal`, is
//! interactive (it prints a login URL on stdout, waits for a code on stdin, and may open a
//! browser), so without `auth_method` configured the error tells the user what to set.

mod common;

use praxis::node::connectors::Connector;
use praxis::transport::stdio::AgentCommand;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const AUTH_METHODS: [&str; 4] = ["oauth-personal", "gemini-api-key", "vertex-ai", "gateway"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_without_credentials_requires_authentication() {
    let gemini = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/npm/node_modules/.bin/gemini");
    assert!(
        gemini.exists(),
        "gemini-cli is not installed at {}; run `bash .ci/run` (it runs `npm install --prefix target/npm @google/gemini-cli@0.61.0`)",
        gemini.display()
    );
    let home = tempfile::tempdir().unwrap();
    let env: BTreeMap<String, String> = [
        ("HOME", home.path().to_str().unwrap()),
        // AgentCommand.env can only add variables; empty keys count as missing for gemini.
        ("GEMINI_API_KEY", ""),
        ("GOOGLE_API_KEY", ""),
        // Never open a browser for the OAuth fallback on a developer's desktop.
        ("CI", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let connector = Connector {
        name: "gemini".into(),
        command: AgentCommand {
            program: gemini,
            args: vec!["--acp".into()],
            env,
        },
        auth_method: None,
    };
    let node = common::start(
        common::demo_connectors(vec![connector]),
        Duration::from_secs(60),
        Duration::from_secs(2),
    )
    .await;
    // Hang guard above the node's own 60 s handshake timeouts, not a timing assertion.
    let err = tokio::time::timeout(
        Duration::from_secs(300),
        node.client.new_session(&node.options("gemini", false)),
    )
    .await
    .expect("session/new did not end within 300 s")
    .expect_err("session/new should fail without credentials");
    assert_eq!(err.code, -32000, "{err:?}");
    let msg = &err.message;
    eprintln!("session/new error: {msg}");
    assert!(
        msg.contains("agent `gemini` requires authentication"),
        "{msg}"
    );
    for id in AUTH_METHODS {
        assert!(msg.contains(id), "auth method `{id}` missing from: {msg}");
    }
    assert!(
        msg.contains("Gemini API key is missing"),
        "the agent's own words are kept: {msg}"
    );
    assert!(msg.contains("auth_method"), "{msg}");
}
