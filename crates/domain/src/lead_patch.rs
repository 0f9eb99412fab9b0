//! The body of a lead update (`PATCH /api/leads/{id}`).

use cloudvelous_contract::LeadStatus;
use serde_json::Value;

use crate::field::FieldError;
use crate::lead_fields::{SET_BY_SERVER, clearable, optional, reject_extra_fields};
use crate::lead_status::parse_status;
use crate::{CompanyName, Email, Notes, PersonName, PhoneNumber};

/// Fields that an update may change, in the order their errors are
/// reported.
const EDITABLE_FIELDS: [&str; 6] = ["name", "email", "phone", "company", "status", "notes"];

/// Fields that an update may not change, with the reason, in the order
/// their errors are reported. The analytics count each lead under the
/// source it arrived from, so `source` stays as created.
const FIXED_FIELDS: [(&str, &str); 4] = [
    ("id", SET_BY_SERVER),
    ("source", "cannot be changed after the lead is created"),
    ("created_at", SET_BY_SERVER),
    ("updated_at", SET_BY_SERVER),
];

/// A validated lead update: the fields to change, each validated by the
/// rules of a new lead. A field that is `None` stays as stored.
///
/// `phone`, `company` and `notes` are `Some(None)` when the update clears
/// them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadPatch {
    /// New name.
    pub name: Option<PersonName>,
    /// New email address. The stored comparison key follows it.
    pub email: Option<Email>,
    /// New phone number, or `Some(None)` to clear it.
    pub phone: Option<Option<PhoneNumber>>,
    /// New company name, or `Some(None)` to clear it.
    pub company: Option<Option<CompanyName>>,
    /// New lifecycle status. Whether the lead may move to it is decided
    /// against its stored status.
    pub status: Option<LeadStatus>,
    /// New notes, or `Some(None)` to clear them.
    pub notes: Option<Option<Notes>>,
}

