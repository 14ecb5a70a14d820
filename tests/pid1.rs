//! Container duties: `supervisord` as PID 1 of a new PID namespace reaps
//! the orphans it inherits without stealing its children's exit statuses;
//! in the foreground it is the child subreaper of its tree (unless
//! `subreaper=false`); SIGTERM takes many children down with it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::{
    Daemon, KillOnDrop, LIMIT, alive, ppid, supervisord_section, wait_pid_file, zombie_children,
};
use crate::util::{TempDir, bin, fixed_env, wait_child, wait_for};

/// `unshare ... supervisord -c conf`, killed (with supervisord, through
/// `--kill-child`) when dropped.
struct Unshared {
    child: Child,
    /// supervisord's pid as seen from here, once known.
    host_pid: Option<i32>,
}

impl Drop for Unshared {
    fn drop(&mut self) {
        if let Some(pid) = self.host_pid {
            if alive(pid) {
                // SAFETY: the supervisord this test started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until the file at `log` holds `needle` at least `count` times.
fn wait_log(log: &Path, needle: &str, count: usize) {
    let read = || std::fs::read_to_string(log).unwrap_or_default();
    assert!(
        wait_for(LIMIT, || read().matches(needle).count() >= count),
        "{} never had {count} x {needle:?}\n--- log ---\n{}",
        log.display(),
        read()
    );
}

/// The children of `pid`: from /proc/<pid>/task/*/children when the
/// kernel has it, else by scanning every process's parent.
fn children_of(pid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    let mut have_children_files = false;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
                have_children_files = true;
                found.extend(s.split_whitespace().filter_map(|p| p.parse::<i32>().ok()));
            }
        }
    }
    if !have_children_files {
        if let Ok(dir) = std::fs::read_dir("/proc") {
            found.extend(
                dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                    .filter(|&p| ppid(p) == Some(pid)),
            );
        }
    }
    found
}

#[test]
fn pid1_in_a_pid_namespace_reaps_orphans_and_keeps_exit_statuses() {
    let dir = TempDir::new("pid1-ns");
    let link: PathBuf = dir.path().join("supervisord");
    std::os::unix::fs::symlink(bin(), &link).unwrap();
    let conf = dir.write(
        "supervisord.conf",
        format!(
            "{}
[program:orphans]
command=sh -c 'for i in 1 2 3 4 5; do (sleep 0.2 &); done; sleep 1; exit 7'
startsecs=0
autorestart=false
",
            supervisord_section("")
        ),
    );
    let log = dir.path().join("main.log");
    let child = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--kill-child"])
        .arg(&link)
        .arg("-c")
        .arg(&conf)
        .current_dir(dir.path())
        .env_clear()
        .envs(fixed_env(dir.path()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run unshare");
    let mut u = Unshared {
        child,
        host_pid: None,
    };
    let started = wait_for(LIMIT, || {
        log.exists() || u.child.try_wait().ok().flatten().is_some()
    });
    assert!(started, "neither a main log nor an exit from unshare");
    if let Some(status) = u.child.try_wait().unwrap() {
        let mut err = String::new();
        if let Some(mut e) = u.child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        let denied = ["Operation not permitted", "EPERM", "ermission denied"]
            .iter()
            .any(|w| err.contains(w));
        if !status.success() && denied {
            println!(
                "skipped: unshare cannot create a PID namespace here: {}",
                err.trim()
            );
            return;
        }
        panic!("unshare exited early ({status}): {err}");
    }

    wait_log(&log, "supervisord started with pid 1\n", 1);
    // The orphans are reparented to us (PID 1) and reaped as unknown...
    wait_log(&log, "reaped unknown pid ", 5);
    // ...while the managed child's own status still reaches its process.
    wait_log(&log, "exited: orphans (exit status 7; not expected)", 1);

    let mut host = Vec::new();
    assert!(
        wait_for(LIMIT, || {
            host = children_of(u.child.id() as i32);
            !host.is_empty()
        }),
        "unshare has no child"
    );
    assert_eq!(host.len(), 1, "unshare's children: {host:?}");
    let host = host[0];
    u.host_pid = Some(host);
    let exe = std::fs::read_link(format!("/proc/{host}/exe")).unwrap();
    assert_eq!(
        exe,
        bin().canonicalize().unwrap(),
        "unshare's child is not ours"
    );
    assert!(
        wait_for(LIMIT, || zombie_children(host).is_empty()),
        "zombies left under PID 1: {:?}",
        zombie_children(host)
    );

    // SAFETY: signalling the supervisord we started.
    assert_eq!(unsafe { libc::kill(host, libc::SIGTERM) }, 0);
    let status = wait_child(&mut u.child, LIMIT);
    assert!(
        status.is_some(),
        "unshare did not exit after SIGTERM to supervisord"
    );
    assert_eq!(status.unwrap().code(), Some(0));
}

/// A program that leaves an orphan `sleep` behind, its pid in a file.
fn orphan_conf(extra: &str) -> String {
    format!(
        "{}
[program:orph]
command=sh -c 'sleep 3 & echo $! > %(here)s/orphan.pid; exit 0'
startsecs=0
autorestart=false
",
        supervisord_section(extra)
    )
}

/// The orphan the `orph` program left behind, once its parent shell has
/// exited; killed (by pid) when the guard drops.
fn wait_for_orphan(d: &Daemon) -> (i32, KillOnDrop) {
    let orphan = wait_pid_file(&d.path("orphan.pid"));
    let guard = KillOnDrop(vec![orphan]);
    d.wait_log("exited: orph (exit status 0; expected)");
    (orphan, guard)
}

#[test]
fn foreground_daemon_is_subreaper_and_reaps_orphans() {
    let d = Daemon::start("pid1-subreaper", &orphan_conf(""));
    let (orphan, _guard) = wait_for_orphan(&d);
    assert!(
        wait_for(LIMIT, || ppid(orphan) == Some(d.pid()) || !alive(orphan)),
        "orphan {orphan} has parent {:?}",
        ppid(orphan)
    );
    assert!(alive(orphan), "orphan ended before it could be checked");
    assert_eq!(
        ppid(orphan),
        Some(d.pid()),
        "orphan not adopted by supervisord"
    );

    d.wait_log(&format!("DEBG reaped unknown pid {orphan} (exit status 0)"));
    assert!(d.main_log().contains("DEBG set as child subreaper"));
    assert!(
        wait_for(LIMIT, || zombie_children(d.pid()).is_empty()),
        "zombies left: {:?}",
        zombie_children(d.pid())
    );
}

#[test]
fn without_subreaper_orphans_go_elsewhere() {
    let d = Daemon::start("pid1-nosubreaper", &orphan_conf("subreaper=false"));
    let (orphan, _guard) = wait_for_orphan(&d);
    // The shell is gone (reaped): the orphan's parent is final now.
    assert!(alive(orphan), "orphan ended before it could be checked");
    let parent = ppid(orphan);
    assert!(parent.is_some());
    assert_ne!(
        parent,
        Some(d.pid()),
        "supervisord adopted with subreaper=false"
    );
    assert!(!d.main_log().contains("child subreaper"));
}

#[test]
fn sigterm_stops_fifty_children() {
    let conf = format!(
        "{}
[program:sleeper]
command=sleep 1000
process_name=%(program_name)s_%(process_num)02d
numprocs=50
startsecs=0
",
        supervisord_section("")
    );
    let mut d = Daemon::start("pid1-fifty", &conf);
    d.wait_count("spawned: 'sleeper_", 50);
    let pids = d.all_spawned();
    assert_eq!(pids.len(), 50, "{pids:?}");
    let mut distinct = pids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 50);
    assert!(
        wait_for(Duration::from_secs(5), || pids.iter().all(|&p| alive(p))),
        "not every sleeper is running"
    );
    assert_eq!(d.terminate().code(), Some(0));
    let left: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "still alive after shutdown: {left:?}");
}
