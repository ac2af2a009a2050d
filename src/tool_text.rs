//! How a tool's output reads, for every front end: its headline (the line a failed tool's
//! header shows) and whether it is markdown to render or text to show as it is. Both look at
//! the start of the output only, so a growing output costs nothing more.

/// Whether fence `line` opens or closes a code block.
fn is_fence(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("```") || l.starts_with("~~~")
}

/// The first line that says something: not blank, not a code fence.
pub fn headline(output: &str) -> Option<&str> {
    output
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !is_fence(l))
}

/// Whether the output is markdown: it opens with a code fence, as Claude's adapter sends it
/// (```` ```console ````). Plain output keeps its lines (markdown would join them).
pub fn is_markdown(output: &str) -> bool {
    output
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(is_fence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_skips_blank_lines_and_fences() {
        assert_eq!(headline("```console\n\nerror: x\n```"), Some("error: x"));
        assert_eq!(headline("  plain first\nsecond"), Some("plain first"));
        assert_eq!(headline("```\n```"), None);
        assert_eq!(headline(""), None);
    }

    #[test]
    fn markdown_is_output_that_opens_with_a_fence() {
        assert!(is_markdown("\n```toml\na = 1\n```"));
        assert!(is_markdown("~~~\nx\n~~~"));
        assert!(!is_markdown("a *b*\n```\nc\n```"));
        assert!(!is_markdown(""));
    }
}
