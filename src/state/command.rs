//! Commands: every action a key or a slash command can trigger, as one typed value
//! ([`Command`]), and the one table ([`TABLE`]) that names them. Keymap files bind keys to the
//! table's names, the slash parser reads its `/`-names and parses arguments into the same
//! values, the help screen and window footers show its docs and keys, and completion offers
//! its slash commands. [`super::execute`] runs a command, whichever way it came.
//!
//! Also the key contexts ([`Context`]): which window has the keyboard.

use std::path::PathBuf;

/// Which window has the keyboard; names a keymap table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Global,
    Chat,
    Permission,
    Nodes,
    Sessions,
    /// The detail of one session.
    Detail,
    Form,
    Help,
}

impl Context {
    /// Every context, in the order the help screen lists them.
    pub const ALL: [Context; 8] = [
        Context::Global,
        Context::Chat,
        Context::Permission,
        Context::Nodes,
        Context::Sessions,
        Context::Detail,
        Context::Form,
        Context::Help,
    ];

    /// The keymap table's name.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Chat => "chat",
            Context::Permission => "permission",
            Context::Nodes => "nodes",
            Context::Sessions => "sessions",
            Context::Detail => "detail",
            Context::Form => "form",
            Context::Help => "help",
        }
    }
}

/// Compares with the keymap table's name: `context == "chat"`.
impl PartialEq<&str> for Context {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// What `/copy` copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Answer,
    Code,
    /// The last saved transcript's path.
    Path,
}

/// Where a scroll command goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScrollTo {
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// One thing the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit,
    Help,
    ToggleMouse,
    ToggleNodes,
    ToggleSessions,
    CloseWindow,
    Send,
    Newline,
    /// Cancel a running prompt; close an idle session on a second press.
    CancelOrClose,
    /// Cancel a running prompt (only).
    Cancel,
    /// Hide the chat; the session keeps running.
    Pause,
    /// Close the active session.
    Stop,
    SaveTranscript(Option<PathBuf>),
    Copy(CopyWhat),
    ToggleYolo,
    ToggleThoughts,
    ToggleTools,
    ToggleToolInput,
    /// Edit the draft in `$VISUAL` / `$EDITOR`.
    ExternalEditor,
    Scroll(ScrollTo),
    Complete,
    HistorySearch,
    NavUp,
    NavDown,
    NavPageUp,
    NavPageDown,
    NavFirst,
    NavLast,
    /// Open the new-session form for the selected agent.
    NewSessionForm,
    ResumeSelected,
    DiscardSelected,
    /// Clear the overlay's filter; close the overlay when it is empty.
    SessionsBack,
    /// The selected session's detail.
    SessionDetail,
    /// The next (or previous) live session in the overlay's order.
    SessionNext,
    SessionPrev,
    /// The n-th live session (1-9) in the overlay's order.
    SessionGoto(usize),
    FormToggle,
    FormSubmit,
    PermissionChoose,
    PermissionReject,
    Status,
    History,
    /// Show the modes (None) or set one.
    Mode(Option<String>),
    /// Show the models (None) or switch to one.
    Model(Option<String>),
    /// Show the session's config options (None), one option's values (`(id, "")`), or set
    /// one (`(id, value)`).
    Options(Option<(String, String)>),
    Theme(String),
    /// A new session with the active session's agent and cwd.
    New,
    SessionList,
    SessionResume(String),
    SessionClose(String),
    Nodes,
}

/// One row of the table.
pub struct Spec {
    /// The name keymaps bind ("app.quit").
    pub name: &'static str,
    /// The doc the help screen shows next to the keys.
    pub doc: &'static str,
    /// The slash command (`/quit`) and its description for completion.
    pub slash: Option<(&'static str, &'static str)>,
    /// The slash command takes a subcommand or argument: completing it adds a space.
    pub routed: bool,
    /// The command from a slash argument ("" from a key); an error says what is expected.
    pub parse: fn(&str) -> Result<Command, String>,
}

macro_rules! fixed {
    ($cmd:expr) => {
        |_| Ok($cmd)
    };
}

