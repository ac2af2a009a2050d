//! `praxis bridge`: praxis as an ACP agent on this process's stdin and stdout, so any ACP
//! client (Zed, Toad, the Python SDK's client, a script) can drive an agent on a praxis node.
//!
//! A node already presents itself as one ACP agent that multiplexes agents (its connectors);
//! the bridge relays frames between the client and that node, over the broker when one is
//! configured, else over the local daemon's socket (started in the background when none
//! answers). The frame rules are in [`relay`]: the node token added to every command,
//! `session/new` given `--agent` and `--yolo`, ids renumbered and restored, `_praxis/…`
//! extension frames kept from the client. The node does the rest, as for any praxis client:
//! it starts the agent, serves `fs/*` inside its sandbox (the working directory), journals
//! the session, enforces the prompt timeout and YOLO, and forwards permission requests here.
//!
//! Before reading stdin the bridge sends its own `initialize`, so a node that cannot be
//! reached, or a local daemon that is not the `--node` asked for (no broker), ends it at once
//! with exit status 3 and a line on stderr. A node that refuses it (a wrong token, -32001)
//! is reported on stderr, and the relay goes on so the client gets the node's own error
//! answer; the exit status is then 3.
//!
//! The client going (stdin closes), SIGTERM, SIGHUP, SIGQUIT and Ctrl+C all end it the same
//! way: every session this bridge created and the client did not close is closed on the node
//! (waiting at most 5 s for the answers), then exit 0. Requests the client still had in
//! flight are dropped with it. The node going ends it with exit status 3, after every request
//! still waiting has been answered with an error (-32099) saying so.
//!
//! Stdout carries frames only. Stderr carries `praxis: …` lines, every one sanitized (it may
//! quote the node or an agent): unreachable nodes, notices, failed sessions.

mod relay;
mod stdio;

use crate::protocol::acp::{method, praxis_meta, PROTOCOL_VERSION};
use crate::script::Env;
use crate::stderr::say;
use crate::wire::{Inbound, Transport};
use relay::{FromClient, FromNode, Relay};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stdio::{Input, Stdout};
use tokio::sync::{mpsc, watch};

/// How long the node has to answer the bridge's `initialize`.
const INIT_LIMIT: Duration = Duration::from_secs(30);
/// How long closing the sessions may take once the client has gone.
const CLOSE_LIMIT: Duration = Duration::from_secs(5);
/// How long the last frames have to reach stdout.
const FLUSH_LIMIT: Duration = Duration::from_secs(2);

