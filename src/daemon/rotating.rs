//! A log file that rotates by size: the destination of every child output
//! channel and of the main log (logging.md §2, §4).
//!
//! Rotation follows 4.3's `RotatingFileHandler` step for step, because
//! people's log tooling depends on its exact results: after a write, if the
//! file holds `maxbytes` or more, `x.log.N-1` … `x.log.1` move up one, `x.log`
//! becomes `x.log.1` and a fresh empty `x.log` is opened (with `backups = 0`
//! the file is simply truncated). A file can therefore exceed `maxbytes` by
//! one write, and backups numbered above `backups` are never touched.
//!
//! Where we part from 4.3, on purpose:
//! * A target that is not a regular file (`/dev/stdout`, a FIFO, a tty,
//!   `/dev/null`) is never rotated and never asked for its position, so
//!   `maxbytes` does not matter there. 4.3 fails with "Illegal seek" after
//!   the first write and stops collecting the channel. Paths under `/dev`
//!   and `/proc` are never rotated or deleted even when they lead to a
//!   regular file (supervisord's stdout redirected to a file): 4.3 would
//!   rename the `/dev/stdout` symlink itself.
//! * Failures do not stop logging. 4.3 prints a traceback and, when the
//!   failure happened mid-rotation, every later write fails on a closed
//!   file. Here a failure is reported once (`LogHealth::Failed`), unwritten
//!   data waits in a bounded buffer, and each later write tries again,
//!   reopening the path when the file is gone, until it works
//!   (`LogHealth::Recovered`).
//! * Nothing blocks the daemon: targets are opened non-blocking, so a FIFO
//!   without a reader is an error instead of a hang, and a pipe that is
//!   full keeps the rest of the chunk in the buffer for the next write.
//! * `clear` never unlinks a non-regular target (4.3 would delete the
//!   `/dev/stdout` symlink when run as root).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// How much unwritten output a failing log keeps for when it works again.
/// Older bytes are dropped first: the newest output explains the present.
pub const PENDING_LIMIT: usize = 1 << 20;

/// What became of one `write`, for the caller to report. Only changes are
/// reported, so a full disk produces one message, not one per chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogHealth {
    /// Written (or, for a busy pipe, queued) as usual.
    Healthy,
    /// The log just stopped working; the text says what failed and where.
    Failed(String),
    /// The log is still not working; the data was kept while room lasts.
    StillFailing,
    /// The log works again and everything kept has been written;
    /// `lost_bytes` were dropped from the buffer meanwhile.
    Recovered { lost_bytes: u64 },
}

/// A size-rotated append-only log file. See the module docs.
#[derive(Debug)]
pub struct RotatingLog {
    path: PathBuf,
    maxbytes: u64,
    backups: u32,
    create_mode: u32,
    /// `None` after a failed rotation or reopen: the next write reopens.
    file: Option<File>,
    /// Device and inode of the open file, to notice that the path now
    /// names another file (or none) while we are failing.
    identity: Option<(u64, u64)>,
    /// Only regular files have a size and are rotated.
    regular: bool,
    /// Bytes in the file, counted from `fstat` at open plus what we wrote;
    /// checked against `fstat` again before rotating, so an outside
    /// truncation (logrotate's copytruncate) does not trigger a rotation.
    size: u64,
    /// Output not yet written, oldest first, at most `PENDING_LIMIT`.
    pending: Vec<u8>,
    /// Bytes dropped from `pending` since the last `Recovered`.
    lost_bytes: u64,
    /// True between a `Failed` and the following `Recovered`.
    failing: bool,
}

/// `(maxbytes, backups)` for `RotatingLog::open` from configuration
/// values. Negative numbers act as 0 there, as in 4.3: no rotation, and
/// rotation without backups.
pub fn limits_from_config(maxbytes: i64, backups: i64) -> (u64, u32) {
    (
        u64::try_from(maxbytes).unwrap_or(0),
        u32::try_from(backups.max(0)).unwrap_or(u32::MAX),
    )
}

/// How a loop of `write(2)` calls ended.
enum WriteStop {
    Complete,
    /// The target (a pipe, a tty) is full for now.
    WouldBlock,
    Error(io::Error),
}

