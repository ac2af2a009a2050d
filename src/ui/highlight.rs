//! Syntax highlighting of fenced code with syntect: owns the syntax and theme sets (loaded off
//! the UI thread, since the default syntaxes take tens of milliseconds) and a cache of
//! highlighted blocks keyed by (theme, language, code), so each finished block is highlighted
//! once. It never blocks waiting for the load: until it is ready, callers render plain text.
//!
//! A background highlighter ([`Highlighter::new_background`], the full-screen client's) also
//! highlights off the UI thread: [`Highlighter::request`] answers from the cache or queues the
//! block for a worker thread (newest first, since that is what a streaming view shows) and
//! returns None, so a frame never waits for syntect. When a block is done the
//! [`generation`](Highlighter::generation) bumps and the waker is called; renderers redraw the
//! blocks they drew plain ([`misses`](Highlighter::misses) tells them which).

use crate::sanitize::sanitize;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Used when the requested syntect theme does not exist.
pub const DEFAULT_THEME: &str = "base16-ocean.dark";
/// The cache is dropped when what it holds (estimated: text plus per-span overhead) passes
/// this many bytes.
const CACHE_BYTES: usize = 16 << 20;

/// What one cached span costs besides its text (the `Span`, its `String`, the `Vec` slot).
const SPAN_OVERHEAD: usize = 80;

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

/// One block waiting for the worker: (theme, lang, code).
type Job = (String, String, String);

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    queued: HashSet<Job>,
}

struct Inner {
    sets: OnceLock<Sets>,
    cache: Mutex<Cache>,
    /// Present when blocks are highlighted by the worker thread.
    queue: Option<(Mutex<Queue>, Condvar)>,
    /// Bumps each time the worker finishes a block.
    generation: AtomicU64,
    /// Bumps each time [`Highlighter::request`] or [`Highlighter::peek`] misses the cache.
    misses: AtomicU64,
    waker: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
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
        Highlighter::with_queue(None)
    }

    fn with_queue(queue: Option<(Mutex<Queue>, Condvar)>) -> Highlighter {
        Highlighter {
            inner: Arc::new(Inner {
                sets: OnceLock::new(),
                cache: Mutex::new(Cache::default()),
                queue,
                generation: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                waker: Mutex::new(None),
            }),
        }
    }

    /// Starts loading syntect's default SyntaxSet and ThemeSet on a background std::thread,
    /// which then highlights the blocks [`request`](Self::request) queues; returns at once.
    pub fn new_background() -> Highlighter {
        let h = Highlighter::with_queue(Some((Mutex::new(Queue::default()), Condvar::new())));
        let inner = Arc::downgrade(&h.inner);
        let spawned = std::thread::Builder::new()
            .name("praxis-syntect".into())
            .spawn(move || {
                if let Some(i) = inner.upgrade() {
                    let _ = i.sets.set(load());
                }
                work(inner);
            });
        if spawned.is_err() {
            // No worker: highlight on the caller's thread.
            let h = Highlighter::empty();
            let _ = h.inner.sets.set(load());
            return h;
        }
        h
    }

    /// Called (from the worker thread) each time a queued block is highlighted.
    pub fn set_waker(&self, waker: impl Fn() + Send + Sync + 'static) {
        *self.inner.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(waker));
    }

    /// How many queued blocks the worker has finished.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// How many times [`request`](Self::request) or [`peek`](Self::peek) missed the cache.
    pub fn misses(&self) -> u64 {
        self.inner.misses.load(Ordering::Acquire)
    }

    /// Like [`highlight`](Self::highlight), but a background highlighter never computes on
    /// the caller's thread: a block not in the cache is queued for the worker and None is
    /// returned (draw it plain; redraw once [`generation`](Self::generation) moves).
    pub fn request(
        &self,
        code: &str,
        lang: &str,
        syntax_theme: &str,
    ) -> Option<Vec<Line<'static>>> {
        self.lookup(code, lang, syntax_theme, true)
    }

    /// Like [`request`](Self::request), but a block not in the cache is not queued (it still
    /// counts as a miss): for blocks that are not on screen yet.
    pub fn peek(&self, code: &str, lang: &str, syntax_theme: &str) -> Option<Vec<Line<'static>>> {
        self.lookup(code, lang, syntax_theme, false)
    }

    /// Whether blocks are highlighted by a worker thread (else on the caller's).
    pub fn is_background(&self) -> bool {
        self.inner.queue.is_some()
    }

    fn lookup(
        &self,
        code: &str,
        lang: &str,
        syntax_theme: &str,
        queue_it: bool,
    ) -> Option<Vec<Line<'static>>> {
        let Some((queue, wake)) = &self.inner.queue else {
            return self.highlight(code, lang, syntax_theme);
        };
        let (sets, lang) = self.ready_for(lang)?;
        if let Some(hit) = self.cached(code, lang, syntax_theme) {
            return Some(hit);
        }
        sets.syntaxes
            .find_syntax_by_token(alias(&lang.to_ascii_lowercase()))?;
        if queue_it {
            let job = (syntax_theme.to_string(), lang.to_string(), code.to_string());
            let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
            if q.queued.insert(job.clone()) {
                q.jobs.push_back(job);
                wake.notify_one();
            }
        }
        self.inner.misses.fetch_add(1, Ordering::AcqRel);
        None
    }

    /// The loaded sets and the trimmed fence language, when there is something to highlight.
    fn ready_for<'a>(&self, lang: &'a str) -> Option<(&Sets, &'a str)> {
        let sets = self.inner.sets.get()?;
        let lang = lang.trim();
        (!lang.is_empty()).then_some((sets, lang))
    }

    fn cached(&self, code: &str, lang: &str, syntax_theme: &str) -> Option<Vec<Line<'static>>> {
        let cache = self.inner.cache.lock().ok()?;
        cache
            .map
            .get(syntax_theme)
            .and_then(|m| m.get(lang))
            .and_then(|m| m.get(code))
            .map(|lines| lines.as_ref().clone())
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
        let (sets, lang) = self.ready_for(lang)?;
        if let Some(hit) = self.cached(code, lang, syntax_theme) {
            return Some(hit);
        }
        let lines = compute(sets, code, lang, syntax_theme)?;
        self.inner.store(code, lang, syntax_theme, &lines);
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

