//! Limits on how much client input an error envelope can repeat.
//!
//! Messages and details may quote what the client sent, such as a field
//! name. Capping them keeps an error response small whatever the request.

use cloudvelous_contract::ErrorDetail;

/// Maximum length of the envelope's `message` and of each detail's `field`
/// and `message`, in characters, the `…` that marks a cut included.
pub(crate) const MAX_ECHOED_CHARS: usize = 200;
/// Maximum number of `details` entries, the entry that counts the left-out
/// ones included.
pub(crate) const MAX_DETAILS: usize = 50;

const ELLIPSIS: char = '…';

/// Cuts `text` to at most [`MAX_ECHOED_CHARS`] characters at a character
/// boundary, ending a cut text with `…`.
pub(crate) fn cap_text(mut text: String) -> String {
    if text.chars().nth(MAX_ECHOED_CHARS).is_none() {
        return text;
    }
    if let Some((cut, _)) = text.char_indices().nth(MAX_ECHOED_CHARS - 1) {
        text.truncate(cut);
        text.push(ELLIPSIS);
    }
    text
}

/// Caps the text of every detail and keeps at most [`MAX_DETAILS`]
/// entries. When entries are left out, the last entry is for the field
/// `body` and counts them.
pub(crate) fn cap_details(mut details: Vec<ErrorDetail>) -> Vec<ErrorDetail> {
    if details.len() > MAX_DETAILS {
        let left_out = details.len() - (MAX_DETAILS - 1);
        details.truncate(MAX_DETAILS - 1);
        details.push(ErrorDetail {
            field: String::from("body"),
            message: format!("{left_out} more errors were left out"),
            existing_lead_id: None,
        });
    }
    details
        .into_iter()
        .map(|detail| ErrorDetail {
            field: cap_text(detail.field),
            message: cap_text(detail.message),
            existing_lead_id: detail.existing_lead_id,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(field: &str, message: &str) -> ErrorDetail {
        ErrorDetail {
            field: field.to_owned(),
            message: message.to_owned(),
            existing_lead_id: None,
        }
    }

    #[test]
    fn short_text_is_unchanged() {
        let text = "x".repeat(MAX_ECHOED_CHARS);
        assert_eq!(cap_text(text.clone()), text);
        assert_eq!(cap_text(String::new()), "");
    }

    #[test]
    fn long_text_is_cut_with_ellipsis() {
        let capped = cap_text("x".repeat(MAX_ECHOED_CHARS + 1));
        assert_eq!(capped.chars().count(), MAX_ECHOED_CHARS);
        assert!(capped.ends_with('…'), "{capped}");
        assert_eq!(capped, format!("{}…", "x".repeat(MAX_ECHOED_CHARS - 1)));
    }

    #[test]
    fn cut_respects_character_boundaries() {
        for unit in ["ü", "名", "😀", "e\u{0301}"] {
            let capped = cap_text(unit.repeat(1000));
            assert_eq!(capped.chars().count(), MAX_ECHOED_CHARS, "{unit}");
            assert!(capped.ends_with('…'), "{unit}");
        }
    }

    #[test]
    fn fifty_details_are_kept() {
        let details: Vec<ErrorDetail> = (0..MAX_DETAILS)
            .map(|index| detail(&format!("f{index}"), "unknown field"))
            .collect();
        assert_eq!(cap_details(details.clone()), details);
    }

    #[test]
    fn extra_details_collapse_into_body_entry() {
        let details: Vec<ErrorDetail> = (0..10_000)
            .map(|index| detail(&format!("f{index}"), "unknown field"))
            .collect();
        let capped = cap_details(details);
        assert_eq!(capped.len(), MAX_DETAILS);
        assert_eq!(capped[0], detail("f0", "unknown field"));
        assert_eq!(capped[48], detail("f48", "unknown field"));
        assert_eq!(capped[49], detail("body", "9951 more errors were left out"));
    }

    #[test]
    fn detail_text_is_capped() {
        let long = "k".repeat(5000);
        let capped = cap_details(vec![ErrorDetail {
            field: long.clone(),
            message: long,
            existing_lead_id: Some("lead_abc".into()),
        }]);
        assert_eq!(capped[0].field.chars().count(), MAX_ECHOED_CHARS);
        assert_eq!(capped[0].message.chars().count(), MAX_ECHOED_CHARS);
        assert_eq!(capped[0].existing_lead_id.as_deref(), Some("lead_abc"));
    }
}
