//! Apache httpd configuration language: directive table and argument semantics.

pub mod grammar;
pub mod text;
pub mod include;