/// Every command. Slash commands come first, in the order completion offers them.
#[rustfmt::skip]
pub const TABLE: &[Spec] = &[
    Spec { name: "app.help", doc: "Show the key bindings", slash: Some(("help", "Show keys and commands")), routed: false, parse: fixed!(Command::Help) },
    Spec { name: "session.status", doc: "Show node, agent, session id, status, cwd, YOLO, tokens", slash: Some(("status", "Node, agent, session id, status, cwd, YOLO, tokens")), routed: false, parse: fixed!(Command::Status) },
    Spec { name: "history.list", doc: "List earlier prompts", slash: Some(("history", "Earlier prompts")), routed: false, parse: fixed!(Command::History) },
    Spec { name: "transcript.save", doc: "Save the transcript as Markdown", slash: Some(("transcript", "Save the transcript now (/transcript PATH to choose the file)")), routed: false, parse: parse_transcript },
    Spec { name: "session.cancel", doc: "Cancel the running prompt", slash: Some(("cancel", "Cancel the running prompt")), routed: false, parse: fixed!(Command::Cancel) },
    Spec { name: "session.stop", doc: "Close this session", slash: Some(("stop", "Close this session")), routed: false, parse: fixed!(Command::Stop) },
    Spec { name: "session.pause", doc: "Pause: hide the chat, the session keeps running", slash: Some(("detach", "Pause: hide the chat, the session keeps running")), routed: false, parse: fixed!(Command::Pause) },
    Spec { name: "app.quit", doc: "Quit praxis (sessions are closed)", slash: Some(("quit", "Quit praxis")), routed: false, parse: fixed!(Command::Quit) },
    Spec { name: "app.mouse", doc: "Mouse capture on/off (while on, Shift+drag selects text)", slash: Some(("mouse", "Toggle mouse capture")), routed: false, parse: fixed!(Command::ToggleMouse) },
    Spec { name: "yolo.toggle", doc: "Toggle YOLO (auto-approve) for this session", slash: Some(("yolo", "Toggle auto-approval for this session")), routed: false, parse: fixed!(Command::ToggleYolo) },
    Spec { name: "session.mode", doc: "Show the agent's session modes", slash: Some(("mode", "Show or set the agent's session mode (/mode ID)")), routed: true, parse: parse_mode },
    Spec { name: "session.model", doc: "Show the agent's models", slash: Some(("model", "Show or switch the model (/model NAME)")), routed: true, parse: parse_model },
    Spec { name: "session.options", doc: "Show the agent's session options", slash: Some(("options", "Show or set session options: model, mode, thought level… (/options ID VALUE)")), routed: true, parse: parse_options },
    Spec { name: "copy.answer", doc: "Copy the last answer", slash: Some(("copy", "Copy the last answer (/copy code, /copy path)")), routed: true, parse: parse_copy },
    Spec { name: "app.theme", doc: "Switch the theme", slash: Some(("theme", "Switch the theme (/theme NAME)")), routed: true, parse: parse_theme },
    Spec { name: "session.new", doc: "New session with the same agent", slash: Some(("new", "New session with the same agent")), routed: false, parse: fixed!(Command::New) },
    Spec { name: "sessions.list", doc: "List sessions", slash: Some(("session", "Sessions: list, resume ID, close ID (any unique id prefix)")), routed: true, parse: parse_session },
    Spec { name: "nodes.list", doc: "List nodes and their status", slash: Some(("node", "Nodes: list, status")), routed: true, parse: parse_node },
    Spec { name: "nodes.toggle", doc: "Open or close the Nodes window", slash: None, routed: false, parse: fixed!(Command::ToggleNodes) },
    Spec { name: "chat.send", doc: "Send the prompt", slash: None, routed: false, parse: fixed!(Command::Send) },
    Spec { name: "chat.editor", doc: "Edit the draft in $VISUAL or $EDITOR", slash: None, routed: false, parse: fixed!(Command::ExternalEditor) },
    Spec { name: "chat.newline", doc: "Insert a newline", slash: None, routed: false, parse: fixed!(Command::Newline) },
    Spec { name: "session.cancel_or_close", doc: "Clear the draft, else cancel the running prompt, else close the session (twice)", slash: None, routed: false, parse: fixed!(Command::CancelOrClose) },
    Spec { name: "copy.code", doc: "Copy the last code block", slash: None, routed: false, parse: fixed!(Command::Copy(CopyWhat::Code)) },
    Spec { name: "thoughts.toggle", doc: "Show or hide thoughts", slash: None, routed: false, parse: fixed!(Command::ToggleThoughts) },
    Spec { name: "tools.toggle", doc: "Show or hide tool output", slash: None, routed: false, parse: fixed!(Command::ToggleTools) },
    Spec { name: "tools.input", doc: "Show tools' raw input (JSON) or a summary", slash: None, routed: false, parse: fixed!(Command::ToggleToolInput) },
    Spec { name: "scroll.page_up", doc: "Scroll up a page", slash: None, routed: false, parse: fixed!(Command::Scroll(ScrollTo::PageUp)) },
    Spec { name: "scroll.page_down", doc: "Scroll down a page", slash: None, routed: false, parse: fixed!(Command::Scroll(ScrollTo::PageDown)) },
    Spec { name: "scroll.top", doc: "Scroll to the top", slash: None, routed: false, parse: fixed!(Command::Scroll(ScrollTo::Top)) },
    Spec { name: "scroll.bottom", doc: "Scroll to the bottom and follow", slash: None, routed: false, parse: fixed!(Command::Scroll(ScrollTo::Bottom)) },
    Spec { name: "complete", doc: "Complete a slash command", slash: None, routed: false, parse: fixed!(Command::Complete) },
    Spec { name: "history.search", doc: "Search earlier prompts", slash: None, routed: false, parse: fixed!(Command::HistorySearch) },
    Spec { name: "nav.up", doc: "Move up", slash: None, routed: false, parse: fixed!(Command::NavUp) },
    Spec { name: "nav.down", doc: "Move down", slash: None, routed: false, parse: fixed!(Command::NavDown) },
    Spec { name: "nav.page_up", doc: "Move up a page", slash: None, routed: false, parse: fixed!(Command::NavPageUp) },
    Spec { name: "nav.page_down", doc: "Move down a page", slash: None, routed: false, parse: fixed!(Command::NavPageDown) },
    Spec { name: "nav.first", doc: "Move to the first row", slash: None, routed: false, parse: fixed!(Command::NavFirst) },
    Spec { name: "nav.last", doc: "Move to the last row", slash: None, routed: false, parse: fixed!(Command::NavLast) },
    Spec { name: "nodes.new_session", doc: "Open a session with the selected agent", slash: None, routed: false, parse: fixed!(Command::NewSessionForm) },
    Spec { name: "window.close", doc: "Close this window", slash: None, routed: false, parse: fixed!(Command::CloseWindow) },
    Spec { name: "sessions.toggle", doc: "Open or close the Active Sessions overlay", slash: None, routed: false, parse: fixed!(Command::ToggleSessions) },
    Spec { name: "sessions.resume", doc: "Resume the selected session (reopen an ended one)", slash: None, routed: false, parse: fixed!(Command::ResumeSelected) },
    Spec { name: "sessions.discard", doc: "Discard the selected session (a live one is cancelled and closed; its node keeps its history)", slash: None, routed: false, parse: fixed!(Command::DiscardSelected) },
    Spec { name: "sessions.detail", doc: "Show the selected session's detail (lifecycle, activity, health)", slash: None, routed: false, parse: fixed!(Command::SessionDetail) },
    Spec { name: "sessions.back", doc: "Clear the filter; close the overlay when it is empty", slash: None, routed: false, parse: fixed!(Command::SessionsBack) },
    Spec { name: "session.next", doc: "Switch to the next live session", slash: None, routed: false, parse: fixed!(Command::SessionNext) },
    Spec { name: "session.prev", doc: "Switch to the previous live session", slash: None, routed: false, parse: fixed!(Command::SessionPrev) },
    Spec { name: "session.1", doc: "Switch to live session 1 (the overlay numbers them)", slash: None, routed: false, parse: fixed!(Command::SessionGoto(1)) },
    Spec { name: "session.2", doc: "Switch to live session 2", slash: None, routed: false, parse: fixed!(Command::SessionGoto(2)) },
    Spec { name: "session.3", doc: "Switch to live session 3", slash: None, routed: false, parse: fixed!(Command::SessionGoto(3)) },
    Spec { name: "session.4", doc: "Switch to live session 4", slash: None, routed: false, parse: fixed!(Command::SessionGoto(4)) },
    Spec { name: "session.5", doc: "Switch to live session 5", slash: None, routed: false, parse: fixed!(Command::SessionGoto(5)) },
    Spec { name: "session.6", doc: "Switch to live session 6", slash: None, routed: false, parse: fixed!(Command::SessionGoto(6)) },
    Spec { name: "session.7", doc: "Switch to live session 7", slash: None, routed: false, parse: fixed!(Command::SessionGoto(7)) },
    Spec { name: "session.8", doc: "Switch to live session 8", slash: None, routed: false, parse: fixed!(Command::SessionGoto(8)) },
    Spec { name: "session.9", doc: "Switch to live session 9", slash: None, routed: false, parse: fixed!(Command::SessionGoto(9)) },
    Spec { name: "form.toggle", doc: "Toggle the selected option", slash: None, routed: false, parse: fixed!(Command::FormToggle) },
    Spec { name: "form.submit", doc: "Start the session", slash: None, routed: false, parse: fixed!(Command::FormSubmit) },
    Spec { name: "permission.choose", doc: "Choose the highlighted option", slash: None, routed: false, parse: fixed!(Command::PermissionChoose) },
    Spec { name: "permission.reject", doc: "Reject the request", slash: None, routed: false, parse: fixed!(Command::PermissionReject) },
];

