//! Binding: pointing every slot of every loaded binary at the current code.
//!
//! The host and each loaded library have their own copy of every slot (a library's own code calls
//! other `#[hot]` functions through its copies). All of them are bound alike, so that any code,
//! old or new, calls the newest version of every function.

use std::collections::HashMap;

use crate::slot::{RawFn, Slot};

/// Binds each slot in `tables` to `current[symbol]`, or, for a function the runtime never bound,
/// to the library's own copy of it (never to its first-call trampoline, which would start a second
/// runtime inside the library).
///
/// `tables[0]` is the host's; libraries follow, oldest first. The newest library is bound first and
/// the host last, so that by the time the host can call new code, that code's own calls to other
/// `#[hot]` functions already go where they should. Every slot is one atomic store: a call sees
/// the old or the new function, never anything in between.
pub fn bind_all(tables: &[&[&'static Slot]], current: &HashMap<&'static str, RawFn>) {
    for (index, table) in tables.iter().enumerate().rev() {
        for slot in table.iter() {
            let info = slot.info();
            match current.get(info.symbol) {
                Some(&target) => slot.bind(target),
                None if index > 0 => slot.bind(info.local),
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
    extern "C-unwind" fn lib_a() {}
    extern "C-unwind" fn lib_b() {}

    fn slot(symbol: &'static str, local: extern "C-unwind" fn()) -> &'static Slot {
        let info = Box::leak(Box::new(FnInfo {
            symbol,
            path: symbol,
            signature: "fn()",
            package: "game",
            manifest_dir: "/g",
            features: &[],
            local: RawFn::new(local as *const ()),
        }));
        Box::leak(Box::new(Slot::new(info, first_call as *const ())))
    }

    #[test]
    fn every_copy_of_a_slot_points_at_the_current_code() {
        let host: &[&Slot] = Box::leak(Box::new([slot("a", host_a)]));
        let lib: &[&Slot] = Box::leak(Box::new([slot("a", lib_a), slot("b", lib_b)]));
        let current = HashMap::from([("a", RawFn::new(lib_a as *const ()))]);
        bind_all(&[host, lib], &current);
        assert_eq!(host[0].get(), lib_a as *const ());
        assert_eq!(lib[0].get(), lib_a as *const ());
        // Not bound by the runtime yet: the library's own code, not its trampoline.
        assert_eq!(lib[1].get(), lib_b as *const ());
    }

    #[test]
    fn unbound_host_slots_keep_their_first_call() {
        let host: &[&Slot] = Box::leak(Box::new([slot("a", host_a)]));
        bind_all(&[host], &HashMap::new());
        assert_eq!(host[0].get(), first_call as *const ());
    }
}
