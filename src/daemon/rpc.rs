//! The XML-RPC API on the loop's side: `supervisor.*` and `system.*` with
//! Supervisor 4.3's arguments, results and faults (spec rpc.md).
//!
//! Calls arrive from the HTTP front already parsed. Most are answered at
//! once. Those that wait for a state (`startProcess` until RUNNING,
//! `stopProcess` until stopped, their group and `All` forms, and a
//! `multicall` holding one of them) become a [`Wait`] parked here; the
//! reactor calls [`Rpc::poll`] after every turn, so a parked call is
//! answered on the turn its state settles, without any timer polling.
//! Nothing here blocks: a call that waits costs one entry in a list.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

use super::front::{Reply, TailTarget};
use super::logger::{ClearLogError, Level, MainLog};
use super::process::{Event, ProcessState};
use super::spawn;
use super::supervisor::{Channel, Mood, StdinError, Supervisor};
use super::timefmt;
use crate::config::model::{
    ChannelConfig, GroupConfig, LogTarget, MAIN_RPC_FACTORY, ProcessConfig, ServerConfig,
};
use crate::config::{ConfigError, values};
use crate::faults::{self, *};
use crate::xmlrpc::{Fault, MethodCall, Value};

/// The API version `getAPIVersion` reports.
const API_VERSION: &str = "3.0";
/// How often a parked stop says `waiting for <name> to stop`.
const STOP_REPORT_EVERY: Duration = Duration::from_secs(2);
/// The most one log read returns: a daemon must not be made to hold a
/// multi-gigabyte log in memory because a client asked for "all of it".
const MAX_READ: u64 = 128 * 1024 * 1024;

/// A fault with no detail: `NAME`.
fn bare(code: i64) -> Fault {
    Fault {
        code,
        string: faults::name(code).to_string(),
    }
}

/// A fault with a detail: `NAME: detail`.
fn fault(code: i64, detail: impl std::fmt::Display) -> Fault {
    Fault {
        code,
        string: format!("{}: {detail}", faults::name(code)),
    }
}

/// One method: its signature as `system.methodSignature` reports it (return
/// type first), how many trailing parameters are optional, and its help.
struct Spec {
    name: &'static str,
    sig: &'static [&'static str],
    optional: usize,
    help: &'static str,
}

