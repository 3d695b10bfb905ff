//! RDF for the `eddsa-rdfc-2022` proof: the credential as RDF quads, canonicalised with RDF
//! Dataset Canonicalization (RDFC-1.0) and written as canonical N-Quads.
//!
//! This is not a general JSON-LD processor. The portal signs only documents it writes
//! itself, so the mapping from JSON keys to IRIs is a fixed table of the terms it uses, read
//! from the VC 2.0 and OB 3.0.3 contexts (including their quirks, such as OB's `https://`
//! XML Schema datatypes). A key outside the table is an error rather than a guess, so the
//! portal never signs a document whose RDF it does not know; the tests check the table
//! against Digital Bazaar's JSON-LD and RDFC implementations, which verifiers use.
//!
//! Canonicalization implements RDFC-1.0's first-degree hashing, which labels every blank
//! node of a graph in which each blank node's first-degree hash is unique (true of every
//! document here: their blank nodes are distinct property bundles). A graph that would need
//! the n-degree step is refused, not mislabelled.
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const XSD_DATETIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
const CRED: &str = "https://www.w3.org/2018/credentials#";
const OB: &str = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#";
const STATUS: &str = "https://www.w3.org/ns/credentials/status#";
const SEC: &str = "https://w3id.org/security#";
const SCHEMA: &str = "https://schema.org/";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Term {
    Iri(String),
    Blank(String),
    Literal {
        value: String,
        datatype: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quad {
    pub subject: Term,
    pub predicate: String,
    pub object: Term,
}

/// How a key's value becomes an RDF object.
#[derive(Clone, Copy)]
enum Kind {
    /// A node object (or an IRI string).
    Node,
    /// A string that is an IRI.
    IriRef,
    /// A string mapped through a small vocabulary (`@type: @vocab`).
    Vocab(&'static [(&'static str, &'static str)]),
    /// A literal with this datatype (`None`: a plain string).
    Literal(Option<&'static str>),
}

fn property(key: &str) -> Option<(String, Kind)> {
    use Kind::*;
    let (iri, kind) = match key {
        "name" => (format!("{SCHEMA}name"), Literal(None)),
        "description" => (format!("{SCHEMA}description"), Literal(None)),
        "url" => (
            format!("{SCHEMA}url"),
            Literal(Some("https://www.w3.org/2001/XMLSchema#anyURI")),
        ),
        "issuer" => (format!("{CRED}issuer"), Node),
        "validFrom" => (format!("{CRED}validFrom"), Literal(Some(XSD_DATETIME))),
        "validUntil" => (format!("{CRED}validUntil"), Literal(Some(XSD_DATETIME))),
        "credentialSubject" => (format!("{CRED}credentialSubject"), Node),
        "credentialStatus" => (format!("{CRED}credentialStatus"), Node),
        "achievement" => (format!("{OB}achievement"), Node),
        "criteria" => (format!("{OB}Criteria"), Node),
        "narrative" => (format!("{OB}narrative"), Literal(None)),
        "identifier" => (format!("{OB}identifier"), Node),
        "hashed" => (
            format!("{OB}hashed"),
            Literal(Some("https://www.w3.org/2001/XMLSchema#boolean")),
        ),
        "identityHash" => (format!("{OB}identityHash"), Literal(None)),
        "identityType" => (format!("{OB}identityType"), Literal(None)),
        "salt" => (format!("{OB}salt"), Literal(None)),
        "statusListCredential" => (format!("{STATUS}statusListCredential"), IriRef),
        "statusListIndex" => (format!("{STATUS}statusListIndex"), Literal(None)),
        "statusPurpose" => (format!("{STATUS}statusPurpose"), Literal(None)),
        "encodedList" => (
            format!("{STATUS}encodedList"),
            Literal(Some("https://w3id.org/security#multibase")),
        ),
        "created" => (
            "http://purl.org/dc/terms/created".to_string(),
            Literal(Some(XSD_DATETIME)),
        ),
        "cryptosuite" => (
            format!("{SEC}cryptosuite"),
            Literal(Some("https://w3id.org/security#cryptosuiteString")),
        ),
        "proofPurpose" => (
            format!("{SEC}proofPurpose"),
            Vocab(&[(
                "assertionMethod",
                "https://w3id.org/security#assertionMethod",
            )]),
        ),
        "verificationMethod" => (format!("{SEC}verificationMethod"), IriRef),
        _ => return None,
    };
    Some((iri, kind))
}

fn type_iri(name: &str) -> Option<String> {
    Some(match name {
        "VerifiableCredential" => format!("{CRED}VerifiableCredential"),
        "OpenBadgeCredential"
        | "Profile"
        | "AchievementSubject"
        | "Achievement"
        | "IdentityObject" => format!("{OB}{name}"),
        "BitstringStatusListEntry" | "BitstringStatusList" | "BitstringStatusListCredential" => {
            format!("{STATUS}{name}")
        }
        "DataIntegrityProof" => format!("{SEC}DataIntegrityProof"),
        _ => return None,
    })
}

/// The quads of a document the portal wrote (without its `proof`).
pub fn to_quads(document: &Value) -> Result<Vec<Quad>, String> {
    let mut quads = Vec::new();
    let mut blanks = 0;
    node(document, &mut quads, &mut blanks)?;
    Ok(quads)
}

fn node(value: &Value, quads: &mut Vec<Quad>, blanks: &mut usize) -> Result<Term, String> {
    let Value::Object(map) = value else {
        return Err(format!("expected a node object, found {value}"));
    };
    let subject = match map.get("id") {
        Some(Value::String(id)) => Term::Iri(id.clone()),
        Some(other) => return Err(format!("an id must be a string, found {other}")),
        None => {
            *blanks += 1;
            Term::Blank(format!("b{blanks}"))
        }
    };
    for (key, value) in map {
        match key.as_str() {
            "@context" | "id" => {}
            "type" => {
                let names: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                for name in names {
                    let name = name.as_str().ok_or("a type must be a string")?;
                    let iri = type_iri(name).ok_or_else(|| format!("unmapped type {name}"))?;
                    quads.push(Quad {
                        subject: subject.clone(),
                        predicate: RDF_TYPE.into(),
                        object: Term::Iri(iri),
                    });
                }
            }
            key => {
                let (predicate, kind) =
                    property(key).ok_or_else(|| format!("unmapped term {key}"))?;
                let values: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                for value in values {
                    let object = object(value, kind, quads, blanks)?;
                    quads.push(Quad {
                        subject: subject.clone(),
                        predicate: predicate.clone(),
                        object,
                    });
                }
            }
        }
    }
    Ok(subject)
}

fn object(
    value: &Value,
    kind: Kind,
    quads: &mut Vec<Quad>,
    blanks: &mut usize,
) -> Result<Term, String> {
    match (kind, value) {
        (Kind::Node, Value::String(iri)) | (Kind::IriRef, Value::String(iri)) => {
            Ok(Term::Iri(iri.clone()))
        }
        (Kind::Node, Value::Object(_)) => node(value, quads, blanks),
        (Kind::Vocab(words), Value::String(word)) => words
            .iter()
            .find(|(w, _)| w == word)
            .map(|(_, iri)| Term::Iri(iri.to_string()))
            .ok_or_else(|| format!("unmapped vocabulary value {word}")),
        (Kind::Literal(datatype), Value::String(text)) => Ok(Term::Literal {
            value: text.clone(),
            datatype: datatype.map(str::to_string),
        }),
        (Kind::Literal(datatype), Value::Bool(flag)) => Ok(Term::Literal {
            value: flag.to_string(),
            datatype: datatype.map(str::to_string),
        }),
        (_, other) => Err(format!("unexpected value {other}")),
    }
}

/// Escapes a literal as canonical N-Quads does: `\b \t \n \f \r \" \\`, other control
/// characters as `\uXXXX`.
fn escape_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes an IRI as canonical N-Quads does.
fn escape_iri(iri: &str) -> String {
    let mut out = String::with_capacity(iri.len());
    for c in iri.chars() {
        if (c as u32) <= 0x20 || "<>\"{}|^`\\".contains(c) {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn term(term: &Term, label: &dyn Fn(&str) -> String) -> String {
    match term {
        Term::Iri(iri) => format!("<{}>", escape_iri(iri)),
        Term::Blank(id) => format!("_:{}", label(id)),
        Term::Literal { value, datatype } => match datatype {
            Some(datatype) if datatype != "http://www.w3.org/2001/XMLSchema#string" => {
                format!("\"{}\"^^<{}>", escape_literal(value), escape_iri(datatype))
            }
            _ => format!("\"{}\"", escape_literal(value)),
        },
    }
}

fn nquad(quad: &Quad, label: &dyn Fn(&str) -> String) -> String {
    format!(
        "{} <{}> {} .\n",
        term(&quad.subject, label),
        escape_iri(&quad.predicate),
        term(&quad.object, label)
    )
}

/// RDFC-1.0 canonical N-Quads of `quads` (default graph only).
pub fn canonize(quads: &[Quad]) -> Result<String, String> {
    let mut blank_ids: Vec<String> = Vec::new();
    for quad in quads {
        for t in [&quad.subject, &quad.object] {
            if let Term::Blank(id) = t {
                if !blank_ids.contains(id) {
                    blank_ids.push(id.clone());
                }
            }
        }
    }
    // First-degree hash: the node's quads with itself as `_:a` and other blank nodes as
    // `_:z`, sorted, concatenated, SHA-256 in hex.
    let mut by_hash: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in &blank_ids {
        let mentions = |q: &&Quad| {
            matches!(&q.subject, Term::Blank(b) if b == id)
                || matches!(&q.object, Term::Blank(b) if b == id)
        };
        let reference = |other: &str| {
            if other == id {
                "a".to_string()
            } else {
                "z".to_string()
            }
        };
        let mut lines: Vec<String> = quads
            .iter()
            .filter(mentions)
            .map(|q| nquad(q, &reference))
            .collect();
        lines.sort();
        let hash = hex::encode(Sha256::digest(lines.concat().as_bytes()));
        by_hash.entry(hash).or_default().push(id.clone());
    }
    let mut canonical: BTreeMap<String, String> = BTreeMap::new();
    for ids in by_hash.values() {
        if ids.len() > 1 {
            return Err("blank nodes that only the n-degree step could tell apart".into());
        }
        let next = format!("c14n{}", canonical.len());
        canonical.insert(ids[0].clone(), next);
    }
    let label = |id: &str| canonical[id].clone();
    let mut lines: Vec<String> = quads.iter().map(|q| nquad(q, &label)).collect();
    lines.sort();
    lines.dedup();
    Ok(lines.concat())
}

/// The canonical N-Quads of a document the portal wrote.
pub fn canonical_nquads(document: &Value) -> Result<String, String> {
    canonize(&to_quads(document)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blank_nodes_get_labels_in_hash_order_and_lines_sort() {
        let doc = json!({
            "id": "https://p.example/c/1",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "name": "Ada \"A\"\nLovelace",
                "identifier": [{"type": "IdentityObject", "hashed": true, "salt": "s"}],
            },
        });
        let nquads = canonical_nquads(&doc).unwrap();
        let lines: Vec<&str> = nquads.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted);
        assert!(nquads.contains("<https://schema.org/name> \"Ada \\\"A\\\"\\nLovelace\" ."));
        assert!(nquads.contains("\"true\"^^<https://www.w3.org/2001/XMLSchema#boolean>"));
        assert!(nquads.contains("_:c14n0") && nquads.contains("_:c14n1"));
        assert!(!nquads.contains("_:b"));
    }

    #[test]
    fn unknown_terms_are_refused_not_guessed() {
        assert!(canonical_nquads(&json!({"id": "x:1", "nickname": "n"})).is_err());
        assert!(canonical_nquads(&json!({"id": "x:1", "type": "Unknown"})).is_err());
    }

    #[test]
    fn indistinguishable_blank_nodes_are_refused() {
        let doc = json!({"id": "x:1", "identifier": [{"salt": "s"}, {"salt": "s"}]});
        assert!(canonical_nquads(&doc).is_err());
    }
}
