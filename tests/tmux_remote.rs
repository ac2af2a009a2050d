//! The full-screen client against a `praxis node` daemon over the machine's RabbitMQ, in a
//! real terminal (tmux), as a person would use it: the node appears in the Nodes window, a
//! session is opened on it and a long answer starts; the client quits mid-answer (the session
//! keeps running on the node); a new client finds the session in the Active Sessions overlay,
//! opens it, and shows the whole conversation, then follows it to the end.
//!
//! Waits poll `capture-pane` with a generous hang guard; nothing asserts on timing.

#[path = "common/rabbit/mod.rs"]
mod rabbit;
#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tmux::Tmux;

const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");

/// The client in tmux, against the broker at `url`, with its config and data under `root`.
fn start(root: &Path, url: &str, tag: &str) -> Tmux {
    let name = format!("praxis-remote-{tag}-{}", uuid::Uuid::new_v4().simple());
    let script = format!(
        "cd {work} && PRAXIS_BROKER='{url}' PRAXIS_CONFIG_DIR={root}/config PRAXIS_DATA_DIR={root}/client-data {praxis}; echo PRAXIS-EXITED $?; sleep 30",
        work = root.join("work").display(),
        root = root.display(),
        praxis = PRAXIS
    );
    Tmux::spawn(name, 110, 36, &script)
}

/// In the Nodes window, moves the selection to `node`'s first agent (other nodes on the
/// broker are listed too, in any order).
fn select_agent_of(t: &Tmux, node: &str) {
    for _ in 0..50 {
        let screen = t.screen();
        let lines: Vec<&str> = screen.lines().collect();
        let selected = lines.iter().position(|l| l.contains("› demo"));
        if selected.is_some_and(|i| i > 0 && lines[i - 1].contains(&format!(" {node} "))) {
            return;
        }
        t.keys(&["Down"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{node}'s agent never got selected:\n{}", t.screen());
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

    let first = start(root.path(), &url, "a");
    first.wait_for("demo · idle");
    first.keys(&["C-l"]);
    first.wait_for(&format!("● {name}  connected"));
    select_agent_of(&first, &name);
    first.keys(&["Enter"]);
    first.wait_for("New session · demo");
    first.keys(&["Enter"]);
    first.wait_for("2 sessions");
    first.wait_gone("New session");
    first.text("/slow 40");
    first.keys(&["Enter"]);
    first.wait_for("tick 3");
    first.quit();

    let second = start(root.path(), &url, "b");
    second.wait_for("running on");
    second.keys(&["C-l"]);
    second.wait_for(&format!("● {name}  connected"));
    second.keys(&["C-w"]);
    second.wait_for("Active Sessions");
    // Typing filters the fleet: the node's name leaves its one session (other nodes on the
    // shared broker list sessions too), working, and selected.
    second.text(&name);
    let overlay = second.wait_for(&format!("Filter: {name}"));
    assert!(
        overlay.contains("working · 1"),
        "one working session:\n{overlay}"
    );
    let selected: Vec<&str> = overlay.lines().filter(|l| l.contains("› ")).collect();
    assert_eq!(selected.len(), 1, "{overlay}");
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
    second.quit();
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
    let t = start(root.path(), &url, "k");
    t.wait_for("demo · idle");
    t.keys(&["C-l"]);
    t.wait_for(&format!("● {name}  connected"));
    select_agent_of(&t, &name);
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
    t.quit();
}
