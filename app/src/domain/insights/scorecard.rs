//! The partner scorecard (view 12): one organisation's figures over a window, each beside
//! the median of the organisations in its tier.
//!
//! A partner sees its own scorecard. A tier median is shown to a partner only when at
//! least `MIN_PEERS` other organisations of the tier have that figure: with fewer, the
//! median would be (or would reveal) another organisation's own number.
use super::certified::{outcome, Deal, Org, Outcome};
use super::{counts_for_completion, Assignment, Window, DAY_MS};
use crate::domain::stats::{kaplan_meier, km_median, Observation};

/// Other organisations of the tier needed before a partner is shown the tier's median.
pub const MIN_PEERS: usize = 5;

/// What a figure is, how it reads and which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Share of the training assigned in the window (with time to finish) completed.
    Completion,
    /// Share of the organisation's people holding a valid certificate at the window's end.
    CertifiedPeople,
    /// Days from joining the program to the first closed-won deal.
    DaysToFirstWin,
    /// Amount of deals registered in the window, in cents.
    PipelineCreated,
    /// Amount of deals won in the window, in cents.
    RevenueWon,
    /// Won of deals closed in the window.
    WinRate,
    /// Share of the module ratings given in the window that were 4 or 5.
    Satisfaction,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::Completion,
        Metric::CertifiedPeople,
        Metric::DaysToFirstWin,
        Metric::PipelineCreated,
        Metric::RevenueWon,
        Metric::WinRate,
        Metric::Satisfaction,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Metric::Completion => "Training completed",
            Metric::CertifiedPeople => "People certified",
            Metric::DaysToFirstWin => "Days to first win",
            Metric::PipelineCreated => "Pipeline registered",
            Metric::RevenueWon => "Revenue won",
            Metric::WinRate => "Win rate",
            Metric::Satisfaction => "Rated modules 4 or 5",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Completion => "completion",
            Metric::CertifiedPeople => "certified_people",
            Metric::DaysToFirstWin => "days_to_first_win",
            Metric::PipelineCreated => "pipeline_created",
            Metric::RevenueWon => "revenue_won",
            Metric::WinRate => "win_rate",
            Metric::Satisfaction => "satisfaction",
        }
    }

    /// How the value is read: a share, a number of days, or an amount in cents.
    pub fn unit(self) -> Unit {
        match self {
            Metric::Completion
            | Metric::CertifiedPeople
            | Metric::WinRate
            | Metric::Satisfaction => Unit::Share,
            Metric::DaysToFirstWin => Unit::Days,
            Metric::PipelineCreated | Metric::RevenueWon => Unit::Cents,
        }
    }

    /// Whether a lower value is the better one.
    pub fn lower_is_better(self) -> bool {
        self == Metric::DaysToFirstWin
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Share,
    Days,
    Cents,
}

/// A module rating by someone in an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub org_id: i64,
    pub rating: i64,
    pub at: i64,
}

/// A person's certificate span (issued until it ended), for "people certified".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub org_id: i64,
    pub user_id: i64,
    pub from: i64,
    pub until: i64,
}

/// Everything the scorecard is computed from, for the whole program.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub orgs: Vec<Org>,
    /// (org, partner users) for every organisation with people.
    pub people: Vec<(i64, u64)>,
    pub assignments: Vec<Assignment>,
    pub holdings: Vec<Holding>,
    pub deals: Vec<Deal>,
    pub ratings: Vec<Rating>,
}

/// One figure: the organisation's value (with what it rests on) and its tier's median.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub metric: Metric,
    /// `None` when the organisation has nothing to measure (no deals closed, say).
    pub value: Option<f64>,
    /// What the value counts, in words: "12 of 15 assignments".
    pub basis: String,
    /// The median over the tier's organisations with this figure (this one included), and
    /// how many organisations that is; `None` when shown to a partner with too few peers.
    pub tier_median: Option<f64>,
    pub tier_orgs: usize,
}

