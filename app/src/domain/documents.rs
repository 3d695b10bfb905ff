//! The program's policy documents (rules of engagement, pricing bands, territories): each
//! published version is kept, with what changed and why, and any two consecutive versions
//! can be compared line by line. Plain Rust, no I/O.
use crate::domain::identity::text_enum;
use crate::domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

text_enum!(
    /// The documents a channel program publishes to its partners.
    DocumentKind {
        RulesOfEngagement => "rules-of-engagement" / "Rules of engagement",
        PricingBands => "pricing-bands" / "Pricing bands",
        Territories => "territories" / "Territories",
    }
);

impl DocumentKind {
    /// One line on what the document settles, for the list of documents.
    pub fn purpose(self) -> &'static str {
        match self {
            DocumentKind::RulesOfEngagement => {
                "Who owns a deal: registration, protection, conflicts and appeals."
            }
            DocumentKind::PricingBands => "Discounts by tier, and when a deal needs approval.",
            DocumentKind::Territories => "Which regions and accounts each partner may work.",
        }
    }
}

pub const MAX_BODY_CHARS: usize = 100_000;
pub const MIN_SUMMARY_CHARS: usize = 10;
pub const MAX_SUMMARY_CHARS: usize = 500;

/// What an editor submits to publish a new version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VersionForm {
    pub kind: String,
    /// The version the editor started from (0: the document had none), so two editors
    /// cannot silently overwrite each other.
    pub based_on_version: i64,
    pub body: String,
    pub change_summary: String,
    /// Also announce the change to every partner, asking them to acknowledge it.
    pub announce: bool,
}

/// A checked form: the next version's number and its trimmed text.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidVersion {
    pub kind: DocumentKind,
    pub version: i64,
    pub body: String,
    pub change_summary: String,
    pub announce: bool,
}

/// Checks a new version against the current one (`current`: its number and text).
pub fn validate(
    form: &VersionForm,
    current: Option<(i64, &str)>,
) -> Result<ValidVersion, Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = DocumentKind::parse(&form.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "Choose one of the program's documents.",
        ));
    }
    let body = form.body.trim().to_string();
    let body_chars = body.chars().count();
    if body.is_empty() {
        errors.push(FieldError::new("body", "Write the document's text."));
    } else if body_chars > MAX_BODY_CHARS {
        errors.push(FieldError::new(
            "body",
            format!("Keep the document under {MAX_BODY_CHARS} characters."),
        ));
    } else if let Some((number, _)) = current.filter(|(_, text)| text.trim() == body) {
        errors.push(FieldError::new(
            "body",
            format!("This is the text of version {number}: change something to publish."),
        ));
    }
    let change_summary = form.change_summary.trim().to_string();
    let summary_chars = change_summary.chars().count();
    if summary_chars < MIN_SUMMARY_CHARS {
        errors.push(FieldError::new(
            "change_summary",
            "Say in a sentence what changed and why; partners read it in the history.",
        ));
    } else if summary_chars > MAX_SUMMARY_CHARS {
        errors.push(FieldError::new(
            "change_summary",
            format!("Keep the summary under {MAX_SUMMARY_CHARS} characters."),
        ));
    }
    let current_number = current.map_or(0, |(number, _)| number);
    if errors.is_empty() && form.based_on_version != current_number {
        errors.push(FieldError::new(
            "body",
            format!(
                "Version {current_number} was published while you were editing. Reload to see \
                 it, then make your change on top of it."
            ),
        ));
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok(ValidVersion {
            kind,
            version: current_number + 1,
            body,
            change_summary,
            announce: form.announce,
        }),
        _ => Err(errors),
    }
}

/// How a line fares between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineChange {
    Same,
    Added,
    Removed,
}

/// One row of a comparison: a line, or a run of unchanged lines left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffRow {
    Line { change: LineChange, text: String },
    Skipped { lines: usize },
}

/// Above this many line pairs (after the common start and end are set aside) the comparison
/// shows the middle as removed and added rather than spend quadratic time and memory.
const MAX_COMPARED_PAIRS: usize = 4_000_000;

