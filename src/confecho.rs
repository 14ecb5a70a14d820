//! The `echo_supervisord_conf` role: prints the sample configuration
//! (`src/sample.conf`), which documents every section and option and loads
//! both here and in Supervisor 4.3.
//!
//! As in 4.3, other arguments are ignored, so `echo_supervisord_conf >
//! file` keeps working whatever a script passes; `-h/--help` and
//! `--version` are ours.

use std::ffi::OsString;

/// The sample configuration.
pub const SAMPLE: &str = include_str!("sample.conf");

pub fn main(argv0: &str, args: Vec<OsString>) -> i32 {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return crate::print_stdout(&format!(
            "echo_supervisord_conf -- print a sample supervisord configuration file.\n\nUsage: {argv0} > supervisord.conf\n\nEvery section and option is shown and explained; the active ones are a\nworking minimal setup. Options: -h/--help, --version.\n"
        ));
    }
    if args.iter().any(|a| a == "--version") {
        return crate::print_stdout(&format!("{}\n", crate::daemon::COMPAT_VERSION));
    }
    crate::print_stdout(SAMPLE)
}
