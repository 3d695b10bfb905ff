//! Certification status and the expiry pipeline (view 10), per organisation: what is valid
//! today and when it runs out, what expired or was revoked in the window, and how much of
//! what came due was renewed in time. Expiry is a rights event (tiers and selling rights
//! follow certificates), so the pipeline is the early warning.
//!
//! - Active: issued, not expired, not revoked, holder still in the organisation.
//! - Expiring in 30 / 60 / 90 days: active, with the end in that band (30 includes today).
//! - Expired: ended in the window without being revoked.
//! - Revoked: revoked in the window.
//! - Recertification rate: of certificates that came due in the window (expiry in it, not
//!   revoked first), those whose holder earned the same certification again by the expiry
//!   day.
use super::certified::Org;
use super::{Filters, Window, DAY_MS};
use crate::domain::identity::JobRole;
use crate::domain::stats::{rate, Rate};
use std::collections::BTreeMap;

/// One certificate as the view needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub org_id: i64,
    pub user_id: i64,
    pub certification_id: i64,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// When the holder left the organisation (their account was disabled).
    pub left_at: Option<i64>,
    pub holder_role: Option<JobRole>,
    pub path_ids: Vec<i64>,
}

impl Certificate {
    /// When the certificate stopped counting for its organisation: at its expiry, or
    /// earlier at its revocation or, if it was not revoked, when its holder left.
    pub fn counted_until(&self) -> i64 {
        self.revoked_at
            .or(self.left_at)
            .map_or(self.expires_at, |end| end.min(self.expires_at))
    }

    pub(crate) fn counts(&self, filters: &Filters) -> bool {
        filters.job_role.is_none_or(|r| Some(r) == self.holder_role)
            && filters.path_id.is_none_or(|p| self.path_ids.contains(&p))
    }

    pub(crate) fn active_at(&self, at: i64) -> bool {
        self.issued_at <= at
            && at < self.expires_at
            && self.revoked_at.is_none_or(|r| r > at)
            && self.left_at.is_none_or(|l| l > at)
    }
}

/// One organisation's counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pipeline {
    pub active: u64,
    pub expiring_30: u64,
    pub expiring_60: u64,
    pub expiring_90: u64,
    pub expired: u64,
    pub revoked: u64,
    /// Came due in the window, and of those renewed in time.
    pub due: u64,
    pub renewed: u64,
}

impl Pipeline {
    pub fn recertification(&self) -> Rate {
        rate(self.renewed, self.due)
    }

    fn add(&mut self, other: &Pipeline) {
        self.active += other.active;
        self.expiring_30 += other.expiring_30;
        self.expiring_60 += other.expiring_60;
        self.expiring_90 += other.expiring_90;
        self.expired += other.expired;
        self.revoked += other.revoked;
        self.due += other.due;
        self.renewed += other.renewed;
    }
}

/// The view: every organisation with anything to show, soonest expiries first, and the
/// program's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificatePipeline {
    pub rows: Vec<(Org, Pipeline)>,
    pub total: Pipeline,
}

