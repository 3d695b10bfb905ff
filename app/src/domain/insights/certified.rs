//! Certified vs not (view 5): do organisations with a certified person create more pipeline,
//! win more often and close more revenue? Compared within tier × tenure strata, because
//! bigger, older, higher-tier partners both certify more and sell more (a pooled comparison
//! can even reverse within every tier), and always worded as an association.
//!
//! Exposure is time-varying, against immortal-time bias: a deal is "certified" when its
//! organisation held at least one valid certificate (issued, not yet expired or revoked) on
//! the day the deal was created, and an organisation's time is split into the spans it was
//! and was not certified. So the months before an organisation certified count as
//! uncertified, never as certified.
//!
//! - Pipeline created per org-quarter: the amounts of deals created in the window, divided
//!   by the organisation-quarters of exposure in the window (a partner-clustered bootstrap
//!   interval: deals of one partner are not independent).
//! - Win rate: won / (won + lost) of deals closed in the window (open deals are left out),
//!   with Wilson intervals and the Newcombe interval of the difference.
//! - Closed-won revenue per org-quarter: the amounts of those won deals over the same
//!   exposure, with a bootstrap interval.
use super::{Filters, Window, DAY_MS};
use crate::domain::channel::deals::{RegistrationStatus, Stage};
use crate::domain::identity::{text_enum, JobRole, PartnerType, Tier};
use crate::domain::stats::{
    cluster_bootstrap, cluster_mean, newcombe_difference, rate, Cluster, Interval, Rate, MIN_N,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A quarter of a year, the unit of exposure.
pub const QUARTER_MS: f64 = 365.25 / 4.0 * DAY_MS as f64;
/// Resamples of each bootstrap interval (ample for a dashboard; fixed seed, so the same
/// data always gives the same interval).
pub const RESAMPLES: usize = 2_000;
pub const SEED: u64 = 0x5EED_CE27;

text_enum!(
    /// How long an organisation had been in the program when a deal was created.
    Tenure {
        New => "under_6" / "Under 6 months",
        Established => "6_to_18" / "6–18 months",
        Veteran => "over_18" / "Over 18 months",
    }
);

/// Whether a deal is won, lost or still open: from the stage alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Won,
    Lost,
}

pub fn outcome(stage: Stage) -> Outcome {
    match stage {
        Stage::Won => Outcome::Won,
        Stage::Lost => Outcome::Lost,
        Stage::Qualify | Stage::Discover | Stage::Propose | Stage::Negotiate => Outcome::Open,
    }
}

/// Whether a deal is the registering partner's pipeline: registered through the portal and
/// not turned down (a declined or duplicate registration was never theirs to work).
pub fn is_partner_pipeline(status: RegistrationStatus) -> bool {
    match status {
        RegistrationStatus::Pending
        | RegistrationStatus::InfoRequested
        | RegistrationStatus::Approved
        | RegistrationStatus::Expired => true,
        RegistrationStatus::NotRegistered
        | RegistrationStatus::Declined
        | RegistrationStatus::Duplicate => false,
    }
}

/// A partner organisation as the deal views see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub partner_type: PartnerType,
    pub tier: Tier,
    pub region: String,
    /// When it joined the program (its tenure starts here).
    pub onboarded_at: i64,
}

impl Org {
    /// Whether the organisation is in a view under `filters` (role and path narrow which
    /// certificates count, not which organisations).
    pub fn admitted(&self, filters: &Filters) -> bool {
        filters.partner_type.is_none_or(|t| t == self.partner_type)
            && filters.tier.is_none_or(|t| t == self.tier)
            && filters
                .region
                .as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case(self.region.trim()))
    }

    pub fn tenure_at(&self, at: i64) -> Tenure {
        let months = months_between(self.onboarded_at, at);
        match months {
            m if m < 6 => Tenure::New,
            m if m < 18 => Tenure::Established,
            _ => Tenure::Veteran,
        }
    }
}

