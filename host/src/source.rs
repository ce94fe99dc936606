//! Sources: the lines of log files and of stdin, numbered for messages.

use std::path::Path;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

/// An open input: a file, or stdin when the path is `-`.
pub struct Input {
    name: String,
    reader: Box<dyn AsyncBufRead + Unpin + Send>,
    line: usize,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("name", &self.name).field("line", &self.line).finish()
    }
}

/// One line of an input.
#[derive(Debug)]
pub struct Line {
    /// 1-based line number.
    pub number: usize,
    /// The text, or why it is not text.
    pub text: Result<String, String>,
}

impl Input {
    /// Open `path` (`-` for stdin).
    pub async fn open(path: &Path) -> std::io::Result<Self> {
        if path == Path::new("-") {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                // Someone typed `aiir run` without a log: say why nothing happens.
                crate::output::diagnostic("aiir: reading events from stdin (one JSON object a line; Ctrl-D ends)");
            }
            return Ok(Self::new("<stdin>".into(), Box::new(BufReader::new(tokio::io::stdin()))));
        }
        let file = tokio::fs::File::open(path).await?;
        Ok(Self::new(path.display().to_string(), Box::new(BufReader::new(file))))
    }

    fn new(name: String, reader: Box<dyn AsyncBufRead + Unpin + Send>) -> Self {
        Self { name, reader, line: 0, buf: Vec::new() }
    }

    /// The name used in messages: the path, or `<stdin>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next non-blank line, or `None` at the end. A line that is not UTF-8 is
    /// returned as an error so the caller can report it and go on.
    pub async fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        loop {
            self.buf.clear();
            if self.reader.read_until(b'\n', &mut self.buf).await? == 0 {
                return Ok(None);
            }
            self.line += 1;
            let text = match std::str::from_utf8(&self.buf) {
                Ok(s) if s.trim().is_empty() => continue,
                Ok(s) => Ok(s.trim_end_matches(['\n', '\r']).to_owned()),
                Err(e) => Err(format!("not UTF-8: {e}")),
            };
            return Ok(Some(Line { number: self.line, text }));
        }
    }
}
