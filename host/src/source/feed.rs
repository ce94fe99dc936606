//! The bounded queue between the readers and the detectors. Readers run as tasks of
//! their own and wait when the queue is full, so memory stays bounded however far the
//! input runs ahead of inspection.

use super::follow::Follow;
use super::{Input, Line, Position};
use anyhow::Context as _;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// A line on its way to the detectors.
#[derive(Debug)]
pub struct Fed {
    /// The index of its input in the list given to [`spawn`].
    pub input: usize,
    /// The line and where it ends.
    pub line: Line,
    /// The bytes it took in its input, with any blank lines before it.
    pub bytes: u64,
}

/// How the inputs are read.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Each input once to its end, one after the other.
    Once,
    /// Every input at once, without end, like `tail -F`.
    Follow {
        /// How often to look for new lines.
        poll: Duration,
        /// Per input, the checkpoint to resume after.
        resume: Vec<Option<Position>>,
    },
}

/// The receiving end of the queue: lines, or the error that stopped an input.
pub type Queue = mpsc::Receiver<anyhow::Result<Fed>>;

/// Start reading `inputs` into a queue of `capacity` lines. The readers stop when the
/// queue is dropped, or with the returned set.
pub fn spawn(inputs: &[PathBuf], mode: Mode, capacity: usize) -> (Queue, JoinSet<()>) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let mut readers = JoinSet::new();
    match mode {
        Mode::Once => {
            readers.spawn(read_all(inputs.to_vec(), tx));
        }
        Mode::Follow { poll, resume } => {
            for (i, path) in inputs.iter().enumerate() {
                let follow = Follow::new(path, poll, resume.get(i).copied().flatten());
                readers.spawn(follow_one(i, follow, tx.clone()));
            }
        }
    }
    (rx, readers)
}

/// Lines a reader of whole files waits room for at once: woken once per this many
/// lines taken off a full queue, not once per line.
const READ_BATCH: usize = 64;

async fn read_all(inputs: Vec<PathBuf>, tx: mpsc::Sender<anyhow::Result<Fed>>) {
    let batch = READ_BATCH.min(tx.max_capacity());
    for (i, path) in inputs.iter().enumerate() {
        let mut input = match Input::open(path).await {
            Ok(input) => input,
            Err(e) => {
                let _ = tx.send(Err(e).with_context(|| format!("cannot open {}", path.display()))).await;
                return;
            }
        };
        let mut counted = 0;
        'lines: loop {
            let Ok(room) = tx.reserve_many(batch).await else { return };
            for slot in room {
                let line = input.next_line().await.with_context(|| format!("cannot read {}", input.name()));
                let line = match line {
                    Ok(Some(line)) => line,
                    Ok(None) => break 'lines,
                    Err(e) => {
                        slot.send(Err(e));
                        return;
                    }
                };
                let bytes = line.at.offset - counted;
                counted = line.at.offset;
                slot.send(Ok(Fed { input: i, line, bytes }));
            }
        }
    }
}

/// Follow one input.
async fn follow_one(input: usize, mut follow: Follow, tx: mpsc::Sender<anyhow::Result<Fed>>) {
    let mut counted = Position::default();
    loop {
        let fed = follow.next_line().await.map(|line| {
            // A new file (rotated, truncated) counts from its start.
            let same = line.at.file == counted.file && line.at.offset >= counted.offset;
            let bytes = line.at.offset - if same { counted.offset } else { 0 };
            counted = line.at;
            Fed { input, line, bytes }
        });
        let fed = fed.with_context(|| format!("cannot read {}", follow.path().display()));
        let failed = fed.is_err();
        if tx.send(fed).await.is_err() || failed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reading_pauses_while_the_queue_is_full() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "0123456789\n".repeat(1000)).unwrap();
        let (mut queue, _readers) = spawn(&[path], Mode::Once, 4);
        let first = queue.recv().await.unwrap().unwrap();
        assert_eq!((first.line.at.line, first.bytes), (1, 11));
        // However long the reader runs, no more than the queue's capacity waits.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(queue.len() <= 4, "{} lines queued", queue.len());
        let (mut lines, mut bytes) = (1, 11);
        while let Some(fed) = queue.recv().await {
            let fed = fed.unwrap();
            lines += 1;
            bytes += fed.bytes;
            assert_eq!(fed.line.at.line, lines);
        }
        assert_eq!((lines, bytes), (1000, 11_000));
    }
}
