//! The wire side of `supervisorctl`: XML-RPC calls over HTTP/1.1 to a
//! `unix:///path` or `http://host:port` server, with basic auth, and the
//! streaming `GET` that `tail -f`, `maintail -f` and `fg` read.
//!
//! One connection per call, as 4.3's client makes one per proxy: nothing
//! can go stale between the shell's commands, and a call is never retried
//! behind the user's back (a retried `stop` or `shutdown` is not harmless).
//! No timeouts either: a `stop` legitimately waits `stopwaitsecs`.
//!
//! Failures keep what 4.3's messages need: the errno of a failed connect
//! (ECONNREFUSED and ENOENT have their own wording), the HTTP status of a
//! refused request (401 prompts for credentials), the fault of a failed
//! call. [`CallError::python`] renders each as the Python exception 4.3
//! would have printed, because scripts match on those words.

use std::ffi::CString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

use crate::config::pyfmt::repr_str;
use crate::net::Stream;
use crate::xmlrpc::{self, Fault, Value};

/// Where the server is and who we are to it.
#[derive(Clone, Debug)]
pub struct Server {
    /// As configured (`unix:///tmp/supervisor.sock`); messages print it so.
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Why a call did not return a value.
#[derive(Debug)]
pub enum CallError {
    /// The server answered with an XML-RPC fault.
    Fault(Fault),
    /// Connecting, writing or reading failed with this errno.
    Os(i32),
    /// `getaddrinfo` could not resolve the host (its code and message).
    Resolve(i32, String),
    /// The server answered with an HTTP status other than 200.
    Http(u16, String),
    /// The URL's scheme is neither `unix` nor `http`.
    UnknownProtocol(String),
    /// The reply was not HTTP or not a `methodResponse`.
    BadResponse(String),
    /// Any other failure, as the Python exception 4.3 raises for it
    /// (class name, text).
    Python(&'static str, String),
}

impl CallError {
    pub fn fault_code(&self) -> Option<i64> {
        match self {
            CallError::Fault(f) => Some(f.code),
            _ => None,
        }
    }

    /// `<class 'X'>, text`: the exception 4.3 would have raised, as its
    /// generic `error: ...` line shows it.
    pub fn python(&self) -> String {
        let (class, text) = self.python_parts();
        format!("{class}, {text}")
    }

    /// The exception's class (`<class 'ConnectionRefusedError'>`) and text
    /// (`[Errno 111] Connection refused`).
    pub fn python_parts(&self) -> (String, String) {
        let class = |name: &str| format!("<class '{name}'>");
        match self {
            CallError::Fault(f) => (
                class("xmlrpc.client.Fault"),
                format!("<Fault {}: {}>", f.code, repr_str(&f.string)),
            ),
            CallError::Os(errno) => (
                class(os_error_class(*errno)),
                format!("[Errno {errno}] {}", strerror(*errno)),
            ),
            CallError::Resolve(code, message) => (
                class("socket.gaierror"),
                format!("[Errno {code}] {message}"),
            ),
            CallError::Http(status, reason) => (
                class("xmlrpc.client.ProtocolError"),
                format!("<ProtocolError for 127.0.0.1/RPC2: {status} {reason}>"),
            ),
            CallError::UnknownProtocol(url) => (
                class("ValueError"),
                format!("Unknown protocol for serverurl {url}"),
            ),
            CallError::BadResponse(why) => (class("xmlrpc.client.ResponseError"), repr_str(why)),
            CallError::Python(name, text) => (class(name), text.clone()),
        }
    }
}

impl From<io::Error> for CallError {
    fn from(e: io::Error) -> CallError {
        match e.raw_os_error() {
            Some(errno) => CallError::Os(errno),
            None if e.kind() == io::ErrorKind::UnexpectedEof => {
                CallError::BadResponse("the server closed the connection without replying".into())
            }
            None => CallError::BadResponse(e.to_string()),
        }
    }
}

/// Python's `OSError` subclass for an errno.
fn os_error_class(errno: i32) -> &'static str {
    match errno {
        libc::ECONNREFUSED => "ConnectionRefusedError",
        libc::ECONNRESET => "ConnectionResetError",
        libc::ECONNABORTED => "ConnectionAbortedError",
        libc::EPIPE => "BrokenPipeError",
        libc::ENOENT => "FileNotFoundError",
        libc::EACCES | libc::EPERM => "PermissionError",
        libc::ETIMEDOUT => "TimeoutError",
        libc::ENOTDIR => "NotADirectoryError",
        _ => "OSError",
    }
}

pub fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a valid C string for any errno value.
    let s = unsafe { std::ffi::CStr::from_ptr(libc::strerror(errno)) };
    s.to_string_lossy().into_owned()
}

