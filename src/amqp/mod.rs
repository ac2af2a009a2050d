//! Links over RabbitMQ: reliable, ordered, exactly-once frame channels between clients and
//! nodes, each presented as a [`crate::wire::Transport`], so the JSON-RPC layers above use a
//! link exactly like the in-memory pair. This module owns the broker topology, the envelope,
//! publisher confirms with go-back-N resending, the per-link reordering and duplicate
//! dropping, presence and pings. It knows nothing of JSON-RPC or ACP: a frame is an opaque
//! string.
//!
//! # API
//! - [`AmqpUrl`] (`amqp://` or `amqps://`, TLS through rustls) and [`redact`]: nothing here
//!   ever prints a password (`amqp://user@host:port/vhost`).
//! - Node side: [`NodeEndpoint::bind`]`(url, node)` → the endpoint and a receiver of
//!   [`Accepted`] links (`client`, `link`, `transport`), one per new link, yielded on the
//!   link's first frame. [`NodeEndpoint::announce`] publishes presence (and keeps it: pings are
//!   answered with the latest one), [`NodeEndpoint::state`], [`NodeEndpoint::close`].
//! - Client side: [`ClientEndpoint::connect`]`(url, client_id)`; [`ClientEndpoint::open`]`(node)`
//!   → a `Transport` for a new link (each link has its own id, so two links to one node are
//!   independent); [`ClientEndpoint::presence`] (a broadcast of [`Presence`]),
//!   [`ClientEndpoint::ping`] (every running node answers with its presence),
//!   [`ClientEndpoint::state`], [`ClientEndpoint::close`].
//!
//! # Topology
//! Durable topic exchanges `praxis.cmd` (client → node, key `n.<node>.in`, and `ping`) and
//! `praxis.ev` (node → clients, key `n.<node>.c.<client>` for links, `n.<node>.p` for presence).
//! The node's inbox `praxis.n.<node>.in` is durable with a single active consumer (a second
//! process with the same name waits as a standby). A client's queue `praxis.c.<client>` is
//! durable, expires 60 s after its last consumer goes, and holds at most 100 000 messages
//! (oldest dropped: a link that then misses frames closes, see below). Every queue is named
//! here, so lapin's recovery can declare it again. Names are `[A-Za-z0-9_-]{1,64}`.
//!
//! # Envelope
//! The body is the frame, unmodified. Properties: `message_id` (a uuid, kept when resent),
//! `type` (`frame`, `close`, `presence`, `ping`), persistent for link messages; headers `node`,
//! `client`, `link` (the link's id, unique per opening), `boot` (the node process's boot id;
//! on client → node messages the boot the client has seen, empty before the first answer),
//! `lseq` (per link and direction, from 1), and `reason` on a refusal.
//!
//! # Reliability
//! Each direction of a link has a sender task with its own channel in confirm mode: it stamps
//! `lseq`, publishes `mandatory` without waiting for each confirm (up to 4 096 unconfirmed),
//! and keeps every message from the oldest unconfirmed one on. On any failure (publish error,
//! nack, failed confirm, e.g. while lapin reconnects after a broker restart) it waits until
//! the channel is usable again (a new channel if the broker closed it) and resends everything
//! it kept, in order (go-back-N). A confirm carrying a returned message (312 NO_ROUTE) means
//! nobody is there: the link closes ("node n is not running (no route)", "client c is gone").
//! The receiver drops duplicates (`lseq` below the expected one), holds up to 10 000 frames
//! that arrive ahead of a gap (more means frames were lost: the link closes), and hands frames
//! on in order. Deliveries are acknowledged (in batches) once handed to the link's bounded
//! incoming channel, so a slow reader slows the broker down (prefetch 256); frames held ahead
//! of a gap are acknowledged too, as they are in memory. Consequence: all links of one endpoint
//! share one consumer, so a link whose reader stops holds the others up once its 64-frame
//! channel is full (head-of-line blocking across links).
//!
//! A link is (node, client, link id, node boot). A client that sees another boot from its
//! node closes the link ("node n restarted"); a node that receives a frame of a link it does
//! not know (not starting at `lseq` 1, or naming another boot) refuses it with a `close`
//! carrying `lseq` 0. Dropping a transport's outgoing sender sends an in-order `close`: the
//! other side sees `Closed("… closed the link")`.
//!
//! lapin recovers the connection (`enable_auto_recover`: backoff from 0.2 s to 3 s, about ten
//! minutes in all); while it does, [`LinkState::Reconnecting`]. When it gives up, every link
//! closes with the reason.

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
