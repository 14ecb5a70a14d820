//! The engine end to end: the real binary on temp configs, observed
//! through its main log, pidfile and `/proc`.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::harness::{
    Daemon, KillOnDrop, LIMIT, alive, files_starting, status_field, supervisord_section, wait_gone,
    wait_pid_file,
};
use crate::util::{
    Impl, TempDir, describe, fixed_env, role_command, run_role, text, wait_child, wait_for,
};

fn conf(extra: &str, programs: &str) -> String {
    format!("{}\n{programs}", supervisord_section(extra))
}

#[test]
fn a_crashing_child_is_restarted_with_a_new_pid() {
    let mut d = Daemon::start(
        "crash",
        &conf(
            "",
            "[program:crash]\ncommand=sh -c 'sleep 0.2; exit 3'\nstartsecs=0\n",
        ),
    );
    d.wait_count("spawned: 'crash'", 2);
    d.wait_log("exited: crash (exit status 3; not expected)");
    let pids = d.spawned("crash");
    assert_ne!(pids[0], pids[1], "a restart is a new process");
    assert!(d.main_log().contains("success: crash entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)"));
    assert_eq!(d.terminate().code(), Some(0));
}

#[test]
fn a_child_that_exits_too_fast_ends_fatal_after_startretries() {
    let mut d = Daemon::start(
        "fatal",
        &conf(
            "",
            "[program:fast]\ncommand=/bin/false\nstartretries=2\nstartsecs=1\n",
        ),
    );
    d.wait_log("gave up: fast entered FATAL state, too many start retries too quickly");
    assert_eq!(d.spawned("fast").len(), 3, "startretries + 1 attempts");
    let msgs = d.messages();
    let exits = msgs
        .iter()
        .filter(|m| m.as_str() == "WARN exited: fast (exit status 1; not expected)")
        .count();
    assert_eq!(exits, 3, "{msgs:#?}");
    assert_eq!(d.terminate().code(), Some(0));
}

#[test]
fn a_child_ignoring_sigterm_is_killed_after_stopwaitsecs() {
    let mut d = Daemon::start(
        "stubborn",
        &conf(
            "",
            "[program:stubborn]\ncommand=sh -c \"trap '' TERM; exec sleep 1000\"\nstartsecs=0\nstopwaitsecs=1\n",
        ),
    );
    d.wait_log("success: stubborn");
    let pid = d.spawned("stubborn")[0];
    let status = d.terminate();
    assert_eq!(status.code(), Some(0));
    let log = d.main_log();
    assert!(
        log.contains(&format!("killing stubborn (pid {pid}) with signal SIGTERM")),
        "{log}"
    );
    assert!(
        log.contains(&format!("WARN killing 'stubborn' ({pid}) with SIGKILL")),
        "{log}"
    );
    assert!(
        log.contains("stopped: stubborn (terminated by SIGKILL)"),
        "{log}"
    );
    assert!(!alive(pid));
}

#[test]
fn sighup_during_shutdown_is_ignored_with_4_3s_words() {
    let mut d = Daemon::start(
        "hupdown",
        &conf(
            "",
            "[program:slow]\ncommand=sh -c \"trap '' TERM; exec sleep 1000\"\nstartsecs=0\nstopwaitsecs=2\n",
        ),
    );
    d.wait_log("success: slow");
    d.signal(libc::SIGTERM);
    d.wait_log("waiting for slow to die");
    d.signal(libc::SIGHUP);
    d.wait_log("WARN ignored SIGHUP indicating restart request (shutdown in progress)");
    assert_eq!(d.wait_exit().code(), Some(0));
    assert!(!d.main_log().contains("received SIGHUP"));
}

#[test]
fn stopasgroup_leaves_no_grandchild_alive() {
    let mut d = Daemon::start(
        "group",
        &conf(
            "",
            "[program:parent]\ncommand=sh -c 'sleep 1000 & echo $! > %(here)s/grandchild.pid; wait'\nstartsecs=0\nstopasgroup=true\n",
        ),
    );
    let grandchild = wait_pid_file(&d.path("grandchild.pid"));
    assert!(alive(grandchild));
    assert_eq!(d.terminate().code(), Some(0));
    assert!(d.main_log().contains("process group with signal SIGTERM"));
    assert!(wait_gone(grandchild), "grandchild {grandchild} survived");
}

