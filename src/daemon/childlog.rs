//! What happens to a child's output between the pipe and its destinations,
//! apart from the files themselves (`rotating` owns those): naming and
//! cleaning up AUTO log files, ANSI stripping, syslog messages, and the
//! DEBG copy in the main log (logging.md §1, §3, §6, §7).
//!
//! Each helper reproduces one piece of 4.3 exactly, because its output is
//! visible: file names are matched by people's cleanup scripts, and the
//! main-log and syslog texts are read by people and parsers.

use std::borrow::Cow;
use std::ffi::CString;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::config::pyfmt::repr_str;

/// The characters of Python's `tempfile` names.
const NAME_CHARS: &[u8; 37] = b"abcdefghijklmnopqrstuvwxyz0123456789_";

/// How many names `mkstemp` tries before giving up (`os.TMP_MAX`).
const NAME_ATTEMPTS: usize = 10_000;

/// Fills `buf` from the kernel's random source.
fn fill_random(buf: &mut [u8]) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut filled = 0;
        while filled < buf.len() {
            // SAFETY: writes at most the remaining length into our buffer.
            let n = unsafe {
                libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0)
            };
            if n > 0 {
                filled += n as usize;
                continue;
            }
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // Old kernels without getrandom fall through to the device.
            break;
        }
        if filled == buf.len() {
            return Ok(());
        }
    }
    fs::File::open("/dev/urandom")?.read_exact(buf)
}

/// Eight characters from `a-z0-9_`, evenly distributed.
fn random_name_part() -> io::Result<String> {
    let mut out = String::with_capacity(8);
    // 222 = 6 × 37: bytes at or above it would favour the first letters.
    let mut bytes = [0u8; 16];
    while out.len() < 8 {
        fill_random(&mut bytes)?;
        for &b in bytes.iter().filter(|&&b| b < 222) {
            if out.len() < 8 {
                out.push(NAME_CHARS[(b % 37) as usize] as char);
            }
        }
    }
    Ok(out)
}

/// Creates the empty AUTO log file of one channel, as 4.3's `mkstemp`
/// call does: `<process>-<channel>---<identifier>-<8 random>.log` in
/// `childlogdir`, exclusive create, mode 0600 (less the umask). Returns its
/// absolute path.
pub fn create_auto_log(
    childlogdir: &Path,
    process: &str,
    channel: &str,
    identifier: &str,
) -> io::Result<PathBuf> {
    let dir = if childlogdir.is_absolute() {
        childlogdir.to_path_buf()
    } else {
        std::env::current_dir()?.join(childlogdir)
    };
    for _ in 0..NAME_ATTEMPTS {
        let name = format!(
            "{process}-{channel}---{identifier}-{}.log",
            random_name_part()?
        );
        let path = dir.join(name);
        let created = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path);
        match created {
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "No usable temporary file name found",
    ))
}

/// True when `name` is one of our AUTO logs (or a rotated backup of one):
/// 4.3's `re.match(r'.+?---<identifier>-\S+\.log\.{0,1}\d{0,4}', name)`.
/// The optional tail can match nothing and `re.match` anchors only the
/// start, so this asks: does the name start with one or more characters
/// other than a newline, then `---<identifier>-`, then a run of
/// non-space characters that contains `.log` after its first character?
/// The identifier is taken literally (4.3 pastes it into the pattern).
pub fn is_auto_log_name(name: &str, identifier: &str) -> bool {
    let marker = format!("---{identifier}-");
    let first_newline = name.find('\n').unwrap_or(name.len());
    // The marker starts with '-', so every match is on a char boundary,
    // and the text before it must be at least one non-newline char.
    (1..=first_newline).any(|start| {
        name.is_char_boundary(start) && name[start..].starts_with(&marker) && {
            let rest = &name[start + marker.len()..];
            let word_end = rest.find(crate::pytext::is_space).unwrap_or(rest.len());
            let mut after_first = rest[..word_end].chars();
            after_first.next().is_some() && after_first.as_str().contains(".log")
        }
    })
}

