//! Typed option values: integers, booleans, byte sizes, octal modes,
//! signals, exit codes, users, paths, log names and levels, ports, URLs.
//!
//! Each parser takes the text of one value and says what is wrong with it in
//! Supervisor 4.3's words (`ValueError::message`, which scripts and people
//! grep for) plus what would have been accepted (`ValueError::accepted`). It
//! never says *where* the value was: the caller knows the file, section and
//! key and adds them (see `build.rs`).

use std::ffi::CString;
use std::path::{Component, Path, PathBuf};

use super::pyfmt::repr_str;

/// A value that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// 4.3's message, word for word.
    pub message: String,
    /// What the option accepts, for the hint line.
    pub accepted: &'static str,
}

impl ValueError {
    pub fn new(message: impl Into<String>, accepted: &'static str) -> ValueError {
        ValueError {
            message: message.into(),
            accepted,
        }
    }
}

pub type Result<T> = std::result::Result<T, ValueError>;

const INT_HINT: &str = "a whole number such as 10";

pub use crate::pytext::int as py_int;

fn int_error(text: &str) -> ValueError {
    ValueError::new(
        // CPython quotes at most 200 characters of the value (`%.200R`).
        format!(
            "invalid literal for int() with base 10: {}",
            repr_str(text).chars().take(200).collect::<String>()
        ),
        INT_HINT,
    )
}

/// An integer option (`startsecs`, `numprocs`, ...).
pub fn integer(text: &str) -> Result<i64> {
    py_int(text).ok_or_else(|| int_error(text))
}

/// `yes true on 1` / `no false off 0`, any case.
pub fn boolean(text: &str) -> Result<bool> {
    match text.to_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err(ValueError::new(
            format!("not a valid boolean value: {}", repr_str(text)),
            "true, false, yes, no, on, off, 1 or 0",
        )),
    }
}

/// `50MB`, `1kb`, `1024`: a number with an optional KB/MB/GB suffix.
pub fn byte_size(text: &str) -> Result<i64> {
    const HINT: &str = "a number of bytes with an optional KB, MB or GB suffix, such as 50MB";
    let v = text.to_lowercase();
    for (suffix, mult) in [("kb", 1i64 << 10), ("mb", 1 << 20), ("gb", 1 << 30)] {
        if let Some(num) = v.strip_suffix(suffix) {
            let n = py_int(num).ok_or_else(|| ValueError::new(int_error(num).message, HINT))?;
            return n
                .checked_mul(mult)
                .ok_or_else(|| ValueError::new(format!("{text} is too large"), HINT));
        }
    }
    py_int(&v).ok_or_else(|| ValueError::new(int_error(&v).message, HINT))
}

/// An octal mode such as `022`, `0o22` or `22`.
pub fn octal(text: &str) -> Result<u32> {
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    // Python allows one `_` right after the `0o` prefix (`0o_22`).
    let body = match body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
        Some(rest) => rest.strip_prefix('_').unwrap_or(rest),
        None => body,
    };
    // A negative mode is refused (4.3 accepts `-022` and later fails with
    // it; docs/compat.md).
    let ok = !body.is_empty()
        && !body.starts_with('_')
        && !body.ends_with('_')
        && !body.contains("__")
        && body.chars().all(|c| matches!(c, '0'..='7' | '_'));
    let parsed = ok
        .then(|| u32::from_str_radix(&body.replace('_', ""), 8).ok())
        .flatten()
        .filter(|_| !neg);
    parsed.ok_or_else(|| {
        ValueError::new(
            format!("{text} can not be converted to an octal type"),
            "an octal number such as 022 or 0o755",
        )
    })
}

