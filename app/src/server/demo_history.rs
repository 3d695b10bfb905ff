//! Eighteen months of generated program history for the demo, so every insights view has
//! something real to show: when each partner joined, former colleagues ("alumni") who were
//! assigned training, finished it or not, rated modules and certified, and the deals each
//! partner registered, won and lost. Deterministic (a fixed seed): demos repeat.
//!
//! The signal is deliberately confounded, as in real programs: higher tiers win more often
//! *and* hold more certificates, and a deal created while its organisation held a valid
//! certificate wins somewhat more again. So the pooled certified-vs-not gap is wider than
//! the gap within each tier, which the stratified view shows.
//!
//! Three rules keep the demo's present as it was seeded:
//! - the alumni have left (their accounts are disabled), so their certificates no longer
//!   count for their organisation's tier, and today's tiers are still the ones the demo's
//!   own certificates justify; a certificate counts for an organisation only while its
//!   holder is there;
//! - alumni have every email turned off and their past reminders on record, and their
//!   certificates were issued as the issuing job would have, so no job writes to them;
//! - history deals belong to new customers, never to the demo's accounts, and are not sent
//!   to a CRM (they predate any connection).
use super::db::Db;
use crate::domain::channel::deals::{Motion, Stage, PRODUCT_LINES};
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::domain::learning::Audience;
use crate::domain::notifications::Event;
use crate::domain::quiz::draw::SeededRng;
use crate::domain::quiz::grading::{AnswerKey, Response};
use sqlx::{Any, Transaction};

/// How far back the generated activity goes.
pub const HISTORY_MONTHS: i64 = 18;
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// An average calendar month.
const MONTH_MS: i64 = 2_629_746_000;
const SEED: u64 = 2027;
/// Months since each organisation (in id order, cycling) joined the program.
const ONBOARDED_MONTHS_AGO: [i64; 15] = [30, 27, 24, 22, 20, 19, 16, 14, 12, 10, 8, 6, 5, 4, 3];
const FIRST_NAMES: [&str; 16] = [
    "Alex", "Bea", "Carlos", "Dana", "Elif", "Femi", "Gus", "Hana", "Ivan", "Julia", "Kofi", "Lea",
    "Marta", "Nils", "Olga", "Pavel",
];
const LAST_NAMES: [&str; 12] = [
    "Adler", "Brandt", "Costa", "Dahl", "Eriksen", "Flores", "Gray", "Hale", "Ito", "Jensen",
    "Khan", "Lund",
];
const CUSTOMER_FIRST: [&str; 20] = [
    "Aurora",
    "Beacon",
    "Copper",
    "Dune",
    "Ember",
    "Fjord",
    "Glacier",
    "Horizon",
    "Indigo",
    "Jasper",
    "Keel",
    "Lumen Lane",
    "Meadow",
    "Nimbus",
    "Onyx",
    "Prairie",
    "Quill",
    "Ridge",
    "Saffron",
    "Thistle",
];
const CUSTOMER_SECOND: [&str; 12] = [
    "Bakeries",
    "Clinics",
    "Dental",
    "Engineering",
    "Fisheries",
    "Garages",
    "Hospitality",
    "Imaging",
    "Joinery",
    "Kitchens",
    "Labs",
    "Mining",
];
const CUSTOMER_SUFFIX: [&str; 3] = ["", " Group", " Holdings"];
const COMMENTS: [&str; 6] = [
    "Clear and practical; the examples matched our customers.",
    "Too long for what it covers.",
    "The quiz questions were fair.",
    "Would like more on pricing objections.",
    "Good refresher before a renewal conversation.",
    "The video was hard to follow on my phone.",
];

struct Org {
    id: i64,
    name: String,
    partner_type: PartnerType,
    tier: Tier,
    region: String,
}

struct Path {
    id: i64,
    audience: Audience,
    /// (certification, validity in months) the path earns.
    certification: Option<(i64, i64)>,
    survey_step: Option<i64>,
    /// The first step that is not a quiz (where a start shows), and the quiz steps.
    first_lesson: Option<i64>,
    quiz_steps: Vec<i64>,
    /// The path's question bank: id, content (JSON), key (JSON), weight.
    questions: Vec<(i64, String, String, f64)>,
}

