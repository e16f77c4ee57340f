//! Value checks of module handlers outside the core and the proxy: mod_authz_core's
//! `Require` with the `all` and `ip` providers (mod_authz_core.c `add_authz_provider`,
//! `all_parse_config`; mod_authz_host.c `ip_parse_config` over APR's
//! `apr_ipsubnet_create`), mod_headers' `Header`/`RequestHeader` (`header_cmd`,
//! `header_inout_cmd`, `parse_format_tag`) and mod_negotiation's
//! `ForceLanguagePriority` (`set_force_priority`), with httpd's messages.
//!
//! Pure functions of a directive's arguments (the raw rest of its line, as the
//! RAW_ARGS handlers receive it).

use super::args::{getword_conf, words};

/// The authorization providers httpd's own modules register (`ap_register_auth_provider`
/// with `AUTHZ_PROVIDER_GROUP` in httpd 2.4), by module.
const AUTHZ_PROVIDERS: [(&str, &[&str]); 9] = [
    ("mod_authz_core", &["env", "all", "method", "expr"]),
    ("mod_authz_host", &["ip", "host", "forward-dns", "local"]),
    ("mod_authz_user", &["user", "valid-user"]),
    ("mod_authz_groupfile", &["group", "file-group"]),
    ("mod_authz_dbm", &["dbm-group", "dbm-file-group"]),
    ("mod_authz_dbd", &["dbd-group", "dbd-login", "dbd-logout"]),
    ("mod_authz_owner", &["file-owner", "file-group"]),
    (
        "mod_authnz_ldap",
        &[
            "ldap-user",
            "ldap-group",
            "ldap-dn",
            "ldap-attribute",
            "ldap-filter",
            "ldap-search",
        ],
    ),
    ("mod_ssl", &["ssl", "ssl-verify-client"]),
];

/// Which `Require` providers a configuration has.
#[derive(Debug, Clone, Default)]
pub struct AuthzProviders {
    /// Every registered name, when proxylint knows them all; `None` when a module it
    /// has no table for, a third-party module, or the configuration itself
    /// (`<AuthzProviderAlias>`, `AuthnzFcgiDefineProvider`, `LuaAuthzProvider`) may
    /// register more, or the loaded modules are not known (a snippet).
    names: Option<Vec<&'static str>>,
    /// mod_authz_host is loaded: `Require ip` has its provider.
    ip: bool,
}

impl AuthzProviders {
    /// The providers of the modules `loaded` holds.
    pub fn of(loaded: &super::LoadedModules) -> Self {
        let is_loaded = |name: &str| super::module(name).is_some_and(|m| loaded.is_loaded(m));
        let names = (!loaded.everything
            && loaded.foreign.is_empty()
            && loaded.iter().all(|m| !m.third_party))
        .then(|| {
            AUTHZ_PROVIDERS
                .iter()
                .filter(|(module, _)| is_loaded(module))
                .flat_map(|(_, names)| names.iter().copied())
                .collect()
        });
        AuthzProviders {
            names,
            ip: is_loaded("mod_authz_host"),
        }
    }

    /// The configuration defines providers of its own: any name may be one from now on.
    pub fn defined_in_configuration(&mut self) {
        self.names = None;
    }

    fn unknown(&self, name: &str) -> bool {
        self.names.as_ref().is_some_and(|n| !n.contains(&name))
    }
}

/// `Require [not] PROVIDER ARGS`: the provider must be registered (httpd looks its name
/// up with case), then the checks of the `all` and `ip` providers, then the negation's.
/// Other providers accept any arguments here. `any_of` is the enclosing authorization
/// section when it grants on any one line (`<RequireAny>`, the implicit one of a block,
/// `<RequireNone>`), where a negative line can grant nothing.
pub fn check_require(
    args: &str,
    providers: &AuthzProviders,
    any_of: Option<&str>,
) -> Result<(), String> {
    let mut rest = args;
    let mut provider = getword_conf(&mut rest);
    let negated = provider.eq_ignore_ascii_case("not");
    if negated {
        provider = getword_conf(&mut rest);
    }
    if providers.unknown(&provider) {
        return Err(format!("Unknown Authz provider: {provider}"));
    }
    // httpd finds providers by their registered (lower-case) names.
    match &*provider {
        // The provider receives the rest of the line as it is, not as words.
        "all" if !rest.eq_ignore_ascii_case("granted") && !rest.eq_ignore_ascii_case("denied") => {
            return Err("Argument for 'Require all' must be 'granted' or 'denied'".to_string());
        }
        "ip" if providers.ip => check_require_ip(rest)?,
        _ => {}
    }
    match any_of {
        Some(section) if negated => Err(format!(
            "negative Require directive has no effect in {section} directive"
        )),
        _ => Ok(()),
    }
}

