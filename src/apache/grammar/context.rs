//! Where a directive may appear: the sections enclosing it, the `override` mask and
//! state they give httpd's `cmd_parms` (server/core.c `dirsection`, `urlsection`,
//! `filesection`, `ifsection`, `ap_limit_section`, `virtualhost_section`; mod_proxy.c
//! `proxysection`; mod_authz_core.c `add_authz_section`), and httpd's two checks with
//! their messages: the `req_override` test of `invoke_cmd` ("X not allowed here",
//! "X not allowed in <Location> context") and the handler's `ap_check_cmd_context`
//! ("X cannot occur within <VirtualHost> section"...).

use super::{DirectiveDef, Forbidden, Override};

/// A section that encloses directives in httpd's configuration tree. Conditional
/// sections (`<IfModule>`, `<IfDefine>`, `<IfVersion>`, `<IfFile>`, `<IfDirective>`,
/// `<IfSection>`) and `<Macro>` are not sections of the tree: httpd splices a true
/// block's lines in place, so callers do not push them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Section {
    VirtualHost,
    Directory,
    DirectoryMatch,
    Location,
    LocationMatch,
    Files,
    FilesMatch,
    If,
    ElseIf,
    Else,
    Proxy,
    ProxyMatch,
    Limit,
    LimitExcept,
    /// `<RequireAll>`, `<RequireAny>`, `<RequireNone>`.
    Require,
    /// `<AuthnProviderAlias>`, `<AuthzProviderAlias>`.
    ProviderAlias,
    /// Any other section (`<MDomainSet>`, a third-party one): it names the context in
    /// messages and changes nothing else.
    Other,
}

impl Section {
    /// The section a tag opens, from its name without `<` (`Location`), compared
    /// without case.
    pub fn from_name(name: &str) -> Section {
        let name = name.strip_prefix('<').unwrap_or(name);
        const NAMES: [(&str, Section); 20] = [
            ("VirtualHost", Section::VirtualHost),
            ("Directory", Section::Directory),
            ("DirectoryMatch", Section::DirectoryMatch),
            ("Location", Section::Location),
            ("LocationMatch", Section::LocationMatch),
            ("Files", Section::Files),
            ("FilesMatch", Section::FilesMatch),
            ("If", Section::If),
            ("ElseIf", Section::ElseIf),
            ("Else", Section::Else),
            ("Proxy", Section::Proxy),
            ("ProxyMatch", Section::ProxyMatch),
            ("Limit", Section::Limit),
            ("LimitExcept", Section::LimitExcept),
            ("RequireAll", Section::Require),
            ("RequireAny", Section::Require),
            ("RequireNone", Section::Require),
            ("RequireNotAll", Section::Require),
            ("AuthnProviderAlias", Section::ProviderAlias),
            ("AuthzProviderAlias", Section::ProviderAlias),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(Section::Other, |(_, s)| *s)
    }
}

/// One open section: its kind, its tag (which httpd's messages quote) and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub section: Section,
    /// The tag's name with its `<`, as httpd's command table spells it (`<Location`
    /// for `<location`: the tree keeps the command's name); an unknown tag as written.
    pub name: String,
    /// The tag's arguments, up to the last `>`.
    pub args: String,
    /// httpd's `cmd->path` inside this section, for the sections that set it (see
    /// [`Frame::path`]); empty for the others.
    path: String,
    has_path: bool,
}

impl Frame {
    /// httpd's `cmd->path` inside this section, for the sections that set it: the
    /// directory, URL path or file pattern (the regex after `~`), the proxy URL without
    /// its `proxy:` prefix, `*If` for `<If>`.
    pub fn path(&self) -> Option<&str> {
        self.has_path.then_some(self.path.as_str())
    }
}

/// A section's arguments up to the last `>`, as its handler cuts them.
pub fn section_inner(args: &str) -> &str {
    args.rfind('>').map_or(args, |i| &args[..i])
}

