//! Loading a patch where it was linked, and finding what `#[hot]` put in it: a [`Slot`] per
//! function and a [`StateSlot`] per `#[hot] static`.
//!
//! A loaded patch is never unloaded: code, vtables or `&'static` data from it may be in use
//! anywhere in the program for as long as it runs.

use std::ffi::CString;
use std::path::Path;

use crate::abi::slot::Slot;
use crate::abi::state::StateSlot;
use crate::host::patch::program::{Extent, Image};

/// A loaded patch's slots and `#[hot] static` slots.
pub struct Loaded {
    pub slots: Vec<&'static Slot>,
    pub states: Vec<&'static StateSlot>,
}

/// Opens the patch at `path`, linked to be loaded at `base`, and reads its slots from `image`
/// (its symbol table).
///
/// # Safety
///
/// `path` must be a patch the runtime linked for this process from `#[hot]` code: opening it
/// applies its relocations (it has no constructors), and the symbols named like slots must be
/// the statics `#[hot]` generates.
pub unsafe fn open(path: &Path, base: u64, image: &Image) -> Result<Loaded, String> {
    use std::os::unix::ffi::OsStrExt;
    let name = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("{}: a path with a NUL byte", path.display()))?;
    // SAFETY: `name` is NUL-terminated; the caller promises the file is a patch, whose loading
    // runs nothing but relocations.
    let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: `dlerror` returns a message for the failed `dlopen`, or null.
        let error = unsafe { libc::dlerror() };
        let error = if error.is_null() {
            "unknown error".to_owned()
        } else {
            // SAFETY: a non-null `dlerror` is a NUL-terminated string valid until the next call.
            unsafe { std::ffi::CStr::from_ptr(error) }
                .to_string_lossy()
                .into_owned()
        };
        return Err(format!("the dynamic loader refused the patch: {error}"));
    }
    let mut map: *mut libc::c_void = std::ptr::null_mut();
    // SAFETY: `handle` is a live handle; RTLD_DI_LINKMAP writes a `struct link_map *` to `map`.
    let found = unsafe { libc::dlinfo(handle, libc::RTLD_DI_LINKMAP, (&raw mut map).cast()) };
    // SAFETY: `l_addr`, the difference between where the file was linked and where it was
    // loaded, is the first field of glibc's (and musl's) `struct link_map`.
    let slide = (found == 0 && !map.is_null()).then(|| unsafe { *map.cast::<u64>() });
    if slide != Some(0) {
        // Every PC-relative reference to the program would be off: never call anything in it.
        // SAFETY: nothing of the patch ran or was handed out; it has no destructors.
        unsafe { libc::dlclose(handle) };
        return Err(format!(
            "the patch was loaded {} instead of at 0x{base:x}, where it was linked (another \
             mapping took the place); save again to retry",
            match slide {
                Some(slide) => format!("0x{slide:x} bytes away"),
                None => "somewhere unknown".to_owned(),
            }
        ));
    }
    let (slots, states) = image.slot_sections();
    // SAFETY: linked at its final address (slide 0), each section is an array of pointers to
    // the `Slot`s (`StateSlot`s) the patch defines (the caller's promise), relocated by the
    // loader and mapped forever.
    let loaded = unsafe {
        Loaded {
            slots: pointers(slots),
            states: pointers(states),
        }
    };
    Ok(loaded)
}

/// The `&'static T`s of the array of pointers at `section` (address, size in bytes): the
/// elements `#[hot]` registers, as `linkme` reads its slices, in the section itself rather than
/// by their symbols (a patch of a thousand functions has some twenty thousand).
///
/// # Safety
///
/// `section`, if any, must be a mapped, relocated array of pointers to `T`s that live forever.
unsafe fn pointers<T>(section: Option<Extent>) -> Vec<&'static T> {
    let Some((address, size)) = section else {
        return Vec::new();
    };
    let count = size as usize / size_of::<&T>();
    // SAFETY: the caller's promise; `#[hot]` writes only `&'static T`s to these sections, which
    // the linker aligns as the pointers they hold.
    unsafe { std::slice::from_raw_parts(address as *const &'static T, count) }.to_vec()
}
