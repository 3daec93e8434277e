//! Sentences written from numbers, one file per topic. Each function takes
//! plain numbers (no criterion types, no HTML) and returns sentences, so the
//! pages and the terminal say the same thing and tests can pin every
//! sentence to the numbers it names.
//!
//! [`words`] is the one place a number becomes words (times, sizes, rates,
//! counts); every other file here formats through it. To explain a new
//! topic, add a file here and call it from its page in
//! [`crate::report::pages`].

pub mod balance;
pub mod compare;
pub mod cores;
pub mod costs;
pub mod exchange;
pub mod io;
pub mod lost_update;
pub mod mpi;
pub mod python;
pub mod scaling;
pub mod serialization;
pub mod sharing;
pub mod starts;
pub mod waits;
pub mod words;
