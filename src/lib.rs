//! praxis: a full-screen terminal chat client for agents that speak the Agent Client Protocol.
//!
//! Layers, each knowing nothing of those above it:
//! [`protocol`] (JSON-RPC + ACP) → [`transport`] (frames over stdio, in memory) → [`node`]
//! (agents, sessions, routing) → the front ends ([`headless`], and the full-screen client).
//! [`demo_agent`] is a real ACP agent built into the binary.

pub mod config;
pub mod demo_agent;
pub mod headless;
pub mod node;
pub mod protocol;
pub mod sanitize;
pub mod transcript;
pub mod transport;
