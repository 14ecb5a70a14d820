//! Tests across the module: 4.3's request rules (each case checked against
//! `supervisor_xmlrpc_handler.loads` in Python 3.11 with supervisor 4.3.0),
//! round trips through our writer and readers, hostile bodies, and a
//! no-panic run over random and mutated input.

use std::time::{Duration, Instant};

use super::*;

fn call(params: &[&str]) -> String {
    let params: String = params
        .iter()
        .map(|p| format!("<param><value>{p}</value></param>"))
        .collect();
    format!("<methodCall><methodName>m</methodName><params>{params}</params></methodCall>")
}

fn params(body: &str) -> Vec<Value> {
    match parse_method_call(body.as_bytes()) {
        Ok(call) => call.params,
        Err(e) => panic!("{body:?}: {e:?}"),
    }
}

fn refused(body: &[u8]) -> bool {
    matches!(
        parse_method_call(body),
        Err(RequestError::Unmarshallable(_))
    )
}

fn s(text: &str) -> Value {
    Value::str(text)
}

#[test]
fn request_values_follow_4_3() {
    for (param, want) in [
        ("<int>5</int>", Value::Int(5)),
        ("<i4>-5</i4>", Value::Int(-5)),
        ("<int> +1_0 </int>", Value::Int(10)),
        ("<boolean>1</boolean>", Value::Bool(true)),
        ("<boolean>0</boolean>", Value::Bool(false)),
        ("<boolean>true</boolean>", Value::Bool(false)),
        ("<boolean> 1</boolean>", Value::Bool(false)),
        ("<boolean/>", Value::Bool(false)),
        ("<string>x</string>", s("x")),
        ("<string></string>", s("")),
        ("<string/>", s("")),
        ("<string>\n x \n</string>", s("\n x \n")),
        ("<string>a\r\nb\rc</string>", s("a\nb\nc")),
        (
            "<string>a&#13;&amp;&lt;&#x10FFFF;</string>",
            s("a\r&<\u{10FFFF}"),
        ),
        ("<string>a<!-- c -->b<?pi x?>c</string>", s("abc")),
        ("<string>a<![CDATA[<&]]>b</string>", s("a<&b")),
        ("<string>a<x/>b</string>", s("a")),
        ("plain", s("plain")),
        ("  ", s("  ")),
        ("", s("")),
        ("<double>1.5</double>", Value::Double(1.5)),
        ("<double> 1_0.5e1 </double>", Value::Double(105.0)),
        (
            "<double>-Infinity</double>",
            Value::Double(f64::NEG_INFINITY),
        ),
        (
            "<dateTime.iso8601>20240101T12:30:45</dateTime.iso8601>",
            Value::DateTime("20240101T12:30:45".into()),
        ),
        (
            "<dateTime.iso8601>2024011T1:2:3</dateTime.iso8601>",
            Value::DateTime("2024011T1:2:3".into()),
        ),
        ("<base64>aGVsbG8=</base64>", s("hello")),
        ("<base64>aGV\nsbG8=</base64>", s("hello")),
        ("<base64>!!!</base64>", s("")),
        ("<base64/>", s("")),
        ("<i8>5</i8>", s("5")),
        ("<nil/>", Value::Nil),
        ("<i8/>", Value::Nil),
        ("<ex:i8 xmlns:ex='u'>5</ex:i8>", s("5")),
        ("<array><data/></array>", Value::Array(vec![])),
        (
            "<array><data><value><int>1</int></value><value>x</value></data></array>",
            Value::Array(vec![Value::Int(1), s("x")]),
        ),
        (
            "<array><data><int>4</int><foo>x</foo><foo/></data></array>",
            Value::Array(vec![Value::Int(4), s("x"), Value::Nil]),
        ),
        ("<struct></struct>", Value::Struct(vec![])),
        (
            "<struct><member><name>a</name><value>1</value></member>\
             <member><name>b</name><value><int>2</int></value></member>\
             <member><name>a</name><value>3</value></member></struct>",
            Value::structure([("a", s("3")), ("b", Value::Int(2))]),
        ),
        (
            "<struct><member><name/><value>1</value></member></struct>",
            Value::structure([("", s("1"))]),
        ),
        (
            "\n <struct>\n <member>\n <name>k</name>\n <value>\n <string>v</string>\n </value>\n </member>\n </struct>\n ",
            Value::structure([("k", s("v"))]),
        ),
    ] {
        assert_eq!(params(&call(&[param])), [want], "{param:?}");
    }
}

