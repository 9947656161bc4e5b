# Upgrade from libvirt's per-file layout and back (issue 5): a directory as
# libvirt 9.0 wrote it is checked, converted, exported back byte for byte.
. "$CLI_TESTS/lib.sh"
origin virtsnap

# Relative store path: messages name it, and the transcript must not
# depend on the temporary directory.
VIRTSNAP_STORE=store
export VIRTSNAP_STORE
ondisk=$CLI_TESTS/../fixtures/libvirt-9.0-ondisk

# libvirt_file OUT FIXTURE [NAME PARENT TIME ACTIVE]: a file exactly as
# libvirt 9.0 writes it (the captures redact a path as "<peer>").
libvirt_file() {
    local out=$1 fixture=$2
    sed 's#<peer>#/srv/peer#g' "$ondisk/$fixture" >"$out"
    if [[ $# -gt 2 ]]; then
        sed -i -e "0,/<name>root<\/name>/s##<name>$3</name>#" \
            -e '/<description>root snapshot<\/description>/d' \
            -e "s#^  <creationTime>1700000000</creationTime>#  <parent>\n    <name>$4</name>\n  </parent>\n  <creationTime>$5</creationTime>#" \
            -e "s#<active>0</active>#<active>$6</active>#" "$out"
    fi
    chmod 600 "$out"
}

mkdir -p store/peer1
libvirt_file store/peer1/root.xml ondisk-root-not-current.xml
libvirt_file store/peer1/b1.xml ondisk-b1-current.xml
libvirt_file store/peer1/a.xml ondisk-root-not-current.xml a root 1700000100 0
libvirt_file store/peer1/b.xml ondisk-root-not-current.xml b root 1700000300 0
cp -r store/peer1 original

note "a VM still in libvirt's layout is readable as it is"
run check
run snapshot-list peer1 --tree
run snapshot-current peer1 --name
ls store

note "convert: bulk file written, verified, directory moved aside"
run convert peer1
ls -A store store/.virtsnap/legacy/peer1/1
stat -c '%a %n' store/peer1.xml
run snapshot-list peer1 --parent
run snapshot-current peer1 --name
run check
note "running it again is safe"
run convert peer1

note "export-legacy writes the files exactly as libvirt 9.0 did"
run export-legacy peer1
for f in original/*.xml; do
    cmp "$f" "store/peer1/${f##*/}" && stat -c '%a %n' "store/peer1/${f##*/}"
done
run export-legacy peer1
run check
note "the export is a leftover once virtsnap changes the VM"
run snapshot-delete peer1 a
run check peer1
run convert peer1
run export-legacy --force peer1
ls store/peer1 store/.virtsnap/legacy/peer1/2
run check peer1
run convert peer1 --legacy=remove
ls -A store store/.virtsnap/legacy/peer1

note "a write never converts on its own: libvirt may still read the directory"
mkdir -p store/auto
cp original/root.xml original/a.xml store/auto/
run snapshot-current auto --name
ls store
run snapshot-current auto a
ls store store/auto
run convert auto
run snapshot-current auto a
ls store store/.virtsnap/legacy/auto/1
run snapshot-list auto --tree --current

note "option errors"
run convert
run convert --all peer1
run convert peer1 --legacy=delete
run convert peer1 --orphans=drop
run convert peer1 --duplicates=any
run convert peer1 --current a --no-current
run convert ghost
run export-legacy ghost
