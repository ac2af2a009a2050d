// Self-test of the private RabbitMQ harness in tests/common/rabbit.rs: a node of the test's own
// starts, answers, keeps durable queues and persistent messages across `restart` and
// `restart_full`, drops connections on `stop_app`, and is gone after `Drop`.

#[path = "common/rabbit/mod.rs"]
mod rabbit;

use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use rabbit::PrivateBroker;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const DURABLE: &str = "harness-durable";
const TRANSIENT: &str = "harness-transient";
const PAYLOAD: &[u8] = b"persistent message that must survive restarts";

fn answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

/// Whether `pid` runs (a zombie waiting for init to reap it does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .next();
        !matches!(state, Some("Z" | "X") | None)
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn timed<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> T {
    let t = Instant::now();
    let r = f().unwrap_or_else(|e| panic!("{what} failed: {e}"));
    eprintln!("rabbit_harness: {what} took {:.2?}", t.elapsed());
    r
}

async fn connect(url: &str) -> Connection {
    Connection::connect(url, ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("AMQP connect to {url}: {e}"))
}

/// Declares a durable queue holding one persistent message (confirmed by the broker) and a
/// non-durable queue; returns the still open connection.
async fn seed(url: &str) -> Connection {
    let conn = connect(url).await;
    let ch = conn.create_channel().await.unwrap();
    ch.queue_declare(
        DURABLE.into(),
        QueueDeclareOptions::durable(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_declare(
        TRANSIENT.into(),
        QueueDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let confirm = ch
        .basic_publish(
            "".into(),
            DURABLE.into(),
            BasicPublishOptions::default(),
            PAYLOAD,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(confirm.is_ack(), "the broker did not confirm the publish");
    conn
}

/// The durable queue still holds the persistent message and the non-durable queue is gone
/// (proof that the broker really restarted). With `ack`, the message is consumed; otherwise it
/// is left in the queue for the next check.
async fn check_survived(url: &str, after: &str, ack: bool) {
    let conn = connect(url).await;
    let ch = conn.create_channel().await.unwrap();
    let got = ch
        .basic_get(DURABLE.into(), BasicGetOptions { no_ack: false })
        .await
        .unwrap_or_else(|e| panic!("basic_get on {DURABLE} after {after}: {e}"))
        .unwrap_or_else(|| panic!("the persistent message is gone after {after}"));
    assert_eq!(got.delivery.data, PAYLOAD, "payload after {after}");
    assert_eq!(got.message_count, 0, "extra messages after {after}");
    if ack {
        got.delivery.ack(BasicAckOptions::default()).await.unwrap();
    }
    // Without an ack, closing the connection puts the message back.
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let ch2 = conn.create_channel().await.unwrap();
    let transient = ch2
        .queue_declare(TRANSIENT.into(), passive, FieldTable::default())
        .await;
    assert!(
        transient.is_err(),
        "the non-durable queue survived {after}: the broker did not restart"
    );
    let _ = conn.close(200, "bye".into()).await;
}

#[test]
fn private_broker_restarts_keep_durable_data_and_drop_stops_it() {
    let rt = runtime();
    let broker = timed("start", PrivateBroker::start);
    assert_eq!(
        broker.url,
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", broker.port)
    );
    assert_ne!(
        broker.port, 5672,
        "a private broker must not use the shared port"
    );
    assert!(answers(broker.port), "no TCP answer on {}", broker.port);
    assert!(broker.node.starts_with("praxis-test-"), "{}", broker.node);

    // restart: stop_app + start_app.
    let old = rt.block_on(seed(&broker.url));
    timed("restart (stop_app + start_app)", || broker.restart());
    assert!(answers(broker.port), "no answer after restart");
    let deadline = Instant::now() + Duration::from_secs(10);
    while old.status().connected() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !old.status().connected(),
        "a connection opened before restart is still connected"
    );
    drop(old);
    rt.block_on(check_survived(&broker.url, "restart", false));

    // restart_full: the whole node, same ports and mnesia dir. Recreate the transient queue so
    // that its absence afterwards proves this restart too.
    rt.block_on(async {
        let conn = connect(&broker.url).await;
        let ch = conn.create_channel().await.unwrap();
        ch.queue_declare(
            TRANSIENT.into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
        conn.close(200, "bye".into()).await.unwrap();
    });
    let pid_before = broker.server_pid().expect("no VM pid before restart_full");
    timed("restart_full (shutdown + boot)", || broker.restart_full());
    assert!(answers(broker.port), "no answer after restart_full");
    let pid_after = broker.server_pid().expect("no VM pid after restart_full");
    assert_ne!(pid_before, pid_after, "restart_full kept the same VM");
    rt.block_on(check_survived(&broker.url, "restart_full", true));

    // stop_app alone: the port refuses until start_app.
    timed("stop_app", || broker.stop_app());
    assert!(!answers(broker.port), "port answers after stop_app");
    timed("start_app", || broker.start_app());
    assert!(answers(broker.port), "no answer after start_app");

    // Drop: the node and its dir are gone.
    let (port, pid, dir) = (broker.port, pid_after, broker.dir().to_path_buf());
    let t = Instant::now();
    drop(broker);
    eprintln!("rabbit_harness: drop took {:.2?}", t.elapsed());
    assert!(!answers(port), "port {port} still answers after drop");
    assert!(!running(pid), "the VM (pid {pid}) still runs after drop");
    assert!(!dir.exists(), "{} is left after drop", dir.display());
}

#[test]
fn private_brokers_started_concurrently_do_not_collide() {
    let t = Instant::now();
    let handles: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(PrivateBroker::start))
        .collect();
    let brokers: Vec<PrivateBroker> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    eprintln!(
        "rabbit_harness: two concurrent starts took {:.2?}",
        t.elapsed()
    );
    let (a, b) = (&brokers[0], &brokers[1]);
    assert_ne!(a.node, b.node);
    let ports = [a.port, a.dist_port, b.port, b.dist_port];
    for (i, p) in ports.iter().enumerate() {
        assert!(
            !ports[i + 1..].contains(p),
            "port {p} handed out twice: {ports:?}"
        );
    }
    let rt = runtime();
    for br in &brokers {
        rt.block_on(async {
            let conn = connect(&br.url).await;
            conn.close(200, "bye".into()).await.unwrap();
        });
    }
    // Restarting one leaves the other alone.
    a.stop_app().unwrap();
    assert!(!answers(a.port));
    assert!(
        answers(b.port),
        "stopping one private broker stopped the other"
    );
    a.start_app().unwrap();
    assert!(answers(a.port));
}

#[test]
fn shared_broker_answers() {
    let url = rabbit::require_shared_broker();
    assert!(url.starts_with("amqp"), "{url}");
    let rt = runtime();
    rt.block_on(async {
        let conn = connect(&url).await;
        conn.close(200, "bye".into()).await.unwrap();
    });
}
