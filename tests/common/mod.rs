//! Shared set-up for integration tests: a real local node whose connectors are real agent
//! processes (the built `praxis` binary's demo agent, the Python SDK agent), with its data
//! dir in a temporary directory, and helpers to collect what the node reports.
#![allow(dead_code)]

use praxis::config::Paths;
use praxis::node::connectors::{self, Connector};
use praxis::node::{
    Connectors, LocalNode, NodeClient, NodeEvent, NodeSettings, SessionOptions, SessionStatus,
};
use praxis::protocol::acp::{content_text, schema, Update};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::Receiver;

pub const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");

pub struct TestNode {
    pub client: NodeClient,
    pub events: Receiver<NodeEvent>,
    pub dir: tempfile::TempDir,
    pub paths: Paths,
    pub settings: NodeSettings,
}

/// The demo agent as `demo`, plus `extra` connectors.
pub fn demo_connectors(extra: Vec<Connector>) -> Connectors {
    let mut c = Connectors::default();
    c.insert(connectors::demo(Path::new(PRAXIS), &["--delay-ms", "1"]));
    for e in extra {
        c.insert(e);
    }
    c
}

pub async fn start(connectors: Connectors, timeout: Duration, grace: Duration) -> TestNode {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let settings = NodeSettings {
        name: "test".into(),
        connectors,
        paths: paths.clone(),
        prompt_timeout: timeout,
        cancel_grace: grace,
    };
    let (client, events) = NodeClient::connect(LocalNode::start(settings.clone()))
        .await
        .unwrap();
    std::fs::create_dir_all(dir.path().join("work")).unwrap();
    TestNode {
        client,
        events,
        dir,
        paths,
        settings,
    }
}

pub async fn start_demo() -> TestNode {
    start(
        demo_connectors(vec![]),
        Duration::from_secs(60),
        Duration::from_secs(2),
    )
    .await
}

impl TestNode {
    /// The app quits and starts again: this node's client goes (its sessions close) and a
    /// new node starts over the same data dir, as after a restart of praxis.
    pub async fn restart(self) -> TestNode {
        let TestNode {
            client,
            events,
            dir,
            paths,
            settings,
        } = self;
        drop(client);
        drop(events);
        praxis::node::journal::flush_all();
        let (client, events) = NodeClient::connect(LocalNode::start(settings.clone()))
            .await
            .unwrap();
        TestNode {
            client,
            events,
            dir,
            paths,
            settings,
        }
    }

    pub fn work_dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn options(&self, agent: &str, yolo: bool) -> SessionOptions {
        SessionOptions {
            agent: agent.into(),
            cwd: self.work_dir(),
            yolo,
            prompt_timeout_secs: None,
        }
    }

    pub async fn session(&self, agent: &str, yolo: bool) -> String {
        self.client
            .new_session(&self.options(agent, yolo))
            .await
            .unwrap()
            .session_id
    }

    /// Every event already delivered.
    pub fn drain(&mut self) -> Vec<NodeEvent> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }

    /// Waits (up to 30 s, a hang guard, not a timing assertion) for an event matching `pred`,
    /// returning it and everything before it.
    pub async fn wait_for(&mut self, pred: impl Fn(&NodeEvent) -> bool) -> Vec<NodeEvent> {
        let mut seen = Vec::new();
        loop {
            let e = tokio::time::timeout(Duration::from_secs(30), self.events.recv())
                .await
                .expect("no matching event within 30 s")
                .expect("event stream ended");
            let hit = pred(&e);
            seen.push(e);
            if hit {
                return seen;
            }
        }
    }

    /// The session's journal as written so far (after the writer has caught up).
    pub fn journal(&self, session: &str) -> String {
        praxis::node::journal::flush_all();
        std::fs::read_to_string(self.paths.sessions_dir().join(format!("{session}.jsonl")))
            .unwrap_or_default()
    }
}

/// The concatenated agent message text in `events` for `session`.
pub fn answer_text(events: &[NodeEvent], session: &str) -> String {
    let mut s = String::new();
    for e in events {
        if let NodeEvent::Update {
            session: sid,
            update: Update::Known(u),
        } = e
        {
            if sid == session {
                if let schema::SessionUpdate::AgentMessageChunk(c) = u.as_ref() {
                    s.push_str(content_text(&c.content).unwrap_or_default());
                }
            }
        }
    }
    s
}

pub fn is_status(e: &NodeEvent, want: SessionStatus) -> bool {
    matches!(e, NodeEvent::Status { status, .. } if *status == want)
}

pub fn kinds(events: &[NodeEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            NodeEvent::Update { update, .. } => Some(update.kind()),
            _ => None,
        })
        .collect()
}