/// httpd's `cmd->path` for a section of kind `section` with arguments `args`, written
/// into `out` (its buffer reused); false when the section sets none.
fn section_path(section: Section, args: &str, out: &mut String) -> bool {
    let mut rest = section_inner(args);
    let first = super::args::getword_conf(&mut rest);
    out.clear();
    match section {
        Section::Directory | Section::Files | Section::Location if first == "~" => {
            out.push_str(&super::args::getword_conf(&mut rest));
        }
        Section::Directory
        | Section::DirectoryMatch
        | Section::Location
        | Section::LocationMatch
        | Section::Files
        | Section::FilesMatch => out.push_str(&first),
        Section::Proxy | Section::ProxyMatch => {
            let first = first.as_ref();
            let url = match first.get(..6) {
                Some(p) if p.eq_ignore_ascii_case("proxy:") => &first[6..],
                _ => first,
            };
            out.push_str(url);
        }
        Section::If | Section::ElseIf | Section::Else => out.push_str("*If"),
        _ => return false,
    }
    true
}

/// The sections enclosing a directive, outermost first, and whether it is read from an
/// .htaccess file. Built by the caller as it walks the tree.
///
/// Every question is answered in constant time, whatever the nesting depth: each level
/// keeps httpd's state after its section and where the innermost section of each kind
/// is.
#[derive(Debug, Clone, Default)]
pub struct ContextStack {
    /// The open sections are the first `levels.len()`; the frames past them are left
    /// from sections already closed, their buffers reused by the next ones (a
    /// configuration opens one `<VirtualHost>` after another: thousands of sections,
    /// three strings each, that need no allocation).
    frames: Vec<Frame>,
    /// State after each open frame.
    levels: Vec<Level>,
    /// `Some(AllowOverride)` for an .htaccess file.
    htaccess: Option<Override>,
    /// Number of `<VirtualHost>` sections entered so far.
    vhosts: usize,
    /// Methods `<Limit>` sections registered, numbered from [`FIRST_REGISTERED`] on
    /// (httpd's registry is global: a name keeps its number for the whole walk).
    registered: Vec<String>,
}

/// The methods httpd knows itself, by number (`M_GET`..`M_MERGE`, httpd.h); `HEAD` is
/// `M_GET`'s. Other names are registered by `<Limit>` in the main configuration and
/// refused in .htaccess.
pub const KNOWN_METHODS: [&str; 26] = [
    "GET",
    "PUT",
    "POST",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "VERSION-CONTROL",
    "CHECKOUT",
    "UNCHECKOUT",
    "CHECKIN",
    "UPDATE",
    "LABEL",
    "REPORT",
    "MKWORKSPACE",
    "MKACTIVITY",
    "BASELINE-CONTROL",
    "MERGE",
];

/// The number of the first method `<Limit>` registers (`M_INVALID + 1`).
const FIRST_REGISTERED: usize = KNOWN_METHODS.len() + 1;

/// httpd's number of a method it knows itself (`ap_method_number_of`'s built-in part).
pub fn builtin_method(name: &str) -> Option<usize> {
    if name == "HEAD" {
        return Some(0);
    }
    KNOWN_METHODS.iter().position(|m| *m == name)
}

/// httpd's `cmd_parms` state at a point of the walk.
#[derive(Debug, Clone, Copy)]
struct State {
    overrides: Override,
    /// `cmd->path` is set (inside Directory, Location, Files, If, Proxy or .htaccess).
    path: bool,
    virtual_host: bool,
    /// `cmd->limited != -1`: inside `<Limit>`, `<LimitExcept>` or `<Require*>`.
    limited: bool,
}

/// Number of [`Section`] kinds.
const KINDS: usize = 17;
const _: () = assert!(Section::Other as usize + 1 == KINDS);

/// What one level of the stack knows.
#[derive(Debug, Clone, Copy)]
struct Level {
    state: State,
    /// Index of the innermost frame of each section kind, if any.
    innermost: [Option<u32>; KINDS],
    /// Index of the innermost frame with a path.
    path_frame: Option<u32>,
    /// Which server: 0 main, n the nth virtual host.
    server: usize,
    /// httpd's `cmd->limited`: a bit per method number still allowed (all outside
    /// `<Limit>`).
    methods: u64,
}

impl ContextStack {
    /// The top level of the main configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// An .htaccess file whose directory allows `allow_override` (`AllowOverride`; the
    /// `AllowOverrideList` names are not modelled).
    pub fn htaccess(allow_override: Override) -> Self {
        ContextStack {
            htaccess: Some(allow_override),
            ..Self::default()
        }
    }

