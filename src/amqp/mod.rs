//! Links over RabbitMQ: reliable, ordered, exactly-once frame channels between clients and
//! nodes, each presented as a [`crate::wire::Transport`], so the JSON-RPC layers above use a
//! link exactly like the in-memory pair. This module owns the broker topology, the envelope,
//! keeping a connection up, publisher confirms with go-back-N resending, the per-link
//! reordering and duplicate dropping, presence and pings. It knows nothing of JSON-RPC or ACP:
//! a frame is an opaque string.
//!
//! # API
//! - [`AmqpUrl`] (`amqp://` or `amqps://`, TLS through rustls; heartbeat 15 s unless the URL
//!   says) and [`redact`]: nothing here ever prints a password (`amqp://user@host:port/vhost`);
//!   [`AmqpError`] says why an endpoint cannot start (unreachable, login refused, ...).
//! - Node side: [`NodeEndpoint::bind`]`(url, node)` → the endpoint and a receiver of
//!   [`Accepted`] links (`client`, `link`, `transport`), one per new link, yielded on the
//!   link's first frame. [`NodeEndpoint::announce`] publishes presence and keeps it: every ping
//!   is answered with the latest one. [`NodeEndpoint::boot_id`], [`NodeEndpoint::state`],
//!   [`NodeEndpoint::close`].
//! - Client side: [`ClientEndpoint::connect`]`(url, client_id)` (cheap to clone);
//!   [`ClientEndpoint::open`]`(node)` → a `Transport` for a new link (each link has its own id,
//!   so two links to one node are independent); [`ClientEndpoint::presence`] (a broadcast of
//!   [`Presence`], bodies sanitized), [`ClientEndpoint::ping`] (every running node answers
//!   with its presence), [`ClientEndpoint::state`], [`ClientEndpoint::close`].
//! - [`LinkState`]: `Connected`, `Reconnecting`, `Closed` (after `close`).
//!
//! # Topology
//! Durable topic exchanges `praxis.cmd` (client → node, key `n.<node>.in`, and `ping`) and
//! `praxis.ev` (node → clients, key `n.<node>.c.<client>` for links, `n.<node>.p` for presence).
//! The node's inbox `praxis.n.<node>.in` is durable with a single active consumer (a second
//! process with the same name waits as a standby). A client's queue `praxis.c.<client>` is
//! durable, expires 60 s after its last consumer goes, and holds at most 100 000 messages
//! (oldest dropped: a link that then misses frames closes, see below). Every queue is named
//! here and declared again on every connection. Names are `[A-Za-z0-9_-]{1,64}`; one running
//! client per client id (two would split one queue).
//!
//! # Envelope
//! The body is the frame, unmodified (`type` `frame`), or several frames joined by `\n`
//! (`type` `frames`: what was already queued when the sender took a frame, up to 256 frames or
//! 64 KiB; a frame that contains a newline travels alone). Properties: `message_id` (a uuid,
//! kept when resent), `type` (`frame`, `frames`, `close`, `presence`, `ping`), persistent for
//! link messages; headers `node`,
//! `client`, `link` (the link's id, unique per opening), `boot` (the node process's boot id;
//! on client → node messages the boot the client has seen, empty before the first answer),
//! `lseq` (per link and direction, from 1), and `reason` on a refusal. Presence is transient
//! and expires after 30 s; a ping after 3 s (a node that is not running does not pile them up).
//!
//! # Reliability
//! Each direction of a link has a sender task with its own channel in confirm mode: it stamps
//! `lseq`, publishes `mandatory` without waiting for writes or confirms (up to 4 096
//! unconfirmed), and keeps every message from the oldest unconfirmed one on. On any failure
//! (publish error, nack, failed confirm, lost connection, a confirm overdue by 30 s) it waits
//! until a channel is usable again and resends everything it kept, in order (go-back-N). A
//! confirm carrying a returned message (312 NO_ROUTE) means nobody is there: the link closes
//! ("node n is not running (no route)", "client c is gone").
//! The receiver drops duplicates (`lseq` below the expected one), holds up to 10 000 frames
//! that arrive ahead of a gap (more means frames were lost: the link closes), and hands frames
//! on in order. Deliveries are acknowledged (in batches of up to 128) once handed to the link's
//! bounded incoming channel, so a slow reader slows the broker down (prefetch 256); frames held
//! ahead of a gap are acknowledged too, as they are in memory. Consequence: all links of one
//! endpoint share one consumer, so a link whose reader stops holds the others up once its
//! 64-frame channel is full (head-of-line blocking across links).
//!
//! A link is (node, client, link id, node boot). A client that sees another boot from its
//! node closes the link ("node n restarted"); a node that receives a frame of a link it does
//! not know (not starting at `lseq` 1, or naming another boot) refuses it with a `close`
//! carrying `lseq` 0. Dropping a transport's outgoing sender sends an in-order `close`: the
//! other side sees `Closed("client c closed the link")` / `Closed("node n closed the link")`
//! and may still read what this side sends (a half close, like the in-memory pair); the link
//! is forgotten once both directions are done. Closing a node endpoint does not tell its
//! clients: their links end when they next send (refused: "node n restarted") or by presence.
//!
//! When the connection is lost, the endpoint makes a new one (0.2 s to 3 s apart, for as long
//! as it takes) and declares everything again; meanwhile [`LinkState::Reconnecting`], and
//! links keep what they could not send and resend it after. This recovery is the module's own:
//! lapin's `enable_auto_recover` (4.12.3) can stay in `Reconnecting` for good when the
//! connection breaks while frames are being written (see `broker.rs`). Only
//! [`NodeEndpoint::close`] / [`ClientEndpoint::close`] (or dropping the endpoint) end links
//! with "the endpoint was closed".

mod broker;
mod client;
mod envelope;
mod links;
mod node;
mod reorder;
mod sender;
mod url;

pub use client::{ClientEndpoint, Presence};
pub use node::{Accepted, NodeEndpoint};
pub use url::{redact, validate_name, AmqpUrl};

/// The exchange clients publish to nodes on.
pub const CMD_EXCHANGE: &str = "praxis.cmd";
/// The exchange nodes publish to clients on.
pub const EV_EXCHANGE: &str = "praxis.ev";

/// The connection to the broker, as an endpoint sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connected,
    /// Lost; lapin is reconnecting. Links keep what they could not send and resend it after.
    Reconnecting,
    /// Closed for good (closed by us, or recovery gave up).
    Closed,
}

/// What can go wrong setting up an endpoint or publishing outside a link. The text never
/// contains a password.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AmqpError {
    #[error("invalid broker URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("invalid {what} {name:?}: use 1 to 64 of A-Z a-z 0-9 _ -")]
    InvalidName { what: &'static str, name: String },
    #[error("cannot reach the broker at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the broker at {url} refused the login of user {user:?}: {reason}")]
    LoginRefused {
        url: String,
        user: String,
        reason: String,
    },
    #[error("broker error at {url}: {reason}")]
    Broker { url: String, reason: String },
    #[error("the connection to the broker at {url} is closed")]
    Closed { url: String },
}

impl AmqpError {
    /// The error of a failed connection attempt, in plain words.
    pub(crate) fn classify(e: &lapin::Error, url: &AmqpUrl) -> AmqpError {
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
