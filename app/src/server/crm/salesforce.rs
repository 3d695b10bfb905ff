//! A thin Salesforce client for what the sync needs: sessions minted with the client
//! credentials flow (one mint at a time across workers and instances), sObject Collections
//! upserts keyed on the portal's External IDs, describes for the field check, and the
//! org's limits. The REST base is the session's instance URL; the version is configuration.
use super::hubspot::RecordResult;
use crate::domain::crm::SyncKind;
use crate::domain::salesforce::{
    self as rules, DescribedField, MintFailure, MintedSession, CALL_OPTIONS, SESSION_MAX_AGE_MS,
};
use crate::server::repo::crm::{self as repo, Connection};
use crate::server::AppState;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The sealing context of a minted session (the client secret uses the connection kind).
const SESSION_CONTEXT: &str = "salesforce-session";
const MAX_BODY_BYTES: usize = 4 << 20;

/// One answer from Salesforce.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: Option<u16>,
    pub body: Value,
    /// `Sforce-Limit-Info`: calls used and the daily allocation.
    pub usage: Option<(i64, i64)>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }

    /// The first error code (`REQUIRED_FIELD_MISSING`, `INVALID_SESSION_ID`, …).
    pub fn code(&self) -> Option<String> {
        rules::errors(&self.body)
            .into_iter()
            .next()
            .map(|error| error.code)
    }

    pub fn summary(&self) -> String {
        rules::error_text(self.status, &rules::errors(&self.body))
    }
}

pub use super::session::{NoSession, Session};

/// A client bound to one session.
pub struct Salesforce<'a> {
    pub http: &'a reqwest::Client,
    pub version: &'a str,
    pub session: Session,
}

async fn read(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let usage = response
        .headers()
        .get("sforce-limit-info")
        .and_then(|value| value.to_str().ok())
        .and_then(rules::api_usage);
    let body = super::hubspot::read_bounded(response, MAX_BODY_BYTES)
        .await
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null);
    Reply {
        status: Some(status),
        body,
        usage,
    }
}

/// Asks the org's token endpoint for a session with the client credentials.
pub async fn mint(
    http: &reqwest::Client,
    domain: &str,
    client_id: &str,
    client_secret: &str,
    loopback_http: bool,
) -> Result<MintedSession, MintFailure> {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret),
    ];
    request_session(http, domain, &form, loopback_http).await
}

/// One form POST to the org's token endpoint (either server-to-server flow), read.
pub async fn request_session(
    http: &reqwest::Client,
    domain: &str,
    form: &[(&str, &str)],
    loopback_http: bool,
) -> Result<MintedSession, MintFailure> {
    let url = format!("{domain}/services/oauth2/token");
    let (status, body) = super::post_token_form(http, &url, form, MAX_BODY_BYTES).await;
    rules::minted_session(status, &body, loopback_http)
}

/// The connection's session: the stored one while it is young enough, otherwise a new one.
pub async fn session(
    state: &AppState,
    http: &reqwest::Client,
    connection: &Connection,
) -> Result<Result<Session, NoSession>, sqlx::Error> {
    let stored = repo::session(&state.db, connection.id).await?;
    let now = state.clock.now_ms();
    let young = stored
        .minted_at
        .is_some_and(|at| now.saturating_sub(at) < SESSION_MAX_AGE_MS);
    if young {
        if let Some(session) = super::session::opened(state, &stored, SESSION_CONTEXT) {
            return Ok(Ok(session));
        }
    }
    renew(state, http, connection, stored.generation).await
}

/// Replaces the session of generation `seen` (refused or too old): one worker mints, the
/// others use its session (`session::single_flight`). A refusal of the credentials marks
/// the connection "needs re-authorisation".
pub async fn renew(
    state: &AppState,
    http: &reqwest::Client,
    connection: &Connection,
    seen: i64,
) -> Result<Result<Session, NoSession>, sqlx::Error> {
    super::session::single_flight(state, connection, seen, SESSION_CONTEXT, || {
        mint_as_leaseholder(state, http, connection, seen)
    })
    .await
}