    fn base(&self) -> Level {
        let state = match self.htaccess {
            Some(allowed) => State {
                overrides: allowed,
                path: true,
                virtual_host: false,
                limited: false,
            },
            None => State {
                overrides: Override::RSRC_CONF
                    .union(Override::OR_ALL)
                    .without(Override::OR_AUTHCFG.union(Override::OR_LIMIT)),
                path: false,
                virtual_host: false,
                limited: false,
            },
        };
        Level {
            state,
            innermost: [None; KINDS],
            path_frame: None,
            server: 0,
            methods: u64::MAX,
        }
    }

    fn level(&self) -> Level {
        self.levels.last().copied().unwrap_or_else(|| self.base())
    }

    fn state(&self) -> State {
        self.level().state
    }

    /// Enters the section opened by tag `written` (`<Location`, `Location` or
    /// `<location`) with arguments `args` (the rest of the tag's line; a final `>` and
    /// what follows it are ignored).
    pub fn push(&mut self, written: &str, args: &str) {
        let section = Section::from_name(written);
        let depth = self.levels.len();
        if self.frames.len() == depth {
            self.frames.push(Frame {
                section,
                name: String::new(),
                args: String::new(),
                path: String::new(),
                has_path: false,
            });
        }
        let frame = &mut self.frames[depth];
        frame.section = section;
        frame.name.clear();
        let bare = written.strip_prefix('<').unwrap_or(written);
        frame.name.push('<');
        frame.name.push_str(bare);
        let canonical = super::defs(&frame.name).next().map(|d| d.name);
        if let Some(name) = canonical {
            frame.name.clear();
            frame.name.push_str(name);
        }
        frame.args.clear();
        frame.args.push_str(section_inner(args));
        frame.has_path = section_path(section, args, &mut frame.path);
        let has_path = frame.has_path;
        let mut level = self.level();
        let index = u32::try_from(depth).unwrap_or(u32::MAX);
        level.innermost[section as usize] = Some(index);
        if has_path {
            level.path_frame = Some(index);
        }
        if section == Section::VirtualHost {
            self.vhosts += 1;
            level.server = self.vhosts;
        }
        let state = &mut level.state;
        let dir = Override::OR_ALL.union(Override::ACCESS_CONF);
        match section {
            Section::VirtualHost => state.virtual_host = true,
            Section::Directory
            | Section::DirectoryMatch
            | Section::Location
            | Section::LocationMatch => {
                state.overrides = dir;
                state.path = true;
            }
            // Inside another directory context (or .htaccess) they keep the mask.
            Section::Files
            | Section::FilesMatch
            | Section::If
            | Section::ElseIf
            | Section::Else => {
                if !state.path {
                    state.overrides = dir;
                }
                state.path = true;
            }
            Section::Proxy | Section::ProxyMatch => {
                state.overrides = dir.union(Override::PROXY_CONF);
                state.path = true;
            }
            Section::Limit | Section::LimitExcept => {
                state.limited = true;
                let bits = self.limit_bits(section, section_inner(args));
                level.methods &= bits;
                for method in super::args::words(section_inner(args)) {
                    if builtin_method(&method).is_none()
                        && !self.registered.iter().any(|r| *r == *method)
                    {
                        self.registered.push(method.into_owned());
                    }
                }
            }
            Section::Require => {
                state.overrides = Override::OR_AUTHCFG;
                state.limited = true;
            }
            Section::ProviderAlias => {
                state.overrides = Override::OR_AUTHCFG.union(Override::ACCESS_CONF);
            }
            Section::Other => {}
        }
        self.levels.push(level);
    }

    /// httpd's `cmd->path`: the innermost directory-context section's path; for an
    /// .htaccess file, its directory (here empty). `None` outside directory contexts.
    pub fn path(&self) -> Option<&str> {
        match self.level().path_frame {
            Some(i) => self.frames.get(i as usize).and_then(Frame::path),
            None => self.htaccess.map(|_| ""),
        }
    }

    /// Leaves the innermost section; false when none is open.
    pub fn pop(&mut self) -> bool {
        self.levels.pop().is_some()
    }

    /// The open sections, outermost first.
    pub fn frames(&self) -> &[Frame] {
        &self.frames[..self.levels.len()]
    }

    /// The innermost section, the parent httpd names in "not allowed in <X> context".
    pub fn innermost(&self) -> Option<&Frame> {
        self.frames().last()
    }

    pub fn in_htaccess(&self) -> bool {
        self.htaccess.is_some()
    }

    pub fn in_virtual_host(&self) -> bool {
        self.state().virtual_host
    }

