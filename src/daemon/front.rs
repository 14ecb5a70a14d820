//! The HTTP front: what each request to `[unix_http_server]` and
//! `[inet_http_server]` means. Basic authentication, `POST /RPC2…` for
//! XML-RPC, `GET /logtail/…` and `/mainlogtail` for live log streams.
//!
//! Connection threads never touch the supervisor's state. An XML-RPC
//! request is parsed here, on the connection's thread, then handed to the
//! reactor as a [`ToLoop::Call`] over a channel, with a nudge of the
//! reactor's `mio::Waker`; the reactor answers on the reply channel the
//! message carries (at once, or later for calls that wait for a state).
//! A client that goes away meanwhile costs nothing: the answer is dropped.
//!
//! Binding happens before supervisord daemonizes ([`bind_all`]), so errors
//! reach the terminal; the threads start after ([`HttpFront::install`]).

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{TcpListener, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use mio::Waker;

use super::http::{self, Bound, ChunkWriter, Conn, Handler, Head, Response};
use super::logger::Level;
use super::spawn::errno_name;
use super::timefmt;
use crate::config::model::{HttpServerConfig, Listen};
use crate::config::pyfmt::repr_str;
use crate::xmlrpc::{self, Fault, MethodCall, RequestError, Value};

/// The largest XML-RPC request body accepted (413 beyond).
pub const MAX_BODY: usize = 10 * 1024 * 1024;
/// How much of a refused body the error log line quotes.
const LOGGED_BODY: usize = 512;
/// How long shutdown waits for answers still being written.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// 4.3's text for a socket already in use.
pub const IN_USE: &str = "Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.";

/// The answer to one XML-RPC call.
pub type Reply = Result<Value, Fault>;

/// What connection threads ask of the reactor.
pub enum ToLoop {
    /// An XML-RPC call; the answer goes back on `reply`.
    Call {
        call: MethodCall,
        reply: Sender<Reply>,
    },
    /// A main-log line (access log at TRAC, refused requests at ERRO).
    Log(Level, String),
    /// The file a log stream follows; `None` answers 404.
    TailPath {
        target: TailTarget,
        reply: Sender<Option<PathBuf>>,
    },
}

/// Which log a stream follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailTarget {
    Main,
    Process { namespec: String, channel: String },
}

/// State shared by the connection threads and the reactor.
struct Shared {
    waker: Arc<Waker>,
    /// The main log takes TRAC lines: worth building access-log lines.
    trace: AtomicBool,
    /// Calls handed to the loop and not yet answered on the wire.
    inflight: Mutex<usize>,
    settled: Condvar,
}

/// The running servers and the channel into the reactor.
pub struct HttpFront {
    servers: Vec<Running>,
    tx: Sender<ToLoop>,
    rx: Receiver<ToLoop>,
    shared: Arc<Shared>,
}

struct Running {
    config: HttpServerConfig,
    server: http::Server,
    /// The socket file, removed when the server stops.
    unix_file: Option<PathBuf>,
}

impl HttpFront {
    pub fn new(waker: Arc<Waker>) -> HttpFront {
        let (tx, rx) = mpsc::channel();
        HttpFront {
            servers: Vec::new(),
            tx,
            rx,
            shared: Arc::new(Shared {
                waker,
                trace: AtomicBool::new(false),
                inflight: Mutex::new(0),
                settled: Condvar::new(),
            }),
        }
    }

    /// The configurations of the servers running now.
    pub fn configs(&self) -> Vec<HttpServerConfig> {
        self.servers.iter().map(|r| r.config.clone()).collect()
    }

    /// Starts a server on each bound socket.
    pub fn install(&mut self, mut bound: BoundServers) -> io::Result<()> {
        for (config, b) in std::mem::take(&mut bound.0) {
            let unix_file = match &config.listen {
                Listen::Unix { file, .. } => Some(PathBuf::from(file)),
                Listen::Inet { .. } => None,
            };
            let handler = Arc::new(Front {
                auth: config.username.clone().map(|u| Credentials {
                    username: u,
                    password: config.password.clone().unwrap_or_default(),
                }),
                tx: self.tx.clone(),
                shared: Arc::clone(&self.shared),
            });
            let server = http::Server::start(b, unix_file.as_deref(), handler)?;
            self.servers.push(Running {
                config,
                server,
                unix_file,
            });
        }
        Ok(())
    }

