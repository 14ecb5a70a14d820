//! The life of one supervised process as data plus a pure transition
//! function.
//!
//! [`step`] takes the process's [`Proc`] record, its configuration, whether
//! supervisord is in its RUNNING mood, an [`Event`] and the monotonic time,
//! and returns the new record and the [`Action`]s the reactor must carry out
//! (spawn, send a signal, write a main-log line, announce a state change).
//! Nothing here forks, reads a clock or touches a file, so every transition
//! of `spec/states.md` §3 is unit-tested with a fake clock below.
//!
//! The rules and the log wording are Supervisor 4.3's (`process.py`:
//! `spawn`, `transition`, `kill`, `signal`, `finish`, `give_up`), with two
//! deliberate differences: time is monotonic, so 4.3's clock-rollback
//! adjustments and its "laststart time is in the future" warning cannot
//! arise; and instead of a 1 s polling loop the reactor asks
//! [`next_deadline`] when the next [`Event::Tick`] is due, so promotions,
//! retries and SIGKILL escalation happen on time rather than up to a second
//! late.

use std::time::Duration;

use super::logger::Level;
use crate::config::model::{AutoRestart, ProcessConfig};

/// 4.3's process states, with their codes (`spec/states.md` §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcessState {
    Stopped,
    Starting,
    Running,
    Backoff,
    Stopping,
    Exited,
    Fatal,
    Unknown,
}

impl ProcessState {
    pub fn code(self) -> i32 {
        match self {
            ProcessState::Stopped => 0,
            ProcessState::Starting => 10,
            ProcessState::Running => 20,
            ProcessState::Backoff => 30,
            ProcessState::Stopping => 40,
            ProcessState::Exited => 100,
            ProcessState::Fatal => 200,
            ProcessState::Unknown => 1000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ProcessState::Stopped => "STOPPED",
            ProcessState::Starting => "STARTING",
            ProcessState::Running => "RUNNING",
            ProcessState::Backoff => "BACKOFF",
            ProcessState::Stopping => "STOPPING",
            ProcessState::Exited => "EXITED",
            ProcessState::Fatal => "FATAL",
            ProcessState::Unknown => "UNKNOWN",
        }
    }

    /// RUNNING_STATES: a start request is refused with ALREADY_STARTED.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            ProcessState::Running | ProcessState::Backoff | ProcessState::Starting
        )
    }

    /// STOPPED_STATES: what shutdown and stop waits wait for.
    pub fn is_stopped(self) -> bool {
        matches!(
            self,
            ProcessState::Stopped
                | ProcessState::Exited
                | ProcessState::Fatal
                | ProcessState::Unknown
        )
    }

    /// SIGNALLABLE_STATES.
    pub fn is_signallable(self) -> bool {
        matches!(
            self,
            ProcessState::Running | ProcessState::Starting | ProcessState::Stopping
        )
    }
}

/// What the supervisor knows about one process between events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// The process name, as log lines show it.
    pub name: String,
    pub state: ProcessState,
    /// 0 when no child exists.
    pub pid: i32,
    /// When the last spawn was attempted; `None` if never.
    pub laststart: Option<Duration>,
    /// When the last child was reaped; `None` if never.
    pub laststop: Option<Duration>,
    /// BACKOFF: retry after this; STARTING: promotion time; STOPPING:
    /// SIGKILL time.
    pub delay: Option<Duration>,
    /// Consecutive failed starts.
    pub backoff: u32,
    /// A stop signal was sent and the exit is expected.
    pub killing: bool,
    /// The last exit status (-1 for a signal death); `None` after a
    /// too-quick exit or before any exit (reported as 0).
    pub exitstatus: Option<i32>,
    pub spawnerr: Option<String>,
}

impl Proc {
    pub fn new(name: &str) -> Proc {
        Proc {
            name: name.to_string(),
            state: ProcessState::Stopped,
            pid: 0,
            laststart: None,
            laststop: None,
            delay: None,
            backoff: 0,
            killing: false,
            exitstatus: None,
            spawnerr: None,
        }
    }
}

/// Something that happened to a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Time passed: 4.3's `transition()` (autostart, autorestart, retries,
    /// promotion to RUNNING, give-up, SIGKILL escalation).
    Tick,
    /// A start request (RPC `startProcess`, `start` in supervisorctl).
    Start,
    /// The reactor carried out [`Action::Spawn`] and a child exists.
    Spawned { pid: i32 },
    /// The reactor could not start a child; `reason` is the spawnerr text.
    SpawnFailed { reason: String },
    /// A stop request: `stopsignal`, then SIGKILL after `stopwaitsecs`.
    Stop,
    /// Shutdown or a group stop found the process in BACKOFF.
    GiveUp,
    /// A signal request that is not a stop (RPC `signalProcess`).
    Signal { signal: i32 },
    /// The child was reaped with this raw wait status.
    Exited { status: i32 },
    /// Sending a signal failed with something other than ESRCH.
    SignalFailed { error: String, stopping: bool },
}

