//! The integration suite: one test binary (`autotests = false` in
//! Cargo.toml) whose modules each run the built `supervisor` binary.
//!
//! Tests that compare with the real Supervisor 4.3 use a Python venv with
//! `supervisor==4.3.0` that `util::python43()` creates on first use under
//! `target/interop-venv` (or takes from `$SUPERVISOR43_PYTHON`).

/// Shared helpers: the binary, temp dirs, either implementation's
/// commands, bounded runs, output normalisers, the 4.3 venv.
mod util;

/// argv[0] dispatch, `supervisor ROLE`, `--list`, `--install`, unknown roles.
mod dispatch;

/// `supervisord`'s command line and `--test-config`: errors, exit codes,
/// location lines, unknown-key warnings, hostile files.
mod config_cli;

/// The differential test: every fixture through 4.3's loader and ours.
mod config_interop;

/// `echo_supervisord_conf`: the sample loads in both and documents every option.
mod confecho;

/// `supervisorctl`'s options and config errors against the real 4.3 one.
mod ctl_options;

/// `pidproxy`: signal forwarding, exit on child exit, usage.
mod pidproxy;

/// The loader never panics, whatever bytes it is given.
mod robustness;

/// A running supervisord under test: config in a temp dir, log waits,
/// /proc inspection, cleanup by pid; the control-plane config and the
/// daemon the ctl tests share.
mod harness;

/// Our `supervisorctl` on a pseudo-terminal, for ctl_shell and ctl_extras.
mod pty;

/// The engine end to end: restarts, backoff to FATAL, stop escalation,
/// process groups, priorities, reload, shutdown, second instance, daemonize.
mod engine;

/// Child and main logs end to end: rotation, /dev/stdout, reopen, write
/// errors, fairness and memory bounds, capture mode, AUTO log cleanup.
mod engine_logs;

/// Container duties: PID 1 in a new PID namespace, subreaper reaping.
mod pid1;

/// Our main log against Supervisor 4.3's on one configuration.
mod engine_interop;

/// The same Python `xmlrpc.client` script against 4.3's daemon and ours:
/// every method, return values and faults compared.
mod rpc_interop;

/// The real Python `supervisorctl` against 4.3's daemon and ours: output
/// and exit codes compared command by command.
mod ctl_interop;

/// The HTTP side of the control plane, byte level: auth, socket files,
/// malformed and hostile requests, many and slow clients, /logtail.
mod control_http;

/// Our `supervisorctl` and 4.3's on the same daemon, for what depends on
/// the daemon (maintail), and every error path: unknown commands and
/// names, daemon down, wrong password, bad server URLs.
mod ctl_errors;

/// Our `supervisorctl` shell in a real pseudo-terminal (prompt, history,
/// completion, help, Ctrl-D), and `tail -f` / `fg` followed and ended by
/// Ctrl-C.
mod ctl_shell;

/// The man pages and shell completion scripts: they parse, and they name
/// every option and command the binary has.
mod man_completions;

/// What our `supervisorctl` adds to 4.3's: `status --json`, `avail --json`,
/// and state colours on a terminal (never when piped or with NO_COLOR).
mod ctl_extras;

/// 4.3's behaviour around failures and shutdown that the command sequence
/// does not reach: start faults and a missing log through supervisorctl,
/// a broken config at reread/update, every command while the daemon shuts
/// down, a server with another API version, and SIGINT/SIGQUIT exits.
mod lifecycle_interop;
