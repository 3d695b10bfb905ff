//! A local stand-in for a Salesforce org, following the contract in `crm_sync.md` §8.3:
//! the client credentials flow at the org's My Domain (S1), bearer sessions that expire with
//! 401 `INVALID_SESSION_ID`, `Sforce-Limit-Info` on every answer and 403
//! `REQUEST_LIMIT_EXCEEDED` past the daily allocation (S2), describes of the objects'
//! fields, sObject Collections upserts keyed on declared External IDs with Salesforce's
//! per-record errors, required fields and parent references that must exist (S4), the org's
//! limits, and scripted faults. It keeps its own notion of fields: a custom field exists
//! only after the test creates it, as an admin would in Setup.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::Router;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const VERSION: &str = "v66.0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// Describe's `type`: string, textarea, date, datetime, double, email, reference, id.
    pub kind: String,
    pub external_id: bool,
}

#[derive(Debug, Clone)]
pub struct SfRecord {
    pub id: String,
    pub fields: Map<String, Value>,
}

#[derive(Default)]
pub struct Inner {
    pub client_id: String,
    pub client_secret: String,
    /// JWT bearer: the pre-authorised user and the public key of the app's certificate
    /// (PEM). Assertions are verified with the `rsa` crate, not the portal's signer.
    pub jwt: Option<(String, String)>,
    /// The audience, issuer and subject of the last assertion accepted, and its lifetime.
    pub last_assertion: Option<Value>,
    pub base: String,
    /// Sessions issued; `false` once expired.
    pub sessions: BTreeMap<String, bool>,
    /// Token requests answered with a session.
    pub mints: usize,
    /// How long minting takes (lets concurrent workers overlap).
    pub mint_delay: Duration,
    /// object → field → definition.
    pub fields: BTreeMap<String, BTreeMap<String, FieldDef>>,
    pub records: BTreeMap<String, Vec<SfRecord>>,
    pub next_id: u64,
    /// API calls counted against the allocation, and the allocation.
    pub used: usize,
    pub limit: usize,
    /// Scripted answers for the next data calls: status and body.
    pub faults: VecDeque<(u16, Value)>,
    /// A validation rule: records of this object are refused with this message.
    pub validation_rule: Option<(String, String)>,
    /// Every data request: method, path, and its `Sforce-Call-Options`.
    pub requests: Vec<(String, String, Option<String>)>,
    /// Query answers are paged at this many records (`nextRecordsUrl`); the rest waits
    /// under a cursor.
    pub page_size: usize,
    pub cursors: BTreeMap<String, Vec<Value>>,
    /// The org's users by id (what `Owner.Name` reads); a record created through the API is
    /// owned by the first, the integration user it runs as.
    pub users: BTreeMap<String, String>,
}

/// The user the API acts as: new Leads and Accounts are owned by it.
pub const INTEGRATION_USER: &str = "005000000000001AAA";

/// Now as Salesforce writes `SystemModstamp`.
fn modstamp() -> Value {
    Value::String(
        chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
            .to_string(),
    )
}

#[derive(Clone)]
pub struct FakeSalesforce {
    pub inner: Arc<Mutex<Inner>>,
}

fn standard(names: &[(&str, &str)]) -> BTreeMap<String, FieldDef> {
    names
        .iter()
        .map(|(name, kind)| {
            (
                name.to_string(),
                FieldDef {
                    kind: kind.to_string(),
                    external_id: false,
                },
            )
        })
        .collect()
}

fn errors(status: StatusCode, code: &str, message: &str, inner: &Inner) -> Response {
    with_usage(
        (
            status,
            axum::Json(json!([{ "message": message, "errorCode": code }])),
        )
            .into_response(),
        inner,
    )
}

fn with_usage(mut response: Response, inner: &Inner) -> Response {
    let value = format!("api-usage={}/{}", inner.used, inner.limit);
    response
        .headers_mut()
        .insert("sforce-limit-info", value.parse().expect("header"));
    response
}

