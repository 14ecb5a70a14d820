//! The compatibility matrix for `supervisorctl`: one fixed sequence of
//! commands on one configuration, run by each `supervisorctl` (4.3's and
//! ours) against each `supervisord` (4.3's and ours). 4.3's ctl on 4.3's
//! daemon is the reference; the other three pairings must print the same
//! stdout and stderr and exit with the same status, command by command.
//!
//! Only what legitimately differs between two runs is normalised: the temp
//! dir, pids, uptimes, stop times (`Nov 21 03:22 AM`), AUTO log name
//! suffixes, and the `: file: <python source> line: <n>` that 4.3 appends
//! to its generic `error:` lines (ours has no Python source to name; see
//! docs/compat.md). Everything else, the status column layout included,
//! must be identical.
//!
//! Determinism comes first, so nothing here depends on timing:
//!
//! * Before any command whose output depends on process states or log
//!   contents, the sequence waits (polling, bounded) until the states or
//!   the log are exactly what the next command needs.
//! * A stop of several processes at once (`stop grp:*`, `stop all`,
//!   `restart all`) prints each process when it has stopped, in completion
//!   order. Processes that die together can be reaped in either order, so
//!   every program takes longer to die than the one before it in priority
//!   order (a `TERM` trap sleeps 0.3 s more per step; the two `numprocs`
//!   instances get 1.2 s and 1.5 s through `0.%(process_num)d` summed three
//!   times). Starts need no help: they finish in spawn order.
//! * Those traps make 4.3's ordered shutdown slow (one group at a time, up
//!   to a second late each), so everything is stopped before `reload` and
//!   `shutdown`.
//! * The idle programs wait in `read x` on the stdin pipe supervisord keeps
//!   open, so no program leaves a child behind if a daemon is killed.
//!
//! Every wait and every `supervisorctl` run is bounded by `LIMIT`; when one
//! runs out the sequence ends there with a step saying so, and the
//! comparison reports it like any other difference.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use crate::harness::{Daemon, Impl, LIMIT, control_section, supervisord_section};
use crate::util::{
    Ran, collect, fixed_env, role_command, run_bounded, strip_python_location, text, wait_child,
    wait_for, without_pid_and_uptime,
};

/// The programs (the socket both sides serve is [`control_section`]).
/// `echo` writes fixed output and dies on TERM at once; the
/// others stop later the further down the priority order they are;
/// `plain` ignores nothing (`signal HUP` kills it) and is removed by the
/// edit below before any stop of several processes.
const PROGRAMS: &str = r#"
[program:echo]
command=sh -c 'echo line1; echo line2; echo err >&2; exec sleep 1000'
priority=10

[group:grp]
programs=gb,ga
priority=20

[program:ga]
command=sh -c "trap 'sleep 0.3; exit 0' TERM; read x"
priority=1

[program:gb]
command=sh -c "trap 'sleep 0.6; exit 0' TERM; read x"
priority=2

[program:manual]
command=sh -c "trap 'sleep 0.9; exit 0' TERM; read x"
autostart=false
priority=30

[program:multi]
command=sh -c "trap 'sleep 1.2 0.%(process_num)d 0.%(process_num)d 0.%(process_num)d; exit 0' TERM; read x"
process_name=%(program_name)s_%(process_num)02d
numprocs=2
priority=40

[program:changeme]
command=sh -c "echo before; trap 'sleep 1.8; exit 0' TERM; read x"
priority=50
"#;

/// Only in the first configuration.
const PLAIN: &str = "
[program:plain]
command=sleep 1000
autorestart=false
priority=70
";

/// Only in the edited configuration.
const NEWPROG: &str = r#"
[program:newprog]
command=sh -c "trap 'sleep 2.1; exit 0' TERM; read x"
priority=60
"#;

fn first_conf() -> String {
    format!(
        "{}{}{PROGRAMS}{PLAIN}",
        supervisord_section(""),
        control_section("")
    )
}

