//! Signals as poll events: the classic self-pipe.
//!
//! A `sigaction` handler may do almost nothing safely, so it only writes
//! the signal number as one byte into a non-blocking pipe. The read end is
//! registered with the reactor's `mio::Poll`, which therefore wakes up for
//! a signal exactly as it does for child output, and never needs a timeout
//! to notice one. A burst that fills the pipe loses only duplicates, which
//! the reader collapses anyway.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals supervisord acts on (`spec/states.md` §8.3).
pub const HANDLED: &[i32] = &[
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGHUP,
    libc::SIGCHLD,
    libc::SIGUSR2,
];

/// The write end of the pipe, for the handler (which can't take arguments).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: write(2) and errno access are async-signal-safe; the errno
    // is restored so the interrupted code sees its own.
    unsafe {
        let errno = *libc::__errno_location();
        let fd = WRITE_FD.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = sig as u8;
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
        *libc::__errno_location() = errno;
    }
}

/// Ignores SIGXFSZ, as Python (and so 4.3) does: a log file that reaches
/// the file-size limit is then a write error (EFBIG) that the log reports,
/// not the death of the daemon.
pub fn ignore_file_size_signal() {
    // SAFETY: setting a standard disposition.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
}

/// The read end of the self-pipe; one per process.
pub struct SignalPipe {
    read: OwnedFd,
    _write: OwnedFd,
}

impl SignalPipe {
    /// Creates the pipe and routes `signals` into it.
    pub fn install(signals: &[i32]) -> io::Result<SignalPipe> {
        let mut fds = [0; 2];
        // SAFETY: fds has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 just returned these two open descriptors.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        WRITE_FD.store(write.as_raw_fd(), Ordering::Relaxed);
        for &sig in signals {
            // SAFETY: a zeroed sigaction is valid; the handler only calls
            // async-signal-safe functions.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as *const () as usize;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                if libc::sigaction(sig, &action, std::ptr::null_mut()) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        Ok(SignalPipe {
            read,
            _write: write,
        })
    }

    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Every signal received since the last call, first arrival first,
    /// each once.
    pub fn drain(&self) -> Vec<i32> {
        let mut seen = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: buf is valid for its length.
            let n =
                unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            }
            for &b in &buf[..n as usize] {
                let sig = i32::from(b);
                if !seen.contains(&sig) {
                    seen.push(sig);
                }
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raised_signals_arrive_once_each_in_order() {
        let pipe = SignalPipe::install(&[libc::SIGUSR2, libc::SIGWINCH]).unwrap();
        // SAFETY: raise delivers to this thread; the handlers are ours.
        unsafe {
            libc::raise(libc::SIGWINCH);
            libc::raise(libc::SIGUSR2);
            libc::raise(libc::SIGWINCH);
        }
        assert_eq!(pipe.drain(), [libc::SIGWINCH, libc::SIGUSR2]);
        assert_eq!(pipe.drain(), Vec::<i32>::new());
    }
}
