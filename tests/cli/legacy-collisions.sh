# Collisions between the two layouts (issue 5): VM foo's bulk file foo.xml
# against VM foo.xml's legacy directory foo.xml/, symlinks in the store,
# names of moved-aside directories.  Detected, explained, never clobbered.
. "$CLI_TESTS/lib.sh"
origin virtsnap

VIRTSNAP_STORE=store
export VIRTSNAP_STORE
ondisk=$CLI_TESTS/../fixtures/libvirt-9.0-ondisk

put_dir() {   # put_dir VM: one root snapshot, as libvirt 9.0 writes it
    mkdir -p "store/$1"
    sed 's#<peer>#/srv/peer#g' "$ondisk/ondisk-root-not-current.xml" >"store/$1/root.xml"
}

put_dir foo
put_dir foo.xml
note "VM foo needs the path foo.xml, which is VM foo.xml's directory"
run check
run convert foo
run snapshot-current foo root
ls store store/foo store/foo.xml
note "convert --all converts foo.xml first, which frees the path for foo"
run convert --all
ls -A store
run convert foo.xml foo
ls store store/.virtsnap/legacy
note "VM foo.xml cannot go back to libvirt's layout while VM foo has a file"
run export-legacy foo.xml
run export-legacy foo
ls store store/foo

note "symlinks in the store are reported and never followed"
mkdir elsewhere
cp store/foo/root.xml elsewhere/
ln -s ../elsewhere store/linked
ln -s ../elsewhere/root.xml store/linkfile.xml
run check
run convert linked
run export-legacy foo --force
rm store/foo/root.xml && rmdir store/foo && ln -s ../elsewhere store/foo
run export-legacy foo --force
ls elsewhere

note "moved-aside directories are not VMs"
run convert .virtsnap
run check .virtsnap

note "directories whose names cannot be VM names are reported, never skipped"
rm -f store/linked store/linkfile.xml store/foo
put_dir .hidden
put_dir $'tab\tname'
run check
run convert --all
