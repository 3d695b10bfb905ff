//! Program tiers: what each tier requires (certified people, by job role and certification,
//! and optionally revenue closed in the last 12 months), what it gives (discount band, MDF,
//! lead distribution), and which tier an organisation has earned, with the reasons in words.
use crate::domain::channel::deals::{format_money, parse_money};
use crate::domain::identity::{text_enum, JobRole, Tier};
use crate::domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

text_enum!(
    /// How new leads reach a tier's partners.
    LeadDistribution {
        NotIncluded => "none" / "Not included",
        Shared => "shared" / "Shared leads in their region",
        Priority => "priority" / "First look at new leads",
    }
);

/// At least `min_people` people of the organisation (of `job_role`, if given) hold a valid
/// certificate (of `certification`, if given; otherwise of any certification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub min_people: u32,
    pub job_role: Option<JobRole>,
    /// (id, name) of the certification.
    pub certification: Option<(i64, String)>,
}

impl Requirement {
    /// In words: "2 technical people certified in Lumen Certified Technical Specialist".
    pub fn label(&self) -> String {
        let noun = if self.min_people == 1 {
            "person"
        } else {
            "people"
        };
        let role = self
            .job_role
            .map(|role| format!("{} ", role.label().to_lowercase()))
            .unwrap_or_default();
        let holding = match &self.certification {
            Some((_, name)) => format!("certified in {name}"),
            None => "with any certification".to_string(),
        };
        format!("{} {role}{noun} {holding}", self.min_people)
    }

    /// As one line of the editing form: "2 technical: Lumen Certified Technical Specialist".
    pub fn line(&self) -> String {
        let mut line = self.min_people.to_string();
        if let Some(role) = self.job_role {
            line.push(' ');
            line.push_str(role.as_str());
        }
        if let Some((_, name)) = &self.certification {
            line.push_str(": ");
            line.push_str(name);
        }
        line
    }

    fn counts(&self, person: &CertifiedPerson) -> bool {
        self.job_role
            .is_none_or(|role| person.job_role == Some(role))
            && match &self.certification {
                Some((id, _)) => person.certifications.contains(id),
                None => !person.certifications.is_empty(),
            }
    }
}

/// What one tier requires and gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierPolicy {
    pub tier: Tier,
    pub requirements: Vec<Requirement>,
    /// Revenue closed won in the last 12 months, in cents; None: not required.
    pub min_revenue_cents: Option<i64>,
    pub mdf_eligible: bool,
    pub lead_distribution: LeadDistribution,
}

impl TierPolicy {
    pub fn requires_anything(&self) -> bool {
        !self.requirements.is_empty() || self.min_revenue_cents.is_some()
    }
}

/// Tiers are earned automatically once every tier above Registered has requirements; until
/// then the program sets tiers by hand and nothing is evaluated (so installing the portal
/// never downgrades partners whose tiers were agreed elsewhere).
pub fn is_automatic(policies: &[TierPolicy]) -> bool {
    Tier::ALL
        .iter()
        .filter(|tier| **tier != Tier::Registered)
        .all(|tier| {
            policies
                .iter()
                .any(|p| p.tier == *tier && p.requires_anything())
        })
}

/// One person of an organisation with the certifications they hold a valid certificate of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedPerson {
    pub job_role: Option<JobRole>,
    pub certifications: Vec<i64>,
}

/// What an organisation has today, for the tier rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub people: Vec<CertifiedPerson>,
    /// Closed won in the last 12 months, in cents.
    pub revenue_cents: i64,
}

/// One requirement against what the organisation has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub label: String,
    /// What the organisation has, in words ("has 1", "has $80,000").
    pub has: String,
    pub met: bool,
}

impl Check {
    /// "2 people with any certification (has 1)".
    pub fn describe(&self) -> String {
        format!("{} ({})", self.label, self.has)
    }
}

