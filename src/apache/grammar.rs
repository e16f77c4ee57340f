//! Apache httpd's directive table (grammars/apache/*.tsv, compiled into static tables by
//! build.rs) and the argument semantics of `apache2 -t`: which directives exist for the
//! modules a configuration loads, where each may appear, how its arguments are counted,
//! and what the handlers of the common core and proxy directives refuse, each with
//! httpd's own message.
//!
//! Pure functions over strings and the static tables; no I/O. Callers hand in text as
//! `&str`: a reader of raw bytes decodes them lossily (invalid UTF-8 becomes U+FFFD).
//! httpd's decisions here hinge on ASCII only (delimiters, keywords, digits), so lossy
//! text gives httpd's verdict; only byte-length limits (a worker `route=` of 63 bytes)
//! may count a replaced byte as three.
//!
//! Submodules: [`args`] (tokens and argument counts), [`context`] (where a directive may
//! appear), [`conditions`] (`<IfModule>`, `<IfVersion>`... arguments), [`handlers`]
//! (value checks of core directives), [`proxy`] and [`worker_params`] (ProxyPass and
//! friends), `suggest` (did-you-mean).

use std::fmt;
use std::sync::OnceLock;

use foldhash::HashMap;

pub use crate::version::Version;

pub mod args;
mod cnum;
pub mod conditions;
pub mod context;
mod core_values;
pub mod handlers;
mod module_values;
pub mod proxy;
mod suggest;
pub mod worker_params;

pub use args::{check_args, getword_conf, words};
pub use conditions::{cond_section, if_version};
pub use context::{ContextStack, Section, check_context};
pub use handlers::{HandlerState, check_directive, check_section_end};

include!(concat!(env!("OUT_DIR"), "/apache_tables.rs"));

/// The httpd release checked against when none is given: Debian's apache2 installed for
/// the differential tests (2.4.71).
pub const DEFAULT_VERSION: Version = Version(2, 4, 71);

/// Where Debian's apache2 installs its loadable modules.
pub const DEBIAN_MODULE_DIR: &str = "/usr/lib/apache2/modules";

/// `"2.4.62"` as a version; the message names Apache.
pub fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s).ok_or_else(|| {
        format!("invalid Apache httpd version \"{s}\": expected MAJOR.MINOR[.PATCH], e.g. 2.4.62")
    })
}

/// How httpd's config reader splits a directive's arguments before its handler sees
/// them (`cmd_how` of include/http_config.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgsKind {
    Take1,
    Take2,
    Take12,
    Take3,
    Take23,
    Take123,
    Take13,
    Iterate,
    Iterate2,
    Flag,
    NoArgs,
    /// The handler parses the rest of the line itself.
    RawArgs,
    /// Up to 64 words; more are dropped silently.
    TakeArgv,
}

const ARGS_KIND_NAMES: [(ArgsKind, &str); 13] = [
    (ArgsKind::Take1, "TAKE1"),
    (ArgsKind::Take2, "TAKE2"),
    (ArgsKind::Take12, "TAKE12"),
    (ArgsKind::Take3, "TAKE3"),
    (ArgsKind::Take23, "TAKE23"),
    (ArgsKind::Take123, "TAKE123"),
    (ArgsKind::Take13, "TAKE13"),
    (ArgsKind::Iterate, "ITERATE"),
    (ArgsKind::Iterate2, "ITERATE2"),
    (ArgsKind::Flag, "FLAG"),
    (ArgsKind::NoArgs, "NO_ARGS"),
    (ArgsKind::RawArgs, "RAW_ARGS"),
    (ArgsKind::TakeArgv, "TAKE_ARGV"),
];

impl fmt::Display for ArgsKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = ARGS_KIND_NAMES
            .iter()
            .find(|(k, _)| k == self)
            .map_or("?", |(_, n)| n);
        f.write_str(name)
    }
}

impl std::str::FromStr for ArgsKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ARGS_KIND_NAMES
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(k, _)| *k)
            .ok_or_else(|| format!("unknown argument kind {s}"))
    }
}

/// httpd's `req_override` bits: where a directive may be written (include/http_config.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Override(pub u16);

impl Override {
    pub const NONE: Override = Override(0);
    pub const OR_LIMIT: Override = Override(1);
    pub const OR_OPTIONS: Override = Override(2);
    pub const OR_FILEINFO: Override = Override(4);
    pub const OR_AUTHCFG: Override = Override(8);
    pub const OR_INDEXES: Override = Override(16);
    pub const OR_ALL: Override = Override(1 | 2 | 4 | 8 | 16);
    pub const ACCESS_CONF: Override = Override(64);
    pub const RSRC_CONF: Override = Override(128);
    pub const EXEC_ON_READ: Override = Override(256);
    pub const PROXY_CONF: Override = Override(2048);

    pub const fn union(self, other: Override) -> Override {
        Override(self.0 | other.0)
    }

    pub const fn without(self, other: Override) -> Override {
        Override(self.0 & !other.0)
    }

    pub const fn intersects(self, other: Override) -> bool {
        self.0 & other.0 != 0
    }

    pub const fn contains(self, other: Override) -> bool {
        self.0 & other.0 == other.0
    }

