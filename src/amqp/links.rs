//! An endpoint's table of links, owned by its one consumer task: each link's reordering
//! state and the sending end of its `Transport`'s incoming channel. Owns handing frames on in
//! order, exactly once, ending every link with exactly one `Closed`, and batching the
//! acknowledgements of what was handed on. Node and client endpoints differ only in how a
//! delivery finds (or makes) its link; that stays in `node.rs` and `client.rs`.

use super::reorder::{Accept, Reorder};
use crate::wire::Inbound;
use lapin::options::BasicAckOptions;
use lapin::Acker;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Frames held ahead of a gap before a link is given up as having lost frames.
pub(crate) const HOLD_CAP: usize = 10_000;
/// Deliveries handled before their acknowledgement is sent even if more are waiting.
const ACK_BATCH: u32 = 128;
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
    tombstones: HashSet<LinkKey>,
    unacked: Option<Acker>,
    count: u32,
}

impl Table {
    pub(crate) fn is_tombstoned(&self, key: &LinkKey) -> bool {
        self.tombstones.contains(key)
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
                Item::Frame(bytes) => match String::from_utf8(bytes) {
                    Ok(line) => Inbound::Line(line),
                    Err(e) => Inbound::Skipped(format!(
                        "a frame from {} was not UTF-8 ({} bytes); skipped",
                        state.peer,
                        e.as_bytes().len()
                    )),
                },
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
            let Some(tx) = &state.incoming else {
                continue; // the local reader is gone: frames are dropped
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
        self.tombstones.insert(link);
    }

    /// Notes that a delivery was handled; its acknowledgement goes with the next batch.
    pub(crate) fn handled(&mut self, acker: Acker) {
        self.unacked = Some(acker);
        self.count += 1;
    }

    pub(crate) fn ack_due(&self) -> bool {
        self.count >= ACK_BATCH
    }

    /// Acknowledges every delivery handled so far (one `multiple` ack). A failure is ignored:
    /// after a reconnection the broker delivers them again and they are dropped as duplicates.
    pub(crate) async fn flush_acks(&mut self) {
        self.count = 0;
        if let Some(acker) = self.unacked.take() {
            let _ = acker.ack(BasicAckOptions { multiple: true }).await;
        }
    }
}
