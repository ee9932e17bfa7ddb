//! The statics `#[hot]` generates for each function, and what they say about it.
//!
//! Every `#[hot]` function keeps its name, signature and body; in hot mode it starts with a
//! prologue that loads its [`Target`] and, when the target is another version of the function,
//! calls that instead. Each compiled version of the crate (the program, each patch) has its own
//! `Target` and [`Slot`] for every function: the program's target is the one every caller
//! reaches, and a patch's target keeps the patch's own calls in the patch.

use std::sync::atomic::{AtomicPtr, Ordering};

use crate::abi::layout::TypeLayout;

/// Where calls of one `#[hot]` function go: null until its first call, then the code of the
/// version that runs (this version's own, or another's). Loading it is the prologue's one load.
///
/// A static of its own, named only by the prologue and by the accessor in its [`Slot`]: a static
/// that another static's initializer refers to is reached through the GOT, one load more.
#[repr(transparent)]
#[derive(Debug)]
pub struct Target(AtomicPtr<()>);

impl Target {
    /// A target not bound yet: the first call asks the runtime.
    #[allow(clippy::new_without_default)] // only ever a static
    pub const fn new() -> Target {
        Target(AtomicPtr::new(std::ptr::null_mut()))
    }

    /// The code to run now (null before the first call).
    #[inline(always)]
    pub fn get(&self) -> *const () {
        self.0.load(Ordering::Acquire)
    }

    /// Sends calls to `code`. A call that already loaded the old value finishes in the old code,
    /// which is why no version is ever unloaded.
    pub(crate) fn set(&self, code: Code) {
        self.0.store(code.0.cast_mut(), Ordering::Release);
    }
}

/// The package and compilation unit a function was compiled in: what the runtime watches,
/// rebuilds and patches as one.
#[derive(Debug, Clone, Copy)]
pub struct Unit {
    /// `CARGO_PKG_NAME`.
    pub package: &'static str,
    /// `CARGO_MANIFEST_DIR`.
    pub manifest_dir: &'static str,
    /// `CARGO_CRATE_NAME`.
    pub crate_name: &'static str,
    /// `CARGO_BIN_NAME` when the function is in a binary target, `None` in the library.
    pub bin: Option<&'static str>,
    /// Every feature the package declares, and whether it was enabled in this build.
    pub features: &'static [(&'static str, bool)],
    /// Compiled as a test harness (`cargo test`), where nothing reloads.
    pub test: bool,
}

/// What is known at compile time about one `#[hot]` function.
#[derive(Debug)]
pub struct FnInfo {
    /// The function's own symbol (its export name): the same in every version, unique in the
    /// program, and how the runtime finds each version's code.
    pub symbol: &'static str,
    /// `module::path::name` (`module::path::Type::name` when the macro saw the type), for
    /// messages.
    pub path: &'static str,
    /// The signature, as tokens: two versions agree on it exactly when it is unchanged.
    pub signature: &'static str,
    /// Layouts of the signature's types that do not name `Self`.
    pub layouts: fn(&mut Vec<TypeLayout>),
    /// Layouts of those that do, for methods: a table the prologue's `asm!` writes, since
    /// nothing nested in a method may name `Self`.
    pub self_layouts: Option<SelfLayouts>,
    /// The crate's own types the signature reaches, through fields, with a hash of each
    /// definition (see `hotfn-macros`' `types`).
    pub types: &'static [(&'static str, u64)],
    /// Where it was compiled.
    pub unit: Unit,
}

/// The table of a method's `Self`-dependent layouts: `Self`'s type name, a count, then that many
/// `fn() -> TypeLayout`. Written by the prologue's `asm!` as data, referred to by address.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct SelfLayouts(pub *const SelfTable);

// SAFETY: the table is immutable data, written at link time.
unsafe impl Sync for SelfLayouts {}
// SAFETY: as above.
unsafe impl Send for SelfLayouts {}

/// The head of a [`SelfLayouts`] table, as the `asm!` lays it out (`.quad`s).
#[repr(C)]
#[derive(Debug)]
pub struct SelfTable {
    type_name: fn() -> &'static str,
    count: usize,
    layouts: [fn() -> TypeLayout; 0],
}

