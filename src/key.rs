//! Keys as praxis values, independent of any terminal crate: [`Key`] (a code and its
//! modifiers, normalized so equal keys compare equal however the terminal reported them),
//! parsing from keymap text ([`parse_key`]) and labels for help screens and hints.
//!
//! The runtime translates the terminal's events into these at its edge; state, keymaps and
//! their tests build them directly.

use std::fmt;
use std::ops::{BitOr, BitOrAssign, Sub};

/// A key without modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    Enter,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
    Esc,
    F(u8),
}

/// A set of modifier keys.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Modifiers(u8);

impl Modifiers {
    pub const NONE: Modifiers = Modifiers(0);
    pub const SHIFT: Modifiers = Modifiers(1);
    pub const CONTROL: Modifiers = Modifiers(2);
    pub const ALT: Modifiers = Modifiers(4);
    pub const SUPER: Modifiers = Modifiers(8);
    pub const HYPER: Modifiers = Modifiers(16);
    pub const META: Modifiers = Modifiers(32);

    pub fn contains(self, other: Modifiers) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn intersects(self, other: Modifiers) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Modifiers {
    type Output = Modifiers;
    fn bitor(self, rhs: Modifiers) -> Modifiers {
        Modifiers(self.0 | rhs.0)
    }
}

impl BitOrAssign for Modifiers {
    fn bitor_assign(&mut self, rhs: Modifiers) {
        self.0 |= rhs.0;
    }
}

impl Sub for Modifiers {
    type Output = Modifiers;
    fn sub(self, rhs: Modifiers) -> Modifiers {
        Modifiers(self.0 & !rhs.0)
    }
}

impl fmt::Debug for Modifiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Modifiers::SHIFT, "SHIFT"),
            (Modifiers::CONTROL, "CONTROL"),
            (Modifiers::ALT, "ALT"),
            (Modifiers::SUPER, "SUPER"),
            (Modifiers::HYPER, "HYPER"),
            (Modifiers::META, "META"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(m, _)| self.contains(*m))
            .map(|(_, n)| *n)
            .collect();
        if set.is_empty() {
            f.write_str("NONE")
        } else {
            f.write_str(&set.join(" | "))
        }
    }
}

/// One key press with its modifiers, normalized (see [`Key::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: Modifiers,
}

impl Key {
    /// A normalized key: SHIFT is dropped for characters (the char is taken as typed: 'A',
    /// '?'), kept for other keys; Shift+Tab is `BackTab`; `Char('\r')` is Enter; a bare
    /// `Char('\n')` is Ctrl+J (that is the byte it is), and `Char('\n')` with modifiers is
    /// Enter with them (how some terminals send Alt+Enter), so Alt+Enter matches however it
    /// arrives.
    pub fn new(code: KeyCode, modifiers: Modifiers) -> Key {
        let shift = modifiers.contains(Modifiers::SHIFT);
        let (code, modifiers) = match code {
            KeyCode::Char('\r') => (KeyCode::Enter, modifiers),
            KeyCode::Char('\n') if modifiers.is_empty() => (KeyCode::Char('j'), Modifiers::CONTROL),
            KeyCode::Char('\n') => (KeyCode::Enter, modifiers),
            KeyCode::Char('\t') if shift => (KeyCode::BackTab, modifiers),
            KeyCode::Char('\t') => (KeyCode::Tab, modifiers),
            KeyCode::Tab if shift => (KeyCode::BackTab, modifiers),
            KeyCode::Char(c) if shift && c.is_ascii_lowercase() => {
                (KeyCode::Char(c.to_ascii_uppercase()), modifiers)
            }
            other => (other, modifiers),
        };
        let modifiers = match code {
            KeyCode::Char(_) | KeyCode::BackTab => modifiers - Modifiers::SHIFT,
            _ => modifiers,
        };
        Key { code, modifiers }
    }

    /// A key with no modifiers.
    pub fn plain(code: KeyCode) -> Key {
        Key::new(code, Modifiers::NONE)
    }

