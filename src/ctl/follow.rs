//! Following a log while the user watches: `tail -f`, `maintail -f` and
//! `fg` copy `/logtail` streams to stdout until Ctrl-C, and `fg` also
//! forwards each line the user types.
//!
//! One thread and one `poll(2)`: the streams' sockets, stdin when `fg`
//! needs it, and a pipe the SIGINT handler writes to. Ctrl-C therefore
//! ends a follow at once and cleanly (the caller prints 4.3's closing
//! line), while outside a follow SIGINT keeps its default meaning.

use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

use super::client::{LogStream, Server};

/// Write end of the pipe the SIGINT handler writes to, or -1.
static INTERRUPT_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_sigint(_: libc::c_int) {
    let fd = INTERRUPT_PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: write(2) is async-signal-safe; the pipe is non-blocking,
        // so a full pipe (Ctrl-C held down) just drops the byte.
        unsafe { libc::write(fd, b"!".as_ptr().cast(), 1) };
    }
}

/// SIGINT caught into a pipe while this lives; the previous disposition
/// comes back on drop.
pub struct CtrlC {
    read: OwnedFd,
    _write: OwnedFd,
    previous: libc::sigaction,
}

impl CtrlC {
    pub fn catch() -> io::Result<CtrlC> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two fds on success.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both fds were just created and are owned here only.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        INTERRUPT_PIPE.store(write.as_raw_fd(), Ordering::Relaxed);
        // SAFETY: installing a handler that only calls write(2). No
        // SA_RESTART, so a blocked poll returns at once.
        let previous = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGINT, &action, &mut previous);
            previous
        };
        Ok(CtrlC {
            read,
            _write: write,
            previous,
        })
    }

    fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }
}

impl Drop for CtrlC {
    fn drop(&mut self) {
        // SAFETY: restoring the disposition saved by `catch`.
        unsafe { libc::sigaction(libc::SIGINT, &self.previous, std::ptr::null_mut()) };
        INTERRUPT_PIPE.store(-1, Ordering::Relaxed);
    }
}

/// Opens `path` on the server for following. On failure prints 4.3's
/// line to stderr (`<url> Cannot read, status code 404`, `<url> Cannot
/// connect, error: <class ...> (...)`) and returns None.
pub fn open(server: &Server, path: &str) -> Option<LogStream> {
    let url = format!("{}{path}", server.url);
    match server.open_stream(path) {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(status)) => {
            eprintln!("{url} Cannot read, status code {status}");
            None
        }
        Err(e) => {
            let (class, text) = e.python_parts();
            eprintln!("{url} Cannot connect, error: {class} ({text})");
            None
        }
    }
}

/// Standard input read without a hidden buffer anyone else could miss:
/// the shell, the y/N prompts and `fg` all read through this one.
#[derive(Default)]
pub struct Input {
    buf: Vec<u8>,
    eof: bool,
}

impl Input {
    /// A complete line from the buffer, without its newline.
    fn take_line(&mut self) -> Option<String> {
        let nl = self.buf.iter().position(|b| *b == b'\n')?;
        let line: Vec<u8> = self.buf.drain(..=nl).collect();
        Some(String::from_utf8_lossy(&line[..nl]).into_owned())
    }

    /// One read(2) of whatever stdin has.
    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 4096];
        loop {
            // SAFETY: reading into a stack buffer of the given size.
            let n = unsafe { libc::read(0, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                self.eof = true;
            } else {
                self.buf.extend_from_slice(&chunk[..n as usize]);
            }
            return Ok(());
        }
    }

    /// The next line, as Python's `input()` gives it: without its newline;
    /// a last line without one still counts; None at end of input.
    pub fn read_line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(line) = self.take_line() {
                return Ok(Some(line));
            }
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let rest = std::mem::take(&mut self.buf);
                return Ok(Some(String::from_utf8_lossy(&rest).into_owned()));
            }
            self.fill()?;
        }
    }
}

/// What ended a wait.
pub enum Woke {
    Interrupted,
    /// A line of input (None: end of input).
    Line(Option<String>),
    /// Every stream ended and there is no input to wait for.
    Ended,
}

/// Copies `streams` to stdout as data arrives until Ctrl-C, a line of
/// `input` (when given), or the end of every stream (when not).
pub fn wait(ctrlc: &CtrlC, streams: &mut Vec<LogStream>, mut input: Option<&mut Input>) -> Woke {
    loop {
        if let Some(inp) = input.as_deref_mut() {
            if let Some(line) = inp.take_line() {
                return Woke::Line(Some(line));
            }
            if inp.eof {
                return match inp.read_line() {
                    Ok(line) => Woke::Line(line),
                    Err(_) => Woke::Line(None),
                };
            }
        } else if streams.is_empty() {
            return Woke::Ended;
        }
        let mut fds = vec![libc::pollfd {
            fd: ctrlc.fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        if input.is_some() {
            fds.push(libc::pollfd {
                fd: 0,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let first_stream = fds.len();
        for s in streams.iter() {
            fds.push(libc::pollfd {
                fd: s.fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        // Bytes already in a stream's buffer would not wake poll.
        let buffered = streams.iter().any(LogStream::has_buffered);
        let timeout = if buffered { 0 } else { -1 };
        // SAFETY: fds is a valid array of pollfd of the given length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Woke::Interrupted;
        }
        if fds[0].revents != 0 {
            let mut sink = [0u8; 64];
            // SAFETY: draining our own non-blocking pipe.
            unsafe { libc::read(ctrlc.fd(), sink.as_mut_ptr().cast(), sink.len()) };
            return Woke::Interrupted;
        }
        let mut ended = Vec::new();
        for (i, s) in streams.iter_mut().enumerate() {
            if fds[first_stream + i].revents == 0 && !s.has_buffered() {
                continue;
            }
            let mut out = io::stdout().lock();
            let alive = s.pump(&mut |bytes| {
                if out.write_all(bytes).and_then(|()| out.flush()).is_err() {
                    // stdout is gone (`| head`): the reader is done.
                    std::process::exit(0);
                }
            });
            if !matches!(alive, Ok(true)) {
                ended.push(i);
            }
        }
        for i in ended.into_iter().rev() {
            streams.remove(i);
        }
        if let Some(inp) = input.as_deref_mut() {
            if fds[1].revents != 0 && inp.fill().is_err() {
                inp.eof = true;
            }
        }
    }
}
