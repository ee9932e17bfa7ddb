//! What a patch binds to the running program, decided from symbols alone (no file, no process):
//!
//! - every name the patch's objects leave undefined and the program defines, to the program's:
//!   a static or `#[hot]` function to its first definition (the one instance), any other
//!   function to its newest (the latest code);
//! - every static (writable data) the objects define and the program already has, to the
//!   program's, so that it keeps its value; unless its size changed, which refuses the patch;
//! - every function that reaches a thread-local the program already has, when it is the
//!   accessor `thread_local!` makes, to the program's accessor, so that the thread-local keeps
//!   its value; a function of the crate that reaches one directly (an optimised build inlines
//!   the accessor) refuses the patch;
//! - a `#[hot]` function of another package found in a dependency's objects, to its first
//!   definition, whose target every caller shares;
//! - every function of an object taken from a library (for code the program's link left out)
//!   that the program has: that object only brings what is missing.
//!
//! Everything else the objects define stays in the patch: the crate's new code, its constants,
//! and statics the edit added. What `#[hot]` makes per version (targets, slots) always stays.

use std::collections::BTreeSet;

use super::objects::{Kind, Origin, Symbols};
use super::program::Program;
use crate::abi::names;

/// The decisions for one patch.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// `name = address` for the linker script, sorted by name.
    pub bindings: Vec<(String, u64)>,
    /// What the link keeps even if nothing refers to it: the crate's slots and `#[hot]`
    /// statics, through which everything new is reached.
    pub roots: Vec<String>,
    /// Why the patch cannot be loaded: a line per item.
    pub refusals: Vec<Refusal>,
}

/// One item that stands in the way of a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A static whose type changed (its symbol did, or its size): the program's instance cannot
    /// hold the new type.
    StaticRetyped { name: String, was: u64, now: u64 },
    /// A thread-local whose type changed.
    ThreadLocalRetyped { name: String, was: u64, now: u64 },
    /// A static the linker cannot bind (local to its object), which would get a second copy.
    StaticNotShared { name: String },
    /// A thread-local the program has, reached by new code through something other than an
    /// accessor the program also has: the patch would have a second copy of it.
    ThreadLocalNotShared { thread_local: String, by: String },
}

impl Refusal {
    /// The line shown for it, with demangled names.
    pub fn describe(&self) -> String {
        match self {
            Refusal::StaticRetyped { name, was, now } => format!(
                "static {}: its type changed ({was} bytes, now {now}); the running program's \
                 value cannot be carried into the new type",
                demangle(name)
            ),
            Refusal::ThreadLocalRetyped { name, was, now } => format!(
                "thread-local {}: its type changed ({was} bytes, now {now}); each thread's value \
                 cannot be carried into the new type",
                thread_local_name(name)
            ),
            Refusal::StaticNotShared { name } => format!(
                "static {}: the compiler made it local to one object, so the new code would get \
                 a copy of its own",
                demangle(name)
            ),
            Refusal::ThreadLocalNotShared { thread_local, by } => format!(
                "thread-local {}: the new code reads it directly ({}; an optimised build inlines \
                 the accessor `thread_local!` makes, so the program has none to share), and \
                 would get a copy of its own. Reloading code that uses it needs the crate \
                 built at opt-level 0 (`[profile.dev.package.<crate>] opt-level = 0`)",
                thread_local_name(thread_local),
                demangle(by)
            ),
        }
    }
}

