//! The state the reactor loop owns: every group and process, their pipes
//! and log files, the timer heap and the daemon's mood.
//!
//! Each process's life is decided by [`process::step`]; this module only
//! carries out the actions it returns (fork, kill, log), feeds back what
//! happened (the pid, the spawn error, the wait status), and arms a timer
//! for the next deadline [`process::next_deadline`] asks for. Child output
//! is read here in bounded slices and written, chunk by chunk and
//! unchanged, to the channel's log file and/or syslog, as 4.3 does.
//!
//! Ordering follows 4.3 (`spec/states.md` §6.1): autostart in ascending
//! (group priority, process priority) order, shutdown group by group in
//! descending order, each group fully stopped before the next is signalled.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::capture::{CaptureScanner, Piece};
use super::childlog;
use super::logger::{Level, MainLog};
use super::process::{self, Action, Event, Proc, ProcessState};
use super::rotating::{self, LogHealth, RotatingLog};
use super::spawn::{self, ChildSpec, SpawnError};
use crate::config::model::{ChannelConfig, GroupConfig, LogTarget, ProcessConfig, ServerConfig};

/// Tokens below this are the reactor's own (signals, waker). Each process
/// `id` has three from `FIRST_PIPE_TOKEN + 3 * id`: stdout, stderr, and
/// stdin (writable, while input waits to be written).
pub const FIRST_PIPE_TOKEN: usize = 16;

/// Input for a child's stdin held while its pipe is full.
const STDIN_HELD: usize = 16 * 1024 * 1024;

/// One `read` takes at most this much, as 4.3 reads (128 KiB).
const READ_CHUNK: usize = 128 * 1024;
/// Reads per pipe per wake-up before the others get their turn.
const READS_PER_TURN: usize = 4;
/// The read buffer starts on a page boundary, as `cat`'s does: the
/// kernel's copies out of the pipe and into the page cache run several
/// times slower into a buffer that does not (malloc's 128 KiB blocks start
/// 16 bytes into a page). bench/README.md has the before and after.
const PAGE: usize = 4096;
/// What is drained from a reaped child's pipes at most, so a grandchild
/// that holds them open and floods cannot hold up the loop.
const DRAIN_LIMIT: usize = 4 * 1024 * 1024;
/// How often shutdown names the processes it is waiting for.
const SHUTDOWN_REPORT_EVERY: Duration = Duration::from_secs(3);

/// supervisord's own state (`spec/states.md` §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mood {
    Running,
    Restarting,
    Shutdown,
}

/// Output channel index: stdout or stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Stdout = 0,
    Stderr = 1,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Stdout => "stdout",
            Channel::Stderr => "stderr",
        }
    }
}

/// The file one channel writes to (its limits and syslog flag are in the
/// channel's config), and the open file while a child runs.
struct ChannelLog {
    /// The resolved file (an AUTO name or the configured path).
    path: Option<PathBuf>,
    /// Open from spawn to exit, as 4.3 opens it with the dispatchers.
    file: Option<RotatingLog>,
}

/// One supervised process and everything the loop holds for it.
pub struct Managed {
    pub group: String,
    pub cfg: ProcessConfig,
    pub proc: Proc,
    /// The deadline currently armed in the heap.
    deadline: Option<Duration>,
    pipes: [Option<OwnedFd>; 2],
    /// Kept open so a program that reads stdin blocks instead of seeing EOF.
    stdin: Option<OwnedFd>,
    /// `sendProcessStdin` input the pipe did not take yet.
    stdin_held: Vec<u8>,
    /// Capture-mode scanners, per channel, while a child runs.
    capture: [Option<CaptureScanner>; 2],
    logs: [ChannelLog; 2],
}

pub struct Group {
    pub config: GroupConfig,
    /// Process ids in ascending priority order (ties: config order).
    pub members: Vec<u64>,
    /// The same ids in configuration order (how 4.3 lists them).
    pub in_config_order: Vec<u64>,
}

