//! ccpulse's pure domain.
//!
//! Everything here is a function of its inputs: no file or network IO, no clock reads, no
//! threads, no async, no HTTP or Tauri types. The current time is always a parameter (`now`).
//! The shells (`ccpulse` CLI, `ccpulse-tray`) and the IO adapters (`ccpulse-sources`) feed
//! observations in and act on what comes out.
//!
//! Layers, each importing only from those above it in this list (`cargo xtask cycles` checks
//! that no two modules import each other):
//! - the models: `status`, `relevance`, `status_diff`, `service`, `clock`, `signals`, `limits`,
//!   `overload`, `usage`, `pricing`, `kb`, `backoff`; `forecast`, the pace of each window from
//!   its readings (`limits::history`);
//! - `alert`: a notification, its kind and the one ledger;
//! - `policy`: when and how planned notifications are shown;
//! - `plan`: the planners (status page, limits, waves) and when to look again;
//! - `config`: raw settings validated;
//! - `advice`: what to do now, decided from the models;
//! - `view`: everything in words and colours, for every shell.
//!
//! Not here on purpose: parsing of wire formats (that is `ccpulse-sources`, named after the
//! origin of the data) and anything that decides *how* to show or send something on a platform.

pub mod advice;
pub mod alert;
pub mod backoff;
pub mod clock;
pub mod config;
pub mod forecast;
pub mod kb;
pub mod limits;
pub mod overload;
pub mod plan;
pub mod policy;
pub mod pricing;
pub mod relevance;
pub mod service;
pub mod signals;
pub mod status;
pub mod status_diff;
#[cfg(test)]
mod test_support;
pub mod usage;
pub mod view;

pub use chrono;
