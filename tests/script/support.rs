//! Support for `tests/script.rs`: one machine's home per test (config, data and runtime dirs
//! in a temporary directory, its local daemon ended on drop), `praxis session …` run as a
//! user runs it (under a hang guard), a follower process read line by line, a node daemon on
//! the shared broker, a full-screen client's part (answering a permission request), and the
//! checker of the JSON shapes documented in `docs/scripting.md`.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");
/// How long anything may take before a test counts as hung (a guard, not a timing).
pub const GUARD: Duration = Duration::from_secs(60);

/// The demo agent streaming fast (1 ms between chunks instead of 12).
fn fast_demo() -> String {
    format!("[agents.demo]\ncommand = {PRAXIS:?}\nargs = [\"agent\", \"demo\", \"--delay-ms\", \"1\"]\n")
}

/// One machine: config, data and runtime dirs and a working directory in a temporary
/// directory; no broker or node token from the environment. Dropping it ends the local daemon
/// its commands started (SIGTERM, then SIGKILL after 10 s), pass or fail.
pub struct Home {
    pub root: tempfile::TempDir,
}

impl Home {
    /// A machine without a broker whose demo agent streams fast.
    pub fn local() -> Home {
        let h = Home::bare();
        h.config(&fast_demo());
        h
    }

    /// A client machine whose config.toml names the broker `url`.
    pub fn client_of(url: &str) -> Home {
        let h = Home::bare();
        h.config(&format!("broker = {url:?}\n"));
        h
    }

    fn bare() -> Home {
        let root = tempfile::tempdir().unwrap();
        for d in ["work", "config", "data", "run"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        Home { root }
    }

    pub fn config(&self, toml: &str) {
        std::fs::write(self.root.path().join("config/config.toml"), toml).unwrap();
    }

    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    pub fn socket(&self) -> PathBuf {
        self.root.path().join("run/node.sock")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.root.path().join("run/node.pid")
    }

    /// The local daemon's pid, from its pid file.
    pub fn daemon_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.pid_file())
            .ok()
            .and_then(|p| p.trim().parse().ok())
    }

    /// `praxis ARGS` in the working directory with this home's dirs and nothing else.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(PRAXIS);
        c.args(args)
            .current_dir(self.work())
            .env("PRAXIS_CONFIG_DIR", self.root.path().join("config"))
            .env("PRAXIS_DATA_DIR", self.root.path().join("data"))
            .env("PRAXIS_RUNTIME_DIR", self.root.path().join("run"))
            .env_remove("PRAXIS_BROKER")
            .env_remove("PRAXIS_NODE_TOKEN")
            .stdin(Stdio::null());
        c
    }

    /// Runs `praxis ARGS` to its end (hang guard).
    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(self.cmd(args), args)
    }

    /// `praxis session ARGS`.
    pub fn session(&self, args: &[&str]) -> Run {
        let mut all = vec!["session"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `praxis session ARGS` started in the background, its stdout read line by line.
    pub fn spawn_session(&self, args: &[&str]) -> Running {
        let mut all = vec!["session"];
        all.extend_from_slice(args);
        Running::spawn(self.cmd(&all), &all)
    }

    /// `session start ARGS`, which must succeed; the new session's id.
    pub fn start(&self, args: &[&str]) -> String {
        let mut all = vec!["start"];
        all.extend_from_slice(args);
        let r = self.session(&all).ok();
        let id = r.stdout.trim().to_string();
        assert_eq!(id.len(), 36, "start prints the full id: {r}");
        id
    }

    /// Session `id` as `list --all --json` shows it (None: not listed).
    pub fn listed(&self, id: &str, extra: &[&str]) -> Option<Value> {
        let mut args = vec!["list", "--all", "--json"];
        args.extend_from_slice(extra);
        let r = self.session(&args).ok();
        r.json()["sessions"]
            .as_array()
            .unwrap_or_else(|| panic!("no sessions array: {r}"))
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
    }

    /// Polls `list` until session `id` is in one of `statuses`; returns it.
    pub fn wait_status(&self, id: &str, statuses: &[&str]) -> Value {
        let what = format!("session {id} in status {statuses:?}");
        wait_for(&what, || {
            self.listed(id, &[])
                .filter(|s| statuses.iter().any(|st| s["status"] == *st))
        })
    }

    /// Polls `show --json` until session `id` is idle with nothing queued and its transcript
    /// holds `needle`; returns the `show` object.
    pub fn wait_answered(&self, id: &str, needle: &str) -> Value {
        let what = format!("session {id} idle with {needle:?} in its transcript");
        wait_for(&what, || {
            let v = self.session(&["show", id, "--json"]).ok().json();
            let s = &v["session"];
            let done = s["status"] == "idle"
                && s["queued"] == 0
                && v["transcript"].as_str().is_some_and(|t| t.contains(needle));
            done.then_some(v)
        })
    }

    /// Ends the local daemon with `signal` and waits until it is gone (its pid file is removed
    /// with it: a pid that is reused later must not be signalled by [`Drop`]).
    pub fn kill_daemon(&self, signal: i32) {
        let pid = self
            .daemon_pid()
            .expect("a local daemon runs (its pid file)");
        unsafe { libc::kill(pid, signal) };
        wait_for("the local daemon to exit", || (!alive(pid)).then_some(()));
        let _ = std::fs::remove_file(self.pid_file());
    }

    /// A full-screen client's part: attaches to session `id` over the local daemon's socket,
    /// answers its pending permission request with `option`, waits until the node has it and
    /// goes.
    pub fn answer_permission(&self, id: &str, option: &str) {
        use praxis::node::client::{PermissionAnswer, Sink};
        use praxis::node::{NodeClient, NodeEvent};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let t = praxis::transport::socket::connect(&self.socket())
                .await
                .expect("the local daemon answers");
            let (tx, mut events) = tokio::sync::mpsc::channel(4096);
            let client = NodeClient::connect_into(t, Sink::Own(tx), None)
                .await
                .expect("initialize");
            client.resume(id).await.expect("resume");
            let request = loop {
                if let NodeEvent::Permission { request, .. } = next_event(&mut events).await {
                    break request;
                }
            };
            client
                .answer_permission(request, PermissionAnswer::Selected(option.into()))
                .await;
            while !matches!(
                next_event(&mut events).await,
                NodeEvent::PermissionResolved { .. }
            ) {}
            let _ = client.detach(id).await;
        });
    }
}

