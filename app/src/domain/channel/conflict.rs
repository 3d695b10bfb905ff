//! The conflict engine: who owns a customer account when a new registration arrives.
//!
//! Precedence, in order (each rule is recorded in the rationale, applied or not):
//! 1. A party cannot register twice: its own active claim makes the new one a duplicate.
//! 2. Registered beats unregistered: an approved, unexpired registration wins; an
//!    unregistered claim (a direct opportunity) loses to a registration but needs a human.
//! 3. Incumbent beats net-new, for renewals and expansions.
//! 4. The earlier valid registration beats the later one.
//! 5. Certification breaks ties (registrations submitted within the tie window).
//!
//! Time is passed in (`now`), never read from the clock.
use serde::{Deserialize, Serialize};

/// Who holds or wants an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Party {
    Partner(i64),
    /// The vendor's own sales team.
    Direct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DealKind {
    NetNew,
    Expansion,
    Renewal,
}

/// An existing claim on the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Claim {
    /// An approved registration; it protects the account until `protected_until`.
    Approved {
        deal_id: i64,
        party: Party,
        protected_until: i64,
    },
    /// A registration awaiting review.
    Pending {
        deal_id: i64,
        party: Party,
        submitted_at: i64,
        certified: bool,
    },
    /// An open opportunity of the vendor's direct sales team (never registered).
    DirectOpportunity { deal_id: i64 },
    /// The partner of record from the install base.
    Incumbent { party: Party },
}

/// The registration being decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub party: Party,
    pub kind: DealKind,
    pub submitted_at: i64,
    /// Whether the registering party holds the certification that applies.
    pub certified: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// Nothing competes: approve without review.
    AutoApprove,
    /// Someone competes or something needs a human; `favoured` says who the rules prefer.
    NeedsReview,
    /// Another active claim already owns this.
    Duplicate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    ExpiredProtection,
    OwnClaim,
    RegisteredBeatsUnregistered,
    IncumbentBeatsNetNew,
    EarlierRegistration,
    CertificationBreaksTie,
}

/// One step of the rationale: a rule, what it found, and whom it favoured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub rule: Rule,
    pub applied: bool,
    pub favours: Option<Party>,
    /// The other party the rule compared with, if any.
    pub against: Option<Party>,
    /// Protection end or submission time the rule looked at, if any.
    pub at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub decision: Decision,
    /// Who the rules prefer for the account.
    pub favoured: Party,
    pub rationale: Vec<RuleOutcome>,
}

/// Registrations submitted within this many milliseconds of each other are a tie.
pub const TIE_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

fn outcome(rule: Rule) -> RuleOutcome {
    RuleOutcome {
        rule,
        applied: false,
        favours: None,
        against: None,
        at: None,
    }
}

