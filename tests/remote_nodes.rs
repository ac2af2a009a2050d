//! Nodes over a real RabbitMQ, through the real binaries: `praxis node --broker` serving the
//! demo agent, reached by a client over a broker link. Faults: the broker restarts in the
//! middle of a streamed answer (a private broker: the shared one is never touched), the
//! client process is killed mid-stream, the node process is killed and comes back, a command
//! to a node that is not running. Each checks that nothing is lost or doubled.

mod common;
#[path = "common/rabbit/mod.rs"]
mod rabbit;

use common::{answer_text, is_status, PRAXIS};
use praxis::amqp::{ClientEndpoint, LinkState};
use praxis::node::client::Sink;
use praxis::node::{NodeClient, NodeEvent, SessionOptions, SessionStatus};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn praxis(url: &str, root: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(PRAXIS);
    c.args(args)
        .env("PRAXIS_BROKER", url)
        .env("PRAXIS_DATA_DIR", root.join("data"))
        .env("PRAXIS_CONFIG_DIR", root.join("config"))
        .env_remove("PRAXIS_NODE_TOKEN")
        .current_dir(root)
        .stdin(Stdio::null());
    c
}

fn start_node(url: &str, root: &Path, name: &str) -> Proc {
    let child = praxis(url, root, &["node", "--name", name, "--no-listen"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("praxis node starts");
    Proc(child)
}

/// A client link to `node`, retried until the node's inbox exists.
async fn connect(
    endpoint: &ClientEndpoint,
    node: &str,
) -> (NodeClient, mpsc::Receiver<(usize, NodeEvent)>) {
    for _ in 0..200 {
        let (tx, rx) = mpsc::channel(256);
        match NodeClient::connect_into(endpoint.open(node), Sink::Shared(0, tx), None).await {
            Ok(c) => return (c, rx),
            Err(e) if e.message.contains("not running") => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("connecting to node {node}: {}", e.message),
        }
    }
    panic!("node {node} never bound its inbox");
}

async fn until_turn_ends(
    rx: &mut mpsc::Receiver<(usize, NodeEvent)>,
    session: &str,
    last_chunk: &str,
) -> Vec<NodeEvent> {
    let mut events = Vec::new();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("hang guard: the turn never ended")
            .expect("events end")
            .1;
        let idle = is_status(&e, SessionStatus::Idle);
        events.push(e);
        if idle && answer_text(&events, session).ends_with(last_chunk) {
            return events;
        }
    }
}

fn ticks(n: usize) -> String {
    (1..=n).map(|i| format!("tick {i}\n")).collect()
}

fn options(root: &Path) -> SessionOptions {
    SessionOptions {
        agent: "demo".into(),
        cwd: root.to_path_buf(),
        yolo: false,
        prompt_timeout_secs: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_mid_stream_loses_and_doubles_nothing() {
    let broker = tokio::task::spawn_blocking(rabbit::PrivateBroker::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let root = tempfile::tempdir().unwrap();
    let name = unique("n");
    let _node = start_node(&broker.url, root.path(), &name);
    let endpoint = ClientEndpoint::connect(&broker.url, &unique("c"))
        .await
        .unwrap();
    let mut link = endpoint.state();
    // Every state the client's broker link goes through, as it happens.
    let (states_tx, mut states) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while link.changed().await.is_ok() {
            let st = *link.borrow_and_update();
            if states_tx.send(st).is_err() {
                return;
            }
        }
    });
    let (client, mut events) = connect(&endpoint, &name).await;
    let s = client
        .new_session(&options(root.path()))
        .await
        .unwrap()
        .session_id;
    let turn = {
        let (client, s) = (client.clone(), s.clone());
        tokio::spawn(async move { client.prompt(&s, "/slow 40").await })
    };
    // Restart the broker once the answer is flowing.
    let mut seen = Vec::new();
    while !answer_text(&seen, &s).contains("tick 5\n") {
        seen.push(events.recv().await.unwrap().1);
    }
    let broker = tokio::task::spawn_blocking(move || {
        broker.restart().unwrap_or_else(|e| panic!("restart: {e}"));
        broker
    })
    .await
    .unwrap();
    // The client saw its link go down and come back.
    let mut saw_reconnecting = false;
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(st) = states.recv().await {
            saw_reconnecting |= st == LinkState::Reconnecting;
            if saw_reconnecting && st == LinkState::Connected {
                return;
            }
        }
    })
    .await
    .expect("the client never showed reconnecting and came back");
    let done = turn.await.unwrap().expect("the turn completes");
    assert_eq!(done.stop_reason, "end_turn");
    seen.extend(until_turn_ends(&mut events, &s, "tick 40\n").await);
    assert_eq!(
        answer_text(&seen, &s),
        ticks(40),
        "every chunk exactly once, in order"
    );
    // The node's journal, through the node API, holds the same answer.
    let md = client.transcript(&s).await.unwrap();
    assert!(md.contains("tick 1") && md.contains("tick 40"), "{md}");
    assert_eq!(md.matches("tick 40").count(), 1, "{md}");
    drop(broker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_killed_mid_stream_leaves_a_session_a_new_client_resumes_whole() {
    let url = rabbit::require_shared_broker();
    let root = tempfile::tempdir().unwrap();
    let name = unique("n");
    let _node = start_node(&url, root.path(), &name);
    let endpoint = ClientEndpoint::connect(&url, &unique("c")).await.unwrap();
    // Wait until the node answers, so the headless client finds it.
    drop(connect(&endpoint, &name).await);
    // The first client: `praxis prompt --node`, killed in the middle of its answer.
    let mut first = Proc(
        praxis(&url, root.path(), &["prompt", "--node", &name, "/slow 25"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = first.0.stdout.take().unwrap();
    let mut got = Vec::new();
    use std::io::Read;
    while !String::from_utf8_lossy(&got).contains("tick 3") {
        let mut buf = [0u8; 256];
        let n = out.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "praxis prompt ended early: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    unsafe { libc::kill(first.0.id() as i32, libc::SIGKILL) };
    let _ = first.0.wait();

    // A new client lists the session (still working), resumes it, and has the whole answer.
    let (client, mut events) = connect(&endpoint, &name).await;
    let list = client.list().await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].status, SessionStatus::Working);
    let s = list[0].session_id.clone();
    client.resume(&s).await.unwrap();
    let all = until_turn_ends(&mut events, &s, "tick 25\n").await;
    assert_eq!(answer_text(&all, &s), ticks(25));
    assert!(all
        .iter()
        .any(|e| matches!(e, NodeEvent::Prompted { text, .. } if text == "/slow 25")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_drops_out_of_status_and_its_journal_stays_readable() {
    let url = rabbit::require_shared_broker();
    let root = tempfile::tempdir().unwrap();
    let name = unique("n");
    let mut node = start_node(&url, root.path(), &name);
    let endpoint = ClientEndpoint::connect(&url, &unique("c")).await.unwrap();
    let (client, mut events) = connect(&endpoint, &name).await;
    let s = client
        .new_session(&options(root.path()))
        .await
        .unwrap()
        .session_id;
    client
        .prompt(&s, "/echo kept in the journal")
        .await
        .unwrap();
    let _ = until_turn_ends(&mut events, &s, "journal").await;
    let status = |root: &Path| {
        let o = praxis(&url, root, &["--status"]).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
        )
    };
    let (code, listed) = status(root.path());
    assert_eq!(code, Some(0));
    assert!(
        listed.contains(&format!("node {name}: agents demo · sessions: 1 idle")),
        "{listed}"
    );
    assert!(
        !listed.contains("guest:guest"),
        "no password in --status: {listed}"
    );

    unsafe { libc::kill(node.0.id() as i32, libc::SIGKILL) };
    let _ = node.0.wait();
    let (_, listed) = status(root.path());
    assert!(
        !listed.contains(&name),
        "a killed node does not answer: {listed}"
    );
    // Its journal is on its disk, readable without it.
    let o = praxis(&url, root.path(), &["transcript", &s])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("kept in the journal"));

    // It comes back under the same name and is listed again.
    let _back = start_node(&url, root.path(), &name);
    let (client, _events) = connect(&endpoint, &name).await;
    let listed_again = client.list().await.unwrap();
    assert!(
        listed_again.iter().all(|x| !x.status.is_live()),
        "its sessions ended with it: {listed_again:?}"
    );
    assert!(
        listed_again
            .iter()
            .any(|x| x.session_id == s && x.status == SessionStatus::Closed),
        "and it lists them as history: {listed_again:?}"
    );
    let (_, listed) = status(root.path());
    assert!(listed.contains(&format!("node {name}")), "{listed}");
}

#[test]
fn a_prompt_for_a_node_that_is_not_running_comes_back_at_once() {
    let url = rabbit::require_shared_broker();
    let root = tempfile::tempdir().unwrap();
    let o = praxis(
        &url,
        root.path(),
        &["prompt", "--node", &unique("ghost"), "hi"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is not running"), "{err}");
    let o = praxis(
        "amqp://guest:secret@127.0.0.1:1/%2f",
        root.path(),
        &["--status"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(all.contains("cannot reach the broker"), "{all}");
    assert!(!all.contains("secret"), "{all}");
}
