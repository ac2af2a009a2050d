//! The application state: pure data and a pure `update` (no tokio, no terminal, no files).
//!
//! `terminal keys ─┐`
//! `node events ───┼→ Action → update(&mut AppState, Action) → Vec<Effect> → runtime`
//! `AppState ─(read only)→ ui::draw`
//!
//! Overlays form a stack (Nodes window, Active Sessions, the session detail, the
//! new-session form, help) above the chat pane; the top one decides the key context.
//!
//! Sessions are `SessionView`s (live ones, and ended ones this client showed) plus `past`:
//! what nodes listed from their history, kept as summaries until one is opened again.

pub mod action;
pub mod attention;
pub mod changes;
pub mod command;
mod completion;
pub mod effect;
mod events;
mod execute;
pub mod fleet;
pub mod input;
pub mod input_wrap;
mod keys;
mod launch;
pub mod lifecycle;
mod listing;
mod open;
mod ops;
mod options;
mod queue;
pub mod session;
pub mod slash;
pub mod transcript;
mod updates;

pub use action::Action;
pub use attention::{need_count, terminal_title};
pub use command::{Command, Context};
pub use effect::Effect;
pub use listing::PastSession;
pub use session::{Scroll, SessionView};

use crate::keymap::Keymap;
use crate::node_api::SessionOptions;
use transcript::Level;

/// A node as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    pub name: String,
    pub connected: bool,
    pub error: Option<String>,
    pub agents: Vec<String>,
    /// A remote node (its sessions outlive this client; quitting detaches from them).
    pub remote: bool,
    /// This client's link to the broker is down and being re-established.
    pub reconnecting: bool,
    /// When its last heartbeat arrived (remote nodes), in `now_ms` time.
    pub last_beat_ms: Option<u64>,
}

/// The new-session form (from the Nodes window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionForm {
    pub node: usize,
    pub agent: String,
    pub yolo: bool,
    pub cwd: String,
    pub timeout_secs: String,
    /// 0 YOLO, 1 working directory, 2 timeout, 3 start.
    pub field: usize,
    /// `session/new` is in flight ("initializing…").
    pub pending: bool,
    pub error: Option<String>,
}

pub const FORM_FIELDS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Nodes,
    Sessions,
    /// The detail of one session (above the Active Sessions overlay).
    Detail(String),
    Form(NewSessionForm),
    Help,
}

/// What the command line asked to open once the nodes have listed their sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// `--continue`: the most recent session (of this working directory when there is one).
    Continue,
    /// `--resume`: the Active Sessions overlay on the history; `--resume ID`: that session
    /// (any unique id prefix).
    Resume(Option<String>),
}

/// A message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMsg {
    pub level: Level,
    pub text: String,
    pub at_ms: u64,
    pub scope: Scope,
}

/// What a status message is about, which decides where and how long it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The app (a node, the clipboard, a file): shown whatever session is on screen.
    App,
    /// One session: shown only while it is on screen.
    Session(String),
    /// One session's running turn: shown only while it is on screen, gone when the turn ends
    /// or the next prompt is sent.
    Turn(String),
}

impl Scope {
    fn session(&self) -> Option<&str> {
        match self {
            Scope::App => None,
            Scope::Session(id) | Scope::Turn(id) => Some(id),
        }
    }
}