/// Writes as much of `data` as `file` takes now; returns how many bytes
/// went out and why it stopped.
fn write_through(mut file: &File, data: &[u8]) -> (usize, WriteStop) {
    let mut done = 0;
    while done < data.len() {
        match file.write(&data[done..]) {
            Ok(0) => {
                return (
                    done,
                    WriteStop::Error(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the write wrote nothing",
                    )),
                );
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return (done, WriteStop::WouldBlock);
            }
            Err(e) => return (done, WriteStop::Error(e)),
        }
    }
    (done, WriteStop::Complete)
}

/// The OS's words for an error, without Rust's `(os error N)` suffix, for
/// messages that already say what was being done.
pub fn os_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N` and the like: names of
/// something else. When supervisord's stdout is a file they lead to a
/// regular file, but rotating or clearing would rename or delete the name
/// itself (the `/dev/stdout` symlink), so they are written and never moved.
fn is_system_path(path: &Path) -> bool {
    path.starts_with("/dev") || path.starts_with("/proc")
}

/// Opens `path` for appending, creating it with `mode` (less the umask).
/// O_NONBLOCK keeps a reader-less FIFO from hanging the daemon (it fails
/// with ENXIO instead) and a full pipe from stalling it; it has no effect
/// on regular files. O_NOCTTY keeps a tty target from becoming the
/// daemon's controlling terminal. Like 4.3, an ESPIPE from append mode is
/// retried in write mode (logging.md §2).
fn open_for_append(path: &Path, mode: u32, truncate: bool) -> io::Result<File> {
    let flags = libc::O_NONBLOCK | libc::O_NOCTTY | if truncate { libc::O_TRUNC } else { 0 };
    let appended = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(mode)
        .custom_flags(flags)
        .open(path);
    match appended {
        Err(e) if e.raw_os_error() == Some(libc::ESPIPE) => OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path),
        other => other,
    }
}

/// The oldest backup, opened so that its removal during rotation only
/// drops a name: the file itself is freed when this handle closes (see
/// [`release_elsewhere`]). Anything but a regular file is left to the plain
/// unlink, and opening never blocks (`O_NONBLOCK` for a FIFO put there).
fn hold_open(path: &Path) -> Option<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

/// Closes the last handle of a rotated-out backup, on a short-lived thread
/// when the file is big. Freeing a 50 MB file's pages and blocks took the
/// kernel 6-8 ms per rotation on ext4, time the reactor would otherwise
/// spend with every child's output and every API call waiting
/// (bench/README.md); a small file is freed faster than a thread starts.
/// Should no thread start, the handle is closed here, as the unlink would
/// have.
fn release_elsewhere(file: File) {
    if file
        .metadata()
        .map_or(true, |m| m.len() < RELEASE_ON_A_THREAD)
    {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("log-release".into())
        .spawn(move || drop(file));
}

/// The size from which a rotated-out backup is freed off the loop.
const RELEASE_ON_A_THREAD: u64 = 1 << 20;

/// 4.3's `removeAndRename`: replace `to` with `from`; either one already
/// being gone is fine (a cleanup script may have been there first).
fn remove_and_rename(from: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        match fs::remove_file(to) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(format!("cannot remove {}: {}", to.display(), os_reason(&e)));
            }
            _ => {}
        }
    }
    match fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(format!(
            "cannot rename {} to {}: {}",
            from.display(),
            to.display(),
            os_reason(&e)
        )),
        _ => Ok(()),
    }
}

impl RotatingLog {
    /// Opens (creating if needed) `path` for appending. `maxbytes = 0`
    /// never rotates; `backups = 0` truncates instead of keeping copies.
    /// `create_mode` is the mode a new file gets, less the umask.
    pub fn open(
        path: &Path,
        maxbytes: u64,
        backups: u32,
        create_mode: u32,
    ) -> io::Result<RotatingLog> {
        let mut log = RotatingLog {
            path: path.to_path_buf(),
            maxbytes,
            backups,
            create_mode,
            file: None,
            identity: None,
            regular: true,
            size: 0,
            pending: Vec::new(),
            lost_bytes: 0,
            failing: false,
        };
        log.open_file(false)?;
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when writes can trigger rotation: `maxbytes > 0` and the
    /// target is a regular file.
    pub fn is_rotating(&self) -> bool {
        self.maxbytes > 0 && self.regular
    }

    /// Bytes waiting to be written (a failing log, or a full pipe).
    #[cfg(test)]
    pub fn pending_bytes(&self) -> usize {
        self.pending.len()
    }

    fn open_file(&mut self, truncate: bool) -> io::Result<()> {
        self.file = None;
        self.identity = None;
        let file = open_for_append(&self.path, self.create_mode, truncate)?;
        let meta = file.metadata()?;
        self.regular = meta.file_type().is_file() && !is_system_path(&self.path);
        self.size = if self.regular { meta.len() } else { 0 };
        self.identity = Some((meta.dev(), meta.ino()));
        self.file = Some(file);
        Ok(())
    }

    /// True when the path no longer names the file we hold open.
    fn path_moved(&self) -> bool {
        match fs::metadata(&self.path) {
            Ok(meta) => self.identity != Some((meta.dev(), meta.ino())),
            Err(_) => true,
        }
    }

    /// Keeps `data` for a later write, dropping the oldest bytes beyond
    /// `PENDING_LIMIT`.
    fn park(&mut self, data: &[u8]) {
        self.pending.extend_from_slice(data);
        if self.pending.len() > PENDING_LIMIT {
            let excess = self.pending.len() - PENDING_LIMIT;
            self.pending.drain(..excess);
            self.lost_bytes += excess as u64;
        }
    }

    /// Writes one chunk (after anything still pending), then rotates if
    /// the file is full. Never panics and never waits on a slow reader.
    pub fn write(&mut self, data: &[u8]) -> LogHealth {
        let lost_before = self.lost_bytes;
        let delivered = self.deliver(data);
        let dropped = self.lost_bytes - lost_before;
        match delivered {
            Err(reason) => self.note_failure(reason),
            Ok(()) if dropped > 0 => self.note_failure(format!(
                "{} is not taking output fast enough; dropped {dropped} bytes",
                self.path.display()
            )),
            Ok(()) if self.failing && self.pending.is_empty() => {
                self.failing = false;
                LogHealth::Recovered {
                    lost_bytes: std::mem::take(&mut self.lost_bytes),
                }
            }
            Ok(()) if self.failing => LogHealth::StillFailing,
            Ok(()) => LogHealth::Healthy,
        }
    }

    fn note_failure(&mut self, reason: String) -> LogHealth {
        if self.failing {
            LogHealth::StillFailing
        } else {
            self.failing = true;
            LogHealth::Failed(reason)
        }
    }

    /// Gets pending data and `data` into the file, keeping what could not
    /// be written. Ok also covers "parked because the pipe is full".
    fn deliver(&mut self, data: &[u8]) -> Result<(), String> {
        if self.failing && self.file.is_some() && self.path_moved() {
            // The directory or file was removed or replaced: writing on
            // into the old inode would lose everything.
            self.file = None;
        }
        if self.file.is_none() {
            if let Err(e) = self.open_file(false) {
                self.park(data);
                return Err(format!(
                    "cannot open {}: {}",
                    self.path.display(),
                    os_reason(&e)
                ));
            }
        }
        let Some(file) = self.file.as_ref() else {
            unreachable!("opened just above")
        };
        if !self.pending.is_empty() {
            let (written, stop) = write_through(file, &self.pending);
            self.pending.drain(..written);
            self.size += written as u64;
            match stop {
                WriteStop::Complete => {}
                WriteStop::WouldBlock => {
                    self.park(data);
                    return Ok(());
                }
                WriteStop::Error(e) => {
                    self.park(data);
                    return Err(self.write_error(&e));
                }
            }
        }
        let (written, stop) = write_through(file, data);
        self.size += written as u64;
        match stop {
            WriteStop::Complete => self.rotate_if_full(),
            WriteStop::WouldBlock => {
                self.park(&data[written..]);
                Ok(())
            }
            WriteStop::Error(e) => {
                self.park(&data[written..]);
                Err(self.write_error(&e))
            }
        }
    }

    fn write_error(&self, e: &io::Error) -> String {
        format!("cannot write to {}: {}", self.path.display(), os_reason(e))
    }

    fn numbered(&self, n: u32) -> PathBuf {
        let mut name = OsString::from(self.path.as_os_str());
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// 4.3's `doRollover`, run after every successful write.
    fn rotate_if_full(&mut self) -> Result<(), String> {
        if !self.is_rotating() || self.size < self.maxbytes {
            return Ok(());
        }
        if let Some(Ok(meta)) = self.file.as_ref().map(File::metadata) {
            self.size = meta.len();
        }
        if self.size < self.maxbytes {
            return Ok(());
        }
        // Closed from here on: if a step fails, the next write reopens the
        // path in append mode (nothing is truncated that was not moved)
        // and this check runs again after it.
        self.file = None;
        if self.backups > 0 {
            let oldest = hold_open(&self.numbered(self.backups));
            for n in (1..self.backups).rev() {
                let older = self.numbered(n);
                if older.exists() {
                    remove_and_rename(&older, &self.numbered(n + 1))?;
                }
            }
            remove_and_rename(&self.path, &self.numbered(1))?;
            if let Some(file) = oldest {
                release_elsewhere(file);
            }
        }
        self.open_file(true).map_err(|e| {
            format!(
                "cannot reopen {} after rotating it: {}",
                self.path.display(),
                os_reason(&e)
            )
        })
    }

    /// Closes the file and opens the same path again for appending
    /// (SIGUSR2, after an outside rotation). On error the log stays closed;
    /// the next write tries again and reports the outcome.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.open_file(false)
    }

    /// Deletes the file and starts an empty one (`clearProcessLogs`).
    /// Output still waiting to be written is discarded with it. A target
    /// that is not a regular file is only reopened. If the delete fails the
    /// file is still reopened, so logging goes on, and the error returned.
    pub fn clear(&mut self) -> io::Result<()> {
        self.file = None;
        self.pending.clear();
        let is_regular_or_missing = !is_system_path(&self.path)
            && fs::metadata(&self.path).map_or(true, |meta| meta.file_type().is_file());
        let removed = if is_regular_or_missing {
            match fs::remove_file(&self.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        } else {
            Ok(())
        };
        let reopened = self.open_file(false);
        removed.and(reopened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::ffi::OsStrExt;

    use crate::testutil::TempDir;

    fn read(path: &Path) -> Option<Vec<u8>> {
        fs::read(path).ok()
    }

    fn names(dir: &TempDir) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_proc_fd_path_to_a_regular_file_is_written_but_never_rotated() {
        use std::os::fd::AsRawFd;
        let dir = TempDir::new("procfd");
        let target = fs::File::create(dir.join("real.log")).unwrap();
        let path = PathBuf::from(format!("/proc/self/fd/{}", target.as_raw_fd()));
        let mut log = RotatingLog::open(&path, 10, 2, 0o666).unwrap();
        assert!(!log.is_rotating());
        for _ in 0..3 {
            assert_eq!(log.write(b"twenty bytes of data"), LogHealth::Healthy);
        }
        log.clear().unwrap();
        assert_eq!(names(&dir), ["real.log"]);
        assert_eq!(read(&dir.join("real.log")).unwrap().len(), 60);
        assert!(path.exists(), "the /proc name is left alone");
    }

    #[test]
    fn backups_shift_up_with_the_newest_in_dot_one() {
        let dir = TempDir::new("shift");
        let path = dir.join("x.log");
        fs::write(dir.join("x.log.7"), b"leftover").unwrap();
        let mut log = RotatingLog::open(&path, 10, 3, 0o666).unwrap();
        assert!(log.is_rotating());
        for chunk in [
            b"first-chunk\n",
            b"secnd-chunk\n",
            b"third-chunk\n",
            b"forth-chunk\n",
        ] {
            assert_eq!(log.write(chunk), LogHealth::Healthy);
        }
        assert_eq!(log.write(b"z"), LogHealth::Healthy);
        assert_eq!(
            names(&dir),
            ["x.log", "x.log.1", "x.log.2", "x.log.3", "x.log.7"]
        );
        assert_eq!(read(&path).unwrap(), b"z");
        assert_eq!(read(&dir.join("x.log.1")).unwrap(), b"forth-chunk\n");
        assert_eq!(read(&dir.join("x.log.2")).unwrap(), b"third-chunk\n");
        assert_eq!(read(&dir.join("x.log.3")).unwrap(), b"secnd-chunk\n");
        assert_eq!(read(&dir.join("x.log.7")).unwrap(), b"leftover");
    }

    #[test]
    fn the_oldest_backup_is_dropped_whatever_it_is() {
        use std::os::unix::fs::MetadataExt;
        use std::sync::mpsc;
        use std::time::Duration;
        let dir = TempDir::new("oldest");
        let path = dir.join("x.log");
        // A regular file held open across its unlink, and a FIFO that
        // must not be opened in a way that waits for a writer.
        fs::write(dir.join("x.log.2"), b"old").unwrap();
        let held = hold_open(&dir.join("x.log.2")).expect("a regular file is held");
        assert_eq!(held.metadata().unwrap().nlink(), 1);
        let fifo =
            std::ffi::CString::new(dir.join("x.log.1").into_os_string().into_encoded_bytes())
                .unwrap();
        // SAFETY: a valid C string path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let (done, finished) = mpsc::channel();
        let p = path.clone();
        std::thread::spawn(move || {
            let mut log = RotatingLog::open(&p, 4, 2, 0o666).unwrap();
            let health = (log.write(b"1234"), log.write(b"5678"), log.write(b"9"));
            let _ = done.send(health);
        });
        let health = finished
            .recv_timeout(Duration::from_secs(20))
            .expect("rotation over a FIFO backup did not block");
        assert_eq!(
            health,
            (LogHealth::Healthy, LogHealth::Healthy, LogHealth::Healthy)
        );
        assert_eq!(names(&dir), ["x.log", "x.log.1", "x.log.2"]);
        assert_eq!(read(&path).unwrap(), b"9");
        assert_eq!(read(&dir.join("x.log.1")).unwrap(), b"5678");
        assert_eq!(read(&dir.join("x.log.2")).unwrap(), b"1234");
        // The first backup's name is gone; the handle kept its inode.
        assert_eq!(held.metadata().unwrap().nlink(), 0);
        assert!(hold_open(&dir.join("x.log.9")).is_none());
    }

    #[test]
    fn rotation_waits_until_the_file_reaches_maxbytes() {
        let dir = TempDir::new("accumulate");
        let path = dir.join("x.log");
        fs::write(&path, b"1234567").unwrap();
        let mut log = RotatingLog::open(&path, 10, 1, 0o666).unwrap();
        log.write(b"ab");
        assert_eq!(read(&path).unwrap(), b"1234567ab");
        assert!(!dir.join("x.log.1").exists());
        log.write(b"c");
        assert_eq!(read(&dir.join("x.log.1")).unwrap(), b"1234567abc");
        assert_eq!(read(&path).unwrap(), b"");
    }

    #[test]
    fn one_big_chunk_goes_whole_into_the_backup() {
        let dir = TempDir::new("big");
        let path = dir.join("big.log");
        let mut log = RotatingLog::open(&path, 4096, 10, 0o666).unwrap();
        let chunk = vec![b'x'; 14890];
        assert_eq!(log.write(&chunk), LogHealth::Healthy);
        assert_eq!(read(&dir.join("big.log.1")).unwrap().len(), 14890);
        assert_eq!(read(&path).unwrap().len(), 0);
    }

    #[test]
    fn no_backups_means_truncate_in_place() {
        let dir = TempDir::new("truncate");
        let path = dir.join("x.log");
        let mut log = RotatingLog::open(&path, 10, 0, 0o666).unwrap();
        log.write(b"0123456789AB");
        assert_eq!(read(&path).unwrap(), b"");
        log.write(b"new");
        assert_eq!(read(&path).unwrap(), b"new");
        assert_eq!(names(&dir), ["x.log"]);
    }

    #[test]
    fn maxbytes_zero_never_rotates() {
        let dir = TempDir::new("norotate");
        let path = dir.join("x.log");
        let mut log = RotatingLog::open(&path, 0, 5, 0o666).unwrap();
        assert!(!log.is_rotating());
        for _ in 0..10 {
            log.write(b"0123456789");
        }
        assert_eq!(read(&path).unwrap().len(), 100);
        assert_eq!(names(&dir), ["x.log"]);
    }

    #[test]
    fn outside_truncation_is_noticed_before_rotating() {
        let dir = TempDir::new("copytruncate");
        let path = dir.join("x.log");
        let mut log = RotatingLog::open(&path, 10, 2, 0o666).unwrap();
        log.write(b"12345678");
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        log.write(b"abc");
        assert_eq!(read(&path).unwrap(), b"abc");
        assert!(!dir.join("x.log.1").exists());
    }

    #[test]
    fn new_files_get_the_create_mode_less_the_umask() {
        let dir = TempDir::new("mode");
        let path = dir.join("x.log");
        // SAFETY: umask only reads and sets the process's mask.
        let old = unsafe { libc::umask(0o022) };
        let log = RotatingLog::open(&path, 0, 0, 0o666);
        unsafe { libc::umask(old) };
        drop(log.unwrap());
        let mode = fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o644, "mode {mode:o}");
    }

    #[test]
    fn dev_null_never_rotates_and_never_fails() {
        let mut log = RotatingLog::open(Path::new("/dev/null"), 1, 3, 0o666).unwrap();
        assert!(!log.is_rotating());
        for _ in 0..5 {
            assert_eq!(log.write(b"discarded\n"), LogHealth::Healthy);
        }
        assert!(!Path::new("/dev/null.1").exists());
        assert!(log.reopen().is_ok());
        assert!(log.clear().is_ok());
        assert!(Path::new("/dev/null").exists());
    }

    fn make_fifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid C string; mkfifo only creates a node.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    fn open_reader(path: &Path) -> File {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .unwrap()
    }

    fn drain(mut reader: &File) -> Vec<u8> {
        let mut all = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return all,
                Ok(n) => all.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return all,
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn a_fifo_never_rotates_and_a_full_one_does_not_block() {
        let dir = TempDir::new("fifo");
        let path = dir.join("pipe");
        make_fifo(&path);
        let reader = open_reader(&path);
        let mut log = RotatingLog::open(&path, 5, 2, 0o666).unwrap();
        assert!(!log.is_rotating());
        assert_eq!(log.write(b"hello "), LogHealth::Healthy);
        assert_eq!(log.write(b"world\n"), LogHealth::Healthy);
        assert_eq!(drain(&reader), b"hello world\n");
        assert_eq!(names(&dir), ["pipe"]);

        // Far more than a pipe holds, with nobody reading: every write
        // returns at once and nothing is lost.
        let chunk: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
        let mut sent = Vec::new();
        for _ in 0..4 {
            assert_eq!(log.write(&chunk), LogHealth::Healthy);
            sent.extend_from_slice(&chunk);
        }
        assert!(log.pending_bytes() > 0);
        let mut received = drain(&reader);
        while log.pending_bytes() > 0 {
            assert_eq!(log.write(b""), LogHealth::Healthy);
            received.extend(drain(&reader));
        }
        assert_eq!(received.len(), sent.len());
        assert!(received == sent);
    }

    #[test]
    fn a_fifo_without_a_reader_is_an_error_not_a_hang() {
        let dir = TempDir::new("fifo-noreader");
        let path = dir.join("pipe");
        make_fifo(&path);
        let err = RotatingLog::open(&path, 0, 0, 0o666).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENXIO));
    }

    #[test]
    fn a_removed_directory_fails_once_then_recovers_when_it_returns() {
        let dir = TempDir::new("vanish");
        let path = dir.join("x.log");
        let mut log = RotatingLog::open(&path, 10, 2, 0o666).unwrap();
        fs::remove_dir_all(&dir.0).unwrap();

        // The write lands in the unlinked file; rotation then cannot
        // reopen the path.
        match log.write(b"0123456789") {
            LogHealth::Failed(reason) => {
                assert!(reason.contains("x.log"), "{reason}");
                assert!(reason.contains("No such file or directory"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(log.write(b"kept-1 "), LogHealth::StillFailing);
        assert_eq!(log.write(b"kept-2"), LogHealth::StillFailing);

        fs::create_dir_all(&dir.0).unwrap();
        assert_eq!(log.write(b" then"), LogHealth::Recovered { lost_bytes: 0 });
        // Pending plus the new chunk came to 18 bytes, so it rotated.
        assert_eq!(read(&dir.join("x.log.1")).unwrap(), b"kept-1 kept-2 then");
        assert_eq!(read(&path).unwrap(), b"");
        assert_eq!(log.write(b"ok"), LogHealth::Healthy);
        assert_eq!(read(&path).unwrap(), b"ok");
    }

    #[test]
    fn pending_output_is_bounded_and_drops_the_oldest() {
        let dir = TempDir::new("bound");
        let path = dir.join("x.log");
        let mut log = RotatingLog::open(&path, 1, 0, 0o666).unwrap();
        fs::remove_dir_all(&dir.0).unwrap();
        assert!(matches!(log.write(b"x"), LogHealth::Failed(_)));

        let half = PENDING_LIMIT / 2;
        for fill in [b'a', b'b', b'c'] {
            assert_eq!(log.write(&vec![fill; half]), LogHealth::StillFailing);
        }
        assert_eq!(log.pending_bytes(), PENDING_LIMIT);

        fs::create_dir_all(&dir.0).unwrap();
        // Rotation would truncate what we want to inspect.
        log.maxbytes = 0;
        assert_eq!(
            log.write(b"d"),
            LogHealth::Recovered {
                lost_bytes: half as u64
            }
        );
        let content = read(&path).unwrap();
        assert_eq!(content.len(), PENDING_LIMIT + 1);
        assert!(content[..half].iter().all(|&b| b == b'b'));
        assert!(content[half..PENDING_LIMIT].iter().all(|&b| b == b'c'));
        assert_eq!(content[PENDING_LIMIT], b'd');
        assert_eq!(log.write(b"e"), LogHealth::Healthy);
    }

    #[test]
    fn a_failed_rename_keeps_logging_and_retries_the_rotation() {
        let dir = TempDir::new("rename");
        let path = dir.join("x.log");
        // A directory where backup 1 should go: rename cannot replace it.
        fs::create_dir(dir.join("x.log.1")).unwrap();
        fs::write(dir.join("x.log.1").join("keep"), b"").unwrap();
        let mut log = RotatingLog::open(&path, 4, 1, 0o666).unwrap();
        assert!(matches!(log.write(b"12345"), LogHealth::Failed(_)));
        assert_eq!(log.write(b"6"), LogHealth::StillFailing);
        assert_eq!(read(&path).unwrap(), b"123456");

        fs::remove_dir_all(dir.join("x.log.1")).unwrap();
        assert_eq!(log.write(b"7"), LogHealth::Recovered { lost_bytes: 0 });
        assert_eq!(read(&dir.join("x.log.1")).unwrap(), b"1234567");
        assert_eq!(read(&path).unwrap(), b"");
    }

    #[test]
    fn reopen_follows_the_path_after_an_outside_move() {
        let dir = TempDir::new("reopen");
        let path = dir.join("x.log");
        let mut log = RotatingLog::open(&path, 0, 0, 0o666).unwrap();
        log.write(b"before\n");
        fs::rename(&path, dir.join("moved.log")).unwrap();
        log.write(b"still old\n");
        log.reopen().unwrap();
        log.write(b"after\n");
        assert_eq!(
            read(&dir.join("moved.log")).unwrap(),
            b"before\nstill old\n"
        );
        assert_eq!(read(&path).unwrap(), b"after\n");
    }

    #[test]
    fn clear_deletes_and_starts_empty() {
        let dir = TempDir::new("clear");
        let path = dir.join("x.log");
        let mut log = RotatingLog::open(&path, 100, 1, 0o666).unwrap();
        log.write(b"old content\n");
        let before = fs::metadata(&path).unwrap().ino();
        // Held open so the old inode cannot be reused for the new file.
        let old = File::open(&path).unwrap();
        log.clear().unwrap();
        assert_eq!(read(&path).unwrap(), b"");
        assert_ne!(fs::metadata(&path).unwrap().ino(), before);
        drop(old);
        log.write(b"new\n");
        assert_eq!(read(&path).unwrap(), b"new\n");
        assert_eq!(log.path(), path.as_path());
    }

    #[test]
    fn negative_limits_mean_zero() {
        assert_eq!(limits_from_config(-1, -3), (0, 0));
        assert_eq!(limits_from_config(1024, 10), (1024, 10));
        assert_eq!(limits_from_config(1, i64::MAX), (1, u32::MAX));
    }

    #[test]
    fn os_reason_drops_the_rust_suffix() {
        let e = io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(os_reason(&e), "No space left on device");
    }
}
