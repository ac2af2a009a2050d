//! An endpoint's table of links, owned by its one consumer task: each link's reordering
//! state and the sending end of its `Transport`'s incoming channel. Owns handing frames on in
//! order, exactly once, ending every link with exactly one `Closed`, and batching the
//! acknowledgements of what was handed on, and the consumer task that drives it ([`run`]).
//! Node and client endpoints differ only in how a delivery finds (or makes) its link: their
//! [`Handler`]s stay in `node.rs` and `client.rs`.

use super::broker::{Broker, OP_TIMEOUT};
use super::reorder::{Accept, Reorder};
use crate::wire::Inbound;
use futures::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::BasicAckOptions;
use lapin::{Acker, Consumer};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Frames held ahead of a gap before a link is given up as having lost frames.
pub(crate) const HOLD_CAP: usize = 10_000;
/// Deliveries handled before their acknowledgement is sent even if more are waiting.
const ACK_BATCH: u32 = 128;
/// How long an acknowledgement may take to be written before the consumer task moves on.
const ACK_TIMEOUT: Duration = Duration::from_secs(2);
/// Links remembered as closed (their late frames are dropped instead of starting a link).
const TOMBSTONES: usize = 100_000;

/// (the other side's name: node or client, link id).
pub(crate) type LinkKey = (String, String);

/// What a link's sender and the endpoint tell the consumer task.
pub(crate) enum Ctl {
    /// A link the client just opened (before its first frame is published).
    Register { link: LinkKey, state: Box<LinkIn> },
    /// The sender task of a link registered just before (stopped when the link closes).
    Sender { link: LinkKey, handle: AbortHandle },
    /// The sender ended for good: the link closes with this reason.
    Fatal { link: LinkKey, reason: String },
    /// The sender sent its `close` and had it confirmed.
    SenderDone { link: LinkKey },
}

/// One item of a link, in `lseq` order.
pub(crate) enum Item {
    Frame(Vec<u8>),
    /// Frames joined by `\n` (the sender batches what was queued at once).
    Frames(Vec<u8>),
    /// The other side closed its sending direction.
    Close,
}

/// The receiving state of one link.
pub(crate) struct LinkIn {
    pub order: Reorder<Item>,
    pub incoming: Option<mpsc::Sender<Inbound>>,
    pub sender: Option<AbortHandle>,
    pub sender_done: bool,
    /// The node's boot id this link belongs to (learned by a client from the first message).
    pub boot: Arc<OnceLock<String>>,
    /// "node n1" / "client c1": how reasons name the other side.
    pub peer: String,
}

impl LinkIn {
    pub(crate) fn new(
        incoming: mpsc::Sender<Inbound>,
        boot: Arc<OnceLock<String>>,
        peer: String,
    ) -> Self {
        LinkIn {
            order: Reorder::new(HOLD_CAP),
            incoming: Some(incoming),
            sender: None,
            sender_done: false,
            boot,
            peer,
        }
    }
}

#[derive(Default)]
pub(crate) struct Table {
    pub links: HashMap<LinkKey, LinkIn>,
    /// Links closed here, with whether the other side was told so after a late frame.
    tombstones: HashMap<LinkKey, bool>,
    /// The last delivery handled and not acknowledged yet, with its connection's generation.
    unacked: Option<(u64, Acker)>,
    count: u32,
}

impl Table {
    pub(crate) fn is_tombstoned(&self, key: &LinkKey) -> bool {
        self.tombstones.contains_key(key)
    }

    /// For a frame of a closed link: true the first time (the other side should be told the
    /// link is gone, e.g. a client that comes back after its queue expired), false after.
    pub(crate) fn first_late_frame(&mut self, key: &LinkKey) -> bool {
        match self.tombstones.get_mut(key) {
            Some(told) => !std::mem::replace(told, true),
            None => false,
        }
    }