#[test]
fn priorities_order_start_and_stop() {
    let programs = "[program:c]\ncommand=sleep 1000\npriority=300\nstartsecs=0\n\
                    [program:a]\ncommand=sleep 1000\npriority=100\nstartsecs=0\n\
                    [program:b]\ncommand=sleep 1000\npriority=200\nstartsecs=0\n";
    let mut d = Daemon::start("prio", &conf("", programs));
    d.wait_count("success: ", 3);
    assert_eq!(d.terminate().code(), Some(0));
    let msgs = d.messages();
    let order = |prefix: &str| -> Vec<String> {
        msgs.iter()
            .filter_map(|m| m.split_once(prefix).map(|(_, r)| r[..1].to_string()))
            .collect()
    };
    assert_eq!(order("spawned: '"), ["a", "b", "c"]);
    assert_eq!(order("stopped: "), ["c", "b", "a"]);
    assert!(
        msgs.iter().any(|m| m == "INFO waiting for a, b, c to die"),
        "shutdown names who it waits for: {msgs:#?}"
    );
}

#[test]
fn sighup_reloads_a_changed_config_and_keeps_running_on_a_broken_one() {
    let mut d = Daemon::start(
        "hup",
        &conf("", "[program:old]\ncommand=sleep 1000\nstartsecs=0\n"),
    );
    d.wait_log("success: old");
    let old_pid = d.spawned("old")[0];
    // A broken file: the daemon says why and carries on.
    std::fs::write(
        &d.conf,
        conf("", "[program:new]\ncommand=sleep 1000\nstartsecs=nope\n"),
    )
    .unwrap();
    d.signal(libc::SIGHUP);
    d.wait_log("ERRO restart refused, still running on the previous configuration: invalid literal for int() with base 10: 'nope'");
    assert!(alive(old_pid));
    // One whose main log cannot be opened is refused before anything stops.
    std::fs::create_dir(d.path("logdir")).unwrap();
    let unopenable = conf("", "[program:new]\ncommand=sleep 1000\n")
        .replace("logfile=%(here)s/main.log", "logfile=%(here)s/logdir");
    std::fs::write(&d.conf, unopenable).unwrap();
    d.signal(libc::SIGHUP);
    d.wait_log("ERRO restart refused, still running on the previous configuration: Cannot open the log file");
    assert!(alive(old_pid));
    // A good one: everything stops and the new set starts, same daemon.
    std::fs::write(
        &d.conf,
        conf("", "[program:new]\ncommand=sleep 1000\nstartsecs=0\n"),
    )
    .unwrap();
    d.signal(libc::SIGHUP);
    d.wait_log("success: new");
    assert!(
        d.main_log()
            .contains("received SIGHUP indicating restart request")
    );
    assert!(
        d.main_log()
            .contains("stopped: old (terminated by SIGTERM)")
    );
    assert!(!alive(old_pid));
    assert_eq!(
        d.main_log()
            .matches(&format!("supervisord started with pid {}", d.pid()))
            .count(),
        2
    );
    assert_eq!(d.terminate().code(), Some(0));
}

#[test]
fn a_group_that_stops_at_once_does_not_delay_the_next() {
    // `b` (higher priority number, stopped first) is in BACKOFF when the
    // shutdown comes: it gives up on the spot, and `a` must get its stop
    // signal right then, before any "waiting for" report.
    let programs = "[program:a]\ncommand=sleep 1000\npriority=1\nstartsecs=0\n\
                    [program:b]\ncommand=/bin/false\npriority=2\nstartretries=100\n";
    let mut d = Daemon::start("backoffstop", &conf("", programs));
    d.wait_log("success: a");
    d.wait_count("exited: b", 2);
    assert_eq!(d.terminate().code(), Some(0));
    let msgs = d.messages();
    let at = |prefix: &str| msgs.iter().position(|m| m.contains(prefix));
    let killing = at("killing a (pid").expect("a was stopped");
    let waiting = at("waiting for ").unwrap_or(usize::MAX);
    assert!(killing < waiting, "{msgs:#?}");
}