impl FakeSalesforce {
    pub fn new(client_id: &str, client_secret: &str) -> FakeSalesforce {
        let mut fields = BTreeMap::new();
        fields.insert(
            "Account".to_string(),
            standard(&[("Id", "id"), ("Name", "string")]),
        );
        fields.insert(
            "Contact".to_string(),
            standard(&[
                ("Id", "id"),
                ("Email", "email"),
                ("FirstName", "string"),
                ("LastName", "string"),
                ("AccountId", "reference"),
            ]),
        );
        fields.insert(
            "Lead".to_string(),
            standard(&[
                ("Id", "id"),
                ("FirstName", "string"),
                ("LastName", "string"),
                ("Company", "string"),
                ("Email", "email"),
                ("LeadSource", "picklist"),
                ("Status", "picklist"),
                ("IsConverted", "boolean"),
                ("ConvertedOpportunityId", "reference"),
                ("OwnerId", "reference"),
                ("SystemModstamp", "datetime"),
            ]),
        );
        fields.insert(
            "Opportunity".to_string(),
            standard(&[
                ("Id", "id"),
                ("Name", "string"),
                ("StageName", "picklist"),
                ("IsClosed", "boolean"),
                ("IsWon", "boolean"),
                ("Amount", "currency"),
                ("CloseDate", "date"),
                ("LeadSource", "picklist"),
                ("OwnerId", "reference"),
                ("SystemModstamp", "datetime"),
            ]),
        );
        FakeSalesforce {
            inner: Arc::new(Mutex::new(Inner {
                client_id: client_id.into(),
                client_secret: client_secret.into(),
                fields,
                next_id: 1,
                limit: 15_000,
                page_size: 2_000,
                users: BTreeMap::from([(
                    INTEGRATION_USER.to_string(),
                    "Integration User".to_string(),
                )]),
                ..Inner::default()
            })),
        }
    }

    /// Starts it on a free local port; returns its base URL (My Domain and instance URL).
    pub async fn start(&self) -> String {
        self.start_on("127.0.0.1:0").await
    }

    /// Starts it on `address`; returns its base URL. Besides Salesforce's routes it answers,
    /// without a session, `GET /__fake/records/{object}` (what it holds), `POST
    /// /__fake/fields` (`{"object", "field", "type", "externalId"}`: an admin creating a
    /// field in Setup) and `POST /__fake/jwt` (a certificate and pre-authorised user), for
    /// the browser tests.
    pub async fn start_on(&self, address: &str) -> String {
        let app = Router::new()
            .route("/services/oauth2/token", post(token))
            .route("/services/data/{version}/{*rest}", any(data))
            .route("/__fake/records/{object}", axum::routing::get(held_records))
            .route("/__fake/fields", post(setup_field))
            .route("/__fake/jwt", post(setup_jwt))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind(address).await.expect("bind");
        let address = listener.local_addr().expect("address");
        let base = format!("http://{address}");
        self.inner.lock().unwrap().base = base.clone();
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake Salesforce") });
        base
    }

    /// An admin creates a custom field in Setup.
    pub fn create_field(&self, object: &str, name: &str, kind: &str, external_id: bool) {
        self.inner
            .lock()
            .unwrap()
            .fields
            .entry(object.into())
            .or_default()
            .insert(
                name.into(),
                FieldDef {
                    kind: kind.into(),
                    external_id,
                },
            );
    }

    pub fn delete_field(&self, object: &str, name: &str) {
        if let Some(fields) = self.inner.lock().unwrap().fields.get_mut(object) {
            fields.remove(name);
        }
    }

    /// Every session ends (the org's session timeout passed).
    pub fn expire_sessions(&self) {
        for valid in self.inner.lock().unwrap().sessions.values_mut() {
            *valid = false;
        }
    }

    pub fn records(&self, object: &str) -> Vec<SfRecord> {
        self.inner
            .lock()
            .unwrap()
            .records
            .get(object)
            .cloned()
            .unwrap_or_default()
    }

    pub fn record(&self, object: &str, field: &str, value: &str) -> Option<SfRecord> {
        self.records(object)
            .into_iter()
            .find(|record| record.fields.get(field).and_then(Value::as_str) == Some(value))
    }