/// Runs the bridge until stdin closes; returns the exit code.
pub async fn run(env: Env, node: Option<String>, agent: String, yolo: bool) -> i32 {
    let reached =
        match crate::reach::open_node(&env.remote, &env.paths, node.as_deref(), true).await {
            Ok(r) => r,
            Err(e) => {
                say(&e);
                return 3;
            }
        };
    // Kept for the whole run: it carries the broker link.
    let _endpoint = reached.endpoint;
    let Transport { outgoing, incoming } = reached.transport;
    let relay = Arc::new(Mutex::new(Relay::new(
        agent,
        yolo,
        env.remote.node_token.clone(),
    )));
    let stdout = Stdout::start();
    let (news_tx, mut news) = mpsc::channel(64);
    let (closing_tx, closing) = watch::channel(false);
    let (gone_tx, gone) = watch::channel(None);
    tokio::spawn(node_reader(
        incoming,
        Link {
            relay: relay.clone(),
            stdout: stdout.clone(),
            node: outgoing.clone(),
            news: news_tx,
            closing,
            gone: gone_tx,
        },
    ));
    let to_node = ToNode {
        relay: relay.clone(),
        outgoing,
        gone,
    };

    // The bridge's own initialize: is the node there, and is it the one asked for?
    let label = node
        .as_deref()
        .map(|n| format!("node {n}"))
        .unwrap_or_else(|| "the node".into());
    let params = json!({
        "protocolVersion": PROTOCOL_VERSION,
        "clientCapabilities": {},
        "clientInfo": { "name": "praxis-bridge", "version": env!("CARGO_PKG_VERSION") },
    });
    let mut refused = false;
    let init = match to_node.own(method::INITIALIZE, params).await {
        Some(id) => to_node.answers(&mut news, [id].into(), INIT_LIMIT).await,
        None => Answers::Gone,
    };
    match init {
        Answers::All(mut got) => match got.pop() {
            Some(Ok(answer)) => {
                let name = praxis_meta(&answer, "node").and_then(Value::as_str);
                if let Err(e) = crate::reach::check_reached(
                    env.remote.broker.is_some(),
                    node.as_deref(),
                    name.unwrap_or_default(),
                ) {
                    say(&e);
                    return 3;
                }
            }
            Some(Err(e)) => {
                refused = true;
                say(&format!("{label} refused the bridge: {}", error_text(&e)));
            }
            None => {}
        },
        Answers::Gone => {
            say(&format!("{label}: {}", to_node.gone_reason()));
            return 3;
        }
        Answers::Late => {
            say(&format!(
                "{label} did not answer within {} s",
                INIT_LIMIT.as_secs()
            ));
            return 3;
        }
    }

    let mut input = stdio::stdin_frames();
    let mut signals = crate::signals::Signals::new();
    let mut gone = to_node.gone.clone();
    let node_lost = loop {
        tokio::select! {
            frame = input.recv() => match frame {
                Some(Input::Line(line)) => {
                    let action = lock(&relay).on_client(&line);
                    match action {
                        FromClient::Node(l) => {
                            if !to_node.send(l).await {
                                break true;
                            }
                        }
                        FromClient::Client(l) => stdout.line(l).await,
                    }
                }
                Some(Input::Unreadable(why)) => {
                    let e = relay::error_line(Value::Null, crate::protocol::jsonrpc::codes::PARSE_ERROR, &format!("parse error: {why}"));
                    stdout.line(e).await;
                }
                None => break false,
            },
            _ = gone.wait_for(Option::is_some) => break true,
            _ = signals.next() => break false,
            _ = tokio::signal::ctrl_c() => break false,
        }
    };

    if node_lost {
        let why = to_node.gone_reason();
        let answers = lock(&relay).lost(&format!("{label}: {why}"));
        for a in answers {
            stdout.line(a).await;
        }
        stdout.flush(FLUSH_LIMIT).await;
        say(&format!("{label}: {why}"));
        return 3;
    }

    // The client has gone: close what it started.
    let _ = closing_tx.send(true);
    let sessions = lock(&relay).begin_closing();
    let mut waiting = BTreeSet::new();
    for s in &sessions {
        match to_node
            .own(method::SESSION_CLOSE, json!({ "sessionId": s }))
            .await
        {
            Some(id) => drop(waiting.insert(id)),
            None => break,
        }
    }
    let left = to_node.close_all(&mut news, waiting).await;
    stdout.flush(FLUSH_LIMIT).await;
    if left > 0 {
        say(&format!(
            "{left} session(s) this bridge started may still run on {label}: closing them did not finish"
        ));
        return 3;
    }
    if refused {
        3
    } else {
        0
    }
}

/// What the task reading the node shares with the rest.
struct Link {
    relay: Arc<Mutex<Relay>>,
    stdout: Stdout,
    node: mpsc::Sender<String>,
    news: mpsc::Sender<FromNode>,
    /// True once the client has gone (nothing more is written to it).
    closing: watch::Receiver<bool>,
    /// Why the node connection ended, once it has.
    gone: watch::Sender<Option<String>>,
}

/// Reads the node until its connection ends: frames go to the client, answers to the
/// bridge's own requests to `news`.
async fn node_reader(mut incoming: mpsc::Receiver<Inbound>, mut link: Link) {
    let reason = loop {
        let Some(item) = incoming.recv().await else {
            break "the connection dropped".to_string();
        };
        let line = match item {
            Inbound::Line(l) => l,
            Inbound::Skipped(why) => {
                say(&format!("a frame from the node was skipped: {why}"));
                continue;
            }
            Inbound::Closed(reason) => break reason,
        };
        let actions = lock(&link.relay).on_node(&line);
        for a in actions {
            match a {
                FromNode::Client(l) => {
                    // A client that went without reading must not hold up the closing.
                    tokio::select! {
                        _ = link.stdout.line(l) => {}
                        _ = link.closing.wait_for(|c| *c) => {}
                    }
                }
                FromNode::Node(l) => {
                    let _ = link.node.send(l).await;
                }
                FromNode::Say(s) => say(&s),
                own @ (FromNode::Own(..) | FromNode::Late(_)) => {
                    let _ = link.news.send(own).await;
                }
            }
        }
    };
    let _ = link.gone.send(Some(reason));
}

