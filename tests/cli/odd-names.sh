# Snapshot names that are hard to print, sort, quote or pass as arguments.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo

n=0
for name in 'with space' '  lead-trail  ' "$(printf 'tab\there')" 'ünïcødé-€' '漢字スナップ' \
            "'quote\"" 'a&b' '<tag>&amp' '-dash' 'x.xml' '*' 'back\x41slash' 'Zebra' \
            'apple' 'BANANA' "$(printf 'nel\302\205x')" "$(printf 'zw\342\200\213j')"; do
    n=$((n + 1))
    mksnap "$name" '' $((1700000000 + n * 60)) >"n$n.xml"
    run snapshot-create demo "n$n.xml" --redefine
done
mksnap child '漢字スナップ' 1700009999 >child.xml
run snapshot-create demo child.xml --redefine --current

run snapshot-list demo
run snapshot-list demo --parent
run snapshot-list demo --name
run snapshot-list demo --tree
run -q snapshot-list demo --parent
run snapshot-info demo 'with space'
run snapshot-info demo --snapshotname=-dash
run snapshot-info demo -- -dash
run snapshot-info demo -dash
run snapshot-info demo "'quote\""
run snapshot-parent demo child
run snapshot-list demo --from '漢字スナップ' --tree
run snapshot-dumpxml demo '<tag>&amp' --xpath //name
run snapshot-dumpxml demo "$(printf 'tab\there')" --xpath //name
run snapshot-current demo '  lead-trail  '
run snapshot-current demo --name
run snapshot-delete demo 'a&b' --metadata
run snapshot-delete demo --snapshotname '*' --metadata
run snapshot-list demo --name
