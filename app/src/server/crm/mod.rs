//! CRM sync, server side: the HubSpot client, the outbox worker, and sealing the tokens
//! admins paste (encrypted at rest with a key derived from the deployment secret).
pub mod hubspot;
pub mod hubspot_oauth;
pub mod replies;
pub mod salesforce;
pub mod salesforce_jwt;
pub mod salesforce_sync;
pub mod session;
pub mod sync;
pub mod webhook;

use crate::server::repo::crm::Connection;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The sealing key: HMAC of a fixed label under the deployment secret, so it is never the
/// secret itself and rotating the secret makes old ciphertexts unreadable (reconnect).
fn sealing_key(secret_key: &[u8]) -> chacha20poly1305::Key {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret_key).expect("HMAC accepts any key length");
    mac.update(b"partner-portal crm-connection-secret v1");
    let bytes = mac.finalize().into_bytes();
    *chacha20poly1305::Key::from_slice(&bytes)
}

/// Encrypts a CRM secret, bound to its CRM (`context`) so a sealed value cannot be moved to
/// another connection kind. The result is `v1.` + base64(nonce ‖ ciphertext).
pub fn seal(secret_key: &[u8], context: &str, plaintext: &str) -> String {
    let cipher = XChaCha20Poly1305::new(&sealing_key(secret_key));
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: context.as_bytes(),
            },
        )
        .expect("encryption of a bounded secret cannot fail");
    let mut out = nonce.to_vec();
    out.extend(sealed);
    format!(
        "v1.{}",
        base64::engine::general_purpose::STANDARD.encode(out)
    )
}

/// Decrypts a sealed secret; `None` if it was not sealed with this key and context.
pub fn unseal(secret_key: &[u8], context: &str, sealed: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed.strip_prefix("v1.")?)
        .ok()?;
    if bytes.len() < 24 + 16 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    let cipher = XChaCha20Poly1305::new(&sealing_key(secret_key));
    let plain = cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: context.as_bytes(),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

/// One form POST to an OAuth token endpoint (parameters in the body; the CRM clients follow
/// no redirects): its status (`None`: no answer) and its JSON body (`Null` when there is
/// none, it is not JSON, or it is longer than `limit`).
pub(crate) async fn post_token_form(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    limit: usize,
) -> (Option<u16>, serde_json::Value) {
    let Ok(response) = http.post(url).form(form).send().await else {
        return (None, serde_json::Value::Null);
    };
    let status = response.status().as_u16();
    let body = hubspot::read_bounded(response, limit)
        .await
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(serde_json::Value::Null);
    (Some(status), body)
}

/// A connection's token.
pub fn open_secret(secret_key: &[u8], connection: &Connection) -> Option<String> {
    unseal(
        secret_key,
        connection.kind.as_str(),
        &connection.secret_sealed,
    )
}

/// The part of a token shown after saving: its last four characters.
pub fn secret_hint(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let sealed = seal(b"deployment secret", "hubspot", "pat-na1-1234");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("pat-na1"));
        assert_eq!(
            unseal(b"deployment secret", "hubspot", &sealed).as_deref(),
            Some("pat-na1-1234")
        );
        assert_eq!(unseal(b"another secret", "hubspot", &sealed), None);
        assert_eq!(unseal(b"deployment secret", "salesforce", &sealed), None);
        assert_eq!(unseal(b"deployment secret", "hubspot", "v1.AAAA"), None);
        assert_eq!(unseal(b"deployment secret", "hubspot", "garbage"), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(unseal(b"deployment secret", "hubspot", &tampered), None);
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        assert_ne!(seal(b"k", "hubspot", "same"), seal(b"k", "hubspot", "same"));
    }

    #[test]
    fn the_hint_is_the_last_four_characters() {
        assert_eq!(secret_hint("pat-na1-abcd1234"), "…1234");
        assert_eq!(secret_hint("ab"), "…ab");
    }
}
