//! What sales decides in HubSpot reaches the registration, on SQLite and PostgreSQL, against
//! the local fake HubSpot: the deal's owner (named through the owners API, once per owner),
//! shown on the deal page with an audit row; and the stages of the account's own pipelines,
//! read from HubSpot and mapped by an admin, with closed stages taking HubSpot's verdict.
mod common;

use app::api::crm::{CrmOverview, LoadCrmPage, SetCrmFieldDirection};
use app::api::crm_stages::{ReadHubspotPipelines, SetHubspotStage};
use app::model::DealAudit;
use common::crm::{count, sync};
use common::fake_hubspot::FakeHubSpot;
use common::{call, invoke, sign_in, Backend, ServerFn, TestServer};

const TOKEN: &str = "pat-na1-11111111-2222-3333-4444-555555555555";
const MANAGER: &str = "marco@lumen.example";
const DANA: &str = "41629779";

async fn start(backend: Backend) -> (TestServer, FakeHubSpot, reqwest::Client) {
    let fake = FakeHubSpot::new(TOKEN);
    let base = fake.start().await;
    let server = TestServer::start_with(
        backend,
        &[
            "--hubspot-api-base",
            &base,
            "--crm-sync-interval-secs",
            "86400",
        ],
    )
    .await;
    let admin = common::crm::connect_hubspot(&server, TOKEN).await;
    sync(&server, 10).await;
    (server, fake, admin)
}

/// Two approved, open registrations.
async fn open_deals(server: &TestServer) -> (i64, i64) {
    let ids: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM deals WHERE partner_org_id IS NOT NULL AND registration_status = 'approved' \
         AND stage NOT IN ('won', 'lost') ORDER BY id LIMIT 2",
    )
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap();
    (ids[0].0, ids[1].0)
}

async fn owner_of(server: &TestServer, deal: i64) -> (Option<String>, String, Option<String>) {
    sqlx::query_as("SELECT crm_owner_id, crm_owner_name, crm_owner_source FROM deals WHERE id = $1")
        .bind(deal)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap()
}

async fn poll(server: &TestServer) -> app::server::crm::sync::PollRun {
    let http = app::server::crm::hubspot::http_client();
    app::server::crm::sync::poll(&server.server.state, &http)
        .await
        .unwrap()
}

fn set_owner(fake: &FakeHubSpot, deal: i64, owner: &str) {
    fake.change_as_sales(
        "deals",
        "prm_registration_id",
        &deal.to_string(),
        &[("hubspot_owner_id", owner)],
    );
}

