//! Markdown → styled terminal lines, already wrapped to a width: a pure function of (source,
//! width, styles, highlighter, syntax theme). It owns the look of agent text — headings, lists,
//! quotes, tables, code — and sanitizes every byte of it first, so no escape sequence or control
//! character of the agent's ever reaches a span. It never touches the terminal or app state.
//!
//! A document is split into top-level blocks by [`md_stream`](super::md_stream) (the same
//! splitter streaming uses, so a streamed answer ends up identical to a one-shot render), each
//! block is rendered on its own, and blocks are separated by one blank line. A soft line break
//! inside a paragraph is kept as a line break, as chat UIs do.

mod carry;
mod partial;
mod walk;

pub(crate) use carry::{continues, line_is_closed, no_text_yet, render_code_head, CodePrefixes};
pub(crate) use partial::{render_partial, safe_cut, Partial};

use super::highlight::{expand_tabs, Highlighter};
use super::md_stream::MdStream;
use super::wrap;
use crate::sanitize::sanitize;
use pulldown_cmark::{Options, Parser};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use walk::Walker;

/// The styles markdown is drawn with (derived from the UI theme by the caller).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MdStyles {
    pub text: Style,
    /// h1, h2, h3 and deeper.
    pub heading: [Style; 3],
    pub bold: Style,
    pub italic: Style,
    /// Inline code.
    pub code: Style,
    /// Fenced code when it is not highlighted (unknown language, highlighter not ready yet).
    pub code_block: Style,
    pub link: Style,
    pub quote: Style,
    pub bullet: Style,
    pub rule: Style,
    pub table_border: Style,
    pub task_done: Style,
    pub task_open: Style,
}

/// Renders markdown into lines already wrapped to `width` columns (display width,
/// unicode-aware; never a line wider than width, even for width 1..5).
pub fn render(
    src: &str,
    width: u16,
    styles: &MdStyles,
    hl: &Highlighter,
    syntax_theme: &str,
) -> Vec<Line<'static>> {
    let mut stream = MdStream::new();
    stream.push(src);
    stream.finish();
    stream.into_lines(width, styles, hl, syntax_theme)
}

/// What a block is rendered with.
pub(crate) struct BlockCtx<'a> {
    pub width: usize,
    pub styles: &'a MdStyles,
    pub hl: &'a Highlighter,
    pub theme: &'a str,
    /// The block is still being streamed: code stays plain and a table is held back (with
    /// everything after it) until the block is finished.
    pub open: bool,
    /// The number the block's first top-level list starts at (a list split across blocks).
    pub list_start: Option<u64>,
    /// Code not highlighted yet is drawn plain without queueing it for the background
    /// highlighter (it is queued once it shows on screen).
    pub defer: bool,
}

fn parser(text: &str) -> Parser<'_> {
    Parser::new_ext(
        text,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS,
    )
}

/// Renders one block (a run of top-level elements) and appends its lines to `out`.
pub(crate) fn render_block(src: &str, cx: &BlockCtx<'_>, out: &mut Vec<Line<'static>>) {
    let clean = sanitize(src);
    let mut w = Walker::new(cx, out);
    for ev in parser(&clean) {
        if !w.event(ev) {
            break;
        }
    }
    w.flush_inline();
}

/// One line of a code block drawn plain, exactly as [`render_block`] draws it while open,
/// after `prefix` (then `rest` on the lines it wraps onto).
pub(crate) fn render_code_line(
    line: &str,
    cx: &BlockCtx<'_>,
    prefix: &[Span<'static>],
    rest: &[Span<'static>],
    out: &mut Vec<Line<'static>>,
) {
    let piece = (expand_tabs(&sanitize(line), &mut 0), cx.styles.code_block);
    wrap::hard_wrap(&[piece], cx.width, prefix, rest, out);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ratatui::style::Color;
    use ratatui::style::Modifier;
    use std::sync::OnceLock;

    pub(crate) const SAMPLE: &str = "# Praxis *markdown* sample

A paragraph with **bold**, *italic*, ~~struck~~, `inline code` and a [link](https://example.com/docs). \
It is long enough to wrap at narrow widths: averyveryverylongwordthatmustbebrokenacrosslines.
A second line of the same paragraph, and <https://example.com>.

## Lists

- first item
- second item that is long enough to wrap onto another line at thirty columns
  - nested item
    1. deep numbered
    2. deep numbered two
- [x] done task
- [ ] open task

3. three
4. four

> A quote that also wraps when the width is small enough to need it.
>
> Second quote paragraph.

| Name | Value | Notes |
|:-----|------:|:-----:|
| alpha | 1 | short |
| beta with a long name | 22 | a longer note here |

---

```rust
fn main() {
\tprintln!(\"hello, {}\", \"world\");
}
```

```unknownlang
plain text code that is long enough to be hard wrapped at thirty columns
```

### Heading three
Text right after a heading.\tA tab, and 日本語 wide text.
";

    pub(crate) fn hl() -> &'static Highlighter {
        static HL: OnceLock<Highlighter> = OnceLock::new();
        HL.get_or_init(Highlighter::new_blocking)
    }

    pub(crate) fn styles() -> MdStyles {
        MdStyles {
            heading: [Style::default().fg(Color::Cyan); 3],
            bold: Style::default().add_modifier(Modifier::BOLD),
            code: Style::default().fg(Color::Yellow),
            code_block: Style::default().fg(Color::Gray),
            link: Style::default().fg(Color::Blue),
            ..MdStyles::default()
        }
    }

    pub(crate) fn plain(lines: &[Line]) -> String {
        let mut s = String::new();
        for l in lines {
            s.extend(l.spans.iter().map(|sp| sp.content.as_ref()));
            s.push('\n');
        }
        s
    }

    fn md(src: &str, width: u16) -> Vec<Line<'static>> {
        render(src, width, &styles(), hl(), "base16-ocean.dark")
    }

    #[test]
    fn no_line_is_wider_than_the_width() {
        for width in [1u16, 2, 3, 5, 20, 30, 80] {
            for l in md(SAMPLE, width) {
                assert!(
                    l.width() <= width as usize,
                    "width {width}: {:?}",
                    plain(&[l])
                );
            }
        }
    }

    #[test]
    fn escape_sequences_and_controls_are_stripped() {
        let src = "# t\x1b[2J\n\nred \x1b[31mtext\x1b[0m, title \x1b]0;pwned\x07 bell\x07 c1\u{9b}\n\n\
                   | a\x1b[1m | b |\n|---|---|\n| \x1b]52;c;AAAA\x1b\\x | y |\n\n```\x1b[31mrust\ncode \x1b[0m\r\n```\n";
        for width in [5, 80] {
            let lines = md(src, width);
            let text = plain(&lines);
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{text:?}"
            );
            assert!(
                width < 80 || text.contains("red text, title  bell c1"),
                "{text}"
            );
        }
    }

    #[test]
    fn code_is_highlighted_when_ready_and_plain_otherwise() {
        let lines = md("```rust\nfn main() {}\n```\n", 80);
        assert!(lines[0]
            .spans
            .iter()
            .any(|s| matches!(s.style.fg, Some(Color::Rgb(..)))));
        let lines = md("```nope\nfn main() {}\n```\n", 80);
        assert_eq!(lines[0].spans[0].style, styles().code_block);
    }

    #[test]
    fn snapshot_width_80() {
        insta::assert_snapshot!(plain(&md(SAMPLE, 80)));
    }

    #[test]
    fn snapshot_width_30() {
        insta::assert_snapshot!(plain(&md(SAMPLE, 30)));
    }
}
