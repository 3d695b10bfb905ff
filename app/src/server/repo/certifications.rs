//! Certifications, certificates and their events. Issuing is keyed on the earning instant
//! and expiry on a recorded-at column, so jobs can run late, twice, or on several instances.
use crate::domain::certification::{
    earned_at, is_early_renewal, renewal_expiry, should_issue, window_email_needed,
    window_opens_at, LatestCertificate, DAY_MS,
};
use crate::domain::channel::eligibility::{rights_of, Right, RightRule, Rights};
use crate::server::db::Db;
use crate::server::repo::outbox::{queue_in, send_once, Notice};
use sqlx::{Any, Transaction};
use std::collections::HashMap;

/// Keeps a certificate `c` only if it is its holder's latest of its certification (not
/// renewed since).
const LATEST: &str = "NOT EXISTS (SELECT 1 FROM certificates n WHERE n.user_id = c.user_id \
    AND n.certification_id = c.certification_id AND n.issued_at > c.issued_at)";

#[derive(Debug, Clone, PartialEq)]
pub struct CertificationDef {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub job_role: Option<String>,
    pub validity_months: i64,
    pub recert_window_days: i64,
    pub path_ids: Vec<i64>,
}

pub async fn certifications(db: &Db) -> Result<Vec<CertificationDef>, sqlx::Error> {
    let rows: Vec<(i64, String, String, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT id, name, description, job_role, validity_months, recert_window_days FROM certifications ORDER BY name",
    )
    .fetch_all(&db.read)
    .await?;
    let links: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT certification_id, path_id FROM certification_paths ORDER BY path_id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, description, job_role, validity_months, recert_window_days)| {
                CertificationDef {
                    path_ids: links
                        .iter()
                        .filter(|(cert, _)| *cert == id)
                        .map(|(_, path)| *path)
                        .collect(),
                    id,
                    name,
                    description,
                    job_role,
                    validity_months,
                    recert_window_days,
                }
            },
        )
        .collect())
}

pub struct NewCertification<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub job_role: Option<&'a str>,
    pub validity_months: i64,
    pub recert_window_days: i64,
    pub path_ids: &'a [i64],
}