/// One program added (`newprog`), one changed (`changeme`), one removed
/// (`plain`).
fn edited_conf() -> String {
    let programs = PROGRAMS.replace("echo before;", "echo after;");
    assert_ne!(programs, PROGRAMS);
    format!(
        "{}{}{programs}{NEWPROG}",
        supervisord_section(""),
        control_section("")
    )
}

/// One command of the sequence and what it printed, normalised. `exit` is
/// `None` when there is nothing to compare (`tail -f` is interrupted) or
/// the command did not finish in time (then `stderr` says so).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Step {
    command: String,
    stdout: String,
    stderr: String,
    exit: Option<i32>,
}

/// A whole run against one implementation.
struct Run {
    steps: Vec<Step>,
    main_log: String,
}

/// The sequence stopped early; the step saying why is already recorded.
struct Aborted;

/// `ctl`'s supervisorctl on the daemon's own config file, with the fixed
/// environment, run from the daemon's directory.
fn ctl_command(ctl: Impl, dir: &Path, conf: &Path, args: &[&str]) -> Command {
    let mut c = role_command(ctl, "supervisorctl");
    c.arg("-c")
        .arg(conf)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(fixed_env(dir));
    c
}

/// Runs one `supervisorctl` command to completion (bounded by LIMIT).
fn ctl(imp: Impl, dir: &Path, conf: &Path, args: &[&str], input: Option<&str>) -> Ran {
    run_bounded(
        &mut ctl_command(imp, dir, conf, args),
        input.map(str::as_bytes),
        LIMIT,
    )
}

/// `(namespec, statename)` of every line of `status` output.
fn states(status: &str) -> Vec<(String, String)> {
    status
        .lines()
        .map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next().unwrap_or_default().to_string();
            let state = w.next().unwrap_or_default().to_string();
            (name, state)
        })
        .collect()
}

/// `"a=RUNNING b=STOPPED"` as `states` returns it.
fn expect_states(spec: &str) -> Vec<(String, String)> {
    spec.split_whitespace()
        .map(|p| {
            let (n, s) = p.split_once('=').unwrap();
            (n.to_string(), s.to_string())
        })
        .collect()
}

const INITIAL: &str = "changeme=RUNNING echo=RUNNING grp:ga=RUNNING grp:gb=RUNNING \
    manual=STOPPED multi:multi_00=RUNNING multi:multi_01=RUNNING plain=RUNNING";
const PLAIN_EXITED: &str = "changeme=RUNNING echo=RUNNING grp:ga=RUNNING grp:gb=RUNNING \
    manual=RUNNING multi:multi_00=RUNNING multi:multi_01=RUNNING plain=EXITED";
const UPDATED: &str = "changeme=RUNNING echo=RUNNING grp:ga=RUNNING grp:gb=RUNNING \
    manual=RUNNING multi:multi_00=RUNNING multi:multi_01=RUNNING newprog=RUNNING";
const RELOADED: &str = "changeme=RUNNING echo=RUNNING grp:ga=RUNNING grp:gb=RUNNING \
    manual=STOPPED multi:multi_00=RUNNING multi:multi_01=RUNNING newprog=RUNNING";

/// One daemon and the steps recorded against it so far.
struct Session<'a> {
    daemon: &'a mut Daemon,
    /// Whose supervisorctl runs the commands.
    ctl: Impl,
    dir: String,
    steps: Vec<Step>,
}

