mod account;
mod announcements;
mod author;
mod certificates;
mod compliance;
mod conversation;
mod crm;
mod deals;
mod home;
mod insights;
mod learn;
mod learner_questions;
mod login;
mod orgs;
mod outbox;
mod policies;
mod program;
mod quiz;
mod tiers;

pub use account::AccountPage;
pub use announcements::{AnnouncementsManagePage, AnnouncementsPage};
pub use author::{AuthorListPage, PathEditorPage, QuizStatsPage};
pub use certificates::{CertificatePrintPage, HoldersListPage, MyCertificatesPage, VerifyPage};
pub use compliance::TrainingStatusPage;
pub use crm::{
    CrmPage, HubspotConsentPage, InboundOriginalPage, SyncHistoryPage, SyncHistorySearchPage,
};
pub use deals::{DealAuditPage, DealsPage, PipelinePage, ReviewQueuePage, SignalsPage};
pub use home::HomePage;
pub use insights::{
    AtRiskInsightPage, CertificateInsightPage, CertifiedInsightPage, CohortInsightPage,
    CompletionInsightPage, FirstDealInsightPage, FunnelInsightPage, InsightsPage, QuizInsightPage,
    RegistrationInsightPage, SatisfactionInsightPage, ScorecardPage, SourcedInsightPage,
};
pub use learn::{CatalogPage, PlayerPage};
pub use learner_questions::{LearnerConversationPage, LearnerQuestionsPage};
pub use login::{LoginPage, MagicLinkPage};
pub use orgs::{MyOrgPage, PartnerDetailPage, PartnersPage};
pub use outbox::OutboxPage;
pub use policies::{PoliciesPage, PolicyDocumentPage};
pub use program::{ProgramSettingsPage, RenewalsPage};
pub use quiz::QuizPage;
pub use tiers::TiersPage;

use crate::components::load::NotFoundView;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <NotFoundView/>
    }
}