pub async fn insert_certification(
    db: &Db,
    certification: &NewCertification<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO certifications (name, description, job_role, validity_months, recert_window_days, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(certification.name)
    .bind(certification.description)
    .bind(certification.job_role)
    .bind(certification.validity_months)
    .bind(certification.recert_window_days)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for path_id in certification.path_ids {
        sqlx::query("INSERT INTO certification_paths (certification_id, path_id) VALUES ($1, $2)")
            .bind(id)
            .bind(path_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}

async fn record_event(
    tx: &mut Transaction<'_, Any>,
    certificate_id: i64,
    actor: Option<i64>,
    at: i64,
    event: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO certificate_events (certificate_id, actor_user_id, at, event, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(certificate_id)
    .bind(actor)
    .bind(at)
    .bind(event)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    // The holder's contact and organisation in the CRM carry certificates.
    super::crm::enqueue_certificate_holder(tx, certificate_id, &format!("certificate {event}"), at)
        .await?;
    Ok(())
}

/// Inserts a certificate unless this exact issue exists; returns its id if inserted.
/// `previous` is the learner's latest certificate of this certification: a renewal before it
/// ends runs on from its end.
pub async fn insert_certificate(
    db: &Db,
    certification: &CertificationDef,
    user_id: i64,
    issued_at: i64,
    previous: Option<LatestCertificate>,
    verify_code: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let months = u32::try_from(certification.validity_months).unwrap_or(12);
    let expires_at = renewal_expiry(issued_at, months, previous);
    let mut tx = db.write.begin().await?;
    let status_index = free_status_index(&mut tx).await?;
    let inserted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at, status_index) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (certification_id, user_id, issued_at) DO NOTHING RETURNING id",
    )
    .bind(certification.id)
    .bind(user_id)
    .bind(verify_code)
    .bind(issued_at)
    .bind(expires_at)
    .bind(status_index)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id,)) = inserted else {
        return Ok(None);
    };
    let detail = if previous.is_some_and(|previous| is_early_renewal(issued_at, &previous)) {
        format!(
            "Recertified: completed every path of {} again before the previous certificate ended.",
            certification.name
        )
    } else {
        format!("Completed every path of {}.", certification.name)
    };
    record_event(&mut tx, id, None, issued_at, "issued", &detail).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Issues every certification the user has earned and not yet received for this earning
/// (a first certificate, or a renewal inside the window). Returns the new certificates' ids.
pub async fn issue_earned(
    db: &Db,
    definitions: &[CertificationDef],
    user_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let completions = crate::server::repo::learning::completions(db, user_id).await?;
    let latest: HashMap<i64, LatestCertificate> =
        sqlx::query_as::<_, (i64, i64, i64, Option<i64>)>(&format!(
            "SELECT c.certification_id, c.issued_at, c.expires_at, c.revoked_at FROM certificates c \
             WHERE c.user_id = $1 AND {LATEST}"
        ))
        .bind(user_id)
        .fetch_all(&db.write)
        .await?
        .into_iter()
        .map(|(certification, issued_at, expires_at, revoked_at)| {
            (
                certification,
                LatestCertificate {
                    issued_at,
                    expires_at,
                    revoked: revoked_at.is_some(),
                },
            )
        })
        .collect();
    let mut issued = Vec::new();
    for definition in definitions {
        let Some(earned) = earned_at(&definition.path_ids, &completions) else {
            continue;
        };
        let previous = latest.get(&definition.id).copied();
        if !should_issue(earned, previous, definition.recert_window_days) {
            continue;
        }
        let code = crate::server::crypto::new_verify_code();
        if let Some(id) =
            insert_certificate(db, definition, user_id, earned, previous, &code).await?
        {
            issued.push(id);
        }
    }
    Ok(issued)
}

/// Users with a completion of a certification's path that no certificate of theirs covers
/// yet (none issued at or after it): whom the issuing job looks at. Everyone already
/// certified for their completions is skipped, so the job stays small as learners grow.
pub async fn learners_with_certification_progress(db: &Db) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT pc.user_id FROM path_completions pc \
         JOIN certification_paths cp ON cp.path_id = pc.path_id \
         WHERE NOT EXISTS (SELECT 1 FROM certificates c WHERE c.user_id = pc.user_id \
         AND c.certification_id = cp.certification_id AND c.issued_at >= pc.completed_at) \
         ORDER BY pc.user_id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Records certificates that have reached their end, each once. Returns their ids.
pub async fn record_expiries(db: &Db, now: i64) -> Result<Vec<i64>, sqlx::Error> {
    let due: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM certificates WHERE expires_at <= $1 AND expired_recorded_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    let mut recorded = Vec::new();
    for (id,) in due {
        let mut tx = db.write.begin().await?;
        let changed = sqlx::query(
            "UPDATE certificates SET expired_recorded_at = $1 WHERE id = $2 AND expired_recorded_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 1 {
            record_event(
                &mut tx,
                id,
                None,
                now,
                "expired",
                "The validity period ended.",
            )
            .await?;
            recorded.push(id);
        }
        tx.commit().await?;
    }
    Ok(recorded)
}

/// Revokes a certificate unless it already is. False: already revoked (or unknown).
pub async fn revoke(
    db: &Db,
    certificate_id: i64,
    actor: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let changed = sqlx::query(
        "UPDATE certificates SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(actor)
    .bind(reason)
    .bind(certificate_id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() != 1 {
        return Ok(false);
    }
    record_event(&mut tx, certificate_id, Some(actor), now, "revoked", reason).await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CertificateRow {
    pub id: i64,
    /// Its position in the revocation list.
    pub status_index: Option<i64>,
    pub certification_id: i64,
    pub certification_name: String,
    pub certification_description: String,
    pub recert_window_days: i64,
    pub user_id: i64,
    pub holder_name: String,
    pub holder_email: String,
    pub job_role: Option<String>,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub verify_code: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: String,
}

const CERTIFICATE_SELECT: &str = "SELECT c.id, c.status_index, c.certification_id, k.name AS certification_name, \
    k.description AS certification_description, k.recert_window_days, c.user_id, u.display_name AS holder_name, \
    u.email AS holder_email, u.job_role, u.partner_org_id AS org_id, o.name AS org_name, c.verify_code, c.issued_at, \
    c.expires_at, c.revoked_at, c.revoke_reason FROM certificates c JOIN certifications k ON k.id = c.certification_id \
    JOIN users u ON u.id = c.user_id LEFT JOIN partner_orgs o ON o.id = u.partner_org_id";

pub async fn of_user(db: &Db, user_id: i64) -> Result<Vec<CertificateRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CERTIFICATE_SELECT} WHERE c.user_id = $1 ORDER BY c.issued_at DESC, c.id DESC"
    ))
    .bind(user_id)
    .fetch_all(&db.read)
    .await
}

