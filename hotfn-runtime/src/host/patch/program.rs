//! The running program's symbols: the executable's symbol table, and every patch loaded since.
//! A patch is linked against these, so that its references reach the program's own code and
//! statics.

use std::collections::HashMap;

use object::{Object as _, ObjectSection as _, ObjectSymbol as _, SectionKind};

use super::objects::Kind;
use crate::abi::names;

/// A symbol of the running program, at its address in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sym {
    pub address: u64,
    pub size: u64,
    pub kind: Kind,
}

/// The symbols one file (the executable, or a patch) defines.
#[derive(Debug, Default)]
pub struct Image {
    symbols: HashMap<String, Sym>,
    /// Statics and thread-locals by their path without the hash (`game::SCORE`): a static whose
    /// type changes gets another symbol (the type is in its hash), found again by its path.
    by_path: HashMap<String, Sym>,
    /// Where the file's slots' and `#[hot] static`s' pointers are: address and size of its
    /// [`names::SLOTS_SECTION`] and [`names::STATES_SECTION`].
    slots: Option<Extent>,
    states: Option<Extent>,
}

/// Where a section is in memory: its address and size in bytes.
pub type Extent = (u64, u64);

impl Image {
    /// Reads the symbol table of the ELF file `bytes`, loaded `bias` bytes above the addresses it
    /// was linked at. Symbols without an address of their own (undefined, absolute: a patch's
    /// bindings to the program) are left out.
    pub fn read(bytes: &[u8], bias: u64) -> Result<Image, String> {
        let file = object::File::parse(bytes).map_err(|error| error.to_string())?;
        if file.symbol_table().is_none() {
            return Err("it has no symbol table (it was stripped)".into());
        }
        let mut symbols = HashMap::new();
        for symbol in file.symbols() {
            let Ok(name) = symbol.name() else { continue };
            let Some(index) = symbol.section_index() else {
                continue; // undefined, absolute or common
            };
            if name.is_empty()
                || matches!(
                    symbol.kind(),
                    object::SymbolKind::Section | object::SymbolKind::File
                )
            {
                continue;
            }
            let kind = match symbol.kind() {
                object::SymbolKind::Text => Kind::Function,
                object::SymbolKind::Tls => Kind::ThreadLocal,
                object::SymbolKind::Data => match file.section_by_index(index) {
                    Ok(section) => {
                        let relro = section.name().is_ok_and(|n| n.starts_with(".data.rel.ro"));
                        match section.kind() {
                            SectionKind::Data | SectionKind::UninitializedData if !relro => {
                                Kind::Data
                            }
                            _ => Kind::Constant,
                        }
                    }
                    Err(_) => Kind::Other,
                },
                _ => Kind::Other,
            };
            let address = match kind {
                // An offset in the file's thread-local block, not an address.
                Kind::ThreadLocal => symbol.address(),
                _ => bias + symbol.address(),
            };
            symbols.entry(name.to_owned()).or_insert(Sym {
                address,
                size: symbol.size(),
                kind,
            });
        }
        let section = |name: &str| {
            let section = file.section_by_name(name)?;
            Some((bias + section.address(), section.size()))
        };
        Ok(Image {
            slots: section(names::SLOTS_SECTION),
            states: section(names::STATES_SECTION),
            ..Image::with_paths(symbols)
        })
    }

    fn with_paths(symbols: HashMap<String, Sym>) -> Image {
        let by_path = symbols
            .iter()
            .filter(|(name, sym)| {
                matches!(sym.kind, Kind::Data | Kind::ThreadLocal)
                    && (name.starts_with("_ZN") || name.starts_with("_R"))
            })
            .map(|(name, sym)| (path_of(name), *sym))
            .collect();
        Image {
            symbols,
            by_path,
            slots: None,
            states: None,
        }
    }

    /// Address and size of the file's array of slot pointers, and of `#[hot] static` slot
    /// pointers, where it has them.
    pub fn slot_sections(&self) -> (Option<Extent>, Option<Extent>) {
        (self.slots, self.states)
    }

    pub fn get(&self, name: &str) -> Option<Sym> {
        self.symbols.get(name).copied()
    }

