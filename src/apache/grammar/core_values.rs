//! Value checks of the core's handlers (server/core.c, server/listen.c of httpd 2.4)
//! that `apache2 -t` refuses a configuration for: `Options`, `AllowOverride`,
//! `AllowOverrideList`, the keyword directives (`ServerSignature`, `ServerTokens`,
//! `HostnameLookups`...), the request limits, `ErrorDocument`'s status code, `LogLevel`,
//! `FileETag`, `HttpProtocolOptions`, `ProtocolsHonorOrder`, `MaxMemFree`,
//! `ThreadStackSize`, `Error`, `RegexDefaultOptions`, `CGIVar`, `ServerAlias` outside a
//! virtual host, and the listeners' `SendBufferSize` and `ListenCoresBucketsRatio`, with
//! httpd's messages.
//!
//! Pure functions of a directive's arguments (the raw rest of its line: each check takes
//! its words as the handler's argument kind hands them over), where it is and which
//! modules are loaded.

use super::LoadedModules;
use super::args::{first_word, getword_conf, one_of, words};
use super::cnum::{atoi, atol, strtol};
use crate::apache::expr;

/// Where a core directive is, as its handler sees it.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    /// Inside a `<VirtualHost>` (`cmd->server->is_virtual`).
    pub in_vhost: bool,
    pub loaded: &'a LoadedModules,
}

/// httpd's verdict on core directive `name` with arguments `args`; directives without a
/// value check here accept anything.
pub fn check(name: &str, args: &str, at: At<'_>) -> Result<(), String> {
    let first = || first_word(args);
    match name {
        "Options" => options(args),
        "AllowOverride" => allow_override(args),
        "AllowOverrideList" => allow_override_list(args),
        "ServerAlias" if !at.in_vhost => Err("ServerAlias only used in <VirtualHost>".into()),
        "ServerSignature" => one_of(
            &first(),
            &["On", "Off", "EMail"],
            "ServerSignature: use one of: off | on | email",
        ),
        "ServerTokens" => one_of(
            &first(),
            &[
                "OS",
                "Min",
                "Minimal",
                "Major",
                "Minor",
                "Prod",
                "ProductOnly",
                "Full",
            ],
            "ServerTokens takes 1 argument: 'Prod(uctOnly)', 'Major', 'Minor', 'Min(imal)', 'OS', or 'Full'",
        ),
        "HostnameLookups" => one_of(
            &first(),
            &["on", "off", "double"],
            "parameter must be 'on', 'off', or 'double'",
        ),
        "UseCanonicalName" => one_of(
            &first(),
            &["on", "off", "dns"],
            "parameter must be 'on', 'off', or 'dns'",
        ),
        "UseCanonicalPhysicalPort" | "EnableMMAP" | "EnableSendfile" => {
            one_of(&first(), &["on", "off"], "parameter must be 'on' or 'off'")
        }
        "AcceptPathInfo" => one_of(
            &first(),
            &["on", "off", "default"],
            "AcceptPathInfo must be set to on, off or default",
        ),
        "AllowEncodedSlashes" => one_of(
            &first(),
            &["on", "off", "nodecode"],
            "AllowEncodedSlashes must be On, Off, or NoDecode",
        ),
        "TraceEnable" => one_of(
            &first(),
            &["on", "off", "extended"],
            "TraceEnable must be one of 'on', 'off', or 'extended'",
        ),
        "LimitRequestLine" | "LimitRequestFieldsize" | "LimitRequestFields" => {
            let arg = first();
            if atoi(&arg) >= 0 {
                return Ok(());
            }
            let zero = if name == "LimitRequestFields" {
                " (0 = no limit)"
            } else {
                ""
            };
            Err(format!(
                "{name} \"{arg}\" must be a non-negative integer{zero}"
            ))
        }
        "LimitRequestBody" => limit_request_body(&first()),
        "LimitXMLRequestBody" => limit_xml_request_body(&first()),
        "MaxRanges" | "MaxRangeOverlaps" | "MaxRangeReversals" => {
            let arg = first();
            if ["none", "default", "unlimited"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&arg))
                || atoi(&arg) > 0
            {
                Ok(())
            } else {
                Err(format!(
                    "{name} requires 'none', 'default', 'unlimited' or a positive integer"
                ))
            }
        }
        "LimitInternalRecursion" => {
            if words(args).iter().all(|w| atoi(w) > 0) {
                Ok(())
            } else {
                Err("The recursion limit must be greater than zero.".into())
            }
        }
        "ErrorDocument" => error_document(args, at.loaded),
        "SetHandler" => expr::check_string(&first(), at.loaded)
            .map_err(|e| format!("Can't parse expression : {e}")),
        "FileETag" => file_etag(args),
        "Error" => Err(error_message(args)),
        "RegexDefaultOptions" => regex_default_options(args),
        "CGIVar" => {
            let w = words(args);
            match (w.first().map(|v| &**v), w.get(1)) {
                (Some("REQUEST_URI"), Some(rule))
                    if !["current-uri", "original-uri"]
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(rule)) =>
                {
                    Err("Valid rules for REQUEST_URI are 'current-uri' and 'original-uri'".into())
                }
                (Some("REQUEST_URI"), _) => Ok(()),
                (var, _) => Err(format!(
                    "Unrecognized CGI variable: \"{}\"",
                    var.unwrap_or_default()
                )),
            }
        }
        "LogLevel" => words(args).iter().try_for_each(|w| log_level(w, at.loaded)),
        "MaxMemFree" | "ThreadStackSize" => {
            let arg = first();
            match strtol(&arg) {
                (value, _, false) if value.unwrap_or(0) >= 0 => Ok(()),
                _ => Err(format!("Invalid {name} value: {arg}")),
            }
        }
        "ProtocolsHonorOrder" => one_of(
            &first(),
            &["on", "off"],
            "ProtocolsHonorOrder must be 'on' or 'off'",
        ),
        "SendBufferSize" => {
            let s = atoi(&first());
            if s < 512 && s != 0 {
                Err("SendBufferSize must be >= 512 bytes, or 0 for system default.".into())
            } else {
                Ok(())
            }
        }
        "ListenCoresBucketsRatio" if atoi(&first()) < 1 => {
            Err("ListenCoresBucketsRatio must be > 0".into())
        }
        _ => Ok(()),
    }
}

