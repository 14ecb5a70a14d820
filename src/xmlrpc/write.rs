//! Writes XML-RPC documents byte for byte as Python's
//! `xmlrpc.client.dumps` does (its `Marshaller`): responses and faults for
//! the server, method calls for the client.
//!
//! One deliberate difference: characters XML 1.0 forbids outright (C0
//! controls other than TAB, LF and CR, and U+FFFE / U+FFFF) cannot be
//! written raw or as character references, and Python (and so 4.3) writes
//! them raw anyway, producing XML no conforming parser reads (supervisorctl
//! then fails on, say, a process description holding an escape sequence).
//! We write each as U+FFFD instead, so the response stays readable. Every
//! other character is written as Python writes it: only `&`, `<` and `>`
//! escaped.
//!
//! Where Python would refuse a value (an int beyond 32 bits, `None`
//! without `allow_none`) we write it anyway; callers decide what to send.

use super::reader::is_xml_char;
use super::value::{Fault, Value};
use crate::pytext;

const HEADER: &str = "<?xml version='1.0'?>\n";

/// Server side: a `methodResponse` holding `value`, as
/// `xmlrpc.client.dumps((value,), methodresponse=True)` writes it, except
/// that characters XML 1.0 forbids become U+FFFD (see the module docs).
pub fn write_response(value: &Value) -> String {
    let mut out = String::from(HEADER);
    out.push_str("<methodResponse>\n<params>\n<param>\n");
    write_value(&mut out, value);
    out.push_str("</param>\n</params>\n</methodResponse>\n");
    out
}

/// Server side: a fault response, as
/// `xmlrpc.client.dumps(Fault(code, text))` writes it.
pub fn write_fault(code: i64, text: &str) -> String {
    let mut out = String::from(HEADER);
    out.push_str("<methodResponse>\n<fault>\n");
    write_value(
        &mut out,
        &Fault {
            code,
            string: text.to_string(),
        }
        .to_value(),
    );
    out.push_str("</fault>\n</methodResponse>\n");
    out
}

/// Client side: a `methodCall`, as `xmlrpc.client.dumps(params, name)`
/// writes it, except that the method name is escaped like any text
/// (Python writes it raw; no method name of ours needs escaping).
pub fn write_call(name: &str, params: &[Value]) -> String {
    let mut out = String::from(HEADER);
    out.push_str("<methodCall>\n<methodName>");
    escape_into(&mut out, name);
    out.push_str("</methodName>\n<params>\n");
    for param in params {
        out.push_str("<param>\n");
        write_value(&mut out, param);
        out.push_str("</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out
}

/// One `<value>`, as the Marshaller's `dump_*` methods write it. Nesting
/// is as deep as the value itself, which we build.
fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Int(n) => {
            out.push_str("<value><int>");
            out.push_str(&n.to_string());
            out.push_str("</int></value>\n");
        }
        Value::Bool(b) => {
            out.push_str("<value><boolean>");
            out.push(if *b { '1' } else { '0' });
            out.push_str("</boolean></value>\n");
        }
        Value::String(s) => {
            out.push_str("<value><string>");
            escape_into(out, s);
            out.push_str("</string></value>\n");
        }
        Value::Double(d) => {
            out.push_str("<value><double>");
            out.push_str(&pytext::float_repr(*d));
            out.push_str("</double></value>\n");
        }
        Value::DateTime(text) => {
            out.push_str("<value><dateTime.iso8601>");
            escape_into(out, text);
            out.push_str("</dateTime.iso8601></value>\n");
        }
        Value::Base64(bytes) => {
            out.push_str("<value><base64>\n");
            out.push_str(&pytext::base64_encode(bytes));
            out.push_str("</base64></value>\n");
        }
        Value::Struct(members) => {
            out.push_str("<value><struct>\n");
            for (name, member) in members {
                out.push_str("<member>\n<name>");
                escape_into(out, name);
                out.push_str("</name>\n");
                write_value(out, member);
                out.push_str("</member>\n");
            }
            out.push_str("</struct></value>\n");
        }
        Value::Array(items) => {
            out.push_str("<value><array><data>\n");
            for item in items {
                write_value(out, item);
            }
            out.push_str("</data></array></value>\n");
        }
        // Python's dump_nil writes no newline after this one.
        Value::Nil => out.push_str("<value><nil/></value>"),
    }
}