    /// Stops every server and removes its socket file.
    pub fn stop_servers(&mut self) {
        for mut r in self.servers.drain(..) {
            r.server.stop();
            if let Some(f) = r.unix_file {
                let _ = fs::remove_file(f);
            }
        }
    }

    /// The next message from a connection thread, if any.
    pub fn next(&self) -> Option<ToLoop> {
        self.rx.try_recv().ok()
    }

    /// Whether access-log lines are wanted (the main log's level).
    pub fn set_trace(&self, on: bool) {
        self.shared.trace.store(on, Ordering::Relaxed);
    }

    /// At exit: stops the servers, drops calls nobody will answer, and
    /// gives answers already made a moment to reach their clients (the
    /// `True` of `supervisor.shutdown`, say).
    pub fn finish(&mut self) {
        self.stop_servers();
        while self.rx.try_recv().is_ok() {}
        let guard = self
            .shared
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let _ = self
            .shared
            .settled
            .wait_timeout_while(guard, FLUSH_WAIT, |n| *n > 0);
    }
}

/// Binds every configured server, as 4.3's `openhttpservers` does; the
/// error is the message supervisord exits with.
pub fn bind_all(configs: &[HttpServerConfig]) -> Result<BoundServers, String> {
    let mut out = BoundServers(Vec::new());
    for c in configs {
        let b = match &c.listen {
            Listen::Unix { file, chmod, chown } => {
                Bound::Unix(bind_unix(Path::new(file), *chmod, *chown)?)
            }
            Listen::Inet { host, port } => Bound::Tcp(bind_tcp(host, *port)?),
        };
        out.0.push((c.clone(), b));
    }
    Ok(out)
}

/// Sockets bound and not yet served. If start-up fails before they are
/// installed (another server's port is taken, the pidfile is held, the
/// main log cannot be opened), dropping them removes the socket files
/// they created, so no stale socket is left behind.
pub struct BoundServers(Vec<(HttpServerConfig, Bound)>);

impl Drop for BoundServers {
    fn drop(&mut self) {
        for (c, _) in self.0.drain(..) {
            if let Listen::Unix { file, .. } = &c.listen {
                let _ = fs::remove_file(file);
            }
        }
    }
}

fn socket_error(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EADDRINUSE) => IN_USE.to_string(),
        Some(code) => match errno_name(code) {
            Some(name) => {
                format!("Cannot open an HTTP server: socket.error reported errno.{name} ({code})")
            }
            None => format!("Cannot open an HTTP server: socket.error reported {code}"),
        },
        None => format!("Cannot open an HTTP server: {e}"),
    }
}

/// 4.3's dance: bind a temporary name, chmod it, hard-link it to the real
/// name (so the socket never exists with the wrong mode), chown. A file
/// already there with nobody listening is a stale socket from a crash and
/// is removed; one with a listener means another supervisord.
fn bind_unix(file: &Path, mode: u32, owner: (i64, i64)) -> Result<UnixListener, String> {
    let temp = PathBuf::from(format!("{}.{}", file.display(), std::process::id()));
    let _ = fs::remove_file(&temp);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let listener = UnixListener::bind(&temp).map_err(|e| socket_error(&e))?;
        let linked = fs::set_permissions(&temp, fs::Permissions::from_mode(mode))
            .and_then(|()| fs::hard_link(&temp, file));
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => {
                chown_socket(file, owner)?;
                return Ok(listener);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 3 => {
                if UnixStream::connect(file).is_ok() {
                    return Err(IN_USE.to_string());
                }
                eprintln!("Unlinking stale socket {}", file.display());
                let _ = fs::remove_file(file);
            }
            Err(e) => return Err(socket_error(&e)),
        }
    }
}

