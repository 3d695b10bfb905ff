//! Data sent between server and browser. Only what the viewer may see goes in these types.
use crate::domain::channel::clocks::SlaState;
use crate::domain::channel::conflict::DealKind;
use crate::domain::channel::deals::{Motion, RegistrationStatus, Stage};
use crate::domain::channel::queue::{ConflictKind, SlaCounts};
use crate::domain::identity::{JobRole, PartnerType, Role, Tier};
use crate::domain::learning::{Audience, StepState};
use crate::domain::quiz::content::QuestionContent;
use crate::domain::quiz::content::QuestionKind;
use crate::domain::quiz::grading::Response;
use crate::domain::quiz::review::QuestionReview;
use crate::domain::steps::StepKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The signed-in user, as the UI needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub job_role: Option<JobRole>,
    pub partner_org_id: Option<i64>,
    pub partner_org_name: Option<String>,
    /// Set for a session started by a link to one module or deal: only that place (a path
    /// prefix such as `/learn/12`) is open until the person signs in fully.
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerOrgSummary {
    pub id: i64,
    pub name: String,
    pub partner_type: PartnerType,
    pub tier: Tier,
    pub region: String,
    pub vertical: String,
    pub member_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMember {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub job_role: Option<JobRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDetail {
    pub org: PartnerOrgSummary,
    pub members: Vec<OrgMember>,
}

/// Counts for the vendor staff home page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramOverview {
    pub org_count: i64,
    pub partner_user_count: i64,
    pub by_tier: Vec<(Tier, i64)>,
    pub by_type: Vec<(PartnerType, i64)>,
}

/// Everything a home page shows, by role, loaded in one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeData {
    pub user: SessionUser,
    pub view: HomeView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HomeView {
    Partner {
        detail: OrgDetail,
        /// What to do next, most pressing first.
        next: Vec<crate::domain::next_steps::NextTile>,
    },
    /// Partner managers and admins; `team` is present for admins only.
    Staff {
        overview: ProgramOverview,
        team: Option<Vec<StaffMember>>,
        /// Three program figures that link into the insights views.
        headlines: Vec<Headline>,
        /// An admin of a demo deployment, who may reset the demo data.
        demo_reset: bool,
    },
}

/// A member of the vendor's channel team, for the admin home page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub active_sessions: i64,
}

/// A demo account offered for one-click sign-in in demo mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub job_role: Option<JobRole>,
    pub org_name: Option<String>,
}

/// An email as recorded in the outbox (dev page only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The notification event (`Event::as_str`), for emails people can turn off.
    pub event: Option<String>,
    /// The deal it is about: a reply to it lands on that deal.
    pub deal_id: Option<i64>,
    /// The learning module it is about: a reply to it starts a conversation about it.
    pub path_id: Option<i64>,
    /// Fixed once (when first sent), so a retry and a reply thread on the same id.
    pub message_id: Option<String>,
    /// The message it answers, and that message's thread, for a manager's answer.
    pub in_reply_to: Option<String>,
    pub thread_references: Option<String>,
    /// Where a reply goes, for the dev outbox (filled in there; never stored).
    pub reply_to: Option<String>,
}

/// The marked result of a quiz attempt.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SubmitResult {
    pub attempt_id: i64,
    pub score_percent: f64,
    pub passed: bool,
}

/// A drawn question as the learner sees it: no answer key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionView {
    pub question_id: i64,
    pub content: QuestionContent,
}

/// What the quiz runner island is given: the open attempt as the learner takes it. Only this
/// is deserialized in the browser (the review, say, never is), which keeps the quiz bundle small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizRun {
    pub attempt_id: i64,
    pub deadline_at: Option<i64>,
    pub questions: Vec<QuestionView>,
    pub answers: BTreeMap<i64, (Response, i64)>,
    pub server_now: i64,
    pub path_id: i64,
    pub step_id: i64,
}

impl From<AttemptView> for QuizRun {
    fn from(view: AttemptView) -> QuizRun {
        QuizRun {
            attempt_id: view.attempt_id,
            deadline_at: view.deadline_at,
            questions: view.questions,
            answers: view.answers,
            server_now: view.server_now,
            path_id: view.path_id,
            step_id: view.step_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempt_id: i64,
    pub deadline_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub questions: Vec<QuestionView>,
    /// Saved answers with the sequence number of the save, to resume on any device.
    pub answers: BTreeMap<i64, (Response, i64)>,
    /// The server's clock when this view was made, so the browser's countdown does not
    /// depend on the device clock.
    pub server_now: i64,
    pub path_id: i64,
    pub step_id: i64,
    pub quiz_title: String,
    /// Present once submitted.
    pub review: Option<AttemptReview>,
}

// ---- Learning paths ----

/// A path in the learner's catalog, with their progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub path_id: i64,
    pub title: String,
    pub summary: String,
    pub required: bool,
    pub estimated_minutes: i64,
    pub step_count: usize,
    pub progress_percent: u8,
    pub started: bool,
    pub completed_at: Option<i64>,
    /// Where "Continue" goes: the first step that is not done.
    pub next_step_id: Option<i64>,
    /// Started over for a recertification: the end of the certificate it renews.
    pub recertify_by: Option<i64>,
    /// Not completed here, but the learner holds a current certificate this path counts
    /// towards (and its recertification has not opened): nothing is due.
    pub certified: Option<CurrentCertificate>,
}

/// A certificate held now, as the catalog names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentCertificate {
    pub name: String,
    pub expires_at: i64,
}

