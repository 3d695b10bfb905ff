//! Open Badges 3.0 credentials: an `OpenBadgeCredential` (a W3C Verifiable Credential) for a
//! certificate, secured with a Data Integrity proof using the `eddsa-jcs-2022` cryptosuite
//! (JSON Canonicalization Scheme, SHA-256, Ed25519). The deployment's key is derived from its
//! secret key, so every stateless instance signs with the same key, and it is published as
//! a `did:key` inside each proof.
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
];
/// The multicodec prefix of an Ed25519 public key.
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// The deployment's signing key, derived from its secret key.
pub fn deployment_key(secret_key: &[u8]) -> SigningKey {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key).expect("HMAC takes any key length");
    mac.update(b"partner-portal open-badges ed25519 v1");
    let seed: [u8; 32] = mac.finalize().into_bytes().into();
    SigningKey::from_bytes(&seed)
}

/// The `did:key` of a public key, and its verification method id.
pub fn did_key(key: &VerifyingKey) -> (String, String) {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    let multibase = format!("z{}", bs58::encode(bytes).into_string());
    let did = format!("did:key:{multibase}");
    let method = format!("{did}#{multibase}");
    (did, method)
}

/// What a credential says.
pub struct BadgeFacts<'a> {
    /// The credential's own URL (its verification page).
    pub credential_url: &'a str,
    pub issuer_url: &'a str,
    pub issuer_name: &'a str,
    pub achievement_url: &'a str,
    pub achievement_name: &'a str,
    pub achievement_description: &'a str,
    pub criteria: &'a str,
    pub holder_name: &'a str,
    /// The holder's email, stored only as a salted SHA-256 hash.
    pub holder_email: &'a str,
    pub salt: &'a str,
    pub valid_from: i64,
    pub valid_until: i64,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The unsigned credential.
pub fn credential(facts: &BadgeFacts<'_>) -> Value {
    let identity_hash = format!(
        "sha256${}",
        hex::encode(Sha256::digest(
            format!("{}{}", facts.holder_email.to_lowercase(), facts.salt).as_bytes()
        ))
    );
    json!({
        "@context": CONTEXTS,
        "id": facts.credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.achievement_name,
        "issuer": {
            "id": facts.issuer_url,
            "type": ["Profile"],
            "name": facts.issuer_name,
        },
        "validFrom": rfc3339(facts.valid_from),
        "validUntil": rfc3339(facts.valid_until),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": facts.holder_name,
            "identifier": [{
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": true,
                "identityHash": identity_hash,
                "salt": facts.salt,
            }],
            "achievement": {
                "id": facts.achievement_url,
                "type": ["Achievement"],
                "name": facts.achievement_name,
                "description": facts.achievement_description,
                "criteria": { "narrative": facts.criteria },
            },
        },
    })
}

/// JSON Canonicalization Scheme (RFC 8785) for the values credentials hold: keys sorted by
/// UTF-16 code units, no whitespace, strings escaped as ECMAScript does.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        // Strings, booleans, null and integers print the same in serde_json and JCS.
        other => out.push_str(&other.to_string()),
    }
}

fn hash_data(document: &Value, proof_config: &Value) -> Vec<u8> {
    let mut data = Sha256::digest(canonical(proof_config).as_bytes()).to_vec();
    data.extend_from_slice(&Sha256::digest(canonical(document).as_bytes()));
    data
}

/// Adds a `DataIntegrityProof` (eddsa-jcs-2022) made with `key` at `created`.
pub fn sign(mut document: Value, key: &SigningKey, created: i64) -> Value {
    let (_, method) = did_key(&key.verifying_key());
    let mut proof = json!({
        "@context": CONTEXTS,
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": rfc3339(created),
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    });
    let signature = key.sign(&hash_data(&document, &proof));
    proof["proofValue"] = Value::String(format!(
        "z{}",
        bs58::encode(signature.to_bytes()).into_string()
    ));
    if let Value::Object(map) = &mut document {
        map.insert("proof".into(), proof);
    }
    document
}

/// Why a credential does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadgeError {
    #[error("This is not a JSON credential.")]
    NotJson,
    #[error("The credential has no Ed25519 (eddsa-jcs-2022) proof.")]
    NoProof,
    #[error("The proof's key is not a valid Ed25519 did:key.")]
    BadKey,
    #[error("The signature does not match the credential: it was changed after signing.")]
    BadSignature,
    #[error("The credential was signed by another key, not by this portal.")]
    ForeignKey,
}

