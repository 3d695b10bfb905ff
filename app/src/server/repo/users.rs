use crate::domain::identity::{JobRole, Role};
use crate::model::{DemoAccount, SessionUser, StaffMember};
use sqlx::{AnyPool, FromRow};

#[derive(FromRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub job_role: Option<String>,
    pub partner_org_id: Option<i64>,
    pub partner_org_name: Option<String>,
}

impl UserRow {
    pub(crate) fn into_session_user(self) -> Option<SessionUser> {
        Some(SessionUser {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            role: Role::parse(&self.role)?,
            job_role: self.job_role.as_deref().and_then(JobRole::parse),
            partner_org_id: self.partner_org_id,
            partner_org_name: self.partner_org_name,
            scope: None,
        })
    }
}

/// Selects a user with their org name; callers add the WHERE clause.
pub(crate) const USER_SELECT: &str = "SELECT u.id, u.email, u.display_name, u.role, u.job_role, \
     u.partner_org_id, o.name AS partner_org_name \
     FROM users u LEFT JOIN partner_orgs o ON o.id = u.partner_org_id";

/// An enabled user and their password hash, for sign-in.
pub async fn find_for_login(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<(SessionUser, Option<String>)>, sqlx::Error> {
    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, password_hash FROM users WHERE email = $1 AND disabled_at IS NULL",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?;
    let Some((id, hash)) = row else {
        return Ok(None);
    };
    Ok(find_by_id(pool, id).await?.map(|user| (user, hash)))
}

pub async fn find_by_id(pool: &AnyPool, id: i64) -> Result<Option<SessionUser>, sqlx::Error> {
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "{USER_SELECT} WHERE u.id = $1 AND u.disabled_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(UserRow::into_session_user))
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub job_role: Option<JobRole>,
    pub partner_org_id: Option<i64>,
    pub password_hash: Option<&'a str>,
}

pub async fn insert(pool: &AnyPool, user: &NewUser<'_>, now: i64) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (email, display_name, role, job_role, partner_org_id, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(user.email)
    .bind(user.display_name)
    .bind(user.role.as_str())
    .bind(user.job_role.map(JobRole::as_str))
    .bind(user.partner_org_id)
    .bind(user.password_hash)
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

/// Every enabled user, vendor staff first, for the demo sign-in list.
pub async fn demo_accounts(pool: &AnyPool) -> Result<Vec<DemoAccount>, sqlx::Error> {
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "{USER_SELECT} WHERE u.disabled_at IS NULL \
         ORDER BY CASE u.role WHEN 'vendor_admin' THEN 0 WHEN 'partner_manager' THEN 1 ELSE 2 END, o.name, u.id"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(UserRow::into_session_user)
        .map(|user| DemoAccount {
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            job_role: user.job_role,
            org_name: user.partner_org_name,
        })
        .collect())
}

/// Vendor admins and partner managers, with how many sessions each has open.
pub async fn vendor_staff(pool: &AnyPool) -> Result<Vec<StaffMember>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.display_name, u.email, u.role, \
         (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id) \
         FROM users u WHERE u.role IN ('vendor_admin', 'partner_manager') AND u.disabled_at IS NULL \
         ORDER BY u.role DESC, u.display_name",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, display_name, email, role, active_sessions)| {
            Some(StaffMember {
                id,
                display_name,
                email,
                role: Role::parse(&role)?,
                active_sessions,
            })
        })
        .collect())
}

pub async fn count(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await?;
    Ok(count)
}

/// The deployment's vendor name, if the program has been set up.
pub async fn vendor_name(pool: &AnyPool) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM vendor WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|(name,)| name))
}
