//! A small HTTP/1.x server for the control plane: listening sockets (unix
//! and TCP), one thread per connection, request heads and bodies read
//! under hard limits, and responses in the shape Supervisor 4.3's medusa
//! server sends them. What a request *means* is the handler's business
//! ([`super::front`]); this module only speaks HTTP.
//!
//! We do not use `tiny_http`, although it was the planned crate: reading
//! 0.12.0 showed that a request announcing a huge `Content-Length` makes it
//! allocate that many bytes when the request is dropped (aborting the
//! daemon), that header lines grow without bound, that sockets have no
//! timeouts, and that one failed `accept` stops its accept thread for good.
//! A control socket must survive every client, so the few hundred lines
//! it needs are here, with every limit explicit:
//!
//! * a request head is at most [`MAX_HEAD`] bytes and must arrive within
//!   [`HEAD_DEADLINE`] of its first byte (slow clients are cut off, and
//!   each has its own thread, so they never delay anyone else);
//! * bodies are read only when the handler asks, with the length it allows;
//! * at most [`MAX_CONNECTIONS`] connections are served at once; more are
//!   closed on accept;
//! * an idle keep-alive connection is closed after [`IDLE_TIMEOUT`].

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use super::timefmt;
use crate::net::Stream;

/// The largest request line plus headers we read.
pub const MAX_HEAD: usize = 64 * 1024;
/// How long a client may take to send a whole request head.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(30);
/// How long a kept-alive connection may sit between requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Connections served at once, over all servers.
pub const MAX_CONNECTIONS: usize = 1024;
/// How long a response write may block on a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// Answers up to this size go out in one write with their head.
const SMALL_BODY: usize = 64 * 1024;
/// How long, and how much of an unread request body, a connection reads
/// and drops before it closes ([`Conn::linger`]).
const LINGER: Duration = Duration::from_secs(1);
const MAX_LINGER_BYTES: usize = 1024 * 1024;
/// Stack of a connection thread: handlers are shallow.
const THREAD_STACK: usize = 256 * 1024;

/// 4.3's `Server:` header.
pub const SERVER_HEADER: &str = "Medusa/1.12";

/// A parsed request line and headers.
#[derive(Debug, Clone)]
pub struct Head {
    pub method: String,
    pub uri: String,
    /// `(1, 1)`, `(1, 0)`; `(0, 9)` for a request line without a version.
    pub version: (u8, u8),
    pub headers: Vec<(String, String)>,
    /// `ip:port` of a TCP client; `localhost:0` on a unix socket (as 4.3
    /// logs it).
    pub peer: String,
}

impl Head {
    /// The first header called `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request line as the access log shows it.
    pub fn request_line(&self) -> String {
        if self.version == (0, 9) {
            format!("{} {}", self.method, self.uri)
        } else {
            format!(
                "{} {} HTTP/{}.{}",
                self.method, self.uri, self.version.0, self.version.1
            )
        }
    }

    /// Whether the connection stays open after the response (spec rpc.md
    /// §1: 1.1 unless `Connection: close`; 1.0 only with `keep-alive`).
    fn keep_alive(&self) -> bool {
        let conn = self.header("Connection").map(str::to_ascii_lowercase);
        match self.version {
            (1, 1) => conn.as_deref() != Some("close"),
            (1, 0) => conn.as_deref() == Some("keep-alive"),
            _ => false,
        }
    }
}

/// A complete response.
pub struct Response {
    pub code: u16,
    /// Besides `Server`, `Date`, `Content-Length` and `Connection`.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Close the connection afterwards whatever the request asked.
    pub close: bool,
}

impl Response {
    pub fn new(code: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            code,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            close: false,
        }
    }

    /// 4.3's HTML error page for `code`.
    pub fn error(code: u16) -> Response {
        let body = format!(
            "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n<p>Error code {code}.\r\n<p>Message: {}.\r\n</body>\r\n",
            reason(code)
        );
        Response::new(code, "text/html", body.into_bytes())
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn closing(mut self) -> Response {
        self.close = true;
        self
    }
}

/// The reason phrase medusa sends.
pub fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Request Entity Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// What a handler does with one request.
pub trait Handler: Send + Sync + 'static {
    /// Answers `head` on `conn`: exactly one [`Conn::respond`], or a
    /// [`Conn::stream`] that ends the connection.
    fn handle(&self, head: Head, conn: &mut Conn);
}

