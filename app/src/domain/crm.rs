//! CRM sync rules: what the portal writes to a vendor's HubSpot, and what to do with the CRM's
//! answer. Pure: the sync worker sends what these functions build and obeys what they decide.
//!
//! Assumptions the HubSpot brief (`crm_sync.md`) marks unverified live here and only here:
//! an existing property answers 409 on create; the daily limit resets at midnight UTC (HubSpot
//! says the account's time zone, which the API does not tell a static-token client).
use super::identity::text_enum;
use super::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

text_enum!(
    /// Which CRM a connection talks to.
    CrmKind {
        Hubspot => "hubspot" / "HubSpot",
        Salesforce => "salesforce" / "Salesforce",
    }
);

text_enum!(
    /// Whether a connection's queue runs.
    ConnectionState {
        Connected => "connected" / "Connected",
        NeedsReauth => "needs_reauth" / "Needs re-authorisation",
        Disconnected => "disconnected" / "Disconnected",
    }
);

text_enum!(
    /// The kind of portal record an outbox row syncs.
    SyncKind {
        Contact => "contact" / "Partner person",
        Company => "company" / "Partner organisation",
        Registration => "registration" / "Deal registration",
        Reply => "reply" / "Partner email reply",
    }
);

text_enum!(
    /// Where an outbox row stands.
    OutboxState {
        Pending => "pending" / "Waiting",
        Done => "done" / "Synced",
        Dead => "dead" / "Failed",
        Skipped => "skipped" / "Skipped",
    }
);

text_enum!(
    /// Which way a mapped field flows.
    Direction {
        ToCrm => "to_crm" / "Portal → CRM",
        FromCrm => "from_crm" / "CRM → portal",
        Off => "off" / "Not synced",
    }
);

impl SyncKind {
    /// The kinds that are records upserted by a key (a reply is an activity, created once).
    pub const RECORDS: [SyncKind; 3] =
        [SyncKind::Company, SyncKind::Contact, SyncKind::Registration];

    /// The HubSpot object type in API paths.
    pub fn hubspot_object(self) -> &'static str {
        match self {
            SyncKind::Contact => "contacts",
            SyncKind::Company => "companies",
            SyncKind::Registration => "deals",
            SyncKind::Reply => "notes",
        }
    }

    /// The property an upsert is keyed on (unique in HubSpot); a note is created, not
    /// upserted, and found again by its CRM id.
    pub fn hubspot_id_property(self) -> &'static str {
        match self {
            SyncKind::Contact => "email",
            SyncKind::Company => "prm_org_id",
            SyncKind::Registration => "prm_registration_id",
            SyncKind::Reply => "hs_object_id",
        }
    }
}

/// Whether a change recorded on a deal changes what its CRM deal carries (reminders and SLA
/// flags do not).
pub fn deal_event_changes_crm(field: &str) -> bool {
    !matches!(
        field,
        "approval_sla"
            | "protection_reminder"
            | "appeal"
            | "email_reply"
            | "staff_answer"
            | "crm_owner"
    )
}

/// Records per batch upsert: HubSpot's guidance is 100 (the spec declares no maximum).
pub const HUBSPOT_BATCH: usize = 100;
/// Attempts before a record's sync is given up and shown to admins as failed.
pub const MAX_ATTEMPTS: i64 = 10;
/// Longest secret (token) an admin may paste; HubSpot's are about 300 characters.
pub const MAX_SECRET_CHARS: usize = 2_000;
const DAY_MS: i64 = 86_400_000;

/// A HubSpot `date` property: midnight UTC of that day, in epoch milliseconds, as a string
/// (HubSpot refuses any other time of day for a date).
pub fn hubspot_date(at_ms: i64) -> String {
    at_ms.div_euclid(DAY_MS).saturating_mul(DAY_MS).to_string()
}

/// A HubSpot `datetime` property: epoch milliseconds as a string.
pub fn hubspot_datetime(at_ms: i64) -> String {
    at_ms.to_string()
}

/// An amount in cents as HubSpot's decimal `number` text.
pub fn hubspot_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// A certificate a person holds now (issued, not expired, not revoked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCertificate {
    pub certification: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// What the portal knows about a partner person, for their CRM contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFacts {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub job_role: Option<String>,
    pub held: Vec<HeldCertificate>,
    pub paths_completed: i64,
    pub last_activity_at: Option<i64>,
}

/// What the portal knows about a partner organisation, for its CRM company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyFacts {
    pub org_id: i64,
    pub name: String,
    pub partner_type: String,
    pub tier: String,
    pub region: String,
    /// People holding a valid certificate, by job role (`any` for people without one).
    pub certified_by_role: BTreeMap<String, i64>,
    /// Rights held: product lines sold, delivery.
    pub rights: Vec<String>,
}

/// What the portal knows about a deal registration, for its CRM deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationFacts {
    pub deal_id: i64,
    pub customer: String,
    pub partner: String,
    pub motion: String,
    pub status: String,
    /// The portal's stage (`qualify` … `won`).
    pub stage: String,
    pub amount_cents: i64,
    pub protected_until: Option<i64>,
    /// The expected close date the partner gave.
    pub close_at: Option<i64>,
}

/// A portal field and the CRM property it maps to, with its default direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    pub kind: SyncKind,
    pub property: &'static str,
    pub label: &'static str,
    pub default: Direction,
    /// Whether an admin may turn it off (keys and required fields may not).
    pub required: bool,
}

const fn rule(
    kind: SyncKind,
    property: &'static str,
    label: &'static str,
    default: Direction,
    required: bool,
) -> FieldRule {
    FieldRule {
        kind,
        property,
        label,
        default,
        required,
    }
}