    /// Sales converts the registration's Lead: an Opportunity with these fields, the Lead
    /// marked converted. Returns the Opportunity's id.
    pub fn convert_lead(&self, registration_id: i64, fields: Value) -> String {
        let mut inner = self.inner.lock().unwrap();
        let id = format!("006{:015}", inner.next_id);
        inner.next_id += 1;
        let mut values = fields.as_object().cloned().unwrap_or_default();
        values.insert("SystemModstamp".into(), modstamp());
        // Converting keeps the Lead's owner unless sales picks another.
        let key = Value::String(registration_id.to_string());
        let lead_owner = inner
            .records
            .get("Lead")
            .and_then(|leads| {
                leads
                    .iter()
                    .find(|lead| lead.fields.get("Portal_Registration_Id__c") == Some(&key))
            })
            .and_then(|lead| lead.fields.get("OwnerId").cloned());
        if let Some(owner) = lead_owner {
            values.entry("OwnerId").or_insert(owner);
        }
        inner
            .records
            .entry("Opportunity".into())
            .or_default()
            .push(SfRecord {
                id: id.clone(),
                fields: values,
            });
        let key = Value::String(registration_id.to_string());
        let lead = inner
            .records
            .get_mut("Lead")
            .and_then(|leads| {
                leads
                    .iter_mut()
                    .find(|lead| lead.fields.get("Portal_Registration_Id__c") == Some(&key))
            })
            .expect("the registration's Lead");
        lead.fields.insert("IsConverted".into(), Value::Bool(true));
        lead.fields
            .insert("ConvertedOpportunityId".into(), Value::String(id.clone()));
        lead.fields.insert("SystemModstamp".into(), modstamp());
        id
    }

    /// Sales changes an Opportunity.
    pub fn change_opportunity(&self, id: &str, fields: Value) {
        let mut inner = self.inner.lock().unwrap();
        let opportunity = inner
            .records
            .get_mut("Opportunity")
            .and_then(|all| all.iter_mut().find(|o| o.id == id))
            .expect("the opportunity");
        opportunity
            .fields
            .extend(fields.as_object().cloned().unwrap_or_default());
        opportunity
            .fields
            .insert("SystemModstamp".into(), modstamp());
    }

    /// A user of the org.
    pub fn add_user(&self, id: &str, name: &str) {
        self.inner
            .lock()
            .unwrap()
            .users
            .insert(id.into(), name.into());
    }

    /// Sales reassigns a record (a Lead, an Opportunity) to another user.
    pub fn assign_owner(&self, object: &str, id: &str, owner_id: &str) {
        let mut inner = self.inner.lock().unwrap();
        let record = inner
            .records
            .get_mut(object)
            .and_then(|all| all.iter_mut().find(|r| r.id == id))
            .expect("the record");
        record
            .fields
            .insert("OwnerId".into(), Value::String(owner_id.into()));
        record.fields.insert("SystemModstamp".into(), modstamp());
    }

    pub fn mints(&self) -> usize {
        self.inner.lock().unwrap().mints
    }

    pub fn fail_next(&self, status: u16, body: Value) {
        self.inner.lock().unwrap().faults.push_back((status, body));
    }
}

async fn held_records(
    State(fake): State<FakeSalesforce>,
    Path(object): Path<String>,
) -> axum::Json<Value> {
    let records: Vec<Value> = fake
        .records(&object)
        .into_iter()
        .map(|record| json!({"Id": record.id, "fields": record.fields}))
        .collect();
    axum::Json(json!({ "records": records }))
}

