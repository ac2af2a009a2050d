//! Keymaps: per-context tables binding keys ("ctrl+c", "shift+enter", "?") to named commands.
//! Keys themselves ([`Key`], [`parse_key`], labels) live in [`crate::key`]; this owns
//! loading: the shipped
//! `keymaps/default.toml` embedded in the binary, merged with the user's
//! `<config_dir>/keymaps/NAME.toml`, which overrides only the keys it names (`"none"` unbinds).
//!
//! It knows command *names* only (the caller passes the valid ones); what a command does lives
//! in `state`. Nothing here panics on user input: a bad file is an error naming file, line and
//! key, and the caller gets the embedded default.

use crate::config::{line_of, toml_error};
pub use crate::key::{parse_key, Key};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::marker::PhantomData;
use std::path::Path;
use toml::Spanned;

/// The shipped keymaps (name, TOML text).
const BUILTIN: &[(&str, &str)] = &[("default", include_str!("../keymaps/default.toml"))];

/// The command name that unbinds a key (and hides a "global" binding in that context).
pub const UNBIND: &str = "none";

/// The context every other context falls back to.
pub const GLOBAL: &str = "global";

/// Key bindings per context, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    contexts: Vec<Context>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Context {
    name: String,
    /// `None` is an explicit unbinding: the key does nothing here, not even its global command.
    bindings: Vec<(Key, Option<String>)>,
}

impl Keymap {
    /// Loads keymap `name`: the embedded keymap of that name (or "default") merged with the
    /// user's file of that name, which overrides only the keys it names (and may unbind with
    /// command = "none"). `known_commands` lists valid command names; unknown ones are errors.
    /// On error returns the embedded default plus the error text (file, line, key).
    pub fn load(
        name: &str,
        config_dir: &Path,
        known_commands: &[&str],
    ) -> (Keymap, Option<String>) {
        match try_load(name, config_dir, known_commands) {
            Ok(keymap) => (keymap, None),
            Err(e) => (Keymap::default_keymap(known_commands), Some(e)),
        }
    }

    /// The embedded default keymap. Bindings to commands not in `known_commands` are dropped
    /// (and logged): that is a bug in the shipped file, which a unit test guards against.
    pub fn default_keymap(known_commands: &[&str]) -> Keymap {
        let text = builtin_text("default").unwrap_or_default();
        let label = "built-in keymaps/default.toml";
        match parse(label, text, Some(known_commands)) {
            Ok(keymap) => keymap,
            Err(e) => {
                tracing::error!("the built-in keymap is broken: {e}");
                let mut keymap = parse(label, text, None).unwrap_or_default();
                for ctx in &mut keymap.contexts {
                    ctx.bindings
                        .retain(|(_, c)| c.as_deref().is_none_or(|c| known_commands.contains(&c)));
                }
                keymap
            }
        }
    }

    /// The command bound to `key` in `context`, falling back to context "global".
    pub fn command(&self, context: &str, key: &Key) -> Option<&str> {
        let combo = key.normalized();
        match self.lookup(context, combo) {
            Some(bound) => bound,
            None if context != GLOBAL => self.lookup(GLOBAL, combo).flatten(),
            None => None,
        }
    }

