//! The CRM settings page (vendor admins): connect HubSpot, test it, install the portal's
//! properties, choose field directions, run the first full sync, and work failed records.
use crate::domain::crm::{CrmKind, Direction, SyncKind};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One mapped field and the direction in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRow {
    pub kind: SyncKind,
    /// The portal's id of the field (HubSpot's property name).
    pub property: String,
    /// The field's name in this CRM.
    pub crm_field: String,
    pub label: String,
    pub direction: Direction,
    /// The directions an admin may choose for it.
    pub choices: Vec<Direction>,
}

/// A record whose sync failed for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterRow {
    pub id: i64,
    pub kind: SyncKind,
    pub entity_id: i64,
    pub reason: String,
    pub attempts: i64,
    pub error: String,
    pub crm_request_id: Option<String>,
    pub at: i64,
}

/// A CRM connection as admins see it (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub crm: CrmKind,
    pub state: crate::domain::crm::ConnectionState,
    pub api_base: String,
    pub token_hint: String,
    /// HubSpot connected through OAuth with the vendor's own app (its client id is
    /// `client_id`), rather than with a pasted token.
    pub oauth: bool,
    /// Salesforce connected with the JWT bearer flow (`token_hint` is then the user it acts
    /// as), rather than with client credentials.
    pub jwt: bool,
    pub pipeline: String,
    pub stage: String,
    pub installed_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub paused_until: Option<i64>,
    pub backfill_requested_at: Option<i64>,
    pub waiting: i64,
    pub synced: i64,
    pub failed: i64,
    pub skipped: i64,
    pub fields: Vec<FieldRow>,
    pub dead_letters: Vec<DeadLetterRow>,
    pub webhooks: WebhookView,
    /// Salesforce: the consumer key, API calls used of the daily allocation, and what the
    /// last field check found missing or wrong.
    pub client_id: String,
    pub api_usage: Option<(i64, i64)>,
    pub field_problems: Vec<crate::domain::salesforce::FieldProblem>,
    /// HubSpot: the stages of the account's deal pipelines as last read, with their map.
    pub stages: Vec<crate::domain::crm_inbound::PipelineStage>,
    /// Salesforce: what registrations become.
    pub registration_target: crate::domain::salesforce::RegistrationTarget,
}

/// HubSpot webhooks as admins see them (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    /// The address to paste into the HubSpot app's webhook settings.
    pub target_url: String,
    /// The last characters of the saved client secret; `None`: webhooks are off.
    pub secret_hint: Option<String>,
    pub deliveries: i64,
    pub last_delivery_at: Option<i64>,
    pub events: i64,
    pub waiting: i64,
    pub last_refusal: Option<String>,
    pub last_refusal_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmOverview {
    /// Where the portal reaches HubSpot (deployment configuration).
    pub hubspot_api_base: String,
    /// The address to register as the HubSpot app's redirect URL (OAuth).
    pub hubspot_redirect_uri: String,
    pub hubspot: Option<ConnectionView>,
    pub salesforce: Option<ConnectionView>,
}

#[server]
pub async fn load_crm_page() -> Result<CrmOverview, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::crm;
    authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let mut views = Vec::new();
    for kind in [CrmKind::Hubspot, CrmKind::Salesforce] {
        views.push(match crm::live_connection(&state.db, kind).await? {
            Some(connection) => Some(connection_view(&state, connection).await?),
            None => None,
        });
    }
    let salesforce = views.pop().flatten();
    let hubspot = views.pop().flatten();
    Ok(CrmOverview {
        hubspot_api_base: state.settings.hubspot_api_base.clone(),
        hubspot_redirect_uri: crate::server::crm::hubspot_oauth::redirect_uri(&state),
        hubspot,
        salesforce,
    })
}

/// The id of a CRM's section of the page (HubSpot's came first and keep their plain ids).
pub fn section_id(crm: CrmKind, section: &str) -> String {
    match crm {
        CrmKind::Hubspot => section.to_string(),
        CrmKind::Salesforce => format!("salesforce-{section}"),
    }
}

/// The field name a portal field has in a CRM; `None`: that CRM does not take it (a HubSpot
/// pipeline, say).
pub fn crm_field_name(crm: CrmKind, kind: SyncKind, property: &str) -> Option<String> {
    match crm {
        CrmKind::Hubspot => Some(property.to_string()),
        // Read from the Lead, then from the Opportunity it becomes.
        CrmKind::Salesforce if property == crate::domain::crm_inbound::OWNER_PROPERTY => {
            Some("OwnerId".into())
        }
        CrmKind::Salesforce => crate::domain::salesforce::SALESFORCE_FIELDS
            .iter()
            .find(|field| field.kind == kind && field.portal_field == property)
            .map(|field| field.api_name.to_string()),
    }
}

