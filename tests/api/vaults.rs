//! Vault shapes and the activity log.

use serde_json::json;

use crate::helpers::{login, TestApp};

#[tokio::test]
async fn vaults_have_connects_shape() {
    let app = TestApp::new().await;
    let list = app.get("/v1/vaults").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.header("content-type"), Some("application/json"));
    let vault = &list.json()[0];
    assert_eq!(vault["id"], app.vault.id.as_str());
    assert_eq!(vault["name"], "Test Vault");
    assert_eq!(vault["type"], "USER_CREATED");
    assert_eq!(vault["attributeVersion"], 1);
    assert_eq!(vault["items"], 0);
    assert!(
        vault.get("description").is_none(),
        "empty description is omitted"
    );
    for key in ["createdAt", "updatedAt"] {
        let ts = vault[key].as_str().unwrap();
        assert_eq!(ts.len(), 20, "{ts}");
        assert!(ts.ends_with('Z'));
    }
    let one = app
        .get(&format!("/v1/vaults/{}", app.vault.id))
        .await
        .json();
    assert_eq!(&one, vault);
}

#[tokio::test]
async fn activity_is_newest_first_with_paging_and_content_range() {
    let app = TestApp::new().await;
    let item = app.create(login("a")).await;
    let id = item["id"].as_str().unwrap();
    app.get(&app.item_uri(id)).await;
    app.delete(&app.item_uri(id)).await;
    let other = app.new_vault("Other").await;
    app.get(&format!("/v1/vaults/{}", other.id)).await; // denied

    let response = app.get("/v1/activity").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-range"), Some("1-4/4"));
    let entries = response.json();
    let actions: Vec<(&str, &str)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("READ", "DENY"),
            ("DELETE", "SUCCESS"),
            ("READ", "SUCCESS"),
            ("CREATE", "SUCCESS")
        ]
    );
    let create = &entries[3];
    assert_eq!(create["resource"]["type"], "ITEM");
    assert_eq!(create["resource"]["vault"]["id"], app.vault.id.as_str());
    assert_eq!(create["resource"]["item"]["id"], id);
    assert_eq!(create["resource"]["itemVersion"], 1);
    assert_eq!(create["actor"]["id"], app.credentials.server_id.as_str());
    assert_eq!(
        create["actor"]["account"],
        app.credentials.account_id.as_str()
    );
    assert_eq!(create["actor"]["jti"].as_str().unwrap().len(), 26);
    assert_eq!(create["requestId"].as_str().unwrap().len(), 36);

    let page = app.get("/v1/activity?limit=2&offset=1").await;
    assert_eq!(page.header("content-range"), Some("2-3/4"));
    let page = page.json();
    assert_eq!(page.as_array().unwrap().len(), 2);
    assert_eq!(page[0]["action"], "DELETE");
    app.get("/v1/activity?limit=-1")
        .await
        .assert_error(400, "limit");
    app.get("/v1/activity?offset=abc")
        .await
        .assert_error(400, "offset");
    assert_eq!(app.get("/v1/activity?offset=100").await.json(), json!([]));
}

#[tokio::test]
async fn a_token_sees_only_the_activity_of_its_vaults() {
    let app = TestApp::new().await;
    app.create(login("mine")).await;
    let other = app.new_vault("Other").await;
    let other_token = app
        .issue(&[(&other.id, latchkey::auth::ACL_READ_WRITE)])
        .await;
    let created = app
        .send(
            axum::http::Method::POST,
            &format!("/v1/vaults/{}/items", other.id),
            Some(&other_token),
            Some(login("theirs").to_string().into_bytes()),
        )
        .await;
    assert_eq!(created.status, 200);

    let mine = app.get("/v1/activity").await;
    assert_eq!(mine.header("content-range"), Some("1-1/1"));
    assert_eq!(
        mine.json()[0]["resource"]["vault"]["id"],
        app.vault.id.as_str()
    );
    let theirs = app.get_with("/v1/activity", &other_token).await;
    assert_eq!(theirs.header("content-range"), Some("1-1/1"));
    assert_eq!(
        theirs.json()[0]["resource"]["vault"]["id"],
        other.id.as_str()
    );
    let nobody = app.issue(&[]).await;
    let none = app.get_with("/v1/activity", &nobody).await;
    assert_eq!(none.json(), json!([]));
    assert_eq!(none.header("content-range"), Some("0-0/0"));
    // Its own denied attempt on a vault it does not name is shown to it, and to no one else.
    app.get_with(&format!("/v1/vaults/{}", other.id), &nobody)
        .await
        .assert_error(403, "access");
    let own = app.get_with("/v1/activity", &nobody).await.json();
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["result"], "DENY");
    assert_eq!(
        app.get("/v1/activity").await.header("content-range"),
        Some("1-1/1")
    );
}
