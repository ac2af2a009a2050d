//! The confinement recipe of `docs/wire.md` §5, run on a private RabbitMQ node: a node user
//! may serve only its own node, and a person may drive only the nodes named in her topic
//! permissions. The broker enforces both; praxis needs no change for them.

#[path = "common/rabbit/mod.rs"]
mod rabbit;

use praxis::amqp::{ClientEndpoint, NodeEndpoint};
use praxis::wire::Inbound;
use std::time::Duration;

fn ctl(b: &rabbit::PrivateBroker, args: &[&str]) {
    b.ctl(args)
        .unwrap_or_else(|e| panic!("rabbitmqctl {args:?}: {e}"));
}

/// The recipe, exactly as `docs/wire.md` gives it (vhost `/`).
fn confine(b: &rabbit::PrivateBroker) {
    ctl(b, &["add_user", "node-n1", "pw-n1"]);
    ctl(
        b,
        &[
            "set_permissions",
            "-p",
            "/",
            "node-n1",
            r"^(praxis\.n\.n1\.in|praxis\.(cmd|ev))$",
            r"^(praxis\.n\.n1\.in|praxis\.ev)$",
            r"^(praxis\.n\.n1\.in|praxis\.cmd)$",
        ],
    );
    ctl(
        b,
        &[
            "set_topic_permissions",
            "-p",
            "/",
            "node-n1",
            "praxis.ev",
            r"^n\.n1\.",
            "^$",
        ],
    );
    ctl(
        b,
        &[
            "set_topic_permissions",
            "-p",
            "/",
            "node-n1",
            "praxis.cmd",
            "^$",
            r"^(n\.n1\.in|ping)$",
        ],
    );
    ctl(b, &["add_user", "alice", "pw-alice"]);
    ctl(
        b,
        &[
            "set_permissions",
            "-p",
            "/",
            "alice",
            r"^(praxis\.c\..*|praxis\.(cmd|ev))$",
            r"^(praxis\.c\..*|praxis\.cmd)$",
            r"^(praxis\.c\..*|praxis\.ev)$",
        ],
    );
    ctl(
        b,
        &[
            "set_topic_permissions",
            "-p",
            "/",
            "alice",
            "praxis.cmd",
            r"^(n\.(n1|n2)\.in|ping)$",
            "^$",
        ],
    );
    ctl(
        b,
        &[
            "set_topic_permissions",
            "-p",
            "/",
            "alice",
            "praxis.ev",
            "^$",
            r"^n\.\*\.(p|c\..+)$",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_and_person_users_are_confined_by_the_broker() {
    let broker = tokio::task::spawn_blocking(rabbit::PrivateBroker::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let as_user = |user: &str, pw: &str| {
        broker
            .url
            .replacen("guest:guest", &format!("{user}:{pw}"), 1)
    };
    // The exchanges exist before confined users come (an admin's endpoint declares them).
    let (admin_node, mut n3_accepted) = NodeEndpoint::bind(&broker.url, "n3").await.unwrap();
    confine(&broker);

    // The node user serves n1, and cannot serve another node.
    let n1_url = as_user("node-n1", "pw-n1");
    let (n1, mut n1_accepted) = NodeEndpoint::bind(&n1_url, "n1")
        .await
        .unwrap_or_else(|e| panic!("node-n1 serving n1: {e}"));
    let other = NodeEndpoint::bind(&n1_url, "n2").await;
    assert!(other.is_err(), "node-n1 must not serve n2");

    // alice drives n1: a frame reaches it and its answer comes back.
    let alice = ClientEndpoint::connect(&as_user("alice", "pw-alice"), "c-alice1")
        .await
        .unwrap_or_else(|e| panic!("alice connecting: {e}"));
    let mut link = alice.open("n1");
    link.outgoing.send("hello n1".into()).await.unwrap();
    let mut accepted = tokio::time::timeout(Duration::from_secs(30), n1_accepted.recv())
        .await
        .expect("n1 never saw alice's link")
        .unwrap();
    let first = accepted.transport.incoming.recv().await.unwrap();
    assert_eq!(first, Inbound::Line("hello n1".into()));
    accepted
        .transport
        .outgoing
        .send("hello alice".into())
        .await
        .unwrap();
    let back = tokio::time::timeout(Duration::from_secs(30), link.incoming.recv())
        .await
        .expect("n1's answer never came")
        .unwrap();
    assert_eq!(back, Inbound::Line("hello alice".into()));

    // alice may not drive n3: nothing she sends reaches it.
    let denied = alice.open("n3");
    let _ = denied.outgoing.send("hello n3".into()).await;
    let reached = tokio::time::timeout(Duration::from_secs(3), n3_accepted.recv()).await;
    assert!(reached.is_err(), "alice's frame reached n3");

    drop((link, denied, accepted));
    alice.close().await;
    n1.close().await;
    admin_node.close().await;
    drop(broker);
}
