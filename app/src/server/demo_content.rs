//! The demo program's learning paths, written as path exports so the demo goes through the
//! same import checks as content moved between deployments.
use crate::domain::identity::{JobRole, PartnerType};
use crate::domain::learning::Audience;
use crate::domain::quiz::attempts::{ReviewLevel, ReviewWhen};
use crate::domain::quiz::content::{Choice, QuestionContent, QuestionKind, QuizConfig};
use crate::domain::quiz::grading::{AnswerKey, MultiScoring};
use crate::domain::quiz::review::QuestionFeedback;
use crate::domain::steps::{DocumentStep, LiveSessionStep, StepSettings, SurveyStep, VideoStep};
use crate::domain::transfer::{PathExport, QuestionExport, StepExport, FORMAT, FORMAT_VERSION};
use std::collections::BTreeMap;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn step(title: &str, required: bool, settings: StepSettings) -> StepExport {
    StepExport {
        kind: settings.kind(),
        title: title.to_string(),
        required,
        settings: settings.to_value(),
    }
}

fn video(title: &str) -> StepExport {
    step(
        title,
        true,
        StepSettings::Video(VideoStep {
            src: "/media/lumen-intro.webm".into(),
            captions_src: Some("/media/lumen-intro.en.vtt".into()),
            captions_language: "en".into(),
            duration_secs: Some(12.0),
        }),
    )
}

fn document(title: &str, markdown: &str) -> StepExport {
    step(
        title,
        true,
        StepSettings::Document(DocumentStep {
            markdown: markdown.trim().to_string(),
        }),
    )
}

fn survey() -> StepExport {
    step(
        "Was this path useful?",
        true,
        StepSettings::Survey(SurveyStep {
            question: "How useful was this path for your work with customers?".into(),
        }),
    )
}

fn live_session(title: &str, starts_at: i64, host: &str) -> StepExport {
    step(
        title,
        false,
        StepSettings::LiveSession(LiveSessionStep {
            starts_at,
            duration_minutes: 60,
            join_url: "https://meet.lumen.example/partner-office-hours".into(),
            capacity: Some(40),
            host: host.into(),
            sequence: 0,
        }),
    )
}

fn quiz(title: &str, config: QuizConfig) -> StepExport {
    step(title, true, StepSettings::Quiz(config))
}

fn choices(texts: &[&str]) -> Vec<Choice> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| Choice {
            id: i as u32 + 1,
            text: text.to_string(),
        })
        .collect()
}

fn question(
    kind: QuestionKind,
    prompt: &str,
    options: Vec<Choice>,
    targets: Vec<Choice>,
    key: AnswerKey,
    explanation: &str,
    tag: &str,
) -> QuestionExport {
    QuestionExport {
        content: QuestionContent {
            kind,
            prompt: prompt.to_string(),
            options,
            targets,
        },
        key,
        feedback: QuestionFeedback {
            explanation: explanation.to_string(),
            if_correct: "Correct.".into(),
            if_incorrect: "Not quite — see the explanation after the quiz.".into(),
        },
        tags: vec![tag.to_string()],
        weight: 1.0,
    }
}

/// `correct` counts options from 1.
fn single(prompt: &str, options: &[&str], correct: u32, why: &str, tag: &str) -> QuestionExport {
    question(
        QuestionKind::SingleChoice,
        prompt,
        choices(options),
        vec![],
        AnswerKey::SingleChoice {
            options: (1..=options.len() as u32).collect(),
            correct,
        },
        why,
        tag,
    )
}

fn multiple(
    prompt: &str,
    options: &[&str],
    correct: &[u32],
    scoring: MultiScoring,
    why: &str,
    tag: &str,
) -> QuestionExport {
    question(
        QuestionKind::MultipleChoice,
        prompt,
        choices(options),
        vec![],
        AnswerKey::MultipleChoice {
            options: (1..=options.len() as u32).collect(),
            correct: correct.iter().copied().collect(),
            scoring,
        },
        why,
        tag,
    )
}

fn true_false(prompt: &str, correct: bool, why: &str, tag: &str) -> QuestionExport {
    question(
        QuestionKind::TrueFalse,
        prompt,
        vec![],
        vec![],
        AnswerKey::TrueFalse { correct },
        why,
        tag,
    )
}

