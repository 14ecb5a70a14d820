//! Behaviour of Supervisor 4.3 that the `ctl_interop` sequence does not
//! reach, each compared between our programs and 4.3's:
//!
//! * start faults and a missing log through `supervisorctl` (`no such
//!   file`, `file is not executable`, `spawn error`, `no log file`), with
//!   their exit codes 1 and 7;
//! * `update all` and `update <group>` after an edit; `reread` and
//!   `update` when the file no longer loads (CANT_REREAD);
//! * every command while the daemon is shutting down (`ERROR: supervisor
//!   shutting down`, `ERROR: already shutting down`, SHUTDOWN_STATE);
//! * a server speaking another API version (exit 5; `status` says 4);
//! * `supervisord` ending on SIGINT and SIGQUIT as on SIGTERM: exit 0.
//!
//! Our ctl and 4.3's run back to back against the same daemon, for both
//! daemons; output must be byte for byte equal, but for the temp dir and
//! 4.3's `: file: ... line: N` suffix (`util::strip_python_location`).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::harness::{Daemon, Impl, LIMIT, control_section, supervisord_section};
use crate::util::{TempDir, ctl43, describe, run_role, strip_python_location, text};

/// stdout, stderr and exit code, with what differs between runs replaced.
fn shown(o: &Output, dir: &Path) -> (String, String, Option<i32>) {
    let clean =
        |b: &[u8]| strip_python_location(&text(b).replace(&dir.display().to_string(), "<DIR>"));
    (clean(&o.stdout), clean(&o.stderr), o.status.code())
}

/// Runs `supervisorctl -c <conf> <line>` with ours and with 4.3's, asserts
/// they print the same, and returns what ours printed.
fn same(dir: &Path, line: &str) -> (String, String, Option<i32>) {
    let conf = dir.join("supervisord.conf");
    let mut args = vec!["-c".to_string(), conf.display().to_string()];
    args.extend(line.split(' ').map(str::to_string));
    let theirs = ctl43(&args, dir, dir);
    let ours = run_role("supervisorctl", &args, dir, dir);
    assert_ne!(ours.status.code(), Some(101), "{}", describe(line, &ours));
    assert_eq!(
        shown(&ours, dir),
        shown(&theirs, dir),
        "`supervisorctl {line}`\n{}\n{}",
        describe("ours", &ours),
        describe("4.3's", &theirs)
    );
    shown(&ours, dir)
}

fn daemon(imp: Impl, tag: &str, programs: &str) -> Daemon {
    let d = Daemon::start_impl(
        imp,
        tag,
        &format!(
            "{}{}{programs}",
            supervisord_section(""),
            control_section("")
        ),
    );
    d.wait_socket("supervisor.sock");
    d
}

const FAILING: &str = r#"
[program:nofile]
command=/no/such/program
autostart=false

[program:notexec]
command=%(here)s/supervisord.conf
autostart=false

[program:quick]
command=sh -c 'exit 1'
autostart=false
startsecs=1
startretries=0

[program:nolog]
command=sh -c 'echo hi; exec sleep 1000'
stdout_logfile=NONE
startsecs=0

[group:grp]
programs=ga

[program:ga]
command=sleep 1000
startsecs=0
"#;

#[test]
fn start_faults_missing_logs_and_updates_print_what_4_3_prints() {
    for imp in [Impl::Ours, Impl::Py43] {
        let mut d = daemon(imp, "life-faults", FAILING);
        let dir = d.dir.path().to_path_buf();
        d.wait_log("success: ga entered RUNNING state");
        d.wait_log("success: nolog entered RUNNING state");
        let want = |line: &str, out: &str, code: i32| {
            let (stdout, _, exit) = same(&dir, line);
            assert_eq!(
                (stdout.as_str(), exit),
                (out, Some(code)),
                "{imp:?}: {line}"
            );
        };
        want("start nofile", "nofile: ERROR (no such file)\n", 1);
        want(
            "start notexec",
            "notexec: ERROR (file is not executable)\n",
            1,
        );
        want("start quick", "quick: ERROR (spawn error)\n", 7);
        want("tail nolog", "nolog: ERROR (no log file)\n", 1);
        want("update all", "", 0);

        // An edit to the group: `update grp` restarts just that group.
        let conf = dir.join("supervisord.conf");
        let edited = std::fs::read_to_string(&conf)
            .unwrap()
            .replace("command=sleep 1000", "command=sleep 1001");
        std::fs::write(&conf, edited).unwrap();
        // 4.3's ctl goes first and applies it; ours then finds nothing to do,
        // so each gets its own edit.
        let conf_text = std::fs::read_to_string(&conf).unwrap();
        let theirs = ctl43(&["-c", conf.to_str().unwrap(), "update", "grp"], &dir, &dir);
        assert_eq!(
            text(&theirs.stdout),
            "grp: stopped\ngrp: updated process group\n",
            "{}",
            describe("4.3 update grp", &theirs)
        );
        std::fs::write(&conf, conf_text.replace("sleep 1001", "sleep 1002")).unwrap();
        let ours = run_role(
            "supervisorctl",
            &["-c", conf.to_str().unwrap(), "update", "grp"],
            &dir,
            &dir,
        );
        assert_eq!(
            (text(&ours.stdout), ours.status.code()),
            (text(&theirs.stdout), theirs.status.code()),
            "{imp:?}"
        );

        // A file that no longer loads.
        std::fs::write(
            &conf,
            format!(
                "{}\n[program:broken]\n",
                std::fs::read_to_string(&conf).unwrap()
            ),
        )
        .unwrap();
        let (out, _, code) = same(&dir, "reread");
        assert!(out.starts_with("ERROR: CANT_REREAD: "), "{imp:?}: {out}");
        assert_eq!(code, Some(1));
        let (out, _, code) = same(&dir, "update");
        assert!(
            out.starts_with("error: <class 'xmlrpc.client.Fault'>, <Fault 92: "),
            "{imp:?}: {out}"
        );
        assert_eq!(code, Some(1));
        assert_eq!(d.terminate().code(), Some(0));
    }
}

