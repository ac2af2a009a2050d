//! The wire: what carries whole frames (one JSON-RPC message per line) between two peers,
//! below both the protocol (which gives frames meaning) and the transports (which move them
//! over a child's stdio, this process's stdio, later a broker). It owns the [`Transport`]
//! abstraction, the NDJSON [`codec`] and the in-process pair ([`memory`]); it knows nothing of
//! JSON-RPC.
//!
//! A transport is a pair of bounded channels: lines out, and [`Inbound`] items in. Bounded, so
//! that a peer that stops reading makes the other side wait (backpressure reaches an agent's
//! stdout pipe) instead of growing a queue without limit. The inbound side ends with
//! [`Inbound::Closed`] carrying a human-readable reason (an agent's exit status and stderr
//! tail, a dropped in-memory peer), which the protocol layer turns into errors for every
//! pending request.

pub mod codec;
pub mod memory;

use tokio::sync::mpsc;

/// How many frames each direction of a transport holds before its sender waits.
pub const CAPACITY: usize = 64;

/// One item arriving from the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A complete frame.
    Line(String),
    /// A frame that could not be delivered (too large, not UTF-8); the text says why, for
    /// the user. The connection goes on.
    Skipped(String),
    /// The other side is gone; no more lines will arrive.
    Closed(String),
}

/// Both directions of a frame connection.
pub struct Transport {
    pub outgoing: mpsc::Sender<String>,
    pub incoming: mpsc::Receiver<Inbound>,
}