/// `POST /__fake/jwt` (`{"username", "publicKey"}`, the certificate's public key as SPKI
/// PEM): an admin uploads the certificate to the app and pre-authorises the user.
async fn setup_jwt(
    State(fake): State<FakeSalesforce>,
    axum::Json(setup): axum::Json<Value>,
) -> StatusCode {
    use rsa::pkcs8::DecodePublicKey;
    let text = |key: &str| {
        setup
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if text("username").is_empty()
        || rsa::RsaPublicKey::from_public_key_pem(&text("publicKey")).is_err()
    {
        return StatusCode::BAD_REQUEST;
    }
    fake.inner.lock().unwrap().jwt = Some((text("username"), text("publicKey")));
    StatusCode::NO_CONTENT
}

async fn setup_field(
    State(fake): State<FakeSalesforce>,
    axum::Json(field): axum::Json<Value>,
) -> StatusCode {
    let text = |key: &str| field.get(key).and_then(Value::as_str).unwrap_or("");
    if text("object").is_empty() || text("field").is_empty() {
        return StatusCode::BAD_REQUEST;
    }
    let external_id = field.get("externalId").and_then(Value::as_bool) == Some(true);
    fake.create_field(text("object"), text("field"), text("type"), external_id);
    StatusCode::NO_CONTENT
}

async fn token(State(fake): State<FakeSalesforce>, body: Bytes) -> Response {
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let delay = fake.inner.lock().unwrap().mint_delay;
    tokio::time::sleep(delay).await;
    let mut inner = fake.inner.lock().unwrap();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if field("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        match verify_assertion(&inner, field("assertion")) {
            Ok(claims) => inner.last_assertion = Some(claims),
            Err(description) => {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"error": "invalid_grant", "error_description": description})),
                )
                    .into_response()
            }
        }
        return session_answer(&mut inner);
    }
    if field("grant_type") != "client_credentials" {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "unsupported_grant_type", "error_description": "grant type not supported"})),
        )
            .into_response();
    }
    if field("client_id") != inner.client_id || field("client_secret") != inner.client_secret {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_client", "error_description": "invalid client credentials"})),
        )
            .into_response();
    }
    session_answer(&mut inner)
}

/// S1 for the JWT bearer grant: an RS256 signature by the app's certificate key; `iss` the
/// consumer key, `sub` the pre-authorised user, `aud` the login host, and `exp` in the
/// future but at most three minutes (and a little skew) ahead.
fn verify_assertion(inner: &Inner, assertion: &str) -> Result<Value, &'static str> {
    use base64::Engine;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let Some((username, public_key)) = &inner.jwt else {
        return Err("JWT bearer is not enabled for this app");
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("invalid assertion");
    };
    let decode = |part: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part);
    let header: Value = decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("invalid assertion")?;
    if header["alg"] != "RS256" {
        return Err("invalid assertion: algorithm");
    }
    let key = rsa::RsaPublicKey::from_public_key_pem(public_key).expect("the test key");
    let signature = decode(signature)
        .ok()
        .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
        .ok_or("invalid assertion")?;
    VerifyingKey::<sha2::Sha256>::new(key)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .map_err(|_| "invalid assertion: signature")?;
    let claims: Value = decode(claims)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("invalid assertion")?;
    if claims["iss"] != inner.client_id.as_str() {
        return Err("invalid client credentials");
    }
    if claims["aud"] != "https://login.salesforce.com" {
        return Err("audience is invalid");
    }
    if claims["sub"] != username.as_str() {
        return Err("user hasn't approved this consumer");
    }
    let now = chrono::Utc::now().timestamp();
    let exp = claims["exp"].as_i64().ok_or("invalid assertion")?;
    if exp <= now || exp > now + 180 + 30 {
        return Err("expired authorization code");
    }
    Ok(claims)
}

/// A new session, as both server-to-server flows answer.
fn session_answer(inner: &mut Inner) -> Response {
    inner.mints += 1;
    let access_token = format!("00Dfake!AQ{:04}", inner.mints);
    inner.sessions.insert(access_token.clone(), true);
    // No expires_in and no refresh_token: neither server-to-server flow returns them.
    axum::Json(json!({
        "access_token": access_token,
        "signature": "fake-signature",
        "token_format": "opaque",
        "instance_url": inner.base,
        "id": format!("{}/id/00Dfake/005fake", inner.base),
        "token_type": "Bearer",
        "issued_at": "1764590000000",
    }))
    .into_response()
}

