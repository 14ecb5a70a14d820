//! Every `supervisorctl` command, with 4.3's output and exit statuses.
//!
//! [`Controller::onecmd`] is 4.3's `Controller.onecmd`: it splits a line
//! into a command and its argument text as Python's `cmd` module does,
//! runs it, and turns anything unexpected into 4.3's generic
//! `error: <class ...>, ...` line with exit status 1. Each `do_*` is the
//! 4.3 method of that name; where their wording or exit status is odd,
//! it is 4.3's oddity, kept because scripts depend on it.
//!
//! The exit status is latched as in 4.3: set by errors, never reset by a
//! later success in the same command.

use std::io::{self, IsTerminal, Write};

use super::client::{CallError, Server};
use super::follow::{self, CtrlC, Input, Woke};
use super::help;
use crate::faults;
use crate::pytext;
use crate::xmlrpc::Value;

/// LSB init-script exit statuses, as 4.3 names them.
pub mod exit {
    pub const GENERIC: i32 = 1;
    pub const INVALID_ARGS: i32 = 2;
    pub const UNIMPLEMENTED_FEATURE: i32 = 3;
    pub const INSUFFICIENT_PRIVILEGES: i32 = 4;
    pub const NOT_INSTALLED: i32 = 5;
    pub const NOT_RUNNING: i32 = 7;
    /// `status`: a listed process is not running.
    pub const STATUS_NOT_RUNNING: i32 = 3;
    /// `status`: an unknown name, or no server.
    pub const STATUS_UNKNOWN: i32 = 4;
}

/// Process state codes (states.md) that count as stopped.
const STOPPED_STATES: [i64; 4] = [0, 100, 200, 1000];
const RUNNING: i64 = 20;
/// The XML-RPC API version this client speaks.
const API_VERSION: &str = "3.0";

type Result<T> = std::result::Result<T, CallError>;

/// Whether the shell goes on after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

pub struct Controller {
    pub server: Server,
    /// `-i`, or no command given: y/N confirmations and credential prompts.
    pub interactive: bool,
    pub exitstatus: i32,
    /// Colour state names (stdout is a terminal and `NO_COLOR` is unset).
    pub color: bool,
    pub input: Input,
}

pub use crate::namespec::{make as make_namespec, split as split_namespec};

fn text(v: &Value, key: &str) -> String {
    v.get(key).map(py_str).unwrap_or_default()
}

/// Python's `str()` of a value, as 4.3 prints whatever the server sent.
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) | Value::DateTime(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Double(d) => crate::xmlrpc::float_repr(*d),
        Value::Nil => "None".into(),
        other => format!("{other:?}"),
    }
}