/// A step in the player's step list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSummary {
    pub step_id: i64,
    pub kind: StepKind,
    pub title: String,
    pub required: bool,
    pub state: StepState,
}

/// A path as the player shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathOverview {
    pub path_id: i64,
    pub title: String,
    pub summary: String,
    pub required: bool,
    pub published: bool,
    pub estimated_minutes: i64,
    pub progress_percent: u8,
    pub completed_at: Option<i64>,
    pub steps: Vec<StepSummary>,
}

/// Everything the player page needs: the path and the open step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerData {
    pub path: PathOverview,
    pub step: Option<StepView>,
    /// Once the path is complete: the current certificates it counts towards.
    pub earned: Vec<EarnedCertificate>,
}

/// A certificate a completed path counts towards, and what it lets the organisation do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarnedCertificate {
    pub name: String,
    pub expires_at: i64,
    /// Rights it grants, in words ("Selling Lumen Connect").
    pub unlocks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub step_id: i64,
    pub title: String,
    pub kind: StepKind,
    pub required: bool,
    pub state: StepState,
    pub body: StepBody,
}

/// The learner-facing content of a step. Never contains quiz answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StepBody {
    Video {
        src: String,
        captions_src: Option<String>,
        captions_language: String,
        position_secs: f64,
        duration_secs: Option<f64>,
    },
    Document {
        /// Rendered from Markdown and sanitized on the server.
        html: String,
    },
    Quiz(QuizOverview),
    LiveSession {
        starts_at: i64,
        duration_minutes: i64,
        host: String,
        /// Shown once the learner has a seat.
        join_url: Option<String>,
        seats_left: Option<i64>,
        attending: bool,
        /// An iCalendar invitation, offered as a download.
        ics: String,
    },
    Survey {
        question: String,
        /// The learner's answer, once given: rating 1–5 and comment.
        answer: Option<(i64, String)>,
    },
    /// The step exists but is not open yet.
    Locked,
}

/// A quiz step before or between attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizOverview {
    pub pass_mark_percent: u32,
    pub max_attempts: Option<u32>,
    pub time_limit_secs: Option<i64>,
    pub question_count: usize,
    pub passed: bool,
    pub open_attempt_id: Option<i64>,
    pub attempts: Vec<AttemptSummary>,
    /// Why a new attempt cannot start now, if it cannot.
    pub start_blocked: Option<String>,
    pub cooldown_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptSummary {
    pub attempt_id: i64,
    pub attempt_number: i64,
    pub started_at: i64,
    pub submitted_at: Option<i64>,
    pub score_percent: Option<f64>,
    pub passed: bool,
}

/// A submitted attempt as the learner may review it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptReview {
    pub score_percent: f64,
    pub passed: bool,
    pub pass_mark_percent: u32,
    pub questions: Vec<QuestionReview>,
    /// Topics (question tags) of the questions not answered fully right.
    pub topics: Vec<String>,
    /// Attempts still allowed in this cycle; `None` when the quiz allows any number.
    pub attempts_left: Option<u32>,
    /// Whether, and when, another attempt can start.
    pub retry: Retry,
}

/// Whether the learner can take a quiz again, as their latest result shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Retry {
    Now,
    /// After the break between attempts, at this instant.
    OpensAt(i64),
    /// Another attempt is open: continue it.
    Resume(i64),
    Passed,
    NoAttemptsLeft,
}

/// What happened when a step was marked done.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepDone {
    pub step_done: bool,
    /// Set when this made the whole path complete (now or earlier).
    pub path_completed_at: Option<i64>,
    pub next_step_id: Option<i64>,
}

// ---- Authoring ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthoredPathSummary {
    pub path_id: i64,
    pub title: String,
    pub published: bool,
    pub required: bool,
    pub version: i64,
    pub step_count: i64,
    pub question_count: i64,
    pub completion_count: i64,
}

/// What waits for the signed-in person, shown as badges in the navigation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavBadges {
    /// Announcements not opened yet, or asking for an acknowledgment not given yet
    /// (partners).
    pub announcements_waiting: usize,
    /// Required training paths not finished (partners).
    pub training_due: usize,
    /// Registrations and appeals waiting for a decision (vendor staff).
    pub to_review: usize,
    /// Learners' questions about modules waiting for an answer (vendor staff).
    pub questions_waiting: usize,
}

/// The editable details of a path. Posted by a form, an unticked box is absent (`false`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PathDetailsInput {
    pub title: String,
    pub summary: String,
    pub required: bool,
    #[serde(deserialize_with = "whole_number_or_out_of_range")]
    pub estimated_minutes: i64,
    pub audience: Audience,
}