/// Deletes old AUTO logs in `childlogdir` at start-up (unless
/// `nocleanup`). Returns 4.3's warnings for the caller to log at WARN.
pub fn cleanup_auto_logs(childlogdir: &Path, identifier: &str) -> Vec<String> {
    let entries = match fs::read_dir(childlogdir) {
        Ok(entries) => entries,
        Err(_) => return vec!["Could not clear childlog dir".to_string()],
    };
    let mut warnings = Vec::new();
    for entry in entries {
        let Ok(entry) = entry else {
            continue;
        };
        let name = entry.file_name();
        // An undecodable byte becomes U+FFFD, which, like the surrogate
        // Python decodes it to, is neither a space nor a newline.
        if !is_auto_log_name(&name.to_string_lossy(), identifier) {
            continue;
        }
        let path = childlogdir.join(&name);
        if fs::remove_file(&path).is_err() {
            warnings.push(format!(
                "Failed to clean up {}",
                repr_str(&path.to_string_lossy())
            ));
        }
    }
    warnings
}

/// The bytes that end a CSI sequence for 4.3's `stripEscapes`.
const ANSI_TERMINATORS: &[u8] = b"HfABCDRsuJKhlpm";

/// Removes ANSI CSI sequences as 4.3's `stripEscapes` does: from each
/// `ESC [` through the first later byte in `HfABCDRsuJKhlpm`. An
/// unterminated sequence swallows the rest of the chunk; other escapes
/// stay. Borrows when there is nothing to remove.
pub fn strip_ansi(data: &[u8]) -> Cow<'_, [u8]> {
    let find_csi = |from: usize| {
        data[from..]
            .windows(2)
            .position(|w| w == b"\x1b[")
            .map(|i| from + i)
    };
    let Some(mut csi) = find_csi(0) else {
        return Cow::Borrowed(data);
    };
    let mut out = Vec::with_capacity(data.len());
    let mut from = 0;
    loop {
        out.extend_from_slice(&data[from..csi]);
        let body = csi + 2;
        match data[body..]
            .iter()
            .position(|b| ANSI_TERMINATORS.contains(b))
        {
            Some(end) => from = body + end + 1,
            None => return Cow::Owned(out),
        }
        match find_csi(from) {
            Some(next) => csi = next,
            None => {
                out.extend_from_slice(&data[from..]);
                return Cow::Owned(out);
            }
        }
    }
}

/// The syslog messages for one chunk of a channel with `*_syslog=true`:
/// `<process> <line>` per line, trailing newlines dropped first. 4.3
/// decodes strictly and, on invalid UTF-8, prints a traceback and sends
/// nothing; we decode lossily (U+FFFD) so the output still arrives.
pub fn syslog_lines(process: &str, chunk: &[u8]) -> Vec<String> {
    if chunk.is_empty() {
        return Vec::new();
    }
    String::from_utf8_lossy(chunk)
        .trim_end_matches('\n')
        .split('\n')
        .map(|line| format!("{process} {line}"))
        .collect()
}

/// Sends one message to syslog at LOG_USER|LOG_INFO, whatever the level,
/// as 4.3 does. `openlog` is never called, so the C library's defaults
/// apply as they do for Python's implicit one: ident = basename of
/// argv\[0\], no pid. NUL bytes cannot pass through `syslog(3)` and are
/// dropped.
pub fn send_syslog(line: &str) {
    let text = match CString::new(line) {
        Ok(text) => text,
        Err(_) => CString::new(line.replace('\0', "")).unwrap_or_default(),
    };
    // SAFETY: a constant "%s" format with one valid C string argument.
    unsafe {
        libc::syslog(
            libc::LOG_USER | libc::LOG_INFO,
            c"%s".as_ptr(),
            text.as_ptr(),
        );
    }
}

