//! One transcript entry as lines: the role header (status glyph, `agent · model · ⇡ in ⇣ out`
//! or `▸ you`), a colored rail down the body, and the body's parts: markdown (streamed
//! incrementally through [`MdStream`]), thoughts, tool calls (`tool_view.rs`),
//! plans, permission prompts, notices, and unknown updates shown raw.
//!
//! Layout is cached per entry by (revision, width, theme, toggles); markdown text keeps its
//! own block cache, so a streaming answer only re-renders its open tail.

use super::grown::Grown;
use super::md_stream::MdStream;
use super::theme_view::ThemeView;
use crate::state::transcript::{AgentTurn, Entry, EntryKind, Item, Level, Permission, TurnState};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A run of lines in an entry.
pub enum Part {
    Lines(Vec<Line<'static>>),
    /// Markdown body lines; the rail is added when drawn. With a `guide` (a tool's output),
    /// the lines are drawn [`GUIDE`]'s width further in, after it in that style.
    Markdown {
        stream: Box<MdStream>,
        count: usize,
        guide: Option<Style>,
    },
    /// Lines of a text that grows (a thought, a tool's output), extended in place: `at` is
    /// (item index, which text of it), how the next layout finds it again.
    Grown {
        at: (usize, u8),
        grown: Box<Grown>,
    },
}

/// What a tool's output is drawn after, below its header, and its width.
pub const GUIDE: &str = "  │ ";
const GUIDE_WIDTH: u16 = 4;

/// The width markdown is laid out at inside `body_width`, after its guide if it has one.
pub fn markdown_width(body_width: u16, guide: Option<Style>) -> u16 {
    match guide {
        Some(_) => body_width.saturating_sub(GUIDE_WIDTH).max(1),
        None => body_width,
    }
}

/// Growing texts of an entry's previous layout, by (item index, which text).
type Kept = std::collections::HashMap<(usize, u8), Box<Grown>>;

pub struct EntryLayout {
    pub rev: u64,
    pub width: u16,
    pub key: u64,
    pub parts: Vec<Part>,
    pub height: usize,
    pub rail: Style,
    pub rail_glyph: &'static str,
    /// The parts were dropped to save memory (the entry is far off screen); `height` is still
    /// right for (rev, width, key), and the parts are built again when it comes into view.
    pub evicted: bool,
}

/// What changes the layout besides the entry itself.
/// What the chat shows, besides the entries themselves.
#[derive(Debug, Clone, Copy)]
pub struct Show<'a> {
    pub thoughts: bool,
    pub tools: bool,
    /// Tool calls show their raw input besides the summary.
    pub raw_input: bool,
    /// How to answer a permission request, from the keymap ("1-9 or ↑↓ + Enter to choose ·
    /// Esc rejects").
    pub permission_hint: &'a str,
    /// The session's directory (tool paths are shown relative to it).
    pub cwd: &'a str,
}

/// What a layout depends on besides the entry: the theme's generation and the toggles.
pub fn layout_key(style_gen: u64, show: &Show<'_>) -> u64 {
    style_gen << 3 | (show.raw_input as u64) << 2 | (show.thoughts as u64) << 1 | show.tools as u64
}

impl EntryLayout {
    pub fn new() -> EntryLayout {
        EntryLayout {
            rev: u64::MAX,
            width: 0,
            key: u64::MAX,
            parts: Vec::new(),
            height: 0,
            rail: Style::default(),
            rail_glyph: "│ ",
            evicted: false,
        }
    }

    /// Drops the laid-out lines, keeping the height (see [`evicted`](Self::evicted)).
    pub fn evict(&mut self) {
        self.parts = Vec::new();
        self.evicted = true;
    }

    /// Whether the layout is that of `entry` at `width` with `key`.
    pub fn fresh(&self, entry: &Entry, width: u16, key: u64) -> bool {
        self.rev == entry.rev && self.width == width && self.key == key
    }

