//! One endpoint's connection to the broker, kept alive: connecting (with a clear error when
//! the first attempt fails), declaring the endpoint's exchanges, queue and consumer on every
//! connection, noticing a lost connection and making a new one (forever, 0.2 s to 3 s apart),
//! and telling the endpoint's tasks which connection is current. Every error and log line
//! names the broker by its redacted URL.
//!
//! Recovery is ours, not lapin's: lapin 4.12.3's `enable_auto_recover` can hang for good in
//! `Reconnecting` when the connection breaks while frames are being written (its I/O loop
//! keeps waiting for serialized frames that can no longer be written; seen here in about one
//! broker restart in five under load). A connection without auto-recovery fails cleanly
//! instead: its channels error, pending confirms fail, its consumer ends; then a new
//! connection (a new *generation*) takes its place and everything is declared again.

use super::{AmqpError, AmqpUrl, LinkState, CMD_EXCHANGE, EV_EXCHANGE};
use lapin::options::{
    BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties, Consumer, ExchangeKind};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How many deliveries the broker sends ahead of our acknowledgements.
pub(crate) const PREFETCH: u16 = 256;
/// How long connecting and declaring may take before the attempt counts as failed.
const SETUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long any one broker operation may take (a lapin promise can be left unresolved when
/// its connection dies; nothing here waits for one forever).
pub(crate) const OP_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a connection is looked at to see whether it is still alive.
const LIVENESS_POLL: Duration = Duration::from_millis(100);
const MIN_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_secs(3);

/// What an endpoint consumes: one queue, bound to one exchange with some keys.
#[derive(Clone)]
pub(crate) struct Topology {
    pub queue: String,
    pub args: FieldTable,
    pub exchange: &'static str,
    pub keys: Vec<String>,
    /// Connection name shown by the broker.
    pub name: String,
}

/// One connection and the channel the endpoint publishes presence, pings and refusals on.
pub(crate) struct Gen {
    pub id: u64,
    pub conn: Connection,
    pub publisher: Channel,
}

/// The endpoint's view of its connection, whichever generation is current.
pub(crate) struct Broker {
    pub url: AmqpUrl,
    current: watch::Receiver<Option<Arc<Gen>>>,
    state: watch::Receiver<LinkState>,
    closing: AtomicBool,
    stop: watch::Sender<bool>,
}

impl Broker {
    /// Connects and sets `topo` up; the errors of this first attempt go to the caller. Then a
    /// supervisor keeps a connection up until [`Broker::close`]; each generation's consumer
    /// arrives on the returned receiver, with the generation's id.
    pub(crate) async fn start(
        url: &AmqpUrl,
        topo: Topology,
    ) -> Result<(Arc<Broker>, mpsc::Receiver<(u64, Consumer)>), AmqpError> {
        let (gen, consumer) = establish(url, &topo, 1).await?;
        let (gen_tx, current) = watch::channel(Some(gen.clone()));
        let (state_tx, state) = watch::channel(LinkState::Connected);
        let (stop, stop_rx) = watch::channel(false);
        let (consumer_tx, consumers) = mpsc::channel(1);
        let _ = consumer_tx.try_send((gen.id, consumer));
        let supervisor = Supervisor {
            url: url.clone(),
            topo,
            gen_tx,
            state_tx,
            consumer_tx,
            stop: stop_rx,
        };
        tokio::spawn(supervisor.run(gen));
        let broker = Broker {
            url: url.clone(),
            current,
            state,
            closing: AtomicBool::new(false),
            stop,
        };
        Ok((Arc::new(broker), consumers))
    }

    pub(crate) fn state(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    /// The endpoint was closed: nothing will connect again.
    pub(crate) fn is_closed(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Why links end when the endpoint is closed.
    pub(crate) fn gone_reason(&self) -> String {
        "the endpoint was closed".to_string()
    }

    /// The current connection, if there is one now.
    pub(crate) fn current(&self) -> Option<Arc<Gen>> {
        self.current.borrow().clone()
    }

    /// Whether generation `id` is the current one and still connected.
    pub(crate) fn is_live(&self, id: u64) -> bool {
        self.current
            .borrow()
            .as_ref()
            .is_some_and(|g| g.id == id && g.conn.status().connected())
    }

    /// The current connection, waiting while there is none; `Err` once closed.
    pub(crate) async fn wait_current(&self) -> Result<Arc<Gen>, String> {
        let mut rx = self.current.clone();
        loop {
            if self.is_closed() {
                return Err(self.gone_reason());
            }
            if let Some(gen) = rx.borrow_and_update().clone() {
                if gen.conn.status().connected() {
                    return Ok(gen);
                }
            }
            // Woken by the next generation; looked at again shortly in case this one died.
            let _ = tokio::time::timeout(LIVENESS_POLL, rx.changed()).await;
        }
    }

    /// The error of an operation tried while there is no connection.
    pub(crate) fn not_connected(&self) -> AmqpError {
        if self.is_closed() {
            AmqpError::Closed {
                url: self.url.to_string(),
            }
        } else {
            AmqpError::Broker {
                url: self.url.to_string(),
                reason: "reconnecting to the broker; try again".into(),
            }
        }
    }

    /// Closes the connection cleanly; nothing connects again.
    pub(crate) async fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        let _ = self.stop.send(true);
        let mut state = self.state.clone();
        let _ = tokio::time::timeout(OP_TIMEOUT, state.wait_for(|s| *s == LinkState::Closed)).await;
    }
}

/// Awaits `op` for at most [`OP_TIMEOUT`].
pub(crate) async fn bounded<T>(op: impl Future<Output = lapin::Result<T>>) -> Result<T, String> {
    match tokio::time::timeout(OP_TIMEOUT, op).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the broker did not answer in time".into()),
    }
}

/// A new channel in confirm mode on `conn`.
pub(crate) async fn confirm_channel(conn: &Connection) -> Result<Channel, String> {
    let channel = bounded(conn.create_channel()).await?;
    bounded(channel.confirm_select(ConfirmSelectOptions::default())).await?;
    Ok(channel)
}

/// Arguments of a node's inbox.
pub(crate) fn inbox_args() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
    args
}

