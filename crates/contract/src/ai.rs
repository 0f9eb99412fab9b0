//! JSON mapping of sentiment reports, text analyses and lead classifications.
//!
//! Confidence values and weights that are NaN or infinite fail to serialise,
//! because JSON cannot express them.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::{Rfc3339, serialize_finite, serialize_optional};
use crate::{
    Entity, LeadClass, LeadClassification, Priority, RecommendedAction, Sentiment, SentimentReport,
    Signal, TextAnalysis,
};

impl Serialize for SentimentReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("SentimentReport", 5)?;
        state.serialize_field("lead_id", &self.lead_id)?;
        state.serialize_field("sentiment", &self.sentiment)?;
        serialize_finite(&mut state, "confidence", self.confidence)?;
        state.serialize_field("entities", &self.entities)?;
        state.serialize_field("analysis_date", &Rfc3339(self.analysis_date))?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SentimentReportJson {
    lead_id: String,
    sentiment: Sentiment,
    confidence: f64,
    entities: Vec<String>,
    analysis_date: Rfc3339,
}

impl<'de> Deserialize<'de> for SentimentReport {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = SentimentReportJson::deserialize(deserializer)?;
        Ok(SentimentReport {
            lead_id: json.lead_id,
            sentiment: json.sentiment,
            confidence: json.confidence,
            entities: json.entities,
            analysis_date: json.analysis_date.0,
        })
    }
}

/// The Rust field `type_` is the JSON key `type`.
impl Serialize for Entity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Entity", 5)?;
        state.serialize_field("text", &self.text)?;
        state.serialize_field("type", &self.type_)?;
        serialize_finite(&mut state, "confidence", self.confidence)?;
        state.serialize_field("start", &self.start)?;
        state.serialize_field("end", &self.end)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityJson {
    text: String,
    #[serde(rename = "type")]
    type_: String,
    confidence: f64,
    start: u32,
    end: u32,
}

impl<'de> Deserialize<'de> for Entity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = EntityJson::deserialize(deserializer)?;
        Ok(Entity {
            text: json.text,
            type_: json.type_,
            confidence: json.confidence,
            start: json.start,
            end: json.end,
        })
    }
}

impl Serialize for TextAnalysis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("TextAnalysis", 4)?;
        state.serialize_field("sentiment", &self.sentiment)?;
        serialize_finite(&mut state, "confidence", self.confidence)?;
        state.serialize_field("entities", &self.entities)?;
        state.serialize_field("summary", &self.summary)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextAnalysisJson {
    sentiment: Sentiment,
    confidence: f64,
    entities: Vec<Entity>,
    summary: String,
}

impl<'de> Deserialize<'de> for TextAnalysis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = TextAnalysisJson::deserialize(deserializer)?;
        Ok(TextAnalysis {
            sentiment: json.sentiment,
            confidence: json.confidence,
            entities: json.entities,
            summary: json.summary,
        })
    }
}

impl Serialize for Signal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Signal", 2)?;
        state.serialize_field("name", &self.name)?;
        serialize_finite(&mut state, "weight", self.weight)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalJson {
    name: String,
    weight: f64,
}

impl<'de> Deserialize<'de> for Signal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = SignalJson::deserialize(deserializer)?;
        Ok(Signal {
            name: json.name,
            weight: json.weight,
        })
    }
}

/// `lead_id` is left out when the request sent none.
impl Serialize for LeadClassification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("LeadClassification", 7)?;
        serialize_optional(&mut state, "lead_id", self.lead_id.as_ref())?;
        state.serialize_field("classification", &self.classification)?;
        serialize_finite(&mut state, "confidence", self.confidence)?;
        state.serialize_field("priority", &self.priority)?;
        state.serialize_field("recommended_action", &self.recommended_action)?;
        state.serialize_field("tags", &self.tags)?;
        state.serialize_field("signals", &self.signals)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadClassificationJson {
    lead_id: Option<String>,
    classification: LeadClass,
    confidence: f64,
    priority: Priority,
    recommended_action: RecommendedAction,
    tags: Vec<String>,
    signals: Vec<Signal>,
}