impl LeadPatch {
    /// Parses a lead update from a JSON body, collecting every field error.
    ///
    /// The body must be an object that contains at least one of `name`,
    /// `email`, `phone`, `company`, `status` and `notes`. Each given field
    /// must be a string that passes the rule of
    /// [`NewLead`](crate::NewLead) for that field, and `status` must be a
    /// [`LeadStatus`] spelling, matched case-sensitively. `null` clears
    /// `phone`, `company` or `notes` and is rejected for the other fields.
    /// `id`, `source`, `created_at`, `updated_at` and unknown fields are
    /// rejected.
    ///
    /// # Errors
    ///
    /// Returns one [`FieldError`] per offending field. The first is for the
    /// field `body` when no editable field is present. Editable fields follow
    /// in the order name, email, phone, company, status, notes, and then the
    /// fixed fields in the order above. Unknown fields come last, as
    /// [`NewLead::from_json`](crate::NewLead::from_json) reports them. A body
    /// that is not an object gives a single error for the field `body`.
    pub fn from_json(value: &Value) -> Result<LeadPatch, Vec<FieldError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![FieldError::new("body", "must be a JSON object")]);
        };
        let mut errors = Vec::new();

        if !EDITABLE_FIELDS
            .iter()
            .any(|field| object.contains_key(*field))
        {
            errors.push(FieldError::new(
                "body",
                format!(
                    "must contain at least one of: {}",
                    EDITABLE_FIELDS.join(", ")
                ),
            ));
        }
        let patch = LeadPatch {
            name: optional(object, "name", PersonName::parse, &mut errors),
            email: optional(object, "email", Email::parse, &mut errors),
            phone: clearable(object, "phone", PhoneNumber::parse, &mut errors),
            company: clearable(object, "company", CompanyName::parse, &mut errors),
            status: optional(object, "status", parse_status, &mut errors),
            notes: clearable(object, "notes", Notes::parse, &mut errors),
        };
        reject_extra_fields(object, &EDITABLE_FIELDS, &FIXED_FIELDS, &mut errors);

        if errors.is_empty() {
            Ok(patch)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors_of(value: Value) -> Vec<(String, String)> {
        LeadPatch::from_json(&value)
            .unwrap_err()
            .into_iter()
            .map(|error| (error.field, error.message))
            .collect()
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_owned(), message.to_owned())
    }

    #[test]
    fn parses_every_editable_field() {
        let patch = LeadPatch::from_json(&json!({
            "name": "  Ada Lovelace ",
            "email": " Ada@Example.com ",
            "phone": "+441234567890",
            "company": "Analytical Engines",
            "status": "qualified",
            "notes": " as sent "
        }))
        .unwrap();

        assert_eq!(patch.name.unwrap().as_str(), "Ada Lovelace");
        assert_eq!(patch.email.unwrap().as_str(), "Ada@Example.com");
        assert_eq!(patch.phone.unwrap().unwrap().as_str(), "+441234567890");
        assert_eq!(
            patch.company.unwrap().unwrap().as_str(),
            "Analytical Engines"
        );
        assert_eq!(patch.status, Some(LeadStatus::Qualified));
        assert_eq!(patch.notes.unwrap().unwrap().as_str(), " as sent ");
    }

    #[test]
    fn missing_fields_stay_unchanged() {
        let patch = LeadPatch::from_json(&json!({"status": "lost"})).unwrap();

        assert_eq!(
            patch,
            LeadPatch {
                name: None,
                email: None,
                phone: None,
                company: None,
                status: Some(LeadStatus::Lost),
                notes: None,
            }
        );
    }

    #[test]
    fn null_clears_optional_fields() {
        let patch =
            LeadPatch::from_json(&json!({"phone": null, "company": null, "notes": null})).unwrap();

        assert_eq!(patch.phone, Some(None));
        assert_eq!(patch.company, Some(None));
        assert_eq!(patch.notes, Some(None));
        assert_eq!(patch.name, None);
    }

    #[test]
    fn null_is_rejected_for_required_fields() {
        assert_eq!(
            errors_of(json!({"name": null, "email": null, "status": null})),
            [
                pair("name", "must not be null"),
                pair("email", "must not be null"),
                pair("status", "must not be null"),
            ]
        );
    }

    #[test]
    fn empty_object_is_rejected() {
        assert_eq!(
            errors_of(json!({})),
            [pair(
                "body",
                "must contain at least one of: name, email, phone, company, status, notes"
            )]
        );
    }

    #[test]
    fn non_object_body_is_rejected() {
        for body in [json!([]), json!("lead"), json!(null), json!(1)] {
            assert_eq!(errors_of(body), [pair("body", "must be a JSON object")]);
        }
    }

    #[test]
    fn status_is_case_sensitive() {
        for status in ["Contacted", "CONTACTED", "contact", "", " new"] {
            assert_eq!(
                errors_of(json!({"status": status})),
                [pair(
                    "status",
                    "must be one of: new, contacted, qualified, converted, lost"
                )],
                "{status:?}"
            );
        }
    }

    #[test]
    fn fixed_and_unknown_fields_are_rejected() {
        assert_eq!(
            errors_of(json!({
                "name": "Ada",
                "updated_at": "2025-10-18T10:30:00Z",
                "source": "email",
                "created_at": "2025-10-18T10:30:00Z",
                "id": "lead_abc",
                "zip": "12345",
                "Status": "new"
            })),
            [
                pair("id", "is set by the server"),
                pair("source", "cannot be changed after the lead is created"),
                pair("created_at", "is set by the server"),
                pair("updated_at", "is set by the server"),
                pair("Status", "unknown field"),
                pair("zip", "unknown field"),
            ]
        );
    }

    #[test]
    fn only_fixed_fields_also_report_body() {
        assert_eq!(
            errors_of(json!({"source": "email"})),
            [
                pair(
                    "body",
                    "must contain at least one of: name, email, phone, company, status, notes"
                ),
                pair("source", "cannot be changed after the lead is created"),
            ]
        );
    }

    #[test]
    fn collects_errors_of_every_field() {
        assert_eq!(
            errors_of(json!({
                "name": "   ",
                "email": "a..b@x.com",
                "phone": "0123",
                "company": "c".repeat(101),
                "status": 3,
                "notes": "n".repeat(1001)
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
                pair("status", "must be a string"),
                pair("notes", "must be at most 1000 characters"),
            ]
        );
    }

    #[test]
    fn empty_company_is_rejected_and_empty_notes_kept() {
        assert_eq!(
            errors_of(json!({"company": "  "})),
            [pair("company", "must not be empty")]
        );
        let patch = LeadPatch::from_json(&json!({"notes": ""})).unwrap();
        assert_eq!(patch.notes.unwrap().unwrap().as_str(), "");
    }
}
