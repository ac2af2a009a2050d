//! Markdown rendering benchmark: one render of a finished 1 MiB answer against streaming the
//! same answer in 16-byte chunks with `lines(120)` after every chunk. The streamed total should
//! stay within about 2x the single render; the ratio is printed at the end of `cargo bench`.
//! The document comes from a deterministic generator here, so runs are comparable.

use criterion::{black_box, BenchmarkId, Criterion, SamplingMode, Throughput};
use praxis::ui::highlight::Highlighter;
use praxis::ui::markdown::{render, MdStyles};
use praxis::ui::md_stream::MdStream;
use ratatui::style::{Color, Modifier, Style};
use std::fmt::Write;
use std::time::{Duration, Instant};

const WIDTH: u16 = 120;
const THEME: &str = "base16-ocean.dark";
const WORDS: &[&str] = &[
    "the",
    "agent",
    "reads",
    "files",
    "before",
    "it",
    "changes",
    "anything",
    "and",
    "then",
    "runs",
    "tests",
    "session",
    "protocol",
    "request",
    "response",
    "buffer",
    "terminal",
    "width",
    "layout",
    "stream",
    "block",
    "cache",
    "render",
    "theme",
    "prompt",
    "tool",
    "call",
    "permission",
    "output",
    "diff",
    "error",
    "value",
    "quickly",
    "carefully",
    "because",
    "while",
    "when",
    "every",
    "small",
    "large",
    "first",
    "last",
    "new",
];

/// A tiny deterministic generator (xorshift) so the document is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// Appends `min` to `min + spread - 1` words, some emphasized, coded or linked.
    fn words(&mut self, out: &mut String, min: usize, spread: usize) {
        let n = min + self.next(spread);
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            let w = WORDS[self.next(WORDS.len())];
            match self.next(14) {
                0 => write!(out, "*{w}*"),
                1 => write!(out, "**{w}**"),
                2 => write!(out, "`{w}_{}`", self.next(100)),
                3 => write!(out, "[{w}](https://example.com/{w}/{})", self.next(1000)),
                _ => write!(out, "{w}"),
            }
            .unwrap();
        }
    }
}

/// One numbered section: heading, paragraphs, nested lists, a rust block, a table, a quote.
fn section(out: &mut String, n: usize, rng: &mut Rng) {
    writeln!(
        out,
        "## {n}. Section about the {} {}\n",
        WORDS[rng.next(WORDS.len())],
        WORDS[rng.next(WORDS.len())]
    )
    .unwrap();
    for _ in 0..2 {
        rng.words(out, 40, 50);
        out.push_str(".\n\n");
    }
    for i in 1..=3 {
        write!(out, "{i}. ").unwrap();
        rng.words(out, 6, 10);
        out.push('\n');
        for _ in 0..rng.next(3) {
            out.push_str("   - ");
            rng.words(out, 4, 8);
            out.push('\n');
        }
    }
    out.push('\n');
    for _ in 0..3 {
        out.push_str("- ");
        rng.words(out, 5, 8);
        out.push('\n');
    }
    out.push_str("- [x] done task\n- [ ] open task\n\n");
    writeln!(
        out,
        "```rust\n/// Sums the first {n} values.\npub fn section_{n}(input: &[u64]) -> Result<u64, String> {{\n    let mut total = 0u64;\n    for (i, v) in input.iter().enumerate().take({n}) {{\n        if *v > {} {{\n            return Err(format!(\"value {{i}} too large: {{v}}\"));\n        }}\n        total += v * {};\n    }}\n    Ok(total)\n}}\n```\n",
        rng.next(10_000),
        rng.next(10)
    )
    .unwrap();
    writeln!(out, "| Name | Count | Notes |\n|------|------:|-------|").unwrap();
    for r in 0..3 {
        write!(out, "| item_{n}_{r} | {} | ", rng.next(1000)).unwrap();
        rng.words(out, 3, 4);
        out.push_str(" |\n");
    }
    out.push('\n');
    if n.is_multiple_of(3) {
        out.push_str("> ");
        rng.words(out, 20, 20);
        out.push_str("\n\n");
    }
}

/// A deterministic markdown document of exactly `bytes` bytes (ASCII).
fn document(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 4096);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut n = 1;
    while out.len() < bytes {
        section(&mut out, n, &mut rng);
        n += 1;
    }
    out.truncate(bytes);
    out
}

