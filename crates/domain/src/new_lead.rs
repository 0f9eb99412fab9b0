//! The body of a lead submission.

use cloudvelous_contract::{Lead, LeadSource, LeadStatus};
use serde_json::Value;

use crate::field::{FieldError, InvalidValue};
use crate::lead_fields::{SET_BY_SERVER, optional, reject_extra_fields, required};
use crate::{CompanyName, Email, LeadId, Notes, PersonName, PhoneNumber, Timestamp};

/// Fields that the server sets and a client must not send, in the order
/// their errors are reported.
const SERVER_OWNED_FIELDS: [(&str, &str); 4] = [
    ("id", SET_BY_SERVER),
    ("status", SET_BY_SERVER),
    ("created_at", SET_BY_SERVER),
    ("updated_at", SET_BY_SERVER),
];
/// Fields that a client may send, in the order their errors are reported.
const CLIENT_FIELDS: [&str; 6] = ["name", "email", "phone", "company", "source", "notes"];

const INVALID_SOURCE: InvalidValue =
    InvalidValue::new("must be one of: website, social, referral, email, phone");

/// A validated lead submission, built from the JSON body of `POST /api/leads`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLead {
    /// Person's name.
    pub name: PersonName,
    /// Email address.
    pub email: Email,
    /// Phone number, if sent.
    pub phone: Option<PhoneNumber>,
    /// Company name, if sent.
    pub company: Option<CompanyName>,
    /// Channel through which the lead arrived.
    pub source: LeadSource,
    /// Notes, if sent.
    pub notes: Option<Notes>,
}

impl NewLead {
    /// Parses a lead submission from a JSON body, collecting every field
    /// error.
    ///
    /// The body must be an object. `name`, `email` and `source` are required;
    /// `phone`, `company` and `notes` are optional but must not be `null`.
    /// Every field must be a string. `source` must be one of the
    /// [`LeadSource`] spellings, matched case-sensitively. The server-owned
    /// fields `id`, `status`, `created_at` and `updated_at` and any other
    /// unknown field are rejected.
    ///
    /// # Errors
    ///
    /// Returns one [`FieldError`] per offending field: client fields in the
    /// order name, email, phone, company, source, notes, then server-owned
    /// fields in the order above, then unknown fields sorted by name. Only
    /// the first 20 unknown fields are named, each cut at 64 characters, and
    /// one more error for the field `body` counts the rest. A body that is
    /// not an object gives a single error for the field `body`.
    pub fn from_json(value: &Value) -> Result<NewLead, Vec<FieldError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![FieldError::new("body", "must be a JSON object")]);
        };
        let mut errors = Vec::new();

        let name = required(object, "name", PersonName::parse, &mut errors);
        let email = required(object, "email", Email::parse, &mut errors);
        let phone = optional(object, "phone", PhoneNumber::parse, &mut errors);
        let company = optional(object, "company", CompanyName::parse, &mut errors);
        let source = required(object, "source", parse_source, &mut errors);
        let notes = optional(object, "notes", Notes::parse, &mut errors);
        reject_extra_fields(object, &CLIENT_FIELDS, &SERVER_OWNED_FIELDS, &mut errors);

        match (name, email, source) {
            (Some(name), Some(email), Some(source)) if errors.is_empty() => Ok(NewLead {
                name,
                email,
                phone,
                company,
                source,
                notes,
            }),
            _ => Err(errors),
        }
    }

    /// Builds the stored lead with lifecycle status `new` and no update time.
    pub fn into_lead(self, id: LeadId, created_at: Timestamp) -> Lead {
        Lead {
            id: id.into_inner(),
            name: self.name.into_inner(),
            email: self.email.into_inner(),
            phone: self.phone.map(PhoneNumber::into_inner),
            company: self.company.map(CompanyName::into_inner),
            notes: self.notes.map(Notes::into_inner),
            source: self.source,
            status: LeadStatus::New,
            created_at: created_at.unix_seconds(),
            updated_at: None,
        }
    }
}

impl TryFrom<&Value> for NewLead {
    type Error = Vec<FieldError>;

    fn try_from(value: &Value) -> Result<Self, Self::Error> {
        NewLead::from_json(value)
    }
}

