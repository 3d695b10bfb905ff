//! A thin HubSpot client for the few endpoints the sync needs (date-versioned API paths).
//! The base URL and version are configuration, so tests point it at a local fake.
use crate::domain::crm::{Answer, InboundDeal, PropertySpec, HUBSPOT_PROPERTIES, PROPERTY_GROUP};
use crate::domain::crm_inbound::{bounded_owner_text, InboundOwner, StageMap};
use crate::server::repo::crm::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The HTTP client the CRM sync shares: short timeouts, and no redirects (a token must never
/// follow one to another host).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client with default TLS builds")
}

pub struct HubSpot<'a> {
    pub http: &'a reqwest::Client,
    pub base: &'a str,
    pub version: &'a str,
    /// Owned: an OAuth access token is replaced mid-run when HubSpot refuses it.
    pub token: String,
    /// The stored session the token is (0 for a private-app token).
    pub generation: i64,
}

const MAX_BODY_BYTES: usize = 4 << 20;

/// The body, or `None` if it is longer than `limit` or breaks off.
pub(super) async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return None;
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > limit {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// One answer from HubSpot: what the sync rules judge, and the body for the details.
#[derive(Debug, Clone)]
pub struct Reply {
    pub answer: Answer,
    pub body: Value,
    /// `X-HubSpot-RateLimit-Remaining` and `-Interval-Milliseconds`, when sent.
    pub remaining: Option<i64>,
    pub interval_ms: Option<i64>,
}

impl Reply {
    fn failed() -> Reply {
        Reply {
            answer: Answer::default(),
            body: Value::Null,
            remaining: None,
            interval_ms: None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.answer.status
    }

    pub fn ok(&self) -> bool {
        matches!(self.answer.status, Some(200..=299))
    }

    /// HubSpot's `correlationId`, which its support asks for.
    pub fn correlation_id(&self) -> Option<String> {
        self.body
            .get("correlationId")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The category and message of an error body, bounded, for admins.
    pub fn summary(&self) -> String {
        let text = |key: &str| self.body.get(key).and_then(Value::as_str);
        crate::domain::crm::error_summary(self.answer.status, text("category"), text("message"))
    }
}

/// The result of one record in a batch upsert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordResult {
    /// Written; the CRM's id of the record.
    Written { crm_id: String },
    /// Refused, with HubSpot's category and message.
    Refused { error: String },
}

/// One record of a batch upsert: our trace id (the outbox row), its key and its properties.
pub struct UpsertInput {
    pub trace_id: i64,
    pub key: String,
    pub properties: BTreeMap<String, String>,
}

impl<'a> HubSpot<'a> {
    /// The client of a saved connection, with its opened token.
    pub fn of(
        http: &'a reqwest::Client,
        connection: &'a Connection,
        session: super::salesforce::Session,
    ) -> HubSpot<'a> {
        HubSpot {
            http,
            base: &connection.api_base,
            version: &connection.api_version,
            token: session.token,
            generation: session.generation,
        }
    }
}

impl HubSpot<'_> {
    fn url(&self, area: &str, rest: &str) -> String {
        format!(
            "{}/{area}/{}/{rest}",
            self.base.trim_end_matches('/'),
            self.version
        )
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = match request.bearer_auth(&self.token).send().await {
            Ok(response) => response,
            Err(_) => return Reply::failed(),
        };
        let status = response.status().as_u16();
        let number = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<i64>().ok())
        };
        let retry_after_s = number("retry-after");
        let remaining = number("x-hubspot-ratelimit-remaining");
        let interval_ms = number("x-hubspot-ratelimit-interval-milliseconds");
        // A body over 4 MiB is not HubSpot's answer to anything the sync sends: it is read
        // chunk by chunk and dropped at the bound, never held whole.
        let body = read_bounded(response, MAX_BODY_BYTES)
            .await
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null);
        let policy = body
            .get("policyName")
            .and_then(Value::as_str)
            .map(str::to_string);
        Reply {
            answer: Answer {
                status: Some(status),
                retry_after_s,
                policy,
            },
            body,
            remaining,
            interval_ms,
        }
    }

    /// "Test connection": reads one contact, which needs a working token with CRM scope.
    pub async fn check(&self) -> Reply {
        self.send(self.http.get(self.url("crm/objects", "contacts?limit=1")))
            .await
    }

    /// Creates the portal's property group and properties on each object. Existing ones count
    /// as installed (409, or a 207 whose errors all say the property exists); then each
    /// property is read back and its type compared. Returns the problems found, if any.
    pub async fn install(&self) -> Result<Vec<String>, Reply> {
        for object in ["contacts", "companies", "deals"] {
            let group =
                json!({ "name": PROPERTY_GROUP, "label": "Partner portal", "displayOrder": -1 });
            let reply = self
                .send(
                    self.http
                        .post(self.url("crm/properties", &format!("{object}/groups")))
                        .json(&group),
                )
                .await;
            if !reply.ok() && reply.status() != Some(409) {
                return Err(reply);
            }
            let inputs: Vec<Value> = HUBSPOT_PROPERTIES
                .iter()
                .filter(|p| p.object == object)
                .map(property_create)
                .collect();
            let reply = self
                .send(
                    self.http
                        .post(self.url("crm/properties", &format!("{object}/batch/create")))
                        .json(&json!({ "inputs": inputs })),
                )
                .await;
            if !reply.ok() && reply.status() != Some(409) {
                return Err(reply);
            }
        }
        self.check_schema().await
    }

    /// The schema check (after install, and daily): reads each of the portal's properties
    /// back and compares its type. Returns the problems found (missing, wrong type).
    pub async fn check_schema(&self) -> Result<Vec<String>, Reply> {
        let mut problems = Vec::new();
        for spec in HUBSPOT_PROPERTIES {
            let object = spec.object;
            let reply = self
                .send(
                    self.http
                        .get(self.url("crm/properties", &format!("{object}/{}", spec.name))),
                )
                .await;
            if reply.status() == Some(401) || reply.status().is_none() {
                return Err(reply);
            }
            if !reply.ok() {
                problems.push(format!(
                    "{object}.{} is missing ({})",
                    spec.name,
                    reply.summary()
                ));
                continue;
            }
            let found = reply.body.get("type").and_then(Value::as_str).unwrap_or("");
            if found != spec.kind {
                problems.push(format!(
                    "{object}.{} is of type {found}, expected {}",
                    spec.name, spec.kind
                ));
            }
        }
        Ok(problems)
    }

    /// Upserts up to a batch of records of one object, keyed on `id_property`. On 200 or 207
    /// returns each input's result by trace id; otherwise the reply, for the sync rules.
    pub async fn batch_upsert(
        &self,
        object: &str,
        id_property: &str,
        inputs: &[UpsertInput],
    ) -> (Reply, BTreeMap<i64, RecordResult>) {
        let body = json!({
            "inputs": inputs.iter().map(|input| json!({
                "idProperty": id_property,
                "id": input.key,
                "objectWriteTraceId": input.trace_id.to_string(),
                "properties": input.properties,
            })).collect::<Vec<_>>()
        });
        let reply = self
            .send(
                self.http
                    .post(self.url("crm/objects", &format!("{object}/batch/upsert")))
                    .json(&body),
            )
            .await;
        let mut results = BTreeMap::new();
        if !reply.ok() {
            return (reply, results);
        }
        for error in reply
            .body
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let message = crate::domain::crm::error_summary(
                None,
                error.get("category").and_then(Value::as_str),
                error.get("message").and_then(Value::as_str),
            );
            let traces = error
                .pointer("/context/objectWriteTraceId")
                .and_then(Value::as_array);
            for trace in traces.into_iter().flatten().filter_map(Value::as_str) {
                if let Ok(trace) = trace.parse::<i64>() {
                    results.insert(
                        trace,
                        RecordResult::Refused {
                            error: message.clone(),
                        },
                    );
                }
            }
        }
        for result in reply
            .body
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(crm_id) = result.get("id").and_then(Value::as_str) else {
                continue;
            };
            let key = result
                .pointer(&format!("/properties/{id_property}"))
                .and_then(Value::as_str);
            let input = inputs
                .iter()
                .find(|input| key.is_some_and(|key| key.eq_ignore_ascii_case(&input.key)));
            if let Some(input) = input {
                results.insert(
                    input.trace_id,
                    RecordResult::Written {
                        crm_id: crm_id.to_string(),
                    },
                );
            }
        }
        (reply, results)
    }
}

