//! JSON spellings of the contract's enums.
//!
//! Every enum gets `ALL`, `as_str`, `parse`, `Display`, `Hash` and serde
//! implementations. Cases are spelled in lower-case `snake_case`, except
//! error codes in upper case and event types as dotted names.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::{
    AnalysisType, CompanySize, ErrorCode, EventType, HealthStatus, IntakeStatus, LeadClass,
    LeadSource, LeadStatus, Priority, RecommendedAction, Sentiment, ServiceState,
};

macro_rules! json_enum {
    ($name:ident { $($case:ident => $text:literal,)+ }) => {
        impl $name {
            /// Every case, in the order the WIT contract declares them.
            pub const ALL: [Self; [$($text),+].len()] = [$(Self::$case),+];

            /// Returns the case's spelling in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$case => $text,)+
                }
            }

            /// Parses the JSON spelling of a case. The match is exact and
            /// case-sensitive, so any other text returns `None`.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$case),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.as_str())
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct CaseVisitor;

                impl Visitor<'_> for CaseVisitor {
                    type Value = $name;

                    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                        formatter.write_str(concat!("a ", stringify!($name), " string"))
                    }

                    fn visit_str<E: de::Error>(self, text: &str) -> Result<$name, E> {
                        $name::parse(text)
                            .ok_or_else(|| E::unknown_variant(text, &[$($text),+]))
                    }
                }

                deserializer.deserialize_str(CaseVisitor)
            }
        }
    };
}

json_enum!(LeadSource {
    Website => "website",
    Social => "social",
    Referral => "referral",
    Email => "email",
    Phone => "phone",
});

json_enum!(LeadStatus {
    New => "new",
    Contacted => "contacted",
    Qualified => "qualified",
    Converted => "converted",
    Lost => "lost",
});

json_enum!(IntakeStatus {
    Pending => "pending",
});

json_enum!(HealthStatus {
    Healthy => "healthy",
    Degraded => "degraded",
    Unhealthy => "unhealthy",
});

json_enum!(ServiceState {
    Connected => "connected",
    Disconnected => "disconnected",
    NotConfigured => "not_configured",
});

json_enum!(ErrorCode {
    BadRequest => "BAD_REQUEST",
    Unauthorized => "UNAUTHORIZED",
    Forbidden => "FORBIDDEN",
    NotFound => "NOT_FOUND",
    MethodNotAllowed => "METHOD_NOT_ALLOWED",
    Conflict => "CONFLICT",
    PayloadTooLarge => "PAYLOAD_TOO_LARGE",
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
    ValidationError => "VALIDATION_ERROR",
    RateLimited => "RATE_LIMITED",
    InternalError => "INTERNAL_ERROR",
    ServiceUnavailable => "SERVICE_UNAVAILABLE",
});

json_enum!(Sentiment {
    Positive => "positive",
    Negative => "negative",
    Neutral => "neutral",
    Mixed => "mixed",
});

json_enum!(AnalysisType {
    Sentiment => "sentiment",
    Entities => "entities",
    Summary => "summary",
    Full => "full",
});

json_enum!(LeadClass {
    Enterprise => "enterprise",
    MidMarket => "mid_market",
    Smb => "smb",
    Individual => "individual",
});

json_enum!(Priority {
    High => "high",
    Medium => "medium",
    Low => "low",
});

json_enum!(RecommendedAction {
    ScheduleDemo => "schedule_demo",
    AssignToSales => "assign_to_sales",
    SendPricing => "send_pricing",
    Nurture => "nurture",
    Disqualify => "disqualify",
});

json_enum!(CompanySize {
    Small => "small",
    Medium => "medium",
    Large => "large",
    Enterprise => "enterprise",
});

json_enum!(EventType {
    LeadCreated => "lead.created",
    LeadStatusUpdated => "lead.status_updated",
});

