//! The redb tables: every key and value layout of the database, in one place.

use redb::TableDefinition;

/// Update log: (document, sequence number) → one v1 update.
pub(super) const UPDATES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("updates");
/// Snapshot: document → (last sequence number it covers, merged v1 update).
pub(super) const SNAPSHOTS: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("snapshots");
/// Meeting catalog: document → its [`CatalogEntry`] as JSON.
pub(super) const MEETINGS: TableDefinition<&str, &str> = TableDefinition::new("meetings");
/// Action reference counters: (series key, two-digit year) → highest number given.
pub(super) const REFERENCES: TableDefinition<(&str, u8), u32> = TableDefinition::new("references");

/// Trust records (see [`crate::auth`]): kind → key → JSON. Kinds: `secret`, `admin`,
/// `invite`, `session`, `setup`.
pub(super) const RECORDS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("records");
/// Ledger of each meeting: document → [`Ledger`] as JSON (written only by the server).
pub(super) const LEDGERS: TableDefinition<&str, &[u8]> = TableDefinition::new("ledgers");
/// Signed versions: (document, version) → [`SignedVersion`] without its state, as JSON.
pub(super) const VERSIONS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("versions");
/// Signed versions' full document state: (document, version) → v1 update.
pub(super) const VERSION_STATES: TableDefinition<(&str, u32), &[u8]> =
    TableDefinition::new("version_states");
/// Owners of Yjs client ids: (document, client id) → who first wrote under it
/// (`crate::docs::actor::client_ids`), kept across reloads.
pub(super) const CLIENT_OWNERS: TableDefinition<(&str, u64), &str> =
    TableDefinition::new("client_owners");
/// Audit log: (document or "", sequence) → [`AuditEntry`] as JSON.
pub(super) const AUDIT: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("audit");
/// The audit log in the order it was written: sequence (one counter for the whole
/// server) → the key's document or "" in [`AUDIT`]. The whole log's pages, newest first,
/// and its last sequence are then read without visiting every entry. Written with each
/// entry; filled from [`AUDIT`] when a store written before it is opened.
pub(super) const AUDIT_ORDER: TableDefinition<u64, &str> = TableDefinition::new("audit_order");
