//! Making a patch: the crate's freshly compiled objects, linked against the running program so
//! that there is one program — one standard library, one copy of every dependency, and the
//! crate's statics and thread-locals carried on.
//!
//! objects (read) → plan (what binds where) → link (placed, with `rust-lld`) → checks of the
//! result (nothing copied that must be one, nothing missing).

pub mod library;
pub mod link;
pub mod objects;
pub mod plan;
pub mod program;

use std::collections::BTreeSet;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use object::{Object as _, ObjectSymbol as _};

use self::library::Library;
use self::objects::{Kind, Origin};
use self::program::{Image, Program};
use crate::abi::names;

/// What the patcher keeps between patches: the program's symbols and where the next patch goes.
pub struct Patcher {
    pub program: Program,
    linker: PathBuf,
    /// The rlibs the program was linked from, for code its link left out.
    library: Library,
    /// The executable's lowest address.
    executable: u64,
    /// The lowest address of the patches so far (the next goes below).
    top: u64,
}

/// What to make a patch of.
pub struct Request<'a> {
    /// The crate's objects: its rlib, or a directory of object files (a binary's).
    pub own: &'a Path,
    /// Rlibs of local dependencies rebuilt since the program was: their code comes along.
    pub dependencies: &'a [PathBuf],
    /// Where the crate's dependencies' rlibs are (`-L dependency=`).
    pub library_dirs: &'a [PathBuf],
    /// Symbols of every `#[hot]` function the program knows.
    pub callables: &'a BTreeSet<&'a str>,
    /// The patch's file: a name never used before, in the private directory.
    pub output: &'a Path,
    pub debug_info: bool,
}

/// A linked patch, not loaded yet.
#[derive(Debug)]
pub struct Linked {
    pub path: PathBuf,
    pub image: Image,
    pub bytes: u64,
    /// Where it must be loaded: its lowest address.
    pub base: u64,
    pub duration: Duration,
    /// Constructors it has and must not run (dropped from the link).
    pub dropped_constructors: usize,
}

/// Why no patch can be loaded.
#[derive(Debug, PartialEq)]
pub enum Failure {
    /// It could be made, but would not run soundly in this program: a line per item.
    Refused(Vec<String>),
    /// It could not be made.
    Failed(String),
    /// The crate's objects are not from the program's build of it (see
    /// [`plan::programs_build`]): compiled as cargo compiles it for the program, it may be.
    OtherBuild,
}

