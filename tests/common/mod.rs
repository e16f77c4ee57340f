//! Helpers shared by the integration tests.

pub mod files;
pub mod mutate;