async fn deal_owners_come_back_named_once_and_shown_on_the_deal(backend: Backend) {
    let (server, fake, admin) = start(backend).await;
    let (a, b) = open_deals(&server).await;
    assert_eq!(
        poll(&server).await.changed,
        0,
        "no owner yet, nothing to read"
    );

    // Sales assigns both deals to Dana: one request names her, both registrations say so.
    fake.add_owner(DANA, "Dana", "Kim", "dana@lumen.example");
    set_owner(&fake, a, DANA);
    set_owner(&fake, b, DANA);
    let asked = fake.requests_to("/crm/owners/");
    let run = poll(&server).await;
    assert_eq!(run.changed, 2, "{run:?}");
    assert_eq!(
        fake.requests_to("/crm/owners/") - asked,
        1,
        "one owner, asked once"
    );
    assert_eq!(
        owner_of(&server, a).await,
        (
            Some(DANA.to_string()),
            "Dana Kim".to_string(),
            Some("hubspot".to_string())
        )
    );
    let trail: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT from_value, to_value, rationale FROM deal_events WHERE deal_id = $1 AND field = 'crm_owner'",
    )
    .bind(a)
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap();
    assert_eq!(
        trail,
        [(
            "Nobody".to_string(),
            "Dana Kim".to_string(),
            "Changed in HubSpot by sales.".to_string()
        )]
    );
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM crm_outbox WHERE state = 'pending'"
        )
        .await,
        0,
        "the owner does not echo back to HubSpot"
    );

    // Read again: nothing changes and nobody is asked about (the portal holds her name).
    set_owner(&fake, a, DANA);
    let asked = fake.requests_to("/crm/owners/");
    assert_eq!(poll(&server).await.changed, 0);
    assert_eq!(fake.requests_to("/crm/owners/"), asked);

    // The deal page names her for staff and for the registering partner; the HTML too.
    assert_eq!(
        shown_owner(&admin, &server, a).await,
        Some(("Dana Kim".to_string(), "HubSpot".to_string()))
    );
    let (partner_email,): (String,) = sqlx::query_as(
        "SELECT u.email FROM deals d JOIN users u ON u.id = d.owner_user_id WHERE d.id = $1",
    )
    .bind(a)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    let partner = sign_in(&server, &partner_email).await;
    let html = common::html_of(&partner, &server, &format!("/deals/{a}")).await;
    assert!(html.contains("Vendor deal owner"), "{html}");
    assert!(html.contains("Dana Kim"));

    // An owner HubSpot no longer has: kept by id, named as such.
    set_owner(&fake, a, "55500001");
    assert_eq!(poll(&server).await.changed, 1);
    assert_eq!(owner_of(&server, a).await.1, "");
    assert_eq!(
        shown_owner(&admin, &server, a).await.unwrap().0,
        "HubSpot user 55500001"
    );

    // Without the owners scope, the new owner is not taken (the portal keeps Dana) and the
    // admins are told which scope to give; once given, the next change names him.
    fake.add_owner("41629780", "Sam", "Ortiz", "sam@lumen.example");
    fake.forbid_owners(true);
    set_owner(&fake, b, "41629780");
    assert_eq!(poll(&server).await.changed, 0);
    assert_eq!(owner_of(&server, b).await.1, "Dana Kim");
    let page = page(&admin, &server).await;
    let problem = page.hubspot.unwrap().last_error.unwrap_or_default();
    assert!(problem.contains("crm.objects.owners.read"), "{problem}");
    fake.forbid_owners(false);
    set_owner(&fake, b, "41629780");
    assert_eq!(poll(&server).await.changed, 1);
    assert_eq!(owner_of(&server, b).await.1, "Sam Ortiz");

    // Unassigned in HubSpot: unassigned in the portal.
    set_owner(&fake, b, "");
    assert_eq!(poll(&server).await.changed, 1);
    assert_eq!(owner_of(&server, b).await, (None, String::new(), None));

    // An admin turns the owner off: HubSpot's owner changes are no longer read. Sending it
    // to HubSpot is refused (only the CRM knows its owners).
    for (direction, status) in [("ToCrm", 422), ("Off", 200)] {
        let response = call(
            &admin,
            &server,
            SetCrmFieldDirection::PATH,
            &[
                ("kind", "Registration"),
                ("property", "hubspot_owner_id"),
                ("direction", direction),
            ],
        )
        .await;
        let got = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(got, status, "{direction}: {body}");
        if status == 422 {
            assert!(
                body.contains("Only the CRM knows who owns a deal"),
                "{body}"
            );
        }
    }
    set_owner(&fake, b, DANA);
    assert_eq!(poll(&server).await.changed, 0);
    assert_eq!(owner_of(&server, b).await.0, None);
    server.stop().await;
}

/// The deal owner the deal page shows the viewer: name and CRM.
async fn shown_owner(
    viewer: &reqwest::Client,
    server: &TestServer,
    deal: i64,
) -> Option<(String, String)> {
    let (status, audit) = invoke::<DealAudit>(
        viewer,
        server,
        app::api::channel::LoadDealAudit::PATH,
        &[("deal_id", deal.to_string().as_str())],
    )
    .await;
    assert_eq!(status, 200);
    audit.unwrap().crm_owner
}

async fn page(admin: &reqwest::Client, server: &TestServer) -> CrmOverview {
    let (status, page) = invoke::<CrmOverview>(admin, server, LoadCrmPage::PATH, &[]).await;
    assert_eq!(status, 200);
    page.unwrap()
}

async fn stage_of(server: &TestServer, deal: i64) -> String {
    let (stage,): (String,) = sqlx::query_as("SELECT stage FROM deals WHERE id = $1")
        .bind(deal)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    stage
}

fn move_deal(fake: &FakeHubSpot, deal: i64, pipeline: &str, stage: &str) {
    fake.change_as_sales(
        "deals",
        "prm_registration_id",
        &deal.to_string(),
        &[("pipeline", pipeline), ("dealstage", stage)],
    );
}