impl Session<'_> {
    fn run(&self, args: &[&str], input: Option<&str>) -> Ran {
        ctl(
            self.ctl,
            self.daemon.dir.path(),
            &self.daemon.conf,
            args,
            input,
        )
    }

    /// Starts `supervisorctl <args>` without waiting for it.
    fn spawn(&self, args: &[&str]) -> Child {
        ctl_command(self.ctl, self.daemon.dir.path(), &self.daemon.conf, args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run supervisorctl")
    }

    fn normalise(&self, s: &str, pid_lines: bool) -> String {
        normalise(&s.replace(&self.dir, "<DIR>"), self.daemon.pid(), pid_lines)
    }

    /// Records `command` with what it printed; ends the sequence if it did
    /// not finish in time.
    fn record(&mut self, command: &str, o: &Ran) -> Result<(), Aborted> {
        let pid_lines = command.starts_with("pid");
        let mut stderr = self.normalise(&o.stderr, pid_lines);
        if !o.finished {
            stderr.push_str(&format!(
                "<supervisorctl still running after {LIMIT:?}; killed>"
            ));
        }
        self.steps.push(Step {
            command: command.to_string(),
            stdout: self.normalise(&o.stdout, pid_lines),
            stderr,
            exit: o.code,
        });
        if o.finished { Ok(()) } else { Err(Aborted) }
    }

    /// Runs `supervisorctl <line>` (split at spaces) and records it.
    fn cmd(&mut self, line: &str) -> Result<(), Aborted> {
        let args: Vec<&str> = line.split(' ').collect();
        let o = self.run(&args, None);
        self.record(line, &o)
    }

    /// Ends the sequence with a step that says what never happened.
    fn abort(&mut self, what: &str, last: &str) -> Aborted {
        self.steps.push(Step {
            command: format!("(waiting until {what})"),
            stdout: self.normalise(last, false),
            stderr: format!("<not within {LIMIT:?}>"),
            exit: None,
        });
        Aborted
    }

    /// Polls `supervisorctl <args>` (unrecorded) until its stdout passes
    /// `ok`.
    fn poll(
        &mut self,
        what: &str,
        args: &[&str],
        ok: impl Fn(&str) -> bool,
    ) -> Result<(), Aborted> {
        let mut last = String::new();
        if wait_for(LIMIT, || {
            let o = self.run(args, None);
            last = o.stdout + &o.stderr;
            ok(&last)
        }) {
            Ok(())
        } else {
            Err(self.abort(what, &last))
        }
    }

    /// Waits until `status` lists exactly these processes in these states.
    fn settle(&mut self, spec: &str) -> Result<(), Aborted> {
        let want = expect_states(spec);
        self.poll(&format!("status shows {spec}"), &["status"], |out| {
            states(out) == want
        })
    }
}

/// The whole sequence: `ctl`'s supervisorctl against `daemon`'s
/// supervisord.
fn run_sequence(daemon: Impl, ctl: Impl) -> Run {
    let name = |i: Impl| match i {
        Impl::Py43 => "py",
        Impl::Ours => "rs",
    };
    let tag = format!("ctl-{}-on-{}", name(ctl), name(daemon));
    let mut d = Daemon::start_impl(daemon, &tag, &first_conf());
    let dir = d.dir.path().to_string_lossy().into_owned();
    let mut s = Session {
        daemon: &mut d,
        ctl,
        dir,
        steps: Vec::new(),
    };
    let _ = sequence(&mut s);
    let steps = std::mem::take(&mut s.steps);
    Run {
        steps,
        main_log: d.main_log(),
    }
}