    /// Brings the layout up to date with `entry` at `width`.
    pub fn refresh(&mut self, entry: &Entry, width: u16, key: u64, t: &ThemeView, show: &Show<'_>) {
        if self.fresh(entry, width, key) && !self.evicted {
            return;
        }
        self.evicted = false;
        if self.key != key {
            self.parts.clear();
        }
        self.rev = entry.rev;
        self.width = width;
        self.key = key;
        let body_width = width.saturating_sub(2).max(1);
        // Keep markdown streams (by position) and growing texts (by item) so streaming stays
        // incremental.
        let mut streams: Vec<MdStream> = Vec::new();
        let mut kept = Kept::new();
        for p in self.parts.drain(..) {
            match p {
                Part::Markdown { stream, .. } => streams.push(*stream),
                Part::Grown { at, grown } => drop(kept.insert(at, grown)),
                Part::Lines(_) => {}
            }
        }
        streams.reverse();
        let mut parts = Vec::new();
        match &entry.kind {
            EntryKind::User { text } => {
                self.rail = t.style("role.user.rail");
                self.rail_glyph = "┃ ";
                let mut lines = vec![Line::from(Span::styled(
                    "▸ you",
                    t.style("role.user.header"),
                ))];
                for l in text.split('\n') {
                    for w in super::text_wrap::wrap_plain(l, body_width as usize) {
                        lines.push(Line::from(Span::styled(w, t.style("ui.text"))));
                    }
                }
                lines.push(Line::default());
                parts.push(Part::Lines(lines));
            }
            EntryKind::Notice { level, text } => {
                self.rail = Style::default();
                self.rail_glyph = "  ";
                let (scope, mark) = match level {
                    Level::Info => ("info", "ℹ"),
                    Level::Warning => ("warning", "⚠"),
                    Level::Error => ("error", "✗"),
                };
                // Line breaks are kept; lines after the first align under its text.
                let mut lines: Vec<Line<'static>> = Vec::new();
                for (i, l) in text.split('\n').enumerate() {
                    let lead = if i == 0 {
                        format!("{mark} ")
                    } else {
                        "  ".into()
                    };
                    lines.extend(
                        super::text_wrap::wrap_plain(&format!("{lead}{l}"), body_width as usize)
                            .into_iter()
                            .map(|w| Line::from(Span::styled(w, t.style(scope)))),
                    );
                }
                lines.push(Line::default());
                parts.push(Part::Lines(lines));
            }
            EntryKind::Agent(turn) => {
                self.rail = t.style("role.agent.rail");
                self.rail_glyph = "│ ";
                parts.push(Part::Lines(vec![header(turn, t)]));
                for (i, item) in turn.items.iter().enumerate() {
                    let mut out = Out {
                        streams: &mut streams,
                        kept: &mut kept,
                        parts: &mut parts,
                    };
                    agent_item(i, item, turn, body_width, t, show, &mut out);
                }
                if turn.state != TurnState::Streaming {
                    if let Some(note) = end_note(&turn.state) {
                        parts.push(Part::Lines(vec![Line::from(Span::styled(
                            note,
                            t.style("ui.dim"),
                        ))]));
                    }
                }
                parts.push(Part::Lines(vec![Line::default()]));
            }
        }
        for p in &mut parts {
            if let Part::Markdown {
                stream,
                count,
                guide,
            } = p
            {
                let w = markdown_width(body_width, *guide);
                *count = stream.line_count(w, &t.md, t.generation, &t.highlighter, &t.syntax);
            }
        }
        self.height = parts
            .iter()
            .map(|p| match p {
                Part::Lines(l) => l.len(),
                Part::Markdown { count, .. } => *count,
                Part::Grown { grown, .. } => grown.shown,
            })
            .sum();
        self.parts = parts;
    }
}

impl Default for EntryLayout {
    fn default() -> Self {
        Self::new()
    }
}

fn end_note(state: &TurnState) -> Option<String> {
    match state {
        TurnState::Done | TurnState::Streaming => None,
        TurnState::Cancelled => Some("◼ cancelled".into()),
        TurnState::Stopped(r) => Some(format!("◼ stopped: {r}")),
        TurnState::Failed(r) => Some(format!("✗ failed: {r}")),
    }
}

fn header(turn: &AgentTurn, t: &ThemeView) -> Line<'static> {
    let (glyph, scope) = match turn.state {
        TurnState::Streaming => ("◐", "role.agent.glyph.streaming"),
        TurnState::Done => ("●", "role.agent.glyph.done"),
        TurnState::Cancelled | TurnState::Stopped(_) => ("○", "role.agent.glyph.done"),
        TurnState::Failed(_) => ("✗", "role.agent.glyph.failed"),
    };
    let mut text = turn.agent.clone();
    if let Some(m) = &turn.model {
        text.push_str(" · ");
        text.push_str(m);
    }
    if let (Some(i), Some(o)) = (turn.tokens_in, turn.tokens_out) {
        text.push_str(&format!(" · ⇡ {} ⇣ {}", thousands(i), thousands(o)));
    }
    Line::from(vec![
        Span::styled(format!("{glyph} "), t.style(scope)),
        Span::styled(text, t.style("role.agent.header")),
    ])
}

/// Whether `src` continues `seen` (text in the state only grows by appending). Checks the
/// length and the last bytes seen, not the whole prefix, so streaming stays linear.
fn extends(src: &str, seen: &str) -> bool {
    let n = seen.len();
    if src.len() < n {
        return false;
    }
    let from = n.saturating_sub(64);
    src.as_bytes()[from..n] == seen.as_bytes()[from..]
}

