//! Honest statistics for the program's analytics: rates with Wilson score intervals, the
//! difference of two rates with Newcombe's hybrid score interval, Kaplan–Meier survival
//! with Greenwood's variance and a Brookmeyer–Crowley interval for the median, and a
//! partner-clustered percentile bootstrap with a fixed seed (the quiz engine's generator). No dependency: each is a few
//! lines, checked against statsmodels' values in the tests.

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;
/// Below this many observations a rate is "too few" to show.
pub const MIN_N: u64 = 10;

/// A closed interval `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

/// Wilson's score interval for `successes` of `n` (95%); `None` for `n = 0`.
pub fn wilson(successes: u64, n: u64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let n_f = n as f64;
    let p = successes.min(n) as f64 / n_f;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denominator;
    Some(Interval {
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    })
}

/// A rate as the views show it: the counts always, the estimate and its interval only from
/// `MIN_N` observations on ("too few" below).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub successes: u64,
    pub n: u64,
    /// `None` when there are too few observations to show a rate.
    pub shown: Option<(f64, Interval)>,
}

pub fn rate(successes: u64, n: u64) -> Rate {
    let shown = (n >= MIN_N)
        .then(|| wilson(successes, n).map(|ci| (successes as f64 / n as f64, ci)))
        .flatten();
    Rate {
        successes,
        n,
        shown,
    }
}

/// Newcombe's hybrid score interval (his method 10) for `x1/n1 − x2/n2`: the estimate and
/// its 95% interval, built from the two Wilson intervals. `None` if either `n` is 0.
pub fn newcombe_difference(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<(f64, Interval)> {
    let first = wilson(x1, n1)?;
    let second = wilson(x2, n2)?;
    let p1 = x1.min(n1) as f64 / n1 as f64;
    let p2 = x2.min(n2) as f64 / n2 as f64;
    let difference = p1 - p2;
    let below = ((p1 - first.lower).powi(2) + (second.upper - p2).powi(2)).sqrt();
    let above = ((first.upper - p1).powi(2) + (p2 - second.lower).powi(2)).sqrt();
    Some((
        difference,
        Interval {
            lower: difference - below,
            upper: difference + above,
        },
    ))
}

/// One subject's follow-up: the time it was observed for, and whether the event happened
/// then (`false`: censored, still waiting when observation stopped).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub time: f64,
    pub event: bool,
}

/// One distinct event time of a Kaplan–Meier curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmStep {
    pub time: f64,
    pub at_risk: u64,
    pub events: u64,
    /// The share still without the event just after `time`.
    pub survival: f64,
    /// Greenwood's standard error of `survival`.
    pub std_err: f64,
}

/// The Kaplan–Meier product-limit estimate: one step per time with at least one event.
/// Subjects censored at an event time count as at risk at that time (the usual convention).
pub fn kaplan_meier(observations: &[Observation]) -> Vec<KmStep> {
    let mut sorted: Vec<Observation> = observations
        .iter()
        .copied()
        .filter(|o| o.time.is_finite() && o.time >= 0.0)
        .collect();
    sorted.sort_by(|a, b| a.time.total_cmp(&b.time));
    let mut at_risk = sorted.len() as u64;
    let mut survival = 1.0;
    let mut greenwood = 0.0;
    let mut steps = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let time = sorted[i].time;
        let same: Vec<&Observation> = sorted[i..].iter().take_while(|o| o.time == time).collect();
        let events = same.iter().filter(|o| o.event).count() as u64;
        if events > 0 {
            let d = events as f64;
            let n = at_risk as f64;
            survival *= 1.0 - d / n;
            if at_risk > events {
                greenwood += d / (n * (n - d));
            }
            steps.push(KmStep {
                time,
                at_risk,
                events,
                survival,
                std_err: survival * greenwood.sqrt(),
            });
        }
        at_risk -= same.len() as u64;
        i += same.len();
    }
    steps
}

/// The share without the event just after `time` (1 before the first event).
pub fn survival_at(steps: &[KmStep], time: f64) -> f64 {
    steps
        .iter()
        .take_while(|s| s.time <= time)
        .last()
        .map_or(1.0, |s| s.survival)
}

