//! What cargo and the compiler print: their JSON messages (cargo's on stdout, the compiler's on
//! stderr: one reader for both), their plain lines, and how a run ended.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use super::{Failed, Why};

/// What one run's messages said.
#[derive(Debug, Default, PartialEq)]
pub struct Output {
    /// The compiler's output (`emit: link`): the rlib or the binary.
    pub artifact: Option<PathBuf>,
    /// The compiler's dep-info file.
    pub dep_info: Option<PathBuf>,
    /// Rendered compiler messages, in order.
    pub diagnostics: Vec<String>,
    /// Every line that was not a message (cargo's status lines, a crashing compiler's output).
    pub text: String,
}

/// Reads JSON messages, cargo's (`{"reason": "compiler-message", "message": {…}}`) and the
/// compiler's (`{"$message_type": "diagnostic" | "artifact", …}`); paths are relative to `dir`.
pub fn read(reader: impl BufRead, dir: &Path) -> Output {
    let mut output = Output::default();
    for line in reader.lines().map_while(Result::ok) {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            output.text.push_str(&line);
            output.text.push('\n');
            continue;
        };
        let message = match message.get("reason").and_then(|r| r.as_str()) {
            Some("compiler-message") => match message.get("message") {
                Some(inner) => inner.clone(),
                None => continue,
            },
            Some(_) => continue,
            None => message,
        };
        let field = |name: &str| message.get(name).and_then(serde_json::Value::as_str);
        match (field("$message_type"), field("emit"), field("artifact")) {
            (Some("artifact"), Some("link"), Some(file)) => output.artifact = Some(dir.join(file)),
            (Some("artifact"), Some("dep-info"), Some(file)) => {
                output.dep_info = Some(dir.join(file));
            }
            (Some("artifact"), _, _) => {}
            _ => {
                if let Some(rendered) = field("rendered") {
                    output.diagnostics.push(rendered.trim_end().to_owned());
                }
            }
        }
    }
    output
}

/// The outcome of a run of `program` (`cargo`, or `the compiler`) that ended with `status`,
/// from its messages and its other output, without cargo's status lines.
pub fn failure(
    program: &str,
    status: std::io::Result<ExitStatus>,
    mut diagnostics: Vec<String>,
    text: &str,
    target_dir: &Path,
) -> Option<(Why, Vec<String>)> {
    if status.as_ref().is_ok_and(|s| s.success()) {
        return None;
    }
    let why = match killed(program, status.as_ref().ok(), text) {
        Some(how) => Why::Killed(how),
        // No compiler message, and cargo's error names the target directory.
        None if diagnostics.is_empty() && names(text, target_dir) => {
            Why::TargetDir(target_dir.to_path_buf())
        }
        None => Why::Error,
    };
    let text = without_status(text);
    if !text.is_empty() && !matches!(why, Why::Killed(_)) {
        diagnostics.push(text);
    }
    if diagnostics.is_empty() && why == Why::Error {
        diagnostics.push(match status {
            Ok(status) => format!("{program} exited with {status}"),
            Err(error) => format!("waiting for {program} failed: {error}"),
        });
    }
    Some((why, diagnostics))
}

/// A failure as a [`Failed`] that took `duration`.
pub fn failed((why, diagnostics): (Why, Vec<String>), duration: std::time::Duration) -> Failed {
    Failed {
        why,
        diagnostics,
        duration,
    }
}

/// Cargo's stderr without its status lines (`       Fresh libc v0.2`, `     Running …`), without
/// its echo of what build scripts print as they run (`[openssl-sys 0.9.1] …`: a failed script's
/// output is repeated in the error), and without the command it quotes when a process fails
/// (`Caused by: process didn't exit successfully: `…``): what is left are errors and warnings.
pub fn without_status(stderr: &str) -> String {
    let echo = |line: &str| {
        let Some((package, _)) = line.strip_prefix('[').and_then(|l| l.split_once("] ")) else {
            return false;
        };
        let version = package.split_once(' ').map(|(_, version)| version);
        version.is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    };
    let mut kept: Vec<&str> = Vec::new();
    for line in stderr
        .lines()
        .filter(|line| !is_status(line) && !echo(line))
    {
        if line.starts_with("  process didn't exit successfully: `") {
            while kept
                .last()
                .is_some_and(|l| l.trim().is_empty() || *l == "Caused by:")
            {
                kept.pop();
            }
            continue;
        }
        kept.push(line);
    }
    kept.join("\n").trim().to_owned()
}

/// Whether `line` is one of cargo's status lines: a capitalised word right-aligned in 12 columns,
/// then a space (`       Fresh libc v0.2`, `   Compiling game v0.1.0 (/w/game)`).
pub fn is_status(line: &str) -> bool {
    let (Some(head), Some(rest)) = (line.get(..12), line.get(12..)) else {
        return false;
    };
    let word = head.trim_start();
    rest.starts_with(' ')
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().all(|c| c.is_ascii_alphabetic())
}

/// Whether cargo's error, the first `error` line of `stderr`, is about a path in `dir`. Only
/// that line: a failed build script, for one, names its program in `dir` further down.
fn names(stderr: &str, dir: &Path) -> bool {
    stderr
        .lines()
        .find(|line| line.starts_with("error"))
        .is_some_and(|line| line.contains(&*dir.to_string_lossy()))
}