impl Patcher {
    /// Reads the running program's symbols and finds the linker of the toolchain of `rustc`.
    pub fn new(rustc: &Path) -> Result<Patcher, String> {
        let linker = link::find_linker(rustc)?;
        let program = Program::executable()?;
        let executable = program::load_bias();
        // `<sysroot>/lib/rustlib/<host>/bin/rust-lld` → `<sysroot>/lib/rustlib/<host>/lib`.
        let std = linker
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join("lib"));
        Ok(Patcher {
            program,
            library: Library::new(std.into_iter().collect()),
            linker,
            executable,
            top: executable,
        })
    }

    /// Whether `own` (a crate's rlib, or a directory of its objects) is from the program's build
    /// of the crate; `None` when it cannot be told, or read.
    pub fn is_programs_build(&self, own: &Path) -> Option<bool> {
        let inputs = objects::read_inputs(own, Origin::Own).ok()?;
        let symbols = objects::symbols(&inputs).ok()?;
        plan::programs_build(&symbols, &self.program)
    }

    /// Links a patch of `request`, or says why it cannot be loaded.
    pub fn make(&mut self, request: &Request<'_>) -> Result<Linked, Failure> {
        let started = Instant::now();
        let mut inputs = objects::read_inputs(request.own, Origin::Own).map_err(Failure::Failed)?;
        for dependency in request.dependencies {
            let theirs = objects::read_inputs(dependency, Origin::Changed);
            inputs.extend(theirs.map_err(Failure::Failed)?);
        }
        self.library.add_dirs(request.library_dirs);
        let dir = request.output.with_extension("link");
        std::fs::create_dir_all(&dir)
            .map_err(|error| Failure::Failed(format!("{}: {error}", dir.display())))?;
        // Objects taken from libraries, written out for the linker.
        let mut taken: Vec<PathBuf> = Vec::new();
        let mut constructors = 0;
        // Each round links; what the result needs and no file of the process has is taken from
        // the rlibs it comes from, and the next round links it in, until nothing is missing.
        for round in 0..8 {
            let symbols = objects::symbols(&inputs).map_err(Failure::Failed)?;
            if round == 0 && plan::programs_build(&symbols, &self.program) == Some(false) {
                return Err(Failure::OtherBuild);
            }
            constructors = symbols.constructors.len();
            let plan = plan::plan(&symbols, &self.program, request.callables);
            if !plan.refusals.is_empty() {
                return Err(Failure::Refused(
                    plan.refusals.iter().map(plan::Refusal::describe).collect(),
                ));
            }
            // The sections' sizes, and room for what the linker adds (dynamic symbols,
            // relocations, the GOT, page alignment between segments). When that guess is short,
            // linking again in a range of the size the patch came out as cannot be.
            let mut size = objects::loadable_bytes(&inputs) + (1 << 16);
            let (base, bytes) = loop {
                let base = self.place(size)?;
                self.link(
                    request,
                    &dir,
                    &plan,
                    !symbols.constructors.is_empty(),
                    base,
                    &taken,
                )?;
                let bytes = std::fs::read(request.output).map_err(|error| {
                    Failure::Failed(format!("{}: {error}", request.output.display()))
                })?;
                let (low, high) = link::extent(&bytes).map_err(Failure::Failed)?;
                if low == base && high - low > size {
                    size = high - low + (1 << 16);
                    continue;
                }
                break (base, bytes);
            };
            let missing = missing(&bytes);
            if missing.is_empty() {
                let _ = std::fs::remove_dir_all(&dir);
                return self.checked(request, bytes, base, size, started, constructors);
            }
            let (found, nowhere) = self.library.find(&missing);
            if !nowhere.is_empty() {
                return Err(Failure::Refused(
                    nowhere.iter().map(|name| not_contained(name)).collect(),
                ));
            }
            for location in found {
                let input = library::extract(&location).map_err(Failure::Failed)?;
                let file = dir.join(format!("taken-{}.o", taken.len()));
                std::fs::write(&file, &input.bytes)
                    .map_err(|error| Failure::Failed(format!("{}: {error}", file.display())))?;
                taken.push(file);
                inputs.push(input);
            }
        }
        Err(Failure::Failed(format!(
            "the code the patch needs from libraries kept growing ({constructors} constructors, \
             {} objects taken); restart the program to use the change",
            taken.len()
        )))
    }

    /// A free range for `size` bytes, below the last patch.
    fn place(&self, size: u64) -> Result<u64, Failure> {
        let maps = std::fs::read_to_string("/proc/self/maps")
            .map_err(|error| Failure::Failed(format!("cannot read /proc/self/maps: {error}")))?;
        link::place(&link::mappings(&maps), self.executable, self.top, size).ok_or_else(|| {
            Failure::Failed(
                "no free address range is left within reach of the program; restart it".into(),
            )
        })
    }

    /// Runs the linker for `plan`, at `base`, with `taken` objects besides the request's.
    fn link(
        &self,
        request: &Request<'_>,
        dir: &Path,
        plan: &plan::Plan,
        drop_constructors: bool,
        base: u64,
        taken: &[PathBuf],
    ) -> Result<(), Failure> {
        let script = dir.join("bind.ld");
        let exports = dir.join("exports.ver");
        let written = std::fs::write(
            &script,
            link::script(&plan.bindings, &plan.roots, drop_constructors),
        )
        .and_then(|()| std::fs::write(&exports, link::EXPORTS));
        written.map_err(|error| Failure::Failed(format!("{}: {error}", dir.display())))?;
        let mut inputs = if request.own.is_dir() {
            objects_in(request.own)
        } else {
            vec![request.own.to_path_buf()]
        };
        inputs.extend(request.dependencies.iter().cloned());
        inputs.extend(taken.iter().cloned());
        link::Link {
            linker: &self.linker,
            base,
            inputs: &inputs,
            script: &script,
            exports: &exports,
            output: request.output,
            debug_info: request.debug_info,
        }
        .run()
        .map_err(Failure::Failed)
    }

    /// The linked patch, once it is known to fit where it goes and to copy nothing that must be
    /// one.
    fn checked(
        &mut self,
        request: &Request<'_>,
        bytes: Vec<u8>,
        base: u64,
        size: u64,
        started: Instant,
        constructors: usize,
    ) -> Result<Linked, Failure> {
        let (low, high) = link::extent(&bytes).map_err(Failure::Failed)?;
        if low != base || high - low > size {
            return Err(Failure::Failed(format!(
                "the linker placed the patch at {low:#x}..{high:#x}, not in the {size} bytes \
                 at {base:#x} made for it"
            )));
        }
        let image = Image::read(&bytes, 0).map_err(Failure::Failed)?;
        let copies = copies(&image, &self.program);
        if !copies.is_empty() {
            return Err(Failure::Refused(copies));
        }
        self.top = base;
        Ok(Linked {
            path: request.output.to_path_buf(),
            image,
            bytes: bytes.len() as u64,
            base,
            duration: started.elapsed(),
            dropped_constructors: constructors,
        })
    }
}