/// A whole number, given as a number (JSON) or as typed text (a form). Text that is no
/// whole number reads as -1, which every range check refuses on its own field, so a typo
/// comes back as a field error rather than an unreadable request.
fn whole_number_or_out_of_range<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Typed {
        Number(i64),
        Text(String),
    }
    Ok(match Typed::deserialize(deserializer)? {
        Typed::Number(number) => number,
        Typed::Text(text) => text.trim().parse().unwrap_or(-1),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorStep {
    pub step_id: i64,
    pub kind: StepKind,
    pub title: String,
    pub required: bool,
    /// The step's settings as pretty JSON (what scripts and exports see).
    pub settings_json: String,
    /// The same settings as the editor's form fields.
    pub settings: crate::domain::step_form::StepForm,
    pub attempt_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorQuestion {
    pub question_id: i64,
    pub kind: QuestionKind,
    pub prompt: String,
    pub tags: Vec<String>,
    /// The question as learners get it (no key), for the preview.
    pub content: crate::domain::quiz::content::QuestionContent,
    /// The right answer in words, for the author.
    pub answer: String,
}

/// Everything the path editor shows. Staff only: question keys stay out of it anyway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathEditorData {
    pub path_id: i64,
    pub details: PathDetailsInput,
    pub published: bool,
    pub version: i64,
    pub steps: Vec<EditorStep>,
    pub questions: Vec<EditorQuestion>,
}

/// Facility and discrimination of one question in one quiz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemStatistic {
    pub question_id: i64,
    pub prompt: String,
    pub attempts: usize,
    pub facility: f64,
    pub discrimination: Option<f64>,
    pub needs_review: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizStatistics {
    pub step_id: i64,
    pub title: String,
    pub path_id: i64,
    pub submitted_attempts: i64,
    pub pass_rate_percent: Option<f64>,
    pub mean_score_percent: Option<f64>,
    pub items: Vec<ItemStatistic>,
}

// ---- Channel: deals and registrations ----

/// An existing customer that looks like the one being registered. Safe for any partner:
/// whether and until when it is protected, never who holds it or any price or note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerMatch {
    pub account_name: String,
    pub same_domain: bool,
    pub protected_until: Option<i64>,
    pub under_review: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationOutcome {
    pub deal_id: i64,
    pub status: RegistrationStatus,
    pub protected_until: Option<i64>,
    /// The conflict rules that applied, in words, with other parties anonymised.
    pub explanation: Vec<String>,
}

/// A deal of the viewer's own organisation, in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnDeal {
    pub deal_id: i64,
    pub account_name: String,
    pub motion: Motion,
    pub kind: DealKind,
    pub product_line: String,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    pub stage: Stage,
    pub close_at: Option<i64>,
    pub status: RegistrationStatus,
    pub submitted_at: Option<i64>,
    pub protected_until: Option<i64>,
    pub next_step: String,
    pub notes: String,
    pub explanation: Vec<String>,
    /// The latest appeal of this deal's decision, if any.
    pub appeal: Option<AppealSummary>,
    /// Declined, within the appeal window, and no appeal open.
    pub can_appeal: bool,
    /// When the appeal window closes, while `can_appeal`.
    pub appeal_until: Option<i64>,
    pub proof_of_work: String,
    pub owner_user_id: Option<i64>,
    pub owner_name: String,
    /// The deal's `updated_at` when read: an edit based on an older read is refused.
    pub version: i64,
    /// For approved registrations: whether the protection can be extended now.
    pub extension: Option<ExtensionHint>,
}

/// Whether an approved registration's protection can be extended, and if not, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExtensionHint {
    /// The rules allow it now; the protection would run until `until`.
    Available {
        until: i64,
    },
    /// Extensions open at this instant.
    OpensAt(i64),
    Unavailable(String),
}

/// A user who may own a deal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
}

/// An account renewing soon, for the managers' renewal list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewalItem {
    pub account_id: i64,
    pub account_name: String,
    pub region: String,
    pub renewal_at: i64,
    /// The partner of record; `None` is direct sales.
    pub owner_org_id: Option<i64>,
    pub owner_name: String,
    pub confirmed: bool,
    pub confirmed_at: Option<i64>,
    pub confirmed_by: Option<String>,
    /// Inside the confirmation lead time and not confirmed.
    pub confirmation_due: bool,
    pub other_open_deals: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewalsPage {
    pub items: Vec<RenewalItem>,
    pub partners: Vec<(i64, String)>,
    pub lead_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppealSummary {
    pub appeal_id: i64,
    pub status: String,
    pub filed_at: i64,
    pub resolution: String,
}

/// An open appeal, for the managers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppealItem {
    pub appeal_id: i64,
    pub deal_id: i64,
    pub account_name: String,
    pub partner_name: String,
    pub filed_at: i64,
    pub evidence: String,
    pub explanation: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Holder {
    AnotherPartner,
    Direct,
}

/// Another party's deal on a customer the viewer works: the safe fields only. This type
/// has no amount, discount, notes or party name, so none can leak through it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafeDeal {
    pub account_name: String,
    pub stage: Stage,
    pub holder: Holder,
    pub status: RegistrationStatus,
    pub protected_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerPipeline {
    pub own: Vec<OwnDeal>,
    pub others: Vec<SafeDeal>,
    /// The organisation's users, who may own its deals.
    pub members: Vec<Member>,
    /// The program's registration rules, to explain protection, reviews and appeals.
    pub rules: RegistrationRules,
}

/// The numbers behind registration, as partners are told them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRules {
    pub protection_days: i64,
    pub approval_sla_hours: i64,
    pub max_extensions: i64,
    pub extension_days: i64,
    pub extension_request_window_days: i64,
    pub appeal_window_days: i64,
}

