//! Deal vocabulary and registration input rules.
use super::conflict::DealKind;
use crate::domain::identity::text_enum;
use crate::domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

text_enum!(
    /// How the deal is sold.
    Motion {
        Referral => "referral" / "Referral",
        Resale => "resale" / "Resale",
        Marketplace => "marketplace" / "Marketplace",
        Si => "si" / "SI / implementation",
        Direct => "direct" / "Direct",
    }
);

text_enum!(
    /// Where a registration stands.
    RegistrationStatus {
        NotRegistered => "not_registered" / "Not registered",
        Pending => "pending" / "Awaiting review",
        InfoRequested => "info_requested" / "More information requested",
        Approved => "approved" / "Approved",
        Declined => "declined" / "Declined",
        Duplicate => "duplicate" / "Duplicate",
        Expired => "expired" / "Protection expired",
    }
);

text_enum!(
    /// Sales stages, in order.
    Stage {
        Qualify => "qualify" / "Qualify",
        Discover => "discover" / "Discover",
        Propose => "propose" / "Propose",
        Negotiate => "negotiate" / "Negotiate",
        Won => "won" / "Closed won",
        Lost => "lost" / "Closed lost",
    }
);

impl DealKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DealKind::NetNew => "net_new",
            DealKind::Expansion => "expansion",
            DealKind::Renewal => "renewal",
        }
    }

    pub fn parse(text: &str) -> Option<DealKind> {
        match text {
            "net_new" => Some(DealKind::NetNew),
            "expansion" => Some(DealKind::Expansion),
            "renewal" => Some(DealKind::Renewal),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DealKind::NetNew => "New customer",
            DealKind::Expansion => "Expansion",
            DealKind::Renewal => "Renewal",
        }
    }
}

pub const PRODUCT_LINES: &[&str] = &["Lumen Dashboards", "Lumen Alerts", "Lumen Connect"];

/// What a partner submits to register a deal. Missing fields read as empty, so they get
/// field-level messages rather than a decoding error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistrationInput {
    pub company_name: String,
    pub domain: String,
    pub country: String,
    pub motion: String,
    pub kind: String,
    pub product_line: String,
    pub amount: String,
    pub requested_discount_pct: String,
    pub close_date: String,
    pub next_step: String,
    pub proof_of_work: String,
    pub notes: String,
}

/// A registration that passed the input rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRegistration {
    pub company_name: String,
    pub domain: String,
    pub country: String,
    pub motion: Motion,
    pub kind: DealKind,
    pub product_line: String,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    /// UTC midnight of the expected close date, milliseconds.
    pub close_at: i64,
    pub next_step: String,
    pub proof_of_work: String,
    pub notes: String,
}

/// Checks a registration form; every problem is reported on its field.
pub fn validate_registration(
    input: &RegistrationInput,
    today_ms: i64,
) -> Result<ValidRegistration, Vec<FieldError>> {
    let mut problems = Vec::new();
    // Fields of one line (`multiline` false) refuse line breaks: they reach email bodies.
    let mut need = |value: &str, field: &str, message: &str, max: usize| -> String {
        let trimmed = value.trim();
        let multiline = field == "proof_of_work";
        if trimmed.is_empty() {
            problems.push(FieldError::new(field, message));
        } else if trimmed.chars().count() > max {
            problems.push(FieldError::new(
                field,
                format!("Keep this under {max} characters."),
            ));
        } else if let Some(problem) = (!multiline)
            .then(|| crate::domain::validation::one_line_problem(field, trimmed))
            .flatten()
        {
            problems.push(problem);
        }
        trimmed.to_string()
    };
    let company_name = need(
        &input.company_name,
        "company_name",
        "Enter the customer's company name.",
        200,
    );
    let country = need(
        &input.country,
        "country",
        "Enter the customer's country.",
        80,
    );
    let next_step = need(
        &input.next_step,
        "next_step",
        "Say what happens next, e.g. \"Demo on 3 March\".",
        300,
    );
    let proof_of_work = need(
        &input.proof_of_work,
        "proof_of_work",
        "Describe your work so far: meetings held, contacts, the need you found.",
        2000,
    );
    let domain = super::matching::normalize_domain(&input.domain);
    if domain.is_none() {
        problems.push(FieldError::new(
            "domain",
            "Enter the customer's website, like acme.com.",
        ));
    }
    let motion = Motion::parse(&input.motion).filter(|m| *m != Motion::Direct);
    if motion.is_none() {
        problems.push(FieldError::new(
            "motion",
            "Choose how you will sell this deal.",
        ));
    }
    let kind = DealKind::parse(&input.kind);
    if kind.is_none() {
        problems.push(FieldError::new(
            "kind",
            "Choose new customer, expansion or renewal.",
        ));
    }
    let product_line = input.product_line.trim().to_string();
    if !PRODUCT_LINES.contains(&product_line.as_str()) {
        problems.push(FieldError::new("product_line", "Choose a product line."));
    }
    let amount_cents = amount_field(&input.amount)
        .map_err(|problem| problems.push(problem))
        .ok();
    let requested_discount_pct = discount_field(&input.requested_discount_pct)
        .map_err(|problem| problems.push(problem))
        .ok();
    let close_at = super::updates::close_date_from_today(&input.close_date, today_ms)
        .map_err(|problem| problems.push(problem))
        .ok();
    if input.notes.chars().count() > 5000 {
        problems.push(FieldError::new(
            "notes",
            "Keep notes under 5,000 characters.",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ValidRegistration {
        company_name,
        domain: domain.unwrap_or_default(),
        country,
        motion: motion.unwrap_or(Motion::Resale),
        kind: kind.unwrap_or(DealKind::NetNew),
        product_line,
        amount_cents: amount_cents.unwrap_or_default(),
        requested_discount_pct: requested_discount_pct.unwrap_or_default(),
        close_at: close_at.unwrap_or_default(),
        next_step,
        proof_of_work,
        notes: input.notes.trim().to_string(),
    })
}

/// The deal amount field: dollars as typed, or the message for the `amount` field.
pub fn amount_field(text: &str) -> Result<i64, FieldError> {
    parse_money(text)
        .ok_or_else(|| FieldError::new("amount", "Enter the deal amount in dollars, like 25000."))
}

/// The requested discount field, or the message for the `requested_discount_pct` field.
pub fn discount_field(text: &str) -> Result<f64, FieldError> {
    parse_discount(text).ok_or_else(|| {
        FieldError::new(
            "requested_discount_pct",
            "Enter a discount from 0 to 100 %.",
        )
    })
}

/// A requested discount as typed ("12", "12.5 %"); empty means none.
pub fn parse_discount(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0.0);
    }
    parse_percent(text)
}