fn objects_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "o"))
        .collect();
    files.sort();
    files
}

/// Statics and thread-locals the program has that the linked patch defines a copy of, under
/// the same symbol or, when the type changed (a static's type is in its hash), at the same
/// path: something in the new code still refers to that copy, which would split the state.
fn copies(patch: &Image, program: &Program) -> Vec<String> {
    let mut found: Vec<String> = patch
        .iter()
        .filter(|(name, sym)| {
            matches!(sym.kind, Kind::Data | Kind::ThreadLocal)
                && !names::is_per_version(name)
                && !name.starts_with("DW.ref.")
        })
        .filter_map(|(name, sym)| {
            let same = |theirs: &program::Sym| theirs.kind == sym.kind;
            if program.first(name).is_some_and(|(theirs, _)| same(&theirs)) {
                let what = match sym.kind {
                    Kind::ThreadLocal => "thread-local",
                    _ => "static",
                };
                return Some(format!(
                    "{what} {}: the new code would use a copy of its own",
                    plan::demangle(name)
                ));
            }
            let was = program
                .first_at_path(&program::path_of(name))
                .filter(|theirs| same(theirs))?;
            let (name, was, now) = (name.to_owned(), was.size, sym.size);
            let refusal = match sym.kind {
                Kind::ThreadLocal => plan::Refusal::ThreadLocalRetyped { name, was, now },
                _ => plan::Refusal::StaticRetyped { name, was, now },
            };
            Some(refusal.describe())
        })
        .collect();
    found.sort();
    found
}

/// What the linked patch needs that no file of the process has: code the program's link left
/// out, because the program never used it.
fn missing(bytes: &[u8]) -> Vec<String> {
    let Ok(file) = object::File::parse(bytes) else {
        return Vec::new();
    };
    let mut names: Vec<String> = file
        .dynamic_symbols()
        .filter(|symbol| symbol.is_undefined() && !symbol.is_weak())
        .filter_map(|symbol| symbol.name().ok().map(str::to_owned))
        .filter(|name| !name.is_empty() && !resolvable(name))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The line for a symbol no file and no library has.
fn not_contained(name: &str) -> String {
    format!(
        "{}: the new code uses it, and neither the running program nor any library it was \
         built from contains it",
        plan::demangle(name)
    )
}

/// Whether the dynamic loader would find `name` in the process (libc and the like).
fn resolvable(name: &str) -> bool {
    let Ok(name) = CString::new(name) else {
        return false;
    };
    // SAFETY: `dlsym` with `RTLD_DEFAULT` only looks the NUL-terminated name up.
    !unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }.is_null()
}