/// The way to the node, for the bridge's own requests and the client's frames.
struct ToNode {
    relay: Arc<Mutex<Relay>>,
    outgoing: mpsc::Sender<String>,
    gone: watch::Receiver<Option<String>>,
}

/// How waiting for the bridge's own answers ended.
enum Answers {
    /// Every answer, in the order they came.
    All(Vec<Result<Value, Value>>),
    /// The node connection ended first.
    Gone,
    /// The time ran out.
    Late,
}

impl ToNode {
    /// Sends a line; false when the node connection has ended.
    async fn send(&self, line: String) -> bool {
        let mut gone = self.gone.clone();
        tokio::select! {
            sent = self.outgoing.send(line) => sent.is_ok(),
            _ = gone.wait_for(Option::is_some) => false,
        }
    }

    /// Sends one of the bridge's own requests; its id, or None when the node has gone.
    async fn own(&self, m: &str, params: Value) -> Option<u64> {
        let (id, line) = lock(&self.relay).own(m, params);
        self.send(line).await.then_some(id)
    }

    /// Waits for the answers to `ids`, at most `limit`.
    async fn answers(
        &self,
        news: &mut mpsc::Receiver<FromNode>,
        mut ids: BTreeSet<u64>,
        limit: Duration,
    ) -> Answers {
        let mut got = Vec::new();
        let mut gone = self.gone.clone();
        let deadline = tokio::time::Instant::now() + limit;
        while !ids.is_empty() {
            tokio::select! {
                n = news.recv() => match n {
                    Some(FromNode::Own(id, answer)) if ids.remove(&id) => got.push(answer),
                    Some(_) => {}
                    None => return Answers::Gone,
                },
                _ = gone.wait_for(Option::is_some) => return Answers::Gone,
                _ = tokio::time::sleep_until(deadline) => return Answers::Late,
            }
        }
        Answers::All(got)
    }

    /// Waits (at most [`CLOSE_LIMIT`]) until the sessions being closed are, closing too the
    /// ones whose `session/new` is answered meanwhile. Returns how many were left open.
    async fn close_all(
        &self,
        news: &mut mpsc::Receiver<FromNode>,
        mut ids: BTreeSet<u64>,
    ) -> usize {
        let mut gone = self.gone.clone();
        let deadline = tokio::time::Instant::now() + CLOSE_LIMIT;
        loop {
            let unborn = lock(&self.relay).pending_new();
            if ids.is_empty() && unborn == 0 {
                return 0;
            }
            tokio::select! {
                n = news.recv() => match n {
                    Some(FromNode::Own(id, _)) => drop(ids.remove(&id)),
                    Some(FromNode::Late(Some(s))) => {
                        if let Some(id) = self.own(method::SESSION_CLOSE, json!({ "sessionId": s })).await {
                            ids.insert(id);
                        }
                    }
                    Some(_) => {}
                    None => return ids.len() + unborn,
                },
                _ = gone.wait_for(Option::is_some) => return ids.len() + unborn,
                _ = tokio::time::sleep_until(deadline) => return ids.len() + unborn,
            }
        }
    }

    fn gone_reason(&self) -> String {
        self.gone
            .borrow()
            .clone()
            .unwrap_or_else(|| "the connection closed".into())
    }
}

fn lock(relay: &Mutex<Relay>) -> std::sync::MutexGuard<'_, Relay> {
    relay.lock().unwrap_or_else(|e| e.into_inner())
}

/// An error answer's message (and code), for a line on stderr.
fn error_text(e: &Value) -> String {
    let message = e
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no reason given");
    match e.get("code").and_then(Value::as_i64) {
        Some(code) => format!("{message} (code {code})"),
        None => message.to_string(),
    }
}
