//! Watching: the OS watcher (notify, with its debouncer merging an editor's write-rename dance
//! into one event) at the edge, handing batches of paths to [`Changes`], which decides.

mod changes;

pub use changes::Changes;
use changes::is_hidden;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify_debouncer_full::notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

/// The OS watcher; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    events: mpsc::Receiver<DebounceEventResult>,
}

impl Watcher {
    /// Watches every root: its top-level files, and each subdirectory except hidden ones and the
    /// target directory (which would mean thousands of watches for build output).
    /// Also watches each of `extra` (recursively if a directory). Batches come after `debounce`
    /// of quiet.
    pub fn start(
        roots: &[PathBuf],
        extra: &[PathBuf],
        ignored: &Path,
        debounce: Duration,
    ) -> Result<Watcher, String> {
        let (sender, events) = mpsc::channel();
        let mut debouncer = new_debouncer(debounce, None, sender)
            .map_err(|error| format!("cannot start the file watcher: {error}"))?;
        for path in extra {
            watch(&mut debouncer, path, RecursiveMode::Recursive)?;
        }
        for root in roots {
            watch(&mut debouncer, root, RecursiveMode::NonRecursive)?;
            for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
                let path = entry.path();
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                let is_target = path.starts_with(ignored) || path.join("CACHEDIR.TAG").exists();
                if is_dir && !is_target && !is_hidden(&path) {
                    watch(&mut debouncer, &path, RecursiveMode::Recursive)?;
                }
            }
        }
        Ok(Watcher {
            _debouncer: debouncer,
            events,
        })
    }

    /// Waits for the next batch of changed paths, then also takes every batch already waiting.
    /// `None` when the watcher stopped.
    pub fn next_batch(&self) -> Option<Batch> {
        let first = self.events.recv().ok()?;
        Some(self.paths(std::iter::once(first).chain(self.events.try_iter())))
    }

    /// The paths of every batch that arrives within `wait` (none: only those already waiting).
    pub fn batches_within(&self, wait: Duration) -> Batch {
        let deadline = std::time::Instant::now() + wait;
        let mut batches: Vec<DebounceEventResult> = self.events.try_iter().collect();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(batch) => batches.push(batch),
                Err(_) => break,
            }
        }
        self.paths(batches)
    }

    fn paths(&self, batches: impl IntoIterator<Item = DebounceEventResult>) -> Batch {
        let mut batch = Batch::default();
        for events in batches {
            match events {
                Ok(events) => batch.paths.extend(
                    events
                        .into_iter()
                        .filter(|e| can_change(&e.event.kind))
                        .flat_map(|e| e.event.paths),
                ),
                Err(errors) => batch.errors.extend(
                    errors
                        .into_iter()
                        .map(|error| format!("file watcher: {error}")),
                ),
            }
        }
        batch
    }
}

/// The changed paths of one or more debounced batches, and what the OS watcher reported.
#[derive(Debug, Default)]
pub struct Batch {
    pub paths: Vec<PathBuf>,
    pub errors: Vec<String>,
}

/// Whether an event of this kind can mean new content. Reading a file is not a change, and must
/// not count as one: hashing the files of a batch reads them, so counting reads would make every
/// batch cause the next, one per debounce period for as long as the program runs, and a save
/// would be picked up by whichever of these batches came next instead of after its own quiet
/// period.
fn can_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

fn watch(
    debouncer: &mut Debouncer<RecommendedWatcher, RecommendedCache>,
    path: &Path,
    mode: RecursiveMode,
) -> Result<(), String> {
    debouncer
        .watch(path, mode)
        .map_err(|error| format!("cannot watch {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_a_file_is_not_a_change() {
        use notify_debouncer_full::notify::event::{CreateKind, DataChange, ModifyKind};
        assert!(!can_change(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!can_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(!can_change(&EventKind::Access(AccessKind::Read)));
        assert!(can_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(can_change(&EventKind::Modify(ModifyKind::Data(
            DataChange::Any
        ))));
        assert!(can_change(&EventKind::Create(CreateKind::File)));
        assert!(can_change(&EventKind::Any));
    }
}
