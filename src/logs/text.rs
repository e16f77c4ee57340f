//! Substring search and hashing on the hot path. `str::find(&str)` sets up a two-way
//! searcher per call and `memmem::find` builds a finder per call; both dominated profiles at
//! millions of lines per second. Needles here are constants, so each gets a finder built
//! once ([`finder!`]); two-byte needles use a plain memchr scan.

use std::hash::{BuildHasherDefault, Hasher};

use memchr::memmem::{Finder, FinderRev};

/// A forward finder for a constant needle, built once per call site.
macro_rules! finder {
    ($needle:expr) => {{
        static F: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        &*F
    }};
}

/// A reverse finder for a constant needle, built once per call site.
macro_rules! finder_rev {
    ($needle:expr) => {{
        static F: std::sync::LazyLock<memchr::memmem::FinderRev<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::FinderRev::new($needle));
        &*F
    }};
}

pub(crate) use {finder, finder_rev};

pub fn find(hay: &str, f: &Finder<'_>) -> Option<usize> {
    f.find(hay.as_bytes())
}

pub fn rfind(hay: &str, f: &FinderRev<'_>) -> Option<usize> {
    f.rfind(hay.as_bytes())
}

pub fn contains(hay: &str, f: &Finder<'_>) -> bool {
    f.find(hay.as_bytes()).is_some()
}

/// `str::split_once` with a constant separator.
pub fn split_once<'a>(s: &'a str, f: &Finder<'_>) -> Option<(&'a str, &'a str)> {
    let at = f.find(s.as_bytes())?;
    Some((&s[..at], &s[at + f.needle().len()..]))
}

/// Position of a two-byte needle (`"] "`, `": "`, `", "`): memchr on the first byte.
pub fn find2(hay: &str, needle: [u8; 2]) -> Option<usize> {
    let b = hay.as_bytes();
    memchr::memchr_iter(needle[0], b).find(|&i| b.get(i + 1) == Some(&needle[1]))
}

/// `str::split_once` with a two-byte separator.
pub fn split_once2(s: &str, needle: [u8; 2]) -> Option<(&str, &str)> {
    find2(s, needle).map(|i| (&s[..i], &s[i + 2..]))
}

/// A fast multiplicative hasher (FxHash's mix over 8-byte words) for in-memory tables;
/// not for anything an attacker could key to collide on purpose at scale, which a log
/// line cannot do beyond slowing one lookup.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    /// The multiply leaves the low bits weak (they depend only on the low bits of the last
    /// word), and hash tables index by low bits: finish with murmur3's avalanche.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }
}

/// For tables keyed by a hash already computed: the key is its own hash.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = FastHasher(self.0);
        h.write(bytes);
        self.0 = h.finish();
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type IdBuild = BuildHasherDefault<IdHasher>;

pub fn hash(bytes: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finders_and_two_byte_search() {
        assert_eq!(find("a, client: b", finder!(", client: ")), Some(1));
        assert_eq!(rfind("x while y while z", finder_rev!(" while ")), Some(9));
        assert_eq!(find2("a]b] c", *b"] "), Some(3));
        assert_eq!(split_once2("k: v: w", *b": "), Some(("k", "v: w")));
        assert_ne!(hash(b"abc"), hash(b"abd"));
        assert_ne!(hash(b"abcdefgh1"), hash(b"abcdefgh2"));
    }
}