    /// Ctrl + a character.
    pub fn ctrl(c: char) -> Key {
        Key::new(KeyCode::Char(c), Modifiers::CONTROL)
    }

    /// This key normalized again (a no-op for keys built with [`Key::new`]).
    pub fn normalized(self) -> Key {
        Key::new(self.code, self.modifiers)
    }

    /// A label for help screens and hints: "Ctrl+Alt+W", "Shift+Enter", "PageUp", "?", "d".
    pub fn label(&self) -> String {
        let m = self.modifiers;
        let mut out = String::new();
        for (flag, name) in [
            (Modifiers::CONTROL, "Ctrl+"),
            (Modifiers::ALT, "Alt+"),
            (Modifiers::SUPER, "Super+"),
            (Modifiers::HYPER, "Hyper+"),
            (Modifiers::META, "Meta+"),
        ] {
            if m.contains(flag) {
                out.push_str(name);
            }
        }
        let mut shift = m.contains(Modifiers::SHIFT);
        let key = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if !m.is_empty() => {
                // "Ctrl+W" for Char('w'); Char('W') with Ctrl is Ctrl+Shift+W.
                shift |= c.is_ascii_uppercase();
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::BackTab => {
                shift = true;
                "Tab".to_string()
            }
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if shift {
            out.push_str("Shift+");
        }
        out + &key
    }
}

/// Parses "ctrl+c", "Ctrl+Alt+w", "shift+enter", "pgdn", "f1", "?", "D" (names are
/// case-insensitive; a letter with Ctrl/Alt is folded to lower case unless Shift is named; a
/// lone upper-case letter is that character).
pub fn parse_key(s: &str) -> Result<Key, String> {
    let s = s.trim();
    let (mods, key) = match s {
        "+" => ("", "+"),
        _ if s.ends_with("++") => (&s[..s.len() - 2], "+"),
        _ => match s.rfind('+') {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => ("", s),
        },
    };
    let mut modifiers = Modifiers::NONE;
    let mod_names = if mods.is_empty() {
        vec![]
    } else {
        mods.split('+').collect()
    };
    for m in mod_names {
        modifiers |= match m.trim().to_ascii_lowercase().as_str() {
            "ctrl" | "control" => Modifiers::CONTROL,
            "alt" | "meta" | "option" => Modifiers::ALT,
            "shift" => Modifiers::SHIFT,
            "super" | "cmd" => Modifiers::SUPER,
            "" => return Err(format!("empty modifier in {s:?}")),
            other => {
                let msg = format!(
                    "unknown modifier {other:?} in {s:?} (expected ctrl, alt, shift, super)"
                );
                return Err(msg);
            }
        };
    }
    let key = key.trim();
    let mut chars = key.chars();
    let code = match (chars.next(), chars.next()) {
        (None, _) => return Err(format!("missing key name in {s:?}")),
        (Some(c), None) => {
            let shift = modifiers.contains(Modifiers::SHIFT);
            if shift && !c.is_alphabetic() {
                return Err(format!(
                    "{s:?}: Shift with {c:?} depends on the keyboard layout; \
                     write the character it types (e.g. \"?\")"
                ));
            }
            let folded = if shift {
                c.to_uppercase().next().unwrap_or(c)
            } else if modifiers.intersects(Modifiers::CONTROL | Modifiers::ALT) {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                c
            };
            KeyCode::Char(folded)
        }
        _ => named_key(key).ok_or_else(|| format!("unknown key name {key:?} in {s:?}"))?,
    };
    Ok(Key::new(code, modifiers))
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "esc" | "escape" => KeyCode::Esc,
        "enter" | "return" | "ret" => KeyCode::Enter,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" | "bs" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "space" => KeyCode::Char(' '),
        "plus" => KeyCode::Char('+'),
        "minus" => KeyCode::Char('-'),
        _ => {
            let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
            return (1..=24).contains(&n).then_some(KeyCode::F(n));
        }
    };
    Some(code)
}

/// A mouse event the app reacts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mouse {
    ScrollUp,
    ScrollDown,
}
