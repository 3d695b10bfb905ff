//! The people and organisations of a channel program.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a closed set of values stored as stable snake_case text in the database.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value stored in the database and used in URLs.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The human-readable name shown in the UI.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The name serde reads and writes (the variant's), for form fields that are
            /// decoded as this type.
            pub fn serde_name(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// What a user may do in the portal.
    Role {
        VendorAdmin => "vendor_admin" / "Vendor admin",
        PartnerManager => "partner_manager" / "Partner manager",
        PartnerUser => "partner_user" / "Partner user",
    }
);

text_enum!(
    /// How a partner organisation sells or delivers.
    PartnerType {
        Reseller => "reseller" / "Reseller",
        Referral => "referral" / "Referral partner",
        Implementation => "implementation" / "Implementation partner (SI)",
        Distributor => "distributor" / "Distributor",
    }
);

text_enum!(
    /// Program tier of a partner organisation, lowest first.
    Tier {
        Registered => "registered" / "Registered",
        Silver => "silver" / "Silver",
        Gold => "gold" / "Gold",
        Platinum => "platinum" / "Platinum",
    }
);

text_enum!(
    /// The job a partner user does; it selects their learning paths.
    JobRole {
        Sales => "sales" / "Sales",
        Technical => "technical" / "Technical",
        Support => "support" / "Support",
    }
);

impl Role {
    /// Vendor channel staff see every partner organisation.
    pub fn is_vendor_staff(self) -> bool {
        matches!(self, Role::VendorAdmin | Role::PartnerManager)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_stored_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        for kind in PartnerType::ALL {
            assert_eq!(PartnerType::parse(kind.as_str()), Some(*kind));
        }
        for tier in Tier::ALL {
            assert_eq!(Tier::parse(tier.as_str()), Some(*tier));
        }
        for job in JobRole::ALL {
            assert_eq!(JobRole::parse(job.as_str()), Some(*job));
        }
    }

    #[test]
    fn serde_names_are_what_serde_reads() {
        for tier in Tier::ALL {
            let json = format!("\"{}\"", tier.serde_name());
            assert_eq!(serde_json::from_str::<Tier>(&json).unwrap(), *tier);
        }
        for job in JobRole::ALL {
            let json = format!("\"{}\"", job.serde_name());
            assert_eq!(serde_json::from_str::<JobRole>(&json).unwrap(), *job);
        }
        for kind in PartnerType::ALL {
            assert_eq!(
                serde_json::to_string(kind).unwrap(),
                format!("\"{}\"", kind.serde_name())
            );
        }
    }

    #[test]
    fn unknown_text_is_rejected() {
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Tier::parse("Gold"), None, "stored text is case-sensitive");
        assert_eq!(PartnerType::parse(""), None);
    }

    #[test]
    fn only_admins_and_managers_are_vendor_staff() {
        assert!(Role::VendorAdmin.is_vendor_staff());
        assert!(Role::PartnerManager.is_vendor_staff());
        assert!(!Role::PartnerUser.is_vendor_staff());
    }

    #[test]
    fn tiers_are_ordered_lowest_first() {
        assert_eq!(Tier::ALL.first(), Some(&Tier::Registered));
        assert_eq!(Tier::ALL.last(), Some(&Tier::Platinum));
        assert_eq!(Tier::Gold.to_string(), "Gold");
    }
}
