//! A small, strict XML pull reader, written for bodies from untrusted
//! clients: it turns a UTF-8 document into start / end / text events and
//! refuses anything that could make it expand, reach outside the body or
//! go deep.
//!
//! What it accepts is well-formed XML 1.0 as expat (4.3's parser) accepts
//! it: an optional `<?xml ...?>` declaration at the very start (after an
//! optional byte order mark), comments, processing instructions, CDATA
//! sections, the five predefined entities and character references, and,
//! when asked, namespace processing the way ElementTree does it (a name in
//! a namespace becomes `{uri}local`; an unbound prefix is an error).
//!
//! What it refuses, on purpose, beyond malformed XML: any `<!DOCTYPE`,
//! `<!ENTITY` or other `<!` declaration (so no entity can ever expand and
//! no external entity can ever be read), and elements nested more than
//! [`MAX_DEPTH`] deep. It never recurses, so no input can exhaust the
//! stack, and every step is linear in what it consumes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// How many elements may be open at once.
pub const MAX_DEPTH: usize = 64;

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

pub type Result<T> = std::result::Result<T, String>;

#[derive(Debug, PartialEq)]
pub enum Event<'a> {
    /// An element starts; its name (with namespaces, `{uri}local` or
    /// `local`; without, the name as written).
    Start(String),
    /// The innermost open element ends.
    End,
    /// Character data: text with references resolved and line ends
    /// normalised, or the content of a CDATA section. Never empty.
    Text(Cow<'a, str>),
    /// The document ended well.
    Eof,
}

struct Open {
    /// The name as written, to match the end tag against.
    qname: String,
    /// Prefixes this element bound ("" for the default namespace).
    declared: Vec<String>,
}

pub struct Reader<'a> {
    src: &'a str,
    pos: usize,
    namespaces: bool,
    open: Vec<Open>,
    /// Prefix -> URIs bound, innermost last.
    bindings: HashMap<String, Vec<String>>,
    /// A `<x/>` was just reported as a start; its end comes next.
    pending_end: bool,
    root_seen: bool,
    root_done: bool,
}

impl<'a> Reader<'a> {
    /// A reader over `src`; `namespaces` turns on namespace processing.
    /// Fails if the XML declaration is malformed.
    pub fn new(src: &'a str, namespaces: bool) -> Result<Reader<'a>> {
        let mut reader = Reader {
            src,
            pos: 0,
            namespaces,
            open: Vec::new(),
            bindings: HashMap::new(),
            pending_end: false,
            root_seen: false,
            root_done: false,
        };
        if src.starts_with('\u{feff}') {
            reader.pos = '\u{feff}'.len_utf8();
        }
        let rest = reader.rest();
        if rest.starts_with("<?xml")
            && matches!(
                rest.as_bytes().get(5),
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'?')
            )
        {
            reader.xml_declaration()?;
        }
        Ok(reader)
    }

