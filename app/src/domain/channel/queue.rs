//! The review queue as a work list: what competes with each waiting registration *now*
//! (not when it was submitted), and the filters, counts and pages a manager works through.
use super::clocks::SlaState;
use super::conflict::{Claim, Party};
use super::deals::{Motion, RegistrationStatus, Stage};
use crate::domain::identity::text_enum;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Registrations shown per page of the queue.
pub const QUEUE_PAGE_SIZE: usize = 20;
/// Registrations one bulk approval may cover (a page, with room to spare).
pub const MAX_BULK: usize = 50;
/// The longest search the queue accepts.
pub const MAX_SEARCH_CHARS: usize = 100;

text_enum!(
    /// Something that competes with a waiting registration for its customer.
    ConflictKind {
        ProtectedElsewhere => "protected" / "Protected by another party",
        Incumbent => "incumbent" / "Another partner is the incumbent",
        CompetingRegistration => "competing" / "Competing registration",
        DirectTeam => "direct" / "Direct sales is working it",
    }
);

text_enum!(
    /// The SLA states the queue counts and filters by.
    SlaBucket {
        Breached => "breached" / "Breached",
        DueSoon => "due_soon" / "Due soon",
        OnTrack => "on_track" / "On track",
    }
);

impl SlaBucket {
    pub fn of(state: SlaState) -> SlaBucket {
        match state {
            SlaState::Breached { .. } => SlaBucket::Breached,
            SlaState::DueSoon { .. } => SlaBucket::DueSoon,
            SlaState::OnTrack { .. } => SlaBucket::OnTrack,
        }
    }
}

/// One deal on a customer, as far as claims on that customer go.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimFacts {
    pub deal_id: i64,
    pub org_id: Option<i64>,
    pub status: RegistrationStatus,
    pub stage: Stage,
    pub submitted_at: Option<i64>,
    pub protected_until: Option<i64>,
}

/// The claim a deal makes on its customer, if any: approved and waiting registrations, and
/// the direct team's open opportunities. `certified` says whether a partner holds a current
/// certificate (it breaks ties between registrations).
pub fn claim_of(deal: &ClaimFacts, certified: impl Fn(i64) -> bool) -> Option<Claim> {
    let party = deal.org_id.map_or(Party::Direct, Party::Partner);
    let open = !matches!(deal.stage, Stage::Won | Stage::Lost);
    match deal.status {
        RegistrationStatus::Approved => Some(Claim::Approved {
            deal_id: deal.deal_id,
            party,
            protected_until: deal.protected_until.unwrap_or(0),
        }),
        RegistrationStatus::Pending | RegistrationStatus::InfoRequested => Some(Claim::Pending {
            deal_id: deal.deal_id,
            party,
            submitted_at: deal.submitted_at.unwrap_or(0),
            certified: deal.org_id.is_some_and(&certified),
        }),
        RegistrationStatus::NotRegistered if deal.org_id.is_none() && open => {
            Some(Claim::DirectOpportunity {
                deal_id: deal.deal_id,
            })
        }
        _ => None,
    }
}

/// The claims on a customer (besides deal `except`'s own), with its incumbent partner.
pub fn claims_besides(
    deals: &[ClaimFacts],
    except: Option<i64>,
    incumbent: Option<i64>,
    certified: impl Fn(i64) -> bool,
) -> Vec<Claim> {
    deals
        .iter()
        .filter(|deal| Some(deal.deal_id) != except)
        .filter_map(|deal| claim_of(deal, &certified))
        .chain(incumbent.map(|org| Claim::Incumbent {
            party: Party::Partner(org),
        }))
        .collect()
}

/// What competes with `me`'s registration now, strongest first, each kind once. Expired
/// protections and `me`'s own incumbency compete with nothing.
pub fn conflicts(me: Party, claims: &[Claim], now: i64) -> Vec<ConflictKind> {
    let found = |kind: ConflictKind| {
        claims.iter().any(|claim| match (kind, claim) {
            (
                ConflictKind::ProtectedElsewhere,
                Claim::Approved {
                    party,
                    protected_until,
                    ..
                },
            ) => *party != me && *protected_until > now,
            (ConflictKind::Incumbent, Claim::Incumbent { party }) => *party != me,
            (ConflictKind::CompetingRegistration, Claim::Pending { party, .. }) => *party != me,
            (ConflictKind::DirectTeam, Claim::DirectOpportunity { .. }) => me != Party::Direct,
            _ => false,
        })
    };
    ConflictKind::ALL
        .iter()
        .copied()
        .filter(|kind| found(*kind))
        .collect()
}

/// The conflict filter: clean registrations, or those with one kind of conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConflictFilter {
    Clean,
    Kind(ConflictKind),
}

