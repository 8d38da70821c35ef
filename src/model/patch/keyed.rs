//! The fields or sections of an item while a PATCH applies: elements addressed by id in constant
//! time, so that a long list of operations costs in proportion to its length (a search per
//! operation made 15,000 operations quadratic). Removal leaves a hole instead of shifting the
//! elements after it; the order is kept for the result.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

#[derive(Debug, Default)]
pub(super) struct Keyed {
    slots: Vec<Option<Value>>,
    /// Each id's live slots, in list order: a path names the first one, as a search would.
    by_id: HashMap<String, VecDeque<usize>>,
}

fn id_of(element: &Value) -> Option<&str> {
    element.get("id").and_then(Value::as_str)
}

impl Keyed {
    pub(super) fn from_values(values: Vec<Value>) -> Keyed {
        let mut keyed = Keyed::default();
        for value in values {
            keyed.push(value);
        }
        keyed
    }

    /// The slot of the first element with this id.
    pub(super) fn find(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).and_then(|slots| slots.front().copied())
    }

    /// Appends an element; an element without a string id is kept but cannot be addressed.
    pub(super) fn push(&mut self, element: Value) {
        let slot = self.slots.len();
        if let Some(id) = id_of(&element) {
            self.by_id
                .entry(id.to_string())
                .or_default()
                .push_back(slot);
        }
        self.slots.push(Some(element));
    }

    /// The element in `slot` (from [`Keyed::find`]); its id must not be changed through it.
    pub(super) fn get_mut(&mut self, slot: usize) -> Option<&mut Value> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    /// Replaces the element in `slot` with one carrying the same id.
    pub(super) fn replace(&mut self, slot: usize, element: Value) {
        if let Some(entry) = self.slots.get_mut(slot).filter(|e| e.is_some()) {
            *entry = Some(element);
        }
    }

    /// Removes the first element with `id` (the one [`Keyed::find`] names).
    pub(super) fn remove_first(&mut self, id: &str) -> bool {
        let Some(slots) = self.by_id.get_mut(id) else {
            return false;
        };
        let Some(slot) = slots.pop_front() else {
            return false;
        };
        if slots.is_empty() {
            self.by_id.remove(id);
        }
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = None;
        }
        true
    }

    pub(super) fn into_values(self) -> Vec<Value> {
        self.slots.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_first_of_repeated_ids_and_keeps_order() {
        let mut list = Keyed::from_values(vec![
            json!({"id": "a", "n": 1}),
            json!({"label": "no id"}),
            json!({"id": "b"}),
            json!({"id": "a", "n": 2}),
        ]);
        assert_eq!(list.find("a"), Some(0));
        assert!(list.remove_first("a"));
        assert_eq!(list.find("a"), Some(3));
        assert_eq!(list.get_mut(3).unwrap()["n"], 2);
        list.replace(3, json!({"id": "a", "n": 3}));
        list.push(json!({"id": "c"}));
        assert!(list.remove_first("a"));
        assert!(!list.remove_first("a"));
        assert_eq!(list.find("a"), None);
        assert_eq!(
            list.into_values(),
            vec![
                json!({"label": "no id"}),
                json!({"id": "b"}),
                json!({"id": "c"})
            ]
        );
    }
}
