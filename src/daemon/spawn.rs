//! Starting one child process the way Supervisor 4.3 does (spec: states.md
//! §4 and §5): finding the program, building its environment, the pipes,
//! `fork`, and everything the child does before `exec`.
//!
//! The parent side ([`resolve_command`], [`child_environment`]) reports
//! 4.3's `spawnerr` texts. [`fork`] prepares everything that allocates —
//! C strings, argv and environment blocks, the user's group list, the
//! failure messages — *before* `fork`, because the daemon has threads and a
//! forked child may then only make async-signal-safe calls: no `malloc`, no
//! locks, no Rust formatting. The child writes 4.3's `supervisor: ...`
//! lines to its own stderr (so they reach the process log, as in 4.3) and
//! also a short record on a close-on-exec socket, so the parent learns at
//! once that `exec` failed and why, instead of only seeing a fast exit 127.
//!
//! Deliberate differences from 4.3:
//! * the child's SIGPIPE and SIGXFSZ are reset to their defaults (4.3 lets
//!   children inherit Python's "ignore"), so pipelines in child programs
//!   behave as they would from a shell;
//! * every inherited fd above 2 is closed, not only those below `minfds`;
//! * failures 4.3 has no words for (a failing `setpgid`, `dup2` or
//!   `setuid`) get a `supervisor: couldn't ...` line too, where 4.3 writes
//!   only `child process was not spawned`.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::privileges::{self, SwitchStep, UserSwitch};
use crate::config::model::{EnvList, ProcessConfig};
use crate::config::pyfmt::repr_str;
use crate::config::shlex;

/// 4.3's search path when neither the program's environment nor
/// supervisord's own has a usable `PATH`.
pub const DEFAULT_PATH: &str = "/bin:/usr/bin:/usr/local/bin";

/// How long [`Forked::finish`] waits for the child to `exec` or report failure. A
/// child stuck before `exec` (say, `chdir` into a hung network mount) must
/// not stall the daemon; after this long it counts as spawned, and a later
/// failure shows as its exit status 127, exactly as in 4.3.
pub const EXEC_CONFIRM_TIMEOUT: Duration = Duration::from_secs(2);

/// At most this much of a failed child's output is kept for the caller.
const FAILED_OUTPUT_LIMIT: usize = 64 * 1024;

