//! The crates the benchmark measures, written from scratch: `hotfn-scale-<n>` with `n` `#[hot]`
//! functions, and the demo with its rules module grown by generated functions.
//!
//! A crate with `n` functions has `marker()` (the function each edit changes, as in the reload
//! benchmark's counter) and `n - 1` more in modules of ten: by turns a free function on a number,
//! one on a slice, one making a `String`, and two methods of the module's `#[hot] impl` block,
//! one taking `&mut self` and one `&self`, each a few lines of real work. Every module holds its
//! state in a `Part` the program owns; every tenth module has a `#[hot] static`, and so does the
//! crate root. `tick()`, which the program calls every millisecond, calls every function once.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::fixture::{marker, workspace};

/// Functions per module.
const PER_MODULE: usize = 10;
/// The line each edit rewrites, and how it ends.
const EDITED: &str = "// edited by the benchmark";

/// A generated crate in a temporary directory (removed when dropped).
pub struct Crate {
    dir: tempfile::TempDir,
    /// `hotfn-scale-<n>`.
    pub package: String,
    /// `hotfn_scale_<n>`: what the compiler and the runtime call it.
    pub crate_name: String,
    /// Lines of Rust written.
    pub lines: usize,
    /// Edits made so far (0: as generated).
    pub edits: u64,
}

impl Crate {
    /// Writes the crate `hotfn-scale-<functions>` with `functions` `#[hot]` functions (at least
    /// 1) and the program (`bench/fixtures/scale/main.rs`), with the workspace's lock file.
    pub fn generate(functions: usize) -> Result<Crate, String> {
        let functions = functions.max(1);
        Crate::named(format!("hotfn-scale-{functions}"), functions)
    }

    /// The same, as the package `package`.
    pub fn named(package: String, functions: usize) -> Result<Crate, String> {
        let crate_name = package.replace('-', "_");
        let mut dir = tempfile::Builder::new()
            .prefix("hotfn-scale-")
            .tempdir()
            .map_err(|error| format!("cannot create a temporary directory: {error}"))?;
        // `HOTFN_SCALE_KEEP=1`: left for a look after the run.
        dir.disable_cleanup(std::env::var_os("HOTFN_SCALE_KEEP").is_some());
        let mut files = vec![
            ("Cargo.toml".to_owned(), manifest(&package)),
            ("src/lib.rs".to_owned(), root(functions)),
            ("src/main.rs".to_owned(), program(&crate_name)),
        ];
        let modules = (functions - 1).div_ceil(PER_MODULE);
        for module in 0..modules {
            let first = 1 + module * PER_MODULE;
            let last = (first + PER_MODULE).min(functions);
            files.push((
                format!("src/m{module}.rs"),
                module_file(module, first..last),
            ));
        }
        let mut lines = 0;
        for (relative, text) in &files {
            let path = dir.path().join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            if relative.starts_with("src/") && relative != "src/main.rs" {
                lines += text.lines().count();
            }
        }
        let lock = dir.path().join("Cargo.lock");
        std::fs::copy(workspace().join("Cargo.lock"), &lock)
            .map_err(|e| format!("{}: {e}", lock.display()))?;
        Ok(Crate {
            dir,
            package,
            crate_name,
            lines,
            edits: 0,
        })
    }

    /// The crate's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The one-line edit: `marker()` returns [`marker`]`(n)` after edit `n`. Returns `n` and the
    /// time right after the write (the save).
    pub fn edit(&mut self) -> Result<(u64, SystemTime), String> {
        let path = self.dir().join("src/lib.rs");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let was = marker_line(marker(self.edits));
        let now = marker_line(marker(self.edits + 1));
        if !text.contains(&was) {
            return Err(format!("{} has no line {was:?}", path.display()));
        }
        std::fs::write(&path, text.replacen(&was, &now, 1))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.edits += 1;
        Ok((self.edits, SystemTime::now()))
    }

    /// The program as cargo builds it in `target_dir` (the `dev` profile).
    pub fn executable(&self, target_dir: &Path) -> PathBuf {
        target_dir.join("debug").join(&self.package)
    }
}

fn marker_line(value: u64) -> String {
    format!("    {value} {EDITED}")
}

fn manifest(package: &str) -> String {
    let runtime = workspace().join("hotfn-runtime");
    format!(
        "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nhotfn-runtime = {{ path = {:?} }}\n\n\
         [features]\nhot = [\"hotfn-runtime/hot\"]\n\n\
         # A workspace of its own, wherever the benchmark writes it.\n[workspace]\n",
        runtime.display().to_string()
    )
}

/// `src/main.rs`: the benchmark's program, for this crate.
fn program(crate_name: &str) -> String {
    include_str!("../../fixtures/scale/main.rs").replace(
        "use hotfn_scale as scale;",
        &format!("use {crate_name} as scale;"),
    )
}

