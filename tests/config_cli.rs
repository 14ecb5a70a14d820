//! `supervisord`'s own behaviour around configuration: `--test-config`,
//! error exit codes and location lines, unknown-key warnings, hostile
//! files. (Agreement with 4.3 is `config_interop`'s job.)

use std::process::Output;

use crate::util::{TempDir, describe, run_role, text};

fn test_config(dir: &TempDir, conf: &str) -> Output {
    let path = dir.write("supervisord.conf", conf);
    run_role(
        "supervisord",
        &["-c", path.to_str().unwrap(), "--test-config"],
        dir.path(),
        dir.path(),
    )
}

const BASE: &str = "[supervisord]\nlogfile=%(here)s/sv.log\npidfile=%(here)s/sv.pid\n";

#[test]
fn summary_has_a_line_per_process() {
    let dir = TempDir::new("cli");
    let conf = format!(
        "{BASE}[program:web]\ncommand=/bin/sleep 100\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=2\npriority=5\n\n[program:db]\ncommand=/bin/cat\nautostart=false\n"
    );
    let o = test_config(&dir, &conf);
    assert_eq!(o.status.code(), Some(0), "{}", describe("test-config", &o));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].ends_with("valid configuration: 2 groups, 3 processes"),
        "{out}"
    );
    assert!(lines[1].starts_with("web:web_0 (process) priority=5 autostart=true autorestart=unexpected startsecs=1 stopsignal=TERM uid=- command=/bin/sleep 100"), "{out}");
    assert!(lines[2].starts_with("web:web_1 "), "{out}");
    assert!(
        lines[3].starts_with("db (process) priority=999 autostart=false"),
        "{out}"
    );
    assert_eq!(lines.len(), 4);
}