/// Signals the daemon ignores (SIGPIPE by Rust's runtime; SIGXFSZ, see
/// `signals::ignore_file_size_signal`) and, with `signals::HANDLED`, those
/// it catches: the child gets all of them back at their defaults.
const IGNORED_SIGNALS: [libc::c_int; 2] = [libc::SIGPIPE, libc::SIGXFSZ];
/// Python's `errno.errorcode` on Linux. Where two names share a number the
/// one Python shows comes first (`EAGAIN`, not `EWOULDBLOCK`).
const ERRNO_NAMES: &[(libc::c_int, &str)] = &[
    (libc::EPERM, "EPERM"),
    (libc::ENOENT, "ENOENT"),
    (libc::ESRCH, "ESRCH"),
    (libc::EINTR, "EINTR"),
    (libc::EIO, "EIO"),
    (libc::ENXIO, "ENXIO"),
    (libc::E2BIG, "E2BIG"),
    (libc::ENOEXEC, "ENOEXEC"),
    (libc::EBADF, "EBADF"),
    (libc::ECHILD, "ECHILD"),
    (libc::EAGAIN, "EAGAIN"),
    (libc::ENOMEM, "ENOMEM"),
    (libc::EACCES, "EACCES"),
    (libc::EFAULT, "EFAULT"),
    (libc::ENOTBLK, "ENOTBLK"),
    (libc::EBUSY, "EBUSY"),
    (libc::EEXIST, "EEXIST"),
    (libc::EXDEV, "EXDEV"),
    (libc::ENODEV, "ENODEV"),
    (libc::ENOTDIR, "ENOTDIR"),
    (libc::EISDIR, "EISDIR"),
    (libc::EINVAL, "EINVAL"),
    (libc::ENFILE, "ENFILE"),
    (libc::EMFILE, "EMFILE"),
    (libc::ENOTTY, "ENOTTY"),
    (libc::ETXTBSY, "ETXTBSY"),
    (libc::EFBIG, "EFBIG"),
    (libc::ENOSPC, "ENOSPC"),
    (libc::ESPIPE, "ESPIPE"),
    (libc::EROFS, "EROFS"),
    (libc::EMLINK, "EMLINK"),
    (libc::EPIPE, "EPIPE"),
    (libc::EDOM, "EDOM"),
    (libc::ERANGE, "ERANGE"),
    (libc::EDEADLOCK, "EDEADLOCK"),
    (libc::EDEADLK, "EDEADLK"),
    (libc::ENAMETOOLONG, "ENAMETOOLONG"),
    (libc::ENOLCK, "ENOLCK"),
    (libc::ENOSYS, "ENOSYS"),
    (libc::ENOTEMPTY, "ENOTEMPTY"),
    (libc::ELOOP, "ELOOP"),
    (libc::ENOMSG, "ENOMSG"),
    (libc::EIDRM, "EIDRM"),
    (libc::ECHRNG, "ECHRNG"),
    (libc::EL2NSYNC, "EL2NSYNC"),
    (libc::EL3HLT, "EL3HLT"),
    (libc::EL3RST, "EL3RST"),
    (libc::ELNRNG, "ELNRNG"),
    (libc::EUNATCH, "EUNATCH"),
    (libc::ENOCSI, "ENOCSI"),
    (libc::EL2HLT, "EL2HLT"),
    (libc::EBADE, "EBADE"),
    (libc::EBADR, "EBADR"),
    (libc::EXFULL, "EXFULL"),
    (libc::ENOANO, "ENOANO"),
    (libc::EBADRQC, "EBADRQC"),
    (libc::EBADSLT, "EBADSLT"),
    (libc::EBFONT, "EBFONT"),
    (libc::ENOSTR, "ENOSTR"),
    (libc::ENODATA, "ENODATA"),
    (libc::ETIME, "ETIME"),
    (libc::ENOSR, "ENOSR"),
    (libc::ENONET, "ENONET"),
    (libc::ENOPKG, "ENOPKG"),
    (libc::EREMOTE, "EREMOTE"),
    (libc::ENOLINK, "ENOLINK"),
    (libc::EADV, "EADV"),
    (libc::ESRMNT, "ESRMNT"),
    (libc::ECOMM, "ECOMM"),
    (libc::EPROTO, "EPROTO"),
    (libc::EMULTIHOP, "EMULTIHOP"),
    (libc::EDOTDOT, "EDOTDOT"),
    (libc::EBADMSG, "EBADMSG"),
    (libc::EOVERFLOW, "EOVERFLOW"),
    (libc::ENOTUNIQ, "ENOTUNIQ"),
    (libc::EBADFD, "EBADFD"),
    (libc::EREMCHG, "EREMCHG"),
    (libc::ELIBACC, "ELIBACC"),
    (libc::ELIBBAD, "ELIBBAD"),
    (libc::ELIBSCN, "ELIBSCN"),
    (libc::ELIBMAX, "ELIBMAX"),
    (libc::ELIBEXEC, "ELIBEXEC"),
    (libc::EILSEQ, "EILSEQ"),
    (libc::ERESTART, "ERESTART"),
    (libc::ESTRPIPE, "ESTRPIPE"),
    (libc::EUSERS, "EUSERS"),
    (libc::ENOTSOCK, "ENOTSOCK"),
    (libc::EDESTADDRREQ, "EDESTADDRREQ"),
    (libc::EMSGSIZE, "EMSGSIZE"),
    (libc::EPROTOTYPE, "EPROTOTYPE"),
    (libc::ENOPROTOOPT, "ENOPROTOOPT"),
    (libc::EPROTONOSUPPORT, "EPROTONOSUPPORT"),
    (libc::ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"),
    (libc::ENOTSUP, "ENOTSUP"),
    (libc::EOPNOTSUPP, "EOPNOTSUPP"),
    (libc::EPFNOSUPPORT, "EPFNOSUPPORT"),
    (libc::EAFNOSUPPORT, "EAFNOSUPPORT"),
    (libc::EADDRINUSE, "EADDRINUSE"),
    (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL"),
    (libc::ENETDOWN, "ENETDOWN"),
    (libc::ENETUNREACH, "ENETUNREACH"),
    (libc::ENETRESET, "ENETRESET"),
    (libc::ECONNABORTED, "ECONNABORTED"),
    (libc::ECONNRESET, "ECONNRESET"),
    (libc::ENOBUFS, "ENOBUFS"),
    (libc::EISCONN, "EISCONN"),
    (libc::ENOTCONN, "ENOTCONN"),
    (libc::ESHUTDOWN, "ESHUTDOWN"),
    (libc::ETOOMANYREFS, "ETOOMANYREFS"),
    (libc::ETIMEDOUT, "ETIMEDOUT"),
    (libc::ECONNREFUSED, "ECONNREFUSED"),
    (libc::EHOSTDOWN, "EHOSTDOWN"),
    (libc::EHOSTUNREACH, "EHOSTUNREACH"),
    (libc::EALREADY, "EALREADY"),
    (libc::EINPROGRESS, "EINPROGRESS"),
    (libc::ESTALE, "ESTALE"),
    (libc::EUCLEAN, "EUCLEAN"),
    (libc::ENOTNAM, "ENOTNAM"),
    (libc::ENAVAIL, "ENAVAIL"),
    (libc::EISNAM, "EISNAM"),
    (libc::EREMOTEIO, "EREMOTEIO"),
    (libc::EDQUOT, "EDQUOT"),
    (libc::ENOMEDIUM, "ENOMEDIUM"),
    (libc::EMEDIUMTYPE, "EMEDIUMTYPE"),
    (libc::ECANCELED, "ECANCELED"),
    (libc::ENOKEY, "ENOKEY"),
    (libc::EKEYEXPIRED, "EKEYEXPIRED"),
    (libc::EKEYREVOKED, "EKEYREVOKED"),
    (libc::EKEYREJECTED, "EKEYREJECTED"),
    (libc::EOWNERDEAD, "EOWNERDEAD"),
    (libc::ENOTRECOVERABLE, "ENOTRECOVERABLE"),
    (libc::ERFKILL, "ERFKILL"),
];

/// The symbolic name of an errno, as Python's `errno.errorcode` has it.
/// A plain table walk, so a forked child may call it.
pub fn errno_name(code: i32) -> Option<&'static str> {
    ERRNO_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// 4.3's `errno.errorcode.get(code, code)`: the name, or the number when
/// Python has no name for it.
pub fn errno_code(code: i32) -> String {
    errno_name(code).map_or_else(|| code.to_string(), str::to_string)
}

/// The `PATH` a program's command is looked up in: the one in its merged
/// `environment=` if set (even empty), else supervisord's own if not
/// empty, else [`DEFAULT_PATH`].
pub fn child_path_var(env: &EnvList) -> String {
    if let Some(path) = env.get("PATH") {
        return path.to_string();
    }
    match std::env::var_os("PATH") {
        Some(p) if !p.is_empty() => p.to_string_lossy().into_owned(),
        _ => DEFAULT_PATH.to_string(),
    }
}

/// 4.3's `get_execv_args`: splits `command` like `shlex.split`, finds the
/// program (a word with a slash is used as is; otherwise the first entry of
/// `path_var` where `stat` succeeds wins, whatever the file type) and
/// checks it can be run. `path_var` is the choice of [`child_path_var`];
/// `None` means [`DEFAULT_PATH`]. Errors are 4.3's `spawnerr` texts.
///
/// A relative result (a relative `PATH` entry, or `./prog`) is checked
/// against supervisord's working directory but run from the program's
/// `directory=`, as in 4.3.
pub fn resolve_command(
    command: &str,
    path_var: Option<&str>,
) -> Result<(PathBuf, Vec<String>), BadCommand> {
    let unusable = |message: String| BadCommand {
        not_found: false,
        message,
    };
    let argv = shlex::split(command)
        .map_err(|e| unusable(format!("can't parse command {}: {e}", repr_str(command))))?;
    let Some(program) = argv.first() else {
        return Err(unusable("command is empty".to_string()));
    };
    let found = if program.contains('/') {
        std::fs::metadata(program)
            .ok()
            .map(|meta| (program.clone(), meta))
    } else {
        path_var.unwrap_or(DEFAULT_PATH).split(':').find_map(|dir| {
            let candidate = crate::config::values::join_path(dir, program);
            std::fs::metadata(&candidate)
                .ok()
                .map(|meta| (candidate, meta))
        })
    };
    let Some((filename, meta)) = found else {
        return Err(BadCommand {
            not_found: true,
            message: format!("can't find command {}", repr_str(program)),
        });
    };
    if meta.is_dir() {
        return Err(unusable(format!(
            "command at {} is a directory",
            repr_str(&filename)
        )));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(unusable(format!(
            "command at {} is not executable",
            repr_str(&filename)
        )));
    }
    let runnable = CString::new(filename.as_str())
        // SAFETY: a valid C string; access only reads it.
        .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0);
    if !runnable {
        return Err(unusable(format!(
            "no permission to run command {}",
            repr_str(&filename)
        )));
    }
    Ok((PathBuf::from(filename), argv))
}

/// Why a command cannot be run: 4.3's `NotFound` (the RPC's NO_FILE) or
/// any other reason (NOT_EXECUTABLE), with its `spawnerr` text.
#[derive(Debug, PartialEq, Eq)]
pub struct BadCommand {
    pub not_found: bool,
    pub message: String,
}

/// The child's environment (states.md §4.3): supervisord's own at this
/// moment, then `SUPERVISOR_ENABLED`, `SUPERVISOR_SERVER_URL` (the
/// program's `serverurl`, else `server_url`; left out when empty),
/// `SUPERVISOR_PROCESS_NAME`, `SUPERVISOR_GROUP_NAME`, then the merged
/// `environment=`, each replacing an earlier value in place.
///
/// Names and values that are not UTF-8 in supervisord's environment are
/// passed on lossily converted.
pub fn child_environment(
    cfg: &ProcessConfig,
    group: &str,
    server_url: Option<&str>,
) -> Vec<(String, String)> {
    let own = std::env::vars_os().map(|(k, v)| {
        (
            k.to_string_lossy().into_owned(),
            v.to_string_lossy().into_owned(),
        )
    });
    environment_over(own, cfg, group, server_url)
}

/// [`child_environment`] on top of a given base environment.
fn environment_over(
    base: impl Iterator<Item = (String, String)>,
    cfg: &ProcessConfig,
    group: &str,
    server_url: Option<&str>,
) -> Vec<(String, String)> {
    let mut env = EnvList::default();
    for (k, v) in base {
        env.set(&k, &v);
    }
    env.set("SUPERVISOR_ENABLED", "1");
    // 4.3 falls back only when serverurl is unset, and sets the variable
    // only when the URL it ends up with is not empty.
    let url = cfg.serverurl.as_deref().or(server_url);
    if let Some(url) = url.filter(|u| !u.is_empty()) {
        env.set("SUPERVISOR_SERVER_URL", url);
    }
    env.set("SUPERVISOR_PROCESS_NAME", &cfg.name);
    env.set("SUPERVISOR_GROUP_NAME", group);
    for (k, v) in cfg.environment.iter() {
        env.set(k, v);
    }
    env.0
}

/// Everything needed to start one child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildSpec {
    /// What `execve` runs (from [`resolve_command`]).
    pub filename: PathBuf,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub directory: Option<String>,
    pub umask: Option<u32>,
    /// Switch to this user before `chdir` and `exec`.
    pub uid: Option<u32>,
    /// fd 2 is the stdout pipe; no stderr pipe is made. Event listeners
    /// always have a stderr pipe, so callers pass `false` for them.
    pub redirect_stderr: bool,
    /// Give the child a stdin pipe that the parent keeps (always, for now).
    /// Without it the child's fd 0 is `/dev/null`.
    pub keep_stdin_pipe: bool,
}

