//! Themes: TOML files with a `syntax` theme name, a `[palette]` of named colors and a `[styles]`
//! table of dotted scopes (helix-like). Owns loading (the shipped `themes/*.toml` embedded in the
//! binary, a user's `<config_dir>/themes/NAME.toml` merged over the shipped theme of that name
//! or over `inherits = "OTHER"`), validation with errors naming file, line and key, and scope
//! lookup with fallback (`ui.statusline.inactive` → `ui.statusline` → `ui`).
//!
//! It never panics on user input and never draws anything: widgets ask [`Theme::style`].

use crate::config::{line_of, toml_error};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use toml::Spanned;

/// The shipped themes (name, TOML text).
const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The syntax themes syntect ships in its default `ThemeSet`.
pub const SYNTAX_THEMES: &[&str] = &[
    "base16-ocean.dark",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "base16-ocean.light",
    "InspiredGitHub",
    "Solarized (dark)",
    "Solarized (light)",
];

/// The syntax theme used when a theme names none.
pub const DEFAULT_SYNTAX: &str = "base16-ocean.dark";

/// Every scope the UI asks for; each shipped theme defines all of them.
#[rustfmt::skip]
pub const SCOPES: &[&str] = &[
    "ui", "ui.text", "ui.dim", "ui.border", "ui.border.focused", "ui.title", "ui.selection",
    "ui.statusline", "ui.statusline.yolo", "ui.statusline.status", "ui.statusline.sessions",
    "ui.popup", "ui.popup.selected", "ui.help.key", "ui.input", "ui.input.placeholder",
    "role.user.rail", "role.user.header", "role.agent.rail", "role.agent.header",
    "role.agent.glyph.streaming", "role.agent.glyph.done", "role.agent.glyph.failed",
    "markup.heading.1", "markup.heading.2", "markup.heading", "markup.bold", "markup.italic",
    "markup.code", "markup.code_block", "markup.link", "markup.quote", "markup.list.bullet",
    "markup.table.border", "markup.rule", "markup.task.done", "markup.task.open", "thought",
    "tool.title", "tool.kind", "tool.status.pending", "tool.status.in_progress",
    "tool.status.completed", "tool.status.failed", "tool.output", "diff.plus", "diff.minus",
    "plan.pending", "plan.in_progress", "plan.completed", "permission",
    "permission.option.selected", "error", "warning", "info",
];

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("slow_blink", Modifier::SLOW_BLINK),
    ("rapid_blink", Modifier::RAPID_BLINK),
    ("reversed", Modifier::REVERSED),
    ("hidden", Modifier::HIDDEN),
    ("crossed_out", Modifier::CROSSED_OUT),
];

/// How deep `inherits` chains may go (a cycle ends here with an error).
const MAX_INHERITS: usize = 8;

/// A resolved theme: every color is concrete, every scope a ratatui [`Style`].
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    name: String,
    syntax: String,
    palette: Palette,
    styles: HashMap<String, Style>,
}

impl Theme {
    /// Loads theme `name`: user file over the embedded one; on any error returns the embedded
    /// "dark" theme plus the error text.
    pub fn load(name: &str, config_dir: &Path) -> (Theme, Option<String>) {
        match load_raw(name, Some(config_dir), 0).and_then(|raw| raw.resolve(name)) {
            Ok(theme) => (theme, None),
            Err(e) => (Theme::default_dark(), Some(e)),
        }
    }

    /// A shipped theme, ignoring the user's files.
    pub fn builtin(name: &str) -> Option<Theme> {
        match load_raw(name, None, 0).and_then(|raw| raw.resolve(name)) {
            Ok(theme) => Some(theme),
            Err(e) => {
                if builtin_text(name).is_some() {
                    tracing::error!("built-in theme {name} is broken: {e}");
                }
                None
            }
        }
    }

