//! The client's end: its own queue (every node's answers and presence arrive there), links
//! opened to nodes (each with its own id and sender), the demultiplexing of that one queue
//! into links by (node, link), node restarts told by the boot id, presence and pings.

use super::broker::{self, Broker, Topology};
use super::envelope::{self, Envelope, Kind, Stamp};
use super::links::{self, Ctl, Handler, Item, LinkIn, LinkKey, Table};
use super::sender::{self, Route};
use super::url::validate_name;
use super::{AmqpError, AmqpUrl, LinkState, CMD_EXCHANGE, EV_EXCHANGE};
use crate::sanitize::{sanitize, sanitize_json};
use crate::wire::{Inbound, Transport, CAPACITY};
use lapin::message::Delivery;
use lapin::options::BasicPublishOptions;
use lapin::Confirmation;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

/// How many presence messages a slow listener may fall behind by (then it skips ahead).
const PRESENCE_BACKLOG: usize = 256;

/// A node's presence: its name, its boot id and what it announced.
#[derive(Debug, Clone, PartialEq)]
pub struct Presence {
    pub node: String,
    pub boot: String,
    pub body: serde_json::Value,
}

/// The client side of the broker. Clones share one connection; dropping the last clone
/// closes it (without waiting).
#[derive(Clone)]
pub struct ClientEndpoint {
    inner: Arc<Inner>,
}

struct Inner {
    broker: Arc<Broker>,
    client: String,
    ctl: mpsc::UnboundedSender<Ctl>,
    presence: broadcast::Sender<Presence>,
    demux: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let demux = self.demux.get_mut().unwrap_or_else(|e| e.into_inner());
        if demux.is_some() {
            let broker = self.broker.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { broker.close().await });
            }
        }
    }
}

impl ClientEndpoint {
    /// Connects as `client_id`, declares the exchanges and the client's queue, and starts
    /// consuming it. One running client per id: two processes with one id would share (and
    /// split) one queue.
    pub async fn connect(url: &str, client_id: &str) -> Result<ClientEndpoint, AmqpError> {
        validate_name("client id", client_id)?;
        let url = AmqpUrl::parse(url)?;
        let topo = Topology {
            queue: format!("praxis.c.{client_id}"),
            args: broker::client_queue_args(),
            exchange: EV_EXCHANGE,
            keys: vec![format!("n.*.c.{client_id}"), "n.*.p".to_string()],
            name: format!("praxis client {client_id}"),
        };
        let (broker, consumers) = Broker::start(&url, topo).await?;
        let (ctl, ctl_rx) = mpsc::unbounded_channel();
        let (presence, _) = broadcast::channel(PRESENCE_BACKLOG);
        let handler = ClientHandler {
            client: client_id.to_string(),
            presence: presence.clone(),
        };
        let demux = tokio::spawn(links::run(broker.clone(), consumers, ctl_rx, handler));
        Ok(ClientEndpoint {
            inner: Arc::new(Inner {
                broker,
                client: client_id.to_string(),
                ctl,
                presence,
                demux: Mutex::new(Some(demux)),
            }),
        })
    }

    pub fn client_id(&self) -> &str {
        &self.inner.client
    }

    /// A new link to `node`. The node learns of it on its first frame. If the node has no
    /// inbox, the link closes with "node <name> is not running (no route)" once a frame is
    /// sent; an invalid name closes it at once.
    pub fn open(&self, node: &str) -> Transport {
        let (out_tx, out_rx) = mpsc::channel(CAPACITY);
        let (in_tx, in_rx) = mpsc::channel(CAPACITY);
        let transport = Transport {
            outgoing: out_tx,
            incoming: in_rx,
        };
        if let Err(e) = validate_name("node name", node) {
            let _ = in_tx.try_send(Inbound::Closed(e.to_string()));
            return transport;
        }
        let link = envelope::new_id();
        let key: LinkKey = (node.to_string(), link.clone());
        let boot = Arc::new(OnceLock::new());
        let state = LinkIn::new(in_tx, boot.clone(), format!("node {node}"));
        // Registered before the sender exists, so no answer can arrive before its link.
        let registered = self.inner.ctl.send(Ctl::Register {
            link: key.clone(),
            state: Box::new(state),
        });
        if let Err(mpsc::error::SendError(Ctl::Register { state, .. })) = registered {
            if let Some(tx) = &state.incoming {
                let _ = tx.try_send(Inbound::Closed(self.inner.broker.gone_reason()));
            }
            return transport;
        }
        let route = Route {
            broker: self.inner.broker.clone(),
            exchange: CMD_EXCHANGE,
            key: format!("n.{node}.in"),
            stamp: Stamp {
                node: node.to_string(),
                client: self.inner.client.clone(),
                link,
            },
            boot,
            no_route: format!("node {node} is not running (no route)"),
            link: key.clone(),
            ctl: self.inner.ctl.clone(),
        };
        let handle = tokio::spawn(sender::run(route, out_rx)).abort_handle();
        let _ = self.inner.ctl.send(Ctl::Sender { link: key, handle });
        transport
    }

