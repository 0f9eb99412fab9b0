//! Scopes and the set of them that a credential grants.

use std::fmt;

use serde_json::Value;

/// A permission that a route requires and a credential may grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `read:leads`: read leads.
    ReadLeads,
    /// `write:leads`: create leads. Implies [`Scope::ReadLeads`].
    WriteLeads,
    /// `read:analytics`: read analytics.
    ReadAnalytics,
    /// `write:analytics`: call the AI routes. Implies [`Scope::ReadAnalytics`].
    WriteAnalytics,
    /// `admin`: manage API keys and test data. Implies every other scope.
    Admin,
}

impl Scope {
    /// Every scope, in the order of the documentation.
    pub const ALL: [Scope; 5] = [
        Scope::ReadLeads,
        Scope::WriteLeads,
        Scope::ReadAnalytics,
        Scope::WriteAnalytics,
        Scope::Admin,
    ];

    /// Returns the scope's name as tokens and API keys carry it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::ReadLeads => "read:leads",
            Scope::WriteLeads => "write:leads",
            Scope::ReadAnalytics => "read:analytics",
            Scope::WriteAnalytics => "write:analytics",
            Scope::Admin => "admin",
        }
    }

    /// Parses a scope name. Matching is exact and case-sensitive, so
    /// `READ:LEADS` and `read:leadsx` return `None`.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }

    /// Returns the scopes that granting `self` allows, `self` included.
    const fn implied(self) -> &'static [Scope] {
        match self {
            Scope::ReadLeads => &[Scope::ReadLeads],
            Scope::WriteLeads => &[Scope::WriteLeads, Scope::ReadLeads],
            Scope::ReadAnalytics => &[Scope::ReadAnalytics],
            Scope::WriteAnalytics => &[Scope::WriteAnalytics, Scope::ReadAnalytics],
            Scope::Admin => &Scope::ALL,
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The scopes a credential allows, implied scopes included: `write:X` allows
/// `read:X`, and `admin` allows everything.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Grants {
    /// One bit per allowed scope, at position `Scope as u8`.
    allowed: u8,
}

impl Grants {
    /// Grants that allow nothing.
    pub const fn none() -> Grants {
        Grants { allowed: 0 }
    }

    /// Grants that allow every scope, as `admin` does.
    pub fn all() -> Grants {
        Grants::from_scopes([Scope::Admin])
    }

    /// Builds the grants of the given scopes and of the scopes they imply.
    pub fn from_scopes<I: IntoIterator<Item = Scope>>(scopes: I) -> Grants {
        let mut grants = Grants::none();
        for scope in scopes {
            grants.insert(scope);
        }
        grants
    }

    /// Builds grants from a space-separated list of scope names, the form of
    /// the OAuth `scope` parameter. Unknown names are ignored.
    pub fn from_scope_text(text: &str) -> Grants {
        Grants::from_scopes(text.split(' ').filter_map(Scope::parse))
    }

    /// Builds the grants of a JWT from its `scope` and `role` claims.
    ///
    /// `scope` may be an array of names or one space-separated string. Names
    /// that are unknown or not strings grant nothing, and so does a `scope`
    /// of any other JSON type. A `role` equal to `"admin"` allows every
    /// scope.
    pub fn from_claim_parts(scope: Option<&Value>, role: Option<&Value>) -> Grants {
        let mut grants = match scope {
            Some(Value::String(text)) => Grants::from_scope_text(text),
            Some(Value::Array(names)) => Grants::from_scopes(
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(Scope::parse),
            ),
            _ => Grants::none(),
        };
        if role.and_then(Value::as_str) == Some("admin") {
            grants.insert(Scope::Admin);
        }
        grants
    }

    /// Tells whether these grants allow `scope`.
    pub fn allows(&self, scope: Scope) -> bool {
        self.allowed & scope.bit() != 0
    }

    /// Returns the allowed scopes, implied ones included, in the order of
    /// [`Scope::ALL`].
    pub fn scopes(&self) -> impl Iterator<Item = Scope> + '_ {
        Scope::ALL.into_iter().filter(|scope| self.allows(*scope))
    }

    fn insert(&mut self, scope: Scope) {
        for implied in scope.implied() {
            self.allowed |= implied.bit();
        }
    }
}

