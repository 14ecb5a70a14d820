//! The INI dialect Supervisor 4.3 reads: Python's `RawConfigParser` with
//! `inline_comment_prefixes=(';', '#')` and `strict=False`, line for line.
//!
//! This module owns only syntax: sections, keys, values, where each came
//! from. It knows nothing of what a section means (that is `build.rs`) and
//! does no `%(name)s` expansion (that is `pyfmt.rs`).
//!
//! We do not build on the `configparser` crate: it strips inline comments
//! that are not preceded by whitespace (`a;b`), trims section names, accepts
//! keys without a value and text before the first section, treats an
//! indented `[x]` line as a header instead of a continuation, drops blank
//! lines inside values and reports errors without the raw line. Mending each
//! of those on top of it would have meant writing this parser anyway.
//!
//! The rules, as Python applies them to each physical line:
//!
//! * `;` or `#` starts a comment when it is the first character of the line
//!   or follows a whitespace character; a line whose first non-blank
//!   character is `;` or `#` is a comment line.
//! * What is left, trimmed, is empty: a blank line. It becomes an empty line
//!   inside the current value when the line had no comment.
//! * A line indented deeper than the line that started the current option
//!   continues that option's value (joined with `\n`), even if it looks like
//!   a section header.
//! * Otherwise `[name]` (greedy up to the last `]`) starts or reopens a
//!   section; `key = value` or `key: value` (the first `=` or `:`) sets an
//!   option whose key is lower-cased; anything else is a parsing error,
//!   collected and reported together at the end of the file.
//! * `[DEFAULT]` holds fallbacks for every section.

use std::fmt;

/// Where a value was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file as it was named when read (the `-c` argument, or the
    /// include glob's match).
    pub file: String,
    /// 1-based line number of the `key = value` line.
    pub line: usize,
}

/// One option of a section.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

/// A section with its options in first-seen order (a later duplicate key
/// replaces the value but keeps the position, as a Python dict does).
#[derive(Clone, Debug)]
pub struct Section {
    pub name: String,
    /// The file in which the section first appeared.
    pub file: String,
    /// Line of the first header.
    pub line: usize,
    entries: Vec<Entry>,
}

impl Section {
    fn set(&mut self, key: String, value: String, origin: Origin) {
        match self.entries.iter_mut().find(|e| e.key == key) {
            Some(e) => {
                e.value = value;
                e.origin = origin;
            }
            None => self.entries.push(Entry { key, value, origin }),
        }
    }

    fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// A syntax error, worded as Python's configparser words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Text before the first section header.
    MissingSectionHeader {
        file: String,
        line: usize,
        raw: String,
    },
    /// Lines that are neither header, option, comment nor continuation.
    Parsing {
        file: String,
        lines: Vec<(usize, String)>,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::config::pyfmt::repr_str;
        match self {
            ParseError::MissingSectionHeader { file, line, raw } => write!(
                f,
                "File contains no section headers.\nfile: {}, line: {}\n{}",
                repr_str(file),
                line,
                repr_str(raw)
            ),
            ParseError::Parsing { file, lines } => {
                write!(f, "Source contains parsing errors: {}", repr_str(file))?;
                for (n, raw) in lines {
                    write!(f, "\n\t[line {n:2}]: {}", repr_str(raw))?;
                }
                Ok(())
            }
        }
    }
}

/// The parsed files: sections in first-seen order plus `[DEFAULT]`.
#[derive(Clone, Debug, Default)]
pub struct Ini {
    sections: Vec<Section>,
    /// Section name -> index in `sections` (configs with thousands of
    /// programs exist; lookups must not be linear).
    index: std::collections::HashMap<String, usize>,
    defaults: Vec<Entry>,
}

/// The name of the fallback section.
const DEFAULT_SECTION: &str = "DEFAULT";

