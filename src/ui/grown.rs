//! Lines laid out from text that only grows while a turn streams (a thought, a tool's
//! output): the lines of its complete source lines are kept from one layout to the next, and
//! only what arrived since (and the last, partial line) is wrapped, so a long thought or a
//! 20,000-line tool output costs the same per chunk at its end as at its start. The result is
//! the same as laying the whole text out at once (tested).
//!
//! Leading whitespace is skipped and trailing blank lines are not shown (`shown`), as a
//! trimmed text would be.

use crate::growth::Seen;
use ratatui::text::Line;

/// The layout of a growing text at one width.
#[derive(Default)]
pub struct Grown {
    width: usize,
    /// Bytes of leading whitespace skipped.
    start: usize,
    /// Source bytes whose lines are final (through the last newline seen).
    done_bytes: usize,
    done_lines: usize,
    /// Lines up to the end of the last non-blank complete source line.
    done_nonblank: usize,
    /// Complete source lines read, and whether a partial one follows them.
    sources: usize,
    partial: bool,
    /// What was read, to tell growth from a replacement.
    seen: Seen,
    pub lines: Vec<Line<'static>>,
    /// How many of `lines` to show (trailing blank source lines are not).
    pub shown: usize,
}

impl Grown {
    /// `old` brought up to `text` at `width`, wrapping each source line with `wrap` (old is
    /// dropped when the width changed or the text is not a continuation of what it read).
    pub fn update(
        old: Option<Grown>,
        text: &str,
        width: usize,
        wrap: &dyn Fn(&str) -> Vec<Line<'static>>,
    ) -> Grown {
        let start = text.len() - text.trim_start().len();
        let mut g = match old {
            Some(g) if g.width == width && g.start == start && g.seen.continued_by(text) => g,
            _ => Grown {
                width,
                start,
                done_bytes: start,
                ..Grown::default()
            },
        };
        g.lines.truncate(g.done_lines);
        let rest = &text[g.done_bytes..];
        let complete = rest.rfind('\n').map_or(0, |i| i + 1);
        for line in rest[..complete].split_terminator('\n') {
            g.lines.extend(wrap(line));
            g.sources += 1;
            if !line.trim().is_empty() {
                g.done_nonblank = g.lines.len();
            }
        }
        g.done_bytes += complete;
        g.done_lines = g.lines.len();
        let tail = &rest[complete..];
        g.partial = !tail.is_empty();
        g.shown = g.done_nonblank;
        if !tail.trim().is_empty() {
            g.lines.extend(wrap(tail.trim_end()));
            g.shown = g.lines.len();
        }
        g.seen.saw(text);
        g
    }

    /// Source lines read so far, a partial last one included.
    pub fn source_lines(&self) -> usize {
        self.sources + usize::from(self.partial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap10(l: &str) -> Vec<Line<'static>> {
        crate::ui::text_wrap::wrap_plain(l, 10)
            .into_iter()
            .map(Line::from)
            .collect()
    }

    fn shown(g: &Grown) -> Vec<String> {
        g.lines[..g.shown].iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn grown_in_any_chunks_equals_laid_out_at_once() {
        let text = "\n  first line that wraps more than once\n\nsecond\n  indented é ü line\nlast partial words\n\n\n";
        let once = Grown::update(None, text, 10, &wrap10);
        for step in [1, 2, 3, 7, 16] {
            let mut g: Option<Grown> = None;
            let mut end = 0;
            while end < text.len() {
                end = (end + step).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                g = Some(Grown::update(g, &text[..end], 10, &wrap10));
            }
            let g = g.unwrap();
            assert_eq!(shown(&g), shown(&once), "in chunks of {step}");
            assert_eq!(g.source_lines(), once.source_lines());
        }
        // Trimmed as a whole: no leading or trailing blank lines.
        let s = shown(&once);
        assert_eq!(s.first().map(String::as_str), Some("first line"));
        assert_eq!(s.last().map(String::as_str), Some("words"));
    }

    #[test]
    fn a_replaced_text_or_another_width_is_laid_out_afresh() {
        let g = Grown::update(None, "alpha\nbeta\n", 10, &wrap10);
        let g = Grown::update(Some(g), "gamma\n", 10, &wrap10);
        assert_eq!(shown(&g), vec!["gamma"]);
        let g = Grown::update(Some(g), "gamma delta epsilon\n", 5, &|l| {
            crate::ui::text_wrap::wrap_plain(l, 5)
                .into_iter()
                .map(Line::from)
                .collect()
        });
        assert_eq!(shown(&g), vec!["gamma", "delta", "epsil", "on"]);
    }
}
