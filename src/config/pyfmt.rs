//! Python's `%` string formatting with a mapping, which is what Supervisor
//! 4.3's `%(name)s` expansion is, and Python's `repr()` of strings, which
//! its error messages quote values with.
//!
//! Supported: `%(name)` followed by flags (`#0- +`), width, precision and
//! any conversion (`s r a d i u o x X e E f F g G c`), and `%%`. A
//! conversion without a name (`%s`) is rejected instead of dumping the whole
//! expansion table into the value as 4.3 does (docs/compat.md).

use std::collections::BTreeMap;

/// A value available to expansion: `process_num` and `numprocs` are
/// integers, everything else is a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PyValue {
    Str(String),
    Int(i64),
}

/// Names available to one expansion, sorted as 4.3 lists them in errors.
pub type Expansions = BTreeMap<String, PyValue>;

/// Python `repr()` of a string: single quotes unless the text has a single
/// quote and no double quote; backslash escapes for control characters.
pub fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_whitespace() && c != ' ' || not_printable(c) => {
                out.push_str(&ascii_escape(c))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Characters Python's `str.isprintable()` rejects beyond controls and
/// whitespace: format characters (Cf), private use (Co), surrogates and
/// noncharacters. (Unassigned code points are not tracked.)
fn not_printable(c: char) -> bool {
    let n = c as u32;
    matches!(n,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x180e
        | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f
        | 0xfeff | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f
        | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f
        | 0xe000..=0xf8ff | 0xf0000..=0xffffd | 0x100000..=0x10fffd)
        || (n & 0xfffe) == 0xfffe
        || (0xfdd0..=0xfdef).contains(&n)
}

/// Why a format string could not be expanded, worded as Python's errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// A `%(name)` not in the table (the message is the KeyError's `'name'`).
    UnknownName(String),
    /// Anything else, with Python's text (`incomplete format`, ...).
    Bad(String),
}

struct Spec {
    flags: String,
    width: Option<usize>,
    precision: Option<usize>,
    conv: char,
}

/// Expands `s` like Python's `s % expansions`.
pub fn format(s: &str, expansions: &Expansions) -> Result<String, FormatError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start_index = i;
        i += 1;
        if i >= chars.len() {
            return Err(FormatError::Bad("incomplete format".into()));
        }
        let mut name: Option<String> = None;
        if chars[i] == '(' {
            let mut depth = 1;
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && depth > 0 {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            if depth > 0 {
                return Err(FormatError::Bad("incomplete format key".into()));
            }
            name = Some(chars[start..j - 1].iter().collect());
            i = j;
        }
        let mut flags = String::new();
        while i < chars.len() && "#0- +".contains(chars[i]) {
            flags.push(chars[i]);
            i += 1;
        }
        let width = read_number(&chars, &mut i)?;
        let mut precision = None;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            precision = Some(read_number(&chars, &mut i)?.unwrap_or(0));
        }
        while i < chars.len() && "hlL".contains(chars[i]) {
            i += 1;
        }
        if i >= chars.len() {
            return Err(FormatError::Bad("incomplete format".into()));
        }
        let conv = chars[i];
        let conv_index = i;
        i += 1;
        // Only a bare `%%` is a literal percent; `%(x)%` or `%5%` is not.
        if conv == '%' && conv_index == start_index + 1 {
            out.push('%');
            continue;
        }
        if !"sradiuoxXeEfFgGc".contains(conv) {
            // Python shows printable ASCII as is and anything else as '?'.
            let shown = if (' '..='~').contains(&conv) {
                conv
            } else {
                '?'
            };
            return Err(FormatError::Bad(format!(
                "unsupported format character '{shown}' (0x{:x}) at index {conv_index}",
                conv as u32
            )));
        }
        let Some(name) = name else {
            return Err(FormatError::Bad(format!(
                "'%{conv}' has no name: write %(name){conv} to insert a value, or %% for a literal %"
            )));
        };
        let value = expansions
            .get(&name)
            .ok_or_else(|| FormatError::UnknownName(repr_str(&name)))?;
        let spec = Spec {
            flags,
            width,
            precision,
            conv,
        };
        out.push_str(&convert(value, &spec)?);
    }
    Ok(out)
}

fn read_number(chars: &[char], i: &mut usize) -> Result<Option<usize>, FormatError> {
    if *i < chars.len() && chars[*i] == '*' {
        // `*` takes the width from the next positional argument; with a
        // mapping there is none.
        return Err(FormatError::Bad(
            "not enough arguments for format string".into(),
        ));
    }
    let start = *i;
    while *i < chars.len() && chars[*i].is_ascii_digit() {
        *i += 1;
    }
    if *i == start {
        return Ok(None);
    }
    let digits: String = chars[start..*i].iter().collect();
    digits
        .parse()
        .map(Some)
        .map_err(|_| FormatError::Bad("width too big".into()))
}

fn type_name(v: &PyValue) -> &'static str {
    match v {
        PyValue::Str(_) => "str",
        PyValue::Int(_) => "int",
    }
}

