//! Reading a request body with a deadline that grows with what arrives: [`GRACE`] to
//! begin, then time for each byte at [`MIN_RATE`], never past [`LIMIT`] in all. A body
//! sent slower is cut off at once, not waited on, so a client trickling its body holds
//! its connection for seconds, and never a slot to decode in: those are taken only once
//! a body has fully arrived.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::Body;
use std::time::Duration;
use tokio::time::Instant;

/// Time a body has before its bytes must come at [`MIN_RATE`].
pub const GRACE: Duration = Duration::from_secs(5);
/// The slowest a body may arrive after [`GRACE`], in bytes a second.
pub const MIN_RATE: u64 = 64 * 1024;
/// The longest any body may take.
pub const LIMIT: Duration = Duration::from_secs(30);

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// It is larger than allowed.
    TooLarge,
    /// It came slower than [`MIN_RATE`], or took longer than [`LIMIT`].
    TooSlow,
    /// The connection broke, or the framing was wrong.
    Broken(String),
}

/// The whole body, no larger than `max` bytes, if it arrives in time.
pub async fn collect<B>(body: B, max: usize) -> Result<Bytes, Unread>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let mut body = body;
    let start = Instant::now();
    let mut out = BytesMut::new();
    loop {
        let allowed = GRACE + Duration::from_secs_f64(out.len() as f64 / MIN_RATE as f64);
        let frame = match tokio::time::timeout_at(start + allowed.min(LIMIT), body.frame()).await {
            Err(_) => return Err(Unread::TooSlow),
            Ok(None) => return Ok(out.freeze()),
            Ok(Some(Err(e))) => return Err(Unread::Broken(e.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > max {
                return Err(Unread::TooLarge);
            }
            out.extend_from_slice(&data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    #[tokio::test]
    async fn a_whole_body_is_read_and_a_large_one_refused() {
        assert_eq!(collect(Full::new(Bytes::from_static(b"abc")), 3).await, Ok(Bytes::from_static(b"abc")));
        assert_eq!(collect(Full::new(Bytes::from_static(b"abcd")), 3).await, Err(Unread::TooLarge));
    }
}
