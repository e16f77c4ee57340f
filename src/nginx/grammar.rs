//! The nginx directive table (grammars/nginx/*.tsv, compiled into static tables by
//! build.rs) and the questions the checks ask it: does this directive exist in this
//! nginx version with these modules, where is it allowed, how many arguments, what
//! kind of value.

use foldhash::{HashMap, HashSet};
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/grammar_tables.rs"));

/// The nginx version checked against when none is given or found: the current stable
/// branch.
pub const DEFAULT_VERSION: Version = Version(1, 30, 4);

pub use crate::version::Version;

/// The oldest nginx the tables describe: the oldest release tests/grammar_sync.rs
/// samples (its `RELEASES`).
pub const OLDEST_VERSION: Version = Version(1, 18, 0);

/// The newest nginx version the tables name (a directive's, variable's or default's
/// `since`/`until`, or the default version).
pub fn newest_version() -> Version {
    static NEWEST: OnceLock<Version> = OnceLock::new();
    *NEWEST.get_or_init(|| {
        DEFS.iter()
            .flat_map(|d| [d.since, d.until])
            .chain(VARIABLES.iter().flat_map(|v| [v.since, v.until]))
            .flatten()
            .chain(DEFAULT_CHANGES.iter().map(|(_, since, _)| *since))
            .fold(DEFAULT_VERSION, Version::max)
    })
}

/// Whether the tables answer for `version`: from [`OLDEST_VERSION`] to the end of the
/// minor series of [`newest_version`] (1.31.x). Every version in between is checked as
/// itself: `since`/`until` are patch-precise and rules compare with their own versions
/// (1.29.7's keepalive defaults), so rounding down to a sampled release would lose them.
pub fn supported(version: Version) -> Result<Version, String> {
    let newest = newest_version();
    if version >= OLDEST_VERSION && (version.0, version.1) <= (newest.0, newest.1) {
        return Ok(version);
    }
    Err(format!(
        "nginx {version} is outside proxylint's tables, which cover nginx {OLDEST_VERSION} to {}.{}.x (newest known {newest}; the current stable is {DEFAULT_VERSION})",
        newest.0, newest.1
    ))
}

/// The version a `--nginx-version` (or proxylint.toml `nginx-version`) value names, when
/// the tables cover it.
pub fn parse_supported(text: &str) -> Result<Version, String> {
    supported(text.parse()?)
}

/// The version to check an installed nginx of `version` against: itself when the tables
/// cover it, else the nearest they know (the newest for a newer nginx, the oldest for an
/// older one).
pub fn nearest_supported(version: Version) -> Version {
    match supported(version) {
        Ok(v) => v,
        Err(_) if version < OLDEST_VERSION => OLDEST_VERSION,
        Err(_) => newest_version(),
    }
}

/// nginx's spelling of a version (`--nginx-version`, `nginx-version`), with a message
/// that names nginx.
impl std::str::FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s).ok_or_else(|| {
            format!("invalid nginx version \"{s}\": expected MAJOR.MINOR[.PATCH], e.g. 1.26.3")
        })
    }
}

/// Accepted argument counts (nginx's NGX_CONF_TAKE*/FLAG/1MORE/2MORE/ANY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Bit n set: n arguments accepted.
    Counts(u16),
    AtLeast(usize),
    Any,
}

impl Arity {
    pub fn accepts(self, n: usize) -> bool {
        match self {
            // nginx's argument_number table stops at 7; more never matches TAKEn.
            Arity::Counts(mask) => n <= 7 && mask & (1 << n) != 0,
            Arity::AtLeast(min) => n >= min,
            Arity::Any => true,
        }
    }
}

/// How nginx validates the value (the set-handler family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Flag,
    Msec,
    Sec,
    Size,
    Off,
    Num,
    Enum(&'static [&'static str]),
    Bitmask(&'static [&'static str]),
    Bufs,
    Str,
    Strs,
    Keyval,
    Path,
    Access,
    SizeOrVar,
    Obsolete,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Optional,
    Dynamic,
    ThirdParty,
    Plus,
}