/// Signal names and numbers as Python's `signal` module has them on Linux.
/// The `SIG_*` entries are Python's handler and mask constants, which 4.3
/// accepts by accident; they are kept so configs that load in 4.3 load here.
const SIGNALS: &[(&str, i32)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGIOT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPOLL", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
    ("SIGRTMIN", 34),
    ("SIGRTMAX", 64),
    ("SIG_DFL", 0),
    ("SIG_IGN", 1),
    ("SIG_BLOCK", 0),
    ("SIG_UNBLOCK", 1),
    ("SIG_SETMASK", 2),
];

const SIGNAL_HINT: &str =
    "a signal name such as TERM, HUP, INT, QUIT, KILL, USR1 or USR2, or its number";

/// `TERM`, `sigterm`, ` HUP `, or a number that is some signal's number.
pub fn signal_number(text: &str) -> Result<i32> {
    let num = match py_int(text) {
        Some(n) => n,
        None => {
            let mut name = text.trim().to_uppercase();
            if !name.starts_with("SIG") {
                name = format!("SIG{name}");
            }
            match SIGNALS.iter().find(|(n, _)| *n == name) {
                Some((_, n)) => i64::from(*n),
                None => {
                    return Err(ValueError::new(
                        format!("value {} is not a valid signal name", repr_str(text)),
                        SIGNAL_HINT,
                    ));
                }
            }
        }
    };
    if SIGNALS.iter().any(|(_, n)| i64::from(*n) == num) {
        Ok(num as i32)
    } else {
        Err(ValueError::new(
            format!("value {} is not a valid signal number", repr_str(text)),
            SIGNAL_HINT,
        ))
    }
}

/// The conventional name of a signal number (`15` -> `TERM`), for messages.
pub fn signal_name(num: i32) -> Option<&'static str> {
    SIGNALS
        .iter()
        .find(|(n, v)| *v == num && !n.starts_with("SIG_"))
        .map(|(n, _)| &n[3..])
}

/// `0,2`: comma-separated exit codes 0..=255; empty means none.
pub fn exit_codes(text: &str) -> Result<Vec<i32>> {
    let err = || {
        ValueError::new(
            format!("not a valid list of exit codes: {}", repr_str(text)),
            "comma-separated numbers from 0 to 255, such as 0,2",
        )
    };
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|item| match py_int(item) {
            Some(n) if (0..=255).contains(&n) => Ok(n as i32),
            _ => Err(err()),
        })
        .collect()
}

/// Comma-separated words, each trimmed; empty means none.
pub fn list_of_strings(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split(',').map(|s| s.trim().to_string()).collect()
}

/// How a process is restarted when it exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoRestart {
    Never,
    Unexpected,
    Always,
}

impl AutoRestart {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoRestart::Never => "false",
            AutoRestart::Unexpected => "unexpected",
            AutoRestart::Always => "true",
        }
    }
}

pub fn auto_restart(text: &str) -> Result<AutoRestart> {
    let v = text.to_lowercase();
    match v.as_str() {
        "yes" | "true" | "on" | "1" => Ok(AutoRestart::Always),
        "no" | "false" | "off" | "0" => Ok(AutoRestart::Never),
        "unexpected" => Ok(AutoRestart::Unexpected),
        _ => Err(ValueError::new(
            format!("invalid 'autorestart' value {}", repr_str(&v)),
            "true, false or unexpected",
        )),
    }
}

/// The main log's level names, most to least severe, with Python's numbers.
pub const LOG_LEVELS: &[(&str, u8)] = &[
    ("critical", 50),
    ("error", 40),
    ("warn", 30),
    ("info", 20),
    ("debug", 10),
    ("trace", 5),
    ("blather", 3),
];

/// A log level name; returns the canonical lower-case name.
pub fn logging_level(text: &str) -> Result<&'static str> {
    let v = text.to_lowercase();
    LOG_LEVELS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == v)
        .ok_or_else(|| {
            ValueError::new(
                format!("bad logging level name {}", repr_str(text)),
                "critical, error, warn, info, debug, trace or blather",
            )
        })
}