/// The option names `Options` and `AllowOverride Options=` know, and whether the name is
/// `None` or `All` (which must come first and alone in their kind).
fn option(word: &str) -> Option<bool> {
    const NAMES: [&str; 8] = [
        "Indexes",
        "Includes",
        "IncludesNOEXEC",
        "FollowSymLinks",
        "SymLinksIfOwnerMatch",
        "ExecCGI",
        "MultiViews",
        "RunScripts",
    ];
    if word.eq_ignore_ascii_case("None") || word.eq_ignore_ascii_case("All") {
        Some(true)
    } else {
        NAMES
            .iter()
            .any(|n| n.eq_ignore_ascii_case(word))
            .then_some(false)
    }
}

/// `set_options`: all options with `+`/`-` or none (after a leading `None`/`All`);
/// `None`/`All` only first and without a sign.
fn options(args: &str) -> Result<(), String> {
    const MIXED: &str = "Either all Options must start with + or -, or no Option may.";
    let (mut first, mut merge, mut all_none) = (true, false, false);
    let mut rest = args;
    while !rest.is_empty() {
        let word = getword_conf(&mut rest);
        let signed = word.starts_with(['+', '-']);
        let name = if signed { &word[1..] } else { &*word };
        if signed {
            if !merge && !first && !all_none {
                return Err(MIXED.into());
            }
            merge = true;
        } else if !first && merge {
            return Err(MIXED.into());
        }
        match option(name) {
            None => return Err(format!("Illegal option {name}")),
            Some(true) => {
                let which = if name.eq_ignore_ascii_case("None") {
                    "None"
                } else {
                    "All"
                };
                if !first {
                    return Err(if which == "None" {
                        "'Options None' must be the first Option given.".into()
                    } else {
                        "'Options All' must be the first option given.".into()
                    });
                }
                if merge {
                    return Err(format!(
                        "You may not use 'Options +{which}' or 'Options -{which}'."
                    ));
                }
                all_none = true;
            }
            Some(false) => {}
        }
        first = false;
    }
    Ok(())
}

