//! Partner-sourced pipeline and revenue (view 6). Sourced: registered through the portal by
//! the partner and not turned down (`certified::is_partner_pipeline`).
//!
//! - Pipeline created: the amounts of deals created in the window, by month, split by each
//!   deal's stage today (open amounts are estimates; the page says so).
//! - Revenue: the amounts of deals won with a close date in the window, by month.
//! - Win rate: won / (won + lost) of deals closed in the window (open deals never count).
//! - Sales cycle: the median days from creation to close of the won deals.
//! - The leaderboard ranks partners by revenue won, then pipeline created.
use super::certified::{outcome, Deal, Org, Outcome};
use super::scorecard::median;
use super::{Filters, Window, DAY_MS};
use crate::domain::channel::deals::Stage;
use crate::domain::stats::{rate, Rate};
use std::collections::{BTreeMap, HashMap};

/// One calendar month of the window, in the program's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// "Mar 2026".
    pub label: String,
    /// Pipeline created in the month, per stage in `Stage::ALL` order, in cents.
    pub pipeline_by_stage: Vec<i64>,
    /// Revenue won with a close date in the month, in cents.
    pub won_cents: i64,
}

/// One partner's row of the leaderboard (or everyone's, with `org_id` 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Leader {
    pub org_id: i64,
    pub name: String,
    pub deals_created: u64,
    pub pipeline_cents: i64,
    pub won_cents: i64,
    pub win_rate: Rate,
    pub median_cycle_days: Option<f64>,
}

/// The view: months oldest first, everyone's totals, and the leaderboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    pub months: Vec<Month>,
    pub total: Leader,
    pub leaders: Vec<Leader>,
}

#[derive(Default)]
struct Tally {
    deals_created: u64,
    pipeline_cents: i64,
    won_cents: i64,
    won: u64,
    closed: u64,
    cycles: Vec<f64>,
}

impl Tally {
    fn leader(mut self, org_id: i64, name: String) -> Leader {
        Leader {
            org_id,
            name,
            deals_created: self.deals_created,
            pipeline_cents: self.pipeline_cents,
            won_cents: self.won_cents,
            win_rate: rate(self.won, self.closed),
            median_cycle_days: median(&mut self.cycles),
        }
    }
}

/// Every month the window touches, oldest first, with nothing in it yet.
fn empty_months(window: &Window) -> BTreeMap<i64, Month> {
    let mut months = BTreeMap::new();
    let (first, _) = window.zone.month_of(window.start_ms);
    let (last, _) = window.zone.month_of(window.end_ms - 1);
    for key in first..=last {
        let (year, month0) = (key.div_euclid(12), key.rem_euclid(12));
        let label = chrono::NaiveDate::from_ymd_opt(year as i32, month0 as u32 + 1, 1)
            .map(|d| d.format("%b %Y").to_string())
            .unwrap_or_default();
        months.insert(
            key,
            Month {
                label,
                pipeline_by_stage: vec![0; Stage::ALL.len()],
                won_cents: 0,
            },
        );
    }
    months
}

