//! JSON mapping of lead events.
//!
//! An event is `{"id", "event", "timestamp", "data"}` with keys in that
//! order. The `data` keys start with `lead_id`, followed by the event's own
//! fields in declaration order. Consumers may rely on the order because
//! [`LeadEvent::to_json`] writes it the same way every time.

use serde::de::Error as _;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::Rfc3339;
use crate::{
    EventType, LeadCreatedData, LeadCreatedEvent, LeadEvent, LeadSource, LeadStatus,
    LeadStatusUpdatedData, LeadStatusUpdatedEvent,
};

impl LeadEvent {
    /// Returns the type that the event's `event` key names.
    pub fn event_type(&self) -> EventType {
        match self {
            LeadEvent::Created(_) => EventType::LeadCreated,
            LeadEvent::StatusUpdated(_) => EventType::LeadStatusUpdated,
        }
    }

    /// Returns the event's identifier.
    pub fn id(&self) -> &str {
        match self {
            LeadEvent::Created(event) => &event.id,
            LeadEvent::StatusUpdated(event) => &event.id,
        }
    }

    /// Returns the time of the change, in whole Unix seconds.
    pub fn timestamp(&self) -> i64 {
        match self {
            LeadEvent::Created(event) => event.timestamp,
            LeadEvent::StatusUpdated(event) => event.timestamp,
        }
    }

    /// Writes the event as compact JSON, the form published to the event
    /// channel and sent to webhooks.
    ///
    /// # Errors
    ///
    /// Fails only if a serialiser error occurs; the event types contain no
    /// values that JSON cannot express.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Reads an event written by [`LeadEvent::to_json`].
    ///
    /// # Errors
    ///
    /// Fails when the text is not JSON, names an unknown event type, lacks a
    /// key or has a key that the event type does not define.
    pub fn from_json(text: &str) -> Result<LeadEvent, serde_json::Error> {
        serde_json::from_str(text)
    }
}

fn serialize_event<S, T>(
    serializer: S,
    id: &str,
    event_type: EventType,
    timestamp: i64,
    data: &T,
) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    T: Serialize,
{
    let mut state = serializer.serialize_struct("LeadEvent", 4)?;
    state.serialize_field("id", id)?;
    state.serialize_field("event", &event_type)?;
    state.serialize_field("timestamp", &Rfc3339(timestamp))?;
    state.serialize_field("data", data)?;
    state.end()
}

impl Serialize for LeadCreatedData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("LeadCreatedData", 4)?;
        state.serialize_field("lead_id", &self.lead_id)?;
        state.serialize_field("name", &self.name)?;
        state.serialize_field("email", &self.email)?;
        state.serialize_field("source", &self.source)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadCreatedDataJson {
    lead_id: String,
    name: String,
    email: String,
    source: LeadSource,
}

impl<'de> Deserialize<'de> for LeadCreatedData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = LeadCreatedDataJson::deserialize(deserializer)?;
        Ok(LeadCreatedData {
            lead_id: json.lead_id,
            name: json.name,
            email: json.email,
            source: json.source,
        })
    }
}

impl Serialize for LeadStatusUpdatedData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("LeadStatusUpdatedData", 4)?;
        state.serialize_field("lead_id", &self.lead_id)?;
        state.serialize_field("old_status", &self.old_status)?;
        state.serialize_field("new_status", &self.new_status)?;
        state.serialize_field("updated_by", &self.updated_by)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadStatusUpdatedDataJson {
    lead_id: String,
    old_status: LeadStatus,
    new_status: LeadStatus,
    updated_by: String,
}

impl<'de> Deserialize<'de> for LeadStatusUpdatedData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = LeadStatusUpdatedDataJson::deserialize(deserializer)?;
        Ok(LeadStatusUpdatedData {
            lead_id: json.lead_id,
            old_status: json.old_status,
            new_status: json.new_status,
            updated_by: json.updated_by,
        })
    }
}

impl Serialize for LeadCreatedEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_event(
            serializer,
            &self.id,
            EventType::LeadCreated,
            self.timestamp,
            &self.data,
        )
    }
}

impl Serialize for LeadStatusUpdatedEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_event(
            serializer,
            &self.id,
            EventType::LeadStatusUpdated,
            self.timestamp,
            &self.data,
        )
    }
}

impl Serialize for LeadEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LeadEvent::Created(event) => event.serialize(serializer),
            LeadEvent::StatusUpdated(event) => event.serialize(serializer),
        }
    }
}