/// Where a URL points.
enum Endpoint {
    Unix(String),
    Tcp(String, u16),
}

fn endpoint(url: &str) -> Result<Endpoint, CallError> {
    if let Some(path) = url.strip_prefix("unix://") {
        return Ok(Endpoint::Unix(path.to_string()));
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(CallError::UnknownProtocol(url.to_string()));
    };
    let netloc = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hostport = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, rest)) => (h, rest.strip_prefix(':')),
            None => {
                return Err(CallError::Python("ValueError", "Invalid IPv6 URL".into()));
            }
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None | Some("") => 80,
        Some(p) => match p.parse::<u64>() {
            Ok(n) => u16::try_from(n)
                .map_err(|_| CallError::Python("ValueError", "Port out of range 0-65535".into()))?,
            Err(_) => {
                return Err(CallError::Python(
                    "ValueError",
                    format!("Port could not be cast to integer value as {}", repr_str(p)),
                ));
            }
        },
    };
    Ok(Endpoint::Tcp(host.to_ascii_lowercase(), port))
}

/// Resolves `host` as Python's `socket.create_connection` does (every
/// address `getaddrinfo` gives, in order), keeping its error code.
fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, CallError> {
    let c_host = CString::new(host)
        .map_err(|_| CallError::Resolve(-2, "Name or service not known".into()))?;
    // SAFETY: a zeroed addrinfo is a valid "no hints" value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C strings and out-pointer; freed below.
    let rc = unsafe { libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut res) };
    if rc != 0 {
        // SAFETY: gai_strerror returns a static C string.
        let msg = unsafe { std::ffi::CStr::from_ptr(libc::gai_strerror(rc)) };
        return Err(CallError::Resolve(rc, msg.to_string_lossy().into_owned()));
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: p walks the list getaddrinfo returned.
        let ai = unsafe { &*p };
        // SAFETY: ai_addr points to a sockaddr of the family it names.
        unsafe {
            match ai.ai_family {
                libc::AF_INET => {
                    let sa = &*(ai.ai_addr as *const libc::sockaddr_in);
                    let ip = std::net::Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr));
                    out.push(SocketAddr::new(ip.into(), port));
                }
                libc::AF_INET6 => {
                    let sa = &*(ai.ai_addr as *const libc::sockaddr_in6);
                    let ip = std::net::Ipv6Addr::from(sa.sin6_addr.s6_addr);
                    out.push(SocketAddr::new(ip.into(), port));
                }
                _ => {}
            }
        }
        p = ai.ai_next;
    }
    // SAFETY: res came from getaddrinfo.
    unsafe { libc::freeaddrinfo(res) };
    if out.is_empty() {
        return Err(CallError::Resolve(-2, "Name or service not known".into()));
    }
    Ok(out)
}

