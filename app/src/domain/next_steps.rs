//! What a partner should do next, for their home page: required training, deals that wait on
//! them, protections ending, announcements to acknowledge and certificates expiring. Each
//! becomes one tile that links where the work is done, most pressing first.
use crate::domain::certification::{CertificateStatus, DAY_MS};
use crate::domain::channel::deals::{RegistrationStatus, Stage};
use crate::domain::learning::TrainingStanding;
use serde::{Deserialize, Serialize};

/// A protection ending within this many days gets a tile.
pub const PROTECTION_ENDING_DAYS: i64 = 14;
/// Training due, or a protection or certificate ending, within this many days is urgent.
pub const URGENT_DAYS: i64 = 7;

/// What a tile asks for; the order is the order of tiles that are equally pressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NextKind {
    TrainingOverdue,
    InfoRequested,
    Acknowledge,
    TrainingDue,
    Recertify,
    ProtectionEnding,
    CertificateExpiring,
    Appeal,
    Register,
}

impl NextKind {
    /// The tile's heading: what to do.
    pub fn heading(self) -> &'static str {
        match self {
            NextKind::TrainingOverdue => "Finish overdue training",
            NextKind::InfoRequested => "Answer your partner manager",
            NextKind::Acknowledge => "Acknowledge an announcement",
            NextKind::TrainingDue => "Finish required training",
            NextKind::Recertify => "Recertify",
            NextKind::ProtectionEnding => "Protection ending",
            NextKind::CertificateExpiring => "Certificate expiring",
            NextKind::Appeal => "Declined: you may appeal",
            NextKind::Register => "Register this deal",
        }
    }

    /// The words before the tile's date, if it has one.
    pub fn date_words(self) -> &'static str {
        match self {
            NextKind::TrainingOverdue => "Was due",
            NextKind::TrainingDue | NextKind::Recertify => "Due",
            NextKind::ProtectionEnding => "Ends",
            NextKind::CertificateExpiring => "Expires",
            NextKind::Appeal => "Appeal by",
            NextKind::InfoRequested | NextKind::Acknowledge | NextKind::Register => "",
        }
    }
}

/// One thing to do, linking to where it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextTile {
    pub kind: NextKind,
    /// What it is about: a path, a customer, an announcement or a certification.
    pub subject: String,
    pub href: String,
    /// The date that matters (due, ends, expires), when there is one.
    pub at: Option<i64>,
    pub urgent: bool,
}

/// A required path assigned to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingFact {
    pub path_id: i64,
    pub title: String,
    pub due_at: i64,
    pub standing: TrainingStanding,
    /// For a recertification: when the certificate it renews ends.
    pub recertify_by: Option<i64>,
}

/// One of the organisation's deals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealFact {
    pub deal_id: i64,
    pub account_name: String,
    pub status: RegistrationStatus,
    pub stage: Stage,
    pub protected_until: Option<i64>,
    /// Declined, inside the appeal window, no appeal yet: until when.
    pub appeal_until: Option<i64>,
}

/// One of the person's certificates (the latest of its certification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFact {
    pub name: String,
    pub expires_at: i64,
    pub status: CertificateStatus,
    /// A newer certificate of the same certification replaced it.
    pub renewed: bool,
}

/// Everything the home page weighs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HomeFacts {
    pub training: Vec<TrainingFact>,
    pub deals: Vec<DealFact>,
    /// Announcements that ask for an acknowledgment not yet given: id and title.
    pub to_acknowledge: Vec<(i64, String)>,
    pub certificates: Vec<CertificateFact>,
}

fn within(at: i64, days: i64, now: i64) -> bool {
    at - now <= days * DAY_MS
}

