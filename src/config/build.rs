//! From parsed INI to a `ServerConfig` or `CtlConfig`: section by section,
//! in the order Supervisor 4.3 reads them, so the first error reported is
//! the one 4.3 reports and every default and expansion is 4.3's.
//!
//! The order (4.3's `ServerOptions.read_config`): `[include]` files are
//! read; `[supervisord]` options; `[rpcinterface:x]`; process groups
//! (`[group:x]`, then `[program:x]`, `[eventlistener:x]`,
//! `[fcgi-program:x]`); HTTP servers (inet, then unix); finally the
//! command-line overrides are applied.
//!
//! Errors carry 4.3's message and, where a written value is at fault, a
//! second line naming the file, line, section, key and value and what the
//! option accepts.

use std::path::{Path, PathBuf};

use super::ini::{Entry, Ini};
use super::model::*;
use super::pyfmt::{self, Expansions, FormatError, PyValue, repr_str};
use super::values::{self, ValueError};
use super::{ConfigError, Overrides};

/// What the loader reads from the world besides files: the environment,
/// the working directory and the host name. Tests pass their own.
#[derive(Clone, Debug)]
pub struct LoadContext {
    pub environ: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub host_node_name: String,
}

impl LoadContext {
    /// The running process's environment, cwd and node name.
    pub fn from_process() -> LoadContext {
        LoadContext {
            environ: std::env::vars_os()
                .map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                })
                .collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            host_node_name: node_name(),
        }
    }

    fn var(&self, key: &str) -> Option<&str> {
        self.environ
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `$HOME`, for `~` expansion.
    pub fn home(&self) -> Option<&str> {
        self.var("HOME")
    }

    /// Python's `tempfile.gettempdir()`: `$TMPDIR`, `$TEMP`, `$TMP`, then
    /// the usual places, the first that is a writable directory.
    pub fn temp_dir(&self) -> String {
        let mut candidates: Vec<String> = ["TMPDIR", "TEMP", "TMP"]
            .iter()
            .filter_map(|k| self.var(k).map(str::to_string))
            .collect();
        candidates.extend(["/tmp", "/var/tmp", "/usr/tmp"].map(String::from));
        candidates.push(self.cwd.to_string_lossy().into_owned());
        for c in candidates {
            if c.is_empty() {
                continue;
            }
            let path = values::normalize(&c, &self.cwd);
            if is_writable_dir(&path) {
                return path;
            }
        }
        "/tmp".to_string()
    }
}

/// Whether a file can really be created in `path` (Python's
/// `gettempdir` tries; `access()` would say yes to root on `/proc`).
fn is_writable_dir(path: &str) -> bool {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let probe = Path::new(path).join(format!(".svrs-tmp-probe-{}-{n}", std::process::id()));
    let made = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut f| {
            use std::io::Write;
            f.write_all(b"probe")
        });
    let _ = std::fs::remove_file(&probe);
    made.is_ok()
}

/// The `uname` node name.
pub fn node_name() -> String {
    // SAFETY: utsname is plain data; uname fills it or fails.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return String::new();
    }
    // SAFETY: on success nodename is NUL-terminated.
    unsafe { std::ffi::CStr::from_ptr(u.nodename.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Reads a config file's text: the errors 4.3 gives for a missing or
/// unreadable file, and ours for one that is not UTF-8.
pub fn read_text(path: &str, cwd: &Path) -> Result<String, ConfigError> {
    let full = cwd.join(path);
    // Python's os.path.exists: a dangling symlink does not exist.
    if !full.exists() {
        return Err(ConfigError::new(format!(
            "could not find config file {path}"
        )));
    }
    let bytes = std::fs::read(&full).map_err(|e| {
        ConfigError::new(format!("could not read config file {path}"))
            .with_detail(format!("{path}: {e}"))
    })?;
    decode(bytes, path)
}

/// The file's text, or 4.3's decoding error (Python's UnicodeDecodeError
/// is a ValueError, so 4.3 prints it as a configuration error) with the
/// line it is on.
fn decode(bytes: Vec<u8>, path: &str) -> Result<String, ConfigError> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let pos = e.utf8_error().valid_up_to();
        let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        // (position Python reports, bytes in the bad sequence, reason)
        let (at, len, reason) = match e.utf8_error().error_len() {
            // At end of file Python decodes the unfinished tail on its
            // own, so positions count from the tail.
            None => (0, bytes.len() - pos, "unexpected end of data"),
            // Otherwise it counts from the start of its 8 KiB read buffer,
            // which for files that size or smaller is the offset in the file.
            Some(n) if (0xc2..=0xf4).contains(&bytes[pos]) => (pos, n, "invalid continuation byte"),
            Some(n) => (pos, n, "invalid start byte"),
        };
        let message = if len <= 1 {
            format!(
                "'utf-8' codec can't decode byte 0x{:02x} in position {at}: {reason}",
                bytes[pos]
            )
        } else {
            format!(
                "'utf-8' codec can't decode bytes in position {at}-{}: {reason}",
                at + len - 1
            )
        };
        ConfigError::new(message).with_detail(format!(
            "{path}:{line}: the file is not UTF-8 text; save it as UTF-8"
        ))
    })
}

/// Result of a section-level read that may fail.
type Res<T> = Result<T, ConfigError>;

/// Reads option values from one section with a fixed set of expansions.
struct Reader<'a> {
    ini: &'a Ini,
    section: &'a str,
    expansions: Expansions,
}

fn format_error(value: &str, where_: &str, e: FormatError, table: &Expansions) -> String {
    match e {
        FormatError::UnknownName(name) => {
            let names: Vec<&str> = table.keys().map(String::as_str).collect();
            format!(
                "Format string {} for {} contains names ({}) which cannot be expanded. Available names: {}",
                repr_str(value),
                repr_str(where_),
                name,
                names.join(", ")
            )
        }
        FormatError::Bad(msg) => format!(
            "Format string {} for {} is badly formatted: {}",
            repr_str(value),
            repr_str(where_),
            msg
        ),
    }
}

/// `%`-expands `value` (4.3's `expand()`), naming `where_` in errors.
fn expand(value: &str, table: &Expansions, where_: &str) -> Res<String> {
    pyfmt::format(value, table).map_err(|e| ConfigError::new(format_error(value, where_, e, table)))
}

fn located(entry: &Entry, section: &str, accepted: &str) -> String {
    let value = entry.value.replace('\n', "\\n");
    format!(
        "{}:{}: [{}] {} = {}: expected {}",
        entry.origin.file, entry.origin.line, section, entry.key, value, accepted
    )
}

