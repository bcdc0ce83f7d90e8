//! The demo meeting: `serve --demo` on an empty store imports the published minutes in
//! `shared/fixtures/assurance-meeting-2022-01.txt` as meeting [`DEMO_NAME`], so a newcomer
//! sees real minutes at once. A store holding any document is left alone.

use crate::docs::registry::Registry;
use crate::meetings::{self, Created, ImportFormat, MeetingError};

/// Name of the demo meeting.
pub const DEMO_NAME: &str = "assurance-2022-01";

/// The demo minutes (legacy text format).
pub const DEMO_MINUTES: &str = include_str!("../../shared/fixtures/assurance-meeting-2022-01.txt");

/// Imports the demo meeting if the store holds no document at all; returns it (its name
/// and series) if it did.
pub async fn load_if_empty(registry: &Registry) -> Result<Option<Created>, MeetingError> {
    if !meetings::store_is_empty(registry).await? {
        tracing::debug!("store not empty; no demo meeting");
        return Ok(None);
    }
    let made = meetings::import(
        registry,
        DEMO_MINUTES,
        ImportFormat::Legacy,
        Some(DEMO_NAME),
    )
    .await?;
    tracing::info!(doc = %made.name, "empty store: loaded the demo meeting");
    Ok(Some(made))
}
