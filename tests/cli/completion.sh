# The bash completion script (data/bash-completion/virtsnap), driven the
# way bash drives it: COMP_WORDS/COMP_CWORD in, COMPREPLY out.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree >/dev/null
mksnap 'with space' s1 1700000400 >sp.xml
run snapshot-create demo sp.xml --redefine >/dev/null
mkdir bin && ln -s "$VIRTSNAP" bin/virtsnap
PATH=$PWD/bin:$PATH
. "$CLI_TESTS/../../data/bash-completion/virtsnap"
complete -p virtsnap

# complete WORDS...: the last word is the one being completed.
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMPREPLY=()
    _virtsnap
    printf '[%s] ->' "$*"
    if [[ ${#COMPREPLY[@]} == 0 ]]; then
        printf ' (nothing)'
    else
        printf ' <%s>' "${COMPREPLY[@]}"
    fi
    printf '\n'
}

complete_words virtsnap ''
complete_words virtsnap snapshot-d
complete_words virtsnap -
complete_words virtsnap --store store snapshot-l
complete_words virtsnap snapshot-list ''
complete_words virtsnap snapshot-list de
complete_words virtsnap snapshot-list demo --t
complete_words virtsnap snapshot-list demo --from ''
complete_words virtsnap snapshot-info demo ''
complete_words virtsnap snapshot-info demo w
complete_words virtsnap snapshot-info --domain demo --snapshotname s
complete_words virtsnap snapshot-dumpxml demo s2 --
complete_words virtsnap snapshot-create-as demo --state p
complete_words virtsnap help snapshot-p
complete_words virtsnap snapshot-info demo s2 ''
complete_words virtsnap check ''
complete_words virtsnap convert --legacy ''
complete_words virtsnap copy-store st
