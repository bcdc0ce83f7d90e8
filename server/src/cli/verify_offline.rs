//! `minutebook verify --key KEYS FILE`: an exported signed version checked offline, with
//! no server and no store: the file must be consistent with the hashes its signature
//! covers (the canonical Markdown's, or the frozen HTML page's), and the signature must
//! be a published key's over the file's own facts and hashes.
//!
//! KEYS is what the server publishes (`GET /api/signing-keys`, or `minutebook keys
//! list`): `{"keys": [...]}`, a bare list, one key, or a single base64 public key.

use std::path::Path;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use minutebook_shared::api::{PublicSigningKey, SigningKeys};
use minutebook_shared::signoff::signature;

pub use minutebook_server::auth::signed_file::{check, Offline};

/// Largest key file read.
const MAX_KEYS_BYTES: u64 = 1 << 20;

/// Reads the published keys at `path`.
pub fn read_keys(path: &Path) -> anyhow::Result<Vec<PublicSigningKey>> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {shown}"))?
        .len();
    if size > MAX_KEYS_BYTES {
        bail!("{shown} is {size} bytes, too large for a key list");
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {shown}"))?;
    let text = text.trim();
    if let Ok(list) = serde_json::from_str::<SigningKeys>(text) {
        return Ok(list.keys);
    }
    if let Ok(list) = serde_json::from_str::<Vec<PublicSigningKey>>(text) {
        return Ok(list);
    }
    if let Ok(key) = serde_json::from_str::<PublicSigningKey>(text) {
        return Ok(vec![key]);
    }
    match STANDARD.decode(text) {
        Ok(bytes) if bytes.len() == 32 => Ok(vec![PublicSigningKey {
            id: signature::key_id(&bytes),
            algorithm: signature::ALGORITHM.to_owned(),
            public_key: text.to_owned(),
            created_at: 0,
            retired_at: None,
        }]),
        _ => bail!(
            "{shown} holds no signing keys: expected the JSON of GET /api/signing-keys (or \
             `minutebook keys list`), or one base64 Ed25519 public key"
        ),
    }
}
