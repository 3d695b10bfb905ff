//! Re-evaluates organisations' tiers and rights from their valid certificates and revenue,
//! and logs and announces every change once. Runs after a revocation, from the
//! certification job (issues, expiries, revenue ageing) and after the tier rules change.
use super::links::TIERS_PLACE;
use super::repo::outbox::Notice;
use super::repo::tiers::{self, ChangeReason, OrgTier};
use super::repo::{certifications, channel};
use super::AppState;
use crate::domain::channel::eligibility::{held_rights, rights_of, unlocked_by, Right, RightRule};
use crate::domain::identity::Tier;
use crate::domain::notifications::Event;
use crate::domain::tiers::{evaluate, is_automatic, tier_rank, Standing, TierPolicy};
use std::collections::BTreeSet;

/// One change made by an evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandingChange {
    Tier { org_id: i64, from: Tier, to: Tier },
    RightGained { org_id: i64, right: String },
    RightLost { org_id: i64, right: String },
}

/// Re-evaluates one organisation, or all, and applies what changed. `trigger` says what
/// prompted it, for the log.
pub async fn reevaluate(
    state: &AppState,
    only_org: Option<i64>,
    trigger: &str,
) -> Result<Vec<StandingChange>, sqlx::Error> {
    let db = &state.db;
    let now = state.clock.now_ms();
    // Until the rights held at installation are on record, look at everyone once.
    let baseline_recorded = tiers::baseline_recorded(db).await?;
    let only_org = only_org.filter(|_| baseline_recorded);
    let policies = tiers::policies(db).await?;
    let rules = certifications::right_rules(db).await?;
    let orgs = tiers::orgs(db, only_org).await?;
    let standings = tiers::standings(db, only_org, now).await?;
    let empty = Standing::default();
    let standing_of = |org: &OrgTier| standings.get(&org.id).unwrap_or(&empty);
    let held: Vec<(i64, BTreeSet<String>)> = orgs
        .iter()
        .map(|org| (org.id, rights_held(&rules, standing_of(org))))
        .collect();
    // Only the first evaluation writes the baseline; later ones skip the write entirely.
    if !baseline_recorded && tiers::record_baseline(db, &held, now).await? {
        tracing::info!(
            orgs = held.len(),
            "recorded the rights held at installation"
        );
    }
    let on_record = tiers::rights_on_record(db, only_org).await?;
    let settings = match channel::settings(db).await {
        Ok(settings) => settings,
        Err(channel::ChannelError::Database(error)) => return Err(error),
        Err(error) => {
            // Only the discount band in the emails depends on it; tiers still move.
            tracing::error!(%error, "program settings unreadable; using defaults");
            Default::default()
        }
    };
    let automatic = is_automatic(&policies);
    let mut changes = Vec::new();
    for (org, (_, held_now)) in orgs.iter().zip(&held) {
        if automatic {
            let evaluation = evaluate(&policies, standing_of(org));
            if evaluation.earned != org.tier {
                let explanation = evaluation.explain_change(org.tier);
                let benefits = benefits_text(&policies, evaluation.earned, &settings);
                let notices =
                    tier_notices(state, org, evaluation.earned, &explanation, &benefits).await?;
                let reason = ChangeReason {
                    explanation: &explanation,
                    trigger,
                    at: now,
                };
                if tiers::record_tier_change(
                    db,
                    org.id,
                    (org.tier, evaluation.earned),
                    &reason,
                    &notices,
                )
                .await?
                {
                    tracing::info!(org = org.id, from = %org.tier, to = %evaluation.earned, "tier changed");
                    changes.push(StandingChange::Tier {
                        org_id: org.id,
                        from: org.tier,
                        to: evaluation.earned,
                    });
                }
            }
        }
        let recorded = on_record.get(&org.id).cloned().unwrap_or_default();
        for (key, gained) in held_now
            .difference(&recorded)
            .map(|key| (key, true))
            .chain(recorded.difference(held_now).map(|key| (key, false)))
        {
            let Some(right) = Right::from_key(key) else {
                continue;
            };
            let certification = unlocked_by(&rules, &right);
            let explanation = if gained {
                format!("Someone in the organisation now holds {certification}.")
            } else if certification.is_empty() {
                "The program no longer defines this right.".to_string()
            } else {
                format!("No one in the organisation holds a valid {certification} certificate any more.")
            };
            let notices = right_notices(state, org, &right, gained, &explanation).await?;
            let reason = ChangeReason {
                explanation: &explanation,
                trigger,
                at: now,
            };
            if tiers::record_right_change(db, org.id, (key, gained), &reason, &notices).await? {
                let right = right.label();
                changes.push(if gained {
                    StandingChange::RightGained {
                        org_id: org.id,
                        right,
                    }
                } else {
                    StandingChange::RightLost {
                        org_id: org.id,
                        right,
                    }
                });
            }
        }
    }
    if !changes.is_empty() {
        state.mailer.wake();
    }
    Ok(changes)
}

