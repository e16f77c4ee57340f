//! nginx rules, one file each: NGX0xx mirror `nginx -t`, NGX1xx find 502/504 causes.

pub mod ngx001_syntax_error;
pub mod ngx002_unknown_directive;
pub mod ngx003_directive_not_allowed_here;
pub mod ngx004_invalid_number_of_arguments;
pub mod ngx005_invalid_value;
pub mod ngx006_duplicate_directive;
pub mod ngx007_include_not_found;
pub mod ngx008_include_cycle;
pub mod ngx009_invalid_buffer_sizes;
pub mod ngx010_proxy_pass_uri_not_allowed;
pub mod ngx011_upstream_port_on_group;
pub mod ngx012_duplicate_upstream;
pub mod ngx013_deprecated_directive;
pub mod ngx014_invalid_location_nesting;
pub mod ngx015_duplicate_location;
pub mod ngx016_duplicate_listen;
pub mod ngx017_ssl_certificate_missing;
pub mod ngx018_ssl_verify_without_ca;
pub mod ngx019_unknown_variable;
pub mod ngx020_invalid_regex;
pub mod ngx021_missing_required_directive;
pub mod ngx022_unknown_zone;
pub mod ngx023_missing_charset_map;
pub mod ngx024_module_not_loaded;
pub mod ngx025_link_local_listen;
pub mod ngx101_upstream_port_mismatch;
pub mod ngx102_proxy_timeout_too_low;
pub mod ngx103_connect_timeout_ineffective;
pub mod ngx104_proxy_buffer_too_small;
pub mod ngx105_unix_socket_path_malformed;
pub mod ngx106_socket_in_private_tmp;
pub mod ngx107_socket_path_mismatch;
pub mod ngx108_localhost_upstream;
pub mod ngx109_upstream_dns_cached;
pub mod ngx110_missing_resolver;
pub mod ngx111_upstream_no_usable_server;
pub mod ngx112_upstream_keepalive_ineffective;
pub mod ngx113_tls_upstream_without_sni;
pub mod ngx114_protocol_port_mismatch;
pub mod ngx115_proxy_loop;
pub mod ngx116_worker_connections_too_low;
pub mod ngx117_unused_upstream;
pub mod ngx118_unknown_upstream_name;
pub mod ngx119_conflicting_server_name;

use super::Rule;

pub static RULES: &[&Rule] = &[
    &ngx001_syntax_error::RULE,
    &ngx002_unknown_directive::RULE,
    &ngx003_directive_not_allowed_here::RULE,
    &ngx004_invalid_number_of_arguments::RULE,
    &ngx005_invalid_value::RULE,
    &ngx006_duplicate_directive::RULE,
    &ngx007_include_not_found::RULE,
    &ngx008_include_cycle::RULE,
    &ngx009_invalid_buffer_sizes::RULE,
    &ngx010_proxy_pass_uri_not_allowed::RULE,
    &ngx011_upstream_port_on_group::RULE,
    &ngx012_duplicate_upstream::RULE,
    &ngx013_deprecated_directive::RULE,
    &ngx014_invalid_location_nesting::RULE,
    &ngx015_duplicate_location::RULE,
    &ngx016_duplicate_listen::RULE,
    &ngx017_ssl_certificate_missing::RULE,
    &ngx018_ssl_verify_without_ca::RULE,
    &ngx019_unknown_variable::RULE,
    &ngx020_invalid_regex::RULE,
    &ngx021_missing_required_directive::RULE,
    &ngx022_unknown_zone::RULE,
    &ngx023_missing_charset_map::RULE,
    &ngx024_module_not_loaded::RULE,
    &ngx025_link_local_listen::RULE,
    &ngx101_upstream_port_mismatch::RULE,
    &ngx102_proxy_timeout_too_low::RULE,
    &ngx103_connect_timeout_ineffective::RULE,
    &ngx104_proxy_buffer_too_small::RULE,
    &ngx105_unix_socket_path_malformed::RULE,
    &ngx106_socket_in_private_tmp::RULE,
    &ngx107_socket_path_mismatch::RULE,
    &ngx108_localhost_upstream::RULE,
    &ngx109_upstream_dns_cached::RULE,
    &ngx110_missing_resolver::RULE,
    &ngx111_upstream_no_usable_server::RULE,
    &ngx112_upstream_keepalive_ineffective::RULE,
    &ngx113_tls_upstream_without_sni::RULE,
    &ngx114_protocol_port_mismatch::RULE,
    &ngx115_proxy_loop::RULE,
    &ngx116_worker_connections_too_low::RULE,
    &ngx117_unused_upstream::RULE,
    &ngx118_unknown_upstream_name::RULE,
    &ngx119_conflicting_server_name::RULE,
];
