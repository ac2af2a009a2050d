//! Syntax highlighting of fenced code with syntect: owns the syntax and theme sets (loaded off
//! the UI thread, since the default syntaxes take tens of milliseconds) and a cache of
//! highlighted blocks keyed by (theme, language, code), so each finished block is highlighted
//! once. It never blocks waiting for the load: until it is ready, callers render plain text.

use crate::sanitize::sanitize;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Used when the requested syntect theme does not exist.
pub const DEFAULT_THEME: &str = "base16-ocean.dark";
/// The cache is dropped when the code it holds passes this many bytes.
const CACHE_BYTES: usize = 8 << 20;

struct Sets {
    syntaxes: SyntaxSet,
    themes: ThemeSet,
}

type Lines = Arc<Vec<Line<'static>>>;

#[derive(Default)]
struct Cache {
    /// theme → language → code → lines
    map: HashMap<String, HashMap<String, HashMap<String, Lines>>>,
    bytes: usize,
}

struct Inner {
    sets: OnceLock<Sets>,
    cache: Mutex<Cache>,
}

/// Cheap to clone; clones share the loaded sets and the cache.
#[derive(Clone)]
pub struct Highlighter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter")
            .field("ready", &self.is_ready())
            .finish()
    }
}

fn load() -> Sets {
    let sets = Sets {
        syntaxes: SyntaxSet::load_defaults_newlines(),
        themes: ThemeSet::load_defaults(),
    };
    // Compile the regexes of the most common language now rather than on the first frame.
    if let (Some(syntax), Some(theme)) = (
        sets.syntaxes.find_syntax_by_token("rust"),
        sets.themes.themes.get(DEFAULT_THEME),
    ) {
        let _ = HighlightLines::new(syntax, theme).highlight_line("fn main() {}\n", &sets.syntaxes);
    }
    sets
}

/// Fence names that syntect's default set does not know, mapped to the nearest it does.
fn alias(lang: &str) -> &str {
    match lang {
        "shell" | "console" | "zsh" | "sh-session" | "shellsession" => "bash",
        "ts" | "typescript" | "tsx" | "jsx" | "mjs" | "cjs" => "js",
        "yml" => "yaml",
        "golang" => "go",
        "c++" => "cpp",
        "objc" => "m",
        "py3" => "python",
        other => other,
    }
}

fn convert(style: syntect::highlighting::Style) -> Style {
    let c = style.foreground;
    let mut s = Style::default().fg(Color::Rgb(c.r, c.g, c.b));
    if style.font_style.contains(FontStyle::BOLD) {
        s = s.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        s = s.add_modifier(Modifier::ITALIC);
    }
    if style.font_style.contains(FontStyle::UNDERLINE) {
        s = s.add_modifier(Modifier::UNDERLINED);
    }
    s
}

/// Replaces tabs by spaces up to the next multiple of 4 columns, counting from `col`.
pub fn expand_tabs(text: &str, col: &mut usize) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\t' {
            let n = 4 - *col % 4;
            out.extend(std::iter::repeat_n(' ', n));
            *col += n;
        } else {
            out.push(c);
            *col += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        }
    }
    out
}

impl Highlighter {
    /// A highlighter that never becomes ready (tests of the plain fallback).
    #[cfg(test)]
    pub(crate) fn never_ready() -> Highlighter {
        Highlighter::empty()
    }

    fn empty() -> Highlighter {
        Highlighter {
            inner: Arc::new(Inner {
                sets: OnceLock::new(),
                cache: Mutex::new(Cache::default()),
            }),
        }
    }

    /// Starts loading syntect's default SyntaxSet and ThemeSet on a background std::thread;
    /// returns at once.
    pub fn new_background() -> Highlighter {
        let h = Highlighter::empty();
        let inner = Arc::clone(&h.inner);
        let spawned = std::thread::Builder::new()
            .name("praxis-syntect".into())
            .spawn(move || {
                let _ = inner.sets.set(load());
            });
        if spawned.is_err() {
            let _ = h.inner.sets.set(load());
        }
        h
    }

