//! `praxis bridge` as outside ACP clients run it: the real binary, its stdin and stdout as the
//! client's pipe, a real node behind it (the local daemon it starts itself, one started with
//! a token, one over the shared RabbitMQ broker), real agents (the demo agent, the hostile
//! one). No mocks.
//!
//! - raw NDJSON from Rust: a prompt's updates and answer, ids restored, no `_praxis/` frame,
//!   a parse error for a frame that is not JSON, the session closed when stdin closes;
//! - the Python SDK's client side (`tests/python_client/client.py`): permission requests
//!   answered, a file written through the node's sandbox and escapes refused by it;
//! - over the broker with `--node`; a node that is not running; a local daemon of another
//!   name; a wrong node token (the client gets the node's error) and the right one;
//! - a hostile agent: its text passes through as JSON, the bridge's stderr stays clean.
//!
//! Each test has its own config and data dirs; every daemon a test causes is ended with
//! SIGTERM when the test ends, pass or fail ([`Daemon`]). Waits are hang guards, not timings.

#[path = "common/rabbit/mod.rs"]
mod rabbit;

use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");
const GUARD: Duration = Duration::from_secs(60);

/// One machine: config and data dirs, a working directory, and optionally a broker.
struct Home {
    root: tempfile::TempDir,
    broker: Option<String>,
}

impl Home {
    fn new(broker: Option<&str>) -> Home {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("work")).unwrap();
        std::fs::create_dir_all(root.path().join("config")).unwrap();
        Home {
            root,
            broker: broker.map(str::to_owned),
        }
    }

    fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn config(&self, toml: &str) {
        std::fs::write(self.root.path().join("config/config.toml"), toml).unwrap();
    }

    /// `praxis ARGS` in this home ([`Home::within`]).
    fn praxis(&self, args: &[&str]) -> Command {
        let mut c = Command::new(PRAXIS);
        c.args(args);
        self.within(&mut c);
        c
    }

    /// Runs `c` in the working directory with this home's dirs, no token, and the broker
    /// only when it has one.
    fn within(&self, c: &mut Command) {
        c.current_dir(self.work())
            .env("PRAXIS_CONFIG_DIR", self.root.path().join("config"))
            .env("PRAXIS_DATA_DIR", self.data())
            .env_remove("PRAXIS_NODE_TOKEN")
            .env_remove("PRAXIS_RUNTIME_DIR")
            .env_remove("PRAXIS_BROKER");
        if let Some(b) = &self.broker {
            c.env("PRAXIS_BROKER", b);
        }
    }

    /// The local daemon this home's clients reach (started by a bridge or by the test).
    fn daemon(&self) -> Daemon {
        Daemon(self.data().join("run/node.pid"))
    }

    fn status(&self) -> String {
        self.status_with(None)
    }

    /// `praxis --status` (with this node token).
    fn status_with(&self, token: Option<&str>) -> String {
        let mut c = self.praxis(&["--status"]);
        if let Some(t) = token {
            c.env("PRAXIS_NODE_TOKEN", t);
        }
        let o = c.output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

/// Ends the local daemon whose pid file this is (SIGTERM, then SIGKILL after 10 s) on drop.
struct Daemon(PathBuf);

impl Drop for Daemon {
    fn drop(&mut self) {
        let Some(pid) = std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
        else {
            return;
        };
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(10);
        while alive(pid) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        if alive(pid) {
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Whether `pid` runs (a zombie does not).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `praxis bridge`, driven as a client drives it.
struct Bridge {
    child: Proc,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
    /// Every line it wrote to stdout so far.
    raw: Vec<String>,
}

impl Bridge {
    fn spawn(mut cmd: Command) -> Bridge {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("praxis bridge starts");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Bridge {
            stdin: child.stdin.take(),
            child: Proc(child),
            lines,
            stderr,
            raw: Vec::new(),
        }
    }

    fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, v: Value) {
        self.send_raw(&v.to_string());
    }

    /// Frames up to and including the first that matches (each line must be JSON).
    fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + GUARD;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|e| {
                panic!("hang guard: no {what} ({e}); frames so far: {seen:#?}")
            });
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carries frames only, got {line:?}: {e}"));
            self.raw.push(line);
            let hit = pred(&v);
            seen.push(v);
            if hit {
                return seen;
            }
        }
    }

    /// Frames up to the answer to request `id` (returned last).
    fn answer(&mut self, id: Value) -> Vec<Value> {
        let what = format!("answer to request {id}");
        self.until(&what, |v| v.get("method").is_none() && v["id"] == id)
    }

    /// Sends a request and returns the frames up to its answer (the answer last).
    fn call(&mut self, id: Value, method: &str, params: Value) -> Vec<Value> {
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.answer(id)
    }

    /// Closes stdin (the client goes) and waits for the exit.
    fn finish(mut self) -> (ExitStatus, String) {
        drop(self.stdin.take());
        self.wait()
    }

    /// Waits for the exit; its status and everything it wrote to stderr.
    fn wait(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + GUARD;
        let status = loop {
            if let Some(s) = self.child.0.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "hang guard: the bridge did not exit"
            );
            std::thread::sleep(Duration::from_millis(25));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.raw.push(line);
        }
        let stderr = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new));
        (status, stderr.join().unwrap())
    }
}

