//! httpd's verdicts on single directives, as a table of (configuration snippet, expected
//! message): checked against proxylint's `apache::grammar` functions always, and against
//! the real `apache2 -t` when Debian's apache2 is installed (each snippet in its own
//! ServerRoot with its own PidFile, Mutex and ErrorLog, in a clean environment).
//!
//! A snippet's lines are directives and section tags, one per line; the walk below plays
//! httpd's two phases just enough for one-line directives: sections push and pop the
//! context, every directive goes through `check_directive`, sections end with
//! `check_section_end`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

mod reference;

use reference::{apache2, shared_reference};

use proxylint::apache::grammar::{
    self, ContextStack, HandlerState, LoadedModules, Lookup, check_directive, check_section_end,
};

/// The Listen line of every case's configuration (httpd refuses a second one).
const BASE_LISTEN: &str = "Listen 127.0.0.2:1";

/// Modules every case loads (besides Debian's built-in ones).
const BASE_MODULES: &[&str] = &[
    "event",
    "mod_authz_core",
    "mod_authn_core",
    "mod_alias",
    "mod_rewrite",
    "mod_mime",
    "mod_dir",
    "mod_proxy",
    "mod_proxy_http",
    "mod_proxy_fcgi",
    "mod_proxy_balancer",
    "mod_slotmem_shm",
    "mod_lbmethod_byrequests",
];

/// (extra modules, snippet, expected message or None for "Syntax OK").
type Case = (&'static [&'static str], &'static str, Option<&'static str>);

