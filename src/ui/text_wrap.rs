//! Plain-text wrapping by display width (for user prompts, tool output, notices): words move
//! to the next line; a word longer than the width is broken; no line is ever wider than the
//! width.

use unicode_width::UnicodeWidthChar;

/// Wraps one line of text (no newlines) to `width` columns.
pub fn wrap_plain(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_w = 0;
    for word in text.split_inclusive(' ') {
        let word_w: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        if line_w + word_w.saturating_sub(trailing_space(word)) > width && line_w > 0 {
            lines.push(std::mem::take(&mut line).trim_end().to_string());
            line_w = 0;
        }
        for c in word.chars() {
            // A character wider than the whole line (a CJK glyph at width 1) becomes `…`.
            let (c, cw) = match c.width().unwrap_or(0) {
                w if w > width => ('…', 1),
                w => (c, w),
            };
            if line_w + cw > width {
                if c == ' ' {
                    continue;
                }
                lines.push(std::mem::take(&mut line));
                line_w = 0;
            }
            line.push(c);
            line_w += cw;
        }
    }
    lines.push(line.trim_end().to_string());
    lines
}

fn trailing_space(word: &str) -> usize {
    usize::from(word.ends_with(' '))
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn wraps_words_and_breaks_long_ones() {
        assert_eq!(
            wrap_plain("hello brave new world", 11),
            vec!["hello brave", "new world"]
        );
        assert_eq!(wrap_plain("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap_plain("", 4), vec![""]);
        for w in 1..12 {
            for l in wrap_plain("日本語のテキスト and words ✓✓", w) {
                assert!(l.width() <= w, "{l:?} wider than {w}");
            }
        }
    }
}
