//! The HTTP side of the control plane against our daemon, byte level:
//! authentication over the unix socket and TCP, the socket's mode and
//! owner, stale and live socket files, 4.3's answers to malformed
//! requests, hostile bodies, many and slow clients, and `/logtail`
//! streaming. (The Python clients' view is in rpc_interop and ctl_interop.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{
    Daemon, LIMIT, control_section, status_field, supervisord_section, supervisord_section_with,
};
use crate::util::free_port;

const GET_STATE: &str = "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.getState</methodName>\n<params>\n</params>\n</methodCall>\n";

trait Io: Read + Write {}
impl<T: Read + Write> Io for T {}

fn connect_unix(path: &Path) -> Box<dyn Io> {
    let s = UnixStream::connect(path).expect("connect to the unix socket");
    s.set_read_timeout(Some(LIMIT)).unwrap();
    Box::new(s)
}

fn connect_tcp(port: u16) -> Box<dyn Io> {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the inet port");
    s.set_read_timeout(Some(LIMIT)).unwrap();
    Box::new(s)
}

/// One response: status code, headers (lower-cased names), body. Reads
/// by Content-Length, or to EOF without one.
struct Resp {
    code: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn read_response(s: &mut dyn Io) -> Resp {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).expect("read response head");
        assert!(
            n == 1,
            "connection closed mid-head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap();
    let code = status.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_ascii_lowercase(), v.to_string())
        })
        .collect();
    let mut body = Vec::new();
    match headers.iter().find(|(k, _)| k == "content-length") {
        Some((_, n)) => {
            body.resize(n.parse().unwrap(), 0);
            s.read_exact(&mut body).unwrap();
        }
        None => {
            s.read_to_end(&mut body).unwrap();
        }
    }
    Resp {
        code,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn post(s: &mut dyn Io, body: &str, extra: &str) -> Resp {
    let req = format!(
        "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    read_response(s)
}

fn basic(user_pass: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = user_pass.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Authorization: Basic {out}\r\n")
}

fn assert_running(r: &Resp) {
    assert_eq!(r.code, 200, "{}", r.body);
    assert!(r.body.contains("<string>RUNNING</string>"), "{}", r.body);
}

#[test]
fn basic_auth_over_unix_and_inet_with_plain_and_sha_passwords() {
    let port = free_port();
    let sha = sha_of("s3cret-inet");
    let conf = format!(
        "{}{}\n[inet_http_server]\nport=127.0.0.1:{port}\nusername=bob\npassword={sha}\n",
        supervisord_section_with(&[("loglevel", "blather")]),
        control_section("username=alice\npassword=plain-pw-123")
    );
    let d = Daemon::start("auth", &conf);
    let sock = d.wait_socket("supervisor.sock");
    d.wait_log("supervisord started");

    for (connect, right, wrong) in [
        (
            Box::new(|| connect_unix(&sock)) as Box<dyn Fn() -> Box<dyn Io>>,
            basic("alice:plain-pw-123"),
            basic("alice:plain-pw-124"),
        ),
        (
            Box::new(move || connect_tcp(port)),
            basic("bob:s3cret-inet"),
            basic("bob:S3cret-inet"),
        ),
    ] {
        let r = post(&mut *connect(), GET_STATE, "");
        assert_eq!(r.code, 401);
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"default\"")
        );
        assert_eq!(r.header("connection"), Some("close"));
        assert!(r.body.contains("Error code 401."));
        assert_eq!(post(&mut *connect(), GET_STATE, &wrong).code, 401);
        assert_eq!(
            post(&mut *connect(), GET_STATE, "Authorization: Digest x=y\r\n").code,
            401
        );
        assert_eq!(
            post(&mut *connect(), GET_STATE, "Authorization: Basic Y\r\n").code,
            400
        );
        // The right credentials, twice on one kept-alive connection.
        let mut c = connect();
        assert_running(&post(&mut *c, GET_STATE, &right));
        assert_running(&post(&mut *c, GET_STATE, &right));
    }
    // Wrong user with the right password.
    assert_eq!(
        post(
            &mut *connect_unix(&sock),
            GET_STATE,
            &basic("bob:plain-pw-123")
        )
        .code,
        401
    );
    let log = d.main_log();
    assert!(
        !log.contains("plain-pw-123") && !log.contains("s3cret-inet"),
        "{log}"
    );
    // 4.3's access log (TRAC) and method trace lines.
    let msgs = d.messages();
    let access = |peer_prefix: &str, code: &str| {
        msgs.iter().any(|m| {
            m.strip_prefix("TRAC ")
                .and_then(|m| m.strip_prefix(peer_prefix))
                // The client's port, on TCP.
                .map(|rest| rest.trim_start_matches(|c: char| c.is_ascii_digit()))
                .is_some_and(|rest| {
                    let (date, line) = rest.split_once("] ").unwrap_or(("", ""));
                    date.len() == " - - [21/Nov/2026:03:26:19 +0000".len()
                        && date.starts_with(" - - [")
                        && line.starts_with(&format!("\"POST /RPC2 HTTP/1.1\" {code} "))
                })
        })
    };
    assert!(access("localhost:0", "401"), "{msgs:#?}");
    assert!(access("localhost:0", "200"), "{msgs:#?}");
    assert!(access("127.0.0.1:", "200"), "{msgs:#?}");
    assert!(
        msgs.iter()
            .any(|m| m == "TRAC XML-RPC method called: supervisor.getState()")
    );
    assert!(
        msgs.iter()
            .any(|m| m == "TRAC XML-RPC method supervisor.getState() returned successfully")
    );
    drop(msgs);
    let mut d = d;
    assert_eq!(d.terminate().code(), Some(0));
    let err = d.stderr();
    assert!(
        err.contains("unknown/unsupported auth method: digest\n"),
        "{err}"
    );
    assert!(err.contains("malformed authorization info <Y>\n"), "{err}");
    assert!(!log.contains("without any HTTP authentication"), "{log}");
}

