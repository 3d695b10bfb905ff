//! Salesforce connected with the JWT bearer flow, on SQLite and PostgreSQL, against the fake
//! org, which verifies each assertion's RS256 signature with the `rsa` crate (the portal
//! signs with ring) and checks its issuer, subject, audience and expiry (crm_sync.md §8.3
//! S1). The key pair is made by OpenSSL for each run; nothing secret is committed.
mod common;

use app::api::crm::{ConnectionView, CrmOverview, LoadCrmPage};
use app::api::salesforce::{CheckSalesforceFields, ConnectSalesforceJwt};
use app::domain::crm::ConnectionState;
use common::crm::{count, sync};
use common::fake_salesforce::FakeSalesforce;
use common::{invoke, sign_in, Backend, ServerFn, TestServer};
use std::process::Command;

const ADMIN: &str = "admin@lumen.example";
const MANAGER: &str = "marco@lumen.example";
const CLIENT_ID: &str = "3MVG9fakeConsumerKey.jwt";
const USERNAME: &str = "portal-integration@lumen.example";

/// A directory of its own for each use (the two backends' tests run at once).
fn scratch_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir()
        .join("partner-portal-tests")
        .join(format!(
            "jwt-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh RSA key pair from OpenSSL: (PKCS#8 private key, the same key as PKCS#1, public key).
fn key_pair() -> (String, String, String) {
    let dir = scratch_dir();
    let private = dir.join("portal.key");
    let traditional = dir.join("portal-pkcs1.key");
    let public = dir.join("portal.pub");
    let run = |args: &[&str]| {
        let done = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    };
    let path = |p: &std::path::Path| p.display().to_string();
    run(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &path(&private),
    ]);
    run(&[
        "pkey",
        "-in",
        &path(&private),
        "-traditional",
        "-out",
        &path(&traditional),
    ]);
    run(&[
        "pkey",
        "-in",
        &path(&private),
        "-pubout",
        "-out",
        &path(&public),
    ]);
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    (read(&private), read(&traditional), read(&public))
}

async fn salesforce(client: &reqwest::Client, server: &TestServer) -> ConnectionView {
    let (status, page) = invoke::<CrmOverview>(client, server, LoadCrmPage::PATH, &[]).await;
    assert_eq!(status, 200);
    page.unwrap().salesforce.expect("Salesforce is connected")
}

async fn an_admin_connects_salesforce_with_a_certificate_and_sessions_are_minted_with_signed_assertions(
    backend: Backend,
) {
    let (private_pem, pkcs1_pem, public_pem) = key_pair();
    let fake = FakeSalesforce::new(CLIENT_ID, "no-secret-in-this-flow");
    fake.inner.lock().unwrap().jwt = Some((USERNAME.into(), public_pem));
    let base = fake.start().await;
    let server = TestServer::start_with(backend, &["--crm-sync-interval-secs", "86400"]).await;
    let state = &server.server.state;
    let admin = sign_in(&server, ADMIN).await;
    let form = |username: &'static str, key: &str| {
        vec![
            ("domain", base.clone()),
            ("client_id", CLIENT_ID.to_string()),
            ("username", username.to_string()),
            ("private_key", key.to_string()),
        ]
    };
    let post = |client: &reqwest::Client, fields: Vec<(&'static str, String)>| {
        let client = client.clone();
        let server = &server;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            invoke::<()>(&client, server, ConnectSalesforceJwt::PATH, &pairs).await
        }
    };

    // Only vendor admins connect.
    let manager = sign_in(&server, MANAGER).await;
    assert_eq!(post(&manager, form(USERNAME, &private_pem)).await.0, 403);

    // Bad input is a field error and saves nothing: a key that is not one, an encrypted one,
    // a user the app has not pre-authorised (Salesforce refuses the assertion).
    for (username, key, field, says) in [
        (
            USERNAME,
            "not a key",
            "private_key",
            "not a PEM private key",
        ),
        (
            USERNAME,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----",
            "private_key",
            "passphrase",
        ),
        (
            "someone@lumen.example",
            private_pem.as_str(),
            "private_key",
            "hasn't approved",
        ),
        (
            "not-a-username",
            private_pem.as_str(),
            "username",
            "username",
        ),
    ] {
        let (status, refused) = post(&admin, form(username, key)).await;
        assert_eq!(status, 422, "{username} {field}");
        let message = refused
            .unwrap_err()
            .field_message(field)
            .unwrap_or_default();
        assert!(message.contains(says), "{message}");
    }
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM crm_connections").await,
        0
    );
    assert_eq!(fake.mints(), 0);

    // The right user and key: a session is minted with a signed assertion, then saved.
    let (status, done) = post(&admin, form(USERNAME, &private_pem)).await;
    assert_eq!((status, done.is_ok()), (200, true), "{done:?}");
    assert_eq!(fake.mints(), 1);
    let claims = fake.inner.lock().unwrap().last_assertion.clone().unwrap();
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], USERNAME);
    assert_eq!(claims["aud"], "https://login.salesforce.com");
    let view = salesforce(&admin, &server).await;
    assert!(view.jwt);
    assert_eq!(view.token_hint, USERNAME);
    assert_eq!(view.state, ConnectionState::Connected);
    let (sealed,): (String,) = sqlx::query_as("SELECT secret_sealed FROM crm_connections")
        .fetch_one(&state.db.read)
        .await
        .unwrap();
    assert!(!sealed.contains("PRIVATE KEY") && !sealed.contains(USERNAME));

    // Calls use the session; when it ends, one new assertion mints the next.
    let check = || common::call(&admin, &server, CheckSalesforceFields::PATH, &[]);
    assert_eq!(check().await.status(), 200);
    assert_eq!(fake.mints(), 1);
    fake.expire_sessions();
    assert_eq!(check().await.status(), 200);
    assert_eq!(fake.mints(), 2, "one new session after the old one ended");
    assert_eq!(
        salesforce(&admin, &server).await.state,
        ConnectionState::Connected
    );

    // The certificate is replaced in Salesforce (the old key no longer verifies): the
    // connection needs the new key, its queue waits, and the admins are told.
    let (_, _, other_public) = key_pair();
    fake.inner.lock().unwrap().jwt = Some((USERNAME.into(), other_public));
    fake.expire_sessions();
    check().await;
    let view = salesforce(&admin, &server).await;
    assert_eq!(view.state, ConnectionState::NeedsReauth);
    assert!(
        view.last_error
            .as_deref()
            .unwrap()
            .contains("invalid_grant"),
        "{:?}",
        view.last_error
    );
    assert!(
        count(&server, "SELECT COUNT(*) FROM email_outbox WHERE subject = 'Salesforce sync stopped: connect Salesforce again'").await >= 1
    );
    assert_eq!(sync(&server, 2).await.requests, 0, "stopped");

    // The same key as PKCS#1 ("BEGIN RSA PRIVATE KEY") is accepted too, once Salesforce
    // has its certificate again.
    fake.inner.lock().unwrap().jwt = Some((USERNAME.into(), key_public_of(&pkcs1_pem)));
    let (status, done) = post(&admin, form(USERNAME, &pkcs1_pem)).await;
    assert_eq!((status, done.is_ok()), (200, true), "{done:?}");
    assert_eq!(
        salesforce(&admin, &server).await.state,
        ConnectionState::Connected
    );
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM crm_connections").await,
        1
    );
    server.stop().await;
}

/// The public key of a PEM private key, by OpenSSL.
fn key_public_of(private_pem: &str) -> String {
    let file = scratch_dir().join("private.pem");
    std::fs::write(&file, private_pem).unwrap();
    let done = Command::new("openssl")
        .args(["pkey", "-in", &file.display().to_string(), "-pubout"])
        .output()
        .unwrap();
    assert!(done.status.success());
    String::from_utf8(done.stdout).unwrap()
}

both_backends!(
    an_admin_connects_salesforce_with_a_certificate_and_sessions_are_minted_with_signed_assertions,
);
