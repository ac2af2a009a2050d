//! Transports over the operating system: frames over an agent's stdio ([`stdio`], including
//! this process's own for the demo agent). Each yields a [`Transport`] (defined in
//! [`crate::wire`], with the codec and the in-memory pair); transports know nothing of
//! JSON-RPC.

pub mod stdio;

pub use crate::wire::{Inbound, Transport, CAPACITY};
pub mod socket;
