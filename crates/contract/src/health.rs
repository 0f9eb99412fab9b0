//! JSON mapping of the health report.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::Rfc3339;
use crate::{HealthReport, HealthServices, HealthStatus, ServiceState};

impl Serialize for HealthServices {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("HealthServices", 2)?;
        state.serialize_field("database", &self.database)?;
        state.serialize_field("queue", &self.queue)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthServicesJson {
    database: ServiceState,
    queue: ServiceState,
}

impl<'de> Deserialize<'de> for HealthServices {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = HealthServicesJson::deserialize(deserializer)?;
        Ok(HealthServices {
            database: json.database,
            queue: json.queue,
        })
    }
}

impl Serialize for HealthReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("HealthReport", 4)?;
        state.serialize_field("status", &self.status)?;
        state.serialize_field("timestamp", &Rfc3339(self.timestamp))?;
        state.serialize_field("version", &self.version)?;
        state.serialize_field("services", &self.services)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthReportJson {
    status: HealthStatus,
    timestamp: Rfc3339,
    version: String,
    services: HealthServices,
}

impl<'de> Deserialize<'de> for HealthReport {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = HealthReportJson::deserialize(deserializer)?;
        Ok(HealthReport {
            status: json.status,
            timestamp: json.timestamp.0,
            version: json.version,
            services: json.services,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn health_report_serializes_all_fields() {
        let report = HealthReport {
            status: HealthStatus::Healthy,
            timestamp: 1_760_783_400,
            version: "1.0.0".into(),
            services: HealthServices {
                database: ServiceState::Connected,
                queue: ServiceState::Connected,
            },
        };
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(
            value,
            json!({
                "status": "healthy",
                "timestamp": "2025-10-18T10:30:00Z",
                "version": "1.0.0",
                "services": {
                    "database": "connected",
                    "queue": "connected"
                }
            })
        );
        assert_eq!(
            serde_json::from_value::<HealthReport>(value).unwrap(),
            report
        );
    }

    #[test]
    fn health_report_spells_unconfigured_queue() {
        let report = HealthReport {
            status: HealthStatus::Degraded,
            timestamp: 0,
            version: "0.1.0".into(),
            services: HealthServices {
                database: ServiceState::Disconnected,
                queue: ServiceState::NotConfigured,
            },
        };
        let value = serde_json::to_value(report).unwrap();
        assert_eq!(value["status"], json!("degraded"));
        assert_eq!(value["services"]["database"], json!("disconnected"));
        assert_eq!(value["services"]["queue"], json!("not_configured"));
    }
}
