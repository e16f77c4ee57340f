//! Where `nginx -t` reports a refusal, and which one it prints first.
//!
//! Rules say where nginx meets a problem with an [`NginxReport`]; it becomes the
//! dialect-neutral [`Refusal`] of the diagnostic, and [`first_error`] orders refusals the
//! way nginx meets them. Pure: reads diagnostics and the source map only.

use crate::diagnostic::{Diagnostic, Refusal};
use crate::source::{SourceMap, Span};

/// The checks nginx runs once an `http` (or `stream`) block is read, in the order it
/// runs them (`ngx_http_block`): upstream groups are initialised, then locations
/// merged, location trees built, modules post-configured, variables resolved, and the
/// listen addresses optimised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    UpstreamInit,
    Merge,
    Locations,
    PostConfiguration,
    Variables,
    Listen,
}

impl Phase {
    /// The refusal stage of the phase: after stage 0 (reading the directive itself), in
    /// nginx's order.
    fn stage(self) -> u8 {
        self as u8 + 1
    }
}

/// Where `nginx -t` reports a problem proxylint mirrors, so that proxylint can say
/// which error nginx would print first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NginxReport {
    /// At the diagnostic's own span, while reading it.
    Here,
    /// While reading `Span` (a directive is handled once its `;` or `{` is read), and
    /// printed with that line.
    At(Span),
    /// After the block ending at `after` is read, in `phase`; printed with the line of
    /// `printed` (`None`: nginx prints no line).
    Deferred {
        printed: Option<Span>,
        after: Span,
        phase: Phase,
    },
}

/// Marks a finding as one `nginx -t` refuses.
pub trait RefusedByNginx {
    /// The finding, refused where `at` says.
    fn refused_by_nginx(self, at: NginxReport) -> Self;
}

impl RefusedByNginx for Diagnostic {
    fn refused_by_nginx(self, at: NginxReport) -> Self {
        let refusal = match at {
            NginxReport::Here => match self.span {
                Some(span) => Refusal {
                    when: span,
                    stage: 0,
                    printed: Some(span),
                },
                // Nothing to order it by: nginx would name a place.
                None => return self,
            },
            NginxReport::At(span) => Refusal {
                when: span,
                stage: 0,
                printed: Some(span),
            },
            NginxReport::Deferred {
                printed,
                after,
                phase,
            } => Refusal {
                when: after,
                stage: phase.stage(),
                printed,
            },
        };
        self.refused(refusal)
    }
}

/// The refusal `nginx -t` would print first, with the place nginx names (`None` for
/// errors nginx reports without a line): nginx reads files in order and stops at the
/// first error, so the first place it meets one wins, then the earlier phase.
pub fn first_error<'a>(
    sources: &SourceMap,
    diags: &'a [Diagnostic],
) -> Option<(&'a Diagnostic, Option<Span>)> {
    diags
        .iter()
        .filter_map(|d| {
            let r = d.refusal?;
            let order = (
                sources.load_order(r.when),
                r.stage,
                r.printed.map(|p| sources.load_order(p)),
            );
            Some((d, r.printed, order))
        })
        .min_by(|a, b| a.2.cmp(&b.2))
        .map(|(d, printed, _)| (d, printed))
}
