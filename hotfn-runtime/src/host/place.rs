//! Placing: a private directory for this process's patches and compiles, and a name never used
//! before for each patch.
//!
//! A loaded file must never be overwritten (the next build would rewrite mapped code under the
//! running program), so every patch is linked straight to a new name. The directory is created
//! with mode 0700 in `target/hotfn/` (or `HOTFN_COPY_DIR`, or the system's temporary directory
//! if neither can be used), removed at exit and when the program is ended by SIGINT (Ctrl-C),
//! SIGTERM or SIGHUP whose default action nobody replaced; directories left by programs that
//! were killed otherwise are removed at the next start.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The private directory of this process's patches.
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
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = builder
            .tempdir_in(parent)
            .map_err(|error| format!("{}: {error}", parent.display()))?
            // Removed at exit by `remove_at_exit`, not when a value is dropped.
            .keep();
        remove_at_exit(&dir);
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
                            "cannot keep patches in {} ({}); using {} instead",
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
            "cannot create a private directory for patches ({}); set HOTFN_COPY_DIR to a \
             writable directory",
            errors.join("; ")
        ))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The directory, made again, private, if someone removed it while the program runs
    /// (and private again if a compile running meanwhile made it anew); whether it was.
    pub fn ensure(&self) -> Result<bool, String> {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(&self.dir)
            && metadata.is_dir()
        {
            if metadata.permissions().mode() & 0o777 != 0o700 {
                std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(|error| format!("{}: {error}", self.dir.display()))?;
            }
            return Ok(false);
        }
        let mut builder = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .recursive(true)
            .create(&self.dir)
            .map_err(|error| format!("cannot recreate {}: {error}", self.dir.display()))?;
        Ok(true)
    }

    /// A path for the next patch of `crate_name`, never used before in this directory.
    pub fn next(&mut self, crate_name: &str) -> Result<PathBuf, String> {
        self.copies += 1;
        self.ensure()?;
        let path = self.dir.join(format!("{crate_name}.{}.so", self.copies));
        if path.exists() {
            return Err(format!(
                "{} exists already; it was not made by hotfn",
                path.display()
            ));
        }
        Ok(path)
    }
}

/// Removes copy directories whose process is gone (killed before it could clean up).
fn remove_stale(temp: &Path) {
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

    /// Removes everything in `dir` (files, and directories to a few levels); false if it
    /// cannot be listed.
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
        // SAFETY: `fd` is an open directory, closed by `remove_in`.
        unsafe { remove_in(fd, 4) };
        true
    }

    /// Removes the entries of the open directory `fd`, going `depth` levels into directories,
    /// and closes it.
    ///
    /// # Safety
    ///
    /// `fd` must be an open directory, which the call takes over.
    unsafe fn remove_in(fd: libc::c_int, depth: u32) {
        // 8-byte aligned, as `dirent64` records are.
        let mut buffer = [0u64; 512];
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
                // the NUL-terminated name inside the record are read. A directory is opened
                // relative to `fd`, without following links, and handed to the recursion.
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
                        if (*entry).d_type == libc::DT_DIR && depth > 0 {
                            let inner = libc::openat(
                                fd,
                                name,
                                libc::O_RDONLY
                                    | libc::O_DIRECTORY
                                    | libc::O_CLOEXEC
                                    | libc::O_NOFOLLOW,
                            );
                            if inner >= 0 {
                                remove_in(inner, depth - 1);
                            }
                            libc::unlinkat(fd, name, libc::AT_REMOVEDIR);
                        } else {
                            libc::unlinkat(fd, name, 0);
                        }
                    }
                    offset += length.max(1);
                }
            }
        }
        // SAFETY: `fd` was handed to this call and is closed once.
        unsafe { libc::close(fd) };
    }
}
