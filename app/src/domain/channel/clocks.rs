//! Program settings and the clocks of a deal: protection windows and extensions, the
//! approval SLA, the appeal window, inactivity and renewal confirmation. Time is passed in.
use super::deals::Motion;
use crate::domain::validation::FieldError;
use crate::domain::zone::Zone;
use serde::{Deserialize, Serialize};

pub const HOUR_MS: i64 = 60 * 60 * 1000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgramSettings {
    /// How long an approved registration protects the account (30–120 days).
    pub protection_days: i64,
    /// Hours a manager has to decide a registration.
    pub approval_sla_hours: i64,
    pub max_extensions: i64,
    pub extension_days: i64,
    /// An extension needs activity on the deal within this many days.
    pub extension_activity_days: i64,
    /// Extensions can be requested only this close to expiry.
    pub extension_request_window_days: i64,
    /// Days after a decision during which an affected party may appeal.
    pub appeal_window_days: i64,
    /// Days without activity after which a deal is flagged for reassignment.
    pub inactivity_days: i64,
    /// Renewal ownership must be confirmed this many days before the renewal date.
    pub renewal_lead_days: i64,
    /// Highest discount (percent) each tier may request without a flag.
    pub discount_bands: Vec<DiscountBand>,
    /// Days partners have to finish a required learning path once it is assigned to them.
    pub required_training_due_days: i64,
    /// The program's time zone (an IANA name): where its days, weeks, months and quarters
    /// begin in the insights. Programs saved before it existed read as UTC.
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscountBand {
    pub tier: crate::domain::identity::Tier,
    /// The motion this band is for; `None`: the tier's band for every other motion.
    #[serde(default)]
    pub motion: Option<Motion>,
    pub max_discount_pct: f64,
}

impl ProgramSettings {
    /// The program's time zone; a name that no longer parses reads as UTC.
    pub fn zone(&self) -> Zone {
        Zone::parse(&self.time_zone).unwrap_or_default()
    }

    /// The discount a tier may request on a motion before it is flagged: the band for that
    /// tier and motion, else the tier's band, else no limit.
    pub fn discount_limit(&self, tier: crate::domain::identity::Tier, motion: Motion) -> f64 {
        let band = |wanted: Option<Motion>| {
            self.discount_bands
                .iter()
                .find(|band| band.tier == tier && band.motion == wanted)
                .map(|band| band.max_discount_pct)
        };
        band(Some(motion)).or_else(|| band(None)).unwrap_or(100.0)
    }

    /// The tier's band for motions without one of their own.
    pub fn tier_discount_limit(&self, tier: crate::domain::identity::Tier) -> f64 {
        self.discount_bands
            .iter()
            .find(|band| band.tier == tier && band.motion.is_none())
            .map_or(100.0, |band| band.max_discount_pct)
    }
}

impl Default for ProgramSettings {
    fn default() -> Self {
        ProgramSettings {
            protection_days: 90,
            approval_sla_hours: 48,
            max_extensions: 1,
            extension_days: 30,
            extension_activity_days: 14,
            extension_request_window_days: 30,
            appeal_window_days: 10,
            inactivity_days: 30,
            renewal_lead_days: 90,
            required_training_due_days: crate::domain::learning::REQUIRED_TRAINING_DUE_DAYS,
            time_zone: Zone::UTC.name().to_string(),
            discount_bands: vec![
                DiscountBand {
                    tier: crate::domain::identity::Tier::Registered,
                    motion: None,
                    max_discount_pct: 10.0,
                },
                DiscountBand {
                    tier: crate::domain::identity::Tier::Silver,
                    motion: None,
                    max_discount_pct: 15.0,
                },
                DiscountBand {
                    tier: crate::domain::identity::Tier::Gold,
                    motion: None,
                    max_discount_pct: 20.0,
                },
                DiscountBand {
                    tier: crate::domain::identity::Tier::Platinum,
                    motion: None,
                    max_discount_pct: 25.0,
                },
            ],
        }
    }
}

impl ProgramSettings {
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, field: &str, message: &str| {
            if !ok {
                problems.push(FieldError::new(field, message));
            }
        };
        check(
            (30..=120).contains(&self.protection_days),
            "protection_days",
            "The protection window is between 30 and 120 days.",
        );
        check(
            (1..=24 * 14).contains(&self.approval_sla_hours),
            "approval_sla_hours",
            "The approval SLA is between 1 hour and 14 days.",
        );
        check(
            (0..=5).contains(&self.max_extensions),
            "max_extensions",
            "Allow between 0 and 5 extensions.",
        );
        check(
            (1..=120).contains(&self.extension_days),
            "extension_days",
            "An extension lasts between 1 and 120 days.",
        );
        check(
            (1..=90).contains(&self.extension_activity_days),
            "extension_activity_days",
            "Recent activity means within 1 to 90 days.",
        );
        check(
            (1..=120).contains(&self.extension_request_window_days),
            "extension_request_window_days",
            "Extensions open between 1 and 120 days before expiry.",
        );
        check(
            (0..=60).contains(&self.appeal_window_days),
            "appeal_window_days",
            "The appeal window is between 0 and 60 days.",
        );
        check(
            (7..=365).contains(&self.inactivity_days),
            "inactivity_days",
            "The inactivity threshold is between 7 and 365 days.",
        );
        check(
            (7..=365).contains(&self.renewal_lead_days),
            "renewal_lead_days",
            "Renewal confirmation is due between 7 and 365 days ahead.",
        );
        check(
            (7..=365).contains(&self.required_training_due_days),
            "required_training_due_days",
            "Give partners between 7 and 365 days for required training.",
        );
        problems
    }

    pub fn protection_until(&self, approved_at: i64) -> i64 {
        approved_at + self.protection_days * DAY_MS
    }

    pub fn sla_due(&self, submitted_at: i64) -> i64 {
        submitted_at + self.approval_sla_hours * HOUR_MS
    }

    pub fn sla(&self, submitted_at: i64, now: i64) -> SlaState {
        let due = self.sla_due(submitted_at);
        let left = due - now;
        if left <= 0 {
            SlaState::Breached { overdue_ms: -left }
        } else if left * 4 <= self.approval_sla_hours * HOUR_MS {
            SlaState::DueSoon { left_ms: left }
        } else {
            SlaState::OnTrack { left_ms: left }
        }
    }

    pub fn appeal_open(&self, decided_at: i64, now: i64) -> bool {
        now >= decided_at && now < decided_at + self.appeal_window_days * DAY_MS
    }

    pub fn inactive(&self, last_activity_at: i64, now: i64) -> bool {
        now - last_activity_at >= self.inactivity_days * DAY_MS
    }

    /// Whether renewal ownership is due for confirmation (and not yet past the renewal).
    pub fn renewal_confirmation_due(&self, renewal_at: i64, now: i64) -> bool {
        now < renewal_at && renewal_at - now <= self.renewal_lead_days * DAY_MS
    }

    /// Decides an extension request; returns the new protection end.
    pub fn extend(&self, protection: &Protection, now: i64) -> Result<i64, ExtensionRefusal> {
        if protection.until <= now {
            return Err(ExtensionRefusal::Expired);
        }
        if protection.extensions_used >= self.max_extensions {
            return Err(ExtensionRefusal::NoExtensionsLeft);
        }
        if protection.until - now > self.extension_request_window_days * DAY_MS {
            return Err(ExtensionRefusal::TooEarly {
                opens_at: protection.until - self.extension_request_window_days * DAY_MS,
            });
        }
        if now - protection.last_activity_at > self.extension_activity_days * DAY_MS {
            return Err(ExtensionRefusal::NoRecentActivity);
        }
        Ok(protection.until + self.extension_days * DAY_MS)
    }
}

