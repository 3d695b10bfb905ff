//! Salesforce sync rules: which object and External ID each portal record becomes, the
//! records the worker upserts (sObject Collections, keyed on the External ID), the fields an
//! admin must create, and what Salesforce's answers mean. Pure: the worker sends what these
//! functions build.
//!
//! The records reuse the portal's field ids and the admin's directions from `crm`, so one
//! mapping table governs both CRMs; only the names and value types differ here.
//!
//! Assumptions `crm_sync.md` (or no page read) leaves unverified live here and only here:
//! per-record errors of a collections upsert carry `statusCode` (single-record errors carry
//! `errorCode`; both are read); SOQL allows a semi-join on `Lead.ConvertedOpportunityId`
//! (`changed_opportunities_query`). A Contact is filed under its Account by the Account's Salesforce id (known
//! from the portal's links), not by the unverified parent-by-External-ID syntax.
use super::crm::{CompanyFacts, ContactFacts, RegistrationFacts, SyncKind, Verdict};
use super::validation::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Records per collections upsert: Salesforce's maximum.
pub const SALESFORCE_BATCH: usize = 200;
/// The REST API version a new connection uses (Spring '26).
pub const DEFAULT_API_VERSION: &str = "v66.0";
/// A session is minted again after this long, before Salesforce's idle timeout (2 h by
/// default) can end it mid-batch. Neither server-to-server flow says when a session expires.
pub const SESSION_MAX_AGE_MS: i64 = 60 * 60_000;
/// Sent on every call (`Sforce-Call-Options`), so Salesforce marks the portal's own changes.
pub const CALL_OPTIONS: &str = "client=prm-portal";
/// Past this share of the rolling daily allocation, the queue waits: the vendor's other
/// integrations need the rest.
pub const USAGE_CEILING_PERCENT: i64 = 80;
/// How long the queue waits when the allocation is spent or nearly so. The allocation rolls
/// over 24 hours and Salesforce sends no Retry-After, so the worker looks again hourly.
pub const LIMIT_PAUSE_MS: i64 = 60 * 60_000;
/// How long one worker may hold the right to mint a session before another may take it.
pub const MINT_LEASE_MS: i64 = 30_000;

/// What a deal registration becomes in Salesforce: a Lead (Salesforce's own Partner Cloud
/// "Register Deal" flow creates one; sales converts it) or, for orgs that work partner deals
/// as Opportunities from the start, an Opportunity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationTarget {
    #[default]
    Lead,
    Opportunity,
}

impl RegistrationTarget {
    pub const ALL: [RegistrationTarget; 2] =
        [RegistrationTarget::Lead, RegistrationTarget::Opportunity];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationTarget::Lead => "lead",
            RegistrationTarget::Opportunity => "opportunity",
        }
    }

    pub fn parse(text: &str) -> Option<RegistrationTarget> {
        RegistrationTarget::ALL
            .into_iter()
            .find(|target| target.as_str() == text)
    }

    /// As the CRM page offers it.
    pub fn label(self) -> &'static str {
        match self {
            RegistrationTarget::Lead => "Leads (sales converts them)",
            RegistrationTarget::Opportunity => "Opportunities",
        }
    }
}

/// The Salesforce object a portal record becomes.
pub fn object(kind: SyncKind, target: RegistrationTarget) -> &'static str {
    match (kind, target) {
        (SyncKind::Company, _) => "Account",
        (SyncKind::Contact, _) => "Contact",
        (SyncKind::Registration, RegistrationTarget::Lead) => "Lead",
        (SyncKind::Registration, RegistrationTarget::Opportunity) => "Opportunity",
        // A partner's reply is a completed Task on the timeline.
        (SyncKind::Reply, _) => "Task",
    }
}

/// A field's name on the object it is written to: an Opportunity has its own standard
/// `Name` and `Amount` where a Lead takes `LastName` and the custom registered amount.
pub fn api_name(field: &SalesforceField, target: RegistrationTarget) -> &'static str {
    match (field.kind, target, field.portal_field) {
        (SyncKind::Registration, RegistrationTarget::Opportunity, "dealname") => "Name",
        (SyncKind::Registration, RegistrationTarget::Opportunity, "amount") => "Amount",
        _ => field.api_name,
    }
}

/// The External ID field (unique) an upsert of `kind` is keyed on: the portal's own id, not
/// an email (some address endings are refused as External ID values).
pub fn external_id(kind: SyncKind) -> &'static str {
    match kind {
        SyncKind::Company => "Portal_Org_Id__c",
        SyncKind::Contact => "Portal_User_Id__c",
        SyncKind::Registration => "Portal_Registration_Id__c",
        // Tasks are created, not upserted (External IDs on activities are unverified).
        SyncKind::Reply => "Id",
    }
}

/// How a value is written to a Salesforce field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    LongText,
    Date,
    DateTime,
    Number,
}

impl FieldType {
    /// The type's name in Setup, for the instructions.
    fn setup_name(self) -> &'static str {
        match self {
            FieldType::Text => "Text (255)",
            FieldType::LongText => "Text Area (Long)",
            FieldType::Date => "Date",
            FieldType::DateTime => "Date/Time",
            FieldType::Number => "Number (18, 2)",
        }
    }

    /// The `type` values a describe may report for a field of this type.
    fn accepts(self, described: &str) -> bool {
        match self {
            FieldType::Text => matches!(described, "string" | "textarea" | "picklist" | "email"),
            FieldType::LongText => matches!(described, "textarea" | "string"),
            FieldType::Date => described == "date",
            FieldType::DateTime => described == "datetime",
            FieldType::Number => matches!(described, "double" | "currency" | "int" | "percent"),
        }
    }
}

/// A portal field (its id in `crm::FIELD_RULES`) and the Salesforce field it is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalesforceField {
    pub kind: SyncKind,
    pub portal_field: &'static str,
    pub api_name: &'static str,
    pub label: &'static str,
    pub field_type: FieldType,
}

const fn field(
    kind: SyncKind,
    portal_field: &'static str,
    api_name: &'static str,
    label: &'static str,
    field_type: FieldType,
) -> SalesforceField {
    SalesforceField {
        kind,
        portal_field,
        api_name,
        label,
        field_type,
    }
}

use FieldType::{Date, DateTime, LongText, Number, Text};
use SyncKind::{Company, Contact, Registration};

