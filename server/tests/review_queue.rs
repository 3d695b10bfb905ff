//! The review queue as a work list, over HTTP on SQLite and PostgreSQL: counts by SLA state,
//! filters, search and pages over the demo's waiting registrations; conflicts weighed again
//! on every load; bulk approval of clean registrations that re-checks each one; and
//! decisions that send the manager back to the queue as they filtered it, confirmed.
mod common;

use app::api::channel::{ApproveRegistrations, DecideRegistration, LoadReviewQueue, LoadStaffDeal};
use app::domain::channel::clocks::SlaState;
use app::domain::channel::deals::RegistrationStatus;
use app::domain::channel::queue::{ConflictKind, QUEUE_PAGE_SIZE};
use app::model::{QueuePage, StaffDeal};
use common::deals::{form, register};
use common::{html_of, invoke, sign_in, Backend, ServerFn, TestServer};

const MANAGER: &str = "marco@lumen.example";
const NORTHWIND: &str = "nora@northwind.example";
const BLUEFIN: &str = "ben@bluefin.example";

/// The queue as the page loads it: its one argument is the query (`query[sla]=…`).
async fn queue(client: &reqwest::Client, server: &TestServer, args: &[(&str, &str)]) -> QueuePage {
    let fields: Vec<(String, &str)> = args
        .iter()
        .map(|(key, value)| (format!("query[{key}]"), *value))
        .collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let (status, page) = invoke::<QueuePage>(client, server, LoadReviewQueue::PATH, &fields).await;
    assert_eq!(status, 200, "{args:?}");
    page.unwrap()
}

async fn status_of(server: &TestServer, deal_id: i64) -> String {
    let (status,): (String,) =
        sqlx::query_as("SELECT registration_status FROM deals WHERE id = $1")
            .bind(deal_id)
            .fetch_one(&server.server.state.db.read)
            .await
            .unwrap();
    status
}

async fn managers_count_filter_search_and_page_the_queue(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let all = queue(&manager, &server, &[]).await;
    assert!(
        all.waiting > QUEUE_PAGE_SIZE,
        "the demo fills more than a page"
    );
    assert_eq!(all.matching, all.waiting);
    assert_eq!(all.counts.total(), all.waiting);
    assert_eq!(all.items.len(), QUEUE_PAGE_SIZE);
    assert_eq!((all.page, all.first), (1, 1));
    assert_eq!(all.page_count, all.waiting.div_ceil(QUEUE_PAGE_SIZE));
    assert!(all.counts.breached > 0 && all.counts.on_track > 0);
    let keys: Vec<i64> = all.items.iter().map(|q| q.sla.urgency_key()).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "most urgent first");

    // Each SLA state lists exactly as many as its count says.
    let breached = queue(&manager, &server, &[("sla", "breached")]).await;
    assert_eq!(breached.matching, all.counts.breached);
    assert!(breached
        .items
        .iter()
        .all(|q| matches!(q.sla, SlaState::Breached { .. })));
    assert_eq!(
        breached.counts, all.counts,
        "counts ignore the SLA filter itself"
    );

    // Pages: the second starts where the first stopped, and nothing repeats.
    let second = queue(&manager, &server, &[("page", "2")]).await;
    assert_eq!((second.page, second.first), (2, QUEUE_PAGE_SIZE + 1));
    assert!(second
        .items
        .iter()
        .all(|q| all.items.iter().all(|first| first.deal_id != q.deal_id)));

    // Partner, motion, conflict and search filters, and their counts.
    let partner = all.partners.first().cloned().unwrap();
    let of_partner = queue(&manager, &server, &[("partner", &partner.0.to_string())]).await;
    assert!(of_partner.matching > 0);
    assert!(of_partner
        .items
        .iter()
        .all(|q| q.partner_org_id == Some(partner.0)));
    assert_eq!(of_partner.counts.total(), of_partner.matching);
    let word = partner.1.split_whitespace().next().unwrap().to_uppercase();
    let searched = queue(&manager, &server, &[("search", &word)]).await;
    assert!(searched.matching >= of_partner.matching);
    assert!(searched.items.iter().all(|q| {
        format!("{} {} {}", q.account_name, q.partner_name, q.owner_name)
            .to_lowercase()
            .contains(&word.to_lowercase())
    }));
    let referral = queue(&manager, &server, &[("motion", "referral")]).await;
    assert!(referral.matching > 0);
    assert!(referral
        .items
        .iter()
        .all(|q| q.motion.as_str() == "referral"));
    let direct = queue(&manager, &server, &[("conflict", "direct")]).await;
    assert!(direct.matching > 0);
    assert!(direct
        .items
        .iter()
        .all(|q| q.conflicts.contains(&ConflictKind::DirectTeam)
            && q.others.iter().any(|o| o.party == "Direct sales")));
    let clean = queue(&manager, &server, &[("conflict", "clean")]).await;
    assert!(
        clean.matching > 0,
        "the demo has clean registrations waiting"
    );
    assert!(clean.items.iter().all(|q| q.conflicts.is_empty()));
    assert!(clean.items.iter().all(|q| q
        .explanation
        .last()
        .is_some_and(|l| l.starts_with("Clean:"))));
    let region = all.regions.first().cloned().unwrap();
    let in_region = queue(&manager, &server, &[("region", &region)]).await;
    assert!(in_region.items.iter().all(|q| q.region == region));
    let nothing = queue(&manager, &server, &[("search", "zzzz-no-such-customer")]).await;
    assert_eq!((nothing.matching, nothing.items.len()), (0, 0));
    assert_eq!(nothing.waiting, all.waiting);

    // Filters that cannot be used are named at their fields; the rest still apply.
    let long = "x".repeat(101);
    let bad = queue(
        &manager,
        &server,
        &[
            ("conflict", "bogus"),
            ("page", "0"),
            ("search", &long),
            ("motion", "referral"),
        ],
    )
    .await;
    let fields: Vec<&str> = bad.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["search", "conflict", "page"]);
    assert_eq!(bad.matching, referral.matching);
    let html = html_of(&manager, &server, "/deals/queue?conflict=bogus").await;
    let slot = html
        .find(r#"id="q-conflict-error""#)
        .expect("the conflict slot");
    assert!(
        html[slot..slot + 120].contains("Choose a kind of conflict from the list."),
        "the problem is at its field"
    );
    assert!(!html.contains("correct the highlighted"));

    // Partners cannot read the queue.
    let partner = sign_in(&server, NORTHWIND).await;
    let (status, _) = invoke::<QueuePage>(&partner, &server, LoadReviewQueue::PATH, &[]).await;
    assert_eq!(status, 403);
    server.stop().await;
}