#[test]
fn a_log_over_the_file_size_limit_is_an_error_not_death() {
    use std::os::unix::process::CommandExt;
    let dir = TempDir::new("fsize");
    let here = dir.path().to_string_lossy().into_owned();
    let path = dir.write(
        "z.conf",
        format!(
            "[supervisord]\nlogfile={here}/main.log\npidfile={here}/z.pid\nnodaemon=true\n\
             [program:big]\ncommand=head -c 300000 /dev/zero\nstdout_logfile={here}/big.log\nstartsecs=0\nautorestart=false\n"
        ),
    );
    let mut c = role_command(Impl::Ours, "supervisord");
    c.arg("-c")
        .arg(&path)
        .env_clear()
        .envs(fixed_env(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setrlimit between fork and exec, no allocation.
    unsafe {
        c.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 100_000,
                rlim_max: 100_000,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
            Ok(())
        });
    }
    let mut child = c.spawn().unwrap();
    let log = || std::fs::read_to_string(dir.path().join("main.log")).unwrap_or_default();
    let reported = wait_for(LIMIT, || {
        log().contains("cannot write the stdout log of 'big'")
    });
    let exited = wait_for(LIMIT, || log().contains("exited: big"));
    let running = child.try_wait().unwrap().is_none();
    // SAFETY: the daemon this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = wait_child(&mut child, LIMIT)
        .unwrap_or_else(|| panic!("supervisord did not exit after SIGTERM\n{}", log()));
    assert!(reported && exited && running, "{}", log());
    assert_eq!(status.code(), Some(0));
}

#[test]
fn an_unwritable_pidfile_is_logged_and_the_daemon_runs_on() {
    let mut d = Daemon::start(
        "badpid",
        &conf("", "[program:s]\ncommand=sleep 1000\nstartsecs=0\n")
            .replace("pidfile=%(here)s/supervisord.pid", "pidfile=%(here)s"),
    );
    d.wait_log("success: s");
    let here = d.dir.path().display().to_string();
    assert!(
        d.messages()
            .contains(&format!("CRIT could not write pidfile {here}")),
        "{}",
        d.main_log()
    );
    // 4.3 logs "started with pid" only after writing the pidfile.
    assert!(
        !d.main_log().contains("supervisord started with pid"),
        "{}",
        d.main_log()
    );
    assert_eq!(d.terminate().code(), Some(0));
}

#[test]
fn a_failed_start_leaves_no_pidfile() {
    let dir = TempDir::new("nopid");
    std::fs::create_dir(dir.path().join("logdir")).unwrap();
    let here = dir.path().to_string_lossy().into_owned();
    let path = dir.write(
        "f.conf",
        format!("[supervisord]\nlogfile={here}/logdir\npidfile={here}/f.pid\nnodaemon=true\n"),
    );
    let o = supervisord_once(&path, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", describe("bad logfile", &o));
    assert!(
        text(&o.stderr).contains("Cannot open the log file"),
        "{}",
        describe("bad logfile", &o)
    );
    assert!(!dir.path().join("f.pid").exists());
}

#[test]
fn a_second_daemon_on_the_same_pidfile_is_refused() {
    let mut d = Daemon::start("twice", &conf("", "[program:s]\ncommand=sleep 1000\n"));
    d.wait_log("supervisord started with pid");
    let o = supervisord_once(&d.conf, d.dir.path());
    let err = text(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        describe("second daemon", &o)
    );
    assert!(
        err.contains(&format!(
            "supervisord (pid {}) is already running with the pidfile",
            d.pid()
        )),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path("supervisord.pid")).unwrap(),
        format!("{}\n", d.pid()),
        "the pidfile is untouched"
    );
    assert_eq!(d.terminate().code(), Some(0));
    assert!(!d.path("supervisord.pid").exists(), "removed at exit");
}

#[test]
fn a_live_unix_socket_is_refused_with_4_3s_message() {
    let dir = TempDir::new("sockbusy");
    let sock = dir.path().join("s.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let body = conf(
        "",
        &format!("[unix_http_server]\nfile={}\n", sock.display()),
    );
    let path = dir.write(
        "s.conf",
        body.replace("%(here)s", &dir.path().to_string_lossy()),
    );
    let o = supervisord_once(&path, dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).starts_with(
        "Error: Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.\n"
    ), "{}", describe("busy socket", &o));
}