/// Every field the portal writes. Custom fields (`__c`) are the admin's to create; the
/// External IDs among them must be marked External ID and Unique.
pub const SALESFORCE_FIELDS: &[SalesforceField] = &[
    field(
        Company,
        "prm_org_id",
        "Portal_Org_Id__c",
        "Portal Org Id",
        Text,
    ),
    field(Company, "name", "Name", "Account Name", Text),
    field(
        Company,
        "prm_partner_type",
        "Portal_Partner_Type__c",
        "Partner Type",
        Text,
    ),
    field(
        Company,
        "prm_partner_tier",
        "Portal_Partner_Tier__c",
        "Partner Tier",
        Text,
    ),
    field(
        Company,
        "prm_region",
        "Portal_Region__c",
        "Partner Region",
        Text,
    ),
    field(
        Company,
        "prm_certified_people",
        "Portal_Certified_People__c",
        "Certified People",
        Number,
    ),
    field(
        Company,
        "prm_certified_by_role",
        "Portal_Certified_By_Role__c",
        "Certified By Role",
        LongText,
    ),
    field(
        Company,
        "prm_rights",
        "Portal_Rights__c",
        "Partner Rights",
        LongText,
    ),
    field(
        Contact,
        "prm_portal_user_id",
        "Portal_User_Id__c",
        "Portal User Id",
        Text,
    ),
    field(Contact, "email", "Email", "Email", Text),
    field(Contact, "firstname", "FirstName", "First Name", Text),
    field(Contact, "lastname", "LastName", "Last Name", Text),
    field(
        Contact,
        "prm_partner_role",
        "Portal_Partner_Role__c",
        "Partner Job Role",
        Text,
    ),
    field(
        Contact,
        "prm_certifications",
        "Portal_Certifications__c",
        "Certifications Held",
        LongText,
    ),
    field(
        Contact,
        "prm_last_certified_on",
        "Portal_Last_Certified_On__c",
        "Last Certified On",
        Date,
    ),
    field(
        Contact,
        "prm_next_cert_expiry",
        "Portal_Next_Cert_Expiry__c",
        "Next Certificate Expiry",
        Date,
    ),
    field(
        Contact,
        "prm_paths_completed",
        "Portal_Paths_Completed__c",
        "Learning Paths Completed",
        Number,
    ),
    field(
        Contact,
        "prm_training_last_activity",
        "Portal_Training_Last_Activity__c",
        "Last Training Activity",
        DateTime,
    ),
    field(
        Registration,
        "prm_registration_id",
        "Portal_Registration_Id__c",
        "Portal Registration Id",
        Text,
    ),
    field(Registration, "dealname", "LastName", "Last Name", Text),
    field(
        Registration,
        "amount",
        "Portal_Amount__c",
        "Registered Amount",
        Number,
    ),
    field(
        Registration,
        "prm_registration_status",
        "Portal_Registration_Status__c",
        "Registration Status",
        Text,
    ),
    field(
        Registration,
        "prm_protection_expires_on",
        "Portal_Protection_Expires__c",
        "Protection Expires",
        Date,
    ),
    field(
        Registration,
        "prm_registering_partner",
        "Portal_Registering_Partner__c",
        "Registering Partner",
        Text,
    ),
    field(
        Registration,
        "prm_motion",
        "Portal_Motion__c",
        "Motion",
        Text,
    ),
];

fn is_custom(api_name: &str) -> bool {
    api_name.ends_with("__c")
}

/// A portal value (as `crm`'s builders give it: epoch milliseconds for dates, decimal text
/// for numbers, empty for none) as Salesforce JSON. Empty clears the field (`null`).
fn value(field_type: FieldType, text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    let instant = || {
        text.parse::<i64>()
            .ok()
            .and_then(chrono::DateTime::from_timestamp_millis)
    };
    match field_type {
        FieldType::Text | FieldType::LongText => Value::String(text.to_string()),
        FieldType::Date => instant().map_or(Value::Null, |at| {
            Value::String(at.format("%Y-%m-%d").to_string())
        }),
        FieldType::DateTime => instant().map_or(Value::Null, |at| {
            Value::String(at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        }),
        FieldType::Number => text
            .parse::<serde_json::Number>()
            .map_or(Value::Null, Value::Number),
    }
}

/// A record of `kind` for a collections upsert: its type, its External ID, and each written
/// portal field under its Salesforce name.
fn record(
    kind: SyncKind,
    target: RegistrationTarget,
    key: &str,
    properties: &std::collections::BTreeMap<String, String>,
) -> Map<String, Value> {
    let mut record = Map::new();
    record.insert("attributes".into(), json!({ "type": object(kind, target) }));
    for field in SALESFORCE_FIELDS.iter().filter(|field| field.kind == kind) {
        if let Some(text) = properties.get(field.portal_field) {
            record.insert(
                api_name(field, target).into(),
                value(field.field_type, text),
            );
        }
    }
    // The key is always sent: it identifies the record whatever the directions say.
    record.insert(external_id(kind).into(), Value::String(key.to_string()));
    record
}

/// The Account of a partner organisation.
pub fn account_record(facts: &CompanyFacts, writes: &dyn Fn(&str) -> bool) -> Map<String, Value> {
    let properties = super::crm::company_properties(facts, writes);
    record(
        Company,
        RegistrationTarget::Lead,
        &facts.org_id.to_string(),
        &properties,
    )
}

/// The Contact of a partner person, under their organisation's Account when Salesforce has
/// it (`account_id`, the Account's Salesforce id from the portal's links).
pub fn contact_record(
    facts: &ContactFacts,
    account_id: Option<&str>,
    writes: &dyn Fn(&str) -> bool,
) -> Map<String, Value> {
    let properties = super::crm::contact_properties(facts, writes);
    let mut record = record(
        Contact,
        RegistrationTarget::Lead,
        &facts.user_id.to_string(),
        &properties,
    );
    // Salesforce requires a last name: a one-word name is the last name.
    let blank =
        |value: Option<&Value>| value.is_none_or(|value| value.as_str().is_none_or(str::is_empty));
    if record.contains_key("LastName") && blank(record.get("LastName")) {
        let first = record.remove("FirstName").unwrap_or(Value::Null);
        let name = if blank(Some(&first)) {
            Value::String(facts.email.clone())
        } else {
            first
        };
        record.insert("LastName".into(), name);
    }
    if let Some(account_id) = account_id {
        record.insert("AccountId".into(), Value::String(account_id.to_string()));
    }
    record
}

/// The Lead of a deal registration. The portal does not collect the customer's contact
/// person, so the Lead is named after the registration (customer and partner) and its
/// Company is the customer. `LeadSource` is "Partner" when the portal creates it; stage and
/// amount are the CRM's once it has the Lead, as with HubSpot.
pub fn lead_record(
    facts: &RegistrationFacts,
    creating: bool,
    writes: &dyn Fn(&str) -> bool,
) -> Map<String, Value> {
    registration_record(facts, RegistrationTarget::Lead, creating, writes, 0)
}

/// How far ahead a new Opportunity's close date is put when the partner gave none (and no
/// protection end either): Salesforce requires one.
pub const DEFAULT_CLOSE_DAYS: i64 = 90;

/// The Lead or Opportunity of a deal registration (see `lead_record`). A new Opportunity
/// starts in the standard stage matching the portal's (so reading it back changes nothing)
/// and closes on the partner's expected date, else the protection end, else
/// `DEFAULT_CLOSE_DAYS` after `today_ms`; from then on stage, amount and close date are
/// sales'.
pub fn registration_record(
    facts: &RegistrationFacts,
    target: RegistrationTarget,
    creating: bool,
    writes: &dyn Fn(&str) -> bool,
    today_ms: i64,
) -> Map<String, Value> {
    let placement = super::crm::DealPlacement::default();
    let properties = super::crm::deal_properties(facts, &placement, creating, writes);
    let mut record = record(
        Registration,
        target,
        &facts.deal_id.to_string(),
        &properties,
    );
    match target {
        RegistrationTarget::Lead => {
            if record.contains_key("LastName") {
                record.insert("Company".into(), Value::String(facts.customer.clone()));
            }
        }
        RegistrationTarget::Opportunity if creating => {
            let close = facts
                .close_at
                .or(facts.protected_until)
                .unwrap_or(today_ms + DEFAULT_CLOSE_DAYS * 86_400_000);
            record.insert(
                "StageName".into(),
                Value::String(standard_stage_name(&facts.stage).into()),
            );
            record.insert(
                "CloseDate".into(),
                value(FieldType::Date, &close.to_string()),
            );
        }
        RegistrationTarget::Opportunity => {}
    }
    if creating {
        record.insert("LeadSource".into(), Value::String("Partner".into()));
    }
    record
}

/// The standard Opportunity stage a portal stage starts in (the names `opportunity_stage`
/// reads back to the same portal stage).
pub fn standard_stage_name(portal: &str) -> &'static str {
    use super::channel::deals::Stage;
    match Stage::parse(portal) {
        Some(Stage::Discover) => "Needs Analysis",
        Some(Stage::Propose) => "Value Proposition",
        Some(Stage::Negotiate) => "Negotiation/Review",
        Some(Stage::Won) => "Closed Won",
        Some(Stage::Lost) => "Closed Lost",
        Some(Stage::Qualify) | None => "Prospecting",
    }
}

