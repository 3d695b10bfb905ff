//! What the CRM says about a registration's deal beyond its numbers: who owns it there (the
//! vendor's seller), and which portal stage each stage of a HubSpot account's own pipelines
//! means. Pure rules; the readers and the repo apply them.
//!
//! Unverified, kept here only: HubSpot documents the owners and pipelines APIs as
//! `/crm/v3/owners/{ownerId}` and `/crm/v3/pipelines/deals`; the portal calls them at the
//! date-versioned paths `/crm/owners/<version>/{ownerId}` and `/crm/pipelines/<version>/deals`,
//! the pattern the objects and properties APIs follow (`/crm/objects/<version>/…`).
use super::channel::deals::Stage;
use super::crm::{CrmKind, DealNow, InboundDeal};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// The field-direction id of a deal's owner (HubSpot's property; Salesforce reads the Lead's
/// or Opportunity's `Owner.Name`).
pub const OWNER_PROPERTY: &str = "hubspot_owner_id";

/// A deal's owner as one read of the CRM saw it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InboundOwner {
    /// Not read this time (or its name could not be had yet): the portal's value stands.
    #[default]
    Unread,
    /// The CRM holds the deal unassigned.
    Nobody,
    /// The CRM's user id and display name (empty when the CRM cannot name it, e.g. an owner
    /// HubSpot has archived).
    Person { id: String, name: String },
}

/// The owner the portal holds: the CRM's id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldOwner {
    pub id: String,
    pub name: String,
}

/// A change of owner the CRM brings, from what the portal holds to what the CRM says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerChange {
    pub from: Option<HeldOwner>,
    pub to: Option<HeldOwner>,
}

/// The owner change one CRM read brings, if the owner flows from the CRM and differs (a new
/// person, nobody, or a name for the same person that the portal did not have).
pub fn owner_change(
    now: &DealNow,
    crm: &InboundDeal,
    from_crm: &dyn Fn(&str) -> bool,
) -> Option<OwnerChange> {
    if !from_crm(OWNER_PROPERTY) {
        return None;
    }
    let to = match &crm.owner {
        InboundOwner::Unread => return None,
        InboundOwner::Nobody => None,
        InboundOwner::Person { id, name } => Some(HeldOwner {
            id: id.clone(),
            name: name.clone(),
        }),
    };
    (to != now.owner).then(|| OwnerChange {
        from: now.owner.clone(),
        to,
    })
}

/// How the deal page and the audit trail name an owner: the CRM's name, or, when it gave
/// none, which user of which CRM.
pub fn owner_label(owner: Option<&HeldOwner>, crm: CrmKind) -> String {
    match owner {
        None => "Nobody".into(),
        Some(owner) if owner.name.trim().is_empty() => {
            format!("{} user {}", crm.label(), owner.id)
        }
        Some(owner) => owner.name.clone(),
    }
}

impl OwnerChange {
    /// The change as the deal's audit trail shows it.
    pub fn audit(&self, crm: CrmKind) -> (&'static str, String, String) {
        (
            "crm_owner",
            owner_label(self.from.as_ref(), crm),
            owner_label(self.to.as_ref(), crm),
        )
    }
}

/// The longest owner name or id kept (HubSpot names are first + last name; anything longer
/// is not a person's name).
pub const MAX_OWNER_CHARS: usize = 200;

/// A CRM's text for an owner's id or name, trimmed and bounded.
pub fn bounded_owner_text(text: &str) -> String {
    text.trim().chars().take(MAX_OWNER_CHARS).collect()
}

/// The name in an answer of HubSpot's owners API (`firstName`, `lastName`, else `email`).
pub fn hubspot_owner_name(body: &Value) -> String {
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or("").trim();
    let full = format!("{} {}", text("firstName"), text("lastName"));
    let name = if full.trim().is_empty() {
        text("email")
    } else {
        full.trim()
    };
    bounded_owner_text(name)
}

/// Whether a HubSpot owner id is one to ask the owners API about (digits only; anything
/// else would be put into a request path).
pub fn is_hubspot_owner_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.chars().all(|c| c.is_ascii_digit())
}

/// What HubSpot says a stage is: open, or closed won or lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StageClosed {
    Open,
    Won,
    Lost,
}

