# fish completion for supervisorctl (supervisor-rs).
#
# Install as ~/.config/fish/completions/supervisorctl.fish (or in
# /usr/share/fish/vendor_completions.d/).
#
# Completes options, action names, and the process and group names of the
# running supervisord: it runs `supervisorctl [-c/-s/-u/-p as typed]
# status` (or `avail`) and takes the first column. When the daemon cannot
# be reached that gives nothing, silently.

# The options typed before the action that choose the server, one per line.
function __supervisorctl_server_opts
    set -l tokens (commandline -opc)
    set -e tokens[1]
    while set -q tokens[1]
        set -l t $tokens[1]
        set -e tokens[1]
        switch $t
            case -c -s -u -p --configuration --serverurl --username --password
                if set -q tokens[1]
                    printf '%s\n' $t $tokens[1]
                    set -e tokens[1]
                end
            case -r --history_file
                set -q tokens[1]; and set -e tokens[1]
            case '-*'
                if string match -qr -- '^(-[csup].|--(configuration|serverurl|username|password)=)' $t
                    printf '%s\n' $t
                end
            case '*'
                return 0
        end
    end
end

# The action and the finished words after it, one per line.
function __supervisorctl_args
    set -l tokens (commandline -opc)
    set -e tokens[1]
    while set -q tokens[1]
        switch $tokens[1]
            case -c -s -u -p -r --configuration --serverurl --username --password --history_file
                set -e tokens[1]
                set -q tokens[1]; and set -e tokens[1]
            case '-*'
                set -e tokens[1]
            case '*'
                printf '%s\n' $tokens
                return 0
        end
    end
    return 1
end

function __supervisorctl_no_action
    not __supervisorctl_args >/dev/null
end

# True when the action is one of $argv.
function __supervisorctl_action_is
    set -l words (__supervisorctl_args)
    set -q words[1]; and contains -- $words[1] $argv
end

# True when $argv[1] words follow the action.
function __supervisorctl_argc_is
    set -l words (__supervisorctl_args)
    test (count $words) -eq (math $argv[1] + 1)
end

# First column of `supervisorctl <options typed> $argv[1]`; nothing unless
# the action succeeded (status: 0 or 3).
function __supervisorctl_column
    set -l prog (commandline -opc)[1]
    set -l opts (__supervisorctl_server_opts)
    set -l limit
    type -q timeout; and set limit timeout 5
    set -l out (env NO_COLOR=1 $limit $prog $opts $argv[1] </dev/null 2>/dev/null)
    set -l rc $status
    if test $rc -ne 0
        if not test "$argv[1]" = status -a $rc -eq 3
            return 0
        end
    end
    for line in $out
        string replace -r '\s.*' '' -- $line
    end
end

# Process names as 4.3's shell offers them: `group:name` and `group:*`
# for processes in a group of another name, the bare name otherwise.
function __supervisorctl_processes
    set -l typed (commandline -ct)
    set -l seen
    for spec in (__supervisorctl_column status)
        if string match -q -- '*:*' $spec
            printf '%s\n' $spec
            set -l group (string replace -r ':.*' '' -- $spec)
            if not contains -- $group $seen
                set -a seen $group
                printf '%s\n' "$group:*"
            end
        else if string match -q -- '*:*' $typed
            printf '%s\n' "$spec:$spec" "$spec:*"
        else
            printf '%s\n' $spec
        end
    end
end

# Group names from `avail`: active groups and those a reread found.
function __supervisorctl_groups
    set -l seen
    for spec in (__supervisorctl_column avail)
        set -l group (string replace -r ':.*' '' -- $spec)
        if not contains -- $group $seen
            set -a seen $group
            printf '%s\n' $group
        end
    end
end

# tail [-f|-N] name [stdout|stderr]: true when the word being typed is the
# name ($argv[1] = name) or the channel ($argv[1] = channel).
function __supervisorctl_tail_wants
    set -l words (__supervisorctl_args)
    test "$words[1]" = tail; or return 1
    set -e words[1]
    if set -q words[1]; and string match -q -- '-*' $words[1]
        set -e words[1]
    end
    switch $argv[1]
        case name
            test (count $words) -eq 0
        case channel
            test (count $words) -eq 1
        case '*'
            return 1
    end
end

complete -c supervisorctl -f