/// Items listed in their correct order; attempts always shuffle them.
fn ordering(prompt: &str, items: &[&str], why: &str, tag: &str) -> QuestionExport {
    let mut options = choices(items);
    options.reverse();
    question(
        QuestionKind::Ordering,
        prompt,
        options,
        vec![],
        AnswerKey::Ordering {
            correct_order: (1..=items.len() as u32).collect(),
        },
        why,
        tag,
    )
}

fn matching(prompt: &str, pairs: &[(&str, &str)], why: &str, tag: &str) -> QuestionExport {
    let left: Vec<&str> = pairs.iter().map(|(l, _)| *l).collect();
    let right: Vec<&str> = pairs.iter().map(|(_, r)| *r).collect();
    question(
        QuestionKind::Matching,
        prompt,
        choices(&left),
        choices(&right),
        AnswerKey::Matching {
            pairs: (1..=pairs.len() as u32)
                .map(|i| (i, i))
                .collect::<BTreeMap<_, _>>(),
        },
        why,
        tag,
    )
}

fn short_text(prompt: &str, accepted: &[&str], why: &str, tag: &str) -> QuestionExport {
    question(
        QuestionKind::ShortText,
        prompt,
        vec![],
        vec![],
        AnswerKey::ShortText {
            accepted: accepted.iter().map(|a| a.to_string()).collect(),
        },
        why,
        tag,
    )
}

fn numeric(prompt: &str, value: f64, tolerance: f64, why: &str, tag: &str) -> QuestionExport {
    question(
        QuestionKind::Numeric,
        prompt,
        vec![],
        vec![],
        AnswerKey::Numeric { value, tolerance },
        why,
        tag,
    )
}

fn path(
    title: &str,
    summary: &str,
    audience: Audience,
    estimated_minutes: i64,
    steps: Vec<StepExport>,
    questions: Vec<QuestionExport>,
) -> PathExport {
    PathExport {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        title: title.into(),
        summary: summary.into(),
        audience,
        required: true,
        estimated_minutes,
        steps,
        questions,
    }
}

/// The three demo paths. `now` places the live session a week ahead, at 16:00 UTC.
pub fn demo_paths(now: i64) -> Vec<PathExport> {
    let office_hours = (now / DAY_MS + 7) * DAY_MS + 16 * 60 * 60 * 1000;
    vec![sales(office_hours), technical(office_hours), support()]
}