#[cfg(feature = "ssr")]
async fn connection_view(
    state: &crate::server::AppState,
    connection: crate::server::repo::crm::Connection,
) -> Result<ConnectionView, AppError> {
    use crate::domain::crm::directions;
    use crate::server::repo::crm;
    let now = state.clock.now_ms();
    let counts = crm::queue_counts(&state.db, connection.id).await?;
    let count = |state: &str| counts.get(state).copied().unwrap_or(0);
    let overrides = crm::field_directions(&state.db, connection.id).await?;
    let fields = directions(&overrides)
        .into_iter()
        .filter_map(|(rule, direction)| {
            Some(FieldRow {
                kind: rule.kind,
                property: rule.property.to_string(),
                crm_field: crm_field_name(connection.kind, rule.kind, rule.property)?,
                label: rule.label.to_string(),
                direction,
                choices: Direction::ALL
                    .iter()
                    .copied()
                    .filter(|choice| {
                        crate::domain::crm::check_direction(rule.kind, rule.property, *choice)
                            .is_ok()
                    })
                    .collect(),
            })
        })
        .collect();
    let dead_letters = crm::dead_letters(&state.db, connection.id, 50)
        .await?
        .into_iter()
        .map(|dead| DeadLetterRow {
            id: dead.id,
            kind: dead.kind,
            entity_id: dead.entity_id,
            reason: dead.reason,
            attempts: dead.attempts,
            error: dead.last_error,
            crm_request_id: dead.crm_request_id,
            at: dead.updated_at,
        })
        .collect();
    let counts = crm::webhook_counts(&state.db, connection.id).await?;
    let webhooks = WebhookView {
        target_url: format!(
            "{}{}",
            state.settings.public_base_url,
            crate::server::crm::webhook::HUBSPOT_PATH
        ),
        secret_hint: connection
            .webhook_secret_sealed
            .is_some()
            .then(|| connection.webhook_secret_hint.clone()),
        deliveries: counts.deliveries,
        last_delivery_at: counts.last_delivery_at,
        events: counts.events,
        waiting: counts.waiting,
        last_refusal: counts.last_refusal,
        last_refusal_at: counts.last_refusal_at,
    };
    let api_usage = crm::api_usage(&state.db, connection.id).await?;
    let field_problems = crm::field_problems(&state.db, connection.id).await?;
    let stages = crm::stage_map(&state.db, connection.id).await?;
    let auth_mode = crm::session(&state.db, connection.id).await?.auth_mode;
    let oauth = auth_mode == crate::server::crm::hubspot_oauth::AUTH_MODE;
    let jwt = auth_mode == crate::server::crm::salesforce_jwt::AUTH_MODE;
    Ok(ConnectionView {
        crm: connection.kind,
        state: connection.state,
        api_base: connection.api_base,
        token_hint: connection.secret_hint,
        oauth,
        jwt,
        registration_target: connection.placement.salesforce_target,
        pipeline: connection.placement.pipeline,
        stage: connection.placement.stage,
        installed_at: connection.installed_at,
        last_success_at: connection.last_success_at,
        last_error: connection.last_error,
        paused_until: (connection.paused_until > now).then_some(connection.paused_until),
        backfill_requested_at: connection.backfill_requested_at,
        waiting: count("pending"),
        synced: count("done"),
        failed: count("dead"),
        skipped: count("skipped"),
        fields,
        dead_letters,
        webhooks,
        client_id: connection.client_id,
        api_usage,
        field_problems,
        stages,
    })
}