async fn an_admin_maps_a_custom_pipelines_stages_and_sales_moves_follow_the_map(backend: Backend) {
    let (server, fake, admin) = start(backend).await;
    let (a, b) = open_deals(&server).await;
    let before = stage_of(&server, a).await;
    fake.add_pipeline(
        "7001",
        "Channel deals",
        &[
            ("9001", "Partner intro", false, "0.1"),
            ("9002", "Partner demo", false, "0.4"),
            ("9003", "Signed", true, "1.0"),
            ("9004", "No decision", true, "0.0"),
        ],
    );

    // Before the pipelines are read, a custom stage means nothing to the portal.
    move_deal(&fake, a, "7001", "9002");
    assert_eq!(poll(&server).await.changed, 0);
    assert_eq!(stage_of(&server, a).await, before);

    // Only a vendor admin reads pipelines or maps stages.
    let manager = sign_in(&server, MANAGER).await;
    assert_eq!(
        call(&manager, &server, ReadHubspotPipelines::PATH, &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        call(&admin, &server, ReadHubspotPipelines::PATH, &[])
            .await
            .status(),
        200
    );
    let stages = page(&admin, &server).await.hubspot.unwrap().stages;
    assert_eq!(
        stages.len(),
        11,
        "7 default stages and 4 of the channel pipeline"
    );
    let demo = stages.iter().find(|s| s.stage_id == "9002").unwrap();
    assert_eq!(
        (demo.pipeline_label.as_str(), demo.portal_stage),
        ("Channel deals", None)
    );

    // Choices that do not fit are field errors and change nothing.
    let set = |pipeline: &'static str, stage: &'static str, portal: &'static str| {
        let admin = admin.clone();
        let server = &server;
        async move {
            let response = call(
                &admin,
                server,
                SetHubspotStage::PATH,
                &[
                    ("pipeline", pipeline),
                    ("stage", stage),
                    ("portal_stage", portal),
                ],
            )
            .await;
            let status = response.status().as_u16();
            match status {
                200 => (status, None),
                _ => (status, common::reply::<()>(response).await.1.err()),
            }
        }
    };
    for (pipeline, stage, portal) in [
        ("7001", "9002", "won"),
        ("7001", "9003", "lost"),
        ("7001", "9003", ""),
        ("7001", "nope", "propose"),
        ("7001", "9002", "<script>"),
    ] {
        let (status, outcome) = set(pipeline, stage, portal).await;
        assert_eq!(status, 422, "{stage} → {portal}");
        let message = outcome.unwrap().field_message("portal_stage");
        assert!(message.is_some(), "{stage} → {portal}");
    }
    let long = "9".repeat(101);
    let response = call(
        &admin,
        &server,
        SetHubspotStage::PATH,
        &[("pipeline", "7001"), ("stage", &long), ("portal_stage", "")],
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        call(
            &manager,
            &server,
            SetHubspotStage::PATH,
            &[
                ("pipeline", "7001"),
                ("stage", "9002"),
                ("portal_stage", "propose")
            ]
        )
        .await
        .status(),
        403
    );

    // The admin maps "Partner demo" to Propose: sales' move now reaches the registration.
    assert_eq!(set("7001", "9002", "propose").await.0, 200);
    move_deal(&fake, a, "7001", "9002");
    assert_eq!(poll(&server).await.changed, 1);
    assert_eq!(stage_of(&server, a).await, "propose");
    // An open stage left unmapped changes nothing; a closed one is HubSpot's verdict.
    move_deal(&fake, a, "7001", "9001");
    assert_eq!(poll(&server).await.changed, 0);
    assert_eq!(stage_of(&server, a).await, "propose");
    move_deal(&fake, b, "7001", "9004");
    assert_eq!(poll(&server).await.changed, 1);
    assert_eq!(stage_of(&server, b).await, "lost");

    // Reading again keeps the admin's choice.
    assert_eq!(
        call(&admin, &server, ReadHubspotPipelines::PATH, &[])
            .await
            .status(),
        200
    );
    let stages = page(&admin, &server).await.hubspot.unwrap().stages;
    let demo = stages.iter().find(|s| s.stage_id == "9002").unwrap();
    assert_eq!(demo.portal_stage.map(|s| s.as_str()), Some("propose"));

    // The CRM page shows the map to the admin (the stage labels, escaped as text).
    let html = common::html_of(&admin, &server, "/crm").await;
    assert!(
        html.contains("Deal stages") && html.contains("Partner demo"),
        "{html}"
    );
    server.stop().await;
}

both_backends!(
    deal_owners_come_back_named_once_and_shown_on_the_deal,
    an_admin_maps_a_custom_pipelines_stages_and_sales_moves_follow_the_map,
);