#[test]
fn request_shape_follows_4_3() {
    let parse = |body: &str| parse_method_call(body.as_bytes());
    assert_eq!(
        parse("<methodCall><methodName>supervisor.getState</methodName></methodCall>"),
        Ok(MethodCall {
            name: "supervisor.getState".into(),
            params: vec![]
        })
    );
    assert_eq!(
        params("<methodCall><methodName>m</methodName><params/></methodCall>"),
        []
    );
    // The root's name does not matter; the last methodName wins; so does
    // the last params; a params child need not be a param.
    assert_eq!(
        parse("<foo><methodName>a</methodName><methodName>b</methodName></foo>")
            .unwrap()
            .name,
        "b"
    );
    assert_eq!(
        params("<x><methodName>m</methodName><params><value>x</value></params></x>"),
        [s("x")]
    );
    // Text, whitespace included, is kept; only the text before a child.
    assert_eq!(
        parse("<methodCall><methodName> a<x/>b</methodName></methodCall>")
            .unwrap()
            .name,
        " a"
    );
    // Declaration, BOM, comments, PIs and whitespace around the root.
    let body = "\u{feff}<?xml version=\"1.0\" encoding=\"latin-1\"?>\n<!-- c --><?p?>\
                <methodCall><methodName>\u{e9}</methodName></methodCall>\n<!-- x -->\n";
    assert_eq!(parse(body).unwrap().name, "\u{e9}");
    // With a default namespace no tag matches a rule: no method name.
    assert_eq!(
        parse("<methodCall xmlns='u'><methodName>a</methodName></methodCall>"),
        Err(RequestError::NoMethodName)
    );
}

#[test]
fn no_method_name() {
    for body in [
        "<methodCall/>",
        "<methodCall><params/></methodCall>",
        "<methodCall><methodName></methodName></methodCall>",
        "<methodCall><methodName/></methodCall>",
        "<methodCall><methodName><x/>a</methodName></methodCall>",
    ] {
        assert_eq!(
            parse_method_call(body.as_bytes()),
            Err(RequestError::NoMethodName),
            "{body:?}"
        );
    }
    assert_eq!(RequestError::NoMethodName.to_string(), "no method name");
    assert_eq!(
        RequestError::Unmarshallable("x".into()).to_string(),
        "unmarshallable"
    );
}

#[test]
fn unmarshallable_values() {
    for param in [
        "<int></int>",
        "<int>x</int>",
        "<int>1.0</int>",
        "<int>99999999999999999999999</int>",
        "<double>x</double>",
        "<double/>",
        "<dateTime.iso8601>2024-01-01</dateTime.iso8601>",
        "<dateTime.iso8601>20230229T00:00:00</dateTime.iso8601>",
        "<dateTime.iso8601/>",
        "<base64>aGV sbG8</base64>",
        "<base64>/</base64>",
        "<base64>/w==</base64>",
        "<array/>",
        "<array></array>",
        "<struct><member><value>1</value></member></struct>",
        "<struct><member><name>a</name><value>1</value><value>2</value></member></struct>",
        "<struct><value>1</value></struct>",
        "<struct><member><value><int>5</int></value><value>1</value></member></struct>",
        "<ex:i8>5</ex:i8>",
    ] {
        assert!(refused(call(&[param]).as_bytes()), "accepted {param:?}");
    }
    assert!(refused(
        b"<methodCall><methodName>m</methodName><params><param></param></params></methodCall>"
    ));
}