/// The `{SHA}` form of a password, via the system's sha1sum.
fn sha_of(pw: &str) -> String {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf %s '{pw}' | sha1sum"))
        .output()
        .unwrap();
    let hex = String::from_utf8(out.stdout).unwrap();
    format!("{{SHA}}{}", hex.split_whitespace().next().unwrap())
}

#[test]
fn socket_file_mode_and_owner_are_as_configured() {
    // SAFETY: getuid has no preconditions.
    let root = unsafe { libc::getuid() } == 0;
    let chown = if root { "chown=nobody:nogroup\n" } else { "" };
    let conf = format!(
        "{}{}",
        supervisord_section(""),
        control_section(&format!("chmod=0660\n{chown}"))
    );
    let d = Daemon::start("sockmode", &conf);
    let sock = d.wait_socket("supervisor.sock");
    let meta = std::fs::metadata(&sock).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o660);
    if root {
        let id = |args: &[&str]| -> u32 {
            let o = std::process::Command::new("getent")
                .args(args)
                .output()
                .unwrap();
            String::from_utf8(o.stdout)
                .unwrap()
                .split(':')
                .nth(2)
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_eq!(meta.uid(), id(&["passwd", "nobody"]));
        assert_eq!(meta.gid(), id(&["group", "nogroup"]));
    }
    // No credentials: the CRIT about no authentication is there.
    assert!(d.main_log().contains(
        "CRIT Server 'unix_http_server' running without any HTTP authentication checking"
    ));
    assert!(
        d.main_log()
            .contains("INFO RPC interface 'supervisor' initialized")
    );
    // Without chmod= the mode is 4.3's default, 0700.
    let d = Daemon::start(
        "sockmode-default",
        &format!("{}{}", supervisord_section(""), control_section("")),
    );
    let sock = d.wait_socket("supervisor.sock");
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o700, "{mode:o}");
}