impl ConflictFilter {
    pub fn parse(text: &str) -> Option<ConflictFilter> {
        match text {
            "clean" => Some(ConflictFilter::Clean),
            other => ConflictKind::parse(other).map(ConflictFilter::Kind),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictFilter::Clean => "clean",
            ConflictFilter::Kind(kind) => kind.as_str(),
        }
    }
}

/// What the queue's filters look at in one waiting registration.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueFacts<'a> {
    pub account_name: &'a str,
    pub partner_org_id: Option<i64>,
    pub partner_name: &'a str,
    pub owner_name: &'a str,
    pub motion: Motion,
    pub region: &'a str,
    pub conflicts: &'a [ConflictKind],
    pub sla: SlaBucket,
}

/// The queue's filters, already checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueFilter {
    pub partner: Option<i64>,
    pub motion: Option<Motion>,
    pub region: Option<String>,
    pub conflict: Option<ConflictFilter>,
    pub sla: Option<SlaBucket>,
    /// Lower-cased words, each of which must appear in the customer, partner or owner.
    pub search: Vec<String>,
}

impl QueueFilter {
    /// Words to search for: at most [`MAX_SEARCH_CHARS`] characters, split on spaces.
    pub fn search_words(search: &str) -> Result<Vec<String>, &'static str> {
        if search.chars().count() > MAX_SEARCH_CHARS {
            return Err("Search with up to 100 characters.");
        }
        Ok(search
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>())
    }

    /// Whether a registration passes every filter but the SLA one (the SLA counts are
    /// taken over these, so each count says what choosing that state would show).
    pub fn matches_besides_sla(&self, facts: &QueueFacts) -> bool {
        let text = format!(
            "{} {} {}",
            facts.account_name, facts.partner_name, facts.owner_name
        )
        .to_lowercase();
        self.partner
            .is_none_or(|id| facts.partner_org_id == Some(id))
            && self.motion.is_none_or(|m| facts.motion == m)
            && self.region.as_deref().is_none_or(|r| facts.region == r)
            && self.conflict.is_none_or(|filter| match filter {
                ConflictFilter::Clean => facts.conflicts.is_empty(),
                ConflictFilter::Kind(kind) => facts.conflicts.contains(&kind),
            })
            && self.search.iter().all(|word| text.contains(word.as_str()))
    }

    pub fn matches(&self, facts: &QueueFacts) -> bool {
        self.sla.is_none_or(|sla| facts.sla == sla) && self.matches_besides_sla(facts)
    }
}

/// How many registrations wait in each SLA state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaCounts {
    pub breached: usize,
    pub due_soon: usize,
    pub on_track: usize,
}

impl SlaCounts {
    pub fn add(&mut self, sla: SlaBucket) {
        match sla {
            SlaBucket::Breached => self.breached += 1,
            SlaBucket::DueSoon => self.due_soon += 1,
            SlaBucket::OnTrack => self.on_track += 1,
        }
    }

    pub fn of(&self, sla: SlaBucket) -> usize {
        match sla {
            SlaBucket::Breached => self.breached,
            SlaBucket::DueSoon => self.due_soon,
            SlaBucket::OnTrack => self.on_track,
        }
    }

    pub fn total(&self) -> usize {
        self.breached + self.due_soon + self.on_track
    }
}

/// The pages `total` items fill (at least one, so an empty queue is page 1 of 1).
pub fn page_count(total: usize) -> usize {
    total.div_ceil(QUEUE_PAGE_SIZE).max(1)
}

/// The range of items on `page` (1-based); a page past the end is the last page.
pub fn page_range(total: usize, page: usize) -> (usize, std::ops::Range<usize>) {
    let page = page.clamp(1, page_count(total));
    let start = (page - 1) * QUEUE_PAGE_SIZE;
    (page, start..(start + QUEUE_PAGE_SIZE).min(total))
}

/// The filters a link back to the queue may keep.
pub const FILTER_KEYS: &[&str] = &[
    "search", "partner", "motion", "region", "conflict", "sla", "page",
];

/// Where a decision sends the manager: back to the queue with the filters they had (only
/// known filters with URL-safe values; anything else is dropped, so the link can never
/// leave the queue), naming what was decided and what was left waiting.
pub fn return_to_queue(back: &str, decided: &[i64], skipped: &[i64]) -> String {
    let safe = |value: &str| {
        value.len() <= 300
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "%+._-".contains(c))
    };
    let mut parts: Vec<String> = back
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, value)| FILTER_KEYS.contains(key) && !value.is_empty() && safe(value))
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let list = |ids: &[i64]| {
        ids.iter()
            .take(MAX_BULK)
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    if !decided.is_empty() {
        parts.push(format!("decided={}", list(decided)));
    }
    if !skipped.is_empty() {
        parts.push(format!("skipped={}", list(skipped)));
    }
    if parts.is_empty() {
        "/deals/queue".into()
    } else {
        format!("/deals/queue?{}", parts.join("&"))
    }
}

