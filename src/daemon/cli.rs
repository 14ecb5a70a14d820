//! `supervisord`'s command line: 4.3's options (each overriding a
//! `[supervisord]` key), plus our `--test-config` and `--json`.
//!
//! Parsing follows 4.3: getopt first (its errors win), then positional
//! arguments are refused, then each option is checked left to right, so
//! `-h` or `-v` act as soon as they are reached.

use std::ffi::OsString;

use crate::config::{Overrides, values};
use crate::getopt::{self, OptSpec};

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Run(Box<RunArgs>),
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct RunArgs {
    /// `-c`; `None` means search the default paths.
    pub configfile: Option<String>,
    pub overrides: Overrides,
    /// `--test-config`: load, report and exit instead of running.
    pub test_config: bool,
    /// `--json` with `--test-config`: print the resolved configuration.
    pub json: bool,
    /// `--profile_options`: accepted for compatibility, has no effect.
    pub profile_options: Option<String>,
}

const fn opt(
    short: Option<char>,
    long: &'static str,
    metavar: Option<&'static str>,
    help: &'static str,
) -> OptSpec {
    OptSpec {
        short,
        long: Some(long),
        metavar,
        help,
    }
}

/// The options, in 4.3's help order.
pub const OPTIONS: &[OptSpec] = &[
    opt(
        Some('c'),
        "configuration",
        Some("FILENAME"),
        "configuration file path (searches if not given)",
    ),
    opt(
        Some('n'),
        "nodaemon",
        None,
        "run in the foreground (same as 'nodaemon=true' in config file)",
    ),
    opt(
        Some('s'),
        "silent",
        None,
        "no logs to stdout (maps to 'silent=true' in config file)",
    ),
    opt(Some('h'), "help", None, "print this usage message and exit"),
    opt(
        Some('v'),
        "version",
        None,
        "print supervisord version number and exit",
    ),
    opt(
        Some('u'),
        "user",
        Some("USER"),
        "run supervisord as this user (or numeric uid)",
    ),
    opt(
        Some('m'),
        "umask",
        Some("UMASK"),
        "use this umask for daemon subprocess (default is 022)",
    ),
    opt(
        Some('d'),
        "directory",
        Some("DIRECTORY"),
        "directory to chdir to when daemonized",
    ),
    opt(
        Some('l'),
        "logfile",
        Some("FILENAME"),
        "use FILENAME as logfile path",
    ),
    opt(
        Some('y'),
        "logfile_maxbytes",
        Some("BYTES"),
        "use BYTES to limit the max size of logfile",
    ),
    opt(
        Some('z'),
        "logfile_backups",
        Some("NUM"),
        "number of backups to keep when max bytes reached",
    ),
    opt(
        Some('e'),
        "loglevel",
        Some("LEVEL"),
        "use LEVEL as log level (debug,info,warn,error,critical)",
    ),
    opt(
        Some('j'),
        "pidfile",
        Some("FILENAME"),
        "write a pid file for the daemon process to FILENAME",
    ),
    opt(
        Some('i'),
        "identifier",
        Some("STR"),
        "identifier used for this instance of supervisord",
    ),
    opt(
        Some('q'),
        "childlogdir",
        Some("DIRECTORY"),
        "the log directory for child process logs",
    ),
    opt(
        Some('k'),
        "nocleanup",
        None,
        "prevent the process from performing cleanup (removal of old automatic child log files) at startup.",
    ),
    opt(
        Some('a'),
        "minfds",
        Some("NUM"),
        "the minimum number of file descriptors for start success",
    ),
    opt(
        Some('t'),
        "strip_ansi",
        None,
        "strip ansi escape codes from process output",
    ),
    opt(
        None,
        "minprocs",
        Some("NUM"),
        "the minimum number of processes available for start success",
    ),
    opt(
        None,
        "profile_options",
        Some("OPTIONS"),
        "accepted for compatibility with Supervisor's Python profiler; has no effect",
    ),
    opt(
        None,
        "test-config",
        None,
        "load and check the configuration, print a summary of every process and exit (0 if valid, 2 if not)",
    ),
    opt(
        None,
        "json",
        None,
        "with --test-config: print the fully resolved configuration as JSON (see docs/config-json.md)",
    ),
    getopt::QUESTION_MARK_HELP,
];

