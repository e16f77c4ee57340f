//! Substring search and hashing on the hot path. `str::find(&str)` sets up a two-way
//! searcher per call and a `memmem` searcher has its own setup and dispatch; on the short
//! haystacks of one log line (a message of ~100 bytes) both cost more than the search, and
//! they dominated profiles at millions of lines per second. Needles here are short
//! constants, so a search is a byte search for one byte of the needle that is rare in log
//! text (its anchor) and a comparison around each hit. Byte searches look at the first
//! bytes eight at a time in a register (most separators are close), then call memchr.

use std::hash::{BuildHasher, Hasher};

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
/// Bytes looked at in registers before a byte search hands over to memchr, whose call and
/// setup (~60 instructions) cost more than the search over short distances.
const NEAR_BYTES: usize = 32;

/// Bit 7 is set in the bytes of the result where `x` has a zero byte: exactly for the
/// lowest one (a borrow may mark bytes above it), which is all a first match needs.
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LO) & !x & HI
}

/// Index of the first `a` in `hay` (`memchr`, quicker when it is near).
#[inline]
pub fn find_byte(a: u8, hay: &[u8]) -> Option<usize> {
    let pa = LO * u64::from(a);
    let mut i = 0;
    while let Some(chunk) = hay.get(i..i + 8) {
        if i >= NEAR_BYTES {
            return memchr::memchr(a, &hay[i..]).map(|p| i + p);
        }
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let found = zero_bytes(u64::from_le_bytes(word) ^ pa);
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = hay.get(i..)?;
    rest.iter().position(|&c| c == a).map(|p| i + p)
}

/// Index of the first `a` or `b` in `hay` (`memchr2`, quicker when it is near).
#[inline]
pub fn find_byte2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let (pa, pb) = (LO * u64::from(a), LO * u64::from(b));
    let mut i = 0;
    while let Some(chunk) = hay.get(i..i + 8) {
        if i >= NEAR_BYTES {
            return memchr::memchr2(a, b, &hay[i..]).map(|p| i + p);
        }
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        // Each mask is exact at its lowest bit, so the lowest bit of both is too.
        let found = zero_bytes(w ^ pa) | zero_bytes(w ^ pb);
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = hay.get(i..)?;
    rest.iter().position(|&c| c == a || c == b).map(|p| i + p)
}

/// Start of the first occurrence of `needle` in `hay`, found through the needle's byte at
/// `anchor` (`'w'` for `" while "`: spaces are everywhere, `w` is not).
#[inline]
pub fn find_at(hay: &str, needle: &str, anchor: usize) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let a = n[anchor];
    let mut from = anchor;
    while from < h.len() {
        let p = from + find_byte(a, &h[from..])?;
        let start = p - anchor;
        if h[start..].starts_with(n) {
            return Some(start);
        }
        from = p + 1;
    }
    None
}

/// Start of the last occurrence of `needle` in `hay` (see [`find_at`]).
#[inline]
pub fn rfind_at(hay: &str, needle: &str, anchor: usize) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let a = n[anchor];
    // Anchor positions that leave room for the whole needle are below `hi`.
    let mut hi = (h.len() + anchor + 1).checked_sub(n.len())?;
    loop {
        let p = memchr::memrchr(a, &h[..hi])?;
        let start = p.checked_sub(anchor)?;
        if h[start..].starts_with(n) {
            return Some(start);
        }
        hi = p;
    }
}