/// The authorization section a `Require` line at `frames` (outermost first) adds to,
/// as `format_authz_command` names it, when it is an any-of one; `None` for
/// `<RequireAll>` and `<RequireNotAll>`. `<Limit>` adds no section of its own.
pub fn any_of_section(frames: &[super::context::Frame]) -> Option<&'static str> {
    use super::context::Section;
    let innermost = frames
        .iter()
        .rev()
        .find(|f| !matches!(f.section, Section::Limit | Section::LimitExcept));
    match innermost {
        Some(f) if f.section == Section::Require => {
            let name = f.name.trim_start_matches('<');
            if name.eq_ignore_ascii_case("RequireAll") || name.eq_ignore_ascii_case("RequireNotAll")
            {
                None
            } else if name.eq_ignore_ascii_case("RequireNone") {
                Some("<RequireNone>")
            } else {
                Some("<RequireAny>")
            }
        }
        _ => Some("<RequireAny>"),
    }
}

/// `ip_parse_config`: at least one address, each an IP address or subnet.
fn check_require_ip(line: &str) -> Result<(), String> {
    let list = words(line);
    if list.is_empty() {
        return Err("'require ip' requires an argument".to_string());
    }
    for word in &list {
        let (addr, mask) = match word.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (&**word, None),
        };
        match ipsubnet_create(addr, mask) {
            Ok(()) => {}
            Err(SubnetError::NotAnAddress) => {
                return Err(format!("ip address '{word}' appears to be invalid"));
            }
            Err(SubnetError::BadIp) => {
                return Err(format!(
                    "ip address '{word}' appears to be invalid: The specified IP address is invalid."
                ));
            }
            Err(SubnetError::BadMask) => {
                return Err(format!(
                    "ip address '{word}' appears to be invalid: The specified network mask is invalid."
                ));
            }
        }
    }
    Ok(())
}

/// Why `apr_ipsubnet_create` refuses (APR_EINVAL, APR_EBADIP, APR_EBADMASK).
#[derive(Debug, PartialEq, Eq)]
enum SubnetError {
    NotAnAddress,
    BadIp,
    BadMask,
}

/// `apr_ipsubnet_create(ipstr, mask_or_numbits)` (network_io/unix/sockaddr.c).
fn ipsubnet_create(ip: &str, mask: Option<&str>) -> Result<(), SubnetError> {
    // `looks_like_ip`: a colon means IPv6; else digits and dots only.
    let looks_like_ip =
        !ip.is_empty() && (ip.contains(':') || ip.bytes().all(|b| b == b'.' || b.is_ascii_digit()));
    if !looks_like_ip {
        return Err(SubnetError::NotAnAddress);
    }
    // `parse_ip`: IPv6 (not v4-mapped), else a dotted quad, else (without a mask) a
    // network prefix such as `10.1`.
    let v6 = ip.parse::<std::net::Ipv6Addr>().ok();
    if v6.is_some_and(|a| a.to_ipv4_mapped().is_some()) {
        return Err(SubnetError::BadIp);
    }
    let v4 = v6.is_none() && inet_pton4(ip);
    if v6.is_none() && !v4 {
        if mask.is_some() || !network_prefix(ip) {
            return Err(SubnetError::BadIp);
        }
        return Ok(());
    }
    let Some(mask) = mask else { return Ok(()) };
    let max = if v6.is_some() { 128 } else { 32 };
    // `strtol` reading the whole mask: blanks, an optional sign, digits and nothing
    // after them (a minus sign makes the count too small anyway).
    let unsigned = mask.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let digits = unsigned.strip_prefix('+').unwrap_or(unsigned);
    let bits_ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.parse::<u64>().is_ok_and(|b| b > 0 && b <= max);
    if bits_ok || (v4 && inet_pton4(mask)) {
        Ok(())
    } else {
        Err(SubnetError::BadMask)
    }
}