pub struct AppState {
    pub nodes: Vec<NodeView>,
    pub sessions: Vec<SessionView>,
    /// The session shown in the chat pane.
    pub active: Option<String>,
    pub overlays: Vec<Overlay>,
    /// Selected row in the Nodes window (over all agents of all nodes).
    pub nodes_sel: usize,
    /// The Active Sessions overlay: its filter and selection.
    pub fleet: fleet::Fleet,
    /// Sessions nodes listed from their history that are not open as views here (sanitized;
    /// replaced per node at each listing).
    pub past: Vec<PastSession>,
    /// Sessions discarded from the overlay: a later listing does not bring them back (they
    /// stay in their node's history on disk).
    pub discarded: std::collections::HashSet<String>,
    /// The session shown before the current one (or before the chat was hidden): the
    /// Active Sessions overlay opens on it.
    pub left: Option<String>,
    /// Tell the user (`Effect::Notify`) when a session not on screen needs them.
    pub notify: bool,
    /// How long ended sessions stay among the live ones in the overlay before they move to
    /// the history group (ms).
    pub ended_keep_ms: u64,
    pub keymap: Keymap,
    pub theme: String,
    pub status: Option<StatusMsg>,
    /// Quitting was asked while sessions would end with the app: waiting for `y` or `n`.
    pub confirm_quit: bool,
    /// The terminal reports the mouse (wheel scrolls; selecting text needs Shift).
    pub mouse_capture: bool,
    /// Ctrl+C on an idle session arms closing; a second press within the window closes it.
    pub close_armed: Option<(String, u64)>,
    pub show_thoughts: bool,
    pub show_tool_output: bool,
    /// Tool calls show their raw input (the JSON the agent sent) besides the summary.
    pub show_tool_input: bool,
    pub history: Vec<String>,
    pub now_ms: u64,
    /// The chat pane's total lines and height at the last draw.
    pub layout: (usize, usize),
    /// The width the prompt was wrapped at in the last frame (0 before the first).
    pub input_width: u16,
    /// Sessions being created: (agent, started at).
    pub starting: Vec<(String, u64)>,
    /// Start this session as soon as the first node connects.
    pub auto_start: Option<SessionOptions>,
    /// The node `auto_start` waits for (`praxis --node NAME`; None: the local node).
    pub auto_start_node: Option<String>,
    /// Problems found at startup (bad config, theme, keymap), shown whole as notices at the
    /// top of the first session's chat.
    pub startup_notices: Vec<String>,
    /// `--continue` / `--resume`: applied when the local node has listed its sessions
    /// (instead of `auto_start`).
    pub launch: Option<Launch>,
    /// `--resume ID` that the local node did not know: tried again when a node daemon lists
    /// its sessions, until the first key.
    pub launch_retry: Option<String>,
    pub default_cwd: String,
    pub default_timeout_secs: u64,
    /// First line shown in the help screen.
    pub help_scroll: usize,
    /// First line shown in the session detail.
    pub detail_scroll: usize,
    /// The completion popup (slash commands, or history search), when open.
    pub completion: Option<slash::Completion>,
    /// Theme names for `/theme`.
    pub themes: Vec<String>,
    /// Node events for sessions not known yet: a session's first updates can arrive before
    /// the answer to `session/new` has been applied. Replayed when the session appears.
    pub early_events: Vec<(usize, crate::node_api::NodeEvent)>,
    /// Where the last transcript was saved (`/copy path`).
    pub last_transcript: Option<std::path::PathBuf>,
    pub quit: bool,
}

/// How many prompts the history keeps.
pub const HISTORY_LIMIT: usize = 1000;

/// How long a first Ctrl+C keeps the close armed.
pub const CLOSE_GUARD_MS: u64 = 3000;

/// How long ended sessions stay among the live ones by default (30 minutes).
pub const ENDED_KEEP_MS: u64 = 30 * 60 * 1000;

impl AppState {
    pub fn new(
        keymap: Keymap,
        theme: String,
        default_cwd: String,
        default_timeout_secs: u64,
    ) -> AppState {
        AppState {
            nodes: Vec::new(),
            sessions: Vec::new(),
            active: None,
            overlays: Vec::new(),
            nodes_sel: 0,
            fleet: fleet::Fleet::default(),
            past: Vec::new(),
            discarded: Default::default(),
            left: None,
            notify: true,
            ended_keep_ms: ENDED_KEEP_MS,
            keymap,
            theme,
            status: None,
            confirm_quit: false,
            mouse_capture: true,
            close_armed: None,
            show_thoughts: true,
            show_tool_output: true,
            show_tool_input: false,
            history: Vec::new(),
            now_ms: 0,
            layout: (0, 0),
            input_width: 0,
            starting: Vec::new(),
            auto_start: None,
            auto_start_node: None,
            startup_notices: Vec::new(),
            launch: None,
            launch_retry: None,
            default_cwd,
            default_timeout_secs,
            help_scroll: 0,
            detail_scroll: 0,
            completion: None,
            themes: Vec::new(),
            early_events: Vec::new(),
            last_transcript: None,
            quit: false,
        }
    }