/// One error Salesforce reports, from either of its shapes (`errorCode` on a request,
/// `statusCode` on a record of a collection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceError {
    pub code: String,
    pub message: String,
    pub fields: Vec<String>,
}

/// The errors in a body: a top-level array, or a record result's `errors`.
pub fn errors(body: &Value) -> Vec<SalesforceError> {
    let list = match body {
        Value::Array(list) => list.as_slice(),
        Value::Object(map) => map
            .get("errors")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice),
        _ => &[],
    };
    list.iter()
        .filter_map(|error| {
            let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_string);
            let code = text("errorCode").or_else(|| text("statusCode"))?;
            Some(SalesforceError {
                code,
                message: text("message").unwrap_or_default(),
                fields: error
                    .get("fields")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

/// Errors for admins: code, fields and message of each, bounded.
pub fn error_text(status: Option<u16>, errors: &[SalesforceError]) -> String {
    let details = errors
        .iter()
        .take(3)
        .map(|error| {
            let fields = if error.fields.is_empty() {
                String::new()
            } else {
                format!(" {}", error.fields.join(", "))
            };
            format!("{}{fields}: {}", error.code, error.message)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let details = (!details.is_empty()).then_some(details);
    super::crm::error_summary(status, None, details.as_deref())
}

/// `Sforce-Limit-Info: api-usage=10018/100000` (newer versions add `; api-bursts=…`): calls
/// used and the allocation.
pub fn api_usage(header: &str) -> Option<(i64, i64)> {
    header.split(';').find_map(|part| {
        let (used, limit) = part.trim().strip_prefix("api-usage=")?.split_once('/')?;
        let (used, limit) = (used.trim().parse().ok()?, limit.trim().parse().ok()?);
        (limit > 0 && used >= 0).then_some((used, limit))
    })
}

/// Whether the queue should wait for the allocation to roll over.
pub fn over_ceiling(used: i64, limit: i64) -> bool {
    limit > 0 && used.saturating_mul(100) >= limit.saturating_mul(USAGE_CEILING_PERCENT)
}

/// What an answer to a REST call means. A 401 is `Reauthorise` only after the worker minted
/// a new session and was refused again; a spent allocation (403 `REQUEST_LIMIT_EXCEEDED`,
/// no Retry-After) holds the whole queue.
pub fn judge(
    status: Option<u16>,
    code: Option<&str>,
    now_ms: i64,
    attempts: i64,
    unit: f64,
) -> Verdict {
    match (status, code) {
        (Some(403), Some("REQUEST_LIMIT_EXCEEDED")) => Verdict::SlowDown {
            until_ms: now_ms + LIMIT_PAUSE_MS,
        },
        (Some(401), _) => Verdict::Reauthorise,
        // Salesforce is briefly unable to lock a record another transaction holds.
        (Some(400 | 409), Some("UNABLE_TO_LOCK_ROW")) => super::crm::judge(
            &super::crm::Answer {
                status: Some(503),
                ..Default::default()
            },
            now_ms,
            attempts,
            unit,
        ),
        _ => super::crm::judge(
            &super::crm::Answer {
                status,
                ..Default::default()
            },
            now_ms,
            attempts,
            unit,
        ),
    }
}

/// Whether a Salesforce address may receive the portal's credentials: `https://` and a host
/// under `salesforce.com` or `force.com`, with no path, user or query. With `loopback_http`
/// (a deployment setting for local fakes), `http://127.0.0.1:<port>` and `http://localhost:
/// <port>` pass too. Returns the address without a trailing slash.
pub fn checked_salesforce_url(url: &str, loopback_http: bool) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    if url.len() > 200 {
        return None;
    }
    let (scheme, authority) = url.split_once("://")?;
    let host_chars = |host: &str| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    match scheme {
        "https" => {
            let host = authority.to_ascii_lowercase();
            let trusted = [".salesforce.com", ".force.com"]
                .iter()
                .any(|suffix| host.ends_with(suffix) && host.len() > suffix.len());
            (host_chars(&host) && trusted && !host.contains(".."))
                .then(|| format!("https://{host}"))
        }
        "http" if loopback_http => {
            let (host, port) = authority.rsplit_once(':')?;
            let port: u16 = port.parse().ok()?;
            (matches!(host, "127.0.0.1" | "localhost") && port > 0)
                .then(|| format!("http://{host}:{port}"))
        }
        _ => None,
    }
}

/// Where a JWT bearer assertion is addressed: production orgs, or sandboxes.
pub const PRODUCTION_AUDIENCE: &str = "https://login.salesforce.com";
pub const SANDBOX_AUDIENCE: &str = "https://test.salesforce.com";
/// The longest private key an admin may paste (a 4096-bit PKCS#8 PEM is about 3.3 KB).
pub const MAX_PRIVATE_KEY_CHARS: usize = 16_000;

/// What an admin posts to connect Salesforce with the JWT bearer flow, checked: the My
/// Domain URL, the app's consumer key, the pre-authorised user the portal acts as, and the
/// private key whose certificate is uploaded to the app. The key itself is parsed on the
/// server. Returns (domain, consumer key, username, key, audience).
pub fn checked_jwt_connection(
    domain: &str,
    client_id: &str,
    username: &str,
    private_key: &str,
    sandbox: bool,
    loopback_http: bool,
) -> Result<JwtConnection, Vec<FieldError>> {
    let mut errors = Vec::new();
    let (domain, client_id) = checked_org_and_app(domain, client_id, loopback_http, &mut errors);
    let username = username.trim();
    let fine_user = !username.is_empty()
        && username.chars().count() <= 80
        && username.contains('@')
        && !username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control());
    if !fine_user {
        errors.push(FieldError::new(
            "username",
            "Use the Salesforce username the portal acts as (it looks like an email address, at most 80 characters).",
        ));
    }
    let private_key = private_key.trim();
    if private_key.is_empty() {
        errors.push(FieldError::new(
            "private_key",
            "Paste the private key whose certificate you uploaded to the app.",
        ));
    } else if private_key.chars().count() > MAX_PRIVATE_KEY_CHARS {
        errors.push(FieldError::new(
            "private_key",
            "This is longer than any RSA private key: paste only the key.",
        ));
    }
    match domain {
        Some(domain) if errors.is_empty() => Ok(JwtConnection {
            domain,
            client_id,
            username: username.to_string(),
            private_key: private_key.to_string(),
            audience: if sandbox {
                SANDBOX_AUDIENCE
            } else {
                PRODUCTION_AUDIENCE
            }
            .to_string(),
        }),
        _ => Err(errors),
    }
}

/// A checked JWT bearer connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtConnection {
    pub domain: String,
    pub client_id: String,
    pub username: String,
    pub private_key: String,
    pub audience: String,
}

/// What an admin posts to connect Salesforce, checked: the My Domain URL, and the External
/// Client App's consumer key and secret.
pub fn checked_connection(
    domain: &str,
    client_id: &str,
    client_secret: &str,
    loopback_http: bool,
) -> Result<(String, String, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let (domain, client_id) = checked_org_and_app(domain, client_id, loopback_http, &mut errors);
    let client_secret = checked_credential(
        "client_secret",
        client_secret,
        "Paste the consumer secret from the External Client App's OAuth settings.",
        &mut errors,
    );
    match domain {
        Some(domain) if errors.is_empty() => Ok((domain, client_id, client_secret)),
        _ => Err(errors),
    }
}

/// The My Domain URL and the app's consumer key, which both flows post; a wrong one adds
/// its field's error.
fn checked_org_and_app(
    domain: &str,
    client_id: &str,
    loopback_http: bool,
    errors: &mut Vec<FieldError>,
) -> (Option<String>, String) {
    let domain = checked_salesforce_url(domain, loopback_http);
    if domain.is_none() {
        errors.push(FieldError::new(
            "domain",
            "Use your org's My Domain URL, like https://acme.my.salesforce.com (Setup → My Domain).",
        ));
    }
    let client_id = checked_credential(
        "client_id",
        client_id,
        "Paste the consumer key from the External Client App's OAuth settings.",
        errors,
    );
    (domain, client_id)
}

/// A credential copied from the app's settings: present, bounded, no spaces. Trimmed.
fn checked_credential(
    field: &str,
    value: &str,
    missing: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, missing));
    } else if value.chars().count() > super::crm::MAX_SECRET_CHARS
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(FieldError::new(
            field,
            "This has spaces or is too long: copy it again from the app's settings.",
        ));
    }
    value.to_string()
}

