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
];
