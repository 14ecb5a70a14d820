//! supervisor-rs: a drop-in Rust re-implementation of Supervisor 4.3, the
//! UNIX process control system, as one multi-call binary.
//!
//! Map (docs/ARCHITECTURE.md has the longer version):
//! * `multicall` — argv\[0\] dispatch to a role.
//! * `daemon` — `supervisord`.
//! * `ctl` — `supervisorctl`.
//! * `confecho` — `echo_supervisord_conf`.
//! * `pidproxy` — `pidproxy`.
//! * `config` — configuration files, for the daemon and the client.
//! * `getopt` — command lines with Python getopt's rules.
//! * `xmlrpc` — XML-RPC values, request parsing, response writing.
//! * `pytext` — Python's `int()`, `float()`, float `repr` and base64 rules.
//! * `faults` — Supervisor's fault codes, shared by daemon and client.
//! * `net` — a unix-or-TCP stream, shared by daemon and client.
//! * `namespec` — `group:name` process names, shared by daemon and client.

pub mod confecho;
pub mod config;
pub mod ctl;
pub mod daemon;
pub mod faults;
pub mod getopt;
pub mod multicall;
pub mod namespec;
pub mod net;
pub mod pidproxy;
pub mod pytext;
#[cfg(test)]
mod testutil;
pub mod xmlrpc;

use std::io::Write;

/// Reports a usage or configuration error as Supervisor 4.3 does
/// (`Error: <message>`, then `For help, use <argv0> -h`), with our location
/// line between them when there is one. Returns the exit code, 2.
pub fn usage_error(argv0: &str, message: &str, detail: Option<&str>) -> i32 {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "Error: {message}");
    if let Some(d) = detail {
        let _ = writeln!(err, "  {d}");
    }
    let _ = writeln!(err, "For help, use {argv0} -h");
    2
}

/// Writes `text` to stdout. A closed pipe (`| head`) is not an error: the
/// reader has what it wanted. Returns the exit code to use.
pub fn print_stdout(text: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error writing to stdout: {e}");
            1
        }
    }
}
