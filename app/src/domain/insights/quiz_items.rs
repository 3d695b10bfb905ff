//! Quiz item and tag analysis (view 9), over every quiz of the program: the existing item
//! statistics (`quiz::stats`: facility and discrimination, as Moodle's report computes
//! them) for answers submitted in the window by the learners the filters admit, each
//! question flagged when it is too easy, too hard or does not separate stronger learners
//! from weaker ones; and per question tag, how many learners mastered it.
//!
//! The flag thresholds are this product's choice (the brief's defaults), kept here.
use super::{Filters, Person, Window};
use crate::domain::quiz::stats::{item_stats, ItemObservation, ItemStats};
use crate::domain::stats::{rate, Rate};
use std::collections::{BTreeMap, HashMap};

/// Above this facility a question is too easy to tell anyone apart.
pub const EASY_ABOVE: f64 = 0.9;
/// Below this facility a question is too hard (or its key is wrong).
pub const HARD_BELOW: f64 = 0.2;
/// Below this discrimination a question does not separate stronger learners.
pub const DISCRIMINATION_BELOW: f64 = 0.2;
/// Flags need at least this many answers.
pub const MIN_ANSWERS: usize = 10;
/// A learner has mastered a tag when their mean score on its questions is at least this.
pub const MASTERY: f64 = 0.8;

/// One scored answer of one submitted attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerFact {
    pub attempt_id: i64,
    pub user_id: i64,
    pub person: Person,
    pub path_id: i64,
    pub question_id: i64,
    /// The share of the question's marks earned, 0 to 1.
    pub score: f64,
    pub weight: f64,
    pub submitted_at: i64,
}

/// Why a question deserves a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    TooEasy,
    TooHard,
    LowDiscrimination,
}

impl Flag {
    pub fn label(self) -> &'static str {
        match self {
            Flag::TooEasy => "too easy",
            Flag::TooHard => "too hard",
            Flag::LowDiscrimination => "does not separate stronger learners",
        }
    }
}

/// The flags of an item's statistics (none under `MIN_ANSWERS`).
pub fn flags(stats: &ItemStats) -> Vec<Flag> {
    if stats.attempts < MIN_ANSWERS {
        return Vec::new();
    }
    let mut flags = Vec::new();
    if stats.facility > EASY_ABOVE {
        flags.push(Flag::TooEasy);
    }
    if stats.facility < HARD_BELOW {
        flags.push(Flag::TooHard);
    }
    if stats
        .discrimination
        .is_some_and(|d| d < DISCRIMINATION_BELOW)
    {
        flags.push(Flag::LowDiscrimination);
    }
    flags
}

/// One question's row.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub question_id: i64,
    pub path_id: i64,
    pub stats: ItemStats,
    pub flags: Vec<Flag>,
}

/// One tag's row: learners who answered its questions, and those who mastered it.
#[derive(Debug, Clone, PartialEq)]
pub struct TagRow {
    pub tag: String,
    pub answers: u64,
    pub mean_score: f64,
    pub mastered: Rate,
}

