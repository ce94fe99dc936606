//! What a plugin says about itself in `info`, checked once at load.

use crate::Violation;
use crate::limits::{DESCRIPTION_BYTES, NAME_BYTES, SETTINGS_DOC_BYTES, VERSION_BYTES};
use crate::text::{check_text, is_slug};

/// A plugin or configured name: a slug of at most [`NAME_BYTES`], never `aiir`
/// (the host's own rules are `aiir/…`).
pub fn validate_name(name: &str) -> Result<(), String> {
    if !is_slug(name) || name.len() > NAME_BYTES {
        return Err(format!(
            "{:?} is not a name: use lowercase letters, digits and dashes, at most {NAME_BYTES} bytes",
            crate::cap(name, 80)
        ));
    }
    if name == "aiir" {
        return Err("\"aiir\" is the host's own name".into());
    }
    Ok(())
}

/// Check a plugin's `info`: its name, a semantic version, a one-line description and
/// its settings documentation (lines and tabs allowed).
pub fn validate_info(name: &str, version: &str, description: &str, settings: &str) -> Result<(), Violation> {
    validate_name(name).map_err(|p| Violation::new("info.name", p))?;
    check_text("info.version", version, VERSION_BYTES, &[], true)?;
    if !is_semver(version) {
        return Err(Violation::new("info.version", format!("{version:?} is not a semantic version such as 1.2.3")));
    }
    check_text("info.description", description, DESCRIPTION_BYTES, &[], false)?;
    check_text("info.settings", settings, SETTINGS_DOC_BYTES, &['\n', '\t'], false)
}

/// `MAJOR.MINOR.PATCH`, optionally `-pre.release` and `+build`, each identifier
/// ASCII alphanumeric or `-`.
fn is_semver(version: &str) -> bool {
    let (rest, build) = version.split_once('+').map_or((version, None), |(r, b)| (r, Some(b)));
    let (core, pre) = rest.split_once('-').map_or((rest, None), |(c, p)| (c, Some(p)));
    let number = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'));
    let idents =
        |s: &str| s.split('.').all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| number(p)) && pre.is_none_or(idents) && build.is_none_or(idents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_slugs_and_never_the_hosts() {
        assert!(validate_name("prompt-injection").is_ok());
        assert!(validate_name("aiir").is_err() && validate_name("Evil\x1b").is_err() && validate_name("").is_err());
    }

    #[test]
    fn versions_are_semantic() {
        for ok in ["0.1.0", "1.2.3-rc.1", "10.0.0+build.5", "1.0.0-alpha-1"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0\x1b[2J", ""] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn info_text_has_no_controls_but_the_settings_doc_may_have_lines() {
        assert!(validate_info("x", "0.1.0", "finds things", "- `a`: one\n- `b`:\ttwo").is_ok());
        let e = validate_info("x", "0.1.0", "finds\x1b[2J things", "").unwrap_err();
        assert_eq!(e.at, "info.description");
        assert_eq!(validate_info("x", "0.1.0", "", "a\rb").unwrap_err().at, "info.settings");
        assert_eq!(validate_info("x", "1", "", "").unwrap_err().at, "info.version");
    }
}
