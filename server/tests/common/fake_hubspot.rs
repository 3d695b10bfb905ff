//! A local stand-in for HubSpot's CRM API (date-versioned paths), following the contract in
//! `crm_sync.md` §8.1: bearer tokens, property install, batch upsert with per-input errors
//! (207), HubSpot's value rules (dates at midnight UTC, enumeration options, required deal
//! properties), its rolling rate limit with headers and 429 bodies, and injected faults.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Property {
    pub kind: String,
    pub unique: bool,
    pub options: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub properties: BTreeMap<String, String>,
}

/// A scripted answer for the next matching request.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Value,
}

/// A HubSpot app that installs through OAuth (crm_sync.md §8.1 H1): codes for a consent,
/// access tokens that expire, refresh tokens that can be revoked.
#[derive(Default, Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// Codes handed out at consent: code → PKCE challenge.
    pub codes: BTreeMap<String, String>,
    pub refresh_tokens: Vec<String>,
    /// Access tokens → when they stop working.
    pub access: BTreeMap<String, Instant>,
    pub lifetime: Duration,
    /// Every token request, and those that were refreshes.
    pub token_requests: usize,
    pub refreshes: usize,
    pub next: u64,
    /// Whether a refresh hands out a new refresh token (unverified for HubSpot).
    pub rotate: bool,
}

#[derive(Default)]
pub struct Inner {
    pub token: String,
    pub oauth: Option<OAuthApp>,
    /// object → property name → definition (contacts start with `email`).
    pub properties: BTreeMap<String, BTreeMap<String, Property>>,
    /// object → records.
    pub records: BTreeMap<String, Vec<Record>>,
    pub next_id: u64,
    /// Every request: method and path.
    pub requests: Vec<(String, String)>,
    pub faults: VecDeque<Fault>,
    /// Rolling window: at most `limit` requests per `window`.
    pub limit: usize,
    pub window: Duration,
    pub recent: VecDeque<Instant>,
    /// How many answers were 429.
    pub limited: usize,
    /// Each record written: object, key, when.
    pub writes: Vec<(String, String, Instant)>,
    /// Where webhooks are posted, the target URL configured in the app (what HubSpot
    /// signs), and the app's client secret.
    pub webhook: Option<(String, String, String)>,
    pub next_event_id: i64,
    /// Default associations added: from object, from id, to object, to id.
    pub associations: Vec<(String, String, String, String)>,
    /// The account's users who can own records, by owner id (the owners API's objects).
    pub owners: BTreeMap<String, Value>,
    /// The token lacks `crm.objects.owners.read`: the owners API answers 403.
    pub owners_forbidden: bool,
    /// The deal pipelines API's `results` (HubSpot's default sales pipeline to start).
    pub pipelines: Vec<Value>,
}

#[derive(Clone)]
pub struct FakeHubSpot {
    pub inner: Arc<Mutex<Inner>>,
}

const VERSION: &str = "2026-03";

