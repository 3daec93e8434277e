//! The data pages, one file each, in [`crate::report::PAGES`]'s order:
//! [`scaling`] (the index), [`balance`], [`io`], [`waits`], [`cores`],
//! [`costs`], [`python`], [`mpi`]. [`workload`] holds what the per-workload
//! pages share; [`starts`] holds two sections of the costs page (how a
//! process starts, serialization), which also read Python's data.
//!
//! To add a page, see the `report` module docs: a file here implementing
//! [`crate::report::Page`], one line in `PAGES`.

pub mod balance;
pub mod cores;
pub mod costs;
pub mod io;
pub mod mpi;
pub mod python;
pub mod scaling;
pub mod starts;
pub mod waits;
pub mod workload;