pub async fn by_code(db: &Db, code: &str) -> Result<Option<CertificateRow>, sqlx::Error> {
    sqlx::query_as(&format!("{CERTIFICATE_SELECT} WHERE c.verify_code = $1"))
        .bind(code)
        .fetch_optional(&db.read)
        .await
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<CertificateRow>, sqlx::Error> {
    sqlx::query_as(&format!("{CERTIFICATE_SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&db.read)
        .await
}

/// Every holder's latest certificate per certification, optionally of one organisation.
pub async fn holders(db: &Db, org_id: Option<i64>) -> Result<Vec<CertificateRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CERTIFICATE_SELECT} WHERE (CAST($1 AS BIGINT) IS NULL OR u.partner_org_id = $1) \
         AND {LATEST} ORDER BY o.name, u.display_name, k.name"
    ))
    .bind(org_id)
    .fetch_all(&db.read)
    .await
}

/// The configured rights, with the certification that unlocks each.
pub async fn right_rules(db: &Db) -> Result<Vec<RightRule>, sqlx::Error> {
    let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT r.right_kind, r.product_line, r.certification_id, c.name FROM certification_rights r \
         JOIN certifications c ON c.id = r.certification_id ORDER BY r.id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, product_line, certification_id, certification)| {
            let right = match kind.as_str() {
                "sell" => Right::Sell { product_line },
                "deliver" => Right::Deliver,
                _ => return None,
            };
            Some(RightRule {
                right,
                certification_id,
                certification,
            })
        })
        .collect())
}

pub async fn insert_right(db: &Db, rule: &RightRule) -> Result<(), sqlx::Error> {
    let (kind, product_line) = match &rule.right {
        Right::Sell { product_line } => ("sell", product_line.as_str()),
        Right::Deliver => ("deliver", ""),
    };
    sqlx::query(
        "INSERT INTO certification_rights (right_kind, product_line, certification_id) VALUES ($1, $2, $3)",
    )
    .bind(kind)
    .bind(product_line)
    .bind(rule.certification_id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Certifications someone in the organisation holds a valid certificate of at `now`.
pub async fn held_by_org(db: &Db, org_id: i64, now: i64) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT c.certification_id FROM certificates c JOIN users u ON u.id = c.user_id \
         WHERE u.partner_org_id = $1 AND u.disabled_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > $2",
    )
    .bind(org_id)
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The rights an organisation holds now.
pub async fn rights_of_org(db: &Db, org_id: i64, now: i64) -> Result<Rights, sqlx::Error> {
    let rules = right_rules(db).await?;
    let held = held_by_org(db, org_id, now).await?;
    Ok(rights_of(&rules, &held))
}

/// A certificate due an expiry reminder: (certificate, holder's user id, email, name,
/// certification name, certification id, expires at).
pub type ReminderRow = (i64, i64, String, String, String, i64, i64);

/// Valid certificates ending in `(now, until]` whose holder has not had the reminder kept in
/// `column` (the 30-day or the 7-day one).
pub async fn expiry_reminders_due(
    db: &Db,
    now: i64,
    until: i64,
    lead: ExpiryLead,
) -> Result<Vec<ReminderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT c.id, u.id, u.email, u.display_name, k.name, k.id, c.expires_at FROM certificates c \
         JOIN users u ON u.id = c.user_id JOIN certifications k ON k.id = c.certification_id \
         WHERE c.revoked_at IS NULL AND c.expires_at > $1 AND c.expires_at <= $2 AND c.{} IS NULL \
         AND u.disabled_at IS NULL AND {LATEST} ORDER BY c.expires_at",
        lead.column()
    ))
    .bind(now)
    .bind(until)
    .fetch_all(&db.read)
    .await
}

