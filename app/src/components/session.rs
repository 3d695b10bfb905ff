//! Who is signed in, loaded once per page and shared by every component.
use crate::api::auth::current_user;
use crate::api::dev::{load_portal_info, PortalInfo};
use crate::api::navigation::load_nav_badges;
use crate::domain::identity::Role;
use crate::error::AppError;
use crate::model::{NavBadges, SessionUser};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
    pub info: Resource<Result<PortalInfo, AppError>>,
    /// What waits for this person (the navigation's badges).
    pub badges: Resource<Result<NavBadges, AppError>>,
}

impl Session {
    /// Whether the signed-in person has `role`. A tracked read: inside a Suspense the page
    /// waits for the session before deciding.
    pub fn has_role(&self, role: Role) -> bool {
        self.user
            .get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|user| user.role == role)
    }
}

pub fn provide_session() {
    provide_context(Session {
        user: Resource::new(|| (), |_| current_user()),
        info: Resource::new(|| (), |_| load_portal_info()),
        badges: Resource::new(|| (), |_| load_nav_badges()),
    });
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
