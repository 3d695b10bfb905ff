use crate::api::dev::ResetDemoData;
use crate::api::orgs::load_home;
use crate::components::form::{form_action, form_error, FormError, TextField};
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::domain::identity::Role;
use crate::domain::next_steps::NextTile;
use crate::model::{
    Headline, HomeData, HomeView, OrgDetail, ProgramOverview, SessionUser, StaffMember,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// One resource, created once: resources created inside re-running closures get different
/// ids on the server and in the browser, which breaks hydration.
#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| load_home());
    view! {
        <Title text="Home"/>
        {loaded(home, |HomeData { user, view }| match view {
            HomeView::Partner { detail, next } => view! { <PartnerHome user detail next/> }.into_any(),
            HomeView::Staff { overview, team, headlines, demo_reset } => view! { <StaffHome user overview team headlines demo_reset/> }.into_any(),
        })}
    }
}

#[component]
fn PartnerHome(user: SessionUser, detail: OrgDetail, next: Vec<NextTile>) -> impl IntoView {
    view! {
        <section class="page" aria-labelledby="home-title">
            <h1 id="home-title">"Welcome, " {user.display_name.clone()}</h1>
            <p class="lead">
                {user.job_role.map(|job| format!("{job} at ")).unwrap_or_default()}
                {user.partner_org_name.clone().unwrap_or_default()}
            </p>
            <WhatNext tiles=next/>
            <OrgSummaryCard detail/>
        </section>
    }
}

/// The partner's to-do list: one tile per thing waiting on them, each a link to where it
/// is done; urgent ones are marked in words as well as colour.
#[component]
fn WhatNext(tiles: Vec<NextTile>) -> impl IntoView {
    let count = tiles.len();
    view! {
        <section class="what-next" aria-labelledby="next-title">
            <h2 id="next-title">"What next"</h2>
            {if tiles.is_empty() {
                view! {
                    <p class="empty">
                        "Nothing waits on you right now. Browse "
                        <a href="/learn">"your learning"</a> " or "
                        <a href="/deals">"register a deal"</a> "."
                    </p>
                }.into_any()
            } else {
                view! {
                    <p class="meta" id="next-count">
                        {if count == 1 { "1 thing waits on you.".to_owned() } else { format!("{count} things wait on you.") }}
                    </p>
                    <ul class="next-tiles">
                        {tiles.into_iter().map(|tile| view! { <NextTileCard tile/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn NextTileCard(tile: NextTile) -> impl IntoView {
    let kind = tile.kind;
    view! {
        <li>
            <a class=if tile.urgent { "next-tile card urgent" } else { "next-tile card" } href=tile.href data-kind=format!("{kind:?}")>
                <span class="next-kind">
                    {tile.urgent.then(|| view! { <span class="badge urgent">"Urgent"</span> " " })}
                    {kind.heading()}
                </span>
                <span class="next-subject">{tile.subject}</span>
                {tile.at.map(|at| view! {
                    <span class="next-when">{kind.date_words()} " " <LocalTime ms=at/></span>
                })}
            </a>
        </li>
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
fn StaffHome(
    user: SessionUser,
    overview: ProgramOverview,
    team: Option<Vec<StaffMember>>,
    headlines: Vec<Headline>,
    demo_reset: bool,
) -> impl IntoView {
    let title = if user.role == Role::VendorAdmin {
        "Program administration"
    } else {
        "Channel overview"
    };
    view! {
        <section class="page" aria-labelledby="home-title">
            <h1 id="home-title">{title}</h1>
            <p class="lead">"Welcome, " {user.display_name.clone()} " (" {user.role.label()} ")"</p>
            <Headlines headlines/>
            <OverviewCards overview/>
            {team.map(|members| view! { <VendorTeam members/> })}
            {demo_reset.then(|| view! { <DemoReset/> })}
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

/// The program's headline figures, each a link into its insights view.
#[component]
fn Headlines(headlines: Vec<Headline>) -> impl IntoView {
    view! {
        <ul class="stats headlines" aria-label="Program headlines">
            {headlines.into_iter().map(|h| view! {
                <li>
                    <a class="stat card" href=h.href>
                        <span class="stat-label">{h.label}</span>
                        <span class="stat-value">{h.value}</span>
                        <span class="stat-detail">{h.detail}</span>
                    </a>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// Resetting the shared demo: a plain post, confirmed by typing RESET, far from anything
/// else on the page.
#[component]
fn DemoReset() -> impl IntoView {
    let reset = ServerAction::<ResetDemoData>::new();
    let error = form_error(reset, "demo-reset");
    view! {
        <section class="card demo-reset" aria-labelledby="demo-reset-title">
            <h2 id="demo-reset-title">"Demo data"</h2>
            <p>"This is a demo deployment. Resetting deletes everything visitors added (deals, paths, answers, settings) and loads the demo program again. Everyone is signed out, you too."</p>
            <form method="post" action={form_action::<ResetDemoData>("demo-reset")} novalidate=true>
                <FormError error form="demo-reset" fields=&["confirm"]/>
                <TextField form="demo-reset" label="Type RESET to confirm" name="confirm" autocomplete="off" error/>
                <button type="submit" class="button danger">"Reset demo data"</button>
            </form>
        </section>
    }
}