# Options.
complete -c supervisorctl -n __supervisorctl_no_action -s c -l configuration -r -F -d 'Configuration file'
complete -c supervisorctl -n __supervisorctl_no_action -s h -l help -d 'Print the usage text and exit'
complete -c supervisorctl -n __supervisorctl_no_action -s i -l interactive -d 'Confirm shutdown and reload, ask for credentials'
complete -c supervisorctl -n __supervisorctl_no_action -s s -l serverurl -x -d 'URL of the server'
complete -c supervisorctl -n __supervisorctl_no_action -s u -l username -x -d 'User name for the server'
complete -c supervisorctl -n __supervisorctl_no_action -s p -l password -x -d 'Password for the server'
complete -c supervisorctl -n __supervisorctl_no_action -s r -l history_file -r -F -d 'History file of the shell'
complete -c supervisorctl -n __supervisorctl_no_action -l version -d 'Print the version and exit'

# Actions.
complete -c supervisorctl -n __supervisorctl_no_action -a add -d 'Activate groups that reread found'
complete -c supervisorctl -n __supervisorctl_no_action -a avail -d 'List every configured process'
complete -c supervisorctl -n __supervisorctl_no_action -a clear -d 'Clear the logs of processes'
complete -c supervisorctl -n __supervisorctl_no_action -a exit -d 'Leave the shell'
complete -c supervisorctl -n __supervisorctl_no_action -a fg -d 'Connect to a process in the foreground'
complete -c supervisorctl -n __supervisorctl_no_action -a help -d 'List the actions, or show the help of one'
complete -c supervisorctl -n __supervisorctl_no_action -a maintail -d 'Show the end of the main log'
complete -c supervisorctl -n __supervisorctl_no_action -a open -d 'Connect to another server'
complete -c supervisorctl -n __supervisorctl_no_action -a pid -d 'Show the pid of supervisord or of processes'
complete -c supervisorctl -n __supervisorctl_no_action -a quit -d 'Leave the shell'
complete -c supervisorctl -n __supervisorctl_no_action -a reload -d 'Restart supervisord'
complete -c supervisorctl -n __supervisorctl_no_action -a remove -d 'Remove stopped groups'
complete -c supervisorctl -n __supervisorctl_no_action -a reread -d 'Read the configuration again, changing nothing'
complete -c supervisorctl -n __supervisorctl_no_action -a restart -d 'Stop and start processes'
complete -c supervisorctl -n __supervisorctl_no_action -a shutdown -d 'Stop every process and supervisord'
complete -c supervisorctl -n __supervisorctl_no_action -a signal -d 'Send a signal to processes'
complete -c supervisorctl -n __supervisorctl_no_action -a start -d 'Start processes'
complete -c supervisorctl -n __supervisorctl_no_action -a status -d 'Show the state of processes'
complete -c supervisorctl -n __supervisorctl_no_action -a stop -d 'Stop processes'
complete -c supervisorctl -n __supervisorctl_no_action -a tail -d 'Show the end of a process log'
complete -c supervisorctl -n __supervisorctl_no_action -a update -d 'Apply configuration changes'
complete -c supervisorctl -n __supervisorctl_no_action -a version -d 'Show the version of the server'

# Arguments of the actions.
complete -c supervisorctl -n '__supervisorctl_action_is help; and __supervisorctl_argc_is 0' -a 'add avail clear exit fg help maintail open pid quit reload remove reread restart shutdown signal start status stop tail update version'
complete -c supervisorctl -n '__supervisorctl_action_is add remove update' -a '(__supervisorctl_groups)' -d 'Group'
complete -c supervisorctl -n '__supervisorctl_action_is update start stop restart clear pid status' -a all -d 'Every process'
complete -c supervisorctl -n '__supervisorctl_action_is start stop restart clear pid status' -a '(__supervisorctl_processes)' -d 'Process'
complete -c supervisorctl -n '__supervisorctl_action_is status avail' -l json -d 'Print JSON'
complete -c supervisorctl -n '__supervisorctl_action_is signal; and __supervisorctl_argc_is 0' -a 'HUP INT QUIT KILL TERM USR1 USR2 STOP CONT WINCH' -d 'Signal'
complete -c supervisorctl -n '__supervisorctl_action_is signal; and not __supervisorctl_argc_is 0' -a '(__supervisorctl_processes) all' -d 'Process'
complete -c supervisorctl -n '__supervisorctl_action_is fg; and __supervisorctl_argc_is 0' -a '(__supervisorctl_processes)' -d 'Process'
complete -c supervisorctl -n '__supervisorctl_action_is tail maintail; and __supervisorctl_argc_is 0' -s f -d 'Follow until Ctrl-C'
complete -c supervisorctl -n '__supervisorctl_tail_wants name' -a '(__supervisorctl_processes)' -d 'Process'
complete -c supervisorctl -n '__supervisorctl_tail_wants channel' -a 'stdout stderr' -d 'Channel'