fn sequence(s: &mut Session) -> Result<(), Aborted> {
    s.settle(INITIAL)?;

    // status: a stopped process (manual, never started) makes it exit 3;
    // unknown names are listed first and make it 4 unless 3 wins.
    s.cmd("status")?;
    s.cmd("status all")?;
    s.cmd("status echo")?;
    s.cmd("status grp:*")?;
    s.cmd("status grp:ga manual nosuch nogrp:*")?;
    s.cmd("status nosuch")?;
    s.cmd("status multi")?;

    // help and unknown commands need no server, but run here anyway.
    s.cmd("help")?;
    s.cmd("help status")?;
    s.cmd("help nosuch")?;
    s.cmd("STATUS")?;
    s.cmd("quit")?;

    // start
    s.cmd("start manual")?;
    s.cmd("status")?;
    s.cmd("start echo")?;
    s.cmd("start nosuch")?;
    s.cmd("start nogrp:*")?;
    s.cmd("start grp:*")?;
    s.cmd("start")?;

    // stop, then start what was stopped (echo and both grp members).
    s.cmd("stop echo")?;
    s.cmd("stop grp:*")?;
    s.cmd("stop echo")?;
    s.cmd("stop nosuch")?;
    s.cmd("stop nogrp:*")?;
    s.cmd("stop")?;
    s.cmd("status")?;
    s.cmd("start all")?;
    s.cmd("start grp:ga grp:gb")?;

    // signal: HUP kills plain, which stays EXITED (autorestart=false).
    s.cmd("signal")?;
    s.cmd("signal HUP")?;
    s.cmd("signal 0 grp:*")?;
    s.cmd("signal 0 nogrp:*")?;
    s.cmd("signal HUP plain")?;
    s.settle(PLAIN_EXITED)?;
    s.cmd("status plain")?;
    s.cmd("signal HUP plain")?;
    s.cmd("signal 0 all")?;
    s.cmd("signal BOGUS echo")?;
    s.cmd("signal BOGUS nosuch")?;

    // pid
    s.cmd("pid")?;
    s.cmd("pid echo")?;
    s.cmd("pid plain")?;
    s.cmd("pid nosuch")?;
    s.cmd("pid all")?;

    // tail: echo has run twice by now.
    let two = "line1\nline2\nline1\nline2\n\n";
    s.poll("echo's stdout log has two runs", &["tail", "echo"], |o| {
        o == two
    })?;
    s.poll(
        "echo's stderr log has two runs",
        &["tail", "echo", "stderr"],
        |o| o == "err\nerr\n\n",
    )?;
    s.cmd("tail echo")?;
    s.cmd("tail -5 echo")?;
    s.cmd("tail -0 echo")?;
    s.cmd("tail echo stderr")?;
    s.cmd("tail echo STDERR")?;
    s.cmd("tail echo bogus")?;
    s.cmd("tail -x echo")?;
    s.cmd("tail nosuch")?;
    s.cmd("tail")?;
    tail_f(s)?;
    s.poll(
        "echo's stderr log has three runs",
        &["tail", "echo", "stderr"],
        |o| o == "err\nerr\nerr\n\n",
    )?;

    // clear
    s.cmd("clear echo")?;
    s.cmd("tail echo")?;
    s.cmd("clear nosuch")?;
    s.cmd("clear")?;
    s.cmd("clear all")?;

    s.cmd("avail")?;
    s.cmd("avail x")?;

    // reread / update / add / remove: first with nothing to do, then on
    // the edited file.
    s.cmd("reread")?;
    s.cmd("update")?;
    s.cmd("add")?;
    s.cmd("remove")?;
    std::fs::write(&s.daemon.conf, edited_conf()).expect("edit the config");
    s.cmd("reread")?;
    s.cmd("avail")?;
    s.cmd("update nosuch")?;
    s.cmd("update")?;
    s.settle(UPDATED)?;
    s.cmd("stop newprog")?;
    s.cmd("remove newprog")?;
    s.cmd("remove echo")?;
    s.cmd("remove nosuch")?;
    s.cmd("add newprog")?;
    s.settle(UPDATED)?;
    s.cmd("add newprog")?;
    s.cmd("add nosuch")?;

    // restart / stop everything.
    s.cmd("restart")?;
    s.cmd("restart grp:*")?;
    s.cmd("restart all")?;
    s.cmd("stop all")?;
    s.cmd("status")?;

    // fg refuses what it cannot attach to (following a live process is
    // in the shell tests: 4.3's fg cannot be ended without killing it).
    s.cmd("fg")?;
    s.cmd("fg echo manual")?;
    s.cmd("fg nosuch")?;
    s.cmd("fg manual")?;

    // open: another URL for the rest of the session, then its status.
    s.cmd("open ftp://x")?;
    let sock = format!("unix://{}/supervisor.sock", s.dir);
    let o = s.run(&["open", &sock], None);
    s.record("open unix://<DIR>/supervisor.sock", &o)?;

    // -i asks before shutdown and reload; the answers come on stdin.
    let o = s.run(&["-i", "shutdown"], Some("n\n"));
    s.record("-i shutdown  (stdin: n)", &o)?;
    let o = s.run(&["-i", "reload"], Some("y\n"));
    s.record("-i reload  (stdin: y)", &o)?;
    s.settle(RELOADED)?;
    s.cmd("status")?;

    s.cmd("version")?;
    s.cmd("version x")?;
    s.cmd("shutdown x")?;
    s.cmd("reload x")?;
    s.cmd("reread x")?;

    s.cmd("stop all")?;
    s.cmd("shutdown")?;
    let exited = wait_for(LIMIT, || {
        s.daemon.child_mut().try_wait().ok().flatten().is_some()
    });
    if !exited {
        return Err(s.abort("supervisord exits after shutdown", ""));
    }
    let status = s.daemon.wait_exit();
    s.steps.push(Step {
        command: "(supervisord exits)".into(),
        stdout: String::new(),
        stderr: String::new(),
        exit: status.code(),
    });

    // The daemon is gone.
    s.cmd("status")?;
    s.cmd("start echo")?;
    s.cmd("avail")?;
    s.cmd("shutdown")?;
    Ok(())
}