/// Arguments of a client's queue.
pub(crate) fn client_queue_args() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-expires".into(), AMQPValue::LongInt(60_000));
    args.insert("x-max-length".into(), AMQPValue::LongInt(100_000));
    args
}

/// Connects and declares everything (exchanges, queue, bindings, prefetch, consumer), all
/// within [`SETUP_TIMEOUT`].
async fn establish(
    url: &AmqpUrl,
    topo: &Topology,
    id: u64,
) -> Result<(Arc<Gen>, Consumer), AmqpError> {
    match tokio::time::timeout(SETUP_TIMEOUT, establish_inner(url, topo, id)).await {
        Ok(result) => result,
        Err(_) => Err(AmqpError::Unreachable {
            url: url.to_string(),
            reason: format!("no answer within {} s", SETUP_TIMEOUT.as_secs()),
        }),
    }
}

async fn establish_inner(
    url: &AmqpUrl,
    topo: &Topology,
    id: u64,
) -> Result<(Arc<Gen>, Consumer), AmqpError> {
    let props = ConnectionProperties::default().with_connection_name(topo.name.as_str().into());
    let conn = Connection::connect_uri(url.to_lapin(), props)
        .await
        .map_err(|e| AmqpError::classify(&e, url))?;
    let fail = |what: String, e: lapin::Error| AmqpError::Broker {
        url: url.to_string(),
        reason: url.scrub(&format!("{what}: {e}")),
    };
    let channel = conn
        .create_channel()
        .await
        .map_err(|e| fail("opening a channel".into(), e))?;
    for name in [CMD_EXCHANGE, EV_EXCHANGE] {
        let options = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        channel
            .exchange_declare(
                name.into(),
                ExchangeKind::Topic,
                options,
                FieldTable::default(),
            )
            .await
            .map_err(|e| fail(format!("declaring exchange {name}"), e))?;
    }
    let queue = topo.queue.as_str();
    let options = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .queue_declare(queue.into(), options, topo.args.clone())
        .await
        .map_err(|e| fail(format!("declaring queue {queue}"), e))?;
    for key in &topo.keys {
        channel
            .queue_bind(
                queue.into(),
                topo.exchange.into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| fail(format!("binding {queue} to {key}"), e))?;
    }
    channel
        .basic_qos(PREFETCH, BasicQosOptions::default())
        .await
        .map_err(|e| fail("setting the prefetch".into(), e))?;
    let tag = format!("praxis-{}", super::envelope::new_id());
    let consumer = channel
        .basic_consume(
            queue.into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| fail(format!("consuming {queue}"), e))?;
    let publisher = confirm_channel(&conn)
        .await
        .map_err(|e| AmqpError::Broker {
            url: url.to_string(),
            reason: url.scrub(&format!("opening a channel: {e}")),
        })?;
    Ok((
        Arc::new(Gen {
            id,
            conn,
            publisher,
        }),
        consumer,
    ))
}

/// Keeps a connection up: waits for the current one to die, then makes new ones until one
/// works, until told to stop.
struct Supervisor {
    url: AmqpUrl,
    topo: Topology,
    gen_tx: watch::Sender<Option<Arc<Gen>>>,
    state_tx: watch::Sender<LinkState>,
    consumer_tx: mpsc::Sender<(u64, Consumer)>,
    stop: watch::Receiver<bool>,
}

impl Supervisor {
    async fn run(self, mut gen: Arc<Gen>) {
        loop {
            let mut stop = self.stop.clone();
            tokio::select! {
                _ = dead(&gen) => {}
                _ = stopped(&mut stop) => return self.finish(Some(gen)).await,
            }
            self.gen_tx.send_replace(None);
            self.state_tx.send_replace(LinkState::Reconnecting);
            tracing::warn!(broker = %self.url, "lost the connection to the broker; reconnecting");
            let mut pause = MIN_PAUSE;
            loop {
                let mut stop = self.stop.clone();
                let attempt = establish(&self.url, &self.topo, gen.id + 1);
                let result = tokio::select! {
                    r = attempt => r,
                    _ = stopped(&mut stop) => return self.finish(None).await,
                };
                match result {
                    Ok((fresh, consumer)) => {
                        gen = fresh;
                        if self.consumer_tx.send((gen.id, consumer)).await.is_err() {
                            return self.finish(Some(gen)).await;
                        }
                        self.gen_tx.send_replace(Some(gen.clone()));
                        self.state_tx.send_replace(LinkState::Connected);
                        tracing::info!(broker = %self.url, "reconnected to the broker");
                        break;
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "reconnecting failed");
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => {}
                            _ = stopped(&mut stop) => return self.finish(None).await,
                        }
                        pause = (pause * 2).min(MAX_PAUSE);
                    }
                }
            }
        }
    }

    async fn finish(self, gen: Option<Arc<Gen>>) {
        self.gen_tx.send_replace(None);
        if let Some(gen) = gen {
            if gen.conn.status().connected() {
                let _ = bounded(gen.conn.close(200, "endpoint closed".into())).await;
            }
        }
        self.state_tx.send_replace(LinkState::Closed);
    }
}

/// Resolves once the endpoint is told to stop (or the endpoint is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Resolves once `gen`'s connection is no longer usable.
async fn dead(gen: &Gen) {
    while gen.conn.status().connected() {
        tokio::time::sleep(LIVENESS_POLL).await;
    }
}
