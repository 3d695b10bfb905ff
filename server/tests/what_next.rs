//! What partners are told to do next, over HTTP on SQLite and PostgreSQL: the home page's
//! tiles (each linking where the work is done, and gone once it is done), a current
//! certificate settling its required path in the catalog, the badge and the tiles, and a
//! completed path naming the certificate it counts towards and what that unlocks.
mod common;

use app::api::announcements::{AcknowledgeAnnouncement, PublishAnnouncement};
use app::api::channel::DecideRegistration;
use app::api::learning::LoadCatalog;
use app::api::navigation::LoadNavBadges;
use app::api::orgs::LoadHome;
use app::domain::certification::DAY_MS;
use app::domain::next_steps::{NextKind, NextTile};
use app::model::{CatalogEntry, HomeData, HomeView, NavBadges};
use common::deals::{form, register};
use common::learner::player;
use common::{
    complete_certification_paths, invoke, sign_in, submit_form, Backend, ServerFn, TestServer,
};

const NORA: &str = "nora@northwind.example";
const TOMAS: &str = "tomas@northwind.example";
const MANAGER: &str = "marco@lumen.example";

async fn tiles(client: &reqwest::Client, server: &TestServer) -> Vec<NextTile> {
    let (status, home) = invoke::<HomeData>(client, server, LoadHome::PATH, &[]).await;
    assert_eq!(status, 200, "{home:?}");
    match home.unwrap().view {
        HomeView::Partner { next, .. } => next,
        other => panic!("a partner's home: {other:?}"),
    }
}

async fn catalog(client: &reqwest::Client, server: &TestServer) -> Vec<CatalogEntry> {
    let (status, entries) =
        invoke::<Vec<CatalogEntry>>(client, server, LoadCatalog::PATH, &[]).await;
    assert_eq!(status, 200);
    entries.unwrap()
}

fn find(tiles: &[NextTile], kind: NextKind, href: &str) -> Option<NextTile> {
    tiles
        .iter()
        .find(|t| t.kind == kind && t.href == href)
        .cloned()
}

