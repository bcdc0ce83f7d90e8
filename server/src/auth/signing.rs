//! The server's signing keys: Ed25519 keys (`ed25519-dalek`) that sign each signed
//! version's [`Statement`], so that anyone holding the published public key can check an
//! export offline, with no server and no store (`minutebook verify --key`).
//!
//! - The first key is generated at first start and kept in the store (records of kind
//!   [`kind::SIGNING_KEY`]). Its private half never leaves the store: the API publishes
//!   public halves only ([`Signer::public_keys`], `GET /api/signing-keys`).
//! - Rotating ([`Signer::rotate`], `minutebook keys rotate`) retires the current key and
//!   makes a new one current; creating and rotating are in the global audit log. Retired keys stay published, so every version they signed
//!   stays verifiable.
//! - A version's signature is its own record ([`kind::VERSION_SIGNATURE`]), written right
//!   after sign-off and, for versions signed before (or by a server that stopped between
//!   the two writes), at start ([`Signer::sign_missing`]): the frozen version files are
//!   never rewritten.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use minutebook_shared::api::PublicSigningKey;
use minutebook_shared::signoff::signature::{self, Carried, Statement};
use minutebook_shared::trust::{sha256_hex, Approval};
use serde::{Deserialize, Serialize};

use super::records::kind;
use super::token;
use crate::store::{audit, Record, Store, StoreError, WriteOp};

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no random bytes for a new signing key")]
    Random,
    #[error("the stored signing key {0} is unreadable")]
    BadKey(String),
}

/// A stored key pair.
#[derive(Clone, Serialize, Deserialize)]
struct KeyRecord {
    /// The 32-byte private seed, base64.
    secret: String,
    /// Unix milliseconds.
    created_at: u64,
    #[serde(default)]
    retired_at: Option<u64>,
}

impl KeyRecord {
    fn signing_key(&self, id: &str) -> Result<SigningKey, SigningError> {
        let seed: [u8; 32] = STANDARD
            .decode(&self.secret)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| SigningError::BadKey(id.to_owned()))?;
        Ok(SigningKey::from_bytes(&seed))
    }
}

