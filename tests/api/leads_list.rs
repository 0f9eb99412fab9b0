//! `GET /api/leads`: the page shape, every filter alone and combined, and
//! the `422` for invalid query parameters, which the single-lead routes
//! give for any query parameter.

use crate::assertions::key_set;
use crate::fixtures::{expect_created_id, expect_field_errors, post_lead};
use crate::support::{TestApp, TestResponse};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// 2025-10-18T10:30:00Z in Unix seconds.
const OCT_18_1030: u64 = 1_760_783_400;
const DAY: u64 = 86_400;

/// Sends `GET /api/leads?{query}`.
pub async fn list(app: &TestApp, query: &str) -> TestResponse {
    let path = if query.is_empty() {
        "/api/leads".to_owned()
    } else {
        format!("/api/leads?{query}")
    };
    app.get(&path).send().await
}

/// Asserts a `200` page of exactly `data` and `next_cursor`, and returns
/// the listed ids and the cursor.
pub fn expect_page(response: &TestResponse) -> (Vec<String>, Option<String>) {
    let body = response.expect_json(StatusCode::OK);
    assert_eq!(
        key_set(&body),
        BTreeSet::from(["data", "next_cursor"]),
        "page keys: {body}"
    );
    let Some(data) = body["data"].as_array() else {
        panic!("`data` is not an array: {body}");
    };
    let ids = data
        .iter()
        .map(|lead| lead["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let cursor = match &body["next_cursor"] {
        Value::Null => None,
        Value::String(cursor) => Some(cursor.clone()),
        other => panic!("next_cursor is neither null nor a string: {other}"),
    };
    (ids, cursor)
}

/// Follows `next_cursor` from the first page of `query` with page size
/// `limit`, and returns every listed id in order.
pub async fn walk(app: &TestApp, query: &str, limit: u32) -> Vec<String> {
    let separator = if query.is_empty() { "" } else { "&" };
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let page_query = match &cursor {
            None => format!("{query}{separator}limit={limit}"),
            Some(cursor) => format!("{query}{separator}limit={limit}&cursor={cursor}"),
        };
        let (page, next) = expect_page(&list(app, &page_query).await);
        assert!(page.len() <= limit as usize, "page of {}", page.len());
        ids.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
    panic!("the walk did not end after 10,000 pages");
}

/// Sets `status` on a stored lead directly, because status changes are not
/// part of this test.
fn set_status(app: &TestApp, id: &str, status: &str) {
    let changed = app
        .db()
        .execute("UPDATE leads SET status = ?1 WHERE id = ?2", [status, id])
        .expect("update status");
    assert_eq!(changed, 1, "lead {id}");
}

/// One lead of [`seeded_app`]: the values the filters look at.
struct Seeded {
    id: String,
    status: &'static str,
    source: &'static str,
    email: &'static str,
    /// Seconds after 2025-10-18T10:30:00Z.
    offset: u64,
}

/// Starts an app with eight leads over three days, in varied statuses and
/// sources, and returns them in list order.
async fn seeded_app() -> (TestApp, Vec<Seeded>) {
    let app = TestApp::spawn().await;
    let plan = [
        ("new", "website", "ana@example.com", 0),
        ("contacted", "social", "ben@example.com", 0),
        ("qualified", "website", "Cara.Diaz+crm@Gmail.com", 3_600),
        ("new", "referral", "dev@example.org", DAY),
        ("lost", "website", "eve@example.com", DAY + 1),
        ("converted", "email", "fay@example.com", DAY + 13 * 3_600),
        ("new", "website", "gus@example.com", 2 * DAY),
        ("qualified", "phone", "hal@example.com", 2 * DAY + 60),
    ];
    let mut leads = Vec::new();
    for (status, source, email, offset) in plan {
        app.clock().set(Duration::from_secs(OCT_18_1030 + offset));
        let body = json!({"name": "Lead", "email": email, "source": source});
        let id = expect_created_id(&post_lead(&app, &body).await);
        set_status(&app, &id, status);
        leads.push(Seeded {
            id,
            status,
            source,
            email,
            offset,
        });
    }
    leads.sort_by(|a, b| (a.offset, &a.id).cmp(&(b.offset, &b.id)));
    (app, leads)
}

/// Returns the ids of `leads` that `keep` selects, in list order.
fn ids_where(leads: &[Seeded], keep: impl Fn(&Seeded) -> bool) -> Vec<String> {
    leads
        .iter()
        .filter(|lead| keep(lead))
        .map(|lead| lead.id.clone())
        .collect()
}

#[tokio::test]
async fn list_returns_live_leads_in_creation_order() {
    let (app, leads) = seeded_app().await;

    let response = list(&app, "").await;

    let (ids, cursor) = expect_page(&response);
    assert_eq!(ids, ids_where(&leads, |_| true));
    assert_eq!(cursor, None);
}

#[tokio::test]
async fn list_items_are_whole_leads() {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_secs(OCT_18_1030));
    let sent = json!({
        "name": "Linus Torvalds",
        "email": "linus@example.org",
        "phone": "358401234567",
        "company": "Kernel Oy",
        "source": "phone",
        "notes": "Prefers email."
    });
    let id = expect_created_id(&post_lead(&app, &sent).await);

    let body = list(&app, "").await.expect_json(StatusCode::OK);

    let mut expected = sent.clone();
    expected["id"] = json!(id);
    expected["status"] = json!("new");
    expected["created_at"] = json!("2025-10-18T10:30:00Z");
    assert_eq!(body, json!({"data": [expected], "next_cursor": null}));
}

