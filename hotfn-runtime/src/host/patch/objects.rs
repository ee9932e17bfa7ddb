//! Reading the object files a patch is made of: what each defines and leaves undefined, and
//! which functions reach a thread-local directly. Plain data out, for the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use object::{Object as _, ObjectSection as _, ObjectSymbol as _, RelocationTarget, SectionKind};

/// One object file of a patch.
#[derive(Debug)]
pub struct Input {
    /// Where it came from, for messages: the `.o`, or `archive(member)`.
    pub name: String,
    pub bytes: Vec<u8>,
    pub origin: Origin,
}

/// Where an object comes from, which decides what of it is new code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The crate being patched: all new code.
    Own,
    /// A local dependency rebuilt since the program was: new code too.
    Changed,
    /// An rlib the program was linked from, for code its link left out: the same code as the
    /// program's, so whatever of it the program has is the program's.
    Library,
}

/// What kind of thing a symbol names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Function,
    /// A static that may change while the program runs (`.data`, `.bss`).
    Data,
    /// A static that cannot (`.rodata`, `.data.rel.ro`: constants, immutable statics).
    Constant,
    ThreadLocal,
    Other,
}

/// A symbol an input defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defined {
    pub kind: Kind,
    pub size: u64,
    /// Local to its object: a definition a linker script cannot replace.
    pub local: bool,
    pub origin: Origin,
    /// For a function: the thread-locals its code refers to directly.
    pub thread_locals: BTreeSet<String>,
}

/// Everything the plan needs to know about a patch's inputs.
#[derive(Debug, Default, PartialEq)]
pub struct Symbols {
    /// By name; a name defined twice (a local in two objects) keeps the first.
    pub defined: BTreeMap<String, Defined>,
    /// Names some input refers to and none defines.
    pub undefined: BTreeSet<String>,
    /// Inputs with constructors (`.init_array`), which a patch must not run.
    pub constructors: Vec<String>,
}

/// The objects of a compiled crate: the members of its rlib (`lib…rlib`), or the object files in
/// a directory (a binary's, kept by the linker hotfn gives its compile).
pub fn read_inputs(from: &Path, origin: Origin) -> Result<Vec<Input>, String> {
    let unreadable = |error: &dyn std::fmt::Display| format!("{}: {error}", from.display());
    if from.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(from)
            .map_err(|e| unreadable(&e))?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "o"))
            .collect();
        files.sort();
        return files
            .into_iter()
            .map(|path| {
                let bytes = std::fs::read(&path).map_err(|e| unreadable(&e))?;
                Ok(Input {
                    name: path.display().to_string(),
                    bytes,
                    origin,
                })
            })
            .collect();
    }
    let bytes = std::fs::read(from).map_err(|e| unreadable(&e))?;
    let archive = object::read::archive::ArchiveFile::parse(&*bytes).map_err(|e| unreadable(&e))?;
    let mut inputs = Vec::new();
    for member in archive.members() {
        let member = member.map_err(|e| unreadable(&e))?;
        let name = String::from_utf8_lossy(member.name()).into_owned();
        if !name.ends_with(".o") {
            continue; // `lib.rmeta`: the crate's metadata
        }
        let data = member.data(&*bytes).map_err(|e| unreadable(&e))?;
        inputs.push(Input {
            name: format!("{}({name})", from.display()),
            bytes: data.to_vec(),
            origin,
        });
    }
    Ok(inputs)
}