/// Items (flagged first, then the hardest) and tags (fewest mastered first).
pub fn quiz_items(
    answers: &[AnswerFact],
    tags_of: &HashMap<i64, Vec<String>>,
    filters: &Filters,
    window: &Window,
) -> (Vec<ItemRow>, Vec<TagRow>) {
    let admitted: Vec<&AnswerFact> = answers
        .iter()
        .filter(|a| {
            filters.admits(&a.person, a.path_id)
                && a.submitted_at >= window.start_ms
                && a.submitted_at < window.end_ms
        })
        .collect();
    let mut totals: HashMap<i64, f64> = HashMap::new();
    for answer in &admitted {
        *totals.entry(answer.attempt_id).or_default() += answer.score * answer.weight;
    }
    let mut observations: BTreeMap<(i64, i64), Vec<ItemObservation>> = BTreeMap::new();
    // Tag → learner → (score sum, answers).
    let mut tag_scores: BTreeMap<&str, BTreeMap<i64, (f64, u64)>> = BTreeMap::new();
    for answer in &admitted {
        let item = answer.score * answer.weight;
        observations
            .entry((answer.question_id, answer.path_id))
            .or_default()
            .push(ItemObservation {
                item_score: answer.score,
                rest_score: totals.get(&answer.attempt_id).copied().unwrap_or(0.0) - item,
            });
        for tag in tags_of.get(&answer.question_id).into_iter().flatten() {
            let learner = tag_scores
                .entry(tag.as_str())
                .or_default()
                .entry(answer.user_id)
                .or_default();
            learner.0 += answer.score;
            learner.1 += 1;
        }
    }
    let mut items: Vec<ItemRow> = observations
        .into_iter()
        .filter_map(|((question_id, path_id), observations)| {
            let stats = item_stats(&observations)?;
            Some(ItemRow {
                question_id,
                path_id,
                flags: flags(&stats),
                stats,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        a.flags
            .is_empty()
            .cmp(&b.flags.is_empty())
            .then(a.stats.facility.total_cmp(&b.stats.facility))
            .then(a.question_id.cmp(&b.question_id))
    });
    let mut tags: Vec<TagRow> = tag_scores
        .into_iter()
        .map(|(tag, learners)| {
            let answers: u64 = learners.values().map(|(_, n)| n).sum();
            let total: f64 = learners.values().map(|(s, _)| s).sum();
            let mastered = learners
                .values()
                .filter(|(sum, n)| *n > 0 && sum / *n as f64 >= MASTERY)
                .count() as u64;
            TagRow {
                tag: tag.to_string(),
                answers,
                mean_score: if answers == 0 {
                    0.0
                } else {
                    total / answers as f64
                },
                mastered: rate(mastered, learners.len() as u64),
            }
        })
        .collect();
    tags.sort_by(|a, b| {
        let share = |t: &TagRow| t.mastered.shown.map_or(2.0, |(p, _)| p);
        share(a).total_cmp(&share(b)).then(a.tag.cmp(&b.tag))
    });
    (items, tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::{JobRole, PartnerType, Tier};
    use crate::domain::insights::{trailing_window, DAY_MS};
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z

    fn answer(attempt_id: i64, question_id: i64, score: f64) -> AnswerFact {
        AnswerFact {
            attempt_id,
            user_id: attempt_id,
            person: Person {
                partner_type: PartnerType::Reseller,
                tier: Tier::Gold,
                region: "EMEA".into(),
                job_role: Some(JobRole::Sales),
            },
            path_id: 1,
            question_id,
            score,
            weight: 1.0,
            submitted_at: NOW - 10 * DAY_MS,
        }
    }

    #[test]
    fn questions_are_flagged_and_tags_count_who_mastered_them() {
        let window = trailing_window(NOW, 12, Zone::UTC);
        let mut answers = Vec::new();
        // Twelve attempts. Question 1: everyone right (too easy). Question 2: right exactly
        // for the stronger half (discriminates). Question 3: nobody right (too hard).
        for attempt in 0..12 {
            let strong = attempt < 6;
            answers.push(answer(attempt, 1, 1.0));
            answers.push(answer(attempt, 2, if strong { 1.0 } else { 0.0 }));
            answers.push(answer(attempt, 3, 0.0));
            answers.push(answer(attempt, 4, if strong { 1.0 } else { 0.0 }));
        }
        // Outside the window: ignored.
        let mut old = answer(99, 1, 0.0);
        old.submitted_at = NOW - 500 * DAY_MS;
        answers.push(old);
        let tags_of: HashMap<i64, Vec<String>> = [
            (1, vec!["pricing".to_string()]),
            (2, vec!["objections".to_string()]),
            (4, vec!["objections".to_string()]),
        ]
        .into_iter()
        .collect();
        let (items, tags) = quiz_items(&answers, &tags_of, &Filters::default(), &window);
        let order: Vec<(i64, Vec<Flag>)> = items
            .iter()
            .map(|i| (i.question_id, i.flags.clone()))
            .collect();
        assert_eq!(
            order,
            [
                (3, vec![Flag::TooHard]),
                (1, vec![Flag::TooEasy]),
                (2, vec![]),
                (4, vec![]),
            ]
        );
        assert_eq!(items[1].stats.attempts, 12);
        assert!(items[2].stats.discrimination.unwrap() > 0.9);
        let rows: Vec<(&str, u64, u64, u64)> = tags
            .iter()
            .map(|t| {
                (
                    t.tag.as_str(),
                    t.answers,
                    t.mastered.successes,
                    t.mastered.n,
                )
            })
            .collect();
        assert_eq!(rows, [("objections", 24, 6, 12), ("pricing", 12, 12, 12)]);
        assert!((tags[0].mean_score - 0.5).abs() < 1e-12);
        // Under ten answers nothing is flagged.
        let few: Vec<AnswerFact> = answers
            .iter()
            .filter(|a| a.attempt_id < 5)
            .cloned()
            .collect();
        let (items, _) = quiz_items(&few, &tags_of, &Filters::default(), &window);
        assert!(items.iter().all(|i| i.flags.is_empty()));
    }
}