fn sales(office_hours: i64) -> PathExport {
    use MultiScoring::*;
    let tag = "positioning";
    let mut questions = vec![
        single(
            "Who is Lumen's primary buyer?",
            &[
                "Chief Financial Officer",
                "Head of Operations",
                "IT help-desk lead",
                "Marketing coordinator",
            ],
            2,
            "Lumen is bought by operations leaders who own weekly reporting.",
            tag,
        ),
        single(
            "Which pain does Lumen's positioning lead with?",
            &[
                "Slow laptops",
                "Hours lost rebuilding operational reports by hand",
                "High cloud storage bills",
                "Email spam",
            ],
            2,
            "The core story: manual, spreadsheet-based operational reporting.",
            tag,
        ),
        true_false(
            "Lumen replaces the customer's ERP system.",
            false,
            "Lumen connects to the ERP and reads from it; it does not replace it.",
            tag,
        ),
        numeric(
            "What is the minimum company size (employees) in Lumen's ideal customer profile?",
            200.0,
            0.0,
            "The ICP is companies of 200 to 5,000 people.",
            tag,
        ),
        short_text(
            "Name the Lumen feature that sends a message when a metric crosses a threshold.",
            &["alerts", "alert", "metric alerts"],
            "Alerts notify owners the moment a metric crosses its threshold.",
            tag,
        ),
        multiple(
            "Which of these are Lumen differentiators? (Choose all that apply.)",
            &[
                "Live connectors to ERP and CRM",
                "Dashboards ready in a day",
                "On-premises mainframe hosting",
                "Alerts with owners and escalation",
            ],
            &[1, 2, 4],
            Partial,
            "Lumen is cloud-only; the other three are the differentiators.",
            tag,
        ),
    ];
    let tag = "discovery";
    questions.extend([
        ordering("Put the discovery call in order.", &["Agree the agenda and time", "Explore current reporting process", "Quantify the cost of the problem", "Agree next step with a date"], "Open, explore, quantify, then close on a dated next step.", tag),
        single("Which is the best discovery question?", &["Do you want dashboards?", "How many hours a week does your team spend building the Monday report?", "Can I show you a demo?", "Is budget approved?"], 2, "Open questions that quantify the pain move the deal forward.", tag),
        true_false("A qualified opportunity needs a named economic buyer.", true, "Without an economic buyer the deal cannot close.", tag),
        numeric("A customer's team spends 6 hours a week on a report. At 46 working weeks, how many hours a year is that?", 276.0, 0.5, "6 × 46 = 276 hours a year: a number the buyer will remember.", tag),
        matching("Match each discovery signal to what it tells you.", &[("\"We rebuild it every Monday\"", "Recurring manual effort"), ("\"The board asked for it\"", "Executive urgency"), ("\"IT must approve connectors\"", "Technical stakeholder"), ("\"We tried a BI tool last year\"", "Past attempt and objections")], "Each signal points to a different part of the deal.", tag),
    ]);
    let tag = "objections";
    questions.extend([
        single("The customer says: \"We already have a BI tool.\" Best response?", &["Our tool is cheaper.", "Ask what still happens in spreadsheets despite the BI tool.", "Offer a 50% discount.", "Say BI tools are obsolete."], 2, "Find the gap the existing tool leaves; do not attack it.", tag),
        multiple("Which are good answers to \"It's too expensive\"? (Choose all that apply.)", &["Compare against the hours saved", "Offer a phased rollout", "Immediately cut the price", "Share a customer's payback period"], &[1, 2, 4], AllOrNothing, "Reframe around value; discounting first teaches the buyer to wait.", tag),
        true_false("When a prospect raises a security objection, you should bring in a Lumen solutions engineer.", true, "Security reviews go through the solutions engineering team.", tag),
        short_text("What does the acronym ROI stand for?", &["return on investment"], "Return on investment: value gained relative to cost.", tag),
    ]);
    let tag = "demo";
    questions.extend([
        ordering(
            "Order a customer demo.",
            &[
                "Restate the customer's problem",
                "Show their report rebuilt in Lumen",
                "Show an alert firing",
                "Agree the trial plan",
            ],
            "Start from their pain, show the outcome, then the next step.",
            tag,
        ),
        single(
            "How long should the first demo be?",
            &["5 minutes", "About 30 minutes", "2 hours", "A full day"],
            2,
            "Thirty minutes keeps attention and leaves time for questions.",
            tag,
        ),
    ]);
    path(
        "Sales Certification",
        "Position Lumen, run discovery, handle objections and give a demo that wins. Required for everyone who sells Lumen.",
        Audience {
            partner_types: vec![],
            tiers: vec![],
            job_roles: vec![JobRole::Sales],
        },
        45,
        vec![
            video("Lumen in 60 seconds"),
            document("Positioning guide", SALES_POSITIONING),
            document("Discovery and objection handling", SALES_DISCOVERY),
            live_session("Office hours: your deal questions", office_hours, "Marco Silva, Partner manager"),
            quiz(
                "Sales certification exam",
                QuizConfig {
                    pass_mark_percent: 80,
                    max_attempts: Some(3),
                    cooldown_secs: 10 * 60,
                    time_limit_secs: Some(20 * 60),
                    draw_count: Some(12),
                    draw_tags: vec![],
                    shuffle_options: true,
                    review_level: ReviewLevel::CorrectAnswers,
                    review_when: ReviewWhen::AfterPassingOrFinalAttempt,
                },
            ),
            survey(),
        ],
        questions,
    )
}