    /// The next event. After an error the reader is not to be used again.
    pub fn next_event(&mut self) -> Result<Event<'a>> {
        if self.pending_end {
            self.pending_end = false;
            self.close_element();
            return Ok(Event::End);
        }
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                if !self.open.is_empty() {
                    return Err("unclosed element at end of input".into());
                }
                if !self.root_seen {
                    return Err("no element found".into());
                }
                return Ok(Event::Eof);
            }
            if rest.starts_with('<') {
                if rest.starts_with("<?") {
                    self.processing_instruction()?;
                } else if rest.starts_with("<!--") {
                    self.comment()?;
                } else if rest.starts_with("<![CDATA[") {
                    if self.open.is_empty() {
                        return Err("CDATA section outside the root element".into());
                    }
                    if let Some(text) = self.cdata()? {
                        return Ok(text);
                    }
                } else if rest.starts_with("<!") {
                    return Err("DOCTYPE and other declarations are refused".into());
                } else if rest.starts_with("</") {
                    return self.end_tag();
                } else {
                    return self.start_tag();
                }
            } else if self.open.is_empty() {
                let n = rest.len() - rest.trim_start_matches(is_space).len();
                if n == 0 {
                    return Err(if self.root_done {
                        "junk after document element".into()
                    } else {
                        "text before the root element".into()
                    });
                }
                self.pos += n;
            } else {
                return self.text();
            }
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Skips XML white space; says whether there was any.
    fn skip_space(&mut self) -> bool {
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_space).len();
        self.pos += n;
        n > 0
    }

    fn expect(&mut self, s: &str) -> Result<()> {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            Ok(())
        } else {
            Err(format!("expected {s:?} at byte {}", self.pos))
        }
    }

    /// An XML `Name`.
    fn name(&mut self) -> Result<&'a str> {
        let rest = self.rest();
        let mut chars = rest.char_indices();
        match chars.next() {
            Some((_, c)) if is_name_start(c) => {}
            _ => {
                return Err(format!(
                    "not well-formed (invalid token) at byte {}",
                    self.pos
                ));
            }
        }
        let end = chars
            .find(|&(_, c)| !is_name_char(c))
            .map_or(rest.len(), |(i, _)| i);
        self.pos += end;
        Ok(&rest[..end])
    }

    /// `S? '=' S? ("..." | '...')`, the value raw.
    fn eq_quoted(&mut self) -> Result<&'a str> {
        self.skip_space();
        self.expect("=")?;
        self.skip_space();
        let quote = match self.peek() {
            Some(q @ ('"' | '\'')) => q,
            _ => return Err(format!("expected a quoted value at byte {}", self.pos)),
        };
        self.pos += 1;
        let rest = self.rest();
        let end = rest
            .find(quote)
            .ok_or_else(|| "unterminated attribute value".to_string())?;
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    fn xml_declaration(&mut self) -> Result<()> {
        self.pos += "<?xml".len();
        let bad = || "XML declaration not well-formed".to_string();
        let mut seen = 0; // 1 version, 2 encoding, 3 standalone
        loop {
            let spaced = self.skip_space();
            if self.rest().starts_with("?>") {
                self.pos += 2;
                return if seen >= 1 { Ok(()) } else { Err(bad()) };
            }
            if !spaced {
                return Err(bad());
            }
            let name = self.name().map_err(|_| bad())?;
            let value = self.eq_quoted().map_err(|_| bad())?;
            let ok = match name {
                "version" if seen == 0 => {
                    seen = 1;
                    // As expat checks it: any run of these, even none.
                    value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                }
                "encoding" if seen == 1 => {
                    seen = 2;
                    let mut bytes = value.bytes();
                    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
                        && bytes.all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                }
                "standalone" if (1..=2).contains(&seen) => {
                    seen = 3;
                    value == "yes" || value == "no"
                }
                _ => false,
            };
            if !ok {
                return Err(bad());
            }
        }
    }

    fn processing_instruction(&mut self) -> Result<()> {
        self.pos += 2;
        let target = self.name()?;
        if target.eq_ignore_ascii_case("xml") {
            return Err("XML declaration not at the start of the document".into());
        }
        if self.rest().starts_with("?>") {
            self.pos += 2;
            return Ok(());
        }
        if !self.skip_space() {
            return Err(format!(
                "not well-formed (invalid token) at byte {}",
                self.pos
            ));
        }
        let rest = self.rest();
        let end = rest
            .find("?>")
            .ok_or_else(|| "unterminated processing instruction".to_string())?;
        check_chars(&rest[..end])?;
        self.pos += end + 2;
        Ok(())
    }

    fn comment(&mut self) -> Result<()> {
        self.pos += "<!--".len();
        let rest = self.rest();
        let end = rest
            .find("--")
            .ok_or_else(|| "unterminated comment".to_string())?;
        if !rest[end..].starts_with("-->") {
            return Err("'--' inside a comment".into());
        }
        check_chars(&rest[..end])?;
        self.pos += end + 3;
        Ok(())
    }

    /// A CDATA section's text, or `None` if it is empty.
    fn cdata(&mut self) -> Result<Option<Event<'a>>> {
        self.pos += "<![CDATA[".len();
        let rest = self.rest();
        let end = rest
            .find("]]>")
            .ok_or_else(|| "unterminated CDATA section".to_string())?;
        self.pos += end + 3;
        let raw = &rest[..end];
        check_chars(raw)?;
        if raw.contains('\r') {
            let mut out = String::with_capacity(raw.len());
            let mut chars = raw.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\r' {
                    out.push('\n');
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                } else {
                    out.push(c);
                }
            }
            return Ok(Some(Event::Text(Cow::Owned(out))));
        }
        Ok((!raw.is_empty()).then_some(Event::Text(Cow::Borrowed(raw))))
    }

    fn text(&mut self) -> Result<Event<'a>> {
        let rest = self.rest();
        let end = rest.find('<').unwrap_or(rest.len());
        let raw = &rest[..end];
        self.pos += end;
        if raw.contains("]]>") {
            return Err("']]>' in text".into());
        }
        check_chars(raw)?;
        if !raw.contains(['&', '\r']) {
            return Ok(Event::Text(Cow::Borrowed(raw)));
        }
        // Never empty: every reference and line end decodes to a character.
        let mut out = String::with_capacity(raw.len());
        decode(raw, &mut out, false)?;
        Ok(Event::Text(Cow::Owned(out)))
    }

    fn end_tag(&mut self) -> Result<Event<'a>> {
        self.pos += 2;
        let name = self.name()?;
        self.skip_space();
        self.expect(">")?;
        match self.open.last() {
            Some(open) if open.qname == name => {}
            _ => return Err(format!("mismatched tag </{name}>")),
        }
        self.close_element();
        Ok(Event::End)
    }

    fn close_element(&mut self) {
        if let Some(open) = self.open.pop() {
            for prefix in open.declared {
                if let Some(uris) = self.bindings.get_mut(&prefix) {
                    uris.pop();
                }
            }
        }
        if self.open.is_empty() {
            self.root_done = true;
        }
    }

    fn start_tag(&mut self) -> Result<Event<'a>> {
        if self.root_done {
            return Err("junk after document element".into());
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(format!("elements nested more than {MAX_DEPTH} deep"));
        }
        self.pos += 1;
        let qname = self.name()?;
        let mut attributes: Vec<(&'a str, Cow<'a, str>)> = Vec::new();
        let self_closing = loop {
            let spaced = self.skip_space();
            match self.peek() {
                Some('>') => {
                    self.pos += 1;
                    break false;
                }
                Some('/') => {
                    self.expect("/>")?;
                    break true;
                }
                Some(_) if spaced => {
                    let name = self.name()?;
                    let raw = self.eq_quoted()?;
                    if raw.contains('<') {
                        return Err("'<' in an attribute value".into());
                    }
                    check_chars(raw)?;
                    let value = if raw.contains(['&', '\r', '\n', '\t']) {
                        let mut out = String::with_capacity(raw.len());
                        decode(raw, &mut out, true)?;
                        Cow::Owned(out)
                    } else {
                        Cow::Borrowed(raw)
                    };
                    attributes.push((name, value));
                }
                _ => {
                    return Err(format!(
                        "not well-formed (invalid token) at byte {}",
                        self.pos
                    ));
                }
            }
        };

        let mut raw_names = HashSet::new();
        for (name, _) in &attributes {
            if !raw_names.insert(*name) {
                return Err(format!("duplicate attribute {name}"));
            }
        }

        let name = if self.namespaces {
            self.start_namespaces(qname, &attributes)?
        } else {
            self.open.push(Open {
                qname: qname.to_string(),
                declared: Vec::new(),
            });
            qname.to_string()
        };
        self.root_seen = true;
        self.pending_end = self_closing;
        Ok(Event::Start(name))
    }

    /// Binds this element's namespace declarations, opens it, and resolves
    /// its name and its attributes' names.
    fn start_namespaces(
        &mut self,
        qname: &'a str,
        attributes: &[(&'a str, Cow<'a, str>)],
    ) -> Result<String> {
        let mut declared = Vec::new();
        for (name, value) in attributes {
            let prefix = if *name == "xmlns" {
                ""
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                split_qname(name)?;
                if prefix == "xmlns" {
                    return Err("reserved prefix (xmlns) must not be declared".into());
                }
                if value.is_empty() {
                    return Err("must not undeclare prefix".into());
                }
                prefix
            } else {
                continue;
            };
            if (prefix == "xml") != (value == XML_NS) || value == XMLNS_NS {
                return Err("reserved prefix or namespace name misused".into());
            }
            self.bindings
                .entry(prefix.to_string())
                .or_default()
                .push(value.to_string());
            declared.push(prefix.to_string());
        }
        self.open.push(Open {
            qname: qname.to_string(),
            declared,
        });

        let mut resolved = HashSet::new();
        for (name, _) in attributes {
            if *name == "xmlns" || name.starts_with("xmlns:") {
                continue;
            }
            let full = match split_qname(name)? {
                (Some(prefix), local) => format!("{{{}}}{local}", self.lookup(prefix)?),
                (None, local) => local.to_string(),
            };
            if !resolved.insert(full) {
                return Err(format!("duplicate attribute {name}"));
            }
        }

        Ok(match split_qname(qname)? {
            (Some(prefix), local) => format!("{{{}}}{local}", self.lookup(prefix)?),
            (None, local) => match self.bindings.get("").and_then(|uris| uris.last()) {
                Some(uri) if !uri.is_empty() => format!("{{{uri}}}{local}"),
                _ => local.to_string(),
            },
        })
    }

    fn lookup(&self, prefix: &str) -> Result<&str> {
        if prefix == "xml" {
            return Ok(XML_NS);
        }
        self.bindings
            .get(prefix)
            .and_then(|uris| uris.last())
            .map(String::as_str)
            .ok_or_else(|| format!("unbound prefix {prefix}"))
    }
}