/// One organisation's share of the facts, gathered once (a tier's scorecard reads every
/// organisation of the tier).
#[derive(Default)]
struct OrgFacts<'a> {
    people: u64,
    assignments: Vec<&'a Assignment>,
    holdings: Vec<&'a Holding>,
    deals: Vec<&'a Deal>,
    ratings: Vec<&'a Rating>,
}

fn by_org(facts: &Facts) -> std::collections::HashMap<i64, OrgFacts<'_>> {
    let mut index: std::collections::HashMap<i64, OrgFacts<'_>> = Default::default();
    for (org, people) in &facts.people {
        index.entry(*org).or_default().people = *people;
    }
    for assignment in &facts.assignments {
        index
            .entry(assignment.org_id)
            .or_default()
            .assignments
            .push(assignment);
    }
    for holding in &facts.holdings {
        index
            .entry(holding.org_id)
            .or_default()
            .holdings
            .push(holding);
    }
    for deal in &facts.deals {
        index.entry(deal.org_id).or_default().deals.push(deal);
    }
    for rating in &facts.ratings {
        index.entry(rating.org_id).or_default().ratings.push(rating);
    }
    index
}

/// An organisation's value of every metric, with its basis text.
fn values(own: &OrgFacts<'_>, org: &Org, window: &Window) -> Vec<(Option<f64>, String)> {
    let in_window = |at: i64| at >= window.start_ms && at < window.end_ms;
    let share = |x: u64, n: u64| (n > 0).then(|| x as f64 / n as f64);
    let counted: Vec<&&Assignment> = own
        .assignments
        .iter()
        .filter(|a| counts_for_completion(a, window))
        .collect();
    let completed = counted.iter().filter(|a| a.completed_at.is_some()).count() as u64;
    let people = own.people;
    let at_end = window.end_ms - 1;
    let mut holders: Vec<i64> = own
        .holdings
        .iter()
        .filter(|h| h.from <= at_end && at_end < h.until)
        .map(|h| h.user_id)
        .collect();
    holders.sort_unstable();
    holders.dedup();
    let certified = (holders.len() as u64).min(people);
    let deals = &own.deals;
    let first_win = first_win_days(org, deals, window.end_ms);
    let created: Vec<&&Deal> = deals.iter().filter(|d| in_window(d.created_at)).collect();
    let closed: Vec<(Outcome, i64)> = deals
        .iter()
        .filter(|d| d.closed_at.is_some_and(in_window))
        .map(|d| (outcome(d.stage), d.amount_cents))
        .collect();
    let won: Vec<i64> = closed
        .iter()
        .filter(|(o, _)| *o == Outcome::Won)
        .map(|(_, amount)| *amount)
        .collect();
    let ratings: Vec<i64> = own
        .ratings
        .iter()
        .filter(|r| in_window(r.at))
        .map(|r| r.rating)
        .collect();
    let top_two = ratings.iter().filter(|r| **r >= 4).count() as u64;
    let pipeline: i64 = created.iter().map(|d| d.amount_cents).sum();
    vec![
        (
            share(completed, counted.len() as u64),
            format!("{completed} of {} assignments", counted.len()),
        ),
        (
            share(certified, people),
            format!("{certified} of {people} people"),
        ),
        match first_win {
            (days, true) => (Some(days as f64), format!("first win after {days} days")),
            (days, false) => (None, format!("no win yet after {days} days")),
        },
        (
            Some(pipeline as f64),
            format!("{} deals registered", created.len()),
        ),
        (
            Some(won.iter().sum::<i64>() as f64),
            format!("{} deals won", won.len()),
        ),
        (
            share(won.len() as u64, closed.len() as u64),
            format!("{} won of {} closed", won.len(), closed.len()),
        ),
        (
            share(top_two, ratings.len() as u64),
            format!("{top_two} of {} ratings", ratings.len()),
        ),
    ]
}