impl<'a> Reader<'a> {
    fn entry(&self, key: &str) -> Option<&'a Entry> {
        self.ini.entry(self.section, key)
    }

    /// The expanded value, or `None` when the key is absent.
    fn get(&self, key: &str) -> Res<Option<String>> {
        self.get_with(key, &self.expansions)
    }

    fn get_with(&self, key: &str, table: &Expansions) -> Res<Option<String>> {
        match self.entry(key) {
            None => Ok(None),
            Some(e) => expand(&e.value, table, &format!("{}.{}", self.section, key))
                .map(Some)
                .map_err(|err| {
                    err.with_detail(located(
                        e,
                        self.section,
                        "a value whose %(name)s names are listed above; write %% for a literal %",
                    ))
                }),
        }
    }

    /// The raw (unexpanded) value.
    fn raw(&self, key: &str) -> Option<String> {
        self.entry(key).map(|e| e.value.clone())
    }

    /// A typed value: the written one, or `default` (which 4.3 also runs
    /// through expansion and the type's parser).
    fn typed<T>(
        &self,
        key: &str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, ValueError>,
    ) -> Res<T> {
        let text = match self.get(key)? {
            Some(v) => v,
            None => default.to_string(),
        };
        parse(&text).map_err(|e| self.value_error(key, e))
    }

    fn value_error(&self, key: &str, e: ValueError) -> ConfigError {
        let err = ConfigError::new(e.message);
        match self.entry(key) {
            Some(entry) => err.with_detail(located(entry, self.section, e.accepted)),
            None => err,
        }
    }
}

/// The base expansion table: `ENV_*` for every variable.
fn env_table(environ: &[(String, String)]) -> Expansions {
    environ
        .iter()
        .map(|(k, v)| (format!("ENV_{k}"), PyValue::Str(v.clone())))
        .collect()
}

fn s(v: &str) -> PyValue {
    PyValue::Str(v.to_string())
}

/// Environment lists (`KEY=val,KEY2="v 2"`), tokenised the POSIX way as
/// Supervisor 4.4 does (docs/compat.md).
pub fn environment(text: &str) -> Result<EnvList, ValueError> {
    const HINT: &str = "KEY=value pairs separated by commas, such as A=\"1\",B=\"two words\"";
    let tokens =
        super::shlex::env_tokens(text).map_err(|e| ValueError::new(e.to_string(), HINT))?;
    let mut env = EnvList::default();
    let mut i = 0;
    while i < tokens.len() {
        if i + 2 >= tokens.len() || tokens[i + 1] != "=" {
            return Err(ValueError::new(
                format!("Unexpected end of key/value pairs in value '{text}'"),
                HINT,
            ));
        }
        env.set(&tokens[i], &tokens[i + 2]);
        i += 4;
    }
    Ok(env)
}

/// The option names each kind of section knows; anything else is reported
/// as unknown (4.3 ignores it silently).
const SUPERVISORD_KEYS: &[&str] = &[
    "logfile",
    "logfile_maxbytes",
    "logfile_backups",
    "loglevel",
    "pidfile",
    "umask",
    "nodaemon",
    "silent",
    "minfds",
    "minprocs",
    "nocleanup",
    "childlogdir",
    "user",
    "directory",
    "strip_ansi",
    "environment",
    "identifier",
    "subreaper",
];
const PROGRAM_KEYS: &[&str] = &[
    "command",
    "process_name",
    "numprocs",
    "numprocs_start",
    "priority",
    "autostart",
    "startsecs",
    "startretries",
    "autorestart",
    "exitcodes",
    "stopsignal",
    "stopwaitsecs",
    "stopasgroup",
    "killasgroup",
    "user",
    "redirect_stderr",
    "stdout_logfile",
    "stdout_logfile_maxbytes",
    "stdout_logfile_backups",
    "stdout_capture_maxbytes",
    "stdout_events_enabled",
    "stdout_syslog",
    "stderr_logfile",
    "stderr_logfile_maxbytes",
    "stderr_logfile_backups",
    "stderr_capture_maxbytes",
    "stderr_events_enabled",
    "stderr_syslog",
    "environment",
    "directory",
    "umask",
    "serverurl",
];
const FCGI_KEYS: &[&str] = &["socket", "socket_backlog", "socket_owner", "socket_mode"];
const LISTENER_KEYS: &[&str] = &["events", "buffer_size", "result_handler"];

pub fn known_keys(section: &str) -> Option<Vec<&'static str>> {
    let (kind, _) = section.split_once(':').unwrap_or((section, ""));
    let has_colon = section.contains(':');
    Some(match kind {
        "supervisord" if !has_colon => SUPERVISORD_KEYS.to_vec(),
        "supervisorctl" if !has_colon => vec![
            "serverurl",
            "username",
            "password",
            "prompt",
            "history_file",
        ],
        "include" if !has_colon => vec!["files"],
        "program" if has_colon => PROGRAM_KEYS.to_vec(),
        "fcgi-program" if has_colon => [PROGRAM_KEYS, FCGI_KEYS].concat(),
        "eventlistener" if has_colon => [PROGRAM_KEYS, LISTENER_KEYS].concat(),
        "group" if has_colon => vec!["programs", "priority"],
        _ if section.starts_with("inet_http_server") => vec!["port", "username", "password"],
        _ if section.starts_with("unix_http_server") => {
            vec!["file", "chmod", "chown", "username", "password"]
        }
        // Every key of these is passed on to the plugin.
        "rpcinterface" | "ctlplugin" if has_colon => return None,
        _ => vec![],
    })
}

fn unknown_keys(ini: &Ini) -> Vec<UnknownKey> {
    let mut out = Vec::new();
    for sec in ini.sections() {
        let Some(known) = known_keys(&sec.name) else {
            continue;
        };
        if known.is_empty() {
            out.push(UnknownKey {
                file: sec.file.clone(),
                line: sec.line,
                section: sec.name.clone(),
                key: None,
            });
            continue;
        }
        for e in sec.entries() {
            if !known.contains(&e.key.as_str()) {
                out.push(UnknownKey {
                    file: e.origin.file.clone(),
                    line: e.origin.line,
                    section: sec.name.clone(),
                    key: Some(e.key.clone()),
                });
            }
        }
    }
    out
}

