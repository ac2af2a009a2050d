//! Agent text is untrusted: this module owns making it safe for the user's terminal. Every
//! escape sequence — CSI, OSC (BEL- or ST-terminated), DCS / APC / PM / SOS strings with their
//! payloads, two-byte ESC sequences, and their 8-bit C1 forms — is recognised by a real terminal
//! parser ([`vte`]) and removed whole, and every control character except `\n` and `\t` (C0, DEL,
//! C1) is dropped; printable text passes unchanged.
//!
//! - [`sanitize`] cleans one complete string.
//! - [`Sanitizer`] does the same for a stream of chunks, keeping the parser state between them so
//!   a sequence split across chunks never leaks its tail as text.
//! - [`sanitize_json`] cleans every string and key of a JSON tree in place.
//! - [`escape_for_log`] makes a visible, bounded preview of raw text for log lines.
//!
//! Both cleaning paths skip the parser entirely when the text has nothing special in it (the
//! common case for streamed answers).
//!
//! How `vte` is driven (it is a 7-bit parser fed bytes):
//! - A C1 char (U+0080..=U+009F) is fed as its 7-bit equivalent `ESC (c - 0x40)`, so U+009B opens
//!   a CSI, U+009D an OSC, U+0090 a DCS, U+0098 / U+009E / U+009F a SOS / PM / APC string and
//!   U+009C ends a string, as on a terminal that honours 8-bit controls. (Left as UTF-8, `vte`
//!   would only report them through `execute` in ground state and ignore them inside sequences.)
//! - Inside a DCS payload `vte` treats a raw `0x9C` byte as ST, which would end the string in the
//!   middle of an ordinary character such as `东` (`E4 B8 9C`). Such characters are fed one at a
//!   time and dropped while a DCS is open.
//! - `vte` does not expose its state, and an ignored CSI (e.g. `ESC [ 1 < m`) returns to ground
//!   without any callback, so [`Sanitizer`] asks the parser itself after each chunk by feeding a
//!   DEL: `vte` prints DEL in ground and ignores it in every other state (inside an OSC it only
//!   adds a byte to a payload that is discarded anyway).

use std::fmt;
use std::fmt::Write as _;

/// Removes escape sequences and control characters (keeps newlines and tabs).
///
/// An unterminated sequence swallows the rest of the text, as it would on a terminal.
pub fn sanitize(text: &str) -> String {
    if is_clean(text) {
        return text.to_owned();
    }
    sanitize_slow(text)
}

/// [`sanitize`] without the fast path: always runs the parser.
fn sanitize_slow(text: &str) -> String {
    let mut s = Sanitizer::default();
    s.sink.out.reserve(text.len());
    s.feed(text);
    s.sink.out
}

/// Streaming [`sanitize`]: feed chunks in order with [`push`](Self::push); escape sequences
/// split across chunks are removed as if the text had arrived whole.
#[derive(Default)]
pub struct Sanitizer {
    parser: vte::Parser,
    sink: Sink,
    /// A sequence is open (the parser is not in ground state) after the last chunk.
    open: bool,
}

impl fmt::Debug for Sanitizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sanitizer")
            .field("ground", &!self.open)
            .field("in_dcs", &self.sink.in_dcs)
            .finish_non_exhaustive()
    }
}

impl Sanitizer {
    /// Cleans the next chunk, returning the printable text it contributes. Concatenating the
    /// results of all chunks equals [`sanitize`] of their concatenation.
    pub fn push(&mut self, chunk: &str) -> String {
        if !self.open && is_clean(chunk) {
            return chunk.to_owned();
        }
        self.sink.out.reserve(chunk.len());
        self.feed(chunk);
        // Ask the parser whether it is back in ground state (see the module doc).
        self.sink.saw_del = false;
        self.parser.advance(&mut self.sink, b"\x7f");
        self.open = !self.sink.saw_del;
        std::mem::take(&mut self.sink.out)
    }

    /// True when no escape sequence is open, i.e. the next chunk starts as plain text.
    pub fn is_ground(&self) -> bool {
        !self.open
    }