#[test]
fn a_stale_socket_file_is_replaced_and_a_live_one_refuses_start() {
    let conf = format!("{}{}", supervisord_section(""), control_section(""));
    // Stale: a socket file nobody listens on any more.
    let dir = crate::util::TempDir::new("stale-sock");
    let stale = dir.path().join("supervisor.sock");
    drop(UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let mut d = Daemon::start_in(dir, &conf);
    let sock = d.wait_socket("supervisor.sock");
    assert_running(&post(&mut *connect_unix(&sock), GET_STATE, ""));
    assert!(d.path("supervisor.sock").exists());
    assert_eq!(d.terminate().code(), Some(0));
    assert!(
        !d.path("supervisor.sock").exists(),
        "the socket file is removed at exit"
    );
    let err = d.stderr();
    assert!(err.contains("Unlinking stale socket "), "{err}");

    // Live: another program listens there; supervisord refuses to start.
    let dir = crate::util::TempDir::new("live-sock");
    let live = UnixListener::bind(dir.path().join("supervisor.sock")).unwrap();
    let mut d = Daemon::start_in(dir, &conf);
    let status = d.wait_exit();
    assert_eq!(status.code(), Some(2));
    let err = d.stderr();
    assert!(
        err.contains("Another program is already listening on a port that one of our HTTP servers is configured to use."),
        "{err}"
    );
    drop(live);
}

fn rpc_daemon(tag: &str) -> (Daemon, std::path::PathBuf) {
    let conf = format!(
        "{}{}\n[program:ticker]\ncommand=sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'\n",
        supervisord_section(""),
        control_section("")
    );
    let d = Daemon::start(tag, &conf);
    let sock = d.wait_socket("supervisor.sock");
    (d, sock)
}

fn raw(sock: &Path, bytes: &[u8]) -> Resp {
    let mut s = connect_unix(sock);
    s.write_all(bytes).unwrap();
    read_response(&mut *s)
}

#[test]
fn malformed_and_hostile_requests_get_4_3s_answers_and_the_daemon_serves_on() {
    let (d, sock) = rpc_daemon("hostile");
    let pid = d.pid();

    // Not POST; no Content-Length; not XML; no method name.
    let r = raw(&sock, b"GET /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.code, 400);
    assert_eq!(r.header("server"), Some("Medusa/1.12"));
    assert!(
        r.body
            .starts_with("<head>\r\n<title>Error response</title>")
    );
    assert_eq!(
        raw(&sock, b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n").code,
        411
    );
    assert_eq!(
        post(&mut *connect_unix(&sock), "\x00\x01garbage\u{ff}", "").code,
        400
    );
    let no_name = "<?xml version='1.0'?><methodCall><params></params></methodCall>";
    assert_eq!(post(&mut *connect_unix(&sock), no_name, "").code, 400);
    // Garbage instead of HTTP.
    let mut s = connect_unix(&sock);
    s.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut *s).code, 400);

    // Oversize: refused on the announced length, the connection closed.
    let mut s = connect_unix(&sock);
    s.write_all(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 20000000\r\n\r\n<?xml")
        .unwrap();
    let r = read_response(&mut *s);
    assert_eq!(r.code, 413);
    assert_eq!(r.header("connection"), Some("close"));
    // An absurd length must not make the daemon allocate it.
    let r = raw(
        &sock,
        b"POST /RPC2 HTTP/1.1\r\nContent-Length: 999999999999999\r\n\r\n",
    );
    assert_eq!(r.code, 413);

    // Billion laughs and an external entity: refused, nothing expanded or read.
    let laughs = format!(
        "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol \"lol\">{}]><methodCall><methodName>&lol9;</methodName></methodCall>",
        (1..10)
            .map(|i| format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&lol{};", i - 1)
                    .repeat(10)
                    .replace("&lol0;", "&lol;")
            ))
            .collect::<String>()
    );
    assert_eq!(post(&mut *connect_unix(&sock), &laughs, "").code, 400);
    let secret = d.dir.write("secret.txt", "TOP-SECRET-CONTENT");
    let xxe = format!(
        "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM \"file://{}\">]><methodCall><methodName>supervisor.getIdentification</methodName><params><param><value>&e;</value></param></params></methodCall>",
        secret.display()
    );
    let r = post(&mut *connect_unix(&sock), &xxe, "");
    assert_eq!(r.code, 400);
    assert!(!r.body.contains("TOP-SECRET"));
    // 10,000-deep nesting.
    let deep = format!(
        "<?xml version='1.0'?><methodCall><methodName>supervisor.getState</methodName><params><param>{}{}</param></params></methodCall>",
        "<value><array><data>".repeat(10_000),
        "</data></array></value>".repeat(10_000)
    );
    assert_eq!(post(&mut *connect_unix(&sock), &deep, "").code, 400);
    // Wrong parameter types and counts are faults, not crashes.
    let bad_type = "<?xml version='1.0'?><methodCall><methodName>supervisor.getProcessInfo</methodName><params><param><value><int>5</int></value></param></params></methodCall>";
    let r = post(&mut *connect_unix(&sock), bad_type, "");
    assert_eq!(r.code, 200);
    assert!(
        r.body.contains("<int>2</int>") && r.body.contains("INCORRECT_PARAMETERS"),
        "{}",
        r.body
    );

    // Still serving, still the same process, and the refusals were logged.
    assert_running(&post(&mut *connect_unix(&sock), GET_STATE, ""));
    assert_eq!(d.pid(), pid);
    assert!(crate::harness::alive(pid));
    let log = d.main_log();
    assert!(log.contains("is invalid: unmarshallable"), "{log}");
    assert!(log.contains("is invalid: no method name"), "{log}");
    assert!(!log.contains("TOP-SECRET"));
}

#[test]
fn slow_and_many_clients_do_not_hold_up_others() {
    let (d, sock) = rpc_daemon("slowloris");
    // Five clients that send a request head one byte at a time, slowly.
    let mut slow: Vec<UnixStream> = (0..5)
        .map(|_| {
            let mut s = UnixStream::connect(&sock).unwrap();
            s.write_all(b"POST /RPC2 HTTP/1.1\r\nX-Slow: ").unwrap();
            s
        })
        .collect();
    // And one that announces a body it never sends.
    let mut stuck = UnixStream::connect(&sock).unwrap();
    stuck
        .write_all(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 5000\r\n\r\n<?xml")
        .unwrap();
    // 200 clients at once, each with a full request.
    let handles: Vec<_> = (0..200)
        .map(|_| {
            let sock = sock.clone();
            std::thread::spawn(move || {
                let r = post(&mut *connect_unix(&sock), GET_STATE, "");
                r.code == 200 && r.body.contains("RUNNING")
            })
        })
        .collect();
    // Meanwhile a regular client keeps getting answers: none of the
    // slow or stuck ones holds it up (that would never end; every read
    // gives up after LIMIT).
    for _ in 0..10 {
        for s in &mut slow {
            s.write_all(b"a").unwrap();
        }
        assert_running(&post(&mut *connect_unix(&sock), GET_STATE, ""));
        std::thread::sleep(Duration::from_millis(50));
    }
    let ok = handles
        .into_iter()
        .map(|h| h.join().unwrap_or(false))
        .filter(|&b| b)
        .count();
    assert_eq!(ok, 200);
    let rss_kb = status_field(d.pid(), "VmRSS").unwrap();
    assert!(rss_kb < 64 * 1024, "RSS {rss_kb} kB");
    drop(slow);
    drop(stuck);
    assert_running(&post(&mut *connect_unix(&sock), GET_STATE, ""));
}

#[test]
fn logtail_streams_a_process_log_as_it_grows() {
    let (d, sock) = rpc_daemon("logtail");
    d.wait_log("success: ticker");
    let mut s = connect_unix(&sock);
    s.write_all(b"GET /logtail/ticker HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1);
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Transfer-Encoding: chunked\r\n"));
    assert!(head.contains("Content-Type: text/plain;charset=utf-8\r\n"));
    assert!(head.contains("X-Accel-Buffering: no\r\n"));
    // New ticks keep arriving: the stream follows the file.
    let mut seen = String::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + LIMIT;
    let first_tick = |s: &str| {
        s.match_indices("tick ")
            .filter_map(|(i, _)| s[i + 5..].split(['\n', '\r']).next()?.parse::<u32>().ok())
            .collect::<Vec<_>>()
    };
    while first_tick(&seen).len() < 6 && Instant::now() < deadline {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
    let ticks = first_tick(&seen);
    assert!(ticks.len() >= 6, "{seen}");
    assert!(ticks.windows(2).all(|w| w[1] == w[0] + 1), "{ticks:?}");
    // Unknown names and channels are 404s.
    assert_eq!(
        raw(&sock, b"GET /logtail/nosuch HTTP/1.1\r\n\r\n").code,
        404
    );
    assert_eq!(
        raw(&sock, b"GET /logtail/ticker/nochannel HTTP/1.1\r\n\r\n").code,
        404
    );
    assert_eq!(
        raw(
            &sock,
            b"POST /logtail/ticker HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
        )
        .code,
        400
    );
}

fn call(sock: &Path, method: &str) -> Resp {
    let body = format!(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>{method}</methodName>\n<params>\n</params>\n</methodCall>\n"
    );
    post(&mut *connect_unix(sock), &body, "")
}

#[test]
fn restart_over_rpc_refuses_a_broken_config_and_applies_a_good_one() {
    let (d, sock) = rpc_daemon("rpc-restart");
    let good = std::fs::read_to_string(&d.conf).unwrap();
    std::fs::write(&d.conf, format!("{good}\n[program:broken]\n")).unwrap();
    let r = call(&sock, "supervisor.restart");
    assert!(r.body.contains("<int>92</int>"), "{}", r.body);
    assert!(r.body.contains("CANT_REREAD: "), "{}", r.body);
    assert_running(&call(&sock, "supervisor.getState"));
    assert!(
        d.main_log()
            .contains("ERRO restart refused, still running on the previous configuration")
    );
    assert_eq!(
        d.main_log().matches("supervisord started with pid").count(),
        1
    );

    std::fs::write(&d.conf, &good).unwrap();
    let r = call(&sock, "supervisor.restart");
    assert!(r.body.contains("<boolean>1</boolean>"), "{}", r.body);
    d.wait_count("supervisord started with pid", 2);
    let ok = crate::util::wait_for(LIMIT, || {
        UnixStream::connect(&sock).is_ok()
            && call(&sock, "supervisor.getState").body.contains("RUNNING")
    });
    assert!(ok, "{}", d.main_log());
}

/// A restart requested inside a multicall, after an entry that waited,
/// is carried out from the loop's re-check of parked calls rather than
/// from the call's arrival: it must still restart, not shut down.
#[test]
fn restart_after_a_waiting_multicall_entry_restarts() {
    let (d, sock) = rpc_daemon("rpc-multicall-restart");
    d.wait_log("success: ticker");
    let entry = |method: &str, params: &str| {
        format!(
            "<value><struct><member><name>methodName</name><value><string>{method}</string></value></member>\
             <member><name>params</name><value><array><data>{params}</data></array></value></member></struct></value>"
        )
    };
    let body = format!(
        "<?xml version='1.0'?>\n<methodCall><methodName>system.multicall</methodName><params><param><value><array><data>{}{}</data></array></value></param></params></methodCall>\n",
        entry(
            "supervisor.stopProcess",
            "<value><string>ticker</string></value><value><boolean>1</boolean></value>"
        ),
        entry("supervisor.restart", "")
    );
    let r = post(&mut *connect_unix(&sock), &body, "");
    assert_eq!(
        r.body.matches("<boolean>1</boolean>").count(),
        2,
        "{}",
        r.body
    );
    d.wait_count("supervisord started with pid", 2);
    let ok = crate::util::wait_for(LIMIT, || {
        UnixStream::connect(&sock).is_ok()
            && call(&sock, "supervisor.getState").body.contains("RUNNING")
    });
    assert!(ok, "{}", d.main_log());
}

#[test]
fn a_waiting_stop_reports_every_two_seconds_as_4_3_does() {
    let conf = format!(
        "{}{}\n[program:stubborn]\ncommand=sh -c \"trap '' TERM; exec sleep 1000\"\nstartsecs=0\nstopwaitsecs=3\n",
        supervisord_section(""),
        control_section("")
    );
    let d = Daemon::start("stop-report", &conf);
    let sock = d.wait_socket("supervisor.sock");
    d.wait_log("success: stubborn");
    // Let the shell reach its exec so the trap is in place.
    let pid = d.spawned("stubborn")[0];
    let ok = crate::util::wait_for(LIMIT, || {
        std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| c.starts_with("sleep"))
    });
    assert!(ok);
    let body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.stopProcess</methodName>\n<params>\n<param>\n<value><string>stubborn</string></value>\n</param>\n</params>\n</methodCall>\n";
    let t = Instant::now();
    let r = post(&mut *connect_unix(&sock), body, "");
    assert!(r.body.contains("<boolean>1</boolean>"), "{}", r.body);
    assert!(
        t.elapsed() >= Duration::from_secs(3),
        "answered after {:?}",
        t.elapsed()
    );
    let msgs = d.messages();
    // When each report was logged, in ms: at least one, and none sooner
    // than 2 s after the one before (give or take the log's millisecond
    // stamps).
    let reports: Vec<i64> = d
        .main_log()
        .lines()
        .filter(|l| l.ends_with(" INFO waiting for stubborn to stop"))
        .map(|l| log_time_ms(l).unwrap_or_else(|| panic!("no time in {l:?}")))
        .collect();
    assert!(!reports.is_empty(), "{msgs:#?}");
    assert!(
        reports.windows(2).all(|w| w[1] - w[0] >= 1995),
        "reports at {reports:?} ms\n{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("WARN killing 'stubborn'")),
        "{msgs:#?}"
    );
}

/// The time of a main log line (`2026-11-21 03:26:19,123 ...`) in ms
/// since 1970 (as UTC; only differences are used).
fn log_time_ms(line: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| line.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, s, ms) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((((days * 24 + h) * 60 + mi) * 60 + s) * 1000 + ms)
}

#[test]
fn stdin_larger_than_the_pipe_is_held_and_written_without_blocking() {
    let conf = format!(
        "{}{}\n[program:slowcat]\ncommand=sh -c 'while [ ! -e %(here)s/go ]; do sleep 0.05; done; exec cat'\nstartsecs=0\nstdout_logfile=%(here)s/cat.log\n",
        supervisord_section_with(&[("loglevel", "info")]),
        control_section("")
    );
    let d = Daemon::start("stdin-held", &conf);
    let sock = d.wait_socket("supervisor.sock");
    d.wait_log("success: slowcat");
    let pid = d.spawned("slowcat")[0];
    let waiting = || {
        std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with("sh"))
    };
    // 300 KB: far more than a pipe holds while nothing reads it: `cat`
    // starts only once the file `go` exists.
    let data = "0123456789abcdef".repeat(300 * 1024 / 16);
    let body = format!(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.sendProcessStdin</methodName>\n<params>\n<param>\n<value><string>slowcat</string></value>\n</param>\n<param>\n<value><string>{data}</string></value>\n</param>\n</params>\n</methodCall>\n"
    );
    let r = post(&mut *connect_unix(&sock), &body, "");
    assert!(r.body.contains("<boolean>1</boolean>"), "{}", r.body);
    // Answered (and still serving) while the child has read nothing.
    assert_running(&post(&mut *connect_unix(&sock), GET_STATE, ""));
    let log = d.path("cat.log");
    assert!(waiting(), "slowcat started reading before it was let go");
    assert_eq!(std::fs::metadata(&log).map_or(0, |m| m.len()), 0);
    d.dir.write("go", "");
    let all = crate::util::wait_for(LIMIT, || {
        std::fs::metadata(&log).is_ok_and(|m| m.len() == data.len() as u64)
    });
    assert!(
        all,
        "cat.log has {:?} bytes",
        std::fs::metadata(&log).map(|m| m.len())
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), data);
}

