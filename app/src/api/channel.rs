//! Deal registration (partners) and the review queue (partner managers). Partners see their
//! own deals in full; anything about another party comes back as `SafeDeal`.
use crate::domain::channel::deals::RegistrationInput;
use crate::error::AppError;
use crate::model::{AppealItem, CustomerMatch, PartnerPipeline, RegistrationOutcome};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod imp {
    use crate::domain::channel::conflict::{Party, Verdict};
    use crate::domain::channel::explain::{explain, PartnerView, PartyNames};
    use crate::error::AppError;
    use crate::server::repo::channel::ChannelError;
    use crate::server::AppState;
    use std::collections::HashMap;

    impl From<ChannelError> for AppError {
        #[track_caller]
        fn from(error: ChannelError) -> Self {
            match error {
                ChannelError::Database(error) => error.into(),
                ChannelError::Corrupt(error) => {
                    tracing::error!(%error, "stored channel data is malformed");
                    AppError::Internal
                }
            }
        }
    }

    /// Partner names for vendor staff.
    pub struct StaffNames(pub HashMap<i64, String>);

    impl PartyNames for StaffNames {
        fn name(&self, party: Party) -> String {
            match party {
                Party::Direct => "direct sales".into(),
                Party::Partner(id) => self
                    .0
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("partner #{id}")),
            }
        }
    }

    /// The caller's organisation and one of its deals; another party's deal looks like it
    /// does not exist.
    pub async fn own_org_deal(
        state: &AppState,
        actor: &crate::server::guard::Actor,
        deal_id: i64,
    ) -> Result<
        (
            crate::server::guard::OrgScope,
            crate::server::repo::channel::DealRow,
        ),
        AppError,
    > {
        // A session opened from an email reaches the deal it was sent about, nothing else.
        actor.require_place(&crate::server::links::deal_place(deal_id))?;
        let org_id = actor.user.partner_org_id.ok_or(AppError::Forbidden)?;
        let scope = actor.org_scope(org_id)?;
        let deal = crate::server::repo::channel::deal(&state.db, deal_id)
            .await?
            .filter(|d| d.partner_org_id == Some(scope.org_id()))
            .ok_or(AppError::NotFound)?;
        Ok((scope, deal))
    }

    pub async fn staff_names(state: &AppState) -> Result<StaffNames, AppError> {
        let names = crate::server::repo::orgs::names(&state.db).await?;
        Ok(StaffNames(names.into_iter().collect()))
    }

    /// The stored verdict of a deal, explained to a partner of `org_id`.
    pub fn explain_for_partner(decision_json: &str, org_id: i64) -> Vec<String> {
        serde_json::from_str::<Verdict>(decision_json)
            .map(|verdict| {
                explain(
                    &verdict,
                    &PartnerView {
                        me: Party::Partner(org_id),
                    },
                )
            })
            .unwrap_or_default()
    }

    /// Every deal of the organisation in full, with what its people may do next.
    /// `settings` are the program's rules as the caller already read them.
    pub async fn own_deals(
        state: &AppState,
        scope: crate::server::guard::OrgScope,
        settings: &crate::domain::channel::clocks::ProgramSettings,
    ) -> Result<Vec<crate::model::OwnDeal>, AppError> {
        use crate::server::repo::channel;
        let now = state.clock.now_ms();
        let rows = channel::deals_of_org(&state.db, scope).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let appeals = channel::appeals_of_deals(&state.db, &ids).await?;
        rows.into_iter()
            .map(|row| own_deal(row, &appeals, settings, now, scope.org_id()))
            .collect()
    }

    /// One of the organisation's deals in full, with what its people may do next.
    pub fn own_deal(
        row: crate::server::repo::channel::DealRow,
        appeals: &[crate::server::repo::channel::AppealRow],
        settings: &crate::domain::channel::clocks::ProgramSettings,
        now: i64,
        org_id: i64,
    ) -> Result<crate::model::OwnDeal, AppError> {
        use crate::domain::channel::clocks::{ExtensionRefusal, Protection};
        use crate::domain::channel::conflict::DealKind;
        use crate::domain::channel::deals::{Motion, RegistrationStatus, Stage};
        use crate::model::{AppealSummary, ExtensionHint, OwnDeal};
        let corrupt = |what: &str| {
            tracing::error!(what, "unknown value in a deal row");
            AppError::Internal
        };
        let appeal = appeals
            .iter()
            .rev()
            .find(|a| a.deal_id == row.id)
            .map(|a| AppealSummary {
                appeal_id: a.id,
                status: a.status.clone(),
                filed_at: a.filed_at,
                resolution: a.resolution.clone(),
            });
        let can_appeal = row.registration_status == "declined"
            && row
                .decided_at
                .is_some_and(|at| settings.appeal_open(at, now))
            && appeal.as_ref().is_none_or(|a| a.status != "open");
        // A closed deal needs no protection: no extension is offered once it is won or lost.
        let closed =
            Stage::parse(&row.stage).is_some_and(crate::domain::channel::updates::is_closed);
        let extension = (row.registration_status == "approved" && !closed)
            .then_some(row.protected_until)
            .flatten()
            .map(|until| {
                let protection = Protection {
                    until,
                    extensions_used: row.extensions_used,
                    last_activity_at: row.last_activity_at,
                };
                match settings.extend(&protection, now) {
                    Ok(until) => ExtensionHint::Available { until },
                    Err(ExtensionRefusal::TooEarly { opens_at }) => {
                        ExtensionHint::OpensAt(opens_at)
                    }
                    Err(refusal) => ExtensionHint::Unavailable(refusal.message().into()),
                }
            });
        let appeal_until = row
            .decided_at
            .filter(|_| can_appeal)
            .map(|at| at + settings.appeal_window_days * crate::domain::certification::DAY_MS);
        Ok(OwnDeal {
            appeal,
            can_appeal,
            appeal_until,
            extension,
            proof_of_work: row.proof_of_work,
            owner_user_id: row.owner_user_id,
            owner_name: row.owner_name,
            version: row.updated_at,
            deal_id: row.id,
            motion: Motion::parse(&row.motion).ok_or_else(|| corrupt("motion"))?,
            kind: DealKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
            stage: Stage::parse(&row.stage).ok_or_else(|| corrupt("stage"))?,
            status: RegistrationStatus::parse(&row.registration_status)
                .ok_or_else(|| corrupt("status"))?,
            explanation: explain_for_partner(&row.decision_json, org_id),
            account_name: row.account_name,
            product_line: row.product_line,
            amount_cents: row.amount_cents,
            requested_discount_pct: row.requested_discount_pct,
            close_at: row.close_at,
            submitted_at: row.submitted_at,
            protected_until: row.protected_until,
            next_step: row.next_step,
            notes: row.private_notes,
        })
    }

    /// The organisation's people, who may own its deals.
    pub async fn members(
        state: &AppState,
        org_id: i64,
    ) -> Result<Vec<crate::model::Member>, AppError> {
        Ok(crate::server::repo::channel::org_members(&state.db, org_id)
            .await?
            .into_iter()
            .map(|(user_id, name)| crate::model::Member { user_id, name })
            .collect())
    }

    /// What weighing a waiting registration needs: the deals on its customer (rows of
    /// other customers may be there too), who is certified, the rules and the names.
    pub struct Weighing<'a> {
        pub rows: &'a [crate::server::repo::channel::QueueRow],
        pub certified: &'a std::collections::HashSet<i64>,
        pub settings: &'a crate::domain::channel::clocks::ProgramSettings,
        pub names: &'a StaffNames,
        pub now: i64,
    }

    impl Weighing<'_> {
        /// The other deals that claim `row`'s customer, as a reviewer sees them.
        pub fn others(
            &self,
            row: &crate::server::repo::channel::QueueRow,
        ) -> Vec<crate::model::OtherClaim> {
            use crate::domain::channel::deals::{RegistrationStatus, Stage};
            use crate::domain::channel::queue::claim_of;
            self.rows
                .iter()
                .filter(|other| other.account_id == row.account_id && other.id != row.id)
                .filter(|other| {
                    other
                        .claim_facts()
                        .is_some_and(|facts| claim_of(&facts, |_| false).is_some())
                })
                .filter_map(|other| {
                    Some(crate::model::OtherClaim {
                        deal_id: other.id,
                        party: other
                            .partner_name
                            .clone()
                            .unwrap_or_else(|| "Direct sales".into()),
                        status: RegistrationStatus::parse(&other.registration_status)?,
                        stage: Stage::parse(&other.stage)?,
                        submitted_at: other.submitted_at,
                        protected_until: other.protected_until,
                    })
                })
                .collect()
        }

        /// A waiting registration as the queue shows it, its customer's claims weighed
        /// now: a card never repeats a verdict from submission that no longer holds.
        /// `None` for a deal that is not waiting for review.
        pub fn review(
            &self,
            row: &crate::server::repo::channel::QueueRow,
            customer: &[crate::domain::channel::queue::ClaimFacts],
        ) -> Option<crate::model::QueueItem> {
            use crate::domain::channel::conflict::{decide, DealKind, Registration};
            use crate::domain::channel::deals::{Motion, RegistrationStatus};
            use crate::domain::channel::explain::explain_for_review;
            use crate::domain::channel::queue::{claims_besides, conflicts};
            let status = RegistrationStatus::parse(&row.registration_status)?;
            if !matches!(
                status,
                RegistrationStatus::Pending | RegistrationStatus::InfoRequested
            ) {
                return None;
            }
            let submitted_at = row.submitted_at?;
            let kind = DealKind::parse(&row.kind)?;
            let me = row.partner_org_id.map_or(Party::Direct, Party::Partner);
            let is_certified = |org: i64| self.certified.contains(&org);
            let claims = claims_besides(customer, Some(row.id), row.incumbent_org_id, is_certified);
            let verdict = decide(
                &Registration {
                    party: me,
                    kind,
                    submitted_at,
                    certified: row.partner_org_id.is_some_and(is_certified),
                },
                &claims,
                self.now,
            );
            Some(crate::model::QueueItem {
                deal_id: row.id,
                account_name: row.account_name.clone(),
                partner_org_id: row.partner_org_id,
                partner_name: row.partner_name.clone().unwrap_or_else(|| "Direct".into()),
                owner_name: row.owner_name.clone(),
                motion: Motion::parse(&row.motion)?,
                kind,
                status,
                product_line: row.product_line.clone(),
                region: row.region.clone(),
                amount_cents: row.amount_cents,
                requested_discount_pct: row.requested_discount_pct,
                submitted_at,
                sla_due_at: self.settings.sla_due(submitted_at),
                sla: self.settings.sla(submitted_at, self.now),
                proof_of_work: row.proof_of_work.clone(),
                conflicts: conflicts(me, &claims, self.now),
                explanation: explain_for_review(&verdict, self.names),
                others: self.others(row),
            })
        }
    }

    /// Every registration waiting for review, most urgent first, with what competes with
    /// it now.
    pub async fn queue_items(state: &AppState) -> Result<Vec<crate::model::QueueItem>, AppError> {
        use crate::domain::channel::queue::ClaimFacts;
        use crate::server::repo::channel;
        let now = state.clock.now_ms();
        let (rows, certified) = tokio::try_join!(
            channel::queue_customers(&state.db),
            channel::certified_orgs(&state.db, now),
        )?;
        let settings = channel::settings(&state.db).await?;
        let names = staff_names(state).await?;
        let mut by_customer: HashMap<i64, Vec<ClaimFacts>> = HashMap::new();
        for row in &rows {
            if let Some(facts) = row.claim_facts() {
                by_customer.entry(row.account_id).or_default().push(facts);
            }
        }
        let weighing = Weighing {
            rows: &rows,
            certified: &certified,
            settings: &settings,
            names: &names,
            now,
        };
        let mut items: Vec<_> = rows
            .iter()
            .filter_map(|row| {
                let customer = by_customer.get(&row.account_id)?;
                weighing.review(row, customer)
            })
            .collect();
        items.sort_by_key(|item| (item.sla.urgency_key(), item.deal_id));
        Ok(items)
    }

    /// What became of the registrations a confirmation link names (unknown ids are left
    /// out; managers see every deal).
    pub async fn decided_notes(
        state: &AppState,
        ids: &[i64],
    ) -> Result<Vec<crate::model::DecidedNote>, AppError> {
        use crate::domain::channel::deals::RegistrationStatus;
        let mut notes = Vec::new();
        for id in ids {
            let Some(deal) = crate::server::repo::channel::deal(&state.db, *id).await? else {
                continue;
            };
            let Some(status) = RegistrationStatus::parse(&deal.registration_status) else {
                continue;
            };
            notes.push(crate::model::DecidedNote {
                deal_id: deal.id,
                account_name: deal.account_name,
                partner_name: deal.partner_name.unwrap_or_else(|| "Direct".into()),
                status,
                protected_until: deal.protected_until,
            });
        }
        Ok(notes)
    }

    /// Records a manager's decision on a registration still waiting for one, with the
    /// notices it sends; false if it was already decided.
    pub async fn decide(
        state: &AppState,
        actor: i64,
        deal_id: i64,
        to: crate::domain::channel::deals::RegistrationStatus,
        rationale: &str,
    ) -> Result<bool, AppError> {
        use crate::domain::channel::deals::RegistrationStatus;
        use crate::server::repo::channel;
        let settings = channel::settings(&state.db).await?;
        let now = state.clock.now_ms();
        let protected_until =
            (to == RegistrationStatus::Approved).then(|| settings.protection_until(now));
        let deal = channel::deal(&state.db, deal_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let notices =
            crate::server::deal_news::decided(state, &deal, to, protected_until, rationale).await?;
        Ok(channel::decide(
            &state.db,
            deal_id,
            to,
            protected_until,
            &channel::By {
                actor,
                rationale,
                at: now,
            },
            &notices,
        )
        .await?)
    }

    pub fn explain_for_staff(decision_json: &str, names: &StaffNames) -> Vec<String> {
        serde_json::from_str::<Verdict>(decision_json)
            .map(|verdict| explain(&verdict, names))
            .unwrap_or_default()
    }
}