/// The next node event (hang guard).
async fn next_event(
    events: &mut tokio::sync::mpsc::Receiver<praxis::node::NodeEvent>,
) -> praxis::node::NodeEvent {
    tokio::time::timeout(GUARD, events.recv())
        .await
        .expect("hang guard: no event from the node")
        .expect("the node's events end")
}

impl Drop for Home {
    fn drop(&mut self) {
        if let Some(pid) = self.daemon_pid() {
            terminate(pid);
        }
    }
}

/// SIGTERM, then SIGKILL when `pid` still runs after 10 s.
pub fn terminate(pid: i32) {
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let until = Instant::now() + Duration::from_secs(10);
    while alive(pid) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    if alive(pid) {
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Whether `pid` runs (a zombie does not).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Polls `probe` (every 50 ms) until it gives a value; panics after [`GUARD`].
pub fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + GUARD;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "hang guard: no {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A finished command: its exit code (None: killed by a signal) and output.
pub struct Run {
    pub args: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`praxis {}` exited {:?}\n--- stdout\n{}--- stderr\n{}---",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    fn of(cmd: Command, args: &[&str]) -> Run {
        Running::spawn(cmd, args).finish()
    }

    /// Asserts exit code `code`.
    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "{self}");
        self
    }

    /// Asserts exit code 0.
    pub fn ok(self) -> Run {
        self.code(0)
    }

    /// Stdout as one JSON value on one line.
    pub fn json(&self) -> Value {
        let lines = self.json_lines();
        assert_eq!(lines.len(), 1, "one JSON line: {self}");
        lines.into_iter().next().unwrap()
    }

    /// Every stdout line, each one JSON value.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}\n{self}"))
            })
            .collect()
    }

    /// Asserts that stderr holds `needle`.
    pub fn says(self, needle: &str) -> Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {self}"
        );
        self
    }
}

