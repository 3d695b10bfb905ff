//! Open Badges 3.0 credentials: an `OpenBadgeCredential` (a W3C Verifiable Credential) for a
//! certificate, secured with a Data Integrity proof using the `eddsa-jcs-2022` cryptosuite
//! (JSON Canonicalization Scheme, SHA-256, Ed25519). The deployment's key is derived from its
//! secret key, so every stateless instance signs with the same key. The issuer *is* that
//! key's `did:key` (verifiers require the issuer to control the proof's key; the portal's
//! address is the issuer profile's `url`), proofs are a list (as the OB 3.0 schema asks),
//! and `credentialStatus` points at a W3C Bitstring Status List the portal serves, so a
//! revocation is visible to verifiers that never talk to the portal otherwise.
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
    /// The issuer: the deployment key's `did:key`.
    pub issuer_did: &'a str,
    /// The portal's address, the issuer profile's `url`.
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
    /// The revocation list and this credential's position in it.
    pub status_list_url: &'a str,
    pub status_index: u64,
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
            "id": facts.issuer_did,
            "type": ["Profile"],
            "name": facts.issuer_name,
            "url": facts.issuer_url,
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
        "credentialStatus": {
            "id": format!("{}#{}", facts.status_list_url, facts.status_index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": facts.status_index.to_string(),
            "statusListCredential": facts.status_list_url,
        },
    })
}

/// Where the portal serves its revocation list (a Bitstring Status List credential).
pub const STATUS_LIST_PATH: &str = "/credentials/status/revocation";

/// Bits in a status list at least: the specification's minimum (16 KB), so the list does
/// not tell how many credentials exist and a lookup does not single one out.
pub const STATUS_LIST_MIN_BITS: u64 = 131_072;

/// The `encodedList` of a Bitstring Status List with the bits at `revoked` set: GZIP, then
/// base64url without padding, with the multibase prefix `u`. Bit 0 is the first byte's
/// most significant bit.
pub fn encoded_status_list(revoked: &[u64]) -> String {
    use base64::Engine;
    use std::io::Write;
    let needed = revoked.iter().max().map_or(0, |max| max + 1);
    let bits = needed.max(STATUS_LIST_MIN_BITS).div_ceil(8) * 8;
    let mut list = vec![0u8; (bits / 8) as usize];
    for index in revoked {
        list[(index / 8) as usize] |= 0x80 >> (index % 8);
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&list).expect("writing to memory");
    let compressed = gzip.finish().expect("writing to memory");
    format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(compressed)
    )
}

/// The unsigned status list credential served at `url`, listing `revoked` indexes.
pub fn status_list_credential(url: &str, issuer_did: &str, revoked: &[u64], now: i64) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": rfc3339(now),
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_status_list(revoked),
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

/// The proof options of a `DataIntegrityProof` with `cryptosuite`, before signing.
fn proof_options(document: &Value, key: &SigningKey, cryptosuite: &str, created: i64) -> Value {
    let (_, method) = did_key(&key.verifying_key());
    // The proof's context is the document's (Data Integrity, "add proof").
    let context = document
        .get("@context")
        .cloned()
        .unwrap_or_else(|| json!(CONTEXTS));
    json!({
        "@context": context,
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": rfc3339(created),
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    })
}

fn with_signature(mut proof: Value, key: &SigningKey, data: &[u8]) -> Value {
    let signature = key.sign(data);
    proof["proofValue"] = Value::String(format!(
        "z{}",
        bs58::encode(signature.to_bytes()).into_string()
    ));
    proof
}

/// The `eddsa-rdfc-2022` hash data: SHA-256 of the canonical N-Quads of the proof options,
/// then of the document.
fn rdfc_hash_data(document: &Value, options: &Value) -> Result<Vec<u8>, String> {
    let mut data = Sha256::digest(super::rdf::canonical_nquads(options)?.as_bytes()).to_vec();
    data.extend_from_slice(&Sha256::digest(
        super::rdf::canonical_nquads(document)?.as_bytes(),
    ));
    Ok(data)
}