pub struct Supervisor {
    pub cfg: ServerConfig,
    pub log: MainLog,
    pub mood: Mood,
    /// The configuration (and its open main log) a restart under way
    /// starts again on, checked before anything stopped.
    pub restart_to: Option<(ServerConfig, MainLog)>,
    pub groups: Vec<Group>,
    pub procs: BTreeMap<u64, Managed>,
    registry: Registry,
    by_pid: HashMap<i32, u64>,
    /// Ids grow in start order, so timers due together run in that order.
    next_id: u64,
    origin: Instant,
    /// The wall-clock time at `origin`, for the times the API reports.
    wall_origin: SystemTime,
    timers: BinaryHeap<Reverse<(Duration, u64)>>,
    /// Pipes with data left over after their turn: (process, channel).
    backlog: Vec<(u64, Channel)>,
    buf: Vec<u8>,
    stopping: Option<Stopping>,
    /// While due timers run, children are forked without waiting for each
    /// to `exec`; their verdicts are collected here, in fork order, once
    /// the timers are done (see [`Supervisor::run_timers`]).
    forked: Vec<(u64, spawn::Forked)>,
    batch_spawns: bool,
    /// Moves whenever something a waiter waits on may have changed: a
    /// process state, the set of groups, the mood, a shutdown report
    /// coming due. Parked RPC calls and the shutdown sequence re-check
    /// only when it has moved, not on every wake-up for child output.
    pub generation: u64,
}

/// Shutdown progress: the groups still to stop, highest last.
struct Stopping {
    groups: Vec<String>,
    last_report: Option<Duration>,
}

/// Timer id of the shutdown report (process ids never reach it).
const SHUTDOWN_TIMER: u64 = u64::MAX;

impl Supervisor {
    pub fn new(cfg: ServerConfig, log: MainLog, registry: Registry) -> Supervisor {
        Supervisor {
            cfg,
            log,
            mood: Mood::Running,
            groups: Vec::new(),
            procs: BTreeMap::new(),
            registry,
            by_pid: HashMap::new(),
            next_id: 0,
            origin: Instant::now(),
            wall_origin: SystemTime::now(),
            timers: BinaryHeap::new(),
            backlog: Vec::new(),
            buf: vec![0; READ_CHUNK + PAGE],
            stopping: None,
            restart_to: None,
            forked: Vec::new(),
            batch_spawns: false,
            generation: 0,
        }
    }

    /// Monotonic time since this supervisor was created.
    pub fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// The wall-clock time of a moment on the loop's clock.
    pub fn wall(&self, at: Duration) -> SystemTime {
        self.wall_origin + at
    }

    fn mood_running(&self) -> bool {
        self.mood == Mood::Running
    }

    pub fn log(&mut self, level: Level, msg: &str) {
        self.log.log(level, msg);
    }

    /// Creates every configured group (start-up and restart).
    pub fn add_configured_groups(&mut self) {
        let groups = self.cfg.groups.clone();
        for g in groups {
            self.add_group(g);
        }
    }

    /// Adds a group: AUTO log files are created now, and its processes
    /// get timers for autostart.
    pub fn add_group(&mut self, config: GroupConfig) {
        let mut members = Vec::new();
        for pcfg in &config.processes {
            let id = self.next_id;
            self.next_id += 1;
            let stdout = self.resolve_log(pcfg, Channel::Stdout);
            let stderr = if pcfg.redirect_stderr {
                None
            } else {
                self.resolve_log(pcfg, Channel::Stderr)
            };
            let m = Managed {
                group: config.name.clone(),
                cfg: pcfg.clone(),
                proc: Proc::new(&pcfg.name),
                deadline: None,
                pipes: [None, None],
                stdin: None,
                stdin_held: Vec::new(),
                capture: [None, None],
                logs: [
                    ChannelLog {
                        path: stdout,
                        file: None,
                    },
                    ChannelLog {
                        path: stderr,
                        file: None,
                    },
                ],
            };
            self.procs.insert(id, m);
            members.push(id);
        }
        let in_config_order = members.clone();
        // Stable: equal priorities keep their configured order.
        members.sort_by_key(|id| self.procs[id].cfg.priority);
        let pos = self
            .groups
            .iter()
            .position(|g| g.config.priority > config.priority)
            .unwrap_or(self.groups.len());
        self.groups.insert(
            pos,
            Group {
                config,
                members: members.clone(),
                in_config_order,
            },
        );
        for id in members {
            self.schedule(id);
        }
    }

