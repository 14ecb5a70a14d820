//! Configuration: finding the file, reading Supervisor's INI dialect,
//! `%(name)s` expansion, `[include]`, and every section as typed data.
//!
//! **Invariant:** this module knows nothing of the daemon, the control
//! client or the terminal. It reads files, the passwd/group databases and
//! what `LoadContext` hands it, and returns data or a `ConfigError`; it
//! never prints and never exits.
//!
//! Map:
//! * `ini` — the INI dialect (Python's RawConfigParser as 4.3 sets it up).
//! * `pyfmt` — Python `%` formatting and `repr()`, for expansion and messages.
//! * `shlex` — shell-style splitting of `command=` and `environment=`.
//! * `values` — one parser per value type, with 4.3's messages.
//! * `model` — the resolved configuration as plain structs.
//! * `build` — sections to structs, in 4.3's order.
//! * `json` — the `--test-config --json` document.

mod build;
pub mod ini;
pub mod json;
pub mod model;
pub mod pyfmt;
pub mod shlex;
pub mod values;

use std::fmt;
use std::path::Path;

pub use build::{LoadContext, environment, known_keys, load_ctl, load_server, node_name};
pub use model::*;

/// A configuration that cannot be used. `message` is Supervisor 4.3's text
/// (printed after `Error: `); `detail`, when there is one, says where the
/// offending value was written and what would be accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
    pub detail: Option<String>,
}

impl ConfigError {
    pub fn new(message: impl Into<String>) -> ConfigError {
        ConfigError {
            message: message.into(),
            detail: None,
        }
    }

    /// Adds the location line, unless a deeper layer already did.
    pub fn with_detail(mut self, detail: impl Into<String>) -> ConfigError {
        if self.detail.is_none() {
            self.detail = Some(detail.into());
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// `supervisord` command-line options that override `[supervisord]`.
/// Flags can only turn an option on, as in 4.3.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub nodaemon: bool,
    pub silent: bool,
    pub user: Option<String>,
    pub umask: Option<u32>,
    pub directory: Option<String>,
    pub logfile: Option<String>,
    pub logfile_maxbytes: Option<i64>,
    pub logfile_backups: Option<i64>,
    pub loglevel: Option<&'static str>,
    pub pidfile: Option<String>,
    pub identifier: Option<String>,
    pub childlogdir: Option<String>,
    pub nocleanup: bool,
    pub minfds: Option<i64>,
    pub minprocs: Option<i64>,
    pub strip_ansi: bool,
}

/// The places searched for a configuration file when `-c` is not given,
/// in 4.3's order. `argv0` is the program as invoked: its grandparent
/// directory comes first (`/usr/bin/supervisord` -> `/usr/etc/...`).
pub fn search_paths(argv0: &str) -> Vec<String> {
    let parent = |p: &str| -> String {
        match p.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => p[..i].trim_end_matches('/').to_string(),
            None => String::new(),
        }
    };
    let here = parent(&parent(argv0));
    let join = values::join_path;
    vec![
        join(&here, "etc/supervisord.conf"),
        join(&here, "supervisord.conf"),
        "supervisord.conf".to_string(),
        "etc/supervisord.conf".to_string(),
        "/etc/supervisord.conf".to_string(),
        "/etc/supervisor/supervisord.conf".to_string(),
    ]
}

/// The first search path that exists, relative paths against `cwd`.
pub fn find_config(argv0: &str, cwd: &Path) -> Result<String, ConfigError> {
    let paths = search_paths(argv0);
    paths
        .iter()
        .find(|p| cwd.join(p).exists())
        .cloned()
        .ok_or_else(|| {
            ConfigError::new(format!(
                "No config file found at default paths ({}); use the -c option to specify a config file at a different path",
                paths.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_order_follows_argv0() {
        assert_eq!(
            search_paths("/usr/bin/supervisord"),
            [
                "/usr/etc/supervisord.conf",
                "/usr/supervisord.conf",
                "supervisord.conf",
                "etc/supervisord.conf",
                "/etc/supervisord.conf",
                "/etc/supervisor/supervisord.conf"
            ]
        );
        assert_eq!(search_paths("supervisord")[0], "etc/supervisord.conf");
        assert_eq!(search_paths("bin/supervisord")[0], "etc/supervisord.conf");
    }

    #[test]
    fn missing_config_lists_every_path() {
        let dir = std::env::temp_dir().join(format!("svrs-find-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = find_config("/nonexistent-prefix/bin/supervisord", &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        if Path::new("/etc/supervisord.conf").exists()
            || Path::new("/etc/supervisor/supervisord.conf").exists()
        {
            return; // the host has a system-wide config; nothing to assert
        }
        assert_eq!(
            e.unwrap_err().message,
            "No config file found at default paths (/nonexistent-prefix/etc/supervisord.conf, /nonexistent-prefix/supervisord.conf, supervisord.conf, etc/supervisord.conf, /etc/supervisord.conf, /etc/supervisor/supervisord.conf); use the -c option to specify a config file at a different path"
        );
    }
}
