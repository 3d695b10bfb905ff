//! Certificates over HTTP on SQLite and PostgreSQL, with injected time: issue on completion,
//! the recertification window, expiry recorded once however often the job runs, revocation
//! that shows at once, the public verification page, and Open Badges credentials that verify
//! (and fail when tampered with).
mod common;

use app::api::certifications::*;
use app::domain::certification::{CertificateStatus, DAY_MS};
use app::model::{CertificateView, CredentialCheck, HoldersPage, VerifiedCertificate};
use common::{call, invoke, sign_in, Backend, ServerFn, TestServer};

const GRACE: &str = "grace@harbor.example";
const MANAGER: &str = "marco@lumen.example";
const ADMIN: &str = "admin@lumen.example";

/// Records that a learner completed the sales path, and lets the certification job issue
/// what it earned (pages only read); returns the completion instant.
async fn complete_sales_path(server: &TestServer, email: &str) -> i64 {
    let at =
        common::complete_certification_paths(server, email, "Lumen Certified Sales Professional")
            .await;
    server::jobs::run_certification_clock(&server.server.state)
        .await
        .unwrap();
    at
}

async fn mine(client: &reqwest::Client, server: &TestServer) -> Vec<CertificateView> {
    let (status, list) =
        invoke::<Vec<CertificateView>>(client, server, LoadMyCertificates::PATH, &[]).await;
    assert_eq!(status, 200, "{list:?}");
    list.unwrap()
}

async fn verify(server: &TestServer, code: &str) -> (u16, Option<VerifiedCertificate>) {
    let stranger = server.client();
    let (status, record) = invoke::<VerifiedCertificate>(
        &stranger,
        server,
        VerifyCertificate::PATH,
        &[("code", code)],
    )
    .await;
    (status, record.ok())
}

async fn a_certificate_is_issued_recertified_in_its_window_and_expires_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let grace = sign_in(&server, GRACE).await;
    assert!(mine(&grace, &server).await.is_empty());

    let completed_at =
        common::complete_certification_paths(&server, GRACE, "Lumen Certified Sales Professional")
            .await;
    // Two instances run the issuing job at once, then it runs again: one certificate.
    let (first, second) = tokio::join!(
        server::jobs::run_certification_clock(state),
        server::jobs::run_certification_clock(state)
    );
    assert_eq!(
        first.unwrap().issued.len() + second.unwrap().issued.len(),
        1
    );
    assert!(server::jobs::run_certification_clock(state)
        .await
        .unwrap()
        .issued
        .is_empty());
    let list = mine(&grace, &server).await;
    assert_eq!(list.len(), 1);
    let certificate = list[0].clone();
    assert_eq!(
        certificate.certification_name,
        "Lumen Certified Sales Professional"
    );
    assert_eq!(certificate.issued_at, completed_at);
    assert_eq!(
        certificate.expires_at,
        app::domain::certification::expiry_after(completed_at, 12)
    );
    assert_eq!(certificate.status, CertificateStatus::Active);
    assert!(!certificate.recertification_open);

    // 59 days before expiry the recertification window (60 days) is open; within 30 days
    // the certificate counts as expiring.
    let expires = certificate.expires_at;
    state
        .clock
        .advance(expires - 59 * DAY_MS - state.clock.now_ms());
    let grace = sign_in(&server, GRACE).await;
    let now_view = &mine(&grace, &server).await[0];
    assert!(now_view.recertification_open);
    assert_eq!(now_view.status, CertificateStatus::Active);
    state
        .clock
        .advance(expires - 10 * DAY_MS - state.clock.now_ms());
    let grace = sign_in(&server, GRACE).await;
    assert_eq!(
        mine(&grace, &server).await[0].status,
        CertificateStatus::Expiring
    );

    // Run late, past the end, and twice: the expiry is recorded once and shows publicly.
    state
        .clock
        .advance(expires + 3 * DAY_MS - state.clock.now_ms());
    let late = server::jobs::run_certification_clock(state).await.unwrap();
    assert!(late.expired.contains(&certificate.certificate_id));
    let again = server::jobs::run_certification_clock(state).await.unwrap();
    assert!(again.expired.is_empty() && again.issued.is_empty());
    let (expired_events,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM certificate_events WHERE certificate_id = $1 AND event = 'expired'",
    )
    .bind(certificate.certificate_id)
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert_eq!(expired_events, 1);
    let (_, record) = verify(&server, &certificate.verify_code).await;
    assert_eq!(record.unwrap().status, CertificateStatus::Expired);
    // The old completion never re-issues the certificate.
    let grace = sign_in(&server, GRACE).await;
    let list = mine(&grace, &server).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, CertificateStatus::Expired);
    server.stop().await;
}

