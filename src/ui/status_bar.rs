//! The status bar: the active session (agent, status, its title and short id, YOLO marker,
//! mode, the share of the context window in use), the live-session counter, how many sessions need you, and the latest message
//! (saved paths, errors, confirmations). When the line is too narrow for all of it, the title,
//! then the mode and the session counter, give way to the message.

use super::theme_view::ThemeView;
use crate::state::transcript::Level;
use crate::state::AppState;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The share of the context window in use, in percent, when the agent reported it.
fn context_share(used: Option<(u64, u64)>) -> Option<u64> {
    match used {
        Some((used, size)) if size > 0 => Some((used.saturating_mul(100) / size).min(100)),
        _ => None,
    }
}

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, t: &ThemeView) {
    if area.height == 0 {
        return;
    }
    buf.set_style(area, t.style("ui.statusline"));
    let mut spans = Vec::new();
    // What gives way to a message on a narrow line: the title first, then these.
    let (mut title_at, mut minor): (Option<usize>, Vec<usize>) = (None, Vec::new());
    if let Some(s) = state.active_session() {
        spans.push(Span::styled(
            format!(" {} ", s.agent),
            t.style("ui.statusline"),
        ));
        spans.push(Span::styled(
            format!("· {} ", s.status),
            t.style("ui.statusline.status"),
        ));
        let title = s.title.as_deref().unwrap_or("(no prompt yet)");
        let title = crate::state::lifecycle::cut(title, 32);
        title_at = Some(spans.len());
        spans.push(Span::styled(
            format!("· {title} ({}) ", s.id_preview()),
            t.style("ui.statusline"),
        ));
        if s.yolo {
            spans.push(Span::styled(" ⚡YOLO ", t.style("ui.statusline.yolo")));
        }
        if let Some(m) = &s.mode {
            minor.push(spans.len());
            spans.push(Span::styled(
                format!(" mode:{m} "),
                t.style("ui.statusline"),
            ));
        }
        if let Some(share) = context_share(s.context_used) {
            // Nearly full: the next turns may be cut or compacted.
            let scope = if share >= 90 {
                "ui.statusline.attention"
            } else {
                "ui.statusline"
            };
            minor.push(spans.len());
            spans.push(Span::styled(format!(" context {share}% "), t.style(scope)));
        }
    } else {
        spans.push(Span::styled(" praxis ", t.style("ui.statusline")));
    }
    let live = state.live_count();
    if live > 0 {
        let label = if live == 1 {
            "1 session".to_string()
        } else {
            format!("{live} sessions")
        };
        minor.push(spans.len());
        spans.push(Span::styled(
            format!(" {label} "),
            t.style("ui.statusline.sessions"),
        ));
    }
    let need = crate::state::need_count(state);
    if need > 0 {
        spans.push(Span::styled(
            format!(" {need} need you "),
            t.style("ui.statusline.attention"),
        ));
    }
    for (agent, _) in &state.starting {
        spans.push(Span::styled(
            format!(" starting {agent}… "),
            t.style("ui.statusline.status"),
        ));
    }
    if let Some(msg) = state.shown_status() {
        let scope = match msg.level {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        };
        let message = Span::styled(format!(" {}", msg.text), t.style(scope));
        let room = area.width as usize;
        let mut used: usize = spans.iter().map(Span::width).sum::<usize>() + message.width();
        let mut gone = Vec::new();
        for i in title_at.into_iter().chain(minor) {
            if used <= room {
                break;
            }
            used -= spans[i].width();
            gone.push(i);
        }
        spans = spans
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !gone.contains(i))
            .map(|(_, s)| s)
            .collect();
        spans.push(message);
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}