async fn bulk_approval_takes_only_registrations_still_clean(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    // A registration contested only by a rival's waiting registration becomes clean once
    // the rival is declined: the queue weighs the claims again on every load.
    let competing = queue(&manager, &server, &[("conflict", "competing")]).await;
    let freed = competing
        .items
        .iter()
        .find(|q| q.conflicts == [ConflictKind::CompetingRegistration] && q.others.len() == 1)
        .cloned()
        .expect("a registration with one waiting rival");
    let rival_id = freed.others[0].deal_id.to_string();
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &rival_id),
            ("decision", "decline"),
            (
                "rationale",
                "The other partner registered first with evidence.",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let clean = queue(&manager, &server, &[("conflict", "clean")]).await;
    assert!(
        clean.items.len() >= 3,
        "three clean registrations to work with"
    );
    let b = clean
        .items
        .iter()
        .find(|q| q.deal_id == freed.deal_id)
        .expect("clean once its rival was declined");
    // The raced customer must not be Bluefin's own (its rival registration would then be
    // refused as a duplicate).
    let raced = clean
        .items
        .iter()
        .find(|q| q.partner_name != "Bluefin Systems" && q.deal_id != b.deal_id)
        .expect("a clean registration of another partner");
    let a = clean
        .items
        .iter()
        .find(|q| q.deal_id != raced.deal_id && q.deal_id != b.deal_id)
        .unwrap();
    let contested = competing
        .items
        .iter()
        .find(|q| q.deal_id != freed.deal_id && q.deal_id.to_string() != rival_id)
        .cloned()
        .expect("a contested registration");

    // After the page was read, another partner registers the third customer: it is no
    // longer clean, so bulk approval must leave it.
    let (domain,): (String,) = sqlx::query_as(
        "SELECT ad.domain FROM account_domains ad JOIN deals d ON d.account_id = ad.account_id \
         WHERE d.id = $1 ORDER BY ad.domain LIMIT 1",
    )
    .bind(raced.deal_id)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    let bluefin = sign_in(&server, BLUEFIN).await;
    let (status, rival) = register(
        &bluefin,
        &server,
        form(&raced.account_name, &domain, "30000", ""),
    )
    .await;
    assert_eq!(status, 200, "{rival:?}");
    assert_eq!(rival.unwrap().status, RegistrationStatus::Pending);

    let rationale = "Checked the customer records: no overlap with anyone.";
    let picked = |ids: &[i64]| {
        ids.iter()
            .map(|id| (format!("approve[{id}]"), "on".to_string()))
            .collect::<Vec<_>>()
    };
    // Nothing ticked, a short rationale, a foreign id: field errors, nothing changes.
    let (status, none) = invoke::<()>(
        &manager,
        &server,
        ApproveRegistrations::PATH,
        &[("rationale", rationale)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(none.unwrap_err().field_message("approve").is_some());
    let short: Vec<(String, String)> = picked(&[a.deal_id])
        .into_iter()
        .chain([("rationale".to_string(), "ok".to_string())])
        .collect();
    let short: Vec<(&str, &str)> = short
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, error) = invoke::<()>(&manager, &server, ApproveRegistrations::PATH, &short).await;
    assert_eq!(status, 422);
    assert!(error.unwrap_err().field_message("rationale").is_some());
    assert_eq!(status_of(&server, a.deal_id).await, "pending");
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        ApproveRegistrations::PATH,
        &[("approve[x]", "on"), ("rationale", rationale)],
    )
    .await;
    assert_eq!(status, 422);
    let too_many: Vec<(String, String)> = picked(&(1..=51).collect::<Vec<_>>())
        .into_iter()
        .chain([("rationale".to_string(), rationale.to_string())])
        .collect();
    let too_many: Vec<(&str, &str)> = too_many
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, _) = invoke::<()>(&manager, &server, ApproveRegistrations::PATH, &too_many).await;
    assert_eq!(status, 422);

    // Partners may not approve anything.
    let partner = sign_in(&server, NORTHWIND).await;
    let mut fields = picked(&[a.deal_id]);
    fields.push(("rationale".into(), rationale.into()));
    let (status, _) = {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        invoke::<()>(&partner, &server, ApproveRegistrations::PATH, &pairs).await
    };
    assert_eq!(status, 403);
    assert_eq!(status_of(&server, a.deal_id).await, "pending");

    // The plain form post, as the page sends it without script.
    let mut fields = picked(&[a.deal_id, b.deal_id, raced.deal_id, contested.deal_id]);
    fields.push(("rationale".into(), rationale.into()));
    fields.push(("back".into(), "conflict=clean&page=1".into()));
    let response = manager
        .post(server.url(ApproveRegistrations::PATH))
        .header("accept", "text/html")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let mut approved = [a.deal_id, b.deal_id];
    approved.sort();
    let mut skipped = [raced.deal_id, contested.deal_id];
    skipped.sort();
    assert_eq!(
        location,
        format!(
            "/deals/queue?conflict=clean&page=1&decided={},{}&skipped={},{}",
            approved[0], approved[1], skipped[0], skipped[1]
        )
    );
    for id in approved {
        assert_eq!(status_of(&server, id).await, "approved");
        let (kept,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM deal_events WHERE deal_id = $1 AND rationale = $2",
        )
        .bind(id)
        .bind(rationale)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
        assert!(kept >= 1, "the audit trail keeps the rationale of {id}");
    }
    for id in skipped {
        assert_eq!(status_of(&server, id).await, "pending");
    }
    // The page it leads to confirms both lists, with links to each trail.
    let html = html_of(&manager, &server, &location).await;
    assert!(html.contains("2 decisions recorded"), "confirmation");
    assert!(html.contains("2 left for review"), "skipped named");
    assert!(html.contains(&format!(r##"href="/deals/{}#trail""##, a.deal_id)));
    // Approving again changes nothing: both are skipped.
    let mut again = picked(&[a.deal_id]);
    again.push(("rationale".into(), rationale.into()));
    let response = manager
        .post(server.url(ApproveRegistrations::PATH))
        .header("accept", "text/html")
        .form(&again)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap();
    assert_eq!(location, format!("/deals/queue?skipped={}", a.deal_id));
    server.stop().await;
}

async fn a_decision_returns_to_the_filtered_queue_and_confirms_it(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let page = queue(&manager, &server, &[("conflict", "direct")]).await;
    let item = page.items.first().cloned().unwrap();
    let response = manager
        .post(server.url(DecideRegistration::PATH))
        .header("accept", "text/html")
        .form(&[
            ("deal_id", item.deal_id.to_string().as_str()),
            ("decision", "decline"),
            ("rationale", "Direct sales has run this account for a year."),
            // Anything but the queue's own filters is dropped from the way back.
            (
                "back",
                "conflict=direct&next=https://evil.example&search=a%0d%0a",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection());
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        location,
        format!(
            "/deals/queue?conflict=direct&search=a%0d%0a&decided={}",
            item.deal_id
        )
    );
    assert_eq!(status_of(&server, item.deal_id).await, "declined");
    let html = html_of(&manager, &server, &location).await;
    assert!(html.contains("Decision recorded"));
    assert!(html.contains(&format!(r#"href="/deals/{}""#, item.deal_id)));
    // The queue itself names the customer, links the deal and its partner, and lists the
    // other claims on the customer with links to them.
    let html = html_of(&manager, &server, "/deals/queue?conflict=direct").await;
    let next = queue(&manager, &server, &[("conflict", "direct")]).await;
    let first = next.items.first().unwrap();
    assert!(html.contains(&format!(r#"href="/deals/{}""#, first.deal_id)));
    if let Some(org) = first.partner_org_id {
        assert!(html.contains(&format!(r#"href="/partners/{org}""#)));
    }
    let other = first.others.first().unwrap();
    assert!(html.contains(&format!(r#"href="/deals/{}""#, other.deal_id)));
    assert!(html.contains("Other claims on this customer"));
    server.stop().await;
}

async fn staff_see_the_deal_itself_and_decide_it_on_its_page(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let waiting = queue(&manager, &server, &[("conflict", "direct")])
        .await
        .items[0]
        .clone();
    let id = waiting.deal_id.to_string();
    let (status, deal) =
        invoke::<StaffDeal>(&manager, &server, LoadStaffDeal::PATH, &[("deal_id", &id)]).await;
    assert_eq!(status, 200);
    let deal = deal.unwrap();
    assert_eq!(
        (
            deal.account_name.as_str(),
            deal.amount_cents,
            deal.partner_org_id
        ),
        (
            waiting.account_name.as_str(),
            waiting.amount_cents,
            waiting.partner_org_id
        )
    );
    // While it waits: the same weighing as the queue's card, and the other claims.
    // (The SLA clock moves on between the two reads.)
    let mut review = deal.review.clone().expect("waiting for review");
    review.sla = waiting.sla;
    assert_eq!(review, waiting);
    assert_eq!(deal.others, waiting.others);
    assert!(deal.others.iter().any(|o| o.party == "Direct sales"));
    assert!(!deal.at_registration.is_empty());
    let html = html_of(&manager, &server, &format!("/deals/{id}")).await;
    assert!(html.contains("Decide this registration"));
    assert!(html.contains(r#"id="trail""#));

    // Decided from its page, the manager comes back to it.
    let response = manager
        .post(server.url(DecideRegistration::PATH))
        .header("accept", "text/html")
        .form(&[
            ("deal_id", id.as_str()),
            ("decision", "approve"),
            (
                "rationale",
                "The partner sourced it; direct sales steps back.",
            ),
            ("back", "deal"),
        ])
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, format!("/deals/{id}?decided={id}#decided"));
    let (_, deal) =
        invoke::<StaffDeal>(&manager, &server, LoadStaffDeal::PATH, &[("deal_id", &id)]).await;
    let deal = deal.unwrap();
    assert_eq!(deal.status, RegistrationStatus::Approved);
    assert!(deal.review.is_none() && deal.protected_until.is_some());
    let html = html_of(&manager, &server, &format!("/deals/{id}?decided={id}")).await;
    assert!(html.contains("Decision recorded: "));
    assert!(!html.contains("Decide this registration"));

    // Partners never get the staff view, not even of their own deal; unknown deals are 404.
    let owner = sign_in(&server, NORTHWIND).await;
    let (status, _) =
        invoke::<StaffDeal>(&owner, &server, LoadStaffDeal::PATH, &[("deal_id", &id)]).await;
    assert_eq!(status, 403);
    let (status, _) = invoke::<StaffDeal>(
        &manager,
        &server,
        LoadStaffDeal::PATH,
        &[("deal_id", "999999")],
    )
    .await;
    assert_eq!(status, 404);
    server.stop().await;
}

both_backends!(
    staff_see_the_deal_itself_and_decide_it_on_its_page,
    managers_count_filter_search_and_page_the_queue,
    bulk_approval_takes_only_registrations_still_clean,
    a_decision_returns_to_the_filtered_queue_and_confirms_it,
);
