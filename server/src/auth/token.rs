//! Secrets on the wire: random bearer tokens, their stored SHA-256, and signed invitation
//! tokens (`claims.mac`, HMAC-SHA256 under the server secret).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Bytes of randomness in a bearer token or secret.
pub const TOKEN_BYTES: usize = 32;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is malformed")]
    Malformed,
    #[error("the link's signature is not valid")]
    Forged,
}

/// What an invitation link claims; trusted only once its signature checks out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteClaims {
    /// Invitation id.
    pub i: u64,
    /// Meeting name.
    pub m: String,
    /// Generation (bumped on re-issue; older links stop working).
    pub g: u32,
    /// Expiry, unix milliseconds.
    pub e: u64,
    /// Random nonce, so two links never collide.
    pub n: String,
}

/// Fresh random bytes from the operating system.
pub fn random_bytes() -> Result<[u8; TOKEN_BYTES], getrandom::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// A fresh random token (URL-safe base64).
pub fn random_token() -> Result<String, getrandom::Error> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes()?))
}

/// What the store keeps of a token: its SHA-256 in hex.
pub fn hash(token: &str) -> String {
    minutebook_shared::trust::sha256_hex(token.as_bytes())
}

/// Signs invitation claims: `base64(json).base64(hmac)`.
pub fn sign(secret: &[u8], claims: &InviteClaims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let mac = mac(secret, payload.as_bytes());
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(mac))
}

/// Checks an invitation token's signature (constant time) and reads its claims.
pub fn verify(secret: &[u8], token: &str) -> Result<InviteClaims, TokenError> {
    let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let mut check = new_mac(secret);
    check.update(payload.as_bytes());
    check
        .verify_slice(&signature)
        .map_err(|_| TokenError::Forged)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)
}

fn new_mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

fn mac(secret: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = new_mac(secret);
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> InviteClaims {
        InviteClaims {
            i: 7,
            m: "board-2026-11".into(),
            g: 1,
            e: 1_900_000_000_000,
            n: "x".into(),
        }
    }

    #[test]
    fn signed_tokens_verify_and_tampering_fails() {
        let secret = [7u8; 32];
        let token = sign(&secret, &claims());
        assert_eq!(verify(&secret, &token), Ok(claims()));
        assert_eq!(verify(&[8u8; 32], &token), Err(TokenError::Forged));
        let (payload, mac) = token.split_once('.').unwrap();
        let mut other = claims();
        other.m = "another-meeting".into();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap());
        assert_eq!(
            verify(&secret, &format!("{forged_payload}.{mac}")),
            Err(TokenError::Forged)
        );
        assert_eq!(verify(&secret, payload), Err(TokenError::Malformed));
        assert_eq!(verify(&secret, "a.!!"), Err(TokenError::Malformed));
    }

    #[test]
    fn random_tokens_differ_and_hashes_are_hex() {
        let a = random_token().unwrap();
        assert_ne!(a, random_token().unwrap());
        assert_eq!(hash(&a).len(), 64);
    }
}
