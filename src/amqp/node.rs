//! The node's end: binds the node's inbox, demultiplexes every client's links from its one
//! consumer (by the `client` and `link` headers), yields each new link as an [`Accepted`]
//! transport, refuses frames of links it does not know, and answers pings with its latest
//! presence.

use super::broker::{self, Broker, Topology};
use super::envelope::{self, Envelope, Kind, Stamp};
use super::links::{self, Ctl, Handler, Item, LinkIn, LinkKey, Table};
use super::sender::{self, Route};
use super::url::validate_name;
use super::{AmqpError, AmqpUrl, LinkState, CMD_EXCHANGE, EV_EXCHANGE};
use crate::wire::{Transport, CAPACITY};
use lapin::message::Delivery;
use lapin::options::BasicPublishOptions;
use lapin::Confirmation;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// A link a client opened to this node, handed over on its first frame.
pub struct Accepted {
    /// The client's id.
    pub client: String,
    /// The link's id (unique per opening; one client may hold several links).
    pub link: String,
    pub transport: Transport,
}

/// The node side of the broker. Dropping it closes the connection (without waiting).
pub struct NodeEndpoint {
    core: Arc<Core>,
    demux: Option<tokio::task::JoinHandle<()>>,
}

/// What the consumer task and the endpoint share.
struct Core {
    broker: Arc<Broker>,
    node: String,
    boot: String,
    presence: Mutex<serde_json::Value>,
}

impl NodeEndpoint {
    /// Connects, declares the exchanges and the node's inbox, and starts consuming it. With
    /// another process of the same name already consuming, this one waits as a standby (the
    /// inbox has a single active consumer) and takes over when the other goes.
    pub async fn bind(
        url: &str,
        node: &str,
    ) -> Result<(NodeEndpoint, mpsc::Receiver<Accepted>), AmqpError> {
        validate_name("node name", node)?;
        let url = AmqpUrl::parse(url)?;
        let topo = Topology {
            queue: format!("praxis.n.{node}.in"),
            args: broker::inbox_args(),
            exchange: CMD_EXCHANGE,
            keys: vec![format!("n.{node}.in"), "ping".to_string()],
            name: format!("praxis node {node}"),
        };
        let (broker, consumers) = Broker::start(&url, topo).await?;
        let core = Arc::new(Core {
            broker: broker.clone(),
            node: node.to_string(),
            boot: envelope::new_id(),
            presence: Mutex::new(serde_json::json!({})),
        });
        let (accept, accept_rx) = mpsc::channel(CAPACITY);
        let (ctl, ctl_rx) = mpsc::unbounded_channel();
        let handler = NodeHandler {
            core: core.clone(),
            ctl,
            accept,
        };
        let demux = tokio::spawn(links::run(broker, consumers, ctl_rx, handler));
        Ok((
            NodeEndpoint {
                core,
                demux: Some(demux),
            },
            accept_rx,
        ))
    }

    /// This node process's boot id (a uuid): clients tell a restarted node by it.
    pub fn boot_id(&self) -> &str {
        &self.core.boot
    }

    pub fn node(&self) -> &str {
        &self.core.node
    }

    /// Publishes `presence` now (to `n.<node>.p`, transient, expiring after 30 s) and keeps it
    /// as the answer to pings.
    pub async fn announce(&self, presence: &serde_json::Value) -> Result<(), AmqpError> {
        *self.core.presence.lock().unwrap_or_else(|e| e.into_inner()) = presence.clone();
        self.core.publish_presence().await
    }

    pub fn state(&self) -> watch::Receiver<LinkState> {
        self.core.broker.state()
    }

    /// Closes the connection cleanly; every link ends with "the endpoint was closed".
    pub async fn close(mut self) {
        self.core.broker.close().await;
        if let Some(demux) = self.demux.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), demux).await;
        }
    }
}

impl Drop for NodeEndpoint {
    fn drop(&mut self) {
        if self.demux.is_some() {
            let broker = self.core.broker.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { broker.close().await });
            }
        }
    }
}

impl Core {
    async fn publish_presence(&self) -> Result<(), AmqpError> {
        let body = {
            let value = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            serde_json::to_vec(&*value).unwrap_or_else(|_| b"{}".to_vec())
        };
        let props = envelope::presence_properties(&self.node, &self.boot);
        let key = format!("n.{}.p", self.node);
        let gen = self
            .broker
            .current()
            .ok_or_else(|| self.broker.not_connected())?;
        let confirmed = broker::bounded(async {
            gen.publisher
                .basic_publish(
                    EV_EXCHANGE.into(),
                    key.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    props,
                )
                .await?
                .await
        })
        .await;
        match confirmed {
            Ok(Confirmation::Nack(_)) => Err(AmqpError::Broker {
                url: self.broker.url.to_string(),
                reason: "the broker refused the presence message".into(),
            }),
            Ok(_) => Ok(()),
            Err(e) => Err(AmqpError::Broker {
                url: self.broker.url.to_string(),
                reason: self.broker.url.scrub(&format!("publishing presence: {e}")),
            }),
        }
    }

