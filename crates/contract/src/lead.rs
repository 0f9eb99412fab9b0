//! JSON mapping of leads, lead pages and lead acknowledgements.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::{Rfc3339, serialize_optional, serialize_optional_timestamp};
use crate::{IntakeStatus, Lead, LeadAcknowledgement, LeadPage, LeadSource, LeadStatus};

/// Keys in the order of the lead JSON schema, which lists `notes` after
/// `status`. Absent optional fields are left out.
impl Serialize for Lead {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Lead", 10)?;
        state.serialize_field("id", &self.id)?;
        state.serialize_field("name", &self.name)?;
        state.serialize_field("email", &self.email)?;
        serialize_optional(&mut state, "phone", self.phone.as_ref())?;
        serialize_optional(&mut state, "company", self.company.as_ref())?;
        state.serialize_field("source", &self.source)?;
        state.serialize_field("status", &self.status)?;
        serialize_optional(&mut state, "notes", self.notes.as_ref())?;
        state.serialize_field("created_at", &Rfc3339(self.created_at))?;
        serialize_optional_timestamp(&mut state, "updated_at", self.updated_at)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadJson {
    id: String,
    name: String,
    email: String,
    phone: Option<String>,
    company: Option<String>,
    source: LeadSource,
    status: LeadStatus,
    notes: Option<String>,
    created_at: Rfc3339,
    updated_at: Option<Rfc3339>,
}

impl<'de> Deserialize<'de> for Lead {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = LeadJson::deserialize(deserializer)?;
        Ok(Lead {
            id: json.id,
            name: json.name,
            email: json.email,
            phone: json.phone,
            company: json.company,
            notes: json.notes,
            source: json.source,
            status: json.status,
            created_at: json.created_at.0,
            updated_at: json.updated_at.map(|timestamp| timestamp.0),
        })
    }
}

/// `{"data": [...], "next_cursor": ...}`, with `next_cursor` set to `null`
/// on the last page so that clients can test one key.
impl Serialize for LeadPage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("LeadPage", 2)?;
        state.serialize_field("data", &self.data)?;
        state.serialize_field("next_cursor", &self.next_cursor)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadPageJson {
    data: Vec<Lead>,
    next_cursor: Option<String>,
}

impl<'de> Deserialize<'de> for LeadPage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = LeadPageJson::deserialize(deserializer)?;
        Ok(LeadPage {
            data: json.data,
            next_cursor: json.next_cursor,
        })
    }
}

impl Serialize for LeadAcknowledgement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("LeadAcknowledgement", 4)?;
        state.serialize_field("id", &self.id)?;
        state.serialize_field("status", &self.status)?;
        state.serialize_field("created_at", &Rfc3339(self.created_at))?;
        state.serialize_field("message", &self.message)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadAcknowledgementJson {
    id: String,
    status: IntakeStatus,
    created_at: Rfc3339,
    message: String,
}

impl<'de> Deserialize<'de> for LeadAcknowledgement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = LeadAcknowledgementJson::deserialize(deserializer)?;
        Ok(LeadAcknowledgement {
            id: json.id,
            status: json.status,
            created_at: json.created_at.0,
            message: json.message,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// 2025-10-18T10:30:00Z.
    const EXAMPLE_TIME: i64 = 1_760_783_400;

    fn full_lead() -> Lead {
        Lead {
            id: "lead_123456".into(),
            name: "John Doe".into(),
            email: "john@example.com".into(),
            phone: Some("+1234567890".into()),
            company: Some("Acme Corp".into()),
            notes: Some("Interested in enterprise plan".into()),
            source: LeadSource::Website,
            status: LeadStatus::New,
            created_at: EXAMPLE_TIME,
            updated_at: Some(EXAMPLE_TIME + 60),
        }
    }

    #[test]
    fn lead_serializes_every_field() {
        let value = serde_json::to_value(full_lead()).unwrap();
        assert_eq!(
            value,
            json!({
                "id": "lead_123456",
                "name": "John Doe",
                "email": "john@example.com",
                "phone": "+1234567890",
                "company": "Acme Corp",
                "source": "website",
                "status": "new",
                "notes": "Interested in enterprise plan",
                "created_at": "2025-10-18T10:30:00Z",
                "updated_at": "2025-10-18T10:31:00Z"
            })
        );
    }

    #[test]
    fn lead_omits_absent_optional_fields() {
        let lead = Lead {
            phone: None,
            company: None,
            notes: None,
            updated_at: None,
            ..full_lead()
        };
        let text = serde_json::to_string(&lead).unwrap();
        assert_eq!(
            text,
            r#"{"id":"lead_123456","name":"John Doe","email":"john@example.com","source":"website","status":"new","created_at":"2025-10-18T10:30:00Z"}"#
        );
        assert!(!text.contains("null"));
    }

    #[test]
    fn lead_round_trips() {
        let lead = full_lead();
        let text = serde_json::to_string(&lead).unwrap();
        assert_eq!(serde_json::from_str::<Lead>(&text).unwrap(), lead);
    }

    #[test]
    fn lead_rejects_bad_timestamp_and_unknown_field() {
        let mut value = serde_json::to_value(full_lead()).unwrap();
        value["created_at"] = json!("2025-10-18 10:30:00");
        assert!(serde_json::from_value::<Lead>(value.clone()).is_err());

        value["created_at"] = json!("2025-10-18T10:30:00Z");
        value["extra"] = json!(1);
        assert!(serde_json::from_value::<Lead>(value).is_err());
    }

    #[test]
    fn lead_page_serializes_cursor() {
        let page = LeadPage {
            data: vec![full_lead()],
            next_cursor: Some("abc".into()),
        };
        let value = serde_json::to_value(&page).unwrap();
        assert_eq!(value["next_cursor"], json!("abc"));
        assert_eq!(value["data"][0]["id"], json!("lead_123456"));
        assert_eq!(serde_json::from_value::<LeadPage>(value).unwrap(), page);
    }

    #[test]
    fn last_lead_page_has_null_cursor() {
        let page = LeadPage {
            data: Vec::new(),
            next_cursor: None,
        };
        assert_eq!(
            serde_json::to_value(page).unwrap(),
            json!({"data": [], "next_cursor": null})
        );
    }

    #[test]
    fn acknowledgement_serializes_all_fields() {
        let acknowledgement = LeadAcknowledgement {
            id: "lead_123456".into(),
            status: IntakeStatus::Pending,
            created_at: EXAMPLE_TIME,
            message: "Lead created successfully".into(),
        };
        let value = serde_json::to_value(&acknowledgement).unwrap();
        assert_eq!(
            value,
            json!({
                "id": "lead_123456",
                "status": "pending",
                "created_at": "2025-10-18T10:30:00Z",
                "message": "Lead created successfully"
            })
        );
        assert_eq!(
            serde_json::from_value::<LeadAcknowledgement>(value).unwrap(),
            acknowledgement
        );
    }
}
