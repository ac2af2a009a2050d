//! The fleet overlay's columns: which fit a width (the least useful dropped first, the title
//! always kept), and the cell texts: ages ("12s ago"), shortened paths ("…/src/app"), context
//! or token use ("12k/200k"), cost ("$0.42"), cut or padded to a column's width.

use crate::state::SessionView;
use unicode_width::UnicodeWidthChar;

/// Column widths (0: not shown). The selection marker and the glyph (2 columns each) are
/// always there; every other column but the title is preceded by a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cols {
    /// The Alt+N number (2 columns).
    pub num: bool,
    pub title: usize,
    /// The short id (8 characters: any unique prefix opens it).
    pub id: usize,
    pub agent: usize,
    pub node: usize,
    pub cwd: usize,
    pub age: usize,
    pub usage: usize,
    pub cost: usize,
}

impl Cols {
    /// The columns that fit `width`: dropped in this order until the title has room: cost,
    /// usage, cwd, node, id, agent, the number, the age (the node
    /// column is there only when there are several nodes).
    pub fn fit(width: usize, many_nodes: bool, any_cost: bool) -> Cols {
        let mut c = Cols {
            num: true,
            title: 0,
            id: 8,
            agent: 10,
            node: if many_nodes { 10 } else { 0 },
            cwd: if width >= 110 { 24 } else { 16 },
            age: 8,
            usage: 11,
            cost: if any_cost { 9 } else { 0 },
        };
        let min_title = (width / 4).clamp(8, 30);
        let drops: [fn(&mut Cols); 8] = [
            |c| c.cost = 0,
            |c| c.usage = 0,
            |c| c.cwd = 0,
            |c| c.node = 0,
            |c| c.id = 0,
            |c| c.agent = 0,
            |c| c.num = false,
            |c| c.age = 0,
        ];
        for drop in drops {
            if width >= c.used() + min_title {
                break;
            }
            drop(&mut c);
        }
        c.title = width.saturating_sub(c.used());
        c
    }

    /// Columns taken by everything but the title.
    pub fn used(&self) -> usize {
        4 + if self.num { 2 } else { 0 }
            + [
                self.id, self.agent, self.node, self.cwd, self.age, self.usage, self.cost,
            ]
            .iter()
            .filter(|w| **w > 0)
            .map(|w| w + 1)
            .sum::<usize>()
    }
}

/// `text` in exactly `width` columns: cut with "…" or padded with spaces.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        out.push_str(text);
        used = total;
    } else if width > 0 {
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width - 1 {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// How long ago `then` was at `now` (Unix ms): "12s ago", "5m ago", "3h ago", "2d ago";
/// "now" for a time in the future (another clock), "–" when either is unknown (0).
pub fn ago(now: u64, then: u64) -> String {
    if now == 0 || then == 0 {
        return "–".into();
    }
    if then >= now {
        return "now".into();
    }
    let s = (now - then) / 1000;
    match s {
        0..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

/// A path in at most `width` columns: whole when it fits, else its last components after
/// "…/" (the last one cut when even it does not fit).
pub fn shorten_path(path: &str, width: usize) -> String {
    let w = |s: &str| s.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>();
    if w(path) <= width {
        return path.to_string();
    }
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut tail = String::new();
    for part in parts.iter().rev() {
        let next = if tail.is_empty() {
            part.to_string()
        } else {
            format!("{part}/{tail}")
        };
        if w(&next) + 2 > width {
            break;
        }
        tail = next;
    }
    if tail.is_empty() {
        return fit(parts.last().copied().unwrap_or(path), width)
            .trim_end()
            .to_string();
    }
    format!("…/{tail}")
}

/// 950 → "950", 12_300 → "12k", 1_500_000 → "1.5M".
pub fn si(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=9_999 => format!("{:.1}k", n as f64 / 1e3),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The context used ("12k/200k") when the agent reports it, else the tokens ("⇡2.3k ⇣246").
pub fn usage(s: &SessionView) -> String {
    match s.context_used {
        Some((used, size)) => format!("{}/{}", si(used), si(size)),
        None if s.tokens != (0, 0) => format!("⇡{} ⇣{}", si(s.tokens.0), si(s.tokens.1)),
        None => String::new(),
    }
}

/// "$0.42" for US dollars, else "0.42 EUR", "12.00 credits".
pub fn cost((amount, currency): &(f64, String)) -> String {
    if currency.eq_ignore_ascii_case("usd") {
        format!("${amount:.2}")
    } else {
        format!("{amount:.2} {currency}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally_and_guard_odd_clocks() {
        assert_eq!(ago(100_000, 88_000), "12s ago");
        assert_eq!(ago(100_000_000, 100_000_000 - 3 * 3_600_000), "3h ago");
        assert_eq!(ago(1_000_000_000, 1_000_000_000 - 2 * 86_400_000), "2d ago");
        assert_eq!(ago(5_000, 9_000), "now");
        assert_eq!(ago(5_000, 0), "–");
        assert_eq!(ago(0, 5_000), "–");
    }

    #[test]
    fn paths_keep_their_last_components() {
        assert_eq!(shorten_path("/work", 10), "/work");
        assert_eq!(shorten_path("/home/ann/src/praxis/app", 14), "…/praxis/app");
        assert_eq!(shorten_path("/a/averyveryverylongname", 8), "averyve…");
    }

    #[test]
    fn cells_fit_their_width() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("日本語", 4), "日… ");
        assert_eq!(si(2311), "2.3k");
        assert_eq!(cost(&(0.4213, "USD".into())), "$0.42");
    }

    #[test]
    fn columns_drop_least_useful_first_and_never_overflow() {
        let wide = Cols::fit(136, true, true);
        assert!(wide.cost > 0 && wide.usage > 0 && wide.node > 0 && wide.title >= 30);
        let mid = Cols::fit(74, false, false);
        assert_eq!((mid.node, mid.usage, mid.cost), (0, 0, 0));
        assert!(mid.cwd > 0 && mid.id > 0 && mid.agent > 0 && mid.age > 0 && mid.title >= 18);
        let narrow = Cols::fit(18, true, true);
        assert_eq!(
            narrow.used(),
            4,
            "only the marker and the glyph beside the title"
        );
        for w in 0..200 {
            let c = Cols::fit(w, true, true);
            assert!(c.used() + c.title <= w.max(4), "width {w}: {c:?}");
        }
    }
}
