//! The storage boundary: [`Engine`] is everything the document actors, the HTTP API and
//! the command line need from a storage engine. [`super::Store`] is built on it and adds
//! what every engine shares — the group-commit writer thread, audit numbering — so an
//! engine only commits batches and answers reads.
//!
//! redb ([`super::redb_engine`]) is the embedded default and the only engine for now; a
//! shared-log engine for several nodes is planned. No engine type appears in this trait.

use super::catalog::CatalogEntry;
use super::ops::{Completion, SignedVersion, WriteOp};
use super::{StoreError, StoredDoc};
use minutebook_shared::trust::{AuditEntry, Ledger};

/// A storage engine. Every method blocks: the store calls them from its writer thread or
/// from `spawn_blocking` (point reads are fine on async threads).
pub trait Engine: Send + Sync + 'static {
    /// Commits `ops` as one durable group commit and answers each: one [`Completion`] per
    /// operation, in order, reported only once durable. An operation that fails fails
    /// alone; only a failure of the commit itself (the disk) fails every operation.
    /// After a disk failure the engine recovers (reopens) before its next use.
    fn commit(&self, ops: &[&WriteOp]) -> Vec<Completion>;

    /// A document's snapshot, log and catalog entry.
    fn load(&self, doc: &str) -> Result<StoredDoc, StoreError>;
    /// Whether anything is stored under `doc`.
    fn exists(&self, doc: &str) -> Result<bool, StoreError>;
    /// Names of every stored document, in order.
    fn list_docs(&self) -> Result<Vec<String>, StoreError>;
    /// Every meeting in the catalog, as (document, entry), in document-name order.
    fn meetings(&self) -> Result<Vec<(String, CatalogEntry)>, StoreError>;
    /// The highest action reference given in (`series`, `year`), 0 if none.
    fn reference_counter(&self, series: &str, year: u8) -> Result<u32, StoreError>;
    /// A trust record's JSON.
    fn record(&self, kind: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Whether a trust record is stored (without reading it).
    fn has_record(&self, kind: &str, key: &str) -> Result<bool, StoreError>;
    /// Every trust record of `kind`, as (key, JSON), in key order.
    fn records(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// A meeting's ledger, if one is stored.
    fn ledger(&self, doc: &str) -> Result<Option<Ledger>, StoreError>;
    /// A signed version with its state.
    fn version(&self, doc: &str, version: u32) -> Result<Option<SignedVersion>, StoreError>;
    /// A meeting's audit entries in order, or every entry (by sequence) for `None`.
    fn audit(&self, doc: Option<&str>) -> Result<Vec<AuditEntry>, StoreError>;
    /// The newest `limit` entries of [`Engine::audit`] numbered below `before`, in order,
    /// and whether older ones exist.
    fn audit_page(
        &self,
        doc: Option<&str>,
        before: u64,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, bool), StoreError>;
    /// The highest audit sequence number stored (0 when none).
    fn last_audit_seq(&self) -> Result<u64, StoreError>;
}