/// Splits text into lines the way Python's universal-newline text mode does
/// (`\n`, `\r\n` and a lone `\r` all end a line), keeping a `\n` at the end
/// of every line that had one, since error messages show it.
fn python_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                cur.push('\n');
                lines.push(std::mem::take(&mut cur));
            }
            '\n' => {
                cur.push('\n');
                lines.push(std::mem::take(&mut cur));
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Byte index where an inline comment starts, as Python 3.6-3.12's
/// configparser finds it: in rounds, taking the next `;` and the next `#`
/// each round and stopping at the first round where one of them follows
/// whitespace. So in `a#b #c ;d` the ` ;` (found in round one) wins over
/// the ` #` (the second `#`, found in round two): the value is `a#b #c`.
fn comment_start(line: &str) -> Option<usize> {
    let trimmed = line.trim();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return Some(0);
    }
    let qualifies = |i: usize| {
        i == 0
            || line[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace)
    };
    let mut next_from = [Some(0usize), Some(0usize)];
    loop {
        let mut best: Option<usize> = None;
        for (k, prefix) in [';', '#'].into_iter().enumerate() {
            let Some(from) = next_from[k] else { continue };
            match line[from..].find(prefix) {
                None => next_from[k] = None,
                Some(off) => {
                    let i = from + off;
                    next_from[k] = Some(i + 1);
                    if qualifies(i) {
                        best = Some(best.map_or(i, |b: usize| b.min(i)));
                    }
                }
            }
        }
        if best.is_some() || next_from == [None, None] {
            return best;
        }
    }
}

/// A value being read: its lines, joined when the file ends.
struct Pending {
    section: Option<usize>, // None = DEFAULT
    key: String,
    lines: Vec<String>,
    origin: Origin,
}

impl Ini {
    pub fn new() -> Ini {
        Ini::default()
    }

    /// Reads one file's text. `file` is the name used in messages and
    /// recorded as each section's and value's origin. On a syntax error the
    /// values read before the bad line are kept, as in Python, but the
    /// caller is expected to stop.
    pub fn read_str(&mut self, text: &str, file: &str) -> Result<(), ParseError> {
        let mut cursect: Option<Option<usize>> = None; // Some(None) = DEFAULT
        let mut pending: Option<Pending> = None;
        let mut indent_level = 0usize;
        let mut errors: Vec<(usize, String)> = Vec::new();

        for (idx, raw) in python_lines(text).into_iter().enumerate() {
            let lineno = idx + 1;
            let cstart = comment_start(&raw);
            let value = raw[..cstart.unwrap_or(raw.len())].trim();
            if value.is_empty() {
                // Python's empty_lines_in_values: a blank line (without a
                // comment) becomes part of the value being read.
                if cstart.is_none() {
                    if let Some(p) = pending.as_mut() {
                        p.lines.push(String::new());
                    }
                }
                continue;
            }
            let cur_indent = raw.chars().take_while(|c| c.is_whitespace()).count();
            if let Some(p) = pending
                .as_mut()
                .filter(|_| cursect.is_some() && cur_indent > indent_level)
            {
                p.lines.push(value.to_string());
                continue;
            }
            indent_level = cur_indent;
            if let Some(name) = section_header(value) {
                self.finish(pending.take());
                if name == DEFAULT_SECTION {
                    cursect = Some(None);
                } else {
                    let i = match self.index.get(name) {
                        Some(&i) => i,
                        None => {
                            self.index.insert(name.to_string(), self.sections.len());
                            self.sections.push(Section {
                                name: name.to_string(),
                                file: file.to_string(),
                                line: lineno,
                                entries: Vec::new(),
                            });
                            self.sections.len() - 1
                        }
                    };
                    cursect = Some(Some(i));
                }
                continue;
            }
            let Some(section) = cursect else {
                return Err(ParseError::MissingSectionHeader {
                    file: file.to_string(),
                    line: lineno,
                    raw,
                });
            };
            match split_option(value) {
                Some((key, val)) if !key.is_empty() => {
                    self.finish(pending.take());
                    pending = Some(Pending {
                        section,
                        key: key.to_lowercase(),
                        lines: vec![val.to_string()],
                        origin: Origin {
                            file: file.to_string(),
                            line: lineno,
                        },
                    });
                }
                _ => errors.push((lineno, raw)),
            }
        }
        self.finish(pending.take());
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ParseError::Parsing {
                file: file.to_string(),
                lines: errors,
            })
        }
    }

    /// Stores a finished value: lines joined by `\n`, trailing whitespace
    /// (and so trailing blank lines) removed.
    fn finish(&mut self, pending: Option<Pending>) {
        let Some(p) = pending else { return };
        let value = p.lines.join("\n").trim_end().to_string();
        match p.section {
            Some(i) => self.sections[i].set(p.key, value, p.origin),
            None => match self.defaults.iter_mut().find(|e| e.key == p.key) {
                Some(e) => {
                    e.value = value;
                    e.origin = p.origin;
                }
                None => self.defaults.push(Entry {
                    key: p.key,
                    value,
                    origin: p.origin,
                }),
            },
        }
    }

    /// Section names in first-seen order (never `DEFAULT`).
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter()
    }

    pub fn has_section(&self, name: &str) -> bool {
        self.section(name).is_some()
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.index.get(name).map(|&i| &self.sections[i])
    }

    /// The option's entry, falling back to `[DEFAULT]`.
    pub fn entry(&self, section: &str, key: &str) -> Option<&Entry> {
        let key = key.to_lowercase();
        self.section(section)
            .and_then(|s| s.get(&key))
            .or_else(|| self.defaults.iter().find(|e| e.key == key))
    }

    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.entry(section, key).map(|e| e.value.as_str())
    }

    /// Every key visible in a section: its own, then `[DEFAULT]`'s others.
    pub fn keys(&self, section: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .section(section)
            .map(|s| s.entries.iter().map(|e| e.key.clone()).collect())
            .unwrap_or_default();
        for d in &self.defaults {
            if !keys.contains(&d.key) {
                keys.push(d.key.clone());
            }
        }
        keys
    }

    /// The keys written in the section itself (not inherited).
    pub fn own_entries(&self, section: &str) -> &[Entry] {
        self.section(section)
            .map(|s| s.entries.as_slice())
            .unwrap_or(&[])
    }

    /// Replaces the literal text `%(here)s` in every value of every section
    /// with `here`, as 4.3 does when an `[include]` section exists. Values
    /// inherited from `[DEFAULT]` are copied into each section, as Python's
    /// `set` on `items()` does.
    pub fn expand_here(&mut self, here: &str) {
        const HERE: &str = "%(here)s";
        let defaults = self.defaults.clone();
        for s in &mut self.sections {
            for d in &defaults {
                if s.get(&d.key).is_none() && d.value.contains(HERE) {
                    s.entries.push(d.clone());
                }
            }
            for e in &mut s.entries {
                if e.value.contains(HERE) {
                    e.value = e.value.replace(HERE, here);
                }
            }
        }
    }
}

