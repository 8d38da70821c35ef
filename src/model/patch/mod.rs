//! PATCH: Connect's subset of RFC 6902. Operations apply to the item in its JSON form; the result is
//! then validated exactly like a PUT body. Fields and sections are addressed by id, not by array
//! index; `add /fields` (or `/fields/-`, RFC 6902's "end of the array") appends, as Connect does.
//!
//! Every operation costs the same whatever the item holds: elements are found by id through an
//! index ([`keyed`]), and the lists addressed by position (tags, URLs) are held to the item
//! limits while the patch applies.

mod document;
mod keyed;
mod written;

use serde_json::{json, Map, Value};

pub use self::document::to_document;
use self::document::{Doc, Slot};
pub use self::written::Written;
use super::{Category, ItemData, ItemInput, Limits, PatchOp};

/// The answer to a token that cannot read the item, whenever the real reason would describe the
/// stored item (a missing id, an index past the end, a stored value that does not validate).
pub const WITHHELD: &str = "Invalid patch: the operations cannot be applied to this item \
     (the reason is not given to a token without read access)";

/// Why a PATCH was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    message: String,
    about_item: bool,
}

impl PatchError {
    /// The reason, for a token that can read the item.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the reason depends on the stored item rather than on the operations alone.
    pub fn about_item(&self) -> bool {
        self.about_item
    }
}

/// A failed operation: `about_item` when the stored item decided it.
struct OpError {
    reason: String,
    about_item: bool,
}

impl From<String> for OpError {
    fn from(reason: String) -> Self {
        OpError {
            reason,
            about_item: false,
        }
    }
}

impl From<&str> for OpError {
    fn from(reason: &str) -> Self {
        reason.to_string().into()
    }
}

fn about_item(reason: String) -> OpError {
    OpError {
        reason,
        about_item: true,
    }
}

/// The patched item as a body to validate, and what the operations set.
pub struct Patched {
    pub input: ItemInput,
    pub written: Written,
}

/// Refuses a body with more operations than `limits` allow, before anything is looked up.
pub fn check_op_count(ops: &[PatchOp], limits: &Limits) -> Result<(), PatchError> {
    if ops.len() > limits.max_patch_ops {
        return Err(PatchError {
            message: format!(
                "Too many patch operations: at most {} per request",
                limits.max_patch_ops
            ),
            about_item: false,
        });
    }
    Ok(())
}

/// Applies `ops` to `current` and returns the body to validate as a replacement.
pub fn patch_item(
    current: &ItemData,
    category: Category,
    ops: &[PatchOp],
    limits: &Limits,
) -> Result<Patched, PatchError> {
    check_op_count(ops, limits)?;
    let mut written = Written::from_ops(ops);
    let mut doc = Doc::from_object(document::document_object(current, category));
    for (index, patch) in ops.iter().enumerate() {
        apply_one(&mut doc, patch, limits, &mut written).map_err(|e| PatchError {
            message: format!("Invalid patch operation {index}: {}", e.reason),
            about_item: e.about_item,
        })?;
    }
    let input = serde_json::from_value(doc.into_value()).map_err(|e| PatchError {
        message: format!(
            "Invalid item after patch: {}",
            crate::text::json_error_message(&e)
        ),
        about_item: false,
    })?;
    Ok(Patched { input, written })
}

/// [`patch_item`] with the default limits, for callers that need only the body.
pub fn apply_patch(
    current: &ItemData,
    category: Category,
    ops: &[PatchOp],
) -> Result<ItemInput, String> {
    patch_item(current, category, ops, &Limits::default())
        .map(|p| p.input)
        .map_err(|e| e.message)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

fn parse_op(op: &str) -> Result<Op, String> {
    match op {
        "add" => Ok(Op::Add),
        "remove" => Ok(Op::Remove),
        "replace" => Ok(Op::Replace),
        other => Err(format!(
            "unsupported op \"{}\"; Connect supports add, remove and replace",
            crate::text::clip(other, 20)
        )),
    }
}

/// RFC 6901 token unescaping.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn apply_one(
    doc: &mut Doc,
    patch: &PatchOp,
    limits: &Limits,
    written: &mut Written,
) -> Result<(), OpError> {
    let op = parse_op(&patch.op)?;
    let path = patch.path.as_str();
    if path.is_empty() || path == "/" {
        return replace_whole(doc, op, patch);
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!(
            "path \"{}\" must start with \"/\"",
            crate::text::clip(path, 64)
        )
        .into());
    };
    let tokens: Vec<String> = rest.split('/').map(unescape).collect();
    match tokens.as_slice() {
        [list] if list == "fields" || list == "sections" => {
            patch_list(doc, op, patch, list, written)
        }
        [attr]
            if matches!(
                attr.as_str(),
                "title" | "favorite" | "tags" | "urls" | "category"
            ) =>
        {
            patch_attribute(&mut doc.top, op, patch, attr)?;
            check_list_len(&doc.top, attr, limits)
        }
        [list_name, index] if matches!(list_name.as_str(), "tags" | "urls") => {
            patch_list_entry(&mut doc.top, op, patch, list_name, index)?;
            check_list_len(&doc.top, list_name, limits)
        }
        [list, id, attrs @ ..] if (list == "fields" || list == "sections") && attrs.len() <= 1 => {
            let attr = attrs.first().map(String::as_str);
            patch_element(doc, op, patch, (list, id, attr), written)
        }
        _ => Err(format!("unsupported path \"{}\"", crate::text::clip(path, 64)).into()),
    }
}

