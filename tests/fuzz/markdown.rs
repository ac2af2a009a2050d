//! The markdown renderer under arbitrary chunking: every streamed frame equals a fresh render,
//! the final lines equal the one-shot render, no control char is drawn, no line is too wide.

use super::config;
use praxis::ui::highlight::Highlighter;
use praxis::ui::markdown::{render, MdStyles};
use praxis::ui::md_stream::MdStream;
use proptest::collection::vec;
use proptest::prelude::*;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

const THEME: &str = "base16-ocean.dark";

fn hl() -> &'static Highlighter {
    static HL: OnceLock<Highlighter> = OnceLock::new();
    HL.get_or_init(Highlighter::new_blocking)
}

fn styles() -> &'static MdStyles {
    static ST: OnceLock<MdStyles> = OnceLock::new();
    ST.get_or_init(|| {
        let fg = |c| Style::default().fg(c);
        MdStyles {
            text: Style::default(),
            heading: [
                fg(Color::Cyan).add_modifier(Modifier::BOLD),
                fg(Color::Cyan),
                fg(Color::Blue),
            ],
            bold: Style::default().add_modifier(Modifier::BOLD),
            italic: Style::default().add_modifier(Modifier::ITALIC),
            code: fg(Color::Yellow),
            code_block: fg(Color::Gray),
            link: fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
            quote: fg(Color::DarkGray),
            bullet: fg(Color::Magenta),
            rule: fg(Color::DarkGray),
            table_border: fg(Color::DarkGray),
            task_done: fg(Color::Green),
            task_open: fg(Color::Yellow),
        }
    })
}

const FRAGMENTS: &[&str] = &[
    // Block starts.
    "# Heading\n",
    "## Sub *em* heading\n",
    "###### six\n",
    "#nospace\n",
    "# ",
    "- item\n",
    "- ",
    "  - nested item\n",
    "    - deeper\n",
    "* star\n",
    "+ plus\n",
    "1. one\n",
    "2) two\n",
    "10. ten\n",
    "3. ",
    "- [ ] open task\n",
    "- [x] done task\n",
    "```\n",
    "```rust\n",
    "```python\n",
    "```zz\n",
    "~~~\n",
    "  ```\n",
    "    indented code\n",
    "fn main() { let x = 1; }\n",
    "| a | b |\n",
    "|---|---|\n",
    "|:--|--:|\n",
    "| 1 | 2 |\n",
    "|",
    " | ",
    "> quote\n",
    "> ",
    ">> nested quote\n",
    "---\n",
    "***\n",
    "===\n",
    "<div>\n",
    "[ref]: http://r.example\n",
    "Term\n: def\n",
    // Inline.
    "**",
    "*",
    "_",
    "__",
    "~~",
    "`",
    "``",
    "[link](http://x.y/a_b)",
    "[",
    "](",
    ")",
    "(",
    "<http://a.b>",
    "<b>",
    "</b>",
    "&amp;",
    "&#x41;",
    "&",
    "\\",
    "\\*",
    "![img](u.png)",
    "[^1]",
    "$x$",
    "word",
    "snake_case_word",
    "a*b",
    "2 * 3",
    // Whitespace.
    "\n",
    "\n",
    "\n\n",
    " ",
    "  ",
    "\t",
    "  \n",
    "\r\n",
    "\r",
    // Wide, combining, zero-width.
    "日本語のテキスト",
    "😀👍🏽",
    "👨‍👩‍👧",
    "e\u{301}",
    "\u{200b}",
    "\u{fe0f}",
    "❤\u{fe0f}",
    "#\u{fe0f}\u{20e3}",
    "\u{ad}",
    "\u{2028}",
    "\u{a0}",
    "\u{3000}",
    "لا سلام",
    "नमस्ते",
    // Raw controls and escape sequences, whole and cut.
    "\x1b[31m",
    "\x1b[0m",
    "\x1b]0;title\x07",
    "\x1b]52;c;AAAA\x1b\\",
    "\x1b",
    "\x1b[",
    "\x1b]",
    "\x07",
    "\x00",
    "\x08",
    "\x0b",
    "\x0c",
    "\x7f",
    "\u{85}",
    "\u{9b}",
    "\u{9b}31m",
];

fn md_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(FRAGMENTS).prop_map(String::from),
        3 => "[a-z]{1,8}",
        2 => Just(" ".to_string()),
        1 => (10usize..70).prop_map(|n| "w".repeat(n)),
        1 => (1usize..20).prop_map(|n| "日".repeat(n)),
        1 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}]",
        1 => any::<char>().prop_map(String::from),
    ]
}

fn md_text() -> impl Strategy<Value = String> {
    vec(md_fragment(), 0..48).prop_map(|v| v.concat())
}

fn width() -> impl Strategy<Value = u16> {
    prop_oneof![
        2 => 1u16..=5,
        2 => Just(80u16),
        1 => 6u16..=40,
        1 => prop::sample::select(vec![0u16, 200, u16::MAX]),
    ]
}

fn plain(lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        s.extend(l.spans.iter().map(|sp| sp.content.as_ref()));
        s.push('\n');
    }
    s
}