/// Decides a registration against the account's existing claims.
pub fn decide(registration: &Registration, claims: &[Claim], now: i64) -> Verdict {
    let me = registration.party;
    let mut rationale = Vec::new();

    // Expired protections are not claims any more.
    let mut expired = outcome(Rule::ExpiredProtection);
    let live: Vec<&Claim> = claims
        .iter()
        .filter(|claim| match claim {
            Claim::Approved {
                protected_until,
                party,
                ..
            } if *protected_until <= now => {
                expired.applied = true;
                expired.against = Some(*party);
                expired.at = Some(*protected_until);
                false
            }
            _ => true,
        })
        .collect();
    rationale.push(expired);

    // 1. A party's own active registration makes a new one a duplicate.
    let mut own = outcome(Rule::OwnClaim);
    let own_claim = live.iter().find_map(|claim| match claim {
        Claim::Approved {
            party,
            protected_until,
            ..
        } if *party == me => Some(Some(*protected_until)),
        Claim::Pending { party, .. } if *party == me => Some(None),
        _ => None,
    });
    if let Some(until) = own_claim {
        own.applied = true;
        own.favours = Some(me);
        own.at = until;
        rationale.push(own);
        return Verdict {
            decision: Decision::Duplicate,
            favoured: me,
            rationale,
        };
    }
    rationale.push(own);

    // 2. Registered beats unregistered.
    let mut registered = outcome(Rule::RegisteredBeatsUnregistered);
    let protected_by_other = live.iter().find_map(|claim| match claim {
        Claim::Approved {
            party,
            protected_until,
            ..
        } if *party != me => Some((*party, *protected_until)),
        _ => None,
    });
    if let Some((holder, until)) = protected_by_other {
        // Incumbency can still matter for renewals, but an approved, unexpired registration
        // is the strongest claim there is: the account is protected.
        registered.applied = true;
        registered.favours = Some(holder);
        registered.against = Some(me);
        registered.at = Some(until);
        rationale.push(registered);
        return Verdict {
            decision: Decision::Duplicate,
            favoured: holder,
            rationale,
        };
    }
    let direct_open = live
        .iter()
        .any(|claim| matches!(claim, Claim::DirectOpportunity { .. }));
    if direct_open && me != Party::Direct {
        registered.applied = true;
        registered.favours = Some(me);
        registered.against = Some(Party::Direct);
    }
    rationale.push(registered);

    // 3. Incumbent beats net-new, for renewals and expansions.
    let mut incumbency = outcome(Rule::IncumbentBeatsNetNew);
    let incumbent = live.iter().find_map(|claim| match claim {
        Claim::Incumbent { party } => Some(*party),
        _ => None,
    });
    let mut favoured = me;
    let mut contested = direct_open && me != Party::Direct;
    if let Some(incumbent) = incumbent {
        if registration.kind != DealKind::NetNew {
            incumbency.applied = true;
            incumbency.favours = Some(incumbent);
            if incumbent != me {
                incumbency.against = Some(me);
                favoured = incumbent;
                contested = true;
            }
        }
    }
    let incumbent_decides = incumbency.applied && favoured != me;
    rationale.push(incumbency);

    // 4 and 5. Other pending registrations: the earlier wins; a tie goes to certification.
    let mut earlier = outcome(Rule::EarlierRegistration);
    let mut tie = outcome(Rule::CertificationBreaksTie);
    let rival = live
        .iter()
        .filter_map(|claim| match claim {
            Claim::Pending {
                party,
                submitted_at,
                certified,
                ..
            } if *party != me => Some((*party, *submitted_at, *certified)),
            _ => None,
        })
        .min_by_key(|(_, submitted_at, _)| *submitted_at);
    if let Some((rival, rival_at, rival_certified)) = rival {
        contested = true;
        if !incumbent_decides {
            let gap = (registration.submitted_at - rival_at).abs();
            if gap < TIE_WINDOW_MS && registration.certified != rival_certified {
                tie.applied = true;
                let winner = if registration.certified { me } else { rival };
                tie.favours = Some(winner);
                tie.against = Some(if winner == me { rival } else { me });
                tie.at = Some(rival_at);
                favoured = winner;
            } else {
                earlier.applied = true;
                let winner = if rival_at <= registration.submitted_at {
                    rival
                } else {
                    me
                };
                earlier.favours = Some(winner);
                earlier.against = Some(if winner == me { rival } else { me });
                earlier.at = Some(rival_at);
                favoured = winner;
            }
        }
    }
    rationale.push(earlier);
    rationale.push(tie);

    let decision = if contested {
        Decision::NeedsReview
    } else {
        Decision::AutoApprove
    };
    Verdict {
        decision,
        favoured,
        rationale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 60 * 60 * 1000;
    const NOW: i64 = 100 * DAY;
    const RESELLER_A: Party = Party::Partner(1);
    const RESELLER_B: Party = Party::Partner(2);
    const SI: Party = Party::Partner(3);
    const REFERRAL: Party = Party::Partner(4);

    fn registration(party: Party, kind: DealKind, certified: bool) -> Registration {
        Registration {
            party,
            kind,
            submitted_at: NOW,
            certified,
        }
    }

    fn applied(verdict: &Verdict) -> Vec<Rule> {
        verdict
            .rationale
            .iter()
            .filter(|r| r.applied)
            .map(|r| r.rule)
            .collect()
    }

    struct Case {
        name: &'static str,
        registration: Registration,
        claims: Vec<Claim>,
        decision: Decision,
        favoured: Party,
        rules: Vec<Rule>,
    }

    #[test]
    fn seed_scenarios() {
        let cases = vec![
            Case {
                name: "an untouched account is auto-approvable",
                registration: registration(RESELLER_A, DealKind::NetNew, false),
                claims: vec![],
                decision: Decision::AutoApprove,
                favoured: RESELLER_A,
                rules: vec![],
            },
            Case {
                name: "incumbent SI vs a new reseller on an expansion: the incumbent is favoured",
                registration: registration(RESELLER_A, DealKind::Expansion, true),
                claims: vec![Claim::Incumbent { party: SI }],
                decision: Decision::NeedsReview,
                favoured: SI,
                rules: vec![Rule::IncumbentBeatsNetNew],
            },
            Case {
                name: "incumbency does not protect net-new business",
                registration: registration(RESELLER_A, DealKind::NetNew, false),
                claims: vec![Claim::Incumbent { party: SI }],
                decision: Decision::AutoApprove,
                favoured: RESELLER_A,
                rules: vec![],
            },
            Case {
                name: "the incumbent renewing its own account is auto-approvable",
                registration: registration(SI, DealKind::Renewal, false),
                claims: vec![Claim::Incumbent { party: SI }],
                decision: Decision::AutoApprove,
                favoured: SI,
                rules: vec![Rule::IncumbentBeatsNetNew],
            },
            Case {
                name: "two resellers in the same week: the earlier registration wins",
                registration: Registration {
                    submitted_at: NOW,
                    ..registration(RESELLER_B, DealKind::NetNew, true)
                },
                claims: vec![Claim::Pending {
                    deal_id: 10,
                    party: RESELLER_A,
                    submitted_at: NOW - 3 * DAY,
                    certified: false,
                }],
                decision: Decision::NeedsReview,
                favoured: RESELLER_A,
                rules: vec![Rule::EarlierRegistration],
            },
            Case {
                name: "two registrations within the tie window: certification decides",
                registration: registration(RESELLER_B, DealKind::NetNew, true),
                claims: vec![Claim::Pending {
                    deal_id: 10,
                    party: RESELLER_A,
                    submitted_at: NOW - 2 * 60 * 60 * 1000,
                    certified: false,
                }],
                decision: Decision::NeedsReview,
                favoured: RESELLER_B,
                rules: vec![Rule::CertificationBreaksTie],
            },
            Case {
                name: "a tie between equally certified partners falls back to the earlier one",
                registration: registration(RESELLER_B, DealKind::NetNew, true),
                claims: vec![Claim::Pending {
                    deal_id: 10,
                    party: RESELLER_A,
                    submitted_at: NOW - 60_000,
                    certified: true,
                }],
                decision: Decision::NeedsReview,
                favoured: RESELLER_A,
                rules: vec![Rule::EarlierRegistration],
            },
            Case {
                name: "referral vs direct: the registration beats the unregistered opportunity, with review",
                registration: registration(REFERRAL, DealKind::NetNew, false),
                claims: vec![Claim::DirectOpportunity { deal_id: 7 }],
                decision: Decision::NeedsReview,
                favoured: REFERRAL,
                rules: vec![Rule::RegisteredBeatsUnregistered],
            },
            Case {
                name: "renewal touched by direct sales: the incumbent keeps it, reviewed",
                registration: registration(SI, DealKind::Renewal, true),
                claims: vec![
                    Claim::Incumbent { party: SI },
                    Claim::DirectOpportunity { deal_id: 8 },
                ],
                decision: Decision::NeedsReview,
                favoured: SI,
                rules: vec![Rule::RegisteredBeatsUnregistered, Rule::IncumbentBeatsNetNew],
            },
            Case {
                name: "an approved, unexpired protection makes a rival registration a duplicate",
                registration: registration(RESELLER_B, DealKind::NetNew, true),
                claims: vec![Claim::Approved {
                    deal_id: 11,
                    party: RESELLER_A,
                    protected_until: NOW + 30 * DAY,
                }],
                decision: Decision::Duplicate,
                favoured: RESELLER_A,
                rules: vec![Rule::RegisteredBeatsUnregistered],
            },
            Case {
                name: "expired protection no longer blocks anyone",
                registration: registration(RESELLER_B, DealKind::NetNew, false),
                claims: vec![Claim::Approved {
                    deal_id: 11,
                    party: RESELLER_A,
                    protected_until: NOW - DAY,
                }],
                decision: Decision::AutoApprove,
                favoured: RESELLER_B,
                rules: vec![Rule::ExpiredProtection],
            },
            Case {
                name: "protection ending exactly now has expired",
                registration: registration(RESELLER_B, DealKind::NetNew, false),
                claims: vec![Claim::Approved {
                    deal_id: 11,
                    party: RESELLER_A,
                    protected_until: NOW,
                }],
                decision: Decision::AutoApprove,
                favoured: RESELLER_B,
                rules: vec![Rule::ExpiredProtection],
            },
            Case {
                name: "a partner registering an account it already has pending is a duplicate",
                registration: registration(RESELLER_A, DealKind::NetNew, false),
                claims: vec![Claim::Pending {
                    deal_id: 10,
                    party: RESELLER_A,
                    submitted_at: NOW - DAY,
                    certified: false,
                }],
                decision: Decision::Duplicate,
                favoured: RESELLER_A,
                rules: vec![Rule::OwnClaim],
            },
            Case {
                name: "an appeal re-decided after the holder's protection lapsed goes to the appellant",
                registration: Registration {
                    submitted_at: NOW - 40 * DAY,
                    ..registration(RESELLER_B, DealKind::NetNew, true)
                },
                claims: vec![Claim::Approved {
                    deal_id: 11,
                    party: RESELLER_A,
                    protected_until: NOW - 1,
                }],
                decision: Decision::AutoApprove,
                favoured: RESELLER_B,
                rules: vec![Rule::ExpiredProtection],
            },
            Case {
                name: "an appeal by the earlier registrant wins the ordering rule",
                registration: Registration {
                    submitted_at: NOW - 10 * DAY,
                    ..registration(RESELLER_A, DealKind::NetNew, false)
                },
                claims: vec![Claim::Pending {
                    deal_id: 12,
                    party: RESELLER_B,
                    submitted_at: NOW - 5 * DAY,
                    certified: true,
                }],
                decision: Decision::NeedsReview,
                favoured: RESELLER_A,
                rules: vec![Rule::EarlierRegistration],
            },
        ];
        for case in cases {
            let verdict = decide(&case.registration, &case.claims, NOW);
            assert_eq!(verdict.decision, case.decision, "{}", case.name);
            assert_eq!(verdict.favoured, case.favoured, "{}", case.name);
            assert_eq!(applied(&verdict), case.rules, "{}", case.name);
        }
    }

    #[test]
    fn the_rationale_lists_rules_in_precedence_order() {
        let verdict = decide(&registration(RESELLER_A, DealKind::NetNew, false), &[], NOW);
        let rules: Vec<Rule> = verdict.rationale.iter().map(|r| r.rule).collect();
        assert_eq!(
            rules,
            [
                Rule::ExpiredProtection,
                Rule::OwnClaim,
                Rule::RegisteredBeatsUnregistered,
                Rule::IncumbentBeatsNetNew,
                Rule::EarlierRegistration,
                Rule::CertificationBreaksTie,
            ]
        );
        assert!(verdict.rationale.iter().all(|r| !r.applied));
    }

    #[test]
    fn a_protection_records_its_holder_and_end() {
        let until = NOW + 10 * DAY;
        let verdict = decide(
            &registration(RESELLER_B, DealKind::NetNew, false),
            &[Claim::Approved {
                deal_id: 1,
                party: RESELLER_A,
                protected_until: until,
            }],
            NOW,
        );
        let step = verdict
            .rationale
            .iter()
            .find(|r| r.applied)
            .expect("a rule applied");
        assert_eq!(step.favours, Some(RESELLER_A));
        assert_eq!(step.against, Some(RESELLER_B));
        assert_eq!(step.at, Some(until));
    }

    #[test]
    fn direct_sales_registering_does_not_compete_with_itself() {
        let verdict = decide(
            &registration(Party::Direct, DealKind::NetNew, false),
            &[Claim::DirectOpportunity { deal_id: 3 }],
            NOW,
        );
        assert_eq!(verdict.decision, Decision::AutoApprove);
    }
}
