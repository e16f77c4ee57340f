//! What a run checks against: nginx version, contexts, enabled rules.

use crate::nginx::grammar::{DEFAULT_VERSION, Version};

#[derive(Debug, Clone)]
pub struct Settings {
    pub nginx_version: Version,
    /// NGINX Plus directives are known.
    pub plus: bool,
    /// Rule codes turned off.
    pub disabled: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            nginx_version: DEFAULT_VERSION,
            plus: false,
            disabled: Vec::new(),
        }
    }
}

impl Settings {
    pub fn rule_enabled(&self, code: &str) -> bool {
        !self.disabled.iter().any(|c| c.eq_ignore_ascii_case(code))
    }
}