/// No span holds a control character (C0, DEL, C1, newline or tab included), and no line is
/// wider than the width.
fn check_lines(lines: &[Line], width: u16, what: &str) -> Result<(), TestCaseError> {
    for (i, l) in lines.iter().enumerate() {
        for sp in &l.spans {
            prop_assert!(
                !sp.content.chars().any(char::is_control),
                "{what}: control char in line {i}: {:?}",
                sp.content
            );
        }
        prop_assert!(
            l.width() <= width.max(1) as usize,
            "{what}: line {i} is {} wide at width {width}: {:?}",
            l.width(),
            plain(std::slice::from_ref(l))
        );
    }
    Ok(())
}

/// `src` cut into chunks of the given byte sizes (used in turn), each moved to a char boundary.
fn chunks<'a>(src: &'a str, sizes: &[usize]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = src;
    let mut i = 0;
    while !rest.is_empty() {
        let mut end = sizes[i % sizes.len()].min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (a, b) = rest.split_at(end);
        out.push(a);
        rest = b;
        i += 1;
    }
    out
}

proptest! {
    #![proptest_config(config(1024, 3))]

    #[test]
    fn markdown_streamed_in_chunks_equals_the_one_shot_render(
        src in md_text(),
        width in width(),
        sizes in vec(1usize..24, 1..8),
        // Which chunks the UI draws after, and at which width (a resize mid-stream).
        draws in vec((any::<bool>(), prop::option::weighted(0.2, width())), 1..16),
        // A finish in the middle (the agent's turn ended), then more text reopening it.
        early_finish in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let whole = render(&src, width, styles(), hl(), THEME);
        check_lines(&whole, width, "render")?;
        let pieces = chunks(&src, &sizes);
        let early = early_finish.map(|i| i.index(pieces.len() + 1));
        let mut s = MdStream::new();
        for (i, piece) in pieces.iter().enumerate() {
            if early == Some(i) {
                s.finish();
            }
            s.push(piece);
            let (draw, w) = draws[i % draws.len()];
            if draw {
                let w = w.unwrap_or(width);
                let lines = s.lines(w, styles(), 1, hl(), THEME).to_vec();
                check_lines(&lines, w, &format!("after chunk {i}"))?;
                // The incremental frame is what a stream given the text so far at once shows.
                let mut fresh = MdStream::new();
                fresh.push(s.source());
                let want = fresh.lines(w, styles(), 1, hl(), THEME);
                prop_assert_eq!(
                    plain(&lines),
                    plain(want),
                    "width {}, after chunk {} of {:?}",
                    w,
                    i,
                    pieces
                );
                prop_assert_eq!(&lines[..], want, "styles, after chunk {} of {:?}", i, pieces);
            }
        }
        s.finish();
        prop_assert_eq!(s.source(), src.as_str());
        let streamed = s.lines(width, styles(), 1, hl(), THEME).to_vec();
        prop_assert_eq!(
            plain(&streamed),
            plain(&whole),
            "width {}, chunks {:?}",
            width,
            pieces
        );
        prop_assert_eq!(streamed, whole, "styles differ; chunks {:?}", pieces);
    }
}

/// Found by the markdown property: `wrap` measures a line as the sum of its pieces' widths, but
/// a variation selector 16 after a char that came in another piece (pulldown-cmark splits text
/// at `*`; syntect splits code into tokens) makes that char 2 columns wide once the pieces are
/// merged into one span (unicode-width 0.2 measures `*\u{fe0f}` as 2). Fixed in `src/ui/wrap.rs`
/// (`Wrapper::push` measures a piece merged into the word after the one before it; `hard_wrap`
/// and `truncate` merge pieces of one style before measuring).
#[test]
fn a_variation_selector_after_another_piece_stays_within_the_width() {
    for (src, width) in [
        ("*\u{fe0f}", 1u16),
        ("abc*\u{fe0f}", 4),
        ("```rust\n**\u{fe0f}\n```\n", 2),
    ] {
        for l in render(src, width, styles(), hl(), THEME) {
            assert!(l.width() <= width as usize, "{src:?} at {width}: {l:?}");
        }
    }
}

/// Inline markup that may sit inside a strong span.
const INLINE: &[&str] = &[
    "word",
    "`code`",
    "*em*",
    "_em_",
    "[link](http://u.example)",
    "[http://same](http://same)",
    "~~gone~~",
    "<https://auto.example>",
    "&amp;",
    "日本語",
    "snake_case",
    "2 × 3",
];

proptest! {
    #![proptest_config(config(1024, 4))]

    /// A paragraph, item, quote or heading wrapped in `**` is bold all through, whatever inline
    /// markup comes first in it.
    #[test]
    fn markdown_strong_text_is_bold_throughout(
        words in vec(prop::sample::select(INLINE), 1..6),
        lead in prop::sample::select(vec!["", "- ", "1. ", "> ", "## ", "- [ ] "]),
        width in prop_oneof![Just(80u16), 1u16..=12],
    ) {
        let src = format!("{lead}**{}**\n", words.join(" "));
        let lines = render(&src, width, styles(), hl(), THEME);
        let markers = ["• ", "1. ", "▌ ", "☐ ", "## "];
        for l in &lines {
            for (i, sp) in l.spans.iter().enumerate() {
                let prefix = i == 0 && markers.iter().any(|m| m.starts_with(sp.content.as_ref()));
                if prefix || sp.content.trim().is_empty() {
                    continue;
                }
                prop_assert!(
                    sp.style.add_modifier.contains(Modifier::BOLD),
                    "{:?}: {:?} is not bold in {:?}",
                    src,
                    sp.content,
                    plain(&lines)
                );
            }
        }
    }
}