/// Whether a renewal's owner has been confirmed for this renewal: a confirmation counts for
/// the year before the renewal date, so last year's does not carry over.
pub fn renewal_confirmed(renewal_at: i64, confirmed_at: Option<i64>) -> bool {
    confirmed_at.is_some_and(|at| at > renewal_at - 365 * DAY_MS)
}

/// The settings form as typed; every number is text so mistakes come back on their field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub protection_days: String,
    pub approval_sla_hours: String,
    pub max_extensions: String,
    pub extension_days: String,
    pub extension_activity_days: String,
    pub extension_request_window_days: String,
    pub appeal_window_days: String,
    pub inactivity_days: String,
    pub renewal_lead_days: String,
    pub required_training_due_days: String,
    /// Discount band per tier, in tier order (Registered, Silver, Gold, Platinum).
    pub discount_registered: String,
    pub discount_silver: String,
    pub discount_gold: String,
    pub discount_platinum: String,
    /// Bands for one tier and motion, one per line: "Gold, Marketplace: 15".
    pub motion_bands: String,
    /// An IANA zone name, e.g. "Europe/Berlin".
    pub time_zone: String,
}

impl SettingsForm {
    /// The form filled in with the current settings.
    pub fn from_settings(settings: &ProgramSettings) -> SettingsForm {
        use crate::domain::identity::Tier;
        let band = |tier| format!("{}", settings.tier_discount_limit(tier));
        SettingsForm {
            protection_days: settings.protection_days.to_string(),
            approval_sla_hours: settings.approval_sla_hours.to_string(),
            max_extensions: settings.max_extensions.to_string(),
            extension_days: settings.extension_days.to_string(),
            extension_activity_days: settings.extension_activity_days.to_string(),
            extension_request_window_days: settings.extension_request_window_days.to_string(),
            appeal_window_days: settings.appeal_window_days.to_string(),
            inactivity_days: settings.inactivity_days.to_string(),
            renewal_lead_days: settings.renewal_lead_days.to_string(),
            required_training_due_days: settings.required_training_due_days.to_string(),
            discount_registered: band(Tier::Registered),
            discount_silver: band(Tier::Silver),
            discount_gold: band(Tier::Gold),
            discount_platinum: band(Tier::Platinum),
            motion_bands: settings
                .discount_bands
                .iter()
                .filter_map(|b| {
                    b.motion.map(|m| {
                        format!("{}, {}: {}", b.tier.label(), m.label(), b.max_discount_pct)
                    })
                })
                .collect::<Vec<_>>()
                .join("\n"),
            time_zone: settings.zone().name().to_string(),
        }
    }

