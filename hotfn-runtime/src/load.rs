//! Loading: copy a freshly built library to a unique name in a private directory, open it, and
//! read its slot list.
//!
//! A loaded file must never be overwritten (the next build would rewrite mapped code under the
//! running program), so every build is copied first (or hard-linked: see `place_new`). Copies
//! live in a directory created with mode 0700 in `target/hotfn/` (or `HOTFN_COPY_DIR`, or the
//! system's temporary directory if neither can be used), removed at exit and, on Linux, when the program is ended by SIGINT (Ctrl-C), SIGTERM or
//! SIGHUP whose default action nobody replaced; directories left by programs that were killed
//! otherwise are removed at the next start.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::alloc::Allocator;
use crate::guard::HostApi;
use crate::slot::{
    ABI, ABI_SYMBOL, ALLOCATOR_SYMBOL, AbiFn, AllocatorFn, CONNECT_SYMBOL, ConnectFn, SLOTS_SYMBOL,
    STATES_SYMBOL, Slot, SlotsFn, StatesFn,
};
use crate::state::StateSlot;

/// The private directory of this process's library copies.
pub struct CopyDir {
    dir: PathBuf,
    copies: u64,
}

const PREFIX: &str = "hotfn-";

impl CopyDir {
    /// Creates a fresh private directory in `parent` (and removes those of dead processes).
    pub fn create_in(parent: &Path) -> Result<CopyDir, String> {
        remove_stale(parent);
        let prefix = format!("{PREFIX}{}-", std::process::id());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = builder
            .tempdir_in(parent)
            .map_err(|error| format!("{}: {error}", parent.display()))?
            // Removed at exit by `remove_at_exit`, not when a value is dropped.
            .keep();
        remove_at_exit(&dir);
        #[cfg(target_os = "linux")]
        on_signal::remove_on_signal(&dir);
        Ok(CopyDir { dir, copies: 0 })
    }

    /// Creates the directory in the first of `parents` where that works (`target/hotfn` or
    /// `HOTFN_COPY_DIR`, then the system's temporary directory) and says where it is if that is
    /// not the first.
    pub fn create(parents: &[PathBuf]) -> Result<(CopyDir, Option<String>), String> {
        let mut errors = Vec::new();
        for parent in parents {
            if *parent != std::env::temp_dir() {
                let _ = std::fs::create_dir_all(parent);
            }
            match CopyDir::create_in(parent) {
                Ok(copies) => {
                    let note = (!errors.is_empty()).then(|| {
                        format!(
                            "cannot keep library copies in {} ({}); using {} instead",
                            parents[0].display(),
                            errors.join("; "),
                            copies.dir.display()
                        )
                    });
                    return Ok((copies, note));
                }
                Err(error) => errors.push(error),
            }
        }
        Err(format!(
            "cannot create a private directory for library copies ({}); set HOTFN_COPY_DIR to a \
             writable directory",
            errors.join("; ")
        ))
    }

    /// Copies `library` to a name never used before in this directory.
    pub fn copy(&mut self, library: &Path) -> Result<PathBuf, String> {
        self.copies += 1;
        let stem = library.file_stem().unwrap_or_default().to_string_lossy();
        let name = format!("{stem}.{}{}", self.copies, std::env::consts::DLL_SUFFIX);
        let copy = self.dir.join(name);
        if !self.dir.is_dir() {
            // Someone removed it while we run: make it again, private from the start.
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .recursive(true)
                .create(&self.dir)
                .map_err(|error| format!("cannot recreate {}: {error}", self.dir.display()))?;
        }
        place_new(library, &copy).map_err(|error| {
            format!(
                "cannot copy {} to {}: {error}",
                library.display(),
                copy.display()
            )
        })?;
        sign(&copy)?;
        Ok(copy)
    }
}

/// Puts `from` at the new name `to` (which must not exist yet: a file planted there is refused,
/// not followed): a hard link when both are on one file system, else a copy.
///
/// A hard link shares the artifact's inode, and is as good as a copy for as long as nothing
/// writes into that inode. Nothing does: cargo replaces artifacts (removes, then links or
/// copies), and linkers write a new file (lld and mold write elsewhere and rename; GNU ld and
/// gold unlink a non-empty output first), precisely so as not to rewrite a running program. A
/// 17 MB debug library links in 0.03 ms and copies in 5 to 50 ms. `HOTFN_COPY=1` forces copies;
/// macOS always copies, since the copy is signed in place.
fn place_new(from: &Path, to: &Path) -> std::io::Result<()> {
    let copy =
        cfg!(target_os = "macos") || std::env::var_os("HOTFN_COPY").is_some_and(|v| v == "1");
    if !copy && std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    copy_new(from, to)
}