fn int(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

fn truthy(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Int(i)) => *i != 0,
        _ => false,
    }
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// Python's `str.split()` of a command's argument text.
fn words(arg: &str) -> Vec<&str> {
    arg.split(pytext::is_space)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Python's `cmd.Cmd.parseline`: `(command, argument, line)`, the command
/// being the leading identifier characters (`?x` is `help x`).
fn parseline(line: &str) -> (Option<String>, String, String) {
    let mut line = line.trim_matches(pytext::is_space).to_string();
    if line.is_empty() {
        return (None, String::new(), line);
    }
    if let Some(rest) = line.strip_prefix('?') {
        line = format!("help {rest}");
    } else if line.starts_with('!') {
        return (None, String::new(), line);
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let cmd = line[..end].to_string();
    let arg = line[end..].trim_matches(pytext::is_space).to_string();
    (Some(cmd), arg, line)
}

impl Controller {
    pub fn new(server: Server, interactive: bool) -> Controller {
        let color = io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none()
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        Controller {
            server,
            interactive,
            exitstatus: 0,
            color,
            input: Input::default(),
        }
    }

    /// Writes one line to stdout. A closed stdout (`| head`) ends the
    /// program quietly: whoever reads has what they wanted.
    pub fn output(&self, line: &str) {
        let mut out = io::stdout().lock();
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            std::process::exit(self.exitstatus);
        }
    }

    /// Writes `prompt` (no newline) and reads a line; None at end of input.
    fn ask(&mut self, prompt: &str) -> Option<String> {
        let mut out = io::stdout().lock();
        let _ = out.write_all(prompt.as_bytes()).and_then(|()| out.flush());
        drop(out);
        self.input.read_line().ok().flatten()
    }

    fn call(&self, method: &str, params: &[Value]) -> Result<Value> {
        self.server.call(&format!("supervisor.{method}"), params)
    }

    /// Runs one command line. 4.3's `onecmd`.
    pub fn onecmd(&mut self, line: &str) -> Flow {
        let (cmd, arg, line) = parseline(line);
        if line.is_empty() {
            return Flow::Continue;
        }
        let Some(cmd) = cmd.filter(|c| !c.is_empty() && self.known(c)) else {
            self.output(&format!("*** Unknown syntax: {line}"));
            self.exitstatus = exit::GENERIC;
            return Flow::Continue;
        };
        let before = self.exitstatus;
        match self.dispatch(&cmd, &arg) {
            Ok(flow) => flow,
            Err(CallError::Http(401, reason)) => {
                // 4.3's ProtocolError sets no exit status on its way out of
                // a command (only faults do); some of ours set 1 for any
                // error, which would outlive a successful retry.
                self.exitstatus = before;
                self.output("Server requires authentication");
                if self.interactive {
                    // End of input at either prompt is Python's EOFError,
                    // which ends the retries (input() says why, getpass
                    // does not).
                    let Some(username) = self.ask("Username:") else {
                        self.error(&eof_error("EOF when reading a line"));
                        return Flow::Continue;
                    };
                    let Some(password) = read_password("Password:", &mut self.input) else {
                        self.error(&eof_error(""));
                        return Flow::Continue;
                    };
                    self.output("");
                    self.server.username = Some(username);
                    self.server.password = Some(password);
                    return self.onecmd(&line);
                }
                // 4.3 then runs the command a second time, which fails the
                // same way and prints the generic line; say that directly.
                self.error(&CallError::Http(401, reason));
                Flow::Continue
            }
            Err(e) => {
                self.error(&e);
                Flow::Continue
            }
        }
    }

    /// 4.3's generic error line. (4.3 ends it with the Python source file
    /// and line that raised; there is no such thing to name here.)
    fn error(&mut self, e: &CallError) {
        self.output(&format!("error: {}", e.python()));
        self.exitstatus = exit::GENERIC;
    }

    fn known(&self, cmd: &str) -> bool {
        cmd == "EOF" || cmd == "help" || help::COMMANDS.contains(&cmd)
    }

    fn dispatch(&mut self, cmd: &str, arg: &str) -> Result<Flow> {
        match cmd {
            "help" => self.do_help(arg),
            "EOF" | "quit" | "exit" => {
                self.output("");
                return Ok(Flow::Quit);
            }
            "add" => self.do_add(arg)?,
            "avail" => self.do_avail(arg)?,
            "clear" => self.do_clear(arg)?,
            "fg" => self.do_fg(arg)?,
            "maintail" => self.do_maintail(arg)?,
            "open" => self.do_open(arg)?,
            "pid" => self.do_pid(arg)?,
            "reload" => self.do_reload(arg)?,
            "remove" => self.do_remove(arg)?,
            "reread" => self.do_reread(arg)?,
            "restart" => self.do_restart(arg)?,
            "shutdown" => self.do_shutdown(arg)?,
            "signal" => self.do_signal(arg)?,
            "start" => self.do_start(arg)?,
            "status" => self.do_status(arg)?,
            "stop" => self.do_stop(arg)?,
            "tail" => self.do_tail(arg)?,
            "update" => self.do_update(arg)?,
            "version" => self.do_version(arg)?,
            _ => unreachable!("onecmd checks the command is known"),
        }
        Ok(Flow::Continue)
    }

    fn print_help(&self, cmd: &str) {
        if let Some(t) = help::text(cmd) {
            self.output(t);
        }
    }

    /// Prints `message` and the command's help; sets `status`.
    fn usage(&mut self, message: &str, cmd: &str, status: i32) {
        self.output(message);
        self.exitstatus = status;
        self.print_help(cmd);
    }

    fn do_help(&mut self, arg: &str) {
        if arg.is_empty() {
            let overview = help::overview();
            // `overview` ends with the blank line `output` would add.
            self.output(overview.strip_suffix('\n').unwrap_or(&overview));
        } else if let Some(t) = help::text(arg) {
            self.output(t);
        } else {
            self.output(&format!("*** No help on {arg}"));
        }
    }

    /// 4.3's `upcheck`: is the server there and does it speak API 3.0?
    /// Prints why not and sets the exit status; other failures are errors.
    fn upcheck(&mut self) -> Result<bool> {
        match self.call("getVersion", &[]) {
            Ok(v) => {
                let api = py_str(&v);
                if api != API_VERSION {
                    self.output(&format!(
                        "Sorry, this version of supervisorctl expects to talk to a server with API version {API_VERSION}, but the remote version is {api}."
                    ));
                    self.exitstatus = exit::NOT_INSTALLED;
                    return Ok(false);
                }
                Ok(true)
            }
            Err(CallError::Fault(f)) if f.code == faults::UNKNOWN_METHOD => {
                self.output("Sorry, supervisord responded but did not recognize the supervisor namespace commands that supervisorctl uses to control it.  Please check that the [rpcinterface:supervisor] section is enabled in the configuration file (see sample.conf).");
                self.exitstatus = exit::UNIMPLEMENTED_FEATURE;
                Ok(false)
            }
            Err(CallError::Os(libc::ECONNREFUSED)) => {
                self.output(&format!("{} refused connection", self.server.url));
                self.exitstatus = exit::INSUFFICIENT_PRIVILEGES;
                Ok(false)
            }
            Err(CallError::Os(libc::ENOENT)) => {
                self.output(&format!("{} no such file", self.server.url));
                self.exitstatus = exit::NOT_RUNNING;
                Ok(false)
            }
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                Err(e)
            }
        }
    }

    /// 4.3's `set_exitstatus_from_xmlrpc_fault`.
    fn status_from_fault(&mut self, code: i64, ignored: Option<i64>) {
        if Some(code) == ignored || code == faults::SUCCESS {
            return;
        }
        self.exitstatus = match code {
            faults::SPAWN_ERROR | faults::ABNORMAL_TERMINATION | faults::NOT_RUNNING => {
                exit::NOT_RUNNING
            }
            _ => exit::GENERIC,
        };
    }

    // ---- status ------------------------------------------------------

    fn process_infos(&self) -> Result<Vec<Value>> {
        Ok(array(self.call("getAllProcessInfo", &[])?))
    }

    fn do_status(&mut self, arg: &str) -> Result<()> {
        let mut names = words(arg);
        let json = names.contains(&"--json");
        names.retain(|n| *n != "--json");
        if !self.upcheck()? {
            self.exitstatus = exit::STATUS_UNKNOWN;
            return Ok(());
        }
        let all = self.process_infos()?;
        let mut matching: Vec<&Value> = Vec::new();
        if names.is_empty() || names.contains(&"all") {
            matching.extend(all.iter());
        } else {
            for name in names {
                let (group, process) = split_namespec(name);
                let before = matching.len();
                matching.extend(all.iter().filter(|info| {
                    text(info, "group") == group && process.is_none_or(|p| text(info, "name") == p)
                }));
                if matching.len() == before {
                    let msg = match process {
                        None => format!("{group}: ERROR (no such group)"),
                        Some(_) => format!("{name}: ERROR (no such process)"),
                    };
                    if json {
                        eprintln!("{msg}");
                    } else {
                        self.output(&msg);
                    }
                    self.exitstatus = exit::STATUS_UNKNOWN;
                }
            }
        }
        if json {
            self.output(&super::json::process_infos(&matching));
        } else {
            self.show_statuses(&matching);
        }
        if matching
            .iter()
            .any(|info| STOPPED_STATES.contains(&int(info, "state")))
        {
            self.exitstatus = exit::STATUS_NOT_RUNNING;
        }
        Ok(())
    }

    fn show_statuses(&self, infos: &[&Value]) {
        let namespecs: Vec<String> = infos
            .iter()
            .map(|i| make_namespec(&text(i, "group"), &text(i, "name")))
            .collect();
        let width = namespecs
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max(30)
            + 3;
        for (info, namespec) in infos.iter().zip(&namespecs) {
            let state = format!("{:<10}", text(info, "statename"));
            let state = if self.color {
                paint(&state, int(info, "state"))
            } else {
                state
            };
            self.output(&format!(
                "{namespec:<width$}{state}{}",
                text(info, "description")
            ));
        }
    }

    // ---- start / stop / signal / clear / restart ---------------------

    /// 4.3's per-name loop, which it writes out four times (start, stop,
    /// signal, clear): `all` → one call for everything; `g:*` → the group
    /// call; a name → the single call, whose fault becomes a result line.
    /// `extra` follows the name in every call (signal's signal name).
    fn act(&mut self, verb: &Verb, names: &[&str], extra: &[Value]) -> Result<()> {
        let with = |first: Option<&str>| -> Vec<Value> {
            first
                .map(Value::str)
                .into_iter()
                .chain(extra.iter().cloned())
                .collect()
        };
        if names.contains(&"all") {
            let results = self.call(verb.all, &with(None))?;
            return self.report(verb, results);
        }
        for &name in names {
            let (group, process) = split_namespec(name);
            if let (Some(group_method), None) = (verb.group, process) {
                match self.call(group_method, &with(Some(group))) {
                    Ok(results) => self.report(verb, results)?,
                    Err(CallError::Fault(f)) if f.code == faults::BAD_NAME => {
                        self.output(&format!("{group}: ERROR (no such group)"));
                        self.exitstatus = verb.bad_group_exit;
                    }
                    Err(e) => return Err(e),
                }
                continue;
            }
            // A group form without a group call (clear) is shown as typed;
            // 4.3 printed Python's None there (`g:None`).
            let shown = process.map_or_else(|| name.to_string(), |p| make_namespec(group, p));
            let (status, description) = match self.call(verb.one, &with(Some(name))) {
                Ok(_) => (faults::SUCCESS, String::new()),
                Err(CallError::Fault(f)) => (f.code, f.string),
                Err(e) => return Err(e),
            };
            self.result_line(verb, &shown, status, &description)?;
        }
        Ok(())
    }

    /// Prints each result struct of an `all` or group call.
    fn report(&mut self, verb: &Verb, results: Value) -> Result<()> {
        for r in array(results) {
            let name = make_namespec(&text(&r, "group"), &text(&r, "name"));
            self.result_line(verb, &name, int(&r, "status"), &text(&r, "description"))?;
        }
        Ok(())
    }

    /// One result in `verb`'s words, and the exit status it latches.
    fn result_line(
        &mut self,
        verb: &Verb,
        name: &str,
        status: i64,
        description: &str,
    ) -> Result<()> {
        let line = (verb.line)(name, status, description)?;
        self.output(&line);
        self.status_from_fault(status, verb.ignored);
        Ok(())
    }

    fn do_start(&mut self, arg: &str) -> Result<()> {
        self.verb_command(&START, arg)
    }

    fn do_stop(&mut self, arg: &str) -> Result<()> {
        self.verb_command(&STOP, arg)
    }

    fn do_signal(&mut self, arg: &str) -> Result<()> {
        self.verb_command(&SIGNAL, arg)
    }

    fn do_clear(&mut self, arg: &str) -> Result<()> {
        self.verb_command(&CLEAR, arg)
    }

    /// start, stop, signal and clear: 4.3's shared prologue (upcheck, then
    /// the usage error when names are missing), then [`Self::act`].
    fn verb_command(&mut self, verb: &Verb, arg: &str) -> Result<()> {
        if !self.upcheck()? {
            return Ok(());
        }
        let words = words(arg);
        if words.len() <= verb.leading {
            self.usage(verb.missing, verb.command, verb.missing_exit);
            return Ok(());
        }
        let extra: Vec<Value> = words[..verb.leading]
            .iter()
            .map(|w| Value::str(w))
            .collect();
        self.act(verb, &words[verb.leading..], &extra)
    }

    fn do_restart(&mut self, arg: &str) -> Result<()> {
        if !self.upcheck()? {
            return Ok(());
        }
        if words(arg).is_empty() {
            self.usage(
                "Error: restart requires a process name",
                "restart",
                exit::GENERIC,
            );
            return Ok(());
        }
        self.do_stop(arg)?;
        self.do_start(arg)
    }

    // ---- pid ---------------------------------------------------------

    fn do_pid(&mut self, arg: &str) -> Result<()> {
        if !self.upcheck()? {
            return Ok(());
        }
        let names = words(arg);
        if names.is_empty() {
            let pid = self.call("getPID", &[])?;
            self.output(&pid.as_i64().unwrap_or(0).to_string());
        } else if names.contains(&"all") {
            for info in self.process_infos()? {
                self.output(&int(&info, "pid").to_string());
            }
        } else {
            for name in names {
                match self.call("getProcessInfo", &[Value::str(name)]) {
                    Ok(info) => {
                        let pid = int(&info, "pid");
                        self.output(&pid.to_string());
                        if pid == 0 {
                            self.exitstatus = exit::NOT_RUNNING;
                        }
                    }
                    Err(e) => {
                        self.exitstatus = exit::GENERIC;
                        match e {
                            CallError::Fault(f) if f.code == faults::BAD_NAME => {
                                self.output(&format!("No such process {name}"));
                            }
                            e => return Err(e),
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// What start, stop, signal and clear call and how they word results.
struct Verb {
    /// The command's name, for its help text.
    command: &'static str,
    /// Words before the names, passed on as the calls' last parameters
    /// (signal's signal name).
    leading: usize,
    /// The usage error when no name is given, and its exit status.
    missing: &'static str,
    missing_exit: i32,
    /// The call for `all`.
    all: &'static str,
    /// The call for `g:*` (clear has none: the single call refuses it).
    group: Option<&'static str>,
    /// The call for one process.
    one: &'static str,
    /// The fault that leaves the exit status alone (already started...).
    ignored: Option<i64>,
    /// The exit status of an unknown group.
    bad_group_exit: i32,
    /// `(namespec, status, description)` → the line 4.3 prints.
    line: fn(&str, i64, &str) -> Result<String>,
}

const START: Verb = Verb {
    command: "start",
    leading: 0,
    missing: "Error: start requires a process name",
    missing_exit: exit::INVALID_ARGS,
    all: "startAllProcesses",
    group: Some("startProcessGroup"),
    one: "startProcess",
    ignored: Some(faults::ALREADY_STARTED),
    bad_group_exit: exit::INVALID_ARGS,
    line: start_line,
};

const STOP: Verb = Verb {
    command: "stop",
    leading: 0,
    missing: "Error: stop requires a process name",
    missing_exit: exit::GENERIC,
    all: "stopAllProcesses",
    group: Some("stopProcessGroup"),
    one: "stopProcess",
    ignored: Some(faults::NOT_RUNNING),
    bad_group_exit: exit::GENERIC,
    line: |name, status, description| signal_line(name, status, description, "stopped"),
};

const SIGNAL: Verb = Verb {
    command: "signal",
    leading: 1,
    missing: "Error: signal requires a signal name and a process name",
    missing_exit: exit::GENERIC,
    all: "signalAllProcesses",
    group: Some("signalProcessGroup"),
    one: "signalProcess",
    ignored: None,
    bad_group_exit: exit::GENERIC,
    line: |name, status, description| signal_line(name, status, description, "signalled"),
};

const CLEAR: Verb = Verb {
    command: "clear",
    leading: 0,
    missing: "Error: clear requires a process name",
    missing_exit: exit::GENERIC,
    all: "clearAllProcessLogs",
    group: None,
    one: "clearProcessLogs",
    ignored: None,
    bad_group_exit: exit::GENERIC,
    line: clear_line,
};

/// 4.3's `_startresult`.
fn start_line(name: &str, status: i64, _: &str) -> Result<String> {
    let why = match status {
        faults::BAD_NAME => "no such process",
        faults::NO_FILE => "no such file",
        faults::NOT_EXECUTABLE => "file is not executable",
        faults::ALREADY_STARTED => "already started",
        faults::SPAWN_ERROR => "spawn error",
        faults::ABNORMAL_TERMINATION => "abnormal termination",
        faults::SUCCESS => return Ok(format!("{name}: started")),
        code => return Err(unknown_result(code, name)),
    };
    Ok(format!("{name}: ERROR ({why})"))
}

/// 4.3's `_signalresult` (and `_stopresult`, with `success` "stopped").
fn signal_line(name: &str, status: i64, description: &str, success: &str) -> Result<String> {
    let why = match status {
        faults::BAD_NAME => "no such process",
        faults::BAD_SIGNAL => "bad signal name",
        faults::NOT_RUNNING => "not running",
        faults::SUCCESS => return Ok(format!("{name}: {success}")),
        faults::FAILED => return Ok(description.to_string()),
        code => return Err(unknown_result(code, name)),
    };
    Ok(format!("{name}: ERROR ({why})"))
}

/// 4.3's `_clearresult`.
fn clear_line(name: &str, status: i64, _: &str) -> Result<String> {
    match status {
        faults::BAD_NAME => Ok(format!("{name}: ERROR (no such process)")),
        faults::FAILED => Ok(format!("{name}: ERROR (failed)")),
        faults::SUCCESS => Ok(format!("{name}: cleared")),
        code => Err(unknown_result(code, name)),
    }
}

impl Controller {
    // ---- tail / maintail / fg ----------------------------------------

    /// Prints 4.3's warning when stdout's encoding is not UTF-8, as Python
    /// derives it from the locale.
    fn check_encoding(&self) {
        if let Some(enc) = non_utf8_locale() {
            self.output(&format!(
                "Warning: sys.stdout.encoding is set to {enc}, so Unicode output may fail. Check your LANG and PYTHONIOENCODING environment settings."
            ));
        }
    }

    fn follow(&self, path: &str) {
        self.check_encoding();
        self.output("==> Press Ctrl-C to exit <==");
        let Ok(ctrlc) = CtrlC::catch() else {
            return;
        };
        let mut streams: Vec<_> = follow::open(&self.server, path).into_iter().collect();
        if let Woke::Interrupted = follow::wait(&ctrlc, &mut streams, None) {
            self.output("");
        }
    }

    fn log_fault(&mut self, e: CallError, who: &str, bad_name: bool) -> Result<()> {
        self.exitstatus = exit::GENERIC;
        let why = match e.fault_code() {
            Some(faults::NO_FILE) => "no log file",
            Some(faults::FAILED) => "unknown error reading log",
            Some(faults::BAD_NAME) if bad_name => "no such process name",
            _ => return Err(e),
        };
        self.output(&format!("{who}: ERROR ({why})"));
        Ok(())
    }

    fn do_tail(&mut self, arg: &str) -> Result<()> {
        if !self.upcheck()? {
            return Ok(());
        }
        let mut args = words(arg);
        if args.is_empty() {
            self.usage("Error: too few arguments", "tail", exit::GENERIC);
            return Ok(());
        }
        if args.len() > 3 {
            self.usage("Error: too many arguments", "tail", exit::GENERIC);
            return Ok(());
        }
        let modifier = if args[0].starts_with('-') {
            Some(args.remove(0))
        } else {
            None
        };
        let (name, channel) = match args.len() {
            1 => (args[0], "stdout".to_string()),
            0 => {
                self.output("Error: tail requires process name");
                self.exitstatus = exit::GENERIC;
                return Ok(());
            }
            _ => {
                let channel = args[args.len() - 1].to_lowercase();
                if channel != "stdout" && channel != "stderr" {
                    self.output(&format!("Error: bad channel {}", py_repr(&channel)));
                    self.exitstatus = exit::GENERIC;
                    return Ok(());
                }
                (args[0], channel)
            }
        };
        let offset = match modifier.map(|m| &m[1..]) {
            None => Some(Ok(Value::Int(-DEFAULT_TAIL))),
            Some("f") => {
                self.follow(&format!("/logtail/{name}/{channel}"));
                return Ok(());
            }
            Some(what) => back_from_end(what),
        };
        let Some(offset) = offset else {
            self.output(&format!(
                "Error: bad argument {}",
                modifier.unwrap_or_default()
            ));
            self.exitstatus = exit::GENERIC;
            return Ok(());
        };
        self.check_encoding();
        let method = if channel == "stdout" {
            "readProcessStdoutLog"
        } else {
            "readProcessStderrLog"
        };
        match self.call(method, &[Value::str(name), offset?, Value::Int(0)]) {
            Ok(v) => self.output(v.as_str().unwrap_or_default()),
            Err(e) => self.log_fault(e, name, true)?,
        }
        Ok(())
    }

    fn do_maintail(&mut self, arg: &str) -> Result<()> {
        if !self.upcheck()? {
            return Ok(());
        }
        let args = words(arg);
        let offset = match args.as_slice() {
            [] => Ok(Value::Int(-DEFAULT_TAIL)),
            [a] => {
                let what = a.strip_prefix('-');
                if what == Some("f") {
                    self.follow("/mainlogtail");
                    return Ok(());
                }
                match what.and_then(back_from_end) {
                    Some(offset) => offset,
                    None => {
                        self.output(&format!("Error: bad argument {a}"));
                        self.exitstatus = exit::GENERIC;
                        return Ok(());
                    }
                }
            }
            _ => {
                self.usage("Error: too many arguments", "maintail", exit::GENERIC);
                return Ok(());
            }
        };
        match self.call("readLog", &[offset?, Value::Int(0)]) {
            Ok(v) => self.output(v.as_str().unwrap_or_default()),
            Err(e) => self.log_fault(e, "supervisord", false)?,
        }
        Ok(())
    }

    fn do_fg(&mut self, arg: &str) -> Result<()> {
        if !self.upcheck()? {
            return Ok(());
        }
        let names = words(arg);
        if names.is_empty() {
            self.output("ERROR: no process name supplied");
            self.exitstatus = exit::GENERIC;
            self.print_help("fg");
            return Ok(());
        }
        if names.len() > 1 {
            self.output("ERROR: too many process names supplied");
            self.exitstatus = exit::GENERIC;
            return Ok(());
        }
        let name = names[0];
        let info = match self.call("getProcessInfo", &[Value::str(name)]) {
            Ok(info) => info,
            Err(CallError::Fault(f)) => {
                if f.code == faults::BAD_NAME {
                    self.output("ERROR: bad process name supplied");
                    self.exitstatus = exit::GENERIC;
                } else {
                    self.output(&format!("ERROR: {}", fault_str(f.code, &f.string)));
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if int(&info, "state") != RUNNING {
            self.output("ERROR: process not running");
            self.exitstatus = exit::GENERIC;
            return Ok(());
        }
        self.output("==> Press Ctrl-C to exit <==");
        let Ok(ctrlc) = CtrlC::catch() else {
            return Ok(());
        };
        let mut streams: Vec<_> = ["stdout", "stderr"]
            .iter()
            .filter_map(|ch| follow::open(&self.server, &format!("/logtail/{name}/{ch}")))
            .collect();
        loop {
            let line = match follow::wait(&ctrlc, &mut streams, Some(&mut self.input)) {
                Woke::Line(Some(line)) => line,
                Woke::Line(None) | Woke::Interrupted | Woke::Ended => {
                    self.output("Exiting foreground");
                    return Ok(());
                }
            };
            let sent = self.call(
                "sendProcessStdin",
                &[Value::str(name), Value::String(format!("{line}\n"))],
            );
            match sent {
                Ok(_) => {}
                Err(CallError::Fault(f)) => {
                    if f.code == faults::NOT_RUNNING {
                        self.output("Process got killed");
                    } else {
                        self.output(&format!("ERROR: {}", fault_str(f.code, &f.string)));
                    }
                    self.output("Exiting foreground");
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
            let info = self.call("getProcessInfo", &[Value::str(name)])?;
            if int(&info, "state") != RUNNING {
                self.output("Process got killed");
                self.output("Exiting foreground");
                return Ok(());
            }
        }
    }

    // ---- shutdown / reload / version / open --------------------------

    /// 4.3's y/N question, asked only when interactive. End of input is
    /// the EOFError of Python's `input()`, which 4.3 does not catch: the
    /// generic error line, exit 1.
    fn confirm(&mut self, question: &str) -> Result<bool> {
        if !self.interactive {
            return Ok(true);
        }
        match self.ask(question) {
            None => Err(eof_error("EOF when reading a line")),
            Some(a) => Ok(a.to_lowercase().starts_with('y')),
        }
    }

    fn do_shutdown(&mut self, arg: &str) -> Result<()> {
        if !arg.is_empty() {
            self.usage(
                "Error: shutdown accepts no arguments",
                "shutdown",
                exit::GENERIC,
            );
            return Ok(());
        }
        if !self.confirm("Really shut the remote supervisord process down y/N? ")? {
            return Ok(());
        }
        match self.call("shutdown", &[]) {
            Ok(_) => self.output("Shut down"),
            Err(CallError::Fault(f)) if f.code == faults::SHUTDOWN_STATE => {
                self.output("ERROR: already shutting down");
            }
            Err(CallError::Os(errno)) if errno == libc::ECONNREFUSED || errno == libc::ENOENT => {
                self.exitstatus = exit::GENERIC;
                let what = if errno == libc::ECONNREFUSED {
                    "refused connection"
                } else {
                    "no such file"
                };
                self.output(&format!(
                    "ERROR: {} {what} (already shut down?)",
                    self.server.url
                ));
            }
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                return Err(e);
            }
        }
        Ok(())
    }

    fn do_reload(&mut self, arg: &str) -> Result<()> {
        if !arg.is_empty() {
            self.usage(
                "Error: reload accepts no arguments",
                "reload",
                exit::GENERIC,
            );
            return Ok(());
        }
        if !self.confirm("Really restart the remote supervisord process y/N? ")? {
            return Ok(());
        }
        match self.call("restart", &[]) {
            Ok(_) => self.output("Restarted supervisord"),
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                match e {
                    CallError::Fault(f) if f.code == faults::SHUTDOWN_STATE => {
                        self.output("ERROR: already shutting down");
                    }
                    e => return Err(e),
                }
            }
        }
        Ok(())
    }

    fn do_version(&mut self, arg: &str) -> Result<()> {
        if !arg.is_empty() {
            self.usage(
                "Error: version accepts no arguments",
                "version",
                exit::GENERIC,
            );
            return Ok(());
        }
        if !self.upcheck()? {
            return Ok(());
        }
        let v = self.call("getSupervisorVersion", &[])?;
        self.output(v.as_str().unwrap_or_default());
        Ok(())
    }

    fn do_open(&mut self, arg: &str) -> Result<()> {
        let url = arg.trim();
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("unix" | "http")) {
            self.output("ERROR: url must be http:// or unix://");
            self.exitstatus = exit::GENERIC;
            return Ok(());
        }
        self.server.url = url.to_string();
        let before = self.exitstatus;
        let result = self.do_status("");
        self.exitstatus = before;
        result
    }

    // ---- avail / reread / add / remove / update ----------------------

    fn do_avail(&mut self, arg: &str) -> Result<()> {
        let json = arg.trim() == "--json";
        if !arg.is_empty() && !json {
            self.usage("Error: avail accepts no arguments", "avail", exit::GENERIC);
            return Ok(());
        }
        let infos = match self.call("getAllConfigInfo", &[]) {
            Ok(v) => array(v),
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                match e {
                    CallError::Fault(f) if f.code == faults::SHUTDOWN_STATE => {
                        self.output("ERROR: supervisor shutting down");
                        return Ok(());
                    }
                    e => return Err(e),
                }
            }
        };
        if json {
            self.output(&super::json::config_infos(&infos));
            return Ok(());
        }
        for info in &infos {
            let name = make_namespec(&text(info, "group"), &text(info, "name"));
            let inuse = if truthy(info, "inuse") {
                "in use"
            } else {
                "avail"
            };
            let auto = if truthy(info, "autostart") {
                "auto"
            } else {
                "manual"
            };
            self.output(&format!(
                "{name:<32} {inuse:<9} {auto:<9} {}:{}",
                text(info, "group_prio"),
                text(info, "process_prio")
            ));
        }
        Ok(())
    }

    /// `reloadConfig`'s `[[added, changed, removed]]` as three name lists.
    fn changes(result: Value) -> [Vec<String>; 3] {
        let outer = array(result);
        let inner = outer.into_iter().next().map(array).unwrap_or_default();
        let mut lists = inner.into_iter().map(|l| {
            array(l)
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        });
        [
            lists.next().unwrap_or_default(),
            lists.next().unwrap_or_default(),
            lists.next().unwrap_or_default(),
        ]
    }

    fn do_reread(&mut self, arg: &str) -> Result<()> {
        if !arg.is_empty() {
            self.usage(
                "Error: reread accepts no arguments",
                "reread",
                exit::GENERIC,
            );
            return Ok(());
        }
        let result = match self.call("reloadConfig", &[]) {
            Ok(v) => v,
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                match e {
                    CallError::Fault(f) if f.code == faults::SHUTDOWN_STATE => {
                        self.output("ERROR: supervisor shutting down");
                    }
                    CallError::Fault(f) if f.code == faults::CANT_REREAD => {
                        self.output(&format!("ERROR: {}", f.string));
                    }
                    e => return Err(e),
                }
                return Ok(());
            }
        };
        let [added, changed, removed] = Self::changes(result);
        // 4.3 builds a dict: a name in two lists keeps the later word.
        let mut all: Vec<(String, &str)> = Vec::new();
        for (names, word) in [
            (added, "available"),
            (changed, "changed"),
            (removed, "disappeared"),
        ] {
            for n in names {
                all.retain(|(m, _)| *m != n);
                all.push((n, word));
            }
        }
        if all.is_empty() {
            self.output("No config updates to processes");
        }
        all.sort();
        for (name, word) in all {
            self.output(&format!("{name}: {word}"));
        }
        Ok(())
    }

    fn do_add(&mut self, arg: &str) -> Result<()> {
        for name in words(arg) {
            match self.call("addProcessGroup", &[Value::str(name)]) {
                Ok(_) => self.output(&format!("{name}: added process group")),
                Err(CallError::Fault(f)) if f.code == faults::SHUTDOWN_STATE => {
                    self.output("ERROR: shutting down");
                    self.exitstatus = exit::GENERIC;
                }
                Err(CallError::Fault(f)) if f.code == faults::ALREADY_ADDED => {
                    self.output("ERROR: process group already active");
                }
                Err(CallError::Fault(f)) if f.code == faults::BAD_NAME => {
                    self.output(&format!("ERROR: no such process/group: {name}"));
                    self.exitstatus = exit::GENERIC;
                }
                Err(e) => {
                    self.exitstatus = exit::GENERIC;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn do_remove(&mut self, arg: &str) -> Result<()> {
        for name in words(arg) {
            match self.call("removeProcessGroup", &[Value::str(name)]) {
                Ok(_) => self.output(&format!("{name}: removed process group")),
                Err(e) => {
                    self.exitstatus = exit::GENERIC;
                    match e {
                        CallError::Fault(f) if f.code == faults::STILL_RUNNING => {
                            self.output(&format!("ERROR: process/group still running: {name}"));
                        }
                        CallError::Fault(f) if f.code == faults::BAD_NAME => {
                            self.output(&format!("ERROR: no such process/group: {name}"));
                        }
                        e => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }

    fn do_update(&mut self, arg: &str) -> Result<()> {
        let result = match self.call("reloadConfig", &[]) {
            Ok(v) => v,
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                match e {
                    CallError::Fault(f) if f.code == faults::SHUTDOWN_STATE => {
                        self.output("ERROR: already shutting down");
                        return Ok(());
                    }
                    e => return Err(e),
                }
            }
        };
        let [added, changed, removed] = Self::changes(result);
        let mut wanted: Vec<&str> = words(arg);
        if wanted.contains(&"all") {
            wanted.clear();
        }
        // 4.3 keeps the names in a set; report unknown ones in a fixed
        // (sorted) order rather than Python's hash order.
        wanted.sort_unstable();
        wanted.dedup();
        if !wanted.is_empty() {
            let mut groups: Vec<String> = self
                .process_infos()?
                .iter()
                .map(|i| text(i, "group"))
                .collect();
            groups.extend(added.iter().cloned());
            for g in &wanted {
                if !groups.iter().any(|x| x == g) {
                    self.output(&format!("ERROR: no such group: {g}"));
                    self.exitstatus = exit::GENERIC;
                }
            }
        }
        let chosen = |g: &str| wanted.is_empty() || wanted.contains(&g);
        for g in removed.iter().filter(|g| chosen(g)) {
            let results = self.call("stopProcessGroup", &[Value::str(g)])?;
            self.output(&format!("{g}: stopped"));
            if array(results)
                .iter()
                .any(|r| int(r, "status") == faults::FAILED)
            {
                self.output(&format!("{g}: has problems; not removing"));
                self.exitstatus = exit::GENERIC;
                continue;
            }
            self.call("removeProcessGroup", &[Value::str(g)])?;
            self.output(&format!("{g}: removed process group"));
        }
        for g in changed.iter().filter(|g| chosen(g)) {
            self.call("stopProcessGroup", &[Value::str(g)])?;
            self.output(&format!("{g}: stopped"));
            self.call("removeProcessGroup", &[Value::str(g)])?;
            self.call("addProcessGroup", &[Value::str(g)])?;
            self.output(&format!("{g}: updated process group"));
        }
        for g in added.iter().filter(|g| chosen(g)) {
            self.call("addProcessGroup", &[Value::str(g)])?;
            self.output(&format!("{g}: added process group"));
        }
        Ok(())
    }
}

/// 4.3's `ValueError('Unknown result code ...')` for a result status it
/// has no words for.
fn unknown_result(code: i64, name: &str) -> CallError {
    CallError::Python(
        "ValueError",
        format!("Unknown result code {code} for {name}"),
    )
}

/// An XML-RPC `int` (32 bits, as Python's marshaller checks).
/// How many bytes tail and maintail show without a `-N`.
const DEFAULT_TAIL: i64 = 1600;

/// The `-int(what)` offset 4.3's tail and maintail send: `None` when
/// `int()` refuses the text (4.3's "bad argument"), the marshaller's
/// OverflowError when the number is a good one beyond XML-RPC's 32 bits,
/// however many digits it has.
fn back_from_end(what: &str) -> Option<Result<Value>> {
    if !pytext::is_int(what) {
        return None;
    }
    let offset = pytext::int(what)
        .and_then(i64::checked_neg)
        .and_then(|n| i32::try_from(n).ok());
    Some(
        offset
            .map(|n| Value::Int(n.into()))
            .ok_or_else(|| CallError::Python("OverflowError", "int exceeds XML-RPC limits".into())),
    )
}

/// `str()` of a Python `xmlrpc.client.Fault`.
fn fault_str(code: i64, string: &str) -> String {
    format!("<Fault {code}: {}>", py_repr(string))
}

fn py_repr(s: &str) -> String {
    crate::config::pyfmt::repr_str(s)
}

/// The encoding Python would give stdout when it is not UTF-8. Python
/// reads the locale's codeset; an unknown locale or the C locale gives
/// UTF-8 (Python 3.7+ coerces C to UTF-8), so only a real non-UTF-8
/// locale (`LANG=en_US.ISO-8859-1`, installed) counts.
fn non_utf8_locale() -> Option<String> {
    if std::env::var_os("PYTHONIOENCODING").is_some() {
        return None;
    }
    // SAFETY: setlocale/nl_langinfo on one thread (the ctl has no others
    // at this point); the previous LC_CTYPE is put back before returning.
    let codeset = unsafe {
        let previous = libc::setlocale(libc::LC_CTYPE, std::ptr::null());
        let previous = (!previous.is_null()).then(|| std::ffi::CStr::from_ptr(previous).to_owned());
        let set = libc::setlocale(libc::LC_CTYPE, c"".as_ptr());
        let codeset = (!set.is_null()).then(|| {
            std::ffi::CStr::from_ptr(libc::nl_langinfo(libc::CODESET))
                .to_string_lossy()
                .into_owned()
        });
        if let Some(p) = previous {
            libc::setlocale(libc::LC_CTYPE, p.as_ptr());
        }
        codeset?
    };
    let norm = codeset.to_ascii_lowercase().replace(['-', '_'], "");
    if norm.starts_with("utf") || codeset == "ANSI_X3.4-1968" {
        None
    } else {
        Some(codeset)
    }
}

/// A state name padded to its column, in the colour its state deserves.
fn paint(padded: &str, state: i64) -> String {
    let code = match state {
        20 => "32",               // RUNNING: green
        10 | 30 | 40 => "33",     // STARTING, BACKOFF, STOPPING: yellow
        100 | 200 | 1000 => "31", // EXITED, FATAL, UNKNOWN: red
        _ => return padded.to_string(),
    };
    let word = padded.trim_end();
    let pad = &padded[word.len()..];
    format!("\x1b[{code}m{word}\x1b[0m{pad}")
}

/// Reads a password from the terminal without echo (Python's `getpass`);
/// without a terminal, from stdin.
fn read_password(prompt: &str, input: &mut Input) -> Option<String> {
    use std::io::{BufRead, BufReader};
    use std::os::fd::AsRawFd;
    let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    else {
        // Python's fallback_getpass: a warning and the prompt on stderr,
        // the line from the same stdin the user name came from.
        eprint!("Warning: Password input may be echoed.\n{prompt}");
        let line = input.read_line().ok().flatten()?;
        eprintln!();
        return Some(line);
    };
    let fd = tty.as_raw_fd();
    // SAFETY: termios calls on a terminal fd we opened.
    let saved = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            None
        } else {
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            libc::tcsetattr(fd, libc::TCSAFLUSH, &t);
            Some(saved)
        }
    };
    let mut w = &tty;
    let _ = w.write_all(prompt.as_bytes());
    let mut line = String::new();
    let read = BufReader::new(&tty).read_line(&mut line);
    if let Some(saved) = saved {
        // SAFETY: restoring the attributes saved above.
        unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &saved) };
    }
    if !matches!(read, Ok(n) if n > 0) {
        return None;
    }
    let _ = w.write_all(b"\n");
    Some(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Python's `EOFError` (from `input()`: "EOF when reading a line"; from
/// `getpass`: no text).
fn eof_error(text: &str) -> CallError {
    CallError::Python("EOFError", text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_into_command_and_argument_as_python_cmd_does() {
        let p = |l: &str| {
            let (c, a, line) = parseline(l);
            (c.unwrap_or_else(|| "<none>".into()), a, line)
        };
        assert_eq!(
            p("  status  a b "),
            ("status".into(), "a b".into(), "status  a b".into())
        );
        assert_eq!(
            p("?status"),
            ("help".into(), "status".into(), "help status".into())
        );
        assert_eq!(
            p("tail-f x"),
            ("tail".into(), "-f x".into(), "tail-f x".into())
        );
        assert_eq!(p("!ls"), ("<none>".into(), "".into(), "!ls".into()));
        assert_eq!(p(":x"), ("".into(), ":x".into(), ":x".into()));
    }

    #[test]
    fn python_whitespace_separates_words() {
        assert_eq!(words("a\x1fb  c\u{a0}d"), ["a", "b", "c", "d"]);
        let (cmd, arg, _) = parseline("\x1cpid\x1fall\x1d");
        assert_eq!((cmd.as_deref(), arg.as_str()), (Some("pid"), "all"));
    }

    #[test]
    fn values_print_as_python_str_prints_them() {
        assert_eq!(py_str(&Value::Bool(true)), "True");
        assert_eq!(py_str(&Value::Nil), "None");
        assert_eq!(py_str(&Value::Double(1.5)), "1.5");
        assert_eq!(py_str(&Value::Int(3)), "3");
    }

    #[test]
    fn tail_offsets_are_minus_python_ints_within_32_bits() {
        let offset = |w: &str| back_from_end(w).map(|r| r.ok());
        assert_eq!(offset("1600"), Some(Some(Value::Int(-1600))));
        assert_eq!(offset("1_0"), Some(Some(Value::Int(-10))));
        assert_eq!(offset("2147483648"), Some(Some(Value::Int(-2_147_483_648))));
        for overflow in [
            "2147483649",
            "-2147483648",
            "99999999999999999999",
            "-9223372036854775808",
        ] {
            assert_eq!(offset(overflow), Some(None), "{overflow}");
        }
        assert_eq!(offset("x"), None);
        assert_eq!(offset("1x"), None);
    }

    #[test]
    fn colour_wraps_the_word_and_keeps_the_column() {
        let painted = paint("RUNNING   ", 20);
        assert_eq!(painted, "\x1b[32mRUNNING\x1b[0m   ");
        assert_eq!(paint("STOPPED   ", 0), "STOPPED   ");
    }
}
