//! Who may do what. Server functions call these through `server::guard`, never directly on
//! data, so that every read of org-owned data passes one decision.
use super::identity::Role;

/// What a server function requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Any signed-in user.
    SignedIn,
    /// Vendor admins and partner managers.
    VendorStaff,
    /// Vendor admins only.
    VendorAdmin,
    /// Users who belong to a partner organisation.
    PartnerUser,
}

impl Policy {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Policy::SignedIn => true,
            Policy::VendorStaff => role.is_vendor_staff(),
            Policy::VendorAdmin => role == Role::VendorAdmin,
            Policy::PartnerUser => role == Role::PartnerUser,
        }
    }
}

/// Whether a user may read or change data owned by `target_org`.
/// Vendor staff see every organisation; a partner user sees only their own.
pub fn may_access_org(role: Role, own_org: Option<i64>, target_org: i64) -> bool {
    role.is_vendor_staff() || (role == Role::PartnerUser && own_org == Some(target_org))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_table() {
        let expectations = [
            (Policy::SignedIn, Role::VendorAdmin, true),
            (Policy::SignedIn, Role::PartnerManager, true),
            (Policy::SignedIn, Role::PartnerUser, true),
            (Policy::VendorStaff, Role::VendorAdmin, true),
            (Policy::VendorStaff, Role::PartnerManager, true),
            (Policy::VendorStaff, Role::PartnerUser, false),
            (Policy::VendorAdmin, Role::VendorAdmin, true),
            (Policy::VendorAdmin, Role::PartnerManager, false),
            (Policy::VendorAdmin, Role::PartnerUser, false),
            (Policy::PartnerUser, Role::VendorAdmin, false),
            (Policy::PartnerUser, Role::PartnerManager, false),
            (Policy::PartnerUser, Role::PartnerUser, true),
        ];
        for (policy, role, expected) in expectations {
            assert_eq!(policy.allows(role), expected, "{policy:?} for {role:?}");
        }
    }

    #[test]
    fn partner_users_reach_only_their_own_org() {
        assert!(may_access_org(Role::PartnerUser, Some(7), 7));
        assert!(!may_access_org(Role::PartnerUser, Some(7), 8));
        assert!(!may_access_org(Role::PartnerUser, None, 7));
    }

    #[test]
    fn vendor_staff_reach_every_org() {
        assert!(may_access_org(Role::PartnerManager, None, 3));
        assert!(may_access_org(Role::VendorAdmin, None, 99));
    }
}