/// One of the partner's own deals, on its own page (where an emailed link lands).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnDealPage {
    pub deal: OwnDeal,
    pub members: Vec<Member>,
}

/// A registration awaiting a manager, with its SLA clock and what competes with it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub deal_id: i64,
    pub account_name: String,
    pub partner_org_id: Option<i64>,
    pub partner_name: String,
    pub owner_name: String,
    pub motion: Motion,
    pub kind: DealKind,
    pub product_line: String,
    pub region: String,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    pub status: RegistrationStatus,
    pub submitted_at: i64,
    pub sla_due_at: i64,
    pub sla: SlaState,
    pub proof_of_work: String,
    /// What competes with it now, strongest first; empty: clean.
    pub conflicts: Vec<ConflictKind>,
    /// The conflict rules as they stand now, in words.
    pub explanation: Vec<String>,
    /// The other deals on the same customer that claim it.
    pub others: Vec<OtherClaim>,
}

/// Another deal's claim on a customer, as a reviewer sees it (names included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherClaim {
    pub deal_id: i64,
    pub party: String,
    pub status: RegistrationStatus,
    pub stage: Stage,
    pub submitted_at: Option<i64>,
    pub protected_until: Option<i64>,
}

/// A deal on its page, as vendor staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffDeal {
    pub deal_id: i64,
    pub account_name: String,
    pub region: String,
    pub partner_org_id: Option<i64>,
    pub partner_name: String,
    pub owner_name: String,
    pub motion: Motion,
    pub kind: DealKind,
    pub product_line: String,
    pub stage: Stage,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    pub close_at: Option<i64>,
    pub status: RegistrationStatus,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub protected_until: Option<i64>,
    pub next_step: String,
    pub proof_of_work: String,
    /// While it waits for a decision: what competes with it now, as on the queue.
    pub review: Option<QueueItem>,
    /// The other deals that claim its customer.
    pub others: Vec<OtherClaim>,
    /// The conflict rules as they were weighed when it was registered.
    pub at_registration: Vec<String>,
    pub signals: Vec<DealSignal>,
}

/// A registration a manager just decided (or meant to), as the queue confirms it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecidedNote {
    pub deal_id: i64,
    pub account_name: String,
    pub partner_name: String,
    pub status: RegistrationStatus,
    pub protected_until: Option<i64>,
}

/// One page of the review queue, with the counts and choices of its filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    /// Registrations that pass the filters (over every page).
    pub matching: usize,
    /// Registrations waiting in all, whatever the filters.
    pub waiting: usize,
    pub page: usize,
    pub page_count: usize,
    /// Position (1-based) of the page's first item among the matching ones.
    pub first: usize,
    /// By SLA state, over the registrations that pass the other filters.
    pub counts: SlaCounts,
    /// Partners with a registration waiting, for the partner filter.
    pub partners: Vec<(i64, String)>,
    pub regions: Vec<String>,
    /// Registrations decided by the last post, to confirm what happened to them.
    pub decided: Vec<DecidedNote>,
    /// Registrations a bulk approval left waiting because they were no longer clean.
    pub skipped: Vec<DecidedNote>,
    /// Filters that could not be used, named for their fields (the others still apply).
    pub problems: Vec<crate::domain::validation::FieldError>,
}

/// One row of the managers' pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineRow {
    pub deal_id: i64,
    pub account_name: String,
    pub region: String,
    pub partner_name: String,
    pub owner_name: String,
    pub motion: Motion,
    pub stage: Stage,
    pub status: RegistrationStatus,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    pub close_at: Option<i64>,
    pub protected_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineTotal {
    pub label: String,
    pub deals: i64,
    pub amount_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelinePage {
    /// The table's page of deals (empty on the board).
    pub rows: Vec<PipelineRow>,
    /// Every stage's deals and amount under the filters, in stage order.
    pub by_stage: Vec<PipelineTotal>,
    /// The board's columns, when the board is asked for.
    pub board: Vec<BoardColumn>,
    /// The viewer's saved views.
    pub saved: Vec<SavedView>,
    pub total_deals: i64,
    pub page: i64,
    pub page_count: i64,
    pub by_motion: Vec<PipelineTotal>,
    pub by_status: Vec<PipelineTotal>,
    pub partners: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// One stage on the pipeline board: its totals under the filters and its first cards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage: Stage,
    pub deals: i64,
    pub amount_cents: i64,
    pub cards: Vec<PipelineRow>,
}

/// A named set of pipeline filters, as a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub view_id: i64,
    pub name: String,
    pub href: String,
}

