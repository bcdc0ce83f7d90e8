//! The page's views, one component per file.

pub mod app;
pub mod editor;
pub mod status;
