//! Registering deals as a partner's browser does.
use super::{reply, TestServer};
use app::api::channel::RegisterDeal;
use app::error::AppError;
use app::model::RegistrationOutcome;
use server_fn::ServerFn;

/// How many deals the server's database holds.
pub async fn count(server: &TestServer) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deals")
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    n
}

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
    // Posted as the registration form posts it: `input[field]=value` pairs.
    let fields: Vec<(String, String)> = body["input"]
        .as_object()
        .map(|input| {
            input
                .iter()
                .map(|(name, value)| {
                    let text = value
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| value.to_string());
                    (format!("input[{name}]"), text)
                })
                .collect()
        })
        .unwrap_or_default();
    reply(
        client
            .post(server.url(RegisterDeal::PATH))
            .form(&fields)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// An edit form (as `edit_form` builds it) as the browser posts it: `deal_id`, `version`
/// and `input[field]` pairs.
pub fn edit_post(body: &serde_json::Value) -> Vec<(String, String)> {
    super::form_pairs(body)
}

/// The edit form filled in from the deal as the partner sees it, then changed by `edit`.
pub fn edit_form(deal: &app::model::OwnDeal, edit: &[(&str, &str)]) -> serde_json::Value {
    let mut input = serde_json::json!({
        "stage": deal.stage.as_str(),
        "amount": app::domain::channel::deals::format_money(deal.amount_cents),
        "requested_discount_pct": deal.requested_discount_pct.to_string(),
        "close_date": app::domain::channel::updates::iso_date(deal.close_at),
        "next_step": deal.next_step,
        "proof_of_work": deal.proof_of_work,
        "notes": deal.notes,
        "owner_user_id": deal.owner_user_id.map(|id| id.to_string()).unwrap_or_default(),
        "reason": "",
    });
    for (field, value) in edit {
        input[*field] = serde_json::Value::String(value.to_string());
    }
    serde_json::json!({"deal_id": deal.deal_id, "version": deal.version, "input": input})
}
