//! Rules for the values of particular field types: OTP codes, generated passwords, and the
//! normalised forms of dates and month-years.

pub mod generator;
pub mod totp;
pub mod values;