/// Connects HubSpot with a service key or private-app token. The token is tried first (a
/// token HubSpot refuses is not saved), then sealed; the page shows only its last four
/// characters from then on.
#[server]
pub async fn connect_hubspot(
    token: String,
    pipeline: String,
    stage: String,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::crm::CrmKind;
    use crate::server::crm::{hubspot::HubSpot, seal, secret_hint};
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    use crate::server::repo::crm;
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let (token, placement) = crate::domain::crm::checked_connection(&token, &pipeline, &stage)
        .map_err(AppError::Validation)?;
    let http = crate::server::crm::hubspot::http_client();
    let base = state.settings.hubspot_api_base.clone();
    let version = state.settings.hubspot_api_version.clone();
    let reply = HubSpot {
        http: &http,
        base: &base,
        version: &version,
        token: token.clone(),
        generation: 0,
    }
    .check()
    .await;
    match reply.status() {
        Some(200..=299) => {}
        Some(401) => return Err(AppError::field("token", "HubSpot refused this token. Copy it again from HubSpot.")),
        Some(403) => {
            return Err(AppError::field(
                "token",
                "HubSpot accepted the token, but it lacks the CRM scopes (contacts, companies, deals: read and write; schemas: write).",
            ))
        }
        Some(status) => return Err(AppError::field("token", format!("HubSpot answered HTTP {status}. Try again in a minute."))),
        None => return Err(AppError::field("token", "HubSpot could not be reached from the portal's server.")),
    }
    let sealed = seal(
        &state.settings.secret_key,
        CrmKind::Hubspot.as_str(),
        &token,
    );
    let now = state.clock.now_ms();
    let id = crm::save_connection(
        &state.db,
        &crm::NewConnection {
            kind: CrmKind::Hubspot,
            api_base: &base,
            api_version: &version,
            secret_sealed: &sealed,
            secret_hint: &secret_hint(&token),
            placement: &placement,
            auth_mode: "static_token",
            client_id: "",
            by: actor.user.id,
        },
        now,
    )
    .await?;
    crm::record_success(&state.db, id, now).await?;
    tracing::info!(
        user_id = actor.user.id,
        connection_id = id,
        "HubSpot connected"
    );
    redirect_form_post("/crm?connected=1");
    Ok(())
}

/// The token an admin's action calls HubSpot with (an OAuth access token refreshed if it is
/// about to expire). Credentials that cannot be used give an empty token, which HubSpot
/// refuses like any bad token, so the page shows the connection's state either way.
#[cfg(feature = "ssr")]
pub(crate) async fn hubspot_session(
    state: &crate::server::AppState,
    http: &reqwest::Client,
    connection: &crate::server::repo::crm::Connection,
) -> Result<crate::server::crm::session::Session, AppError> {
    use crate::server::crm::session::Session;
    Ok(
        crate::server::crm::hubspot_oauth::access_token(state, http, connection)
            .await?
            .unwrap_or(Session {
                token: String::new(),
                instance_url: connection.api_base.clone(),
                generation: 0,
            }),
    )
}

#[cfg(feature = "ssr")]
pub(crate) async fn hubspot_connection() -> Result<
    (
        crate::server::AppState,
        crate::server::repo::crm::Connection,
    ),
    AppError,
> {
    crm_connection(CrmKind::Hubspot).await
}

/// The live connection to a CRM, for a vendor admin.
#[cfg(feature = "ssr")]
pub(crate) async fn crm_connection(
    kind: CrmKind,
) -> Result<
    (
        crate::server::AppState,
        crate::server::repo::crm::Connection,
    ),
    AppError,
> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let connection = crate::server::repo::crm::live_connection(&state.db, kind)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("{} is not connected.", kind.label())))?;
    Ok((state, connection))
}

/// "Test connection": reads one contact with the saved token; the page shows the outcome.
#[server]
pub async fn test_hubspot() -> Result<(), AppError> {
    use crate::domain::crm::ConnectionState;
    use crate::server::crm::hubspot::HubSpot;
    use crate::server::repo::crm;
    let (state, connection) = hubspot_connection().await?;
    let now = state.clock.now_ms();
    let http = crate::server::crm::hubspot::http_client();
    let session = hubspot_session(&state, &http, &connection).await?;
    let reply = HubSpot::of(&http, &connection, session).check().await;
    if reply.ok() {
        crm::set_state(
            &state.db,
            connection.id,
            ConnectionState::Connected,
            None,
            now,
        )
        .await?;
        crm::record_success(&state.db, connection.id, now).await?;
    } else if reply.status() == Some(401) {
        let message = "HubSpot refused the saved token. Connect again with a valid token.";
        crm::set_state(
            &state.db,
            connection.id,
            ConnectionState::NeedsReauth,
            Some(message),
            now,
        )
        .await?;
    } else {
        crm::record_error(&state.db, connection.id, &reply.summary()).await?;
    }
    crate::server::guard::redirect_form_post("/crm?tested=1");
    Ok(())
}

/// Creates the portal's property group and properties in HubSpot (existing ones are kept)
/// and checks each one's type.
#[server]
pub async fn install_hubspot_properties() -> Result<(), AppError> {
    use crate::server::crm::hubspot::HubSpot;
    use crate::server::repo::crm;
    let (state, connection) = hubspot_connection().await?;
    let http = crate::server::crm::hubspot::http_client();
    let session = hubspot_session(&state, &http, &connection).await?;
    let client = HubSpot::of(&http, &connection, session);
    let now = state.clock.now_ms();
    match client.install().await {
        Ok(problems) if problems.is_empty() => {
            crm::mark_installed(&state.db, connection.id, now).await?;
            crm::record_success(&state.db, connection.id, now).await?;
        }
        Ok(problems) => {
            return Err(AppError::Conflict(format!(
                "Some properties in HubSpot are not as the portal needs them: {}.",
                problems.join("; ")
            )))
        }
        Err(reply) => {
            crm::record_error(&state.db, connection.id, &reply.summary()).await?;
            return Err(AppError::Conflict(format!(
                "HubSpot refused the install: {}.",
                reply.summary()
            )));
        }
    }
    crate::server::guard::redirect_form_post("/crm?installed=1");
    Ok(())
}