/// Python's `repr()` of a bytes value: `b'...'`, double quotes when the
/// data has a single quote and no double quote, `\t \n \r \\` and `\xNN`
/// escapes for everything outside printable ASCII.
pub fn python_bytes_repr(data: &[u8]) -> String {
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(data.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &b in data {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b if b == quote => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote as char);
    out
}

/// The main-log DEBG text for a chunk of child output (logged when the
/// level is `debug` or lower): `'<name>' stdout output:\n<data>`, the data
/// decoded as UTF-8 or shown as `Undecodable: b'...'`.
pub fn debug_echo(process: &str, channel: &str, data: &[u8]) -> String {
    let text = match std::str::from_utf8(data) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(format!("Undecodable: {}", python_bytes_repr(data))),
    };
    format!("{} {channel} output:\n{text}", repr_str(process))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use crate::testutil::TempDir;

    #[test]
    fn auto_log_names_look_like_mkstemp_names() {
        let dir = TempDir::new("create");
        let path = create_auto_log(&dir.0, "cat", "stdout", "supervisor").unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let random = name
            .strip_prefix("cat-stdout---supervisor-")
            .and_then(|r| r.strip_suffix(".log"))
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(random.len(), 8);
        assert!(random.bytes().all(|b| NAME_CHARS.contains(&b)), "{random}");
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 0);
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert!(is_auto_log_name(name, "supervisor"));

        let other = create_auto_log(&dir.0, "cat", "stdout", "supervisor").unwrap();
        assert_ne!(path, other);
    }

    #[test]
    fn random_parts_use_the_whole_alphabet() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            seen.extend(random_name_part().unwrap().bytes());
        }
        assert_eq!(seen.len(), NAME_CHARS.len());
    }

    #[test]
    fn create_fails_cleanly_without_the_directory() {
        let dir = TempDir::new("missing");
        let err = create_auto_log(&dir.0.join("nope"), "p", "stderr", "supervisor").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    /// Expected values come from running 4.3's pattern in Python 3.11.
    #[test]
    fn matcher_agrees_with_python_re_match() {
        let cases: &[(&str, bool)] = &[
            ("cat-stdout---supervisor-q_ahxy86.log", true),
            ("cat-stdout---supervisor-q_ahxy86.log.1", true),
            ("cat-stdout---supervisor-q_ahxy86.log.10", true),
            ("cat-stdout---supervisor-q_ahxy86.logfoo", true),
            ("---supervisor-abc.log", false),
            ("x---supervisor-.log", false),
            ("x---supervisor-a.log", true),
            ("x---supervisor-a b.log", false),
            ("x y---supervisor-ab.log", true),
            ("x\n---supervisor-ab.log", false),
            ("x---supervisor-ab\n.log", false),
            ("x---other-ab.log", false),
            ("x---supervisor-ab.lo", false),
            ("x---supervisord-ab.log", false),
            ("x---supervisor-ab.log~", true),
            ("x---supervisor-a.b.log.gz", true),
            ("x---supervisor-a\u{1c}b.log", false),
            ("x---supervisor-a\u{a0}b.log", false),
            ("x---supervisor- a.log", false),
            ("x---supervisor-a .log x---supervisor-b.log", true),
            ("x---supervisor-a---supervisor-b.log", true),
            ("a---supervisor- x---supervisor-b.log", true),
            ("é---supervisor-é.log", true),
            ("x---supervisor-é.log", true),
            ("x---supervisor-.log.log", true),
            ("x----supervisor-a.log", true),
        ];
        for &(name, expected) in cases {
            assert_eq!(is_auto_log_name(name, "supervisor"), expected, "{name:?}");
        }
    }

    #[test]
    fn the_identifier_is_literal() {
        assert!(is_auto_log_name("p-stdout---a.b-x1.log", "a.b"));
        assert!(!is_auto_log_name("p-stdout---axb-x1.log", "a.b"));
        assert!(is_auto_log_name("p-stdout---(x-x1.log", "(x"));
    }

    #[test]
    fn cleanup_removes_logs_and_backups_only() {
        let dir = TempDir::new("cleanup");
        let doomed = [
            "cat-stdout---supervisor-q_ahxy86.log",
            "cat-stdout---supervisor-q_ahxy86.log.1",
            "cat-stderr---supervisor-abcdefgh.log.12",
        ];
        let kept = [
            "cat-stdout---other-q_ahxy86.log",
            "notes.txt",
            "supervisord.log",
            "cat-stdout---supervisor- x.log",
        ];
        for name in doomed.iter().chain(&kept) {
            fs::write(dir.0.join(name), b"x").unwrap();
        }
        fs::create_dir(dir.0.join("d---supervisor-dir.log")).unwrap();

        let warnings = cleanup_auto_logs(&dir.0, "supervisor");

        let expected = format!(
            "Failed to clean up '{}'",
            dir.0.join("d---supervisor-dir.log").display()
        );
        assert_eq!(warnings, [expected]);
        for name in doomed {
            assert!(!dir.0.join(name).exists(), "{name}");
        }
        for name in kept {
            assert!(dir.0.join(name).exists(), "{name}");
        }
    }

    #[test]
    fn cleanup_of_an_unreadable_dir_says_so() {
        let dir = TempDir::new("cleanup-missing");
        assert_eq!(
            cleanup_auto_logs(&dir.0.join("nope"), "supervisor"),
            ["Could not clear childlog dir"]
        );
    }

    #[test]
    fn strip_ansi_matches_4_3_examples() {
        let strip = |d: &[u8]| strip_ansi(d).into_owned();
        assert_eq!(strip(b""), b"");
        assert_eq!(
            strip(b"\x1b[34mHello world... this is longer than a token!\x1b[0m"),
            b"Hello world... this is longer than a token!"
        );
        assert!(matches!(strip_ansi(b"plain text"), Cow::Borrowed(_)));
        assert_eq!(strip(b"\x1b[31mred\x1b[0m plain"), b"red plain");
        assert_eq!(strip(b"a\x1b[1;31;40mb\x1b[2Jc\x1b[Kd"), b"abcd");
        // Unterminated: the rest of the chunk goes.
        assert_eq!(strip(b"keep\x1b[31;1"), b"keep");
        assert_eq!(strip(b"keep\x1b["), b"keep");
        // Other escapes stay; only ESC [ starts a sequence.
        assert_eq!(strip(b"\x1b]0;title\x07x"), b"\x1b]0;title\x07x");
        assert_eq!(strip(b"\x1bMx\x1b"), b"\x1bMx\x1b");
        // The terminator is the first byte of the set, even a letter that
        // a real terminal would not end on.
        assert_eq!(strip(b"\x1b[?25hvisible"), b"visible");
        assert_eq!(strip(b"\x1b[0;xyzmAB"), b"AB");
        // The tail of a sequence split across chunks leaks.
        assert_eq!(strip(b"31mred"), b"31mred");
    }

    #[test]
    fn syslog_lines_split_after_dropping_trailing_newlines() {
        assert_eq!(syslog_lines("web", b"one\ntwo\n\n"), ["web one", "web two"]);
        assert_eq!(syslog_lines("web", b"a\n\nb"), ["web a", "web ", "web b"]);
        assert_eq!(syslog_lines("web", b"\n"), ["web "]);
        assert_eq!(syslog_lines("web", b"cr\r\n"), ["web cr\r"]);
        assert_eq!(syslog_lines("web", b"bad\xff"), ["web bad\u{fffd}"]);
        assert!(syslog_lines("web", b"").is_empty());
    }

    #[test]
    fn send_syslog_survives_nul_bytes() {
        send_syslog("supervisor-rs unit test: childlog nul\0byte");
    }

    #[test]
    fn bytes_repr_matches_python() {
        assert_eq!(python_bytes_repr(b""), "b''");
        assert_eq!(python_bytes_repr(b"abc\n"), "b'abc\\n'");
        assert_eq!(python_bytes_repr(b"it's"), "b\"it's\"");
        assert_eq!(python_bytes_repr(b"'\""), "b'\\'\"'");
        assert_eq!(
            python_bytes_repr(b"\x00\x1b\x7f\x80\xff\\\t\r"),
            "b'\\x00\\x1b\\x7f\\x80\\xff\\\\\\t\\r'"
        );
    }

    #[test]
    fn debug_echo_matches_4_3() {
        assert_eq!(
            debug_echo("cat", "stdout", b"hello\n"),
            "'cat' stdout output:\nhello\n"
        );
        assert_eq!(
            debug_echo("cat", "stderr", b"caf\xe9\n"),
            "'cat' stderr output:\nUndecodable: b'caf\\xe9\\n'"
        );
        assert_eq!(
            debug_echo("it's", "stdout", "é".as_bytes()),
            "\"it's\" stdout output:\né"
        );
    }
}
