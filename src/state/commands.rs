//! Named commands: every action a key can trigger, with the one-line doc the help screen shows.
//! Keymap files bind keys to these names per context.

/// (name, doc).
pub const COMMANDS: &[(&str, &str)] = &[
    ("app.quit", "Quit praxis (sessions are closed)"),
    ("app.help", "Show the key bindings"),
    ("nodes.toggle", "Open or close the Nodes window"),
    ("chat.send", "Send the prompt"),
    ("chat.newline", "Insert a newline"),
    (
        "session.cancel_or_close",
        "Cancel the running prompt; close the session when idle (press twice)",
    ),
    (
        "session.pause",
        "Pause: hide the chat, the session keeps running",
    ),
    ("transcript.save", "Save the transcript as Markdown"),
    ("copy.answer", "Copy the last answer"),
    ("copy.code", "Copy the last code block"),
    ("yolo.toggle", "Toggle YOLO (auto-approve) for this session"),
    ("thoughts.toggle", "Show or hide thoughts"),
    ("tools.toggle", "Show or hide tool output"),
    ("scroll.page_up", "Scroll up a page"),
    ("scroll.page_down", "Scroll down a page"),
    ("scroll.top", "Scroll to the top"),
    ("scroll.bottom", "Scroll to the bottom and follow"),
    ("complete", "Complete a slash command"),
    ("history.search", "Search earlier prompts"),
    ("nav.up", "Move up"),
    ("nav.down", "Move down"),
    (
        "nodes.new_session",
        "Open a session with the selected agent",
    ),
    ("window.close", "Close this window"),
    (
        "sessions.toggle",
        "Open or close the Active Sessions overlay",
    ),
    ("sessions.resume", "Resume the selected session"),
    (
        "sessions.discard",
        "Discard the selected session (cancel, then close)",
    ),
    ("form.toggle", "Toggle the selected option"),
    ("form.submit", "Start the session"),
    ("permission.choose", "Choose the highlighted option"),
    ("permission.reject", "Reject the request"),
];

/// Every command name (for validating keymaps).
pub fn names() -> Vec<&'static str> {
    COMMANDS.iter().map(|(n, _)| *n).collect()
}

pub fn doc(name: &str) -> &'static str {
    COMMANDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .unwrap_or("")
}