impl FakeHubSpot {
    pub fn new(token: &str) -> FakeHubSpot {
        let mut properties = BTreeMap::new();
        let standard = |names: &[&str]| {
            names
                .iter()
                .map(|name| {
                    (
                        name.to_string(),
                        Property {
                            kind: "string".into(),
                            unique: *name == "email",
                            options: vec![],
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>()
        };
        properties.insert(
            "contacts".into(),
            standard(&["email", "firstname", "lastname"]),
        );
        properties.insert("companies".into(), standard(&["name", "domain"]));
        let mut deals = standard(&["dealname", "pipeline", "dealstage"]);
        deals.insert(
            "amount".into(),
            Property {
                kind: "number".into(),
                unique: false,
                options: vec![],
            },
        );
        properties.insert("deals".into(), deals);
        FakeHubSpot {
            inner: Arc::new(Mutex::new(Inner {
                token: token.into(),
                properties,
                next_id: 100,
                limit: 1_000,
                window: Duration::from_secs(10),
                pipelines: vec![default_pipeline()],
                ..Inner::default()
            })),
        }
    }

    /// Starts it on a free local port; returns its base URL.
    pub async fn start(&self) -> String {
        self.start_on("127.0.0.1:0").await
    }

    /// Starts it on `address`; returns its base URL. Besides HubSpot's routes it answers
    /// `GET /__fake/records/{object}` (no token) so a browser test can read what it holds.
    pub async fn start_on(&self, address: &str) -> String {
        let app = Router::new()
            .route(
                &format!("/crm/objects/{VERSION}/{{object}}"),
                get(list).post(create_note),
            )
            .route(
                &format!("/crm/objects/{VERSION}/{{from}}/{{from_id}}/associations/default/{{to}}/{{to_id}}"),
                axum::routing::put(associate_default),
            )
            .route(
                &format!("/crm/objects/{VERSION}/{{object}}/batch/upsert"),
                post(batch_upsert),
            )
            .route(
                &format!("/crm/properties/{VERSION}/{{object}}/groups"),
                post(create_group),
            )
            .route(
                &format!("/crm/properties/{VERSION}/{{object}}/batch/create"),
                post(create_properties),
            )
            .route(
                &format!("/crm/properties/{VERSION}/{{object}}/{{name}}"),
                get(read_property),
            )
            .route(
                &format!("/crm/objects/{VERSION}/{{object}}/search"),
                post(search),
            )
            .route(
                &format!("/crm/objects/{VERSION}/{{object}}/batch/read"),
                post(batch_read),
            )
            .route(&format!("/crm/owners/{VERSION}/{{id}}"), get(owner))
            .route(&format!("/crm/pipelines/{VERSION}/deals"), get(pipelines))
            .route("/oauth/authorize", get(authorize))
            .route("/oauth/{version}/token", post(token))
            .route("/__fake/records/{object}", get(held_records))
            .route("/__fake/deal-owner", post(assign_deal_owner))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind(address).await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake HubSpot") });
        format!("http://{address}")
    }

    /// Registers an OAuth app with its redirect URL; access tokens last `lifetime`.
    pub fn enable_oauth(
        &self,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        lifetime: Duration,
    ) {
        self.inner.lock().unwrap().oauth = Some(OAuthApp {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            lifetime,
            ..OAuthApp::default()
        });
    }

    /// Every access token stops working now (time passed, or HubSpot ended them early).
    pub fn expire_access_tokens(&self) {
        if let Some(app) = self.inner.lock().unwrap().oauth.as_mut() {
            let past = Instant::now() - Duration::from_secs(1);
            for until in app.access.values_mut() {
                *until = past;
            }
        }
    }

    /// The app is uninstalled from the account: its refresh tokens stop working.
    pub fn revoke_refresh_tokens(&self) {
        if let Some(app) = self.inner.lock().unwrap().oauth.as_mut() {
            app.refresh_tokens.clear();
        }
    }

    /// (token requests, refreshes) seen.
    pub fn token_requests(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap();
        inner
            .oauth
            .as_ref()
            .map_or((0, 0), |app| (app.token_requests, app.refreshes))
    }

    /// A user of the account who can own records.
    pub fn add_owner(&self, id: &str, first: &str, last: &str, email: &str) {
        self.inner.lock().unwrap().owners.insert(
            id.into(),
            json!({ "id": id, "email": email, "type": "PERSON", "firstName": first, "lastName": last,
                    "userId": 9_000_000, "createdAt": "2026-01-05T10:00:00Z", "updatedAt": "2026-01-05T10:00:00Z",
                    "archived": false }),
        );
    }

    /// The token lacks (or regains) the owners scope.
    pub fn forbid_owners(&self, forbidden: bool) {
        self.inner.lock().unwrap().owners_forbidden = forbidden;
    }

    /// An admin adds a deal pipeline in HubSpot: `(stage id, label, closed, probability)`.
    pub fn add_pipeline(&self, id: &str, label: &str, stages: &[(&str, &str, bool, &str)]) {
        let stages: Vec<Value> = stages
            .iter()
            .enumerate()
            .map(|(order, (stage, label, closed, probability))| {
                json!({ "id": stage, "label": label, "displayOrder": order, "archived": false,
                        "metadata": { "isClosed": closed.to_string(), "probability": probability } })
            })
            .collect();
        self.inner.lock().unwrap().pipelines.push(json!({
            "id": id, "label": label, "displayOrder": 1, "archived": false, "stages": stages
        }));
    }

    /// Requests made to a path starting with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(_, path)| path.starts_with(prefix))
            .count()
    }

    pub fn fail_next(&self, fault: Fault) {
        self.inner.lock().unwrap().faults.push_back(fault);
    }

    pub fn set_rate(&self, limit: usize, window: Duration) {
        let mut inner = self.inner.lock().unwrap();
        inner.limit = limit;
        inner.window = window;
    }

    pub fn records(&self, object: &str) -> Vec<Record> {
        self.inner
            .lock()
            .unwrap()
            .records
            .get(object)
            .cloned()
            .unwrap_or_default()
    }

    pub fn record(&self, object: &str, property: &str, value: &str) -> Option<Record> {
        self.records(object)
            .into_iter()
            .find(|record| record.properties.get(property).map(String::as_str) == Some(value))
    }

    /// A change made in HubSpot by a person (sales moving a deal): sets the properties and
    /// the modification time, as HubSpot does.
    pub fn change_as_sales(
        &self,
        object: &str,
        key: &str,
        value: &str,
        properties: &[(&str, &str)],
    ) {
        let mut inner = self.inner.lock().unwrap();
        let record = inner
            .records
            .get_mut(object)
            .and_then(|records| {
                records
                    .iter_mut()
                    .find(|r| r.properties.get(key).map(String::as_str) == Some(value))
            })
            .expect("a record to change");
        for (name, new) in properties {
            record.properties.insert(name.to_string(), new.to_string());
        }
        record
            .properties
            .insert("hs_lastmodifieddate".into(), now_ms().to_string());
    }

    /// Configures webhooks as a HubSpot app's settings do: deliveries are signed for the
    /// `target` URL under `client_secret`, and posted to `post_to` (the same server; a test
    /// cannot reach the portal by its public name).
    pub fn deliver_webhooks(&self, post_to: &str, target: &str, client_secret: &str) {
        self.inner.lock().unwrap().webhook =
            Some((post_to.into(), target.into(), client_secret.into()));
    }

    /// The webhook events of a change by sales to a deal (one per property), as HubSpot
    /// sends them.
    pub fn deal_change_events(&self, deal_id: &str, properties: &[(&str, &str)]) -> Value {
        let mut inner = self.inner.lock().unwrap();
        let occurred = now_ms();
        let events: Vec<Value> = properties
            .iter()
            .map(|(name, value)| {
                inner.next_event_id += 1;
                json!({
                    "eventId": inner.next_event_id, "subscriptionId": 4242, "portalId": 62515,
                    "appId": 1160452, "occurredAt": occurred, "subscriptionType": "deal.propertyChange",
                    "attemptNumber": 0, "objectId": deal_id.parse::<i64>().unwrap_or(0),
                    "propertyName": name, "propertyValue": value, "changeSource": "CRM_UI",
                })
            })
            .collect();
        Value::Array(events)
    }

    /// Posts `body` signed now, as HubSpot delivers; returns the signature and timestamp
    /// sent, and the portal's status and body. Signed with the HMAC crates directly, not
    /// the portal's signing code.
    pub async fn post_webhook(&self, body: &[u8]) -> ((String, String), (u16, String)) {
        let (_, target, secret) = self
            .inner
            .lock()
            .unwrap()
            .webhook
            .clone()
            .expect("webhooks");
        let timestamp = now_ms().to_string();
        let signature = hubspot_v3_signature(&secret, "POST", &target, body, &timestamp);
        let answer = self.post_signed(body, &signature, &timestamp).await;
        ((signature, timestamp), answer)
    }

    /// Posts `body` with the given headers (replays and forgeries in tests).
    pub async fn post_signed(
        &self,
        body: &[u8],
        signature: &str,
        timestamp: &str,
    ) -> (u16, String) {
        let (post_to, _, _) = self
            .inner
            .lock()
            .unwrap()
            .webhook
            .clone()
            .expect("webhooks");
        let response = reqwest::Client::new()
            .post(post_to)
            .header("content-type", "application/json")
            .header("x-hubspot-signature-v3", signature)
            .header("x-hubspot-request-timestamp", timestamp)
            .body(body.to_vec())
            .send()
            .await
            .expect("the portal answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    pub fn associations(&self) -> Vec<(String, String, String, String)> {
        self.inner.lock().unwrap().associations.clone()
    }

    pub fn requests(&self) -> Vec<(String, String)> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn limited(&self) -> usize {
        self.inner.lock().unwrap().limited
    }

    pub fn has_property(&self, object: &str, name: &str) -> bool {
        self.inner
            .lock()
            .unwrap()
            .properties
            .get(object)
            .is_some_and(|p| p.contains_key(name))
    }
}

/// HubSpot's v3 signature: base64(HMAC-SHA256(secret, method + uri + body + timestamp)).
/// The fake's own computation (the URIs it signs have no escapes to decode).
pub fn hubspot_v3_signature(
    secret: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp: &str,
) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(method.as_bytes());
    mac.update(uri.as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `POST …/{object}/batch/read`: at most 100 ids; the found records with the requested
/// properties (200), or with errors for the ids not found (207, `OBJECT_NOT_FOUND`).
async fn batch_read(
    State(fake): State<FakeHubSpot>,
    Path(object): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (rate, body) = match admit_json(
        &fake,
        &format!("/crm/objects/{object}/batch/read"),
        &headers,
        &body,
    ) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    let ids: Vec<String> = body
        .get("inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|input| input.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    if ids.len() > BATCH_LIMIT {
        return batch_too_large();
    }
    let wanted: Vec<String> = body
        .get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|name| name.as_str().map(str::to_string))
        .collect();
    let records = fake.records(&object);
    let mut results = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        match records.iter().find(|record| record.id == id) {
            Some(record) => {
                let properties: BTreeMap<&String, &String> = record
                    .properties
                    .iter()
                    .filter(|(name, _)| wanted.contains(name))
                    .collect();
                results
                    .push(json!({ "id": record.id, "properties": properties, "archived": false }));
            }
            None => missing.push(id),
        }
    }
    let mut answer = json!({ "status": "COMPLETE", "results": results });
    let status = if missing.is_empty() {
        StatusCode::OK
    } else {
        answer["errors"] = json!([{ "status": "error", "category": "OBJECT_NOT_FOUND",
            "message": format!("Could not get some {object} objects, they may be deleted or not exist."),
            "context": { "ids": missing } }]);
        StatusCode::MULTI_STATUS
    };
    with_rate((status, Json(answer)).into_response(), &fake, rate)
}

/// `POST /__fake/deal-owner` (`{"registration", "ownerId", "firstName", "lastName"}`, no
/// token): sales assigns the portal's deal to a user of the account, for the browser tests.
async fn assign_deal_owner(State(fake): State<FakeHubSpot>, Json(body): Json<Value>) -> StatusCode {
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (registration, owner) = (text("registration"), text("ownerId"));
    if fake
        .record("deals", "prm_registration_id", &registration)
        .is_none()
        || owner.is_empty()
    {
        return StatusCode::NOT_FOUND;
    }
    let email = format!("{}@vendor.example", text("firstName").to_lowercase());
    fake.add_owner(&owner, &text("firstName"), &text("lastName"), &email);
    fake.change_as_sales(
        "deals",
        "prm_registration_id",
        &registration,
        &[("hubspot_owner_id", owner.as_str())],
    );
    StatusCode::NO_CONTENT
}

async fn held_records(State(fake): State<FakeHubSpot>, Path(object): Path<String>) -> Response {
    let records: Vec<Value> = fake
        .records(&object)
        .into_iter()
        .map(|r| json!({ "id": r.id, "properties": r.properties }))
        .collect();
    Json(json!({ "results": records })).into_response()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `POST …/{object}/search`: filters `EQ`, `GT`, `GTE` and `HAS_PROPERTY` (one filter
/// group), sorted by one property, at most 200 per page, `after` as an offset. Search is
/// exempt from the rolling limit and carries no rate headers.
async fn search(
    State(fake): State<FakeHubSpot>,
    Path(object): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Search has its own budget: no rolling limit, no rate headers.
    if let Err(response) = authenticate(
        &mut fake.inner.lock().unwrap(),
        "POST",
        &format!("/crm/objects/{object}/search"),
        &headers,
    ) {
        return *response;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Invalid input JSON",
        );
    };
    let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(10);
    if limit > 200 {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "limit must be at most 200",
        );
    }
    let filters: Vec<Value> = body
        .pointer("/filterGroups/0/filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let number = |text: &str| text.parse::<f64>().ok();
    let mut found: Vec<Record> = fake
        .records(&object)
        .into_iter()
        .filter(|record| {
            filters.iter().all(|filter| {
                let name = filter
                    .get("propertyName")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let wanted = filter.get("value").and_then(Value::as_str).unwrap_or("");
                let held = record.properties.get(name);
                match filter.get("operator").and_then(Value::as_str).unwrap_or("") {
                    "HAS_PROPERTY" => held.is_some_and(|v| !v.is_empty()),
                    "EQ" => held.is_some_and(|v| v == wanted),
                    "GT" => held
                        .and_then(|v| number(v))
                        .zip(number(wanted))
                        .is_some_and(|(v, w)| v > w),
                    "GTE" => held
                        .and_then(|v| number(v))
                        .zip(number(wanted))
                        .is_some_and(|(v, w)| v >= w),
                    _ => false,
                }
            })
        })
        .collect();
    if let Some(sort) = body
        .pointer("/sorts/0/propertyName")
        .and_then(Value::as_str)
    {
        found.sort_by(|a, b| {
            let key = |r: &Record| {
                r.properties
                    .get(sort)
                    .and_then(|v| number(v))
                    .unwrap_or(0.0)
            };
            key(a).total_cmp(&key(b))
        });
    }
    let offset: usize = body
        .get("after")
        .and_then(Value::as_str)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let total = found.len();
    let page: Vec<Value> = found
        .into_iter()
        .skip(offset)
        .take(limit as usize)
        .map(|r| json!({ "id": r.id, "properties": r.properties, "archived": false }))
        .collect();
    let mut answer = json!({ "total": total, "results": page });
    if offset + (limit as usize) < total {
        answer["paging"] = json!({ "next": { "after": (offset + limit as usize).to_string() } });
    }
    Json(answer).into_response()
}

/// HubSpot's limit on the inputs of one batch request.
const BATCH_LIMIT: usize = 100;

fn batch_too_large() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "Batch size exceeds 100 inputs",
    )
}

fn error(status: StatusCode, category: &str, message: &str) -> Response {
    let body = json!({ "status": "error", "message": message, "category": category, "correlationId": "c0ffee00-0000-4000-8000-000000000001" });
    (status, Json(body)).into_response()
}

/// The consent screen, as if the admin chose an account and approved: back to the app's
/// redirect URL with a one-time code (or an error page for an unknown app or redirect URL,
/// as HubSpot shows one).
async fn authorize(
    State(fake): State<FakeHubSpot>,
    axum::extract::Query(query): axum::extract::Query<BTreeMap<String, String>>,
) -> Response {
    let mut inner = fake.inner.lock().unwrap();
    inner
        .requests
        .push(("GET".into(), "/oauth/authorize".into()));
    let Some(app) = inner.oauth.as_mut() else {
        return (StatusCode::BAD_REQUEST, "no app").into_response();
    };
    let field = |key: &str| query.get(key).cloned().unwrap_or_default();
    if field("client_id") != app.client_id || field("redirect_uri") != app.redirect_uri {
        return (StatusCode::BAD_REQUEST, "unknown app or redirect URL").into_response();
    }
    if field("code_challenge_method") != "S256" || field("code_challenge").is_empty() {
        return (StatusCode::BAD_REQUEST, "PKCE required").into_response();
    }
    for scope in [
        "oauth",
        "crm.objects.contacts.write",
        "crm.objects.deals.write",
    ] {
        if !field("scope").split(' ').any(|s| s == scope) {
            return (StatusCode::BAD_REQUEST, format!("missing scope {scope}")).into_response();
        }
    }
    app.next += 1;
    let code = format!("code-{}", app.next);
    app.codes.insert(code.clone(), field("code_challenge"));
    let location = format!("{}?code={code}&state={}", app.redirect_uri, field("state"));
    (StatusCode::FOUND, [("location", location)]).into_response()
}

fn oauth_error(status: &str, error: &str, message: &str) -> Response {
    let body = json!({
        "status": status, "message": message, "error": error, "error_description": message,
        "correlationId": "c0ffee00-0000-4000-8000-0000000000a1"
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// H1: the token endpoint. Parameters in the form body only; codes are single-use and
/// bound to their PKCE challenge; refresh tokens work until revoked.
async fn token(State(fake): State<FakeHubSpot>, uri: axum::http::Uri, body: Bytes) -> Response {
    use base64::Engine;
    use sha2::Digest;
    let mut inner = fake.inner.lock().unwrap();
    inner.requests.push(("POST".into(), uri.path().into()));
    let Some(app) = inner.oauth.as_mut() else {
        return oauth_error("BAD_CLIENT_ID", "invalid_client", "no such app");
    };
    app.token_requests += 1;
    if uri.query().is_some_and(|q| !q.is_empty()) {
        return oauth_error(
            "BAD_REQUEST",
            "invalid_request",
            "parameters belong in the body",
        );
    }
    let form: BTreeMap<String, String> = url_form(&body);
    let field = |key: &str| form.get(key).cloned().unwrap_or_default();
    if field("client_id") != app.client_id || field("client_secret") != app.client_secret {
        return oauth_error(
            "BAD_CLIENT_ID",
            "invalid_client",
            "missing or unknown client",
        );
    }
    match field("grant_type").as_str() {
        "authorization_code" => {
            let Some(challenge) = app.codes.remove(&field("code")) else {
                return oauth_error(
                    "BAD_AUTH_CODE",
                    "invalid_grant",
                    "missing or unknown auth code",
                );
            };
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(field("code_verifier").as_bytes()));
            if computed != challenge || field("redirect_uri") != app.redirect_uri {
                return oauth_error(
                    "BAD_AUTH_CODE",
                    "invalid_grant",
                    "code verifier or redirect URL does not match",
                );
            }
        }
        "refresh_token" => {
            let presented = field("refresh_token");
            if !app.refresh_tokens.contains(&presented) {
                return oauth_error(
                    "BAD_REFRESH_TOKEN",
                    "invalid_grant",
                    "missing or unknown refresh token",
                );
            }
            app.refreshes += 1;
            if app.rotate {
                app.refresh_tokens.retain(|token| *token != presented);
            }
        }
        _ => {
            return oauth_error(
                "BAD_GRANT_TYPE",
                "unsupported_grant_type",
                "unknown grant type",
            )
        }
    }
    app.next += 1;
    let access = format!("at-{}", app.next);
    let refresh = match (field("grant_type").as_str(), app.rotate) {
        ("refresh_token", false) => field("refresh_token"),
        _ => format!("rt-{}", app.next),
    };
    if !app.refresh_tokens.contains(&refresh) {
        app.refresh_tokens.push(refresh.clone());
    }
    app.access
        .insert(access.clone(), Instant::now() + app.lifetime);
    let body = json!({
        "access_token": access, "refresh_token": refresh, "expires_in": app.lifetime.as_secs(),
        "token_type": "bearer", "token_use": "access_token", "hub_id": 62515,
        "scopes": ["oauth", "crm.objects.contacts.write"]
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// An `application/x-www-form-urlencoded` body.
fn url_form(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Records the request, checks its token and plays the next scripted fault, if any. `Err`
/// is the answer to send instead.
fn authenticate(
    inner: &mut Inner,
    method: &str,
    path: &str,
    headers: &HeaderMap,
) -> Result<(), Box<Response>> {
    inner.requests.push((method.into(), path.into()));
    let expected = format!("Bearer {}", inner.token);
    let presented = headers.get("authorization").and_then(|v| v.to_str().ok());
    let live_access = presented
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| inner.oauth.as_ref()?.access.get(token))
        .is_some_and(|until| Instant::now() < *until);
    if presented != Some(expected.as_str()) && !live_access {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found.",
        )));
    }
    if let Some(fault) = inner.faults.pop_front() {
        let mut response = (
            StatusCode::from_u16(fault.status).unwrap(),
            Json(fault.body),
        )
            .into_response();
        if let Some(seconds) = fault.retry_after {
            response
                .headers_mut()
                .insert("retry-after", seconds.to_string().parse().unwrap());
        }
        if fault.status == 429 {
            inner.limited += 1;
        }
        return Err(Box::new(response));
    }
    Ok(())
}

/// `authenticate`, then the rolling rate limit, before every rate-limited route's own work.
/// Returns the limit and what is left of it, for the rate headers.
fn admit(
    fake: &FakeHubSpot,
    method: &str,
    path: &str,
    headers: &HeaderMap,
) -> Result<(usize, usize), Box<Response>> {
    let mut inner = fake.inner.lock().unwrap();
    authenticate(&mut inner, method, path, headers)?;
    let now = Instant::now();
    let window = inner.window;
    while inner
        .recent
        .front()
        .is_some_and(|at| now.duration_since(*at) >= window)
    {
        inner.recent.pop_front();
    }
    if inner.recent.len() >= inner.limit {
        inner.limited += 1;
        let body = json!({
            "status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "correlationId": "c0ffee00-0000-4000-8000-000000000429",
            "policyName": "TEN_SECONDLY_ROLLING"
        });
        return Err(Box::new(
            (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response(),
        ));
    }
    inner.recent.push_back(now);
    Ok((inner.limit, inner.limit - inner.recent.len()))
}

/// `admit` for a POST with a JSON body, which is parsed.
fn admit_json(
    fake: &FakeHubSpot,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<((usize, usize), Value), Box<Response>> {
    let rate = admit(fake, "POST", path, headers)?;
    let body = serde_json::from_slice::<Value>(body).map_err(|_| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Invalid input JSON",
        ))
    })?;
    Ok((rate, body))
}

fn with_rate(
    mut response: Response,
    fake: &FakeHubSpot,
    (limit, remaining): (usize, usize),
) -> Response {
    let window = fake.inner.lock().unwrap().window.as_millis();
    let headers = response.headers_mut();
    headers.insert(
        "x-hubspot-ratelimit-max",
        limit.to_string().parse().unwrap(),
    );
    headers.insert(
        "x-hubspot-ratelimit-remaining",
        remaining.to_string().parse().unwrap(),
    );
    headers.insert(
        "x-hubspot-ratelimit-interval-milliseconds",
        window.to_string().parse().unwrap(),
    );
    response
}

/// HubSpot's built-in sales pipeline, as the pipelines API shows it.
fn default_pipeline() -> Value {
    let stage = |id: &str, label: &str, order: i64, closed: bool, probability: &str| {
        json!({ "id": id, "label": label, "displayOrder": order, "archived": false,
                "metadata": { "isClosed": closed.to_string(), "probability": probability } })
    };
    json!({ "id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": false, "stages": [
        stage("appointmentscheduled", "Appointment Scheduled", 0, false, "0.2"),
        stage("qualifiedtobuy", "Qualified To Buy", 1, false, "0.4"),
        stage("presentationscheduled", "Presentation Scheduled", 2, false, "0.6"),
        stage("decisionmakerboughtin", "Decision Maker Bought-In", 3, false, "0.8"),
        stage("contractsent", "Contract Sent", 4, false, "0.9"),
        stage("closedwon", "Closed Won", 5, true, "1.0"),
        stage("closedlost", "Closed Lost", 6, true, "0.0"),
    ]})
}

/// `GET /crm/owners/{version}/{ownerId}`: one owner; 404 for an unknown id; 403 when the
/// token lacks `crm.objects.owners.read`.
async fn owner(
    State(fake): State<FakeHubSpot>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let rate = match admit(&fake, "GET", &format!("/crm/owners/{id}"), &headers) {
        Ok(rate) => rate,
        Err(response) => return *response,
    };
    let inner = fake.inner.lock().unwrap();
    let response = if inner.owners_forbidden {
        error(
            StatusCode::FORBIDDEN,
            "MISSING_SCOPES",
            "This app hasn't been granted all required scopes to make this call.",
        )
    } else {
        match inner.owners.get(&id) {
            Some(owner) => Json(owner.clone()).into_response(),
            None => error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", "Owner not found"),
        }
    };
    drop(inner);
    with_rate(response, &fake, rate)
}

/// `GET /crm/pipelines/{version}/deals`: the account's deal pipelines with their stages.
async fn pipelines(State(fake): State<FakeHubSpot>, headers: HeaderMap) -> Response {
    let rate = match admit(&fake, "GET", "/crm/pipelines/deals", &headers) {
        Ok(rate) => rate,
        Err(response) => return *response,
    };
    let results = fake.inner.lock().unwrap().pipelines.clone();
    with_rate(
        Json(json!({ "results": results })).into_response(),
        &fake,
        rate,
    )
}

async fn list(
    State(fake): State<FakeHubSpot>,
    Path(object): Path<String>,
    headers: HeaderMap,
) -> Response {
    let rate = match admit(&fake, "GET", &format!("/crm/objects/{object}"), &headers) {
        Ok(rate) => rate,
        Err(response) => return *response,
    };
    let results: Vec<Value> = fake
        .records(&object)
        .into_iter()
        .take(1)
        .map(|r| json!({ "id": r.id, "properties": r.properties }))
        .collect();
    with_rate(
        Json(json!({ "results": results })).into_response(),
        &fake,
        rate,
    )
}

/// `POST /crm/objects/{version}/notes` (201): `hs_timestamp` is required and the body at
/// most 65,536 characters; each association must name an existing contact with the
/// documented note→contact type 202. Other objects are not created through this fake.
async fn create_note(
    State(fake): State<FakeHubSpot>,
    Path(object): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (rate, body) = match admit_json(&fake, &format!("/crm/objects/{object}"), &headers, &body) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    if object != "notes" {
        return error(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "Only notes are created here",
        );
    }
    let properties: BTreeMap<String, String> = body
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !properties.contains_key("hs_timestamp") {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Property values were not valid: hs_timestamp is required",
        );
    }
    if properties
        .get("hs_note_body")
        .is_some_and(|b| b.chars().count() > 65_536)
    {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "hs_note_body exceeds 65536 characters",
        );
    }
    let mut inner = fake.inner.lock().unwrap();
    let mut contacts = Vec::new();
    for association in body
        .get("associations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let to = association
            .pointer("/to/id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let type_id = association
            .pointer("/types/0/associationTypeId")
            .and_then(Value::as_i64);
        let known = inner
            .records
            .get("contacts")
            .is_some_and(|r| r.iter().any(|c| c.id == to));
        if type_id != Some(202) || !known {
            return error(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                "One or more associations are invalid",
            );
        }
        contacts.push(to.to_string());
    }
    inner.next_id += 1;
    let id = inner.next_id.to_string();
    for contact in contacts {
        inner
            .associations
            .push(("notes".into(), id.clone(), "contacts".into(), contact));
    }
    inner
        .records
        .entry("notes".into())
        .or_default()
        .push(Record {
            id: id.clone(),
            properties: properties.clone(),
        });
    drop(inner);
    with_rate(
        (
            StatusCode::CREATED,
            Json(json!({ "id": id, "properties": properties })),
        )
            .into_response(),
        &fake,
        rate,
    )
}

/// `PUT …/{from}/{id}/associations/default/{to}/{id}`: both records must exist (404).
async fn associate_default(
    State(fake): State<FakeHubSpot>,
    Path((from, from_id, to, to_id)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/crm/objects/{from}/{from_id}/associations/default/{to}/{to_id}");
    let rate = match admit(&fake, "PUT", &path, &headers) {
        Ok(rate) => rate,
        Err(response) => return *response,
    };
    let mut inner = fake.inner.lock().unwrap();
    let exists = |object: &str, id: &str| {
        inner
            .records
            .get(object)
            .is_some_and(|r| r.iter().any(|x| x.id == id))
    };
    if !exists(&from, &from_id) || !exists(&to, &to_id) {
        return error(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "One of the records does not exist",
        );
    }
    let link = (from.clone(), from_id.clone(), to.clone(), to_id.clone());
    if !inner.associations.contains(&link) {
        inner.associations.push(link);
    }
    drop(inner);
    let body = json!({"status": "COMPLETE", "results": [{"from": {"id": from_id}, "to": {"id": to_id},
        "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 214}}]});
    with_rate(Json(body).into_response(), &fake, rate)
}

async fn create_group(
    State(fake): State<FakeHubSpot>,
    Path(object): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (rate, body) = match admit_json(
        &fake,
        &format!("/crm/properties/{object}/groups"),
        &headers,
        &body,
    ) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    if body.get("name").and_then(Value::as_str).is_none()
        || body.get("label").and_then(Value::as_str).is_none()
    {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "name and label are required",
        );
    }
    with_rate(
        (StatusCode::CREATED, Json(body)).into_response(),
        &fake,
        rate,
    )
}

async fn create_properties(
    State(fake): State<FakeHubSpot>,
    Path(object): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (rate, body) = match admit_json(
        &fake,
        &format!("/crm/properties/{object}/batch/create"),
        &headers,
        &body,
    ) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    let mut inner = fake.inner.lock().unwrap();
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in body
        .get("inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_string);
        let (Some(name), Some(_label), Some(kind), Some(_field), Some(_group)) = (
            text("name"),
            text("label"),
            text("type"),
            text("fieldType"),
            text("groupName"),
        ) else {
            errors.push(json!({ "status": "error", "category": "VALIDATION_ERROR", "message": "name, label, type, fieldType and groupName are required" }));
            continue;
        };
        let options: Vec<String> = input
            .get("options")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| o.get("value").and_then(Value::as_str).map(str::to_string))
            .collect();
        if kind == "enumeration" && options.is_empty() {
            errors.push(json!({ "status": "error", "category": "VALIDATION_ERROR", "message": format!("{name}: enumeration needs options") }));
            continue;
        }
        let existing = inner.properties.entry(object.clone()).or_default();
        if existing.contains_key(&name) {
            errors.push(json!({ "status": "error", "category": "OBJECT_ALREADY_EXISTS", "message": format!("A property named '{name}' already exists.") }));
            continue;
        }
        let unique = input
            .get("hasUniqueValue")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        existing.insert(
            name.clone(),
            Property {
                kind: kind.clone(),
                unique,
                options,
            },
        );
        results.push(json!({ "name": name, "type": kind, "hasUniqueValue": unique }));
    }
    drop(inner);
    let status = if errors.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::MULTI_STATUS
    };
    let body = json!({ "status": "COMPLETE", "results": results, "numErrors": errors.len(), "errors": errors });
    with_rate((status, Json(body)).into_response(), &fake, rate)
}

async fn read_property(
    State(fake): State<FakeHubSpot>,
    Path((object, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let rate = match admit(
        &fake,
        "GET",
        &format!("/crm/properties/{object}/{name}"),
        &headers,
    ) {
        Ok(rate) => rate,
        Err(response) => return *response,
    };
    let property = fake
        .inner
        .lock()
        .unwrap()
        .properties
        .get(&object)
        .and_then(|p| p.get(&name))
        .cloned();
    match property {
        Some(property) => with_rate(
            Json(json!({ "name": name, "type": property.kind, "hasUniqueValue": property.unique }))
                .into_response(),
            &fake,
            rate,
        ),
        None => error(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "resource not found",
        ),
    }
}

/// Why one input's properties are refused, HubSpot style, if they are.
fn refuse(props: &BTreeMap<String, Property>, values: &BTreeMap<String, String>) -> Option<String> {
    for (name, value) in values {
        let Some(property) = props.get(name) else {
            return Some(format!(
                "PROPERTY_DOESNT_EXIST: Property \"{name}\" does not exist"
            ));
        };
        if value.is_empty() {
            continue;
        }
        match property.kind.as_str() {
            "date" => match value.parse::<i64>() {
                Ok(ms) if ms.rem_euclid(86_400_000) == 0 => {}
                _ => {
                    return Some(format!(
                        "INVALID_DATE: {value} is not midnight UTC ({name})"
                    ))
                }
            },
            "datetime" | "number" if value.parse::<f64>().is_err() => {
                return Some(format!("INVALID_LONG: {value} is not a number ({name})"));
            }
            "enumeration" if !property.options.iter().any(|o| o == value) => {
                return Some(format!(
                    "INVALID_OPTION: {value} was not one of the allowed options ({name})"
                ));
            }
            _ => {}
        }
    }
    None
}

async fn batch_upsert(
    State(fake): State<FakeHubSpot>,
    Path(object): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (rate, body) = match admit_json(
        &fake,
        &format!("/crm/objects/{object}/batch/upsert"),
        &headers,
        &body,
    ) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    let inputs = body
        .get("inputs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if inputs.len() > BATCH_LIMIT {
        return batch_too_large();
    }
    let mut inner = fake.inner.lock().unwrap();
    let props = inner.properties.get(&object).cloned().unwrap_or_default();
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        let trace = input
            .get("objectWriteTraceId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let fail = |message: String| {
            let category = "VALIDATION_ERROR";
            json!({ "status": "error", "category": category, "message": message, "context": { "objectWriteTraceId": [trace.clone()] }, "errors": [], "links": {} })
        };
        let (Some(id_property), Some(id)) = (
            input.get("idProperty").and_then(Value::as_str),
            input.get("id").and_then(Value::as_str),
        ) else {
            errors.push(fail("idProperty and id are required".into()));
            continue;
        };
        if !props.get(id_property).is_some_and(|p| p.unique) {
            errors.push(fail(format!("{id_property} is not a unique property")));
            continue;
        }
        let values: BTreeMap<String, String> = input
            .get("properties")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(message) = refuse(&props, &values) {
            errors.push(fail(message));
            continue;
        }
        let records = inner.records.entry(object.clone()).or_default();
        let key_matches = |r: &Record| {
            r.properties
                .get(id_property)
                .is_some_and(|v| v.eq_ignore_ascii_case(id))
        };
        let existing = records.iter().position(key_matches);
        if existing.is_none() && object == "deals" {
            if let Some(missing) = ["dealname", "pipeline", "dealstage"]
                .iter()
                .find(|p| !values.contains_key(**p))
            {
                errors.push(fail(format!(
                    "REQUIRED_PROPERTY: {missing} is required to create a deal"
                )));
                continue;
            }
        }
        let mut values = values;
        values.insert("hs_lastmodifieddate".into(), now_ms().to_string());
        let (record, new) = match existing {
            Some(index) => {
                let record = &mut records[index];
                record.properties.extend(values);
                (record.clone(), false)
            }
            None => {
                let id_value = id.to_string();
                let mut properties = values;
                properties.insert(id_property.to_string(), id_value);
                inner.next_id += 1;
                let record = Record {
                    id: inner.next_id.to_string(),
                    properties,
                };
                inner
                    .records
                    .entry(object.clone())
                    .or_default()
                    .push(record.clone());
                (record, true)
            }
        };
        inner
            .writes
            .push((object.clone(), id.to_lowercase(), Instant::now()));
        results.push(json!({
            "id": record.id, "new": new, "archived": false,
            "createdAt": "2026-12-01T00:00:00Z", "updatedAt": "2026-12-01T00:00:00Z",
            "properties": record.properties,
        }));
    }
    drop(inner);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    let mut body = json!({ "status": "COMPLETE", "startedAt": "2026-12-01T00:00:00Z", "completedAt": "2026-12-01T00:00:00Z", "results": results });
    if !errors.is_empty() {
        body["numErrors"] = json!(errors.len());
        body["errors"] = json!(errors);
    }
    with_rate((status, Json(body)).into_response(), &fake, rate)
}
