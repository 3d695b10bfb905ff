//! The demo program's policy documents, written from the program's own default settings so
//! the text and the conflict engine agree. The rules of engagement have two versions, so
//! the history and the comparison have something to show.
use crate::domain::channel::clocks::ProgramSettings;
use crate::domain::documents::{DocumentKind, ValidVersion};
use crate::server::db::Db;
use crate::server::repo::documents::{self, PublishError};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn rules_of_engagement(settings: &ProgramSettings, appeal_days: i64, renewals: bool) -> String {
    let mut text = format!(
        "# Rules of engagement\n\
         \n\
         ## Registering a deal\n\
         Register every opportunity before you quote it. A registration names the customer, \
         the product line and the motion (resell, referral or implementation).\n\
         \n\
         ## Protection\n\
         An approved registration protects the account for {protection} days. One extension \
         of {extension} days is possible when the deal has had activity in the last {activity} \
         days.\n\
         \n\
         ## Conflicts\n\
         1. A registered deal beats an unregistered one.\n\
         2. The incumbent partner beats a net-new claim.\n\
         3. When both are equal, the partner with the relevant certification wins.\n\
         \n\
         ## Decisions and appeals\n\
         Partner managers decide within {sla} hours. You may appeal a decision within \
         {appeal_days} days; the appeal is decided by a different manager.\n",
        protection = settings.protection_days,
        extension = settings.extension_days,
        activity = settings.extension_activity_days,
        sla = settings.approval_sla_hours,
    );
    if renewals {
        text.push_str(&format!(
            "\n## Renewals\n\
             The partner who sold the subscription owns its renewal. Confirm ownership at least \
             {} days before the renewal date, or the renewal returns to the vendor.\n",
            settings.renewal_lead_days
        ));
    }
    text
}

fn pricing_bands(settings: &ProgramSettings) -> String {
    let mut text = String::from(
        "# Pricing bands\n\nThe highest discount each tier may request without approval:\n\n",
    );
    for band in &settings.discount_bands {
        text.push_str(&format!(
            "- {}: {}%\n",
            band.tier.label(),
            band.max_discount_pct
        ));
    }
    text.push_str(
        "\nA larger discount is flagged for the partner manager and needs a business case.\n",
    );
    text
}

const TERRITORIES: &str = "# Territories\n\n\
    Partners work the regions of their agreement: EMEA, North America, APAC or LATAM.\n\n\
    - Named strategic accounts are worked with the vendor's account team.\n\
    - Public-sector customers need the public-sector addendum.\n\
    - A deal outside your region needs the region's partner manager to approve it.\n";

/// Publishes the demo documents as the first vendor admin.
pub async fn seed(db: &Db, now: i64) -> Result<(), sqlx::Error> {
    let (admin,): (i64,) =
        sqlx::query_as("SELECT id FROM users WHERE role = 'vendor_admin' ORDER BY id LIMIT 1")
            .fetch_one(&db.read)
            .await?;
    let settings = ProgramSettings::default();
    let versions = [
        (
            DocumentKind::RulesOfEngagement,
            1,
            rules_of_engagement(&settings, 7, false),
            "The first published rules of engagement.".to_string(),
            now - 120 * DAY_MS,
        ),
        (
            DocumentKind::PricingBands,
            1,
            pricing_bands(&settings),
            "Discount bands for every tier.".to_string(),
            now - 100 * DAY_MS,
        ),
        (
            DocumentKind::Territories,
            1,
            TERRITORIES.to_string(),
            "Regions, named accounts and the public sector.".to_string(),
            now - 90 * DAY_MS,
        ),
        (
            DocumentKind::RulesOfEngagement,
            2,
            rules_of_engagement(&settings, settings.appeal_window_days, true),
            format!(
                "Appeals now have {} days instead of 7, and renewal ownership is spelled out.",
                settings.appeal_window_days
            ),
            now - 12 * DAY_MS,
        ),
    ];
    for (kind, version, body, change_summary, at) in versions {
        let valid = ValidVersion {
            kind,
            version,
            body,
            change_summary,
            announce: false,
        };
        match documents::publish(db, &valid, admin, None, at).await {
            Ok(_) | Err(PublishError::Taken) => {}
            Err(PublishError::Database(error)) => return Err(error),
        }
    }
    Ok(())
}
