//! The activity buffer keeps at most its cap while writes fail, and `/metrics` counts the drops.

use latchkey::activity::{Action, Requester};
use latchkey::auth::Access;
use latchkey::http::HttpConfig;

use crate::helpers::TestApp;

#[tokio::test]
async fn dropped_activity_entries_are_counted_in_metrics() {
    let app = TestApp::with_config(HttpConfig {
        max_activity_pending: 5,
        ..HttpConfig::default()
    })
    .await;
    let metrics = app.get("/metrics").await;
    assert!(
        metrics
            .text()
            .contains("latchkey_activity_dropped_total 0\n"),
        "{}",
        metrics.text()
    );
    app.store.close().await;
    let who = Requester::default();
    for _ in 0..12 {
        app.state.activity.record(
            &who,
            &Access::full("j"),
            Action::Read,
            true,
            &app.vault.id,
            None,
            None,
        );
    }
    assert!(app.state.activity.flush(&app.store).await.is_err());
    assert_eq!(app.state.activity.pending_len(), 5);
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .text()
            .contains("latchkey_activity_dropped_total 7\n"),
        "{}",
        metrics.text()
    );
}