/// The `event` key selects the variant.
#[derive(Deserialize)]
#[serde(tag = "event", deny_unknown_fields)]
enum LeadEventJson {
    #[serde(rename = "lead.created")]
    Created {
        id: String,
        timestamp: Rfc3339,
        data: LeadCreatedData,
    },
    #[serde(rename = "lead.status_updated")]
    StatusUpdated {
        id: String,
        timestamp: Rfc3339,
        data: LeadStatusUpdatedData,
    },
}

impl<'de> Deserialize<'de> for LeadEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let event = match LeadEventJson::deserialize(deserializer)? {
            LeadEventJson::Created {
                id,
                timestamp,
                data,
            } => LeadEvent::Created(LeadCreatedEvent {
                id,
                timestamp: timestamp.0,
                data,
            }),
            LeadEventJson::StatusUpdated {
                id,
                timestamp,
                data,
            } => LeadEvent::StatusUpdated(LeadStatusUpdatedEvent {
                id,
                timestamp: timestamp.0,
                data,
            }),
        };
        Ok(event)
    }
}

impl<'de> Deserialize<'de> for LeadCreatedEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match LeadEvent::deserialize(deserializer)? {
            LeadEvent::Created(event) => Ok(event),
            LeadEvent::StatusUpdated(_) => Err(D::Error::custom(
                "expected a lead.created event, found lead.status_updated",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for LeadStatusUpdatedEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match LeadEvent::deserialize(deserializer)? {
            LeadEvent::StatusUpdated(event) => Ok(event),
            LeadEvent::Created(_) => Err(D::Error::custom(
                "expected a lead.status_updated event, found lead.created",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created_event() -> LeadEvent {
        LeadEvent::Created(LeadCreatedEvent {
            id: "evt_8f3k2m".into(),
            timestamp: 1_760_783_400,
            data: LeadCreatedData {
                lead_id: "lead_123456".into(),
                name: "John Doe".into(),
                email: "john@example.com".into(),
                source: LeadSource::Website,
            },
        })
    }

    fn status_updated_event() -> LeadEvent {
        LeadEvent::StatusUpdated(LeadStatusUpdatedEvent {
            id: "evt_9a4b7c".into(),
            timestamp: 1_760_783_400,
            data: LeadStatusUpdatedData {
                lead_id: "lead_123456".into(),
                old_status: LeadStatus::New,
                new_status: LeadStatus::Contacted,
                updated_by: "user_789".into(),
            },
        })
    }

    #[test]
    fn lead_created_event_is_compact_and_ordered() {
        assert_eq!(
            created_event().to_json().unwrap(),
            r#"{"id":"evt_8f3k2m","event":"lead.created","timestamp":"2025-10-18T10:30:00Z","data":{"lead_id":"lead_123456","name":"John Doe","email":"john@example.com","source":"website"}}"#
        );
    }

    #[test]
    fn status_updated_event_is_compact_and_ordered() {
        assert_eq!(
            status_updated_event().to_json().unwrap(),
            r#"{"id":"evt_9a4b7c","event":"lead.status_updated","timestamp":"2025-10-18T10:30:00Z","data":{"lead_id":"lead_123456","old_status":"new","new_status":"contacted","updated_by":"user_789"}}"#
        );
    }

    #[test]
    fn events_round_trip() {
        for event in [created_event(), status_updated_event()] {
            let text = event.to_json().unwrap();
            assert_eq!(LeadEvent::from_json(&text).unwrap(), event);
        }
    }

    #[test]
    fn event_accessors_match_variant() {
        let event = status_updated_event();
        assert_eq!(event.event_type(), EventType::LeadStatusUpdated);
        assert_eq!(event.id(), "evt_9a4b7c");
        assert_eq!(event.timestamp(), 1_760_783_400);
        assert_eq!(created_event().event_type(), EventType::LeadCreated);
    }

    #[test]
    fn event_rejects_unknown_type_and_mismatched_data() {
        let unknown =
            r#"{"id":"evt_1","event":"lead.deleted","timestamp":"2025-10-18T10:30:00Z","data":{}}"#;
        assert!(LeadEvent::from_json(unknown).is_err());

        let mismatched = r#"{"id":"evt_1","event":"lead.created","timestamp":"2025-10-18T10:30:00Z","data":{"lead_id":"lead_1","old_status":"new","new_status":"lost","updated_by":"u"}}"#;
        assert!(LeadEvent::from_json(mismatched).is_err());
    }

    #[test]
    fn typed_event_rejects_other_type() {
        let text = status_updated_event().to_json().unwrap();
        assert!(serde_json::from_str::<LeadCreatedEvent>(&text).is_err());
        assert!(serde_json::from_str::<LeadStatusUpdatedEvent>(&text).is_ok());
    }
}
