//! The man pages (`man/`) and the shell completion scripts
//! (`completions/`): they are well-formed, and they keep up with the
//! binary.
//!
//! * Every page renders without a warning: through `groff -man -ww` and
//!   `mandoc -Tlint` when those are installed (CI installs groff), and
//!   always through a structural check of our own (`.TH` first, known
//!   macros and escapes only, balanced `.RS`/`.RE` and `.nf`/`.fi`).
//! * The lists come from the binary at test time, so adding an option, a
//!   `supervisorctl` action or a configuration key without documenting it
//!   fails here: every option of `supervisord -h` / `supervisorctl -h` is
//!   in its man page and in its bash, zsh and fish scripts; every action of
//!   `supervisorctl help` is an entry of the page's ACTIONS and is in every
//!   supervisorctl script; every section of `echo_supervisord_conf` and
//!   every key the loader knows is an entry of `supervisord.conf.5`.
//! * The bash scripts pass `bash -n` and really complete: options and
//!   action names; with a running daemon, process and group names fetched
//!   through our `supervisorctl` (a symlink on PATH); with none, nothing,
//!   and nothing on stderr.
//! * zsh and fish scripts pass `zsh -n` / `fish -n` when those shells are
//!   installed (skipped with a note otherwise).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::{Daemon, LIMIT, control_section, supervisord_section};
use crate::util::{Ran, TempDir, bin, describe, root, run_bounded, run_role, text};

const PAGES: &[&str] = &[
    "supervisord.1",
    "supervisorctl.1",
    "echo_supervisord_conf.1",
    "pidproxy.1",
    "supervisord.conf.5",
];