/// Names shorter than this (without a website) are not looked up.
pub const MIN_CHECK_NAME_CHARS: usize = 4;

/// While a partner types: existing customers with this domain or a similar name, and
/// whether they are protected (until when) or under review. Never who holds them.
#[server]
pub async fn check_customer(
    company_name: String,
    domain: String,
) -> Result<Vec<CustomerMatch>, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::matching::{normalize_domain, SAME_COMPANY};
    use crate::domain::rate_limit::RateDecision;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{channel, rate_limits};
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    if company_name.chars().count() > 200 || domain.len() > 300 {
        return Err(AppError::field(
            "company_name",
            "That is too long to be a company name.",
        ));
    }
    let domain = normalize_domain(&domain);
    // Too little to tell companies apart: guessing with short fragments would list other
    // partners' customers, so nothing is looked up (and nothing counted).
    if company_name.trim().chars().count() < MIN_CHECK_NAME_CHARS && domain.is_none() {
        return Ok(Vec::new());
    }
    let now = state.clock.now_ms();
    // A budget per person: plenty for typing a few registrations, too little to sweep
    // the customer base. Vendor staff see every account anyway.
    if actor.user.partner_org_id.is_some() {
        let bucket = format!("customer-check:user:{}", actor.user.id);
        let limit = &state.settings.customer_check_limit;
        if let RateDecision::Refuse { retry_after_secs } =
            rate_limits::check(&state.db, &bucket, limit, now).await?
        {
            return Err(AppError::RateLimited { retry_after_secs });
        }
        rate_limits::record(&state.db, &bucket, now).await?;
    }
    let found =
        channel::find_matches(&state.db, &company_name, domain.as_deref(), SAME_COMPANY).await?;
    let mut matches = Vec::with_capacity(found.len().min(5));
    for candidate in found.into_iter().take(5) {
        matches.push(CustomerMatch {
            protected_until: channel::protected_until(&state.db, candidate.account_id, now).await?,
            under_review: channel::has_pending(&state.db, candidate.account_id).await?,
            account_name: candidate.name,
            same_domain: candidate.same_domain,
        });
    }
    Ok(matches)
}