/// The value an operation carries; only `remove` may go without.
fn value_of(patch: &PatchOp) -> Result<Value, OpError> {
    patch
        .value
        .clone()
        .ok_or_else(|| format!("\"{}\" needs a value", patch.op).into())
}

/// Path `""` or `"/"`: the whole item.
fn replace_whole(doc: &mut Doc, op: Op, patch: &PatchOp) -> Result<(), OpError> {
    match op {
        Op::Replace | Op::Add => {
            let Value::Object(new) = value_of(patch)? else {
                return Err("the value for \"/\" must be an item object".into());
            };
            *doc = Doc::from_object(new);
            Ok(())
        }
        Op::Remove => Err("the whole item cannot be removed with PATCH; use DELETE".into()),
    }
}

/// Path `/title`, `/favorite`, `/tags`, `/urls` or `/category`: one top-level attribute.
fn patch_attribute(
    top: &mut Map<String, Value>,
    op: Op,
    patch: &PatchOp,
    attr: &str,
) -> Result<(), OpError> {
    let is_list = matches!(attr, "tags" | "urls");
    match op {
        Op::Remove => {
            let empty = match attr {
                "title" => json!(""),
                "favorite" => json!(false),
                "category" => return Err("the category cannot be removed".into()),
                _ => json!([]),
            };
            top.insert(attr.to_string(), empty);
        }
        Op::Add if is_list && !value_of(patch)?.is_array() => {
            // Connect's `add /tags` appends one element rather than replacing the array.
            list_mut(top, attr)?.push(value_of(patch)?);
        }
        _ => {
            top.insert(attr.to_string(), value_of(patch)?);
        }
    }
    Ok(())
}

/// Path `/fields` or `/sections`: `add` of one element appends it, anything else sets the list.
fn patch_list(
    doc: &mut Doc,
    op: Op,
    patch: &PatchOp,
    list: &str,
    written: &mut Written,
) -> Result<(), OpError> {
    match op {
        Op::Remove => *doc.slot_mut(list) = Slot::from_value(None),
        Op::Add if !value_of(patch)?.is_array() => append(doc, patch, list, written)?,
        _ => *doc.slot_mut(list) = Slot::from_value(Some(value_of(patch)?)),
    }
    Ok(())
}

/// Appends the operation's value as a new field or section. One without an id gets a fresh one
/// here, as validation would give it, so that the answer can name what was added.
fn append(
    doc: &mut Doc,
    patch: &PatchOp,
    list: &str,
    written: &mut Written,
) -> Result<(), OpError> {
    let mut element = value_of(patch)?;
    let object = element
        .as_object_mut()
        .ok_or_else(|| format!("the value for a {} must be an object", noun(list)))?;
    let id = match object.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => {
            let id = crate::ids::new_id();
            object.insert("id".into(), json!(id));
            id
        }
    };
    written.appended(list, &id);
    keyed_mut(doc, list)?.push(element);
    Ok(())
}

fn noun(list: &str) -> &'static str {
    if list == "fields" {
        "field"
    } else {
        "section"
    }
}

fn keyed_mut<'a>(doc: &'a mut Doc, list: &str) -> Result<&'a mut keyed::Keyed, OpError> {
    match doc.slot_mut(list) {
        Slot::List(keyed) => Ok(keyed),
        Slot::Other(_) => Err(format!("/{list} is not a list").into()),
    }
}

