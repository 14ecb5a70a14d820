//! The `supervisorctl` role: 4.3's options, the configuration search and
//! the `[supervisorctl]` section here; then one command, or the shell.
//!
//! * [`client`] — XML-RPC over HTTP/1.1 to a unix socket or TCP server,
//!   and the `/logtail` streams.
//! * [`controller`] — every command, with 4.3's output and exit codes.
//! * [`follow`] — `tail -f`, `maintail -f` and `fg`: streams, stdin and
//!   Ctrl-C in one poll loop.
//! * [`shell`] — the interactive prompt, history and completion.
//! * [`help`] — help texts and the command table.
//! * [`json`] — `status --json` and `avail --json`.
//!
//! **Invariant:** `ctl` depends on `config`, `xmlrpc` and `faults`, never
//! on `daemon`.

pub mod client;
pub mod controller;
mod follow;
pub mod help;
mod json;
pub mod shell;

use std::ffi::OsString;

use crate::config::{self, CtlConfig, LoadContext, values};
use crate::getopt::{self, OptSpec};
use client::Server;
use controller::Controller;

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
        "configuration file path (searches if not given)",
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
        "URL on which supervisord server is listening\n     (default \"http://localhost:9001\").",
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
        "supervisorctl -- control applications run by supervisord from the cmd line.\n\nUsage: {argv0} [options] [action [arguments]]\n\nOptions:\n{}\naction [arguments] -- see below\n\nActions are commands like \"tail\" or \"stop\".  If -i is specified or no action is\nspecified on the command line, a \"shell\" interpreting actions typed\ninteractively is started.  Use the action \"help\" to find out about available\nactions.\n\n",
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
    let mut username = None;
    let mut password = None;
    let mut history_file = None;
    let mut interactive = action.is_empty();
    for g in &given {
        let v = g.value.clone().unwrap_or_default();
        match OPTIONS[g.spec].long.unwrap_or("help") {
            "help" => return crate::print_stdout(&usage(argv0)),
            "version" => {
                return crate::print_stdout(&format!("{}\n", crate::daemon::COMPAT_VERSION));
            }
            "configuration" => configfile = Some(v),
            "interactive" => interactive = true,
            "username" => username = Some(v),
            "password" => password = Some(v),
            "history_file" => history_file = Some(v),
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
    let cfg = match found {
        Some(path) => match config::load_ctl(&path, &ctx) {
            Ok(c) => c,
            Err(e) => return crate::usage_error(argv0, &e.message, e.detail.as_deref()),
        },
        None => CtlConfig::default(),
    };
    let server = Server {
        url: serverurl.unwrap_or(cfg.serverurl),
        username: username.or(cfg.username),
        password: password.or(cfg.password),
    };
    let mut ctl = Controller::new(server, interactive);
    if !action.is_empty() {
        ctl.onecmd(&action.join(" "));
        return ctl.exitstatus;
    }
    let history_file = history_file.or(cfg.history_file);
    shell::run(&mut ctl, &cfg.prompt, history_file.as_deref());
    // 4.3: the shell always exits 0.
    0
}
