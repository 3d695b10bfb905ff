//! Learning-path rules: who a path is for, which steps are open, when a path is complete.
use super::identity::{JobRole, PartnerType, Tier};

/// Who a path targets. An empty list means "everyone" for that dimension.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Audience {
    pub partner_types: Vec<PartnerType>,
    pub tiers: Vec<Tier>,
    pub job_roles: Vec<JobRole>,
}

impl Audience {
    pub fn includes(
        &self,
        partner_type: PartnerType,
        tier: Tier,
        job_role: Option<JobRole>,
    ) -> bool {
        let type_ok = self.partner_types.is_empty() || self.partner_types.contains(&partner_type);
        let tier_ok = self.tiers.is_empty() || self.tiers.contains(&tier);
        // A path for specific job roles does not reach someone without a job role.
        let role_ok = self.job_roles.is_empty()
            || job_role.is_some_and(|role| self.job_roles.contains(&role));
        type_ok && tier_ok && role_ok
    }
}

/// Whether a user may open a path: vendor staff always (to preview drafts); partner users
/// only published paths whose audience includes their org and job role.
pub fn may_open_path(
    role: super::identity::Role,
    published: bool,
    audience: &Audience,
    org: Option<(PartnerType, Tier)>,
    job_role: Option<JobRole>,
) -> bool {
    if role.is_vendor_staff() {
        return true;
    }
    match org {
        Some((partner_type, tier)) => published && audience.includes(partner_type, tier, job_role),
        None => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StepState {
    Done,
    /// The next step to take.
    Available,
    /// Waits for an earlier required step.
    Locked,
}

/// A step as the unlocking rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepProgress {
    pub required: bool,
    /// Done means: viewed/marked done, or for a quiz, passed.
    pub done: bool,
}

/// Sequential unlocking: a step opens once every earlier *required* step is done. Optional
/// steps never block what follows them.
pub fn step_states(steps: &[StepProgress]) -> Vec<StepState> {
    let mut blocked = false;
    steps
        .iter()
        .map(|step| {
            let state = if step.done {
                StepState::Done
            } else if blocked {
                StepState::Locked
            } else {
                StepState::Available
            };
            if step.required && !step.done {
                blocked = true;
            }
            state
        })
        .collect()
}

/// Complete when every required step is done (quizzes count as done only when passed).
pub fn is_complete(steps: &[StepProgress]) -> bool {
    steps.iter().filter(|s| s.required).all(|s| s.done)
}

/// Share of required steps done, in whole percent (0 for a path with no required steps
/// that has not been touched, 100 once complete).
pub fn progress_percent(steps: &[StepProgress]) -> u8 {
    let required: Vec<_> = steps.iter().filter(|s| s.required).collect();
    if required.is_empty() {
        return if steps.iter().any(|s| s.done) { 100 } else { 0 };
    }
    let done = required.iter().filter(|s| s.done).count();
    ((done * 100) / required.len()) as u8
}

/// Where to resume a video: the saved position, unless it is so near the end that starting
/// over is what the learner wants.
pub fn resume_position_secs(saved_secs: f64, duration_secs: Option<f64>) -> f64 {
    const NEAR_END_SECS: f64 = 5.0;
    if !saved_secs.is_finite() || saved_secs < 0.0 {
        return 0.0;
    }
    match duration_secs.filter(|d| d.is_finite() && *d > 0.0) {
        Some(duration) if saved_secs >= duration - NEAR_END_SECS => 0.0,
        Some(duration) => saved_secs.min(duration),
        None => saved_secs,
    }
}

/// A catalog entry for ordering: required paths first, then unfinished before finished, then
/// by title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogKey<'a> {
    pub required: bool,
    pub complete: bool,
    pub title: &'a str,
}

pub fn catalog_order(a: &CatalogKey<'_>, b: &CatalogKey<'_>) -> std::cmp::Ordering {
    b.required
        .cmp(&a.required)
        .then(a.complete.cmp(&b.complete))
        .then_with(|| a.title.to_lowercase().cmp(&b.title.to_lowercase()))
}

/// Days a person has to finish a required path once it is assigned to them, until the
/// program sets its own period (Program rules).
pub const REQUIRED_TRAINING_DUE_DAYS: i64 = 30;

/// When a required path is due for someone: `due_days` after it is assigned, at its first
/// publication, or when they joined if that was later.
pub fn training_due_at(first_published_at: i64, joined_at: i64, due_days: i64) -> i64 {
    first_published_at.max(joined_at) + due_days * super::certification::DAY_MS
}

/// Where one person stands on one required path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TrainingStanding {
    Done,
    /// Completed before, and started over for a recertification.
    Recertifying,
    /// Not finished, and not due yet.
    Pending,
    Overdue,
}

