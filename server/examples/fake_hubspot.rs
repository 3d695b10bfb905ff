//! The integration tests' fake HubSpot as a process, for the browser tests:
//! `fake_hubspot <address> <token>`, e.g. `fake_hubspot 127.0.0.1:3101 pat-e2e`.
#[path = "../tests/common/fake_hubspot.rs"]
#[allow(dead_code)] // the browser tests use the routes, not the inspection helpers
mod fake_hubspot;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:3101".into());
    let token = args.next().unwrap_or_else(|| "pat-e2e-token".into());
    let fake = fake_hubspot::FakeHubSpot::new(&token);
    let base = fake.start_on(&address).await;
    println!("fake HubSpot at {base}");
    std::future::pending::<()>().await;
}