fn parse_transcript(arg: &str) -> Result<Command, String> {
    Ok(Command::SaveTranscript(
        (!arg.is_empty()).then(|| PathBuf::from(arg)),
    ))
}

fn parse_mode(arg: &str) -> Result<Command, String> {
    Ok(Command::Mode((!arg.is_empty()).then(|| arg.to_string())))
}

fn parse_model(arg: &str) -> Result<Command, String> {
    Ok(Command::Model((!arg.is_empty()).then(|| arg.to_string())))
}

fn parse_options(arg: &str) -> Result<Command, String> {
    let (id, value) = arg.split_once(' ').unwrap_or((arg, ""));
    Ok(Command::Options(
        (!id.is_empty()).then(|| (id.to_string(), value.trim().to_string())),
    ))
}

fn parse_copy(arg: &str) -> Result<Command, String> {
    match arg {
        "" | "answer" => Ok(Command::Copy(CopyWhat::Answer)),
        "code" => Ok(Command::Copy(CopyWhat::Code)),
        "path" => Ok(Command::Copy(CopyWhat::Path)),
        other => Err(format!("/copy takes answer, code or path, not `{other}`")),
    }
}

fn parse_theme(arg: &str) -> Result<Command, String> {
    Ok(Command::Theme(arg.to_string()))
}

