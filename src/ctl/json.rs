//! `status --json` and `avail --json`: what the daemon returned, as JSON
//! objects with a `namespec` added, for scripts that would rather not
//! parse columns. Keys keep the daemon's order.

use serde_json::{Map, Value as Json};

use super::controller::make_namespec;
use crate::xmlrpc::Value;

fn to_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => Json::from(*i),
        Value::Bool(b) => Json::Bool(*b),
        Value::String(s) | Value::DateTime(s) => Json::String(s.clone()),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        Value::Base64(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::Struct(members) => Json::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Nil => Json::Null,
    }
}

/// Each struct with `namespec` first, then its own members.
fn with_namespec<'a>(items: impl Iterator<Item = &'a Value>) -> String {
    let list: Vec<Json> = items
        .map(|item| {
            let group = item.get("group").and_then(Value::as_str).unwrap_or("");
            let name = item.get("name").and_then(Value::as_str).unwrap_or("");
            let mut obj = Map::new();
            obj.insert("namespec".into(), Json::String(make_namespec(group, name)));
            if let Json::Object(members) = to_json(item) {
                obj.extend(members);
            }
            Json::Object(obj)
        })
        .collect();
    serde_json::to_string_pretty(&Json::Array(list)).expect("JSON values always serialise")
}

/// `status --json`: the `getProcessInfo` structs of the listed processes.
pub fn process_infos(infos: &[&Value]) -> String {
    with_namespec(infos.iter().copied())
}

/// `avail --json`: every `getAllConfigInfo` struct.
pub fn config_infos(infos: &[Value]) -> String {
    with_namespec(infos.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_become_objects_with_their_namespec_first() {
        let info = Value::structure([
            ("name", Value::str("a")),
            ("group", Value::str("g")),
            ("pid", Value::Int(7)),
            ("inuse", Value::Bool(true)),
        ]);
        let out = process_infos(&[&info]);
        let parsed: Json = serde_json::from_str(&out).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([{"namespec": "g:a", "name": "a", "group": "g", "pid": 7, "inuse": true}])
        );
        assert!(out.find("namespec").unwrap() < out.find("\"name\"").unwrap());
    }
}
