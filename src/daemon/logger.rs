//! The main (activity) log: levels, the line format, and where lines go
//! (states.md §9, logging.md §7–§9).
//!
//! As in 4.3's `make_logger`, a line goes to up to two places: stdout when
//! running in the foreground without `silent`, then either the `logfile`
//! (a `RotatingLog`) or syslog when `logfile=syslog`. Every line is
//! `<timestamp> <CODE> <message>\n`, with one timestamp per message.
//!
//! Logging must never take the daemon down: a closed or broken stdout is
//! ignored, and a log file that cannot be written is reported once on
//! stderr and retried with every later message (see `rotating`).

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::time::SystemTime;

use super::childlog::send_syslog;
use super::rotating::{LogHealth, RotatingLog, limits_from_config, os_reason};
use super::timefmt::log_timestamp;
use crate::config::model::SupervisordConfig;
use crate::config::pyfmt::repr_str;

/// A message's importance; a message is written when its level is at
/// least the configured one. The numbers are 4.3's.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    Blather = 3,
    Trace = 5,
    Debug = 10,
    Info = 20,
    Warn = 30,
    Error = 40,
    Critical = 50,
}

impl Level {
    /// The four-letter code in each log line.
    pub fn code(self) -> &'static str {
        match self {
            Level::Blather => "BLAT",
            Level::Trace => "TRAC",
            Level::Debug => "DEBG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERRO",
            Level::Critical => "CRIT",
        }
    }

    /// The level for a canonical `loglevel` name (the configuration has
    /// already turned synonyms into these).
    pub fn from_name(name: &str) -> Option<Level> {
        Some(match name {
            "critical" => Level::Critical,
            "error" => Level::Error,
            "warn" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            "blather" => Level::Blather,
            _ => return None,
        })
    }
}

/// One main-log line: `YYYY-MM-DD HH:MM:SS,mmm CODE message\n` in local
/// time. A multi-line message is written as it is.
pub fn format_line(t: SystemTime, level: Level, msg: &str) -> String {
    format!("{} {} {msg}\n", log_timestamp(t), level.code())
}

/// Why `clearLog` could not clear the log, as its XML-RPC faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClearLogError {
    /// `NO_FILE`: syslog, or the file does not exist.
    NoFile,
    /// `FAILED`: the file could not be deleted; the OS's reason.
    Failed(String),
}

enum Destination {
    File(RotatingLog),
    Syslog,
}

/// The main log. See the module docs.
pub struct MainLog {
    level: Level,
    destination: Destination,
    /// Copy every line to stdout (foreground, not silent).
    echo: bool,
}

/// Writes all of `data` to `fd` (stdout), giving up silently on any
/// error: the terminal or pipe may be gone, and the log file still has
/// the line. Unbuffered, so nothing is left behind to fail later.
fn write_or_drop(fd: libc::c_int, data: &[u8]) {
    let mut done = 0;
    while done < data.len() {
        // SAFETY: writes from a valid slice to a descriptor, open or not.
        let n = unsafe { libc::write(fd, data[done..].as_ptr().cast(), data.len() - done) };
        if n > 0 {
            done += n as usize;
        } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        } else {
            return;
        }
    }
}

/// A problem with the log itself goes to stderr, since the log cannot
/// carry it; stderr may be closed too, which is ignored.
fn complain(text: &str) {
    let _ = writeln!(io::stderr(), "supervisord: {text}");
}

impl MainLog {
    /// Opens the main log as `[supervisord]` describes it. `foreground`
    /// is true when supervisord does not daemonize (`nodaemon`). The error
    /// is the text for `Error: ...`. (4.3 dies with a Python traceback,
    /// exit 1, when the file cannot be opened.)
    pub fn open(cfg: &SupervisordConfig, foreground: bool) -> Result<MainLog, String> {
        let level = Level::from_name(cfg.loglevel)
            .ok_or_else(|| format!("unknown loglevel {}", repr_str(cfg.loglevel)))?;
        let destination = if cfg.logfile == "syslog" {
            Destination::Syslog
        } else {
            let (maxbytes, backups) = limits_from_config(cfg.logfile_maxbytes, cfg.logfile_backups);
            let file = RotatingLog::open(Path::new(&cfg.logfile), maxbytes, backups, 0o666)
                .map_err(|e| {
                    let errno = e
                        .raw_os_error()
                        .map(|n| format!("[Errno {n}] "))
                        .unwrap_or_default();
                    format!(
                        "Cannot open the log file {}: {errno}{}",
                        repr_str(&cfg.logfile),
                        os_reason(&e)
                    )
                })?;
            Destination::File(file)
        };
        Ok(MainLog {
            level,
            destination,
            echo: foreground && !cfg.silent,
        })
    }

    /// True when a message at `level` would be written; lets callers skip
    /// building expensive messages.
    pub fn enabled(&self, level: Level) -> bool {
        level >= self.level
    }

    /// The log file, or `None` when logging to syslog.
    pub fn path(&self) -> Option<&Path> {
        match &self.destination {
            Destination::File(file) => Some(file.path()),
            Destination::Syslog => None,
        }
    }

