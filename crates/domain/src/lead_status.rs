//! Lead lifecycle statuses: parsing them from request input, and the moves
//! between them that callers without admin rights may make.

use cloudvelous_contract::LeadStatus;

use crate::field::InvalidValue;

pub(crate) const INVALID_STATUS: InvalidValue =
    InvalidValue::new("must be one of: new, contacted, qualified, converted, lost");

/// Parses a status spelled as in the lead schema, matched case-sensitively.
pub(crate) fn parse_status(text: &str) -> Result<LeadStatus, InvalidValue> {
    LeadStatus::parse(text).ok_or(INVALID_STATUS)
}

/// Checks whether the transition table lets a lead move from `from` to
/// `to`:
///
/// | from        | to                               |
/// | ----------- | -------------------------------- |
/// | `new`       | `contacted`, `qualified`, `lost` |
/// | `contacted` | `qualified`, `lost`              |
/// | `qualified` | `converted`, `lost`              |
/// | `converted` | none (final)                     |
/// | `lost`      | none (final)                     |
///
/// Keeping the current status is allowed from every status. The table
/// binds callers without admin rights; admins may make any move.
pub fn is_status_transition_allowed(from: LeadStatus, to: LeadStatus) -> bool {
    use LeadStatus::{Contacted, Converted, Lost, New, Qualified};

    from == to
        || matches!(
            (from, to),
            (New, Contacted | Qualified | Lost)
                | (Contacted, Qualified | Lost)
                | (Qualified, Converted | Lost)
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use LeadStatus::{Contacted, Converted, Lost, New, Qualified};

    #[test]
    fn transition_table_allows_listed_moves_only() {
        let allowed = [
            (New, Contacted),
            (New, Qualified),
            (New, Lost),
            (Contacted, Qualified),
            (Contacted, Lost),
            (Qualified, Converted),
            (Qualified, Lost),
        ];
        for from in LeadStatus::ALL {
            for to in LeadStatus::ALL {
                let expected = from == to || allowed.contains(&(from, to));
                assert_eq!(
                    is_status_transition_allowed(from, to),
                    expected,
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn final_statuses_only_keep_themselves() {
        for from in [Converted, Lost] {
            for to in LeadStatus::ALL {
                assert_eq!(
                    is_status_transition_allowed(from, to),
                    from == to,
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn status_parsing_is_case_sensitive() {
        assert_eq!(parse_status("qualified"), Ok(Qualified));
        for text in ["Qualified", "QUALIFIED", " qualified", "qualify", ""] {
            assert_eq!(parse_status(text), Err(INVALID_STATUS), "{text:?}");
        }
    }
}
