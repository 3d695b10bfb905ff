//! Quiz item and tag analysis (view 9): every question's facility and discrimination over
//! the window's answers, flagged for a look, and how many learners mastered each tag.
use super::InsightQuery;
use crate::error::AppError;
use crate::model::QuizInsight;
use leptos::prelude::*;

/// The quiz analysis's CSV (`export_quiz_csv` as a file).
pub const QUIZ_CSV_PATH: &str = "/insights/quiz/export.csv";
/// The most questions the page (and its CSV) lists, flagged ones first.
pub const QUESTIONS_SHOWN: usize = 300;

#[cfg(feature = "ssr")]
async fn quiz(
    state: &crate::server::AppState,
    checked: &super::Checked,
) -> Result<QuizInsight, AppError> {
    use crate::domain::insights::quiz_items::{
        quiz_items, DISCRIMINATION_BELOW, EASY_ABOVE, HARD_BELOW, MASTERY, MIN_ANSWERS,
    };
    use crate::domain::insights::{percent, window_label};
    use crate::domain::stats::rate;
    use crate::model::QuestionRow;
    use crate::server::repo::insights;
    let window = &checked.window;
    let (answers, tags_of) =
        insights::quiz_answers(&state.db, (window.start_ms, window.end_ms)).await?;
    let prompts = insights::question_prompts(&state.db).await?;
    let published = insights::published_paths(&state.db).await?;
    let (paths, regions) = super::filter_choices(state, &published).await?;
    let titles: std::collections::HashMap<i64, &str> =
        paths.iter().map(|(id, t)| (*id, t.as_str())).collect();
    let (items, tags) = quiz_items(&answers, &tags_of, &checked.filters, window);
    let flagged = items.iter().filter(|i| !i.flags.is_empty()).count() as u64;
    let pooled = tags.iter().fold((0, 0), |(x, n), t| {
        (x + t.mastered.successes, n + t.mastered.n)
    });
    Ok(QuizInsight {
        window: window_label(window),
        rules: format!(
            "Flagged with {MIN_ANSWERS} answers or more: facility above {} (too easy) or below {} (too hard), or discrimination below {DISCRIMINATION_BELOW} (does not separate stronger learners). A tag is mastered at a mean score of {} or more.",
            percent(EASY_ABOVE),
            percent(HARD_BELOW),
            percent(MASTERY)
        ),
        flagged,
        questions: items
            .iter()
            .take(QUESTIONS_SHOWN)
            .map(|item| QuestionRow {
                question_id: item.question_id,
                path_title: titles.get(&item.path_id).copied().unwrap_or("A retired path").to_string(),
                prompt: prompts.get(&item.question_id).cloned().unwrap_or_default(),
                answers: item.stats.attempts as u64,
                facility: item.stats.facility,
                discrimination: item.stats.discrimination,
                flags: item.flags.iter().map(|f| f.label().to_string()).collect(),
            })
            .collect(),
        tag_answers: tags.iter().map(|t| t.answers).collect(),
        tag_mean_scores: tags.iter().map(|t| t.mean_score).collect(),
        tags: tags
            .iter()
            .map(|t| super::rate_row(t.tag.clone(), &t.mastered))
            .collect(),
        all_tags: super::rate_row("Every tag".to_string(), &rate(pooled.0, pooled.1)),
        paths,
        regions,
    })
}

/// The quiz item and tag analysis (view 9) under the query's filters (vendor staff).
#[server]
pub async fn load_quiz_insight(
    #[server(default)] query: InsightQuery,
) -> Result<QuizInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    quiz(&state, &checked).await
}

/// The analysis as CSV (vendor staff): a line per tag, then a line per question, as the
/// page's two tables list them.
#[server]
pub async fn export_quiz_csv(#[server(default)] query: InsightQuery) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::{line, line_with_numbers};
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    let insight = quiz(&state, &checked).await?;
    let mut header = vec![
        "kind",
        "name",
        "path",
        "answers",
        "mean_score_or_facility",
        "discrimination",
        "learners",
        "mastered",
        "mastered_share",
        "flags",
        "window",
    ];
    header.extend(super::FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone()];
    context.extend(super::filter_fields(&checked.filters));
    let number = |v: f64| format!("{v:.4}");
    for (i, tag) in insight.tags.iter().enumerate() {
        let mut fields = vec![
            "tag".to_string(),
            tag.label.clone(),
            String::new(),
            insight.tag_answers[i].to_string(),
            number(insight.tag_mean_scores[i]),
            String::new(),
            tag.n.to_string(),
            tag.successes.to_string(),
            super::csv_number(tag.estimate),
            String::new(),
        ];
        fields.extend(context.iter().cloned());
        csv.push_str(&line(&fields));
    }
    for question in &insight.questions {
        let mut fields = vec![
            "question".to_string(),
            question.prompt.clone(),
            question.path_title.clone(),
            question.answers.to_string(),
            number(question.facility),
            super::csv_number(question.discrimination),
            String::new(),
            String::new(),
            String::new(),
            question.flags.join("; "),
        ];
        fields.extend(context.iter().cloned());
        // Discrimination may be negative: a number we wrote, not text to defuse.
        csv.push_str(&line_with_numbers(&fields, &[5]));
    }
    Ok(csv)
}
