//! Links over a real RabbitMQ broker (`src/amqp/`): frames cross both ways exactly once and in
//! order, clients stay apart, a missing node, a closed link and a restarted node are reported
//! with their reasons, presence and pings arrive, passwords never show, a vanished client or a
//! deleted client queue is handled, batched bursts arrive as sent. Broker restarts and
//! throughput are in `amqp_restart.rs`.
//!
//! The shared broker (`PRAXIS_TEST_BROKER`, else amqp://guest:guest@127.0.0.1:5672/%2f) must
//! answer: a test that cannot reach it fails with the reason; nothing is skipped. Every test
//! uses node and client names of its own, and deletes the node inboxes it made (client queues
//! expire by themselves a minute after their endpoint goes).

#[path = "common/links.rs"]
mod links;
#[path = "common/rabbit/mod.rs"]
mod rabbit;

use links::*;
use praxis::amqp::{redact, AmqpError, AmqpUrl, ClientEndpoint, NodeEndpoint, Presence};
use praxis::wire::{Inbound, Transport};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_frames_each_way_arrive_once_in_order() {
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let (endpoint, _accepted, client, link, there) = linked(&url, &node, &unique("c")).await;
    let Transport {
        outgoing: c_out,
        incoming: mut c_in,
    } = link;
    let Transport {
        outgoing: n_out,
        incoming: mut n_in,
    } = there;
    let n = 10_000;
    let up = tokio::spawn(send_sequence(c_out.clone(), "up".into(), n));
    let down = tokio::spawn(send_sequence(n_out.clone(), "down".into(), n));
    let at_node = tokio::spawn(async move {
        expect_sequence(&mut n_in, "up", n).await;
        n_in
    });
    expect_sequence(&mut c_in, "down", n).await;
    up.await.unwrap();
    down.await.unwrap();
    at_node.await.unwrap();
    drop((c_out, n_out));
    client.close().await;
    endpoint.close().await;
    forget_node(&url, &node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_and_links_stay_apart() {
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let (endpoint, mut accepted) = NodeEndpoint::bind(&url, &node).await.unwrap();
    let (id_a, id_b) = (unique("a"), unique("b"));
    let a = ClientEndpoint::connect(&url, &id_a).await.unwrap();
    let b = ClientEndpoint::connect(&url, &id_b).await.unwrap();
    // a holds two links to the node, b one: three independent conversations.
    let mut links = vec![
        ("a1", a.open(&node)),
        ("a2", a.open(&node)),
        ("b1", b.open(&node)),
    ];
    for (name, link) in &links {
        link.outgoing.send(format!("I am {name}")).await.unwrap();
    }
    // The node echoes every frame on the link it came from, with the link's client id.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let acc = tokio::time::timeout(WAIT, accepted.recv())
            .await
            .expect("three links accepted")
            .unwrap();
        seen.push((acc.client.clone(), acc.link.clone()));
        let (client, mut t) = (acc.client, acc.transport);
        tokio::spawn(async move {
            while let Some(Inbound::Line(l)) = t.incoming.recv().await {
                if t.outgoing.send(format!("{client}: {l}")).await.is_err() {
                    break;
                }
            }
        });
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "three distinct links: {seen:?}");
    assert_eq!(seen.iter().filter(|(c, _)| *c == id_a).count(), 2);
    assert_eq!(seen.iter().filter(|(c, _)| *c == id_b).count(), 1);
    for (name, link) in &mut links {
        let id = if name.starts_with('a') { &id_a } else { &id_b };
        let got = line(&mut link.incoming, name).await;
        assert_eq!(got, format!("{id}: I am {name}"));
        link.outgoing.send(format!("{name} again")).await.unwrap();
        let got = line(&mut link.incoming, name).await;
        assert_eq!(got, format!("{id}: {name} again"));
    }
    for (name, link) in &mut links {
        let quiet = tokio::time::timeout(Duration::from_millis(300), link.incoming.recv()).await;
        assert!(
            quiet.is_err(),
            "{name} got a frame meant for another: {quiet:?}"
        );
    }
    drop(links);
    a.close().await;
    b.close().await;
    endpoint.close().await;
    forget_node(&url, &node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_a_node_that_never_ran_closes_with_no_route() {
    let url = rabbit::require_shared_broker();
    let client = ClientEndpoint::connect(&url, &unique("c")).await.unwrap();
    let node = unique("ghost");
    let mut link = client.open(&node);
    link.outgoing.send("anyone?".into()).await.unwrap();
    let reason = closed(&mut link.incoming, "closing a link to nowhere").await;
    assert_eq!(reason, format!("node {node} is not running (no route)"));
    let mut bad = client.open("no.dots");
    let reason = closed(&mut bad.incoming, "an invalid node name").await;
    assert!(reason.contains("invalid node name"), "{reason}");
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_sender_closes_the_other_side() {
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let client_id = unique("c");
    let (endpoint, mut accepted, client, link, mut there) = linked(&url, &node, &client_id).await;
    // The client stops sending: the node sees its frames, then the close.
    link.outgoing.send("last words".into()).await.unwrap();
    let Transport {
        outgoing,
        incoming: mut c_in,
    } = link;
    drop(outgoing);
    assert_eq!(line(&mut there.incoming, "last words").await, "last words");
    let reason = closed(&mut there.incoming, "the client's close").await;
    assert_eq!(reason, format!("client {client_id} closed the link"));
    // The other direction still works until the node drops its sender too.
    there.outgoing.send("still here".into()).await.unwrap();
    assert_eq!(line(&mut c_in, "still here").await, "still here");
    drop(there);
    let reason = closed(&mut c_in, "the node's close").await;
    assert_eq!(reason, format!("node {node} closed the link"));

    // And the other way round, on a fresh link: the node drops first.
    let mut link = client.open(&node);
    link.outgoing.send("hi".into()).await.unwrap();
    let acc = tokio::time::timeout(WAIT, accepted.recv())
        .await
        .unwrap()
        .unwrap();
    drop(acc.transport.outgoing);
    let reason = closed(&mut link.incoming, "the node dropping first").await;
    assert_eq!(reason, format!("node {node} closed the link"));
    client.close().await;
    endpoint.close().await;
    forget_node(&url, &node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_ends_the_old_links() {
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let (endpoint, _accepted, client, mut link, _there) = linked(&url, &node, &unique("c")).await;
    let old_boot = endpoint.boot_id().to_string();
    endpoint.close().await;
    let (again, _accepted) = NodeEndpoint::bind(&url, &node).await.unwrap();
    assert_ne!(again.boot_id(), old_boot);
    link.outgoing
        .send("are you the same?".into())
        .await
        .unwrap();
    let reason = closed(&mut link.incoming, "a link to a restarted node").await;
    assert_eq!(reason, format!("node {node} restarted"));
    client.close().await;
    again.close().await;
    forget_node(&url, &node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_and_pings_reach_the_client() {
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let client = ClientEndpoint::connect(&url, &unique("c")).await.unwrap();
    let mut presence = client.presence();
    let (endpoint, _accepted) = NodeEndpoint::bind(&url, &node).await.unwrap();
    let body = serde_json::json!({"connectors": ["demo"], "sessions": 0});
    endpoint.announce(&body).await.unwrap();
    let mine = |p: &Presence| p.node == node;
    let first = wait_presence(&mut presence, &mine).await;
    assert_eq!(first.body, body);
    assert_eq!(first.boot, endpoint.boot_id());
    // A ping is answered with the latest presence.
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.ping().await.unwrap();
    let answer = wait_presence(&mut presence, &mine).await;
    assert_eq!(answer.body, body);
    client.close().await;
    endpoint.close().await;
    forget_node(&url, &node).await;
}

async fn wait_presence(
    rx: &mut tokio::sync::broadcast::Receiver<Presence>,
    pick: &impl Fn(&Presence) -> bool,
) -> Presence {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(p)) if pick(&p) => return p,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("presence ended: {e}"),
            Err(_) => panic!("no presence within {WAIT:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_show() {
    let url = AmqpUrl::parse("amqp://alice:s3cr3t-pw@127.0.0.1:5672/%2f").unwrap();
    assert_eq!(url.to_string(), "amqp://alice@127.0.0.1:5672/%2f");
    assert!(!format!("{url:?}").contains("s3cr3t"));
    assert_eq!(
        redact("amqps://alice:s3cr3t-pw@broker:5671/prod"),
        "amqps://alice@broker:5671/prod"
    );
    assert!(!redact("amqp://alice:s3cr3t-pw@host:notaport").contains("s3cr3t"));

    // Nobody listens on port 1: refused, said plainly, no password.
    let err = ClientEndpoint::connect("amqp://alice:s3cr3t-pw@127.0.0.1:1/%2f", "c1")
        .await
        .err()
        .expect("port 1 refuses");
    let text = err.to_string();
    assert_eq!(
        text,
        "cannot reach the broker at amqp://alice@127.0.0.1:1/%2f: connection refused"
    );

    // The real broker refuses a wrong password: a login error, no password.
    let shared = rabbit::require_shared_broker();
    let parsed = AmqpUrl::parse(&shared).unwrap();
    let wrong = format!(
        "amqp://guest:wr0ng-pw@{}:{}/%2f",
        parsed.host(),
        parsed.port()
    );
    let started = Instant::now();
    let err = NodeEndpoint::bind(&wrong, &unique("n"))
        .await
        .err()
        .expect("a wrong password is refused");
    assert!(matches!(err, AmqpError::LoginRefused { .. }), "{err}");
    assert!(!err.to_string().contains("wr0ng-pw"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    let err = NodeEndpoint::bind(&shared, "bad name").await.err().unwrap();
    assert!(err.to_string().contains("invalid node name"), "{err}");
}

/// A node publishing to a client whose queue is gone (expired after the client went) closes
/// that link: "client <id> is gone".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_a_vanished_client_closes_on_the_node() {
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let client_id = unique("c");
    let (endpoint, _accepted, client, _link, mut there) = linked(&url, &node, &client_id).await;
    client.close().await;
    // What x-expires does a minute after the client went, at once.
    let conn = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.queue_delete(
        format!("praxis.c.{client_id}").into(),
        lapin::options::QueueDeleteOptions::default(),
    )
    .await
    .unwrap();
    there.outgoing.send("anyone?".into()).await.unwrap();
    let reason = closed(&mut there.incoming, "a link to a vanished client").await;
    assert_eq!(reason, format!("client {client_id} is gone"));
    let _ = conn.close(200, "bye".into()).await;
    endpoint.close().await;
    forget_node(&url, &node).await;
}

/// A client whose queue is deleted under it (the broker cancels its consumer) declares it
/// again on a new connection; a node that published into the gap closed that link ("client
/// c is gone"), and tells the client so when it sends on it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_client_queue_comes_back_and_the_lost_link_is_refused() {
    logs();
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let client_id = unique("c");
    let (endpoint, mut accepted, client, mut link, mut there) =
        linked(&url, &node, &client_id).await;
    let mut state = client.state();
    let conn = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.queue_delete(
        format!("praxis.c.{client_id}").into(),
        lapin::options::QueueDeleteOptions::default(),
    )
    .await
    .unwrap();
    // Into the gap before the client declares its queue again.
    there.outgoing.send("lost".into()).await.unwrap();
    let reason = closed(&mut there.incoming, "the node's link into the gap").await;
    assert_eq!(reason, format!("client {client_id} is gone"));
    // The client reconnects and its queue is back (a passive declare of a missing queue
    // closes its channel: a fresh channel each time).
    tokio::time::timeout(WAIT, async {
        loop {
            let probe = conn.create_channel().await.unwrap();
            let exists = probe
                .queue_declare(
                    format!("praxis.c.{client_id}").into(),
                    lapin::options::QueueDeclareOptions {
                        passive: true,
                        ..Default::default()
                    },
                    lapin::types::FieldTable::default(),
                )
                .await;
            if exists.is_ok() && *state.borrow_and_update() == praxis::amqp::LinkState::Connected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the client's queue came back");
    link.outgoing.send("still there?".into()).await.unwrap();
    let reason = closed(&mut link.incoming, "the client's link the node closed").await;
    assert_eq!(
        reason,
        format!("node {node} refused the link: the node closed this link")
    );
    // A new link works.
    let mut fresh = client.open(&node);
    fresh.outgoing.send("again".into()).await.unwrap();
    let mut acc = tokio::time::timeout(WAIT, accepted.recv())
        .await
        .expect("the new link accepted")
        .unwrap()
        .transport;
    assert_eq!(line(&mut acc.incoming, "again").await, "again");
    acc.outgoing.send("welcome back".into()).await.unwrap();
    assert_eq!(
        line(&mut fresh.incoming, "welcome back").await,
        "welcome back"
    );
    let _ = conn.close(200, "bye".into()).await;
    client.close().await;
    endpoint.close().await;
    forget_node(&url, &node).await;
}

/// `amqps://` goes through TLS (rustls): against the plain AMQP port, the TLS handshake fails,
/// quickly and with a reason, never with the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqps_speaks_tls() {
    let shared = rabbit::require_shared_broker();
    let parsed = AmqpUrl::parse(&shared).unwrap();
    let url = format!(
        "amqps://guest:tls-s3cret@{}:{}/%2f",
        parsed.host(),
        parsed.port()
    );
    let started = Instant::now();
    let err = ClientEndpoint::connect(&url, &unique("c"))
        .await
        .err()
        .expect("TLS to a plain port fails");
    let text = err.to_string();
    eprintln!("amqps to a plain port: {text}");
    assert!(!text.contains("tls-s3cret"), "{text}");
    assert!(text.contains("amqps://guest@"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
}

/// Frames queued together travel batched: a burst mixing frames with embedded newlines,
/// empty frames, large frames and multi-byte text arrives exactly as sent, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_bursts_arrive_exactly_as_sent() {
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let (endpoint, _accepted, client, link, mut there) = linked(&url, &node, &unique("c")).await;
    let frames: Vec<String> = (0..3000)
        .map(|i| match i % 13 {
            0 => format!("line {i}\nwith a newline\n"),
            5 => String::new(),
            7 => format!("{i}:{}", "x".repeat(70_000)),
            9 => format!("{i} é 漢字 🚀"),
            _ => format!("{{\"i\":{i}}}"),
        })
        .collect();
    let out = link.outgoing.clone();
    let sending = frames.clone();
    let sender = tokio::spawn(async move {
        for f in sending {
            out.send(f).await.unwrap();
        }
    });
    for (i, want) in frames.iter().enumerate() {
        let got = line(&mut there.incoming, &format!("frame {i}")).await;
        assert_eq!(&got, want, "frame {i}");
    }
    sender.await.unwrap();
    drop(link);
    client.close().await;
    endpoint.close().await;
    forget_node(&url, &node).await;
}