    /// Which server's configuration the position belongs to: 0 for the main server, n
    /// for the nth `<VirtualHost>` (httpd keeps per-server state such as proxy workers).
    pub fn server(&self) -> usize {
        self.level().server
    }

    /// Inside a section that sets httpd's `cmd->path` (a directory context).
    pub fn in_directory_context(&self) -> bool {
        self.state().path
    }

    /// httpd's `cmd->limited` here: a bit per method number still allowed.
    pub fn methods(&self) -> u64 {
        self.level().methods
    }

    /// The methods a `<Limit>` (or, inverted, a `<LimitExcept>`) of `methods` allows,
    /// as bits: names not registered yet get the numbers registering them gives, in
    /// order (past 63, httpd's bit shift overflows: such a method adds no bit here).
    pub fn limit_bits(&self, section: Section, methods: &str) -> u64 {
        let mut bits = 0u64;
        let mut new: Vec<&str> = Vec::new();
        let words = super::args::words(methods);
        for method in &words {
            let number = builtin_method(method).unwrap_or_else(|| {
                match self.registered.iter().position(|r| r == method) {
                    Some(i) => FIRST_REGISTERED + i,
                    None => {
                        let i = new.iter().position(|n| n == method).unwrap_or_else(|| {
                            new.push(method);
                            new.len() - 1
                        });
                        FIRST_REGISTERED + self.registered.len() + i
                    }
                }
            });
            bits |= u32::try_from(number)
                .ok()
                .and_then(|n| 1u64.checked_shl(n))
                .unwrap_or(0);
        }
        if section == Section::LimitExcept {
            !bits
        } else {
            bits
        }
    }

    /// The innermost enclosing section of this kind, as `find_parent` looks for it.
    fn find(&self, section: Section) -> Option<&Frame> {
        let i = self.level().innermost[section as usize]?;
        self.frames.get(i as usize)
    }
}

/// What `by_server` holds for server `server` (numbered as [`ContextStack::server`]),
/// made, with the entries of every server before it, on first use.
pub fn server_slot<T: Default>(by_server: &mut Vec<T>, server: usize) -> &mut T {
    if by_server.len() <= server {
        by_server.resize_with(server + 1, T::default);
    }
    &mut by_server[server]
}

/// `invoke_cmd`'s test of the directive's `req_override` against the section's mask.
pub(super) fn check_override(def: &DirectiveDef, ctx: &ContextStack) -> Result<(), String> {
    if ctx.state().overrides.intersects(def.req_override) {
        return Ok(());
    }
    // In .htaccess httpd names no parent: the file's directives have none in the tree.
    match ctx.innermost() {
        Some(parent) => Err(format!(
            "{} not allowed in {}> context",
            def.name, parent.name
        )),
        None => Err(format!("{} not allowed here", def.name)),
    }
}

/// `ap_check_cmd_context(cmd, forbidden)` for `def` at `ctx`, in httpd's order.
pub fn check_forbidden(
    def: &DirectiveDef,
    ctx: &ContextStack,
    forbidden: Forbidden,
) -> Result<(), String> {
    let name = def.display_name();
    let state = ctx.state();
    if forbidden.intersects(Forbidden::NOT_IN_VIRTUALHOST) && state.virtual_host {
        return Err(format!("{name} cannot occur within <VirtualHost> section"));
    }
    if forbidden.intersects(Forbidden::NOT_IN_DIR_CONTEXT) && state.limited {
        return Err(format!(
            "{name} cannot occur within <Limit> or <LimitExcept> section"
        ));
    }
    if forbidden.intersects(Forbidden::NOT_IN_HTACCESS) && ctx.in_htaccess() {
        return Err(format!("{name} cannot occur within htaccess files"));
    }
    if forbidden.contains(Forbidden::NOT_IN_DIR_LOC_FILE) {
        if state.path {
            return Err(format!("{name} cannot occur within directory context"));
        }
        if def.exec_on_read {
            return Ok(());
        }
    }
    let groups: [(Forbidden, &[Section]); 4] = [
        (
            Forbidden::NOT_IN_DIRECTORY,
            &[Section::Directory, Section::DirectoryMatch],
        ),
        (
            Forbidden::NOT_IN_LOCATION,
            &[Section::Location, Section::LocationMatch],
        ),
        (
            Forbidden::NOT_IN_FILES,
            &[
                Section::Files,
                Section::FilesMatch,
                Section::If,
                Section::ElseIf,
                Section::Else,
            ],
        ),
        (
            Forbidden::NOT_IN_PROXY,
            &[Section::Proxy, Section::ProxyMatch],
        ),
    ];
    for (flag, sections) in groups {
        if !forbidden.intersects(flag) {
            continue;
        }
        // find_parent is asked once per section name, in this order.
        for section in sections {
            if let Some(found) = ctx.find(*section) {
                return Err(format!(
                    "{name} cannot occur within {}> section",
                    found.name
                ));
            }
        }
    }
    Ok(())
}