impl HubSpot<'_> {
    /// Creates a note on the timeline of a contact (HubSpot's documented note→contact
    /// association, type 202).
    pub async fn create_note(&self, properties: &Value, contact_id: &str) -> Reply {
        let body = json!({
            "properties": properties,
            "associations": [{
                "to": { "id": contact_id },
                "types": [{ "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202 }],
            }],
        });
        self.send(self.http.post(self.url("crm/objects", "notes")).json(&body))
            .await
    }

    /// Adds the default association between two records (a note and a deal); repeating it
    /// is harmless.
    pub async fn associate(&self, from: (&str, &str), to: (&str, &str)) -> Reply {
        let rest = format!(
            "{}/{}/associations/default/{}/{}",
            from.0, from.1, to.0, to.1
        );
        self.send(self.http.put(self.url("crm/objects", &rest)))
            .await
    }
}

impl HubSpot<'_> {
    /// One page of the portal's deals modified since `since` (epoch ms), oldest first, with
    /// the fields that flow back; and the cursor of the next page, if any.
    pub async fn modified_deals(
        &self,
        since: i64,
        after: Option<&str>,
        stages: &StageMap,
    ) -> (Reply, Vec<InboundDeal>, Option<String>) {
        let mut body = json!({
            "filterGroups": [{ "filters": [
                { "propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since.to_string() },
                { "propertyName": "prm_registration_id", "operator": "HAS_PROPERTY" },
            ]}],
            "properties": INBOUND_DEAL_PROPERTIES,
            "sorts": [{ "propertyName": "hs_lastmodifieddate", "direction": "ASCENDING" }],
            "limit": 100,
        });
        if let Some(after) = after {
            body["after"] = json!(after);
        }
        let reply = self
            .send(
                self.http
                    .post(self.url("crm/objects", "deals/search"))
                    .json(&body),
            )
            .await;
        if !reply.ok() {
            return (reply, Vec::new(), None);
        }
        let deals = inbound_deals(&reply.body, stages);
        let next = reply
            .body
            .pointer("/paging/next/after")
            .and_then(Value::as_str)
            .map(str::to_string);
        (reply, deals, next)
    }

    /// The current state of up to 100 deals by HubSpot id (the webhook path: a batch read is
    /// consistent at once, where search lags behind a change). Deals that are not the
    /// portal's (no `prm_registration_id`) or no longer exist are left out.
    pub async fn read_deals(
        &self,
        ids: &[String],
        stages: &StageMap,
    ) -> (Reply, Vec<(String, InboundDeal)>) {
        let body = json!({
            "properties": INBOUND_DEAL_PROPERTIES,
            "inputs": ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
        });
        let reply = self
            .send(
                self.http
                    .post(self.url("crm/objects", "deals/batch/read"))
                    .json(&body),
            )
            .await;
        if !reply.ok() {
            return (reply, Vec::new());
        }
        let paired = reply
            .body
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|result| {
                let id = result.get("id")?.as_str()?.to_string();
                Some((id, inbound_deal(result, stages)?))
            })
            .collect();
        (reply, paired)
    }
}