/// Every mapped field. Registration stage and amount belong to the CRM once the deal exists
/// there (sales works the deal in the CRM); the portal sets them only when it creates it.
pub const FIELD_RULES: &[FieldRule] = &[
    rule(
        SyncKind::Contact,
        "email",
        "Email (key)",
        Direction::ToCrm,
        true,
    ),
    rule(
        SyncKind::Contact,
        "firstname",
        "First name",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Contact,
        "lastname",
        "Last name",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Contact,
        "prm_portal_user_id",
        "Portal user id",
        Direction::ToCrm,
        true,
    ),
    rule(
        SyncKind::Contact,
        "prm_partner_role",
        "Job role",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Contact,
        "prm_certifications",
        "Certifications held",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Contact,
        "prm_last_certified_on",
        "Last certified on",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Contact,
        "prm_next_cert_expiry",
        "Next certificate expiry",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Contact,
        "prm_paths_completed",
        "Learning paths completed",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Contact,
        "prm_training_last_activity",
        "Last training activity",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Company,
        "prm_org_id",
        "Portal organisation id (key)",
        Direction::ToCrm,
        true,
    ),
    rule(SyncKind::Company, "name", "Name", Direction::ToCrm, false),
    rule(
        SyncKind::Company,
        "prm_partner_type",
        "Partner type",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Company,
        "prm_partner_tier",
        "Tier",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Company,
        "prm_region",
        "Region",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Company,
        "prm_certified_people",
        "Certified people",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Company,
        "prm_certified_by_role",
        "Certified people by role",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Company,
        "prm_rights",
        "Rights held",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Registration,
        "prm_registration_id",
        "Registration id (key)",
        Direction::ToCrm,
        true,
    ),
    rule(
        SyncKind::Registration,
        "dealname",
        "Deal name",
        Direction::ToCrm,
        true,
    ),
    rule(
        SyncKind::Registration,
        "pipeline",
        "Pipeline (on create)",
        Direction::ToCrm,
        true,
    ),
    rule(
        SyncKind::Registration,
        "dealstage",
        "Stage",
        Direction::FromCrm,
        true,
    ),
    rule(
        SyncKind::Registration,
        "amount",
        "Amount",
        Direction::FromCrm,
        false,
    ),
    rule(
        SyncKind::Registration,
        "closedate",
        "Close date",
        Direction::FromCrm,
        false,
    ),
    rule(
        SyncKind::Registration,
        super::crm_inbound::OWNER_PROPERTY,
        "Deal owner (the vendor's seller)",
        Direction::FromCrm,
        false,
    ),
    rule(
        SyncKind::Registration,
        "prm_registration_status",
        "Registration status",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Registration,
        "prm_protection_expires_on",
        "Protection expires on",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Registration,
        "prm_registering_partner",
        "Registering partner",
        Direction::ToCrm,
        false,
    ),
    rule(
        SyncKind::Registration,
        "prm_motion",
        "Motion",
        Direction::ToCrm,
        false,
    ),
];

/// The mapped field of `kind` with this CRM property.
pub fn field_rule(kind: SyncKind, property: &str) -> Option<&'static FieldRule> {
    FIELD_RULES
        .iter()
        .find(|rule| rule.kind == kind && rule.property == property)
}

/// Why an admin's change to a field's direction is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingError {
    UnknownField,
    /// Keys and fields HubSpot requires cannot be switched off.
    Required,
    /// The portal only writes this field; nothing in the CRM may overwrite it.
    PortalOwned,
    /// Only the CRM has this field; the portal has nothing to write to it.
    CrmOwned,
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MappingError::UnknownField => "There is no such field.",
            MappingError::Required => {
                "This field identifies the record in the CRM and always syncs."
            }
            MappingError::PortalOwned => {
                "The portal decides this field (its rules live here), so the CRM cannot own it."
            }
            MappingError::CrmOwned => {
                "Only the CRM knows who owns a deal there, so the portal has nothing to send."
            }
        })
    }
}

/// Checks an admin's choice of direction for one field.
pub fn check_direction(
    kind: SyncKind,
    property: &str,
    direction: Direction,
) -> Result<(), MappingError> {
    let rule = field_rule(kind, property).ok_or(MappingError::UnknownField)?;
    if rule.required && direction != rule.default {
        return Err(MappingError::Required);
    }
    let portal_owned = property.starts_with("prm_") || kind != SyncKind::Registration;
    if direction == Direction::FromCrm && portal_owned && rule.default != Direction::FromCrm {
        return Err(MappingError::PortalOwned);
    }
    if direction == Direction::ToCrm && property == super::crm_inbound::OWNER_PROPERTY {
        return Err(MappingError::CrmOwned);
    }
    Ok(())
}

/// The directions in force: each field's default, overridden by the admin's choices.
pub fn directions(
    overrides: &HashMap<(SyncKind, String), Direction>,
) -> Vec<(FieldRule, Direction)> {
    FIELD_RULES
        .iter()
        .map(|rule| {
            let chosen = overrides
                .get(&(rule.kind, rule.property.to_string()))
                .copied()
                .filter(|direction| check_direction(rule.kind, rule.property, *direction).is_ok())
                .unwrap_or(rule.default);
            (*rule, chosen)
        })
        .collect()
}

/// Splits a display name into HubSpot's first and last name (the last word is the last name).
fn split_name(display_name: &str) -> (String, String) {
    let name = display_name.trim();
    match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) => (first.trim().to_string(), last.to_string()),
        None => (name.to_string(), String::new()),
    }
}

