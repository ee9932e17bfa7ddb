//! A running program, with every line it prints stamped by the wall clock the moment the
//! benchmark reads it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// One line of output.
#[derive(Debug, Clone)]
pub struct Line {
    /// When the benchmark read it.
    pub at: SystemTime,
    /// `out` or `err`.
    pub stream: &'static str,
    pub text: String,
}

/// A program started by the benchmark; stopped when dropped.
pub struct Program {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<Line>>>,
    /// Lines before this one are not searched any more.
    seen: usize,
}

impl Program {
    /// Starts `command`, reading its stdout and stderr.
    pub fn spawn(mut command: Command) -> Result<Program, String> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|error| format!("cannot run {command:?}: {error}"))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            collect(out, "out", &lines);
        }
        if let Some(err) = child.stderr.take() {
            collect(err, "err", &lines);
        }
        Ok(Program {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: 0,
        })
    }

    /// From now on, searches only lines printed after this call.
    pub fn skip_seen(&mut self) {
        self.seen = self
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
    }

    /// Waits for the first line since the last [`skip_seen`](Program::skip_seen) that satisfies
    /// `matches`, and returns it. Fails with the last lines printed when `within` runs out or the
    /// program ends.
    pub fn wait_for(
        &mut self,
        what: &str,
        within: Duration,
        matches: impl Fn(&Line) -> bool,
    ) -> Result<Line, String> {
        let deadline = Instant::now() + within;
        loop {
            {
                let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(line) = lines[self.seen..].iter().find(|line| matches(line)) {
                    return Ok(line.clone());
                }
            }
            let exited = self.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                std::thread::sleep(Duration::from_millis(200));
                let why = match exited {
                    Some(status) => format!("the program exited ({status})"),
                    None => format!("nothing after {within:?}"),
                };
                return Err(format!("waiting for {what}: {why}\n{}", self.tail(40)));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The last `n` lines, for error messages.
    pub fn tail(&self, n: usize) -> String {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let tail = &lines[lines.len().saturating_sub(n)..];
        let text: Vec<String> = tail
            .iter()
            .map(|line| format!("    {}| {}", line.stream, line.text))
            .collect();
        format!("--- last lines of output ---\n{}", text.join("\n"))
    }

    /// Stops the program as a user would: closes its input (the benchmark's apps exit then),
    /// else SIGTERM (hotfn removes its patches), else kills it.
    pub fn stop(&mut self) {
        drop(self.stdin.take());
        let ended = |child: &mut Child, within: Duration| {
            let deadline = Instant::now() + within;
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            false
        };
        if ended(&mut self.child, Duration::from_secs(2)) {
            return;
        }
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            if ended(&mut self.child, Duration::from_secs(2)) {
                return;
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.stop();
    }
}

fn collect(stream: impl Read + Send + 'static, tag: &'static str, lines: &Arc<Mutex<Vec<Line>>>) {
    let lines = Arc::clone(lines);
    std::thread::spawn(move || {
        for text in BufReader::new(stream).lines().map_while(Result::ok) {
            let line = Line {
                at: SystemTime::now(),
                stream: tag,
                text,
            };
            lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
    });
}
