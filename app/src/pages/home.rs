use crate::api::orgs::{load_program_overview, my_org, vendor_team};
use crate::components::load::{loaded, ErrorView, Loading};
use crate::components::session::use_session;
use crate::domain::identity::Role;
use crate::error::AppError;
use crate::model::{OrgDetail, ProgramOverview, SessionUser, StaffMember};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="Home"/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || session.user.get().map(|result| match result {
                Ok(Some(user)) if user.role == Role::PartnerUser => view! { <PartnerHome user/> }.into_any(),
                Ok(Some(user)) => view! { <StaffHome user/> }.into_any(),
                Ok(None) => view! { <ErrorView error=AppError::Unauthenticated/> }.into_any(),
                Err(error) => view! { <ErrorView error/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn PartnerHome(user: SessionUser) -> impl IntoView {
    let org = Resource::new(|| (), |_| my_org());
    view! {
        <section class="page" aria-labelledby="home-title">
            <h1 id="home-title">"Welcome, " {user.display_name.clone()}</h1>
            <p class="lead">
                {user.job_role.map(|job| format!("{job} at ")).unwrap_or_default()}
                {user.partner_org_name.clone().unwrap_or_default()}
            </p>
            {loaded(org, |detail| view! { <OrgSummaryCard detail/> })}
        </section>
    }
}

#[component]
pub fn OrgSummaryCard(detail: OrgDetail) -> impl IntoView {
    let org = detail.org;
    view! {
        <div class="card">
            <h2>{org.name.clone()}</h2>
            <dl class="facts">
                <div><dt>"Type"</dt><dd>{org.partner_type.label()}</dd></div>
                <div><dt>"Tier"</dt><dd><span class=format!("tier tier-{}", org.tier.as_str())>{org.tier.label()}</span></dd></div>
                <div><dt>"Region"</dt><dd>{org.region.clone()}</dd></div>
                <div><dt>"Vertical"</dt><dd>{org.vertical.clone()}</dd></div>
            </dl>
            <h3>"People (" {detail.members.len()} ")"</h3>
            <ul class="people">
                {detail.members.into_iter().map(|m| view! {
                    <li>
                        <span class="person-name">{m.display_name}</span>
                        <span class="person-detail">{m.job_role.map(|j| j.label()).unwrap_or("")} " · " {m.email}</span>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

#[component]
fn StaffHome(user: SessionUser) -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_program_overview());
    let is_admin = user.role == Role::VendorAdmin;
    let title = if is_admin {
        "Program administration"
    } else {
        "Channel overview"
    };
    view! {
        <section class="page" aria-labelledby="home-title">
            <h1 id="home-title">{title}</h1>
            <p class="lead">"Welcome, " {user.display_name.clone()} " (" {user.role.label()} ")"</p>
            {loaded(overview, |overview| view! { <OverviewCards overview/> })}
            {is_admin.then(|| {
                let team = Resource::new(|| (), |_| vendor_team());
                loaded(team, |members| view! { <VendorTeam members/> })
            })}
        </section>
    }
}

#[component]
fn OverviewCards(overview: ProgramOverview) -> impl IntoView {
    view! {
        <div class="stats">
            <a class="stat card" href="/partners">
                <span class="stat-value">{overview.org_count}</span>
                <span class="stat-label">"Partner organisations"</span>
            </a>
            <div class="stat card">
                <span class="stat-value">{overview.partner_user_count}</span>
                <span class="stat-label">"Partner users"</span>
            </div>
        </div>
        <div class="grid-2">
            <div class="card">
                <h2>"By tier"</h2>
                <ul class="bars">
                    {overview.by_tier.into_iter().map(|(tier, count)| view! {
                        <li><a href=format!("/partners?tier={}", tier.as_str())>{tier.label()}</a><span>{count}</span></li>
                    }).collect_view()}
                </ul>
            </div>
            <div class="card">
                <h2>"By type"</h2>
                <ul class="bars">
                    {overview.by_type.into_iter().map(|(kind, count)| view! {
                        <li><a href=format!("/partners?partner_type={}", kind.as_str())>{kind.label()}</a><span>{count}</span></li>
                    }).collect_view()}
                </ul>
            </div>
        </div>
    }
}

#[component]
fn VendorTeam(members: Vec<StaffMember>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="team-title">
            <h2 id="team-title">"Vendor team"</h2>
            <ul class="people">
                {members.into_iter().map(|member| view! {
                    <li>
                        <span class="person-name">{member.display_name}</span>
                        <span class="person-detail">
                            {format!("{} · {} · {} active sessions", member.role.label(), member.email, member.active_sessions)}
                        </span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