/// Copies to `to`, which must not exist yet: a file planted there is refused, not followed.
fn copy_new(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut source = std::fs::File::open(from)?;
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    std::io::copy(&mut source, &mut target)?;
    Ok(())
}

/// macOS refuses to load a modified copy of a signed library; sign the copy ad hoc. (Untested.)
#[cfg(target_os = "macos")]
fn sign(copy: &Path) -> Result<(), String> {
    let status = std::process::Command::new("codesign")
        .args(["--force", "--sign", "-"])
        .arg(copy)
        .status()
        .map_err(|error| format!("cannot run codesign: {error}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("codesign failed for {}", copy.display()))
}

#[cfg(not(target_os = "macos"))]
fn sign(_copy: &Path) -> Result<(), String> {
    Ok(())
}

/// Removes copy directories whose process is gone (killed before it could clean up).
fn remove_stale(temp: &Path) {
    #[cfg(target_os = "linux")]
    for entry in std::fs::read_dir(temp).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let ours = std::fs::metadata(entry.path())
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
            // SAFETY: getuid has no preconditions and cannot fail.
            .is_ok_and(|uid| uid == unsafe { libc::getuid() });
        if ours && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = temp;
}

static AT_EXIT: OnceLock<PathBuf> = OnceLock::new();

/// Removes `dir` when the process exits normally (return from `main`, `std::process::exit`).
fn remove_at_exit(dir: &Path) {
    extern "C" fn remove() {
        if let Some(dir) = AT_EXIT.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    if AT_EXIT.set(dir.to_path_buf()).is_ok() {
        // SAFETY: `remove` is an `extern "C"` function that never unwinds (it ignores errors and
        // only touches a `OnceLock` that is set before registration).
        unsafe { libc::atexit(remove) };
    }
}

/// Removing the copies when a signal ends the program, which skips `atexit`.
#[cfg(target_os = "linux")]
mod on_signal {
    use std::ffi::CString;
    use std::path::Path;
    use std::sync::OnceLock;

    static DIR: OnceLock<CString> = OnceLock::new();

    /// For SIGINT, SIGTERM and SIGHUP whose action is still the default (ending the program):
    /// remove `dir`, then end the program as the signal would have. A handler the program installs
    /// later replaces this one (and usually ends the program through `exit`, which runs the
    /// `atexit` hook); one installed before is left alone.
    pub fn remove_on_signal(dir: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let Ok(path) = CString::new(dir.as_os_str().as_bytes()) else {
            return;
        };
        if DIR.set(path).is_err() {
            return;
        }
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: `sigaction` with a null new action only reads the current one into `old`,
            // a zeroed (valid) `sigaction` struct.
            let default = unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(signal, std::ptr::null(), &mut old) == 0
                    && old.sa_sigaction == libc::SIG_DFL
            };
            if !default {
                continue;
            }
            // SAFETY: `handle` is async-signal-safe (see there); SA_RESETHAND restores the
            // default action on entry, so re-raising the signal ends the program as before.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handle as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }

    /// Only async-signal-safe calls: an atomic load (`OnceLock::get`), `open`, `getdents64`,
    /// `unlinkat`, `close`, `rmdir` and `raise`; no allocation, no lock.
    extern "C" fn handle(signal: libc::c_int) {
        if let Some(dir) = DIR.get() {
            // A few passes, in case removing entries while listing them skipped some.
            for _ in 0..3 {
                // SAFETY: `dir` is a NUL-terminated path; `remove_entries` only reads records
                // the kernel wrote.
                if unsafe { remove_entries(dir) && libc::rmdir(dir.as_ptr()) == 0 } {
                    break;
                }
            }
        }
        // SAFETY: raising a signal has no memory-safety preconditions; its action is the default
        // again (SA_RESETHAND), so the program now ends as the signal says once this returns.
        unsafe { libc::raise(signal) };
    }

    /// Unlinks every entry of `dir` (which holds only files); false if it cannot be listed.
    ///
    /// # Safety
    ///
    /// `dir` must be a valid NUL-terminated path.
    unsafe fn remove_entries(dir: &CString) -> bool {
        // SAFETY: `dir` is NUL-terminated (caller).
        let fd = unsafe {
            libc::open(
                dir.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
            )
        };
        if fd < 0 {
            return false;
        }
        // 8-byte aligned, as `dirent64` records are.
        let mut buffer = [0u64; 1024];
        loop {
            // SAFETY: the kernel writes at most `size_of_val(&buffer)` bytes into `buffer`.
            let read = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    fd,
                    buffer.as_mut_ptr(),
                    std::mem::size_of_val(&buffer),
                )
            };
            if read <= 0 {
                break;
            }
            let mut offset = 0;
            while offset < read as usize {
                // SAFETY: the kernel filled `read` bytes with whole `dirent64` records, each
                // starting `d_reclen` bytes after the previous one; only the header fields and
                // the NUL-terminated name inside the record are read.
                unsafe {
                    let entry = buffer
                        .as_ptr()
                        .cast::<u8>()
                        .add(offset)
                        .cast::<libc::dirent64>();
                    let length = (*entry).d_reclen as usize;
                    let name = (&raw const (*entry).d_name).cast::<libc::c_char>();
                    let dots = *name == b'.' as libc::c_char
                        && (*name.add(1) == 0
                            || (*name.add(1) == b'.' as libc::c_char && *name.add(2) == 0));
                    if !dots {
                        libc::unlinkat(fd, name, 0);
                    }
                    offset += length.max(1);
                }
            }
        }
        // SAFETY: `fd` was opened above and is closed once.
        unsafe { libc::close(fd) };
        true
    }
}

/// A loaded library. It is never unloaded: code, vtables or `&'static` data from it may be in use
/// anywhere in the program for as long as it runs.
pub struct Library {
    library: &'static libloading::Library,
    /// The slots linked into the library (its own functions and those of its hot dependencies).
    pub slots: &'static [&'static Slot],
    /// The `#[hot] static` slots linked into the library.
    pub states: &'static [&'static StateSlot],
}

