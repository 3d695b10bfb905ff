use crate::error::AppError;
use crate::model::{DemoAccount, SessionUser};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod imp {
    use crate::domain::rate_limit::{RateDecision, RateLimit};
    use crate::error::AppError;
    use crate::server::crypto::{new_token, token_hash};
    use crate::server::guard::{current_session_hash, set_session_cookie};
    use crate::server::repo::{rate_limits, sessions};
    use crate::server::AppState;

    /// The budgets an anonymous request draws on. `source` is one account from one client
    /// address: it refuses when spent, so a stranger who guesses wrong (or asks for links)
    /// locks only their own source out of that account, never the holder. `ip` is one
    /// address across accounts. `account` counts every source's failures together and only
    /// slows further tries (see `Settings::login_slowdown_after`), never refuses them.
    pub struct RateBuckets {
        pub source: String,
        pub ip: String,
        pub account: String,
    }

    impl RateBuckets {
        /// Refuses the request if the source's or the address's budget is used up; `action`
        /// names the kind of request (`login`, `link`).
        pub async fn check(
            state: &AppState,
            action: &str,
            email: &str,
            limits: (&RateLimit, &RateLimit),
            now: i64,
        ) -> Result<RateBuckets, AppError> {
            let ip = crate::server::guard::client_ip();
            let buckets = RateBuckets {
                source: format!("{action}:source:{email}:{ip}"),
                ip: format!("{action}:ip:{ip}"),
                account: format!("{action}:account:{email}"),
            };
            for (bucket, limit) in [(&buckets.source, limits.0), (&buckets.ip, limits.1)] {
                let decision = rate_limits::check(&state.db, bucket, limit, now).await?;
                if let RateDecision::Refuse { retry_after_secs } = decision {
                    tracing::info!(bucket, "rate limit reached");
                    return Err(AppError::RateLimited { retry_after_secs });
                }
            }
            Ok(buckets)
        }

        /// Waits before a sign-in attempt when the account as a whole has seen many failures
        /// lately: the holder still gets in, a guesser spread over many addresses gets slow.
        pub async fn slow_down_if_targeted(
            &self,
            state: &AppState,
            now: i64,
        ) -> Result<(), AppError> {
            let limit = &state.settings.login_slowdown_after;
            let decision = rate_limits::check(&state.db, &self.account, limit, now).await?;
            if decision != RateDecision::Allow {
                tracing::info!(bucket = self.account, "slowing sign-in attempts");
                tokio::time::sleep(std::time::Duration::from_millis(
                    state.settings.login_slowdown_ms,
                ))
                .await;
            }
            Ok(())
        }

        pub async fn record(&self, state: &AppState, now: i64) -> Result<(), AppError> {
            rate_limits::record(&state.db, &self.source, now).await?;
            rate_limits::record(&state.db, &self.ip, now).await?;
            Ok(())
        }

        /// A failed sign-in also counts towards the account-wide slowdown.
        pub async fn record_failure(&self, state: &AppState, now: i64) -> Result<(), AppError> {
            self.record(state, now).await?;
            rate_limits::record(&state.db, &self.account, now).await?;
            Ok(())
        }
    }

    /// Counts a request for an emailed link against `account`'s and this client's budgets,
    /// or refuses it when either is used up.
    pub async fn count_link_request(
        state: &AppState,
        account: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let limits = (
            &state.settings.link_limit_per_account,
            &state.settings.link_limit_per_ip,
        );
        RateBuckets::check(state, "link", account, limits, now)
            .await?
            .record(state, now)
            .await
    }

    /// Signs the user in with a brand-new session, ending the one the browser had (rotation).
    pub async fn start_session(
        state: &AppState,
        user_id: i64,
        scope: Option<&str>,
    ) -> Result<(), AppError> {
        if let Some(old) = current_session_hash() {
            sessions::delete(&state.db, &old).await?;
        }
        let token = new_token();
        sessions::create(
            &state.db,
            &token_hash(&state.settings.secret_key, &token),
            user_id,
            scope,
            state.clock.now_ms(),
        )
        .await?;
        set_session_cookie(state, &token);
        Ok(())
    }

    /// Where to go after signing in: a safe local path, or home.
    pub fn destination(next: Option<&str>) -> String {
        next.and_then(crate::domain::validation::safe_local_path)
            .unwrap_or_else(|| "/".to_string())
    }
}

/// The signed-in user, or `None`.
#[server]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use crate::server::guard::current_actor;
    Ok(current_actor().await?.map(|actor| actor.user))
}

