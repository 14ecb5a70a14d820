//! Command-line parsing with Python `getopt`'s rules and messages, which
//! Supervisor 4.3's `supervisord` and `supervisorctl` use, on top of
//! `lexopt`.
//!
//! getopt's rules, which scripts calling 4.3 rely on:
//! * short options may be clustered (`-nc file`, `-cfile`);
//! * a long option may be any unambiguous prefix (`--nodae`), with its
//!   value after `=` or in the next argument;
//! * an option's value is the next argument even if it starts with `-`;
//! * the first argument that is not an option ends option parsing: it and
//!   everything after it are positional (`supervisorctl tail -f web`).
//!
//! Each role describes its options as a table of `OptSpec` and gets back
//! the options in order, as getopt names them (`-c`, `--configuration`).

use std::ffi::OsString;

/// One option of a role.
#[derive(Clone, Copy, Debug)]
pub struct OptSpec {
    pub short: Option<char>,
    pub long: Option<&'static str>,
    /// The value's name in help (`FILENAME`); `None` for a flag.
    pub metavar: Option<&'static str>,
    /// One line for `--help`.
    pub help: &'static str,
}

/// One option as given: which spec, its name as getopt reports it, value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Given {
    pub spec: usize,
    pub name: String,
    pub value: Option<String>,
}

/// Parses `args` (without argv\[0\]). Errors are getopt's messages.
pub fn parse(specs: &[OptSpec], args: Vec<OsString>) -> Result<(Vec<Given>, Vec<String>), String> {
    use lexopt::Arg;
    let mut parser = lexopt::Parser::from_args(args);
    let mut given = Vec::new();
    let mut positional = Vec::new();
    loop {
        let arg = match parser.next() {
            Ok(Some(a)) => a,
            Ok(None) => break,
            Err(e) => return Err(e.to_string()),
        };
        match arg {
            Arg::Short(c) => {
                let Some(i) = specs.iter().position(|s| s.short == Some(c)) else {
                    return Err(format!("option -{c} not recognized"));
                };
                let value = if specs[i].metavar.is_some() {
                    match parser.value() {
                        Ok(v) => Some(v.to_string_lossy().into_owned()),
                        Err(_) => return Err(format!("option -{c} requires argument")),
                    }
                } else {
                    None
                };
                given.push(Given {
                    spec: i,
                    name: format!("-{c}"),
                    value,
                });
            }
            Arg::Long(typed) => {
                let typed = typed.to_string();
                let i = match specs.iter().position(|s| s.long == Some(typed.as_str())) {
                    Some(i) => i,
                    None => {
                        let hits: Vec<usize> = specs
                            .iter()
                            .enumerate()
                            .filter(|(_, s)| s.long.is_some_and(|l| l.starts_with(&typed)))
                            .map(|(i, _)| i)
                            .collect();
                        match hits.as_slice() {
                            [] => return Err(format!("option --{typed} not recognized")),
                            [i] => *i,
                            _ => return Err(format!("option --{typed} not a unique prefix")),
                        }
                    }
                };
                let long = specs[i].long.unwrap_or_default();
                let value = if specs[i].metavar.is_some() {
                    match parser.value() {
                        Ok(v) => Some(v.to_string_lossy().into_owned()),
                        Err(_) => return Err(format!("option --{long} requires argument")),
                    }
                } else {
                    if parser.optional_value().is_some() {
                        return Err(format!("option --{long} must not have an argument"));
                    }
                    None
                };
                given.push(Given {
                    spec: i,
                    name: format!("--{long}"),
                    value,
                });
            }
            Arg::Value(v) => {
                positional.push(v.to_string_lossy().into_owned());
                if let Ok(rest) = parser.raw_args() {
                    positional.extend(rest.map(|a| a.to_string_lossy().into_owned()));
                }
                break;
            }
        }
    }
    Ok((given, positional))
}

/// `-?`, which Supervisor accepts for help in both roles and does not list.
pub const QUESTION_MARK_HELP: OptSpec = OptSpec {
    short: Some('?'),
    long: None,
    metavar: None,
    help: "same as --help",
};

/// The option lines of a help text: `-c/--configuration FILENAME -- text`
/// (`-?` is left out, as 4.3 leaves it out).
pub fn help_lines(specs: &[OptSpec]) -> String {
    let mut out = String::new();
    for s in specs.iter().filter(|s| s.short != Some('?')) {
        let mut names = Vec::new();
        if let Some(c) = s.short {
            names.push(format!("-{c}"));
        }
        if let Some(l) = s.long {
            names.push(format!("--{l}"));
        }
        let metavar = s.metavar.map(|m| format!(" {m}")).unwrap_or_default();
        out.push_str(&format!("{}{metavar} -- {}\n", names.join("/"), s.help));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptSpec] = &[
        OptSpec {
            short: Some('c'),
            long: Some("configuration"),
            metavar: Some("FILE"),
            help: "",
        },
        OptSpec {
            short: Some('n'),
            long: Some("nodaemon"),
            metavar: None,
            help: "",
        },
        OptSpec {
            short: None,
            long: Some("nocleanup"),
            metavar: None,
            help: "",
        },
        OptSpec {
            short: Some('e'),
            long: Some("loglevel"),
            metavar: Some("LEVEL"),
            help: "",
        },
    ];

    fn p(args: &[&str]) -> Result<(Vec<Given>, Vec<String>), String> {
        parse(SPECS, args.iter().map(OsString::from).collect())
    }

    fn names(args: &[&str]) -> Vec<(String, Option<String>)> {
        p(args)
            .unwrap()
            .0
            .into_iter()
            .map(|g| (g.name, g.value))
            .collect()
    }

    #[test]
    fn clusters_and_attached_values() {
        assert_eq!(
            names(&["-nc", "f.conf", "-edebug"]),
            [
                ("-n".into(), None),
                ("-c".into(), Some("f.conf".into())),
                ("-e".into(), Some("debug".into()))
            ]
        );
    }

    #[test]
    fn long_prefixes_and_values() {
        assert_eq!(
            names(&["--conf=x", "--nod", "--loglevel", "-dash-value"]),
            [
                ("--configuration".into(), Some("x".into())),
                ("--nodaemon".into(), None),
                ("--loglevel".into(), Some("-dash-value".into()))
            ]
        );
    }

    #[test]
    fn getopt_messages() {
        assert_eq!(p(&["-x"]).unwrap_err(), "option -x not recognized");
        assert_eq!(p(&["--foo"]).unwrap_err(), "option --foo not recognized");
        assert_eq!(p(&["--no"]).unwrap_err(), "option --no not a unique prefix");
        assert_eq!(p(&["-c"]).unwrap_err(), "option -c requires argument");
        assert_eq!(
            p(&["--conf"]).unwrap_err(),
            "option --configuration requires argument"
        );
        assert_eq!(
            p(&["--nodaemon=1"]).unwrap_err(),
            "option --nodaemon must not have an argument"
        );
    }

    #[test]
    fn first_positional_ends_options() {
        let (given, rest) = p(&["-n", "tail", "-f", "web"]).unwrap();
        assert_eq!(given.len(), 1);
        assert_eq!(rest, ["tail", "-f", "web"]);
        let (_, rest) = p(&["--", "-n"]).unwrap();
        assert_eq!(rest, ["-n"]);
    }
}
