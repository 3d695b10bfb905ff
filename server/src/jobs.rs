//! Background work: email delivery, deal clocks and housekeeping. Each job is safe to run late, twice,
//! or in several instances at once (see the claims in `repo::outbox`).
use app::domain::notifications::Event;
use app::domain::replies::ReplyTopic;
use app::server::repo::channel::{self, ChannelError};
use app::server::repo::outbox::Notice;
use app::server::repo::{magic_links, rate_limits, users};
use app::server::AppState;
use std::time::Duration;
use tokio::sync::watch;

const MAIL_POLL: Duration = Duration::from_secs(10);
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);
const QUIZ_EXPIRY_EVERY: Duration = Duration::from_secs(15);
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub fn spawn_all(state: AppState, stop: watch::Receiver<bool>) {
    tokio::spawn(deliver_email(state.clone(), stop.clone()));
    tokio::spawn(close_expired_quiz_attempts(state.clone(), stop.clone()));
    tokio::spawn(channel_clocks(state.clone(), stop.clone()));
    tokio::spawn(certification_clock(state.clone(), stop.clone()));
    tokio::spawn(announcement_reminders(state.clone(), stop.clone()));
    tokio::spawn(deliver_slack(state.clone(), stop.clone()));
    tokio::spawn(sync_crm(state.clone(), stop.clone()));
    tokio::spawn(housekeeping(state, stop));
}

/// Grades attempts whose time ran out while the learner was away, so results and cooldowns
/// do not wait for the learner's next visit.
async fn close_expired_quiz_attempts(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        match app::server::repo::quiz::submit_expired(&state.db, state.clock.now_ms()).await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "closed expired quiz attempts"),
            Err(error) => tracing::error!(%error, "closing expired quiz attempts failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(QUIZ_EXPIRY_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

const CHANNEL_CLOCKS_EVERY: Duration = Duration::from_secs(60);

/// What one run of the channel clocks did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ClockRun {
    pub expired: usize,
    pub escalated: usize,
    pub reminded: usize,
}

/// Days before a protection ends that its owner is reminded.
pub const EXPIRY_REMINDER_DAYS: i64 = 7;

/// The deal clocks: protections that ended expire, registrations past their approval SLA
/// are escalated to the partner managers, and owners are reminded 7 days before their
/// protection ends. Each is flagged on the deal in the same transaction that queues its
/// email, so a late run catches up, and a second run (or another instance) sends nothing.
pub async fn run_channel_clocks(state: &AppState) -> Result<ClockRun, ChannelError> {
    use app::domain::channel::clocks::{DAY_MS, HOUR_MS};
    use app::domain::channel::explain::protection_date;
    let db = &state.db;
    let now = state.clock.now_ms();
    let settings = channel::settings(db).await?;
    let mut run = ClockRun {
        expired: channel::expire_protections(db, now).await?,
        ..ClockRun::default()
    };
    let breaches =
        channel::unescalated_sla_breaches(db, now - settings.approval_sla_hours * HOUR_MS).await?;
    if !breaches.is_empty() {
        let managers = users::vendor_staff(&db.read).await?;
        for deal in breaches {
            let partner = deal.partner_name.as_deref().unwrap_or("Direct sales");
            let notices = app::server::deal_news::sla_breached(
                state,
                &managers,
                &deal.account_name,
                partner,
                settings.approval_sla_hours,
            );
            let rationale = format!(
                "No decision within the {}-hour approval SLA; escalated to {} partner managers.",
                settings.approval_sla_hours,
                managers.len()
            );
            if channel::flag_sla_escalated(db, deal.id, &rationale, &notices, now).await? {
                run.escalated += 1;
            }
        }
    }
    for deal in channel::unreminded_expiring(db, now, now + EXPIRY_REMINDER_DAYS * DAY_MS).await? {
        let Some(until) = deal.protected_until else {
            continue;
        };
        let notices =
            app::server::deal_news::protection_ending(state, deal.id, &deal.account_name, until)
                .await?;
        let rationale = format!(
            "Protection ends {}; the owner was reminded {EXPIRY_REMINDER_DAYS} days ahead.",
            protection_date(until)
        );
        if channel::flag_expiry_reminded(db, deal.id, &rationale, &notices, now).await? {
            run.reminded += 1;
        }
    }
    if run.escalated + run.reminded > 0 {
        state.mailer.wake();
    }
    Ok(run)
}

