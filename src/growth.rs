//! Text that is sent whole again each time it grows: ACP repeats a tool's entire output in every
//! `tool_call_update`. This module owns telling such a text that grew from one that was
//! replaced, without keeping a copy of it, so what is done with it (sanitizing it here, laying
//! it out in the UI) costs what was appended, not the whole text again.

use crate::sanitize::Sanitizer;

/// How many trailing bytes are compared to tell that the text grew rather than changed.
const TAIL: usize = 64;

/// What was last seen of a text: its length and last bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seen {
    len: usize,
    tail: String,
}

impl Seen {
    /// The length of the text last seen.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `text` begins with the text last seen (judged by its length and last bytes).
    pub fn continued_by(&self, text: &str) -> bool {
        text.len() >= self.len
            && text.is_char_boundary(self.len)
            && text[..self.len].ends_with(self.tail.as_str())
    }

    /// Remembers `text` as the text last seen.
    pub fn saw(&mut self, text: &str) {
        let mut from = text.len().saturating_sub(TAIL);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        self.len = text.len();
        self.tail.clear();
        self.tail.push_str(&text[from..]);
    }
}

/// A text received whole each time, kept sanitized: when it grew, only the appended part is
/// sanitized and appended (unless an escape sequence was open at the old end).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resent {
    seen: Seen,
    /// The text last seen ended outside any escape sequence.
    ground: bool,
}

impl Resent {
    /// Brings `out` (the sanitized text last seen) up to `text`.
    pub fn apply(&mut self, out: &mut String, text: &str) {
        let mut s = Sanitizer::default();
        if self.ground && !self.seen.is_empty() && self.seen.continued_by(text) {
            out.push_str(&s.push(&text[self.seen.len()..]));
        } else {
            *out = s.push(text);
        }
        self.ground = s.is_ground();
        self.seen.saw(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanitize::sanitize;

    #[test]
    fn a_resent_text_is_sanitized_as_if_whole_each_time() {
        let steps = [
            "ok\n",
            "ok\nrunning \x1b[31mred",
            "ok\nrunning \x1b[31mred\x1b[0m done\n",
            "ok\nrunning \x1b[31mred\x1b[0m done\n\x1b]0;ti",
            "ok\nrunning \x1b[31mred\x1b[0m done\n\x1b]0;title\x07 after",
            "replaced entirely",
            "replaced entirely, then grown 日本",
            "short",
        ];
        let (mut r, mut out) = (Resent::default(), String::new());
        for text in steps {
            r.apply(&mut out, text);
            assert_eq!(out, sanitize(text), "{text:?}");
        }
    }

    #[test]
    fn growth_is_told_from_replacement() {
        let mut seen = Seen::default();
        seen.saw("abc");
        assert!(seen.continued_by("abcdef"));
        assert!(!seen.continued_by("abX"));
        assert!(!seen.continued_by("xbcdef"));
        seen.saw("日本");
        assert!(!seen.continued_by("日"));
    }
}
