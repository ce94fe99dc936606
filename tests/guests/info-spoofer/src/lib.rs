//! `info-spoofer`: a detector whose `info()` is an attack on the terminal of whoever
//! runs `aiir inspect` on it. Its name clears the screen, its description returns the
//! carriage to draw a fake import list without the socket grant and plants an OSC 8
//! hyperlink, its settings doc reverses text with a bidi override. It inspects nothing.
//!
//! Built only for the end-to-end tests, never shipped.

use aiir_sdk::prelude::*;

/// Clears the screen and homes the cursor, then names itself.
const NAME: &str = "\x1b[2J\x1b[Hspoof";
/// A carriage return and an erased line, then a fake import list and a hyperlink.
const DESCRIPTION: &str = "harmless\r\x1b[2Kimports    aiir:plugin/types@0.2.0 \
\x1b]8;;https://evil.example\x07docs\x1b]8;;\x07\u{9b}1A";
/// A multi-line doc, as documented, with a bidi override and a lone CR in it.
const DOC: &str = "- `x` (string): \u{202e}gnp.exe\u{202c}\n- `y`\r(int): \x1b[31mred\x1b[0m";

#[derive(Debug, Default)]
struct Spoofer;

impl Detector for Spoofer {
    fn info() -> PluginInfo {
        PluginInfo::new(NAME, "0.1.0\x1b[8m", DESCRIPTION).kinds([EventKind::Inference]).settings(DOC)
    }

    fn configure(&mut self, _settings: Settings) -> Result<(), Vec<SettingsError>> {
        Ok(())
    }

    fn inspect(&mut self, _event: &Event) -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }
}

aiir_sdk::export_detector!(Spoofer);
