//! Scheduling builds: which unit builds next, and whether a finished build is stale. Pure: the
//! clock comes in as arguments, and the rules are tested with tables of (event, expected).
//!
//! - A unit changes: it waits to be built, with the time its first unbuilt change was seen.
//! - Builds run one at a time, in unit order.
//! - A unit that changed again while it built (an editor still writing, more saves) has a stale
//!   result: it is neither shown nor loaded, and builds again, keeping the time of its first
//!   change. A failed build waits a little for more changes first, since a half-written file
//!   fails fast.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

/// How long a failed build waits for more file events before it is reported.
pub const SETTLE: Duration = Duration::from_millis(150);

/// Units waiting to be built.
#[derive(Debug, Default)]
pub struct Schedule {
    pending: BTreeMap<usize, SystemTime>,
}

/// What to do with a finished build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Show it, and load it if it succeeded.
    Finish,
    /// Its sources changed while it ran: drop it, it builds again.
    Stale,
}

impl Schedule {
    /// `units` changed, seen at `now`.
    pub fn changed(&mut self, units: impl IntoIterator<Item = usize>, now: SystemTime) {
        for unit in units {
            self.pending.entry(unit).or_insert(now);
        }
    }

    /// The next unit to build, and when its first unbuilt change was seen.
    pub fn next(&mut self) -> Option<(usize, SystemTime)> {
        self.pending.pop_first()
    }

    /// How long to wait for more changes after a build that `succeeded` or not.
    pub fn settle(succeeded: bool) -> Duration {
        if succeeded { Duration::ZERO } else { SETTLE }
    }

    /// `unit`'s build (of changes first seen at `detected`) finished; `during` changed meanwhile
    /// (seen at `now`).
    pub fn built(
        &mut self,
        unit: usize,
        detected: SystemTime,
        during: &BTreeSet<usize>,
        now: SystemTime,
    ) -> Fate {
        let stale = during.contains(&unit);
        if stale {
            self.pending.insert(unit, detected);
        }
        self.changed(during.iter().copied(), now);
        if stale { Fate::Stale } else { Fate::Finish }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    /// What happens, in order.
    enum Step {
        /// Units changed at a time.
        Changed(&'static [usize], u64),
        /// The next build should be of this unit, for changes first seen then.
        Next(Option<(usize, u64)>),
        /// A build of a unit (first change at a time) finished; others changed meanwhile.
        Built(usize, u64, &'static [usize], u64, Fate),
    }
    use Step::*;

    fn run(steps: &[Step]) {
        let mut schedule = Schedule::default();
        for (i, step) in steps.iter().enumerate() {
            match step {
                Changed(units, ms) => schedule.changed(units.iter().copied(), at(*ms)),
                Next(expected) => {
                    let got = schedule.next();
                    assert_eq!(got, expected.map(|(u, ms)| (u, at(ms))), "step {i}");
                }
                Built(unit, detected, during, now, fate) => {
                    let during = during.iter().copied().collect();
                    let got = schedule.built(*unit, at(*detected), &during, at(*now));
                    assert_eq!(got, *fate, "step {i}");
                }
            }
        }
    }

    #[test]
    fn builds_go_in_unit_order_and_a_change_during_a_build_makes_it_stale() {
        run(&[
            Changed(&[1], 10),
            Changed(&[0, 1], 20), // unit 1 keeps its first change's time
            Next(Some((0, 20))),
            Built(0, 20, &[], 300, Fate::Finish),
            Next(Some((1, 10))),
            // Unit 1 was saved again while it built: built again, from its first change.
            Built(1, 10, &[1, 0], 400, Fate::Stale),
            Next(Some((0, 400))),
            Next(Some((1, 10))),
            Built(1, 10, &[], 600, Fate::Finish),
            Next(None),
        ]);
    }

    #[test]
    fn a_failed_build_waits_for_more_changes_first() {
        assert_eq!(Schedule::settle(true), Duration::ZERO);
        assert_eq!(Schedule::settle(false), SETTLE);
    }
}
