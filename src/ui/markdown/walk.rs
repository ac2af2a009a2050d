//! The walk over one block's pulldown-cmark events that turns them into wrapped lines: list
//! markers and quote bars as line prefixes, inline styles, links, code blocks, tables. It keeps
//! all of its state in a cloneable [`WalkState`], so a half-walked block can be resumed (see
//! [`partial`](super::partial)). It never sees raw agent text: callers sanitize first.

use super::BlockCtx;
use crate::ui::highlight::expand_tabs;
use crate::ui::wrap::{self, Piece, TableData, Wrapper};
use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use std::borrow::Cow;

const BULLETS: [&str; 4] = ["• ", "◦ ", "▪ ", "‣ "];
const QUOTE_BAR: &str = "▌ ";

#[derive(Clone)]
enum Frame {
    Quote,
    Item {
        marker: Vec<Span<'static>>,
        indent: usize,
        used: bool,
    },
}

/// Everything a walk keeps between events (cloneable: a snapshot of a half-walked block).
#[derive(Clone, Default)]
pub(super) struct WalkState {
    frames: Vec<Frame>,
    /// Next number of each open list (None: bullets).
    lists: Vec<Option<u64>>,
    pub(super) wrap: Option<Wrapper>,
    /// Base style of the paragraph or heading opened but not yet given text.
    pub(super) para_style: Option<Style>,
    /// Inline style stack; the bottom is the paragraph's base style.
    pub(super) inline: Vec<Style>,
    /// Open links: (url, text so far).
    links: Vec<(String, String)>,
    pub(super) code: Option<(String, String)>,
    pub(super) table: Option<(TableData, Vec<Vec<Piece>>)>,
    cell: Option<Vec<Piece>>,
    /// A blank line is due before the next block.
    blank: bool,
    /// The number the first top-level list starts at (overrides the source's).
    pub(super) list_start: Option<u64>,
}

pub(super) struct Walker<'c, 'o> {
    pub(super) cx: &'c BlockCtx<'c>,
    pub(super) st: WalkState,
    pub(super) out: &'o mut Vec<Line<'static>>,
}

impl<'c, 'o> Walker<'c, 'o> {
    /// A walk at the start of a block.
    pub(super) fn new(cx: &'c BlockCtx<'c>, out: &'o mut Vec<Line<'static>>) -> Self {
        let st = WalkState {
            list_start: cx.list_start,
            ..WalkState::default()
        };
        Walker { cx, st, out }
    }

    fn in_item(&self) -> bool {
        self.st
            .frames
            .iter()
            .any(|f| matches!(f, Frame::Item { .. }))
    }

    pub(super) fn in_quote(&self) -> bool {
        self.st.frames.iter().any(|f| matches!(f, Frame::Quote))
    }

    fn base(&self) -> Style {
        if self.in_quote() {
            self.cx.styles.text.patch(self.cx.styles.quote)
        } else {
            self.cx.styles.text
        }
    }

    pub(super) fn cur_style(&self) -> Style {
        self.st
            .inline
            .last()
            .copied()
            .unwrap_or_else(|| self.base())
    }

    fn push_style(&mut self, f: impl FnOnce(Style) -> Style) {
        let s = f(self.cur_style());
        if self.st.inline.is_empty() {
            self.st.inline.push(self.base());
        }
        self.st.inline.push(s);
    }

    fn pop_style(&mut self) {
        self.st.inline.pop();
    }

    /// The prefixes of the next line and of the lines after it; list markers count as shown.
    pub(super) fn prefixes(&mut self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let quote = self.cx.styles.quote;
        let (mut first, mut rest) = (Vec::new(), Vec::new());
        for f in &mut self.st.frames {
            match f {
                Frame::Quote => {
                    first.push(Span::styled(QUOTE_BAR, quote));
                    rest.push(Span::styled(QUOTE_BAR, quote));
                }
                Frame::Item {
                    marker,
                    indent,
                    used,
                } => {
                    if *used {
                        first.push(Span::raw(" ".repeat(*indent)));
                    } else {
                        first.extend(marker.iter().cloned());
                        *used = true;
                    }
                    rest.push(Span::raw(" ".repeat(*indent)));
                }
            }
        }
        (first, rest)
    }