/// APR's `inet_pton4`: four decimal octets of at most 255, dots between them, nothing
/// else.
fn inet_pton4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 255)
        })
}

/// `parse_network`: the legacy `a.b.c.` form: one to four octets of digits, each
/// followed by a dot or the end, at most 15 bytes.
fn network_prefix(s: &str) -> bool {
    if s.len() > "255.255.255.255".len() {
        return false;
    }
    let mut octets = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        let (number, after) = rest.split_at(digits);
        rest = match after.as_bytes().first() {
            Some(b'.') => &after[1..],
            Some(_) => return false,
            None => after,
        };
        octets += 1;
        // `atoi` of the digits: beyond 255 (or overflowing) is refused either way.
        if octets > 4 || number.parse::<u32>().map_or(true, |n| n > 255) {
            return false;
        }
    }
    true
}

/// `header_cmd` and `header_inout_cmd` for `Header` (`name` "Header") and
/// `RequestHeader`: the words, the action, the arguments each action takes, the env
/// clause and the format tags of the value. `expr=` expressions are not parsed here.
pub fn check_header(name: &str, args: &str) -> Result<(), String> {
    let mut rest = args;
    let mut action = getword_conf(&mut rest);
    // `Header` takes a condition first (which table it fills: no check depends on it).
    if name == "Header"
        && (action.eq_ignore_ascii_case("always") || action.eq_ignore_ascii_case("onsuccess"))
    {
        action = getword_conf(&mut rest);
    }
    let hdr = getword_conf(&mut rest);
    let mut next = || (!rest.is_empty()).then(|| getword_conf(&mut rest));
    let mut value = next();
    let subs = next();
    let mut envclause = next();
    if !rest.is_empty() {
        return Err(format!("{name} has too many arguments"));
    }
    const ACTIONS: &[&str] = &[
        "set",
        "setifempty",
        "add",
        "append",
        "merge",
        "unset",
        "echo",
        "edit",
        "edit*",
        "note",
    ];
    let Some(action) = ACTIONS
        .iter()
        .find(|a| a.eq_ignore_ascii_case(&action))
        .copied()
    else {
        return Err(
            "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', \
                    'unset', 'echo', 'note', 'edit', or 'edit*'."
                .to_string(),
        );
    };
    let edit = matches!(action, "edit" | "edit*");
    let mut format = value.clone();
    if edit {
        let Some(subs) = &subs else {
            return Err("Header edit requires a match and a substitution".to_string());
        };
        if value.as_deref().is_some_and(super::handlers::bad_regex) {
            return Err("Header edit regex could not be compiled".to_string());
        }
        format = Some(subs.clone());
    } else {
        if envclause.is_some() {
            return Err("Too many arguments to directive".to_string());
        }
        envclause = subs;
    }
    // `unset` and `echo` take no value: a third word is their env clause.
    if matches!(action, "unset" | "echo") && value.is_some() {
        if envclause.is_some() {
            return Err(if action == "unset" {
                "header unset takes two arguments".to_string()
            } else {
                "Header echo takes two arguments".to_string()
            });
        }
        envclause = value.take();
    }
    match action {
        "unset" => {}
        "echo" => {
            if name != "Header" {
                return Err("Header echo only valid on Header directives".to_string());
            }
            if super::handlers::bad_regex(&hdr) {
                return Err("Header echo regex could not be compiled".to_string());
            }
        }
        _ if value.is_none() => return Err("Header requires three arguments".to_string()),
        _ => {}
    }
    if let Some(clause) = &envclause {
        let lower = clause.to_ascii_lowercase();
        // `expr=` clauses are not parsed here: accepted.
        if lower.starts_with("env=") {
            if matches!(&clause[4..], "" | "!") {
                return Err("error: missing environment variable name. \
                            envclause should be in the form env=envar "
                    .to_string());
            }
        } else if lower != "early" && !lower.starts_with("expr=") {
            return Err(format!("Unknown parameter: {clause}"));
        }
    }
    match action {
        "unset" | "echo" => Ok(()),
        _ => format
            .as_deref()
            .filter(|f| !f.starts_with("expr="))
            .map_or(Ok(()), check_format_tags),
    }
}