/// The deal properties the portal reads back.
const INBOUND_DEAL_PROPERTIES: [&str; 7] = [
    "prm_registration_id",
    "pipeline",
    "dealstage",
    "amount",
    "closedate",
    "hubspot_owner_id",
    "hs_lastmodifieddate",
];

/// A deal object of a search or batch read, if it is one of the portal's. Its owner is
/// HubSpot's owner id, not yet named (see `sync::name_hubspot_owners`).
fn inbound_deal(result: &Value, stages: &StageMap) -> Option<InboundDeal> {
    let text = |name: &str| {
        result
            .pointer(&format!("/properties/{name}"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let owner = match text("hubspot_owner_id").map(|id| bounded_owner_text(&id)) {
        Some(id) if !id.is_empty() => InboundOwner::Person {
            id,
            name: String::new(),
        },
        _ => InboundOwner::Nobody,
    };
    Some(InboundDeal {
        registration_id: text("prm_registration_id")?.trim().parse().ok()?,
        // A stage the admin's map leaves unmapped changes nothing.
        stage: text("dealstage")
            .and_then(|stage| stages.portal_stage(text("pipeline").as_deref(), &stage)),
        amount: text("amount"),
        close_date: text("closedate"),
        modified_at: text("hs_lastmodifieddate")
            .as_deref()
            .and_then(crate::domain::crm::hubspot_instant)
            .unwrap_or(0),
        owner,
    })
}

/// The portal's deals among the `results` of a search or batch read.
fn inbound_deals(body: &Value, stages: &StageMap) -> Vec<InboundDeal> {
    body.get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|result| inbound_deal(result, stages))
        .collect()
}

impl HubSpot<'_> {
    /// One owner by HubSpot's owner id (the owners API; `crm.objects.owners.read`). The id
    /// must have passed `crm_inbound::is_hubspot_owner_id`.
    pub async fn owner(&self, id: &str) -> Reply {
        self.send(self.http.get(self.url("crm/owners", id))).await
    }

    /// The account's deal pipelines with their stages.
    pub async fn deal_pipelines(&self) -> Reply {
        self.send(self.http.get(self.url("crm/pipelines", "deals")))
            .await
    }
}

fn property_create(spec: &PropertySpec) -> Value {
    let mut property = json!({
        "name": spec.name,
        "label": spec.label,
        "type": spec.kind,
        "fieldType": spec.field_type,
        "groupName": PROPERTY_GROUP,
        "hasUniqueValue": spec.unique,
    });
    if !spec.options.is_empty() {
        property["options"] = spec
            .options
            .iter()
            .enumerate()
            .map(|(order, value)| json!({ "label": value, "value": value, "displayOrder": order, "hidden": false }))
            .collect();
    }
    property
}