    fn blank_line(&mut self) {
        let mut spans: Vec<Span<'static>> = Vec::new();
        for f in &self.st.frames {
            match f {
                Frame::Quote => spans.push(Span::styled(QUOTE_BAR, self.cx.styles.quote)),
                Frame::Item { indent, .. } => spans.push(Span::raw(" ".repeat(*indent))),
            }
        }
        while let Some(last) = spans.last_mut() {
            let trimmed = last.content.trim_end().to_string();
            if trimmed.is_empty() {
                spans.pop();
            } else {
                last.content = trimmed.into();
                break;
            }
        }
        let (spans, _) = wrap::fit_prefix(spans, self.cx.width + 1);
        self.out.push(Line::from(spans));
    }

    fn start_block(&mut self) {
        self.flush_inline();
        if self.st.blank && !self.in_item() {
            self.blank_line();
        }
        self.st.blank = false;
    }

    fn end_block(&mut self) {
        self.flush_inline();
        if !self.in_item() {
            self.st.blank = true;
        }
    }

    fn ensure_wrap(&mut self) {
        if self.st.wrap.is_none() {
            let base = self.st.para_style.take().unwrap_or_else(|| self.base());
            let (first, rest) = self.prefixes();
            self.st.wrap = Some(Wrapper::new(self.cx.width, first, rest));
            // Styles opened before the first text (a paragraph that starts with `**`) stay on.
            if self.st.inline.is_empty() {
                self.st.inline.push(base);
            }
        }
    }

    pub(super) fn flush_inline(&mut self) {
        if let Some(w) = self.st.wrap.take() {
            w.finish(self.out);
        }
        self.st.inline.clear();
        self.st.para_style = None;
    }

