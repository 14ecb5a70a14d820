# fish completion for supervisord (supervisor-rs): its options and their
# values.
#
# Install as ~/.config/fish/completions/supervisord.fish (or in
# /usr/share/fish/vendor_completions.d/).

complete -c supervisord -f
complete -c supervisord -s c -l configuration -r -F -d 'Configuration file'
complete -c supervisord -s n -l nodaemon -d 'Run in the foreground'
complete -c supervisord -s s -l silent -d 'Do not copy the main log to stdout'
complete -c supervisord -s h -l help -d 'Print the usage text and exit'
complete -c supervisord -s v -l version -d 'Print the version and exit'
complete -c supervisord -s u -l user -x -a '(__fish_complete_users)' -d 'Run as this user'
complete -c supervisord -s m -l umask -x -d 'File creation mask of the daemon (octal)'
complete -c supervisord -s d -l directory -x -a '(__fish_complete_directories)' -d 'Directory to change to when detaching'
complete -c supervisord -s l -l logfile -r -F -d 'Main log file'
complete -c supervisord -s y -l logfile_maxbytes -x -d 'Rotate the main log at this size'
complete -c supervisord -s z -l logfile_backups -x -d 'Rotated main logs to keep'
complete -c supervisord -s e -l loglevel -x -a 'critical error warn info debug trace blather' -d 'Log level'
complete -c supervisord -s j -l pidfile -r -F -d 'Pid file'
complete -c supervisord -s i -l identifier -x -d 'Name of this instance'
complete -c supervisord -s q -l childlogdir -x -a '(__fish_complete_directories)' -d 'Directory of AUTO child logs'
complete -c supervisord -s k -l nocleanup -d 'Keep old AUTO child logs'
complete -c supervisord -s a -l minfds -x -d 'File descriptors needed to start'
complete -c supervisord -s t -l strip_ansi -d 'Strip ANSI escapes from child output'
complete -c supervisord -l minprocs -x -d 'Processes needed to start'
complete -c supervisord -l profile_options -x -a 'cumulative calls callers' -d 'Accepted, no effect'
complete -c supervisord -l test-config -d 'Check the configuration and exit'
complete -c supervisord -l json -d 'With --test-config, print the configuration as JSON'
