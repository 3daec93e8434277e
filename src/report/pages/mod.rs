//! The data pages, one file each, in [`crate::report::PAGES`]'s order:
//! [`scaling`] (the index), [`balance`], [`io`], [`cores`], [`costs`],
//! [`python`], [`mpi`]. [`workload`] holds what the per-workload pages
//! share.
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
pub mod workload;
