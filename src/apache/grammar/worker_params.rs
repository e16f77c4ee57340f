//! The key=value parameters of proxy workers and balancers (ProxyPass, BalancerMember,
//! ProxySet, `<Proxy url key=value>`), read as mod_proxy's `set_worker_param` and
//! `set_balancer_param` and mod_proxy_hcheck's `set_worker_hc_param` read them, from the
//! table grammars/apache/worker-params.tsv. Messages are httpd's, without the prefix each
//! directive adds ("ProxyPass ", "BalancerMember ", "ProxySet: ... key=value; name").

use super::cnum::{Unit, atof, atoi, atol, timeout_parameter};
use super::{LoadedModules, ParamScope, WorkerParam, module, worker_params};

/// What the loaded modules give proxy parameters.
#[derive(Debug, Clone, Default)]
pub struct ProxyModules {
    /// mod_proxy_hcheck is loaded: the `hc*` keys are worker keys.
    pub hcheck: bool,
    /// The `lbmethod=` providers the loaded mod_lbmethod_* modules register.
    pub lbmethods: Vec<&'static str>,
}

impl ProxyModules {
    pub fn from_loaded(loaded: &LoadedModules) -> Self {
        let is = |name: &str| module(name).is_some_and(|m| loaded.is_loaded(m));
        ProxyModules {
            hcheck: is("mod_proxy_hcheck"),
            lbmethods: [
                ("mod_lbmethod_byrequests", "byrequests"),
                ("mod_lbmethod_bytraffic", "bytraffic"),
                ("mod_lbmethod_bybusyness", "bybusyness"),
                ("mod_lbmethod_heartbeat", "heartbeat"),
            ]
            .into_iter()
            .filter(|(m, _)| is(m))
            .map(|(_, p)| p)
            .collect(),
        }
    }
}

/// Health check names, lowercased (httpd compares them without case).
pub type HcNames = foldhash::HashSet<String>;

/// What the parameters of one line may refer to.
#[derive(Debug, Clone, Copy)]
pub struct ParamEnv<'a> {
    pub modules: &'a ProxyModules,
    /// `ProxyHCTemplate` names defined so far; `None` when the caller does not track
    /// them (then any name is accepted).
    pub hc_templates: Option<&'a HcNames>,
    /// `ProxyHCExpr` names defined so far; `None`: not tracked.
    pub hc_exprs: Option<&'a HcNames>,
}

impl<'a> ParamEnv<'a> {
    /// An environment that does not track health check names.
    pub fn untracked(modules: &'a ProxyModules) -> Self {
        ParamEnv {
            modules,
            hc_templates: None,
            hc_exprs: None,
        }
    }
}

fn find(key: &str, scope: ParamScope) -> Option<&'static WorkerParam> {
    worker_params()
        .iter()
        .find(|p| p.scope == scope && p.key.eq_ignore_ascii_case(key))
}

fn message(p: &WorkerParam, i: usize) -> String {
    p.messages.get(i).copied().unwrap_or_default().to_string()
}

fn on_off(val: &str) -> bool {
    val.eq_ignore_ascii_case("on") || val.eq_ignore_ascii_case("off")
}

/// `PROXY_STRNCPY` into a buffer of `size` bytes fails when the text does not fit with
/// its NUL.
fn fits(val: &str, size: i64) -> bool {
    i64::try_from(val.len()).is_ok_and(|len| len < size)
}

/// The health check methods of mod_proxy.c's `proxy_hcmethods[]`, with whether each is
/// implemented.
const HC_METHODS: [(&str, bool); 10] = [
    ("NONE", true),
    ("TCP", true),
    ("OPTIONS", true),
    ("HEAD", true),
    ("GET", true),
    ("CPING", false),
    ("PROVIDER", false),
    ("OPTIONS11", true),
    ("HEAD11", true),
    ("GET11", true),
];

/// The status letters of mod_proxy.c's `proxy_wstat_tbl`.
const STATUS_FLAGS: &str = "OINGUDSEHFCR";

/// A ProxyHCTemplate/ProxyHCExpr name among those defined (compared without case);
/// any name when they are not tracked.
fn known_name(names: Option<&HcNames>, val: &str) -> bool {
    names.is_none_or(|names| names.contains(&val.to_ascii_lowercase()))
}