#[test]
fn commands_during_shutdown_print_what_4_3_prints() {
    // A program that outlives TERM keeps the daemon shutting down.
    let stubborn = "
[program:stubborn]
command=sh -c \"trap '' TERM; while :; do sleep 0.1; done\"
startsecs=0
stopwaitsecs=15
";
    for imp in [Impl::Ours, Impl::Py43] {
        let mut d = daemon(imp, "life-shutdown", stubborn);
        let dir = d.dir.path().to_path_buf();
        d.wait_log("success: stubborn entered RUNNING state");
        // One shutdown (4.3's ctl; ours says the same, `ctl_interop`); the
        // commands below then meet a daemon that is shutting down.
        let conf = dir.join("supervisord.conf");
        let o = ctl43(&["-c", conf.to_str().unwrap(), "shutdown"], &dir, &dir);
        assert_eq!(
            text(&o.stdout),
            "Shut down\n",
            "{}",
            describe("shutdown", &o)
        );
        for (line, out) in [
            ("avail", "ERROR: supervisor shutting down\n"),
            ("reread", "ERROR: supervisor shutting down\n"),
            ("update", "ERROR: already shutting down\n"),
            ("shutdown", "ERROR: already shutting down\n"),
            ("reload", "ERROR: already shutting down\n"),
            ("add x", "ERROR: shutting down\n"),
        ] {
            let (stdout, _, _) = same(&dir, line);
            assert_eq!(stdout, out, "{imp:?}: {line}");
        }
        // Any other command fails its first call with SHUTDOWN_STATE.
        let (stdout, _, code) = same(&dir, "status");
        assert!(
            stdout.contains("Fault 6: 'SHUTDOWN_STATE'"),
            "{imp:?}: {stdout}"
        );
        assert_eq!(code, Some(1));
        // stopwaitsecs runs out; the daemon kills the program and exits.
        assert_eq!(d.wait_exit().code(), Some(0), "{imp:?}");
    }
}

/// A server on `<dir>/fake.sock` that answers every call with `value` (as
/// `getVersion` would), until `stop` is set and it is woken once more.
fn fake_server(dir: &Path, value: &str, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let listener = UnixListener::bind(dir.join("fake.sock")).unwrap();
    let body = format!(
        "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><string>{value}</string></value>\n</param>\n</params>\n</methodResponse>\n"
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let Ok(mut s) = stream else { return };
            let _ = s.set_read_timeout(Some(LIMIT));
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0;
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let _ = r.read_exact(&mut vec![0; len]);
            let _ = write!(
                s,
                "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    })
}

#[test]
fn another_api_version_is_exit_5_and_status_says_4() {
    let dir = TempDir::new("life-api");
    dir.write(
        "supervisord.conf",
        "[supervisorctl]\nserverurl=unix://%(here)s/fake.sock\n",
    );
    let stop = Arc::new(AtomicBool::new(false));
    let server = fake_server(dir.path(), "2.0", Arc::clone(&stop));
    let sorry = "Sorry, this version of supervisorctl expects to talk to a server with API version 3.0, but the remote version is 2.0.\n";
    for (line, code) in [("version", 5), ("status", 4), ("start x", 5)] {
        let (out, _, exit) = same(dir.path(), line);
        assert_eq!((out.as_str(), exit), (sorry, Some(code)), "{line}");
    }
    stop.store(true, Ordering::SeqCst);
    let _ = UnixStream::connect(dir.path().join("fake.sock"));
    server.join().unwrap();
}

#[test]
fn sigint_and_sigquit_end_supervisord_with_0_as_sigterm_does() {
    for imp in [Impl::Ours, Impl::Py43] {
        for (sig, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGQUIT, "SIGQUIT")] {
            let mut d = daemon(
                imp,
                "life-sig",
                "[program:s]\ncommand=sleep 1000\nstartsecs=0\n",
            );
            d.wait_log("success: s entered RUNNING state");
            d.signal(sig);
            assert_eq!(d.wait_exit().code(), Some(0), "{imp:?} {name}");
            let log = d.main_log();
            assert!(
                log.contains(&format!("WARN received {name} indicating exit request")),
                "{imp:?}\n{log}"
            );
            assert!(
                log.contains("stopped: s (terminated by SIGTERM)"),
                "{imp:?}\n{log}"
            );
        }
    }
}
