//! A server version (`1.22.1`, `2.4.62`), as both dialects compare them: which
//! directives exist, which defaults apply. Dialect-neutral; each dialect parses the
//! spelling it accepts with its own messages (see `nginx::grammar`, `apache::grammar`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// `MAJOR.MINOR[.PATCH]` (surrounding blanks ignored), or `None`.
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.trim().split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = match parts.next() {
            Some(p) => p?,
            None => 0,
        };
        parts
            .next()
            .is_none()
            .then_some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn parses_two_or_three_numbers() {
        assert_eq!(Version::parse("1.22.1"), Some(Version(1, 22, 1)));
        assert_eq!(Version::parse(" 2.4 "), Some(Version(2, 4, 0)));
        assert_eq!(Version::parse("1"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
        assert_eq!(Version::parse("1.x"), None);
        assert_eq!(Version::parse(""), None);
    }
}