/// Queues every partner organisation, person and registration (the first full sync). Safe to
/// run again: records already waiting are not queued twice.
#[server]
pub async fn start_hubspot_backfill() -> Result<(), AppError> {
    use crate::server::repo::crm;
    let (state, connection) = hubspot_connection().await?;
    if connection.installed_at.is_none() {
        return Err(AppError::Conflict(
            "Install the portal's properties in HubSpot first.".into(),
        ));
    }
    let queued = crm::enqueue_backfill(&state.db, connection.id, state.clock.now_ms()).await?;
    crate::server::guard::redirect_form_post(&format!("/crm?queued={queued}"));
    Ok(())
}

/// Sets one field's direction.
#[server]
pub async fn set_crm_field_direction(
    kind: SyncKind,
    property: String,
    direction: Direction,
    crm: Option<CrmKind>,
) -> Result<(), AppError> {
    use crate::server::repo::crm as repo;
    let crm = crm.unwrap_or(CrmKind::Hubspot);
    let (state, connection) = crm_connection(crm).await?;
    crate::domain::crm::check_direction(kind, &property, direction)
        .map_err(|error| AppError::field("direction", error.to_string()))?;
    repo::set_field_direction(&state.db, connection.id, kind, &property, direction).await?;
    crate::server::guard::redirect_form_post(&format!(
        "/crm?mapped=1#{}",
        section_id(crm, "fields")
    ));
    Ok(())
}

/// Retry (fresh attempts) or Skip (set aside) a record whose sync failed.
#[server]
pub async fn resolve_crm_failure(
    id: i64,
    retry: bool,
    crm: Option<CrmKind>,
) -> Result<(), AppError> {
    use crate::server::repo::crm as repo;
    let crm = crm.unwrap_or(CrmKind::Hubspot);
    let (state, connection) = crm_connection(crm).await?;
    if !repo::resolve_dead(&state.db, connection.id, id, retry, state.clock.now_ms()).await? {
        return Err(AppError::Conflict(
            "That record is no longer failed.".into(),
        ));
    }
    let done = if retry { "retried" } else { "skipped" };
    crate::server::guard::redirect_form_post(&format!(
        "/crm?{done}=1#{}",
        section_id(crm, "failures")
    ));
    Ok(())
}

/// Disconnects HubSpot: the queue stops and the token is erased.
#[server]
pub async fn disconnect_hubspot() -> Result<(), AppError> {
    use crate::server::repo::crm;
    let (state, connection) = hubspot_connection().await?;
    crm::disconnect(&state.db, connection.id, state.clock.now_ms()).await?;
    crate::server::guard::redirect_form_post("/crm?disconnected=1");
    Ok(())
}

/// Turns on HubSpot webhooks: saves the HubSpot app's client secret, which signs each
/// delivery. Sealed like the token; the page shows only its last four characters.
#[server]
pub async fn save_hubspot_webhook_secret(secret: String) -> Result<(), AppError> {
    use crate::server::crm::{seal, secret_hint, webhook::SECRET_CONTEXT};
    use crate::server::repo::crm;
    let (state, connection) = hubspot_connection().await?;
    let secret = crate::domain::crm::checked_webhook_secret(&secret)
        .map_err(|error| AppError::field("secret", error))?;
    let sealed = seal(&state.settings.secret_key, SECRET_CONTEXT, &secret);
    crm::set_webhook_secret(
        &state.db,
        connection.id,
        Some((&sealed, &secret_hint(&secret))),
        state.clock.now_ms(),
    )
    .await?;
    crate::server::guard::redirect_form_post("/crm?webhooks=on#webhooks");
    Ok(())
}

/// Turns HubSpot webhooks off: the secret is erased and deliveries are refused; the
/// regular poll still reads changes back.
#[server]
pub async fn remove_hubspot_webhook_secret() -> Result<(), AppError> {
    use crate::server::repo::crm;
    let (state, connection) = hubspot_connection().await?;
    crm::set_webhook_secret(&state.db, connection.id, None, state.clock.now_ms()).await?;
    crate::server::guard::redirect_form_post("/crm?webhooks=off#webhooks");
    Ok(())
}