    pub(crate) fn handle_ctl(&mut self, ctl: Ctl) {
        match ctl {
            Ctl::Register { link, state } => {
                self.links.insert(link, *state);
            }
            Ctl::Sender { link, handle } => match self.links.get_mut(&link) {
                Some(state) if !state.sender_done => state.sender = Some(handle),
                Some(_) => {}
                None => handle.abort(),
            },
            Ctl::Fatal { link, reason } => self.close(&link, reason),
            Ctl::SenderDone { link } => {
                let Some(state) = self.links.get_mut(&link) else {
                    return;
                };
                state.sender_done = true;
                state.sender = None;
                if state.incoming.as_ref().is_none_or(|tx| tx.is_closed()) {
                    self.forget(&link);
                }
            }
        }
    }

    /// Takes the message `lseq` of `link`, hands on whatever is now in order.
    pub(crate) async fn deliver(&mut self, link: &LinkKey, lseq: u64, item: Item) {
        let Some(state) = self.links.get_mut(link) else {
            return;
        };
        match state.order.accept(lseq, item) {
            Accept::Duplicate | Accept::Held => return,
            Accept::Overflow => {
                let reason = format!(
                    "the link to {} lost frames (still waiting for frame {} with {} held after it)",
                    state.peer,
                    state.order.expected(),
                    state.order.held()
                );
                self.close(link, reason);
                return;
            }
            Accept::Ready => {}
        }
        while let Some(item) = state.order.pop() {
            let inbound = match item {
                Item::Frame(bytes) => vec![line_of(bytes, &state.peer)],
                Item::Frames(bytes) => bytes
                    .split(|b| *b == b'\n')
                    .map(|one| line_of(one.to_vec(), &state.peer))
                    .collect(),
                Item::Close => {
                    // A half close, as with the in-memory pair: the other side sends no more,
                    // but may still read what this side sends until its sender is dropped.
                    let reason = format!("{} closed the link", state.peer);
                    if let Some(tx) = state.incoming.take() {
                        tokio::spawn(async move {
                            let _ = tx.send(Inbound::Closed(reason)).await;
                        });
                    }
                    if state.sender_done {
                        self.forget(link);
                    }
                    return;
                }
            };
            for inbound in inbound {
                let Some(tx) = &state.incoming else {
                    break; // the local reader is gone: frames are dropped
                };
                if tx.send(inbound).await.is_err() {
                    state.incoming = None;
                    if state.sender_done {
                        self.forget(link);
                        return;
                    }
                }
            }
        }
    }

    /// Ends `link`: its reader gets `Closed(reason)`, its sender stops, its late frames are
    /// dropped from now on.
    pub(crate) fn close(&mut self, link: &LinkKey, reason: String) {
        let Some(state) = self.links.remove(link) else {
            return;
        };
        self.tombstone(link.clone());
        if let Some(sender) = state.sender {
            sender.abort();
        }
        if let Some(tx) = state.incoming {
            // Nothing else is sent to this link any more, so the order holds; the reader may
            // be slow, and the consumer must not wait for it.
            tokio::spawn(async move {
                let _ = tx.send(Inbound::Closed(reason)).await;
            });
        }
    }

    /// Ends every link (the consumer is gone).
    pub(crate) fn close_all(&mut self, reason: &str) {
        let keys: Vec<LinkKey> = self.links.keys().cloned().collect();
        for key in keys {
            self.close(&key, reason.to_string());
        }
    }

    fn forget(&mut self, link: &LinkKey) {
        if self.links.remove(link).is_some() {
            self.tombstone(link.clone());
        }
    }

    pub(crate) fn tombstone(&mut self, link: LinkKey) {
        if self.tombstones.len() >= TOMBSTONES {
            self.tombstones.clear();
        }
        self.tombstones.entry(link).or_insert(false);
    }

    /// Notes that a delivery of generation `gen` was handled; its acknowledgement goes with the
    /// next batch.
    pub(crate) fn handled(&mut self, gen: u64, acker: Acker) {
        self.unacked = Some((gen, acker));
        self.count += 1;
    }

    pub(crate) fn ack_due(&self) -> bool {
        self.count >= ACK_BATCH
    }

