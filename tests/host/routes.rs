//! HTTP route matching with Spin's rules: an exact route wins over a pattern,
//! and among patterns the one with more literal segments wins.

use crate::manifest::HttpTrigger;
use anyhow::{Result, bail};

/// A parsed `[[trigger.http]]` route.
#[derive(Debug, Clone)]
pub struct Route {
    raw: String,
    component: String,
    segments: Vec<Segment>,
    trailing_wildcard: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// The route a request path matched.
#[derive(Debug, Clone)]
pub struct RouteMatch {
    /// Component serving the request.
    pub component: String,
    /// The route as the manifest wrote it (`spin-matched-route`, `spin-raw-component-route`).
    pub raw_route: String,
    /// The route without a trailing `/...` (`spin-component-route`).
    pub component_route: String,
    /// Path below the route's fixed part (`spin-path-info`).
    pub path_info: String,
    /// Values of `:name` segments, by name (`spin-path-match-<name>`).
    pub params: Vec<(String, String)>,
}

/// All routes of an application.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Parses the triggers; two triggers with the same route are an error, as in Spin.
    pub fn new(triggers: &[HttpTrigger]) -> Result<Router> {
        let mut routes: Vec<Route> = Vec::new();
        for trigger in triggers {
            let route = Route::parse(&trigger.route, &trigger.component)?;
            if routes.iter().any(|r| r.raw == route.raw) {
                bail!("duplicate route {}", route.raw);
            }
            routes.push(route);
        }
        Ok(Router { routes })
    }

    /// Adds a route served by `component`, for components a test adds outside the manifest.
    pub fn add(&mut self, route: &str, component: &str) -> Result<()> {
        self.routes.push(Route::parse(route, component)?);
        Ok(())
    }

    /// Finds the route for a request path, or `None`, for which Spin returns a bare 404.
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let segments = split_path(path);
        self.routes
            .iter()
            .filter_map(|route| route.matches(path, &segments).map(|m| (route.rank(), m)))
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, m)| m)
    }
}

impl Route {
    fn parse(raw: &str, component: &str) -> Result<Route> {
        if !raw.starts_with('/') {
            bail!("route {raw:?} must start with /");
        }
        let mut parts = split_path(raw);
        let trailing_wildcard = parts.last() == Some(&"...");
        if trailing_wildcard {
            parts.pop();
        }
        let mut segments = Vec::with_capacity(parts.len());
        for part in parts {
            if part == "..." {
                bail!("route {raw:?}: `...` may only end a route");
            }
            segments.push(match part.strip_prefix(':') {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Literal(part.to_string()),
            });
        }
        Ok(Route {
            raw: raw.to_string(),
            component: component.to_string(),
            segments,
            trailing_wildcard,
        })
    }

    /// Exact routes first, then more literal segments, then more segments.
    fn rank(&self) -> (bool, usize, usize) {
        let exact = !self.trailing_wildcard
            && self
                .segments
                .iter()
                .all(|s| matches!(s, Segment::Literal(_)));
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        (exact, literals, self.segments.len())
    }

    fn matches(&self, path: &str, request: &[&str]) -> Option<RouteMatch> {
        let fixed = self.segments.len();
        let fits = if self.trailing_wildcard {
            request.len() >= fixed
        } else {
            request.len() == fixed
        };
        if !fits {
            return None;
        }
        let mut params = Vec::new();
        for (segment, actual) in self.segments.iter().zip(request) {
            match segment {
                Segment::Literal(literal) if literal == actual => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), actual.to_string())),
            }
        }
        Some(RouteMatch {
            component: self.component.clone(),
            raw_route: self.raw.clone(),
            component_route: self.raw.trim_end_matches("/...").to_string(),
            path_info: path_info(path, fixed),
            params,
        })
    }
}

fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Returns the rest of `path` after its first `fixed` segments, with its leading `/`.
fn path_info(path: &str, fixed: usize) -> String {
    let mut rest = path;
    for _ in 0..fixed {
        rest = rest.trim_start_matches('/');
        rest = rest.find('/').map_or("", |i| &rest[i..]);
    }
    rest.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        let triggers = [
            ("/health", "leads"),
            ("/api/leads", "leads"),
            ("/api/leads/...", "leads"),
            ("/api/analytics/...", "analytics"),
            ("/users/:id", "users"),
            ("/...", "fallback"),
        ]
        .map(|(route, component)| HttpTrigger {
            route: route.into(),
            component: component.into(),
        });
        Router::new(&triggers).unwrap()
    }

    #[test]
    fn exact_route_beats_wildcards() {
        let m = router().route("/api/leads").unwrap();
        assert_eq!(m.raw_route, "/api/leads");
        assert_eq!(m.path_info, "");
    }

    #[test]
    fn longest_wildcard_prefix_wins() {
        let m = router().route("/api/leads/lead_1").unwrap();
        assert_eq!(m.raw_route, "/api/leads/...");
        assert_eq!(m.component_route, "/api/leads");
        assert_eq!(m.path_info, "/lead_1");
        assert_eq!(
            router().route("/api/analytics/leads").unwrap().component,
            "analytics"
        );
        assert_eq!(router().route("/api/other").unwrap().component, "fallback");
        assert_eq!(router().route("/").unwrap().component, "fallback");
    }

    #[test]
    fn named_segments_are_captured() {
        let m = router().route("/users/42").unwrap();
        assert_eq!(m.params, vec![("id".to_string(), "42".to_string())]);
        assert_eq!(router().route("/users/42/x").unwrap().component, "fallback");
    }

    #[test]
    fn unmatched_path_without_catch_all_is_none() {
        let triggers = [HttpTrigger {
            route: "/health".into(),
            component: "leads".into(),
        }];
        let router = Router::new(&triggers).unwrap();
        assert!(router.route("/nope").is_none());
    }
}
