//! Our `supervisorctl` on a real pseudo-terminal (24x100, `TERM=xterm`,
//! the ctl a session leader with the pty as its controlling terminal),
//! for the tests that need a terminal: the shell (ctl_shell) and colours
//! (ctl_extras). Every read waits with `poll` and a deadline (LIMIT); a
//! child still running when a [`Pty`] is dropped is killed by its pid and
//! reaped.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::harness::LIMIT;
use crate::util::{Impl, fixed_env, role_command};

/// A new pty pair, 24 rows by 100 columns. `posix_openpt` and `open`
/// with `O_CLOEXEC` (rather than `openpty`, which cannot set it), so no
/// process another test spawns meanwhile inherits either end.
fn open_pty() -> (OwnedFd, OwnedFd) {
    // SAFETY: plain libc calls; every fd returned is checked and owned.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(m >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        let master = OwnedFd::from_raw_fd(m);
        assert_eq!(libc::grantpt(m), 0, "grantpt");
        assert_eq!(libc::unlockpt(m), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
        let s = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(
            s >= 0,
            "open pty slave: {}",
            std::io::Error::last_os_error()
        );
        let slave = OwnedFd::from_raw_fd(s);
        let ws = libc::winsize {
            ws_row: 24,
            ws_col: 100,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        assert_eq!(libc::ioctl(s, libc::TIOCSWINSZ, &ws), 0, "TIOCSWINSZ");
        (master, slave)
    }
}

/// Our `supervisorctl` on a pty, and everything it has written so far.
pub struct Pty {
    master: OwnedFd,
    child: Child,
    pub raw: Vec<u8>,
    /// Where in the visible text (see [`visible`]) the next `expect`
    /// starts looking.
    mark: usize,
    status: Option<ExitStatus>,
}

impl Pty {
    /// Our `supervisorctl <args>`, run from `cwd` with the fixed
    /// environment and `TERM=xterm`.
    pub fn spawn(cwd: &Path, args: &[&str]) -> Pty {
        Pty::spawn_env(cwd, args, &[])
    }

    /// [`Pty::spawn`] with more environment variables.
    pub fn spawn_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Pty {
        let (master, slave) = open_pty();
        let mut c = role_command(Impl::Ours, "supervisorctl");
        c.args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(fixed_env(cwd))
            .env("TERM", "xterm")
            .envs(env.iter().copied())
            .stdin(Stdio::from(slave.try_clone().expect("dup pty")))
            .stdout(Stdio::from(slave.try_clone().expect("dup pty")))
            .stderr(Stdio::from(slave));
        // SAFETY: setsid and ioctl are async-signal-safe; they make the
        // child a session leader whose controlling terminal is the pty.
        unsafe {
            c.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = c.spawn().expect("spawn supervisorctl on a pty");
        // `c` (and with it the parent's copies of the slave) drops here.
        Pty {
            master,
            child,
            raw: Vec::new(),
            mark: 0,
            status: None,
        }
    }

    /// Reads what is there, waiting up to `wait` for something. Answers
    /// a cursor position query (`ESC[6n`) as a terminal would. Returns
    /// false once the child has closed the terminal.
    fn read_some(&mut self, wait: Duration) -> bool {
        let mut fds = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = wait.as_millis().min(1000) as libc::c_int;
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut fds, 1, ms) } <= 0 {
            return true;
        }
        let mut buf = [0u8; 4096];
        // SAFETY: reading into a stack buffer of its size.
        let n = unsafe { libc::read(self.master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            // EIO: no process has the slave open any more.
            return false;
        }
        let got = &buf[..n as usize];
        let before = self.raw.len().saturating_sub(3);
        self.raw.extend_from_slice(got);
        if self.raw[before..].windows(4).any(|w| w == b"\x1b[6n") {
            self.send("\x1b[1;1R");
        }
        true
    }

    /// Types `keys`.
    pub fn send(&mut self, keys: &str) {
        let mut rest = keys.as_bytes();
        while !rest.is_empty() {
            // SAFETY: writing from a live slice.
            let n =
                unsafe { libc::write(self.master.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
            assert!(n > 0, "write to pty: {}", std::io::Error::last_os_error());
            rest = &rest[n as usize..];
        }
    }

    /// The visible text (see [`visible`]) of everything written so far.
    pub fn screen(&self) -> String {
        visible(&self.raw)
    }

    /// Waits (up to LIMIT) until `needle` shows after the mark; returns
    /// the text from the mark to the end of it and moves the mark there.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let screen = self.screen();
            if let Some(at) = screen[self.mark..].find(needle) {
                let end = self.mark + at + needle.len();
                let got = screen[self.mark..end].to_string();
                self.mark = end;
                return got;
            }
            let now = Instant::now();
            if now >= deadline || !self.read_some(deadline - now) {
                panic!(
                    "{needle:?} never showed after:\n{}\n===== whole screen =====\n{screen}\n===== raw =====\n{:?}",
                    &screen[self.mark..],
                    String::from_utf8_lossy(&self.raw)
                );
            }
        }
    }

    /// Where in [`Pty::screen`] the next [`Pty::expect`] starts looking.
    pub fn mark(&self) -> usize {
        self.mark
    }

    /// Waits (up to LIMIT) for the child to exit, reading what it writes.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                // What it wrote last; ends at EIO (every end closed).
                while self.readable() && self.read_some(Duration::ZERO) {}
                self.status = Some(s);
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "supervisorctl did not exit\n{}",
                self.screen()
            );
            self.read_some(Duration::from_millis(20));
        }
    }

    fn readable(&self) -> bool {
        let mut fds = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no wait.
        unsafe { libc::poll(&mut fds, 1, 0) > 0 }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.status.is_none() && self.child.try_wait().ok().flatten().is_none() {
            // Our own child, by its pid.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The text of terminal output: escape sequences (CSI `ESC [ ... final`,
/// and two-byte `ESC x`), carriage returns and bells removed. An
/// incomplete sequence at the end is left out, so the text of a prefix
/// of the output is always a prefix of the text of all of it.
pub fn visible(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            0x1b => {
                let Some(&kind) = raw.get(i + 1) else { break };
                if kind == b'[' {
                    let mut j = i + 2;
                    while j < raw.len() && (0x20..0x40).contains(&raw[j]) {
                        j += 1;
                    }
                    if j >= raw.len() {
                        break;
                    }
                    i = j + 1;
                } else {
                    i += 2;
                }
            }
            b'\r' | 0x07 => i += 1,
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
