# The bash completion script (data/bash-completion/virtsnap), driven the
# way bash drives it: COMP_WORDS/COMP_CWORD in, COMPREPLY out.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree >/dev/null
mksnap 'with space' s1 1700000400 >sp.xml
run snapshot-create demo sp.xml --redefine >/dev/null
# a second VM, whose name needs quoting, and checkpoints of demo only
mksnap w1 '' 1700000500 >w1.xml
run snapshot-create 'web 1' w1.xml --redefine >/dev/null
mkckpt c1 '' 1700000000 domain=no >c1.xml
run checkpoint-create demo c1.xml --redefine >/dev/null
mkdir old-store
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
complete_words virtsnap copy-store ol
# VM names come from `virtsnap list`, so a database store has them too
# (run-cli-pg.sh runs this scenario against one)
complete_words virtsnap list --
complete_words virtsnap snapshot-list w
complete_words virtsnap undefine ''
complete_words virtsnap checkpoint-list ''
complete_words virtsnap checkpoint-info --domain ''
complete_words virtsnap checkpoint-create-as ''
complete_words virtsnap checkpoint-create demo c
run list
run list --checkpoints
