//! Sources: the lines of log files and of stdin, each with the place where it ends so
//! that reading can resume just after it.
//!
//! [`Input`] reads a file (or stdin) once, to its end; [`follow::Follow`] tails a file
//! like `tail -F`, across rotation and truncation. Both split lines with the same
//! [`Splitter`], and [`feed`] moves their lines into a bounded queue.

pub mod feed;
pub mod follow;

use std::path::Path;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

/// A file's identity: its device and inode. It survives a rename and changes when a
/// path comes to name a new file (log rotation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FileId {
    /// The device the file is on.
    pub dev: u64,
    /// Its inode on that device.
    pub ino: u64,
}

impl FileId {
    /// The identity of the file these metadata describe.
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self { dev: meta.dev(), ino: meta.ino() }
    }

    /// Files have no identity off Unix; following then sees no rotation.
    #[cfg(not(unix))]
    pub fn of(_meta: &std::fs::Metadata) -> Self {
        Self::default()
    }
}

/// Where a line ends: what a checkpoint saves to resume reading after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    /// The file the line is in (zero for stdin).
    pub file: FileId,
    /// The byte offset just after the line.
    pub offset: u64,
    /// The line's 1-based number in the file.
    pub line: u64,
}

/// One non-blank line of an input.
#[derive(Debug)]
pub struct Line {
    /// Where it ends; `at.line` is its number.
    pub at: Position,
    /// The text without its line end, or why it is not text.
    pub text: Result<String, String>,
}

/// Splits a byte stream into lines, counting bytes and lines. A line is complete when
/// it ends in `\n`; the bytes of an incomplete one wait in the splitter for the rest.
#[derive(Debug, Default)]
pub struct Splitter {
    buf: Vec<u8>,
    end: Position,
}

impl Splitter {
    /// A splitter whose next line starts after `from`.
    pub fn after(from: Position) -> Self {
        Self { buf: Vec::new(), end: from }
    }

    /// Bytes read so far, including those of an incomplete line.
    pub fn read(&self) -> u64 {
        self.end.offset + self.buf.len() as u64
    }

    /// The next complete non-blank line `reader` holds now, or `None` when it has none
    /// (at its end, or with only part of a line).
    pub async fn next<R: AsyncBufRead + Unpin>(&mut self, reader: &mut R) -> std::io::Result<Option<Line>> {
        loop {
            let n = reader.read_until(b'\n', &mut self.buf).await?;
            if n == 0 || self.buf.last() != Some(&b'\n') {
                return Ok(None);
            }
            if let Some(line) = self.take() {
                return Ok(Some(line));
            }
        }
    }

    /// The incomplete line held, as a line: for the end of an input that will not grow.
    pub fn finish(&mut self) -> Option<Line> {
        if self.buf.is_empty() { None } else { self.take() }
    }

    /// Turn the buffer into a line; `None` when it is blank.
    fn take(&mut self) -> Option<Line> {
        self.end.offset += self.buf.len() as u64;
        self.end.line += 1;
        let text = match std::str::from_utf8(&self.buf) {
            Ok(s) if s.trim().is_empty() => None,
            Ok(s) => Some(Ok(s.trim_end_matches(['\n', '\r']).to_owned())),
            Err(e) => Some(Err(format!("not UTF-8: {e}"))),
        };
        self.buf.clear();
        text.map(|text| Line { at: self.end, text })
    }
}

/// An open input read once to its end: a file, or stdin when the path is `-`.
pub struct Input {
    name: String,
    reader: Box<dyn AsyncBufRead + Unpin + Send>,
    lines: Splitter,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("name", &self.name).field("at", &self.lines.end).finish()
    }
}

impl Input {
    /// Open `path` (`-` for stdin).
    pub async fn open(path: &Path) -> std::io::Result<Self> {
        if path == Path::new("-") {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                // Someone typed `aiir run` without a log: say why nothing happens.
                crate::output::diagnostic("aiir: reading events from stdin (one JSON object a line; Ctrl-D ends)");
            }
            let reader = Box::new(BufReader::new(tokio::io::stdin()));
            return Ok(Self { name: "<stdin>".into(), reader, lines: Splitter::default() });
        }
        let file = tokio::fs::File::open(path).await?;
        let start = Position { file: FileId::of(&file.metadata().await?), ..Position::default() };
        let reader = Box::new(BufReader::new(file));
        Ok(Self { name: path.display().to_string(), reader, lines: Splitter::after(start) })
    }

    /// The name used in messages: the path, or `<stdin>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next non-blank line, or `None` at the end; the last line needs no `\n`. A
    /// line that is not UTF-8 is returned as an error so the caller can report it and
    /// go on.
    pub async fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        Ok(match self.lines.next(&mut self.reader).await? {
            Some(line) => Some(line),
            None => self.lines.finish(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn split(chunks: &[&[u8]]) -> (Vec<(u64, u64, String)>, u64) {
        let mut lines = Splitter::default();
        let mut out = Vec::new();
        for chunk in chunks {
            let mut reader = *chunk;
            while let Some(l) = lines.next(&mut reader).await.unwrap() {
                out.push((l.at.line, l.at.offset, l.text.unwrap()));
            }
        }
        (out, lines.read())
    }

    #[tokio::test]
    async fn a_partial_line_waits_for_its_end() {
        let (lines, read) = split(&[b"one\ntw", b"o\r\n\n  \nthr", b"ee"]).await;
        let want = [(1, 4, "one".to_owned()), (2, 9, "two".to_owned())];
        assert_eq!(lines, want);
        assert_eq!(read, 18);
    }

    #[tokio::test]
    async fn an_input_gives_its_last_line_without_a_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "a\n\nb").unwrap();
        let mut input = Input::open(&path).await.unwrap();
        let a = input.next_line().await.unwrap().unwrap();
        let b = input.next_line().await.unwrap().unwrap();
        assert_eq!((a.at.line, a.at.offset, b.at.line, b.at.offset), (1, 2, 3, 4));
        assert_eq!(b.text.unwrap(), "b");
        assert!(input.next_line().await.unwrap().is_none());
        assert_ne!(b.at.file, FileId::default());
    }
}