    /// Writes `msg` at `level` if the level is enabled.
    pub fn log(&mut self, level: Level, msg: &str) {
        if !self.enabled(level) {
            return;
        }
        let now = SystemTime::now();
        let line = format_line(now, level, msg);
        if self.echo {
            write_or_drop(libc::STDOUT_FILENO, line.as_bytes());
        }
        match &mut self.destination {
            Destination::File(file) => match file.write(line.as_bytes()) {
                LogHealth::Healthy | LogHealth::StillFailing => {}
                LogHealth::Failed(reason) => complain(&format!(
                    "the log file cannot be written ({reason}); retrying with each new message"
                )),
                LogHealth::Recovered { lost_bytes } => complain(&format!(
                    "the log file {} is being written again ({lost_bytes} bytes were lost)",
                    file.path().display()
                )),
            },
            Destination::Syslog => {
                // One syslog message per line, each formatted in full.
                for piece in msg.trim_end_matches('\n').split('\n') {
                    send_syslog(&format_line(now, level, piece));
                }
            }
        }
    }

    /// SIGUSR2: close the log file and open the same path again (after an
    /// outside rotation). Syslog and stdout have nothing to reopen. A
    /// failure is reported on stderr; later messages keep retrying.
    pub fn reopen(&mut self) {
        if let Destination::File(file) = &mut self.destination {
            if let Err(e) = file.reopen() {
                complain(&format!(
                    "cannot reopen the log file {}: {}",
                    file.path().display(),
                    os_reason(&e)
                ));
            }
        }
    }

    /// `clearLog`: delete the file, then for each destination log INFO
    /// `reopening log file` and reopen it, as 4.3 does per handler. The
    /// lines therefore reach stdout but only the deleted file, never the
    /// new one. Syslog has no file to clear (4.3 answers NO_FILE).
    pub fn clear_log(&mut self) -> Result<(), ClearLogError> {
        let path = match &self.destination {
            Destination::File(file) => file.path().to_path_buf(),
            Destination::Syslog => return Err(ClearLogError::NoFile),
        };
        if !path.exists() {
            return Err(ClearLogError::NoFile);
        }
        fs::remove_file(&path).map_err(|e| ClearLogError::Failed(os_reason(&e)))?;
        // The stdout handler's reopen does nothing, so only the count of
        // lines depends on it.
        let handlers = 1 + usize::from(self.echo);
        for _ in 0..handlers {
            self.log(Level::Info, "reopening log file");
        }
        self.reopen();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    use crate::testutil::TempDir;

    fn config(logfile: &str, loglevel: &'static str) -> SupervisordConfig {
        SupervisordConfig {
            logfile: logfile.to_string(),
            logfile_maxbytes: 50 * 1024 * 1024,
            logfile_backups: 10,
            loglevel,
            pidfile: "/nonexistent/supervisord.pid".to_string(),
            umask: 0o022,
            nodaemon: false,
            silent: false,
            minfds: 1024,
            minprocs: 200,
            nocleanup: false,
            childlogdir: std::env::temp_dir().to_string_lossy().into_owned(),
            user: None,
            directory: None,
            strip_ansi: false,
            environment: Default::default(),
            identifier: "supervisor".to_string(),
            subreaper: None,
        }
    }

    /// Lines without their timestamps (everything after the first 24
    /// characters), for comparing content.
    fn bodies(path: &Path) -> Vec<String> {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l.get(24..).unwrap_or(l).to_string())
            .collect()
    }

    #[test]
    fn levels_order_and_codes_follow_4_3() {
        let all = [
            ("blather", "BLAT", 3),
            ("trace", "TRAC", 5),
            ("debug", "DEBG", 10),
            ("info", "INFO", 20),
            ("warn", "WARN", 30),
            ("error", "ERRO", 40),
            ("critical", "CRIT", 50),
        ];
        let mut previous = None;
        for (name, code, number) in all {
            let level = Level::from_name(name).unwrap();
            assert_eq!(level.code(), code);
            assert_eq!(level as i32, number);
            assert!(previous < Some(level));
            previous = Some(level);
        }
        assert_eq!(Level::from_name("warning"), None);
        assert_eq!(Level::from_name("INFO"), None);
    }

