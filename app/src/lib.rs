//! Partner Portal: isomorphic types, components and server functions.
//! `ssr` and `hydrate` are switched on by the server and frontend crates respectively.
// Deep view types: the quiz page nests the whole quiz runner, whose type the compiler lays out
// when the runner is a plain component (bundles without the quiz island).
#![recursion_limit = "256"]
pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use components::raw_text::page_title;
use components::shell::AppShell;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use pages::*;

/// Hashed file names of the built front end, read by the server at start-up.
#[derive(Debug, Clone, Default)]
pub struct AssetManifest {
    /// Each browser bundle's JS and wasm, by bundle name (`BUNDLES`).
    pub bundles: std::collections::BTreeMap<String, (String, String)>,
    pub css: String,
}

/// A browser bundle and the islands it carries; `None` means every island.
pub struct Bundle {
    pub name: &'static str,
    pub islands: Option<&'static [&'static str]>,
}

/// The bundles, smallest first: a page loads the first that carries all of its islands, so
/// learners never download the quiz runner on a reading step, nor the deal checks anywhere
/// but where they register deals. Each is one build of the
/// `frontend` crate (`scripts/build.sh`); `tests::bundles_match_the_islands_and_the_build`
/// holds this list, the islands' features and the build to each other. "full" (every
/// island, `all-islands`) is for a one-bundle build such as `cargo leptos watch`.
pub const BUNDLES: [Bundle; 4] = [
    Bundle {
        name: "learner",
        islands: Some(&["EnhancedForm", "LessonVideo", "ReadReceipt"]),
    },
    Bundle {
        name: "quiz",
        islands: Some(&["TakeQuiz"]),
    },
    Bundle {
        name: "checks",
        islands: Some(&[
            "EnhancedForm",
            "ReadReceipt",
            "CustomerCheck",
            "CheckCredentialForm",
            "MarkdownPreview",
        ]),
    },
    Bundle {
        name: "full",
        islands: None,
    },
];

/// The HTML document around the app. Server only: it names the hashed asset files.
pub fn shell(assets: AssetManifest) -> impl IntoView {
    // Islands mode: the page is server HTML and only `#[island]`s hydrate. Nothing outside an
    // island is hydrated, so the renderer must not emit hydration markers for it.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let loader = island_loader(&assets);
    let nonce = leptos::nonce::use_nonce();
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        nonce.as_ref(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        // The CRM page's "Connect with HubSpot" form is answered with a redirect to
        // HubSpot's consent screen, which form-action must allow.
        let consent = use_context::<server::AppState>().and_then(|state| {
            domain::hubspot_oauth::origin_of(&state.settings.hubspot_authorize_url)
        });
        response.insert_header(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_str(&content_security_policy(nonce, consent.as_deref()))
                .expect("a nonce is base64 and an origin is checked"),
        );
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="stylesheet" href=format!("/pkg/{}", assets.css)/>
                <link rel="icon" href="/favicon.svg" r#type="image/svg+xml"/>
                <script type="module" nonce=nonce>{loader}</script>
                <leptos_meta::MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The loader's list of bundles, in `BUNDLES` order, with their hashed files (JSON).
fn bundle_table(assets: &AssetManifest) -> String {
    let table: Vec<serde_json::Value> = BUNDLES
        .iter()
        .filter_map(|bundle| {
            let (js, wasm) = assets.bundles.get(bundle.name)?;
            Some(serde_json::json!({ "islands": bundle.islands, "js": js, "wasm": wasm }))
        })
        .collect();
    serde_json::Value::Array(table).to_string()
}

/// The page's only script: shows instants in the viewer's time zone, counts down waits
/// (`components::time::Countdown`), and, when the page has
/// islands, loads the wasm and hydrates each island (outer islands before the islands inside
/// their children, which need the outer owner). A page without islands downloads no script
/// or wasm at all. `data-hydrated` on the body says the page is live (used by the tests).
fn island_loader(assets: &AssetManifest) -> String {
    format!(
        r#"const localise = () => {{
  const when = new Intl.DateTimeFormat(undefined, {{ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }});
  for (const node of document.querySelectorAll('time[data-local]')) {{
    const at = new Date(node.getAttribute('datetime'));
    if (!Number.isNaN(at.getTime())) node.textContent = when.format(at);
  }}
}};
const loadedAt = Date.now();
const countdown = () => {{
  const clocks = [...document.querySelectorAll('[data-countdown]')];
  const words = (ms) => {{
    const secs = Math.ceil(Math.max(0, ms) / 1000);
    const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
    return h ? `${{h}} h ${{m}} min ${{s}} s` : m ? `${{m}} min ${{s}} s` : `${{s}} s`;
  }};
  const tick = () => {{
    let running = false;
    for (const clock of clocks) {{
      if (clock.hidden) continue;
      const serverNow = Number(clock.dataset.now) + (Date.now() - loadedAt);
      const left = Number(clock.dataset.countdown) - serverNow;
      if (left > 0) {{
        running = true;
        const out = clock.querySelector('[data-remaining]');
        if (out) out.textContent = words(left);
      }} else {{
        clock.hidden = true;
        const opens = document.getElementById(clock.dataset.opens);
        if (opens) opens.hidden = false;
      }}
    }}
    if (running) setTimeout(tick, 1000);
  }};
  if (clocks.length) tick();
}};
const live = () => document.body.setAttribute('data-hydrated', 'true');
const confirm = () => {{
  const done = sessionStorage.getItem('{flash}');
  if (!done) return;
  sessionStorage.removeItem('{flash}');
  const note = document.createElement('p');
  note.className = 'success flash';
  note.setAttribute('role', 'status');
  note.textContent = done;
  document.getElementById('main')?.prepend(note);
}};
const start = () => {{
  localise();
  confirm();
  countdown();
  const islands = [...document.querySelectorAll('leptos-island')];
  if (!islands.length) {{ live(); return; }}
  const names = islands.map((island) => island.dataset.component.replace(/_\d+$/, ''));
  const bundles = {bundles};
  const bundle = bundles.find((b) => !b.islands || names.every((n) => b.islands.includes(n))) ?? bundles[bundles.length - 1];
  import(`/pkg/${{bundle.js}}`).then(async (bindings) => {{
    await bindings.default({{ module_or_path: `/pkg/${{bundle.wasm}}` }});
    bindings.hydrate();
    const pending = [];
    const visit = async (node) => {{
      for (const child of node.children) {{
        if (child.localName === 'leptos-island') {{
          const hydrateIsland = bindings[child.dataset.component];
          const enterParent = pending[pending.length - 1];
          if (enterParent) enterParent();
          if (hydrateIsland) {{ await hydrateIsland(child); }} else {{ console.warn(`no island ${{child.dataset.component}} in this bundle`); }}
          await visit(child);
        }} else if (child.localName === 'leptos-children') {{
          pending.push(child.$$on_hydrate);
          await visit(child);
          pending.pop();
        }} else {{
          await visit(child);
        }}
      }}
    }};
    await visit(document.body);
    localise();
    live();
  }});
}};
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();"#,
        bundles = bundle_table(assets),
        flash = components::enhance::FLASH_KEY,
    )
}

