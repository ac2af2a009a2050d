//! A tool call as lines: its header (status, title, kind, and why it failed), its input (a
//! summary by kind from `tool_summary.rs`, or the raw JSON when asked), its output (growing
//! while it runs: laid out incrementally, rendered as markdown when it comes fenced, or
//! counted when hidden) and its diffs (`diff_view.rs`).

use super::role_block::{Out, Part, Show};
use super::theme_view::ThemeView;
use crate::state::transcript::Tool;
use ratatui::text::{Line, Span};

/// A tool call: its header and input, its output (growing while it runs: laid out
/// incrementally, or counted when hidden), its diffs.
pub(super) fn parts(
    index: usize,
    tool: &Tool,
    w: usize,
    t: &ThemeView,
    show: &Show<'_>,
    out: &mut Out<'_>,
) {
    let show_output = show.tools;
    let (mark, status_scope) = match tool.status.as_str() {
        "completed" => ("✓", "tool.status.completed"),
        "failed" => ("✗", "tool.status.failed"),
        "in_progress" => ("◐", "tool.status.in_progress"),
        _ => ("○", "tool.status.pending"),
    };
    let mut header = vec![
        Span::styled(format!("{mark} "), t.style(status_scope)),
        Span::styled(tool.title.clone(), t.style("tool.title")),
        Span::styled(
            format!(" · {} · {}", tool.kind, tool.status),
            t.style("tool.kind"),
        ),
    ];
    // A failed tool says why in its header (the first line of its output, past a fence).
    if tool.status == "failed" {
        if let Some(why) = crate::tool_text::headline(&tool.output) {
            header.push(Span::styled(format!(" — {why}"), t.style("error")));
        }
    }
    let mut lines = vec![Line::from(header)];
    let inner = w.saturating_sub(4).max(1);
    if let Some(input) = &tool.input {
        // Read as what it does (the command, the path, the search); raw when unrecognised,
        // or whole when asked for.
        let summary = super::tool_summary::summary(input, show.cwd);
        let mut shown: Vec<(String, usize)> = Vec::new();
        if let Some(s) = summary.as_ref().filter(|_| !show.raw_input) {
            shown.push((s.clone(), 2));
        }
        if show.raw_input {
            shown.push((pretty(input), usize::MAX));
        } else if summary.is_none() {
            shown.push((input.clone(), 3));
        }
        for (text, rows) in shown {
            for raw in text.lines() {
                for l in super::text_wrap::wrap_plain(raw, inner)
                    .into_iter()
                    .take(rows)
                {
                    lines.push(Line::from(Span::styled(
                        format!("  ⇢ {l}"),
                        t.style("ui.dim"),
                    )));
                }
            }
        }
    }
    if !tool.output.is_empty() {
        let scope = if tool.status == "failed" {
            "error"
        } else {
            "tool.output"
        };
        out.parts.push(Part::Lines(std::mem::take(&mut lines)));
        if show_output && crate::tool_text::is_markdown(&tool.output) {
            // Markdown, as agents wrap output in fences (```console, ```toml): rendered and
            // highlighted like an answer.
            let open = matches!(tool.status.as_str(), "pending" | "in_progress");
            out.markdown(&tool.output, open, Some(t.style(scope)));
        } else if show_output {
            let style = t.style(scope);
            out.grow((index, 1), &tool.output, inner, &|l| {
                super::text_wrap::wrap_plain(l, inner)
                    .into_iter()
                    .map(|piece| Line::from(Span::styled(format!("  │ {piece}"), style)))
                    .collect()
            });
        } else {
            // Counted as it grows (wrapping nothing), not recounted per frame.
            out.grow((index, 2), &tool.output, inner, &|_| Vec::new());
            let n = match out.parts.last() {
                Some(Part::Grown { grown, .. }) => grown.source_lines(),
                _ => 0,
            };
            out.parts.push(Part::Lines(vec![Line::from(Span::styled(
                format!("  │ … {n} lines (Alt+O shows)"),
                t.style("ui.dim"),
            ))]));
        }
    }
    for d in &tool.diffs {
        lines.extend(super::diff_view::lines(
            &d.path,
            d.old.as_deref(),
            &d.new,
            show.cwd,
            t,
        ));
    }
    out.parts.push(Part::Lines(lines));
}

/// Raw JSON input indented for reading (as it came when it is not JSON, or very large).
fn pretty(input: &str) -> String {
    const MOST: usize = 64 * 1024;
    if input.len() > MOST {
        return input.to_string();
    }
    serde_json::from_str::<serde_json::Value>(input)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| input.to_string())
}