/// One client connection, as the handler sees it.
pub struct Conn {
    stream: Stream,
    /// Bytes read past the current request head.
    buf: Vec<u8>,
    /// Body bytes of the current request not yet read.
    unread_body: usize,
    keep_alive: bool,
    version: (u8, u8),
    responded: bool,
}

/// Why a request head could not be read.
enum HeadError {
    /// The client closed or went quiet between requests: just close.
    Gone,
    /// Garbage, too long or too slow: answer 400 and close.
    Bad,
}

impl Conn {
    /// The announced body length, when there is one.
    pub fn body_length(&self) -> usize {
        self.unread_body
    }

    /// Reads the whole body of the current request (its `Content-Length`,
    /// which the caller has already bounded). A slow body only holds up
    /// this connection's thread.
    pub fn read_body(&mut self) -> io::Result<Vec<u8>> {
        let want = self.unread_body;
        let mut body = Vec::with_capacity(want.min(1 << 20));
        let from_buf = want.min(self.buf.len());
        body.extend(self.buf.drain(..from_buf));
        if body.len() < want {
            self.stream.set_read_timeout(Some(HEAD_DEADLINE))?;
            // Straight into the body: no staging buffer.
            let missing = (want - body.len()) as u64;
            (&mut self.stream).take(missing).read_to_end(&mut body)?;
            if body.len() < want {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        self.unread_body = 0;
        Ok(body)
    }

    /// Before closing after an answer to a request whose body was never
    /// read (401, 400, 404, 413): reads and drops that body, briefly. Closing with it
    /// unread makes the client's write of it fail (EPIPE on a unix
    /// socket, a reset on TCP) before it reads the answer: 4.3's own
    /// supervisorctl, which writes the body after the head, then prints
    /// a BrokenPipeError instead of "Server requires authentication".
    /// (medusa, after its 401, reads on and ignores what comes.)
    fn linger(&mut self) {
        let mut left = self
            .unread_body
            .saturating_sub(self.buf.len())
            .min(MAX_LINGER_BYTES);
        let deadline = Instant::now() + LINGER;
        let mut chunk = [0u8; 8192];
        while left > 0 {
            let wait = deadline.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                return;
            }
            if self.stream.set_read_timeout(Some(wait)).is_err() {
                return;
            }
            match self.stream.read(&mut chunk[..left.min(8192)]) {
                Ok(0) => return,
                Ok(n) => left -= n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// Ends the connection without an answer (the client went away, or
    /// supervisord is exiting).
    pub fn abandon(&mut self) {
        self.responded = true;
        self.keep_alive = false;
    }

    /// Sends a complete response.
    pub fn respond(&mut self, r: Response) -> io::Result<()> {
        self.responded = true;
        // A body we did not read would be taken for the next request.
        if r.close || self.unread_body > 0 {
            self.keep_alive = false;
        }
        let mut out = self.status_and_common_headers(r.code);
        for (k, v) in &r.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n", r.body.len()));
        if r.close {
            out.push_str("Connection: close\r\n");
        } else if self.keep_alive && self.version == (1, 0) {
            out.push_str("Connection: Keep-Alive\r\n");
        }
        out.push_str("\r\n");
        // One write for the usual small answer; a large body (a log read
        // can be 128 MiB) is not copied behind the head.
        if r.body.len() <= SMALL_BODY {
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&r.body);
            self.stream.write_all(&bytes)
        } else {
            self.stream.write_all(out.as_bytes())?;
            self.stream.write_all(&r.body)
        }
    }

    /// Starts a response that never ends (a log tail): the head now, then
    /// chunks with [`ChunkWriter::send`] (HTTP/1.1) or raw bytes (1.0).
    /// The connection closes when the writer is dropped.
    pub fn stream(&mut self, code: u16, headers: &[(&str, String)]) -> io::Result<ChunkWriter<'_>> {
        self.responded = true;
        self.keep_alive = false;
        let chunked = self.version == (1, 1);
        let mut out = self.status_and_common_headers(code);
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        if chunked {
            out.push_str("Transfer-Encoding: chunked\r\n");
        }
        out.push_str("\r\n");
        self.stream.write_all(out.as_bytes())?;
        Ok(ChunkWriter {
            stream: &mut self.stream,
            chunked,
        })
    }

    fn status_and_common_headers(&self, code: u16) -> String {
        let (major, minor) = if self.version == (0, 9) {
            (1, 0)
        } else {
            self.version
        };
        format!(
            "HTTP/{major}.{minor} {code} {}\r\nServer: {SERVER_HEADER}\r\nDate: {}\r\n",
            reason(code),
            timefmt::http_date(SystemTime::now())
        )
    }

    /// Reads the next request head. Waits up to [`IDLE_TIMEOUT`] for its
    /// first byte, then [`HEAD_DEADLINE`] for the rest.
    fn read_head(&mut self) -> Result<(Head, usize), HeadError> {
        let mut started: Option<Instant> = None;
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = head_end(&self.buf) {
                let raw: Vec<u8> = self.buf.drain(..end).collect();
                return parse_head(&raw).ok_or(HeadError::Bad);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HeadError::Bad);
            }
            if started.is_none() && !self.buf.is_empty() {
                started = Some(Instant::now());
            }
            let timeout = match started {
                None => IDLE_TIMEOUT,
                Some(t) => match HEAD_DEADLINE.checked_sub(t.elapsed()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return Err(HeadError::Bad),
                },
            };
            if self.stream.set_read_timeout(Some(timeout)).is_err() {
                return Err(HeadError::Gone);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(HeadError::Gone),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if started.is_some()
                        && matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                {
                    return Err(HeadError::Bad);
                }
                Err(_) => return Err(HeadError::Gone),
            }
        }
    }
}

