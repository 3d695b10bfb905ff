//! Learners' replies to emails about a module (a new module, an overdue one, a
//! recertification): each learner has a private conversation with the channel team about
//! each module. Staff see every conversation and answer by email in the same thread; a
//! learner sees their own on the module's page.
use crate::error::AppError;
use crate::model::{DealMessage, ModuleConversation, ModuleThread};
use leptos::prelude::*;

/// Conversations listed at most (the newest first).
pub const MAX_THREADS: i64 = 100;

/// Every learner's conversation about a module, the latest first (vendor staff).
#[server]
pub async fn load_learner_questions() -> Result<Vec<ModuleThread>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let rows = crate::server::repo::replies::module_threads(&state.db, MAX_THREADS).await?;
    Ok(rows
        .into_iter()
        .map(|row| ModuleThread {
            path_id: row.path_id,
            module_title: row.module_title,
            learner_user_id: row.learner_user_id,
            learner: row.learner,
            organisation: row.organisation,
            messages: row.messages,
            last_at: row.last_at,
            awaiting_answer: row.last_from_partner == 1,
            last_excerpt: crate::domain::validation::as_one_line(&row.last_body)
                .chars()
                .take(140)
                .collect(),
        })
        .collect())
}

/// One learner's conversation about one module, with who an answer goes to (vendor staff).
#[server]
pub async fn load_module_conversation(
    path_id: i64,
    learner_user_id: i64,
) -> Result<ModuleConversation, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::replies::{self, Conversation};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let (module_title, learner) = replies::module_thread_names(&state.db, path_id, learner_user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let conversation = Conversation::Module {
        path_id,
        learner_user_id,
    };
    Ok(ModuleConversation {
        path_id,
        learner_user_id,
        module_title,
        learner,
        messages: crate::api::replies::conversation_messages(&state, conversation).await?,
        answer_to: crate::api::replies::answer_target(&state, conversation).await?,
    })
}

/// The signed-in learner's own conversation about a module (empty until they reply to an
/// email about it). A link that signs in for one module reaches only that module's.
#[server]
pub async fn load_my_module_conversation(path_id: i64) -> Result<Vec<DealMessage>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::replies::Conversation;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    actor.require_place(&crate::server::links::path_place(path_id))?;
    let state = app_state()?;
    crate::api::replies::conversation_messages(
        &state,
        Conversation::Module {
            path_id,
            learner_user_id: actor.user.id,
        },
    )
    .await
}

/// A staff answer to a learner's latest reply about a module: kept in their conversation
/// and emailed to them in the same thread. Plain form post; back to the conversation.
#[server]
pub async fn answer_learner_question(
    path_id: i64,
    learner_user_id: i64,
    body: String,
) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    use crate::server::repo::replies::{self, Conversation};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let body = crate::api::replies::checked_answer(&body)?;
    let (module_title, _) = replies::module_thread_names(&state.db, path_id, learner_user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = crate::api::replies::send_answer(
        &state,
        &actor,
        Conversation::Module {
            path_id,
            learner_user_id,
        },
        &format!("your question about \"{module_title}\""),
        body,
    )
    .await?;
    redirect_form_post(&format!(
        "/learner-questions/{path_id}/{learner_user_id}#conversation"
    ));
    Ok(id)
}
