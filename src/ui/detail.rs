//! The session detail, above the Active Sessions overlay: identity and status, health (its
//! node's link, time since the last update, errors), options (cwd, YOLO, timeout), usage
//! (tokens, context, cost), activity counts by kind and the lifecycle log with times. A
//! session from a node's history shows what its summary holds.

use super::fleet_cols::{ago, cost, si};
use super::text_wrap::wrap_plain;
use super::theme_view::ThemeView;
use super::windows::{centered, frame, put};
use crate::state::fleet::Entry;
use crate::state::lifecycle::{activity, Activity, LifeKind};
use crate::state::session::short_id;
use crate::state::{command, AppState, Context, SessionView};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, id: &str, t: &ThemeView) {
    let rect = centered(
        area,
        area.width.saturating_sub(4).clamp(20, 96),
        area.height,
    );
    let hint = command::key_hints(
        &state.keymap,
        Context::Detail,
        &[("sessions.resume", "open"), ("window.close", "back")],
    );
    let inner = frame(buf, rect, &format!("Session {}", short_id(id)), &hint, t);
    let lines = lines(state, id, inner.width as usize, t);
    let height = inner.height as usize;
    let top = state.detail_scroll.min(lines.len().saturating_sub(height));
    for (row, line) in lines.into_iter().skip(top).take(height).enumerate() {
        put(buf, inner, row, line);
    }
}

/// Every line of the detail (the caller shows the part that fits).
fn lines(state: &AppState, id: &str, width: usize, t: &ThemeView) -> Vec<Line<'static>> {
    let entry = state
        .sessions
        .iter()
        .find(|s| s.id == id)
        .map(Entry::View)
        .or_else(|| state.past.iter().find(|p| p.id() == id).map(Entry::Past));
    let Some(e) = entry else {
        let text = "This session is no longer known here.";
        return vec![Line::from(Span::styled(text, t.style("ui.dim")))];
    };
    let now = state.now_ms;
    let mut out = Out {
        lines: Vec::new(),
        width,
        t,
    };
    let title = e.title().unwrap_or("(no prompt yet)");
    for l in wrap_plain(title, width) {
        out.lines
            .push(Line::from(Span::styled(l, t.style("ui.title"))));
    }
    out.field("id", e.id(), t.style("ui.text"));
    let mut status = e.status().to_string();
    if let Some(r) = e.reason() {
        status.push_str(&format!(" · {r}"));
    }
    let scope = match e.status() {
        crate::node_api::SessionStatus::Failed => "error",
        crate::node_api::SessionStatus::NeedsPermission => "warning",
        _ => "ui.text",
    };
    out.field("status", &status, t.style(scope));
    out.field("agent", &e.agent_model(), t.style("ui.text"));
    out.field("node", &node_health(state, e.node()), t.style("ui.text"));
    out.field("cwd", e.cwd(), t.style("ui.text"));
    match &e {
        Entry::View(s) => view_lines(state, s, &mut out),
        Entry::Past(p) => {
            let yolo = if p.summary.yolo { "on" } else { "off" };
            out.field("options", &format!("YOLO {yolo}"), t.style("ui.text"));
            let mut times = format!("started {}", ago(now, p.summary.created_ms));
            times.push_str(&format!(
                " · last activity {}",
                ago(now, p.last_activity_ms())
            ));
            if let Some(end) = p.summary.ended_ms {
                times.push_str(&format!(" · ended {}", ago(now, end)));
            }
            out.field("times", &times, t.style("ui.text"));
            out.lines.push(Line::default());
            out.text(
                "From its node's history: opening it replays its transcript, then the agent continues it.",
                t.style("ui.dim"),
            );
        }
    }
    out.lines
}

/// Lines being built, wrapped to the detail's width.
struct Out<'a> {
    lines: Vec<Line<'static>>,
    width: usize,
    t: &'a ThemeView,
}

impl Out<'_> {
    /// "label    value", the value wrapped under itself.
    fn field(&mut self, label: &str, value: &str, style: Style) {
        let wrapped = wrap_plain(value, self.width.saturating_sub(LABEL));
        for (i, l) in wrapped.into_iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            self.lines.push(Line::from(vec![
                Span::styled(format!("{label:<LABEL$}"), self.t.style("ui.dim")),
                Span::styled(l, style),
            ]));
        }
    }

    /// Text wrapped to the width.
    fn text(&mut self, text: &str, style: Style) {
        for l in wrap_plain(text, self.width) {
            self.lines.push(Line::from(Span::styled(l, style)));
        }
    }

    fn heading(&mut self, text: &str) {
        self.lines.push(Line::default());
        let style = self.t.style("ui.fleet.group");
        self.lines
            .push(Line::from(Span::styled(text.to_string(), style)));
    }
}

/// The width of a field's label column.
const LABEL: usize = 9;

