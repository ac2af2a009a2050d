//! The demo agent's words: the showcase answer, tool outputs, and a generator of markdown of
//! any size for streaming benchmarks.

/// Tool output comes fenced, as Claude's adapter sends it.
pub const CARGO_TOML: &str =
    "```toml\n[package]\nname = \"example\"\nversion = \"0.1.0\"\nedition = \"2021\"\n```\n";

pub const TEST_FAILURE: &str = "```console\nerror[E0425]: cannot find value `answer` in this scope\n --> src/lib.rs:3:5\n  |\n3 |     answer\n  |     ^^^^^^ not found in this scope\n\nerror: could not compile `example` (lib) due to 1 previous error\n```";

pub const DIFF_OLD: &str = "pub fn answer() -> u32 {\n    answer\n}\n";
pub const DIFF_NEW: &str = "pub fn answer() -> u32 {\n    42\n}\n";

pub const ANSWER: &str = r#"## What I found

The test suite fails to compile: `answer()` returns a **variable that does not exist**.
I replaced it with the constant the tests expect.

### Steps

1. Read `Cargo.toml` to learn the layout
2. Ran `cargo test` — it failed with `E0425`
3. Proposed a one-line fix
   - returns `42`
   - keeps the signature

- [x] reproduce the failure
- [x] fix the function
- [ ] add a regression test

> The demo agent simulates its tools; nothing on your disk was changed.

| file | change | lines |
|------|--------|------:|
| `src/lib.rs` | return a constant | 1 |
| `tests/it.rs` | none | 0 |

```rust
pub fn answer() -> u32 {
    42
}
```

```python
def answer() -> int:
    return 42
```

```json
{ "answer": 42, "ok": true }
```

---

Learn more in [the ACP docs](https://agentclientprotocol.com). Try `/help` for the demo's commands.
"#;

/// One section of generated markdown; `n` makes each section distinct.
fn section(n: usize) -> String {
    format!(
        "## Section {n}\n\nParagraph {n} has *emphasis*, **strong text**, `inline code` and a [link](https://example.com/{n}).\nIt wraps across several words so that layout has real work to do at every width.\n\n- item one of {n}\n- item two with `code`\n  - nested item\n\n```rust\nfn section_{n}() -> usize {{\n    let v: Vec<usize> = (0..{n}).collect();\n    v.iter().sum()\n}}\n```\n\n| col a | col b |\n|-------|-------|\n| {n} | value |\n\n"
    )
}

/// Deterministic markdown of exactly `bytes` bytes (ASCII only).
pub fn markdown_of_size(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 1024);
    let mut n = 1;
    while out.len() < bytes {
        out.push_str(&section(n));
        n += 1;
    }
    out.truncate(bytes);
    out
}

/// Splits `text` into pieces of at most `size` bytes without cutting a UTF-8 character.
pub fn chunks(text: &str, size: usize) -> impl Iterator<Item = &str> {
    let size = size.max(4);
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = size.min(rest.len());
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_markdown_has_the_exact_size() {
        assert_eq!(markdown_of_size(1 << 20).len(), 1 << 20);
        assert_eq!(markdown_of_size(10).len(), 10);
    }

    #[test]
    fn chunks_respect_char_boundaries() {
        let s = "héllo wörld ✓✓✓";
        let pieces: Vec<&str> = chunks(s, 4).collect();
        assert_eq!(pieces.concat(), s);
        assert!(pieces.iter().all(|p| p.len() <= 4));
    }
}