#[derive(Debug)]
pub struct ModuleDef {
    pub name: &'static str,
    pub origin: Origin,
    /// The .so that provides the module when it is built dynamic.
    pub so: Option<&'static str>,
}

#[derive(Debug)]
pub struct DirectiveDef {
    pub name: &'static str,
    /// The name's number, shared by every definition of the name: the model groups
    /// directives by it instead of hashing names.
    pub name_id: NameId,
    pub module: &'static str,
    pub contexts: &'static [&'static str],
    pub arity: Arity,
    pub kind: Kind,
    pub block: bool,
    pub raw: bool,
    pub lua: bool,
    /// nginx refuses a second occurrence in the same block ("is duplicate").
    pub dup: bool,
    /// nginx refuses `off` next to another occurrence in the same block (and only that:
    /// `proxy_redirect`, `mirror`...).
    pub dup_off: bool,
    pub deprecated: bool,
    pub since: Option<Version>,
    pub until: Option<Version>,
    pub handler: &'static str,
    /// Documented default value, as nginx.org writes it.
    pub default: &'static str,
    /// Documented syntax of the parameters (`time`, `number size`).
    pub syntax: &'static str,
    /// An NGINX Plus addition to an open-source module (`queue` in upstream), or a
    /// directive of an NGINX Plus module.
    pub plus_only: bool,
    /// The .so its module comes in when built dynamic.
    pub so: Option<&'static str>,
}

impl DirectiveDef {
    pub fn allowed_in(&self, context: &str) -> bool {
        self.contexts.iter().any(|c| *c == context || *c == "any")
    }

    pub fn in_version(&self, v: Version) -> bool {
        self.since.is_none_or(|s| s <= v) && self.until.is_none_or(|u| v <= u)
    }
}

/// Which directives exist for this run: nginx version, loaded dynamic modules, Plus.
#[derive(Debug, Clone)]
pub struct Availability {
    pub version: Version,
    /// File names of the `load_module`ed .so files; `None` when the configuration has no
    /// `load_module` line (then every module is assumed present).
    pub loaded: Option<HashSet<String>>,
    pub plus: bool,
    /// The third-party modules the target nginx has besides what `load_module` loads
    /// (built in, as in OpenResty, or loaded by a file proxylint does not read): `--modules`.
    /// `None` when not said; when said, it is the whole list, and a third-party module
    /// neither in it nor loaded is missing.
    pub modules: Option<HashSet<&'static str>>,
}

impl Default for Availability {
    fn default() -> Self {
        Availability {
            version: DEFAULT_VERSION,
            loaded: None,
            plus: false,
            modules: None,
        }
    }
}

/// Why a directive that proxylint knows is unknown to this nginx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// Not in this nginx version; the versions that have it.
    Version {
        since: Option<Version>,
        until: Option<Version>,
    },
    /// Its dynamic module is not loaded.
    NotLoaded {
        module: &'static str,
        so: &'static str,
    },
    /// Only in NGINX Plus.
    Plus { module: &'static str },
}

pub enum Lookup<'g> {
    Found(&'g DirectiveDef),
    /// Exists, but not in this context: the definitions that exist.
    NotAllowed(Vec<&'g DirectiveDef>),
    Unavailable(Unavailable),
    Unknown,
}

/// A variable a module registers (grammars/nginx/variables.tsv).
#[derive(Debug)]
pub struct VariableDef {
    /// Name without `$`; for a prefix family, the prefix (`http_`).
    pub name: &'static str,
    pub prefix: bool,
    /// `http` or `stream`.
    pub family: &'static str,
    pub module: &'static str,
    pub plus: bool,
    pub since: Option<Version>,
    pub until: Option<Version>,
}

/// A directive name's number: its rank among the names the tables know.
pub type NameId = u16;

/// Where the definitions of name `id` are in the table.
fn indexes_of(id: NameId) -> &'static [u16] {
    BY_NAME
        .get(usize::from(id))
        .map_or(&[], |(_, indexes)| indexes)
}

