//! Editing a deal after registration: what each stage requires before a deal may advance,
//! closed deals staying closed, and the list of changes the audit trail records.
use super::deals::{amount_field, discount_field, format_money, parse_close_date, Stage};
use crate::domain::validation::FieldError;
use serde::{Deserialize, Serialize};

/// The edit form as typed. Missing fields read as empty so they get field-level messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DealUpdateInput {
    pub stage: String,
    pub amount: String,
    pub requested_discount_pct: String,
    pub close_date: String,
    pub next_step: String,
    pub proof_of_work: String,
    pub notes: String,
    /// A member of the deal's organisation, by user id.
    pub owner_user_id: String,
    /// Why the deal was lost (required for Closed lost), recorded in the audit trail.
    pub reason: String,
    /// The box confirming a move to Closed won ("on" when ticked): closing is final.
    pub confirm_won: String,
}

/// The editable fields of a deal.
#[derive(Debug, Clone, PartialEq)]
pub struct DealFields {
    pub stage: Stage,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    pub close_at: Option<i64>,
    pub next_step: String,
    pub proof_of_work: String,
    pub notes: String,
    pub owner_user_id: Option<i64>,
}

/// One changed field, as the audit trail shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: &'static str,
    pub from: String,
    pub to: String,
}

/// An accepted edit: the new fields, what changed, and the reason given (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedUpdate {
    pub fields: DealFields,
    pub changes: Vec<Change>,
    pub reason: String,
}

/// Where the stage sits in the sales order; closed stages come last.
fn rank(stage: Stage) -> u8 {
    match stage {
        Stage::Qualify => 0,
        Stage::Discover => 1,
        Stage::Propose => 2,
        Stage::Negotiate => 3,
        Stage::Won | Stage::Lost => 4,
    }
}

pub fn is_closed(stage: Stage) -> bool {
    matches!(stage, Stage::Won | Stage::Lost)
}

/// What a deal must have to stand at `stage`: each missing field, with what to fill in.
pub fn missing_for_stage(stage: Stage, fields: &DealFields) -> Vec<FieldError> {
    let mut missing = Vec::new();
    let at_least = |wanted: Stage| stage != Stage::Lost && rank(stage) >= rank(wanted);
    if at_least(Stage::Discover) && fields.next_step.trim().is_empty() {
        missing.push(FieldError::new(
            "next_step",
            format!("Say what happens next before moving to {}.", stage.label()),
        ));
    }
    if at_least(Stage::Propose) {
        if fields.amount_cents <= 0 {
            missing.push(FieldError::new(
                "amount",
                format!("Enter the deal amount before moving to {}.", stage.label()),
            ));
        }
        if fields.close_at.is_none() {
            missing.push(FieldError::new(
                "close_date",
                format!(
                    "Enter the expected close date before moving to {}.",
                    stage.label()
                ),
            ));
        }
    }
    if at_least(Stage::Negotiate) && fields.proof_of_work.trim().is_empty() {
        missing.push(FieldError::new(
            "proof_of_work",
            format!(
                "Describe your work with the customer before moving to {}.",
                stage.label()
            ),
        ));
    }
    missing
}

pub const MIN_LOST_REASON_CHARS: usize = 10;

