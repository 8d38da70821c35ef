//! PATCH: Connect's subset of RFC 6902. Operations apply to the item in its JSON form; the result is
//! then validated exactly like a PUT body. Fields are addressed by id, not by array index, and
//! `add /fields` appends, as Connect does.

use serde_json::{json, Map, Value};

use super::{Category, ItemData, ItemInput, PatchOp};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

/// Applies `ops` to `current` and returns the body to validate as a replacement.
pub fn apply_patch(
    current: &ItemData,
    category: Category,
    ops: &[PatchOp],
) -> Result<ItemInput, String> {
    let mut doc = to_document(current, category);
    for (index, patch) in ops.iter().enumerate() {
        apply_one(&mut doc, patch).map_err(|e| format!("Invalid patch operation {index}: {e}"))?;
    }
    serde_json::from_value(doc).map_err(|e| {
        format!(
            "Invalid item after patch: {}",
            crate::text::json_error_message(&e)
        )
    })
}

/// The item as a Connect request body (the shape PATCH operates on, and what is sent upstream).
pub fn to_document(item: &ItemData, category: Category) -> Value {
    let fields: Vec<Value> = item
        .body
        .fields
        .iter()
        .map(|f| {
            let mut o = Map::new();
            o.insert("id".into(), json!(f.id));
            if let Some(section) = &f.section {
                o.insert("section".into(), json!({"id": section}));
            }
            o.insert("type".into(), json!(f.field_type.as_str()));
            o.insert("purpose".into(), json!(f.purpose.as_str()));
            o.insert("label".into(), json!(f.label));
            if let Some(value) = &f.value {
                o.insert("value".into(), json!(value));
            }
            if let Some(entropy) = f.entropy {
                o.insert("entropy".into(), json!(entropy));
            }
            Value::Object(o)
        })
        .collect();
    json!({
        "title": item.summary.title,
        "category": category.as_str(),
        "favorite": item.summary.favorite,
        "tags": item.summary.tags,
        "urls": item.summary.urls.iter().map(|u| json!({"label": u.label, "primary": u.primary, "href": u.href})).collect::<Vec<_>>(),
        "sections": item.body.sections.iter().map(|s| json!({"id": s.id, "label": s.label})).collect::<Vec<_>>(),
        "fields": fields,
    })
}

fn parse_op(op: &str) -> Result<Op, String> {
    match op {
        "add" => Ok(Op::Add),
        "remove" => Ok(Op::Remove),
        "replace" => Ok(Op::Replace),
        other => Err(format!(
            "unsupported op \"{}\"; Connect supports add, remove and replace",
            other.chars().take(20).collect::<String>()
        )),
    }
}

/// RFC 6901 token unescaping.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn apply_one(doc: &mut Value, patch: &PatchOp) -> Result<(), String> {
    let op = parse_op(&patch.op)?;
    let path = patch.path.as_str();
    if path.is_empty() || path == "/" {
        return replace_whole(doc, op, patch);
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!(
            "path \"{}\" must start with \"/\"",
            crate::text::clip(path, 64)
        ));
    };
    let tokens: Vec<String> = rest.split('/').map(unescape).collect();
    let obj = doc.as_object_mut().ok_or("the item is not an object")?;
    match tokens.as_slice() {
        [attr]
            if matches!(
                attr.as_str(),
                "title" | "favorite" | "tags" | "urls" | "sections" | "fields" | "category"
            ) =>
        {
            patch_attribute(obj, op, patch, attr)
        }
        [list_name, index] if matches!(list_name.as_str(), "tags" | "urls") => {
            patch_list_entry(obj, op, patch, list_name, index)
        }
        [list_name, id, attrs @ ..]
            if matches!(list_name.as_str(), "fields" | "sections") && attrs.len() <= 1 =>
        {
            patch_element(
                obj,
                op,
                patch,
                list_name,
                id,
                attrs.first().map(String::as_str),
            )
        }
        _ => Err(format!(
            "unsupported path \"{}\"",
            crate::text::clip(path, 64)
        )),
    }
}

/// The value an operation carries; only `remove` may go without.
fn value_of(patch: &PatchOp) -> Result<Value, String> {
    patch
        .value
        .clone()
        .ok_or_else(|| format!("\"{}\" needs a value", patch.op))
}

/// Path `""` or `"/"`: the whole item.
fn replace_whole(doc: &mut Value, op: Op, patch: &PatchOp) -> Result<(), String> {
    match op {
        Op::Replace | Op::Add => {
            let new = value_of(patch)?;
            if !new.is_object() {
                return Err("the value for \"/\" must be an item object".into());
            }
            *doc = new;
            Ok(())
        }
        Op::Remove => Err("the whole item cannot be removed with PATCH; use DELETE".into()),
    }
}

/// Path `/title`, `/tags`, `/fields`, ...: one top-level attribute.
fn patch_attribute(
    obj: &mut Map<String, Value>,
    op: Op,
    patch: &PatchOp,
    attr: &str,
) -> Result<(), String> {
    let is_list = matches!(attr, "tags" | "urls" | "sections" | "fields");
    match op {
        Op::Remove => {
            let empty = match attr {
                "title" => json!(""),
                "favorite" => json!(false),
                "category" => return Err("the category cannot be removed".into()),
                _ => json!([]),
            };
            obj.insert(attr.to_string(), empty);
        }
        Op::Add if is_list && !value_of(patch)?.is_array() => {
            // Connect's `add /fields` appends one element rather than replacing the array.
            let list = list_mut(obj, attr)?;
            list.push(value_of(patch)?);
        }
        _ => {
            obj.insert(attr.to_string(), value_of(patch)?);
        }
    }
    Ok(())
}

