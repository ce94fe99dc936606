//! PEM (RFC 7468) as key files hold it: `-----BEGIN LABEL-----`, base64 lines,
//! `-----END LABEL-----`. Text around the blocks (OpenSSL's explanatory lines) is
//! skipped; a file may hold several blocks (`openssl ecparam -genkey` writes
//! `EC PARAMETERS` before the key), so the reader of a key picks its block by label.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One PEM block: its label and the DER bytes it carries.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Block {
    /// `PRIVATE KEY`, `PUBLIC KEY`, `EC PRIVATE KEY`…
    pub label: String,
    /// The decoded body.
    pub der: Vec<u8>,
}

/// Why a PEM text was not read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum PemError {
    /// No `-----BEGIN` line at all.
    #[error("no PEM block (-----BEGIN …-----)")]
    None,
    /// A block that is not closed by its own END line.
    #[error("the PEM block {0} has no matching END line")]
    Unclosed(String),
    /// A body that is not base64.
    #[error("the PEM block {0} is not valid base64")]
    Base64(String),
}

/// Every block of `text`, in order.
pub(super) fn decode(text: &str) -> Result<Vec<Block>, PemError> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = boundary(line, "BEGIN") else { continue };
        let body = read_body(&mut lines, label)?;
        let der = STANDARD.decode(&body).map_err(|_| PemError::Base64(label.to_owned()))?;
        blocks.push(Block { label: label.to_owned(), der });
    }
    if blocks.is_empty() { Err(PemError::None) } else { Ok(blocks) }
}

/// The base64 of the block labelled `label`, up to its END line; another boundary
/// line first (a mismatched END, a second BEGIN) leaves the block unclosed.
fn read_body<'a>(lines: &mut impl Iterator<Item = &'a str>, label: &str) -> Result<String, PemError> {
    let mut body = String::new();
    for line in lines {
        if boundary(line, "END") == Some(label) {
            return Ok(body);
        }
        if line.starts_with("-----") {
            break;
        }
        body.push_str(line);
    }
    Err(PemError::Unclosed(label.to_owned()))
}

/// The label of a `-----BEGIN LABEL-----` (or END) line.
fn boundary<'a>(line: &'a str, which: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?.strip_prefix(which)?.strip_prefix(' ')?.strip_suffix("-----")
}

/// `der` as a PEM block, with the 64-column lines OpenSSL and Go write.
pub(super) fn encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    // Base64 is ASCII, so any byte offset is a character boundary.
    for chunk in body.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_round_trips_in_64_column_lines() {
        let der: Vec<u8> = (0..=200).collect();
        let text = encode("PUBLIC KEY", &der);
        assert!(text.lines().all(|l| l.len() <= 64));
        assert_eq!(decode(&text).unwrap(), vec![Block { label: "PUBLIC KEY".into(), der }]);
    }

    #[test]
    fn text_around_blocks_is_skipped_and_every_block_is_read() {
        let text =
            format!("explanatory text\n{}between\n{}", encode("EC PARAMETERS", b"p"), encode("EC PRIVATE KEY", b"k"));
        let labels: Vec<String> = decode(&text).unwrap().into_iter().map(|b| b.label).collect();
        assert_eq!(labels, ["EC PARAMETERS", "EC PRIVATE KEY"]);
    }

    #[test]
    fn crlf_line_ends_are_read() {
        let text = encode("PUBLIC KEY", b"abc").replace('\n', "\r\n");
        assert_eq!(decode(&text).unwrap()[0].der, b"abc");
    }

    #[test]
    fn broken_blocks_are_refused_by_name() {
        assert_eq!(decode("nothing here"), Err(PemError::None));
        assert_eq!(decode(""), Err(PemError::None));
        let unclosed = "-----BEGIN PUBLIC KEY-----\nAAAA\n";
        assert_eq!(decode(unclosed), Err(PemError::Unclosed("PUBLIC KEY".into())));
        let mismatched = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert_eq!(decode(mismatched), Err(PemError::Unclosed("PUBLIC KEY".into())));
        let bad = "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n";
        assert_eq!(decode(bad), Err(PemError::Base64("PUBLIC KEY".into())));
    }
}
