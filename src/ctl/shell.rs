//! The interactive shell: `supervisor> ` with line editing, history kept
//! in `history_file`, and tab completion of command, process and group
//! names, as 4.3's readline shell offers them.
//!
//! On a terminal, `rustyline` edits the line. Otherwise (input piped in)
//! the prompt is written to stdout and a plain line read, as Python's
//! `input()` does, so a piped session prints what 4.3's prints.
//!
//! The history file is plain lines, one command per line, as GNU
//! readline writes it, so 4.3's shell and ours can share one file.

use std::cell::RefCell;
use std::io::IsTerminal;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::client::Server;
use super::controller::{Controller, Flow};
use super::help;
use crate::xmlrpc::Value;

/// What completion needs: the server to ask for names, and the answer,
/// kept until the next command runs (readline asks on every Tab).
struct Completion {
    server: Server,
    cache: RefCell<Option<Vec<(String, String)>>>,
}

impl Completion {
    fn processes(&self) -> Vec<(String, String)> {
        let mut cache = self.cache.borrow_mut();
        cache
            .get_or_insert_with(|| {
                let infos = self
                    .server
                    .call("supervisor.getAllProcessInfo", &[])
                    .ok()
                    .and_then(|v| v.as_array().map(<[Value]>::to_vec))
                    .unwrap_or_default();
                let field = |v: &Value, k: &str| {
                    v.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                infos
                    .iter()
                    .map(|i| (field(i, "group"), field(i, "name")))
                    .collect()
            })
            .clone()
    }
}

/// GNU readline's word delimiters minus `:`, `*` and `-`, which 4.3
/// removes so `group:*` and `my-app` complete as one word.
fn is_delimiter(c: char) -> bool {
    " \t\n\"\\'`@$><=;|&{(".contains(c)
}

/// 4.3's `Controller.complete`: the candidates for `text` (the word being
/// completed) given the whole `line`; `processes` gives `(group, name)`.
pub fn candidates(
    line: &str,
    text: &str,
    processes: &dyn Fn() -> Vec<(String, String)>,
) -> Vec<String> {
    let actions = || -> Vec<String> {
        help::vocabulary()
            .filter(|a| a.starts_with(text))
            .map(|a| format!("{a} "))
            .collect()
    };
    if line.trim().is_empty() {
        return actions();
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() == 1 && !line.ends_with(' ') {
        return actions();
    }
    match words[0] {
        "help" => actions(),
        "add" | "remove" | "update" => {
            let mut groups: Vec<String> = Vec::new();
            for (g, _) in processes() {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
            groups
                .into_iter()
                .filter(|g| g.starts_with(text))
                .map(|g| format!("{g} "))
                .collect()
        }
        "clear" | "fg" | "pid" | "restart" | "signal" | "start" | "status" | "stop" | "tail" => {
            let mut names: Vec<String> = Vec::new();
            for (g, n) in processes() {
                if text.contains(':') || n != g {
                    names.push(format!("{g}:{n}"));
                    let all = format!("{g}:*");
                    if !names.contains(&all) {
                        names.push(all);
                    }
                } else {
                    names.push(n);
                }
            }
            names
                .into_iter()
                .filter(|p| p.starts_with(text))
                .map(|p| format!("{p} "))
                .collect()
        }
        _ => Vec::new(),
    }
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .char_indices()
            .rev()
            .find(|(_, c)| is_delimiter(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let text = &line[start..pos];
        let found = candidates(line, text, &|| self.processes());
        Ok((
            start,
            found
                .into_iter()
                .map(|c| Pair {
                    display: c.trim_end().to_string(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

impl Hinter for Completion {
    type Hint = String;
}
impl Highlighter for Completion {}
impl Validator for Completion {}
impl Helper for Completion {}

/// Runs the shell until EOF, `quit`/`exit` or Ctrl-C at the prompt.
pub fn run(ctl: &mut Controller, prompt: &str, history_file: Option<&str>) {
    leave_on_ctrl_c();
    // 4.3 queues `status` before the first prompt.
    if ctl.onecmd("status") == Flow::Quit {
        return;
    }
    let prompt = format!("{prompt}> ");
    // Terminals rustyline cannot drive get the plain prompt, as pipes do.
    let dumb =
        std::env::var("TERM").is_ok_and(|t| ["dumb", "cons25", "emacs"].contains(&t.as_str()));
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal() && !dumb;
    let editor = if terminal { editor(ctl) } else { None };
    let Some(mut editor) = editor else {
        plain(ctl, &prompt);
        return;
    };
    if let Some(path) = history_file {
        load_history(&mut editor, path);
    }
    loop {
        if let Some(h) = editor.helper_mut() {
            h.server = ctl.server.clone();
            h.cache.replace(None);
        }
        match editor.readline(&prompt) {
            Ok(line) => {
                // Saved before the command runs: Ctrl-C during a command
                // ends the program, and the line is kept all the same.
                if let Some(path) = history_file {
                    save_history(&editor, path);
                }
                if ctl.onecmd(&line) == Flow::Quit {
                    break;
                }
            }
            // Ctrl-D, or Ctrl-C at the prompt, leaves, as in 4.3. 4.3
            // then prints an empty line to end the prompt's line;
            // rustyline has already ended it, so nothing more is printed.
            Err(_) => break,
        }
    }
    if let Some(path) = history_file {
        save_history(&editor, path);
    }
}

extern "C" fn on_sigint(_: libc::c_int) {
    // SAFETY: write(2) and _exit(2) are async-signal-safe.
    unsafe {
        libc::write(1, b"\n".as_ptr().cast(), 1);
        libc::_exit(0);
    }
}

/// Ctrl-C anywhere in the shell but at a line-editing prompt (which sees
/// it as a key) ends the shell as 4.3's does: an empty line, exit 0. The
/// history file is already written (before each command). `tail -f` and
/// `fg` catch Ctrl-C for themselves while they run and then put this back.
fn leave_on_ctrl_c() {
    // SAFETY: installing a handler that only writes and exits.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

fn editor(ctl: &Controller) -> Option<Editor<Completion, DefaultHistory>> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(true)
        .history_ignore_dups(true)
        .ok()?
        .max_history_size(10_000)
        .ok()?
        .build();
    let mut editor = Editor::with_config(config).ok()?;
    editor.set_helper(Some(Completion {
        server: ctl.server.clone(),
        cache: RefCell::new(None),
    }));
    Some(editor)
}

/// Input that is not a terminal: the prompt on stdout, a plain line in.
fn plain(ctl: &mut Controller, prompt: &str) {
    loop {
        let line = {
            let mut out = std::io::stdout().lock();
            let _ = std::io::Write::write_all(&mut out, prompt.as_bytes());
            let _ = std::io::Write::flush(&mut out);
            drop(out);
            ctl.input.read_line()
        };
        let line = match line {
            Ok(Some(line)) => line,
            _ => "EOF".to_string(),
        };
        if ctl.onecmd(&line) == Flow::Quit {
            return;
        }
    }
}

fn load_history(editor: &mut Editor<Completion, DefaultHistory>, path: &str) {
    let Ok(text) = std::fs::read(path) else {
        return;
    };
    for line in String::from_utf8_lossy(&text).lines() {
        if !line.is_empty() {
            let _ = editor.add_history_entry(line);
        }
    }
}

fn save_history(editor: &Editor<Completion, DefaultHistory>, path: &str) {
    let mut text = String::new();
    for entry in editor.history() {
        text.push_str(entry);
        text.push('\n');
    }
    // 4.3 ignores a history file it cannot write; so do we.
    let _ = std::fs::write(path, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn procs() -> Vec<(String, String)> {
        [
            ("grp", "ga"),
            ("grp", "gb"),
            ("solo", "solo"),
            ("web-1", "web-1"),
        ]
        .iter()
        .map(|(g, n)| (g.to_string(), n.to_string()))
        .collect()
    }

    #[test]
    fn completion_offers_what_4_3_offers() {
        let c = |line: &str, text: &str| candidates(line, text, &procs);
        assert_eq!(c("", ""), {
            let mut all = vec!["help ".to_string()];
            all.extend(help::COMMANDS.iter().map(|a| format!("{a} ")));
            all
        });
        assert_eq!(c("sta", "sta"), ["start ", "status "]);
        assert_eq!(
            c("help re", "re"),
            ["reload ", "remove ", "reread ", "restart "]
        );
        assert_eq!(
            c("status ", ""),
            ["grp:ga ", "grp:* ", "grp:gb ", "solo ", "web-1 "]
        );
        assert_eq!(c("stop so", "so"), ["solo "]);
        assert_eq!(c("stop solo:", "solo:"), ["solo:solo ", "solo:* "]);
        assert_eq!(c("update ", ""), ["grp ", "solo ", "web-1 "]);
        assert_eq!(c("version ", ""), Vec::<String>::new());
    }
}
