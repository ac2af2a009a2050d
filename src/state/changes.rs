//! Which transcript entries changed since a reader last looked: the chat pane's frame then
//! costs what changed and what is on screen, not a walk over the whole transcript. Changes are
//! numbered; a reader keeps the number of the last change it saw. The log keeps the latest
//! records only (repeated changes to one entry in a row are one record, so streaming into the
//! open turn adds nothing); a reader that fell further behind is told to look at every entry.

use std::collections::VecDeque;

/// How many records are kept.
const KEEP: usize = 1024;

#[derive(Debug, Clone, Default)]
pub struct ChangeLog {
    /// (change number, entry index), oldest first.
    records: VecDeque<(u64, usize)>,
    /// The number of the last change (0: none yet).
    last: u64,
    /// Changes up to this number are no longer all recorded.
    forgotten: u64,
}

/// Bookkeeping, not content: two transcripts with the same entries are equal.
impl PartialEq for ChangeLog {
    fn eq(&self, _: &ChangeLog) -> bool {
        true
    }
}

impl ChangeLog {
    /// The log of a transcript that replaces one with log `old`: every reader of the old one
    /// looks at every entry once.
    pub fn after(old: &ChangeLog) -> ChangeLog {
        ChangeLog {
            records: VecDeque::new(),
            last: old.last + 1,
            forgotten: old.last + 1,
        }
    }

    /// Entry `index` changed (or was added).
    pub fn touch(&mut self, index: usize) {
        self.last += 1;
        match self.records.back_mut() {
            Some(r) if r.1 == index => r.0 = self.last,
            _ => self.records.push_back((self.last, index)),
        }
        if self.records.len() > KEEP {
            if let Some((n, _)) = self.records.pop_front() {
                self.forgotten = n;
            }
        }
    }

    /// The number of the last change.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// The indices of the entries changed after change `seen` (an index may come more than
    /// once), or None when they are not all known: look at every entry.
    pub fn since(&self, seen: u64) -> Option<impl Iterator<Item = usize> + '_> {
        if seen < self.forgotten || seen > self.last {
            return None;
        }
        let from = self.records.partition_point(|r| r.0 <= seen);
        Some(self.records.range(from..).map(|r| r.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_learns_what_changed_since_it_looked() {
        let mut log = ChangeLog::default();
        assert_eq!(log.since(0).unwrap().count(), 0);
        log.touch(0);
        log.touch(1);
        log.touch(1);
        log.touch(1);
        let seen = log.last();
        log.touch(0);
        log.touch(2);
        log.touch(2);
        assert_eq!(log.since(seen).unwrap().collect::<Vec<_>>(), [0, 2]);
        assert_eq!(log.since(0).unwrap().collect::<Vec<_>>(), [0, 1, 0, 2]);
        assert!(
            log.since(log.last() + 1).is_none(),
            "a reader of another log"
        );
        let next = ChangeLog::after(&log);
        assert!(
            next.since(log.last()).is_none(),
            "the transcript was replaced"
        );
        assert_eq!(next.since(next.last()).unwrap().count(), 0);
    }

    #[test]
    fn a_reader_that_fell_behind_looks_at_everything() {
        let mut log = ChangeLog::default();
        for i in 0..KEEP + 10 {
            log.touch(i);
        }
        assert!(log.since(5).is_none());
        assert_eq!(log.since(log.last() - 3).unwrap().count(), 3);
    }
}