/// `prefix:local` or `local`, each part a name without colons.
fn split_qname(name: &str) -> Result<(Option<&str>, &str)> {
    let bad = || format!("not well-formed (invalid token): {name}");
    match name.split_once(':') {
        None => Ok((None, name)),
        Some((prefix, local)) => {
            let starts_ok = |s: &str| s.chars().next().is_some_and(is_name_start);
            if !starts_ok(prefix) || !starts_ok(local) || local.contains(':') {
                return Err(bad());
            }
            Ok((Some(prefix), local))
        }
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// A character XML 1.0 allows in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Fails if `s` holds a character XML 1.0 does not allow (C0 controls
/// other than TAB, LF, CR; U+FFFE; U+FFFF). Byte-wise, for speed.
fn check_chars(s: &str) -> Result<()> {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let bad = match b {
            b'\t' | b'\n' | b'\r' => false,
            0..0x20 => true,
            // U+FFFE and U+FFFF are EF BF BE / EF BF BF.
            0xEF => {
                bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
            }
            _ => false,
        };
        if bad {
            return Err("not well-formed (invalid character)".into());
        }
    }
    Ok(())
}

/// Appends `raw` to `out` with references resolved and line ends
/// normalised; in an attribute value, white space becomes spaces.
fn decode(raw: &str, out: &mut String, attribute: bool) -> Result<()> {
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '\r', '\n', '\t']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        rest = &rest[i + 1..];
        match c {
            b'&' => {
                let end = rest
                    .find(';')
                    .ok_or_else(|| "unterminated reference".to_string())?;
                out.push(reference(&rest[..end])?);
                rest = &rest[end + 1..];
            }
            b'\r' => {
                out.push(if attribute { ' ' } else { '\n' });
                if let Some(after) = rest.strip_prefix('\n') {
                    rest = after;
                }
            }
            _ => out.push(if attribute { ' ' } else { c as char }),
        }
    }
    out.push_str(rest);
    Ok(())
}