impl Inner {
    fn store(&self, code: &str, lang: &str, syntax_theme: &str, lines: &[Line<'static>]) {
        let size = code.len()
            + lines
                .iter()
                .map(|l| l.spans.len() * SPAN_OVERHEAD + 32)
                .sum::<usize>();
        if let Ok(mut cache) = self.cache.lock() {
            if cache.bytes + size > CACHE_BYTES {
                *cache = Cache::default();
            }
            cache.bytes += size;
            cache
                .map
                .entry(syntax_theme.to_string())
                .or_default()
                .entry(lang.to_string())
                .or_default()
                .insert(code.to_string(), Arc::new(lines.to_vec()));
        }
    }
}

/// Highlights one block (None for an unknown language).
fn compute(sets: &Sets, code: &str, lang: &str, syntax_theme: &str) -> Option<Vec<Line<'static>>> {
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
                (!text.is_empty()).then(|| Span::styled(expand_tabs(text, &mut col), convert(st)))
            })
            .collect();
        lines.push(Line::from(spans));
    }
    Some(lines)
}

/// The worker: highlights queued blocks, newest first, until the highlighter is dropped.
fn work(inner: Weak<Inner>) {
    loop {
        let Some(i) = inner.upgrade() else { return };
        let Some((queue, wake)) = &i.queue else {
            return;
        };
        let job = {
            let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(job) = q.jobs.pop_back() {
                    break Some(job);
                }
                // Wake now and then to notice that the highlighter is gone.
                let (guard, _) = wake
                    .wait_timeout(q, std::time::Duration::from_secs(1))
                    .unwrap_or_else(|e| e.into_inner());
                q = guard;
                if Arc::strong_count(&i) == 1 {
                    break None;
                }
            }
        };
        let Some((theme, lang, code)) = job else {
            return;
        };
        if let Some(sets) = i.sets.get() {
            let lines = compute(sets, &code, &lang, &theme).unwrap_or_default();
            i.store(&code, &lang, &theme, &lines);
        }
        queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .queued
            .remove(&(theme, lang, code));
        i.generation.fetch_add(1, Ordering::AcqRel);
        let waker = i.waker.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = waker.as_ref() {
            w();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_background_highlighter_answers_from_its_worker() {
        let h = Highlighter::new_background();
        let woken = Arc::new(AtomicU64::new(0));
        let w = woken.clone();
        h.set_waker(move || {
            w.fetch_add(1, Ordering::AcqRel);
        });
        let start = std::time::Instant::now();
        while !h.is_ready() && start.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let code = "fn main() {}\n";
        assert_eq!(
            h.request(code, "rust", DEFAULT_THEME),
            None,
            "queued, not computed"
        );
        assert_eq!(h.misses(), 1);
        assert_eq!(h.request("x\n", "no-such-language", DEFAULT_THEME), None);
        assert_eq!(h.misses(), 1, "an unknown language is not queued");
        while h.generation() == 0 && start.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(woken.load(Ordering::Acquire) >= 1);
        let lines = h
            .request(code, "rust", DEFAULT_THEME)
            .expect("from the cache");
        assert!(lines[0].spans.iter().any(|s| s.style.fg.is_some()));
        assert_eq!(h.misses(), 1);
    }

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
