//! Linking a patch: where in the address space it goes, the linker script that binds it to the
//! program, and the linker run.
//!
//! A patch refers to the program's private statics PC-relatively, which the linker computes at
//! link time; so a patch is linked at the address it will be loaded at, a free range within
//! reach (±2 GiB) of the executable, which the dynamic loader takes as a placement hint (checked
//! after loading). `rust-lld`, shipped with every rustup toolchain, is the linker: GNU ld
//! refuses PC-relative references to absolute symbols.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A mapped range of the process, `[start, end)`.
pub type Range = (u64, u64);

/// The process's mappings, from `/proc/self/maps` (`start-end perms …` per line).
pub fn mappings(maps: &str) -> Vec<Range> {
    let mut ranges: Vec<Range> = maps
        .lines()
        .filter_map(|line| {
            let range = line.split_whitespace().next()?;
            let (start, end) = range.split_once('-')?;
            Some((
                u64::from_str_radix(start, 16).ok()?,
                u64::from_str_radix(end, 16).ok()?,
            ))
        })
        .collect();
    ranges.sort_unstable();
    ranges
}

/// How far below the executable patches may go: every distance from a patch to the
/// executable's end must fit a 32-bit PC-relative offset.
const REACH: u64 = 1 << 30;
/// Alignment of a patch's base.
const ALIGN: u64 = 1 << 16;
/// Left free between a patch and the next mapping.
const GAP: u64 = 1 << 16;
/// A huge page. Asked to map 2 MiB or more of a file at a hint, Linux first looks for room for
/// the mapping and one more huge page there, to align it for huge pages
/// (`thp_get_unmapped_area`), and when the hint has no such room maps the file elsewhere: the
/// dynamic loader then loads a large patch far from where it was linked.
const HUGE_PAGE: u64 = 1 << 21;

/// A base for `size` bytes below `top` (the executable's lowest address, or the last patch's),
/// free in `mappings` with a gap on both sides, at most [`REACH`] below `executable`. A patch of
/// a huge page or more gets a huge page of room more above it, left free.
pub fn place(mappings: &[Range], executable: u64, top: u64, size: u64) -> Option<u64> {
    let floor = executable.saturating_sub(REACH);
    let room = match size >= HUGE_PAGE {
        true => size + HUGE_PAGE,
        false => size,
    };
    let size = room.div_ceil(ALIGN) * ALIGN;
    let mut end = top.min(executable);
    loop {
        let base = end.checked_sub(size + GAP)? & !(ALIGN - 1);
        if base < floor {
            return None;
        }
        // The highest mapping that overlaps [base - GAP, end): if none, the range is free.
        let clash = mappings
            .iter()
            .filter(|(start, stop)| *start < end && *stop + GAP > base)
            .map(|(start, _)| *start)
            .min();
        match clash {
            None => return Some(base),
            Some(start) => end = start.min(end.saturating_sub(ALIGN)),
        }
    }
}

/// The linker script: one binding per line, the roots the link keeps, and, when the objects have
/// constructors, a rule that drops them (a patch must not run them again).
pub fn script(bindings: &[(String, u64)], roots: &[String], drop_constructors: bool) -> String {
    let mut script = String::new();
    for (name, address) in bindings {
        let _ = writeln!(script, "\"{name}\" = 0x{address:x};");
    }
    for root in roots {
        let _ = writeln!(script, "EXTERN(\"{root}\")");
    }
    if drop_constructors {
        script.push_str(
            "SECTIONS { /DISCARD/ : { *(.init_array .init_array.* .ctors .ctors.*) } } \
             INSERT AFTER .text;\n",
        );
    }
    script
}

/// What to link.
pub struct Link<'a> {
    pub linker: &'a Path,
    pub base: u64,
    /// Objects (`.o`) and archives (`.rlib`: members are taken as the roots need them).
    pub inputs: &'a [PathBuf],
    pub script: &'a Path,
    pub exports: &'a Path,
    pub output: &'a Path,
    pub debug_info: bool,
}

impl Link<'_> {
    /// Runs the linker; its messages on failure.
    pub fn run(&self) -> Result<(), String> {
        let mut command = Command::new(self.linker);
        command
            .args(["-flavor", "gnu", "-shared", "-z", "now", "-z", "relro"])
            .args(["-z", "noexecstack", "--eh-frame-hdr", "--gc-sections"])
            .arg(format!("--image-base=0x{:x}", self.base))
            .arg(format!("--version-script={}", self.exports.display()))
            .arg("-o")
            .arg(self.output)
            .args(self.inputs)
            .arg(self.script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !self.debug_info {
            command.arg("--strip-debug");
        }
        let output = command
            .output()
            .map_err(|error| format!("cannot run {}: {error}", self.linker.display()))?;
        if output.status.success() {
            return Ok(());
        }
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(format!(
            "the linker failed ({}):\n{}",
            output.status,
            text.trim_end()
        ))
    }
}