    /// The `AllowOverride` classes (`Limit Options FileInfo AuthConfig Indexes`) that let
    /// a directive with these bits into .htaccess files.
    pub fn htaccess_classes(self) -> Vec<&'static str> {
        [
            (Override::OR_LIMIT, "Limit"),
            (Override::OR_OPTIONS, "Options"),
            (Override::OR_FILEINFO, "FileInfo"),
            (Override::OR_AUTHCFG, "AuthConfig"),
            (Override::OR_INDEXES, "Indexes"),
        ]
        .into_iter()
        .filter(|(bit, _)| self.intersects(*bit))
        .map(|(_, name)| name)
        .collect()
    }
}

/// Flags of `ap_check_cmd_context()` (include/http_config.h): sections a handler refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Forbidden(pub u8);

impl Forbidden {
    pub const NONE: Forbidden = Forbidden(0);
    pub const NOT_IN_VIRTUALHOST: Forbidden = Forbidden(0x01);
    pub const NOT_IN_LIMIT: Forbidden = Forbidden(0x02);
    pub const NOT_IN_DIRECTORY: Forbidden = Forbidden(0x04);
    pub const NOT_IN_LOCATION: Forbidden = Forbidden(0x08);
    pub const NOT_IN_FILES: Forbidden = Forbidden(0x10);
    pub const NOT_IN_HTACCESS: Forbidden = Forbidden(0x20);
    pub const NOT_IN_PROXY: Forbidden = Forbidden(0x40);
    pub const NOT_IN_DIR_LOC_FILE: Forbidden = Forbidden(0x04 | 0x08 | 0x10);
    pub const NOT_IN_DIR_CONTEXT: Forbidden = Forbidden(0x02 | 0x04 | 0x08 | 0x10 | 0x40);
    pub const GLOBAL_ONLY: Forbidden = Forbidden(0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40);

    pub const fn union(self, other: Forbidden) -> Forbidden {
        Forbidden(self.0 | other.0)
    }

    pub const fn intersects(self, other: Forbidden) -> bool {
        self.0 & other.0 != 0
    }

    pub const fn contains(self, other: Forbidden) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A context of the manual's "Context:" line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    ServerConfig,
    VirtualHost,
    /// `<Directory>`, `<Location>`, `<Files>`, `<If>`, `<Proxy>` and their Match forms.
    Directory,
    Htaccess,
    /// Only `<Proxy>` (RSRC_CONF|PROXY_CONF directives).
    ProxySection,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Context::ServerConfig => "server config",
            Context::VirtualHost => "virtual host",
            Context::Directory => "directory",
            Context::Htaccess => ".htaccess",
            Context::ProxySection => "proxy section",
        })
    }
}

/// The platform a command-table entry is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    All,
    Unix,
    Windows,
    NetWare,
    Os2,
}

/// One command-table entry: a directive as one module defines it. A name defined by
/// several modules (`Listen` per MPM, `ScriptLog` in mod_cgi and mod_cgid) has one
/// definition per module.
#[derive(Debug)]
pub struct DirectiveDef {
    /// As httpd spells it; sections start with `<` and have no `>` (`<Proxy`).
    pub name: &'static str,
    /// The module's source basename, as `<IfModule mod_proxy.c>` names it (`core`,
    /// `http_core`, `mod_proxy`, `event`, `util_ldap`).
    pub module: &'static str,
    /// The module's `LoadModule` symbol (`proxy_module`).
    pub module_symbol: &'static str,
    pub args: ArgsKind,
    pub req_override: Override,
    /// The `ap_check_cmd_context()` checks its handler always makes.
    pub checks: Forbidden,
    /// Checks whose failure httpd only logs (AllowOverride in `<Location>`).
    pub warn_checks: Forbidden,
    pub section: bool,
    /// Runs while the file is read (Include, IfModule, Define, LoadModule...).
    pub exec_on_read: bool,
    /// First 2.4 release with this entry (`None`: unknown, third-party).
    pub since: Option<Version>,
    /// Last 2.4 release with it (`None`: still there).
    pub until: Option<Version>,
    pub platform: Platform,
    /// Compiled by Debian's Linux build (its `#if` conditions hold there).
    pub built: bool,
    /// From a module outside httpd (mod_security2, mod_wsgi...).
    pub third_party: bool,
    /// The command table's help text, appended to "takes one argument" errors.
    pub help: &'static str,
    /// Documented syntax, default and description (httpd's manual).
    pub syntax: &'static str,
    pub default: &'static str,
    pub description: &'static str,
    /// Its handler is `ap_set_deprecated`: httpd refuses it with its help text.
    pub deprecated: bool,
}

/// Definitions are compared by identity: each is one row of the static table.
impl PartialEq for DirectiveDef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for DirectiveDef {}

impl DirectiveDef {
    pub fn in_version(&self, v: Version) -> bool {
        self.since.is_none_or(|s| s <= v) && self.until.is_none_or(|u| v <= u)
    }

    /// Compiled into a Linux build of httpd (Debian's) of version `v`, module loaded or
    /// not.
    pub fn available(&self, v: Version) -> bool {
        self.built
            && matches!(self.platform, Platform::All | Platform::Unix)
            && module_of(self).is_some_and(ModuleDef::built_by_debian)
            && self.in_version(v)
    }

