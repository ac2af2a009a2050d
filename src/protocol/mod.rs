//! The protocol layer: JSON-RPC 2.0 messages, a bidirectional peer with a pending-request map,
//! and the ACP vocabulary (method names, update parsing) on top of the
//! `agent-client-protocol-schema` types.
//!
//! It knows nothing of processes, brokers, nodes or the terminal: it moves frames in and out of
//! a [`crate::wire::Transport`] and nothing else (framing is the wire's too).

pub mod acp;
pub mod jsonrpc;
pub mod peer;

pub use jsonrpc::{Id, Message, RpcError};
pub use peer::{Handled, Incoming, Peer};
