//! Agent text is untrusted: this strips terminal escape sequences (CSI, OSC, others) and
//! control characters, keeping newlines and tabs, before any of it reaches a terminal.

/// Removes escape sequences and control characters (keeps newlines and tabs).
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI: ESC [ params final; OSC: ESC ] ... BEL or ESC \; others: ESC + one char.
                match chars.peek() {
                    Some('[') => {
                        chars.next();
                        for c in chars.by_ref() {
                            if ('\x40'..='\x7e').contains(&c) {
                                break;
                            }
                        }
                    }
                    Some(']') => {
                        chars.next();
                        while let Some(c) = chars.next() {
                            if c == '\x07' || (c == '\x1b' && chars.peek() == Some(&'\\')) {
                                if c == '\x1b' {
                                    chars.next();
                                }
                                break;
                            }
                        }
                    }
                    Some(_) => {
                        chars.next();
                    }
                    None => {}
                }
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_escapes_and_controls() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("x\x1b]0;title\x07y"), "xy");
        assert_eq!(sanitize("x\x1b]52;c;AAAA\x1b\\y"), "xy");
        assert_eq!(sanitize("tab\tnew\nbell\x07cr\r"), "tab\tnew\nbellcr");
        assert_eq!(sanitize("plain ✓ text"), "plain ✓ text");
    }
}
