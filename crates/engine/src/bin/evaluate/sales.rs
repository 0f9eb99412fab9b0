//! Scoring the engine on the labelled sales messages.

use std::fs;
use std::path::Path;

use cloudvelous_contract::{CompanySize, LeadClassification};
use cloudvelous_engine::lead::{self, LeadContext, LeadInput};
use cloudvelous_engine::{entities, sentiment};
use serde_json::Value;

/// One labelled message.
struct Expected {
    text: String,
    sentiment: String,
    entities: Vec<(String, String)>,
    context: LeadContext,
    classification: String,
    priority: String,
    action: String,
}

/// Prints sentiment accuracy, entity precision and recall, and the accuracy
/// of the lead classification on the sales set.
pub fn evaluate(path: &Path) -> Result<bool, String> {
    let messages = read(path)?;
    let count = messages.len();
    let (mut sentiment_hits, mut class_hits, mut priority_hits, mut action_hits) = (0, 0, 0, 0);
    let (mut entity_hits, mut found_total, mut expected_total) = (0, 0, 0);
    for message in &messages {
        let analysis = sentiment::analyze(&message.text);
        sentiment_hits += usize::from(json_name(&analysis.label) == message.sentiment);

        let found: Vec<(String, String)> = entities::extract(&message.text)
            .into_iter()
            .map(|entity| (entity.text.to_lowercase(), entity.type_))
            .collect();
        entity_hits += message
            .entities
            .iter()
            .filter(|expected| found.contains(expected))
            .count();
        found_total += found.len();
        expected_total += message.entities.len();

        let input = LeadInput {
            text: message.text.clone(),
            context: message.context.clone(),
            ..LeadInput::default()
        };
        let result = lead::classify(&input);
        let (class, priority, action) = names(&result);
        class_hits += usize::from(class == message.classification);
        priority_hits += usize::from(priority == message.priority);
        action_hits += usize::from(action == message.action);
    }
    let share = |hits: usize, total: usize| {
        if total == 0 {
            0.0
        } else {
            hits as f64 / total as f64
        }
    };
    println!("Sales messages: {} ({count} messages)", path.display());
    println!("| measure | value |");
    println!("| --- | ---: |");
    println!(
        "| sentiment label accuracy | {:.3} |",
        share(sentiment_hits, count)
    );
    println!(
        "| entity precision | {:.3} |",
        share(entity_hits, found_total)
    );
    println!(
        "| entity recall | {:.3} |",
        share(entity_hits, expected_total)
    );
    println!(
        "| classification accuracy | {:.3} |",
        share(class_hits, count)
    );
    println!("| priority accuracy | {:.3} |", share(priority_hits, count));
    println!(
        "| recommended action accuracy | {:.3} |",
        share(action_hits, count)
    );
    Ok(true)
}

fn json_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn names(result: &LeadClassification) -> (String, String, String) {
    (
        json_name(&result.classification),
        json_name(&result.priority),
        json_name(&result.recommended_action),
    )
}

fn read(path: &Path) -> Result<Vec<Expected>, String> {
    let content = fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let value: Value = serde_json::from_str(&content)
        .map_err(|error| format!("invalid JSON in {}: {error}", path.display()))?;
    let items = value
        .as_array()
        .ok_or_else(|| format!("{}: expected a JSON array", path.display()))?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            parse(item).map_err(|field| {
                format!(
                    "{}: message {index}: invalid or missing {field}",
                    path.display()
                )
            })
        })
        .collect()
}

fn parse(item: &Value) -> Result<Expected, &'static str> {
    let text = |key: &'static str| {
        item.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(key)
    };
    let entities = item
        .get("entities")
        .and_then(Value::as_array)
        .ok_or("entities")?
        .iter()
        .map(|entity| {
            let span = entity
                .get("text")
                .and_then(Value::as_str)
                .ok_or("entities.text")?;
            let kind = entity
                .get("type")
                .and_then(Value::as_str)
                .ok_or("entities.type")?;
            Ok((span.to_lowercase(), kind.to_owned()))
        })
        .collect::<Result<Vec<_>, &'static str>>()?;
    let context = match item.get("context") {
        None => LeadContext::default(),
        Some(context) => LeadContext {
            company_size: match context.get("company_size").and_then(Value::as_str) {
                None => None,
                Some(size) => Some(
                    serde_json::from_value::<CompanySize>(Value::from(size))
                        .map_err(|_| "context.company_size")?,
                ),
            },
            industry: context
                .get("industry")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
    };
    Ok(Expected {
        text: text("text")?,
        sentiment: text("sentiment")?,
        entities,
        context,
        classification: text("classification")?,
        priority: text("priority")?,
        action: text("recommended_action")?,
    })
}
