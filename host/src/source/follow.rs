//! Following a file like `tail -F`: read lines as they are appended, and keep going
//! when the file is rotated or truncated. It polls; a partial last line waits for its
//! end.
//!
//! Rotated (the path comes to name a new file): the old file is read to its end
//! through the handle kept open, then every generation rotated after it (`log.2`,
//! `log.1`, when the reader fell behind by several rotations, see [`rotation`]), then
//! the new file from its start. Truncated (shorter than what was read) or rewritten in
//! place (its first bytes, or the end of the last line read, changed): read again
//! from 0, never from the middle of a line.

use super::rotation::{self, Generation};
use super::{FileId, Line, Position, Splitter};
use crate::output::diagnostic;
use std::collections::VecDeque;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::fs::File;
use tokio::io::{AsyncSeekExt, BufReader};

/// How many first bytes of a followed file are compared to know it again.
const HEAD: usize = 1024;

/// How much is read at a time; before each read the path is looked at again.
const READ_BUFFER: usize = 64 << 10;

/// A followed file.
#[derive(Debug)]
pub struct Follow {
    path: PathBuf,
    poll: Duration,
    open: Option<Open>,
    /// Generations rotated after the open file, oldest first, read before the path.
    newer: VecDeque<Open>,
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
    /// A second handle on the file, to look at what was read without moving `reader`.
    peek: std::fs::File,
    /// Whether it is a regular file: only those have a size and bytes to look back at.
    regular: bool,
    /// Its first bytes (at most [`HEAD`]) as last seen.
    head: Vec<u8>,
    /// Its modification time when last seen at the path.
    seen: Option<SystemTime>,
    /// Whether the path names it no longer: it is read to its end, then left.
    rotated: bool,
}

/// What the path names now, beside the file being read.
enum Change {
    Same,
    /// Read it again from the start, for this reason.
    Restart(&'static str),
    Replaced,
    Missing,
}

/// What one look found.
enum Step {
    Line(Line),
    /// Look again at once: another file is open.
    Again,
    /// Nothing new: look again after a poll.
    Wait,
}

impl Follow {
    /// Follow `path`, looking for new lines every `poll`. With `resume`, a checkpoint,
    /// reading starts after it when the path, or one of its rotated generations, still
    /// names that file and a line ends there; otherwise at the start, and stderr says
    /// why.
    pub fn new(path: &Path, poll: Duration, resume: Option<Position>) -> Self {
        Self { path: path.to_owned(), poll, open: None, newer: VecDeque::new(), resume, told_missing: false }
    }

    /// The path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next complete line, waiting for one as long as it takes.
    pub async fn next_line(&mut self) -> std::io::Result<Line> {
        loop {
            match self.step().await? {
                Step::Line(line) => return Ok(line),
                Step::Again => {}
                Step::Wait => tokio::time::sleep(self.poll).await,
            }
        }
    }

    /// One step: a line, or what to do for the next.
    async fn step(&mut self) -> std::io::Result<Step> {
        let Some(open) = self.open.as_mut() else {
            return self.first_open().await;
        };
        // Before reading more of the file: is the path's file still this one, as it was?
        if open.reader.buffer().is_empty()
            && !open.rotated
            && let Some(step) = self.look().await?
        {
            return Ok(step);
        }
        let Some(open) = self.open.as_mut() else { return Ok(Step::Again) };
        if let Some(line) = open.lines.next(&mut open.reader).await? {
            return Ok(Step::Line(line));
        }
        if !open.rotated {
            return Ok(Step::Wait);
        }
        // Its unfinished last line too: nothing will finish it now.
        if let Some(line) = open.lines.finish() {
            return Ok(Step::Line(line));
        }
        self.open = match self.newer.pop_front() {
            Some(next) => Some(next),
            None => Open::file(&self.path, None).await?,
        };
        Ok(Step::Again)
    }

