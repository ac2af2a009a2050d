//! Helpers of the link tests (`amqp_link.rs`, `amqp_restart.rs`): unique names, endpoints
//! linked to each other, waiting for frames with a hang guard, numbered frame sequences.

#![allow(dead_code)]

use praxis::amqp::{ClientEndpoint, NodeEndpoint};
use praxis::wire::{Inbound, Transport};
use std::time::Duration;
use tokio::sync::mpsc;

pub const WAIT: Duration = Duration::from_secs(120);

/// Logs to the test's output: what RUST_LOG asks for (e.g. `RUST_LOG=lapin=debug,praxis=debug`),
/// else warnings of this crate and errors of lapin (a failure then shows what went wrong).
pub fn logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("praxis=info,lapin=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .with_thread_ids(true)
        .try_init();
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Deletes a node's inbox (tests make a new node name each run).
pub async fn forget_node(url: &str, node: &str) {
    use lapin::options::QueueDeleteOptions;
    if let Ok(conn) = lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await
    {
        if let Ok(ch) = conn.create_channel().await {
            let _ = ch
                .queue_delete(
                    format!("praxis.n.{node}.in").into(),
                    QueueDeleteOptions::default(),
                )
                .await;
        }
        let _ = conn.close(200, "bye".into()).await;
    }
}

/// The next item, or a panic saying what was being waited for.
pub async fn next(incoming: &mut mpsc::Receiver<Inbound>, what: &str) -> Inbound {
    match tokio::time::timeout(WAIT, incoming.recv()).await {
        Ok(Some(item)) => item,
        Ok(None) => panic!("{what}: the incoming channel ended without Closed"),
        Err(_) => panic!("{what}: nothing within {WAIT:?}"),
    }
}

pub async fn line(incoming: &mut mpsc::Receiver<Inbound>, what: &str) -> String {
    match next(incoming, what).await {
        Inbound::Line(l) => l,
        other => panic!("{what}: expected a line, got {other:?}"),
    }
}

pub async fn closed(incoming: &mut mpsc::Receiver<Inbound>, what: &str) -> String {
    loop {
        match next(incoming, what).await {
            Inbound::Closed(reason) => return reason,
            Inbound::Line(_) => continue,
            other => panic!("{what}: expected Closed, got {other:?}"),
        }
    }
}

/// Receives `n` lines and checks they are `{prefix}{i}` for i in 0..n, in order, then that
/// nothing more arrives for a moment (exactly once).
pub async fn expect_sequence(incoming: &mut mpsc::Receiver<Inbound>, prefix: &str, n: usize) {
    for i in 0..n {
        let got = line(incoming, &format!("frame {i} of {prefix}")).await;
        assert_eq!(got, format!("{prefix}{i}"), "frame {i} out of order");
    }
    match tokio::time::timeout(Duration::from_millis(500), incoming.recv()).await {
        Err(_) => {}
        Ok(extra) => panic!("after {n} frames of {prefix}, one more arrived: {extra:?}"),
    }
}

pub async fn send_sequence(outgoing: mpsc::Sender<String>, prefix: String, n: usize) {
    for i in 0..n {
        outgoing
            .send(format!("{prefix}{i}"))
            .await
            .unwrap_or_else(|_| panic!("link closed while sending {prefix}{i}"));
    }
}

/// Binds a node and connects a client on `url`, opens a link, sends one frame to get it
/// accepted; returns both ends.
pub async fn linked(
    url: &str,
    node: &str,
    client: &str,
) -> (
    NodeEndpoint,
    mpsc::Receiver<praxis::amqp::Accepted>,
    ClientEndpoint,
    Transport,
    Transport,
) {
    let (endpoint, mut accepted) = NodeEndpoint::bind(url, node).await.expect("bind");
    let client = ClientEndpoint::connect(url, client).await.expect("connect");
    let mut link = client.open(node);
    link.outgoing.send("hello".into()).await.unwrap();
    let acc = tokio::time::timeout(WAIT, accepted.recv())
        .await
        .expect("the node accepted nothing")
        .expect("accept channel ended");
    let mut there = acc.transport;
    assert_eq!(line(&mut there.incoming, "hello").await, "hello");
    there.outgoing.send("welcome".into()).await.unwrap();
    assert_eq!(line(&mut link.incoming, "welcome").await, "welcome");
    (endpoint, accepted, client, link, there)
}
