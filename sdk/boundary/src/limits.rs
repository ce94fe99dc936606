//! How long each string a plugin returns may be, and how many of each list. Generous
//! for any honest plugin (the standard pack stays far below every one), tight enough
//! that one value cannot flood a terminal, a report or the store.

/// The longest plugin name, in bytes.
pub const NAME_BYTES: usize = 64;
/// The longest plugin version, in bytes.
pub const VERSION_BYTES: usize = 64;
/// The longest one-line description in `info`, in bytes.
pub const DESCRIPTION_BYTES: usize = 1024;
/// The longest settings documentation in `info`, in bytes.
pub const SETTINGS_DOC_BYTES: usize = 16 * 1024;
/// The longest rule slug (after `<plugin>/`), in bytes.
pub const SLUG_BYTES: usize = 64;
/// The longest finding title, in bytes.
pub const TITLE_BYTES: usize = 512;
/// The most technique ids on one finding.
pub const TECHNIQUES: usize = 16;
/// The longest technique id, in bytes.
pub const TECHNIQUE_BYTES: usize = 32;
/// The most evidence entries on one finding.
pub const EVIDENCE: usize = 256;
/// The longest evidence field path, in bytes.
pub const FIELD_BYTES: usize = 256;
/// The longest evidence excerpt, in bytes.
pub const EXCERPT_BYTES: usize = 4096;
/// The most text the host keeps of an error a plugin returns, a panic message or a
/// trap's details, in bytes: the rest is cut before it is printed, serialised or stored.
pub const ERROR_TEXT_BYTES: usize = 1024;
/// The longest name a proposal targets (a model, version, digest, principal) or
/// report kind, in bytes.
pub const TARGET_BYTES: usize = 256;
/// The longest reason of a proposal, in bytes.
pub const REASON_BYTES: usize = 1024;
/// The longest webhook URL, in bytes.
pub const URL_BYTES: usize = 2048;