/// Registers a deal. The conflict engine decides at once: approved (protection starts),
/// awaiting review, or refused as a duplicate with the protection's end date.
#[server]
pub async fn register_deal(input: RegistrationInput) -> Result<RegistrationOutcome, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::conflict::{decide, Decision, Party, Registration};
    use crate::domain::channel::deals::{validate_registration, RegistrationStatus};
    use crate::domain::channel::eligibility::check_eligibility;
    use crate::domain::channel::explain::{explain, PartnerView};
    use crate::domain::channel::matching::SAME_COMPANY;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel::{self, Registering};
    let actor = authorize(Policy::PartnerUser).await?;
    let state = app_state()?;
    let org_id = actor.user.partner_org_id.ok_or(AppError::Forbidden)?;
    let scope = actor.org_scope(org_id)?;
    let now = state.clock.now_ms();
    let input = validate_registration(&input, now).map_err(AppError::Validation)?;
    let (partner_name, partner_type) = crate::server::repo::orgs::name_and_type(&state.db, scope)
        .await?
        .ok_or(AppError::Forbidden)?;
    let rights =
        crate::server::repo::certifications::rights_of_org(&state.db, scope.org_id(), now).await?;
    check_eligibility(partner_type, input.motion, &input.product_line, &rights)
        .map_err(AppError::Validation)?;
    let settings = channel::settings(&state.db).await?;
    // The same customer: same registrable domain, or a name similar enough.
    let existing = channel::find_matches(
        &state.db,
        &input.company_name,
        Some(&input.domain),
        SAME_COMPANY,
    )
    .await?
    .into_iter()
    .next();
    let claims = match &existing {
        Some(found) => channel::claims(&state.db, found.account_id, now).await?,
        None => Vec::new(),
    };
    let me = Party::Partner(scope.org_id());
    let verdict = decide(
        &Registration {
            party: me,
            kind: input.kind,
            submitted_at: now,
            certified: rights.certified,
        },
        &claims,
        now,
    );
    let explanation = explain(&verdict, &PartnerView { me });
    if verdict.decision == Decision::Duplicate {
        let until = match &existing {
            Some(found) => channel::protected_until(&state.db, found.account_id, now).await?,
            None => None,
        };
        let message = match until {
            Some(until) => format!(
                "This customer is already protected until {}. {}",
                crate::domain::channel::explain::protection_date(until),
                "If you believe you should own it, ask your partner manager to review or file an appeal."
            ),
            None => "You already have a registration for this customer.".to_string(),
        };
        return Err(AppError::Conflict(message));
    }
    let (status, protected_until) = match verdict.decision {
        Decision::AutoApprove => (
            RegistrationStatus::Approved,
            Some(settings.protection_until(now)),
        ),
        _ => (RegistrationStatus::Pending, None),
    };
    let decision_json = serde_json::to_string(&verdict).map_err(|error| {
        tracing::error!(%error, "could not store a verdict");
        AppError::Internal
    })?;
    let notices = if status == RegistrationStatus::Pending {
        crate::server::deal_news::submitted_for_review(
            &state,
            existing
                .as_ref()
                .map_or(&input.company_name, |found| &found.name),
            &partner_name,
            settings.approval_sla_hours,
        )
        .await?
    } else {
        Vec::new()
    };
    let (deal_id, _) = channel::register(
        &state.db,
        existing.map(|found| found.account_id),
        &input,
        &Registering {
            org_id: scope.org_id(),
            user_id: actor.user.id,
            owner_name: &actor.user.display_name,
            status,
            protected_until,
            decision_json: &decision_json,
            rationale: &explanation.join(" "),
        },
        &notices,
        now,
    )
    .await?;
    if !notices.is_empty() {
        state.mailer.wake();
    }
    crate::server::guard::redirect_form_post(&format!("/deals?registered={deal_id}"));
    Ok(RegistrationOutcome {
        deal_id,
        status,
        protected_until,
        explanation,
    })
}

