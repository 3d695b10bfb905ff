//! Data sent between server and browser. Only what the viewer may see goes in these types.
use crate::domain::identity::{JobRole, PartnerType, Role, Tier};
use crate::domain::quiz::content::QuestionContent;
use crate::domain::quiz::grading::Response;
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
    Partner(OrgDetail),
    /// Partner managers and admins; `team` is present for admins only.
    Staff {
        overview: ProgramOverview,
        team: Option<Vec<StaffMember>>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempt_id: i64,
    pub deadline_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub questions: Vec<QuestionView>,
    /// Saved answers with the sequence number of the save, to resume on any device.
    pub answers: BTreeMap<i64, (Response, i64)>,
}