/// A deal with its audit trail (staff, or the deal's own organisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealAudit {
    pub deal_id: i64,
    /// The viewer is of the deal's own organisation (not vendor staff).
    pub partner_view: bool,
    pub account_name: String,
    pub partner_name: String,
    pub status: RegistrationStatus,
    /// Who owns the deal in the vendor's CRM, and which CRM ("Dana Kim", "HubSpot").
    pub crm_owner: Option<(String, String)>,
    pub events: Vec<AuditEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: i64,
    pub actor: String,
    pub field: String,
    pub from: String,
    pub to: String,
    pub rationale: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignalKind {
    TwoOpenDeals,
    DiscountAboveBand,
    MissingPartnerFields,
    ProtectionExpiringSoon,
    RenewalTouchedByDirect,
    RenewalUnconfirmed,
    OwnerChanged,
    Inactive,
}

impl SignalKind {
    pub fn label(self) -> &'static str {
        match self {
            SignalKind::TwoOpenDeals => "Two open deals on one customer",
            SignalKind::DiscountAboveBand => "Discount above the tier's band",
            SignalKind::MissingPartnerFields => "Missing partner fields",
            SignalKind::ProtectionExpiringSoon => "Protection ends within 7 days",
            SignalKind::RenewalTouchedByDirect => "Renewal touched by direct sales",
            SignalKind::RenewalUnconfirmed => "Renewal owner not confirmed",
            SignalKind::OwnerChanged => "Owner changed in the last 14 days",
            SignalKind::Inactive => "No activity past the threshold",
        }
    }
}

/// An early warning about a deal or customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealSignal {
    pub kind: SignalKind,
    /// The deal to open; `None` for signals about a customer (see the renewals page).
    pub deal_id: Option<i64>,
    pub account_name: String,
    pub partner_name: String,
    pub detail: String,
}

/// One of the signed-in user's certificates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateView {
    pub certificate_id: i64,
    pub certification_name: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub status: crate::domain::certification::CertificateStatus,
    pub verify_code: String,
    /// The recertification window is open now.
    pub recertification_open: bool,
    /// A newer certificate of the same certification replaced this one.
    pub renewed: bool,
    pub revoke_reason: String,
}

/// A holder's latest certificate of one certification, for managers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HolderRow {
    pub certificate_id: i64,
    pub holder_name: String,
    pub org_name: String,
    pub job_role: Option<JobRole>,
    pub certification_name: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub status: crate::domain::certification::CertificateStatus,
    pub verify_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldersPage {
    pub rows: Vec<HolderRow>,
    pub orgs: Vec<(i64, String)>,
    /// How many rows of each status, before the status filter.
    pub counts: Vec<(crate::domain::certification::CertificateStatus, i64)>,
    /// Filters that could not be used, named for their fields (the others still apply).
    pub problems: Vec<crate::domain::validation::FieldError>,
}

/// What the public verification page shows about a certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiedCertificate {
    pub verify_code: String,
    /// This page's full address, for printouts.
    pub verify_url: String,
    pub holder_name: String,
    pub org_name: Option<String>,
    pub certification_name: String,
    pub certification_description: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub status: crate::domain::certification::CertificateStatus,
    pub revoke_reason: Option<String>,
    /// The signed Open Badges 3.0 credential, as JSON.
    pub credential_json: String,
    /// Whether the credential's Ed25519 proof verifies against this portal's key.
    pub signature_valid: bool,
    /// The portal's signing key, as a did:key.
    pub signer: String,
}

/// The result of checking a credential someone presents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialCheck {
    pub signature_valid: bool,
    pub message: String,
    /// The certificate it claims to be, as it stands now (revocations included).
    pub record: Option<VerifiedCertificate>,
}

/// An announcement as a partner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnouncementView {
    pub announcement_id: i64,
    pub title: String,
    /// Sanitised HTML rendered from the Markdown source.
    pub body_html: String,
    pub published_at: i64,
    pub requires_ack: bool,
    pub opened_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

/// Someone who has not acknowledged an announcement yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingPerson {
    pub name: String,
    pub org_name: String,
    pub delivered_at: i64,
    pub opened_at: Option<i64>,
    pub reminded_at: Option<i64>,
}

/// Read receipts of one announcement, for managers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnouncementReport {
    pub announcement_id: i64,
    pub title: String,
    pub published_at: i64,
    pub requires_ack: bool,
    pub delivered: i64,
    pub opened: i64,
    pub acknowledged: i64,
    /// A policy change a week old that fewer than half have acknowledged.
    pub silence: bool,
    /// Who has not acknowledged (announcements that need it), by organisation.
    pub waiting: Vec<WaitingPerson>,
}

/// The editing form of the whole tier program, one part per tier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierProgramForm {
    pub registered: crate::domain::tiers::TierPolicyForm,
    pub silver: crate::domain::tiers::TierPolicyForm,
    pub gold: crate::domain::tiers::TierPolicyForm,
    pub platinum: crate::domain::tiers::TierPolicyForm,
}