    pub fn session(&self, id: &str) -> Option<&SessionView> {
        self.sessions.iter().find(|s| s.id == id)
    }

    pub fn session_mut(&mut self, id: &str) -> Option<&mut SessionView> {
        self.sessions.iter_mut().find(|s| s.id == id)
    }

    pub fn active_session(&self) -> Option<&SessionView> {
        self.active.as_deref().and_then(|id| self.session(id))
    }

    pub fn active_session_mut(&mut self) -> Option<&mut SessionView> {
        let id = self.active.clone()?;
        self.session_mut(&id)
    }

    /// Shows session `id` (None hides the chat): the one shown before is remembered as
    /// `left`, and what the new one did while it was not shown is seen now.
    pub fn set_active(&mut self, id: Option<String>) {
        if let Some(prev) = self.active.take() {
            if id.as_deref() != Some(prev.as_str()) {
                self.left = Some(prev);
            }
        }
        if let Some(s) = id.as_deref().and_then(|id| self.session_mut(id)) {
            s.unseen = false;
        }
        self.active = id;
    }

    /// The key context: the top overlay, else the chat (or its permission prompt), else the
    /// Nodes window, which is the home screen when no session is shown.
    pub fn context(&self) -> Context {
        match self.overlays.last() {
            Some(Overlay::Help) => Context::Help,
            Some(Overlay::Form(_)) => Context::Form,
            Some(Overlay::Sessions) => Context::Sessions,
            Some(Overlay::Detail(_)) => Context::Detail,
            Some(Overlay::Nodes) => Context::Nodes,
            None => match self.active_session() {
                Some(s) if s.transcript.has_pending_permission() => Context::Permission,
                Some(_) => Context::Chat,
                None => Context::Nodes,
            },
        }
    }

    /// Whether the screen shows something that changes with time alone, so a clock tick must
    /// redraw it: an overlay (ages, heartbeats), a message that will fade, a busy session, the
    /// close guard, a session being started. An idle chat redraws for nothing.
    pub fn ticking(&self) -> bool {
        !self.overlays.is_empty()
            || self.status.is_some()
            || self.close_armed.is_some()
            || !self.starting.is_empty()
            || self.sessions.iter().any(|s| s.status.is_busy())
    }

    /// (sessions that end if the app quits: live in this process or with a turn running,
    /// of which with a turn running).
    pub fn ending_on_quit(&self) -> (usize, usize) {
        let here = |s: &SessionView| {
            s.status.is_live() && self.nodes.get(s.node).is_some_and(|n| !n.remote)
        };
        let ending = self
            .sessions
            .iter()
            .filter(|s| s.prompt_in_flight || here(s))
            .count();
        let working = self.sessions.iter().filter(|s| s.prompt_in_flight).count();
        (ending, working)
    }

    /// Whether the Nodes window is visible (opened, or as the home screen).
    pub fn nodes_visible(&self) -> bool {
        self.overlays.contains(&Overlay::Nodes) || self.active_session().is_none()
    }