    /// Parses and checks the form; every problem is reported on its field.
    pub fn parse(&self) -> Result<ProgramSettings, Vec<FieldError>> {
        use crate::domain::identity::Tier;
        let mut problems = Vec::new();
        let mut whole = |text: &str, field: &str| -> i64 {
            text.trim().parse::<i64>().unwrap_or_else(|_| {
                problems.push(FieldError::new(field, "Enter a whole number."));
                0
            })
        };
        let mut settings = ProgramSettings {
            protection_days: whole(&self.protection_days, "protection_days"),
            approval_sla_hours: whole(&self.approval_sla_hours, "approval_sla_hours"),
            max_extensions: whole(&self.max_extensions, "max_extensions"),
            extension_days: whole(&self.extension_days, "extension_days"),
            extension_activity_days: whole(
                &self.extension_activity_days,
                "extension_activity_days",
            ),
            extension_request_window_days: whole(
                &self.extension_request_window_days,
                "extension_request_window_days",
            ),
            appeal_window_days: whole(&self.appeal_window_days, "appeal_window_days"),
            inactivity_days: whole(&self.inactivity_days, "inactivity_days"),
            renewal_lead_days: whole(&self.renewal_lead_days, "renewal_lead_days"),
            discount_bands: Vec::new(),
            required_training_due_days: whole(
                &self.required_training_due_days,
                "required_training_due_days",
            ),
            time_zone: match Zone::parse(&self.time_zone) {
                Some(zone) => zone.name().to_string(),
                None => {
                    problems.push(FieldError::new(
                        "time_zone",
                        "Enter a time zone from the list, such as Europe/Berlin or America/New_York.",
                    ));
                    String::new()
                }
            },
        };
        for (tier, text, field) in [
            (
                Tier::Registered,
                &self.discount_registered,
                "discount_registered",
            ),
            (Tier::Silver, &self.discount_silver, "discount_silver"),
            (Tier::Gold, &self.discount_gold, "discount_gold"),
            (Tier::Platinum, &self.discount_platinum, "discount_platinum"),
        ] {
            match super::deals::parse_percent(text) {
                Some(max_discount_pct) => settings.discount_bands.push(DiscountBand {
                    tier,
                    motion: None,
                    max_discount_pct,
                }),
                None => problems.push(FieldError::new(field, "Enter a percentage from 0 to 100.")),
            }
        }
        match parse_motion_bands(&self.motion_bands) {
            Ok(bands) => settings.discount_bands.extend(bands),
            Err(problem) => problems.push(problem),
        }
        // Range checks only for numbers that parsed, so each field gets one message.
        let unparsed: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
        problems.extend(
            settings
                .problems()
                .into_iter()
                .filter(|p| !unparsed.contains(&p.field)),
        );
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }
}

