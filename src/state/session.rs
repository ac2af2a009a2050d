//! One session as the client sees it: identity, lifecycle status, options, transcript, input
//! draft, scroll position, and what the agent advertised (commands, modes, usage).

use super::transcript::Transcript;
use crate::node_api::SessionStatus;
use tui_textarea::TextArea;

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
    pub input: TextArea<'static>,
    pub scroll: Scroll,
    pub prompt_in_flight: bool,
    pub commands: Vec<AgentCommand>,
    pub modes: Vec<String>,
    pub mode: Option<String>,
    pub context_used: Option<(u64, u64)>,
    pub tokens: (u64, u64),
    /// Index into the prompt history while recalling with Up/Down.
    pub history_pos: Option<usize>,
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
            input: new_input(),
            scroll: Scroll::Follow,
            prompt_in_flight: false,
            commands: Vec::new(),
            modes: Vec::new(),
            mode: None,
            context_used: None,
            tokens: (0, 0),
            history_pos: None,
        }
    }

    pub fn input_text(&self) -> String {
        self.input.lines().join("\n")
    }

    pub fn set_input(&mut self, text: &str) {
        let mut ta = TextArea::new(text.split('\n').map(str::to_owned).collect());
        ta.set_cursor_line_style(ratatui::style::Style::default());
        ta.move_cursor(tui_textarea::CursorMove::Bottom);
        ta.move_cursor(tui_textarea::CursorMove::End);
        self.input = ta;
    }

    /// Applies an editing key to the input.
    pub fn edit(&mut self, key: crate::key::Key) {
        use crate::key::{KeyCode as C, Modifiers as M};
        use tui_textarea::Key as T;
        let k = match key.code {
            C::Char(c) => T::Char(c),
            C::Enter => T::Enter,
            C::Tab => T::Tab,
            C::BackTab => T::Tab,
            C::Backspace => T::Backspace,
            C::Delete => T::Delete,
            C::Insert => return,
            C::Home => T::Home,
            C::End => T::End,
            C::PageUp => T::PageUp,
            C::PageDown => T::PageDown,
            C::Up => T::Up,
            C::Down => T::Down,
            C::Left => T::Left,
            C::Right => T::Right,
            C::Esc => T::Esc,
            C::F(n) => T::F(n),
        };
        self.input.input(tui_textarea::Input {
            key: k,
            ctrl: key.modifiers.contains(M::CONTROL),
            alt: key.modifiers.contains(M::ALT),
            shift: key.modifiers.contains(M::SHIFT),
        });
    }

    pub fn clear_input(&mut self) {
        self.input = new_input();
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

fn new_input() -> TextArea<'static> {
    let mut ta = TextArea::default();
    ta.set_cursor_line_style(ratatui::style::Style::default());
    ta.set_placeholder_text("Type a prompt · Enter sends · Shift+Enter newline · F1 help");
    ta
}
