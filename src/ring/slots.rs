//! The ring order of slots: which slot is read, which are held (stepped past but still ours,
//! because packets handed out may point into them) and giving them back, oldest first. Shared by
//! both receive rings; what a slot is and where its status word sits is theirs to say.

use super::Mapping;

/// Walks the slots of a ring in order. The current slot is read until `finished`; stepping past
/// it makes it *held* (still ours: packets handed out may point into it) until
/// [`Slots::release_held`] gives every held slot back, oldest first.
pub(crate) struct Slots {
    pub(super) nr: u32,
    /// The slot we read from (or wait for).
    pub(super) cur: u32,
    /// Every packet of `cur` was returned.
    pub(super) finished: bool,
    /// Oldest held slot; `held_from + held == cur` (mod `nr`).
    pub(super) held_from: u32,
    pub(super) held: u32,
    /// Slots stepped past since the ring was set up.
    pub(super) passed: u64,
}

impl Slots {
    pub(super) fn new(nr: u32) -> Slots {
        Slots {
            nr,
            cur: 0,
            finished: false,
            held_from: 0,
            held: 0,
            passed: 0,
        }
    }

    #[inline]
    pub(super) fn succ(&self, i: u32) -> u32 {
        if i + 1 == self.nr {
            0
        } else {
            i + 1
        }
    }

    /// Moves past a finished current slot, which becomes held.
    #[inline(always)]
    pub(super) fn step(&mut self) -> bool {
        if !self.finished {
            return false;
        }
        self.cur = self.succ(self.cur);
        self.held += 1;
        self.passed += 1;
        self.finished = false;
        true
    }

    /// Gives the held slots back to the kernel, oldest first.
    #[inline(always)]
    pub(super) fn release_held(&mut self, map: &Mapping, status_off: impl Fn(u32) -> usize) {
        while self.held > 0 {
            map.release(status_off(self.held_from));
            self.held_from = self.succ(self.held_from);
            self.held -= 1;
        }
    }

    /// Number of consecutive user-owned slots from the current one on.
    pub(super) fn user_run(&self, map: &Mapping, status_off: impl Fn(u32) -> usize) -> u64 {
        let mut n = 0;
        let mut i = self.cur;
        while n < self.nr as u64 && map.is_user(status_off(i)) {
            n += 1;
            i = self.succ(i);
        }
        n
    }

    /// Moves the cursor to the first user-owned slot from the current one on, if nothing is
    /// held or half read.
    pub(super) fn resync(&mut self, map: &Mapping, status_off: impl Fn(u32) -> usize) -> bool {
        if self.held > 0 || self.finished {
            return false;
        }
        let mut i = self.cur;
        for _ in 0..self.nr {
            if map.is_user(status_off(i)) {
                self.cur = i;
                self.held_from = i;
                return true;
            }
            i = self.succ(i);
        }
        false
    }
}