    #[test]
    fn format_line_is_timestamp_code_message() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_042);
        let line = format_line(t, Level::Warn, "exited: cat (exit status 1; not expected)");
        assert_eq!(
            line,
            format!(
                "{} WARN exited: cat (exit status 1; not expected)\n",
                log_timestamp(t)
            )
        );
        assert_eq!(&line[19..24], ",042 ");
        let multi = format_line(t, Level::Debug, "'cat' stdout output:\nhi\n");
        assert!(
            multi.ends_with(" DEBG 'cat' stdout output:\nhi\n\n"),
            "{multi}"
        );
    }

    #[test]
    fn only_levels_at_or_above_the_configured_one_are_written() {
        let dir = TempDir::new("levels");
        let path = dir.0.join("main.log");
        let mut log = MainLog::open(&config(path.to_str().unwrap(), "warn"), false).unwrap();
        assert!(log.enabled(Level::Warn) && log.enabled(Level::Critical));
        assert!(!log.enabled(Level::Info));
        log.log(Level::Info, "not shown");
        log.log(Level::Warn, "shown");
        log.log(Level::Critical, "also shown");
        assert_eq!(bodies(&path), ["WARN shown", "CRIT also shown"]);
        assert_eq!(log.path(), Some(path.as_path()));
    }

    #[test]
    fn lines_carry_a_parseable_timestamp() {
        let dir = TempDir::new("stamp");
        let path = dir.0.join("main.log");
        let mut log = MainLog::open(&config(path.to_str().unwrap(), "info"), false).unwrap();
        log.log(Level::Info, "hello");
        let text = fs::read_to_string(&path).unwrap();
        let b = text.as_bytes();
        assert_eq!(text.len(), 24 + "INFO hello\n".len(), "{text:?}");
        for (i, &c) in b[..23].iter().enumerate() {
            let expected_sep = match i {
                4 | 7 => Some(b'-'),
                10 => Some(b' '),
                13 | 16 => Some(b':'),
                19 => Some(b','),
                _ => None,
            };
            match expected_sep {
                Some(sep) => assert_eq!(c, sep, "{text:?}"),
                None => assert!(c.is_ascii_digit(), "{text:?}"),
            }
        }
    }

    #[test]
    fn an_unopenable_logfile_names_the_path_and_reason() {
        let dir = TempDir::new("unopenable");
        let as_dir = dir.0.to_str().unwrap().to_string();
        let err = MainLog::open(&config(&as_dir, "info"), false)
            .err()
            .unwrap();
        assert_eq!(
            err,
            format!("Cannot open the log file '{as_dir}': [Errno 21] Is a directory")
        );
    }

    #[test]
    fn rotation_applies_to_the_main_log() {
        let dir = TempDir::new("rotate");
        let path = dir.0.join("main.log");
        let mut cfg = config(path.to_str().unwrap(), "info");
        cfg.logfile_maxbytes = 100;
        cfg.logfile_backups = 2;
        let mut log = MainLog::open(&cfg, false).unwrap();
        for i in 0..10 {
            log.log(Level::Info, &format!("message number {i} of ten"));
        }
        assert!(dir.0.join("main.log.1").exists());
        assert!(dir.0.join("main.log.2").exists());
        assert!(!dir.0.join("main.log.3").exists());
    }

    #[test]
    fn clear_log_leaves_the_new_file_empty() {
        let dir = TempDir::new("clear");
        let path = dir.0.join("main.log");
        let mut log = MainLog::open(&config(path.to_str().unwrap(), "info"), false).unwrap();
        log.log(Level::Info, "before");
        assert_eq!(log.clear_log(), Ok(()));
        assert_eq!(fs::read(&path).unwrap(), b"");
        log.log(Level::Info, "after");
        assert_eq!(bodies(&path), ["INFO after"]);

        fs::remove_file(&path).unwrap();
        assert_eq!(log.clear_log(), Err(ClearLogError::NoFile));
    }

    #[test]
    fn syslog_has_no_path_and_nothing_to_clear() {
        let mut log = MainLog::open(&config("syslog", "info"), false).unwrap();
        assert_eq!(log.path(), None);
        log.log(Level::Debug, "filtered out before syslog");
        log.log(Level::Info, "supervisor-rs unit test: main log to syslog");
        log.reopen();
        assert_eq!(log.clear_log(), Err(ClearLogError::NoFile));
    }

    #[test]
    fn a_vanished_log_directory_does_not_stop_logging() {
        let dir = TempDir::new("vanish");
        let path = dir.0.join("main.log");
        let mut cfg = config(path.to_str().unwrap(), "info");
        cfg.logfile_maxbytes = 10;
        cfg.logfile_backups = 1;
        let mut log = MainLog::open(&cfg, false).unwrap();
        fs::remove_dir_all(&dir.0).unwrap();
        log.log(Level::Info, "into the void");
        log.log(Level::Info, "kept for later");
        fs::create_dir_all(&dir.0).unwrap();
        log.log(Level::Info, "back");
        let backup = dir.0.join("main.log.1");
        assert_eq!(bodies(&backup), ["INFO kept for later", "INFO back"]);
    }

    #[test]
    fn echo_to_a_closed_or_broken_stdout_is_dropped() {
        write_or_drop(-1, b"bad descriptor\n");
        let mut fds = [0; 2];
        // SAFETY: pipe fills the two descriptors we then own and close.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        unsafe { libc::close(fds[0]) };
        write_or_drop(fds[1], b"nobody reads this\n");
        unsafe { libc::close(fds[1]) };
    }

    #[test]
    fn silent_keeps_lines_off_stdout() {
        let dir = TempDir::new("echo");
        let path = dir.0.join("main.log");
        let mut cfg = config(path.to_str().unwrap(), "info");
        cfg.silent = true;
        let mut log = MainLog::open(&cfg, true).unwrap();
        assert!(!log.echo, "silent turns the stdout copy off");
        log.log(Level::Info, "file only");
        assert_eq!(bodies(&path), ["INFO file only"]);
    }
}