impl ChildSpec {
    /// The parent-side preparation of states.md §4.1 step 3 for one
    /// process: resolves its command (the error is the `spawnerr` text) and
    /// builds its environment.
    pub fn for_process(
        cfg: &ProcessConfig,
        group: &str,
        server_url: Option<&str>,
    ) -> Result<ChildSpec, String> {
        let path = child_path_var(&cfg.environment);
        let (filename, argv) = resolve_command(&cfg.command, Some(&path)).map_err(|e| e.message)?;
        Ok(ChildSpec {
            filename,
            argv,
            env: child_environment(cfg, group, server_url),
            directory: cfg.directory.clone(),
            umask: cfg.umask,
            uid: cfg.uid,
            redirect_stderr: cfg.redirect_stderr,
            keep_stdin_pipe: true,
        })
    }
}

/// A started child: its pid and the parent's ends of its pipes, all
/// non-blocking and close-on-exec.
#[derive(Debug)]
pub struct Spawned {
    pub pid: i32,
    /// Write end of the child's stdin (`None` without `keep_stdin_pipe`).
    pub stdin: Option<OwnedFd>,
    /// Read end of the child's stdout (and stderr when redirected).
    pub stdout: OwnedFd,
    /// Read end of the child's stderr (`None` when redirected).
    pub stderr: Option<OwnedFd>,
}

/// Why a child could not be started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// Found before or at `fork`; no child exists. 4.3's `spawnerr` text.
    Parent(String),
    /// The child failed before `exec` and has been reaped. `message` is its
    /// reason (`couldn't chdir to /nope: ENOENT`); `output` is what it
    /// wrote to its stdout/stderr pipes (4.3's `supervisor: ...` lines),
    /// for the process log.
    Child { message: String, output: Vec<u8> },
}

impl SpawnError {
    pub fn message(&self) -> &str {
        match self {
            SpawnError::Parent(m) => m,
            SpawnError::Child { message, .. } => message,
        }
    }
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for SpawnError {}

/// 4.3's message when making the pipes (or opening the logs) fails.
pub(crate) fn pipe_error_message(name: &str, errno: i32) -> String {
    if errno == libc::EMFILE {
        format!("too many open files to spawn '{name}'")
    } else {
        format!(
            "unknown error making dispatchers for '{name}': {}",
            errno_code(errno)
        )
    }
}

/// 4.3's message when `fork` fails.
fn fork_error_message(name: &str, errno: i32) -> String {
    if errno == libc::EAGAIN {
        format!("Too many processes in process table to spawn '{name}'")
    } else {
        format!(
            "unknown error during fork for '{name}': {}",
            errno_code(errno)
        )
    }
}

/// Where in the child a failure happened; the first byte of the record the
/// child sends its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Stage {
    /// setpgid or the fd plumbing (4.3 has no text for these).
    Setup = 1,
    /// The user switch was refused before any system call.
    Refused = 2,
    Groups = 3,
    Gid = 4,
    Uid = 5,
    Chdir = 6,
    Exec = 7,
}

impl Stage {
    fn from_byte(b: u8) -> Option<Stage> {
        [
            Stage::Setup,
            Stage::Refused,
            Stage::Groups,
            Stage::Gid,
            Stage::Uid,
            Stage::Chdir,
            Stage::Exec,
        ]
        .into_iter()
        .find(|s| *s as u8 == b)
    }
}

/// The child's record: stage, then errno in native byte order.
const RECORD_LEN: usize = 5;

const LINE_PREFIX: &[u8] = b"supervisor: ";
const NOT_SPAWNED: &[u8] = b"supervisor: child process was not spawned\n";

/// What the child does about `uid`, decided in the parent.
enum Privileges {
    Keep,
    /// 4.3's reason (`Can't drop privilege as nonroot user`); the child
    /// reports it without trying.
    Refuse(String),
    Switch(UserSwitch),
}

/// The beginnings of the child's failure messages, each followed by a
/// reason (fixed, or the errno's name). The parent builds its own message
/// from the same pieces, so both say the same thing.
struct FailureTexts {
    setup: String,
    setuid: String,
    chdir: String,
    exec: String,
}

impl FailureTexts {
    fn new(spec: &ChildSpec) -> FailureTexts {
        FailureTexts {
            setup: "couldn't set up the child process: ".to_string(),
            setuid: format!("couldn't setuid to {}: ", spec.uid.unwrap_or(0)),
            chdir: format!(
                "couldn't chdir to {}: ",
                spec.directory.as_deref().unwrap_or("")
            ),
            exec: format!(
                "couldn't exec {}: ",
                spec.argv.first().map_or("", String::as_str)
            ),
        }
    }
}

/// Everything the child uses, built before `fork`.
struct ChildPlan {
    filename: CString,
    /// Owns the strings `argv_ptrs` points into.
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    _env: Vec<CString>,
    env_ptrs: Vec<*const libc::c_char>,
    directory: Option<CString>,
    umask: Option<libc::mode_t>,
    privileges: Privileges,
    /// Highest fd + 1 to close when `close_range` is unavailable.
    fd_limit: libc::c_int,
    texts: FailureTexts,
}

impl ChildPlan {
    fn new(spec: &ChildSpec) -> Result<ChildPlan, String> {
        let nul = |what: &str| format!("{what} contains a NUL byte");
        let filename =
            CString::new(spec.filename.as_os_str().as_bytes()).map_err(|_| nul("the command"))?;
        let argv = spec
            .argv
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| nul("the command"))?;
        let env = spec
            .env
            .iter()
            .map(|(k, v)| CString::new(format!("{k}={v}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| nul("the environment"))?;
        let directory = match &spec.directory {
            Some(d) => Some(CString::new(d.as_bytes()).map_err(|_| nul("the directory"))?),
            None => None,
        };
        let privileges = match spec.uid {
            None => Privileges::Keep,
            Some(uid) => {
                // SAFETY: getuid cannot fail.
                let current = unsafe { libc::getuid() };
                match privileges::plan_switch(uid, current) {
                    Ok(None) => Privileges::Keep,
                    Ok(Some(switch)) => Privileges::Switch(switch),
                    Err(reason) => Privileges::Refuse(reason),
                }
            }
        };
        let argv_ptrs = null_terminated(&argv);
        let env_ptrs = null_terminated(&env);
        Ok(ChildPlan {
            filename,
            _argv: argv,
            argv_ptrs,
            _env: env,
            env_ptrs,
            directory,
            umask: spec.umask.map(|m| m as libc::mode_t),
            privileges,
            fd_limit: open_file_limit(),
            texts: FailureTexts::new(spec),
        })
    }

    /// What the parent needs once the child is on its own.
    fn into_verdicts(self) -> Verdicts {
        Verdicts {
            refusal: match self.privileges {
                Privileges::Refuse(reason) => Some(reason),
                _ => None,
            },
            texts: self.texts,
        }
    }
}

/// The parent's side of the child's failure messages.
struct Verdicts {
    texts: FailureTexts,
    /// The reason a user switch was refused without trying.
    refusal: Option<String>,
}

impl Verdicts {
    /// The parent's message for a record from the child.
    fn message(&self, stage: Stage, errno: i32) -> String {
        let t = &self.texts;
        match stage {
            Stage::Setup => format!("{}{}", t.setup, errno_code(errno)),
            Stage::Refused => match &self.refusal {
                Some(reason) => format!("{}{reason}", t.setuid),
                None => format!("{}{}", t.setuid, errno_code(errno)),
            },
            Stage::Groups => format!("{}{}", t.setuid, SwitchStep::Groups.message()),
            Stage::Gid => format!("{}{}", t.setuid, SwitchStep::Gid.message()),
            Stage::Uid => format!("{}{}", t.setuid, SwitchStep::Uid.message()),
            Stage::Chdir => format!("{}{}", t.chdir, errno_code(errno)),
            Stage::Exec => format!("{}{}", t.exec, errno_code(errno)),
        }
    }
}

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// The soft RLIMIT_NOFILE: every fd the child could have inherited is
/// below it.
fn open_file_limit() -> libc::c_int {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills in the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1 << 20;
    }
    libc::c_int::try_from(limit.rlim_cur).unwrap_or(libc::c_int::MAX)
}

/// Moves `fd` to a number above 2, so that putting the child's pipes on
/// 0, 1 and 2 cannot overwrite another of them (possible when supervisord
/// itself runs with a standard fd closed).
fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: duplicates an fd we own; the original is closed on drop.
    let moved = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if moved < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `moved` is a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(moved) })
}