/// A minted session, from the token endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintedSession {
    pub access_token: String,
    pub instance_url: String,
}

/// Why minting failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MintFailure {
    /// The credentials are refused (`invalid_client`, `invalid_grant`, …): an admin must
    /// connect again. Carries Salesforce's error and description, bounded.
    Refused(String),
    /// No answer, a server error or an unusable answer: try again later.
    Unavailable(String),
}

/// Reads the token endpoint's answer. The session's `instance_url` must itself be a
/// Salesforce address (the token is sent there).
pub fn minted_session(
    status: Option<u16>,
    body: &Value,
    loopback_http: bool,
) -> Result<MintedSession, MintFailure> {
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    match status {
        Some(200) => {
            let token = text("access_token").filter(|token| {
                !token.is_empty()
                    && token.len() <= super::crm::MAX_SECRET_CHARS
                    && !token.chars().any(char::is_control)
            });
            let instance =
                text("instance_url").and_then(|url| checked_salesforce_url(url, loopback_http));
            match (token, instance) {
                (Some(token), Some(instance_url)) => Ok(MintedSession {
                    access_token: token.to_string(),
                    instance_url,
                }),
                _ => Err(MintFailure::Unavailable(
                    "Salesforce's token answer had no usable session or instance URL.".into(),
                )),
            }
        }
        Some(400 | 401 | 403) => {
            let error = text("error").unwrap_or("refused");
            let description = text("error_description").unwrap_or("");
            let summary = super::crm::error_summary(
                status,
                Some(error),
                Some(description).filter(|d| !d.is_empty()),
            );
            Err(MintFailure::Refused(summary))
        }
        _ => Err(MintFailure::Unavailable(super::crm::error_summary(
            status, None, None,
        ))),
    }
}

/// One field as Salesforce's describe reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedField {
    pub name: String,
    pub field_type: String,
    pub external_id: bool,
    pub unique: bool,
}

/// A field the admin must create or fix in Setup.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldProblem {
    pub object: String,
    /// The field's API name (`Portal_Org_Id__c`); empty when the object cannot be read.
    pub field: String,
    /// What to create it with: label, the type as Setup names it, and whether to tick
    /// External ID and Unique (the keys the portal upserts on).
    pub label: String,
    pub setup_type: String,
    pub key: bool,
    /// `None`: the field is missing (create it as above); otherwise what to change.
    pub fix: Option<String>,
}

impl FieldProblem {
    /// The name typed into Setup's "Field Name" (Salesforce appends `__c`).
    pub fn setup_name(&self) -> &str {
        self.field.trim_end_matches("__c")
    }
}

/// What is missing or wrong on one object for the portal's custom fields. `None` for the
/// described fields: the object itself cannot be read (missing or not permitted).
pub fn field_problems(
    kind: SyncKind,
    target: RegistrationTarget,
    described: Option<&[DescribedField]>,
) -> Vec<FieldProblem> {
    let object = object(kind, target);
    let Some(described) = described else {
        return vec![FieldProblem {
            object: object.into(),
            field: String::new(),
            label: String::new(),
            setup_type: String::new(),
            key: false,
            fix: Some(format!(
                "The integration user cannot read {object}: give its permission set Read, Create and Edit on {object}."
            )),
        }];
    };
    let mut problems = Vec::new();
    for field in SALESFORCE_FIELDS
        .iter()
        .filter(|field| field.kind == kind && is_custom(api_name(field, target)))
    {
        let key = field.api_name == external_id(kind);
        let setup = field.field_type.setup_name();
        let fix = match described
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(field.api_name))
        {
            None => Some(None),
            Some(d) if !field.field_type.accepts(&d.field_type) => Some(Some(format!(
                "It is a {} field; the portal writes {setup}. Delete it and create it again with that type.",
                d.field_type
            ))),
            Some(d) if key && !(d.external_id && d.unique) => Some(Some(
                "Edit it and tick External ID and Unique: the portal upserts on it.".to_string(),
            )),
            Some(_) => None,
        };
        if let Some(fix) = fix {
            problems.push(FieldProblem {
                object: object.into(),
                field: field.api_name.into(),
                label: field.label.into(),
                setup_type: setup.into(),
                key,
                fix,
            });
        }
    }
    problems
}

/// A SOQL datetime literal (UTC, whole seconds, unquoted), for `SystemModstamp > …`.
pub fn soql_instant(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms.max(0))
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A Salesforce record id: 15 or 18 letters and digits. Only such ids are put into a query
/// (they come from Salesforce's answers, but the query must not trust stored text).
pub fn is_record_id(id: &str) -> bool {
    matches!(id.len(), 15 | 18) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The portal's Leads changed since `since_ms`, oldest first: whether each was converted, and
/// to which Opportunity. Salesforce pages long answers (`nextRecordsUrl`).
pub fn changed_leads_query(since_ms: i64) -> String {
    format!(
        "SELECT Id, Portal_Registration_Id__c, IsConverted, ConvertedOpportunityId, OwnerId, Owner.Name, SystemModstamp FROM Lead \
         WHERE Portal_Registration_Id__c != null AND SystemModstamp > {} ORDER BY SystemModstamp",
        soql_instant(since_ms)
    )
}

/// The Opportunities the portal's Leads became, changed since `since_ms`: one query, by a
/// semi-join on the Leads' `ConvertedOpportunityId`.
pub fn changed_opportunities_query(since_ms: i64) -> String {
    format!(
        "SELECT Id, StageName, IsClosed, IsWon, Amount, CloseDate, OwnerId, Owner.Name, SystemModstamp FROM Opportunity \
         WHERE Id IN (SELECT ConvertedOpportunityId FROM Lead WHERE Portal_Registration_Id__c != null) \
         AND SystemModstamp > {} ORDER BY SystemModstamp",
        soql_instant(since_ms)
    )
}

/// The portal's own Opportunities (registrations written as Opportunities) changed since
/// `since_ms`, oldest first.
pub fn registered_opportunities_query(since_ms: i64) -> String {
    format!(
        "SELECT Id, Portal_Registration_Id__c, StageName, IsClosed, IsWon, Amount, CloseDate, OwnerId, Owner.Name, SystemModstamp \
         FROM Opportunity WHERE Portal_Registration_Id__c != null AND SystemModstamp > {} ORDER BY SystemModstamp",
        soql_instant(since_ms)
    )
}

/// The next page of a query answer: `nextRecordsUrl`, if it is a REST path of this API (the
/// session's token is sent there).
pub fn next_records(body: &Value) -> Option<String> {
    let next = body.get("nextRecordsUrl")?.as_str()?;
    let fine = next.starts_with("/services/data/")
        && !next.contains("..")
        && next.len() <= 300
        && next
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'));
    (fine && body.get("done").and_then(Value::as_bool) == Some(false)).then(|| next.to_string())
}

/// A `SystemModstamp` (`2026-11-30T10:00:00.000+0000`, or with `Z`) in epoch ms.
pub fn salesforce_instant(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(text.trim()))
        .ok()
        .map(|at| at.timestamp_millis())
}