/// What the reactor must do as a result of a step, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start a child now and report back with `Spawned` or `SpawnFailed`.
    Spawn,
    /// `kill(target, signal)`; `target` is `-pid` for the process group.
    /// `stopping` says whether this is a stop (`kill`) or a plain signal,
    /// which only changes the wording should it fail.
    Kill {
        target: i32,
        signal: i32,
        stopping: bool,
    },
    /// A main-log line.
    Log(Level, String),
    /// The state changed (PROCESS_STATE_* events are made from this).
    /// `expected` is set for EXITED.
    StateChanged {
        from: ProcessState,
        to: ProcessState,
        expected: Option<bool>,
    },
}

/// Python's `signame`: `SIGTERM`, or `signal N` when the number has no name.
pub fn signame(sig: i32) -> String {
    // Python's table ends up with SIGPOLL for 29, not SIGIO.
    if sig == 29 {
        return "SIGPOLL".to_string();
    }
    match crate::config::values::signal_name(sig) {
        Some(n) => format!("SIG{n}"),
        None => format!("signal {sig}"),
    }
}

/// 4.3's `decode_wait_status`: the exit status (-1 for a signal death) and
/// the words for the log.
pub fn decode_wait_status(status: i32) -> (i32, String) {
    if libc::WIFEXITED(status) {
        let es = libc::WEXITSTATUS(status);
        (es, format!("exit status {es}"))
    } else if libc::WIFSIGNALED(status) {
        let mut msg = format!("terminated by {}", signame(libc::WTERMSIG(status)));
        if libc::WCOREDUMP(status) {
            msg.push_str(" (core dumped)");
        }
        (-1, msg)
    } else {
        (-1, format!("unknown termination cause 0x{status:04x}"))
    }
}

/// The log line for a stop signal that found the process already gone.
pub fn esrch_message(name: &str, pid: i32, stopping: bool) -> String {
    let now = if stopping { "" } else { "now " };
    format!(
        "unable to signal {name} (pid {pid}), it probably just {now}exited on its own: [Errno 3] No such process"
    )
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(n.max(0) as u64)
}

/// An automatic restart out of EXITED waits until a second after the last
/// start. A program that ran longer restarts at once, as in 4.3; one that
/// exits immediately with `startsecs=0` (so it never reaches BACKOFF) is
/// restarted once a second, the pace 4.3's polling loop gave it, instead of
/// as fast as it can fork.
const MIN_RESTART_INTERVAL: Duration = Duration::from_secs(1);

fn restart_not_before(p: &Proc) -> Duration {
    p.laststart.unwrap_or_default() + MIN_RESTART_INTERVAL
}

/// SIGKILL is repeated at this pace at least, even with `stopwaitsecs=0`,
/// for a process that does not die at once (uninterruptible sleep).
const MIN_KILL_INTERVAL: Duration = Duration::from_secs(1);

/// The smallest step past a deadline, for 4.3's strict `>` comparisons.
const JUST_AFTER: Duration = Duration::from_nanos(1);

/// Whether a process that is EXITED with `exitstatus` restarts by itself.
fn wants_restart(p: &Proc, cfg: &ProcessConfig) -> bool {
    match cfg.autorestart {
        AutoRestart::Never => false,
        AutoRestart::Always => true,
        AutoRestart::Unexpected => match p.exitstatus {
            Some(es) => !cfg.exitcodes.contains(&es),
            None => true,
        },
    }
}

/// When [`Event::Tick`] next has something to do for this process, if
/// ever. The reactor arms a timer for it; an idle process has `None`, so
/// an idle daemon never wakes up.
pub fn next_deadline(p: &Proc, cfg: &ProcessConfig, mood_running: bool) -> Option<Duration> {
    let immediately = Some(Duration::ZERO);
    match p.state {
        ProcessState::Stopped if mood_running && p.laststart.is_none() && cfg.autostart => {
            immediately
        }
        ProcessState::Exited if mood_running && wants_restart(p, cfg) => {
            Some(restart_not_before(p))
        }
        ProcessState::Backoff if p.backoff as i64 > cfg.startretries => immediately,
        ProcessState::Backoff if mood_running => Some(p.delay.unwrap_or_default() + JUST_AFTER),
        ProcessState::Starting if p.pid != 0 => {
            Some(p.laststart.unwrap_or_default() + secs(cfg.startsecs) + JUST_AFTER)
        }
        ProcessState::Stopping if p.killing => p.delay,
        _ => None,
    }
}

/// One transition: `(state, event, now) -> (state, actions)`.
pub fn step(
    p: &Proc,
    cfg: &ProcessConfig,
    mood_running: bool,
    event: Event,
    now: Duration,
) -> (Proc, Vec<Action>) {
    let mut m = Machine {
        p: p.clone(),
        cfg,
        now,
        actions: Vec::new(),
    };
    match event {
        Event::Tick => m.tick(mood_running),
        Event::Start => {
            if matches!(
                m.p.state,
                ProcessState::Stopped
                    | ProcessState::Exited
                    | ProcessState::Fatal
                    | ProcessState::Backoff
            ) {
                m.spawn();
            }
        }
        Event::Spawned { pid } => m.spawned(pid),
        Event::SpawnFailed { reason } => m.spawn_failed(reason),
        Event::Stop => m.kill(cfg.stopsignal),
        Event::GiveUp => {
            if m.p.state == ProcessState::Backoff {
                m.give_up();
            }
        }
        Event::Signal { signal } => m.signal(signal),
        Event::Exited { status } => m.finish(status),
        Event::SignalFailed { error, stopping } => m.signal_failed(&error, stopping),
    }
    (m.p, m.actions)
}

