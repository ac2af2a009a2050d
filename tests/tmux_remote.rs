//! The full-screen client against a `praxis node` daemon over the machine's RabbitMQ, in a
//! real terminal (tmux), as a person would use it: the node appears in the Nodes window, a
//! session is opened on it and a long answer starts; the client quits mid-answer (the session
//! keeps running on the node); a new client finds the session in the Active Sessions overlay,
//! opens it, and shows the whole conversation, then follows it to the end.
//!
//! Waits poll `capture-pane` with a generous hang guard; nothing asserts on timing.

#[path = "common/rabbit/mod.rs"]
mod rabbit;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(root: &Path, url: &str, tag: &str) -> Tmux {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is not installed; run `bash .ci/run` (it installs tmux)"
        );
        let name = format!("praxis-remote-{tag}-{}", uuid::Uuid::new_v4().simple());
        let script = format!(
            "cd {work} && PRAXIS_BROKER='{url}' PRAXIS_CONFIG_DIR={root}/config PRAXIS_DATA_DIR={root}/client-data {praxis}; echo PRAXIS-EXITED $?; sleep 30",
            work = root.join("work").display(),
            root = root.display(),
            praxis = PRAXIS
        );
        let ok = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "110", "-y", "36"])
            .args(["sh", "-c", &script])
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        Tmux { name }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    fn text(&self, text: &str) {
        assert!(Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .unwrap()
            .success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `needle` (hang guard: 60 s).
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!("the screen never showed {needle:?}; it shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// In the Nodes window, moves the selection to `node`'s first agent (other nodes on the
    /// broker are listed too, in any order).
    fn select_agent_of(&self, node: &str) {
        for _ in 0..50 {
            let screen = self.screen();
            let lines: Vec<&str> = screen.lines().collect();
            let selected = lines.iter().position(|l| l.contains("› demo"));
            if selected.is_some_and(|i| i > 0 && lines[i - 1].contains(&format!(" {node} "))) {
                return;
            }
            self.keys(&["Down"]);
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{node}'s agent never got selected:\n{}", self.screen());
    }

    /// Waits until the screen no longer shows `needle` (hang guard: 60 s).
    fn wait_gone(&self, needle: &str) {
        let start = Instant::now();
        while self.screen().contains(needle) {
            if start.elapsed() > Duration::from_secs(60) {
                panic!("the screen kept showing {needle:?}:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_remote_session_outlives_the_client_and_a_new_client_resumes_it_whole() {
    let url = rabbit::require_shared_broker();
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("work")).unwrap();
    let name = format!("e2e{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let _node = Node(
        Command::new(PRAXIS)
            .args(["node", "--name", &name, "--no-listen", "--broker", &url])
            .env("PRAXIS_DATA_DIR", root.path().join("node-data"))
            .env("PRAXIS_CONFIG_DIR", root.path().join("config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let first = Tmux::start(root.path(), &url, "a");
    first.wait_for("demo · idle");
    first.keys(&["C-l"]);
    first.wait_for(&format!("● {name}  connected"));
    first.select_agent_of(&name);
    first.keys(&["Enter"]);
    first.wait_for("New session · demo");
    first.keys(&["Enter"]);
    first.wait_for("2 sessions");
    first.wait_gone("New session");
    first.text("/slow 40");
    first.keys(&["Enter"]);
    first.wait_for("tick 3");
    first.keys(&["C-q"]);
    first.wait_for("PRAXIS-EXITED 0");

    let second = Tmux::start(root.path(), &url, "b");
    second.wait_for("running on");
    second.keys(&["C-l"]);
    second.wait_for(&format!("● {name}  connected"));
    second.keys(&["C-w"]);
    let overlay = second.wait_for("Active Sessions");
    let rows: Vec<&str> = overlay
        .lines()
        .filter(|l| l.contains(&name) && l.contains("working"))
        .collect();
    assert_eq!(rows.len(), 1, "one session on the node:\n{overlay}");
    // Move the selection to that row (other nodes on the broker may list sessions too).
    let mut tries = 0;
    while !second
        .screen()
        .lines()
        .any(|l| l.contains(&format!("› {name}")))
    {
        tries += 1;
        assert!(
            tries < 50,
            "the row never got selected:\n{}",
            second.screen()
        );
        second.keys(&["Down"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    second.keys(&["Enter"]);
    let screen = second.wait_for("tick 40");
    assert!(screen.contains("tick 39"), "{screen}");
    second.wait_for("demo · idle");
    second.keys(&["C-Home"]);
    let top = second.wait_for("▸ you");
    assert!(top.contains("/slow 40"), "the prompt is replayed:\n{top}");
    assert!(top.contains("tick 1\n") || top.contains("tick 1 "), "{top}");
    assert_eq!(
        top.matches("tick 2 ").count() + top.matches("tick 2\n").count(),
        1,
        "nothing twice:\n{top}"
    );
    second.keys(&["C-q"]);
    second.wait_for("PRAXIS-EXITED 0");
}

#[test]
fn a_killed_node_goes_offline_with_its_sessions_lost_and_is_listed_again_when_back() {
    let url = rabbit::require_shared_broker();
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("work")).unwrap();
    let name = format!("e2e{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let node = |root: &Path| {
        Node(
            Command::new(PRAXIS)
                .args(["node", "--name", &name, "--no-listen", "--broker", &url])
                .env("PRAXIS_DATA_DIR", root.join("node-data"))
                .env("PRAXIS_CONFIG_DIR", root.join("config"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let mut first = node(root.path());
    let t = Tmux::start(root.path(), &url, "k");
    t.wait_for("demo · idle");
    t.keys(&["C-l"]);
    t.wait_for(&format!("● {name}  connected"));
    t.select_agent_of(&name);
    t.keys(&["Enter"]);
    t.wait_for("New session · demo");
    t.keys(&["Enter"]);
    t.wait_for("2 sessions");
    t.wait_gone("New session");
    t.text("/slow 400");
    t.keys(&["Enter"]);
    t.wait_for("tick 2");
    // The node dies without a goodbye: after its heartbeats stop, it is offline and the
    // session says it is lost.
    unsafe { libc::kill(first.0.id() as i32, libc::SIGKILL) };
    let _ = first.0.wait();
    let screen = t.wait_for("lost (node offline: no heartbeat)");
    assert!(screen.contains("failed"), "{screen}");
    t.keys(&["C-l"]);
    t.wait_for(&format!("○ {name}  offline: no heartbeat"));
    // Back under the same name: linked and listed again.
    let _second = node(root.path());
    t.wait_for(&format!("● {name}  connected"));
    t.keys(&["Escape"]);
    t.keys(&["C-q"]);
    t.wait_for("PRAXIS-EXITED 0");
}
