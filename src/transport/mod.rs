//! Transports move whole frames (one JSON-RPC message per line) between two peers.
//!
//! A transport is a pair of channels: lines out, and [`Inbound`] items in. The inbound side
//! ends with [`Inbound::Closed`] carrying a human-readable reason (an agent's exit status and
//! stderr tail, a dropped in-memory peer), which the protocol layer turns into errors for every
//! pending request. Transports know nothing of JSON-RPC semantics.

pub mod memory;
pub mod stdio;

use tokio::sync::mpsc;

/// One item arriving from the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A complete frame.
    Line(String),
    /// The other side is gone; no more lines will arrive.
    Closed(String),
}

/// Both directions of a frame connection.
pub struct Transport {
    pub outgoing: mpsc::UnboundedSender<String>,
    pub incoming: mpsc::UnboundedReceiver<Inbound>,
}
