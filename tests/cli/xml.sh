# The `xml` command against libvirt's own parser/formatter test files
# (tests/fixtures/libvirt-tests, see its README for the macros and flags).
. "$CLI_TESTS/lib.sh"
origin virtsnap
fx=$CLI_TESTS/../fixtures/libvirt-tests
qin=$fx/qemudomainsnapshotxml2xmlin
qout=$fx/qemudomainsnapshotxml2xmlout
oin=$fx/domainsnapshotxml2xmlin
oout=$fx/domainsnapshotxml2xmlout
u1=9d37b878-a7cc-9f9a-b78f-49b3abad25a8
u2=c7a5fdbd-edaf-9455-926a-d65c16db1809

# same EXPECTED ARGS...: `virtsnap -q xml ARGS` must print EXPECTED's bytes.
same() {
    local exp=$1 shown
    shift
    shown="xml $* == ${exp#"$fx"/}"
    shown=${shown//"$fx"\//}
    if "$VIRTSNAP" -q xml "$@" >.got 2>.err && cmp -s .got "$exp"; then
        note "$shown: ok"
    else
        note "$shown: DIFFERS"
        diff -u "$exp" .got
        cat .err
    fi
    rm -f .got .err
}

note "INOUT (parse with a fixed clock, format SECURE)"
same "$qout/empty.xml" --now 1386166249 --uuid "$u1" --secure "$oin/empty.xml"
same "$qout/external_vm.xml" --now 1555419243 --secure "$qin/external_vm.xml"
same "$qout/disk_driver_name_null.xml" --now 1555419243 --secure "$oin/disk_driver_name_null.xml"
same "$oout/disk_snapshot.xml" --now 1555419243 --secure "$qin/disk_snapshot.xml"
note "OUT (REDEFINE round trips; INTERNAL where the test uses it)"
same "$qout/all_parameters.xml" --redefine --internal --secure --uuid "$u1" "$qout/all_parameters.xml"
same "$qout/disk_snapshot_redefine.xml" --redefine --internal --secure --uuid "$u2" "$qout/disk_snapshot_redefine.xml"
same "$qout/full_domain.xml" --redefine --internal --secure --uuid "$u2" "$qout/full_domain.xml"
same "$qout/noparent_nodescription_noactive.xml" --redefine --secure "$qout/noparent_nodescription_noactive.xml"
same "$qout/noparent_nodescription.xml" --redefine --internal --secure "$qout/noparent_nodescription.xml"
same "$qout/metadata.xml" --redefine --secure --uuid "$u2" "$qout/metadata.xml"
note "IN (no post-parse: a zero clock stamps nothing)"
same "$oin/name_only.xml" --now 0 --secure "$oin/name_only.xml"

note the transcript of a few runs
cp "$oin/name_only.xml" "$qin/external_vm.xml" "$qout/all_parameters.xml" .
run xml --now 1555419243 external_vm.xml
run -q xml --redefine --internal --uuid "$u1" all_parameters.xml
run -q xml --redefine all_parameters.xml
run_input '<domainsnapshot><name>from stdin</name></domainsnapshot>' -q xml --now 1700000000 -
run -q xml --validate --now 1700000000 external_vm.xml
printf '<domainsnapshot><bogus/></domainsnapshot>\n' >invalid.xml
run -q xml --validate invalid.xml
run -q xml invalid.xml --now 1700000000
run -q xml --redefine invalid.xml
run -q xml --internal name_only.xml
run -q xml nosuch.xml
run -q xml --now yesterday name_only.xml
run -q xml --uuid not-a-uuid name_only.xml
run -q xml
run -q xml --now

note "secrets (libvirt-9.0-secrets): none without --secure, all of libvirt's with it"
cp "$fx/../libvirt-9.0-secrets/snapshot.xml" secrets.xml
"$VIRTSNAP" -q xml --redefine secrets.xml >.plain
"$VIRTSNAP" -q xml --redefine --secure secrets.xml >.secure
note "without --secure: $(grep -c -e SECR -e cookie .plain) lines with a secret"
note "with --secure: $(grep -o -e "passwd='[^']*'" -e '<cookie [^<]*' .secure | sort | uniq -c | tr -s ' ' | paste -sd,)"
rm -f .plain .secure
