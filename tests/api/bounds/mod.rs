//! Bounded memory: the activity buffer while the database refuses writes, and file contents
//! served chunk by chunk from separately sealed chunks.

mod activity;
mod archive;
mod files;