/// The signing service. Cheap to clone.
#[derive(Clone)]
pub struct Signer {
    store: Store,
    /// Serialises key changes (first start, rotation).
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Signer {
    /// The signer over `store`, as it is (the command line's export and key commands).
    pub fn new(store: Store) -> Signer {
        Signer {
            store,
            lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The signer over `store`, with a current key (generated on first start).
    pub async fn open(store: Store) -> Result<Signer, SigningError> {
        let signer = Signer::new(store);
        let _guard = signer.lock.lock().await;
        if signer.current()?.is_none() {
            let key = signer.create(&[]).await?;
            tracing::info!(key = %key.id, "generated the signing key");
        }
        drop(_guard);
        Ok(signer)
    }

    /// The current key: the newest one not retired.
    fn current(&self) -> Result<Option<(String, SigningKey)>, SigningError> {
        let newest = self
            .keys()?
            .into_iter()
            .filter(|(_, k)| k.retired_at.is_none())
            .max_by_key(|(_, k)| k.created_at);
        newest
            .map(|(id, k)| Ok((id.clone(), k.signing_key(&id)?)))
            .transpose()
    }

    fn keys(&self) -> Result<Vec<(String, KeyRecord)>, SigningError> {
        Ok(self
            .store
            .records(kind::SIGNING_KEY)?
            .into_iter()
            .filter_map(|(id, json)| Some((id, serde_json::from_slice(&json).ok()?)))
            .collect())
    }

    /// Writes a new current key, retiring `retire` in the same write.
    async fn create(
        &self,
        retire: &[(String, KeyRecord)],
    ) -> Result<PublicSigningKey, SigningError> {
        let seed = token::random_bytes().map_err(|_| SigningError::Random)?;
        let key = SigningKey::from_bytes(&seed);
        let public = key.verifying_key().to_bytes();
        let id = signature::key_id(&public);
        let now = minutebook_shared::time::now_ms();
        let record = KeyRecord {
            secret: STANDARD.encode(seed),
            created_at: now,
            retired_at: None,
        };
        let event = if retire.is_empty() {
            "signing key created"
        } else {
            "signing key rotated"
        };
        let detail = match retire.first() {
            Some((old, _)) => format!("key {id} replaces {old}"),
            None => format!("key {id}"),
        };
        let mut writes = vec![
            put(kind::SIGNING_KEY, &id, &record),
            Record::Audit(audit::entry(&self.store, "", "server", None, event, detail)),
        ];
        for (old_id, old) in retire {
            let retired = KeyRecord {
                retired_at: Some(now),
                ..old.clone()
            };
            writes.push(put(kind::SIGNING_KEY, old_id, &retired));
        }
        self.store.write(WriteOp::Records(writes)).await?;
        Ok(public_key(&id, &record, &public))
    }

    /// Retires the current key and makes a new one current; the new key's public half.
    pub async fn rotate(&self) -> Result<PublicSigningKey, SigningError> {
        let _guard = self.lock.lock().await;
        let live: Vec<(String, KeyRecord)> = self
            .keys()?
            .into_iter()
            .filter(|(_, k)| k.retired_at.is_none())
            .collect();
        self.create(&live).await
    }

    /// Every key's public half, current first, then newest first.
    pub fn public_keys(&self) -> Result<Vec<PublicSigningKey>, SigningError> {
        let mut out = Vec::new();
        for (id, k) in self.keys()? {
            let public = k.signing_key(&id)?.verifying_key().to_bytes();
            out.push(public_key(&id, &k, &public));
        }
        out.sort_by_key(|k| (k.retired_at.is_some(), std::cmp::Reverse(k.created_at)));
        Ok(out)
    }

    /// Signs `statement` with the current key.
    pub fn sign(&self, statement: &Statement) -> Result<Carried, SigningError> {
        let (key_id, signature) = self.sign_bytes(&statement.bytes())?;
        Ok(Carried {
            key_id,
            html_sha256: statement.html_sha256.clone(),
            signature,
        })
    }

    /// Signs `bytes` with the current key: its id and the base64 signature.
    fn sign_bytes(&self, bytes: &[u8]) -> Result<(String, String), SigningError> {
        let (key_id, key) = self
            .current()?
            .ok_or_else(|| SigningError::BadKey("(none current)".into()))?;
        Ok((key_id, STANDARD.encode(key.sign(bytes).to_bytes())))
    }

    /// Signs `statement` now with the current key (an output's claim: it is signed as it
    /// is downloaded, so nothing is stored).
    pub fn sign_now(&self, statement: &[u8]) -> Result<Carried, SigningError> {
        let (key_id, signature) = self.sign_bytes(statement)?;
        Ok(Carried {
            key_id,
            html_sha256: None,
            signature,
        })
    }

    /// The stored signature of `approval` as it stands (`None` when it has none, or one
    /// over what it said before its amended version completed it).
    pub fn approval_signature(&self, approval: &Approval) -> Result<Option<Carried>, SigningError> {
        let statement = sha256_hex(&approval.statement());
        Ok(self
            .store
            .record(kind::APPROVAL_SIGNATURE, &approval.key())?
            .and_then(|json| serde_json::from_slice::<ApprovalSignature>(&json).ok())
            .filter(|s| s.statement_sha256 == statement)
            .map(|s| s.signature))
    }

    /// Signs and stores `approval` unless its statement is signed already; the signature.
    pub async fn sign_approval(&self, approval: &Approval) -> Result<Carried, SigningError> {
        if let Some(done) = self.approval_signature(approval)? {
            return Ok(done);
        }
        let bytes = approval.statement();
        let (key_id, signature) = self.sign_bytes(&bytes)?;
        let carried = Carried {
            key_id,
            html_sha256: None,
            signature,
        };
        let record = ApprovalSignature {
            statement_sha256: sha256_hex(&bytes),
            signature: carried.clone(),
        };
        self.store
            .write(WriteOp::Records(vec![put(
                kind::APPROVAL_SIGNATURE,
                &approval.key(),
                &record,
            )]))
            .await?;
        Ok(carried)
    }

    /// The stored signature of version `version` of `meeting`.
    pub fn signature_of(
        &self,
        meeting: &str,
        version: u32,
    ) -> Result<Option<Carried>, SigningError> {
        self.stored(kind::VERSION_SIGNATURE, meeting, version)
    }

    /// The stored signature of the public version of version `version` of `meeting` (its
    /// form-2 statement: the full version's facts, the public text's SHA-256 and the
    /// commitment root).
    pub fn public_signature_of(
        &self,
        meeting: &str,
        version: u32,
    ) -> Result<Option<Carried>, SigningError> {
        self.stored(kind::PUBLIC_SIGNATURE, meeting, version)
    }

    fn stored(
        &self,
        which: &'static str,
        meeting: &str,
        version: u32,
    ) -> Result<Option<Carried>, SigningError> {
        Ok(self
            .store
            .record(which, &signature_key(meeting, version))?
            .and_then(|json| serde_json::from_slice(&json).ok()))
    }

    /// Signs and stores `statement` for its version unless it already has a signature;
    /// the version's signature.
    pub async fn sign_version(&self, statement: &Statement) -> Result<Carried, SigningError> {
        self.sign_into(kind::VERSION_SIGNATURE, statement).await
    }

    /// Signs and stores a public version's `statement` unless it is signed already.
    pub async fn sign_public(&self, statement: &Statement) -> Result<Carried, SigningError> {
        self.sign_into(kind::PUBLIC_SIGNATURE, statement).await
    }

    async fn sign_into(
        &self,
        which: &'static str,
        statement: &Statement,
    ) -> Result<Carried, SigningError> {
        let (meeting, version) = (&statement.facts.meeting, statement.facts.version);
        if let Some(done) = self.stored(which, meeting, version)? {
            return Ok(done);
        }
        let carried = self.sign(statement)?;
        self.store
            .write(WriteOp::Records(vec![put(
                which,
                &signature_key(meeting, version),
                &carried,
            )]))
            .await?;
        Ok(carried)
    }
}

/// An approval's stored signature, with the SHA-256 of the statement it signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ApprovalSignature {
    statement_sha256: String,
    signature: Carried,
}

/// The record key of a version's signature.
fn signature_key(meeting: &str, version: u32) -> String {
    format!("{meeting}/{version:010}")
}

fn put(kind: &'static str, key: &str, value: &impl Serialize) -> Record {
    Record::Put {
        kind,
        key: key.to_owned(),
        json: serde_json::to_vec(value).unwrap_or_default(),
    }
}

fn public_key(id: &str, k: &KeyRecord, public: &[u8; 32]) -> PublicSigningKey {
    PublicSigningKey {
        id: id.to_owned(),
        algorithm: signature::ALGORITHM.to_owned(),
        public_key: STANDARD.encode(public),
        created_at: k.created_at,
        retired_at: k.retired_at,
    }
}

/// Why a carried signature does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    #[error("signed by key {0}, which is not among the keys given")]
    UnknownKey(String),
    #[error("the public key {0} is malformed")]
    MalformedKey(String),
    #[error("the signature is malformed")]
    Malformed,
    #[error("the signature does not match the file's facts and hashes (key {0})")]
    Invalid(String),
}

/// Checks `carried` over `statement` with the matching key of `keys`; that key.
pub fn verify<'k>(
    keys: &'k [PublicSigningKey],
    statement: &Statement,
    carried: &Carried,
) -> Result<&'k PublicSigningKey, BadSignature> {
    verify_bytes(keys, &statement.bytes(), carried)
}