/// Checks a credential's proof and returns the key that signed it.
pub fn verify(credential: &Value) -> Result<VerifyingKey, BadgeError> {
    let Value::Object(map) = credential else {
        return Err(BadgeError::NotJson);
    };
    let mut document: Map<String, Value> = map.clone();
    let Some(Value::Object(proof)) = document.remove("proof") else {
        return Err(BadgeError::NoProof);
    };
    if proof.get("type").and_then(Value::as_str) != Some("DataIntegrityProof")
        || proof.get("cryptosuite").and_then(Value::as_str) != Some("eddsa-jcs-2022")
    {
        return Err(BadgeError::NoProof);
    }
    let mut config = proof.clone();
    let proof_value = config
        .remove("proofValue")
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or(BadgeError::NoProof)?;
    let key = config
        .get("verificationMethod")
        .and_then(Value::as_str)
        .and_then(key_of_method)
        .ok_or(BadgeError::BadKey)?;
    let signature = proof_value
        .strip_prefix('z')
        .and_then(|b58| bs58::decode(b58).into_vec().ok())
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .map(|bytes| Signature::from_bytes(&bytes))
        .ok_or(BadgeError::BadSignature)?;
    key.verify_strict(
        &hash_data(&Value::Object(document), &Value::Object(config)),
        &signature,
    )
    .map_err(|_| BadgeError::BadSignature)?;
    Ok(key)
}

/// Checks a credential's proof and that this deployment signed it.
pub fn verify_ours(credential: &Value, ours: &VerifyingKey) -> Result<(), BadgeError> {
    if verify(credential)? == *ours {
        Ok(())
    } else {
        Err(BadgeError::ForeignKey)
    }
}

fn key_of_method(method: &str) -> Option<VerifyingKey> {
    let did = method.split('#').next()?;
    let multibase = did.strip_prefix("did:key:z")?;
    let bytes = bs58::decode(multibase).into_vec().ok()?;
    let key: [u8; 32] = bytes.strip_prefix(&ED25519_PUB)?.try_into().ok()?;
    VerifyingKey::from_bytes(&key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> BadgeFacts<'static> {
        BadgeFacts {
            credential_url: "https://portal.example/verify/ABCD1234",
            issuer_url: "https://portal.example",
            issuer_name: "Lumen Analytics",
            achievement_url: "https://portal.example/certifications/1",
            achievement_name: "Lumen Certified Sales Professional",
            achievement_description: "Sells Lumen with confidence.",
            criteria: "Complete the Lumen sales path.",
            holder_name: "Nora Quist",
            holder_email: "nora@northwind.example",
            salt: "s4lt",
            valid_from: 1_769_817_600_000,
            valid_until: 1_801_353_600_000,
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let value = json!({"b": [1, {"z": true, "a": null}], "a": "é\n\"", "A": 2});
        assert_eq!(
            canonical(&value),
            r#"{"A":2,"a":"é\n\"","b":[1,{"a":null,"z":true}]}"#
        );
    }

    #[test]
    fn a_signed_credential_verifies_and_carries_the_dates() {
        let key = deployment_key(b"a secret of the deployment");
        let signed = sign(credential(&facts()), &key, 1_769_817_600_000);
        assert_eq!(signed["validFrom"], "2026-01-31T00:00:00Z");
        assert_eq!(signed["validUntil"], "2027-01-31T00:00:00Z");
        assert_eq!(signed["type"][1], "OpenBadgeCredential");
        assert!(signed["proof"]["verificationMethod"]
            .as_str()
            .unwrap()
            .starts_with("did:key:z6Mk"));
        // The email is hashed, never in the clear.
        assert!(!signed.to_string().contains("nora@northwind.example"));
        assert_eq!(verify_ours(&signed, &key.verifying_key()), Ok(()));
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let key = deployment_key(b"a secret of the deployment");
        let signed = sign(credential(&facts()), &key, 1_769_817_600_000);
        let mut later = signed.clone();
        later["validUntil"] = "2030-01-31T00:00:00Z".into();
        assert_eq!(verify(&later), Err(BadgeError::BadSignature));
        let mut renamed = signed.clone();
        renamed["credentialSubject"]["name"] = "Mallory".into();
        assert_eq!(verify(&renamed), Err(BadgeError::BadSignature));
        let mut unproven = signed.clone();
        unproven.as_object_mut().unwrap().remove("proof");
        assert_eq!(verify(&unproven), Err(BadgeError::NoProof));
        assert_eq!(verify(&json!("text")), Err(BadgeError::NotJson));
    }

    #[test]
    fn another_deployments_signature_is_recognised_as_foreign() {
        let ours = deployment_key(b"our secret");
        let theirs = deployment_key(b"their secret");
        let signed = sign(credential(&facts()), &theirs, 0);
        assert!(verify(&signed).is_ok());
        assert_eq!(
            verify_ours(&signed, &ours.verifying_key()),
            Err(BadgeError::ForeignKey)
        );
    }

    #[test]
    fn the_key_is_stable_for_a_secret() {
        assert_eq!(
            deployment_key(b"k").verifying_key(),
            deployment_key(b"k").verifying_key()
        );
        assert_ne!(
            deployment_key(b"k").verifying_key(),
            deployment_key(b"l").verifying_key()
        );
    }
}