pub fn certificate_pipeline(
    certificates: &[Certificate],
    orgs: &[Org],
    filters: &Filters,
    window: &Window,
    now: i64,
) -> CertificatePipeline {
    let in_window = |at: i64| at >= window.start_ms && at < window.end_ms;
    let counted: Vec<&Certificate> = certificates.iter().filter(|c| c.counts(filters)).collect();
    // Renewal: the same person earned the same certification again after this one was
    // issued and no later than its expiry.
    let renewed = |certificate: &Certificate| {
        counted.iter().any(|other| {
            other.user_id == certificate.user_id
                && other.certification_id == certificate.certification_id
                && other.issued_at > certificate.issued_at
                && other.issued_at <= certificate.expires_at
        })
    };
    let mut per_org: BTreeMap<i64, Pipeline> = BTreeMap::new();
    for certificate in &counted {
        let pipeline = per_org.entry(certificate.org_id).or_default();
        if certificate.active_at(now) {
            pipeline.active += 1;
            match (certificate.expires_at - now) / DAY_MS {
                days if days < 30 => pipeline.expiring_30 += 1,
                days if days < 60 => pipeline.expiring_60 += 1,
                days if days < 90 => pipeline.expiring_90 += 1,
                _ => {}
            }
        }
        let revoked_first = certificate
            .revoked_at
            .is_some_and(|r| r < certificate.expires_at);
        if certificate.revoked_at.is_some_and(in_window) {
            pipeline.revoked += 1;
        }
        if in_window(certificate.expires_at) && certificate.expires_at <= now && !revoked_first {
            pipeline.expired += 1;
        }
        if in_window(certificate.expires_at) && !revoked_first {
            pipeline.due += 1;
            if renewed(certificate) {
                pipeline.renewed += 1;
            }
        }
    }
    let mut rows: Vec<(Org, Pipeline)> = orgs
        .iter()
        .filter(|org| org.admitted(filters))
        .filter_map(|org| {
            let pipeline = per_org.remove(&org.id)?;
            (pipeline != Pipeline::default()).then(|| (org.clone(), pipeline))
        })
        .collect();
    // The most urgent first: expiring within 30 days, then 60, then 90, then by name.
    rows.sort_by(|(a, x), (b, y)| {
        (y.expiring_30, y.expiring_60, y.expiring_90)
            .cmp(&(x.expiring_30, x.expiring_60, x.expiring_90))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut total = Pipeline::default();
    for (_, pipeline) in &rows {
        total.add(pipeline);
    }
    CertificatePipeline { rows, total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::{PartnerType, Tier};
    use crate::domain::insights::trailing_window;
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z

    fn org(id: i64, name: &str) -> Org {
        Org {
            id,
            name: name.into(),
            partner_type: PartnerType::Reseller,
            tier: Tier::Gold,
            region: "EMEA".into(),
            onboarded_at: 0,
        }
    }

    fn certificate(
        org_id: i64,
        user_id: i64,
        issued_days_ago: i64,
        expires_in_days: i64,
    ) -> Certificate {
        Certificate {
            org_id,
            user_id,
            certification_id: 1,
            issued_at: NOW - issued_days_ago * DAY_MS,
            expires_at: NOW + expires_in_days * DAY_MS,
            revoked_at: None,
            left_at: None,
            holder_role: Some(JobRole::Sales),
            path_ids: vec![5],
        }
    }

    #[test]
    fn status_bands_and_recertification_are_counted_as_defined() {
        let orgs = [org(1, "Alpha"), org(2, "Beta")];
        let mut revoked = certificate(1, 13, 50, 300);
        revoked.revoked_at = Some(NOW - 10 * DAY_MS);
        let mut left = certificate(1, 14, 50, 300);
        left.left_at = Some(NOW - DAY_MS);
        let certificates = [
            certificate(1, 10, 300, 10),  // expiring within 30 days
            certificate(1, 11, 300, 45),  // within 60
            certificate(1, 12, 300, 200), // later
            revoked,
            left,
            // User 20 let one lapse 100 days ago; user 21 renewed before expiry.
            certificate(2, 20, 465, -100),
            certificate(2, 21, 465, -100),
            certificate(2, 21, 110, 255),
        ];
        let view = certificate_pipeline(
            &certificates,
            &orgs,
            &Filters::default(),
            &trailing_window(NOW, 12, Zone::UTC),
            NOW,
        );
        let names: Vec<&str> = view.rows.iter().map(|(o, _)| o.name.as_str()).collect();
        assert_eq!(names, ["Alpha", "Beta"], "the one expiring soonest first");
        let alpha = &view.rows[0].1;
        assert_eq!(
            (
                alpha.active,
                alpha.expiring_30,
                alpha.expiring_60,
                alpha.expiring_90
            ),
            (3, 1, 1, 0)
        );
        assert_eq!(alpha.revoked, 1);
        let beta = &view.rows[1].1;
        assert_eq!((beta.active, beta.expired), (1, 2));
        assert_eq!((beta.renewed, beta.due), (1, 2));
        assert_eq!(view.total.active, 4);
        assert_eq!(view.total.recertification().n, 2);
    }

    #[test]
    fn a_certificate_counts_until_it_ends_is_revoked_or_its_holder_leaves() {
        let mut held = certificate(1, 10, 30, 300);
        assert_eq!(held.counted_until(), held.expires_at);
        held.left_at = Some(NOW);
        assert_eq!(held.counted_until(), NOW);
        held.revoked_at = Some(NOW - DAY_MS);
        assert_eq!(held.counted_until(), NOW - DAY_MS);
        held.left_at = None;
        held.revoked_at = Some(held.expires_at + DAY_MS);
        assert_eq!(held.counted_until(), held.expires_at);
    }

    #[test]
    fn filters_narrow_organisations_and_certificates() {
        let orgs = [org(1, "Alpha")];
        let certificates = [certificate(1, 10, 30, 300)];
        let window = trailing_window(NOW, 12, Zone::UTC);
        let with = |filters: Filters| {
            certificate_pipeline(&certificates, &orgs, &filters, &window, NOW)
                .rows
                .len()
        };
        assert_eq!(with(Filters::default()), 1);
        assert_eq!(
            with(Filters {
                job_role: Some(JobRole::Support),
                ..Filters::default()
            }),
            0
        );
        assert_eq!(
            with(Filters {
                path_id: Some(6),
                ..Filters::default()
            }),
            0
        );
        assert_eq!(
            with(Filters {
                tier: Some(Tier::Silver),
                ..Filters::default()
            }),
            0
        );
    }
}
