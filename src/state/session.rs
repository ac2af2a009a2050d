//! One session as the client sees it: identity, lifecycle status, options, transcript, input
//! draft, scroll position, and what the agent advertised (commands, modes, usage).

use super::input::Input;
use super::transcript::Transcript;
use crate::node_api::SessionStatus;

/// Where the chat view is scrolled to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scroll {
    /// Show the bottom and keep following new output.
    #[default]
    Follow,
    /// The first visible line, counted from the top; stays put while output grows.
    Top(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCommand {
    pub name: String,
    pub description: String,
    pub hint: Option<String>,
}

pub struct SessionView {
    pub node: usize,
    pub id: String,
    pub agent: String,
    pub status: SessionStatus,
    pub reason: Option<String>,
    pub yolo: bool,
    pub created_ms: u64,
    pub cwd: String,
    pub transcript: Transcript,
    pub input: Input,
    pub scroll: Scroll,
    pub prompt_in_flight: bool,
    pub commands: Vec<AgentCommand>,
    pub modes: Vec<String>,
    pub mode: Option<String>,
    pub context_used: Option<(u64, u64)>,
    pub tokens: (u64, u64),
    /// Index into the prompt history while recalling with Up/Down.
    pub history_pos: Option<usize>,
    /// Whether this client follows the session. A session a node listed (left running by
    /// an earlier client, or started by another) is not followed until it is opened; opening
    /// it attaches and replays what this client has not seen.
    pub attached: bool,
}

impl SessionView {
    pub fn new(
        node: usize,
        id: String,
        agent: String,
        yolo: bool,
        created_ms: u64,
        cwd: String,
    ) -> Self {
        SessionView {
            node,
            id,
            agent,
            status: SessionStatus::Idle,
            reason: None,
            yolo,
            created_ms,
            cwd,
            transcript: Transcript::default(),
            input: Input::new(),
            scroll: Scroll::Follow,
            prompt_in_flight: false,
            commands: Vec::new(),
            modes: Vec::new(),
            mode: None,
            context_used: None,
            tokens: (0, 0),
            history_pos: None,
            attached: true,
        }
    }

    pub fn input_text(&self) -> String {
        self.input.text()
    }

    pub fn set_input(&mut self, text: &str) {
        self.input.set_text(text);
    }

    /// Applies an editing key to the input; true when the text changed.
    pub fn edit(&mut self, key: crate::key::Key) -> bool {
        self.input.handle(key)
    }

    pub fn clear_input(&mut self) {
        self.input.clear();
    }

    /// A short preview of the session id for lists.
    pub fn id_preview(&self) -> &str {
        let end = self
            .id
            .char_indices()
            .nth(8)
            .map(|(i, _)| i)
            .unwrap_or(self.id.len());
        &self.id[..end]
    }
}