    /// The static or thread-local at `path` (see [`path_of`]).
    pub fn at_path(&self, path: &str) -> Option<Sym> {
        self.by_path.get(path).copied()
    }

    /// Every symbol.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Sym)> {
        self.symbols.iter().map(|(name, sym)| (name.as_str(), *sym))
    }

    #[cfg(test)]
    pub fn from_table(symbols: &[(&str, Sym)]) -> Image {
        Image::with_paths(
            symbols
                .iter()
                .map(|(name, sym)| ((*name).to_owned(), *sym))
                .collect(),
        )
    }
}

/// The executable and the patches loaded into it, oldest first.
#[derive(Debug, Default)]
pub struct Program {
    images: Vec<Image>,
    /// For each name some patch defines, the first and the newest patch (index in `images`)
    /// that does: a lookup costs the same after five hundred reloads as after one, instead of
    /// one probe per loaded patch.
    patched: HashMap<String, (usize, usize)>,
}

/// Where a symbol is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Executable,
    /// The patch loaded `n`-th (0: the first).
    Patch(usize),
}

impl Program {
    /// The running executable's symbols (`/proc/self/exe`, even if its file was replaced since).
    pub fn executable() -> Result<Program, String> {
        let bytes = std::fs::read("/proc/self/exe")
            .map_err(|error| format!("cannot read the program (/proc/self/exe): {error}"))?;
        let image = Image::read(&bytes, load_bias())
            .map_err(|why| format!("cannot read the program's symbols: {why}"))?;
        Ok(Program {
            images: vec![image],
            patched: HashMap::new(),
        })
    }

    /// Adds a loaded patch, linked at its final address.
    pub fn add_patch(&mut self, image: Image) {
        let index = self.images.len();
        for name in image.symbols.keys() {
            match self.patched.get_mut(name) {
                Some((_, newest)) => *newest = index,
                None => {
                    self.patched.insert(name.clone(), (index, index));
                }
            }
        }
        self.images.push(image);
    }

    /// The oldest definition: where a static's one instance lives.
    pub fn first(&self, name: &str) -> Option<(Sym, Origin)> {
        let first = self.patched.get(name).map(|&(first, _)| first);
        self.find(name, [Some(0), first])
    }

    /// The newest definition: the latest code of a function.
    pub fn newest(&self, name: &str) -> Option<(Sym, Origin)> {
        let newest = self.patched.get(name).map(|&(_, newest)| newest);
        self.find(name, [newest, Some(0)])
    }

    /// The definition in the first of `images` (indices) that has `name`.
    fn find(&self, name: &str, images: [Option<usize>; 2]) -> Option<(Sym, Origin)> {
        images
            .into_iter()
            .flatten()
            .find_map(|index| Some((self.images.get(index)?.get(name)?, origin(index))))
    }

    /// The oldest static or thread-local at `path`, whatever its symbol.
    pub fn first_at_path(&self, path: &str) -> Option<Sym> {
        self.images.iter().find_map(|image| image.at_path(path))
    }

    #[cfg(test)]
    pub fn from_images(mut images: Vec<Image>) -> Program {
        let mut program = Program {
            images: vec![images.remove(0)],
            patched: HashMap::new(),
        };
        for image in images {
            program.add_patch(image);
        }
        program
    }
}

/// A mangled name's path without its hash: `game::SCORE` for `_ZN4game5SCORE17h…E`.
pub fn path_of(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

fn origin(index: usize) -> Origin {
    match index {
        0 => Origin::Executable,
        n => Origin::Patch(n - 1),
    }
}

/// How far above its linked addresses the executable was loaded (position-independent
/// executables are placed at random).
pub fn load_bias() -> u64 {
    unsafe extern "C" fn first(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: the loader passes a valid `dl_phdr_info`; `data` is the `u64` below.
        unsafe { *data.cast::<u64>() = (*info).dlpi_addr };
        1 // the executable is always the first entry: stop there
    }
    let mut bias = 0u64;
    // SAFETY: `first` matches the callback type and only writes through `data`, which points at
    // `bias` for the duration of the call.
    unsafe { libc::dl_iterate_phdr(Some(first), (&raw mut bias).cast()) };
    bias
}