    /// (node index, agent name) rows of the Nodes window.
    pub fn agent_rows(&self) -> Vec<(usize, String)> {
        self.nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.agents.iter().map(move |a| (i, a.clone())))
            .collect()
    }

    /// How many sessions are live.
    pub fn live_count(&self) -> usize {
        self.sessions.iter().filter(|s| s.status.is_live()).count()
    }

    /// A message about the app (see [`Scope`]); it replaces the one shown.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.say_in(Scope::App, level, text);
    }

    /// A message in `scope`; it replaces the one shown.
    pub fn say_in(&mut self, scope: Scope, level: Level, text: impl Into<String>) {
        self.status = Some(StatusMsg {
            level,
            text: text.into(),
            at_ms: self.now_ms,
            scope,
        });
    }

    /// A message about the session on screen (about the app when none is).
    pub fn say_here(&mut self, level: Level, text: impl Into<String>) {
        let scope = self.active.clone().map_or(Scope::App, Scope::Session);
        self.say_in(scope, level, text);
    }

    /// The status message to show now: not faded, and about the app or the session on screen.
    pub fn shown_status(&self) -> Option<&StatusMsg> {
        self.status.as_ref().filter(|m| {
            self.now_ms.saturating_sub(m.at_ms) <= message_ms(m.level)
                && m.scope
                    .session()
                    .is_none_or(|id| self.active.as_deref() == Some(id))
        })
    }

    /// Ends the messages about session `id`'s turn (it ended, or the next prompt went out).
    pub fn end_turn_messages(&mut self, id: &str) {
        if matches!(&self.status, Some(StatusMsg { scope: Scope::Turn(t), .. }) if t == id) {
            self.status = None;
        }
    }

    pub fn form_mut(&mut self) -> Option<&mut NewSessionForm> {
        self.overlays.iter_mut().rev().find_map(|o| match o {
            Overlay::Form(f) => Some(f),
            _ => None,
        })
    }
}

/// How long a status message other than an error stays in the status bar, in ms.
pub const MESSAGE_MS: u64 = 8000;

/// How long an error stays in the status bar, in ms (it is also in the log or transcript).
pub const ERROR_MS: u64 = 30_000;

/// How long a message of `level` stays in the status bar.
pub fn message_ms(level: Level) -> u64 {
    if level == Level::Error {
        ERROR_MS
    } else {
        MESSAGE_MS
    }
}

/// Applies one action; returns the effects for the runtime to carry out.
pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Key(key) => {
            state.launch_retry = None;
            keys::on_key(state, key, &mut fx)
        }
        Action::Paste(text) => keys::on_paste(state, &text),
        Action::Mouse(m) => keys::on_mouse(state, m),
        Action::Tick { now_ms } => {
            if state.now_ms == 0 {
                // Sessions seen before the first tick got time 0: they were active just now.
                for s in state
                    .sessions
                    .iter_mut()
                    .filter(|s| s.last_activity_ms == 0)
                {
                    s.last_activity_ms = now_ms;
                }
            }
            state.now_ms = now_ms;
            // A message said before the clock was known starts its life now.
            if let Some(m) = state.status.as_mut().filter(|m| m.at_ms == 0) {
                m.at_ms = now_ms;
            }
            // A message that has faded is gone (and stops the clock redrawing for it).
            if state
                .status
                .as_ref()
                .is_some_and(|m| now_ms.saturating_sub(m.at_ms) > message_ms(m.level))
            {
                state.status = None;
            }
            if let Some((_, at)) = &state.close_armed {
                if now_ms.saturating_sub(*at) > CLOSE_GUARD_MS {
                    state.close_armed = None;
                }
            }
        }
        Action::Layout {
            total,
            height,
            input_width,
        } => {
            state.layout = (total, height);
            state.input_width = input_width;
        }
        other => events::on_event(state, other, &mut fx),
    }
    fx
}

#[cfg(test)]
mod agent_command_tests;
#[cfg(test)]
mod cost_tests;
#[cfg(test)]
mod draft_tests;
#[cfg(test)]
mod fleet_support;
#[cfg(test)]
mod fleet_tests;
#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod options_tests;
#[cfg(test)]
mod quit_tests;
#[cfg(test)]
mod remote_tests;
#[cfg(test)]
mod start_tests;
#[cfg(test)]
mod status_tests;
#[cfg(test)]
mod switch_tests;
#[cfg(test)]
mod tests;