/// `src/lib.rs`: the modules, the crate's `#[hot] static`, `marker()`, the state and `tick()`.
fn root(functions: usize) -> String {
    let modules = (functions - 1).div_ceil(PER_MODULE);
    let mut text = format!(
        "//! Generated by hotfn's scale benchmark: {functions} `#[hot]` functions, `marker()` and \
         {modules} modules.\n\n\
         use std::sync::atomic::{{AtomicU64, Ordering}};\n\nuse hotfn_runtime::hot;\n\n"
    );
    for module in 0..modules {
        let _ = writeln!(text, "pub mod m{module};");
    }
    let _ = write!(
        text,
        "\n/// Ticks so far.\n#[hot]\npub static TICKS: AtomicU64 = AtomicU64::new(0);\n\n\
         /// The number the program prints; each edit of the benchmark rewrites the line below.\n\
         #[hot]\npub fn marker() -> u64 {{\n{}\n}}\n\n\
         /// The program's state: a part per module.\n#[derive(Debug, Default)]\npub struct World {{\n",
        marker_line(marker(0))
    );
    for module in 0..modules {
        let _ = writeln!(text, "    pub m{module}: m{module}::Part,");
    }
    text.push_str(
        "}\n\n/// Calls every `#[hot]` function once.\npub fn tick(world: &mut World) -> u64 {\n    \
         TICKS.fetch_add(1, Ordering::Relaxed);\n    let mut sum = marker();\n",
    );
    for module in 0..modules {
        let _ = writeln!(
            text,
            "    sum = sum.wrapping_add(m{module}::run(&mut world.m{module}));"
        );
    }
    text.push_str("    sum\n}\n");
    text
}

/// What function `index` is (by turns).
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Mix,
    Sum,
    Label,
    Step,
    Energy,
}

fn shape(index: usize) -> Shape {
    [
        Shape::Label,
        Shape::Mix,
        Shape::Sum,
        Shape::Step,
        Shape::Energy,
    ][index % 5]
}

/// One module: its state, its free functions, its `#[hot] impl` block and the `run` that calls
/// them all.
fn module_file(module: usize, functions: std::ops::Range<usize>) -> String {
    let counted = module.is_multiple_of(10);
    // Only the modules with a `#[hot] static` count their runs (and need the atomics).
    let atomics = match counted {
        true => "use std::sync::atomic::{AtomicU64, Ordering};\n\n",
        false => "",
    };
    let mut text = format!(
        "//! Generated: functions {} to {}.\n\n{atomics}use hotfn_runtime::hot;\n\n\
         /// This module's part of the program's state.\n\
         #[derive(Debug, Default, Clone)]\n\
         pub struct Part {{\n    pub x: [f32; 4],\n    pub v: [f32; 4],\n    pub frames: u64,\n}}\n\n",
        functions.start,
        functions.end - 1
    );
    if counted {
        text.push_str(
            "/// Runs of this module.\n#[hot]\npub static RUNS: AtomicU64 = AtomicU64::new(0);\n\n",
        );
    }
    let mut methods = String::new();
    let mut run = String::from(
        "/// Calls each function of the module once.\npub fn run(part: &mut Part) -> u64 {\n    \
         let mut sum = part.frames;\n",
    );
    if counted {
        run.push_str("    RUNS.fetch_add(1, Ordering::Relaxed);\n");
    }
    for i in functions {
        let k = i % 61 + 1;
        match shape(i) {
            Shape::Mix => {
                let _ = write!(
                    text,
                    "/// Mixes the bits of a number.\n#[hot]\npub fn mix_{i}(x: u64) -> u64 {{\n    \
                     let a = x.wrapping_mul(0x9e37_79b9_7f4a_7c15 ^ {i});\n    \
                     let b = a.rotate_left({k});\n    b ^ (b >> 29)\n}}\n\n"
                );
                let _ = writeln!(run, "    sum = sum.wrapping_add(mix_{i}(sum));");
            }
            Shape::Sum => {
                let _ = write!(
                    text,
                    "/// A weighted sum.\n#[hot]\npub fn sum_{i}(items: &[f32]) -> f32 {{\n    \
                     let mut total = 0.0;\n    for (n, item) in items.iter().enumerate() {{\n        \
                     total += item * (n as f32 + {k}.0);\n    }}\n    total\n}}\n\n"
                );
                let _ = writeln!(run, "    sum = sum.wrapping_add(sum_{i}(&part.x) as u64);");
            }
            Shape::Label => {
                let _ = write!(
                    text,
                    "/// A label for a number.\n#[hot]\npub fn label_{i}(n: u32) -> String {{\n    \
                     let kind = if n % 2 == 0 {{ \"even\" }} else {{ \"odd\" }};\n    \
                     format!(\"part {i}: {{kind}} {{n}}\")\n}}\n\n"
                );
                let _ = writeln!(
                    run,
                    "    sum = sum.wrapping_add(label_{i}(sum as u32).len() as u64);"
                );
            }
            Shape::Step => {
                let _ = write!(
                    methods,
                    "    /// A step of a spring.\n    pub fn step_{i}(&mut self, dt: f32) {{\n        \
                     for n in 0..4 {{\n            self.v[n] -= self.x[n] * {k}.0 * dt;\n            \
                     self.x[n] += self.v[n] * dt;\n        }}\n        self.frames += 1;\n    }}\n\n"
                );
                let _ = writeln!(run, "    part.step_{i}(0.001);");
            }
            Shape::Energy => {
                let _ = write!(
                    methods,
                    "    /// The spring's energy.\n    pub fn energy_{i}(&self) -> f32 {{\n        \
                     let kinetic: f32 = self.v.iter().map(|v| v * v).sum();\n        \
                     let potential: f32 = self.x.iter().map(|x| x * x * {k}.0).sum();\n        \
                     (kinetic + potential) * 0.5\n    }}\n\n"
                );
                let _ = writeln!(
                    run,
                    "    sum = sum.wrapping_add(part.energy_{i}().to_bits() as u64);"
                );
            }
        }
    }
    if !methods.is_empty() {
        let _ = write!(
            text,
            "#[hot]\nimpl Part {{\n{}}}\n\n",
            methods.trim_end_matches('\n').to_owned() + "\n"
        );
    }
    run.push_str("    sum\n}\n");
    text + &run
}

