//! praxis: a full-screen terminal chat client for agents that speak the Agent Client Protocol.
//!
//! Layers, each knowing nothing of those above it: [`wire`] (the frame-carrying abstraction
//! and NDJSON codec) → [`transport`] (frames over stdio, in memory) and [`protocol`] (JSON-RPC
//! and ACP, over any transport) → [`node`] (agents, sessions, routing) → [`state`] (pure app state and `update`) → [`ui`] (drawing),
//! driven by [`runtime`]; [`headless`] is the one-shot front end.
//! [`demo_agent`] is a real ACP agent built into the binary.

pub mod amqp;
pub mod bridge;
pub mod config;
pub mod demo_agent;
pub mod growth;
pub mod headless;
pub mod history;
pub mod key;
pub mod keymap;
pub mod node;
pub mod node_api;
pub mod protocol;
pub mod reach;
pub mod runtime;
pub mod sanitize;
pub mod script;
pub mod signals;
pub mod state;
pub mod stderr;
pub mod tool_text;
pub mod transcript;
pub mod transport;
pub mod ui;
pub mod wire;
