//! Certificates: the holder's list, the managers' holder list with revocation, the public
//! verification page with the signed credential, and a printable certificate.
use crate::api::certifications::{
    load_holders, load_my_certificates, verify_certificate, CheckCredential, RevokeCertificate,
};
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    field_signal, form_action, form_error, last_error, FormError, TextField,
};
use crate::components::load::{encode_query_value, loaded};
use crate::components::session::use_session;
use crate::components::time::LocalTime;
use crate::domain::certification::CertificateStatus;
use crate::domain::identity::{JobRole, Role};
use crate::error::AppError;
use crate::model::{CertificateView, HolderRow, HoldersPage, VerifiedCertificate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn status_class(status: CertificateStatus) -> &'static str {
    match status {
        CertificateStatus::Active => "badge status-active",
        CertificateStatus::Expiring => "badge status-expiring",
        CertificateStatus::Expired => "badge status-expired",
        CertificateStatus::Revoked => "badge status-revoked",
    }
}

#[component]
pub fn MyCertificatesPage() -> impl IntoView {
    let certificates = Resource::new(|| (), |_| load_my_certificates());
    view! {
        <Title text="Certificates"/>
        <section class="page" aria-labelledby="certificates-title">
            <h1 id="certificates-title">"Your certificates"</h1>
            {loaded(certificates, |list| view! { <CertificateList list/> })}
        </section>
    }
}