/// A close-on-exec pipe: (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two fds into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds are new and ours.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((above_stdio(r)?, above_stdio(w)?))
}

/// The channel the child reports a failure on: a close-on-exec socket pair
/// rather than a pipe, so the child's `send(MSG_NOSIGNAL)` cannot be killed
/// by SIGPIPE if the parent already gave up waiting.
fn report_channel() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: socketpair writes two fds into the array.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds are new and ours.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((above_stdio(r)?, above_stdio(w)?))
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: reads and sets the status flags of an fd we own.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The pipes of one child. `child_*` are the ends the child gets (blocking,
/// as 4.3 leaves them); the others stay with the parent (non-blocking).
struct Pipes {
    stdin: Option<OwnedFd>,
    child_stdin: OwnedFd,
    stdout: OwnedFd,
    child_stdout: OwnedFd,
    stderr: Option<OwnedFd>,
    child_stderr: Option<OwnedFd>,
    report: OwnedFd,
    child_report: OwnedFd,
}

impl Pipes {
    fn new(spec: &ChildSpec) -> io::Result<Pipes> {
        let (child_stdin, stdin) = if spec.keep_stdin_pipe {
            let (r, w) = pipe()?;
            (r, Some(w))
        } else {
            let null = std::fs::File::open("/dev/null")?;
            (above_stdio(OwnedFd::from(null))?, None)
        };
        let (stdout, child_stdout) = pipe()?;
        let (stderr, child_stderr) = if spec.redirect_stderr {
            (None, None)
        } else {
            let (r, w) = pipe()?;
            (Some(r), Some(w))
        };
        let (report, child_report) = report_channel()?;
        set_nonblocking(&stdout)?;
        for fd in [&stdin, &stderr].into_iter().flatten() {
            set_nonblocking(fd)?;
        }
        Ok(Pipes {
            stdin,
            child_stdin,
            stdout,
            child_stdout,
            stderr,
            child_stderr,
            report,
            child_report,
        })
    }
}

/// The raw fds the child puts in place; all are above 2.
struct ChildFds {
    stdin: RawFd,
    stdout: RawFd,
    /// The stdout pipe again when stderr is redirected.
    stderr: RawFd,
    report: RawFd,
}

/// A child forked and on its way to `exec`. [`Forked::finish`] waits for
/// its verdict; until then the child runs on its own, so a caller starting
/// many children forks them all first and then collects the verdicts, and
/// the children's way to `exec` overlaps instead of each holding up the
/// next. Nothing is left behind if it is dropped unfinished but the child,
/// which the caller's reaping then meets as an unknown pid.
pub struct Forked {
    pid: libc::pid_t,
    stdin: Option<OwnedFd>,
    stdout: OwnedFd,
    stderr: Option<OwnedFd>,
    report: OwnedFd,
    deadline: Instant,
    /// What the parent says if the child reports a failure.
    verdicts: Verdicts,
}

/// Forks the child `spec` describes; [`Forked::finish`] tells how its way
/// to `exec` went, waiting until [`EXEC_CONFIRM_TIMEOUT`] after now at
/// most. Failures before the fork are returned here.
pub fn fork(spec: &ChildSpec, name: &str) -> Result<Forked, SpawnError> {
    fork_within(spec, name, EXEC_CONFIRM_TIMEOUT)
}

fn fork_within(spec: &ChildSpec, name: &str, timeout: Duration) -> Result<Forked, SpawnError> {
    let deadline = Instant::now() + timeout;
    let plan = ChildPlan::new(spec)
        .map_err(|why| SpawnError::Parent(format!("can't spawn '{name}': {why}")))?;
    let pipes = Pipes::new(spec)
        .map_err(|e| SpawnError::Parent(pipe_error_message(name, e.raw_os_error().unwrap_or(0))))?;
    let child_fds = ChildFds {
        stdin: pipes.child_stdin.as_raw_fd(),
        stdout: pipes.child_stdout.as_raw_fd(),
        stderr: pipes
            .child_stderr
            .as_ref()
            .map_or(pipes.child_stdout.as_raw_fd(), AsRawFd::as_raw_fd),
        report: pipes.child_report.as_raw_fd(),
    };

    // Every signal stays blocked from just before fork until the child has
    // reset its dispositions, so none of the daemon's handlers can run in
    // the child (a handler there would write to the daemon's wake-up
    // channel, for one).
    // SAFETY: sigset_t is plain data that sigfillset initialises; the
    // child side only makes async-signal-safe calls and never returns.
    let (pid, fork_errno) = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut previous: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut previous);
        let pid = libc::fork();
        if pid == 0 {
            run_child(&plan, &child_fds);
        }
        let fork_errno = privileges::errno();
        libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
        (pid, fork_errno)
    };
    if pid < 0 {
        return Err(SpawnError::Parent(fork_error_message(name, fork_errno)));
    }

    let Pipes {
        stdin,
        child_stdin,
        stdout,
        child_stdout,
        stderr,
        child_stderr,
        report,
        child_report,
    } = pipes;
    // The child has its own copies; ours must go now, or the report
    // channel would never reach end-of-file.
    drop((child_stdin, child_stdout, child_stderr, child_report));
    Ok(Forked {
        pid,
        stdin,
        stdout,
        stderr,
        report,
        deadline,
        // Only the failure texts outlive the fork: argv and the
        // environment are freed now, not when the verdict comes.
        verdicts: plan.into_verdicts(),
    })
}

impl Forked {
    /// Waits for the child's verdict (until the deadline set at fork):
    /// `exec`ed, or failed and reaped.
    pub fn finish(self) -> Result<Spawned, SpawnError> {
        let timeout = self.deadline.saturating_duration_since(Instant::now());
        match wait_for_exec(&self.report, timeout) {
            ExecOutcome::Confirmed | ExecOutcome::TimedOut => Ok(Spawned {
                pid: self.pid,
                stdin: self.stdin,
                stdout: self.stdout,
                stderr: self.stderr,
            }),
            ExecOutcome::Failed(record) => {
                reap(self.pid);
                let output = drain(&self.stdout, self.stderr.as_ref());
                let message = match record {
                    Some((stage, errno)) => self.verdicts.message(stage, errno),
                    None => "child process was not spawned".to_string(),
                };
                Err(SpawnError::Child { message, output })
            }
        }
    }
}

enum ExecOutcome {
    /// The report channel closed without a word: `exec` succeeded.
    Confirmed,
    /// The child said why it failed (`None`: it said something garbled).
    Failed(Option<(Stage, i32)>),
    TimedOut,
}

