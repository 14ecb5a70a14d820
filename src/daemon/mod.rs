//! The `supervisord` role.
//!
//! This file is the front door and the start-up sequence of
//! `spec/states.md` §8.1: the command line and configuration (with 4.3's
//! errors and exit status, or `--test-config [--json]`), then privileges,
//! rlimits, the main log, AUTO log cleanup, the pidfile lock, signals,
//! daemonizing, and the [`reactor`] loop over the [`supervisor`] state,
//! again and again while SIGHUP asks for a restart.
//!
//! Output: errors go to stderr as `Error: <4.3's message>`, then our
//! location line when there is one, then `For help, use <argv0> -h`; exit 2.

pub mod capture;
pub mod childlog;
pub mod cli;
pub mod detach;
pub mod front;
pub mod http;
pub mod logger;
pub mod pidfile;
pub mod privileges;
pub mod process;
pub mod reactor;
pub mod rotating;
pub mod rpc;
pub mod signals;
pub mod spawn;
pub mod supervisor;
pub mod timefmt;

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use logger::{Level, MainLog};

use crate::config::{self, ConfigError, LoadContext, ServerConfig};

/// The version `supervisord -v` prints: the Supervisor release whose
/// behaviour we reproduce, since tools parse it (docs/compat.md).
pub const COMPAT_VERSION: &str = "4.3.0";

/// Runs `supervisord` with `args` (after argv\[0\]); returns the exit code.
pub fn main(argv0: &str, args: Vec<OsString>) -> i32 {
    let ctx = LoadContext::from_process();
    let run = match cli::parse(args, ctx.home()) {
        Ok(cli::Command::Help) => {
            return crate::print_stdout(&cli::usage(argv0));
        }
        Ok(cli::Command::Version) => {
            return crate::print_stdout(&format!("{COMPAT_VERSION}\n"));
        }
        Ok(cli::Command::Run(run)) => run,
        Err(msg) => return crate::usage_error(argv0, &msg, None),
    };
    let configfile = match run.configfile.clone() {
        Some(c) => c,
        None => {
            // SAFETY: getuid cannot fail.
            if unsafe { libc::getuid() } == 0 {
                eprintln!(
                    "supervisord: warning: Supervisord is running as root and it is searching for its configuration file in default locations (including its current working directory); you probably want to specify a \"-c\" argument specifying an absolute path to a configuration file for improved security."
                );
            }
            match config::find_config(argv0, &ctx.cwd) {
                Ok(c) => c,
                Err(e) => return crate::usage_error(argv0, &e.message, None),
            }
        }
    };
    if run.profile_options.is_some() {
        eprintln!(
            "supervisord: warning: --profile_options runs Python's profiler in Supervisor 4.3; it has no effect here"
        );
    }
    let loaded = config::load_server(&configfile, &run.overrides, &ctx);
    let cfg = match loaded {
        Ok(c) => c,
        Err(ConfigError { message, detail }) => {
            return crate::usage_error(argv0, &message, detail.as_deref());
        }
    };
    if run.test_config {
        return test_config(&cfg, run.json);
    }
    // SIGHUP reads the same file again, named absolutely and resolved
    // against the start-up directory: daemonizing may have changed the cwd
    // (4.3 then fails to find a relative -c file and exits).
    let reload = {
        let overrides = run.overrides.clone();
        let absolute = config::values::normalize(&configfile, &ctx.cwd);
        // The file is read again by its absolute name once daemonizing has
        // moved us to `directory=`; otherwise by the name it was given, so
        // error messages name it as 4.3's do.
        move || {
            let moved = std::env::current_dir().ok().as_deref() != Some(ctx.cwd.as_path());
            let name = if moved { &absolute } else { &configfile };
            config::load_server(name, &overrides, &ctx)
        }
    };
    serve(argv0, cfg, &reload)
}

/// The warnings and notes a start-up would log, on stderr.
fn report_messages(cfg: &ServerConfig) {
    let mut err = std::io::stderr().lock();
    for w in &cfg.parse_warnings {
        let _ = writeln!(err, "WARN {w}");
    }
    for n in &cfg.notices {
        let _ = writeln!(err, "WARN {n}");
    }
    for i in &cfg.parse_infos {
        let _ = writeln!(err, "INFO {i}");
    }
}