/// How the run was killed, if it was: the process the runtime started (`program`: cargo, or
/// the compiler run directly), or the compiler under cargo (which then says `(signal: 9,
/// SIGKILL: kill)`), by a signal that ends processes on request. A crash (SIGSEGV and the like)
/// is an error to show, not an interruption.
fn killed(program: &str, status: Option<&ExitStatus>, stderr: &str) -> Option<String> {
    const ENDING: [(i32, &str); 4] = [
        (9, "SIGKILL"),
        (15, "SIGTERM"),
        (2, "SIGINT"),
        (1, "SIGHUP"),
    ];
    if let Some(signal) = status.and_then(std::os::unix::process::ExitStatusExt::signal) {
        let (_, name) = ENDING.iter().find(|(number, _)| *number == signal)?;
        return Some(format!("{program} was killed (signal: {signal}, {name})"));
    }
    let (_, rest) = stderr.split_once("(signal: ")?;
    let signal = rest.split(')').next()?;
    ENDING
        .iter()
        .any(|(_, name)| signal.contains(name))
        .then(|| format!("the compiler was killed (signal: {signal})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn reads_both_formats_and_keeps_other_lines() {
        let lines = concat!(
            r#"{"$message_type":"diagnostic","message":"unused","level":"warning","rendered":"warning: unused\n"}"#,
            "\n",
            r#"{"$message_type":"artifact","artifact":"out/game.d","emit":"dep-info"}"#,
            "\n",
            r#"{"$message_type":"artifact","artifact":"/t/out/libgame.rlib","emit":"link"}"#,
            "\n",
            r#"{"reason":"compiler-message","package_id":"x","message":{"rendered":"error[E0308]: mismatched types\n","$message_type":"diagnostic"}}"#,
            "\n",
            r#"{"reason":"build-finished","success":false}"#,
            "\n",
            "note: the linker said something\n",
        );
        let output = read(lines.as_bytes(), Path::new("/ws"));
        assert_eq!(
            output.diagnostics,
            ["warning: unused", "error[E0308]: mismatched types"]
        );
        assert_eq!(output.dep_info, Some(PathBuf::from("/ws/out/game.d")));
        assert_eq!(output.artifact, Some(PathBuf::from("/t/out/libgame.rlib")));
        assert_eq!(output.text, "note: the linker said something\n");
    }

    #[test]
    fn a_killed_compiler_is_an_interruption_and_a_crash_is_an_error() {
        let cargo = "error: could not compile `game` (lib)\n\nCaused by:\n  process didn't exit \
                     successfully: `rustc --crate-name game` (signal: 9, SIGKILL: kill)";
        assert_eq!(
            killed("cargo", None, cargo).as_deref(),
            Some("the compiler was killed (signal: 9, SIGKILL: kill)")
        );
        let crash = cargo.replace("9, SIGKILL: kill", "11, SIGSEGV: invalid memory reference");
        assert_eq!(killed("cargo", None, &crash), None);
        let status = ExitStatus::from_raw(9);
        assert_eq!(
            killed("the compiler", Some(&status), "").as_deref(),
            Some("the compiler was killed (signal: 9, SIGKILL)")
        );
        assert_eq!(killed("cargo", Some(&ExitStatus::from_raw(11)), ""), None);
    }

    #[test]
    fn cargo_errors_are_shown_without_status_lines_or_the_compiler_command() {
        let stderr = "       Fresh libc v0.2.191\n   Compiling game v0.1.0 (/w/game)\n     \
            Running `CARGO_PKG_NAME=game rustc --crate-name game`\n\
            error: could not compile `game` (lib) due to 1 previous error\n\n\
            Caused by:\n  process didn't exit successfully: `CARGO_PKG_NAME=game rustc \
            --crate-name game` (exit status: 1)\n\
            warning: build failed, waiting for other jobs to finish...\n";
        assert_eq!(
            without_status(stderr),
            "error: could not compile `game` (lib) due to 1 previous error\n\
             warning: build failed, waiting for other jobs to finish..."
        );
        let script = "   Compiling bs v0.1.0 (/w/bs)\n[bs 0.1.0] no libfoo\n\
            error: failed to run custom build command for `bs v0.1.0 (/w/bs)`\n\nCaused by:\n  \
            process didn't exit successfully: `CARGO=cargo /w/target/debug/build/bs/build-script-build` \
            (exit status: 1)\n  --- stderr\n  no libfoo\n[not an echo]";
        assert_eq!(
            without_status(script),
            "error: failed to run custom build command for `bs v0.1.0 (/w/bs)`\n  --- stderr\n  \
             no libfoo\n[not an echo]"
        );
    }

    #[test]
    fn a_target_dir_error_is_told_from_a_build_script_failure() {
        let dir = Path::new("/w/target");
        let lock = "error: failed to open: /w/target/debug/.cargo-lock\n\nCaused by:\n  \
                    Is a directory (os error 21)";
        let found = failure(
            "cargo",
            Ok(ExitStatus::from_raw(256)),
            Vec::new(),
            lock,
            dir,
        );
        assert_eq!(found.map(|f| f.0), Some(Why::TargetDir(dir.into())));
        let script = "error: failed to run custom build command for `a v0.1.0 (/w/a)`\n\n\
                      Caused by:\n  process didn't exit successfully: \
                      `/w/target/debug/build/a-1/build-script-build` (exit status: 1)";
        assert!(!names(script, dir));
        let success = failure("cargo", Ok(ExitStatus::from_raw(0)), vec![], "", dir);
        assert_eq!(success, None);
    }
}