/// One parameter's value against its row of the table.
fn check_value(p: &WorkerParam, val: &str, env: &ParamEnv<'_>) -> Result<(), String> {
    let fail = |i: usize| Err(message(p, i));
    match p.parse {
        "loadfactor" => {
            // Two decimals kept: 1..100 becomes 100..10000, cut toward zero.
            let scaled = atof(val) * 100.0;
            if !scaled.is_finite() || (scaled as i64) < p.min || (scaled as i64) > p.max {
                return fail(0);
            }
        }
        "atoi" => {
            let v = i64::from(atoi(val));
            if v < p.min || v > p.max {
                return fail(0);
            }
        }
        "atol" if atol(val) < p.min => return fail(0),
        "buffer" => {
            // 0 means the system default; otherwise at least the minimum.
            let v = if p.key == "iobuffersize" {
                atol(val)
            } else {
                i64::from(atoi(val))
            };
            if v < p.min && v != 0 {
                return fail(0);
            }
        }
        "time:ms" | "time:s" => {
            let unit = if p.parse == "time:ms" {
                Unit::Milliseconds
            } else {
                Unit::Seconds
            };
            match timeout_parameter(val, unit) {
                None => return fail(0),
                Some(t) if t < p.min => return fail(1),
                Some(_) => {}
            }
        }
        "addressttl" => {
            let ok = val == "-1"
                || timeout_parameter(val, Unit::Seconds)
                    .is_some_and(|t| t <= i64::from(i32::MAX) * 1_000_000 && t % 1_000_000 == 0);
            if !ok {
                return fail(0);
            }
        }
        "onoff" if !on_off(val) => return fail(0),
        "flushpackets" if !on_off(val) && !val.eq_ignore_ascii_case("auto") => return fail(0),
        "maxlen" => {
            let stored = if p.key == "upgrade" && val.eq_ignore_ascii_case("ANY") {
                "*"
            } else {
                val
            };
            if !fits(stored, p.max) {
                return Err(message(p, 0).replace("%d", &p.max.to_string()));
            }
        }
        "status" => {
            // Each letter may follow a + or -; a sign at the end reads the NUL.
            let mut chars = val.chars();
            while let Some(mut c) = chars.next() {
                if c == '+' || c == '-' {
                    match chars.next() {
                        Some(next) => c = next,
                        None => return fail(0),
                    }
                }
                if !STATUS_FLAGS.contains(c.to_ascii_uppercase()) || !c.is_ascii() {
                    return fail(0);
                }
            }
        }
        "stickysession" => {}
        "stickysessionsep" if val.len() != 1 && !val.eq_ignore_ascii_case("off") => {
            return fail(0);
        }
        // Providers are looked up with case.
        "lbmethod" if !fits(val, p.max) || !env.modules.lbmethods.contains(&val) => return fail(0),
        "failonstatus" => {
            let codes = val.split([',', ' ']).filter(|t| !t.is_empty());
            for code in codes {
                if !(100..=599).contains(&atoi(code)) {
                    return fail(0);
                }
            }
        }
        "nonce" if !val.eq_ignore_ascii_case("None") && !fits(val, p.max) => return fail(0),
        "hctemplate" if !known_name(env.hc_templates, val) => {
            return Err(message(p, 0).replace("%s", val));
        }
        "hcmethod" => match HC_METHODS.iter().find(|(m, _)| m.eq_ignore_ascii_case(val)) {
            Some((_, true)) => {}
            Some((_, false)) => return Err(message(p, 0).replace("%s", val)),
            None => return fail(1),
        },
        "hcexpr" => {
            if !known_name(env.hc_exprs, val) {
                return Err(message(p, 0).replace("%s", val));
            }
            if !fits(val, p.max) {
                return Err(message(p, 1).replace("%d", &p.max.to_string()));
            }
        }
        // A parse kind the code does not know is a table error, caught by the tests.
        _ => {}
    }
    Ok(())
}

/// `set_worker_param` (falling back to mod_proxy_hcheck's keys when it is loaded).
pub fn check_worker_param(key: &str, val: &str, env: &ParamEnv<'_>) -> Result<(), String> {
    if let Some(p) = find(key, ParamScope::Worker) {
        return check_value(p, val, env);
    }
    if !env.modules.hcheck {
        return Err("unknown Worker parameter".to_string());
    }
    match find(key, ParamScope::HealthCheck) {
        Some(p) => check_value(p, val, env),
        None => Err("unknown Worker hcheck parameter".to_string()),
    }
}

/// `set_balancer_param`.
pub fn check_balancer_param(key: &str, val: &str, env: &ParamEnv<'_>) -> Result<(), String> {
    match find(key, ParamScope::Balancer) {
        Some(p) => check_value(p, val, env),
        None => Err("unknown Balancer parameter".to_string()),
    }
}

