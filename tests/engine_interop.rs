//! The main log of our daemon against Supervisor 4.3's on the same
//! configuration: the same lines, word for word, for spawning, promotion,
//! expected and unexpected exits, spawn errors, giving up, SIGKILL
//! escalation and shutdown (pids normalised, order ignored because 4.3's
//! 1 s loop shifts it).
//!
//! The programs are chosen so that 4.3's up-to-1 s latency cannot change
//! what happens (every exit is seconds away from `startsecs`); a program
//! that exits at once is left out on purpose: 4.3 often notices that exit
//! only after `startsecs` and calls it RUNNING (docs/compat.md, "No polling
//! loop").

use crate::harness::{Daemon, LIMIT};
use crate::util::{Impl, wait_for};

const CONF: &str = "[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
nodaemon=true

[program:nope]
command=/nonexistent/x
startretries=0

[program:crash]
command=sh -c 'sleep 3; exit 3'
autorestart=false

[program:expected]
command=sh -c 'sleep 3; exit 2'
exitcodes=0,2

[program:stubborn]
command=sh -c \"trap '' TERM; exec sleep 1000\"
stopwaitsecs=1

[program:sleeper]
command=sleep 1000
";

/// Runs one daemon on CONF until both exits have been logged, stops it
/// with SIGTERM and returns its main-log messages, pids replaced by `N`.
/// Should anything fail, dropping the `Daemon` kills it and its children.
fn run(daemon: &mut Daemon) -> Vec<String> {
    let ready = wait_for(LIMIT, || {
        let l = daemon.main_log();
        l.contains("exited: crash")
            && l.contains("exited: expected")
            && l.matches("success: ").count() == 4
    });
    assert!(ready, "daemon did not get there:\n{}", daemon.main_log());
    daemon.signal(libc::SIGTERM);
    daemon.wait_exit();
    let mut lines: Vec<String> = daemon
        .messages()
        .iter()
        .map(|l| normalise(l))
        .filter(|l| !l.starts_with("INFO waiting for "))
        .collect();
    lines.sort();
    // Under load 4.3's loop can reap the SIGKILLed child late and send
    // SIGKILL again a second later; one line says the same thing.
    lines.dedup_by(|a, b| a == b && a.starts_with("WARN killing '"));
    lines
}

/// Digit runs become `N` (pids), except inside the fixed texts we keep.
fn normalise(line: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

#[test]
fn the_main_log_says_what_4_3_says() {
    let mut ours = Daemon::start_impl(Impl::Ours, "mainlog-rs", CONF);
    let mut py = Daemon::start_impl(Impl::Py43, "mainlog-py", CONF);
    let theirs = run(&mut py);
    let ours = run(&mut ours);
    assert_eq!(ours, theirs);
    // The comparison covered what matters.
    for needle in [
        "INFO spawnerr: can't find command '/nonexistent/x'",
        "INFO gave up: nope entered FATAL state, too many start retries too quickly",
        "WARN exited: crash (exit status N; not expected)",
        "INFO exited: expected (exit status N; expected)",
        "WARN killing 'stubborn' (N) with SIGKILL",
        "WARN stopped: stubborn (terminated by SIGKILL)",
        "WARN stopped: sleeper (terminated by SIGTERM)",
        "WARN received SIGTERM indicating exit request",
    ] {
        assert!(
            theirs.iter().any(|l| l == needle),
            "{needle:?} not in {theirs:#?}"
        );
    }
}
