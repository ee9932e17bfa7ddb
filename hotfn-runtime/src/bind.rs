//! Binding: pointing every slot of every loaded binary at the current code.
//!
//! The host and each loaded library have their own copy of every slot (a library's own code calls
//! other `#[hot]` functions through its copies). All of them are bound alike, so that any code,
//! old or new, calls the current version of every function: directly when that version lives in
//! the same binary, through the binary's guard (which keeps panics from crossing binaries as
//! exceptions) when it lives in another.

use std::collections::HashMap;

use crate::slot::{RawFn, Slot};

/// Where a function's current code lives: the binary (0 is the host, then libraries in load
/// order) and that binary's entry for the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub binary: usize,
    pub entry: RawFn,
}

/// Binds `slot`, which lives in `binary`, and returns what a call through it runs now.
pub fn bind(slot: &Slot, binary: usize, binding: Binding) -> RawFn {
    if binding.binary == binary {
        slot.bind_local()
    } else {
        slot.bind_remote(binding.entry)
    }
}

/// Binds each slot of `tables` (indexed by binary) to `current[symbol]`. A library's slot for a
/// function the runtime never bound goes to the library's own code (never to its trampoline).
///
/// The newest library is bound first and the host last, so that by the time the host can call
/// new code, that code's own calls to other `#[hot]` functions already go where they should.
/// Every slot change is atomic: a call sees the old or the new function, never anything between.
pub fn bind_all(tables: &[&[&'static Slot]], current: &HashMap<&'static str, Binding>) {
    for (binary, table) in tables.iter().enumerate().rev() {
        for slot in table.iter() {
            match current.get(slot.info().symbol) {
                Some(&binding) => {
                    bind(slot, binary, binding);
                }
                None if binary > 0 => {
                    slot.bind_local();
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::FnInfo;

    extern "C-unwind" fn first_call() {}
    extern "C-unwind" fn host_a() {}
    extern "C-unwind" fn host_a_entry() {}
    extern "C-unwind" fn host_a_guard() {}
    extern "C-unwind" fn lib_a() {}
    extern "C-unwind" fn lib_a_entry() {}
    extern "C-unwind" fn lib_a_guard() {}
    extern "C-unwind" fn lib_b() {}

    fn raw(f: extern "C-unwind" fn()) -> RawFn {
        RawFn::new(f as *const ())
    }

    fn slot(
        symbol: &'static str,
        local: extern "C-unwind" fn(),
        entry: extern "C-unwind" fn(),
        guard: extern "C-unwind" fn(),
    ) -> &'static Slot {
        let info = Box::leak(Box::new(FnInfo {
            symbol,
            path: symbol,
            signature: "fn()",
            layouts: |_| {},
            package: "game",
            manifest_dir: "/g",
            features: &[],
            local: raw(local),
            entry: raw(entry),
            guard: raw(guard),
        }));
        Box::leak(Box::new(Slot::new(info, first_call as *const ())))
    }

    #[test]
    fn same_binary_calls_directly_other_binaries_through_the_guard() {
        let host: &[&Slot] = Box::leak(Box::new([slot("a", host_a, host_a_entry, host_a_guard)]));
        let lib: &[&Slot] = Box::leak(Box::new([
            slot("a", lib_a, lib_a_entry, lib_a_guard),
            slot("b", lib_b, lib_b, lib_b),
        ]));
        let current = HashMap::from([(
            "a",
            Binding {
                binary: 1,
                entry: raw(lib_a_entry),
            },
        )]);
        bind_all(&[host, lib], &current);
        assert_eq!(host[0].get(), host_a_guard as *const ());
        assert_eq!(host[0].remote(), raw(lib_a_entry));
        assert_eq!(lib[0].get(), lib_a as *const ());
        // Not bound by the runtime yet: the library's own code, not its trampoline.
        assert_eq!(lib[1].get(), lib_b as *const ());

        // Rolled back to the host's code: the host calls its own export, the library goes
        // through its guard into the host's entry.
        let current = HashMap::from([(
            "a",
            Binding {
                binary: 0,
                entry: raw(host_a_entry),
            },
        )]);
        bind_all(&[host, lib], &current);
        assert_eq!(host[0].get(), host_a as *const ());
        assert_eq!(lib[0].get(), lib_a_guard as *const ());
        assert_eq!(lib[0].remote(), raw(host_a_entry));
    }

    #[test]
    fn unbound_host_slots_keep_their_first_call() {
        let host: &[&Slot] = Box::leak(Box::new([slot("a", host_a, host_a_entry, host_a_guard)]));
        bind_all(&[host], &HashMap::new());
        assert_eq!(host[0].get(), first_call as *const ());
    }
}
