//! The whole session lifecycle against the built-in demo agent running as a real process:
//! prompts, streaming, cancel, permission with and without YOLO, timeouts, crashes, malformed
//! output, the file-system sandbox, authentication, and the journal.

mod common;

use common::*;
use praxis::node::client::PermissionAnswer;
use praxis::node::{connectors, NodeEvent, SessionStatus};
use praxis::protocol::acp::Update;
use std::path::Path;
use std::time::Duration;

#[tokio::test]
async fn lifecycle_prompt_list_journal_close() {
    let mut node = start_demo().await;
    assert_eq!(node.client.agents, vec!["demo".to_string()]);
    let s = node.session("demo", false).await;
    let done = node.client.prompt(&s, "/echo hello world").await.unwrap();
    assert_eq!(done.stop_reason, "end_turn");
    let events = node.drain();
    assert_eq!(answer_text(&events, &s), "hello world");
    assert!(kinds(&events).contains(&"available_commands_update".to_string()));
    assert!(events.iter().any(|e| is_status(e, SessionStatus::Working)));
    assert!(events.iter().any(|e| is_status(e, SessionStatus::Idle)));

    let list = node.client.list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].session_id, s);
    assert_eq!(list[0].connector, "demo");
    assert_eq!(list[0].status, SessionStatus::Idle);
    assert!(node.client.resume(&s).await.is_ok());

    let journal = node.journal(&s);
    assert!(journal.contains("\"kind\":\"prompt\""), "{journal}");
    assert!(journal.contains("hello world"));
    assert!(journal.contains("\"stopReason\":\"end_turn\""));

    node.client.close(&s).await.unwrap();
    // Closed, it is history: listed as ended, and it takes no prompt until reopened.
    let list = node.client.list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, SessionStatus::Closed);
    assert!(list[0].ended_ms.is_some());
    assert!(node.client.prompt(&s, "again").await.is_err());
}

#[tokio::test]
async fn showcase_turn_uses_every_update_kind_and_all_frames_are_schema_valid() {
    let mut node = start_demo().await;
    let s = node.session("demo", true).await;
    let done = node.client.prompt(&s, "fix the build").await.unwrap();
    assert_eq!(done.stop_reason, "end_turn");
    let events = node.drain();
    let kinds = kinds(&events);
    for k in [
        "agent_thought_chunk",
        "plan",
        "tool_call",
        "tool_call_update",
        "agent_message_chunk",
        "usage_update",
    ] {
        assert!(kinds.contains(&k.to_string()), "missing {k} in {kinds:?}");
    }
    // Every update parsed into the schema crate's types: the demo speaks valid ACP.
    for e in &events {
        if let NodeEvent::Update { update, .. } = e {
            assert!(
                matches!(update, Update::Known(_)),
                "not schema-valid: {update:?}"
            );
        }
    }
    assert!(events
        .iter()
        .any(|e| matches!(e, NodeEvent::AutoApproved { title, .. } if title == "Edit src/lib.rs")));
    assert!(!events
        .iter()
        .any(|e| matches!(e, NodeEvent::Permission { .. })));
    let text = answer_text(&events, &s);
    assert!(
        text.contains("```rust") && text.contains("| file |"),
        "{text}"
    );
}

#[tokio::test]
async fn permission_is_asked_without_yolo_and_the_answer_reaches_the_agent() {
    let mut node = start_demo().await;
    let s = node.session("demo", false).await;
    for (choice, expect) in [
        ("allow", "permission: allow"),
        ("reject", "permission: reject"),
    ] {
        let client = node.client.clone();
        let sid = s.clone();
        let turn = tokio::spawn(async move { client.prompt(&sid, "/permission").await });
        let seen = node
            .wait_for(|e| matches!(e, NodeEvent::Permission { .. }))
            .await;
        assert!(seen
            .iter()
            .any(|e| is_status(e, SessionStatus::NeedsPermission)));
        let Some(NodeEvent::Permission { request, ask, .. }) = seen.last().cloned() else {
            unreachable!()
        };
        assert_eq!(ask.options.len(), 3);
        node.client
            .answer_permission(request, PermissionAnswer::Selected(choice.into()))
            .await;
        assert_eq!(turn.await.unwrap().unwrap().stop_reason, "end_turn");
        let events = node.drain();
        assert!(
            answer_text(&events, &s).ends_with(expect),
            "{:?}",
            answer_text(&events, &s)
        );
    }
}