/// Position of a two-byte needle (`"] "`, `": "`, `", "`).
#[inline]
pub fn find2(hay: &str, needle: [u8; 2]) -> Option<usize> {
    let b = hay.as_bytes();
    let mut from = 0;
    while from < b.len() {
        let i = from + find_byte(needle[0], &b[from..])?;
        if b.get(i + 1) == Some(&needle[1]) {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// `str::split_once` with a two-byte separator.
pub fn split_once2(s: &str, needle: [u8; 2]) -> Option<(&str, &str)> {
    find2(s, needle).map(|i| (&s[..i], &s[i + 2..]))
}

/// `s.parse::<u64>().ok()`, with the common case (a plain run of up to 19 digits, which
/// cannot overflow) folded inline; anything else goes to the standard parser, so signs,
/// overflow and empty strings behave exactly as `str::parse` does.
#[inline]
pub fn parse_u64(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 19 {
        let mut v = 0u64;
        for &c in b {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return s.parse().ok();
            }
            v = v * 10 + u64::from(d);
        }
        return Some(v);
    }
    s.parse().ok()
}

/// `s.parse::<u32>().ok()`, fast for up to 9 digits (see [`parse_u64`]).
#[inline]
pub fn parse_u32(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 9 && b.iter().all(u8::is_ascii_digit) {
        return Some(
            b.iter()
                .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0')),
        );
    }
    s.parse().ok()
}

/// A hasher for values compared by their hash (the verdict cache, template
/// fingerprints, top-k names): foldhash with a fixed seed, so runs are reproducible.
pub fn hasher() -> foldhash::fast::FoldHasher<'static> {
    foldhash::fast::FixedState::default().build_hasher()
}

pub fn hash(bytes: &[u8]) -> u64 {
    let mut h = hasher();
    h.write(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_and_two_byte_search() {
        assert_eq!(find_at("a, client: b", ", client: ", 2), Some(1));
        assert_eq!(find_at("a, clien", ", client: ", 2), None);
        assert_eq!(rfind_at("x while y while z", " while ", 1), Some(9));
        assert_eq!(rfind_at(" while", " while ", 1), None);
        assert_eq!(rfind_at("while ", " while ", 1), None);
        assert_eq!(rfind_at(" while ", " while ", 1), Some(0));
        assert_eq!(find2("a]b] c", *b"] "), Some(3));
        assert_eq!(find2("0123456789abcde] x", *b"] "), Some(15));
        assert_eq!(find2("0123456789abcdefghij] x", *b"] "), Some(20));
        assert_eq!(find2("]]]", *b"] "), None);
        assert_eq!(split_once2("k: v: w", *b": "), Some(("k", "v: w")));
        assert_ne!(hash(b"abc"), hash(b"abd"));
        assert_ne!(hash(b"abcdefgh1"), hash(b"abcdefgh2"));
    }

    /// The searches above must agree with `str`'s on any input (they replace it on the
    /// hot path), including overlapping and truncated needles.
    #[test]
    fn searches_agree_with_std() {
        let hays = [
            "",
            "w",
            " while",
            " while ",
            "a while b while ",
            " whil while  while ",
            "(( (a) (b",
            ", , referer: x, referer: ",
            "\u{e9} while \u{e9}",
            "]] ]]] ",
            "0123456789ab while cd",
            "0123456789abc while ",
            "0123456789abcdefghij while ",
        ];
        for hay in hays {
            for (needle, anchor) in [(" while ", 1), (", referer: ", 2), (" (", 1), ("] ", 0)] {
                assert_eq!(
                    find_at(hay, needle, anchor),
                    hay.find(needle),
                    "{hay:?} {needle:?}"
                );
                assert_eq!(
                    rfind_at(hay, needle, anchor),
                    hay.rfind(needle),
                    "{hay:?} {needle:?}"
                );
            }
            for pair in [*b"] ", *b": ", *b", "] {
                let needle = std::str::from_utf8(&pair).unwrap_or_default();
                assert_eq!(find2(hay, pair), hay.find(needle), "{hay:?}");
            }
        }
        let long = "0123456789abcdef0123456789abcdef0123456789\"x?";
        for (i, _) in long.char_indices() {
            let hay = &long.as_bytes()[i..];
            for a in [b'0', b'x', b'"', b'?', b'f', b'#'] {
                let want = hay.iter().position(|&c| c == a);
                assert_eq!(find_byte(a, hay), want, "{i} {a}");
                let want2 = hay.iter().position(|&c| c == a || c == b'?');
                assert_eq!(find_byte2(a, b'?', hay), want2, "{i} {a}");
            }
        }
        for s in [
            "",
            "0",
            "+1",
            "-1",
            "007",
            "18446744073709551615",
            "18446744073709551616",
            "1 ",
            "\u{661}",
        ] {
            assert_eq!(parse_u64(s), s.parse().ok(), "{s:?}");
            assert_eq!(parse_u32(s), s.parse().ok(), "{s:?}");
        }
    }
}