/// `generate_error`: the `Error` directive always stops httpd, with its text (one pair of
/// matching quotes around it removed) as the message.
fn error_message(args: &str) -> String {
    let arg = args.trim_end();
    if arg.is_empty() {
        return "The Error directive was used with no message.".into();
    }
    for quote in ['"', '\''] {
        if arg.len() >= 2 && arg.starts_with(quote) && arg.ends_with(quote) {
            return arg[1..arg.len() - 1].to_string();
        }
    }
    arg.to_string()
}

/// `set_regex_default_options`: `none`, or the flags `ap_regcomp_default_cflag_by_name`
/// knows, each with an optional sign.
fn regex_default_options(args: &str) -> Result<(), String> {
    const FLAGS: [&str; 4] = ["ICASE", "DOTALL", "DOLLAR_ENDONLY", "EXTENDED"];
    let mut rest = args;
    while !rest.is_empty() {
        let word = getword_conf(&mut rest);
        if word.eq_ignore_ascii_case("none") {
            continue;
        }
        let name = word.strip_prefix(['+', '-']).unwrap_or(&word);
        if !FLAGS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            return Err(format!("RegexDefaultOptions: option '{name}' unknown"));
        }
    }
    Ok(())
}

/// `set_etag_bits`: known components, `None` and `All` without a sign.
fn file_etag(args: &str) -> Result<(), String> {
    const COMPONENTS: [&str; 6] = ["Size", "LMTime", "MTime", "LastModified", "INode", "Digest"];
    let mut rest = args;
    while !rest.is_empty() {
        let word = getword_conf(&mut rest);
        let signed = word.starts_with(['+', '-']);
        let token = if signed { &word[1..] } else { &*word };
        let whole = token.eq_ignore_ascii_case("None") || token.eq_ignore_ascii_case("All");
        if !whole && !COMPONENTS.iter().any(|c| c.eq_ignore_ascii_case(token)) {
            return Err(format!("Unknown keyword '{token}' for FileETag directive"));
        }
        if whole && signed {
            return Err(format!(
                "FileETag keyword '{token}' cannot be used with '+' or '-'"
            ));
        }
    }
    Ok(())
}

/// `set_http_protocol_options` over one line's words: known keywords, and not both of
/// a pair (httpd also remembers earlier lines of the same server; a conflict across
/// lines is not seen here).
/// `set_error_document`: a status code httpd has a page for, then the document, which
/// httpd parses as a string expression unless it is `default` or a full URL for 401
/// (ignored with a notice). A message (any text with a space, or not a path or URL)
/// gets a `"` in front first, as httpd marks messages.
fn error_document(args: &str, loaded: &LoadedModules) -> Result<(), String> {
    let w = words(args);
    let code = w.first().map_or("", |c| &**c);
    let status = atoi(code);
    if !known_status(status) {
        return Err(format!("Unsupported HTTP response code {code}"));
    }
    let Some(document) = w.get(1) else {
        return Ok(());
    };
    let message = document.contains(' ') || !(document.starts_with('/') || is_url(document));
    if document.eq_ignore_ascii_case("default") || (status == 401 && !message && is_url(document)) {
        return Ok(());
    }
    let response = if message {
        format!("\"{document}")
    } else {
        document.to_string()
    };
    expr::check_string(&response, loaded)
        .map_err(|e| format!("Cannot parse expression in ErrorDocument: {e}"))
}

/// `ap_is_url`: a scheme of letters, digits, `+`, `-` and `.` then a `:`.
fn is_url(s: &str) -> bool {
    match s.find(':') {
        Some(0) | None => false,
        Some(colon) => s[..colon]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')),
    }
}

