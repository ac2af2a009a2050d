//! Nodes own agents and sessions. A node presents itself to clients as one ACP agent that
//! multiplexes its connectors: `session/new` picks a connector with `_meta.praxis.connector`,
//! and the node itself answers `session/list`, `session/resume` and `session/close` for all of
//! its sessions. Clients therefore speak plain ACP (plus a few `_praxis/…` extension frames)
//! to every node, whether it runs in-process ([`local`]) or, later, behind a broker.
//!
//! The node side enforces what must hold even with no client attached: YOLO, prompt timeouts,
//! the file-system sandbox, and the journal. The client side ([`client::NodeClient`]) turns
//! frames into typed [`client::NodeEvent`]s for the UI or the headless runner.

pub mod agent;
mod catalog;
pub mod client;
pub mod connectors;
pub mod daemon;
pub mod fs;
pub mod index;
pub mod journal;
pub mod local;
pub mod outbox;
mod relay;
mod remote;
mod reopen;
pub mod server;
mod session;
mod turns;

pub use crate::node_api::SessionStatus;
pub use client::{NodeClient, NodeEvent, SessionOptions};
pub use connectors::Connectors;
pub use local::LocalNode;
pub use server::{Node, NodeSettings, OnClose};