fn convert(value: &PyValue, spec: &Spec) -> Result<String, FormatError> {
    let left = spec.flags.contains('-');
    let zero = spec.flags.contains('0') && !left;
    let alt = spec.flags.contains('#');
    let sign_plus = spec.flags.contains('+');
    let sign_space = spec.flags.contains(' ');
    let body = match spec.conv {
        's' | 'r' | 'a' => {
            let mut text = match (value, spec.conv) {
                (PyValue::Str(s), 's') => s.clone(),
                (PyValue::Str(s), _) => repr_str(s),
                (PyValue::Int(n), _) => n.to_string(),
            };
            if spec.conv == 'a' {
                text = text
                    .chars()
                    .map(|c| {
                        if c.is_ascii() {
                            c.to_string()
                        } else {
                            ascii_escape(c)
                        }
                    })
                    .collect();
            }
            if let Some(p) = spec.precision {
                text = text.chars().take(p).collect();
            }
            return Ok(pad(text, spec.width, left));
        }
        'c' => {
            let text = match value {
                PyValue::Int(n) => char::from_u32(*n as u32)
                    .map(String::from)
                    .ok_or_else(|| FormatError::Bad("%c arg not in range(0x110000)".into()))?,
                PyValue::Str(s) if s.chars().count() == 1 => s.clone(),
                PyValue::Str(_) => {
                    return Err(FormatError::Bad("%c requires int or char".into()));
                }
            };
            return Ok(pad(text, spec.width, left));
        }
        _ => {
            let PyValue::Int(n) = value else {
                return Err(FormatError::Bad(if "eEfFgG".contains(spec.conv) {
                    format!("must be real number, not {}", type_name(value))
                } else {
                    format!(
                        "%{} format: a real number is required, not {}",
                        spec.conv,
                        type_name(value)
                    )
                }));
            };
            let n = *n;
            let sign = if n < 0 {
                "-"
            } else if sign_plus {
                "+"
            } else if sign_space {
                " "
            } else {
                ""
            };
            let mag = n.unsigned_abs();
            let (prefix, mut digits) = match spec.conv {
                'd' | 'i' | 'u' => ("", mag.to_string()),
                'o' => (if alt { "0o" } else { "" }, format!("{mag:o}")),
                'x' => (if alt { "0x" } else { "" }, format!("{mag:x}")),
                'X' => (if alt { "0X" } else { "" }, format!("{mag:X}")),
                c => (
                    "",
                    float_digits(mag as f64, c, spec.precision.unwrap_or(6), alt),
                ),
            };
            if let Some(p) = spec.precision.filter(|_| "diuoxX".contains(spec.conv)) {
                if digits.len() < p {
                    digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                }
            }
            (format!("{sign}{prefix}"), digits)
        }
    };
    // Zero padding goes between the sign/prefix and the digits.
    let (head, digits) = body;
    let len = head.chars().count() + digits.len();
    match spec.width {
        Some(w) if w > len && zero => Ok(format!("{head}{}{digits}", "0".repeat(w - len))),
        _ => Ok(pad(format!("{head}{digits}"), spec.width, left)),
    }
}

fn ascii_escape(c: char) -> String {
    let n = c as u32;
    if n <= 0xff {
        format!("\\x{n:02x}")
    } else if n <= 0xffff {
        format!("\\u{n:04x}")
    } else {
        format!("\\U{n:08x}")
    }
}

fn float_digits(x: f64, conv: char, precision: usize, alt: bool) -> String {
    let upper = conv.is_ascii_uppercase();
    let text = match conv.to_ascii_lowercase() {
        'f' if alt && precision == 0 => format!("{x:.0}."),
        'f' => format!("{x:.precision$}"),
        'e' if alt && precision == 0 => exp_format(x, 0).replacen('e', ".e", 1),
        'e' => exp_format(x, precision),
        _ => {
            // C's definition: the exponent of the value rounded to p
            // significant digits. For the integers formatted here that is
            // floor(log10(x)), but log10 was the binary's only libm symbol,
            // and libm's mapping cost the daemon 0.3 MiB of RSS.
            let p = precision.max(1);
            let sci = exp_format(x, p - 1);
            let exp: i32 = sci
                .rsplit_once('e')
                .and_then(|(_, e)| e.parse().ok())
                .unwrap_or(0);
            let mut s = if exp < -4 || exp >= p as i32 {
                sci
            } else {
                format!("{x:.*}", (p as i32 - 1 - exp).max(0) as usize)
            };
            if !alt {
                s = strip_fraction_zeros(&s);
            }
            s
        }
    };
    if upper { text.to_uppercase() } else { text }
}