    /// (key label, command) pairs of a context, in file order, for the help screen.
    pub fn bindings(&self, context: &str) -> Vec<(String, String)> {
        self.context(context)
            .map(|ctx| {
                let bound = ctx.bindings.iter();
                bound
                    .filter_map(|(k, c)| Some((k.label(), c.clone()?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Context names in file order (built-in ones first, then those a user file added).
    pub fn contexts(&self) -> Vec<String> {
        self.contexts.iter().map(|c| c.name.clone()).collect()
    }

    /// Labels of the keys that run `command` in `context` (or globally, where the context does
    /// not shadow the key), for key hints such as "F1 help".
    pub fn keys_for(&self, context: &str, command: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for ctx_name in [context, GLOBAL] {
            for (key, cmd) in self
                .context(ctx_name)
                .map(|c| c.bindings.as_slice())
                .unwrap_or(&[])
            {
                let shadowed = ctx_name != context && self.lookup(context, *key).is_some();
                if cmd.as_deref() == Some(command) && !shadowed && !keys.contains(&key.label()) {
                    keys.push(key.label());
                }
            }
        }
        keys
    }

    fn context(&self, name: &str) -> Option<&Context> {
        self.contexts.iter().find(|c| c.name == name)
    }

    /// `Some(None)` when the context unbinds the key, `None` when it does not mention it.
    fn lookup(&self, context: &str, combo: Key) -> Option<Option<&str>> {
        let ctx = self.context(context)?;
        let (_, cmd) = ctx.bindings.iter().find(|(k, _)| *k == combo)?;
        Some(cmd.as_deref())
    }

    /// Applies `other` over `self`: a key it names replaces the binding in place (keeping the
    /// help screen's order) or is appended; new contexts are appended.
    fn merge(&mut self, other: Keymap) {
        for ctx in other.contexts {
            let i = match self.contexts.iter().position(|c| c.name == ctx.name) {
                Some(i) => i,
                None => {
                    self.contexts.push(Context {
                        name: ctx.name.clone(),
                        bindings: Vec::new(),
                    });
                    self.contexts.len() - 1
                }
            };
            let target = &mut self.contexts[i].bindings;
            for (key, cmd) in ctx.bindings {
                match target.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = cmd,
                    None => target.push((key, cmd)),
                }
            }
        }
    }
}

fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn try_load(name: &str, config_dir: &Path, known: &[&str]) -> Result<Keymap, String> {
    let path = config_dir.join("keymaps").join(format!("{name}.toml"));
    let user = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut keymap = match builtin_text(name) {
        Some(text) if name != "default" => {
            parse(&format!("built-in keymaps/{name}.toml"), text, Some(known))?
        }
        Some(_) => Keymap::default_keymap(known),
        None if user.is_some() => Keymap::default_keymap(known),
        None => {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "no keymap named {name:?} (built-in: {})",
                names.join(", ")
            ));
        }
    };
    if let Some(text) = user {
        keymap.merge(parse(&path.display().to_string(), &text, Some(known))?);
    }
    Ok(keymap)
}

/// Parses a keymap file; `known` = `None` accepts any command name.
fn parse(label: &str, text: &str, known: Option<&[&str]>) -> Result<Keymap, String> {
    type File = Ordered<Spanned<String>, Ordered<Spanned<String>, Spanned<String>>>;
    let file: File = toml::from_str(text).map_err(|e| toml_error(label, text, &e))?;
    let mut contexts = Vec::new();
    for (name, table) in file.0 {
        let name = name.into_inner();
        let mut bindings: Vec<(Key, Option<String>)> = Vec::new();
        let mut seen: Vec<(Key, String, usize)> = Vec::new();
        for (key, command) in table.0 {
            let line = line_of(text, key.span().start);
            let key = key.into_inner();
            let at = |msg: String| format!("{label}: line {line}: [{name}] {key:?}: {msg}");
            let combo = parse_key(&key).map_err(at)?;
            if let Some((_, first, first_line)) = seen.iter().find(|(k, _, _)| *k == combo) {
                return Err(at(format!(
                    "the same key as {first:?} on line {first_line}"
                )));
            }
            let command = command.into_inner();
            if let Some(known) = known.filter(|_| command != UNBIND) {
                if !known.contains(&command.as_str()) {
                    return Err(at(unknown_command(&command, known)));
                }
            }
            seen.push((combo, key.clone(), line));
            bindings.push((combo, (command != UNBIND).then_some(command)));
        }
        contexts.push(Context { name, bindings });
    }
    Ok(Keymap { contexts })
}

/// "unknown command", listing the known commands of the same group ("chat.*").
fn unknown_command(command: &str, known: &[&str]) -> String {
    let group = command.split('.').next().unwrap_or_default();
    let same: Vec<&str> = known
        .iter()
        .copied()
        .filter(|k| k.split('.').next() == Some(group))
        .collect();
    match same.as_slice() {
        [] => format!("unknown command {command:?} (\"{UNBIND}\" unbinds; F1 lists the commands)"),
        _ => format!(
            "unknown command {command:?} (known {group}.* commands: {})",
            same.join(", ")
        ),
    }
}

/// A TOML table's entries in file order (serde's maps would sort or hash them).
struct Ordered<K, V>(Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Ordered<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
            type Value = Ordered<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{KeyCode, Modifiers};
    use KeyCode::*;

    #[rustfmt::skip]
    const KNOWN: &[&str] = &[
        "app.quit", "app.help", "nodes.toggle", "chat.send", "chat.newline", "session.pause",
        "session.cancel_or_close", "transcript.save", "copy.answer", "copy.code", "yolo.toggle",
        "thoughts.toggle", "tools.toggle", "scroll.page_up", "scroll.page_down", "scroll.top",
        "scroll.bottom", "complete", "history.search", "nav.up", "nav.down", "window.close",
        "nodes.new_session", "sessions.toggle", "sessions.resume", "sessions.discard",
        "form.toggle", "form.submit", "permission.choose", "permission.reject", "nav.page_up",
        "nav.page_down", "nav.first", "nav.last", "sessions.detail", "sessions.back",
        "session.next", "session.prev", "session.1", "session.2", "session.3", "session.4",
        "session.5", "session.6", "session.7", "session.8", "session.9", "app.mouse",
        "tools.input", "chat.editor",
    ];
    const NONE: Modifiers = Modifiers::NONE;
    const CTRL: Modifiers = Modifiers::CONTROL;
    const ALT: Modifiers = Modifiers::ALT;
    const SHIFT: Modifiers = Modifiers::SHIFT;

    /// Runs `(context, code, modifiers, expected command)` cases against `k`.
    fn check(k: &Keymap, cases: &[(&str, KeyCode, Modifiers, Option<&str>)]) {
        for (ctx, code, m, want) in cases {
            let got = k.command(ctx, &Key::new(*code, *m));
            assert_eq!(got, *want, "[{ctx}] {code:?} {m:?}");
        }
    }

    fn pair(key: &str, command: &str) -> (String, String) {
        (key.to_string(), command.to_string())
    }

    fn user_keymap(name: &str, text: &str) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("keymaps")).unwrap();
        let path = dir.path().join(format!("keymaps/{name}.toml"));
        std::fs::write(&path, text).unwrap();
        (dir, path.display().to_string())
    }

    #[test]
    fn the_default_keymap_validates_and_has_every_context() {
        parse(
            "default.toml",
            builtin_text("default").unwrap(),
            Some(KNOWN),
        )
        .unwrap();
        let k = Keymap::default_keymap(KNOWN);
        let contexts = "global chat nodes sessions detail form permission help";
        assert_eq!(k.contexts(), contexts.split(' ').collect::<Vec<_>>());
        assert_eq!(k.bindings("chat").len(), 21);
        assert_eq!(k.bindings("help").len(), 4);
    }

    #[test]
    fn default_keymap_maps_keys_however_the_terminal_sends_them() {
        let k = Keymap::default_keymap(KNOWN);
        check(
            &k,
            &[
                ("chat", Char('c'), CTRL, Some("session.cancel_or_close")),
                ("chat", Enter, NONE, Some("chat.send")),
                ("chat", Enter, SHIFT, Some("chat.newline")),
                ("chat", Enter, ALT, Some("chat.newline")),
                ("chat", Char('\n'), ALT, Some("chat.newline")),
                ("chat", Char('\n'), NONE, Some("chat.newline")),
                ("chat", Char('\r'), NONE, Some("chat.send")),
                ("chat", Char('j'), CTRL, Some("chat.newline")),
                ("chat", Char('w'), CTRL | ALT, Some("transcript.save")),
                ("chat", Char('w'), CTRL, Some("session.pause")),
                ("chat", PageUp, NONE, Some("scroll.page_up")),
                ("chat", End, CTRL, Some("scroll.bottom")),
                ("chat", Char('q'), CTRL, Some("app.quit")),
                ("chat", F(1), NONE, Some("app.help")),
                ("chat", Char('x'), NONE, None),
                ("nodes", Char('?'), SHIFT, Some("app.help")),
                ("help", Char('?'), NONE, Some("window.close")),
                ("help", F(1), NONE, Some("window.close")),
                ("form", BackTab, SHIFT, Some("nav.up")),
                ("form", Char(' '), NONE, Some("form.toggle")),
                ("sessions", Delete, NONE, Some("sessions.discard")),
                ("unknown", Char('l'), CTRL, Some("nodes.toggle")),
            ],
        );
        // A key built without normalizing still matches.
        let raw = Key {
            code: Char('\n'),
            modifiers: ALT,
        };
        assert_eq!(k.command("chat", &raw), Some("chat.newline"));
    }

    #[test]
    fn keys_parse_in_every_documented_form() {
        let cases = [
            ("ctrl+c", Char('c'), CTRL),
            ("Ctrl+Alt+W", Char('w'), CTRL | ALT),
            ("CTRL + alt + w", Char('w'), CTRL | ALT),
            ("ctrl+shift+w", Char('W'), CTRL),
            ("shift+Enter", Enter, SHIFT),
            ("alt+return", Enter, ALT),
            ("shift+tab", BackTab, NONE),
            ("Esc", Esc, NONE),
            ("F12", F(12), NONE),
            ("pgdn", PageDown, NONE),
            ("del", Delete, NONE),
            ("space", Char(' '), NONE),
            ("D", Char('D'), NONE),
            ("shift+d", Char('D'), NONE),
            ("+", Char('+'), NONE),
            ("ctrl++", Char('+'), CTRL),
        ];
        for (s, code, modifiers) in cases {
            assert_eq!(parse_key(s), Ok(Key { code, modifiers }), "{s}");
        }
        for bad in [
            "", "ctrl+", "ctlr+c", "f25", "pagedwn", "shift+?", "ctrl++c",
        ] {
            assert!(parse_key(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn labels_render_nicely() {
        let cases = [
            ("ctrl+alt+w", "Ctrl+Alt+W"),
            ("shift+enter", "Shift+Enter"),
            ("alt+enter", "Alt+Enter"),
            ("pageup", "PageUp"),
            ("pgdn", "PageDown"),
            ("ctrl+home", "Ctrl+Home"),
            ("?", "?"),
            ("d", "d"),
            ("space", "Space"),
            ("backtab", "Shift+Tab"),
            ("ctrl+shift+w", "Ctrl+Shift+W"),
            ("esc", "Esc"),
            ("f1", "F1"),
        ];
        for (key, label) in cases {
            assert_eq!(parse_key(key).unwrap().label(), label);
        }
        let k = Keymap::default_keymap(KNOWN);
        assert_eq!(k.bindings("global")[0], pair("Ctrl+Q", "app.quit"));
        assert_eq!(k.keys_for("chat", "app.help"), vec!["F1"]);
        let newline = k.keys_for("chat", "chat.newline");
        assert_eq!(newline, vec!["Shift+Enter", "Alt+Enter", "Ctrl+J"]);
        assert!(k.keys_for("help", "app.help").is_empty(), "F1 is shadowed");
    }

    #[test]
    fn user_file_overrides_only_the_keys_it_names() {
        let text = "[chat]\n\"ctrl+w\" = \"transcript.save\"\n\"f5\" = \"yolo.toggle\"\n\
                    [mine]\n\"x\" = \"app.quit\"\n";
        let (dir, _) = user_keymap("default", text);
        let (k, err) = Keymap::load("default", dir.path(), KNOWN);
        assert_eq!(err, None);
        check(
            &k,
            &[
                ("chat", Char('w'), CTRL, Some("transcript.save")),
                ("chat", F(5), NONE, Some("yolo.toggle")),
                ("chat", Char('c'), CTRL, Some("session.cancel_or_close")),
                ("nodes", Char('w'), CTRL, Some("sessions.toggle")),
                ("mine", Char('x'), NONE, Some("app.quit")),
            ],
        );
        let chat = k.bindings("chat");
        assert_eq!(chat.len(), 22);
        assert_eq!(chat[7], pair("Ctrl+W", "transcript.save"), "kept in place");
        assert_eq!(chat[21], pair("F5", "yolo.toggle"));
        assert_eq!(k.contexts().last().map(String::as_str), Some("mine"));
    }

    #[test]
    fn none_unbinds_and_hides_the_global_binding() {
        let (dir, _) = user_keymap(
            "default",
            "[chat]\n\"esc\" = \"none\"\n\"ctrl+q\" = \"none\"\n",
        );
        let (k, err) = Keymap::load("default", dir.path(), KNOWN);
        assert_eq!(err, None);
        check(
            &k,
            &[
                ("chat", Esc, NONE, None),
                ("chat", Char('q'), CTRL, None),
                ("nodes", Char('q'), CTRL, Some("app.quit")),
                ("chat", Char('w'), CTRL, Some("session.pause")),
            ],
        );
        let chat = k.bindings("chat");
        assert!(chat.iter().all(|(key, _)| key != "Esc" && key != "Ctrl+Q"));
    }

    /// Loads a broken user file: asserts the fallback, returns (error, the file's path).
    fn load_error(text: &str) -> (String, String) {
        let (dir, path) = user_keymap("default", text);
        let (k, err) = Keymap::load("default", dir.path(), KNOWN);
        assert_eq!(
            k,
            Keymap::default_keymap(KNOWN),
            "falls back to the default"
        );
        (err.expect("an error"), path)
    }

    fn assert_names(err: &str, file: &str, line: usize, parts: &[&str]) {
        assert!(err.starts_with(&format!("{file}: line {line}")), "{err}");
        assert!(parts.iter().all(|p| err.contains(p)), "{err}");
    }

    #[test]
    fn unknown_command_names_file_line_and_key() {
        let (err, path) =
            load_error("[chat]\n\"ctrl+x\" = \"copy.code\"\n\"alt+s\" = \"chat.sned\"\n");
        let known = "(known chat.* commands: chat.send, chat.newline, chat.editor)";
        assert_names(&err, &path, 3, &["[chat] \"alt+s\"", "chat.sned", known]);
    }

    #[test]
    fn unknown_key_name_and_bad_toml_name_file_line_and_key() {
        let (err, path) = load_error("\n[chat]\n\"ctrl+entr\" = \"chat.send\"\n");
        assert_names(
            &err,
            &path,
            3,
            &["[chat] \"ctrl+entr\"", "unknown key name"],
        );
        let (err, path) =
            load_error("[chat]\n\"esc\" = \"session.pause\"\n\"escape\" = \"app.quit\"\n");
        assert_names(
            &err,
            &path,
            3,
            &["\"escape\"", "the same key as \"esc\" on line 2"],
        );
        let (err, path) = load_error("[chat]\n\"ctrl+s\" = chat.send\n");
        assert_names(&err, &path, 2, &["ctrl+s"]);
        let (err, path) = load_error("\"ctrl+s\" = \"chat.send\"\n");
        assert_names(&err, &path, 1, &["ctrl+s"]);
    }

    #[test]
    fn missing_or_unreadable_keymaps_fall_back() {
        let (dir, _) = user_keymap("mine", "[chat]\n\"f2\" = \"app.help\"\n");
        let (k, err) = Keymap::load("default", dir.path(), KNOWN);
        assert_eq!((k, err), (Keymap::default_keymap(KNOWN), None));
        let (_, err) = Keymap::load("emacs", dir.path(), KNOWN);
        assert!(err.unwrap().contains("emacs"));
        std::fs::create_dir_all(dir.path().join("keymaps/vi.toml")).unwrap();
        let (_, err) = Keymap::load("vi", dir.path(), KNOWN);
        assert!(err.unwrap().contains("cannot read"));
        // A user keymap with a new name starts from the default.
        let (k, err) = Keymap::load("mine", dir.path(), KNOWN);
        assert_eq!(err, None);
        check(
            &k,
            &[
                ("chat", F(2), NONE, Some("app.help")),
                ("chat", Enter, NONE, Some("chat.send")),
            ],
        );
        // Commands the app does not know are dropped from the built-in map, not fatal.
        let partial = Keymap::default_keymap(&["app.quit"]);
        assert_eq!(partial.bindings("global"), vec![pair("Ctrl+Q", "app.quit")]);
    }
}