/// The 95% interval of the survival just after `time`, on the log(−log) scale (the
/// "exponential Greenwood" interval lifelines and R's `survfit(conf.type = "log-log")`
/// give): it stays inside [0, 1]. `None` before the first event or once the curve is 0.
pub fn survival_interval_at(steps: &[KmStep], time: f64) -> Option<Interval> {
    let step = steps.iter().take_while(|s| s.time <= time).last()?;
    let s = step.survival;
    if s <= 0.0 || s >= 1.0 {
        return None;
    }
    // Greenwood's sum is (std_err / S)^2; on the log(-log) scale its error is that root
    // over |log S|.
    let spread = Z95 * (step.std_err / s) / s.ln().abs();
    let centre = (-s.ln()).ln();
    Some(Interval {
        lower: (-(centre + spread).exp()).exp(),
        upper: (-(centre - spread).exp()).exp(),
    })
}

/// The median time to the event: the first time the curve is at or below one half.
/// `None`: not reached (more than half are still waiting).
pub fn km_median(steps: &[KmStep]) -> Option<f64> {
    steps.iter().find(|s| s.survival <= 0.5).map(|s| s.time)
}

/// Brookmeyer and Crowley's 95% interval for the median, on the linear scale: the event
/// times whose curve is within `Z95` standard errors of one half. A bound is `None` when
/// it is not reached within the follow-up.
pub fn km_median_interval(steps: &[KmStep]) -> (Option<f64>, Option<f64>) {
    let inside = |s: &KmStep| (s.survival - 0.5).abs() <= Z95 * s.std_err;
    let lower = steps.iter().find(|s| inside(s)).map(|s| s.time);
    // The upper bound is the first time the curve has fallen clearly below one half.
    let upper = steps
        .iter()
        .find(|s| s.survival < 0.5 && !inside(s))
        .map(|s| s.time);
    (lower, upper)
}

/// One partner's contribution to a per-unit mean: the total of the measure over its units
/// (e.g. closed-won revenue over its org-quarters) and how many units it had.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cluster {
    pub total: f64,
    pub units: f64,
}

/// The per-unit mean over all clusters (`None` without units).
pub fn cluster_mean(clusters: &[Cluster]) -> Option<f64> {
    let units: f64 = clusters.iter().map(|c| c.units).sum();
    (units > 0.0).then(|| clusters.iter().map(|c| c.total).sum::<f64>() / units)
}