fn exp_format(x: f64, precision: usize) -> String {
    let s = format!("{x:.precision$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

fn strip_fraction_zeros(s: &str) -> String {
    let (m, e) = match s.find('e') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let m = if m.contains('.') {
        m.trim_end_matches('0').trim_end_matches('.')
    } else {
        m
    };
    format!("{m}{e}")
}

fn pad(text: String, width: Option<usize>, left: bool) -> String {
    let len = text.chars().count();
    match width {
        Some(w) if w > len => {
            let fill = " ".repeat(w - len);
            if left {
                format!("{text}{fill}")
            } else {
                format!("{fill}{text}")
            }
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Expansions {
        let mut t = Expansions::new();
        t.insert("program_name".into(), PyValue::Str("web".into()));
        t.insert("process_num".into(), PyValue::Int(7));
        t.insert("here".into(), PyValue::Str("/etc".into()));
        t
    }

    fn f(s: &str) -> Result<String, FormatError> {
        format(s, &table())
    }

    #[test]
    fn names_and_literal_percent() {
        assert_eq!(
            f("%(program_name)s_%(process_num)02d 100%%").unwrap(),
            "web_07 100%"
        );
        assert_eq!(f("%(here)s/log").unwrap(), "/etc/log");
    }

    #[test]
    fn integer_conversions() {
        assert_eq!(f("%(process_num)d|%(process_num)x|%(process_num)#o|%(process_num)-3d|%(process_num)+d").unwrap(), "7|7|0o7|7  |+7");
        assert_eq!(f("%(process_num)5.3d").unwrap(), "  007");
        assert_eq!(f("%(process_num)s").unwrap(), "7");
        assert_eq!(f("%(process_num).2f").unwrap(), "7.00");
        assert_eq!(f("%(process_num)e").unwrap(), "7.000000e+00");
        assert_eq!(f("%(process_num)g").unwrap(), "7");
        // The exponent after rounding decides between the two forms.
        assert_eq!(float_digits(99.0, 'g', 1, false), "1e+02");
        assert_eq!(float_digits(999_999.0, 'g', 6, false), "999999");
        assert_eq!(float_digits(9_999_999.0, 'g', 6, false), "1e+07");
        assert_eq!(float_digits(123_456_789.0, 'G', 6, false), "1.23457E+08");
        assert_eq!(float_digits(100_000.0, 'g', 6, false), "100000");
        assert_eq!(float_digits(0.0, 'g', 6, true), "0.00000");
        // Values checked against Python 3.11 ('%#06x' % 7 and so on).
        assert_eq!(
            f("%(process_num)#06x|%(process_num)#.3x|%(process_num)#.0f|%(process_num)#08o|%(process_num)+#x|%(process_num)#5.3d").unwrap(),
            "0x0007|0x007|7.|0o000007|+0x7|  007"
        );
        assert_eq!(
            f("%(process_num)#10.2e|%(process_num)#g").unwrap(),
            "  7.00e+00|7.00000"
        );
    }

    #[test]
    fn string_conversions() {
        assert_eq!(f("%(program_name)r").unwrap(), "'web'");
        assert_eq!(
            f("%(program_name)5s|%(program_name)-5s|%(program_name).1s").unwrap(),
            "  web|web  |w"
        );
    }

    #[test]
    fn errors_use_python_words() {
        assert_eq!(
            f("%(nope)s"),
            Err(FormatError::UnknownName("'nope'".into()))
        );
        assert_eq!(f("50%"), Err(FormatError::Bad("incomplete format".into())));
        assert_eq!(
            f("%(here"),
            Err(FormatError::Bad("incomplete format key".into()))
        );
        assert_eq!(
            f("%b"),
            Err(FormatError::Bad(
                "unsupported format character 'b' (0x62) at index 1".into()
            ))
        );
        let bad = |s: &str| match f(s) {
            Err(FormatError::Bad(m)) => m,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(
            bad("%(process_num)%"),
            "unsupported format character '%' (0x25) at index 14"
        );
        assert_eq!(
            bad("%5%"),
            "unsupported format character '%' (0x25) at index 2"
        );
        assert_eq!(
            bad("%(here)'"),
            "unsupported format character ''' (0x27) at index 7"
        );
        assert_eq!(
            bad("%(here)\u{e9}"),
            "unsupported format character '?' (0xe9) at index 7"
        );
        assert_eq!(
            bad("%(process_num)*d"),
            "not enough arguments for format string"
        );
        assert_eq!(
            f("%(program_name)d"),
            Err(FormatError::Bad(
                "%d format: a real number is required, not str".into()
            ))
        );
    }

    #[test]
    fn bare_conversion_is_rejected_not_dumped() {
        let e = f("/bin/echo %s").unwrap_err();
        assert!(matches!(e, FormatError::Bad(m) if m.contains("has no name")));
    }

    #[test]
    fn repr_matches_python() {
        assert_eq!(repr_str("a"), "'a'");
        assert_eq!(repr_str("it's"), "\"it's\"");
        assert_eq!(repr_str("'\""), "'\\'\"'");
        assert_eq!(repr_str("a\tb\n\x01\\"), "'a\\tb\\n\\x01\\\\'");
        assert_eq!(repr_str("é"), "'é'");
        assert_eq!(
            repr_str("a\u{200b}b\u{ad}\u{e000}\u{fffe}\u{f0000}\u{2028}\u{a0}"),
            "'a\\u200bb\\xad\\ue000\\ufffe\\U000f0000\\u2028\\xa0'"
        );
    }
}