/// Re-evaluates the organisation of a user (if they belong to one).
pub async fn reevaluate_user_org(
    state: &AppState,
    user_id: i64,
    trigger: &str,
) -> Result<Vec<StandingChange>, sqlx::Error> {
    let org: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT partner_org_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&state.db.read)
            .await?;
    match org.and_then(|(org,)| org) {
        Some(org_id) => reevaluate(state, Some(org_id), trigger).await,
        None => Ok(Vec::new()),
    }
}

fn rights_held(rules: &[RightRule], standing: &Standing) -> BTreeSet<String> {
    let certifications: Vec<i64> = standing
        .people
        .iter()
        .flat_map(|person| person.certifications.iter().copied())
        .collect();
    held_rights(rules, &rights_of(rules, &certifications))
        .iter()
        .map(Right::key)
        .collect()
}

/// What a tier gives, in a sentence.
pub fn benefits_text(
    policies: &[TierPolicy],
    tier: Tier,
    settings: &crate::domain::channel::clocks::ProgramSettings,
) -> String {
    let policy = policies.iter().find(|p| p.tier == tier);
    format!(
        "Discounts up to {}% without review; MDF: {}; leads: {}.",
        settings.tier_discount_limit(tier),
        if policy.is_some_and(|p| p.mdf_eligible) {
            "eligible"
        } else {
            "not eligible"
        },
        policy
            .map(|p| p.lead_distribution.label().to_lowercase())
            .unwrap_or_else(|| "not included".into())
    )
}

async fn tier_notices(
    state: &AppState,
    org: &OrgTier,
    to: Tier,
    explanation: &str,
    benefits: &str,
) -> Result<Vec<Notice>, sqlx::Error> {
    let moved = if tier_rank(to) > tier_rank(org.tier) {
        "moved up"
    } else {
        "moved down"
    };
    let message = format!(
        "{} {moved} from {} to {to}.\n\n{explanation}\n\n{to} benefits: {benefits}\n\n\
         See what each tier needs and where the organisation stands:",
        org.name, org.tier
    );
    let subject = format!("{} is now {to} (was {})", org.name, org.tier);
    notices_to_people(state, org, &subject, &message).await
}

async fn right_notices(
    state: &AppState,
    org: &OrgTier,
    right: &Right,
    gained: bool,
    explanation: &str,
) -> Result<Vec<Notice>, sqlx::Error> {
    let label = right.label();
    let (subject, line) = if gained {
        (
            format!("{}: {label} unlocked", org.name),
            format!(
                "{} may now register deals for {}.",
                org.name,
                right_object(right)
            ),
        )
    } else {
        (
            format!("{}: {label} withdrawn", org.name),
            format!(
                "{} can no longer register deals for {} until someone is certified again.",
                org.name,
                right_object(right)
            ),
        )
    };
    notices_to_people(state, org, &subject, &format!("{line}\n\n{explanation}")).await
}

/// The same news for the organisation's people and the partner managers, with a link to
/// the tiers page (for partners, one that needs no sign-in).
async fn notices_to_people(
    state: &AppState,
    org: &OrgTier,
    subject: &str,
    message: &str,
) -> Result<Vec<Notice>, sqlx::Error> {
    let page = format!("{}{TIERS_PLACE}", state.settings.public_base_url);
    let mut notices = Vec::new();
    for (user_id, email, name, role) in tiers::people_to_tell(&state.db, org.id).await? {
        // The organisation's own people open the page without signing in.
        let link = if role == crate::domain::identity::Role::PartnerUser.as_str() {
            super::links::place_link(state, user_id, TIERS_PLACE).await?
        } else {
            page.clone()
        };
        notices.push(Notice {
            event: Event::TierChanged,
            to: email,
            subject: subject.to_string(),
            body: format!("Hello {name},\n\n{message}\n\n{link}\n"),
            thread: None,
        });
    }
    Ok(notices)
}

fn right_object(right: &Right) -> String {
    match right {
        Right::Sell { product_line } => product_line.clone(),
        Right::Deliver => "implementation services".into(),
    }
}
