//! The data contracts of the Cloudvelous lead platform.
//!
//! The types are generated from the WIT package `cloudvelous:contract@1.0.0`
//! in the workspace's `wit/` folder, so every component shares one
//! definition. The modules beside them map each type to its JSON form:
//! `snake_case` keys, `snake_case` enum strings, optional fields left out
//! when absent, and timestamps as RFC 3339 strings.
//!
//! Timestamp fields hold whole Unix seconds (`i64`); see [`rfc3339`].
//!
//! NOTE: the generated `Debug` implementations print every field, including
//! names and email addresses, so log lines must not format these values
//! with `{:?}`.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "contract",
        additional_derives: [PartialEq],
        generate_unused_types: true,
    });
}

mod ai;
mod analytics;
mod enums;
mod error;
mod events;
mod health;
mod json;
mod lead;
pub mod rfc3339;

pub use bindings::cloudvelous::contract::types::{
    AnalysisType, AnalyticsReport, CompanySize, DailyCount, Entity, ErrorBody, ErrorCode,
    ErrorDetail, ErrorEnvelope, EventType, HealthReport, HealthServices, HealthStatus,
    IntakeStatus, Lead, LeadAcknowledgement, LeadClass, LeadClassification, LeadCreatedData,
    LeadCreatedEvent, LeadEvent, LeadPage, LeadSource, LeadStatus, LeadStatusUpdatedData,
    LeadStatusUpdatedEvent, Priority, RecommendedAction, Sentiment, SentimentReport, ServiceState,
    Signal, SourceCounts, StatusCounts, TextAnalysis, Trends,
};
