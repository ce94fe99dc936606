//! Ordering version labels, to tell a rollback from an upgrade.

use std::cmp::Ordering;

/// A version label read as dotted numbers: `v2.10.0-rc1+build7` is core `[2, 10, 0]`,
/// pre-release `rc1`; the build part is ignored.
#[derive(Debug, PartialEq)]
struct Version<'a> {
    core: Vec<u64>,
    pre: Option<&'a str>,
}

impl<'a> Version<'a> {
    fn parse(label: &'a str) -> Option<Self> {
        let label = label.trim();
        let label = label.strip_prefix(['v', 'V']).unwrap_or(label);
        let label = label.split_once('+').map_or(label, |(head, _)| head);
        let (core, pre) = match label.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (label, None),
        };
        let core: Option<Vec<u64>> = core.split('.').map(|n| n.parse().ok()).collect();
        Some(Self { core: core?, pre })
    }
}

/// How version `a` compares with `b`, when both read as dotted numbers; `None` when
/// either does not (`latest`, a commit hash), since then no order is known.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (Version::parse(a)?, Version::parse(b)?);
    let width = a.core.len().max(b.core.len());
    let at = |v: &Version<'_>, i: usize| v.core.get(i).copied().unwrap_or(0);
    let core = (0..width).map(|i| at(&a, i).cmp(&at(&b, i))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal);
    // A pre-release comes before its release: 2.0.0-rc1 < 2.0.0.
    let pre = match (a.pre, b.pre) {
        (None, None) => Ordering::Equal,
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    };
    Some(core.then(pre))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn dotted_numbers_compare_numerically() {
        assert_eq!(compare("2.3.1", "2.10.0"), Some(Less));
        assert_eq!(compare("v1.4.0", "1.2.0"), Some(Greater));
        assert_eq!(compare("2.3", "2.3.0"), Some(Equal));
        assert_eq!(compare("2.3.1+build.7", "2.3.1"), Some(Equal));
    }

    #[test]
    fn pre_releases_come_before_their_release() {
        assert_eq!(compare("2.0.0-rc1", "2.0.0"), Some(Less));
        assert_eq!(compare("2.0.0-rc2", "2.0.0-rc1"), Some(Greater));
        assert_eq!(compare("2.0.0-rc1", "1.9.9"), Some(Greater));
    }

    #[test]
    fn labels_that_are_not_numbers_have_no_order() {
        assert_eq!(compare("latest", "2.0.0"), None);
        assert_eq!(compare("2.0.0", "9f86d08"), None);
        assert_eq!(compare("", "1"), None);
    }
}
