//! A refused archive is a source error in `/health`; the store keeps serving the last good data.

use std::io::Write;

use latchkey::config::{SourceLimits, SourceSpec};
use latchkey::sync::Engine;

use crate::helpers::TestApp;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/synthetic.1pux");

/// A valid but explosive `export.data`: 32 MiB of spaces inside JSON, a few dozen KiB zipped.
fn bomb() -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("export.data", options).unwrap();
    zip.write_all(b"{\"accounts\":[]").unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..32 {
        zip.write_all(&spaces).unwrap();
    }
    zip.write_all(b"}").unwrap();
    zip.finish().unwrap().into_inner()
}

async fn health(app: &TestApp) -> serde_json::Value {
    let text = crate::helpers::health_text(app, latchkey::config::SourceKind::OnePux).await;
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_zip_bomb_is_a_source_error_and_the_last_import_stays() {
    let app = TestApp::new().await;
    let path = app.dir.path().join("export.1pux");
    std::fs::copy(FIXTURE, &path).unwrap();
    let spec = SourceSpec::OnePux { path: path.clone() };
    let source = latchkey::sync::build_source(
        &spec,
        app.store.keys(),
        latchkey::config::UpstreamLimits::default(),
        &SourceLimits::default(),
    )
    .unwrap()
    .unwrap();
    let engine = Engine::new(app.store.clone(), source, "SYNCER".into());
    engine.sync_once().await.unwrap();
    let items_before = app.store.counts().await.unwrap();

    std::fs::write(&path, bomb()).unwrap();
    let err = engine.sync_once().await.unwrap_err().to_string();
    assert!(
        err.contains("export.data inflates to more than 100 times"),
        "{err}"
    );
    assert_eq!(app.store.counts().await.unwrap(), items_before);
    let health = health(&app).await;
    assert_eq!(health["dependencies"][1]["status"], "AVAILABLE");
    assert_eq!(health["dependencies"][2]["status"], "ERROR");
    let message = health["dependencies"][2]["message"].as_str().unwrap();
    assert!(message.contains("LATCHKEY_MAX_ARCHIVE_RATIO"), "{message}");
}