/// The caller's organisation's deals in full, and other parties' deals on the same
/// customers as safe fields only.
#[server]
pub async fn load_my_pipeline() -> Result<PartnerPipeline, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::deals::{RegistrationStatus, Stage};
    use crate::model::{Holder, SafeDeal};
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel;
    let actor = authorize(Policy::PartnerUser).await?;
    let state = app_state()?;
    let org_id = actor.user.partner_org_id.ok_or(AppError::Forbidden)?;
    let scope = actor.org_scope(org_id)?;
    let corrupt = |what: &str| {
        tracing::error!(what, "unknown value in a deal row");
        AppError::Internal
    };
    let settings = channel::settings(&state.db).await?;
    let own = imp::own_deals(&state, scope, &settings).await?;
    let others = channel::others_on_accounts_of_org(&state.db, scope)
        .await?
        .into_iter()
        .map(|row| {
            Ok(SafeDeal {
                account_name: row.account_name,
                stage: Stage::parse(&row.stage).ok_or_else(|| corrupt("stage"))?,
                holder: if row.partner_org_id.is_some() {
                    Holder::AnotherPartner
                } else {
                    Holder::Direct
                },
                status: RegistrationStatus::parse(&row.registration_status)
                    .ok_or_else(|| corrupt("status"))?,
                protected_until: row.protected_until,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let members = imp::members(&state, scope.org_id()).await?;
    Ok(PartnerPipeline {
        own,
        others,
        members,
        rules: crate::model::RegistrationRules {
            protection_days: settings.protection_days,
            approval_sla_hours: settings.approval_sla_hours,
            max_extensions: settings.max_extensions,
            extension_days: settings.extension_days,
            extension_request_window_days: settings.extension_request_window_days,
            appeal_window_days: settings.appeal_window_days,
        },
    })
}

/// One of the caller's organisation's deals in full, with the people who may own it, for
/// the deal's page (where emailed links land). `None` for vendor staff, who see its history.
#[server]
pub async fn load_own_deal(deal_id: i64) -> Result<Option<crate::model::OwnDealPage>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::channel;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    if actor.user.role.is_vendor_staff() {
        actor.require_place(&crate::server::links::deal_place(deal_id))?;
        return Ok(None);
    }
    let state = app_state()?;
    let (scope, row) = imp::own_org_deal(&state, &actor, deal_id).await?;
    let settings = channel::settings(&state.db).await?;
    let appeals = channel::appeals_of_deals(&state.db, &[deal_id]).await?;
    let deal = imp::own_deal(
        row,
        &appeals,
        &settings,
        state.clock.now_ms(),
        scope.org_id(),
    )?;
    Ok(Some(crate::model::OwnDealPage {
        deal,
        members: imp::members(&state, scope.org_id()).await?,
    }))
}

/// The review queue's filters as they arrive from the page's query string, and the
/// registrations the last decision named (`decided`, `skipped`: comma-separated ids).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub search: Option<String>,
    pub partner: Option<String>,
    pub motion: Option<String>,
    pub region: Option<String>,
    pub conflict: Option<String>,
    pub sla: Option<String>,
    pub page: Option<String>,
    pub decided: Option<String>,
    pub skipped: Option<String>,
}

/// The queue's filters checked: what can be used is, and each problem is named for its
/// field (the page shows them there instead of failing as a whole).
pub struct CheckedQueueQuery {
    pub filter: crate::domain::channel::queue::QueueFilter,
    pub page: usize,
    pub decided: Vec<i64>,
    pub skipped: Vec<i64>,
    pub problems: Vec<crate::domain::validation::FieldError>,
}

pub fn check_queue_query(query: &QueueQuery) -> CheckedQueueQuery {
    use crate::domain::channel::deals::Motion;
    use crate::domain::channel::queue::{id_list, ConflictFilter, QueueFilter, SlaBucket};
    use crate::domain::validation::FieldError;
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut problems = Vec::new();
    let search = QueueFilter::search_words(query.search.as_deref().unwrap_or_default());
    if let Err(message) = &search {
        problems.push(FieldError::new("search", *message));
    }
    // A value given but not one the queue knows is named at its field and left out.
    fn chosen<T>(
        raw: &Option<String>,
        parse: impl Fn(&str) -> Option<T>,
        field: &str,
        message: &str,
        problems: &mut Vec<FieldError>,
    ) -> Option<T> {
        let text = raw.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        let value = parse(text);
        if value.is_none() {
            problems.push(FieldError::new(field, message));
        }
        value
    }
    let p = &mut problems;
    let partner = chosen(
        &query.partner,
        |t| t.parse::<i64>().ok(),
        "partner",
        "Choose a partner from the list.",
        p,
    );
    let motion = chosen(
        &query.motion,
        Motion::parse,
        "motion",
        "Choose a motion from the list.",
        p,
    );
    let conflict = chosen(
        &query.conflict,
        ConflictFilter::parse,
        "conflict",
        "Choose a kind of conflict from the list.",
        p,
    );
    let sla = chosen(
        &query.sla,
        SlaBucket::parse,
        "sla",
        "Choose an SLA state from the list.",
        p,
    );
    let region = chosen(
        &query.region,
        |t| (t.chars().count() <= 100).then(|| t.to_string()),
        "region",
        "Choose a region from the list.",
        p,
    );
    let page = chosen(
        &query.page,
        |t| {
            t.parse::<usize>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
        },
        "page",
        "Pages run from 1 to 100,000.",
        p,
    );
    CheckedQueueQuery {
        filter: QueueFilter {
            partner,
            motion,
            region,
            conflict,
            sla,
            search: search.unwrap_or_default(),
        },
        page: page.unwrap_or(1),
        decided: given(&query.decided)
            .and_then(|d| id_list(&d))
            .unwrap_or_default(),
        skipped: given(&query.skipped)
            .and_then(|d| id_list(&d))
            .unwrap_or_default(),
        problems,
    }
}

/// Registrations awaiting a decision, most urgent SLA first: one page of those that pass
/// the filters, with counts by SLA state and what competes with each one now.
#[server]
pub async fn load_review_queue(
    #[server(default)] query: QueueQuery,
) -> Result<crate::model::QueuePage, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::queue::{page_count, page_range, QueueFacts, SlaBucket, SlaCounts};
    use crate::model::QueuePage;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = check_queue_query(&query);
    let all = imp::queue_items(&state).await?;
    fn facts(item: &crate::model::QueueItem) -> QueueFacts<'_> {
        QueueFacts {
            account_name: &item.account_name,
            partner_org_id: item.partner_org_id,
            partner_name: &item.partner_name,
            owner_name: &item.owner_name,
            motion: item.motion,
            region: &item.region,
            conflicts: &item.conflicts,
            sla: SlaBucket::of(item.sla),
        }
    }
    let mut counts = SlaCounts::default();
    let mut partners = std::collections::BTreeMap::new();
    let mut regions = std::collections::BTreeSet::new();
    for item in &all {
        if let Some(org) = item.partner_org_id {
            partners.insert(org, item.partner_name.clone());
        }
        if !item.region.is_empty() {
            regions.insert(item.region.clone());
        }
        if checked.filter.matches_besides_sla(&facts(item)) {
            counts.add(SlaBucket::of(item.sla));
        }
    }
    let waiting = all.len();
    let matching: Vec<crate::model::QueueItem> = all
        .into_iter()
        .filter(|item| checked.filter.matches(&facts(item)))
        .collect();
    let (page, range) = page_range(matching.len(), checked.page);
    let mut partners: Vec<(i64, String)> = partners.into_iter().collect();
    partners.sort_by_key(|(_, name)| name.to_lowercase());
    let decided = imp::decided_notes(&state, &checked.decided).await?;
    let skipped = imp::decided_notes(&state, &checked.skipped).await?;
    Ok(QueuePage {
        first: range.start + 1,
        matching: matching.len(),
        page_count: page_count(matching.len()),
        items: matching[range].to_vec(),
        waiting,
        page,
        counts,
        partners,
        regions: regions.into_iter().collect(),
        decided,
        skipped,
        problems: checked.problems,
    })
}

pub const MIN_RATIONALE_CHARS: usize = 10;

/// A manager's reason for a decision: required, since partners and the audit trail read it.
pub fn checked_rationale(rationale: &str) -> Result<&str, AppError> {
    let rationale = rationale.trim();
    if rationale.chars().count() < MIN_RATIONALE_CHARS {
        Err(AppError::field(
            "rationale",
            "Explain the decision in a sentence; the partner and the audit trail will see it.",
        ))
    } else {
        Ok(rationale)
    }
}

/// Approves, declines or asks for more information on a registration; a rationale is
/// required and recorded in the audit trail. The manager goes back to the queue as they
/// filtered it (`back`: its query string), where the decision is confirmed.
#[server]
pub async fn decide_registration(
    deal_id: i64,
    decision: String,
    rationale: String,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::deals::RegistrationStatus;
    use crate::domain::channel::queue::return_to_queue;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let to = match decision.as_str() {
        "approve" => RegistrationStatus::Approved,
        "decline" => RegistrationStatus::Declined,
        "request_info" => RegistrationStatus::InfoRequested,
        _ => {
            return Err(AppError::field(
                "decision",
                "Choose approve, decline or request information.",
            ))
        }
    };
    let rationale = checked_rationale(&rationale)?;
    if imp::decide(&state, actor.user.id, deal_id, to, rationale).await? {
        state.mailer.wake();
        // From the deal's own page (`back=deal`) back there; from the queue, back to the
        // queue as it was filtered.
        let next = if back == "deal" {
            format!("/deals/{deal_id}?decided={deal_id}#decided")
        } else {
            return_to_queue(&back, &[deal_id], &[])
        };
        redirect_form_post(&next);
        Ok(())
    } else {
        Err(AppError::Conflict(
            "This registration has already been decided.".into(),
        ))
    }
}

/// Approves, with one rationale, the registrations picked on the queue (`approve[<id>]`
/// set for each), but only those still waiting and still clean when the approval is made:
/// anything that gained a competing claim in the meantime is left for review and named
/// in the confirmation.
#[server]
pub async fn approve_registrations(
    #[server(default)] approve: std::collections::BTreeMap<String, String>,
    rationale: String,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::deals::RegistrationStatus;
    use crate::domain::channel::queue::{return_to_queue, MAX_BULK};
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let mut ids: Vec<i64> = approve
        .keys()
        .map(|key| key.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::field("approve", "Pick registrations from the queue."))?;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::field(
            "approve",
            "Tick the clean registrations to approve first.",
        ));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::field(
            "approve",
            format!("Approve up to {MAX_BULK} registrations at once."),
        ));
    }
    let rationale = checked_rationale(&rationale)?;
    let waiting = imp::queue_items(&state).await?;
    let (mut approved, mut skipped) = (Vec::new(), Vec::new());
    for id in ids {
        let clean = waiting
            .iter()
            .any(|item| item.deal_id == id && item.conflicts.is_empty());
        if clean
            && imp::decide(
                &state,
                actor.user.id,
                id,
                RegistrationStatus::Approved,
                rationale,
            )
            .await?
        {
            approved.push(id);
        } else {
            skipped.push(id);
        }
    }
    if !approved.is_empty() {
        state.mailer.wake();
    }
    redirect_form_post(&return_to_queue(&back, &approved, &skipped));
    Ok(())
}