fn technical(office_hours: i64) -> PathExport {
    use MultiScoring::*;
    let tag = "setup";
    let mut questions = vec![
        ordering(
            "Put a new Lumen workspace setup in order.",
            &[
                "Create the workspace and invite admins",
                "Configure single sign-on",
                "Connect the first data source",
                "Build the first dashboard",
            ],
            "Access first, then data, then content.",
            tag,
        ),
        single(
            "Which sign-in standard does Lumen support for single sign-on?",
            &["SAML 2.0", "FTP", "POP3", "LDAP over UDP"],
            1,
            "Lumen supports SAML 2.0 (and OIDC) for SSO.",
            tag,
        ),
        numeric(
            "How many minutes does a standard connector wait between syncs by default?",
            15.0,
            0.0,
            "Standard connectors sync every 15 minutes.",
            tag,
        ),
        true_false(
            "Workspace admins can restrict dashboards to groups.",
            true,
            "Dashboards can be shared with groups only.",
            tag,
        ),
        short_text(
            "What file format does Lumen accept for bulk user import?",
            &["csv", "comma-separated values", ".csv"],
            "Bulk import takes a CSV file.",
            tag,
        ),
    ];
    let tag = "integrations";
    questions.extend([
        matching("Match each connector to its system type.", &[("NetSuite", "ERP"), ("Salesforce", "CRM"), ("Snowflake", "Data warehouse"), ("Zendesk", "Help desk")], "Knowing the system type tells you which data model to expect.", tag),
        multiple("Which does a Salesforce connector need? (Choose all that apply.)", &["An integration user", "API access enabled", "A mainframe gateway", "The OAuth consent of an admin"], &[1, 2, 4], Partial, "No gateway is needed: Lumen calls Salesforce's API directly.", tag),
        single("A customer's warehouse is behind a firewall. What do you set up?", &["Nothing; it just works", "Allow-list Lumen's egress IP addresses", "Disable the firewall", "Email the data as CSV"], 2, "Allow-list Lumen's published egress addresses.", tag),
        true_false("Webhooks from Lumen are signed so the receiver can verify them.", true, "Each webhook carries an HMAC signature header.", tag),
        numeric("An API client is limited to 600 requests per minute. How many requests per second is that on average?", 10.0, 0.01, "600 / 60 = 10 requests per second.", tag),
    ]);
    let tag = "troubleshooting";
    questions.extend([
        ordering(
            "Order the steps to troubleshoot a failed sync.",
            &[
                "Read the sync log",
                "Check the connector's credentials",
                "Re-run the sync",
                "Escalate with the log attached",
            ],
            "Evidence first, fix, retry, then escalate with evidence.",
            tag,
        ),
        single(
            "A dashboard shows yesterday's numbers. The most likely cause?",
            &[
                "The browser is old",
                "The connector's last sync failed",
                "The dashboard is too big",
                "The user is not an admin",
            ],
            2,
            "Stale data almost always means a failed or paused sync.",
            tag,
        ),
        short_text(
            "Which HTTP status code means the API rate limit was hit?",
            &["429"],
            "429 Too Many Requests.",
            tag,
        ),
        multiple(
            "Which belong in an escalation to Lumen support? (Choose all that apply.)",
            &[
                "Workspace ID",
                "Sync log excerpt",
                "The customer's admin password",
                "Time the problem started (UTC)",
            ],
            &[1, 2, 4],
            AllOrNothing,
            "Never send passwords; the rest lets support act at once.",
            tag,
        ),
    ]);
    path(
        "Technical Certification",
        "Set up Lumen, connect the customer's systems and fix what breaks. Required for implementation engineers.",
        Audience {
            partner_types: vec![
                PartnerType::Reseller,
                PartnerType::Implementation,
                PartnerType::Distributor,
            ],
            tiers: vec![],
            job_roles: vec![JobRole::Technical],
        },
        60,
        vec![
            video("Lumen architecture in 60 seconds"),
            document("Setup and integrations guide", TECH_SETUP),
            live_session("Office hours: implementation clinic", office_hours + DAY_MS, "Hannah Weiss, Solutions engineer"),
            quiz(
                "Technical certification exam",
                QuizConfig {
                    pass_mark_percent: 75,
                    max_attempts: Some(3),
                    cooldown_secs: 10 * 60,
                    time_limit_secs: Some(25 * 60),
                    draw_count: None,
                    draw_tags: vec![],
                    shuffle_options: true,
                    review_level: ReviewLevel::CorrectAnswers,
                    review_when: ReviewWhen::AfterPassingOrFinalAttempt,
                },
            ),
            survey(),
        ],
        questions,
    )
}