/// Python's `escape` (`&`, `<`, `>` only), with characters XML 1.0
/// forbids written as U+FFFD.
fn escape_into(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| matches!(c, '&' | '<' | '>') || !is_xml_char(c)) {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().expect("find gave a char boundary");
        out.push_str(match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            _ => "\u{FFFD}",
        });
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_is_byte_for_byte_4_3() {
        assert_eq!(
            write_fault(10, "BAD_NAME: nosuch"),
            "<?xml version='1.0'?>\n\
             <methodResponse>\n\
             <fault>\n\
             <value><struct>\n\
             <member>\n\
             <name>faultCode</name>\n\
             <value><int>10</int></value>\n\
             </member>\n\
             <member>\n\
             <name>faultString</name>\n\
             <value><string>BAD_NAME: nosuch</string></value>\n\
             </member>\n\
             </struct></value>\n\
             </fault>\n\
             </methodResponse>\n"
        );
    }

    #[test]
    fn struct_response_is_byte_for_byte_python() {
        // Python: dumps(({'name': 'cat', 'pid': 42, 'ok': True,
        //   'spawnerr': '', 'args': ['a&b', 1.5]},), methodresponse=True)
        let value = Value::structure([
            ("name", Value::str("cat")),
            ("pid", Value::Int(42)),
            ("ok", Value::Bool(true)),
            ("spawnerr", Value::str("")),
            (
                "args",
                Value::Array(vec![Value::str("a&b"), Value::Double(1.5)]),
            ),
        ]);
        assert_eq!(
            write_response(&value),
            "<?xml version='1.0'?>\n\
             <methodResponse>\n\
             <params>\n\
             <param>\n\
             <value><struct>\n\
             <member>\n<name>name</name>\n<value><string>cat</string></value>\n</member>\n\
             <member>\n<name>pid</name>\n<value><int>42</int></value>\n</member>\n\
             <member>\n<name>ok</name>\n<value><boolean>1</boolean></value>\n</member>\n\
             <member>\n<name>spawnerr</name>\n<value><string></string></value>\n</member>\n\
             <member>\n<name>args</name>\n<value><array><data>\n\
             <value><string>a&amp;b</string></value>\n\
             <value><double>1.5</double></value>\n\
             </data></array></value>\n</member>\n\
             </struct></value>\n\
             </param>\n\
             </params>\n\
             </methodResponse>\n"
        );
    }

    #[test]
    fn every_type_as_python_writes_it() {
        let body = |v: &Value| {
            let full = write_response(v);
            full["<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n".len()..]
                .strip_suffix("</param>\n</params>\n</methodResponse>\n")
                .unwrap()
                .to_string()
        };
        assert_eq!(body(&Value::Int(-7)), "<value><int>-7</int></value>\n");
        assert_eq!(
            body(&Value::Bool(false)),
            "<value><boolean>0</boolean></value>\n"
        );
        assert_eq!(
            body(&Value::str(" <a> & \"b\" 'c'\r\n\té ")),
            "<value><string> &lt;a&gt; &amp; \"b\" 'c'\r\n\té </string></value>\n"
        );
        assert_eq!(
            body(&Value::Double(1e16)),
            "<value><double>1e+16</double></value>\n"
        );
        assert_eq!(
            body(&Value::DateTime("20240101T12:30:45".into())),
            "<value><dateTime.iso8601>20240101T12:30:45</dateTime.iso8601></value>\n"
        );
        assert_eq!(
            body(&Value::Base64(b"hello".to_vec())),
            "<value><base64>\naGVsbG8=\n</base64></value>\n"
        );
        assert_eq!(
            body(&Value::Base64(Vec::new())),
            "<value><base64>\n</base64></value>\n"
        );
        assert_eq!(
            body(&Value::Array(vec![])),
            "<value><array><data>\n</data></array></value>\n"
        );
        assert_eq!(
            body(&Value::Struct(vec![])),
            "<value><struct>\n</struct></value>\n"
        );
        assert_eq!(body(&Value::Nil), "<value><nil/></value>");
        assert_eq!(
            body(&Value::Int(1 << 40)),
            "<value><int>1099511627776</int></value>\n",
            "callers cap; we write what we are given"
        );
    }

    #[test]
    fn forbidden_characters_become_replacement_characters() {
        assert_eq!(
            write_response(&Value::str(
                "a\u{0}b\u{1b}[0m\u{7f}\u{FFFE}\u{FFFF}\u{FFFD}\t"
            )),
            write_response(&Value::str(
                "a\u{FFFD}b\u{FFFD}[0m\u{7f}\u{FFFD}\u{FFFD}\u{FFFD}\t"
            ))
        );
    }

    #[test]
    fn call_is_byte_for_byte_python() {
        // Python: dumps(('x', 3), 'supervisor.getProcessInfo'), dumps((), 'm')
        assert_eq!(
            write_call(
                "supervisor.getProcessInfo",
                &[Value::str("x"), Value::Int(3)]
            ),
            "<?xml version='1.0'?>\n\
             <methodCall>\n\
             <methodName>supervisor.getProcessInfo</methodName>\n\
             <params>\n\
             <param>\n<value><string>x</string></value>\n</param>\n\
             <param>\n<value><int>3</int></value>\n</param>\n\
             </params>\n\
             </methodCall>\n"
        );
        assert_eq!(
            write_call("m", &[]),
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n</params>\n</methodCall>\n"
        );
    }
}