    /// Answers a ping with the latest presence. Every ping is answered: a client that bound
    /// its queue after an earlier answer went out would miss it otherwise. (Pings expire
    /// after 3 s, so a node that starts late does not answer a backlog.)
    fn answer_ping(self: &Arc<Self>) {
        let core = self.clone();
        tokio::spawn(async move {
            if let Err(e) = core.publish_presence().await {
                tracing::debug!(error = %e, "answering a ping failed");
            }
        });
    }

    /// Tells the client that this node does not know `link` (lseq 0 `close`), retrying for a
    /// while: without it the client's link would wait forever.
    fn refuse(self: &Arc<Self>, client: &str, link: &str, reason: Option<&str>) {
        let core = self.clone();
        let stamp = Stamp {
            node: self.node.clone(),
            client: client.to_string(),
            link: link.to_string(),
        };
        let reason = reason.map(str::to_string);
        tokio::spawn(async move {
            let key = format!("n.{}.c.{}", core.node, stamp.client);
            let id = envelope::new_id();
            for _ in 0..60 {
                if core.broker.is_closed() {
                    return;
                }
                if let Some(gen) = core.broker.current() {
                    let props = envelope::link_properties(
                        Kind::Close,
                        &stamp,
                        &core.boot,
                        0,
                        &id,
                        reason.as_deref(),
                    );
                    let sent = broker::bounded(async {
                        gen.publisher
                            .basic_publish(
                                EV_EXCHANGE.into(),
                                key.as_str().into(),
                                BasicPublishOptions::default(),
                                b"",
                                props,
                            )
                            .await?
                            .await
                    })
                    .await;
                    if matches!(sent, Ok(Confirmation::Ack(_))) {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
}

/// How the node's consumer task treats a delivery of its inbox.
struct NodeHandler {
    core: Arc<Core>,
    ctl: mpsc::UnboundedSender<Ctl>,
    accept: mpsc::Sender<Accepted>,
}

impl Handler for NodeHandler {
    async fn on_delivery(&mut self, table: &mut Table, delivery: Delivery) {
        let core = &self.core;
        let env: Envelope = match envelope::read(&delivery.properties) {
            Ok(env) => env,
            Err(why) => {
                tracing::warn!(node = %core.node, why, "dropped a message with a bad envelope");
                return;
            }
        };
        match env.kind {
            Kind::Ping => return core.answer_ping(),
            Kind::Presence => return,
            Kind::Frame | Kind::Frames | Kind::Close => {}
        }
        if validate_name("client id", &env.client).is_err() || env.link.is_empty() {
            tracing::warn!(node = %core.node, "dropped a link message without a valid client or link");
            return;
        }
        let key: LinkKey = (env.client.clone(), env.link.clone());
        if !table.links.contains_key(&key) {
            if table.is_tombstoned(&key) {
                // Closed here; a client still sending on it (say, back after its queue
                // expired) is told once.
                if matches!(env.kind, Kind::Frame | Kind::Frames) && table.first_late_frame(&key) {
                    core.refuse(&env.client, &env.link, Some("the node closed this link"));
                }
                return;
            }
            let fresh = env.lseq == 1 && (env.boot.is_empty() || env.boot == core.boot);
            if !fresh {
                // A link of an earlier run of this node (or one it already forgot).
                table.tombstone(key.clone());
                table.first_late_frame(&key);
                core.refuse(&env.client, &env.link, None);
                return;
            }
            if !open_link(core, table, &self.ctl, &self.accept, &key).await {
                core.refuse(
                    &env.client,
                    &env.link,
                    Some("the node is not accepting links"),
                );
                return;
            }
        }
        let item = match env.kind {
            Kind::Close => Item::Close,
            Kind::Frames => Item::Frames(delivery.data),
            _ => Item::Frame(delivery.data),
        };
        table.deliver(&key, env.lseq, item).await;
    }
}

/// Makes the link `key` (client, link) and hands it to the node; false if nobody accepts.
async fn open_link(
    core: &Arc<Core>,
    table: &mut Table,
    ctl: &mpsc::UnboundedSender<Ctl>,
    accept: &mpsc::Sender<Accepted>,
    key: &LinkKey,
) -> bool {
    let (client, link) = key.clone();
    let (out_tx, out_rx) = mpsc::channel(CAPACITY);
    let (in_tx, in_rx) = mpsc::channel(CAPACITY);
    let boot = Arc::new(OnceLock::from(core.boot.clone()));
    let mut state = LinkIn::new(in_tx, boot.clone(), format!("client {client}"));
    let route = Route {
        broker: core.broker.clone(),
        exchange: EV_EXCHANGE,
        key: format!("n.{}.c.{client}", core.node),
        stamp: Stamp {
            node: core.node.clone(),
            client: client.clone(),
            link: link.clone(),
        },
        boot,
        no_route: format!("client {client} is gone"),
        link: key.clone(),
        ctl: ctl.clone(),
    };
    state.sender = Some(tokio::spawn(sender::run(route, out_rx)).abort_handle());
    table.links.insert(key.clone(), state);
    let accepted = Accepted {
        client,
        link,
        transport: Transport {
            outgoing: out_tx,
            incoming: in_rx,
        },
    };
    if accept.send(accepted).await.is_err() {
        table.close(key, "the node is not accepting links".into());
        return false;
    }
    true
}