fn parse_session(arg: &str) -> Result<Command, String> {
    let (sub, id) = arg.split_once(' ').unwrap_or((arg, ""));
    let id = id.trim().to_string();
    match sub {
        "" | "list" => Ok(Command::SessionList),
        "resume" => Ok(Command::SessionResume(id)),
        "close" => Ok(Command::SessionClose(id)),
        other => Err(format!(
            "Unknown subcommand /session {other} (list, resume ID, close ID)"
        )),
    }
}

fn parse_node(_: &str) -> Result<Command, String> {
    Ok(Command::Nodes)
}

/// Every command name (for validating keymaps).
pub fn names() -> Vec<&'static str> {
    TABLE.iter().map(|s| s.name).collect()
}

/// The row a keymap name stands for.
pub fn by_name(name: &str) -> Option<&'static Spec> {
    TABLE.iter().find(|s| s.name == name)
}

/// The help doc of a keymap name ("" when unknown).
pub fn doc(name: &str) -> &'static str {
    by_name(name).map_or("", |s| s.doc)
}

/// The slash commands: (name, description, routed), in completion order.
pub fn slash_commands() -> impl Iterator<Item = (&'static str, &'static str, bool)> {
    TABLE
        .iter()
        .filter_map(|s| s.slash.map(|(name, desc)| (name, desc, s.routed)))
}

