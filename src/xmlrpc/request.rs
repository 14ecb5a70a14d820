//! Server side: reads a `methodCall` body with Supervisor 4.3's own rules
//! (`supervisor_xmlrpc_handler.loads`), not the XML-RPC spec's.
//!
//! 4.3 walks ElementTree's end events and, for each element whose tag it
//! knows, replaces the element by its value; any other element keeps its
//! text (the text before its first child) and its children. The rules,
//! with the (lenient) consequences we keep:
//!
//! * `int`, `i4`: `int(text)`; `boolean`: true iff the text is exactly `1`;
//!   `string`: the text, `""` if none; `double`: `float(text)`;
//!   `dateTime.iso8601`: must pass `strptime("%Y%m%dT%H:%M:%S")`, kept as
//!   sent; `base64`: decoded, then read as UTF-8 text, so a string.
//! * `value`: its first child's value, or its own text (`""` if none): so
//!   `<value>text</value>` is a string and `<value><i8>5</i8></value>` is
//!   the string `"5"` (any unknown type is its text), while an unknown
//!   type with no text, `<nil/>` included, is nil.
//! * `array`: its first child's value; `data`: a list of its children's
//!   values; `struct`: each child must have exactly two children, a name
//!   and a value; a later member of the same name replaces the earlier
//!   one's value in place, as a Python dict does.
//! * `param`: its first child's value; `params` (the last one to end):
//!   the parameters, a list of its children's values; `methodName` (the
//!   last one): the method. Elements can sit anywhere, the root's name is
//!   not checked, and a name in a namespace matches no rule.
//!
//! Where 4.3 would take an integer beyond 64 bits we refuse the body, and
//! we refuse a struct member whose name is a non-empty non-string value
//! (4.3 would make a dict with a non-string key). The XML itself goes
//! through our strict [`Reader`], so there is no DOCTYPE, no depth beyond
//! [`super::reader::MAX_DEPTH`], and no recursion anywhere.

use super::reader::{Event, Reader};
use super::value::{MethodCall, RequestError, Value};
use crate::pytext;

/// Server side: parses a `methodCall` body with Supervisor 4.3's server
/// rules (see the module documentation).
pub fn parse_method_call(body: &[u8]) -> Result<MethodCall, RequestError> {
    let (method, params) = loads(body).map_err(RequestError::Unmarshallable)?;
    match method {
        Some(name) if !name.is_empty() => Ok(MethodCall {
            name,
            params: params.unwrap_or_default(),
        }),
        _ => Err(RequestError::NoMethodName),
    }
}

/// An element still open: its tag, its text so far (the text before its
/// first child) and its children that have ended.
struct Frame {
    tag: String,
    text: Option<String>,
    kids: Vec<Node>,
}

/// An element that has ended, as far as any rule can still see it: its
/// `.text` (a value for the elements a rule replaced, else its own text,
/// `Nil` for Python's None) and its children's `.text` (none for replaced
/// elements, which ElementTree clears).
struct Node {
    text: Value,
    kids: Vec<Value>,
}

/// The method name and the parameters, as 4.3's `loads` returns them.
fn loads(body: &[u8]) -> Result<(Option<String>, Option<Vec<Value>>), String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut reader = Reader::new(text, true)?;
    let mut stack: Vec<Frame> = Vec::new();
    let mut method = None;
    let mut params = None;
    loop {
        match reader.next_event()? {
            Event::Start(tag) => stack.push(Frame {
                tag,
                text: None,
                kids: Vec::new(),
            }),
            Event::Text(text) => {
                let frame = stack
                    .last_mut()
                    .expect("the reader gives text only inside an element");
                if frame.kids.is_empty() {
                    frame.text.get_or_insert_with(String::new).push_str(&text);
                }
            }
            Event::End => {
                let frame = stack.pop().expect("the reader ends only open elements");
                let in_struct = stack.last().is_some_and(|parent| parent.tag == "struct");
                let node = end(frame, in_struct, &mut method, &mut params)?;
                if let Some(parent) = stack.last_mut() {
                    parent.kids.push(node);
                }
            }
            Event::Eof => return Ok((method, params)),
        }
    }
}

/// Applies 4.3's rule for an element that has just ended. `in_struct`
/// says whether its parent is a `struct`, the one rule that looks at
/// grandchildren.
fn end(
    frame: Frame,
    in_struct: bool,
    method: &mut Option<String>,
    params: &mut Option<Vec<Value>>,
) -> Result<Node, String> {
    let Frame { tag, text, kids } = frame;
    let first = |kids: Vec<Node>| {
        kids.into_iter()
            .next()
            .map(|kid| kid.text)
            .ok_or_else(|| format!("<{tag}> without a child"))
    };
    let number = |parse: fn(&str) -> Option<Value>| {
        text.as_deref()
            .and_then(parse)
            .ok_or_else(|| format!("<{tag}> holds {text:?}"))
    };
    let value = match tag.as_str() {
        "int" | "i4" => number(|t| pytext::int(t).map(Value::Int))?,
        "double" => number(|t| pytext::float(t).map(Value::Double))?,
        "boolean" => Value::Bool(text.as_deref() == Some("1")),
        "string" => Value::String(text.unwrap_or_default()),
        "dateTime.iso8601" => match text {
            Some(t) if pytext::is_strptime_datetime(&t) => Value::DateTime(t),
            _ => return Err(format!("<{tag}> holds {text:?}")),
        },
        "base64" => {
            let bytes = pytext::base64_decode(text.unwrap_or_default().as_bytes())?;
            Value::String(String::from_utf8(bytes).map_err(|_| "<base64> is not UTF-8 text")?)
        }
        "value" if kids.is_empty() => Value::String(text.unwrap_or_default()),
        "value" | "array" | "param" => first(kids)?,
        "data" => Value::Array(kids.into_iter().map(|kid| kid.text).collect()),
        "struct" => structure(kids)?,
        _ => {
            let mut kids: Vec<Value> = kids.into_iter().map(|kid| kid.text).collect();
            if tag == "methodName" {
                method.clone_from(&text);
            } else if tag == "params" {
                // Only a struct looks at this element's children again;
                // spare the copy otherwise.
                let copy = if in_struct {
                    kids.clone()
                } else {
                    vec![Value::Nil; kids.len()]
                };
                *params = Some(std::mem::replace(&mut kids, copy));
            }
            return Ok(Node {
                text: text.map_or(Value::Nil, Value::String),
                kids,
            });
        }
    };
    Ok(Node {
        text: value,
        kids: Vec::new(),
    })
}

/// `dict([(k.text or "", v.text) for k, v in members])`, in order.
fn structure(members: Vec<Node>) -> Result<Value, String> {
    let mut pairs = Vec::with_capacity(members.len());
    for member in members {
        let n = member.kids.len();
        let [name, value]: [Value; 2] = member
            .kids
            .try_into()
            .map_err(|_| format!("struct member with {n} children, not a name and a value"))?;
        let name = match name {
            Value::String(s) => s,
            Value::Nil | Value::Bool(false) | Value::Int(0) => String::new(),
            Value::Double(0.0) => String::new(),
            Value::Array(items) if items.is_empty() => String::new(),
            Value::Struct(members) if members.is_empty() => String::new(),
            other => return Err(format!("struct member name {other:?} is not a string")),
        };
        pairs.push((name, value));
    }
    Ok(Value::dict(pairs))
}
