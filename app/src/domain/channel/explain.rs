//! The conflict rationale in words, for whoever is reading it. Partners never learn who
//! else holds an account: other parties are "another partner" or "the vendor's direct team".
use super::conflict::{Decision, Party, Rule, RuleOutcome, Verdict};

/// How the reader is named and how other parties are named to them.
pub trait PartyNames {
    fn name(&self, party: Party) -> String;
}

/// A partner reading about its own registration.
pub struct PartnerView {
    pub me: Party,
}

impl PartyNames for PartnerView {
    fn name(&self, party: Party) -> String {
        match party {
            p if p == self.me => "your registration".into(),
            Party::Direct => "the vendor's direct team".into(),
            Party::Partner(_) => "another partner".into(),
        }
    }
}

/// The calendar date (UTC) a message about a protection names.
pub fn protection_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// One sentence per rule that applied, in precedence order, then the decision.
pub fn explain(verdict: &Verdict, names: &dyn PartyNames) -> Vec<String> {
    let mut lines: Vec<String> = verdict
        .rationale
        .iter()
        .filter(|r| r.applied)
        .map(|r| sentence(r, names))
        .collect();
    lines.push(match verdict.decision {
        Decision::AutoApprove => "No other claim on this customer: approved automatically.".into(),
        Decision::NeedsReview => format!(
            "A partner manager will review it; the rules favour {}.",
            names.name(verdict.favoured)
        ),
        Decision::Duplicate => "This registration duplicates an existing claim.".into(),
    });
    lines
}

/// The rules as they stand now for a registration waiting for review: one sentence per rule
/// that applies, then what that means for the reviewer. Unlike [`explain`], nothing here
/// says "approved": the registration is still waiting.
pub fn explain_for_review(verdict: &Verdict, names: &dyn PartyNames) -> Vec<String> {
    let mut lines: Vec<String> = verdict
        .rationale
        .iter()
        .filter(|r| r.applied && r.rule != Rule::OwnClaim)
        .map(|r| sentence(r, names))
        .collect();
    let own_claim = verdict
        .rationale
        .iter()
        .any(|r| r.applied && r.rule == Rule::OwnClaim);
    lines.push(match verdict.decision {
        Decision::AutoApprove => {
            "Clean: no other claim on this customer now, so approving overlaps nobody.".into()
        }
        Decision::NeedsReview => format!(
            "Contested: the rules favour {}.",
            names.name(verdict.favoured)
        ),
        Decision::Duplicate if own_claim => format!(
            "{} already has another registration for this customer; approving would make two.",
            names.name(verdict.favoured)
        ),
        Decision::Duplicate => format!(
            "Protected: {} holds this customer now; approving would overlap that protection.",
            names.name(verdict.favoured)
        ),
    });
    lines
}

fn sentence(outcome: &RuleOutcome, names: &dyn PartyNames) -> String {
    let favours = outcome.favours.map(|p| names.name(p)).unwrap_or_default();
    let against = outcome.against.map(|p| names.name(p)).unwrap_or_default();
    let at = outcome.at.map(protection_date).unwrap_or_default();
    match outcome.rule {
        Rule::ExpiredProtection => {
            format!("An earlier protection ended on {at} and no longer counts.")
        }
        Rule::OwnClaim => "You already have an active registration for this customer.".into(),
        Rule::RegisteredBeatsUnregistered if !at.is_empty() => {
            format!("Registered beats unregistered: the customer is protected until {at}.")
        }
        Rule::RegisteredBeatsUnregistered => {
            format!("Registered beats unregistered: {favours} comes before {against}, which is not registered.")
        }
        Rule::IncumbentBeatsNetNew if against.is_empty() => {
            format!("Incumbent beats net-new: {favours} is the incumbent for this renewal or expansion.")
        }
        Rule::IncumbentBeatsNetNew => {
            format!("Incumbent beats net-new: the incumbent partner keeps renewals and expansions over {against}.")
        }
        Rule::EarlierRegistration => {
            format!("The earlier registration wins: {favours} was submitted before {against}.")
        }
        Rule::CertificationBreaksTie => {
            format!("Submitted within a day of each other, so certification breaks the tie in favour of {favours}.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::conflict::{decide, Claim, DealKind, Registration};
    use super::*;

    struct StaffView;
    impl PartyNames for StaffView {
        fn name(&self, party: Party) -> String {
            match party {
                Party::Partner(id) => format!("Partner #{id}"),
                Party::Direct => "Direct sales".into(),
            }
        }
    }

    #[test]
    fn reviewers_read_what_the_rules_say_now_and_never_that_it_was_approved() {
        let review = |claims: &[Claim]| {
            explain_for_review(
                &decide(
                    &Registration {
                        party: Party::Partner(2),
                        kind: DealKind::NetNew,
                        submitted_at: 100,
                        certified: false,
                    },
                    claims,
                    0,
                ),
                &StaffView,
            )
        };
        let clean = review(&[]);
        assert_eq!(
            clean,
            vec!["Clean: no other claim on this customer now, so approving overlaps nobody."]
        );
        let contested = review(&[Claim::DirectOpportunity { deal_id: 9 }]);
        assert_eq!(
            contested.last().map(String::as_str),
            Some("Contested: the rules favour Partner #2.")
        );
        assert!(contested[0].contains("Direct sales"), "{contested:?}");
        let protected = review(&[Claim::Approved {
            deal_id: 1,
            party: Party::Partner(1),
            protected_until: 1_800_000_000_000,
        }])
        .join(" ");
        assert!(
            protected.contains("Protected: Partner #1 holds this customer now"),
            "{protected}"
        );
        let twice = review(&[Claim::Pending {
            deal_id: 3,
            party: Party::Partner(2),
            submitted_at: 50,
            certified: false,
        }]);
        assert_eq!(
            twice,
            vec!["Partner #2 already has another registration for this customer; approving would make two."]
        );
        for lines in [clean, contested, twice] {
            assert!(lines.iter().all(|l| !l.contains("approved automatically")));
        }
    }

    #[test]
    fn partners_never_see_who_else_holds_the_account() {
        let verdict = decide(
            &Registration {
                party: Party::Partner(2),
                kind: DealKind::NetNew,
                submitted_at: 0,
                certified: false,
            },
            &[Claim::Approved {
                deal_id: 1,
                party: Party::Partner(1),
                protected_until: 1_800_000_000_000,
            }],
            0,
        );
        let partner = explain(
            &verdict,
            &PartnerView {
                me: Party::Partner(2),
            },
        )
        .join(" ");
        assert!(partner.contains("protected until 2027-01-15"), "{partner}");
        assert!(!partner.contains("#1"));
        let staff = explain(&verdict, &StaffView).join(" ");
        assert!(staff.contains("duplicates"));
    }

    #[test]
    fn review_decisions_name_the_favoured_party_relative_to_the_reader() {
        let verdict = decide(
            &Registration {
                party: Party::Partner(2),
                kind: DealKind::NetNew,
                submitted_at: 10 * 86_400_000,
                certified: false,
            },
            &[Claim::Pending {
                deal_id: 1,
                party: Party::Partner(1),
                submitted_at: 0,
                certified: false,
            }],
            10 * 86_400_000,
        );
        let lines = explain(
            &verdict,
            &PartnerView {
                me: Party::Partner(2),
            },
        );
        assert_eq!(
            lines,
            [
                "The earlier registration wins: another partner was submitted before your registration.",
                "A partner manager will review it; the rules favour another partner.",
            ]
        );
        let staff = explain(&verdict, &StaffView);
        assert!(staff[0].contains("Partner #1 was submitted before Partner #2"));
    }
}