/// 2311 → "2,311".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where an item's parts go, and what the previous layout left to build on.
pub(super) struct Out<'a> {
    streams: &'a mut Vec<MdStream>,
    kept: &'a mut Kept,
    pub(super) parts: &'a mut Vec<Part>,
}

impl Out<'_> {
    /// Markdown `src` (grown by appending), through the next stream the previous layout left.
    pub(super) fn markdown(&mut self, src: &str, open: bool, guide: Option<Style>) {
        let mut stream = self.streams.pop().unwrap_or_default();
        if !extends(src, stream.source()) {
            stream = MdStream::default();
        }
        let have = stream.source().len();
        if src.len() > have {
            stream.push(&src[have..]);
        }
        if !open {
            stream.finish();
        }
        self.parts.push(Part::Markdown {
            stream: Box::new(stream),
            count: 0,
            guide,
        });
    }

    /// The growing text `at` brought up to `text`.
    pub(super) fn grow(
        &mut self,
        at: (usize, u8),
        text: &str,
        width: usize,
        wrap: &dyn Fn(&str) -> Vec<Line<'static>>,
    ) {
        let old = self.kept.remove(&at).map(|g| *g);
        let grown = Box::new(Grown::update(old, text, width, wrap));
        self.parts.push(Part::Grown { at, grown });
    }
}

fn agent_item(
    index: usize,
    item: &Item,
    turn: &AgentTurn,
    width: u16,
    t: &ThemeView,
    show: &Show<'_>,
    out: &mut Out<'_>,
) {
    let w = width as usize;
    let styled = |s: String, scope: &str| Line::from(Span::styled(s, t.style(scope)));
    let wrapped = |text: &str, scope: &str, indent: &str| -> Vec<Line<'static>> {
        let indent_width = unicode_width::UnicodeWidthStr::width(indent);
        super::text_wrap::wrap_plain(text, w.saturating_sub(indent_width).max(1))
            .into_iter()
            .map(|l| Line::from(Span::styled(format!("{indent}{l}"), t.style(scope))))
            .collect()
    };
    match item {
        Item::Text(src) => out.markdown(src, turn.state == TurnState::Streaming, None),
        Item::Thought(text) => {
            if show.thoughts {
                out.grow((index, 0), text, w, &|l| wrapped(l, "thought", "💭 "));
            } else {
                out.parts.push(Part::Lines(vec![styled(
                    "💭 … (thoughts hidden · Alt+T)".into(),
                    "thought",
                )]));
            }
        }
        Item::Tool(tool) => super::tool_view::parts(index, tool, w, t, show, out),
        Item::Plan(steps) => {
            let mut lines = vec![styled("Plan".into(), "tool.title")];
            for (step, status) in steps {
                let (mark, scope) = match status.as_str() {
                    "completed" => ("☑", "plan.completed"),
                    "in_progress" => ("◐", "plan.in_progress"),
                    _ => ("☐", "plan.pending"),
                };
                lines.extend(wrapped(&format!("{mark} {step}"), scope, "  "));
            }
            out.parts.push(Part::Lines(lines));
        }
        Item::Permission(p) => {
            out.parts
                .push(Part::Lines(permission_lines(p, w, t, show.permission_hint)))
        }
        Item::AutoApproved(title) => out.parts.push(Part::Lines(wrapped(
            &format!("⚡ auto-approved (YOLO): {title}"),
            "warning",
            "",
        ))),
        Item::Raw { kind, json } => {
            let mut lines = vec![styled(format!("[{kind}] (unknown update)"), "ui.dim")];
            lines.extend(wrapped(json, "ui.dim", "  "));
            out.parts.push(Part::Lines(lines));
        }
    }
}

fn permission_lines(p: &Permission, w: usize, t: &ThemeView, hint: &str) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for l in super::text_wrap::wrap_plain(&format!("⚠ Permission requested: {}", p.title), w.max(1))
    {
        lines.push(Line::from(Span::styled(l, t.style("permission"))));
    }
    match &p.answered {
        Some(answer) => lines.push(Line::from(Span::styled(
            format!("  → {answer}"),
            t.style("ui.dim"),
        ))),
        None => {
            for (i, o) in p.options.iter().enumerate() {
                let selected = i == p.selected;
                let scope = if selected {
                    "permission.option.selected"
                } else {
                    "ui.text"
                };
                let pointer = if selected { "›" } else { " " };
                lines.push(Line::from(Span::styled(
                    format!("{pointer} {}. {}", i + 1, o.name),
                    t.style(scope),
                )));
            }
            lines.push(Line::from(Span::styled(
                format!("  {hint}"),
                t.style("ui.dim"),
            )));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(246), "246");
        assert_eq!(thousands(2311), "2,311");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