/// Python's `glob.glob(pattern)` for `*`, `?` and `[...]` (names starting
/// with `.` only match a pattern that starts with `.`), sorted.
fn glob(pattern: &str) -> Vec<String> {
    fn has_magic(s: &str) -> bool {
        s.contains(['*', '?', '['])
    }
    // Without wildcards Python returns the pattern itself, verbatim, when
    // it exists (`sub/` only if `sub` is a directory).
    if !has_magic(pattern) {
        let exists = if pattern.ends_with('/') {
            Path::new(pattern).is_dir()
        } else {
            std::fs::symlink_metadata(pattern).is_ok()
        };
        return if exists {
            vec![pattern.to_string()]
        } else {
            vec![]
        };
    }
    // A trailing `/` matches directories only, and is kept.
    let dirs_only = pattern.ends_with('/');
    let absolute = pattern.starts_with('/');
    let mut paths: Vec<String> = vec![if absolute {
        "/".to_string()
    } else {
        String::new()
    }];
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for base in &paths {
            let join = |name: &str| values::join_path(base, name);
            if !has_magic(part) {
                let p = join(part);
                let exists = std::fs::symlink_metadata(&p).is_ok();
                if exists && (last || Path::new(&p).is_dir()) {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.is_empty() { "." } else { base.as_str() };
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            for ent in rd.flatten() {
                let name = ent.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && !part.starts_with('.') {
                    continue;
                }
                if fnmatch(part, &name) {
                    let p = join(&name);
                    if last || Path::new(&p).is_dir() {
                        next.push(p);
                    }
                }
            }
        }
        paths = next;
    }
    if parts.is_empty() {
        return vec![];
    }
    if dirs_only {
        paths = paths
            .into_iter()
            .filter(|p| Path::new(p).is_dir())
            .map(|p| format!("{p}/"))
            .collect();
    }
    paths.sort();
    paths
}

/// Shell pattern match of one path component.
fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(close) = p.iter().skip(2).position(|&c| c == ']').map(|i| i + 2) else {
                    return !n.is_empty() && n[0] == '[' && go(&p[1..], &n[1..]);
                };
                let Some(&c) = n.first() else { return false };
                let mut set = &p[1..close];
                let negate = matches!(set.first(), Some('!'));
                if negate {
                    set = &set[1..];
                }
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= c && c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == c;
                        i += 1;
                    }
                }
                hit != negate && go(&p[close + 1..], &n[1..])
            }
            Some(&c) => n.first() == Some(&c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

/// Python's `os.path.dirname(os.path.abspath(path))`.
fn abs_dir(path: &str, cwd: &Path) -> String {
    let abs = values::normalize(path, cwd);
    match abs.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => abs[..i].to_string(),
        None => abs,
    }
}

/// Loads `supervisord`'s configuration from `path` (as named by `-c` or
/// the search) with the command-line `overrides`.
pub fn load_server(path: &str, overrides: &Overrides, ctx: &LoadContext) -> Res<ServerConfig> {
    let text = read_text(path, &ctx.cwd)?;
    let here = abs_dir(path, &ctx.cwd);
    let mut ini = Ini::new();
    ini.read_str(&text, path)
        .map_err(|e| ConfigError::new(e.to_string()))?;

    let home = ctx.home();
    let mut environ = env_table(&ctx.environ);
    let mut parse_warnings = Vec::new();
    let mut parse_infos = Vec::new();
    let mut notices = Vec::new();

    if ini.has_section("include") {
        ini.expand_here(&here);
        let Some(files) = ini.get("include", "files").map(str::to_string) else {
            return Err(ConfigError::new(
                ".ini file has [include] section, but no files setting",
            ));
        };
        let mut table = environ.clone();
        table.insert("here".into(), s(&here));
        table.insert("host_node_name".into(), s(&ctx.host_node_name));
        let files = expand(&files, &table, "include.files")?;
        for pattern in files.split_whitespace() {
            let pattern = if pattern.starts_with('/') {
                pattern.to_string()
            } else {
                format!("{here}/{pattern}")
            };
            let matches = glob(&pattern);
            if matches.is_empty() {
                parse_warnings.push(format!("No file matches via include \"{pattern}\""));
                continue;
            }
            for file in matches {
                parse_infos.push(format!("Included extra file \"{file}\" during parsing"));
                let Ok(bytes) = std::fs::read(&file) else {
                    continue;
                };
                let text = decode(bytes, &file)?;
                let before: Vec<String> = ini
                    .own_entries("include")
                    .iter()
                    .map(|e| e.value.clone())
                    .collect();
                ini.read_str(&text, &file)
                    .map_err(|e| ConfigError::new(e.to_string()))?;
                let after: Vec<String> = ini
                    .own_entries("include")
                    .iter()
                    .map(|e| e.value.clone())
                    .collect();
                if before != after {
                    notices.push(format!(
                        "{file}: [include] in an included file is ignored (Supervisor reads [include] only in the main configuration file)"
                    ));
                }
                ini.expand_here(&abs_dir(&file, &ctx.cwd));
            }
        }
    }

    if !ini.has_section("supervisord") {
        return Err(ConfigError::new(
            ".ini file does not include supervisord section",
        ));
    }

    // [supervisord]: ENV_* (the OS's) and here.
    let mut table = environ.clone();
    table.insert("here".into(), s(&here));
    let r = Reader {
        ini: &ini,
        section: "supervisord",
        expansions: table,
    };
    let minfds = r.typed("minfds", "1024", values::integer)?;
    let minprocs = r.typed("minprocs", "200", values::integer)?;
    let directory = match r.get("directory")? {
        None => None,
        Some(d) => {
            Some(values::existing_directory(&d, home).map_err(|e| r.value_error("directory", e))?)
        }
    };
    let user = r.get("user")?;
    let umask = r.typed("umask", "022", values::octal)?;
    let logfile = r.typed("logfile", "supervisord.log", |v| {
        values::existing_dirpath(v, home)
    })?;
    let logfile_maxbytes = r.typed("logfile_maxbytes", "50MB", values::byte_size)?;
    let logfile_backups = r.typed("logfile_backups", "10", values::integer)?;
    let loglevel = r.typed("loglevel", "info", values::logging_level)?;
    let pidfile = r.typed("pidfile", "supervisord.pid", |v| {
        values::existing_dirpath(v, home)
    })?;
    let identifier = r
        .get("identifier")?
        .unwrap_or_else(|| "supervisor".to_string());
    let nodaemon = r.typed("nodaemon", "false", values::boolean)?;
    let silent = r.typed("silent", "false", values::boolean)?;
    // The default is looked for (a file is created to test each candidate)
    // only when the option is absent.
    let childlogdir = match r.get("childlogdir")? {
        Some(v) => {
            values::existing_directory(&v, home).map_err(|e| r.value_error("childlogdir", e))?
        }
        None => values::existing_directory(&ctx.temp_dir(), home)
            .map_err(|e| ConfigError::new(e.message))?,
    };
    let nocleanup = r.typed("nocleanup", "false", values::boolean)?;
    let strip_ansi = r.typed("strip_ansi", "false", values::boolean)?;
    let subreaper = match r.get("subreaper")? {
        Some(v) => Some(values::boolean(&v).map_err(|e| r.value_error("subreaper", e))?),
        None => None,
    };
    // Expanded once, as 4.4 does (4.3 expands it twice; docs/compat.md).
    let global_env = r.typed("environment", "", environment)?;
    for (k, v) in global_env.iter() {
        environ.insert(format!("ENV_{k}"), s(v));
    }

    let rpcinterfaces = rpc_interfaces(&ini, &environ, &mut notices)?;

    let mut groups = process_groups(
        &ini,
        &here,
        &environ,
        ctx,
        path,
        &mut parse_warnings,
        &mut notices,
    )?;
    for g in &mut groups {
        for p in &mut g.processes {
            let mut env = global_env.clone();
            for (k, v) in p.environment.iter() {
                env.set(k, v);
            }
            p.environment = env;
        }
    }

    let servers = http_servers(&ini, &here, &environ, home, &ctx.cwd)?;

    // Command-line values win over the file (flags can only turn on).
    let user = overrides.user.clone().or(user);
    if let Some(u) = &user {
        values::name_to_uid(u).map_err(|e| ConfigError::new(e.message))?;
    }
    let logfile = overrides.logfile.clone().unwrap_or(logfile);
    let logfile = if logfile == "syslog" {
        logfile
    } else {
        values::normalize(&logfile, &ctx.cwd)
    };
    let pidfile = values::normalize(&overrides.pidfile.clone().unwrap_or(pidfile), &ctx.cwd);
    let supervisord = SupervisordConfig {
        logfile,
        logfile_maxbytes: overrides.logfile_maxbytes.unwrap_or(logfile_maxbytes),
        logfile_backups: overrides.logfile_backups.unwrap_or(logfile_backups),
        loglevel: overrides.loglevel.unwrap_or(loglevel),
        pidfile,
        umask: overrides.umask.unwrap_or(umask),
        nodaemon: overrides.nodaemon || nodaemon,
        silent: overrides.silent || silent,
        minfds: overrides.minfds.unwrap_or(minfds),
        minprocs: overrides.minprocs.unwrap_or(minprocs),
        nocleanup: overrides.nocleanup || nocleanup,
        childlogdir: overrides.childlogdir.clone().unwrap_or(childlogdir),
        user,
        directory: overrides.directory.clone().or(directory),
        strip_ansi: overrides.strip_ansi || strip_ansi,
        environment: global_env,
        identifier: overrides.identifier.clone().unwrap_or(identifier),
        subreaper,
    };

    notices.extend(unknown_keys(&ini).iter().map(ToString::to_string));
    Ok(ServerConfig {
        configfile: path.to_string(),
        here,
        supervisord,
        servers,
        rpcinterfaces,
        groups,
        parse_warnings,
        parse_infos,
        notices,
    })
}