async fn data(
    State(fake): State<FakeSalesforce>,
    Path((version, rest)): Path<(String, String)>,
    uri: axum::http::Uri,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let uri_query = uri.query().unwrap_or("").to_string();
    let mut inner = fake.inner.lock().unwrap();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    inner.requests.push((
        method.to_string(),
        format!("/services/data/{version}/{rest}"),
        header("sforce-call-options"),
    ));
    let bearer = header("authorization")
        .and_then(|value| value.strip_prefix("Bearer ").map(str::to_string))
        .unwrap_or_default();
    if inner.sessions.get(&bearer) != Some(&true) {
        return errors(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
            &inner,
        );
    }
    if version != VERSION {
        return errors(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
            &inner,
        );
    }
    if inner.used >= inner.limit {
        return errors(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
            &inner,
        );
    }
    inner.used += 1;
    if let Some((status, body)) = inner.faults.pop_front() {
        let status = StatusCode::from_u16(status).expect("status");
        return with_usage((status, axum::Json(body)).into_response(), &inner);
    }
    let parts: Vec<&str> = rest.split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["query"]) => {
            let soql = query_text(&uri_query);
            let soql = soql.as_deref().unwrap_or("");
            match run_query(&inner, soql) {
                Ok(rows) => {
                    let answer = page(&mut inner, &version, rows);
                    with_usage(axum::Json(answer).into_response(), &inner)
                }
                Err(message) => {
                    errors(StatusCode::BAD_REQUEST, "MALFORMED_QUERY", &message, &inner)
                }
            }
        }
        ("GET", ["query", cursor]) => match inner.cursors.remove(*cursor) {
            Some(rows) => {
                let answer = page(&mut inner, &version, rows);
                with_usage(axum::Json(answer).into_response(), &inner)
            }
            None => errors(
                StatusCode::NOT_FOUND,
                "INVALID_QUERY_LOCATOR",
                "invalid query locator",
                &inner,
            ),
        },
        ("GET", ["limits"]) => {
            let answer = json!({"DailyApiRequests": {"Max": inner.limit, "Remaining": inner.limit - inner.used}});
            with_usage(axum::Json(answer).into_response(), &inner)
        }
        ("GET", ["sobjects", object, "describe"]) => match inner.fields.get(*object) {
            Some(fields) => {
                let fields: Vec<Value> = fields
                    .iter()
                    .map(|(name, def)| {
                        json!({"name": name, "type": def.kind, "externalId": def.external_id, "unique": def.external_id})
                    })
                    .collect();
                with_usage(
                    axum::Json(json!({"name": object, "fields": fields})).into_response(),
                    &inner,
                )
            }
            None => errors(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "The requested resource does not exist",
                &inner,
            ),
        },
        ("POST", ["sobjects", "Task"]) => create_task(&mut inner, &body),
        ("PATCH", ["composite", "sobjects", object, external]) => {
            let object = object.to_string();
            let external = external.to_string();
            upsert_collection(&mut inner, &object, &external, &body)
        }
        _ => errors(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
            &inner,
        ),
    }
}

/// `POST …/sobjects/Task`: Salesforce's rules for an activity as the portal writes one:
/// a Subject, a Status from the picklist, WhoId naming a Lead or Contact and WhatId an
/// Opportunity that exist (`MALFORMED_ID` / `INVALID_CROSS_REFERENCE_KEY` otherwise).
fn create_task(inner: &mut Inner, body: &[u8]) -> Response {
    let Ok(task) = serde_json::from_slice::<Map<String, Value>>(body) else {
        return errors(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "The request body is not JSON",
            inner,
        );
    };
    if task
        .get("Subject")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return errors(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Subject]",
            inner,
        );
    }
    let status = task.get("Status").and_then(Value::as_str).unwrap_or("");
    if ![
        "Not Started",
        "In Progress",
        "Completed",
        "Waiting on someone else",
        "Deferred",
    ]
    .contains(&status)
    {
        return errors(
            StatusCode::BAD_REQUEST,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Status: bad value for restricted picklist field",
            inner,
        );
    }
    let exists = |objects: &[&str], id: &str| {
        objects.iter().any(|object| {
            inner
                .records
                .get(*object)
                .is_some_and(|records| records.iter().any(|r| r.id == id))
        })
    };
    for (field, objects) in [
        ("WhoId", &["Lead", "Contact"][..]),
        ("WhatId", &["Opportunity", "Account"][..]),
    ] {
        if let Some(id) = task.get(field).and_then(Value::as_str) {
            if !exists(objects, id) {
                return errors(
                    StatusCode::BAD_REQUEST,
                    "INVALID_CROSS_REFERENCE_KEY",
                    &format!("invalid cross reference id: {field}"),
                    inner,
                );
            }
        }
    }
    let id = format!("00T{:015}", inner.next_id);
    inner.next_id += 1;
    inner
        .records
        .entry("Task".into())
        .or_default()
        .push(SfRecord {
            id: id.clone(),
            fields: task,
        });
    with_usage(
        (
            StatusCode::CREATED,
            axum::Json(json!({"id": id, "success": true, "errors": []})),
        )
            .into_response(),
        inner,
    )
}

