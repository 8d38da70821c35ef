//! Reading into a sink: one vault then its items, text digests, items the sink does not want are
//! not built (their attachments not read), and lists that come before their `attrs`.

use serde_json::json;

use super::testgen::{self, Spec};
use crate::config::SourceLimits;
use crate::sync::source::{ContentDigest, ItemSink, SourceError, SourceItem, SourceVault};
use crate::sync::sources::onepux::{parse, read};

/// Records what it is handed; wants only the items whose text digest it has not seen.
#[derive(Default)]
struct Record {
    events: Vec<String>,
    seen: Vec<ContentDigest>,
    texts: Vec<(String, Option<ContentDigest>)>,
}

impl ItemSink for Record {
    fn content(&mut self, _: &ContentDigest) -> bool {
        false
    }

    fn total(&mut self, _: u64) {}

    fn vault(&mut self, vault: SourceVault) -> Result<(), SourceError> {
        self.events.push(format!("vault {}", vault.id));
        Ok(())
    }

    fn wants(
        &mut self,
        vault_id: &str,
        item_id: &str,
        text: Option<&ContentDigest>,
    ) -> Result<bool, SourceError> {
        self.events.push(format!("wants {vault_id}/{item_id}"));
        let text = text.expect("every 1PUX item has a text digest");
        Ok(!self.seen.contains(text))
    }

    fn item(
        &mut self,
        vault_id: &str,
        item: SourceItem,
        text: Option<ContentDigest>,
    ) -> Result<(), SourceError> {
        self.events.push(format!("item {vault_id}/{}", item.id));
        if let Some(text) = text {
            self.seen.push(text);
        }
        self.texts.push((item.id, text));
        Ok(())
    }
}

fn read_into(bytes: &[u8], sink: &mut Record) -> Result<(), SourceError> {
    read(bytes, &SourceLimits::default(), sink)
}

#[test]
fn vaults_come_before_their_items_and_unwanted_items_are_not_built() {
    let spec = Spec {
        vaults: 2,
        items_per_vault: 3,
        ..Spec::default()
    };
    let archive = testgen::generate(&spec);
    let mut sink = Record::default();
    read_into(&archive, &mut sink).unwrap();
    let (v0, v1) = (testgen::vault_uuid(0), testgen::vault_uuid(1));
    let (i0, i1) = (testgen::item_uuid(0, 0), testgen::item_uuid(1, 2));
    assert_eq!(sink.events.len(), 2 + 2 * 3 * 2, "{:?}", sink.events);
    assert_eq!(sink.events[0], format!("vault {v0}"));
    assert_eq!(sink.events[1], format!("wants {v0}/{i0}"));
    assert_eq!(sink.events[2], format!("item {v0}/{i0}"));
    assert_eq!(sink.events[7], format!("vault {v1}"));
    assert_eq!(sink.events[13], format!("item {v1}/{i1}"));

    // Generated items have attachments: built from more than their text, so never skipped.
    assert!(sink.texts.iter().all(|(_, text)| text.is_none()));
    let plain = Spec {
        attachments: false,
        ..spec
    };
    let archive = testgen::generate(&plain);
    let mut sink = Record::default();
    read_into(&archive, &mut sink).unwrap();
    // The DOCUMENT category (item 5 of each vault) is not generated with 3 items per vault.
    assert!(sink.texts.iter().all(|(_, text)| text.is_some()));
    let built = sink.texts.len();
    assert_eq!(built, 6);
    // Read again: the sink holds every text, so nothing is built.
    sink.events.clear();
    read_into(&archive, &mut sink).unwrap();
    assert!(
        sink.events.iter().all(|e| !e.starts_with("item")),
        "{:?}",
        sink.events
    );
    assert_eq!(sink.texts.len(), built);
}

#[test]
fn text_digests_follow_the_text_and_where_the_item_sits() {
    let item = |title: &str| {
        json!({"uuid": "aaaaaaaaaaaaaaaaaaaaaaaaaa", "categoryUuid": "001",
            "overview": {"title": title}, "details": {"password": "pw"}})
    };
    let digest = |data: serde_json::Value| {
        let mut sink = Record::default();
        read_into(&testgen::archive(&data, &[]), &mut sink).unwrap();
        sink.texts[0].1.unwrap()
    };
    let one = digest(testgen::export_with_items(vec![item("one")]));
    assert_eq!(one, digest(testgen::export_with_items(vec![item("one")])));
    assert_ne!(one, digest(testgen::export_with_items(vec![item("two")])));
    let mut other_vault = testgen::export_with_items(vec![item("one")]);
    other_vault["accounts"][0]["vaults"][0]["attrs"]["uuid"] = json!(testgen::vault_uuid(7));
    assert_ne!(one, digest(other_vault));
}

#[test]
fn lists_before_their_attrs_are_read_once_the_object_ends() {
    let item = json!({"uuid": "bbbbbbbbbbbbbbbbbbbbbbbbbb", "categoryUuid": "003",
        "overview": {"title": "note"}});
    let text = format!(
        r#"{{"accounts": [{{"vaults": [{{"items": [{item}], "attrs": {{"uuid": "V1", "name": "late"}}}}],
            "attrs": {{"uuid": "A1"}}}}]}}"#
    );
    let late = testgen::zip_entries(&[("export.data", text.as_bytes())]);
    let early = testgen::archive(
        &json!({"accounts": [{"attrs": {"uuid": "A1"}, "vaults": [
            {"attrs": {"uuid": "V1", "name": "late"}, "items": [item]}]}]}),
        &[],
    );
    let (late, early) = (parse(&late).unwrap(), parse(&early).unwrap());
    assert_eq!(late, early);
    assert_eq!(late.vaults[0].vault.name, "late");
    assert_eq!(late.vaults[0].items[0].id, "bbbbbbbbbbbbbbbbbbbbbbbbbb");
}

#[test]
fn the_sinks_error_stops_the_read() {
    struct Refuse;
    impl ItemSink for Refuse {
        fn content(&mut self, _: &ContentDigest) -> bool {
            false
        }
        fn total(&mut self, _: u64) {}
        fn vault(&mut self, _: SourceVault) -> Result<(), SourceError> {
            Err(SourceError::Invalid("no thanks".into()))
        }
        fn wants(
            &mut self,
            _: &str,
            _: &str,
            _: Option<&ContentDigest>,
        ) -> Result<bool, SourceError> {
            unreachable!("the read stopped at the vault")
        }
        fn item(
            &mut self,
            _: &str,
            _: SourceItem,
            _: Option<ContentDigest>,
        ) -> Result<(), SourceError> {
            unreachable!("the read stopped at the vault")
        }
    }
    let archive = testgen::generate(&Spec::default());
    let result = read(&archive, &SourceLimits::default(), &mut Refuse);
    assert!(matches!(result, Err(SourceError::Invalid(m)) if m == "no thanks"));
}