/// A percentile 95% interval for the per-unit mean, resampling whole partners (deals of one
/// partner go together), `resamples` times from `seed`. `None` with fewer than two clusters.
pub fn cluster_bootstrap(clusters: &[Cluster], resamples: usize, seed: u64) -> Option<Interval> {
    if clusters.len() < 2 || resamples == 0 {
        return None;
    }
    // The quiz engine's seeded generator: the same seed gives the same resamples.
    let mut rng = super::quiz::draw::SeededRng::new(seed);
    let mut means: Vec<f64> = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let (mut total, mut units) = (0.0, 0.0);
        for _ in 0..clusters.len() {
            let pick = clusters[rng.below(clusters.len() as u64) as usize];
            total += pick.total;
            units += pick.units;
        }
        if units > 0.0 {
            means.push(total / units);
        }
    }
    if means.is_empty() {
        return None;
    }
    means.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((means.len() - 1) as f64 * q).round() as usize;
        means[index]
    };
    Some(Interval {
        lower: at(0.025),
        upper: at(0.975),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    #[test]
    fn wilson_matches_the_reference_values() {
        let ci = wilson(10, 14).unwrap();
        assert!(close(ci.lower, 0.4535, 5e-5), "{ci:?}");
        assert!(close(ci.upper, 0.8828, 5e-5), "{ci:?}");
        // The edges stay inside [0, 1] and are not degenerate.
        let none = wilson(0, 20).unwrap();
        assert_eq!(none.lower, 0.0);
        assert!(none.upper > 0.1 && none.upper < 0.2, "{none:?}");
        let all = wilson(20, 20).unwrap();
        assert_eq!(all.upper, 1.0);
        assert!(all.lower > 0.8, "{all:?}");
        assert_eq!(wilson(0, 0), None);
        // More successes than trials are read as all of them, never above 1.
        assert_eq!(wilson(30, 20), wilson(20, 20));
    }

    #[test]
    fn rates_under_ten_are_too_few_but_keep_their_counts() {
        let few = rate(4, 9);
        assert_eq!((few.successes, few.n, few.shown), (4, 9, None));
        let enough = rate(5, 10);
        let (estimate, ci) = enough.shown.unwrap();
        assert_eq!(estimate, 0.5);
        assert!(ci.lower < 0.5 && ci.upper > 0.5);
    }

    #[test]
    fn newcombe_matches_the_reference_values() {
        // Newcombe (1998), table II, example (a): 56/70 − 48/80, method 10; statsmodels'
        // confint_proportions_2indep(method="newcomb") gives (0.05243, 0.33387).
        let (difference, ci) = newcombe_difference(56, 70, 48, 80).unwrap();
        assert!(close(difference, 0.2, 1e-12));
        assert!(close(ci.lower, 0.0524, 5e-5), "{ci:?}");
        assert!(close(ci.upper, 0.3339, 5e-5), "{ci:?}");
        assert_eq!(newcombe_difference(1, 0, 1, 2), None);
    }

    /// Freireich's 6-MP remission times (weeks; `false` = censored), the textbook example.
    fn six_mp() -> Vec<Observation> {
        [
            (6, true),
            (6, true),
            (6, true),
            (6, false),
            (7, true),
            (9, false),
            (10, true),
            (10, false),
            (11, false),
            (13, true),
            (16, true),
            (17, false),
            (19, false),
            (20, false),
            (22, true),
            (23, true),
            (25, false),
            (32, false),
            (32, false),
            (34, false),
            (35, false),
        ]
        .into_iter()
        .map(|(time, event)| Observation {
            time: f64::from(time),
            event,
        })
        .collect()
    }

    /// Values from statsmodels 0.14 (`SurvfuncRight`): survival and Greenwood errors.
    #[test]
    fn kaplan_meier_matches_the_reference_curve() {
        let steps = kaplan_meier(&six_mp());
        let times: Vec<f64> = steps.iter().map(|s| s.time).collect();
        assert_eq!(times, [6.0, 7.0, 10.0, 13.0, 16.0, 22.0, 23.0]);
        let expected = [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482];
        for (step, want) in steps.iter().zip(expected) {
            assert!(close(step.survival, want, 5e-5), "{step:?}");
        }
        assert_eq!((steps[0].at_risk, steps[0].events), (21, 3));
        assert!(close(steps[0].std_err, 0.0764, 5e-5), "{:?}", steps[0]);
        assert!(close(steps[6].std_err, 0.1346, 5e-5), "{:?}", steps[6]);
        assert_eq!(survival_at(&steps, 5.0), 1.0);
        assert!(close(survival_at(&steps, 12.0), 0.7529, 5e-5));
        assert_eq!(km_median(&steps), Some(23.0));
    }

    #[test]
    fn a_median_not_reached_says_so() {
        let observations: Vec<Observation> = (1..=10)
            .map(|t| Observation {
                time: f64::from(t),
                event: t <= 3,
            })
            .collect();
        let steps = kaplan_meier(&observations);
        assert_eq!(km_median(&steps), None);
        assert_eq!(km_median_interval(&steps).1, None);
        assert!(kaplan_meier(&[]).is_empty());
    }

    #[test]
    fn the_median_interval_brackets_the_median() {
        let steps = kaplan_meier(&six_mp());
        // statsmodels' SurvfuncRight.quantile_ci(0.5, method="linear") gives (13, inf).
        assert_eq!(km_median_interval(&steps), (Some(13.0), None));
    }

    #[test]
    fn the_bootstrap_is_reproducible_and_brackets_the_mean() {
        let clusters: Vec<Cluster> = (0..30)
            .map(|i| Cluster {
                total: f64::from(i * i) * 1_000.0,
                units: f64::from(1 + i % 4),
            })
            .collect();
        let mean = cluster_mean(&clusters).unwrap();
        let first = cluster_bootstrap(&clusters, 2_000, 42).unwrap();
        let again = cluster_bootstrap(&clusters, 2_000, 42).unwrap();
        assert_eq!(first, again);
        assert!(first.lower < mean && mean < first.upper, "{first:?} {mean}");
        let other = cluster_bootstrap(&clusters, 2_000, 7).unwrap();
        assert_ne!(first, other);
        assert_eq!(cluster_bootstrap(&clusters[..1], 100, 1), None);
        assert_eq!(cluster_mean(&[]), None);
    }
}
