//! Reading a file the operator names, the config or a plugin: only a regular file, and
//! no more than a cap. The path's metadata are looked at before it is opened, so a
//! FIFO never blocks, a device is never opened and a directory is named as one; the
//! read stops one byte past the cap, so a file that grows meanwhile stays bounded.
//!
//! ```no_run
//! let bytes = aiir_host::file::read_capped(std::path::Path::new("aiir.toml"), 1 << 20)?;
//! # Ok::<(), aiir_host::file::FileError>(())
//! ```

use std::fs::Metadata;
use std::io::Read as _;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// It is something else: a FIFO, a device, a directory, a socket.
    #[error("{0}, not a regular file")]
    NotRegular(&'static str),
    /// It holds more than the cap (`size` is at least cap + 1 when it grew).
    #[error("too large: {size} bytes > {cap}")]
    TooLarge {
        /// Its size, or what was read of it.
        size: u64,
        /// The most that is read.
        cap: u64,
    },
    /// It could not be looked at, opened or read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The bytes of the regular file at `path`, when it holds at most `cap` of them.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, FileError> {
    admit(&std::fs::metadata(path)?, cap)?;
    let file = open_nonblocking(path)?;
    // The path may name another file by now.
    admit(&file.metadata()?, cap)?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    admit_size(bytes.len() as u64, cap)?;
    Ok(bytes)
}

/// [`read_capped`] for text.
pub fn read_text_capped(path: &Path, cap: u64) -> Result<String, FileError> {
    let bytes = read_capped(path, cap)?;
    String::from_utf8(bytes).map_err(|e| FileError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// A refusal unless these are a regular file's metadata, of at most `cap` bytes.
fn admit(meta: &Metadata, cap: u64) -> Result<(), FileError> {
    match kind(meta) {
        Some(other) => Err(FileError::NotRegular(other)),
        None => admit_size(meta.len(), cap),
    }
}

fn admit_size(size: u64, cap: u64) -> Result<(), FileError> {
    if size > cap { Err(FileError::TooLarge { size, cap }) } else { Ok(()) }
}

/// What a file is when it is not a regular file.
fn kind(meta: &Metadata) -> Option<&'static str> {
    let ty = meta.file_type();
    if ty.is_file() {
        return None;
    }
    if ty.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ty.is_fifo() {
            return Some("a FIFO");
        } else if ty.is_char_device() {
            return Some("a character device");
        } else if ty.is_block_device() {
            return Some("a block device");
        } else if ty.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// Open for reading without waiting for a FIFO's writer, should the path have become
/// one since its metadata were read.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(path: &Path, cap: u64) -> String {
        read_capped(path, cap).unwrap_err().to_string()
    }

    #[test]
    fn only_regular_files_under_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"12345").unwrap();
        assert_eq!(read_capped(&file, 5).unwrap(), b"12345");
        assert_eq!(refusal(&file, 4), "too large: 5 bytes > 4");
        assert_eq!(refusal(dir.path(), 4), "a directory, not a regular file");
        assert_eq!(refusal(Path::new("/dev/zero"), 4), "a character device, not a regular file");
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(refusal(&fifo, 4), "a FIFO, not a regular file");
        assert!(matches!(read_capped(&dir.path().join("none"), 4), Err(FileError::Io(_))));
    }
}