/// The errors 1EdTech's official OB 3.0 AchievementCredential JSON Schema finds in a
/// credential (the jsonschema library, draft 2019-09; `scripts/setup.sh` fetches the schema).
fn official_schema_errors(credential: &serde_json::Value) -> serde_json::Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let schema =
        root.join("target/third-party/ob_schemas/ob_v3p0_achievementcredential_schema.json");
    assert!(
        schema.exists(),
        "run scripts/setup.sh to fetch {}",
        schema.display()
    );
    let file = std::env::temp_dir().join(format!(
        "partner-portal-tests/schema-check-{}.json",
        std::process::id()
    ));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, credential.to_string()).unwrap();
    let output = std::process::Command::new("python3")
        .arg(common::tool("validate_ob3.py"))
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Runs a Node script off the async runtime (the verifier fetches from this very server).
async fn run_node(
    script: std::path::PathBuf,
    file: &std::path::Path,
    public_base: &str,
    server_url: &str,
) -> Vec<u8> {
    let args = [
        script.display().to_string(),
        file.display().to_string(),
        public_base.to_string(),
        server_url.to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Runs Digital Bazaar's verifier (`end2end/tools/verify-credential.mjs`: @digitalbazaar/vc,
/// eddsa-jcs-2022, did:key, Bitstring Status List) on a credential, with every JSON-LD
/// context from npm packages and the status list fetched from this server.
async fn third_party_verification(
    server: &TestServer,
    credential: &serde_json::Value,
) -> serde_json::Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let file = std::env::temp_dir().join(format!(
        "partner-portal-tests/credential-{}-{}.json",
        std::process::id(),
        server.server.addr.port()
    ));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, credential.to_string()).unwrap();
    let output = run_node(
        root.join("end2end/tools/verify-credential.mjs"),
        &file,
        &server.server.state.settings.public_base_url,
        &server.server.url(),
    )
    .await;
    serde_json::from_slice(&output).unwrap_or_else(|e| {
        panic!(
            "verifier output {:?}: {e}",
            String::from_utf8_lossy(&output)
        )
    })
}

