//! The few Python text conversions the crate leans on (XML-RPC values,
//! configuration numbers, command arguments), with Python's rules:
//! `int(text)`, `float(text)`, `repr(float)`, the `%Y%m%dT%H:%M:%S`
//! `strptime` check, and base64 as `base64.encodebytes` /
//! `base64.decodebytes` do it.

/// Python's `int(text)` for base 10: surrounding white space, an optional
/// sign, ASCII digits with single underscores between them. `None` where
/// Python raises, and also beyond `i64` (Python's ints have no limit).
pub fn int(text: &str) -> Option<i64> {
    let (negative, digits) = int_literal(text)?;
    let mut n: i64 = 0;
    for b in digits.bytes().filter(|&b| b != b'_') {
        let d = i64::from(b - b'0');
        n = n.checked_mul(10)?;
        n = if negative {
            n.checked_sub(d)?
        } else {
            n.checked_add(d)?
        };
    }
    Some(n)
}

/// Python's `float(text)`: surrounding white space, decimal or exponent
/// notation with single underscores between digits, `inf`, `infinity` and
/// `nan` in any case, each with an optional sign.
pub fn float(text: &str) -> Option<f64> {
    let t = text.trim();
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" || lower == "nan" {
        let magnitude = if lower == "nan" {
            f64::NAN
        } else {
            f64::INFINITY
        };
        return Some(if t.starts_with('-') {
            -magnitude
        } else {
            magnitude
        });
    }
    let ok = !unsigned.is_empty()
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || b"._eE+-".contains(&b))
        && underscores_ok(unsigned);
    if !ok {
        return None;
    }
    t.replace('_', "").parse().ok()
}

/// Python's `str.isspace()` for one character, which `str.split()` and
/// the `\s` of text patterns use: Unicode White_Space plus the
/// information separators U+001C to U+001F, which Rust does not count.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Whether Python's `int(text)` succeeds, whatever the size of the number
/// (`int` above gives up beyond 64 bits; Python does not).
pub fn is_int(text: &str) -> bool {
    int_literal(text).is_some()
}

/// The sign and digits of a decimal integer literal as `int()` reads it.
fn int_literal(text: &str) -> Option<(bool, &str)> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let ok = !digits.is_empty()
        && underscores_ok(digits)
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    ok.then_some((negative, digits))
}

/// Every `_` sits between two ASCII digits.
fn underscores_ok(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).all(|i| {
        b[i] != b'_'
            || (i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
    })
}