const CASES: &[Case] = &[
    // ---- the req_override test of invoke_cmd
    (&[], "Require all granted", Some("Require not allowed here")),
    (
        &[],
        "<VirtualHost *:80>\nRequire all granted\n</VirtualHost>",
        Some("Require not allowed in <VirtualHost> context"),
    ),
    (
        &[],
        "<virtualhost *:80>\nRequire all granted\n</virtualhost>",
        Some("Require not allowed in <VirtualHost> context"),
    ),
    (
        &[],
        "<Location /x>\n<Directory /y>\n</Directory>\n</Location>",
        Some("<Directory not allowed in <Location> context"),
    ),
    (
        &[],
        "<Location /x>\nServerName a\n</Location>",
        Some("ServerName not allowed in <Location> context"),
    ),
    (
        &[],
        "<Proxy balancer://b>\n<Proxy balancer://c>\n</Proxy>\n</Proxy>",
        Some("<Proxy not allowed in <Proxy> context"),
    ),
    (
        &[],
        "<Directory /a>\n<RequireAll>\nSetHandler x\n</RequireAll>\n</Directory>",
        Some("SetHandler not allowed in <RequireAll> context"),
    ),
    (&[], "SetHandler none", None),
    (
        &[],
        "<Directory /a>\nRequire all granted\n</Directory>",
        None,
    ),
    // ---- ap_check_cmd_context
    (
        &[],
        "<VirtualHost *:80>\nListen 8080\n</VirtualHost>",
        Some("Listen cannot occur within <VirtualHost> section"),
    ),
    (
        &[],
        "<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n</VirtualHost>",
        Some("<VirtualHost> cannot occur within <VirtualHost> section"),
    ),
    (
        &[],
        "<Directory /a>\nProxyPassReverse / http://a/\n</Directory>",
        Some("ProxyPassReverse cannot occur within <Directory> section"),
    ),
    (
        &[],
        "<directory /a>\nProxyPassReverse / http://a/\n</directory>",
        Some("ProxyPassReverse cannot occur within <Directory> section"),
    ),
    (
        &[],
        "<Directory /a>\n<Limit GET>\nProxyPassReverse / http://a/\n</Limit>\n</Directory>",
        Some("ProxyPassReverse cannot occur within <Limit> or <LimitExcept> section"),
    ),
    (
        &[],
        "<Location /a>\n<If \"true\">\nProxyPass http://b/\n</If>\n</Location>",
        Some("ProxyPass cannot occur within <If> section"),
    ),
    (
        &[],
        "<Location /a>\n<Files x>\n</Files>\n</Location>",
        Some("<Files> cannot occur within <Location> section"),
    ),
    (
        &[],
        "<Files x>\nProxyPass /a http://b/\n</Files>",
        Some("ProxyPass cannot occur within <Files> section"),
    ),
    (
        &[],
        "<Location /a>\nAlias /a /b\n</Location>",
        Some("Alias cannot occur within directory context"),
    ),
    (&[], "<Location /a>\nAlias /srv/a\n</Location>", None),
    (
        &[],
        "Alias /a",
        Some("Alias must have two arguments when used globally"),
    ),
    (
        &[],
        "<Directory /a>\nDocumentRoot /b\n</Directory>",
        Some("DocumentRoot not allowed in <Directory> context"),
    ),
    (
        &["mod_cache"],
        "<Location /a>\nCacheEnable disk\n</Location>",
        None,
    ),
    (
        &["mod_cache"],
        "<Directory /a>\nCacheEnable disk\n</Directory>",
        Some("CacheEnable cannot occur within <Directory> section"),
    ),
    // ---- argument counts (invoke_cmd)
    (
        &[],
        "ServerName",
        Some("ServerName takes one argument, The hostname and port of the server"),
    ),
    (
        &[],
        "ServerName a b",
        Some("ServerName takes one argument, The hostname and port of the server"),
    ),
    (
        &[],
        "ServerName www.example.org # the main site",
        Some("ServerName takes one argument, The hostname and port of the server"),
    ),
    (
        &[],
        "ServerName \"\"",
        Some("ServerName takes one argument, The hostname and port of the server"),
    ),
    (
        &[],
        "ProxyPassReverse / http://a/ b c",
        Some(
            "ProxyPassReverse takes one, two or three arguments, a virtual path and a URL for reverse proxy behaviour",
        ),
    ),
    (
        &[],
        "ProxyRemote *",
        Some(
            "ProxyRemote takes two or three arguments, a scheme, partial URL or '*' and a proxy server",
        ),
    ),
    (
        &[],
        "Define A B C",
        Some(
            "Define takes 1-2 arguments, Define a variable, optionally to a value.  Same as passing -D to the command line.",
        ),
    ),
    (
        &[],
        "ProxyBlock",
        Some(
            "ProxyBlock requires at least one argument, A list of names, hosts or domains to which the proxy will not connect",
        ),
    ),
    (
        &[],
        "AddType text/x",
        Some(
            "AddType requires at least two arguments, a mime type followed by one or more file extensions",
        ),
    ),
    (
        &[],
        "ProxyPreserveHost yes",
        Some("ProxyPreserveHost must be On or Off"),
    ),
    (
        &[],
        "ProxyPreserveHost",
        Some("ProxyPreserveHost must be On or Off"),
    ),
    (&[], "ProxyPreserveHost On # trailing", None),
    (&[], "ProxyRequests OFF", None),
    (&[], "DirectoryIndex", None),
    // ---- unknown and not loaded
    (
        &[],
        "ProxyPas /a http://b/",
        Some(
            "Invalid command 'ProxyPas', perhaps misspelled or defined by a module not included in the server configuration",
        ),
    ),
    (
        &[],
        "SSLEngine on",
        Some(
            "Invalid command 'SSLEngine', perhaps misspelled or defined by a module not included in the server configuration",
        ),
    ),
    (
        &[],
        "Port 80",
        Some("Port was replaced with Listen in Apache 2.0"),
    ),
    // ---- core handlers
    (
        &[],
        "Define a:b",
        Some("Variable name must not contain ':'"),
    ),
    (
        &[],
        "UnDefine a:b",
        Some("Variable name must not contain ':'"),
    ),
    (&[], "Define APP_ROOT /srv", None),
    (
        &[],
        "ServerName *.example.org",
        Some("Invalid ServerName \"*.example.org\" use ServerAlias to set multiple server names."),
    ),
    (
        &[],
        "ServerName example.org:0",
        Some(
            "The port number \"example.org:0\" is outside the appropriate range (i.e., 1..65535).",
        ),
    ),
    (
        &[],
        "ServerName example.org:70000",
        Some(
            "The port number \"example.org:70000\" is outside the appropriate range (i.e., 1..65535).",
        ),
    ),
    (&[], "ServerName https://example.org:8443", None),
    (&[], "Timeout abc", None),
    (&[], "Timeout 5ms", None),
    (
        &[],
        "KeepAliveTimeout 5x",
        Some("KeepAliveTimeout has wrong format"),
    ),
    (&[], "KeepAliveTimeout 500ms", None),
    (
        &[],
        "Listen 80 http extra",
        Some("Listen requires 1 or 2 arguments."),
    ),
    (&[], "Listen :80", Some("Invalid address or port")),
    (&[], "Listen 0", Some("Invalid address or port")),
    (&[], "Listen 65536", Some("Invalid address or port")),
    (&[], "Listen [::1", Some("Invalid address or port")),
    (&[], "Listen localhost", Some("Port must be specified")),
    (
        &[],
        "Listen 127.0.0.2:1",
        Some("Cannot define multiple Listeners on the same IP:port"),
    ),
    (&[], "Listen 127.0.0.3:8443 https", None),
    (&[], "Listen [::1]:8080", None),
    (&[], "ListenBacklog 0", Some("ListenBacklog must be > 0")),
    (&[], "RewriteRule ^/a /b [R=301,L] # moved", None),
    (
        &[],
        "RewriteRule ^/a /b # moved",
        Some("RewriteRule: bad flag delimiters"),
    ),
    (
        &[],
        "RewriteRule ^/a",
        Some("RewriteRule: bad argument line '^/a'"),
    ),
    (
        &[],
        "RewriteCond %{HTTPS}",
        Some("RewriteCond: bad argument line '%{HTTPS}'"),
    ),
    // ---- sections
    (
        &[],
        "<Directory /a\n</Directory>",
        Some("<Directory> directive missing closing '>'"),
    ),
    (
        &[],
        "<Directory>\n</Directory>",
        Some("<Directory> directive requires additional arguments"),
    ),
    (
        &[],
        "<DirectoryMatch \"^/(a\">\n</DirectoryMatch>",
        Some("Regex could not be compiled"),
    ),
    (
        &[],
        "<Location ~ \"(\">\n</Location>",
        Some("Regex could not be compiled"),
    ),
    (
        &[],
        "<Directory /a /b>\n</Directory>",
        Some("Multiple <Directory> arguments not (yet) supported."),
    ),
    (
        &[],
        "<Location /a /b>\n</Location>",
        Some("Multiple <Location> arguments not (yet) supported."),
    ),
    (
        &[],
        "<Directory /a>\n<Limit TRACE>\n</Limit>\n</Directory>",
        Some("TRACE cannot be controlled by <Limit>, see TraceEnable"),
    ),
    (
        &[],
        "<Directory /a>\n<LimitExcept GET TRACE>\nRequire all denied\n</LimitExcept>\n</Directory>",
        None,
    ),
    (
        &[],
        "<Directory /a>\n<If \"true\">\n</If>\n<Else x>\n</Else>\n</Directory>",
        Some("<Else> does not take an argument"),
    ),
    (
        &[],
        "<Directory /a>\n<RequireAll x>\n</RequireAll>\n</Directory>",
        Some("<RequireAll> directive doesn't take additional arguments"),
    ),
    (
        &[],
        "<VirtualHost>\n</VirtualHost>",
        Some("<VirtualHost> directive requires additional arguments"),
    ),
    (
        &[],
        "<ProxyMatch \"^(x\">\n</ProxyMatch>",
        Some("Regex could not be compiled"),
    ),
    // ---- ProxyPass
    (&[], "ProxyPass /app http://127.0.0.1:8080/app/", None),
    (
        &[],
        "ProxyPass /app",
        Some("ProxyPass|ProxyPassMatch needs a path when not defined in a location"),
    ),
    (
        &[],
        "ProxyPass /app http://b/ retry",
        Some(
            "Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'.",
        ),
    ),
    (
        &[],
        "ProxyPass /app http://b/ # comment",
        Some(
            "Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'.",
        ),
    ),
    (
        &[],
        "ProxyPass /app http://b/ mapping=x",
        Some("unknown mapping"),
    ),
    (
        &[],
        "ProxyPass /app http://b/ nocanon noquery interpolate mapping=servlet",
        None,
    ),
    (
        &[],
        "ProxyPass /app /local",
        Some("ProxyPass URL must be absolute!: /local"),
    ),
    (
        &[],
        "ProxyPass /app http:///x",
        Some("ProxyPass URL must be absolute!: http:///x"),
    ),
    (
        &[],
        "ProxyPass /app http://b:port/",
        Some("ProxyPass Unable to parse URL: http://b:port/"),
    ),
    (&[], "ProxyPass /app http://b:99999/", None),
    (&[], "ProxyPass / !", None),
    (
        &[],
        "ProxyPassMatch ~ ^/a http://b/",
        Some("ProxyPassMatch invalid syntax ('~' usage)."),
    ),
    (
        &[],
        "ProxyPassMatch ^/(a http://b/",
        Some("Regular expression could not be compiled."),
    ),
    (&[], "ProxyPassMatch ^/(.*)$ http://b:8080/$1", None),
    (
        &[],
        "<Location /app>\nProxyPass http://b/ retry=0\n</Location>",
        None,
    ),
    (
        &[],
        "<Location /app>\nProxyPass /x http://b/\n</Location>",
        Some("ProxyPass|ProxyPassMatch can not have a path when defined in a location."),
    ),
    (
        &[],
        "<Location /app>\nProxyPass http://b/ /x\n</Location>",
        Some(
            "Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'.",
        ),
    ),
    // ---- unix: URLs
    (
        &[],
        "ProxyPass /php unix:/run/php/php8.2-fpm.sock|fcgi://localhost/",
        None,
    ),
    (
        &[],
        "ProxyPass /php unix:/run/php/php8.2-fpm.sock|fcgi://",
        None,
    ),
    (
        &[],
        "ProxyPass /php unix:/run/php/php8.2-fpm.sock|fcgi:",
        None,
    ),
    (
        &[],
        "ProxyPass /php unix:/run/php/php8.2-fpm.sock|fcgi",
        Some("ProxyPass|ProxyPassMatch uses an invalid \"unix:\" URL"),
    ),
    (
        &[],
        "ProxyPass /php unix:/run/php/php8.2-fpm.sock",
        Some("ProxyPass URL must be absolute!: unix:/run/php/php8.2-fpm.sock"),
    ),
    // The socket path must fit in 96 bytes with its NUL.
    (
        &[],
        "ProxyPass /php unix:/run/php/ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/fpm.sock|fcgi://localhost/",
        None,
    ),
    (
        &[],
        "ProxyPass /php unix:/run/php/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/fpm.sock|fcgi://localhost/",
        Some(
            "ProxyPass worker uds path (/run/php/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/fpm.sock) too long",
        ),
    ),
    // ---- worker parameters (set_worker_param)
    (
        &[],
        "ProxyPass /a http://b/ timeout=0",
        Some("ProxyPass Timeout must be at least one second"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ timeout=abc",
        Some("ProxyPass Timeout must be at least one second"),
    ),
    (&[], "ProxyPass /a http://b/ timeout=500ms", None),
    (
        &[],
        "ProxyPass /a http://b/ retry=-1",
        Some("ProxyPass Retry must be a positive value"),
    ),
    (&[], "ProxyPass /a http://b/ retry=abc", None),
    (
        &[],
        "ProxyPass /a http://b/ ttl=0",
        Some("ProxyPass TTL must be at least one second"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ min=-1",
        Some("ProxyPass Min must be a positive number"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ max=-1",
        Some("ProxyPass Max must be a positive number"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ smax=-1",
        Some("ProxyPass Smax must be a positive number"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ acquire=x",
        Some("ProxyPass Acquire timeout has wrong format"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ acquire=0",
        Some("ProxyPass Acquire must be at least one millisecond"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ connectiontimeout=5x",
        Some("ProxyPass Connectiontimeout has wrong format"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ connectiontimeout=0",
        Some("ProxyPass Connectiontimeout must be at least one millisecond."),
    ),
    (&[], "ProxyPass /a http://b/ connectiontimeout=250ms", None),
    (
        &[],
        "ProxyPass /a http://b/ ping=-1",
        Some("ProxyPass Ping/Pong timeout has wrong format"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ ping=0",
        Some("ProxyPass Ping/Pong timeout must be at least one millisecond"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ iobuffersize=100",
        Some("ProxyPass IOBufferSize must be >= 512 bytes, or 0 for system default."),
    ),
    (
        &[],
        "ProxyPass /a http://b/ receivebuffersize=100",
        Some("ProxyPass ReceiveBufferSize must be >= 512 bytes, or 0 for system default."),
    ),
    (
        &[],
        "ProxyPass /a http://b/ keepalive=yes",
        Some("ProxyPass KeepAlive must be On|Off"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ disablereuse=1",
        Some("ProxyPass DisableReuse must be On|Off"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ enablereuse=1",
        Some("ProxyPass EnableReuse must be On|Off"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ addressttl=1ms",
        Some("ProxyPass AddressTTL must be -1 or a number of seconds not exceeding (2147483647)"),
    ),
    (&[], "ProxyPass /a http://b/ addressttl=-1", None),
    (
        &[],
        "ProxyPass /a http://b/ route=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        Some("ProxyPass Route length must be < 64 characters"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ status=X",
        Some("ProxyPass Unknown status parameter option"),
    ),
    (&[], "ProxyPass /a http://b/ status=+H", None),
    (
        &[],
        "ProxyPass /a http://b/ flushpackets=sometimes",
        Some("ProxyPass flushpackets must be on|off|auto"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ flushwait=2000",
        Some("ProxyPass flushwait must be <= 1000, or 0 for system default of 10 millseconds."),
    ),
    (
        &[],
        "ProxyPass /a http://b/ lbset=100",
        Some("ProxyPass lbset must be between 0 and 99"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ loadfactor=0.5",
        Some("ProxyPass LoadFactor must be a number between 1..100"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ upgrade=a-very-long-protocol",
        Some("ProxyPass upgrade protocol length must be < 16 characters"),
    ),
    (
        &[],
        "ProxyPass /a http://b/ responsefieldsize=-1",
        Some("ProxyPass ResponseFieldSize must be greater than 0 bytes, or 0 for system default."),
    ),
    (
        &[],
        "ProxyPass /a http://b/ nosuch=1",
        Some("ProxyPass unknown Worker parameter"),
    ),
    (&[], "ProxyPass /a http://b/ Timeout=0 TIMEOUT=5", None),
    (
        &[],
        "ProxyPass /a http://b/\nProxyPass /c http://b/x timeout=0",
        None,
    ),
    (
        &[],
        "ProxyPass /a http://b/ hcmethod=GET",
        Some("ProxyPass unknown Worker parameter"),
    ),
    (
        &["mod_proxy_hcheck"],
        "ProxyPass /a http://b/ hcmethod=GET hcinterval=5",
        None,
    ),
    (
        &["mod_proxy_hcheck"],
        "ProxyPass /a http://b/ hcmethod=PUT",
        Some("ProxyPass Unknown method"),
    ),
    (
        &["mod_proxy_hcheck"],
        "ProxyPass /a http://b/ hcmethod=CPING",
        Some("ProxyPass Health check method CPING not (yet) implemented"),
    ),
    (
        &["mod_proxy_hcheck"],
        "ProxyPass /a http://b/ hcinterval=50ms",
        Some("ProxyPass Interval must be a positive value greater than 100ms"),
    ),
    (
        &["mod_proxy_hcheck"],
        "ProxyPass /a http://b/ hctemplate=nope",
        Some("ProxyPass Unknown ProxyHCTemplate name: nope"),
    ),
    (
        &["mod_proxy_hcheck"],
        "ProxyPass /a http://b/ nosuch=1",
        Some("ProxyPass unknown Worker hcheck parameter"),
    ),
    (
        &["mod_proxy_hcheck"],
        "ProxyHCTemplate t1 hcmethod=GET hcuri=/health\nProxyPass /a http://b/ hctemplate=T1",
        None,
    ),
    (
        &["mod_proxy_hcheck"],
        "ProxyHCTemplate t2 retry=1",
        Some("ProxyHCTemplate: unknown Worker hcheck parameter retry=1; t2"),
    ),
    // ---- balancers
    (
        &[],
        "<Proxy balancer://app>\nBalancerMember http://10.0.0.1:8080 retry=0\nBalancerMember http://10.0.0.2:8080 loadfactor=2\nProxySet lbmethod=byrequests\n</Proxy>\nProxyPass /app balancer://app/ stickysession=JSESSIONID",
        None,
    ),
    (
        &[],
        "<Proxy balancer://app>\nBalancerMember http://10.0.0.1 loadfactor=0\n</Proxy>",
        Some("BalancerMember LoadFactor must be a number between 1..100"),
    ),
    (
        &[],
        "<Proxy balancer://app>\nProxySet lbmethod=bytraffic\n</Proxy>",
        Some("ProxySet: unknown lbmethod lbmethod=bytraffic; balancer://app"),
    ),
    (
        &["mod_lbmethod_bytraffic"],
        "<Proxy balancer://app>\nProxySet lbmethod=bytraffic\n</Proxy>",
        None,
    ),
    (
        &[],
        "ProxyPass /app balancer://app/ lbmethod=ByRequests",
        Some("ProxyPass unknown lbmethod"),
    ),
    (
        &[],
        "ProxyPass /app balancer://app/ retry=0",
        Some("ProxyPass unknown Balancer parameter"),
    ),
    (
        &[],
        "ProxyPass /app balancer://app/ nofailover=x",
        Some("ProxyPass failover must be On|Off"),
    ),
    (
        &[],
        "ProxyPass /app balancer://app/ failonstatus=500,abc",
        Some("ProxyPass failonstatus must be one or more HTTP response codes"),
    ),
    (
        &[],
        "ProxyPass /app balancer://app/ stickysessionsep=ab",
        Some("ProxyPass stickysessionsep must be a single character or Off"),
    ),
    (
        &[],
        "ProxyPass /app balancer://app/ growth=0",
        Some("ProxyPass growth must be between 1 and 100"),
    ),
    (
        &[],
        "ProxyPass /app balancer://app/ timeout=0",
        Some("ProxyPass timeout must be at least one second"),
    ),
    (
        &[],
        "ProxyPass /app balancer:app",
        Some("ProxyPass Bad syntax for a balancer name (balancer:app)"),
    ),
    (
        &[],
        "BalancerMember http://10.0.0.1",
        Some("BalancerMember must define remote proxy server"),
    ),
    (
        &[],
        "BalancerMember balancer://app http://10.0.0.1 http://10.0.0.2",
        Some("Invalid BalancerMember parameter. Parameter must be in the form 'key=value'"),
    ),
    (
        &[],
        "<Proxy balancer://app>\nBalancerMember http://a http://b\n</Proxy>",
        Some("BalancerMember can not have a balancer name when defined in a location"),
    ),
    (
        &[],
        "<Location /x>\nBalancerMember http://a\n</Location>",
        Some("BalancerMember Bad syntax for a balancer name (/x)"),
    ),
    (
        &[],
        "<Proxy balancer://app>\nBalancerMember unix:/run/a.sock|nothing\n</Proxy>",
        Some("BalancerMember uses an invalid \"unix:\" URL"),
    ),
    (
        &[],
        "ProxySet balancer://none timeout=5",
        Some("ProxySet can not find 'balancer://none' Balancer."),
    ),
    (
        &[],
        "ProxySet http://none/ timeout=5",
        Some("ProxySet can not find 'http://none/' Worker."),
    ),
    (
        &[],
        "ProxyPass /a http://b/\nProxySet http://b/ timeout=0",
        Some("ProxySet: Timeout must be at least one second timeout=0; http://b/"),
    ),
    (
        &[],
        "<Proxy http://b/>\nProxySet timeout\n</Proxy>",
        Some("Invalid ProxySet parameter. Parameter must be in the form 'key=value'"),
    ),
    (
        &[],
        "<Proxy http://b/ timeout=0>\n</Proxy>",
        Some("<Proxy Timeout must be at least one second timeout=0; http://b/"),
    ),
    (
        &[],
        "<Proxy * timeout=5>\n</Proxy>",
        Some("<Proxy> arguments are not supported for wildchar url."),
    ),
    (
        &[],
        "<Proxy /x timeout=5>\n</Proxy>",
        Some("<Proxy> arguments are not supported for non url."),
    ),
    (
        &[],
        "<ProxyMatch ^/x timeout=5>\n</ProxyMatch>",
        Some("Multiple <ProxyMatch> arguments not (yet) supported."),
    ),
    (
        &[],
        "<Proxy balancer://b nofailover=x>\n</Proxy>",
        Some("<Proxy failover must be On|Off nofailover=x; balancer://b"),
    ),
    // ---- other proxy directives
    (
        &[],
        "ProxyTimeout 0",
        Some("Proxy Timeout must be at least 1 second."),
    ),
    (&[], "ProxyTimeout 30s", None),
    (
        &[],
        "ProxyVia yes",
        Some("ProxyVia must be one of: off | on | full | block"),
    ),
    (
        &[],
        "ProxyBadHeader Drop",
        Some("ProxyBadHeader must be one of: IsError | Ignore | StartBody"),
    ),
    (
        &[],
        "ProxyStatus maybe",
        Some("ProxyStatus must be one of: off | on | full"),
    ),
    (
        &[],
        "ProxyIOBufferSize 100",
        Some("ProxyIOBufferSize must be >= 512 bytes, or 0 for system default."),
    ),
    (
        &[],
        "ProxyReceiveBufferSize 100",
        Some("ProxyReceiveBufferSize must be >= 512 bytes, or 0 for system default."),
    ),
    (
        &[],
        "ProxyRemote * proxy:3128",
        Some("ProxyRemote: Bad syntax for a remote proxy server"),
    ),
    (
        &[],
        "ProxyRemote * http://proxy:x",
        Some("ProxyRemote: Bad syntax for a remote proxy server (bad port number)"),
    ),
    (&[], "ProxyRemote * http://proxy:3128", None),
];

fn base_loaded(extra: &[&str]) -> LoadedModules {
    let mut loaded = LoadedModules::builtin();
    for m in BASE_MODULES.iter().chain(extra) {
        loaded.load(grammar::module(m).unwrap_or_else(|| panic!("module {m}")));
    }
    loaded
}

/// The directive name and its arguments on a line (as httpd's reader splits them).
fn split(line: &str) -> (&str, &str) {
    let line = line.trim();
    match line.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => (&line[..i], line[i..].trim_start()),
        None => (line, ""),
    }
}

/// proxylint's verdict on a snippet: the first error, as httpd reports it.
fn proxylint_verdict(extra: &[&str], snippet: &str) -> Option<String> {
    let loaded = base_loaded(extra);
    let mut state = HandlerState::new(&loaded);
    let mut ctx = ContextStack::new();
    // Open sections: definition and arguments, for their end checks.
    let mut open = Vec::new();
    for line in std::iter::once(BASE_LISTEN).chain(snippet.lines()) {
        let (name, args) = split(line);
        if name.starts_with("</") {
            let (def, args) = open.pop().expect("balanced snippet");
            ctx.pop();
            if let Err(e) = check_section_end(def, &ctx, args, &mut state) {
                return Some(e);
            }
            continue;
        }
        // httpd drops a '>' ending the name (`<Directory>`), and gives a section
        // without arguments the argument ">".
        let (name, args) = match name.strip_suffix('>') {
            Some(n) if n.starts_with('<') => (n, if args.is_empty() { ">" } else { args }),
            _ => (name, args),
        };
        let def = match grammar::lookup(name, &loaded) {
            Lookup::Found(def) => def,
            _ => return Some(grammar::invalid_command(name)),
        };
        if let Err(e) = check_directive(def, &ctx, args, &mut state) {
            return Some(e);
        }
        if def.section {
            ctx.push(name, args);
            open.push((def, args));
        }
    }
    None
}

/// httpd's verdict: `None` for "Syntax OK", else the message of its (single) error.
fn apache2_verdict(bin: &Path, dir: &Path, extra: &[&str], snippet: &str) -> Option<String> {
    let mut conf = format!(
        "ServerRoot {0}\nPidFile {0}/pid\nErrorLog {0}/error.log\nMutex file:{0} default\n\
         ServerName localhost\n{BASE_LISTEN}\n",
        dir.display()
    );
    for m in BASE_MODULES.iter().chain(extra) {
        let module = grammar::module(m).expect("module");
        writeln!(conf, "{}", module.load_line().expect("a shared module")).expect("write");
    }
    conf.push_str(snippet);
    conf.push('\n');
    let path = dir.join("c.conf");
    std::fs::write(&path, conf).expect("write config");
    let out = Command::new(bin)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/bin")
        .arg("-t")
        .arg("-f")
        .arg(&path)
        .arg("-d")
        .arg(dir)
        .output()
        .expect("run apache2");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        assert!(text.contains("Syntax OK"), "{text}");
        return None;
    }
    let marker = format!(" of {}:", path.display());
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(i) = line.find(&marker) {
            let rest = line[i + marker.len()..].trim();
            // Phase 1 puts the message on the same line, phase 2 on the next.
            return Some(if rest.is_empty() {
                lines.next().unwrap_or_default().to_string()
            } else {
                rest.to_string()
            });
        }
    }
    panic!("no error line in apache2's output: {text}");
}

/// The cases whose verdict by `judge` differs from the table, described.
fn differences(
    cases: &[Case],
    who: &str,
    judge: impl Fn(&[&str], &str) -> Option<String>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (extra, snippet, expected) in cases {
        let got = judge(extra, snippet);
        if got.as_deref() != *expected {
            failures.push(format!(
                "{snippet:?}\n  expected {expected:?}\n  {who} {got:?}"
            ));
        }
    }
    failures
}

fn assert_none_differ(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn proxylint_gives_httpds_verdicts() {
    assert_none_differ(&differences(CASES, "proxylint", proxylint_verdict));
}

#[test]
fn apache2_agrees_with_the_table() {
    let Some(bin) = apache2() else { return };
    let judge = |extra: &[&str], snippet: &str| {
        let dir = tempfile::tempdir().expect("tempdir");
        apache2_verdict(&bin, dir.path(), extra, snippet)
    };
    // Two threads: the machine has two cores.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let halves: Vec<_> = CASES
            .chunks(CASES.len().div_ceil(2))
            .map(|cases| scope.spawn(|| differences(cases, "apache2", judge)))
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_none_differ(&failures);
}

/// Every message the table expects is one of httpd's formats in
/// ../shared/reference/httpd-config-messages.tsv (for the source files it covers), with
/// `%s`/`%d` standing for the variable parts.
#[test]
fn expected_messages_are_httpd_formats() {
    let Some(reference) = shared_reference() else {
        return;
    };
    let path = reference.join("httpd-config-messages.tsv");
    let text = std::fs::read_to_string(&path).expect("read messages");
    let formats: Vec<regex::Regex> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').nth(1))
        // A format that is only placeholders (`%s`, `%s: %s`) would match anything.
        .filter(|format| format.replace("%s", "").replace("%d", "").len() >= 6)
        .map(|format| {
            let mut pattern = String::from("^");
            let mut rest = format.replace("\\\\", "\\");
            // The optional help suffix.
            let optional_help = rest.ends_with("[, %s]");
            if optional_help {
                rest.truncate(rest.len() - "[, %s]".len());
            }
            for (i, piece) in rest.split("%s").enumerate() {
                if i > 0 {
                    pattern.push_str(".*");
                }
                let escaped: Vec<String> = piece.split("%d").map(regex::escape).collect();
                pattern.push_str(&escaped.join("-?[0-9]+"));
            }
            if optional_help {
                pattern.push_str("(, .*)?");
            }
            pattern.push('$');
            regex::Regex::new(&pattern).expect("format regex")
        })
        .collect();
    // Messages of files the catalogue does not cover (mod_alias, mod_rewrite,
    // mod_authz_core, http_core, listen.c's alloc_listener), a deprecated directive's
    // help text, and proxysection's "%s %s %s=%s; %s" (only placeholders).
    let uncovered = [
        "Alias ",
        "RewriteRule: ",
        "RewriteCond: ",
        "<RequireAll>",
        "KeepAliveTimeout ",
        "Cannot define multiple Listeners",
        "Port was replaced",
        "<Proxy ",
    ];
    let mut missing = Vec::new();
    for (_, _, expected) in CASES {
        let Some(m) = expected else { continue };
        if uncovered.iter().any(|u| m.starts_with(u)) {
            continue;
        }
        if !formats.iter().any(|f| f.is_match(m)) {
            missing.push(*m);
        }
    }
    assert!(
        missing.is_empty(),
        "not in httpd-config-messages.tsv: {missing:#?}"
    );
}
