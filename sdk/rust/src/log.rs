//! Write to the host's log, tagged with the plugin's name.
//!
//! Inside the host these go through the `host.log` import; in native tests they are
//! kept for [`testkit::Harness::logs`](crate::testkit::Harness::logs).

pub use crate::bindings::aiir::plugin::host::Level;

/// Log a line at `level`.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::aiir::plugin::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    native::record(level, message);
}

/// Log detail for the plugin's author.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Log normal operation.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Log something the operator should look at.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Log a failure.
pub fn error(message: &str) {
    log(Level::Error, message);
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native {
    use super::Level;
    use std::cell::RefCell;

    thread_local! {
        static LINES: RefCell<Vec<(Level, String)>> = const { RefCell::new(Vec::new()) };
    }

    pub(crate) fn record(level: Level, message: &str) {
        LINES.with_borrow_mut(|lines| lines.push((level, message.to_owned())));
    }

    pub(crate) fn take() -> Vec<(Level, String)> {
        LINES.with_borrow_mut(std::mem::take)
    }
}