fn record_error(code: &str, message: &str, fields: &[&str]) -> Value {
    json!({"id": null, "success": false, "errors": [{"statusCode": code, "message": message, "fields": fields}]})
}

fn upsert_collection(inner: &mut Inner, object: &str, external: &str, body: &[u8]) -> Response {
    let declared = inner
        .fields
        .get(object)
        .and_then(|fields| fields.get(external))
        .is_some_and(|def| def.external_id);
    if !declared {
        return errors(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
            inner,
        );
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return errors(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "The request body is not JSON",
            inner,
        );
    };
    let records = body
        .get("records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if records.len() > 200 {
        return errors(
            StatusCode::BAD_REQUEST,
            "EXCEEDED_ID_LIMIT",
            "record limit exceeded (200)",
            inner,
        );
    }
    let results: Vec<Value> = records
        .iter()
        .map(|record| upsert_one(inner, object, external, record))
        .collect();
    with_usage(axum::Json(Value::Array(results)).into_response(), inner)
}

fn upsert_one(inner: &mut Inner, object: &str, external: &str, record: &Value) -> Value {
    let Some(record) = record.as_object() else {
        return record_error("JSON_PARSER_ERROR", "not an object", &[]);
    };
    let kind = record
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str);
    if kind != Some(object) {
        return record_error("INVALID_TYPE", "attributes.type must be the object", &[]);
    }
    let Some(key) = record
        .get(external)
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return record_error(
            "MISSING_ARGUMENT",
            "The External ID field's value is missing",
            &[external],
        );
    };
    let fields = inner.fields.get(object).cloned().unwrap_or_default();
    let mut values = Map::new();
    for (name, value) in record {
        if name == "attributes" {
            continue;
        }
        if name == "Id" {
            return record_error("INVALID_FIELD", "Id may not be set on an upsert", &["Id"]);
        }
        if object == "Contact" && name == "AccountId" {
            let exists = value.as_str().is_some_and(|id| {
                inner
                    .records
                    .get("Account")
                    .is_some_and(|accounts| accounts.iter().any(|account| account.id == id))
            });
            if !exists {
                return record_error(
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                    &["AccountId"],
                );
            }
        }
        let Some(def) = fields.get(name) else {
            return record_error(
                "INVALID_FIELD",
                &format!("No such column '{name}' on sobject of type {object}"),
                &[name],
            );
        };
        let fits = match (def.kind.as_str(), value) {
            (_, Value::Null) => true,
            ("date", Value::String(text)) => {
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
            }
            ("datetime", Value::String(text)) => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            ("double" | "currency", Value::Number(_)) => true,
            ("string" | "textarea" | "email" | "picklist" | "reference", Value::String(_)) => true,
            _ => false,
        };
        if !fits {
            return record_error(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                &format!("{name}: value not of required type: {value}"),
                &[name],
            );
        }
        values.insert(name.clone(), value.clone());
    }
    if let Some((rule_object, message)) = &inner.validation_rule {
        if rule_object == object {
            return record_error("FIELD_CUSTOM_VALIDATION_EXCEPTION", message, &[]);
        }
    }
    // An Opportunity's stage decides whether it is closed and won (the standard stages).
    if let Some(stage) = values.get("StageName").and_then(Value::as_str) {
        let (closed, won) = match stage {
            "Closed Won" => (true, true),
            "Closed Lost" => (true, false),
            _ => (false, false),
        };
        values.insert("IsClosed".into(), Value::Bool(closed));
        values.insert("IsWon".into(), Value::Bool(won));
    }
    let existing = inner.records.get(object).and_then(|records| {
        records
            .iter()
            .position(|r| r.fields.get(external).and_then(Value::as_str) == Some(&key))
    });
    match existing {
        Some(index) => {
            let record = &mut inner.records.get_mut(object).expect("object")[index];
            if record.fields.get("IsConverted") == Some(&Value::Bool(true)) {
                return record_error(
                    "CANNOT_UPDATE_CONVERTED_LEAD",
                    "cannot reference converted lead",
                    &[],
                );
            }
            record.fields.extend(values);
            record.fields.insert("SystemModstamp".into(), modstamp());
            json!({"id": record.id, "success": true, "errors": [], "created": false})
        }
        None => {
            let required: &[&str] = match object {
                "Contact" => &["LastName"],
                "Lead" => &["LastName", "Company"],
                "Account" => &["Name"],
                "Opportunity" => &["Name", "StageName", "CloseDate"],
                _ => &[],
            };
            let missing: Vec<&str> = required
                .iter()
                .copied()
                .filter(|field| {
                    values
                        .get(*field)
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                })
                .collect();
            if !missing.is_empty() {
                return record_error(
                    "REQUIRED_FIELD_MISSING",
                    &format!("Required fields are missing: [{}]", missing.join(", ")),
                    &missing,
                );
            }
            let prefix = match object {
                "Account" => "001",
                "Contact" => "003",
                "Lead" => "00Q",
                "Opportunity" => "006",
                _ => "a00",
            };
            let id = format!("{prefix}{:015}", inner.next_id);
            inner.next_id += 1;
            values.insert(external.into(), Value::String(key));
            values.insert("SystemModstamp".into(), modstamp());
            if inner
                .fields
                .get(object)
                .is_some_and(|f| f.contains_key("OwnerId"))
            {
                values.insert("OwnerId".into(), Value::String(INTEGRATION_USER.into()));
            }
            inner
                .records
                .entry(object.into())
                .or_default()
                .push(SfRecord {
                    id: id.clone(),
                    fields: values,
                });
            json!({"id": id, "success": true, "errors": [], "created": true})
        }
    }
}