pub const MIN_EVIDENCE_CHARS: usize = 20;

/// Appeals a declined registration of the caller's organisation, within the appeal window,
/// with evidence (meetings, emails, the customer's own words).
#[server]
pub async fn file_appeal(deal_id: i64, evidence: String) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::channel;
    let actor = authorize_scoped(Policy::PartnerUser).await?;
    let state = app_state()?;
    let evidence = evidence.trim();
    if evidence.chars().count() < MIN_EVIDENCE_CHARS || evidence.chars().count() > 5000 {
        return Err(AppError::field(
            "evidence",
            "Describe your evidence in at least a couple of sentences (up to 5,000 characters).",
        ));
    }
    let (scope, deal) = imp::own_org_deal(&state, &actor, deal_id).await?;
    let settings = channel::settings(&state.db).await?;
    let now = state.clock.now_ms();
    if deal.registration_status != "declined" {
        return Err(AppError::Conflict(
            "Only a declined registration can be appealed.".into(),
        ));
    }
    if !deal
        .decided_at
        .is_some_and(|at| settings.appeal_open(at, now))
    {
        return Err(AppError::Conflict(format!(
            "The appeal window ({} days after the decision) has closed.",
            settings.appeal_window_days
        )));
    }
    let notices = crate::server::deal_news::appeal_filed(&state, &deal).await?;
    let appeal_id = channel::file_appeal(
        &state.db,
        deal_id,
        scope.org_id(),
        actor.user.id,
        evidence,
        &notices,
        now,
    )
    .await?
    .ok_or_else(|| AppError::Conflict("An appeal of this decision is already open.".into()))?;
    state.mailer.wake();
    Ok(appeal_id)
}

/// Open appeals, oldest first.
#[server]
pub async fn load_open_appeals() -> Result<Vec<AppealItem>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let names = imp::staff_names(&state).await?;
    let mut items = Vec::new();
    for appeal in channel::open_appeals(&state.db).await? {
        let Some(deal) = channel::deal(&state.db, appeal.deal_id).await? else {
            continue;
        };
        items.push(AppealItem {
            appeal_id: appeal.id,
            deal_id: deal.id,
            account_name: deal.account_name,
            partner_name: deal.partner_name.unwrap_or_else(|| "Direct".into()),
            filed_at: appeal.filed_at,
            evidence: appeal.evidence,
            explanation: imp::explain_for_staff(&deal.decision_json, &names),
        });
    }
    Ok(items)
}

/// Upholds (the appellant gets the protection) or rejects an appeal, with a rationale.
#[server]
pub async fn resolve_appeal(
    appeal_id: i64,
    uphold: bool,
    rationale: String,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::deal_news;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel;
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let rationale = checked_rationale(&rationale)?;
    let appeal = channel::appeal(&state.db, appeal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let deal = channel::deal(&state.db, appeal.deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let settings = channel::settings(&state.db).await?;
    let now = state.clock.now_ms();
    let protected_until = settings.protection_until(now);
    let notices = deal_news::appeal_resolved(
        &state,
        &deal,
        appeal.filed_by,
        uphold.then_some(protected_until),
        rationale,
    )
    .await?;
    let Some(transferred) = channel::resolve_appeal(
        &state.db,
        appeal_id,
        uphold,
        protected_until,
        &channel::By {
            actor: actor.user.id,
            rationale,
            at: now,
        },
        &notices,
    )
    .await?
    else {
        return Err(AppError::Conflict(
            "This appeal has already been resolved.".into(),
        ));
    };
    // Whoever lost the customer hears too; the resolution above is already committed.
    for other in transferred {
        let notices = deal_news::protection_transferred(&state, other, rationale).await?;
        crate::server::repo::outbox::queue_notices(&state.db, &notices, now).await?;
    }
    state.mailer.wake();
    Ok(())
}

/// Pipeline filters as they arrive from the page's query string.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PipelineQuery {
    pub partner: Option<String>,
    pub motion: Option<String>,
    pub stage: Option<String>,
    pub region: Option<String>,
    pub status: Option<String>,
    pub expiring_days: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    /// "board" for the board by stage; the table otherwise.
    pub view: Option<String>,
}

impl PipelineQuery {
    /// Whether the board by stage is asked for.
    pub fn board(&self) -> bool {
        self.view.as_deref() == Some("board")
    }

    /// The filters, sort and view as query parameters (`key=value`, encoded; no page), for
    /// links that keep them: the pages, the view switch, the CSV export and saved views.
    pub fn params(&self) -> Vec<String> {
        use crate::components::load::encode_query_value;
        [
            ("partner", &self.partner),
            ("motion", &self.motion),
            ("stage", &self.stage),
            ("region", &self.region),
            ("status", &self.status),
            ("expiring_days", &self.expiring_days),
            ("sort", &self.sort),
            ("view", &self.view),
        ]
        .into_iter()
        .filter_map(|(key, value)| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{key}={}", encode_query_value(v)))
        })
        .collect()
    }
}

pub const PIPELINE_PAGE_SIZE: i64 = 50;
/// Cards per stage on the board: the rest are a link to that stage in the table.
pub const BOARD_CARDS: i64 = 12;
/// A saved view's name, at most.
pub const MAX_VIEW_NAME_CHARS: usize = 60;
/// The plain link that downloads the filtered pipeline (`export_pipeline_csv` as a file;
/// `excel=1` adds the byte-order mark Excel needs).
pub const PIPELINE_CSV_PATH: &str = "/deals/pipeline/export.csv";
/// Far beyond any program's pipeline, and small enough that the offset cannot overflow.
pub const MAX_PIPELINE_PAGE: i64 = 100_000;

#[cfg(feature = "ssr")]
fn pipeline_filter(
    query: &PipelineQuery,
    now: i64,
) -> Result<
    (
        crate::server::repo::channel::PipelineFilter,
        crate::server::repo::channel::PipelineSort,
        bool,
        i64,
    ),
    AppError,
> {
    use crate::domain::channel::clocks::DAY_MS;
    use crate::domain::channel::deals::{Motion, RegistrationStatus, Stage};
    use crate::server::repo::channel::{PipelineFilter, PipelineSort};
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut problems = Vec::new();
    let mut check = |ok: bool, field: &str, message: &str| {
        if !ok {
            problems.push(crate::domain::validation::FieldError::new(field, message));
        }
    };
    let partner = given(&query.partner).map(|p| p.parse::<i64>());
    check(
        !matches!(partner, Some(Err(_))),
        "partner",
        "Choose a partner from the list.",
    );
    let motion = given(&query.motion);
    check(
        motion.as_deref().is_none_or(|m| Motion::parse(m).is_some()),
        "motion",
        "Unknown motion.",
    );
    let stage = given(&query.stage);
    check(
        stage.as_deref().is_none_or(|s| Stage::parse(s).is_some()),
        "stage",
        "Unknown stage.",
    );
    let status = given(&query.status);
    check(
        status
            .as_deref()
            .is_none_or(|s| RegistrationStatus::parse(s).is_some()),
        "status",
        "Unknown status.",
    );
    let expiring = given(&query.expiring_days).map(|d| d.parse::<i64>());
    check(
        matches!(expiring, None | Some(Ok(1..=365))),
        "expiring_days",
        "Enter a number of days from 1 to 365.",
    );
    let page = given(&query.page).map(|p| p.parse::<i64>());
    check(
        matches!(page, None | Some(Ok(1..=MAX_PIPELINE_PAGE))),
        "page",
        &format!("Pages run from 1 to {MAX_PIPELINE_PAGE}."),
    );
    check(
        given(&query.region).is_none_or(|r| r.chars().count() <= 100),
        "region",
        "Unknown region.",
    );
    check(
        matches!(
            given(&query.view).as_deref(),
            None | Some("table" | "board")
        ),
        "view",
        "Choose the table or the board.",
    );
    let (sort, descending) = match given(&query.sort).as_deref() {
        None | Some("updated") => (PipelineSort::Updated, true),
        Some("amount") => (PipelineSort::Amount, true),
        Some("close") => (PipelineSort::Close, false),
        Some("protection") => (PipelineSort::Protection, false),
        Some(_) => {
            check(false, "sort", "Unknown sort order.");
            (PipelineSort::Updated, true)
        }
    };
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok((
        PipelineFilter {
            partner_org_id: partner.and_then(Result::ok),
            motion,
            stage,
            region: given(&query.region),
            status,
            expiring_before: expiring
                .and_then(Result::ok)
                .map(|days| now + days * DAY_MS),
            now,
        },
        sort,
        descending,
        page.and_then(Result::ok).unwrap_or(1),
    ))
}