fn read(rel: &str) -> String {
    let p = root().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// Runs `cmd` with stdin closed, bounded by LIMIT; panics if it had to
/// be killed.
fn run_done(cmd: &mut Command) -> Ran {
    let o = run_bounded(cmd, None, LIMIT);
    assert!(o.finished, "{}", o.describe(&format!("{cmd:?}")));
    o
}

/// Whether `program` can be run (`program --version` starts).
fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

// ---- roff ---------------------------------------------------------------

/// Source text as a reader sees it: font escapes dropped, `\-` as `-`,
/// the few special characters we use replaced.
fn plain(roff: &str) -> String {
    let mut s = roff.to_string();
    for (from, to) in [
        ("\\fB", ""),
        ("\\fI", ""),
        ("\\fR", ""),
        ("\\fP", ""),
        ("\\-", "-"),
        ("\\(aq", "'"),
        ("\\(dq", "\""),
        ("\\(ti", "~"),
        ("\\(bu", "*"),
        ("\\~", " "),
        ("\\&", ""),
        ("\\%", ""),
        ("\\e", "\\"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// The text of a macro line's arguments, quotes removed and words joined
/// as the alternating-font macros join them (`.BR a ", " b` is `a, b`).
fn macro_text(line: &str) -> String {
    let (name, rest) = line[1..].split_once(' ').unwrap_or((&line[1..], ""));
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in rest.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    args.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        args.push(cur);
    }
    let sep = if ["B", "I", "SH", "SS"].contains(&name) {
        " "
    } else {
        ""
    };
    plain(&args.join(sep))
}

/// The tags of the `.TP` entries of section `sh` (all sections if None).
fn tags(roff: &str, sh: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = roff.lines();
    while let Some(line) = lines.next() {
        if line.starts_with(".SH ") {
            section = macro_text(line);
        } else if line == ".TP" && sh.is_none_or(|s| s == section) {
            if let Some(tag) = lines.next() {
                out.push(if tag.starts_with('.') {
                    macro_text(tag)
                } else {
                    plain(tag)
                });
            }
        }
    }
    out
}

/// Problems a formatter would complain about, checked without one.
fn structural_problems(name: &str, roff: &str) -> Vec<String> {
    const MACROS: &[&str] = &[
        "TH", "SH", "SS", "TP", "IP", "PP", "LP", "P", "B", "I", "BR", "BI", "IB", "IR", "RB",
        "RI", "RS", "RE", "nf", "fi", "br", "sp", "\\\"",
    ];
    let mut problems = Vec::new();
    let section = name.rsplit('.').next().unwrap_or("");
    let mut lines = roff
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with(".\\\""));
    match lines.next() {
        Some((_, l)) if l.starts_with(".TH ") => {
            let words: Vec<&str> = l.split_whitespace().collect();
            if words.get(2) != Some(&section) {
                problems.push(format!("{name}: .TH section is not {section}: {l}"));
            }
        }
        other => problems.push(format!("{name}: does not start with .TH: {other:?}")),
    }
    let mut rs = 0i32;
    let mut nofill = false;
    let mut sections = Vec::new();
    for (i, line) in roff.lines().enumerate() {
        let n = i + 1;
        if line.starts_with('\'') {
            problems.push(format!(
                "{name}:{n}: line starts with a quote (a control line)"
            ));
        }
        if line.ends_with(' ') || line.ends_with('\t') {
            problems.push(format!("{name}:{n}: trailing whitespace"));
        }
        if line.is_empty() && !nofill {
            problems.push(format!("{name}:{n}: blank line in fill mode"));
        }
        if let Some(m) = line.strip_prefix('.') {
            let mac = m.split(' ').next().unwrap_or("");
            if !MACROS.contains(&mac) {
                problems.push(format!("{name}:{n}: macro .{mac} is not in the allow-list"));
            }
            match mac {
                "RS" => rs += 1,
                "RE" => {
                    rs -= 1;
                    if rs < 0 {
                        problems.push(format!("{name}:{n}: .RE without .RS"));
                        rs = 0;
                    }
                }
                "nf" if nofill => problems.push(format!("{name}:{n}: .nf inside .nf")),
                "nf" => nofill = true,
                "fi" if !nofill => problems.push(format!("{name}:{n}: .fi without .nf")),
                "fi" => nofill = false,
                "SH" => sections.push(macro_text(line)),
                _ => {}
            }
        }
        // Every escape is one we know.
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                continue;
            }
            let ok = match chars.next() {
                Some('-' | 'e' | '&' | '~' | '%' | '|' | '^' | '"') => true,
                Some('f') => matches!(chars.next(), Some('B' | 'I' | 'R' | 'P')),
                Some('(') => chars.next().is_some() && chars.next().is_some(),
                _ => false,
            };
            if !ok {
                problems.push(format!("{name}:{n}: unknown escape in: {line}"));
            }
        }
    }
    if rs != 0 {
        problems.push(format!("{name}: {rs} .RS without .RE"));
    }
    if nofill {
        problems.push(format!("{name}: ends inside .nf"));
    }
    for required in ["NAME", "DESCRIPTION", "SEE ALSO"] {
        if !sections.iter().any(|s| s == required) {
            problems.push(format!("{name}: no {required} section"));
        }
    }
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    if !roff.contains(&format!("\n.SH NAME\n{stem} \\- ")) {
        problems.push(format!("{name}: NAME is not `{stem} \\- ...`"));
    }
    problems
}