/// Properties for a partner person's contact, limited to the fields the portal writes.
pub fn contact_properties(
    facts: &ContactFacts,
    writes: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, String> {
    let (first, last) = split_name(&facts.display_name);
    let mut held: Vec<&str> = facts
        .held
        .iter()
        .map(|c| c.certification.as_str())
        .collect();
    held.sort_unstable();
    held.dedup();
    let last_certified = facts.held.iter().map(|c| c.issued_at).max();
    let next_expiry = facts.held.iter().map(|c| c.expires_at).min();
    let values = [
        ("email", Some(facts.email.to_lowercase())),
        ("firstname", Some(first)),
        ("lastname", Some(last)),
        ("prm_portal_user_id", Some(facts.user_id.to_string())),
        (
            "prm_partner_role",
            Some(facts.job_role.clone().unwrap_or_default()),
        ),
        ("prm_certifications", Some(held.join(";"))),
        (
            "prm_last_certified_on",
            Some(last_certified.map(hubspot_date).unwrap_or_default()),
        ),
        (
            "prm_next_cert_expiry",
            Some(next_expiry.map(hubspot_date).unwrap_or_default()),
        ),
        (
            "prm_paths_completed",
            Some(facts.paths_completed.to_string()),
        ),
        (
            "prm_training_last_activity",
            Some(
                facts
                    .last_activity_at
                    .map(hubspot_datetime)
                    .unwrap_or_default(),
            ),
        ),
    ];
    collect(values, writes)
}

/// Properties for a partner organisation's company.
pub fn company_properties(
    facts: &CompanyFacts,
    writes: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, String> {
    let certified: i64 = facts.certified_by_role.values().sum();
    let by_role = facts
        .certified_by_role
        .iter()
        .map(|(role, people)| format!("{role}: {people}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut rights = facts.rights.clone();
    rights.sort_unstable();
    rights.dedup();
    let values = [
        ("prm_org_id", Some(facts.org_id.to_string())),
        ("name", Some(facts.name.clone())),
        ("prm_partner_type", Some(facts.partner_type.clone())),
        ("prm_partner_tier", Some(facts.tier.clone())),
        ("prm_region", Some(facts.region.clone())),
        ("prm_certified_people", Some(certified.to_string())),
        ("prm_certified_by_role", Some(by_role)),
        ("prm_rights", Some(rights.join(";"))),
    ];
    collect(values, writes)
}

/// Where a new deal goes in the CRM: a connection's configured pipeline and first stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealPlacement {
    pub pipeline: String,
    pub stage: String,
    /// The stage of `pipeline` each portal stage starts a new deal in, from the admin's stage
    /// map (filled when a batch is sent; never stored with the connection).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_portal_stage: BTreeMap<String, String>,
    /// Salesforce: whether registrations become Leads (the default) or Opportunities.
    #[serde(default)]
    pub salesforce_target: super::salesforce::RegistrationTarget,
}

impl Default for DealPlacement {
    /// HubSpot's built-in sales pipeline and its first stage.
    fn default() -> Self {
        DealPlacement {
            pipeline: "default".into(),
            stage: "appointmentscheduled".into(),
            by_portal_stage: BTreeMap::new(),
            salesforce_target: Default::default(),
        }
    }
}

/// Checks the HubSpot app's client secret an admin pastes to turn on webhooks: trimmed,
/// 8 to `MAX_SECRET_CHARS` characters without spaces.
pub fn checked_webhook_secret(secret: &str) -> Result<String, &'static str> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Err("Paste the client secret from the HubSpot app's Auth settings.");
    }
    if secret.chars().count() < 8
        || secret.chars().count() > MAX_SECRET_CHARS
        || secret.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("This is not a client secret: it has spaces, or is too short or too long.");
    }
    Ok(secret.to_string())
}

/// Checks what an admin posts to connect HubSpot: a token (no spaces, bounded) and the
/// pipeline and first stage as HubSpot's ids. Returns the trimmed token and the placement,
/// or an error for each field that is wrong.
pub fn checked_connection(
    token: &str,
    pipeline: &str,
    stage: &str,
) -> Result<(String, DealPlacement), Vec<FieldError>> {
    let mut errors = Vec::new();
    let token = token.trim();
    if token.is_empty() {
        errors.push(FieldError::new("token", "Paste the token from HubSpot."));
    } else if token.chars().count() > MAX_SECRET_CHARS
        || token.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(FieldError::new(
            "token",
            "This is not a HubSpot token: it has spaces or is too long.",
        ));
    }
    let placement = checked_placement(pipeline, stage, &mut errors);
    if errors.is_empty() {
        Ok((token.to_string(), placement))
    } else {
        Err(errors)
    }
}

/// Where new deals go, as HubSpot's pipeline and stage ids (whichever way HubSpot is
/// connected); a wrong id adds its field's error.
pub fn checked_placement(
    pipeline: &str,
    stage: &str,
    errors: &mut Vec<FieldError>,
) -> DealPlacement {
    let mut id = |field: &str, value: &str| {
        let value = value.trim();
        let fine = !value.is_empty()
            && value.len() <= 100
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !fine {
            errors.push(FieldError::new(
                field,
                "Use the id HubSpot shows for it: letters, digits, - and _ (at most 100).",
            ));
        }
        value.to_string()
    };
    DealPlacement {
        pipeline: id("pipeline", pipeline),
        stage: id("stage", stage),
        ..DealPlacement::default()
    }
}

/// Properties for a registration's deal. `creating` is true until the CRM has the deal: the
/// fields the CRM owns (stage, amount) are written only then, so sales' changes stand.
pub fn deal_properties(
    facts: &RegistrationFacts,
    placement: &DealPlacement,
    creating: bool,
    writes: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, String> {
    let on_create = |value: String| creating.then_some(value);
    let values = [
        ("prm_registration_id", Some(facts.deal_id.to_string())),
        (
            "dealname",
            Some(format!("{} ({})", facts.customer, facts.partner)),
        ),
        ("pipeline", on_create(placement.pipeline.clone())),
        (
            "dealstage",
            on_create(creation_stage(&facts.stage, placement)),
        ),
        ("amount", on_create(hubspot_amount(facts.amount_cents))),
        ("prm_registration_status", Some(facts.status.clone())),
        (
            "prm_protection_expires_on",
            Some(facts.protected_until.map(hubspot_date).unwrap_or_default()),
        ),
        ("prm_registering_partner", Some(facts.partner.clone())),
        ("prm_motion", Some(facts.motion.clone())),
    ];
    // Creating, the CRM-owned fields are the deal's starting values whatever their direction.
    let creating_writes = |property: &str| {
        writes(property) || (creating && matches!(property, "dealstage" | "amount"))
    };
    collect(values, &creating_writes)
}

fn collect<const N: usize>(
    values: [(&str, Option<String>); N],
    writes: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, String> {
    values
        .into_iter()
        .filter(|(property, _)| writes(property))
        .filter_map(|(property, value)| Some((property.to_string(), value?)))
        .collect()
}

/// A CRM deal (a HubSpot deal, a Salesforce Opportunity): the fields that flow back to the
/// portal. The stage is already the portal's (each CRM's reader maps its own stages; one the
/// portal cannot map is `None`); amount and close date are the CRM's text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundDeal {
    pub registration_id: i64,
    pub stage: Option<super::channel::deals::Stage>,
    pub amount: Option<String>,
    pub close_date: Option<String>,
    /// When the CRM last changed it (`hs_lastmodifieddate`, `SystemModstamp`), epoch ms.
    pub modified_at: i64,
    /// Who owns it in the CRM.
    pub owner: super::crm_inbound::InboundOwner,
}

/// What the portal holds for a registration the CRM may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealNow {
    pub stage: super::channel::deals::Stage,
    pub amount_cents: i64,
    pub close_at: Option<i64>,
    /// The CRM owner last read back.
    pub owner: Option<super::crm_inbound::HeldOwner>,
}

