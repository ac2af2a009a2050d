//! The sending half of one direction of a link: stamps `lseq`, publishes with confirms on
//! the link's own channel, keeps every message from the oldest unconfirmed one on, and after
//! any failure resends them all in order (go-back-N) once the channel is usable again. Ends
//! with an in-order `close` when the local side drops its sender, or with a fatal reason
//! (nobody at the other end, connection gone for good) reported to the endpoint's table.

use super::broker::Broker;
use super::envelope::{self, Kind, Stamp};
use super::links::{Ctl, LinkKey};
use lapin::options::BasicPublishOptions;
use lapin::{Channel, Confirmation, PublisherConfirm};
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Unconfirmed messages kept before the sender stops taking frames (backpressure).
const WINDOW: usize = 4096;
/// The longest pause between two attempts to resend.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// A channel still "reconnecting" this long after its connection came back is replaced.
const STUCK_CHANNEL: Duration = Duration::from_secs(10);

/// Where and as whom a sender publishes.
pub(crate) struct Route {
    pub broker: Arc<Broker>,
    pub exchange: &'static str,
    pub key: String,
    pub stamp: Stamp,
    /// The node's boot id: known from the start on the node; learned from the node's first
    /// message on the client (empty until then).
    pub boot: Arc<OnceLock<String>>,
    /// The reason the link closes with when a message comes back unroutable.
    pub no_route: String,
    /// The link, as the endpoint's table knows it.
    pub link: LinkKey,
    pub ctl: mpsc::UnboundedSender<Ctl>,
}

struct Entry {
    lseq: u64,
    kind: Kind,
    body: Vec<u8>,
    id: String,
    confirm: Option<PublisherConfirm>,
}

/// Runs the sender until the link is done; reports how it ended to the table.
pub(crate) async fn run(route: Route, outgoing: mpsc::Receiver<String>) {
    let ctl = route.ctl.clone();
    let link = route.link.clone();
    let mut sender = Sender {
        route,
        kept: VecDeque::new(),
        next: 1,
    };
    let report = match sender.drive(outgoing).await {
        Ok(()) => Ctl::SenderDone { link },
        Err(reason) => Ctl::Fatal { link, reason },
    };
    let _ = ctl.send(report);
}

struct Sender {
    route: Route,
    kept: VecDeque<Entry>,
    next: u64,
}

impl Sender {
    async fn drive(&mut self, mut outgoing: mpsc::Receiver<String>) -> Result<(), String> {
        let mut channel = self.open().await?;
        let mut closing = false;
        loop {
            if closing && self.kept.is_empty() {
                let _ = channel.close(200, "link closed".into()).await;
                return Ok(());
            }
            let waiting = self.kept.front().is_some_and(|e| e.confirm.is_some());
            let taking = !closing && self.kept.len() < WINDOW;
            tokio::select! {
                biased;
                confirmed = front_confirm(&mut self.kept), if waiting => {
                    match confirmed {
                        Ok(Confirmation::Ack(None)) | Ok(Confirmation::NotRequested) => {
                            self.kept.pop_front();
                        }
                        Ok(Confirmation::Ack(Some(_returned))) => {
                            return Err(self.route.no_route.clone());
                        }
                        Ok(Confirmation::Nack(_)) | Err(_) => {
                            self.resend_all(&mut channel).await?;
                        }
                    }
                }
                line = outgoing.recv(), if taking => {
                    let (kind, body) = match line {
                        Some(line) => (Kind::Frame, line.into_bytes()),
                        None => {
                            closing = true;
                            (Kind::Close, Vec::new())
                        }
                    };
                    self.kept.push_back(Entry {
                        lseq: self.next,
                        kind,
                        body,
                        id: envelope::new_id(),
                        confirm: None,
                    });
                    self.next += 1;
                    let last = self.kept.len() - 1;
                    if self.publish(&channel, last).await.is_err() {
                        self.resend_all(&mut channel).await?;
                    }
                }
                else => {
                    // Nothing waited on and nothing to take: a failed entry is at the front.
                    self.resend_all(&mut channel).await?;
                }
            }
        }
    }

    /// Publishes entry `i` of `kept` and keeps its confirm.
    async fn publish(&mut self, channel: &Channel, i: usize) -> lapin::Result<()> {
        let boot = self.route.boot.get().map_or("", String::as_str);
        let entry = &self.kept[i];
        let props = envelope::link_properties(
            entry.kind,
            &self.route.stamp,
            boot,
            entry.lseq,
            &entry.id,
            None,
        );
        let options = BasicPublishOptions {
            mandatory: true,
            ..Default::default()
        };
        let confirm = channel
            .basic_publish(
                self.route.exchange.into(),
                self.route.key.as_str().into(),
                options,
                &entry.body,
                props,
            )
            .await?;
        self.kept[i].confirm = Some(confirm);
        Ok(())
    }

    /// Go-back-N: forgets every pending confirm, waits until the channel can be used, and
    /// publishes everything kept again, in order. Retries with a growing pause until it
    /// succeeds or the connection is gone for good.
    async fn resend_all(&mut self, channel: &mut Channel) -> Result<(), String> {
        let mut pause = Duration::from_millis(50);
        loop {
            for e in &mut self.kept {
                e.confirm = None;
            }
            self.usable(channel).await?;
            let mut failed = false;
            for i in 0..self.kept.len() {
                if self.publish(channel, i).await.is_err() {
                    failed = true;
                    break;
                }
            }
            if !failed {
                return Ok(());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_BACKOFF);
        }
    }

    /// Waits until `channel` can publish: lapin recovers it after a reconnection; one the
    /// broker closed (or that stays stuck) is replaced by a new one.
    async fn usable(&self, channel: &mut Channel) -> Result<(), String> {
        let broker = &self.route.broker;
        let mut back_since: Option<Instant> = None;
        loop {
            if broker.is_dead() {
                return Err(broker.gone_reason());
            }
            if broker.is_connected() {
                if channel.status().connected() {
                    return Ok(());
                }
                let since = *back_since.get_or_insert_with(Instant::now);
                let status = channel.status();
                let dead = !status.reconnecting() && !status.initializing();
                if dead || since.elapsed() > STUCK_CHANNEL {
                    if let Ok(fresh) = broker.confirm_channel().await {
                        *channel = fresh;
                        return Ok(());
                    }
                }
            } else {
                back_since = None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first channel, retried until the connection can give one.
    async fn open(&self) -> Result<Channel, String> {
        let broker = &self.route.broker;
        loop {
            if broker.is_dead() {
                return Err(broker.gone_reason());
            }
            if broker.is_connected() {
                if let Ok(channel) = broker.confirm_channel().await {
                    return Ok(channel);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The confirm of the oldest kept message (the caller checks there is one).
async fn front_confirm(kept: &mut VecDeque<Entry>) -> lapin::Result<Confirmation> {
    match kept.front_mut().and_then(|e| e.confirm.as_mut()) {
        Some(confirm) => confirm.await,
        None => std::future::pending().await,
    }
}