/// Grows the demo copied to `dir` by `functions` generated `#[hot]` functions in
/// `src/rules/grown.rs`, which `rules::step` calls every step (their result goes to a static, so
/// the game plays as before). Returns the lines the rules module has then.
pub fn grow_demo(dir: &Path, functions: usize) -> Result<usize, String> {
    let rules = dir.join("src/rules.rs");
    let text = std::fs::read_to_string(&rules).map_err(|e| format!("{}: {e}", rules.display()))?;
    let signature = "pub fn step(world: &mut World, controls: Controls, dt: f32) {";
    if !text.contains(signature) {
        return Err(format!("{} has no line {signature:?}", rules.display()));
    }
    let text = text.replacen(
        signature,
        &format!("{signature}\n    grown::run(world, dt);"),
        1,
    ) + "\n/// Generated by the scale benchmark: functions `step` calls.\nmod grown;\n";
    let mut grown = String::from(
        "//! Generated by hotfn's scale benchmark: rules the game computes every step, whose \
         results it only keeps.\n\n\
         use std::sync::atomic::{AtomicU32, Ordering};\n\nuse hotfn_runtime::hot;\n\n\
         use crate::world::World;\n\n\
         /// What the generated rules computed last.\npub static LAST: AtomicU32 = AtomicU32::new(0);\n\n",
    );
    let mut run = String::from(
        "/// Runs every generated rule.\npub fn run(world: &World, dt: f32) {\n    let mut total = 0.0;\n",
    );
    for i in 0..functions {
        let k = i % 13 + 1;
        let _ = write!(
            grown,
            "/// A made-up rule, number {i}: a weighted look at the rocks, shots and ship.\n\
             #[hot]\npub fn rule_{i}(world: &World, dt: f32) -> f32 {{\n    \
             let mut total = 0.0;\n    \
             for (n, rock) in world.rocks.iter().enumerate() {{\n        \
             let weight = (n % {k}) as f32 + 1.0;\n        \
             let speed = (rock.vx * rock.vx + rock.vy * rock.vy).sqrt();\n        \
             total += weight * speed * dt;\n        \
             if rock.size > 1 {{\n            total -= rock.x.min(rock.y) * 0.001;\n        }}\n    }}\n    \
             for shot in &world.shots {{\n        \
             total += (shot.x - world.ship.x).abs() * 0.01;\n    }}\n    \
             let heading = world.ship.heading.sin() * {k}.0;\n    \
             if world.ship.alive {{\n        total += heading;\n    }} else {{\n        \
             total -= heading;\n    }}\n    \
             total / (world.frame as f32 + {k}.0)\n}}\n\n"
        );
        let _ = writeln!(run, "    total += rule_{i}(world, dt);");
    }
    run.push_str("    LAST.store(f32::to_bits(total), Ordering::Relaxed);\n}\n");
    grown.push_str(&run);
    let dir = dir.join("src/rules");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(dir.join("grown.rs"), &grown).map_err(|e| format!("grown.rs: {e}"))?;
    std::fs::write(&rules, &text).map_err(|e| format!("{}: {e}", rules.display()))?;
    Ok(text.lines().count() + grown.lines().count())
}