/// What a tier requires and gives, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierPolicyView {
    pub tier: Tier,
    pub requirements: Vec<String>,
    pub discount_pct: f64,
    pub mdf_eligible: bool,
    pub leads: String,
    /// How many organisations are at this tier now.
    pub org_count: i64,
}

/// One organisation against the tier rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgStandingView {
    pub org_id: i64,
    pub org_name: String,
    pub tier: Tier,
    pub evaluation: crate::domain::tiers::Evaluation,
    pub certified_people: i64,
    pub revenue_cents: i64,
}

/// One logged change of an organisation's tier or rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingChangeView {
    pub org_name: String,
    pub at: i64,
    /// "Gold → Silver", "Selling Lumen Connect unlocked".
    pub summary: String,
    pub explanation: String,
    pub trigger: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TiersPage {
    /// Whether tiers follow the rules (every tier above Registered has requirements).
    pub automatic: bool,
    pub policies: Vec<TierPolicyView>,
    /// The editing form, for vendor admins only.
    pub form: Option<TierProgramForm>,
    pub certifications: Vec<String>,
    /// Every organisation for vendor staff; the partner's own otherwise.
    pub standings: Vec<OrgStandingView>,
    pub changes: Vec<StandingChangeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// Each event the person may choose about, and whether it reaches them by email.
    pub choices: Vec<(crate::domain::notifications::Event, bool)>,
    /// For vendor admins only: the last characters of the program's Slack webhook (empty:
    /// none). The address itself is sealed and never shown again.
    pub slack_webhook: Option<String>,
}

// ---- Policy documents ----

/// A policy document in the list: its current version, if published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicySummary {
    pub kind: crate::domain::documents::DocumentKind,
    pub current_version: Option<i64>,
    pub published_at: Option<i64>,
    pub change_summary: String,
}

/// One version in a document's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersionSummary {
    pub version: i64,
    pub change_summary: String,
    pub published_at: i64,
    pub published_by: String,
    /// Whether partners were asked to acknowledge this version.
    pub announced: bool,
}

/// A document at one version, with its history and what changed from the version before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyPage {
    pub kind: crate::domain::documents::DocumentKind,
    pub history: Vec<PolicyVersionSummary>,
    /// The version shown (the current one unless another was asked for); `None` before the
    /// first publication.
    pub shown: Option<PolicyVersionSummary>,
    pub shown_html: String,
    /// Changes from the version before the shown one (empty for version 1).
    pub changes: Vec<crate::domain::documents::DiffRow>,
    pub current_version: i64,
    /// The current text, to edit; only for vendor staff.
    pub editable_markdown: Option<String>,
}

// ---- Required training compliance ----

/// Someone past the due date of a required path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverduePerson {
    pub name: String,
    pub org_name: String,
    pub due_at: i64,
}

/// How the audience of one required path stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathCompliance {
    pub path_id: i64,
    pub title: String,
    pub assigned: i64,
    pub done: i64,
    pub recertifying: i64,
    pub pending: i64,
    /// Longest overdue first.
    pub overdue: Vec<OverduePerson>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceReport {
    pub due_days: i64,
    pub paths: Vec<PathCompliance>,
}

#[cfg(test)]
mod tests {
    use super::PathDetailsInput;

    #[test]
    fn minutes_read_from_numbers_and_typed_text_and_typos_fail_the_range_check() {
        let read = |json: &str| serde_json::from_str::<PathDetailsInput>(json).unwrap();
        assert_eq!(read(r#"{"estimated_minutes": 20}"#).estimated_minutes, 20);
        assert_eq!(
            read(r#"{"estimated_minutes": " 45 "}"#).estimated_minutes,
            45
        );
        assert_eq!(
            read(r#"{"estimated_minutes": "twenty"}"#).estimated_minutes,
            -1
        );
        let unticked = read(r#"{"title": "Basics"}"#);
        assert!(!unticked.required && unticked.audience.tiers.is_empty());
    }
}

/// One message of a conversation (a deal's, or a learner's about a module): a partner's
/// verified email reply, or a staff answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealMessage {
    pub id: i64,
    pub at: i64,
    pub author: String,
    pub from_partner: bool,
    pub body: String,
}

/// A deal's conversation, and whether the viewer may answer the partner's last reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealConversation {
    pub deal_id: i64,
    pub messages: Vec<DealMessage>,
    /// The partner an answer goes to (staff only, once the partner has replied).
    pub answer_to: Option<String>,
}

/// A line of the inbound-mail log (vendor admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMail {
    pub id: i64,
    pub received_at: i64,
    pub via: String,
    pub from_address: String,
    pub subject: String,
    pub deal_id: Option<i64>,
    /// A reply to an email about a module: the module, and the learner it was sent to.
    pub path_id: Option<i64>,
    pub user_id: Option<i64>,
    pub verdict: String,
    pub reason: String,
    pub reply_text: String,
    pub raw_size: i64,
}

/// One learner's conversation about a module, for the channel team's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleThread {
    pub path_id: i64,
    pub module_title: String,
    pub learner_user_id: i64,
    pub learner: String,
    pub organisation: String,
    pub messages: i64,
    pub last_at: i64,
    /// The learner wrote last: the thread waits for an answer.
    pub awaiting_answer: bool,
    /// The start of the last message, on one line.
    pub last_excerpt: String,
}

/// A learner's conversation about a module, and (for staff, once the learner has replied)
/// who an answer goes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleConversation {
    pub path_id: i64,
    pub learner_user_id: i64,
    pub module_title: String,
    pub learner: String,
    pub messages: Vec<DealMessage>,
    pub answer_to: Option<String>,
}

