//! Code the program's link left out: when new code needs a function no file of the process has
//! (the program never used it, so its link dropped it — often an upstream crate's copy of a
//! generic it shares), the object that defines it is taken from the rlib it comes from, the
//! standard library's or a dependency's, and linked into the patch. The patch's plan then binds
//! everything that object refers to, and every static it has, to the program, like the crate's
//! own objects; a static it cannot bind refuses the patch.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use object::read::ReadCache;
use object::read::archive::ArchiveFile;

use super::objects::{Input, Origin};

/// Where a symbol is defined: an rlib's member, by its offset in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub archive: PathBuf,
    pub member: u64,
}

/// The symbols of every rlib the program could have been linked from, read on first use.
#[derive(Debug, Default)]
pub struct Library {
    dirs: Vec<PathBuf>,
    index: Option<HashMap<String, Location>>,
}

impl Library {
    /// The rlibs in `dirs` (the standard library's directory, cargo's `deps`).
    pub fn new(dirs: Vec<PathBuf>) -> Library {
        Library { dirs, index: None }
    }

    /// Adds directories to look in (a crate's `-L dependency=` directories); the index is read
    /// again when they are new.
    pub fn add_dirs(&mut self, dirs: &[PathBuf]) {
        for dir in dirs {
            if !self.dirs.contains(dir) {
                self.dirs.push(dir.clone());
                self.index = None;
            }
        }
    }

    /// Where each of `names` is defined, and the names found nowhere.
    pub fn find(&mut self, names: &[String]) -> (Vec<Location>, Vec<String>) {
        let index = self.index.get_or_insert_with(|| read_index(&self.dirs));
        let mut found: Vec<Location> = Vec::new();
        let mut missing = Vec::new();
        for name in names {
            match index.get(name) {
                Some(location) if !found.contains(location) => found.push(location.clone()),
                Some(_) => {}
                None => missing.push(name.clone()),
            }
        }
        (found, missing)
    }
}

/// The member at `location`, as an input of the patch.
pub fn extract(location: &Location) -> Result<Input, String> {
    let unreadable =
        |error: &dyn std::fmt::Display| format!("{}: {error}", location.archive.display());
    let file = File::open(&location.archive).map_err(|e| unreadable(&e))?;
    let cache = ReadCache::new(file);
    let archive = ArchiveFile::parse(&cache).map_err(|e| unreadable(&e))?;
    let member = archive
        .member(object::read::archive::ArchiveOffset(location.member))
        .map_err(|e| unreadable(&e))?;
    let name = String::from_utf8_lossy(member.name()).into_owned();
    let bytes = member.data(&cache).map_err(|e| unreadable(&e))?;
    Ok(Input {
        name: format!("{}({name})", location.archive.display()),
        bytes: bytes.to_vec(),
        origin: Origin::Library,
    })
}

/// The defined symbols of every rlib in `dirs`, from each archive's symbol table (read without
/// reading the archives whole).
fn read_index(dirs: &[PathBuf]) -> HashMap<String, Location> {
    let mut index = HashMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut rlibs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "rlib"))
            .collect();
        rlibs.sort();
        for rlib in rlibs {
            read_symbols(&rlib, &mut index);
        }
    }
    index
}

fn read_symbols(rlib: &Path, index: &mut HashMap<String, Location>) {
    let Ok(file) = File::open(rlib) else { return };
    let cache = ReadCache::new(file);
    let Ok(archive) = ArchiveFile::parse(&cache) else {
        return;
    };
    let Ok(Some(symbols)) = archive.symbols() else {
        return;
    };
    for symbol in symbols.flatten() {
        let Ok(name) = std::str::from_utf8(symbol.name()) else {
            continue;
        };
        index.entry(name.to_owned()).or_insert_with(|| Location {
            archive: rlib.to_path_buf(),
            member: symbol.offset().0,
        });
    }
}
