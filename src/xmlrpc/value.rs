//! The data that crosses the wire: XML-RPC values, a parsed method call,
//! a fault, and why a request body was refused.

use std::collections::HashMap;
use std::fmt;

/// An XML-RPC value. Structs keep member order (Python dicts do, and 4.3's
/// responses list keys in a fixed order).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Bool(bool),
    String(String),
    Double(f64),
    /// The `YYYYMMDDTHH:MM:SS` text as sent.
    DateTime(String),
    Base64(Vec<u8>),
    Struct(Vec<(String, Value)>),
    Array(Vec<Value>),
    Nil,
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::String(s.to_string())
    }

    /// A struct from `(name, value)` pairs, in that order.
    pub fn structure<K: Into<String>>(members: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Struct(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A struct built as Python builds a dict from pairs: a repeated name
    /// keeps its first place and takes the last value. Both readers use it.
    pub(crate) fn dict(pairs: impl IntoIterator<Item = (String, Value)>) -> Value {
        let mut out: Vec<(String, Value)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (name, value) in pairs {
            match index.get(&name) {
                Some(&i) => out[i].1 = value,
                None => {
                    index.insert(name.clone(), out.len());
                    out.push((name, value));
                }
            }
        }
        Value::Struct(out)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Struct(members) => Some(members),
            _ => None,
        }
    }

    /// A struct member by name (the first one, should a struct we built
    /// ourselves repeat a name; parsed structs never do).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_struct()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// A parsed `methodCall`.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodCall {
    pub name: String,
    pub params: Vec<Value>,
}

/// An XML-RPC fault, as found in a `methodResponse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub code: i64,
    pub string: String,
}

impl Fault {
    /// The `{faultCode, faultString}` struct a fault is sent as (and a
    /// failed `system.multicall` entry is).
    pub fn to_value(&self) -> Value {
        Value::Struct(vec![
            ("faultCode".into(), Value::Int(self.code)),
            ("faultString".into(), Value::String(self.string.clone())),
        ])
    }
}

/// Why a request body is refused. 4.3 answers both with HTTP 400 and logs
/// `XML-RPC request data '<repr>' is invalid: unmarshallable` /
/// `...: no method name`; `Display` gives that last part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Not XML, not XML we accept, or XML 4.3 could not turn into values.
    /// The reason is for our own debug log; 4.3 says only "unmarshallable".
    Unmarshallable(String),
    /// No `<methodName>`, or an empty one.
    NoMethodName,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Unmarshallable(_) => f.write_str("unmarshallable"),
            RequestError::NoMethodName => f.write_str("no method name"),
        }
    }
}