/// The line-by-line changes from `old` to `new`: a longest-common-subsequence diff, so
/// moved paragraphs read as removed and added, and unchanged lines stay in place.
pub fn line_diff(old: &str, new: &str) -> Vec<(LineChange, String)> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];
    let same = |lines: &[&str]| {
        lines
            .iter()
            .map(|l| (LineChange::Same, l.to_string()))
            .collect::<Vec<_>>()
    };
    let mut rows = same(&old[..prefix]);
    if old_mid.len().saturating_mul(new_mid.len()) > MAX_COMPARED_PAIRS {
        rows.extend(old_mid.iter().map(|l| (LineChange::Removed, l.to_string())));
        rows.extend(new_mid.iter().map(|l| (LineChange::Added, l.to_string())));
    } else {
        rows.extend(lcs_rows(old_mid, new_mid));
    }
    rows.extend(same(&old[old.len() - suffix..]));
    rows
}

fn lcs_rows(old: &[&str], new: &[&str]) -> Vec<(LineChange, String)> {
    let (n, m) = (old.len(), new.len());
    // lengths[i][j]: longest common subsequence of old[i..] and new[j..].
    let mut lengths = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lengths[at(i, j)] = if old[i] == new[j] {
                lengths[at(i + 1, j + 1)] + 1
            } else {
                lengths[at(i + 1, j)].max(lengths[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut rows = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            rows.push((LineChange::Same, old[i].to_string()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lengths[at(i + 1, j)] >= lengths[at(i, j + 1)]) {
            // Removals before additions, as readers expect a replaced line to read.
            rows.push((LineChange::Removed, old[i].to_string()));
            i += 1;
        } else {
            rows.push((LineChange::Added, new[j].to_string()));
            j += 1;
        }
    }
    rows
}

/// The changes with `context` unchanged lines around each, and the other unchanged runs
/// folded into a count, as a reader wants to see them.
pub fn changes_in_context(diff: &[(LineChange, String)], context: usize) -> Vec<DiffRow> {
    let near_change = |index: usize| {
        let from = index.saturating_sub(context);
        let to = (index + context).min(diff.len().saturating_sub(1));
        diff[from..=to]
            .iter()
            .any(|(change, _)| *change != LineChange::Same)
    };
    let mut rows = Vec::new();
    let mut skipped = 0;
    for (index, (change, text)) in diff.iter().enumerate() {
        if *change == LineChange::Same && !near_change(index) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            rows.push(DiffRow::Skipped { lines: skipped });
            skipped = 0;
        }
        rows.push(DiffRow::Line {
            change: *change,
            text: text.clone(),
        });
    }
    if skipped > 0 {
        rows.push(DiffRow::Skipped { lines: skipped });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(based_on: i64, body: &str, summary: &str) -> VersionForm {
        VersionForm {
            kind: "rules-of-engagement".into(),
            based_on_version: based_on,
            body: body.into(),
            change_summary: summary.into(),
            announce: false,
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn kinds_round_trip_through_their_url_names() {
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(*kind));
            assert!(!kind.purpose().is_empty());
        }
        assert_eq!(DocumentKind::parse("pricing"), None);
    }

    #[test]
    fn a_new_version_follows_the_current_one() {
        let valid = validate(
            &form(0, " First text \n", "The first published rules."),
            None,
        )
        .unwrap();
        assert_eq!(valid.version, 1);
        assert_eq!(valid.body, "First text");
        let valid = validate(
            &form(3, "New text", "Protection now lasts 120 days."),
            Some((3, "Old text")),
        )
        .unwrap();
        assert_eq!(valid.version, 4);
        assert_eq!(valid.kind, DocumentKind::RulesOfEngagement);
    }

    #[test]
    fn every_mistake_is_named_by_its_field() {
        let mut bad = form(0, "  ", "short");
        bad.kind = "memo".into();
        assert_eq!(
            fields(validate(&bad, None).unwrap_err()),
            ["kind", "body", "change_summary"]
        );
        let long = "x".repeat(MAX_BODY_CHARS + 1);
        assert_eq!(
            fields(validate(&form(0, &long, "A long document."), None).unwrap_err()),
            ["body"]
        );
        let rambling = "y".repeat(MAX_SUMMARY_CHARS + 1);
        assert_eq!(
            fields(validate(&form(0, "Text", &rambling), None).unwrap_err()),
            ["change_summary"]
        );
    }

    #[test]
    fn an_unchanged_text_or_a_stale_edit_is_refused() {
        let same = validate(
            &form(2, "Same text ", "Nothing really."),
            Some((2, "Same text")),
        )
        .unwrap_err();
        assert!(same[0].message.contains("version 2"));
        let stale = validate(
            &form(1, "Mine", "My change to the rules."),
            Some((2, "Theirs")),
        )
        .unwrap_err();
        assert_eq!(fields(stale.clone()), ["body"]);
        assert!(stale[0].message.contains("Version 2 was published"));
    }

    fn lines(diff: &[(LineChange, String)]) -> Vec<String> {
        diff.iter()
            .map(|(change, text)| {
                let mark = match change {
                    LineChange::Same => ' ',
                    LineChange::Added => '+',
                    LineChange::Removed => '-',
                };
                format!("{mark}{text}")
            })
            .collect()
    }

    #[test]
    fn the_diff_keeps_common_lines_and_marks_the_rest() {
        let old = "# Rules\nProtection: 90 days\nSLA: 48 hours\nAppeals: 14 days";
        let new =
            "# Rules\nProtection: 120 days\nSLA: 48 hours\nAppeals: 14 days\nRenewals: incumbent";
        assert_eq!(
            lines(&line_diff(old, new)),
            [
                " # Rules",
                "-Protection: 90 days",
                "+Protection: 120 days",
                " SLA: 48 hours",
                " Appeals: 14 days",
                "+Renewals: incumbent"
            ]
        );
        assert_eq!(lines(&line_diff("", "a")), ["+a"]);
        assert_eq!(lines(&line_diff("a\nb", "")), ["-a", "-b"]);
        assert_eq!(lines(&line_diff("a\nb", "a\nb")), [" a", " b"]);
        // Reordered lines: one stays, the other moves.
        assert_eq!(lines(&line_diff("a\nb", "b\na")), ["-a", " b", "+a"]);
    }

    #[test]
    fn the_diff_always_rebuilds_both_texts() {
        let texts = [
            "",
            "a",
            "a\nb\nc",
            "c\nb\na",
            "a\nx\nc\ny",
            "x\nx\nx",
            "b\nc",
        ];
        for old in texts {
            for new in texts {
                let diff = line_diff(old, new);
                let side = |keep: LineChange| {
                    diff.iter()
                        .filter(|(change, _)| *change == LineChange::Same || *change == keep)
                        .map(|(_, text)| text.as_str())
                        .collect::<Vec<_>>()
                };
                assert_eq!(side(LineChange::Removed), old.lines().collect::<Vec<_>>());
                assert_eq!(side(LineChange::Added), new.lines().collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn huge_rewrites_fall_back_to_removed_and_added() {
        let old: String = (0..2_100).map(|i| format!("old {i}\n")).collect();
        let new: String = (0..2_100).map(|i| format!("new {i}\n")).collect();
        let diff = line_diff(&old, &new);
        assert_eq!(diff.len(), 4_200);
        assert!(diff[..2_100].iter().all(|(c, _)| *c == LineChange::Removed));
        assert!(diff[2_100..].iter().all(|(c, _)| *c == LineChange::Added));
    }

    #[test]
    fn unchanged_runs_fold_outside_the_context() {
        let old: String = (1..=10).map(|i| format!("{i}\n")).collect();
        let new = old.replace("5\n", "five\n");
        let rows = changes_in_context(&line_diff(&old, &new), 1);
        let line = |change, text: &str| DiffRow::Line {
            change,
            text: text.into(),
        };
        assert_eq!(
            rows,
            vec![
                DiffRow::Skipped { lines: 3 },
                line(LineChange::Same, "4"),
                line(LineChange::Removed, "5"),
                line(LineChange::Added, "five"),
                line(LineChange::Same, "6"),
                DiffRow::Skipped { lines: 4 },
            ]
        );
        assert!(changes_in_context(&[], 2).is_empty());
    }
}
