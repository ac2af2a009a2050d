//! `praxis node` as a real process, reached over its Unix socket by real clients: sessions
//! outlive the client that started them, a new client lists and resumes them with the whole
//! answer replayed in order (nothing missing, nothing twice), several clients watch one
//! session and the first permission answer wins, the node token is enforced, and SIGTERM
//! ends the daemon cleanly.

mod common;

use common::{answer_text, is_status, PRAXIS};
use praxis::node::client::{PermissionAnswer, Sink};
use praxis::node::{NodeClient, NodeEvent, SessionOptions, SessionStatus};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

struct Daemon {
    child: Child,
    socket: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_daemon(extra: &[&str]) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("node.sock");
    std::fs::create_dir_all(dir.path().join("work")).unwrap();
    let mut child = Command::new(PRAXIS)
        .args(["node", "--name", "t1", "--listen"])
        .arg(&socket)
        .args(extra)
        .env("PRAXIS_DATA_DIR", dir.path().join("data"))
        .env("PRAXIS_CONFIG_DIR", dir.path().join("config"))
        .env_remove("PRAXIS_BROKER")
        .env_remove("PRAXIS_NODE_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("praxis node starts");
    for _ in 0..200 {
        if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            return Daemon { child, socket, dir };
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("praxis node never listened on {}", socket.display());
}

async fn client(
    socket: &Path,
    token: Option<&str>,
) -> (NodeClient, mpsc::Receiver<(usize, NodeEvent)>) {
    let (tx, rx) = mpsc::channel(256);
    let t = praxis::transport::socket::connect(socket).await.unwrap();
    let c = NodeClient::connect_into(t, Sink::Shared(0, tx), token.map(str::to_owned))
        .await
        .expect("initialize");
    (c, rx)
}

fn drain(rx: &mut mpsc::Receiver<(usize, NodeEvent)>) -> Vec<NodeEvent> {
    let mut out = Vec::new();
    while let Ok((_, e)) = rx.try_recv() {
        out.push(e);
    }
    out
}

async fn wait_for(
    rx: &mut mpsc::Receiver<(usize, NodeEvent)>,
    pred: impl Fn(&NodeEvent) -> bool,
) -> Vec<NodeEvent> {
    let mut seen = Vec::new();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("hang guard: the event never came")
            .expect("events end")
            .1;
        let hit = pred(&e);
        seen.push(e);
        if hit {
            return seen;
        }
    }
}

fn options(d: &Daemon) -> SessionOptions {
    SessionOptions {
        agent: "demo".into(),
        cwd: d.dir.path().join("work"),
        yolo: false,
        prompt_timeout_secs: None,
    }
}

#[tokio::test]
async fn a_session_outlives_its_client_and_a_new_client_replays_it_exactly_once() {
    let d = start_daemon(&[]);
    let (a, mut a_events) = client(&d.socket, None).await;
    assert_eq!(a.node_name, "t1");
    let s = a.new_session(&options(&d)).await.unwrap().session_id;
    a.prompt(&s, "/echo first answer").await.unwrap();
    let first = drain(&mut a_events);
    assert_eq!(answer_text(&first, &s), "first answer");
    // A long turn, and the client goes away in the middle of it.
    let long = {
        let (a, s) = (a.clone(), s.clone());
        tokio::spawn(async move { a.prompt(&s, "/slow 12").await })
    };
    wait_for(&mut a_events, |e| {
        answer_text(std::slice::from_ref(e), &s).contains("tick 2")
    })
    .await;
    drop(a_events);
    drop(a);
    long.abort();

    // A new client finds the session working, resumes it, and follows it to the end.
    let (b, mut b_events) = client(&d.socket, None).await;
    let list = b.list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].session_id, s);
    assert_eq!(list[0].status, SessionStatus::Working);
    let resumed = b.resume(&s).await.unwrap();
    assert!(resumed.replayed > 0);
    // The replay holds the first turn's end too: wait for the last tick's turn to end.
    let mut events = Vec::new();
    while !(answer_text(&events, &s).contains("tick 12")
        && events
            .last()
            .is_some_and(|e| is_status(e, SessionStatus::Idle)))
    {
        events.extend(wait_for(&mut b_events, |e| is_status(e, SessionStatus::Idle)).await);
    }
    let text = answer_text(&events, &s);
    let ticks: String = (1..=12).map(|i| format!("tick {i}\n")).collect();
    assert_eq!(
        text,
        format!("first answer{ticks}"),
        "every chunk once, in order"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, NodeEvent::Prompted { text, .. } if text == "/echo first answer")));
    // Resuming again replays nothing new and duplicates nothing.
    let again = b.resume(&s).await.unwrap();
    assert_eq!(again.replayed, 0);
    assert_eq!(again.last_seq, resumed.last_seq.max(again.last_seq));
    // The session still takes prompts.
    b.prompt(&s, "/echo still here").await.unwrap();
    assert_eq!(answer_text(&drain(&mut b_events), &s), "still here");
}

