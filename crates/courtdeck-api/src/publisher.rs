//! The publisher: what a machine that hands evidence over does (a police unit's, the CPS's, a
//! clerk's office's), as opposed to a kiosk in a courtroom. It bundles and publishes cases, imports
//! evidence bags and HMCTS court lists, exports a case as a bag, writes signed links, makes keys and
//! probes media. It holds a configuration (its store, its custody log, its room mappings) and
//! nothing of a kiosk: no session, no playout, no screens. `courtdeck`'s publisher commands and
//! `serve-lists` use it; the control surface never does.
//!
//! Its methods live beside the formats they handle (`publish`, `bags`, `court_lists`, `media`),
//! each in an `impl Publisher` of its own.

use crate::config::Config;

/// The publisher's toolkit over one configuration.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub(crate) config: Config,
}

impl Publisher {
    pub fn new(config: Config) -> Publisher {
        Publisher { config }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
}