/// Checks an edit against the deal as it stands. `members` are the users who may own the
/// deal; `today_ms` bounds the close date. Nothing changes unless every rule passes.
pub fn apply_update(
    current: &DealFields,
    input: &DealUpdateInput,
    members: &[i64],
    today_ms: i64,
) -> Result<AcceptedUpdate, Vec<FieldError>> {
    let mut problems = Vec::new();
    let stage = Stage::parse(input.stage.trim());
    if stage.is_none() {
        problems.push(FieldError::new("stage", "Choose a stage."));
    }
    let amount_cents = amount_field(&input.amount)
        .map_err(|problem| problems.push(problem))
        .ok();
    let discount = discount_field(&input.requested_discount_pct)
        .map_err(|problem| problems.push(problem))
        .ok();
    let close_at = if input.close_date.trim().is_empty() {
        Ok(None)
    } else {
        match parse_close_date(&input.close_date) {
            // An unchanged date may lie in the past: the deal simply slipped.
            Some(at) if Some(at) == current.close_at => Ok(Some(at)),
            _ => close_date_from_today(&input.close_date, today_ms).map(Some),
        }
    };
    if let Err(problem) = &close_at {
        problems.push(problem.clone());
    }
    let mut text = |value: &str, field: &str, max: usize| {
        let trimmed = value.trim();
        if trimmed.chars().count() > max {
            problems.push(FieldError::new(
                field,
                format!("Keep this under {max} characters."),
            ));
        } else if field == "next_step" {
            // One line: it is quoted in emails.
            problems.extend(crate::domain::validation::one_line_problem(field, trimmed));
        }
        trimmed.to_string()
    };
    let next_step = text(&input.next_step, "next_step", 300);
    let proof_of_work = text(&input.proof_of_work, "proof_of_work", 2000);
    let notes = text(&input.notes, "notes", 5000);
    let reason = text(&input.reason, "reason", 1000);
    let owner_user_id = match input.owner_user_id.trim() {
        "" => current.owner_user_id,
        id => match id.parse::<i64>().ok().filter(|id| members.contains(id)) {
            Some(id) => Some(id),
            None => {
                problems.push(FieldError::new(
                    "owner_user_id",
                    "Choose an owner from your organisation.",
                ));
                current.owner_user_id
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let fields = DealFields {
        stage: stage.unwrap_or(current.stage),
        amount_cents: amount_cents.unwrap_or(current.amount_cents),
        requested_discount_pct: discount.unwrap_or(current.requested_discount_pct),
        close_at: close_at.unwrap_or(current.close_at),
        next_step,
        proof_of_work,
        notes,
        owner_user_id,
    };
    let changes = changes_between(current, &fields);
    if is_closed(current.stage) && changes.iter().any(|c| c.field != "notes") {
        return Err(vec![FieldError::new(
            "stage",
            format!(
                "This deal is {}; only its notes can change. Register a new deal for new business.",
                current.stage.label().to_lowercase()
            ),
        )]);
    }
    let changed = |field: &str| changes.iter().any(|c| c.field == field);
    let advancing = rank(fields.stage) > rank(current.stage);
    // Advancing needs everything the new stage requires; otherwise only a field emptied in
    // this edit is refused, so old gaps do not block unrelated edits.
    let mut problems: Vec<FieldError> = missing_for_stage(fields.stage, &fields)
        .into_iter()
        .filter(|problem| advancing || changed(&problem.field))
        .collect();
    if fields.stage == Stage::Lost
        && changed("stage")
        && reason.chars().count() < MIN_LOST_REASON_CHARS
    {
        problems.push(FieldError::new(
            "reason",
            "Say why the deal was lost; it helps the whole channel learn.",
        ));
    }
    if fields.stage == Stage::Won && changed("stage") && input.confirm_won.trim().is_empty() {
        problems.push(FieldError::new(
            "confirm_won",
            "Tick the box to confirm the customer has signed: a closed-won deal cannot be \
             reopened, and its protection is no longer extended.",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AcceptedUpdate {
        fields,
        changes,
        reason,
    })
}

/// A close date that is not in the past and within three years.
pub fn close_date_from_today(text: &str, today_ms: i64) -> Result<i64, FieldError> {
    const DAY: i64 = 24 * 60 * 60 * 1000;
    match parse_close_date(text) {
        None if text.trim().is_empty() => Err(FieldError::new(
            "close_date",
            "Enter the expected close date.",
        )),
        None => Err(FieldError::new(
            "close_date",
            "Enter the date as YYYY-MM-DD.",
        )),
        Some(at) if at < today_ms - DAY => Err(FieldError::new(
            "close_date",
            "The close date cannot be in the past.",
        )),
        Some(at) if at > today_ms + 3 * 366 * DAY => Err(FieldError::new(
            "close_date",
            "The close date must be within three years.",
        )),
        Some(at) => Ok(at),
    }
}

/// A UTC instant as the YYYY-MM-DD a date input shows; empty for none.
pub fn iso_date(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Every field that differs, in form order. Notes are private, so the trail records that
/// they changed but not what they say.
pub fn changes_between(before: &DealFields, after: &DealFields) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut push = |field: &'static str, from: String, to: String| {
        if from != to {
            changes.push(Change { field, from, to });
        }
    };
    push(
        "stage",
        before.stage.as_str().into(),
        after.stage.as_str().into(),
    );
    push(
        "amount",
        format_money(before.amount_cents),
        format_money(after.amount_cents),
    );
    push(
        "requested_discount_pct",
        format!("{}", before.requested_discount_pct),
        format!("{}", after.requested_discount_pct),
    );
    push(
        "close_date",
        iso_date(before.close_at),
        iso_date(after.close_at),
    );
    push(
        "next_step",
        before.next_step.clone(),
        after.next_step.clone(),
    );
    push(
        "proof_of_work",
        before.proof_of_work.clone(),
        after.proof_of_work.clone(),
    );
    let notes_edited = if before.notes != after.notes {
        "(edited)"
    } else {
        ""
    };
    push("notes", String::new(), notes_edited.into());
    push(
        "owner",
        before
            .owner_user_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        after
            .owner_user_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    );
    changes
}

/// What an audit row's field means, for people reading the trail.
pub fn audit_field_label(field: &str) -> &str {
    match field {
        "registration_status" => "Registration",
        "stage" => "Stage",
        "amount" => "Amount",
        "requested_discount_pct" => "Requested discount (%)",
        "close_date" => "Expected close date",
        "next_step" => "Next step",
        "proof_of_work" => "Proof of work",
        "notes" => "Private notes",
        "owner" => "Owner",
        "protected_until" => "Protection end",
        "approval_sla" => "Approval SLA",
        "protection_reminder" => "Expiry reminder",
        "renewal_owner" => "Renewal owner",
        "email_reply" => "Partner's email reply",
        "staff_answer" => "Answer to the partner",
        "crm_owner" => "Vendor deal owner",
        other => other,
    }
}

/// An audit row's value for people: stage and status codes become their labels.
pub fn audit_value(field: &str, value: &str) -> String {
    use super::deals::RegistrationStatus;
    let label = match field {
        "stage" => Stage::parse(value).map(|s| s.label()),
        "registration_status" => RegistrationStatus::parse(value).map(|s| s.label()),
        _ => None,
    };
    label.map_or_else(|| value.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 60 * 60 * 1000;
    /// 2026-11-24 00:00 UTC.
    const TODAY: i64 = 1_795_478_400_000;

    fn deal(stage: Stage) -> DealFields {
        DealFields {
            stage,
            amount_cents: 4_800_000,
            requested_discount_pct: 12.0,
            close_at: Some(TODAY + 60 * DAY),
            next_step: "Demo with the COO".into(),
            proof_of_work: "Two discovery calls".into(),
            notes: "Champion: Dana".into(),
            owner_user_id: Some(7),
        }
    }

    fn form(fields: &DealFields) -> DealUpdateInput {
        DealUpdateInput {
            stage: fields.stage.as_str().into(),
            amount: format_money(fields.amount_cents),
            requested_discount_pct: format!("{}", fields.requested_discount_pct),
            close_date: iso_date(fields.close_at),
            next_step: fields.next_step.clone(),
            proof_of_work: fields.proof_of_work.clone(),
            notes: fields.notes.clone(),
            owner_user_id: fields
                .owner_user_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            reason: String::new(),
            confirm_won: String::new(),
        }
    }

    fn fields_of(result: &Result<AcceptedUpdate, Vec<FieldError>>) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(|p| p.field.clone()).collect(),
        }
    }

    #[test]
    fn audit_rows_read_as_words() {
        assert_eq!(audit_field_label("next_step"), "Next step");
        assert_eq!(audit_field_label("something_new"), "something_new");
        assert_eq!(audit_value("stage", "won"), "Closed won");
        assert_eq!(
            audit_value("registration_status", "pending"),
            "Awaiting review"
        );
        assert_eq!(audit_value("amount", "$5,000"), "$5,000");
    }

    #[test]
    fn an_unchanged_form_changes_nothing() {
        let current = deal(Stage::Propose);
        let accepted = apply_update(&current, &form(&current), &[7], TODAY).unwrap();
        assert_eq!(accepted.fields, current);
        assert!(accepted.changes.is_empty());
    }

    #[test]
    fn each_changed_field_is_listed_once_and_notes_stay_private() {
        let current = deal(Stage::Discover);
        let mut input = form(&current);
        input.stage = "propose".into();
        input.amount = "50000".into();
        input.notes = "Champion left; new sponsor is Lee".into();
        input.owner_user_id = "8".into();
        let accepted = apply_update(&current, &input, &[7, 8], TODAY).unwrap();
        let changes: Vec<(&str, &str, &str)> = accepted
            .changes
            .iter()
            .map(|c| (c.field, c.from.as_str(), c.to.as_str()))
            .collect();
        assert_eq!(
            changes,
            vec![
                ("stage", "discover", "propose"),
                ("amount", "$48,000", "$50,000"),
                ("notes", "", "(edited)"),
                ("owner", "7", "8"),
            ]
        );
    }

    #[test]
    fn every_stage_lists_what_it_requires() {
        let empty = DealFields {
            stage: Stage::Qualify,
            amount_cents: 0,
            requested_discount_pct: 0.0,
            close_at: None,
            next_step: String::new(),
            proof_of_work: String::new(),
            notes: String::new(),
            owner_user_id: None,
        };
        let required = |stage: Stage| -> Vec<String> {
            missing_for_stage(stage, &empty)
                .into_iter()
                .map(|p| p.field)
                .collect()
        };
        assert!(required(Stage::Qualify).is_empty());
        assert_eq!(required(Stage::Discover), vec!["next_step"]);
        assert_eq!(
            required(Stage::Propose),
            vec!["next_step", "amount", "close_date"]
        );
        let full = vec!["next_step", "amount", "close_date", "proof_of_work"];
        assert_eq!(required(Stage::Negotiate), full);
        assert_eq!(required(Stage::Won), full);
        // Losing a deal needs a reason, not a complete record.
        assert!(required(Stage::Lost).is_empty());
        // A complete deal meets every stage.
        for stage in Stage::ALL {
            assert!(missing_for_stage(*stage, &deal(*stage)).is_empty());
        }
    }

    #[test]
    fn advancing_without_the_required_fields_is_refused_with_each_field_named() {
        let mut current = deal(Stage::Discover);
        current.amount_cents = 0;
        let mut input = form(&current);
        input.stage = "negotiate".into();
        input.close_date = String::new();
        input.proof_of_work = "  ".into();
        let result = apply_update(&current, &input, &[7], TODAY);
        assert_eq!(
            fields_of(&result),
            vec!["amount", "close_date", "proof_of_work"]
        );
    }

    #[test]
    fn old_gaps_do_not_block_unrelated_edits_but_emptying_a_required_field_does() {
        let mut current = deal(Stage::Propose);
        current.proof_of_work = String::new();
        // Staying in Propose and editing notes is fine even though proof of work is empty
        // (Propose does not require it, and it was not touched).
        let mut input = form(&current);
        input.notes = "Budget approved".into();
        assert!(apply_update(&current, &input, &[7], TODAY).is_ok());
        // Emptying the next step, which Propose requires, is refused.
        let mut input = form(&current);
        input.next_step = String::new();
        assert_eq!(
            fields_of(&apply_update(&current, &input, &[7], TODAY)),
            vec!["next_step"]
        );
    }

    #[test]
    fn moving_back_a_stage_is_allowed() {
        let current = deal(Stage::Negotiate);
        let mut input = form(&current);
        input.stage = "discover".into();
        let accepted = apply_update(&current, &input, &[7], TODAY).unwrap();
        assert_eq!(accepted.fields.stage, Stage::Discover);
    }

    #[test]
    fn losing_a_deal_needs_a_reason() {
        let current = deal(Stage::Negotiate);
        let mut input = form(&current);
        input.stage = "lost".into();
        assert_eq!(
            fields_of(&apply_update(&current, &input, &[7], TODAY)),
            vec!["reason"]
        );
        input.reason = "Customer chose to build in house.".into();
        let accepted = apply_update(&current, &input, &[7], TODAY).unwrap();
        assert_eq!(accepted.reason, "Customer chose to build in house.");
    }

    #[test]
    fn closing_as_won_needs_the_confirmation_box() {
        let current = deal(Stage::Negotiate);
        let mut input = form(&current);
        input.stage = "won".into();
        assert_eq!(
            fields_of(&apply_update(&current, &input, &[7], TODAY)),
            vec!["confirm_won"]
        );
        input.confirm_won = "on".into();
        let accepted = apply_update(&current, &input, &[7], TODAY).unwrap();
        assert_eq!(accepted.fields.stage, Stage::Won);
        // Only the move asks: editing the notes of a won deal does not.
        let won = deal(Stage::Won);
        let mut notes = form(&won);
        notes.notes = "Reference customer".into();
        assert!(apply_update(&won, &notes, &[7], TODAY).is_ok());
    }

    #[test]
    fn closed_deals_keep_everything_but_notes() {
        for closed in [Stage::Won, Stage::Lost] {
            let current = deal(closed);
            let mut reopen = form(&current);
            reopen.stage = "negotiate".into();
            assert_eq!(
                fields_of(&apply_update(&current, &reopen, &[7], TODAY)),
                vec!["stage"]
            );
            let mut amount = form(&current);
            amount.amount = "1".into();
            assert_eq!(
                fields_of(&apply_update(&current, &amount, &[7], TODAY)),
                vec!["stage"]
            );
            let mut notes = form(&current);
            notes.notes = "Reference customer".into();
            assert!(apply_update(&current, &notes, &[7], TODAY).is_ok());
        }
    }

    #[test]
    fn the_owner_must_belong_to_the_organisation() {
        let current = deal(Stage::Qualify);
        let mut input = form(&current);
        input.owner_user_id = "99".into();
        assert_eq!(
            fields_of(&apply_update(&current, &input, &[7, 8], TODAY)),
            vec!["owner_user_id"]
        );
        input.owner_user_id = "eight".into();
        assert_eq!(
            fields_of(&apply_update(&current, &input, &[7, 8], TODAY)),
            vec!["owner_user_id"]
        );
    }

    #[test]
    fn close_dates_in_the_past_are_refused_unless_unchanged() {
        let mut current = deal(Stage::Propose);
        current.close_at = Some(TODAY - 30 * DAY);
        // The slipped date may stay while other fields change.
        let mut input = form(&current);
        input.next_step = "Chase the signature".into();
        assert!(apply_update(&current, &input, &[7], TODAY).is_ok());
        // A new date must not be in the past, nor years away, nor malformed.
        for (typed, ok) in [
            ("2026-11-01", false),
            ("2026-11-24", true),
            ("2027-05-01", true),
            ("2031-01-01", false),
            ("next week", false),
        ] {
            let mut input = form(&current);
            input.close_date = typed.into();
            assert_eq!(
                apply_update(&current, &input, &[7], TODAY).is_ok(),
                ok,
                "{typed}"
            );
        }
    }

    #[test]
    fn malformed_numbers_and_long_text_are_named() {
        let current = deal(Stage::Qualify);
        let mut input = form(&current);
        input.stage = "closing".into();
        input.amount = "-5".into();
        input.requested_discount_pct = "150".into();
        input.next_step = "x".repeat(301);
        assert_eq!(
            fields_of(&apply_update(&current, &input, &[7], TODAY)),
            vec!["stage", "amount", "requested_discount_pct", "next_step"]
        );
    }
}
