//! The frame around every page: brand, role-based navigation, and the phone menu.
use super::session::use_session;
use crate::domain::identity::Role;
use crate::model::SessionUser;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

fn nav_links(user: Option<SessionUser>) -> Vec<(&'static str, &'static str)> {
    match user.map(|u| u.role) {
        None => vec![("/login", "Sign in")],
        Some(Role::PartnerUser) => vec![
            ("/", "Home"),
            ("/learn", "Learning"),
            ("/certificates", "Certificates"),
            ("/tiers", "Tier"),
            ("/deals", "Deals"),
            ("/announcements", "Announcements"),
            ("/policies", "Policies"),
            ("/my-org", "My organisation"),
            ("/account", "Account"),
        ],
        Some(Role::PartnerManager | Role::VendorAdmin) => vec![
            ("/", "Home"),
            ("/partners", "Partners"),
            ("/deals/pipeline", "Pipeline"),
            ("/deals/queue", "Registrations"),
            ("/deals/signals", "Warnings"),
            ("/deals/renewals", "Renewals"),
            ("/deals/settings", "Program rules"),
            ("/learn", "Learning"),
            ("/training-status", "Required training"),
            ("/certificates/holders", "Certified people"),
            ("/tiers", "Tiers"),
            ("/announcements/manage", "Announcements"),
            ("/policies", "Policies"),
            ("/author", "Authoring"),
            ("/account", "Account"),
        ],
    }
}

#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let session = use_session();
    let menu_open = RwSignal::new(false);
    let location = use_location();
    // Close the phone menu after navigating.
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    // Marks the page as live, for people debugging and for the end-to-end tests.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    let links = move || {
        session.user.get().map(|result| {
            let user = result.ok().flatten();
            let pathname = location.pathname.get();
            let who = user.as_ref().map(|u| u.display_name.clone());
            let items = nav_links(user)
                .into_iter()
                .map(|(href, label)| {
                    let current = pathname == href || (href != "/" && pathname.starts_with(href));
                    view! {
                        <li>
                            <a href=href aria-current=current.then_some("page")>{label}</a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <ul>{items}</ul>
                {who.map(|name| view! { <p class="who">"Signed in as " <strong>{name}</strong></p> })}
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
            <button
                type="button"
                class="menu-toggle"
                aria-controls="main-nav"
                aria-expanded=move || menu_open.get().to_string()
                on:click=move |_| menu_open.update(|open| *open = !*open)
            >
                <span class="menu-icon" aria-hidden="true"></span>
                <span class="menu-label">{move || if menu_open.get() { "Close" } else { "Menu" }}</span>
            </button>
            <nav id="main-nav" class="main-nav" class:open=move || menu_open.get() aria-label="Main">
                <Transition fallback=|| ()>{links}</Transition>
            </nav>
        </header>
        <Transition fallback=|| ()>{limited}</Transition>
        <main id="main" tabindex="-1">{children()}</main>
    }
}