/// Deal ids named in a confirmation link (`decided=1,2,3`): at most [`MAX_BULK`], and
/// nothing at all if any is not a number.
pub fn id_list(text: &str) -> Option<Vec<i64>> {
    let ids = text
        .split(',')
        .filter(|part| !part.is_empty())
        .map(|part| part.trim().parse::<i64>().ok())
        .collect::<Option<Vec<_>>>()?;
    (ids.len() <= MAX_BULK).then_some(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000_000;

    fn deal(deal_id: i64, org_id: Option<i64>, status: RegistrationStatus) -> ClaimFacts {
        ClaimFacts {
            deal_id,
            org_id,
            status,
            stage: Stage::Qualify,
            submitted_at: Some(NOW - 10),
            protected_until: Some(NOW + 10),
        }
    }

    fn kinds(deals: &[ClaimFacts], incumbent: Option<i64>) -> Vec<ConflictKind> {
        let claims = claims_besides(deals, Some(1), incumbent, |_| false);
        conflicts(Party::Partner(7), &claims, NOW)
    }

    #[test]
    fn a_registration_alone_on_its_customer_is_clean() {
        let me = deal(1, Some(7), RegistrationStatus::Pending);
        assert!(kinds(std::slice::from_ref(&me), None).is_empty());
        // Its own incumbency is in its favour, not a conflict.
        assert!(kinds(&[me], Some(7)).is_empty());
    }

    #[test]
    fn every_kind_of_competing_claim_is_named_strongest_first() {
        let deals = [
            deal(1, Some(7), RegistrationStatus::Pending),
            deal(2, None, RegistrationStatus::NotRegistered),
            deal(3, Some(8), RegistrationStatus::Pending),
            deal(4, Some(9), RegistrationStatus::Approved),
        ];
        assert_eq!(
            kinds(&deals, Some(8)),
            vec![
                ConflictKind::ProtectedElsewhere,
                ConflictKind::Incumbent,
                ConflictKind::CompetingRegistration,
                ConflictKind::DirectTeam,
            ]
        );
    }

    #[test]
    fn finished_and_expired_claims_compete_with_nothing() {
        let mut expired = deal(2, Some(8), RegistrationStatus::Approved);
        expired.protected_until = Some(NOW);
        let mut won = deal(3, None, RegistrationStatus::NotRegistered);
        won.stage = Stage::Won;
        let mut lost = deal(4, None, RegistrationStatus::NotRegistered);
        lost.stage = Stage::Lost;
        let declined = deal(5, Some(9), RegistrationStatus::Declined);
        let partner_unregistered = deal(6, Some(9), RegistrationStatus::NotRegistered);
        let me = deal(1, Some(7), RegistrationStatus::Pending);
        assert!(kinds(
            &[me, expired, won, lost, declined, partner_unregistered],
            None
        )
        .is_empty());
    }

    #[test]
    fn a_waiting_registration_of_the_same_partner_is_not_ignored_by_the_claims() {
        // The claim list still carries it (the conflict engine calls it a duplicate); only
        // the deal under review itself is left out.
        let deals = [
            deal(1, Some(7), RegistrationStatus::Pending),
            deal(2, Some(7), RegistrationStatus::Pending),
        ];
        let claims = claims_besides(&deals, Some(1), None, |_| true);
        assert_eq!(
            claims,
            vec![Claim::Pending {
                deal_id: 2,
                party: Party::Partner(7),
                submitted_at: NOW - 10,
                certified: true,
            }]
        );
    }

    fn facts<'a>(conflicts: &'a [ConflictKind], sla: SlaBucket) -> QueueFacts<'a> {
        QueueFacts {
            account_name: "Acme Robotics",
            partner_org_id: Some(7),
            partner_name: "Atlas Partners",
            owner_name: "Nora Diaz",
            motion: Motion::Resale,
            region: "EMEA",
            conflicts,
            sla,
        }
    }

    #[test]
    fn filters_combine_and_search_matches_every_word_in_any_name() {
        let clean = facts(&[], SlaBucket::Breached);
        let contested = facts(&[ConflictKind::DirectTeam], SlaBucket::OnTrack);
        let all = QueueFilter::default();
        assert!(all.matches(&clean) && all.matches(&contested));
        let search = QueueFilter {
            search: QueueFilter::search_words("  atlas   ROBOTICS ").unwrap(),
            ..Default::default()
        };
        assert!(search.matches(&clean));
        let miss = QueueFilter {
            search: QueueFilter::search_words("atlas globex").unwrap(),
            ..Default::default()
        };
        assert!(!miss.matches(&clean));
        let only_clean = QueueFilter {
            conflict: Some(ConflictFilter::Clean),
            ..Default::default()
        };
        assert!(only_clean.matches(&clean) && !only_clean.matches(&contested));
        let direct = QueueFilter {
            conflict: Some(ConflictFilter::Kind(ConflictKind::DirectTeam)),
            ..Default::default()
        };
        assert!(!direct.matches(&clean) && direct.matches(&contested));
        let breached = QueueFilter {
            sla: Some(SlaBucket::Breached),
            ..Default::default()
        };
        assert!(breached.matches(&clean) && !breached.matches(&contested));
        assert!(breached.matches_besides_sla(&contested));
        let elsewhere = QueueFilter {
            partner: Some(8),
            ..Default::default()
        };
        assert!(!elsewhere.matches(&clean));
        let region = QueueFilter {
            region: Some("APAC".into()),
            motion: Some(Motion::Resale),
            ..Default::default()
        };
        assert!(!region.matches(&clean));
        let motion = QueueFilter {
            motion: Some(Motion::Referral),
            ..Default::default()
        };
        assert!(!motion.matches(&clean));
    }

    #[test]
    fn searches_are_bounded() {
        assert!(QueueFilter::search_words(&"a".repeat(MAX_SEARCH_CHARS)).is_ok());
        assert!(QueueFilter::search_words(&"a".repeat(MAX_SEARCH_CHARS + 1)).is_err());
        assert_eq!(
            QueueFilter::search_words("   ").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn conflict_filters_round_trip() {
        for filter in [ConflictFilter::Clean]
            .into_iter()
            .chain(ConflictKind::ALL.iter().copied().map(ConflictFilter::Kind))
        {
            assert_eq!(ConflictFilter::parse(filter.as_str()), Some(filter));
        }
        assert_eq!(ConflictFilter::parse("Clean"), None);
    }

    #[test]
    fn the_way_back_keeps_known_filters_and_never_leaves_the_queue() {
        assert_eq!(return_to_queue("", &[], &[]), "/deals/queue");
        assert_eq!(
            return_to_queue("search=atlas+robotics&conflict=clean&page=2", &[5], &[]),
            "/deals/queue?search=atlas+robotics&conflict=clean&page=2&decided=5"
        );
        assert_eq!(
            return_to_queue("?sla=breached", &[1, 2], &[3]),
            "/deals/queue?sla=breached&decided=1,2&skipped=3"
        );
        for hostile in [
            "next=https://evil.example",
            "search=a%0d%0aSet-Cookie:x",
            "search=<script>",
            "search=a/b",
            "//evil.example",
            "search=a&search",
        ] {
            let back = return_to_queue(hostile, &[], &[]);
            assert!(
                back == "/deals/queue" || back == "/deals/queue?search=a",
                "{hostile} -> {back}"
            );
        }
        // Percent-encoded text stays encoded (the browser decodes it as a query value).
        assert_eq!(
            return_to_queue("search=a%0d%0a", &[], &[]),
            "/deals/queue?search=a%0d%0a"
        );
    }

    #[test]
    fn confirmation_links_name_a_bounded_list_of_numbers() {
        assert_eq!(id_list("1,2,3"), Some(vec![1, 2, 3]));
        assert_eq!(id_list(""), Some(vec![]));
        assert_eq!(id_list("1,x"), None);
        let many = (0..=MAX_BULK)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(id_list(&many), None);
    }

    #[test]
    fn counts_and_pages() {
        let mut counts = SlaCounts::default();
        for sla in [SlaBucket::Breached, SlaBucket::OnTrack, SlaBucket::OnTrack] {
            counts.add(sla);
        }
        assert_eq!(
            (
                counts.of(SlaBucket::Breached),
                counts.of(SlaBucket::DueSoon)
            ),
            (1, 0)
        );
        assert_eq!(counts.total(), 3);
        assert_eq!(page_count(0), 1);
        assert_eq!(page_count(20), 1);
        assert_eq!(page_count(21), 2);
        assert_eq!(page_range(45, 1), (1, 0..20));
        assert_eq!(page_range(45, 3), (3, 40..45));
        assert_eq!(page_range(45, 99), (3, 40..45));
        assert_eq!(page_range(0, 1), (1, 0..0));
        assert_eq!(
            SlaBucket::of(SlaState::DueSoon { left_ms: 5 }),
            SlaBucket::DueSoon
        );
    }
}
