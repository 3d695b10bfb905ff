//! Program analytics on SQLite and PostgreSQL, over a small hand-built program whose answers
//! are worked out here: two organisations in their own region, a path for everyone, and who
//! finished it. The completion view's counts, Wilson intervals, "too few" rows and the
//! time-to-finish rule; filters checked as fields; staff only; the CSV (read by Python's csv
//! module) has exactly the table's rows and repeats the filters. Certified vs not: each deal
//! takes the certification its organisation held on its creation day, strata by tenure, the
//! pooled and stratified counts, revenue and exposure.
mod common;

use app::api::insights::{
    LoadAtRisk, LoadCertificateInsight, LoadCertifiedInsight, LoadCohortInsight,
    LoadCompletionInsight, LoadFirstDealInsight, LoadFunnelInsight, LoadQuizInsight,
    LoadRegistrationInsight, LoadSatisfactionInsight, LoadScorecard, LoadSourcedInsight,
    NudgeLearner, AT_RISK_CSV_PATH, CERTIFICATES_CSV_PATH, CERTIFIED_CSV_PATH, COHORTS_CSV_PATH,
    COMPLETION_CSV_PATH, FIRST_DEAL_CSV_PATH, FUNNEL_CSV_PATH, QUIZ_CSV_PATH,
    REGISTRATIONS_CSV_PATH, SATISFACTION_CSV_PATH, SCORECARD_CSV_PATH, SOURCED_CSV_PATH,
};
use app::model::{
    AtRiskInsight, CertificateInsight, CertifiedInsight, CompletionInsight, CurveInsight,
    FunnelInsight, QuizInsight, RegistrationInsight, SatisfactionInsight, Scorecard,
    SourcedInsight,
};
use common::{invoke, sign_in, Backend, ServerFn, TestServer};

const DAY_MS: i64 = 86_400_000;

/// An organisation in "Testland" (of the lowest tier, which the tier clock never changes
/// without certificates) with `people` partner users, the first `finished` of whom
/// completed `path`.
async fn organisation(
    server: &TestServer,
    (name, partner_type): (&str, &str),
    people: usize,
    finished: usize,
    path: i64,
) {
    let db = &server.server.state.db.write;
    let now = server.server.state.clock.now_ms();
    let (org,): (i64,) = sqlx::query_as(
        "INSERT INTO partner_orgs (name, partner_type, tier, region, vertical, created_at) \
         VALUES ($1, $2, 'registered', 'Testland', 'Software', $3) RETURNING id",
    )
    .bind(name)
    .bind(partner_type)
    .bind(now - 400 * DAY_MS)
    .fetch_one(db)
    .await
    .unwrap();
    for i in 0..people {
        let (user,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, display_name, role, job_role, partner_org_id, created_at) \
             VALUES ($1, $2, 'partner_user', 'sales', $3, $4) RETURNING id",
        )
        .bind(format!(
            "person{i}@{}.example",
            name.to_lowercase().replace(' ', "-")
        ))
        .bind(format!("Person {i}"))
        .bind(org)
        .bind(now - 300 * DAY_MS)
        .fetch_one(db)
        .await
        .unwrap();
        if i < finished {
            sqlx::query(
                "INSERT INTO path_completions (user_id, path_id, path_version, completed_at) VALUES ($1, $2, 1, $3)",
            )
            .bind(user)
            .bind(path)
            .bind(now)
            .execute(db)
            .await
            .unwrap();
        }
    }
}