/// Which side of each exclusive pair of `HttpProtocolOptions` keywords a server has
/// named so far (httpd ORs them into the server's configuration, line after line: a
/// `<VirtualHost>` starts with none).
pub type ProtocolOptions = [[bool; 2]; 3];

/// `set_http_protocol_options` on each word of `args`, for a server that has named
/// `seen` so far (updated).
pub fn http_protocol_options(args: &str, seen: &mut ProtocolOptions) -> Result<(), String> {
    const PAIRS: [(&str, &str, &str); 3] = [
        ("allow0.9", "require1.0", "'Allow0.9' and 'Require1.0'"),
        ("strict", "unsafe", "'Strict' and 'Unsafe'"),
        (
            "registeredmethods",
            "lenientmethods",
            "'RegisteredMethods' and 'LenientMethods'",
        ),
    ];
    for word in words(args) {
        let Some((pair, side)) = PAIRS.iter().enumerate().find_map(|(i, (a, b, _))| {
            if word.eq_ignore_ascii_case(a) {
                Some((i, 0))
            } else if word.eq_ignore_ascii_case(b) {
                Some((i, 1))
            } else {
                None
            }
        }) else {
            return Err("HttpProtocolOptions accepts 'Unsafe' or 'Strict' (default), 'RegisteredMethods' or 'LenientMethods' (default), and 'Require1.0' or 'Allow0.9' (default)".into());
        };
        seen[pair][side] = true;
        if let Some((_, _, names)) = PAIRS
            .iter()
            .zip(*seen)
            .find(|(_, s)| s[0] && s[1])
            .map(|(p, _)| p)
        {
            return Err(format!(
                "HttpProtocolOptions {names} are mutually exclusive"
            ));
        }
    }
    Ok(())
}

/// `set_override`: the override classes, `Options=` with a comma list of options,
/// `Nonfatal=` with Override, Unknown or All. httpd cuts each word at its first `=` and
/// compares the part before it (`Limit=x` is `Limit`).
fn allow_override(args: &str) -> Result<(), String> {
    let mut rest = args;
    while !rest.is_empty() {
        let word = getword_conf(&mut rest);
        let (key, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (&*word, None),
        };
        let is = |class: &str| key.eq_ignore_ascii_case(class);
        if is("Options") {
            for name in value
                .unwrap_or_default()
                .split(',')
                .filter(|n| !n.is_empty())
            {
                if option(name).is_none() {
                    return Err(format!("Illegal option {name}"));
                }
            }
        } else if is("Nonfatal") {
            // Any value after `=` is accepted (an unknown one sets nothing).
            if value.is_none() {
                return Err(format!("=Override, =Unknown or =All expected after {key}"));
            }
        } else if !["Limit", "FileInfo", "AuthConfig", "Indexes", "None", "All"]
            .iter()
            .any(|c| is(c))
        {
            return Err(format!("Illegal override option {key}"));
        }
    }
    Ok(())
}

/// `set_override_list`: `None` only alone (other names httpd does not know are dropped
/// with a warning, not refused).
fn allow_override_list(args: &str) -> Result<(), String> {
    let list = words(args);
    if list.len() > 1 && list.iter().any(|w| w.eq_ignore_ascii_case("None")) {
        return Err("'None' not allowed with other directives in AllowOverrideList".into());
    }
    Ok(())
}

/// `set_limit_req_body`: `apr_strtoff` (`strtol`, base 10) must read the whole word and
/// give a non-negative number.
fn limit_request_body(arg: &str) -> Result<(), String> {
    match strtol(arg) {
        (_, _, true) => Err("LimitRequestBody argument is not parsable.".into()),
        (value, rest, false) if !rest.is_empty() || value.unwrap_or(0) < 0 => {
            Err("LimitRequestBody requires a non-negative integer.".into())
        }
        _ => Ok(()),
    }
}

