//! The evidence store and the custody log: fetching and verifying from nginx and SeaweedFS, hostile
//! servers, resumes, a courthouse of kiosks on one store, publishing, signing and the audit log. One
//! test binary (`cargo test -p courtdeck-testkit --test store`); a test of what reaches the cache, or
//! of the court's record of it, goes here.

mod bags;
mod court_lists;
mod courthouse;
mod custody;
mod hostile_store;
mod s3;
mod store;
mod week_ahead;