/// The inbound-mail log with how replies reach the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundLog {
    /// The domain of reply addresses; `None`: notifications carry no reply address.
    pub reply_domain: Option<String>,
    /// Whether relays may post raw messages to `/inbound/mime`.
    pub relay_enabled: bool,
    pub messages: Vec<InboundMail>,
}

/// One row of a rate view: the counts always; the rate and its 95% interval only when
/// there are enough observations (`None`: "too few").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateRow {
    pub label: String,
    pub successes: u64,
    pub n: u64,
    pub estimate: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// Completion rate by segment (insights view 2) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionInsight {
    /// The window in words, for the title.
    pub window: String,
    /// What the rows are split by (`Segment::as_str`) and its name.
    pub segment: String,
    pub segment_label: String,
    pub overall: RateRow,
    pub rows: Vec<RateRow>,
    /// The choices the filter bar offers.
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// One learning funnel: people at each stage (`domain::insights::funnel::STAGES`) and each
/// stage's conversion from the one before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    pub label: String,
    pub reached: Vec<u64>,
    /// One per stage after the first; `None` where the stage does not apply (no path here
    /// leads to a certificate).
    pub conversions: Vec<Option<RateRow>>,
}

/// The learning funnel (insights view 1) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelInsight {
    pub window: String,
    /// What the rows are split by ("path" or a `Segment`) and its name.
    pub split: String,
    pub split_label: String,
    pub overall: FunnelRow,
    pub rows: Vec<FunnelRow>,
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// One group's time-to-event curve (the share that has had the event by each day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveRow {
    pub label: String,
    pub n: u64,
    pub events: u64,
    /// The longest follow-up in days: the curve is drawn no further.
    pub follow_up: f64,
    /// (day, share so far), one per day the share rises.
    pub points: Vec<(f64, f64)>,
    /// The share by each of the view's days, with its 95% interval (`None`: too few, or
    /// nobody followed that long).
    pub shares: Vec<Option<Estimate>>,
    /// The median days to the event (`None`: not reached, or too few) and its interval.
    pub median: Option<Estimate>,
}

/// A time-to-event view (insights views 3 and 4) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveInsight {
    pub window: String,
    /// What the rows are split by, and its name.
    pub split: String,
    pub split_label: String,
    /// The days the table reads each curve at.
    pub days: Vec<u32>,
    pub overall: CurveRow,
    pub rows: Vec<CurveRow>,
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// A learner's comment on a module, as the satisfaction view shows it (no name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentRow {
    /// The day it was written, e.g. "Dec 2, 2026 (UTC)".
    pub day: String,
    /// The writer's job role, or "No job role".
    pub role: String,
    pub text: String,
}

/// One module's satisfaction (insights view 8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleRow {
    pub path_id: i64,
    pub title: String,
    /// Of those who completed it in the window, those who rated it.
    pub response: RateRow,
    /// Ratings of 4 or 5 among the window's ratings.
    pub top_two: RateRow,
    pub mean: Option<f64>,
    /// Ratings of 1 to 5.
    pub distribution: Vec<u64>,
    pub comments: Vec<CommentRow>,
}

/// Module satisfaction (insights view 8) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionInsight {
    pub window: String,
    pub overall: ModuleRow,
    pub rows: Vec<ModuleRow>,
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// One reason a learner is at risk, as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonRow {
    /// "Stalled on Sales Certification: nothing done for 21 days (since Nov 15, 2026)".
    pub text: String,
    /// The stalled path a nudge would be about (none for an ending certificate).
    pub path_id: Option<i64>,
    /// The last nudge about it, in words ("Nudged Dec 2, 2026 (UTC) by Marco Diaz").
    pub nudged: Option<String>,
    /// Whether a nudge may be sent now (at most one a week per learner and path).
    pub may_nudge: bool,
}

/// One learner on the at-risk list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRiskRow {
    pub user_id: i64,
    pub name: String,
    pub org: String,
    pub reasons: Vec<ReasonRow>,
}

/// The at-risk list (insights view 11) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRiskInsight {
    pub window: String,
    /// The day the list was drawn, e.g. "Dec 7, 2026 (UTC)".
    pub as_of: String,
    /// Everyone at risk under the filters; `rows` holds at most `AT_RISK_SHOWN` of them.
    pub total: u64,
    pub rows: Vec<AtRiskRow>,
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// One month of partner-sourced pipeline (insights view 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthRow {
    pub label: String,
    /// Pipeline created in the month, per stage (`SourcedInsight::stages`), in cents.
    pub pipeline_by_stage: Vec<i64>,
    pub won_cents: i64,
}

