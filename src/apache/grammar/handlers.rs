//! What `apache2 -t` refuses when it runs a directive: `invoke_cmd`'s steps in order
//! (the `req_override` test, the argument count, then the handler), and the value
//! checks of the handlers of the core, listen, alias, rewrite and proxy directives
//! that proxylint reproduces, with httpd's messages (the core's keyword, limit,
//! `Options` and `LogLevel` checks in [`super::core_values`]; those of `Require`,
//! `Header` and `ForceLanguagePriority` in [`super::module_values`]). Handlers proxylint
//! does not reproduce accept any value.
//!
//! Handlers that remember earlier lines (proxy workers and balancers, `Listen`
//! addresses, health check names) keep that memory in [`HandlerState`].
//! `LoadModule` is not handled here: it runs while the file is read, through
//! [`super::LoadedModules::load_module`].

use super::args::{
    check_args, first_word, getword_conf, getword_conf2, one_of, rewrite_args, words,
};
use super::cnum::{Unit, atoi, atol, timeout_parameter};
use super::conditions::{COND_SECTIONS, cond_section, if_version};
use super::context::{
    ContextStack, Section, builtin_method, check_forbidden, check_override, section_inner,
    server_slot,
};
use super::core_values::{self, ProtocolOptions};
use super::module_values::{
    AuthzProviders, any_of_section, check_force_priority, check_header, check_require,
};
use super::proxy::{Place, ProxyRegistry, fnmatch_test};
use super::worker_params::{ProxyModules, check_worker_param};
use super::{DirectiveDef, Forbidden, LoadedModules};

/// What the handlers remember between lines of one configuration.
#[derive(Debug, Clone, Default)]
pub struct HandlerState {
    /// What the loaded modules provide to proxy parameters.
    pub modules: ProxyModules,
    pub proxy: ProxyRegistry,
    /// `Listen` addresses so far (host `None` for all addresses).
    listeners: foldhash::HashSet<(Option<String>, u16)>,
    /// The `Require` providers registered so far.
    authz: AuthzProviders,
    /// The modules loaded (`LogLevel module:level` names one); `None`: any name is
    /// taken as loaded.
    loaded: Option<LoadedModules>,
    /// What `HttpProtocolOptions` lines have named, by server (0 main, n the nth
    /// virtual host).
    protocol_options: Vec<ProtocolOptions>,
}

impl HandlerState {
    /// The modules loaded, every one when unknown.
    fn loaded(&self) -> &LoadedModules {
        static EVERYTHING: std::sync::LazyLock<LoadedModules> =
            std::sync::LazyLock::new(LoadedModules::everything);
        self.loaded.as_ref().unwrap_or(&EVERYTHING)
    }

    /// The state at the start of the walk of a configuration that loads `loaded`.
    pub fn new(loaded: &LoadedModules) -> Self {
        HandlerState {
            modules: ProxyModules::from_loaded(loaded),
            authz: AuthzProviders::of(loaded),
            loaded: Some(loaded.clone()),
            ..Self::default()
        }
    }
}

/// httpd's verdict on directive `def` with arguments `args` at `ctx`: `invoke_cmd`'s
/// `req_override` test, its argument count (TAKE*, FLAG...), then the handler's context
/// checks and value checks. For a section, `args` is the rest of its tag line (with the
/// `>`) and this covers what its handler does before reading the section's body; call
/// [`check_section_end`] after the body.
pub fn check_directive(
    def: &DirectiveDef,
    ctx: &ContextStack,
    args: &str,
    state: &mut HandlerState,
) -> Result<(), String> {
    if matches!(
        def.name,
        "<AuthzProviderAlias" | "AuthnzFcgiDefineProvider" | "LuaAuthzProvider"
    ) {
        state.authz.defined_in_configuration();
    }
    check_override(def, ctx)?;
    check_args(def, args)?;
    if def.deprecated {
        // ap_set_deprecated returns the help text whatever the context.
        return Err(def.help.to_string());
    }
    check_forbidden(def, ctx, forbidden(def, args))?;
    if def.third_party {
        return Ok(());
    }
    if def.section {
        return check_section_start(def, ctx, args);
    }
    handler(def, ctx, args, state)
}

/// The handler's context checks; mod_alias's depend on the argument count.
fn forbidden(def: &DirectiveDef, args: &str) -> Forbidden {
    if def.module == "mod_alias"
        && matches!(def.name, "Alias" | "ScriptAlias")
        && words(args).len() == 2
    {
        return Forbidden::NOT_IN_DIR_CONTEXT;
    }
    def.checks
}

fn section_kind(def: &DirectiveDef) -> Section {
    Section::from_name(def.name)
}

/// A regex httpd cannot compile (`ap_pregcomp`).
pub(super) fn bad_regex(pattern: &str) -> bool {
    crate::nginx::regex::check(pattern).is_err()
}