#[test]
fn http_1_0_clients_get_keep_alive_only_when_they_ask() {
    let (_d, sock) = rpc_daemon("http10");
    let req = |extra: &str| {
        format!(
            "POST /RPC2 HTTP/1.0\r\n{extra}Content-Length: {}\r\n\r\n{GET_STATE}",
            GET_STATE.len()
        )
    };
    let mut s = connect_unix(&sock);
    s.write_all(req("Connection: keep-alive\r\n").as_bytes())
        .unwrap();
    let r = read_response(&mut *s);
    assert!(r.body.contains("RUNNING"));
    assert_eq!(r.header("connection"), Some("Keep-Alive"));
    // The same connection takes a second request.
    s.write_all(req("").as_bytes()).unwrap();
    let r = read_response(&mut *s);
    assert!(r.body.contains("RUNNING"));
    assert_eq!(r.header("connection"), None);
    // ...after which it is closed.
    let mut rest = Vec::new();
    assert_eq!(s.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn a_taken_inet_port_refuses_start_and_leaves_no_socket_file_behind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let conf = format!(
        "{}{}\n[inet_http_server]\nport=127.0.0.1:{port}\n",
        supervisord_section(""),
        control_section("")
    );
    let mut d = Daemon::start("port-taken", &conf);
    assert_eq!(d.wait_exit().code(), Some(2));
    let err = d.stderr();
    assert!(
        err.starts_with("Error: Another program is already listening on a port that one of our HTTP servers is configured to use."),
        "{err}"
    );
    assert!(
        !d.path("supervisor.sock").exists(),
        "the unix socket bound first was not removed"
    );
    assert!(!d.path("supervisord.pid").exists());
    drop(taken);
}