#[tokio::test]
async fn cancel_mid_stream_keeps_partial_output() {
    let mut node = start_demo().await;
    let s = node.session("demo", false).await;
    let client = node.client.clone();
    let sid = s.clone();
    let turn = tokio::spawn(async move { client.prompt(&sid, "/slow 200").await });
    let seen = node
        .wait_for(|e| matches!(e, NodeEvent::Update { update, .. } if update.kind() == "agent_message_chunk"))
        .await;
    node.client.cancel(&s).await;
    let done = turn.await.unwrap().unwrap();
    assert_eq!(done.stop_reason, "cancelled");
    let mut all = seen;
    all.extend(node.drain());
    let text = answer_text(&all, &s);
    assert!(
        text.starts_with("tick 1\n") && !text.contains("tick 200"),
        "{text}"
    );
    assert!(node.journal(&s).contains("tick 1"));
    // The session is still usable.
    assert_eq!(
        node.client
            .prompt(&s, "/echo after")
            .await
            .unwrap()
            .stop_reason,
        "end_turn"
    );
}

#[tokio::test]
async fn cancel_answers_a_pending_permission_request_as_cancelled() {
    let mut node = start_demo().await;
    let s = node.session("demo", false).await;
    let client = node.client.clone();
    let sid = s.clone();
    let turn = tokio::spawn(async move { client.prompt(&sid, "/permission").await });
    node.wait_for(|e| matches!(e, NodeEvent::Permission { .. }))
        .await;
    node.client.cancel(&s).await;
    assert_eq!(turn.await.unwrap().unwrap().stop_reason, "cancelled");
    assert!(answer_text(&node.drain(), &s).ends_with("permission: cancelled"));
}

#[tokio::test]
async fn timeout_cancels_then_kills_an_agent_that_ignores_cancel() {
    let mut node = start(
        demo_connectors(vec![]),
        Duration::from_secs(1),
        Duration::from_secs(1),
    )
    .await;
    // An agent that honours cancel: the turn ends `cancelled` and is marked as timed out.
    let s = node.session("demo", false).await;
    let done = node.client.prompt(&s, "/slow 1000").await.unwrap();
    assert_eq!(done.stop_reason, "cancelled");
    assert!(done.timed_out);
    // An agent that hangs: killed after the grace period, the session fails with the reason.
    let err = node.client.prompt(&s, "/hang").await.unwrap_err();
    assert!(err.message.contains("timed out"), "{}", err.message);
    let seen = node.wait_for(|e| is_status(e, SessionStatus::Failed)).await;
    let Some(NodeEvent::Status {
        reason: Some(reason),
        ..
    }) = seen.last()
    else {
        panic!("{seen:?}")
    };
    assert!(reason.contains("timed out after 1 s"), "{reason}");
    let list = node.client.list().await.unwrap();
    assert_eq!(list[0].status, SessionStatus::Failed);
}

#[tokio::test]
async fn per_session_timeout_overrides_the_node_default() {
    let node = start_demo().await;
    let mut opts = node.options("demo", false);
    opts.prompt_timeout_secs = Some(1);
    let created = node.client.new_session(&opts).await.unwrap();
    assert_eq!(created.prompt_timeout_secs, Some(1));
    let done = node
        .client
        .prompt(&created.session_id, "/slow 1000")
        .await
        .unwrap();
    assert!(done.timed_out);
}

#[tokio::test]
async fn crash_fails_the_session_with_exit_status_and_stderr_and_spares_others() {
    let mut node = start_demo().await;
    let victim = node.session("demo", false).await;
    let other = node.session("demo", false).await;
    let err = node.client.prompt(&victim, "/crash").await.unwrap_err();
    assert!(err.message.contains("exit status 3"), "{}", err.message);
    let seen = node.wait_for(|e| is_status(e, SessionStatus::Failed)).await;
    let Some(NodeEvent::Status {
        session,
        reason: Some(reason),
        ..
    }) = seen.last()
    else {
        panic!()
    };
    assert_eq!(session, &victim);
    assert!(
        reason.contains("exit status 3") && reason.contains("simulated crash"),
        "{reason}"
    );
    assert!(answer_text(&seen, &victim).contains("About to crash"));
    let log = std::fs::read_to_string(node.paths.logs_dir().join(format!("{victim}.stderr.log")))
        .unwrap();
    assert!(log.contains("simulated crash"));
    // The other session is untouched.
    assert_eq!(
        node.client
            .prompt(&other, "/echo fine")
            .await
            .unwrap()
            .stop_reason,
        "end_turn"
    );
    let err = node.client.prompt(&victim, "/echo x").await.unwrap_err();
    assert!(err.message.contains("session failed"), "{}", err.message);
}

