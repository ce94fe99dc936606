//! Following a file like `tail -F`: read lines as they are appended, and keep going
//! when the file is rotated (its path comes to name a new file: the old one is read to
//! its end, then the new one from its start) or truncated (it becomes shorter than what
//! was read: reading starts again at 0). It polls; a partial last line waits for its end.

use super::{FileId, Line, Position, Splitter};
use crate::output::diagnostic;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::fs::File;
use tokio::io::{AsyncSeekExt, BufReader};

/// A followed file.
#[derive(Debug)]
pub struct Follow {
    path: PathBuf,
    poll: Duration,
    open: Option<Open>,
    /// Where the first open starts, from a checkpoint.
    resume: Option<Position>,
    /// Whether "waiting for the file" has been said.
    told_missing: bool,
}

#[derive(Debug)]
struct Open {
    id: FileId,
    reader: BufReader<File>,
    lines: Splitter,
}

/// What the path names now, beside the file being read.
enum Change {
    Same,
    Truncated,
    Replaced,
    Missing,
}

impl Follow {
    /// Follow `path`, looking for new lines every `poll`. With `resume`, a checkpoint,
    /// reading starts after it when the path still names that file and is not shorter;
    /// otherwise at the start, and stderr says why.
    pub fn new(path: &Path, poll: Duration, resume: Option<Position>) -> Self {
        Self { path: path.to_owned(), poll, open: None, resume, told_missing: false }
    }

    /// The path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next complete line, waiting for one as long as it takes.
    pub async fn next_line(&mut self) -> std::io::Result<Line> {
        loop {
            if let Some(line) = self.step().await? {
                return Ok(line);
            }
            if self.open.is_some() {
                tokio::time::sleep(self.poll).await;
            }
        }
    }

    /// One look: a line, or `None` when there is nothing new yet.
    async fn step(&mut self) -> std::io::Result<Option<Line>> {
        let Some(open) = self.open.as_mut() else {
            self.open = self.first_open().await?;
            return Ok(None);
        };
        if let Some(line) = open.lines.next(&mut open.reader).await? {
            return Ok(Some(line));
        }
        match change(&self.path, open).await? {
            Change::Same | Change::Missing => Ok(None),
            Change::Truncated => {
                let name = self.path.display();
                diagnostic(&format!("aiir: {name}: file truncated; reading it again from the start"));
                open.reader.seek(SeekFrom::Start(0)).await?;
                open.lines = Splitter::after(Position { file: open.id, ..Position::default() });
                Ok(None)
            }
            // Read to the end of the old file, its unfinished last line included,
            // before the new one: `next` above has just found that end.
            Change::Replaced => match open.lines.finish() {
                Some(line) => Ok(Some(line)),
                None => {
                    self.open = open_file(&self.path, None).await?;
                    Ok(None)
                }
            },
        }
    }

    /// Open the path the first time, after the checkpoint when it still applies;
    /// wait (a poll at a time) while the file does not exist.
    async fn first_open(&mut self) -> std::io::Result<Option<Open>> {
        let resume = self.resume.take();
        match open_file(&self.path, resume).await {
            Ok(Some(open)) => {
                if let Some(why) = resume.and_then(|r| restart_reason(&r, &open)) {
                    diagnostic(&format!("aiir: {}: {why}; reading it from the start", self.name()));
                }
                Ok(Some(open))
            }
            Ok(None) => {
                self.resume = resume;
                if !std::mem::replace(&mut self.told_missing, true) {
                    diagnostic(&format!("aiir: {}: no such file yet; waiting for it", self.name()));
                }
                tokio::time::sleep(self.poll).await;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// What `path` names now, beside the file `open` reads.
async fn change(path: &Path, open: &Open) -> std::io::Result<Change> {
    let meta = match tokio::fs::metadata(path).await {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Change::Missing),
        Err(e) => return Err(e),
    };
    Ok(if FileId::of(&meta) != open.id {
        Change::Replaced
    } else if meta.len() < open.lines.read() {
        Change::Truncated
    } else {
        Change::Same
    })
}

/// Open `path`, positioned after `resume` when that checkpoint is of this file and
/// within it; `None` when there is no such file.
async fn open_file(path: &Path, resume: Option<Position>) -> std::io::Result<Option<Open>> {
    let mut file = match File::open(path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata().await?;
    let id = FileId::of(&meta);
    let start = match resume {
        Some(r) if r.file == id && r.offset <= meta.len() => r,
        _ => Position { file: id, ..Position::default() },
    };
    file.seek(SeekFrom::Start(start.offset)).await?;
    Ok(Some(Open { id, reader: BufReader::new(file), lines: Splitter::after(start) }))
}

/// Why a checkpoint could not be used, or `None` when reading resumed after it.
fn restart_reason(resume: &Position, open: &Open) -> Option<&'static str> {
    if resume.file != open.id {
        Some("the checkpoint is of another file (rotated while aiir was stopped?)")
    } else if open.lines.read() != resume.offset {
        Some("the file is shorter than its checkpoint (truncated while aiir was stopped?)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    const POLL: Duration = Duration::from_millis(10);

    fn append(path: &Path, text: &str) {
        std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
    }

    async fn next(f: &mut Follow) -> (u64, String) {
        let line = tokio::time::timeout(Duration::from_secs(10), f.next_line()).await.expect("no line").unwrap();
        (line.at.line, line.text.unwrap())
    }

    async fn nothing(f: &mut Follow) {
        assert!(tokio::time::timeout(POLL * 5, f.next_line()).await.is_err(), "a line came");
    }

    #[tokio::test]
    async fn appended_lines_come_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut f = Follow::new(&path, POLL, None);
        append(&path, "a\nb");
        assert_eq!(next(&mut f).await, (1, "a".into()));
        nothing(&mut f).await;
        append(&path, "c\n");
        assert_eq!(next(&mut f).await, (2, "bc".into()));
    }

    #[tokio::test]
    async fn rotation_finishes_the_old_file_then_reads_the_new() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        append(&path, "a\n");
        let mut f = Follow::new(&path, POLL, None);
        assert_eq!(next(&mut f).await, (1, "a".into()));
        append(&path, "b\nunfinished");
        std::fs::rename(&path, dir.path().join("log.1")).unwrap();
        append(&path, "new\n");
        assert_eq!(next(&mut f).await, (2, "b".into()));
        assert_eq!(next(&mut f).await, (3, "unfinished".into()));
        assert_eq!(next(&mut f).await, (1, "new".into()));
    }

    #[tokio::test]
    async fn truncation_reads_again_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        append(&path, "first line\nsecond line\n");
        let mut f = Follow::new(&path, POLL, None);
        assert_eq!(next(&mut f).await, (1, "first line".into()));
        assert_eq!(next(&mut f).await, (2, "second line".into()));
        std::fs::write(&path, "x\n").unwrap();
        assert_eq!(next(&mut f).await, (1, "x".into()));
    }

    #[tokio::test]
    async fn a_checkpoint_resumes_only_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        append(&path, "a\nb\n");
        let mut f = Follow::new(&path, POLL, None);
        next(&mut f).await;
        let at = f.next_line().await.unwrap().at;
        append(&path, "c\n");
        assert_eq!(next(&mut Follow::new(&path, POLL, Some(at))).await, (3, "c".into()));
        let other = Position { file: FileId { dev: at.file.dev, ino: at.file.ino + 1 }, ..at };
        assert_eq!(next(&mut Follow::new(&path, POLL, Some(other))).await, (1, "a".into()));
    }
}
