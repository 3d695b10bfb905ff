//! Per-attempt option ids. As authored, option ids follow the author's list: an ordering
//! question's items are 1..n in the correct order and matching pairs are i→i, so anyone who
//! sees the ids could sort them into the answer. Each attempt therefore gets its own ids,
//! drawn from a source the browser cannot predict, and its own copy of the key written in
//! those ids. Grading, review and statistics work on the attempt's copies unchanged.
use super::content::{Choice, QuestionContent};
use super::grading::{AnswerKey, OptionId};
use std::collections::{BTreeMap, BTreeSet};

/// Gives every option and target of `content` a fresh id from `fresh` (distinct within the
/// question, across both columns) and rewrites `key` to match. Ids the key names that are
/// not on the question (a damaged bank entry) are given fresh ids too, so they can never
/// coincide with a shown option.
pub fn relabel(
    content: &QuestionContent,
    key: &AnswerKey,
    fresh: &mut dyn FnMut() -> OptionId,
) -> (QuestionContent, AnswerKey) {
    let mut ids = FreshIds {
        source: fresh,
        used: BTreeSet::new(),
    };
    let mut options = Renaming::new(&content.options, &mut ids);
    let mut targets = Renaming::new(&content.targets, &mut ids);
    let relabelled = QuestionContent {
        kind: content.kind,
        prompt: content.prompt.clone(),
        options: options.column(&content.options),
        targets: targets.column(&content.targets),
    };
    let key = match key {
        AnswerKey::SingleChoice {
            options: listed,
            correct,
        } => AnswerKey::SingleChoice {
            options: listed.iter().map(|id| options.id(*id, &mut ids)).collect(),
            correct: options.id(*correct, &mut ids),
        },
        AnswerKey::MultipleChoice {
            options: listed,
            correct,
            scoring,
        } => AnswerKey::MultipleChoice {
            options: listed.iter().map(|id| options.id(*id, &mut ids)).collect(),
            correct: correct.iter().map(|id| options.id(*id, &mut ids)).collect(),
            scoring: *scoring,
        },
        AnswerKey::Ordering { correct_order } => AnswerKey::Ordering {
            correct_order: correct_order
                .iter()
                .map(|id| options.id(*id, &mut ids))
                .collect(),
        },
        AnswerKey::Matching { pairs } => AnswerKey::Matching {
            pairs: pairs
                .iter()
                .map(|(left, right)| (options.id(*left, &mut ids), targets.id(*right, &mut ids)))
                .collect(),
        },
        other @ (AnswerKey::TrueFalse { .. }
        | AnswerKey::ShortText { .. }
        | AnswerKey::Numeric { .. }) => other.clone(),
    };
    (relabelled, key)
}

/// Ids from the source, never the same one twice within a question.
struct FreshIds<'a> {
    source: &'a mut dyn FnMut() -> OptionId,
    used: BTreeSet<OptionId>,
}

impl FreshIds<'_> {
    fn next(&mut self) -> OptionId {
        loop {
            let id = (self.source)();
            if self.used.insert(id) {
                return id;
            }
        }
    }
}

/// Old id to new id for one column.
struct Renaming(BTreeMap<OptionId, OptionId>);

impl Renaming {
    fn new(column: &[Choice], ids: &mut FreshIds) -> Renaming {
        Renaming(column.iter().map(|c| (c.id, ids.next())).collect())
    }

    fn column(&self, column: &[Choice]) -> Vec<Choice> {
        column
            .iter()
            .map(|choice| Choice {
                id: self.0[&choice.id],
                text: choice.text.clone(),
            })
            .collect()
    }

