//! A running `supervisord` under test: a temp dir with its config, main
//! log, pidfile and child logs; helpers to wait on log lines, read pids
//! and process states from `/proc`, and send signals. Dropping it kills the
//! daemon and every child it logged as spawned, by pid, so nothing a test
//! started outlives it.

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::Duration;

pub use crate::util::Impl;
use crate::util::{TempDir, fixed_env, role_command, wait_child, wait_for};

/// How long any expected event may take before a test fails.
pub const LIMIT: Duration = Duration::from_secs(20);

pub struct Daemon {
    pub dir: TempDir,
    pub conf: PathBuf,
    child: Option<Child>,
    status: Option<ExitStatus>,
}

/// The `[supervisord]` section every test daemon gets: everything in the
/// temp dir, foreground, debug level so output echoes are visible;
/// `extra` lines are appended (to replace one of those keys, see
/// [`supervisord_section_with`]).
pub fn supervisord_section(extra: &str) -> String {
    format!("{}{extra}\n", supervisord_section_with(&[]))
}

/// [`supervisord_section`] with some of its keys replaced, or added:
/// `(key, value)` pairs, each key written once.
pub fn supervisord_section_with(overrides: &[(&str, &str)]) -> String {
    let mut keys: Vec<(&str, &str)> = vec![
        ("logfile", "%(here)s/main.log"),
        ("pidfile", "%(here)s/supervisord.pid"),
        ("childlogdir", "%(here)s"),
        ("nodaemon", "true"),
        ("loglevel", "debug"),
    ];
    for &(k, v) in overrides {
        match keys.iter_mut().find(|(key, _)| *key == k) {
            Some(entry) => entry.1 = v,
            None => keys.push((k, v)),
        }
    }
    let mut s = String::from("[supervisord]\n");
    for (k, v) in keys {
        s.push_str(&format!("{k}={v}\n"));
    }
    s
}

/// The control plane a test talks to: `[unix_http_server]` on
/// `%(here)s/supervisor.sock` with `server_keys` (more lines of that
/// section: credentials, `chmod`, ...; may be empty),
/// `[rpcinterface:supervisor]`, and `[supervisorctl]` pointing at the
/// socket.
pub fn control_section(server_keys: &str) -> String {
    let mut keys = server_keys.to_string();
    if !keys.is_empty() && !keys.ends_with('\n') {
        keys.push('\n');
    }
    format!(
        "\n[unix_http_server]\nfile=%(here)s/supervisor.sock\n{keys}\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [supervisorctl]\nserverurl=unix://%(here)s/supervisor.sock\n"
    )
}

/// The programs the ctl tests drive: `echo` writes two lines and sleeps,
/// `cat` echoes its stdin. `startsecs=0`: RUNNING at once.
pub const ECHO_AND_CAT: &str = r#"
[program:echo]
command=sh -c 'echo line1; echo line2; exec sleep 1000'
startsecs=0

[program:cat]
command=cat
startsecs=0
"#;

/// Our daemon on [`ECHO_AND_CAT`] under `section` (`[supervisord]`), its
/// control plane with `server_keys` ([`control_section`]); returned once
/// the socket accepts connections and both programs are RUNNING.
pub fn ctl_daemon_with(tag: &str, section: &str, server_keys: &str) -> Daemon {
    let d = Daemon::start(
        tag,
        &format!("{section}{}{ECHO_AND_CAT}", control_section(server_keys)),
    );
    d.wait_socket("supervisor.sock");
    d.wait_log("success: cat entered RUNNING state");
    d.wait_log("success: echo entered RUNNING state");
    d
}

/// [`ctl_daemon_with`] the usual `[supervisord]` section and no
/// credentials.
pub fn ctl_daemon(tag: &str) -> Daemon {
    ctl_daemon_with(tag, &supervisord_section(""), "")
}

impl Daemon {
    /// Starts `supervisord -c <dir>/supervisord.conf` in the foreground on
    /// `conf` (a whole config file; see [`supervisord_section`]).
    pub fn start(tag: &str, conf: &str) -> Daemon {
        Daemon::start_with(tag, conf, &[], Stdio::null())
    }

    pub fn start_with(tag: &str, conf: &str, args: &[&str], stdout: Stdio) -> Daemon {
        Daemon::launch(Impl::Ours, tag, conf, args, stdout)
    }

    /// Starts `imp`'s supervisord in the foreground on `conf`: ours, or the
    /// real Supervisor 4.3.0 from the interop venv, for comparisons.
    pub fn start_impl(imp: Impl, tag: &str, conf: &str) -> Daemon {
        Daemon::launch(imp, tag, conf, &[], Stdio::null())
    }

    /// Starts ours on `conf` in a temp dir the test prepared.
    pub fn start_in(dir: TempDir, conf: &str) -> Daemon {
        Daemon::launch_in(Impl::Ours, dir, conf, &[], Stdio::null())
    }

    fn launch(imp: Impl, tag: &str, conf: &str, args: &[&str], stdout: Stdio) -> Daemon {
        Daemon::launch_in(imp, TempDir::new(tag), conf, args, stdout)
    }