/// What a section's handler refuses before its body.
fn check_section_start(def: &DirectiveDef, ctx: &ContextStack, args: &str) -> Result<(), String> {
    let kind = section_kind(def);
    if def.module == "core" && COND_SECTIONS.contains(&def.name) {
        return cond_section(def.name, args).map(|_| ());
    }
    if def.name == "<IfVersion" {
        // Whether the body is read is the reader's question; the syntax is checked here.
        return if_version(args, super::DEFAULT_VERSION).map(|_| ());
    }
    if kind == Section::Other {
        return Ok(());
    }
    let Some(gt) = args.rfind('>') else {
        return Err(format!("{}> directive missing closing '>'", def.name));
    };
    let inner = &args[..gt];
    let missing = || {
        Err(format!(
            "{}> directive requires additional arguments",
            def.name
        ))
    };
    match kind {
        Section::Else => {
            if !inner.is_empty() {
                return Err("<Else> does not take an argument".to_string());
            }
        }
        Section::Require => {
            if !inner.is_empty() {
                return Err(format!(
                    "{}> directive doesn't take additional arguments",
                    def.name
                ));
            }
        }
        Section::Proxy | Section::ProxyMatch => {
            let mut rest = inner;
            let path = getword_conf(&mut rest);
            let path = match path.get(..6) {
                Some(p) if p.eq_ignore_ascii_case("proxy:") => &path[6..],
                _ => &path,
            };
            if kind == Section::ProxyMatch && bad_regex(path) {
                return Err("Regex could not be compiled".to_string());
            }
        }
        Section::Limit | Section::LimitExcept => {
            if inner.is_empty() {
                return missing();
            }
            for method in words(inner) {
                if kind == Section::Limit && method == "TRACE" {
                    return Err(
                        "TRACE cannot be controlled by <Limit>, see TraceEnable".to_string()
                    );
                }
                if ctx.in_htaccess() && builtin_method(&method).is_none() {
                    return Err(format!(
                        "Could not register method '{method}' for {} from .htaccess configuration",
                        def.name
                    ));
                }
            }
            // Nested, the section must narrow the methods its parent leaves.
            let (old, limited) = (ctx.methods(), ctx.limit_bits(kind, inner));
            if old & limited == 0 {
                return Err(format!("{}> directive excludes all methods", def.name));
            }
            if old & limited == old {
                return Err(format!(
                    "{}> directive specifies methods already excluded",
                    def.name
                ));
            }
        }
        Section::Directory
        | Section::DirectoryMatch
        | Section::Location
        | Section::LocationMatch
        | Section::Files
        | Section::FilesMatch => {
            if inner.is_empty() {
                return missing();
            }
            let mut rest = inner;
            let first = getword_conf(&mut rest);
            let regex = if first == "~" {
                Some(getword_conf(&mut rest))
            } else if matches!(
                kind,
                Section::DirectoryMatch | Section::LocationMatch | Section::FilesMatch
            ) {
                Some(first)
            } else {
                None
            };
            if regex.is_some_and(|r| bad_regex(&r)) {
                return Err("Regex could not be compiled".to_string());
            }
        }
        Section::VirtualHost => {
            if inner.is_empty() {
                return missing();
            }
            let mut rest = inner;
            while !rest.is_empty() {
                vhost_address(&getword_conf(&mut rest))?;
            }
        }
        Section::If | Section::ElseIf | Section::ProviderAlias => {
            if inner.is_empty() {
                return missing();
            }
        }
        Section::Other => {}
    }
    Ok(())
}

/// What a section's handler refuses after its body (`def`, `args` as given to
/// [`check_directive`]; `ctx` is the context *around* the section).
pub fn check_section_end(
    def: &DirectiveDef,
    ctx: &ContextStack,
    args: &str,
    state: &mut HandlerState,
) -> Result<(), String> {
    if def.third_party {
        return Ok(());
    }
    let kind = section_kind(def);
    let mut rest = section_inner(args);
    match kind {
        Section::Proxy | Section::ProxyMatch => {
            state
                .proxy
                .proxy_section_params(def.name, args, ctx.server(), &state.modules)
        }
        Section::Directory
        | Section::DirectoryMatch
        | Section::Location
        | Section::LocationMatch
        | Section::Files
        | Section::FilesMatch => {
            if getword_conf(&mut rest) == "~" {
                getword_conf(&mut rest);
            }
            if rest.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "Multiple {}> arguments not (yet) supported.",
                    def.name
                ))
            }
        }
        Section::If | Section::ElseIf => {
            getword_conf(&mut rest);
            if rest.is_empty() {
                Ok(())
            } else {
                Err(format!("Multiple {}> arguments not supported.", def.name))
            }
        }
        _ => Ok(()),
    }
}