/// Path `/tags/<index>` or `/urls/<index>` (`-` appends).
fn patch_list_entry(
    obj: &mut Map<String, Value>,
    op: Op,
    patch: &PatchOp,
    list_name: &str,
    index: &str,
) -> Result<(), String> {
    let list = list_mut(obj, list_name)?;
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
            return Err(format!(
                "index {position} is out of range for /{list_name} (length {len})"
            ))
        }
    }
    Ok(())
}

/// Path `/fields/<id>` or `/sections/<id>`, optionally followed by one attribute of it.
fn patch_element(
    obj: &mut Map<String, Value>,
    op: Op,
    patch: &PatchOp,
    list_name: &str,
    id: &str,
    attr: Option<&str>,
) -> Result<(), String> {
    let list = list_mut(obj, list_name)?;
    let position = list
        .iter()
        .position(|f| f.get("id").and_then(Value::as_str) == Some(id));
    let noun = if list_name == "fields" {
        "field"
    } else {
        "section"
    };
    match (attr, op, position) {
        (None, Op::Remove, Some(p)) => {
            list.remove(p);
        }
        (None, Op::Replace | Op::Add, Some(p)) => {
            list[p] = element_with_id(patch, id, noun)?;
        }
        (None, Op::Add, None) => {
            list.push(element_with_id(patch, id, noun)?);
        }
        (Some(attr), _, Some(p)) => patch_element_attribute(&mut list[p], op, patch, attr, noun)?,
        _ => {
            return Err(format!(
                "the item doesn't have a {noun} with id \"{}\"",
                crate::text::clip(id, 64)
            ))
        }
    }
    Ok(())
}

/// The operation's value as a whole field or section, carrying the id from the path.
fn element_with_id(patch: &PatchOp, id: &str, noun: &str) -> Result<Value, String> {
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
) -> Result<(), String> {
    if !matches!(
        attr,
        "label" | "value" | "type" | "purpose" | "section" | "generate" | "recipe"
    ) {
        return Err(format!(
            "\"{}\" is not an attribute of a {noun} that PATCH can change",
            crate::text::clip(attr, 64)
        ));
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

fn list_mut<'a>(obj: &'a mut Map<String, Value>, name: &str) -> Result<&'a mut Vec<Value>, String> {
    let entry = obj.entry(name.to_string()).or_insert_with(|| json!([]));
    if entry.is_null() {
        *entry = json!([]);
    }
    entry
        .as_array_mut()
        .ok_or_else(|| format!("/{name} is not a list"))
}

#[cfg(test)]
mod tests {
    use super::super::{build_item, BuildMode, Limits};
    use super::*;

    fn item() -> ItemData {
        let input: ItemInput = serde_json::from_value(json!({
            "category": "LOGIN", "title": "Old", "tags": ["a", "b", "c"],
            "fields": [{"purpose": "USERNAME", "value": "me"}, {"id": "custom", "label": "L", "value": "v"}]
        }))
        .unwrap();
        build_item(input, &BuildMode::Create, &Limits::default())
            .unwrap()
            .1
    }

    fn patch(ops: serde_json::Value) -> Result<ItemData, String> {
        let ops: Vec<PatchOp> = serde_json::from_value(ops).unwrap();
        let current = item();
        let input = apply_patch(&current, Category::Login, &ops)?;
        let mode = BuildMode::Replace {
            category: Category::Login,
            previous: &current,
        };
        build_item(input, &mode, &Limits::default()).map(|(_, i)| i)
    }

    #[test]
    fn replaces_title_favorite_and_removes_tag() {
        let out = patch(json!([
            {"op": "replace", "path": "/title", "value": "New"},
            {"op": "replace", "path": "/favorite", "value": true},
            {"op": "remove", "path": "/tags/1"}
        ]))
        .unwrap();
        assert_eq!(out.summary.title, "New");
        assert!(out.summary.favorite);
        assert_eq!(out.summary.tags, ["a", "c"]);
    }

    #[test]
    fn fields_by_id_and_append() {
        let out = patch(json!([
            {"op": "add", "path": "/fields", "value": {"label": "added", "value": "1"}},
            {"op": "replace", "path": "/fields/username", "value": {"purpose": "USERNAME", "value": "patched"}},
            {"op": "replace", "path": "/fields/custom/value", "value": "v2"},
            {"op": "add", "path": "/fields/custom/label", "value": "L2"}
        ]))
        .unwrap();
        let username = out.body.fields.iter().find(|f| f.id == "username").unwrap();
        assert_eq!(username.value.as_deref(), Some("patched"));
        let custom = out.body.fields.iter().find(|f| f.id == "custom").unwrap();
        assert_eq!(
            (custom.label.as_str(), custom.value.as_deref()),
            ("L2", Some("v2"))
        );
        assert!(out.body.fields.iter().any(|f| f.label == "added"));
        let out = patch(json!([{"op": "remove", "path": "/fields/custom"}])).unwrap();
        assert!(!out.body.fields.iter().any(|f| f.id == "custom"));
    }

    #[test]
    fn rejects_unsupported_ops_and_paths() {
        for ops in [
            json!([{"op": "move", "path": "/title", "from": "/x"}]),
            json!([{"op": "test", "path": "/title", "value": "x"}]),
            json!([{"op": "replace", "path": "/nope", "value": 1}]),
            json!([{"op": "replace", "path": "/fields/missing", "value": {}}]),
            json!([{"op": "remove", "path": "/tags/9"}]),
            json!([{"op": "replace", "path": "/title"}]),
            json!([{"op": "replace", "path": "/title", "value": 5}]),
            json!([{"op": "remove", "path": "/"}]),
        ] {
            assert!(patch(ops.clone()).is_err(), "{ops}");
        }
    }
}
