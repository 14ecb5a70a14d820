//! One binary, four roles, chosen busybox style: by the basename of
//! argv\[0\] (`supervisord`, `supervisorctl`, `echo_supervisord_conf`,
//! `pidproxy`), or as `supervisor ROLE ARGS...`.
//!
//! Called under any other name, the binary is `supervisor` itself:
//! `--help`, `--version`, `--list` (one role per line, sorted) and
//! `--install [--force] DIR` (create the role symlinks). An unknown role is
//! `supervisor: unknown role 'x'`, exit 2.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A role: its name, one line for `--help`, its entry point (argv\[0\] as
/// the role should call itself, the remaining arguments; returns the exit
/// code).
pub struct Role {
    pub name: &'static str,
    pub summary: &'static str,
    pub main: fn(&str, Vec<OsString>) -> i32,
}

/// Sorted by name.
pub const ROLES: &[Role] = &[
    Role {
        name: "echo_supervisord_conf",
        summary: "print a sample configuration file",
        main: crate::confecho::main,
    },
    Role {
        name: "pidproxy",
        summary: "run a command and forward signals to the pid in its pidfile",
        main: crate::pidproxy::main,
    },
    Role {
        name: "supervisorctl",
        summary: "control a running supervisord",
        main: crate::ctl::main,
    },
    Role {
        name: "supervisord",
        summary: "run and supervise a set of programs",
        main: crate::daemon::main,
    },
];

pub fn role(name: &str) -> Option<&'static Role> {
    ROLES.iter().find(|r| r.name == name)
}

fn help() -> String {
    let mut s = format!(
        "supervisor {} -- a drop-in replacement for Supervisor {} (supervisord and friends).\n\nUsage: supervisor ROLE [ARGS...]\n       ROLE [ARGS...]            (through a symlink named after the role)\n       supervisor --install [--force] DIR\n       supervisor --list | --help | --version\n\nRoles:\n",
        env!("CARGO_PKG_VERSION"),
        crate::daemon::COMPAT_VERSION
    );
    for r in ROLES {
        s.push_str(&format!("  {:<22} {}\n", r.name, r.summary));
    }
    s.push_str("\n--install DIR creates a symlink in DIR for every role, pointing at this binary;\nit refuses to replace a file that is not such a symlink unless --force is given.\n");
    s
}

/// Entry point of the binary.
pub fn run() -> i32 {
    let mut args = std::env::args_os();
    let argv0 = args
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "supervisor".into());
    let rest: Vec<OsString> = args.collect();
    let base = Path::new(&argv0)
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    match role(&base) {
        Some(r) => (r.main)(&argv0, rest),
        None => multicall(&argv0, rest),
    }
}

/// The role's own argv\[0\] when run as `supervisor ROLE`: the role's name
/// beside the binary, as a symlink would be, so the config search and
/// messages read the same.
fn role_argv0(argv0: &str, name: &str) -> String {
    match Path::new(argv0)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        Some(dir) => dir.join(name).to_string_lossy().into_owned(),
        None => name.to_string(),
    }
}

fn multicall(argv0: &str, mut args: Vec<OsString>) -> i32 {
    if args.is_empty() {
        eprint!("{}", help());
        return 2;
    }
    let first = args.remove(0).to_string_lossy().into_owned();
    match first.as_str() {
        "-h" | "--help" => crate::print_stdout(&help()),
        "-V" | "--version" => crate::print_stdout(&format!(
            "supervisor {} (compatible with Supervisor {})\n",
            env!("CARGO_PKG_VERSION"),
            crate::daemon::COMPAT_VERSION
        )),
        "--list" => {
            if !args.is_empty() {
                eprintln!("supervisor: --list takes no arguments");
                return 2;
            }
            let list: String = ROLES.iter().map(|r| format!("{}\n", r.name)).collect();
            crate::print_stdout(&list)
        }
        "--install" => install(args),
        name => match role(name) {
            Some(r) => (r.main)(&role_argv0(argv0, r.name), args),
            None => {
                let names: Vec<&str> = ROLES.iter().map(|r| r.name).collect();
                eprintln!(
                    "supervisor: unknown role '{name}' (roles: {}; see supervisor --help)",
                    names.join(", ")
                );
                2
            }
        },
    }
}

/// `--install [--force] DIR`.
fn install(args: Vec<OsString>) -> i32 {
    let mut force = false;
    let mut dir: Option<PathBuf> = None;
    for a in args {
        if a == "--force" {
            force = true;
        } else if dir.is_none() && !a.to_string_lossy().starts_with('-') {
            dir = Some(PathBuf::from(a));
        } else {
            eprintln!(
                "supervisor: --install takes [--force] and one directory, not '{}'",
                a.to_string_lossy()
            );
            return 2;
        }
    }
    let Some(dir) = dir else {
        eprintln!("supervisor: --install needs a directory: supervisor --install [--force] DIR");
        return 2;
    };
    if !dir.is_dir() {
        eprintln!(
            "supervisor: cannot install into {}: not a directory",
            dir.display()
        );
        return 1;
    }
    let exe = match std::env::current_exe().and_then(|e| e.canonicalize()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("supervisor: cannot find this binary's path: {e}");
            return 1;
        }
    };
    let is_ours = |p: &Path| {
        std::fs::read_link(p).is_ok() && p.canonicalize().ok().as_deref() == Some(exe.as_path())
    };
    // Check every target before changing any, so a refusal changes nothing.
    let mut blocked = Vec::new();
    for r in ROLES {
        let target = dir.join(r.name);
        if std::fs::symlink_metadata(&target).is_ok() && !is_ours(&target) {
            blocked.push(target);
        }
    }
    if !blocked.is_empty() && !force {
        for b in &blocked {
            eprintln!(
                "supervisor: {} exists and is not a link to {}; not replacing it (use --force)",
                b.display(),
                exe.display()
            );
        }
        return 1;
    }
    let mut out = String::new();
    for r in ROLES {
        let target = dir.join(r.name);
        if is_ours(&target) {
            out.push_str(&format!(
                "{} -> {} (already there)\n",
                target.display(),
                exe.display()
            ));
            continue;
        }
        if std::fs::symlink_metadata(&target).is_ok() {
            if let Err(e) = std::fs::remove_file(&target) {
                eprintln!("supervisor: cannot replace {}: {e}", target.display());
                return 1;
            }
        }
        if let Err(e) = std::os::unix::fs::symlink(&exe, &target) {
            eprintln!("supervisor: cannot create {}: {e}", target.display());
            return 1;
        }
        out.push_str(&format!("{} -> {}\n", target.display(), exe.display()));
    }
    crate::print_stdout(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_sorted_and_unique() {
        let names: Vec<&str> = ROLES.iter().map(|r| r.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn role_argv0_sits_beside_the_binary() {
        assert_eq!(
            role_argv0("/usr/bin/supervisor", "supervisord"),
            "/usr/bin/supervisord"
        );
        assert_eq!(role_argv0("supervisor", "supervisord"), "supervisord");
    }
}