fn defs_at(indexes: &'static [u16]) -> impl Iterator<Item = &'static DirectiveDef> {
    indexes.iter().map(|&i| &DEFS[usize::from(i)])
}

/// The tables of grammars/nginx, behind the lookups the checks need.
pub struct Grammar;

impl Grammar {
    /// The number of a directive name the tables know.
    pub fn name_id(&self, name: &str) -> Option<NameId> {
        // Every directive of a configuration is looked up, often several times: a hash
        // map (built in ~30 us) instead of a binary search over 1,500 names.
        static BY_NAME_MAP: OnceLock<HashMap<&'static str, NameId>> = OnceLock::new();
        BY_NAME_MAP
            .get_or_init(|| {
                (0..)
                    .zip(BY_NAME)
                    .map(|(id, &(name, _))| (name, id))
                    .collect()
            })
            .get(name)
            .copied()
    }

    /// The name numbered `id`.
    pub fn name_of(&self, id: NameId) -> &'static str {
        BY_NAME[usize::from(id)].0
    }

    /// How many names the tables know: name numbers are below it.
    pub fn name_count(&self) -> usize {
        BY_NAME.len()
    }

    pub fn defs(&self, name: &str) -> impl Iterator<Item = &'static DirectiveDef> {
        // A slice iterator, not a flattened `Option`: every directive of a
        // configuration is looked up here, and a flattening iterator steps through
        // both layers for each definition.
        defs_at(self.name_id(name).map_or(&[], indexes_of))
    }

    /// The definitions of the name numbered `id` (see [`Grammar::name_id`]).
    pub fn defs_of(&self, id: NameId) -> impl Iterator<Item = &'static DirectiveDef> {
        defs_at(indexes_of(id))
    }

    pub fn all(&self) -> &'static [DirectiveDef] {
        DEFS
    }

    pub fn module(&self, name: &str) -> Option<&'static ModuleDef> {
        let i = MODULES.binary_search_by_key(&name, |m| m.name).ok()?;
        Some(&MODULES[i])
    }

    /// Why `def` is not part of this nginx, or `None` if it is.
    pub fn unavailable(&self, def: &DirectiveDef, avail: &Availability) -> Option<Unavailable> {
        if !def.in_version(avail.version) {
            return Some(Unavailable::Version {
                since: def.since,
                until: def.until,
            });
        }
        if def.plus_only && !avail.plus {
            return Some(Unavailable::Plus { module: def.module });
        }
        if let Some(so) = def.so
            && self.missing(def.module, so, avail)
        {
            return Some(Unavailable::NotLoaded {
                module: def.module,
                so,
            });
        }
        None
    }

    /// Whether a module that comes as `so` when dynamic is missing from this nginx: not
    /// loaded while the configuration loads modules, or a third-party module neither
    /// loaded nor among the declared `--modules`.
    fn missing(&self, module: &str, so: &str, avail: &Availability) -> bool {
        let loaded = avail.loaded.as_ref().is_some_and(|l| l.contains(so));
        let third_party = self
            .module(module)
            .is_some_and(|m| m.origin == Origin::ThirdParty);
        if third_party && let Some(declared) = &avail.modules {
            return !loaded && !declared.contains(module);
        }
        avail.loaded.is_some() && !loaded
    }

    /// The third-party modules a user means by `name`: a module's name
    /// (`ngx_http_headers_more_filter_module`), its .so file, or either without the
    /// `ngx_`/`http_`/`stream_` prefixes and `_module`/`.so` suffixes, `-` or `_`
    /// (`headers-more-filter`, `lua`: both the http and the stream module), or a Debian
    /// package name (`libnginx-mod-http-echo`).
    pub fn third_party_modules_named(&self, name: &str) -> Vec<&'static str> {
        let wanted = short_module_name(name);
        let named = |exact: bool| -> Vec<&'static str> {
            let fits = |n: &str| {
                let short = short_module_name(n);
                short == wanted || (!exact && short.starts_with(&format!("{wanted}_")))
            };
            MODULES
                .iter()
                .filter(|m| m.origin == Origin::ThirdParty)
                .filter(|m| fits(m.name) || m.so.is_some_and(fits))
                .map(|m| m.name)
                .collect()
        };
        // The project's name (`headers-more`, `brotli`, `ndk`) is the start of its
        // modules' names.
        let exact = named(true);
        if exact.is_empty() {
            named(false)
        } else {
            exact
        }
    }

    /// The short names of the third-party modules, for suggestions.
    pub fn third_party_module_names(&self) -> Vec<String> {
        let mut names: Vec<String> = MODULES
            .iter()
            .filter(|m| m.origin == Origin::ThirdParty)
            .map(|m| short_module_name(m.so.unwrap_or(m.name)))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// nginx's `ngx_conf_handler` lookup: the first available definition allowed in
    /// `context`; "not allowed here" when only others exist; "unknown" otherwise.
    pub fn lookup(&self, name: &str, context: &str, avail: &Availability) -> Lookup<'_> {
        let mut available = Vec::new();
        let mut reason = None;
        for def in self.defs(name) {
            match self.unavailable(def, avail) {
                None if def.allowed_in(context) => return Lookup::Found(def),
                None => available.push(def),
                Some(why) => {
                    // Prefer explaining with the definition for this context.
                    if reason.is_none() || def.allowed_in(context) {
                        reason = Some(why);
                    }
                }
            }
        }
        if !available.is_empty() {
            return Lookup::NotAllowed(available);
        }
        match reason {
            Some(why) => Lookup::Unavailable(why),
            None => Lookup::Unknown,
        }
    }

    /// Whether any known directive (in any version or module) has this name.
    pub fn knows(&self, name: &str) -> bool {
        self.name_id(name).is_some()
    }

    /// How the body of a block directive named `name` is read. Decided by name alone,
    /// as nginx decides when the module handler sees the `{`.
    pub fn body_mode(&self, name: &str) -> super::parser::BodyMode {
        use super::parser::BodyMode;
        let mut mode = BodyMode::Directives;
        for def in self.defs(name).filter(|d| d.block) {
            if def.lua {
                return BodyMode::Lua;
            }
            if def.raw {
                // types, map and geo read `include` lines; split_clients and
                // charset_map treat them as data.
                mode = BodyMode::Raw {
                    includes: !matches!(name, "split_clients" | "charset_map"),
                };
            }
        }
        mode
    }

    /// The context of a block's body: `server` in `http` is `http>server`, a nested
    /// `location` stays `http>location`, `if` depends on where it is.
    pub fn child_context(&self, parent: &str, name: &str) -> &'static str {
        let fixed = match (parent, name) {
            ("main", _) => None,
            (p, "location") if p.starts_with("http") => Some("http>location"),
            ("http>server", "if") => Some("http>server>if"),
            ("http>location", "if") => Some("http>location>if"),
            (p, "limit_except") if p.starts_with("http") => Some("http>location>limit_except"),
            _ => None,
        };
        if let Some(ctx) = fixed {
            return ctx;
        }
        // `parent>name` compared piecewise: no string is built for each block.
        let pieces: &[&str] = if parent == "main" {
            &[name]
        } else {
            &[parent, ">", name]
        };
        CONTEXTS
            .binary_search_by(|ctx| {
                pieces
                    .iter()
                    .flat_map(|p| p.bytes())
                    .cmp(ctx.bytes())
                    .reverse()
            })
            .map_or(UNKNOWN_CONTEXT, |i| CONTEXTS[i])
    }

    /// Whether a module of this nginx registers variable `name` (lower case, without
    /// `$`) in `family` (`http` or `stream`), by name or by prefix.
    pub fn variable_known(&self, name: &str, family: &str, avail: &Availability) -> bool {
        // The name first: the module lookup behind availability is the costly part.
        VARIABLES.iter().any(|v| {
            let named = if v.prefix {
                name.starts_with(v.name)
            } else {
                name == v.name
            };
            named && self.variable_available(v, family, avail)
        })
    }

    /// The variables available in `family` for this nginx, for did-you-mean suggestions.
    pub fn variables_of<'a>(
        &'a self,
        family: &'a str,
        avail: &'a Availability,
    ) -> impl Iterator<Item = &'a VariableDef> + 'a {
        VARIABLES
            .iter()
            .filter(move |v| self.variable_available(v, family, avail))
    }

    fn variable_available(&self, v: &VariableDef, family: &str, avail: &Availability) -> bool {
        v.family == family
            && (!v.plus || avail.plus)
            && v.since.is_none_or(|s| s <= avail.version)
            && v.until.is_none_or(|u| avail.version <= u)
            && self.module_available(v.module, avail)
    }

    /// Whether a module is part of this nginx: not a Plus module without `--plus`, and
    /// not missing (see [`Grammar::unavailable`]).
    fn module_available(&self, module: &str, avail: &Availability) -> bool {
        let Some(m) = self.module(module) else {
            return true;
        };
        if m.origin == Origin::Plus && !avail.plus {
            return false;
        }
        m.so.is_none_or(|so| !self.missing(module, so, avail))
    }

    /// Names of directives available in `context`, for did-you-mean suggestions.
    pub fn names_in<'a>(
        &'a self,
        context: &'a str,
        avail: &'a Availability,
    ) -> impl Iterator<Item = &'static str> + 'a {
        DEFS.iter()
            .filter(move |d| d.allowed_in(context) && self.unavailable(d, avail).is_none())
            .map(|d| d.name)
    }
}