struct History<'a> {
    tx: Transaction<'a, Any>,
    rng: SeededRng,
    now: i64,
    customers: usize,
}

impl History<'_> {
    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.rng.below((high - low).max(1) as u64) as i64
    }

    /// Whether an event with this chance in percent happens.
    fn chance(&mut self, percent: u64) -> bool {
        self.rng.below(100) < percent
    }
}

fn tier_rank(tier: Tier) -> i64 {
    Tier::ALL.iter().position(|t| *t == tier).unwrap_or(0) as i64
}

/// Adds the history to a freshly seeded demo program (one transaction).
pub async fn seed(db: &Db, now: i64) -> Result<(), sqlx::Error> {
    let orgs = read_orgs(db).await?;
    let paths = read_paths(db).await?;
    let launch = now - (HISTORY_MONTHS + 2) * MONTH_MS;
    let mut history = History {
        tx: db.write.begin().await?,
        rng: SeededRng::new(SEED),
        now,
        customers: 0,
    };
    sqlx::query("UPDATE learning_paths SET first_published_at = $1 WHERE status = 'published'")
        .bind(launch)
        .execute(&mut *history.tx)
        .await?;
    for (index, org) in orgs.iter().enumerate() {
        let onboarded = now - ONBOARDED_MONTHS_AGO[index % ONBOARDED_MONTHS_AGO.len()] * MONTH_MS;
        sqlx::query("UPDATE partner_orgs SET created_at = $1 WHERE id = $2")
            .bind(onboarded)
            .bind(org.id)
            .execute(&mut *history.tx)
            .await?;
        let owner = alumni(&mut history, org, index, onboarded, launch, &paths).await?;
        let owner = owner.as_ref().map(|(id, name)| (*id, name.as_str()));
        deals(&mut history, org, onboarded, owner).await?;
    }
    history.tx.commit().await?;
    // Recertification windows that opened in the past are history too: on record, with
    // nothing started over and nobody emailed.
    super::repo::certifications::settle_open_windows(db, now).await
}

async fn read_orgs(db: &Db) -> Result<Vec<Org>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, String)> =
        sqlx::query_as("SELECT id, name, partner_type, tier, region FROM partner_orgs ORDER BY id")
            .fetch_all(&db.read)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, partner_type, tier, region)| {
            Some(Org {
                id,
                name,
                partner_type: PartnerType::parse(&partner_type)?,
                tier: Tier::parse(&tier)?,
                region,
            })
        })
        .collect())
}

async fn read_paths(db: &Db) -> Result<Vec<Path>, sqlx::Error> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, audience_json FROM learning_paths WHERE status = 'published' ORDER BY id",
    )
    .fetch_all(&db.read)
    .await?;
    let earns: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT cp.path_id, c.id, c.validity_months FROM certification_paths cp \
         JOIN certifications c ON c.id = cp.certification_id ORDER BY c.id",
    )
    .fetch_all(&db.read)
    .await?;
    let surveys: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT path_id, MIN(id) FROM path_steps WHERE kind = 'survey' GROUP BY path_id",
    )
    .fetch_all(&db.read)
    .await?;
    let steps: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT id, path_id, kind FROM path_steps ORDER BY path_id, position, id")
            .fetch_all(&db.read)
            .await?;
    let questions: Vec<(i64, i64, String, String, f64)> = sqlx::query_as(
        "SELECT id, path_id, content_json, key_json, weight FROM quiz_questions \
         WHERE retired_at IS NULL ORDER BY id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, audience_json)| {
            let of_path = steps.iter().filter(|s| s.1 == id);
            Some(Path {
                id,
                audience: serde_json::from_str(&audience_json).ok()?,
                certification: earns.iter().find(|e| e.0 == id).map(|e| (e.1, e.2)),
                survey_step: surveys.iter().find(|s| s.0 == id).map(|s| s.1),
                first_lesson: of_path.clone().find(|s| s.2 != "quiz").map(|s| s.0),
                quiz_steps: of_path.filter(|s| s.2 == "quiz").map(|s| s.0).collect(),
                questions: questions
                    .iter()
                    .filter(|q| q.1 == id)
                    .map(|q| (q.0, q.2.clone(), q.3.clone(), q.4))
                    .collect(),
            })
        })
        .collect())
}