/// The character `&name;` stands for.
fn reference(name: &str) -> Result<char> {
    let number = |digits: &str, radix: u32| -> Result<char> {
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return Err("not well-formed (invalid character reference)".into());
        }
        let code = digits.chars().try_fold(0u32, |n, c| {
            n.checked_mul(radix)?.checked_add(c.to_digit(radix)?)
        });
        code.and_then(char::from_u32)
            .filter(|&c| is_xml_char(c))
            .ok_or_else(|| "reference to invalid character number".to_string())
    };
    match name {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => {
            if let Some(hex) = name.strip_prefix("#x") {
                number(hex, 16)
            } else if let Some(dec) = name.strip_prefix('#') {
                number(dec, 10)
            } else if name.chars().next().is_some_and(is_name_start)
                && name.chars().all(is_name_char)
            {
                Err(format!("undefined entity &{name};"))
            } else {
                Err("not well-formed (invalid reference)".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events of `src` in a compact form, or the error.
    fn events(src: &str, namespaces: bool) -> Result<Vec<String>> {
        let mut reader = Reader::new(src, namespaces)?;
        let mut out = Vec::new();
        loop {
            match reader.next_event()? {
                Event::Start(name) => out.push(format!("<{name}>")),
                Event::End => out.push("</>".into()),
                Event::Text(t) => out.push(format!("{t:?}")),
                Event::Eof => return Ok(out),
            }
        }
    }

    #[test]
    fn reports_elements_and_text() {
        assert_eq!(
            events("<a>x<b/>y<c>z</c ></a>", false).unwrap(),
            [
                "<a>", "\"x\"", "<b>", "</>", "\"y\"", "<c>", "\"z\"", "</>", "</>"
            ]
        );
    }

    #[test]
    fn resolves_references_and_line_ends() {
        assert_eq!(
            events(
                "<a>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#0067;\r\nd\re</a>",
                false
            )
            .unwrap(),
            ["<a>", "\"&<>\\\"'ABC\\nd\\ne\"", "</>"]
        );
        assert_eq!(
            events("<a><![CDATA[<&>]]>&#13;</a>", false).unwrap(),
            ["<a>", "\"<&>\"", "\"\\r\"", "</>"]
        );
    }

    #[test]
    fn skips_declaration_comments_and_instructions() {
        let src = "\u{feff}<?xml version='1.0' encoding=\"utf-8\" standalone='yes' ?>\n\
                   <!-- c --><?pi data?><a><!----><?x?></a>\n<!-- end -->\n";
        assert_eq!(events(src, false).unwrap(), ["<a>", "</>"]);
        for declaration in ["<?xml version=''?>", "<?xml\nversion = 'x-1' ?>"] {
            assert!(
                events(&format!("{declaration}<a/>"), false).is_ok(),
                "{declaration}"
            );
        }
    }

    #[test]
    fn resolves_namespaces_like_elementtree() {
        assert_eq!(
            events("<a xmlns:ex='u'><ex:b/><c xmlns='v'><d/></c><e/></a>", true).unwrap(),
            [
                "<a>", "<{u}b>", "</>", "<{v}c>", "<{v}d>", "</>", "</>", "<e>", "</>", "</>"
            ]
        );
        assert_eq!(
            events("<ex:a/>", false).unwrap(),
            ["<ex:a>", "</>"],
            "without namespaces, a prefix is only part of the name"
        );
    }

    #[test]
    fn refuses_what_expat_refuses() {
        for src in [
            "",
            "   ",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<a/>x",
            "x<a/>",
            "<1a/>",
            "< a/>",
            "<a/ >",
            "<a x=1/>",
            "<a x='1'y='2'/>",
            "<a x='1' x='2'/>",
            "<a x='<'/>",
            "<a x='&foo;'/>",
            "<a>]]></a>",
            "<a>&unknown;</a>",
            "<a>&#65</a>",
            "<a>&#x;</a>",
            "<a>&#X41;</a>",
            "<a>&#0;</a>",
            "<a>&#xFFFE;</a>",
            "<a>&#xD800;</a>",
            "<a>&#1114112;</a>",
            "<a>&#99999999999999999999;</a>",
            "<a>\u{1}</a>",
            "<a>\u{FFFF}</a>",
            "<a><!-- a -- b --></a>",
            "<a><!-- a ---></a>",
            "<a><![cdata[x]]></a>",
            "<a/><![CDATA[x]]>",
            "<a/>\0",
            "  <?xml version='1.0'?><a/>",
            "<?xml?><a/>",
            "<?xml encoding='utf-8'?><a/>",
            "<?xml version='1.0' standalone='maybe'?><a/>",
            "<?xml version='1.0' foo='x'?><a/>",
            "<?xml version='1.0 x'?><a/>",
            "<?xml version='a:b'?><a/>",
            "<?xml version='1.0' encoding='a b'?><a/>",
            "<?xml version='1.0'encoding='utf-8'?><a/>",
            "<?xml version='1.0' standalone='yes' encoding='utf-8'?><a/>",
            "<?XML version='1.0'?><a/>",
            "<a/><?xml version='1.0'?>",
            "<??><a/>",
            "<a><!-- unterminated",
            "<a><?pi unterminated",
            "<a><![CDATA[unterminated",
            "<a x='unterminated/>",
        ] {
            assert!(events(src, false).is_err(), "accepted {src:?}");
        }
    }

    #[test]
    fn refuses_bad_namespaces() {
        for src in [
            "<ex:a/>",
            "<a b:x='1'/>",
            "<a xmlns:p='u' xmlns:q='u' p:b='1' q:b='2'/>",
            "<a xmlns:p=''/>",
            "<a xmlns:xml='u'/>",
            "<a xmlns:xmlns='u'/>",
            "<a:b:c xmlns:a='u'/>",
            "<:a/>",
            "<a><p:b xmlns:p='u'/><p:c/></a>",
        ] {
            assert!(events(src, true).is_err(), "accepted {src:?}");
        }
        assert!(events("<a xml:lang='en' xmlns=''/>", true).is_ok());
    }

    #[test]
    fn refuses_every_declaration() {
        for src in [
            "<!DOCTYPE a><a/>",
            "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
            "<!DOCTYPE a SYSTEM 'file:///etc/passwd'><a/>",
            "<a><!ENTITY x 'y'></a>",
        ] {
            let err = events(src, false).unwrap_err();
            assert!(err.contains("refused"), "{src:?}: {err}");
        }
    }

    #[test]
    fn caps_depth() {
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(events(&ok, false).is_ok());
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(events(&deep, false).unwrap_err().contains("deep"));
    }
}
