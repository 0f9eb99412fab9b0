//! JSON mapping of the analytics report.

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::{serialize_finite, serialize_optional};
use crate::{
    AnalyticsReport, DailyCount, LeadSource, LeadStatus, SourceCounts, StatusCounts, Trends,
};

impl SourceCounts {
    /// Returns the number of leads from `source`.
    pub fn get(&self, source: LeadSource) -> u64 {
        match source {
            LeadSource::Website => self.website,
            LeadSource::Social => self.social,
            LeadSource::Referral => self.referral,
            LeadSource::Email => self.email,
            LeadSource::Phone => self.phone,
        }
    }

    /// Returns the counter for leads from `source`.
    pub fn get_mut(&mut self, source: LeadSource) -> &mut u64 {
        match source {
            LeadSource::Website => &mut self.website,
            LeadSource::Social => &mut self.social,
            LeadSource::Referral => &mut self.referral,
            LeadSource::Email => &mut self.email,
            LeadSource::Phone => &mut self.phone,
        }
    }
}

/// All counts zero.
impl Default for SourceCounts {
    fn default() -> Self {
        SourceCounts {
            website: 0,
            social: 0,
            referral: 0,
            email: 0,
            phone: 0,
        }
    }
}

impl StatusCounts {
    /// Returns the number of leads with `status`.
    pub fn get(&self, status: LeadStatus) -> u64 {
        match status {
            LeadStatus::New => self.new,
            LeadStatus::Contacted => self.contacted,
            LeadStatus::Qualified => self.qualified,
            LeadStatus::Converted => self.converted,
            LeadStatus::Lost => self.lost,
        }
    }

    /// Returns the counter for leads with `status`.
    pub fn get_mut(&mut self, status: LeadStatus) -> &mut u64 {
        match status {
            LeadStatus::New => &mut self.new,
            LeadStatus::Contacted => &mut self.contacted,
            LeadStatus::Qualified => &mut self.qualified,
            LeadStatus::Converted => &mut self.converted,
            LeadStatus::Lost => &mut self.lost,
        }
    }
}

/// All counts zero.
impl Default for StatusCounts {
    fn default() -> Self {
        StatusCounts {
            new: 0,
            contacted: 0,
            qualified: 0,
            converted: 0,
            lost: 0,
        }
    }
}

/// Serialises `(key, count)` pairs as a JSON object without the zero counts.
fn serialize_nonzero_counts<'a, S, I>(serializer: S, counts: I) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    I: Iterator<Item = (&'a str, u64)> + Clone,
{
    let nonzero = counts.filter(|&(_, count)| count > 0);
    let mut map = serializer.serialize_map(Some(nonzero.clone().count()))?;
    for (key, count) in nonzero {
        map.serialize_entry(key, &count)?;
    }
    map.end()
}

/// An object keyed by source in declaration order, without zero counts.
impl Serialize for SourceCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let counts = LeadSource::ALL
            .iter()
            .map(|&source| (source.as_str(), self.get(source)));
        serialize_nonzero_counts(serializer, counts)
    }
}

/// Keys left out count zero.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SourceCountsJson {
    website: u64,
    social: u64,
    referral: u64,
    email: u64,
    phone: u64,
}

impl<'de> Deserialize<'de> for SourceCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = SourceCountsJson::deserialize(deserializer)?;
        Ok(SourceCounts {
            website: json.website,
            social: json.social,
            referral: json.referral,
            email: json.email,
            phone: json.phone,
        })
    }
}

/// An object keyed by status in declaration order, without zero counts.
impl Serialize for StatusCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let counts = LeadStatus::ALL
            .iter()
            .map(|&status| (status.as_str(), self.get(status)));
        serialize_nonzero_counts(serializer, counts)
    }
}

/// Keys left out count zero.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct StatusCountsJson {
    new: u64,
    contacted: u64,
    qualified: u64,
    converted: u64,
    lost: u64,
}

impl<'de> Deserialize<'de> for StatusCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = StatusCountsJson::deserialize(deserializer)?;
        Ok(StatusCounts {
            new: json.new,
            contacted: json.contacted,
            qualified: json.qualified,
            converted: json.converted,
            lost: json.lost,
        })
    }
}

impl Serialize for DailyCount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("DailyCount", 2)?;
        state.serialize_field("date", &self.date)?;
        state.serialize_field("count", &self.count)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DailyCountJson {
    date: String,
    count: u64,
}

impl<'de> Deserialize<'de> for DailyCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = DailyCountJson::deserialize(deserializer)?;
        Ok(DailyCount {
            date: json.date,
            count: json.count,
        })
    }
}

impl Serialize for Trends {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Trends", 1)?;
        state.serialize_field("daily", &self.daily)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrendsJson {
    daily: Vec<DailyCount>,
}

impl<'de> Deserialize<'de> for Trends {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = TrendsJson::deserialize(deserializer)?;
        Ok(Trends { daily: json.daily })
    }
}