#[test]
fn bad_commands_give_the_real_reason_and_end_fatal() {
    let dir_prog = "[program:isdir]\ncommand=/tmp\nstartretries=0\n";
    let missing = "[program:missing]\ncommand=/nonexistent/prog --flag\nstartretries=0\n";
    let noexec = "[program:noexec]\ncommand=%(here)s/supervisord.conf\nstartretries=0\n";
    let badcwd =
        "[program:badcwd]\ncommand=sleep 1000\ndirectory=/nonexistent-dir\nstartretries=1\n";
    let unknown = "[program:unknown]\ncommand=no-such-command-anywhere\nstartretries=0\n";
    let mut d = Daemon::start(
        "badcmd",
        &conf("", &format!("{dir_prog}{missing}{noexec}{badcwd}{unknown}")),
    );
    d.wait_count("gave up: ", 5);
    let msgs = d.messages();
    let here = d.dir.path().display().to_string();
    for want in [
        "INFO spawnerr: command at '/tmp' is a directory".to_string(),
        "INFO spawnerr: can't find command '/nonexistent/prog'".to_string(),
        format!("INFO spawnerr: command at '{here}/supervisord.conf' is not executable"),
        "INFO spawnerr: couldn't chdir to /nonexistent-dir: ENOENT".to_string(),
        "INFO spawnerr: can't find command 'no-such-command-anywhere'".to_string(),
        "INFO gave up: badcwd entered FATAL state, too many start retries too quickly".to_string(),
    ] {
        assert!(msgs.contains(&want), "missing {want:?} in {msgs:#?}");
    }
    assert!(!msgs.iter().any(|m| m.contains("spawned: 'missing'")));
    // The child's own words still reach its stderr log, where 4.3 puts them.
    let logs = files_starting(d.dir.path(), "badcwd-stderr---");
    let content = std::fs::read_to_string(d.path(&logs[0])).unwrap();
    assert!(content.contains("supervisor: couldn't chdir to /nonexistent-dir: ENOENT\nsupervisor: child process was not spawned\n"), "{content:?}");
    assert_eq!(d.terminate().code(), Some(0));
}

