//! Frames relayed client → broker → node → broker → client over praxis's AMQP links, on the
//! machine's RabbitMQ (127.0.0.1:5672, or PRAXIS_TEST_BROKER), publisher confirms on:
//! - throughput: 20 000 small frames pipelined through an echoing node, frames/s;
//! - round trip: 2 000 frames one at a time, p50 and p99.
//!
//! Issue 12 asks for ≥ 20 000 frames/s and a p50 under 1 ms. Prints the figures; asserts none.

use praxis::amqp::{ClientEndpoint, NodeEndpoint};
use std::time::{Duration, Instant};

const FRAME: &str = r#"{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"0123456789abcdef"}}}}"#;

fn main() {
    let url = std::env::var("PRAXIS_TEST_BROKER")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let node = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let (endpoint, mut accepted) = NodeEndpoint::bind(&url, &node)
            .await
            .unwrap_or_else(|e| panic!("the relay bench needs a broker: {e}"));
        // The node echoes every frame back on the same link.
        tokio::spawn(async move {
            while let Some(a) = accepted.recv().await {
                let mut t = a.transport;
                tokio::spawn(async move {
                    while let Some(praxis::wire::Inbound::Line(l)) = t.incoming.recv().await {
                        if t.outgoing.send(l).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let client = ClientEndpoint::connect(&url, &format!("c-{}", uuid::Uuid::new_v4().simple()))
            .await
            .unwrap();
        let mut link = client.open(&node);
        // Warm up (the node accepts the link on its first frame).
        for _ in 0..200 {
            link.outgoing.send(FRAME.into()).await.unwrap();
            link.incoming.recv().await.unwrap();
        }
        let n = 20_000;
        let start = Instant::now();
        let out = link.outgoing.clone();
        let sender = tokio::spawn(async move {
            for _ in 0..n {
                out.send(FRAME.into()).await.unwrap();
            }
        });
        for _ in 0..n {
            link.incoming.recv().await.unwrap();
        }
        sender.await.unwrap();
        let took = start.elapsed();
        println!(
            "relay throughput: {n} frames client → node → client in {:.2} s = {:.0} frames/s",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
        let mut rtts: Vec<Duration> = Vec::with_capacity(2000);
        for _ in 0..2000 {
            let t = Instant::now();
            link.outgoing.send(FRAME.into()).await.unwrap();
            link.incoming.recv().await.unwrap();
            rtts.push(t.elapsed());
        }
        rtts.sort();
        println!(
            "relay round trip (one frame at a time, 2000): p50 {:.3} ms, p99 {:.3} ms",
            rtts[1000].as_secs_f64() * 1e3,
            rtts[1980].as_secs_f64() * 1e3
        );
        drop(link);
        client.close().await;
        endpoint.close().await;
    });
}