/// Parses "Tier, Motion: percent" lines (labels or codes, any case); blank lines are
/// skipped. The first bad line is named.
fn parse_motion_bands(text: &str) -> Result<Vec<DiscountBand>, FieldError> {
    use crate::domain::identity::Tier;
    let find = |name: &str| name.trim().to_lowercase();
    let mut bands: Vec<DiscountBand> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let problem = || {
            FieldError::new(
                "motion_bands",
                format!(
                    "Line {}: write it as \"Gold, Marketplace: 15\" (a tier, a partner motion, a percentage).",
                    number + 1
                ),
            )
        };
        let (who, pct) = line.split_once(':').ok_or_else(problem)?;
        let (tier, motion) = who.split_once(',').ok_or_else(problem)?;
        let tier = Tier::ALL
            .iter()
            .find(|t| find(t.label()) == find(tier) || t.as_str() == find(tier))
            .ok_or_else(problem)?;
        let motion = Motion::ALL
            .iter()
            .filter(|m| **m != Motion::Direct)
            .find(|m| find(m.label()) == find(motion) || m.as_str() == find(motion))
            .ok_or_else(problem)?;
        let pct = super::deals::parse_percent(pct).ok_or_else(problem)?;
        if bands
            .iter()
            .any(|b| b.tier == *tier && b.motion == Some(*motion))
        {
            return Err(FieldError::new(
                "motion_bands",
                format!(
                    "Line {}: that tier and motion already have a band.",
                    number + 1
                ),
            ));
        }
        bands.push(DiscountBand {
            tier: *tier,
            motion: Some(*motion),
            max_discount_pct: pct,
        });
    }
    Ok(bands)
}

/// Where a registration stands against its approval SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlaState {
    OnTrack {
        left_ms: i64,
    },
    /// The last quarter of the SLA.
    DueSoon {
        left_ms: i64,
    },
    Breached {
        overdue_ms: i64,
    },
}

impl SlaState {
    /// Queue order: most urgent first (breached longest, then least time left).
    pub fn urgency_key(&self) -> i64 {
        match self {
            SlaState::Breached { overdue_ms } => -overdue_ms,
            SlaState::DueSoon { left_ms } | SlaState::OnTrack { left_ms } => *left_ms,
        }
    }
}

/// An approved registration's protection, as extension rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protection {
    pub until: i64,
    pub extensions_used: i64,
    pub last_activity_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExtensionRefusal {
    Expired,
    NoExtensionsLeft,
    TooEarly { opens_at: i64 },
    NoRecentActivity,
}

impl ExtensionRefusal {
    pub fn message(&self) -> &'static str {
        match self {
            ExtensionRefusal::Expired => {
                "This protection has already expired; register the deal again."
            }
            ExtensionRefusal::NoExtensionsLeft => {
                "This deal has used all the extensions the program allows."
            }
            ExtensionRefusal::TooEarly { .. } => "Extensions open closer to the protection's end.",
            ExtensionRefusal::NoRecentActivity => {
                "Log recent activity on the deal before asking for an extension."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_000 * DAY_MS;

    #[test]
    fn the_settings_form_round_trips_and_names_each_bad_field() {
        let defaults = ProgramSettings::default();
        let form = SettingsForm::from_settings(&defaults);
        assert_eq!(form.parse().unwrap(), defaults);
        let mut bad = form.clone();
        bad.protection_days = "ninety".into();
        bad.approval_sla_hours = "0".into();
        bad.discount_gold = "120".into();
        bad.time_zone = "Mars/Olympus".into();
        let fields: Vec<String> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "protection_days",
                "time_zone",
                "discount_gold",
                "approval_sla_hours"
            ]
        );
        let mut tuned = form;
        tuned.protection_days = " 120 ".into();
        tuned.time_zone = " europe/berlin ".into();
        tuned.discount_silver = "17.5 %".into();
        let parsed = tuned.parse().unwrap();
        assert_eq!(parsed.protection_days, 120);
        assert_eq!(parsed.time_zone, "Europe/Berlin");
        assert_eq!(
            SettingsForm::from_settings(&parsed).time_zone,
            "Europe/Berlin"
        );
        assert_eq!(
            parsed.tier_discount_limit(crate::domain::identity::Tier::Silver),
            17.5
        );
    }

