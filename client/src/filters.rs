//! The actions panel's filters (owner, status) as pure data, parsed from the filter
//! `<select>` values of `client/DOM.md` (`""` = no filter).

use minutebook_shared::meeting::{ActionStatus, ActionView, PersonId};

/// Which actions the panel shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionFilter {
    /// Only actions this person owns.
    pub owner: Option<PersonId>,
    /// Only actions with this status.
    pub status: Option<ActionStatus>,
}

impl ActionFilter {
    /// From the values of `select#filter-owner` and `select#filter-status`. An unknown
    /// status value filters nothing out.
    pub fn from_values(owner: &str, status: &str) -> Self {
        ActionFilter {
            owner: (!owner.is_empty()).then(|| PersonId::from(owner)),
            status: ActionStatus::parse(status),
        }
    }

    /// Whether `action` passes.
    pub fn matches(&self, action: &ActionView) -> bool {
        self.owner
            .as_ref()
            .is_none_or(|o| action.owners.contains(o))
            && self.status.is_none_or(|s| action.fields.status == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::meeting::{ActionFields, ActionId};

    fn action(id: &str, owners: &[&str], status: ActionStatus) -> ActionView {
        ActionView {
            id: ActionId::from(id),
            fields: ActionFields {
                status,
                ..ActionFields::default()
            },
            owners: owners.iter().map(|o| PersonId::from(*o)).collect(),
            item: None,
            block: None,
        }
    }

    #[test]
    fn filters_by_owner_and_status() {
        let all = [
            action("a", &["p1"], ActionStatus::Open),
            action("b", &["p1", "p2"], ActionStatus::Done),
            action("c", &[], ActionStatus::Dropped),
        ];
        let ids = |f: &ActionFilter| -> Vec<&str> {
            all.iter()
                .filter(|a| f.matches(a))
                .map(|a| a.id.as_str())
                .collect()
        };
        assert_eq!(ids(&ActionFilter::from_values("", "")), ["a", "b", "c"]);
        assert_eq!(ids(&ActionFilter::from_values("p1", "")), ["a", "b"]);
        assert_eq!(ids(&ActionFilter::from_values("p2", "")), ["b"]);
        assert_eq!(ids(&ActionFilter::from_values("", "open")), ["a"]);
        assert_eq!(ids(&ActionFilter::from_values("p1", "done")), ["b"]);
        assert_eq!(
            ids(&ActionFilter::from_values("p2", "open")),
            Vec::<&str>::new()
        );
        assert_eq!(
            ids(&ActionFilter::from_values("", "bogus")),
            ["a", "b", "c"]
        );
    }
}
