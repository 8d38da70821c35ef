//! The sync worker: fills the encrypted store from the source named in the credentials file.

pub mod onepux;
pub mod source;