/// A praxis process running in the background: its stdout read line by line, its stderr
/// collected; killed on drop.
pub struct Running {
    args: String,
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    /// Every stdout line read so far.
    pub seen: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Running {
    pub fn spawn(mut cmd: Command, args: &[&str]) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("praxis starts");
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
        Running {
            args: args.join(" "),
            child: Some(child),
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    /// Reads stdout up to the first line that matches (hang guard); returns it.
    pub fn wait_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|e| {
                panic!(
                    "hang guard: `praxis {}` printed no {what} ({e}); so far: {:#?}",
                    self.args, self.seen
                )
            });
            self.seen.push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    }

    pub fn signal(&self, signal: i32) {
        unsafe { libc::kill(self.pid(), signal) };
    }

    /// Waits for the exit (hang guard); everything it printed.
    pub fn finish(self) -> Run {
        self.finish_within(GUARD * 2)
    }

    /// Waits up to `limit` for the exit; everything it printed.
    pub fn finish_within(mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut().unwrap();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "hang guard: `praxis {}` still ran after {limit:?}; it printed {:#?}",
                    self.args, self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        self.child = None;
        // The reader ends at EOF; a grandchild holding the pipe open cannot stall this.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.seen.push(line);
        }
        let stderr = self.stderr.take().unwrap().join().unwrap();
        let mut stdout = self.seen.join("\n");
        if !stdout.is_empty() {
            stdout.push('\n');
        }
        Run {
            args: self.args.clone(),
            code: status.code(),
            stdout,
            stderr,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `praxis node --name NAME --broker URL --no-listen` with a home of its own (the fast demo
/// agent); SIGTERM (then SIGKILL) on drop.
pub struct BrokerNode {
    pub name: String,
    pub home: Home,
    child: Option<Child>,
}

impl BrokerNode {
    pub fn start(url: &str, name: &str) -> BrokerNode {
        let home = Home::local();
        let child = home
            .cmd(&["node", "--name", name, "--broker", url, "--no-listen"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("praxis node starts");
        BrokerNode {
            name: name.to_string(),
            home,
            child: Some(child),
        }
    }

    /// SIGKILL: no goodbye.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for BrokerNode {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            terminate(c.id() as i32);
            let _ = c.wait();
        }
    }
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// The 8 characters praxis shows of an id.
pub fn short(id: &str) -> &str {
    &id[..8]
}

// ---------------------------------------------------------------------------------------------
// The documented JSON shapes.

/// The `<!-- shape: NAME -->` examples of docs/scripting.md, and the keys that may be null.
pub struct Doc {
    pub shapes: BTreeMap<String, Value>,
    pub nullable: BTreeSet<String>,
}

/// Keys documented as "may be null" in prose rather than in an example.
const NULLABLE: &[&str] = &[
    "title",
    "cwd",
    "reason",
    "endedAt",
    "stopReason",
    "error",
    "option",
];

pub fn doc() -> &'static Doc {
    static DOC: OnceLock<Doc> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scripting.md");
        let text = std::fs::read_to_string(&path).unwrap();
        parse_doc(&text)
    })
}

/// Each `<!-- shape: NAME -->` comment and the ```json block right after it.
pub fn parse_doc(text: &str) -> Doc {
    let mut shapes = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .trim()
            .strip_prefix("<!-- shape:")
            .and_then(|r| r.strip_suffix("-->"))
        else {
            continue;
        };
        let name = name.trim().to_string();
        let fence = lines.by_ref().find(|l| !l.trim().is_empty());
        assert_eq!(
            fence.map(str::trim),
            Some("```json"),
            "shape {name}: a ```json block follows its comment"
        );
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        let value: Value = serde_json::from_str(&body.join("\n"))
            .unwrap_or_else(|e| panic!("shape {name}: its example is not JSON: {e}"));
        assert!(
            shapes.insert(name.clone(), value).is_none(),
            "shape {name} is documented twice"
        );
    }
    let mut nullable: BTreeSet<String> = NULLABLE.iter().map(|k| k.to_string()).collect();
    for v in shapes.values() {
        null_keys(v, &mut nullable);
    }
    Doc { shapes, nullable }
}