fn styles() -> MdStyles {
    let fg = |c| Style::default().fg(c);
    MdStyles {
        text: Style::default(),
        heading: [
            fg(Color::Cyan).add_modifier(Modifier::BOLD),
            fg(Color::Cyan),
            fg(Color::Blue),
        ],
        bold: Style::default().add_modifier(Modifier::BOLD),
        italic: Style::default().add_modifier(Modifier::ITALIC),
        code: fg(Color::Yellow),
        code_block: fg(Color::Gray),
        link: fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
        quote: fg(Color::DarkGray),
        bullet: fg(Color::Magenta),
        rule: fg(Color::DarkGray),
        table_border: fg(Color::DarkGray),
        task_done: fg(Color::Green),
        task_open: fg(Color::Yellow),
    }
}

fn chunks(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = size.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (a, b) = rest.split_at(end);
        out.push(a);
        rest = b;
    }
    out
}

/// A single render, by default cold (empty highlight cache, as when an answer is first shown).
fn render_once(doc: &str, hl: &Highlighter, st: &MdStyles, warm: bool) -> usize {
    if !warm {
        hl.clear_cache();
    }
    render(doc, WIDTH, st, hl, THEME).len()
}

/// Streams `doc` in the given chunks, asking for the lines after every chunk.
fn stream(doc: &str, pieces: &[&str], hl: &Highlighter, st: &MdStyles, warm: bool) -> usize {
    if !warm {
        hl.clear_cache();
    }
    let mut s = MdStream::new();
    for p in pieces {
        s.push(p);
        black_box(s.lines(WIDTH, st, 1, hl, THEME).len());
    }
    s.finish();
    let n = s.lines(WIDTH, st, 1, hl, THEME).len();
    debug_assert_eq!(s.source().len(), doc.len());
    n
}

fn main() {
    let doc = document(1 << 20);
    let pieces = chunks(&doc, 16);
    let t = Instant::now();
    let hl = Highlighter::new_blocking();
    println!(
        "markdown: syntect defaults loaded (and rust warmed up) in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let st = styles();
    // The streamed result must be exactly the one-shot render.
    let mut s = MdStream::new();
    for p in &pieces {
        s.push(p);
        s.lines(WIDTH, &st, 1, &hl, THEME);
    }
    s.finish();
    assert!(s.lines(WIDTH, &st, 1, &hl, THEME) == render(&doc, WIDTH, &st, &hl, THEME));

    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("markdown");
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(8))
            .throughput(Throughput::Bytes(doc.len() as u64));
        g.bench_function(BenchmarkId::from_parameter("render_1mib_once"), |b| {
            b.iter(|| render_once(&doc, &hl, &st, false))
        });
        g.bench_function(BenchmarkId::from_parameter("stream_1mib_16b_chunks"), |b| {
            b.iter(|| stream(&doc, &pieces, &hl, &st, false))
        });
        // The same with the highlight cache warm: the text-only part of the cost.
        g.bench_function(BenchmarkId::from_parameter("render_1mib_once_warm"), |b| {
            b.iter(|| render_once(&doc, &hl, &st, true))
        });
        g.bench_function(
            BenchmarkId::from_parameter("stream_1mib_16b_chunks_warm"),
            |b| b.iter(|| stream(&doc, &pieces, &hl, &st, true)),
        );
        g.finish();
    }
    c.final_summary();

    // Criterion's estimates are in target/criterion; print the ratio from a direct measurement.
    if std::env::args().any(|a| a == "--bench") {
        let best = |f: &dyn Fn() -> usize| {
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    black_box(f());
                    t.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        for warm in [false, true] {
            let once = best(&|| render_once(&doc, &hl, &st, warm));
            let streamed = best(&|| stream(&doc, &pieces, &hl, &st, warm));
            println!(
                "markdown ({} highlight cache): render_1mib_once {:.1} ms, stream_1mib_16b_chunks {:.1} ms \
                 ({} pushes, {:.2} µs each), ratio {:.2}",
                if warm { "warm" } else { "cold" },
                once.as_secs_f64() * 1e3,
                streamed.as_secs_f64() * 1e3,
                pieces.len(),
                streamed.as_secs_f64() * 1e6 / pieces.len() as f64,
                streamed.as_secs_f64() / once.as_secs_f64()
            );
        }
    }
}