/// Python's `repr(float)`: the shortest text that reads back as the same
/// number, in fixed notation when the decimal exponent is from -4 to 15
/// (`0.0001`, `1e-05`, `1000000000000000.0`, `1e+16`), else in exponent
/// notation with a sign and at least two exponent digits.
pub fn float_repr(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` gives the same shortest round-tripping digits.
    let sci = format!("{d:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is a number");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    let digits = break_tie_to_even(d.abs(), digits, exponent);
    let mut out = String::from(sign);
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // digits before the decimal point
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if (point as usize) < digits.len() {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        } else {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
            out.push_str(".0");
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        out.push_str(&format!("e{exp_sign}{:02}", exponent.unsigned_abs()));
    }
    out
}

/// Rust and Python both pick the shortest digits that read back as `x`,
/// and the closest of those; when two are equally close, Rust takes the
/// larger and Python (David Gay's dtoa) the one ending in an even digit.
/// Given Rust's `digits` (exponent `exponent`) for positive `x`, returns
/// Python's.
fn break_tie_to_even(x: f64, digits: String, exponent: i32) -> String {
    // Every double's exact decimal expansion fits in 767 digits.
    let exact = format!("{x:.767e}");
    let (mantissa, exact_exponent) = exact.split_once('e').expect("{:e} has an exponent");
    if exact_exponent.parse() != Ok(exponent) {
        return digits;
    }
    let exact: String = mantissa.chars().filter(|&c| c != '.').collect();
    let exact = exact.trim_end_matches('0');
    let n = digits.len();
    // A tie: the exact value ends one digit further, in a 5.
    if exact.len() != n + 1 || !exact.ends_with('5') {
        return digits;
    }
    let lower = &exact[..n];
    let last_even = |s: &str| s.bytes().last().is_some_and(|b| (b - b'0') % 2 == 0);
    let other = if digits == lower {
        match increment(lower) {
            Some(upper) => upper,
            None => return digits,
        }
    } else {
        lower.to_string()
    };
    let reads_back = format!("{}.{}e{exponent}", &other[..1], &other[1..])
        .parse::<f64>()
        .is_ok_and(|y| y == x);
    if !last_even(&digits) && last_even(&other) && reads_back {
        other
    } else {
        digits
    }
}

/// The decimal digit string plus one in its last place, if that does not
/// add a digit.
fn increment(digits: &str) -> Option<String> {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

/// Whether `datetime(*time.strptime(text, "%Y%m%dT%H:%M:%S")[:6])`
/// succeeds: strptime's patterns (`%m`, `%d`, `%H`, `%M`, `%S` may be one
/// digit), matched with backtracking over their alternatives, then a real
/// date with seconds below 60.
pub fn is_strptime_datetime(text: &str) -> bool {
    // Each field's alternatives in strptime's order; an alternative lists,
    // per character, the bytes allowed there. Then the separator after the
    // field (0 for none); strptime ignores case, so `T` also matches `t`.
    const D: &str = "0123456789";
    const FIELDS: [(&[&[&str]], u8); 6] = [
        (&[&[D, D, D, D]], 0),                                      // %Y
        (&[&["1", "012"], &["0", "123456789"], &["123456789"]], 0), // %m
        (
            &[
                &["3", "01"],
                &["12", D],
                &["0", "123456789"],
                &["123456789"],
                &[" ", "123456789"],
            ],
            b'T',
        ), // %d
        (&[&["2", "0123"], &["01", D], &[D]], b':'),                // %H
        (&[&["012345", D], &[D]], b':'),                            // %M
        (&[&["6", "01"], &["012345", D], &[D]], 0),                 // %S
    ];

    fn number(bytes: &[u8]) -> u32 {
        bytes
            .iter()
            .filter(|b| b.is_ascii_digit())
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    }

    /// The regex `match`: leftmost alternatives first, backtracking only
    /// until the pattern matches, not to use up the text. The text left
    /// over, if it matched.
    fn search<'t>(text: &'t [u8], field: usize, found: &mut [u32; 6]) -> Option<&'t [u8]> {
        if field == FIELDS.len() {
            return Some(text);
        }
        let (alternatives, separator) = FIELDS[field];
        for alt in alternatives {
            if text.len() < alt.len()
                || !alt
                    .iter()
                    .zip(text)
                    .all(|(set, b)| set.as_bytes().contains(b))
            {
                continue;
            }
            let mut rest = &text[alt.len()..];
            if separator != 0 {
                match rest.first() {
                    Some(&b) if b.eq_ignore_ascii_case(&separator) => rest = &rest[1..],
                    _ => continue,
                }
            }
            found[field] = number(&text[..alt.len()]);
            if let Some(left) = search(rest, field + 1, found) {
                return Some(left);
            }
        }
        None
    }

    fn valid(f: &[u32; 6]) -> bool {
        let [year, month, day, _, _, second] = *f;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        year >= 1 && day <= days && second < 60
    }

    let mut found = [0; 6];
    search(text.as_bytes(), 0, &mut found).is_some_and(|left| left.is_empty()) && valid(&found)
}

/// `base64.encodebytes`: lines of at most 76 characters, each ending in a
/// newline (nothing at all for no bytes).
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() / 57 * 77 + 77);
    for line in bytes.chunks(57) {
        for group in line.chunks(3) {
            let n = group
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= group.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out.push('\n');
    }
    out
}

/// `base64.decodebytes` (binascii's non-strict mode): characters outside
/// the alphabet are skipped, a complete pad ends the data, and what is left
/// must not stop part way through a group.
pub fn base64_decode(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut quad = 0;
    let mut pads = 0;
    let mut left: u32 = 0;
    for &c in text {
        if c == b'=' {
            if quad >= 2 {
                pads += 1;
                if quad + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        let v = u32::from(v);
        pads = 0;
        match quad {
            0 => left = v,
            1 => {
                out.push((left << 2 | v >> 4) as u8);
                left = v & 0x0f;
            }
            2 => {
                out.push((left << 4 | v >> 2) as u8);
                left = v & 0x03;
            }
            _ => out.push((left << 6 | v) as u8),
        }
        quad = (quad + 1) % 4;
    }
    match quad {
        0 => Ok(out),
        1 => Err("invalid base64: one character more than a multiple of 4".into()),
        _ => Err("invalid base64: incorrect padding".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_is_str_isspace() {
        // The characters Python's str.isspace() accepts below U+0100.
        let python: Vec<char> = "\t\n\u{b}\u{c}\r\u{1c}\u{1d}\u{1e}\u{1f} \u{85}\u{a0}"
            .chars()
            .collect();
        let ours: Vec<char> = (0..0x100u32)
            .filter_map(char::from_u32)
            .filter(|&c| is_space(c))
            .collect();
        assert_eq!(ours, python);
        assert!(is_space('\u{3000}') && !is_space('\u{200b}'));
    }

    #[test]
    fn int_follows_python() {
        assert_eq!(int(" +1_0 "), Some(10));
        assert_eq!(int("-42"), Some(-42));
        assert_eq!(int("007"), Some(7));
        assert_eq!(int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(int("9223372036854775808"), None);
        assert!(is_int("99999999999999999999") && is_int("-1_0"));
        for bad in [
            "", " ", "1_", "_1", "1__0", "0x10", "1.0", "--1", "+", "1 2",
        ] {
            assert_eq!(int(bad), None, "{bad:?}");
            assert!(!is_int(bad), "{bad:?}");
        }
    }

    #[test]
    fn float_follows_python() {
        assert_eq!(float(" 1_0.5e1 "), Some(105.0));
        assert_eq!(float("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(float("+inf"), Some(f64::INFINITY));
        assert!(float("-NaN").unwrap().is_nan());
        assert_eq!(float(".5"), Some(0.5));
        assert_eq!(float("1."), Some(1.0));
        assert_eq!(float("1E+3"), Some(1000.0));
        assert_eq!(float("1.e5"), Some(1e5));
        assert_eq!(float("1e5_0"), Some(1e50));
        assert_eq!(float("-.5e-3"), Some(-0.0005));
        assert_eq!(float("infINITY"), Some(f64::INFINITY));
        for bad in [
            "", ".", "e5", "1_.5", "1._5", "1_e5", "1e_5", "1e", "0x1p3", "in", "1,5", "infinit",
            "+-1",
        ] {
            assert_eq!(float(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn float_repr_matches_python() {
        // Each pair checked against Python 3.11's repr().
        for (d, text) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (123456789.125, "123456789.125"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (1e100, "1e+100"),
            // Exactly halfway between two shortest candidates: Python takes
            // the even one (Rust's own formatting, the odd one here).
            (3296791333454525.0 / 4.0, "824197833363631.2"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ] {
            assert_eq!(float_repr(d), text);
        }
    }

    #[test]
    fn strptime_follows_python() {
        for good in [
            "20240101T12:30:45",
            "2024011T1:2:3",
            "20240229T00:00:00",
            "20241231t23:59:59",
            "20241 1T0:0:0",
            "2024111T1:2:3",
            "202411T1:2:3",
        ] {
            assert!(is_strptime_datetime(good), "{good:?}");
        }
        for bad in [
            "",
            "2024-01-01T12:30:45",
            "20230229T00:00:00",
            "20240101T24:00:00",
            "20240101T12:30:60",
            "00000101T00:00:00",
            "20240101T12:30:45Z",
            "20240101 12:30:45",
            "2024 1 1T0:0:0",
            "20240101T12:30:4 5",
            "20240101T12:30:456",
            " 20240101T12:30:45",
            "20240101T12:30:45 ",
            "2024231T1:1:1",
        ] {
            assert!(!is_strptime_datetime(bad), "{bad:?}");
        }
    }

    #[test]
    fn base64_follows_python() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=\n");
        assert_eq!(base64_encode(&[0xff; 58]), "/".repeat(76) + "\n/w==\n");
        assert_eq!(base64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode(b"aGV\nsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode(b"AAA=AAAA").unwrap(), [0, 0]);
        assert_eq!(base64_decode(b"=/w==").unwrap(), [0xff]);
        assert_eq!(base64_decode(b"!!!").unwrap(), b"");
        assert_eq!(base64_decode(b"/w=A=").unwrap().len(), 2);
        for bad in [&b"aGV sbG8"[..], b"/w=", b"/w", b"/", b"AA=A"] {
            assert!(base64_decode(bad).is_err(), "{bad:?}");
        }
    }
}
