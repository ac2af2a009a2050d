//! The runtime's edge for terminal input: crossterm's events become praxis [`Action`]s
//! ([`Key`], [`Mouse`], pasted text), so nothing below the runtime names a terminal crate.

use crate::key::{Key, KeyCode, Modifiers, Mouse};
use crate::state::Action;
use crossterm::event::{self as ct, Event, KeyEventKind, MouseEventKind};

/// The action for a terminal event; `None` for what the app ignores (key releases, mouse
/// moves, focus changes, resizes, which only ask for a redraw).
pub fn action(event: Event) -> Option<Action> {
    match event {
        Event::Key(k) => key(&k).map(Action::Key),
        Event::Paste(p) => Some(Action::Paste(p)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Action::Mouse(Mouse::ScrollUp)),
            MouseEventKind::ScrollDown => Some(Action::Mouse(Mouse::ScrollDown)),
            _ => None,
        },
        _ => None,
    }
}

/// A key press (or repeat) as a praxis key; releases and keys praxis has no name for are
/// `None`. Kind and lock state are ignored.
pub fn key(k: &ct::KeyEvent) -> Option<Key> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    let code = match k.code {
        ct::KeyCode::Char(c) => KeyCode::Char(c),
        ct::KeyCode::Enter => KeyCode::Enter,
        ct::KeyCode::Tab => KeyCode::Tab,
        ct::KeyCode::BackTab => KeyCode::BackTab,
        ct::KeyCode::Backspace => KeyCode::Backspace,
        ct::KeyCode::Delete => KeyCode::Delete,
        ct::KeyCode::Insert => KeyCode::Insert,
        ct::KeyCode::Home => KeyCode::Home,
        ct::KeyCode::End => KeyCode::End,
        ct::KeyCode::PageUp => KeyCode::PageUp,
        ct::KeyCode::PageDown => KeyCode::PageDown,
        ct::KeyCode::Up => KeyCode::Up,
        ct::KeyCode::Down => KeyCode::Down,
        ct::KeyCode::Left => KeyCode::Left,
        ct::KeyCode::Right => KeyCode::Right,
        ct::KeyCode::Esc => KeyCode::Esc,
        ct::KeyCode::F(n) => KeyCode::F(n),
        _ => return None,
    };
    let mut modifiers = Modifiers::NONE;
    for (theirs, ours) in [
        (ct::KeyModifiers::SHIFT, Modifiers::SHIFT),
        (ct::KeyModifiers::CONTROL, Modifiers::CONTROL),
        (ct::KeyModifiers::ALT, Modifiers::ALT),
        (ct::KeyModifiers::SUPER, Modifiers::SUPER),
        (ct::KeyModifiers::HYPER, Modifiers::HYPER),
        (ct::KeyModifiers::META, Modifiers::META),
    ] {
        if k.modifiers.contains(theirs) {
            modifiers |= ours;
        }
    }
    Some(Key::new(code, modifiers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ct::{KeyEvent, KeyEventState, KeyModifiers as M};

    #[test]
    fn keys_are_normalized_and_releases_dropped() {
        let cases = [
            (ct::KeyCode::Char('c'), M::CONTROL, Key::ctrl('c')),
            (
                ct::KeyCode::Char('\n'),
                M::ALT,
                Key::new(KeyCode::Enter, Modifiers::ALT),
            ),
            (ct::KeyCode::Char('\n'), M::NONE, Key::ctrl('j')),
            (ct::KeyCode::Tab, M::SHIFT, Key::plain(KeyCode::BackTab)),
            (
                ct::KeyCode::Char('a'),
                M::SHIFT,
                Key::plain(KeyCode::Char('A')),
            ),
            (ct::KeyCode::F(1), M::NONE, Key::plain(KeyCode::F(1))),
        ];
        for (code, m, want) in cases {
            assert_eq!(key(&KeyEvent::new(code, m)), Some(want), "{code:?} {m:?}");
        }
        // Kind and state are ignored, except that releases are dropped.
        let mut repeat = KeyEvent::new(ct::KeyCode::Char('c'), M::CONTROL);
        repeat.kind = KeyEventKind::Repeat;
        repeat.state = KeyEventState::CAPS_LOCK;
        assert_eq!(key(&repeat), Some(Key::ctrl('c')));
        repeat.kind = KeyEventKind::Release;
        assert_eq!(key(&repeat), None);
        assert_eq!(key(&KeyEvent::new(ct::KeyCode::CapsLock, M::NONE)), None);
    }
}
