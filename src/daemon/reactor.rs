//! The reactor: one `mio::Poll` loop that owns the [`Supervisor`].
//!
//! Read it top to bottom: compute the poll timeout from the timer heap (no
//! timer, no timeout: an idle daemon sleeps in `epoll_wait` until something
//! happens), poll, sort the events by token (the signal self-pipe, the
//! waker the HTTP threads nudge, child pipes), give each ready pipe a
//! bounded turn, answer API calls, act on signals, reap children, run due
//! timers, answer parked API calls whose state settled, and advance a
//! shutdown or restart when one is under way.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use super::front::{HttpFront, ToLoop};
use super::logger::{Level, MainLog};
use super::process::signame;
use super::rpc::{self, Rpc};
use super::signals::SignalPipe;
use super::supervisor::{Mood, Supervisor};
use crate::config::{ConfigError, ServerConfig};

const SIGNALS: Token = Token(0);
const WAKER: Token = Token(1);

/// How a run of the loop ended.
pub enum Outcome {
    /// Every process is stopped; exit 0.
    Shutdown,
    /// Every process is stopped; start again on this configuration, with
    /// its main log already open (so a restart cannot fail half-way).
    Restart(Box<ServerConfig>, MainLog),
}

pub struct Reactor {
    poll: Poll,
    events: Events,
    signals: SignalPipe,
    waker: Arc<Waker>,
}

impl Reactor {
    /// Creates the poll and routes the handled signals into it.
    pub fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let signals = SignalPipe::install(super::signals::HANDLED)?;
        super::signals::ignore_file_size_signal();
        poll.registry()
            .register(&mut SourceFd(&signals.fd()), SIGNALS, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        Ok(Reactor {
            poll,
            events: Events::with_capacity(256),
            signals,
            waker,
        })
    }

    /// A registry handle for the supervisor's pipes.
    pub fn registry(&self) -> io::Result<mio::Registry> {
        self.poll.registry().try_clone()
    }

    /// What other threads use to wake the loop (the HTTP side).
    pub fn waker(&self) -> Arc<Waker> {
        Arc::clone(&self.waker)
    }

    /// Runs until every process is stopped after a shutdown or restart
    /// request. `reload` reads the configuration again for SIGHUP and the
    /// API; `http` brings the API's calls.
    pub fn run(
        &mut self,
        sup: &mut Supervisor,
        http: &HttpFront,
        reload: &dyn Fn() -> Result<ServerConfig, ConfigError>,
    ) -> Outcome {
        let mut api = Rpc::new(&sup.cfg);
        let mut shutdown_checked = u64::MAX;
        http.set_trace(sup.log.enabled(Level::Trace));
        loop {
            let timeout = if sup.has_backlog() {
                Some(Duration::ZERO)
            } else {
                [sup.next_timer(), api.next_deadline()]
                    .into_iter()
                    .flatten()
                    .min()
                    .map(|at| ceil_ms(at.saturating_sub(sup.now())))
            };
            if let Err(e) = self.poll.poll(&mut self.events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    sup.log(Level::Critical, &format!("poll failed: {e}"));
                    // Should the error persist, don't spin on it.
                    std::thread::sleep(Duration::from_millis(100));
                }
                continue;
            }
            let mut signals = Vec::new();
            let mut woken = false;
            for event in self.events.iter() {
                match event.token() {
                    SIGNALS => signals = self.signals.drain(),
                    WAKER => woken = true,
                    token => sup.pipe_ready(token),
                }
            }
            sup.pump_output();
            if woken {
                while let Some(msg) = http.next() {
                    match msg {
                        ToLoop::Call { call, reply } => api.handle(sup, reload, call, reply),
                        ToLoop::Log(level, text) => sup.log(level, &text),
                        ToLoop::TailPath { target, reply } => {
                            let _ = reply.send(api.tail_path(sup, &target));
                        }
                    }
                }
            }
            // Reaping waits for SIGCHLD: the self-pipe never loses one, and
            // a wake-up for child output then costs no waitpid call.
            let child_quit = signals.contains(&libc::SIGCHLD);
            for sig in signals {
                self.on_signal(sig, sup, reload);
            }
            if child_quit {
                sup.reap();
            }
            sup.run_timers();
            api.poll(sup, reload);
            // The shutdown sequence looks again only when a state, the
            // mood or its report timer moved the generation, not for every
            // chunk of child output.
            let stepped = sup.generation != shutdown_checked;
            shutdown_checked = sup.generation;
            if sup.mood != Mood::Running && stepped && sup.shutdown_step() {
                api.abandon_all();
                return match (sup.mood, sup.restart_to.take()) {
                    (Mood::Restarting, Some((cfg, log))) => Outcome::Restart(Box::new(cfg), log),
                    _ => Outcome::Shutdown,
                };
            }
        }
    }

    fn on_signal(
        &mut self,
        sig: i32,
        sup: &mut Supervisor,
        reload: &dyn Fn() -> Result<ServerConfig, ConfigError>,
    ) {
        let name = signame(sig);
        match sig {
            libc::SIGTERM | libc::SIGINT | libc::SIGQUIT => {
                sup.log(
                    Level::Warn,
                    &format!("received {name} indicating exit request"),
                );
                sup.set_mood(Mood::Shutdown);
            }
            libc::SIGHUP if sup.mood == Mood::Shutdown => {
                sup.log(
                    Level::Warn,
                    &format!("ignored {name} indicating restart request (shutdown in progress)"),
                );
            }
            libc::SIGHUP => {
                sup.log(
                    Level::Warn,
                    &format!("received {name} indicating restart request"),
                );
                let _ = sup.request_restart(rpc::prepare_restart(reload));
            }
            libc::SIGCHLD => {
                sup.log(
                    Level::Debug,
                    &format!("received {name} indicating a child quit"),
                );
            }
            libc::SIGUSR2 => {
                sup.log(
                    Level::Info,
                    &format!("received {name} indicating log reopen request"),
                );
                sup.log(Level::Info, "supervisord logreopen");
                sup.reopen_logs();
            }
            _ => sup.log(
                Level::Blather,
                &format!("received {name} indicating nothing"),
            ),
        }
    }
}

/// epoll counts in milliseconds; rounding down would wake just before a
/// deadline and then spin until it is reached.
fn ceil_ms(d: Duration) -> Duration {
    let ms = d.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(ms.min(u128::from(u64::MAX)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(ceil_ms(Duration::from_nanos(1)), Duration::from_millis(1));
        assert_eq!(ceil_ms(Duration::from_millis(5)), Duration::from_millis(5));
        assert_eq!(ceil_ms(Duration::ZERO), Duration::ZERO);
    }
}
