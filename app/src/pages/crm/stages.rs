//! HubSpot deal stages: which portal stage each stage of the account's own pipelines means
//! when sales moves a deal (read back by the poll and webhooks).
use crate::api::crm_stages::{ReadHubspotPipelines, SetHubspotStage};
use crate::components::form::{form_action, form_error, FormError};
use crate::domain::crm_inbound::{PipelineStage, StageClosed};
use leptos::prelude::*;

/// One pipeline: its id, its label, and its stages with their place on the page.
struct Pipeline {
    id: String,
    label: String,
    stages: Vec<(usize, PipelineStage)>,
}

#[component]
pub fn DealStages(stages: Vec<PipelineStage>) -> impl IntoView {
    let read = ServerAction::<ReadHubspotPipelines>::new();
    let read_error = form_error(read, "pipelines");
    // Pipelines in the order stored (by label), each with its stages in HubSpot's order.
    let mut pipelines: Vec<Pipeline> = Vec::new();
    for (index, stage) in stages.into_iter().enumerate() {
        match pipelines.last_mut() {
            Some(pipeline) if pipeline.id == stage.pipeline_id => {
                pipeline.stages.push((index, stage))
            }
            _ => pipelines.push(Pipeline {
                id: stage.pipeline_id.clone(),
                label: stage.pipeline_label.clone(),
                stages: vec![(index, stage)],
            }),
        }
    }
    let read_label = if pipelines.is_empty() {
        "Read pipelines from HubSpot"
    } else {
        "Read pipelines again"
    };
    view! {
        <section class="card" id="stages" aria-labelledby="stages-title">
            <h2 id="stages-title">"Deal stages"</h2>
            <p class="hint">"What a stage in HubSpot means for the registration when sales moves its deal. Closed stages mean what HubSpot says (won or lost). An open stage you leave unmapped changes nothing in the portal. Without a read, only HubSpot's default sales pipeline is understood."</p>
            <form method="post" action={form_action::<ReadHubspotPipelines>("pipelines")}>
                <FormError error=read_error form="pipelines" fields=&[]/>
                <button type="submit" class="button">{read_label}</button>
            </form>
            {pipelines.into_iter().map(|Pipeline { id, label, stages: rows }| {
                let title_id = format!("pipeline-{}-title", rows.first().map_or(0, |(i, _)| *i));
                view! {
                    <h3 id=title_id.clone()>{label} " " <span class="hint">{format!("(pipeline {id})")}</span></h3>
                    <table class="cards stage-map" aria-labelledby=title_id>
                        <thead><tr><th scope="col">"HubSpot stage"</th><th scope="col">"In HubSpot"</th><th scope="col">"Portal stage"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|(index, stage)| view! { <StageRow index stage/> }).collect_view()}
                        </tbody>
                    </table>
                }
            }).collect_view()}
        </section>
    }
}

#[component]
fn StageRow(index: usize, stage: PipelineStage) -> impl IntoView {
    let set = ServerAction::<SetHubspotStage>::new();
    let form = format!("stage-{index}");
    let error = form_error(set, &form);
    let select_id = format!("{form}-portal_stage");
    let choice = match stage.closed {
        StageClosed::Open => view! {
            <form method="post" action={form_action::<SetHubspotStage>(&form)} class="inline-actions">
                <FormError error form=form.clone() fields=&["portal_stage"]/>
                <input type="hidden" name="pipeline" value=stage.pipeline_id.clone()/>
                <input type="hidden" name="stage" value=stage.stage_id.clone()/>
                <label class="sr-only" for=select_id.clone()>{format!("Portal stage for {}", stage.stage_label)}</label>
                <select id=select_id name="portal_stage">
                    <option value="" selected=stage.portal_stage.is_none()>"Leave as it is"</option>
                    {stage.closed.choices().iter().map(|choice| view! {
                        <option value=choice.as_str() selected=stage.portal_stage == Some(*choice)>{choice.label()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button">"Save"</button>
            </form>
        }
        .into_any(),
        closed => view! { <span>{stage.portal_stage.map_or(closed.label(), |s| s.label())}</span> }.into_any(),
    };
    view! {
        <tr>
            <td data-label="HubSpot stage">{stage.stage_label.clone()}</td>
            <td data-label="In HubSpot">{stage.closed.label()}</td>
            <td data-label="Portal stage">{choice}</td>
        </tr>
    }
}