/// The page's Content-Security-Policy: scripts only with this response's nonce (and what
/// they load), WebAssembly compilation, everything else from this origin, no framing.
#[cfg(feature = "ssr")]
pub fn content_security_policy(nonce: &str, form_target: Option<&str>) -> String {
    let form_targets = form_target.map_or(String::new(), |origin| format!(" {origin}"));
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'{form_targets}; frame-ancestors 'none'"
    )
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::session::provide_session();
    #[cfg(feature = "ssr")]
    server::guard::provide_failed_form();
    // Async SSR: the page is sent once its data is loaded, so status codes (401/403/404)
    // are correct and the HTML is complete without JavaScript.
    let ssr = SsrMode::Async;
    view! {
        <Title formatter=page_title/>
        <Router>
            <AppShell>
                <Routes fallback=|| view! { <NotFoundPage/> }>
                    <Route path=path!("/") view=HomePage ssr=ssr.clone()/>
                    <Route path=path!("/login") view=LoginPage ssr=ssr.clone()/>
                    <Route path=path!("/auth/magic") view=MagicLinkPage ssr=ssr.clone()/>
                    <Route path=path!("/partners") view=PartnersPage ssr=ssr.clone()/>
                    <Route path=path!("/partners/:id") view=PartnerDetailPage ssr=ssr.clone()/>
                    <Route path=path!("/my-org") view=MyOrgPage ssr=ssr.clone()/>
                    <Route path=path!("/account") view=AccountPage ssr=ssr.clone()/>
                    <Route path=path!("/learn") view=CatalogPage ssr=ssr.clone()/>
                    <Route path=path!("/learn/:path_id") view=PlayerPage ssr=ssr.clone()/>
                    <Route path=path!("/quiz/:attempt_id") view=QuizPage ssr=ssr.clone()/>
                    <Route path=path!("/announcements") view=AnnouncementsPage ssr=ssr.clone()/>
                    <Route path=path!("/announcements/manage") view=AnnouncementsManagePage ssr=ssr.clone()/>
                    <Route path=path!("/training-status") view=TrainingStatusPage ssr=ssr.clone()/>
                    <Route path=path!("/insights") view=InsightsPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/funnel") view=FunnelInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/completion") view=CompletionInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/cohorts") view=CohortInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/first-deal") view=FirstDealInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/certified") view=CertifiedInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/satisfaction") view=SatisfactionInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/quiz") view=QuizInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/certificates") view=CertificateInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/at-risk") view=AtRiskInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/sourced") view=SourcedInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/insights/registrations") view=RegistrationInsightPage ssr=ssr.clone()/>
                    <Route path=path!("/scorecard") view=ScorecardPage ssr=ssr.clone()/>
                    <Route path=path!("/learner-questions") view=LearnerQuestionsPage ssr=ssr.clone()/>
                    <Route path=path!("/learner-questions/:path_id/:learner_id") view=LearnerConversationPage ssr=ssr.clone()/>
                    <Route path=path!("/policies") view=PoliciesPage ssr=ssr.clone()/>
                    <Route path=path!("/policies/:kind") view=PolicyDocumentPage ssr=ssr.clone()/>
                    <Route path=path!("/certificates") view=MyCertificatesPage ssr=ssr.clone()/>
                    <Route path=path!("/certificates/holders") view=HoldersListPage ssr=ssr.clone()/>
                    <Route path=path!("/verify/:code") view=VerifyPage ssr=ssr.clone()/>
                    <Route path=path!("/verify/:code/print") view=CertificatePrintPage ssr=ssr.clone()/>
                    <Route path=path!("/tiers") view=TiersPage ssr=ssr.clone()/>
                    <Route path=path!("/deals") view=DealsPage ssr=ssr.clone()/>
                    <Route path=path!("/deals/queue") view=ReviewQueuePage ssr=ssr.clone()/>
                    <Route path=path!("/deals/pipeline") view=PipelinePage ssr=ssr.clone()/>
                    <Route path=path!("/deals/signals") view=SignalsPage ssr=ssr.clone()/>
                    <Route path=path!("/deals/renewals") view=RenewalsPage ssr=ssr.clone()/>
                    <Route path=path!("/deals/settings") view=ProgramSettingsPage ssr=ssr.clone()/>
                    <Route path=path!("/crm") view=CrmPage ssr=ssr.clone()/>
                    <Route path=path!("/crm/inbound/:id") view=InboundOriginalPage ssr=ssr.clone()/>
                    <Route path=path!("/crm/hubspot/authorised") view=HubspotConsentPage ssr=ssr.clone()/>
                    <Route path=path!("/crm/history") view=SyncHistorySearchPage ssr=ssr.clone()/>
                    <Route path=path!("/crm/history/:kind/:id") view=SyncHistoryPage ssr=ssr.clone()/>
                    <Route path=path!("/deals/:deal_id") view=DealAuditPage ssr=ssr.clone()/>
                    <Route path=path!("/author") view=AuthorListPage ssr=ssr.clone()/>
                    <Route path=path!("/author/:path_id") view=PathEditorPage ssr=ssr.clone()/>
                    <Route path=path!("/author/steps/:step_id/stats") view=QuizStatsPage ssr=ssr.clone()/>
                    <Route path=path!("/dev/outbox") view=OutboxPage ssr=ssr/>
                </Routes>
            </AppShell>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    use super::BUNDLES;
    use std::collections::{BTreeMap, BTreeSet};

    /// Every island of the source with the bundle feature that compiles it as an island
    /// (`cfg_attr(any(feature = "ssr", feature = "<f>"), island)` above `pub fn <Name>`).
    fn islands_by_feature() -> BTreeMap<String, String> {
        let mut found = BTreeMap::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                let marker = "cfg_attr(any(feature = \"ssr\", feature = \"";
                for (at, _) in source.match_indices(marker) {
                    let rest = &source[at + marker.len()..];
                    let feature = &rest[..rest.find('"').unwrap()];
                    if !rest[..rest.find('\n').unwrap()].ends_with("island)]") {
                        continue;
                    }
                    let name_at = rest.find("pub fn ").unwrap() + "pub fn ".len();
                    let name: String = rest[name_at..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric())
                        .collect();
                    found.insert(name, feature.to_string());
                }
            }
        }
        found
    }

    /// The bundles `scripts/build.sh` builds, with their features.
    fn built_bundles() -> BTreeMap<String, BTreeSet<String>> {
        let script = include_str!("../../scripts/build.sh");
        let line = script
            .lines()
            .find(|line| line.starts_with("BUNDLES=("))
            .expect("build.sh names its bundles");
        line.trim_start_matches("BUNDLES=(")
            .trim_end_matches(')')
            .split_whitespace()
            .map(|entry| {
                let (name, features) = entry.trim_matches('"').split_once(':').unwrap();
                (
                    name.to_string(),
                    features.split(',').map(String::from).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn bundles_match_the_islands_and_the_build() {
        let islands = islands_by_feature();
        assert!(
            islands.len() >= 6,
            "the scan finds the islands: {islands:?}"
        );
        let built = built_bundles();
        for bundle in BUNDLES.iter().filter(|b| b.islands.is_some()) {
            let features = built
                .get(bundle.name)
                .unwrap_or_else(|| panic!("build.sh builds the {} bundle", bundle.name));
            let listed: BTreeSet<&str> = bundle.islands.unwrap().iter().copied().collect();
            let compiled: BTreeSet<&str> = islands
                .iter()
                .filter(|(_, feature)| features.contains(*feature))
                .map(|(name, _)| name.as_str())
                .collect();
            assert_eq!(
                listed, compiled,
                "the {} bundle lists what it compiles",
                bundle.name
            );
        }
        let covered: BTreeSet<&str> = BUNDLES
            .iter()
            .filter_map(|b| b.islands)
            .flatten()
            .copied()
            .collect();
        for name in islands.keys() {
            assert!(
                covered.contains(name.as_str()),
                "{name} is in a built bundle"
            );
        }
        assert!(built
            .keys()
            .all(|name| BUNDLES.iter().any(|b| b.name == name)));
    }
}