/// One change the CRM makes to a registration: the audit field, and the values as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundChange {
    pub field: &'static str,
    pub from: String,
    pub to: String,
}

/// The stage a new deal starts in, so that reading it back changes nothing: the stage the
/// admin's stage map gives the portal's stage; else, in HubSpot's default pipeline, the one
/// matching it; else (another pipeline, whose stage ids are the account's own) the
/// configured first stage.
fn creation_stage(portal: &str, placement: &DealPlacement) -> String {
    use super::channel::deals::Stage;
    if let Some(mapped) = placement.by_portal_stage.get(portal) {
        return mapped.clone();
    }
    if placement.pipeline != "default" {
        return placement.stage.clone();
    }
    match Stage::parse(portal) {
        Some(Stage::Qualify) => "appointmentscheduled",
        Some(Stage::Discover) => "qualifiedtobuy",
        Some(Stage::Propose) => "presentationscheduled",
        Some(Stage::Negotiate) => "contractsent",
        Some(Stage::Won) => "closedwon",
        Some(Stage::Lost) => "closedlost",
        None => return placement.stage.clone(),
    }
    .to_string()
}

/// The portal stage of a stage of HubSpot's default sales pipeline. Other pipelines' stages
/// are not mapped (their ids are the account's own), so their stage changes are ignored;
/// their amounts and close dates still flow.
pub fn portal_stage(hubspot_stage: &str) -> Option<super::channel::deals::Stage> {
    use super::channel::deals::Stage;
    Some(match hubspot_stage {
        "appointmentscheduled" => Stage::Qualify,
        "qualifiedtobuy" => Stage::Discover,
        "presentationscheduled" | "decisionmakerboughtin" => Stage::Propose,
        "contractsent" => Stage::Negotiate,
        "closedwon" => Stage::Won,
        "closedlost" => Stage::Lost,
        _ => return None,
    })
}

/// A HubSpot `number` amount (e.g. `"12345.6"`) in cents; `None` when it is not a plain,
/// non-negative decimal below a trillion.
pub fn amount_cents(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction[..2].parse().ok()?,
    };
    Some(whole.parse::<i64>().ok()? * 100 + cents)
}

/// A HubSpot date or datetime value (epoch ms, or ISO 8601 as search returns it) in epoch ms.
pub fn hubspot_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse().ok();
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.timestamp_millis())
}

/// The changes a CRM deal brings to its registration: only fields that flow from the CRM,
/// only values that differ (so the portal's own writes never come back as changes), and
/// nothing the portal cannot read.
pub fn inbound_changes(
    now: &DealNow,
    crm: &InboundDeal,
    from_crm: &dyn Fn(&str) -> bool,
) -> Vec<InboundChange> {
    let mut changes = Vec::new();
    if from_crm("dealstage") {
        if let Some(stage) = crm.stage {
            if stage != now.stage {
                changes.push(InboundChange {
                    field: "stage",
                    from: now.stage.as_str().to_string(),
                    to: stage.as_str().to_string(),
                });
            }
        }
    }
    if from_crm("amount") {
        if let Some(cents) = crm.amount.as_deref().and_then(amount_cents) {
            if cents != now.amount_cents {
                changes.push(InboundChange {
                    field: "amount_cents",
                    from: now.amount_cents.to_string(),
                    to: cents.to_string(),
                });
            }
        }
    }
    if from_crm("closedate") {
        if let Some(at) = crm.close_date.as_deref().and_then(hubspot_instant) {
            if Some(at) != now.close_at {
                changes.push(InboundChange {
                    field: "close_at",
                    from: now.close_at.map(|at| at.to_string()).unwrap_or_default(),
                    to: at.to_string(),
                });
            }
        }
    }
    changes
}

impl InboundChange {
    /// The change as the deal's audit trail shows it (the same fields and formats as a
    /// partner's own edit).
    pub fn audit(&self) -> (&'static str, String, String) {
        use super::channel::deals::format_money;
        let money = |text: &str| text.parse().map(format_money).unwrap_or_default();
        let date = |text: &str| super::channel::updates::iso_date(text.parse().ok());
        match self.field {
            "amount_cents" => ("amount", money(&self.from), money(&self.to)),
            "close_at" => ("close_date", date(&self.from), date(&self.to)),
            field => (field, self.from.clone(), self.to.clone()),
        }
    }
}

/// How far back each poll re-reads before the last change it saw: HubSpot's search is
/// eventually consistent, and re-reading is harmless (unchanged values change nothing).
pub const POLL_OVERLAP_MS: i64 = 5 * 60_000;

/// A custom property the install step creates in HubSpot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertySpec {
    pub object: &'static str,
    pub name: &'static str,
    pub label: &'static str,
    /// HubSpot `type`: string, number, date, datetime, enumeration.
    pub kind: &'static str,
    /// HubSpot `fieldType`: text, number, date, select.
    pub field_type: &'static str,
    pub unique: bool,
    pub options: &'static [&'static str],
}

/// The property group the portal's properties live in.
pub const PROPERTY_GROUP: &str = "partner_portal";

const fn property(
    object: &'static str,
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    unique: bool,
    options: &'static [&'static str],
) -> PropertySpec {
    let field_type = match kind.as_bytes() {
        b"number" => "number",
        b"date" | b"datetime" => "date",
        b"enumeration" => "select",
        _ => "text",
    };
    PropertySpec {
        object,
        name,
        label,
        kind,
        field_type,
        unique,
        options,
    }
}

const JOB_ROLES: &[&str] = &["sales", "technical", "support"];
const TIERS: &[&str] = &["registered", "silver", "gold", "platinum"];
const PARTNER_TYPES: &[&str] = &["reseller", "referral", "implementation", "distributor"];
const REGISTRATION_STATUSES: &[&str] = &[
    "not_registered",
    "pending",
    "info_requested",
    "approved",
    "declined",
    "duplicate",
    "expired",
];
const MOTIONS: &[&str] = &["referral", "resale", "marketplace", "si", "direct"];