/// One person's standing on a required path due at `due_at`.
pub fn training_standing(
    due_at: i64,
    completed: bool,
    recertifying: bool,
    now: i64,
) -> TrainingStanding {
    if completed {
        TrainingStanding::Done
    } else if recertifying {
        TrainingStanding::Recertifying
    } else if now >= due_at {
        TrainingStanding::Overdue
    } else {
        TrainingStanding::Pending
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn standing_on_required_training_follows_completion_then_the_due_date() {
        use super::{training_standing, TrainingStanding::*};
        assert_eq!(training_standing(100, true, true, 500), Done);
        assert_eq!(training_standing(100, false, true, 500), Recertifying);
        assert_eq!(training_standing(100, false, false, 99), Pending);
        assert_eq!(training_standing(100, false, false, 100), Overdue);
    }

    #[test]
    fn required_training_is_due_the_programs_period_after_assignment_or_joining() {
        use super::{training_due_at, REQUIRED_TRAINING_DUE_DAYS};
        let day = crate::domain::certification::DAY_MS;
        assert_eq!(training_due_at(10 * day, 2 * day, 30), 40 * day);
        assert_eq!(training_due_at(2 * day, 10 * day, 30), 40 * day);
        assert_eq!(training_due_at(2 * day, 10 * day, 14), 24 * day);
        assert_eq!(REQUIRED_TRAINING_DUE_DAYS, 30);
    }

    use super::*;

    fn step(required: bool, done: bool) -> StepProgress {
        StepProgress { required, done }
    }

    #[test]
    fn an_empty_audience_reaches_everyone() {
        let audience = Audience::default();
        assert!(audience.includes(PartnerType::Distributor, Tier::Registered, None));
    }

    #[test]
    fn audiences_combine_type_tier_and_role() {
        let audience = Audience {
            partner_types: vec![PartnerType::Reseller, PartnerType::Distributor],
            tiers: vec![Tier::Gold, Tier::Platinum],
            job_roles: vec![JobRole::Sales],
        };
        assert!(audience.includes(PartnerType::Reseller, Tier::Gold, Some(JobRole::Sales)));
        assert!(!audience.includes(PartnerType::Referral, Tier::Gold, Some(JobRole::Sales)));
        assert!(!audience.includes(PartnerType::Reseller, Tier::Silver, Some(JobRole::Sales)));
        assert!(!audience.includes(PartnerType::Reseller, Tier::Gold, Some(JobRole::Support)));
        assert!(!audience.includes(PartnerType::Reseller, Tier::Gold, None));
    }

    #[test]
    fn drafts_are_for_vendor_staff_and_audiences_bind_partners() {
        use crate::domain::identity::Role;
        let sales_only = Audience {
            job_roles: vec![JobRole::Sales],
            ..Audience::default()
        };
        let org = Some((PartnerType::Reseller, Tier::Gold));
        assert!(may_open_path(
            Role::PartnerManager,
            false,
            &sales_only,
            None,
            None
        ));
        assert!(may_open_path(
            Role::PartnerUser,
            true,
            &sales_only,
            org,
            Some(JobRole::Sales)
        ));
        assert!(
            !may_open_path(
                Role::PartnerUser,
                false,
                &sales_only,
                org,
                Some(JobRole::Sales)
            ),
            "draft"
        );
        assert!(
            !may_open_path(
                Role::PartnerUser,
                true,
                &sales_only,
                org,
                Some(JobRole::Support)
            ),
            "not the audience"
        );
        assert!(
            !may_open_path(Role::PartnerUser, true, &Audience::default(), None, None),
            "no org"
        );
    }

    #[test]
    fn steps_unlock_in_order_past_optional_ones() {
        use StepState::*;
        assert_eq!(step_states(&[]), vec![]);
        assert_eq!(
            step_states(&[step(true, false), step(true, false)]),
            vec![Available, Locked]
        );
        assert_eq!(
            step_states(&[step(true, true), step(true, false), step(true, false)]),
            vec![Done, Available, Locked]
        );
        assert_eq!(
            step_states(&[step(false, false), step(true, false), step(true, false)]),
            vec![Available, Available, Locked],
            "an optional step does not block"
        );
        assert_eq!(
            step_states(&[step(true, false), step(true, true)]),
            vec![Available, Done],
            "work already done stays done (e.g. after content was reordered)"
        );
    }

    #[test]
    fn completion_needs_every_required_step() {
        assert!(is_complete(&[step(true, true), step(false, false)]));
        assert!(!is_complete(&[step(true, true), step(true, false)]));
        assert!(is_complete(&[]), "nothing required, nothing missing");
    }

    #[test]
    fn progress_counts_required_steps() {
        assert_eq!(
            progress_percent(&[step(true, true), step(true, false), step(true, false)]),
            33
        );
        assert_eq!(
            progress_percent(&[step(true, true), step(false, false)]),
            100
        );
        assert_eq!(progress_percent(&[step(false, false)]), 0);
        assert_eq!(progress_percent(&[step(false, true)]), 100);
    }

    #[test]
    fn videos_resume_where_left_unless_nearly_finished() {
        assert_eq!(resume_position_secs(42.5, Some(300.0)), 42.5);
        assert_eq!(resume_position_secs(297.0, Some(300.0)), 0.0);
        assert_eq!(resume_position_secs(500.0, None), 500.0);
        assert_eq!(resume_position_secs(-3.0, Some(300.0)), 0.0);
        assert_eq!(resume_position_secs(f64::NAN, Some(300.0)), 0.0);
        assert_eq!(resume_position_secs(10.0, Some(f64::INFINITY)), 10.0);
    }

    #[test]
    fn catalog_puts_required_and_unfinished_first() {
        let mut entries = [
            CatalogKey {
                required: false,
                complete: false,
                title: "Optional A",
            },
            CatalogKey {
                required: true,
                complete: true,
                title: "Done required",
            },
            CatalogKey {
                required: true,
                complete: false,
                title: "b required",
            },
            CatalogKey {
                required: true,
                complete: false,
                title: "A required",
            },
        ];
        entries.sort_by(catalog_order);
        let titles: Vec<_> = entries.iter().map(|e| e.title).collect();
        assert_eq!(
            titles,
            ["A required", "b required", "Done required", "Optional A"]
        );
    }
}
