//! Sources: the lines of log files and of stdin, each with the place where it ends so
//! that reading can resume just after it.
//!
//! [`Input`] reads a file (or stdin) once, to its end; [`follow::Follow`] tails a file
//! like `tail -F`, across rotation ([`rotation`] finds the generations it fell behind
//! by) and truncation. Both split lines with the same [`Splitter`], which holds no line
//! longer than [`MAX_LINE`], and [`feed`] moves their lines into a bounded queue.

pub mod feed;
pub mod follow;
pub mod rotation;

use std::path::Path;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

/// A file's identity: its device and inode. It survives a rename and changes when a
/// path comes to name a new file (log rotation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// The file the line is in (zero for stdin).
    pub file: FileId,
    /// The byte offset just after the line.
    pub offset: u64,
    /// The line's 1-based number in the file.
    pub line: u64,
}

/// The longest line read, without its line end: 16 MiB. A longer line is passed over
/// to its end, in bounded memory, and returned as an error when it passes the cap, so
/// that an input that never ends a line (`/dev/zero`) is reported at once.
pub const MAX_LINE: usize = 16 << 20;

/// A UTF-8 byte order mark, dropped from the start of an input.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One non-blank line of an input.
#[derive(Debug)]
pub struct Line {
    /// Where it ends: where reading resumes after it. A line over [`MAX_LINE`] is
    /// reported before its end is read: its `at` is where it starts, so that a
    /// checkpoint never falls inside a line.
    pub at: Position,
    /// Its 1-based number in the input.
    pub number: u64,
    /// The text without its line end, or why it is not text.
    pub text: Result<String, String>,
}

/// Splits a byte stream into lines, counting bytes and lines. A line is complete when
/// it ends in `\n`; the bytes of an incomplete one wait in the splitter for the rest,
/// at most [`MAX_LINE`] of them.
#[derive(Debug)]
pub struct Splitter {
    buf: Vec<u8>,
    end: Position,
    /// Bytes of a line over the cap passed over so far, while looking for its end.
    skipping: Option<u64>,
    max: usize,
}

impl Default for Splitter {
    fn default() -> Self {
        Self::after(Position::default())
    }
}

impl Splitter {
    /// A splitter whose next line starts after `from`.
    pub fn after(from: Position) -> Self {
        Self { buf: Vec::new(), end: from, skipping: None, max: MAX_LINE }
    }

    /// Bytes read so far, including those of an incomplete line.
    pub fn read(&self) -> u64 {
        self.end.offset + self.buf.len() as u64 + self.skipping.unwrap_or(0)
    }

    /// Where the last complete line ends.
    pub fn end(&self) -> Position {
        self.end
    }

    /// The next complete non-blank line `reader` holds now, or `None` when it has none
    /// (at its end, or with only part of a line).
    pub async fn next<R: AsyncBufRead + Unpin>(&mut self, reader: &mut R) -> std::io::Result<Option<Line>> {
        loop {
            let chunk = reader.fill_buf().await?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let (len, ended) = chunk.iter().position(|b| *b == b'\n').map_or((chunk.len(), false), |i| (i + 1, true));
            let overlong = self.hold(&chunk[..len], ended);
            reader.consume(len);
            let line = match (ended, self.skipping.take()) {
                (true, Some(skipped)) => {
                    self.end.offset += skipped;
                    self.end.line += 1;
                    overlong
                }
                (true, None) => self.take(),
                (false, skipping) => {
                    self.skipping = skipping;
                    overlong
                }
            };
            if line.is_some() {
                return Ok(line);
            }
        }
    }

    /// Keep `bytes` of the current line, or only count them once it is over the cap;
    /// the line over the cap, as an error, the moment it passes it.
    fn hold(&mut self, bytes: &[u8], ended: bool) -> Option<Line> {
        if let Some(skipped) = &mut self.skipping {
            *skipped += bytes.len() as u64;
            return None;
        }
        if self.buf.len() + bytes.len() - usize::from(ended) <= self.max {
            self.buf.extend_from_slice(bytes);
            return None;
        }
        self.skipping = Some((self.buf.len() + bytes.len()) as u64);
        self.buf = Vec::new();
        let text = Err(format!("line longer than {} bytes", self.max));
        Some(Line { at: self.end, number: self.end.line + 1, text })
    }

    /// The incomplete line held, as a line: for the end of an input that will not grow.
    pub fn finish(&mut self) -> Option<Line> {
        if let Some(skipped) = self.skipping.take() {
            self.end.offset += skipped;
            self.end.line += 1;
            return None;
        }
        if self.buf.is_empty() { None } else { self.take() }
    }

    /// Turn the buffer into a line; `None` when it is blank.
    fn take(&mut self) -> Option<Line> {
        let bytes = match self.end.offset {
            0 => self.buf.strip_prefix(BOM).unwrap_or(&self.buf),
            _ => &self.buf,
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(s) if s.trim().is_empty() => None,
            Ok(s) => Some(Ok(s.trim_end_matches(['\n', '\r']).to_owned())),
            Err(e) => Some(Err(format!("not UTF-8: {e}"))),
        };
        self.end.offset += self.buf.len() as u64;
        self.end.line += 1;
        self.buf.clear();
        text.map(|text| Line { at: self.end, number: self.end.line, text })
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
        split_at_most(usize::MAX, chunks).await
    }

    /// (number, offset, text or error) of each line, and the bytes read.
    async fn split_at_most(max: usize, chunks: &[&[u8]]) -> (Vec<(u64, u64, String)>, u64) {
        let mut lines = Splitter { max, ..Splitter::default() };
        let mut out = Vec::new();
        for chunk in chunks {
            // Two bytes at a time, so that lines span reads.
            let mut reader = tokio::io::BufReader::with_capacity(2, *chunk);
            while let Some(l) = lines.next(&mut reader).await.unwrap() {
                out.push((l.number, l.at.offset, l.text.unwrap_or_else(|e| e)));
            }
        }
        (out, lines.read())
    }

    #[tokio::test]
    async fn a_line_over_the_cap_is_reported_when_it_passes_it_and_passed_over() {
        let (lines, read) = split_at_most(4, &[b"abcd\nabcdef", b"gh", b"ij\nok\n"]).await;
        let want = [(1, 5, "abcd".into()), (2, 5, "line longer than 4 bytes".into()), (3, 19, "ok".into())];
        assert_eq!(lines, want);
        assert_eq!(read, 19);
        // One that never ends holds no more than the cap.
        let mut lines = Splitter { max: 4, ..Splitter::default() };
        let mut zeros = tokio::io::AsyncReadExt::take(tokio::io::repeat(0), 1 << 20);
        let mut reader = BufReader::new(&mut zeros);
        let first = lines.next(&mut reader).await.unwrap().unwrap();
        assert_eq!((first.number, first.at.offset), (1, 0));
        assert!(lines.next(&mut reader).await.unwrap().is_none());
        assert!(lines.buf.capacity() <= 8192, "{} bytes held", lines.buf.capacity());
        assert_eq!(lines.read(), 1 << 20);
        assert!(lines.finish().is_none());
        assert_eq!(lines.end(), Position { line: 1, offset: 1 << 20, ..Position::default() });
    }

    #[tokio::test]
    async fn a_byte_order_mark_at_the_start_is_dropped() {
        let (lines, _) = split(&[b"\xEF\xBB\xBFone\n\xEF\xBB\xBFtwo\n"]).await;
        assert_eq!(lines[0], (1, 7, "one".into()));
        assert_eq!(lines[1], (2, 14, "\u{feff}two".into()), "only at the start of the input");
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
