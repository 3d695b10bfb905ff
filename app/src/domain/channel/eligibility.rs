//! Who may register what. A partner's type decides the motions it can sell through, and
//! rights earned by certifications decide the product lines it may sell and whether it may
//! deliver implementations. The rights are passed in, so the certification rules (a later
//! part of the program) plug in without touching registration.
use super::deals::Motion;
use crate::domain::identity::PartnerType;
use crate::domain::validation::FieldError;
use serde::{Deserialize, Serialize};

/// What a right needs: the certification (by name, for the message) that unlocks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightRequirement {
    pub right: Right,
    pub certification: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Right {
    /// Selling this product line.
    Sell { product_line: String },
    /// Delivering implementations (the SI motion).
    Deliver,
}

impl Right {
    /// Stable text for the record of rights an organisation holds.
    pub fn key(&self) -> String {
        match self {
            Right::Sell { product_line } => format!("sell:{product_line}"),
            Right::Deliver => "deliver".into(),
        }
    }

    pub fn from_key(key: &str) -> Option<Right> {
        match key.split_once(':') {
            Some(("sell", line)) => Some(Right::Sell {
                product_line: line.to_string(),
            }),
            None if key == "deliver" => Some(Right::Deliver),
            _ => None,
        }
    }

    /// In words: "Selling Lumen Connect", "Delivering implementations".
    pub fn label(&self) -> String {
        match self {
            Right::Sell { product_line } => format!("Selling {product_line}"),
            Right::Deliver => "Delivering implementations".into(),
        }
    }
}

/// Every right the rules define, each once, in rule order.
pub fn defined_rights(rules: &[RightRule]) -> Vec<Right> {
    let mut rights: Vec<Right> = Vec::new();
    for rule in rules {
        if !rights.contains(&rule.right) {
            rights.push(rule.right.clone());
        }
    }
    rights
}

/// The certifications that unlock `right`, in words ("A or B").
pub fn unlocked_by(rules: &[RightRule], right: &Right) -> String {
    rules
        .iter()
        .filter(|rule| &rule.right == right)
        .map(|rule| rule.certification.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The rights in force for one partner organisation: what the program requires, and which
/// of those requirements the organisation meets today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rights {
    /// Requirements the organisation does not meet. Empty: nothing is withheld.
    pub missing: Vec<RightRequirement>,
    /// Whether the registering party holds a certification that applies to the deal; the
    /// conflict engine uses it to break ties.
    pub certified: bool,
}

/// A configured right: which certification unlocks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightRule {
    pub right: Right,
    pub certification_id: i64,
    pub certification: String,
}

/// The rights of an organisation whose people hold valid certificates of the `held`
/// certifications. Several rules for one right are alternatives: any of them unlocks it.
pub fn rights_of(rules: &[RightRule], held: &[i64]) -> Rights {
    let missing = defined_rights(rules)
        .into_iter()
        .filter(|right| {
            !rules
                .iter()
                .any(|rule| &rule.right == right && held.contains(&rule.certification_id))
        })
        .map(|right| RightRequirement {
            certification: unlocked_by(rules, &right),
            right,
        })
        .collect();
    Rights {
        missing,
        certified: !held.is_empty(),
    }
}

/// The rights an organisation holds: every defined right it is not missing.
pub fn held_rights(rules: &[RightRule], rights: &Rights) -> Vec<Right> {
    defined_rights(rules)
        .into_iter()
        .filter(|right| !rights.missing.iter().any(|m| &m.right == right))
        .collect()
}

/// The motions each partner type sells through. Direct is the vendor's own team.
pub fn motions_for(partner_type: PartnerType) -> &'static [Motion] {
    match partner_type {
        PartnerType::Reseller => &[Motion::Resale, Motion::Marketplace, Motion::Referral],
        PartnerType::Referral => &[Motion::Referral],
        PartnerType::Implementation => &[Motion::Si, Motion::Referral],
        PartnerType::Distributor => &[Motion::Resale, Motion::Marketplace],
    }
}