    #[test]
    fn settings_saved_before_the_time_zone_existed_read_as_utc() {
        let old: ProgramSettings = serde_json::from_str(r#"{"protection_days": 60}"#).unwrap();
        assert_eq!(old.protection_days, 60);
        assert_eq!(old.zone(), Zone::UTC);
        let broken = ProgramSettings {
            time_zone: "Nowhere/Special".into(),
            ..ProgramSettings::default()
        };
        assert_eq!(broken.zone(), Zone::UTC);
    }

    #[test]
    fn a_renewal_confirmation_counts_for_the_year_before_the_renewal() {
        let renewal = 400 * DAY_MS;
        assert!(!renewal_confirmed(renewal, None));
        assert!(renewal_confirmed(renewal, Some(renewal - 30 * DAY_MS)));
        assert!(renewal_confirmed(renewal, Some(renewal - 364 * DAY_MS)));
        // Last cycle's confirmation does not count for this renewal.
        assert!(!renewal_confirmed(renewal, Some(renewal - 365 * DAY_MS)));
        assert!(!renewal_confirmed(renewal, Some(renewal - 380 * DAY_MS)));
    }

    #[test]
    fn defaults_are_valid_and_bounds_are_enforced() {
        let settings = ProgramSettings::default();
        assert!(settings.problems().is_empty());
        for (days, ok) in [
            (29, false),
            (30, true),
            (90, true),
            (120, true),
            (121, false),
        ] {
            let s = ProgramSettings {
                protection_days: days,
                ..ProgramSettings::default()
            };
            assert_eq!(s.problems().is_empty(), ok, "{days} days");
        }
        let bad = ProgramSettings {
            approval_sla_hours: 0,
            max_extensions: 9,
            extension_days: 0,
            extension_activity_days: 0,
            extension_request_window_days: 0,
            appeal_window_days: -1,
            inactivity_days: 1,
            renewal_lead_days: 1000,
            ..ProgramSettings::default()
        };
        assert_eq!(bad.problems().len(), 8);
    }

    #[test]
    fn discount_limits_follow_the_tier_and_motion_bands() {
        use crate::domain::identity::Tier;
        let settings = ProgramSettings::default();
        assert_eq!(
            settings.discount_limit(Tier::Registered, Motion::Resale),
            10.0
        );
        assert_eq!(
            settings.discount_limit(Tier::Platinum, Motion::Referral),
            25.0
        );
        let none = ProgramSettings {
            discount_bands: vec![],
            ..ProgramSettings::default()
        };
        assert_eq!(none.discount_limit(Tier::Gold, Motion::Resale), 100.0);
        // A band for one motion wins over the tier's band; other motions keep the tier's.
        let mut form = SettingsForm::from_settings(&settings);
        form.motion_bands = "Gold, Marketplace: 12\n\nsilver, referral: 5 %".into();
        let tuned = form.parse().unwrap();
        assert_eq!(tuned.discount_limit(Tier::Gold, Motion::Marketplace), 12.0);
        assert_eq!(tuned.discount_limit(Tier::Gold, Motion::Resale), 20.0);
        assert_eq!(tuned.discount_limit(Tier::Silver, Motion::Referral), 5.0);
        assert_eq!(tuned.tier_discount_limit(Tier::Gold), 20.0);
        // The form shows the motion bands again, and parsing that gives the same settings.
        let shown = SettingsForm::from_settings(&tuned);
        assert_eq!(
            shown.motion_bands,
            "Gold, Marketplace: 12\nSilver, Referral: 5"
        );
        assert_eq!(shown.parse().unwrap(), tuned);
        for bad in [
            "Gold Marketplace 12",
            "Diamond, Resale: 10",
            "Gold, Direct: 10",
            "Gold, Resale: 120",
            "Gold, Resale: 10\nGold, resale: 12",
        ] {
            let mut form = SettingsForm::from_settings(&settings);
            form.motion_bands = bad.into();
            let problems = form.parse().unwrap_err();
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].field, "motion_bands");
        }
    }

    #[test]
    fn protection_runs_the_configured_days() {
        let settings = ProgramSettings::default();
        assert_eq!(settings.protection_until(T0), T0 + 90 * DAY_MS);
    }

    #[test]
    fn sla_moves_from_on_track_to_due_soon_to_breached() {
        let settings = ProgramSettings::default();
        assert_eq!(
            settings.sla(T0, T0),
            SlaState::OnTrack {
                left_ms: 48 * HOUR_MS
            }
        );
        assert_eq!(
            settings.sla(T0, T0 + 36 * HOUR_MS - 1),
            SlaState::OnTrack {
                left_ms: 12 * HOUR_MS + 1
            }
        );
        assert_eq!(
            settings.sla(T0, T0 + 36 * HOUR_MS),
            SlaState::DueSoon {
                left_ms: 12 * HOUR_MS
            }
        );
        assert_eq!(
            settings.sla(T0, T0 + 48 * HOUR_MS),
            SlaState::Breached { overdue_ms: 0 }
        );
        assert_eq!(
            settings.sla(T0, T0 + 50 * HOUR_MS),
            SlaState::Breached {
                overdue_ms: 2 * HOUR_MS
            }
        );
    }

    #[test]
    fn the_queue_puts_the_most_overdue_first() {
        let settings = ProgramSettings::default();
        let mut queue = [
            settings.sla(T0, T0 + HOUR_MS),
            settings.sla(T0, T0 + 60 * HOUR_MS),
            settings.sla(T0, T0 + 50 * HOUR_MS),
            settings.sla(T0, T0 + 40 * HOUR_MS),
        ];
        queue.sort_by_key(SlaState::urgency_key);
        assert_eq!(
            queue,
            [
                SlaState::Breached {
                    overdue_ms: 12 * HOUR_MS
                },
                SlaState::Breached {
                    overdue_ms: 2 * HOUR_MS
                },
                SlaState::DueSoon {
                    left_ms: 8 * HOUR_MS
                },
                SlaState::OnTrack {
                    left_ms: 47 * HOUR_MS
                },
            ]
        );
    }

    #[test]
    fn extensions_follow_the_rules() {
        let settings = ProgramSettings::default();
        let until = T0 + 20 * DAY_MS;
        let active = Protection {
            until,
            extensions_used: 0,
            last_activity_at: T0 - DAY_MS,
        };
        assert_eq!(settings.extend(&active, T0), Ok(until + 30 * DAY_MS));
        assert_eq!(
            settings.extend(
                &Protection {
                    extensions_used: 1,
                    ..active
                },
                T0
            ),
            Err(ExtensionRefusal::NoExtensionsLeft)
        );
        assert_eq!(
            settings.extend(&active, until),
            Err(ExtensionRefusal::Expired)
        );
        assert_eq!(
            settings.extend(
                &Protection {
                    until: T0 + 60 * DAY_MS,
                    ..active
                },
                T0
            ),
            Err(ExtensionRefusal::TooEarly {
                opens_at: T0 + 30 * DAY_MS
            })
        );
        assert_eq!(
            settings.extend(
                &Protection {
                    last_activity_at: T0 - 15 * DAY_MS,
                    ..active
                },
                T0
            ),
            Err(ExtensionRefusal::NoRecentActivity)
        );
        assert_eq!(
            settings.extend(
                &Protection {
                    last_activity_at: T0 - 14 * DAY_MS,
                    ..active
                },
                T0
            ),
            Ok(until + 30 * DAY_MS),
            "activity exactly at the threshold counts"
        );
    }

    #[test]
    fn appeal_inactivity_and_renewal_windows() {
        let settings = ProgramSettings::default();
        assert!(settings.appeal_open(T0, T0));
        assert!(settings.appeal_open(T0, T0 + 10 * DAY_MS - 1));
        assert!(!settings.appeal_open(T0, T0 + 10 * DAY_MS));
        assert!(!settings.appeal_open(T0, T0 - 1));
        assert!(!settings.inactive(T0, T0 + 30 * DAY_MS - 1));
        assert!(settings.inactive(T0, T0 + 30 * DAY_MS));
        let renewal = T0 + 90 * DAY_MS;
        assert!(!settings.renewal_confirmation_due(renewal, T0 - 1));
        assert!(settings.renewal_confirmation_due(renewal, T0));
        assert!(settings.renewal_confirmation_due(renewal, renewal - 1));
        assert!(!settings.renewal_confirmation_due(renewal, renewal));
    }
}