async fn home_tiles_link_to_the_work_and_go_once_it_is_done(backend: Backend) {
    let server = TestServer::start(backend).await;
    let now = server.server.state.clock.now_ms();
    let nora = sign_in(&server, NORA).await;
    let before = tiles(&nora, &server).await;
    for tile in &before {
        let known = [
            "/learn/",
            "/deals/",
            "/announcements#announcement-",
            "/certificates",
        ];
        assert!(
            known.iter().any(|prefix| tile.href.starts_with(prefix)),
            "{tile:?}"
        );
        assert!(!tile.subject.is_empty(), "{tile:?}");
    }
    let urgent: Vec<bool> = before.iter().map(|t| t.urgent).collect();
    assert!(
        urgent.windows(2).all(|w| w[0] >= w[1]),
        "urgent tiles first: {before:?}"
    );

    // An announcement to acknowledge is a tile until it is acknowledged.
    let manager = sign_in(&server, MANAGER).await;
    let (status, published) = submit_form::<i64>(
        &manager,
        &server,
        PublishAnnouncement::PATH,
        serde_json::json!({"title": "Price list 2027", "body": "New **list prices** from January.",
            "partner_types": [], "tiers": [], "job_roles": [], "requires_ack": true}),
    )
    .await;
    assert_eq!(status, 200, "{published:?}");
    let announcement = published.unwrap();
    let href = format!("/announcements#announcement-{announcement}");
    let tile = find(&tiles(&nora, &server).await, NextKind::Acknowledge, &href)
        .expect("a tile for the announcement");
    assert_eq!(tile.subject, "Price list 2027");
    assert!(tile.urgent);
    let (status, _) = invoke::<()>(
        &nora,
        &server,
        AcknowledgeAnnouncement::PATH,
        &[("announcement_id", &announcement.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    assert!(find(&tiles(&nora, &server).await, NextKind::Acknowledge, &href).is_none());

    // A protection ending within days is a tile, urgent, dated by its end.
    let (status, outcome) = register(
        &nora,
        &server,
        form("Helios Labs", "helioslabs.de", "30000", ""),
    )
    .await;
    assert_eq!(status, 200, "{outcome:?}");
    let deal = outcome.unwrap().deal_id;
    let ends = now + 3 * DAY_MS;
    sqlx::query("UPDATE deals SET protected_until = $1 WHERE id = $2")
        .bind(ends)
        .bind(deal)
        .execute(&server.server.state.db.write)
        .await
        .unwrap();
    let tile = find(
        &tiles(&nora, &server).await,
        NextKind::ProtectionEnding,
        &format!("/deals/{deal}"),
    )
    .expect("a tile for the protection ending");
    assert_eq!(
        (tile.subject.as_str(), tile.at, tile.urgent),
        ("Helios Labs", Some(ends), true)
    );

    // A manager asking for more information puts the deal on the partner's list.
    let (waiting,): (i64,) = sqlx::query_as(
        "SELECT d.id FROM deals d JOIN users u ON u.partner_org_id = d.partner_org_id \
         WHERE u.email = $1 AND d.registration_status = 'pending' ORDER BY d.id LIMIT 1",
    )
    .bind(NORA)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    let (status, decided) = invoke::<()>(
        &manager,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &waiting.to_string()),
            ("decision", "request_info"),
            ("rationale", "Which business unit is buying?"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{decided:?}");
    let tiles_now = tiles(&nora, &server).await;
    let tile = find(
        &tiles_now,
        NextKind::InfoRequested,
        &format!("/deals/{waiting}"),
    )
    .expect("a tile for the question");
    assert!(tile.urgent);

    // The page shows them as links, counted.
    let page = common::html_of(&nora, &server, "/").await;
    assert!(page.contains("What next"));
    assert!(page.contains(&format!("href=\"/deals/{waiting}\"")));
    assert!(page.contains(&format!("{} things wait on you.", tiles_now.len())));
    server.stop().await;
}

async fn a_current_certificate_settles_its_required_path(backend: Backend) {
    let server = TestServer::start(backend).await;
    let now = server.server.state.clock.now_ms();
    let nora = sign_in(&server, NORA).await;
    let entries = catalog(&nora, &server).await;
    let certified: Vec<&CatalogEntry> = entries.iter().filter(|e| e.certified.is_some()).collect();
    assert!(
        !certified.is_empty(),
        "the demo's Nora holds a certificate without having taken its path here"
    );
    for entry in &certified {
        let held = entry.certified.clone().unwrap();
        assert!(entry.completed_at.is_none() && entry.recertify_by.is_none());
        assert!(held.expires_at > now && !held.name.is_empty(), "{held:?}");
    }
    // Neither the badge nor the home page asks for it.
    let (_, badges) = invoke::<NavBadges>(&nora, &server, LoadNavBadges::PATH, &[]).await;
    let due = entries
        .iter()
        .filter(|e| e.required && e.completed_at.is_none() && e.certified.is_none())
        .count();
    assert_eq!(badges.unwrap().training_due, due);
    let home = tiles(&nora, &server).await;
    for entry in &certified {
        let href = format!("/learn/{}", entry.path_id);
        assert!(
            home.iter().all(|t| t.href != href),
            "no training tile for {}",
            entry.title
        );
    }
    // The catalog says why there is nothing to do, instead of 0 %.
    let page = common::html_of(&nora, &server, "/learn").await;
    assert!(page.contains("Nothing is due here: your "), "{page}");
    server.stop().await;
}

async fn a_completed_path_names_its_certificate_and_what_it_unlocks(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (certification, path): (String, i64) = sqlx::query_as(
        "SELECT k.name, cp.path_id FROM certifications k \
         JOIN certification_paths cp ON cp.certification_id = k.id \
         WHERE EXISTS (SELECT 1 FROM certification_rights r WHERE r.certification_id = k.id) \
         ORDER BY k.id LIMIT 1",
    )
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    let tomas = sign_in(&server, TOMAS).await;
    assert!(
        player(&tomas, &server, path, None).await.earned.is_empty(),
        "nothing to celebrate before completion"
    );
    complete_certification_paths(&server, TOMAS, &certification).await;
    let data = player(&tomas, &server, path, None).await;
    assert!(data.path.completed_at.is_some());
    let earned = data.earned;
    assert_eq!(earned.len(), 1, "{earned:?}");
    assert_eq!(earned[0].name, certification);
    assert_eq!(
        earned[0].unlocks,
        vec![
            "Selling Lumen Connect".to_string(),
            "Delivering implementations".to_string()
        ]
    );
    let page = common::html_of(&tomas, &server, &format!("/learn/{path}")).await;
    assert!(page.contains("Path complete. Well done!"));
    assert!(page.contains("Selling Lumen Connect"));
    assert!(page.contains("href=\"/certificates\""));
    server.stop().await;
}

both_backends!(
    home_tiles_link_to_the_work_and_go_once_it_is_done,
    a_current_certificate_settles_its_required_path,
    a_completed_path_names_its_certificate_and_what_it_unlocks,
);
