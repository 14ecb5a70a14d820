//! Helpers shared by the integration tests.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_supervisor"))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("svrs-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `name` under the dir and returns its path.
    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Which implementation a test runs: ours, or the real one it is compared
/// with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    Ours,
    /// Supervisor 4.3.0 from the interop venv ([`python43`]).
    Py43,
}

/// A command that runs `imp`'s `role` (`supervisord`, `supervisorctl`,
/// `echo_supervisord_conf`, `pidproxy`) with that name as argv[0]: our
/// binary, or 4.3's `main` through the venv's Python. Nothing else is set;
/// the caller adds arguments, directory and environment.
pub fn role_command(imp: Impl, role: &str) -> Command {
    match imp {
        Impl::Ours => {
            let mut c = Command::new(bin());
            c.arg0(role);
            c
        }
        Impl::Py43 => {
            let module = match role {
                "supervisord" | "supervisorctl" | "pidproxy" => role,
                "echo_supervisord_conf" => "confecho",
                _ => panic!("Supervisor 4.3 has no role {role:?}"),
            };
            let mut c = Command::new(python43());
            c.arg("-c").arg(format!(
                "import sys; sys.argv[0] = '{role}'; from supervisor.{module} import main; main()"
            ));
            c
        }
    }
}

/// The fixed environment both implementations run with in comparisons.
pub fn fixed_env(home: &Path) -> Vec<(String, String)> {
    let h = home.to_string_lossy().into_owned();
    vec![
        ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
        ("HOME".into(), h.clone()),
        ("TMPDIR".into(), h),
        ("LANG".into(), "C.UTF-8".into()),
        ("APP_ENV".into(), "production".into()),
        ("APP_PORT".into(), "8000".into()),
        ("DJANGO_SETTINGS_MODULE".into(), "mysite.settings".into()),
    ]
}

/// Runs our binary as role `argv0` (e.g. `supervisord`) with a cleared,
/// fixed environment and `cwd`.
pub fn run_role<S: AsRef<OsStr>>(argv0: &str, args: &[S], cwd: &Path, home: &Path) -> Output {
    let mut cmd = role_command(Impl::Ours, argv0);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(fixed_env(home));
    output_bounded(&mut cmd)
}

