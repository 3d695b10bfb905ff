//! Registering deals as a partner's browser does.
use super::{reply, TestServer};
use app::api::channel::RegisterDeal;
use app::error::AppError;
use app::model::RegistrationOutcome;
use server_fn::ServerFn;

/// A complete registration form; the close date is six months out, so it stays valid.
pub fn form(company: &str, domain: &str, amount: &str, notes: &str) -> serde_json::Value {
    let close_date = (chrono::Utc::now() + chrono::Duration::days(180))
        .format("%Y-%m-%d")
        .to_string();
    serde_json::json!({"input": {
        "company_name": company, "domain": domain, "country": "Germany", "motion": "resale",
        "kind": "net_new", "product_line": "Lumen Dashboards", "amount": amount,
        "requested_discount_pct": "15", "close_date": close_date, "next_step": "Demo with the COO",
        "proof_of_work": "Two discovery calls with the operations lead.", "notes": notes,
    }})
}

pub async fn register(
    client: &reqwest::Client,
    server: &TestServer,
    body: serde_json::Value,
) -> (u16, Result<RegistrationOutcome, AppError>) {
    reply(
        client
            .post(server.url(RegisterDeal::PATH))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}