struct Machine<'a> {
    p: Proc,
    cfg: &'a ProcessConfig,
    now: Duration,
    actions: Vec<Action>,
}

impl Machine<'_> {
    fn log(&mut self, level: Level, msg: String) {
        self.actions.push(Action::Log(level, msg));
    }

    fn change_state(&mut self, to: ProcessState, expected: Option<bool>) {
        let from = self.p.state;
        if from == to {
            return;
        }
        if to == ProcessState::Backoff {
            self.p.backoff += 1;
            self.p.delay = Some(self.now + Duration::from_secs(u64::from(self.p.backoff)));
        }
        self.p.state = to;
        self.actions
            .push(Action::StateChanged { from, to, expected });
    }

    /// 4.3's `transition()`. The state is read once, up front, so a process
    /// spawned here is not also promoted in the same tick.
    fn tick(&mut self, mood_running: bool) {
        let state = self.p.state;
        let now = self.now;
        if mood_running {
            match state {
                ProcessState::Exited
                    if wants_restart(&self.p, self.cfg) && now >= restart_not_before(&self.p) =>
                {
                    self.spawn()
                }
                ProcessState::Stopped if self.p.laststart.is_none() && self.cfg.autostart => {
                    self.spawn()
                }
                ProcessState::Backoff
                    if i64::from(self.p.backoff) <= self.cfg.startretries
                        && self.p.delay.is_none_or(|d| now > d) =>
                {
                    self.spawn()
                }
                _ => {}
            }
        }
        match state {
            ProcessState::Starting
                if self.p.pid != 0
                    && now.saturating_sub(self.p.laststart.unwrap_or_default())
                        > secs(self.cfg.startsecs) =>
            {
                self.p.delay = None;
                self.p.backoff = 0;
                self.change_state(ProcessState::Running, None);
                let msg = format!(
                    "success: {} entered RUNNING state, process has stayed up for > than {} seconds (startsecs)",
                    self.p.name, self.cfg.startsecs
                );
                self.log(Level::Info, msg);
            }
            ProcessState::Backoff if i64::from(self.p.backoff) > self.cfg.startretries => {
                self.give_up();
                let msg = format!(
                    "gave up: {} entered FATAL state, too many start retries too quickly",
                    self.p.name
                );
                self.log(Level::Info, msg);
            }
            ProcessState::Stopping if self.p.killing && self.p.delay.is_some_and(|d| now >= d) => {
                let msg = format!("killing '{}' ({}) with SIGKILL", self.p.name, self.p.pid);
                self.log(Level::Warn, msg);
                self.kill(libc::SIGKILL);
            }
            _ => {}
        }
    }

    /// The parent-side start of 4.3's `spawn()`; the fork itself is the
    /// reactor's [`Action::Spawn`].
    fn spawn(&mut self) {
        if self.p.pid != 0 {
            let msg = format!("process '{}' already running", self.p.name);
            self.log(Level::Warn, msg);
            return;
        }
        self.p.killing = false;
        self.p.spawnerr = None;
        self.p.exitstatus = None;
        self.p.laststart = Some(self.now);
        self.change_state(ProcessState::Starting, None);
        self.actions.push(Action::Spawn);
    }

    fn spawned(&mut self, pid: i32) {
        if self.p.state != ProcessState::Starting || self.p.pid != 0 {
            return;
        }
        self.p.pid = pid;
        self.p.spawnerr = None;
        self.p.delay = Some(self.now + secs(self.cfg.startsecs));
        let msg = format!("spawned: '{}' with pid {pid}", self.p.name);
        self.log(Level::Info, msg);
    }

    fn spawn_failed(&mut self, reason: String) {
        if self.p.state != ProcessState::Starting || self.p.pid != 0 {
            return;
        }
        self.log(Level::Info, format!("spawnerr: {reason}"));
        self.p.spawnerr = Some(reason);
        self.change_state(ProcessState::Backoff, None);
    }

    fn give_up(&mut self) {
        self.p.delay = None;
        self.p.backoff = 0;
        self.change_state(ProcessState::Fatal, None);
    }

    /// 4.3's `kill()`: the stop signal, or SIGKILL from the STOPPING tick.
    fn kill(&mut self, sig: i32) {
        if self.p.state == ProcessState::Backoff {
            let msg = format!(
                "Attempted to kill {}, which is in BACKOFF state.",
                self.p.name
            );
            self.log(Level::Debug, msg);
            self.change_state(ProcessState::Stopped, None);
            return;
        }
        if self.p.pid == 0 {
            let msg = format!(
                "attempted to kill {} with sig {} but it wasn't running",
                self.p.name,
                signame(sig)
            );
            self.log(Level::Debug, msg);
            return;
        }
        let as_group = if self.p.state == ProcessState::Stopping {
            self.cfg.killasgroup
        } else {
            self.cfg.stopasgroup
        };
        let msg = format!(
            "killing {} (pid {}) {}with signal {}",
            self.p.name,
            self.p.pid,
            if as_group { "process group " } else { "" },
            signame(sig)
        );
        self.log(Level::Debug, msg);
        self.p.killing = true;
        let wait = if self.p.state == ProcessState::Stopping {
            secs(self.cfg.stopwaitsecs).max(MIN_KILL_INTERVAL)
        } else {
            secs(self.cfg.stopwaitsecs)
        };
        self.p.delay = Some(self.now + wait);
        self.change_state(ProcessState::Stopping, None);
        let target = if as_group { -self.p.pid } else { self.p.pid };
        self.actions.push(Action::Kill {
            target,
            signal: sig,
            stopping: true,
        });
    }

    /// 4.3's `signal()`: a signal that is not meant to stop the process.
    fn signal(&mut self, sig: i32) {
        if self.p.pid == 0 {
            let msg = format!(
                "attempted to send {} sig {} but it wasn't running",
                self.p.name,
                signame(sig)
            );
            self.log(Level::Debug, msg);
            return;
        }
        let msg = format!(
            "sending {} (pid {}) sig {}",
            self.p.name,
            self.p.pid,
            signame(sig)
        );
        self.log(Level::Debug, msg);
        self.actions.push(Action::Kill {
            target: self.p.pid,
            signal: sig,
            stopping: false,
        });
    }

    fn signal_failed(&mut self, error: &str, stopping: bool) {
        let msg = if stopping {
            format!(
                "unknown problem killing {} ({}):{error}",
                self.p.name, self.p.pid
            )
        } else {
            format!(
                "unknown problem sending sig {} ({}):{error}",
                self.p.name, self.p.pid
            )
        };
        self.log(Level::Critical, msg);
        self.change_state(ProcessState::Unknown, None);
        if stopping {
            self.p.killing = false;
            self.p.delay = None;
        }
    }

    /// 4.3's `finish()`: the child was reaped.
    fn finish(&mut self, status: i32) {
        let (es, how) = decode_wait_status(status);
        let now = self.now;
        self.p.laststop = Some(now);
        let too_quickly = self
            .p
            .laststart
            .is_some_and(|start| now.saturating_sub(start) < secs(self.cfg.startsecs));
        let expected = self.cfg.exitcodes.contains(&es);
        let name = self.p.name.clone();
        if self.p.killing {
            self.p.killing = false;
            self.p.delay = None;
            self.p.exitstatus = Some(es);
            self.change_state(ProcessState::Stopped, None);
            let level = if expected { Level::Info } else { Level::Warn };
            self.log(level, format!("stopped: {name} ({how})"));
        } else if too_quickly && self.p.state == ProcessState::Starting {
            self.p.exitstatus = None;
            self.p.spawnerr = Some("Exited too quickly (process log may have details)".into());
            self.change_state(ProcessState::Backoff, None);
            self.log(Level::Warn, format!("exited: {name} ({how}; not expected)"));
        } else {
            self.p.delay = None;
            self.p.backoff = 0;
            self.p.exitstatus = Some(es);
            if self.p.state == ProcessState::Starting {
                self.change_state(ProcessState::Running, None);
            }
            if expected {
                self.change_state(ProcessState::Exited, Some(true));
                self.log(Level::Info, format!("exited: {name} ({how}; expected)"));
            } else {
                self.p.spawnerr = Some(format!("Bad exit code {es}"));
                self.change_state(ProcessState::Exited, Some(false));
                self.log(Level::Warn, format!("exited: {name} ({how}; not expected)"));
            }
        }
        self.p.pid = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ProcessConfig {
        crate::testutil::process_config("web", "/bin/web")
    }

    fn t(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn exit_code(code: i32) -> i32 {
        code << 8
    }

    fn killed_by(sig: i32) -> i32 {
        sig
    }

    /// A fake-clock harness: feeds events, carries out `Spawn` with
    /// increasing pids, and records every log line and state change.
    struct Sim {
        cfg: ProcessConfig,
        p: Proc,
        mood_running: bool,
        next_pid: i32,
        logs: Vec<(Level, String)>,
        states: Vec<ProcessState>,
        kills: Vec<(i32, i32)>,
        spawn_fails: Option<String>,
    }

    impl Sim {
        fn new(cfg: ProcessConfig) -> Sim {
            let p = Proc::new(&cfg.name);
            Sim {
                cfg,
                p,
                mood_running: true,
                next_pid: 100,
                logs: vec![],
                states: vec![],
                kills: vec![],
                spawn_fails: None,
            }
        }

        fn feed(&mut self, event: Event, now: f64) {
            let (p, actions) = step(&self.p, &self.cfg, self.mood_running, event, t(now));
            self.p = p;
            for a in actions {
                match a {
                    Action::Spawn => {
                        let ev = match &self.spawn_fails {
                            Some(r) => Event::SpawnFailed { reason: r.clone() },
                            None => {
                                self.next_pid += 1;
                                Event::Spawned { pid: self.next_pid }
                            }
                        };
                        self.feed(ev, now);
                    }
                    Action::Kill { target, signal, .. } => self.kills.push((target, signal)),
                    Action::Log(l, m) => self.logs.push((l, m)),
                    Action::StateChanged { to, .. } => self.states.push(to),
                }
            }
        }

        /// The child exits with `code` at `now`.
        fn exit(&mut self, code: i32, now: f64) {
            self.feed(
                Event::Exited {
                    status: exit_code(code),
                },
                now,
            );
        }

        /// The child is killed by `sig` at `now`.
        fn die(&mut self, sig: i32, now: f64) {
            self.feed(
                Event::Exited {
                    status: killed_by(sig),
                },
                now,
            );
        }

        /// Ticks at the deadline the machine asks for, as the reactor's
        /// timer heap would, until `until` or no deadline.
        fn run_until(&mut self, until: f64) {
            while let Some(d) = next_deadline(&self.p, &self.cfg, self.mood_running) {
                if d > t(until) {
                    break;
                }
                let at = d.as_secs_f64().max(0.0);
                let before = (self.p.clone(), self.logs.len());
                self.feed(Event::Tick, at);
                if (self.p.clone(), self.logs.len()) == before {
                    panic!("deadline {at} produced no change: {:?}", self.p);
                }
            }
        }

        fn last_log(&self) -> &str {
            &self.logs.last().expect("a log line").1
        }

        fn has_log(&self, text: &str) -> bool {
            self.logs.iter().any(|(_, m)| m == text)
        }
    }

    #[test]
    fn state_codes_and_sets_match_4_3() {
        use ProcessState::*;
        let all = [
            Stopped, Starting, Running, Backoff, Stopping, Exited, Fatal, Unknown,
        ];
        let codes: Vec<i32> = all.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 10, 20, 30, 40, 100, 200, 1000]);
        let running: Vec<_> = all.iter().filter(|s| s.is_running()).collect();
        assert_eq!(running, [&Starting, &Running, &Backoff]);
        let stopped: Vec<_> = all.iter().filter(|s| s.is_stopped()).collect();
        assert_eq!(stopped, [&Stopped, &Exited, &Fatal, &Unknown]);
        let sig: Vec<_> = all.iter().filter(|s| s.is_signallable()).collect();
        assert_eq!(sig, [&Starting, &Running, &Stopping]);
    }

    #[test]
    fn autostart_spawns_then_promotes_strictly_after_startsecs() {
        let mut s = Sim::new(cfg());
        assert_eq!(next_deadline(&s.p, &s.cfg, true), Some(Duration::ZERO));
        s.feed(Event::Tick, 5.0);
        assert_eq!(s.p.state, ProcessState::Starting);
        assert_eq!(s.p.pid, 101);
        assert_eq!(s.last_log(), "spawned: 'web' with pid 101");
        // Exactly startsecs later is not yet "more than" startsecs.
        s.feed(Event::Tick, 6.0);
        assert_eq!(s.p.state, ProcessState::Starting);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), Some(t(6.0) + JUST_AFTER));
        s.run_until(10.0);
        assert_eq!(s.p.state, ProcessState::Running);
        assert_eq!(
            s.last_log(),
            "success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)"
        );
        assert_eq!(s.states, [ProcessState::Starting, ProcessState::Running]);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), None, "idle: no wake-ups");
    }

    #[test]
    fn autostart_false_never_spawns_and_needs_no_timer() {
        let mut c = cfg();
        c.autostart = false;
        let mut s = Sim::new(c);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), None);
        s.feed(Event::Tick, 1.0);
        assert_eq!(s.p.state, ProcessState::Stopped);
        s.feed(Event::Start, 2.0);
        assert_eq!(s.p.state, ProcessState::Starting);
    }

    #[test]
    fn nothing_autostarts_while_shutting_down() {
        let mut s = Sim::new(cfg());
        s.mood_running = false;
        assert_eq!(next_deadline(&s.p, &s.cfg, false), None);
        s.feed(Event::Tick, 1.0);
        assert_eq!(s.p.state, ProcessState::Stopped);
    }

    #[test]
    fn backoff_delays_grow_and_startretries_end_in_fatal() {
        // 4.3 with startretries=3: spawn, fail, wait 1 s, spawn, fail,
        // wait 2 s, spawn, fail, wait 3 s, spawn, fail, FATAL at once.
        let mut s = Sim::new(cfg());
        s.feed(Event::Tick, 0.0);
        let mut spawn_times = vec![0.0];
        let mut now = 0.0;
        for k in 1..=4u32 {
            now += 0.1; // exits 0.1 s after each spawn: too quickly
            s.feed(
                Event::Exited {
                    status: exit_code(1),
                },
                now,
            );
            assert_eq!(
                s.last_log(),
                "exited: web (exit status 1; not expected)",
                "always 'not expected' when too quick"
            );
            assert_eq!(s.p.backoff, k);
            assert_eq!(s.p.exitstatus, None);
            assert_eq!(
                s.p.spawnerr.as_deref(),
                Some("Exited too quickly (process log may have details)")
            );
            if k == 4 {
                break;
            }
            assert_eq!(s.p.state, ProcessState::Backoff);
            // Not before the delay of k seconds has strictly passed.
            s.feed(Event::Tick, now + f64::from(k));
            assert_eq!(s.p.state, ProcessState::Backoff);
            let d = next_deadline(&s.p, &s.cfg, true).unwrap();
            assert_eq!(d, t(now) + Duration::from_secs(k.into()) + JUST_AFTER);
            now = d.as_secs_f64();
            s.feed(Event::Tick, now);
            assert_eq!(s.p.state, ProcessState::Starting);
            spawn_times.push(now);
        }
        assert_eq!(s.p.state, ProcessState::Backoff);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), Some(Duration::ZERO));
        s.feed(Event::Tick, now);
        assert_eq!(s.p.state, ProcessState::Fatal);
        assert_eq!(s.p.backoff, 0);
        assert_eq!(
            s.last_log(),
            "gave up: web entered FATAL state, too many start retries too quickly"
        );
        assert_eq!(spawn_times.len(), 4, "startretries + 1 attempts");
        let gaps: Vec<u64> = spawn_times
            .windows(2)
            .map(|w| (w[1] - w[0]).round() as u64)
            .collect();
        assert_eq!(gaps, [1, 2, 3]);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), None);
    }

    #[test]
    fn startretries_zero_is_one_attempt() {
        let mut c = cfg();
        c.startretries = 0;
        let mut s = Sim::new(c);
        s.feed(Event::Tick, 0.0);
        s.exit(0, 0.2);
        s.run_until(10.0);
        assert_eq!(s.p.state, ProcessState::Fatal);
        assert_eq!(
            s.logs
                .iter()
                .filter(|(_, m)| m.starts_with("spawned"))
                .count(),
            1
        );
    }

    #[test]
    fn spawn_failure_goes_to_backoff_without_a_spawned_line() {
        let mut c = cfg();
        c.startretries = 1;
        let mut s = Sim::new(c);
        s.spawn_fails = Some("can't find command 'nope'".into());
        s.feed(Event::Tick, 0.0);
        assert_eq!(s.p.state, ProcessState::Backoff);
        assert_eq!(s.last_log(), "spawnerr: can't find command 'nope'");
        assert!(!s.logs.iter().any(|(_, m)| m.starts_with("spawned")));
        assert_eq!(s.p.delay, Some(t(1.0)));
        s.run_until(100.0);
        assert_eq!(s.p.state, ProcessState::Fatal);
        assert_eq!(s.p.spawnerr.as_deref(), Some("can't find command 'nope'"));
        assert_eq!(
            s.states,
            [
                ProcessState::Starting,
                ProcessState::Backoff,
                ProcessState::Starting,
                ProcessState::Backoff,
                ProcessState::Fatal
            ]
        );
    }

    #[test]
    fn start_from_fatal_resets_the_counter() {
        let mut c = cfg();
        c.startretries = 0;
        let mut s = Sim::new(c);
        s.spawn_fails = Some("boom".into());
        s.feed(Event::Tick, 0.0);
        s.run_until(5.0);
        assert_eq!(s.p.state, ProcessState::Fatal);
        s.spawn_fails = None;
        s.feed(Event::Start, 6.0);
        assert_eq!(s.p.state, ProcessState::Starting);
        assert_eq!(s.p.backoff, 0);
        assert_eq!(s.p.spawnerr, None);
    }

    fn running_sim(c: ProcessConfig) -> Sim {
        let mut s = Sim::new(c);
        s.feed(Event::Tick, 0.0);
        s.run_until(2.0);
        assert_eq!(s.p.state, ProcessState::Running);
        s
    }

    #[test]
    fn exitcodes_with_autorestart_unexpected() {
        let mut c = cfg();
        c.exitcodes = vec![0, 2];
        // Expected code: stays EXITED.
        let mut s = running_sim(c.clone());
        s.exit(2, 5.0);
        assert_eq!(s.p.state, ProcessState::Exited);
        assert_eq!(s.last_log(), "exited: web (exit status 2; expected)");
        assert_eq!(s.p.exitstatus, Some(2));
        assert_eq!(next_deadline(&s.p, &s.cfg, true), None);
        // Unexpected code: restarts at once, no backoff.
        let mut s = running_sim(c.clone());
        s.exit(3, 5.0);
        assert_eq!(s.last_log(), "exited: web (exit status 3; not expected)");
        assert_eq!(s.p.spawnerr.as_deref(), Some("Bad exit code 3"));
        assert_eq!(s.p.backoff, 0);
        assert!(
            next_deadline(&s.p, &s.cfg, true).unwrap() <= t(5.0),
            "due at once"
        );
        s.feed(Event::Tick, 5.0);
        assert_eq!(s.p.state, ProcessState::Starting);
        assert_eq!(s.p.pid, 102, "a new pid");
        // A signal death is never expected.
        let mut s = running_sim(c);
        s.die(libc::SIGHUP, 5.0);
        assert_eq!(
            s.last_log(),
            "exited: web (terminated by SIGHUP; not expected)"
        );
        assert_eq!(s.p.exitstatus, Some(-1));
        s.feed(Event::Tick, 5.0);
        assert_eq!(s.p.state, ProcessState::Starting);
    }

    #[test]
    fn a_flapping_program_restarts_once_a_second_not_in_a_loop() {
        let mut c = cfg();
        c.startsecs = 0;
        c.autorestart = AutoRestart::Always;
        let mut s = Sim::new(c);
        s.feed(Event::Tick, 10.0);
        s.exit(0, 10.01);
        assert_eq!(s.p.state, ProcessState::Exited);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), Some(t(11.0)));
        s.feed(Event::Tick, 10.5);
        assert_eq!(
            s.p.state,
            ProcessState::Exited,
            "not before a second has passed"
        );
        s.feed(Event::Tick, 11.0);
        assert_eq!(s.p.state, ProcessState::Starting);
        // One that ran a long time restarts at once.
        s.exit(0, 50.0);
        assert!(next_deadline(&s.p, &s.cfg, true).unwrap() <= t(50.0));
    }

    #[test]
    fn sigkill_repeats_at_most_once_a_second_with_stopwaitsecs_zero() {
        let mut c = cfg();
        c.stopwaitsecs = 0;
        let mut s = running_sim(c);
        s.feed(Event::Stop, 5.0);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), Some(t(5.0)));
        s.feed(Event::Tick, 5.0);
        assert_eq!(s.kills, [(101, libc::SIGTERM), (101, libc::SIGKILL)]);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), Some(t(6.0)));
        s.feed(Event::Tick, 5.5);
        assert_eq!(s.kills.len(), 2);
    }

    #[test]
    fn exitcodes_with_autorestart_true_and_false() {
        let mut c = cfg();
        c.autorestart = AutoRestart::Always;
        let mut s = running_sim(c.clone());
        s.exit(0, 5.0);
        assert_eq!(s.p.state, ProcessState::Exited);
        s.feed(Event::Tick, 5.0);
        assert_eq!(
            s.p.state,
            ProcessState::Starting,
            "true restarts even expected exits"
        );

        c.autorestart = AutoRestart::Never;
        let mut s = running_sim(c);
        s.exit(7, 5.0);
        assert_eq!(s.p.state, ProcessState::Exited);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), None);
        s.feed(Event::Tick, 6.0);
        assert_eq!(s.p.state, ProcessState::Exited, "false never restarts");
    }

    #[test]
    fn exit_noticed_after_startsecs_but_before_promotion_is_running_then_exited() {
        let mut c = cfg();
        c.startsecs = 0;
        let mut s = Sim::new(c);
        s.feed(Event::Tick, 0.0);
        s.exit(0, 0.0);
        assert_eq!(
            s.states,
            [
                ProcessState::Starting,
                ProcessState::Running,
                ProcessState::Exited
            ]
        );
        assert!(!s.logs.iter().any(|(_, m)| m.starts_with("success")));
        assert_eq!(s.last_log(), "exited: web (exit status 0; expected)");
    }

    #[test]
    fn stop_sends_stopsignal_then_sigkill_after_stopwaitsecs() {
        let mut c = cfg();
        c.stopwaitsecs = 5;
        let mut s = running_sim(c);
        s.feed(Event::Stop, 10.0);
        assert_eq!(s.p.state, ProcessState::Stopping);
        assert_eq!(s.kills, [(101, libc::SIGTERM)]);
        assert_eq!(s.last_log(), "killing web (pid 101) with signal SIGTERM");
        assert_eq!(s.logs.last().unwrap().0, Level::Debug);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), Some(t(15.0)));
        s.feed(Event::Tick, 14.9);
        assert_eq!(s.kills.len(), 1);
        s.feed(Event::Tick, 15.0);
        assert_eq!(s.kills, [(101, libc::SIGTERM), (101, libc::SIGKILL)]);
        assert!(s.has_log("killing 'web' (101) with SIGKILL"));
        assert_eq!(s.last_log(), "killing web (pid 101) with signal SIGKILL");
        assert_eq!(s.p.state, ProcessState::Stopping);
        // SIGKILL is repeated every stopwaitsecs should it not work.
        assert_eq!(next_deadline(&s.p, &s.cfg, true), Some(t(20.0)));
        s.die(libc::SIGKILL, 15.1);
        assert_eq!(s.p.state, ProcessState::Stopped);
        assert_eq!(s.last_log(), "stopped: web (terminated by SIGKILL)");
        assert_eq!(s.logs.last().unwrap().0, Level::Warn);
        assert_eq!(next_deadline(&s.p, &s.cfg, true), None);
        s.feed(Event::Tick, 16.0);
        assert_eq!(
            s.p.state,
            ProcessState::Stopped,
            "a stopped process stays stopped"
        );
    }

    #[test]
    fn stop_with_expected_exit_is_info() {
        let mut s = running_sim(cfg());
        s.feed(Event::Stop, 3.0);
        s.exit(0, 3.1);
        assert_eq!(
            s.logs.last().unwrap(),
            &(Level::Info, "stopped: web (exit status 0)".into())
        );
    }

    #[test]
    fn stopasgroup_and_killasgroup_target_the_process_group() {
        let mut c = cfg();
        c.stopasgroup = true;
        c.killasgroup = true;
        c.stopsignal = libc::SIGINT;
        c.stopwaitsecs = 1;
        let mut s = running_sim(c);
        s.feed(Event::Stop, 3.0);
        assert_eq!(
            s.last_log(),
            "killing web (pid 101) process group with signal SIGINT"
        );
        s.feed(Event::Tick, 4.0);
        assert_eq!(s.kills, [(-101, libc::SIGINT), (-101, libc::SIGKILL)]);

        let mut c = cfg();
        c.killasgroup = true;
        c.stopwaitsecs = 1;
        let mut s = running_sim(c);
        s.feed(Event::Stop, 3.0);
        s.feed(Event::Tick, 4.0);
        assert_eq!(s.kills, [(101, libc::SIGTERM), (-101, libc::SIGKILL)]);
    }

    #[test]
    fn stop_while_starting_and_in_backoff() {
        let mut s = Sim::new(cfg());
        s.feed(Event::Tick, 0.0);
        s.feed(Event::Stop, 0.5);
        assert_eq!(s.p.state, ProcessState::Stopping);
        s.die(libc::SIGTERM, 0.6);
        assert_eq!(
            s.p.state,
            ProcessState::Stopped,
            "a stop wins over too-quick"
        );
        assert_eq!(s.p.backoff, 0);

        let mut s = Sim::new(cfg());
        s.feed(Event::Tick, 0.0);
        s.exit(1, 0.1);
        assert_eq!(s.p.state, ProcessState::Backoff);
        s.feed(Event::Stop, 0.2);
        assert_eq!(s.p.state, ProcessState::Stopped);
        assert_eq!(
            s.last_log(),
            "Attempted to kill web, which is in BACKOFF state."
        );
        assert!(s.kills.is_empty());
        assert_eq!(
            next_deadline(&s.p, &s.cfg, true),
            None,
            "a stopped process is not retried"
        );
    }

    #[test]
    fn stop_when_not_running_only_logs() {
        let mut c = cfg();
        c.autostart = false;
        let mut s = Sim::new(c);
        s.feed(Event::Stop, 1.0);
        assert_eq!(s.p.state, ProcessState::Stopped);
        assert_eq!(
            s.last_log(),
            "attempted to kill web with sig SIGTERM but it wasn't running"
        );
        assert!(s.states.is_empty());
    }

    #[test]
    fn give_up_moves_backoff_to_fatal_silently() {
        let mut s = Sim::new(cfg());
        s.feed(Event::Tick, 0.0);
        s.exit(1, 0.1);
        let logs = s.logs.len();
        s.feed(Event::GiveUp, 0.2);
        assert_eq!(s.p.state, ProcessState::Fatal);
        assert_eq!(s.logs.len(), logs, "no log line");
        s.feed(Event::GiveUp, 0.3);
        assert_eq!(s.p.state, ProcessState::Fatal);
    }

    #[test]
    fn signals_that_are_not_stops() {
        let mut s = running_sim(cfg());
        s.feed(
            Event::Signal {
                signal: libc::SIGHUP,
            },
            3.0,
        );
        assert_eq!(s.p.state, ProcessState::Running);
        assert_eq!(s.last_log(), "sending web (pid 101) sig SIGHUP");
        assert_eq!(s.kills, [(101, libc::SIGHUP)]);
        s.die(libc::SIGHUP, 3.1);
        assert_eq!(s.p.state, ProcessState::Exited);

        let mut c = cfg();
        c.autostart = false;
        let mut s = Sim::new(c);
        s.feed(
            Event::Signal {
                signal: libc::SIGUSR1,
            },
            1.0,
        );
        assert_eq!(
            s.last_log(),
            "attempted to send web sig SIGUSR1 but it wasn't running"
        );
    }

    #[test]
    fn a_failed_signal_is_unknown() {
        let mut s = running_sim(cfg());
        s.feed(Event::Stop, 3.0);
        s.feed(
            Event::SignalFailed {
                error: "EPERM".into(),
                stopping: true,
            },
            3.0,
        );
        assert_eq!(s.p.state, ProcessState::Unknown);
        assert!(!s.p.killing);
        assert_eq!(s.last_log(), "unknown problem killing web (101):EPERM");
        assert_eq!(s.logs.last().unwrap().0, Level::Critical);
        // Its eventual exit is still handled.
        s.exit(0, 4.0);
        assert_eq!(s.p.state, ProcessState::Exited);
        assert_eq!(s.p.pid, 0);
    }

    #[test]
    fn exit_descriptions() {
        assert_eq!(
            decode_wait_status(exit_code(3)),
            (3, "exit status 3".into())
        );
        assert_eq!(
            decode_wait_status(killed_by(libc::SIGTERM)),
            (-1, "terminated by SIGTERM".into())
        );
        assert_eq!(
            decode_wait_status(libc::SIGSEGV | 0x80),
            (-1, "terminated by SIGSEGV (core dumped)".into())
        );
        assert_eq!(signame(29), "SIGPOLL");
        assert_eq!(signame(40), "signal 40");
        assert_eq!(
            esrch_message("web", 7, true),
            "unable to signal web (pid 7), it probably just exited on its own: [Errno 3] No such process"
        );
    }

    #[test]
    fn a_second_start_while_running_is_ignored() {
        let mut s = running_sim(cfg());
        let before = s.p.clone();
        s.feed(Event::Start, 5.0);
        assert_eq!(s.p, before);
    }
}