/// Former colleagues of `org`: assigned the paths of their role when they joined, some
/// finished (and rated the module), some certified. Returns the id and name of one
/// seller, the owner of the organisation's history deals.
async fn alumni(
    history: &mut History<'_>,
    org: &Org,
    org_index: usize,
    onboarded: i64,
    launch: i64,
    paths: &[Path],
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let rank = tier_rank(org.tier);
    // Bigger programs at higher tiers: more people, who finish (and so certify) more.
    let people = 2 + 3 * rank + history.between(0, 3);
    let domain: String = org
        .name
        .split_whitespace()
        .next()
        .unwrap_or("partner")
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let mut seller = None;
    for person in 0..people as usize {
        let first = FIRST_NAMES[(person + org_index * 5) % FIRST_NAMES.len()];
        let last = LAST_NAMES[(person * 7 + org_index) % LAST_NAMES.len()];
        let role = JobRole::ALL[(person + org_index) % JobRole::ALL.len()];
        let latest_join = (history.now - 45 * DAY_MS).max(onboarded + DAY_MS);
        let joined = history.between(onboarded, latest_join);
        // Everyone left in the last three months (a month after joining at the earliest).
        let left = history
            .between(history.now - 90 * DAY_MS, history.now - DAY_MS)
            .max(joined + 30 * DAY_MS);
        let (user,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, display_name, role, job_role, partner_org_id, created_at, disabled_at) \
             VALUES ($1, $2, 'partner_user', $3, $4, $5, $6) RETURNING id",
        )
        .bind(format!(
            "{}.{}.{person}@{domain}.example",
            first.to_lowercase(),
            last.to_lowercase()
        ))
        .bind(format!("{first} {last}"))
        .bind(role.as_str())
        .bind(org.id)
        .bind(joined)
        .bind(left)
        .fetch_one(&mut *history.tx)
        .await?;
        if role == JobRole::Sales && seller.is_none() {
            seller = Some((user, format!("{first} {last}")));
        }
        for event in Event::ALL {
            sqlx::query(
                "INSERT INTO notification_mutes (user_id, event, muted_at) VALUES ($1, $2, $3)",
            )
            .bind(user)
            .bind(event.as_str())
            .bind(joined)
            .execute(&mut *history.tx)
            .await?;
        }
        for path in paths
            .iter()
            .filter(|p| p.audience.includes(org.partner_type, org.tier, Some(role)))
        {
            training(history, org, user, joined.max(launch), path).await?;
        }
    }
    Ok(seller)
}