fn partner_noun(partner_type: PartnerType) -> &'static str {
    match partner_type {
        PartnerType::Reseller => "a reseller",
        PartnerType::Referral => "a referral partner",
        PartnerType::Implementation => "an implementation partner",
        PartnerType::Distributor => "a distributor",
    }
}

fn motion_noun(motion: Motion) -> &'static str {
    match motion {
        Motion::Referral => "referral",
        Motion::Resale => "resale",
        Motion::Marketplace => "marketplace",
        Motion::Si => "implementation (SI)",
        Motion::Direct => "direct",
    }
}

/// Whether a partner of this type, with these rights, may register a deal of this motion
/// and product line. Every refusal names its field and what would unlock it.
pub fn check_eligibility(
    partner_type: PartnerType,
    motion: Motion,
    product_line: &str,
    rights: &Rights,
) -> Result<(), Vec<FieldError>> {
    let mut problems = Vec::new();
    let allowed = motions_for(partner_type);
    if !allowed.contains(&motion) {
        let names: Vec<&str> = allowed.iter().map(|m| motion_noun(*m)).collect();
        problems.push(FieldError::new(
            "motion",
            format!(
                "As {} you can register {} deals.",
                partner_noun(partner_type),
                names.join(" or ")
            ),
        ));
    }
    for requirement in &rights.missing {
        match &requirement.right {
            Right::Sell { product_line: line } if line == product_line => {
                problems.push(FieldError::new(
                    "product_line",
                    format!(
                        "Selling {line} needs someone in your organisation certified in {}. Completing it unlocks this product line.",
                        requirement.certification
                    ),
                ));
            }
            Right::Deliver if motion == Motion::Si => {
                problems.push(FieldError::new(
                    "motion",
                    format!(
                        "Delivering implementations needs the {} certification in your organisation.",
                        requirement.certification
                    ),
                ));
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(result: Result<(), Vec<FieldError>>) -> Vec<(String, String)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn each_partner_type_registers_its_own_motions_only() {
        for partner_type in PartnerType::ALL {
            for motion in Motion::ALL {
                let result =
                    check_eligibility(*partner_type, *motion, "Lumen Alerts", &Rights::default());
                let expected = motions_for(*partner_type).contains(motion);
                assert_eq!(result.is_ok(), expected, "{partner_type:?} {motion:?}");
                if !expected {
                    let problems = messages(result);
                    assert_eq!(problems.len(), 1);
                    assert_eq!(problems[0].0, "motion");
                }
            }
            // Direct is the vendor's own motion, never a partner's.
            assert!(!motions_for(*partner_type).contains(&Motion::Direct));
        }
    }

    #[test]
    fn the_refusal_names_what_the_partner_can_do() {
        let problems = messages(check_eligibility(
            PartnerType::Referral,
            Motion::Resale,
            "Lumen Alerts",
            &Rights::default(),
        ));
        assert_eq!(
            problems,
            vec![(
                "motion".to_string(),
                "As a referral partner you can register referral deals.".to_string()
            )]
        );
    }

    #[test]
    fn a_missing_sell_right_blocks_only_its_product_line() {
        let rights = Rights {
            missing: vec![RightRequirement {
                right: Right::Sell {
                    product_line: "Lumen Alerts".into(),
                },
                certification: "Alerts Sales Professional".into(),
            }],
            certified: false,
        };
        let blocked = messages(check_eligibility(
            PartnerType::Reseller,
            Motion::Resale,
            "Lumen Alerts",
            &rights,
        ));
        assert_eq!(blocked.len(), 1);
        assert_eq!(blocked[0].0, "product_line");
        assert!(blocked[0].1.contains("Alerts Sales Professional"));
        assert!(check_eligibility(
            PartnerType::Reseller,
            Motion::Resale,
            "Lumen Dashboards",
            &rights
        )
        .is_ok());
    }

    #[test]
    fn a_missing_delivery_right_blocks_implementation_deals_only() {
        let rights = Rights {
            missing: vec![RightRequirement {
                right: Right::Deliver,
                certification: "Lumen Implementation Specialist".into(),
            }],
            certified: false,
        };
        let blocked = messages(check_eligibility(
            PartnerType::Implementation,
            Motion::Si,
            "Lumen Connect",
            &rights,
        ));
        assert_eq!(blocked.len(), 1);
        assert!(blocked[0].1.contains("Lumen Implementation Specialist"));
        assert!(check_eligibility(
            PartnerType::Implementation,
            Motion::Referral,
            "Lumen Connect",
            &rights
        )
        .is_ok());
    }

    #[test]
    fn rights_come_from_held_certifications_and_alternatives_each_unlock() {
        let connect = Right::Sell {
            product_line: "Lumen Connect".into(),
        };
        let rules = vec![
            RightRule {
                right: connect.clone(),
                certification_id: 1,
                certification: "Technical Specialist".into(),
            },
            RightRule {
                right: connect.clone(),
                certification_id: 2,
                certification: "Connect Sales".into(),
            },
            RightRule {
                right: Right::Deliver,
                certification_id: 1,
                certification: "Technical Specialist".into(),
            },
        ];
        let none = rights_of(&rules, &[]);
        assert!(!none.certified);
        assert_eq!(
            none.missing,
            vec![
                RightRequirement {
                    right: connect.clone(),
                    certification: "Technical Specialist or Connect Sales".into()
                },
                RightRequirement {
                    right: Right::Deliver,
                    certification: "Technical Specialist".into()
                },
            ]
        );
        let sales = rights_of(&rules, &[2]);
        assert!(sales.certified);
        assert_eq!(sales.missing.len(), 1);
        assert_eq!(sales.missing[0].right, Right::Deliver);
        assert!(rights_of(&rules, &[1]).missing.is_empty());
        assert!(rights_of(&[], &[]).missing.is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let rights = Rights {
            missing: vec![
                RightRequirement {
                    right: Right::Sell {
                        product_line: "Lumen Connect".into(),
                    },
                    certification: "Connect Sales".into(),
                },
                RightRequirement {
                    right: Right::Deliver,
                    certification: "Implementation Specialist".into(),
                },
            ],
            certified: false,
        };
        let problems = messages(check_eligibility(
            PartnerType::Distributor,
            Motion::Si,
            "Lumen Connect",
            &rights,
        ));
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, vec!["motion", "product_line", "motion"]);
    }

    #[test]
    fn rights_have_stable_keys_and_labels_and_held_rights_are_the_rest() {
        for right in [
            Right::Deliver,
            Right::Sell {
                product_line: "Lumen Connect".into(),
            },
        ] {
            assert_eq!(Right::from_key(&right.key()), Some(right));
        }
        assert_eq!(Right::from_key("fly"), None);
        assert_eq!(Right::Deliver.label(), "Delivering implementations");
        let rule = |right: Right, id: i64, name: &str| RightRule {
            right,
            certification_id: id,
            certification: name.into(),
        };
        let rules = vec![
            rule(Right::Deliver, 1, "Tech"),
            rule(Right::Deliver, 2, "Architect"),
            rule(
                Right::Sell {
                    product_line: "Connect".into(),
                },
                1,
                "Tech",
            ),
        ];
        assert_eq!(unlocked_by(&rules, &Right::Deliver), "Tech or Architect");
        let architect = rights_of(&rules, &[2]);
        assert_eq!(held_rights(&rules, &architect), vec![Right::Deliver]);
        assert_eq!(architect.missing.len(), 1);
        assert!(held_rights(&rules, &rights_of(&rules, &[])).is_empty());
        assert_eq!(held_rights(&rules, &rights_of(&rules, &[1])).len(), 2);
    }
}
