//! The history of versions: which code each function runs now, and rolling a unit back to its
//! newest version that did not panic. Pure: addresses in, addresses out.

use std::collections::HashMap;

use crate::abi::slot::Code;

/// One reload of one unit.
#[derive(Debug)]
pub struct Version {
    pub unit: usize,
    /// Each function's code in this version.
    pub code: HashMap<&'static str, Code>,
    /// Panicked, and was rolled back.
    pub bad: bool,
    /// Calls have been bound to it (at once, or at a reload point).
    pub applied: bool,
}

/// Every version, and each function's code in the program and now.
#[derive(Debug, Default)]
pub struct History {
    /// Version `n` is `versions[n - 1]`; version 0 is the program's original code.
    versions: Vec<Version>,
    /// The program's own code of each function it has, by symbol.
    original: HashMap<&'static str, Code>,
    /// What each function's callers reach now.
    current: HashMap<&'static str, Code>,
}

impl History {
    /// The program's original code of `symbol`.
    pub fn set_original(&mut self, symbol: &'static str, code: Code) {
        self.original.insert(symbol, code);
    }

    /// What calls of `symbol` reach now: the newest applied version's code, or the original.
    pub fn current(&self, symbol: &str) -> Option<Code> {
        self.current
            .get(symbol)
            .or_else(|| self.original.get(symbol))
            .copied()
    }

    /// Adds a loaded version (not applied yet); its number.
    pub fn push(&mut self, version: Version) -> u64 {
        self.versions.push(version);
        self.versions.len() as u64
    }

    pub fn get(&self, number: u64) -> &Version {
        &self.versions[number as usize - 1]
    }

    /// Makes version `number` current: the functions whose code changes, with their new code.
    pub fn apply(&mut self, number: u64) -> Vec<(&'static str, Code)> {
        let version = &mut self.versions[number as usize - 1];
        version.applied = true;
        let changes: Vec<_> = version.code.iter().map(|(s, c)| (*s, *c)).collect();
        for &(symbol, code) in &changes {
            self.current.insert(symbol, code);
        }
        changes
    }

    /// Drops version `number` without applying it (its states could not be carried over).
    pub fn discard(&mut self, number: u64) {
        self.versions[number as usize - 1].bad = true;
    }

    /// The version whose code of `symbol` is `code`, if it is a reloaded one.
    pub fn owner(&self, symbol: &str, code: Code) -> Option<u64> {
        let index = self
            .versions
            .iter()
            .position(|v| v.code.get(symbol) == Some(&code))?;
        Some(index as u64 + 1)
    }

    /// Marks version `number` bad (it panicked) and rolls its unit back: each of its functions
    /// goes to the newest applied version that is not bad, or to the original code. Returns
    /// that version's number (0: the original code), and the functions with their code now,
    /// or `None` if the version was already rolled back.
    pub fn roll_back(&mut self, number: u64) -> Option<(u64, Vec<(&'static str, Code)>)> {
        let version = &mut self.versions[number as usize - 1];
        if version.bad {
            return None;
        }
        version.bad = true;
        let unit = version.unit;
        let good = |v: &&Version| v.unit == unit && v.applied && !v.bad;
        let symbols: Vec<&'static str> = self
            .versions
            .iter()
            .filter(|v| v.unit == unit)
            .flat_map(|v| v.code.keys().copied())
            .collect();
        let mut changes = Vec::new();
        for symbol in symbols {
            let newest = self
                .versions
                .iter()
                .rev()
                .filter(good)
                .find_map(|v| v.code.get(symbol))
                .or_else(|| self.original.get(symbol))
                .copied();
            // A function only bad versions ever had keeps what it has: there is nothing else.
            if let Some(code) = newest
                && self.current.insert(symbol, code) != Some(code)
            {
                changes.push((symbol, code));
            }
        }
        changes.sort_by_key(|(symbol, _)| *symbol);
        changes.dedup();
        let newest_good = self.versions.iter().rposition(|v| good(&v));
        Some((newest_good.map_or(0, |i| i as u64 + 1), changes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: usize) -> Code {
        Code(n as *const ())
    }

    fn version(unit: usize, functions: &[(&'static str, usize)]) -> Version {
        Version {
            unit,
            code: functions.iter().map(|(s, c)| (*s, code(*c))).collect(),
            bad: false,
            applied: false,
        }
    }

    #[test]
    fn applied_versions_become_current_and_a_panic_rolls_the_unit_back() {
        let mut history = History::default();
        history.set_original("a", code(1));
        history.set_original("b", code(2));
        let v1 = history.push(version(0, &[("a", 10), ("b", 20)]));
        history.apply(v1);
        let v2 = history.push(version(0, &[("a", 11), ("b", 21), ("new", 31)]));
        let v3 = history.push(version(1, &[("other", 40)]));
        history.apply(v2);
        history.apply(v3);
        assert_eq!(history.current("a"), Some(code(11)));
        assert_eq!(history.owner("a", code(11)), Some(2));
        assert_eq!(
            history.owner("a", code(1)),
            None,
            "the original is no version"
        );

        // v2 panics: unit 0 goes back to v1; the function only v2 had stays.
        let (good, changes) = history.roll_back(v2).unwrap();
        assert_eq!(good, 1);
        assert_eq!(changes, [("a", code(10)), ("b", code(20))]);
        assert_eq!(history.current("new"), Some(code(31)));
        assert_eq!(history.current("other"), Some(code(40)), "another unit");
        assert!(history.roll_back(v2).is_none(), "once");

        // v1 panics too: back to the original code.
        let (good, changes) = history.roll_back(v1).unwrap();
        assert_eq!(good, 0);
        assert_eq!(changes, [("a", code(1)), ("b", code(2))]);
    }

    #[test]
    fn a_version_not_applied_yet_is_not_rolled_back_to() {
        let mut history = History::default();
        history.set_original("a", code(1));
        let v1 = history.push(version(0, &[("a", 10)]));
        history.apply(v1);
        history.push(version(0, &[("a", 11)])); // pending, at a reload point
        let (good, changes) = history.roll_back(v1).unwrap();
        assert_eq!((good, changes), (0, vec![("a", code(1))]));
    }
}