/// Writes a streamed body.
pub struct ChunkWriter<'a> {
    stream: &'a mut Stream,
    chunked: bool,
}

impl ChunkWriter<'_> {
    /// The client's socket, to notice it closing while nothing is sent.
    pub fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.stream.as_raw_fd()
    }

    /// Sends `data` now (one chunk); empty data sends nothing, since an
    /// empty chunk would end the response.
    pub fn send(&mut self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        if self.chunked {
            let mut out = format!("{:x}\r\n", data.len()).into_bytes();
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
            self.stream.write_all(&out)
        } else {
            self.stream.write_all(data)
        }
    }
}

/// Where the blank line after the headers ends (CRLF or bare LF lines).
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + p;
        let next = &buf[nl + 1..];
        if next.starts_with(b"\r\n") {
            return Some(nl + 3);
        }
        if next.starts_with(b"\n") {
            return Some(nl + 2);
        }
        i = nl + 1;
    }
    None
}

/// Parses a request line and headers; `None` for anything malformed.
/// Returns the head and its announced body length.
fn parse_head(raw: &[u8]) -> Option<(Head, usize)> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    // Tolerate blank lines before the request line, as RFC 9112 allows.
    let line = lines.by_ref().find(|l| !l.is_empty())?;
    let mut parts = line.split_ascii_whitespace();
    let method = parts.next()?.to_string();
    let uri = parts.next()?.to_string();
    let version = match parts.next() {
        None => (0, 9),
        Some(v) => {
            let (major, minor) = v.strip_prefix("HTTP/")?.split_once('.')?;
            (major.parse().ok()?, minor.parse().ok()?)
        }
    };
    if parts.next().is_some() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut headers = Vec::new();
    for l in lines {
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        if k.is_empty() || k.bytes().any(|b| b.is_ascii_whitespace()) {
            return None;
        }
        headers.push((k.to_string(), v.trim().to_string()));
    }
    let head = Head {
        method,
        uri,
        version,
        headers,
        peer: String::new(),
    };
    let length = match head.header("Content-Length") {
        None => 0,
        Some(v) => v.parse::<usize>().ok()?,
    };
    Some((head, length))
}

/// A bound listening socket, before its threads start (so binding errors
/// reach the terminal before supervisord daemonizes, and no thread has
/// to survive the daemonizing fork).
pub enum Bound {
    Unix(UnixListener),
    Tcp(TcpListener),
}

/// A server accepting connections on its own thread.
pub struct Server {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// How to wake the blocked `accept` when stopping.
    wake: Wake,
}

enum Wake {
    Unix(std::path::PathBuf),
    Tcp(std::net::SocketAddr),
}

/// Connections open right now, over every server.
static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