impl SelfLayouts {
    /// `Self`'s type name and the layouts, in the table's order.
    pub(crate) fn read(self) -> (&'static str, Vec<TypeLayout>) {
        // SAFETY: the pointer is the address of a table the prologue's `asm!` emitted in this
        // binary: a type-name function, a count, then that many layout functions, all
        // pointer-sized and -aligned, immutable for the life of the program.
        unsafe {
            let head = &*self.0;
            let first = head.layouts.as_ptr();
            let layouts = (0..head.count).map(|i| (*first.add(i))()).collect();
            ((head.type_name)(), layouts)
        }
    }
}

impl FnInfo {
    /// Every layout of the fingerprint: `Self`'s and then the others.
    pub(crate) fn all_layouts(&self) -> Vec<TypeLayout> {
        let mut all = match self.self_layouts {
            Some(table) => table.read().1,
            None => Vec::new(),
        };
        (self.layouts)(&mut all);
        all
    }

    /// The path for messages: with the type's name when only the compiled code knows it.
    pub(crate) fn display_path(&self) -> String {
        let Some(table) = self.self_layouts else {
            return self.path.to_owned();
        };
        let (type_name, _) = table.read();
        let short = type_name.split('<').next().unwrap_or(type_name);
        let short = short.rsplit("::").next().unwrap_or(short);
        match self.path.rsplit_once("::") {
            Some((module, name)) if !module.ends_with(short) => {
                format!("{module}::{short}::{name}")
            }
            _ => self.path.to_owned(),
        }
    }
}

/// One `#[hot]` function in one compiled version: its description, its [`Target`], and its code
/// in this version.
#[derive(Debug)]
pub struct Slot {
    info: &'static FnInfo,
    target: fn() -> &'static Target,
    code: Code,
}

/// The address of a version's code.
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code(pub *const ());

// SAFETY: the address of immutable code; sharing it between threads shares no data.
unsafe impl Send for Code {}
// SAFETY: as above.
unsafe impl Sync for Code {}

impl Slot {
    /// The slot of the function described by `info`, whose calls go where `target()` says, and
    /// whose code in this version is at `code` (the function itself, named by its symbol).
    pub const fn new(
        info: &'static FnInfo,
        target: fn() -> &'static Target,
        code: *const (),
    ) -> Slot {
        Slot {
            info,
            target,
            code: Code(code),
        }
    }

    /// This version's code of the function.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The description.
    pub fn info(&self) -> &'static FnInfo {
        self.info
    }

    /// The target.
    pub fn target(&self) -> &'static Target {
        (self.target)()
    }
}

/// Every slot linked into the program, whether its function was called or not.
#[linkme::distributed_slice]
pub static SLOTS: [&'static Slot];

/// The function at `address`, with the type of `like`.
///
/// Generated code gets `like` by coercing the function itself to a function pointer whose types
/// are left to inference (`Self::name as fn(_, _) -> _`), rather than writing the type out: a
/// method may elide lifetimes in ways a function pointer type cannot (`fn name(&self, other:
/// &str) -> &str`).
///
/// # Safety
///
/// `address` must be the address of a function of type `F` (up to lifetimes, which do not change
/// how it is called), in code that stays mapped while the result is used.
#[inline(always)]
pub unsafe fn typed_like<F: Copy>(address: *const (), like: F) -> F {
    const { assert!(size_of::<F>() == size_of::<*const ()>()) };
    let _ = like;
    // SAFETY: the caller promises `address` is a function of type `F`; the sizes are equal.
    unsafe { std::mem::transmute_copy::<*const (), F>(&address) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longer<'a>(a: &'a str, b: &'a str) -> &'a str {
        if b.len() > a.len() { b } else { a }
    }

    #[test]
    fn typed_like_takes_the_type_of_the_witness() {
        let address = longer as *const ();
        // SAFETY: `address` is `longer`, whose type the witness has.
        let f = unsafe { typed_like(address, longer as fn(_, _) -> _) };
        assert_eq!(f("ab", "abc"), "abc");
    }
}