/// Decides the bindings of a patch made of objects with `symbols`, against `program`.
/// `callables` are the symbols of every `#[hot]` function known to the program.
pub fn plan(symbols: &Symbols, program: &Program, callables: &BTreeSet<&str>) -> Plan {
    let mut plan = Plan::default();
    for name in &symbols.undefined {
        // Only one file ever defines a static (later ones bind to it), so the newest definition
        // is the first for statics, and for functions the latest code; a `#[hot]` function's
        // first definition holds the target its callers share.
        let found = if callables.contains(name.as_str()) {
            program.first(name)
        } else {
            program.newest(name)
        };
        match found {
            // A thread-local is an offset in its file's block, not an address a script can
            // give; the accessors that name it are bound instead.
            Some((sym, _)) if sym.kind == Kind::ThreadLocal => {}
            Some((sym, _)) => plan.bindings.push((name.clone(), sym.address)),
            None => {} // from a shared library (libc), found by the loader, or missing
        }
    }
    for (name, defined) in &symbols.defined {
        if names::is_per_version(name) {
            let root = names::ends_with_segment(name, names::SLOT)
                || names::ends_with_segment(name, names::STATE);
            if root && defined.origin == Origin::Own {
                plan.roots.push(name.clone());
            }
            continue;
        }
        if name.starts_with("DW.ref.") {
            continue; // the personality routine's pointer, a copy per object by design
        }
        match defined.kind {
            Kind::Data => {
                let Some((was, _)) = program.first(name).filter(|(s, _)| s.kind == Kind::Data)
                else {
                    // New, or retyped (the type is in a static's hash, so its symbol changed
                    // too): the link's result says which, by the statics still referred to.
                    continue;
                };
                if was.size != defined.size {
                    plan.refusals.push(Refusal::StaticRetyped {
                        name: name.clone(),
                        was: was.size,
                        now: defined.size,
                    });
                } else if defined.local && defined.origin == Origin::Own {
                    plan.refusals
                        .push(Refusal::StaticNotShared { name: name.clone() });
                } else if defined.local {
                    // An object taken from a library may hold statics the new code never
                    // reaches (the link drops them); one it reaches shows as a copy in the
                    // link's result, which refuses the patch then.
                } else {
                    plan.bindings.push((name.clone(), was.address));
                }
            }
            Kind::ThreadLocal => {
                let was = program.first(name).map(|(was, _)| was);
                if let Some(was) =
                    was.filter(|was| was.kind == Kind::ThreadLocal && was.size != defined.size)
                {
                    plan.refusals.push(Refusal::ThreadLocalRetyped {
                        name: name.clone(),
                        was: was.size,
                        now: defined.size,
                    });
                }
            }
            Kind::Function => {
                if defined.origin != Origin::Own && callables.contains(name.as_str()) {
                    if let Some((sym, _)) = program.first(name) {
                        plan.bindings.push((name.clone(), sym.address));
                    }
                    continue;
                }
                if defined.origin == Origin::Library
                    && let Some((sym, _)) = program
                        .newest(name)
                        .filter(|(s, _)| s.kind == Kind::Function)
                {
                    plan.bindings.push((name.clone(), sym.address));
                    continue;
                }
                let shared: Vec<&String> = defined
                    .thread_locals
                    .iter()
                    .filter(|t| {
                        program
                            .first(t)
                            .is_some_and(|(s, _)| s.kind == Kind::ThreadLocal)
                    })
                    .collect();
                let Some(thread_local) = shared.first() else {
                    continue;
                };
                match program
                    .first(name)
                    .filter(|(s, _)| s.kind == Kind::Function)
                {
                    Some((sym, _)) if is_accessor(name) => {
                        plan.bindings.push((name.clone(), sym.address));
                    }
                    // One line per thread-local, naming the first function that reads it.
                    _ if plan.refusals.iter().any(|r| {
                        matches!(r, Refusal::ThreadLocalNotShared { thread_local: t, .. } if t == *thread_local)
                    }) => {}
                    _ => plan.refusals.push(Refusal::ThreadLocalNotShared {
                        thread_local: (*thread_local).clone(),
                        by: name.clone(),
                    }),
                }
            }
            Kind::Constant | Kind::Other => {}
        }
    }
    plan.bindings.sort();
    plan.bindings.dedup();
    plan.roots.sort();
    plan
}

/// Whether the crate's objects come from the program's build of the crate, told by the targets
/// of its `#[hot]` functions (statics every build has, at the same paths): `Some(false)` when
/// none of them has the program's symbol and some are at a path the program has. Cargo gives a
/// crate another `-C metadata`, and so every symbol of it another hash, when it resolves the
/// features of its dependencies otherwise, as it does for a crate built alone
/// (`cargo rustc -p crate`) whose program, another package's binary, enables more of them; no
/// static of such a build would be the program's. `None`: nothing to tell by (only new
/// functions).
pub fn programs_build(symbols: &Symbols, program: &Program) -> Option<bool> {
    let mut elsewhere = false;
    for (name, defined) in &symbols.defined {
        if defined.origin != Origin::Own || !names::ends_with_segment(name, names::TARGET) {
            continue;
        }
        if program.first(name).is_some() {
            return Some(true);
        }
        elsewhere |= program
            .first_at_path(&super::program::path_of(name))
            .is_some();
    }
    if elsewhere { Some(false) } else { None }
}