async fn completion_by_segment_is_counted_as_worked_out_by_hand(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let now = state.clock.now_ms();
    // A path for everyone, published 60 days ago.
    let (path,): (i64,) = sqlx::query_as(
        "INSERT INTO learning_paths (title, audience_json, status, created_at, updated_at, first_published_at) \
         VALUES ('Everyone basics', '{}', 'published', $1, $1, $1) RETURNING id",
    )
    .bind(now - 60 * DAY_MS)
    .fetch_one(&state.db.write)
    .await
    .unwrap();
    // Resellers: 10 of 14 finished. Referral partners: 3 of 12. Distributors: 2 of 2.
    organisation(&server, ("Test Resale", "reseller"), 14, 10, path).await;
    organisation(&server, ("Test Referral", "referral"), 12, 3, path).await;
    organisation(&server, ("Test Distribution", "distributor"), 2, 2, path).await;
    // Someone who joined 20 days ago has not had 30 days: not counted.
    sqlx::query(
        "INSERT INTO users (email, display_name, role, job_role, partner_org_id, created_at) \
         SELECT 'late@test-resale.example', 'Late', 'partner_user', 'sales', id, $1 FROM partner_orgs WHERE name = 'Test Resale'",
    )
    .bind(now - 20 * DAY_MS)
    .execute(&state.db.write)
    .await
    .unwrap();

    let manager = sign_in(&server, "marco@lumen.example").await;
    let path_text = path.to_string();
    let ask = |client: reqwest::Client, args: Vec<(&'static str, String)>| {
        let server = &server;
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            invoke::<CompletionInsight>(&client, server, LoadCompletionInsight::PATH, &args).await
        }
    };
    let filtered = vec![
        ("query[region]", "Testland".to_string()),
        ("query[path]", path_text.clone()),
        ("query[by]", "partner_type".to_string()),
    ];
    let (status, view) = ask(manager.clone(), filtered.clone()).await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    assert_eq!(view.segment, "partner_type");
    assert!(view.window.ends_with("(12 months, UTC)"), "{}", view.window);
    assert_eq!((view.overall.successes, view.overall.n), (15, 28));
    let rows: Vec<(&str, u64, u64)> = view
        .rows
        .iter()
        .map(|r| (r.label.as_str(), r.successes, r.n))
        .collect();
    // Ranked by the lower bound; the two-person group is last and shows no rate.
    assert_eq!(
        rows,
        [
            ("Reseller", 10, 14),
            ("Referral partner", 3, 12),
            ("Distributor", 2, 2)
        ]
    );
    let resellers = &view.rows[0];
    assert!(
        (resellers.lower.unwrap() - 0.4535).abs() < 5e-5,
        "{resellers:?}"
    );
    assert!(
        (resellers.upper.unwrap() - 0.8828).abs() < 5e-5,
        "{resellers:?}"
    );
    assert_eq!(view.rows[2].estimate, None, "too few");
    assert!(view.regions.contains(&"Testland".to_string()));

    // The page draws the chart on the server: an image named by its title and description.
    let html = manager
        .get(server.url(&format!(
            "/insights/completion?region=Testland&path={path}&by=partner_type"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(
            r#"role="img" aria-labelledby="completion-chart-title completion-chart-desc""#
        ),
        "{html}"
    );
    assert!(html.contains("Reseller 71% (95% interval 45%–88%, n = 14)"));
    assert!(html.contains("Distributor too few to show (n = 2)"));

    // Another split and a narrower filter.
    let mut by_role = filtered.clone();
    by_role[2] = ("query[by]", "job_role".to_string());
    by_role.push(("query[partner_type]", "referral".to_string()));
    let (_, view) = ask(manager.clone(), by_role).await;
    let view = view.unwrap();
    assert_eq!(view.rows.len(), 1);
    assert_eq!((view.rows[0].label.as_str(), view.rows[0].n), ("Sales", 12));

    // A bad filter is a field error, never a 500.
    let (status, refused) = ask(
        manager.clone(),
        vec![
            ("query[tier]", "diamond".to_string()),
            ("query[months]", "7".to_string()),
            ("query[region]", "x".repeat(101)),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    for field in ["tier", "months", "region"] {
        assert!(refused.field_message(field).is_some(), "{field}");
    }
    // Partners see none of it.
    let partner = sign_in(&server, "nora@northwind.example").await;
    let (status, _) = ask(partner.clone(), filtered).await;
    assert_eq!(status, 403);

    // The CSV: the table's rows (and the overall row), each repeating the filters.
    let link = format!("{COMPLETION_CSV_PATH}?region=Testland&path={path}&by=partner_type");
    let download = manager.get(server.url(&link)).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"completion-by-segment.csv\""
    );
    let parsed = common::python_json_of("parse_csv.py", "csv", &download.text().await.unwrap());
    let header: Vec<&str> = parsed["header"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(&header[..3], ["segment", "completed", "assigned"]);
    let csv_rows = parsed["rows"].as_array().unwrap();
    assert_eq!(csv_rows.len(), 4, "three partner types and the overall row");
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(csv_rows[0][column("lower_95")], "0.4535");
    assert_eq!(csv_rows[2][column("rate")], "", "too few: no rate");
    assert_eq!(csv_rows[3][column("segment")], "All");
    for row in csv_rows {
        assert_eq!(row[column("region")], "Testland");
        assert_eq!(row[column("path_id")], path_text.as_str());
        assert_eq!(row[column("split_by")], "partner_type");
    }
    let refused = partner.get(server.url(&link)).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let bad = manager
        .get(server.url(&format!("{COMPLETION_CSV_PATH}?months=abc")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    server.stop().await;
}

/// A published path for everyone with a required video and a required quiz, published
/// 60 days ago; and a certification that requires it and a second path nobody finishes (so
/// the issuing job never certifies anyone on its own).
async fn path_with_a_quiz(server: &TestServer, title: &str) -> (i64, i64, i64, i64) {
    let db = &server.server.state.db.write;
    let now = server.server.state.clock.now_ms();
    let mut ids = Vec::new();
    for name in [title.to_string(), format!("{title} part two")] {
        let (path,): (i64,) = sqlx::query_as(
            "INSERT INTO learning_paths (title, audience_json, status, created_at, updated_at, first_published_at) \
             VALUES ($1, '{}', 'published', $2, $2, $2) RETURNING id",
        )
        .bind(name)
        .bind(now - 60 * DAY_MS)
        .fetch_one(db)
        .await
        .unwrap();
        ids.push(path);
    }
    let mut steps = Vec::new();
    for (position, kind) in [(1, "video"), (2, "quiz")] {
        let (step,): (i64,) = sqlx::query_as(
            "INSERT INTO path_steps (path_id, position, kind, title, created_at) \
             VALUES ($1, $2, $3, 'Step', $4) RETURNING id",
        )
        .bind(ids[0])
        .bind(position)
        .bind(kind)
        .bind(now - 60 * DAY_MS)
        .fetch_one(db)
        .await
        .unwrap();
        steps.push(step);
    }
    let (certification,): (i64,) = sqlx::query_as(
        "INSERT INTO certifications (name, validity_months, recert_window_days, created_at) \
         VALUES ($1, 24, 30, $2) RETURNING id",
    )
    .bind(format!("{title} certified"))
    .bind(now - 60 * DAY_MS)
    .fetch_one(db)
    .await
    .unwrap();
    for path in &ids {
        sqlx::query("INSERT INTO certification_paths (certification_id, path_id) VALUES ($1, $2)")
            .bind(certification)
            .bind(path)
            .execute(db)
            .await
            .unwrap();
    }
    (ids[0], steps[0], steps[1], certification)
}

async fn the_learning_funnel_counts_each_stage_as_worked_out_by_hand(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let db = &state.db.write;
    let now = state.clock.now_ms();
    let (path, video, quiz, certification) = path_with_a_quiz(&server, "Funnel basics").await;
    // Twelve people; the first six completed the path.
    organisation(&server, ("Funnel Co", "reseller"), 12, 6, path).await;
    let people: Vec<(i64,)> = sqlx::query_as(
        "SELECT u.id FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id \
         WHERE o.name = 'Funnel Co' ORDER BY u.id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let people: Vec<i64> = people.into_iter().map(|(id,)| id).collect();
    // Nine watched the video to the end (the lessons); the tenth only tried the quiz; the
    // eleventh opened the video without finishing it (not a start); the twelfth did nothing.
    for (i, person) in people.iter().enumerate().take(11) {
        let done = (i < 9).then_some(now - 20 * DAY_MS);
        if i != 9 {
            sqlx::query(
                "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) VALUES ($1, $2, 30, $3, $4)",
            )
            .bind(person)
            .bind(video)
            .bind(done)
            .bind(now - 20 * DAY_MS)
            .execute(db)
            .await
            .unwrap();
        }
        if i == 9 {
            sqlx::query(
                "INSERT INTO quiz_attempts (step_id, user_id, attempt_number, seed, started_at) VALUES ($1, $2, 1, 7, $3)",
            )
            .bind(quiz)
            .bind(person)
            .bind(now - 10 * DAY_MS)
            .execute(db)
            .await
            .unwrap();
        }
    }
    // Two of the six who passed hold the certificate.
    for (i, person) in people.iter().enumerate().take(2) {
        sqlx::query(
            "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(certification)
        .bind(person)
        .bind(format!("funnel-code-{i}"))
        .bind(now - 5 * DAY_MS)
        .bind(now + 700 * DAY_MS)
        .execute(db)
        .await
        .unwrap();
    }

    let manager = sign_in(&server, "marco@lumen.example").await;
    let path_text = path.to_string();
    let ask = |client: reqwest::Client, args: Vec<(&'static str, String)>| {
        let server = &server;
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            invoke::<FunnelInsight>(&client, server, LoadFunnelInsight::PATH, &args).await
        }
    };
    let filtered = vec![
        ("query[region]", "Testland".to_string()),
        ("query[path]", path_text.clone()),
    ];
    let (status, view) = ask(manager.clone(), filtered.clone()).await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    assert_eq!(view.split, "path");
    assert_eq!(view.overall.reached, [12, 10, 9, 6, 2]);
    let conversions: Vec<(u64, u64, Option<f64>)> = view
        .overall
        .conversions
        .iter()
        .map(|c| {
            let c = c.clone().unwrap();
            (c.successes, c.n, c.estimate)
        })
        .collect();
    let share = |x: f64, n: f64| Some(x / n);
    assert_eq!(conversions[0], (10, 12, share(10.0, 12.0)));
    assert_eq!(conversions[1], (9, 10, share(9.0, 10.0)));
    assert_eq!(conversions[2], (6, 9, None), "under 10: too few for a rate");
    assert_eq!(
        conversions[3],
        (2, 6, None),
        "over those who passed a certifying path"
    );
    assert_eq!(view.rows.len(), 1);
    assert_eq!(view.rows[0].label, "Funnel basics");

    // By job role, narrowed to another partner type: nobody.
    let mut narrowed = filtered.clone();
    narrowed.push(("query[by]", "job_role".to_string()));
    narrowed.push(("query[partner_type]", "distributor".to_string()));
    let (_, view) = ask(manager.clone(), narrowed).await;
    let view = view.unwrap();
    assert_eq!(
        (view.split.as_str(), view.overall.reached[0]),
        ("job_role", 0)
    );

    // The page: the chart is an image with a title and a description naming each stage.
    let html = common::html_of(
        &manager,
        &server,
        &format!("/insights/funnel?region=Testland&path={path}"),
    )
    .await;
    assert!(
        html.contains(r#"role="img" aria-labelledby="funnel-chart-title funnel-chart-desc""#),
        "{html}"
    );
    assert!(html.contains("Assigned 12; Started 10 (83% of the stage before); Finished the lessons 9 (90% of the stage before); Passed 6; Certified 2"), "{html}");

    // A split of another view is a field error; partners are refused.
    let (status, refused) = ask(manager.clone(), vec![("query[by]", "approver".to_string())]).await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("by").is_some());
    let partner = sign_in(&server, "nora@northwind.example").await;
    assert_eq!(ask(partner.clone(), filtered).await.0, 403);

    // The CSV: the path's row and the whole funnel, with the filters.
    let link = format!("{FUNNEL_CSV_PATH}?region=Testland&path={path}");
    let download = manager.get(server.url(&link)).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let parsed = common::python_json_of("parse_csv.py", "csv", &download.text().await.unwrap());
    let header: Vec<&str> = parsed["header"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let csv_rows = parsed["rows"].as_array().unwrap();
    assert_eq!(
        csv_rows.len(),
        2,
        "the table's path row and the whole funnel"
    );
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(csv_rows[1][column("group")], "All");
    assert_eq!(csv_rows[1][column("certified")], "2");
    assert_eq!(csv_rows[1][column("passed_on_certifying_paths")], "6");
    assert_eq!(csv_rows[1][column("started_rate")], "0.8333");
    assert_eq!(csv_rows[1][column("path_id")], path_text.as_str());
    assert_eq!(
        partner
            .get(server.url(&link))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    server.stop().await;
}

/// A CSV download read by Python's csv module: its header and rows.
async fn csv_of(
    client: &reqwest::Client,
    server: &TestServer,
    link: &str,
) -> (Vec<String>, Vec<Vec<String>>) {
    let download = client.get(server.url(link)).send().await.unwrap();
    assert_eq!(download.status(), 200, "{link}");
    let parsed = common::python_json_of("parse_csv.py", "csv", &download.text().await.unwrap());
    let strings = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let rows = parsed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(strings)
        .collect();
    (strings(&parsed["header"]), rows)
}

fn share_values(row: &app::model::CurveRow) -> Vec<Option<f64>> {
    row.shares
        .iter()
        .map(|s| s.map(|s| (s.value * 1e6).round() / 1e6))
        .collect()
}

async fn completion_cohorts_and_first_deals_are_curves_worked_out_by_hand(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let now = state.clock.now_ms();
    // Twelve people assigned a path 60 days ago (when it was published); six completed it
    // on day 60, the rest have not yet.
    let (path, _, _, _) = path_with_a_quiz(&server, "Cohort basics").await;
    organisation(&server, ("Cohort Co", "reseller"), 12, 6, path).await;
    let manager = sign_in(&server, "marco@lumen.example").await;
    let (status, view) = invoke::<CurveInsight>(
        &manager,
        &server,
        LoadCohortInsight::PATH,
        &[
            ("query[region]", "Testland"),
            ("query[path]", &path.to_string()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    assert_eq!(view.days, [7, 30, 60, 90]);
    assert_eq!(view.rows.len(), 1, "one assignment month");
    let cohort = &view.rows[0];
    assert_eq!((cohort.n, cohort.events, cohort.follow_up), (12, 6, 60.0));
    // Nobody by day 7 or 30, half by day 60; day 90 not reached by anyone yet.
    assert_eq!(
        share_values(cohort),
        [Some(0.0), Some(0.0), Some(0.5), None]
    );
    assert_eq!(cohort.median.map(|m| m.value), Some(60.0));
    assert_eq!(cohort.points, [(60.0, 0.5)]);

    // Ten organisations in Certland joined 200 days ago: four won on day 50, two on day
    // 100, four not yet. One of the day-100 winners had a certified seller by day 30.
    let (certification,): (i64,) = sqlx::query_as(
        "INSERT INTO certifications (name, validity_months, recert_window_days, created_at) \
         VALUES ('Curve Seller', 24, 30, $1) RETURNING id",
    )
    .bind(now - 900 * DAY_MS)
    .fetch_one(&state.db.write)
    .await
    .unwrap();
    for i in 0..10 {
        let (org, seller) = certland_org(&server, &format!("Curve {i}"), 200).await;
        let win_day = match i {
            0..=3 => Some(50),
            4 | 5 => Some(100),
            _ => None,
        };
        if let Some(day) = win_day {
            certland_deal(
                &server,
                org,
                (200 - day + 20, Some(200 - day)),
                ("won", "approved"),
                1_000,
            )
            .await;
        }
        if i == 4 {
            sqlx::query(
                "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at) \
                 VALUES ($1, $2, 'curve-code', $3, $4)",
            )
            .bind(certification)
            .bind(seller)
            .bind(now - 170 * DAY_MS)
            .bind(now + 500 * DAY_MS)
            .execute(&state.db.write)
            .await
            .unwrap();
        }
    }
    let ask = |args: Vec<(&'static str, &'static str)>| {
        let (server, manager) = (&server, &manager);
        async move { invoke::<CurveInsight>(manager, server, LoadFirstDealInsight::PATH, &args).await }
    };
    let (status, view) = ask(vec![("query[region]", "Certland")]).await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    assert!(
        view.window.ends_with("(24 months, UTC)"),
        "its own default: {}",
        view.window
    );
    assert_eq!(view.split, "landmark");
    let everyone = &view.overall;
    assert_eq!((everyone.n, everyone.events), (10, 6));
    // S(50) = 6/10, S(100) = 6/10 × 4/6: 40% by day 90, 60% by day 180, day 365 unseen.
    assert_eq!(share_values(everyone), [Some(0.4), Some(0.6), None]);
    assert_eq!(everyone.median.map(|m| m.value), Some(100.0));
    // The landmark leaves out the four who won before day 60.
    let groups: Vec<(&str, u64, u64)> = view
        .rows
        .iter()
        .map(|r| (r.label.as_str(), r.n, r.events))
        .collect();
    assert_eq!(
        groups,
        [
            ("Certified by day 60", 1, 1),
            ("Not certified by day 60", 5, 1)
        ]
    );
    assert_eq!(view.rows[0].median, None, "too few for a median");
    let (_, by_region) = ask(vec![("query[region]", "Certland"), ("query[by]", "region")]).await;
    assert_eq!(by_region.unwrap().rows[0].label, "Certland");
    let (_, recent) = ask(vec![("query[region]", "Certland"), ("query[months]", "6")]).await;
    assert_eq!(recent.unwrap().overall.n, 0, "joined before the window");
    let (status, refused) = ask(vec![("query[by]", "job_role")]).await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("by").is_some());

    // Pages: a panel per group, each an image with its own title and description.
    let html = common::html_of(&manager, &server, "/insights/first-deal?region=Certland").await;
    assert!(
        html.contains(r#"role="img" aria-labelledby="curves-1-title curves-1-desc""#),
        "{html}"
    );
    assert!(
        html.contains("Not certified by day 60: 20% of the group had won a first deal by day 200"),
        "{html}"
    );
    let html = common::html_of(
        &manager,
        &server,
        &format!("/insights/cohorts?region=Testland&path={path}"),
    )
    .await;
    assert!(
        html.contains("a short curve: a recent group, not a low one"),
        "{html}"
    );

    // CSVs: the table's rows and everyone, with the filters; partners refused.
    let (header, rows) = csv_of(
        &manager,
        &server,
        &format!("{FIRST_DEAL_CSV_PATH}?region=Certland"),
    )
    .await;
    assert_eq!(rows.len(), 3);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[2][column("group")], "Every organisation");
    assert_eq!(rows[2][column("share_by_day_90")], "0.4000");
    assert_eq!(rows[2][column("median_days")], "100");
    assert_eq!(rows[2][column("region")], "Certland");
    let (header, rows) = csv_of(
        &manager,
        &server,
        &format!("{COHORTS_CSV_PATH}?region=Testland&path={path}"),
    )
    .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0][header.iter().position(|h| h == "share_by_day_60").unwrap()],
        "0.5000"
    );
    let partner = sign_in(&server, "nora@northwind.example").await;
    for link in [COHORTS_CSV_PATH, FIRST_DEAL_CSV_PATH] {
        assert_eq!(
            partner.get(server.url(link)).send().await.unwrap().status(),
            403
        );
    }
    let (status, _) = invoke::<CurveInsight>(&partner, &server, LoadCohortInsight::PATH, &[]).await;
    assert_eq!(status, 403);
    server.stop().await;
}

async fn module_satisfaction_puts_the_response_rate_beside_the_score(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let db = &state.db.write;
    let now = state.clock.now_ms();
    let (path, _, _, _) = path_with_a_quiz(&server, "Rated basics").await;
    let (survey,): (i64,) = sqlx::query_as(
        "INSERT INTO path_steps (path_id, position, kind, title, created_at) \
         VALUES ($1, 3, 'survey', 'Was this useful?', $2) RETURNING id",
    )
    .bind(path)
    .bind(now - 60 * DAY_MS)
    .fetch_one(db)
    .await
    .unwrap();
    // Twelve completed; ten rated: five 5s, three 4s, two 2s; two left a comment.
    organisation(&server, ("Rating Co", "reseller"), 12, 12, path).await;
    let people: Vec<(i64,)> = sqlx::query_as(
        "SELECT u.id FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id \
         WHERE o.name = 'Rating Co' ORDER BY u.id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    // They completed it 20 days ago (the window ends at the start of today).
    sqlx::query("UPDATE path_completions SET completed_at = $1 WHERE path_id = $2")
        .bind(now - 20 * DAY_MS)
        .bind(path)
        .execute(db)
        .await
        .unwrap();
    for (i, (person,)) in people.iter().enumerate().take(10) {
        let rating = match i {
            0..=4 => 5,
            5..=7 => 4,
            _ => 2,
        };
        let comment = match i {
            0 => "Short and <b>clear</b>",
            8 => "Too long for a phone",
            _ => "",
        };
        sqlx::query(
            "INSERT INTO survey_responses (step_id, user_id, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(survey)
        .bind(person)
        .bind(rating)
        .bind(comment)
        .bind(now - (10 - i as i64) * DAY_MS)
        .execute(db)
        .await
        .unwrap();
    }
    let manager = sign_in(&server, "marco@lumen.example").await;
    let path_text = path.to_string();
    let args = [
        ("query[region]", "Testland"),
        ("query[path]", path_text.as_str()),
    ];
    let (status, view) =
        invoke::<SatisfactionInsight>(&manager, &server, LoadSatisfactionInsight::PATH, &args)
            .await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    assert_eq!(view.rows.len(), 1);
    let module = &view.rows[0];
    assert_eq!(module.title, "Rated basics");
    assert_eq!((module.response.successes, module.response.n), (10, 12));
    assert_eq!((module.top_two.successes, module.top_two.n), (8, 10));
    assert_eq!(module.distribution, [0, 2, 0, 3, 5]);
    assert!((module.mean.unwrap() - 4.1).abs() < 1e-9);
    // Wilson 8 of 10: 0.4902–0.9433.
    assert!(
        (module.top_two.lower.unwrap() - 0.4902).abs() < 5e-5,
        "{module:?}"
    );
    let comments: Vec<(&str, &str)> = module
        .comments
        .iter()
        .map(|c| (c.text.as_str(), c.role.as_str()))
        .collect();
    assert_eq!(
        comments,
        [
            ("Too long for a phone", "Sales"),
            ("Short and <b>clear</b>", "Sales")
        ]
    );

    // The page: the chart, and the comment as text, never as markup.
    let html = manager
        .get(server.url(&format!(
            "/insights/satisfaction?region=Testland&path={path}"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"aria-labelledby="ratings-chart-title ratings-chart-desc""#),
        "{html}"
    );
    assert!(
        html.contains("Short and &lt;b&gt;clear&lt;/b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>clear</b>"));

    let (header, rows) = csv_of(
        &manager,
        &server,
        &format!("{SATISFACTION_CSV_PATH}?region=Testland&path={path}"),
    )
    .await;
    assert_eq!(rows.len(), 2, "the module and every module");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[0][column("rated")], "10");
    assert_eq!(rows[0][column("completed")], "12");
    assert_eq!(rows[0][column("rated_5")], "5");
    assert_eq!(rows[1][column("module")], "Every module");
    let partner = sign_in(&server, "nora@northwind.example").await;
    let (status, _) =
        invoke::<SatisfactionInsight>(&partner, &server, LoadSatisfactionInsight::PATH, &args)
            .await;
    assert_eq!(status, 403);
    assert_eq!(
        partner
            .get(server.url(SATISFACTION_CSV_PATH))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    server.stop().await;
}

async fn at_risk_learners_are_listed_with_their_reasons_and_nudged_once_a_week(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let db = &state.db.write;
    let now = state.clock.now_ms();
    let (path, video, _, certification) = path_with_a_quiz(&server, "Risk basics").await;
    organisation(&server, ("Risk Co", "reseller"), 3, 0, path).await;
    let people: Vec<(i64, String)> = sqlx::query_as(
        "SELECT u.id, u.email FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id \
         WHERE o.name = 'Risk Co' ORDER BY u.id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    // Person 0 watched the video 20 days ago and stopped; person 1 was at it 3 days ago;
    // person 2 holds the certificate, ending in 10 days.
    for (person, days_ago) in [(people[0].0, 20), (people[1].0, 3)] {
        sqlx::query(
            "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) VALUES ($1, $2, 30, $3, $3)",
        )
        .bind(person)
        .bind(video)
        .bind(now - days_ago * DAY_MS)
        .execute(db)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at) \
         VALUES ($1, $2, 'risk-code', $3, $4)",
    )
    .bind(certification)
    .bind(people[2].0)
    .bind(now - 700 * DAY_MS)
    .bind(now + 10 * DAY_MS + 3_600_000)
    .execute(db)
    .await
    .unwrap();

    let manager = sign_in(&server, "marco@lumen.example").await;
    let list = || async {
        let (status, view) = invoke::<AtRiskInsight>(
            &manager,
            &server,
            LoadAtRisk::PATH,
            &[("query[region]", "Testland")],
        )
        .await;
        assert_eq!(status, 200);
        view.unwrap()
    };
    let view = list().await;
    assert_eq!(view.total, 2);
    let rows: Vec<(i64, Vec<&str>)> = view
        .rows
        .iter()
        .map(|r| {
            (
                r.user_id,
                r.reasons.iter().map(|x| x.text.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(rows[0].0, people[2].0, "the ending certificate first");
    assert!(
        rows[0].1[0].starts_with("Risk basics certified ends in 10 days"),
        "{rows:?}"
    );
    assert_eq!(rows[1].0, people[0].0);
    assert!(
        rows[1].1[0].starts_with("Stalled on Risk basics: nothing done for 20 days"),
        "{rows:?}"
    );
    assert!(view.rows[1].reasons[0].may_nudge);

    // The nudge: one email with a link straight into the path, naming who sent it.
    let path_text = path.to_string();
    let nudge = |user: i64| {
        let (server, manager, path_text) = (&server, &manager, &path_text);
        async move {
            invoke::<()>(
                manager,
                server,
                NudgeLearner::PATH,
                &[("user_id", &user.to_string()), ("path_id", path_text)],
            )
            .await
        }
    };
    let (status, _) = nudge(people[0].0).await;
    assert_eq!(status, 200);
    let (body,): (String,) = sqlx::query_as(
        "SELECT body_text FROM email_outbox WHERE to_address = $1 AND subject = 'Pick up Risk basics where you left off'",
    )
    .bind(&people[0].1)
    .fetch_one(db)
    .await
    .unwrap();
    assert!(body.contains("Marco Diaz from the channel team"), "{body}");
    let (_, landed) =
        common::follow_emailed_link(&server, &people[0].1, "Pick up Risk basics").await;
    assert_eq!(landed, format!("/learn/{path}"));
    // A second nudge within the week is refused and sends nothing.
    let (status, refused) = nudge(people[0].0).await;
    assert_eq!(status, 409);
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("in the last 7 days"));
    let (emails,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM email_outbox WHERE to_address = $1 AND subject LIKE 'Pick up%'",
    )
    .bind(&people[0].1)
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(emails, 1);
    let view = list().await;
    let reason = &view.rows[1].reasons[0];
    assert!(!reason.may_nudge);
    assert!(
        reason.nudged.as_deref().unwrap().ends_with("by Marco Diaz"),
        "{reason:?}"
    );
    // Someone who turned these reminders off is not emailed; someone who finished is not either.
    sqlx::query("INSERT INTO notification_mutes (user_id, event, muted_at) VALUES ($1, 'training_nudge', $2)")
        .bind(people[1].0)
        .bind(now)
        .execute(db)
        .await
        .unwrap();
    let (status, refused) = nudge(people[1].0).await;
    assert_eq!(status, 409);
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("turned reminders"));
    sqlx::query("INSERT INTO path_completions (user_id, path_id, path_version, completed_at) VALUES ($1, $2, 1, $3)")
        .bind(people[2].0)
        .bind(path)
        .bind(now)
        .execute(db)
        .await
        .unwrap();
    let (status, refused) = nudge(people[2].0).await;
    assert_eq!(status, 409);
    assert!(refused.unwrap_err().to_string().contains("has completed"));

    // The page and the CSV: a line per reason; partners see none of it.
    let html = common::html_of(&manager, &server, "/insights/at-risk?region=Testland").await;
    assert!(html.contains("Stalled on Risk basics"), "{html}");
    let (header, rows) = csv_of(
        &manager,
        &server,
        &format!("{AT_RISK_CSV_PATH}?region=Testland"),
    )
    .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(header[..3], ["learner", "organisation", "reason"]);
    let partner = sign_in(&server, "nora@northwind.example").await;
    let (status, _) = invoke::<()>(
        &partner,
        &server,
        NudgeLearner::PATH,
        &[
            ("user_id", &people[0].0.to_string()),
            ("path_id", &path_text),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        partner
            .get(server.url(AT_RISK_CSV_PATH))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    server.stop().await;
}

async fn sourced_pipeline_counts_created_and_won_deals_by_month_and_partner(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (able, _) = certland_org(&server, "Src Able", 900).await;
    let (baker, _) = certland_org(&server, "Src Baker", 900).await;
    certland_deal(&server, able, (30, Some(5)), ("won", "approved"), 1_000).await;
    certland_deal(&server, able, (200, Some(10)), ("won", "approved"), 5_000).await;
    certland_deal(&server, able, (20, None), ("propose", "approved"), 700).await;
    certland_deal(&server, baker, (40, Some(2)), ("lost", "approved"), 300).await;
    certland_deal(&server, baker, (500, Some(450)), ("won", "approved"), 9_000).await;
    let manager = sign_in(&server, "marco@lumen.example").await;
    let args = [("query[region]", "Certland")];
    let (status, view) =
        invoke::<SourcedInsight>(&manager, &server, LoadSourcedInsight::PATH, &args).await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    let total = &view.total;
    assert_eq!((total.deals_created, total.pipeline_cents), (4, 700_000));
    assert_eq!(total.won_cents, 600_000);
    assert_eq!((total.win_rate.successes, total.win_rate.n), (2, 3));
    assert_eq!(
        total.median_cycle_days,
        Some(107.5),
        "won after 25 and 190 days"
    );
    let leaders: Vec<(&str, i64)> = view
        .leaders
        .iter()
        .map(|l| (l.name.as_str(), l.won_cents))
        .collect();
    assert_eq!(leaders, [("Src Able", 600_000), ("Src Baker", 0)]);
    assert_eq!(
        view.months.len(),
        13,
        "every month the 12-month window touches"
    );
    let created: i64 = view
        .months
        .iter()
        .flat_map(|m| m.pipeline_by_stage.iter())
        .sum();
    assert_eq!(created, total.pipeline_cents);
    let html = common::html_of(&manager, &server, "/insights/sourced?region=Certland").await;
    assert!(
        html.contains(r#"aria-labelledby="sourced-chart-title sourced-chart-desc""#),
        "{html}"
    );
    let (header, rows) = csv_of(
        &manager,
        &server,
        &format!("{SOURCED_CSV_PATH}?region=Certland"),
    )
    .await;
    assert_eq!(rows.len(), 3, "two partners and everyone");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[0][column("won_revenue")], "6000.00");
    assert_eq!(rows[2][column("partner")], "Every partner");
    assert_eq!(rows[2][column("pipeline_created")], "7000.00");
    let partner = sign_in(&server, "nora@northwind.example").await;
    let (status, _) =
        invoke::<SourcedInsight>(&partner, &server, LoadSourcedInsight::PATH, &args).await;
    assert_eq!(status, 403);
    assert_eq!(
        partner
            .get(server.url(SOURCED_CSV_PATH))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    server.stop().await;
}

async fn quiz_items_and_tags_are_analysed_over_the_windows_answers(backend: Backend) {
    use app::domain::quiz::content::{QuestionContent, QuestionKind};
    use app::domain::quiz::grading::{AnswerKey, Response};
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let db = &state.db.write;
    let now = state.clock.now_ms();
    let (path, _, quiz, _) = path_with_a_quiz(&server, "Quiz basics").await;
    organisation(&server, ("Quiz Co", "reseller"), 12, 0, path).await;
    let people: Vec<(i64,)> = sqlx::query_as(
        "SELECT u.id FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id \
         WHERE o.name = 'Quiz Co' ORDER BY u.id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    // Three true/false questions: everyone gets the first right (too easy); the stronger
    // half gets the second and third right. Tags: "pricing" on the first, "objections" on
    // the other two.
    let key = serde_json::to_string(&AnswerKey::TrueFalse { correct: true }).unwrap();
    let mut questions = Vec::new();
    for (prompt, tags) in [
        ("Is the list price public?", "pricing"),
        ("Can a discount be stacked?", "objections"),
        ("Do we match competitors?", "objections"),
    ] {
        let content = serde_json::to_string(&QuestionContent {
            kind: QuestionKind::TrueFalse,
            prompt: prompt.to_string(),
            options: Vec::new(),
            targets: Vec::new(),
        })
        .unwrap();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO quiz_questions (path_id, content_json, key_json, tags, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(path)
        .bind(&content)
        .bind(&key)
        .bind(tags)
        .bind(now - 50 * DAY_MS)
        .fetch_one(db)
        .await
        .unwrap();
        questions.push((id, content));
    }
    for (i, (person,)) in people.iter().enumerate() {
        let (attempt,): (i64,) = sqlx::query_as(
            "INSERT INTO quiz_attempts (step_id, user_id, attempt_number, seed, started_at, submitted_at, score_percent) \
             VALUES ($1, $2, 1, 7, $3, $3, 50) RETURNING id",
        )
        .bind(quiz)
        .bind(person)
        .bind(now - 10 * DAY_MS)
        .fetch_one(db)
        .await
        .unwrap();
        let strong = i < 6;
        for (position, (question, content)) in questions.iter().enumerate() {
            sqlx::query(
                "INSERT INTO attempt_questions (attempt_id, position, question_id, content_json, key_json, weight) \
                 VALUES ($1, $2, $3, $4, $5, 1)",
            )
            .bind(attempt)
            .bind(position as i64)
            .bind(question)
            .bind(content)
            .bind(&key)
            .execute(db)
            .await
            .unwrap();
            let right = position == 0 || strong;
            sqlx::query(
                "INSERT INTO attempt_answers (attempt_id, question_id, response_json, client_seq, saved_at) \
                 VALUES ($1, $2, $3, 1, $4)",
            )
            .bind(attempt)
            .bind(question)
            .bind(serde_json::to_string(&Response::TrueFalse(right)).unwrap())
            .bind(now - 10 * DAY_MS)
            .execute(db)
            .await
            .unwrap();
        }
    }
    let manager = sign_in(&server, "marco@lumen.example").await;
    let path_text = path.to_string();
    let args = [
        ("query[region]", "Testland"),
        ("query[path]", path_text.as_str()),
    ];
    let (status, view) =
        invoke::<QuizInsight>(&manager, &server, LoadQuizInsight::PATH, &args).await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    assert_eq!(view.flagged, 1);
    let first = &view.questions[0];
    assert_eq!(
        (first.prompt.as_str(), first.answers),
        ("Is the list price public?", 12)
    );
    assert_eq!(first.flags, ["too easy"]);
    assert!((first.facility - 1.0).abs() < 1e-12);
    let second = &view.questions[1];
    assert!((second.facility - 0.5).abs() < 1e-12);
    assert!(second.discrimination.unwrap() > 0.9, "{second:?}");
    let tags: Vec<(&str, u64, u64)> = view
        .tags
        .iter()
        .map(|t| (t.label.as_str(), t.successes, t.n))
        .collect();
    assert_eq!(tags, [("objections", 6, 12), ("pricing", 12, 12)]);
    assert_eq!((view.all_tags.successes, view.all_tags.n), (18, 24));
    let html = common::html_of(
        &manager,
        &server,
        &format!("/insights/quiz?region=Testland&path={path}"),
    )
    .await;
    assert!(
        html.contains(r#"aria-labelledby="tags-chart-title tags-chart-desc""#),
        "{html}"
    );
    let (header, rows) = csv_of(
        &manager,
        &server,
        &format!("{QUIZ_CSV_PATH}?region=Testland&path={path}"),
    )
    .await;
    assert_eq!(rows.len(), 2 + 3, "two tags and three questions");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[2][column("flags")], "too easy");
    assert_eq!(rows[0][column("mastered")], "6");
    let partner = sign_in(&server, "nora@northwind.example").await;
    let (status, _) = invoke::<QuizInsight>(&partner, &server, LoadQuizInsight::PATH, &args).await;
    assert_eq!(status, 403);
    assert_eq!(
        partner
            .get(server.url(QUIZ_CSV_PATH))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    server.stop().await;
}

/// A partner organisation in "Certland", onboarded `days_ago`, with one sales person.
async fn certland_org(server: &TestServer, name: &str, days_ago: i64) -> (i64, i64) {
    let db = &server.server.state.db.write;
    let now = server.server.state.clock.now_ms();
    let (org,): (i64,) = sqlx::query_as(
        "INSERT INTO partner_orgs (name, partner_type, tier, region, vertical, created_at) \
         VALUES ($1, 'reseller', 'registered', 'Certland', 'Software', $2) RETURNING id",
    )
    .bind(name)
    .bind(now - days_ago * DAY_MS)
    .fetch_one(db)
    .await
    .unwrap();
    let (user,): (i64,) = sqlx::query_as(
        "INSERT INTO users (email, display_name, role, job_role, partner_org_id, created_at) \
         VALUES ($1, 'Seller', 'partner_user', 'sales', $2, $3) RETURNING id",
    )
    .bind(format!(
        "seller@{}.example",
        name.to_lowercase().replace(' ', "-")
    ))
    .bind(org)
    .bind(now - days_ago * DAY_MS)
    .fetch_one(db)
    .await
    .unwrap();
    (org, user)
}

/// Settles every organisation's tier now, as the tier clock would (it also runs on its own
/// meanwhile): under the demo's rules one certified person makes Silver.
async fn settle_tiers(server: &TestServer) {
    app::server::standing::reevaluate(&server.server.state, None, "test setup")
        .await
        .unwrap();
}

/// A deal of `org` created `created_days_ago`, in `stage`, closed `closed_days_ago`.
async fn certland_deal(
    server: &TestServer,
    org: i64,
    (created_days_ago, closed_days_ago): (i64, Option<i64>),
    (stage, status): (&str, &str),
    dollars: i64,
) {
    let db = &server.server.state.db.write;
    let now = server.server.state.clock.now_ms();
    let (account,): (i64,) = sqlx::query_as(
        "INSERT INTO accounts (name, normalized_name, region, created_at) \
         VALUES ('Customer', 'customer', 'Certland', $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(db)
    .await
    .unwrap();
    let created = now - created_days_ago * DAY_MS;
    sqlx::query(
        "INSERT INTO deals (account_id, partner_org_id, motion, kind, product_line, amount_cents, stage, \
           close_at, registration_status, submitted_at, last_activity_at, region, created_at, updated_at) \
         VALUES ($1, $2, 'resale', 'net_new', 'Lumen Dashboards', $3, $4, $5, $6, $7, $7, 'Certland', $7, $7)",
    )
    .bind(account)
    .bind(org)
    .bind(dollars * 100)
    .bind(stage)
    .bind(closed_days_ago.map(|d| now - d * DAY_MS))
    .bind(status)
    .bind(created)
    .execute(db)
    .await
    .unwrap();
}

async fn certified_vs_not_takes_exposure_on_each_deals_creation_day(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let now = state.clock.now_ms();
    // Two veterans (in the program 1,000 days) and a newcomer (100 days).
    let (veteran, seller) = certland_org(&server, "Cert One", 1000).await;
    let (plain, _) = certland_org(&server, "Plain Two", 1000).await;
    let (newcomer, _) = certland_org(&server, "New Three", 100).await;
    // The veteran's seller certified 200 days ago (valid for another 500 days).
    let (certification,): (i64,) = sqlx::query_as(
        "INSERT INTO certifications (name, validity_months, recert_window_days, created_at) \
         VALUES ('Certland Seller', 24, 30, $1) RETURNING id",
    )
    .bind(now - 900 * DAY_MS)
    .fetch_one(&state.db.write)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at) \
         VALUES ($1, $2, 'certland-code-1', $3, $4)",
    )
    .bind(certification)
    .bind(seller)
    .bind(now - 200 * DAY_MS)
    .bind(now + 500 * DAY_MS)
    .execute(&state.db.write)
    .await
    .unwrap();
    let won = ("won", "approved");
    let lost = ("lost", "approved");
    // Before certifying: two wins, uncertified although the organisation is certified now.
    certland_deal(&server, veteran, (300, Some(250)), won, 1_000).await;
    certland_deal(&server, veteran, (300, Some(250)), won, 1_000).await;
    // While certified: two wins, a loss, and an open deal.
    certland_deal(&server, veteran, (100, Some(50)), won, 2_000).await;
    certland_deal(&server, veteran, (100, Some(50)), won, 2_000).await;
    certland_deal(&server, veteran, (100, Some(40)), lost, 3_000).await;
    certland_deal(&server, veteran, (10, None), ("propose", "approved"), 5_000).await;
    // Never certified: one win in four; a declined registration is not theirs.
    certland_deal(&server, plain, (100, Some(30)), won, 1_000).await;
    for _ in 0..3 {
        certland_deal(&server, plain, (100, Some(30)), lost, 1_000).await;
    }
    certland_deal(&server, plain, (100, Some(30)), ("won", "declined"), 9_000).await;
    // The newcomer's first win.
    certland_deal(&server, newcomer, (50, Some(20)), won, 4_000).await;
    settle_tiers(&server).await;

    let manager = sign_in(&server, "marco@lumen.example").await;
    let ask = |client: reqwest::Client, args: Vec<(&'static str, &'static str)>| {
        let server = &server;
        async move {
            invoke::<CertifiedInsight>(&client, server, LoadCertifiedInsight::PATH, &args).await
        }
    };
    let (status, view) = ask(manager.clone(), vec![("query[region]", "Certland")]).await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    let pooled = &view.pooled;
    // Organisations, deals created, won, closed.
    let counts = |arm: &app::model::ArmRow| {
        (
            arm.orgs,
            arm.deals_created,
            arm.win_rate.successes,
            arm.win_rate.n,
        )
    };
    assert_eq!(counts(&pooled.certified), (1, 4, 2, 3));
    assert_eq!(counts(&pooled.uncertified), (3, 7, 4, 7));
    assert_eq!(pooled.certified.pipeline_cents, 12_000 * 100);
    assert_eq!(pooled.certified.revenue_cents, 4_000 * 100);
    assert_eq!(
        pooled.uncertified.revenue_cents,
        (1_000 + 1_000 + 1_000 + 4_000) * 100
    );
    // Exposure: the veteran spent its last 200 days certified (to the start of today).
    let quarter_days = 365.25 / 4.0;
    let certified_days = pooled.certified.org_quarters * quarter_days;
    assert!(
        (199.0..=200.0).contains(&certified_days),
        "{certified_days}"
    );
    // Three organisations are too few for per-quarter figures or a difference.
    assert_eq!(pooled.certified.revenue_per_quarter, None);
    assert_eq!(pooled.win_difference, None);
    type Counts = (u64, u64, u64, u64);
    let strata: Vec<(&str, Counts, Counts)> = view
        .strata
        .iter()
        .map(|s| {
            (
                s.label.as_str(),
                counts(&s.certified),
                counts(&s.uncertified),
            )
        })
        .collect();
    assert_eq!(
        strata,
        [
            ("Registered, under 6 months", (0, 0, 0, 0), (1, 1, 1, 1)),
            ("Registered, over 18 months", (0, 0, 0, 0), (1, 4, 1, 4)),
            // Certified from 200 days ago: its deals before that are uncertified.
            ("Silver, over 18 months", (1, 4, 2, 3), (1, 2, 2, 2)),
        ]
    );

    // The page says what the comparison is, and what it is not.
    let html = common::html_of(&manager, &server, "/insights/certified?region=Certland").await;
    assert!(html.contains("This is an association, not proof that certification causes wins."));
    // Every group is too small to draw: the page says so, and the table has the counts.
    assert!(html.contains("No group has 10 closed deals on either side yet"));
    assert!(html.contains("too few (n = 3)"));

    // Partners see none of it; bad filters are field errors.
    let partner = sign_in(&server, "nora@northwind.example").await;
    let (status, _) = ask(partner.clone(), vec![("query[region]", "Certland")]).await;
    assert_eq!(status, 403);
    let (status, refused) = ask(manager.clone(), vec![("query[role]", "ceo")]).await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("role").is_some());

    // The CSV: two rows (certified, not) per table group, pooled first, with the filters.
    let link = format!("{CERTIFIED_CSV_PATH}?region=Certland");
    let download = manager.get(server.url(&link)).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let parsed = common::python_json_of("parse_csv.py", "csv", &download.text().await.unwrap());
    let header: Vec<&str> = parsed["header"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let csv_rows = parsed["rows"].as_array().unwrap();
    assert_eq!(csv_rows.len(), 2 * (1 + view.strata.len()));
    assert_eq!(csv_rows[0][column("certified")], "yes");
    assert_eq!(csv_rows[0][column("won")], "2");
    assert_eq!(csv_rows[0][column("pipeline")], "12000.00");
    assert_eq!(csv_rows[1][column("closed")], "7");
    for row in csv_rows {
        assert_eq!(row[column("region")], "Certland");
    }
    let refused = partner.get(server.url(&link)).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    server.stop().await;
}

async fn a_scorecard_shows_one_organisation_and_hides_medians_few_peers_would_reveal(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let now = state.clock.now_ms();
    // Joined 200 days ago; first win closed 20 days ago (180 days in), then a loss.
    let (org, seller) = certland_org(&server, "Score One", 200).await;
    certland_deal(&server, org, (60, Some(20)), ("won", "approved"), 3_000).await;
    certland_deal(&server, org, (50, Some(10)), ("won", "approved"), 1_000).await;
    certland_deal(&server, org, (40, Some(5)), ("lost", "approved"), 8_000).await;
    certland_deal(&server, org, (30, None), ("propose", "approved"), 2_500).await;
    let (certification,): (i64,) = sqlx::query_as(
        "INSERT INTO certifications (name, validity_months, recert_window_days, created_at) \
         VALUES ('Score Seller', 12, 30, $1) RETURNING id",
    )
    .bind(now - 300 * DAY_MS)
    .fetch_one(&state.db.write)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at) \
         VALUES ($1, $2, 'score-code-1', $3, $4)",
    )
    .bind(certification)
    .bind(seller)
    .bind(now - 30 * DAY_MS)
    .bind(now + 300 * DAY_MS)
    .execute(&state.db.write)
    .await
    .unwrap();
    settle_tiers(&server).await;

    let manager = sign_in(&server, "marco@lumen.example").await;
    let ask = |client: reqwest::Client, args: Vec<(&'static str, String)>| {
        let server = &server;
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            invoke::<Scorecard>(&client, server, LoadScorecard::PATH, &args).await
        }
    };
    let (status, card) = ask(manager.clone(), vec![("query[org]", org.to_string())]).await;
    assert_eq!(status, 200);
    let card = card.unwrap();
    assert_eq!(
        (card.org_name.as_str(), card.tier.as_str()),
        ("Score One", "Silver")
    );
    let figure = |card: &Scorecard, metric: &str| {
        card.figures
            .iter()
            .find(|f| f.metric == metric)
            .cloned()
            .unwrap()
    };
    assert_eq!(figure(&card, "revenue_won").value, Some(4_000.0 * 100.0));
    assert_eq!(
        figure(&card, "pipeline_created").value,
        Some(14_500.0 * 100.0)
    );
    assert_eq!(figure(&card, "win_rate").basis, "2 won of 3 closed");
    assert_eq!(figure(&card, "days_to_first_win").value, Some(180.0));
    assert_eq!(figure(&card, "certified_people").value, Some(1.0));
    assert_eq!(figure(&card, "satisfaction").value, None);
    // Staff see the tier's median however few organisations it has. (The demo's own
    // organisations joined today, after the window: Score One is its tier's only member.)
    assert_eq!(figure(&card, "days_to_first_win").tier_orgs, 1);
    assert!(figure(&card, "revenue_won").tier_median.is_some());
    assert!(card.orgs.iter().any(|(id, _)| *id == org));

    // A partner sees its own organisation only, and no median of fewer than six orgs.
    let partner = sign_in(&server, "nora@northwind.example").await;
    let (status, own) = ask(partner.clone(), vec![]).await;
    assert_eq!(status, 200);
    let own = own.unwrap();
    assert_eq!(own.org_name, "Northwind Resellers");
    assert!(own.orgs.is_empty(), "no list of other organisations");
    for figure in &own.figures {
        if figure.tier_orgs <= 5 {
            assert_eq!(figure.tier_median, None, "{figure:?}");
        }
    }
    let (status, _) = ask(partner.clone(), vec![("query[org]", org.to_string())]).await;
    assert_eq!(status, 403);
    let (status, refused) = ask(manager.clone(), vec![("query[org]", "999999".into())]).await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("org").is_some());
    let html = common::html_of(&partner, &server, "/scorecard").await;
    assert!(html.contains("Northwind Resellers scorecard"));
    assert!(!html.contains("Score One"), "no other organisation's name");

    // The CSV: one line per figure, naming the organisation and window.
    let download = manager
        .get(server.url(&format!("{SCORECARD_CSV_PATH}?org={org}")))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let parsed = common::python_json_of("parse_csv.py", "csv", &download.text().await.unwrap());
    let rows = parsed["rows"].as_array().unwrap();
    assert_eq!(rows.len(), card.figures.len());
    assert!(rows.iter().all(|row| row[6] == "Score One"));
    let refused = partner
        .get(server.url(&format!("{SCORECARD_CSV_PATH}?org={org}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    server.stop().await;
}

/// The demo with its generated history: every view has enough to show, the certified
/// advantage shrinks within tiers (the confounding the stratified view exists for), and
/// the history changes nothing in the present: tiers stay as seeded and no job writes to a
/// former colleague.
async fn the_demo_history_makes_the_views_meaningful_and_leaves_the_present_alone(
    backend: Backend,
) {
    let server = TestServer::start_with(backend, &["--demo-history", "true"]).await;
    let state = &server.server.state;
    let tiers = || async {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, tier FROM partner_orgs ORDER BY name")
                .fetch_all(&state.db.read)
                .await
                .unwrap();
        rows
    };
    let seeded_tiers = tiers().await;
    server::jobs::run_certification_clock(state).await.unwrap();
    server::jobs::run_channel_clocks(state).await.unwrap();
    server::jobs::run_training_reminders(state).await.unwrap();
    assert_eq!(tiers().await, seeded_tiers, "the history moved no tier");
    let (to_alumni,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM email_outbox o JOIN users u ON u.email = o.to_address \
         WHERE u.password_hash IS NULL AND u.role = 'partner_user'",
    )
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert_eq!(to_alumni, 0, "no email to former colleagues");

    let manager = sign_in(&server, "marco@lumen.example").await;
    let (status, certified) = invoke::<CertifiedInsight>(
        &manager,
        &server,
        LoadCertifiedInsight::PATH,
        &[("query[months]", "24")],
    )
    .await;
    assert_eq!(status, 200);
    let certified = certified.unwrap();
    let pooled = certified
        .pooled
        .win_difference
        .expect("both sides have deals");
    assert!(
        pooled.value > 0.0,
        "certified deals win more, pooled: {pooled:?}"
    );
    assert!(certified.pooled.certified.orgs >= 10 && certified.pooled.uncertified.orgs >= 10);
    assert!(certified.pooled.certified.revenue_per_quarter.is_some());
    // Within strata, the Mantel–Haenszel weighted average of the differences (weights
    // n1·n2/(n1 + n2)): the certified advantage once tier and tenure are held fixed.
    let (weighted, weights) = certified
        .strata
        .iter()
        .filter(|s| s.certified.win_rate.n > 0 && s.uncertified.win_rate.n > 0)
        .map(|s| {
            let (c, u) = (&s.certified.win_rate, &s.uncertified.win_rate);
            let (n1, n2) = (c.n as f64, u.n as f64);
            let difference = c.successes as f64 / n1 - u.successes as f64 / n2;
            let weight = n1 * n2 / (n1 + n2);
            (difference * weight, weight)
        })
        .fold((0.0, 0.0), |(d, w), (dd, ww)| (d + dd, w + ww));
    assert!(weights > 0.0, "some strata compare");
    let within = weighted / weights;
    assert!(
        within < pooled.value,
        "within tiers the gap is smaller: {within} vs pooled {}",
        pooled.value
    );
    // With data, both comparisons are drawn as described images.
    let html = common::html_of(&manager, &server, "/insights/certified?months=24").await;
    for chart in ["win-chart", "revenue-chart"] {
        assert!(
            html.contains(&format!(
                r#"role="img" aria-labelledby="{chart}-title {chart}-desc""#
            )),
            "{chart}"
        );
    }

    let (_, completion) = invoke::<CompletionInsight>(
        &manager,
        &server,
        LoadCompletionInsight::PATH,
        &[("query[months]", "24")],
    )
    .await;
    let completion = completion.unwrap();
    assert!(completion.overall.n >= 50, "{:?}", completion.overall);
    assert!(
        completion
            .rows
            .iter()
            .filter(|r| r.estimate.is_some())
            .count()
            >= 3
    );

    let (_, card) = invoke::<Scorecard>(&manager, &server, LoadScorecard::PATH, &[]).await;
    let card = card.unwrap();
    assert!(
        card.figures.iter().filter(|f| f.value.is_some()).count() >= 5,
        "{card:?}"
    );

    // The learning views have people at every stage, and quizzes to analyse.
    let months = [("query[months]", "24")];
    let (_, funnel) =
        invoke::<FunnelInsight>(&manager, &server, LoadFunnelInsight::PATH, &months).await;
    let reached = funnel.unwrap().overall.reached;
    assert!(
        reached[1] > reached[3] && reached[3] > 0,
        "started > passed > 0: {reached:?}"
    );
    let (_, quiz) = invoke::<QuizInsight>(&manager, &server, LoadQuizInsight::PATH, &months).await;
    let quiz = quiz.unwrap();
    assert!(quiz.questions.len() >= 3 && quiz.flagged >= 1, "{quiz:?}");
    assert!(quiz
        .questions
        .iter()
        .any(|q| q.discrimination.is_some_and(|d| d > 0.2)));
    let (_, satisfaction) =
        invoke::<SatisfactionInsight>(&manager, &server, LoadSatisfactionInsight::PATH, &months)
            .await;
    assert!(satisfaction.unwrap().overall.top_two.n >= 10);
    let (_, sourced) =
        invoke::<SourcedInsight>(&manager, &server, LoadSourcedInsight::PATH, &months).await;
    assert!(sourced.unwrap().leaders.len() >= 10);
    let (_, first_deal) =
        invoke::<CurveInsight>(&manager, &server, LoadFirstDealInsight::PATH, &[]).await;
    assert!(first_deal.unwrap().overall.events >= 5);
    server.stop().await;
}

/// A registration of `org` submitted `days_ago`, decided `hours` later by `approver` (an
/// email) into `status`; `flagged` when the conflict engine sent it to review.
async fn registration(
    server: &TestServer,
    org: i64,
    (days_ago, hours): (i64, Option<i64>),
    (status, approver): (&str, Option<&str>),
    flagged: bool,
) {
    let db = &server.server.state.db.write;
    let now = server.server.state.clock.now_ms();
    let (account,): (i64,) = sqlx::query_as(
        "INSERT INTO accounts (name, normalized_name, region, created_at) \
         VALUES ('Customer', 'customer', 'Regland', $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(db)
    .await
    .unwrap();
    let submitted = now - days_ago * DAY_MS;
    let decided = hours.map(|h| submitted + h * 3_600_000);
    let verdict = if flagged {
        r#"{"decision":"NeedsReview","favoured":"Direct","rationale":[]}"#
    } else {
        r#"{"decision":"AutoApprove","favoured":"Direct","rationale":[]}"#
    };
    let (deal,): (i64,) = sqlx::query_as(
        "INSERT INTO deals (account_id, partner_org_id, motion, kind, product_line, amount_cents, stage, \
           registration_status, submitted_at, decided_at, decision_json, last_activity_at, region, created_at, updated_at) \
         VALUES ($1, $2, 'resale', 'net_new', 'Lumen Dashboards', 100000, 'propose', $3, $4, $5, $6, $4, 'Regland', $4, $4) \
         RETURNING id",
    )
    .bind(account)
    .bind(org)
    .bind(status)
    .bind(submitted)
    .bind(decided)
    .bind(verdict)
    .fetch_one(db)
    .await
    .unwrap();
    if let (Some(approver), Some(at)) = (approver, decided) {
        let decision = if status == "expired" {
            "approved"
        } else {
            status
        };
        sqlx::query(
            "INSERT INTO deal_events (deal_id, actor_user_id, at, field, from_value, to_value) \
             SELECT $1, id, $2, 'registration_status', 'pending', $3 FROM users WHERE email = $4",
        )
        .bind(deal)
        .bind(at)
        .bind(decision)
        .bind(approver)
        .execute(db)
        .await
        .unwrap();
    }
}

async fn registration_health_is_counted_as_worked_out_by_hand(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db.write;
    let now = server.server.state.clock.now_ms();
    let (org,): (i64,) = sqlx::query_as(
        "INSERT INTO partner_orgs (name, partner_type, tier, region, vertical, created_at) \
         VALUES ('Reg One', 'reseller', 'registered', 'Regland', 'Software', $1) RETURNING id",
    )
    .bind(now - 500 * DAY_MS)
    .fetch_one(db)
    .await
    .unwrap();
    let marco = Some("marco@lumen.example");
    let ada = Some("admin@lumen.example");
    registration(&server, org, (20, Some(4)), ("approved", marco), false).await;
    registration(&server, org, (20, Some(10)), ("approved", marco), false).await;
    registration(&server, org, (30, Some(60)), ("approved", ada), false).await;
    registration(&server, org, (30, Some(100)), ("declined", ada), true).await;
    registration(&server, org, (200, Some(20)), ("expired", marco), false).await;
    registration(&server, org, (1, None), ("pending", None), false).await;
    // Submitted before the window: not counted.
    registration(&server, org, (400, Some(1)), ("approved", marco), false).await;

    let manager = sign_in(&server, "marco@lumen.example").await;
    let (status, view) = invoke::<RegistrationInsight>(
        &manager,
        &server,
        LoadRegistrationInsight::PATH,
        &[("query[region]", "Regland")],
    )
    .await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    let all = &view.overall;
    assert_eq!((all.submitted, all.pending), (6, 1));
    assert_eq!((all.approval_rate.successes, all.approval_rate.n), (4, 5));
    // Approved after 4, 10, 60 and 20 hours: the median is 15.
    assert_eq!(all.median_hours_to_approval, Some(15.0));
    assert_eq!((all.within_sla.successes, all.within_sla.n), (3, 5));
    assert_eq!((all.conflict_rate.successes, all.conflict_rate.n), (1, 6));
    assert_eq!((all.expiry_rate.successes, all.expiry_rate.n), (1, 4));
    assert_eq!(view.sla_hours, 48);
    let rows: Vec<(&str, u64)> = view
        .rows
        .iter()
        .map(|r| (r.label.as_str(), r.submitted))
        .collect();
    assert_eq!(
        rows,
        [
            ("Marco Diaz", 3),
            ("Ada Lovelace", 2),
            ("Not decided yet", 1)
        ]
    );
    assert!(view.weeks.len() >= 52);
    assert_eq!(
        view.weeks.iter().map(|w| w.approved).sum::<u64>(),
        4,
        "each approval in the week it was submitted"
    );

    // Another split; a split of another view is refused as a field error.
    let (_, by_tier) = invoke::<RegistrationInsight>(
        &manager,
        &server,
        LoadRegistrationInsight::PATH,
        &[("query[region]", "Regland"), ("query[by]", "tier")],
    )
    .await;
    assert_eq!(by_tier.unwrap().rows[0].label, "Registered");
    let (status, refused) = invoke::<RegistrationInsight>(
        &manager,
        &server,
        LoadRegistrationInsight::PATH,
        &[("query[by]", "job_role")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("by").is_some());

    // The page's chart is a described image; the CSV has the table's rows.
    let html = common::html_of(&manager, &server, "/insights/registrations?region=Regland").await;
    assert!(html.contains(r#"aria-labelledby="approval-trend-title approval-trend-desc""#));
    let download = manager
        .get(server.url(&format!("{REGISTRATIONS_CSV_PATH}?region=Regland")))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let parsed = common::python_json_of("parse_csv.py", "csv", &download.text().await.unwrap());
    let csv_rows = parsed["rows"].as_array().unwrap();
    assert_eq!(csv_rows.len(), view.rows.len() + 1);
    assert_eq!(csv_rows[3][0], "All");
    assert_eq!(csv_rows[3][6], "15.0000");
    let partner = sign_in(&server, "nora@northwind.example").await;
    let refused = partner
        .get(server.url(REGISTRATIONS_CSV_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    server.stop().await;
}

async fn the_expiry_pipeline_is_counted_as_worked_out_by_hand(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let now = state.clock.now_ms();
    let (org, first) = certland_org(&server, "Expiry One", 800).await;
    let mut people = vec![first];
    for name in ["b", "c", "d"] {
        let (user,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, display_name, role, job_role, partner_org_id, created_at) \
             VALUES ($1, 'Person', 'partner_user', 'technical', $2, $3) RETURNING id",
        )
        .bind(format!("{name}@expiry-one.example"))
        .bind(org)
        .bind(now - 700 * DAY_MS)
        .fetch_one(&state.db.write)
        .await
        .unwrap();
        people.push(user);
    }
    let (certification,): (i64,) = sqlx::query_as(
        "INSERT INTO certifications (name, validity_months, recert_window_days, created_at) \
         VALUES ('Expiry Cert', 12, 30, $1) RETURNING id",
    )
    .bind(now - 900 * DAY_MS)
    .fetch_one(&state.db.write)
    .await
    .unwrap();
    // (holder, issued days ago, ends in days, revoked days ago)
    let certificates = [
        (people[0], 300, 10, None),     // valid, ending within 30 days
        (people[1], 465, -100, None),   // lapsed in the window, not renewed
        (people[2], 465, -100, None),   // lapsed in the window …
        (people[2], 110, 255, None),    // … renewed before it ended
        (people[3], 100, 265, Some(5)), // revoked
    ];
    for (i, (holder, issued, ends, revoked)) in certificates.into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(certification)
        .bind(holder)
        .bind(format!("expiry-code-{i}"))
        .bind(now - issued * DAY_MS)
        .bind(now + ends * DAY_MS)
        .bind(revoked.map(|d: i64| now - d * DAY_MS))
        .execute(&state.db.write)
        .await
        .unwrap();
    }
    let manager = sign_in(&server, "marco@lumen.example").await;
    let (status, view) = invoke::<CertificateInsight>(
        &manager,
        &server,
        LoadCertificateInsight::PATH,
        &[("query[region]", "Certland")],
    )
    .await;
    assert_eq!(status, 200);
    let view = view.unwrap();
    assert_eq!(view.rows.len(), 1);
    let row = &view.rows[0];
    assert_eq!(row.org_name, "Expiry One");
    assert_eq!(
        (
            row.active,
            row.expiring_30,
            row.expiring_60,
            row.expiring_90
        ),
        (2, 1, 0, 0)
    );
    assert_eq!((row.expired, row.revoked), (2, 1));
    assert_eq!(
        (row.recertification.successes, row.recertification.n),
        (1, 2)
    );
    // Only technical holders: the sales person's certificate drops out.
    let (_, technical) = invoke::<CertificateInsight>(
        &manager,
        &server,
        LoadCertificateInsight::PATH,
        &[("query[region]", "Certland"), ("query[role]", "technical")],
    )
    .await;
    assert_eq!(technical.unwrap().rows[0].expiring_30, 0);
    let html = common::html_of(&manager, &server, "/insights/certificates?region=Certland").await;
    assert!(html.contains("Expiry One: 1 later, 1 ≤ 30 days"), "{html}");
    let download = manager
        .get(server.url(&format!("{CERTIFICATES_CSV_PATH}?region=Certland")))
        .send()
        .await
        .unwrap();
    let parsed = common::python_json_of("parse_csv.py", "csv", &download.text().await.unwrap());
    let rows = parsed["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "the organisation and the totals");
    assert_eq!(rows[1][0], "All organisations");
    let partner = sign_in(&server, "nora@northwind.example").await;
    let (status, _) =
        invoke::<CertificateInsight>(&partner, &server, LoadCertificateInsight::PATH, &[]).await;
    assert_eq!(status, 403);
    server.stop().await;
}

/// The program's time zone cuts the views' days and months: a deal created at noon UTC on a
/// month's last day belongs to the next month in Kiritimati (UTC+14), once an admin chooses
/// that zone; a zone that is not one is a field error that changes nothing.
async fn the_views_count_days_and_months_in_the_programs_time_zone(backend: Backend) {
    use app::api::program::{LoadProgramSettings, SaveProgramSettings};
    use app::domain::channel::clocks::SettingsForm;
    use chrono::{Datelike, Months, NaiveDate};
    let server = TestServer::start(backend).await;
    let (org, _) = certland_org(&server, "Zone Partner", 900).await;
    let now = server.server.state.clock.now_ms();
    let today = chrono::DateTime::from_timestamp_millis(now)
        .unwrap()
        .date_naive();
    let first_of_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let next_month = first_of_month - Months::new(2);
    let noon_before = (next_month.and_hms_opt(0, 0, 0).unwrap() - chrono::Duration::hours(12))
        .and_utc()
        .timestamp_millis();
    let days_ago = (now - noon_before) / DAY_MS;
    certland_deal(
        &server,
        org,
        (days_ago, None),
        ("propose", "approved"),
        1_000,
    )
    .await;
    // certland_deal counts whole days back from now; put the creation on the exact instant.
    sqlx::query("UPDATE deals SET created_at = $1, submitted_at = $1 WHERE partner_org_id = $2")
        .bind(noon_before)
        .bind(org)
        .execute(&server.server.state.db.write)
        .await
        .unwrap();
    let manager = sign_in(&server, "marco@lumen.example").await;
    let args = [("query[region]", "Certland")];
    let month_with_pipeline = |view: &SourcedInsight| -> Vec<String> {
        view.months
            .iter()
            .filter(|m| m.pipeline_by_stage.iter().sum::<i64>() > 0)
            .map(|m| m.label.clone())
            .collect()
    };
    let (_, utc) =
        invoke::<SourcedInsight>(&manager, &server, LoadSourcedInsight::PATH, &args).await;
    let utc = utc.unwrap();
    assert!(utc.window.ends_with("(12 months, UTC)"), "{}", utc.window);
    let month_before = next_month - Months::new(1);
    assert_eq!(
        month_with_pipeline(&utc),
        [month_before.format("%b %Y").to_string()]
    );

    let admin = sign_in(&server, "admin@lumen.example").await;
    let (_, form) = invoke::<SettingsForm>(&admin, &server, LoadProgramSettings::PATH, &[]).await;
    let mut form = form.unwrap();
    assert_eq!(form.time_zone, "UTC");
    for bad in ["Mars/Olympus", "+14:00", &"Pacific/".repeat(20)] {
        form.time_zone = bad.to_string();
        let (status, refused) =
            common::submit_form::<()>(&admin, &server, SaveProgramSettings::PATH, &form).await;
        assert_eq!(status, 422, "{bad}");
        assert!(refused.unwrap_err().field_message("time_zone").is_some());
    }
    let (_, unchanged) =
        invoke::<SettingsForm>(&admin, &server, LoadProgramSettings::PATH, &[]).await;
    assert_eq!(
        unchanged.unwrap().time_zone,
        "UTC",
        "a refused form changes nothing"
    );
    form.time_zone = " pacific/kiritimati ".into();
    let (status, _) =
        common::submit_form::<()>(&admin, &server, SaveProgramSettings::PATH, &form).await;
    assert_eq!(status, 200);
    let (_, saved) = invoke::<SettingsForm>(&admin, &server, LoadProgramSettings::PATH, &[]).await;
    assert_eq!(saved.unwrap().time_zone, "Pacific/Kiritimati");

    let (_, local) =
        invoke::<SourcedInsight>(&manager, &server, LoadSourcedInsight::PATH, &args).await;
    let local = local.unwrap();
    assert!(
        local.window.ends_with("(12 months, Pacific/Kiritimati)"),
        "{}",
        local.window
    );
    assert_eq!(
        month_with_pipeline(&local),
        [next_month.format("%b %Y").to_string()]
    );
    let html = common::html_of(&manager, &server, "/insights/sourced?region=Certland").await;
    assert!(html.contains("12 months, Pacific/Kiritimati"), "{html}");
    let (header, rows) = csv_of(
        &manager,
        &server,
        &format!("{SOURCED_CSV_PATH}?region=Certland"),
    )
    .await;
    let window = header.iter().position(|h| h == "window").unwrap();
    assert!(rows.iter().all(|row| row[window] == local.window));
    server.stop().await;
}

/// Everything the insights read whole, as text: kept reads are compared with fresh ones.
async fn facts_as_text(db: &app::server::db::Db) -> String {
    use app::server::repo::insights;
    let published = insights::published_paths(db).await.unwrap();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        insights::assignments(db, &published, false).await.unwrap(),
        insights::assignments(db, &published, true).await.unwrap(),
        insights::partner_deals(db).await.unwrap(),
        insights::registrations(db).await.unwrap(),
        insights::certificates(db).await.unwrap(),
    )
}

/// The facts kept between views (`fact_cache`) always equal a read from scratch: after a
/// write to any table they come from, the next read sees it, on both backends.
async fn kept_insight_facts_match_a_fresh_read_after_any_write(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let now = server.server.state.clock.now_ms();
    // Someone who has not finished a path with a quiz, to complete and progress on it.
    let (quiz_path,): (i64,) =
        sqlx::query_as("SELECT path_id FROM path_steps WHERE kind = 'quiz' ORDER BY id LIMIT 1")
            .fetch_one(&db.read)
            .await
            .unwrap();
    let published = app::server::repo::insights::published_paths(db)
        .await
        .unwrap();
    let (user, path) = app::server::repo::insights::assignments(db, &published, true)
        .await
        .unwrap()
        .iter()
        .find(|a| a.path_id == quiz_path && a.completed_at.is_none() && a.started_at.is_none())
        .map(|a| (a.user_id, a.path_id))
        .expect("someone yet to start the path");
    let writes = [
        ("deals", "UPDATE deals SET amount_cents = amount_cents + 100 WHERE id = (SELECT MIN(id) FROM deals WHERE partner_org_id IS NOT NULL)".to_string()),
        ("deal_events", format!("INSERT INTO deal_events (deal_id, actor_user_id, at, field, from_value, to_value) SELECT MIN(id), (SELECT id FROM users WHERE email = 'marco@lumen.example'), {now}, 'registration_status', 'pending', 'approved' FROM deals WHERE partner_org_id IS NOT NULL AND submitted_at IS NOT NULL")),
        ("users", format!("UPDATE users SET display_name = 'Marco Renamed', job_role = 'technical' WHERE email = 'marco@lumen.example' OR id = (SELECT MIN(user_id) FROM certificates WHERE user_id <> {user})")),
        ("partner_orgs", "UPDATE partner_orgs SET region = 'Elsewhere' WHERE id = (SELECT MIN(partner_org_id) FROM users WHERE role = 'partner_user')".to_string()),
        ("learning_paths", format!("UPDATE learning_paths SET first_published_at = {now} WHERE id = {path}")),
        ("path_completions", format!("INSERT INTO path_completions (user_id, path_id, path_version, completed_at) VALUES ({user}, {path}, 1, {now})")),
        ("path_completion_history", format!("INSERT INTO path_completion_history (user_id, path_id, path_version, completed_at, reopened_at, certificate_id) VALUES ({user}, {path}, 1, {}, {}, (SELECT MIN(id) FROM certificates))", now - 2 * DAY_MS, now - DAY_MS)),
        ("step_progress", format!("INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) VALUES ({user}, (SELECT MIN(id) FROM path_steps WHERE kind <> 'quiz' AND path_id = {path}), 0, {now}, {now})")),
        ("quiz_attempts", format!("INSERT INTO quiz_attempts (step_id, user_id, attempt_number, seed, started_at) VALUES ((SELECT MIN(id) FROM path_steps WHERE kind = 'quiz' AND path_id = {path}), {user}, 1, 7, {})", now - DAY_MS)),
        // The lesson the learner did moves to another path: it no longer counts on theirs.
        ("path_steps", format!("UPDATE path_steps SET path_id = (SELECT MAX(id) FROM learning_paths WHERE id <> {path}) WHERE id = (SELECT MIN(id) FROM path_steps WHERE kind <> 'quiz' AND path_id = {path})")),
        ("certificates", format!("UPDATE certificates SET revoked_at = {now} WHERE id = (SELECT MIN(id) FROM certificates WHERE revoked_at IS NULL)")),
        ("certification_paths", "DELETE FROM certification_paths WHERE path_id = (SELECT MIN(path_id) FROM certification_paths)".to_string()),
    ];
    let mut before = facts_as_text(db).await;
    assert_eq!(
        facts_as_text(db).await,
        before,
        "a second read is the kept one"
    );
    for (table, write) in writes {
        let changed = sqlx::query(&write).execute(&db.write).await.unwrap();
        assert!(
            changed.rows_affected() > 0,
            "{table}: the write changed nothing"
        );
        let kept = facts_as_text(db).await;
        db.facts.clear();
        let fresh = facts_as_text(db).await;
        assert_eq!(kept, fresh, "after a write to {table}");
        assert_ne!(kept, before, "{table}: the write changed no fact");
        before = fresh;
    }
    server.stop().await;
}

/// Two transactions that write the same insight tables in opposite orders both commit: the
/// version bumps wait for the commit behind one lock, so they never deadlock each other.
async fn writers_in_opposite_orders_both_commit(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let versions = || async {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT source, version FROM fact_versions ORDER BY source")
                .fetch_all(&db.read)
                .await
                .unwrap();
        rows
    };
    let before = versions().await;
    let write = |first: &'static str, second: &'static str| async move {
        let mut tx = db.write.begin().await?;
        sqlx::query(first).execute(&mut *tx).await?;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        sqlx::query(second).execute(&mut *tx).await?;
        tx.commit().await
    };
    let deals_then_users = write(
        "UPDATE deals SET amount_cents = amount_cents + 1 WHERE id = (SELECT MIN(id) FROM deals)",
        "UPDATE users SET display_name = display_name || '.' WHERE id = (SELECT MIN(id) FROM users)",
    );
    let users_then_deals = write(
        "UPDATE users SET display_name = display_name || ',' WHERE id = (SELECT MAX(id) FROM users)",
        "UPDATE deals SET amount_cents = amount_cents + 1 WHERE id = (SELECT MAX(id) FROM deals)",
    );
    let (one, two) = tokio::join!(deals_then_users, users_then_deals);
    one.unwrap();
    two.unwrap();
    let after = versions().await;
    for ((source, old), (_, new)) in before.iter().zip(&after) {
        match source.as_str() {
            "deals" | "users" => assert!(new > old, "{source} was bumped"),
            _ => assert_eq!(new, old, "{source} was not written"),
        }
    }
    server.stop().await;
}

both_backends!(
    writers_in_opposite_orders_both_commit,
    kept_insight_facts_match_a_fresh_read_after_any_write,
    the_views_count_days_and_months_in_the_programs_time_zone,
    quiz_items_and_tags_are_analysed_over_the_windows_answers,
    sourced_pipeline_counts_created_and_won_deals_by_month_and_partner,
    at_risk_learners_are_listed_with_their_reasons_and_nudged_once_a_week,
    module_satisfaction_puts_the_response_rate_beside_the_score,
    completion_cohorts_and_first_deals_are_curves_worked_out_by_hand,
    the_learning_funnel_counts_each_stage_as_worked_out_by_hand,
    the_expiry_pipeline_is_counted_as_worked_out_by_hand,
    registration_health_is_counted_as_worked_out_by_hand,
    the_demo_history_makes_the_views_meaningful_and_leaves_the_present_alone,
    completion_by_segment_is_counted_as_worked_out_by_hand,
    certified_vs_not_takes_exposure_on_each_deals_creation_day,
    a_scorecard_shows_one_organisation_and_hides_medians_few_peers_would_reveal
);