    /// The file a channel writes to: the configured path, or a fresh AUTO
    /// file in childlogdir (created empty now, as 4.3 does).
    fn resolve_log(&mut self, pcfg: &ProcessConfig, ch: Channel) -> Option<PathBuf> {
        let cc = match ch {
            Channel::Stdout => &pcfg.stdout,
            Channel::Stderr => &pcfg.stderr,
        };
        match &cc.logfile {
            LogTarget::File(p) => Some(PathBuf::from(p)),
            LogTarget::None | LogTarget::Syslog => None,
            LogTarget::Auto => {
                let dir = Path::new(&self.cfg.supervisord.childlogdir);
                match childlog::create_auto_log(
                    dir,
                    &pcfg.name,
                    ch.name(),
                    &self.cfg.supervisord.identifier,
                ) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        let msg = format!(
                            "could not create the {} log of '{}' in {}: {e}; its {} output is discarded",
                            ch.name(),
                            pcfg.name,
                            dir.display(),
                            ch.name()
                        );
                        self.log(Level::Error, &msg);
                        None
                    }
                }
            }
        }
    }

    /// Feeds an event to a process and carries out what follows.
    pub fn apply(&mut self, id: u64, event: Event) {
        // A child forked in a batch is STARTING without a pid or deadline
        // until its verdict: nothing in the batch can address it.
        debug_assert!(
            !self.forked.iter().any(|(f, _)| *f == id),
            "an event for a process still on its way to exec"
        );
        let now = self.now();
        let mood_running = self.mood_running();
        let Some(m) = self.procs.get_mut(&id) else {
            return;
        };
        let (p, actions) = process::step(&m.proc, &m.cfg, mood_running, event, now);
        m.proc = p;
        for action in actions {
            self.carry_out(id, action);
        }
        self.schedule(id);
    }

    fn carry_out(&mut self, id: u64, action: Action) {
        match action {
            Action::Log(level, msg) => self.log(level, &msg),
            Action::StateChanged { .. } => self.generation += 1,
            Action::Spawn => match self.fork_child(id) {
                Ok(forked) if self.batch_spawns => self.forked.push((id, forked)),
                Ok(forked) => {
                    let outcome = self.finish_spawn(id, forked);
                    self.apply(id, outcome);
                }
                Err(outcome) => self.apply(id, outcome),
            },
            Action::Kill {
                target,
                signal,
                stopping,
            } => {
                // SAFETY: kill has no memory-safety preconditions.
                if unsafe { libc::kill(target, signal) } != 0 {
                    let err = io::Error::last_os_error();
                    let Some(m) = self.procs.get(&id) else { return };
                    if err.raw_os_error() == Some(libc::ESRCH) {
                        let msg = process::esrch_message(&m.proc.name, m.proc.pid, stopping);
                        self.log(Level::Debug, &msg);
                    } else {
                        self.apply(
                            id,
                            Event::SignalFailed {
                                error: err.to_string(),
                                stopping,
                            },
                        );
                    }
                }
            }
        }
    }

    /// Arms the timer for a process's next deadline, if it changed.
    fn schedule(&mut self, id: u64) {
        let mood_running = self.mood_running();
        let Some(m) = self.procs.get_mut(&id) else {
            return;
        };
        let deadline = process::next_deadline(&m.proc, &m.cfg, mood_running);
        if deadline != m.deadline {
            m.deadline = deadline;
            if let Some(d) = deadline {
                self.timers.push(Reverse((d, id)));
            }
        }
    }

    /// Re-arms every process's timer (after the mood changed).
    fn reschedule_all(&mut self) {
        let ids: Vec<u64> = self.procs.keys().copied().collect();
        for id in ids {
            if let Some(m) = self.procs.get_mut(&id) {
                m.deadline = None;
            }
            self.schedule(id);
        }
    }

    /// When the loop must next wake up for a timer.
    pub fn next_timer(&mut self) -> Option<Duration> {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if id == SHUTDOWN_TIMER || self.procs.get(&id).and_then(|m| m.deadline) == Some(at) {
                return Some(at);
            }
            self.timers.pop();
        }
        None
    }

    /// Runs every timer that is due. Children started meanwhile (autostart,
    /// restarts, retries) are all forked first and their `exec` verdicts
    /// collected after, so 500 autostarts take about the daemon's own work
    /// for 500 forks rather than 500 times a child's way to `exec`. The
    /// verdicts are applied in fork order, so the log reads as before.
    pub fn run_timers(&mut self) {
        self.batch_spawns = true;
        self.run_due_timers();
        self.batch_spawns = false;
        self.finish_spawns();
    }

    /// Collects the verdicts of children forked in a batch, in fork order.
    fn finish_spawns(&mut self) {
        for (id, forked) in std::mem::take(&mut self.forked) {
            let outcome = self.finish_spawn(id, forked);
            self.apply(id, outcome);
        }
    }

    fn run_due_timers(&mut self) {
        let now = self.now();
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if id == SHUTDOWN_TIMER {
                // The shutdown report is due: the sequence must look again.
                self.generation += 1;
                continue;
            }
            let Some(m) = self.procs.get_mut(&id) else {
                continue;
            };
            if m.deadline != Some(at) {
                continue;
            }
            m.deadline = None;
            let before = m.proc.clone();
            self.apply(id, Event::Tick);
            // A deadline that is due and changes nothing would spin.
            if let Some(m) = self.procs.get_mut(&id) {
                if m.proc == before && m.deadline.is_some_and(|d| d <= now) {
                    m.deadline = None;
                }
            }
        }
    }

    /// Opens the logs of process `id` and forks its child; the error is
    /// the event for a start that failed before a child existed.
    fn fork_child(&mut self, id: u64) -> Result<spawn::Forked, Event> {
        let server_url = self.cfg.serverurl();
        let Some(m) = self.procs.get_mut(&id) else {
            return Err(Event::SpawnFailed {
                reason: "process was removed".into(),
            });
        };
        let spec = match ChildSpec::for_process(&m.cfg, &m.group, server_url.as_deref()) {
            Ok(spec) => spec,
            Err(reason) => return Err(Event::SpawnFailed { reason }),
        };
        // Log files are opened before the fork, as 4.3 makes its
        // dispatchers; failing to open one is a failed start.
        for ch in [Channel::Stdout, Channel::Stderr] {
            let mode = match m.cfg_channel(ch).logfile {
                LogTarget::Auto => 0o600,
                _ => 0o666,
            };
            let cc = m.cfg_channel(ch);
            let (maxbytes, backups) =
                rotating::limits_from_config(cc.logfile_maxbytes, cc.logfile_backups);
            let log = &mut m.logs[ch as usize];
            if let Some(path) = &log.path {
                match RotatingLog::open(path, maxbytes, backups, mode) {
                    Ok(f) => log.file = Some(f),
                    Err(e) => {
                        m.logs[0].file = None;
                        m.logs[1].file = None;
                        // The same words as a failed pipe (4.3 opens logs
                        // while making dispatchers): EMFILE has its own.
                        let reason = match e.raw_os_error() {
                            Some(errno) => spawn::pipe_error_message(&m.proc.name, errno),
                            None => format!(
                                "unknown error making dispatchers for '{}': {e}",
                                m.proc.name
                            ),
                        };
                        return Err(Event::SpawnFailed { reason });
                    }
                }
            }
        }
        let name = m.proc.name.clone();
        spawn::fork(&spec, &name).map_err(|e| {
            m.logs[0].file = None;
            m.logs[1].file = None;
            Event::SpawnFailed {
                reason: e.message().to_string(),
            }
        })
    }

    /// The `exec` verdict of a forked child, and the event it makes: its
    /// pipes watched and its pid known, or the failure and what the child
    /// said, for the log.
    fn finish_spawn(&mut self, id: u64, forked: spawn::Forked) -> Event {
        let outcome = forked.finish();
        let Some(m) = self.procs.get_mut(&id) else {
            return Event::SpawnFailed {
                reason: "process was removed".into(),
            };
        };
        let name = m.proc.name.clone();
        match outcome {
            Ok(child) => {
                let pid = child.pid;
                m.stdin = child.stdin;
                for ch in [Channel::Stdout, Channel::Stderr] {
                    let max = m.cfg_channel(ch).capture_maxbytes;
                    m.capture[ch as usize] = (max > 0).then(|| CaptureScanner::new(max as usize));
                }
                let pipes = [Some(child.stdout), child.stderr];
                for (i, pipe) in pipes.into_iter().enumerate() {
                    if let Some(fd) = pipe {
                        let token = Token(FIRST_PIPE_TOKEN + (id as usize) * 3 + i);
                        if let Err(e) = self.registry.register(
                            &mut SourceFd(&fd.as_raw_fd()),
                            token,
                            Interest::READABLE,
                        ) {
                            self.log.log(
                                Level::Critical,
                                &format!("cannot watch the output of '{name}': {e}"),
                            );
                        }
                        if let Some(m) = self.procs.get_mut(&id) {
                            m.pipes[i] = Some(fd);
                        }
                    }
                }
                self.by_pid.insert(pid, id);
                Event::Spawned { pid }
            }
            Err(SpawnError::Parent(reason)) => {
                m.logs[0].file = None;
                m.logs[1].file = None;
                Event::SpawnFailed { reason }
            }
            Err(SpawnError::Child { message, output }) => {
                // What the child said before giving up belongs in its log,
                // where 4.3 users look for it.
                let ch = if m.cfg.redirect_stderr {
                    Channel::Stdout
                } else {
                    Channel::Stderr
                };
                if !output.is_empty() {
                    self.write_output(id, ch, &output);
                }
                if let Some(m) = self.procs.get_mut(&id) {
                    m.logs[0].file = None;
                    m.logs[1].file = None;
                }
                Event::SpawnFailed { reason: message }
            }
        }
    }

    /// Marks a pipe readable (from a poll event).
    pub fn pipe_ready(&mut self, token: Token) {
        let Some(n) = token.0.checked_sub(FIRST_PIPE_TOKEN) else {
            return;
        };
        let id = (n / 3) as u64;
        let ch = match n % 3 {
            0 => Channel::Stdout,
            1 => Channel::Stderr,
            _ => {
                self.pump_stdin(id, true);
                return;
            }
        };
        if !self.backlog.contains(&(id, ch)) {
            self.backlog.push((id, ch));
        }
    }

    /// Whether some pipe still has data waiting for its next turn.
    pub fn has_backlog(&self) -> bool {
        !self.backlog.is_empty()
    }

    /// Gives every ready pipe one bounded turn.
    pub fn pump_output(&mut self) {
        let ready = std::mem::take(&mut self.backlog);
        for (id, ch) in ready {
            if self.read_pipe(id, ch, READS_PER_TURN * READ_CHUNK) {
                self.backlog.push((id, ch));
            }
        }
    }

    /// Reads up to `budget` bytes from a pipe; true if more is waiting.
    fn read_pipe(&mut self, id: u64, ch: Channel, budget: usize) -> bool {
        // The read buffer is lent out for the call so each chunk can be
        // handed on without a copy.
        let mut buf = std::mem::take(&mut self.buf);
        let more = self.read_pipe_into(page_aligned(&mut buf), id, ch, budget);
        self.buf = buf;
        more
    }

    fn read_pipe_into(&mut self, buf: &mut [u8], id: u64, ch: Channel, budget: usize) -> bool {
        let mut taken = 0;
        while taken < budget {
            let Some(fd) = self
                .procs
                .get(&id)
                .and_then(|m| m.pipes[ch as usize].as_ref())
                .map(|fd| fd.as_raw_fd())
            else {
                return false;
            };
            // SAFETY: buf is valid for its length; fd is open.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                let n = n as usize;
                taken += n;
                self.on_output(id, ch, &buf[..n]);
                continue;
            }
            if n == 0 {
                self.close_pipe(id, ch);
                return false;
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return false,
                _ => {
                    let msg = format!("error reading fd {fd}, closing channel: {err}");
                    self.log(Level::Critical, &msg);
                    self.close_pipe(id, ch);
                    return false;
                }
            }
        }
        true
    }

    fn close_pipe(&mut self, id: u64, ch: Channel) {
        let Some(m) = self.procs.get_mut(&id) else {
            return;
        };
        let held = m.capture[ch as usize].take().map(|mut c| c.finish());
        if let Some(fd) = m.pipes[ch as usize].take() {
            let raw = fd.as_raw_fd();
            let _ = self.registry.deregister(&mut SourceFd(&raw));
            let msg = format!(
                "fd {raw} closed, stopped monitoring <POutputDispatcher for '{}' ({})>",
                m.proc.name,
                ch.name()
            );
            drop(fd);
            self.log(Level::Debug, &msg);
        }
        for piece in held.unwrap_or_default() {
            self.on_piece(id, ch, piece);
        }
        self.backlog.retain(|&(i, c)| (i, c) != (id, ch));
    }

    /// One chunk read from a child: split by capture mode when enabled.
    fn on_output(&mut self, id: u64, ch: Channel, data: &[u8]) {
        let Some(m) = self.procs.get_mut(&id) else {
            return;
        };
        match m.capture[ch as usize].as_mut() {
            Some(scanner) => {
                for piece in scanner.feed(data) {
                    self.on_piece(id, ch, piece);
                }
            }
            None => self.write_output(id, ch, data),
        }
    }

    fn on_piece(&mut self, id: u64, ch: Channel, piece: Piece) {
        match piece {
            Piece::Log(data) => self.write_output(id, ch, &data),
            Piece::Comm(_) => {
                let Some(m) = self.procs.get(&id) else {
                    return;
                };
                let msg = format!("'{}' {} emitted a comm event", m.proc.name, ch.name());
                // No event bus yet: PROCESS_COMMUNICATION events have no
                // listener to go to, so the capture is only logged.
                self.log(Level::Debug, &msg);
            }
        }
    }

    /// One chunk of child output: to the log file, syslog and, at debug
    /// level, the main log; unchanged but for `strip_ansi`.
    fn write_output(&mut self, id: u64, ch: Channel, data: &[u8]) {
        let strip = self.cfg.supervisord.strip_ansi;
        let debug = self.log.enabled(Level::Debug);
        let Some(m) = self.procs.get_mut(&id) else {
            return;
        };
        let data = if strip {
            childlog::strip_ansi(data)
        } else {
            std::borrow::Cow::Borrowed(data)
        };
        // Messages are built while the process is borrowed, so its name
        // is never copied for the common case of a healthy write.
        let name = &m.proc.name;
        let syslog = m.cfg_channel(ch).syslog;
        let log = &mut m.logs[ch as usize];
        let mut report = None;
        if let Some(file) = log.file.as_mut() {
            match file.write(&data) {
                LogHealth::Healthy | LogHealth::StillFailing => {}
                LogHealth::Failed(reason) => {
                    report = Some((
                        Level::Error,
                        format!(
                            "cannot write the {} log of '{name}' ({}): {reason}; keeping its output in memory (up to {} MiB) and retrying on its next output",
                            ch.name(),
                            file.path().display(),
                            rotating::PENDING_LIMIT >> 20
                        ),
                    ));
                }
                LogHealth::Recovered { lost_bytes } => {
                    // Only what was held in memory is known; output written
                    // into a file that was already gone is not counted.
                    let lost = if lost_bytes == 0 {
                        "no held output was dropped".to_string()
                    } else {
                        format!("{lost_bytes} bytes of held output were dropped")
                    };
                    report = Some((
                        Level::Info,
                        format!(
                            "the {} log of '{name}' ({}) is writable again; {lost}",
                            ch.name(),
                            file.path().display()
                        ),
                    ));
                }
            }
        }
        if syslog {
            for line in childlog::syslog_lines(name, &data) {
                childlog::send_syslog(&line);
            }
        }
        let echo = debug.then(|| childlog::debug_echo(name, ch.name(), &data));
        if let Some((level, msg)) = report {
            self.log(level, &msg);
        }
        if let Some(msg) = echo {
            self.log(Level::Debug, &msg);
        }
    }

    /// Reaps every child that has exited: managed ones are finished (their
    /// remaining output read first), anything else is an orphan we adopted
    /// as PID 1 or subreaper.
    pub fn reap(&mut self) {
        // A batch is collected before run_timers returns; a child still
        // unknown here would be taken for an orphan by waitpid.
        debug_assert!(self.forked.is_empty(), "reaping inside a spawn batch");
        loop {
            let mut status = 0;
            // SAFETY: status is a valid out-pointer.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid == 0 {
                return;
            }
            if pid < 0 {
                let err = io::Error::last_os_error();
                match err.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::ECHILD) => return,
                    _ => {
                        let msg = format!(
                            "waitpid error {}; a process may not be cleaned up properly",
                            err.raw_os_error().unwrap_or(0)
                        );
                        self.log(Level::Critical, &msg);
                        return;
                    }
                }
            }
            match self.by_pid.remove(&pid) {
                Some(id) => {
                    for ch in [Channel::Stdout, Channel::Stderr] {
                        self.read_pipe(id, ch, DRAIN_LIMIT);
                        self.close_pipe(id, ch);
                    }
                    if let Some(m) = self.procs.get_mut(&id) {
                        // Closing our end also takes it out of the poll.
                        m.stdin = None;
                        m.stdin_held.clear();
                        m.logs[0].file = None;
                        m.logs[1].file = None;
                    }
                    self.apply(id, Event::Exited { status });
                }
                None => {
                    let (_, how) = process::decode_wait_status(status);
                    self.log(Level::Debug, &format!("reaped unknown pid {pid} ({how})"));
                }
            }
        }
    }

    /// SIGUSR2: reopen the main log and the log of every running process.
    pub fn reopen_logs(&mut self) {
        self.log.reopen();
        let mut failures = Vec::new();
        for m in self.procs.values_mut() {
            for log in m.logs.iter_mut() {
                if let Some(f) = log.file.as_mut() {
                    if let Err(e) = f.reopen() {
                        failures.push(format!(
                            "cannot reopen {}: {}",
                            f.path().display(),
                            rotating::os_reason(&e)
                        ));
                    }
                }
            }
        }
        for f in failures {
            self.log(Level::Error, &f);
        }
    }

    /// Changes the mood; shutting down or restarting stops autostarts.
    pub fn set_mood(&mut self, mood: Mood) {
        if self.mood != mood {
            self.mood = mood;
            self.generation += 1;
            self.reschedule_all();
        }
    }

    /// A restart request, from SIGHUP or the API, with the next
    /// configuration already loaded and its main log open
    /// (`rpc::prepare_restart`). Refused, the daemon goes on as it is and
    /// says so; the reason is returned for the API's fault.
    pub fn request_restart(
        &mut self,
        prepared: Result<(ServerConfig, MainLog), String>,
    ) -> Result<(), String> {
        match prepared {
            Ok(next) => {
                self.restart_to = Some(next);
                self.set_mood(Mood::Restarting);
                Ok(())
            }
            Err(why) => {
                // Unlike 4.3, a configuration that no longer loads (or
                // whose main log cannot be opened) does not take
                // everything down: it is checked before anything stops.
                let msg = if self.mood == Mood::Restarting {
                    format!(
                        "this restart request is refused; the restart under way continues with the configuration read before: {why}"
                    )
                } else {
                    format!("restart refused, still running on the previous configuration: {why}")
                };
                self.log(Level::Error, &msg);
                Err(why)
            }
        }
    }

    /// One step of an orderly shutdown; true once every process is in a
    /// stopped state.
    pub fn shutdown_step(&mut self) -> bool {
        if self.stopping.is_none() {
            let groups = self.groups.iter().map(|g| g.config.name.clone()).collect();
            self.stopping = Some(Stopping {
                groups,
                last_report: None,
            });
        }
        // Drop fully stopped groups from the end, then stop the last one.
        while let Some(name) = self
            .stopping
            .as_ref()
            .and_then(|s| s.groups.last().cloned())
        {
            let Some(g) = self.groups.iter().find(|g| g.config.name == name) else {
                self.stopping.as_mut().map(|s| s.groups.pop());
                continue;
            };
            let members = g.members.clone();
            let all_stopped = |sup: &Self| {
                members
                    .iter()
                    .all(|id| sup.procs[id].proc.state.is_stopped())
            };
            if !all_stopped(self) {
                self.stop_all(&members);
                // A group can be stopped on the spot (BACKOFF gives up):
                // then the next one is signalled now, not at the next
                // wake-up.
                if !all_stopped(self) {
                    break;
                }
            }
            self.stopping.as_mut().map(|s| s.groups.pop());
        }
        let unstopped: Vec<u64> = self
            .groups
            .iter()
            .flat_map(|g| g.in_config_order.iter().copied())
            .filter(|id| !self.procs[id].proc.state.is_stopped())
            .collect();
        if unstopped.is_empty() {
            return true;
        }
        let now = self.now();
        let due = self
            .stopping
            .as_ref()
            .and_then(|s| s.last_report)
            .is_none_or(|t| now >= t + SHUTDOWN_REPORT_EVERY);
        if due {
            let names: Vec<&str> = unstopped
                .iter()
                .map(|id| self.procs[id].proc.name.as_str())
                .collect();
            let msg = format!("waiting for {} to die", names.join(", "));
            let states: Vec<String> = unstopped
                .iter()
                .map(|id| {
                    let p = &self.procs[id].proc;
                    format!("{} state: {}", p.name, p.state.name())
                })
                .collect();
            self.log(Level::Info, &msg);
            for s in states {
                self.log(Level::Blather, &s);
            }
            if let Some(s) = self.stopping.as_mut() {
                s.last_report = Some(now);
            }
            self.timers
                .push(Reverse((now + SHUTDOWN_REPORT_EVERY, SHUTDOWN_TIMER)));
        }
        false
    }

    /// 4.3's `stop_all` for one group: descending priority; RUNNING and
    /// STARTING get their stop signal, BACKOFF gives up.
    fn stop_all(&mut self, members: &[u64]) {
        for &id in members.iter().rev() {
            match self.procs[&id].proc.state {
                ProcessState::Running | ProcessState::Starting => self.apply(id, Event::Stop),
                ProcessState::Backoff => self.apply(id, Event::GiveUp),
                _ => {}
            }
        }
    }
}