#[tokio::test]
async fn malformed_frames_are_skipped_unknown_kinds_kept_unknown_methods_refused() {
    let mut node = start_demo().await;
    let s = node.session("demo", false).await;
    let done = node.client.prompt(&s, "/malformed").await.unwrap();
    assert_eq!(done.stop_reason, "end_turn");
    let events = node.drain();
    assert!(events
        .iter()
        .any(|e| matches!(e, NodeEvent::Update { update: Update::Unknown(v), .. } if v["sessionUpdate"] == "hologram_update")));
    assert!(
        answer_text(&events, &s).contains("-32601"),
        "{}",
        answer_text(&events, &s)
    );
}

#[tokio::test]
async fn file_system_access_is_confined_to_the_working_directory() {
    let mut node = start_demo().await;
    let s = node.session("demo", true).await;
    std::fs::write(node.dir.path().join("outside.txt"), "secret").unwrap();
    node.client.prompt(&s, "/fs-escape").await.unwrap();
    let text = answer_text(&node.drain(), &s);
    assert_eq!(text.matches(": refused (").count(), 3, "{text}");
    assert!(!text.contains("ALLOWED"), "{text}");
    assert!(
        !Path::new("/tmp/praxis-escape.txt").exists()
            || std::fs::read_to_string("/tmp/praxis-escape.txt").unwrap() != "x"
    );

    node.client
        .prompt(&s, "/write notes/hello.txt hi there")
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(node.work_dir().join("notes/hello.txt")).unwrap(),
        "hi there"
    );
    node.client
        .prompt(&s, "/read notes/hello.txt")
        .await
        .unwrap();
    assert!(answer_text(&node.drain(), &s).contains("hi there"));
}

#[tokio::test]
async fn start_errors_are_clear() {
    let node = start_demo().await;
    let err = node
        .client
        .new_session(&node.options("nope", false))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("no agent named `nope`") && err.message.contains("demo"),
        "{}",
        err.message
    );
    let mut opts = node.options("demo", false);
    opts.cwd = node.dir.path().join("missing");
    let err = node.client.new_session(&opts).await.unwrap_err();
    assert!(err.message.contains("does not exist"), "{}", err.message);

    let mut missing = connectors::demo(Path::new("/nonexistent/agent-binary"), &[]);
    missing.name = "ghost".into();
    let node = start(
        demo_connectors(vec![missing]),
        Duration::from_secs(60),
        Duration::from_secs(1),
    )
    .await;
    let err = node
        .client
        .new_session(&node.options("ghost", false))
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("cannot start `/nonexistent/agent-binary`"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn authentication_is_attempted_and_a_refusal_is_explained() {
    let mut needs_auth = connectors::demo(Path::new(PRAXIS), &["--require-auth"]);
    needs_auth.name = "locked".into();
    let mut no_token = needs_auth.clone();
    no_token.name = "no-token".into();
    no_token.auth_method = Some("demo-token".into());
    let mut with_token = no_token.clone();
    with_token.name = "unlocked".into();
    with_token
        .command
        .env
        .insert("PRAXIS_DEMO_TOKEN".into(), "t".into());
    let connectors = demo_connectors(vec![needs_auth, no_token, with_token]);
    let node = start(connectors, Duration::from_secs(60), Duration::from_secs(1)).await;
    // No auth method configured: praxis does not guess (methods may be interactive).
    let err = node
        .client
        .new_session(&node.options("locked", false))
        .await
        .unwrap_err();
    assert_eq!(err.code, -32000);
    assert!(
        err.message
            .contains("agent `locked` requires authentication (methods: demo-token)"),
        "{}",
        err.message
    );
    assert!(err.message.contains("auth_method"), "{}", err.message);
    // Configured, but the agent refuses.
    let err = node
        .client
        .new_session(&node.options("no-token", false))
        .await
        .unwrap_err();
    assert_eq!(err.code, -32000);
    assert!(
        err.message.contains("PRAXIS_DEMO_TOKEN is not set"),
        "{}",
        err.message
    );
    // Configured and accepted.
    let s = node.session("unlocked", false).await;
    assert_eq!(
        node.client
            .prompt(&s, "/echo in")
            .await
            .unwrap()
            .stop_reason,
        "end_turn"
    );
}

#[tokio::test]
async fn yolo_can_be_toggled_per_session_and_is_not_inherited() {
    let mut node = start_demo().await;
    let a = node.session("demo", true).await;
    let b = node.session("demo", false).await;
    let list = node.client.list().await.unwrap();
    let yolo = |id: &str| list.iter().find(|s| s.session_id == id).unwrap().yolo;
    assert!(yolo(&a) && !yolo(&b));
    assert!(!node.client.set_yolo(&a, false).await.unwrap());
    let client = node.client.clone();
    let sid = a.clone();
    let turn = tokio::spawn(async move { client.prompt(&sid, "/permission").await });
    let seen = node
        .wait_for(|e| matches!(e, NodeEvent::Permission { .. }))
        .await;
    let Some(NodeEvent::Permission { request, .. }) = seen.last().cloned() else {
        unreachable!()
    };
    node.client
        .answer_permission(request, PermissionAnswer::Selected("allow".into()))
        .await;
    turn.await.unwrap().unwrap();
}

#[tokio::test]
async fn modes_can_be_set() {
    let mut node = start_demo().await;
    let created = node
        .client
        .new_session(&node.options("demo", false))
        .await
        .unwrap();
    assert_eq!(
        created.modes.as_ref().unwrap().current.as_deref(),
        Some("default")
    );
    node.client
        .set_mode(&created.session_id, "plan")
        .await
        .unwrap();
    node.wait_for(
        |e| matches!(e, NodeEvent::Update { update, .. } if update.kind() == "current_mode_update"),
    )
    .await;
    assert!(node
        .client
        .set_mode(&created.session_id, "bogus")
        .await
        .is_err());
}

#[tokio::test]
async fn config_options_are_advertised_and_set_through_the_node() {
    use praxis::node::client::{ConfigOption, OptionSetting, OptionValue};
    let mut node = start_demo().await;
    let created = node
        .client
        .new_session(&node.options("demo", false))
        .await
        .unwrap();
    let current =
        |opts: &[ConfigOption], id: &str| opts.iter().find(|o| o.id == id).map(|o| o.value.clone());
    let ids: Vec<&str> = created.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["model", "mode", "thought", "brief"]);
    assert_eq!(created.model.as_deref(), Some("demo-fast"));
    let sid = &created.session_id;
    let after = node
        .client
        .set_config_option(sid, "model", &OptionSetting::Value("demo-deep".into()))
        .await
        .unwrap();
    assert!(matches!(
        current(&after, "model"),
        Some(OptionValue::Select { current, .. }) if current == "demo-deep"
    ));
    // A boolean option is sent typed, as the protocol asks.
    let after = node
        .client
        .set_config_option(sid, "brief", &OptionSetting::Toggle(true))
        .await
        .unwrap();
    assert_eq!(current(&after, "brief"), Some(OptionValue::Toggle(true)));
    let err = node
        .client
        .set_config_option(sid, "model", &OptionSetting::Value("gpt-9".into()))
        .await
        .unwrap_err();
    assert!(err.message.contains("no value `gpt-9`"), "{}", err.message);
    // Setting the mode the old way tells the options too.
    node.client.set_mode(sid, "plan").await.unwrap();
    node.wait_for(
        |e| matches!(e, NodeEvent::Update { update, .. } if update.kind() == "config_option_update"),
    )
    .await;
}