async fn mint_as_leaseholder(
    state: &AppState,
    http: &reqwest::Client,
    connection: &Connection,
    seen: i64,
) -> Result<Result<Session, NoSession>, sqlx::Error> {
    use super::salesforce_jwt::{self, JwtCredentials};
    let loopback = state.settings.salesforce_loopback_http();
    let jwt = repo::session(&state.db, connection.id).await?.auth_mode == salesforce_jwt::AUTH_MODE;
    let Some(secret) = super::open_secret(&state.settings.secret_key, connection) else {
        repo::release_mint_lease(&state.db, connection.id).await?;
        let message = "The saved Salesforce credentials cannot be read; connect Salesforce again.";
        refuse_connection(state, connection, message).await?;
        return Ok(Err(NoSession::Refused(message.into())));
    };
    let (minted, fix) = if jwt {
        let minted = match serde_json::from_str::<JwtCredentials>(&secret) {
            Ok(credentials) => {
                let now = state.clock.now_ms();
                let domain = &connection.api_base;
                salesforce_jwt::mint(
                    http,
                    domain,
                    &connection.client_id,
                    &credentials,
                    now,
                    loopback,
                )
                .await
            }
            Err(_) => Err(MintFailure::Refused("the saved key cannot be read".into())),
        };
        (minted, "Connect again with the app's consumer key, its user and the private key of the certificate uploaded to the app.")
    } else {
        let minted = mint(
            http,
            &connection.api_base,
            &connection.client_id,
            &secret,
            loopback,
        )
        .await;
        (
            minted,
            "Connect again with the app's current consumer key and secret.",
        )
    };
    let minted = minted.map(|minted| super::session::Minted {
        token: minted.access_token,
        instance_url: minted.instance_url,
        expires_at: None,
        secret_sealed: None,
    });
    super::session::finish_mint(
        state,
        connection,
        seen,
        SESSION_CONTEXT,
        minted,
        |summary| format!("Salesforce refused the portal's credentials ({summary}). {fix}"),
    )
    .await
}

/// Stops the connection's queue until an admin connects again, and tells the admins.
async fn refuse_connection(
    state: &AppState,
    connection: &Connection,
    message: &str,
) -> Result<(), sqlx::Error> {
    repo::needs_reauthorisation(&state.db, connection.id, message, state.clock.now_ms()).await?;
    Ok(())
}

impl Salesforce<'_> {
    fn url(&self, rest: &str) -> String {
        format!(
            "{}/services/data/{}/{rest}",
            self.session.instance_url, self.version
        )
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        match request
            .bearer_auth(&self.session.token)
            .header("Sforce-Call-Options", CALL_OPTIONS)
            .send()
            .await
        {
            Ok(response) => read(response).await,
            Err(_) => Reply {
                status: None,
                body: Value::Null,
                usage: None,
            },
        }
    }

    /// A SOQL query, or (`next`) the next page of one (a path `rules::next_records` checked).
    pub async fn query(&self, soql: &str) -> Reply {
        self.send(self.http.get(self.url("query")).query(&[("q", soql)]))
            .await
    }

    pub async fn query_more(&self, next: &str) -> Reply {
        self.send(
            self.http
                .get(format!("{}{next}", self.session.instance_url)),
        )
        .await
    }

    /// "Test connection": the org's limits, which any working session may read.
    pub async fn check(&self) -> Reply {
        self.send(self.http.get(self.url("limits"))).await
    }

    /// The fields of an object, for the field check; `None` if it cannot be described.
    pub async fn describe(&self, object: &str) -> (Reply, Option<Vec<DescribedField>>) {
        let reply = self
            .send(
                self.http
                    .get(self.url(&format!("sobjects/{object}/describe"))),
            )
            .await;
        if !reply.ok() {
            return (reply, None);
        }
        let fields = reply
            .body
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|field| {
                Some(DescribedField {
                    name: field.get("name")?.as_str()?.to_string(),
                    field_type: field.get("type")?.as_str()?.to_string(),
                    external_id: field.get("externalId").and_then(Value::as_bool) == Some(true),
                    unique: field.get("unique").and_then(Value::as_bool) == Some(true),
                })
            })
            .collect();
        (reply, Some(fields))
    }

    /// Upserts up to 200 records of one kind on its External ID, each record on its own
    /// (`allOrNone: false`). On 200 returns each record's result by trace id (results come
    /// back in request order).
    pub async fn upsert(
        &self,
        kind: SyncKind,
        target: rules::RegistrationTarget,
        records: &[(i64, Map<String, Value>)],
    ) -> (Reply, BTreeMap<i64, RecordResult>) {
        let body = json!({
            "allOrNone": false,
            "records": records.iter().map(|(_, record)| record).collect::<Vec<_>>(),
        });
        let path = format!(
            "composite/sobjects/{}/{}",
            rules::object(kind, target),
            rules::external_id(kind)
        );
        let reply = self
            .send(self.http.patch(self.url(&path)).json(&body))
            .await;
        let mut results = BTreeMap::new();
        if !reply.ok() {
            return (reply, results);
        }
        let answers = reply.body.as_array().cloned().unwrap_or_default();
        for ((trace_id, _), answer) in records.iter().zip(answers.iter()) {
            let id = answer.get("id").and_then(Value::as_str);
            let result = match (answer.get("success").and_then(Value::as_bool), id) {
                (Some(true), Some(id)) => RecordResult::Written {
                    crm_id: id.to_string(),
                },
                _ => RecordResult::Refused {
                    error: rules::error_text(None, &rules::errors(answer)),
                },
            };
            results.insert(*trace_id, result);
        }
        (reply, results)
    }
}