/// Reads the child's report until it closes (success) or a whole record
/// arrived (failure).
fn wait_for_exec(report: &OwnedFd, timeout: Duration) -> ExecOutcome {
    let deadline = Instant::now() + timeout;
    let mut record = [0u8; RECORD_LEN];
    let mut got = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return ExecOutcome::TimedOut;
        }
        let mut pfd = libc::pollfd {
            fd: report.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(left.as_millis().max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready < 0 && privileges::errno() == libc::EINTR || ready == 0 {
            continue;
        }
        if ready < 0 {
            // Cannot happen with a valid fd; do not hold the daemon up.
            return ExecOutcome::TimedOut;
        }
        let rest = &mut record[got..];
        // SAFETY: reads into the unfilled part of `record`.
        let n = unsafe { libc::read(report.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len()) };
        if n < 0 {
            match privileges::errno() {
                libc::EINTR | libc::EAGAIN => continue,
                _ => return ExecOutcome::TimedOut,
            }
        }
        if n == 0 {
            return if got == 0 {
                ExecOutcome::Confirmed
            } else {
                ExecOutcome::Failed(None)
            };
        }
        got += n as usize;
        if got == RECORD_LEN {
            let stage = Stage::from_byte(record[0]);
            let errno = i32::from_ne_bytes([record[1], record[2], record[3], record[4]]);
            return ExecOutcome::Failed(stage.map(|s| (s, errno)));
        }
    }
}

/// Waits for a child that reported failure; it exits right after.
fn reap(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: waits for our own child.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 && privileges::errno() == libc::EINTR {}
}

/// What a failed child left in its pipes, stdout first, at most
/// [`FAILED_OUTPUT_LIMIT`] bytes. The pipes are non-blocking and the child
/// is gone, so this never waits.
fn drain(stdout: &OwnedFd, stderr: Option<&OwnedFd>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    for fd in std::iter::once(stdout).chain(stderr) {
        while out.len() < FAILED_OUTPUT_LIMIT {
            let want = buf.len().min(FAILED_OUTPUT_LIMIT - out.len());
            // SAFETY: reads into a stack buffer of at least `want` bytes.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), want) };
            if n < 0 && privileges::errno() == libc::EINTR {
                continue;
            }
            if n <= 0 {
                break;
            }
            out.extend_from_slice(&buf[..n as usize]);
        }
    }
    out
}

/// Writes all of `bytes` to `fd`, ignoring errors (there is nowhere left to
/// report them). Async-signal-safe.
fn write_all_raw(fd: RawFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writes from a slice we hold.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 && privileges::errno() == libc::EINTR {
            continue;
        }
        if n <= 0 {
            return;
        }
        bytes = bytes.get(n as usize..).unwrap_or(&[]);
    }
}

