//! Certificates: the holder's own list, the managers' holder list, revocation by admins,
//! and the public verification page with the signed Open Badges 3.0 credential.
use crate::error::AppError;
use crate::model::{CertificateView, CredentialCheck, HoldersPage, VerifiedCertificate};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use imp::signed_status_list;

#[cfg(feature = "ssr")]
mod imp {
    use crate::domain::certification::status_at;
    use crate::error::AppError;
    use crate::model::VerifiedCertificate;
    use crate::server::badges::{self, BadgeFacts};
    use crate::server::repo::certifications::CertificateRow;
    use crate::server::AppState;

    /// The signed credential of a certificate. Signing is deterministic (Ed25519, `created`
    /// is the issue time), so every download of a certificate is the same document.
    pub async fn signed_credential(
        state: &AppState,
        row: &CertificateRow,
    ) -> Result<serde_json::Value, AppError> {
        let base = &state.settings.public_base_url;
        let issuer_name = crate::server::repo::users::vendor_name(&state.db.read)
            .await?
            .unwrap_or_else(|| "Partner Portal".into());
        let credential_url = format!("{base}/verify/{}", row.verify_code);
        let achievement_url = format!("{base}/certifications/{}", row.certification_id);
        let criteria = format!(
            "Completed every learning path the {} certification requires.",
            row.certification_name
        );
        let key = badges::deployment_key(&state.settings.secret_key);
        let (issuer_did, _) = badges::did_key(&key.verifying_key());
        let status_list_url = status_list_url(state);
        // Drawn at random when the certificate was issued (the migration gave older
        // certificates their id).
        let status_index = row.status_index.unwrap_or(row.id);
        let facts = BadgeFacts {
            credential_url: &credential_url,
            issuer_did: &issuer_did,
            issuer_url: base,
            issuer_name: &issuer_name,
            achievement_url: &achievement_url,
            achievement_name: &row.certification_name,
            achievement_description: &row.certification_description,
            criteria: &criteria,
            holder_name: &row.holder_name,
            holder_email: &row.holder_email,
            salt: &row.verify_code,
            valid_from: row.issued_at,
            valid_until: row.expires_at,
            status_list_url: &status_list_url,
            status_index: status_index.unsigned_abs(),
        };
        Ok(badges::sign(
            badges::credential(&facts),
            &key,
            row.issued_at,
        ))
    }

    /// Where the portal serves its revocation list.
    pub fn status_list_url(state: &AppState) -> String {
        format!(
            "{}{}",
            state.settings.public_base_url,
            crate::server::badges::STATUS_LIST_PATH
        )
    }

    /// The signed revocation list: every revoked certificate's bit set, as of now.
    pub async fn signed_status_list(state: &AppState) -> Result<serde_json::Value, AppError> {
        let revoked: Vec<u64> =
            crate::server::repo::certifications::revoked_status_indexes(&state.db)
                .await?
                .into_iter()
                .map(i64::unsigned_abs)
                .collect();
        let key = badges::deployment_key(&state.settings.secret_key);
        let (issuer_did, _) = badges::did_key(&key.verifying_key());
        let now = state.clock.now_ms();
        let list =
            badges::status_list_credential(&status_list_url(state), &issuer_did, &revoked, now);
        Ok(badges::sign(list, &key, now))
    }

    pub async fn verified(
        state: &AppState,
        row: CertificateRow,
    ) -> Result<VerifiedCertificate, AppError> {
        let credential = signed_credential(state, &row).await?;
        let key = badges::deployment_key(&state.settings.secret_key).verifying_key();
        let signature_valid = badges::verify_ours(&credential, &key).is_ok();
        let status = status_at(row.expires_at, row.revoked_at, state.clock.now_ms());
        Ok(VerifiedCertificate {
            verify_url: format!(
                "{}/verify/{}",
                state.settings.public_base_url, row.verify_code
            ),
            verify_code: row.verify_code,
            holder_name: row.holder_name,
            org_name: row.org_name,
            certification_name: row.certification_name,
            certification_description: row.certification_description,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            status,
            revoke_reason: row.revoked_at.map(|_| row.revoke_reason),
            credential_json: serde_json::to_string_pretty(&credential).map_err(|error| {
                tracing::error!(%error, "could not serialise a credential");
                AppError::Internal
            })?,
            signature_valid,
            signer: badges::did_key(&key).0,
        })
    }
}

/// The signed-in user's certificates, newest first. Only reads: certificates are issued
/// where a completion is recorded (or by the certification job).
#[server]
pub async fn load_my_certificates() -> Result<Vec<CertificateView>, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::certification::{recertification_open, status_at};
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::certifications;
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    // Reading only: certificates are issued where a completion is recorded, or by the job.
    let now = state.clock.now_ms();
    let rows = certifications::of_user(&state.db, actor.user.id).await?;
    let renewed = |row: &certifications::CertificateRow| {
        rows.iter().any(|later| {
            later.certification_id == row.certification_id && later.issued_at > row.issued_at
        })
    };
    Ok(rows
        .iter()
        .map(|row| {
            let status = status_at(row.expires_at, row.revoked_at, now);
            let renewed = renewed(row);
            CertificateView {
                certificate_id: row.id,
                certification_name: row.certification_name.clone(),
                issued_at: row.issued_at,
                expires_at: row.expires_at,
                status,
                verify_code: row.verify_code.clone(),
                recertification_open: !renewed
                    && status.is_valid()
                    && recertification_open(row.expires_at, row.recert_window_days, now),
                renewed,
                revoke_reason: row.revoke_reason.clone(),
            }
        })
        .collect())
}