/// An upper bound of the memory the linked inputs take: their loadable sections, each aligned.
pub fn loadable_bytes(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .filter_map(|input| object::File::parse(&*input.bytes).ok())
        .flat_map(|file| {
            file.sections()
                .filter(|s| {
                    matches!(
                        s.flags(),
                        object::SectionFlags::Elf { sh_flags } if sh_flags & u64::from(object::elf::SHF_ALLOC) != 0
                    )
                })
                .map(|s| s.size() + s.align())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// Reads the symbols of `inputs`.
pub fn symbols(inputs: &[Input]) -> Result<Symbols, String> {
    let mut symbols = Symbols::default();
    let mut referenced = BTreeSet::new();
    for input in inputs {
        let file = object::File::parse(&*input.bytes)
            .map_err(|error| format!("{}: {error}", input.name))?;
        read_one(&file, input.origin, &mut symbols, &mut referenced);
        if file
            .sections()
            .any(|s| matches!(s.name(), Ok(n) if n.starts_with(".init_array") || n.starts_with(".ctors")))
        {
            symbols.constructors.push(input.name.clone());
        }
    }
    symbols.undefined = referenced
        .into_iter()
        .filter(|name| !symbols.defined.contains_key(name))
        .collect();
    Ok(symbols)
}

fn read_one(
    file: &object::File<'_>,
    origin: Origin,
    out: &mut Symbols,
    referenced: &mut BTreeSet<String>,
) {
    let tls_by_section = thread_locals_by_section(file);
    for symbol in file.symbols() {
        let Ok(name) = symbol.name() else { continue };
        if name.is_empty()
            || matches!(
                symbol.kind(),
                object::SymbolKind::Section | object::SymbolKind::File
            )
        {
            continue;
        }
        if symbol.is_undefined() {
            referenced.insert(name.to_owned());
            continue;
        }
        let section = symbol.section_index();
        let kind = match symbol.kind() {
            object::SymbolKind::Text => Kind::Function,
            object::SymbolKind::Tls => Kind::ThreadLocal,
            object::SymbolKind::Data => section
                .and_then(|index| file.section_by_index(index).ok())
                .map_or(Kind::Other, |section| data_kind(&section)),
            _ => Kind::Other,
        };
        let thread_locals = match (kind, section) {
            (Kind::Function, Some(index)) => {
                tls_by_section.get(&index.0).cloned().unwrap_or_default()
            }
            _ => BTreeSet::new(),
        };
        out.defined.entry(name.to_owned()).or_insert(Defined {
            kind,
            size: symbol.size(),
            local: symbol.is_local(),
            origin,
            thread_locals,
        });
    }
}

/// Writable data, or constant data (read-only, or read-only once relocated).
fn data_kind(section: &object::Section<'_, '_>) -> Kind {
    let name = section.name().unwrap_or_default();
    let relro = name.starts_with(".data.rel.ro");
    match section.kind() {
        SectionKind::Data | SectionKind::UninitializedData if !relro => Kind::Data,
        SectionKind::Tls | SectionKind::UninitializedTls => Kind::ThreadLocal,
        _ => Kind::Constant,
    }
}

/// For each code section, the thread-locals its relocations name (by symbol, or by the section
/// of a thread-local that is local to the object: `.tbss.<name>`).
fn thread_locals_by_section(file: &object::File<'_>) -> BTreeMap<usize, BTreeSet<String>> {
    let mut found: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
    for section in file.sections() {
        if section.kind() != SectionKind::Text {
            continue;
        }
        for (_, relocation) in section.relocations() {
            let RelocationTarget::Symbol(index) = relocation.target() else {
                continue;
            };
            let Ok(target) = file.symbol_by_index(index) else {
                continue;
            };
            let name = if target.kind() == object::SymbolKind::Tls {
                target.name().ok().map(str::to_owned)
            } else if target.kind() == object::SymbolKind::Section {
                target
                    .section_index()
                    .and_then(|i| file.section_by_index(i).ok())
                    .filter(|s| {
                        matches!(s.kind(), SectionKind::Tls | SectionKind::UninitializedTls)
                    })
                    .and_then(|s| {
                        let name = s.name().ok()?;
                        let bare = name
                            .strip_prefix(".tbss.")
                            .or_else(|| name.strip_prefix(".tdata."))?;
                        Some(bare.to_owned())
                    })
            } else {
                None
            };
            if let Some(name) = name {
                found.entry(section.index().0).or_default().insert(name);
            }
        }
    }
    found
}