/// Whole calendar months from `from` to `to` (UTC), never negative.
fn months_between(from: i64, to: i64) -> i64 {
    use chrono::{DateTime, Datelike, Timelike, Utc};
    let (Some(a), Some(b)) = (
        DateTime::<Utc>::from_timestamp_millis(from),
        DateTime::<Utc>::from_timestamp_millis(to),
    ) else {
        return 0;
    };
    let mut months = (b.year() - a.year()) as i64 * 12 + b.month() as i64 - a.month() as i64;
    let earlier_in_month =
        (b.day(), b.num_seconds_from_midnight()) < (a.day(), a.num_seconds_from_midnight());
    if earlier_in_month {
        months -= 1;
    }
    months.max(0)
}

/// The instant `months` calendar months after `from` (for tenure boundaries).
fn months_after(from: i64, months: u32) -> i64 {
    use chrono::{DateTime, Months, Utc};
    DateTime::<Utc>::from_timestamp_millis(from)
        .and_then(|at| at.checked_add_months(Months::new(months)))
        .map_or(i64::MAX, |at| at.timestamp_millis())
}

/// One certificate's valid life, `[from, until)`: issued, until it expired or was revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spell {
    pub org_id: i64,
    pub from: i64,
    pub until: i64,
    /// The holder's job role and the paths the certification requires, for the role and
    /// path filters ("certified" then means certified in that role, or on that path).
    pub holder_role: Option<JobRole>,
    pub path_ids: Vec<i64>,
}

impl Spell {
    pub(crate) fn counts(&self, filters: &Filters) -> bool {
        filters.job_role.is_none_or(|r| Some(r) == self.holder_role)
            && filters.path_id.is_none_or(|p| self.path_ids.contains(&p))
    }
}

/// A deal registered by a partner organisation (it stays theirs if the person moves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    pub org_id: i64,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub stage: Stage,
    pub amount_cents: i64,
}

/// Whether an organisation was certified at `at`, given its counting spells.
pub fn certified_at(spells: &[&Spell], at: i64) -> bool {
    spells.iter().any(|s| s.from <= at && at < s.until)
}

/// One side of a comparison (certified or not) within a stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// Organisations with any exposure time on this side.
    pub orgs: u64,
    pub org_quarters: f64,
    pub deals_created: u64,
    pub pipeline_cents: i64,
    /// Pipeline created per org-quarter, in cents, and its interval; `None` with fewer
    /// than `MIN_N` organisations.
    pub pipeline_per_quarter: Option<(f64, Option<Interval>)>,
    /// Won of deals closed in the window.
    pub win_rate: Rate,
    pub revenue_cents: i64,
    pub revenue_per_quarter: Option<(f64, Option<Interval>)>,
}

/// Certified against not certified within one stratum (or all of them pooled).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// `None` for the pooled row.
    pub stratum: Option<(Tier, Tenure)>,
    pub certified: Arm,
    pub uncertified: Arm,
    /// Certified minus uncertified win rate, with the Newcombe interval, when both sides
    /// have enough closed deals.
    pub win_difference: Option<(f64, Interval)>,
}

impl Comparison {
    pub fn label(&self) -> String {
        match self.stratum {
            None => "All tiers and tenures (pooled)".to_string(),
            Some((tier, tenure)) => format!("{}, {}", tier.label(), tenure.label().to_lowercase()),
        }
    }
}

/// The pooled comparison first, then each stratum with any data, by tier then tenure.
#[derive(Debug, Clone, PartialEq)]
pub struct CertifiedVsNot {
    pub pooled: Comparison,
    pub strata: Vec<Comparison>,
}

/// Everything one side of one stratum accumulates, per organisation (for the bootstrap).
#[derive(Default)]
struct Tally {
    resamples: usize,
    quarters: BTreeMap<i64, f64>,
    pipeline: BTreeMap<i64, i64>,
    revenue: BTreeMap<i64, i64>,
    deals_created: u64,
    won: u64,
    closed: u64,
}