/// Checks `carried` over the signed `bytes` (a version's or an approval's statement) with
/// the matching key of `keys`; that key.
pub fn verify_bytes<'k>(
    keys: &'k [PublicSigningKey],
    bytes: &[u8],
    carried: &Carried,
) -> Result<&'k PublicSigningKey, BadSignature> {
    let signed = bytes;
    let key = keys
        .iter()
        .find(|k| k.id.eq_ignore_ascii_case(&carried.key_id))
        .ok_or_else(|| BadSignature::UnknownKey(carried.key_id.clone()))?;
    let bytes: [u8; 32] = STANDARD
        .decode(&key.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| BadSignature::MalformedKey(key.id.clone()))?;
    // The id must be the key's own, so a key list cannot pass one key off as another.
    if signature::key_id(&bytes) != key.id.to_ascii_lowercase() {
        return Err(BadSignature::MalformedKey(key.id.clone()));
    }
    let verifying =
        VerifyingKey::from_bytes(&bytes).map_err(|_| BadSignature::MalformedKey(key.id.clone()))?;
    let sig: [u8; 64] = STANDARD
        .decode(&carried.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(BadSignature::Malformed)?;
    verifying
        .verify_strict(signed, &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| BadSignature::Invalid(key.id.clone()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::signoff::SignOff;

    fn key(seed: u8) -> (SigningKey, PublicSigningKey) {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let public = key.verifying_key().to_bytes();
        let record = KeyRecord {
            secret: STANDARD.encode([seed; 32]),
            created_at: 1,
            retired_at: None,
        };
        let id = signature::key_id(&public);
        (key, public_key(&id, &record, &public))
    }

    fn statement() -> Statement {
        Statement {
            facts: SignOff {
                meeting: "board-2026-11".into(),
                version: 1,
                signer: "Jane Chair".into(),
                signed_at: 1_795_000_000_123,
                sha256: "ab".repeat(32),
            },
            html_sha256: Some("cd".repeat(32)),
            public_sha256: None,
            commitment_root: None,
        }
    }

    fn carried(key: &SigningKey, public: &PublicSigningKey, s: &Statement) -> Carried {
        Carried {
            key_id: public.id.clone(),
            html_sha256: s.html_sha256.clone(),
            signature: STANDARD.encode(key.sign(&s.bytes()).to_bytes()),
        }
    }

    #[test]
    fn a_signature_verifies_with_its_key_over_its_statement_only() {
        let (k1, p1) = key(1);
        let (_, p2) = key(2);
        let s = statement();
        let c = carried(&k1, &p1, &s);
        let keys = [p2.clone(), p1.clone()];
        assert_eq!(
            verify(&keys, &s, &c).map(|k| k.id.clone()),
            Ok(p1.id.clone())
        );
        // Any changed fact or hash.
        let mut other = s.clone();
        other.facts.signer = "Someone Else".into();
        assert_eq!(
            verify(&keys, &other, &c),
            Err(BadSignature::Invalid(p1.id.clone()))
        );
        let mut other = s.clone();
        other.html_sha256 = None;
        assert!(verify(&keys, &other, &c).is_err());
        // A key list without the signing key, or one passing a key off under its id.
        assert_eq!(
            verify(std::slice::from_ref(&p2), &s, &c),
            Err(BadSignature::UnknownKey(p1.id.clone()))
        );
        let impostor = PublicSigningKey {
            id: p1.id.clone(),
            ..p2.clone()
        };
        assert_eq!(
            verify(&[impostor], &s, &c),
            Err(BadSignature::MalformedKey(p1.id.clone()))
        );
        // A malformed signature.
        let bad = Carried {
            signature: "AAAA".into(),
            ..c.clone()
        };
        assert_eq!(verify(&keys, &s, &bad), Err(BadSignature::Malformed));
    }
}