/// A Lead of the portal's, as the read-back query returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadState {
    pub registration_id: i64,
    /// The Opportunity it was converted to (sales works the deal there from then on).
    pub opportunity_id: Option<String>,
    pub modified_at: i64,
    /// Who owns the Lead (a user or a queue).
    pub owner: super::crm_inbound::InboundOwner,
}

/// The Leads in a query answer's `records`.
pub fn lead_states(body: &Value) -> Vec<LeadState> {
    records(body)
        .filter_map(|record| {
            let text = |key: &str| record.get(key).and_then(Value::as_str);
            let converted = record.get("IsConverted").and_then(Value::as_bool) == Some(true);
            Some(LeadState {
                registration_id: text("Portal_Registration_Id__c")?.trim().parse().ok()?,
                opportunity_id: text("ConvertedOpportunityId")
                    .filter(|id| converted && is_record_id(id))
                    .map(str::to_string),
                modified_at: text("SystemModstamp").and_then(salesforce_instant)?,
                owner: record_owner(record),
            })
        })
        .collect()
}

/// A record's owner from `OwnerId` and `Owner.Name` (which a query answers as a nested
/// `Owner` object); unread when the record carries no `OwnerId`.
fn record_owner(record: &Value) -> super::crm_inbound::InboundOwner {
    use super::crm_inbound::{bounded_owner_text, InboundOwner};
    match record.get("OwnerId").and_then(Value::as_str) {
        Some(id) if is_record_id(id) => InboundOwner::Person {
            id: id.to_string(),
            name: bounded_owner_text(
                record
                    .pointer("/Owner/Name")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            ),
        },
        _ => super::crm_inbound::InboundOwner::Unread,
    }
}