fn support() -> PathExport {
    let tag = "faq";
    let mut questions = vec![
        single(
            "A user forgot their password and the workspace uses SSO. What do you tell them?",
            &[
                "Reset it in Lumen",
                "Reset it with their company's identity provider",
                "Create a second account",
                "Wait 24 hours",
            ],
            2,
            "With SSO, the identity provider owns the password.",
            tag,
        ),
        true_false(
            "Exporting a dashboard to PDF is available on every plan.",
            true,
            "PDF export is on every plan.",
            tag,
        ),
        short_text(
            "Which page in Lumen shows the status of every connector?",
            &["data sources", "data sources page", "sources"],
            "Settings → Data sources lists every connector with its status.",
            tag,
        ),
    ];
    let tag = "escalation";
    questions.extend([
        ordering(
            "Order the escalation path for a customer-reported outage.",
            &[
                "Confirm impact and scope",
                "Open a P1 ticket with Lumen",
                "Update the customer every hour",
                "Write the incident summary",
            ],
            "Scope, escalate, communicate, close.",
            tag,
        ),
        matching(
            "Match each situation to its priority.",
            &[
                ("All dashboards down for every user", "P1"),
                ("One connector failing", "P2"),
                ("A chart colour is wrong", "P4"),
                ("Slow exports for one team", "P3"),
            ],
            "Priority follows impact: how many users, how badly.",
            tag,
        ),
        single(
            "Who may request a data deletion under the contract?",
            &[
                "Any user",
                "The customer's workspace owner",
                "The reseller's sales rep",
                "Anyone with the link",
            ],
            2,
            "Only the workspace owner may request deletion.",
            tag,
        ),
        multiple(
            "Which details must a P1 ticket include? (Choose all that apply.)",
            &[
                "Workspace ID",
                "Number of users affected",
                "Start time in UTC",
                "The customer's favourite colour",
            ],
            &[1, 2, 3],
            MultiScoring::AllOrNothing,
            "Identify, size and time the incident.",
            tag,
        ),
    ]);
    let tag = "sla";
    questions.extend([
        numeric("What is the first-response target for a P1 ticket, in minutes?", 30.0, 0.0, "P1: first response within 30 minutes, 24/7.", tag),
        numeric("What is the monthly uptime commitment, in percent?", 99.9, 0.0, "Lumen commits to 99.9% monthly uptime.", tag),
        true_false("P3 tickets are handled 24/7.", false, "P3 and P4 are handled in business hours.", tag),
        numeric("At 99.9% uptime, how many minutes of downtime are allowed in a 30-day month? (Round to the nearest minute.)", 43.2, 0.5, "30 × 24 × 60 × 0.001 = 43.2 minutes.", tag),
        single("When does the SLA clock for a ticket start?", &["When an engineer reads it", "When the ticket is created", "The next business day", "When the customer calls"], 2, "The clock starts at ticket creation.", tag),
    ]);
    path(
        "Support Readiness",
        "Answer the common questions, escalate the right way and keep to the SLAs. Required for support staff.",
        Audience {
            partner_types: vec![],
            tiers: vec![],
            job_roles: vec![JobRole::Support],
        },
        30,
        vec![
            document("Support FAQ", SUPPORT_FAQ),
            document("Escalation rules and SLAs", SUPPORT_SLA),
            quiz(
                "Support readiness check",
                QuizConfig {
                    pass_mark_percent: 70,
                    max_attempts: None,
                    cooldown_secs: 0,
                    time_limit_secs: None,
                    draw_count: Some(10),
                    draw_tags: vec![],
                    shuffle_options: true,
                    review_level: ReviewLevel::CorrectAnswers,
                    review_when: ReviewWhen::AfterEachAttempt,
                },
            ),
            survey(),
        ],
        questions,
    )
}

const SALES_POSITIONING: &str = r#"
# Positioning Lumen

**Lumen Analytics** gives operations teams live dashboards and alerts built on the systems they already run — ERP, CRM, help desk and data warehouse — so nobody rebuilds the Monday report by hand again.

## Who buys

| Persona | What they own | What they want |
|---|---|---|
| Head of Operations | Weekly operating review | One trusted number, on time |
| Finance partner | Forecast and cost reports | Fewer manual reconciliations |
| IT lead | Connectors and security | SSO, audit logs, no new servers |

Our ideal customer has **200 to 5,000 employees** and at least two systems of record.

## The story in three lines

1. *Today:* reports are rebuilt by hand from exports, and they are late and disputed.
2. *With Lumen:* dashboards update every 15 minutes and alert owners when a metric drifts.
3. *Proof:* customers are live within a day and save 5–10 hours per analyst per week.

## Differentiators

- Live connectors to ERP and CRM, no data engineering project
- Dashboards ready in a day from templates
- Alerts with owners and escalation

> Lumen connects to the ERP; it never replaces it. Say so early.
"#;

const SALES_DISCOVERY: &str = r#"
# Discovery and objection handling

## A discovery call in four moves

