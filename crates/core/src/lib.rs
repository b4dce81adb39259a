//! ccpulse's pure domain.
//!
//! Everything here is a function of its inputs: no file or network IO, no clock reads, no
//! threads, no async, no HTTP or Tauri types. The current time is always a parameter (`now`).
//! The shells (`ccpulse` CLI, `ccpulse-tray`) and the IO adapters (`ccpulse-sources`) feed
//! observations in and act on what comes out.
//!
//! Not here on purpose: parsing of wire formats (that is `ccpulse-sources`, named after the
//! origin of the data) and anything that decides *how* to show or send something on a platform.

pub mod advice;
pub mod alerts;
pub mod backoff;
pub mod config;
pub mod kb;
pub mod limit_alerts;
pub mod limits;
pub mod overload;
pub mod policy;
pub mod pricing;
pub mod relevance;
pub mod report;
pub mod service;
pub mod signals;
pub mod status;
pub mod status_diff;
pub mod tray_view;
pub mod usage;

pub use chrono;
