//! The argument semantics of httpd's read-time conditional sections, for the reader that
//! evaluates them: `<IfModule>`, `<IfDefine>`, `<IfFile>`, `<IfDirective>`, `<IfSection>`
//! (server/core.c `start_cond_section`: only the first word counts, a leading `!`
//! negates) and `<IfVersion>` (modules/metadata/mod_version.c `start_ifversion`), with
//! httpd's messages. What the first word is tested against (loaded modules, defines,
//! files) is the reader's: [`super::LoadedModules::if_module`], `if_directive`,
//! `if_section`.

use super::Version;
use super::args::getword_conf;

/// The names of the conditional sections `start_cond_section` handles.
pub const COND_SECTIONS: [&str; 5] = [
    "<IfModule",
    "<IfDefine",
    "<IfFile",
    "<IfDirective",
    "<IfSection",
];

/// `start_cond_section` on the tag's arguments (`!mod_ssl.c>`): whether the test is
/// negated and the word tested; extra words are ignored as httpd ignores them. `tag` is
/// the command name (`<IfModule`).
pub fn cond_section(tag: &str, args: &str) -> Result<(bool, String), String> {
    let negated = args.starts_with('!');
    let Some(gt) = args.rfind('>') else {
        return Err(format!("{tag}> directive missing closing '>'"));
    };
    let mut inner = &args[usize::from(negated).min(gt)..gt];
    let word = getword_conf(&mut inner);
    if word.is_empty() {
        return Err(format!("{tag}> directive requires additional arguments"));
    }
    Ok((negated, word.into_owned()))
}

const BAD_VERSION: &str = "Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers.";

/// mod_version's `compare_version`: the sign of (httpd's version - `text`).
fn compare_version(text: &str, httpd: Version) -> Result<std::cmp::Ordering, String> {
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(BAD_VERSION.to_string());
    }
    let mut parts = [0u32; 3];
    let mut count = 0;
    let mut rest = text;
    // Up to three dot-separated runs of digits; anything after them is an error.
    while count < 3 {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let after = &rest[digits..];
        if !(after.is_empty() || after.starts_with('.')) {
            return Err(BAD_VERSION.to_string());
        }
        parts[count] = super::cnum::atoi(&rest[..digits]).max(0).unsigned_abs();
        count += 1;
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None => {
                rest = "";
                break;
            }
        }
    }
    if !rest.is_empty() && count == 3 {
        return Err(BAD_VERSION.to_string());
    }
    let given = Version(parts[0], parts[1], parts[2]);
    Ok(httpd.cmp(&given))
}

/// mod_version's `match_version`: the regex against "2.4.71". A pattern PCRE compiles
/// but Rust's regex engine does not (lookaround) is taken as not matching, so the
/// block is skipped rather than a good configuration refused.
fn match_version(pattern: &str, httpd: Version) -> Result<bool, String> {
    if crate::nginx::regex::check(pattern).is_err() {
        return Err("Unable to compile regular expression".to_string());
    }
    let text = httpd.to_string();
    Ok(regex::Regex::new(pattern).is_ok_and(|re| re.is_match(&text)))
}

