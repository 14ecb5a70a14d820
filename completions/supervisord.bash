# bash completion for supervisord (supervisor-rs): its options and their
# values (files, directories, users, log levels).
#
# Install as /usr/share/bash-completion/completions/supervisord (or
# ~/.local/share/bash-completion/completions/supervisord), or source it
# from ~/.bashrc.

_supervisord_options='-c --configuration -n --nodaemon -s --silent -h --help -v --version -u --user -m --umask -d --directory -l --logfile -y --logfile_maxbytes -z --logfile_backups -e --loglevel -j --pidfile -i --identifier -q --childlogdir -k --nocleanup -a --minfds -t --strip_ansi --minprocs --profile_options --test-config --json'

# The option (short letter or full long name) that takes the value $1
# belongs to, for `--name` (any unique prefix); sets _sd_opt.
_supervisord_long() {
    local want=${1%%=*} o
    want=${want#--}
    _sd_opt=
    for o in $_supervisord_options; do
        [[ $o == --* ]] || continue
        o=${o#--}
        if [[ $o == "$want" ]]; then
            _sd_opt=$o
            return
        fi
        if [[ $o == "$want"* ]]; then
            if [[ -n $_sd_opt ]]; then
                _sd_opt=
                return
            fi
            _sd_opt=$o
        fi
    done
}

# Values for option $1 (letter or long name) that start with $2.
_supervisord_values() {
    local c
    case $1 in
    c | configuration | l | logfile | j | pidfile)
        compgen -f -- "$2"
        ;;
    d | directory | q | childlogdir)
        compgen -d -- "$2"
        ;;
    u | user)
        compgen -u -- "$2"
        ;;
    e | loglevel)
        for c in critical error warn info debug trace blather; do
            [[ $c == "$2"* ]] && printf '%s\n' "$c"
        done
        ;;
    profile_options)
        for c in cumulative calls callers; do
            [[ $c == "$2"* ]] && printf '%s\n' "$c"
        done
        ;;
    esac
}

_supervisord() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev= _sd_opt v
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    # `--opt=value`: bash splits at '=' (COMP_WORDBREAKS), so the value is
    # the current word and the option two words back.
    if [[ $cur == = ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    case $prev in
    --*)
        _supervisord_long "$prev"
        v=$_sd_opt
        ;;
    -[cumdlyzejiqa]) v=${prev#-} ;;
    *) v= ;;
    esac
    case $v in
    c | configuration | l | logfile | j | pidfile | d | directory | q | childlogdir)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(_supervisord_values "$v" "$cur")
        return
        ;;
    u | user | m | umask | y | logfile_maxbytes | z | logfile_backups | e | loglevel | i | identifier | a | minfds | minprocs | profile_options)
        mapfile -t COMPREPLY < <(_supervisord_values "$v" "$cur")
        return
        ;;
    esac
    if [[ $cur == -* || -z $cur ]]; then
        for v in $_supervisord_options; do
            [[ $v == "$cur"* ]] && COMPREPLY+=("$v")
        done
    fi
}

complete -F _supervisord supervisord
