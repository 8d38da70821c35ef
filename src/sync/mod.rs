//! The sync worker: fills the encrypted store from the source named in the credentials file.

pub mod seed;
pub mod source;