    /// Feeds `text` to the parser, translating C1 chars to their 7-bit form and keeping bytes
    /// that `vte` would misread as ST out of DCS payloads. Only whole UTF-8 chars are ever fed.
    fn feed(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut start = 0;
        for (i, c) in text.char_indices() {
            let cp = u32::from(c);
            if cp < 0x80 {
                continue;
            }
            if cp <= 0x9f {
                self.parser.advance(&mut self.sink, &bytes[start..i]);
                // C1 `c` is `ESC (c - 0x40)`; the cast cannot truncate (0x40..=0x5f).
                self.parser
                    .advance(&mut self.sink, &[0x1b, (cp - 0x40) as u8]);
                start = i + c.len_utf8();
            } else if has_st_byte(c) {
                self.parser.advance(&mut self.sink, &bytes[start..i]);
                let end = i + c.len_utf8();
                if !self.sink.in_dcs {
                    self.parser.advance(&mut self.sink, &bytes[i..end]);
                }
                start = end;
            }
        }
        self.parser.advance(&mut self.sink, &bytes[start..]);
    }
}

/// Whether `c`'s UTF-8 encoding contains the byte 0x9C (8-bit ST), which `vte` honours inside a
/// DCS payload even as part of a multi-byte char.
fn has_st_byte(c: char) -> bool {
    let mut buf = [0; 4];
    c.encode_utf8(&mut buf).as_bytes().contains(&0x9c)
}

/// Receives the parser's actions: keeps printed text plus executed `\n` / `\t`, drops the rest.
#[derive(Default)]
struct Sink {
    out: String,
    /// Between `hook` and `unhook`: inside a DCS payload.
    in_dcs: bool,
    /// DEL was printed, which `vte` only does in ground state.
    saw_del: bool,
}

impl vte::Perform for Sink {
    fn print(&mut self, c: char) {
        if c == '\x7f' {
            self.saw_del = true;
        } else if !c.is_control() {
            self.out.push(c);
        }
    }

    fn execute(&mut self, byte: u8) {
        if byte == b'\n' || byte == b'\t' {
            self.out.push(char::from(byte));
        }
    }

    fn hook(&mut self, _: &vte::Params, _: &[u8], _: bool, _: char) {
        self.in_dcs = true;
    }

    fn unhook(&mut self) {
        self.in_dcs = false;
    }
}

/// True when `text` has nothing to remove: no C0 control other than `\n` / `\t`, no DEL, no C1
/// char (UTF-8 `C2 80..=9F`).
#[inline]
fn is_clean(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Each 32-byte block is tested without branches (this vectorises); only a block holding a
    // suspicious byte is looked at closely.
    for (n, block) in bytes.chunks(32).enumerate() {
        if block.iter().fold(false, |acc, &b| acc | suspicious(b)) {
            for (j, &b) in block.iter().enumerate() {
                let bad = if b == 0xc2 {
                    matches!(bytes.get(n * 32 + j + 1), Some(0x80..=0x9f))
                } else {
                    suspicious(b)
                };
                if bad {
                    return false;
                }
            }
        }
    }
    true
}

/// A byte [`is_clean`] must look at: C0 other than `\n` / `\t`, DEL, or 0xC2 (the UTF-8 lead
/// byte of U+0080..=U+00BF, which include the C1 range).
#[inline(always)]
fn suspicious(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f || b == 0xc2
}

