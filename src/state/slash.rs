//! Slash completion: the built-in slash commands (from [`super::command::TABLE`]; routed roots
//! such as `/session` take subcommands), the agent's advertised commands merged in, and the
//! completion candidates for a buffer — commands by strict prefix, then subcommands and
//! arguments (session ids, theme names, modes) once a root and a space are typed.

use super::session::AgentCommand;

/// Where a candidate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Builtin,
    Agent,
    Argument,
    History,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What the buffer becomes when accepted.
    pub insert: String,
    pub label: String,
    pub description: String,
    pub source: Source,
}

/// The completion popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub items: Vec<Candidate>,
    pub selected: usize,
    /// History search (Ctrl+R) rather than slash completion.
    pub history: bool,
    /// What history search looks for (typed into the popup, not the prompt).
    pub query: String,
}

/// What completion may offer besides the catalog.
pub struct Context<'a> {
    pub agent_commands: &'a [AgentCommand],
    pub sessions: &'a [(String, String)],
    pub themes: &'a [String],
    pub modes: &'a [String],
    /// The session's config options (`/model`, `/options` complete their values).
    pub options: &'a [crate::node_api::ConfigOption],
}

/// Candidates for `buffer` (which starts with `/`).
pub fn candidates(buffer: &str, cx: &Context<'_>) -> Vec<Candidate> {
    let Some(body) = buffer.strip_prefix('/') else {
        return Vec::new();
    };
    if body.contains('\n') {
        return Vec::new();
    }
    // `//name`: the agent's command, even where a built-in has its name.
    if let Some(name) = body.strip_prefix('/') {
        return match name.contains(' ') {
            true => Vec::new(),
            false => agent_candidates(name, cx, true),
        };
    }
    match body.split_once(' ') {
        None => {
            let mut out: Vec<Candidate> = super::command::slash_commands()
                .filter(|(name, _, _)| name.starts_with(body))
                .map(|(name, description, routed)| Candidate {
                    insert: format!("/{name}{}", if routed { " " } else { "" }),
                    label: format!("/{name}"),
                    description: description.to_string(),
                    source: Source::Builtin,
                })
                .collect();
            out.extend(agent_candidates(body, cx, false));
            out
        }
        Some((root, rest)) => arguments(root, rest, cx),
    }
}

/// Whether `name` is a built-in slash command's.
pub fn is_builtin(name: &str) -> bool {
    super::command::slash_commands().any(|(n, _, _)| n == name)
}

/// How an agent command is typed: `/name`, or `//name` when a built-in has the name.
pub fn agent_form(name: &str) -> String {
    if is_builtin(name) {
        format!("//{name}")
    } else {
        format!("/{name}")
    }
}

/// The agent's commands starting with `prefix`; `escaped` (typed `//`) always inserts `//`.
fn agent_candidates(prefix: &str, cx: &Context<'_>, escaped: bool) -> Vec<Candidate> {
    cx.agent_commands
        .iter()
        .filter(|c| c.name.starts_with(prefix))
        .map(|c| {
            let typed = if escaped {
                format!("//{}", c.name)
            } else {
                agent_form(&c.name)
            };
            Candidate {
                insert: format!("{typed}{}", if c.hint.is_some() { " " } else { "" }),
                label: match &c.hint {
                    Some(h) => format!("{typed} {h}"),
                    None => typed,
                },
                description: c.description.clone(),
                source: Source::Agent,
            }
        })
        .collect()
}