/// A percentage from 0 to 100 as typed ("15", "17.5 %").
pub fn parse_percent(text: &str) -> Option<f64> {
    text.trim()
        .trim_end_matches('%')
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|pct| (0.0..=100.0).contains(pct))
}

/// A date typed as YYYY-MM-DD, as UTC midnight in milliseconds.
pub fn parse_close_date(text: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// Dollars as typed ("25000", "$25,000.50") to cents; refuses negatives and absurd sums.
pub fn parse_money(text: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if cleaned.is_empty() || cleaned.starts_with('-') {
        return None;
    }
    let (whole, cents) = match cleaned.split_once('.') {
        Some((w, c)) if c.len() <= 2 && c.chars().all(|d| d.is_ascii_digit()) => {
            (w, format!("{c:0<2}").parse::<i64>().ok()?)
        }
        Some(_) => return None,
        None => (cleaned.as_str(), 0),
    };
    if whole.is_empty() || !whole.chars().all(|d| d.is_ascii_digit()) || whole.len() > 12 {
        return None;
    }
    Some(whole.parse::<i64>().ok()? * 100 + cents)
}

/// Cents as dollars for display: 2500050 → "$25,000.50".
pub fn format_money(cents: i64) -> String {
    let grouped = thousands(cents / 100);
    match cents % 100 {
        0 => format!("${grouped}"),
        rest => format!("${grouped}.{rest:02}"),
    }
}

/// A count with thousands separators: `15000` → `15,000`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::from(if n < 0 { "-" } else { "" });
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: i64 = 1_795_000_000_000;

    fn input() -> RegistrationInput {
        RegistrationInput {
            company_name: "Acme, Inc.".into(),
            domain: "https://www.acme.com".into(),
            country: "Germany".into(),
            motion: "resale".into(),
            kind: "net_new".into(),
            product_line: "Lumen Dashboards".into(),
            amount: "$48,000".into(),
            requested_discount_pct: "12".into(),
            close_date: "2027-03-31".into(),
            next_step: "Demo with the COO".into(),
            proof_of_work: "Two discovery calls with the operations team.".into(),
            notes: "Competing with a BI tool.".into(),
        }
    }

    #[test]
    fn a_complete_form_is_accepted_and_normalised() {
        let valid = validate_registration(&input(), TODAY).unwrap();
        assert_eq!(valid.domain, "acme.com");
        assert_eq!(valid.amount_cents, 4_800_000);
        assert_eq!(valid.motion, Motion::Resale);
        assert_eq!(valid.kind, DealKind::NetNew);
        assert_eq!(valid.requested_discount_pct, 12.0);
    }

    #[test]
    fn every_problem_is_named_on_its_field() {
        let bad = RegistrationInput {
            company_name: " ".into(),
            domain: "acme".into(),
            country: String::new(),
            motion: "direct".into(),
            kind: "big".into(),
            product_line: "Toaster".into(),
            amount: "-5".into(),
            requested_discount_pct: "150".into(),
            close_date: "2020-01-01".into(),
            next_step: String::new(),
            proof_of_work: String::new(),
            notes: "x".repeat(5001),
        };
        let fields: Vec<String> = validate_registration(&bad, TODAY)
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "company_name",
                "country",
                "next_step",
                "proof_of_work",
                "domain",
                "motion",
                "kind",
                "product_line",
                "amount",
                "requested_discount_pct",
                "close_date",
                "notes"
            ]
        );
    }

    #[test]
    fn money_parses_and_formats() {
        assert_eq!(parse_money("25000"), Some(2_500_000));
        assert_eq!(parse_money("$25,000.5"), Some(2_500_050));
        assert_eq!(parse_money("0.99"), Some(99));
        for bad in ["", "-1", "1.234", "abc", "1e5", "$", "9999999999999"] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
        assert_eq!(format_money(2_500_050), "$25,000.50");
        assert_eq!(thousands(15_000), "15,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1_000), "-1,000");
        assert_eq!(thousands(0), "0");
        assert_eq!(format_money(100_000_000), "$1,000,000");
        assert_eq!(format_money(5), "$0.05");
    }

    #[test]
    fn enums_round_trip() {
        for motion in Motion::ALL {
            assert_eq!(Motion::parse(motion.as_str()), Some(*motion));
        }
        for kind in [DealKind::NetNew, DealKind::Expansion, DealKind::Renewal] {
            assert_eq!(DealKind::parse(kind.as_str()), Some(kind));
        }
        for status in RegistrationStatus::ALL {
            assert_eq!(RegistrationStatus::parse(status.as_str()), Some(*status));
        }
    }
}
