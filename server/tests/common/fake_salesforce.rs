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
            ]),
        );
        FakeSalesforce {
            inner: Arc::new(Mutex::new(Inner {
                client_id: client_id.into(),
                client_secret: client_secret.into(),
                fields,
                next_id: 1,
                limit: 15_000,
                ..Inner::default()
            })),
        }
    }

    /// Starts it on a free local port; returns its base URL (My Domain and instance URL).
    pub async fn start(&self) -> String {
        self.start_on("127.0.0.1:0").await
    }

    /// Starts it on `address`; returns its base URL. Besides Salesforce's routes it answers,
    /// without a session, `GET /__fake/records/{object}` (what it holds) and `POST
    /// /__fake/fields` (`{"object", "field", "type", "externalId"}`: an admin creating a
    /// field in Setup), for the browser tests.
    pub async fn start_on(&self, address: &str) -> String {
        let app = Router::new()
            .route("/services/oauth2/token", post(token))
            .route("/services/data/{version}/{*rest}", any(data))
            .route("/__fake/records/{object}", axum::routing::get(held_records))
            .route("/__fake/fields", post(setup_field))
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
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
            ("double", Value::Number(_)) => true,
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
    let existing = inner.records.get(object).and_then(|records| {
        records
            .iter()
            .position(|r| r.fields.get(external).and_then(Value::as_str) == Some(&key))
    });
    match existing {
        Some(index) => {
            let record = &mut inner.records.get_mut(object).expect("object")[index];
            record.fields.extend(values);
            json!({"id": record.id, "success": true, "errors": [], "created": false})
        }
        None => {
            let required: &[&str] = match object {
                "Contact" => &["LastName"],
                "Lead" => &["LastName", "Company"],
                "Account" => &["Name"],
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
                _ => "a00",
            };
            let id = format!("{prefix}{:015}", inner.next_id);
            inner.next_id += 1;
            values.insert(external.into(), Value::String(key));
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