/// Signs in with email and password; returns where to go next.
#[server]
pub async fn login_with_password(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::validation::{check_password_input, normalize_email, FieldError};
    use crate::server::crypto::verify_password;
    use crate::server::guard::app_state;
    use crate::server::repo::{rate_limits, users};
    use imp::*;
    let state = app_state()?;
    let email = normalize_email(&email)?;
    check_password_input(&password)?;
    let now = state.clock.now_ms();
    let limits = (
        &state.settings.login_limit_per_account,
        &state.settings.login_limit_per_ip,
    );
    let buckets = RateBuckets::check(&state, "login", &email, limits, now).await?;
    buckets.slow_down_if_targeted(&state, now).await?;

    let found = users::find_for_login(&state.db.read, &email).await?;
    let stored_hash = found.as_ref().and_then(|(_, hash)| hash.clone());
    let verified =
        tokio::task::spawn_blocking(move || verify_password(&password, stored_hash.as_deref()))
            .await
            .map_err(|error| {
                tracing::error!(%error, "password check panicked");
                AppError::Internal
            })?;
    let user = match (verified, found) {
        (true, Some((user, _))) => user,
        _ => {
            buckets.record_failure(&state, now).await?;
            return Err(
                FieldError::new("password", "That email and password do not match.").into(),
            );
        }
    };
    rate_limits::clear(&state.db, &buckets.source).await?;
    start_session(&state, user.id, None).await?;
    tracing::info!(user_id = user.id, "signed in with password");
    let to = destination(next.as_deref());
    crate::server::guard::redirect_form_post(&to);
    Ok(to)
}

/// Emails a single-use sign-in link. The answer is the same whether or not the address has
/// an account, so it cannot be used to discover accounts.
#[server]
pub async fn request_magic_link(email: String, next: Option<String>) -> Result<(), AppError> {
    use crate::domain::validation::normalize_email;
    use crate::server::crypto::{new_token, token_hash};
    use crate::server::guard::app_state;
    use crate::server::repo::{magic_links, outbox, users};
    use imp::*;
    let state = app_state()?;
    let email = normalize_email(&email)?;
    let now = state.clock.now_ms();
    count_link_request(&state, &email, now).await?;

    if let Some((user, _)) = users::find_for_login(&state.db.read, &email).await? {
        let token = new_token();
        let ttl = state.settings.magic_link_ttl_ms;
        let to = destination(next.as_deref());
        magic_links::create(
            &state.db,
            &token_hash(&state.settings.secret_key, &token),
            user.id,
            &to,
            None,
            now,
            now + ttl,
        )
        .await?;
        let link = format!(
            "{}/auth/magic?token={token}",
            state.settings.public_base_url
        );
        let portal = match users::vendor_name(&state.db.read).await? {
            Some(vendor) => format!("the {vendor} partner portal"),
            None => "the partner portal".to_string(),
        };
        let body = format!(
            "Hello {},\n\nUse this link to sign in to {portal}:\n\n{link}\n\n\
             It works once and expires in {} minutes. If you did not ask for it, ignore this email.\n",
            user.display_name,
            ttl / 60_000
        );
        outbox::enqueue(
            &state.db.write,
            &user.email,
            "Your sign-in link",
            &body,
            now,
        )
        .await?;
        state.mailer.wake();
        tracing::info!(user_id = user.id, "magic link issued");
    }
    // Without JavaScript the form posts; keep the destination for the link's sign-in page.
    let back = match next
        .as_deref()
        .and_then(crate::domain::validation::safe_local_path)
    {
        Some(to) => format!(
            "/login?link_sent=1&next={}",
            crate::components::load::encode_query_value(&to)
        ),
        None => "/login?link_sent=1".to_string(),
    };
    crate::server::guard::redirect_form_post(&back);
    Ok(())
}