/// A certificate whose recertification window has opened and has not been handled yet.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WindowDue {
    pub certificate_id: i64,
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub certification_id: i64,
    pub certification_name: String,
    pub recert_window_days: i64,
    pub issued_at: i64,
    pub expires_at: i64,
    pub expiry_30_reminded_at: Option<i64>,
    pub expiry_7_reminded_at: Option<i64>,
}

impl WindowDue {
    pub fn window_opens_at(&self) -> i64 {
        window_opens_at(self.expires_at, self.recert_window_days)
    }

    /// Whether the holder still needs the window email (see `window_email_needed`).
    pub fn needs_email(&self) -> bool {
        window_email_needed(
            &[self.expiry_30_reminded_at, self.expiry_7_reminded_at],
            self.window_opens_at(),
        )
    }
}

/// Latest, unrevoked certificates of active people whose window has opened by `now` (or
/// which have ended) and that have not been opened for recertification yet.
pub async fn recertification_windows_due(db: &Db, now: i64) -> Result<Vec<WindowDue>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT c.id AS certificate_id, u.id AS user_id, u.email, u.display_name AS name, \
         k.id AS certification_id, k.name AS certification_name, k.recert_window_days, c.issued_at, \
         c.expires_at, c.expiry_30_reminded_at, c.expiry_7_reminded_at FROM certificates c \
         JOIN users u ON u.id = c.user_id JOIN certifications k ON k.id = c.certification_id \
         WHERE c.revoked_at IS NULL AND u.disabled_at IS NULL \
         AND c.expires_at - k.recert_window_days * $2 <= $1 \
         AND NOT EXISTS (SELECT 1 FROM recertification_openings r WHERE r.certificate_id = c.id) \
         AND {LATEST} ORDER BY c.expires_at"
    ))
    .bind(now)
    .bind(DAY_MS)
    .fetch_all(&db.read)
    .await
}