impl Salesforce<'_> {
    /// Creates a record (a Task); on success the result under `trace_id` carries its id.
    pub async fn create(
        &self,
        object: &str,
        record: &Value,
        trace_id: i64,
    ) -> (Reply, BTreeMap<i64, RecordResult>) {
        let reply = self
            .send(
                self.http
                    .post(self.url(&format!("sobjects/{object}")))
                    .json(record),
            )
            .await;
        let mut results = BTreeMap::new();
        if let Some(id) = reply
            .body
            .get("id")
            .and_then(Value::as_str)
            .filter(|_| reply.ok())
        {
            results.insert(
                trace_id,
                RecordResult::Written {
                    crm_id: id.to_string(),
                },
            );
        }
        (reply, results)
    }
}

impl Salesforce<'_> {
    /// The field check: each object's custom fields against what the portal writes. An
    /// object the integration user cannot describe is one problem; any other failure (a
    /// refused session, no answer) is returned for the caller to judge.
    pub async fn field_check(
        &self,
        target: rules::RegistrationTarget,
    ) -> Result<Vec<rules::FieldProblem>, Reply> {
        let mut problems = Vec::new();
        for kind in [SyncKind::Company, SyncKind::Contact, SyncKind::Registration] {
            let (reply, fields) = self.describe(rules::object(kind, target)).await;
            match reply.status {
                Some(200..=299) => {
                    problems.extend(rules::field_problems(kind, target, fields.as_deref()))
                }
                Some(403 | 404) => problems.extend(rules::field_problems(kind, target, None)),
                _ => return Err(reply),
            }
        }
        Ok(problems)
    }
}

/// Runs `call` with the connection's session; if Salesforce refuses the session, replaces
/// it once (single-flight) and runs `call` again. For the admin's actions.
pub async fn with_session<T, F>(
    state: &AppState,
    http: &reqwest::Client,
    connection: &Connection,
    call: F,
) -> Result<Result<T, NoSession>, sqlx::Error>
where
    F: AsyncFn(&Salesforce<'_>) -> Result<T, Reply>,
{
    let version = state.settings.salesforce_api_version.as_str();
    let session = match session(state, http, connection).await? {
        Ok(session) => session,
        Err(none) => return Ok(Err(none)),
    };
    let client = Salesforce {
        http,
        version,
        session,
    };
    match call(&client).await {
        Ok(value) => return Ok(Ok(value)),
        Err(reply) if reply.status == Some(401) => {}
        Err(reply) => return Ok(Err(NoSession::Unavailable(reply.summary()))),
    }
    let session = match renew(state, http, connection, client.session.generation).await? {
        Ok(session) => session,
        Err(none) => return Ok(Err(none)),
    };
    let client = Salesforce {
        http,
        version,
        session,
    };
    match call(&client).await {
        Ok(value) => Ok(Ok(value)),
        Err(reply) if reply.status == Some(401) => {
            let message = format!(
                "Salesforce refused a new session ({}). Connect again with the app's current consumer key and secret.",
                reply.summary()
            );
            refuse_connection(state, connection, &message).await?;
            Ok(Err(NoSession::Refused(message)))
        }
        Err(reply) => Ok(Err(NoSession::Unavailable(reply.summary()))),
    }
}

/// Keeps the session minted while connecting (the credentials were just proven), as the
/// connection's next generation.
pub async fn keep_minted(
    state: &AppState,
    connection_id: i64,
    minted: &MintedSession,
) -> Result<(), sqlx::Error> {
    let minted = super::session::Minted {
        token: minted.access_token.clone(),
        instance_url: minted.instance_url.clone(),
        expires_at: None,
        secret_sealed: None,
    };
    super::session::keep(state, connection_id, SESSION_CONTEXT, minted).await
}