    /// Where httpd accepts the directive, derived as the manual's "Context:" line: from
    /// `req_override` (the server level and `<VirtualHost>` allow RSRC_CONF, OR_OPTIONS,
    /// OR_FILEINFO and OR_INDEXES; directory sections OR_ALL and ACCESS_CONF;
    /// .htaccess any OR_*) narrowed by the handler's checks. A section forbidden only
    /// in some directory sections (ProxyPass: not in `<Directory>`) keeps "directory".
    pub fn contexts(&self) -> Vec<Context> {
        let r = self.req_override;
        let server = Override::RSRC_CONF
            .union(Override::OR_OPTIONS)
            .union(Override::OR_FILEINFO)
            .union(Override::OR_INDEXES);
        let mut out = Vec::new();
        if r.intersects(server) {
            out.push(Context::ServerConfig);
            if !self.checks.intersects(Forbidden::NOT_IN_VIRTUALHOST) {
                out.push(Context::VirtualHost);
            }
        }
        if r.intersects(Override::OR_ALL.union(Override::ACCESS_CONF))
            && !self.checks.contains(Forbidden::NOT_IN_DIR_LOC_FILE)
        {
            out.push(Context::Directory);
        } else if r.intersects(Override::PROXY_CONF) {
            out.push(Context::ProxySection);
        }
        if r.intersects(Override::OR_ALL) && !self.checks.intersects(Forbidden::NOT_IN_HTACCESS) {
            out.push(Context::Htaccess);
        }
        out
    }

    /// The name as httpd writes it in messages about the directive itself: a section
    /// gets its `>` (`<Proxy>`), as `ap_check_cmd_context` adds it.
    /// (A value that writes it: every directive's context check holds it, few print it.)
    pub fn display_name(&self) -> DisplayName<'_> {
        DisplayName(self)
    }
}

/// [`DirectiveDef::display_name`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayName<'a>(&'a DirectiveDef);

impl fmt::Display for DisplayName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)?;
        if self.0.section {
            f.write_str(">")?;
        }
        Ok(())
    }
}

/// How Debian ships a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebianBuild {
    /// Linked into /usr/sbin/apache2 (`apache2 -l`): always loaded, `LoadModule` refused.
    Builtin,
    /// A .so in /usr/lib/apache2/modules from the apache2-bin package.
    Shared,
    /// A .so in /usr/lib/apache2/modules from its own package (third-party).
    Package,
    /// Not built for Debian (Windows, NetWare, OS/2, Solaris, experimental).
    Absent,
}

/// A module: its names and how Debian builds it (grammars/apache/modules.tsv).
#[derive(Debug)]
pub struct ModuleDef {
    /// Source basename without `.c` (`mod_proxy`), as `<IfModule mod_proxy.c>` names it.
    pub module: &'static str,
    /// `LoadModule` symbol (`proxy_module`).
    pub symbol: &'static str,
    /// The .so file Debian installs it as.
    pub so: Option<&'static str>,
    pub debian: DebianBuild,
    /// In the modules a fresh `apt install apache2` enables.
    pub enabled_by_default: bool,
    pub builtin: bool,
    pub third_party: bool,
    /// Debian package that ships it.
    pub package: &'static str,
    pub note: &'static str,
}

/// Modules are compared by identity: each is one row of the static table.
impl PartialEq for ModuleDef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for ModuleDef {}

impl ModuleDef {
    /// `mod_proxy.c`: the name `<IfModule>` and `apache2 -l` use.
    pub fn source_name(&self) -> String {
        format!("{}.c", self.module)
    }

    /// `/usr/lib/apache2/modules/mod_proxy.so` on Debian.
    pub fn debian_path(&self) -> Option<String> {
        match self.debian {
            DebianBuild::Shared | DebianBuild::Package => {
                self.so.map(|so| format!("{DEBIAN_MODULE_DIR}/{so}"))
            }
            DebianBuild::Builtin | DebianBuild::Absent => None,
        }
    }

    /// The line that loads it on Debian:
    /// `LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so`.
    pub fn load_line(&self) -> Option<String> {
        self.debian_path()
            .map(|path| format!("LoadModule {} {path}", self.symbol))
    }

    pub fn built_by_debian(&self) -> bool {
        self.debian != DebianBuild::Absent
    }

    /// One of the MPMs (event, worker, prefork...): exactly one must be loaded.
    pub fn is_mpm(&self) -> bool {
        self.symbol.starts_with("mpm_")
    }
}

/// Every module proxylint knows, sorted by source name.
pub fn modules() -> &'static [ModuleDef] {
    MODULES
}

/// A module by its source basename (`mod_proxy`, also accepted as `mod_proxy.c`).
pub fn module(name: &str) -> Option<&'static ModuleDef> {
    let name = name.strip_suffix(".c").unwrap_or(name);
    MODULES
        .binary_search_by_key(&name, |m| m.module)
        .ok()
        .map(|i| &MODULES[i])
}

/// A module by its `LoadModule` symbol (`proxy_module`).
pub fn module_by_symbol(symbol: &str) -> Option<&'static ModuleDef> {
    MODULES.iter().find(|m| m.symbol == symbol)
}

/// A module by the file Debian installs it as: a path or a basename (`mod_proxy.so`).
pub fn module_by_file(path: &str) -> Option<&'static ModuleDef> {
    let base = path.rsplit('/').next().unwrap_or(path);
    MODULES.iter().find(|m| m.so == Some(base))
}

fn module_of(def: &DirectiveDef) -> Option<&'static ModuleDef> {
    // Every directive of a configuration asks, several times: the module of each
    // definition is resolved once (by name, a binary search of string compares).
    static OF: OnceLock<Vec<Option<u16>>> = OnceLock::new();
    let of = OF.get_or_init(|| {
        DEFS.iter()
            .map(|d| module(d.module).map(|m| module_index(m) as u16))
            .collect()
    });
    match element_index(DEFS, def).and_then(|i| of.get(i)) {
        Some(m) => m.map(|m| &MODULES[usize::from(m)]),
        None => module(def.module),
    }
}