/// `n` in decimal, in `buf`, without allocating. Returns the digits.
fn decimal(n: i32, buf: &mut [u8; 12]) -> &[u8] {
    let negative = n < 0;
    let mut value = n.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

/// Closes every fd from 3 up except `keep`: with `close_range` when the
/// kernel has it (Linux 5.9+), else one by one below `limit`.
///
/// # Safety
/// Closes fds other code may own; only for a child about to `exec`.
unsafe fn close_inherited_fds(keep: RawFd, limit: libc::c_int, try_close_range: bool) {
    if try_close_range {
        let first = keep as libc::c_uint + 1;
        // SAFETY: close_range takes plain integers.
        let below = keep <= 3
            || unsafe { libc::syscall(libc::SYS_close_range, 3u32, keep as libc::c_uint - 1, 0) }
                == 0;
        if below
            && unsafe { libc::syscall(libc::SYS_close_range, first, libc::c_uint::MAX, 0) } == 0
        {
            return;
        }
    }
    for fd in 3..limit {
        if fd != keep {
            // SAFETY: closing an fd; EBADF for unused numbers is harmless.
            unsafe { libc::close(fd) };
        }
    }
}

/// The child after `fork`: 4.3's `_spawn_as_child`, making system calls
/// only. Never returns: it `exec`s or `_exit`s with 127.
///
/// # Safety
/// Only in the child of `fork`, with `plan` and `fds` built by [`fork`].
unsafe fn run_child(plan: &ChildPlan, fds: &ChildFds) -> ! {
    // SAFETY (whole body): async-signal-safe system calls on data prepared
    // before fork; nothing here allocates, locks or unwinds.
    unsafe {
        // Its own process group, so signals meant for supervisord's group
        // (Ctrl-C in the foreground) do not reach it.
        if libc::setpgid(0, 0) != 0 {
            child_failed(plan, fds, Stage::Setup, privileges::errno());
        }
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        for &sig in IGNORED_SIGNALS.iter().chain(super::signals::HANDLED) {
            libc::sigaction(sig, &default, std::ptr::null_mut());
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());

        if libc::dup2(fds.stdin, 0) < 0
            || libc::dup2(fds.stdout, 1) < 0
            || libc::dup2(fds.stderr, 2) < 0
        {
            child_failed(plan, fds, Stage::Setup, privileges::errno());
        }
        close_inherited_fds(fds.report, plan.fd_limit, true);

        match &plan.privileges {
            Privileges::Keep => {}
            Privileges::Refuse(_) => child_failed(plan, fds, Stage::Refused, 0),
            Privileges::Switch(switch) => {
                if let Err((step, errno)) = switch.apply() {
                    let stage = match step {
                        SwitchStep::Groups => Stage::Groups,
                        SwitchStep::Gid => Stage::Gid,
                        SwitchStep::Uid => Stage::Uid,
                    };
                    child_failed(plan, fds, stage, errno);
                }
            }
        }
        if let Some(dir) = &plan.directory {
            if libc::chdir(dir.as_ptr()) != 0 {
                child_failed(plan, fds, Stage::Chdir, privileges::errno());
            }
        }
        if let Some(mask) = plan.umask {
            libc::umask(mask);
        }
        libc::execve(
            plan.filename.as_ptr(),
            plan.argv_ptrs.as_ptr(),
            plan.env_ptrs.as_ptr(),
        );
        child_failed(plan, fds, Stage::Exec, privileges::errno());
    }
}

/// The child's way out: 4.3's lines on fd 2, the record for the parent,
/// `_exit(127)`.
///
/// # Safety
/// Only in the child of `fork`.
unsafe fn child_failed(plan: &ChildPlan, fds: &ChildFds, stage: Stage, errno: i32) -> ! {
    let t = &plan.texts;
    let prefix = match stage {
        Stage::Setup => &t.setup,
        Stage::Refused | Stage::Groups | Stage::Gid | Stage::Uid => &t.setuid,
        Stage::Chdir => &t.chdir,
        Stage::Exec => &t.exec,
    };
    let mut digits = [0u8; 12];
    let reason: &[u8] = match (stage, &plan.privileges) {
        (Stage::Refused, Privileges::Refuse(reason)) => reason.as_bytes(),
        (Stage::Groups, _) => SwitchStep::Groups.message().as_bytes(),
        (Stage::Gid, _) => SwitchStep::Gid.message().as_bytes(),
        (Stage::Uid, _) => SwitchStep::Uid.message().as_bytes(),
        _ => match errno_name(errno) {
            Some(name) => name.as_bytes(),
            None => decimal(errno, &mut digits),
        },
    };
    for piece in [LINE_PREFIX, prefix.as_bytes(), reason, b"\n", NOT_SPAWNED] {
        write_all_raw(2, piece);
    }
    let e = errno.to_ne_bytes();
    let record = [stage as u8, e[0], e[1], e[2], e[3]];
    // SAFETY: a send from a stack buffer, then the end of the process.
    unsafe {
        libc::send(
            fds.report,
            record.as_ptr().cast(),
            record.len(),
            libc::MSG_NOSIGNAL,
        );
        libc::_exit(127)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(command: &str, path: Option<&str>) -> Result<(PathBuf, Vec<String>), String> {
        resolve_command(command, path).map_err(|e| e.message)
    }

    /// Forks and waits for the verdict, as the supervisor does for one
    /// process.
    fn spawn(spec: &ChildSpec, name: &str) -> Result<Spawned, SpawnError> {
        fork(spec, name)?.finish()
    }
    use std::collections::BTreeSet;

    fn is_root() -> bool {
        // SAFETY: getuid cannot fail.
        unsafe { libc::getuid() == 0 }
    }

    use crate::testutil::TempDir;

    fn spec(argv: &[&str]) -> ChildSpec {
        ChildSpec {
            filename: PathBuf::from(argv[0]),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![("PATH".to_string(), "/usr/bin:/bin".to_string())],
            directory: None,
            umask: None,
            uid: None,
            redirect_stderr: false,
            keep_stdin_pipe: true,
        }
    }

    fn sh(script: &str) -> ChildSpec {
        spec(&["/bin/sh", "-c", script])
    }

    struct Finished {
        status: libc::c_int,
        stdout: String,
        stderr: String,
    }

    /// Reads a non-blocking fd until EOF, for at most 10 s.
    fn read_to_eof(fd: &OwnedFd) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            let mut pfd = libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut pfd, 1, 100) };
            // SAFETY: reads into a stack buffer.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n == 0 {
                return String::from_utf8_lossy(&out).into_owned();
            }
            if n > 0 {
                out.extend_from_slice(&buf[..n as usize]);
            }
        }
        panic!(
            "no EOF within 10 s; got {:?}",
            String::from_utf8_lossy(&out)
        );
    }

    /// Waits for `pid` for at most 10 s, killing it after that.
    fn wait(pid: i32) -> libc::c_int {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut status = 0;
        loop {
            // SAFETY: waits for a child this test spawned.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if r == pid {
                return status;
            }
            assert!(r == 0, "waitpid failed");
            if Instant::now() > deadline {
                // SAFETY: kills and reaps our own child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                panic!("child {pid} did not exit within 10 s");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Spawns `spec`, closes its stdin, collects its output and reaps it.
    fn run(spec: &ChildSpec) -> Finished {
        let spawned = spawn(spec, "test").unwrap_or_else(|e| panic!("spawn failed: {e:?}"));
        let Spawned {
            pid,
            stdin,
            stdout,
            stderr,
        } = spawned;
        drop(stdin);
        let stdout = read_to_eof(&stdout);
        let stderr = stderr.as_ref().map(read_to_eof).unwrap_or_default();
        Finished {
            status: wait(pid),
            stdout,
            stderr,
        }
    }

    fn exit_code(status: libc::c_int) -> i32 {
        assert!(libc::WIFEXITED(status), "not a normal exit: {status:#x}");
        libc::WEXITSTATUS(status)
    }

    fn child_error(result: Result<Spawned, SpawnError>) -> (String, String) {
        match result {
            Err(SpawnError::Child { message, output }) => {
                (message, String::from_utf8_lossy(&output).into_owned())
            }
            Err(e) => panic!("expected a child-side failure, got {e:?}"),
            Ok(s) => {
                wait(s.pid);
                panic!("expected a child-side failure, but it spawned");
            }
        }
    }

    fn process_config(name: &str) -> ProcessConfig {
        crate::testutil::process_config(name, "/bin/true")
    }

    #[test]
    fn errno_names_are_pythons() {
        assert_eq!(errno_code(libc::ENOENT), "ENOENT");
        assert_eq!(errno_code(libc::EACCES), "EACCES");
        assert_eq!(errno_code(libc::ENOEXEC), "ENOEXEC");
        assert_eq!(errno_code(libc::EWOULDBLOCK), "EAGAIN");
        assert_eq!(errno_code(libc::EDEADLK), "EDEADLOCK");
        assert_eq!(errno_code(libc::EOPNOTSUPP), "ENOTSUP");
        assert_eq!(errno_code(libc::ERFKILL), "ERFKILL");
        // Python 3.11 has no name for EHWPOISON.
        assert_eq!(errno_code(libc::EHWPOISON), libc::EHWPOISON.to_string());
        assert_eq!(errno_code(9999), "9999");
        let mut buf = [0u8; 12];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(133, &mut buf), b"133");
        assert_eq!(decimal(i32::MIN, &mut buf), b"-2147483648");
    }

    #[test]
    fn parent_side_messages_are_4_3s() {
        assert_eq!(
            pipe_error_message("web", libc::EMFILE),
            "too many open files to spawn 'web'"
        );
        assert_eq!(
            pipe_error_message("web", libc::ENFILE),
            "unknown error making dispatchers for 'web': ENFILE"
        );
        assert_eq!(
            fork_error_message("web", libc::EAGAIN),
            "Too many processes in process table to spawn 'web'"
        );
        assert_eq!(
            fork_error_message("web", libc::ENOMEM),
            "unknown error during fork for 'web': ENOMEM"
        );
    }

    #[test]
    fn commands_resolve_with_4_3s_messages() {
        let bin = Some("/nonexistent-dir:/bin");
        let (file, argv) = resolve("sh -c 'echo hi'", bin).unwrap();
        assert_eq!(file, PathBuf::from("/bin/sh"));
        assert_eq!(argv, ["sh", "-c", "echo hi"]);
        // A trailing slash in PATH does not double the separator.
        let (file, _) = resolve("sh", Some("/bin/")).unwrap();
        assert_eq!(file, PathBuf::from("/bin/sh"));
        let (file, _) = resolve("/bin/sh -x", Some("")).unwrap();
        assert_eq!(file, PathBuf::from("/bin/sh"));

        assert_eq!(
            resolve("no-such-program-here x", bin),
            Err("can't find command 'no-such-program-here'".to_string())
        );
        assert_eq!(
            resolve("/no/such/prog", bin),
            Err("can't find command '/no/such/prog'".to_string())
        );
        assert_eq!(
            resolve("/tmp", bin),
            Err("command at '/tmp' is a directory".to_string())
        );
        // The first PATH entry where the name exists wins, even a directory.
        let dir = TempDir::new("spawn");
        std::fs::create_dir(dir.0.join("sh")).unwrap();
        let path = format!("{}:/bin", dir.0.display());
        assert_eq!(
            resolve("sh", Some(&path)),
            Err(format!(
                "command at '{}/sh' is a directory",
                dir.0.display()
            ))
        );
        let plain = dir.file("plain", b"data", 0o644);
        assert_eq!(
            resolve(&plain, bin),
            Err(format!("command at '{plain}' is not executable"))
        );
        assert_eq!(resolve("", bin), Err("command is empty".to_string()));
        assert_eq!(resolve("  \t ", bin), Err("command is empty".to_string()));
        // Python: shlex.split raising ValueError, quoted with repr().
        assert_eq!(
            resolve("echo 'open", bin),
            Err("can't parse command \"echo 'open\": No closing quotation".to_string())
        );
        assert_eq!(
            resolve("echo \\", bin),
            Err("can't parse command 'echo \\\\': No escaped character".to_string())
        );
    }

    #[test]
    fn a_file_without_permission_is_refused() {
        if is_root() {
            println!("skipped: root may run any file with an execute bit");
            return;
        }
        let dir = TempDir::new("spawn");
        // Group-executable only: its owner may not run it.
        let file = dir.file("group-only", b"#!/bin/sh\n", 0o610);
        assert_eq!(
            resolve(&file, None),
            Err(format!("no permission to run command '{file}'"))
        );
    }

    #[test]
    fn the_search_path_comes_from_the_program_first() {
        let mut env = EnvList::default();
        env.set("PATH", "/opt/x:/opt/y");
        assert_eq!(child_path_var(&env), "/opt/x:/opt/y");
        env.set("PATH", "");
        assert_eq!(child_path_var(&env), "");
        let expected = match std::env::var("PATH") {
            Ok(p) if !p.is_empty() => p,
            _ => DEFAULT_PATH.to_string(),
        };
        assert_eq!(child_path_var(&EnvList::default()), expected);
    }

    #[test]
    fn the_environment_is_layered_in_4_3s_order() {
        let base = vec![
            ("HOME".to_string(), "/root".to_string()),
            ("SUPERVISOR_ENABLED".to_string(), "0".to_string()),
            ("LANG".to_string(), "C".to_string()),
        ];
        let mut cfg = process_config("web_01");
        cfg.environment.set("LANG", "fr_FR.UTF-8");
        cfg.environment.set("SUPERVISOR_GROUP_NAME", "override");
        let env = environment_over(base.clone().into_iter(), &cfg, "web", Some("unix:///s"));
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            env,
            pairs(&[
                ("HOME", "/root"),
                ("SUPERVISOR_ENABLED", "1"),
                ("LANG", "fr_FR.UTF-8"),
                ("SUPERVISOR_SERVER_URL", "unix:///s"),
                ("SUPERVISOR_PROCESS_NAME", "web_01"),
                ("SUPERVISOR_GROUP_NAME", "override"),
            ])
        );
        // The program's serverurl wins; an empty one means no variable.
        cfg.serverurl = Some("http://h:1".to_string());
        let env = environment_over(base.clone().into_iter(), &cfg, "web", Some("unix:///s"));
        assert!(env.contains(&(
            "SUPERVISOR_SERVER_URL".to_string(),
            "http://h:1".to_string()
        )));
        cfg.serverurl = Some(String::new());
        let env = environment_over(base.into_iter(), &cfg, "web", Some("unix:///s"));
        assert!(!env.iter().any(|(k, _)| k == "SUPERVISOR_SERVER_URL"));
        // Without any server there is no URL at all.
        cfg.serverurl = None;
        let env = environment_over(std::iter::empty(), &cfg, "web", None);
        assert!(!env.iter().any(|(k, _)| k == "SUPERVISOR_SERVER_URL"));
    }

    #[test]
    fn true_runs_and_the_parent_ends_are_non_blocking_and_close_on_exec() {
        let started = Instant::now();
        let spawned = spawn(&spec(&["/bin/true"]), "true").unwrap();
        // Confirmed by the report channel closing at exec, not by timeout.
        assert!(started.elapsed() < EXEC_CONFIRM_TIMEOUT / 2);
        assert!(spawned.pid > 0);
        let fds = [
            Some(&spawned.stdout),
            spawned.stdin.as_ref(),
            spawned.stderr.as_ref(),
        ];
        for fd in fds.into_iter().flatten() {
            // SAFETY: reads the flags of fds we own.
            let (fl, fd_flags) = unsafe {
                (
                    libc::fcntl(fd.as_raw_fd(), libc::F_GETFL),
                    libc::fcntl(fd.as_raw_fd(), libc::F_GETFD),
                )
            };
            assert!(fl & libc::O_NONBLOCK != 0, "fd {fd:?} blocks");
            assert!(fd_flags & libc::FD_CLOEXEC != 0, "fd {fd:?} leaks");
        }
        assert_eq!(read_to_eof(&spawned.stdout), "");
        assert_eq!(exit_code(wait(spawned.pid)), 0);
    }

    #[test]
    fn output_arrives_through_the_pipes() {
        let done = run(&sh("echo out; echo err >&2; exit 3"));
        assert_eq!(done.stdout, "out\n");
        assert_eq!(done.stderr, "err\n");
        assert_eq!(exit_code(done.status), 3);
    }

    #[test]
    fn redirect_stderr_merges_into_stdout() {
        let mut s = sh("echo out; echo err >&2");
        s.redirect_stderr = true;
        let spawned = spawn(&s, "merged").unwrap();
        assert!(spawned.stderr.is_none());
        let out = read_to_eof(&spawned.stdout);
        assert_eq!(exit_code(wait(spawned.pid)), 0);
        assert_eq!(out, "out\nerr\n");
    }

    #[test]
    fn stdin_is_a_pipe_the_parent_writes() {
        let spawned = spawn(&spec(&["/bin/cat"]), "cat").unwrap();
        let stdin = spawned.stdin.unwrap();
        let text = b"hello child\n";
        // SAFETY: writes from a slice to an fd we own.
        let n = unsafe { libc::write(stdin.as_raw_fd(), text.as_ptr().cast(), text.len()) };
        assert_eq!(n, text.len() as isize);
        drop(stdin);
        assert_eq!(read_to_eof(&spawned.stdout), "hello child\n");
        assert_eq!(exit_code(wait(spawned.pid)), 0);
    }

    #[test]
    fn without_a_stdin_pipe_the_child_reads_dev_null() {
        let mut s = spec(&["/bin/readlink", "/proc/self/fd/0"]);
        s.keep_stdin_pipe = false;
        let done = run(&s);
        assert_eq!(done.stdout, "/dev/null\n");
        assert_eq!(exit_code(done.status), 0);
    }

    #[test]
    fn the_child_gets_exactly_the_environment_given() {
        let mut cfg = process_config("envtest");
        cfg.environment.set("SUPERVISOR_ENABLED", "yes");
        cfg.environment.set("EXTRA", "a b=c");
        let mut s = spec(&["/usr/bin/env"]);
        s.env = child_environment(&cfg, "grp", Some("unix:///tmp/s.sock"));
        let done = run(&s);
        assert_eq!(exit_code(done.status), 0);
        let got: BTreeSet<&str> = done.stdout.lines().collect();
        let want: BTreeSet<String> = s.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(got, want.iter().map(String::as_str).collect());
        for line in [
            "SUPERVISOR_ENABLED=yes",
            "SUPERVISOR_SERVER_URL=unix:///tmp/s.sock",
            "SUPERVISOR_PROCESS_NAME=envtest",
            "SUPERVISOR_GROUP_NAME=grp",
            "EXTRA=a b=c",
        ] {
            assert!(got.contains(line), "missing {line}");
        }
    }

    #[test]
    fn directory_and_umask_are_applied() {
        let dir = TempDir::new("spawn");
        let mut s = sh("pwd; umask");
        s.directory = Some(dir.0.to_str().unwrap().to_string());
        s.umask = Some(0o027);
        let done = run(&s);
        assert_eq!(exit_code(done.status), 0);
        assert_eq!(done.stdout, format!("{}\n0027\n", dir.0.display()));
    }

    #[test]
    fn a_missing_directory_fails_in_the_child_with_4_3s_lines() {
        let mut s = sh("echo should not run");
        s.directory = Some("/nonexistent-supervisor-rs-dir".to_string());
        let (message, output) = child_error(spawn(&s, "nodir"));
        assert_eq!(
            message,
            "couldn't chdir to /nonexistent-supervisor-rs-dir: ENOENT"
        );
        assert_eq!(
            output,
            "supervisor: couldn't chdir to /nonexistent-supervisor-rs-dir: ENOENT\nsupervisor: child process was not spawned\n"
        );
        // Redirected, the lines arrive on the one pipe just the same.
        s.redirect_stderr = true;
        let (_, output) = child_error(spawn(&s, "nodir"));
        assert!(output.starts_with("supervisor: couldn't chdir to"));
    }

    #[test]
    fn exec_of_a_file_that_is_no_program_reports_enoexec() {
        let dir = TempDir::new("spawn");
        let garbage = dir.file("garbage", b"\x01\x02\x03 not a program\n", 0o755);
        let mut s = spec(&[&garbage]);
        s.argv[0] = "garbage-prog".to_string();
        // A concurrently forked test child may briefly hold the file open
        // for writing (ETXTBSY); that race is the test's, not spawn's.
        for _ in 0..20 {
            let (message, output) = child_error(spawn(&s, "garbage"));
            if message.ends_with("ETXTBSY") {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            assert_eq!(message, "couldn't exec garbage-prog: ENOEXEC");
            assert_eq!(
                output,
                "supervisor: couldn't exec garbage-prog: ENOEXEC\nsupervisor: child process was not spawned\n"
            );
            return;
        }
        panic!("the test file stayed busy");
    }

    #[test]
    fn no_fd_but_0_1_2_reaches_the_child() {
        // SAFETY: opens /dev/null without O_CLOEXEC, moved to fd 200+.
        let leaked = unsafe {
            let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            assert!(fd >= 0);
            let high = libc::fcntl(fd, libc::F_DUPFD, 200);
            libc::close(fd);
            assert!(high >= 200);
            OwnedFd::from_raw_fd(high)
        };
        let done = run(&spec(&["/bin/ls", "/proc/self/fd"]));
        assert_eq!(exit_code(done.status), 0);
        let fds: BTreeSet<&str> = done.stdout.lines().collect();
        assert!(!fds.contains(leaked.as_raw_fd().to_string().as_str()));
        for fd in ["0", "1", "2"] {
            assert!(fds.contains(fd));
        }
        // The one more is ls's own handle on the directory.
        assert_eq!(fds.len(), 4, "child fds: {fds:?}");
    }

    #[test]
    fn the_fallback_close_loop_keeps_only_the_report_fd() {
        // SAFETY: the forked child only makes system calls, then _exits.
        unsafe {
            let a = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            let b = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            assert!(a > 2 && b > a);
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                close_inherited_fds(b, b + 10, false);
                let a_closed = libc::fcntl(a, libc::F_GETFD) < 0;
                let b_open = libc::fcntl(b, libc::F_GETFD) >= 0;
                let stdio_open = libc::fcntl(2, libc::F_GETFD) >= 0;
                libc::_exit(if a_closed && b_open && stdio_open {
                    0
                } else {
                    1
                });
            }
            libc::close(a);
            libc::close(b);
            assert_eq!(exit_code(wait(pid)), 0);
        }
    }

    #[test]
    fn signals_are_unblocked_and_default_in_the_child() {
        // Make sure there is something to reset: SIGXFSZ ignored (Rust
        // already ignores SIGPIPE) and a signal blocked in this thread.
        // SAFETY: process-wide "ignore" for SIGXFSZ is harmless in tests;
        // the mask change is this thread's and is undone below.
        let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR1);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut previous);
        }
        let done = run(&spec(&["/bin/cat", "/proc/self/status"]));
        // SAFETY: restores this thread's mask.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut()) };
        assert_eq!(exit_code(done.status), 0);
        let field = |name: &str| {
            done.stdout
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .unwrap_or_else(|| panic!("no {name} in status"))
                .to_string()
        };
        let mask = |name: &str| u64::from_str_radix(&field(name), 16).unwrap();
        assert_eq!(mask("SigBlk:"), 0);
        let ignored = mask("SigIgn:");
        let bit = |sig: libc::c_int| 1u64 << (sig - 1);
        assert_eq!(ignored & bit(libc::SIGPIPE), 0, "SIGPIPE still ignored");
        assert_eq!(ignored & bit(libc::SIGXFSZ), 0, "SIGXFSZ still ignored");
        // setpgid(0, 0): the child leads its own process group.
        let pid = field("Pid:");
        assert_eq!(field("NSpgid:"), pid);
    }

    #[test]
    fn an_unknown_uid_is_reported_by_the_child() {
        let mut s = sh("echo should not run");
        s.uid = Some(4_000_000_000);
        let (message, output) = child_error(spawn(&s, "baduid"));
        assert_eq!(
            message,
            "couldn't setuid to 4000000000: Can't find uid 4000000000"
        );
        assert_eq!(
            output,
            "supervisor: couldn't setuid to 4000000000: Can't find uid 4000000000\nsupervisor: child process was not spawned\n"
        );
    }

    #[test]
    fn a_non_root_supervisord_cannot_switch_users() {
        if is_root() {
            println!("skipped: root may switch users");
            return;
        }
        let mut s = sh("echo should not run");
        s.uid = Some(0);
        let (message, _) = child_error(spawn(&s, "toroot"));
        assert_eq!(
            message,
            "couldn't setuid to 0: Can't drop privilege as nonroot user"
        );
    }

    #[test]
    fn children_forked_together_get_their_own_verdicts() {
        // Forked one after the other, verdicts collected after: each child
        // keeps its own report channel, failure text and output.
        let mut bad = sh("echo should not run");
        bad.directory = Some("/nonexistent-supervisor-rs-dir".to_string());
        let good = sh("echo ran");
        let forked = [
            fork(&good, "first").unwrap(),
            fork(&bad, "second").unwrap(),
            fork(&good, "third").unwrap(),
        ];
        let mut verdicts = forked.into_iter().map(Forked::finish);
        let ran = |v: Option<Result<Spawned, SpawnError>>| {
            let s = v.unwrap().unwrap();
            drop(s.stdin);
            assert_eq!(read_to_eof(&s.stdout), "ran\n");
            assert_eq!(exit_code(wait(s.pid)), 0);
        };
        ran(verdicts.next());
        let (message, _) = child_error(verdicts.next().unwrap());
        assert_eq!(
            message,
            "couldn't chdir to /nonexistent-supervisor-rs-dir: ENOENT"
        );
        ran(verdicts.next());
    }

    #[test]
    fn a_child_not_heard_from_in_time_counts_as_spawned() {
        // With no time to wait, even a child that will fail is "spawned";
        // its failure then shows as 4.3 shows it: lines on stderr and exit
        // status 127 (not death by SIGPIPE on the abandoned report channel).
        let mut s = sh("echo should not run");
        s.directory = Some("/nonexistent-supervisor-rs-dir".to_string());
        let spawned = fork_within(&s, "late", Duration::ZERO)
            .and_then(Forked::finish)
            .unwrap();
        drop(spawned.stdin);
        assert_eq!(read_to_eof(&spawned.stdout), "");
        let stderr = read_to_eof(spawned.stderr.as_ref().unwrap());
        assert_eq!(exit_code(wait(spawned.pid)), 127);
        assert_eq!(
            stderr,
            "supervisor: couldn't chdir to /nonexistent-supervisor-rs-dir: ENOENT\nsupervisor: child process was not spawned\n"
        );
    }

    #[test]
    fn the_child_runs_as_nobody_when_asked() {
        if !is_root() {
            println!("skipped: switching users needs root");
            return;
        }
        let Some(nobody) = crate::config::values::passwd_by_name("nobody") else {
            println!("skipped: no `nobody` user");
            return;
        };
        let mut s = sh("id -u; id -g; id -G");
        s.uid = Some(nobody.uid);
        let done = run(&s);
        assert_eq!(exit_code(done.status), 0, "stderr: {}", done.stderr);
        let lines: Vec<&str> = done.stdout.lines().collect();
        assert_eq!(lines[0], nobody.uid.to_string());
        assert_eq!(lines[1], nobody.gid.to_string());
        // Root's supplementary groups are gone.
        let groups: BTreeSet<&str> = lines[2].split(' ').collect();
        assert!(!groups.contains("0"), "groups: {groups:?}");
        assert!(groups.contains(nobody.gid.to_string().as_str()));
    }

    #[test]
    fn a_spec_is_prepared_from_a_process_config() {
        let mut cfg = process_config("prep");
        cfg.command = "sh -c 'exit 0'".to_string();
        cfg.environment.set("PATH", "/nonexistent:/bin");
        cfg.directory = Some("/tmp".to_string());
        cfg.umask = Some(0o22);
        cfg.redirect_stderr = true;
        let s = ChildSpec::for_process(&cfg, "grp", None).unwrap();
        assert_eq!(s.filename, PathBuf::from("/bin/sh"));
        assert_eq!(s.argv, ["sh", "-c", "exit 0"]);
        assert_eq!(s.directory.as_deref(), Some("/tmp"));
        assert_eq!(s.umask, Some(0o22));
        assert!(s.redirect_stderr && s.keep_stdin_pipe);
        assert!(
            s.env
                .contains(&("PATH".to_string(), "/nonexistent:/bin".to_string()))
        );
        cfg.command = "nope-not-here".to_string();
        assert_eq!(
            ChildSpec::for_process(&cfg, "grp", None),
            Err("can't find command 'nope-not-here'".to_string())
        );
    }

    #[test]
    fn a_nul_in_the_command_is_refused_before_fork() {
        let mut s = spec(&["/bin/true"]);
        s.argv.push("a\0b".to_string());
        assert_eq!(
            spawn(&s, "nul").unwrap_err(),
            SpawnError::Parent("can't spawn 'nul': the command contains a NUL byte".to_string())
        );
    }
}