/// Whether httpd accepts `def` at `ctx`, whatever its arguments: the `req_override`
/// test, then the checks its handler always makes. When the arguments are wrong too,
/// [`super::check_directive`] gives the error httpd reports first.
pub fn check_context(def: &DirectiveDef, ctx: &ContextStack) -> Result<(), String> {
    check_override(def, ctx)?;
    check_forbidden(def, ctx, def.checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apache::grammar::defs;

    fn def(name: &str) -> &'static DirectiveDef {
        defs(name).next().expect(name)
    }

    fn stack(tags: &[&str]) -> ContextStack {
        let mut s = ContextStack::new();
        for t in tags {
            s.push(t, "/x>");
        }
        s
    }

    #[test]
    fn sections_are_recognised_without_case() {
        assert_eq!(Section::from_name("<location"), Section::Location);
        assert_eq!(Section::from_name("LOCATIONMATCH"), Section::LocationMatch);
        assert_eq!(Section::from_name("<RequireAny"), Section::Require);
        assert_eq!(Section::from_name("<MDomainSet"), Section::Other);
    }

    #[test]
    fn top_level_refuses_directory_only_directives() {
        assert_eq!(
            check_context(def("Require"), &ContextStack::new()),
            Err("Require not allowed here".to_string())
        );
        assert!(check_context(def("ServerName"), &ContextStack::new()).is_ok());
        // OR_FILEINFO directives are allowed at server level.
        assert!(check_context(def("SetHandler"), &ContextStack::new()).is_ok());
    }

    #[test]
    fn not_allowed_names_the_parent_as_written() {
        assert_eq!(
            check_context(def("<Directory"), &stack(&["<Location"])),
            Err("<Directory not allowed in <Location> context".to_string())
        );
        // The tree keeps the command table's spelling.
        assert_eq!(
            check_context(def("Require"), &stack(&["<virtualhost"])),
            Err("Require not allowed in <VirtualHost> context".to_string())
        );
        assert_eq!(
            check_context(def("ServerName"), &stack(&["<VirtualHost", "<Location"])),
            Err("ServerName not allowed in <Location> context".to_string())
        );
    }

    #[test]
    fn global_only_refused_in_virtual_host() {
        assert_eq!(
            check_context(def("Listen"), &stack(&["<VirtualHost"])),
            Err("Listen cannot occur within <VirtualHost> section".to_string())
        );
        assert_eq!(
            check_context(def("<VirtualHost"), &stack(&["<VirtualHost"])),
            Err("<VirtualHost> cannot occur within <VirtualHost> section".to_string())
        );
    }

    #[test]
    fn limit_is_checked_before_the_sections() {
        assert_eq!(
            check_context(
                def("ProxyPassReverse"),
                &stack(&["<VirtualHost", "<DirectorY", "<limit"])
            ),
            Err(
                "ProxyPassReverse cannot occur within <Limit> or <LimitExcept> section".to_string()
            )
        );
    }

    #[test]
    fn section_checks_quote_the_enclosing_tag() {
        assert_eq!(
            check_context(def("ProxyPassReverse"), &stack(&["<directory"])),
            Err("ProxyPassReverse cannot occur within <Directory> section".to_string())
        );
        assert_eq!(
            check_context(def("ProxyPass"), &stack(&["<Location", "<If"])),
            Err("ProxyPass cannot occur within <If> section".to_string())
        );
        assert!(check_context(def("ProxyPass"), &stack(&["<Location"])).is_ok());
        assert_eq!(
            check_context(def("<Files"), &stack(&["<Location"])),
            Err("<Files> cannot occur within <Location> section".to_string())
        );
    }

    #[test]
    fn proxy_sections_allow_proxy_conf_directives() {
        assert!(check_context(def("BalancerMember"), &stack(&["<Proxy"])).is_ok());
        assert!(check_context(def("ProxySet"), &stack(&["<Proxy"])).is_ok());
        assert_eq!(
            check_context(def("<Proxy"), &stack(&["<Proxy"])),
            Err("<Proxy not allowed in <Proxy> context".to_string())
        );
    }

    #[test]
    fn htaccess_uses_allowoverride() {
        let ht = ContextStack::htaccess(Override::OR_AUTHCFG);
        assert!(check_context(def("Require"), &ht).is_ok());
        assert_eq!(
            check_context(def("SetHandler"), &ht),
            Err("SetHandler not allowed here".to_string())
        );
        let all = ContextStack::htaccess(Override::OR_ALL);
        assert_eq!(
            check_context(def("BalancerMember"), &all),
            Err("BalancerMember not allowed here".to_string())
        );
        let define = defs("Define").next().expect("Define");
        assert_eq!(
            check_forbidden(define, &all, Forbidden::NOT_IN_HTACCESS),
            Err("Define cannot occur within htaccess files".to_string())
        );
    }

    #[test]
    fn files_inside_directory_keeps_the_mask() {
        let s = stack(&["<Directory", "<Files"]);
        assert!(check_context(def("Require"), &s).is_ok());
        assert!(s.in_directory_context());
        let ht = {
            let mut s = ContextStack::htaccess(Override::OR_FILEINFO);
            s.push("<Files", "x>");
            s
        };
        assert!(check_context(def("Require"), &ht).is_err());
    }

    #[test]
    fn require_sections_take_auth_directives_only() {
        let s = stack(&["<Directory", "<RequireAll"]);
        assert!(check_context(def("Require"), &s).is_ok());
        assert_eq!(
            check_context(def("SetHandler"), &s),
            Err("SetHandler not allowed in <RequireAll> context".to_string())
        );
    }

    #[test]
    fn dir_loc_file_check_names_directory_context() {
        let all = DirectiveDef {
            checks: Forbidden::NOT_IN_DIR_LOC_FILE,
            ..*def("Protocol")
        };
        assert_eq!(
            check_forbidden(&all, &stack(&["<Proxy"]), all.checks),
            Err("Protocol cannot occur within directory context".to_string())
        );
    }

    #[test]
    fn servers_are_numbered_by_virtual_host() {
        let mut s = ContextStack::new();
        assert_eq!(s.server(), 0);
        s.push("<VirtualHost", "*:80>");
        s.push("<Location", "/x>");
        assert_eq!(s.server(), 1);
        s.pop();
        s.pop();
        assert_eq!(s.server(), 0);
        s.push("<VirtualHost", "*:80>");
        assert_eq!(s.server(), 2);
        assert!(s.in_virtual_host());
    }

    #[test]
    fn deep_nesting_answers_in_constant_time() {
        let mut s = ContextStack::new();
        s.push("<VirtualHost", "*:80>");
        for i in 0..100_000 {
            s.push(if i % 2 == 0 { "<Location" } else { "<If" }, "/x>");
        }
        let started = std::time::Instant::now();
        for _ in 0..100_000 {
            assert!(check_context(def("ProxyPass"), &s).is_err());
        }
        assert!(started.elapsed().as_secs() < 5);
        assert_eq!(s.server(), 1);
        while s.pop() {}
        assert_eq!(s.server(), 0);
        assert_eq!(s.path(), None);
    }

    #[test]
    fn paths_follow_the_section_handlers() {
        let mut s = ContextStack::new();
        assert_eq!(s.path(), None);
        s.push("<VirtualHost", "*:80>");
        assert_eq!(s.path(), None);
        s.push("<Directory", "\"/var/www\"> trailing");
        assert_eq!(s.path(), Some("/var/www"));
        s.push("<Files", "~ \"\\.php$\">");
        assert_eq!(s.path(), Some("\\.php$"));
        s.pop();
        s.pop();
        s.push("<Proxy", "proxy:balancer://app>");
        assert_eq!(s.path(), Some("balancer://app"));
        assert_eq!(
            s.innermost().map(|f| f.args.as_str()),
            Some("proxy:balancer://app")
        );
        s.pop();
        s.push("<If", "\"%{HTTPS} == 'on'\">");
        assert_eq!(s.path(), Some("*If"));
        assert_eq!(ContextStack::htaccess(Override::OR_ALL).path(), Some(""));
        assert_eq!(section_inner("a > b > c"), "a > b ");
    }
}