/// Every deal (managers), filtered, sorted and paginated, with totals by motion and status.
#[server]
pub async fn load_pipeline(
    #[server(default)] query: PipelineQuery,
) -> Result<crate::model::PipelinePage, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::deals::{Motion, RegistrationStatus, Stage};
    use crate::model::{PipelinePage, PipelineRow, PipelineTotal};
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel;
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let (filter, sort, descending, page) = pipeline_filter(&query, state.clock.now_ms())?;
    let rows = channel::pipeline(
        &state.db,
        &filter,
        sort,
        descending,
        PIPELINE_PAGE_SIZE,
        (page - 1) * PIPELINE_PAGE_SIZE,
    )
    .await?;
    // One scan gives the count and every set of totals.
    let cells = channel::pipeline_totals(&state.db, &filter).await?;
    let total: i64 = cells.iter().map(|(_, _, _, deals, _)| deals).sum();
    let totals = |label_of: &dyn Fn(&str, &str) -> String| {
        let mut grouped: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        for (motion, status, _, deals, amount) in &cells {
            let entry = grouped.entry(label_of(motion, status)).or_default();
            entry.0 += deals;
            entry.1 += amount;
        }
        grouped
            .into_iter()
            .map(|(label, (deals, amount_cents))| PipelineTotal {
                label,
                deals,
                amount_cents,
            })
            .collect::<Vec<_>>()
    };
    let partners = crate::server::repo::orgs::names(&state.db).await?;
    let as_row = |row: channel::PipelineDbRow| {
        Some(PipelineRow {
            deal_id: row.id,
            motion: Motion::parse(&row.motion)?,
            stage: Stage::parse(&row.stage)?,
            status: RegistrationStatus::parse(&row.registration_status)?,
            account_name: row.account_name,
            region: row.region,
            partner_name: row.partner_name.unwrap_or_else(|| "Direct".into()),
            owner_name: row.owner_name,
            amount_cents: row.amount_cents,
            requested_discount_pct: row.requested_discount_pct,
            close_at: row.close_at,
            protected_until: row.protected_until,
        })
    };
    // Totals by stage, in the stages' own order, every stage present.
    let by_stage: Vec<(Stage, PipelineTotal)> = Stage::ALL
        .iter()
        .map(|stage| {
            let (deals, amount_cents) = cells
                .iter()
                .filter(|(_, _, s, _, _)| s == stage.as_str())
                .fold((0, 0), |(n, sum), (_, _, _, deals, amount)| {
                    (n + deals, sum + amount)
                });
            (
                *stage,
                PipelineTotal {
                    label: stage.label().to_string(),
                    deals,
                    amount_cents,
                },
            )
        })
        .collect();
    // The board: each stage's first cards in the chosen order (only the filtered stage
    // when one is chosen).
    let mut board = Vec::new();
    if query.board() {
        for (stage, total) in &by_stage {
            if filter.stage.as_deref().is_some_and(|s| s != stage.as_str()) {
                continue;
            }
            let in_stage = channel::PipelineFilter {
                stage: Some(stage.as_str().to_string()),
                ..filter.clone()
            };
            let cards = if total.deals == 0 {
                Vec::new()
            } else {
                channel::pipeline(&state.db, &in_stage, sort, descending, BOARD_CARDS, 0)
                    .await?
                    .into_iter()
                    .filter_map(as_row)
                    .collect()
            };
            board.push(crate::model::BoardColumn {
                stage: *stage,
                deals: total.deals,
                amount_cents: total.amount_cents,
                cards,
            });
        }
    }
    let saved = crate::server::repo::saved_views::of_user(&state.db, actor.user.id)
        .await?
        .into_iter()
        .map(|row| crate::model::SavedView {
            view_id: row.id,
            name: row.name,
            href: format!("/deals/pipeline?{}", row.query),
        })
        .collect();
    Ok(PipelinePage {
        rows: if query.board() {
            Vec::new()
        } else {
            rows.into_iter().filter_map(as_row).collect()
        },
        by_stage: by_stage.into_iter().map(|(_, total)| total).collect(),
        board,
        saved,
        total_deals: total,
        page,
        page_count: ((total + PIPELINE_PAGE_SIZE - 1) / PIPELINE_PAGE_SIZE).max(1),
        by_motion: totals(&|motion, _| {
            Motion::parse(motion).map_or(motion.to_string(), |m| m.label().to_string())
        }),
        by_status: totals(&|_, status| {
            RegistrationStatus::parse(status).map_or(status.to_string(), |s| s.label().to_string())
        }),
        partners,
        regions: channel::regions(&state.db).await?,
    })
}

/// Saves the pipeline's current filters, sort and view under a name (the same name replaces
/// its filters), then shows that view. Up to `MAX_SAVED_VIEWS` per person.
#[server]
pub async fn save_pipeline_view(
    name: String,
    #[server(default)] query: PipelineQuery,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    use crate::server::repo::saved_views::{self, Saved, MAX_SAVED_VIEWS};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let name = name.trim();
    let mut problems = Vec::new();
    if name.is_empty() {
        problems.push(crate::domain::validation::FieldError::new(
            "name",
            "Name this view, for example \"EMEA renewals\".",
        ));
    } else if name.chars().count() > MAX_VIEW_NAME_CHARS {
        problems.push(crate::domain::validation::FieldError::new(
            "name",
            format!("Keep the name under {MAX_VIEW_NAME_CHARS} characters."),
        ));
    }
    problems.extend(crate::domain::validation::one_line_problem("name", name));
    if let Err(AppError::Validation(filter_problems)) =
        pipeline_filter(&query, state.clock.now_ms())
    {
        problems.extend(filter_problems);
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let stored = query.params().join("&");
    match saved_views::save(
        &state.db,
        actor.user.id,
        name,
        &stored,
        state.clock.now_ms(),
    )
    .await?
    {
        Saved::Saved => {
            redirect_form_post(&format!("/deals/pipeline?{stored}"));
            Ok(())
        }
        Saved::Full => Err(AppError::field(
            "name",
            format!("You have {MAX_SAVED_VIEWS} saved views already; delete one first."),
        )),
    }
}

/// Deletes one of the caller's saved views.
#[server]
pub async fn delete_pipeline_view(view_id: i64) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    if !crate::server::repo::saved_views::delete(&state.db, actor.user.id, view_id).await? {
        return Err(AppError::NotFound);
    }
    redirect_form_post("/deals/pipeline");
    Ok(())
}

