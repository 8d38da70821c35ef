//! Builds 1PUX archives for tests: any number of items of every category, with every section
//! value kind and with attachments, plus the expected Connect form of each generated value, so
//! that tests (here and in the sync engine) can check an import without hand-written fixtures.

use std::io::{Cursor, Write};

use serde_json::{json, Value};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::model::{Category, FieldType};

/// Every `categoryUuid` the generator uses, with the category it must map to: the 21 known
/// codes, then a crypto wallet (115) and a code nobody knows, which both become CUSTOM.
pub(crate) const CATEGORIES: &[(&str, Category)] = &[
    ("001", Category::Login),
    ("002", Category::CreditCard),
    ("003", Category::SecureNote),
    ("004", Category::Identity),
    ("005", Category::Password),
    ("006", Category::Document),
    ("100", Category::SoftwareLicense),
    ("101", Category::BankAccount),
    ("102", Category::Database),
    ("103", Category::DriverLicense),
    ("104", Category::OutdoorLicense),
    ("105", Category::Membership),
    ("106", Category::Passport),
    ("107", Category::RewardProgram),
    ("108", Category::SocialSecurityNumber),
    ("109", Category::WirelessRouter),
    ("110", Category::Server),
    ("111", Category::EmailAccount),
    ("112", Category::ApiCredential),
    ("113", Category::MedicalRecord),
    ("114", Category::SshKey),
    ("115", Category::Custom),
    ("777", Category::Custom),
];

/// What to generate. Item `i` of every vault has category `CATEGORIES[i % CATEGORIES.len()]`.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub vaults: usize,
    pub items_per_vault: usize,
    /// Give every item a `file` field with an attachment (documents always have their file).
    pub attachments: bool,
    /// Every n-th item (n > 0) is archived: items `n-1`, `2n-1`, …
    pub archived_every: usize,
    /// Every n-th item (n > 0) is trashed and must not be imported: items `n-2`, `2n-2`, …
    pub trashed_every: usize,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            vaults: 1,
            items_per_vault: CATEGORIES.len(),
            attachments: true,
            archived_every: 0,
            trashed_every: 0,
        }
    }
}

impl Spec {
    pub(crate) fn is_archived(&self, index: usize) -> bool {
        self.archived_every > 0 && index % self.archived_every == self.archived_every - 1
    }

    pub(crate) fn is_trashed(&self, index: usize) -> bool {
        self.trashed_every > 1
            && index % self.trashed_every == self.trashed_every - 2
            && !self.is_archived(index)
    }

    /// How many items of each vault an import yields.
    pub(crate) fn imported_per_vault(&self) -> usize {
        (0..self.items_per_vault)
            .filter(|&i| !self.is_trashed(i))
            .count()
    }
}

pub(crate) const ACCOUNT_UUID: &str = "GENACCOUNT0000000000000000";

pub(crate) fn vault_uuid(vault: usize) -> String {
    format!("genvault{vault:018}")
}

pub(crate) fn vault_name(vault: usize) -> String {
    format!("Generated {vault}")
}

pub(crate) fn item_uuid(vault: usize, index: usize) -> String {
    format!("it{vault:04}{index:020}")
}

pub(crate) fn category_of(index: usize) -> (&'static str, Category) {
    CATEGORIES[index % CATEGORIES.len()]
}

pub(crate) fn title(vault: usize, index: usize) -> String {
    format!("Item {vault}/{index}")
}

pub(crate) fn username(vault: usize, index: usize) -> String {
    format!("user-{vault}-{index}")
}

pub(crate) fn password(vault: usize, index: usize) -> String {
    format!("pw-{vault}-{index}")
}

pub(crate) fn notes(vault: usize, index: usize) -> String {
    format!("notes for {vault}/{index}\nsecond line")
}

pub(crate) fn primary_url(vault: usize, index: usize) -> String {
    format!("https://example.test/{vault}/{index}")
}

/// A file of the export: document id, file name and content.
pub(crate) struct GenFile {
    pub document_id: String,
    pub name: String,
    pub content: Vec<u8>,
}