/// The value checks of the handlers proxylint reproduces.
fn handler(
    def: &DirectiveDef,
    ctx: &ContextStack,
    args: &str,
    state: &mut HandlerState,
) -> Result<(), String> {
    let place = || Place {
        server: ctx.server(),
        path: ctx.path(),
        parent: ctx.innermost().map(|f| (f.name.as_str(), f.args.as_str())),
    };
    match (def.module, def.name) {
        ("core", "Define" | "UnDefine") if first_word(args).contains(':') => {
            return Err("Variable name must not contain ':'".to_string());
        }
        ("core", "ServerName") => check_server_name(&first_word(args))?,
        ("core", "HttpProtocolOptions") => core_values::http_protocol_options(
            args,
            server_slot(&mut state.protocol_options, ctx.server()),
        )?,
        ("core", _)
        | ("event" | "worker" | "prefork", "SendBufferSize" | "ListenCoresBucketsRatio") => {
            let at = core_values::At {
                in_vhost: ctx.server() != 0,
                loaded: state.loaded(),
            };
            core_values::check(def.name, args, at)?;
        }
        ("mod_authz_core", "Require") => {
            check_require(args, &state.authz, any_of_section(ctx.frames()))?;
        }
        ("mod_headers", "Header" | "RequestHeader") => check_header(def.name, args)?,
        ("mod_negotiation", "ForceLanguagePriority") => check_force_priority(args)?,
        ("http_core", "KeepAliveTimeout")
            if timeout_parameter(&first_word(args), Unit::Seconds).is_none() =>
        {
            return Err("KeepAliveTimeout has wrong format".to_string());
        }
        ("event" | "worker" | "prefork", "Listen") => {
            let addr = check_listen(args)?;
            if !state.listeners.insert(addr) {
                return Err("Cannot define multiple Listeners on the same IP:port".to_string());
            }
        }
        ("event" | "worker" | "prefork", "ListenBacklog") if atoi(&first_word(args)) < 1 => {
            return Err("ListenBacklog must be > 0".to_string());
        }
        ("mod_alias", "Alias" | "ScriptAlias")
            if words(args).len() == 1 && ctx.path().is_none() =>
        {
            return Err(format!(
                "{} must have two arguments when used globally",
                def.name
            ));
        }
        ("mod_rewrite", "RewriteRule" | "RewriteCond") => {
            let Some((_, _, flags)) = rewrite_args(args) else {
                return Err(format!("{}: bad argument line '{args}'", def.name));
            };
            if let Some(flags) = flags
                && !(flags.starts_with('[') && flags.ends_with(']'))
            {
                return Err(format!("{}: bad flag delimiters", def.name));
            }
        }
        ("mod_proxy", "ProxyTimeout") if atoi(&first_word(args)) < 1 => {
            return Err("Proxy Timeout must be at least 1 second.".to_string());
        }
        ("mod_proxy", "ProxyReceiveBufferSize") => {
            let s = atoi(&first_word(args));
            if s < 512 && s != 0 {
                return Err(
                    "ProxyReceiveBufferSize must be >= 512 bytes, or 0 for system default."
                        .to_string(),
                );
            }
        }
        ("mod_proxy", "ProxyIOBufferSize") => {
            let s = atol(&first_word(args));
            if s < 512 && s != 0 {
                return Err(
                    "ProxyIOBufferSize must be >= 512 bytes, or 0 for system default.".to_string(),
                );
            }
        }
        ("mod_proxy", "ProxyVia") => one_of(
            &first_word(args),
            &["Off", "On", "Block", "Full"],
            "ProxyVia must be one of: off | on | full | block",
        )?,
        ("mod_proxy", "ProxyBadHeader") => one_of(
            &first_word(args),
            &["IsError", "Ignore", "StartBody"],
            "ProxyBadHeader must be one of: IsError | Ignore | StartBody",
        )?,
        ("mod_proxy", "ProxyStatus") => one_of(
            &first_word(args),
            &["Off", "On", "Full"],
            "ProxyStatus must be one of: off | on | full",
        )?,
        ("mod_proxy", "ProxyPassReverse") => {
            // A second word other than `interpolate` is the URL after a path.
            let path_given = words(args)
                .get(1)
                .is_some_and(|w| !w.eq_ignore_ascii_case("interpolate"));
            match (ctx.path().is_some(), path_given) {
                (false, false) => {
                    return Err(
                        "ProxyPassReverse needs a path when not defined in a location".to_string(),
                    );
                }
                (true, true) => {
                    return Err(
                        "ProxyPassReverse can not have a path when defined in a location"
                            .to_string(),
                    );
                }
                _ => {}
            }
        }
        ("mod_proxy", "ProxyErrorOverride") => check_error_override(args)?,
        ("mod_proxy", "ProxyDomain") if !first_word(args).starts_with('.') => {
            return Err("ProxyDomain: domain name must start with a dot.".to_string());
        }
        ("mod_proxy", "BalancerGrowth") if !(0..=1000).contains(&atoi(&first_word(args))) => {
            return Err("BalancerGrowth must be between 0 and 1000".to_string());
        }
        ("mod_proxy", "ProxyRemote" | "ProxyRemoteMatch") => {
            let w = words(args);
            check_proxy_remote(def.name, &w[0], &w[1])?;
        }
        ("mod_proxy", "ProxyPass" | "ProxyPassMatch") => {
            state
                .proxy
                .proxy_pass(args, def.name == "ProxyPassMatch", place(), &state.modules)?;
        }
        ("mod_proxy", "BalancerMember") => {
            state.proxy.balancer_member(args, place(), &state.modules)?;
        }
        ("mod_proxy", "ProxySet") => state.proxy.proxy_set(args, place(), &state.modules)?,
        ("mod_proxy_hcheck", "ProxyHCTemplate") => check_hc_template(args, ctx.server(), state)?,
        ("mod_proxy_hcheck", "ProxyHCExpr") => check_hc_expr(args, ctx.server(), state)?,
        ("mod_proxy_hcheck", "ProxyHCTPsize") if atoi(&first_word(args)) < 0 => {
            return Err("Invalid ProxyHCTPsize parameter. Parameter must be >= 0".to_string());
        }
        _ => {}
    }
    Ok(())
}

