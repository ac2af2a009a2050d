//! The receiving half of a link's ordering: which `lseq` comes next, what arrived ahead of a
//! gap, what is a duplicate. Pure and bounded; the caller hands items on and acknowledges.

use std::collections::BTreeMap;

/// What [`Reorder::accept`] made of an item.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Already delivered (`lseq` below the expected one): drop it.
    Duplicate,
    /// Kept, behind a gap.
    Held,
    /// It is the next one: [`Reorder::pop`] yields it (and whatever it unblocks).
    Ready,
    /// Too many held behind a gap: frames were lost, the link cannot go on.
    Overflow,
}

#[derive(Debug)]
pub(crate) struct Reorder<T> {
    expected: u64,
    /// The item numbered `expected`, when it is here (the usual case: no map involved).
    next: Option<T>,
    /// Items ahead of a gap.
    held: BTreeMap<u64, T>,
    cap: usize,
}

impl<T> Reorder<T> {
    /// Expects `lseq` 1 first; holds at most `cap` items ahead of a gap.
    pub(crate) fn new(cap: usize) -> Self {
        Reorder {
            expected: 1,
            next: None,
            held: BTreeMap::new(),
            cap,
        }
    }

    pub(crate) fn expected(&self) -> u64 {
        self.expected
    }

    pub(crate) fn held(&self) -> usize {
        self.held.len()
    }

    pub(crate) fn accept(&mut self, lseq: u64, item: T) -> Accept {
        if lseq < self.expected {
            return Accept::Duplicate;
        }
        if lseq > self.expected && !self.held.contains_key(&lseq) && self.held.len() >= self.cap {
            return Accept::Overflow;
        }
        // A copy of one already here replaces it (same frame, resent).
        if lseq == self.expected {
            self.held.remove(&lseq);
            self.next = Some(item);
            Accept::Ready
        } else {
            self.held.insert(lseq, item);
            Accept::Held
        }
    }

    /// The next item in order, if it is here.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let item = match self.next.take() {
            Some(item) => item,
            None => self.held.remove(&self.expected)?,
        };
        self.expected += 1;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(r: &mut Reorder<u64>) -> Vec<u64> {
        std::iter::from_fn(|| r.pop()).collect()
    }

    #[test]
    fn in_order_duplicates_and_gaps() {
        let mut r = Reorder::new(10);
        assert_eq!(r.accept(1, 1), Accept::Ready);
        assert_eq!(drain(&mut r), [1]);
        assert_eq!(r.accept(1, 1), Accept::Duplicate);
        assert_eq!(r.accept(3, 3), Accept::Held);
        assert_eq!(r.accept(4, 4), Accept::Held);
        assert_eq!(r.accept(3, 3), Accept::Held);
        assert_eq!(drain(&mut r), Vec::<u64>::new());
        assert_eq!(r.accept(2, 2), Accept::Ready);
        assert_eq!(drain(&mut r), [2, 3, 4]);
        assert_eq!(r.expected(), 5);
        assert_eq!(r.held(), 0);
    }

    #[test]
    fn go_back_n_resends_are_absorbed() {
        // 1..=6 sent, 3 lost, then 3..=6 resent: each delivered once, in order.
        let mut r = Reorder::new(10);
        let mut out = Vec::new();
        for n in [1, 2, 4, 5, 6, 3, 4, 5, 6] {
            if r.accept(n, n) == Accept::Ready {
                out.extend(drain(&mut r));
            }
        }
        assert_eq!(out, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_gap_too_wide_overflows() {
        let mut r = Reorder::new(2);
        assert_eq!(r.accept(2, 2), Accept::Held);
        assert_eq!(r.accept(3, 3), Accept::Held);
        assert_eq!(r.accept(3, 3), Accept::Held);
        assert_eq!(r.accept(4, 4), Accept::Overflow);
        assert_eq!(r.accept(1, 1), Accept::Ready);
    }
}
