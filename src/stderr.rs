//! The one way praxis's command-line front ends speak on stderr: `praxis: <message>`, stripped
//! of escape sequences and control characters (a message may quote a node or an agent), its
//! further lines indented so none of them can pass for a line of its own. A closed stderr is
//! ignored: writing never panics.

use std::io::Write;

/// Writes `praxis: <msg>` and a newline to stderr.
pub fn say(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", line(msg));
}

/// `praxis: <msg>`, sanitized, further lines indented by two spaces.
pub fn line(msg: &str) -> String {
    let clean = crate::sanitize::sanitize(msg.trim_end());
    format!("praxis: {}", clean.replace('\n', "\n  "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn stderr_lines_carry_no_escapes_and_no_line_of_their_own() {
        let hostile = "agent said \x1b]0;PWNTITLE\x07\x1b[2Jboom\npraxis: fake\r\x1bPqX\x1b\\\n";
        let line = super::line(hostile);
        assert!(
            !line.contains('\x1b') && !line.contains('\x07') && !line.contains('\r'),
            "{line:?}"
        );
        assert_eq!(line, "praxis: agent said boom\n  praxis: fake");
    }
}