impl StageClosed {
    pub fn as_str(self) -> &'static str {
        match self {
            StageClosed::Open => "open",
            StageClosed::Won => "won",
            StageClosed::Lost => "lost",
        }
    }

    pub fn parse(text: &str) -> Option<StageClosed> {
        Some(match text {
            "open" => StageClosed::Open,
            "won" => StageClosed::Won,
            "lost" => StageClosed::Lost,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            StageClosed::Open => "Open",
            StageClosed::Won => "Closed won",
            StageClosed::Lost => "Closed lost",
        }
    }

    /// The portal stages an admin may choose for a stage of this kind: a closed stage means
    /// what HubSpot says it means; an open one any open portal stage.
    pub fn choices(self) -> &'static [Stage] {
        match self {
            StageClosed::Open => &[
                Stage::Qualify,
                Stage::Discover,
                Stage::Propose,
                Stage::Negotiate,
            ],
            StageClosed::Won => &[Stage::Won],
            StageClosed::Lost => &[Stage::Lost],
        }
    }
}

/// A stage of one of the account's deal pipelines, with the portal stage it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineStage {
    pub pipeline_id: String,
    pub pipeline_label: String,
    pub stage_id: String,
    pub stage_label: String,
    pub display_order: i64,
    pub closed: StageClosed,
    /// `None`: a stage change to it leaves the portal's stage as it is.
    pub portal_stage: Option<Stage>,
}

/// At most this many pipelines and stages are kept from one read (HubSpot's own limits are
/// far lower on every plan); the rest are ignored.
pub const MAX_PIPELINE_STAGES: usize = 500;

/// The stages in an answer of HubSpot's pipelines API (`results[].stages[]`), each with its
/// starting map: closed stages by HubSpot's verdict, the default pipeline's open stages as
/// the portal has always read them, other open stages to nothing until an admin chooses.
///
/// HubSpot marks a stage closed with `metadata.isClosed` = "true" and tells won from lost by
/// `metadata.probability` ("1.0" won, "0.0" lost); a closed stage with any other probability
/// is read as lost, since only a won stage counts as revenue.
pub fn pipeline_stages(body: &Value) -> Vec<PipelineStage> {
    let text = |value: &Value, key: &str| {
        value
            .get(key)
            .map(|v| match v {
                Value::String(text) => text.trim().to_string(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => String::new(),
            })
            .unwrap_or_default()
    };
    let mut stages = Vec::new();
    for pipeline in body
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if pipeline.get("archived").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let pipeline_id = bounded_owner_text(&text(pipeline, "id"));
        let pipeline_label = bounded_owner_text(&text(pipeline, "label"));
        if pipeline_id.is_empty() {
            continue;
        }
        for stage in pipeline
            .get("stages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if stage.get("archived").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let stage_id = bounded_owner_text(&text(stage, "id"));
            if stage_id.is_empty() || stages.len() >= MAX_PIPELINE_STAGES {
                continue;
            }
            let metadata = stage.get("metadata").cloned().unwrap_or(Value::Null);
            let closed = if text(&metadata, "isClosed") == "true" {
                match text(&metadata, "probability").parse::<f64>() {
                    Ok(p) if p >= 1.0 => StageClosed::Won,
                    _ => StageClosed::Lost,
                }
            } else {
                StageClosed::Open
            };
            let portal_stage = starting_stage(&pipeline_id, &stage_id, closed);
            stages.push(PipelineStage {
                pipeline_id: pipeline_id.clone(),
                pipeline_label: pipeline_label.clone(),
                stage_label: bounded_owner_text(&text(stage, "label")),
                display_order: stage
                    .get("displayOrder")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                stage_id,
                closed,
                portal_stage,
            });
        }
    }
    stages
}

/// A stage's map before an admin chooses (see `pipeline_stages`).
fn starting_stage(pipeline_id: &str, stage_id: &str, closed: StageClosed) -> Option<Stage> {
    match closed {
        StageClosed::Won => Some(Stage::Won),
        StageClosed::Lost => Some(Stage::Lost),
        StageClosed::Open if pipeline_id == "default" => super::crm::portal_stage(stage_id),
        StageClosed::Open => None,
    }
}

/// Checks an admin's choice for one stage: `None` (leave the portal's stage) or one of the
/// stage's choices.
pub fn check_stage_choice(closed: StageClosed, choice: Option<Stage>) -> Result<(), &'static str> {
    match choice {
        None if closed == StageClosed::Open => Ok(()),
        None => Err("A closed stage in HubSpot closes the registration; it cannot be left unmapped."),
        Some(stage) if closed.choices().contains(&stage) => Ok(()),
        Some(_) if closed == StageClosed::Open => {
            Err("An open stage in HubSpot maps to an open portal stage; HubSpot decides when a deal is won or lost.")
        }
        Some(_) => Err("A closed stage means what HubSpot says: won or lost."),
    }
}

/// The stage maps an account's pipelines read back through, by (pipeline, stage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageMap {
    stages: HashMap<(String, String), Option<Stage>>,
}

impl StageMap {
    pub fn new(stages: impl IntoIterator<Item = PipelineStage>) -> StageMap {
        StageMap {
            stages: stages
                .into_iter()
                .map(|s| ((s.pipeline_id, s.stage_id), s.portal_stage))
                .collect(),
        }
    }