impl fmt::Debug for Grants {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_set()
            .entries(self.scopes().map(Scope::as_str))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scope_names_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
            assert_eq!(scope.to_string(), scope.as_str());
        }
    }

    #[test]
    fn scope_parse_rejects_near_misses() {
        for name in [
            "read:leadsx",
            "READ:LEADS",
            "Read:leads",
            " read:leads",
            "read:leads ",
            "read leads",
            "Admin",
            "admin:",
            "",
        ] {
            assert_eq!(Scope::parse(name), None, "{name:?}");
        }
    }

    #[test]
    fn near_miss_scopes_grant_nothing() {
        let grants = Grants::from_claim_parts(Some(&json!(["read:leadsx", "READ:LEADS"])), None);

        for scope in Scope::ALL {
            assert!(!grants.allows(scope), "{scope}");
        }
        assert_eq!(grants, Grants::none());
    }

    #[test]
    fn write_implies_read_of_same_area_only() {
        let grants = Grants::from_scopes([Scope::WriteLeads]);

        assert!(grants.allows(Scope::WriteLeads));
        assert!(grants.allows(Scope::ReadLeads));
        assert!(!grants.allows(Scope::ReadAnalytics));
        assert!(!grants.allows(Scope::WriteAnalytics));
        assert!(!grants.allows(Scope::Admin));
    }

    #[test]
    fn write_analytics_implies_read_analytics() {
        let grants = Grants::from_scopes([Scope::WriteAnalytics]);

        assert!(grants.allows(Scope::ReadAnalytics));
        assert!(!grants.allows(Scope::ReadLeads));
    }

    #[test]
    fn read_does_not_imply_write() {
        let grants = Grants::from_scopes([Scope::ReadLeads]);

        assert!(grants.allows(Scope::ReadLeads));
        assert!(!grants.allows(Scope::WriteLeads));
    }

    #[test]
    fn admin_scope_allows_everything() {
        let grants = Grants::from_claim_parts(Some(&json!(["admin"])), None);

        for scope in Scope::ALL {
            assert!(grants.allows(scope), "{scope}");
        }
        assert_eq!(grants, Grants::all());
    }

    #[test]
    fn admin_role_allows_everything_without_scopes() {
        let grants = Grants::from_claim_parts(None, Some(&json!("admin")));

        assert_eq!(grants, Grants::all());
    }

    #[test]
    fn other_roles_grant_nothing() {
        for role in [
            json!("analyst"),
            json!("Admin"),
            json!(["admin"]),
            json!(true),
        ] {
            let grants = Grants::from_claim_parts(None, Some(&role));
            assert_eq!(grants, Grants::none(), "{role}");
        }
    }

    #[test]
    fn scope_claim_as_space_separated_string() {
        let grants = Grants::from_claim_parts(Some(&json!("read:leads  write:analytics")), None);

        assert_eq!(
            grants.scopes().collect::<Vec<_>>(),
            [
                Scope::ReadLeads,
                Scope::ReadAnalytics,
                Scope::WriteAnalytics
            ]
        );
    }

    #[test]
    fn scope_claim_ignores_unknown_and_non_string_entries() {
        let claim = json!([
            "read:leads",
            7,
            null,
            "delete:everything",
            "read:leads write:leads"
        ]);
        let grants = Grants::from_claim_parts(Some(&claim), None);

        assert_eq!(grants.scopes().collect::<Vec<_>>(), [Scope::ReadLeads]);
    }

    #[test]
    fn scope_claim_of_other_type_grants_nothing() {
        for claim in [json!(1), json!({"read:leads": true}), json!(null)] {
            let grants = Grants::from_claim_parts(Some(&claim), None);
            assert_eq!(grants, Grants::none(), "{claim}");
        }
    }

    #[test]
    fn grants_debug_lists_scope_names() {
        let grants = Grants::from_scopes([Scope::WriteLeads]);

        assert_eq!(format!("{grants:?}"), r#"{"read:leads", "write:leads"}"#);
    }
}