/// A `module:callable` entry point in the form 4.3 resolves it to:
/// spaces around the `:` and a trailing `[extras]` do not matter.
fn entry_point(spec: &str) -> String {
    let spec = spec.trim();
    let spec = match (spec.find('['), spec.ends_with(']')) {
        (Some(i), true) => spec[..i].trim_end(),
        _ => spec,
    };
    match spec.split_once(':') {
        Some((module, attr)) => format!("{}:{}", module.trim(), attr.trim()),
        None => spec.to_string(),
    }
}

fn rpc_interfaces(
    ini: &Ini,
    environ: &Expansions,
    notices: &mut Vec<String>,
) -> Res<Vec<RpcInterfaceConfig>> {
    const KEY: &str = "supervisor.rpcinterface_factory";
    let mut out = Vec::new();
    for sec in ini
        .sections()
        .filter(|s| s.name.starts_with("rpcinterface:"))
    {
        let name = sec
            .name
            .split_once(':')
            .map(|(_, n)| n)
            .unwrap_or("")
            .to_string();
        let r = Reader {
            ini,
            section: &sec.name,
            expansions: environ.clone(),
        };
        let Some(factory) = r.get(KEY)? else {
            return Err(ConfigError::new(format!(
                "section [{}] does not specify a {KEY}",
                sec.name
            )));
        };
        let factory = entry_point(&factory);
        let mut extras = std::collections::BTreeMap::new();
        for k in ini.keys(&sec.name) {
            if k != KEY {
                extras.insert(k.clone(), r.get(&k)?.unwrap_or_default());
            }
        }
        if factory != MAIN_RPC_FACTORY {
            let line = ini
                .entry(&sec.name, KEY)
                .map(|e| e.origin.line)
                .unwrap_or(sec.line);
            notices.push(format!(
                "{}:{}: [{}] the Python plugin {} cannot be loaded by supervisor-rs; this namespace will not be served",
                sec.file, line, sec.name, factory
            ));
        }
        out.push(RpcInterfaceConfig {
            name,
            factory,
            extras,
        });
    }
    Ok(out)
}