    /// The portal stage of a HubSpot deal's pipeline and stage: the read map where the stage
    /// is in it; otherwise the default pipeline's fixed ids (what the portal read before any
    /// map was read); otherwise nothing (the portal's stage stays).
    pub fn portal_stage(&self, pipeline: Option<&str>, stage: &str) -> Option<Stage> {
        if let Some(pipeline) = pipeline {
            if let Some(mapped) = self.stages.get(&(pipeline.to_string(), stage.to_string())) {
                return *mapped;
            }
            if pipeline != "default" {
                return None;
            }
        }
        super::crm::portal_stage(stage)
    }
}

/// The stage of `pipeline` a new deal at the portal's `stage` starts in, so reading it back
/// changes nothing: the first (by HubSpot's order) mapped to it, if any.
pub fn creation_stage(stages: &[PipelineStage], pipeline: &str, stage: Stage) -> Option<String> {
    stages
        .iter()
        .filter(|s| s.pipeline_id == pipeline && s.portal_stage == Some(stage))
        .min_by_key(|s| s.display_order)
        .map(|s| s.stage_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now(owner: Option<(&str, &str)>) -> DealNow {
        DealNow {
            stage: Stage::Negotiate,
            amount_cents: 0,
            close_at: None,
            owner: owner.map(|(id, name)| HeldOwner {
                id: id.into(),
                name: name.into(),
            }),
        }
    }

    fn read(owner: InboundOwner) -> InboundDeal {
        InboundDeal {
            registration_id: 1,
            owner,
            ..InboundDeal::default()
        }
    }

    fn person(id: &str, name: &str) -> InboundOwner {
        InboundOwner::Person {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn an_owner_assigned_in_the_crm_is_a_change_with_names_for_the_trail() {
        let change = owner_change(&now(None), &read(person("41", "Dana Kim")), &|_| true).unwrap();
        assert_eq!(
            change.audit(CrmKind::Hubspot),
            ("crm_owner", "Nobody".into(), "Dana Kim".into())
        );
        let moved = owner_change(
            &now(Some(("41", "Dana Kim"))),
            &read(person("42", "Sam Ortiz")),
            &|_| true,
        )
        .unwrap();
        assert_eq!(moved.audit(CrmKind::Salesforce).1, "Dana Kim");
        assert_eq!(moved.to.unwrap().id, "42");
    }

    #[test]
    fn the_same_owner_unread_or_a_field_turned_off_changes_nothing() {
        let held = now(Some(("41", "Dana Kim")));
        assert_eq!(
            owner_change(&held, &read(person("41", "Dana Kim")), &|_| true),
            None
        );
        assert_eq!(
            owner_change(&held, &read(InboundOwner::Unread), &|_| true),
            None
        );
        assert_eq!(
            owner_change(&held, &read(person("42", "Sam")), &|p| p != OWNER_PROPERTY),
            None
        );
        assert_eq!(
            owner_change(&now(None), &read(InboundOwner::Nobody), &|_| true),
            None
        );
    }

    #[test]
    fn unassigning_and_a_late_name_are_changes() {
        let held = now(Some(("41", "Dana Kim")));
        let cleared = owner_change(&held, &read(InboundOwner::Nobody), &|_| true).unwrap();
        assert_eq!(cleared.to, None);
        assert_eq!(cleared.audit(CrmKind::Hubspot).2, "Nobody");
        let nameless = now(Some(("41", "")));
        let named = owner_change(&nameless, &read(person("41", "Dana Kim")), &|_| true).unwrap();
        assert_eq!(named.audit(CrmKind::Hubspot).1, "HubSpot user 41");
    }

    #[test]
    fn owners_api_answers_give_a_bounded_name_and_ids_are_digits() {
        assert_eq!(
            hubspot_owner_name(
                &json!({"id": "41", "firstName": " Dana ", "lastName": "Kim", "email": "d@x"})
            ),
            "Dana Kim"
        );
        assert_eq!(
            hubspot_owner_name(&json!({"email": "sales@lumen.example"})),
            "sales@lumen.example"
        );
        assert_eq!(
            hubspot_owner_name(&json!({"firstName": "x".repeat(500)}))
                .chars()
                .count(),
            MAX_OWNER_CHARS
        );
        assert_eq!(hubspot_owner_name(&json!(null)), "");
        assert!(is_hubspot_owner_id("41629779"));
        for bad in ["", "41/../x", "41?archived=true", &"9".repeat(21)] {
            assert!(!is_hubspot_owner_id(bad), "{bad}");
        }
    }

    fn pipelines() -> Value {
        json!({"results": [
            {"id": "default", "label": "Sales Pipeline", "stages": [
                {"id": "appointmentscheduled", "label": "Appointment scheduled", "displayOrder": 0,
                 "metadata": {"isClosed": "false", "probability": "0.2"}},
                {"id": "closedwon", "label": "Closed won", "displayOrder": 5,
                 "metadata": {"isClosed": "true", "probability": "1.0"}}
            ]},
            {"id": "7001", "label": "Channel", "stages": [
                {"id": "9002", "label": "Partner demo", "displayOrder": 1, "metadata": {"isClosed": "false", "probability": "0.4"}},
                {"id": "9001", "label": "Partner intro", "displayOrder": 0, "metadata": {"isClosed": "false", "probability": "0.1"}},
                {"id": "9003", "label": "Signed", "displayOrder": 2, "metadata": {"isClosed": "true", "probability": "1.0"}},
                {"id": "9004", "label": "No decision", "displayOrder": 3, "metadata": {"isClosed": "true", "probability": "0.0"}},
                {"id": "9005", "label": "Old", "displayOrder": 4, "archived": true, "metadata": {"isClosed": "false"}}
            ]},
            {"id": "7002", "label": "Retired", "archived": true, "stages": [{"id": "1", "label": "x", "metadata": {}}]}
        ]})
    }

    #[test]
    fn pipelines_are_read_with_closed_stages_decided_and_open_custom_ones_unmapped() {
        let stages = pipeline_stages(&pipelines());
        let by_id = |id: &str| stages.iter().find(|s| s.stage_id == id).unwrap();
        assert_eq!(
            stages.len(),
            6,
            "archived stages and pipelines are left out"
        );
        assert_eq!(
            by_id("appointmentscheduled").portal_stage,
            Some(Stage::Qualify)
        );
        assert_eq!(by_id("closedwon").closed, StageClosed::Won);
        assert_eq!(by_id("9001").portal_stage, None);
        assert_eq!(by_id("9001").pipeline_label, "Channel");
        assert_eq!(
            (by_id("9003").closed, by_id("9003").portal_stage),
            (StageClosed::Won, Some(Stage::Won))
        );
        assert_eq!(
            (by_id("9004").closed, by_id("9004").portal_stage),
            (StageClosed::Lost, Some(Stage::Lost))
        );
        assert!(pipeline_stages(&json!({"results": "nope"})).is_empty());
        assert!(pipeline_stages(&json!([])).is_empty());
    }

    #[test]
    fn an_admins_choice_must_fit_what_hubspot_says_the_stage_is() {
        assert!(check_stage_choice(StageClosed::Open, None).is_ok());
        assert!(check_stage_choice(StageClosed::Open, Some(Stage::Propose)).is_ok());
        assert!(check_stage_choice(StageClosed::Open, Some(Stage::Won)).is_err());
        assert!(check_stage_choice(StageClosed::Won, Some(Stage::Won)).is_ok());
        assert!(check_stage_choice(StageClosed::Won, Some(Stage::Lost)).is_err());
        assert!(check_stage_choice(StageClosed::Lost, None).is_err());
        assert_eq!(StageClosed::parse("won"), Some(StageClosed::Won));
        assert_eq!(
            StageClosed::parse(StageClosed::Open.as_str()),
            Some(StageClosed::Open)
        );
        assert_eq!(StageClosed::parse("closed"), None);
    }

    #[test]
    fn the_map_reads_custom_pipelines_and_falls_back_to_the_default_ids() {
        let mut stages = pipeline_stages(&pipelines());
        for stage in &mut stages {
            if stage.stage_id == "9002" {
                stage.portal_stage = Some(Stage::Propose);
            }
        }
        let map = StageMap::new(stages.clone());
        assert_eq!(map.portal_stage(Some("7001"), "9002"), Some(Stage::Propose));
        assert_eq!(map.portal_stage(Some("7001"), "9001"), None);
        assert_eq!(map.portal_stage(Some("7001"), "9003"), Some(Stage::Won));
        assert_eq!(map.portal_stage(Some("7001"), "unknown"), None);
        assert_eq!(
            map.portal_stage(Some("default"), "contractsent"),
            Some(Stage::Negotiate)
        );
        assert_eq!(map.portal_stage(None, "closedlost"), Some(Stage::Lost));
        let empty = StageMap::default();
        assert_eq!(
            empty.portal_stage(Some("7001"), "9003"),
            None,
            "not read yet: unmapped"
        );
        assert_eq!(
            creation_stage(&stages, "7001", Stage::Propose),
            Some("9002".into())
        );
        assert_eq!(creation_stage(&stages, "7001", Stage::Qualify), None);
        assert_eq!(
            creation_stage(&stages, "7001", Stage::Won),
            Some("9003".into())
        );
    }
}
