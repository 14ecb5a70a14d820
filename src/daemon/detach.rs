//! Leaving the terminal (daemonizing) and adopting orphans (subreaper).
//!
//! Daemonizing forks twice: the first child calls `setsid` to leave the
//! terminal's session, and the second, which is not a session leader, can
//! never reacquire a controlling terminal by opening one. 4.3 forks once;
//! the double fork changes nothing a user can see except that it is safe.
//! The original process exits 0 at once, as 4.3's does.

use std::io;

/// What daemonizing reports for the main log, in order.
pub struct Detached {
    pub messages: Vec<(super::logger::Level, String)>,
}

/// Forks into the background; returns only in the daemon process.
/// `directory` and `umask` apply only here, as in 4.3.
pub fn daemonize(directory: Option<&str>, umask: u32) -> io::Result<Detached> {
    use super::logger::Level;
    fork_and_exit_parent()?;
    // SAFETY: setsid has no preconditions; we are not a group leader.
    if unsafe { libc::setsid() } < 0 {
        return Err(io::Error::last_os_error());
    }
    fork_and_exit_parent()?;
    let mut messages = vec![(
        Level::Info,
        "daemonizing the supervisord process".to_string(),
    )];
    if let Some(dir) = directory {
        let shown = crate::config::pyfmt::repr_str(dir);
        match std::env::set_current_dir(dir) {
            Ok(()) => messages.push((Level::Info, format!("set current directory: {shown}"))),
            Err(e) => messages.push((Level::Critical, format!("can't chdir into {shown}: {e}"))),
        }
    }
    redirect_stdio_to_null()?;
    // SAFETY: umask cannot fail.
    unsafe { libc::umask(umask as libc::mode_t) };
    Ok(Detached { messages })
}

fn fork_and_exit_parent() -> io::Result<()> {
    // SAFETY: the daemon is single-threaded when it daemonizes.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        // SAFETY: _exit skips atexit handlers and buffered output that
        // belongs to the child now.
        0 => Ok(()),
        _ => unsafe { libc::_exit(0) },
    }
}

fn redirect_stdio_to_null() -> io::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    use std::os::fd::AsRawFd;
    for fd in 0..3 {
        // SAFETY: dup2 onto the standard descriptors.
        if unsafe { libc::dup2(null.as_raw_fd(), fd) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Makes this process the reaper of orphaned descendants (Linux
/// `PR_SET_CHILD_SUBREAPER`). Returns whether it took effect.
pub fn become_subreaper() -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with an integer argument.
        if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "child subreaper is a Linux feature",
        ))
    }
}
