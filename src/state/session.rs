//! One session as the client sees it: identity, lifecycle status, options, transcript, input
//! draft, scroll position, what the agent advertised (commands, modes, usage, cost, title),
//! and what the fleet overlay and the detail view read (last activity, end, lifecycle log,
//! whether it has news this client has not shown).

use super::input::Input;
use super::lifecycle::Lifecycle;
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
    /// The agent's config options (model, mode, thought level, toggles), as last heard.
    pub options: Vec<crate::node_api::ConfigOption>,
    pub context_used: Option<(u64, u64)>,
    pub tokens: (u64, u64),
    /// Index into the prompt history while recalling with Up/Down.
    pub history_pos: Option<usize>,
    /// The draft as it was when recalling began: Down past the newest prompt brings it back.
    pub draft_before_recall: String,
    /// Whether this client follows the session. A session a node listed (left running by
    /// an earlier client, or started by another) is not followed until it is opened; opening
    /// it attaches and replays what this client has not seen.
    pub attached: bool,
    /// The agent's title (`session_info_update`), else the first line of the first prompt.
    pub title: Option<String>,
    /// The title is the agent's: prompts no longer change it.
    pub agent_title: bool,
    /// When it last did something (an event for it, a prompt sent), Unix ms.
    pub last_activity_ms: u64,
    /// When it ended (failed or closed), Unix ms.
    pub ended_ms: Option<u64>,
    /// The last turn ended with this error (cleared when the next turn starts).
    pub turn_error: Option<String>,
    /// The cumulative cost the agent reported (`usage_update`): amount and currency.
    pub cost: Option<(f64, String)>,
    /// The prompt timeout, when known.
    pub timeout_secs: Option<u64>,
    pub lifecycle: Lifecycle,
    /// A turn is running (started here, by another client, or seen working).
    pub turn_open: bool,
    /// When the running turn started, Unix ms (the working indicator's elapsed time).
    pub turn_started_ms: u64,
    /// Bytes of answer and thought text the running turn has streamed (the working indicator
    /// estimates tokens from them while the agent has not counted).
    pub turn_text_bytes: u64,
    /// The transcript's last change when the view stopped following the bottom: a later one
    /// is new output below what the user reads.
    pub scrolled_at_change: u64,
    /// Prompts entered while a turn ran, sent one by one as turns end (Up on an empty prompt
    /// takes the last one back to edit).
    pub queued: std::collections::VecDeque<String>,
    /// A turn ended (or the session failed) while it was not on screen.
    pub unseen: bool,
    /// Attaching or reopening: the node is replaying what happened, which rebuilds the
    /// transcript but is not news (no lifecycle entries, no notifications, no activity).
    pub replay: Option<Replay>,
}

/// Why a session's history is being replayed to this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Following a live session (`Effect::Attach`).
    Attach,
    /// Opening an ended one again (`Effect::Reopen`).
    Reopen,
}

impl SessionView {
    /// Moves the view; leaving the bottom remembers what had arrived by then.
    pub fn scroll_to(&mut self, scroll: Scroll) {
        if self.scroll == Scroll::Follow && scroll != Scroll::Follow {
            self.scrolled_at_change = self.transcript.changes().last();
        }
        self.scroll = scroll;
    }

    /// Output arrived below while the view is scrolled up.
    pub fn new_output_below(&self) -> bool {
        self.scroll != Scroll::Follow && self.transcript.changes().last() > self.scrolled_at_change
    }

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
            options: Vec::new(),
            tokens: (0, 0),
            history_pos: None,
            draft_before_recall: String::new(),
            attached: true,
            title: None,
            agent_title: false,
            last_activity_ms: created_ms,
            ended_ms: None,
            turn_error: None,
            cost: None,
            timeout_secs: None,
            lifecycle: Lifecycle::default(),
            turn_open: false,
            turn_started_ms: 0,
            turn_text_bytes: 0,
            scrolled_at_change: 0,
            queued: std::collections::VecDeque::new(),
            unseen: false,
            replay: None,
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
        short_id(&self.id)
    }

    /// Needs the user: a permission request waits, or the last turn ended with an error.
    pub fn needs_you(&self) -> bool {
        self.status.is_live()
            && (self.status == SessionStatus::NeedsPermission || self.turn_error.is_some())
    }
}

/// The first 8 characters of a session id (what lists show; any unique prefix opens it).
pub fn short_id(id: &str) -> &str {
    let end = id.char_indices().nth(8).map(|(i, _)| i).unwrap_or(id.len());
    &id[..end]
}
