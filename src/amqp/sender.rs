//! The sending half of one direction of a link: stamps `lseq`, publishes with confirms on
//! the link's own channel, keeps every message from the oldest unconfirmed one on, and after
//! any failure resends them all in order (go-back-N) once a channel is usable again. Ends
//! with an in-order `close` when the local side drops its sender, or with a fatal reason
//! (nobody at the other end, endpoint closed) reported to the endpoint's table. Each channel
//! is tagged with its connection's generation: after a reconnection a new one is opened.
//!
//! Publishes are pipelined: a publish is polled once (which queues its frames, in order) and
//! its completion is awaited only when it reaches the front, so the sender never waits for a
//! write or a confirm before taking the next frame. Nothing here waits on lapin without a
//! way out: a periodic check resends when the connection is gone or a confirm is overdue.

use super::broker::{self, Broker};
use super::envelope::{self, Kind, Stamp};
use super::links::{Ctl, LinkKey};
use lapin::options::BasicPublishOptions;
use lapin::{Channel, Confirmation, PublisherConfirm};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The most frames one message carries: frames already queued when one is taken travel
/// together (never waiting for more), so a burst costs a message, not a message per frame.
const BATCH_FRAMES: usize = 256;
/// The most bytes one batched message carries (a larger frame travels alone).
const BATCH_BYTES: usize = 64 * 1024;

/// Unconfirmed messages kept before the sender stops taking frames (backpressure).
const WINDOW: usize = 4096;
/// The longest pause between two attempts to resend.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// A message unconfirmed this long is resent (with everything after it).
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);
/// The pause before resending what the broker refused (a nack).
const NACK_PAUSE: Duration = Duration::from_millis(200);
/// How often the sender checks its connection and the age of its oldest message.
const CHECK_EVERY: Duration = Duration::from_millis(250);

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

type Publishing = Pin<Box<dyn Future<Output = lapin::Result<PublisherConfirm>> + Send>>;

/// Where a kept message stands.
enum Stage {
    /// Not published (yet, or again after a failure).
    Unsent,
    /// Queued for writing; the future yields its confirm once written.
    Writing(Publishing),
    /// Written; waiting for the broker's confirm.
    Confirming(PublisherConfirm),
}

struct Entry {
    lseq: u64,
    kind: Kind,
    body: Arc<[u8]>,
    id: String,
    stage: Stage,
    sent: Instant,
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

/// The frames to send, with one taken ahead and held back (it did not fit a batch).
struct Lines {
    rx: mpsc::Receiver<String>,
    /// `Some(None)`: the local side closed after the frames already taken.
    held: Option<Option<String>>,
}

impl Lines {
    async fn recv(&mut self) -> Option<String> {
        match self.held.take() {
            Some(held) => held,
            None => self.rx.recv().await,
        }
    }

    /// `first`, and the frames already queued behind it that fit one message: one frame
    /// alone is a `frame`, several are `frames` joined by `\n` (a frame that contains a
    /// newline always travels alone).
    fn batch(&mut self, first: String) -> (Kind, Vec<u8>) {
        if first.contains('\n') {
            return (Kind::Frame, first.into_bytes());
        }
        let mut body = first.into_bytes();
        let mut count = 1;
        while count < BATCH_FRAMES && body.len() < BATCH_BYTES && self.held.is_none() {
            match self.rx.try_recv() {
                Ok(next) if !next.contains('\n') && body.len() + next.len() < BATCH_BYTES => {
                    body.push(b'\n');
                    body.extend_from_slice(next.as_bytes());
                    count += 1;
                }
                Ok(next) => self.held = Some(Some(next)),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => self.held = Some(None),
            }
        }
        let kind = if count == 1 {
            Kind::Frame
        } else {
            Kind::Frames
        };
        (kind, body)
    }
}

impl Sender {
    async fn drive(&mut self, outgoing: mpsc::Receiver<String>) -> Result<(), String> {
        let mut outgoing = Lines {
            rx: outgoing,
            held: None,
        };
        let mut channel = None;
        usable(&self.route.broker, &mut channel).await?;
        let mut check = tokio::time::interval(CHECK_EVERY);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut closing = false;
        loop {
            if closing && self.kept.is_empty() {
                if let Some((_, ch)) = &channel {
                    let _ = broker::bounded(ch.close(200, "link closed".into())).await;
                }
                return Ok(());
            }
            let waiting = self
                .kept
                .front()
                .is_some_and(|e| !matches!(e.stage, Stage::Unsent));
            let taking = !closing && self.kept.len() < WINDOW;
            tokio::select! {
                biased;
                settled = settle_front(&mut self.kept), if waiting => match settled {
                    Ok(Confirmation::Ack(None)) | Ok(Confirmation::NotRequested) => {
                        self.kept.pop_front();
                    }
                    Ok(Confirmation::Ack(Some(_returned))) => {
                        return Err(self.route.no_route.clone());
                    }
                    // Refused by the broker: resend from here, after a pause.
                    Ok(Confirmation::Nack(_)) => {
                        tokio::time::sleep(NACK_PAUSE).await;
                        self.resend_all(&mut channel).await?;
                    }
                    // Failed (the connection or channel went): resend from here.
                    Err(_) => self.resend_all(&mut channel).await?,
                },
                line = outgoing.recv(), if taking => {
                    let (kind, body) = match line {
                        Some(line) => outgoing.batch(line),
                        None => {
                            closing = true;
                            (Kind::Close, Vec::new())
                        }
                    };
                    self.kept.push_back(Entry {
                        lseq: self.next,
                        kind,
                        body: body.into(),
                        id: envelope::new_id(),
                        stage: Stage::Unsent,
                        sent: Instant::now(),
                    });
                    self.next += 1;
                    let last = self.kept.len() - 1;
                    let published = match &channel {
                        Some(ch) => self.publish(ch, last).await,
                        None => Err("no channel".into()),
                    };
                    if published.is_err() {
                        self.resend_all(&mut channel).await?;
                    }
                }
                _ = check.tick() => {
                    let live = channel
                        .as_ref()
                        .is_some_and(|(id, ch)| self.route.broker.is_live(*id) && ch.status().connected());
                    let overdue = self
                        .kept
                        .front()
                        .is_some_and(|e| e.sent.elapsed() > CONFIRM_TIMEOUT);
                    let unsent = self.kept.iter().any(|e| matches!(e.stage, Stage::Unsent));
                    if !self.kept.is_empty() && (!live || overdue || unsent) {
                        self.resend_all(&mut channel).await?;
                    }
                }
            }
        }
    }

