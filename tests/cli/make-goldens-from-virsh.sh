#!/bin/bash
# make-goldens-from-virsh.sh — rewrite the expected output of every
# scenario that starts with `origin virsh` by replaying it against the real
# virsh 9.0 of this machine, so those .out files are libvirt's own bytes.
#
# virsh runs the qemu driver in-process (qemu:///embed?root=DIR) on a
# private temporary root: it defines the domain from data/*-domain.xml and
# then only redefines snapshot metadata; no VM is ever started and no
# network is created.  As root, the scenario runs as user "nobody" (the
# embedded driver would otherwise want the libvirt-qemu account).
#
# Usage: tests/cli/make-goldens-from-virsh.sh [SCENARIO...]
# Then run the cli test: differences are virtsnap bugs, or deliberate
# deviations (listed in tests/cli/README.md, kept out of virsh scenarios).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
command -v virsh >/dev/null || { echo "virsh not found" >&2; exit 1; }
case $(virsh --version) in
9.0.*) ;;
*) echo "virsh $(virsh --version) is not 9.0: the goldens are virsh 9.0's" >&2; exit 1 ;;
esac

names=("$@")
if [[ ${#names[@]} == 0 ]]; then
    for f in "$here"/*.sh; do
        grep -q '^origin virsh' "$f" && names+=("$(basename "$f" .sh)")
    done
fi

for name in "${names[@]}"; do
    base=$(mktemp -d "${TMPDIR:-/tmp}/virsh-golden.XXXXXX")
    chmod 755 "$base"
    mkdir -m 777 "$base/work" "$base/root" "$base/home"
    mkdir -p "$base/root/etc/libvirt"
    chmod -R 777 "$base/root"
    cmd=(env -i PATH="$PATH" HOME="$base/home" TMPDIR="$base/home"
         XDG_CACHE_HOME="$base/home/cache" XDG_CONFIG_HOME="$base/home/config"
         XDG_RUNTIME_DIR="$base/home/run" TZ=UTC LC_ALL=C.UTF-8
         LIBVIRT_LOG_OUTPUTS="4:file:/dev/null"
         CLI_BACKEND=virsh VIRSH_ROOT="$base/root" CLI_TESTS="$here"
         bash "$here/$name.sh")
    if [[ $(id -u) == 0 ]]; then
        cmd=(setpriv --reuid=65534 --regid=65534 --clear-groups "${cmd[@]}")
    fi
    (cd "$base/work" && "${cmd[@]}") >"$here/$name.out" 2>&1
    echo "wrote $name.out"
    rm -rf "$base"
done