    /// Look at what the path names now: `None` when reading goes on in the same file.
    async fn look(&mut self) -> std::io::Result<Option<Step>> {
        let name = self.name();
        let Some(open) = self.open.as_mut() else { return Ok(None) };
        match change(&self.path, open).await? {
            Change::Same | Change::Missing => Ok(None),
            Change::Restart(why) => {
                diagnostic(&format!("aiir: {name}: {why}; reading it again from the start"));
                open.restart().await?;
                Ok(Some(Step::Again))
            }
            Change::Replaced => {
                // Read what was appended before the rotation, then what rotated since.
                open.rotated = true;
                let newer = rotation::newer(&self.path, open.id, open.seen);
                if !newer.is_empty() {
                    let n = newer.len() + 1;
                    diagnostic(&format!("aiir: {name}: rotated {n} times since the last look; reading each"));
                }
                self.queue(newer).await?;
                Ok(Some(Step::Again))
            }
        }
    }

    /// Open the path the first time, after the checkpoint when it still applies (in a
    /// generation rotated away while aiir was stopped, too); wait while the file does
    /// not exist.
    async fn first_open(&mut self) -> std::io::Result<Step> {
        let resume = self.resume.take();
        if let Some(open) = self.resume_rotated(resume).await? {
            self.open = Some(open);
            return Ok(Step::Again);
        }
        match Open::file(&self.path, resume).await? {
            Some(open) => {
                if let Some(why) = resume.and_then(|r| restart_reason(&r, &open)) {
                    diagnostic(&format!("aiir: {}: {why}; reading it from the start", self.name()));
                }
                self.open = Some(open);
                Ok(Step::Again)
            }
            None => {
                self.resume = resume;
                if !std::mem::replace(&mut self.told_missing, true) {
                    diagnostic(&format!("aiir: {}: no such file yet; waiting for it", self.name()));
                }
                Ok(Step::Wait)
            }
        }
    }

    /// When the checkpoint is of a generation rotated away from the path, that file
    /// after the checkpoint; the generations newer than it wait their turn.
    async fn resume_rotated(&mut self, resume: Option<Position>) -> std::io::Result<Option<Open>> {
        let Some(r) = resume else { return Ok(None) };
        let at_path = std::fs::metadata(&self.path).ok().map(|m| FileId::of(&m));
        if at_path == Some(r.file) {
            return Ok(None);
        }
        let Some((file, newer)) = rotation::find(&self.path, r.file) else { return Ok(None) };
        let Some(mut open) = Open::file(&file, Some(r)).await?.filter(|o| o.lines.end() == r) else {
            return Ok(None);
        };
        diagnostic(&format!("aiir: {}: rotated while aiir was stopped; resuming in {}", self.name(), file.display()));
        open.rotated = true;
        self.queue(newer).await?;
        Ok(Some(open))
    }