    /// Node presence messages, as they arrive (announcements and answers to pings).
    pub fn presence(&self) -> broadcast::Receiver<Presence> {
        self.inner.presence.subscribe()
    }

    /// Asks every running node to announce itself now (answers arrive on [`Self::presence`]).
    pub async fn ping(&self) -> Result<(), AmqpError> {
        let broker = &self.inner.broker;
        let gen = broker.current().ok_or_else(|| broker.not_connected())?;
        let props = envelope::ping_properties(&self.inner.client);
        let confirmed = broker::bounded(async {
            gen.publisher
                .basic_publish(
                    CMD_EXCHANGE.into(),
                    "ping".into(),
                    BasicPublishOptions::default(),
                    b"",
                    props,
                )
                .await?
                .await
        })
        .await;
        match confirmed {
            Ok(Confirmation::Nack(_)) => Err(AmqpError::Broker {
                url: broker.url.to_string(),
                reason: "the broker refused the ping".into(),
            }),
            Ok(_) => Ok(()),
            Err(e) => Err(AmqpError::Broker {
                url: broker.url.to_string(),
                reason: broker.url.scrub(&format!("publishing a ping: {e}")),
            }),
        }
    }

    pub fn state(&self) -> watch::Receiver<LinkState> {
        self.inner.broker.state()
    }

    /// Closes the connection cleanly (for every clone); links end with "the endpoint was
    /// closed".
    pub async fn close(self) {
        self.inner.broker.close().await;
        let demux = self
            .inner
            .demux
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(demux) = demux {
            let _ = tokio::time::timeout(Duration::from_secs(5), demux).await;
        }
    }
}

/// How the client's consumer task treats a delivery of its queue.
struct ClientHandler {
    client: String,
    presence: broadcast::Sender<Presence>,
}

impl Handler for ClientHandler {
    async fn on_delivery(&mut self, table: &mut Table, delivery: Delivery) {
        on_delivery(&self.client, table, &self.presence, delivery).await;
    }
}

async fn on_delivery(
    client: &str,
    table: &mut Table,
    presence: &broadcast::Sender<Presence>,
    delivery: Delivery,
) {
    let env: Envelope = match envelope::read(&delivery.properties) {
        Ok(env) => env,
        Err(why) => {
            tracing::warn!(client, why, "dropped a message with a bad envelope");
            return;
        }
    };
    match env.kind {
        Kind::Ping => return,
        Kind::Presence => {
            if validate_name("node name", &env.node).is_err() {
                return;
            }
            match serde_json::from_slice(&delivery.data) {
                Ok(mut body) => {
                    // What a node says is shown to the user: no terminal escapes.
                    sanitize_json(&mut body);
                    let _ = presence.send(Presence {
                        node: env.node,
                        boot: env.boot,
                        body,
                    });
                }
                Err(e) => tracing::warn!(node = %env.node, error = %e, "presence is not JSON"),
            }
            return;
        }
        Kind::Frame | Kind::Frames | Kind::Close => {}
    }
    if env.client != client {
        return;
    }
    let key: LinkKey = (env.node.clone(), env.link.clone());
    let Some(state) = table.links.get(&key) else {
        return; // a link this client no longer has
    };
    let node = &env.node;
    let known = state.boot.get().cloned();
    if known.as_ref().is_some_and(|b| *b != env.boot) {
        table.close(&key, format!("node {node} restarted"));
        return;
    }
    if env.lseq == 0 {
        let reason = match env.reason {
            Some(r) => format!("node {node} refused the link: {}", sanitize(&r)),
            None => format!("node {node} restarted"),
        };
        table.close(&key, reason);
        return;
    }
    if known.is_none() && !env.boot.is_empty() {
        let _ = state.boot.set(env.boot.clone());
    }
    let item = match env.kind {
        Kind::Close => Item::Close,
        Kind::Frames => Item::Frames(delivery.data),
        _ => Item::Frame(delivery.data),
    };
    table.deliver(&key, env.lseq, item).await;
}
