//! The pidfile, held with an advisory lock for the daemon's whole life.
//!
//! 4.3 just overwrites the pidfile, so two daemons started on one config
//! both run (the second only fails later, when its HTTP socket is taken).
//! We take an exclusive `flock` before daemonizing: a second supervisord on
//! the same pidfile is refused up front, with the holder's pid, while a
//! stale file left by a crash (no lock) is simply reused. The descriptor is
//! close-on-exec, so children never inherit the lock.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Removed from disk when dropped: at exit, and on a start-up that fails
/// after taking it (nothing else can hold it while we have the lock).
pub struct PidFile {
    path: PathBuf,
    file: File,
}

/// Why the pidfile could not be taken.
pub enum PidFileError {
    /// Another live supervisord holds it.
    Held { pid: Option<i32> },
    /// It cannot be opened at all (4.3 logs this and carries on).
    Io(io::Error),
}

impl PidFile {
    /// Opens and locks `path` without changing its content yet.
    pub fn lock(path: &Path) -> Result<PidFile, PidFileError> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
            .map_err(PidFileError::Io)?;
        // SAFETY: flock on an open descriptor.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(PidFileError::Held {
                    pid: text.trim().parse().ok(),
                });
            }
            return Err(PidFileError::Io(err));
        }
        Ok(PidFile {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Writes `<pid>\n` (after daemonizing, so it is the final pid).
    pub fn write_pid(&mut self, pid: u32) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(format!("{pid}\n").as_bytes())?;
        Ok(())
    }
}

impl Drop for PidFile {
    /// Unlinks the file while still holding the lock, so a new daemon
    /// can never see it half-removed; the lock goes with the descriptor.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid() {
        let dir = crate::testutil::TempDir::new("pidfile");
        let path = dir.join("s.pid");
        std::fs::write(&path, "999\n").unwrap();
        let mut first = PidFile::lock(&path).ok().expect("a stale file is reused");
        first.write_pid(4242).unwrap();
        match PidFile::lock(&path) {
            Err(PidFileError::Held { pid }) => assert_eq!(pid, Some(4242)),
            _ => panic!("second lock must be refused"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "4242\n");
        drop(first);
        assert!(!path.exists());
        assert!(PidFile::lock(&path).is_ok(), "free again");
    }
}
