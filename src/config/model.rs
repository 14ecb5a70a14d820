//! The resolved configuration as plain data: what the daemon runs from and
//! what `--test-config --json` prints. Nothing here parses or validates;
//! `build.rs` fills these in, with every default and expansion applied.

use std::collections::BTreeMap;

pub use super::values::{AutoRestart, LogTarget};

/// An environment variable list in the order it was written; a later
/// duplicate replaces the value in place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvList(pub Vec<(String, String)>);

impl EnvList {
    pub fn set(&mut self, key: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(kv) => kv.1 = value.to_string(),
            None => self.0.push((key.to_string(), value.to_string())),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &(String, String)> {
        self.0.iter()
    }
}

/// `[supervisord]`, with command-line overrides applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupervisordConfig {
    /// Absolute path, or `syslog`.
    pub logfile: String,
    pub logfile_maxbytes: i64,
    pub logfile_backups: i64,
    /// Canonical level name (`info`, `debug`, ...).
    pub loglevel: &'static str,
    /// Absolute path.
    pub pidfile: String,
    pub umask: u32,
    pub nodaemon: bool,
    pub silent: bool,
    pub minfds: i64,
    pub minprocs: i64,
    pub nocleanup: bool,
    pub childlogdir: String,
    /// As written (`-u` or `user=`); resolved to a uid at start-up.
    pub user: Option<String>,
    pub directory: Option<String>,
    pub strip_ansi: bool,
    pub environment: EnvList,
    pub identifier: String,
    /// Our extension `subreaper=`: become the child subreaper so orphaned
    /// descendants are reaped here. `None` means automatic: on in the
    /// foreground, off when daemonized (docs/compat.md).
    pub subreaper: Option<bool>,
}

/// One `[inet_http_server*]` or `[unix_http_server*]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpServerConfig {
    pub section: String,
    pub listen: Listen,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listen {
    /// `host` is lower-cased; empty means every interface.
    Inet { host: String, port: u16 },
    /// `file` is absolute; `chown` uses -1 for "unchanged".
    Unix {
        file: String,
        chmod: u32,
        chown: (i64, i64),
    },
}

/// One `[rpcinterface:x]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcInterfaceConfig {
    pub name: String,
    pub factory: String,
    pub extras: BTreeMap<String, String>,
}

/// The standard factory: the `supervisor` namespace of the XML-RPC API.
pub const MAIN_RPC_FACTORY: &str = "supervisor.rpcinterface:make_main_rpcinterface";

/// The standard listener result handler.
pub const DEFAULT_RESULT_HANDLER: &str = "supervisor.dispatchers:default_handler";

/// Every event type name a listener may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "EVENT",
    "PROCESS_STATE",
    "PROCESS_STATE_STOPPED",
    "PROCESS_STATE_EXITED",
    "PROCESS_STATE_STARTING",
    "PROCESS_STATE_STOPPING",
    "PROCESS_STATE_BACKOFF",
    "PROCESS_STATE_FATAL",
    "PROCESS_STATE_RUNNING",
    "PROCESS_STATE_UNKNOWN",
    "PROCESS_COMMUNICATION",
    "PROCESS_COMMUNICATION_STDOUT",
    "PROCESS_COMMUNICATION_STDERR",
    "PROCESS_LOG",
    "PROCESS_LOG_STDOUT",
    "PROCESS_LOG_STDERR",
    "REMOTE_COMMUNICATION",
    "SUPERVISOR_STATE_CHANGE",
    "SUPERVISOR_STATE_CHANGE_RUNNING",
    "SUPERVISOR_STATE_CHANGE_STOPPING",
    "TICK",
    "TICK_5",
    "TICK_60",
    "TICK_3600",
    "PROCESS_GROUP",
    "PROCESS_GROUP_ADDED",
    "PROCESS_GROUP_REMOVED",
];

/// Where one of a process's output channels goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelConfig {
    pub logfile: LogTarget,
    pub logfile_maxbytes: i64,
    pub logfile_backups: i64,
    pub capture_maxbytes: i64,
    pub events_enabled: bool,
    pub syslog: bool,
}

