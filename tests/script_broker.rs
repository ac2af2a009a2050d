//! `praxis session …` against a real node daemon over the shared RabbitMQ broker: every
//! command with `--node`, a node that is not running, a broker that is down, and a node that
//! dies under a following `stream`. The local-daemon cases are in `script.rs`; both share
//! `script/support.rs` (isolated homes, daemons ended on drop, the doc's JSON shapes).

#[path = "common/rabbit/mod.rs"]
mod rabbit;
#[path = "script/support.rs"]
mod support;

use support::{short, unique, BrokerNode, Home, Shapes};

// ---------------------------------------------------------------------------------------------
// A node daemon over the shared broker.

/// A node on the shared broker and a client home whose config.toml names the broker; returns
/// once the node answers.
fn broker_pair(prefix: &str) -> (String, BrokerNode, Home) {
    let url = rabbit::require_shared_broker();
    let node = BrokerNode::start(&url, &unique(prefix));
    let client = Home::client_of(&url);
    support::wait_for("the node to answer over the broker", || {
        let r = client.session(&["list", "--node", &node.name]);
        (r.code == Some(0)).then_some(())
    });
    (url, node, client)
}

#[test]
fn a_session_on_a_broker_node_starts_streams_lists_prompts_shows_and_stops() {
    let (_url, node, client) = broker_pair("script");
    let shapes = Shapes::default();
    let name = node.name.as_str();
    let started = client
        .session(&[
            "start", "--node", name, "--json", "/echo", "over", "the", "broker",
        ])
        .ok()
        .json();
    shapes.check("start", &started);
    assert_eq!(started["node"], name);
    let id = started["id"].as_str().unwrap().to_string();

    let r = client
        .session(&["stream", "--node", name, "--from-start", &id])
        .ok();
    assert!(r.stdout.contains("over the broker\n"), "{r}");

    // Without --node: every node that answers is asked.
    let list = client.session(&["list", "--json"]).ok().json();
    shapes.check("list", &list);
    let found = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} not listed: {list}"));
    assert_eq!(found["node"], name, "{list}");
    let r = client.session(&["list", "--node", name]).ok();
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with(short(&id)))
        .unwrap_or_else(|| panic!("{r}"));
    // The NODE column holds 12 characters: a longer name is cut with "…".
    assert!(line.contains(&format!("{}…", &name[..11])), "{line}");

    let r = client
        .session(&[
            "prompt",
            "--node",
            name,
            short(&id),
            "/echo",
            "second",
            "turn",
        ])
        .ok();
    assert!(r.stdout.starts_with(short(&id)), "{r}");
    support::wait_for("the second answer", || {
        let v = client
            .session(&["show", "--node", name, "--json", &id])
            .ok()
            .json();
        let s = &v["session"];
        (s["status"] == "idle"
            && s["queued"] == 0
            && v["transcript"].as_str().unwrap().contains("second turn"))
        .then_some(())
    });
    let r = client.session(&["show", short(&id)]).ok();
    assert!(r.stdout.contains(&format!("node      {name}\n")), "{r}");
    assert!(r.stdout.contains("second turn"), "{r}");
    let r = client.session(&["stop", "--node", name, &id]).ok();
    assert_eq!(r.stdout.trim(), format!("{}: idle → closed", short(&id)));
    let v = client
        .session(&["show", "--node", name, "--json", &id])
        .ok()
        .json();
    shapes.check("show", &v);
    assert_eq!(v["session"]["status"], "closed");
}

#[test]
fn a_node_that_is_not_running_and_a_broker_that_is_down_exit_3_without_the_password() {
    let url = rabbit::require_shared_broker();
    let client = Home::client_of(&url);
    let ghost = unique("ghost");
    for args in [
        vec!["start", "--node", ghost.as_str(), "hi"],
        vec!["list", "--node", ghost.as_str()],
        vec!["show", "--node", ghost.as_str(), "abc"],
    ] {
        let r = client.session(&args).code(3).says("not running");
        assert!(!r.stderr.contains("guest:guest"), "{r}");
    }
    let down = "amqp://guest:guest@127.0.0.1:1/%2f";
    for args in [vec!["list"], vec!["show", "abc"], vec!["start", "hi"]] {
        let mut all = vec!["session"];
        all.extend_from_slice(&args);
        let mut c = client.cmd(&all);
        c.env("PRAXIS_BROKER", down);
        let r = support::Running::spawn(c, &all)
            .finish()
            .code(3)
            .says("127.0.0.1:1");
        assert!(!r.stderr.contains("guest:guest"), "no password: {r}");
    }
    assert!(
        client.daemon_pid().is_none(),
        "with a broker, no local daemon"
    );
}

#[test]
fn a_node_killed_while_a_client_streams_it_ends_the_stream_with_3() {
    let (_url, mut node, client) = broker_pair("doomed");
    let name = node.name.clone();
    let id = client.start(&["--node", &name, "/permission"]);
    let mut follow = client.spawn_session(&["stream", "--node", &name, &id]);
    follow.wait_line("the pending permission request", |l| {
        l.starts_with("[permission]")
    });
    node.kill();
    follow
        .finish_within(support::GUARD)
        .code(3)
        .says("went away");
}
