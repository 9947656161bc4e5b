# lib.sh — sourced by every tests/cli/*.sh scenario.
#
# A scenario is a bash script run in a fresh empty directory; it calls
# `run ARGS...`, which prints a virsh-style transcript of one invocation:
#
#   $ virtsnap ARGS             (arguments shell-quoted when needed)
#   <stdout, byte for byte>
#   \ No newline at end of stdout      (only when stdout lacks one)
#   stderr: <each stderr line>
#   [rc=N]
#
# run-cli.sh compares the transcript with NAME.out.  The same scenario can
# be replayed against real virsh 9.0 (CLI_BACKEND=virsh, see
# make-goldens-from-virsh.sh): the header line stays `$ virtsnap ...`, so
# the bytes produced by libvirt become the expected output for virtsnap.

# bash 5.2 would expand '&' in ${var//pat/rep} replacements.
shopt -u patsub_replacement 2>/dev/null || true

CLI_TESTS=${CLI_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
CLI_DATA=$CLI_TESTS/data
CLI_BACKEND=${CLI_BACKEND:-virtsnap}

# Prints an argument the way a shell user would type it.
vs_quote() {
    local a=$1
    if [[ -n $a && $a =~ ^[A-Za-z0-9_./=:,+@%^-]+$ ]]; then
        printf '%s' "$a"
    else
        printf "'%s'" "${a//\'/\'\\\'\'}"
    fi
}

_vs_show() {   # _vs_show OUTFILE ERRFILE RC
    cat "$1"
    if [[ -s $1 && -n $(tail -c1 "$1") ]]; then
        printf '\n\\ No newline at end of stdout\n'
    fi
    awk '{ print "stderr: " $0 }' "$2"
    printf '[rc=%s]\n' "$3"
}

_vs_header() {   # _vs_header ENV... -- ARGS...
    local line='$' a
    while [[ $1 != -- ]]; do
        line+=" ${1%%=*}=$(vs_quote "${1#*=}")"
        shift
    done
    shift
    line+=' virtsnap'
    for a in "$@"; do
        line+=" $(vs_quote "$a")"
    done
    printf '%s\n' "$line"
}

_vs_invoke() {   # _vs_invoke STDIN ENV... -- ARGS...
    local input=$1 envs=() rc
    shift
    while [[ $1 != -- ]]; do
        envs+=("$1")
        shift
    done
    shift
    if [[ $CLI_BACKEND == virsh ]]; then
        env "${envs[@]}" virsh -c "qemu:///embed?root=$VIRSH_ROOT" "$@" \
            <"$input" >.vs-out 2>.vs-err
    else
        # shellcheck disable=SC2086  # the wrapper is a command line
        env "${envs[@]}" ${VIRTSNAP_WRAPPER:-} "$VIRTSNAP" "$@" \
            <"$input" >.vs-out 2>.vs-err
    fi
    rc=$?
    _vs_show .vs-out .vs-err "$rc"
    rm -f .vs-out .vs-err
}

# run [VAR=value...] ARGS...: one invocation, stdin from /dev/null.
run() {
    local envs=()
    while [[ $# -gt 0 && $1 =~ ^[A-Z_][A-Z0-9_]*= ]]; do
        envs+=("$1")
        shift
    done
    _vs_header "${envs[@]}" -- "$@"
    _vs_invoke /dev/null "${envs[@]}" -- "$@"
}

# run_input TEXT [VAR=value...] ARGS...: TEXT (plus a newline) on stdin.
run_input() {
    local text=$1 envs=()
    shift
    while [[ $# -gt 0 && $1 =~ ^[A-Z_][A-Z0-9_]*= ]]; do
        envs+=("$1")
        shift
    done
    _vs_header "${envs[@]}" -- "$@" | sed 's/$/ <<EOF/'
    printf '%s\nEOF\n' "$text"
    printf '%s\n' "$text" >.vs-in
    _vs_invoke .vs-in "${envs[@]}" -- "$@"
    rm -f .vs-in
}

# Prints a comment line into the transcript.
note() {
    printf '# %s\n' "$*"
}

# Declares where NAME.out comes from (first line of the transcript).
origin() {
    case $1 in
    virsh) note "expected output produced by real virsh 9.0 (make-goldens-from-virsh.sh)" ;;
    *) note "expected output produced by virtsnap and reviewed (VIRTSNAP_REGENERATE=1)" ;;
    esac
}

# define_domain NAME: virsh needs the domain defined; virtsnap only needs
# the store directory to exist (a VM without snapshots has no file).
define_domain() {
    if [[ $CLI_BACKEND == virsh ]]; then
        virsh -c "qemu:///embed?root=$VIRSH_ROOT" define "$CLI_DATA/$1-domain.xml" \
            >/dev/null || exit 1
    elif [[ $VIRTSNAP_STORE != *://* ]]; then   # not a database store
        mkdir -p "$VIRTSNAP_STORE"
    fi
}

_vs_xml_escape() {
    local s=$1
    s=${s//&/&amp;}
    s=${s//</&lt;}
    s=${s//>/&gt;}
    s=${s//\'/&apos;}
    s=${s//\"/&quot;}
    printf '%s' "$s"
}

# mksnap NAME PARENT TIME [state=S] [memory=no|internal|/path]
#        [disks=internal|external|none] [desc=TEXT] [domain=yes|no]
# Prints a redefinable <domainsnapshot> of VM "demo" (its canonical
# <domain>, as libvirt 9.0 formats it, so both programs print it alike).
mksnap() {
    local name=$1 parent=$2 time=$3 state=shutoff memory=no disks=internal
    local desc= domain=yes kv
    shift 3
    for kv in "$@"; do
        case $kv in
        state=*) state=${kv#state=} ;;
        memory=*) memory=${kv#memory=} ;;
        disks=*) disks=${kv#disks=} ;;
        desc=*) desc=${kv#desc=} ;;
        domain=*) domain=${kv#domain=} ;;
        *) echo "mksnap: bad argument $kv" >&2; return 1 ;;
        esac
    done
    echo '<domainsnapshot>'
    [[ -n $name ]] && echo "  <name>$(_vs_xml_escape "$name")</name>"
    [[ -n $desc ]] && echo "  <description>$(_vs_xml_escape "$desc")</description>"
    [[ -n $state ]] && echo "  <state>$state</state>"
    if [[ -n $parent ]]; then
        echo '  <parent>'
        echo "    <name>$(_vs_xml_escape "$parent")</name>"
        echo '  </parent>'
    fi
    [[ -n $time ]] && echo "  <creationTime>$time</creationTime>"
    case $memory in
    /*) echo "  <memory snapshot='external' file='$memory'/>" ;;
    *) echo "  <memory snapshot='$memory'/>" ;;
    esac
    case $disks in
    internal)
        echo '  <disks>'
        echo "    <disk name='vda' snapshot='internal'/>"
        echo "    <disk name='vdb' snapshot='internal'/>"
        echo '  </disks>'
        ;;
    external)
        echo '  <disks>'
        echo "    <disk name='vda' snapshot='external' type='file'>"
        echo "      <driver type='qcow2'/>"
        echo "      <source file='/var/lib/libvirt/images/demo.$time'/>"
        echo '    </disk>'
        echo "    <disk name='vdb' snapshot='no'/>"
        echo '  </disks>'
        ;;
    none) ;;
    esac
    [[ $domain == yes ]] && sed 's/^/  /' "$CLI_DATA/demo-canonical.xml"
    echo '</domainsnapshot>'
}

# The tree most scenarios start from (s4 current):
#   s1 -> {s2, s3 -> s4}
make_tree() {
    mksnap s1 '' 1700000000 >s1.xml
    mksnap s2 s1 1700000100 >s2.xml
    mksnap s3 s1 1700000200 >s3.xml
    mksnap s4 s3 1700000300 >s4.xml
    run snapshot-create demo s1.xml --redefine
    run snapshot-create demo s2.xml --redefine
    run snapshot-create demo s3.xml --redefine
    run snapshot-create demo s4.xml --redefine --current
}

# mkckpt NAME PARENT TIME [disks=none|SPEC] [desc=TEXT] [domain=yes|no]
# Prints a redefinable <domaincheckpoint> of VM "demo"; SPEC is a comma list
# of disk[:type[:bitmap]] (type bitmap, no or "" for none given).
mkckpt() {
    local name=$1 parent=$2 time=$3 disks=none desc= domain=yes kv d
    shift 3
    for kv in "$@"; do
        case $kv in
        disks=*) disks=${kv#disks=} ;;
        desc=*) desc=${kv#desc=} ;;
        domain=*) domain=${kv#domain=} ;;
        *) echo "mkckpt: bad argument $kv" >&2; return 1 ;;
        esac
    done
    echo '<domaincheckpoint>'
    [[ -n $name ]] && echo "  <name>$(_vs_xml_escape "$name")</name>"
    [[ -n $desc ]] && echo "  <description>$(_vs_xml_escape "$desc")</description>"
    if [[ -n $parent ]]; then
        echo '  <parent>'
        echo "    <name>$(_vs_xml_escape "$parent")</name>"
        echo '  </parent>'
    fi
    [[ -n $time ]] && echo "  <creationTime>$time</creationTime>"
    if [[ $disks != none ]]; then
        echo '  <disks>'
        local IFS=,
        for d in $disks; do
            local dn=${d%%:*} rest= type= bitmap=
            [[ $d == *:* ]] && rest=${d#*:}
            type=${rest%%:*}
            [[ $rest == *:* ]] && bitmap=${rest#*:}
            printf "    <disk name='%s'" "$dn"
            [[ -n $type ]] && printf " checkpoint='%s'" "$type"
            [[ -n $bitmap ]] && printf " bitmap='%s'" "$bitmap"
            printf '/>\n'
        done
        echo '  </disks>'
    fi
    [[ $domain == yes ]] && sed 's/^/  /' "$CLI_DATA/demo-canonical.xml"
    echo '</domaincheckpoint>'
}
