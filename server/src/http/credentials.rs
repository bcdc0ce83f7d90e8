//! The credentials a request presents — `Authorization: Bearer …` or the session cookie
//! — and the cookie the server sets. [`crate::auth`] knows sessions, not HTTP.

use axum::http::{header, HeaderMap};

use crate::auth::{Auth, AuthError, Caller, COOKIE, SESSION_MS};

/// Resolves the request's credentials (anonymous without any).
pub fn caller(auth: &Auth, headers: &HeaderMap) -> Result<Caller, AuthError> {
    match presented_token(headers) {
        Some(token) => auth.caller_for_token(&token),
        None => Ok(Caller::default()),
    }
}

/// The session token presented with a request: `Authorization: Bearer …`, else the cookie.
pub fn presented_token(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(token) = value.strip_prefix("Bearer ") {
            return Some(token.trim().to_string());
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// `Set-Cookie` value for a session token.
pub fn session_cookie(token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age={}",
        SESSION_MS / 1000
    )
}

/// `Set-Cookie` value that clears the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0")
}