/// One alumnus's assignment of one path: finished or not, rated, certified.
async fn training(
    history: &mut History<'_>,
    org: &Org,
    user: i64,
    assigned: i64,
    path: &Path,
) -> Result<(), sqlx::Error> {
    let rank = tier_rank(org.tier) as u64;
    let days = history.between(3, 100);
    let completed = assigned + days * DAY_MS;
    let finishes = history.chance(12 + 22 * rank) && completed < history.now - DAY_MS;
    // How well this person answers quiz questions: better in bigger, higher-tier programs.
    let ability = 35 + 10 * rank as i64 + history.between(0, 40);
    if !finishes {
        // Half of them started: the first lesson done, perhaps a quiz tried and failed.
        let started = assigned + history.between(1, 30) * DAY_MS;
        if history.chance(50) && started < history.now - DAY_MS {
            first_lesson_done(history, user, path, started).await?;
            if history.chance(40) {
                quiz_attempts(history, user, path, started + HOUR_MS, ability, false).await?;
            }
        }
        // They were told it was overdue back then.
        let told = assigned + 60 * DAY_MS;
        if told < history.now {
            sqlx::query("INSERT INTO training_overdue_notices (user_id, path_id, sent_at) VALUES ($1, $2, $3)")
                .bind(user)
                .bind(path.id)
                .bind(told)
                .execute(&mut *history.tx)
                .await?;
        }
        return Ok(());
    }
    sqlx::query("INSERT INTO path_completions (user_id, path_id, path_version, completed_at) VALUES ($1, $2, 1, $3)")
        .bind(user)
        .bind(path.id)
        .bind(completed)
        .execute(&mut *history.tx)
        .await?;
    first_lesson_done(history, user, path, assigned + (completed - assigned) / 3).await?;
    quiz_attempts(history, user, path, completed - 2 * HOUR_MS, ability, true).await?;
    if let Some(step) = path.survey_step.filter(|_| history.chance(55)) {
        // Ratings lean positive, with a tail, and differ by path.
        let rating =
            [2, 3, 4, 4, 5, 5, 3, 4][(history.between(0, 8) as usize + path.id as usize) % 8];
        let comment = if history.chance(30) {
            COMMENTS[history.between(0, COMMENTS.len() as i64) as usize]
        } else {
            ""
        };
        sqlx::query("INSERT INTO survey_responses (step_id, user_id, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(step)
            .bind(user)
            .bind(rating)
            .bind(comment)
            .bind(completed)
            .execute(&mut *history.tx)
            .await?;
    }
    let Some((certification, validity_months)) = path.certification else {
        return Ok(());
    };
    // Certified as the portal's own job would have: on completing the path (the same
    // instant, so the job finds nothing left to issue).
    let issued = completed;
    let expires = issued + validity_months * MONTH_MS;
    let past = |at: i64| (at <= history.now).then_some(at);
    let code = format!("hist{:016x}", history.rng.next_u64());
    let (certificate,): (i64,) = sqlx::query_as(
        "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at, \
           expired_recorded_at, expiry_30_reminded_at, expiry_7_reminded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(certification)
    .bind(user)
    .bind(code)
    .bind(issued)
    .bind(expires)
    .bind(past(expires))
    .bind(past(expires - 30 * DAY_MS))
    .bind(past(expires - 7 * DAY_MS))
    .fetch_one(&mut *history.tx)
    .await?;
    let events = [("issued", Some(issued)), ("expired", past(expires))];
    for (event, at) in events.into_iter().filter_map(|(e, at)| Some((e, at?))) {
        sqlx::query(
            "INSERT INTO certificate_events (certificate_id, at, event, detail) VALUES ($1, $2, $3, 'Demo history')",
        )
        .bind(certificate)
        .bind(at)
        .bind(event)
        .execute(&mut *history.tx)
        .await?;
    }
    Ok(())
}

/// Marks the path's first lesson done by `user` at `at` (the start the funnel counts).
async fn first_lesson_done(
    history: &mut History<'_>,
    user: i64,
    path: &Path,
    at: i64,
) -> Result<(), sqlx::Error> {
    let Some(step) = path.first_lesson else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) VALUES ($1, $2, 0, $3, $3)",
    )
    .bind(user)
    .bind(step)
    .bind(at)
    .execute(&mut *history.tx)
    .await?;
    Ok(())
}

/// How many of a bank's questions one generated attempt asks.
const QUESTIONS_ASKED: usize = 6;

/// The response that earns full marks under `key` (generated answers only).
fn correct_response(key: &AnswerKey) -> Response {
    match key {
        AnswerKey::SingleChoice { correct, .. } => Response::SingleChoice(*correct),
        AnswerKey::MultipleChoice { correct, .. } => Response::MultipleChoice(correct.clone()),
        AnswerKey::TrueFalse { correct } => Response::TrueFalse(*correct),
        AnswerKey::Ordering { correct_order } => Response::Ordering(correct_order.clone()),
        AnswerKey::Matching { pairs } => Response::Matching(pairs.clone()),
        AnswerKey::ShortText { accepted } => {
            Response::ShortText(accepted.first().cloned().unwrap_or_default())
        }
        AnswerKey::Numeric { value, .. } => Response::Numeric(value.to_string()),
    }
}