/// Whether `name` is an accessor `thread_local!` expands to (instantiated where the thread-local
/// is used: `…::NAME::{{constant}}::{{closure}}`, or the older `__getit`).
pub fn is_accessor(name: &str) -> bool {
    let demangled = format!("{:#}", rustc_demangle::demangle(name));
    demangled.ends_with("{{constant}}::{{closure}}") || demangled.ends_with("::__getit")
}

/// A symbol's name as a person reads it: `game::CALLS`, without the hash.
pub fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

/// A thread-local's name as declared: `game::COUNT` for the variable `thread_local!` makes inside
/// its accessor (`game::COUNT::{{constant}}::{{closure}}::__RUST_STD_INTERNAL_VAL`).
fn thread_local_name(name: &str) -> String {
    let demangled = demangle(name);
    match demangled.find("::{{constant}}") {
        Some(at) => demangled[..at].to_owned(),
        None => demangled,
    }
}

#[cfg(test)]
mod tests {
    use super::super::objects::Defined;
    use super::super::program::{Image, Sym};
    use super::*;

    const CALLS: &str = "_ZN4game5CALLS17h0123456789abcdefE";
    const NEW: &str = "_ZN4game3NEW17h0123456789abcdefE";
    const SLOT: &str = "_ZN4game5score12__HOTFN_SLOT17h0123456789abcdefE";
    const TARGET: &str = "_ZN4game5score14__HOTFN_TARGET17h0123456789abcdefE";
    const SCORE: &str = "_ZN4game5score17h0123456789abcdefE";
    const ACCESSOR: &str = "_ZN4game4MINE29_$u7b$$u7b$constant$u7d$$u7d$28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE";
    const TLS: &str = "_ZN4game4MINE29_$u7b$$u7b$constant$u7d$$u7d$28_$u7b$$u7b$closure$u7d$$u7d$23__RUST_STD_INTERNAL_VAL17h0123456789abcdefE";
    const STEP: &str = "_ZN4game4step17h0123456789abcdefE";
    const PUSH: &str = "_ZN5alloc3vec4push17h0123456789abcdefE";

    fn sym(address: u64, size: u64, kind: Kind) -> Sym {
        Sym {
            address,
            size,
            kind,
        }
    }

    fn defined(kind: Kind, size: u64) -> Defined {
        Defined {
            kind,
            size,
            local: false,
            origin: Origin::Own,
            thread_locals: BTreeSet::new(),
        }
    }

    fn program() -> Program {
        Program::from_images(vec![
            Image::from_table(&[
                (CALLS, sym(0x1000, 8, Kind::Data)),
                (SLOT, sym(0x2000, 16, Kind::Constant)),
                (TARGET, sym(0x2100, 8, Kind::Data)),
                (SCORE, sym(0x3000, 40, Kind::Function)),
                (ACCESSOR, sym(0x3100, 20, Kind::Function)),
                (TLS, sym(0x24, 4, Kind::ThreadLocal)),
                (STEP, sym(0x3200, 20, Kind::Function)),
                (PUSH, sym(0x4000, 90, Kind::Function)),
            ]),
            Image::from_table(&[(PUSH, sym(0x9000, 90, Kind::Function))]),
        ])
    }

    fn symbols(defined: &[(&str, Defined)], undefined: &[&str]) -> Symbols {
        Symbols {
            defined: defined
                .iter()
                .map(|(n, d)| ((*n).to_owned(), d.clone()))
                .collect(),
            undefined: undefined.iter().map(|n| (*n).to_owned()).collect(),
            constructors: Vec::new(),
        }
    }

    #[test]
    fn statics_bind_to_the_program_new_ones_and_per_version_ones_stay() {
        let plan = plan(
            &symbols(
                &[
                    (CALLS, defined(Kind::Data, 8)),
                    (NEW, defined(Kind::Data, 8)),
                    (SLOT, defined(Kind::Constant, 16)),
                    (TARGET, defined(Kind::Data, 8)),
                    (SCORE, defined(Kind::Function, 44)),
                ],
                &[PUSH],
            ),
            &program(),
            &BTreeSet::from([SCORE]),
        );
        assert_eq!(
            plan.bindings,
            [(CALLS.to_owned(), 0x1000), (PUSH.to_owned(), 0x9000)],
            "the static keeps its instance, a call goes to the newest code"
        );
        assert_eq!(plan.roots, [SLOT]);
        assert!(plan.refusals.is_empty());
    }

