//! Our `supervisorctl` as a person uses it, against our daemon:
//!
//! * the interactive shell in a real pseudo-terminal (24x100, `TERM=xterm`,
//!   the ctl a session leader with the pty as its controlling terminal):
//!   the initial `status`, the `supervisor> ` prompt, a command and its
//!   output, the up arrow re-running the last command, tab completion of
//!   process and command names, `help`, Ctrl-D leaving with status 0, and
//!   history kept in a file (`-r` or `history_file=`) across sessions;
//! * `tail -f`, `fg` and `maintail -f` showing lines as the process (or
//!   the daemon) writes them, `fg` forwarding typed lines to the process,
//!   and SIGINT (Ctrl-C) ending each at once with 4.3's closing line and
//!   status 0;
//! * the shell with piped input, which prints its prompts as 4.3's does:
//!   compared with the real 4.3 `supervisorctl` on the same input and
//!   daemon.
//!
//! Terminal output is compared after removing escape sequences (colour,
//! line redraws) and carriage returns: what is asserted is the text a
//! user sees, not how rustyline paints it. Every read from the pty waits
//! with `poll` and a deadline, every process is reaped, and a process
//! still running when a test fails is killed by its pid.

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use crate::harness::{
    LIMIT, ctl_daemon, ctl_daemon_with, supervisord_section, supervisord_section_with,
};
use crate::pty::Pty;
use crate::util::{
    Impl, collect, fixed_env, role_command, run_bounded, run_role, text, wait_child, wait_for,
    without_uptimes,
};

/// Lines of `text` that are `name`'s status line (RUNNING).
fn status_lines<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name).is_some_and(|r| {
                r.starts_with("   ") && r.trim_start().starts_with("RUNNING   pid ")
            })
        })
        .collect()
}

const HELP_TABLE: &str = "\ndefault commands (type help <topic>):\n=====================================\n\
    add    exit      open  reload  restart   start   tail   \n\
    avail  fg        pid   remove  shutdown  status  update \n\
    clear  maintail  quit  reread  signal    stop    version\n\n";

#[test]
fn the_shell_in_a_terminal_prompts_recalls_completes_and_leaves_on_ctrl_d() {
    let d = ctl_daemon("ctlsh-pty");
    let conf = d.conf.to_string_lossy().into_owned();
    let version = run_role(
        "supervisorctl",
        &["-c", &conf, "version"],
        d.dir.path(),
        d.dir.path(),
    );
    let version = text(&version.stdout);
    // The daemon reports the Supervisor version it is compatible with.
    assert_eq!(version, "4.3.0\n");
    let mut t = Pty::spawn(d.dir.path(), &["-c", &conf]);

    // The initial status, then the prompt.
    let first = t.expect("supervisor> ");
    assert_eq!(status_lines(&first, "cat").len(), 1, "{first}");
    assert_eq!(status_lines(&first, "echo").len(), 1, "{first}");
    let words: Vec<&str> = first
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(words, ["cat", "echo", "supervisor>"], "{first}");

    // A command and its output: only echo's line.
    t.send("status echo\r");
    let out = t.expect("supervisor> ");
    assert_eq!(status_lines(&out, "echo").len(), 1, "{out}");
    assert!(status_lines(&out, "cat").is_empty(), "{out}");

    // The up arrow brings the command back; Enter runs it again.
    t.send("\x1b[A");
    t.expect("supervisor> status echo");
    t.send("\r");
    let out = t.expect("supervisor> ");
    assert_eq!(status_lines(&out, "echo").len(), 1, "{out}");
    assert!(status_lines(&out, "cat").is_empty(), "{out}");

    // Tab completes a process name (with the trailing space readline
    // adds); the completed line runs.
    t.send("status ec\t");
    t.expect("supervisor> status echo ");
    t.send("\r");
    let out = t.expect("supervisor> ");
    assert_eq!(status_lines(&out, "echo").len(), 1, "{out}");
    assert!(status_lines(&out, "cat").is_empty(), "{out}");

    // ... and a command name.
    t.send("vers\t");
    t.expect("supervisor> version ");
    t.send("\r");
    let out = t.expect("supervisor> ");
    assert!(
        out.contains(&format!("\n{version}")),
        "{out:?} lacks {version:?}"
    );

    // An ambiguous start: the second Tab lists both commands; the line
    // is kept and can be finished by hand.
    t.send("sta\t\t");
    let listed = t.expect("supervisor> sta");
    assert!(
        listed.contains("start") && listed.contains("status"),
        "{listed}"
    );
    t.send("tus cat\r");
    let out = t.expect("supervisor> ");
    assert_eq!(status_lines(&out, "cat").len(), 1, "{out}");
    assert!(status_lines(&out, "echo").is_empty(), "{out}");

    // After `help`, command names complete too; `help` alone prints the
    // table exactly as 4.3 does.
    t.send("help shu\t");
    t.expect("supervisor> help shutdown ");
    t.send("\r");
    let out = t.expect("supervisor> ");
    assert!(
        out.contains("\nshutdown \tShut the remote supervisord down.\n"),
        "{out:?}"
    );
    t.send("help\r");
    let out = t.expect("supervisor> ");
    assert!(out.contains(HELP_TABLE), "{out:?}");

    // Ctrl-D on an empty line: an empty line, then exit status 0.
    t.send("\x04");
    let status = t.wait_exit();
    assert_eq!(status.code(), Some(0), "{}", t.screen());
    let rest = &t.screen()[t.mark()..];
    assert_eq!(rest.trim_start_matches(' '), "\n", "{rest:?}");
}