impl Tally {
    fn arm(&self) -> Arm {
        let orgs = self.quarters.len() as u64;
        let clusters = |amounts: &BTreeMap<i64, i64>| -> Vec<Cluster> {
            self.quarters
                .iter()
                .map(|(org, units)| Cluster {
                    total: amounts.get(org).copied().unwrap_or(0) as f64,
                    units: *units,
                })
                .collect()
        };
        let per_quarter = |amounts: &BTreeMap<i64, i64>| {
            if orgs < MIN_N {
                return None;
            }
            let clusters = clusters(amounts);
            let mean = cluster_mean(&clusters)?;
            Some((mean, cluster_bootstrap(&clusters, self.resamples, SEED)))
        };
        Arm {
            orgs,
            org_quarters: self.quarters.values().sum(),
            deals_created: self.deals_created,
            pipeline_cents: self.pipeline.values().sum(),
            pipeline_per_quarter: per_quarter(&self.pipeline),
            win_rate: rate(self.won, self.closed),
            revenue_cents: self.revenue.values().sum(),
            revenue_per_quarter: per_quarter(&self.revenue),
        }
    }
}

struct Sides {
    certified: Tally,
    uncertified: Tally,
}

impl Sides {
    fn new(resamples: usize) -> Sides {
        let tally = || Tally {
            resamples,
            ..Tally::default()
        };
        Sides {
            certified: tally(),
            uncertified: tally(),
        }
    }

    fn side(&mut self, certified: bool) -> &mut Tally {
        if certified {
            &mut self.certified
        } else {
            &mut self.uncertified
        }
    }

    fn comparison(&self, stratum: Option<(Tier, Tenure)>) -> Comparison {
        let certified = self.certified.arm();
        let uncertified = self.uncertified.arm();
        let win_difference = (certified.win_rate.shown.is_some()
            && uncertified.win_rate.shown.is_some())
        .then(|| {
            newcombe_difference(
                certified.win_rate.successes,
                certified.win_rate.n,
                uncertified.win_rate.successes,
                uncertified.win_rate.n,
            )
        })
        .flatten();
        Comparison {
            stratum,
            certified,
            uncertified,
            win_difference,
        }
    }
}

/// The spans of `[start, end)` an organisation spent in each (tenure, certified) state.
fn exposure(org: &Org, spells: &[&Spell], window: &Window) -> Vec<(Tenure, bool, i64)> {
    let start = window.start_ms.max(org.onboarded_at);
    let end = window.end_ms;
    if start >= end {
        return Vec::new();
    }
    let mut cuts = vec![
        start,
        end,
        months_after(org.onboarded_at, 6),
        months_after(org.onboarded_at, 18),
    ];
    cuts.extend(spells.iter().flat_map(|s| [s.from, s.until]));
    cuts.retain(|at| (start..=end).contains(at));
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|span| {
            // Every boundary is a cut, so the state at a span's start holds throughout it.
            let at = span[0];
            (
                org.tenure_at(at),
                certified_at(spells, at),
                span[1] - span[0],
            )
        })
        .collect()
}

