//! The open-file limit: raised at start from the soft to the hard limit (every
//! connection holds a file descriptor), and the global connection cap fitted under it so
//! that the server answers `503` rather than failing to accept ("Too many open files").

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Descriptors kept out of the connection cap: the database, standard streams, the
/// runtime's own, and the sockets of refusals being answered
/// ([`super::accept::MAX_REFUSALS`]).
pub const RESERVED: u64 = 64 + super::accept::MAX_REFUSALS as u64;

/// Raises the soft open-file limit to the hard limit; returns the soft limit in effect
/// (`None`: unlimited or unknown).
pub fn raise() -> Option<u64> {
    let before = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: before.maximum,
        maximum: before.maximum,
    };
    let now = match setrlimit(Resource::Nofile, raised) {
        Ok(()) => getrlimit(Resource::Nofile),
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            before
        }
    };
    tracing::info!(
        soft_before = ?before.current,
        soft = ?now.current,
        hard = ?now.maximum,
        "open-file limit (None = unlimited)"
    );
    now.current
}

/// The connection cap that fits under the soft open-file limit `soft`.
pub fn fit(max_connections: usize, soft: Option<u64>) -> usize {
    let Some(soft) = soft else {
        return max_connections;
    };
    let room = usize::try_from(soft.saturating_sub(RESERVED).max(16)).unwrap_or(usize::MAX);
    if room < max_connections {
        tracing::warn!(
            max_connections,
            lowered_to = room,
            open_file_limit = soft,
            "the connection cap does not fit the open-file limit; lowered it"
        );
        room
    } else {
        max_connections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_under_the_limit() {
        assert_eq!(fit(8192, None), 8192);
        assert_eq!(fit(8192, Some(1_048_576)), 8192);
        assert_eq!(fit(8192, Some(1024)), 1024 - RESERVED as usize);
        assert_eq!(fit(8192, Some(10)), 16);
    }

    #[test]
    fn raising_leaves_soft_equal_to_hard() {
        raise();
        let now = getrlimit(Resource::Nofile);
        assert_eq!(now.current, now.maximum);
    }
}