#[test]
fn history_is_kept_in_a_file_and_recalled_by_the_next_session() {
    let d = ctl_daemon("ctlsh-hist");
    let conf = d.conf.to_string_lossy().into_owned();
    let hist = d.path("history");
    let hist_s = hist.to_string_lossy().into_owned();

    // Session 1: `-r FILE`. The file is written at exit.
    let mut t = Pty::spawn(d.dir.path(), &["-c", &conf, "-r", &hist_s]);
    t.expect("supervisor> ");
    t.send("status cat\r");
    t.expect("supervisor> ");
    t.send("pid\r");
    let out = t.expect("supervisor> ");
    assert!(out.contains(&format!("\n{}\n", d.pid())), "{out:?}");
    t.send("\x04");
    assert_eq!(t.wait_exit().code(), Some(0), "{}", t.screen());
    drop(t);
    assert_eq!(
        std::fs::read_to_string(&hist).unwrap_or_default(),
        "status cat\npid\n"
    );

    // Session 2: `history_file=` in [supervisorctl]. Up twice is the
    // first command of session 1; it runs. Ctrl-C at the prompt leaves
    // (status 0, as 4.3) and still saves the history.
    let ctl_conf = d.dir.write(
        "ctl.conf",
        format!(
            "[supervisorctl]\nserverurl=unix://{}\nhistory_file={hist_s}\n",
            d.path("supervisor.sock").display()
        ),
    );
    let ctl_conf = ctl_conf.to_string_lossy().into_owned();
    let mut t = Pty::spawn(d.dir.path(), &["-c", &ctl_conf]);
    t.expect("supervisor> ");
    t.send("\x1b[A");
    t.expect("supervisor> pid");
    t.send("\x1b[A");
    t.expect("supervisor> status cat");
    t.send("\r");
    let out = t.expect("supervisor> ");
    assert_eq!(status_lines(&out, "cat").len(), 1, "{out}");
    assert!(status_lines(&out, "echo").is_empty(), "{out}");
    t.send("\x03");
    assert_eq!(t.wait_exit().code(), Some(0), "{}", t.screen());
    drop(t);
    assert_eq!(
        std::fs::read_to_string(&hist).unwrap_or_default(),
        "status cat\npid\nstatus cat\n"
    );
}