    fn launch_in(imp: Impl, dir: TempDir, conf: &str, args: &[&str], stdout: Stdio) -> Daemon {
        let path = dir.write("supervisord.conf", conf);
        let mut c = role_command(imp, "supervisord");
        c.arg("-c")
            .arg(&path)
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .envs(fixed_env(dir.path()))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped());
        let child = c.spawn().expect("start supervisord");
        Daemon {
            dir,
            conf: path,
            child: Some(child),
            status: None,
        }
    }

    /// Waits until something accepts connections on the unix socket
    /// `name` in the temp dir (the daemon's HTTP server is up).
    pub fn wait_socket(&self, name: &str) -> PathBuf {
        let p = self.path(name);
        let ok = wait_for(LIMIT, || {
            std::os::unix::net::UnixStream::connect(&p).is_ok()
        });
        assert!(
            ok,
            "nothing listens on {}\n--- main log ---\n{}",
            p.display(),
            self.main_log()
        );
        p
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    pub fn child_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("daemon still owned")
    }

    pub fn main_log(&self) -> String {
        std::fs::read_to_string(self.path("main.log")).unwrap_or_default()
    }

    /// Log lines without their timestamp.
    pub fn messages(&self) -> Vec<String> {
        self.main_log()
            .lines()
            .filter(|l| l.len() > 24 && l.as_bytes()[4] == b'-')
            .map(|l| l[24..].to_string())
            .collect()
    }

    /// Waits until the main log contains `needle` `count` times.
    pub fn wait_count(&self, needle: &str, count: usize) {
        let ok = wait_for(LIMIT, || self.main_log().matches(needle).count() >= count);
        assert!(
            ok,
            "main log never had {count} x {needle:?}\n--- main log ---\n{}",
            self.main_log()
        );
    }

    pub fn wait_log(&self, needle: &str) {
        self.wait_count(needle, 1);
    }

    /// Pids from every `spawned: '<name>' with pid N` line, in order.
    pub fn spawned(&self, name: &str) -> Vec<i32> {
        let prefix = format!("spawned: '{name}' with pid ");
        self.main_log()
            .lines()
            .filter_map(|l| {
                l.split_once(&prefix)
                    .map(|(_, p)| p.trim().parse().unwrap())
            })
            .collect()
    }

    /// Every pid the daemon logged as spawned.
    pub fn all_spawned(&self) -> Vec<i32> {
        self.main_log()
            .lines()
            .filter_map(|l| {
                l.split_once("' with pid ")
                    .map(|(_, p)| p.trim().parse().unwrap())
            })
            .collect()
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling the daemon we started.
        assert_eq!(unsafe { libc::kill(self.pid(), sig) }, 0);
    }

    /// Waits for the daemon to exit on its own; panics after LIMIT.
    pub fn wait_exit(&mut self) -> ExitStatus {
        if let Some(s) = self.status {
            return s;
        }
        let status = wait_child(self.child.as_mut().expect("daemon"), LIMIT);
        assert!(
            status.is_some(),
            "supervisord did not exit (killed)\n{}",
            self.main_log()
        );
        self.status = status;
        status.unwrap()
    }

    /// SIGTERM, then waits for exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.wait_exit()
    }

    /// Everything the daemon wrote on stderr (after it exited).
    pub fn stderr(&mut self) -> String {
        use std::io::Read;
        let mut s = String::new();
        if let Some(e) = self.child.as_mut().and_then(|c| c.stderr.as_mut()) {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pids = self.all_spawned();
        if let Some(mut c) = self.child.take() {
            if self.status.is_none() && c.try_wait().ok().flatten().is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        for pid in pids {
            if alive(pid) {
                // SAFETY: a pid this test's daemon spawned and logged.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// Kills the given pids (those still alive) when dropped: processes a
/// test learned of that the [`Daemon`]'s own clean-up may miss (an orphan,
/// a child whose `spawned:` line was rotated out of `main.log`).
pub struct KillOnDrop(pub Vec<i32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for &pid in &self.0 {
            if pid > 0 && alive(pid) {
                // SAFETY: a pid this test started or learned from its daemon.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// Waits (up to LIMIT) until `path` holds a whole pid (digits and the
/// newline that ends `echo $! > file` or a pidfile) and returns it.
pub fn wait_pid_file(path: &Path) -> i32 {
    let read = || {
        let s = std::fs::read_to_string(path).ok()?;
        s.strip_suffix('\n')?.trim().parse::<i32>().ok()
    };
    let mut pid = None;
    let ok = wait_for(LIMIT, || {
        pid = read();
        pid.is_some()
    });
    assert!(
        ok,
        "no pid in {} (it holds {:?})",
        path.display(),
        std::fs::read_to_string(path)
    );
    pid.unwrap()
}

/// The state letter of a process in /proc (R, S, Z, ...), if it exists.
pub fn proc_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.trim_start().chars().next()
}

/// A live process (not a zombie) with this pid exists.
pub fn alive(pid: i32) -> bool {
    matches!(proc_state(pid), Some(s) if s != 'Z' && s != 'X')
}

/// The parent pid of a process.
pub fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Children of `pid` that are zombies.
pub fn zombie_children(pid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| ppid(p) == Some(pid) && proc_state(p) == Some('Z'))
        .collect()
}

/// Waits until `pid` is gone (or a zombie someone else must reap).
pub fn wait_gone(pid: i32) -> bool {
    wait_for(LIMIT, || !alive(pid))
}

/// A field of /proc/<pid>/status, as a number.
pub fn status_field(pid: i32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Files in `dir` whose names start with `prefix`, sorted.
pub fn files_starting(dir: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}