#[tokio::test]
async fn empty_list_has_null_cursor() {
    let app = TestApp::spawn().await;

    let response = list(&app, "status=lost").await;

    assert_eq!(response.text(), r#"{"data":[],"next_cursor":null}"#);
}

#[tokio::test]
async fn head_list_sends_headers_only() {
    let (app, _) = seeded_app().await;

    let response = app.request(Method::HEAD, "/api/leads").send().await;

    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body.is_empty());
    let length: usize = response
        .header("content-length")
        .and_then(|length| length.parse().ok())
        .expect("Content-Length");
    assert!(length > 0);
}

#[tokio::test]
async fn every_filter_alone() {
    let (app, leads) = seeded_app().await;
    let day_two_start = OCT_18_1030 - 37_800 + DAY;
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("status=new", ids_where(&leads, |l| l.status == "new")),
        (
            "status=qualified",
            ids_where(&leads, |l| l.status == "qualified"),
        ),
        ("status=lost", ids_where(&leads, |l| l.status == "lost")),
        (
            "source=website",
            ids_where(&leads, |l| l.source == "website"),
        ),
        ("source=email", ids_where(&leads, |l| l.source == "email")),
        (
            "email=eve@example.com",
            ids_where(&leads, |l| l.email == "eve@example.com"),
        ),
        (
            "email=EVE%40Example.COM",
            ids_where(&leads, |l| l.email == "eve@example.com"),
        ),
        (
            "email=caradiaz@gmail.com",
            ids_where(&leads, |l| l.email.starts_with("Cara")),
        ),
        ("email=nobody@example.com", Vec::new()),
        (
            "created_from=2025-10-19",
            ids_where(&leads, |l| OCT_18_1030 + l.offset >= day_two_start),
        ),
        (
            "created_to=2025-10-19",
            ids_where(&leads, |l| OCT_18_1030 + l.offset < day_two_start + DAY),
        ),
        (
            "created_from=2025-10-18T11:30:00Z",
            ids_where(&leads, |l| l.offset >= 3_600),
        ),
        (
            "created_to=2025-10-18T12:30:00%2B01:00",
            ids_where(&leads, |l| l.offset <= 3_600),
        ),
        (
            "created_to=2025-10-18T12:30:00+01:00",
            ids_where(&leads, |l| l.offset <= 3_600),
        ),
        (
            "created_from=2025-10-18T10:30:00.5Z",
            ids_where(&leads, |l| l.offset >= 1),
        ),
    ];

    for (query, expected) in cases {
        let (ids, cursor) = expect_page(&list(&app, query).await);
        assert_eq!(ids, expected, "{query}");
        assert_eq!(cursor, None, "{query}");
    }
}