fn chown_socket(file: &Path, (uid, gid): (i64, i64)) -> Result<(), String> {
    if uid == -1 && gid == -1 {
        return Ok(());
    }
    let c = std::ffi::CString::new(file.as_os_str().as_encoded_bytes())
        .map_err(|_| format!("bad socket path {}", file.display()))?;
    // SAFETY: a valid C string; -1 leaves that id unchanged.
    let rc = unsafe { libc::chown(c.as_ptr(), uid as libc::uid_t, gid as libc::gid_t) };
    if rc == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    let _ = fs::remove_file(file);
    if e.raw_os_error() == Some(libc::EPERM) {
        // SAFETY: geteuid cannot fail.
        let euid = unsafe { libc::geteuid() };
        let me =
            crate::config::values::passwd_by_uid(euid).map_or_else(|| euid.to_string(), |p| p.name);
        return Err(format!(
            "Not permitted to chown {} to uid/gid ({uid}, {gid}); adjust \"sockchown\" value in config file or on command line to values that the current user ({me}) can successfully chown",
            file.display()
        ));
    }
    Err(socket_error(&e))
}

/// 4.3's sockets are IPv4: `localhost` means 127.0.0.1, an empty host
/// every interface.
fn bind_tcp(host: &str, port: u16) -> Result<TcpListener, String> {
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("Cannot open an HTTP server: cannot resolve {host}: {e}"))?
        .find(|a| a.is_ipv4())
        .ok_or_else(|| format!("Cannot open an HTTP server: {host} has no IPv4 address"))?;
    TcpListener::bind(addr).map_err(|e| socket_error(&e))
}

struct Credentials {
    username: String,
    /// Plain, or `{SHA}` and the hex SHA-1 of the password.
    password: String,
}

/// One server's request handler.
struct Front {
    auth: Option<Credentials>,
    tx: Sender<ToLoop>,
    shared: Arc<Shared>,
}

enum Auth {
    Pass,
    Refuse,
    /// The credentials did not decode: 400, as 4.3 answers.
    Malformed(String),
}

impl Handler for Front {
    fn handle(&self, head: Head, conn: &mut Conn) {
        if let Some(creds) = &self.auth {
            match check_auth(&head, creds) {
                Auth::Pass => {}
                Auth::Refuse => {
                    let r = Response::error(401)
                        .with_header("WWW-Authenticate", "Basic realm=\"default\"")
                        .closing();
                    return self.answer(&head, conn, r);
                }
                Auth::Malformed(cookie) => {
                    eprintln!("malformed authorization info <{cookie}>");
                    return self.answer(&head, conn, Response::error(400));
                }
            }
        }
        let uri = head.uri.clone();
        if uri.starts_with("/RPC2") {
            self.rpc(&head, conn);
        } else if let Some(rest) = uri.strip_prefix("/logtail") {
            match logtail_target(rest) {
                Some(t) => self.tail(&head, conn, t),
                None => self.answer(&head, conn, Response::error(404)),
            }
        } else if uri.starts_with("/mainlogtail") {
            self.tail(&head, conn, TailTarget::Main);
        } else {
            self.answer(&head, conn, Response::error(404));
        }
    }
}

impl Front {
    fn send(&self, msg: ToLoop) -> bool {
        self.tx.send(msg).is_ok() && self.shared.waker.wake().is_ok()
    }

    fn log(&self, level: Level, text: String) {
        self.send(ToLoop::Log(level, text));
    }

    /// Sends a response and logs it as 4.3's access log does (TRAC).
    fn answer(&self, head: &Head, conn: &mut Conn, r: Response) {
        let (code, bytes) = (r.code, r.body.len());
        let _ = conn.respond(r);
        self.access(head, code, bytes);
    }

    fn access(&self, head: &Head, code: u16, bytes: usize) {
        if self.shared.trace.load(Ordering::Relaxed) {
            let line = format!(
                "{} - - [{}] \"{}\" {code} {bytes}",
                head.peer,
                timefmt::access_log_time(std::time::SystemTime::now()),
                head.request_line()
            );
            self.log(Level::Trace, line);
        }
    }

