//! Series membership: which meetings belong to a series, so that an invitation to a
//! series opens every meeting of it — those there are and those created later — without
//! new links.
//!
//! - A meeting joins its series when it is created (or imported) with one, and for good:
//!   the index is not the editable header, so a minute-taker retitling the series of a
//!   meeting cannot open it to another series' members.
//! - Meetings catalogued before this index existed join when an administrator first
//!   invites someone to their series.
//! - [`Auth::resolve`](super::Auth) expands a series grant into one grant per meeting of
//!   the series; a grant for one meeting overrides the series' (another role there).
//! - A series holds at most [`MAX_SERIES_MEETINGS`] meetings (ten years of weekly
//!   meetings, and then some): the expansion is bounded per request.

use serde::{Deserialize, Serialize};

use super::records::kind;
use super::{put, Auth, AuthError};
use crate::store::WriteOp;

/// The most meetings one series holds.
pub const MAX_SERIES_MEETINGS: usize = 1000;

/// The meetings of one series, in the order they joined.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeriesRecord {
    pub meetings: Vec<String>,
}

impl Auth {
    /// Adds `meeting` to `series` (nothing for an empty series name, or when it already
    /// belongs to one).
    pub async fn add_to_series(&self, series: &str, meeting: &str) -> Result<(), AuthError> {
        let series = series.trim();
        if series.is_empty() {
            return Ok(());
        }
        let _one_at_a_time = self.series_lock.lock().await;
        if self.series_of(meeting)?.is_some() {
            return Ok(());
        }
        let mut record = self.series_record(series)?;
        if record.meetings.len() >= MAX_SERIES_MEETINGS {
            return Err(AuthError::BadRequest(format!(
                "the series {series:?} already has {MAX_SERIES_MEETINGS} meetings"
            )));
        }
        record.meetings.push(meeting.to_owned());
        self.store
            .write(WriteOp::Records(vec![
                put(kind::SERIES, series.to_owned(), &record),
                put(kind::MEETING_SERIES, meeting.to_owned(), &series),
            ]))
            .await?;
        tracing::info!(series, meeting, "meeting joined its series");
        Ok(())
    }

    /// The series `meeting` belongs to, if any.
    pub fn series_of(&self, meeting: &str) -> Result<Option<String>, AuthError> {
        self.get(kind::MEETING_SERIES, meeting)
    }

    /// The meetings of `series`.
    pub fn series_meetings(&self, series: &str) -> Result<Vec<String>, AuthError> {
        Ok(self.series_record(series)?.meetings)
    }

    fn series_record(&self, series: &str) -> Result<SeriesRecord, AuthError> {
        Ok(self.get(kind::SERIES, series)?.unwrap_or_default())
    }
}
