//! The page's views, one component per file.

pub mod action_form;
pub mod actions_panel;
pub mod app;
pub mod block;
pub mod doc_page;
pub mod editor;
pub mod header_form;
pub mod item;
pub mod meeting;
pub mod meeting_list;
pub mod outline;
pub mod presence;
pub mod register;
pub mod speakers;
pub mod status;
pub mod suggestion;