/// Text of an output stream.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Prints everything about a finished command, for failing assertions.
pub fn describe(what: &str, o: &Output) -> String {
    format!(
        "{what}\nstatus: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    )
}

/// Waits until `cond` holds, up to `limit`; returns whether it did.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Copies a pipe into a buffer on a thread, so that it never fills up
/// and stalls the writer, and what came so far can be looked at while it
/// runs. The thread ends at end of file; join it to have all of it.
pub fn collect(mut pipe: impl Read + Send + 'static) -> (Arc<Mutex<Vec<u8>>>, JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = Arc::clone(&buf);
    let handle = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    (buf, handle)
}

/// Waits up to `limit` for `child` to finish. `None`: it was still
/// running then, and has been killed (by its pid) and reaped. A process
/// ended by a signal has finished: `Some` of a status with no code.
pub fn wait_child(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let mut status = None;
    let finished = wait_for(limit, || {
        status = child.try_wait().expect("try_wait on a child");
        status.is_some()
    });
    if !finished {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    status
}

/// What a bounded run printed and how it ended.
#[derive(Clone, Debug)]
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
    /// The exit status; `None` when it was killed (by a signal, or after
    /// the limit).
    pub code: Option<i32>,
    /// Whether it ended by itself within the limit (possibly by a
    /// signal); false when it was killed after the limit.
    pub finished: bool,
    /// How it ended; `None` when it was killed after the limit.
    pub status: Option<ExitStatus>,
}

impl Ran {
    /// The signal that ended it, if one did before the limit.
    pub fn signal(&self) -> Option<i32> {
        self.status.and_then(|s| s.signal())
    }

    /// Exit status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Everything about the run, for failing assertions.
    pub fn describe(&self, what: &str) -> String {
        let end = match (self.finished, self.code, self.signal()) {
            (false, _, _) => "still running at the limit; killed".to_string(),
            (true, Some(c), _) => c.to_string(),
            (true, None, sig) => format!("killed by signal {sig:?}"),
        };
        format!(
            "{what}\nstatus: {end}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` with `stdin` (or /dev/null when `None`; bytes are written
/// on a thread and the pipe closed after them) and its stdout and stderr
/// collected, for at most `limit`; after that it is killed by its pid.
pub fn run_bounded(cmd: &mut Command, stdin: Option<&[u8]>, limit: Duration) -> Ran {
    let (out, err, status) = run_bytes(cmd, stdin, limit);
    Ran {
        stdout: text(&out),
        stderr: text(&err),
        code: status.and_then(|s| s.code()),
        finished: status.is_some(),
        status,
    }
}

/// How long a one-shot command may take before it counts as hung.
pub const ONE_SHOT_LIMIT: Duration = Duration::from_secs(60);

/// `cmd.output()`, except that a command still running after
/// `ONE_SHOT_LIMIT` (a start-up that should have failed but now runs in
/// the foreground, say) is killed by its pid and fails the test instead of
/// hanging it.
pub fn output_bounded(cmd: &mut Command) -> Output {
    let (stdout, stderr, status) = run_bytes(cmd, None, ONE_SHOT_LIMIT);
    let status = status.unwrap_or_else(|| {
        panic!(
            "{cmd:?} still ran after {ONE_SHOT_LIMIT:?}; killed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            text(&stdout),
            text(&stderr)
        )
    });
    Output {
        status,
        stdout,
        stderr,
    }
}

/// [`run_bounded`]'s work, with the output as bytes.
fn run_bytes(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    limit: Duration,
) -> (Vec<u8>, Vec<u8>, Option<ExitStatus>) {
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    // A write error (the child exited without reading) shows in what it
    // printed, which the caller checks.
    let writer = stdin.map(|input| {
        let mut pipe = child.stdin.take().expect("piped stdin");
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        })
    });
    let (out, t1) = collect(child.stdout.take().expect("piped stdout"));
    let (err, t2) = collect(child.stderr.take().expect("piped stderr"));
    let status = wait_child(&mut child, limit);
    for t in [t1, t2].into_iter().chain(writer) {
        let _ = t.join();
    }
    let out = std::mem::take(&mut *out.lock().unwrap());
    let err = std::mem::take(&mut *err.lock().unwrap());
    (out, err, status)
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// 4.3's generic error lines (`error: <class ...>, <text>: file: <python
/// source> line: <n>`, at the start of a line or after a prompt) without
/// their `: file: ... line: <n>` tail, which ours deliberately leave out
/// (docs/compat.md); every other byte of `s` is kept.
pub fn strip_python_location(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for piece in s.split_inclusive('\n') {
        let (line, nl) = piece.strip_suffix('\n').map_or((piece, ""), |l| (l, "\n"));
        let mut line = line;
        if line.contains("error: <class ") {
            if let Some(at) = line.rfind(": file: ") {
                let ok = line[at..]
                    .rsplit_once(" line: ")
                    .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
                if ok {
                    line = &line[..at];
                }
            }
        }
        out.push_str(line);
        out.push_str(nl);
    }
    out
}

/// Every status line of `s` with its uptime (`0:00:02`, `1 day, 0:00:02`)
/// as `<UPTIME>`, the pid kept: two runs a second apart against the same
/// daemon differ in nothing else. Every other byte is kept.
pub fn without_uptimes(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| status_times(l, false))
        .collect()
}

/// `pid 123, uptime 0:00:02` in a status line becomes `pid <PID>, uptime
/// <UPTIME>`, for runs against different daemons.
pub fn without_pid_and_uptime(line: &str) -> String {
    status_times(line, true)
}

/// A status line's `pid N, uptime [D day[s], ]H:MM:SS` with the uptime
/// (and, with `mask_pid`, the pid) replaced; anything else, a line end
/// included, is kept as it is.
fn status_times(line: &str, mask_pid: bool) -> String {
    let Some(at) = line.find("pid ") else {
        return line.to_string();
    };
    let rest = &line[at + 4..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Some(after) = rest[digits..].strip_prefix(", uptime ") else {
        return line.to_string();
    };
    if digits == 0 {
        return line.to_string();
    }
    // Python's timedelta: `[N day[s], ]H:MM:SS`.
    let mut t = after;
    if let Some((d, r)) = t.split_once(" day, ").or_else(|| t.split_once(" days, ")) {
        if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) {
            t = r;
        }
    }
    let h = t.bytes().take_while(u8::is_ascii_digit).count();
    let hms = t.as_bytes();
    let ok = h > 0
        && hms.len() >= h + 6
        && hms[h] == b':'
        && hms[h + 3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| hms[h + i].is_ascii_digit());
    if !ok {
        return line.to_string();
    }
    let tail = &t[h + 6..];
    let pid = if mask_pid { "<PID>" } else { &rest[..digits] };
    format!("{}pid {pid}, uptime <UPTIME>{tail}", &line[..at])
}

/// The Python of a venv holding Supervisor 4.3.0: `$SUPERVISOR43_PYTHON`,
/// or `target/interop-venv`, created (python3 -m venv; pip install
/// supervisor==4.3.0) on first use. Panics with the reason when it cannot
/// be had: the compatibility tests are not optional.
pub fn python43() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        if let Ok(p) = std::env::var("SUPERVISOR43_PYTHON") {
            return PathBuf::from(p);
        }
        let venv = root().join("target").join("interop-venv");
        let py = venv.join("bin").join("python");
        let ok = |py: &Path| {
            Command::new(py)
                .args(["-c", "import supervisor.options, importlib.metadata as m; assert m.version('supervisor') == '4.3.0'"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if ok(&py) {
            return py;
        }
        let step = |c: &mut Command, what: &str| {
            let o = c.output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
            assert!(o.status.success(), "{}", describe(what, &o));
        };
        step(Command::new("python3").arg("-m").arg("venv").arg("--clear").arg(&venv), "python3 -m venv");
        step(
            Command::new(&py).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "supervisor==4.3.0"]),
            "pip install supervisor==4.3.0",
        );
        assert!(ok(&py), "supervisor 4.3.0 is not importable from {}", py.display());
        py
    })
}