/// The `-h` text.
pub fn usage(argv0: &str) -> String {
    format!(
        "supervisord -- run a set of applications as daemons.\n\nUsage: {argv0} [options]\n\nOptions:\n{}",
        getopt::help_lines(OPTIONS)
    )
}

/// Parses the arguments after argv\[0\]; the error is the text after
/// `Error: `.
pub fn parse(args: Vec<OsString>, home: Option<&str>) -> Result<Command, String> {
    let (given, positional) = getopt::parse(OPTIONS, args)?;
    if !positional.is_empty() {
        let list: Vec<String> = positional
            .iter()
            .map(|a| crate::config::pyfmt::repr_str(a))
            .collect();
        return Err(format!(
            "positional arguments are not supported: [{}]",
            list.join(", ")
        ));
    }
    let mut run = RunArgs::default();
    let mut seen: Vec<&str> = Vec::new();
    for g in given {
        let spec = OPTIONS[g.spec];
        let long = spec.long.unwrap_or("help");
        let v = g.value.clone().unwrap_or_default();
        let bad = |msg: String| {
            format!(
                "invalid value for {} {}: {msg}",
                g.name,
                crate::config::pyfmt::repr_str(&v)
            )
        };
        if !matches!(long, "help" | "version") {
            if seen.contains(&long) {
                return Err(format!(
                    "conflicting command line option {}",
                    crate::config::pyfmt::repr_str(&g.name)
                ));
            }
            seen.push(long);
        }
        let o = &mut run.overrides;
        match long {
            "help" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            "configuration" => run.configfile = Some(v),
            "nodaemon" => o.nodaemon = true,
            "silent" => o.silent = true,
            "user" => o.user = Some(v),
            "umask" => o.umask = Some(values::octal(&v).map_err(|e| bad(e.message))?),
            "directory" => {
                o.directory =
                    Some(values::existing_directory(&v, home).map_err(|e| bad(e.message))?)
            }
            // An empty value falls back to the file's, as in 4.3.
            "logfile" if v.is_empty() => {}
            "pidfile" if v.is_empty() => {}
            "logfile" => {
                o.logfile = Some(values::existing_dirpath(&v, home).map_err(|e| bad(e.message))?)
            }
            "logfile_maxbytes" => {
                o.logfile_maxbytes = Some(values::byte_size(&v).map_err(|e| bad(e.message))?)
            }
            "logfile_backups" => {
                o.logfile_backups = Some(values::integer(&v).map_err(|e| bad(e.message))?)
            }
            "loglevel" => o.loglevel = Some(values::logging_level(&v).map_err(|e| bad(e.message))?),
            "pidfile" => {
                o.pidfile = Some(values::existing_dirpath(&v, home).map_err(|e| bad(e.message))?)
            }
            "identifier" => o.identifier = Some(v),
            "childlogdir" => {
                o.childlogdir =
                    Some(values::existing_directory(&v, home).map_err(|e| bad(e.message))?)
            }
            "nocleanup" => o.nocleanup = true,
            "minfds" => o.minfds = Some(values::integer(&v).map_err(|e| bad(e.message))?),
            "minprocs" => o.minprocs = Some(values::integer(&v).map_err(|e| bad(e.message))?),
            "strip_ansi" => o.strip_ansi = true,
            // 4.3 takes any value here (its parser never fails).
            "profile_options" => {
                run.profile_options = Some(v);
            }
            "test-config" => run.test_config = true,
            "json" => run.json = true,
            other => unreachable!("option table entry {other} has no handler"),
        }
    }
    if run.json && !run.test_config {
        return Err("option --json only works with --test-config".into());
    }
    Ok(Command::Run(Box::new(run)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from).collect(), None)
    }

    fn run(args: &[&str]) -> RunArgs {
        match p(args).unwrap() {
            Command::Run(r) => *r,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn help_and_version_act_in_order() {
        assert_eq!(p(&["-h"]), Ok(Command::Help));
        assert_eq!(p(&["-?"]), Ok(Command::Help));
        assert_eq!(p(&["--vers"]), Ok(Command::Version));
        assert_eq!(p(&["-h", "-e", "bogus"]), Ok(Command::Help));
        assert_eq!(
            p(&["-e", "bogus", "-h"]).unwrap_err(),
            "invalid value for -e 'bogus': bad logging level name 'bogus'"
        );
        // getopt errors come before anything acts
        assert_eq!(
            p(&["-h", "--bogus"]).unwrap_err(),
            "option --bogus not recognized"
        );
    }

    #[test]
    fn overrides_are_typed() {
        let r = run(&[
            "-c",
            "x.conf",
            "-n",
            "-e",
            "DEBUG",
            "-m",
            "077",
            "-y",
            "1MB",
            "-z",
            "3",
            "--minprocs=5",
            "-k",
            "-t",
            "-s",
        ]);
        assert_eq!(r.configfile.as_deref(), Some("x.conf"));
        let o = r.overrides;
        assert!(o.nodaemon && o.nocleanup && o.strip_ansi && o.silent);
        assert_eq!(o.loglevel, Some("debug"));
        assert_eq!(o.umask, Some(0o77));
        assert_eq!(o.logfile_maxbytes, Some(1 << 20));
        assert_eq!(o.logfile_backups, Some(3));
        assert_eq!(o.minprocs, Some(5));
    }

    #[test]
    fn errors_match_4_3() {
        assert_eq!(
            p(&["extra"]).unwrap_err(),
            "positional arguments are not supported: ['extra']"
        );
        assert_eq!(
            p(&["-n", "-n"]).unwrap_err(),
            "conflicting command line option '-n'"
        );
        assert_eq!(
            p(&["-n", "--nodaemon"]).unwrap_err(),
            "conflicting command line option '--nodaemon'"
        );
        assert_eq!(p(&["--n"]).unwrap_err(), "option --n not a unique prefix");
        assert_eq!(
            p(&["-q", "/no/such/dir"]).unwrap_err(),
            "invalid value for -q '/no/such/dir': /no/such/dir is not an existing directory"
        );
        assert_eq!(
            p(&["-a", "x"]).unwrap_err(),
            "invalid value for -a 'x': invalid literal for int() with base 10: 'x'"
        );
        assert_eq!(
            p(&["--json"]).unwrap_err(),
            "option --json only works with --test-config"
        );
    }

    /// docs/compat.md: `-e=debug` is the value `debug` (lexopt), where
    /// 4.3's getopt took `=debug`.
    #[test]
    fn short_value_after_equals_sign() {
        assert_eq!(run(&["-e=debug"]).overrides.loglevel, Some("debug"));
        assert_eq!(run(&["-c=x.conf"]).configfile.as_deref(), Some("x.conf"));
    }

    #[test]
    fn test_config_flags() {
        let r = run(&["--test-config", "--json"]);
        assert!(r.test_config && r.json);
    }

    #[test]
    fn usage_lists_every_option() {
        let u = usage("supervisord");
        assert!(u.starts_with("supervisord -- run a set of applications as daemons.\n\nUsage: supervisord [options]\n\nOptions:\n-c/--configuration FILENAME -- "));
        for spec in OPTIONS.iter().filter(|s| s.long.is_some()) {
            assert!(
                u.contains(&format!("--{}", spec.long.unwrap())),
                "{:?}",
                spec.long
            );
        }
    }
}