    #[test]
    fn a_static_that_changed_size_or_is_local_refuses_the_patch() {
        let mut local = defined(Kind::Data, 8);
        local.local = true;
        let grown = plan(
            &symbols(&[(CALLS, defined(Kind::Data, 16))], &[]),
            &program(),
            &BTreeSet::new(),
        );
        assert_eq!(
            grown.refusals,
            [Refusal::StaticRetyped {
                name: CALLS.into(),
                was: 8,
                now: 16
            }]
        );
        assert!(
            grown.refusals[0]
                .describe()
                .starts_with("static game::CALLS: ")
        );
        let local = plan(
            &symbols(&[(CALLS, local)], &[]),
            &program(),
            &BTreeSet::new(),
        );
        assert_eq!(
            local.refusals,
            [Refusal::StaticNotShared { name: CALLS.into() }]
        );
    }

    #[test]
    fn thread_locals_are_shared_through_their_accessors_only() {
        let mut accessor = defined(Kind::Function, 20);
        accessor.thread_locals.insert(TLS.to_owned());
        let shared = plan(
            &symbols(
                &[
                    (ACCESSOR, accessor.clone()),
                    (TLS, defined(Kind::ThreadLocal, 4)),
                ],
                &[],
            ),
            &program(),
            &BTreeSet::new(),
        );
        assert_eq!(shared.bindings, [(ACCESSOR.to_owned(), 0x3100)]);
        assert!(shared.refusals.is_empty());

        // Optimised code of the crate reads it directly: that function cannot be bound.
        let direct = plan(
            &symbols(&[(STEP, accessor)], &[]),
            &program(),
            &BTreeSet::new(),
        );
        assert_eq!(
            direct.refusals,
            [Refusal::ThreadLocalNotShared {
                thread_local: TLS.into(),
                by: STEP.into()
            }]
        );
        assert!(
            direct.refusals[0].describe().starts_with(
                "thread-local game::MINE: the new code reads it directly (game::step;"
            ),
            "{}",
            direct.refusals[0].describe()
        );

        let grown = plan(
            &symbols(&[(TLS, defined(Kind::ThreadLocal, 8))], &[]),
            &program(),
            &BTreeSet::new(),
        );
        assert_eq!(
            grown.refusals,
            [Refusal::ThreadLocalRetyped {
                name: TLS.into(),
                was: 4,
                now: 8
            }]
        );
    }

    #[test]
    fn another_packages_hot_function_in_a_dependency_binds_to_its_shared_target() {
        let mut theirs = defined(Kind::Function, 44);
        theirs.origin = Origin::Changed;
        let plan = plan(
            &symbols(&[(SCORE, theirs)], &[]),
            &program(),
            &BTreeSet::from([SCORE]),
        );
        assert_eq!(plan.bindings, [(SCORE.to_owned(), 0x3000)]);
    }

    #[test]
    fn an_object_taken_from_a_library_brings_only_what_the_program_lacks() {
        let mut pulled = defined(Kind::Function, 90);
        pulled.origin = Origin::Library;
        let plan = plan(
            &symbols(&[(PUSH, pulled.clone()), (NEW, pulled)], &[]),
            &program(),
            &BTreeSet::new(),
        );
        assert_eq!(
            plan.bindings,
            [(PUSH.to_owned(), 0x9000)],
            "NEW is what it brings"
        );
    }

    #[test]
    fn a_build_of_the_crate_with_other_hashes_is_told_from_the_programs() {
        let own = |names: &[&str]| {
            let defined: Vec<(&str, Defined)> =
                names.iter().map(|n| (*n, defined(Kind::Data, 8))).collect();
            symbols(&defined, &[])
        };
        // The same target as the program's: its build.
        assert_eq!(programs_build(&own(&[TARGET]), &program()), Some(true));
        // Another hash at the same path: another build.
        let rehashed = "_ZN4game5score14__HOTFN_TARGET17hfedcba9876543210E";
        assert_eq!(programs_build(&own(&[rehashed]), &program()), Some(false));
        // Only a new function: nothing to tell by; nor by statics that are not targets.
        let new = "_ZN4game3new14__HOTFN_TARGET17hfedcba9876543210E";
        assert_eq!(programs_build(&own(&[new]), &program()), None);
        assert_eq!(programs_build(&own(&[CALLS]), &program()), None);
    }
}
