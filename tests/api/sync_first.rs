//! The first sync of a file source, read once and written as it is read: vaults named after
//! their items get their attributes as their first version, and a file that turns out invalid
//! halfway (after whole batches were written) leaves the store as it found it.

use std::path::Path;
use std::sync::Arc;

use latchkey::config::{SourceKind, SourceLimits};
use latchkey::sync::sources::file::FileSource;
use latchkey::sync::Engine;

use crate::helpers::TestApp;

/// More than one write batch of items.
const ITEMS: usize = 600;

/// A JSON seed file (streamed) whose vault's `name` and `description` come after its items, so
/// that the items reach the engine before the vault's attributes. `broken`: the last item has a
/// field of an unknown type.
fn seed(broken: bool) -> String {
    let mut items: Vec<String> = (0..ITEMS)
        .map(|i| {
            format!(
                r#"{{"title": "item {i}", "tags": ["t{}"], "password": "p{i}"}}"#,
                i % 3
            )
        })
        .collect();
    if broken {
        items.push(
            r#"{"title": "bad", "fields": [{"label": "x", "type": "NOPE", "value": "y"}]}"#.into(),
        );
    }
    format!(
        r#"{{"version": 1, "vaults": [{{"id": "{VAULT}", "items": [{}], "name": "Infra", "description": "shared"}}]}}"#,
        items.join(", ")
    )
}

const VAULT: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";

fn engine(app: &TestApp, path: &Path) -> Engine {
    let source = FileSource::streaming(SourceKind::Seed, path.to_path_buf(), |p, sink| {
        latchkey::sync::sources::seed::read_file(p, &[7; 32], &SourceLimits::default(), sink)
    });
    Engine::new(app.store.clone(), Arc::new(source), "SYNCER".into())
}

#[tokio::test]
async fn a_first_sync_names_vaults_given_after_their_items_as_their_first_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, seed(false)).unwrap();
    let app = TestApp::new().await;
    let engine = engine(&app, &path);
    let outcome = engine.sync_once().await.unwrap();
    assert_eq!(outcome.items_added, ITEMS);
    assert_eq!(
        (outcome.vaults_added, outcome.vaults, outcome.items),
        (1, 1, ITEMS)
    );

    let vault = app.store.get_vault(VAULT).await.unwrap().unwrap();
    assert_eq!(
        (vault.name.as_str(), vault.description.as_str()),
        ("Infra", "shared")
    );
    assert_eq!(vault.attribute_version, 1);
    assert_eq!(vault.items, ITEMS as i64);

    // Rewritten with the same content: every item is recognised, nothing is written.
    std::fs::write(&path, format!("{} ", seed(false))).unwrap();
    let again = engine.sync_once().await.unwrap();
    assert!(!again.changed(), "{again:?}");
    assert_eq!(again.items_unchanged, ITEMS);
    let vault = app.store.get_vault(VAULT).await.unwrap().unwrap();
    assert_eq!((vault.attribute_version, vault.items), (1, ITEMS as i64));
}

#[tokio::test]
async fn a_first_sync_that_fails_halfway_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, seed(true)).unwrap();
    let app = TestApp::new().await;
    let engine = engine(&app, &path);
    let err = engine.sync_once().await.unwrap_err();
    assert!(err.to_string().contains("item #601"), "{err}");
    assert!(app.store.get_vault(VAULT).await.unwrap().is_none());
    let names: Vec<String> = app
        .store
        .list_vaults()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, ["Test Vault"], "only the test's own vault is left");

    std::fs::write(&path, seed(false)).unwrap();
    let outcome = engine.sync_once().await.unwrap();
    assert_eq!(outcome.items_added, ITEMS);
    assert_eq!(
        app.store.get_vault(VAULT).await.unwrap().unwrap().items,
        ITEMS as i64
    );
}

/// The count a first sync runs beside its one pass, for its progress total: every item offered,
/// none built (so an item that would fail to build is counted, not reported), nothing once told
/// to stop, and nothing for a small file (whose sync ends before a total could be shown).
#[test]
fn a_file_source_counts_its_items_without_building_them() {
    use latchkey::sync::source::StreamingSource;
    use std::sync::atomic::AtomicBool;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    let source = FileSource::streaming(SourceKind::Seed, path.clone(), |p, sink| {
        latchkey::sync::sources::seed::read_file(p, &[7; 32], &SourceLimits::default(), sink)
    });
    std::fs::write(&path, seed(false)).unwrap();
    assert_eq!(source.count(&AtomicBool::new(false)), None, "a small file");
    // Over a megabyte: the same items with long notes, then one that would fail to build.
    let notes = "n".repeat(2_000);
    let big = |broken: bool| {
        let mut items: Vec<String> = (0..ITEMS)
            .map(|i| format!(r#"{{"title": "item {i}", "notes": "{notes}"}}"#))
            .collect();
        if broken {
            items.push(r#"{"title": "bad", "fields": [{"label": "x", "type": "NOPE"}]}"#.into());
        }
        format!(
            r#"{{"version": 1, "vaults": [{{"id": "{VAULT}", "name": "V", "items": [{}]}}]}}"#,
            items.join(", ")
        )
    };
    std::fs::write(&path, big(false)).unwrap();
    assert_eq!(source.count(&AtomicBool::new(false)), Some(ITEMS as u64));
    assert_eq!(source.count(&AtomicBool::new(true)), None);
    std::fs::write(&path, big(true)).unwrap();
    assert_eq!(
        source.count(&AtomicBool::new(false)),
        Some(ITEMS as u64 + 1)
    );
    let cut = big(false);
    std::fs::write(&path, &cut[..cut.len() - 10]).unwrap();
    assert_eq!(source.count(&AtomicBool::new(false)), None, "not JSON");
}
