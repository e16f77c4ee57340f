//! Substring search on the hot path. `str::find(&str)` sets up a two-way searcher per call,
//! which dominated profiles at millions of lines per second; memchr's memmem is SIMD-backed
//! and cheap to start for the short needles the parser uses.

use memchr::memmem;

pub fn find(hay: &str, needle: &str) -> Option<usize> {
    memmem::find(hay.as_bytes(), needle.as_bytes())
}

pub fn rfind(hay: &str, needle: &str) -> Option<usize> {
    memmem::rfind(hay.as_bytes(), needle.as_bytes())
}

pub fn contains(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// `str::split_once` with a string separator, via memmem.
pub fn split_once<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    find(s, sep).map(|i| (&s[..i], &s[i + sep.len()..]))
}
