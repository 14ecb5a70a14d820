//! The `pidproxy` role: runs a command whose real worker writes its pid to
//! a pidfile, and forwards supervisord's signals to that pid (spec:
//! pidproxy.md).
//!
//! Unlike 4.3, which wakes every 5 s to look for its child, this waits in
//! `sigwaitinfo` on a blocked signal set: it exits as soon as the child is
//! reaped and costs nothing while idle. Signals that arrive before the wait
//! stay pending, so none is lost.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

/// Signals forwarded to the pid in the pidfile.
const FORWARDED: [libc::c_int; 6] = [
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGQUIT,
];

fn usage(argv0: &str) -> String {
    format!(
        "pidproxy -- run command and proxy signals to it via its pidfile.\n\nThis script is a shim for programs that write their own pidfile and whose\nreal worker is not the process supervisord starts (mysqld_safe, for one).\nSignals sent to pidproxy (TERM, HUP, INT, USR1, USR2, QUIT) are forwarded\nto the pid read from the pidfile; pidproxy exits when its command exits.\n\nUsage: {argv0} <pidfile name> <command> [<cmdarg1> ...]\n"
    )
}

fn read_pid(pidfile: &str) -> Option<libc::pid_t> {
    std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()
}

pub fn main(argv0: &str, args: Vec<OsString>) -> i32 {
    if args.len() == 1 && (args[0] == "-h" || args[0] == "--help") {
        return crate::print_stdout(&usage(argv0));
    }
    if args.len() == 1 && args[0] == "--version" {
        return crate::print_stdout(&format!("{}\n", crate::daemon::COMPAT_VERSION));
    }
    if args.len() < 2 {
        crate::print_stdout(&usage(argv0));
        return 1;
    }
    let pidfile = args[0].to_string_lossy().into_owned();
    let command = std::path::PathBuf::from(&args[1]);
    // 4.3 runs abspath(command): no PATH search.
    let program = std::env::current_dir()
        .map(|d| d.join(&command))
        .unwrap_or(command);

    // SAFETY: sigset_t is plain data initialised by sigemptyset; blocking
    // signals in this single-threaded process only defers them.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigemptyset(&mut set);
        for s in FORWARDED.iter().chain(&[libc::SIGCHLD]) {
            libc::sigaddset(&mut set, *s);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    // std resets the child's signal mask before exec.
    let child = std::process::Command::new(&program)
        .arg0(&args[1])
        .args(&args[2..])
        .spawn();
    if let Err(e) = child {
        eprintln!("pidproxy: cannot run {}: {e}", program.display());
        return 127;
    }
    loop {
        // SAFETY: `set` is initialised; a null siginfo pointer is allowed.
        let sig = unsafe { libc::sigwaitinfo(&set, std::ptr::null_mut()) };
        if sig < 0 {
            continue; // EINTR
        }
        if sig == libc::SIGCHLD {
            let mut status = 0;
            // SAFETY: plain waitpid on any child of ours.
            if unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } > 0 {
                return 0;
            }
            continue;
        }
        let Some(pid) = read_pid(&pidfile) else {
            println!("Can't read child pidfile {pidfile}!");
            continue;
        };
        // SAFETY: kill has no memory effects.
        if unsafe { libc::kill(pid, sig) } != 0 {
            eprintln!(
                "pidproxy: kill {pid} (from {pidfile}): {}",
                std::io::Error::last_os_error()
            );
            return 1;
        }
        if [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT].contains(&sig) {
            return 0;
        }
    }
}
