//! The same Python `xmlrpc.client` script, `tests/interop/rpc_probe.py`,
//! against Supervisor 4.3's daemon and against ours, both on
//! `tests/interop/rpc_probe.conf`: every method of `system.listMethods`
//! (aliases included) with the argument forms that matter, faults, result
//! structs, log offsets, reloadConfig and group changes, multicall, restart
//! and shutdown. The probe prints one normalised line per call (pids, times
//! and paths replaced); the two outputs must be equal line by line.
//!
//! The probe is written so that no answer depends on timing (it polls for
//! the states it needs, bounded, and fails loudly instead of printing
//! something else), so any difference is a difference in behaviour.

use std::process::{Command, ExitStatus};
use std::time::Duration;

use crate::harness::{Daemon, Impl, LIMIT};
use crate::util::{fixed_env, python43, root, run_bounded, wait_for};

const CONF: &str = include_str!("interop/rpc_probe.conf");

/// Lines the probe prints against 4.3. A probe that stops early, or one
/// changed without updating this, fails here.
const LINES_43: usize = 744;

/// The probe's own bound: every call has a 30 s socket timeout and every
/// wait 15-30 s, so a run that takes longer than this is stuck.
const PROBE_LIMIT: Duration = Duration::from_secs(300);

struct Run {
    imp: Impl,
    /// The probe's stdout, line by line.
    lines: Vec<String>,
    /// Whether the probe exited 0 (it then shut the daemon down).
    ok: bool,
    probe_stderr: String,
    /// How the daemon ended, if it did within LIMIT of the probe's end.
    daemon_exit: Option<ExitStatus>,
    /// The main log before the probe's clearLog, then after it.
    main_log: String,
}

/// Starts `imp`'s supervisord on CONF, runs the probe against it and lets
/// the daemon exit (the probe's last call is shutdown).
fn probe(imp: Impl, tag: &str) -> Run {
    let mut daemon = Daemon::start_impl(imp, tag, CONF);
    let sock = daemon.wait_socket("supervisor.sock");
    let dir = daemon.dir.path().to_path_buf();
    let probe = run_bounded(
        Command::new(python43())
            .arg(root().join("tests/interop/rpc_probe.py"))
            .arg(&sock)
            .arg(&dir)
            .current_dir(&dir)
            .env_clear()
            .envs(fixed_env(&dir)),
        None,
        PROBE_LIMIT,
    );
    let ok = probe.success();
    let mut probe_stderr = probe.stderr;
    if !probe.finished {
        probe_stderr.push_str("\n(probe killed after PROBE_LIMIT)");
    }
    // Only a probe that got to shutdown has made the daemon exit;
    // otherwise dropping the Daemon kills it.
    let daemon_exit = if ok
        && wait_for(LIMIT, || {
            daemon.child_mut().try_wait().expect("try_wait").is_some()
        }) {
        Some(daemon.wait_exit())
    } else {
        None
    };
    let before = std::fs::read_to_string(daemon.path("main-before-clear.log")).unwrap_or_default();
    Run {
        imp,
        lines: probe.stdout.lines().map(str::to_string).collect(),
        ok,
        probe_stderr,
        daemon_exit,
        main_log: format!("{before}--- (clearLog) ---\n{}", daemon.main_log()),
    }
}