    /// Publishes entry `i` of `kept` on `channel`: queues its frames now, in order, and keeps
    /// what will yield its confirm.
    async fn publish(&mut self, channel: &(u64, Channel), i: usize) -> Result<(), String> {
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
        let ch = channel.1.clone();
        let body = entry.body.clone();
        let exchange = self.route.exchange;
        let key = self.route.key.clone();
        let mut publishing: Publishing = Box::pin(async move {
            ch.basic_publish(exchange.into(), key.into(), options, &body, props)
                .await
        });
        let stage = match poll_once(&mut publishing).await {
            Poll::Ready(Ok(confirm)) => Stage::Confirming(confirm),
            Poll::Ready(Err(e)) => return Err(e.to_string()),
            Poll::Pending => Stage::Writing(publishing),
        };
        let entry = &mut self.kept[i];
        entry.stage = stage;
        entry.sent = Instant::now();
        Ok(())
    }

    /// Go-back-N: forgets every pending publish and confirm, waits until a channel can be
    /// used, and publishes everything kept again, in order. Retries with a growing pause
    /// until it succeeds or the endpoint is closed.
    async fn resend_all(&mut self, channel: &mut Option<(u64, Channel)>) -> Result<(), String> {
        let mut pause = Duration::from_millis(50);
        loop {
            for e in &mut self.kept {
                e.stage = Stage::Unsent;
            }
            usable(&self.route.broker, channel).await?;
            let mut failed = false;
            if let Some(ch) = channel.as_ref() {
                for i in 0..self.kept.len() {
                    if self.publish(ch, i).await.is_err() {
                        failed = true;
                        break;
                    }
                }
            }
            if !failed {
                return Ok(());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_BACKOFF);
        }
    }
}

/// Makes `channel` one that can publish: the one it is, if it is open on the current
/// connection; otherwise a new one on the current connection (waiting for one while the
/// endpoint reconnects).
async fn usable(broker: &Broker, channel: &mut Option<(u64, Channel)>) -> Result<(), String> {
    loop {
        let gen = broker.wait_current().await?;
        if let Some((id, ch)) = channel.as_ref() {
            if *id == gen.id && ch.status().connected() {
                return Ok(());
            }
        }
        match broker::confirm_channel(&gen.conn).await {
            Ok(fresh) => {
                *channel = Some((gen.id, fresh));
                return Ok(());
            }
            Err(e) => {
                tracing::debug!(error = %e, "opening a link channel failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Polls `fut` once (with the task's waker) and says where it stands.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

/// The outcome of the oldest kept message (the caller checks it was published): written,
/// then confirmed. An error means its channel or connection failed.
async fn settle_front(kept: &mut VecDeque<Entry>) -> lapin::Result<Confirmation> {
    let Some(entry) = kept.front_mut() else {
        return std::future::pending().await;
    };
    loop {
        match &mut entry.stage {
            Stage::Writing(publishing) => {
                let confirm = publishing.await?;
                entry.stage = Stage::Confirming(confirm);
            }
            Stage::Confirming(confirm) => return confirm.await,
            Stage::Unsent => return std::future::pending().await,
        }
    }
}