/// `set_limit_xml_req_body`: `atol`, not negative, at most `AP_MAX_LIMIT_XML_BODY`
/// (`APR_SIZE_MAX / 6 - 1` on a 64-bit build).
fn limit_xml_request_body(arg: &str) -> Result<(), String> {
    const MAX: u64 = u64::MAX / 6 - 1;
    let value = atol(arg);
    if value < 0 {
        return Err("LimitXMLRequestBody requires a non-negative integer.".into());
    }
    if value as u64 > MAX {
        return Err(format!("LimitXMLRequestBody must not exceed {MAX}"));
    }
    Ok(())
}

/// `ap_index_of_response`: the status codes httpd has a status line for
/// (modules/http/http_protocol.c `status_lines`); any other is refused by
/// `ErrorDocument` (500 itself is accepted).
fn known_status(code: i32) -> bool {
    matches!(
        code,
        100..=102
            | 200..=208
            | 226
            | 300..=305
            | 307
            | 308
            | 400..=417
            | 421..=424
            | 426
            | 428
            | 429
            | 431
            | 451
            | 500..=508
            | 510
            | 511
    )
}

/// The level keywords of `ap_parse_log_level` (server/log.c `priorities`).
const LOG_LEVELS: [&str; 16] = [
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", "trace1", "trace2",
    "trace3", "trace4", "trace5", "trace6", "trace7", "trace8",
];

const LOG_LEVEL_MESSAGE: &str = "Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8";