    /// Acknowledges every delivery handled so far (one `multiple` ack), if their connection
    /// is still the live one: lapin may never answer an ack sent on a dead connection. A lost
    /// ack is harmless: the broker delivers those messages again and they are dropped as
    /// duplicates. Acks go out in order even when one is slow to be confirmed as written.
    pub(crate) async fn flush_acks(&mut self, broker: &Broker) {
        self.count = 0;
        if let Some((gen, acker)) = self.unacked.take() {
            if broker.is_live(gen) {
                let ack = acker.ack(BasicAckOptions { multiple: true });
                let _ = tokio::time::timeout(ACK_TIMEOUT, ack).await;
            }
        }
    }
}

/// What an endpoint does with one delivery of its queue (find or make the link, hand the
/// frame on, answer a ping, ...).
pub(crate) trait Handler {
    async fn on_delivery(&mut self, table: &mut Table, delivery: Delivery);
}

/// The consumer task of an endpoint: every delivery of each generation's consumer, in order,
/// with the control messages of links and senders in between; acknowledgements in batches.
/// Ends when the endpoint is closed (no more consumers), closing every link.
pub(crate) async fn run(
    broker: Arc<Broker>,
    mut consumers: mpsc::Receiver<(u64, Consumer)>,
    mut ctl_rx: mpsc::UnboundedReceiver<Ctl>,
    mut handler: impl Handler,
) {
    let mut table = Table::default();
    let mut consumer: Option<(u64, Consumer)> = None;
    let mut ahead = None;
    loop {
        // A link registered before its first frame was published is known before any answer.
        while let Ok(ctl) = ctl_rx.try_recv() {
            table.handle_ctl(ctl);
        }
        let Some((gen, current)) = consumer.as_mut() else {
            tokio::select! {
                biased;
                Some(ctl) = ctl_rx.recv() => table.handle_ctl(ctl),
                next = consumers.recv() => match next {
                    Some(fresh) => consumer = Some(fresh),
                    None => break,
                },
            }
            continue;
        };
        let gen = *gen;
        let next = match ahead.take() {
            Some(next) => next,
            None => tokio::select! {
                biased;
                Some(ctl) = ctl_rx.recv() => {
                    table.handle_ctl(ctl);
                    continue;
                }
                next = current.next() => next,
            },
        };
        match next {
            None => {
                // This connection's consumer ended; the next connection brings a new one. If
                // its connection lives on (the broker cancelled the consumer: its queue was
                // deleted), that connection is closed, so that the next declares it again.
                table.flush_acks(&broker).await;
                consumer = None;
                tokio::time::sleep(Duration::from_millis(200)).await;
                if broker.is_live(gen) && !broker.is_closed() {
                    if let Some(live) = broker.current() {
                        tracing::warn!("the broker cancelled the consumer; reconnecting");
                        let close = live.conn.close(200, "consumer cancelled".into());
                        let _ = tokio::time::timeout(OP_TIMEOUT, close).await;
                    }
                }
                continue;
            }
            Some(Err(e)) => {
                tracing::debug!(error = %e, "consumer interrupted");
                continue;
            }
            Some(Ok(delivery)) => {
                let acker = delivery.acker.clone();
                handler.on_delivery(&mut table, delivery).await;
                table.handled(gen, acker);
            }
        }
        if table.ack_due() {
            table.flush_acks(&broker).await;
        } else if let Some((_, current)) = consumer.as_mut() {
            match current.next().now_or_never() {
                Some(next) => ahead = Some(next),
                None => table.flush_acks(&broker).await,
            }
        }
    }
    table.flush_acks(&broker).await;
    table.close_all(&broker.gone_reason());
}

/// One received frame as an inbound line (or a notice when it is not UTF-8).
fn line_of(bytes: Vec<u8>, peer: &str) -> Inbound {
    match String::from_utf8(bytes) {
        Ok(line) => Inbound::Line(line),
        Err(e) => Inbound::Skipped(format!(
            "a frame from {peer} was not UTF-8 ({} bytes); skipped",
            e.as_bytes().len()
        )),
    }
}