/// Why input could not be sent to a child.
#[derive(Debug, PartialEq, Eq)]
pub enum StdinError {
    /// The child has no stdin pipe any more (it closed it).
    Closed,
    /// More than [`STDIN_HELD`] bytes are already waiting.
    Full,
}

impl Supervisor {
    /// The group and, unless the name is `group:` or `group:*`, the
    /// process a namespec names (4.3's `split_namespec` rules).
    pub fn lookup(&self, namespec: &str) -> Option<(usize, Option<u64>)> {
        let (group, process) = crate::namespec::split(namespec);
        let gi = self.groups.iter().position(|g| g.config.name == group)?;
        match process {
            None => Some((gi, None)),
            Some(p) => self.groups[gi]
                .in_config_order
                .iter()
                .find(|id| self.procs[id].cfg.name == p)
                .map(|&id| (gi, Some(id))),
        }
    }

    /// The file a channel of a process logs to, if any.
    pub fn log_path(&self, id: u64, ch: Channel) -> Option<&Path> {
        self.procs.get(&id)?.logs[ch as usize].path.as_deref()
    }

    /// `clearProcessLogs`: empties the logs a running process writes to
    /// (a stopped one has none open, and 4.3 then does nothing).
    pub fn clear_process_logs(&mut self, id: u64) -> io::Result<()> {
        let Some(m) = self.procs.get_mut(&id) else {
            return Ok(());
        };
        let mut result = Ok(());
        for log in m.logs.iter_mut() {
            if let Some(f) = log.file.as_mut() {
                if let Err(e) = f.clear() {
                    result = Err(e);
                }
            }
        }
        result
    }