const fn m(name: &'static str, sig: &'static [&'static str], help: &'static str) -> Spec {
    Spec {
        name,
        sig,
        optional: 0,
        help,
    }
}

const fn w(name: &'static str, sig: &'static [&'static str], help: &'static str) -> Spec {
    Spec {
        name,
        sig,
        optional: 1,
        help,
    }
}

/// Help shared by clearProcessLog, clearProcessLogs.
const CLEAR_PROCESS_LOGS_HELP: &str = "Clear the stdout and stderr logs for the named process and\nreopen them.\n\n@param string name   The name of the process (or 'group:name')\n@return boolean result      Always True unless error";

/// Help shared by getAPIVersion, getVersion.
const GET_VERSION_HELP: &str =
    "Return the version of the RPC API used by supervisord\n\n@return string version version id";

/// Help shared by readLog, readMainLog.
const READ_MAIN_LOG_HELP: &str = "Read length bytes from the main log starting at offset\n\n@param int offset         offset to start reading from.\n@param int length         number of bytes to read from the log.\n@return string result     Bytes of log";

/// Help shared by readProcessLog, readProcessStdoutLog.
const READ_PROCESS_STDOUT_LOG_HELP: &str = "Read length bytes from name's stdout log starting at offset\n\n@param string name        the name of the process (or 'group:name')\n@param int offset         offset to start reading from.\n@param int length         number of bytes to read from the log.\n@return string result     Bytes of log";

/// Help shared by tailProcessLog, tailProcessStdoutLog.
const TAIL_PROCESS_STDOUT_LOG_HELP: &str = "Provides a more efficient way to tail the (stdout) log than\nreadProcessStdoutLog().\n\n@param string name         the name of the process (or 'group:name')\n@param int offset          offset to start reading from\n@param int length          maximum number of bytes to return\n@return array result       [string bytes, int offset, bool overflow]";

/// The `supervisor` namespace (also served under any other
/// `[rpcinterface:x]` name that uses the standard factory).
const SUPERVISOR: &[Spec] = &[
    m(
        "addProcessGroup",
        &["boolean", "string"],
        "Update the config for a running process from config file.\n\n@param string name         name of process group to add\n@return boolean result     true if successful",
    ),
    m(
        "clearAllProcessLogs",
        &["array"],
        "Clear all process log files\n\n@return array result   An array of process status info structs",
    ),
    m(
        "clearLog",
        &["boolean"],
        "Clear the main log.\n\n@return boolean result always returns True unless error",
    ),
    m(
        "clearProcessLog",
        &["boolean", "string"],
        CLEAR_PROCESS_LOGS_HELP,
    ),
    m(
        "clearProcessLogs",
        &["boolean", "string"],
        CLEAR_PROCESS_LOGS_HELP,
    ),
    m("getAPIVersion", &["string"], GET_VERSION_HELP),
    m(
        "getAllConfigInfo",
        &["array"],
        "Get info about all available process configurations. Each struct\nrepresents a single process (i.e. groups get flattened).\n\n@return array result  An array of process config info structs",
    ),
    m(
        "getAllProcessInfo",
        &["array"],
        "Get info about all processes\n\n@return array result  An array of process status results",
    ),
    m(
        "getIdentification",
        &["string"],
        "Return identifying string of supervisord\n\n@return string identifier identifying string",
    ),
    m(
        "getPID",
        &["int"],
        "Return the PID of supervisord\n\n@return int PID",
    ),
    m(
        "getProcessInfo",
        &["struct", "string"],
        "Get info about a process named name\n\n@param string name The name of the process (or 'group:name')\n@return struct result     A structure containing data about the process",
    ),
    m(
        "getState",
        &["struct"],
        "Return current state of supervisord as a struct\n\n@return struct A struct with keys int statecode, string statename",
    ),
    m(
        "getSupervisorVersion",
        &["string"],
        "Return the version of the supervisor package in use by supervisord\n\n@return string version version id",
    ),
    m("getVersion", &["string"], GET_VERSION_HELP),
    m("readLog", &["string", "int", "int"], READ_MAIN_LOG_HELP),
    m("readMainLog", &["string", "int", "int"], READ_MAIN_LOG_HELP),
    m(
        "readProcessLog",
        &["string", "string", "int", "int"],
        READ_PROCESS_STDOUT_LOG_HELP,
    ),
    m(
        "readProcessStderrLog",
        &["string", "string", "int", "int"],
        "Read length bytes from name's stderr log starting at offset\n\n@param string name        the name of the process (or 'group:name')\n@param int offset         offset to start reading from.\n@param int length         number of bytes to read from the log.\n@return string result     Bytes of log",
    ),
    m(
        "readProcessStdoutLog",
        &["string", "string", "int", "int"],
        READ_PROCESS_STDOUT_LOG_HELP,
    ),
    m(
        "reloadConfig",
        &["array"],
        "Reload the configuration.\n\nThe result contains three arrays containing names of process\ngroups:\n\n* `added` gives the process groups that have been added\n* `changed` gives the process groups whose contents have\n  changed\n* `removed` gives the process groups that are no longer\n  in the configuration\n\n@return array result  [[added, changed, removed]]",
    ),
    m(
        "removeProcessGroup",
        &["boolean", "string"],
        "Remove a stopped process from the active configuration.\n\n@param string name         name of process group to remove\n@return boolean result     Indicates whether the removal was successful",
    ),
    m(
        "restart",
        &["boolean"],
        "Restart the supervisor process\n\n@return boolean result  always return True unless error",
    ),
    m(
        "sendProcessStdin",
        &["boolean", "string", "string"],
        "Send a string of chars to the stdin of the process name.\nIf non-7-bit data is sent (unicode), it is encoded to utf-8\nbefore being sent to the process' stdin.  If chars is not a\nstring or is not unicode, raise INCORRECT_PARAMETERS.  If the\nprocess is not running, raise NOT_RUNNING.  If the process'\nstdin cannot accept input (e.g. it was closed by the child\nprocess), raise NO_FILE.\n\n@param string name        The process name to send to (or 'group:name')\n@param string chars       The character data to send to the process\n@return boolean result    Always return True unless error",
    ),
    m(
        "sendRemoteCommEvent",
        &["boolean", "string", "string"],
        "Send an event that will be received by event listener\nsubprocesses subscribing to the RemoteCommunicationEvent.\n\n@param  string  type  String for the \"type\" key in the event header\n@param  string  data  Data for the event body\n@return boolean       Always return True unless error",
    ),
    m(
        "shutdown",
        &["boolean"],
        "Shut down the supervisor process\n\n@return boolean result always returns True unless error",
    ),
    m(
        "signalAllProcesses",
        &["array", "string"],
        "Send a signal to all processes in the process list\n\n@param string signal    Signal to send, as name ('HUP') or number ('1')\n@return array          An array of process status info structs",
    ),
    m(
        "signalProcess",
        &["boolean", "string", "string"],
        "Send an arbitrary UNIX signal to the process named by name\n\n@param string name    Name of the process to signal (or 'group:name')\n@param string signal  Signal to send, as name ('HUP') or number ('1')\n@return boolean",
    ),
    m(
        "signalProcessGroup",
        &["array", "string", "string"],
        "Send a signal to all processes in the group named 'name'\n\n@param string name    The group name\n@param string signal  Signal to send, as name ('HUP') or number ('1')\n@return array",
    ),
    w(
        "startAllProcesses",
        &["array", "boolean"],
        "Start all processes listed in the configuration file\n\n@param boolean wait    Wait for each process to be fully started\n@return array result   An array of process status info structs",
    ),
    w(
        "startProcess",
        &["boolean", "string", "boolean"],
        "Start a process\n\n@param string name Process name (or ``group:name``, or ``group:*``)\n@param boolean wait Wait for process to be fully started\n@return boolean result     Always true unless error",
    ),
    w(
        "startProcessGroup",
        &["array", "string", "boolean"],
        "Start all processes in the group named 'name'\n\n@param string name     The group name\n@param boolean wait    Wait for each process to be fully started\n@return array result   An array of process status info structs",
    ),
    w(
        "stopAllProcesses",
        &["array", "boolean"],
        "Stop all processes in the process list\n\n@param  boolean wait   Wait for each process to be fully stopped\n@return array result   An array of process status info structs",
    ),
    w(
        "stopProcess",
        &["boolean", "string", "boolean"],
        "Stop a process named by name\n\n@param string name  The name of the process to stop (or 'group:name')\n@param boolean wait        Wait for the process to be fully stopped\n@return boolean result     Always return True unless error",
    ),
    w(
        "stopProcessGroup",
        &["array", "string", "boolean"],
        "Stop all processes in the process group named 'name'\n\n@param string name     The group name\n@param boolean wait    Wait for each process to be fully stopped\n@return array result   An array of process status info structs",
    ),
    m(
        "tailProcessLog",
        &["array", "string", "int", "int"],
        TAIL_PROCESS_STDOUT_LOG_HELP,
    ),
    m(
        "tailProcessStderrLog",
        &["array", "string", "int", "int"],
        "Provides a more efficient way to tail the (stderr) log than\nreadProcessStderrLog().\n\n@param string name         the name of the process (or 'group:name')\n@param int offset          offset to start reading from\n@param int length          maximum number of bytes to return\n@return array result       [string bytes, int offset, bool overflow]",
    ),
    m(
        "tailProcessStdoutLog",
        &["array", "string", "int", "int"],
        TAIL_PROCESS_STDOUT_LOG_HELP,
    ),
];

const SYSTEM: &[Spec] = &[
    m(
        "listMethods",
        &["array"],
        "Return an array listing the available method names\n\n@return array result  An array of method names available (strings).",
    ),
    m(
        "methodHelp",
        &["string", "string"],
        "Return a string showing the method's documentation\n\n@param string name   The name of the method.\n@return string result The documentation for the method name.",
    ),
    m(
        "methodSignature",
        &["array", "string"],
        "Return an array describing the method signature in the\nform [rtype, ptype, ptype...] where rtype is the return data type\nof the method, and ptypes are the parameter data types that the\nmethod accepts in method argument order.\n\n@param string name  The name of the method.\n@return array result  The result.",
    ),
    m(
        "multicall",
        &["array", "array"],
        "Process an array of calls, and return an array of\nresults. Calls should be structs of the form {'methodName':\nstring, 'params': array}. Each result will either be a\nsingle-item array containing the result value, or a struct of\nthe form {'faultCode': int, 'faultString': string}. This is\nuseful when you need to make lots of small calls without lots\nof round trips.\n\n@param array calls  An array of call requests\n@return array result  An array of results",
    ),
];

/// What a call comes to: an answer now, or a wait to park.
enum Answer {
    Now(Reply),
    Later(Wait),
}

impl From<Reply> for Answer {
    fn from(r: Reply) -> Answer {
        Answer::Now(r)
    }
}

/// A call waiting for process states to settle.
enum Wait {
    /// `startProcess(name, wait=True)`: until RUNNING.
    Start { id: u64, name: String },
    /// `stopProcess(name, wait=True)`: until stopped; says so every 2 s.
    Stop {
        id: u64,
        last_report: Option<Duration>,
    },
    /// A group or `All` call: result structs so far, and waits left.
    Many {
        results: Vec<Value>,
        waits: Vec<(u64, Wait)>,
    },
    /// A multicall: results so far, the call being waited on, the rest.
    Multi {
        results: Vec<Value>,
        current: Option<Box<Wait>>,
        rest: VecDeque<Value>,
    },
}

struct Parked {
    reply: Sender<Reply>,
    /// The method, for the trace line when it is answered.
    name: String,
    wait: Wait,
}

/// The last configuration read (start-up or `reloadConfig`), which
/// `addProcessGroup` and `getAllConfigInfo` work from.
struct ParsedGroup {
    config: GroupConfig,
    /// This is the very configuration an active group was made from, so
    /// its AUTO log paths show resolved (4.3 resolves them in place).
    resolved: bool,
}

/// The API's state on the loop's side.
pub struct Rpc {
    /// Names under which the `supervisor` methods are served.
    namespaces: Vec<String>,
    parked: Vec<Parked>,
    parsed: Vec<ParsedGroup>,
    /// The supervisor's generation when parked calls were last checked.
    checked: u64,
}

/// Reads the configuration again (the reactor's `reload`).
pub type Reload<'a> = &'a dyn Fn() -> Result<ServerConfig, ConfigError>;

/// Checks a new configuration before a restart: it must load, and its
/// main log must open, or the daemon goes on as it is.
pub fn prepare_restart(reload: Reload<'_>) -> Result<(ServerConfig, MainLog), String> {
    let cfg = reload().map_err(|e| match &e.detail {
        Some(d) => format!("{} ({d})", e.message),
        None => e.message,
    })?;
    let log = MainLog::open(&cfg.supervisord, cfg.supervisord.nodaemon)?;
    Ok((cfg, log))
}

impl Rpc {
    pub fn new(cfg: &ServerConfig) -> Rpc {
        let namespaces = cfg
            .rpcinterfaces
            .iter()
            .filter(|r| r.factory == MAIN_RPC_FACTORY)
            .map(|r| r.name.clone())
            .collect();
        Rpc {
            namespaces,
            parked: Vec::new(),
            parsed: cfg
                .groups
                .iter()
                .map(|g| ParsedGroup {
                    config: g.clone(),
                    resolved: true,
                })
                .collect(),
            checked: 0,
        }
    }

    /// Answers a call now, or parks it.
    pub fn handle(
        &mut self,
        sup: &mut Supervisor,
        reload: Reload<'_>,
        call: MethodCall,
        reply: Sender<Reply>,
    ) {
        if sup.log.enabled(Level::Trace) {
            sup.log(
                Level::Trace,
                &format!("XML-RPC method called: {}()", call.name),
            );
        }
        let name = call.name.clone();
        match self.call(sup, reload, &call.name, &call.params) {
            Answer::Now(r) => {
                trace_result(sup, &name, &r);
                let _ = reply.send(r);
            }
            Answer::Later(wait) => self.parked.push(Parked { reply, name, wait }),
        }
    }

    /// Re-checks every parked call, when something they wait on may have
    /// changed (the supervisor's generation moved) or a stop report is
    /// due; answers those that are done.
    pub fn poll(&mut self, sup: &mut Supervisor, reload: Reload<'_>) {
        if self.parked.is_empty() {
            return;
        }
        let report_due = self.next_deadline().is_some_and(|at| at <= sup.now());
        if sup.generation == self.checked && !report_due {
            return;
        }
        self.checked = sup.generation;
        let parked = std::mem::take(&mut self.parked);
        for mut p in parked {
            match self.poll_wait(sup, reload, &mut p.wait) {
                Some(r) => {
                    trace_result(sup, &p.name, &r);
                    let _ = p.reply.send(r);
                }
                None => self.parked.push(p),
            }
        }
    }

    /// When the loop must wake for a parked call (a stop's report).
    pub fn next_deadline(&self) -> Option<Duration> {
        fn of(w: &Wait) -> Option<Duration> {
            match w {
                Wait::Start { .. } => None,
                Wait::Stop { last_report, .. } => last_report.map(|t| t + STOP_REPORT_EVERY),
                Wait::Many { waits, .. } => waits.iter().filter_map(|(_, w)| of(w)).min(),
                Wait::Multi { current, .. } => current.as_deref().and_then(of),
            }
        }
        self.parked.iter().filter_map(|p| of(&p.wait)).min()
    }

    /// The loop is ending: parked calls get SHUTDOWN_STATE.
    pub fn abandon_all(&mut self) {
        for p in self.parked.drain(..) {
            let _ = p.reply.send(Err(bare(SHUTDOWN_STATE)));
        }
    }

    /// The file a `/logtail` or `/mainlogtail` stream follows.
    pub fn tail_path(&self, sup: &Supervisor, target: &TailTarget) -> Option<PathBuf> {
        match target {
            TailTarget::Main => sup.log.path().map(Path::to_path_buf),
            TailTarget::Process { namespec, channel } => {
                let (_, id) = sup.lookup(namespec)?;
                let ch = match channel.as_str() {
                    "stdout" => Channel::Stdout,
                    "stderr" => Channel::Stderr,
                    _ => return None,
                };
                sup.log_path(id?, ch).map(Path::to_path_buf)
            }
        }
    }

    fn call(
        &mut self,
        sup: &mut Supervisor,
        reload: Reload<'_>,
        method: &str,
        params: &[Value],
    ) -> Answer {
        // 4.3's traverse(): exactly `namespace.method`, nothing private.
        // No table name holds a dot or starts with `_` (4.3's private
        // methods), so those are unknown here too.
        let Some(spec) = self.spec(method) else {
            return Err(bare(UNKNOWN_METHOD)).into();
        };
        let (ns, name) = (method.split_once('.').unwrap_or_default().0, spec.name);
        let max = spec.sig.len() - 1;
        if params.len() > max || params.len() < max - spec.optional {
            return Err(bare(INCORRECT_PARAMETERS)).into();
        }
        if ns == "system" {
            return self.system(sup, reload, name, params);
        }
        // Every supervisor.* method but sendRemoteCommEvent refuses while
        // supervisord stops.
        if sup.mood != Mood::Running && name != "sendRemoteCommEvent" {
            return Err(bare(SHUTDOWN_STATE)).into();
        }
        match self.supervisor(sup, reload, name, params) {
            Ok(a) => a,
            Err(f) => Answer::Now(Err(f)),
        }
    }

    fn system(
        &mut self,
        sup: &mut Supervisor,
        reload: Reload<'_>,
        name: &str,
        params: &[Value],
    ) -> Answer {
        match name {
            "listMethods" => Ok(Value::Array(
                self.method_names().into_iter().map(Value::String).collect(),
            ))
            .into(),
            "methodHelp" | "methodSignature" => {
                let Some(spec) = params[0].as_str().and_then(|n| self.spec(n)) else {
                    return Err(bare(SIGNATURE_UNSUPPORTED)).into();
                };
                if name == "methodHelp" {
                    Ok(Value::String(spec.help.to_string())).into()
                } else {
                    Ok(Value::Array(
                        spec.sig
                            .iter()
                            .map(|t| Value::String(t.to_string()))
                            .collect(),
                    ))
                    .into()
                }
            }
            "multicall" => {
                let Value::Array(calls) = &params[0] else {
                    return Err(bare(INCORRECT_PARAMETERS)).into();
                };
                let mut wait = Wait::Multi {
                    results: Vec::new(),
                    current: None,
                    rest: calls.iter().cloned().collect(),
                };
                // Run the calls that answer at once; park at the first wait.
                match self.poll_wait(sup, reload, &mut wait) {
                    Some(r) => Answer::Now(r),
                    None => Answer::Later(wait),
                }
            }
            _ => Err(bare(UNKNOWN_METHOD)).into(),
        }
    }

    fn method_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .namespaces
            .iter()
            .flat_map(|ns| SUPERVISOR.iter().map(move |s| format!("{ns}.{}", s.name)))
            .chain(SYSTEM.iter().map(|s| format!("system.{}", s.name)))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn spec(&self, method: &str) -> Option<&'static Spec> {
        let (ns, name) = method.split_once('.')?;
        let table = if ns == "system" {
            SYSTEM
        } else if self.namespaces.iter().any(|n| n == ns) {
            SUPERVISOR
        } else {
            return None;
        };
        table.iter().find(|s| s.name == name)
    }

    fn supervisor(
        &mut self,
        sup: &mut Supervisor,
        reload: Reload<'_>,
        name: &str,
        p: &[Value],
    ) -> Result<Answer, Fault> {
        let now = |r: Value| Ok(Answer::Now(Ok(r)));
        match name {
            "getAPIVersion" | "getVersion" => now(Value::String(API_VERSION.into())),
            "getSupervisorVersion" => now(Value::String(super::COMPAT_VERSION.into())),
            "getIdentification" => now(Value::String(sup.cfg.supervisord.identifier.clone())),
            "getState" => now(Value::Struct(vec![
                ("statecode".into(), Value::Int(1)),
                ("statename".into(), Value::String("RUNNING".into())),
            ])),
            "getPID" => now(Value::Int(i64::from(std::process::id()))),
            "readLog" | "readMainLog" => {
                let (offset, length) = (int_arg(&p[0])?, int_arg(&p[1])?);
                let path = main_log_file(sup)?;
                now(Value::String(read_file(&path, offset, length)?))
            }
            "clearLog" => match sup.log.clear_log() {
                Ok(()) => now(Value::Bool(true)),
                Err(ClearLogError::NoFile) => Err(bare(NO_FILE)),
                Err(ClearLogError::Failed(_)) => Err(bare(FAILED)),
            },
            "shutdown" => {
                sup.set_mood(Mood::Shutdown);
                now(Value::Bool(true))
            }
            "restart" => match sup.request_restart(prepare_restart(reload)) {
                Ok(()) => now(Value::Bool(true)),
                Err(why) => Err(fault(CANT_REREAD, why)),
            },
            "getProcessInfo" => {
                let name = str_arg(&p[0])?;
                let (gi, id) = process_arg(sup, name)?;
                now(process_info(sup, gi, id))
            }
            "getAllProcessInfo" => {
                let mut all: Vec<(&str, &str, usize, u64)> = Vec::new();
                for (gi, g) in sup.groups.iter().enumerate() {
                    for &id in &g.members {
                        all.push((&g.config.name, &sup.procs[&id].cfg.name, gi, id));
                    }
                }
                all.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
                let list = all
                    .iter()
                    .map(|&(_, _, gi, id)| process_info(sup, gi, id))
                    .collect();
                now(Value::Array(list))
            }
            "getAllConfigInfo" => now(Value::Array(self.config_info(sup))),
            "startProcess" => {
                let name = str_arg(&p[0])?;
                let wait = p.get(1).is_none_or(truthy);
                Ok(start_process(sup, name, wait))
            }
            "startProcessGroup" | "stopProcessGroup" => {
                let gname = str_arg(&p[0])?;
                let wait = p.get(1).is_none_or(truthy);
                let Some(gi) = sup.groups.iter().position(|g| g.config.name == gname) else {
                    return Err(fault(BAD_NAME, gname));
                };
                let ids = sup.groups[gi].members.clone();
                Ok(if name == "startProcessGroup" {
                    start_many(sup, &ids, wait)
                } else {
                    stop_many(sup, &ids, wait)
                })
            }
            "startAllProcesses" | "stopAllProcesses" => {
                let wait = p.first().is_none_or(truthy);
                let ids = all_by_priority(sup);
                Ok(if name == "startAllProcesses" {
                    start_many(sup, &ids, wait)
                } else {
                    stop_many(sup, &ids, wait)
                })
            }
            "stopProcess" => {
                let name = str_arg(&p[0])?;
                let wait = p.get(1).is_none_or(truthy);
                Ok(stop_process(sup, name, wait))
            }
            "signalProcess" => {
                let name = str_arg(&p[0])?;
                Ok(Answer::Now(signal_process(sup, name, &p[1])))
            }
            "signalProcessGroup" => {
                let gname = str_arg(&p[0])?;
                let Some(gi) = sup.groups.iter().position(|g| g.config.name == gname) else {
                    return Err(fault(BAD_NAME, gname));
                };
                let ids = sup.groups[gi].members.clone();
                now(signal_many(sup, &ids, &p[1]))
            }
            "signalAllProcesses" => {
                let ids = all_by_priority(sup);
                now(signal_many(sup, &ids, &p[0]))
            }
            "sendProcessStdin" => {
                let Some(chars) = p[1].as_str() else {
                    return Err(fault(INCORRECT_PARAMETERS, py_str(&p[1])));
                };
                let name = str_arg(&p[0])?;
                let (_, id) = process_arg(sup, name)?;
                let m = &sup.procs[&id];
                if m.proc.pid == 0 || m.stopping() {
                    return Err(fault(NOT_RUNNING, name));
                }
                match sup.write_stdin(id, chars.as_bytes()) {
                    Ok(()) => now(Value::Bool(true)),
                    Err(StdinError::Closed) => Err(fault(NO_FILE, name)),
                    Err(StdinError::Full) => Err(fault(
                        FAILED,
                        format!("{name}: stdin is not being read and its buffer is full"),
                    )),
                }
            }
            "sendRemoteCommEvent" => {
                // Checked as 4.3 checks them; with no event bus yet there is
                // no listener to hand the event to (docs/compat.md).
                str_arg(&p[0])?;
                str_arg(&p[1])?;
                now(Value::Bool(true))
            }
            "reloadConfig" => {
                let cfg = reload().map_err(|e| fault(CANT_REREAD, e.message))?;
                now(self.reread(sup, cfg))
            }
            "addProcessGroup" => {
                let gname = str_arg(&p[0])?;
                let Some(pg) = self.parsed.iter_mut().find(|g| g.config.name == gname) else {
                    return Err(fault(BAD_NAME, gname));
                };
                if sup.groups.iter().any(|g| g.config.name == gname) {
                    return Err(fault(ALREADY_ADDED, gname));
                }
                pg.resolved = true;
                let config = pg.config.clone();
                sup.add_group(config);
                now(Value::Bool(true))
            }
            "removeProcessGroup" => {
                let gname = str_arg(&p[0])?;
                let Some(gi) = sup.groups.iter().position(|g| g.config.name == gname) else {
                    return Err(fault(BAD_NAME, gname));
                };
                if !sup.remove_group(gi) {
                    return Err(fault(STILL_RUNNING, gname));
                }
                now(Value::Bool(true))
            }
            "readProcessStdoutLog" | "readProcessLog" | "readProcessStderrLog" => {
                let ch = if name == "readProcessStderrLog" {
                    Channel::Stderr
                } else {
                    Channel::Stdout
                };
                let pname = str_arg(&p[0])?;
                let (offset, length) = (int_arg(&p[1])?, int_arg(&p[2])?);
                let (_, id) = process_arg(sup, pname)?;
                let Some(path) = sup.log_path(id, ch) else {
                    return Err(bare(NO_FILE));
                };
                if !path.exists() {
                    return Err(fault(NO_FILE, path.display()));
                }
                now(Value::String(read_file(path, offset, length)?))
            }
            "tailProcessStdoutLog" | "tailProcessLog" | "tailProcessStderrLog" => {
                let ch = if name == "tailProcessStderrLog" {
                    Channel::Stderr
                } else {
                    Channel::Stdout
                };
                let pname = str_arg(&p[0])?;
                let (offset, length) = (int_arg(&p[1])?, int_arg(&p[2])?);
                let (_, id) = process_arg(sup, pname)?;
                let result = match sup.log_path(id, ch).filter(|p| p.exists()) {
                    None => vec![
                        Value::String(String::new()),
                        Value::Int(0),
                        Value::Bool(false),
                    ],
                    Some(path) => tail_file(path, offset, length),
                };
                now(Value::Array(result))
            }
            "clearProcessLogs" | "clearProcessLog" => {
                let pname = str_arg(&p[0])?;
                let (_, id) = process_arg(sup, pname)?;
                sup.clear_process_logs(id)
                    .map_err(|_| fault(FAILED, pname))?;
                now(Value::Bool(true))
            }
            "clearAllProcessLogs" => {
                let results = all_by_priority(sup)
                    .into_iter()
                    .map(|id| {
                        let r = sup
                            .clear_process_logs(id)
                            .map_err(|_| fault(FAILED, namespec(sup, id)));
                        result_struct(sup, id, r.err())
                    })
                    .collect();
                now(Value::Array(results))
            }
            _ => Err(bare(UNKNOWN_METHOD)),
        }
    }

    /// `reloadConfig`: the new configuration replaces the parsed one;
    /// nothing running changes. `[[added, changed, removed]]`.
    fn reread(&mut self, sup: &Supervisor, cfg: ServerConfig) -> Value {
        let names = |v: Vec<String>| Value::Array(v.into_iter().map(Value::String).collect());
        let mut added = Vec::new();
        let mut changed = Vec::new();
        for g in &cfg.groups {
            match sup.groups.iter().find(|a| a.config.name == g.name) {
                None => added.push(g.name.clone()),
                Some(a) if a.config != *g => changed.push(g.name.clone()),
                Some(_) => {}
            }
        }
        let removed = sup
            .groups
            .iter()
            .filter(|a| !cfg.groups.iter().any(|g| g.name == a.config.name))
            .map(|a| a.config.name.clone())
            .collect();
        self.parsed = cfg
            .groups
            .into_iter()
            .map(|config| ParsedGroup {
                config,
                resolved: false,
            })
            .collect();
        Value::Array(vec![Value::Array(vec![
            names(added),
            names(changed),
            names(removed),
        ])])
    }

    /// `getAllConfigInfo` over the last parsed configuration, with 4.3's
    /// keys in its order, sorted by process name.
    fn config_info(&self, sup: &Supervisor) -> Vec<Value> {
        let mut out: Vec<(String, Value)> = Vec::new();
        for pg in &self.parsed {
            let g = &pg.config;
            let active = sup.groups.iter().position(|a| a.config.name == g.name);
            for pc in &g.processes {
                // The resolved AUTO path, when this config is the one the
                // active process was made from.
                let resolved = |ch: Channel| {
                    let gi = active.filter(|_| pg.resolved)?;
                    let id = sup.groups[gi]
                        .members
                        .iter()
                        .copied()
                        .find(|id| sup.procs[id].cfg.name == pc.name)?;
                    sup.log_path(id, ch).map(|p| p.display().to_string())
                };
                out.push((
                    pc.name.clone(),
                    config_struct(g, pc, active.is_some(), resolved),
                ));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.into_iter().map(|(_, v)| v).collect()
    }

    fn poll_wait(
        &mut self,
        sup: &mut Supervisor,
        reload: Reload<'_>,
        wait: &mut Wait,
    ) -> Option<Reply> {
        match wait {
            Wait::Start { id, name } => {
                let Some(m) = sup.procs.get(id) else {
                    return Some(Err(fault(ABNORMAL_TERMINATION, &*name)));
                };
                if m.proc.spawnerr.is_some() {
                    return Some(Err(fault(SPAWN_ERROR, &*name)));
                }
                match m.proc.state {
                    ProcessState::Running => Some(Ok(Value::Bool(true))),
                    ProcessState::Starting => None,
                    _ => Some(Err(fault(ABNORMAL_TERMINATION, &*name))),
                }
            }
            Wait::Stop { id, last_report } => {
                let Some(m) = sup.procs.get(id) else {
                    return Some(Ok(Value::Bool(true)));
                };
                if m.proc.state.is_stopped() {
                    return Some(Ok(Value::Bool(true)));
                }
                let now = sup.now();
                if m.proc.state == ProcessState::Stopping
                    && last_report.is_none_or(|t| now >= t + STOP_REPORT_EVERY)
                {
                    let msg = format!("waiting for {} to stop", m.proc.name);
                    *last_report = Some(now);
                    sup.log(Level::Info, &msg);
                }
                None
            }
            Wait::Many { results, waits } => {
                let mut left = Vec::new();
                for (id, mut w) in std::mem::take(waits) {
                    match self.poll_wait(sup, reload, &mut w) {
                        None => left.push((id, w)),
                        Some(r) => results.push(result_struct(sup, id, r.err())),
                    }
                }
                *waits = left;
                waits
                    .is_empty()
                    .then(|| Ok(Value::Array(std::mem::take(results))))
            }
            Wait::Multi {
                results,
                current,
                rest,
            } => loop {
                if let Some(cur) = current.as_mut() {
                    results.push(multicall_value(self.poll_wait(sup, reload, cur)?));
                    *current = None;
                }
                let Some(next) = rest.pop_front() else {
                    return Some(Ok(Value::Array(std::mem::take(results))));
                };
                match self.multicall_entry(sup, reload, &next) {
                    Answer::Now(r) => results.push(multicall_value(r)),
                    Answer::Later(w) => *current = Some(Box::new(w)),
                }
            },
        }
    }

    fn multicall_entry(
        &mut self,
        sup: &mut Supervisor,
        reload: Reload<'_>,
        entry: &Value,
    ) -> Answer {
        let Value::Struct(members) = entry else {
            return Err(fault(
                FAILED,
                format!(
                    "<class 'AttributeError'>:'{}' object has no attribute 'get'",
                    py_type(entry)
                ),
            ))
            .into();
        };
        let get = |k: &str| members.iter().find(|(n, _)| n == k).map(|(_, v)| v);
        let Some(method) = get("methodName") else {
            return Err(fault(INCORRECT_PARAMETERS, "No methodName")).into();
        };
        let Some(method) = method.as_str() else {
            return Err(bare(UNKNOWN_METHOD)).into();
        };
        if method == "system.multicall" {
            return Err(fault(
                INCORRECT_PARAMETERS,
                "Recursive system.multicall forbidden",
            ))
            .into();
        }
        let params: &[Value] = match get("params") {
            None => &[],
            Some(Value::Array(a)) => a,
            Some(_) => return Err(bare(INCORRECT_PARAMETERS)).into(),
        };
        self.call(sup, reload, method, params)
    }
}

/// multicall results: bare values, faults as structs (rpc.md §6.3).
fn multicall_value(r: Reply) -> Value {
    r.unwrap_or_else(|f| f.to_value())
}

fn trace_result(sup: &mut Supervisor, name: &str, r: &Reply) {
    if !sup.log.enabled(Level::Trace) {
        return;
    }
    let msg = match r {
        Ok(_) => format!("XML-RPC method {name}() returned successfully"),
        Err(f) => format!(
            "XML-RPC method {name}() returned fault: [{}] {}",
            f.code, f.string
        ),
    };
    sup.log(Level::Trace, &msg);
}

fn str_arg(v: &Value) -> Result<&str, Fault> {
    v.as_str().ok_or_else(|| bare(INCORRECT_PARAMETERS))
}

/// Python's `int(x)` on what a client may send for an int.
fn int_arg(v: &Value) -> Result<i64, Fault> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Double(d) if d.is_finite() => Ok(d.trunc() as i64),
        Value::String(s) => values::py_int(s).ok_or_else(|| bare(INCORRECT_PARAMETERS)),
        _ => Err(bare(INCORRECT_PARAMETERS)),
    }
}

/// Python truthiness, which is all 4.3 asks of `wait`.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Int(i) => *i != 0,
        Value::Bool(b) => *b,
        Value::Double(d) => *d != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Base64(b) => !b.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Struct(s) => !s.is_empty(),
        Value::DateTime(_) => true,
        Value::Nil => false,
    }
}

fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "int",
        Value::Bool(_) => "bool",
        Value::Double(_) => "float",
        Value::String(_) | Value::Base64(_) => "str",
        Value::Array(_) => "list",
        Value::Struct(_) => "dict",
        Value::DateTime(_) => "datetime.datetime",
        Value::Nil => "NoneType",
    }
}

/// Python's `str()` of a simple value, for fault details.
fn py_str(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Double(d) => crate::xmlrpc::float_repr(*d),
        Value::String(s) => s.clone(),
        Value::Nil => "None".to_string(),
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Struct(s) => format!(
            "{{{}}}",
            s.iter()
                .map(|(k, v)| format!("{}: {}", crate::config::pyfmt::repr_str(k), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::DateTime(t) => t.clone(),
        Value::Base64(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

fn py_repr(v: &Value) -> String {
    match v {
        Value::String(s) => crate::config::pyfmt::repr_str(s),
        other => py_str(other),
    }
}

fn namespec(sup: &Supervisor, id: u64) -> String {
    let m = &sup.procs[&id];
    crate::namespec::make(&m.group, &m.cfg.name)
}

/// Every process: groups by priority, processes by priority.
fn all_by_priority(sup: &Supervisor) -> Vec<u64> {
    sup.groups
        .iter()
        .flat_map(|g| g.members.iter().copied())
        .collect()
}

/// 4.3's `{name, group, status, description}` for group results.
fn result_struct(sup: &Supervisor, id: u64, f: Option<Fault>) -> Value {
    let (name, group) = sup
        .procs
        .get(&id)
        .map(|m| (m.cfg.name.clone(), m.group.clone()))
        .unwrap_or_default();
    let (status, description) = match f {
        None => (SUCCESS, "OK".to_string()),
        Some(f) => (f.code, f.string),
    };
    Value::Struct(vec![
        ("name".into(), Value::String(name)),
        ("group".into(), Value::String(group)),
        ("status".into(), Value::Int(status)),
        ("description".into(), Value::String(description)),
    ])
}

/// The group index and id of the process `name` names (not a group).
fn process_arg(sup: &Supervisor, name: &str) -> Result<(usize, u64), Fault> {
    match sup.lookup(name) {
        Some((gi, Some(id))) => Ok((gi, id)),
        _ => Err(fault(BAD_NAME, name)),
    }
}

fn start_process(sup: &mut Supervisor, name: &str, wait: bool) -> Answer {
    let Some((gi, id)) = sup.lookup(name) else {
        return Err(fault(BAD_NAME, name)).into();
    };
    let Some(id) = id else {
        let ids = sup.groups[gi].members.clone();
        return start_many(sup, &ids, wait);
    };
    let m = &sup.procs[&id];
    // 4.3 checks the command (only) before starting: NotFound is NO_FILE,
    // anything else NOT_EXECUTABLE.
    let path = spawn::child_path_var(&m.cfg.environment);
    if let Err(bad) = spawn::resolve_command(&m.cfg.command, Some(&path)) {
        let code = if bad.not_found {
            NO_FILE
        } else {
            NOT_EXECUTABLE
        };
        return Err(fault(code, bad.message)).into();
    }
    match m.proc.state {
        s if s.is_running() => return Err(fault(ALREADY_STARTED, name)).into(),
        ProcessState::Unknown => {
            return Err(fault(
                FAILED,
                format!("{name} is in an unknown process state"),
            ))
            .into();
        }
        _ => {}
    }
    sup.apply(id, Event::Start);
    sup.reap();
    if sup.procs[&id].proc.spawnerr.is_some() {
        return Err(fault(SPAWN_ERROR, name)).into();
    }
    sup.apply(id, Event::Tick);
    if wait && sup.procs[&id].proc.state != ProcessState::Running {
        return Answer::Later(Wait::Start {
            id,
            name: name.to_string(),
        });
    }
    Ok(Value::Bool(true)).into()
}

fn stop_process(sup: &mut Supervisor, name: &str, wait: bool) -> Answer {
    let Some((gi, id)) = sup.lookup(name) else {
        return Err(fault(BAD_NAME, name)).into();
    };
    let Some(id) = id else {
        let ids = sup.groups[gi].members.clone();
        return stop_many(sup, &ids, wait);
    };
    if !sup.procs[&id].proc.state.is_running() {
        return Err(fault(NOT_RUNNING, name)).into();
    }
    sup.apply(id, Event::Stop);
    if sup.procs[&id].proc.state == ProcessState::Unknown {
        let why = sup.procs[&id]
            .proc
            .spawnerr
            .clone()
            .unwrap_or_else(|| format!("could not stop {name}"));
        return Err(fault(FAILED, why)).into();
    }
    sup.reap();
    if wait && !sup.procs[&id].proc.state.is_stopped() {
        return Answer::Later(Wait::Stop {
            id,
            last_report: None,
        });
    }
    Ok(Value::Bool(true)).into()
}

/// 4.3's `make_allfunc`: the single-process call for each process that
/// passes the filter, immediate results in list order, waits after.
fn many(
    sup: &mut Supervisor,
    ids: &[u64],
    keep: fn(ProcessState) -> bool,
    one: &mut dyn FnMut(&mut Supervisor, &str) -> Answer,
) -> Answer {
    let mut results = Vec::new();
    let mut waits = Vec::new();
    for &id in ids {
        if !sup.procs.get(&id).is_some_and(|m| keep(m.proc.state)) {
            continue;
        }
        let name = namespec(sup, id);
        match one(sup, &name) {
            Answer::Now(r) => results.push(result_struct(sup, id, r.err())),
            Answer::Later(w) => waits.push((id, w)),
        }
    }
    if waits.is_empty() {
        Answer::Now(Ok(Value::Array(results)))
    } else {
        Answer::Later(Wait::Many { results, waits })
    }
}

fn start_many(sup: &mut Supervisor, ids: &[u64], wait: bool) -> Answer {
    many(sup, ids, |s| !s.is_running(), &mut |sup, n| {
        start_process(sup, n, wait)
    })
}

fn stop_many(sup: &mut Supervisor, ids: &[u64], wait: bool) -> Answer {
    many(sup, ids, ProcessState::is_running, &mut |sup, n| {
        stop_process(sup, n, wait)
    })
}

fn signal_many(sup: &mut Supervisor, ids: &[u64], signal: &Value) -> Value {
    match many(sup, ids, ProcessState::is_signallable, &mut |sup, n| {
        Answer::Now(signal_process(sup, n, signal))
    }) {
        Answer::Now(Ok(v)) => v,
        _ => Value::Array(Vec::new()),
    }
}

fn signal_process(sup: &mut Supervisor, name: &str, signal: &Value) -> Reply {
    let Some((gi, id)) = sup.lookup(name) else {
        return Err(fault(BAD_NAME, name));
    };
    let Some(id) = id else {
        let ids = sup.groups[gi].members.clone();
        return Ok(signal_many(sup, &ids, signal));
    };
    let number = match signal {
        Value::Int(n) => values::signal_number(&n.to_string()).ok(),
        Value::String(s) => values::signal_number(s).ok(),
        _ => None,
    };
    let Some(sig) = number else {
        return Err(fault(BAD_SIGNAL, py_str(signal)));
    };
    if !sup.procs[&id].proc.state.is_signallable() {
        return Err(fault(NOT_RUNNING, name));
    }
    sup.apply(id, Event::Signal { signal: sig });
    if sup.procs[&id].proc.state == ProcessState::Unknown {
        return Err(fault(FAILED, format!("could not signal {name}")));
    }
    Ok(Value::Bool(true))
}

/// 4.3's getProcessInfo struct, keys in its order.
fn process_info(sup: &Supervisor, gi: usize, id: u64) -> Value {
    let m = &sup.procs[&id];
    let unix = |d: Option<Duration>| {
        d.map_or(0, |d| {
            let t = sup.wall(d);
            let secs = t
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |x| x.as_secs() as i64);
            secs.min(i64::from(i32::MAX))
        })
    };
    let start = unix(m.proc.laststart);
    let stop = unix(m.proc.laststop);
    let now = unix(Some(sup.now()));
    let state = m.proc.state;
    let spawnerr = m.proc.spawnerr.clone().unwrap_or_default();
    let path = |ch| {
        sup.log_path(id, ch)
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    let stdout = path(Channel::Stdout);
    let description = match state {
        ProcessState::Running => format!(
            "pid {}, uptime {}",
            m.proc.pid,
            timefmt::uptime(now - start)
        ),
        ProcessState::Fatal | ProcessState::Backoff => {
            if spawnerr.is_empty() {
                format!("unknown error (try \"tail {}\")", m.cfg.name)
            } else {
                spawnerr.clone()
            }
        }
        ProcessState::Stopped | ProcessState::Exited => {
            if start == 0 {
                "Not started".to_string()
            } else {
                timefmt::stop_time(std::time::UNIX_EPOCH + Duration::from_secs(stop.max(0) as u64))
            }
        }
        _ => String::new(),
    };
    Value::Struct(vec![
        ("name".into(), Value::String(m.cfg.name.clone())),
        (
            "group".into(),
            Value::String(sup.groups[gi].config.name.clone()),
        ),
        ("start".into(), Value::Int(start)),
        ("stop".into(), Value::Int(stop)),
        ("now".into(), Value::Int(now)),
        ("state".into(), Value::Int(i64::from(state.code()))),
        ("statename".into(), Value::String(state.name().into())),
        ("spawnerr".into(), Value::String(spawnerr)),
        (
            "exitstatus".into(),
            Value::Int(i64::from(m.proc.exitstatus.unwrap_or(0))),
        ),
        ("logfile".into(), Value::String(stdout.clone())),
        ("stdout_logfile".into(), Value::String(stdout)),
        (
            "stderr_logfile".into(),
            Value::String(path(Channel::Stderr)),
        ),
        ("pid".into(), Value::Int(i64::from(m.proc.pid))),
        ("description".into(), Value::String(description)),
    ])
}

/// One getAllConfigInfo struct (4.3.0's keys, in its order).
fn config_struct(
    g: &GroupConfig,
    pc: &ProcessConfig,
    inuse: bool,
    resolved: impl Fn(Channel) -> Option<String>,
) -> Value {
    let none = || Value::String("none".into());
    let b = Value::Bool;
    let i = Value::Int;
    // The six keys of a channel, `stdout_*` or `stderr_*`, which 4.3 lists
    // together.
    let channel = |ch: Channel, cc: &ChannelConfig| {
        let logfile = match &cc.logfile {
            LogTarget::File(p) => Value::String(p.clone()),
            LogTarget::Auto => Value::String(resolved(ch).unwrap_or_else(|| "auto".into())),
            LogTarget::None | LogTarget::Syslog => none(),
        };
        let key = |k: &str| format!("{}_{k}", ch.name());
        vec![
            (key("capture_maxbytes"), i(cc.capture_maxbytes)),
            (key("events_enabled"), b(cc.events_enabled)),
            (key("logfile"), logfile),
            (key("logfile_backups"), i(cc.logfile_backups)),
            (key("logfile_maxbytes"), i(cc.logfile_maxbytes)),
            (key("syslog"), b(cc.syslog)),
        ]
    };
    let mut members = vec![
        ("autostart".into(), b(pc.autostart)),
        (
            "directory".into(),
            pc.directory.clone().map_or_else(none, Value::String),
        ),
        ("uid".into(), pc.uid.map_or_else(none, |u| i(i64::from(u)))),
        ("command".into(), Value::String(pc.command.clone())),
        (
            "exitcodes".into(),
            Value::Array(pc.exitcodes.iter().map(|&c| i(i64::from(c))).collect()),
        ),
        ("group".into(), Value::String(g.name.clone())),
        ("group_prio".into(), i(g.priority)),
        ("inuse".into(), b(inuse)),
        ("killasgroup".into(), b(pc.killasgroup)),
        ("name".into(), Value::String(pc.name.clone())),
        ("process_prio".into(), i(pc.priority)),
        ("redirect_stderr".into(), b(pc.redirect_stderr)),
        ("startretries".into(), i(pc.startretries)),
        ("startsecs".into(), i(pc.startsecs)),
    ];
    members.extend(channel(Channel::Stdout, &pc.stdout));
    members.push(("stopsignal".into(), i(i64::from(pc.stopsignal))));
    members.push(("stopwaitsecs".into(), i(pc.stopwaitsecs)));
    members.extend(channel(Channel::Stderr, &pc.stderr));
    members.push((
        "serverurl".into(),
        pc.serverurl.clone().map_or_else(none, Value::String),
    ));
    Value::Struct(members)
}

/// The main log's file for readLog: NO_FILE when there is none.
fn main_log_file(sup: &Supervisor) -> Result<PathBuf, Fault> {
    let configured = &sup.cfg.supervisord.logfile;
    match sup.log.path() {
        Some(p) if p.exists() => Ok(p.to_path_buf()),
        Some(p) => Err(fault(NO_FILE, p.display())),
        None if configured.eq_ignore_ascii_case("syslog") => Err(fault(NO_FILE, "syslog")),
        None => Err(bare(NO_FILE)),
    }
}

/// Log bytes as text without a second copy when they are valid UTF-8
/// (the usual case; a read can be 128 MiB). Invalid sequences become
/// U+FFFD (docs/compat.md).
fn lossy_text(data: Vec<u8>) -> String {
    String::from_utf8(data).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// 4.3's `readFile` (rpc.md §5.4). Bytes that are not UTF-8 come back
/// as U+FFFD; 4.3 fails the whole request with an HTTP 500 instead.
fn read_file(path: &Path, offset: i64, length: i64) -> Result<String, Fault> {
    if (offset < 0 && length != 0) || (offset >= 0 && length < 0) {
        return Err(bare(BAD_ARGUMENTS));
    }
    let failed = |_| bare(FAILED);
    let mut f = File::open(path).map_err(failed)?;
    let size = f.metadata().map_err(failed)?.len();
    let (from, want) = if offset < 0 {
        let back = offset.unsigned_abs();
        (size.saturating_sub(back), back.min(size))
    } else {
        let from = offset as u64;
        let rest = size.saturating_sub(from);
        (
            from,
            if length == 0 {
                rest
            } else {
                rest.min(length as u64)
            },
        )
    };
    if want > MAX_READ {
        return Err(fault(
            FAILED,
            format!("{want} bytes asked for; read at most {MAX_READ} at a time"),
        ));
    }
    let mut data = Vec::with_capacity(want as usize);
    f.seek(SeekFrom::Start(from)).map_err(failed)?;
    f.take(want).read_to_end(&mut data).map_err(failed)?;
    Ok(lossy_text(data))
}

/// 4.3's `tailFile` (rpc.md §5.5): `[bytes, size, overflow]`.
fn tail_file(path: &Path, offset: i64, length: i64) -> Vec<Value> {
    let read = || -> std::io::Result<Vec<Value>> {
        let mut f = File::open(path)?;
        let sz = f.metadata()?.len() as i64;
        let (mut offset, mut length) = (offset, length.min(MAX_READ as i64));
        let mut overflow = false;
        if sz > offset.saturating_add(length) {
            overflow = true;
            offset = sz - 1;
        }
        if offset.saturating_add(length) > sz {
            if offset > sz - 1 {
                length = 0;
            }
            offset = sz - length;
        }
        let offset = offset.max(0);
        let length = length.max(0);
        let mut data = Vec::new();
        if length > 0 {
            f.seek(SeekFrom::Start(offset as u64))?;
            f.take(length as u64).read_to_end(&mut data)?;
        }
        Ok(vec![
            Value::String(lossy_text(data)),
            Value::Int(sz),
            Value::Bool(overflow),
        ])
    };
    read().unwrap_or_else(|_| {
        vec![
            Value::String(String::new()),
            Value::Int(offset),
            Value::Bool(false),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    fn thirty_bytes() -> (TempDir, PathBuf) {
        let dir = TempDir::new("rpc-read");
        let p = PathBuf::from(dir.file("log", b"exit2 starting\nexit2 starting\n", 0o644));
        (dir, p)
    }

    #[test]
    fn read_file_follows_4_3s_table() {
        let (_d, p) = thirty_bytes();
        assert_eq!(
            read_file(&p, 0, 0).unwrap(),
            "exit2 starting\nexit2 starting\n"
        );
        assert_eq!(read_file(&p, -5, 0).unwrap(), "ting\n");
        assert_eq!(read_file(&p, -500, 0).unwrap().len(), 30);
        assert_eq!(read_file(&p, -50, 10).unwrap_err().code, BAD_ARGUMENTS);
        assert_eq!(read_file(&p, 0, -1).unwrap_err().code, BAD_ARGUMENTS);
        assert_eq!(read_file(&p, 100_000_000, 10).unwrap(), "");
        assert_eq!(read_file(&p, 6, 8).unwrap(), "starting");
    }

    #[test]
    fn tail_file_follows_4_3s_algorithm() {
        let (_d, p) = thirty_bytes();
        let t = |o, l| tail_file(&p, o, l);
        assert_eq!(
            t(0, 5),
            vec![
                Value::String("ting\n".into()),
                Value::Int(30),
                Value::Bool(true)
            ]
        );
        assert_eq!(
            t(0, 100)[0],
            Value::String("exit2 starting\nexit2 starting\n".into())
        );
        assert_eq!(t(0, 100)[2], Value::Bool(false));
        assert_eq!(
            t(1000, 100),
            vec![
                Value::String(String::new()),
                Value::Int(30),
                Value::Bool(false)
            ]
        );
        assert_eq!(t(3, 4)[2], Value::Bool(true));
        assert_eq!(
            tail_file(Path::new("/nonexistent/x"), 7, 1),
            vec![
                Value::String(String::new()),
                Value::Int(7),
                Value::Bool(false)
            ]
        );
    }

    #[test]
    fn wait_arguments_follow_python_truthiness() {
        assert!(truthy(&Value::String("no".into())));
        assert!(!truthy(&Value::String(String::new())));
        assert!(!truthy(&Value::Int(0)));
        assert!(!truthy(&Value::Nil));
    }

    #[test]
    fn every_listed_method_has_a_signature_and_help() {
        assert_eq!(SUPERVISOR.len() + SYSTEM.len(), 41);
        for s in SUPERVISOR.iter().chain(SYSTEM) {
            assert!(!s.help.is_empty() && !s.sig.is_empty(), "{}", s.name);
        }
        let mut names: Vec<&str> = SUPERVISOR.iter().map(|s| s.name).collect();
        let sorted = {
            let mut v = names.clone();
            v.sort();
            v
        };
        assert_eq!(names, sorted);
        names.dedup();
        assert_eq!(names.len(), SUPERVISOR.len());
    }
}