#[tokio::test]
async fn agent_session_list_and_load_follow_advertised_capabilities() {
    use praxis::node::agent::AgentConn;
    let dir = tempfile::tempdir().unwrap();
    let connector = connectors::demo(Path::new(PRAXIS), &[]);
    let log = dir.path().join("stderr.log");
    let (agent, _incoming) = AgentConn::start(&connector, dir.path(), serde_json::json!([]), &log)
        .await
        .unwrap();
    // The demo advertises `sessionCapabilities.list` but not `loadSession`.
    let listed = agent.list_sessions().await.unwrap();
    assert_eq!(
        listed["sessions"][0]["sessionId"],
        agent.session_id.as_str()
    );
    let err = agent
        .load_session(&agent.session_id, dir.path())
        .await
        .unwrap_err();
    assert_eq!(err.code, -32601);
    assert!(agent.has_session_capability("close"));
    agent.close_session().await;
    assert_eq!(
        agent.list_sessions().await.unwrap()["sessions"],
        serde_json::json!([])
    );
    agent.process.terminate(Duration::from_secs(1)).await;
    assert!(agent.process.exit_status().is_some());
}

#[tokio::test]
async fn the_node_renders_a_transcript_from_its_journal_even_after_close() {
    let node = start_demo().await;
    let s = node.session("demo", false).await;
    node.client
        .prompt(&s, "/echo hello transcript")
        .await
        .unwrap();
    let md = node.client.transcript(&s).await.unwrap();
    assert!(md.contains("hello transcript"), "{md}");
    node.client.close(&s).await.unwrap();
    let md = node.client.transcript(&s).await.unwrap();
    assert!(
        md.contains("hello transcript"),
        "ended sessions export too: {md}"
    );
    for bad in ["no-such-session", "../../etc/passwd", ""] {
        let e = node.client.transcript(bad).await.unwrap_err();
        assert_eq!(
            praxis::node_api::ErrorKind::of(&e),
            praxis::node_api::ErrorKind::NotFound,
            "{bad:?}: {e}"
        );
    }
}