impl GenFile {
    pub(crate) fn entry_name(&self) -> String {
        format!("files/{}__{}", self.document_id, self.name)
    }
}

/// The attachment of a generated item's `file` field.
pub(crate) fn attachment(vault: usize, index: usize) -> GenFile {
    GenFile {
        document_id: format!("att{vault:03}{index:020}"),
        name: format!("attachment-{index}.txt"),
        content: format!("attachment of item {vault}/{index}\n").into_bytes(),
    }
}

/// The document of a generated DOCUMENT item (binary content, all 256 byte values).
pub(crate) fn document(vault: usize, index: usize) -> GenFile {
    let mut content: Vec<u8> = (0..=255u8).collect();
    content.extend_from_slice(format!("document {vault}/{index}").as_bytes());
    GenFile {
        document_id: format!("doc{vault:03}{index:020}"),
        name: format!("document {index}.bin"),
        content,
    }
}

/// One section field of the generated "Every kind" section, with what the import must make of it.
pub(crate) struct KindCase {
    pub id: &'static str,
    pub title: &'static str,
    /// The 1PUX `value` object, `{"<kind>": payload}`.
    pub value: Value,
    pub field_type: FieldType,
    pub expected: Option<String>,
}

pub(crate) const KINDS_SECTION: &str = "Section_everykind";

/// Unix seconds of 2024-01-15T00:00:00Z.
const DATE_BASE: i64 = 1_705_276_800;

const SSH_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFixtureFixtureFixtureFixtureFixture0\n-----END PRIVATE KEY-----\n";

