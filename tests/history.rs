//! Sessions you can find again: a node keeps every session it ran in its index, so after the
//! app quits and starts again the node lists them (title from the first prompt, ended), any
//! unique id prefix names one, and reopening one replays its journal and continues it: with a
//! fresh agent session (said in the transcript) when the agent cannot load the old one. The
//! agent that can (`session/load`) is in `tests/python_sdk.rs`.

mod common;

use common::{answer_text, is_status};
use praxis::node::{NodeEvent, SessionStatus};
use praxis::node_api::ErrorKind;

fn notices(events: &[NodeEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            NodeEvent::Notice { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_session_is_listed_after_a_restart_and_reopens_by_its_short_id() {
    let mut node = common::start_demo().await;
    let s = node.session("demo", false).await;
    node.client
        .prompt(&s, "/echo first answer\nmore")
        .await
        .unwrap();
    let other = node.session("demo", false).await;
    node.client.close(&other).await.unwrap();
    node.drain();

    let mut node = node.restart().await;
    let list = node.client.list().await.unwrap();
    let past = list
        .iter()
        .find(|p| p.session_id == s)
        .expect("listed after a restart");
    assert_eq!(past.title.as_deref(), Some("/echo first answer"));
    assert_eq!(past.status, SessionStatus::Closed);
    assert!(past.ended_ms.is_some() && past.last_activity_ms >= past.created_ms);
    assert!(
        list.iter().all(|p| p.session_id != other),
        "a session never given a prompt is nothing to find again"
    );

    // The transcript and a reopen take the 8 characters the UI shows.
    let md = node.client.transcript(&s[..8]).await.unwrap();
    assert!(md.contains("first answer"), "{md}");
    node.client.reopen(&s[..8]).await.unwrap();
    // The replay, then the reopen's notice and its "idle".
    let mut replay = node
        .wait_for(|e| {
            notices(std::slice::from_ref(e))
                .iter()
                .any(|n| n.contains("without the earlier context"))
        })
        .await;
    replay.extend(node.wait_for(|e| is_status(e, SessionStatus::Idle)).await);
    assert!(
        replay.iter().any(|e| matches!(e, NodeEvent::Notice { message, info: true, .. } if message.contains("without the earlier context"))),
        "the reopen's notice is information, not a warning"
    );
    assert!(replay
        .iter()
        .any(|e| matches!(e, NodeEvent::Prompted { session, text } if *session == s && text.starts_with("/echo first answer"))));
    assert_eq!(answer_text(&replay, &s), "first answer\nmore");

    // The next prompt works, and the session is live again.
    node.drain();
    let done = node.client.prompt(&s, "/echo second answer").await.unwrap();
    assert_eq!(done.stop_reason, "end_turn");
    assert_eq!(answer_text(&node.drain(), &s), "second answer");
    let again = node.client.list().await.unwrap();
    let live = again.iter().find(|p| p.session_id == s).unwrap();
    assert_eq!(live.status, SessionStatus::Idle);
    assert_eq!(live.ended_ms, None);

    // Unknown and empty ids are errors that say so.
    let e = node.client.reopen("zzzz").await.unwrap_err();
    assert_eq!(ErrorKind::of(&e), ErrorKind::NotFound, "{e:?}");
    assert!(e.message.contains("no session `zzzz`"), "{}", e.message);
}

#[tokio::test]
async fn a_prompt_to_an_ended_session_says_how_to_reopen_it() {
    let node = common::start_demo().await;
    let s = node.session("demo", false).await;
    node.client.prompt(&s, "/echo hi").await.unwrap();
    let node = node.restart().await;
    let e = node.client.prompt(&s, "/echo again").await.unwrap_err();
    assert!(e.message.contains("has ended; reopen it"), "{}", e.message);
}