    /// Inline text in `style` to wherever it goes (a table cell, a code block, the paragraph).
    pub(super) fn text(&mut self, text: &str, style: Style) {
        if let Some((_, code)) = &mut self.st.code {
            code.push_str(text);
            return;
        }
        let text = if text.contains('\t') {
            Cow::Owned(text.replace('\t', " "))
        } else {
            Cow::Borrowed(text)
        };
        if let Some((_, t)) = self.st.links.last_mut() {
            t.push_str(&text);
        }
        if let Some(cell) = &mut self.st.cell {
            cell.push((text.replace('\n', " "), style));
            return;
        }
        self.ensure_wrap();
        let (Some(w), out) = (&mut self.st.wrap, &mut *self.out) else {
            return;
        };
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                w.newline(out);
            }
            w.push(line, style, out);
        }
    }

    fn line_break(&mut self) {
        if self.st.cell.is_some() {
            self.text(" ", self.cur_style());
        } else if self.st.code.is_none() {
            self.ensure_wrap();
            if let Some(w) = &mut self.st.wrap {
                w.newline(self.out);
            }
        }
    }

    fn emit_code(&mut self) {
        let Some((lang, code)) = self.st.code.take() else {
            return;
        };
        let (first, rest) = self.prefixes();
        let styles = self.cx.styles;
        let width = self.cx.width;
        let lines = if self.cx.open || lang.is_empty() {
            None
        } else {
            let hl = self.cx.hl;
            if self.cx.defer {
                hl.peek(&code, &lang, self.cx.theme)
            } else {
                hl.request(&code, &lang, self.cx.theme)
            }
        };
        let pieces: Vec<Vec<Piece>> = match lines {
            Some(lines) => lines
                .into_iter()
                .map(|l| {
                    l.spans
                        .into_iter()
                        .map(|s| (s.content.into_owned(), styles.code_block.patch(s.style)))
                        .collect()
                })
                .collect(),
            None => {
                let body = code.strip_suffix('\n').unwrap_or(&code);
                if body.is_empty() && code.is_empty() {
                    Vec::new()
                } else {
                    body.split('\n')
                        .map(|l| vec![(expand_tabs(l, &mut 0), styles.code_block)])
                        .collect()
                }
            }
        };
        for (i, p) in pieces.iter().enumerate() {
            wrap::hard_wrap(
                p,
                width,
                if i == 0 { &first } else { &rest },
                &rest,
                self.out,
            );
        }
    }

    fn end_table(&mut self) {
        let Some((data, _)) = self.st.table.take() else {
            return;
        };
        let (first, rest) = self.prefixes();
        wrap::table(
            &data,
            self.cx.width,
            self.cx.styles.table_border,
            &first,
            &rest,
            self.out,
        );
    }

    fn start_item(&mut self) {
        self.flush_inline();
        let depth = self.st.lists.len().saturating_sub(1);
        let text = match self.st.lists.last_mut() {
            Some(Some(n)) => {
                *n += 1;
                format!("{}. ", *n - 1)
            }
            _ => BULLETS[depth % BULLETS.len()].to_string(),
        };
        let indent = wrap::str_width(&text);
        let marker = vec![Span::styled(text, self.cx.styles.bullet)];
        self.st.frames.push(Frame::Item {
            marker,
            indent,
            used: false,
        });
    }

    fn task(&mut self, done: bool) {
        let ordered = matches!(self.st.lists.last(), Some(Some(_)));
        let s = self.cx.styles;
        let (glyph, style) = if done {
            ("☑ ", s.task_done)
        } else {
            ("☐ ", s.task_open)
        };
        if let Some(Frame::Item {
            marker,
            indent,
            used: false,
        }) = self.st.frames.last_mut()
        {
            if !ordered {
                marker.clear();
            }
            marker.push(Span::styled(glyph, style));
            *indent = marker.iter().map(|s| wrap::str_width(&s.content)).sum();
        }
    }

    /// Handles one event; false stops the walk (an open block reached a table).
    pub(super) fn event(&mut self, ev: Event<'_>) -> bool {
        let s = self.cx.styles;
        match ev {
            Event::Start(tag) => match tag {
                Tag::Paragraph => {
                    self.start_block();
                    self.st.para_style = Some(self.base());
                }
                Tag::Heading { level, .. } => {
                    self.start_block();
                    let n = level as usize;
                    self.st.para_style = Some(s.heading[(n - 1).min(2)]);
                    self.ensure_wrap();
                    let st = self.cur_style();
                    self.text(&format!("{} ", "#".repeat(n)), st);
                }
                Tag::BlockQuote(_) => {
                    self.start_block();
                    self.st.frames.push(Frame::Quote);
                }
                Tag::CodeBlock(kind) => {
                    self.start_block();
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => info
                            .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                            .next()
                            .unwrap_or("")
                            .to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    self.st.code = Some((lang, String::new()));
                }
                Tag::HtmlBlock
                | Tag::FootnoteDefinition(_)
                | Tag::DefinitionList
                | Tag::MetadataBlock(_) => self.start_block(),
                Tag::DefinitionListTitle | Tag::DefinitionListDefinition => self.flush_inline(),
                Tag::List(start) => {
                    if self.in_item() {
                        self.flush_inline();
                    } else {
                        self.start_block();
                    }
                    let start = match self.st.list_start.take() {
                        Some(n) if self.st.lists.is_empty() && start.is_some() => Some(n),
                        _ => start,
                    };
                    self.st.lists.push(start);
                }
                Tag::Item => self.start_item(),
                Tag::Table(aligns) => {
                    if self.cx.open {
                        self.flush_inline();
                        return false;
                    }
                    self.start_block();
                    self.st.table = Some((
                        TableData {
                            aligns,
                            ..TableData::default()
                        },
                        Vec::new(),
                    ));
                }
                Tag::TableHead | Tag::TableRow => {
                    if let Some((_, row)) = &mut self.st.table {
                        row.clear();
                    }
                }
                Tag::TableCell => {
                    self.st.cell = Some(Vec::new());
                    self.st.inline = vec![s.text];
                }
                Tag::Emphasis => self.push_style(|c| c.patch(s.italic)),
                Tag::Strong => self.push_style(|c| c.patch(s.bold)),
                Tag::Strikethrough => self.push_style(|c| c.add_modifier(Modifier::CROSSED_OUT)),
                Tag::Superscript | Tag::Subscript => self.push_style(|c| c),
                Tag::Link { dest_url, .. } => {
                    self.push_style(|c| c.patch(s.link));
                    self.st.links.push((dest_url.to_string(), String::new()));
                }
                Tag::Image { dest_url, .. } => {
                    self.push_style(|c| c.patch(s.link));
                    self.text("[image: ", self.cur_style());
                    self.st.links.push((dest_url.to_string(), String::new()));
                }
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::HtmlBlock => self.end_block(),
                TagEnd::BlockQuote(_) => {
                    self.flush_inline();
                    self.st.frames.pop();
                    self.end_block();
                }
                TagEnd::CodeBlock => {
                    self.emit_code();
                    self.end_block();
                }
                TagEnd::FootnoteDefinition | TagEnd::DefinitionList | TagEnd::MetadataBlock(_) => {
                    self.end_block()
                }
                TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition => {
                    self.flush_inline()
                }
                TagEnd::List(_) => {
                    self.flush_inline();
                    self.st.lists.pop();
                    self.end_block();
                }
                TagEnd::Item => {
                    self.flush_inline();
                    if matches!(self.st.frames.last(), Some(Frame::Item { used: false, .. })) {
                        let (first, _) = self.prefixes();
                        self.out
                            .push(Line::from(wrap::fit_prefix(first, self.cx.width + 1).0));
                    }
                    self.st.frames.pop();
                }
                TagEnd::Table => {
                    self.end_table();
                    self.end_block();
                }
                TagEnd::TableHead | TagEnd::TableRow => {
                    if let Some((data, row)) = &mut self.st.table {
                        data.rows.push(std::mem::take(row));
                        if tag == TagEnd::TableHead {
                            data.header_rows = data.rows.len();
                        }
                    }
                }
                TagEnd::TableCell => {
                    let cell = self.st.cell.take().unwrap_or_default();
                    if let Some((_, row)) = &mut self.st.table {
                        row.push(cell);
                    }
                    self.st.inline.clear();
                }
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript => self.pop_style(),
                TagEnd::Link | TagEnd::Image => {
                    if tag == TagEnd::Image {
                        self.text("]", self.cur_style());
                    }
                    self.pop_style();
                    if let Some((url, text)) = self.st.links.pop() {
                        let text = text.trim_end_matches(']');
                        let shown = url.is_empty()
                            || url == text
                            || url.strip_prefix("mailto:") == Some(text);
                        if !shown {
                            let style = self.cur_style().patch(s.link).add_modifier(Modifier::DIM);
                            self.text(&format!(" ({url})"), style);
                        }
                    }
                }
            },
            Event::Text(t) => self.text(&t, self.cur_style()),
            Event::Code(t) => self.text(&t, self.cur_style().patch(s.code)),
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.text(&t, self.cur_style().patch(s.code))
            }
            Event::Html(t) | Event::InlineHtml(t) => self.text(&t, self.cur_style()),
            Event::FootnoteReference(t) => self.text(&format!("[^{t}]"), self.cur_style()),
            Event::SoftBreak | Event::HardBreak => self.line_break(),
            Event::Rule => {
                self.start_block();
                let (first, _) = self.prefixes();
                let (first, used) = wrap::fit_prefix(first, self.cx.width);
                let rule = "─".repeat(self.cx.width - used);
                let mut spans = first;
                spans.push(Span::styled(rule, s.rule));
                self.out.push(Line::from(spans));
                self.end_block();
            }
            Event::TaskListMarker(done) => self.task(done),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hl, styles};
    use super::super::{render_block, BlockCtx, MdStyles};
    use super::*;

    #[test]
    fn markup_opening_a_paragraph_styles_all_of_its_text() {
        // The first text dropped the styles opened before it: `b c` was drawn plain.
        let styles = MdStyles {
            italic: Style::default().add_modifier(Modifier::ITALIC),
            ..styles()
        };
        let cx = BlockCtx {
            width: 40,
            styles: &styles,
            hl: hl(),
            theme: "base16-ocean.dark",
            open: false,
            list_start: None,
            defer: false,
        };
        let (b, i) = (styles.bold, styles.italic);
        for (src, want) in [
            ("**a *b* c**", vec![("a ", b), ("b", b.patch(i)), (" c", b)]),
            (
                "**a `c` d**",
                vec![("a ", b), ("c", b.patch(styles.code)), (" d", b)],
            ),
            (
                "- **a *b* c**",
                vec![
                    ("• ", styles.bullet),
                    ("a ", b),
                    ("b", b.patch(i)),
                    (" c", b),
                ],
            ),
        ] {
            let mut out = Vec::new();
            render_block(src, &cx, &mut out);
            let got: Vec<(&str, Style)> = out[0]
                .spans
                .iter()
                .map(|s| (s.content.as_ref(), s.style))
                .collect();
            assert_eq!(got, want, "{src:?}");
        }
    }
}