/// Every custom property the portal writes. Certification names are program data that
/// changes, so they go in a text property rather than an enumeration that would drift.
pub const HUBSPOT_PROPERTIES: &[PropertySpec] = &[
    property(
        "contacts",
        "prm_portal_user_id",
        "Portal user id",
        "string",
        true,
        &[],
    ),
    property(
        "contacts",
        "prm_partner_role",
        "Partner job role",
        "enumeration",
        false,
        JOB_ROLES,
    ),
    property(
        "contacts",
        "prm_certifications",
        "Certifications held",
        "string",
        false,
        &[],
    ),
    property(
        "contacts",
        "prm_last_certified_on",
        "Last certified on",
        "date",
        false,
        &[],
    ),
    property(
        "contacts",
        "prm_next_cert_expiry",
        "Next certificate expiry",
        "date",
        false,
        &[],
    ),
    property(
        "contacts",
        "prm_paths_completed",
        "Learning paths completed",
        "number",
        false,
        &[],
    ),
    property(
        "contacts",
        "prm_training_last_activity",
        "Last training activity",
        "datetime",
        false,
        &[],
    ),
    property(
        "companies",
        "prm_org_id",
        "Portal organisation id",
        "string",
        true,
        &[],
    ),
    property(
        "companies",
        "prm_partner_type",
        "Partner type",
        "enumeration",
        false,
        PARTNER_TYPES,
    ),
    property(
        "companies",
        "prm_partner_tier",
        "Partner tier",
        "enumeration",
        false,
        TIERS,
    ),
    property(
        "companies",
        "prm_region",
        "Partner region",
        "string",
        false,
        &[],
    ),
    property(
        "companies",
        "prm_certified_people",
        "Certified people",
        "number",
        false,
        &[],
    ),
    property(
        "companies",
        "prm_certified_by_role",
        "Certified people by role",
        "string",
        false,
        &[],
    ),
    property(
        "companies",
        "prm_rights",
        "Rights held",
        "string",
        false,
        &[],
    ),
    property(
        "deals",
        "prm_registration_id",
        "Portal registration id",
        "string",
        true,
        &[],
    ),
    property(
        "deals",
        "prm_registration_status",
        "Registration status",
        "enumeration",
        false,
        REGISTRATION_STATUSES,
    ),
    property(
        "deals",
        "prm_protection_expires_on",
        "Protection expires on",
        "date",
        false,
        &[],
    ),
    property(
        "deals",
        "prm_registering_partner",
        "Registering partner",
        "string",
        false,
        &[],
    ),
    property(
        "deals",
        "prm_motion",
        "Partner motion",
        "enumeration",
        false,
        MOTIONS,
    ),
];

/// What the CRM answered to one request, as the worker saw it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// `None`: no answer (connection refused, dropped, timed out).
    pub status: Option<u16>,
    /// `Retry-After` in seconds, when sent.
    pub retry_after_s: Option<i64>,
    /// HubSpot's `policyName` on a 429 (`TEN_SECONDLY_ROLLING`, `DAILY`).
    pub policy: Option<String>,
}

/// What to do after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Done,
    /// The connection is over its rate: hold the whole queue until then; no attempt is
    /// counted against the records.
    SlowDown {
        until_ms: i64,
    },
    /// A transient failure: try these records again then (counts an attempt).
    Retry {
        at_ms: i64,
    },
    /// The CRM refused the record itself (validation, unknown property): retrying cannot help.
    Dead,
    /// The credentials no longer work: stop the queue until an admin reconnects.
    Reauthorise,
}

/// Full-jitter back-off: a random delay up to `min(cap, base * 2^attempts)`, base 2 s, cap 1 h.
/// `unit` is a random number in [0, 1).
pub fn jitter_ms(attempts: i64, unit: f64) -> i64 {
    const BASE_MS: i64 = 2_000;
    const CAP_MS: i64 = 3_600_000;
    let ceiling = BASE_MS
        .saturating_mul(1i64 << attempts.clamp(0, 30))
        .min(CAP_MS);
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    // At least a second, so a retry never lands in the same instant.
    ((ceiling as f64 * unit) as i64).max(1_000)
}

/// Decides what an answer means. `attempts` counts earlier failed attempts of these records.
pub fn judge(answer: &Answer, now_ms: i64, attempts: i64, unit: f64) -> Verdict {
    let retry = || {
        if attempts + 1 >= MAX_ATTEMPTS {
            Verdict::Dead
        } else {
            Verdict::Retry {
                at_ms: now_ms + jitter_ms(attempts, unit),
            }
        }
    };
    let told_wait = answer
        .retry_after_s
        .filter(|seconds| *seconds >= 0)
        .map(|seconds| now_ms + seconds.min(86_400) * 1_000);
    match answer.status {
        None => retry(),
        Some(200..=299) => Verdict::Done,
        Some(401) => Verdict::Reauthorise,
        Some(429) => {
            let until_ms = match (told_wait, answer.policy.as_deref()) {
                (Some(at), _) => at,
                (None, Some("DAILY")) => (now_ms.div_euclid(DAY_MS) + 1) * DAY_MS,
                (None, Some("TEN_SECONDLY_ROLLING")) => now_ms + 10_000,
                (None, _) => now_ms + jitter_ms(attempts, unit).max(1_000),
            };
            Verdict::SlowDown { until_ms }
        }
        // Locked records: HubSpot says locks last 2 s.
        Some(423) => Verdict::SlowDown {
            until_ms: told_wait.unwrap_or(now_ms + 2_000).max(now_ms + 2_000),
        },
        // HubSpot's migration answer carries Retry-After.
        Some(477) => Verdict::SlowDown {
            until_ms: told_wait.unwrap_or(now_ms + 10_000),
        },
        Some(500..=599) => match told_wait {
            Some(at) if attempts + 1 < MAX_ATTEMPTS => Verdict::Retry { at_ms: at },
            _ => retry(),
        },
        // 400 validation, 403 missing scope, 404 unknown object, 409 conflict and the rest.
        Some(_) => Verdict::Dead,
    }
}