/// The version script: nothing of a patch is exported (the runtime reads its symbol table).
pub const EXPORTS: &str = "{ local: *; };\n";

/// `rust-lld` of the toolchain whose compiler is `rustc`: `<sysroot>/lib/rustlib/<host>/bin`.
pub fn find_linker(rustc: &Path) -> Result<PathBuf, String> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|error| format!("cannot run {}: {error}", rustc.display()))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let linker = sysroot
        .join("lib/rustlib")
        .join(env!("HOTFN_HOST_TRIPLE"))
        .join("bin/rust-lld");
    if linker.is_file() {
        Ok(linker)
    } else {
        Err(format!(
            "patches are linked with rust-lld, which this toolchain does not have ({} is missing); \
             use a rustup toolchain (`rustup component add rust-src` is not needed: rust-lld comes \
             with every rustup toolchain)",
            linker.display()
        ))
    }
}

/// The extent of a linked patch's loadable segments, `(lowest address, highest end)`.
pub fn extent(bytes: &[u8]) -> Result<Range, String> {
    use object::read::elf::ProgramHeader as _;
    let elf = object::read::elf::ElfFile64::<object::Endianness>::parse(bytes)
        .map_err(|error| error.to_string())?;
    let endian = elf.endian();
    let mut low = u64::MAX;
    let mut high = 0;
    for header in elf.elf_program_headers() {
        if header.p_type(endian) == object::elf::PT_LOAD {
            let start = header.p_vaddr(endian);
            low = low.min(start);
            high = high.max(start + header.p_memsz(endian));
        }
    }
    (low < high)
        .then_some((low, high))
        .ok_or_else(|| "the patch has no loadable segment".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55d0c0000000-55d0c0200000 r--p 00000000 fd:01 123 /w/target/debug/game
55d0c0200000-55d0c0900000 r-xp 00200000 fd:01 123 /w/target/debug/game
55d0c0a00000-55d0c0b00000 rw-p 00000000 00:00 0 [heap]
55d0bff00000-55d0bff40000 rw-p 00000000 00:00 0
7f00000000-7f00100000 r-xp 00000000 fd:01 9 /usr/lib/libc.so.6
";

    #[test]
    fn mappings_are_read_and_sorted() {
        let ranges = mappings(MAPS);
        assert_eq!(ranges.len(), 5);
        assert_eq!(ranges[0], (0x7f00000000, 0x7f00100000));
        assert_eq!(ranges[2], (0x55d0c0000000, 0x55d0c0200000));
    }

    #[test]
    fn a_patch_goes_below_the_executable_clear_of_other_mappings() {
        let ranges = mappings(MAPS);
        let exe = 0x55d0c0000000;
        let free = |base: u64, size: u64| {
            ranges
                .iter()
                .all(|&(start, stop)| stop + GAP <= base || base + size + GAP <= start)
        };
        // Between the anonymous mapping under the executable and the executable.
        let base = place(&ranges, exe, exe, 0x30000).unwrap();
        assert!(free(base, 0x30000) && base > 0x55d0bff40000, "{base:x}");
        assert_eq!(base % ALIGN, 0);
        // A bigger one does not fit there: it goes below the anonymous mapping.
        let big = place(&ranges, exe, exe, 0x100000).unwrap();
        assert!(free(big, 0x100000) && big < 0x55d0bff00000, "{big:x}");
        // The next one goes below the first.
        let next = place(&ranges, exe, base, 0x30000).unwrap();
        assert!(
            free(next, 0x30000) && next + 0x30000 + GAP <= base,
            "{next:x} {base:x}"
        );
        // Never out of reach.
        assert_eq!(place(&ranges, exe, exe - REACH + 0x10000, 0x30000), None);
    }

    #[test]
    fn a_patch_of_a_huge_page_or_more_has_a_huge_page_free_above_it() {
        let exe = 0x55d0c0000000;
        let size = 3 * HUGE_PAGE + 0x1234;
        let base = place(&[(exe, exe + 0x100000)], exe, exe, size).unwrap();
        assert!(base + size + HUGE_PAGE <= exe, "{base:x}");
        let small = place(&[(exe, exe + 0x100000)], exe, exe, 0x30000).unwrap();
        assert!(
            small + 0x30000 + HUGE_PAGE > exe,
            "small patches stay close: {small:x}"
        );
    }

    #[test]
    fn the_script_binds_keeps_roots_and_may_drop_constructors() {
        let script = script(
            &[("_ZN4game5CALLS17hE".into(), 0x55d0c0001000)],
            &["_ZN4game12__HOTFN_SLOT17hE".into()],
            false,
        );
        assert_eq!(
            script,
            "\"_ZN4game5CALLS17hE\" = 0x55d0c0001000;\nEXTERN(\"_ZN4game12__HOTFN_SLOT17hE\")\n"
        );
        assert!(super::script(&[], &[], true).contains("/DISCARD/"));
    }
}