/// One partner's line of the sourced-pipeline leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderRow {
    pub org_id: i64,
    pub name: String,
    pub deals_created: u64,
    pub pipeline_cents: i64,
    pub won_cents: i64,
    pub win_rate: RateRow,
    pub median_cycle_days: Option<f64>,
}

/// Partner-sourced pipeline and revenue (insights view 6) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcedInsight {
    pub window: String,
    pub stages: Vec<String>,
    pub months: Vec<MonthRow>,
    pub total: LeaderRow,
    pub leaders: Vec<LeaderRow>,
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// One question of the quiz item analysis (insights view 9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionRow {
    pub question_id: i64,
    pub path_title: String,
    pub prompt: String,
    pub answers: u64,
    pub facility: f64,
    pub discrimination: Option<f64>,
    /// Why it deserves a look ("too easy", …); empty when it does not.
    pub flags: Vec<String>,
}

/// The quiz item and tag analysis (insights view 9) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizInsight {
    pub window: String,
    /// The flag rules in words, for the page.
    pub rules: String,
    pub flagged: u64,
    pub questions: Vec<QuestionRow>,
    /// Per tag: learners who mastered it of those who answered its questions (`label` is
    /// the tag), with the answers and mean score in `answers` / `mean_scores` by position.
    pub tags: Vec<RateRow>,
    pub tag_answers: Vec<u64>,
    pub tag_mean_scores: Vec<f64>,
    /// Every learner-tag pair pooled, the chart's reference line.
    pub all_tags: RateRow,
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// An estimate with its 95% interval (absent when it cannot be computed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// One side (certified or not) of one stratum in the certified-vs-not view. Amounts are
/// cents; a per-quarter figure is `None` with too few organisations to show one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmRow {
    pub orgs: u64,
    pub org_quarters: f64,
    pub deals_created: u64,
    pub pipeline_cents: i64,
    pub pipeline_per_quarter: Option<Estimate>,
    /// Won of the deals closed in the window.
    pub win_rate: RateRow,
    pub revenue_cents: i64,
    pub revenue_per_quarter: Option<Estimate>,
}

/// Certified against not certified in one tier × tenure stratum, or pooled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    pub label: String,
    pub certified: ArmRow,
    pub uncertified: ArmRow,
    /// Certified minus uncertified win rate (Newcombe interval).
    pub win_difference: Option<Estimate>,
}

/// Certified vs not (insights view 5) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertifiedInsight {
    pub window: String,
    pub pooled: ComparisonRow,
    pub strata: Vec<ComparisonRow>,
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}

/// One figure of a partner scorecard beside its tier's median.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardFigure {
    /// `scorecard::Metric::as_str`, and its name.
    pub metric: String,
    pub label: String,
    /// "share", "days" or "cents".
    pub unit: String,
    pub value: Option<f64>,
    /// What the value counts, in words.
    pub basis: String,
    /// Hidden from a partner when the tier has too few other organisations.
    pub tier_median: Option<f64>,
    pub tier_orgs: u64,
    pub lower_is_better: bool,
}

/// One organisation's scorecard (insights view 12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub org_id: i64,
    pub org_name: String,
    pub tier: String,
    pub window: String,
    pub figures: Vec<ScorecardFigure>,
    /// The organisations staff can choose from (empty for a partner).
    pub orgs: Vec<(i64, String)>,
}

/// A headline figure on the staff home page, linking to the view it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    pub label: String,
    pub value: String,
    /// What the value counts and over which window.
    pub detail: String,
    pub href: String,
}

/// Registration-health figures of one group (insights view 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthRow {
    pub label: String,
    pub submitted: u64,
    pub pending: u64,
    pub approval_rate: RateRow,
    pub median_hours_to_approval: Option<f64>,
    pub within_sla: RateRow,
    pub conflict_rate: RateRow,
    pub expiry_rate: RateRow,
}

/// One week of the approval-time trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekRow {
    /// The week's Monday, e.g. "Nov 30, 2026".
    pub week_of: String,
    pub approved: u64,
    pub median_hours: Option<f64>,
}

/// Deal-registration health (insights view 7) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationInsight {
    pub window: String,
    /// What the rows are split by (`RegistrationSplit::as_str`) and its name.
    pub split: String,
    pub split_label: String,
    pub sla_hours: i64,
    pub overall: HealthRow,
    pub rows: Vec<HealthRow>,
    pub weeks: Vec<WeekRow>,
    pub regions: Vec<String>,
}

/// One organisation's certificates by status (insights view 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateStatusRow {
    pub org_id: i64,
    pub org_name: String,
    pub active: u64,
    pub expiring_30: u64,
    pub expiring_60: u64,
    pub expiring_90: u64,
    pub expired: u64,
    pub revoked: u64,
    /// Renewed in time, of those that came due in the window.
    pub recertification: RateRow,
}

/// Certification status and expiry pipeline (insights view 10) under the page's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateInsight {
    pub window: String,
    pub rows: Vec<CertificateStatusRow>,
    pub total: CertificateStatusRow,
    pub paths: Vec<(i64, String)>,
    pub regions: Vec<String>,
}