/// The index of `item` in `table`, when it is one of its elements (by address: no
/// compare, no scan).
fn element_index<T>(table: &[T], item: &T) -> Option<usize> {
    let size = std::mem::size_of::<T>().max(1);
    let offset = (item as *const T as usize).checked_sub(table.as_ptr() as usize)?;
    let index = offset / size;
    (offset % size == 0 && index < table.len()).then_some(index)
}

fn module_index(m: &ModuleDef) -> usize {
    // Every ModuleDef handed out is an element of MODULES.
    element_index(MODULES, m).unwrap_or(usize::MAX)
}

/// Every definition, httpd's then third-party ones.
pub fn all() -> &'static [DirectiveDef] {
    DEFS
}

fn indexes(name: &str) -> &'static [u16] {
    // Every directive of a configuration is looked up: a hash map (built once) on the
    // lowercased name, as httpd's own `ap_config_hash`.
    static MAP: OnceLock<HashMap<&'static str, &'static [u16]>> = OnceLock::new();
    let map = MAP.get_or_init(|| BY_NAME.iter().copied().collect());
    // No directive name is longer than 64 bytes: a longer one is unknown without
    // lowercasing a huge token.
    if name.len() > 64 {
        return &[];
    }
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        // Lowercased on the stack: every name of a configuration comes here, most of
        // them more than once, nearly all with capitals (`ProxyPass`).
        let mut buf = [0u8; 64];
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name.as_bytes());
        lower.make_ascii_lowercase();
        std::str::from_utf8(lower)
            .ok()
            .and_then(|l| map.get(l).copied())
            .unwrap_or_default()
    } else {
        map.get(name).copied().unwrap_or_default()
    }
}

/// The definitions of `name`, compared without case as httpd does.
pub fn defs(name: &str) -> impl Iterator<Item = &'static DirectiveDef> {
    candidates(name).defs()
}

/// Every definition of one name, whichever modules are loaded: the part of a lookup
/// that depends on the name alone (the lowercasing and hashing), which the reader's
/// helper thread does ahead ([`super::ahead`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidates(&'static [u16]);

impl Candidates {
    fn defs(self) -> impl Iterator<Item = &'static DirectiveDef> {
        self.0.iter().map(|&i| &DEFS[usize::from(i)])
    }
}

/// The definitions of `name` in every module and version.
pub fn candidates(name: &str) -> Candidates {
    Candidates(indexes(name))
}

/// Whether any module proxylint knows (in any version or build) defines `name`.
pub fn knows(name: &str) -> bool {
    !indexes(name).is_empty()
}

/// The modules a configuration has loaded at some point of its reading: the built-in
/// modules of Debian's apache2 plus every `LoadModule` so far, in load order (httpd asks
/// the most recently loaded module first when several define a name).
#[derive(Debug, Clone)]
pub struct LoadedModules {
    /// Load position of each module of MODULES (`None`: not loaded).
    order: Vec<Option<u32>>,
    next: u32,
    /// `LoadModule` symbols proxylint has no table for: their directives are unknown to
    /// it, so `<IfModule>` on them is true and their names are not reported.
    foreign: Vec<String>,
    version: Version,
    /// Every module counts as loaded (a snippet whose main file is not known).
    everything: bool,
}

/// What a `LoadModule` line did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// Now loaded.
    Module(&'static ModuleDef),
    /// A symbol proxylint has no table for (recorded for `<IfModule>`).
    Foreign,
    /// Already loaded: httpd warns (AH01574 "module %s is already loaded, skipping").
    AlreadyLoaded,
}

impl LoadedModules {
    /// Debian's built-in modules only: what httpd has before any `LoadModule`.
    pub fn builtin() -> Self {
        let mut loaded = LoadedModules {
            order: vec![None; MODULES.len()],
            next: 0,
            foreign: Vec::new(),
            version: DEFAULT_VERSION,
            everything: false,
        };
        for m in MODULES.iter().filter(|m| m.builtin) {
            loaded.load(m);
        }
        loaded
    }

    /// The documented default set, for a configuration that loads no module: the
    /// built-in modules and the ones a fresh Debian install enables (mods-enabled:
    /// mpm_event, authz_core, alias, dir, mime, setenvif, status, ... see
    /// grammars/apache/README.md).
    pub fn debian_default() -> Self {
        let mut loaded = Self::builtin();
        for m in MODULES
            .iter()
            .filter(|m| m.enabled_by_default && !m.builtin)
        {
            loaded.load(m);
        }
        loaded
    }