impl Server {
    /// Starts accepting on `bound`; each connection gets a thread that
    /// runs `handler` for each of its requests. `unix_path` is the
    /// socket's file (accepts on a unix listener are woken through it).
    pub fn start(
        bound: Bound,
        unix_path: Option<&std::path::Path>,
        handler: Arc<dyn Handler>,
    ) -> io::Result<Server> {
        let stop = Arc::new(AtomicBool::new(false));
        let wake = match (&bound, unix_path) {
            (Bound::Unix(_), Some(p)) => Wake::Unix(p.to_path_buf()),
            (Bound::Tcp(l), _) => {
                let mut a = l.local_addr()?;
                if a.ip().is_unspecified() {
                    a.set_ip(match a {
                        std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                        std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                    });
                }
                Wake::Tcp(a)
            }
            (Bound::Unix(_), None) => {
                return Err(io::Error::other("a unix server needs its socket path"));
            }
        };
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("http-accept".into())
            .spawn(move || accept_loop(bound, &flag, handler))?;
        Ok(Server {
            stop,
            thread: Some(thread),
            wake,
        })
    }

    /// Stops accepting and waits for the accept thread. Connections
    /// already open finish the request they are in and then close.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        match &self.wake {
            Wake::Unix(p) => drop(UnixStream::connect(p)),
            Wake::Tcp(a) => drop(TcpStream::connect_timeout(a, Duration::from_secs(1))),
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop();
        }
    }
}

fn accept_loop(bound: Bound, stop: &AtomicBool, handler: Arc<dyn Handler>) {
    loop {
        let accepted = match &bound {
            Bound::Unix(l) => l
                .accept()
                .map(|(s, _)| (Stream::Unix(s), "localhost:0".to_string())),
            Bound::Tcp(l) => l
                .accept()
                .map(|(s, a)| (Stream::Tcp(s), format!("{}:{}", a.ip(), a.port()))),
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends pass; don't spin while they last.
                if e.kind() != io::ErrorKind::Interrupted {
                    std::thread::sleep(Duration::from_millis(50));
                }
                continue;
            }
        };
        if CONNECTIONS.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
            stream.shutdown();
            continue;
        }
        let h = Arc::clone(&handler);
        let spawned = std::thread::Builder::new()
            .name("http-conn".into())
            .stack_size(THREAD_STACK)
            .spawn(move || {
                serve_connection(stream, peer, &*h);
                CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn serve_connection(stream: Stream, peer: String, handler: &dyn Handler) {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
        unread_body: 0,
        keep_alive: false,
        version: (1, 0),
        responded: false,
    };
    loop {
        let (mut head, length) = match conn.read_head() {
            Ok(x) => x,
            Err(HeadError::Gone) => break,
            Err(HeadError::Bad) => {
                conn.version = (1, 0);
                let _ = conn.respond(Response::error(400).closing());
                break;
            }
        };
        head.peer = peer.clone();
        conn.version = head.version;
        conn.keep_alive = head.keep_alive();
        conn.unread_body = length;
        conn.responded = false;
        handler.handle(head, &mut conn);
        if !conn.responded {
            let _ = conn.respond(Response::error(500).closing());
        }
        if !conn.keep_alive {
            break;
        }
    }
    conn.linger();
    conn.stream.shutdown();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_end_at_the_first_blank_line_with_crlf_or_lf() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody"), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\nA: b\n\nbody"), Some(21));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
    }

    #[test]
    fn request_lines_and_headers_parse() {
        let (h, len) =
            parse_head(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 12\r\nconnection: Close\r\n\r\n")
                .unwrap();
        assert_eq!((h.method.as_str(), h.uri.as_str()), ("POST", "/RPC2"));
        assert_eq!(h.version, (1, 1));
        assert_eq!(len, 12);
        assert!(!h.keep_alive());
        let (h, _) = parse_head(b"GET /x\r\n\r\n").unwrap();
        assert_eq!(h.version, (0, 9));
        assert!(!h.keep_alive());
        let (h, _) = parse_head(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
        assert!(h.keep_alive());
    }

    #[test]
    fn malformed_heads_are_refused() {
        for bad in [
            &b"\x00\xff garbage\r\n\r\n"[..],
            b"GET\r\n\r\n",
            b"get / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/x\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        ] {
            assert!(
                parse_head(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn error_pages_are_4_3s() {
        let r = Response::error(411);
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n<p>Error code 411.\r\n<p>Message: Length Required.\r\n</body>\r\n"
        );
    }
}