    /// Loads synchronously (tests, benches).
    pub fn new_blocking() -> Highlighter {
        let h = Highlighter::empty();
        let _ = h.inner.sets.set(load());
        h
    }

    pub fn is_ready(&self) -> bool {
        self.inner.sets.get().is_some()
    }

    /// Drops every cached block (benchmarks measure cold renders with it).
    pub fn clear_cache(&self) {
        if let Ok(mut c) = self.inner.cache.lock() {
            *c = Cache::default();
        }
    }

    /// Highlighted lines for a fenced code block, or None when not ready yet or the language
    /// is unknown (caller renders plain). Cached by (lang, code, theme) so each finished block
    /// is highlighted once. Tabs are expanded; lines carry no newline.
    pub fn highlight(
        &self,
        code: &str,
        lang: &str,
        syntax_theme: &str,
    ) -> Option<Vec<Line<'static>>> {
        let sets = self.inner.sets.get()?;
        let lang = lang.trim();
        if lang.is_empty() {
            return None;
        }
        if let Ok(cache) = self.inner.cache.lock() {
            let hit = cache
                .map
                .get(syntax_theme)
                .and_then(|m| m.get(lang))
                .and_then(|m| m.get(code));
            if let Some(lines) = hit {
                return Some(lines.as_ref().clone());
            }
        }
        let lower = lang.to_ascii_lowercase();
        let syntax = sets.syntaxes.find_syntax_by_token(alias(&lower))?;
        let theme = sets
            .themes
            .themes
            .get(syntax_theme)
            .or_else(|| sets.themes.themes.get(DEFAULT_THEME))?;
        let mut h = HighlightLines::new(syntax, theme);
        let clean = sanitize(code);
        let mut lines = Vec::new();
        for line in LinesWithEndings::from(&clean) {
            let ranges = h.highlight_line(line, &sets.syntaxes).ok()?;
            let mut col = 0;
            let spans: Vec<Span<'static>> = ranges
                .into_iter()
                .filter_map(|(st, text)| {
                    let text = text.trim_end_matches('\n');
                    (!text.is_empty())
                        .then(|| Span::styled(expand_tabs(text, &mut col), convert(st)))
                })
                .collect();
            lines.push(Line::from(spans));
        }
        if let Ok(mut cache) = self.inner.cache.lock() {
            if cache.bytes + code.len() > CACHE_BYTES {
                *cache = Cache::default();
            }
            cache.bytes += code.len();
            cache
                .map
                .entry(syntax_theme.to_string())
                .or_default()
                .entry(lang.to_string())
                .or_default()
                .insert(code.to_string(), Arc::new(lines.clone()));
        }
        Some(lines)
    }

    /// The syntect theme names (empty until ready).
    pub fn theme_names(&self) -> Vec<String> {
        self.inner
            .sets
            .get()
            .map(|s| s.themes.themes.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_known_languages_and_caches() {
        let h = Highlighter::new_blocking();
        assert!(h.is_ready());
        assert!(h.theme_names().iter().any(|t| t == DEFAULT_THEME));
        let lines = h
            .highlight("fn main() {\n\tlet x = 1;\n}\n", "rust", "InspiredGitHub")
            .expect("rust");
        assert_eq!(lines.len(), 3);
        let text: String = lines[1].spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "    let x = 1;");
        assert!(lines[0].spans.iter().any(|s| s.style.fg.is_some()));
        assert_eq!(
            h.highlight("fn main() {\n\tlet x = 1;\n}\n", "rust", "InspiredGitHub"),
            Some(lines)
        );
        assert!(h
            .highlight("x", "no-such-language", DEFAULT_THEME)
            .is_none());
        assert!(h.highlight("echo hi", "shell", "no-such-theme").is_some());
    }

    #[test]
    fn background_load_becomes_ready_and_strips_escapes() {
        let h = Highlighter::new_background();
        let start = std::time::Instant::now();
        while !h.is_ready() && start.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let lines = h
            .highlight("let a = \"\x1b[31mred\x1b[0m\";\n", "rust", DEFAULT_THEME)
            .expect("ready");
        let text: String = lines[0].spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "let a = \"red\";");
    }
}