/// Sends a fresh link to the same place as a spent (used or expired) link to one module,
/// deal or page, to the link's owner only. The answer is the same whether or not the link
/// was ours, so it tells a stranger nothing; requests count against the sign-in link limits.
#[server]
pub async fn request_fresh_link(token: String) -> Result<(), AppError> {
    use crate::server::crypto::token_hash;
    use crate::server::guard::app_state;
    use crate::server::repo::{magic_links, outbox, users};
    use imp::*;
    let state = app_state()?;
    let now = state.clock.now_ms();
    let well_formed = token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit());
    if !well_formed {
        return Err(AppError::field(
            "token",
            "This link is incomplete. Copy the whole link from the email, or request a sign-in link.",
        ));
    }
    let hash = token_hash(&state.settings.secret_key, &token);
    let found =
        magic_links::place_of(&state.db, &hash, now - magic_links::REISSUE_WITHIN_MS).await?;
    let owner = match found {
        // Enabled people only: a disabled account gets nothing.
        Some((user_id, place)) => users::find_by_id(&state.db.read, user_id)
            .await?
            .map(|user| (user, place)),
        None => None,
    };
    // Unknown links still count against this address's limit.
    let account = owner
        .as_ref()
        .map_or_else(|| hash.clone(), |(user, _)| user.email.clone());
    count_link_request(&state, &account, now).await?;
    if let Some((user, place)) = owner {
        let link = crate::server::links::place_link(&state, user.id, &place).await?;
        let body = format!(
            "Hello {},\n\nHere is a fresh link to the page your earlier link opened ({}):\n\n\
             {link}\n\nIf you did not ask for it, ignore this email.\n",
            user.display_name,
            crate::server::links::link_terms(&state)
        );
        outbox::enqueue(&state.db.write, &user.email, "Your fresh link", &body, now).await?;
        state.mailer.wake();
        tracing::info!(user_id = user.id, "fresh place link issued");
    }
    crate::server::guard::redirect_form_post(&format!("/auth/magic?token={token}&fresh_sent=1"));
    Ok(())
}

/// Redeems a magic link (by POST: opening the link only shows a button, so mail scanners
/// that fetch links cannot use them up). Returns where to go next.
#[server]
pub async fn redeem_magic_link(token: String) -> Result<String, AppError> {
    use crate::server::crypto::token_hash;
    use crate::server::guard::app_state;
    use crate::server::repo::magic_links;
    use imp::*;
    let state = app_state()?;
    let expired = || {
        AppError::field(
            "token",
            "This sign-in link has expired or was already used. Request a new one.",
        )
    };
    let well_formed = token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit());
    if !well_formed {
        return Err(expired());
    }
    let hash = token_hash(&state.settings.secret_key, &token);
    let (user_id, to, scope) = magic_links::redeem(&state.db, &hash, state.clock.now_ms())
        .await?
        .ok_or_else(expired)?;
    // Someone already fully signed in keeps their session; a link never narrows it.
    let signed_in_fully = crate::server::guard::current_actor()
        .await?
        .is_some_and(|actor| actor.user.id == user_id && actor.user.scope.is_none());
    if !signed_in_fully {
        start_session(&state, user_id, scope.as_deref()).await?;
    }
    tracing::info!(user_id, "signed in with magic link");
    crate::server::guard::redirect_form_post(&to);
    Ok(to)
}

/// Ends this browser's session.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::guard::{app_state, clear_session_cookie, current_session_hash};
    use crate::server::repo::sessions;
    let state = app_state()?;
    if let Some(hash) = current_session_hash() {
        sessions::delete(&state.db, &hash).await?;
    }
    clear_session_cookie(&state);
    crate::server::guard::redirect_form_post("/login");
    Ok(())
}

/// Ends every session of the signed-in user, on every device.
#[server]
pub async fn logout_everywhere() -> Result<u64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize, clear_session_cookie};
    use crate::server::repo::sessions;
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let ended = sessions::delete_all_for_user(&state.db, actor.user.id).await?;
    clear_session_cookie(&state);
    tracing::info!(user_id = actor.user.id, ended, "signed out everywhere");
    crate::server::guard::redirect_form_post("/login");
    Ok(ended)
}

/// Demo accounts for one-click sign-in; empty unless the deployment runs in demo mode.
#[server]
pub async fn demo_accounts() -> Result<Vec<DemoAccount>, AppError> {
    use crate::server::guard::app_state;
    use crate::server::repo::users;
    let state = app_state()?;
    if !state.settings.demo {
        return Ok(Vec::new());
    }
    Ok(users::demo_accounts(&state.db.read).await?)
}

/// One-click sign-in as a demo account. Refused outside demo mode.
#[server]
pub async fn demo_sign_in(email: String) -> Result<String, AppError> {
    use crate::server::guard::app_state;
    use crate::server::repo::users;
    use imp::*;
    let state = app_state()?;
    if !state.settings.demo {
        return Err(AppError::Forbidden);
    }
    let email = crate::domain::validation::normalize_email(&email)?;
    let (user, _) = users::find_for_login(&state.db.read, &email)
        .await?
        .ok_or(AppError::NotFound)?;
    start_session(&state, user.id, None).await?;
    crate::server::guard::redirect_form_post("/");
    Ok("/".to_string())
}

/// Shown on the sign-in page in demo mode, next to the demo accounts.
pub const DEMO_PASSWORD_HINT: &str = "partner-demo-2026";