/// Opens a certificate's recertification, once: the completions of `path_ids` that earned
/// it move to the history, those paths' steps start over, earlier quiz attempts stop
/// counting, and `notice` (if any) is queued, all in one transaction keyed on the
/// certificate. False: another run got there first.
///
/// The email and the expiry reminders exclude each other: the certificate row is locked and
/// its reminder flags re-read here, and sending the window email settles the reminders that
/// are due by now, so a late run on two instances never sends both for the same moment.
pub async fn open_recertification(
    db: &Db,
    window: &WindowDue,
    path_ids: &[i64],
    notice: Option<&Notice>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let reminded: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(&db.for_update(
        "SELECT expiry_30_reminded_at, expiry_7_reminded_at FROM certificates WHERE id = $1",
    ))
    .bind(window.certificate_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((reminded_30, reminded_7)) = reminded else {
        return Ok(false);
    };
    let notice = notice
        .filter(|_| window_email_needed(&[reminded_30, reminded_7], window.window_opens_at()));
    let flagged = sqlx::query(
        "INSERT INTO recertification_openings (certificate_id, opened_at, emailed) VALUES ($1, $2, $3) \
         ON CONFLICT (certificate_id) DO NOTHING",
    )
    .bind(window.certificate_id)
    .bind(now)
    .bind(i64::from(notice.is_some()))
    .execute(&mut *tx)
    .await?;
    if flagged.rows_affected() != 1 {
        return Ok(false);
    }
    if notice.is_some() {
        // The window email says what a due reminder would: settle those.
        for lead in [ExpiryLead::ThirtyDays, ExpiryLead::SevenDays] {
            sqlx::query(&format!(
                "UPDATE certificates SET {column} = $1 WHERE id = $2 AND {column} IS NULL AND expires_at <= $3",
                column = lead.column()
            ))
            .bind(now)
            .bind(window.certificate_id)
            .bind(now + lead.days() * DAY_MS)
            .execute(&mut *tx)
            .await?;
        }
    }
    for path_id in path_ids {
        // Only the completion that earned this certificate (not a fresher one).
        let archived = sqlx::query(
            "INSERT INTO path_completion_history (user_id, path_id, path_version, completed_at, reopened_at, certificate_id) \
             SELECT user_id, path_id, path_version, completed_at, $3, $4 FROM path_completions \
             WHERE user_id = $1 AND path_id = $2 AND completed_at <= $5",
        )
        .bind(window.user_id)
        .bind(path_id)
        .bind(now)
        .bind(window.certificate_id)
        .bind(window.issued_at)
        .execute(&mut *tx)
        .await?;
        if archived.rows_affected() == 0 {
            continue;
        }
        sqlx::query("DELETE FROM path_completions WHERE user_id = $1 AND path_id = $2")
            .bind(window.user_id)
            .bind(path_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE step_progress SET done_at = NULL, position_secs = 0, updated_at = $3 \
             WHERE user_id = $1 AND step_id IN (SELECT id FROM path_steps WHERE path_id = $2)",
        )
        .bind(window.user_id)
        .bind(path_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE quiz_attempts SET cycle_closed_at = $3 WHERE user_id = $1 AND cycle_closed_at IS NULL \
             AND submitted_at IS NOT NULL AND step_id IN (SELECT id FROM path_steps WHERE path_id = $2)",
        )
        .bind(window.user_id)
        .bind(path_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(notice) = notice {
        queue_in(&mut tx, std::slice::from_ref(notice), now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The paths a learner is redoing for a recertification, with the end of the certificate
/// they renew: opened, still the latest of its certification, and not completed again yet.
pub async fn recertification_deadlines(
    db: &Db,
    user_id: i64,
) -> Result<HashMap<i64, i64>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT cp.path_id, MIN(c.expires_at) FROM certificates c \
         JOIN recertification_openings r ON r.certificate_id = c.id \
         JOIN certification_paths cp ON cp.certification_id = c.certification_id \
         WHERE c.user_id = $1 AND c.revoked_at IS NULL AND {LATEST} \
         AND NOT EXISTS (SELECT 1 FROM path_completions pc WHERE pc.user_id = c.user_id AND pc.path_id = cp.path_id) \
         GROUP BY cp.path_id"
    ))
    .bind(user_id)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The paths that count towards a certificate `user_id` holds now (latest of its
/// certification, neither revoked nor expired), each with that certification's name and the
/// certificate's end.
pub async fn current_by_path(
    db: &Db,
    user_id: i64,
    now: i64,
) -> Result<HashMap<i64, (String, i64)>, sqlx::Error> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
        "SELECT cp.path_id, k.name, c.expires_at FROM certificates c \
         JOIN certifications k ON k.id = c.certification_id \
         JOIN certification_paths cp ON cp.certification_id = c.certification_id \
         WHERE c.user_id = $1 AND c.revoked_at IS NULL AND c.expires_at > $2 AND {LATEST} \
         ORDER BY c.expires_at"
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    // Ordered by end: a path in two certifications keeps the later one.
    Ok(rows
        .into_iter()
        .map(|(path, name, until)| (path, (name, until)))
        .collect())
}

/// The certifications `path_id` counts towards of which `user_id` holds a current
/// certificate (latest, neither revoked nor expired): id, name and the certificate's end.
pub async fn current_for_path(
    db: &Db,
    user_id: i64,
    path_id: i64,
    now: i64,
) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT k.id, k.name, c.expires_at FROM certificates c \
         JOIN certifications k ON k.id = c.certification_id \
         JOIN certification_paths cp ON cp.certification_id = c.certification_id \
         WHERE c.user_id = $1 AND cp.path_id = $2 AND c.revoked_at IS NULL \
         AND c.expires_at > $3 AND {LATEST} ORDER BY k.name"
    ))
    .bind(user_id)
    .bind(path_id)
    .bind(now)
    .fetch_all(&db.read)
    .await
}

/// Marks every window already open at `now` as handled without emailing or starting
/// anything over: for seeded history, which should not greet a fresh demo with emails.
pub async fn settle_open_windows(db: &Db, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO recertification_openings (certificate_id, opened_at, emailed) \
         SELECT c.id, $1, 0 FROM certificates c JOIN certifications k ON k.id = c.certification_id \
         WHERE c.expires_at - k.recert_window_days * $2 <= $1 ON CONFLICT (certificate_id) DO NOTHING",
    )
    .bind(now)
    .bind(DAY_MS)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Which expiry reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryLead {
    ThirtyDays,
    SevenDays,
}

impl ExpiryLead {
    pub fn days(self) -> i64 {
        match self {
            ExpiryLead::ThirtyDays => 30,
            ExpiryLead::SevenDays => 7,
        }
    }

    fn column(self) -> &'static str {
        match self {
            ExpiryLead::ThirtyDays => "expiry_30_reminded_at",
            ExpiryLead::SevenDays => "expiry_7_reminded_at",
        }
    }
}