/// Absent breakdowns are left out. A `conversion_rate` that is NaN or
/// infinite fails to serialise, because JSON cannot express it.
impl Serialize for AnalyticsReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("AnalyticsReport", 5)?;
        state.serialize_field("total_leads", &self.total_leads)?;
        serialize_finite(&mut state, "conversion_rate", self.conversion_rate)?;
        serialize_optional(&mut state, "leads_by_source", self.leads_by_source.as_ref())?;
        serialize_optional(&mut state, "leads_by_status", self.leads_by_status.as_ref())?;
        serialize_optional(&mut state, "trends", self.trends.as_ref())?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyticsReportJson {
    total_leads: u64,
    conversion_rate: f64,
    leads_by_source: Option<SourceCounts>,
    leads_by_status: Option<StatusCounts>,
    trends: Option<Trends>,
}

impl<'de> Deserialize<'de> for AnalyticsReport {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = AnalyticsReportJson::deserialize(deserializer)?;
        Ok(AnalyticsReport {
            total_leads: json.total_leads,
            conversion_rate: json.conversion_rate,
            leads_by_source: json.leads_by_source,
            leads_by_status: json.leads_by_status,
            trends: json.trends,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample_report() -> AnalyticsReport {
        AnalyticsReport {
            total_leads: 1250,
            conversion_rate: 0.15,
            leads_by_source: Some(SourceCounts {
                website: 800,
                social: 300,
                referral: 150,
                ..SourceCounts::default()
            }),
            leads_by_status: Some(StatusCounts {
                new: 500,
                contacted: 400,
                qualified: 250,
                converted: 100,
                ..StatusCounts::default()
            }),
            trends: Some(Trends {
                daily: vec![
                    DailyCount {
                        date: "2024-01-01".into(),
                        count: 45,
                    },
                    DailyCount {
                        date: "2024-01-02".into(),
                        count: 52,
                    },
                ],
            }),
        }
    }

    #[test]
    fn report_serializes_all_breakdowns() {
        let value = serde_json::to_value(sample_report()).unwrap();
        assert_eq!(
            value,
            json!({
                "total_leads": 1250,
                "conversion_rate": 0.15,
                "leads_by_source": {"website": 800, "social": 300, "referral": 150},
                "leads_by_status": {
                    "new": 500,
                    "contacted": 400,
                    "qualified": 250,
                    "converted": 100
                },
                "trends": {
                    "daily": [
                        {"date": "2024-01-01", "count": 45},
                        {"date": "2024-01-02", "count": 52}
                    ]
                }
            })
        );
    }

    #[test]
    fn report_keeps_declaration_order_and_round_trips() {
        let report = sample_report();
        let text = serde_json::to_string(&report).unwrap();
        assert!(text.starts_with(
            r#"{"total_leads":1250,"conversion_rate":0.15,"leads_by_source":{"website":800,"social":300,"referral":150},"leads_by_status":{"new":500,"#
        ));
        assert_eq!(
            serde_json::from_str::<AnalyticsReport>(&text).unwrap(),
            report
        );
    }

    #[test]
    fn mock_report_leaves_out_absent_breakdowns() {
        let report = AnalyticsReport {
            total_leads: 1000,
            conversion_rate: 0.12,
            leads_by_source: Some(SourceCounts {
                website: 600,
                social: 250,
                referral: 150,
                ..SourceCounts::default()
            }),
            leads_by_status: None,
            trends: None,
        };
        assert_eq!(
            serde_json::to_value(report).unwrap(),
            json!({
                "total_leads": 1000,
                "conversion_rate": 0.12,
                "leads_by_source": {"website": 600, "social": 250, "referral": 150}
            })
        );
    }

    #[test]
    fn empty_counts_serialize_as_empty_object() {
        assert_eq!(
            serde_json::to_value(SourceCounts::default()).unwrap(),
            json!({})
        );
        assert_eq!(
            serde_json::to_value(StatusCounts::default()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn counts_reject_unknown_key() {
        assert!(serde_json::from_value::<SourceCounts>(json!({"fax": 1})).is_err());
        assert!(serde_json::from_value::<StatusCounts>(json!({"won": 1})).is_err());
    }

    #[test]
    fn counts_get_mut_updates_matching_field() {
        let mut sources = SourceCounts::default();
        *sources.get_mut(LeadSource::Phone) += 2;
        assert_eq!(sources.phone, 2);
        assert_eq!(sources.get(LeadSource::Phone), 2);

        let mut statuses = StatusCounts::default();
        *statuses.get_mut(LeadStatus::Lost) += 3;
        assert_eq!(statuses.lost, 3);
        assert_eq!(statuses.get(LeadStatus::Lost), 3);
    }

    #[test]
    fn non_finite_conversion_rate_fails_to_serialize() {
        let report = AnalyticsReport {
            conversion_rate: f64::NAN,
            ..sample_report()
        };
        assert!(serde_json::to_string(&report).is_err());
    }
}
