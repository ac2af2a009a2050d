//! The heights of a transcript's entries with their running sums (a Fenwick tree), so where an
//! entry starts, which entry holds a given line, and the total are found in O(log n), and a
//! changed height is recorded in O(log n): a frame costs what is on screen, not the transcript.

#[derive(Default)]
pub struct Heights {
    h: Vec<usize>,
    /// 1-based Fenwick tree over `h`.
    tree: Vec<usize>,
    total: usize,
}

fn low_bit(i: usize) -> usize {
    i & i.wrapping_neg()
}

impl Heights {
    pub fn len(&self) -> usize {
        self.h.len()
    }

    pub fn is_empty(&self) -> bool {
        self.h.is_empty()
    }

    pub fn get(&self, i: usize) -> usize {
        self.h[i]
    }

    pub fn total(&self) -> usize {
        self.total
    }

    pub fn clear(&mut self) {
        self.h.clear();
        self.tree.clear();
        self.total = 0;
    }

    /// Appends an entry of height `v`.
    pub fn push(&mut self, v: usize) {
        let n = self.h.len() + 1;
        // The node for n covers (n - low_bit(n), n]: v plus the entries before it in that span.
        let covered = self.start(n - 1) - self.start(n - low_bit(n));
        self.h.push(v);
        self.tree.push(v + covered);
        self.total += v;
    }

    /// Sets the height of entry `i`.
    pub fn set(&mut self, i: usize, v: usize) {
        let old = self.h[i];
        if old == v {
            return;
        }
        self.h[i] = v;
        self.total = self.total + v - old;
        let mut k = i + 1;
        while k <= self.tree.len() {
            self.tree[k - 1] = self.tree[k - 1] + v - old;
            k += low_bit(k);
        }
    }

    /// The first line of entry `i` (the sum of the heights before it).
    pub fn start(&self, i: usize) -> usize {
        let (mut k, mut sum) = (i, 0);
        while k > 0 {
            sum += self.tree[k - 1];
            k -= low_bit(k);
        }
        sum
    }

    /// The entry holding line `y` (`len()` when `y` is past the end).
    pub fn find(&self, y: usize) -> usize {
        let n = self.tree.len();
        let (mut pos, mut rest) = (0, y);
        let mut step = n.checked_next_power_of_two().unwrap_or(0).max(1);
        while step > 0 {
            if pos + step <= n && self.tree[pos + step - 1] <= rest {
                pos += step;
                rest -= self.tree[pos - 1];
            }
            step /= 2;
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_lookups_match_a_plain_walk() {
        let mut hs = Heights::default();
        let mut plain: Vec<usize> = Vec::new();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for step in 0..600 {
            if step % 3 == 0 || plain.is_empty() {
                let v = next() % 5;
                hs.push(v);
                plain.push(v);
            } else {
                let (i, v) = (next() % plain.len(), next() % 7);
                hs.set(i, v);
                plain[i] = v;
            }
            let total: usize = plain.iter().sum();
            assert_eq!(hs.total(), total);
            for i in 0..=plain.len() {
                assert_eq!(hs.start(i), plain[..i].iter().sum::<usize>());
            }
            for y in 0..=total {
                let mut acc = 0;
                let want = plain
                    .iter()
                    .position(|&h| {
                        acc += h;
                        acc > y
                    })
                    .unwrap_or(plain.len());
                assert_eq!(hs.find(y), want, "line {y} of {plain:?}");
            }
        }
    }
}
