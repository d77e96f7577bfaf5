//! The core's scenarios, across modules and against real SQLCipher files: one test binary, so
//! SQLCipher is linked once. A module per topic; `common` and `team` hold the shared fixtures.

mod acting_as;
mod blocks;
mod care;
mod common;
mod devices;
mod exchange;
mod files;
mod first_open;
mod health;
mod keychain;
mod kinds;
mod lifecycle;
mod oauth;
mod operators;
mod people;
mod query;
mod reminders;
mod renewal;
mod restrictions;
mod status;
mod team;
mod vault;
mod webhooks;
