//! Learners' questions about modules, for the channel team: every learner who answered an
//! email about a module (a new one, an overdue one, a recertification), newest first, and
//! each conversation with the answer form (a plain post that works before hydration). The
//! learner's own side shows on the module's page.
use crate::api::learner_questions::{
    load_learner_questions, load_module_conversation, load_my_module_conversation,
    AnswerLearnerQuestion,
};
use crate::components::form::{form_action, form_error};
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::error::AppError;
use crate::model::{ModuleConversation, ModuleThread};
use crate::pages::conversation::{AnswerForm, MessageList};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LearnerQuestionsPage() -> impl IntoView {
    let threads = Resource::new(|| (), |_| load_learner_questions());
    view! {
        <Title text="Learner questions"/>
        <section class="page" aria-labelledby="questions-title">
            <h1 id="questions-title">"Learner questions"</h1>
            <p class="lead">"When a learner answers an email about a module, their words land here and on their contact in the CRM. Your answer is emailed to them in the same thread."</p>
            {loaded(threads, |threads| view! { <Threads threads/> })}
        </section>
    }
}

#[component]
fn Threads(threads: Vec<ModuleThread>) -> impl IntoView {
    if threads.is_empty() {
        return view! {
            <p class="empty">"No learner has replied to a module email yet."</p>
        }
        .into_any();
    }
    let waiting = threads.iter().filter(|t| t.awaiting_answer).count();
    let summary = match waiting {
        0 => "Every conversation has an answer.".to_string(),
        1 => "1 conversation waits for an answer.".to_string(),
        n => format!("{n} conversations wait for an answer."),
    };
    view! {
        <p class="receipts">{summary}</p>
        <ul class="card-list">
            {threads.into_iter().map(|thread| {
                let href = format!("/learner-questions/{}/{}", thread.path_id, thread.learner_user_id);
                let count = match thread.messages {
                    1 => "1 message".to_string(),
                    n => format!("{n} messages"),
                };
                let who = if thread.organisation.is_empty() {
                    thread.learner.clone()
                } else {
                    format!("{} · {}", thread.learner, thread.organisation)
                };
                view! {
                    <li class="card question-card">
                        <div class="path-head">
                            <h2><a href=href>{thread.module_title}</a></h2>
                            {thread.awaiting_answer.then(|| view! { <span class="badge required">"Waiting for an answer"</span> })}
                        </div>
                        <p class="meta">{who}</p>
                        <p class="excerpt">{thread.last_excerpt}</p>
                        <p class="hint">{count} " · last " <LocalTime ms=thread.last_at/></p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn LearnerConversationPage() -> impl IntoView {
    use leptos_router::hooks::use_params_map;
    let params = use_params_map().read_untracked();
    let number = |name: &str| params.get(name).and_then(|v| v.parse::<i64>().ok());
    let ids = number("path_id").zip(number("learner_id"));
    let conversation = Resource::new(
        move || ids,
        |ids| async move {
            match ids {
                Some((path_id, learner_user_id)) => {
                    load_module_conversation(path_id, learner_user_id).await
                }
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Learner question"/>
        <section class="page" aria-labelledby="conversation-title">
            <p><a href="/learner-questions">"All learner questions"</a></p>
            {loaded(conversation, |conversation| view! { <Conversation conversation/> })}
        </section>
    }
}

#[component]
fn Conversation(conversation: ModuleConversation) -> impl IntoView {
    let answer = ServerAction::<AnswerLearnerQuestion>::new();
    let item = format!(
        "question-{}-{}",
        conversation.path_id, conversation.learner_user_id
    );
    let error = form_error(answer, &item);
    let answer_form = conversation.answer_to.map(|to| {
        view! {
            <AnswerForm action={form_action::<AnswerLearnerQuestion>(&item)} item=item.clone() error to
                label="Answer the learner"
                hidden={vec![
                    ("path_id", conversation.path_id.to_string()),
                    ("learner_user_id", conversation.learner_user_id.to_string()),
                ]}/>
        }
    });
    view! {
        <h1 id="conversation-title">{conversation.module_title.clone()}</h1>
        <p class="lead">"A conversation with " <strong>{conversation.learner}</strong> " about this module. "
            <a href=format!("/author/{}", conversation.path_id)>"Edit the module"</a></p>
        <div id="conversation" class="conversation">
            <MessageList messages=conversation.messages empty="No messages yet."/>
            {answer_form}
        </div>
    }
}

/// The learner's own conversation about a module, on the module's page: shown once they
/// have replied to an email about it.
#[component]
pub fn MyModuleQuestions(path_id: i64) -> impl IntoView {
    let messages = Resource::new(move || path_id, load_my_module_conversation);
    view! {
        <Suspense fallback=|| ()>
            {move || messages.get().map(|loaded| match loaded {
                Ok(messages) if !messages.is_empty() => view! {
                    <section id="questions" class="conversation" aria-labelledby="questions-title">
                        <h2 id="questions-title">"Your questions about this module"</h2>
                        <MessageList messages empty=""/>
                        <p class="hint">"To write again, reply to the latest email about this module."</p>
                    </section>
                }.into_any(),
                // Nothing asked yet (or not for this viewer): nothing to show.
                _ => ().into_any(),
            })}
        </Suspense>
    }
}