    /// `sendProcessStdin`: writes what the pipe takes now and holds the
    /// rest until it is writable, so a child that does not read never
    /// blocks the loop.
    pub fn write_stdin(&mut self, id: u64, data: &[u8]) -> Result<(), StdinError> {
        let Some(m) = self.procs.get_mut(&id) else {
            return Err(StdinError::Closed);
        };
        if m.stdin.is_none() {
            return Err(StdinError::Closed);
        }
        if m.stdin_held.len() + data.len() > STDIN_HELD {
            return Err(StdinError::Full);
        }
        let was_empty = m.stdin_held.is_empty();
        m.stdin_held.extend_from_slice(data);
        // Input already held means the pipe is watched and this waits its turn.
        if was_empty {
            self.pump_stdin(id, false);
        }
        if self.procs.get(&id).is_some_and(|m| m.stdin.is_none()) {
            return Err(StdinError::Closed);
        }
        Ok(())
    }

    /// Writes held stdin input, then has the poll watch the pipe for
    /// writability exactly while input is still held (`watched`: whether
    /// it is watched now). A write error (EPIPE: the child closed its
    /// stdin) drops the pipe; 4.3 then answers NO_FILE, and so do we.
    fn pump_stdin(&mut self, id: u64, watched: bool) {
        let Some(m) = self.procs.get_mut(&id) else {
            return;
        };
        let Some(fd) = m.stdin.as_ref().map(|f| f.as_raw_fd()) else {
            return;
        };
        while !m.stdin_held.is_empty() {
            // SAFETY: the buffer is valid for its length; fd is open.
            let n = unsafe { libc::write(fd, m.stdin_held.as_ptr().cast(), m.stdin_held.len()) };
            if n > 0 {
                m.stdin_held.drain(..n as usize);
                continue;
            }
            match io::Error::last_os_error().kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => break,
                _ => {
                    // Closing our end also takes it out of the poll.
                    m.stdin_held.clear();
                    m.stdin = None;
                    return;
                }
            }
        }
        let token = Token(FIRST_PIPE_TOKEN + (id as usize) * 3 + 2);
        let _ = match (watched, m.stdin_held.is_empty()) {
            (false, false) => self
                .registry
                .register(&mut SourceFd(&fd), token, Interest::WRITABLE),
            (true, true) => self.registry.deregister(&mut SourceFd(&fd)),
            _ => Ok(()),
        };
    }

    /// `removeProcessGroup`: forgets a group whose processes are all
    /// stopped; false if one is not.
    pub fn remove_group(&mut self, gi: usize) -> bool {
        let g = &self.groups[gi];
        if g.members
            .iter()
            .any(|id| !self.procs[id].proc.state.is_stopped())
        {
            return false;
        }
        let g = self.groups.remove(gi);
        self.generation += 1;
        for id in g.members {
            self.procs.remove(&id);
            self.backlog.retain(|&(i, _)| i != id);
        }
        true
    }
}

impl Managed {
    /// Whether a child is being stopped (4.3's `killing`).
    pub fn stopping(&self) -> bool {
        self.proc.killing
    }

    fn cfg_channel(&self, ch: Channel) -> &ChannelConfig {
        match ch {
            Channel::Stdout => &self.cfg.stdout,
            Channel::Stderr => &self.cfg.stderr,
        }
    }
}

/// The `READ_CHUNK` bytes of `buf` (allocated `READ_CHUNK + PAGE` long)
/// that start on a page boundary.
fn page_aligned(buf: &mut [u8]) -> &mut [u8] {
    let start = buf.as_ptr().align_offset(PAGE);
    &mut buf[start..start + READ_CHUNK]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_buffer_starts_on_a_page() {
        // Offsets 0..PAGE cover every place an allocation can start.
        let mut backing = vec![0u8; READ_CHUNK + 2 * PAGE];
        for skew in [0, 1, 16, PAGE - 1] {
            let buf = &mut backing[skew..skew + READ_CHUNK + PAGE];
            let aligned = page_aligned(buf);
            assert_eq!(aligned.as_ptr() as usize % PAGE, 0, "skew {skew}");
            assert_eq!(aligned.len(), READ_CHUNK, "skew {skew}");
        }
    }
}
