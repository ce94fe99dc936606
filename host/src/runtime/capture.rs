//! A plugin's stdout and stderr: kept in memory up to a cap, then handed to `tracing`
//! after each call. Never the host's own streams.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    cap: usize,
    dropped: usize,
}

/// Both output streams of one instance, sharing one capped buffer.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<Buffer>>);

impl Capture {
    /// A capture that keeps at most `cap` bytes between two [`take`](Self::take)s.
    pub fn new(cap: usize) -> Self {
        Self(Arc::new(Mutex::new(Buffer { cap, ..Buffer::default() })))
    }

    /// What was written since the last take (lossily decoded), and how many bytes
    /// beyond the cap were dropped.
    pub fn take(&self) -> (String, usize) {
        let mut buf = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&buf.bytes).into_owned();
        let dropped = buf.dropped;
        buf.bytes.clear();
        buf.dropped = 0;
        (text, dropped)
    }

    fn write(&self, data: &[u8]) {
        let mut buf = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let room = buf.cap.saturating_sub(buf.bytes.len());
        let kept = data.len().min(room);
        buf.bytes.extend_from_slice(&data[..kept]);
        buf.dropped += data.len() - kept;
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for Capture {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.write(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_the_cap_and_counts_the_rest() {
        let c = Capture::new(4);
        c.write(b"abc");
        c.write(b"def");
        assert_eq!(c.take(), ("abcd".to_owned(), 2));
        assert_eq!(c.take(), (String::new(), 0));
    }
}