/// `[name]` with the name running to the last `]`; at least one character.
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// Splits `key = value` at the first `=` or `:`; the key is right-trimmed,
/// the value trimmed.
fn split_option(value: &str) -> Option<(&str, &str)> {
    let i = value.find(['=', ':'])?;
    Some((value[..i].trim_end(), value[i + 1..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Ini {
        let mut ini = Ini::new();
        ini.read_str(text, "t.conf").expect("parses");
        ini
    }

    fn err(text: &str) -> String {
        Ini::new().read_str(text, "t.conf").unwrap_err().to_string()
    }

    #[test]
    fn inline_comment_needs_whitespace_before_it() {
        // spec/config.md 2.2; configparser-rs would cut `a;b` at the `;`.
        let ini =
            parse("[p]\ncommand=/bin/prog a;b c ;comment\nx=a#b\ny=v #c\nz=echo a ;comment\n");
        assert_eq!(ini.get("p", "z"), Some("echo a"));
        // Python 3.11's rounds: the first `;` qualifies before the second `#`.
        let ini2 = parse("[p]\na=/bin/echo a#b #c ;d\nb=a;b ;c #d\nc=x#y#z #w ;v\n");
        assert_eq!(ini2.get("p", "a"), Some("/bin/echo a#b #c"));
        assert_eq!(ini2.get("p", "b"), Some("a;b ;c"));
        assert_eq!(ini2.get("p", "c"), Some("x#y#z #w"));
        assert_eq!(ini.get("p", "command"), Some("/bin/prog a;b c"));
        assert_eq!(ini.get("p", "x"), Some("a#b"));
        assert_eq!(ini.get("p", "y"), Some("v"));
    }

    #[test]
    fn no_escape_for_spaced_semicolon() {
        // 4.3 quirk 1: `sh -c 'a ; b'` is truncated and we keep that.
        let ini = parse("[p]\ncommand=sh -c 'a ; b'\nc2=sh -c \"a;b\"\nc3=/bin/prog  #x ;y\n");
        assert_eq!(ini.get("p", "command"), Some("sh -c 'a"));
        assert_eq!(ini.get("p", "c2"), Some("sh -c \"a;b\""));
        assert_eq!(ini.get("p", "c3"), Some("/bin/prog"));
    }

    #[test]
    fn header_keeps_inner_whitespace_and_runs_to_last_bracket() {
        let ini = parse("[program: foo]\na=1\n[x]y] trailing\nb=2\n");
        assert!(ini.has_section("program: foo"));
        assert_eq!(ini.get("x]y", "b"), Some("2"));
    }

    #[test]
    fn keys_are_lowercased_sections_are_not() {
        let ini = parse("[Program:X]\nAUTOSTART = true\ncommand: /bin/cat\n");
        assert_eq!(ini.get("Program:X", "autostart"), Some("true"));
        assert_eq!(ini.get("Program:X", "command"), Some("/bin/cat"));
        assert!(!ini.has_section("program:x"));
    }

    #[test]
    fn continuation_lines_join_with_newline_keeping_inner_blanks() {
        let ini = parse("[p]\ncommand=/bin/x\n  a\n\n  ; comment\n  b\n\nnext=1\n");
        assert_eq!(ini.get("p", "command"), Some("/bin/x\na\n\nb"));
        assert_eq!(ini.get("p", "next"), Some("1"));
    }

    #[test]
    fn indented_header_is_a_continuation() {
        // configparser-rs would open a section here.
        let ini = parse("[p]\na=1\n  [q]\n");
        assert_eq!(ini.get("p", "a"), Some("1\n[q]"));
        assert!(!ini.has_section("q"));
    }

    #[test]
    fn duplicates_merge_and_last_wins() {
        let ini = parse("[p]\na=1\nb=2\n[q]\n[p]\na=3\n");
        assert_eq!(ini.get("p", "a"), Some("3"));
        assert_eq!(ini.get("p", "b"), Some("2"));
        let keys: Vec<_> = ini
            .section("p")
            .unwrap()
            .entries()
            .iter()
            .map(|e| &e.key)
            .collect();
        assert_eq!(keys, ["a", "b"]);
    }

    #[test]
    fn default_section_is_a_fallback() {
        let ini = parse("[DEFAULT]\nstopwaitsecs=3\n[p]\na=1\n");
        assert_eq!(ini.get("p", "stopwaitsecs"), Some("3"));
        assert_eq!(ini.sections().count(), 1);
    }

    #[test]
    fn text_before_first_section() {
        assert_eq!(
            err("a=1\n[p]\n"),
            "File contains no section headers.\nfile: 't.conf', line: 1\n'a=1\\n'"
        );
    }

    #[test]
    fn lines_without_delimiter_are_collected() {
        assert_eq!(
            err("[p]\njunk\na=1\n: novalue\nmore junk"),
            "Source contains parsing errors: 't.conf'\n\t[line  2]: 'junk\\n'\n\t[line  4]: ': novalue\\n'\n\t[line  5]: 'more junk'"
        );
    }

    #[test]
    fn empty_brackets_are_not_a_header() {
        assert!(err("[p]\n[]\n").contains("[line  2]: '[]\\n'"));
    }

    #[test]
    fn carriage_returns_end_lines() {
        let ini = parse("[p]\r\na=1\rb=2\r\n");
        assert_eq!(ini.get("p", "a"), Some("1"));
        assert_eq!(ini.get("p", "b"), Some("2"));
    }

    #[test]
    fn expand_here_is_textual() {
        let mut ini = parse("[p]\na=%(here)s/x\nb=%%(here)s\n");
        ini.expand_here("/etc/sv");
        assert_eq!(ini.get("p", "a"), Some("/etc/sv/x"));
        assert_eq!(ini.get("p", "b"), Some("%/etc/sv"));
    }

    #[test]
    fn origin_is_the_option_line() {
        let ini = parse("[p]\n\na=1\n  2\n");
        assert_eq!(
            ini.entry("p", "a").unwrap().origin,
            Origin {
                file: "t.conf".into(),
                line: 3
            }
        );
    }
}