    fn rpc(&self, head: &Head, conn: &mut Conn) {
        if head.method != "POST" {
            return self.answer(head, conn, Response::error(400));
        }
        if head.header("Content-Length").is_none() {
            return self.answer(head, conn, Response::error(411));
        }
        if conn.body_length() > MAX_BODY {
            return self.answer(head, conn, Response::error(413).closing());
        }
        let Ok(body) = conn.read_body() else {
            conn.abandon();
            return;
        };
        let call = match xmlrpc::parse_method_call(&body) {
            Ok(c) => c,
            Err(e) => {
                let why = match e {
                    RequestError::Unmarshallable(_) => "unmarshallable",
                    RequestError::NoMethodName => "no method name",
                };
                let msg = format!(
                    "XML-RPC request data {} is invalid: {why}",
                    quote_body(&body)
                );
                self.log(Level::Error, msg);
                return self.answer(head, conn, Response::error(400));
            }
        };
        let _inflight = Inflight::enter(&self.shared);
        let (tx, rx) = mpsc::channel();
        if !self.send(ToLoop::Call { call, reply: tx }) {
            return self.answer(head, conn, Response::error(500));
        }
        match rx.recv() {
            Ok(reply) => {
                let xml = match &reply {
                    Ok(v) => xmlrpc::write_response(v),
                    Err(f) => xmlrpc::write_fault(f.code, &f.string),
                };
                let r = Response::new(200, "text/xml", xml.into_bytes());
                self.answer(head, conn, r);
            }
            // The loop ended without answering (supervisord is exiting).
            Err(_) => conn.abandon(),
        }
    }

    fn tail(&self, head: &Head, conn: &mut Conn, target: TailTarget) {
        if head.method != "GET" {
            return self.answer(head, conn, Response::error(400));
        }
        let main = target == TailTarget::Main;
        let (tx, rx) = mpsc::channel();
        let path = if self.send(ToLoop::TailPath { target, reply: tx }) {
            rx.recv().ok().flatten()
        } else {
            None
        };
        let Some((path, meta)) = path.and_then(|p| fs::metadata(&p).ok().map(|m| (p, m))) else {
            return self.answer(head, conn, Response::error(404));
        };
        let mtime = meta.modified().unwrap_or(std::time::SystemTime::UNIX_EPOCH);
        let mut headers = vec![
            ("Last-Modified", timefmt::http_date(mtime)),
            ("Content-Type", "text/plain;charset=utf-8".to_string()),
        ];
        if !main {
            headers.push(("X-Accel-Buffering", "no".to_string()));
        }
        self.access(head, 200, 0);
        if let Ok(mut w) = conn.stream(200, &headers) {
            let _ = follow(&path, &mut w);
        }
    }
}

/// Counts a call from hand-off until its answer is written.
struct Inflight<'a>(&'a Shared);

impl<'a> Inflight<'a> {
    fn enter(s: &'a Shared) -> Inflight<'a> {
        *s.inflight.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Inflight(s)
    }
}

impl Drop for Inflight<'_> {
    fn drop(&mut self) {
        let mut n = self.0.inflight.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
        self.0.settled.notify_all();
    }
}

/// 4.3 quotes the whole body with `%r`; a hostile 10 MB body would then
/// become a 10 MB log line, so only its start is quoted.
fn quote_body(body: &[u8]) -> String {
    let shown = &body[..body.len().min(LOGGED_BODY)];
    let q = repr_str(&String::from_utf8_lossy(shown));
    if body.len() > LOGGED_BODY {
        format!("{q}... ({} bytes)", body.len())
    } else {
        q
    }
}

fn check_auth(head: &Head, creds: &Credentials) -> Auth {
    // 4.3 matches `Authorization: ([^ ]+) (.*)`.
    let Some((scheme, cookie)) = head.header("Authorization").and_then(|v| v.split_once(' '))
    else {
        return Auth::Refuse;
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "basic" {
        eprintln!("unknown/unsupported auth method: {scheme}");
        return Auth::Refuse;
    }
    let Some(decoded) = xmlrpc::base64_decode(cookie.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return Auth::Malformed(cookie.to_string());
    };
    // 4.3 fails with a 500 when there is no colon; it is a refusal.
    let Some((user, password)) = decoded.split_once(':') else {
        return Auth::Refuse;
    };
    let ok_user = constant_time_eq(user.as_bytes(), creds.username.as_bytes());
    let ok_password = match creds.password.strip_prefix("{SHA}") {
        Some(hex) => {
            let digest = sha1_smol::Sha1::from(password.as_bytes())
                .digest()
                .to_string();
            constant_time_eq(digest.as_bytes(), hex.as_bytes())
        }
        None => constant_time_eq(password.as_bytes(), creds.password.as_bytes()),
    };
    if ok_user && ok_password {
        Auth::Pass
    } else {
        Auth::Refuse
    }
}

/// Compares without an early exit, so timing does not tell how much of a
/// guessed password was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    diff == 0
}