fn records(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("records")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The portal stage of an Opportunity. Won and lost come from `IsWon` and `IsClosed`, which
/// hold whatever an org names its stages; open stages map from Salesforce's standard names,
/// and an org's own open stage is `None` (its stage then stays as the portal has it).
pub fn opportunity_stage(
    stage_name: &str,
    is_closed: bool,
    is_won: bool,
) -> Option<super::channel::deals::Stage> {
    use super::channel::deals::Stage;
    if is_closed {
        return Some(if is_won { Stage::Won } else { Stage::Lost });
    }
    Some(match stage_name {
        "Prospecting" | "Qualification" => Stage::Qualify,
        "Needs Analysis" => Stage::Discover,
        "Value Proposition"
        | "Id. Decision Makers"
        | "Perception Analysis"
        | "Proposal/Price Quote" => Stage::Propose,
        "Negotiation/Review" => Stage::Negotiate,
        _ => return None,
    })
}

/// The Opportunities in a query answer, each as a CRM deal of the registration its id is
/// linked to (`registration_of`).
pub fn opportunity_deals(
    body: &Value,
    registration_of: &dyn Fn(&str) -> Option<i64>,
) -> Vec<super::crm::InboundDeal> {
    records(body)
        .filter_map(|record| {
            let text = |key: &str| record.get(key).and_then(Value::as_str);
            let flag = |key: &str| record.get(key).and_then(Value::as_bool) == Some(true);
            // The portal's own Opportunity names its registration; a converted Lead's is
            // known by the link the Lead poll kept.
            let registration_id = match text("Portal_Registration_Id__c") {
                Some(id) => id.trim().parse().ok()?,
                None => registration_of(text("Id")?)?,
            };
            let close_date = text("CloseDate")
                .and_then(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
                .map(|date| {
                    date.and_time(chrono::NaiveTime::MIN)
                        .and_utc()
                        .timestamp_millis()
                        .to_string()
                });
            Some(super::crm::InboundDeal {
                registration_id,
                stage: opportunity_stage(
                    text("StageName").unwrap_or(""),
                    flag("IsClosed"),
                    flag("IsWon"),
                ),
                // A JSON number; its text is the decimal the amount rules read.
                amount: record
                    .get("Amount")
                    .and_then(Value::as_number)
                    .map(|n| n.to_string()),
                close_date,
                modified_at: text("SystemModstamp")
                    .and_then(salesforce_instant)
                    .unwrap_or(0),
                owner: record_owner(record),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crm::HeldCertificate;
    use std::collections::BTreeMap;

    const NOV_30: i64 = 1_795_996_800_000; // 2026-11-30T00:00:00Z

    fn everything(_: &str) -> bool {
        true
    }

    fn nora() -> ContactFacts {
        ContactFacts {
            user_id: 12,
            email: "Nora@Northwind.example".into(),
            display_name: "Nora Ng".into(),
            job_role: Some("sales".into()),
            held: vec![HeldCertificate {
                certification: "Lumen Sales".into(),
                issued_at: NOV_30 + 9 * 3_600_000,
                expires_at: NOV_30 + 365 * 86_400_000,
            }],
            paths_completed: 2,
            last_activity_at: Some(NOV_30 + 9 * 3_600_000 + 1),
        }
    }

    #[test]
    fn every_salesforce_field_maps_a_portal_field_and_every_key_is_listed() {
        for field in SALESFORCE_FIELDS {
            assert!(
                crate::domain::crm::field_rule(field.kind, field.portal_field).is_some(),
                "{} maps no portal field",
                field.api_name
            );
        }
        for kind in &SyncKind::RECORDS {
            assert!(SALESFORCE_FIELDS
                .iter()
                .any(|field| field.kind == *kind && field.api_name == external_id(*kind)));
        }
    }

    #[test]
    fn a_contact_carries_typed_values_its_key_and_its_account() {
        let record = contact_record(&nora(), Some("001000000000007"), &everything);
        assert_eq!(record["attributes"], json!({"type": "Contact"}));
        assert_eq!(record["Portal_User_Id__c"], json!("12"));
        assert_eq!(record["Email"], json!("nora@northwind.example"));
        assert_eq!(record["FirstName"], json!("Nora"));
        assert_eq!(record["LastName"], json!("Ng"));
        assert_eq!(record["Portal_Last_Certified_On__c"], json!("2026-11-30"));
        assert_eq!(record["Portal_Next_Cert_Expiry__c"], json!("2027-11-30"));
        assert_eq!(
            record["Portal_Training_Last_Activity__c"],
            json!("2026-11-30T09:00:00.001Z")
        );
        assert_eq!(record["Portal_Paths_Completed__c"], json!(2));
        assert_eq!(record["Portal_Certifications__c"], json!("Lumen Sales"));
        assert_eq!(record["AccountId"], json!("001000000000007"));
        assert!(!record.contains_key("Id"));
    }

    #[test]
    fn a_one_word_name_is_the_last_name_and_empty_values_clear_fields() {
        let mut facts = nora();
        facts.display_name = "Cher".into();
        facts.held.clear();
        facts.last_activity_at = None;
        let record = contact_record(&facts, None, &everything);
        assert_eq!(record["LastName"], json!("Cher"));
        assert!(!record.contains_key("FirstName"));
        assert_eq!(record["Portal_Last_Certified_On__c"], Value::Null);
        assert_eq!(record["Portal_Training_Last_Activity__c"], Value::Null);
        assert!(!record.contains_key("AccountId"));
        facts.display_name = " ".into();
        assert_eq!(
            contact_record(&facts, None, &everything)["LastName"],
            json!("Nora@Northwind.example")
        );
    }

    #[test]
    fn fields_switched_off_are_not_sent_but_the_key_always_is() {
        let only_email = |field: &str| field == "email";
        let record = contact_record(&nora(), None, &only_email);
        let keys: Vec<&str> = record.keys().map(String::as_str).collect();
        assert_eq!(keys, ["Email", "Portal_User_Id__c", "attributes"]);
    }

    #[test]
    fn an_account_carries_the_organisation() {
        let facts = CompanyFacts {
            org_id: 7,
            name: "Northwind".into(),
            partner_type: "reseller".into(),
            tier: "gold".into(),
            region: "emea".into(),
            certified_by_role: BTreeMap::from([("sales".into(), 2), ("any".into(), 1)]),
            rights: vec!["deliver".into()],
        };
        let record = account_record(&facts, &everything);
        assert_eq!(record["attributes"], json!({"type": "Account"}));
        assert_eq!(record["Portal_Org_Id__c"], json!("7"));
        assert_eq!(record["Name"], json!("Northwind"));
        assert_eq!(record["Portal_Certified_People__c"], json!(3));
        assert_eq!(
            record["Portal_Certified_By_Role__c"],
            json!("any: 1; sales: 2")
        );
        assert_eq!(record["Portal_Partner_Tier__c"], json!("gold"));
    }

    #[test]
    fn a_new_lead_is_named_for_the_registration_and_sales_owns_the_amount_afterwards() {
        let facts = RegistrationFacts {
            deal_id: 812,
            customer: "Contoso".into(),
            partner: "Northwind".into(),
            motion: "resell".into(),
            status: "approved".into(),
            stage: "qualify".into(),
            amount_cents: 1_234_550,
            protected_until: Some(NOV_30 + 90 * 86_400_000),
            close_at: None,
        };
        let new = lead_record(&facts, true, &everything);
        assert_eq!(new["attributes"], json!({"type": "Lead"}));
        assert_eq!(new["Portal_Registration_Id__c"], json!("812"));
        assert_eq!(new["LastName"], json!("Contoso (Northwind)"));
        assert_eq!(new["Company"], json!("Contoso"));
        assert_eq!(new["LeadSource"], json!("Partner"));
        assert_eq!(new["Portal_Amount__c"], json!(12345.5));
        assert_eq!(new["Portal_Protection_Expires__c"], json!("2027-02-28"));
        assert!(!new.contains_key("dealstage") && !new.contains_key("pipeline"));
        let known = lead_record(&facts, false, &|field| field != "amount");
        assert!(!known.contains_key("Portal_Amount__c"));
        assert!(!known.contains_key("LeadSource"));
        assert_eq!(known["Company"], json!("Contoso"));
    }

    #[test]
    fn a_new_opportunity_starts_in_the_matching_standard_stage_and_closes_on_a_date() {
        use crate::domain::channel::deals::Stage;
        let mut facts = RegistrationFacts {
            deal_id: 813,
            customer: "Contoso".into(),
            partner: "Northwind".into(),
            motion: "resell".into(),
            status: "approved".into(),
            stage: "propose".into(),
            amount_cents: 1_234_550,
            protected_until: None,
            close_at: Some(NOV_30),
        };
        let opportunity = RegistrationTarget::Opportunity;
        let new = registration_record(&facts, opportunity, true, &everything, NOV_30);
        assert_eq!(new["attributes"], json!({"type": "Opportunity"}));
        assert_eq!(new["Name"], json!("Contoso (Northwind)"));
        assert_eq!(new["Amount"], json!(12345.5));
        assert_eq!(new["StageName"], json!("Value Proposition"));
        assert_eq!(new["CloseDate"], json!("2026-11-30"));
        assert_eq!(new["Portal_Registration_Id__c"], json!("813"));
        assert!(!new.contains_key("LastName") && !new.contains_key("Company"));
        assert_eq!(
            opportunity_stage(new["StageName"].as_str().unwrap(), false, false),
            Some(Stage::Propose),
            "read back, the stage is the portal's own"
        );
        facts.close_at = None;
        let dated = registration_record(&facts, opportunity, true, &everything, NOV_30);
        assert_eq!(dated["CloseDate"], json!("2027-02-28"), "90 days on");
        let known = registration_record(&facts, opportunity, false, &everything, NOV_30);
        for owned_by_sales in ["StageName", "CloseDate", "Amount", "LeadSource"] {
            assert!(!known.contains_key(owned_by_sales), "{owned_by_sales}");
        }
        for stage in Stage::ALL {
            let name = standard_stage_name(stage.as_str());
            let closed = matches!(stage, Stage::Won | Stage::Lost);
            assert_eq!(
                opportunity_stage(name, closed, *stage == Stage::Won),
                Some(*stage)
            );
        }
        assert_eq!(RegistrationTarget::parse("opportunity"), Some(opportunity));
        assert_eq!(RegistrationTarget::parse("Account"), None);
    }

    #[test]
    fn the_portals_own_opportunities_name_their_registration() {
        let body = json!({"records": [
            {"Id": "006000000000011AAA", "Portal_Registration_Id__c": "813", "StageName": "Closed Won",
             "IsClosed": true, "IsWon": true, "Amount": 100.0, "CloseDate": "2026-11-30",
             "SystemModstamp": "2026-11-30T12:00:00.000+0000"}
        ]});
        let deals = opportunity_deals(&body, &|_| None);
        assert_eq!(deals.len(), 1);
        assert_eq!(deals[0].registration_id, 813);
        assert!(registered_opportunities_query(NOV_30)
            .contains("FROM Opportunity WHERE Portal_Registration_Id__c != null AND SystemModstamp > 2026-11-30T00:00:00Z"));
    }

    #[test]
    fn errors_are_read_from_both_shapes_and_summarised() {
        let request = json!([{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]);
        let found = errors(&request);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, "REQUIRED_FIELD_MISSING");
        assert_eq!(
            error_text(Some(400), &found),
            "HTTP 400: REQUIRED_FIELD_MISSING LastName: Required fields are missing: [LastName]"
        );
        let record = json!({"id": null, "success": false, "errors": [{"statusCode":"INVALID_FIELD","message":"No such column","fields":[]}]});
        assert_eq!(errors(&record)[0].code, "INVALID_FIELD");
        assert!(errors(&json!({"success": true, "errors": []})).is_empty());
        assert!(errors(&json!("text")).is_empty());
        assert_eq!(error_text(None, &[]), "no answer");
    }

    #[test]
    fn the_usage_header_is_parsed_and_the_ceiling_is_eighty_percent() {
        assert_eq!(api_usage("api-usage=10018/100000"), Some((10_018, 100_000)));
        assert_eq!(
            api_usage("api-usage=17/15000; api-bursts=1/750"),
            Some((17, 15_000))
        );
        assert_eq!(api_usage("api-bursts=1/750; api-usage=3/20"), Some((3, 20)));
        assert_eq!(api_usage("api-usage=3/0"), None);
        assert_eq!(api_usage("api-usage=x/20"), None);
        assert_eq!(api_usage(""), None);
        assert!(!over_ceiling(15, 20));
        assert!(over_ceiling(16, 20));
        assert!(over_ceiling(21, 20));
        assert!(!over_ceiling(5, 0));
    }

    #[test]
    fn a_spent_allocation_holds_the_queue_and_validation_is_final() {
        let now = 1_000;
        assert_eq!(
            judge(Some(403), Some("REQUEST_LIMIT_EXCEEDED"), now, 0, 0.5),
            Verdict::SlowDown {
                until_ms: now + LIMIT_PAUSE_MS
            }
        );
        assert_eq!(
            judge(Some(401), Some("INVALID_SESSION_ID"), now, 0, 0.5),
            Verdict::Reauthorise
        );
        assert_eq!(
            judge(Some(400), Some("REQUIRED_FIELD_MISSING"), now, 0, 0.5),
            Verdict::Dead
        );
        assert_eq!(
            judge(Some(403), Some("INSUFFICIENT_ACCESS"), now, 0, 0.5),
            Verdict::Dead
        );
        assert_eq!(judge(Some(200), None, now, 0, 0.5), Verdict::Done);
        assert!(matches!(
            judge(Some(503), None, now, 0, 0.5),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            judge(None, None, now, 0, 0.5),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            judge(Some(400), Some("UNABLE_TO_LOCK_ROW"), now, 0, 0.5),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn only_salesforce_addresses_receive_credentials() {
        assert_eq!(
            checked_salesforce_url("https://Acme.my.salesforce.com/", false).as_deref(),
            Some("https://acme.my.salesforce.com")
        );
        assert!(
            checked_salesforce_url("https://acme--dev.sandbox.my.salesforce.com", false).is_some()
        );
        assert!(checked_salesforce_url("https://acme.lightning.force.com", false).is_some());
        for refused in [
            "http://acme.my.salesforce.com",
            "https://salesforce.com.evil.example",
            "https://evil.example/.salesforce.com",
            "https://user@acme.my.salesforce.com",
            "https://acme.my.salesforce.com/path",
            "https://acme.my.salesforce.com?x=1",
            "https://.salesforce.com",
            "https://a..salesforce.com",
            "ftp://acme.my.salesforce.com",
            "acme.my.salesforce.com",
            "http://127.0.0.1:3300",
        ] {
            assert_eq!(checked_salesforce_url(refused, false), None, "{refused}");
        }
        assert_eq!(
            checked_salesforce_url("http://127.0.0.1:3300/", true).as_deref(),
            Some("http://127.0.0.1:3300")
        );
        assert_eq!(checked_salesforce_url("http://10.0.0.1:3300", true), None);
        assert_eq!(checked_salesforce_url("http://127.0.0.1", true), None);
        assert_eq!(
            checked_salesforce_url(
                &format!("https://{}.my.salesforce.com", "a".repeat(200)),
                false
            ),
            None
        );
    }

    #[test]
    fn a_connection_needs_a_domain_and_both_credentials() {
        let fields = |result: Result<(String, String, String), Vec<FieldError>>| {
            result
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(checked_connection("", "", "", false)),
            ["domain", "client_id", "client_secret"]
        );
        assert_eq!(
            fields(checked_connection(
                "https://acme.my.salesforce.com",
                "a b",
                "s",
                false
            )),
            ["client_id"]
        );
        assert_eq!(
            checked_connection(
                " https://acme.my.salesforce.com ",
                " 3MVG9 ",
                " secret ",
                false
            ),
            Ok((
                "https://acme.my.salesforce.com".into(),
                "3MVG9".into(),
                "secret".into()
            ))
        );
    }

    #[test]
    fn a_jwt_connection_needs_a_domain_key_user_and_private_key() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";
        let good = checked_jwt_connection(
            "https://acme.my.salesforce.com/",
            " 3MVG9key ",
            " portal@acme.example ",
            key,
            false,
            false,
        )
        .unwrap();
        assert_eq!(good.domain, "https://acme.my.salesforce.com");
        assert_eq!(good.client_id, "3MVG9key");
        assert_eq!(good.username, "portal@acme.example");
        assert_eq!(good.audience, PRODUCTION_AUDIENCE);
        let sandbox = checked_jwt_connection(
            "https://acme.my.salesforce.com",
            "k",
            "u@x",
            key,
            true,
            false,
        )
        .unwrap();
        assert_eq!(sandbox.audience, SANDBOX_AUDIENCE);
        let errors =
            checked_jwt_connection("https://evil.example", "", "no user", "", false, false)
                .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["domain", "client_id", "username", "private_key"]);
        let long = "k".repeat(MAX_PRIVATE_KEY_CHARS + 1);
        assert!(checked_jwt_connection(
            "https://a.my.salesforce.com",
            "k",
            "u@x",
            &long,
            false,
            false
        )
        .is_err());
        assert!(checked_jwt_connection(
            "https://a.my.salesforce.com",
            "k",
            &format!("{}@x", "u".repeat(80)),
            key,
            false,
            false
        )
        .is_err());
    }

    #[test]
    fn a_minted_session_must_point_at_salesforce() {
        let good = json!({"access_token":"00DS!AR8","instance_url":"https://acme.my.salesforce.com","token_type":"Bearer"});
        assert_eq!(
            minted_session(Some(200), &good, false),
            Ok(MintedSession {
                access_token: "00DS!AR8".into(),
                instance_url: "https://acme.my.salesforce.com".into()
            })
        );
        let elsewhere = json!({"access_token":"00DS!AR8","instance_url":"https://evil.example"});
        assert!(matches!(
            minted_session(Some(200), &elsewhere, false),
            Err(MintFailure::Unavailable(_))
        ));
        let refused =
            json!({"error":"invalid_client","error_description":"invalid client credentials"});
        assert_eq!(
            minted_session(Some(400), &refused, false),
            Err(MintFailure::Refused(
                "HTTP 400 invalid_client: invalid client credentials".into()
            ))
        );
        assert!(matches!(
            minted_session(Some(503), &Value::Null, false),
            Err(MintFailure::Unavailable(_))
        ));
        assert!(matches!(
            minted_session(None, &Value::Null, false),
            Err(MintFailure::Unavailable(_))
        ));
    }

    #[test]
    fn the_field_check_names_what_to_create_and_what_to_fix() {
        let described = |name: &str, field_type: &str, key: bool| DescribedField {
            name: name.into(),
            field_type: field_type.into(),
            external_id: key,
            unique: key,
        };
        let mut complete: Vec<DescribedField> = SALESFORCE_FIELDS
            .iter()
            .filter(|f| f.kind == Contact)
            .map(|f| {
                let t = match f.field_type {
                    Text => "string",
                    LongText => "textarea",
                    Date => "date",
                    DateTime => "datetime",
                    Number => "double",
                };
                described(f.api_name, t, f.api_name == "Portal_User_Id__c")
            })
            .collect();
        assert!(field_problems(Contact, RegistrationTarget::Lead, Some(&complete)).is_empty());
        complete.retain(|f| f.name != "Portal_Paths_Completed__c");
        complete
            .iter_mut()
            .find(|f| f.name == "Portal_User_Id__c")
            .unwrap()
            .external_id = false;
        complete
            .iter_mut()
            .find(|f| f.name == "Portal_Last_Certified_On__c")
            .unwrap()
            .field_type = "string".into();
        let problems = field_problems(Contact, RegistrationTarget::Lead, Some(&complete));
        let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            named,
            [
                "Portal_User_Id__c",
                "Portal_Last_Certified_On__c",
                "Portal_Paths_Completed__c"
            ]
        );
        assert!(problems[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("External ID and Unique"));
        assert!(problems[0].key);
        assert!(problems[1].fix.as_deref().unwrap().contains("Date"));
        assert_eq!(problems[2].fix, None, "missing: create it");
        assert_eq!(problems[2].setup_type, "Number (18, 2)");
        assert_eq!(problems[2].label, "Learning Paths Completed");
        assert_eq!(problems[2].setup_name(), "Portal_Paths_Completed");
        assert!(!problems[2].key);
        let unreadable = field_problems(Registration, RegistrationTarget::Lead, None);
        assert_eq!(unreadable.len(), 1);
        assert!(unreadable[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("cannot read Lead"));
        assert_eq!(
            field_problems(Registration, RegistrationTarget::Lead, Some(&[])).len(),
            6
        );
        // On an Opportunity the name and amount are standard fields: five to create.
        let opportunity = field_problems(Registration, RegistrationTarget::Opportunity, Some(&[]));
        assert_eq!(opportunity.len(), 5);
        assert!(opportunity.iter().all(|p| p.object == "Opportunity"));
    }

    #[test]
    fn read_back_queries_are_built_from_trusted_parts_only() {
        assert_eq!(soql_instant(NOV_30 + 1_500), "2026-11-30T00:00:01Z");
        assert_eq!(soql_instant(-5), "1970-01-01T00:00:00Z");
        let leads = changed_leads_query(NOV_30);
        assert!(leads.contains("FROM Lead WHERE Portal_Registration_Id__c != null AND SystemModstamp > 2026-11-30T00:00:00Z"));
        assert!(leads.ends_with("ORDER BY SystemModstamp"));
        let opportunities = changed_opportunities_query(NOV_30);
        assert!(opportunities.contains("WHERE Id IN (SELECT ConvertedOpportunityId FROM Lead WHERE Portal_Registration_Id__c != null) AND SystemModstamp > 2026-11-30T00:00:00Z"));
        assert!(is_record_id("006000000000001"));
        assert!(is_record_id("006000000000001AAA"));
        assert!(!is_record_id("006' OR Name != '"));
        assert!(!is_record_id("0060000"));
        let page = |next: &str, done: bool| json!({"done": done, "nextRecordsUrl": next});
        assert_eq!(
            next_records(&page(
                "/services/data/v66.0/query/01gD0000002HU6KIAW-2000",
                false
            ))
            .as_deref(),
            Some("/services/data/v66.0/query/01gD0000002HU6KIAW-2000")
        );
        assert_eq!(
            next_records(&page("/services/data/v66.0/query/x", true)),
            None
        );
        assert_eq!(
            next_records(&page("https://evil.example/services/data/x", false)),
            None
        );
        assert_eq!(next_records(&page("/services/data/../../x", false)), None);
        assert_eq!(
            next_records(&page("/services/data/v66.0/query?q=x", false)),
            None
        );
        assert_eq!(next_records(&json!({"done": true})), None);
    }

    #[test]
    fn converted_leads_point_at_their_opportunity() {
        let body = json!({"totalSize": 3, "done": true, "records": [
            {"attributes": {"type": "Lead"}, "Id": "00Q000000000001AAA", "Portal_Registration_Id__c": "812",
             "IsConverted": true, "ConvertedOpportunityId": "006000000000009AAA", "SystemModstamp": "2026-11-30T10:00:00.000+0000"},
            {"Id": "00Q000000000002AAA", "Portal_Registration_Id__c": "813", "IsConverted": false,
             "ConvertedOpportunityId": null, "SystemModstamp": "2026-11-30T11:00:00.000Z",
             "OwnerId": "005000000000042AAA", "Owner": {"attributes": {"type": "User"}, "Name": "Dana Kim"}},
            {"Id": "00Q000000000003AAA", "Portal_Registration_Id__c": "not a number", "SystemModstamp": "2026-11-30T11:00:00.000Z"}
        ]});
        let states = lead_states(&body);
        assert_eq!(states.len(), 2);
        assert_eq!(states[0].registration_id, 812);
        assert_eq!(
            states[0].opportunity_id.as_deref(),
            Some("006000000000009AAA")
        );
        assert_eq!(states[0].modified_at, NOV_30 + 10 * 3_600_000);
        assert_eq!(states[1].opportunity_id, None);
        assert_eq!(states[1].modified_at, NOV_30 + 11 * 3_600_000);
        use crate::domain::crm_inbound::InboundOwner;
        assert_eq!(states[0].owner, InboundOwner::Unread, "no OwnerId asked");
        assert_eq!(
            states[1].owner,
            InboundOwner::Person {
                id: "005000000000042AAA".into(),
                name: "Dana Kim".into()
            }
        );
    }

    #[test]
    fn an_opportunity_brings_its_stage_amount_and_close_date() {
        use crate::domain::channel::deals::Stage;
        assert_eq!(
            opportunity_stage("Closed Won", true, true),
            Some(Stage::Won)
        );
        assert_eq!(
            opportunity_stage("Our own lost stage", true, false),
            Some(Stage::Lost)
        );
        assert_eq!(
            opportunity_stage("Negotiation/Review", false, false),
            Some(Stage::Negotiate)
        );
        assert_eq!(
            opportunity_stage("Needs Analysis", false, false),
            Some(Stage::Discover)
        );
        assert_eq!(opportunity_stage("Our own open stage", false, false), None);
        let body = json!({"records": [
            {"Id": "006000000000009AAA", "StageName": "Closed Won", "IsClosed": true, "IsWon": true,
             "Amount": 45000.5, "CloseDate": "2026-11-30", "SystemModstamp": "2026-11-30T12:00:00.000+0000"},
            {"Id": "006000000000010AAA", "StageName": "Prospecting", "IsClosed": false, "IsWon": false,
             "Amount": null, "CloseDate": null, "SystemModstamp": "2026-11-30T12:00:00.000+0000"}
        ]});
        let linked = |id: &str| (id == "006000000000009AAA").then_some(812);
        let deals = opportunity_deals(&body, &linked);
        assert_eq!(deals.len(), 1, "only linked opportunities");
        assert_eq!(deals[0].registration_id, 812);
        assert_eq!(deals[0].stage, Some(Stage::Won));
        assert_eq!(deals[0].amount.as_deref(), Some("45000.5"));
        assert_eq!(deals[0].close_date.as_deref(), Some("1795996800000"));
        assert_eq!(deals[0].modified_at, NOV_30 + 12 * 3_600_000);
        let now = crate::domain::crm::DealNow {
            stage: Stage::Negotiate,
            amount_cents: 4_200_000,
            close_at: None,
            owner: None,
        };
        let changes = crate::domain::crm::inbound_changes(&now, &deals[0], &|_| true);
        assert_eq!(changes.len(), 3);
    }
}
