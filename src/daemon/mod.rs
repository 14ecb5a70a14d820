//! The `supervisord` role.
//!
//! This build covers the daemon's front door: the command line, finding and
//! loading the configuration with 4.3's errors and exit status, and
//! `--test-config [--json]`. The process engine (the mio reactor, spawning,
//! the state machine, logging) is the next piece of work; until it lands,
//! starting the daemon says so plainly and exits 2 without touching
//! anything.
//!
//! Output: errors go to stderr as `Error: <4.3's message>`, then our
//! location line when there is one, then `For help, use <argv0> -h`; exit 2.

pub mod childlog;
pub mod cli;
pub mod logger;
pub mod rotating;
pub mod timefmt;
pub mod privileges;
pub mod spawn;

use std::ffi::OsString;
use std::io::Write;

use crate::config::{self, ConfigError, LoadContext, ServerConfig};

/// The version `supervisord -v` prints: the Supervisor release whose
/// behaviour we reproduce, since tools parse it (docs/compat.md).
pub const COMPAT_VERSION: &str = "4.3.0";

/// Runs `supervisord` with `args` (after argv\[0\]); returns the exit code.
pub fn main(argv0: &str, args: Vec<OsString>) -> i32 {
    let ctx = LoadContext::from_process();
    let run = match cli::parse(args, ctx.home()) {
        Ok(cli::Command::Help) => {
            return crate::print_stdout(&cli::usage(argv0));
        }
        Ok(cli::Command::Version) => {
            return crate::print_stdout(&format!("{COMPAT_VERSION}\n"));
        }
        Ok(cli::Command::Run(run)) => run,
        Err(msg) => return crate::usage_error(argv0, &msg, None),
    };
    let configfile = match run.configfile.clone() {
        Some(c) => c,
        None => {
            // SAFETY: getuid cannot fail.
            if unsafe { libc::getuid() } == 0 {
                eprintln!(
                    "supervisord: warning: Supervisord is running as root and it is searching for its configuration file in default locations (including its current working directory); you probably want to specify a \"-c\" argument specifying an absolute path to a configuration file for improved security."
                );
            }
            match config::find_config(argv0, &ctx.cwd) {
                Ok(c) => c,
                Err(e) => return crate::usage_error(argv0, &e.message, None),
            }
        }
    };
    if run.profile_options.is_some() {
        eprintln!(
            "supervisord: warning: --profile_options runs Python's profiler in Supervisor 4.3; it has no effect here"
        );
    }
    let loaded = config::load_server(&configfile, &run.overrides, &ctx);
    let cfg = match loaded {
        Ok(c) => c,
        Err(ConfigError { message, detail }) => {
            return crate::usage_error(argv0, &message, detail.as_deref());
        }
    };
    if run.test_config {
        return test_config(&cfg, run.json);
    }
    report_messages(&cfg);
    eprintln!(
        "Error: supervisor-rs cannot run processes yet: the process engine is not part of this build.\n  {} is valid; check it with: {argv0} -c {} --test-config",
        cfg.configfile, cfg.configfile
    );
    2
}

/// The warnings and notes a start-up would log, on stderr.
fn report_messages(cfg: &ServerConfig) {
    let mut err = std::io::stderr().lock();
    for w in &cfg.parse_warnings {
        let _ = writeln!(err, "WARN {w}");
    }
    for n in &cfg.notices {
        let _ = writeln!(err, "WARN {n}");
    }
    for i in &cfg.parse_infos {
        let _ = writeln!(err, "INFO {i}");
    }
}

/// `--test-config`: a line per process (or the JSON document) on stdout,
/// warnings on stderr, exit 0.
fn test_config(cfg: &ServerConfig, json: bool) -> i32 {
    report_messages(cfg);
    if json {
        let text = serde_json::to_string_pretty(&config::json::to_json(cfg))
            .expect("a JSON value always serialises");
        return crate::print_stdout(&format!("{text}\n"));
    }
    let mut out = String::new();
    let nprocs: usize = cfg.groups.iter().map(|g| g.processes.len()).sum();
    out.push_str(&format!(
        "{}: valid configuration: {} group{}, {} process{}\n",
        cfg.configfile,
        cfg.groups.len(),
        if cfg.groups.len() == 1 { "" } else { "s" },
        nprocs,
        if nprocs == 1 { "" } else { "es" },
    ));
    for g in &cfg.groups {
        for p in &g.processes {
            let namespec = if g.name == p.name {
                p.name.clone()
            } else {
                format!("{}:{}", g.name, p.name)
            };
            let user = p.uid.map_or("-".to_string(), |u| u.to_string());
            out.push_str(&format!(
                "{namespec} ({kind}) priority={} autostart={} autorestart={} startsecs={} stopsignal={} uid={user} command={}\n",
                p.priority,
                p.autostart,
                p.autorestart.as_str(),
                p.startsecs,
                config::values::signal_name(p.stopsignal).unwrap_or("?"),
                p.command.replace('\n', " "),
                kind = g.kind.name(),
            ));
        }
    }
    crate::print_stdout(&out)
}
