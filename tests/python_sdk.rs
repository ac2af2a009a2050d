//! The Python SDK test agent (`tests/python_agent/agent.py`, `agent-client-protocol` 0.12.1)
//! run as a real process behind a local node: a prompt round trip, cancelling a streaming
//! prompt, permission requests answered by the client, auto-approved under YOLO, and cancelled
//! while pending, and an agent that demands authentication.
//!
//! The interpreter is `$PRAXIS_TEST_PYTHON`, else `target/acp-venv/bin/python` (made by
//! `bash .ci/run`); a missing interpreter or SDK fails the tests rather than skipping them.

mod common;

use common::{answer_text, is_status, TestNode};
use praxis::node::client::{PermissionAnswer, PromptDone};
use praxis::node::connectors::Connector;
use praxis::node::{NodeEvent, SessionStatus};
use praxis::protocol::RpcError;
use praxis::transport::stdio::AgentCommand;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::task::JoinHandle;

/// The interpreter with the `acp` package installed; panics with what to do when there is none.
fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("PRAXIS_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/acp-venv/bin/python"));
    let hint = "run `bash .ci/run` (it creates target/acp-venv from tests/python_agent/requirements.txt), or set PRAXIS_TEST_PYTHON to a Python with agent-client-protocol==0.12.1";
    assert!(
        python.exists(),
        "no Python interpreter at {}; {hint}",
        python.display()
    );
    let check = std::process::Command::new(&python)
        .args(["-c", "import acp"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {hint}", python.display()));
    assert!(
        check.status.success(),
        "{} cannot `import acp` ({}); {hint}",
        python.display(),
        String::from_utf8_lossy(&check.stderr)
            .trim()
            .lines()
            .last()
            .unwrap_or("")
    );
    python
}

/// A node with the demo agent and the Python agent as `py`, started with `env` added.
async fn start_py(env: &[(&str, &str)]) -> TestNode {
    start_py_with(env, None).await
}

async fn start_py_with(env: &[(&str, &str)], auth_method: Option<&str>) -> TestNode {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python_agent/agent.py");
    let py = Connector {
        name: "py".into(),
        command: AgentCommand {
            program: python(),
            args: vec![script.display().to_string()],
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        },
        auth_method: auth_method.map(str::to_owned),
    };
    common::start(
        common::demo_connectors(vec![py]),
        Duration::from_secs(60),
        Duration::from_secs(2),
    )
    .await
}

/// Starts `text` as a prompt in the background, so the test can act while it runs.
fn spawn_prompt(
    node: &TestNode,
    session: &str,
    text: &str,
) -> JoinHandle<Result<PromptDone, RpcError>> {
    let client = node.client.clone();
    let (session, text) = (session.to_string(), text.to_string());
    tokio::spawn(async move { client.prompt(&session, &text).await })
}

/// Awaits a background prompt (with a 30 s hang guard, not a timing assertion).
async fn finish(task: JoinHandle<Result<PromptDone, RpcError>>) -> PromptDone {
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the prompt did not end within 30 s")
        .expect("the prompt task panicked")
        .expect("the prompt failed")
}

fn is_permission(e: &NodeEvent) -> bool {
    matches!(e, NodeEvent::Permission { .. })
}

/// The request id of the (last) permission event in `events`, checking what it asks.
fn permission_request(events: &[NodeEvent], session: &str) -> praxis::protocol::Id {
    let Some(NodeEvent::Permission {
        request,
        session: sid,
        ask,
    }) = events.iter().rev().find(|e| is_permission(e))
    else {
        panic!("no permission request in {events:?}");
    };
    assert_eq!(sid, session);
    let ask = serde_json::to_value(ask).unwrap();
    assert_eq!(ask["toolCall"]["toolCallId"], "t1", "{ask}");
    let options: Vec<_> = ask["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["optionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(options, ["allow", "reject"]);
    request.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_round_trip() {
    let mut node = start_py(&[]).await;
    let sid = node.session("py", false).await;
    let done = node.client.prompt(&sid, "hello").await.unwrap();
    assert_eq!(done.stop_reason, "end_turn");
    assert!(!done.timed_out);
    let events = node.drain();
    assert_eq!(answer_text(&events, &sid), "echo: hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_streaming_prompt() {
    let mut node = start_py(&[]).await;
    let sid = node.session("py", false).await;
    let task = spawn_prompt(&node, &sid, "slow");
    let mut events = node
        .wait_for(|e| !answer_text(std::slice::from_ref(e), &sid).is_empty())
        .await;
    node.client.cancel(&sid).await;
    let done = finish(task).await;
    assert_eq!(done.stop_reason, "cancelled");
    events.extend(node.drain());
    let text = answer_text(&events, &sid);
    assert!(text.starts_with("tick 1"), "partial answer: {text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_is_asked_and_answered() {
    let mut node = start_py(&[]).await;
    let sid = node.session("py", false).await;
    let task = spawn_prompt(&node, &sid, "permission");
    let mut events = node.wait_for(is_permission).await;
    let request = permission_request(&events, &sid);
    node.client
        .answer_permission(request, PermissionAnswer::Selected("allow".into()))
        .await;
    let done = finish(task).await;
    assert_eq!(done.stop_reason, "end_turn");
    events.extend(node.drain());
    assert!(
        events
            .iter()
            .any(|e| is_status(e, SessionStatus::NeedsPermission)),
        "no needs_permission status in {events:?}"
    );
    assert_eq!(answer_text(&events, &sid), "permission: allow");
    assert!(!events
        .iter()
        .any(|e| matches!(e, NodeEvent::AutoApproved { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yolo_approves_without_asking() {
    let mut node = start_py(&[]).await;
    let sid = node.session("py", true).await;
    let task = spawn_prompt(&node, &sid, "permission");
    let done = finish(task).await;
    assert_eq!(done.stop_reason, "end_turn");
    let events = node.drain();
    assert!(
        !events.iter().any(is_permission),
        "YOLO forwarded a permission request: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| is_status(e, SessionStatus::NeedsPermission)),
        "{events:?}"
    );
    let approved: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            NodeEvent::AutoApproved {
                session,
                title,
                option,
            } => Some((session.as_str(), title.as_str(), option.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(approved, [(sid.as_str(), "write file", "allow")]);
    assert_eq!(answer_text(&events, &sid), "permission: allow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_answers_a_pending_permission_request() {
    let mut node = start_py(&[]).await;
    let sid = node.session("py", false).await;
    let task = spawn_prompt(&node, &sid, "permission");
    let mut events = node.wait_for(is_permission).await;
    permission_request(&events, &sid);
    // Not answered: the node must answer the agent `cancelled` itself.
    node.client.cancel(&sid).await;
    let done = finish(task).await;
    assert_eq!(done.stop_reason, "cancelled");
    events.extend(node.drain());
    assert_eq!(answer_text(&events, &sid), "permission: cancelled");
    let list = node.client.list().await.unwrap();
    let me = list
        .iter()
        .find(|s| s.session_id == sid)
        .expect("session listed");
    assert_eq!(me.status, SessionStatus::Idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_required_is_a_clear_error() {
    let node = start_py(&[("PYAGENT_REQUIRE_AUTH", "1")]).await;
    let err = node
        .client
        .new_session(&node.options("py", false))
        .await
        .expect_err("session/new should fail without credentials");
    assert_eq!(err.code, -32000, "{err:?}");
    assert!(
        err.message.contains("agent `py` requires authentication"),
        "{}",
        err.message
    );
    assert!(err.message.contains("api-key"), "{}", err.message);
    assert!(
        err.message.contains("Authentication required"),
        "{}",
        err.message
    );
    assert!(err.message.contains("auth_method"), "{}", err.message);

    // With an auth method configured, praxis authenticates; the agent's refusal is shown.
    let node = start_py_with(&[("PYAGENT_REQUIRE_AUTH", "1")], Some("api-key")).await;
    let err = node
        .client
        .new_session(&node.options("py", false))
        .await
        .expect_err("authenticate fails without a key");
    assert_eq!(err.code, -32000, "{err:?}");
    assert!(err.message.contains("no key configured"), "{}", err.message);
}

/// After a restart, reopening a session of an agent that offers `session/load` continues the
/// agent's own session (it keeps its context); the history the agent replays while loading is
/// dropped, because the node replays its journal instead: nothing is shown twice.
#[tokio::test]
async fn a_reopened_session_is_loaded_by_an_agent_that_can() {
    let mut node = start_py(&[("PYAGENT_LOAD", "1")]).await;
    let s = node.session("py", false).await;
    node.client.prompt(&s, "hello").await.unwrap();
    assert_eq!(answer_text(&node.drain(), &s), "echo: hello");
    let journal = node.journal(&s);
    let created: serde_json::Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    let agent_session = created["data"]["agentSessionId"]
        .as_str()
        .unwrap()
        .to_string();

    let mut node = node.restart().await;
    node.client.reopen(&s).await.unwrap();
    let mut replay = node
        .wait_for(|e| matches!(e, NodeEvent::Notice { message, .. } if message.contains("continues the earlier conversation")))
        .await;
    replay.extend(node.wait_for(|e| is_status(e, SessionStatus::Idle)).await);
    assert_eq!(
        answer_text(&replay, &s),
        "echo: hello",
        "the journal's answer, once, and not the agent's replay"
    );

    // A prompt would wait forever if the dropped history were not counted as handled.
    let again = node.client.prompt(&s, "again");
    tokio::time::timeout(Duration::from_secs(30), again)
        .await
        .expect("hang guard: the prompt after a load ends")
        .unwrap();
    assert_eq!(
        answer_text(&node.drain(), &s),
        format!("echo (loaded {agent_session}): again"),
        "the agent continues its own session"
    );
}