    /// Every module counts as loaded: for a snippet linted without its main file, where
    /// "not loaded" cannot be known.
    pub fn everything() -> Self {
        LoadedModules {
            everything: true,
            ..Self::builtin()
        }
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// Check against another httpd release than [`DEFAULT_VERSION`].
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// Marks `module` loaded (as a `LoadModule` of it does).
    pub fn load(&mut self, module: &ModuleDef) {
        if let Some(slot) = self.order.get_mut(module_index(module))
            && slot.is_none()
        {
            *slot = Some(self.next);
            self.next += 1;
        }
    }

    /// mod_so's `LoadModule symbol file`, up to loading the file: `file` is the path as
    /// httpd resolves it (absolute, against ServerRoot). Errors are httpd's messages.
    /// Whether the file exists is the caller's business (httpd: "Cannot load FILE into
    /// server: ...").
    pub fn load_module(&mut self, symbol: &str, file: &str) -> Result<Loaded, String> {
        let known = module_by_symbol(symbol);
        if known.is_some_and(|m| !m.builtin && self.is_loaded(m))
            || self.foreign.iter().any(|s| s == symbol)
        {
            return Ok(Loaded::AlreadyLoaded);
        }
        // mod_so compares FOO_module with each built-in mod_FOO.c (core.c and
        // http_core.c are not mod_*: loading them is not refused here).
        if let Some(stem) = symbol.strip_suffix("_module").filter(|s| !s.is_empty())
            && MODULES
                .iter()
                .any(|m| m.builtin && m.module.strip_prefix("mod_") == Some(stem))
        {
            return Err(format!("module {symbol} is built-in and can't be loaded"));
        }
        // A file Debian ships for another module has no such symbol.
        if let Some(owner) = module_by_file(file)
            && owner.symbol != symbol
        {
            return Err(format!(
                "Can't locate API module structure `{symbol}' in file {file}: {file}: undefined symbol: {symbol}"
            ));
        }
        match known {
            Some(m) => {
                self.load(m);
                Ok(Loaded::Module(m))
            }
            None => {
                self.foreign.push(symbol.to_string());
                Ok(Loaded::Foreign)
            }
        }
    }

    pub fn is_loaded(&self, module: &ModuleDef) -> bool {
        self.everything
            || self
                .order
                .get(module_index(module))
                .is_some_and(Option::is_some)
    }

    fn position(&self, module: &ModuleDef) -> Option<u32> {
        self.order.get(module_index(module)).copied().flatten()
    }

    /// Whether `def`'s module is loaded and `def` exists in this build and version.
    pub fn provides(&self, def: &DirectiveDef) -> bool {
        def.available(self.version) && module_of(def).is_some_and(|m| self.is_loaded(m))
    }

    /// `<IfModule arg>` (without `!`): a loaded module's source name (`mod_proxy.c`) or
    /// symbol (`proxy_module`), compared with case as httpd does.
    pub fn if_module(&self, arg: &str) -> bool {
        if self.foreign.iter().any(|s| s == arg) {
            return true;
        }
        let found = match arg.strip_suffix(".c") {
            Some(stem) => module(stem).filter(|m| m.module == stem),
            None => module_by_symbol(arg),
        };
        match found {
            Some(m) => self.is_loaded(m),
            // An unknown module name: loaded only if everything is assumed loaded and
            // it may be a module proxylint does not know.
            None => self.everything,
        }
    }

    /// `<IfDirective name>`: a loaded module registers the directive.
    pub fn if_directive(&self, name: &str) -> bool {
        defs(name).any(|d| self.provides(d))
    }

    /// `<IfSection name>`: a loaded module registers the section `<name`.
    pub fn if_section(&self, name: &str) -> bool {
        self.if_directive(&format!("<{name}"))
    }

    /// The loaded MPM, if any (httpd needs exactly one).
    pub fn mpm(&self) -> Option<&'static ModuleDef> {
        MODULES
            .iter()
            .filter(|m| m.is_mpm() && self.position(m).is_some())
            .max_by_key(|m| self.position(m))
    }