/// A daemon that wants a password: the shell's first `status` gets a 401,
/// so it asks for a user name (echoed) and a password (read from the
/// terminal with echo off, as getpass does), then goes on with them.
#[test]
fn a_401_in_the_terminal_asks_for_credentials_without_echoing_the_password() {
    let d = ctl_daemon_with(
        "ctlsh-auth",
        &supervisord_section(""),
        "username=someone\npassword=s3cret-pw",
    );
    let conf = d.conf.to_string_lossy().into_owned();
    let mut t = Pty::spawn(d.dir.path(), &["-c", &conf]);
    t.expect("Server requires authentication\nUsername:");
    t.send("someone\r");
    t.expect("someone\nPassword:");
    t.send("s3cret-pw\r");
    let out = t.expect("supervisor> ");
    assert!(!out.contains("s3cret"), "the password was echoed: {out:?}");
    assert!(out.starts_with("\n\ncat "), "{out:?}");
    assert_eq!(status_lines(&out, "echo").len(), 1, "{out}");
    t.send("pid\r");
    let out = t.expect("supervisor> ");
    assert!(out.contains(&format!("\n{}\n", d.pid())), "{out:?}");
    t.send("\x04");
    assert_eq!(t.wait_exit().code(), Some(0), "{}", t.screen());
}

// ---- following: tail -f, fg, maintail -f ---------------------------------

/// Our `supervisorctl` with pipes, its output collected as it comes.
struct Piped {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Piped {
    /// Ours.
    fn spawn(cwd: &Path, args: &[&str]) -> Piped {
        Piped::spawn_with(role_command(Impl::Ours, "supervisorctl"), cwd, args, &[])
    }

    /// 4.3's.
    fn spawn43(cwd: &Path, args: &[&str]) -> Piped {
        // Python block-buffers a pipe; 4.3 flushes only the log data.
        Piped::spawn_with(
            role_command(Impl::Py43, "supervisorctl"),
            cwd,
            args,
            &[("PYTHONUNBUFFERED", "1")],
        )
    }

    fn spawn_with(mut c: Command, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Piped {
        let mut child = c
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(fixed_env(cwd))
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn supervisorctl");
        let stdin = child.stdin.take();
        let (out, t1) = collect(child.stdout.take().unwrap());
        let (err, t2) = collect(child.stderr.take().unwrap());
        Piped {
            child,
            stdin,
            out,
            err,
            threads: vec![t1, t2],
        }
    }

    fn stdout(&self) -> String {
        text(&self.out.lock().unwrap())
    }

    fn stderr(&self) -> String {
        text(&self.err.lock().unwrap())
    }

    /// Waits (up to LIMIT) until stdout contains `needle`.
    fn wait_stdout(&self, needle: &str) {
        assert!(
            wait_for(LIMIT, || self.stdout().contains(needle)),
            "{needle:?} never came\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout(),
            self.stderr()
        );
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write ctl stdin");
        stdin.flush().unwrap();
    }

    /// SIGINT by pid (Ctrl-C); returns the exit status. A follow that
    /// ignored it would wait for output that never comes: `wait` fails
    /// the test after LIMIT.
    fn interrupt(&mut self) -> ExitStatus {
        // SAFETY: signalling the supervisorctl this test started.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) },
            0
        );
        self.wait()
    }