#[test]
fn bad_value_names_file_line_section_key_and_what_is_accepted() {
    let dir = TempDir::new("cli");
    let conf = format!("{BASE}[program:app]\ncommand=/bin/cat\nstopsignal=TERMINATE\n");
    let o = test_config(&dir, &conf);
    assert_eq!(o.status.code(), Some(2), "{}", describe("bad signal", &o));
    let err = text(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    let file = dir.path().join("supervisord.conf");
    assert_eq!(
        lines[0],
        format!(
            "Error: value 'TERMINATE' is not a valid signal name in section 'program:app' (file: '{}')",
            file.display()
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "  {}:6: [program:app] stopsignal = TERMINATE: expected a signal name such as TERM, HUP, INT, QUIT, KILL, USR1 or USR2, or its number",
            file.display()
        )
    );
    assert_eq!(lines[2], "For help, use supervisord -h");
    assert!(o.stdout.is_empty());
}

#[test]
fn unknown_keys_and_sections_are_warned_with_their_place() {
    let dir = TempDir::new("cli");
    let conf = format!(
        "{BASE}comand_typo=1\n[program:app]\ncommand=/bin/cat\nautostrat=true\n[programs:x]\ncommand=/bin/cat\n"
    );
    let o = test_config(&dir, &conf);
    assert_eq!(o.status.code(), Some(0), "{}", describe("unknown keys", &o));
    let err = text(&o.stderr);
    let file = dir.path().join("supervisord.conf");
    let f = file.display();
    assert!(
        err.contains(&format!(
            "WARN {f}:4: [supervisord] unknown option 'comand_typo' is ignored"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "WARN {f}:7: [program:app] unknown option 'autostrat' is ignored"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "WARN {f}:8: unknown section [programs:x] is ignored"
        )),
        "{err}"
    );
}

#[test]
fn missing_unreadable_and_non_utf8_files() {
    let dir = TempDir::new("cli");
    let o = run_role(
        "supervisord",
        &["-c", "nope.conf", "--test-config"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "Error: could not find config file nope.conf\nFor help, use supervisord -h\n"
    );

    std::os::unix::fs::symlink("gone.conf", dir.path().join("dangling.conf")).unwrap();
    let o = run_role(
        "supervisord",
        &["-c", "dangling.conf", "--test-config"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(
        text(&o.stderr),
        "Error: could not find config file dangling.conf\nFor help, use supervisord -h\n"
    );

    std::fs::create_dir(dir.path().join("adir.conf")).unwrap();
    let o = run_role(
        "supervisord",
        &["-c", "adir.conf", "--test-config"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with("Error: could not read config file adir.conf\n"),
        "{}",
        describe("dir", &o)
    );

    let mut bytes = format!("{BASE}[program:a]\n").into_bytes();
    let pos = bytes.len() + "command=/bin/echo ".len();
    bytes.extend_from_slice(b"command=/bin/echo \xff\xfe\n");
    dir.write("latin.conf", &bytes);
    let o = run_role(
        "supervisord",
        &["-c", "latin.conf", "--test-config"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", describe("non-utf8", &o));
    assert_eq!(
        text(&o.stderr),
        format!(
            "Error: 'utf-8' codec can't decode byte 0xff in position {pos}: invalid start byte\n  latin.conf:5: the file is not UTF-8 text; save it as UTF-8\nFor help, use supervisord -h\n"
        )
    );
}

#[test]
fn huge_values_load() {
    let dir = TempDir::new("cli");
    let long = "x".repeat(2 << 20);
    let conf = format!("{BASE}[program:a]\ncommand=/bin/echo {long}\n");
    let o = test_config(&dir, &conf);
    assert_eq!(o.status.code(), Some(0), "{}", describe("huge", &o));
    assert!(text(&o.stdout).contains(&long));
}

#[test]
fn no_config_found_lists_the_search_path() {
    let dir = TempDir::new("cli");
    let o = run_role("supervisord", &["--test-config"], dir.path(), dir.path());
    if std::path::Path::new("/etc/supervisord.conf").exists()
        || std::path::Path::new("/etc/supervisor/supervisord.conf").exists()
    {
        return; // this host has a system config; the search would find it
    }
    assert_eq!(o.status.code(), Some(2), "{}", describe("search", &o));
    let err = text(&o.stderr);
    assert!(
        err.contains("Error: No config file found at default paths (etc/supervisord.conf, supervisord.conf, supervisord.conf, etc/supervisord.conf, /etc/supervisord.conf, /etc/supervisor/supervisord.conf); use the -c option to specify a config file at a different path\nFor help, use supervisord -h\n"),
        "{err}"
    );
    // Found by search in the cwd.
    dir.write(
        "supervisord.conf",
        format!("{BASE}[program:a]\ncommand=/bin/cat\n"),
    );
    let o = run_role("supervisord", &["--test-config"], dir.path(), dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", describe("found", &o));
    assert!(text(&o.stdout).starts_with("supervisord.conf: valid configuration"));
}

fn json_config(dir: &TempDir, conf: &str) -> (Output, serde_json::Value) {
    let path = dir.write("supervisord.conf", conf);
    crate::util::test_config_json(&path, dir.path(), dir.path())
}

/// docs/compat.md: `[DEFAULT]` is a fallback and does not break the
/// standard rpcinterface (4.3 fails to start).
#[test]
fn default_section_is_only_a_fallback() {
    let dir = TempDir::new("cli");
    let conf = format!(
        "[DEFAULT]\nstopwaitsecs=3\n{BASE}[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[program:a]\ncommand=/bin/cat\n"
    );
    let (_, j) = json_config(&dir, &conf);
    assert_eq!(j["groups"][0]["processes"][0]["stopwaitsecs"], 3);
    assert_eq!(
        j["rpcinterfaces"][0]["factory"],
        "supervisor.rpcinterface:make_main_rpcinterface"
    );
}

/// docs/compat.md: Python plugins and nested includes are reported, not
/// fatal and not silent.
#[test]
fn python_plugins_and_nested_includes_are_noticed() {
    let dir = TempDir::new("cli");
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    dir.write(
        "conf.d/a.ini",
        "[include]\nfiles=more/*.ini\n[program:b]\ncommand=/bin/cat\n",
    );
    let conf = format!(
        "{BASE}[include]\nfiles=conf.d/*.ini\n[rpcinterface:twiddler]\nsupervisor.rpcinterface_factory = supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface\n[eventlistener:e]\ncommand=/bin/cat\nevents=TICK_5\nresult_handler=superlance.x:handler\n"
    );
    let (o, j) = json_config(&dir, &conf);
    let notices: Vec<String> = j["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    let has = |s: &str| notices.iter().any(|n| n.contains(s));
    assert!(
        has(
            "[rpcinterface:twiddler] the Python plugin supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface cannot be loaded"
        ),
        "{notices:?}"
    );
    assert!(
        has("[eventlistener:e] the Python result handler superlance.x:handler cannot be loaded"),
        "{notices:?}"
    );
    assert!(
        has("a.ini: [include] in an included file is ignored"),
        "{notices:?}"
    );
    assert!(
        text(&o.stderr).contains("WARN "),
        "{}",
        describe("notices", &o)
    );
    assert_eq!(
        j["groups"].as_array().unwrap().len(),
        2,
        "the included program still loads"
    );
}

/// docs/compat.md: --profile_options is accepted, checked, and says it
/// does nothing.
#[test]
fn profile_options_is_accepted_with_a_warning() {
    let dir = TempDir::new("cli");
    let path = dir.write(
        "supervisord.conf",
        format!("{BASE}[program:a]\ncommand=/bin/cat\n"),
    );
    let p = path.to_str().unwrap();
    let o = run_role(
        "supervisord",
        &[
            "-c",
            p,
            "--profile_options=cumulative,callers",
            "--test-config",
        ],
        dir.path(),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe("profile", &o));
    assert!(text(&o.stderr).contains(
        "--profile_options runs Python's profiler in Supervisor 4.3; it has no effect here"
    ));
    let o = run_role(
        "supervisord",
        &["-c", p, "--profile_options=anything", "--test-config"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        describe("any profile value, as 4.3", &o)
    );
}

/// 4.3 warns root that it searches the cwd for a config; so do we.
#[test]
fn root_searching_for_a_config_is_warned() {
    // SAFETY: getuid cannot fail.
    if unsafe { libc::getuid() } != 0 {
        return; // the warning is for root only
    }
    let dir = TempDir::new("cli");
    dir.write(
        "supervisord.conf",
        format!("{BASE}[program:a]\ncommand=/bin/cat\n"),
    );
    let o = run_role("supervisord", &["--test-config"], dir.path(), dir.path());
    assert!(
        text(&o.stderr).starts_with("supervisord: warning: Supervisord is running as root and it is searching for its configuration file in default locations"),
        "{}",
        describe("root warning", &o)
    );
    let o = run_role(
        "supervisord",
        &["--test-config", "-c", "supervisord.conf"],
        dir.path(),
        dir.path(),
    );
    assert!(!text(&o.stderr).contains("running as root"));
}

#[test]
fn bad_section_name_points_at_the_header() {
    let dir = TempDir::new("cli");
    let o = test_config(
        &dir,
        &format!("{BASE}\n[program:my app]\ncommand=/bin/cat\n"),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    let file = dir.path().join("supervisord.conf");
    assert_eq!(
        err,
        format!(
            "Error: Invalid name: 'my app' because of character: ' '\n  {}:5: [program:my app]: expected a name without spaces, ':' or '/'\nFor help, use supervisord -h\n",
            file.display()
        )
    );
}