/// `set_hc_condition`: a name of at most 15 bytes, then a boolean expression (in
/// `{...}` or quotes), parsed as `<If>` parses its condition, then nothing more.
fn check_hc_expr(args: &str, server: usize, state: &mut HandlerState) -> Result<(), String> {
    let mut rest = args;
    let name = getword_conf(&mut rest);
    if name.is_empty() {
        return Err("Missing expression name for ProxyHCExpr".to_string());
    }
    if name.len() > 15 {
        return Err("Expression name limited to 15 characters".to_string());
    }
    let expr = getword_conf2(&mut rest);
    if expr.is_empty() {
        return Err("Missing expression for ProxyHCExpr".to_string());
    }
    crate::apache::expr::check(&expr, state.loaded())
        .map_err(|e| format!("Could not parse expression \"{expr}\": {e}"))?;
    state.proxy.define_hc_expr(server, &name);
    if !getword_conf(&mut rest).is_empty() {
        return Err("error: extra parameter(s)".to_string());
    }
    Ok(())
}

/// `set_proxy_error_override` over the words of one line: `On` or `Off` first, then
/// status codes (from 400 to 599) after an `On`. A line that starts with a number may
/// follow an `On` of an earlier line of the same section (httpd keeps that state per
/// section): accepted as it is.
fn check_error_override(args: &str) -> Result<(), String> {
    let mut on: Option<bool> = None;
    for word in words(args) {
        if word.eq_ignore_ascii_case("Off") || word.eq_ignore_ascii_case("On") {
            on = Some(word.eq_ignore_ascii_case("On"));
            continue;
        }
        let numeric = word.starts_with(|c: char| c.is_ascii_digit());
        match on {
            None if numeric => return Ok(()),
            None => {
                return Err(
                    "ProxyErrorOverride first parameter must be one of: off | on".to_string(),
                );
            }
            Some(_) if !numeric => {
                return Err(
                    "ProxyErrorOverride: status codes to intercept must be numeric".to_string(),
                );
            }
            Some(false) => {
                return Err(
                    "ProxyErrorOverride: status codes must follow a value of 'on'".to_string(),
                );
            }
            Some(true) if !(400..600).contains(&atol(&word)) => {
                return Err("ProxyErrorOverride: status codes to intercept must be valid HTTP Status Codes >=400 && <600".to_string());
            }
            Some(true) => {}
        }
    }
    Ok(())
}

/// `server_hostname_port`: no wildcards; a port after the first `:` (of the part after
/// `scheme://`) must be 1..65535 by `atoi`.
pub fn check_server_name(arg: &str) -> Result<(), String> {
    if fnmatch_test(arg) {
        return Err(format!(
            "Invalid ServerName \"{arg}\" use ServerAlias to set multiple server names."
        ));
    }
    let part = arg.find("://").map_or(arg, |i| &arg[i + 3..]);
    if let Some(colon) = part.find(':') {
        let port = atoi(&part[colon + 1..]);
        if !(1..65536).contains(&port) {
            return Err(format!(
                "The port number \"{arg}\" is outside the appropriate range (i.e., 1..65535)."
            ));
        }
    }
    Ok(())
}