fn query_text(uri_query: &str) -> Option<String> {
    form_urlencoded::parse(uri_query.as_bytes())
        .find(|(key, _)| key == "q")
        .map(|(_, value)| value.into_owned())
}

/// One page of rows; the rest under a new cursor.
fn page(inner: &mut Inner, version: &str, mut rows: Vec<Value>) -> Value {
    let total = rows.len();
    if rows.len() <= inner.page_size {
        return json!({"totalSize": total, "done": true, "records": rows});
    }
    let rest = rows.split_off(inner.page_size);
    let cursor = format!(
        "01gFAKE{:04}-{}",
        inner.cursors.len() + inner.next_id as usize,
        rest.len()
    );
    inner.next_id += 1;
    inner.cursors.insert(cursor.clone(), rest);
    json!({"totalSize": total, "done": false, "records": rows,
           "nextRecordsUrl": format!("/services/data/{version}/query/{cursor}")})
}

/// The SOQL the portal sends, and no more: `SELECT fields FROM Object WHERE conditions
/// [ORDER BY SystemModstamp]`, conditions joined by AND, each `Field != null`,
/// `SystemModstamp > <datetime>` or `Id IN (SELECT Field FROM Object WHERE conditions)`.
fn run_query(inner: &Inner, soql: &str) -> Result<Vec<Value>, String> {
    let (select, rest) = soql
        .strip_prefix("SELECT ")
        .and_then(|rest| rest.split_once(" FROM "))
        .ok_or("expected SELECT … FROM")?;
    let fields: Vec<&str> = select.split(',').map(str::trim).collect();
    let (object, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let rest = rest.trim();
    let (conditions, order) = match rest.rsplit_once(" ORDER BY ") {
        Some((conditions, order)) => (conditions, Some(order.trim())),
        None => (rest, None),
    };
    if order.is_some_and(|order| order != "SystemModstamp") {
        return Err(format!("unsupported ORDER BY {order:?}"));
    }
    let conditions = conditions.strip_prefix("WHERE ").unwrap_or(conditions);
    let known = inner
        .fields
        .get(object)
        .ok_or(format!("sObject type '{object}' is not supported"))?;
    for field in &fields {
        // `Owner.Name` follows the owner relationship (its `OwnerId`).
        let column = if *field == "Owner.Name" {
            "OwnerId"
        } else {
            field
        };
        if !known.contains_key(column) {
            return Err(format!("No such column '{field}' on entity '{object}'"));
        }
    }
    let mut matching: Vec<&SfRecord> = Vec::new();
    for record in inner.records.get(object).into_iter().flatten() {
        if matches(inner, record, conditions)? {
            matching.push(record);
        }
    }
    let stamp = |record: &SfRecord| {
        record
            .fields
            .get("SystemModstamp")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    matching.sort_by_key(|record| stamp(record));
    Ok(matching
        .into_iter()
        .map(|record| {
            let mut row = Map::new();
            row.insert("attributes".into(), json!({"type": object, "url": format!("/services/data/{VERSION}/sobjects/{object}/{}", record.id)}));
            for field in &fields {
                if *field == "Owner.Name" {
                    let owner = record.fields.get("OwnerId").and_then(Value::as_str);
                    let value = owner.map_or(Value::Null, |id| {
                        json!({"attributes": {"type": "User", "url": format!("/services/data/{VERSION}/sobjects/User/{id}")},
                               "Name": inner.users.get(id).cloned().unwrap_or_default()})
                    });
                    row.insert("Owner".into(), value);
                    continue;
                }
                let value = if *field == "Id" {
                    Value::String(record.id.clone())
                } else {
                    record.fields.get(*field).cloned().unwrap_or(match *field {
                        "IsConverted" | "IsClosed" | "IsWon" => Value::Bool(false),
                        _ => Value::Null,
                    })
                };
                row.insert(field.to_string(), value);
            }
            Value::Object(row)
        })
        .collect())
}

/// Splits on ` AND ` outside parentheses.
fn conjuncts(conditions: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let bytes = conditions.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            _ if depth == 0 && conditions[i..].starts_with(" AND ") => {
                parts.push(conditions[start..i].trim());
                i += 5;
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(conditions[start..].trim());
    parts.into_iter().filter(|part| !part.is_empty()).collect()
}

fn matches(inner: &Inner, record: &SfRecord, conditions: &str) -> Result<bool, String> {
    for condition in conjuncts(conditions) {
        let holds = if let Some(field) = condition.strip_suffix(" != null") {
            record
                .fields
                .get(field.trim())
                .is_some_and(|value| !value.is_null())
        } else if let Some(at) = condition.strip_prefix("SystemModstamp > ") {
            let since = chrono::DateTime::parse_from_rfc3339(at.trim())
                .map_err(|_| format!("bad datetime {at:?}"))?;
            let stamp = record
                .fields
                .get("SystemModstamp")
                .and_then(Value::as_str)
                .unwrap_or("");
            chrono::DateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S%.3f%z")
                .is_ok_and(|stamp| stamp > since)
        } else if let Some(inner_query) = condition
            .strip_prefix("Id IN (")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let (field, rest) = inner_query
                .strip_prefix("SELECT ")
                .and_then(|rest| rest.split_once(" FROM "))
                .ok_or("expected a semi-join")?;
            let (object, where_part) = rest.split_once(" WHERE ").unwrap_or((rest, ""));
            let mut ids = Vec::new();
            for other in inner.records.get(object.trim()).into_iter().flatten() {
                if matches(inner, other, where_part)? {
                    if let Some(id) = other.fields.get(field.trim()).and_then(Value::as_str) {
                        ids.push(id.to_string());
                    }
                }
            }
            ids.contains(&record.id)
        } else {
            return Err(format!("unsupported condition {condition:?}"));
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}
