//! The integration tests' fake HubSpot as a process, for the browser tests:
//! `fake_hubspot <address> <token> [<client id> <client secret> <redirect URL>]`, e.g.
//! `fake_hubspot 127.0.0.1:3101 pat-e2e`; with the last three it also has an OAuth app whose
//! consent screen approves at once.
#[path = "../tests/common/fake_hubspot.rs"]
#[allow(dead_code)] // the browser tests use the routes, not the inspection helpers
mod fake_hubspot;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:3101".into());
    let token = args.next().unwrap_or_else(|| "pat-e2e-token".into());
    let fake = fake_hubspot::FakeHubSpot::new(&token);
    if let (Some(client_id), Some(secret), Some(redirect)) = (args.next(), args.next(), args.next())
    {
        fake.enable_oauth(
            &client_id,
            &secret,
            &redirect,
            std::time::Duration::from_secs(1800),
        );
    }
    // The account's own pipeline beside HubSpot's default one, for the stage map.
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
    let base = fake.start_on(&address).await;
    println!("fake HubSpot at {base}");
    std::future::pending::<()>().await;
}
