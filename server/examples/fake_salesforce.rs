//! The integration tests' fake Salesforce org as a process, for the browser tests:
//! `fake_salesforce <address> <consumer key> <consumer secret>`, e.g.
//! `fake_salesforce 127.0.0.1:3102 3MVG9e2e e2e-secret`.
#[path = "../tests/common/fake_salesforce.rs"]
#[allow(dead_code)] // the browser tests use the routes, not the inspection helpers
mod fake_salesforce;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:3102".into());
    let client_id = args.next().unwrap_or_else(|| "3MVG9e2e".into());
    let client_secret = args.next().unwrap_or_else(|| "e2e-secret".into());
    let fake = fake_salesforce::FakeSalesforce::new(&client_id, &client_secret);
    let base = fake.start_on(&address).await;
    println!("fake Salesforce at {base}");
    std::future::pending::<()>().await;
}
