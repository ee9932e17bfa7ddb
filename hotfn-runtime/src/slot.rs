//! The slot that generated code calls through, and the description of each `#[hot]` function.
//!
//! These types are shared by the host and every library it loads, so they are `#[repr(C)]` and
//! their layout is part of [`ABI`], which a library must match before anything of it is used.

use std::sync::atomic::{AtomicPtr, Ordering};

use crate::fingerprint::LayoutFn;
use crate::guard::HostApi;
use crate::state::{STATES, StateSlot};

/// A code address: a `#[hot]` function's export, type-erased.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RawFn(*const ());

// SAFETY: a `RawFn` is the address of immutable code; sharing it between threads shares no data.
unsafe impl Send for RawFn {}
// SAFETY: as above.
unsafe impl Sync for RawFn {}

impl RawFn {
    /// Wraps the address of a function.
    pub const fn new(address: *const ()) -> RawFn {
        RawFn(address)
    }

    /// The address.
    #[inline(always)]
    pub fn address(self) -> *const () {
        self.0
    }
}

/// The function at `address`, with the type of `like`.
///
/// Generated code for methods gets `like` by coercing the export to a function pointer whose
/// types are left to inference (`Self::export as extern "C-unwind" fn(_) -> _`), rather than
/// writing the type out: a method may elide lifetimes in ways a function pointer type cannot
/// (`fn name(&self, other: &str) -> &str`).
///
/// # Safety
///
/// `address` must be the address of a function of type `F` (up to lifetimes, which do not change
/// how it is called), in a library that stays loaded while the result is used.
#[inline(always)]
pub unsafe fn typed_like<F: Copy>(address: *const (), like: F) -> F {
    const { assert!(size_of::<F>() == size_of::<*const ()>()) };
    let _ = like;
    // SAFETY: the caller promises `address` is a function of type `F`; the sizes are equal.
    unsafe { std::mem::transmute_copy::<*const (), F>(&address) }
}

/// Everything known at compile time about one `#[hot]` function, in one binary.
#[repr(C)]
#[derive(Debug)]
pub struct FnInfo {
    /// The export's symbol name, unique per crate version, file and function.
    pub symbol: &'static str,
    /// `module::path::name`, for messages.
    pub path: &'static str,
    /// The slot's function type, as tokens: two builds agree on it exactly when the signature is
    /// unchanged.
    pub signature: &'static str,
    /// Sizes and alignments of the signature's types (see `fingerprint`).
    pub layouts: LayoutFn,
    /// The crate's own types the signature reaches, through fields, with a hash of each one's
    /// definition (see `hotfn-macros`' `types` module).
    pub types: &'static [(&'static str, u64)],
    /// `CARGO_PKG_NAME` of the crate that defines the function.
    pub package: &'static str,
    /// `CARGO_MANIFEST_DIR` of that crate.
    pub manifest_dir: &'static str,
    /// Every feature the crate declares, and whether it was enabled in this build.
    pub features: &'static [(&'static str, bool)],
    /// The export compiled into this binary: the body as written in this build.
    pub local: RawFn,
    /// This binary's entry: calls `local`, catching a panic with this binary's std.
    pub entry: RawFn,
    /// This binary's guard: calls another binary's entry (see `guard`).
    pub guard: RawFn,
    /// This binary's direct entry, which the host's slot points at when this binary (a library)
    /// has the current code: the function's own signature, calling `entry`, and on a panic
    /// rolling back and repeating the call through the host's slot or raising the panic in the
    /// host's std (see `guard`). It spares calls from the program the guard's extra call.
    pub direct: RawFn,
}

/// What the stub of a `#[hot]` function calls: this binary's export, its guard, another binary's
/// direct entry, or (before the first call) the first-call trampoline. Loading it is the whole
/// cost of a `#[hot]` call besides the call.
///
/// It is a static of its own, which only the stub and one accessor function name, rather than a
/// field of the registered [`Slot`]: a static that the initializer of another static refers to
/// (the linker-built list refers to the slot) is a global symbol, which code reaches through
/// the GOT, one load more per call; this one is local, and the stub loads it directly.
#[repr(transparent)]
#[derive(Debug)]
pub struct Target(AtomicPtr<()>);