/// `<IfVersion [[!]operator] version>`: whether its body is read, for httpd `httpd`.
/// `args` is the tag's argument text; its count (one to three words) is checked by
/// [`super::check_args`] first, as `invoke_cmd` does.
pub fn if_version(args: &str, httpd: Version) -> Result<bool, String> {
    // TAKE123: the second and third words are read only while text remains.
    let mut rest = args.trim_start();
    let first = getword_conf(&mut rest).into_owned();
    let second = (!rest.is_empty()).then(|| getword_conf(&mut rest).into_owned());
    let third = (!rest.is_empty()).then(|| getword_conf(&mut rest).into_owned());
    let (mut op, mut version, mut close) = (first, second, third);
    if version.is_none() {
        version = Some(std::mem::replace(&mut op, "=".to_string()));
    }
    let mut version = version.unwrap_or_default();
    if close.is_none() && version == ">" {
        close = Some(">".to_string());
        version = std::mem::replace(&mut op, "=".to_string());
    }
    let closed_apart = close.as_deref() == Some(">");
    let text = if closed_apart {
        version.as_str()
    } else {
        match version.strip_suffix('>') {
            Some(v) => v,
            None => return Err("<IfVersion> directive missing closing '>'".to_string()),
        }
    };
    if version.is_empty() {
        return Err("<IfVersion> directive missing closing '>'".to_string());
    }
    let mut p = op.as_str();
    let reverse = p.starts_with('!');
    if reverse && p.len() > 1 {
        p = &p[1..];
    }
    let mut chars = p.chars();
    let c = chars.next().unwrap_or('\0');
    let tail = chars.as_str();
    let unrecognized = || Err(format!("unrecognized operator '{op}'"));
    if !(tail.is_empty() || (tail == "=" && c != '~')) {
        return unrecognized();
    }
    use std::cmp::Ordering::{Equal, Greater, Less};
    let matched = match c {
        '=' if !text.starts_with('/') => compare_version(text, httpd)? == Equal,
        '=' => {
            let inner = &text[1..];
            let Some(pattern) = inner.strip_suffix('/') else {
                return Err("Missing delimiting / of regular expression.".to_string());
            };
            match_version(pattern, httpd)?
        }
        '~' => match_version(text, httpd)?,
        '<' => {
            let ord = compare_version(text, httpd)?;
            ord == Less || (!tail.is_empty() && ord == Equal)
        }
        '>' => {
            let ord = compare_version(text, httpd)?;
            ord == Greater || (!tail.is_empty() && ord == Equal)
        }
        _ => return unrecognized(),
    };
    Ok(matched != reverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: Version = Version(2, 4, 71);

    #[test]
    fn cond_sections_take_their_first_word() {
        assert_eq!(
            cond_section("<IfModule", "mod_ssl.c>"),
            Ok((false, "mod_ssl.c".to_string()))
        );
        assert_eq!(
            cond_section("<IfModule", "!ssl_module extra>"),
            Ok((true, "ssl_module".to_string()))
        );
        assert_eq!(
            cond_section("<IfDefine", "\"A B\">"),
            Ok((false, "A B".to_string()))
        );
        assert_eq!(
            cond_section("<IfModule", "mod_ssl.c"),
            Err("<IfModule> directive missing closing '>'".to_string())
        );
        assert_eq!(
            cond_section("<IfDefine", ">"),
            Err("<IfDefine> directive requires additional arguments".to_string())
        );
        assert_eq!(
            cond_section("<IfDefine", "!>"),
            Err("<IfDefine> directive requires additional arguments".to_string())
        );
    }

    #[test]
    fn versions_compare() {
        let cases: [(&str, Result<bool, &str>); 16] = [
            ("2.4>", Ok(false)),
            ("2.4.71>", Ok(true)),
            ("= 2.4.71>", Ok(true)),
            ("== 2.4.71>", Ok(true)),
            (">= 2.4>", Ok(true)),
            ("> 2.4.71>", Ok(false)),
            ("< 2.5>", Ok(true)),
            ("<= 2.4.71>", Ok(true)),
            ("!< 2.4.60>", Ok(true)),
            (">= 2.4 >", Ok(true)),
            ("~ ^2\\.4>", Ok(true)),
            ("/^2\\.2/>", Ok(false)),
            ("= /^2\\.4/>", Ok(true)),
            (">= 2.4", Err("<IfVersion> directive missing closing '>'")),
            ("=> 2.4>", Err("unrecognized operator '=>'")),
            (">= two>", Err(BAD_VERSION)),
        ];
        for (args, expected) in cases {
            assert_eq!(
                if_version(args, V),
                expected.map_err(str::to_string),
                "{args}"
            );
        }
    }

    #[test]
    fn version_syntax_like_mod_version() {
        assert_eq!(compare_version("2.4.", V), Ok(std::cmp::Ordering::Greater));
        assert!(compare_version("2.4.1.5", V).is_err());
        assert!(compare_version("2.4a", V).is_err());
        assert_eq!(
            if_version("= /^2/x>", V),
            Err("Missing delimiting / of regular expression.".to_string())
        );
        assert_eq!(
            if_version("~ (>", V),
            Err("Unable to compile regular expression".to_string())
        );
    }
}