fn parse_source(raw: &str) -> Result<LeadSource, InvalidValue> {
    LeadSource::parse(raw).ok_or(INVALID_SOURCE)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors_of(value: Value) -> Vec<(String, String)> {
        NewLead::from_json(&value)
            .unwrap_err()
            .into_iter()
            .map(|error| (error.field, error.message))
            .collect()
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_owned(), message.to_owned())
    }

    #[test]
    fn parses_every_field() {
        let lead = NewLead::from_json(&json!({
            "name": "John Doe",
            "email": "john@example.com",
            "phone": "+1234567890",
            "company": "Acme Corp",
            "source": "website",
            "notes": "Interested in enterprise plan"
        }))
        .unwrap();
        assert_eq!(lead.name.as_str(), "John Doe");
        assert_eq!(lead.email.as_str(), "john@example.com");
        assert_eq!(lead.phone.unwrap().as_str(), "+1234567890");
        assert_eq!(lead.company.unwrap().as_str(), "Acme Corp");
        assert_eq!(lead.source, LeadSource::Website);
        assert_eq!(
            lead.notes.unwrap().as_str(),
            "Interested in enterprise plan"
        );
    }

    #[test]
    fn parses_required_fields_only() {
        let lead = NewLead::try_from(&json!({
            "name": " Jane ",
            "email": " jane+crm@example.com ",
            "source": "referral"
        }))
        .unwrap();
        assert_eq!(lead.name.as_str(), "Jane");
        assert_eq!(lead.email.as_str(), "jane+crm@example.com");
        assert_eq!(lead.phone, None);
        assert_eq!(lead.company, None);
        assert_eq!(lead.notes, None);
    }

    #[test]
    fn into_lead_sets_status_new() {
        let new_lead = NewLead::from_json(&json!({
            "name": "Jane",
            "email": "jane@example.com",
            "company": "Acme",
            "source": "email"
        }))
        .unwrap();
        let id = LeadId::parse("lead_abc123").unwrap();
        let lead = new_lead.into_lead(id, Timestamp::from_unix_seconds(1_760_783_400));
        assert_eq!(lead.id, "lead_abc123");
        assert_eq!(lead.status, LeadStatus::New);
        assert_eq!(lead.company.as_deref(), Some("Acme"));
        assert_eq!(lead.phone, None);
        assert_eq!(lead.created_at, 1_760_783_400);
        assert_eq!(lead.updated_at, None);
    }

    #[test]
    fn rejects_non_object_body() {
        for body in [json!([]), json!("lead"), json!(null), json!(42)] {
            assert_eq!(errors_of(body), [pair("body", "must be a JSON object")]);
        }
    }

    #[test]
    fn reports_missing_required_fields() {
        assert_eq!(
            errors_of(json!({})),
            [
                pair("name", "is required"),
                pair("email", "is required"),
                pair("source", "is required"),
            ]
        );
    }

    #[test]
    fn rejects_null_on_every_field() {
        assert_eq!(
            errors_of(json!({
                "name": null,
                "email": null,
                "phone": null,
                "company": null,
                "source": null,
                "notes": null
            })),
            [
                pair("name", "must not be null"),
                pair("email", "must not be null"),
                pair("phone", "must not be null"),
                pair("company", "must not be null"),
                pair("source", "must not be null"),
                pair("notes", "must not be null"),
            ]
        );
    }

    #[test]
    fn rejects_wrong_json_types() {
        assert_eq!(
            errors_of(json!({
                "name": 1,
                "email": ["john@example.com"],
                "phone": 1234567890,
                "company": {"name": "Acme"},
                "source": true,
                "notes": 0.5
            })),
            [
                pair("name", "must be a string"),
                pair("email", "must be a string"),
                pair("phone", "must be a string"),
                pair("company", "must be a string"),
                pair("source", "must be a string"),
                pair("notes", "must be a string"),
            ]
        );
    }

    #[test]
    fn source_is_case_sensitive_and_lists_allowed_values() {
        for source in ["Website", "WEBSITE", "web", "", " website"] {
            let errors = errors_of(json!({
                "name": "Jane",
                "email": "jane@example.com",
                "source": source
            }));
            assert_eq!(
                errors,
                [pair(
                    "source",
                    "must be one of: website, social, referral, email, phone"
                )],
                "{source:?}"
            );
        }
    }

    #[test]
    fn source_message_lists_every_source() {
        let listed: Vec<&str> = LeadSource::ALL
            .iter()
            .map(|source| source.as_str())
            .collect();
        let expected = format!("must be one of: {}", listed.join(", "));
        assert_eq!(INVALID_SOURCE.message(), expected);
    }

    #[test]
    fn rejects_server_owned_fields() {
        assert_eq!(
            errors_of(json!({
                "name": "Jane",
                "email": "jane@example.com",
                "source": "social",
                "updated_at": "2025-10-18T10:30:00Z",
                "status": "new",
                "id": "lead_abc",
                "created_at": "2025-10-18T10:30:00Z"
            })),
            [
                pair("id", "is set by the server"),
                pair("status", "is set by the server"),
                pair("created_at", "is set by the server"),
                pair("updated_at", "is set by the server"),
            ]
        );
    }

    #[test]
    fn rejects_unknown_fields_in_sorted_order() {
        assert_eq!(
            errors_of(json!({
                "name": "Jane",
                "email": "jane@example.com",
                "source": "phone",
                "zip": "12345",
                "Name": "Jane",
                "age": 30
            })),
            [
                pair("Name", "unknown field"),
                pair("age", "unknown field"),
                pair("zip", "unknown field"),
            ]
        );
    }

    #[test]
    fn shortens_huge_unknown_field_names() {
        let key = "k".repeat(10_000);
        let errors = errors_of(json!({
            "name": "Jane",
            "email": "jane@example.com",
            "source": "phone",
            key: 1
        }));
        let expected = format!("{}…", "k".repeat(64));
        assert_eq!(errors, [pair(&expected, "unknown field")]);
    }

    #[test]
    fn collapses_unknown_fields_after_twenty() {
        let mut body = json!({
            "name": "Jane",
            "email": "jane@example.com",
            "source": "phone"
        });
        let object = body.as_object_mut().unwrap();
        for index in 0..10_000 {
            object.insert(format!("x{index:05}"), json!(0));
        }
        let errors = errors_of(body);
        assert_eq!(errors.len(), 21);
        assert_eq!(errors[0], pair("x00000", "unknown field"));
        assert_eq!(errors[19], pair("x00019", "unknown field"));
        assert_eq!(errors[20], pair("body", "9980 more unknown fields"));
    }

    #[test]
    fn names_exactly_twenty_unknown_fields() {
        let mut body = json!({"name": "Jane", "email": "jane@example.com", "source": "phone"});
        let object = body.as_object_mut().unwrap();
        for index in 0..20 {
            object.insert(format!("x{index:02}"), json!(0));
        }
        let errors = errors_of(body.clone());
        assert_eq!(errors.len(), 20);
        assert!(errors.iter().all(|(_, message)| message == "unknown field"));

        body.as_object_mut().unwrap().insert("y".into(), json!(0));
        let errors = errors_of(body);
        assert_eq!(errors.len(), 21);
        assert_eq!(errors[20], pair("body", "1 more unknown field"));
    }

    #[test]
    fn collects_errors_of_several_fields() {
        assert_eq!(
            errors_of(json!({
                "name": "   ",
                "email": "a..b@x.com",
                "phone": "0123",
                "company": "c".repeat(101),
                "notes": "n".repeat(1001),
                "id": "lead_x",
                "extra": true
            })),
            [
                pair("name", "must not be empty"),
                pair(
                    "email",
                    "must be a valid email address: the part before the @ must not start or end with a dot or contain two dots in a row"
                ),
                pair(
                    "phone",
                    "must be 2 to 15 digits (0-9) with an optional leading +, and must not start with 0"
                ),
                pair("company", "must be at most 100 characters"),
                pair("source", "is required"),
                pair("notes", "must be at most 1000 characters"),
                pair("id", "is set by the server"),
                pair("extra", "unknown field"),
            ]
        );
    }

    #[test]
    fn rejects_invalid_email_alone() {
        assert_eq!(
            errors_of(json!({
                "name": "Jane",
                "email": "not-an-email",
                "source": "website"
            })),
            [pair("email", "must be a valid email address")]
        );
    }

    #[test]
    fn messages_do_not_echo_values() {
        let secret = "s3cr3t-value";
        let errors = NewLead::from_json(&json!({
            "name": format!("{secret}\n"),
            "email": secret,
            "phone": secret,
            "source": secret,
        }))
        .unwrap_err();
        for error in errors {
            assert!(!error.message.contains(secret), "{error:?}");
        }
    }
}