/// The filtered pipeline as CSV (up to 100,000 deals). Amounts are plain decimal numbers
/// with their currency in the next column, so spreadsheets can sum them; `with_bom` starts
/// the file with a UTF-8 byte-order mark, which Excel needs to read accents correctly.
#[server]
pub async fn export_pipeline_csv(
    #[server(default)] query: PipelineQuery,
    #[server(default)] with_bom: bool,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::{
        decimal_amount, instant, line, line_with_numbers, BOM, CURRENCY,
    };
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let (filter, sort, descending, _) = pipeline_filter(&query, state.clock.now_ms())?;
    let rows = channel::pipeline(&state.db, &filter, sort, descending, 100_000, 0).await?;
    let mut csv = line(&[
        "deal_id",
        "customer",
        "region",
        "partner",
        "owner",
        "motion",
        "stage",
        "registration",
        "amount",
        "currency",
        "discount_pct",
        "close",
        "protected_until",
    ]);
    for row in rows {
        csv.push_str(&line_with_numbers(
            &[
                row.id.to_string(),
                row.account_name,
                row.region,
                row.partner_name.unwrap_or_else(|| "Direct".into()),
                row.owner_name,
                row.motion,
                row.stage,
                row.registration_status,
                decimal_amount(row.amount_cents),
                CURRENCY.to_string(),
                row.requested_discount_pct.to_string(),
                instant(row.close_at),
                instant(row.protected_until),
            ],
            // deal_id, amount and discount_pct are numbers.
            &[0, 8, 10],
        ));
    }
    Ok(if with_bom { format!("{BOM}{csv}") } else { csv })
}

/// A deal the signed-in person may look at: vendor staff see every deal, a partner only
/// its own organisation's (another's is "not found", so ids reveal nothing), and a session
/// limited to one deal only that deal.
#[cfg(feature = "ssr")]
pub(crate) async fn visible_deal(
    state: &crate::server::AppState,
    actor: &crate::server::guard::Actor,
    deal_id: i64,
) -> Result<crate::server::repo::channel::DealRow, AppError> {
    actor.require_place(&crate::server::links::deal_place(deal_id))?;
    let deal = crate::server::repo::channel::deal(&state.db, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let allowed = match deal.partner_org_id {
        Some(org) => actor.org_scope(org).is_ok(),
        None => actor.user.role.is_vendor_staff(),
    };
    if allowed {
        Ok(deal)
    } else {
        Err(AppError::NotFound)
    }
}

/// A deal's audit trail: vendor staff, or the deal's own organisation.
#[server]
pub async fn load_deal_audit(deal_id: i64) -> Result<crate::model::DealAudit, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::deals::RegistrationStatus;
    use crate::model::{AuditEvent, DealAudit};
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::channel;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    let deal = visible_deal(&state, &actor, deal_id).await?;
    let events = channel::events(&state.db, deal_id).await?;
    let crm_owner = crate::server::repo::crm::crm_owner(&state.db, deal_id)
        .await?
        .map(|(owner, crm)| {
            (
                crate::domain::crm_inbound::owner_label(Some(&owner), crm),
                crm.label().to_string(),
            )
        });
    Ok(DealAudit {
        crm_owner,
        deal_id,
        partner_view: !actor.user.role.is_vendor_staff(),
        status: RegistrationStatus::parse(&deal.registration_status).ok_or(AppError::Internal)?,
        account_name: deal.account_name,
        partner_name: deal.partner_name.unwrap_or_else(|| "Direct".into()),
        events: events
            .into_iter()
            .map(|e| AuditEvent {
                at: e.at,
                actor: e.actor_name.unwrap_or_else(|| "System".into()),
                field: e.field,
                from: e.from_value,
                to: e.to_value,
                rationale: e.rationale,
            })
            .collect(),
    })
}

/// A deal as vendor staff see it on its page: the deal itself, what competes with it now
/// (weighed again, as on the queue), the other claims on its customer, its early warnings,
/// and whether it waits for a decision.
#[server]
pub async fn load_staff_deal(deal_id: i64) -> Result<crate::model::StaffDeal, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::conflict::DealKind;
    use crate::domain::channel::deals::{Motion, RegistrationStatus, Stage};
    use crate::domain::channel::queue::ClaimFacts;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let now = state.clock.now_ms();
    let deal = channel::deal(&state.db, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (rows, certified) = tokio::try_join!(
        channel::customer_deals(&state.db, deal.account_id),
        channel::certified_orgs(&state.db, now),
    )?;
    let settings = channel::settings(&state.db).await?;
    let names = imp::staff_names(&state).await?;
    let row = rows
        .iter()
        .find(|row| row.id == deal_id)
        .ok_or(AppError::NotFound)?;
    let customer: Vec<ClaimFacts> = rows.iter().filter_map(|row| row.claim_facts()).collect();
    let weighing = imp::Weighing {
        rows: &rows,
        certified: &certified,
        settings: &settings,
        names: &names,
        now,
    };
    let corrupt = |what: &str| {
        tracing::error!(what, "unknown value in a deal row");
        AppError::Internal
    };
    let signals = signals(&state)
        .await?
        .into_iter()
        .filter(|signal| signal.deal_id == Some(deal_id))
        .collect();
    Ok(crate::model::StaffDeal {
        deal_id,
        review: weighing.review(row, &customer),
        others: weighing.others(row),
        at_registration: imp::explain_for_staff(&deal.decision_json, &names),
        signals,
        account_name: deal.account_name,
        region: row.region.clone(),
        partner_org_id: deal.partner_org_id,
        partner_name: deal.partner_name.unwrap_or_else(|| "Direct sales".into()),
        owner_name: deal.owner_name,
        motion: Motion::parse(&deal.motion).ok_or_else(|| corrupt("motion"))?,
        kind: DealKind::parse(&deal.kind).ok_or_else(|| corrupt("kind"))?,
        stage: Stage::parse(&deal.stage).ok_or_else(|| corrupt("stage"))?,
        status: RegistrationStatus::parse(&deal.registration_status)
            .ok_or_else(|| corrupt("status"))?,
        product_line: deal.product_line,
        amount_cents: deal.amount_cents,
        requested_discount_pct: deal.requested_discount_pct,
        close_at: deal.close_at,
        submitted_at: deal.submitted_at,
        decided_at: deal.decided_at,
        protected_until: deal.protected_until,
        next_step: deal.next_step,
        proof_of_work: deal.proof_of_work,
    })
}

/// Owner changes within this many days raise a signal.
pub const OWNER_CHANGE_WINDOW_DAYS: i64 = 14;

/// Early warnings for managers: contested customers, discounts above band, missing fields,
/// protections ending soon, renewals touched by direct sales, inactive deals.
#[server]
pub async fn load_signals() -> Result<Vec<crate::model::DealSignal>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    signals(&state).await
}

