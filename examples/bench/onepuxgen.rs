//! A synthetic `.1pux` export (docs/1pux-format.md) of the same logins as the seed file: one
//! account, the large vault, `n` LOGIN items with a URL, tags, notes and a section of four
//! fields. Deterministic, written atomically like the seed file.

use std::io::{BufWriter, Write as _};
use std::path::Path;

use anyhow::anyhow;
use serde_json::{json, Value};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::seedgen::{big_vault_id, item_id, item_password, item_title, pseudo_text};

/// One exported login, as 1Password 8 writes it (the keys the importer reads).
fn export_item(n: usize, password: &str) -> Value {
    let url = format!("https://service-{n}.example.com/login");
    json!({
        "uuid": item_id(n),
        "favIndex": 0,
        "createdAt": 1_700_000_000,
        "updatedAt": 1_700_000_000,
        "state": "active",
        "categoryUuid": "001",
        "overview": {
            "title": item_title(n),
            "subtitle": format!("user{n}@example.com"),
            "tags": ["bench", format!("group-{}", n % 50)],
            "url": url,
            "urls": [{"label": "website", "url": url}]
        },
        "details": {
            "loginFields": [
                {"value": format!("user{n}@example.com"), "id": "", "name": "username",
                 "fieldType": "T", "designation": "username"},
                {"value": password, "id": "", "name": "password",
                 "fieldType": "P", "designation": "password"}
            ],
            "notesPlain": format!("Benchmark item {n}; rotated quarterly by the platform team."),
            "sections": [{"title": "Connection", "name": "connection", "fields": [
                {"title": "host", "id": "host", "value": {"string": format!("db-{n}.internal.example.com")}},
                {"title": "port", "id": "port", "value": {"string": "5432"}},
                {"title": "database", "id": "database", "value": {"string": format!("app_{n}")}},
                {"title": "api key", "id": "apikey", "value": {"concealed": pseudo_text(n as u64 ^ 0xA5A5, 40)}}
            ]}],
            "passwordHistory": []
        }
    })
}

/// Writes the export of `items` logins to `path` (temporary file, then rename). `changed`
/// replaces one item's password.
pub fn write_onepux(
    path: &Path,
    items: usize,
    changed: Option<(usize, &str)>,
) -> anyhow::Result<()> {
    let tmp = path.with_extension("1pux.tmp");
    {
        let file = std::fs::File::create(&tmp)?;
        let mut zip = ZipWriter::new(BufWriter::with_capacity(1 << 20, file));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(1));
        zip.start_file("export.attributes", options)?;
        zip.write_all(
            br#"{"version":3,"description":"1Password Unencrypted Export","createdAt":1700000000}"#,
        )?;
        zip.start_file("export.data", options)?;
        // Buffered: the deflater is slow with the many small writes of the serializer.
        let mut data = BufWriter::with_capacity(1 << 20, &mut zip);
        write!(
            data,
            "{{\"accounts\":[{{\"attrs\":{{\"accountName\":\"Bench\",\"name\":\"Bench\",\"email\":\"bench@example.com\",\"uuid\":\"BENCHACCOUNT0000000000000\",\"domain\":\"https://bench.1password.com/\"}},\"vaults\":[{{\"attrs\":{{\"uuid\":\"{}\",\"desc\":\"benchmark vault\",\"avatar\":\"\",\"name\":\"Bench\",\"type\":\"U\"}},\"items\":[",
            big_vault_id()
        )?;
        for n in 0..items {
            if n > 0 {
                data.write_all(b",\n")?;
            }
            let password = match changed {
                Some((k, value)) if k == n => value.to_string(),
                _ => item_password(n),
            };
            serde_json::to_writer(&mut data, &export_item(n, &password))?;
        }
        data.write_all(b"]}]}]}\n")?;
        data.flush()?;
        drop(data);
        let file = zip
            .finish()?
            .into_inner()
            .map_err(|e| anyhow!("{}", e.error()))?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}
