//! A program in a real terminal: a private tmux server (its own socket, no user configuration)
//! whose one window has a fixed size, read with `capture-pane` and typed into with `send-keys`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How to tell that tmux is missing, for tests that skip then.
pub fn available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// A command running in a detached tmux session. Dropping it kills the private server, and with
/// it the command.
pub struct Terminal {
    dir: tempfile::TempDir,
}

/// The one session of the private server.
const SESSION: &str = "hotfn";

impl Terminal {
    /// Runs `command` (a shell command line) in `cwd`, in a `columns` × `rows` terminal, with
    /// `environment` added to the test's own.
    ///
    /// The shell that runs `command` writes how it ended to a file: tmux (3.3a at least)
    /// sometimes misses the end of the pane's process, leaving it a zombie and the pane without
    /// a status, and a shell waiting for its child does not.
    pub fn start(
        cwd: &Path,
        columns: u16,
        rows: u16,
        command: &str,
        environment: &[(&str, &str)],
    ) -> Terminal {
        let dir = tempfile::Builder::new()
            .prefix("hotfn-tmux-")
            .tempdir()
            .unwrap();
        // Keep the pane when the command ends, to read the screen it left.
        std::fs::write(dir.path().join("tmux.conf"), "set -g remain-on-exit on\n").unwrap();
        let terminal = Terminal { dir };
        let ended = terminal.dir.path().join("ended");
        let mut args = vec![
            "new-session".to_owned(),
            "-d".into(),
            "-s".into(),
            SESSION.into(),
            "-x".into(),
            columns.to_string(),
            "-y".into(),
            rows.to_string(),
            "-c".into(),
            cwd.to_str().unwrap().into(),
        ];
        for (name, value) in environment {
            args.extend(["-e".into(), format!("{name}={value}")]);
        }
        args.push(format!(
            "{command}; echo \"exit $?\" > '{}'",
            ended.to_str().unwrap()
        ));
        let output = terminal.tmux(&args);
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        terminal
    }

    fn tmux<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(self.dir.path().join("socket"))
            .arg("-f")
            .arg(self.dir.path().join("tmux.conf"))
            .args(args)
            .output()
            .expect("cannot run tmux")
    }

    /// The text on the screen now, one line per row.
    pub fn screen(&self) -> String {
        let output = self.tmux(&["capture-pane", "-p", "-t", SESSION]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Types `keys`, in tmux's names (`a`, `Space`, `Left`, `C-c`…).
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        let output = self.tmux(&args);
        assert!(output.status.success(), "tmux send-keys {keys:?} failed");
    }

    /// How the command ended, once it did: `exit N` (`exit 128+N` after signal N).
    pub fn ended(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.path().join("ended")).ok()?;
        // Complete once the line is.
        text.strip_suffix('\n').map(str::to_owned)
    }

    /// Waits until the screen satisfies `matches`, and returns it. Fails with the screen when
    /// `within` runs out or the command ends.
    pub fn wait_for(&self, what: &str, within: Duration, matches: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.screen();
            if matches(&screen) {
                return screen;
            }
            if let Some(how) = self.ended() {
                self.fail(&format!(
                    "the program ended ({how}) while waiting for {what}"
                ));
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {what}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the command ends, and returns how (see [`ended`](Terminal::ended)). Fails
    /// with the screen when `within` runs out.
    pub fn wait_for_exit(&self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(how) = self.ended() {
                return how;
            }
            if Instant::now() > deadline {
                self.fail("the program did not end");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Fails with the screen.
    pub fn fail(&self, why: &str) -> ! {
        panic!("{why}\n--- screen ---\n{}", self.screen())
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
