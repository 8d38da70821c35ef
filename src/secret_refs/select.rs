//! Matching names against what Connect returned (vaults, sections, fields, files), and reading the
//! attribute a reference asks for. Ids match exactly, names case-insensitively; more than one
//! match is an error naming the candidates' ids, never a silent pick.

use super::client::{Field, File, Item, SectionRef, VaultSummary};
use super::reference::{Attribute, Reference};
use super::{Error, Part};
use crate::model::fields::totp::Totp;

/// Names compare case-insensitively (1Password's rule for secret references).
pub(crate) fn same_name(name: &str, wanted: &str) -> bool {
    name == wanted || name.to_lowercase() == wanted.to_lowercase()
}

/// An exact id match, else the one name match; none or several are errors.
fn choose<'a, T>(
    reference: &Reference,
    part: Part,
    wanted: &str,
    candidates: impl IntoIterator<Item = (&'a str, &'a str, T)>,
) -> Result<T, Error> {
    let mut by_name = Vec::new();
    for (id, name, value) in candidates {
        if id == wanted || id.eq_ignore_ascii_case(wanted) && crate::ids::is_valid_id(id) {
            return Ok(value);
        }
        if same_name(name, wanted) {
            by_name.push((id, value));
        }
    }
    if by_name.len() > 1 {
        return Err(Error::Ambiguous {
            reference: reference.to_string(),
            part,
            name: wanted.to_string(),
            candidates: by_name.iter().map(|(id, _)| id.to_string()).collect(),
        });
    }
    by_name
        .pop()
        .map(|(_, value)| value)
        .ok_or_else(|| Error::NotFound {
            reference: reference.to_string(),
            part,
            name: wanted.to_string(),
            hint: String::new(),
        })
}

/// The id of the vault a reference names.
pub(crate) fn vault_id(vaults: &[VaultSummary], reference: &Reference) -> Result<String, Error> {
    let candidates = vaults
        .iter()
        .map(|v| (v.id.as_str(), v.name.as_str(), v.id.clone()));
    choose(reference, Part::Vault, &reference.vault, candidates).map_err(|err| match err {
        Error::NotFound {
            reference,
            part,
            name,
            ..
        } => Error::NotFound {
            reference,
            part,
            name,
            hint: " among the vaults this token can read".into(),
        },
        other => other,
    })
}

/// What a reference's last part names in an item.
pub(crate) enum Target<'a> {
    Field(&'a Field),
    File(&'a File),
}

/// The field or file a reference names, within its section when it names one.
pub(crate) fn target<'a>(item: &'a Item, reference: &Reference) -> Result<Target<'a>, Error> {
    let section = match &reference.section {
        None => None,
        Some(wanted) => {
            let sections = item.sections.as_deref().unwrap_or_default();
            let candidates = sections.iter().map(|s| {
                let label = s.label.as_deref().unwrap_or_default();
                (s.id.as_str(), label, s.id.as_str())
            });
            Some(choose(reference, Part::Section, wanted, candidates)?)
        }
    };
    let in_section = |of: &Option<SectionRef>| match section {
        None => true,
        Some(want) => of.as_ref().and_then(|s| s.id.as_deref()) == Some(want),
    };
    let fields = item.fields.as_deref().unwrap_or_default().iter();
    let files = item.files.as_deref().unwrap_or_default().iter();
    let candidates = fields
        .filter(|f| in_section(&f.section))
        .map(|f| {
            let label = f.label.as_deref().unwrap_or_default();
            (f.id.as_str(), label, Target::Field(f))
        })
        .chain(
            files
                .filter(|f| in_section(&f.section))
                .map(|f| (f.id.as_str(), f.name.as_str(), Target::File(f))),
        );
    choose(reference, Part::Field, &reference.field, candidates).map_err(|err| match err {
        Error::NotFound {
            reference: r,
            part,
            name,
            ..
        } => Error::NotFound {
            reference: r,
            part,
            name,
            hint: format!(" in item {:?} ({})", item.title, item.id),
        },
        other => other,
    })
}

fn attribute_error(reference: &Reference, reason: &str) -> Error {
    Error::Attribute {
        reference: reference.to_string(),
        reason: reason.to_string(),
    }
}

/// A field's attribute; `item` is there for `?ssh-format=`.
pub(crate) fn field_value(field: &Field, reference: &Reference) -> Result<Vec<u8>, Error> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default().into_bytes();
    Ok(match reference.attribute {
        Attribute::Value => {
            let value = field.value.clone().unwrap_or_default();
            match reference.ssh_format {
                Some(_) => super::ssh::to_openssh(&value)
                    .map_err(|reason| attribute_error(reference, &reason))?
                    .into_bytes(),
                None => value.into_bytes(),
            }
        }
        Attribute::Type => field
            .field_type
            .clone()
            .unwrap_or_else(|| "STRING".into())
            .into_bytes(),
        Attribute::Id => field.id.clone().into_bytes(),
        Attribute::Label => text(&field.label),
        Attribute::Purpose => text(&field.purpose),
        Attribute::Otp => otp(field, reference)?.into_bytes(),
        Attribute::Size => {
            return Err(attribute_error(
                reference,
                "attribute=size applies to files, not fields",
            ))
        }
    })
}

/// The current code of an OTP field: computed from its `otpauth://` value, or the code Connect
/// sent along (`totp`) when the value is not one latchkey can compute.
fn otp(field: &Field, reference: &Reference) -> Result<String, Error> {
    let computed = field
        .value
        .as_deref()
        .and_then(|v| Totp::parse(v).ok())
        .map(|totp| totp.code_now());
    computed
        .or_else(|| field.totp.clone().filter(|c| !c.is_empty()))
        .ok_or_else(|| {
            attribute_error(
                reference,
                "attribute=otp: this field holds no one-time password",
            )
        })
}

/// A file's attribute, or `None` for its content (fetched separately).
pub(crate) fn file_value(file: &File, reference: &Reference) -> Result<Option<Vec<u8>>, Error> {
    if reference.ssh_format.is_some() {
        return Err(attribute_error(
            reference,
            "ssh-format applies to an SSH key field, not a file",
        ));
    }
    Ok(Some(match reference.attribute {
        Attribute::Value => return Ok(None),
        Attribute::Type => b"FILE".to_vec(),
        Attribute::Id => file.id.clone().into_bytes(),
        Attribute::Label => file.name.clone().into_bytes(),
        Attribute::Size => file.size.to_string().into_bytes(),
        Attribute::Purpose | Attribute::Otp => {
            return Err(attribute_error(
                reference,
                "attribute=purpose and attribute=otp apply to fields, not files",
            ))
        }
    }))
}