#[test]
fn unmarshallable_xml() {
    let bodies: &[&[u8]] = &[
        b"",
        b"   ",
        b"not xml",
        b"<methodCall><methodName>m</methodName>",
        b"<methodCall><methodName>m</methodName></methodcall>",
        b"<methodCall><methodName>m</methodName></methodCall>junk",
        b"<methodCall><methodName>m</methodName></methodCall><methodCall/>",
        b"<methodCall><methodName>m&bogus;</methodName></methodCall>",
        b"<methodCall><methodName>m&#0;</methodName></methodCall>",
        b"<methodCall><methodName>m&#xFFFF;</methodName></methodCall>",
        b"<methodCall><methodName>m&#xD800;</methodName></methodCall>",
        b"<methodCall><methodName>m\x01</methodName></methodCall>",
        b"<methodCall><methodName>\xff\xfe</methodName></methodCall>",
        b"<methodCall><methodName>m</methodName><params><param><value><string>\xc3</string></value></param></params></methodCall>",
        b"  <?xml version='1.0'?><methodCall><methodName>m</methodName></methodCall>",
        b"<!DOCTYPE methodCall><methodCall><methodName>m</methodName></methodCall>",
        b"<a b='1' b='2'><methodName>m</methodName></a>",
    ];
    for body in bodies {
        assert!(
            refused(body),
            "accepted {:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn entity_attacks_are_refused() {
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n\
        <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n\
        <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n\
        <methodCall><methodName>&lol3;</methodName></methodCall>";
    let external = "<?xml version=\"1.0\"?>\n<!DOCTYPE m [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
        <methodCall><methodName>&xxe;</methodName></methodCall>";
    let parameter = "<!DOCTYPE m [<!ENTITY % p SYSTEM \"http://example.invalid/x\"> %p;]><m/>";
    for body in [laughs, external, parameter] {
        match parse_method_call(body.as_bytes()) {
            Err(RequestError::Unmarshallable(why)) => assert!(why.contains("refused"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(parse_response(body.as_bytes()).is_err());
    }
}

#[test]
fn deep_nesting_is_refused_quickly() {
    for depth in [super::reader::MAX_DEPTH + 1, 10_000, 1_000_000] {
        let start = Instant::now();
        let body = "<value>".repeat(depth) + &"</value>".repeat(depth);
        assert!(refused(body.as_bytes()), "{depth}");
        assert!(parse_response(body.as_bytes()).is_err());
        let unclosed = "<a>".repeat(depth);
        assert!(refused(unclosed.as_bytes()));
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{depth}: {:?}",
            start.elapsed()
        );
    }
    // At the cap itself, a body is read.
    let depth = super::reader::MAX_DEPTH - 5;
    let body = format!(
        "<methodCall><methodName>m</methodName><params><param>{}</param></params></methodCall>",
        "<value>".repeat(depth) + "x" + &"</value>".repeat(depth)
    );
    assert_eq!(params(&body), [s("x")]);
}

/// Every type through write_call and 4.3's request rules.
#[test]
fn call_round_trip() {
    let values = vec![
        Value::Int(i64::MAX),
        Value::Int(-1),
        Value::Bool(true),
        Value::Bool(false),
        s(""),
        s(" a&b <c> \"d\" 'e'\n\t é \u{10FFFF} "),
        Value::Double(0.1),
        Value::Double(-1e300),
        Value::Double(f64::INFINITY),
        Value::DateTime("20240229T23:59:59".into()),
        Value::Nil,
        Value::Array(vec![]),
        Value::Array(vec![Value::Int(1), Value::Array(vec![s("x")])]),
        Value::Struct(vec![]),
        Value::structure([
            ("name", s("cat")),
            ("a&b", Value::structure([("x", Value::Bool(true))])),
        ]),
    ];
    let body = write_call("supervisor.x", &values);
    assert_eq!(
        parse_method_call(body.as_bytes()),
        Ok(MethodCall {
            name: "supervisor.x".into(),
            params: values
        })
    );
    // 4.3 reads base64 as text.
    let body = write_call("m", &[Value::Base64("héllo".as_bytes().to_vec())]);
    assert_eq!(params(&body), [s("héllo")]);
    let nan = write_call("m", &[Value::Double(f64::NAN)]);
    assert!(matches!(params(&nan)[..], [Value::Double(d)] if d.is_nan()));
}

/// Every type through write_response and the client's rules.
#[test]
fn response_round_trip() {
    let values = vec![
        Value::Int(i64::MIN),
        Value::Bool(true),
        s(""),
        s(" a&b <c> \"d\" 'e'\r\n\t é "),
        Value::Double(1e16),
        Value::DateTime("20240101T00:00:00".into()),
        Value::Base64(vec![]),
        Value::Base64((0..=255).collect()),
        Value::Nil,
        Value::Array(vec![Value::Nil, Value::Int(3)]),
        Value::structure([
            ("a", Value::Array(vec![])),
            ("b", Value::Struct(vec![])),
            ("c", Value::structure([("d", s("e"))])),
        ]),
    ];
    for value in values {
        let body = write_response(&value);
        let mut want = value.clone();
        if let Value::String(text) = &mut want {
            // XML reads CR LF as LF.
            *text = text.replace("\r\n", "\n");
        }
        assert_eq!(parse_response(body.as_bytes()), Ok(Ok(want)), "{body}");
    }
    assert_eq!(
        parse_response(write_fault(10, "BAD_NAME: nosuch").as_bytes()),
        Ok(Err(Fault {
            code: 10,
            string: "BAD_NAME: nosuch".into()
        }))
    );
}

#[test]
fn response_reads_other_writers() {
    let response = |value: &str| {
        format!(
            "<?xml version=\"1.0\"?>\n<methodResponse>\n  <params>\n    <param>\n      \
             <value>{value}</value>\n    </param>\n  </params>\n</methodResponse>\n"
        )
    };
    let read = |value: &str| parse_response(response(value).as_bytes());
    assert_eq!(read("untyped"), Ok(Ok(s("untyped"))));
    assert_eq!(read(""), Ok(Ok(s(""))));
    assert_eq!(read("<i4>7</i4>"), Ok(Ok(Value::Int(7))));
    assert_eq!(read("<i8>8589934592</i8>"), Ok(Ok(Value::Int(1 << 33))));
    assert_eq!(read("<nil/>"), Ok(Ok(Value::Nil)));
    assert_eq!(read("<ex:nil/>"), Ok(Ok(Value::Nil)));
    assert_eq!(read("<float>2.5</float>"), Ok(Ok(Value::Double(2.5))));
    assert_eq!(
        read("<dateTime.iso8601> 20240101T00:00:00 </dateTime.iso8601>"),
        Ok(Ok(Value::DateTime("20240101T00:00:00".into())))
    );
    assert_eq!(
        read("<base64>aGVs\nbG8=</base64>"),
        Ok(Ok(Value::Base64(b"hello".to_vec())))
    );
    assert_eq!(
        read(
            "\n <struct>\n  <member>\n   <name>a</name>\n   <value>x</value>\n  </member>\n  \
             <member><name>b</name><value><array>\n<data>\n<value><int>1</int></value>\n\
             <value>y</value>\n</data>\n</array></value></member>\n </struct>\n"
        ),
        Ok(Ok(Value::structure([
            ("a", s("x")),
            ("b", Value::Array(vec![Value::Int(1), s("y")]))
        ])))
    );
    for bad in [
        "<boolean>true</boolean>",
        "<int>x</int>",
        "<bogus>1</bogus>",
        "<struct><member><value>1</value></member></struct>",
        "<base64>/</base64>",
    ] {
        assert!(read(bad).is_err(), "accepted {bad:?}");
    }
    for bad in [
        "",
        "<methodResponse/>",
        "<methodResponse><params></params></methodResponse>",
        "<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>",
        "<methodCall><methodName>m</methodName><params/></methodCall>",
        "<methodResponse><fault><value><struct></struct></value></fault></methodResponse>",
        "<methodResponse><params><param><value>a</value></param></params>",
    ] {
        assert!(parse_response(bad.as_bytes()).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn big_bodies_parse_in_linear_time() {
    let huge = "x&amp;y\n".repeat(10 * 1024 * 1024 / 8);
    let body = call(&[&format!("<string>{huge}</string>")]);
    let start = Instant::now();
    assert_eq!(params(&body), [s(&huge.replace("&amp;", "&"))]);
    let plain = "a".repeat(10 * 1024 * 1024);
    let body = call(&[&plain]);
    assert_eq!(params(&body), [s(&plain)]);
    let members: String = (0..200_000)
        .map(|i| format!("<member><name>k{i}</name><value><int>{i}</int></value></member>"))
        .collect();
    let body = call(&[&format!("<struct>{members}</struct>")]);
    assert_eq!(params(&body)[0].as_struct().map(<[_]>::len), Some(200_000));
    let elapsed = start.elapsed();
    // A guard against quadratic work, not a speed test (bench/ measures
    // speed): linear parsing takes well under a second even unoptimised,
    // a quadratic pass over 10 MB would take hours. Loose enough that a
    // loaded machine never trips it.
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
}

/// A xorshift64 generator: enough randomness for fuzzing, no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn no_input_panics() {
    let seeds: Vec<Vec<u8>> = vec![
        write_call(
            "supervisor.x",
            &[
                Value::structure([
                    (
                        "a",
                        Value::Array(vec![Value::Int(1), Value::Double(2.5), Value::Nil]),
                    ),
                    ("b", Value::Bool(true)),
                ]),
                Value::Base64(b"hi".to_vec()),
                Value::DateTime("20240101T00:00:00".into()),
                s("x&y"),
            ],
        )
        .into_bytes(),
        write_fault(10, "BAD_NAME: x").into_bytes(),
        write_response(&Value::Array(vec![s("a"), Value::Int(2)])).into_bytes(),
        b"<?xml version='1.0'?><!-- c --><a xmlns:p='u' p:x='&#65;'><![CDATA[x]]><?p?></a>"
            .to_vec(),
    ];
    let tokens: &[&[u8]] = &[
        b"<",
        b">",
        b"/>",
        b"</",
        b"&",
        b";",
        b"&#",
        b"&#x",
        b"]]>",
        b"<![CDATA[",
        b"<!--",
        b"-->",
        b"<?",
        b"?>",
        b"<!DOCTYPE",
        b"'",
        b"\"",
        b"=",
        b":",
        b"xmlns",
        b"<value>",
        b"</value>",
        b"<struct>",
        b"<member>",
        b"<name>",
        b"<array>",
        b"<data>",
        b"<int>",
        b"<base64>",
        b"<methodName>",
        b"<params>",
        b"\xff",
        b"\xc3",
        b"\0",
        b"\r",
        "\u{FFFF}".as_bytes(),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..20_000 {
        let mut body = seeds[round % seeds.len()].clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(body.len() + 1);
            match rng.below(6) {
                0 => body.truncate(at),
                1 if at < body.len() => body[at] = rng.next() as u8,
                2 if at < body.len() => {
                    body.remove(at);
                }
                3 => {
                    let token = tokens[rng.below(tokens.len())];
                    body.splice(at..at, token.iter().copied());
                }
                4 => {
                    let from = rng.below(body.len() + 1);
                    let to = (from + rng.below(64)).min(body.len());
                    let piece = body[from..to].to_vec();
                    body.splice(at..at, piece);
                }
                _ => body.insert(at, rng.next() as u8),
            }
        }
        let _ = parse_method_call(&body);
        let _ = parse_response(&body);
    }
    for _ in 0..5_000 {
        let len = rng.below(200);
        let body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = parse_method_call(&body);
        let _ = parse_response(&body);
        let text: Vec<u8> = (0..len)
            .map(|_| b"<>/&;#x!-[]?='\" a:1"[rng.below(19)])
            .collect();
        let _ = parse_method_call(&text);
        let _ = parse_response(&text);
    }
}