/// `--test-config`: a line per process (or the JSON document) on stdout,
/// warnings on stderr, exit 0.
fn test_config(cfg: &ServerConfig, json: bool) -> i32 {
    report_messages(cfg);
    if json {
        let text = serde_json::to_string_pretty(&config::json::to_json(cfg))
            .expect("a JSON value always serialises");
        return crate::print_stdout(&format!("{text}\n"));
    }
    let mut out = String::new();
    let nprocs: usize = cfg.groups.iter().map(|g| g.processes.len()).sum();
    out.push_str(&format!(
        "{}: valid configuration: {} group{}, {} process{}\n",
        cfg.configfile,
        cfg.groups.len(),
        if cfg.groups.len() == 1 { "" } else { "s" },
        nprocs,
        if nprocs == 1 { "" } else { "es" },
    ));
    for g in &cfg.groups {
        for p in &g.processes {
            let namespec = if g.name == p.name {
                p.name.clone()
            } else {
                format!("{}:{}", g.name, p.name)
            };
            let user = p.uid.map_or("-".to_string(), |u| u.to_string());
            out.push_str(&format!(
                "{namespec} ({kind}) priority={} autostart={} autorestart={} startsecs={} stopsignal={} uid={user} command={}\n",
                p.priority,
                p.autostart,
                p.autorestart.as_str(),
                p.startsecs,
                config::values::signal_name(p.stopsignal).unwrap_or("?"),
                p.command.replace('\n', " "),
                kind = g.kind.name(),
            ));
        }
    }
    crate::print_stdout(&out)
}