    /// The loaded modules, in load order.
    pub fn iter(&self) -> impl Iterator<Item = &'static ModuleDef> + '_ {
        let mut loaded: Vec<(u32, &'static ModuleDef)> = MODULES
            .iter()
            .filter_map(|m| self.position(m).map(|p| (p, m)))
            .collect();
        loaded.sort_by_key(|(p, _)| *p);
        loaded.into_iter().map(|(_, m)| m)
    }
}

/// What httpd makes of a directive name, given the modules loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The definition httpd runs (of the most recently loaded module defining it).
    Found(&'static DirectiveDef),
    /// A module that is not loaded defines it: httpd says "Invalid command". `module`
    /// gives the symbol and the .so of the `LoadModule` line to add
    /// ([`ModuleDef::load_line`]).
    NotLoaded {
        def: &'static DirectiveDef,
        module: &'static ModuleDef,
    },
    /// It exists in other 2.4 releases only.
    Version {
        def: &'static DirectiveDef,
        since: Option<Version>,
        until: Option<Version>,
    },
    /// Only a build Debian does not make has it (Windows, NetWare, mod_tls, a compile
    /// option).
    NotBuilt { def: &'static DirectiveDef },
    /// No module proxylint knows defines it ([`suggestion`] names the closest known
    /// one, computed only when a finding needs it: the reader looks up every closing
    /// tag too).
    Unknown,
}

/// httpd's lookup of a directive name (case-insensitive) among the loaded modules, and
/// why it fails when it does.
pub fn lookup(name: &str, loaded: &LoadedModules) -> Lookup {
    lookup_among(candidates(name), loaded)
}

/// [`lookup`] of a name whose [`candidates`] are known.
pub fn lookup_among(candidates: Candidates, loaded: &LoadedModules) -> Lookup {
    let version = loaded.version;
    let mut found: Option<(&'static DirectiveDef, u32)> = None;
    let mut not_loaded: Option<(&'static DirectiveDef, &'static ModuleDef)> = None;
    let mut other_version = None;
    let mut not_built = None;
    for def in candidates.defs() {
        let Some(module) = module_of(def) else {
            continue;
        };
        let in_build = def.built
            && matches!(def.platform, Platform::All | Platform::Unix)
            && module.built_by_debian();
        if !in_build {
            not_built.get_or_insert(def);
            continue;
        }
        if !def.in_version(version) {
            other_version.get_or_insert(def);
            continue;
        }
        if loaded.everything {
            return Lookup::Found(def);
        }
        match loaded.position(module) {
            Some(pos) => {
                if found.is_none_or(|(_, p)| pos > p) {
                    found = Some((def, pos));
                }
            }
            None => {
                // Name the module a user would load: Debian's default over others (the
                // event MPM for Listen), httpd's over third-party.
                let rank = |m: &ModuleDef| (!m.enabled_by_default, m.third_party);
                if not_loaded.is_none_or(|(_, m)| rank(module) < rank(m)) {
                    not_loaded = Some((def, module));
                }
            }
        }
    }
    if let Some((def, _)) = found {
        return Lookup::Found(def);
    }
    if let Some((def, module)) = not_loaded {
        return Lookup::NotLoaded { def, module };
    }
    if let Some(def) = other_version {
        return Lookup::Version {
            def,
            since: def.since,
            until: def.until,
        };
    }
    if let Some(def) = not_built {
        return Lookup::NotBuilt { def };
    }
    Lookup::Unknown
}

/// [`lookup`] again, at the end of reading, of a name the reader looked up while
/// reading and found as `read`. Modules are only ever added: a definition found then is
/// still loaded, and when it is the only one of its name, it is still the answer (most
/// names; the second pass asks for every directive, and this spares it the hashing).
pub fn lookup_again(
    read: Option<&'static DirectiveDef>,
    name: &str,
    loaded: &LoadedModules,
) -> Lookup {
    static SOLE: OnceLock<Vec<bool>> = OnceLock::new();
    let sole = SOLE.get_or_init(|| {
        let mut sole = vec![false; DEFS.len()];
        for (_, indexes) in BY_NAME {
            if let [only] = indexes {
                sole[usize::from(*only)] = true;
            }
        }
        sole
    });
    match read {
        Some(def) if element_index(DEFS, def).is_some_and(|i| sole[i]) => Lookup::Found(def),
        _ => lookup(name, loaded),
    }
}

/// The known directive name closest to an unknown `name`, for did-you-mean.
pub fn suggestion(name: &str, version: Version) -> Option<&'static str> {
    suggest::closest(name, version)
}

/// httpd's message for a name it does not know (from `ap_walk_config_sub`).
pub fn invalid_command(name: &str) -> String {
    format!(
        "Invalid command '{name}', perhaps misspelled or defined by a module not included in the server configuration"
    )
}

/// The key=value parameters of ProxyPass, BalancerMember, ProxySet and `<Proxy>`
/// (grammars/apache/worker-params.tsv).
pub fn worker_params() -> &'static [WorkerParam] {
    WORKER_PARAMS
}

/// Which kind of proxy object a parameter sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamScope {
    Worker,
    Balancer,
    /// A worker parameter of mod_proxy_hcheck (only when it is loaded).
    HealthCheck,
}

