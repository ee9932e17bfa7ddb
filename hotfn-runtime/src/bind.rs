//! Binding: pointing every slot of every loaded binary at the current code.
//!
//! The host and each loaded library have their own copy of every slot (a library's own code calls
//! other `#[hot]` functions through its copies). All of them are bound alike, so that any code,
//! old or new, calls the current version of every function: directly when that version lives in
//! the same binary, through the binary's guard (which keeps panics from crossing binaries as
//! exceptions) when it lives in another; the host's slots, whose callers are the program's own
//! code, go straight to the other binary's direct entry, which needs no guard.

use std::collections::HashMap;

use crate::slot::{RawFn, Slot};

/// Where a function's current code lives: the binary (0 is the host, then libraries in load
/// order) and that binary's entry and direct entry for the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub binary: usize,
    pub entry: RawFn,
    pub direct: RawFn,
}

/// Binds `slot`, which lives in `binary`, and returns what a call through it runs now.
pub fn bind(slot: &Slot, binary: usize, binding: Binding) -> RawFn {
    if binding.binary == binary {
        slot.bind_local()
    } else if binary == 0 {
        slot.bind_direct(binding.direct)
    } else {
        slot.bind_remote(binding.entry)
    }
}

/// One binary's slots, and the package it was built for (`None`: the host program).
#[derive(Debug, Clone)]
pub struct Table {
    pub slots: &'static [&'static Slot],
    pub package: Option<String>,
}

/// After package `package` changed (reloaded, or rolled back), points the slots of its functions
/// at `current`, in every binary but its own libraries: each library of a package keeps calling
/// its own version of the package's functions, so a call that started in one version finishes
/// entirely in it, whatever reloads happen meanwhile. `new`, when given, is the library just
/// loaded: all its slots are bound (its own functions to itself, others to the current code).
///
/// The new library is bound first and the host last, so that by the time the host can call new
/// code, that code's own calls already go where they should. Every slot change is one atomic
/// store: a call sees the old or the new function, never anything in between.
pub fn rebind(
    tables: &[Table],
    current: &HashMap<&'static str, Binding>,
    package: &str,
    new: Option<usize>,
) {
    let bind_slot = |binary: usize, slot: &Slot| match current.get(slot.info().symbol) {
        Some(&binding) => {
            bind(slot, binary, binding);
        }
        None if binary > 0 => {
            slot.bind_local();
        }
        None => {}
    };
    if let Some(new) = new {
        tables[new]
            .slots
            .iter()
            .for_each(|slot| bind_slot(new, slot));
    }
    for (binary, table) in tables.iter().enumerate().rev() {
        if Some(binary) == new || table.package.as_deref() == Some(package) {
            continue;
        }
        for slot in table
            .slots
            .iter()
            .filter(|s| s.info().manifest_dir == package)
        {
            bind_slot(binary, slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::{FnInfo, Target};

    extern "C-unwind" fn first_call() {}
    extern "C-unwind" fn host_a() {}
    extern "C-unwind" fn host_a_entry() {}
    extern "C-unwind" fn host_a_guard() {}
    extern "C-unwind" fn lib_a() {}
    extern "C-unwind" fn lib_a_entry() {}
    extern "C-unwind" fn lib_a_guard() {}
    extern "C-unwind" fn lib_a_direct() {}
    extern "C-unwind" fn lib_b() {}

    fn raw(f: extern "C-unwind" fn()) -> RawFn {
        RawFn::new(f as *const ())
    }

    /// A slot with a `Target` of its own (a static, made at each use).
    macro_rules! slot {
        ($($arg:expr),* $(,)?) => {{
            static TARGET: Target = Target::new(first_call as *const ());
            fn target() -> &'static Target {
                &TARGET
            }
            make_slot($($arg,)* target)
        }};
    }

    fn make_slot(
        symbol: &'static str,
        local: extern "C-unwind" fn(),
        entry: extern "C-unwind" fn(),
        guard: extern "C-unwind" fn(),
        direct: extern "C-unwind" fn(),
        target: fn() -> &'static Target,
    ) -> &'static Slot {
        let info = Box::leak(Box::new(FnInfo {
            symbol,
            path: symbol,
            signature: "fn()",
            layouts: |_| {},
            types: &[],
            package: "game",
            manifest_dir: "/g",
            features: &[],
            local: raw(local),
            entry: raw(entry),
            guard: raw(guard),
            direct: raw(direct),
        }));
        Box::leak(Box::new(Slot::new(info, target)))
    }

    fn table(slots: Vec<&'static Slot>, package: Option<&str>) -> Table {
        Table {
            slots: Box::leak(slots.into_boxed_slice()),
            package: package.map(str::to_owned),
        }
    }

    fn binding(
        binary: usize,
        entry: extern "C-unwind" fn(),
        direct: extern "C-unwind" fn(),
    ) -> HashMap<&'static str, Binding> {
        HashMap::from([(
            "a",
            Binding {
                binary,
                entry: raw(entry),
                direct: raw(direct),
            },
        )])
    }

    #[test]
    fn same_binary_calls_directly_the_host_the_direct_entry_libraries_the_guard() {
        let tables = [
            table(
                vec![slot!("a", host_a, host_a_entry, host_a_guard, host_a)],
                None,
            ),
            table(
                vec![
                    slot!("a", lib_a, lib_a_entry, lib_a_guard, lib_a_direct),
                    slot!("b", lib_b, lib_b, lib_b, lib_b),
                ],
                Some("/g"),
            ),
        ];
        let (host, lib) = (tables[0].slots, tables[1].slots);
        rebind(
            &tables,
            &binding(1, lib_a_entry, lib_a_direct),
            "/g",
            Some(1),
        );
        // The program's calls need no guard: the library's direct entry raises a panic with the
        // host's std.
        assert_eq!(host[0].get(), lib_a_direct as *const ());
        assert_eq!(lib[0].get(), lib_a as *const ());
        // Not bound by the runtime yet: the library's own code, not its trampoline.
        assert_eq!(lib[1].get(), lib_b as *const ());

        // Rolled back to the host's code: the host calls its own export; the library keeps its
        // own version, for calls still running in it.
        rebind(&tables, &binding(0, host_a_entry, host_a), "/g", None);
        assert_eq!(host[0].get(), host_a as *const ());
        assert_eq!(lib[0].get(), lib_a as *const ());
    }

    #[test]
    fn other_packages_libraries_follow_the_current_code() {
        // A library of package /o contains a copy of /g's function (a dependency).
        let tables = [
            table(
                vec![slot!("a", host_a, host_a_entry, host_a_guard, host_a)],
                None,
            ),
            table(
                vec![slot!("a", lib_a, lib_a_entry, lib_a_guard, lib_a_direct)],
                Some("/g"),
            ),
            table(
                vec![slot!("a", lib_b, lib_b, lib_a_guard, lib_b)],
                Some("/o"),
            ),
        ];
        rebind(&tables, &binding(1, lib_a_entry, lib_a_direct), "/g", None);
        assert_eq!(tables[2].slots[0].get(), lib_a_guard as *const ());
        assert_eq!(tables[2].slots[0].remote(), raw(lib_a_entry));
    }

    #[test]
    fn unbound_host_slots_keep_their_first_call() {
        let tables = [table(
            vec![slot!("a", host_a, host_a_entry, host_a_guard, host_a)],
            None,
        )];
        rebind(&tables, &HashMap::new(), "/g", None);
        assert_eq!(tables[0].slots[0].get(), first_call as *const ());
    }
}
