//! Client side: reads a `methodResponse` into a value or a fault, with the
//! rules of Python's `xmlrpc.client.Unmarshaller` (what supervisorctl 4.3
//! runs), which is tolerant of odd XML-RPC but not of bad XML.
//!
//! Accepted types: `int`, `i1`, `i2`, `i4`, `i8`, `biginteger`; `boolean`
//! (`0` or `1` only); `double`, `float`, `bigdecimal` (as a double);
//! `string`; untyped `<value>text</value>` (a string); `base64` (bytes);
//! `dateTime.iso8601` (its text, trimmed); `nil`; `array`; `struct`. A
//! namespace prefix on a tag is ignored (`ex:nil` is `nil`). Text outside
//! the value elements is ignored; an unknown tag directly inside `<value>`
//! is an error, elsewhere it is skipped.
//!
//! Stricter than Python, because our callers want one answer: the root
//! must be `methodResponse`, a normal response must hold exactly one
//! parameter, and a fault needs an integer `faultCode` and a string
//! `faultString`.

use super::reader::{Event, Reader};
use super::value::{Fault, Value};
use crate::pytext;

/// Client side: parses a `methodResponse` into `Ok(value)` or
/// `Err(Fault)`; the outer `Err` says why the body could not be read.
pub fn parse_response(body: &[u8]) -> Result<Result<Value, Fault>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("response is not UTF-8: {e}"))?;
    let mut reader = Reader::new(text, false)?;
    let mut unmarshaller = Unmarshaller::default();
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.next_event()? {
            Event::Start(tag) => {
                let tag = local(tag);
                if open.is_empty() && tag != "methodResponse" {
                    return Err(format!("<{tag}> is not a methodResponse"));
                }
                unmarshaller.start(&tag)?;
                open.push(tag);
            }
            Event::Text(text) => unmarshaller.data.push_str(&text),
            Event::End => {
                let tag = open.pop().expect("the reader ends only open elements");
                unmarshaller.end(&tag)?;
            }
            Event::Eof => return unmarshaller.close(),
        }
    }
}

/// The tag without its namespace prefix.
fn local(tag: String) -> String {
    match tag.rsplit_once(':') {
        Some((_, local)) => local.to_string(),
        None => tag,
    }
}

#[derive(PartialEq)]
enum Kind {
    Params,
    Fault,
    MethodName,
}

/// The state of Python's `Unmarshaller`: finished values, where each open
/// array or struct begins among them, the text since the last start tag,
/// and whether the last start tag was `<value>`.
#[derive(Default)]
struct Unmarshaller {
    stack: Vec<Value>,
    marks: Vec<usize>,
    data: String,
    in_value: bool,
    kind: Option<Kind>,
}

/// The tags Python's Unmarshaller has an end handler for.
const KNOWN: &[&str] = &[
    "nil",
    "boolean",
    "i1",
    "i2",
    "i4",
    "i8",
    "int",
    "biginteger",
    "double",
    "float",
    "bigdecimal",
    "string",
    "name",
    "array",
    "struct",
    "base64",
    "dateTime.iso8601",
    "value",
    "params",
    "fault",
    "methodName",
];

impl Unmarshaller {
    fn start(&mut self, tag: &str) -> Result<(), String> {
        if tag == "array" || tag == "struct" {
            self.marks.push(self.stack.len());
        }
        self.data.clear();
        if self.in_value && !KNOWN.contains(&tag) {
            return Err(format!("unknown tag <{tag}> in a value"));
        }
        self.in_value = tag == "value";
        Ok(())
    }

    fn end(&mut self, tag: &str) -> Result<(), String> {
        // Like Python, the text is kept until the next start tag.
        let data = &self.data;
        let bad = || format!("bad <{tag}> value {data:?}");
        let value = match tag {
            "nil" => Value::Nil,
            "boolean" => match data.as_str() {
                "0" => Value::Bool(false),
                "1" => Value::Bool(true),
                _ => return Err(bad()),
            },
            "i1" | "i2" | "i4" | "i8" | "int" | "biginteger" => {
                Value::Int(pytext::int(data).ok_or_else(bad)?)
            }
            "double" | "float" | "bigdecimal" => {
                Value::Double(pytext::float(data).ok_or_else(bad)?)
            }
            "string" | "name" => Value::String(data.clone()),
            "value" if self.in_value => Value::String(data.clone()),
            "base64" => Value::Base64(pytext::base64_decode(data.as_bytes())?),
            "dateTime.iso8601" => {
                // Python's DateTime keeps the stripped text, and leaves the
                // "last start was <value>" flag alone.
                self.stack.push(Value::DateTime(data.trim().to_string()));
                return Ok(());
            }
            "array" => {
                let mark = self.marks.pop().ok_or("</array> without <array>")?;
                Value::Array(self.stack.split_off(mark))
            }
            "struct" => {
                let mark = self.marks.pop().ok_or("</struct> without <struct>")?;
                structure(self.stack.split_off(mark))?
            }
            "params" => return self.set_kind(Kind::Params),
            "fault" => return self.set_kind(Kind::Fault),
            "methodName" => return self.set_kind(Kind::MethodName),
            _ => return Ok(()),
        };
        self.stack.push(value);
        self.in_value = false;
        Ok(())
    }

    fn set_kind(&mut self, kind: Kind) -> Result<(), String> {
        self.kind = Some(kind);
        Ok(())
    }

    fn close(mut self) -> Result<Result<Value, Fault>, String> {
        if !self.marks.is_empty() {
            return Err("unclosed array or struct".into());
        }
        match self.kind {
            Some(Kind::Params) if self.stack.len() == 1 => Ok(Ok(self.stack.remove(0))),
            Some(Kind::Params) => Err(format!(
                "{} values in the response, not one",
                self.stack.len()
            )),
            Some(Kind::Fault) => {
                let fault = self.stack.first().ok_or("empty fault")?;
                match (fault.get("faultCode"), fault.get("faultString")) {
                    (Some(Value::Int(code)), Some(Value::String(string))) => Ok(Err(Fault {
                        code: *code,
                        string: string.clone(),
                    })),
                    _ => Err(format!("malformed fault {fault:?}")),
                }
            }
            _ => Err("neither params nor a fault in the response".into()),
        }
    }
}

/// Pairs of (name, value) into a struct, as Python builds its dict: a
/// repeated name keeps its first place and takes the last value.
fn structure(items: Vec<Value>) -> Result<Value, String> {
    if items.len() % 2 != 0 {
        return Err("struct member without a name or a value".into());
    }
    let mut pairs = Vec::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        let Value::String(name) = name else {
            return Err(format!("struct member name {name:?} is not a string"));
        };
        pairs.push((name, value));
    }
    Ok(Value::dict(pairs))
}