/// vhost.c `get_addresses` on one address of a `<VirtualHost>` line: `:*` (any port)
/// first, then `apr_parse_addr_port`; a host name is resolved by httpd (a failure is
/// only logged), which is not repeated here.
fn vhost_address(word: &str) -> Result<(), String> {
    if word.is_empty() {
        return Ok(());
    }
    let addr = word.strip_suffix(":*").unwrap_or(word);
    match parse_addr_port(addr) {
        None => Err("The address or port is invalid".to_string()),
        Some((None, _)) => Err("Missing address for VirtualHost".to_string()),
        Some(_) => Ok(()),
    }
}

/// `apr_parse_addr_port`: host (without IPv6 brackets; `None` for none), scope id and
/// port (0: none), or `None` where APR refuses the text.
fn parse_addr_port(s: &str) -> Option<(Option<&str>, u16)> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let digits = bytes
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == bytes.len() {
        let port = atol(s);
        return (1..=65535).contains(&port).then_some((None, port as u16));
    }
    let mut host_end = bytes.len();
    let mut port = 0;
    let colon = bytes.len() - digits - 1;
    if bytes[colon] == b':' && digits > 0 {
        if colon == 0 {
            return None;
        }
        let p = atol(&s[colon + 1..]);
        if !(1..=65535).contains(&p) {
            return None;
        }
        port = p as u16;
        host_end = colon;
    }
    let host = &s[..host_end];
    if let Some(v6) = host.strip_prefix('[') {
        let addr = v6.strip_suffix(']')?;
        let addr = match addr.split_once('%') {
            Some((_, "")) => return None,
            Some((a, _)) => a,
            None => addr,
        };
        addr.parse::<std::net::Ipv6Addr>().ok()?;
        return Some((Some(addr), port));
    }
    Some((Some(host), port))
}

/// `ap_set_listener`: `Listen [addr:]port [protocol]`; the address and port it binds.
pub fn check_listen(args: &str) -> Result<(Option<String>, u16), String> {
    let argv = super::args::argv(args);
    if argv.is_empty() || argv.len() > 2 {
        return Err("Listen requires 1 or 2 arguments.".to_string());
    }
    let Some((host, port)) = parse_addr_port(&argv[0]) else {
        return Err("Invalid address or port".to_string());
    };
    if port == 0 {
        return Err("Port must be specified".to_string());
    }
    let host = host.filter(|h| *h != "*").map(str::to_string);
    Ok((host, port))
}

/// `add_proxy`: ProxyRemote / ProxyRemoteMatch `match remote-server`.
fn check_proxy_remote(name: &str, pattern: &str, remote: &str) -> Result<(), String> {
    let bad = |extra: &str| {
        Err(format!(
            "{name}: Bad syntax for a remote proxy server{extra}"
        ))
    };
    let Some(colon) = remote.find(':') else {
        return bad("");
    };
    let after = &remote[colon..];
    if !after.starts_with("://") || after.len() == 3 {
        return bad("");
    }
    if let Some(q) = after[3..].find(':') {
        // sscanf("%u"): leading digits after optional blanks and sign.
        let port_text = &after[3 + q + 1..];
        let t = port_text.trim_start();
        let t = t.strip_prefix('+').unwrap_or(t);
        if !t.starts_with(|c: char| c.is_ascii_digit()) || atol(t) > 65535 {
            return bad(" (bad port number)");
        }
    }
    if name == "ProxyRemoteMatch" && bad_regex(pattern) {
        return Err("Regular expression for ProxyRemoteMatch could not be compiled.".to_string());
    }
    Ok(())
}