fn view_lines(state: &AppState, s: &SessionView, out: &mut Out<'_>) {
    let (now, t) = (state.now_ms, out.t);
    let text = t.style("ui.text");
    let mut options = format!("YOLO {}", if s.yolo { "on" } else { "off" });
    if let Some(secs) = s.timeout_secs {
        options.push_str(&format!(" · prompt timeout {secs}s"));
    }
    if let Some(m) = &s.mode {
        options.push_str(&format!(" · mode {m}"));
    }
    out.field("options", &options, text);
    let mut usage = Vec::new();
    if s.tokens != (0, 0) {
        usage.push(format!("tokens ⇡ {} ⇣ {}", si(s.tokens.0), si(s.tokens.1)));
    }
    if let Some((used, size)) = s.context_used {
        usage.push(format!("context {}/{}", si(used), si(size)));
    }
    if let Some(c) = &s.cost {
        usage.push(format!("cost {}", cost(c)));
    }
    if !usage.is_empty() {
        out.field("usage", &usage.join(" · "), text);
    }
    let mut times = format!("started {}", ago(now, s.created_ms));
    times.push_str(&format!(" · last update {}", ago(now, s.last_activity_ms)));
    if let Some(end) = s.ended_ms {
        times.push_str(&format!(" · ended {}", ago(now, end)));
    }
    out.field("times", &times, text);
    let mut health = Vec::new();
    if !s.attached {
        health.push("not followed here: opening it attaches".to_string());
    }
    if s.replay.is_some() {
        health.push("replaying its history".to_string());
    }
    if let Some(e) = &s.turn_error {
        health.push(format!("last turn failed: {e}"));
    }
    if s.prompt_in_flight {
        health.push("a prompt is running".to_string());
    }
    if !health.is_empty() {
        let scope = if s.turn_error.is_some() {
            "error"
        } else {
            "ui.text"
        };
        out.field("health", &health.join(" · "), t.style(scope));
    }
    out.heading("Activity");
    for line in activity_lines(&activity(&s.transcript)) {
        out.field("", &line, text);
    }
    out.heading("Lifecycle");
    if s.lifecycle.dropped() > 0 {
        let n = s.lifecycle.dropped();
        out.field(
            "",
            &format!("… {n} earlier entries not kept"),
            t.style("ui.dim"),
        );
    }
    for e in s.lifecycle.events() {
        let (what, scope) = life(&e.kind);
        out.field(&ago(now, e.at_ms), &what, t.style(scope));
    }
}

/// The node's link as the client sees it.
fn node_health(state: &AppState, node: usize) -> String {
    let Some(n) = state.nodes.get(node) else {
        return "?".into();
    };
    let link = if n.reconnecting {
        "reconnecting".to_string()
    } else if n.connected {
        "connected".to_string()
    } else {
        match &n.error {
            Some(e) => format!("offline: {e}"),
            None => "offline".to_string(),
        }
    };
    let kind = if n.remote { "remote" } else { "this machine" };
    let beat = match n.last_beat_ms {
        Some(at) if n.remote => format!(", heartbeat {}", ago(state.now_ms, at)),
        _ => String::new(),
    };
    format!("{} ({kind}, {link}{beat})", n.name)
}

/// Activity counts by kind, leaving out what did not happen.
fn activity_lines(a: &Activity) -> Vec<String> {
    let count = |n: usize, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let mut out = Vec::new();
    let kinds: Vec<String> = [
        count(a.prompts, "prompt", "prompts"),
        count(a.messages, "message", "messages"),
        count(a.thoughts, "thought", "thoughts"),
        count(a.plans, "plan", "plans"),
        count(a.notices, "notice", "notices"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !kinds.is_empty() {
        out.push(kinds.join(" · "));
    }
    let tools: usize = a.tools.iter().map(|(_, n)| n).sum();
    if let Some(mut line) = count(tools, "tool call", "tool calls") {
        let by: Vec<String> = a.tools.iter().map(|(k, n)| format!("{n} {k}")).collect();
        line.push_str(&format!(": {}", by.join(", ")));
        out.push(line);
    }
    if let Some(mut line) = count(a.permissions, "permission request", "permission requests") {
        if !a.answers.is_empty() {
            let by: Vec<String> = a.answers.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
            line.push_str(&format!(" (answered: {})", by.join(", ")));
        }
        out.push(line);
    }
    if let Some(line) = count(
        a.auto_approved,
        "request approved by YOLO",
        "requests approved by YOLO",
    ) {
        out.push(line);
    }
    if out.is_empty() {
        out.push("nothing yet".to_string());
    }
    out
}

fn life(kind: &LifeKind) -> (String, &'static str) {
    match kind {
        LifeKind::Started => ("started".into(), "ui.text"),
        LifeKind::Found => ("started (found on its node)".into(), "ui.text"),
        LifeKind::Attached => ("attached".into(), "ui.text"),
        LifeKind::Reopened => ("reopened".into(), "info"),
        LifeKind::TurnStarted => ("turn started".into(), "ui.text"),
        LifeKind::TurnEnded(r) => (format!("turn ended ({r})"), "ui.text"),
        LifeKind::TurnFailed(e) => (format!("turn failed: {e}"), "error"),
        LifeKind::Failed(e) => (format!("failed: {e}"), "error"),
        LifeKind::Closed => ("closed".into(), "ui.dim"),
    }
}