/// A user's passwd entry (name, uid, gid, home), looked up by name.
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// Calls a reentrant `get*_r` lookup, growing the buffer on ERANGE.
/// `call` returns (error code, whether a record was found).
fn with_buffer<T>(
    mut call: impl FnMut(&mut [libc::c_char]) -> (libc::c_int, Option<T>),
) -> Option<T> {
    let mut size = 1024;
    loop {
        let mut buf = vec![0 as libc::c_char; size];
        match call(&mut buf) {
            (libc::ERANGE, _) if size < 1 << 20 => size *= 4,
            (_, found) => return found,
        }
    }
}

fn cstring(s: *const libc::c_char) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: non-null strings in a passwd record are NUL-terminated and
    // live in the buffer we passed, which outlives this call.
    unsafe { std::ffi::CStr::from_ptr(s) }
        .to_string_lossy()
        .into_owned()
}

fn passwd_lookup(
    lookup: impl Fn(*mut libc::passwd, &mut [libc::c_char], *mut *mut libc::passwd) -> libc::c_int,
) -> Option<PasswdEntry> {
    with_buffer(|buf| {
        // SAFETY: passwd is plain data that getpw*_r fills in.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = lookup(&mut pw, buf, &mut result);
        let found = (rc == 0 && !result.is_null()).then(|| PasswdEntry {
            name: cstring(pw.pw_name),
            uid: pw.pw_uid,
            gid: pw.pw_gid,
            home: PathBuf::from(cstring(pw.pw_dir)),
        });
        (rc, found)
    })
}

pub fn passwd_by_name(name: &str) -> Option<PasswdEntry> {
    let c = CString::new(name).ok()?;
    passwd_lookup(|pw, buf, result| {
        // SAFETY: valid C string, record and buffer of the stated length.
        unsafe { libc::getpwnam_r(c.as_ptr(), pw, buf.as_mut_ptr(), buf.len(), result) }
    })
}

pub fn passwd_by_uid(uid: u32) -> Option<PasswdEntry> {
    passwd_lookup(|pw, buf, result| {
        // SAFETY: record and buffer of the stated length.
        unsafe { libc::getpwuid_r(uid, pw, buf.as_mut_ptr(), buf.len(), result) }
    })
}

fn group_lookup(
    lookup: impl Fn(*mut libc::group, &mut [libc::c_char], *mut *mut libc::group) -> libc::c_int,
) -> Option<u32> {
    with_buffer(|buf| {
        // SAFETY: group is plain data that getgr*_r fills in.
        let mut gr: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        let rc = lookup(&mut gr, buf, &mut result);
        (rc, (rc == 0 && !result.is_null()).then_some(gr.gr_gid))
    })
}

fn group_exists_by_name(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    group_lookup(|gr, buf, result| {
        // SAFETY: valid C string, record and buffer of the stated length.
        unsafe { libc::getgrnam_r(c.as_ptr(), gr, buf.as_mut_ptr(), buf.len(), result) }
    })
}

fn group_exists_by_gid(gid: u32) -> bool {
    group_lookup(|gr, buf, result| {
        // SAFETY: record and buffer of the stated length.
        unsafe { libc::getgrgid_r(gid, gr, buf.as_mut_ptr(), buf.len(), result) }
    })
    .is_some()
}

const USER_HINT: &str = "a user name or uid that exists on this system";

/// A user name, or a numeric uid that has a passwd entry.
pub fn name_to_uid(text: &str) -> Result<u32> {
    match py_int(text) {
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|&uid| passwd_by_uid(uid).is_some())
            .ok_or_else(|| ValueError::new(format!("Invalid user id {text}"), USER_HINT)),
        None => passwd_by_name(text)
            .map(|p| p.uid)
            .ok_or_else(|| ValueError::new(format!("Invalid user name {text}"), USER_HINT)),
    }
}

fn name_to_gid(text: &str) -> Option<u32> {
    match py_int(text) {
        Some(n) => u32::try_from(n).ok().filter(|&g| group_exists_by_gid(g)),
        None => group_exists_by_name(text),
    }
}