fn http_servers(
    ini: &Ini,
    here: &str,
    environ: &Expansions,
    home: Option<&str>,
    cwd: &Path,
) -> Res<Vec<HttpServerConfig>> {
    let mut out = Vec::new();
    let auth = |r: &Reader| -> Res<(Option<String>, Option<String>)> {
        let username = r.get("username")?;
        let password = r.get("password")?;
        if username.is_some() != password.is_some() {
            return Err(ConfigError::new(format!(
                "Section [{}] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified",
                r.section
            )));
        }
        Ok((username, password))
    };
    for sec in ini
        .sections()
        .filter(|s| s.name.starts_with("inet_http_server"))
    {
        let r = Reader {
            ini,
            section: &sec.name,
            expansions: environ.clone(),
        };
        let (username, password) = auth(&r)?;
        let Some(port) = r.get("port")? else {
            return Err(ConfigError::new(format!(
                "section [{}] has no port value",
                sec.name
            )));
        };
        let (host, port) = values::inet_address(&port).map_err(|e| r.value_error("port", e))?;
        out.push(HttpServerConfig {
            section: sec.name.clone(),
            listen: Listen::Inet { host, port },
            username,
            password,
        });
    }
    for sec in ini
        .sections()
        .filter(|s| s.name.starts_with("unix_http_server"))
    {
        let mut table = environ.clone();
        table.insert("here".into(), s(here));
        let r = Reader {
            ini,
            section: &sec.name,
            expansions: environ.clone(),
        };
        let Some(file) = r.get_with("file", &table)? else {
            return Err(ConfigError::new(format!(
                "section [{}] has no file value",
                sec.name
            )));
        };
        let file = values::normalize(&values::expand_user(file.trim(), home), cwd);
        let (username, password) = auth(&r)?;
        let chown = match r.get("chown")? {
            None => (-1, -1),
            Some(v) => values::user_group(&v).ok_or_else(|| {
                r.value_error(
                    "chown",
                    ValueError::new(
                        format!("Invalid sockchown value {v}"),
                        "user or user:group that exist on this system",
                    ),
                )
            })?,
        };
        let chmod = match r.get("chmod")? {
            None => 0o700,
            Some(v) => values::octal(&v).map_err(|_| {
                r.value_error(
                    "chmod",
                    ValueError::new(
                        format!("Invalid chmod value {v}"),
                        "an octal mode such as 0700",
                    ),
                )
            })?,
        };
        out.push(HttpServerConfig {
            section: sec.name.clone(),
            listen: Listen::Unix { file, chmod, chown },
            username,
            password,
        });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn process_groups(
    ini: &Ini,
    here: &str,
    environ: &Expansions,
    ctx: &LoadContext,
    configfile: &str,
    warnings: &mut Vec<String>,
    notices: &mut Vec<String>,
) -> Res<Vec<GroupConfig>> {
    let home = ctx.home();
    let mut group_table = environ.clone();
    group_table.insert("here".into(), s(here));
    let section_names: Vec<String> = ini.sections().map(|s| s.name.clone()).collect();
    let exists = |n: &str| ini.has_section(n);
    let mut groups = Vec::new();
    let mut excluded: Vec<String> = Vec::new();
    let builder = ProcessBuilder {
        ini,
        here,
        environ,
        ctx,
        configfile,
    };

    for sec in section_names.iter().filter(|s| s.starts_with("group:")) {
        let r = Reader {
            ini,
            section: sec,
            expansions: group_table.clone(),
        };
        let group_name = section_name(ini, sec)?;
        let programs = values::list_of_strings(&r.get("programs")?.unwrap_or_default());
        let priority = r.typed("priority", "999", values::integer)?;
        let mut processes = Vec::new();
        for program in programs {
            let prog = format!("program:{program}");
            let fcgi = format!("fcgi-program:{program}");
            let program_section = match (exists(&prog), exists(&fcgi)) {
                (false, false) => {
                    // 4.3 names the last resolved program section here
                    // instead of the group (docs/compat.md).
                    let err = ConfigError::new(format!(
                        "[{sec}] names unknown program or fcgi-program {program}"
                    ));
                    return Err(match ini.entry(sec, "programs") {
                        Some(e) => err.with_detail(located(
                            e,
                            sec,
                            "names of [program:x] or [fcgi-program:x] sections",
                        )),
                        None => err,
                    });
                }
                (true, true) => {
                    return Err(ConfigError::new(format!(
                        "[{sec}] name {program} is ambiguous (exists as program and fcgi-program)"
                    )));
                }
                (true, false) => prog,
                (false, true) => fcgi,
            };
            excluded.push(program_section.clone());
            processes.extend(builder.processes(&program_section, &group_name, warnings)?);
        }
        groups.push(GroupConfig {
            name: group_name,
            priority,
            kind: GroupKind::Process,
            processes,
        });
    }

    for sec in section_names
        .iter()
        .filter(|s| s.starts_with("program:") && !excluded.contains(s))
    {
        let name = section_name(ini, sec)?;
        let r = Reader {
            ini,
            section: sec,
            expansions: group_table.clone(),
        };
        let priority = r.typed("priority", "999", values::integer)?;
        let processes = builder.processes(sec, &name, warnings)?;
        groups.push(GroupConfig {
            name,
            priority,
            kind: GroupKind::Process,
            processes,
        });
    }

    for sec in section_names
        .iter()
        .filter(|s| s.starts_with("eventlistener:"))
    {
        let pool_name = after_colon(sec).to_string();
        let r = Reader {
            ini,
            section: sec,
            expansions: group_table.clone(),
        };
        let priority = r.typed("priority", "-1", values::integer)?;
        let buffer_size = r.typed("buffer_size", "10", values::integer)?;
        if buffer_size < 1 {
            return Err(ConfigError::new(format!(
                "[{sec}] section sets invalid buffer_size ({buffer_size})"
            )));
        }
        let result_handler = r
            .get("result_handler")?
            .map(|h| entry_point(&h))
            .unwrap_or_else(|| DEFAULT_RESULT_HANDLER.to_string());
        if result_handler != DEFAULT_RESULT_HANDLER {
            let line = ini
                .entry(sec, "result_handler")
                .map(|e| e.origin.line)
                .unwrap_or(0);
            notices.push(format!(
                "{}:{line}: [{sec}] the Python result handler {result_handler} cannot be loaded by supervisor-rs; the default handler is used",
                ini.section(sec).map(|s| s.file.as_str()).unwrap_or(configfile)
            ));
        }
        let mut events: Vec<String> = Vec::new();
        for e in values::list_of_strings(&r.get("events")?.unwrap_or_default()) {
            let e = e.to_uppercase();
            if !events.contains(&e) {
                events.push(e);
            }
        }
        if events.is_empty() {
            return Err(ConfigError::new(format!(
                "[{sec}] section requires an \"events\" line"
            )));
        }
        for e in &events {
            if !EVENT_TYPES.contains(&e.as_str()) {
                let err = ConfigError::new(format!("Unknown event type {e} in [{sec}] events"));
                return Err(match ini.entry(sec, "events") {
                    Some(entry) => err.with_detail(located(
                        entry,
                        sec,
                        "event type names such as PROCESS_STATE, TICK_60 or PROCESS_LOG",
                    )),
                    None => err,
                });
            }
        }
        events.sort();
        if r.typed("redirect_stderr", "false", values::boolean)? {
            return Err(ConfigError::new(format!(
                "[{sec}] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol"
            )));
        }
        let processes = builder.processes(sec, &pool_name, warnings)?;
        groups.push(GroupConfig {
            name: pool_name,
            priority,
            kind: GroupKind::EventListener {
                buffer_size,
                events,
                result_handler,
            },
            processes,
        });
    }

    for sec in section_names
        .iter()
        .filter(|s| s.starts_with("fcgi-program:") && !excluded.contains(s))
    {
        let name = section_name(ini, sec)?;
        let r = Reader {
            ini,
            section: sec,
            expansions: group_table.clone(),
        };
        let priority = r.typed("priority", "999", values::integer)?;
        let proc_uid = match r.get("user")? {
            None => None,
            Some(u) => Some(values::name_to_uid(&u).map_err(|e| r.value_error("user", e))?),
        };
        let backlog = match r.get("socket_backlog")? {
            None => None,
            Some(v) => {
                let n = values::integer(&v).map_err(|e| r.value_error("socket_backlog", e))?;
                if !(1..=65535).contains(&n) {
                    return Err(r.value_error(
                        "socket_backlog",
                        ValueError::new(
                            format!("Invalid socket_backlog value {n}"),
                            "a number from 1 to 65535",
                        ),
                    ));
                }
                Some(n)
            }
        };
        let owner = match r.get("socket_owner")? {
            None => None,
            Some(v) => Some(values::user_group(&v).ok_or_else(|| {
                r.value_error(
                    "socket_owner",
                    ValueError::new(
                        format!("Invalid socket_owner value {v}"),
                        "user or user:group that exist on this system",
                    ),
                )
            })?),
        };
        let mode = match r.get("socket_mode")? {
            None => None,
            Some(v) => Some(values::octal(&v).map_err(|_| {
                r.value_error(
                    "socket_mode",
                    ValueError::new(
                        format!("Invalid socket_mode value {v}"),
                        "an octal mode such as 0700",
                    ),
                )
            })?),
        };
        let mut table = group_table.clone();
        table.insert("program_name".into(), s(&name));
        let socket = r.get_with("socket", &table)?.filter(|v| !v.is_empty());
        let Some(socket) = socket else {
            return Err(ConfigError::new(format!(
                "[{sec}] section requires a \"socket\" line"
            )));
        };
        let socket =
            fcgi_socket(&socket, proc_uid, owner, mode, backlog, &ctx.cwd, home).map_err(|m| {
                let err = ConfigError::new(format!("{m} in [{sec}] socket"));
                match ini.entry(sec, "socket") {
                    Some(e) => err.with_detail(located(
                        e,
                        sec,
                        "unix:///absolute/path.sock or tcp://host:port",
                    )),
                    None => err,
                }
            })?;
        let processes = builder.processes(sec, &name, warnings)?;
        groups.push(GroupConfig {
            name,
            priority,
            kind: GroupKind::Fcgi { socket },
            processes,
        });
    }

    groups.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(groups)
}

/// Checks the name part of a section header, locating errors at the header.
fn section_name(ini: &Ini, section: &str) -> Res<String> {
    values::process_or_group_name(after_colon(section)).map_err(|e| {
        let err = ConfigError::new(e.message);
        match ini.section(section) {
            Some(sec) => err.with_detail(format!(
                "{}:{}: [{}]: expected {}",
                sec.file, sec.line, section, e.accepted
            )),
            None => err,
        }
    })
}

fn after_colon(section: &str) -> &str {
    section.split_once(':').map(|(_, n)| n).unwrap_or("")
}

/// 4.3's `parse_fcgi_socket`, with its messages formatted (4.3 prints a
/// Python tuple for two of them; docs/compat.md).
fn fcgi_socket(
    sock: &str,
    proc_uid: Option<u32>,
    owner: Option<(i64, i64)>,
    mode: Option<u32>,
    backlog: Option<i64>,
    cwd: &Path,
    home: Option<&str>,
) -> Result<FcgiSocketConfig, String> {
    if let Some(path) = sock.strip_prefix("unix://") {
        if !path.starts_with('/') {
            return Err(format!("Unix socket path {path} is not an absolute path"));
        }
        let path = values::normalize(&values::expand_user(path, home), cwd);
        let mut owner = owner;
        if owner.is_none() {
            // SAFETY: getuid cannot fail.
            let me = unsafe { libc::getuid() };
            if let Some(uid) = proc_uid.filter(|&u| u != me) {
                owner = Some((
                    i64::from(uid),
                    values::gid_for_uid(uid).map(i64::from).unwrap_or(-1),
                ));
            }
        }
        return Ok(FcgiSocketConfig {
            url: format!("unix://{path}"),
            owner,
            mode: Some(mode.unwrap_or(0o700)),
            backlog,
        });
    }
    if owner.is_some() || mode.is_some() {
        return Err(
            "socket_owner and socket_mode params should only be used with a Unix domain socket"
                .into(),
        );
    }
    if let Some(rest) = sock.strip_prefix("tcp://") {
        if let Some((host, port)) = rest.rsplit_once(':') {
            let host_ok =
                !host.is_empty() && !host.contains(|c: char| c.is_whitespace() || c == ':');
            let port_ok = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
            if host_ok && port_ok {
                let port: i64 = port
                    .parse()
                    .map_err(|_| format!("{port} is above upper bound (65535)"))?;
                if port < 1 {
                    return Err(format!("{port} is below lower bound (1)"));
                }
                if port > 65535 {
                    return Err(format!("{port} is above upper bound (65535)"));
                }
                return Ok(FcgiSocketConfig {
                    url: format!("tcp://{}:{port}", host.to_lowercase()),
                    owner: None,
                    mode: None,
                    backlog,
                });
            }
        }
    }
    Err(format!("Bad socket format {sock}"))
}

/// Builds the processes of one program-like section (4.3's
/// `processes_from_section`).
struct ProcessBuilder<'a> {
    ini: &'a Ini,
    here: &'a str,
    environ: &'a Expansions,
    ctx: &'a LoadContext,
    configfile: &'a str,
}

impl ProcessBuilder<'_> {
    /// Errors get 4.3's ` in section '<s>' (file: '<f>')` suffix.
    fn processes(
        &self,
        section: &str,
        group_name: &str,
        warnings: &mut Vec<String>,
    ) -> Res<Vec<ProcessConfig>> {
        self.build(section, group_name, warnings).map_err(|mut e| {
            let file = self
                .ini
                .section(section)
                .map(|s| s.file.as_str())
                .unwrap_or(self.configfile);
            e.message = format!(
                "{} in section {} (file: {})",
                e.message,
                repr_str(section),
                repr_str(file)
            );
            e
        })
    }

    fn build(
        &self,
        section: &str,
        group_name: &str,
        warnings: &mut Vec<String>,
    ) -> Res<Vec<ProcessConfig>> {
        let program_name = section_name(self.ini, section)?;
        let mut table = self.environ.clone();
        table.insert("here".into(), s(self.here));
        table.insert("program_name".into(), s(&program_name));
        table.insert("host_node_name".into(), s(&self.ctx.host_node_name));
        table.insert("group_name".into(), s(group_name));
        let mut r = Reader {
            ini: self.ini,
            section,
            expansions: table,
        };

        let priority = r.typed("priority", "999", values::integer)?;
        let autostart = r.typed("autostart", "true", values::boolean)?;
        let autorestart = r.typed("autorestart", "unexpected", values::auto_restart)?;
        let startsecs = r.typed("startsecs", "1", values::integer)?;
        let startretries = r.typed("startretries", "3", values::integer)?;
        let stopsignal = r.typed("stopsignal", "TERM", values::signal_number)?;
        let stopwaitsecs = r.typed("stopwaitsecs", "10", values::integer)?;
        let stopasgroup = r.typed("stopasgroup", "false", values::boolean)?;
        let killasgroup = r.typed(
            "killasgroup",
            if stopasgroup { "true" } else { "false" },
            values::boolean,
        )?;
        let exitcodes = r.typed("exitcodes", "0", values::exit_codes)?;
        let redirect_stderr = r.typed("redirect_stderr", "false", values::boolean)?;
        let numprocs = r.typed("numprocs", "1", values::integer)?;
        let numprocs_start = r.typed("numprocs_start", "0", values::integer)?;
        let environment_str = r.raw("environment").unwrap_or_default();
        let stdout_cmax = r.typed("stdout_capture_maxbytes", "0", values::byte_size)?;
        let stdout_events = r.typed("stdout_events_enabled", "false", values::boolean)?;
        let stderr_cmax = r.typed("stderr_capture_maxbytes", "0", values::byte_size)?;
        let stderr_events = r.typed("stderr_events_enabled", "false", values::boolean)?;
        let serverurl = r
            .get("serverurl")?
            .filter(|u| u.trim().to_uppercase() != "AUTO");
        let uid = match r.get("user")? {
            None => None,
            Some(u) => Some(values::name_to_uid(&u).map_err(|e| r.value_error("user", e))?),
        };
        let umask = match r.get("umask")? {
            None => None,
            Some(v) => Some(values::octal(&v).map_err(|e| r.value_error("umask", e))?),
        };
        let process_name = values::process_or_group_name(
            &r.raw("process_name")
                .unwrap_or_else(|| "%(program_name)s".into()),
        )
        .map_err(|e| r.value_error("process_name", e))?;
        if numprocs > 1 && !process_name.contains("%(process_num)") {
            let err = ConfigError::new(
                "%(process_num) must be present within process_name when numprocs > 1",
            );
            return Err(match r.entry("numprocs") {
                Some(e) => err.with_detail(located(e, section, "process_name to contain %(process_num)s, e.g. process_name=%(program_name)s_%(process_num)02d")),
                None => err,
            });
        }
        if stopasgroup && !killasgroup {
            return Err(ConfigError::new(
                "Cannot set stopasgroup=true and killasgroup=false",
            ));
        }

        let mut processes = Vec::new();
        let end = numprocs_start.saturating_add(numprocs.max(0));
        for process_num in numprocs_start..end {
            // 4.3 adds these to one table shared by every process of the
            // section, so a program's ENV_ keys stay visible to the next.
            r.expansions
                .insert("process_num".into(), PyValue::Int(process_num));
            r.expansions
                .insert("numprocs".into(), PyValue::Int(numprocs));
            for (k, v) in self.environ {
                r.expansions.insert(k.clone(), v.clone());
            }
            let env_text = expand(&environment_str, &r.expansions, "environment").map_err(|e| {
                match r.entry("environment") {
                    Some(entry) => e.with_detail(located(
                        entry,
                        section,
                        "KEY=value pairs whose %(name)s names are listed above",
                    )),
                    None => e,
                }
            })?;
            let environment =
                environment(&env_text).map_err(|e| r.value_error("environment", e))?;
            for (k, v) in environment.iter() {
                r.expansions.insert(format!("ENV_{k}"), s(v));
            }
            let directory = r.get("directory")?;
            let stdout = self.channel(&r, "stdout", section, warnings)?;
            let mut stderr = self.channel(&r, "stderr", section, warnings)?;
            if redirect_stderr {
                if matches!(stderr.logfile, LogTarget::File(_)) {
                    warnings.push(format!(
                        "For [{section}], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored"
                    ));
                }
                stderr.logfile = LogTarget::None;
            }
            let Some(command) = r.get("command")? else {
                return Err(ConfigError::new(format!(
                    "program section {section} does not specify a command"
                )));
            };
            let name = expand(&process_name, &r.expansions, "process_name").map_err(|e| match r
                .entry("process_name")
            {
                Some(entry) => e.with_detail(located(
                    entry,
                    section,
                    "a name template whose %(name)s names are listed above",
                )),
                None => e,
            })?;
            processes.push(ProcessConfig {
                name,
                command,
                directory,
                umask,
                priority,
                autostart,
                autorestart,
                startsecs,
                startretries,
                uid,
                stdout: ChannelConfig {
                    capture_maxbytes: stdout_cmax,
                    events_enabled: stdout_events,
                    ..stdout
                },
                stderr: ChannelConfig {
                    capture_maxbytes: stderr_cmax,
                    events_enabled: stderr_events,
                    ..stderr
                },
                stopsignal,
                stopwaitsecs,
                stopasgroup,
                killasgroup,
                exitcodes: exitcodes.clone(),
                redirect_stderr,
                environment,
                serverurl: serverurl.clone(),
            });
        }
        processes.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(processes)
    }

    /// The log options of one channel; `*_logfile` is expanded twice, as
    /// in 4.3.
    fn channel(
        &self,
        r: &Reader,
        ch: &str,
        section: &str,
        warnings: &mut Vec<String>,
    ) -> Res<ChannelConfig> {
        let home = self.ctx.home();
        let lf_key = format!("{ch}_logfile");
        let logfile = match r.get(&lf_key)? {
            None => LogTarget::Auto,
            Some(v) => {
                let v = expand(&v, &r.expansions, &lf_key).map_err(|e| match r.entry(&lf_key) {
                    Some(entry) => e.with_detail(located(
                        entry,
                        section,
                        "a path; this option is expanded twice, so a literal % is written %%%%",
                    )),
                    None => e,
                })?;
                values::logfile_name(&v, home).map_err(|e| r.value_error(&lf_key, e))?
            }
        };
        let backups = r.typed(&format!("{ch}_logfile_backups"), "10", values::integer)?;
        let maxbytes = r.typed(&format!("{ch}_logfile_maxbytes"), "50MB", values::byte_size)?;
        let mut syslog = r.typed(&format!("{ch}_syslog"), "false", values::boolean)?;
        let mut logfile = logfile;
        if logfile == LogTarget::Syslog {
            warnings.push(format!(
                "For [{section}], {lf_key}=syslog but this is deprecated and will be removed.  Use {ch}_syslog=true to enable syslog instead."
            ));
            logfile = LogTarget::None;
            syslog = true;
        }
        if logfile == LogTarget::Auto && maxbytes == 0 {
            warnings.push(format!(
                "For [{section}], AUTO logging used for {lf_key} without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally"
            ));
        }
        Ok(ChannelConfig {
            logfile,
            logfile_maxbytes: maxbytes,
            logfile_backups: backups,
            capture_maxbytes: 0,
            events_enabled: false,
            syslog,
        })
    }
}