/// Runs `tests/interop/dump_config.py` (4.3's loader) with `args`.
pub fn dump43<S: AsRef<OsStr>>(args: &[S], cwd: &Path, home: &Path) -> Output {
    Command::new(python43())
        .arg(root().join("tests/interop/dump_config.py"))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(fixed_env(home))
        .output()
        .expect("run dump_config.py")
}

/// Runs `supervisord --test-config --json` on `conf`; fails the test
/// unless it exits 0. Returns the output (warnings are on its stderr) and
/// the document.
pub fn test_config_json(conf: &Path, cwd: &Path, home: &Path) -> (Output, serde_json::Value) {
    let args = [
        OsStr::new("--test-config"),
        OsStr::new("--json"),
        OsStr::new("-c"),
        conf.as_os_str(),
    ];
    let o = run_role("supervisord", &args, cwd, home);
    let what = format!("--test-config --json -c {}", conf.display());
    assert_eq!(o.status.code(), Some(0), "{}", describe(&what, &o));
    let j = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e})\n{}", describe(&what, &o)));
    (o, j)
}

/// Runs Supervisor 4.3's own `supervisorctl` (as argv[0] `supervisorctl`).
pub fn ctl43<S: AsRef<OsStr>>(args: &[S], cwd: &Path, home: &Path) -> Output {
    let mut cmd = role_command(Impl::Py43, "supervisorctl");
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(fixed_env(home));
    output_bounded(&mut cmd)
}

#[test]
fn python_source_suffixes_are_the_only_thing_cut_from_error_lines() {
    assert_eq!(
        strip_python_location(
            "error: <class 'FileNotFoundError'>, [Errno 2] No such file or directory: file: /x/socket.py line: 557"
        ),
        "error: <class 'FileNotFoundError'>, [Errno 2] No such file or directory"
    );
    // After a prompt, and on every line of a text.
    assert_eq!(
        strip_python_location(
            "supervisor> error: <class 'EOFError'>, EOF: file: /x/a.py line: 1\nok\nerror: <class 'X'>, b: file: y line: 22\n"
        ),
        "supervisor> error: <class 'EOFError'>, EOF\nok\nerror: <class 'X'>, b\n"
    );
    for kept in [
        "error: <class 'X'>, a: file: b",
        "echo: ERROR (no such file): file: x line: 3",
        "error: <class 'X'>, y line: 3",
        "error: <class 'X'>, a: file: b line: 3x",
    ] {
        assert_eq!(strip_python_location(kept), kept);
    }
}

#[test]
fn only_well_formed_uptimes_are_replaced() {
    for (line, want) in [
        (
            "cat    RUNNING   pid 12, uptime 0:00:02\n",
            "cat    RUNNING   pid <PID>, uptime <UPTIME>\n",
        ),
        (
            "x RUNNING   pid 7, uptime 3 days, 10:01:02",
            "x RUNNING   pid <PID>, uptime <UPTIME>",
        ),
    ] {
        assert_eq!(without_pid_and_uptime(line), want);
    }
    assert_eq!(
        without_uptimes(
            "supervisor> a  RUNNING   pid 12, uptime 0:00:02\nb  RUNNING   pid 13, uptime 1 day, 0:00:02\nsupervisor> "
        ),
        "supervisor> a  RUNNING   pid 12, uptime <UPTIME>\nb  RUNNING   pid 13, uptime <UPTIME>\nsupervisor> "
    );
    for kept in [
        "x RUNNING   pid 7, uptime soon",
        "x RUNNING   pid , uptime 0:00:01",
        "add    exit      open  pid   remove",
    ] {
        assert_eq!(without_pid_and_uptime(kept), kept);
        assert_eq!(without_uptimes(kept), kept);
    }
}