#[component]
fn CertificateList(list: Vec<CertificateView>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="empty">"No certificates yet. Complete a certification's learning paths in " <a href="/learn">"Learning"</a> " to earn one."</p>
        }
        .into_any();
    }
    view! {
        <ul class="card-list">
            {list.into_iter().map(|c| view! {
                <li class="card certificate-card">
                    <div class="path-head">
                        <h2>{c.certification_name}</h2>
                        <span class=status_class(c.status)>{c.status.label()}</span>
                    </div>
                    <p class="meta">"Issued " <LocalTime ms=c.issued_at/> " · valid until " <LocalTime ms=c.expires_at/></p>
                    {c.recertification_open.then(|| view! {
                        <p class="notice">"Your recertification window is open: complete the certification's paths again in "
                            <a href="/learn">"Learning"</a>
                            ". The renewed certificate runs on from this one's end."</p>
                    })}
                    {c.renewed.then(|| view! {
                        <p class="meta">"Renewed: a newer certificate replaces this one."</p>
                    })}
                    {(c.status == CertificateStatus::Revoked).then(|| view! {
                        <p class="notice">"Revoked: " {c.revoke_reason.clone()}</p>
                    })}
                    <p>
                        <a href=format!("/verify/{}", c.verify_code)>"Public verification page"</a>
                        " · "
                        <a href=format!("/verify/{}/print", c.verify_code)>"Printable certificate"</a>
                    </p>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn HoldersListPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
        (get("org"), get("role"), get("status"))
    };
    let holders = Resource::new(filter, |(org, role, status)| {
        load_holders(org, role, status)
    });
    let revoke = ServerAction::<RevokeCertificate>::new();
    view! {
        <Title text="Certified people"/>
        <section class="page" aria-labelledby="holders-title">
            <h1 id="holders-title">"Certified people"</h1>
            {loaded(holders, move |page| {
                let (org, role, status) = filter();
                view! {
                    <HolderFilters org role status orgs=page.orgs.clone() problems=page.problems.clone()/>
                    <HolderTable page revoke/>
                }
            })}
        </section>
    }
}

/// A plain GET form, so filters live in the URL and work without JavaScript. The
/// organisation is typed by name (the browser suggests the program's organisations); a
/// filter the server could not use is named at its field, and the others still apply.
#[component]
fn HolderFilters(
    org: Option<String>,
    role: Option<String>,
    status: Option<String>,
    orgs: Vec<(i64, String)>,
    problems: Vec<crate::domain::validation::FieldError>,
) -> impl IntoView {
    // A link may still carry an organisation's id: show its name instead.
    let org_value = org
        .map(|org| {
            org.parse::<i64>()
                .ok()
                .and_then(|id| orgs.iter().find(|(o, _)| *o == id))
                .map_or(org.clone(), |(_, name)| name.clone())
        })
        .unwrap_or_default();
    let message = {
        let problems = problems.clone();
        move |field: &str| {
            problems
                .iter()
                .find(|p| p.field == field)
                .map(|p| p.message.clone())
        }
    };
    let invalid = {
        let message = message.clone();
        move |field: &str| message(field).is_some().then_some("true")
    };
    let summary = Signal::stored((!problems.is_empty()).then_some(AppError::Validation(problems)));
    view! {
        <form class="filters" method="get" action="/certificates/holders" role="search" aria-label="Filter certified people">
            <FormError error=summary form="holders" fields=&["org", "role", "status"]/>
            <div class="field">
                <label for="holders-org">"Organisation"</label>
                <input id="holders-org" name="org" type="search" list="holders-org-names" maxlength="100"
                    placeholder="Part of the name" value=org_value aria-invalid=invalid("org") aria-describedby="holders-org-error"/>
                <datalist id="holders-org-names">
                    {orgs.into_iter().map(|(_, name)| view! { <option value=name/> }).collect_view()}
                </datalist>
                <p class="field-error" id="holders-org-error">{message("org")}</p>
            </div>
            <div class="field">
                <label for="holders-role">"Job role"</label>
                <select id="holders-role" name="role" aria-invalid=invalid("role") aria-describedby="holders-role-error">
                    <option value="">"Any"</option>
                    {JobRole::ALL.iter().map(|r| view! {
                        <option value=r.as_str() selected=role.as_deref() == Some(r.as_str())>{r.label()}</option>
                    }).collect_view()}
                </select>
                <p class="field-error" id="holders-role-error">{message("role")}</p>
            </div>
            <div class="field">
                <label for="holders-status">"Status"</label>
                <select id="holders-status" name="status" aria-invalid=invalid("status") aria-describedby="holders-status-error">
                    <option value="">"Any"</option>
                    {[CertificateStatus::Active, CertificateStatus::Expiring, CertificateStatus::Expired, CertificateStatus::Revoked]
                        .into_iter().map(|s| view! {
                            <option value=s.as_str() selected=status.as_deref() == Some(s.as_str())>{s.label()}</option>
                        }).collect_view()}
                </select>
                <p class="field-error" id="holders-status-error">{message("status")}</p>
            </div>
            <button type="submit" class="button">"Apply"</button>
        </form>
    }
}

#[component]
fn HolderTable(page: HoldersPage, revoke: ServerAction<RevokeCertificate>) -> impl IntoView {
    let session = use_session();
    let is_admin = Signal::derive(move || session.has_role(Role::VendorAdmin));
    view! {
        <p class="meta" role="status">
            {page.counts.iter().map(|(s, n)| format!("{}: {n}", s.label())).collect::<Vec<_>>().join(" · ")}
        </p>
        {if page.rows.is_empty() {
            view! { <p class="empty">"Nobody matches these filters."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" role="region" aria-label="Certificate holders" tabindex="0">
                    <table class="attempts holders cards">
                        <thead><tr>
                            <th scope="col">"Holder"</th><th scope="col">"Organisation"</th><th scope="col">"Role"</th>
                            <th scope="col">"Certification"</th><th scope="col">"Valid until"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th>
                        </tr></thead>
                        <tbody>{page.rows.into_iter().map(|row| view! { <HolderLine row revoke is_admin/> }).collect_view()}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
    .into_any()
}

#[component]
fn HolderLine(
    row: HolderRow,
    revoke: ServerAction<RevokeCertificate>,
    is_admin: Signal<bool>,
) -> impl IntoView {
    let certificate_id = row.certificate_id;
    let revocable = row.status != CertificateStatus::Revoked;
    view! {
        <tr data-certificate-id=certificate_id.to_string()>
            <td data-label="Holder">{row.holder_name}</td>
            <td data-label="Organisation">{row.org_name}</td>
            <td data-label="Role">{row.job_role.map(|r| r.label()).unwrap_or("—")}</td>
            <td data-label="Certification">{row.certification_name}</td>
            <td data-label="Valid until"><LocalTime ms=row.expires_at/></td>
            <td data-label="Status"><span class=status_class(row.status)>{row.status.label()}</span></td>
            <td data-label="Actions">
                <a href=format!("/verify/{}", row.verify_code)>"Verify"</a>
                {move || (is_admin.get() && revocable).then(|| view! { <RevokeForm certificate_id revoke/> })}
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn RevokeForm(certificate_id: i64, revoke: ServerAction<RevokeCertificate>) -> impl IntoView {
    let item = format!("revoke-{certificate_id}");
    let error = form_error(revoke, &item);
    let (action, form) = (form_action::<RevokeCertificate>(&item), item.clone());
    view! {
        <details class="revoke" id=item.clone() open=move || error.get().is_some()>
            <summary>"Revoke"</summary>
            <EnhancedForm>
                <form method="post" action=action novalidate=true
                    data-done="Certificate revoked.">
                    <FormError error form=form.clone() fields=&["reason"]/>
                    <input type="hidden" name="certificate_id" value=certificate_id.to_string()/>
                    <TextField form=form label="Reason (the holder and the verification page show it)"
                        name="reason" rows=2 error/>
                    <button type="submit" class="button danger">"Revoke certificate"</button>
                </form>
            </EnhancedForm>
        </details>
    }
    .into_any()
}

/// The certificate named by the `:code` of the route, as the public record shows it.
fn certificate_record() -> Resource<Result<VerifiedCertificate, AppError>> {
    let params = use_params_map();
    Resource::new(
        move || params.read().get("code"),
        |code| async move {
            match code {
                Some(code) => verify_certificate(code).await,
                None => Err(AppError::NotFound),
            }
        },
    )
}

/// The public record of a certificate: no sign-in needed.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let record = certificate_record();
    view! {
        <Title text="Verify a certificate"/>
        <section class="page" aria-labelledby="verify-title">
            {loaded(record, |record| view! { <VerifiedView record/> })}
            <CheckCredentialForm/>
        </section>
    }
}

#[component]
fn VerifiedView(record: VerifiedCertificate) -> impl IntoView {
    let download = format!(
        "data:application/json;charset=utf-8,{}",
        encode_query_value(&record.credential_json)
    );
    let file_name = format!("certificate-{}.json", record.verify_code);
    view! {
        <h1 id="verify-title">{record.certification_name.clone()}</h1>
        <p class="verify-status">
            <span class=status_class(record.status)>{record.status.label()}</span>
        </p>
        <dl class="facts">
            <dt>"Holder"</dt><dd>{record.holder_name.clone()}</dd>
            {record.org_name.clone().map(|org| view! { <dt>"Organisation"</dt><dd>{org}</dd> })}
            <dt>"Issued"</dt><dd><LocalTime ms=record.issued_at/></dd>
            <dt>"Valid until"</dt><dd><LocalTime ms=record.expires_at/></dd>
            {record.revoke_reason.clone().map(|why| view! { <dt>"Revoked because"</dt><dd>{why}</dd> })}
            <dt>"Credential signature"</dt>
            <dd class="signature">{if record.signature_valid { "Valid (Ed25519, signed by this portal)" } else { "Invalid" }}</dd>
            <dt>"Signing key"</dt><dd class="did">{record.signer.clone()}</dd>
        </dl>
        <p>{record.certification_description.clone()}</p>
        <p>
            <a class="button" href=download download=file_name>"Download Open Badges 3.0 credential"</a>
            " "
            <a class="button" href=format!("/verify/{}/print", record.verify_code)>"Printable certificate"</a>
        </p>
    }
}

/// Paste a credential to check its signature and the certificate's current status. An
/// island (checks bundle): the answer is shown in place. It is never a redirect with the
/// verdict in the address, which anyone could forge as a link.
#[cfg_attr(any(feature = "ssr", feature = "checks"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "checks")), component)]
pub fn CheckCredentialForm() -> impl IntoView {
    let check = ServerAction::<CheckCredential>::new();
    let credential = RwSignal::new(String::new());
    let error = last_error(check.value());
    let result = move || check.value().get().and_then(Result::ok);
    view! {
        <form class="card check-credential" aria-labelledby="check-title" on:submit=move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            check.dispatch(CheckCredential { credential: credential.get_untracked() });
        }>
            <h2 id="check-title">"Check a credential"</h2>
            <div class="field">
                <label for="credential-json">"Credential (JSON)"</label>
                <textarea id="credential-json" rows="6" bind:value=credential></textarea>
                <p class="field-error" aria-live="polite">{field_signal(error, "credential")}</p>
            </div>
            <FormError error fields=&["credential"]/>
            <button type="submit" class="button">"Check"</button>
            <div role="status" class="check-result">
                {move || result().map(|r| view! {
                    <p class:success=r.signature_valid class:field-error=!r.signature_valid>{r.message}</p>
                    {r.record.map(|record| view! {
                        <p>{format!("{} — {} for {}", record.status.label(), record.certification_name, record.holder_name)}</p>
                    })}
                })}
            </div>
        </form>
    }
}

/// A certificate laid out for printing (A4 or Letter, landscape-friendly).
#[component]
pub fn CertificatePrintPage() -> impl IntoView {
    let record = certificate_record();
    view! {
        <Title text="Certificate"/>
        {loaded(record, |record| view! {
            <article class="certificate-print" aria-labelledby="certificate-title">
                <p class="certificate-kicker">"Certificate of achievement"</p>
                <h1 id="certificate-title">{record.certification_name.clone()}</h1>
                <p class="certificate-holder">{record.holder_name.clone()}</p>
                {record.org_name.clone().map(|org| view! { <p>{org}</p> })}
                <p>"Issued " <LocalTime ms=record.issued_at/> " · valid until " <LocalTime ms=record.expires_at/></p>
                <p class="certificate-status">{record.status.label()}</p>
                <p class="certificate-verify">"Verify at " {record.verify_url.clone()}</p>
                <p class="no-print"><a href=format!("/verify/{}", record.verify_code)>"Back to the verification page"</a></p>
            </article>
        })}
    }
}
