//! A tool's file diff as a person reads it: the path relative to the session's directory,
//! hunks with two lines of context, each line's number in the file, and the words that changed
//! emphasised. The diffing is `similar`'s; this owns the look. Text arrives sanitized (the
//! transcript cleans it on the way in).

use super::theme_view::ThemeView;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use similar::{ChangeTag, TextDiff};

/// Unchanged lines shown around each change.
const CONTEXT: usize = 2;

/// The lines of the diff of `old` (None: a new file) into `new` at `path`.
pub fn lines(
    path: &str,
    old: Option<&str>,
    new: &str,
    cwd: &str,
    t: &ThemeView,
) -> Vec<Line<'static>> {
    let (minus, plus, dim) = (
        t.style("diff.minus"),
        t.style("diff.plus"),
        t.style("ui.dim"),
    );
    let what = if old.is_none() { " (new file)" } else { "" };
    let mut out = vec![Line::from(vec![
        Span::styled(
            format!("  {}", super::tool_summary::relative(path, cwd)),
            t.style("tool.title"),
        ),
        Span::styled(what, dim),
    ])];
    let old = old.unwrap_or("");
    let diff = TextDiff::from_lines(old, new);
    let most = old.lines().count().max(new.lines().count()).max(1);
    let num_w = most.to_string().len();
    for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if i > 0 {
            out.push(Line::from(Span::styled(format!("  {:>num_w$} ⋯", ""), dim)));
        }
        for op in group {
            for change in diff.iter_inline_changes(op) {
                let (sign, style, at) = match change.tag() {
                    ChangeTag::Delete => ("-", minus, change.old_index()),
                    ChangeTag::Insert => ("+", plus, change.new_index()),
                    ChangeTag::Equal => (" ", dim, change.new_index()),
                };
                let number = at.map_or(String::new(), |n| (n + 1).to_string());
                let mut spans = vec![Span::styled(format!("  {number:>num_w$} {sign} "), dim)];
                for (changed, text) in change.iter_strings_lossy() {
                    let text = text.trim_end_matches(['\n', '\r']).replace('\t', "    ");
                    if text.is_empty() {
                        continue;
                    }
                    spans.push(Span::styled(text, emphasised(style, changed)));
                }
                out.push(Line::from(spans));
            }
        }
    }
    out
}

/// The words that changed within a changed line stand out.
fn emphasised(style: Style, changed: bool) -> Style {
    if changed {
        style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    } else {
        style
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::highlight::Highlighter;
    use crate::ui::theme::Theme;
    use crate::ui::wrap::tests::text;

    #[test]
    fn hunks_with_context_line_numbers_and_the_changed_words() {
        let t = ThemeView::new(Theme::default_dark(), Highlighter::never_ready());
        let old: String = (1..=12).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 3\n", "line three\n")
            .replace("line 11\n", "line 11\nadded\n");
        let got = lines("/work/app/src/lib.rs", Some(&old), &new, "/work/app", &t);
        assert_eq!(
            text(&got),
            [
                "  src/lib.rs",
                "   1   line 1",
                "   2   line 2",
                "   3 - line 3",
                "   3 + line three",
                "   4   line 4",
                "   5   line 5",
                "     ⋯",
                "  10   line 10",
                "  11   line 11",
                "  12 + added",
                "  13   line 12",
            ]
        );
        // Only the changed word is emphasised.
        let three = &got[4];
        let bold: Vec<&str> = three
            .spans
            .iter()
            .filter(|s| s.style.add_modifier.contains(Modifier::BOLD))
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(bold, ["three"]);
        let fresh = lines("/elsewhere/new.txt", None, "hello\n", "/work/app", &t);
        assert_eq!(
            text(&fresh),
            ["  /elsewhere/new.txt (new file)", "  1 + hello"]
        );
    }
}
