//! The stage map of a HubSpot account's own deal pipelines (vendor admins): read the
//! pipelines from HubSpot, then say which portal stage each open stage means. Closed stages
//! mean what HubSpot says (won or lost).
use crate::error::AppError;
use leptos::prelude::*;

/// Reads the account's deal pipelines and their stages from HubSpot, keeping the choices
/// already made for open stages still there.
#[server]
pub async fn read_hubspot_pipelines() -> Result<(), AppError> {
    use crate::domain::crm_inbound::pipeline_stages;
    use crate::server::crm::hubspot::HubSpot;
    use crate::server::repo::crm;
    let (state, connection) = super::crm::hubspot_connection().await?;
    let http = crate::server::crm::hubspot::http_client();
    let session = super::crm::hubspot_session(&state, &http, &connection).await?;
    let reply = HubSpot::of(&http, &connection, session)
        .deal_pipelines()
        .await;
    if !reply.ok() {
        return Err(AppError::field(
            "pipelines",
            format!("HubSpot did not give the pipelines: {}", reply.summary()),
        ));
    }
    let stages = pipeline_stages(&reply.body);
    if stages.is_empty() {
        return Err(AppError::field(
            "pipelines",
            "HubSpot answered with no deal pipelines.",
        ));
    }
    crm::save_pipeline_stages(&state.db, connection.id, &stages, state.clock.now_ms()).await?;
    crate::server::guard::redirect_form_post("/crm?stages=1#stages");
    Ok(())
}

/// Sets the portal stage of one open HubSpot stage (`portal_stage` empty: a move to it
/// leaves the portal's stage as it is).
#[server]
pub async fn set_hubspot_stage(
    pipeline: String,
    stage: String,
    portal_stage: String,
) -> Result<(), AppError> {
    use crate::domain::channel::deals::Stage;
    use crate::domain::crm_inbound::check_stage_choice;
    use crate::server::repo::crm;
    /// Longest pipeline or stage id accepted (HubSpot's are short numbers or words).
    const MAX_ID_CHARS: usize = 100;
    let (state, connection) = super::crm::hubspot_connection().await?;
    let unknown = || {
        AppError::field(
            "portal_stage",
            "There is no such stage; read the pipelines again.",
        )
    };
    if pipeline.len() > MAX_ID_CHARS || stage.len() > MAX_ID_CHARS {
        return Err(unknown());
    }
    let choice = match portal_stage.trim() {
        "" => None,
        text => Some(Stage::parse(text).ok_or_else(|| {
            AppError::field("portal_stage", "Choose one of the portal's stages.")
        })?),
    };
    let stored = crm::stage_map(&state.db, connection.id)
        .await?
        .into_iter()
        .find(|s| s.pipeline_id == pipeline && s.stage_id == stage)
        .ok_or_else(unknown)?;
    check_stage_choice(stored.closed, choice)
        .map_err(|message| AppError::field("portal_stage", message))?;
    if !crm::set_stage_choice(&state.db, connection.id, &pipeline, &stage, choice).await? {
        return Err(unknown());
    }
    crate::server::guard::redirect_form_post("/crm?staged=1#stages");
    Ok(())
}
