//! At-risk learners (view 11): who, why, and a nudge that emails the learner a no-login
//! link straight back into the path they stalled on.
use super::InsightQuery;
use crate::error::AppError;
use crate::model::AtRiskInsight;
use leptos::prelude::*;

/// The at-risk list's CSV (`export_at_risk_csv` as a file).
pub const AT_RISK_CSV_PATH: &str = "/insights/at-risk/export.csv";
/// The most people the list (and its CSV) holds; narrower filters show the rest.
pub const AT_RISK_SHOWN: usize = 500;
/// Where the list lives; a nudge's plain post returns here (with its filters).
pub const AT_RISK_PAGE: &str = "/insights/at-risk";

#[cfg(feature = "ssr")]
async fn at_risk_list(
    state: &crate::server::AppState,
    checked: &super::Checked,
) -> Result<AtRiskInsight, AppError> {
    use crate::domain::insights::at_risk::{at_risk, may_nudge, Reason};
    use crate::domain::insights::window_label;
    use crate::model::{AtRiskRow, ReasonRow};
    use crate::server::repo::{certifications, insights};
    let day = |at: i64| checked.window.zone.day_label_named(at);
    let now = state.clock.now_ms();
    let published = insights::published_paths(&state.db).await?;
    let (assignments, certificates, orgs, names, nudges) = tokio::try_join!(
        insights::assignments(&state.db, &published, true),
        insights::certificates(&state.db),
        insights::orgs(&state.db),
        insights::learner_names(&state.db),
        insights::nudges(&state.db),
    )?;
    let certification_names: std::collections::HashMap<i64, String> =
        certifications::certifications(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
    let (paths, regions) = super::filter_choices(state, &published).await?;
    let titles: std::collections::HashMap<i64, &str> =
        paths.iter().map(|(id, t)| (*id, t.as_str())).collect();
    // People who left are not at risk: they are gone.
    let list: Vec<_> = at_risk(
        &assignments,
        &certificates,
        &orgs,
        &checked.filters,
        &checked.window,
        now,
    )
    .into_iter()
    .filter(|person| names.contains_key(&person.user_id))
    .collect();
    let rows = list
        .iter()
        .take(AT_RISK_SHOWN)
        .filter_map(|person| {
            let (name, org) = names.get(&person.user_id)?;
            let reasons = person
                .reasons
                .iter()
                .map(|reason| match reason {
                    Reason::Stalled {
                        path_id,
                        idle_days,
                        last_activity_at,
                    } => {
                        let last = nudges.get(&(person.user_id, *path_id));
                        ReasonRow {
                            text: format!(
                                "Stalled on {}: nothing done for {idle_days} days (since {})",
                                titles.get(path_id).copied().unwrap_or("a path"),
                                day(*last_activity_at)
                            ),
                            path_id: Some(*path_id),
                            nudged: last.map(|(at, by)| format!("Nudged {} by {by}", day(*at))),
                            may_nudge: may_nudge(last.map(|(at, _)| *at), now),
                        }
                    }
                    Reason::CertificateEnding {
                        certification_id,
                        days_left,
                        expires_at,
                    } => ReasonRow {
                        text: format!(
                            "{} ends in {days_left} days ({}), not renewed yet",
                            certification_names
                                .get(certification_id)
                                .map_or("A certificate", String::as_str),
                            day(*expires_at)
                        ),
                        path_id: None,
                        nudged: None,
                        may_nudge: false,
                    },
                })
                .collect();
            Some(AtRiskRow {
                user_id: person.user_id,
                name: name.clone(),
                org: org.clone(),
                reasons,
            })
        })
        .collect();
    Ok(AtRiskInsight {
        window: window_label(&checked.window),
        as_of: day(now),
        total: list.len() as u64,
        rows,
        paths,
        regions,
    })
}

/// The at-risk list (view 11) under the query's filters (vendor staff).
#[server]
pub async fn load_at_risk(
    #[server(default)] query: InsightQuery,
) -> Result<AtRiskInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    at_risk_list(&state, &checked).await
}

/// The at-risk list as CSV (vendor staff): a line per reason, the same people as the page.
#[server]
pub async fn export_at_risk_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::line;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    let insight = at_risk_list(&state, &checked).await?;
    let mut header = vec![
        "learner",
        "organisation",
        "reason",
        "last_nudge",
        "as_of",
        "window",
    ];
    header.extend(super::FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.as_of.clone(), insight.window.clone()];
    context.extend(super::filter_fields(&checked.filters));
    for row in &insight.rows {
        for reason in &row.reasons {
            let mut fields = vec![
                row.name.clone(),
                row.org.clone(),
                reason.text.clone(),
                reason.nudged.clone().unwrap_or_default(),
            ];
            fields.extend(context.iter().cloned());
            csv.push_str(&line(&fields));
        }
    }
    Ok(csv)
}

/// Where a nudge's plain post returns: the list with the filters it was sent from.
#[cfg(feature = "ssr")]
fn back_to(back: &Option<String>) -> String {
    back.as_deref()
        .filter(|b| {
            b.len() <= 600
                && (*b == AT_RISK_PAGE || b.starts_with(&format!("{AT_RISK_PAGE}?")))
                && !b.contains(['#', '\\', '\r', '\n'])
        })
        .unwrap_or(AT_RISK_PAGE)
        .to_string()
}

/// Emails a learner who stalled on a path a no-login link straight back into it (vendor
/// staff), at most once a week per learner and path; the email says who sent it, and a
/// reply reaches the channel team's learner questions.
#[server]
pub async fn nudge_learner(
    user_id: i64,
    path_id: i64,
    #[server(default)] back: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::insights::{at_risk::NUDGE_EVERY_DAYS, DAY_MS};
    use crate::domain::notifications::Event;
    use crate::domain::replies::ReplyTopic;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    use crate::server::repo::{insights, outbox::Notice};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let now = state.clock.now_ms();
    let target = insights::nudge_target(&state.db, user_id, path_id)
        .await?
        .ok_or_else(|| AppError::Conflict("That learner or path is no longer active.".into()))?;
    if target.completed {
        return Err(AppError::Conflict(format!(
            "{} has completed {} since the list was drawn.",
            target.name, target.path_title
        )));
    }
    if target.muted {
        return Err(AppError::Conflict(format!(
            "{} has turned reminders from the channel team off.",
            target.name
        )));
    }
    let place = crate::server::links::path_place(path_id);
    let link = crate::server::links::place_link(&state, user_id, &place).await?;
    let notice = Notice {
        event: Event::TrainingNudge,
        to: target.email.clone(),
        subject: format!("Pick up {} where you left off", target.path_title),
        body: format!(
            "Hello {},\n\n{} from the channel team noticed you started \"{}\" and have not been \
             back for a while. Pick up where you left off ({}):\n\n{link}\n\nQuestions? Reply \
             to this email and the channel team will answer.\n",
            target.name,
            actor.user.display_name,
            target.path_title,
            crate::server::links::link_terms(&state)
        ),
        thread: Some(crate::server::mail::thread(
            &state,
            ReplyTopic::Module(path_id),
        )),
    };
    let sent = insights::record_nudge(
        &state.db,
        (user_id, path_id, actor.user.id),
        now - NUDGE_EVERY_DAYS * DAY_MS,
        &notice,
        now,
    )
    .await?;
    if !sent {
        return Err(AppError::Conflict(format!(
            "{} was nudged about {} in the last {NUDGE_EVERY_DAYS} days.",
            target.name, target.path_title
        )));
    }
    state.mailer.wake();
    redirect_form_post(&back_to(&back));
    Ok(())
}