/// Loads `[supervisorctl]` from `path` (4.3's `ClientOptions.read_config`).
pub fn load_ctl(path: &str, ctx: &LoadContext) -> Res<CtlConfig> {
    let here = abs_dir(path, &ctx.cwd);
    let text = read_text(path, &ctx.cwd)?;
    let mut ini = Ini::new();
    ini.read_str(&text, path)
        .map_err(|e| ConfigError::new(e.to_string()))?;
    if !ini.has_section("supervisorctl") {
        return Err(ConfigError::new(
            ".ini file does not include supervisorctl section",
        ));
    }
    let home = ctx.home();
    let environ = env_table(&ctx.environ);
    let mut with_here = environ.clone();
    with_here.insert("here".into(), s(&here));
    let r = Reader {
        ini: &ini,
        section: "supervisorctl",
        expansions: environ,
    };
    let defaults = CtlConfig::default();
    let mut serverurl = r
        .get_with("serverurl", &with_here)?
        .unwrap_or(defaults.serverurl);
    if let Some(p) = serverurl.strip_prefix("unix://") {
        serverurl = format!(
            "unix://{}",
            values::normalize(&values::expand_user(p, home), &ctx.cwd)
        );
    }
    let history_file = r
        .get_with("history_file", &with_here)?
        .filter(|h| !h.is_empty())
        .map(|h| values::normalize(&values::expand_user(&h, home), &ctx.cwd));
    Ok(CtlConfig {
        serverurl,
        username: r.get("username")?,
        password: r.get("password")?,
        prompt: r.get("prompt")?.unwrap_or(defaults.prompt),
        history_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx_with(environ: &[(&str, &str)]) -> LoadContext {
        LoadContext {
            environ: environ
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: PathBuf::from("/"),
            host_node_name: "h".into(),
        }
    }

    #[test]
    fn temp_dir_is_the_first_one_a_file_can_be_made_in() {
        let mine = std::env::temp_dir().join(format!("svrs-tmpdir-{}", std::process::id()));
        std::fs::create_dir_all(&mine).unwrap();
        let mine_s = mine.to_str().unwrap();
        assert_eq!(ctx_with(&[("TMPDIR", mine_s)]).temp_dir(), mine_s);
        assert_eq!(
            std::fs::read_dir(&mine).unwrap().count(),
            0,
            "the probe file is removed"
        );
        // Not a directory, or one nobody (not even root) can create files
        // in: Python's gettempdir moves on, and so do we.
        assert_eq!(
            ctx_with(&[("TMPDIR", "/no/such/dir"), ("TEMP", mine_s)]).temp_dir(),
            mine_s
        );
        assert_eq!(
            ctx_with(&[("TMPDIR", "/proc"), ("TMP", mine_s)]).temp_dir(),
            mine_s
        );
        std::fs::remove_dir_all(&mine).unwrap();
    }

    /// As 4.3 reports them when reading a file (the tail case differs from a
    /// bare `bytes.decode()`; bad/not-utf8-truncated.conf pins it against 4.3).
    #[test]
    fn decode_errors_are_pythons() {
        let msg = |b: &[u8]| decode(b.to_vec(), "f").unwrap_err().message;
        assert_eq!(
            msg(b"ab\xffc"),
            "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte"
        );
        assert_eq!(
            msg(b"\xe2\x82x"),
            "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte"
        );
        assert_eq!(
            msg(b"abc\xe2\x82"),
            "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data"
        );
        assert_eq!(
            msg(b"abc\xe2"),
            "'utf-8' codec can't decode byte 0xe2 in position 0: unexpected end of data"
        );
    }

    #[test]
    fn environment_pairs_posix_like_4_4() {
        let env = environment("A=\"quoted,comma\",B=plain,C='single q',D=\"has=eq\"").unwrap();
        assert_eq!(env.get("A"), Some("quoted,comma"));
        assert_eq!(env.get("B"), Some("plain"));
        assert_eq!(env.get("C"), Some("single q"));
        assert_eq!(env.get("D"), Some("has=eq"));
        let env = environment("A=1;B=2,C=3").unwrap();
        assert_eq!(
            (env.get("A"), env.get("B"), env.get("C")),
            (Some("1"), Some("2"), Some("3"))
        );
        let env = environment(" A = 1 , B = 2 ").unwrap();
        assert_eq!((env.get("A"), env.get("B")), (Some("1"), Some("2")));
        assert_eq!(
            environment("PATH=/usr/bin:/bin,X=a.b-c+d(e)")
                .unwrap()
                .get("X"),
            Some("a.b-c+d(e)")
        );
        assert_eq!(environment("A=\"\"").unwrap().get("A"), Some(""));
        assert_eq!(environment("A=\"x#y\",B=2").unwrap().get("A"), Some("x#y"));
        assert_eq!(environment("A=1,").unwrap().get("A"), Some("1"));
        assert_eq!(environment("").unwrap(), EnvList::default());
        assert_eq!(
            environment("A=\"\\\"x\\\"\"").unwrap().get("A"),
            Some("\"x\"")
        );
        assert_eq!(
            environment("A=1,A=2").unwrap().0,
            vec![("A".to_string(), "2".to_string())]
        );
        assert_eq!(environment("A=$HOME").unwrap().get("A"), Some("$"));
        for bad in ["A=1,B", "A=foo@bar", "A=a=b", "A=1,,B=2"] {
            let e = environment(bad).unwrap_err();
            assert_eq!(
                e.message,
                format!("Unexpected end of key/value pairs in value '{bad}'"),
                "{bad}"
            );
        }
        assert_eq!(
            environment("A=\"open").unwrap_err().message,
            "No closing quotation"
        );
    }

    #[test]
    fn fnmatch_basics() {
        assert!(fnmatch("*.conf", "a.conf"));
        assert!(!fnmatch("*.conf", "a.ini"));
        assert!(fnmatch("[0-9]?-*.ini", "1a-web.ini"));
        assert!(fnmatch("[!a]x", "bx"));
        assert!(!fnmatch("[!a]x", "ax"));
    }

    #[test]
    fn known_sections() {
        assert!(known_keys("rpcinterface:supervisor").is_none());
        assert_eq!(known_keys("programs:x"), Some(vec![]));
        assert_eq!(known_keys("Program:x"), Some(vec![]));
        assert!(known_keys("inet_http_server:2").unwrap().contains(&"port"));
        assert_eq!(known_keys("program"), Some(vec![]));
    }
}