/// `/logtail/<namespec>[/<channel>]` after the prefix: percent-decoded,
/// leading slashes dropped, channel `stdout` by default.
fn logtail_target(rest: &str) -> Option<TailTarget> {
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(path);
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    let (namespec, channel) = match path.split_once('/') {
        Some((n, c)) => (n, c),
        None => (path, "stdout"),
    };
    Some(TailTarget::Process {
        namespec: namespec.to_string(),
        channel: channel.to_string(),
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Streams a log as 4.3 does: its last 1024 bytes, then whatever is
/// appended; a rotated file is followed from its start, a truncated one
/// announced with `==> File truncated <==`. Waits on inotify (and the
/// client's socket), so an idle stream costs no wake-ups. Returns when
/// the client goes away.
fn follow(path: &Path, w: &mut ChunkWriter<'_>) -> io::Result<()> {
    let mut file = File::open(path)?;
    let mut ino = file.metadata()?.ino();
    let mut pos = file.metadata()?.len().saturating_sub(1024);
    let watch = DirWatch::new(path);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if let Ok(m) = fs::metadata(path) {
            if m.ino() != ino {
                if let Ok(f) = File::open(path) {
                    file = f;
                    ino = m.ino();
                    pos = 0;
                }
            }
        }
        let len = file.metadata()?.len();
        if len < pos {
            w.send(b"==> File truncated <==\n")?;
            pos = 0;
        }
        while pos < len {
            file.seek(SeekFrom::Start(pos))?;
            let want = ((len - pos) as usize).min(buf.len());
            let n = file.read(&mut buf[..want])?;
            if n == 0 {
                break;
            }
            w.send(&buf[..n])?;
            pos += n as u64;
        }
        if !wait_for_change(watch.as_ref(), w.raw_fd())? {
            return Ok(());
        }
    }
}

/// An inotify watch on a log file's directory (so rotation and
/// re-creation are seen), waking only for events that name the file.
struct DirWatch {
    fd: OwnedFd,
    name: Vec<u8>,
}

impl DirWatch {
    fn new(path: &Path) -> Option<DirWatch> {
        let dir = path.parent().unwrap_or(Path::new("/"));
        let name = path.file_name()?.as_encoded_bytes().to_vec();
        // SAFETY: plain syscalls; the fd is owned from here on.
        let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
        if fd < 0 {
            return None;
        }
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
        let mask = libc::IN_MODIFY
            | libc::IN_ATTRIB
            | libc::IN_CREATE
            | libc::IN_DELETE
            | libc::IN_MOVED_FROM
            | libc::IN_MOVED_TO
            | libc::IN_CLOSE_WRITE;
        // SAFETY: a valid fd and C string.
        if unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), mask) } < 0 {
            return None;
        }
        Some(DirWatch { fd, name })
    }

    /// Reads the queued events; whether one concerns the file (or the
    /// directory itself, or the queue overflowed).
    fn drain(&self) -> bool {
        const HEADER: usize = std::mem::size_of::<libc::inotify_event>();
        let mut ours = false;
        let mut events = [0u8; 4096];
        loop {
            // SAFETY: events is valid for its length; the fd is non-blocking.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    events.as_mut_ptr().cast(),
                    events.len(),
                )
            };
            if n <= 0 {
                return ours;
            }
            let mut at = 0;
            let n = n as usize;
            while at + HEADER <= n {
                // SAFETY: the kernel writes whole events; read_unaligned
                // copes with the byte buffer's alignment.
                let ev: libc::inotify_event =
                    unsafe { std::ptr::read_unaligned(events[at..].as_ptr().cast()) };
                let len = ev.len as usize;
                let name = &events[(at + HEADER).min(n)..(at + HEADER + len).min(n)];
                let name = name.split(|b| *b == 0).next().unwrap_or_default();
                ours |= ev.mask & libc::IN_Q_OVERFLOW != 0 || name.is_empty() || name == self.name;
                at += HEADER + len;
            }
        }
    }
}