/// `set_loglevel` on one word: a level, or `module:level` for a loaded module (named by
/// its source file, `rewrite_module`, or `rewrite`).
fn log_level(word: &str, loaded: &LoadedModules) -> Result<(), String> {
    let is_level = |s: &str| LOG_LEVELS.iter().any(|l| l.eq_ignore_ascii_case(s));
    let Some((module, level)) = word.rsplit_once(':') else {
        return if is_level(word) {
            Ok(())
        } else {
            Err(LOG_LEVEL_MESSAGE.into())
        };
    };
    if level.is_empty() {
        return Err(format!(
            "Module specifier '{module}' must be followed by a log level keyword"
        ));
    }
    if !is_level(level) {
        return Err(format!("{module}:{level}: {LOG_LEVEL_MESSAGE}"));
    }
    if loaded.if_module(module) || loaded.if_module(&format!("{module}_module")) {
        Ok(())
    } else {
        Err(format!("Cannot find module {module}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol(args: &str) -> Result<(), String> {
        http_protocol_options(args, &mut ProtocolOptions::default())
    }

    /// httpd keeps what a server has named across its lines; a virtual host starts
    /// afresh.
    #[test]
    fn http_protocol_options_conflict_across_lines() {
        let mut main = ProtocolOptions::default();
        assert_eq!(http_protocol_options("Strict", &mut main), Ok(()));
        assert_eq!(http_protocol_options("Allow0.9", &mut main), Ok(()));
        assert_eq!(
            http_protocol_options("Unsafe", &mut main),
            Err("HttpProtocolOptions 'Strict' and 'Unsafe' are mutually exclusive".to_string())
        );
        let mut vhost = ProtocolOptions::default();
        assert_eq!(http_protocol_options("Require1.0", &mut vhost), Ok(()));
    }

    fn run(name: &str, args: &str) -> Result<(), String> {
        let loaded = LoadedModules::builtin();
        check(
            name,
            args,
            At {
                in_vhost: false,
                loaded: &loaded,
            },
        )
    }

    #[test]
    fn options_follow_set_options() {
        for ok in [
            "FollowSymLinks Indexes",
            "+Indexes -MultiViews",
            "None +Indexes",
            "All -ExecCGI",
            "includesnoexec",
            "None",
        ] {
            assert_eq!(run("Options", ok), Ok(()), "{ok}");
        }
        let refused = [
            (
                "FollowSymLinks +Indexes",
                "Either all Options must start with + or -, or no Option may.",
            ),
            (
                "+Indexes FollowSymLinks",
                "Either all Options must start with + or -, or no Option may.",
            ),
            (
                "Indexes None",
                "'Options None' must be the first Option given.",
            ),
            (
                "Indexes All",
                "'Options All' must be the first option given.",
            ),
            (
                "+None",
                "You may not use 'Options +None' or 'Options -None'.",
            ),
            ("-All", "You may not use 'Options +All' or 'Options -All'."),
            ("Indexes FollowSymlink", "Illegal option FollowSymlink"),
            ("+Index", "Illegal option Index"),
        ];
        for (args, message) in refused {
            assert_eq!(run("Options", args), Err(message.to_string()), "{args}");
        }
    }

    #[test]
    fn allow_override_follows_set_override() {
        for ok in [
            "None",
            "All",
            "AuthConfig FileInfo Limit Indexes",
            "Options=FollowSymLinks,Indexes",
            "Options",
            "Nonfatal=Override",
            "Nonfatal=whatever",
        ] {
            assert_eq!(run("AllowOverride", ok), Ok(()), "{ok}");
        }
        assert_eq!(
            run("AllowOverride", "AuthConfig Fileinfos"),
            Err("Illegal override option Fileinfos".to_string())
        );
        assert_eq!(run("AllowOverride", "Limit=1"), Ok(()));
        assert_eq!(
            run("AllowOverride", "Limits=1"),
            Err("Illegal override option Limits".to_string())
        );
        assert_eq!(
            run("AllowOverride", "Options=Indexes,Bogus"),
            Err("Illegal option Bogus".to_string())
        );
        assert_eq!(
            run("AllowOverride", "Nonfatal"),
            Err("=Override, =Unknown or =All expected after Nonfatal".to_string())
        );
        assert!(run("AllowOverrideList", "None Redirect").is_err());
        assert_eq!(run("AllowOverrideList", "Redirect RewriteRule"), Ok(()));
    }

    #[test]
    fn keywords_and_limits() {
        assert_eq!(run("ServerTokens", "prod"), Ok(()));
        assert!(run("ServerTokens", "Production").is_err());
        assert_eq!(run("ServerSignature", "email"), Ok(()));
        assert!(run("ServerSignature", "yes").is_err());
        assert!(run("HostnameLookups", "true").is_err());
        assert!(run("TraceEnable", "0").is_err());
        assert_eq!(
            run("AllowEncodedSlashes", "yes"),
            Err("AllowEncodedSlashes must be On, Off, or NoDecode".to_string())
        );
        assert_eq!(
            run("LimitRequestFields", "-1"),
            Err("LimitRequestFields \"-1\" must be a non-negative integer (0 = no limit)".into())
        );
        assert_eq!(run("LimitRequestLine", "abc"), Ok(()));
        for ok in ["0", "102400", " 5", "+7", "-0"] {
            assert_eq!(run("LimitRequestBody", ok), Ok(()), "{ok}");
        }
        for (args, message) in [
            ("10M", "LimitRequestBody requires a non-negative integer."),
            ("-1", "LimitRequestBody requires a non-negative integer."),
            (
                "99999999999999999999",
                "LimitRequestBody argument is not parsable.",
            ),
        ] {
            assert_eq!(run("LimitRequestBody", args), Err(message.into()), "{args}");
        }
        assert!(run("MaxRanges", "0").is_err());
        assert_eq!(run("MaxMemFree", "2048"), Ok(()));
        assert_eq!(run("ThreadStackSize", "abc"), Ok(()));
        assert_eq!(
            run("MaxMemFree", "-1"),
            Err("Invalid MaxMemFree value: -1".to_string())
        );
        assert!(run("ThreadStackSize", "99999999999999999999").is_err());
        assert!(run("ProtocolsHonorOrder", "yes").is_err());
        assert_eq!(run("MaxRanges", "Unlimited"), Ok(()));
        assert!(run("LimitInternalRecursion", "10 0").is_err());
        assert_eq!(run("LimitInternalRecursion", "10 5"), Ok(()));
        assert_eq!(run("SendBufferSize", "0"), Ok(()));
        assert!(run("SendBufferSize", "100").is_err());
        assert!(run("ListenCoresBucketsRatio", "0").is_err());
    }

    #[test]
    fn file_etag_and_http_protocol_options() {
        assert_eq!(run("FileETag", "MTime Size"), Ok(()));
        assert_eq!(run("FileETag", "None"), Ok(()));
        assert_eq!(run("FileETag", "-INode +size"), Ok(()));
        assert_eq!(
            run("FileETag", "MTime Sizes"),
            Err("Unknown keyword 'Sizes' for FileETag directive".to_string())
        );
        assert_eq!(
            run("FileETag", "+All"),
            Err("FileETag keyword 'All' cannot be used with '+' or '-'".to_string())
        );
        assert_eq!(protocol("Strict LenientMethods Allow0.9"), Ok(()));
        assert!(protocol("Strictest").is_err());
        assert_eq!(
            protocol("Strict Unsafe"),
            Err("HttpProtocolOptions 'Strict' and 'Unsafe' are mutually exclusive".to_string())
        );
    }

    #[test]
    fn error_regex_options_and_cgi_var() {
        assert_eq!(
            run("Error", "\"mod_ssl is required\""),
            Err("mod_ssl is required".to_string())
        );
        assert_eq!(run("Error", "'a b"), Err("'a b".to_string()));
        assert_eq!(run("RegexDefaultOptions", "none +ICASE -DOTALL"), Ok(()));
        assert_eq!(
            run("RegexDefaultOptions", "+ICASEX"),
            Err("RegexDefaultOptions: option 'ICASEX' unknown".to_string())
        );
        assert_eq!(run("CGIVar", "REQUEST_URI Original-URI"), Ok(()));
        assert!(run("CGIVar", "REQUEST_URI foo").is_err());
        assert_eq!(
            run("CGIVar", "request_uri current-uri"),
            Err("Unrecognized CGI variable: \"request_uri\"".to_string())
        );
    }

    #[test]
    fn error_document_needs_a_status_httpd_knows() {
        assert_eq!(run("ErrorDocument", "404 /404.html"), Ok(()));
        assert_eq!(run("ErrorDocument", "500 \"oops\""), Ok(()));
        assert_eq!(
            run("ErrorDocument", "418 /teapot.html"),
            Err("Unsupported HTTP response code 418".to_string())
        );
        assert!(run("ErrorDocument", "40x /x").is_err());
    }

    #[test]
    fn log_level_knows_levels_and_loaded_modules() {
        assert_eq!(run("LogLevel", "warn core:info"), Ok(()));
        assert_eq!(run("LogLevel", "info http:warn"), Ok(()));
        assert_eq!(
            run("LogLevel", "warning"),
            Err(LOG_LEVEL_MESSAGE.to_string())
        );
        assert_eq!(
            run("LogLevel", "warn rewrite:trace3"),
            Err("Cannot find module rewrite".to_string())
        );
        assert_eq!(
            run("LogLevel", "rewrite:"),
            Err("Module specifier 'rewrite' must be followed by a log level keyword".into())
        );
        let mut loaded = LoadedModules::builtin();
        loaded.load(super::super::module("mod_rewrite").expect("rewrite"));
        let at = At {
            in_vhost: false,
            loaded: &loaded,
        };
        for ok in [
            "rewrite:trace3",
            "rewrite_module:debug",
            "mod_rewrite.c:info",
        ] {
            assert_eq!(check("LogLevel", ok, at), Ok(()), "{ok}");
        }
    }

    #[test]
    fn server_alias_belongs_in_a_virtual_host() {
        assert_eq!(
            run("ServerAlias", "www.example.com"),
            Err("ServerAlias only used in <VirtualHost>".to_string())
        );
        let loaded = LoadedModules::builtin();
        let at = At {
            in_vhost: true,
            loaded: &loaded,
        };
        assert_eq!(check("ServerAlias", "www.example.com", at), Ok(()));
    }
}