/// One submitted attempt on each quiz step of `path`, around `at`. Each question is
/// answered right with a chance that grows with the learner's `ability` and shrinks with
/// the question's difficulty (by its place in the bank), so the item statistics have
/// easy, hard and discriminating questions to find; a wrong answer is left blank (0 marks).
/// Someone who `passes` gets a second, perfect attempt when the first falls short.
async fn quiz_attempts(
    history: &mut History<'_>,
    user: i64,
    path: &Path,
    at: i64,
    ability: i64,
    passes: bool,
) -> Result<(), sqlx::Error> {
    const DIFFICULTY: [i64; 6] = [-45, -20, -5, 5, 20, 40];
    for step in &path.quiz_steps {
        let asked: Vec<&(i64, String, String, f64)> =
            path.questions.iter().take(QUESTIONS_ASKED).collect();
        if asked.is_empty() {
            continue;
        }
        let mut attempt_number = 1;
        loop {
            let perfect = attempt_number > 1;
            let mut right = Vec::with_capacity(asked.len());
            for (i, _) in asked.iter().enumerate() {
                let chance = (ability - DIFFICULTY[i % DIFFICULTY.len()]).clamp(3, 98) as u64;
                right.push(perfect || history.chance(chance));
            }
            let score = 100.0 * right.iter().filter(|r| **r).count() as f64 / asked.len() as f64;
            let submitted = at - HOUR_MS + attempt_number * 20 * 60_000;
            let (attempt,): (i64,) = sqlx::query_as(
                "INSERT INTO quiz_attempts (step_id, user_id, attempt_number, seed, started_at, submitted_at, score_percent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(*step)
            .bind(user)
            .bind(attempt_number)
            .bind((history.rng.next_u64() >> 12) as i64)
            .bind(submitted - 15 * 60_000)
            .bind(submitted)
            .bind(score)
            .fetch_one(&mut *history.tx)
            .await?;
            for (position, ((question, content, key_json, weight), answered)) in asked
                .iter()
                .map(|q| (&q.0, &q.1, &q.2, q.3))
                .zip(&right)
                .enumerate()
            {
                sqlx::query(
                    "INSERT INTO attempt_questions (attempt_id, position, question_id, content_json, key_json, weight) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(attempt)
                .bind(position as i64)
                .bind(*question)
                .bind(content.clone())
                .bind(key_json.clone())
                .bind(weight)
                .execute(&mut *history.tx)
                .await?;
                let key = serde_json::from_str::<AnswerKey>(key_json).ok();
                if let Some(response) = key.filter(|_| *answered).map(|k| correct_response(&k)) {
                    sqlx::query(
                        "INSERT INTO attempt_answers (attempt_id, question_id, response_json, client_seq, saved_at) \
                         VALUES ($1, $2, $3, 1, $4)",
                    )
                    .bind(attempt)
                    .bind(*question)
                    .bind(serde_json::to_string(&response).unwrap_or_default())
                    .bind(submitted)
                    .execute(&mut *history.tx)
                    .await?;
                }
            }
            if !passes || score >= 80.0 || attempt_number > 1 {
                break;
            }
            attempt_number += 1;
        }
    }
    Ok(())
}

/// The valid spans of every certificate held in `org` (the demo's and the alumni's).
async fn certified_spans(
    history: &mut History<'_>,
    org: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT c.issued_at, c.expires_at, COALESCE(c.revoked_at, u.disabled_at) FROM certificates c \
         JOIN users u ON u.id = c.user_id WHERE u.partner_org_id = $1",
    )
    .bind(org)
    .fetch_all(&mut *history.tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(from, expires, revoked)| (from, revoked.map_or(expires, |r| r.min(expires))))
        .collect())
}

/// The deals `org` registered each month since it joined (at most `HISTORY_MONTHS` back):
/// more for higher tiers; won more often by higher tiers, and more again when the
/// organisation held a valid certificate on the day the deal was created.
async fn deals(
    history: &mut History<'_>,
    org: &Org,
    onboarded: i64,
    owner: Option<(i64, &str)>,
) -> Result<(), sqlx::Error> {
    let rank = tier_rank(org.tier);
    let spans = certified_spans(history, org.id).await?;
    let start = onboarded.max(history.now - HISTORY_MONTHS * MONTH_MS);
    let motion = match org.partner_type {
        PartnerType::Referral => Motion::Referral,
        PartnerType::Implementation => Motion::Si,
        PartnerType::Distributor => Motion::Marketplace,
        PartnerType::Reseller => Motion::Resale,
    };
    let mut month_start = start;
    while month_start < history.now - 7 * DAY_MS {
        let count = 2 + 2 * rank + history.between(0, 3);
        for _ in 0..count {
            let created = history.between(
                month_start,
                (month_start + MONTH_MS).min(history.now - DAY_MS),
            );
            let certified = spans
                .iter()
                .any(|(from, until)| *from <= created && created < *until);
            let win_percent = 20 + 8 * rank as u64 + if certified { 9 } else { 0 };
            let close = created + history.between(20, 130) * DAY_MS;
            let amount = history.between(5, 80) * 1_000 * (2 + rank) / 2 * 100;
            let stage = if close < history.now {
                if history.chance(win_percent) {
                    Stage::Won
                } else {
                    Stage::Lost
                }
            } else {
                [
                    Stage::Qualify,
                    Stage::Discover,
                    Stage::Propose,
                    Stage::Negotiate,
                ][history.between(0, 4) as usize]
            };
            deal(
                history,
                org,
                (motion, stage),
                (created, close),
                amount,
                owner,
            )
            .await?;
        }
        month_start += MONTH_MS;
    }
    Ok(())
}

