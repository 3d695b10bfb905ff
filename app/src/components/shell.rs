//! The frame around every page: brand, role-based navigation, and the phone menu.
use super::session::use_session;
use crate::domain::identity::Role;
use crate::model::{NavBadges, SessionUser};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// One entry of the main navigation: a link, or a named group of links that opens as a
/// menu on wide screens and as a section on phones.
enum NavItem {
    Link(&'static str, &'static str),
    Group(&'static str, Vec<(&'static str, &'static str)>),
}

fn nav_items(user: Option<&SessionUser>) -> Vec<NavItem> {
    use NavItem::{Group, Link};
    match user.map(|u| u.role) {
        None => vec![Link("/login", "Sign in")],
        Some(Role::PartnerUser) => vec![
            Link("/", "Home"),
            Link("/learn", "Learning"),
            Link("/certificates", "Certificates"),
            Link("/deals", "Deals"),
            Link("/announcements", "Announcements"),
            Group(
                "Organisation",
                vec![
                    ("/my-org", "My organisation"),
                    ("/scorecard", "Scorecard"),
                    ("/tiers", "Tier"),
                    ("/policies", "Policies"),
                ],
            ),
        ],
        Some(role @ (Role::PartnerManager | Role::VendorAdmin)) => vec![
            Link("/", "Home"),
            Link("/partners", "Partners"),
            Link("/insights", "Insights"),
            Group(
                "Channel",
                vec![
                    ("/deals/pipeline", "Pipeline"),
                    ("/deals/queue", "Registrations"),
                    ("/deals/signals", "Warnings"),
                    ("/deals/renewals", "Renewals"),
                    ("/deals/settings", "Program rules"),
                ],
            ),
            Group(
                "Training",
                vec![
                    ("/learn", "Learning"),
                    ("/training-status", "Required training"),
                    ("/learner-questions", "Learner questions"),
                    ("/certificates/holders", "Certified people"),
                    ("/author", "Authoring"),
                ],
            ),
            Group(
                "Program",
                [
                    ("/tiers", "Tiers"),
                    ("/announcements/manage", "Announcements"),
                    ("/policies", "Policies"),
                ]
                .into_iter()
                // The CRM connection and its sync are the vendor admins'.
                .chain((role == Role::VendorAdmin).then_some(("/crm", "CRM sync")))
                .collect(),
            ),
        ],
    }
}

/// Whether `href` is the page at `pathname` (or a page under it).
fn is_current(href: &str, pathname: &str) -> bool {
    pathname == href
        || (href != "/" && pathname.starts_with(href) && pathname[href.len()..].starts_with('/'))
}

/// What waits behind a link, as a count and the words a screen reader adds to it.
fn waiting_at(href: &str, badges: &NavBadges) -> Option<(usize, &'static str)> {
    let (count, what) = match href {
        "/announcements" => (badges.announcements_waiting, "new or to acknowledge"),
        "/learn" => (badges.training_due, "required to finish"),
        "/deals/queue" => (badges.to_review, "waiting for review"),
        "/learner-questions" => (badges.questions_waiting, "waiting for an answer"),
        _ => return None,
    };
    (count > 0).then_some((count, what))
}

/// A count beside a link: the number shows, the words are for screen readers.
fn badge(waiting: Option<(usize, &'static str)>) -> impl IntoView {
    waiting.map(|(count, what)| {
        view! { <span class="nav-badge">{count}<span class="sr-only">{format!(" {what}")}</span></span> }
    })
}

fn nav_link(
    href: &'static str,
    label: &'static str,
    pathname: &str,
    badges: &NavBadges,
) -> impl IntoView {
    let current = is_current(href, pathname);
    view! {
        <li><a href=href aria-current=current.then_some("page")>{label}{badge(waiting_at(href, badges))}</a></li>
    }
}

/// The frame around every page. Server HTML only: the phone menu and the groups are
/// `<details>` elements, so they open before (and without) any script.
#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let pathname = location.pathname.get_untracked();
    let links = move || {
        session.user.get().map(|result| {
            let user = result.ok().flatten();
            // Badges are a help, never a reason to fail the page: none if they cannot load.
            let badges = session
                .badges
                .get()
                .and_then(Result::ok)
                .unwrap_or_default();
            let items = nav_items(user.as_ref())
                .into_iter()
                .map(|item| match item {
                    NavItem::Link(href, label) => nav_link(href, label, &pathname, &badges).into_any(),
                    NavItem::Group(label, links) => {
                        let holds_current = links.iter().any(|(href, _)| is_current(href, &pathname));
                        let waiting: usize = links
                            .iter()
                            .filter_map(|(href, _)| waiting_at(href, &badges))
                            .map(|(count, _)| count)
                            .sum();
                        view! {
                            <li class="nav-group" class:holds-current=holds_current>
                                <details>
                                    <summary>{label}{badge((waiting > 0).then_some((waiting, "waiting")))}</summary>
                                    <ul>{links.into_iter().map(|(href, label)| nav_link(href, label, &pathname, &badges)).collect_view()}</ul>
                                </details>
                            </li>
                        }
                        .into_any()
                    }
                })
                .collect_view();
            let account = user.map(|user| {
                let current = is_current("/account", &pathname);
                view! {
                    <a class="account-link" href="/account" aria-current=current.then_some("page")>
                        <span class="sr-only">"Account: "</span>{user.display_name}
                    </a>
                }
            });
            view! {
                <ul class="nav-items">{items}</ul>
                {account}
            }
        })
    };
    // A session from a link to one module or deal: say so, and offer the full sign-in.
    let limited = move || {
        let scope = session.user.get()?.ok()??.scope?;
        let what = if scope.starts_with("/deals/") {
            "this deal"
        } else if scope.starts_with("/announcements") {
            "your announcements"
        } else if scope.starts_with("/tiers") {
            "your organisation's tier"
        } else {
            "this module"
        };
        let sign_in = format!(
            "/login?next={}",
            super::load::encode_query_value(&location.pathname.get())
        );
        Some(view! {
            <p class="limited" role="note">
                "Opened from your email link: only " <a href=scope>{what}</a>
                " is open. " <a href=sign_in>"Sign in"</a> " for the whole portal."
            </p>
        })
    };
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Partner Portal"
            </a>
            <details class="menu">
                <summary class="menu-toggle">
                    <span class="menu-icon" aria-hidden="true"></span>
                    <span class="menu-label when-closed">"Menu"</span>
                    <span class="menu-label when-open">"Close"</span>
                </summary>
                <nav id="main-nav" class="main-nav" aria-label="Main">
                    <Transition fallback=|| ()>{links}</Transition>
                </nav>
            </details>
        </header>
        <Transition fallback=|| ()>{limited}</Transition>
        <main id="main" tabindex="-1">{children()}</main>
    }
}