impl<'de> Deserialize<'de> for LeadClassification {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = LeadClassificationJson::deserialize(deserializer)?;
        Ok(LeadClassification {
            lead_id: json.lead_id,
            classification: json.classification,
            confidence: json.confidence,
            priority: json.priority,
            recommended_action: json.recommended_action,
            tags: json.tags,
            signals: json.signals,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sentiment_report_serializes_all_fields() {
        let report = SentimentReport {
            lead_id: "lead_123456".into(),
            sentiment: Sentiment::Positive,
            confidence: 0.85,
            entities: vec!["product".into(), "pricing".into(), "support".into()],
            analysis_date: 1_760_783_400,
        };
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(
            value,
            json!({
                "lead_id": "lead_123456",
                "sentiment": "positive",
                "confidence": 0.85,
                "entities": ["product", "pricing", "support"],
                "analysis_date": "2025-10-18T10:30:00Z"
            })
        );
        assert_eq!(
            serde_json::from_value::<SentimentReport>(value).unwrap(),
            report
        );
    }

    #[test]
    fn text_analysis_serializes_entity_offsets() {
        let analysis = TextAnalysis {
            sentiment: Sentiment::Positive,
            confidence: 0.92,
            entities: vec![Entity {
                text: "product".into(),
                type_: "product".into(),
                confidence: 0.95,
                start: 12,
                end: 19,
            }],
            summary: "Highly positive feedback about product, pricing, and support".into(),
        };
        let value = serde_json::to_value(&analysis).unwrap();
        assert_eq!(
            value,
            json!({
                "sentiment": "positive",
                "confidence": 0.92,
                "entities": [
                    {"text": "product", "type": "product", "confidence": 0.95, "start": 12, "end": 19}
                ],
                "summary": "Highly positive feedback about product, pricing, and support"
            })
        );
        assert_eq!(
            serde_json::from_value::<TextAnalysis>(value).unwrap(),
            analysis
        );
    }

    #[test]
    fn classification_serializes_signals() {
        let classification = LeadClassification {
            lead_id: Some("lead_123456".into()),
            classification: LeadClass::Enterprise,
            confidence: 0.89,
            priority: Priority::High,
            recommended_action: RecommendedAction::ScheduleDemo,
            tags: vec![
                "enterprise".into(),
                "large_company".into(),
                "high_value".into(),
            ],
            signals: vec![Signal {
                name: "mentions_user_count".into(),
                weight: 0.4,
            }],
        };
        let value = serde_json::to_value(&classification).unwrap();
        assert_eq!(
            value,
            json!({
                "lead_id": "lead_123456",
                "classification": "enterprise",
                "confidence": 0.89,
                "priority": "high",
                "recommended_action": "schedule_demo",
                "tags": ["enterprise", "large_company", "high_value"],
                "signals": [{"name": "mentions_user_count", "weight": 0.4}]
            })
        );
        assert_eq!(
            serde_json::from_value::<LeadClassification>(value).unwrap(),
            classification
        );
    }

    #[test]
    fn classification_without_lead_id_leaves_key_out() {
        let classification = LeadClassification {
            lead_id: None,
            classification: LeadClass::MidMarket,
            confidence: 0.5,
            priority: Priority::Medium,
            recommended_action: RecommendedAction::AssignToSales,
            tags: Vec::new(),
            signals: Vec::new(),
        };
        let value = serde_json::to_value(classification).unwrap();
        assert!(value.get("lead_id").is_none());
        assert_eq!(value["classification"], json!("mid_market"));
        assert_eq!(value["recommended_action"], json!("assign_to_sales"));
    }

    #[test]
    fn infinite_confidence_fails_to_serialize() {
        let signal = Signal {
            name: "x".into(),
            weight: f64::INFINITY,
        };
        assert!(serde_json::to_string(&signal).is_err());
    }
}