impl Library {
    /// Opens `path`, checks it was built by the same compiler against the same hotfn-runtime as
    /// the host, connects it to the host's runtime (`api`) and reads its slot list.
    ///
    /// # Safety
    ///
    /// `path` must be a library built by cargo from the host's own workspace: opening a library
    /// runs its initialisers, and its `hotfn_slots_v1` must be the function this crate defines.
    pub unsafe fn open(path: &Path, api: &'static HostApi) -> Result<Library, String> {
        // SAFETY: the caller guarantees the library is ours; its initialisers are those of a
        // Rust cdylib (std's), which are safe to run.
        let library = unsafe { libloading::Library::new(path) }
            .map_err(|error| format!("cannot load {}: {error}", path.display()))?;
        let library: &'static libloading::Library = Box::leak(Box::new(library));
        // SAFETY: `hotfn_abi_v1` is defined by every version of this crate with type `AbiFn`.
        let abi = unsafe { library.get::<AbiFn>(ABI_SYMBOL) }.map_err(|_| {
            format!(
                "{} has no hotfn slot list; was it built from a crate using #[hot]?",
                path.display()
            )
        })?;
        if abi() != ABI {
            return Err(format!(
                "{} was built by another compiler or another version of hotfn-runtime than the \
                 running program; restart the program",
                path.display()
            ));
        }
        // SAFETY: the ABI matched, so `hotfn_allocator_v1` has type `AllocatorFn`.
        let allocator = unsafe { library.get::<AllocatorFn>(ALLOCATOR_SYMBOL) }
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let allocator = Allocator::from_u8(allocator());
        if let Some(why) = crate::alloc::mismatch(crate::alloc::host(), allocator) {
            return Err(why);
        }
        // SAFETY: the ABI matched, so `hotfn_connect_v1` has type `ConnectFn`.
        let connect = unsafe { library.get::<ConnectFn>(CONNECT_SYMBOL) }
            .map_err(|error| format!("{}: {error}", path.display()))?;
        connect(api);
        // SAFETY: the ABI matched, so `hotfn_slots_v1` has type `SlotsFn`.
        let slots_fn = unsafe { library.get::<SlotsFn>(SLOTS_SYMBOL) }
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let mut len = 0;
        // SAFETY: `len` is a valid `usize` to write.
        let first = unsafe { slots_fn(&mut len) };
        // SAFETY: `hotfn_slots_v1` returns the library's linker-built `SLOTS` array, valid for
        // `len` elements for as long as the library is loaded, which is forever (it is leaked).
        let slots = unsafe { std::slice::from_raw_parts(first, len) };
        // SAFETY: the ABI matched, so `hotfn_states_v1` has type `StatesFn`.
        let states_fn = unsafe { library.get::<StatesFn>(STATES_SYMBOL) }
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let mut len = 0;
        // SAFETY: `len` is a valid `usize` to write.
        let first = unsafe { states_fn(&mut len) };
        // SAFETY: as for the slots above.
        let states = unsafe { std::slice::from_raw_parts(first, len) };
        Ok(Library {
            library,
            slots,
            states,
        })
    }

    /// The address of exported function `symbol`, if the library defines it.
    pub fn function(&self, symbol: &str) -> Option<crate::slot::RawFn> {
        // SAFETY: the symbol is read as an opaque address, never called here; it is called only
        // through a slot whose type was checked against this function's signature.
        let function = unsafe { self.library.get::<*const ()>(symbol) }.ok()?;
        Some(crate::slot::RawFn::new(*function))
    }
}