    /// The embedded dark theme (a bare theme if it were ever broken; a unit test keeps it not).
    pub fn default_dark() -> Theme {
        Theme::builtin("dark").unwrap_or_else(|| Theme {
            name: "dark".into(),
            syntax: DEFAULT_SYNTAX.into(),
            palette: BTreeMap::new(),
            styles: HashMap::new(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The style for a dotted scope with fallback: "ui.statusline.inactive" → "ui.statusline" →
    /// "ui" → `Style::default()`. The nearest defined scope wins; styles are not merged.
    pub fn style(&self, scope: &str) -> Style {
        let mut scope = scope;
        loop {
            if let Some(style) = self.styles.get(scope) {
                return *style;
            }
            match scope.rfind('.') {
                Some(i) => scope = &scope[..i],
                None => return Style::default(),
            }
        }
    }

    /// The syntect theme for code blocks (one of [`SYNTAX_THEMES`]).
    pub fn syntax_theme(&self) -> &str {
        &self.syntax
    }

    /// A palette color by name (for widgets that need a raw color, e.g. gradients).
    pub fn color(&self, name: &str) -> Option<Color> {
        self.palette.get(name).copied()
    }

    /// Names of all themes: embedded + user dir, sorted, deduplicated.
    pub fn available(config_dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        if let Ok(entries) = std::fs::read_dir(config_dir.join("themes")) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                        names.push(stem.to_string());
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }
}

fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Where an entry came from, for error messages.
#[derive(Debug, Clone)]
struct Origin {
    file: String,
    line: usize,
}

impl Origin {
    fn error(&self, key: &str, message: impl std::fmt::Display) -> String {
        format!("{}: line {}: {key}: {message}", self.file, self.line)
    }
}

/// A theme before colors are resolved: layers merge at this stage so a user palette entry
/// recolors every inherited style that names it.
#[derive(Debug, Default)]
struct RawTheme {
    syntax: Option<(String, Origin)>,
    palette: BTreeMap<String, (String, Origin)>,
    styles: BTreeMap<String, (toml::Value, Origin)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    inherits: Option<Spanned<String>>,
    syntax: Option<Spanned<String>>,
    #[serde(default)]
    palette: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    styles: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// Theme `name` as raw layers: the user's file (if `config_dir` is given and it exists) over
/// its base, else the embedded file.
fn load_raw(name: &str, config_dir: Option<&Path>, depth: usize) -> Result<RawTheme, String> {
    if let Some(dir) = config_dir {
        let path = dir.join("themes").join(format!("{name}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                return load_file(name, &path.display().to_string(), &text, Some(dir), depth)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
    }
    match builtin_text(name) {
        Some(text) => {
            let label = format!("built-in themes/{name}.toml");
            load_file(name, &label, text, None, depth)
        }
        None => {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            Err(format!(
                "no theme named {name:?} (built-in: {})",
                names.join(", ")
            ))
        }
    }
}

fn load_file(
    name: &str,
    label: &str,
    text: &str,
    user_dir: Option<&Path>,
    depth: usize,
) -> Result<RawTheme, String> {
    let file: ThemeFile = toml::from_str(text).map_err(|e| toml_error(label, text, &e))?;
    let origin = |span: std::ops::Range<usize>| Origin {
        file: label.to_string(),
        line: line_of(text, span.start),
    };
    // The base: `inherits`, else the embedded theme of the same name (for a user file).
    let mut base = match &file.inherits {
        Some(parent) => {
            let at = origin(parent.span());
            if depth >= MAX_INHERITS {
                return Err(at.error("inherits", "inherits chain too deep (a cycle?)"));
            }
            let parent_name = parent.get_ref().as_str();
            // A file inheriting its own name means the embedded theme underneath it.
            let parent_dir = if parent_name == name { None } else { user_dir };
            load_raw(parent_name, parent_dir, depth + 1).map_err(|e| at.error("inherits", e))?
        }
        None if user_dir.is_some() && builtin_text(name).is_some() => {
            load_raw(name, None, depth + 1)?
        }
        None => RawTheme::default(),
    };
    if let Some(syntax) = &file.syntax {
        base.syntax = Some((syntax.get_ref().clone(), origin(syntax.span())));
    }
    for (key, value) in file.palette {
        base.palette.insert(
            key.get_ref().clone(),
            (value.into_inner(), origin(key.span())),
        );
    }
    for (key, value) in file.styles {
        base.styles.insert(
            key.get_ref().clone(),
            (value.into_inner(), origin(key.span())),
        );
    }
    Ok(base)
}

impl RawTheme {
    fn resolve(self, name: &str) -> Result<Theme, String> {
        let syntax = match self.syntax {
            Some((s, at)) if !SYNTAX_THEMES.contains(&s.as_str()) => {
                let msg = format!(
                    "unknown syntax theme {s:?} (expected one of: {})",
                    SYNTAX_THEMES.join(", ")
                );
                return Err(at.error("syntax", msg));
            }
            Some((s, _)) => s,
            None => DEFAULT_SYNTAX.to_string(),
        };
        let mut palette = BTreeMap::new();
        for (key, (value, at)) in &self.palette {
            let color = literal_color(value).map_err(|e| at.error(&format!("palette.{key}"), e))?;
            palette.insert(key.clone(), color);
        }
        let mut styles = HashMap::new();
        for (scope, (value, at)) in &self.styles {
            let style = parse_style(value, &palette)
                .map_err(|(attr, e)| at.error(&format!("styles.{scope:?}{attr}"), e))?;
            styles.insert(scope.clone(), style);
        }
        Ok(Theme {
            name: name.to_string(),
            syntax,
            palette,
            styles,
        })
    }
}

type Palette = BTreeMap<String, Color>;

/// A style value: a color (the foreground) or `{ fg, bg, modifiers }`. Errors carry the
/// attribute (".fg", ".modifiers", or "") so the message can name the key exactly.
fn parse_style(value: &toml::Value, palette: &Palette) -> Result<Style, (String, String)> {
    let table = match value {
        toml::Value::String(s) => {
            let fg = color(s, palette).map_err(|e| (String::new(), e))?;
            return Ok(Style::default().fg(fg));
        }
        toml::Value::Table(t) => t,
        other => {
            let found = other.type_str();
            let msg = format!("expected a color or {{ fg, bg, modifiers }}, found {found}");
            return Err((String::new(), msg));
        }
    };
    let mut style = Style::default();
    for (attr, v) in table {
        let at = |e: String| (format!(".{attr}"), e);
        let found = v.type_str();
        match attr.as_str() {
            "fg" | "bg" => {
                let s = v
                    .as_str()
                    .ok_or_else(|| at(format!("expected a color, found {found}")))?;
                let c = color(s, palette).map_err(at)?;
                style = if attr == "fg" {
                    style.fg(c)
                } else {
                    style.bg(c)
                };
            }
            "modifiers" => {
                let items = v
                    .as_array()
                    .ok_or_else(|| at(format!("expected a list, found {found}")))?;
                for item in items {
                    let m = item
                        .as_str()
                        .and_then(|s| MODIFIERS.iter().find(|(n, _)| *n == s));
                    let Some((_, m)) = m else {
                        let names: Vec<&str> = MODIFIERS.iter().map(|(n, _)| *n).collect();
                        let names = names.join(", ");
                        return Err(at(format!(
                            "unknown modifier {item} (expected one of: {names})"
                        )));
                    };
                    style = style.add_modifier(*m);
                }
            }
            _ => {
                let msg = "unknown style attribute (expected fg, bg, modifiers; a dotted scope \
                           must be quoted: \"ui.text\" = ...)";
                return Err(at(msg.to_string()));
            }
        }
    }
    Ok(style)
}

/// A palette name, else a literal color.
fn color(s: &str, palette: &Palette) -> Result<Color, String> {
    match palette.get(s) {
        Some(c) => Ok(*c),
        None if s.starts_with('#') => literal_color(s),
        None => literal_color(s).map_err(|_| {
            let expected = "a palette name, \"#rrggbb\", an ANSI name like \"lightblue\", or 0-255";
            format!("unknown color {s:?} (expected {expected})")
        }),
    }
}

/// "#rrggbb", an ANSI color name ("lightblue", "dark-gray", "reset") or a 256-color index.
fn literal_color(s: &str) -> Result<Color, String> {
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            if let Ok(rgb) = u32::from_str_radix(hex, 16) {
                return Ok(Color::Rgb((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8));
            }
        }
        return Err(format!("bad color {s:?}: expected \"#rrggbb\""));
    }
    if let Ok(index) = s.parse::<u8>() {
        return Ok(Color::Indexed(index));
    }
    let norm: String = s
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    let c = match norm.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => {
            let expected = "expected \"#rrggbb\", an ANSI name like \"lightblue\", or 0-255";
            return Err(format!("unknown color {s:?} ({expected})"));
        }
    };
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `<dir>/themes/NAME.toml`; returns its path as text.
    fn user_theme(dir: &Path, name: &str, text: &str) -> String {
        std::fs::create_dir_all(dir.join("themes")).unwrap();
        let path = dir.join("themes").join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn rgb(hex: u32) -> Color {
        Color::Rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
    }

    #[test]
    fn default_dark_is_the_embedded_dark_theme() {
        let theme = Theme::default_dark();
        assert_eq!(theme.name(), "dark");
        assert!(
            !theme.styles.is_empty(),
            "the embedded dark theme must parse"
        );
        assert_eq!(theme.syntax_theme(), "base16-ocean.dark");
    }

    #[test]
    fn every_shipped_theme_loads_and_defines_every_scope() {
        let dir = tempfile::tempdir().unwrap();
        for (name, _) in BUILTIN {
            let theme = Theme::builtin(name).unwrap_or_else(|| panic!("{name} does not load"));
            assert_eq!(Theme::load(name, dir.path()), (theme.clone(), None));
            assert!(SYNTAX_THEMES.contains(&theme.syntax_theme()), "{name}");
            for scope in SCOPES {
                assert!(theme.styles.contains_key(*scope), "{name} lacks {scope}");
            }
        }
        let syntect = syntect::highlighting::ThemeSet::load_defaults().themes;
        assert!(SYNTAX_THEMES.iter().all(|n| syntect.contains_key(*n)));
        let light = Theme::builtin("light").unwrap();
        assert_eq!(light.syntax_theme(), "InspiredGitHub");
    }

    #[test]
    fn high_contrast_paints_black_and_uses_strong_colors() {
        let t = Theme::builtin("high-contrast").unwrap();
        assert_eq!(t.style("ui").bg, Some(rgb(0)));
        assert_eq!(t.style("ui.text").fg, Some(rgb(0xffffff)));
        assert_ne!(t.style("error").fg, t.style("warning").fg);
    }

    #[test]
    fn scopes_fall_back_to_their_parents() {
        let t = Theme::default_dark();
        assert_eq!(t.style("ui.statusline.inactive"), t.style("ui.statusline"));
        assert_eq!(t.style("ui.nonexistent.deep"), t.style("ui"));
        assert_eq!(t.style("markup.heading.3"), t.style("markup.heading"));
        assert_ne!(t.style("markup.heading.1"), t.style("markup.heading"));
        assert_eq!(t.style("nothing.at.all"), Style::default());
        let failed = Style::default()
            .fg(rgb(0xf7768e))
            .add_modifier(Modifier::BOLD);
        assert_eq!(t.style("role.agent.glyph.failed"), failed);
        assert_eq!(t.color("red"), Some(rgb(0xf7768e)));
    }

    #[test]
    fn user_file_overrides_one_style_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[palette]\nblue = \"#010203\"\n\
                    [styles]\n\"error\" = { fg = \"white\", bg = \"red\" }\n";
        user_theme(dir.path(), "dark", text);
        let (t, err) = Theme::load("dark", dir.path());
        assert_eq!(err, None);
        // "red" names the palette's red: palette entries shadow ANSI names.
        assert_eq!(
            t.style("error"),
            Style::default().fg(Color::White).bg(rgb(0xf7768e))
        );
        assert_eq!(
            t.style("diff.plus"),
            Theme::default_dark().style("diff.plus")
        );
        // A palette override recolors the inherited styles that name it.
        assert_eq!(t.style("ui.border.focused").fg, Some(rgb(0x010203)));
        assert_eq!(t.syntax_theme(), "base16-ocean.dark");
    }

    #[test]
    fn user_file_with_a_new_name_adds_a_theme() {
        let dir = tempfile::tempdir().unwrap();
        let mine =
            "inherits = \"light\"\nsyntax = \"Solarized (light)\"\n[styles]\n\"ui.dim\" = \"8\"\n";
        user_theme(dir.path(), "mine", mine);
        user_theme(dir.path(), "bare", "[styles]\n\"ui\" = \"green\"\n");
        let (t, err) = Theme::load("mine", dir.path());
        assert_eq!(err, None);
        assert_eq!((t.name(), t.syntax_theme()), ("mine", "Solarized (light)"));
        assert_eq!(t.style("ui.dim").fg, Some(Color::Indexed(8)));
        let syntect = syntect::highlighting::ThemeSet::load_defaults().themes;
        assert!(SYNTAX_THEMES.iter().all(|n| syntect.contains_key(*n)));
        let light = Theme::builtin("light").unwrap();
        assert_eq!(t.style("diff.plus"), light.style("diff.plus"));
        let (bare, err) = Theme::load("bare", dir.path());
        assert_eq!(err, None);
        assert_eq!(bare.style("ui.text").fg, Some(Color::Green));
        assert_eq!(bare.syntax_theme(), DEFAULT_SYNTAX);
        let all = ["bare", "dark", "high-contrast", "light", "mine"];
        assert_eq!(Theme::available(dir.path()), all);
    }

    /// Loads a broken user theme; asserts the error starts with "PATH: line N" and contains
    /// every part, and that the loader fell back to the dark theme.
    fn assert_error(text: &str, line: usize, parts: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        let path = user_theme(dir.path(), "broken", text);
        let (t, err) = Theme::load("broken", dir.path());
        assert_eq!(t, Theme::default_dark(), "falls back to dark");
        let err = err.expect("an error");
        assert!(err.starts_with(&format!("{path}: line {line}")), "{err}");
        assert!(parts.iter().all(|p| err.contains(p)), "{err}");
    }

    #[test]
    fn bad_color_names_file_line_and_key() {
        let text = "[styles]\n\"ui.text\" = \"red\"\n\"ui.title\" = { fg = \"#12345\" }\n";
        assert_error(text, 3, &["styles.\"ui.title\".fg", "#12345"]);
        assert_error(
            "[palette]\nbg = \"blurple\"\n",
            2,
            &["palette.bg", "blurple"],
        );
        assert_error(
            "[styles]\n\n\"ui\" = \"nope\"\n",
            3,
            &["styles.\"ui\"", "nope"],
        );
        assert_error(
            "[styles]\n\"ui\" = { bg = 3 }\n",
            2,
            &["styles.\"ui\"", "integer"],
        );
    }

    #[test]
    fn unknown_modifier_and_attribute_name_file_line_and_key() {
        let text = "[styles]\n\"ui.dim\" = { modifiers = [\"bold\", \"blink\"] }\n";
        assert_error(
            text,
            2,
            &["styles.\"ui.dim\".modifiers", "unknown modifier \"blink\""],
        );
        let text = "[styles]\n\"ui\" = { fgg = \"red\" }\n";
        assert_error(text, 2, &["styles.\"ui\".fgg", "unknown style attribute"]);
        assert_error("syntax = \"monokai\"\n", 1, &["syntax", "monokai"]);
    }

    #[test]
    fn toml_syntax_error_names_file_line_and_key() {
        let text = "[styles]\n\"ui\" = \"red\"\n\"ui.title\" = { fg = \"blue\" \n";
        assert_error(text, 3, &["ui.title", "invalid inline table; expected `}`"]);
        assert_error("pallete = {}\n", 1, &["pallete"]);
    }

    #[test]
    fn missing_theme_and_inherit_cycles_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let (t, err) = Theme::load("nope", dir.path());
        assert_eq!(t.name(), "dark");
        assert!(err.unwrap().contains("nope"));
        user_theme(dir.path(), "a", "inherits = \"b\"\n");
        user_theme(dir.path(), "b", "inherits = \"a\"\n");
        let (_, err) = Theme::load("a", dir.path());
        assert!(err.unwrap().contains("inherits chain too deep"));
        assert!(Theme::builtin("a").is_none());
    }

    #[test]
    fn colors_parse_in_every_documented_form() {
        assert_eq!(literal_color("#ff8000"), Ok(rgb(0xff8000)));
        assert_eq!(literal_color("lightblue"), Ok(Color::LightBlue));
        assert_eq!(literal_color("Light-Red"), Ok(Color::LightRed));
        assert_eq!(literal_color("dark_gray"), Ok(Color::DarkGray));
        assert_eq!(literal_color("reset"), Ok(Color::Reset));
        assert_eq!(literal_color("208"), Ok(Color::Indexed(208)));
        for bad in ["#ff80", "#gg8000", "256", "rouge"] {
            assert!(literal_color(bad).is_err(), "{bad}");
        }
    }
}