/// The tiles, most pressing first: urgent before the rest, then the earliest date, then
/// the kind's own order, then the subject.
pub fn what_next(facts: &HomeFacts, now: i64) -> Vec<NextTile> {
    let mut tiles = Vec::new();
    for path in &facts.training {
        let href = format!("/learn/{}", path.path_id);
        let tile = match path.standing {
            TrainingStanding::Done => continue,
            TrainingStanding::Overdue => NextTile {
                kind: NextKind::TrainingOverdue,
                subject: path.title.clone(),
                href,
                at: Some(path.due_at),
                urgent: true,
            },
            TrainingStanding::Pending => NextTile {
                kind: NextKind::TrainingDue,
                subject: path.title.clone(),
                href,
                at: Some(path.due_at),
                urgent: within(path.due_at, URGENT_DAYS, now),
            },
            TrainingStanding::Recertifying => {
                let by = path.recertify_by.unwrap_or(path.due_at);
                NextTile {
                    kind: NextKind::Recertify,
                    subject: path.title.clone(),
                    href,
                    at: Some(by),
                    urgent: within(by, URGENT_DAYS, now),
                }
            }
        };
        tiles.push(tile);
    }
    for deal in &facts.deals {
        let open = !matches!(deal.stage, Stage::Won | Stage::Lost);
        let tile = |kind, at: Option<i64>, urgent| NextTile {
            kind,
            subject: deal.account_name.clone(),
            href: format!("/deals/{}", deal.deal_id),
            at,
            urgent,
        };
        match deal.status {
            RegistrationStatus::InfoRequested => {
                tiles.push(tile(NextKind::InfoRequested, None, true));
            }
            RegistrationStatus::Declined => {
                if let Some(until) = deal.appeal_until.filter(|until| *until > now) {
                    tiles.push(tile(
                        NextKind::Appeal,
                        Some(until),
                        within(until, URGENT_DAYS, now),
                    ));
                }
            }
            RegistrationStatus::Approved if open => {
                if let Some(until) = deal
                    .protected_until
                    .filter(|until| *until > now && within(*until, PROTECTION_ENDING_DAYS, now))
                {
                    tiles.push(tile(
                        NextKind::ProtectionEnding,
                        Some(until),
                        within(until, URGENT_DAYS, now),
                    ));
                }
            }
            RegistrationStatus::NotRegistered if open => {
                tiles.push(tile(NextKind::Register, None, false));
            }
            _ => {}
        }
    }
    for (id, title) in &facts.to_acknowledge {
        tiles.push(NextTile {
            kind: NextKind::Acknowledge,
            subject: title.clone(),
            href: format!("/announcements#announcement-{id}"),
            at: None,
            urgent: true,
        });
    }
    for certificate in &facts.certificates {
        if certificate.status == CertificateStatus::Expiring && !certificate.renewed {
            tiles.push(NextTile {
                kind: NextKind::CertificateExpiring,
                subject: certificate.name.clone(),
                href: "/certificates".to_owned(),
                at: Some(certificate.expires_at),
                urgent: within(certificate.expires_at, URGENT_DAYS, now),
            });
        }
    }
    tiles.sort_by(|a, b| {
        b.urgent
            .cmp(&a.urgent)
            .then_with(|| match (a.at, b.at) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    tiles
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000 * DAY_MS;

    fn training(path_id: i64, standing: TrainingStanding, due_in_days: i64) -> TrainingFact {
        TrainingFact {
            path_id,
            title: format!("Path {path_id}"),
            due_at: NOW + due_in_days * DAY_MS,
            standing,
            recertify_by: None,
        }
    }

    fn deal(deal_id: i64, status: RegistrationStatus, stage: Stage) -> DealFact {
        DealFact {
            deal_id,
            account_name: format!("Customer {deal_id}"),
            status,
            stage,
            protected_until: None,
            appeal_until: None,
        }
    }

    fn kinds(tiles: &[NextTile]) -> Vec<NextKind> {
        tiles.iter().map(|t| t.kind).collect()
    }

    #[test]
    fn nothing_to_do_gives_no_tiles() {
        assert!(what_next(&HomeFacts::default(), NOW).is_empty());
        let done = HomeFacts {
            training: vec![training(1, TrainingStanding::Done, -5)],
            deals: vec![deal(1, RegistrationStatus::Pending, Stage::Qualify)],
            ..HomeFacts::default()
        };
        assert!(what_next(&done, NOW).is_empty());
    }

    #[test]
    fn training_tiles_follow_the_standing_and_link_the_path() {
        let facts = HomeFacts {
            training: vec![
                training(1, TrainingStanding::Pending, 20),
                training(2, TrainingStanding::Overdue, -3),
                training(3, TrainingStanding::Pending, 2),
                TrainingFact {
                    recertify_by: Some(NOW + 40 * DAY_MS),
                    ..training(4, TrainingStanding::Recertifying, 0)
                },
            ],
            ..HomeFacts::default()
        };
        let tiles = what_next(&facts, NOW);
        assert_eq!(
            kinds(&tiles),
            vec![
                NextKind::TrainingOverdue,
                NextKind::TrainingDue,
                NextKind::TrainingDue,
                NextKind::Recertify
            ]
        );
        assert_eq!(tiles[0].href, "/learn/2");
        assert!(
            tiles[0].urgent && tiles[1].urgent,
            "overdue, and due in 2 days"
        );
        assert!(!tiles[2].urgent, "due in 20 days");
        assert_eq!(tiles[1].subject, "Path 3");
        assert_eq!(
            tiles[3].at,
            Some(NOW + 40 * DAY_MS),
            "a recertification is due when the certificate ends"
        );
    }

    #[test]
    fn deals_ask_for_answers_appeals_registration_and_protection_renewal() {
        let ending = |id, days| DealFact {
            protected_until: Some(NOW + days * DAY_MS),
            ..deal(id, RegistrationStatus::Approved, Stage::Propose)
        };
        let facts = HomeFacts {
            deals: vec![
                deal(1, RegistrationStatus::InfoRequested, Stage::Qualify),
                DealFact {
                    appeal_until: Some(NOW + 3 * DAY_MS),
                    ..deal(2, RegistrationStatus::Declined, Stage::Qualify)
                },
                DealFact {
                    appeal_until: Some(NOW - DAY_MS),
                    ..deal(3, RegistrationStatus::Declined, Stage::Qualify)
                },
                deal(4, RegistrationStatus::Declined, Stage::Qualify),
                ending(5, 10),
                ending(6, 30),
                ending(7, -1),
                DealFact {
                    stage: Stage::Won,
                    ..ending(8, 2)
                },
                deal(9, RegistrationStatus::NotRegistered, Stage::Discover),
                deal(10, RegistrationStatus::NotRegistered, Stage::Lost),
                ending(11, 1),
            ],
            ..HomeFacts::default()
        };
        let tiles = what_next(&facts, NOW);
        let ids: Vec<&str> = tiles.iter().map(|t| t.href.as_str()).collect();
        assert_eq!(
            ids,
            vec!["/deals/11", "/deals/2", "/deals/1", "/deals/5", "/deals/9"],
            "urgent first by date, an undated urgent one after them; closed deals and far or \
             past dates have none"
        );
        assert_eq!(
            kinds(&tiles),
            vec![
                NextKind::ProtectionEnding,
                NextKind::Appeal,
                NextKind::InfoRequested,
                NextKind::ProtectionEnding,
                NextKind::Register
            ]
        );
        assert!(!tiles[3].urgent, "ten days away");
    }

    #[test]
    fn announcements_and_expiring_certificates_get_tiles() {
        let certificate = |name: &str, status, renewed, days| CertificateFact {
            name: name.to_owned(),
            expires_at: NOW + days * DAY_MS,
            status,
            renewed,
        };
        let facts = HomeFacts {
            to_acknowledge: vec![(7, "Price list".to_owned())],
            certificates: vec![
                certificate("Sales", CertificateStatus::Expiring, false, 20),
                certificate("Old", CertificateStatus::Expiring, true, 20),
                certificate("Active", CertificateStatus::Active, false, 200),
                certificate("Gone", CertificateStatus::Expired, false, -2),
                certificate("Soon", CertificateStatus::Expiring, false, 3),
            ],
            ..HomeFacts::default()
        };
        let tiles = what_next(&facts, NOW);
        assert_eq!(
            kinds(&tiles),
            vec![
                NextKind::CertificateExpiring,
                NextKind::Acknowledge,
                NextKind::CertificateExpiring
            ]
        );
        assert_eq!(tiles[0].subject, "Soon");
        assert_eq!(tiles[1].href, "/announcements#announcement-7");
        assert_eq!(tiles[2].href, "/certificates");
        assert!(!tiles[2].urgent);
    }

    #[test]
    fn every_kind_has_a_heading_and_dated_kinds_have_date_words() {
        let all = [
            NextKind::TrainingOverdue,
            NextKind::InfoRequested,
            NextKind::Acknowledge,
            NextKind::TrainingDue,
            NextKind::Recertify,
            NextKind::ProtectionEnding,
            NextKind::CertificateExpiring,
            NextKind::Appeal,
            NextKind::Register,
        ];
        for kind in all {
            assert!(!kind.heading().is_empty());
        }
        for kind in [
            NextKind::TrainingOverdue,
            NextKind::TrainingDue,
            NextKind::Recertify,
            NextKind::ProtectionEnding,
            NextKind::CertificateExpiring,
            NextKind::Appeal,
        ] {
            assert!(!kind.date_words().is_empty(), "{kind:?}");
        }
    }
}