/// Every holder (latest certificate per certification), for vendor staff, filtered by
/// organisation, job role and status.
#[server]
pub async fn load_holders(
    org: Option<String>,
    role: Option<String>,
    status: Option<String>,
) -> Result<HoldersPage, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::certification::{status_at, CertificateStatus};
    use crate::domain::identity::JobRole;
    use crate::model::HolderRow;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{certifications, orgs};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    fn given(value: &Option<String>) -> Option<&str> {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    // A filter that cannot be used is named at its field and left out; the others apply.
    let mut problems = Vec::new();
    let (org_id, org_name) = match given(&org) {
        None => (None, None),
        Some(text) => match text.parse::<i64>() {
            Ok(id) => (Some(id), None),
            Err(_) if text.chars().count() <= 100 => (None, Some(text.to_lowercase())),
            Err(_) => {
                problems.push(crate::domain::validation::FieldError::new(
                    "org",
                    "Type part of an organisation's name (up to 100 characters).",
                ));
                (None, None)
            }
        },
    };
    let role = given(&role).map(|r| JobRole::parse(r).ok_or(r));
    if matches!(role, Some(Err(_))) {
        problems.push(crate::domain::validation::FieldError::new(
            "role",
            "Choose a job role from the list.",
        ));
    }
    let status = given(&status).map(|s| CertificateStatus::parse(s).ok_or(s));
    if matches!(status, Some(Err(_))) {
        problems.push(crate::domain::validation::FieldError::new(
            "status",
            "Choose a status from the list.",
        ));
    }
    let now = state.clock.now_ms();
    let all: Vec<HolderRow> = certifications::holders(&state.db, org_id)
        .await?
        .into_iter()
        .map(|row| HolderRow {
            certificate_id: row.id,
            status: status_at(row.expires_at, row.revoked_at, now),
            holder_name: row.holder_name,
            org_name: row.org_name.unwrap_or_else(|| "Vendor".into()),
            job_role: row.job_role.as_deref().and_then(JobRole::parse),
            certification_name: row.certification_name,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            verify_code: row.verify_code,
        })
        .filter(|row| match &role {
            Some(Ok(role)) => row.job_role == Some(*role),
            _ => true,
        })
        .filter(|row| {
            org_name
                .as_deref()
                .is_none_or(|name| row.org_name.to_lowercase().contains(name))
        })
        .collect();
    let counts = [
        CertificateStatus::Active,
        CertificateStatus::Expiring,
        CertificateStatus::Expired,
        CertificateStatus::Revoked,
    ]
    .into_iter()
    .map(|s| (s, all.iter().filter(|r| r.status == s).count() as i64))
    .collect();
    let rows = all
        .into_iter()
        .filter(|row| match &status {
            Some(Ok(status)) => row.status == *status,
            _ => true,
        })
        .collect();
    Ok(HoldersPage {
        rows,
        orgs: orgs::names(&state.db).await?,
        counts,
        problems,
    })
}

/// Revokes a certificate (vendor admins), with a reason the holder and the verification
/// page show. Takes effect at once.
#[server]
pub async fn revoke_certificate(certificate_id: i64, reason: String) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::certification::checked_revoke_reason;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::certifications;
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let reason = checked_revoke_reason(&reason).map_err(|e| AppError::Validation(vec![e]))?;
    let certificate = certifications::by_id(&state.db, certificate_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if certifications::revoke(
        &state.db,
        certificate_id,
        actor.user.id,
        &reason,
        state.clock.now_ms(),
    )
    .await?
    {
        // The organisation's tier and rights follow at once.
        let trigger = format!(
            "{}'s {} certificate was revoked: {reason}",
            certificate.holder_name, certificate.certification_name
        );
        crate::server::standing::reevaluate_user_org(&state, certificate.user_id, &trigger).await?;
        Ok(())
    } else {
        Err(AppError::Conflict(
            "This certificate is already revoked.".into(),
        ))
    }
}

/// The public record of a certificate, by its verification code. No sign-in: employers and
/// customers check certificates here.
#[server]
pub async fn verify_certificate(code: String) -> Result<VerifiedCertificate, AppError> {
    use crate::server::guard::app_state;
    use crate::server::repo::certifications;
    let state = app_state()?;
    let code = code.trim().to_uppercase();
    if code.len() > 64 {
        return Err(AppError::NotFound);
    }
    let row = certifications::by_code(&state.db, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    imp::verified(&state, row).await
}

/// Checks a credential someone presents: its signature, that this portal signed it, and
/// the certificate's current status (a revocation shows at once).
#[server]
pub async fn check_credential(credential: String) -> Result<CredentialCheck, AppError> {
    use crate::server::badges;
    use crate::server::guard::app_state;
    use crate::server::repo::certifications;
    let state = app_state()?;
    if credential.len() > 100_000 {
        return Err(AppError::field(
            "credential",
            "That is too large to be a credential.",
        ));
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&credential) else {
        return Err(AppError::field(
            "credential",
            "Paste the credential's JSON exactly as downloaded.",
        ));
    };
    let key = badges::deployment_key(&state.settings.secret_key).verifying_key();
    let checked = badges::verify_ours(&value, &key);
    let code = value
        .get("id")
        .and_then(serde_json::Value::as_str)
        .and_then(|id| id.rsplit('/').next())
        .map(str::to_string);
    let record = match code {
        Some(code) if checked.is_ok() => match certifications::by_code(&state.db, &code).await? {
            Some(row) => Some(imp::verified(&state, row).await?),
            None => None,
        },
        _ => None,
    };
    Ok(CredentialCheck {
        signature_valid: checked.is_ok(),
        message: match checked {
            Ok(()) => {
                "The signature is valid: this portal issued this credential, unchanged.".to_string()
            }
            Err(error) => error.to_string(),
        },
        record,
    })
}