/// `tail -f echo`: the log so far, then what `restart echo` (run while it
/// follows) appends. Recorded is what it printed once all of that arrived;
/// it is then interrupted like Ctrl-C and its exit is not compared.
fn tail_f(s: &mut Session) -> Result<(), Aborted> {
    let mut child = s.spawn(&["tail", "-f", "echo"]);
    let (out, _t1) = collect(child.stdout.take().unwrap());
    let (err, _t2) = collect(child.stderr.take().unwrap());
    let seen = |n: usize| {
        wait_for(LIMIT, || {
            text(&out.lock().unwrap()).matches("line2\n").count() >= n
        })
    };
    let result = if !seen(2) {
        Err("tail -f shows the log so far")
    } else {
        match s.cmd("restart echo") {
            Err(Aborted) => Ok(false),
            Ok(()) if seen(3) => Ok(true),
            Ok(()) => Err("tail -f shows what restart echo wrote"),
        }
    };
    let stdout = text(&out.lock().unwrap());
    let stderr = text(&err.lock().unwrap());
    // SAFETY: signalling the supervisorctl this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    wait_child(&mut child, LIMIT);
    match result {
        Ok(true) => {
            s.steps.push(Step {
                command: "tail -f echo  (until three runs of echo are shown)".into(),
                stdout: s.normalise(&stdout, false),
                stderr: s.normalise(&stderr, false),
                exit: None,
            });
            Ok(())
        }
        Ok(false) => Err(Aborted),
        Err(what) => Err(s.abort(what, &(stdout + &stderr))),
    }
}

/// Replaces what legitimately differs between runs. `daemon_pid` is
/// supervisord's; in `pid` output (`pid_lines`) a line of digits is a pid.
fn normalise(s: &str, daemon_pid: i32, pid_lines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for piece in s.split_inclusive('\n') {
        let (line, nl) = match piece.strip_suffix('\n') {
            Some(l) => (l, "\n"),
            None => (piece, ""),
        };
        let line = if pid_lines && !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) {
            match line.parse::<i32>() {
                Ok(0) => "0".to_string(),
                Ok(p) if p == daemon_pid => "<SUPERVISORD_PID>".to_string(),
                _ => "<PID>".to_string(),
            }
        } else {
            auto_suffix(&stop_time(&without_pid_and_uptime(&strip_python_location(
                line,
            ))))
        };
        out.push_str(&line);
        out.push_str(nl);
    }
    out
}

/// A status line ending in a stop time (`Nov 21 03:22 AM`, strftime
/// `%b %d %I:%M %p`) ends in `<TIME>` instead.
fn stop_time(line: &str) -> String {
    let b = line.as_bytes();
    if b.len() < 15 {
        return line.to_string();
    }
    let t = &b[b.len() - 15..];
    let digit = |i: usize| t[i].is_ascii_digit();
    let ok = t[0].is_ascii_uppercase()
        && t[1].is_ascii_lowercase()
        && t[2].is_ascii_lowercase()
        && t[3] == b' '
        && digit(4)
        && digit(5)
        && t[6] == b' '
        && digit(7)
        && digit(8)
        && t[9] == b':'
        && digit(10)
        && digit(11)
        && t[12] == b' '
        && (&t[13..] == b"AM" || &t[13..] == b"PM");
    if ok {
        format!("{}<TIME>", &line[..line.len() - 15])
    } else {
        line.to_string()
    }
}

