//! Tokens and password hashes.
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// A fresh 256-bit random token, hex encoded, for cookies and links.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A public code for a certificate's verification page: 16 characters of Crockford base32
/// (80 bits), without letters that read like digits, so it can be typed from a printout.
pub fn new_verify_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect()
}

/// Whether a presented secret equals the configured one, in time that does not depend on
/// where they differ: both are reduced to SHA-256 digests, compared with HMAC's
/// constant-time check.
pub fn same_secret(presented: &str, configured: &str) -> bool {
    use sha2::Digest;
    let expected = Sha256::digest(configured.as_bytes());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"same-secret").expect("any key length");
    mac.update(&Sha256::digest(presented.as_bytes()));
    let presented_tag = mac.finalize().into_bytes();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"same-secret").expect("any key length");
    mac.update(&expected);
    mac.verify_slice(&presented_tag).is_ok()
}

/// The key in a notification's reply address, derived from its Message-ID so the sender
/// never stores it: a copied database (which holds only its hash) cannot reply as anyone.
pub fn reply_key(secret: &[u8], message_id: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(b"reply-key\0");
    mac.update(message_id.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut bytes = [0u8; crate::domain::replies::KEY_BYTES];
    bytes.copy_from_slice(&digest[..crate::domain::replies::KEY_BYTES]);
    crate::domain::replies::encode_key(&bytes)
}

/// PKCE's `S256` challenge of a verifier (RFC 7636 §4.2): base64url(SHA-256), unpadded.
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The form in which a token is stored: keyed with the deployment secret.
pub fn token_hash(secret: &[u8], token: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
}

/// Verifies a password. Unknown users are checked against a fixed hash so that the time
/// taken does not reveal whether an account exists.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy =
        DECOY.get_or_init(|| hash_password("decoy password for timing").unwrap_or_default());
    let (hash, real) = match stored {
        Some(hash) => (hash, true),
        None => (decoy.as_str(), false),
    };
    let matches = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    matches && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_matches_rfc_7636s_example() {
        // RFC 7636 Appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn tokens_are_unique_and_long() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
    }

    #[test]
    fn token_hash_depends_on_secret_and_token() {
        let h = token_hash(b"k1", "t");
        assert_eq!(h, token_hash(b"k1", "t"));
        assert_ne!(h, token_hash(b"k2", "t"));
        assert_ne!(h, token_hash(b"k1", "u"));
        assert_ne!(h, "t");
    }

    #[test]
    fn passwords_verify_only_with_the_right_secret() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&hash)));
        assert!(!verify_password("wrong horse", Some(&hash)));
        assert!(!verify_password("correct horse", None));
        assert!(!verify_password("x", Some("not a hash")));
    }
}
