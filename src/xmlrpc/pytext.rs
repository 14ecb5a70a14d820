//! The few Python text conversions XML-RPC leans on, with Python's rules:
//! `repr(float)` and base64 as `base64.encodebytes` does it.

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn base64_encode_follows_python() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=\n");
        assert_eq!(base64_encode(&[0xff; 58]), "/".repeat(76) + "\n/w==\n");
    }
}