fn init(b: &mut Bridge) -> Value {
    let frames = b.call(json!(1), "initialize", json!({ "protocolVersion": 1 }));
    frames.last().cloned().unwrap()
}

fn new_session(b: &mut Bridge, home: &Home) -> String {
    let frames = b.call(
        json!("two"),
        "session/new",
        json!({ "cwd": home.work(), "mcpServers": [], "_meta": { "editor": { "x": 1 } } }),
    );
    let answer = frames.last().unwrap();
    answer["result"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {answer}"))
        .to_string()
}

/// The agent's text in `frames`, for `session`.
fn chunks(frames: &[Value], session: &str) -> String {
    frames
        .iter()
        .filter(|f| f["method"] == "session/update" && f["params"]["sessionId"] == session)
        .filter(|f| f["params"]["update"]["sessionUpdate"] == "agent_message_chunk")
        .filter_map(|f| f["params"]["update"]["content"]["text"].as_str())
        .collect()
}

fn prompt(b: &mut Bridge, id: i64, session: &str, text: &str) -> Vec<Value> {
    b.call(
        json!(id),
        "session/prompt",
        json!({ "sessionId": session, "prompt": [{ "type": "text", "text": text }] }),
    )
}

fn no_praxis_frames(b: &Bridge) {
    for line in &b.raw {
        assert!(
            !line.contains("\"method\":\"_praxis/"),
            "a praxis extension frame reached the client: {line}"
        );
    }
}

#[test]
fn a_raw_client_prompts_the_demo_agent_through_the_daemon_it_starts() {
    let home = Home::new(None);
    let _daemon = home.daemon();
    let mut b = Bridge::spawn(home.praxis(&["bridge", "--agent", "demo"]));
    b.send_raw("this is not json {");
    let e = b.until("parse error", |v| v.get("error").is_some());
    assert_eq!(e[0]["id"], Value::Null);
    assert_eq!(e[0]["error"]["code"], -32700);
    let init = init(&mut b);
    assert_eq!(init["result"]["protocolVersion"], 1);
    let title = init["result"]["agentInfo"]["title"].as_str().unwrap();
    assert!(title.starts_with("praxis: demo on "), "{init}");
    assert!(
        home.data().join("run/node.pid").exists(),
        "the bridge started the local daemon"
    );
    let s = new_session(&mut b, &home);
    let frames = prompt(&mut b, 3, &s, "/echo hello bridge");
    let answer = frames.last().unwrap();
    assert_eq!(answer["result"]["stopReason"], "end_turn", "{answer}");
    assert_eq!(chunks(&frames, &s), "hello bridge");
    no_praxis_frames(&b);
    // The node counts it as running until the client goes.
    assert!(home.status().contains("1 idle"), "{}", home.status());
    let (status, stderr) = b.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
    let after = home.status();
    assert!(after.contains("sessions: no sessions"), "{after}");
}

#[test]
fn sigterm_closes_the_sessions_it_started_as_stdin_closing_does() {
    let home = Home::new(None);
    let _daemon = home.daemon();
    let mut b = Bridge::spawn(home.praxis(&["bridge"]));
    init(&mut b);
    let s = new_session(&mut b, &home);
    assert_eq!(chunks(&prompt(&mut b, 3, &s, "/echo hi"), &s), "hi");
    unsafe { libc::kill(b.child.0.id() as i32, libc::SIGTERM) };
    let (status, stderr) = b.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let after = home.status();
    assert!(after.contains("sessions: no sessions"), "{after}");
}

#[test]
fn a_node_that_goes_away_ends_the_bridge_with_status_3_and_answers_what_waits() {
    let home = Home::new(None);
    let (mut node, daemon) = local_node(&home, &["--name", "brief"]);
    let mut b = Bridge::spawn(home.praxis(&["bridge", "--agent", "demo"]));
    init(&mut b);
    let s = new_session(&mut b, &home);
    b.send(json!({ "jsonrpc": "2.0", "id": "long", "method": "session/prompt",
                   "params": { "sessionId": s, "prompt": [{ "type": "text", "text": "/slow 600" }] } }));
    b.until("a first tick", |v| {
        v["params"]["update"]["content"]["text"] == "tick 1\n"
    });
    // Killed outright: no goodbye, the prompt is never answered by the node.
    node.0.kill().unwrap();
    node.0.wait().unwrap();
    let _ = std::fs::remove_file(&daemon.0);
    let frames = b.answer(json!("long"));
    let answer = frames.last().unwrap();
    assert_eq!(answer["error"]["code"], -32099, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("the node: "), "{message}");
    let (status, stderr) = b.wait();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.starts_with("praxis: the node: "), "{stderr}");
}

