//! `help`: the command list laid out as Python's `cmd` module lays it out,
//! and each command's help text, word for word as 4.3 prints them (the
//! same texts follow "requires a process name" errors).

/// The commands `help` lists, in its (sorted) order. `help` itself and
/// `EOF` work but are not listed, as in 4.3.
pub const COMMANDS: &[&str] = &[
    "add", "avail", "clear", "exit", "fg", "maintail", "open", "pid", "quit", "reload", "remove",
    "reread", "restart", "shutdown", "signal", "start", "status", "stop", "tail", "update",
    "version",
];

/// What tab completion offers for a command name: the listed commands and
/// `help` (4.3's vocabulary).
pub fn vocabulary() -> impl Iterator<Item = &'static str> {
    std::iter::once("help").chain(COMMANDS.iter().copied())
}

/// The help text of `command`, without the final newline.
pub fn text(command: &str) -> Option<&'static str> {
    Some(match command {
        "add" => "add <name> [...]\tActivates any updates in config for process/group",
        "avail" => "avail\t\t\tDisplay all configured processes",
        "clear" => {
            "clear <name>\t\tClear a process' log files.\nclear <name> <name>\tClear multiple process' log files\nclear all\t\tClear all process' log files"
        }
        "exit" => "exit\tExit the supervisor shell.",
        "fg" => "fg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit",
        "help" => {
            "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>"
        }
        "maintail" => {
            "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\nmaintail -100\tlast 100 *bytes* of supervisord main log file\nmaintail\tlast 1600 *bytes* of supervisor main log file\n"
        }
        "open" => {
            "open <url>\tConnect to a remote supervisord process.\n\t\t(for UNIX domain socket, use unix:///socket/path)"
        }
        "pid" => {
            "pid\t\t\tGet the PID of supervisord.\npid <name>\t\tGet the PID of a single child process by name.\npid all\t\t\tGet the PID of every child process, one per line."
        }
        "quit" => "quit\tExit the supervisor shell.",
        "reload" => "reload \t\tRestart the remote supervisord.",
        "remove" => "remove <name> [...]\tRemoves process/group from active config",
        "reread" => "reread \t\t\tReload the daemon's configuration files without add/remove",
        "restart" => {
            "restart <name>\t\tRestart a process\nrestart <gname>:*\tRestart all processes in a group\nrestart <name> <name>\tRestart multiple processes or groups\nrestart all\t\tRestart all processes\nNote: restart does not reread config files. For that, see reread and update."
        }
        "shutdown" => "shutdown \tShut the remote supervisord down.",
        "signal" => {
            "signal <signal name> <name>\t\tSignal a process\nsignal <signal name> <gname>:*\t\tSignal all processes in a group\nsignal <signal name> <name> <name>\tSignal multiple processes or groups\nsignal <signal name> all\t\tSignal all processes"
        }
        "start" => {
            "start <name>\t\tStart a process\nstart <gname>:*\t\tStart all processes in a group\nstart <name> <name>\tStart multiple processes or groups\nstart all\t\tStart all processes"
        }
        "status" => {
            "status <name>\t\tGet status for a single process\nstatus <gname>:*\tGet status for all processes in a group\nstatus <name> <name>\tGet status for multiple named processes\nstatus\t\t\tGet all process status info"
        }
        "stop" => {
            "stop <name>\t\tStop a process\nstop <gname>:*\t\tStop all processes in a group\nstop <name> <name>\tStop multiple processes or groups\nstop all\t\tStop all processes"
        }
        "tail" => {
            "tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\ntail -f <name>\t\tContinuous tail of named process stdout\n\t\t\tCtrl-C to exit.\ntail -100 <name>\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of process stderr"
        }
        "update" => {
            "update\t\t\tReload config and add/remove as necessary, and will restart affected programs\nupdate all\t\tReload config and add/remove as necessary, and will restart affected programs\nupdate <gname> [...]\tUpdate specific groups"
        }
        "version" => "version\t\t\tShow the version of the remote supervisord process",
        _ => return None,
    })
}

/// `help` with no topic: a blank line, the header, a ruler and the
/// commands in columns, then a blank line.
pub fn overview() -> String {
    let header = "default commands (type help <topic>):";
    let mut out = format!("\n{header}\n{}\n", "=".repeat(header.len()));
    out.push_str(&columnize(COMMANDS, 79));
    out.push('\n');
    out
}

/// Python's `cmd.Cmd.columnize`: the fewest rows whose columns (filled top
/// to bottom, two spaces apart) fit in `width`; every cell but trailing
/// empty ones padded to its column's width.
pub fn columnize(items: &[&str], width: usize) -> String {
    let size = items.len();
    if size == 0 {
        return "<empty>\n".to_string();
    }
    if size == 1 {
        return format!("{}\n", items[0]);
    }
    let len = |s: &str| s.chars().count();
    let mut layout = None;
    for nrows in 1..size {
        let ncols = size.div_ceil(nrows);
        let mut widths = Vec::new();
        let mut total: isize = -2;
        for col in 0..ncols {
            let w = (0..nrows)
                .map(|row| row + nrows * col)
                .take_while(|&i| i < size)
                .map(|i| len(items[i]))
                .max()
                .unwrap_or(0);
            widths.push(w);
            total += w as isize + 2;
            if total > width as isize {
                break;
            }
        }
        if total <= width as isize {
            layout = Some((nrows, ncols, widths));
            break;
        }
    }
    let (nrows, ncols, widths) = layout.unwrap_or((size, 1, vec![0]));
    let mut out = String::new();
    for row in 0..nrows {
        let mut cells: Vec<&str> = (0..ncols)
            .map(|col| items.get(row + nrows * col).copied().unwrap_or(""))
            .collect();
        while cells.last().is_some_and(|c| c.is_empty()) {
            cells.pop();
        }
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(col, c)| format!("{c:<w$}", w = widths[col]))
            .collect();
        out.push_str(&padded.join("  "));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overview_is_4_3s_byte_for_byte() {
        assert_eq!(
            overview(),
            "\ndefault commands (type help <topic>):\n=====================================\n\
             add    exit      open  reload  restart   start   tail   \n\
             avail  fg        pid   remove  shutdown  status  update \n\
             clear  maintail  quit  reread  signal    stop    version\n\n"
        );
    }

    #[test]
    fn columnize_falls_back_to_one_column() {
        let long = "x".repeat(50);
        assert_eq!(columnize(&[&long, &long], 79), format!("{long}\n{long}\n"));
        assert_eq!(columnize(&["a", "b"], 79), "a  b\n");
    }
}