/// Every value kind, once. With `attachments`, the last case is a `file` field.
pub(crate) fn kind_cases(spec: &Spec, vault: usize, index: usize) -> Vec<KindCase> {
    let date = DATE_BASE + i64::try_from(index).unwrap_or(0) * 86_400;
    let reference = item_uuid(vault, (index + 1) % spec.items_per_vault.max(1));
    let mut cases = vec![
        KindCase {
            id: "kind_string",
            title: "string",
            value: json!({"string": format!("text {vault}/{index}")}),
            field_type: FieldType::String,
            expected: Some(format!("text {vault}/{index}")),
        },
        KindCase {
            id: "kind_concealed",
            title: "concealed",
            value: json!({"concealed": format!("secret-{vault}-{index}")}),
            field_type: FieldType::Concealed,
            expected: Some(format!("secret-{vault}-{index}")),
        },
        KindCase {
            id: "kind_email",
            title: "email",
            value: json!({"email": {"email_address": format!("user{index}@example.test"), "provider": null}}),
            field_type: FieldType::Email,
            expected: Some(format!("user{index}@example.test")),
        },
        KindCase {
            id: "kind_phone",
            title: "phone",
            value: json!({"phone": "+1 555 0100"}),
            field_type: FieldType::Phone,
            expected: Some("+1 555 0100".into()),
        },
        KindCase {
            id: "kind_url",
            title: "url",
            value: json!({"url": format!("https://kinds.example.test/{index}")}),
            field_type: FieldType::Url,
            expected: Some(format!("https://kinds.example.test/{index}")),
        },
        KindCase {
            id: "TOTP_kind",
            title: "one-time password",
            value: json!({"totp": "otpauth://totp/Gen:user?secret=JBSWY3DPEHPK3PXP&issuer=Gen"}),
            field_type: FieldType::Otp,
            expected: Some("otpauth://totp/Gen:user?secret=JBSWY3DPEHPK3PXP&issuer=Gen".into()),
        },
        KindCase {
            id: "kind_totp_secret",
            title: "raw secret",
            value: json!({"totp": "JBSWY3DPEHPK3PXP"}),
            field_type: FieldType::Otp,
            expected: Some("JBSWY3DPEHPK3PXP".into()),
        },
        KindCase {
            id: "kind_date",
            title: "date",
            value: json!({"date": date}),
            field_type: FieldType::Date,
            expected: Some(date.to_string()),
        },
        KindCase {
            id: "kind_month_year",
            title: "expiry",
            value: json!({"monthYear": 202_712}),
            field_type: FieldType::MonthYear,
            expected: Some("202712".into()),
        },
        KindCase {
            id: "kind_menu",
            title: "menu",
            value: json!({"menu": "jwt"}),
            field_type: FieldType::Menu,
            expected: Some("jwt".into()),
        },
        KindCase {
            id: "kind_address",
            title: "address",
            value: json!({"address": {"street": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701", "country": "us"}}),
            field_type: FieldType::Address,
            expected: Some("1 Main St\nSpringfield, IL 62701\nus".into()),
        },
        KindCase {
            id: "kind_ccnum",
            title: "number",
            value: json!({"creditCardNumber": "4111111111111111"}),
            field_type: FieldType::CreditCardNumber,
            expected: Some("4111111111111111".into()),
        },
        KindCase {
            id: "kind_cctype",
            title: "type",
            value: json!({"creditCardType": "visa"}),
            field_type: FieldType::CreditCardType,
            expected: Some("visa".into()),
        },
        KindCase {
            id: "kind_gender",
            title: "gender",
            value: json!({"gender": "female"}),
            field_type: FieldType::Gender,
            expected: Some("female".into()),
        },
        KindCase {
            id: "kind_reference",
            title: "related item",
            value: json!({"reference": reference}),
            field_type: FieldType::Reference,
            expected: Some(reference.clone()),
        },
        KindCase {
            id: "kind_ssh",
            title: "private key",
            value: json!({"sshKey": {"privateKey": "legacy form", "metadata": {
                "privateKey": SSH_PEM, "publicKey": "ssh-ed25519 AAAAC3Nza fixture",
                "fingerprint": "SHA256:fixture", "keyType": "ed25519"}}}),
            field_type: FieldType::SshKey,
            expected: Some(SSH_PEM.into()),
        },
        KindCase {
            id: "kind_empty",
            title: "empty",
            value: json!({"string": ""}),
            field_type: FieldType::String,
            expected: None,
        },
    ];
    if spec.attachments {
        let file = attachment(vault, index);
        cases.push(KindCase {
            id: "kind_file",
            title: "attachment",
            value: json!({"file": {"fileName": file.name, "documentId": file.document_id,
                "decryptedSize": file.content.len()}}),
            field_type: FieldType::File,
            expected: Some(file.name),
        });
    }
    cases
}

/// Item `index` of vault `vault`, and the files it needs in the archive.
pub(crate) fn item(spec: &Spec, vault: usize, index: usize) -> (Value, Vec<GenFile>) {
    let (code, category) = category_of(index);
    let mut files = Vec::new();
    let state = if spec.is_archived(index) {
        "archived"
    } else if spec.is_trashed(index) {
        "trashed"
    } else {
        "active"
    };
    let mut login_fields = Vec::new();
    if category == Category::Login {
        login_fields = vec![
            json!({"value": username(vault, index), "id": "", "name": "username", "fieldType": "T", "designation": "username"}),
            json!({"value": password(vault, index), "id": "", "name": "password", "fieldType": "P", "designation": "password"}),
            json!({"value": "✓", "id": "remember", "name": "remember me", "fieldType": "C"}),
            json!({"value": "", "id": "", "name": "submit", "fieldType": "I"}),
        ];
    }
    let fields: Vec<Value> = kind_cases(spec, vault, index)
        .into_iter()
        .map(|case| {
            json!({"title": case.title, "id": case.id, "value": case.value, "guarded": false,
                "multiline": false, "dontGenerate": false,
                "inputTraits": {"keyboard": "default", "correction": "default", "capitalization": "default"}})
        })
        .collect();
    if spec.attachments {
        files.push(attachment(vault, index));
    }
    let mut details = json!({
        "loginFields": login_fields,
        "notesPlain": notes(vault, index),
        "sections": [
            {"title": "Every kind", "name": KINDS_SECTION, "fields": fields},
            {"title": "", "name": "", "fields": [
                {"title": "no id", "id": "", "value": {"string": "anonymous"}}]},
            {"title": "", "name": "", "fields": []}
        ],
        "passwordHistory": [{"value": "old", "time": 1_700_000_000}],
    });
    if category == Category::Password {
        details["password"] = json!(password(vault, index));
    }
    if category == Category::Document {
        let doc = document(vault, index);
        details["documentAttributes"] = json!({"fileName": doc.name, "documentId": doc.document_id,
            "decryptedSize": doc.content.len()});
        files.push(doc);
    }
    let item = json!({
        "uuid": item_uuid(vault, index),
        "favIndex": u8::from(index % 3 == 0),
        "createdAt": 1_700_000_000,
        "updatedAt": 1_700_000_000,
        "state": state,
        "categoryUuid": code,
        "details": details,
        "overview": {
            "subtitle": "",
            "title": title(vault, index),
            "url": primary_url(vault, index),
            "urls": [
                {"label": "backup", "url": format!("https://backup.example.test/{index}")},
                {"label": "website", "url": primary_url(vault, index)}
            ],
            "tags": ["generated", format!("category-{code}"), "generated"],
            "ps": 100, "pbe": 80.5, "pgrng": true
        }
    });
    (item, files)
}

/// A whole export as `spec` describes it.
pub(crate) fn generate(spec: &Spec) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = options();
    zip.start_file("export.attributes", options).expect("zip");
    zip.write_all(ATTRIBUTES.as_bytes()).expect("zip");
    zip.start_file("export.data", options).expect("zip");
    let mut files = Vec::new();
    write!(
        zip,
        r#"{{"accounts":[{{"attrs":{{"accountName":"Gen","name":"Gen User","avatar":"","email":"gen@example.test","uuid":"{ACCOUNT_UUID}","domain":"https://example.test/"}},"vaults":["#
    )
    .expect("zip");
    for vault in 0..spec.vaults {
        if vault > 0 {
            zip.write_all(b",").expect("zip");
        }
        let vault_type = ["P", "E", "U", "T"][vault % 4];
        let attrs = json!({"uuid": vault_uuid(vault), "desc": format!("Vault {vault}"),
            "avatar": "", "name": vault_name(vault), "type": vault_type});
        write!(zip, r#"{{"attrs":{attrs},"items":["#).expect("zip");
        for index in 0..spec.items_per_vault {
            if index > 0 {
                zip.write_all(b",").expect("zip");
            }
            let (item, item_files) = item(spec, vault, index);
            // One write per item: the deflate writer is slow with many small writes.
            zip.write_all(&serde_json::to_vec(&item).expect("json"))
                .expect("zip");
            files.extend(item_files);
        }
        zip.write_all(b"]}").expect("zip");
    }
    zip.write_all(b"]}]}").expect("zip");
    zip.add_directory("files/", options).expect("zip");
    for file in files {
        zip.start_file(file.entry_name(), options).expect("zip");
        zip.write_all(&file.content).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

const ATTRIBUTES: &str =
    r#"{"version":3,"description":"1Password Unencrypted Export","timestamp":1700000000}"#;

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// An archive with `export.attributes`, the given `export.data` and files (`(entry name, bytes)`).
pub(crate) fn archive(data: &Value, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let data = data.to_string();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("export.attributes", ATTRIBUTES.as_bytes()),
        ("export.data", data.as_bytes()),
    ];
    entries.extend(
        files
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
    );
    zip_entries(&entries)
}

/// A zip of exactly these entries.
pub(crate) fn zip_entries(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(*name, options()).expect("zip");
        zip.write_all(bytes).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

/// `export.data` with one account holding one vault with these items.
pub(crate) fn export_with_items(items: Vec<Value>) -> Value {
    json!({"accounts": [{"attrs": {"uuid": ACCOUNT_UUID}, "vaults": [
        {"attrs": {"uuid": vault_uuid(0), "name": vault_name(0), "type": "U"}, "items": items}]}]})
}
