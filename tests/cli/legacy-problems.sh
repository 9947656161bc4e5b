# Broken legacy directories (issue 5): everything libvirt 9.0 would skip
# silently is reported by file, refused until the user resolves it, and
# check --repair fixes only what needs no guess.
. "$CLI_TESTS/lib.sh"
origin virtsnap

VIRTSNAP_STORE=store
export VIRTSNAP_STORE
ondisk=$CLI_TESTS/../fixtures/libvirt-9.0-ondisk

# libvirt_file OUT NAME PARENT TIME ACTIVE: a snapshot file as libvirt 9.0
# writes it (derived from a capture; PARENT may be empty).
libvirt_file() {
    local out=$1 parent=
    [[ -n $3 ]] && parent="  <parent>\n    <name>$3</name>\n  </parent>\n"
    sed -e 's#<peer>#/srv/peer#g' \
        -e "0,/<name>root<\/name>/s##<name>$2</name>#" \
        -e '/<description>root snapshot<\/description>/d' \
        -e "s#^  <creationTime>1700000000</creationTime>#$parent  <creationTime>$4</creationTime>#" \
        -e "s#<active>0</active>#<active>$5</active>#" \
        "$ondisk/ondisk-root-not-current.xml" >"$out"
    chmod 600 "$out"
}

# The VM: root -> {a -> a1, b (current)}, plus one of each problem.
mkdir -p store/vm/subdir
libvirt_file store/vm/root.xml root '' 1700000000 0
libvirt_file store/vm/a.xml a root 1700000100 0
libvirt_file store/vm/a1.xml a1 a 1700000200 0
libvirt_file store/vm/renamed.xml b root 1700000300 1
cp store/vm/a.xml store/vm/a.xml.new               # unfinished libvirt write
cp store/vm/a1.xml store/vm/copy.xml               # identical duplicate
libvirt_file store/vm/other.xml a1 root 1700000250 0   # conflicting duplicate
libvirt_file store/vm/orphan.xml orphan gone 1700000400 0
libvirt_file store/vm/c1.xml c1 c2 1700000500 0
libvirt_file store/vm/c2.xml c2 c1 1700000600 1
head -c 300 store/vm/a.xml >store/vm/half.xml
: >store/vm/empty.xml
echo 'hello world' >store/vm/notes.txt
ln -s root.xml store/vm/link.xml
{ cat store/vm/root.xml; head -c 1048576 /dev/zero | tr '\0' ' '; } >store/vm/big.xml

note "libvirt would load some of this and drop the rest without a word"
run check
run snapshot-list vm
run convert vm

note "repair: the stale copy, the identical duplicate, the misnamed file"
run check --repair
ls store/vm store/.virtsnap/legacy/vm/1

note "the rest needs the user's word, one option per problem"
run convert vm --drop-bad
run convert vm --drop-bad --duplicates=last --orphans=root
opts=(--drop-bad --duplicates=first --orphans=root --root c1 --current b)
run convert vm --drop-bad --duplicates=first --orphans=root --root c1 --root b
run convert vm "${opts[@]}" --legacy=keep
run snapshot-list vm --parent
run snapshot-current vm --name
run check
note "finishing with --legacy=remove deletes only what is in the bulk file"
run convert vm "${opts[@]}" --legacy=remove
ls -A store store/.virtsnap/legacy/vm/2
run check