    /// Waits (up to LIMIT) for exit and for its output to be complete.
    fn wait(&mut self) -> ExitStatus {
        let status = wait_child(&mut self.child, LIMIT);
        assert!(
            status.is_some(),
            "supervisorctl did not exit (killed)\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout(),
            self.stderr()
        );
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        status.unwrap()
    }
}

impl Drop for Piped {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // Our own child, by its pid.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

const PRESS: &str = "==> Press Ctrl-C to exit <==\n";

/// `tail -f cat` and `fg cat` at once: each line typed into `fg` goes to
/// cat's stdin, cat writes it back, and both followers show it as soon as
/// it is written (nothing is written unless a line is typed, so what they
/// show is exact). SIGINT ends `tail -f` with an empty line and `fg` with
/// `Exiting foreground`, both at once and with status 0. 4.3's `tail -f`
/// follows alongside and must print the same. (4.3's `fg` is left out:
/// it does not exit after Ctrl-C or end of input, its log thread lives
/// on; ours does.)
#[test]
fn tail_f_and_fg_show_lines_as_written_and_end_on_ctrl_c() {
    let d = ctl_daemon("ctlsh-follow");
    let conf = d.conf.to_string_lossy().into_owned();
    let mut tail = Piped::spawn(d.dir.path(), &["-c", &conf, "tail", "-f", "cat"]);
    tail.wait_stdout(PRESS);
    let mut tail43 = Piped::spawn43(d.dir.path(), &["-c", &conf, "tail", "-f", "cat"]);
    tail43.wait_stdout(PRESS);
    let mut fg = Piped::spawn(d.dir.path(), &["-c", &conf, "fg", "cat"]);
    fg.wait_stdout(PRESS);

    fg.type_line("first line typed");
    tail.wait_stdout("first line typed\n");
    fg.wait_stdout("first line typed\n");
    fg.type_line("second line typed");
    tail.wait_stdout("second line typed\n");
    fg.wait_stdout("second line typed\n");

    let status = tail.interrupt();
    assert_eq!(status.code(), Some(0), "{}", tail.stderr());
    assert_eq!(
        tail.stdout(),
        format!("{PRESS}first line typed\nsecond line typed\n\n")
    );
    assert_eq!(tail.stderr(), "");
    tail43.wait_stdout("second line typed\n");
    let status = tail43.interrupt();
    assert_eq!(status.code(), Some(0), "{}", tail43.stderr());
    assert_eq!(
        (tail.stdout(), tail.stderr()),
        (tail43.stdout(), tail43.stderr()),
        "ours (left) vs 4.3's tail -f"
    );

    // fg still forwards after tail -f has gone.
    fg.type_line("third");
    fg.wait_stdout("third\n");
    let status = fg.interrupt();
    assert_eq!(status.code(), Some(0), "{}", fg.stderr());
    assert_eq!(
        fg.stdout(),
        format!("{PRESS}first line typed\nsecond line typed\nthird\nExiting foreground\n")
    );
    assert_eq!(fg.stderr(), "");

    // What fg sent really went to cat: its log has it.
    let log = run_role(
        "supervisorctl",
        &["-c", &conf, "tail", "cat"],
        d.dir.path(),
        d.dir.path(),
    );
    assert_eq!(
        text(&log.stdout),
        "first line typed\nsecond line typed\nthird\n\n"
    );
}

/// `fg` ends by itself at the end of its input, and when the process is
/// no longer running by the time a line is typed.
#[test]
fn fg_ends_at_end_of_input_and_when_the_process_dies() {
    let d = ctl_daemon("ctlsh-fg");
    let conf = d.conf.to_string_lossy().into_owned();

    let mut fg = Piped::spawn(d.dir.path(), &["-c", &conf, "fg", "cat"]);
    fg.wait_stdout(PRESS);
    fg.type_line("only line");
    fg.wait_stdout("only line\n");
    drop(fg.stdin.take());
    let status = fg.wait();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        fg.stdout(),
        format!("{PRESS}only line\nExiting foreground\n")
    );

