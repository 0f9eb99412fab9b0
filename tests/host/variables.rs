//! Application variables: manifest defaults, overridden by `SPIN_VARIABLE_<NAME>`
//! environment variables and then by values the host is given, and the
//! `{{ name }}` templates of component variables, as Spin resolves them.

use crate::manifest::Manifest;
use anyhow::{Result, bail};
use std::collections::BTreeMap;

/// Resolved application variables and each component's view of them.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    app: BTreeMap<String, String>,
}

impl Variables {
    /// Resolves every application variable; a required variable without a value is an error.
    pub fn resolve(
        manifest: &Manifest,
        environment: impl Fn(&str) -> Option<String>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Variables> {
        for name in overrides.keys() {
            if !manifest.variables.contains_key(name) {
                bail!("variable {name} is not declared in the manifest");
            }
        }
        let mut app = BTreeMap::new();
        for (name, decl) in &manifest.variables {
            let from_env = environment(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()));
            let value = overrides
                .get(name)
                .cloned()
                .or(from_env)
                .or_else(|| decl.default.clone());
            match value {
                Some(value) => app.insert(name.clone(), value),
                None => bail!("variable {name} has no default and no value was provided"),
            };
        }
        Ok(Variables { app })
    }

    /// Expands the `{{ name }}` templates of one component's variables.
    pub fn for_component(
        &self,
        templates: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        templates
            .iter()
            .map(|(name, template)| Ok((name.clone(), self.expand(template)?)))
            .collect()
    }

    /// Expands the `{{ name }}` templates of `template`, such as a Redis
    /// trigger's address.
    pub fn expand(&self, template: &str) -> Result<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                bail!("unclosed template in {template:?}");
            };
            let name = after[..end].trim();
            match self.app.get(name) {
                Some(value) => out.push_str(value),
                None => bail!("template {template:?} names unknown variable {name}"),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Names of the variables a template refers to.
pub fn template_references(template: &str) -> Result<Vec<&str>> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("unclosed template in {template:?}");
        };
        names.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    Ok(names)
}

/// Checks that `name` is a valid Spin variable name: lower-case ASCII letters,
/// digits and underscores, starting with a letter.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::VariableDecl;

    fn manifest() -> Manifest {
        let mut variables = BTreeMap::new();
        for (name, default) in [("region", Some("eu")), ("token", None)] {
            let decl = VariableDecl {
                default: default.map(String::from),
                secret: false,
                required: default.is_none(),
            };
            variables.insert(name.to_string(), decl);
        }
        Manifest {
            root: ".".into(),
            version: "1".into(),
            variables,
            http_triggers: vec![],
            redis_triggers: vec![],
            components: BTreeMap::new(),
        }
    }

    #[test]
    fn environment_overrides_default_and_explicit_overrides_environment() {
        let env = |key: &str| match key {
            "SPIN_VARIABLE_REGION" => Some("us".to_string()),
            "SPIN_VARIABLE_TOKEN" => Some("t1".to_string()),
            _ => None,
        };
        let vars = Variables::resolve(&manifest(), env, &BTreeMap::new()).unwrap();
        assert_eq!(vars.expand("{{ region }}/{{token}}").unwrap(), "us/t1");

        let overrides = BTreeMap::from([("region".to_string(), "ap".to_string())]);
        let vars = Variables::resolve(&manifest(), env, &overrides).unwrap();
        assert_eq!(vars.expand("x-{{region}}").unwrap(), "x-ap");
    }

    #[test]
    fn missing_required_variable_is_an_error() {
        assert!(Variables::resolve(&manifest(), |_| None, &BTreeMap::new()).is_err());
    }

    #[test]
    fn names_follow_spin_rules() {
        assert!(is_valid_name("redis_address"));
        assert!(!is_valid_name("Redis"));
        assert!(!is_valid_name("1abc"));
        assert!(!is_valid_name(""));
    }
}
