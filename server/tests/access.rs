//! Authorization across roles and orgs, cross-site refusal, and the pages' HTTP behaviour.
mod common;

use app::api::announcements::*;
use app::api::auth::*;
use app::api::authoring::*;
use app::api::certifications::*;
use app::api::channel::*;
use app::api::crm::*;
use app::api::crm_history::*;
use app::api::crm_stages::*;
use app::api::dev::*;
use app::api::documents::*;
use app::api::hubspot_oauth::*;
use app::api::insights::*;
use app::api::learner_questions::*;
use app::api::learning::*;
use app::api::navigation::*;
use app::api::notifications::*;
use app::api::orgs::*;
use app::api::program::*;
use app::api::replies::*;
use app::api::salesforce::*;
use app::api::tiers::*;
use app::api::training::*;
use app::error::AppError;
use app::model::{HomeData, HomeView, OrgDetail, PartnerOrgSummary};
use common::{invoke, reply, sign_in, Backend, ServerFn, TestServer};

const NORTHWIND_USER: &str = "nora@northwind.example";
const MANAGER: &str = "marco@lumen.example";

async fn org_id(server: &TestServer, name: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM partner_orgs WHERE name = $1")
        .bind(name)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    id
}

async fn partners_see_only_their_own_org(backend: Backend) {
    let server = TestServer::start(backend).await;
    let partner = sign_in(&server, NORTHWIND_USER).await;
    let own = org_id(&server, "Northwind Resellers").await;
    let other = org_id(&server, "Bluefin Systems").await;

    let (status, detail) = invoke::<OrgDetail>(
        &partner,
        &server,
        PartnerOrg::PATH,
        &[("id", &own.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(detail.unwrap().members.len(), 3);

    let (status, refused) = invoke::<OrgDetail>(
        &partner,
        &server,
        PartnerOrg::PATH,
        &[("id", &other.to_string())],
    )
    .await;
    assert_eq!((status, refused), (403, Err(AppError::Forbidden)));
    let (status, _) =
        invoke::<Vec<PartnerOrgSummary>>(&partner, &server, ListPartnerOrgs::PATH, &[]).await;
    assert_eq!(status, 403, "partners cannot list other partners");
    let (status, home) = invoke::<HomeData>(&partner, &server, LoadHome::PATH, &[]).await;
    assert_eq!(status, 200);
    match home.unwrap().view {
        HomeView::Partner { detail, .. } => assert_eq!(detail.org.name, "Northwind Resellers"),
        other => panic!("a partner's home shows their org, not {other:?}"),
    }

    // The refused page renders a 403 page, not a crash.
    let page = partner
        .get(server.url("/partners"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("No access"));
    let page = partner
        .get(server.url(&format!("/partners/{other}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    server.stop().await;
}

async fn vendor_staff_see_every_org_with_filters(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let (status, all) =
        invoke::<Vec<PartnerOrgSummary>>(&manager, &server, ListPartnerOrgs::PATH, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(all.unwrap().len(), 14);
    let (_, gold) = invoke::<Vec<PartnerOrgSummary>>(
        &manager,
        &server,
        ListPartnerOrgs::PATH,
        &[("tier", "gold"), ("partner_type", "reseller")],
    )
    .await;
    let names: Vec<_> = gold.unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(names, ["Northwind Resellers"]);
    let (_, found) = invoke::<Vec<PartnerOrgSummary>>(
        &manager,
        &server,
        ListPartnerOrgs::PATH,
        &[("search", "ATLAS")],
    )
    .await;
    assert_eq!(found.unwrap()[0].name, "Atlas Integrators");

    let (status, invalid) = invoke::<Vec<PartnerOrgSummary>>(
        &manager,
        &server,
        ListPartnerOrgs::PATH,
        &[("tier", "diamond")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(invalid.unwrap_err().field_message("tier").is_some());

    let other = org_id(&server, "Bluefin Systems").await;
    let (status, _) = invoke::<OrgDetail>(
        &manager,
        &server,
        PartnerOrg::PATH,
        &[("id", &other.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    let (status, missing) =
        invoke::<OrgDetail>(&manager, &server, PartnerOrg::PATH, &[("id", "999999")]).await;
    assert_eq!((status, missing), (404, Err(AppError::NotFound)));
    let (status, _) =
        invoke::<OrgDetail>(&manager, &server, PartnerOrg::PATH, &[("id", "abc")]).await;
    assert_eq!(
        status, 422,
        "a malformed id is the caller's mistake, not a server error"
    );
    server.stop().await;
}

/// Every registered server function, with arguments, and whether it is open to signed-out
/// visitors. A new server function fails `every_server_fn_is_classified` until added here,
/// so nobody can ship one without deciding who may call it.
/// A server function's path, sample arguments (form fields, or a JSON body for functions that
/// take JSON), and whether signed-out visitors may call it.
type ServerFnCase = (&'static str, Args, bool);

enum Args {
    Form(Vec<(&'static str, &'static str)>),
    /// Form fields written as JSON, posted form-encoded (`common::form_pairs`).
    Encoded(serde_json::Value),
    Json(serde_json::Value),
}

impl Args {
    /// Calls the server function at `path` with these arguments, as `client`.
    async fn send(
        &self,
        client: &reqwest::Client,
        server: &TestServer,
        path: &str,
    ) -> reqwest::Response {
        let request = client.post(server.url(path));
        let request = match self {
            Args::Form(fields) => request.form(fields),
            Args::Encoded(body) => request.form(&common::form_pairs(body)),
            Args::Json(body) => request.json(body),
        };
        request.send().await.expect("request completes")
    }
}

fn server_fn_table() -> Vec<ServerFnCase> {
    vec![
        (CurrentUser::PATH, Args::Form(vec![]), true),
        (
            LoginWithPassword::PATH,
            Args::Form(vec![("email", "x@y.example"), ("password", "p")]),
            true,
        ),
        (
            RequestMagicLink::PATH,
            Args::Form(vec![("email", "x@y.example")]),
            true,
        ),
        (
            RedeemMagicLink::PATH,
            Args::Form(vec![("token", "0")]),
            true,
        ),
        (
            RequestFreshLink::PATH,
            Args::Form(vec![("token", "0")]),
            true,
        ),
        (Logout::PATH, Args::Form(vec![]), true),
        (DemoAccounts::PATH, Args::Form(vec![]), true),
        // Zeros for visitors, so the navigation of public pages renders without a session.
        (LoadNavBadges::PATH, Args::Form(vec![]), true),
        (
            DemoSignIn::PATH,
            Args::Form(vec![("email", "nobody@nowhere.example")]),
            true,
        ),
        (LoadPortalInfo::PATH, Args::Form(vec![]), true),
        (DevOutbox::PATH, Args::Form(vec![]), true),
        (LogoutEverywhere::PATH, Args::Form(vec![]), false),
        (ListPartnerOrgs::PATH, Args::Form(vec![]), false),
        (PartnerOrg::PATH, Args::Form(vec![("id", "1")]), false),
        (MyOrg::PATH, Args::Form(vec![]), false),
        (LoadHome::PATH, Args::Form(vec![]), false),
        (StartQuiz::PATH, Args::Form(vec![("step_id", "1")]), false),
        (
            QuizAttempt::PATH,
            Args::Form(vec![("attempt_id", "1")]),
            false,
        ),
        (
            SubmitQuiz::PATH,
            Args::Form(vec![("attempt_id", "1")]),
            false,
        ),
        (
            SaveQuizAnswer::PATH,
            Args::Json(
                serde_json::json!({"attempt_id": 1, "question_id": 1, "response": {"TrueFalse": true}, "client_seq": 1}),
            ),
            false,
        ),
        (LoadCatalog::PATH, Args::Form(vec![]), false),
        (
            LoadPlayer::PATH,
            Args::Form(vec![("path_id", "1")]),
            false,
        ),
        (
            CompleteDocument::PATH,
            Args::Form(vec![("step_id", "1")]),
            false,
        ),
        (
            SaveVideoPosition::PATH,
            Args::Form(vec![("step_id", "1"), ("position_secs", "3")]),
            false,
        ),
        (
            RsvpLiveSession::PATH,
            Args::Form(vec![("step_id", "1"), ("attending", "true")]),
            false,
        ),
        (
            AnswerSurvey::PATH,
            Args::Form(vec![("step_id", "1"), ("rating", "5"), ("comment", "")]),
            false,
        ),
        (
            CheckCustomer::PATH,
            Args::Form(vec![("company_name", "Acme"), ("domain", "acme.com")]),
            false,
        ),
        (
            RegisterDeal::PATH,
            Args::Form(vec![("input[company_name]", "")]),
            false,
        ),
        (LoadMyPipeline::PATH, Args::Form(vec![]), false),
        (LoadReviewQueue::PATH, Args::Form(vec![]), false),
        (
            FileAppeal::PATH,
            Args::Form(vec![("deal_id", "1"), ("evidence", "We ran the pilot with them.")]),
            false,
        ),
        (LoadOpenAppeals::PATH, Args::Form(vec![]), false),
        (LoadSignals::PATH, Args::Form(vec![]), false),
        (
            UpdateDeal::PATH,
            Args::Form(vec![("deal_id", "1"), ("version", "0"), ("input[stage]", "qualify")]),
            false,
        ),
        (
            RequestExtension::PATH,
            Args::Form(vec![("deal_id", "1")]),
            false,
        ),
        (LoadProgramSettings::PATH, Args::Form(vec![]), false),
        (LoadMyCertificates::PATH, Args::Form(vec![]), false),
        (
            PublishAnnouncement::PATH,
            Args::Form(vec![("form[title]", "")]),
            false,
        ),
        (LoadMyAnnouncements::PATH, Args::Form(vec![]), false),
        (LoadPolicies::PATH, Args::Form(vec![]), false),
        (LoadTrainingCompliance::PATH, Args::Form(vec![]), false),
        (
            LoadPolicy::PATH,
            Args::Form(vec![("kind", "territories")]),
            false,
        ),
        (
            PublishPolicyVersion::PATH,
            Args::Form(vec![("form[kind]", "territories")]),
            false,
        ),
        (
            OpenAnnouncement::PATH,
            Args::Form(vec![("announcement_id", "1")]),
            false,
        ),
        (
            AcknowledgeAnnouncement::PATH,
            Args::Form(vec![("announcement_id", "1")]),
            false,
        ),
        (LoadAnnouncementReports::PATH, Args::Form(vec![]), false),
        (LoadHolders::PATH, Args::Form(vec![]), false),
        (
            RevokeCertificate::PATH,
            Args::Form(vec![("certificate_id", "1"), ("reason", "x")]),
            false,
        ),
        (
            VerifyCertificate::PATH,
            Args::Form(vec![("code", "NOPE")]),
            true,
        ),
        (
            CheckCredential::PATH,
            Args::Form(vec![("credential", "{}")]),
            true,
        ),
        (
            SaveProgramSettings::PATH,
            Args::Form(vec![("form[protection_days]", "90")]),
            false,
        ),
        (LoadRenewals::PATH, Args::Form(vec![]), false),
        (LoadTiers::PATH, Args::Form(vec![]), false),
        (LoadNotificationSettings::PATH, Args::Form(vec![]), false),
        (
            SaveNotificationPreferences::PATH,
            Args::Form(vec![]),
            false,
        ),
        (
            SaveSlackWebhook::PATH,
            Args::Form(vec![("url", "")]),
            false,
        ),
        (LoadCrmPage::PATH, Args::Form(vec![]), false),
        (
            ConnectHubspot::PATH,
            Args::Form(vec![("token", "pat-x"), ("pipeline", "default"), ("stage", "x")]),
            false,
        ),
        (
            StartHubspotOauth::PATH,
            Args::Form(vec![("client_id", "c"), ("client_secret", "s"), ("pipeline", "default"), ("stage", "x")]),
            false,
        ),
        (
            FinishHubspotOauth::PATH,
            Args::Form(vec![("code", "c"), ("state", "s")]),
            false,
        ),
        (
            FindSyncRecords::PATH,
            Args::Form(vec![("text", "nora")]),
            false,
        ),
        (
            LoadSyncHistory::PATH,
            Args::Form(vec![("kind", "contact"), ("entity_id", "1")]),
            false,
        ),
        (TestHubspot::PATH, Args::Form(vec![]), false),
        (InstallHubspotProperties::PATH, Args::Form(vec![]), false),
        (StartHubspotBackfill::PATH, Args::Form(vec![]), false),
        (
            SetCrmFieldDirection::PATH,
            Args::Form(vec![("kind", "Contact"), ("property", "firstname"), ("direction", "Off")]),
            false,
        ),
        (
            ResolveCrmFailure::PATH,
            Args::Form(vec![("id", "1"), ("retry", "true")]),
            false,
        ),
        (DisconnectHubspot::PATH, Args::Form(vec![]), false),
        (
            SaveHubspotWebhookSecret::PATH,
            Args::Form(vec![("secret", "yyyyyyyy-yyyy")]),
            false,
        ),
        (RemoveHubspotWebhookSecret::PATH, Args::Form(vec![]), false),
        (
            ConnectSalesforce::PATH,
            Args::Form(vec![
                ("domain", "https://acme.my.salesforce.com"),
                ("client_id", "3MVG9x"),
                ("client_secret", "s"),
            ]),
            false,
        ),
        (
            ConnectSalesforceJwt::PATH,
            Args::Form(vec![
                ("domain", "https://acme.my.salesforce.com"),
                ("client_id", "3MVG9x"),
                ("username", "u@x.example"),
                ("private_key", "k"),
            ]),
            false,
        ),
        (TestSalesforce::PATH, Args::Form(vec![]), false),
        (ReadHubspotPipelines::PATH, Args::Form(vec![]), false),
        (
            SetHubspotStage::PATH,
            Args::Form(vec![
                ("pipeline", "default"),
                ("stage", "qualifiedtobuy"),
                ("portal_stage", "discover"),
            ]),
            false,
        ),
        (CheckSalesforceFields::PATH, Args::Form(vec![]), false),
        (
            SetSalesforceTarget::PATH,
            Args::Form(vec![("target", "opportunity")]),
            false,
        ),
        (StartSalesforceBackfill::PATH, Args::Form(vec![]), false),
        (DisconnectSalesforce::PATH, Args::Form(vec![]), false),
        (
            LoadDealConversation::PATH,
            Args::Form(vec![("deal_id", "1")]),
            false,
        ),
        (
            AnswerPartnerReply::PATH,
            Args::Form(vec![("deal_id", "1"), ("body", "Thanks")]),
            false,
        ),
        (LoadInboundMail::PATH, Args::Form(vec![]), false),
        (LoadLearnerQuestions::PATH, Args::Form(vec![]), false),
        (LoadCompletionInsight::PATH, Args::Form(vec![]), false),
        (ExportCompletionCsv::PATH, Args::Form(vec![]), false),
        (LoadFunnelInsight::PATH, Args::Form(vec![]), false),
        (ExportFunnelCsv::PATH, Args::Form(vec![]), false),
        (LoadAtRisk::PATH, Args::Form(vec![]), false),
        (LoadQuizInsight::PATH, Args::Form(vec![]), false),
        (ExportQuizCsv::PATH, Args::Form(vec![]), false),
        (LoadSourcedInsight::PATH, Args::Form(vec![]), false),
        (ExportSourcedCsv::PATH, Args::Form(vec![]), false),
        (ExportAtRiskCsv::PATH, Args::Form(vec![]), false),
        (
            NudgeLearner::PATH,
            Args::Form(vec![("user_id", "1"), ("path_id", "1")]),
            false,
        ),
        (LoadSatisfactionInsight::PATH, Args::Form(vec![]), false),
        (ExportSatisfactionCsv::PATH, Args::Form(vec![]), false),
        (LoadCohortInsight::PATH, Args::Form(vec![]), false),
        (ExportCohortCsv::PATH, Args::Form(vec![]), false),
        (LoadFirstDealInsight::PATH, Args::Form(vec![]), false),
        (ExportFirstDealCsv::PATH, Args::Form(vec![]), false),
        (LoadCertifiedInsight::PATH, Args::Form(vec![]), false),
        (ExportCertifiedCsv::PATH, Args::Form(vec![]), false),
        (LoadScorecard::PATH, Args::Form(vec![]), false),
        (LoadRegistrationInsight::PATH, Args::Form(vec![]), false),
        (LoadCertificateInsight::PATH, Args::Form(vec![]), false),
        (ExportCertificatesCsv::PATH, Args::Form(vec![]), false),
        (ExportRegistrationsCsv::PATH, Args::Form(vec![]), false),
        (ExportScorecardCsv::PATH, Args::Form(vec![]), false),
        (
            LoadModuleConversation::PATH,
            Args::Form(vec![("path_id", "1"), ("learner_user_id", "1")]),
            false,
        ),
        (
            LoadMyModuleConversation::PATH,
            Args::Form(vec![("path_id", "1")]),
            false,
        ),
        (
            AnswerLearnerQuestion::PATH,
            Args::Form(vec![("path_id", "1"), ("learner_user_id", "1"), ("body", "Thanks")]),
            false,
        ),
        (
            ReleaseHeldReply::PATH,
            Args::Form(vec![("id", "1")]),
            false,
        ),
        (
            LoadInboundOriginal::PATH,
            Args::Form(vec![("id", "1")]),
            false,
        ),
        (
            SaveTierProgram::PATH,
            Args::Form(vec![("form[gold][requirements]", "")]),
            false,
        ),
        (
            ConfirmRenewalOwner::PATH,
            Args::Form(vec![("account_id", "1"), ("owner", "incumbent"), ("rationale", "")]),
            false,
        ),
        (
            LoadPipeline::PATH,
            Args::Form(vec![("query[page]", "1")]),
            false,
        ),
        (
            ExportPipelineCsv::PATH,
            Args::Form(vec![("query[page]", "1")]),
            false,
        ),
        (
            LoadDealAudit::PATH,
            Args::Form(vec![("deal_id", "1")]),
            false,
        ),
        (
            LoadStaffDeal::PATH,
            Args::Form(vec![("deal_id", "1")]),
            false,
        ),
        (
            LoadOwnDeal::PATH,
            Args::Form(vec![("deal_id", "1")]),
            false,
        ),
        (
            ResolveAppeal::PATH,
            Args::Form(vec![("appeal_id", "1"), ("uphold", "true"), ("rationale", "Because it is right.")]),
            false,
        ),
        (
            DecideRegistration::PATH,
            Args::Form(vec![("deal_id", "1"), ("decision", "approve"), ("rationale", "Because it is right.")]),
            false,
        ),
        (
            SavePipelineView::PATH,
            Args::Form(vec![("name", "Mine"), ("query[view]", "board")]),
            false,
        ),
        (
            DeletePipelineView::PATH,
            Args::Form(vec![("view_id", "1")]),
            false,
        ),
        // Never the real confirmation: a table row must not be able to wipe anything.
        (
            app::api::dev::ResetDemoData::PATH,
            Args::Form(vec![("confirm", "not yet")]),
            false,
        ),
        (
            ApproveRegistrations::PATH,
            Args::Form(vec![("approve[1]", "on"), ("rationale", "Because it is right.")]),
            false,
        ),
    ]
    .into_iter()
    .chain(authoring_table().into_iter().map(|(path, args)| (path, args, false)))
    .collect()
}

/// Authoring server functions: vendor staff only.
fn authoring_table() -> Vec<(&'static str, Args)> {
    let details = serde_json::json!({"title": "T", "summary": "", "required": false, "estimated_minutes": 5,
        "audience": {"partner_types": [], "tiers": [], "job_roles": []}});
    vec![
        (ListAuthoredPaths::PATH, Args::Form(vec![])),
        (LoadPathEditor::PATH, Args::Form(vec![("path_id", "1")])),
        (
            SavePath::PATH,
            Args::Encoded(serde_json::json!({"path_id": 1, "details": details})),
        ),
        (
            SetPathPublished::PATH,
            Args::Form(vec![("path_id", "1"), ("published", "false")]),
        ),
        (
            SaveStep::PATH,
            Args::Encoded(
                serde_json::json!({"path_id": 1, "step_id": null, "kind": "Survey", "title": "S",
                "required": true, "settings_json": "{\"question\": \"Q?\"}"}),
            ),
        ),
        (
            MoveStep::PATH,
            Args::Form(vec![("step_id", "1"), ("up", "false")]),
        ),
        (DeleteStep::PATH, Args::Form(vec![("step_id", "999999")])),
        (PreviewMarkdown::PATH, Args::Form(vec![("markdown", "# x")])),
        (
            AddQuestion::PATH,
            Args::Form(vec![
                ("path_id", "1"),
                ("kind", "true-false"),
                ("question[prompt]", "P?"),
                ("question[true_false]", "true"),
            ]),
        ),
        (
            AddQuestions::PATH,
            Args::Encoded(serde_json::json!({"path_id": 1, "questions_json": "[]"})),
        ),
        (
            RetireQuestion::PATH,
            Args::Form(vec![("path_id", "1"), ("question_id", "999999")]),
        ),
        (ExportPath::PATH, Args::Form(vec![("path_id", "1")])),
        (
            ImportPath::PATH,
            Args::Encoded(serde_json::json!({"json": "{}"})),
        ),
        (LoadQuizStatistics::PATH, Args::Form(vec![("step_id", "1")])),
    ]
}

/// A body that does not decode is the caller's mistake: 422 with a message, never a 500.
async fn malformed_json_bodies_are_refused_as_user_errors(backend: Backend) {
    let server = TestServer::start(backend).await;
    let partner = sign_in(&server, NORTHWIND_USER).await;
    let manager = sign_in(&server, MANAGER).await;
    let json_fns = server_fn_table()
        .into_iter()
        .filter(|(_, args, _)| matches!(args, Args::Json(_)));
    for (path, _, _) in json_fns {
        for client in [&partner, &manager] {
            for body in ["{", "[]", "{\"unexpected\": true}"] {
                let response = client
                    .post(server.url(path))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                assert!(
                    status == 422 || status == 403,
                    "{path} answered {status} to {body}"
                );
            }
        }
    }
    server.stop().await;
}

async fn only_vendor_staff_author_paths(backend: Backend) {
    let server = TestServer::start(backend).await;
    let partner = sign_in(&server, NORTHWIND_USER).await;
    let before = app::server::repo::authoring::export(&server.server.state.db, 1)
        .await
        .unwrap();
    for (path, args) in authoring_table() {
        let response = args.send(&partner, &server, path).await;
        assert_eq!(response.status(), 403, "{path} must refuse partner users");
    }
    assert_eq!(
        app::server::repo::authoring::export(&server.server.state.db, 1)
            .await
            .unwrap(),
        before,
        "nothing changed"
    );
    let manager = sign_in(&server, MANAGER).await;
    let (status, list) = invoke::<Vec<app::model::AuthoredPathSummary>>(
        &manager,
        &server,
        ListAuthoredPaths::PATH,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list.unwrap().len(), 3, "the three demo paths");
    server.stop().await;
}

async fn every_server_fn_is_classified_and_protected_ones_refuse_strangers(backend: Backend) {
    let table = server_fn_table();
    let mut registered: Vec<&str> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    registered.sort();
    let mut listed: Vec<&str> = table.iter().map(|(path, _, _)| *path).collect();
    listed.sort();
    assert_eq!(
        registered, listed,
        "classify every server function in server_fn_table"
    );

    let server = TestServer::start(backend).await;
    let stranger = server.client();
    for (path, args, public) in &table {
        let response = args.send(&stranger, &server, path).await;
        let status = response.status().as_u16();
        if *public {
            assert!(status < 500, "{path} answered {status}");
        } else {
            assert_eq!(status, 401, "{path} must require sign-in");
        }
    }
    server.stop().await;
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let attacker = reqwest::Client::new();
    let form = [("email", NORTHWIND_USER), ("password", common::PASSWORD)];
    let from_evil = attacker
        .post(server.url(LoginWithPassword::PATH))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(from_evil.status(), 403);
    assert!(
        from_evil.headers().get("set-cookie").is_none(),
        "no session was created"
    );
    let fetch_metadata = attacker
        .post(server.url(LoginWithPassword::PATH))
        .header("origin", server.server.url())
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_metadata.status(), 403);
    let (_, error) = reply::<String>(fetch_metadata).await;
    assert_eq!(error, Err(AppError::CrossSite));
    let no_origin = attacker
        .post(server.url(LoginWithPassword::PATH))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status(), 403);

    // Signed-in victims are protected too.
    let victim = sign_in(&server, NORTHWIND_USER).await;
    let forged = victim
        .post(server.url(LogoutEverywhere::PATH))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let (_, still) =
        invoke::<Option<app::model::SessionUser>>(&victim, &server, CurrentUser::PATH, &[]).await;
    assert!(still.unwrap().is_some());
    server.stop().await;
}

async fn pages_health_and_metrics(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = server.client();
    let html = |path: &str| {
        browser
            .get(server.url(path))
            .header("accept", "text/html")
            .send()
    };

    let home = html("/").await.unwrap();
    assert_eq!(
        home.status(),
        302,
        "signed-out visitors are sent to sign in"
    );
    assert_eq!(home.headers()["location"], "/login?next=/");
    let login = html("/login").await.unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    let body = login.text().await.unwrap();
    assert!(
        body.contains("Sign in as Ada Lovelace"),
        "demo sign-in is offered in demo mode"
    );
    let missing = html("/no/such/page").await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));

    let health = browser.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(
        (health.status().as_u16(), health.text().await.unwrap()),
        (200, "ok".to_string())
    );
    let metrics = browser
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("http_requests_total{method=\"GET\",route=\"/login\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    assert!(metrics.contains("db_pool_connections{pool=\"write\""));

    // GET never changes state: a GET to a server function is not routed.
    let get_fn = browser
        .get(server.url(LogoutEverywhere::PATH))
        .send()
        .await
        .unwrap();
    assert!(get_fn.status().is_client_error(), "{}", get_fn.status());
    server.stop().await;
}

async fn production_hides_demo_and_dev_tools(backend: Backend) {
    let server = TestServer::start_with(backend, common::PRODUCTION_FLAGS).await;
    let client = server.client();
    let (_, accounts) =
        invoke::<Vec<app::model::DemoAccount>>(&client, &server, DemoAccounts::PATH, &[]).await;
    assert_eq!(accounts, Ok(vec![]));
    let (status, _) = invoke::<String>(
        &client,
        &server,
        DemoSignIn::PATH,
        &[("email", "admin@lumen.example")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = invoke::<serde_json::Value>(&client, &server, DevOutbox::PATH, &[]).await;
    assert_eq!(status, 404);
    let (status, _) = invoke::<()>(
        &client,
        &server,
        app::api::dev::ResetDemoData::PATH,
        &[("confirm", "RESET")],
    )
    .await;
    assert_eq!(status, 404, "no demo reset outside demo mode");
    let (_, count): (i64, i64) = (
        0,
        app::server::repo::users::count(&server.server.state.db.read)
            .await
            .unwrap(),
    );
    assert_eq!(count, 0, "production does not seed demo data");
    server.stop().await;
}

async fn home_pages_show_what_each_role_may_see(backend: Backend) {
    let server = TestServer::start(backend).await;
    let home_of = |client: reqwest::Client| {
        let server = &server;
        async move {
            let (status, home) = invoke::<HomeData>(&client, server, LoadHome::PATH, &[]).await;
            assert_eq!(status, 200);
            home.unwrap().view
        }
    };
    match home_of(sign_in(&server, "admin@lumen.example").await).await {
        HomeView::Staff {
            overview,
            team: Some(team),
            headlines,
            demo_reset,
        } => {
            assert!(demo_reset, "an admin of a demo deployment may reset it");
            assert_eq!(overview.org_count, 14);
            // Three headline figures, each linking into its insights view.
            let links: Vec<&str> = headlines.iter().map(|h| h.href.as_str()).collect();
            assert_eq!(
                links,
                ["/insights/completion", "/insights/certified", "/scorecard"]
            );
            assert_eq!(team.len(), 3);
            assert_eq!(team[0].email, "admin@lumen.example", "admins first");
            assert_eq!(team[0].active_sessions, 1);
        }
        other => panic!("admin home: {other:?}"),
    }
    match home_of(sign_in(&server, MANAGER).await).await {
        HomeView::Staff {
            team: None,
            demo_reset: false,
            ..
        } => {}
        other => panic!("managers see no vendor team: {other:?}"),
    }
    match home_of(sign_in(&server, NORTHWIND_USER).await).await {
        HomeView::Partner { .. } => {}
        other => panic!("partner home: {other:?}"),
    }
    server.stop().await;
}

both_backends!(
    home_pages_show_what_each_role_may_see,
    partners_see_only_their_own_org,
    vendor_staff_see_every_org_with_filters,
    every_server_fn_is_classified_and_protected_ones_refuse_strangers,
    cross_site_posts_are_refused,
    pages_health_and_metrics,
    production_hides_demo_and_dev_tools,
    only_vendor_staff_author_paths,
    malformed_json_bodies_are_refused_as_user_errors,
);