/// Sleeps until the watched directory changes or the client's socket
/// closes. Without inotify, checks once a second. False: client gone.
fn wait_for_change(watch: Option<&DirWatch>, client: RawFd) -> io::Result<bool> {
    let mut fds = vec![libc::pollfd {
        fd: client,
        events: libc::POLLIN | libc::POLLRDHUP,
        revents: 0,
    }];
    if let Some(w) = watch {
        fds.push(libc::pollfd {
            fd: w.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
    }
    let timeout = if watch.is_some() { 60_000 } else { 1000 };
    loop {
        // SAFETY: fds is a valid array of pollfd for its length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        // Other files in the directory (other programs' logs) changing
        // is no reason to look at ours.
        let others_only = n > 0
            && fds[0].revents == 0
            && watch.is_some_and(|w| fds[1].revents & libc::POLLIN != 0 && !w.drain());
        if !others_only {
            break;
        }
    }
    let c = fds[0].revents;
    if c & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0 {
        return Ok(false);
    }
    if c & libc::POLLIN != 0 {
        // The client sent something; a stream takes no requests, so it is
        // read and dropped (an EOF means the client is gone).
        let mut sink = [0u8; 4096];
        // SAFETY: sink is valid for its length.
        let n = unsafe {
            libc::recv(
                client,
                sink.as_mut_ptr().cast(),
                sink.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n == 0 {
            return Ok(false);
        }
    }
    if let Some(w) = watch {
        if fds[1].revents & libc::POLLIN != 0 {
            w.drain();
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_with(auth: Option<&str>) -> Head {
        Head {
            method: "POST".into(),
            uri: "/RPC2".into(),
            version: (1, 1),
            headers: auth
                .map(|a| vec![("Authorization".to_string(), a.to_string())])
                .unwrap_or_default(),
            peer: "localhost:0".into(),
        }
    }

    fn creds(password: &str) -> Credentials {
        Credentials {
            username: "user".into(),
            password: password.into(),
        }
    }

    #[test]
    fn basic_auth_plain_and_sha() {
        // "user:123"
        let good = Some("Basic dXNlcjoxMjM=");
        assert!(matches!(
            check_auth(&head_with(good), &creds("123")),
            Auth::Pass
        ));
        assert!(matches!(
            check_auth(&head_with(good), &creds("124")),
            Auth::Refuse
        ));
        let sha = "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef";
        assert!(matches!(
            check_auth(&head_with(good), &creds(sha)),
            Auth::Pass
        ));
        let upper = "{SHA}40BD001563085FC35165329EA1FF5C5ECBDBBEEF";
        assert!(matches!(
            check_auth(&head_with(good), &creds(upper)),
            Auth::Refuse
        ));
        assert!(matches!(
            check_auth(&head_with(None), &creds("123")),
            Auth::Refuse
        ));
        assert!(matches!(
            check_auth(&head_with(Some("Digest abc")), &creds("123")),
            Auth::Refuse
        ));
        assert!(matches!(
            check_auth(&head_with(Some("Basic Y")), &creds("123")),
            Auth::Malformed(_)
        ));
        // "user" without a colon
        assert!(matches!(
            check_auth(&head_with(Some("Basic dXNlcg==")), &creds("123")),
            Auth::Refuse
        ));
    }

    #[test]
    fn logtail_paths() {
        assert_eq!(
            logtail_target("/grp%3Aga/stderr"),
            Some(TailTarget::Process {
                namespec: "grp:ga".into(),
                channel: "stderr".into()
            })
        );
        assert_eq!(
            logtail_target("//foo"),
            Some(TailTarget::Process {
                namespec: "foo".into(),
                channel: "stdout".into()
            })
        );
        assert_eq!(logtail_target(""), None);
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn long_bodies_are_quoted_only_in_part() {
        let q = quote_body(&vec![b'x'; 2000]);
        assert!(q.ends_with("... (2000 bytes)"));
        assert!(q.len() < 600);
        assert_eq!(quote_body(b"<bad"), "'<bad'");
    }
}