#[tokio::test]
async fn filters_combined() {
    let (app, leads) = seeded_app().await;
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "status=new&source=website",
            ids_where(&leads, |l| l.status == "new" && l.source == "website"),
        ),
        (
            "source=website&created_from=2025-10-19&created_to=2025-10-19",
            ids_where(&leads, |l| {
                l.source == "website" && (DAY - 37_800..2 * DAY - 37_800).contains(&l.offset)
            }),
        ),
        (
            "status=qualified&created_from=2025-10-20",
            ids_where(&leads, |l| l.status == "qualified" && l.offset >= 2 * DAY),
        ),
        (
            "email=ana@example.com&status=new&source=website&created_from=2025-10-18&created_to=2025-10-18",
            ids_where(&leads, |l| l.email == "ana@example.com"),
        ),
        ("email=ana@example.com&status=lost", Vec::new()),
    ];

    for (query, expected) in cases {
        let (ids, _) = expect_page(&list(&app, query).await);
        assert_eq!(ids, expected, "{query}");
    }
}

#[tokio::test]
async fn filtered_walk_with_small_pages() {
    let (app, leads) = seeded_app().await;
    let cases = [
        ("status=new", ids_where(&leads, |l| l.status == "new")),
        (
            "source=website",
            ids_where(&leads, |l| l.source == "website"),
        ),
        (
            "created_from=2025-10-19",
            ids_where(&leads, |l| l.offset >= DAY - 37_800),
        ),
        ("", ids_where(&leads, |_| true)),
    ];

    for (query, expected) in cases {
        for limit in [1, 2, 3] {
            assert_eq!(walk(&app, query, limit).await, expected, "{query} {limit}");
        }
    }
}

#[tokio::test]
async fn limit_sets_page_size() {
    let (app, leads) = seeded_app().await;

    let (first, cursor) = expect_page(&list(&app, "limit=3").await);

    assert_eq!(first, ids_where(&leads, |_| true)[..3]);
    assert!(cursor.is_some());
    let (all, cursor) = expect_page(&list(&app, "limit=8").await);
    assert_eq!(all.len(), 8);
    assert_eq!(cursor, None);
}

#[tokio::test]
async fn default_limit_is_50() {
    let app = TestApp::spawn().await;
    for _ in 0..51 {
        expect_created_id(&post_lead(&app, &crate::fixtures::minimal_lead()).await);
    }

    let (page, cursor) = expect_page(&list(&app, "").await);
    assert_eq!(page.len(), 50);
    let cursor = cursor.expect("a second page");

    let (rest, last) = expect_page(&list(&app, &format!("cursor={cursor}")).await);
    assert_eq!(rest.len(), 1);
    assert_eq!(last, None);
}

#[tokio::test]
async fn invalid_parameters_are_validation_errors() {
    let app = TestApp::spawn().await;
    let cases: &[(&str, &[&str])] = &[
        ("limit=0", &["limit"]),
        ("limit=201", &["limit"]),
        ("limit=abc", &["limit"]),
        ("limit=-5", &["limit"]),
        ("limit=10.5", &["limit"]),
        ("limit=", &["limit"]),
        ("status=pending", &["status"]),
        ("status=New", &["status"]),
        ("source=fax", &["source"]),
        ("email=not-an-email", &["email"]),
        ("created_from=2024-02-30", &["created_from"]),
        ("created_to=10/18/2025", &["created_to"]),
        (
            "created_from=2025-10-19&created_to=2025-10-18",
            &["created_to"],
        ),
        ("page=2", &["page"]),
        ("status=new&status=lost", &["status"]),
        ("status=%zz", &["status"]),
        ("limit=0&status=x&sort=name", &["limit", "status", "sort"]),
    ];

    for (query, fields) in cases {
        let response = list(&app, query).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            response.text()
        );
        expect_field_errors(&response, fields);
    }
}