/// One history deal on a new customer account: registered, approved within hours, and
/// closed (or still open) by `close`.
async fn deal(
    history: &mut History<'_>,
    org: &Org,
    (motion, stage): (Motion, Stage),
    (created, close): (i64, i64),
    amount_cents: i64,
    owner: Option<(i64, &str)>,
) -> Result<(), sqlx::Error> {
    let index = history.customers;
    history.customers += 1;
    let name = format!(
        "{} {}{}",
        CUSTOMER_FIRST[index % CUSTOMER_FIRST.len()],
        CUSTOMER_SECOND[(index / CUSTOMER_FIRST.len()) % CUSTOMER_SECOND.len()],
        CUSTOMER_SUFFIX
            [(index / (CUSTOMER_FIRST.len() * CUSTOMER_SECOND.len())) % CUSTOMER_SUFFIX.len()]
    );
    let account = super::repo::channel::insert_account(
        &mut history.tx,
        &super::repo::channel::NewAccount {
            name: &name,
            domains: &[],
            country: "",
            region: &org.region,
            vertical: CUSTOMER_SECOND[(index / CUSTOMER_FIRST.len()) % CUSTOMER_SECOND.len()],
            incumbent_org_id: None,
            renewal_at: None,
        },
        created,
    )
    .await?;
    let decided = created + history.between(2, 60) * HOUR_MS;
    let protected_until = decided + 90 * DAY_MS;
    // The protection clock ends every approved registration's protection, won or not, as
    // the portal's own job does.
    let expired = protected_until <= history.now;
    let closed = matches!(stage, Stage::Won | Stage::Lost);
    let updated = if closed { close } else { created };
    let product = PRODUCT_LINES[history.between(0, PRODUCT_LINES.len() as i64) as usize];
    let (deal_id,): (i64,) = sqlx::query_as(
        "INSERT INTO deals (account_id, partner_org_id, owner_user_id, owner_name, motion, kind, product_line, \
           amount_cents, stage, close_at, registration_status, submitted_at, decided_at, protected_until, \
           last_activity_at, region, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'net_new', $6, $7, $8, $9, $17, $10, $11, $12, $13, $14, $15, $16) \
         RETURNING id",
    )
    .bind(account)
    .bind(org.id)
    .bind(owner.map(|o| o.0))
    .bind(owner.map_or("", |o| o.1))
    .bind(motion.as_str())
    .bind(product)
    .bind(amount_cents)
    .bind(stage.as_str())
    .bind(close)
    .bind(created)
    .bind(decided)
    .bind(protected_until)
    .bind(updated)
    .bind(&org.region)
    .bind(created)
    .bind(updated)
    .bind(if expired { "expired" } else { "approved" })
    .fetch_one(&mut *history.tx)
    .await?;
    let mut events = vec![
        (
            created,
            "registration_status",
            "",
            "pending",
            "Demo history",
        ),
        (
            decided,
            "registration_status",
            "pending",
            "approved",
            "Demo history",
        ),
    ];
    if closed {
        events.push((close, "stage", "negotiate", stage.as_str(), "Demo history"));
    }
    if expired {
        events.push((
            protected_until,
            "registration_status",
            "approved",
            "expired",
            "The protection window ended.",
        ));
    }
    for (at, field, from, to, rationale) in events {
        sqlx::query(
            "INSERT INTO deal_events (deal_id, actor_user_id, at, field, from_value, to_value, rationale) \
             VALUES ($1, NULL, $2, $3, $4, $5, $6)",
        )
        .bind(deal_id)
        .bind(at)
        .bind(field)
        .bind(from)
        .bind(to)
        .bind(rationale)
        .execute(&mut *history.tx)
        .await?;
    }
    Ok(())
}