/// The primary group of a uid.
pub fn gid_for_uid(uid: u32) -> Option<u32> {
    passwd_by_uid(uid).map(|p| p.gid)
}

/// `user` or `user:group`, each a name or number that exists; the gid is
/// -1 ("unchanged") without a group. The caller words the error.
pub fn user_group(text: &str) -> Option<(i64, i64)> {
    let (user, group) = match text.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (text, None),
    };
    let uid = i64::from(name_to_uid(user).ok()?);
    let gid = match group {
        Some(g) => i64::from(name_to_gid(g)?),
        None => -1,
    };
    Some((uid, gid))
}

/// Python's `os.path.expanduser`.
pub fn expand_user(path: &str, home: Option<&str>) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_string();
    };
    let (user, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let dir = if user.is_empty() {
        match home {
            Some(h) => h.to_string(),
            // SAFETY: getuid cannot fail.
            None => match passwd_by_uid(unsafe { libc::getuid() }) {
                Some(p) => p.home.to_string_lossy().into_owned(),
                None => return path.to_string(),
            },
        }
    } else {
        match passwd_by_name(user) {
            Some(p) => p.home.to_string_lossy().into_owned(),
            None => return path.to_string(),
        }
    };
    // Python strips every trailing `/` of the home, even of `/` itself.
    let dir = dir.trim_end_matches('/').to_string();
    let joined = format!("{dir}{tail}");
    if joined.is_empty() {
        "/".to_string()
    } else {
        joined
    }
}

/// Python's `os.path.join(dir, name)` for a relative `name`.
pub fn join_path(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Python's `os.path.normpath(os.path.abspath(p))` against `cwd`.
pub fn normalize(path: &str, cwd: &Path) -> String {
    let joined = if path.starts_with('/') {
        PathBuf::from(path)
    } else {
        cwd.join(path)
    };
    let text = joined.to_string_lossy();
    let double = text.starts_with("//") && !text.starts_with("///");
    let mut parts: Vec<&str> = Vec::new();
    for comp in Path::new(&*text).components() {
        match comp {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(s) => parts.push(s.to_str().unwrap_or("")),
        }
    }
    let root = if double { "//" } else { "/" };
    format!("{root}{}", parts.join("/"))
}

/// Python's `os.path.dirname`.
fn dirname(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => {
            let head = &path[..=i];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() { head } else { trimmed }
        }
        None => "",
    }
}

/// An existing directory; `~` expanded.
pub fn existing_directory(text: &str, home: Option<&str>) -> Result<String> {
    let nv = expand_user(text, home);
    if Path::new(&nv).is_dir() {
        Ok(nv)
    } else {
        Err(ValueError::new(
            format!("{text} is not an existing directory"),
            "a directory that exists",
        ))
    }
}

/// A file path whose directory part, if any, exists; `~` expanded.
pub fn existing_dirpath(text: &str, home: Option<&str>) -> Result<String> {
    let nv = expand_user(text, home);
    let dir = dirname(&nv);
    if dir.is_empty() || Path::new(dir).is_dir() {
        Ok(nv)
    } else {
        Err(ValueError::new(
            format!("The directory named as part of the path {text} does not exist"),
            "a file path in a directory that exists",
        ))
    }
}

/// Where a child's stdout or stderr goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// `NONE`/`OFF`: discarded.
    None,
    /// `AUTO`: a file in `childlogdir` named by the daemon.
    Auto,
    /// The deprecated `syslog` file name (turned into `*_syslog=true`).
    Syslog,
    /// A file path (`~` expanded).
    File(String),
}

pub fn logfile_name(text: &str, home: Option<&str>) -> Result<LogTarget> {
    match text.to_lowercase().as_str() {
        "none" | "off" => Ok(LogTarget::None),
        "auto" => Ok(LogTarget::Auto),
        "syslog" => Ok(LogTarget::Syslog),
        _ => existing_dirpath(text, home).map(LogTarget::File),
    }
}