    /// The new id of `old`; an id only the key knows gets a fresh one of its own.
    fn id(&mut self, old: OptionId, ids: &mut FreshIds) -> OptionId {
        *self.0.entry(old).or_insert_with(|| ids.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quiz::content::QuestionKind;
    use crate::domain::quiz::draw::{shuffle, SeededRng};
    use crate::domain::quiz::grading::{grade, MultiScoring, Response};

    fn column(n: u32) -> Vec<Choice> {
        (1..=n)
            .map(|id| Choice {
                id,
                text: format!("item {id}"),
            })
            .collect()
    }

    fn question(kind: QuestionKind, options: u32, targets: u32) -> QuestionContent {
        QuestionContent {
            kind,
            prompt: "?".into(),
            options: column(options),
            targets: column(targets),
        }
    }

    /// A source as unpredictable as the server's for these tests' purposes.
    fn source(seed: u64) -> impl FnMut() -> OptionId {
        let mut rng = SeededRng::new(seed);
        move || rng.next_u64() as OptionId
    }

    fn text_of(content: &QuestionContent, id: OptionId) -> &str {
        content
            .options
            .iter()
            .chain(&content.targets)
            .find(|c| c.id == id)
            .map(|c| c.text.as_str())
            .unwrap()
    }

    #[test]
    fn the_relabelled_key_names_the_same_texts() {
        let content = question(QuestionKind::Matching, 4, 4);
        let key = AnswerKey::Matching {
            pairs: (1..=4).map(|i| (i, 5 - i)).collect(),
        };
        let (shown, new_key) = relabel(&content, &key, &mut source(3));
        let AnswerKey::Matching { pairs } = &new_key else {
            panic!("kind kept")
        };
        let by_text: BTreeMap<&str, &str> = pairs
            .iter()
            .map(|(l, r)| (text_of(&shown, *l), text_of(&shown, *r)))
            .collect();
        assert_eq!(by_text["item 1"], "item 4");
        assert_eq!(by_text["item 3"], "item 2");
        let right = Response::Matching(pairs.clone());
        assert_eq!(grade(&new_key, Some(&right)).score, 1.0);
    }

    #[test]
    fn ids_are_distinct_across_both_columns_even_from_a_repeating_source() {
        let content = question(QuestionKind::Matching, 3, 3);
        let key = AnswerKey::Matching {
            pairs: (1..=3).map(|i| (i, i)).collect(),
        };
        let mut values = [7u32, 7, 7, 9, 9, 1, 2, 2, 3, 4, 5].into_iter().cycle();
        let (shown, _) = relabel(&content, &key, &mut || values.next().unwrap());
        let ids: BTreeSet<_> = shown
            .options
            .iter()
            .chain(&shown.targets)
            .map(|c| c.id)
            .collect();
        assert_eq!(ids.len(), 6);
    }

    #[test]
    fn every_kind_keeps_its_grading() {
        let single = AnswerKey::SingleChoice {
            options: vec![1, 2, 3],
            correct: 2,
        };
        let content = question(QuestionKind::SingleChoice, 3, 0);
        let (shown, key) = relabel(&content, &single, &mut source(1));
        let AnswerKey::SingleChoice { correct, .. } = key else {
            panic!()
        };
        assert_eq!(text_of(&shown, correct), "item 2");

        let multiple = AnswerKey::MultipleChoice {
            options: vec![1, 2, 3, 4],
            correct: [1, 4].into(),
            scoring: MultiScoring::Partial,
        };
        let content = question(QuestionKind::MultipleChoice, 4, 0);
        let (shown, key) = relabel(&content, &multiple, &mut source(2));
        let AnswerKey::MultipleChoice {
            correct, options, ..
        } = &key
        else {
            panic!()
        };
        assert_eq!(options.len(), 4);
        let texts: BTreeSet<_> = correct.iter().map(|id| text_of(&shown, *id)).collect();
        assert_eq!(texts, ["item 1", "item 4"].into());
        assert_eq!(
            grade(&key, Some(&Response::MultipleChoice(correct.clone()))).score,
            1.0
        );

        for unchanged in [
            AnswerKey::TrueFalse { correct: true },
            AnswerKey::ShortText {
                accepted: vec!["x".into()],
            },
            AnswerKey::Numeric {
                value: 1.0,
                tolerance: 0.0,
            },
        ] {
            let content = question(QuestionKind::TrueFalse, 0, 0);
            assert_eq!(relabel(&content, &unchanged, &mut source(4)).1, unchanged);
        }
    }

    #[test]
    fn key_ids_missing_from_the_question_never_match_a_shown_option() {
        let content = question(QuestionKind::SingleChoice, 2, 0);
        let key = AnswerKey::SingleChoice {
            options: vec![1, 2],
            correct: 9,
        };
        let (shown, key) = relabel(&content, &key, &mut source(5));
        let AnswerKey::SingleChoice { correct, .. } = key else {
            panic!()
        };
        assert!(shown.options.iter().all(|c| c.id != correct));
    }

    /// Sorting shown ids must not answer the question: over many attempts, "ids ascending"
    /// is the correct order about 1 time in 4! = 24, as any guess is, and a correct pair is
    /// the id-rank-matched pair about 1 time in 4.
    #[test]
    fn sorting_by_id_is_no_better_than_guessing() {
        let trials = 2400u64;
        let mut ordered_by_id = 0;
        let mut pairs_by_rank = 0;
        for seed in 0..trials {
            let mut content = question(QuestionKind::Ordering, 4, 4);
            let mut rng = SeededRng::new(seed ^ 0xABCD);
            shuffle(&mut content.options, &mut rng);
            shuffle(&mut content.targets, &mut rng);
            let order = AnswerKey::Ordering {
                correct_order: vec![1, 2, 3, 4],
            };
            let (shown, key) = relabel(&content, &order, &mut source(seed));
            let AnswerKey::Ordering { correct_order } = key else {
                panic!()
            };
            let mut ids: Vec<_> = shown.options.iter().map(|c| c.id).collect();
            ids.sort();
            ordered_by_id += u32::from(ids == correct_order);

            let matching = AnswerKey::Matching {
                pairs: (1..=4).map(|i| (i, i)).collect(),
            };
            let (shown, key) = relabel(&content, &matching, &mut source(seed + trials));
            let AnswerKey::Matching { pairs } = key else {
                panic!()
            };
            let mut left: Vec<_> = shown.options.iter().map(|c| c.id).collect();
            let mut right: Vec<_> = shown.targets.iter().map(|c| c.id).collect();
            left.sort();
            right.sort();
            pairs_by_rank += left
                .iter()
                .zip(&right)
                .filter(|(l, r)| pairs[l] == **r)
                .count();
        }
        // Expected 100 of 2400 (sd ≈ 9.8) and 2400 of 9600 (sd ≈ 42): ±5 sd.
        assert!((50..=150).contains(&ordered_by_id), "{ordered_by_id}");
        assert!((2190..=2610).contains(&pairs_by_rank), "{pairs_by_rank}");
    }
}