/// Days from joining to the first won deal's close (`true`), or days so far without one
/// (`false`, censored) as of `as_of`.
pub(crate) fn first_win_days(org: &Org, deals: &[&Deal], as_of: i64) -> (i64, bool) {
    let first = deals
        .iter()
        .filter(|d| outcome(d.stage) == Outcome::Won)
        .filter_map(|d| d.closed_at)
        .filter(|at| *at < as_of)
        .min();
    match first {
        Some(at) => ((at - org.onboarded_at).max(0) / DAY_MS, true),
        None => ((as_of - org.onboarded_at).max(0) / DAY_MS, false),
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

/// The scorecard of `org_id` over `window`; `for_partner` hides medians with too few peers.
/// `None` for an unknown organisation.
pub fn scorecard(
    facts: &Facts,
    org_id: i64,
    window: &Window,
    for_partner: bool,
) -> Option<Vec<Figure>> {
    let org = facts.orgs.iter().find(|o| o.id == org_id)?;
    // Organisations that had joined by the window's end are its tier's peers.
    let tier: Vec<&Org> = facts
        .orgs
        .iter()
        .filter(|o| o.tier == org.tier && o.onboarded_at < window.end_ms)
        .collect();
    let index = by_org(facts);
    let none = OrgFacts::default();
    let facts_of = |id: i64| index.get(&id).unwrap_or(&none);
    let tier_values: Vec<Vec<(Option<f64>, String)>> = tier
        .iter()
        .map(|o| values(facts_of(o.id), o, window))
        .collect();
    let own = values(facts_of(org.id), org, window);
    let figures = Metric::ALL
        .iter()
        .enumerate()
        .map(|(i, metric)| {
            let (tier_median, tier_orgs) = if *metric == Metric::DaysToFirstWin {
                // Organisations still without a win are censored, not left out: the
                // median is the Kaplan–Meier one.
                let observations: Vec<Observation> = tier
                    .iter()
                    .map(|o| {
                        let (days, event) = first_win_days(o, &facts_of(o.id).deals, window.end_ms);
                        Observation {
                            time: days as f64,
                            event,
                        }
                    })
                    .collect();
                (km_median(&kaplan_meier(&observations)), observations.len())
            } else {
                let mut present: Vec<f64> = tier_values.iter().filter_map(|v| v[i].0).collect();
                let n = present.len();
                (median(&mut present), n)
            };
            let peers = tier_orgs.saturating_sub(usize::from(
                own[i].0.is_some() || *metric == Metric::DaysToFirstWin,
            ));
            let shown = !for_partner || peers >= MIN_PEERS;
            Figure {
                metric: *metric,
                value: own[i].0,
                basis: own[i].1.clone(),
                tier_median: tier_median.filter(|_| shown),
                tier_orgs,
            }
        })
        .collect();
    Some(figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::channel::deals::Stage;
    use crate::domain::identity::{JobRole, PartnerType, Tier};
    use crate::domain::insights::{trailing_window, Person};
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z

    fn org(id: i64, tier: Tier) -> Org {
        Org {
            id,
            name: format!("Org {id}"),
            partner_type: PartnerType::Reseller,
            tier,
            region: "EMEA".into(),
            onboarded_at: NOW - 400 * DAY_MS,
        }
    }

    fn won(org_id: i64, closed_days_ago: i64, dollars: i64) -> Deal {
        Deal {
            org_id,
            created_at: NOW - (closed_days_ago + 30) * DAY_MS,
            closed_at: Some(NOW - closed_days_ago * DAY_MS),
            stage: Stage::Won,
            amount_cents: dollars * 100,
        }
    }

    fn assignment(completed: bool) -> Assignment {
        let person = Person {
            partner_type: PartnerType::Reseller,
            tier: Tier::Gold,
            region: "EMEA".into(),
            job_role: Some(JobRole::Sales),
        };
        Assignment {
            completed_at: completed.then_some(NOW - 50 * DAY_MS),
            ..Assignment::new(3, 1, person, 1, NOW - 100 * DAY_MS)
        }
    }

    fn program(gold_orgs: i64) -> Facts {
        let mut facts = Facts::default();
        for id in 1..=gold_orgs {
            facts.orgs.push(org(id, Tier::Gold));
            facts.people.push((id, 4));
            // Org k wins k deals of $1,000, the first one 400 - 10k days after joining.
            for k in 0..id {
                facts.deals.push(won(id, 10 * id - k, 1_000));
            }
        }
        facts.orgs.push(org(99, Tier::Silver));
        facts.deals.push(won(99, 5, 1_000_000));
        facts
    }

    fn figure(figures: &[Figure], metric: Metric) -> &Figure {
        figures.iter().find(|f| f.metric == metric).unwrap()
    }

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn an_organisation_is_compared_with_its_own_tier_only() {
        let mut facts = program(7);
        facts.assignments = vec![assignment(true), assignment(false)];
        facts.holdings.push(Holding {
            org_id: 3,
            user_id: 30,
            from: NOW - 90 * DAY_MS,
            until: NOW + 90 * DAY_MS,
        });
        let window = trailing_window(NOW, 12, Zone::UTC);
        let card = scorecard(&facts, 3, &window, true).unwrap();
        let revenue = figure(&card, Metric::RevenueWon);
        assert_eq!(revenue.value, Some(300_000.0));
        // Seven gold organisations earned $1,000 … $7,000: the silver one is not a peer.
        assert_eq!(revenue.tier_median, Some(400_000.0));
        assert_eq!(revenue.tier_orgs, 7);
        assert_eq!(revenue.basis, "3 deals won");
        let completion = figure(&card, Metric::Completion);
        assert_eq!(completion.value, Some(0.5));
        assert_eq!(completion.basis, "1 of 2 assignments");
        // Only one organisation has assignments: no peers to compare with.
        assert_eq!(completion.tier_median, None);
        assert_eq!(figure(&card, Metric::CertifiedPeople).value, Some(0.25));
        assert_eq!(figure(&card, Metric::WinRate).value, Some(1.0));
        assert_eq!(figure(&card, Metric::Satisfaction).value, None);
        assert_eq!(figure(&card, Metric::Satisfaction).basis, "0 of 0 ratings");
        // Org 3's first win closed 30 days ago, 370 days after joining.
        assert_eq!(figure(&card, Metric::DaysToFirstWin).value, Some(370.0));
        assert!(Metric::DaysToFirstWin.lower_is_better());
        assert!(scorecard(&facts, 1234, &window, true).is_none());
    }

    #[test]
    fn a_partner_never_sees_a_median_that_could_be_one_other_organisation() {
        let facts = program(5); // the org and four peers: too few
        let window = trailing_window(NOW, 12, Zone::UTC);
        let partner = scorecard(&facts, 1, &window, true).unwrap();
        assert!(partner.iter().all(|f| f.tier_median.is_none()));
        let staff = scorecard(&facts, 1, &window, false).unwrap();
        assert_eq!(
            figure(&staff, Metric::RevenueWon).tier_median,
            Some(300_000.0)
        );
        let six = program(6);
        assert!(figure(
            &scorecard(&six, 1, &window, true).unwrap(),
            Metric::RevenueWon
        )
        .tier_median
        .is_some());
    }

    #[test]
    fn organisations_without_a_win_count_in_the_tier_median_as_censored() {
        let mut facts = program(6);
        // Four more gold organisations with no win: most of the tier has not won yet.
        for id in 10..14 {
            facts.orgs.push(org(id, Tier::Gold));
        }
        let window = trailing_window(NOW, 12, Zone::UTC);
        let card = scorecard(&facts, 10, &window, false).unwrap();
        let days = figure(&card, Metric::DaysToFirstWin);
        assert_eq!(days.value, None);
        assert_eq!(days.basis, "no win yet after 400 days");
        assert_eq!(days.tier_orgs, 10);
        // Six of ten won, on days 340, 350, … 390; the curve reaches one half at day 380.
        assert_eq!(days.tier_median, Some(380.0));
    }
}