/// `port`, `host:port`, `:port` or `*:port`; `""` host means all interfaces.
pub fn inet_address(text: &str) -> Result<(String, u16)> {
    const HINT: &str =
        "a port (9001), host:port (127.0.0.1:9001) or *:port, with a port from 1 to 65535";
    let port_number = |s: &str| -> Result<u16> {
        let n = py_int(s).ok_or_else(|| ValueError::new(int_error(s).message, HINT))?;
        if n < 1 {
            return Err(ValueError::new(
                format!("{n} is below lower bound (1)"),
                HINT,
            ));
        }
        if n > 0xffff {
            return Err(ValueError::new(
                format!("{n} is above upper bound (65535)"),
                HINT,
            ));
        }
        Ok(n as u16)
    };
    match text.rsplit_once(':') {
        Some((host, port)) => {
            if port.is_empty() {
                return Err(ValueError::new(
                    format!("no port number specified in {}", repr_str(port)),
                    HINT,
                ));
            }
            let port = port_number(port)?;
            let host = host.to_lowercase();
            Ok((if host == "*" { String::new() } else { host }, port))
        }
        None => port_number(text).map(|p| (String::new(), p)).map_err(|_| {
            ValueError::new(
                format!("not a valid port number: {} ", repr_str(text)),
                HINT,
            )
        }),
    }
}

/// A URL with a scheme and a host or path (`unix:///tmp/s.sock`,
/// `http://127.0.0.1:9001`), as Python's `urlparse` judges it.
pub fn url(text: &str) -> Result<String> {
    let err = || {
        ValueError::new(
            format!("value {} is not a URL", repr_str(text)),
            "unix:///path/to.sock or http://host:port",
        )
    };
    let Some(colon) = text.find(':') else {
        return Err(err());
    };
    let scheme = &text[..colon];
    let valid_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let rest = &text[colon + 1..];
    if valid_scheme && !rest.is_empty() && !rest.chars().all(|c| c == '/' || c == '?' || c == '#') {
        Ok(text.to_string())
    } else {
        Err(err())
    }
}

