//! Carrying a streamed block's walk past the end of a line, so a long paragraph, block quote
//! or list item costs each of its lines once instead of its whole prefix again: whether a
//! finished line leaves nothing a later line could close, where the next line's text starts
//! when it only continues the paragraph, the break between them, and the head of a code block
//! opened inside a list item (whose lines are then drawn one at a time). Like
//! [`partial`](super::partial), it never decides what is final: a finished block is always
//! rendered whole.

use super::partial::{may_open, Partial};
use super::walk::Walker;
use super::{parser, BlockCtx};
use crate::sanitize::sanitize;
use pulldown_cmark::{CodeBlockKind, Event, Tag};
use ratatui::text::{Line, Span};

/// Whether a complete line (without its newline), parsed on its own, leaves nothing that a
/// later line could close or extend: no delimiter left literal (emphasis, code span, link,
/// tag), no backslash hard break, no link reference definition, no HTML, no control character.
pub(crate) fn line_is_closed(raw: &str) -> bool {
    if raw.contains("]:")
        || raw.chars().any(|c| c.is_control() && c != '\t')
        || raw.trim_end_matches([' ', '\t']).ends_with('\\')
    {
        return false;
    }
    let clean = sanitize(raw);
    parser(&clean).all(|ev| match ev {
        Event::Text(t) => !may_open(&t),
        Event::Html(_) | Event::InlineHtml(_) => false,
        _ => true,
    })
}

/// The number of block quote markers opening `raw` and where what follows them (and the
/// whitespace after) starts. A `>` after four spaces is not a marker.
fn quote_prefix(raw: &str) -> (usize, usize) {
    let b = raw.as_bytes();
    let (mut depth, mut i) = (0, 0);
    loop {
        let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
        if spaces > 3 || b.get(i + spaces) != Some(&b'>') {
            break;
        }
        depth += 1;
        i += spaces + 1;
    }
    let ws = b[i..]
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    (depth, i + ws)
}

/// Where the text of line `raw` starts when it only continues the paragraph of line `prev`:
/// past its quote markers (no more of them than `prev` has: one more opens a quote; fewer is a
/// lazy continuation) and indentation, at a letter (anything else may open a list, a heading,
/// a fence, a table, HTML, or make the paragraph a heading).
pub(crate) fn continues(prev: &str, raw: &str) -> Option<usize> {
    let (depth, at) = quote_prefix(raw);
    let starts_text = raw[at..].chars().next().is_some_and(char::is_alphabetic);
    (starts_text && depth <= quote_prefix(prev).0).then_some(at)
}

/// Whether line `raw`, still growing, has no text yet after the markers and indentation that
/// the paragraph's line `prev` has too (so far it reads as a blank line of the same container,
/// which draws nothing).
pub(crate) fn no_text_yet(prev: &str, raw: &str) -> bool {
    let (depth, at) = quote_prefix(raw);
    at == raw.len() && depth == quote_prefix(prev).0
}

impl Partial {
    /// Ends the current line of the paragraph (a soft break: the next line's text follows).
    pub(crate) fn soft_break(&mut self, cx: &BlockCtx<'_>, out: &mut Vec<Line<'static>>) {
        let mut w = Walker {
            cx,
            st: std::mem::take(&mut self.st),
            out,
        };
        w.event(Event::SoftBreak);
        self.st = w.st;
    }
}

/// The line prefixes of a code block's first line and of the lines after it.
pub(crate) type CodePrefixes = (Vec<Span<'static>>, Vec<Span<'static>>);

/// Renders `src`, a block's source that ends with the line opening a fenced code block (inside
/// a list item), appending the lines before the code; returns the prefixes its code lines are
/// drawn with. None when the walk does not end inside that code block, or the block sits in a
/// quote (its lines would carry quote markers).
pub(crate) fn render_code_head(
    src: &str,
    cx: &BlockCtx<'_>,
    out: &mut Vec<Line<'static>>,
) -> Option<CodePrefixes> {
    let clean = sanitize(src);
    let events: Vec<Event<'_>> = parser(&clean).collect();
    let open = events
        .iter()
        .rposition(|e| matches!(e, Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_)))))?;
    if !events[open + 1..]
        .iter()
        .all(|e| matches!(e, Event::End(_)))
    {
        return None;
    }
    let mut w = Walker::new(cx, out);
    for ev in events.into_iter().take(open + 1) {
        if !w.event(ev) {
            return None;
        }
    }
    (!w.in_quote()).then(|| w.prefixes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_closed_when_nothing_in_it_waits_for_a_later_line() {
        for raw in [
            "plain words",
            "with *some* `code` and **bold**.",
            "> quoted _words_",
            "1. a [link](http://x) here",
            "trailing spaces  ",
        ] {
            assert!(line_is_closed(raw), "{raw:?}");
        }
        for raw in [
            "an *open emphasis",
            "a `code span",
            "**a* b",
            "a [link",
            "<span",
            "hard break\\",
            "[ref]: http://x",
            "2 * 3",
            "bell\x07",
        ] {
            assert!(!line_is_closed(raw), "{raw:?}");
        }
    }

    #[test]
    fn only_plain_text_continues_a_paragraph() {
        assert_eq!(continues("a", "b c"), Some(0));
        assert_eq!(continues("> a", ">  b"), Some(3));
        assert_eq!(continues("> > a", "> b"), Some(2), "lazy");
        assert_eq!(continues("1. a", "   b"), Some(3));
        for (prev, raw) in [
            ("a", "> b"),
            ("> a", "> > b"),
            ("a", "- b"),
            ("a", "1. b"),
            ("a", "==="),
            ("a", "# b"),
            ("a", "<div>"),
            ("a", "|x|"),
            ("a", "```"),
            ("> a", "    > b"),
        ] {
            assert_eq!(continues(prev, raw), None, "{prev:?} then {raw:?}");
        }
    }
}
