use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::model::{OrgDetail, OrgMember, PartnerOrgSummary, ProgramOverview};
use crate::server::db::Db;
use crate::server::guard::OrgScope;
use sqlx::{AnyPool, FromRow};

#[derive(FromRow)]
struct OrgRow {
    id: i64,
    name: String,
    partner_type: String,
    tier: String,
    region: String,
    vertical: String,
    member_count: i64,
}

impl OrgRow {
    fn into_summary(self) -> Option<PartnerOrgSummary> {
        Some(PartnerOrgSummary {
            id: self.id,
            name: self.name,
            partner_type: PartnerType::parse(&self.partner_type)?,
            tier: Tier::parse(&self.tier)?,
            region: self.region,
            vertical: self.vertical,
            member_count: self.member_count,
        })
    }
}

const ORG_SELECT: &str = "SELECT o.id, o.name, o.partner_type, o.tier, o.region, o.vertical, \
     (SELECT COUNT(*) FROM users u WHERE u.partner_org_id = o.id AND u.disabled_at IS NULL) AS member_count \
     FROM partner_orgs o";

/// Filters for the partner list; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct OrgFilter {
    pub partner_type: Option<PartnerType>,
    pub tier: Option<Tier>,
    pub search: Option<String>,
}

/// Every org matching the filter. Only vendor staff reach this (see `api::orgs`).
pub async fn list(
    pool: &AnyPool,
    filter: &OrgFilter,
) -> Result<Vec<PartnerOrgSummary>, sqlx::Error> {
    let search = filter
        .search
        .as_ref()
        .map(|text| format!("%{}%", text.to_lowercase()));
    let rows: Vec<OrgRow> = sqlx::query_as(&format!(
        "{ORG_SELECT} WHERE (CAST($1 AS TEXT) IS NULL OR o.partner_type = $1) AND (CAST($2 AS TEXT) IS NULL OR o.tier = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR LOWER(o.name) LIKE $3) ORDER BY o.name"
    ))
    .bind(filter.partner_type.map(PartnerType::as_str))
    .bind(filter.tier.map(Tier::as_str))
    .bind(search)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(OrgRow::into_summary).collect())
}

/// One org with its members. The scope proves the caller may see it.
pub async fn detail(db: &Db, scope: &OrgScope) -> Result<Option<OrgDetail>, sqlx::Error> {
    let row: Option<OrgRow> = sqlx::query_as(&format!("{ORG_SELECT} WHERE o.id = $1"))
        .bind(scope.org_id())
        .fetch_optional(&db.read)
        .await?;
    let Some(org) = row.and_then(OrgRow::into_summary) else {
        return Ok(None);
    };
    let members: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, display_name, email, job_role FROM users \
         WHERE partner_org_id = $1 AND disabled_at IS NULL ORDER BY display_name",
    )
    .bind(scope.org_id())
    .fetch_all(&db.read)
    .await?;
    let members = members
        .into_iter()
        .map(|(id, display_name, email, job_role)| OrgMember {
            id,
            display_name,
            email,
            job_role: job_role.as_deref().and_then(JobRole::parse),
        })
        .collect();
    Ok(Some(OrgDetail { org, members }))
}

pub struct NewOrg<'a> {
    pub name: &'a str,
    pub partner_type: PartnerType,
    pub tier: Tier,
    pub region: &'a str,
    pub vertical: &'a str,
}

pub async fn insert(pool: &AnyPool, org: &NewOrg<'_>, now: i64) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO partner_orgs (name, partner_type, tier, region, vertical, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org.name)
    .bind(org.partner_type.as_str())
    .bind(org.tier.as_str())
    .bind(org.region)
    .bind(org.vertical)
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

pub async fn overview(pool: &AnyPool) -> Result<ProgramOverview, sqlx::Error> {
    let (org_count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM partner_orgs")
        .fetch_one(pool)
        .await?;
    let (partner_user_count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users WHERE role = 'partner_user' AND disabled_at IS NULL",
    )
    .fetch_one(pool)
    .await?;
    let tiers: Vec<(String, i64)> =
        sqlx::query_as("SELECT tier, COUNT(*) FROM partner_orgs GROUP BY tier")
            .fetch_all(pool)
            .await?;
    let types: Vec<(String, i64)> =
        sqlx::query_as("SELECT partner_type, COUNT(*) FROM partner_orgs GROUP BY partner_type")
            .fetch_all(pool)
            .await?;
    let count_of = |rows: &[(String, i64)], key: &str| {
        rows.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
    };
    Ok(ProgramOverview {
        org_count,
        partner_user_count,
        by_tier: Tier::ALL
            .iter()
            .map(|t| (*t, count_of(&tiers, t.as_str())))
            .collect(),
        by_type: PartnerType::ALL
            .iter()
            .map(|t| (*t, count_of(&types, t.as_str())))
            .collect(),
    })
}

/// Every partner organisation's id and name, by name.
pub async fn names(db: &Db) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM partner_orgs ORDER BY name")
        .fetch_all(&db.read)
        .await
}

/// An organisation's name and how it sells (its partner type), if it exists.
pub async fn name_and_type(
    db: &Db,
    scope: OrgScope,
) -> Result<Option<(String, PartnerType)>, sqlx::Error> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT name, partner_type FROM partner_orgs WHERE id = $1")
            .bind(scope.org_id())
            .fetch_optional(&db.read)
            .await?;
    Ok(row.and_then(|(name, kind)| Some((name, PartnerType::parse(&kind)?))))
}