#[test]
fn man_pages_render_without_warnings() {
    let mut problems = Vec::new();
    for page in PAGES {
        problems.extend(structural_problems(page, &read(&format!("man/{page}"))));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let mut formatters = 0;
    if have("groff") {
        formatters += 1;
        for page in PAGES {
            let path = root().join("man").join(page);
            let o = run_done(
                Command::new("groff")
                    .args(["-man", "-Tutf8", "-ww", "-z"])
                    .arg(&path),
            );
            assert!(
                o.success() && o.stderr.is_empty() && o.stdout.is_empty(),
                "{}",
                o.describe(&format!("groff -man -Tutf8 -ww -z man/{page}"))
            );
        }
    }
    if have("mandoc") {
        formatters += 1;
        for page in PAGES {
            let path = root().join("man").join(page);
            let o = run_done(
                Command::new("mandoc")
                    .args(["-Tlint", "-W", "warning"])
                    .arg(&path),
            );
            assert!(
                o.success() && o.stdout.is_empty() && o.stderr.is_empty(),
                "{}",
                o.describe(&format!("mandoc -Tlint -W warning man/{page}"))
            );
        }
    }
    if formatters == 0 {
        println!("note: neither groff nor mandoc is installed; only the structural check ran");
    }
}

// ---- what the binary offers ----------------------------------------------

/// The options listed in `role -h` (the lines after `Options:` up to the
/// first blank line): `-c`, `--configuration`, ...
fn help_options(role: &str) -> Vec<String> {
    let dir = TempDir::new("mc-help");
    let o = run_role(role, &["-h"], dir.path(), dir.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        describe(&format!("{role} -h"), &o)
    );
    let out = text(&o.stdout);
    let block = out
        .split_once("\nOptions:\n")
        .unwrap_or_else(|| panic!("no Options: in {role} -h:\n{out}"))
        .1;
    let mut opts = Vec::new();
    for line in block.lines().take_while(|l| !l.trim().is_empty()) {
        let Some(spec) = line.split(" -- ").next() else {
            continue;
        };
        if !spec.starts_with('-') {
            continue;
        }
        let names = spec.split_whitespace().next().unwrap_or("");
        opts.extend(names.split('/').map(str::to_string));
    }
    assert!(
        opts.len() >= 8,
        "too few options parsed from {role} -h:\n{out}"
    );
    opts
}

/// The dash words of a free-text help (`-h/--help, --version.`).
fn help_dash_words(role: &str) -> Vec<String> {
    let dir = TempDir::new("mc-help");
    let o = run_role(role, &["-h"], dir.path(), dir.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        describe(&format!("{role} -h"), &o)
    );
    text(&o.stdout)
        .split_whitespace()
        .flat_map(|w| w.split('/'))
        .map(|w| w.trim_end_matches(['.', ',', ';', ')']).to_string())
        .filter(|w| {
            w.starts_with('-')
                && w.trim_start_matches('-')
                    .starts_with(|c: char| c.is_ascii_alphanumeric())
        })
        .collect()
}

/// The actions of `supervisorctl help` (the table under the `=====` line).
fn ctl_actions() -> Vec<String> {
    let dir = TempDir::new("mc-help");
    let conf = dir.write(
        "ctl.conf",
        "[supervisorctl]\nserverurl=unix://%(here)s/none.sock\n",
    );
    let o = run_role(
        "supervisorctl",
        &["-c", conf.to_str().unwrap(), "help"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        describe("supervisorctl help", &o)
    );
    let out = text(&o.stdout);
    let table = out
        .split_once("=\n")
        .unwrap_or_else(|| panic!("no ===== line in supervisorctl help:\n{out}"))
        .1;
    let actions: Vec<String> = table
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .flat_map(str::split_whitespace)
        .map(str::to_string)
        .collect();
    assert!(
        actions.len() >= 20 && actions.iter().any(|a| a == "status"),
        "unexpected supervisorctl help:\n{out}"
    );
    actions
}

/// Whether `word` occurs in `text` with no word character
/// (alphanumeric, `_`, `-`) right before or after it.
fn has_token(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// How a fish script names option `opt`: `-s c` or `-l configuration`.
fn fish_form(opt: &str) -> String {
    match opt.strip_prefix("--") {
        Some(long) => format!("-l {long}"),
        None => format!("-s {}", &opt[1..]),
    }
}

/// Checks every option of `role -h` in its page and scripts.
fn options_documented(role: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let page = plain(&read(&format!("man/{role}.1")));
    let bash = read(&format!("completions/{role}.bash"));
    let zsh = read(&format!("completions/_{role}"));
    let fish = read(&format!("completions/{role}.fish"));
    for opt in help_options(role) {
        if !has_token(&page, &opt) {
            missing.push(format!("man/{role}.1 does not mention {opt}"));
        }
        if !has_token(&bash, &opt) {
            missing.push(format!("completions/{role}.bash does not offer {opt}"));
        }
        if !has_token(&zsh, &opt) {
            missing.push(format!("completions/_{role} does not offer {opt}"));
        }
        if !has_token(&fish, &fish_form(&opt)) {
            missing.push(format!(
                "completions/{role}.fish does not offer {opt} ({})",
                fish_form(&opt)
            ));
        }
    }
    missing
}

#[test]
fn every_option_of_the_binary_is_documented_and_completed() {
    let mut missing = options_documented("supervisord");
    missing.extend(options_documented("supervisorctl"));
    for role in ["echo_supervisord_conf", "pidproxy"] {
        let page = plain(&read(&format!("man/{role}.1")));
        for opt in help_dash_words(role) {
            if !has_token(&page, &opt) {
                missing.push(format!("man/{role}.1 does not mention {opt}"));
            }
        }
        // Both take -h/--help and --version (not all listed in their -h).
        for opt in ["-h", "--help", "--version"] {
            if !has_token(&page, opt) {
                missing.push(format!("man/{role}.1 does not mention {opt}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_supervisorctl_action_is_documented_and_completed() {
    let actions = ctl_actions();
    let roff = read("man/supervisorctl.1");
    let entries: Vec<String> = tags(&roff, Some("ACTIONS"))
        .iter()
        .flat_map(|t| {
            t.split([' ', ','])
                .take_while(|w| !w.starts_with(['[', '-']))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let scripts = [
        "completions/supervisorctl.bash",
        "completions/_supervisorctl",
        "completions/supervisorctl.fish",
    ];
    let mut missing = Vec::new();
    for a in &actions {
        if !entries.contains(a) {
            missing.push(format!("man/supervisorctl.1 has no ACTIONS entry for {a}"));
        }
        for s in scripts {
            if !has_token(&read(s), a) {
                missing.push(format!("{s} does not offer {a}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{}\n(ACTIONS entries: {entries:?})",
        missing.join("\n")
    );
}

#[test]
fn every_configuration_section_and_key_is_documented() {
    let dir = TempDir::new("mc-sample");
    let o = run_role(
        "echo_supervisord_conf",
        &[] as &[&str],
        dir.path(),
        dir.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        describe("echo_supervisord_conf", &o)
    );
    let sample = text(&o.stdout);

    // Sections (commented out or not) and the keys written under them.
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in sample.lines() {
        let l = line.strip_prefix(';').unwrap_or(line);
        if let Some(rest) = l.strip_prefix('[') {
            if let Some((name, _)) = rest.split_once(']') {
                sections.push((name.to_string(), Vec::new()));
            }
            continue;
        }
        if !l.starts_with(|c: char| c.is_ascii_lowercase()) {
            continue;
        }
        let key: String = l
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        if l[key.len()..].trim_start().starts_with('=') {
            if let Some((_, keys)) = sections.last_mut() {
                keys.push(key);
            }
        }
    }
    assert!(
        sections.len() >= 9,
        "sections parsed from the sample: {sections:?}"
    );

    let roff = read("man/supervisord.conf.5");
    let headings: Vec<String> = roff
        .lines()
        .filter(|l| l.starts_with(".SH "))
        .map(macro_text)
        .collect();
    let entries: Vec<String> = tags(&roff, None)
        .iter()
        .flat_map(|t| {
            t.split(", ")
                .filter_map(|piece| piece.split_once('=').map(|(k, _)| k.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut missing = Vec::new();
    for (name, sample_keys) in &sections {
        let generic = match name.split_once(':') {
            Some((kind, _)) => format!("[{kind}:x]"),
            None => format!("[{name}]"),
        };
        if !headings.contains(&generic) {
            missing.push(format!("no section {generic} (for [{name}] of the sample)"));
        }
        // Every key the loader knows for this section; plugin sections
        // (whose keys all go to the plugin) by the sample's keys.
        let keys: Vec<String> = match supervisor::config::known_keys(name) {
            Some(k) => k.iter().map(|k| k.to_string()).collect(),
            None => sample_keys.clone(),
        };
        for k in keys {
            if !entries.contains(&k) {
                missing.push(format!("no entry {k}= (for [{name}])"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "man/supervisord.conf.5:\n{}\n(entries: {entries:?})",
        missing.join("\n")
    );
}

// ---- completion scripts ----------------------------------------------------

/// Runs completion function `func` of bash script `script` on the words
/// (the last one is being typed; `line` is the command line as typed),
/// with `path_dir` first on PATH. Returns the candidates and stderr.
fn bash_complete(
    script: &str,
    func: &str,
    line: &str,
    words: &[&str],
    path_dir: &Path,
) -> (Vec<String>, String) {
    let driver = r#"
script=$1 func=$2 line=$3
shift 3
source "$script" || exit 99
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$func"
for c in "${COMPREPLY[@]}"; do printf '<%s>\n' "$c"; done
"#;
    let o = run_done(
        Command::new("bash")
            .arg("-c")
            .arg(driver)
            .arg("bash")
            .arg(root().join(script))
            .arg(func)
            .arg(line)
            .args(words)
            .current_dir(path_dir)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", path_dir.display()),
            )
            .env("HOME", path_dir)
            .env("LANG", "C.UTF-8"),
    );
    assert_eq!(
        o.code,
        Some(0),
        "{}",
        o.describe(&format!("completing {line:?}"))
    );
    let candidates = o
        .stdout
        .lines()
        .map(|l| {
            l.strip_prefix('<')
                .and_then(|l| l.strip_suffix('>'))
                .unwrap_or_else(|| panic!("stray output line {l:?} completing {line:?}"))
                .to_string()
        })
        .collect();
    (candidates, o.stderr)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &[&str]) -> Vec<String> {
    sorted(v.iter().map(|s| s.to_string()).collect())
}

/// A directory holding a `supervisorctl` symlink to our binary, to put
/// first on PATH.
fn ctl_on_path(dir: &TempDir) -> PathBuf {
    let bindir = dir.path().join("bin");
    std::fs::create_dir_all(&bindir).expect("mkdir bin");
    std::os::unix::fs::symlink(bin(), bindir.join("supervisorctl")).expect("symlink");
    bindir
}

#[test]
fn bash_scripts_parse_and_complete_options_and_actions() {
    if !have("bash") {
        println!("note: bash is not installed; bash completion not checked");
        return;
    }
    for script in [
        "completions/supervisorctl.bash",
        "completions/supervisord.bash",
    ] {
        let o = run_done(Command::new("bash").arg("-n").arg(root().join(script)));
        assert!(o.success(), "{}", o.describe(&format!("bash -n {script}")));
    }
    let dir = TempDir::new("mc-bash");
    let ctl = "completions/supervisorctl.bash";
    let sd = "completions/supervisord.bash";
    let check = |script: &str, line: &str, words: &[&str], want: &[&str]| {
        let func = if script == ctl {
            "_supervisorctl"
        } else {
            "_supervisord"
        };
        let (got, err) = bash_complete(script, func, line, words, dir.path());
        assert_eq!(sorted(got), strings(want), "completing {line:?}");
        assert_eq!(err, "", "stderr completing {line:?}");
    };
    check(
        ctl,
        "supervisorctl sta",
        &["supervisorctl", "sta"],
        &["start", "status"],
    );
    check(
        ctl,
        "supervisorctl --hist",
        &["supervisorctl", "--hist"],
        &["--history_file"],
    );
    check(
        ctl,
        "supervisorctl -i re",
        &["supervisorctl", "-i", "re"],
        &["reload", "remove", "reread", "restart"],
    );
    check(
        ctl,
        "supervisorctl help up",
        &["supervisorctl", "help", "up"],
        &["update"],
    );
    check(
        ctl,
        "supervisorctl tail -f web ",
        &["supervisorctl", "tail", "-f", "web", ""],
        &["stdout", "stderr"],
    );
    check(
        ctl,
        "supervisorctl status --",
        &["supervisorctl", "status", "--"],
        &["--json"],
    );
    // bash splits `unix:///x.sock` at ':'.
    check(
        ctl,
        "supervisorctl -s unix:///x.sock ver",
        &["supervisorctl", "-s", "unix", ":", "///x.sock", "ver"],
        &["version"],
    );
    check(
        sd,
        "supervisord --test",
        &["supervisord", "--test"],
        &["--test-config"],
    );
    check(
        sd,
        "supervisord -e de",
        &["supervisord", "-e", "de"],
        &["debug"],
    );
    check(
        sd,
        "supervisord --loglevel=cr",
        &["supervisord", "--loglevel", "=", "cr"],
        &["critical"],
    );
}

#[test]
fn bash_completes_names_from_the_running_daemon_and_nothing_without_one() {
    if !have("bash") {
        println!("note: bash is not installed; bash completion not checked");
        return;
    }
    let programs = r#"
[program:echo]
command=sleep 1000

[program:editor]
command=sleep 1000
autostart=false

[group:grp]
programs=ga,gb

[program:ga]
command=sleep 1000

[program:gb]
command=sleep 1000
"#;
    let daemon = Daemon::start(
        "mc-daemon",
        &format!(
            "{}{}{programs}",
            supervisord_section(""),
            control_section("")
        ),
    );
    daemon.wait_socket("supervisor.sock");
    let bindir = ctl_on_path(&daemon.dir);
    let c = daemon.conf.to_str().expect("utf-8 temp path");
    let ctl = "completions/supervisorctl.bash";
    let run = |line_tail: &str, words: &[&str]| {
        let mut all = vec!["supervisorctl", "-c", c];
        all.extend_from_slice(words);
        let line = format!("supervisorctl -c {c} {line_tail}");
        let (got, err) = bash_complete(ctl, "_supervisorctl", &line, &all, &bindir);
        assert_eq!(err, "", "stderr completing {line:?}");
        sorted(got)
    };
    assert_eq!(run("status ec", &["status", "ec"]), strings(&["echo"]));
    assert_eq!(run("stop e", &["stop", "e"]), strings(&["echo", "editor"]));
    // `grp:` is three words for bash; the candidates replace what follows ':'.
    assert_eq!(
        run("start grp:", &["start", "grp", ":"]),
        strings(&["*", "ga", "gb"])
    );
    assert_eq!(
        run("tail grp:g", &["tail", "grp", ":", "g"]),
        strings(&["ga", "gb"])
    );
    assert_eq!(
        run("add ", &["add", ""]),
        strings(&["echo", "editor", "grp"])
    );
    assert_eq!(
        run("restart ", &["restart", ""]),
        strings(&["all", "echo", "editor", "grp:*", "grp:ga", "grp:gb"])
    );
    if have("fish") {
        // fish asks its own completion engine (`complete -C`); candidates
        // come back as `word<TAB>description`.
        let fish = |line: &str| {
            let script = format!(
                "source {}; complete -C '{line}'",
                root().join("completions/supervisorctl.fish").display()
            );
            let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bindir.display());
            let o = run_done(
                Command::new("fish")
                    .args(["--no-config", "-c", &script])
                    .env("PATH", path),
            );
            assert!(o.stderr.is_empty(), "{}", o.describe(line));
            sorted(
                o.stdout
                    .lines()
                    .map(|l| l.split('\t').next().unwrap_or_default().to_string())
                    .collect(),
            )
        };
        assert_eq!(
            fish(&format!("supervisorctl -c {c} status ec")),
            strings(&["echo"])
        );
        assert_eq!(
            fish(&format!("supervisorctl -c {c} start grp:")),
            strings(&["grp:*", "grp:ga", "grp:gb"])
        );
    } else {
        println!("note: fish is not installed; fish completion of names not checked");
    }
    drop(daemon);

    // No daemon: the socket is gone; nothing offered, nothing printed.
    let dir = TempDir::new("mc-nodaemon");
    let bindir = ctl_on_path(&dir);
    let conf = dir.write(
        "ctl.conf",
        "[supervisorctl]\nserverurl=unix://%(here)s/supervisor.sock\n",
    );
    let c = conf.to_str().expect("utf-8 temp path");
    for (tail, words) in [
        ("status ec", vec!["status", "ec"]),
        ("add ", vec!["add", ""]),
        ("fg ", vec!["fg", ""]),
    ] {
        let mut all = vec!["supervisorctl", "-c", c];
        all.extend(words);
        let line = format!("supervisorctl -c {c} {tail}");
        let (got, err) = bash_complete(ctl, "_supervisorctl", &line, &all, &bindir);
        assert!(
            got.is_empty(),
            "completing {line:?} without a daemon gave {got:?}"
        );
        assert_eq!(err, "", "stderr completing {line:?} without a daemon");
    }
}

#[test]
fn zsh_and_fish_scripts_parse_when_those_shells_exist() {
    for (shell, scripts) in [
        (
            "zsh",
            ["completions/_supervisorctl", "completions/_supervisord"],
        ),
        (
            "fish",
            [
                "completions/supervisorctl.fish",
                "completions/supervisord.fish",
            ],
        ),
    ] {
        if !have(shell) {
            println!("note: {shell} is not installed; {scripts:?} not syntax-checked");
            continue;
        }
        for script in scripts {
            let o = run_done(Command::new(shell).arg("-n").arg(root().join(script)));
            assert!(
                o.success() && o.stderr.is_empty(),
                "{}",
                o.describe(&format!("{shell} -n {script}"))
            );
        }
    }
}