/// Everything about both runs, the first difference with context.
fn report(theirs: &Run, ours: &Run) -> String {
    let (a, b) = (&theirs.lines, &ours.lines);
    let first = a
        .iter()
        .zip(b.iter())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let differing =
        a.iter().zip(b.iter()).filter(|(x, y)| x != y).count() + a.len().abs_diff(b.len());
    let from = first.saturating_sub(5);
    let show = |run: &Run, lines: &[String]| {
        let mut s = format!("--- {:?}, lines {}.. ---\n", run.imp, from + 1);
        for (i, l) in lines.iter().enumerate().skip(from).take(first - from + 8) {
            let mark = if i == first { '>' } else { ' ' };
            s.push_str(&format!("{mark}{:4} {l}\n", i + 1));
        }
        s
    };
    let run_info = |run: &Run| {
        format!(
            "=== {:?}: probe ok: {}, {} lines, daemon exit: {:?}\n--- probe stderr ---\n{}\n--- main log ---\n{}\n",
            run.imp,
            run.ok,
            run.lines.len(),
            run.daemon_exit,
            run.probe_stderr,
            run.main_log
        )
    };
    format!(
        "the probe's output differs from 4.3's at line {} ({differing} lines differ)\n{}{}\n{}{}",
        first + 1,
        show(theirs, a),
        show(ours, b),
        run_info(theirs),
        run_info(ours)
    )
}

/// One call's output: its line and the indented lines that follow it.
fn records(lines: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for l in lines {
        match out.last_mut() {
            Some(r) if l.starts_with(' ') => r.push(l.clone()),
            _ => out.push(vec![l.clone()]),
        }
    }
    out
}

/// Where we answer differently from 4.3 on purpose (docs/compat.md, "The
/// control plane"): 4.3's HTTP 500s for wrong parameter types and for logs
/// that are not UTF-8, and its invalid XML for control characters. Any
/// other difference fails the test.
fn deliberate(theirs: &[String], ours: &[String]) -> bool {
    let call = |r: &[String]| r[0].split(" -> ").next().unwrap_or("").to_string();
    if call(theirs) != call(ours) || theirs.len() != 1 {
        return false;
    }
    let t = &theirs[0];
    let o = ours.join("\n");
    let server_error = t.ends_with("-> ProtocolError(500, 'Internal Server Error')");
    let invalid_xml = t.contains("-> ExpatError('not well-formed (invalid token)");
    let wrong_type = o.ends_with("-> Fault(2, 'INCORRECT_PARAMETERS')");
    let replaced = o.contains('\u{fffd}');
    let multicall_entry = call(theirs).starts_with("system.multicall(")
        && o.contains("faultString=\"FAILED: <class 'AttributeError'>");
    (server_error && (wrong_type || replaced || multicall_entry)) || (invalid_xml && replaced)
}

#[test]
fn every_rpc_method_answers_as_4_3_does() {
    let theirs = probe(Impl::Py43, "rpc-py");
    assert!(
        theirs.ok && theirs.lines.last().map(String::as_str) == Some("probe finished"),
        "the probe failed against 4.3 itself:\n{}\n{}",
        theirs.lines.join("\n"),
        theirs.probe_stderr
    );
    assert_eq!(
        theirs.lines.len(),
        LINES_43,
        "the probe printed a different number of lines against 4.3 than expected:\n{}",
        theirs.lines.join("\n")
    );
    assert_eq!(theirs.daemon_exit.and_then(|s| s.code()), Some(0));

    let ours = probe(Impl::Ours, "rpc-rs");
    let (a, b) = (records(&theirs.lines), records(&ours.lines));
    let unexplained: Vec<String> = a
        .iter()
        .zip(b.iter())
        .filter(|(x, y)| x != y && !deliberate(x, y))
        .map(|(x, y)| format!("4.3:  {}\nours: {}", x.join("\n      "), y.join("\n      ")))
        .collect();
    let explained = a.iter().zip(b.iter()).filter(|(x, y)| x != y).count() - unexplained.len();
    assert!(
        ours.ok && a.len() == b.len() && unexplained.is_empty(),
        "{} calls answer differently ({explained} more on purpose):\n{}\n\n{}",
        unexplained.len(),
        unexplained.join("\n\n"),
        report(&theirs, &ours)
    );
    // The deliberate differences are the ones compat.md lists, and they
    // are exercised: wrong types, bad UTF-8, control characters.
    assert!(
        explained >= 10,
        "only {explained} deliberate differences were seen"
    );
    assert_eq!(
        ours.daemon_exit.and_then(|s| s.code()),
        Some(0),
        "{}",
        report(&theirs, &ours)
    );
}
