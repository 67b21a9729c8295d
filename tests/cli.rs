//! The integration tests: certctl run as a user runs it, against wiremock servers on
//! loopback (or the sandbox emulator). One binary, one module per area.

mod common;

mod bcdiploma;
mod chaos;
mod check;
mod config;
mod digicert;
mod general;
mod journal;
mod origin;
mod output;
mod sandbox;
mod sertifika;