    /// Open the generations to read after the open file, and the file at the path
    /// now: held open, so that a rotation before their turn loses none of them (and
    /// the generations after the one at the path are found when it comes).
    async fn queue(&mut self, newer: Vec<Generation>) -> std::io::Result<()> {
        self.newer = open_all(newer).await?;
        self.newer.extend(Open::file(&self.path, None).await?);
        Ok(())
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

impl Open {
    /// Open `path`, positioned after `resume` when that checkpoint is of this file and
    /// a line of it ends there; `None` when there is no such file.
    async fn file(path: &Path, resume: Option<Position>) -> std::io::Result<Option<Self>> {
        let mut file = match File::open(path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata().await?;
        let (id, regular) = (FileId::of(&meta), meta.is_file());
        let peek = file.try_clone().await?.into_std().await;
        let start = match resume {
            Some(r) if r.file == id && r.offset <= meta.len() && (!regular || line_ends_at(&peek, r.offset)?) => r,
            _ => Position { file: id, ..Position::default() },
        };
        file.seek(SeekFrom::Start(start.offset)).await?;
        let head = if regular { read_at(&peek, 0, HEAD)? } else { Vec::new() };
        let (reader, lines, seen) =
            (BufReader::with_capacity(READ_BUFFER, file), Splitter::after(start), meta.modified().ok());
        Ok(Some(Self { id, reader, lines, peek, regular, head, seen, rotated: false }))
    }

    /// Read the file again from its start.
    async fn restart(&mut self) -> std::io::Result<()> {
        self.reader.seek(SeekFrom::Start(0)).await?;
        self.lines = Splitter::after(Position { file: self.id, ..Position::default() });
        self.head = read_at(&self.peek, 0, HEAD)?;
        Ok(())
    }

    /// Whether the file still starts as it did and the last line read still ends
    /// where it did: one truncated and written again past its old size between two
    /// looks does not.
    fn unchanged(&mut self) -> std::io::Result<bool> {
        if !line_ends_at(&self.peek, self.lines.end().offset)? {
            return Ok(false);
        }
        let head = read_at(&self.peek, 0, HEAD)?;
        let same = head.starts_with(&self.head);
        self.head = head;
        Ok(same)
    }
}

/// Open the generations rotated after the file being read, at once, before another
/// rotation renames them; name those that cannot be read.
async fn open_all(generations: Vec<Generation>) -> std::io::Result<VecDeque<Open>> {
    let mut opened = VecDeque::new();
    for Generation { path, size, compressed } in generations {
        let why = if compressed {
            "rotated and compressed before it was read"
        } else if let Some(open) = Open::file(&path, None).await? {
            opened.push_back(Open { rotated: true, ..open });
            continue;
        } else {
            "gone before it was read"
        };
        diagnostic(&format!("aiir: warning: {}: {why}; its {size} bytes are skipped", path.display()));
    }
    Ok(opened)
}

/// What `path` names now, beside the file `open` reads.
async fn change(path: &Path, open: &mut Open) -> std::io::Result<Change> {
    let meta = match tokio::fs::metadata(path).await {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Change::Missing),
        Err(e) => return Err(e),
    };
    Ok(if FileId::of(&meta) != open.id {
        Change::Replaced
    } else if !open.regular {
        Change::Same
    } else if meta.len() < open.lines.read() {
        Change::Restart("file truncated")
    } else if !open.unchanged()? {
        Change::Restart("file rewritten (it no longer starts as it did)")
    } else {
        open.seen = meta.modified().ok();
        Change::Same
    })
}

/// Why a checkpoint could not be used, or `None` when reading resumed after it.
fn restart_reason(resume: &Position, open: &Open) -> Option<&'static str> {
    let len = open.peek.metadata().map_or(u64::MAX, |m| m.len());
    if resume.file != open.id {
        Some("the checkpoint is of another file (rotated while aiir was stopped?)")
    } else if resume.offset > len {
        Some("the file is shorter than its checkpoint (truncated while aiir was stopped?)")
    } else if open.lines.end() != *resume {
        Some("no line ends at the checkpoint (rewritten while aiir was stopped?)")
    } else {
        None
    }
}

/// Whether a line ends just before `offset` (or it is the start).
fn line_ends_at(file: &std::fs::File, offset: u64) -> std::io::Result<bool> {
    match offset.checked_sub(1) {
        None => Ok(true),
        Some(last) => Ok(read_at(file, last, 1)?.first().is_none_or(|b| *b == b'\n')),
    }
}

/// Up to `len` bytes of `file` from `offset`, without moving its position.
#[cfg(unix)]
fn read_at(file: &std::fs::File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt as _;
    let mut bytes = vec![0; len];
    let mut n = 0;
    while n < len {
        match file.read_at(&mut bytes[n..], offset + n as u64)? {
            0 => break,
            k => n += k,
        }
    }
    bytes.truncate(n);
    Ok(bytes)
}

/// Off Unix the bytes read are not looked at again.
#[cfg(not(unix))]
fn read_at(_file: &std::fs::File, _offset: u64, _len: usize) -> std::io::Result<Vec<u8>> {
    Ok(Vec::new())
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

    /// A log holding `text`, followed from its start.
    fn following(text: &str) -> (tempfile::TempDir, PathBuf, Follow) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        append(&path, text);
        let follow = Follow::new(&path, POLL, None);
        (dir, path, follow)
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
        let (dir, path, mut f) = following("a\n");
        assert_eq!(next(&mut f).await, (1, "a".into()));
        append(&path, "b\nunfinished");
        std::fs::rename(&path, dir.path().join("log.1")).unwrap();
        append(&path, "new\n");
        assert_eq!(next(&mut f).await, (2, "b".into()));
        assert_eq!(next(&mut f).await, (3, "unfinished".into()));
        assert_eq!(next(&mut f).await, (1, "new".into()));
    }