impl ErrorCode {
    /// Returns the HTTP status code that responses with this error code carry.
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::ValidationError => 422,
            Self::RateLimited => 429,
            Self::InternalError => 500,
            Self::ServiceUnavailable => 503,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_spellings<T>(all: &[T], expected: &[&str])
    where
        T: Copy + fmt::Debug + PartialEq + Serialize + for<'de> Deserialize<'de>,
        T: fmt::Display,
    {
        let spellings: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(spellings, expected);
        for (&case, &text) in all.iter().zip(expected) {
            assert_eq!(serde_json::to_value(case).unwrap(), serde_json::json!(text));
            assert_eq!(
                serde_json::from_value::<T>(serde_json::json!(text)).unwrap(),
                case
            );
        }
    }

    #[test]
    fn lead_enums_use_json_spellings() {
        assert_spellings(
            &LeadSource::ALL,
            &["website", "social", "referral", "email", "phone"],
        );
        assert_spellings(
            &LeadStatus::ALL,
            &["new", "contacted", "qualified", "converted", "lost"],
        );
        assert_spellings(&IntakeStatus::ALL, &["pending"]);
    }

    #[test]
    fn health_enums_use_json_spellings() {
        assert_spellings(&HealthStatus::ALL, &["healthy", "degraded", "unhealthy"]);
        assert_spellings(
            &ServiceState::ALL,
            &["connected", "disconnected", "not_configured"],
        );
    }

    #[test]
    fn error_codes_map_to_spellings_and_statuses() {
        assert_spellings(
            &ErrorCode::ALL,
            &[
                "BAD_REQUEST",
                "UNAUTHORIZED",
                "FORBIDDEN",
                "NOT_FOUND",
                "METHOD_NOT_ALLOWED",
                "CONFLICT",
                "PAYLOAD_TOO_LARGE",
                "UNSUPPORTED_MEDIA_TYPE",
                "VALIDATION_ERROR",
                "RATE_LIMITED",
                "INTERNAL_ERROR",
                "SERVICE_UNAVAILABLE",
            ],
        );
        let statuses: Vec<u16> = ErrorCode::ALL.iter().map(|code| code.status()).collect();
        assert_eq!(
            statuses,
            [400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503]
        );
    }

    #[test]
    fn ai_enums_use_json_spellings() {
        assert_spellings(
            &Sentiment::ALL,
            &["positive", "negative", "neutral", "mixed"],
        );
        assert_spellings(
            &AnalysisType::ALL,
            &["sentiment", "entities", "summary", "full"],
        );
        assert_spellings(
            &LeadClass::ALL,
            &["enterprise", "mid_market", "smb", "individual"],
        );
        assert_spellings(&Priority::ALL, &["high", "medium", "low"]);
        assert_spellings(
            &RecommendedAction::ALL,
            &[
                "schedule_demo",
                "assign_to_sales",
                "send_pricing",
                "nurture",
                "disqualify",
            ],
        );
        assert_spellings(
            &CompanySize::ALL,
            &["small", "medium", "large", "enterprise"],
        );
    }

    #[test]
    fn event_types_use_dotted_names() {
        assert_spellings(&EventType::ALL, &["lead.created", "lead.status_updated"]);
    }

    #[test]
    fn parse_is_case_sensitive_and_exact() {
        assert_eq!(LeadSource::parse("website"), Some(LeadSource::Website));
        assert_eq!(LeadSource::parse("Website"), None);
        assert_eq!(LeadSource::parse(" website"), None);
        assert_eq!(LeadSource::parse("web"), None);
        assert_eq!(ErrorCode::parse("validation_error"), None);
        assert_eq!(ServiceState::parse("not-configured"), None);
    }

    #[test]
    fn deserialize_rejects_unknown_case_and_lists_allowed() {
        let error = serde_json::from_value::<LeadSource>(serde_json::json!("fax")).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("fax"), "{message}");
        assert!(message.contains("website"), "{message}");
    }
}
