//! The `supervisorctl` role.
//!
//! This build covers its front door: 4.3's options, the configuration
//! search and the `[supervisorctl]` section. Talking to a daemon (every
//! action and the interactive shell) is the next piece of work; until it
//! lands, asking for an action says so plainly and exits 2.
//!
//! **Invariant:** `ctl` depends on `config` (and later `xmlrpc`), never on
//! `daemon`.

use std::ffi::OsString;

use crate::config::{self, CtlConfig, LoadContext, values};
use crate::getopt::{self, OptSpec};

const fn opt(
    short: char,
    long: &'static str,
    metavar: Option<&'static str>,
    help: &'static str,
) -> OptSpec {
    OptSpec {
        short: Some(short),
        long: Some(long),
        metavar,
        help,
    }
}

/// 4.3's options (its long option is `--history_file`, with an
/// underscore), plus `--version`.
pub const OPTIONS: &[OptSpec] = &[
    opt(
        'c',
        "configuration",
        Some("FILENAME"),
        "configuration file path (default /etc/supervisord.conf)",
    ),
    opt('h', "help", None, "print usage message and exit"),
    opt(
        'i',
        "interactive",
        None,
        "start an interactive shell after executing commands",
    ),
    opt(
        's',
        "serverurl",
        Some("URL"),
        "URL on which supervisord server is listening (default \"http://localhost:9001\").",
    ),
    opt(
        'u',
        "username",
        Some("USERNAME"),
        "username to use for authentication with server",
    ),
    opt(
        'p',
        "password",
        Some("PASSWORD"),
        "password to use for authentication with server",
    ),
    opt(
        'r',
        "history_file",
        Some("FILENAME"),
        "keep a readline history (if readline is available)",
    ),
    OptSpec {
        short: None,
        long: Some("version"),
        metavar: None,
        help: "print the version and exit",
    },
    getopt::QUESTION_MARK_HELP,
];

pub fn usage(argv0: &str) -> String {
    format!(
        "supervisorctl -- control applications run by supervisord from the cmd line.\n\nUsage: {argv0} [options] [action [arguments]]\n\nOptions:\n{}\naction [arguments] -- see below\n\nActions are commands like \"tail\" or \"stop\".  If -i is specified or no action is\nspecified on the command line, a \"shell\" interpreting actions typed\ninteractively is started.  Use the action \"help\" to find out about available\nactions.\n",
        getopt::help_lines(OPTIONS)
    )
}

/// Runs `supervisorctl` with `args` (after argv\[0\]); returns the exit code.
pub fn main(argv0: &str, args: Vec<OsString>) -> i32 {
    let (given, action) = match getopt::parse(OPTIONS, args) {
        Ok(p) => p,
        Err(msg) => return crate::usage_error(argv0, &msg, None),
    };
    let mut configfile = None;
    let mut serverurl = None;
    for g in &given {
        let v = g.value.clone().unwrap_or_default();
        match OPTIONS[g.spec].long.unwrap_or("help") {
            "help" => return crate::print_stdout(&usage(argv0)),
            "version" => {
                return crate::print_stdout(&format!("{}\n", crate::daemon::COMPAT_VERSION));
            }
            "configuration" => configfile = Some(v),
            "serverurl" => match values::url(&v) {
                Ok(u) => serverurl = Some(u),
                Err(e) => {
                    return crate::usage_error(
                        argv0,
                        &format!(
                            "invalid value for {} {}: {}",
                            g.name,
                            config::pyfmt::repr_str(&v),
                            e.message
                        ),
                        None,
                    );
                }
            },
            _ => {}
        }
    }
    let ctx = LoadContext::from_process();
    let found = match configfile {
        Some(c) => Some(c),
        None => config::find_config(argv0, &ctx.cwd).ok(),
    };
    let mut cfg = match found {
        Some(path) => match config::load_ctl(&path, &ctx) {
            Ok(c) => c,
            Err(e) => return crate::usage_error(argv0, &e.message, e.detail.as_deref()),
        },
        None => CtlConfig::default(),
    };
    if let Some(u) = serverurl {
        cfg.serverurl = u;
    }
    let what = if action.is_empty() {
        "the interactive shell".to_string()
    } else {
        format!("'{}'", action.join(" "))
    };
    eprintln!(
        "Error: supervisor-rs cannot run {what} yet: the control client is not part of this build (server URL would be {}).",
        cfg.serverurl
    );
    2
}