pub fn connect(url: &str) -> Result<Stream, CallError> {
    match endpoint(url)? {
        Endpoint::Unix(path) => Ok(Stream::Unix(UnixStream::connect(path)?)),
        Endpoint::Tcp(host, port) => {
            let mut last = None;
            for addr in resolve(&host, port)? {
                match TcpStream::connect(addr) {
                    Ok(s) => return Ok(Stream::Tcp(s)),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.expect("resolve returns at least one address").into())
        }
    }
}

impl Server {
    /// The `Authorization` header line, when both a user name and a
    /// password are set (4.3 sends none otherwise).
    fn auth_header(&self) -> String {
        match (&self.username, &self.password) {
            (Some(u), Some(p)) => format!(
                "Authorization: Basic {}\r\n",
                // 4.3 joins encodebytes' lines into one.
                xmlrpc::base64_encode(format!("{u}:{p}").as_bytes()).replace('\n', "")
            ),
            _ => String::new(),
        }
    }

    /// The `Host` header, as Python's `http.client` writes it: the host
    /// lower-cased (IPv6 in brackets), `:port` unless it is 80; `localhost`
    /// for a unix socket (4.3's choice).
    fn host(&self) -> String {
        match endpoint(&self.url) {
            Ok(Endpoint::Tcp(host, port)) => {
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host
                };
                if port == 80 {
                    host
                } else {
                    format!("{host}:{port}")
                }
            }
            _ => "localhost".to_string(),
        }
    }

    /// Calls `method` with `params`.
    pub fn call(&self, method: &str, params: &[Value]) -> Result<Value, CallError> {
        let body = xmlrpc::write_call(method, params);
        let mut stream = connect(&self.url)?;
        let request = format!(
            "POST /RPC2 HTTP/1.1\r\nHost: {}\r\nUser-Agent: supervisor-rs\r\nContent-Type: text/xml\r\nAccept: text/xml\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.host(),
            self.auth_header(),
            body.len()
        );
        // One write, as Python's http.client sends a small request: a
        // server that answers after the head (4.3's 401) and closes must
        // not find the body still coming. If it closed anyway (EPIPE),
        // its answer may still be there to read; it explains more than
        // the broken pipe does.
        let sent = stream.write_all([request.as_bytes(), body.as_bytes()].concat().as_slice());
        let mut reader = BufReader::new(stream);
        let (status, reason) = match (sent, read_status(&mut reader)) {
            (_, Ok(head)) => head,
            (Err(e), Err(_)) => return Err(e.into()),
            (Ok(()), Err(e)) => return Err(e),
        };
        let headers = read_headers(&mut reader)?;
        if status != 200 {
            return Err(CallError::Http(status, reason));
        }
        let body = read_body(&mut reader, &headers)?;
        match xmlrpc::parse_response(&body) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(fault)) => Err(CallError::Fault(fault)),
            Err(why) => Err(CallError::BadResponse(why)),
        }
    }

    /// Starts `GET <path>` (a `/logtail` stream) and reads the reply's
    /// head. `Ok(Err(status))` is a reply other than 200.
    pub fn open_stream(&self, path: &str) -> Result<Result<LogStream, u16>, CallError> {
        let mut stream = connect(&self.url)?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: supervisor-rs\r\nAccept: */*\r\n{}\r\n",
            self.host(),
            self.auth_header()
        );
        stream.write_all(request.as_bytes())?;
        let mut reader = BufReader::new(stream);
        let (status, _) = read_status(&mut reader)?;
        if status != 200 {
            return Ok(Err(status));
        }
        let headers = read_headers(&mut reader)?;
        let chunked = header(&headers, "transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let remaining = header(&headers, "content-length").and_then(|v| v.parse().ok());
        Ok(Ok(LogStream {
            reader,
            body: if chunked {
                Body::Chunked(Chunked::Size(Vec::new()))
            } else {
                Body::Plain(remaining)
            },
        }))
    }
}

/// A response head is small; a server sending more is not one we know.
const MAX_LINE: usize = 64 * 1024;

fn read_line(r: &mut impl BufRead) -> Result<String, CallError> {
    let mut line = Vec::new();
    r.by_ref()
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(CallError::BadResponse(
            "the server closed the connection without replying".into(),
        ));
    }
    if !line.ends_with(b"\n") {
        return Err(CallError::BadResponse(
            "response line too long or cut off".into(),
        ));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn read_status(r: &mut impl BufRead) -> Result<(u16, String), CallError> {
    let line = read_line(r)?;
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status = parts.next().and_then(|s| s.parse::<u16>().ok());
    match status {
        Some(status) if version.starts_with("HTTP/") => {
            Ok((status, parts.next().unwrap_or_default().to_string()))
        }
        _ => Err(CallError::BadResponse(format!(
            "not an HTTP status line: {line}"
        ))),
    }
}

fn read_headers(r: &mut impl BufRead) -> Result<Vec<(String, String)>, CallError> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(r)?;
        if line.is_empty() {
            return Ok(headers);
        }
        if headers.len() > 200 {
            return Err(CallError::BadResponse("too many response headers".into()));
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn read_body(r: &mut impl BufRead, headers: &[(String, String)]) -> Result<Vec<u8>, CallError> {
    let mut body = Vec::new();
    if header(headers, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let line = read_line(r)?;
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| CallError::BadResponse(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                return Ok(body);
            }
            // Never sized from the server's number: read what comes.
            let start = body.len();
            r.take(size as u64).read_to_end(&mut body)?;
            if body.len() - start < size {
                return Err(CallError::BadResponse("response chunk cut off".into()));
            }
            read_line(r)?;
        }
    }
    match header(headers, "content-length").map(str::parse::<u64>) {
        Some(Ok(n)) => {
            r.take(n).read_to_end(&mut body)?;
            if (body.len() as u64) < n {
                return Err(CallError::BadResponse("response body cut off".into()));
            }
        }
        Some(Err(_)) => return Err(CallError::BadResponse("bad Content-Length".into())),
        None => {
            r.read_to_end(&mut body)?;
        }
    }
    Ok(body)
}

/// An open `/logtail` or `/mainlogtail` response, read as it arrives.
pub struct LogStream {
    reader: BufReader<Stream>,
    body: Body,
}

enum Body {
    /// Bytes left, or until the server closes.
    Plain(Option<u64>),
    Chunked(Chunked),
}

/// Where a chunked body's decoder is.
enum Chunked {
    /// Reading the size line so far.
    Size(Vec<u8>),
    /// Bytes left of the current chunk's data.
    Data(usize),
    /// The CRLF after a chunk's data (bytes of it seen so far).
    DataEnd(Vec<u8>),
    Done,
}

impl LogStream {
    pub fn fd(&self) -> RawFd {
        self.reader.get_ref().as_raw_fd()
    }

    /// Whether bytes are already buffered (poll would not see them).
    pub fn has_buffered(&self) -> bool {
        !self.reader.buffer().is_empty()
    }

    /// Reads what is available (blocking only if nothing is) and passes
    /// the body's bytes to `out`. `Ok(false)` is the end of the stream.
    pub fn pump(&mut self, out: &mut dyn FnMut(&[u8])) -> io::Result<bool> {
        let buf = self.reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        let n = buf.len();
        let mut used = 0;
        let mut alive = true;
        while used < n && alive {
            let rest = &buf[used..];
            match &mut self.body {
                Body::Plain(left) => {
                    let take = match left {
                        Some(l) => (*l).min(rest.len() as u64) as usize,
                        None => rest.len(),
                    };
                    out(&rest[..take]);
                    used += take;
                    if let Some(l) = left {
                        *l -= take as u64;
                        alive = *l > 0;
                    }
                }
                Body::Chunked(state) => {
                    let (consumed, more) = chunked_step(state, rest, out)?;
                    used += consumed;
                    alive = more;
                }
            }
        }
        self.reader.consume(used);
        Ok(alive)
    }
}

/// Advances the chunked decoder over `rest`; returns the bytes used and
/// whether the body goes on.
fn chunked_step(
    state: &mut Chunked,
    rest: &[u8],
    out: &mut dyn FnMut(&[u8]),
) -> io::Result<(usize, bool)> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    match state {
        Chunked::Size(line) => {
            let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
                line.extend_from_slice(rest);
                if line.len() > MAX_LINE {
                    return Err(bad("chunk size line too long"));
                }
                return Ok((rest.len(), true));
            };
            line.extend_from_slice(&rest[..nl]);
            let text = String::from_utf8_lossy(line);
            let hex = text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(hex, 16).map_err(|_| bad("bad chunk size"))?;
            *state = if size == 0 {
                Chunked::Done
            } else {
                Chunked::Data(size)
            };
            Ok((nl + 1, size != 0))
        }
        Chunked::Data(left) => {
            let take = (*left).min(rest.len());
            out(&rest[..take]);
            *left -= take;
            if *left == 0 {
                *state = Chunked::DataEnd(Vec::new());
            }
            Ok((take, true))
        }
        Chunked::DataEnd(seen) => {
            let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
                seen.extend_from_slice(rest);
                if seen.len() > 2 {
                    return Err(bad("chunk not followed by CRLF"));
                }
                return Ok((rest.len(), true));
            };
            *state = Chunked::Size(Vec::new());
            Ok((nl + 1, true))
        }
        Chunked::Done => Ok((0, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(pieces: &[&[u8]]) -> (Vec<u8>, bool) {
        let mut state = Chunked::Size(Vec::new());
        let mut got = Vec::new();
        let mut more = true;
        for piece in pieces {
            let mut at = 0;
            while at < piece.len() && more {
                let (used, m) =
                    chunked_step(&mut state, &piece[at..], &mut |b| got.extend_from_slice(b))
                        .unwrap();
                at += used;
                more = m;
            }
        }
        (got, more)
    }

    #[test]
    fn chunked_bodies_decode_across_any_split() {
        let whole: &[u8] = b"5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\n\r\n";
        for cut in 0..whole.len() {
            let (got, more) = decode(&[&whole[..cut], &whole[cut..]]);
            assert_eq!(got, b"hello, world", "cut at {cut}");
            assert!(!more, "cut at {cut}");
        }
        let bytewise: Vec<&[u8]> = whole.chunks(1).collect();
        assert_eq!(decode(&bytewise), (b"hello, world".to_vec(), false));
    }

    #[test]
    fn bad_chunk_sizes_are_errors_not_panics() {
        let mut state = Chunked::Size(Vec::new());
        assert!(chunked_step(&mut state, b"zz\r\n", &mut |_| {}).is_err());
        let chunked = vec![("transfer-encoding".to_string(), "chunked".to_string())];
        for body in [
            &b"ffffffffffffffff\r\nabc"[..],
            b"fffffffffffff\r\nabc",
            b"10000000000000000\r\n",
            b"5\r\nab",
        ] {
            let got = read_body(&mut io::Cursor::new(body), &chunked);
            assert!(matches!(got, Err(CallError::BadResponse(_))), "{body:?}");
        }
        let fine = read_body(
            &mut io::Cursor::new(&b"3\r\nabc\r\n0\r\n\r\n"[..]),
            &chunked,
        );
        assert_eq!(fine.unwrap(), b"abc");
    }

    #[test]
    fn host_headers_are_what_python_http_client_sends() {
        let host = |url: &str| {
            Server {
                url: url.into(),
                username: None,
                password: None,
            }
            .host()
        };
        assert_eq!(host("http://u:p@127.0.0.1:9001"), "127.0.0.1:9001");
        assert_eq!(host("http://LOCALHOST:9001/x"), "localhost:9001");
        assert_eq!(host("http://127.0.0.1:80"), "127.0.0.1");
        assert_eq!(host("http://[::1]:9001"), "[::1]:9001");
        assert_eq!(host("unix:///tmp/s.sock"), "localhost");
    }

    #[test]
    fn bad_urls_fail_with_the_value_errors_python_raises() {
        let err = |url: &str| match endpoint(url) {
            Err(e) => e.python(),
            Ok(_) => panic!("{url} accepted"),
        };
        assert_eq!(
            err("http://127.0.0.1:99999"),
            "<class 'ValueError'>, Port out of range 0-65535"
        );
        assert_eq!(err("http://[::1"), "<class 'ValueError'>, Invalid IPv6 URL");
        assert_eq!(
            err("http://h:x"),
            "<class 'ValueError'>, Port could not be cast to integer value as 'x'"
        );
    }

    #[test]
    fn urls_resolve_to_endpoints_as_python_parses_them() {
        let tcp = |u: &str| match endpoint(u) {
            Ok(Endpoint::Tcp(h, p)) => (h, p),
            _ => panic!("{u}"),
        };
        assert_eq!(tcp("http://localhost:9001"), ("localhost".into(), 9001));
        assert_eq!(tcp("http://LocalHost"), ("localhost".into(), 80));
        assert_eq!(tcp("http://u:p@127.0.0.1:7/x"), ("127.0.0.1".into(), 7));
        assert_eq!(tcp("http://[::1]:9001/"), ("::1".into(), 9001));
        assert!(
            matches!(endpoint("unix:///tmp/s.sock"), Ok(Endpoint::Unix(p)) if p == "/tmp/s.sock")
        );
        assert!(matches!(
            endpoint("ftp://x"),
            Err(CallError::UnknownProtocol(_))
        ));
        assert!(endpoint("http://h:notaport").is_err());
    }

    #[test]
    fn errors_read_as_the_python_exceptions_4_3_prints() {
        assert_eq!(
            CallError::Os(libc::ECONNREFUSED).python(),
            "<class 'ConnectionRefusedError'>, [Errno 111] Connection refused"
        );
        assert_eq!(
            CallError::Os(libc::ENOENT).python(),
            "<class 'FileNotFoundError'>, [Errno 2] No such file or directory"
        );
        assert_eq!(
            CallError::Fault(Fault {
                code: 92,
                string: "CANT_REREAD: x".into()
            })
            .python(),
            "<class 'xmlrpc.client.Fault'>, <Fault 92: 'CANT_REREAD: x'>"
        );
        assert_eq!(
            CallError::Http(401, "Unauthorized".into()).python(),
            "<class 'xmlrpc.client.ProtocolError'>, <ProtocolError for 127.0.0.1/RPC2: 401 Unauthorized>"
        );
    }
}
