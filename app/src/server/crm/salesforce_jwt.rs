//! Salesforce's JWT bearer flow: no shared secret on the wire. The portal signs a short-lived
//! assertion (RS256) with the private key whose certificate the admin uploaded to the
//! External Client App, naming the app (`iss`), the pre-authorised user it acts as (`sub`)
//! and the login host (`aud`); the org's token endpoint answers with a session, as for the
//! client credentials flow.
use crate::domain::salesforce::{MintFailure, MintedSession};
use base64::Engine;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How a connection says it uses this flow.
pub const AUTH_MODE: &str = "jwt_bearer";
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Salesforce accepts an assertion that expires within about three minutes.
const ASSERTION_LIFETIME_S: i64 = 150;

/// What a JWT bearer connection keeps sealed.
#[derive(Serialize, Deserialize)]
pub struct JwtCredentials {
    pub private_key_pem: String,
    pub username: String,
    pub audience: String,
}

/// Why a pasted key cannot sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    NotPem,
    Encrypted,
    NotRsa,
}

impl KeyProblem {
    pub fn message(self) -> &'static str {
        match self {
            KeyProblem::NotPem => "This is not a PEM private key: paste it from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.",
            KeyProblem::Encrypted => "This key is protected by a passphrase: export it without one (openssl pkey -in key.pem -out plain.pem).",
            KeyProblem::NotRsa => "This is not an RSA private key of 2048 to 4096 bits, which Salesforce's certificates use.",
        }
    }
}

/// The RSA key of a PEM block: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
pub fn signing_key(pem: &str) -> Result<RsaKeyPair, KeyProblem> {
    let pem = pem.trim();
    let label = pem
        .lines()
        .next()
        .and_then(|line| line.trim().strip_prefix("-----BEGIN "))
        .and_then(|rest| rest.strip_suffix("-----"))
        .ok_or(KeyProblem::NotPem)?
        .to_string();
    if label.contains("ENCRYPTED") {
        return Err(KeyProblem::Encrypted);
    }
    let body: String = pem
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("-----END"))
        .filter(|line| !line.starts_with("-----BEGIN") && !line.contains(':'))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| KeyProblem::NotPem)?;
    match label.as_str() {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der).map_err(|_| KeyProblem::NotRsa),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der).map_err(|_| KeyProblem::NotRsa),
        _ => Err(KeyProblem::NotRsa),
    }
}

fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A signed assertion valid for a little over two minutes from `now_ms`.
pub fn assertion(
    key: &RsaKeyPair,
    client_id: &str,
    username: &str,
    audience: &str,
    now_ms: i64,
) -> String {
    let header = base64url(br#"{"alg":"RS256"}"#);
    let claims = json!({
        "iss": client_id,
        "sub": username,
        "aud": audience,
        "exp": now_ms / 1000 + ASSERTION_LIFETIME_S,
    });
    let claims = base64url(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{claims}");
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .expect("an RSA key of a supported size signs");
    format!("{signing_input}.{}", base64url(&signature))
}

/// Asks the org's token endpoint for a session with a fresh assertion.
pub async fn mint(
    http: &reqwest::Client,
    domain: &str,
    client_id: &str,
    credentials: &JwtCredentials,
    now_ms: i64,
    loopback_http: bool,
) -> Result<MintedSession, MintFailure> {
    let key = signing_key(&credentials.private_key_pem)
        .map_err(|problem| MintFailure::Refused(problem.message().to_string()))?;
    let assertion = assertion(
        &key,
        client_id,
        &credentials.username,
        &credentials.audience,
        now_ms,
    );
    super::salesforce::request_session(
        http,
        domain,
        &[("grant_type", GRANT_TYPE), ("assertion", &assertion)],
        loopback_http,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_key_must_be_an_unencrypted_rsa_pem() {
        assert_eq!(signing_key("").err(), Some(KeyProblem::NotPem));
        assert_eq!(
            signing_key("MIIEvQIBADANBg").err(),
            Some(KeyProblem::NotPem)
        );
        assert_eq!(
            signing_key(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----"
            )
            .err(),
            Some(KeyProblem::Encrypted)
        );
        assert_eq!(
            signing_key("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----").err(),
            Some(KeyProblem::NotPem)
        );
        assert_eq!(
            signing_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").err(),
            Some(KeyProblem::NotRsa)
        );
        assert_eq!(
            signing_key("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----").err(),
            Some(KeyProblem::NotRsa)
        );
    }
}