pub fn sourced(orgs: &[Org], deals: &[Deal], filters: &Filters, window: &Window) -> Sourced {
    let inside = |at: i64| at >= window.start_ms && at < window.end_ms;
    let admitted: HashMap<i64, &Org> = orgs
        .iter()
        .filter(|o| o.admitted(filters))
        .map(|o| (o.id, o))
        .collect();
    let mut months = empty_months(window);
    let mut all = Tally::default();
    let mut by_org: BTreeMap<i64, Tally> = BTreeMap::new();
    for deal in deals.iter().filter(|d| admitted.contains_key(&d.org_id)) {
        let org = by_org.entry(deal.org_id).or_default();
        if inside(deal.created_at) {
            for tally in [&mut all, &mut *org] {
                tally.deals_created += 1;
                tally.pipeline_cents += deal.amount_cents;
            }
            let stage = Stage::ALL
                .iter()
                .position(|s| *s == deal.stage)
                .unwrap_or(0);
            if let Some(month) = months.get_mut(&window.zone.month_of(deal.created_at).0) {
                month.pipeline_by_stage[stage] += deal.amount_cents;
            }
        }
        let Some(closed_at) = deal.closed_at.filter(|at| inside(*at)) else {
            continue;
        };
        let won = outcome(deal.stage) == Outcome::Won;
        for tally in [&mut all, &mut *org] {
            tally.closed += 1;
            if won {
                tally.won += 1;
                tally.won_cents += deal.amount_cents;
                tally
                    .cycles
                    .push(((closed_at - deal.created_at).max(0) / DAY_MS) as f64);
            }
        }
        if won {
            if let Some(month) = months.get_mut(&window.zone.month_of(closed_at).0) {
                month.won_cents += deal.amount_cents;
            }
        }
    }
    let mut leaders: Vec<Leader> = by_org
        .into_iter()
        .filter(|(_, t)| t.deals_created > 0 || t.closed > 0)
        .map(|(id, tally)| {
            let name = admitted
                .get(&id)
                .map_or_else(String::new, |o| o.name.clone());
            tally.leader(id, name)
        })
        .collect();
    leaders.sort_by(|a, b| {
        b.won_cents
            .cmp(&a.won_cents)
            .then(b.pipeline_cents.cmp(&a.pipeline_cents))
            .then(a.name.cmp(&b.name))
    });
    Sourced {
        months: months.into_values().collect(),
        total: all.leader(0, "Every partner".to_string()),
        leaders,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::{PartnerType, Tier};
    use crate::domain::insights::trailing_window;
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z

    fn org(id: i64, name: &str, tier: Tier) -> Org {
        Org {
            id,
            name: name.into(),
            partner_type: PartnerType::Reseller,
            tier,
            region: "EMEA".into(),
            onboarded_at: NOW - 900 * DAY_MS,
        }
    }

    fn deal(
        org_id: i64,
        created_days_ago: i64,
        closed_days_ago: Option<i64>,
        stage: Stage,
        dollars: i64,
    ) -> Deal {
        Deal {
            org_id,
            created_at: NOW - created_days_ago * DAY_MS,
            closed_at: closed_days_ago.map(|d| NOW - d * DAY_MS),
            stage,
            amount_cents: dollars * 100,
        }
    }

    #[test]
    fn pipeline_is_counted_when_created_revenue_when_won_and_open_deals_never_in_the_win_rate() {
        let window = trailing_window(NOW, 3, Zone::UTC);
        let orgs = [org(1, "Able", Tier::Gold), org(2, "Baker", Tier::Silver)];
        let deals = [
            deal(1, 30, Some(5), Stage::Won, 1_000), // created and won in the window
            deal(1, 200, Some(10), Stage::Won, 5_000), // created before, won inside
            deal(1, 20, None, Stage::Propose, 700),  // open: pipeline only
            deal(2, 40, Some(2), Stage::Lost, 300),  // lost: in the win rate
            deal(2, 200, Some(150), Stage::Won, 9_000), // all before the window
        ];
        let view = sourced(&orgs, &deals, &Filters::default(), &window);
        assert_eq!(
            view.months.len(),
            4,
            "Sep to Dec 2026: every month the window touches"
        );
        assert_eq!(view.months[0].label, "Sep 2026");
        assert_eq!(view.total.pipeline_cents, 200_000);
        assert_eq!(view.total.deals_created, 3);
        assert_eq!(view.total.won_cents, 600_000);
        assert_eq!(
            (view.total.win_rate.successes, view.total.win_rate.n),
            (2, 3)
        );
        // Cycles: 25 and 190 days.
        assert_eq!(view.total.median_cycle_days, Some(107.5));
        let names: Vec<&str> = view.leaders.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Able", "Baker"]);
        let propose = Stage::ALL
            .iter()
            .position(|s| *s == Stage::Propose)
            .unwrap();
        let november = view.months.iter().find(|m| m.label == "Nov 2026").unwrap();
        assert_eq!(november.pipeline_by_stage[propose], 70_000);
        let won_by_month: i64 = view.months.iter().map(|m| m.won_cents).sum();
        assert_eq!(won_by_month, view.total.won_cents);
        let gold = sourced(
            &orgs,
            &deals,
            &Filters {
                tier: Some(Tier::Silver),
                ..Filters::default()
            },
            &window,
        );
        assert_eq!(gold.leaders.len(), 1);
        assert_eq!(gold.total.won_cents, 0);
    }
}