/// A short, safe summary of a CRM's error body for admins: its category and message, cut to
/// a bound, never the request's secrets (the body is the CRM's, not ours). Without a status
/// it is one record's error inside an answer, or no answer at all.
pub fn error_summary(status: Option<u16>, category: Option<&str>, message: Option<&str>) -> String {
    let mut text = match (status, category, message) {
        (Some(s), Some(category), Some(message)) => format!("HTTP {s} {category}: {message}"),
        (Some(s), Some(category), None) => format!("HTTP {s} {category}"),
        (Some(s), None, Some(message)) => format!("HTTP {s}: {message}"),
        (Some(s), None, None) => format!("HTTP {s}"),
        (None, Some(category), Some(message)) => format!("{category}: {message}"),
        (None, Some(detail), None) | (None, None, Some(detail)) => detail.to_string(),
        (None, None, None) => "no answer".to_string(),
    };
    if text.chars().count() > 500 {
        text = text.chars().take(499).collect::<String>() + "…";
    }
    text
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_webhook_secret_is_trimmed_and_bounded() {
        assert_eq!(
            checked_webhook_secret("  yyyyyyyy-yyyy-yyyy  "),
            Ok("yyyyyyyy-yyyy-yyyy".to_string())
        );
        assert!(checked_webhook_secret("").is_err());
        assert!(checked_webhook_secret("short").is_err());
        assert!(checked_webhook_secret("has a space in it").is_err());
        assert!(checked_webhook_secret(&"x".repeat(MAX_SECRET_CHARS + 1)).is_err());
        assert!(checked_webhook_secret(&"x".repeat(MAX_SECRET_CHARS)).is_ok());
    }

    use super::*;

    const DAY: i64 = DAY_MS;

    fn everything(_: &str) -> bool {
        true
    }

    fn nora() -> ContactFacts {
        ContactFacts {
            user_id: 7,
            email: "Nora@Northwind.example".into(),
            display_name: "Nora van der Berg".into(),
            job_role: Some("sales".into()),
            held: vec![
                HeldCertificate {
                    certification: "Tech Associate".into(),
                    issued_at: 20_000 * DAY + 5_000,
                    expires_at: 20_400 * DAY + 9,
                },
                HeldCertificate {
                    certification: "Sales Foundations".into(),
                    issued_at: 20_100 * DAY + 77,
                    expires_at: 20_300 * DAY + 1,
                },
            ],
            paths_completed: 3,
            last_activity_at: Some(1_764_547_200_123),
        }
    }

    #[test]
    fn dates_are_midnight_utc_and_datetimes_exact() {
        assert_eq!(
            hubspot_date(1_430_438_400_000 + 12 * 3_600_000),
            "1430438400000"
        );
        assert_eq!(hubspot_date(1_430_438_400_000), "1430438400000");
        assert_eq!(hubspot_date(-1), (-DAY).to_string());
        assert_eq!(hubspot_datetime(1_764_547_200_123), "1764547200123");
    }

    #[test]
    fn amounts_are_decimal_text() {
        assert_eq!(hubspot_amount(0), "0.00");
        assert_eq!(hubspot_amount(5), "0.05");
        assert_eq!(hubspot_amount(123_456), "1234.56");
        assert_eq!(hubspot_amount(-250), "-2.50");
        assert_eq!(hubspot_amount(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn a_contact_carries_training_in_hubspot_formats() {
        let properties = contact_properties(&nora(), &everything);
        assert_eq!(properties["email"], "nora@northwind.example");
        assert_eq!(properties["firstname"], "Nora van der");
        assert_eq!(properties["lastname"], "Berg");
        assert_eq!(properties["prm_portal_user_id"], "7");
        assert_eq!(
            properties["prm_certifications"],
            "Sales Foundations;Tech Associate"
        );
        assert_eq!(
            properties["prm_last_certified_on"],
            (20_100 * DAY).to_string()
        );
        assert_eq!(
            properties["prm_next_cert_expiry"],
            (20_300 * DAY).to_string()
        );
        assert_eq!(properties["prm_paths_completed"], "3");
        assert_eq!(properties["prm_training_last_activity"], "1764547200123");
    }

    #[test]
    fn a_contact_without_certificates_clears_them() {
        let mut facts = nora();
        facts.held.clear();
        facts.display_name = "Cher".into();
        facts.job_role = None;
        let properties = contact_properties(&facts, &everything);
        assert_eq!(properties["prm_certifications"], "");
        assert_eq!(properties["prm_last_certified_on"], "");
        assert_eq!(properties["prm_partner_role"], "");
        assert_eq!(properties["firstname"], "Cher");
        assert_eq!(properties["lastname"], "");
    }

    #[test]
    fn only_fields_the_portal_writes_are_sent() {
        let properties =
            contact_properties(&nora(), &|p| p == "email" || p == "prm_certifications");
        assert_eq!(
            properties.keys().collect::<Vec<_>>(),
            ["email", "prm_certifications"]
        );
    }

    #[test]
    fn a_company_counts_certified_people_and_lists_rights_once() {
        let facts = CompanyFacts {
            org_id: 3,
            name: "Northwind".into(),
            partner_type: "reseller".into(),
            tier: "gold".into(),
            region: "EMEA".into(),
            certified_by_role: [("sales".to_string(), 2), ("technical".to_string(), 1)].into(),
            rights: vec!["sell:Core".into(), "deliver".into(), "sell:Core".into()],
        };
        let properties = company_properties(&facts, &everything);
        assert_eq!(properties["prm_org_id"], "3");
        assert_eq!(properties["prm_certified_people"], "3");
        assert_eq!(
            properties["prm_certified_by_role"],
            "sales: 2; technical: 1"
        );
        assert_eq!(properties["prm_rights"], "deliver;sell:Core");
        assert_eq!(properties["prm_partner_tier"], "gold");
    }

    fn registration() -> RegistrationFacts {
        RegistrationFacts {
            deal_id: 812,
            customer: "Acme".into(),
            partner: "Northwind".into(),
            motion: "resale".into(),
            status: "approved".into(),
            stage: "negotiate".into(),
            amount_cents: 4_200_000,
            protected_until: Some(20_500 * DAY + 3_600_000),
            close_at: None,
        }
    }

    #[test]
    fn a_new_deal_gets_pipeline_stage_and_amount_and_an_existing_one_keeps_the_crms() {
        let writes = |property: &str| {
            directions(&HashMap::new()).iter().any(|(rule, direction)| {
                rule.kind == SyncKind::Registration
                    && rule.property == property
                    && *direction == Direction::ToCrm
            })
        };
        let created = deal_properties(&registration(), &DealPlacement::default(), true, &writes);
        assert_eq!(created["dealname"], "Acme (Northwind)");
        assert_eq!(created["pipeline"], "default");
        assert_eq!(created["dealstage"], "contractsent");
        assert_eq!(
            portal_stage(&created["dealstage"]).map(|s| s.as_str()),
            Some("negotiate")
        );
        let mut custom = DealPlacement {
            pipeline: "8812".into(),
            stage: "990".into(),
            ..DealPlacement::default()
        };
        assert_eq!(
            deal_properties(&registration(), &custom, true, &writes)["dealstage"],
            "990"
        );
        // With a stage map, a new deal starts in the stage mapped to its portal stage.
        custom
            .by_portal_stage
            .insert("negotiate".into(), "993".into());
        assert_eq!(
            deal_properties(&registration(), &custom, true, &writes)["dealstage"],
            "993"
        );
        assert_eq!(created["amount"], "42000.00");
        assert_eq!(
            created["prm_protection_expires_on"],
            (20_500 * DAY).to_string()
        );
        let updated = deal_properties(&registration(), &DealPlacement::default(), false, &writes);
        assert!(!updated.contains_key("dealstage"));
        assert!(!updated.contains_key("amount"));
        assert!(!updated.contains_key("pipeline"));
        assert_eq!(updated["prm_registration_status"], "approved");
    }

    #[test]
    fn admins_cannot_switch_off_keys_or_hand_portal_rules_to_the_crm() {
        assert_eq!(
            check_direction(SyncKind::Contact, "email", Direction::Off),
            Err(MappingError::Required)
        );
        assert_eq!(
            check_direction(
                SyncKind::Registration,
                "prm_registration_status",
                Direction::FromCrm
            ),
            Err(MappingError::PortalOwned)
        );
        assert_eq!(
            check_direction(SyncKind::Company, "name", Direction::FromCrm),
            Err(MappingError::PortalOwned)
        );
        assert_eq!(
            check_direction(SyncKind::Contact, "nope", Direction::Off),
            Err(MappingError::UnknownField)
        );
        assert_eq!(
            check_direction(SyncKind::Contact, "firstname", Direction::Off),
            Ok(())
        );
        assert_eq!(
            check_direction(SyncKind::Registration, "amount", Direction::ToCrm),
            Ok(())
        );
        assert_eq!(
            check_direction(SyncKind::Registration, "amount", Direction::Off),
            Ok(())
        );
        let owner = crate::domain::crm_inbound::OWNER_PROPERTY;
        assert_eq!(
            check_direction(SyncKind::Registration, owner, Direction::ToCrm),
            Err(MappingError::CrmOwned)
        );
        assert_eq!(
            check_direction(SyncKind::Registration, owner, Direction::Off),
            Ok(())
        );
    }

    #[test]
    fn directions_apply_valid_overrides_only() {
        let overrides = [
            ((SyncKind::Contact, "firstname".to_string()), Direction::Off),
            ((SyncKind::Contact, "email".to_string()), Direction::Off),
        ]
        .into();
        let chosen = directions(&overrides);
        let of = |kind, property: &str| {
            chosen
                .iter()
                .find(|(r, _)| r.kind == kind && r.property == property)
                .unwrap()
                .1
        };
        assert_eq!(of(SyncKind::Contact, "firstname"), Direction::Off);
        assert_eq!(of(SyncKind::Contact, "email"), Direction::ToCrm);
        assert_eq!(chosen.len(), FIELD_RULES.len());
    }

    #[test]
    fn every_property_is_installed_once_and_every_rule_has_a_property() {
        let mut names: Vec<_> = HUBSPOT_PROPERTIES
            .iter()
            .map(|p| (p.object, p.name))
            .collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count);
        for rule in FIELD_RULES
            .iter()
            .filter(|rule| rule.property.starts_with("prm_"))
        {
            assert!(
                HUBSPOT_PROPERTIES
                    .iter()
                    .any(|p| p.object == rule.kind.hubspot_object() && p.name == rule.property),
                "{} is not installed",
                rule.property
            );
        }
        for kind in &SyncKind::RECORDS {
            let key = kind.hubspot_id_property();
            assert!(key == "email" || HUBSPOT_PROPERTIES.iter().any(|p| p.name == key && p.unique));
        }
        for p in HUBSPOT_PROPERTIES {
            assert_eq!(p.kind == "enumeration", !p.options.is_empty(), "{}", p.name);
        }
    }

    use crate::domain::channel::deals::Stage;

    fn approved_deal() -> DealNow {
        DealNow {
            stage: crate::domain::channel::deals::Stage::Negotiate,
            amount_cents: 4_200_000,
            close_at: None,
            owner: None,
        }
    }

    #[test]
    fn a_closed_won_deal_in_hubspot_changes_stage_amount_and_close_date() {
        let crm = InboundDeal {
            registration_id: 1,
            stage: Some(Stage::Won),
            amount: Some("45000.5".into()),
            close_date: Some("2026-11-30T00:00:00Z".into()),
            modified_at: 5,
            ..InboundDeal::default()
        };
        let changes = inbound_changes(&approved_deal(), &crm, &|_| true);
        let fields: Vec<_> = changes.iter().map(|c| (c.field, c.to.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("stage", "won"),
                ("amount_cents", "4500050"),
                ("close_at", "1795996800000")
            ]
        );
        assert_eq!(changes[0].from, "negotiate");
        assert_eq!(
            changes[1].audit(),
            ("amount", "$42,000".to_string(), "$45,000.50".to_string())
        );
        assert_eq!(
            changes[2].audit(),
            ("close_date", String::new(), "2026-11-30".to_string())
        );
    }

    #[test]
    fn unchanged_unmapped_unreadable_or_portal_owned_values_change_nothing() {
        let same = InboundDeal {
            stage: Some(Stage::Negotiate),
            amount: Some("42000.00".into()),
            ..InboundDeal::default()
        };
        assert!(inbound_changes(&approved_deal(), &same, &|_| true).is_empty());
        let odd = InboundDeal {
            stage: None,
            amount: Some("-5".into()),
            close_date: Some("next week".into()),
            ..InboundDeal::default()
        };
        assert!(inbound_changes(&approved_deal(), &odd, &|_| true).is_empty());
        let won = InboundDeal {
            stage: Some(Stage::Won),
            amount: Some("1".into()),
            ..InboundDeal::default()
        };
        let only_stage = inbound_changes(&approved_deal(), &won, &|p| p == "dealstage");
        assert_eq!(only_stage.len(), 1);
    }

    #[test]
    fn amounts_and_instants_parse_strictly() {
        assert_eq!(amount_cents("12"), Some(1_200));
        assert_eq!(amount_cents("12.3"), Some(1_230));
        assert_eq!(amount_cents("12.345"), Some(1_234));
        assert_eq!(amount_cents("1e5"), None);
        assert_eq!(amount_cents(""), None);
        assert_eq!(amount_cents(".5"), None);
        assert_eq!(amount_cents("9999999999999"), None);
        assert_eq!(hubspot_instant("1764460800000"), Some(1_764_460_800_000));
        assert_eq!(
            hubspot_instant("2026-11-30T12:00:00.000Z"),
            Some(1_796_040_000_000)
        );
        assert_eq!(hubspot_instant("30/11/2026"), None);
        assert_eq!(
            portal_stage("closedlost"),
            Some(crate::domain::channel::deals::Stage::Lost)
        );
        assert_eq!(portal_stage("custom-stage"), None);
    }

    #[test]
    fn a_connection_needs_a_plain_token_and_hubspot_ids() {
        let (token, placement) =
            checked_connection("  pat-na1-x  ", "default", "appointmentscheduled").unwrap();
        assert_eq!(token, "pat-na1-x");
        assert_eq!(placement, DealPlacement::default());
        let fields = |result: Result<(String, DealPlacement), Vec<FieldError>>| {
            result
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(checked_connection("", "default", "x")), ["token"]);
        assert_eq!(
            fields(checked_connection("pat with spaces", "de fault", "")),
            ["token", "pipeline", "stage"]
        );
        assert_eq!(
            fields(checked_connection(
                &"x".repeat(MAX_SECRET_CHARS + 1),
                "1",
                "2"
            )),
            ["token"]
        );
        assert_eq!(
            fields(checked_connection("pat", &"9".repeat(101), "2")),
            ["pipeline"]
        );
    }

    #[test]
    fn reminders_do_not_touch_the_crm_deal() {
        assert!(deal_event_changes_crm("registration_status"));
        assert!(deal_event_changes_crm("amount"));
        assert!(!deal_event_changes_crm("protection_reminder"));
        assert!(!deal_event_changes_crm("approval_sla"));
        assert!(!deal_event_changes_crm("email_reply"));
    }

    #[test]
    fn jitter_stays_within_the_doubling_ceiling() {
        assert_eq!(jitter_ms(0, 0.0), 1_000);
        assert_eq!(jitter_ms(0, 0.999), 1_998);
        assert_eq!(jitter_ms(3, 0.5), 8_000);
        assert_eq!(jitter_ms(40, 0.5), 1_800_000);
        assert_eq!(jitter_ms(-3, 1.0), 2_000);
        assert_eq!(jitter_ms(2, f64::NAN), 1_000);
    }

    fn answer(status: u16) -> Answer {
        Answer {
            status: Some(status),
            ..Answer::default()
        }
    }

    #[test]
    fn rate_limits_slow_the_queue_instead_of_failing_records() {
        let now = 50 * DAY + 1_000;
        let told = Answer {
            retry_after_s: Some(3),
            policy: Some("TEN_SECONDLY_ROLLING".into()),
            ..answer(429)
        };
        assert_eq!(
            judge(&told, now, 9, 0.5),
            Verdict::SlowDown {
                until_ms: now + 3_000
            }
        );
        let window = Answer {
            policy: Some("TEN_SECONDLY_ROLLING".into()),
            ..answer(429)
        };
        assert_eq!(
            judge(&window, now, 0, 0.5),
            Verdict::SlowDown {
                until_ms: now + 10_000
            }
        );
        let daily = Answer {
            policy: Some("DAILY".into()),
            ..answer(429)
        };
        assert_eq!(
            judge(&daily, now, 0, 0.5),
            Verdict::SlowDown { until_ms: 51 * DAY }
        );
        assert_eq!(
            judge(&answer(423), now, 0, 0.5),
            Verdict::SlowDown {
                until_ms: now + 2_000
            }
        );
        let absurd = Answer {
            retry_after_s: Some(i64::MAX),
            ..answer(429)
        };
        assert_eq!(
            judge(&absurd, now, 0, 0.5),
            Verdict::SlowDown {
                until_ms: now + 86_400_000
            }
        );
    }

    #[test]
    fn transient_failures_retry_with_jitter_until_the_last_attempt() {
        let now = 1_000_000;
        assert_eq!(
            judge(&answer(502), now, 0, 0.5),
            Verdict::Retry { at_ms: now + 1_000 }
        );
        assert_eq!(
            judge(&Answer::default(), now, 2, 0.5),
            Verdict::Retry { at_ms: now + 4_000 }
        );
        assert_eq!(
            judge(&answer(503), now, MAX_ATTEMPTS - 1, 0.5),
            Verdict::Dead
        );
        let told = Answer {
            retry_after_s: Some(30),
            ..answer(503)
        };
        assert_eq!(
            judge(&told, now, 0, 0.5),
            Verdict::Retry {
                at_ms: now + 30_000
            }
        );
    }

    #[test]
    fn refusals_are_final_and_expired_credentials_stop_the_queue() {
        for status in [400, 403, 404, 409, 413] {
            assert_eq!(judge(&answer(status), 0, 0, 0.5), Verdict::Dead, "{status}");
        }
        assert_eq!(judge(&answer(401), 0, 0, 0.5), Verdict::Reauthorise);
        assert_eq!(judge(&answer(200), 0, 0, 0.5), Verdict::Done);
        assert_eq!(judge(&answer(207), 0, 0, 0.5), Verdict::Done);
    }

    #[test]
    fn error_summaries_are_bounded() {
        assert_eq!(
            error_summary(Some(400), Some("VALIDATION_ERROR"), Some("bad date")),
            "HTTP 400 VALIDATION_ERROR: bad date"
        );
        assert_eq!(error_summary(None, None, None), "no answer");
        assert_eq!(
            error_summary(None, Some("VALIDATION_ERROR"), Some("bad date")),
            "VALIDATION_ERROR: bad date",
            "one record's error in an answer"
        );
        let long = "x".repeat(2_000);
        assert_eq!(
            error_summary(Some(500), None, Some(&long)).chars().count(),
            500
        );
    }
}
