//! Child and main logs end to end, on a running `supervisord`: size
//! rotation and its backup order, `/dev/stdout` targets, AUTO log files and
//! their clean-up, SIGUSR2 reopen, write failures and recovery, fairness
//! and memory under a flood, `strip_ansi`, capture mode, main-log rotation
//! and the environment children get.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::harness::{
    Daemon, KillOnDrop, LIMIT, alive, control_section, files_starting, status_field,
    supervisord_section, supervisord_section_with,
};
use crate::util::{TempDir, collect, wait_for};

/// A file's bytes; empty if it does not exist.
fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

/// A file's text (lossy); empty if it does not exist.
fn text(p: &Path) -> String {
    String::from_utf8_lossy(&bytes(p)).into_owned()
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// The numbers after `prefix ` on every line of a file that has them.
fn numbers_after(p: &Path, prefix: &str) -> Vec<u64> {
    text(p)
        .lines()
        .filter_map(|l| {
            l.strip_prefix(prefix)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

/// A program that prints 31 blocks of about 400 bytes (`<tag>-block NNN`),
/// each as one write, and before the next one waits until the daemon has
/// echoed it to the main log, which it does after writing (and rotating)
/// the child log. So every block is a chunk of its own, and rotation
/// happens right after blocks 3, 6, 9, ... (3 x 394 >= 1024 > 2 x 394).
fn block_writer(tag: &str) -> String {
    format!(
        "sh -c 'pad=$(printf \"%%0380d\" 0); i=1; while [ $i -le 31 ]; do n=$(printf %%03d $i); printf \"{tag}-block %%s %%s\\n\" $n $pad; k=0; while ! grep -q \"{tag}-block $n \" %(here)s/main.log; do k=$((k+1)); [ $k -gt 2000 ] && exit 3; sleep 0.01; done; i=$((i+1)); done'"
    )
}

#[test]
fn child_log_rotation_keeps_backups_in_43_order() {
    let conf = format!(
        "{}
[program:rot3]
command={}
startsecs=0
autorestart=false
stdout_logfile=%(here)s/out.log
stdout_logfile_maxbytes=1KB
stdout_logfile_backups=3

[program:rot0]
command={}
startsecs=0
autorestart=false
stdout_logfile=%(here)s/zero.log
stdout_logfile_maxbytes=1KB
stdout_logfile_backups=0
",
        supervisord_section(""),
        block_writer("r3"),
        block_writer("r0"),
    );
    let d = Daemon::start("logs-rotate", &conf);
    d.wait_log("exited: rot3 (exit status 0; expected)");
    d.wait_log("exited: rot0 (exit status 0; expected)");
    let dir = d.dir.path();

    assert_eq!(
        files_starting(dir, "out.log"),
        ["out.log", "out.log.1", "out.log.2", "out.log.3"],
        "backups=3 keeps exactly three backups"
    );
    let blocks = |name: &str| numbers_after(&dir.join(name), "r3-block");
    // Newest in out.log, then .1 (the most recent backup), .2, .3.
    assert_eq!(
        blocks("out.log"),
        [31],
        "out.log: {}",
        text(&dir.join("out.log"))
    );
    assert_eq!(blocks("out.log.1"), [28, 29, 30]);
    assert_eq!(blocks("out.log.2"), [25, 26, 27]);
    assert_eq!(blocks("out.log.3"), [22, 23, 24]);
    for n in 1..=3 {
        let p = dir.join(format!("out.log.{n}"));
        assert!(size(&p) >= 1024, "{} has {} bytes", p.display(), size(&p));
    }

    assert_eq!(
        files_starting(dir, "zero.log"),
        ["zero.log"],
        "backups=0 truncates and keeps no backup"
    );
    assert_eq!(
        numbers_after(&dir.join("zero.log"), "r0-block"),
        [31],
        "zero.log: {}",
        text(&dir.join("zero.log"))
    );
}

#[test]
fn dev_stdout_works_with_and_without_maxbytes() {
    let program = |name: &str, maxbytes: &str| {
        format!(
            "[program:{name}]
command=sh -c 'for i in 1 2 3 4 5; do echo \"dev-{name} $i\"; sleep 0.1; done'
startsecs=0
autorestart=false
stdout_logfile=/dev/stdout
{maxbytes}
"
        )
    };
    // silent: the main log is not copied to stdout, so what appears there
    // can only come from the child log itself.
    let conf = format!(
        "{}\n{}\n{}",
        supervisord_section("silent=true"),
        program("zero", "stdout_logfile_maxbytes=0"),
        program("dflt", ""),
    );
    let mut d = Daemon::start_with("logs-devstdout", &conf, &[], Stdio::piped());
    // The reader ends at EOF, when the daemon exits (the Daemon kills it
    // at the latest).
    let (out, _reader) = collect(d.child_mut().stdout.take().expect("daemon stdout pipe"));
    let stdout = || String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
    d.wait_log("exited: zero (exit status 0; expected)");
    d.wait_log("exited: dflt (exit status 0; expected)");
    let all_there = || {
        let s = stdout();
        (1..=5).all(|i| {
            s.contains(&format!("dev-zero {i}\n")) && s.contains(&format!("dev-dflt {i}\n"))
        })
    };
    assert!(
        wait_for(LIMIT, all_there),
        "child output missing from supervisord's stdout\n--- stdout ---\n{}\n--- main log ---\n{}",
        stdout(),
        d.main_log()
    );
    let log = d.main_log();
    for bad in [
        "Illegal seek",
        "cannot write",
        "uncaptured",
        "closing channel",
        "ERRO",
    ] {
        assert!(!log.contains(bad), "main log has {bad:?}:\n{log}");
    }
    assert_eq!(d.terminate().code(), Some(0));
    let err = d.stderr();
    assert!(err.is_empty(), "supervisord complained on stderr:\n{err}");
}

/// AUTO log names: `<name>-<channel>---supervisor-<8 of a-z0-9_>.log`.
fn fresh_auto_logs(dir: &Path, prefix: &str) -> Vec<String> {
    files_starting(dir, prefix)
        .into_iter()
        .filter(|n| {
            n.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(".log"))
                .is_some_and(|r| {
                    r.len() == 8
                        && r.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                })
        })
        .collect()
}

#[test]
fn auto_logs_are_created_and_old_ones_cleaned_up_unless_nocleanup() {
    const STALE: [&str; 2] = [
        "x-stdout---supervisor-abc.log",
        "x-stdout---supervisor-abc.log.1",
    ];
    const KEPT: [&str; 2] = ["unrelated.txt", "x-stdout---other-abc.log"];
    for nocleanup in [false, true] {
        let logs = TempDir::new("logs-auto-dir");
        for name in STALE.iter().chain(KEPT.iter()) {
            logs.write(name, "old\n");
        }
        let logdir = logs.path().to_string_lossy().into_owned();
        let nocleanup_value = nocleanup.to_string();
        let conf = format!(
            "{}
[program:x]
command=sh -c 'echo hello auto; echo oops >&2'
startsecs=0
autorestart=false
",
            supervisord_section_with(&[("childlogdir", &logdir), ("nocleanup", &nocleanup_value)])
        );
        let d = Daemon::start("logs-auto", &conf);
        d.wait_log("exited: x (exit status 0; expected)");

        for name in STALE {
            assert_eq!(
                logs.path().join(name).exists(),
                nocleanup,
                "{name} with nocleanup={nocleanup}"
            );
        }
        for name in KEPT {
            assert!(
                logs.path().join(name).exists(),
                "{name} must never be deleted"
            );
        }
        let out = fresh_auto_logs(logs.path(), "x-stdout---supervisor-");
        assert_eq!(
            out.len(),
            1,
            "one stdout AUTO log: {:?}",
            files_starting(logs.path(), "")
        );
        assert_eq!(text(&logs.path().join(&out[0])), "hello auto\n");
        let err = fresh_auto_logs(logs.path(), "x-stderr---supervisor-");
        assert_eq!(
            err.len(),
            1,
            "one stderr AUTO log: {:?}",
            files_starting(logs.path(), "")
        );
        assert_eq!(text(&logs.path().join(&err[0])), "oops\n");
    }
}

#[test]
fn sigusr2_reopens_child_logs_after_they_are_moved() {
    let conf = format!(
        "{}
[program:tick]
command=sh -c 'i=0; while [ $i -lt 2000 ]; do echo \"tick $i\"; i=$((i+1)); sleep 0.05; done'
startsecs=0
stdout_logfile=%(here)s/out.log
",
        supervisord_section("")
    );
    let d = Daemon::start("logs-usr2", &conf);
    let out = d.path("out.log");
    let moved = d.path("moved.log");
    assert!(
        wait_for(LIMIT, || numbers_after(&out, "tick").len() >= 3),
        "no ticks in out.log\n{}",
        d.main_log()
    );
    std::fs::rename(&out, &moved).unwrap();
    // Until told, the daemon writes on into the moved file.
    let before = numbers_after(&moved, "tick").len();
    assert!(wait_for(LIMIT, || numbers_after(&moved, "tick").len() > before));
    assert!(!out.exists());

    d.signal(libc::SIGUSR2);
    d.wait_log("INFO received SIGUSR2 indicating log reopen request");
    d.wait_log("INFO supervisord logreopen");
    assert!(
        wait_for(LIMIT, || numbers_after(&out, "tick").len() >= 3),
        "out.log not re-created with new output\n{}",
        d.main_log()
    );
    let old = numbers_after(&moved, "tick");
    let new = numbers_after(&out, "tick");
    // Nothing lost, nothing written twice, nothing more into the old file.
    assert_eq!(
        old.last().unwrap() + 1,
        new[0],
        "old ends {:?}, new starts {:?}",
        &old[old.len().saturating_sub(3)..],
        &new[..3]
    );
    assert!(wait_for(LIMIT, || numbers_after(&out, "tick").len() >= new.len() + 2));
    assert_eq!(
        numbers_after(&moved, "tick"),
        old,
        "the moved file kept growing"
    );
}

#[test]
fn log_write_failure_is_reported_and_recovered_from() {
    let logs = TempDir::new("logs-fail-dir");
    let sub = logs.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let log_path = sub.join("out.log");
    let conf = format!(
        "{}
[program:w]
command=sh -c 'i=0; while [ $i -lt 5000 ]; do printf \"w-line %%05d %%0150d\\n\" $i 0; i=$((i+1)); sleep 0.02; done'
startsecs=0
stdout_logfile={}
stdout_logfile_maxbytes=1KB
stdout_logfile_backups=1

[program:other]
command=sleep 0.3
startsecs=0
autorestart=true
",
        supervisord_section(""),
        log_path.display()
    );
    let mut d = Daemon::start("logs-fail", &conf);
    assert!(
        wait_for(LIMIT, || sub.join("out.log.1").exists()),
        "no rotation in {}\n{}",
        sub.display(),
        d.main_log()
    );
    std::fs::remove_dir_all(&sub).unwrap();

    let failure = format!(
        "cannot write the stdout log of 'w' ({})",
        log_path.display()
    );
    d.wait_log(&failure);
    let line = d
        .main_log()
        .lines()
        .find(|l| l.contains(&failure))
        .unwrap()
        .to_string();
    assert!(line.contains(" ERRO "), "failure not at ERRO: {line}");

    // Still alive and working: another program keeps being spawned, and
    // signals are handled.
    let spawned = d.spawned("other").len();
    d.wait_count("spawned: 'other'", spawned + 2);
    d.signal(libc::SIGUSR2);
    d.wait_log("received SIGUSR2 indicating log reopen request");
    assert!(
        d.child_mut().try_wait().unwrap().is_none(),
        "supervisord died"
    );
    assert_eq!(
        d.main_log().matches(&failure).count(),
        1,
        "a failing log is reported once, not per chunk\n{}",
        d.main_log()
    );

    std::fs::create_dir(&sub).unwrap();
    let recovered = format!(
        "the stdout log of 'w' ({}) is writable again",
        log_path.display()
    );
    d.wait_log(&recovered);
    let line = d
        .main_log()
        .lines()
        .find(|l| l.contains(&recovered))
        .unwrap()
        .to_string();
    assert!(line.contains(" INFO "), "recovery not at INFO: {line}");
    assert!(
        wait_for(LIMIT, || !numbers_after(&log_path, "w-line").is_empty()),
        "no new output in {}\n{}",
        log_path.display(),
        d.main_log()
    );
    assert_eq!(d.terminate().code(), Some(0));
}

#[test]
fn a_flood_does_not_starve_others_or_grow_memory() {
    const BIG: u64 = 52_428_800;
    let conf = format!(
        "{}
[program:small]
command=sh -c 'i=0; while [ $i -lt 5000 ]; do echo \"small $i\"; i=$((i+1)); sleep 0.01; done'
startsecs=0
stdout_logfile=%(here)s/small.log
stdout_logfile_maxbytes=0

[program:big]
command=sh -c 'sleep 0.5; head -c 52428800 /dev/zero | tr \"\\0\" x'
startsecs=0
autorestart=false
stdout_logfile=%(here)s/big.log
stdout_logfile_maxbytes=0
",
        supervisord_section_with(&[("loglevel", "info")])
    );
    let mut d = Daemon::start("logs-flood", &conf);
    let big = d.path("big.log");
    let small = d.path("small.log");
    // small's log sizes seen while big's log was partly written, sampled
    // every millisecond: the flood may last only a few hundred.
    let mut during = BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let done = loop {
        let b = size(&big);
        let s = size(&small);
        if b > 0 && b < BIG {
            during.insert(s);
        }
        if b >= BIG {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(
        done,
        "big never finished: {} bytes\n{}",
        size(&big),
        d.main_log()
    );
    d.wait_log("exited: big (exit status 0; expected)");
    assert_eq!(size(&big), BIG);
    assert!(
        bytes(&big).iter().all(|&b| b == b'x'),
        "big.log is not the child's bytes"
    );
    assert!(
        during.len() >= 3,
        "small's log grew only {} times while big was flooding: {during:?}",
        during.len()
    );
    let hwm = status_field(d.pid(), "VmHWM").expect("VmHWM");
    assert!(hwm < 40 * 1024, "supervisord peak RSS {hwm} kB");
    assert!(d.child_mut().try_wait().unwrap().is_none());
    assert_eq!(d.terminate().code(), Some(0));
}

fn ansi_log(strip: bool) -> Vec<u8> {
    let strip_value = strip.to_string();
    let conf = format!(
        "{}
[program:ansi]
command=printf \"\\033[31mred\\033[0m plain\\n\"
startsecs=0
autorestart=false
stdout_logfile=%(here)s/ansi.log
",
        supervisord_section_with(&[("strip_ansi", &strip_value)])
    );
    let d = Daemon::start("logs-ansi", &conf);
    d.wait_log("exited: ansi (exit status 0; expected)");
    bytes(&d.path("ansi.log"))
}

#[test]
fn strip_ansi_removes_escapes_only_when_asked() {
    assert_eq!(
        String::from_utf8_lossy(&ansi_log(true)),
        "red plain\n",
        "strip_ansi=true"
    );
    assert_eq!(
        String::from_utf8_lossy(&ansi_log(false)),
        "\x1b[31mred\x1b[0m plain\n",
        "strip_ansi=false"
    );
}

#[test]
fn capture_mode_keeps_the_captured_text_out_of_the_log() {
    let conf = format!(
        "{}
[program:cap]
command=printf \"before <!--XSUPERVISOR:BEGIN-->secret<!--XSUPERVISOR:END--> after\\n\"
startsecs=0
autorestart=false
stdout_logfile=%(here)s/cap.log
stdout_capture_maxbytes=1KB

[program:split]
command=sh -c 'printf \"before <!--XSUPER\"; sleep 0.2; printf \"VISOR:BEGIN-->sec\"; sleep 0.2; printf \"ret<!--XSUPERVISOR:E\"; sleep 0.2; printf \"ND--> after\\n\"'
startsecs=0
autorestart=false
stdout_logfile=%(here)s/split.log
stdout_capture_maxbytes=1KB
",
        supervisord_section("")
    );
    let d = Daemon::start("logs-capture", &conf);
    d.wait_log("exited: cap (exit status 0; expected)");
    d.wait_log("DEBG 'cap' stdout emitted a comm event");
    assert_eq!(text(&d.path("cap.log")), "before  after\n");
    // Tokens cut across reads are still recognised.
    d.wait_log("exited: split (exit status 0; expected)");
    d.wait_log("DEBG 'split' stdout emitted a comm event");
    assert_eq!(text(&d.path("split.log")), "before  after\n");
    assert!(
        !d.main_log().contains("secret"),
        "captured text echoed to the main log\n{}",
        d.main_log()
    );
}

#[test]
fn main_log_rotates_with_its_backups() {
    let conf = format!(
        "{}
[program:chatty]
command=sh -c 'i=0; while [ $i -lt 5000 ]; do echo \"chatty line $i\"; i=$((i+1)); sleep 0.01; done'
startsecs=0
",
        supervisord_section("logfile_maxbytes=2KB\nlogfile_backups=2")
    );
    let mut d = Daemon::start("logs-mainrot", &conf);
    let dir = d.dir.path().to_path_buf();
    let all_logs = |dir: &Path| -> String {
        ["main.log.2", "main.log.1", "main.log"]
            .iter()
            .map(|n| text(&dir.join(n)))
            .collect()
    };
    // The spawned line may already be in a backup: collect the pid there.
    let mut pid = None;
    assert!(wait_for(LIMIT, || {
        pid = all_logs(&dir).lines().find_map(|l| {
            l.split_once("spawned: 'chatty' with pid ")?
                .1
                .trim()
                .parse()
                .ok()
        });
        pid.is_some()
    }));
    let pid: i32 = pid.unwrap();
    let _guard = KillOnDrop(vec![pid]);

    let second = dir.join("main.log.2");
    assert!(wait_for(LIMIT, || size(&second) > 0), "no main.log.2");
    let first_seen = bytes(&second);
    // One more rotation after .2 exists: a .3 would appear now if wrong.
    assert!(wait_for(LIMIT, || {
        let now = bytes(&second);
        !now.is_empty() && now != first_seen
    }));
    let files = files_starting(&dir, "main.log");
    assert_eq!(files, ["main.log", "main.log.1", "main.log.2"]);
    for n in ["main.log.1", "main.log.2"] {
        let s = size(&dir.join(n));
        assert!(s >= 2048, "{n} has {s} bytes");
    }
    assert_eq!(d.terminate().code(), Some(0));
    assert!(!alive(pid), "chatty survived the shutdown");
}

#[test]
fn children_get_supervisor_environment() {
    let conf = format!(
        "{}{}
[program:envp]
command=env
startsecs=0
autorestart=false
stdout_logfile=%(here)s/env.log
environment=FOO=\"prog\",ONLY_PROG=\"p\"

[group:grp]
programs=envp
",
        supervisord_section("environment=FOO=\"global\",BAR=\"global\""),
        control_section("")
    );
    let d = Daemon::start("logs-env", &conf);
    d.wait_log("exited: envp (exit status 0; expected)");
    let env = text(&d.path("env.log"));
    let lines: BTreeSet<&str> = env.lines().collect();
    let sock: PathBuf = d.path("supervisor.sock");
    let url = format!("SUPERVISOR_SERVER_URL=unix://{}", sock.display());
    for want in [
        "SUPERVISOR_ENABLED=1",
        "SUPERVISOR_PROCESS_NAME=envp",
        "SUPERVISOR_GROUP_NAME=grp",
        url.as_str(),
        "FOO=prog",
        "BAR=global",
        "ONLY_PROG=p",
        "APP_ENV=production",
    ] {
        assert!(
            lines.contains(want),
            "{want:?} not in the child's env:\n{env}"
        );
    }
    assert!(
        !lines.contains("FOO=global"),
        "global value not overridden:\n{env}"
    );
}