#[tokio::test]
async fn config_options_and_modes_one_client_sets_reach_the_others_and_later_attaches() {
    use praxis::node::client::{OptionSetting, OptionValue};
    let d = start_daemon(&[]);
    let (a, _a_events) = client(&d.socket, None).await;
    let (b, mut b_events) = client(&d.socket, None).await;
    let s = a.new_session(&options(&d)).await.unwrap().session_id;
    let model_of = |opts: &[praxis::node::client::ConfigOption]| {
        opts.iter()
            .find(|o| o.id == "model")
            .map(|o| o.value.clone())
    };
    let resumed = b.resume(&s).await.unwrap();
    assert!(matches!(model_of(&resumed.options),
        Some(OptionValue::Select { current, .. }) if current == "demo-fast"));
    a.set_config_option(&s, "model", &OptionSetting::Value("demo-deep".into()))
        .await
        .unwrap();
    // The other client hears it as the agent's update.
    wait_for(&mut b_events, |e| {
        matches!(e, NodeEvent::Update { update, .. } if update.kind() == "config_option_update")
    })
    .await;
    a.set_mode(&s, "plan").await.unwrap();
    // A client that attaches later is told with the answer: the options and the modes.
    let (c, _c_events) = client(&d.socket, None).await;
    let resumed = c.resume(&s).await.unwrap();
    assert!(matches!(model_of(&resumed.options),
        Some(OptionValue::Select { current, .. }) if current == "demo-deep"));
    let modes = resumed.modes.expect("the modes come with the answer");
    assert_eq!(modes.current.as_deref(), Some("plan"));
    assert_eq!(modes.available, ["default", "plan"]);
}

#[tokio::test]
async fn two_clients_see_one_permission_request_and_the_first_answer_wins() {
    let d = start_daemon(&[]);
    let (a, mut a_events) = client(&d.socket, None).await;
    let (b, mut b_events) = client(&d.socket, None).await;
    let s = a.new_session(&options(&d)).await.unwrap().session_id;
    b.resume(&s).await.unwrap();
    let turn = {
        let (a, s) = (a.clone(), s.clone());
        tokio::spawn(async move { a.prompt(&s, "/permission").await })
    };
    let perm = |e: &NodeEvent| matches!(e, NodeEvent::Permission { .. });
    let a_seen = wait_for(&mut a_events, perm).await;
    let b_seen = wait_for(&mut b_events, perm).await;
    assert!(b_seen
        .iter()
        .any(|e| matches!(e, NodeEvent::Prompted { text, .. } if text == "/permission")));
    let Some(NodeEvent::Permission { request, .. }) = b_seen.last().cloned() else {
        unreachable!()
    };
    b.answer_permission(request, PermissionAnswer::Selected("allow".into()))
        .await;
    let done = turn.await.unwrap().unwrap();
    assert_eq!(done.stop_reason, "end_turn");
    // A was asked too, and is told B answered.
    let Some(NodeEvent::Permission {
        request: a_request, ..
    }) = a_seen.last().cloned()
    else {
        unreachable!()
    };
    let mut a_rest = wait_for(&mut a_events, |e| {
        matches!(e, NodeEvent::PermissionResolved { .. })
    })
    .await;
    let resolved = a_rest.pop();
    let Some(NodeEvent::PermissionResolved {
        request, option, ..
    }) = resolved.as_ref()
    else {
        unreachable!()
    };
    assert_eq!(request, &a_request);
    assert_eq!(option.as_deref(), Some("allow"));
    // A late answer from A changes nothing.
    a.answer_permission(a_request, PermissionAnswer::Cancelled)
        .await;
    let _ = wait_for(&mut b_events, |e| is_status(e, SessionStatus::Idle)).await;
    a_rest.extend(drain(&mut a_events));
    assert!(answer_text(&a_rest, &s).contains("permission: allow"));
}

