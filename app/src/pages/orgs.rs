use super::home::OrgSummaryCard;
use crate::api::orgs::{list_partner_orgs, my_org, partner_org};
use crate::components::load::loaded;
use crate::domain::identity::{PartnerType, Tier};
use crate::error::AppError;
use crate::model::PartnerOrgSummary;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn PartnersPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let orgs = Resource::new(
        move || (param("partner_type"), param("tier"), param("search")),
        |(partner_type, tier, search)| list_partner_orgs(partner_type, tier, search),
    );
    view! {
        <Title text="Partners"/>
        <section class="page" aria-labelledby="partners-title">
            <h1 id="partners-title">"Partner organisations"</h1>
            <form method="get" action="/partners" class="filters card" role="search" aria-label="Filter partners">
                <div class="field">
                    <label for="filter-search">"Name"</label>
                    <input id="filter-search" name="search" type="search" value=move || param("search").unwrap_or_default()/>
                </div>
                <FilterSelect
                    label="Type"
                    name="partner_type"
                    any="Any type"
                    options=PartnerType::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
                    current=Signal::derive(move || param("partner_type"))
                />
                <FilterSelect
                    label="Tier"
                    name="tier"
                    any="Any tier"
                    options=Tier::ALL.iter().map(|t| (t.as_str(), t.label())).collect()
                    current=Signal::derive(move || param("tier"))
                />
                <button type="submit" class="button">"Apply filters"</button>
            </form>
            {loaded(orgs, |orgs| view! { <OrgList orgs/> })}
        </section>
    }
}

/// A labelled drop-down for a query-string filter; the empty option means "any".
#[component]
fn FilterSelect(
    label: &'static str,
    name: &'static str,
    any: &'static str,
    options: Vec<(&'static str, &'static str)>,
    current: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="">{any}</option>
                {options.into_iter().map(|(value, text)| view! {
                    <option value=value selected=move || current.get().as_deref() == Some(value)>{text}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn OrgList(orgs: Vec<PartnerOrgSummary>) -> impl IntoView {
    if orgs.is_empty() {
        return view! { <p class="empty">"No partner organisations match these filters."</p> }
            .into_any();
    }
    view! {
        <p class="count" role="status">{orgs.len()} " organisations"</p>
        <ul class="card-list">
            {orgs.into_iter().map(|org| view! {
                <li class="card org-card">
                    <a class="org-name" href=format!("/partners/{}", org.id)>{org.name}</a>
                    <span class=format!("tier tier-{}", org.tier.as_str())>{org.tier.label()}</span>
                    <span class="org-detail">{org.partner_type.label()} " · " {org.region} " · " {org.vertical}</span>
                    <span class="org-detail">{org.member_count} " people"</span>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn PartnerDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => partner_org(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Title text="Partner"/>
        <section class="page" aria-labelledby="org-title">
            <h1 id="org-title" class="sr-only">"Partner organisation"</h1>
            <p><a href="/partners">"← All partners"</a></p>
            {loaded(detail, |detail| view! { <OrgSummaryCard detail/> })}
        </section>
    }
}

#[component]
pub fn MyOrgPage() -> impl IntoView {
    let detail = Resource::new(|| (), |_| my_org());
    view! {
        <Title text="My organisation"/>
        <section class="page" aria-labelledby="org-title">
            <h1 id="org-title">"My organisation"</h1>
            {loaded(detail, |detail| view! { <OrgSummaryCard detail/> })}
        </section>
    }
}
