//! One endpoint's connection to the broker: connecting (with a clear error when it cannot),
//! lapin's recovery settings, declaring exchanges and queues, opening confirm-mode channels,
//! and watching the connection's state. Every error and log line built here names the broker
//! by its redacted URL.

use super::{AmqpError, AmqpUrl, LinkState, CMD_EXCHANGE, EV_EXCHANGE};
use lapin::options::{
    BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties, Consumer, ExchangeKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How many deliveries the broker sends ahead of our acknowledgements.
pub(crate) const PREFETCH: u16 = 256;
/// How long connecting may take before we give up with an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the connection's state is looked at.
const STATE_POLL: Duration = Duration::from_millis(100);

/// The connection and what the endpoint's tasks need to know about it.
pub(crate) struct Broker {
    pub conn: Connection,
    pub url: AmqpUrl,
    /// Set once the endpoint is closed on purpose (so links say so, not "lost").
    closing: AtomicBool,
    state: watch::Receiver<LinkState>,
}

impl Broker {
    /// Connects to `url`. A first, plain connection finds out fast and precisely why the
    /// broker cannot be used (refused, login, vhost); the connection kept is then made with
    /// recovery enabled (which would otherwise retry a wrong password for minutes).
    pub(crate) async fn connect(url: &AmqpUrl, name: &str) -> Result<Arc<Broker>, AmqpError> {
        let props = || ConnectionProperties::default().with_connection_name(name.into());
        let probe = timed(Connection::connect_uri(url.to_lapin(), props()), url).await?;
        let _ = probe.close(200, "probe done".into()).await;
        let recovering = props().enable_auto_recover().configure_backoff(|b| {
            b.with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(3))
                .with_max_times(200)
                .with_jitter()
        });
        let conn = timed(Connection::connect_uri(url.to_lapin(), recovering), url).await?;
        let (tx, state) = watch::channel(LinkState::Connected);
        spawn_state_watch(conn.status().clone(), tx);
        Ok(Arc::new(Broker {
            conn,
            url: url.clone(),
            closing: AtomicBool::new(false),
            state,
        }))
    }

    pub(crate) fn state(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    /// The connection is gone for good (closed, failed, or being closed by us).
    pub(crate) fn is_dead(&self) -> bool {
        let s = self.conn.status();
        s.closed() || s.errored() || s.closing() || self.closing.load(Ordering::SeqCst)
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.conn.status().connected()
    }

    /// Why links end when the connection is gone.
    pub(crate) fn gone_reason(&self) -> String {
        if self.closing.load(Ordering::SeqCst) {
            "the endpoint was closed".to_string()
        } else {
            format!("lost the connection to the broker at {}", self.url)
        }
    }

    pub(crate) fn error(&self, what: &str, e: &lapin::Error) -> AmqpError {
        AmqpError::Broker {
            url: self.url.to_string(),
            reason: self.url.scrub(&format!("{what}: {e}")),
        }
    }

    /// A new channel in confirm mode.
    pub(crate) async fn confirm_channel(&self) -> lapin::Result<Channel> {
        let channel = self.conn.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(channel)
    }

    /// Declares both exchanges (durable topic exchanges; idempotent).
    pub(crate) async fn declare_exchanges(&self, channel: &Channel) -> Result<(), AmqpError> {
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
                .map_err(|e| self.error(&format!("declaring exchange {name}"), &e))?;
        }
        Ok(())
    }

    /// Declares the durable queue `queue` with `args`, binds it to `exchange` with each key,
    /// and starts consuming it (prefetch [`PREFETCH`]). The channel holds this topology, so
    /// lapin declares it again after reconnecting.
    pub(crate) async fn consume(
        &self,
        channel: &Channel,
        queue: &str,
        args: FieldTable,
        exchange: &str,
        keys: &[String],
        tag: &str,
    ) -> Result<Consumer, AmqpError> {
        let options = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        channel
            .queue_declare(queue.into(), options, args)
            .await
            .map_err(|e| self.error(&format!("declaring queue {queue}"), &e))?;
        for key in keys {
            channel
                .queue_bind(
                    queue.into(),
                    exchange.into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| self.error(&format!("binding {queue} to {key}"), &e))?;
        }
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await
            .map_err(|e| self.error("setting the prefetch", &e))?;
        channel
            .basic_consume(
                queue.into(),
                tag.into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| self.error(&format!("consuming {queue}"), &e))
    }

    /// Closes the connection cleanly; links end with "the endpoint was closed".
    pub(crate) async fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        if self.conn.status().connected() {
            let _ = self.conn.close(200, "endpoint closed".into()).await;
        }
    }
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

/// Awaits a connection attempt with [`CONNECT_TIMEOUT`], turning failures into errors that
/// say why in plain words.
async fn timed(
    attempt: impl std::future::Future<Output = lapin::Result<Connection>>,
    url: &AmqpUrl,
) -> Result<Connection, AmqpError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(classify(&e, url)),
        Err(_) => Err(AmqpError::Unreachable {
            url: url.to_string(),
            reason: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        }),
    }
}

fn classify(e: &lapin::Error, url: &AmqpUrl) -> AmqpError {
    use lapin::ErrorKind;
    let reason = match e.kind() {
        ErrorKind::IOError(io) => io_reason(io),
        _ => e.to_string(),
    };
    let reason = url.scrub(&reason);
    let lower = reason.to_lowercase();
    if lower.contains("access_refused") || lower.contains("login was refused") {
        AmqpError::LoginRefused {
            url: url.to_string(),
            user: url.user().to_string(),
            reason,
        }
    } else if matches!(e.kind(), ErrorKind::IOError(_)) {
        AmqpError::Unreachable {
            url: url.to_string(),
            reason,
        }
    } else {
        AmqpError::Broker {
            url: url.to_string(),
            reason,
        }
    }
}

/// "connection refused" rather than "Connection refused (os error 111)".
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "connection refused".into(),
        K::ConnectionReset => "connection reset".into(),
        K::ConnectionAborted => "connection closed by the broker".into(),
        K::TimedOut => "timed out".into(),
        K::NotFound => "host not found".into(),
        _ => e.to_string(),
    }
}

/// Mirrors lapin's connection state into `tx` until the connection is closed for good or
/// nobody listens.
fn spawn_state_watch(status: lapin::ConnectionStatus, tx: watch::Sender<LinkState>) {
    tokio::spawn(async move {
        loop {
            let now = if status.connected() {
                LinkState::Connected
            } else if status.closed() || status.errored() || status.closing() {
                LinkState::Closed
            } else {
                LinkState::Reconnecting
            };
            tx.send_if_modified(|s| std::mem::replace(s, now) != now);
            if now == LinkState::Closed || tx.is_closed() {
                return;
            }
            tokio::time::sleep(STATE_POLL).await;
        }
    });
}
