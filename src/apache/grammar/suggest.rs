//! Did-you-mean for unknown directive names: the closest name a Linux build of httpd
//! (any module, loaded or not) knows, within two edits, compared without case
//! ([`crate::suggest::EditIndex`]: names bucketed by length once, so a lookup compares
//! with the few names of a similar length, and huge names get no suggestion).

use std::sync::OnceLock;

use super::{DEFS, Version};
use crate::suggest::EditIndex;

/// The known name closest to `name` (at most two edits: insertion, deletion,
/// substitution or transposition), among names available in `version`.
pub(super) fn closest(name: &str, version: Version) -> Option<&'static str> {
    static INDEX: OnceLock<EditIndex> = OnceLock::new();
    INDEX
        .get_or_init(|| EditIndex::new(DEFS.iter().map(|def| def.name)))
        .closest(name, |known| {
            super::defs(known).any(|def| def.available(version))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apache::grammar::DEFAULT_VERSION;

    #[test]
    fn suggests_names_within_two_edits() {
        assert_eq!(closest("ProxyPas", DEFAULT_VERSION), Some("ProxyPass"));
        assert_eq!(
            closest("proxypasreverse", DEFAULT_VERSION),
            Some("ProxyPassReverse")
        );
        assert_eq!(closest("ServerNmae", DEFAULT_VERSION), Some("ServerName"));
        assert_eq!(
            closest("<VirtualHots", DEFAULT_VERSION),
            Some("<VirtualHost")
        );
    }

    #[test]
    fn no_suggestion_for_far_or_huge_names() {
        assert_eq!(closest("Qqqqqqqqqqqqq", DEFAULT_VERSION), None);
        assert_eq!(closest("", DEFAULT_VERSION), None);
        assert_eq!(closest(&"x".repeat(100_000), DEFAULT_VERSION), None);
    }

    #[test]
    fn short_names_allow_one_edit() {
        assert_eq!(closest("Uss", DEFAULT_VERSION), Some("Use"));
        assert_eq!(closest("Uxx", DEFAULT_VERSION), None);
    }

    #[test]
    fn names_of_other_builds_are_not_suggested() {
        // TLSEngine (mod_tls) left httpd after 2.4.62.
        assert_ne!(closest("TLSEngin", DEFAULT_VERSION), Some("TLSEngine"));
    }
}
