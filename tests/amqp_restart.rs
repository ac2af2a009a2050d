//! Links across broker restarts (a private RabbitMQ node of the test's own: the shared broker is
//! never restarted): 5 000 frames each way while the broker is restarted (stop_app/start_app)
//! and fully restarted (shutdown and boot) arrive once and in order. Also the throughput
//! measurements (ignored; run with `--ignored --nocapture`).

#[path = "common/links.rs"]
mod links;
#[path = "common/rabbit/mod.rs"]
mod rabbit;

use links::*;

use praxis::wire::{Inbound, Transport};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The private broker is restarted (stop_app, start_app) while 5 000 frames stream each way:
/// every frame arrives once, in order, on both sides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_loses_and_repeats_nothing() {
    stream_through(
        "restart (stop_app, start_app)",
        rabbit::PrivateBroker::restart,
    )
    .await;
}

/// The same across a full restart of the broker's Erlang node (shutdown, boot).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_broker_restart_loses_and_repeats_nothing() {
    stream_through(
        "full restart (shutdown, boot)",
        rabbit::PrivateBroker::restart_full,
    )
    .await;
}

/// Streams 5 000 frames each way over a link on a private broker, calls `restart` on the
/// broker in the middle, and checks that every frame arrived once, in order, on both sides.
async fn stream_through(
    what: &'static str,
    restart: fn(&rabbit::PrivateBroker) -> Result<(), String>,
) {
    logs();
    let broker = tokio::task::spawn_blocking(rabbit::PrivateBroker::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let url = broker.url.clone();
    let node = unique("n");
    let (endpoint, _accepted, client, link, there) = linked(&url, &node, &unique("c")).await;
    let mut state = client.state();
    for (side, mut watch) in [("client", client.state()), ("node", endpoint.state())] {
        let t0 = Instant::now();
        tokio::spawn(async move {
            while watch.changed().await.is_ok() {
                let now = *watch.borrow_and_update();
                eprintln!("{side}: {now:?} at {:?}", t0.elapsed());
            }
        });
    }
    let Transport {
        outgoing: c_out,
        incoming: mut c_in,
    } = link;
    let Transport {
        outgoing: n_out,
        incoming: mut n_in,
    } = there;
    let n = 5_000;
    // Paced, so that the restart falls in the middle of both streams.
    let paced = |out: mpsc::Sender<String>, prefix: &'static str| async move {
        for i in 0..n {
            out.send(format!("{prefix}{i}")).await.unwrap();
            if i % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        out
    };
    let up = tokio::spawn(paced(c_out, "up"));
    let down = tokio::spawn(paced(n_out, "down"));
    let at_node = tokio::spawn(async move {
        expect_sequence(&mut n_in, "up", n).await;
        n_in
    });
    let at_client = tokio::spawn(async move {
        expect_sequence(&mut c_in, "down", n).await;
        c_in
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let restarted = Instant::now();
    let broker = tokio::task::spawn_blocking(move || {
        restart(&broker).unwrap_or_else(|e| panic!("{what}: {e}"));
        broker
    })
    .await
    .unwrap();
    eprintln!("broker {what} took {:?}", restarted.elapsed());
    // The client saw the outage and came back.
    let back = tokio::time::timeout(Duration::from_secs(180), async {
        while *state.borrow_and_update() != praxis::amqp::LinkState::Connected {
            state.changed().await.unwrap();
        }
    })
    .await;
    assert!(back.is_ok(), "the client never reconnected");
    let c_out = up.await.unwrap();
    let n_out = down.await.unwrap();
    at_node.await.unwrap();
    at_client.await.unwrap();
    eprintln!(
        "all frames through {:?} after the {what} began",
        restarted.elapsed()
    );
    drop((c_out, n_out));
    client.close().await;
    endpoint.close().await;
    drop(broker);
}

/// Frames per second over one link on the shared broker, each way (run with --ignored
/// --nocapture).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput() {
    let url = rabbit::require_shared_broker();
    let node = unique("n");
    let (endpoint, _accepted, client, link, there) = linked(&url, &node, &unique("c")).await;
    let n = 50_000;
    for (name, out, mut inc) in [
        ("client → node", link.outgoing, there.incoming),
        ("node → client", there.outgoing, link.incoming),
    ] {
        let started = Instant::now();
        let sender = tokio::spawn(send_sequence(out.clone(), "f".into(), n));
        let all = tokio::time::timeout(WAIT, async {
            for i in 0..n {
                match inc.recv().await {
                    Some(Inbound::Line(l)) => assert_eq!(l, format!("f{i}")),
                    other => panic!("frame {i}: {other:?}"),
                }
            }
        });
        all.await.expect("all frames within the time allowed");
        sender.await.unwrap();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "{name}: {n} frames in {secs:.2} s = {:.0} frames/s",
            n as f64 / secs
        );
    }
    client.close().await;
    endpoint.close().await;
    forget_node(&url, &node).await;
}

/// The same traffic as [`throughput`] with lapin alone (persistent, mandatory, confirmed,
/// acknowledged in batches): what the broker and lapin allow here, for comparison.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput_of_lapin_alone() {
    use futures::StreamExt;
    use lapin::options::*;
    use lapin::types::FieldTable;
    let url = rabbit::require_shared_broker();
    let conn = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let queue = unique("baseline");
    let pub_ch = conn.create_channel().await.unwrap();
    pub_ch
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let sub = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let sub_ch = sub.create_channel().await.unwrap();
    let args = FieldTable::default();
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    sub_ch
        .queue_declare(queue.as_str().into(), durable, args.clone())
        .await
        .unwrap();
    sub_ch
        .basic_qos(256, BasicQosOptions::default())
        .await
        .unwrap();
    let mut consumer = sub_ch
        .basic_consume(
            queue.as_str().into(),
            "baseline".into(),
            BasicConsumeOptions::default(),
            args,
        )
        .await
        .unwrap();
    let n = 50_000u32;
    let started = Instant::now();
    let reader = tokio::spawn(async move {
        let mut got = 0;
        while let Some(Ok(d)) = consumer.next().await {
            got += 1;
            if got % 128 == 0 || got == n {
                d.acker
                    .ack(BasicAckOptions { multiple: true })
                    .await
                    .unwrap();
            }
            if got == n {
                break;
            }
        }
    });
    let mut confirms = std::collections::VecDeque::new();
    // With PRAXIS_BASELINE_HEADERS set, the messages carry what a link's do (message id,
    // type, five headers), to tell the broker's share from this crate's.
    let headers = std::env::var_os("PRAXIS_BASELINE_HEADERS").is_some();
    for i in 0..n {
        let mut props = lapin::BasicProperties::default().with_delivery_mode(2);
        if headers {
            use lapin::types::{AMQPValue, LongString};
            let mut h = FieldTable::default();
            for k in ["node", "client", "link", "boot"] {
                let v = LongString::from(uuid::Uuid::new_v4().simple().to_string().into_bytes());
                h.insert(k.into(), AMQPValue::LongString(v));
            }
            h.insert("lseq".into(), AMQPValue::LongLongInt(i64::from(i)));
            props = props
                .with_message_id(uuid::Uuid::new_v4().simple().to_string().into())
                .with_type("frame".into())
                .with_headers(h);
        }
        let c = pub_ch
            .basic_publish(
                "".into(),
                queue.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                format!("f{i}").as_bytes(),
                props,
            )
            .await
            .unwrap();
        confirms.push_back(c);
        while confirms.len() > 4096 {
            confirms.pop_front().unwrap().await.unwrap();
        }
    }
    for c in confirms {
        c.await.unwrap();
    }
    reader.await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "lapin alone: {n} frames in {secs:.2} s = {:.0} frames/s",
        f64::from(n) / secs
    );
    let _ = sub_ch
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
}