1. Agree the agenda and the time you have.
2. Explore how reporting works today: who builds what, from which systems.
3. **Quantify** the cost: hours a week × weeks a year × loaded cost.
4. Agree a next step *with a date*.

Good questions are open and measurable: *"How many hours a week does your team spend building the Monday report?"*

## Objections

| They say | You do |
|---|---|
| "We already have a BI tool." | Ask what still happens in spreadsheets. |
| "It's too expensive." | Compare with hours saved; offer a phased rollout; share a payback story. |
| "Security will never approve it." | Bring in a Lumen solutions engineer early. |

Never lead with a discount: it teaches the buyer to wait for a bigger one.

## The first demo

Keep it to **about 30 minutes**: restate their problem, show *their* report rebuilt in Lumen, show an alert firing, and agree the trial plan.
"#;

const TECH_SETUP: &str = r#"
# Setup and integrations

## Setup order

1. Create the workspace and invite admins.
2. Configure single sign-on (SAML 2.0 or OIDC).
3. Connect the first data source.
4. Build the first dashboard from a template.

Users can be imported in bulk from a **CSV** file.

## Connectors

| Connector | System type | Notes |
|---|---|---|
| NetSuite | ERP | Token-based authentication |
| Salesforce | CRM | Integration user, API access, admin OAuth consent |
| Snowflake | Data warehouse | Read-only role recommended |
| Zendesk | Help desk | API token |

Standard connectors sync every **15 minutes**. Warehouses behind a firewall must allow-list Lumen's published egress IP addresses.

## API and webhooks

- The API allows 600 requests per minute per client; over the limit you receive **429**.
- Webhooks carry an HMAC signature header; verify it before trusting the payload.

## Troubleshooting a failed sync

Read the sync log, check credentials, re-run the sync, and only then escalate — with the log attached, the workspace ID and the time it started (UTC). Never send passwords.
"#;

const SUPPORT_FAQ: &str = r#"
# Support FAQ

**A user forgot their password.** If the workspace uses SSO, the company's identity provider resets it; otherwise use *Forgot password* on the sign-in page.

**Where do I see whether data is fresh?** *Settings → Data sources* lists every connector with its last sync and status.

**Can dashboards be exported?** Yes: PDF export is on every plan; CSV export of a chart's data on Business and above.

**Who can delete data?** Only the customer's workspace owner may request deletion under the contract.
"#;

const SUPPORT_SLA: &str = r#"
# Escalation rules and SLAs

| Priority | Example | First response | Hours |
|---|---|---|---|
| P1 | All dashboards down for every user | 30 minutes | 24/7 |
| P2 | One connector failing | 4 hours | 24/7 |
| P3 | Slow exports for one team | 1 business day | Business hours |
| P4 | Cosmetic issue | 3 business days | Business hours |

The SLA clock starts **when the ticket is created**. Monthly uptime commitment: **99.9%**.

## Escalating an outage

1. Confirm impact and scope.
2. Open a P1 ticket with Lumen, including workspace ID, users affected and start time (UTC).
3. Update the customer every hour.
4. Write the incident summary.
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::steps::StepKind;
    use crate::domain::transfer::import_problems;
    use std::collections::HashSet;

    #[test]
    fn demo_paths_pass_the_import_checks() {
        for path in demo_paths(1_800_000_000_000) {
            let problems = import_problems(&path);
            assert!(problems.is_empty(), "{}: {problems:?}", path.title);
        }
    }

    #[test]
    fn demo_has_three_paths_forty_questions_and_every_kind() {
        let paths = demo_paths(1_800_000_000_000);
        assert_eq!(paths.len(), 3);
        let questions: Vec<_> = paths.iter().flat_map(|p| &p.questions).collect();
        assert!(questions.len() >= 40, "{} questions", questions.len());
        let kinds: HashSet<_> = questions.iter().map(|q| q.content.kind).collect();
        for kind in [
            QuestionKind::SingleChoice,
            QuestionKind::MultipleChoice,
            QuestionKind::TrueFalse,
            QuestionKind::Ordering,
            QuestionKind::Matching,
            QuestionKind::ShortText,
            QuestionKind::Numeric,
        ] {
            assert!(kinds.contains(&kind), "{kind:?} missing");
        }
        let steps: HashSet<_> = paths
            .iter()
            .flat_map(|p| &p.steps)
            .map(|s| s.kind)
            .collect();
        assert_eq!(steps.len(), StepKind::ALL.len(), "every step kind is used");
    }
}