fn arguments(root: &str, rest: &str, cx: &Context<'_>) -> Vec<Candidate> {
    let words: Vec<&str> = rest.split(' ').collect();
    let (done, current) = words.split_at(words.len() - 1);
    let current = current[0];
    let options: Vec<(String, String, bool)> = match (root, done) {
        ("session", []) => vec![
            ("list".into(), "List sessions".into(), false),
            ("resume".into(), "Resume a session by id".into(), true),
            ("close".into(), "Close a session by id".into(), true),
        ],
        ("session", ["resume" | "close"]) => cx
            .sessions
            .iter()
            .map(|(id, agent)| (id.clone(), agent.clone(), false))
            .collect(),
        ("node", []) => vec![
            ("list".into(), "List nodes".into(), false),
            ("status".into(), "Connection status".into(), false),
        ],
        ("theme", []) => cx
            .themes
            .iter()
            .map(|t| (t.clone(), "theme".into(), false))
            .collect(),
        ("mode", []) => match super::options::of_category(cx.options, "mode") {
            Some(o) => values(o),
            None => cx
                .modes
                .iter()
                .map(|m| (m.clone(), "mode".into(), false))
                .collect(),
        },
        ("model", []) => super::options::of_category(cx.options, "model")
            .map(values)
            .unwrap_or_default(),
        ("options", []) => cx
            .options
            .iter()
            .map(|o| (o.id.clone(), format!("{}: {}", o.name, o.shown()), true))
            .collect(),
        ("options", [id]) => super::options::find(cx.options, id)
            .map(values)
            .unwrap_or_default(),
        ("copy", []) => vec![
            ("answer".into(), "The last answer".into(), false),
            ("code".into(), "The last code block".into(), false),
            (
                "path".into(),
                "The last saved transcript's path".into(),
                false,
            ),
        ],
        _ => Vec::new(),
    };
    let prefix: String = std::iter::once(format!("/{root}"))
        .chain(done.iter().map(|w| w.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    options
        .into_iter()
        .filter(|(o, _, _)| o.starts_with(current))
        .map(|(o, d, more)| Candidate {
            insert: format!("{prefix} {o}{}", if more { " " } else { "" }),
            label: o,
            description: d,
            source: Source::Argument,
        })
        .collect()
}

/// An option's values as completion offers them: the value id, and its name when that says
/// more.
fn values(o: &crate::node_api::ConfigOption) -> Vec<(String, String, bool)> {
    let shown = o.shown();
    o.values()
        .into_iter()
        .map(|(v, name)| {
            let what = if name == shown {
                format!("{name} (current)")
            } else {
                name
            };
            (v, what, false)
        })
        .collect()
}

/// Earlier prompts matching `query` fuzzily and whatever the case (nucleo's matcher, as in
/// helix), best first, the most recent first among equals; all of them, newest first, for an
/// empty query.
pub fn history_matches(history: &[String], query: &str) -> Vec<Candidate> {
    use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
    let mut matcher = nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT);
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    pattern
        .match_list(history.iter().rev(), &mut matcher)
        .into_iter()
        .take(50)
        .map(|(h, _)| Candidate {
            insert: h.clone(),
            label: h.lines().next().unwrap_or_default().to_string(),
            description: if h.contains('\n') {
                "(multi-line)".into()
            } else {
                String::new()
            },
            source: Source::History,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx<'a>(
        agent: &'a [AgentCommand],
        sessions: &'a [(String, String)],
        themes: &'a [String],
    ) -> Context<'a> {
        Context {
            agent_commands: agent,
            sessions,
            themes,
            modes: &[],
            options: &[],
        }
    }

    #[test]
    fn strict_prefix_and_routed_roots_get_a_space() {
        let agent = [AgentCommand {
            name: "stream".into(),
            description: "Stream".into(),
            hint: Some("BYTES".into()),
        }];
        let c = candidates("/s", &cx(&agent, &[], &[]));
        let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            vec!["/status", "/stop", "/session", "/stream BYTES"]
        );
        assert_eq!(c[2].insert, "/session ");
        assert_eq!(c[3].source, Source::Agent);
        assert!(
            candidates("/tatus", &cx(&[], &[], &[])).is_empty(),
            "strict prefix, not substring"
        );
        assert!(candidates("hello", &cx(&[], &[], &[])).is_empty());
    }

    #[test]
    fn subcommands_and_arguments_complete() {
        let sessions = [
            ("abc123".to_string(), "demo".to_string()),
            ("abd456".to_string(), "py".to_string()),
        ];
        let themes = ["dark".to_string(), "light".to_string()];
        let c = candidates("/session ", &cx(&[], &sessions, &themes));
        assert_eq!(
            c.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
            vec!["list", "resume", "close"]
        );
        assert_eq!(c[1].insert, "/session resume ");
        let c = candidates("/session resume ab", &cx(&[], &sessions, &themes));
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].insert, "/session resume abc123");
        let c = candidates("/theme l", &cx(&[], &sessions, &themes));
        assert_eq!(c[0].insert, "/theme light");
    }
}
