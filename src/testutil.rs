//! Helpers shared by the unit tests (compiled for `cargo test` only).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory for one test, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("svrs-unit-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `name` with `content` and `mode`; returns its path as text.
    pub fn file(&self, name: &str, content: &[u8], mode: u32) -> String {
        let path = self.join(name);
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A program with Supervisor 4.3's defaults (logs off), for tests that
/// build a `ProcessConfig` by hand.
pub fn process_config(name: &str, command: &str) -> crate::config::model::ProcessConfig {
    use crate::config::model::{AutoRestart, ChannelConfig, EnvList, LogTarget, ProcessConfig};
    let channel = ChannelConfig {
        logfile: LogTarget::None,
        logfile_maxbytes: 0,
        logfile_backups: 0,
        capture_maxbytes: 0,
        events_enabled: false,
        syslog: false,
    };
    ProcessConfig {
        name: name.to_string(),
        command: command.to_string(),
        directory: None,
        umask: None,
        priority: 999,
        autostart: true,
        autorestart: AutoRestart::Unexpected,
        startsecs: 1,
        startretries: 3,
        uid: None,
        stdout: channel.clone(),
        stderr: channel,
        stopsignal: libc::SIGTERM,
        stopwaitsecs: 10,
        stopasgroup: false,
        killasgroup: false,
        exitcodes: vec![0],
        redirect_stderr: false,
        environment: EnvList::default(),
        serverurl: None,
    }
}