/// Path `/tags/<index>` or `/urls/<index>` (`-` appends).
fn patch_list_entry(
    top: &mut Map<String, Value>,
    op: Op,
    patch: &PatchOp,
    list_name: &str,
    index: &str,
) -> Result<(), OpError> {
    let list = list_mut(top, list_name)?;
    let len = list.len();
    let position = if index == "-" && op == Op::Add {
        len
    } else {
        index.parse::<usize>().map_err(|_| {
            format!(
                "\"{}\" is not an index of /{list_name}",
                crate::text::clip(index, 64)
            )
        })?
    };
    match op {
        Op::Add if position <= len => list.insert(position, value_of(patch)?),
        Op::Replace if position < len => list[position] = value_of(patch)?,
        Op::Remove if position < len => {
            list.remove(position);
        }
        _ => {
            return Err(about_item(format!(
                "index {position} is out of range for /{list_name} (length {len})"
            )))
        }
    }
    Ok(())
}

/// Tags and URLs are held to the item's limits as operations insert into them, so that each
/// insertion stays cheap; validation would refuse longer lists anyway.
fn check_list_len(top: &Map<String, Value>, name: &str, limits: &Limits) -> Result<(), OpError> {
    let (max, what) = match name {
        "tags" => (limits.max_tags, "tags"),
        "urls" => (limits.max_urls, "URLs"),
        _ => return Ok(()),
    };
    match top.get(name).and_then(Value::as_array) {
        Some(list) if list.len() > max => Err(about_item(format!(
            "Too many {what}: {} (at most {max})",
            list.len()
        ))),
        _ => Ok(()),
    }
}

/// Path `/fields/<id>` or `/sections/<id>`, optionally followed by one attribute of it.
fn patch_element(
    doc: &mut Doc,
    op: Op,
    patch: &PatchOp,
    (list_name, id, attr): (&str, &str, Option<&str>),
    written: &mut Written,
) -> Result<(), OpError> {
    let noun = noun(list_name);
    if id == "-" {
        // RFC 6902: `-` names the end of an array; only `add` of a whole element can use it.
        return match (op, attr) {
            (Op::Add, None) => append(doc, patch, list_name, written),
            _ => Err(format!(
                "\"-\" names no {noun}; use it only with add, to append a new {noun}"
            )
            .into()),
        };
    }
    let list = keyed_mut(doc, list_name)?;
    let slot = list.find(id);
    match (attr, op, slot) {
        (None, Op::Remove, Some(_)) => {
            list.remove_first(id);
        }
        (None, Op::Replace | Op::Add, Some(slot)) => {
            list.replace(slot, element_with_id(patch, id, noun)?);
        }
        (None, Op::Add, None) => {
            list.push(element_with_id(patch, id, noun)?);
        }
        (Some(attr), _, Some(slot)) => {
            let element = list.get_mut(slot).ok_or("the element is missing")?;
            patch_element_attribute(element, op, patch, attr, noun)?;
        }
        _ => {
            return Err(about_item(format!(
                "the item doesn't have a {noun} with id \"{}\"",
                crate::text::clip(id, 64)
            )))
        }
    }
    Ok(())
}

/// The operation's value as a whole field or section, carrying the id from the path.
fn element_with_id(patch: &PatchOp, id: &str, noun: &str) -> Result<Value, OpError> {
    let mut new = value_of(patch)?;
    let o = new
        .as_object_mut()
        .ok_or_else(|| format!("the value for a {noun} must be an object"))?;
    o.insert("id".into(), json!(id));
    Ok(new)
}

/// Path `/fields/<id>/<attr>`: one attribute of a field or section.
fn patch_element_attribute(
    element: &mut Value,
    op: Op,
    patch: &PatchOp,
    attr: &str,
    noun: &str,
) -> Result<(), OpError> {
    if !matches!(
        attr,
        "label" | "value" | "type" | "purpose" | "section" | "generate" | "recipe"
    ) {
        return Err(format!(
            "\"{}\" is not an attribute of a {noun} that PATCH can change",
            crate::text::clip(attr, 64)
        )
        .into());
    }
    let target = element
        .as_object_mut()
        .ok_or_else(|| format!("the {noun} is not an object"))?;
    match op {
        Op::Remove => {
            target.remove(attr);
        }
        Op::Add | Op::Replace => {
            target.insert(attr.to_string(), value_of(patch)?);
            if attr == "generate" || attr == "recipe" {
                // Generating needs an empty value to take effect.
                target.remove("value");
            }
        }
    }
    Ok(())
}

fn list_mut<'a>(
    top: &'a mut Map<String, Value>,
    name: &str,
) -> Result<&'a mut Vec<Value>, OpError> {
    let entry = top.entry(name.to_string()).or_insert_with(|| json!([]));
    if entry.is_null() {
        *entry = json!([]);
    }
    entry
        .as_array_mut()
        .ok_or_else(|| format!("/{name} is not a list").into())
}

#[cfg(test)]
mod tests;