/// AUTO child log names end in a random 8-character suffix
/// (`echo-stdout---supervisor-j5vbiaat.log`).
fn auto_suffix(line: &str) -> String {
    const MARK: &str = "---supervisor-";
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        out.push_str(&rest[..at + MARK.len()]);
        let n = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if n == 8 && after[n..].starts_with(".log") {
            out.push_str("<RAND>");
            rest = &after[n..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn show(step: Option<&Step>) -> String {
    match step {
        None => "(no such step: the sequence ended before)".to_string(),
        Some(s) => format!(
            "exit: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            s.exit, s.stdout, s.stderr
        ),
    }
}

/// 4.3's supervisorctl against 4.3's supervisord, run once for all the
/// pairings that compare with it.
fn reference() -> &'static Run {
    static REFERENCE: OnceLock<Run> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let run = run_sequence(Impl::Py43, Impl::Py43);
        // The sequence really ran to the end against 4.3 and saw what it
        // is about; an edit that breaks it cannot pass by matching twice.
        let last = run.steps.last().expect("steps");
        assert_eq!(last.command, "shutdown", "{}", show(Some(last)));
        let exits: Vec<(&str, Option<i32>)> = run
            .steps
            .iter()
            .map(|s| (s.command.as_str(), s.exit))
            .collect();
        for want in [
            ("status nosuch", Some(4)),
            ("pid plain", Some(7)),
            ("signal BOGUS echo", Some(1)),
            ("remove echo", Some(1)),
            ("start nogrp:*", Some(2)),
        ] {
            assert!(exits.contains(&want), "{want:?} not in {exits:#?}");
        }
        run
    })
}

/// Runs the sequence with `ctl` against `daemon` (while the reference
/// runs alongside) and fails at the first step that differs from it.
fn compare_with_reference(daemon: Impl, ctl: Impl) {
    let pairing = format!("{ctl:?} supervisorctl on {daemon:?} supervisord");
    let ours = std::thread::scope(|scope| {
        let reference = scope.spawn(reference);
        let ours = run_sequence(daemon, ctl);
        if reference.join().is_err() {
            panic!("the reference run (4.3 on 4.3) failed");
        }
        ours
    });
    let theirs = reference();
    let n = theirs.steps.len().max(ours.steps.len());
    if let Some(i) = (0..n).find(|&i| theirs.steps.get(i) != ours.steps.get(i)) {
        let command = theirs
            .steps
            .get(i)
            .or(ours.steps.get(i))
            .map_or("", |s| s.command.as_str());
        let ours_command = ours.steps.get(i).map_or("", |s| s.command.as_str());
        panic!(
            "{pairing}, step {i}: `supervisorctl {command}` differs{}\n\
             ===== 4.3 on 4.3 =====\n{}\n\
             ===== {pairing} =====\n{}\n\
             ===== 4.3's main log =====\n{}\n\
             ===== main log of the {daemon:?} daemon =====\n{}",
            if ours_command != command {
                format!(" (here: `{ours_command}`)")
            } else {
                String::new()
            },
            show(theirs.steps.get(i)),
            show(ours.steps.get(i)),
            theirs.main_log,
            ours.main_log,
        );
    }
}

#[test]
fn python_supervisorctl_on_our_daemon_prints_what_it_prints_on_4_3() {
    compare_with_reference(Impl::Ours, Impl::Py43);
}

#[test]
fn our_supervisorctl_on_the_4_3_daemon_prints_what_4_3s_prints() {
    compare_with_reference(Impl::Py43, Impl::Ours);
}

#[test]
fn our_supervisorctl_on_our_daemon_prints_what_4_3_prints_on_4_3() {
    compare_with_reference(Impl::Ours, Impl::Ours);
}