/// The revenue requirement in words: "$250,000 closed won in the last 12 months".
pub fn revenue_label(min_revenue_cents: i64) -> String {
    format!(
        "{} closed won in the last 12 months",
        format_money(min_revenue_cents)
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierCheck {
    pub tier: Tier,
    pub checks: Vec<Check>,
}

impl TierCheck {
    pub fn met(&self) -> bool {
        self.checks.iter().all(|c| c.met)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub earned: Tier,
    /// Every tier above Registered, lowest first.
    pub tiers: Vec<TierCheck>,
}

impl Evaluation {
    fn check_of(&self, tier: Tier) -> Option<&TierCheck> {
        self.tiers.iter().find(|t| t.tier == tier)
    }

    /// Why the organisation moved from `from` to the earned tier, in a sentence.
    pub fn explain_change(&self, from: Tier) -> String {
        let to = self.earned;
        let list = |checks: Vec<&Check>| {
            checks
                .iter()
                .map(|c| c.describe())
                .collect::<Vec<_>>()
                .join("; ")
        };
        if tier_rank(to) > tier_rank(from) {
            let met = self
                .check_of(to)
                .map(|t| t.checks.iter().collect())
                .unwrap_or_default();
            format!("Now meets every {to} requirement: {}.", list(met))
        } else {
            // The lowest tier it no longer meets explains the drop.
            let lost = self
                .tiers
                .iter()
                .filter(|t| {
                    tier_rank(t.tier) > tier_rank(to) && tier_rank(t.tier) <= tier_rank(from)
                })
                .find(|t| !t.met());
            match lost {
                Some(lost) => format!(
                    "No longer meets {}: {}.",
                    lost.tier,
                    list(lost.checks.iter().filter(|c| !c.met).collect())
                ),
                None => format!("{from} is no longer earned."),
            }
        }
    }
}

/// A tier's place, lowest first.
pub fn tier_rank(tier: Tier) -> usize {
    Tier::ALL.iter().position(|t| *t == tier).unwrap_or(0)
}

/// The tier an organisation has earned: the highest whose every requirement it meets.
/// Registered needs nothing. A tier without requirements is never earned automatically.
pub fn evaluate(policies: &[TierPolicy], standing: &Standing) -> Evaluation {
    let mut tiers = Vec::new();
    let mut earned = Tier::Registered;
    for tier in Tier::ALL.iter().copied().filter(|t| *t != Tier::Registered) {
        let Some(policy) = policies.iter().find(|p| p.tier == tier) else {
            continue;
        };
        let mut checks: Vec<Check> = policy
            .requirements
            .iter()
            .map(|requirement| {
                let has = standing
                    .people
                    .iter()
                    .filter(|person| requirement.counts(person))
                    .count();
                Check {
                    label: requirement.label(),
                    has: format!("has {has}"),
                    met: has >= requirement.min_people as usize,
                }
            })
            .collect();
        if let Some(min) = policy.min_revenue_cents {
            checks.push(Check {
                label: revenue_label(min),
                has: format!("has {}", format_money(standing.revenue_cents)),
                met: standing.revenue_cents >= min,
            });
        }
        let check = TierCheck { tier, checks };
        if policy.requires_anything() && check.met() {
            earned = tier;
        }
        tiers.push(check);
    }
    Evaluation { earned, tiers }
}

/// The editing form of one tier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierPolicyForm {
    /// One requirement per line: "2", "1 technical", "1 technical: <certification>".
    pub requirements: String,
    /// Dollars, or empty for no revenue requirement.
    pub min_revenue: String,
    pub mdf_eligible: bool,
    /// A `LeadDistribution` as stored.
    pub lead_distribution: String,
}

impl TierPolicyForm {
    pub fn from_policy(policy: &TierPolicy) -> TierPolicyForm {
        TierPolicyForm {
            requirements: policy
                .requirements
                .iter()
                .map(Requirement::line)
                .collect::<Vec<_>>()
                .join("\n"),
            min_revenue: policy
                .min_revenue_cents
                .map(|cents| format_money(cents).trim_start_matches('$').to_string())
                .unwrap_or_default(),
            mdf_eligible: policy.mdf_eligible,
            lead_distribution: policy.lead_distribution.as_str().to_string(),
        }
    }

    /// The policy of `tier`, or every mistake on its field (named `<tier>_<field>`).
    /// `certifications` are (id, name) of the program's certifications.
    pub fn parse(
        &self,
        tier: Tier,
        certifications: &[(i64, String)],
    ) -> Result<TierPolicy, Vec<FieldError>> {
        let field = |name: &str| format!("{}_{name}", tier.as_str());
        let mut problems = Vec::new();
        let mut requirements = Vec::new();
        for (number, line) in self.requirements.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match parse_requirement(line, certifications) {
                Ok(requirement) => requirements.push(requirement),
                Err(message) => problems.push(FieldError::new(
                    &field("requirements"),
                    format!("Line {}: {message}", number + 1),
                )),
            }
        }
        if tier == Tier::Registered && !requirements.is_empty() {
            problems.push(FieldError::new(
                &field("requirements"),
                "Registered is where every partner starts; it cannot have requirements.",
            ));
        }
        let min_revenue_cents = match self.min_revenue.trim() {
            "" => None,
            text => match parse_money(text) {
                Some(cents) if tier != Tier::Registered => Some(cents),
                Some(_) => {
                    problems.push(FieldError::new(
                        &field("min_revenue"),
                        "Registered cannot require revenue.",
                    ));
                    None
                }
                None => {
                    problems.push(FieldError::new(
                        &field("min_revenue"),
                        "Enter an amount in dollars, like 250000, or leave it empty.",
                    ));
                    None
                }
            },
        };
        let lead_distribution = LeadDistribution::parse(self.lead_distribution.trim())
            .unwrap_or_else(|| {
                problems.push(FieldError::new(
                    &field("lead_distribution"),
                    "Choose how leads reach this tier.",
                ));
                LeadDistribution::NotIncluded
            });
        if problems.is_empty() {
            Ok(TierPolicy {
                tier,
                requirements,
                min_revenue_cents,
                mdf_eligible: self.mdf_eligible,
                lead_distribution,
            })
        } else {
            Err(problems)
        }
    }
}

/// Parses "<count> [<job role>] [: <certification name>]".
fn parse_requirement(line: &str, certifications: &[(i64, String)]) -> Result<Requirement, String> {
    let (head, certification) = match line.split_once(':') {
        Some((head, name)) => (head, Some(name.trim())),
        None => (line, None),
    };
    let mut words = head.split_whitespace();
    let example = "write it like \u{201c}2 technical: Lumen Certified Technical Specialist\u{201d}";
    let min_people = words
        .next()
        .and_then(|count| count.parse::<u32>().ok())
        .filter(|count| (1..=1000).contains(count))
        .ok_or_else(|| format!("start with a number of people from 1 to 1,000; {example}."))?;
    let job_role = match words.next() {
        None => None,
        Some(word) => Some(JobRole::parse(&word.to_lowercase()).ok_or_else(|| {
            format!("\u{201c}{word}\u{201d} is not a job role; use sales, technical or support.")
        })?),
    };
    if let Some(extra) = words.next() {
        return Err(format!(
            "\u{201c}{extra}\u{201d} is not understood; {example}."
        ));
    }
    let certification = match certification {
        None => None,
        Some("") => {
            return Err(format!(
                "name the certification after the colon; {example}."
            ))
        }
        Some(name) => Some(
            certifications
                .iter()
                .find(|(_, known)| known.eq_ignore_ascii_case(name))
                .cloned()
                .ok_or_else(|| format!("no certification is called \u{201c}{name}\u{201d}."))?,
        ),
    };
    Ok(Requirement {
        min_people,
        job_role,
        certification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(id: i64) -> Option<(i64, String)> {
        Some((
            id,
            ["", "Sales Pro", "Tech Specialist"][id as usize].to_string(),
        ))
    }

    fn people(n: u32, role: Option<JobRole>) -> Requirement {
        Requirement {
            min_people: n,
            job_role: role,
            certification: None,
        }
    }

    fn policy(tier: Tier, requirements: Vec<Requirement>) -> TierPolicy {
        TierPolicy {
            tier,
            requirements,
            min_revenue_cents: None,
            mdf_eligible: false,
            lead_distribution: LeadDistribution::NotIncluded,
        }
    }

    /// Silver: 1 certified; Gold: 2; Platinum: 3 including a technical specialist, and $250k.
    fn program() -> Vec<TierPolicy> {
        let mut platinum = policy(
            Tier::Platinum,
            vec![
                people(3, None),
                Requirement {
                    min_people: 1,
                    job_role: Some(JobRole::Technical),
                    certification: cert(2),
                },
            ],
        );
        platinum.min_revenue_cents = Some(25_000_000);
        vec![
            policy(Tier::Registered, vec![]),
            policy(Tier::Silver, vec![people(1, None)]),
            policy(Tier::Gold, vec![people(2, None)]),
            platinum,
        ]
    }

    fn person(role: JobRole, certifications: &[i64]) -> CertifiedPerson {
        CertifiedPerson {
            job_role: Some(role),
            certifications: certifications.to_vec(),
        }
    }

    #[test]
    fn the_highest_tier_whose_requirements_are_all_met_is_earned() {
        let program = program();
        let mut standing = Standing::default();
        assert_eq!(evaluate(&program, &standing).earned, Tier::Registered);
        standing.people.push(person(JobRole::Sales, &[]));
        assert_eq!(
            evaluate(&program, &standing).earned,
            Tier::Registered,
            "people without a valid certificate do not count"
        );
        standing.people.push(person(JobRole::Sales, &[1]));
        assert_eq!(evaluate(&program, &standing).earned, Tier::Silver);
        standing.people.push(person(JobRole::Support, &[1]));
        assert_eq!(evaluate(&program, &standing).earned, Tier::Gold);
        standing.people.push(person(JobRole::Sales, &[2]));
        assert_eq!(
            evaluate(&program, &standing).earned,
            Tier::Gold,
            "the specialist must have the technical job role"
        );
        standing.people.push(person(JobRole::Technical, &[2]));
        assert_eq!(
            evaluate(&program, &standing).earned,
            Tier::Gold,
            "Platinum also needs revenue"
        );
        standing.revenue_cents = 25_000_000;
        let evaluation = evaluate(&program, &standing);
        assert_eq!(evaluation.earned, Tier::Platinum);
        assert!(evaluation.tiers.iter().all(TierCheck::met));
    }

    #[test]
    fn one_person_with_several_certificates_counts_once() {
        let program = program();
        let standing = Standing {
            people: vec![person(JobRole::Technical, &[1, 2])],
            revenue_cents: 0,
        };
        assert_eq!(evaluate(&program, &standing).earned, Tier::Silver);
    }

    #[test]
    fn a_tier_without_requirements_is_never_earned_and_tiers_are_manual_until_all_have_some() {
        let mut program = program();
        assert!(is_automatic(&program));
        program[2].requirements.clear();
        assert!(!is_automatic(&program));
        let standing = Standing {
            people: vec![person(JobRole::Sales, &[1]), person(JobRole::Sales, &[1])],
            revenue_cents: 0,
        };
        assert_eq!(evaluate(&program, &standing).earned, Tier::Silver);
        assert!(!is_automatic(&[]));
    }

    #[test]
    fn a_higher_tier_met_while_a_lower_one_is_not_still_counts() {
        // The highest tier met is earned, so a program can make a tier reachable by a
        // different route (e.g. revenue alone).
        let mut program = program();
        program[3] = TierPolicy {
            min_revenue_cents: Some(100),
            ..policy(Tier::Platinum, vec![])
        };
        let standing = Standing {
            people: vec![],
            revenue_cents: 100,
        };
        assert_eq!(evaluate(&program, &standing).earned, Tier::Platinum);
    }

    #[test]
    fn changes_are_explained_by_what_was_met_or_lost() {
        let program = program();
        let one = Standing {
            people: vec![person(JobRole::Sales, &[1])],
            revenue_cents: 0,
        };
        let evaluation = evaluate(&program, &one);
        assert_eq!(
            evaluation.explain_change(Tier::Gold),
            "No longer meets Gold: 2 people with any certification (has 1)."
        );
        assert_eq!(
            evaluation.explain_change(Tier::Registered),
            "Now meets every Silver requirement: 1 person with any certification (has 1)."
        );
        let none = evaluate(&program, &Standing::default());
        assert_eq!(
            none.explain_change(Tier::Platinum),
            "No longer meets Silver: 1 person with any certification (has 0)."
        );
    }

    #[test]
    fn revenue_is_checked_and_shown_in_dollars() {
        let program = program();
        let evaluation = evaluate(
            &program,
            &Standing {
                people: vec![],
                revenue_cents: 8_000_000,
            },
        );
        let platinum = evaluation.check_of(Tier::Platinum).unwrap();
        let revenue = platinum.checks.last().unwrap();
        assert_eq!(revenue.label, "$250,000 closed won in the last 12 months");
        assert_eq!(revenue.has, "has $80,000");
        assert!(!revenue.met);
    }

    fn catalogue() -> Vec<(i64, String)> {
        vec![(1, "Sales Pro".into()), (2, "Tech Specialist".into())]
    }

    #[test]
    fn requirement_lines_parse_and_round_trip() {
        let certifications = catalogue();
        for line in [
            "2",
            "1 technical",
            "3: Sales Pro",
            "1 support: Tech Specialist",
        ] {
            let requirement = parse_requirement(line, &certifications).unwrap();
            assert_eq!(requirement.line(), line);
        }
        let loose =
            parse_requirement("  2  Technical :  tech specialist ", &certifications).unwrap();
        assert_eq!(loose.line(), "2 technical: Tech Specialist");
        assert_eq!(
            loose.label(),
            "2 technical people certified in Tech Specialist"
        );
        assert_eq!(people(1, None).label(), "1 person with any certification");
    }

    #[test]
    fn requirement_lines_are_refused_with_the_reason() {
        let certifications = catalogue();
        let error = |line: &str| parse_requirement(line, &certifications).unwrap_err();
        assert!(error("two technical").contains("start with a number"));
        assert!(error("0").contains("from 1 to 1,000"));
        assert!(error("2 engineers").contains("\u{201c}engineers\u{201d} is not a job role"));
        assert!(error("2 technical people").contains("\u{201c}people\u{201d} is not understood"));
        assert!(error("2: Cooking").contains("no certification is called \u{201c}Cooking\u{201d}"));
        assert!(error("2:").contains("name the certification"));
    }

    #[test]
    fn the_form_reports_every_mistake_on_its_field_and_round_trips() {
        let certifications = catalogue();
        let policy = program().remove(3);
        let form = TierPolicyForm::from_policy(&policy);
        assert_eq!(form.min_revenue, "250,000");
        assert_eq!(form.requirements, "3\n1 technical: Tech Specialist");
        assert_eq!(form.parse(Tier::Platinum, &certifications).unwrap(), policy);

        let bad = TierPolicyForm {
            requirements: "2\nlots".into(),
            min_revenue: "a lot".into(),
            mdf_eligible: true,
            lead_distribution: "everything".into(),
        };
        let problems = bad.parse(Tier::Gold, &certifications).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "gold_requirements",
                "gold_min_revenue",
                "gold_lead_distribution"
            ]
        );
        assert!(problems[0].message.starts_with("Line 2:"));

        let registered = TierPolicyForm {
            requirements: "1".into(),
            min_revenue: "10".into(),
            mdf_eligible: false,
            lead_distribution: "none".into(),
        };
        let problems = registered
            .parse(Tier::Registered, &certifications)
            .unwrap_err();
        assert_eq!(problems.len(), 2);
    }
}
