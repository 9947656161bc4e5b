#!/usr/bin/env bash
# Rebuilds examples/store/demo.xml: a small snapshot tree of VM 'demo' made with
# virtsnap's own commands (fixed creation times via redefine, so the file is stable).
set -euo pipefail
cd "$(dirname "$0")"
vs=${VIRTSNAP:-../build/tools/virtsnap}
rm -rf store && mkdir -p store
dom=$(cat demo-domain.xml)
snap() {  # NAME PARENT TIME DESCRIPTION
    local parent=""
    [ -n "$2" ] && parent="<parent><name>$2</name></parent>"
    printf '<domainsnapshot><name>%s</name><description>%s</description><state>shutoff</state>%s<creationTime>%s</creationTime>%s</domainsnapshot>\n' \
        "$1" "$4" "$parent" "$3" "$dom" > /tmp/virtsnap-example-$$.xml
    "$vs" -q --store store snapshot-create demo /tmp/virtsnap-example-$$.xml --redefine ${5:-}
}
snap fresh-install ""            1700000000 "Debian 12 right after installation"
snap base-packages fresh-install 1700003600 "web server and database installed"
snap before-upgrade base-packages 1700090000 "before the 12.5 point release"
snap after-upgrade before-upgrade 1700093600 "after the 12.5 point release" --current
snap experiment base-packages    1700007200 "trying a different PHP version"
snap rescue ""                   1690000000 "restored from the old host"
rm -f /tmp/virtsnap-example-$$.xml
