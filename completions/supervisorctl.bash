# bash completion for supervisorctl (supervisor-rs).
#
# Install as /usr/share/bash-completion/completions/supervisorctl (or
# ~/.local/share/bash-completion/completions/supervisorctl), or source it
# from ~/.bashrc.
#
# Completes options, action names, and the process and group names of the
# running supervisord: it runs `supervisorctl [-c/-s/-u/-p as typed]
# status` (or `avail`) and takes the first column. When the daemon cannot
# be reached that gives nothing, silently.

_supervisorctl_actions='add avail clear exit fg help maintail open pid quit reload remove reread restart shutdown signal start status stop tail update version'
_supervisorctl_options='-c --configuration -h --help -i --interactive -s --serverurl -u --username -p --password -r --history_file --version'
_supervisorctl_long='configuration help interactive serverurl username password history_file version'

# The words of the line up to the cursor, with what bash split at ':' and
# '=' (COMP_WORDBREAKS) joined back: `grp:web` and `--serverurl=unix:///x`
# are one word each. Sets _sc_words and _sc_cword.
_supervisorctl_rejoin() {
    _sc_words=()
    _sc_cword=0
    local i w rest trimmed gap pos=0 j=-1
    local line=${COMP_LINE-}
    for ((i = 0; i < ${#COMP_WORDS[@]} && i <= COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        rest=${line:pos}
        trimmed=${rest#"${rest%%[![:space:]]*}"}
        gap=$((${#rest} - ${#trimmed}))
        pos=$((pos + gap + ${#w}))
        if ((j >= 0 && gap == 0)) && [[ $w == [:=]* || ${_sc_words[j]} == *[:=] ]]; then
            _sc_words[j]+=$w
        else
            _sc_words[++j]=$w
        fi
        _sc_cword=$j
    done
}

# Sets _sc_long to the full name of the long option $1 (`--conf` or
# `--conf=x`: any unique prefix works), or to nothing.
_supervisorctl_longname() {
    local want=${1%%=*} name
    want=${want#--}
    _sc_long=
    for name in $_supervisorctl_long; do
        if [[ $name == "$want" ]]; then
            _sc_long=$name
            return
        fi
        if [[ $name == "$want"* ]]; then
            if [[ -n $_sc_long ]]; then
                _sc_long=
                return
            fi
            _sc_long=$name
        fi
    done
}

# Adds the candidates (after $1) that start with $1 to COMPREPLY.
_supervisorctl_offer() {
    local cur=$1 c
    shift
    for c in "$@"; do
        [[ $c == "$cur"* ]] && COMPREPLY+=("$c")
    done
}

# First column of `supervisorctl <options typed> <action>`, one per line;
# nothing unless the action succeeded (status: 0 or 3). Never prints errors.
_supervisorctl_column() {
    local prog=${_sc_words[0]} out rc first rest
    [[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
    local -a limit=()
    command -v timeout >/dev/null 2>&1 && limit=(timeout 5)
    out=$(NO_COLOR=1 "${limit[@]}" "$prog" "${_sc_opts[@]}" "$1" </dev/null 2>/dev/null)
    rc=$?
    if [[ $rc != 0 && ! ($1 == status && $rc == 3) ]]; then
        return
    fi
    while read -r first rest; do
        [[ -n $first ]] && printf '%s\n' "$first"
    done <<<"$out"
}

# Process names as 4.3's shell offers them: `group:name` and `group:*`
# for processes in a group of another name, the bare name otherwise (and
# `name:name`, `name:*` once a ':' is typed).
_supervisorctl_processes() {
    local cur=$1 spec seen=' '
    local -a names=()
    while read -r spec; do
        [[ -z $spec ]] && continue
        if [[ $spec == *:* ]]; then
            names+=("$spec")
            if [[ $seen != *" ${spec%%:*}:* "* ]]; then
                names+=("${spec%%:*}:*")
                seen+="${spec%%:*}:* "
            fi
        elif [[ $cur == *:* ]]; then
            names+=("$spec:$spec" "$spec:*")
        else
            names+=("$spec")
        fi
    done < <(_supervisorctl_column status)
    _supervisorctl_offer "$cur" "${names[@]}"
}

# Group names, from `avail`: the groups in use and those a reread found.
_supervisorctl_groups() {
    local cur=$1 spec group seen=' '
    local -a groups=()
    while read -r spec; do
        [[ -z $spec ]] && continue
        group=${spec%%:*}
        if [[ $seen != *" $group "* ]]; then
            groups+=("$group")
            seen+="$group "
        fi
    done < <(_supervisorctl_column avail)
    _supervisorctl_offer "$cur" "${groups[@]}"
}

_supervisorctl() {
    local _sc_words _sc_cword _sc_long
    local -a _sc_opts=()
    _supervisorctl_rejoin
    local cur=${_sc_words[_sc_cword]}
    COMPREPLY=()

    # Options (kept to pass on to the status/avail queries), then the
    # action. `valueof` names the option whose value is being typed.
    local i w name rest k ch f valueof= action=-1 prefix=
    for ((i = 1; i < _sc_cword; i++)); do
        w=${_sc_words[i]}
        case $w in
        --?*)
            _supervisorctl_longname "$w"
            name=$_sc_long
            case $name in
            configuration | serverurl | username | password | history_file)
                if [[ $w == *=* ]]; then
                    [[ $name != history_file ]] && _sc_opts+=("--$name=${w#*=}")
                elif ((i + 1 < _sc_cword)); then
                    [[ $name != history_file ]] && _sc_opts+=("--$name" "${_sc_words[i + 1]}")
                    ((i++))
                else
                    valueof=$name
                    ((i++))
                fi
                ;;
            esac
            ;;
        -?*)
            for ((k = 1; k < ${#w}; k++)); do
                ch=${w:k:1}
                case $ch in
                c | s | u | p | r)
                    rest=${w:k+1}
                    if [[ -n $rest ]]; then
                        [[ $ch != r ]] && _sc_opts+=("-$ch$rest")
                    elif ((i + 1 < _sc_cword)); then
                        [[ $ch != r ]] && _sc_opts+=("-$ch" "${_sc_words[i + 1]}")
                        ((i++))
                    else
                        valueof=$ch
                        ((i++))
                    fi
                    break
                    ;;
                esac
            done
            ;;
        *)
            action=$i
            break
            ;;
        esac
    done

    if ((action < 0)); then
        case $valueof in
        c | configuration | r | history_file)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        ?*) return ;;
        esac
        case $cur in
        --*=*)
            _supervisorctl_longname "$cur"
            case $_sc_long in
            configuration | history_file)
                prefix=${cur%%=*}=
                while IFS= read -r f; do
                    COMPREPLY+=("$prefix$f")
                done < <(compgen -f -- "${cur#*=}")
                ;;
            esac
            ;;
        -*)
            # shellcheck disable=SC2086
            _supervisorctl_offer "$cur" $_supervisorctl_options
            ;;
        *)
            # shellcheck disable=SC2086
            _supervisorctl_offer "$cur" $_supervisorctl_actions
            ;;
        esac
        _supervisorctl_trim "$cur"
        return
    fi

    # Arguments of the action: `n` is the index of the word being typed
    # among them.
    local cmd=${_sc_words[action]}
    local n=$((_sc_cword - action - 1))
    case $cmd in
    help)
        # shellcheck disable=SC2086
        ((n == 0)) && _supervisorctl_offer "$cur" $_supervisorctl_actions
        ;;
    add | remove)
        _supervisorctl_groups "$cur"
        ;;
    update)
        _supervisorctl_offer "$cur" all
        _supervisorctl_groups "$cur"
        ;;
    start | stop | restart | clear | pid)
        _supervisorctl_offer "$cur" all
        _supervisorctl_processes "$cur"
        ;;
    status)
        if [[ $cur == -* ]]; then
            _supervisorctl_offer "$cur" --json
        else
            _supervisorctl_offer "$cur" all
            _supervisorctl_processes "$cur"
        fi
        ;;
    avail)
        ((n == 0)) && _supervisorctl_offer "$cur" --json
        ;;
    signal)
        if ((n == 0)); then
            _supervisorctl_offer "$cur" HUP INT QUIT KILL TERM USR1 USR2 STOP CONT WINCH
        else
            _supervisorctl_offer "$cur" all
            _supervisorctl_processes "$cur"
        fi
        ;;
    fg)
        ((n == 0)) && _supervisorctl_processes "$cur"
        ;;
    tail)
        # tail [-f|-N] name [stdout|stderr]
        if ((n > 0)) && [[ ${_sc_words[action + 1]} == -* ]]; then
            ((n--))
        elif ((n == 0)) && [[ $cur == -* ]]; then
            _supervisorctl_offer "$cur" -f
            return
        fi
        if ((n == 0)); then
            _supervisorctl_processes "$cur"
        elif ((n == 1)); then
            _supervisorctl_offer "$cur" stdout stderr
        fi
        ;;
    maintail)
        ((n == 0)) && _supervisorctl_offer "$cur" -f
        ;;
    esac
    _supervisorctl_trim "$cur"
}

# Bash replaces only the part of the word after its last ':' or '=' (when
# those are in COMP_WORDBREAKS): drop that much from each candidate.
_supervisorctl_trim() {
    local cur=$1 k pre= i
    for ((k = ${#cur} - 1; k >= 0; k--)); do
        if [[ ${cur:k:1} == [:=] && ${COMP_WORDBREAKS-} == *"${cur:k:1}"* ]]; then
            pre=${cur:0:k+1}
            break
        fi
    done
    [[ -z $pre ]] && return
    for i in "${!COMPREPLY[@]}"; do
        COMPREPLY[i]=${COMPREPLY[i]#"$pre"}
    done
}

complete -F _supervisorctl supervisorctl
