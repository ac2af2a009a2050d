//! Finding node daemons for the full-screen client. With a broker configured: connect, ping,
//! and follow presence: each node that announces itself gets a link and a `NodeClient` (its
//! events tagged with the node's index on the shared stream), a node whose heartbeats stop
//! (or that says goodbye) is marked offline, one that comes back (a new boot) is linked again
//! and asked for its sessions after [`REJOIN_LIST_DELAY`]; this client's own broker link
//! going down shows as "reconnecting". Without a broker: the local `praxis node` daemon's
//! socket, when one answers.

use crate::amqp::{ClientEndpoint, LinkState};
use crate::config::{Config, Paths};
use crate::node::client::Sink;
use crate::node::{NodeClient, NodeEvent};
use crate::state::Action;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// A node is offline after this long without a heartbeat (three missed beats).
pub const OFFLINE_AFTER: Duration = Duration::from_secs(16);

/// How long after a node comes back its sessions are asked for.
pub const REJOIN_LIST_DELAY: Duration = Duration::from_millis(1500);

/// A node daemon this client is now connected to.
pub(super) struct Joined {
    pub node: usize,
    pub client: NodeClient,
}

type Events = mpsc::Sender<(usize, NodeEvent)>;

pub(super) fn start(
    config: &Config,
    paths: &Paths,
    events: Events,
    joined: mpsc::UnboundedSender<Joined>,
    actions: mpsc::UnboundedSender<Action>,
    dropped: mpsc::UnboundedReceiver<usize>,
) {
    let remote = config.remote.clone().with_env();
    match remote.broker {
        Some(url) => {
            tokio::spawn(follow_broker(
                url,
                remote.node_token,
                events,
                joined,
                actions,
                dropped,
            ));
        }
        None => {
            let path = paths.node_socket();
            tokio::spawn(async move {
                let Ok(t) = crate::transport::socket::connect(&path).await else {
                    return;
                };
                let sink = Sink::Shared(1, events);
                match NodeClient::connect_into(t, sink, remote.node_token).await {
                    Ok(client) => {
                        let _ = joined.send(Joined { node: 1, client });
                    }
                    Err(e) => {
                        let _ = actions.send(Action::Failed(format!(
                            "The node daemon on {} refused this client: {}",
                            path.display(),
                            e.message
                        )));
                    }
                }
            });
        }
    }
}

struct Known {
    index: usize,
    boot: String,
    last_beat: Instant,
    online: bool,
}

async fn follow_broker(
    url: String,
    token: Option<String>,
    events: Events,
    joined: mpsc::UnboundedSender<Joined>,
    actions: mpsc::UnboundedSender<Action>,
    mut dropped: mpsc::UnboundedReceiver<usize>,
) {
    let endpoint = match ClientEndpoint::connect(&url, &crate::reach::client_id()).await {
        Ok(e) => e,
        Err(e) => {
            let _ = actions.send(Action::Failed(format!(
                "Remote nodes are not reachable: {e}"
            )));
            return;
        }
    };
    let mut presence = endpoint.presence();
    let mut link = endpoint.state();
    let _ = endpoint.ping().await;
    let mut known: HashMap<String, Known> = HashMap::new();
    let mut next_index = 1;
    let mut sweep = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            p = presence.recv() => {
                let p = match p {
                    Ok(p) => p,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                let goodbye = p.body.get("goodbye").and_then(serde_json::Value::as_bool) == Some(true);
                let entry = known.get_mut(&p.node);
                match entry {
                    Some(k) if goodbye => {
                        if k.online {
                            k.online = false;
                            let _ = actions.send(offline(k.index, "the node said goodbye"));
                        }
                    }
                    Some(k) if k.online && k.boot == p.boot => {
                        k.last_beat = Instant::now();
                        let _ = actions.send(Action::NodeBeat { node: k.index });
                    }
                    Some(k) => {
                        // Back (or restarted): a new link, and its sessions again shortly.
                        k.boot = p.boot.clone();
                        k.last_beat = Instant::now();
                        k.online = true;
                        let index = k.index;
                        link_node(&endpoint, &p.node, index, &token, &events, &joined, &actions, true);
                    }
                    None if goodbye => {}
                    None => {
                        let index = next_index;
                        next_index += 1;
                        known.insert(p.node.clone(), Known { index, boot: p.boot.clone(), last_beat: Instant::now(), online: true });
                        link_node(&endpoint, &p.node, index, &token, &events, &joined, &actions, false);
                    }
                }
            }
            changed = link.changed() => {
                if changed.is_err() {
                    return;
                }
                let state = *link.borrow();
                let reconnecting = state == LinkState::Reconnecting;
                for k in known.values().filter(|k| k.online) {
                    let _ = actions.send(Action::NodeLink {
                        node: k.index,
                        online: true,
                        reconnecting,
                        reason: reconnecting.then(|| "reconnecting to the broker".to_string()),
                    });
                }
                if state == LinkState::Connected {
                    // Beats were missed while away: give every node a fresh start, and ask.
                    for k in known.values_mut() {
                        k.last_beat = Instant::now();
                    }
                    let _ = endpoint.ping().await;
                }
            }
            Some(index) = dropped.recv() => {
                // Its link closed while it still runs: link it again at its next beat.
                if let Some(k) = known.values_mut().find(|k| k.index == index) {
                    k.online = false;
                }
            }
            _ = sweep.tick() => {
                if *link.borrow() != LinkState::Connected {
                    continue;
                }
                for k in known.values_mut().filter(|k| k.online) {
                    if k.last_beat.elapsed() > OFFLINE_AFTER {
                        k.online = false;
                        let _ = actions.send(offline(k.index, "no heartbeat"));
                    }
                }
            }
        }
    }
}

fn offline(node: usize, why: &str) -> Action {
    Action::NodeLink {
        node,
        online: false,
        reconnecting: false,
        reason: Some(format!("node offline: {why}")),
    }
}

#[allow(clippy::too_many_arguments)]
fn link_node(
    endpoint: &ClientEndpoint,
    name: &str,
    index: usize,
    token: &Option<String>,
    events: &Events,
    joined: &mpsc::UnboundedSender<Joined>,
    actions: &mpsc::UnboundedSender<Action>,
    rejoin: bool,
) {
    let transport = endpoint.open(name);
    let (sink, token) = (Sink::Shared(index, events.clone()), token.clone());
    let (joined, actions, name) = (joined.clone(), actions.clone(), name.to_string());
    tokio::spawn(async move {
        if rejoin {
            tokio::time::sleep(REJOIN_LIST_DELAY).await;
        }
        match NodeClient::connect_into(transport, sink, token).await {
            Ok(client) => {
                let _ = joined.send(Joined {
                    node: index,
                    client,
                });
            }
            Err(e) => {
                let _ = actions.send(Action::Failed(format!(
                    "Node {name} refused this client: {}",
                    e.message
                )));
            }
        }
    });
}