/// The first key bound to `command` in `ctx` (or globally), as a label ("Ctrl+W").
pub fn first_key(keymap: &crate::keymap::Keymap, ctx: Context, command: &str) -> Option<String> {
    keymap.keys_for(ctx.name(), command).into_iter().next()
}

/// A footer hint from the keymap: "Enter resume · d discard · Esc close" for
/// `[("sessions.resume", "resume"), ...]`; commands no key runs are left out.
pub fn key_hints(keymap: &crate::keymap::Keymap, ctx: Context, items: &[(&str, &str)]) -> String {
    items
        .iter()
        .filter_map(|(command, what)| Some(format!("{} {what}", first_key(keymap, ctx, command)?)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What a line typed with a leading `/` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slash {
    /// A built-in command with its arguments parsed.
    Builtin(Command),
    /// A built-in whose arguments are wrong: the message says why.
    BadArgs(String),
    /// Not a built-in: the agent's command, or unknown (the caller knows which).
    Other(String),
}

/// Parses `/name args…`.
pub fn parse_slash(text: &str) -> Slash {
    let body = text.trim().trim_start_matches('/');
    let (name, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    let Some(spec) = TABLE
        .iter()
        .find(|s| s.slash.is_some_and(|(n, _)| n == name))
    else {
        return Slash::Other(name.to_string());
    };
    match (spec.parse)(rest.trim()) {
        Ok(cmd) => Slash::Builtin(cmd),
        Err(e) => Slash::BadArgs(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_slash_names_are_unique() {
        let mut names = names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TABLE.len());
        let mut slash: Vec<&str> = slash_commands().map(|(n, _, _)| n).collect();
        let n = slash.len();
        slash.sort();
        slash.dedup();
        assert_eq!(slash.len(), n);
    }

    #[test]
    fn slash_commands_parse_into_the_same_values_as_keys() {
        assert_eq!(parse_slash("/quit"), Slash::Builtin(Command::Quit));
        assert_eq!((by_name("app.quit").unwrap().parse)(""), Ok(Command::Quit));
        assert_eq!(
            parse_slash("/copy code"),
            Slash::Builtin(Command::Copy(CopyWhat::Code))
        );
        assert_eq!(
            (by_name("copy.code").unwrap().parse)(""),
            Ok(Command::Copy(CopyWhat::Code))
        );
        assert_eq!(
            parse_slash("/session resume ab12"),
            Slash::Builtin(Command::SessionResume("ab12".into()))
        );
        assert_eq!(
            parse_slash("/transcript /tmp/t.md"),
            Slash::Builtin(Command::SaveTranscript(Some("/tmp/t.md".into())))
        );
        assert!(
            matches!(parse_slash("/copy nope"), Slash::BadArgs(e) if e.contains("answer, code or path"))
        );
        assert_eq!(parse_slash("/stream 10"), Slash::Other("stream".into()));
    }

    #[test]
    fn key_hints_follow_the_keymap() {
        let keymap = crate::keymap::Keymap::default_keymap(&names());
        let items = [
            ("sessions.resume", "resume"),
            ("sessions.discard", "discard"),
            ("window.close", "close"),
        ];
        assert_eq!(
            key_hints(&keymap, Context::Sessions, &items),
            "Enter resume · Ctrl+D discard · Ctrl+W close"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("keymaps")).unwrap();
        std::fs::write(
            dir.path().join("keymaps/default.toml"),
            "[sessions]\n\"ctrl+d\" = \"none\"\n\"delete\" = \"none\"\n\"o\" = \"sessions.resume\"\n",
        )
        .unwrap();
        let (keymap, err) = crate::keymap::Keymap::load("default", dir.path(), &names());
        assert_eq!(err, None);
        assert_eq!(
            key_hints(&keymap, Context::Sessions, &items),
            "Enter resume · Ctrl+W close"
        );
        assert_eq!(
            first_key(&keymap, Context::Nodes, "sessions.toggle").as_deref(),
            Some("Ctrl+W")
        );
    }
}