/// One process, after `numprocs` expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessConfig {
    pub name: String,
    pub command: String,
    pub directory: Option<String>,
    pub umask: Option<u32>,
    pub priority: i64,
    pub autostart: bool,
    pub autorestart: AutoRestart,
    pub startsecs: i64,
    pub startretries: i64,
    pub uid: Option<u32>,
    pub stdout: ChannelConfig,
    pub stderr: ChannelConfig,
    pub stopsignal: i32,
    pub stopwaitsecs: i64,
    pub stopasgroup: bool,
    pub killasgroup: bool,
    pub exitcodes: Vec<i32>,
    pub redirect_stderr: bool,
    /// `[supervisord] environment` merged with the program's own.
    pub environment: EnvList,
    /// `None` means AUTO (the daemon's own URL).
    pub serverurl: Option<String>,
}

/// A FastCGI socket shared by the processes of an `[fcgi-program:x]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FcgiSocketConfig {
    /// `unix:///abs/path` or `tcp://host:port`.
    pub url: String,
    pub owner: Option<(i64, i64)>,
    pub mode: Option<u32>,
    pub backlog: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// `[program:x]` or `[group:x]`.
    Process,
    EventListener {
        buffer_size: i64,
        events: Vec<String>,
        result_handler: String,
    },
    Fcgi {
        socket: FcgiSocketConfig,
    },
}

impl GroupKind {
    pub fn name(&self) -> &'static str {
        match self {
            GroupKind::Process => "process",
            GroupKind::EventListener { .. } => "eventlistener",
            GroupKind::Fcgi { .. } => "fcgi",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    pub name: String,
    pub priority: i64,
    pub kind: GroupKind,
    pub processes: Vec<ProcessConfig>,
}

/// A key or section 4.3 would ignore without a word; we warn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKey {
    pub file: String,
    pub line: usize,
    pub section: String,
    /// `None` for a whole unknown section.
    pub key: Option<String>,
}

impl std::fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(k) => write!(
                f,
                "{}:{}: [{}] unknown option '{}' is ignored (Supervisor 4.3 ignores it silently; check its spelling)",
                self.file, self.line, self.section, k
            ),
            None => write!(
                f,
                "{}:{}: unknown section [{}] is ignored (Supervisor 4.3 ignores it silently; check its spelling)",
                self.file, self.line, self.section
            ),
        }
    }
}

/// Everything `supervisord` needs from its configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// The configuration file as named (`-c` or found by search).
    pub configfile: String,
    /// Absolute directory of the configuration file (`%(here)s`).
    pub here: String,
    pub supervisord: SupervisordConfig,
    pub servers: Vec<HttpServerConfig>,
    pub rpcinterfaces: Vec<RpcInterfaceConfig>,
    /// Sorted by (priority, name).
    pub groups: Vec<GroupConfig>,
    /// 4.3's parse warnings, in its words.
    pub parse_warnings: Vec<String>,
    /// `Included extra file "..." during parsing` lines.
    pub parse_infos: Vec<String>,
    /// Our own warnings beyond 4.3's: unknown sections and keys (which 4.3
    /// ignores silently), Python plugins we cannot load, nested includes.
    /// Each names the file and line.
    pub notices: Vec<String>,
}

impl ServerConfig {
    /// The URL children get in `SUPERVISOR_SERVER_URL` unless their
    /// `serverurl=` says otherwise: the first unix server, else the *last*
    /// inet server (4.3's loop has no `break`).
    pub fn serverurl(&self) -> Option<String> {
        let unix = self.servers.iter().find_map(|s| match &s.listen {
            Listen::Unix { file, .. } => Some(format!("unix://{file}")),
            Listen::Inet { .. } => None,
        });
        unix.or_else(|| {
            self.servers.iter().rev().find_map(|s| match &s.listen {
                Listen::Inet { host, port } => {
                    let host = if host.is_empty() { "localhost" } else { host };
                    Some(format!("http://{host}:{port}"))
                }
                Listen::Unix { .. } => None,
            })
        })
    }
}

/// `[supervisorctl]`, as supervisorctl reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtlConfig {
    pub serverurl: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub prompt: String,
    pub history_file: Option<String>,
}

impl Default for CtlConfig {
    fn default() -> CtlConfig {
        CtlConfig {
            serverurl: "http://localhost:9001".to_string(),
            username: None,
            password: None,
            prompt: "supervisor".to_string(),
            history_file: None,
        }
    }
}