/// `set_hc_template`: a name, then health check key=value parameters.
fn check_hc_template(args: &str, server: usize, state: &mut HandlerState) -> Result<(), String> {
    let mut rest = args;
    let name = getword_conf(&mut rest).into_owned();
    if name.is_empty() {
        return Err("Missing template name for ProxyHCTemplate".to_string());
    }
    // Only health check keys: set_worker_hc_param is called directly.
    let modules = ProxyModules {
        hcheck: true,
        ..state.modules.clone()
    };
    let env = state.proxy.param_env(server, &modules);
    while !rest.is_empty() {
        let word = getword_conf(&mut rest);
        let Some((k, v)) = word.split_once('=') else {
            return Err(
                "Invalid ProxyHCTemplate parameter. Parameter must be in the form 'key=value'"
                    .to_string(),
            );
        };
        let is_hc = super::worker_params()
            .iter()
            .any(|p| p.scope == super::ParamScope::HealthCheck && p.key.eq_ignore_ascii_case(k));
        let checked = if is_hc {
            check_worker_param(k, v, &env)
        } else {
            Err("unknown Worker hcheck parameter".to_string())
        };
        checked.map_err(|e| format!("ProxyHCTemplate: {e} {k}={v}; {name}"))?;
    }
    state.proxy.define_hc_template(server, &name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apache::grammar::{defs, module};

    fn def(name: &str) -> &'static DirectiveDef {
        defs(name)
            .find(|d| !d.third_party && d.available(crate::apache::grammar::DEFAULT_VERSION))
            .expect(name)
    }

    fn state() -> HandlerState {
        let mut loaded = LoadedModules::debian_default();
        for m in ["mod_proxy", "mod_proxy_balancer", "mod_lbmethod_byrequests"] {
            loaded.load(module(m).expect(m));
        }
        HandlerState::new(&loaded)
    }

    fn check(name: &str, ctx: &ContextStack, args: &str) -> Result<(), String> {
        check_directive(def(name), ctx, args, &mut state())
    }

    fn top(name: &str, args: &str) -> Result<(), String> {
        check(name, &ContextStack::new(), args)
    }

    fn stack(tags: &[(&str, &str)]) -> ContextStack {
        let mut s = ContextStack::new();
        for (t, a) in tags {
            s.push(t, a);
        }
        s
    }

    #[test]
    fn order_is_override_then_count_then_handler() {
        let loc = stack(&[("<Location", "/x>")]);
        // ServerName is RSRC_CONF: the override test fails before the count.
        assert_eq!(
            check("ServerName", &loc, "a b"),
            Err("ServerName not allowed in <Location> context".to_string())
        );
        // Listen in a virtual host: GLOBAL_ONLY is the handler's first step, the count
        // (TAKE_ARGV) is its second.
        let vh = stack(&[("<VirtualHost", "*:80>")]);
        assert_eq!(
            check("Listen", &vh, "1 2 3"),
            Err("Listen cannot occur within <VirtualHost> section".to_string())
        );
        // ProxyPassReverse in a Directory with four words: the count comes first.
        let dir = stack(&[("<Directory", "/a>")]);
        assert!(
            check("ProxyPassReverse", &dir, "a b c d")
                .unwrap_err()
                .contains("takes one, two or three")
        );
        assert_eq!(
            check("ProxyPassReverse", &dir, "/ http://a/"),
            Err("ProxyPassReverse cannot occur within <Directory> section".to_string())
        );
    }

    #[test]
    fn deprecated_directives_fail_with_their_help() {
        let port = def("Port");
        assert_eq!(top("Port", "80"), Err(port.help.to_string()));
    }

    /// (directive, arguments at the top level, httpd's message or None).
    const TOP_LEVEL: &[(&str, &str, Option<&str>)] = &[
        ("Define", "A", None),
        (
            "Define",
            "a:b 1",
            Some("Variable name must not contain ':'"),
        ),
        (
            "UnDefine",
            "a:b",
            Some("Variable name must not contain ':'"),
        ),
        ("ServerName", "www.example.org", None),
        ("ServerName", "https://www.example.org:443", None),
        (
            "ServerName",
            "*.example.org",
            Some(
                "Invalid ServerName \"*.example.org\" use ServerAlias to set multiple server names.",
            ),
        ),
        (
            "ServerName",
            "example.org:0",
            Some(
                "The port number \"example.org:0\" is outside the appropriate range (i.e., 1..65535).",
            ),
        ),
        (
            "ProxyTimeout",
            "0",
            Some("Proxy Timeout must be at least 1 second."),
        ),
        ("ProxyTimeout", "30s", None),
        ("Timeout", "abc", None),
        (
            "KeepAliveTimeout",
            "5x",
            Some("KeepAliveTimeout has wrong format"),
        ),
        ("KeepAliveTimeout", "500ms", None),
        ("ProxyVia", "block", None),
        (
            "ProxyVia",
            "yes",
            Some("ProxyVia must be one of: off | on | full | block"),
        ),
        (
            "ProxyBadHeader",
            "drop",
            Some("ProxyBadHeader must be one of: IsError | Ignore | StartBody"),
        ),
        (
            "ProxyStatus",
            "maybe",
            Some("ProxyStatus must be one of: off | on | full"),
        ),
        ("ProxyIOBufferSize", "0", None),
        (
            "ProxyReceiveBufferSize",
            "100",
            Some("ProxyReceiveBufferSize must be >= 512 bytes, or 0 for system default."),
        ),
        ("ListenBacklog", "0", Some("ListenBacklog must be > 0")),
        (
            "ProxyRemote",
            "* proxy:3128",
            Some("ProxyRemote: Bad syntax for a remote proxy server"),
        ),
        (
            "ProxyRemote",
            "* http://proxy:x",
            Some("ProxyRemote: Bad syntax for a remote proxy server (bad port number)"),
        ),
        ("ProxyRemote", "* http://proxy:3128", None),
        (
            "ProxyRemoteMatch",
            "( http://proxy:3128",
            Some("Regular expression for ProxyRemoteMatch could not be compiled."),
        ),
        ("Alias", "/a /b", None),
        (
            "Alias",
            "/a",
            Some("Alias must have two arguments when used globally"),
        ),
        ("RewriteRule", "^/a /b [R=301,L]", None),
        ("RewriteRule", "^/a /b [L] # moved", None),
        (
            "RewriteRule",
            "^/a /b # moved",
            Some("RewriteRule: bad flag delimiters"),
        ),
        (
            "RewriteRule",
            "^/a",
            Some("RewriteRule: bad argument line '^/a'"),
        ),
        (
            "RewriteCond",
            "%{HTTPS}",
            Some("RewriteCond: bad argument line '%{HTTPS}'"),
        ),
        (
            "<Directory",
            "/a",
            Some("<Directory> directive missing closing '>'"),
        ),
        (
            "<Directory",
            ">",
            Some("<Directory> directive requires additional arguments"),
        ),
        (
            "<DirectoryMatch",
            "^/(a>",
            Some("Regex could not be compiled"),
        ),
        ("<Location", "~ \"(\">", Some("Regex could not be compiled")),
        ("<Proxy", "balancer://app>", None),
        (
            "<Proxy",
            "balancer://app",
            Some("<Proxy> directive missing closing '>'"),
        ),
        ("<ProxyMatch", "(>", Some("Regex could not be compiled")),
        (
            "<VirtualHost",
            ">",
            Some("<VirtualHost> directive requires additional arguments"),
        ),
    ];

    #[test]
    fn values_at_the_top_level() {
        for (name, args, expected) in TOP_LEVEL {
            assert_eq!(top(name, args).err().as_deref(), *expected, "{name} {args}");
        }
    }

    #[test]
    fn listen_addresses() {
        let ok: [(&str, Option<&str>, u16); 5] = [
            ("80", None, 80),
            ("*:8080", None, 8080),
            ("127.0.0.1:81 https", Some("127.0.0.1"), 81),
            ("[::1]:80", Some("::1"), 80),
            ("[fe80::1%eth0]:80", Some("fe80::1"), 80),
        ];
        for (args, host, port) in ok {
            assert_eq!(
                check_listen(args),
                Ok((host.map(str::to_string), port)),
                "{args}"
            );
        }
        let refused = [
            (":80", "Invalid address or port"),
            ("0", "Invalid address or port"),
            ("70000", "Invalid address or port"),
            ("[::1", "Invalid address or port"),
            ("[zz]:80", "Invalid address or port"),
            ("[fe80::1%]:80", "Invalid address or port"),
            ("localhost", "Port must be specified"),
            ("host:", "Port must be specified"),
            ("", "Listen requires 1 or 2 arguments."),
            ("80 http x", "Listen requires 1 or 2 arguments."),
        ];
        for (args, message) in refused {
            assert_eq!(check_listen(args), Err(message.to_string()), "{args}");
        }
    }

    #[test]
    fn listen_twice_on_one_address() {
        let mut st = state();
        let ctx = ContextStack::new();
        assert!(check_directive(def("Listen"), &ctx, "80", &mut st).is_ok());
        assert!(check_directive(def("Listen"), &ctx, "127.0.0.1:80", &mut st).is_ok());
        assert_eq!(
            check_directive(def("Listen"), &ctx, "*:80", &mut st),
            Err("Cannot define multiple Listeners on the same IP:port".to_string())
        );
    }

    /// (directive, arguments, httpd's message or None) inside `<Directory /a>`.
    const IN_DIRECTORY: &[(&str, &str, Option<&str>)] = &[
        (
            "<Limit",
            "TRACE>",
            Some("TRACE cannot be controlled by <Limit>, see TraceEnable"),
        ),
        ("<LimitExcept", "GET TRACE>", None),
        ("<Else", "x>", Some("<Else> does not take an argument")),
        (
            "<RequireAll",
            "x>",
            Some("<RequireAll> directive doesn't take additional arguments"),
        ),
        ("<RequireAll", ">", None),
        (
            "Alias",
            "/srv/a",
            Some("Alias cannot occur within <Directory> section"),
        ),
        (
            "ProxyPass",
            "http://b/",
            Some("ProxyPass cannot occur within <Directory> section"),
        ),
    ];

    #[test]
    fn values_in_a_directory() {
        let dir = stack(&[("<Directory", "/a>")]);
        for (name, args, expected) in IN_DIRECTORY {
            assert_eq!(
                check(name, &dir, args).err().as_deref(),
                *expected,
                "{name} {args}"
            );
        }
    }

    #[test]
    fn alias_context_depends_on_its_argument_count() {
        let loc = stack(&[("<Location", "/a>")]);
        assert!(check("Alias", &loc, "/srv/a").is_ok());
        // Two arguments: add_alias_internal's NOT_IN_DIR_CONTEXT holds all three
        // directory flags, so httpd names the directory context.
        assert_eq!(
            check("Alias", &loc, "/a /b"),
            Err("Alias cannot occur within directory context".to_string())
        );
    }

    #[test]
    fn sections_after_their_body() {
        let mut st = state();
        let ctx = ContextStack::new();
        assert_eq!(
            check_section_end(def("<Directory"), &ctx, "/a /b>", &mut st),
            Err("Multiple <Directory> arguments not (yet) supported.".to_string())
        );
        assert!(check_section_end(def("<Directory"), &ctx, "~ ^/a>", &mut st).is_ok());
        assert_eq!(
            check_section_end(def("<If"), &ctx, "\"true\" x>", &mut st),
            Err("Multiple <If> arguments not supported.".to_string())
        );
        assert_eq!(
            check_section_end(def("<Proxy"), &ctx, "http://b/ retry=-1>", &mut st),
            Err("<Proxy Retry must be a positive value retry=-1; http://b/".to_string())
        );
    }

    #[test]
    fn proxy_pass_through_check_directive() {
        let mut st = state();
        let ctx = ContextStack::new();
        assert!(check_directive(def("ProxyPass"), &ctx, "/a http://b/", &mut st).is_ok());
        assert_eq!(st.proxy.workers(0).len(), 1);
        assert!(check_directive(def("ProxyPass"), &ctx, "/b http://b/ timeout=0", &mut st).is_ok());
        // The same URL shares the first line's worker: still one.
        assert_eq!(st.proxy.workers(0).len(), 1);
        let dir = stack(&[("<Directory", "/a>")]);
        assert_eq!(
            check_directive(def("ProxyPass"), &dir, "/a http://b/", &mut st),
            Err("ProxyPass cannot occur within <Directory> section".to_string())
        );
        let proxy = stack(&[("<Proxy", "balancer://app>")]);
        assert!(check_directive(def("BalancerMember"), &proxy, "http://10.0.0.1", &mut st).is_ok());
        assert!(check_directive(def("ProxySet"), &proxy, "lbmethod=byrequests", &mut st).is_ok());
        assert_eq!(
            check_directive(def("ProxySet"), &proxy, "lbmethod=bytraffic", &mut st),
            Err("ProxySet: unknown lbmethod lbmethod=bytraffic; balancer://app".to_string())
        );
    }

    #[test]
    fn health_check_templates() {
        let mut loaded = LoadedModules::debian_default();
        for m in ["mod_proxy", "mod_proxy_hcheck"] {
            loaded.load(module(m).expect(m));
        }
        let mut st = HandlerState::new(&loaded);
        let ctx = ContextStack::new();
        let tpl = def("ProxyHCTemplate");
        assert!(check_directive(tpl, &ctx, "t1 hcmethod=GET hcinterval=10", &mut st).is_ok());
        assert_eq!(
            check_directive(tpl, &ctx, "t2 retry=1", &mut st),
            Err("ProxyHCTemplate: unknown Worker hcheck parameter retry=1; t2".to_string())
        );
        assert_eq!(
            check_directive(tpl, &ctx, "", &mut st),
            Err("Missing template name for ProxyHCTemplate".to_string())
        );
        assert!(
            check_directive(
                def("ProxyPass"),
                &ctx,
                "/a http://b/ hctemplate=t1",
                &mut st
            )
            .is_ok()
        );
        assert!(
            check_directive(
                def("ProxyHCExpr"),
                &ctx,
                "ok234 {%{REQUEST_STATUS} =~ /^[234]/}",
                &mut st
            )
            .is_ok()
        );
        assert!(
            check_directive(def("ProxyPass"), &ctx, "/c http://c/ hcexpr=ok234", &mut st).is_ok()
        );
    }

    #[test]
    fn third_party_directives_get_context_and_count_only() {
        let loaded = LoadedModules::everything();
        let mut st = HandlerState::new(&loaded);
        let ctx = ContextStack::new();
        let secrule = defs("SecRule").next().expect("SecRule");
        assert!(check_directive(secrule, &ctx, "ARGS \"@rx x\" \"id:1,deny\"", &mut st).is_ok());
        assert!(
            check_directive(secrule, &ctx, "ARGS", &mut st)
                .unwrap_err()
                .contains("takes two or three arguments")
        );
        let php = defs("php_admin_value").next().expect("php");
        let ht = ContextStack::htaccess(super::super::Override::OR_ALL);
        assert_eq!(
            check_directive(php, &ht, "memory_limit 1G", &mut st),
            Err("php_admin_value not allowed here".to_string())
        );
    }
}