/// Adds a proof set made with `key` at `created`: `eddsa-jcs-2022` (JSON canonicalization)
/// and `eddsa-rdfc-2022` (RDF Dataset Canonicalization), each over the document without
/// proofs, so verifiers of either family accept the credential.
pub fn sign(mut document: Value, key: &SigningKey, created: i64) -> Value {
    let jcs = proof_options(&document, key, "eddsa-jcs-2022", created);
    let jcs = with_signature(jcs.clone(), key, &hash_data(&document, &jcs));
    let mut proofs = vec![jcs];
    let rdfc = proof_options(&document, key, "eddsa-rdfc-2022", created);
    match rdfc_hash_data(&document, &rdfc) {
        Ok(data) => proofs.push(with_signature(rdfc, key, &data)),
        // A term outside the RDF table (a programming error, caught by the tests): the
        // credential keeps its JCS proof rather than carrying a wrong RDFC one.
        Err(error) => tracing::error!(%error, "no eddsa-rdfc-2022 proof"),
    }
    if let Value::Object(map) = &mut document {
        map.insert("proof".into(), Value::Array(proofs));
    }
    document
}

/// Checks the `eddsa-rdfc-2022` proof of a credential, if it has one.
pub fn verify_rdfc(credential: &Value) -> Result<VerifyingKey, BadgeError> {
    check_proof(credential, "eddsa-rdfc-2022", |document, options| {
        rdfc_hash_data(document, options).map_err(|_| BadgeError::BadSignature)
    })
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

/// Checks a credential's `eddsa-jcs-2022` proof and returns the key that signed it.
pub fn verify(credential: &Value) -> Result<VerifyingKey, BadgeError> {
    check_proof(credential, "eddsa-jcs-2022", |document, options| {
        Ok(hash_data(document, options))
    })
}

/// Checks the proof made with `cryptosuite`, whose signed data `hash` computes from the
/// document without proofs and the proof's options.
fn check_proof(
    credential: &Value,
    cryptosuite: &str,
    hash: impl Fn(&Value, &Value) -> Result<Vec<u8>, BadgeError>,
) -> Result<VerifyingKey, BadgeError> {
    let Value::Object(map) = credential else {
        return Err(BadgeError::NotJson);
    };
    let mut document: Map<String, Value> = map.clone();
    let is_wanted = |proof: &Map<String, Value>| {
        proof.get("type").and_then(Value::as_str) == Some("DataIntegrityProof")
            && proof.get("cryptosuite").and_then(Value::as_str) == Some(cryptosuite)
    };
    // A list of proofs (current credentials) or a single one (those downloaded before).
    let proof = match document.remove("proof") {
        Some(Value::Object(proof)) if is_wanted(&proof) => proof,
        Some(Value::Array(proofs)) => proofs
            .into_iter()
            .find_map(|p| match p {
                Value::Object(proof) if is_wanted(&proof) => Some(proof),
                _ => None,
            })
            .ok_or(BadgeError::NoProof)?,
        _ => return Err(BadgeError::NoProof),
    };
    let mut options = proof.clone();
    let proof_value = options
        .remove("proofValue")
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or(BadgeError::NoProof)?;
    let key = options
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
    let data = hash(&Value::Object(document), &Value::Object(options))?;
    key.verify_strict(&data, &signature)
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
            issuer_did: "did:key:z6MkexampleIssuer",
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
            status_list_url: "https://portal.example/credentials/status/revocation",
            status_index: 12,
        }
    }

    #[test]
    fn status_lists_set_the_revoked_bits_from_the_left() {
        use base64::Engine;
        use std::io::Read;
        let encoded = encoded_status_list(&[0, 9, 131_071]);
        let compressed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded.strip_prefix('u').unwrap())
            .unwrap();
        let mut bits = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut bits)
            .unwrap();
        assert_eq!(bits.len(), 16_384);
        assert_eq!(bits[0], 0b1000_0000);
        assert_eq!(bits[1], 0b0100_0000);
        assert_eq!(bits[16_383], 0b0000_0001);
        assert_eq!(bits.iter().map(|b| b.count_ones()).sum::<u32>(), 3);
        let bigger = encoded_status_list(&[200_000]);
        assert_ne!(bigger, encoded);
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
        assert!(signed["proof"][0]["verificationMethod"]
            .as_str()
            .unwrap()
            .starts_with("did:key:z6Mk"));
        // The email is hashed, never in the clear.
        assert!(!signed.to_string().contains("nora@northwind.example"));
        assert_eq!(verify_ours(&signed, &key.verifying_key()), Ok(()));
        assert_eq!(signed["proof"][1]["cryptosuite"], "eddsa-rdfc-2022");
        assert_eq!(verify_rdfc(&signed), Ok(key.verifying_key()));
        let mut changed = signed.clone();
        changed["credentialSubject"]["name"] = "Mallory".into();
        assert_eq!(verify_rdfc(&changed), Err(BadgeError::BadSignature));
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