/// Marks a reminder sent and queues its email, once. The 7-day reminder also settles the
/// 30-day one, so a job that runs late sends one email, not two.
pub async fn flag_expiry_reminder(
    db: &Db,
    certificate_id: i64,
    lead: ExpiryLead,
    notice: &Notice,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let also = match lead {
        ExpiryLead::SevenDays => ", expiry_30_reminded_at = COALESCE(expiry_30_reminded_at, $1)",
        ExpiryLead::ThirtyDays => "",
    };
    let flag = format!(
        "UPDATE certificates SET {column} = $1{also} WHERE id = $2 AND {column} IS NULL",
        column = lead.column()
    );
    send_once(
        db,
        sqlx::query(&flag).bind(now).bind(certificate_id),
        Vec::new(),
        std::slice::from_ref(notice),
        now,
    )
    .await
}

/// The status-list positions of every revoked certificate whose credential was produced,
/// for the published revocation list. (A certificate without a position has never been
/// handed out as a credential, so no verifier can ask about it.)
pub async fn revoked_status_indexes(db: &Db) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT status_index FROM certificates WHERE revoked_at IS NOT NULL \
         AND status_index IS NOT NULL ORDER BY status_index",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().map(|(index,)| index).collect())
}

/// A free position in the revocation list, drawn at random (inside the transaction that
/// issues the certificate), so a holder's position says nothing about how many
/// certificates exist or in which order they came. The range grows with the certificates
/// and keeps three quarters of it free, so a draw rarely meets a taken position. Two
/// issues drawing the same free position at the same moment are stopped by the unique
/// index; the losing issue fails and is retried by the certification job.
async fn free_status_index(tx: &mut Transaction<'_, Any>) -> Result<i64, sqlx::Error> {
    use rand::Rng;
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM certificates")
        .fetch_one(&mut **tx)
        .await?;
    let minimum = crate::server::badges::STATUS_LIST_MIN_BITS as i64;
    let range = minimum.max(count.saturating_add(1).saturating_mul(4));
    loop {
        let candidate = rand::thread_rng().gen_range(0..range);
        let taken: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM certificates WHERE status_index = $1")
                .bind(candidate)
                .fetch_optional(&mut **tx)
                .await?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
}