/// Certified vs not under `filters` over `window`, pooled and per tier × tenure stratum,
/// with `resamples` bootstrap resamples per interval (0: no intervals, for a headline).
pub fn certified_vs_not(
    orgs: &[Org],
    spells: &[Spell],
    deals: &[Deal],
    filters: &Filters,
    window: &Window,
    resamples: usize,
) -> CertifiedVsNot {
    let in_window = |at: i64| at >= window.start_ms && at < window.end_ms;
    let mut spells_of: BTreeMap<i64, Vec<&Spell>> = BTreeMap::new();
    for spell in spells.iter().filter(|s| s.counts(filters)) {
        spells_of.entry(spell.org_id).or_default().push(spell);
    }
    let admitted: BTreeMap<i64, &Org> = orgs
        .iter()
        .filter(|o| o.admitted(filters))
        .map(|o| (o.id, o))
        .collect();
    let mut pooled = Sides::new(resamples);
    // Keyed by declaration order (lowest tier, newest first), which is the rows' order.
    let mut strata: BTreeMap<(usize, usize), Sides> = BTreeMap::new();
    let none: Vec<&Spell> = Vec::new();
    for org in admitted.values() {
        let spells = spells_of.get(&org.id).unwrap_or(&none);
        for (tenure, certified, span) in exposure(org, spells, window) {
            let quarters = span as f64 / QUARTER_MS;
            for sides in [
                &mut pooled,
                strata
                    .entry((org.tier as usize, tenure as usize))
                    .or_insert_with(|| Sides::new(resamples)),
            ] {
                *sides.side(certified).quarters.entry(org.id).or_default() += quarters;
            }
        }
    }
    for deal in deals {
        let Some(org) = admitted.get(&deal.org_id) else {
            continue;
        };
        let spells = spells_of.get(&org.id).unwrap_or(&none);
        let certified = certified_at(spells, deal.created_at);
        let tenure = org.tenure_at(deal.created_at);
        let created = in_window(deal.created_at);
        let closed = deal
            .closed_at
            .filter(|at| in_window(*at))
            .map(|_| outcome(deal.stage));
        for sides in [
            &mut pooled,
            strata
                .entry((org.tier as usize, tenure as usize))
                .or_insert_with(|| Sides::new(resamples)),
        ] {
            let tally = sides.side(certified);
            if created {
                tally.deals_created += 1;
                *tally.pipeline.entry(org.id).or_default() += deal.amount_cents;
            }
            match closed {
                Some(Outcome::Won) => {
                    tally.won += 1;
                    tally.closed += 1;
                    *tally.revenue.entry(org.id).or_default() += deal.amount_cents;
                }
                Some(Outcome::Lost) => tally.closed += 1,
                Some(Outcome::Open) | None => {}
            }
        }
    }
    CertifiedVsNot {
        pooled: pooled.comparison(None),
        strata: strata
            .iter()
            .map(|((tier, tenure), sides)| {
                sides.comparison(Some((Tier::ALL[*tier], Tenure::ALL[*tenure])))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::insights::trailing_window;
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z
    const YEAR: i64 = 365 * DAY_MS;

    fn org(id: i64, tier: Tier, onboarded_days_ago: i64) -> Org {
        Org {
            id,
            name: format!("Org {id}"),
            partner_type: PartnerType::Reseller,
            tier,
            region: "EMEA".into(),
            onboarded_at: NOW - onboarded_days_ago * DAY_MS,
        }
    }

    fn spell(org_id: i64, from_days_ago: i64, until_days_ago: i64) -> Spell {
        Spell {
            org_id,
            from: NOW - from_days_ago * DAY_MS,
            until: NOW - until_days_ago * DAY_MS,
            holder_role: Some(JobRole::Sales),
            path_ids: vec![7],
        }
    }

    fn deal(
        org_id: i64,
        created_days_ago: i64,
        closed_days_ago: Option<i64>,
        stage: Stage,
    ) -> Deal {
        Deal {
            org_id,
            created_at: NOW - created_days_ago * DAY_MS,
            closed_at: closed_days_ago.map(|d| NOW - d * DAY_MS),
            stage,
            amount_cents: 100_000,
        }
    }

    #[test]
    fn won_and_lost_come_from_the_stage_alone_and_only_live_registrations_are_pipeline() {
        assert_eq!(outcome(Stage::Won), Outcome::Won);
        assert_eq!(outcome(Stage::Lost), Outcome::Lost);
        for open in [
            Stage::Qualify,
            Stage::Discover,
            Stage::Propose,
            Stage::Negotiate,
        ] {
            assert_eq!(outcome(open), Outcome::Open);
        }
        assert!(is_partner_pipeline(RegistrationStatus::Approved));
        assert!(is_partner_pipeline(RegistrationStatus::Expired));
        assert!(is_partner_pipeline(RegistrationStatus::Pending));
        assert!(!is_partner_pipeline(RegistrationStatus::Declined));
        assert!(!is_partner_pipeline(RegistrationStatus::Duplicate));
        assert!(!is_partner_pipeline(RegistrationStatus::NotRegistered));
    }

    #[test]
    fn tenure_counts_whole_calendar_months() {
        let joined = org(1, Tier::Gold, 0);
        let at = |months: u32| months_after(joined.onboarded_at, months);
        assert_eq!(joined.tenure_at(at(6) - 1), Tenure::New);
        assert_eq!(joined.tenure_at(at(6)), Tenure::Established);
        assert_eq!(joined.tenure_at(at(18) - 1), Tenure::Established);
        assert_eq!(joined.tenure_at(at(18)), Tenure::Veteran);
        assert_eq!(joined.tenure_at(joined.onboarded_at - YEAR), Tenure::New);
    }

    #[test]
    fn a_deal_takes_the_certification_held_on_its_creation_day() {
        let orgs = [org(1, Tier::Gold, 3 * 365)];
        // Certified from 200 days ago until 50 days ago (then it lapsed).
        let spells = [spell(1, 200, 50)];
        let deals = [
            deal(1, 300, Some(100), Stage::Won), // before certifying: uncertified
            deal(1, 150, Some(100), Stage::Won), // while certified
            deal(1, 120, Some(90), Stage::Lost), // while certified
            deal(1, 20, None, Stage::Propose),   // after it lapsed: uncertified, open
        ];
        let window = trailing_window(NOW, 12, Zone::UTC);
        let view = certified_vs_not(
            &orgs,
            &spells,
            &deals,
            &Filters::default(),
            &window,
            RESAMPLES,
        );
        let pooled = &view.pooled;
        assert_eq!(pooled.certified.deals_created, 2);
        assert_eq!(pooled.uncertified.deals_created, 2);
        assert_eq!(
            (
                pooled.certified.win_rate.successes,
                pooled.certified.win_rate.n
            ),
            (1, 2)
        );
        // The open deal is not in the win rate.
        assert_eq!(
            (
                pooled.uncertified.win_rate.successes,
                pooled.uncertified.win_rate.n
            ),
            (1, 1)
        );
        assert_eq!(pooled.certified.revenue_cents, 100_000);
        // 150 certified days of the 365-day window; the rest uncertified.
        let quarters = |days: f64| days * DAY_MS as f64 / QUARTER_MS;
        assert!((pooled.certified.org_quarters - quarters(150.0)).abs() < 1e-9);
        assert!((pooled.uncertified.org_quarters - quarters(215.0)).abs() < 1e-9);
        // One organisation: too few for a per-quarter figure.
        assert_eq!(pooled.certified.pipeline_per_quarter, None);
        assert_eq!(view.strata.len(), 1);
        assert_eq!(view.strata[0].label(), "Gold, over 18 months");
    }

    #[test]
    fn time_before_certifying_is_never_credited_to_certified() {
        // Certified on the window's last day: nearly all its time (and the deal before
        // certifying) is uncertified, though the org "is certified" today.
        let orgs = [org(1, Tier::Silver, 800)];
        let spells = [spell(1, 1, -300)];
        let deals = [deal(1, 100, Some(10), Stage::Won)];
        let view = certified_vs_not(
            &orgs,
            &spells,
            &deals,
            &Filters::default(),
            &trailing_window(NOW, 12, Zone::UTC),
            RESAMPLES,
        );
        assert_eq!(view.pooled.certified.win_rate.n, 0);
        assert_eq!(view.pooled.uncertified.win_rate.n, 1);
        assert!(view.pooled.certified.org_quarters < 0.02);
    }

    #[test]
    fn strata_split_by_tier_and_by_tenure_at_the_deal() {
        // Joined 300 days ago: its first 6 months are "new", the rest "established".
        let orgs = [org(1, Tier::Registered, 300), org(2, Tier::Platinum, 1200)];
        let deals = [
            deal(1, 290, Some(200), Stage::Lost),
            deal(1, 10, Some(5), Stage::Won),
            deal(2, 10, Some(5), Stage::Won),
        ];
        let view = certified_vs_not(
            &orgs,
            &[],
            &deals,
            &Filters::default(),
            &trailing_window(NOW, 12, Zone::UTC),
            RESAMPLES,
        );
        let labels: Vec<String> = view.strata.iter().map(Comparison::label).collect();
        assert_eq!(
            labels,
            [
                "Registered, under 6 months",
                "Registered, 6–18 months",
                "Platinum, over 18 months"
            ]
        );
        let new = &view.strata[0].uncertified;
        assert_eq!((new.win_rate.successes, new.win_rate.n), (0, 1));
        // Exposure adds up: the pooled time is the strata's time.
        let strata_time: f64 = view.strata.iter().map(|s| s.uncertified.org_quarters).sum();
        assert!((strata_time - view.pooled.uncertified.org_quarters).abs() < 1e-9);
        assert!(view.strata[0].win_difference.is_none());
    }

    #[test]
    fn enough_data_gives_intervals_and_a_difference() {
        // 12 certified orgs winning 7 of 10 each; 12 uncertified orgs winning 4 of 10.
        let mut orgs = Vec::new();
        let mut spells = Vec::new();
        let mut deals = Vec::new();
        for id in 1..=24 {
            orgs.push(org(id, Tier::Gold, 1000));
            let certified = id <= 12;
            if certified {
                spells.push(spell(id, 900, -100));
            }
            let wins = if certified { 7 } else { 4 };
            for i in 0..10 {
                let stage = if i < wins { Stage::Won } else { Stage::Lost };
                deals.push(Deal {
                    amount_cents: 50_000 + id * 1_000,
                    ..deal(id, 200, Some(100), stage)
                });
            }
        }
        let view = certified_vs_not(
            &orgs,
            &spells,
            &deals,
            &Filters::default(),
            &trailing_window(NOW, 12, Zone::UTC),
            RESAMPLES,
        );
        let pooled = &view.pooled;
        assert_eq!(pooled.certified.orgs, 12);
        assert_eq!(
            (
                pooled.certified.win_rate.successes,
                pooled.certified.win_rate.n
            ),
            (84, 120)
        );
        let (difference, interval) = pooled.win_difference.unwrap();
        assert!((difference - 0.3).abs() < 1e-12);
        assert!(interval.lower > 0.0 && interval.upper < 0.5, "{interval:?}");
        let (per_quarter, interval) = pooled.certified.pipeline_per_quarter.unwrap();
        let interval = interval.unwrap();
        assert!(interval.lower <= per_quarter && per_quarter <= interval.upper);
        // The same data gives the same interval (a fixed seed).
        let again = certified_vs_not(
            &orgs,
            &spells,
            &deals,
            &Filters::default(),
            &trailing_window(NOW, 12, Zone::UTC),
            RESAMPLES,
        );
        assert_eq!(again, view);
    }

    #[test]
    fn role_and_path_filters_narrow_which_certificates_count() {
        let orgs = [org(1, Tier::Gold, 1000)];
        let spells = [spell(1, 900, -100)];
        let deals = [deal(1, 100, Some(50), Stage::Won)];
        let window = trailing_window(NOW, 12, Zone::UTC);
        let certified_wins = |filters: Filters| {
            certified_vs_not(&orgs, &spells, &deals, &filters, &window, RESAMPLES)
                .pooled
                .certified
                .win_rate
                .n
        };
        assert_eq!(certified_wins(Filters::default()), 1);
        assert_eq!(
            certified_wins(Filters {
                job_role: Some(JobRole::Technical),
                ..Filters::default()
            }),
            0
        );
        assert_eq!(
            certified_wins(Filters {
                path_id: Some(8),
                ..Filters::default()
            }),
            0
        );
        let other_region = Filters {
            region: Some("APAC".into()),
            ..Filters::default()
        };
        assert_eq!(
            certified_vs_not(&orgs, &spells, &deals, &other_region, &window, RESAMPLES)
                .strata
                .len(),
            0
        );
    }
}