    let mut fg = Piped::spawn(d.dir.path(), &["-c", &conf, "fg", "cat"]);
    fg.wait_stdout(PRESS);
    fg.wait_stdout("only line\n");
    let stop = run_role(
        "supervisorctl",
        &["-c", &conf, "stop", "cat"],
        d.dir.path(),
        d.dir.path(),
    );
    assert_eq!(text(&stop.stdout), "cat: stopped\n");
    fg.type_line("too late");
    let status = fg.wait();
    assert_eq!(status.code(), Some(0));
    assert!(
        fg.stdout()
            .ends_with("only line\nProcess got killed\nExiting foreground\n"),
        "{}",
        fg.stdout()
    );
}

/// `maintail -f` shows the main log as supervisord writes it; SIGINT ends
/// it with an empty line and status 0.
#[test]
fn maintail_f_shows_the_main_log_as_written_and_ends_on_ctrl_c() {
    // loglevel=info: nothing but what the test causes is logged.
    let section = supervisord_section_with(&[("loglevel", "info")]);
    let d = ctl_daemon_with("ctlsh-maintail", &section, "");
    let conf = d.conf.to_string_lossy().into_owned();
    let mut m = Piped::spawn(d.dir.path(), &["-c", &conf, "maintail", "-f"]);
    m.wait_stdout(PRESS);
    m.wait_stdout("success: echo entered RUNNING state");
    let stop = run_role(
        "supervisorctl",
        &["-c", &conf, "stop", "echo"],
        d.dir.path(),
        d.dir.path(),
    );
    assert_eq!(text(&stop.stdout), "echo: stopped\n");
    m.wait_stdout("stopped: echo (terminated by SIGTERM)\n");
    let status = m.interrupt();
    assert_eq!(status.code(), Some(0), "{}", m.stderr());
    let out = m.stdout();
    assert!(out.starts_with(PRESS) && out.ends_with("\n\n"), "{out:?}");
    assert_eq!(m.stderr(), "");
}

// ---- piped input -----------------------------------------------------------

/// With input piped in, the shell still prints `supervisor> ` before each
/// line it reads, the output following on the same line, and an empty
/// line at the end of input: the same bytes as 4.3's shell.
#[test]
fn piped_input_prints_prompts_as_4_3_does() {
    let d = ctl_daemon("ctlsh-piped");
    let conf = d.conf.to_string_lossy().into_owned();
    let input = "status\nhelp\nhelp stop\nfoo\n\nstatus nosuch\n?tail\n";
    let run = |mut c: Command| {
        c.arg("-c")
            .arg(&conf)
            .current_dir(d.dir.path())
            .env_clear()
            .envs(fixed_env(d.dir.path()));
        let r = run_bounded(&mut c, Some(input.as_bytes()), LIMIT);
        (without_uptimes(&r.stdout), r.stderr, r.code)
    };
    let theirs = run(role_command(Impl::Py43, "supervisorctl"));
    let ours = run(role_command(Impl::Ours, "supervisorctl"));
    assert_eq!(ours, theirs, "ours (left) vs 4.3 (right)");
    let (out, err, code) = ours;
    assert_eq!((err.as_str(), code), ("", Some(0)));
    // 7 lines and the end of input: 8 prompts; the last one then the
    // empty line EOF prints.
    assert_eq!(out.matches("supervisor> ").count(), 8, "{out}");
    assert!(out.ends_with("supervisor> \n"), "{out:?}");
    assert!(out.contains("supervisor> *** Unknown syntax: foo"), "{out}");
    assert!(
        out.contains("supervisor> nosuch: ERROR (no such process)"),
        "{out}"
    );
    assert!(out.contains(&HELP_TABLE[1..]), "{out}");
}

/// Ctrl-C while the shell waits for piped input (and, the same handler,
/// while a command runs) ends it as 4.3's ends: an empty line, exit 0.
#[test]
fn ctrl_c_in_the_shell_leaves_with_an_empty_line_and_status_0() {
    let d = ctl_daemon("ctlsh-ctrlc");
    let conf = d.conf.to_string_lossy().into_owned();
    for (who, mut p) in [
        ("ours", Piped::spawn(d.dir.path(), &["-c", &conf])),
        ("4.3", Piped::spawn43(d.dir.path(), &["-c", &conf])),
    ] {
        p.wait_stdout("supervisor> ");
        let status = p.interrupt();
        assert_eq!(status.code(), Some(0), "{who}: {status:?}\n{}", p.stderr());
        assert!(
            p.stdout().ends_with("supervisor> \n"),
            "{who}: {:?}",
            p.stdout()
        );
    }
}

/// `TERM=dumb` (and other terminals rustyline cannot drive): the plain
/// prompt, no escape codes, and Ctrl-C still leaves cleanly.
#[test]
fn a_dumb_terminal_gets_the_plain_prompt_and_no_colour() {
    let d = ctl_daemon("ctlsh-dumb");
    let conf = d.conf.to_string_lossy().into_owned();
    let mut pty = Pty::spawn_env(d.dir.path(), &["-c", &conf], &[("TERM", "dumb")]);
    pty.expect("supervisor> ");
    pty.send("status echo\n");
    pty.expect("echo ");
    pty.expect("supervisor> ");
    pty.send("\x03");
    assert_eq!(pty.wait_exit().code(), Some(0));
    let raw = String::from_utf8_lossy(&pty.raw).into_owned();
    assert!(
        !raw.contains('\x1b'),
        "escape codes on a dumb terminal: {raw:?}"
    );
}
