//! Policy documents: everyone signed in reads them and their history; vendor staff publish
//! new versions, optionally announcing the change for partners to acknowledge.
use crate::domain::documents::VersionForm;
use crate::error::AppError;
use crate::model::{PolicyPage, PolicySummary};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod imp {
    use crate::domain::documents::DocumentKind;
    use crate::error::AppError;
    use crate::model::PolicyVersionSummary;
    use crate::server::repo::documents::VersionRow;

    pub fn kind(text: &str) -> Result<DocumentKind, AppError> {
        DocumentKind::parse(text).ok_or(AppError::NotFound)
    }

    pub fn summary(row: &VersionRow) -> PolicyVersionSummary {
        PolicyVersionSummary {
            version: row.version,
            change_summary: row.change_summary.clone(),
            published_at: row.published_at,
            published_by: row.published_by_name.clone(),
            announced: row.announcement_id.is_some(),
        }
    }
}

/// Every policy document with its current version.
#[server]
pub async fn load_policies() -> Result<Vec<PolicySummary>, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::documents::DocumentKind;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::documents;
    authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let current = documents::current_versions(&state.db).await?;
    Ok(DocumentKind::ALL
        .iter()
        .map(|kind| {
            let row = current.iter().find(|row| row.kind == kind.as_str());
            PolicySummary {
                kind: *kind,
                current_version: row.map(|r| r.version),
                published_at: row.map(|r| r.published_at),
                change_summary: row.map(|r| r.change_summary.clone()).unwrap_or_default(),
            }
        })
        .collect())
}

/// One document at `version` (the current one if `None`), with its history and the changes
/// from the version before.
#[server]
pub async fn load_policy(kind: String, version: Option<i64>) -> Result<PolicyPage, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::documents::{changes_in_context, line_diff};
    use crate::server::guard::{app_state, authorize};
    use crate::server::markdown::render_markdown_nested;
    use crate::server::repo::documents;
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let kind = imp::kind(&kind)?;
    let versions = documents::versions(&state.db, kind).await?;
    let current_version = versions.first().map_or(0, |v| v.version);
    let shown_index = match version {
        None => (!versions.is_empty()).then_some(0),
        Some(number) => Some(
            versions
                .iter()
                .position(|v| v.version == number)
                .ok_or(AppError::NotFound)?,
        ),
    };
    let shown = shown_index.map(|index| &versions[index]);
    let changes = match shown_index {
        Some(index) => versions
            .get(index + 1)
            .map(|before| {
                changes_in_context(
                    &line_diff(&before.body_markdown, &versions[index].body_markdown),
                    2,
                )
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(PolicyPage {
        kind,
        shown: shown.map(imp::summary),
        shown_html: shown.map_or_else(String::new, |v| render_markdown_nested(&v.body_markdown)),
        changes,
        current_version,
        editable_markdown: actor.user.role.is_vendor_staff().then(|| {
            versions
                .first()
                .map(|v| v.body_markdown.clone())
                .unwrap_or_default()
        }),
        history: versions.iter().map(imp::summary).collect(),
    })
}

/// Publishes the next version of a document. With `announce`, every partner receives an
/// announcement to acknowledge, in the same transaction. Returns the new version's number.
#[server]
pub async fn publish_policy_version(form: VersionForm) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::announcements::ValidAnnouncement;
    use crate::domain::documents::validate;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{announcements, documents};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let kind = imp::kind(&form.kind)
        .map_err(|_| AppError::field("kind", "Choose one of the program's documents."))?;
    let versions = documents::versions(&state.db, kind).await?;
    let current = versions
        .first()
        .map(|v| (v.version, v.body_markdown.as_str()));
    let valid = validate(&form, current).map_err(AppError::Validation)?;
    let announcement = ValidAnnouncement {
        title: format!("Updated: {} (version {})", kind.label(), valid.version),
        body: format!(
            "{}\n\n[Read version {} and what changed](/policies/{}?version={})",
            valid.change_summary,
            valid.version,
            kind.as_str(),
            valid.version
        ),
        audience: Default::default(),
        requires_ack: true,
    };
    let recipients: Vec<i64> = if valid.announce {
        announcements::recipients(&state.db)
            .await?
            .into_iter()
            .map(|r| r.user_id)
            .collect()
    } else {
        Vec::new()
    };
    let announce = valid
        .announce
        .then_some((&announcement, recipients.as_slice()));
    match documents::publish(
        &state.db,
        &valid,
        actor.user.id,
        announce,
        state.clock.now_ms(),
    )
    .await
    {
        Ok(_) => {
            crate::server::guard::redirect_form_post(&format!(
                "/policies/{}?published={}",
                kind.as_str(),
                valid.version
            ));
            Ok(valid.version)
        }
        Err(documents::PublishError::Taken) => Err(AppError::Conflict(format!(
            "Someone else published version {} a moment ago. Reload to see it, then make your \
             change on top of it.",
            valid.version
        ))),
        Err(documents::PublishError::Database(error)) => Err(error.into()),
    }
}