/// A module or .so name without what users leave out: `ngx_http_lua_module.so` and
/// `libnginx-mod-http-lua` are `lua`.
pub fn short_module_name(name: &str) -> String {
    let mut n = name.to_ascii_lowercase().replace('-', "_");
    for suffix in [".so", "_module"] {
        if let Some(rest) = n.strip_suffix(suffix) {
            n = rest.to_string();
        }
    }
    for prefix in ["libnginx_mod_", "ngx_", "http_", "stream_", "mail_"] {
        if let Some(rest) = n.strip_prefix(prefix) {
            n = rest.to_string();
        }
    }
    n
}

/// Context of the body of a block proxylint has no table for (an unknown directive):
/// directives inside are not checked for placement.
pub const UNKNOWN_CONTEXT: &str = "?";

/// nginx's default for a directive in a version: the documented (mainline) default,
/// or the older one of grammars/nginx/default-changes.tsv. Documented defaults with
/// alternatives (`4k|8k`) or several directives (`Host $proxy_host || Connection close`)
/// are not single values: `None`.
pub fn default_value(name: &str, version: Version) -> Option<&'static str> {
    // The oldest change the version predates gives the default it has.
    let older = DEFAULT_CHANGES
        .iter()
        .filter(|(n, since, _)| *n == name && version < *since)
        .min_by_key(|(_, since, _)| *since);
    if let Some((_, _, old)) = older {
        return (!old.is_empty()).then_some(old);
    }
    let documented = grammar()
        .defs(name)
        .find(|d| d.in_version(version))?
        .default;
    (!documented.is_empty() && !documented.contains('|')).then_some(documented)
}

/// Ports whose protocol is conventional (grammars/nginx/ports.tsv).
#[derive(Debug, Clone, Default)]
pub struct ConventionalPorts {
    pub http: Vec<u16>,
    pub tls: Vec<u16>,
    pub fastcgi: Vec<u16>,
}

pub fn conventional_ports() -> ConventionalPorts {
    let mut ports = ConventionalPorts::default();
    for &(category, port) in PORTS {
        match category {
            "http" => ports.http.push(port),
            "tls" => ports.tls.push(port),
            "fastcgi" => ports.fastcgi.push(port),
            _ => {}
        }
    }
    ports
}

pub fn grammar() -> &'static Grammar {
    &Grammar
}