impl Target {
    /// A target that starts at `first`: the first-call trampoline, which asks the runtime for
    /// the current code (starting the runtime), or, in a reloaded library, the export itself.
    pub const fn new(first: *const ()) -> Target {
        Target(AtomicPtr::new(first as *mut ()))
    }

    /// The function to call now.
    #[inline(always)]
    pub fn get(&self) -> *const () {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self, code: RawFn) {
        self.0.store(code.0.cast_mut(), Ordering::Release);
    }
}

/// Everything the runtime needs of one `#[hot]` function in one binary, registered in `SLOTS`.
#[repr(C)]
#[derive(Debug)]
pub struct Slot {
    /// The function's [`Target`].
    target: fn() -> &'static Target,
    /// When `target` is the guard: the entry, in another binary, that the guard calls.
    remote: AtomicPtr<()>,
    /// In a library: the host's slot of the same function, through which a panicking direct
    /// entry repeats the call (null: the host has no such function).
    caller: AtomicPtr<Slot>,
    info: &'static FnInfo,
}

impl Slot {
    /// The slot of the function described by `info`, whose calls go where `target()` says.
    pub const fn new(info: &'static FnInfo, target: fn() -> &'static Target) -> Slot {
        Slot {
            target,
            remote: AtomicPtr::new(std::ptr::null_mut()),
            caller: AtomicPtr::new(std::ptr::null_mut()),
            info,
        }
    }

    /// The function to call now (the stub reads its [`Target`] directly).
    #[inline(always)]
    pub fn get(&self) -> *const () {
        (self.target)().get()
    }

    /// The entry the guard calls.
    #[inline(always)]
    pub fn remote(&self) -> RawFn {
        RawFn(self.remote.load(Ordering::Acquire))
    }

    /// In a library, the host's slot of the same function (see [`FnInfo::direct`]).
    pub fn caller(&self) -> Option<&'static Slot> {
        // SAFETY: `caller` is null or was set by `set_caller` from a `&'static Slot`.
        unsafe { self.caller.load(Ordering::Acquire).as_ref() }
    }

    /// Makes `host` this library slot's [`caller`](Slot::caller).
    pub(crate) fn set_caller(&self, host: &'static Slot) {
        self.caller
            .store(std::ptr::from_ref(host).cast_mut(), Ordering::Release);
    }

    /// Called once per slot, by its first call: starts the runtime if needed, binds the slot to
    /// the current code and returns what to call.
    #[cold]
    pub fn first_call(&'static self) -> *const () {
        crate::runtime::first_call(self).address()
    }

    pub(crate) fn info(&self) -> &'static FnInfo {
        self.info
    }

    /// Calls go to this binary's own code. Calls that already loaded the old value finish in the
    /// old code, which is why old libraries are never unloaded.
    pub(crate) fn bind_local(&self) -> RawFn {
        (self.target)().set(self.info.local);
        self.info.local
    }

    /// Calls go to `direct`, the direct entry of another binary (only ever in the host's slots).
    pub(crate) fn bind_direct(&self, direct: RawFn) -> RawFn {
        (self.target)().set(direct);
        direct
    }

    /// Calls go to `entry`, in another binary, through this binary's guard.
    pub(crate) fn bind_remote(&self, entry: RawFn) -> RawFn {
        // The entry first: a call that sees the guard must find the entry it goes with (or a
        // newer one; every entry ever bound stays loaded).
        self.remote.store(entry.0.cast_mut(), Ordering::Release);
        (self.target)().set(self.info.guard);
        self.info.guard
    }
}