/// `parse_format_tag` over a value: every `%` starts a tag (`%%` and a final `%` are
/// literal), `%{arg}` may precede the tag letter, and the letter must be one
/// mod_headers registers.
fn check_format_tags(value: &str) -> Result<(), String> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        match bytes.get(i) {
            None => return Ok(()),
            Some(b'%') => {
                i += 1;
                continue;
            }
            Some(b'{') => {
                // `ap_getword(..., '}')`: up to the brace, or the end of the value.
                i = match bytes[i..].iter().position(|&b| b == b'}') {
                    Some(close) => i + close + 1,
                    None => bytes.len(),
                };
            }
            Some(_) => {}
        }
        let tag = value[i..].chars().next();
        if !matches!(tag, Some('D' | 't' | 'e' | 's' | 'l' | 'i' | 'b')) {
            return Err(format!(
                "Unrecognized header format %{}",
                tag.map(String::from).unwrap_or_default()
            ));
        }
        i += 1;
    }
    Ok(())
}

/// `set_force_priority` over each word (ITERATE): None, Prefer or Fallback, None alone.
/// httpd also remembers earlier lines of the same section; this checks one line.
pub fn check_force_priority(args: &str) -> Result<(), String> {
    let (mut none, mut other) = (false, false);
    for w in words(args) {
        if w.eq_ignore_ascii_case("None") {
            if other {
                return Err("Cannot combine ForceLanguagePriority options with None".to_string());
            }
            none = true;
        } else if w.eq_ignore_ascii_case("Prefer") || w.eq_ignore_ascii_case("Fallback") {
            if none {
                return Err(format!(
                    "Cannot combine ForceLanguagePriority options None and {}",
                    if w.eq_ignore_ascii_case("Prefer") {
                        "Prefer"
                    } else {
                        "Fallback"
                    }
                ));
            }
            other = true;
        } else {
            return Err(format!("Invalid ForceLanguagePriority option {w}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Option<&str> = Some("<RequireAny>");

    /// Any provider name accepted; `ip` checked when `ip`.
    fn providers(ip: bool) -> AuthzProviders {
        AuthzProviders { names: None, ip }
    }

    #[test]
    fn require_needs_a_registered_provider() {
        let mut loaded = super::super::LoadedModules::builtin();
        for m in ["mod_authz_core", "mod_authz_host"] {
            loaded.load(super::super::module(m).expect(m));
        }
        let known = AuthzProviders::of(&loaded);
        assert_eq!(check_require("host example.org", &known, ANY), Ok(()));
        assert_eq!(
            check_require("valid-user", &known, ANY),
            Err("Unknown Authz provider: valid-user".to_string())
        );
        assert_eq!(
            check_require("All granted", &known, ANY),
            Err("Unknown Authz provider: All".to_string())
        );
        // A module proxylint has no table for may register any name.
        assert!(
            loaded
                .load_module("auth_custom_module", "mod_auth_custom.so")
                .is_ok()
        );
        assert_eq!(
            check_require("custom x", &AuthzProviders::of(&loaded), ANY),
            Ok(())
        );
        let mut aliased = known.clone();
        aliased.defined_in_configuration();
        assert_eq!(check_require("my-alias", &aliased, ANY), Ok(()));
    }

    #[test]
    fn require_all_takes_granted_or_denied_as_the_whole_rest() {
        assert!(check_require("all granted", &providers(true), ANY).is_ok());
        assert!(check_require("all DENIED", &providers(true), ANY).is_ok());
        assert!(check_require("not all denied", &providers(true), None).is_ok());
        for bad in ["all", "all granted extra", "all allowed"] {
            assert_eq!(
                check_require(bad, &providers(true), ANY).unwrap_err(),
                "Argument for 'Require all' must be 'granted' or 'denied'",
                "{bad}"
            );
        }
        // Other providers are not checked.
        assert!(check_require("valid-user", &providers(true), ANY).is_ok());
        assert!(check_require("env anything at all", &providers(true), ANY).is_ok());
    }

    #[test]
    fn require_ip_checks_every_address_as_apr_does() {
        for ok in [
            "ip 10.0.0.1",
            "ip 10.1",
            "ip 10.1.",
            "ip 192.168.0.0/16 ::1 fe80::/10",
            "ip 10.0.0.0/255.0.0.0",
        ] {
            assert_eq!(check_require(ok, &providers(true), ANY), Ok(()), "{ok}");
        }
        let invalid = "appears to be invalid: The specified";
        for (args, message) in [
            ("ip", "'require ip' requires an argument".to_string()),
            (
                "ip 10.0.0.1 extra",
                "ip address 'extra' appears to be invalid".to_string(),
            ),
            (
                "ip 10.0.0.256",
                format!("ip address '10.0.0.256' {invalid} IP address is invalid."),
            ),
            (
                "ip 10.1/8",
                format!("ip address '10.1/8' {invalid} IP address is invalid."),
            ),
            (
                "ip 10.0.0.0/33",
                format!("ip address '10.0.0.0/33' {invalid} network mask is invalid."),
            ),
            (
                "ip ::ffff:10.0.0.1",
                format!("ip address '::ffff:10.0.0.1' {invalid} IP address is invalid."),
            ),
        ] {
            assert_eq!(
                check_require(args, &providers(true), ANY),
                Err(message),
                "{args}"
            );
        }
        // Without mod_authz_host there is no `ip` provider to check with.
        assert!(check_require("ip", &providers(false), ANY).is_ok());
    }

    #[test]
    fn a_negative_require_needs_an_all_of_section() {
        assert!(check_require("not ip 127.0.0.1", &providers(true), None).is_ok());
        assert_eq!(
            check_require("not ip 127.0.0.1", &providers(true), ANY).unwrap_err(),
            "negative Require directive has no effect in <RequireAny> directive"
        );
        // The provider's own check comes first.
        assert_eq!(
            check_require("not all maybe", &providers(true), ANY).unwrap_err(),
            "Argument for 'Require all' must be 'granted' or 'denied'"
        );
    }

    #[test]
    fn header_counts_arguments_per_action() {
        for ok in [
            "set X-Frame-Options SAMEORIGIN",
            "always set Strict-Transport-Security \"max-age=63072000\"",
            "unset X-Powered-By",
            "always unset X-Powered-By env=NOPE",
            "edit Set-Cookie ^(.*)$ $1;HttpOnly",
            "set X-Time \"%D %t %{FOO}e\"",
            "set X-Early 1 early",
            "echo ^X-",
            "set X-Expr expr=%{REQUEST_URI}",
            "set X-Percent \"100%\"",
        ] {
            assert_eq!(check_header("Header", ok), Ok(()), "{ok}");
        }
        for (args, message) in [
            ("set X-Frame-Options", "Header requires three arguments"),
            (
                "frob X-A b",
                "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'.",
            ),
            ("set X-A b env=X c d", "Header has too many arguments"),
            ("set X-A b env=X", "Ok"),
            ("set X-A b c d", "Too many arguments to directive"),
            ("unset X-A b c", "header unset takes two arguments"),
            (
                "edit X-A b",
                "Header edit requires a match and a substitution",
            ),
            ("set X-A b sometimes", "Unknown parameter: sometimes"),
            (
                "set X-A b env=",
                "error: missing environment variable name. envclause should be in the form env=envar ",
            ),
            ("set X-A %q", "Unrecognized header format %q"),
        ] {
            let got = check_header("Header", args)
                .err()
                .unwrap_or_else(|| "Ok".to_string());
            assert_eq!(got, message, "{args}");
        }
        assert_eq!(
            check_header("RequestHeader", "echo X").unwrap_err(),
            "Header echo only valid on Header directives"
        );
        assert_eq!(
            check_header("RequestHeader", "always set X y").unwrap_err(),
            "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."
        );
    }

    #[test]
    fn force_language_priority_takes_prefer_fallback_or_none_alone() {
        assert!(check_force_priority("Prefer Fallback").is_ok());
        assert!(check_force_priority("none").is_ok());
        assert_eq!(
            check_force_priority("\"Prefer Fallback").unwrap_err(),
            "Invalid ForceLanguagePriority option Prefer Fallback"
        );
        assert_eq!(
            check_force_priority("Prefer None").unwrap_err(),
            "Cannot combine ForceLanguagePriority options with None"
        );
        assert_eq!(
            check_force_priority("None Fallback").unwrap_err(),
            "Cannot combine ForceLanguagePriority options None and Fallback"
        );
    }
}
