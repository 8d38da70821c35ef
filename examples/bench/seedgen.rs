//! The generated content: ids and titles of the benchmark's vaults and items, the JSON seed file
//! of the large vault and the items of the small one, all deterministic.

use std::io::{BufWriter, Write as _};
use std::path::Path;

use anyhow::anyhow;
use serde_json::{json, Value};

/// Ids of the benchmark's vaults and items (26 lowercase letters and digits).
pub fn big_vault_id() -> String {
    format!("bench{:0>21}", "big")
}

pub fn small_vault_id() -> String {
    format!("bench{:0>21}", "small")
}

pub fn item_id(n: usize) -> String {
    format!("i{n:025}")
}

pub fn item_title(n: usize) -> String {
    format!("Item {n:06}")
}

pub fn small_title(n: usize) -> String {
    format!("Small {n:05}")
}

/// A deterministic pseudo-random sequence (splitmix64).
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

pub fn pseudo_text(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..len)
        .map(|i| {
            ALPHABET[(mix(seed.wrapping_mul(131).wrapping_add(i as u64)) % ALPHABET.len() as u64)
                as usize] as char
        })
        .collect()
}

/// One seed item: a login with a URL, tags, notes and a section of four fields; its full item
/// response is about 1.3 KB.
fn seed_item(n: usize, password: &str) -> Value {
    json!({
        "id": item_id(n),
        "title": item_title(n),
        "category": "LOGIN",
        "tags": ["bench", format!("group-{}", n % 50)],
        "urls": [{"href": format!("https://service-{n}.example.com/login"), "label": "website"}],
        "username": format!("user{n}@example.com"),
        "password": password,
        "notes": format!("Benchmark item {n}; rotated quarterly by the platform team."),
        "sections": [{"label": "Connection", "fields": [
            {"label": "host", "value": format!("db-{n}.internal.example.com")},
            {"label": "port", "value": "5432"},
            {"label": "database", "value": format!("app_{n}")},
            {"label": "api key", "type": "CONCEALED", "value": pseudo_text(n as u64 ^ 0xA5A5, 40)}
        ]}]
    })
}

pub fn item_password(n: usize) -> String {
    pseudo_text(n as u64, 32)
}

/// Writes the seed file atomically (temporary file, then rename), so that the watcher never sees
/// half a file. `changed` replaces one item's password.
pub fn write_seed(path: &Path, items: usize, changed: Option<(usize, &str)>) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    {
        let file = std::fs::File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write!(
            w,
            "{{\"version\":1,\"vaults\":[{{\"id\":\"{}\",\"name\":\"Bench\",\"description\":\"benchmark vault\",\"items\":[",
            big_vault_id()
        )?;
        for n in 0..items {
            if n > 0 {
                w.write_all(b",\n")?;
            }
            let password = match changed {
                Some((k, value)) if k == n => value.to_string(),
                _ => item_password(n),
            };
            serde_json::to_writer(&mut w, &seed_item(n, &password))?;
        }
        w.write_all(b"]}]}\n")?;
        w.into_inner().map_err(|e| anyhow!("{e}"))?.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Item `i` of the small vault, as a client of the API would create it.
pub fn small_item(i: usize) -> Value {
    json!({
        "title": small_title(i),
        "category": "LOGIN",
        "tags": ["bench"],
        "urls": [{"href": format!("https://small-{i}.example.com/"), "primary": true}],
        "fields": [
            {"purpose": "USERNAME", "value": format!("small{i}@example.com")},
            {"purpose": "PASSWORD", "value": pseudo_text(i as u64 + 7, 32)}
        ]
    })
}