#[test]
fn daemonizing_writes_the_pidfile_and_exits_the_parent() {
    let dir = TempDir::new("daemonize");
    let here = dir.path().to_string_lossy().into_owned();
    let body = format!(
        "[supervisord]\nlogfile={here}/main.log\npidfile={here}/d.pid\nchildlogdir={here}\ndirectory=/\nidentifier=mysuper\numask=077\n\
         [program:s]\ncommand=sleep 1000\nstartsecs=0\nstderr_logfile={here}/s.err\n"
    );
    dir.write("d.conf", body);
    // A relative -c: SIGHUP must still find it after the chdir to `/`
    // (which a /d.conf would let a daemon that re-reads `d.conf` pass).
    assert!(!Path::new("/d.conf").exists(), "/d.conf exists");
    let o = role_command(Impl::Ours, "supervisord")
        .arg("-c")
        .arg("d.conf")
        .current_dir(dir.path())
        .env_clear()
        .envs(fixed_env(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(o.code(), Some(0), "the launching process exits 0");
    let pidfile = dir.path().join("d.pid");
    let pid = wait_pid_file(&pidfile);
    // A failing assertion below must not leave the daemon or its child.
    let mut started = KillOnDrop(vec![pid]);
    assert!(alive(pid));
    let log = || std::fs::read_to_string(dir.path().join("main.log")).unwrap_or_default();
    assert!(
        wait_for(LIMIT, || log().contains("success: s")),
        "{}",
        log()
    );
    assert!(log().contains("daemonizing the supervisord process"));
    assert!(log().contains("set current directory: '/'"));
    assert!(log().contains(&format!("supervisord started with pid {pid}")));
    let child: i32 = log()
        .split_once("spawned: 's' with pid ")
        .unwrap()
        .1
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    started.0.push(child);
    assert_eq!(
        files_starting(dir.path(), "s-stdout---mysuper-").len(),
        1,
        "AUTO logs carry the identifier"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("s.err"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "created under the daemon's umask=077");
    // SAFETY: the daemon we started, by the pid it wrote.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    let restarted = format!("supervisord started with pid {pid}");
    assert!(
        wait_for(LIMIT, || log().matches(&restarted).count() == 2),
        "{}",
        log()
    );
    assert!(!log().contains("restart refused"), "{}", log());
    // SAFETY: the daemon we started, by the pid it wrote.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert!(wait_gone(pid), "daemon did not exit");
    assert!(!alive(child), "child left behind");
    // Both are gone: their pids may now belong to someone else.
    started.0.clear();
    assert!(wait_for(LIMIT, || !pidfile.exists()), "pidfile removed");
}

#[test]
fn an_idle_daemon_makes_no_wakeups() {
    let mut d = Daemon::start(
        "idle",
        &conf("", "[program:s]\ncommand=sleep 1000\nstartsecs=1\n"),
    );
    d.wait_log("success: s");
    let pid = d.pid();
    let switches = || {
        status_field(pid, "voluntary_ctxt_switches").unwrap()
            + status_field(pid, "nonvoluntary_ctxt_switches").unwrap()
    };
    let before = switches();
    // Observing that nothing happens takes a period of time.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(switches(), before, "the daemon woke up while idle");
    assert_eq!(d.terminate().code(), Some(0));
}

#[test]
fn a_program_runs_as_its_user() {
    // SAFETY: getuid cannot fail.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("skipped: switching users needs root");
        return;
    }
    let mut d = Daemon::start(
        "user",
        &conf(
            "",
            "[program:who]\ncommand=sh -c 'id -u; id -g'\nuser=nobody\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/who.log\ndirectory=/\n",
        ),
    );
    d.wait_log("exited: who (exit status 0; expected)");
    let out = std::fs::read_to_string(d.path("who.log")).unwrap();
    let ids: Vec<&str> = out.lines().collect();
    assert_eq!(ids[0], "65534", "{out}");
    assert_eq!(d.terminate().code(), Some(0));
}

#[test]
fn supervisord_drops_privileges_to_its_user() {
    // SAFETY: getuid cannot fail.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("skipped: dropping privileges needs root");
        return;
    }
    let dir = TempDir::new("sduser");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let here = dir.path().to_string_lossy().into_owned();
    let path = dir.write(
        "u.conf",
        format!(
            "[supervisord]\nlogfile={here}/main.log\npidfile={here}/u.pid\nchildlogdir={here}\nnodaemon=true\nuser=nobody\n\
             [program:who]\ncommand=id -u\nstartsecs=0\nautorestart=false\nstdout_logfile={here}/who.log\n"
        ),
    );
    let mut child = role_command(Impl::Ours, "supervisord")
        .arg("-c")
        .arg(&path)
        .current_dir("/")
        .env_clear()
        .envs(fixed_env(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(dir.path().join("main.log")).unwrap_or_default();
    let done = wait_for(LIMIT, || {
        log().contains("exited: who (exit status 0; expected)")
    });
    let pid = child.id() as i32;
    let uid = status_field(pid, "Uid");
    // SAFETY: the daemon this test started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = wait_child(&mut child, LIMIT)
        .unwrap_or_else(|| panic!("supervisord did not exit after SIGTERM\n{}", log()));
    assert!(done, "{}", log());
    assert_eq!(uid, Some(65534), "the daemon runs as nobody");
    assert!(
        log().contains("INFO Set uid to user 65534 succeeded"),
        "{}",
        log()
    );
    assert!(!log().contains("Supervisor is running as root"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("who.log")).unwrap(),
        "65534\n"
    );
    assert_eq!(status.code(), Some(0));
}

#[test]
fn minfds_beyond_the_system_limit_is_4_3s_error() {
    let dir = TempDir::new("minfds");
    let here = dir.path().to_string_lossy().into_owned();
    let path = dir.write(
        "m.conf",
        format!("[supervisord]\nlogfile={here}/main.log\npidfile={here}/m.pid\nnodaemon=true\nminfds=2000000000\n"),
    );
    let o = supervisord_once(&path, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", describe("minfds", &o));
    assert!(text(&o.stderr).starts_with(
        "Error: The minimum number of file descriptors required to run this process is 2000000000 as per the \"minfds\" command-line argument or config file setting."
    ), "{}", describe("minfds", &o));
    assert!(!dir.path().join("m.pid").exists(), "nothing started");
}

#[test]
fn the_main_log_is_echoed_in_the_foreground_unless_silent() {
    let programs = "[program:s]\ncommand=sleep 1000\nstartsecs=0\n";
    for (silent, echoed) in [("", true), ("silent=true", false)] {
        let mut d = Daemon::start_with("echo", &conf(silent, programs), &[], Stdio::piped());
        d.wait_log("success: s");
        assert_eq!(d.terminate().code(), Some(0));
        let mut out = String::new();
        use std::io::Read;
        d.child_mut()
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(
            out.contains("INFO success: s entered RUNNING state"),
            echoed,
            "{out}"
        );
        assert!(
            d.main_log()
                .contains("INFO success: s entered RUNNING state")
        );
    }
}

/// Runs `supervisord -c <conf>` to completion (for start-ups that must
/// fail), with the test's fixed environment.
fn supervisord_once(conf: &Path, home: &Path) -> Output {
    run_role(
        "supervisord",
        &[OsStr::new("-c"), conf.as_os_str()],
        home,
        home,
    )
}
