//! The integration tests: certctl run as a user runs it, against wiremock servers on
//! loopback (or the sandbox emulator). One binary, one module per area.

mod common;

mod architecture;
mod bcdiploma;
mod chaos;
mod check;
mod config;
mod contract;
mod digicert;
mod general;
mod journal;
mod listing;
mod logs;
mod metrics;
mod origin;
mod outcomes;
mod output;
mod plans;
mod reconcile;
mod sandbox;
mod sertifika;