async fn channel_clocks(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        match run_channel_clocks(&state).await {
            Ok(run) if run == ClockRun::default() => {}
            Ok(run) => tracing::info!(?run, "channel clocks ran"),
            Err(error) => tracing::error!(%error, "channel clocks failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(CHANNEL_CLOCKS_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// What one run of the certification clock did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CertificationRun {
    pub issued: Vec<i64>,
    pub expired: Vec<i64>,
    /// Certificates whose holder was just reminded of the expiry (30 or 7 days ahead).
    pub reminded: Vec<i64>,
    /// Certificates whose recertification window was just opened (paths started over).
    pub reopened: Vec<i64>,
    /// Tier and rights changes that followed (issues, expiries, revenue ageing).
    pub standing: Vec<app::server::standing::StandingChange>,
}

/// Issues certificates learners have earned (a completion the request path did not get to
/// issue, e.g. a quiz graded by the expiry job) and records certificates that have ended.
/// Issues are keyed on the earning instant and expiries on a recorded-at column, so a run
/// that comes late catches up, and a second run (or another instance) changes nothing.
pub async fn run_certification_clock(state: &AppState) -> Result<CertificationRun, sqlx::Error> {
    use app::domain::certification::window_opens_at;
    use app::server::repo::certifications::{self, ExpiryLead};
    let definitions = certifications::certifications(&state.db).await?;
    let mut run = CertificationRun::default();
    // Completions whose recording was interrupted after the last step was saved; the
    // completion keeps the time of that step. Pages only read, so this is where they heal.
    for (user_id, path_id, done_at) in
        app::server::repo::learning::unrecorded_completion_candidates(&state.db).await?
    {
        app::server::repo::learning::record_completion_if_complete(
            &state.db, user_id, path_id, done_at,
        )
        .await
        .map_err(|error| match error {
            app::server::repo::learning::LearningError::Database(error) => error,
            other => sqlx::Error::Protocol(other.to_string()),
        })?;
    }
    for user_id in certifications::learners_with_certification_progress(&state.db).await? {
        run.issued
            .extend(certifications::issue_earned(&state.db, &definitions, user_id).await?);
    }
    let now = state.clock.now_ms();
    run.expired = certifications::record_expiries(&state.db, now).await?;
    // Every organisation's tier and rights, from what is valid now: certificates issued by
    // the request path or above, expiries, and revenue leaving the 12-month window.
    run.standing = app::server::standing::reevaluate(
        state,
        None,
        "Automatic review of certificates and revenue",
    )
    .await?;
    // The 7-day reminder first: it also settles the 30-day one, so a late run sends one.
    for lead in [ExpiryLead::SevenDays, ExpiryLead::ThirtyDays] {
        let until = now + lead.days() * DAY_MS;
        for (certificate_id, user_id, email, name, certification, certification_id, expires_at) in
            certifications::expiry_reminders_due(&state.db, now, until, lead).await?
        {
            let definition = definitions.iter().find(|d| d.id == certification_id);
            // Straight into the certification's first path, to recertify.
            let first_path = definition.and_then(|d| d.path_ids.first().copied());
            let link = recertify_link(state, user_id, first_path).await?;
            let date = app::domain::channel::explain::protection_date(expires_at);
            let window_days = definition.map_or(0, |d| d.recert_window_days);
            let opens_at = window_opens_at(expires_at, window_days);
            // A window shorter than 30 days is not open yet at the first reminder.
            let next_step = if now >= opens_at {
                format!(
                    "Recertify before then to keep it, and the rights it gives your organisation:\n\n{link}\n"
                )
            } else {
                format!(
                    "Recertification opens on {}; we will email you the link then. Until then \
                     your certificate and its rights stay as they are:\n\n{link}\n",
                    app::domain::channel::explain::protection_date(opens_at)
                )
            };
            let notice = Notice {
                event: Event::CertificationExpiring,
                to: email,
                subject: format!("Your {certification} certificate expires {date}"),
                body: format!(
                    "Hello {name},\n\nYour {certification} certificate expires on {date}. {next_step}"
                ),
                thread: module_thread(state, first_path),
            };
            if certifications::flag_expiry_reminder(&state.db, certificate_id, lead, &notice, now)
                .await?
            {
                run.reminded.push(certificate_id);
            }
        }
    }
    // After the reminders: a late run whose reminder already said "recertify" and carried
    // the link opens the window without a second email.
    run.reopened = open_recertification_windows(state, &definitions, now).await?;
    if !run.reminded.is_empty() || !run.reopened.is_empty() {
        state.mailer.wake();
    }
    Ok(run)
}

/// Opens the recertification window of every certificate whose window has come (or which
/// ended, for a certification without one): the paths that earned it start over, so
/// completing them again renews it, and the holder is told, with a link into the first of
/// them. Each certificate is handled once, in one transaction, however late or often this
/// runs. Returns the certificates opened.
async fn open_recertification_windows(
    state: &AppState,
    definitions: &[app::server::repo::certifications::CertificationDef],
    now: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    use app::domain::certification::paths_to_reopen;
    use app::server::repo::{certifications, learning};
    let mut opened = Vec::new();
    for window in certifications::recertification_windows_due(&state.db, now).await? {
        let Some(definition) = definitions.iter().find(|d| d.id == window.certification_id) else {
            continue;
        };
        let completions = learning::completions(&state.db, window.user_id).await?;
        let paths = paths_to_reopen(&definition.path_ids, &completions, window.issued_at);
        let notice = if window.needs_email() {
            Some(recertification_notice(state, &window, definition, &paths, now).await?)
        } else {
            None
        };
        if certifications::open_recertification(&state.db, &window, &paths, notice.as_ref(), now)
            .await?
        {
            opened.push(window.certificate_id);
        }
    }
    Ok(opened)
}

/// A link that opens `path` for the holder without a sign-in; the certificates page when the
/// certification has no path.
async fn recertify_link(
    state: &AppState,
    user_id: i64,
    path: Option<i64>,
) -> Result<String, sqlx::Error> {
    match path {
        Some(path) => {
            app::server::links::place_link(state, user_id, &app::server::links::path_place(path))
                .await
        }
        None => Ok(format!("{}/certificates", state.settings.public_base_url)),
    }
}

/// What makes an email that leads into a module answerable: a reply becomes a question
/// about that module.
fn module_thread(state: &AppState, path: Option<i64>) -> Option<app::server::repo::outbox::Thread> {
    path.map(|path| app::server::mail::thread(state, ReplyTopic::Module(path)))
}

/// The "recertification window open" email (or, after a lapse, "recertify").
async fn recertification_notice(
    state: &AppState,
    window: &app::server::repo::certifications::WindowDue,
    definition: &app::server::repo::certifications::CertificationDef,
    reopened_paths: &[i64],
    now: i64,
) -> Result<Notice, sqlx::Error> {
    let first_path = reopened_paths
        .first()
        .or(definition.path_ids.first())
        .copied();
    let link = recertify_link(state, window.user_id, first_path).await?;
    let date = app::domain::channel::explain::protection_date(window.expires_at);
    let certification = &window.certification_name;
    let count = reopened_paths.len().max(1);
    let paths = if count == 1 {
        "its learning path".to_string()
    } else {
        format!("its {count} learning paths")
    };
    let (subject, opening) = if now < window.expires_at {
        (
            format!("Recertification is open for your {certification} certificate"),
            format!(
                "Your {certification} certificate expires on {date}. Your recertification window is \
                 open: complete {paths} again to renew it. Renewing early costs you nothing: the \
                 new certificate runs on from {date}."
            ),
        )
    } else {
        (
            format!("Your {certification} certificate has expired: recertify"),
            format!(
                "Your {certification} certificate expired on {date}. Complete {paths} again to \
                 earn it back, with the rights it gives your organisation."
            ),
        )
    };
    Ok(Notice {
        event: Event::RecertificationOpen,
        to: window.email.clone(),
        subject,
        body: format!(
            "Hello {},\n\n{opening} Your earlier results stay in your history.\n\nStart here \
             ({}):\n\n{link}\n",
            window.name,
            app::server::links::link_terms(state)
        ),
        thread: module_thread(state, first_path),
    })
}

const CERTIFICATION_CLOCK_EVERY: Duration = Duration::from_secs(60);

async fn certification_clock(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        match run_certification_clock(&state).await {
            Ok(run) if run == CertificationRun::default() => {}
            Ok(run) => tracing::info!(
                issued = run.issued.len(),
                expired = run.expired.len(),
                reminded = run.reminded.len(),
                standing_changes = run.standing.len(),
                "certification clock ran"
            ),
            Err(error) => tracing::error!(%error, "certification clock failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(CERTIFICATION_CLOCK_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Reminds, once each, the people who have not acknowledged an announcement that needs it,
/// three days after delivery. The reminder is flagged and queued in one transaction.
pub async fn run_announcement_reminders(state: &AppState) -> Result<usize, sqlx::Error> {
    use app::domain::announcements::{DAY_MS as ANNOUNCEMENT_DAY_MS, REMINDER_AFTER_DAYS};
    use app::server::repo::announcements;
    let now = state.clock.now_ms();
    let due =
        announcements::reminders_due(&state.db, now - REMINDER_AFTER_DAYS * ANNOUNCEMENT_DAY_MS)
            .await?;
    let mut sent = 0;
    for (announcement_id, user_id, email, name, title) in due {
        let link =
            app::server::links::place_link(state, user_id, app::server::links::ANNOUNCEMENTS_PLACE)
                .await?;
        let notice = Notice {
            event: Event::AnnouncementReminder,
            to: email,
            subject: format!("Please acknowledge: {title}"),
            body: format!(
                "Hello {name},\n\nThe announcement \"{title}\" needs your acknowledgment. Read it and \
                 acknowledge it here ({}):\n\n{link}\n",
                app::server::links::link_terms(state)
            ),
            thread: None,
        };
        if announcements::flag_reminded(&state.db, announcement_id, user_id, &notice, now).await? {
            sent += 1;
        }
    }
    if sent > 0 {
        state.mailer.wake();
    }
    Ok(sent)
}

/// Tells each partner, once, that a required path of their audience is past its due date
/// (the program's period after it was assigned to them) and still unfinished, with a link straight into
/// it. Flagged and queued in one transaction, so a late or second run sends nothing more.
pub async fn run_training_reminders(state: &AppState) -> Result<usize, sqlx::Error> {
    use app::server::repo::{announcements, learning};
    let paths = learning::required_paths(&state.db).await?;
    if paths.is_empty() {
        return Ok(0);
    }
    let now = state.clock.now_ms();
    let due_days = match channel::settings(&state.db).await {
        Ok(settings) => settings.required_training_due_days,
        Err(error) => {
            tracing::error!(%error, "program settings unreadable; training reminders wait");
            return Ok(0);
        }
    };
    let people = announcements::recipients(&state.db).await?;
    let settled = learning::settled_required_training(&state.db).await?;
    let mut sent = 0;
    for path in &paths {
        let Some(assignees) = learning::assignees(path, &people, due_days) else {
            continue;
        };
        for (person, due) in assignees {
            if now < due || settled.contains(&(person.user_id, path.id)) {
                continue;
            }
            let place = app::server::links::path_place(path.id);
            let link = app::server::links::place_link(state, person.user_id, &place).await?;
            let date = app::domain::channel::explain::protection_date(due);
            let notice = Notice {
                event: Event::TrainingOverdue,
                to: person.email.clone(),
                subject: format!("Overdue: {} was due {date}", path.title),
                body: format!(
                    "Hello {},\n\nThe required module \"{}\" was due on {date} and is not finished \
                     yet. Pick up where you left off ({}):\n\n{link}\n",
                    person.name,
                    path.title,
                    app::server::links::link_terms(state)
                ),
                thread: Some(app::server::mail::thread(
                    state,
                    ReplyTopic::Module(path.id),
                )),
            };
            if learning::flag_training_overdue(&state.db, person.user_id, path.id, &notice, now)
                .await?
            {
                sent += 1;
            }
        }
    }
    if sent > 0 {
        state.mailer.wake();
    }
    Ok(sent)
}

const ANNOUNCEMENT_REMINDERS_EVERY: Duration = Duration::from_secs(300);

/// Announcement and required-training reminders: both are about a partner's to-do list.
async fn announcement_reminders(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        match run_announcement_reminders(&state).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "announcement reminders queued"),
            Err(error) => tracing::error!(%error, "announcement reminders failed"),
        }
        match run_training_reminders(&state).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "overdue training reminders queued"),
            Err(error) => tracing::error!(%error, "training reminders failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(ANNOUNCEMENT_REMINDERS_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn deliver_email(state: AppState, mut stop: watch::Receiver<bool>) {
    if !state.mailer.is_configured() {
        return;
    }
    loop {
        if let Err(error) = state.mailer.deliver_due(&state).await {
            tracing::error!(%error, "email delivery run failed");
        }
        tokio::select! {
            _ = state.mailer.woken() => {}
            _ = tokio::time::sleep(MAIL_POLL) => {}
            _ = stop.changed() => return,
        }
    }
}

const SLACK_POLL: Duration = Duration::from_secs(10);
/// How long a sender holds a Slack message before another instance may try it.
const SLACK_LEASE_MS: i64 = 60_000;

/// Posts due Slack messages to the program's incoming webhook, each once across instances
/// (a lease claimed by a conditional update), retrying failures with back-off. Returns how
/// many were posted.
pub async fn run_slack_delivery(
    state: &AppState,
    client: &reqwest::Client,
) -> Result<usize, sqlx::Error> {
    use app::domain::retry::{backoff_ms, should_retry};
    use app::server::repo::notifications;
    let Some(url) = notifications::slack_webhook(&state.db, &state.settings.secret_key).await?
    else {
        return Ok(0);
    };
    // Checked again at sending: an address saved before this deployment went to production
    // (or written to the database directly) is not posted to.
    if let Err(reason) =
        app::domain::notifications::checked_webhook_url(&url, state.settings.webhook_hosts())
    {
        tracing::warn!(%reason, "the saved Slack webhook is not allowed here; messages stay queued");
        return Ok(0);
    }
    let now = state.clock.now_ms();
    let mut sent = 0;
    for id in notifications::slack_due(&state.db, now, 50).await? {
        let Some((body, attempts)) =
            notifications::claim_slack(&state.db, id, now, now + SLACK_LEASE_MS).await?
        else {
            continue;
        };
        let response = client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let failure = match response {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("Slack answered {}", response.status())),
            Err(error) => Some(format!("could not reach Slack: {error}")),
        };
        match failure {
            None => {
                notifications::record_slack_attempt(&state.db, id, Ok(state.clock.now_ms()))
                    .await?;
                sent += 1;
            }
            Some(error) => {
                let next = should_retry(attempts + 1).then(|| now + backoff_ms(attempts));
                tracing::warn!(id, %error, retry = next.is_some(), "Slack post failed");
                notifications::record_slack_attempt(&state.db, id, Err((&error, next))).await?;
            }
        }
    }
    Ok(sent)
}

async fn deliver_slack(state: AppState, mut stop: watch::Receiver<bool>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        // A redirect could lead the post away from the checked webhook host.
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "no HTTP client for Slack; Slack messages stay queued");
            return;
        }
    };
    loop {
        if let Err(error) = run_slack_delivery(&state, &client).await {
            tracing::error!(%error, "Slack delivery run failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(SLACK_POLL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Sends the CRM outbox. Waits first: nothing is connected at start-up that was not
/// connected before, and a restarted instance picks up where the leases left off.
async fn sync_crm(state: AppState, mut stop: watch::Receiver<bool>) {
    let client = app::server::crm::hubspot::http_client();
    let every = Duration::from_millis(state.settings.crm_sync_interval_ms);
    // Reading back from the CRM uses its search API (its own, smaller budget): once a minute.
    let poll_every = every.max(Duration::from_secs(60));
    let mut polled: Option<tokio::time::Instant> = None;
    // Not at start-up: a restart loop must not spend the CRM's budget on checks.
    let mut schema_checked = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = state.crm_wake.notified() => {}
            _ = stop.changed() => return,
        }
        match app::server::crm::sync::apply_webhook_events(&state, &client).await {
            Ok(run) if run.changed > 0 => tracing::info!(?run, "CRM webhook changes applied"),
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "CRM webhook events failed"),
        }
        match app::server::crm::sync::run(&state, &client).await {
            Ok(run) if run.requests > 0 => tracing::info!(?run, "CRM sync run"),
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "CRM sync run failed"),
        }
        if schema_checked.elapsed() >= Duration::from_secs(86_400) {
            schema_checked = tokio::time::Instant::now();
            if let Err(error) = app::server::crm::sync::check_schemas(&state, &client).await {
                tracing::error!(%error, "CRM schema check failed");
            }
        }
        if polled.is_some_and(|at| at.elapsed() < poll_every) {
            continue;
        }
        polled = Some(tokio::time::Instant::now());
        match app::server::crm::sync::poll(&state, &client).await {
            Ok(run) if run.changed > 0 => tracing::info!(?run, "CRM changes applied"),
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "CRM poll failed"),
        }
    }
}

/// Removes rows no rule looks at any more.
pub async fn run_housekeeping(state: &AppState) -> Result<(), sqlx::Error> {
    let now = state.clock.now_ms();
    magic_links::purge_dead(&state.db, now).await?;
    rate_limits::purge_before(&state.db, now - DAY_MS).await?;
    app::server::repo::crm::purge_webhook_log(&state.db, now - DAY_MS, now - 30 * DAY_MS).await?;
    Ok(())
}

async fn housekeeping(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(error) = run_housekeeping(&state).await {
            tracing::error!(%error, "housekeeping failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(HOUSEKEEPING_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}