/// The interpreter with the `acp` package installed; panics with what to do when there is none.
fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("PRAXIS_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/acp-venv/bin/python"));
    let hint = "run `bash .ci/run` (it creates target/acp-venv from tests/python_agent/requirements.txt), or set PRAXIS_TEST_PYTHON to a Python with agent-client-protocol==0.12.1";
    let check = Command::new(&python).args(["-c", "import acp"]).output();
    match check {
        Ok(o) if o.status.success() => python,
        Ok(o) => panic!(
            "{} cannot `import acp` ({}); {hint}",
            python.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!("cannot run {}: {e}; {hint}", python.display()),
    }
}

#[test]
fn the_python_sdk_client_drives_the_bridge_and_the_nodes_sandbox_applies() {
    let home = Home::new(None);
    let _daemon = home.daemon();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python_client/client.py");
    let mut py = Command::new(python());
    py.arg(&script).arg(PRAXIS).arg(home.work());
    home.within(&mut py);
    let out = run_guarded(py);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the Python client failed:\n{stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(summary["agent_info"]["name"], "praxis-bridge", "{summary}");
    let turns = summary["turns"].as_array().unwrap();
    let turn = |i: usize| (&turns[i]["stop_reason"], turns[i]["text"].as_str().unwrap());
    assert_eq!(turn(0), (&json!("end_turn"), "hello from python"));
    assert_eq!(turn(1), (&json!("end_turn"), "wrote note.txt"));
    assert_eq!(
        std::fs::read_to_string(home.work().join("note.txt")).unwrap(),
        "written through the bridge"
    );
    let escape = turn(2).1;
    assert_eq!(escape.matches(": refused (").count(), 3, "{escape}");
    assert!(!escape.contains("ALLOWED"), "{escape}");
    assert_eq!(turn(3), (&json!("end_turn"), "permission: reject"));
    let titles: Vec<&Value> = summary["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["title"])
        .collect();
    assert_eq!(titles, [&json!("Write note.txt"), &json!("Write demo.txt")]);
    // The node serves fs/ itself; praxis extensions never reach an outside client.
    assert_eq!(summary["fs_calls"], json!([]));
    assert_eq!(summary["extensions"], json!([]));
    assert_eq!(summary["exit_code"], 0, "{stderr}");
    // The session it closed and the one it left open are both closed now.
    let after = home.status();
    assert!(after.contains("sessions: no sessions"), "{after}");
}

/// Runs `cmd` to its end under the hang guard.
fn run_guarded(mut cmd: Command) -> std::process::Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(GUARD * 2) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("hang guard: the command did not finish");
        }
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

#[test]
fn a_prompt_reaches_a_node_over_the_broker() {
    let url = rabbit::require_shared_broker();
    let home = Home::new(Some(&url));
    let name = unique("bridge");
    let _node = Proc(
        home.praxis(&["node", "--name", &name, "--no-listen"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + GUARD;
    while !home.status().contains(&format!("node {name}:")) {
        assert!(
            Instant::now() < deadline,
            "hang guard: node {name} never announced itself"
        );
    }
    let mut b = Bridge::spawn(home.praxis(&["bridge", "--node", &name, "--agent", "demo"]));
    let init = init(&mut b);
    assert_eq!(
        init["result"]["agentInfo"]["title"],
        format!("praxis: demo on {name}")
    );
    let s = new_session(&mut b, &home);
    let frames = prompt(&mut b, 3, &s, "/echo over the broker");
    assert_eq!(frames.last().unwrap()["result"]["stopReason"], "end_turn");
    assert_eq!(chunks(&frames, &s), "over the broker");
    no_praxis_frames(&b);
    let (status, stderr) = b.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let after = home.status();
    assert!(
        after.contains(&format!("node {name}: agents demo · sessions: no sessions")),
        "{after}"
    );
}

#[test]
fn a_node_that_is_not_running_ends_the_bridge_with_status_3() {
    let url = rabbit::require_shared_broker();
    let home = Home::new(Some(&url));
    let ghost = unique("ghost");
    // Stdin stays open: the bridge finds out by itself, before the client says anything.
    let b = Bridge::spawn(home.praxis(&["bridge", "--node", &ghost]));
    let (status, stderr) = b.wait();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.starts_with("praxis: "), "{stderr}");
    assert!(stderr.contains("not running"), "{stderr}");
    assert!(!stderr.contains("guest:guest"), "no credentials: {stderr}");
}

/// Starts `praxis node` for `home` on its default socket, with `extra` arguments.
fn local_node(home: &Home, extra: &[&str]) -> (Proc, Daemon) {
    let mut args = vec!["node"];
    args.extend(extra);
    let child = home
        .praxis(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proc = Proc(child);
    let socket = home.data().join("run/node.sock");
    let deadline = Instant::now() + GUARD;
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(
            Instant::now() < deadline,
            "hang guard: the node never listened"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    (proc, home.daemon())
}

#[test]
fn a_local_daemon_of_another_name_is_refused() {
    let home = Home::new(None);
    let (_proc, _daemon) = local_node(&home, &["--name", "here"]);
    let b = Bridge::spawn(home.praxis(&["bridge", "--node", "elsewhere"]));
    let (status, stderr) = b.wait();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the node daemon here is `here`, not `elsewhere`"),
        "{stderr}"
    );
}

#[test]
fn a_wrong_token_reaches_the_client_as_the_nodes_error_and_the_right_one_works() {
    let home = Home::new(None);
    let (_proc, _daemon) = local_node(&home, &["--name", "tok", "--token", "right-token"]);
    let mut wrong = home.praxis(&["bridge", "--agent", "demo"]);
    wrong.env("PRAXIS_NODE_TOKEN", "wrong-token");
    let mut b = Bridge::spawn(wrong);
    let refused = init(&mut b);
    assert_eq!(refused["id"], 1, "the client's own id: {refused}");
    assert_eq!(refused["error"]["code"], -32001, "{refused}");
    assert_eq!(refused["error"]["message"], "wrong node token");
    let frames = b.call(
        json!(2),
        "session/new",
        json!({ "cwd": home.work(), "mcpServers": [] }),
    );
    assert_eq!(frames.last().unwrap()["error"]["code"], -32001);
    let (status, stderr) = b.finish();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("refused the bridge: wrong node token (code -32001)"),
        "{stderr}"
    );
    assert!(!stderr.contains("right-token") && !stderr.contains("wrong-token"));

    let mut right = home.praxis(&["bridge", "--agent", "demo"]);
    right.env("PRAXIS_NODE_TOKEN", "right-token");
    let mut b = Bridge::spawn(right);
    assert_eq!(
        init(&mut b)["result"]["agentInfo"]["title"],
        "praxis: demo on tok"
    );
    let s = new_session(&mut b, &home);
    let frames = prompt(&mut b, 3, &s, "/echo with the token");
    assert_eq!(chunks(&frames, &s), "with the token");
    let (status, stderr) = b.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let after = home.status_with(Some("right-token"));
    assert!(
        after.contains("node tok: agents demo · sessions: no sessions"),
        "{after}"
    );
}

#[test]
fn hostile_agent_text_passes_as_json_and_the_bridges_stderr_stays_clean() {
    let home = Home::new(None);
    let _daemon = home.daemon();
    let agent = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile_agent.py");
    home.config(&format!(
        "[agents.hostile]\ncommand = \"python3\"\nargs = [{:?}]\nenv = {{ HOSTILE_ESCAPES = \"1\" }}\n",
        agent.display().to_string()
    ));
    let mut b = Bridge::spawn(home.praxis(&["bridge", "--agent", "hostile"]));
    init(&mut b);
    let s = new_session(&mut b, &home);
    b.send(json!({ "jsonrpc": "2.0", "id": 3, "method": "session/prompt",
                   "params": { "sessionId": s, "prompt": [{ "type": "text", "text": "escapes" }] } }));
    let mut frames = b.until("permission request", |v| {
        v["method"] == "session/request_permission"
    });
    let ask = frames.last().unwrap().clone();
    b.send(json!({ "jsonrpc": "2.0", "id": ask["id"],
                   "result": { "outcome": { "outcome": "selected", "optionId": "allow" } } }));
    frames.extend(b.answer(json!(3)));
    // The agent's text, escapes and all, is the client's to render: passed on as JSON.
    let text = chunks(&frames, &s);
    assert!(text.contains("TEXT\x1b[2J"), "{text:?}");
    assert!(text.contains("ESCAPES-DONE"), "{text:?}");
    // The agent crashes with escapes on its stderr: the bridge says so, cleanly.
    let frames = prompt(&mut b, 4, &s, "escapes-stderr");
    assert!(frames.last().unwrap().get("error").is_some(), "{frames:#?}");
    no_praxis_frames(&b);
    for line in &b.raw {
        assert!(
            !line.chars().any(char::is_control),
            "a raw control character: {line:?}"
        );
    }
    let (status, stderr) = b.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    for line in clean_lines(&stderr) {
        assert!(
            line.starts_with("praxis: ") || line.starts_with("  "),
            "{stderr:?}"
        );
    }
    assert!(stderr.contains("failed"), "{stderr:?}");
}

/// The lines of `stderr`, after checking that it holds no control character but newlines
/// and no C1 control (an escape sequence in any form).
fn clean_lines(stderr: &str) -> Vec<String> {
    for c in stderr.chars() {
        let bad = (c.is_control() && c != '\n') || ('\u{80}'..='\u{9f}').contains(&c);
        assert!(!bad, "a control character {c:?} on stderr: {stderr:?}");
    }
    stderr.lines().map(str::to_owned).collect()
}