#[tokio::test]
async fn range_within_one_second_is_valid() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for offset in [0, 1] {
        app.clock().set(Duration::from_secs(OCT_18_1030 + offset));
        let body = crate::fixtures::minimal_lead();
        ids.push(expect_created_id(&post_lead(&app, &body).await));
    }
    let cases: [(&str, &[String]); 4] = [
        (
            "created_from=2025-10-18T10:30:00.5Z&created_to=2025-10-18T10:30:00.7Z",
            &[],
        ),
        (
            "created_from=2025-10-18T10:30:00.5Z&created_to=2025-10-18T10:30:00.5Z",
            &[],
        ),
        (
            "created_from=2025-10-18T10:29:59.5Z&created_to=2025-10-18T10:30:00.5Z",
            &ids[..1],
        ),
        (
            "created_from=2025-10-18T10:30:00.5Z&created_to=2025-10-18",
            &ids[1..],
        ),
    ];

    for (query, expected) in cases {
        let (listed, cursor) = expect_page(&list(&app, query).await);
        assert_eq!(listed, expected, "{query}");
        assert_eq!(cursor, None, "{query}");
    }

    let reversed = list(
        &app,
        "created_from=2025-10-18T10:30:00.7Z&created_to=2025-10-18T10:30:00.5Z",
    )
    .await;
    expect_field_errors(&reversed, &["created_to"]);
}

#[tokio::test]
async fn limit_200_is_accepted() {
    let app = TestApp::spawn().await;

    let (ids, cursor) = expect_page(&list(&app, "limit=200").await);

    assert!(ids.is_empty());
    assert_eq!(cursor, None);
}

#[tokio::test]
async fn list_needs_read_scope() {
    let app = TestApp::spawn().await;
    let created = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "analytics only", "scopes": ["read:analytics"]}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);
    let key = created["key"].as_str().expect("the new key");

    let forbidden = app.get("/api/leads").api_key(key).send().await;
    forbidden.expect_forbidden();

    let anonymous = app.get("/api/leads").without_credentials().send().await;
    anonymous.expect_unauthorized();
}

#[tokio::test]
async fn allow_lists_new_methods() {
    let app = TestApp::spawn().await;
    let cases = [
        ("/api/leads", "GET, HEAD, POST, OPTIONS"),
        (
            "/api/leads/lead_abcdefghijklmnop",
            "GET, HEAD, PATCH, DELETE, OPTIONS",
        ),
    ];

    for (path, allow) in cases {
        let options = app.request(Method::OPTIONS, path).send().await;
        assert_eq!(options.status, StatusCode::OK, "{path}");
        assert_eq!(options.header("allow"), Some(allow), "{path}");

        let put = app.request(Method::PUT, path).send().await;
        put.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
        assert_eq!(put.header("allow"), Some(allow), "{path}");
    }

    let delete_collection = app.request(Method::DELETE, "/api/leads").send().await;
    delete_collection.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn lead_routes_reject_query_parameters() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(&post_lead(&app, &crate::fixtures::minimal_lead()).await);
    let path = format!("/api/leads/{id}");
    let cases: [(&str, &[&str]); 3] = [
        ("x=1", &["x"]),
        ("limit=5&x=1&x=2", &["limit", "x"]),
        ("%ZZ", &["%ZZ"]),
    ];

    for (query, fields) in cases {
        let target = format!("{path}?{query}");
        let read = app.get(&target).send().await;
        expect_field_errors(&read, fields);
        let deleted = app.delete(&target).send().await;
        expect_field_errors(&deleted, fields);
        let head = app.request(Method::HEAD, &target).send().await;
        assert_eq!(
            head.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "HEAD {target}"
        );
        assert!(head.body.is_empty());
    }

    let unknown = app
        .get("/api/leads/lead_0000000000000000000000?x=1")
        .send()
        .await;
    expect_field_errors(&unknown, &["x"]);
    let read = app.get(&format!("{path}?")).send().await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(read.json()["id"], id.as_str(), "the lead is not erased");
}