/// Program and group names may not contain a space, `:` or `/` (they would
/// break the listener protocol and web UI URLs). Returns the trimmed name.
pub fn process_or_group_name(name: &str) -> Result<String> {
    let s = name.trim();
    for c in [' ', ':', '/'] {
        if s.contains(c) {
            return Err(ValueError::new(
                format!(
                    "Invalid name: {} because of character: {}",
                    repr_str(name),
                    repr_str(&c.to_string())
                ),
                "a name without spaces, ':' or '/'",
            ));
        }
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.unwrap_err().message
    }

    #[test]
    fn integers_as_python_int() {
        // docs/compat.md: integers are 64-bit, in ASCII digits.
        assert_eq!(integer("9223372036854775807"), Ok(i64::MAX));
        assert!(integer("99999999999999999999").is_err());
        assert!(integer("\u{661}\u{660}").is_err());
        assert_eq!(integer(" 10 "), Ok(10));
        assert_eq!(integer("1_000"), Ok(1000));
        assert_eq!(integer("-3"), Ok(-3));
        assert_eq!(
            msg(integer("ten")),
            "invalid literal for int() with base 10: 'ten'"
        );
        assert_eq!(
            msg(integer("0x10")),
            "invalid literal for int() with base 10: '0x10'"
        );
        assert_eq!(
            msg(integer("1__0")),
            "invalid literal for int() with base 10: '1__0'"
        );
        let long = "x".repeat(300);
        assert_eq!(
            msg(integer(&long)),
            format!(
                "invalid literal for int() with base 10: '{}",
                "x".repeat(199)
            )
        );
    }

    #[test]
    fn booleans() {
        for t in ["yes", "TRUE", "On", "1"] {
            assert_eq!(boolean(t), Ok(true));
        }
        for f in ["no", "False", "OFF", "0"] {
            assert_eq!(boolean(f), Ok(false));
        }
        assert_eq!(msg(boolean("y")), "not a valid boolean value: 'y'");
        assert!(
            boolean("enabled")
                .unwrap_err()
                .accepted
                .contains("true, false")
        );
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(byte_size("50MB"), Ok(50 * 1024 * 1024));
        assert_eq!(byte_size("50 mb"), Ok(50 * 1024 * 1024));
        assert_eq!(byte_size("1kb"), Ok(1024));
        assert_eq!(byte_size("2GB"), Ok(2 << 30));
        assert_eq!(byte_size("0"), Ok(0));
        assert_eq!(byte_size("-1"), Ok(-1));
        assert_eq!(
            msg(byte_size("5xb")),
            "invalid literal for int() with base 10: '5xb'"
        );
        assert_eq!(
            msg(byte_size("5XMB")),
            "invalid literal for int() with base 10: '5x'"
        );
        assert_eq!(
            msg(byte_size("1.5MB")),
            "invalid literal for int() with base 10: '1.5'"
        );
    }

    #[test]
    fn octals() {
        assert_eq!(octal("022"), Ok(0o22));
        assert_eq!(octal("22"), Ok(0o22));
        assert_eq!(octal("0o22"), Ok(0o22));
        assert_eq!(octal("0777"), Ok(0o777));
        assert_eq!(octal("0o_22"), Ok(0o22));
        assert_eq!(
            msg(octal("-022")),
            "-022 can not be converted to an octal type"
        );
        assert_eq!(
            msg(octal("089")),
            "089 can not be converted to an octal type"
        );
    }

    #[test]
    fn signals() {
        assert_eq!(signal_number("TERM"), Ok(15));
        assert_eq!(signal_number("sigterm"), Ok(15));
        assert_eq!(signal_number(" HUP "), Ok(1));
        assert_eq!(signal_number("9"), Ok(9));
        assert_eq!(signal_number("64"), Ok(64));
        assert_eq!(signal_number("_DFL"), Ok(0));
        assert_eq!(
            msg(signal_number("FOO")),
            "value 'FOO' is not a valid signal name"
        );
        assert_eq!(
            msg(signal_number("99")),
            "value '99' is not a valid signal number"
        );
        assert_eq!(
            msg(signal_number("33")),
            "value '33' is not a valid signal number"
        );
        assert_eq!(signal_name(15), Some("TERM"));
    }

    #[test]
    fn exit_code_lists() {
        assert_eq!(exit_codes("0,2"), Ok(vec![0, 2]));
        assert_eq!(exit_codes(" 0 , 255 "), Ok(vec![0, 255]));
        assert_eq!(exit_codes(""), Ok(vec![]));
        assert_eq!(
            msg(exit_codes("256")),
            "not a valid list of exit codes: '256'"
        );
        assert_eq!(
            msg(exit_codes("0,x")),
            "not a valid list of exit codes: '0,x'"
        );
        assert_eq!(
            msg(exit_codes("0,")),
            "not a valid list of exit codes: '0,'"
        );
    }

    #[test]
    fn autorestart_values() {
        assert_eq!(auto_restart("Unexpected"), Ok(AutoRestart::Unexpected));
        assert_eq!(auto_restart("TRUE"), Ok(AutoRestart::Always));
        assert_eq!(auto_restart("off"), Ok(AutoRestart::Never));
        assert_eq!(
            msg(auto_restart("Sometimes")),
            "invalid 'autorestart' value 'sometimes'"
        );
    }

    #[test]
    fn log_levels() {
        assert_eq!(logging_level("DEBUG"), Ok("debug"));
        assert_eq!(logging_level("blather"), Ok("blather"));
        assert_eq!(
            msg(logging_level("warning")),
            "bad logging level name 'warning'"
        );
    }

    #[test]
    fn users() {
        assert_eq!(name_to_uid("root"), Ok(0));
        assert_eq!(name_to_uid("0"), Ok(0));
        assert_eq!(
            msg(name_to_uid("no-such-user-xyz")),
            "Invalid user name no-such-user-xyz"
        );
        assert_eq!(msg(name_to_uid("4000000")), "Invalid user id 4000000");
        assert_eq!(user_group("root:0"), Some((0, 0)));
        assert_eq!(user_group("root"), Some((0, -1)));
        assert_eq!(user_group("root:no-such-group-xyz"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(expand_user("~/x", Some("/home/u")), "/home/u/x");
        assert_eq!(expand_user("~", Some("/home/u/")), "/home/u");
        assert_eq!(expand_user("~/x", Some("/")), "/x");
        assert_eq!(expand_user("~", Some("/")), "/");
        assert_eq!(expand_user("~root/x", None), "/root/x");
        assert_eq!(expand_user("a~/x", Some("/h")), "a~/x");
        let cwd = Path::new("/srv/app");
        assert_eq!(normalize("x.log", cwd), "/srv/app/x.log");
        assert_eq!(normalize("../x/./y//z", cwd), "/srv/x/y/z");
        assert_eq!(normalize("/a/b/..", cwd), "/a");
        assert_eq!(existing_dirpath("x.log", None), Ok("x.log".to_string()));
        assert_eq!(
            existing_dirpath("/tmp/x.log", None),
            Ok("/tmp/x.log".to_string())
        );
        assert_eq!(
            msg(existing_dirpath("/no/such/dir/x.log", None)),
            "The directory named as part of the path /no/such/dir/x.log does not exist"
        );
        assert_eq!(
            msg(existing_directory("/no/such", None)),
            "/no/such is not an existing directory"
        );
        assert_eq!(logfile_name("AUTO", None), Ok(LogTarget::Auto));
        assert_eq!(logfile_name("Off", None), Ok(LogTarget::None));
        assert_eq!(logfile_name("syslog", None), Ok(LogTarget::Syslog));
        assert_eq!(
            logfile_name("/dev/stdout", None),
            Ok(LogTarget::File("/dev/stdout".into()))
        );
    }

    #[test]
    fn inet_ports() {
        assert_eq!(inet_address("9001"), Ok((String::new(), 9001)));
        assert_eq!(inet_address("*:9001"), Ok((String::new(), 9001)));
        assert_eq!(inet_address(":9001"), Ok((String::new(), 9001)));
        assert_eq!(
            inet_address("LocalHost:9001"),
            Ok(("localhost".into(), 9001))
        );
        assert_eq!(msg(inet_address("abc")), "not a valid port number: 'abc' ");
        assert_eq!(
            msg(inet_address("127.0.0.1:")),
            "no port number specified in ''"
        );
        assert_eq!(
            msg(inet_address("127.0.0.1:70000")),
            "70000 is above upper bound (65535)"
        );
        assert_eq!(
            msg(inet_address("127.0.0.1:0")),
            "0 is below lower bound (1)"
        );
        assert_eq!(
            msg(inet_address("h:x")),
            "invalid literal for int() with base 10: 'x'"
        );
    }

    #[test]
    fn urls() {
        assert!(url("unix:///tmp/s.sock").is_ok());
        assert!(url("http://127.0.0.1:9001").is_ok());
        assert_eq!(msg(url("localhost")), "value 'localhost' is not a URL");
        assert_eq!(msg(url("http://")), "value 'http://' is not a URL");
    }

    #[test]
    fn names() {
        assert_eq!(process_or_group_name(" web "), Ok("web".into()));
        assert_eq!(
            msg(process_or_group_name("my app")),
            "Invalid name: 'my app' because of character: ' '"
        );
        assert_eq!(
            msg(process_or_group_name("a/b")),
            "Invalid name: 'a/b' because of character: '/'"
        );
    }
}
