//! `pidproxy`: forwards signals to the pid in the pidfile, exits with its
//! command, and keeps 4.3's usage and messages.

use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::harness::LIMIT;
use crate::util::{Impl, TempDir, output_bounded, role_command, text, wait_child, wait_for};

/// A worker that writes its pid and logs the signals it gets.
const WORKER: &str = r#"echo $$ > "$1"; trap 'echo HUP >> "$2"' HUP; trap 'echo USR1 >> "$2"' USR1; trap 'echo TERM >> "$2"; exit 0' TERM; echo started >> "$2"; while :; do sleep 0.05; done"#;

fn start(dir: &TempDir, pidfile: &str, log: &str) -> Child {
    role_command(Impl::Ours, "pidproxy")
        .args([pidfile, "/bin/sh", "-c", WORKER, "worker", pidfile, log])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn pidproxy")
}

fn kill(pid: u32, sig: i32) {
    // SAFETY: signalling a child we started.
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0);
}

fn log_has(dir: &TempDir, what: &str) -> bool {
    std::fs::read_to_string(dir.path().join("log")).is_ok_and(|l| l.lines().any(|x| x == what))
}

#[test]
fn forwards_signals_and_exits_after_term() {
    let dir = TempDir::new("pidproxy");
    let mut child = start(&dir, "worker.pid", "log");
    assert!(wait_for(Duration::from_secs(10), || log_has(
        &dir, "started"
    ) && dir
        .path()
        .join("worker.pid")
        .exists()));
    let worker: i32 = std::fs::read_to_string(dir.path().join("worker.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill(child.id(), libc::SIGHUP);
    assert!(
        wait_for(Duration::from_secs(10), || log_has(&dir, "HUP")),
        "HUP not forwarded"
    );
    kill(child.id(), libc::SIGUSR1);
    assert!(
        wait_for(Duration::from_secs(10), || log_has(&dir, "USR1")),
        "USR1 not forwarded"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "pidproxy must keep running after HUP/USR1"
    );
    kill(child.id(), libc::SIGTERM);
    let status = wait_child(&mut child, LIMIT).expect("pidproxy did not exit after TERM");
    assert_eq!(status.code(), Some(0));
    assert!(
        wait_for(Duration::from_secs(10), || log_has(&dir, "TERM")),
        "TERM not forwarded"
    );
    // The worker exits on TERM; make sure it is gone (it is reparented, so
    // probe with kill 0 until it no longer exists).
    // SAFETY: signal 0 only checks existence.
    assert!(wait_for(Duration::from_secs(10), || unsafe {
        libc::kill(worker, 0)
    } != 0));
}

#[test]
fn exits_when_its_command_exits() {
    let dir = TempDir::new("pidproxy");
    let mut child = role_command(Impl::Ours, "pidproxy")
        .args(["unused.pid", "/bin/sh", "-c", "exit 3"])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    assert_eq!(
        wait_child(&mut child, LIMIT)
            .expect("pidproxy did not exit")
            .code(),
        Some(0),
        "4.3 exits 0 whatever the child's status"
    );
}

#[test]
fn unreadable_pidfile_is_reported_and_ignored() {
    let dir = TempDir::new("pidproxy");
    let mut child = role_command(Impl::Ours, "pidproxy")
        .args([
            "missing.pid",
            "/bin/sh",
            "-c",
            "echo up > up; while :; do sleep 0.05; done",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || dir
        .path()
        .join("up")
        .exists()));
    kill(child.id(), libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "TERM with no pidfile must not end pidproxy"
    );
    // End the whole group we created (pidproxy and its shell).
    // SAFETY: the process group is the one this test made.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    let out = child.wait_with_output().unwrap();
    assert!(
        text(&out.stdout).contains("Can't read child pidfile missing.pid!"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn usage_with_too_few_arguments_exits_1() {
    let o = output_bounded(role_command(Impl::Ours, "pidproxy").arg("only-one"));
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.starts_with("pidproxy -- run command and proxy signals to it via its pidfile."));
    assert!(out.contains("Usage: pidproxy <pidfile name> <command> [<cmdarg1> ...]"));
}

/// docs/compat.md: a command that cannot be started exits 127 at once.
#[test]
fn unstartable_command_exits_127() {
    let dir = TempDir::new("pidproxy");
    let o = output_bounded(
        role_command(Impl::Ours, "pidproxy")
            .args(["x.pid", "no-such-program"])
            .current_dir(dir.path()),
    );
    assert_eq!(o.status.code(), Some(127));
    assert!(
        text(&o.stderr).contains("pidproxy: cannot run"),
        "{}",
        text(&o.stderr)
    );
}