#[tokio::test]
async fn a_permission_request_waits_for_a_client_when_none_is_attached() {
    let d = start_daemon(&[]);
    let (a, a_events) = client(&d.socket, None).await;
    let s = a.new_session(&options(&d)).await.unwrap().session_id;
    let turn = {
        let (a, s) = (a.clone(), s.clone());
        tokio::spawn(async move { a.prompt(&s, "/permission").await })
    };
    // A leaves before the request is answered.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(a_events);
    drop(a);
    turn.abort();
    let (b, mut b_events) = client(&d.socket, None).await;
    let list = b.list().await.unwrap();
    assert_eq!(
        list[0].status,
        SessionStatus::NeedsPermission,
        "not auto-approved"
    );
    b.resume(&s).await.unwrap();
    let seen = wait_for(&mut b_events, |e| matches!(e, NodeEvent::Permission { .. })).await;
    let Some(NodeEvent::Permission { request, .. }) = seen.last().cloned() else {
        unreachable!()
    };
    b.answer_permission(request, PermissionAnswer::Selected("reject".into()))
        .await;
    let rest = wait_for(&mut b_events, |e| is_status(e, SessionStatus::Idle)).await;
    let all: Vec<NodeEvent> = seen.into_iter().chain(rest).collect();
    assert!(
        answer_text(&all, &s).contains("permission: reject"),
        "{all:#?}"
    );
}

#[tokio::test]
async fn the_node_token_is_demanded_of_every_command() {
    let d = start_daemon(&["--token", "sesame"]);
    let t = praxis::transport::socket::connect(&d.socket).await.unwrap();
    let (tx, _rx) = mpsc::channel(16);
    let refused = NodeClient::connect_into(t, Sink::Shared(0, tx), None).await;
    let err = refused.err().expect("refused without the token");
    assert_eq!(err.code, -32001);
    assert!(
        err.message.contains("node token required"),
        "{}",
        err.message
    );
    let t = praxis::transport::socket::connect(&d.socket).await.unwrap();
    let (tx, _rx) = mpsc::channel(16);
    let wrong = NodeClient::connect_into(t, Sink::Shared(0, tx), Some("open".into())).await;
    assert!(wrong.err().unwrap().message.contains("wrong node token"));
    let (ok, mut events) = client(&d.socket, Some("sesame")).await;
    let s = ok.new_session(&options(&d)).await.unwrap().session_id;
    ok.prompt(&s, "/echo in").await.unwrap();
    assert_eq!(answer_text(&drain(&mut events), &s), "in");
    // The token never reaches the journal (nor, so, the agent's frames).
    praxis::node::journal::flush_all();
    let journal =
        std::fs::read_to_string(d.dir.path().join(format!("data/sessions/{s}.jsonl"))).unwrap();
    assert!(!journal.contains("sesame"), "{journal}");
}

#[tokio::test]
async fn sigterm_ends_the_daemon_cleanly_and_removes_its_socket() {
    let mut d = start_daemon(&[]);
    let (a, _events) = client(&d.socket, None).await;
    a.new_session(&options(&d)).await.unwrap();
    unsafe { libc::kill(d.child.id() as i32, libc::SIGTERM) };
    let status = wait_exit(&mut d.child);
    assert_eq!(status.code(), Some(0));
    assert!(!d.socket.exists(), "the socket file is removed");
    let mut err = String::new();
    use std::io::Read;
    d.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("SIGTERM"), "{err}");
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..400 {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the daemon did not exit");
}

#[test]
fn prompt_and_status_reach_the_local_daemon_without_a_broker() {
    let d = start_daemon(&[]);
    let run = |args: &[&str]| {
        Command::new(PRAXIS)
            .args(args)
            .env("PRAXIS_RUNTIME_DIR", d.dir.path())
            .env("PRAXIS_DATA_DIR", d.dir.path().join("client-data"))
            .env("PRAXIS_CONFIG_DIR", d.dir.path().join("config"))
            .env_remove("PRAXIS_BROKER")
            .current_dir(d.dir.path().join("work"))
            .output()
            .unwrap()
    };
    let o = run(&["prompt", "--node", "t1", "/echo via the socket"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "via the socket");
    let o = run(&["prompt", "--node", "elsewhere", "hi"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is `t1`, not `elsewhere`"));
    let o = run(&["--status"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("node t1: agents demo · sessions: no sessions"),
        "{out}"
    );
    drop(d);
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(PRAXIS)
        .arg("--status")
        .env("PRAXIS_RUNTIME_DIR", dir.path())
        .env("PRAXIS_DATA_DIR", dir.path())
        .env_remove("PRAXIS_BROKER")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not running"));
}