/// Every slot linked into this binary (the host, or a reloaded library: each has its own list).
#[linkme::distributed_slice]
pub static SLOTS: [&'static Slot];

/// Identifies everything a library and its host must share for the slot lists to be readable and
/// the same types to mean the same bytes: this crate's version, the compiler's, and the layout
/// of this crate's types.
pub(crate) const ABI: u64 = {
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < version.len() {
        hash = (hash ^ version[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    let rustc = env!("HOTFN_RUSTC_VERSION").as_bytes();
    let mut i = 0;
    while i < rustc.len() {
        hash = (hash ^ rustc[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash ^ ((size_of::<Slot>() as u64) << 48) ^ ((size_of::<FnInfo>() as u64) << 56)
};

/// Symbol of [`hotfn_abi_v1`], looked up in every library before anything else.
pub(crate) const ABI_SYMBOL: &[u8] = b"hotfn_abi_v1\0";
/// Symbol of [`hotfn_slots_v1`].
pub(crate) const SLOTS_SYMBOL: &[u8] = b"hotfn_slots_v1\0";

/// The [`ABI`] this binary was built with.
#[unsafe(no_mangle)]
pub extern "C" fn hotfn_abi_v1() -> u64 {
    ABI
}

/// This binary's [`SLOTS`], as pointer and length, for the host to read from a loaded library.
///
/// # Safety
///
/// `len` must be valid for a write of one `usize`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hotfn_slots_v1(len: *mut usize) -> *const &'static Slot {
    // SAFETY: the caller promises `len` is writable.
    unsafe { len.write(SLOTS.len()) };
    SLOTS.as_ptr()
}

/// Symbol of [`hotfn_states_v1`].
pub(crate) const STATES_SYMBOL: &[u8] = b"hotfn_states_v1\0";

/// This binary's `#[hot] static` slots, as pointer and length, like [`hotfn_slots_v1`].
///
/// # Safety
///
/// `len` must be valid for a write of one `usize`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hotfn_states_v1(len: *mut usize) -> *const &'static StateSlot {
    // SAFETY: the caller promises `len` is writable.
    unsafe { len.write(STATES.len()) };
    STATES.as_ptr()
}

/// Signature of [`hotfn_states_v1`].
pub(crate) type StatesFn = unsafe extern "C" fn(*mut usize) -> *const &'static StateSlot;

/// Symbol of [`hotfn_connect_v1`].
pub(crate) const CONNECT_SYMBOL: &[u8] = b"hotfn_connect_v1\0";

/// Connects a loaded library to the host runtime and installs its panic hook. Called once, by
/// the host, right after loading.
#[unsafe(no_mangle)]
pub extern "C" fn hotfn_connect_v1(api: &'static HostApi) {
    crate::guard::connect_library(api);
    crate::guard::install_library_hook();
    crate::forward::install(api);
}

/// Symbol of [`hotfn_allocator_v1`].
pub(crate) const ALLOCATOR_SYMBOL: &[u8] = b"hotfn_allocator_v1\0";

/// Which allocator serves this binary (an [`Allocator`](crate::alloc::Allocator) as `u8`), for
/// the host to check that it can exchange allocations with a loaded library.
#[unsafe(no_mangle)]
pub extern "C" fn hotfn_allocator_v1() -> u8 {
    crate::alloc::this_binary() as u8
}

/// Signature of [`hotfn_allocator_v1`].
pub(crate) type AllocatorFn = extern "C" fn() -> u8;
/// Signature of [`hotfn_connect_v1`].
pub(crate) type ConnectFn = extern "C" fn(&'static HostApi);
/// Signature of [`hotfn_slots_v1`].
pub(crate) type SlotsFn = unsafe extern "C" fn(*mut usize) -> *const &'static Slot;
/// Signature of [`hotfn_abi_v1`].
pub(crate) type AbiFn = extern "C" fn() -> u64;

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(improper_ctypes_definitions)]
    extern "C-unwind" fn longer<'a>(a: &'a str, b: &'a str) -> &'a str {
        if b.len() > a.len() { b } else { a }
    }

    #[test]
    fn typed_like_takes_the_type_of_the_witness() {
        let address = longer as *const ();
        // SAFETY: `address` is `longer`, whose type the witness has.
        let f = unsafe { typed_like(address, longer as extern "C-unwind" fn(_, _) -> _) };
        assert_eq!(f("ab", "abc"), "abc");
    }
}