/// One key=value parameter of a proxy worker or balancer.
#[derive(Debug)]
pub struct WorkerParam {
    pub key: &'static str,
    pub scope: ParamScope,
    /// How the value is read (see grammars/apache/README.md).
    pub parse: &'static str,
    pub min: i64,
    pub max: i64,
    /// httpd's messages for a bad value, `%d`/`%s` left in.
    pub messages: &'static [&'static str],
    pub default: &'static str,
    pub description: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, module: &str) -> &'static DirectiveDef {
        defs(name)
            .find(|d| d.module == module)
            .unwrap_or_else(|| panic!("{name} {module}"))
    }

    #[test]
    fn names_are_found_without_case() {
        assert_eq!(defs("proxypass").next().map(|d| d.name), Some("ProxyPass"));
        assert_eq!(defs("PROXYPASS").next().map(|d| d.name), Some("ProxyPass"));
        assert_eq!(defs("<proxy").next().map(|d| d.name), Some("<Proxy"));
        assert!(defs("NoSuchThing").next().is_none());
    }

    #[test]
    fn every_name_fits_the_lookup_bound() {
        // indexes() and suggest give up on names longer than 64 bytes.
        assert!(all().iter().all(|d| d.name.len() <= 64));
    }

    #[test]
    fn huge_names_are_unknown_without_work() {
        let huge = "A".repeat(10_000_000);
        assert!(defs(&huge).next().is_none());
        let started = std::time::Instant::now();
        assert_eq!(lookup(&huge, &LoadedModules::builtin()), Lookup::Unknown);
        assert!(started.elapsed().as_millis() < 500);
    }

    #[test]
    fn table_rows_carry_the_command_table_facts() {
        let pass = def("ProxyPass", "mod_proxy");
        assert_eq!(pass.args, ArgsKind::RawArgs);
        assert_eq!(pass.module_symbol, "proxy_module");
        assert_eq!(
            pass.req_override,
            Override::RSRC_CONF.union(Override::ACCESS_CONF)
        );
        assert!(pass.checks.contains(Forbidden::NOT_IN_DIRECTORY));
        assert_eq!(pass.since, Some(Version(2, 4, 0)));
        assert_eq!(pass.until, None);
        let vhost = def("<VirtualHost", "core");
        assert!(vhost.section);
        assert_eq!(vhost.checks, Forbidden::GLOBAL_ONLY);
        assert_eq!(vhost.display_name().to_string(), "<VirtualHost>");
        assert!(def("Include", "core").exec_on_read);
        assert!(
            def("AllowOverride", "core")
                .warn_checks
                .contains(Forbidden::NOT_IN_LOCATION)
        );
        assert!(def("Port", "core").deprecated);
        assert!(
            def("LogFormat", "mod_log_config")
                .default
                .contains("\\\"%r\\\"")
        );
        assert!(def("SecRule", "mod_security2").third_party);
        assert_eq!(def("php_admin_value", "mod_php").args, ArgsKind::Take2);
    }

    #[test]
    fn contexts_are_derived_like_the_manual() {
        let list = |name: &str, module: &str| {
            def(name, module)
                .contexts()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        assert_eq!(
            list("ProxyPass", "mod_proxy"),
            "server config, virtual host, directory"
        );
        assert_eq!(list("Listen", "event"), "server config");
        assert_eq!(list("Require", "mod_authz_core"), "directory, .htaccess");
        assert_eq!(
            list("BalancerMember", "mod_proxy"),
            "server config, virtual host, directory"
        );
        assert_eq!(
            list("ProxySet", "mod_proxy"),
            "server config, virtual host, directory"
        );
        assert_eq!(
            list("SetHandler", "core"),
            "server config, virtual host, directory, .htaccess"
        );
        assert_eq!(list("AllowOverride", "core"), "directory");
    }

    #[test]
    fn tls_rows_end_with_their_release() {
        let tls = def("TLSEngine", "mod_tls");
        assert_eq!(tls.until, Some(Version(2, 4, 62)));
        assert!(!tls.available(DEFAULT_VERSION));
    }

    #[test]
    fn override_classes_name_allowoverride_keywords() {
        assert_eq!(
            def("AuthType", "mod_authn_core")
                .req_override
                .htaccess_classes(),
            vec!["AuthConfig"]
        );
        assert!(Override::RSRC_CONF.htaccess_classes().is_empty());
        assert!(
            Override::OR_ALL
                .without(Override::OR_LIMIT)
                .contains(Override::OR_FILEINFO)
        );
    }

    #[test]
    fn args_kinds_round_trip_their_c_names() {
        for (kind, name) in ARGS_KIND_NAMES {
            assert_eq!(kind.to_string(), name);
            assert_eq!(name.parse::<ArgsKind>(), Ok(kind));
        }
        assert!("TAKE9".parse::<ArgsKind>().is_err());
    }

    #[test]
    fn versions_parse_with_an_apache_message() {
        assert_eq!(parse_version("2.4.62"), Ok(Version(2, 4, 62)));
        assert_eq!(parse_version("2.4"), Ok(Version(2, 4, 0)));
        assert!(parse_version("two").unwrap_err().contains("Apache httpd"));
    }

    #[test]
    fn modules_are_found_by_name_symbol_and_file() {
        let proxy = module("mod_proxy").expect("mod_proxy");
        assert_eq!(proxy.symbol, "proxy_module");
        assert_eq!(
            module("mod_proxy.c").map(|m| m.symbol),
            Some("proxy_module")
        );
        assert_eq!(
            module_by_symbol("proxy_fcgi_module").map(|m| m.module),
            Some("mod_proxy_fcgi")
        );
        assert_eq!(
            module_by_file("/usr/lib/apache2/modules/mod_mpm_event.so").map(|m| m.module),
            Some("event")
        );
        assert_eq!(
            module("mod_proxy_fcgi")
                .and_then(ModuleDef::load_line)
                .as_deref(),
            Some("LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so")
        );
        assert_eq!(
            module("mod_log_config").and_then(ModuleDef::load_line),
            None
        );
        assert_eq!(module("util_ldap").map(|m| m.symbol), Some("ldap_module"));
        assert!(module("event").is_some_and(ModuleDef::is_mpm));
        assert_eq!(
            module("mod_security2").map(|m| m.debian),
            Some(DebianBuild::Package)
        );
        assert_eq!(
            module("mod_isapi").map(|m| m.debian),
            Some(DebianBuild::Absent)
        );
    }

    #[test]
    fn builtin_modules_are_debians_static_ones() {
        let loaded = LoadedModules::builtin();
        let names: Vec<&str> = loaded.iter().map(|m| m.module).collect();
        for m in [
            "core",
            "http_core",
            "mod_so",
            "mod_watchdog",
            "mod_log_config",
            "mod_logio",
            "mod_version",
            "mod_unixd",
        ] {
            assert!(names.contains(&m), "{m}");
        }
        assert_eq!(names.len(), 8);
        assert!(loaded.mpm().is_none());
    }

    #[test]
    fn debian_default_set_has_event_and_the_usual_modules() {
        let loaded = LoadedModules::debian_default();
        assert_eq!(loaded.mpm().map(|m| m.module), Some("event"));
        for m in [
            "mod_alias",
            "mod_dir",
            "mod_mime",
            "mod_authz_core",
            "mod_setenvif",
        ] {
            assert!(loaded.if_module(&format!("{m}.c")), "{m}");
        }
        assert!(!loaded.if_module("mod_proxy.c"));
        assert!(!loaded.if_module("ssl_module"));
    }

    #[test]
    fn loadmodule_of_a_builtin_module_is_refused() {
        let mut loaded = LoadedModules::builtin();
        assert_eq!(
            loaded.load_module(
                "log_config_module",
                "/usr/lib/apache2/modules/mod_log_config.so"
            ),
            Err("module log_config_module is built-in and can't be loaded".to_string())
        );
        assert_eq!(
            loaded.load_module("unixd_module", "modules/mod_unixd.so"),
            Err("module unixd_module is built-in and can't be loaded".to_string())
        );
        // core.c is not mod_core.c: mod_so does not refuse it by name (it goes on to
        // load the file).
        assert!(loaded.load_module("core_module", "/x/core.so").is_ok());
    }

    #[test]
    fn loadmodule_loads_records_and_warns_on_repeats() {
        let mut loaded = LoadedModules::builtin();
        let path = "/usr/lib/apache2/modules/mod_proxy.so";
        assert!(!loaded.if_module("mod_proxy.c"));
        assert!(matches!(
            loaded.load_module("proxy_module", path),
            Ok(Loaded::Module(m)) if m.module == "mod_proxy"
        ));
        assert!(loaded.if_module("mod_proxy.c"));
        assert!(loaded.if_module("proxy_module"));
        assert!(!loaded.if_module("mod_proxy"));
        assert!(!loaded.if_module("Proxy_module"));
        assert_eq!(
            loaded.load_module("proxy_module", path),
            Ok(Loaded::AlreadyLoaded)
        );
        assert_eq!(
            loaded.load_module("proxy_fcgi_module", path),
            Err(format!(
                "Can't locate API module structure `proxy_fcgi_module' in file {path}: {path}: undefined symbol: proxy_fcgi_module"
            ))
        );
        assert_eq!(
            loaded.load_module("my_module", "/opt/my.so"),
            Ok(Loaded::Foreign)
        );
        assert!(loaded.if_module("my_module"));
        assert_eq!(
            loaded.load_module("my_module", "/opt/my.so"),
            Ok(Loaded::AlreadyLoaded)
        );
    }

    #[test]
    fn ifdirective_and_ifsection_follow_loaded_modules() {
        let mut loaded = LoadedModules::builtin();
        assert!(loaded.if_directive("ErrorLog"));
        assert!(loaded.if_directive("errorlog"));
        assert!(!loaded.if_directive("ProxyPass"));
        assert!(!loaded.if_section("Proxy"));
        loaded.load(module("mod_proxy").expect("mod_proxy"));
        assert!(loaded.if_directive("ProxyPass"));
        assert!(loaded.if_section("Proxy"));
        assert!(loaded.if_section("VirtualHost"));
    }

    #[test]
    fn lookup_finds_loaded_directives() {
        let mut loaded = LoadedModules::builtin();
        loaded.load(module("mod_proxy").expect("mod_proxy"));
        match lookup("proxypass", &loaded) {
            Lookup::Found(d) => assert_eq!(d.name, "ProxyPass"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lookup_names_the_module_to_load() {
        let loaded = LoadedModules::builtin();
        match lookup("ProxyPass", &loaded) {
            Lookup::NotLoaded { module, .. } => assert_eq!(
                module.load_line().as_deref(),
                Some("LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so")
            ),
            other => panic!("{other:?}"),
        }
        // Listen belongs to every MPM: name Debian's default one.
        match lookup("Listen", &loaded) {
            Lookup::NotLoaded { module, .. } => assert_eq!(module.module, "event"),
            other => panic!("{other:?}"),
        }
        match lookup("SecRuleEngine", &loaded) {
            Lookup::NotLoaded { module, .. } => {
                assert_eq!(module.symbol, "security2_module");
                assert!(module.third_party);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lookup_prefers_the_most_recently_loaded_module() {
        let mut loaded = LoadedModules::builtin();
        loaded.load(module("mod_cgid").expect("cgid"));
        loaded.load(module("mod_cgi").expect("cgi"));
        match lookup("ScriptLog", &loaded) {
            Lookup::Found(d) => assert_eq!(d.module, "mod_cgi"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lookup_explains_versions_and_builds() {
        let mut loaded = LoadedModules::everything();
        loaded.set_version(Version(2, 4, 10));
        match lookup("H2Push", &loaded) {
            Lookup::Version { since, .. } => assert_eq!(since, Some(Version(2, 4, 18))),
            other => panic!("{other:?}"),
        }
        let loaded = LoadedModules::everything();
        assert!(matches!(
            lookup("ScriptInterpreterSource", &loaded),
            Lookup::NotBuilt { .. }
        ));
        assert!(matches!(
            lookup("TLSEngine", &loaded),
            Lookup::NotBuilt { .. }
        ));
        assert!(matches!(
            lookup("AuthDigestNonceFormat", &loaded),
            Lookup::Version { .. }
        ));
        assert!(matches!(
            lookup("SSLVHostSNIPolicy", &loaded),
            Lookup::Found(_)
        ));
    }

    #[test]
    fn lookup_suggests_a_close_name() {
        let loaded = LoadedModules::builtin();
        assert_eq!(lookup("ProxyPas", &loaded), Lookup::Unknown);
        assert_eq!(suggestion("ProxyPas", loaded.version()), Some("ProxyPass"));
        assert_eq!(suggestion("Zzzzzzzzzzzz", loaded.version()), None);
    }

    #[test]
    fn invalid_command_is_httpds_message() {
        assert_eq!(
            invalid_command("ProxyPas"),
            "Invalid command 'ProxyPas', perhaps misspelled or defined by a module not included in the server configuration"
        );
    }

    #[test]
    fn worker_params_table_is_compiled_in() {
        let timeout: Vec<_> = worker_params()
            .iter()
            .filter(|p| p.key == "timeout")
            .collect();
        assert_eq!(timeout.len(), 2);
        assert!(timeout.iter().any(|p| p.scope == ParamScope::Balancer));
        let route = worker_params()
            .iter()
            .find(|p| p.key == "route")
            .expect("route");
        assert_eq!(route.max, 64);
        assert_eq!(route.min, i64::MIN);
    }
}