async fn the_public_page_verifies_credentials_and_revocation_shows_at_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let grace = sign_in(&server, GRACE).await;
    complete_sales_path(&server, GRACE).await;
    let certificate = mine(&grace, &server).await.remove(0);
    let code = certificate.verify_code.clone();

    // No sign-in needed; the credential carries the certificate's dates and verifies.
    let (status, record) = verify(&server, &code).await;
    assert_eq!(status, 200);
    let record = record.unwrap();
    assert_eq!(record.holder_name, "Grace Lin");
    assert_eq!(record.org_name.as_deref(), Some("Harbor Digital"));
    assert!(record.signature_valid);
    assert!(record.signer.starts_with("did:key:z6Mk"));
    let credential: serde_json::Value = serde_json::from_str(&record.credential_json).unwrap();
    assert_eq!(credential["type"][1], "OpenBadgeCredential");
    let iso = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    assert_eq!(credential["validFrom"], iso(certificate.issued_at));
    assert_eq!(credential["validUntil"], iso(certificate.expires_at));
    assert_eq!(credential["proof"][0]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(
        credential["issuer"]["id"],
        record.signer.as_str(),
        "the key's controller issues"
    );
    // Its place in the revocation list is random, not the certificate's id, and stays put.
    let index = credential["credentialStatus"]["statusListIndex"].clone();
    let again: serde_json::Value =
        serde_json::from_str(&verify(&server, &code).await.1.unwrap().credential_json).unwrap();
    assert_eq!(again["credentialStatus"]["statusListIndex"], index);
    let schema_errors = official_schema_errors(&credential);
    assert_eq!(
        schema_errors,
        serde_json::json!([]),
        "1EdTech's OB 3.0 schema"
    );
    let outside = third_party_verification(&server, &credential).await;
    assert_eq!(outside["jcs"], true, "eddsa-jcs-2022: {outside}");
    assert_eq!(outside["rdfc"], true, "eddsa-rdfc-2022: {outside}");
    assert_eq!(outside["status"]["revoked"], false, "{outside}");

    let stranger = server.client();
    let check = |body: String| {
        let stranger = stranger.clone();
        let server = &server;
        async move {
            invoke::<CredentialCheck>(
                &stranger,
                server,
                CheckCredential::PATH,
                &[("credential", &body)],
            )
            .await
        }
    };
    let (status, checked) = check(record.credential_json.clone()).await;
    assert_eq!(status, 200);
    let checked = checked.unwrap();
    assert!(checked.signature_valid, "{}", checked.message);
    assert_eq!(checked.record.unwrap().status, CertificateStatus::Active);

    // A tampered credential (a later end date) fails.
    let mut tampered = credential.clone();
    tampered["validUntil"] = "2099-01-01T00:00:00Z".into();
    let outside = third_party_verification(&server, &tampered).await;
    assert_eq!(
        (&outside["jcs"], &outside["rdfc"]),
        (&false.into(), &false.into()),
        "{outside}"
    );
    let (_, checked) = check(tampered.to_string()).await;
    let checked = checked.unwrap();
    assert!(!checked.signature_valid);
    assert!(checked.message.contains("changed after signing"));
    assert!(checked.record.is_none());
    let (status, garbage) = check("not json".into()).await;
    assert_eq!(status, 422);
    assert!(garbage.unwrap_err().field_message("credential").is_some());

    // Revocation: admins only, with a reason, once; the public page shows it at once.
    let manager = sign_in(&server, MANAGER).await;
    let id = certificate.certificate_id.to_string();
    let revoke = |client: reqwest::Client, reason: &'static str| {
        let server = &server;
        let id = id.clone();
        async move {
            call(
                &client,
                server,
                RevokeCertificate::PATH,
                &[("certificate_id", &id), ("reason", reason)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(revoke(manager, "Shared the exam answers.").await, 403);
    let admin = sign_in(&server, ADMIN).await;
    assert_eq!(revoke(admin.clone(), "bad").await, 422);
    assert_eq!(
        verify(&server, &code).await.1.unwrap().status,
        CertificateStatus::Active
    );
    assert_eq!(revoke(admin.clone(), "Shared the exam answers.").await, 200);
    assert_eq!(revoke(admin, "Shared the exam answers.").await, 409);
    let record = verify(&server, &code).await.1.unwrap();
    assert_eq!(record.status, CertificateStatus::Revoked);
    assert_eq!(
        record.revoke_reason.as_deref(),
        Some("Shared the exam answers.")
    );
    // Verifiers elsewhere see it too: the status list now has the certificate's bit set.
    let outside = third_party_verification(&server, &credential).await;
    assert_eq!(outside["status"]["revoked"], true, "{outside}");
    // The downloaded credential still verifies as ours, and the check reports the revocation.
    let (_, checked) = check(record.credential_json.clone()).await;
    assert_eq!(
        checked.unwrap().record.unwrap().status,
        CertificateStatus::Revoked
    );
    let grace = sign_in(&server, GRACE).await;
    assert_eq!(
        mine(&grace, &server).await[0].status,
        CertificateStatus::Revoked
    );

    assert_eq!(verify(&server, "NOSUCHCODE").await.0, 404);
    server.stop().await;
}

/// Every certificate has its own position in the revocation list, drawn at random at
/// issue: positions are unique and do not follow the certificates' order.
async fn status_list_positions_are_unique_and_random(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rows: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, status_index FROM certificates ORDER BY id")
            .fetch_all(&server.server.state.db.read)
            .await
            .unwrap();
    assert!(rows.len() >= 10, "the demo issues certificates");
    let indexes: std::collections::BTreeSet<i64> = rows
        .iter()
        .map(|(_, index)| index.expect("a position"))
        .collect();
    assert_eq!(indexes.len(), rows.len(), "unique");
    let in_order = rows.windows(2).filter(|w| w[0].1 < w[1].1).count();
    assert!(
        in_order < rows.len() - 1,
        "positions rise with every certificate: they would reveal the order"
    );
    assert!(rows
        .iter()
        .all(|(id, index)| Some(*id) != *index || *id > 1_000));
    server.stop().await;
}

async fn managers_list_holders_by_organisation_role_and_status(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let holders = |args: Vec<(&'static str, String)>| {
        let manager = manager.clone();
        let server = &server;
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            invoke::<HoldersPage>(&manager, server, LoadHolders::PATH, &args).await
        }
    };
    let (status, all) = holders(vec![]).await;
    assert_eq!(status, 200);
    let all = all.unwrap();
    // The demo holds every status.
    for status in [
        CertificateStatus::Active,
        CertificateStatus::Expiring,
        CertificateStatus::Expired,
        CertificateStatus::Revoked,
    ] {
        assert!(
            all.counts.iter().any(|(s, n)| *s == status && *n > 0),
            "{status:?} missing: {:?}",
            all.counts
        );
    }
    let (_, revoked) = holders(vec![("status", "revoked".into())]).await;
    let revoked = revoked.unwrap();
    assert!(!revoked.rows.is_empty());
    assert!(revoked
        .rows
        .iter()
        .all(|r| r.status == CertificateStatus::Revoked));
    let (_, technical) = holders(vec![("role", "technical".into())]).await;
    assert!(technical
        .unwrap()
        .rows
        .iter()
        .all(|r| r.job_role == Some(app::domain::identity::JobRole::Technical)));
    let atlas = all
        .orgs
        .iter()
        .find(|(_, name)| name == "Atlas Integrators")
        .unwrap()
        .0;
    let (_, of_atlas) = holders(vec![("org", atlas.to_string())]).await;
    let of_atlas = of_atlas.unwrap();
    assert!(!of_atlas.rows.is_empty());
    assert!(of_atlas
        .rows
        .iter()
        .all(|r| r.org_name == "Atlas Integrators"));
    // The organisation is typed by name, in any case and in part ("Atlas" once blanked
    // the page); ids from older links still work.
    let (status, by_name) = holders(vec![("org", "  atLAS ".into())]).await;
    assert_eq!(status, 200);
    let by_name = by_name.unwrap();
    assert_eq!(by_name.rows, of_atlas.rows);
    assert!(by_name.problems.is_empty());
    let (_, nobody) = holders(vec![("org", "No Such Organisation".into())]).await;
    assert!(nobody.unwrap().rows.is_empty());
    // A filter that cannot be used is named at its field and left out; the page still
    // lists what the other filters select.
    let (status, bad) = holders(vec![
        ("status", "lapsed".into()),
        ("org", "x".repeat(101)),
        ("role", "technical".into()),
    ])
    .await;
    assert_eq!(status, 200);
    let bad = bad.unwrap();
    let fields: Vec<&str> = bad.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["org", "status"]);
    assert!(!bad.rows.is_empty());
    assert!(bad
        .rows
        .iter()
        .all(|r| r.job_role == Some(app::domain::identity::JobRole::Technical)));
    let html = common::html_of(&manager, &server, "/certificates/holders?org=Atlas").await;
    assert!(
        html.contains("Atlas Integrators"),
        "the name filter lists Atlas"
    );
    assert!(
        !html.contains("correct the highlighted"),
        "no error for a name"
    );
    let html = common::html_of(&manager, &server, "/certificates/holders?status=lapsed").await;
    let slot = html
        .find(r#"id="holders-status-error""#)
        .expect("the status slot");
    assert!(
        html[slot..slot + 120].contains("Choose a status from the list."),
        "the status problem is at its field"
    );
    let partner = sign_in(&server, GRACE).await;
    assert_eq!(
        call(&partner, &server, LoadHolders::PATH, &[])
            .await
            .status(),
        403
    );
    server.stop().await;
}

async fn revoking_the_last_technical_certificate_blocks_implementation_deals(backend: Backend) {
    use common::deals::{form, register};
    let server = TestServer::start(backend).await;
    let mila = sign_in(&server, "mila@atlas.example").await;
    let si_deal = |company: &str, domain: &str| {
        let mut body = form(company, domain, "80000", "");
        body["input"]["motion"] = "si".into();
        body["input"]["product_line"] = "Lumen Connect".into();
        body
    };
    // Atlas holds the technical certification: it may sell Connect and deliver.
    let (status, allowed) = register(
        &mila,
        &server,
        si_deal("Umbra Robotics", "umbrarobotics.com"),
    )
    .await;
    assert_eq!(status, 200, "{allowed:?}");

    // An admin revokes every technical certificate Atlas holds.
    let admin = sign_in(&server, ADMIN).await;
    let (_, page) = invoke::<HoldersPage>(&admin, &server, LoadHolders::PATH, &[]).await;
    let technical: Vec<i64> = page
        .unwrap()
        .rows
        .into_iter()
        .filter(|r| {
            r.org_name == "Atlas Integrators"
                && r.certification_name == "Lumen Certified Technical Specialist"
                && r.status.is_valid()
        })
        .map(|r| r.certificate_id)
        .collect();
    assert!(!technical.is_empty());
    for id in technical {
        let response = call(
            &admin,
            &server,
            RevokeCertificate::PATH,
            &[
                ("certificate_id", &id.to_string()),
                ("reason", "Audit found the exam was proxied."),
            ],
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let before: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deals")
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    let (status, refused) =
        register(&mila, &server, si_deal("Vega Turbines", "vegaturbines.com")).await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    let motion = refused.field_message("motion").unwrap();
    assert!(
        motion.contains("Delivering implementations needs the Lumen Certified Technical Specialist certification"),
        "{motion}"
    );
    let product = refused.field_message("product_line").unwrap();
    assert!(product.contains("Selling Lumen Connect"), "{product}");
    let after: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deals")
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    assert_eq!(before, after, "nothing was registered");
    // Referral deals of other products need no certification.
    let mut referral = form("Vega Turbines", "vegaturbines.com", "20000", "");
    referral["input"]["motion"] = "referral".into();
    assert_eq!(register(&mila, &server, referral).await.0, 200);
    server.stop().await;
}

/// Reminder emails about Grace's sales certificate: (subject, body).
async fn grace_reminders(server: &TestServer) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT subject, body_text FROM email_outbox WHERE to_address = $1 \
         AND subject LIKE 'Your Lumen Certified Sales Professional certificate expires%' ORDER BY id",
    )
    .bind(GRACE)
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap()
}

async fn holders_are_reminded_30_and_7_days_before_expiry_once_each(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let grace = sign_in(&server, GRACE).await;
    complete_sales_path(&server, GRACE).await;
    let certificate = mine(&grace, &server).await.remove(0);
    let expires = certificate.expires_at;
    state
        .clock
        .advance(expires - 31 * DAY_MS - state.clock.now_ms());
    server::jobs::run_certification_clock(state).await.unwrap();
    assert!(grace_reminders(&server).await.is_empty(), "too early");

    // 25 days before: two instances at once, then a third run: one email.
    state.clock.advance(6 * DAY_MS);
    let (first, second) = tokio::join!(
        server::jobs::run_certification_clock(state),
        server::jobs::run_certification_clock(state)
    );
    // Demo certificates issued around the same day are reminded too; Grace's goes once.
    let graces = |run: server::jobs::CertificationRun| {
        run.reminded
            .iter()
            .filter(|id| **id == certificate.certificate_id)
            .count()
    };
    assert_eq!(graces(first.unwrap()) + graces(second.unwrap()), 1);
    server::jobs::run_certification_clock(state).await.unwrap();
    assert_eq!(grace_reminders(&server).await.len(), 1);

    // 5 days before: the 7-day reminder, once, with a link straight into the sales path.
    state.clock.advance(20 * DAY_MS);
    server::jobs::run_certification_clock(state).await.unwrap();
    server::jobs::run_certification_clock(state).await.unwrap();
    let reminders = grace_reminders(&server).await;
    assert_eq!(reminders.len(), 2);
    assert!(
        reminders[1].1.contains("/auth/magic?token="),
        "{}",
        reminders[1].1
    );
    server.stop().await;
}

async fn a_late_run_sends_one_expiry_reminder_not_two(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let grace = sign_in(&server, GRACE).await;
    complete_sales_path(&server, GRACE).await;
    let expires = mine(&grace, &server).await[0].expires_at;
    // The job did not run for weeks: now only 5 days are left.
    state
        .clock
        .advance(expires - 5 * DAY_MS - state.clock.now_ms());
    server::jobs::run_certification_clock(state).await.unwrap();
    server::jobs::run_certification_clock(state).await.unwrap();
    assert_eq!(grace_reminders(&server).await.len(), 1);
    server.stop().await;
}

both_backends!(
    holders_are_reminded_30_and_7_days_before_expiry_once_each,
    a_late_run_sends_one_expiry_reminder_not_two,
    revoking_the_last_technical_certificate_blocks_implementation_deals,
    a_certificate_is_issued_recertified_in_its_window_and_expires_once,
    the_public_page_verifies_credentials_and_revocation_shows_at_once,
    managers_list_holders_by_organisation_role_and_status,
    status_list_positions_are_unique_and_random,
);