/// Every early warning, for managers (`load_signals`, and one deal's on its page).
#[cfg(feature = "ssr")]
async fn signals(
    state: &crate::server::AppState,
) -> Result<Vec<crate::model::DealSignal>, AppError> {
    use crate::domain::channel::clocks::{renewal_confirmed, DAY_MS};
    use crate::domain::channel::deals::Motion;
    use crate::domain::channel::explain::protection_date;
    use crate::domain::identity::Tier;
    use crate::model::{DealSignal, SignalKind};
    use crate::server::repo::channel::{self, SignalRow};
    let db = &state.db;
    let settings = channel::settings(db).await?;
    let now = state.clock.now_ms();
    let to_signals =
        |kind: SignalKind, rows: Vec<SignalRow>, detail: &dyn Fn(Option<i64>) -> String| {
            rows.into_iter()
                .map(|(deal_id, account_name, partner, number)| DealSignal {
                    kind,
                    deal_id: Some(deal_id),
                    account_name,
                    partner_name: partner.unwrap_or_else(|| "Direct".into()),
                    detail: detail(number),
                })
                .collect::<Vec<_>>()
        };
    let mut signals = to_signals(
        SignalKind::TwoOpenDeals,
        channel::signal_two_open_deals(db).await?,
        &|_| "Another party has an open deal on this customer.".into(),
    );
    for (deal_id, account_name, partner, tier, motion, discount) in
        channel::open_partner_discounts(db).await?
    {
        let (Some(tier), Some(motion)) = (Tier::parse(&tier), Motion::parse(&motion)) else {
            continue;
        };
        let limit = settings.discount_limit(tier, motion);
        if discount > limit {
            signals.push(DealSignal {
                kind: SignalKind::DiscountAboveBand,
                deal_id: Some(deal_id),
                account_name,
                partner_name: partner,
                detail: format!(
                    "Requests {discount:.0}% against the {} {} band of {limit:.0}%.",
                    tier.label(),
                    motion.label().to_lowercase()
                ),
            });
        }
    }
    signals.extend(to_signals(
        SignalKind::MissingPartnerFields,
        channel::signal_missing_fields(db).await?,
        &|_| "Past qualification without a next step or proof of work.".into(),
    ));
    signals.extend(to_signals(
        SignalKind::ProtectionExpiringSoon,
        channel::signal_expiring(db, now, now + 7 * DAY_MS).await?,
        &|at| {
            format!(
                "Protection ends {}.",
                at.map(protection_date).unwrap_or_default()
            )
        },
    ));
    signals.extend(to_signals(
        SignalKind::RenewalTouchedByDirect,
        channel::signal_renewal_direct(db, now, now + settings.renewal_lead_days * DAY_MS).await?,
        &|at| {
            format!(
                "Direct sales is active; the incumbent's renewal is due {}.",
                at.map(protection_date).unwrap_or_default()
            )
        },
    ));
    for renewal in
        channel::renewals_between(db, now, now + settings.renewal_lead_days * DAY_MS).await?
    {
        if !renewal_confirmed(renewal.renewal_at, renewal.confirmed_at) {
            signals.push(DealSignal {
                kind: SignalKind::RenewalUnconfirmed,
                deal_id: None,
                detail: format!(
                    "Renews {}; confirm {} or reassign.",
                    protection_date(renewal.renewal_at),
                    renewal.owner_name.as_deref().unwrap_or("direct sales")
                ),
                partner_name: renewal.owner_name.unwrap_or_else(|| "Direct".into()),
                account_name: renewal.account_name,
            });
        }
    }
    signals.extend(to_signals(
        SignalKind::OwnerChanged,
        channel::signal_owner_changes(db, now - OWNER_CHANGE_WINDOW_DAYS * DAY_MS).await?,
        &|count| match count.unwrap_or(1) {
            1 => "The owner changed once recently: check the customer knows.".into(),
            n => format!("The owner changed {n} times recently."),
        },
    ));
    signals.extend(to_signals(
        SignalKind::Inactive,
        channel::signal_inactive(db, now - settings.inactivity_days * DAY_MS).await?,
        &|at| {
            format!(
                "No activity since {}: consider reassigning.",
                at.map(protection_date).unwrap_or_default()
            )
        },
    ));
    Ok(signals)
}

/// Edits one of the caller's organisation's deals: stage, amount, discount, close date,
/// next step, proof of work, notes and owner. Advancing a stage needs the fields that stage
/// requires; closed deals keep everything but notes. `version` is the deal's version when
/// the editor read it, so a concurrent edit is refused rather than overwritten. A form post
/// (`deal_id`, `version`, `input[field]`).
#[server]
pub async fn update_deal(
    deal_id: i64,
    version: i64,
    input: crate::domain::channel::updates::DealUpdateInput,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::deals::{RegistrationStatus, Stage};
    use crate::domain::channel::updates::{apply_update, DealFields};
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::channel::{self, By};
    let actor = authorize_scoped(Policy::PartnerUser).await?;
    let state = app_state()?;
    let (scope, deal) = imp::own_org_deal(&state, &actor, deal_id).await?;
    let members = channel::org_members(&state.db, scope.org_id()).await?;
    let member_ids: Vec<i64> = members.iter().map(|(id, _)| *id).collect();
    // Any change to a deal waiting on the partner counts as their answer: back to review.
    let answer = if deal.registration_status == RegistrationStatus::InfoRequested.as_str() {
        Some(crate::server::deal_news::info_answered(&state, &deal).await?)
    } else {
        None
    };
    let current = DealFields {
        stage: Stage::parse(&deal.stage).ok_or(AppError::Internal)?,
        amount_cents: deal.amount_cents,
        requested_discount_pct: deal.requested_discount_pct,
        close_at: deal.close_at,
        next_step: deal.next_step,
        proof_of_work: deal.proof_of_work,
        notes: deal.private_notes,
        owner_user_id: deal.owner_user_id,
    };
    let now = state.clock.now_ms();
    let accepted =
        apply_update(&current, &input, &member_ids, now).map_err(AppError::Validation)?;
    if accepted.changes.is_empty() {
        return Ok(());
    }
    let name_of = |id: &str| {
        members
            .iter()
            .find(|(member, _)| member.to_string() == id)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| deal.owner_name.clone())
    };
    let changes: Vec<(&str, String, String)> = accepted
        .changes
        .iter()
        .map(|change| match change.field {
            "owner" => (change.field, name_of(&change.from), name_of(&change.to)),
            field => (field, change.from.clone(), change.to.clone()),
        })
        .collect();
    let owner_name = accepted
        .fields
        .owner_user_id
        .map(|id| name_of(&id.to_string()))
        .unwrap_or_else(|| deal.owner_name.clone());
    let edit = channel::DealEdit {
        fields: &accepted.fields,
        owner_name: &owner_name,
        changes: &changes,
        answer: answer.as_deref(),
    };
    if channel::update_deal(
        &state.db,
        deal_id,
        version,
        &edit,
        &By {
            actor: actor.user.id,
            rationale: &accepted.reason,
            at: now,
        },
    )
    .await?
    {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "Someone changed this deal after you opened it. Reload to see their changes, then edit again.".into(),
        ))
    }
}

/// Extends the protection of one of the caller's organisation's approved registrations,
/// when the program's extension rules allow it now. Returns the new end.
#[server]
pub async fn request_extension(deal_id: i64) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::clocks::{ExtensionRefusal, Protection};
    use crate::domain::channel::explain::protection_date;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::channel::{self, By};
    let actor = authorize_scoped(Policy::PartnerUser).await?;
    let state = app_state()?;
    let (_, deal) = imp::own_org_deal(&state, &actor, deal_id).await?;
    if crate::domain::channel::deals::Stage::parse(&deal.stage)
        .is_some_and(crate::domain::channel::updates::is_closed)
    {
        return Err(AppError::Conflict(
            "This deal is closed; its protection no longer needs extending.".into(),
        ));
    }
    let until = deal
        .protected_until
        .filter(|_| deal.registration_status == "approved")
        .ok_or_else(|| {
            AppError::Conflict("Only an approved registration's protection can be extended.".into())
        })?;
    let settings = channel::settings(&state.db).await?;
    let now = state.clock.now_ms();
    let protection = Protection {
        until,
        extensions_used: deal.extensions_used,
        last_activity_at: deal.last_activity_at,
    };
    let extended_until = settings.extend(&protection, now).map_err(|refusal| {
        AppError::Conflict(match refusal {
            ExtensionRefusal::TooEarly { opens_at } => format!(
                "Extensions open on {}, {} days before the protection ends.",
                protection_date(opens_at),
                settings.extension_request_window_days
            ),
            other => other.message().to_string(),
        })
    })?;
    let rationale = format!(
        "Extension {} of {}: activity on {}, within the {}-day rule.",
        deal.extensions_used + 1,
        settings.max_extensions,
        protection_date(deal.last_activity_at),
        settings.extension_activity_days
    );
    if channel::extend_protection(
        &state.db,
        deal_id,
        until,
        deal.extensions_used,
        extended_until,
        &By {
            actor: actor.user.id,
            rationale: &rationale,
            at: now,
        },
    )
    .await?
    {
        Ok(extended_until)
    } else {
        Err(AppError::Conflict(
            "This protection changed meanwhile (another extension, or it ended). Reload and try again.".into(),
        ))
    }
}
