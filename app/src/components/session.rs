//! Who is signed in, loaded once per page and shared by every component.
use crate::api::auth::current_user;
use crate::api::dev::{load_portal_info, PortalInfo};
use crate::domain::identity::Role;
use crate::error::AppError;
use crate::model::SessionUser;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
    pub info: Resource<Result<PortalInfo, AppError>>,
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
    });
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// After a sign-in or sign-out the whole page reloads, so every resource reflects the new
/// session and no stale private data stays in memory.
pub fn reload_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
