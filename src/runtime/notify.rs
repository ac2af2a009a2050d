//! Getting the user's attention from outside the screen: the bell or an OSC 9 notification
//! for a session that is not shown, and the terminal's title (pushed on the title stack when
//! the client starts and popped when it ends, where the terminal keeps one).
//!
//! Everything written here is built from state strings that were sanitized when they entered
//! the client, and is stripped of control characters again, so no agent text can end the
//! escape sequence early or start another.

use crate::config::Notify;
use std::io::Write;

/// How notifications are written, decided once from the config and the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Bell,
    Osc9,
    Off,
}

impl Style {
    /// `auto` is OSC 9 in terminals known to show it as a notification (outside tmux, which
    /// would swallow it), else the bell.
    pub fn choose(config: Notify, term_program: Option<&str>, in_tmux: bool) -> Style {
        match config {
            Notify::Off => Style::Off,
            Notify::Bell => Style::Bell,
            Notify::Osc9 => Style::Osc9,
            Notify::Auto => match term_program {
                Some("iTerm.app" | "WezTerm" | "ghostty") if !in_tmux => Style::Osc9,
                _ => Style::Bell,
            },
        }
    }

    pub fn from_env(config: Notify) -> Style {
        let program = std::env::var("TERM_PROGRAM").ok();
        Style::choose(
            config,
            program.as_deref(),
            std::env::var_os("TMUX").is_some(),
        )
    }
}

/// Printable text only, at most `max` characters.
fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The bytes that announce `title: body`.
pub fn notification(style: Style, title: &str, body: &str) -> Vec<u8> {
    match style {
        Style::Off => Vec::new(),
        Style::Bell => b"\x07".to_vec(),
        Style::Osc9 => {
            // `;` would make some terminals read the text as OSC 9 sub-commands.
            let text = printable(&format!("{title}: {body}"), 200).replace(';', ",");
            format!("\x1b]9;{text}\x1b\\").into_bytes()
        }
    }
}

/// The bytes that set the terminal's title (OSC 2).
pub fn title(text: &str) -> Vec<u8> {
    format!("\x1b]2;{}\x1b\\", printable(text, 120)).into_bytes()
}

/// Saves the terminal's title (xterm's title stack), so the end restores it.
pub const PUSH_TITLE: &[u8] = b"\x1b[22;2t";
/// Restores the title saved by [`PUSH_TITLE`].
pub const POP_TITLE: &[u8] = b"\x1b[23;2t";

/// Writes `bytes` to the terminal now (between frames); errors are not fatal.
pub fn write(bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_osc9_only_where_it_shows_and_never_through_tmux() {
        assert_eq!(
            Style::choose(Notify::Auto, Some("WezTerm"), false),
            Style::Osc9
        );
        assert_eq!(
            Style::choose(Notify::Auto, Some("WezTerm"), true),
            Style::Bell
        );
        assert_eq!(Style::choose(Notify::Auto, None, false), Style::Bell);
        assert_eq!(
            Style::choose(Notify::Off, Some("WezTerm"), false),
            Style::Off
        );
        assert_eq!(Style::choose(Notify::Osc9, None, true), Style::Osc9);
    }

    #[test]
    fn nothing_in_a_title_or_body_escapes_the_sequence() {
        let evil = "a\x1b]0;pwned\x07b;c\u{9c}\nd";
        let bytes = notification(Style::Osc9, evil, evil);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("\x1b]9;"));
        assert!(text.ends_with("\x1b\\"));
        let inner = &text[4..text.len() - 2];
        assert!(!inner.chars().any(|c| c.is_control()), "{inner:?}");
        assert!(!inner.contains(';'));
        let t = String::from_utf8(title(evil)).unwrap();
        assert!(!t[4..t.len() - 2].chars().any(|c| c.is_control()), "{t:?}");
        assert_eq!(notification(Style::Bell, evil, evil), b"\x07");
        assert!(notification(Style::Off, "a", "b").is_empty());
    }
}