/// httpd's parameter table (`apr_table_setn`): a repeated key (compared without case)
/// keeps its first place and its last value; `key=value` words split at the first `=`.
pub fn param_table<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(&'a str, &'a str)> {
    let mut table: Vec<(&str, &str)> = Vec::new();
    for (k, v) in pairs {
        match table
            .iter_mut()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
        {
            Some(entry) => entry.1 = v,
            None => table.push((k, v)),
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules() -> ProxyModules {
        ProxyModules {
            hcheck: false,
            lbmethods: vec!["byrequests"],
        }
    }

    fn w(key: &str, val: &str) -> Result<(), String> {
        check_worker_param(key, val, &ParamEnv::untracked(&modules()))
    }

    fn b(key: &str, val: &str) -> Result<(), String> {
        check_balancer_param(key, val, &ParamEnv::untracked(&modules()))
    }

    #[test]
    fn integer_keys_use_atoi_bounds() {
        assert!(w("retry", "0").is_ok());
        assert_eq!(
            w("retry", "-1").unwrap_err(),
            "Retry must be a positive value"
        );
        // atoi: text is 0, a unit suffix is ignored.
        assert!(w("retry", "abc").is_ok());
        assert_eq!(
            w("timeout", "abc").unwrap_err(),
            "Timeout must be at least one second"
        );
        assert!(w("timeout", "500ms").is_ok());
        assert_eq!(
            w("ttl", "0").unwrap_err(),
            "TTL must be at least one second"
        );
        assert_eq!(
            w("lbset", "100").unwrap_err(),
            "lbset must be between 0 and 99"
        );
        assert!(w("flushwait", "1000").is_ok());
        assert!(w("flushwait", "1001").is_err());
        assert_eq!(
            b("growth", "0").unwrap_err(),
            "growth must be between 1 and 100"
        );
        assert_eq!(
            b("timeout", "0").unwrap_err(),
            "timeout must be at least one second"
        );
    }

    #[test]
    fn keys_compare_without_case() {
        assert_eq!(
            w("Retry", "-5").unwrap_err(),
            "Retry must be a positive value"
        );
        assert!(w("TIMEOUT", "5").is_ok());
    }

    #[test]
    fn loadfactor_keeps_two_decimals() {
        assert!(w("loadfactor", "1").is_ok());
        assert!(w("loadfactor", "100").is_ok());
        assert!(w("loadfactor", "2.5").is_ok());
        assert_eq!(
            w("loadfactor", "0.5").unwrap_err(),
            "LoadFactor must be a number between 1..100"
        );
        assert!(w("loadfactor", "100.5").is_err());
        assert!(w("loadfactor", "0.999").is_err());
        assert!(w("loadfactor", "inf").is_err());
    }

    #[test]
    fn timeouts_with_units() {
        assert!(w("connectiontimeout", "5").is_ok());
        assert!(w("connectiontimeout", "500ms").is_ok());
        assert_eq!(
            w("connectiontimeout", "5x").unwrap_err(),
            "Connectiontimeout has wrong format"
        );
        assert_eq!(
            w("connectiontimeout", "0").unwrap_err(),
            "Connectiontimeout must be at least one millisecond."
        );
        assert!(w("acquire", "1").is_ok());
        assert_eq!(
            w("acquire", "0").unwrap_err(),
            "Acquire must be at least one millisecond"
        );
        assert_eq!(
            w("ping", "-1").unwrap_err(),
            "Ping/Pong timeout has wrong format"
        );
    }

    #[test]
    fn buffers_take_zero_or_a_minimum() {
        assert!(w("iobuffersize", "0").is_ok());
        assert!(w("iobuffersize", "512").is_ok());
        assert_eq!(
            w("iobuffersize", "100").unwrap_err(),
            "IOBufferSize must be >= 512 bytes, or 0 for system default."
        );
        assert!(w("receivebuffersize", "-1").is_err());
        assert!(w("responsefieldsize", "0").is_ok());
        assert!(w("responsefieldsize", "-1").is_err());
    }

    #[test]
    fn flags_and_enums() {
        assert!(w("keepalive", "On").is_ok());
        assert_eq!(
            w("keepalive", "yes").unwrap_err(),
            "KeepAlive must be On|Off"
        );
        assert_eq!(
            w("enablereuse", "1").unwrap_err(),
            "EnableReuse must be On|Off"
        );
        assert!(w("flushpackets", "AUTO").is_ok());
        assert_eq!(
            w("flushpackets", "x").unwrap_err(),
            "flushpackets must be on|off|auto"
        );
        assert_eq!(b("nofailover", "x").unwrap_err(), "failover must be On|Off");
    }

    #[test]
    fn lengths_are_checked_with_the_buffer_size() {
        assert!(w("route", &"r".repeat(63)).is_ok());
        assert_eq!(
            w("route", &"r".repeat(64)).unwrap_err(),
            "Route length must be < 64 characters"
        );
        assert!(w("upgrade", "websocket").is_ok());
        assert!(w("upgrade", "ANY").is_ok());
        assert_eq!(
            w("upgrade", "a-very-long-protocol").unwrap_err(),
            "upgrade protocol length must be < 16 characters"
        );
        assert!(w("secret", &"s".repeat(64)).is_err());
        assert!(b("nonce", "None").is_ok());
        assert_eq!(
            b("nonce", &"n".repeat(37)).unwrap_err(),
            "Provided nonce is too large"
        );
    }

    #[test]
    fn status_letters() {
        assert!(w("status", "+H").is_ok());
        assert!(w("status", "D").is_ok());
        assert!(w("status", "-d+s").is_ok());
        assert!(w("status", "").is_ok());
        assert_eq!(
            w("status", "X").unwrap_err(),
            "Unknown status parameter option"
        );
        assert!(w("status", "+").is_err());
        assert!(w("status", "é").is_err());
    }

    #[test]
    fn balancer_specific_values() {
        assert!(b("stickysessionsep", "~").is_ok());
        assert!(b("stickysessionsep", "OFF").is_ok());
        assert_eq!(
            b("stickysessionsep", "ab").unwrap_err(),
            "stickysessionsep must be a single character or Off"
        );
        assert!(b("failonstatus", "500,502 503").is_ok());
        assert!(b("failonstatus", "").is_ok());
        assert_eq!(
            b("failonstatus", "500,abc").unwrap_err(),
            "failonstatus must be one or more HTTP response codes"
        );
        assert!(b("stickysession", &"x".repeat(500)).is_ok());
    }

    #[test]
    fn lbmethod_needs_its_module() {
        assert!(b("lbmethod", "byrequests").is_ok());
        assert_eq!(b("lbmethod", "bytraffic").unwrap_err(), "unknown lbmethod");
        assert_eq!(b("lbmethod", "ByRequests").unwrap_err(), "unknown lbmethod");
        let mut loaded = LoadedModules::builtin();
        loaded.load(module("mod_lbmethod_bytraffic").expect("bytraffic"));
        let modules = ProxyModules::from_loaded(&loaded);
        assert!(
            check_balancer_param("lbmethod", "bytraffic", &ParamEnv::untracked(&modules)).is_ok()
        );
    }

    #[test]
    fn unknown_keys_per_object() {
        assert_eq!(w("nosuch", "1").unwrap_err(), "unknown Worker parameter");
        assert_eq!(b("retry", "1").unwrap_err(), "unknown Balancer parameter");
        assert_eq!(
            w("hcmethod", "GET").unwrap_err(),
            "unknown Worker parameter"
        );
    }

    #[test]
    fn health_check_keys_when_hcheck_is_loaded() {
        let modules = ProxyModules {
            hcheck: true,
            ..modules()
        };
        let templates: HcNames = ["tpl".to_string()].into_iter().collect();
        let exprs: HcNames = ["ok234".to_string()].into_iter().collect();
        let env = ParamEnv {
            modules: &modules,
            hc_templates: Some(&templates),
            hc_exprs: Some(&exprs),
        };
        let hc = |k: &str, v: &str| check_worker_param(k, v, &env);
        assert!(hc("hcmethod", "get").is_ok());
        assert_eq!(
            hc("hcmethod", "CPING").unwrap_err(),
            "Health check method CPING not (yet) implemented"
        );
        assert_eq!(hc("hcmethod", "PUT").unwrap_err(), "Unknown method");
        assert!(hc("hcinterval", "100ms").is_ok());
        assert_eq!(
            hc("hcinterval", "50ms").unwrap_err(),
            "Interval must be a positive value greater than 100ms"
        );
        assert_eq!(
            hc("hcinterval", "x").unwrap_err(),
            "Unparse-able hcinterval setting"
        );
        assert!(hc("hctemplate", "TPL").is_ok());
        assert_eq!(
            hc("hctemplate", "other").unwrap_err(),
            "Unknown ProxyHCTemplate name: other"
        );
        assert_eq!(
            hc("hcexpr", "nope").unwrap_err(),
            "Unknown health check condition expr: nope"
        );
        assert_eq!(
            hc("nosuch", "1").unwrap_err(),
            "unknown Worker hcheck parameter"
        );
    }

    #[test]
    fn repeated_keys_keep_first_place_last_value() {
        let t = param_table([("timeout", "0"), ("retry", "1"), ("Timeout", "5")]);
        assert_eq!(t, [("timeout", "5"), ("retry", "1")]);
    }

    #[test]
    fn every_parse_kind_of_the_table_is_known() {
        let known = [
            "loadfactor",
            "atoi",
            "atol",
            "buffer",
            "time:ms",
            "time:s",
            "addressttl",
            "onoff",
            "flushpackets",
            "maxlen",
            "status",
            "stickysession",
            "stickysessionsep",
            "lbmethod",
            "failonstatus",
            "nonce",
            "hctemplate",
            "hcmethod",
            "hcexpr",
        ];
        for p in worker_params() {
            assert!(known.contains(&p.parse), "{} {}", p.key, p.parse);
        }
    }
}