fn null_keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if x.is_null() {
                    out.insert(k.clone());
                }
                null_keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| null_keys(x, out)),
        _ => {}
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The differences between real output `actual` and the documented shape `name` (empty: it
/// matches): the same keys, the same JSON type per key, recursively; an array's elements each
/// against the example's first; a documented `null` takes anything; an actual `null` only
/// where the key may be null. For `event update`, `update` is only checked to be an object
/// with a string `sessionUpdate` (it is the agent's ACP update).
pub fn shape_errors(doc: &Doc, name: &str, actual: &Value) -> Vec<String> {
    let Some(example) = doc.shapes.get(name) else {
        return vec![format!("docs/scripting.md documents no shape `{name}`")];
    };
    let mut example = example.clone();
    let mut errors = Vec::new();
    if name == "event update" {
        example["update"] = Value::Null;
        if !actual["update"]["sessionUpdate"].is_string() {
            errors.push("$.update: not an object with a string sessionUpdate".into());
        }
    }
    compare(doc, &example, actual, "$", None, &mut errors);
    errors
}

fn compare(
    doc: &Doc,
    example: &Value,
    actual: &Value,
    path: &str,
    key: Option<&str>,
    errors: &mut Vec<String>,
) {
    if example.is_null() {
        return;
    }
    if actual.is_null() {
        if !key.is_some_and(|k| doc.nullable.contains(k)) {
            errors.push(format!(
                "{path}: null where the doc has a {}",
                type_name(example)
            ));
        }
        return;
    }
    match (example, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for k in e.keys().filter(|k| !a.contains_key(*k)) {
                errors.push(format!("{path}.{k}: missing"));
            }
            for k in a.keys().filter(|k| !e.contains_key(*k)) {
                errors.push(format!("{path}.{k}: not documented"));
            }
            for (k, ev) in e {
                if let Some(av) = a.get(k) {
                    compare(doc, ev, av, &format!("{path}.{k}"), Some(k), errors);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                for (i, av) in a.iter().enumerate() {
                    compare(doc, first, av, &format!("{path}[{i}]"), None, errors);
                }
            }
        }
        _ if type_name(example) != type_name(actual) => errors.push(format!(
            "{path}: a {} where the doc has a {}",
            type_name(actual),
            type_name(example)
        )),
        _ => {}
    }
}

/// Checks real output against the documented shapes and remembers which were checked.
#[derive(Default)]
pub struct Shapes {
    checked: Mutex<BTreeSet<String>>,
}

impl Shapes {
    /// Asserts that `actual` has the documented shape `name`.
    pub fn check(&self, name: &str, actual: &Value) {
        let errors = shape_errors(doc(), name, actual);
        assert!(
            errors.is_empty(),
            "output does not match the documented shape `{name}`:\n  {}\nactual: {actual}",
            errors.join("\n  ")
        );
        self.checked.lock().unwrap().insert(name.to_string());
    }

    /// Checks a `stream --json` line against `event <kind>`; returns its kind.
    pub fn event(&self, actual: &Value) -> String {
        let kind = actual["event"]
            .as_str()
            .unwrap_or_else(|| panic!("a stream event without a string `event`: {actual}"))
            .to_string();
        self.check(&format!("event {kind}"), actual);
        kind
    }

    /// Checks every line of a `stream --json` run; returns their kinds in order.
    pub fn events(&self, lines: &[Value]) -> Vec<String> {
        lines.iter().map(|v| self.event(v)).collect()
    }

    pub fn checked(&self) -> BTreeSet<String> {
        self.checked.lock().unwrap().clone()
    }
}