    #[tokio::test]
    async fn truncation_and_rewriting_read_again_from_the_start() {
        let (_dir, path, mut f) = following("first line\nsecond line\n");
        assert_eq!(next(&mut f).await, (1, "first line".into()));
        assert_eq!(next(&mut f).await, (2, "second line".into()));
        std::fs::write(&path, "x\n").unwrap();
        assert_eq!(next(&mut f).await, (1, "x".into()));
        // Between two looks: truncated and refilled past the old size.
        std::fs::write(&path, "replaced line one\nline two\n").unwrap();
        assert_eq!(next(&mut f).await, (1, "replaced line one".into()));
        assert_eq!(next(&mut f).await, (2, "line two".into()));
        // The same first bytes, but no line ends where the last one read did.
        std::fs::write(&path, "replaced line one\nline two, longer now\n").unwrap();
        assert_eq!(next(&mut f).await, (1, "replaced line one".into()));
    }

    /// Rotate `log` numbered-style: `log.N` becomes `log.N+1`, `log` becomes `log.1`.
    fn rotate(dir: &Path) {
        let mut n = (1..).take_while(|n| dir.join(format!("log.{n}")).exists()).count();
        while n > 0 {
            std::fs::rename(dir.join(format!("log.{n}")), dir.join(format!("log.{}", n + 1))).unwrap();
            n -= 1;
        }
        std::fs::rename(dir.join("log"), dir.join("log.1")).unwrap();
    }

    #[tokio::test]
    async fn rotations_between_two_looks_read_every_generation_in_order() {
        let (dir, path, mut f) = following("a\n");
        std::fs::write(dir.path().join("log.1"), "before aiir\n").unwrap();
        assert_eq!(next(&mut f).await, (1, "a".into()));
        append(&path, "b\n");
        for generation in ["c", "d", "e"] {
            rotate(dir.path());
            append(&path, &format!("{generation}\n"));
        }
        rotate(dir.path());
        append(&path, "f\n");
        let got = [next(&mut f).await, next(&mut f).await, next(&mut f).await];
        assert_eq!(got.map(|(_, text)| text), ["b", "c", "d"]);
        // Rotated again while the generations between are read: the file that was at
        // the path is still read, then the new one.
        rotate(dir.path());
        append(&path, "g\n");
        let got = [next(&mut f).await, next(&mut f).await, next(&mut f).await];
        assert_eq!(got.map(|(_, text)| text), ["e", "f", "g"]);
        nothing(&mut f).await;
    }

    #[tokio::test]
    async fn a_checkpoint_in_a_rotated_generation_resumes_there() {
        let (dir, path, mut f) = following("a\nb\n");
        let at = f.next_line().await.unwrap().at;
        drop(f);
        rotate(dir.path());
        append(&path, "c\n");
        rotate(dir.path());
        append(&path, "d\n");
        let mut f = Follow::new(&path, POLL, Some(at));
        let got = [next(&mut f).await, next(&mut f).await, next(&mut f).await];
        assert_eq!(got, [(2, "b".into()), (1, "c".into()), (1, "d".into())]);
        // A checkpoint where no line ends is of no use: from the start.
        let mid = Position { offset: 1, ..at };
        let mut f = Follow::new(&dir.path().join("log.2"), POLL, Some(mid));
        assert_eq!(next(&mut f).await, (1, "a".into()));
    }

    #[tokio::test]
    async fn a_checkpoint_resumes_only_its_own_file() {
        let (_dir, path, mut f) = following("a\nb\n");
        next(&mut f).await;
        let at = f.next_line().await.unwrap().at;
        append(&path, "c\n");
        assert_eq!(next(&mut Follow::new(&path, POLL, Some(at))).await, (3, "c".into()));
        let other = Position { file: FileId { dev: at.file.dev, ino: at.file.ino + 1 }, ..at };
        assert_eq!(next(&mut Follow::new(&path, POLL, Some(other))).await, (1, "a".into()));
    }
}
