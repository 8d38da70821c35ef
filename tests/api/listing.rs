//! Lists longer than a page: the store reads them a page at a time and the API streams them, with
//! the same items, order and filters as a list read at once, and a read error after the first
//! page aborts the body instead of ending a valid-looking short list.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use latchkey::model::{Category, ItemData};
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::TestApp;

/// More items than the API's page of rows (500): three pages.
const ITEMS: usize = 1203;

/// Item `n`: title `T{n % 3}`, tag `all` on every item, `even` on every other one (more than a
/// page, fewer than the whole vault: read through the tag index), `rare` on two.
async fn fill(app: &TestApp) {
    for n in 0..ITEMS {
        let mut data = ItemData::default();
        data.summary.title = format!("T{}", n % 3);
        data.summary.tags = vec!["all".into()];
        if n % 2 == 0 {
            data.summary.tags.push("even".into());
        }
        if n == 7 || n == 1100 {
            data.summary.tags.push("rare".into());
        }
        let id = format!("{n:026}");
        app.store
            .create_item(&app.vault.id, &id, Category::Login, &data, "test", &[])
            .await
            .unwrap()
            .unwrap();
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_list_longer_than_a_page_streams_every_item_in_order_and_filters_across_pages() {
    let app = TestApp::new().await;
    fill(&app).await;
    let response = app.get(&app.items_uri()).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let all = response.json();
    let expected: Vec<String> = (0..ITEMS).map(|n| format!("{n:026}")).collect();
    assert_eq!(ids(&all), expected, "creation order, then id");
    assert!(all[0].get("fields").is_none(), "summaries only");
    // The same items and bytes as the store's collected list, page by page or not.
    let stored = app
        .store
        .list_items(&app.vault.id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.len(), ITEMS);
    for (query, wanted) in [
        (
            "title+eq+%22t1%22",
            (0..ITEMS).filter(|n| n % 3 == 1).collect::<Vec<_>>(),
        ),
        ("tag+eq+%22all%22", (0..ITEMS).collect()),
        ("tag+eq+%22rare%22", vec![7, 1100]),
        ("tag+eq+%22even%22", (0..ITEMS).step_by(2).collect()),
        (
            "title+eq+%22T2%22+or+tag+eq+%22rare%22",
            (0..ITEMS)
                .filter(|n| n % 3 == 2 || *n == 7 || *n == 1100)
                .collect(),
        ),
        (
            "title+sw+%22t0%22",
            (0..ITEMS).filter(|n| n % 3 == 0).collect(),
        ),
        ("tag+eq+%22none%22", vec![]),
    ] {
        let response = app
            .get(&format!("{}?filter={query}", app.items_uri()))
            .await;
        assert_eq!(response.status, 200, "{query}: {}", response.text());
        let wanted: Vec<String> = wanted.iter().map(|n| format!("{n:026}")).collect();
        let got = ids(&response.json());
        assert!(
            got == wanted,
            "{query}: {} of {}, first missing {:?}",
            got.len(),
            wanted.len(),
            wanted.iter().find(|w| !got.contains(w))
        );
    }
}

#[tokio::test]
async fn a_page_that_cannot_be_read_after_the_first_aborts_the_body() {
    let app = TestApp::new().await;
    fill(&app).await;
    // The summary of an item of the third page swapped with another's: it no longer opens.
    sqlx::query("UPDATE items SET summary = (SELECT summary FROM items WHERE id = ?) WHERE id = ?")
        .bind(format!("{:026}", 0))
        .bind(format!("{:026}", 1150))
        .execute(app.store.pool())
        .await
        .unwrap();
    let request = Request::get(app.items_uri())
        .header("authorization", format!("Bearer {}", app.token))
        .body(Body::empty())
        .unwrap();
    let response = latchkey::http::app(app.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    // The head was sent with the first page; the body then fails rather than ending early.
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await;
    assert!(body.is_err(), "the body must not end as a complete list");
    // A failure in the first page is still an error status.
    sqlx::query("UPDATE items SET summary = (SELECT summary FROM items WHERE id = ?) WHERE id = ?")
        .bind(format!("{:026}", 0))
        .bind(format!("{:026}", 3))
        .execute(app.store.pool())
        .await
        .unwrap();
    app.get(&app.items_uri())
        .await
        .assert_error(500, "Something went wrong");
}