/// Runs the daemon on a loaded configuration until it is told to exit;
/// returns the exit status.
fn serve(
    argv0: &str,
    cfg: ServerConfig,
    reload: &dyn Fn() -> Result<ServerConfig, ConfigError>,
) -> i32 {
    // Logged on every start, as 4.3 does (CRIT root warning, setuid).
    let mut every_start: Vec<(Level, String)> = Vec::new();
    // Logged on the first start only (rlimits are raised once).
    let mut first_start: Vec<(Level, String)> = Vec::new();
    // SAFETY: getuid cannot fail.
    let root = unsafe { libc::getuid() } == 0;
    match &cfg.supervisord.user {
        Some(user) => {
            let uid = match privileges::user_to_uid(user) {
                Ok(uid) => uid,
                Err(msg) => return crate::usage_error(argv0, &msg, None),
            };
            if let Err(msg) = privileges::drop_privileges(uid) {
                return crate::usage_error(argv0, &msg, None);
            }
            every_start.push((Level::Info, privileges::set_uid_message(uid)));
        }
        None if root => {
            every_start.push((
                Level::Critical,
                privileges::running_as_root_warning().to_string(),
            ));
        }
        None => {}
    }
    match privileges::raise_rlimits(
        cfg.supervisord.minfds.max(0) as u64,
        cfg.supervisord.minprocs.max(0) as u64,
    ) {
        Ok(infos) => first_start.extend(infos.into_iter().map(|m| (Level::Info, m))),
        Err(msg) => return crate::usage_error(argv0, &msg, None),
    }
    // The HTTP sockets are bound now, before the pidfile is taken, so a
    // second supervisord on the same socket gets 4.3's "Another program is
    // already listening" (and a stale socket file is replaced); their
    // threads start after daemonizing.
    let mut bound = match front::bind_all(&cfg.servers) {
        Ok(b) => Some(b),
        Err(msg) => return crate::usage_error(argv0, &msg, None),
    };
    let mut pidfile = match pidfile::PidFile::lock(Path::new(&cfg.supervisord.pidfile)) {
        Ok(p) => Some(p),
        Err(pidfile::PidFileError::Held { pid }) => {
            let holder = pid.map_or_else(
                || "another supervisord".to_string(),
                |p| format!("supervisord (pid {p})"),
            );
            eprintln!(
                "Error: {holder} is already running with the pidfile {}.\n  Stop it first (kill {}), or give this one its own pidfile= in [supervisord].",
                cfg.supervisord.pidfile,
                pid.map_or_else(|| "it".to_string(), |p| p.to_string()),
            );
            return 2;
        }
        Err(pidfile::PidFileError::Io(_)) => None,
    };

    let mut reactor = match reactor::Reactor::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot set up the event loop: {e}");
            return 2;
        }
    };
    let mut http = front::HttpFront::new(reactor.waker());
    let mut cfg = cfg;
    let mut first = true;
    let mut next_log: Option<MainLog> = None;
    loop {
        let foreground = cfg.supervisord.nodaemon;
        let mut log = match next_log.take() {
            Some(l) => l,
            None => match MainLog::open(&cfg.supervisord, foreground) {
                Ok(l) => l,
                Err(msg) => return crate::usage_error(argv0, &msg, None),
            },
        };
        // 4.3's order: criticals, warnings, then infos.
        let (crit, infos): (Vec<_>, Vec<_>) = every_start
            .iter()
            .cloned()
            .chain(first_start.drain(..))
            .partition(|(level, _)| *level == Level::Critical);
        for (level, msg) in crit {
            log.log(level, &msg);
        }
        for w in cfg.parse_warnings.iter().chain(cfg.notices.iter()) {
            log.log(Level::Warn, w);
        }
        for (level, msg) in infos {
            log.log(level, &msg);
        }
        for i in &cfg.parse_infos {
            log.log(Level::Info, i);
        }
        if !cfg.supervisord.nocleanup {
            let dir = Path::new(&cfg.supervisord.childlogdir);
            for w in childlog::cleanup_auto_logs(dir, &cfg.supervisord.identifier) {
                log.log(Level::Warn, &w);
            }
        }
        // A restart keeps servers whose configuration did not change.
        if !first && http.configs() != cfg.servers {
            http.stop_servers();
            match front::bind_all(&cfg.servers) {
                Ok(b) => bound = Some(b),
                Err(msg) => {
                    log.log(Level::Critical, &msg);
                    return crate::usage_error(argv0, &msg, None);
                }
            }
        }
        log_server_setup(&cfg, &mut log);
        if first && !foreground {
            match detach::daemonize(cfg.supervisord.directory.as_deref(), cfg.supervisord.umask) {
                // The log was opened without stdout echo (not foreground).
                Ok(d) => {
                    for (level, msg) in d.messages {
                        log.log(level, &msg);
                    }
                }
                Err(e) => {
                    log.log(Level::Critical, &format!("could not daemonize: {e}"));
                    return 2;
                }
            }
        }
        if first {
            let subreaper = cfg.supervisord.subreaper.unwrap_or(foreground);
            // SAFETY: getpid cannot fail.
            let pid1 = unsafe { libc::getpid() } == 1;
            if subreaper && !pid1 {
                match detach::become_subreaper() {
                    Ok(()) => log.log(
                        Level::Debug,
                        "set as child subreaper: orphaned descendants are reaped here",
                    ),
                    Err(e) => log.log(
                        Level::Warn,
                        &format!("could not become child subreaper: {e}"),
                    ),
                }
            }
        }
        if let Some(b) = bound.take() {
            if let Err(e) = http.install(b) {
                log.log(
                    Level::Critical,
                    &format!("cannot start the HTTP servers: {e}"),
                );
                return 2;
            }
        }
        let pid = std::process::id();
        // 4.3 says "started with pid" only when the pidfile was written.
        match pidfile.as_mut().map(|p| p.write_pid(pid)) {
            Some(Ok(())) => log.log(Level::Info, &format!("supervisord started with pid {pid}")),
            _ => log.log(
                Level::Critical,
                &format!("could not write pidfile {}", cfg.supervisord.pidfile),
            ),
        }
        let registry = match reactor.registry() {
            Ok(r) => r,
            Err(e) => {
                log.log(
                    Level::Critical,
                    &format!("cannot set up the event loop: {e}"),
                );
                return 2;
            }
        };
        let mut sup = supervisor::Supervisor::new(cfg, log, registry);
        sup.add_configured_groups();
        match reactor.run(&mut sup, &http, reload) {
            // The pidfile is removed when it drops.
            reactor::Outcome::Shutdown => {
                http.finish();
                return 0;
            }
            reactor::Outcome::Restart(next, log) => {
                if next.supervisord.pidfile != sup.cfg.supervisord.pidfile {
                    drop(pidfile.take());
                    pidfile = pidfile::PidFile::lock(Path::new(&next.supervisord.pidfile)).ok();
                }
                cfg = *next;
                next_log = Some(log);
                first = false;
            }
        }
    }
}

/// 4.3's start-up lines for each HTTP server: every RPC interface it
/// serves, and a warning when it checks no credentials.
fn log_server_setup(cfg: &ServerConfig, log: &mut MainLog) {
    for server in &cfg.servers {
        for r in &cfg.rpcinterfaces {
            if r.factory == config::model::MAIN_RPC_FACTORY {
                log.log(
                    Level::Info,
                    &format!("RPC interface '{}' initialized", r.name),
                );
            } else {
                log.log(
                    Level::Warn,
                    &format!(
                        "RPC interface '{}' uses the Python factory {}, which this supervisord cannot load; its methods are not available",
                        r.name, r.factory
                    ),
                );
            }
        }
        if server.username.is_none() {
            log.log(
                Level::Critical,
                &format!(
                    "Server '{}' running without any HTTP authentication checking",
                    server.section
                ),
            );
        }
    }
}