/// Sanitizes every string value and every object key of `value` in place.
///
/// If two keys of one object become equal once sanitized, the later one in map order wins.
pub fn sanitize_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if !is_clean(s) {
                *s = sanitize_slow(s);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sanitize_json),
        Value::Object(map) => {
            if map.keys().any(|k| !is_clean(k)) {
                for (k, v) in std::mem::take(map) {
                    let k = if is_clean(&k) { k } else { sanitize_slow(&k) };
                    map.insert(k, v);
                }
            }
            map.values_mut().for_each(sanitize_json);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A printable preview of raw `text` for log lines: at most `max_chars` chars of it, with every
/// control char (C0, DEL, C1) shown escaped (`\n`, `\t`, `\r`, `\x1b`, `\u{9b}`) and `…`
/// appended when cut. Never contains a raw control char.
pub fn escape_for_log(text: &str, max_chars: usize) -> String {
    let (head, cut) = match text.char_indices().nth(max_chars) {
        Some((i, _)) => (&text[..i], true),
        None => (text, false),
    };
    let mut out = String::with_capacity(head.len() + 4);
    for c in head.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    if cut {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sanitize_strips_escapes_and_controls() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("x\x1b]0;title\x07y"), "xy");
        assert_eq!(sanitize("x\x1b]52;c;AAAA\x1b\\y"), "xy");
        assert_eq!(sanitize("tab\tnew\nbell\x07cr\r"), "tab\tnew\nbellcr");
        assert_eq!(sanitize("plain ✓ text"), "plain ✓ text");
    }

    #[test]
    fn removes_each_escape_kind() {
        let cases = [
            ("CSI SGR", "a\x1b[1;38;5;196mred\x1b[0m b"),
            ("CSI clear screen", "a\x1b[2J\x1b[Hred b"),
            ("CSI private mode", "a\x1b[?1049hred b"),
            ("OSC 0 + BEL", "a\x1b]0;evil title\x07red b"),
            ("OSC 0 + ST", "a\x1b]0;evil title\x1b\\red b"),
            ("OSC 52 clipboard", "a\x1b]52;c;cm0gLXJmIH4=\x07red b"),
            ("OSC 8 hyperlink", "a\x1b]8;;https://evil\x1b\\red b"),
            ("DCS", "a\x1bP1$tpayload;more\x1b\\red b"),
            ("DCS with non-ASCII", "a\x1bP1$q东西ǜ🦀\x1b\\red b"),
            ("APC", "a\x1b_Gf=100;AAAA\x1b\\red b"),
            ("PM", "a\x1b^private\x1b\\red b"),
            ("SOS", "a\x1bXstart of string\x1b\\red b"),
            ("8-bit CSI", "a\u{9b}31mred b"),
            ("8-bit OSC", "a\u{9d}0;t\u{9c}red b"),
            ("8-bit OSC + BEL", "a\u{9d}0;t\x07red b"),
            ("8-bit DCS", "a\u{90}1$tx\u{9c}red b"),
            ("8-bit APC", "a\u{9f}payload\u{9c}red b"),
            ("8-bit PM", "a\u{9e}payload\u{9c}red b"),
            ("8-bit SOS", "a\u{98}payload\u{9c}red b"),
            ("other C1 (NEL, RI)", "a\u{85}\u{8d}red b"),
            ("RIS", "a\x1bcred b"),
            ("ESC 7 / ESC 8", "a\x1b7\x1b8red b"),
            ("charset ESC ( B", "a\x1b(Bred b"),
            ("C0 and DEL", "a\0\x08\x0b\x0c\r\x7fred b"),
            ("CAN aborts OSC", "a\x1b]0;t\x18red b"),
        ];
        for (kind, input) in cases {
            assert_eq!(sanitize(input), "ared b", "{kind}: {input:?}");
        }
    }

    #[test]
    fn unterminated_sequences_swallow_the_rest() {
        assert_eq!(sanitize("abc\x1b"), "abc");
        assert_eq!(sanitize("abc\u{9b}"), "abc");
        assert_eq!(sanitize("abc\x1b[31"), "abc");
        assert_eq!(sanitize("abc\x1b]0;no end"), "abc");
        assert_eq!(sanitize("abc\x1bPq no end"), "abc");
    }

    #[test]
    fn printable_unicode_passes() {
        let text = "héllo 東京 🦀 e\u{301} \u{a0}©° [x] \\ ;\n\tend";
        assert_eq!(sanitize(text), text);
        assert_eq!(sanitize_slow(text), text);
    }

    #[test]
    fn fast_path_check_is_exact() {
        for pad in 0..70 {
            let pre = "a".repeat(pad);
            for (tail, clean) in [("\u{9b}x", false), ("\u{a0}x", true), ("\u{7f}", false)] {
                let text = format!("{pre}{tail}");
                assert_eq!(is_clean(&text), clean, "{text:?}");
            }
            assert!(!is_clean(&format!("{pre}\r")));
            assert!(is_clean(&format!("{pre}\n\t©東")));
        }
    }

    #[test]
    fn sanitizer_joins_split_sequences() {
        let mut s = Sanitizer::default();
        assert!(s.is_ground());
        assert_eq!(s.push("\x1b]0;ti"), "");
        assert!(!s.is_ground());
        // No special char in this chunk, but the OSC is still open: no fast path.
        assert_eq!(s.push("tle"), "");
        assert_eq!(s.push("tle\x07after"), "after");
        assert!(s.is_ground());

        let mut s = Sanitizer::default();
        assert_eq!(s.push("a\x1b"), "a");
        assert!(!s.is_ground());
        assert_eq!(s.push("[31mb"), "b");

        let mut s = Sanitizer::default();
        assert_eq!(s.push("a\u{9b}"), "a");
        assert_eq!(s.push("31mb"), "b");

        let mut s = Sanitizer::default();
        assert_eq!(s.push("a\x1bP1$q东"), "a");
        assert_eq!(s.push("西\x1b"), "");
        assert_eq!(s.push("\\b"), "b");
        assert!(s.is_ground());
    }

    #[test]
    fn sanitizer_sees_silent_return_to_ground() {
        // `vte` leaves an ignored CSI without any callback.
        let mut s = Sanitizer::default();
        assert_eq!(s.push("a\x1b[1<m"), "a");
        assert!(s.is_ground());
        assert_eq!(s.push("b"), "b");
    }

    #[test]
    fn sanitize_json_cleans_strings_and_keys() {
        let mut v = serde_json::json!({
            "ok": "fine",
            "k\x1b[31m": ["x\x1b]0;t\x07y", 1, null, {"in\u{9b}1mner": "\rz"}],
        });
        sanitize_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"ok": "fine", "k": ["xy", 1, null, {"inner": "z"}]})
        );
    }

    #[test]
    fn escape_for_log_shows_controls() {
        assert_eq!(
            escape_for_log("a\x1b[31m\n\t\r\u{9b}\x7f✓", 100),
            "a\\x1b[31m\\n\\t\\r\\u{9b}\\x7f✓"
        );
        assert_eq!(escape_for_log("abcdef", 3), "abc…");
        assert_eq!(escape_for_log("abc", 3), "abc");
        assert_eq!(escape_for_log("東京都", 2), "東京…");
        assert_eq!(escape_for_log("abc", 0), "…");
        assert_eq!(escape_for_log("", 0), "");
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Chars that build, break and nest escape sequences, mixed with printable text.
    fn messy_char() -> impl Strategy<Value = char> {
        prop_oneof![
            3 => prop::sample::select(vec![
                'a', 'm', 'x', ' ', 'é', '东', 'ǜ', '🦀', '\u{301}', '\u{a0}', '©',
            ]),
            5 => prop::sample::select(vec![
                '\x1b', '[', ']', 'P', 'X', '^', '_', '\\', '\x07', '0', '1', '5', ';', '$', 'q',
                'c', '(', '<', '?', '\r', '\n', '\t', '\x18', '\x1a', '\0', '\x08', '\x7f',
            ]),
            2 => (0x80u32..=0x9f).prop_map(|c| char::from_u32(c).unwrap()),
            1 => any::<char>(),
        ]
    }

    fn messy() -> impl Strategy<Value = String> {
        prop::collection::vec(messy_char(), 0..40).prop_map(String::from_iter)
    }

    fn clean() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            4 => any::<char>().prop_filter("printable", |c| !c.is_control()),
            1 => prop::sample::select(vec!['\n', '\t', '\u{a0}', '\u{c2}', '[', ']', '\\']),
        ];
        prop::collection::vec(c, 0..64).prop_map(String::from_iter)
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn output_has_no_controls(s in messy()) {
            let out = sanitize(&s);
            prop_assert!(
                out.chars().all(|c| c == '\n' || c == '\t' || !c.is_control()),
                "{:?} -> {:?}", s, out
            );
            let c1 = out.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c));
            prop_assert!(!c1, "C1 left in {:?}", out);
            let plain = s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control());
            prop_assert_eq!(is_clean(&s), plain);
            prop_assert_eq!(sanitize(&out), out.clone());
        }

        #[test]
        fn chunked_equals_whole(s in messy()) {
            let whole = sanitize(&s);
            let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            for (ai, &a) in bounds.iter().enumerate() {
                let mut z = Sanitizer::default();
                let got = z.push(&s[..a]) + &z.push(&s[a..]);
                prop_assert_eq!(&got, &whole, "split at {}", a);
                for &b in &bounds[ai..] {
                    let mut z = Sanitizer::default();
                    let got = z.push(&s[..a]) + &z.push(&s[a..b]) + &z.push(&s[b..]);
                    prop_assert_eq!(&got, &whole, "split at {} and {}", a, b);
                }
            }
            // `is_ground` is right: a plain char after the text shows up exactly when ground.
            let mut z = Sanitizer::default();
            z.push(&s);
            let shows = sanitize(&format!("{s}x")) == format!("{whole}x");
            prop_assert_eq!(z.is_ground(), shows);
        }

        #[test]
        fn clean_text_is_unchanged(s in clean()) {
            prop_assert_eq!(sanitize(&s), s.clone());
            prop_assert_eq!(sanitize_slow(&s), s.clone());
            let mut z = Sanitizer::default();
            prop_assert_eq!(z.push(&s), s.clone());
            prop_assert!(z.is_ground());
        }

        #[test]
        fn escape_for_log_has_no_controls(s in messy(), max in 0usize..50) {
            let out = escape_for_log(&s, max);
            prop_assert!(!out.chars().any(char::is_control), "{:?} -> {:?}", s, out);
            if s.chars().count() > max {
                prop_assert!(out.ends_with('…'));
            } else {
                prop_assert!(!out.ends_with('…') || s.ends_with('…'));
            }
        }
    }
}
