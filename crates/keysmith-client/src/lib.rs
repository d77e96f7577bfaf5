//! A device's side of a Keysmith team vault.
//!
//! Joining ([`join`]) reads an invitation, makes an Ed25519 device key, enrolls its public half
//! with the team server and saves a [`Profile`] (the server, its pinned certificate, the
//! device) under the user's config folder; the key itself goes to the OS keychain, or to a
//! file sealed with a passphrase of the user's (see [`keystore`]). [`Remote`] then carries any
//! operation of `keysmith_ops` to the server: it opens short sessions by signing the server's
//! challenges, signs every request with a counter the server takes once, and speaks to no
//! server but the one whose certificate the invitation named.
//!
//! This crate has no rules of its own: the server's core decides what a device's user may do.

mod error;
pub mod keystore;
pub mod offline;
mod pinned;
pub mod profile;
mod remote;

pub use error::ClientError;
pub use offline::OfflineCopy;
pub use profile::Profile;
pub use remote::{join, Remote};
