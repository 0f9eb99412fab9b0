//! Paging through `GET /api/leads` with `next_cursor`: every lead is reached
//! exactly once while others are created, and a cursor that was not issued
//! for the request is `400`.

use crate::fixtures::{expect_created_id, minimal_lead, post_lead};
use crate::leads_list::{expect_page, list};
use crate::support::TestApp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// 2025-10-18T10:30:00Z in Unix seconds.
const START: u64 = 1_760_783_400;
const LEADS: usize = 1_000;
/// Leads created in each second, so that many share a creation time and
/// the id decides their order.
const LEADS_PER_SECOND: usize = 25;
const PAGE_SIZE: u32 = 7;

/// Creates `count` leads one after another and returns their ids.
async fn create_leads(app: &TestApp, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        ids.push(expect_created_id(&post_lead(app, &minimal_lead()).await));
    }
    ids
}

/// Creates [`LEADS`] leads, [`LEADS_PER_SECOND`] per second from [`START`].
async fn seed(app: &TestApp) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for batch in 0..LEADS / LEADS_PER_SECOND {
        app.clock().set(Duration::from_secs(START + batch as u64));
        ids.extend(create_leads(app, LEADS_PER_SECOND).await);
    }
    assert_eq!(ids.len(), LEADS);
    ids
}

/// Returns the page at `cursor` as `(created_at, id)` pairs.
async fn page(app: &TestApp, cursor: Option<&str>) -> (Vec<(String, String)>, Option<String>) {
    let query = match cursor {
        None => format!("limit={PAGE_SIZE}"),
        Some(cursor) => format!("limit={PAGE_SIZE}&cursor={cursor}"),
    };
    let response = list(app, &query).await;
    let (ids, next) = expect_page(&response);
    let body = response.json();
    let positions = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(ids)
        .map(|(lead, id)| {
            (
                lead["created_at"].as_str().unwrap_or_default().to_owned(),
                id,
            )
        })
        .collect();
    (positions, next)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn walk_visits_each_lead_once_during_inserts() {
    let app = TestApp::spawn().await;
    let seeded = seed(&app).await;
    let last_second = START + (LEADS / LEADS_PER_SECOND) as u64 - 1;

    let mut visits: BTreeMap<String, usize> = BTreeMap::new();
    let mut order = Vec::new();
    let mut late = BTreeSet::new();
    let mut early = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages: u64 = 0;
    loop {
        let (leads, next) = page(&app, cursor.as_deref()).await;
        pages += 1;
        assert!(leads.len() <= PAGE_SIZE as usize);
        for (created_at, id) in leads {
            *visits.entry(id.clone()).or_default() += 1;
            order.push((created_at, id));
        }

        // A lead created after the last seeded second sorts after every
        // position, so the walk must reach it.
        app.clock().set(Duration::from_secs(last_second + pages));
        late.extend(create_leads(&app, 2).await);
        // Once the walk has left the first second behind, a lead created in
        // that second sorts before the position and must not show up.
        if pages > 10 {
            app.clock().set(Duration::from_secs(START));
            early.extend(create_leads(&app, 1).await);
        }

        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    let repeated: Vec<_> = visits.iter().filter(|(_, count)| **count > 1).collect();
    assert!(repeated.is_empty(), "leads listed twice: {repeated:?}");
    let missing: Vec<_> = seeded
        .iter()
        .filter(|id| !visits.contains_key(*id))
        .collect();
    assert!(missing.is_empty(), "seeded leads never listed: {missing:?}");
    let sorted = order.windows(2).all(|pair| pair[0] < pair[1]);
    assert!(sorted, "the walk is not in (created_at, id) order");
    assert!(
        pages >= (LEADS as u64).div_ceil(u64::from(PAGE_SIZE)),
        "{pages} pages"
    );

    // The last page was fetched before its two late leads were created.
    let unreached: Vec<_> = late.iter().filter(|id| !visits.contains_key(*id)).collect();
    assert_eq!(unreached.len(), 2, "late leads not listed: {unreached:?}");
    let listed_early: Vec<_> = early.iter().filter(|id| visits.contains_key(*id)).collect();
    assert!(
        listed_early.is_empty(),
        "early leads listed: {listed_early:?}"
    );
}

/// Starts an app with ten leads and returns it with the cursor after the
/// first page of three.
async fn app_with_cursor(query: &str) -> (TestApp, String) {
    let app = TestApp::spawn().await;
    for _ in 0..10 {
        expect_created_id(&post_lead(&app, &minimal_lead()).await);
    }
    let (_, cursor) = expect_page(&list(&app, &format!("{query}limit=3")).await);
    (app, cursor.expect("a second page"))
}

#[tokio::test]
async fn issued_cursor_reaches_second_page() {
    let (app, cursor) = app_with_cursor("").await;

    let (ids, _) = expect_page(&list(&app, &format!("limit=3&cursor={cursor}")).await);

    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn malformed_cursor_is_bad_request() {
    let (app, cursor) = app_with_cursor("").await;
    let too_long = "A".repeat(500);
    let malformed = [
        "",
        "not-a-cursor",
        "!!!!",
        "%FF%FE",
        too_long.as_str(),
        &cursor[..cursor.len() / 2],
        &format!("{cursor}AAAA"),
    ];

    for token in malformed {
        let response = list(&app, &format!("cursor={token}")).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "cursor {token:?}: {}",
            response.text()
        );
        if response.status == StatusCode::BAD_REQUEST {
            response.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
        }
    }
}

#[tokio::test]
async fn tampered_cursor_is_bad_request() {
    let (app, cursor) = app_with_cursor("").await;
    let bytes = URL_SAFE_NO_PAD.decode(&cursor).expect("base64url cursor");

    for index in [0, 1, 8, 12, 20, bytes.len() - 1] {
        let mut changed = bytes.clone();
        changed[index] ^= 0x01;
        let token = URL_SAFE_NO_PAD.encode(&changed);

        let response = list(&app, &format!("limit=3&cursor={token}")).await;

        let error = response.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("cursor"),
            "byte {index}: {error:?}"
        );
    }
}

#[tokio::test]
async fn cursor_of_another_app_is_bad_request() {
    let (_, foreign) = app_with_cursor("").await;
    let (app, _) = app_with_cursor("").await;

    let response = list(&app, &format!("limit=3&cursor={foreign}")).await;

    response.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
}

#[tokio::test]
async fn cursor_with_other_filters_is_bad_request() {
    let (app, cursor) = app_with_cursor("source=website&").await;

    let same = list(&app, &format!("source=website&limit=3&cursor={cursor}")).await;
    expect_page(&same);

    for other in ["", "source=social&", "status=new&source=website&"] {
        let response = list(&app, &format!("{other}limit=3&cursor={cursor}")).await;
        let error = response.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("filters"),
            "{other}: {error:?}"
        );
    }
}

#[tokio::test]
async fn cursor_survives_deletion_of_its_lead() {
    let app = TestApp::spawn().await;
    for _ in 0..6 {
        expect_created_id(&post_lead(&app, &minimal_lead()).await);
    }
    let (first, cursor) = expect_page(&list(&app, "limit=3").await);
    let cursor = cursor.expect("a second page");
    let last = first.last().expect("a full first page");
    let deleted = app.delete(&format!("/api/leads/{last}")).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let (second, next) = expect_page(&list(&app, &format!("limit=3&cursor={cursor}")).await);

    assert_eq!(second.len(), 3);
    assert!(second.iter().all(|id| !first.contains(id)));
    assert_eq!(next, None);
}
