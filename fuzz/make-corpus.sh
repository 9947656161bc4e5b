#!/usr/bin/env bash
# make-corpus.sh OUTDIR [VIRTSNAP-BENCH-GEN]
#
# Seed corpora for the libFuzzer harnesses, from tests/fixtures (and, when
# the benchmark generator is given, a few small generated stores):
#   OUTDIR/snapshot/       flags byte + one <domainsnapshot> document
#   OUTDIR/bulkfile/       <snapshots> documents (also used by bulkfile-zstd,
#                          whose first byte is a mode byte: any byte works)
#   OUTDIR/bulkfile-zstd/  mode byte + <snapshots> document
#   OUTDIR/legacy/         "--8<-- NAME" split directories (see fuzz-legacy.c)
#   OUTDIR/ops/            operation sequences (see fuzz-ops.c)
#   OUTDIR/pieces/         mode byte + a document whose root is captured,
#                          or pieces split by 0xFF bytes (see fuzz-pieces.c)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../tests/fixtures
out=${1:?usage: make-corpus.sh OUTDIR [VIRTSNAP-BENCH-GEN]}
gen=${2:-}

rm -rf "$out"
mkdir -p "$out"/{snapshot,checkpoint,bulkfile,bulkfile-zstd,legacy,ops,pieces}

# The on-disk fixtures hold a "<peer>" placeholder in attribute values.
clean() { sed 's|<peer>|/var/lib/libvirt|g' "$1"; }
# The <domainsnapshot> element of a file, without libvirt's header comment.
body() { clean "$1" | sed -n '/<domainsnapshot/,$p'; }

n=0
seed() {  # DIR FLAGBYTE(octal) FILE
    n=$((n + 1))
    { printf "\\$2"; body "$3"; } > "$out/$1/$(printf '%04d' $n)-$(basename "$3")"
}

# snapshot: REDEFINE (001), plain create (000), REDEFINE|INTERNAL (003) for
# on-disk files, OFFLINE (004), REDEFINE|VALIDATE (011).
for f in "$fixtures"/libvirt-tests/*/*.xml "$fixtures"/libvirt-9.0-ondisk/*.xml; do
    [ -f "$f" ] || continue
    seed snapshot 001 "$f"
    seed snapshot 000 "$f"
    case $f in
        */libvirt-9.0-ondisk/ondisk-*) seed snapshot 003 "$f"; seed snapshot 023 "$f" ;;
        */qemudomainsnapshotxml2xmlin/*) seed snapshot 004 "$f" ;;
    esac
done
for f in "$fixtures"/libvirt-9.0-ondisk/input-*.xml; do
    [ -f "$f" ] && seed snapshot 011 "$f"
done

# checkpoint: REDEFINE (001) and plain (000) of every checkpoint fixture and
# of libvirt's on-disk checkpoint files (header cut off), SECURE|NO_DOMAIN
# formatting (007) for the on-disk ones.
ckbody() { sed -n '/<domaincheckpoint/,$p' "$1"; }
ckseed() {  # FLAGBYTE(octal) FILE
    n=$((n + 1))
    { printf "\\$1"; ckbody "$2"; } > "$out/checkpoint/$(printf '%04d' $n)-$(basename "$2")"
}
for f in "$fixtures"/libvirt-checkpoint-tests/*/*.xml \
         "$fixtures"/libvirt-9.0-checkpoint-ondisk/input/*.xml; do
    [ -f "$f" ] || continue
    ckseed 001 "$f"
    ckseed 000 "$f"
done
for f in "$fixtures"/libvirt-9.0-checkpoint-ondisk/ondisk/*/*.xml; do
    [ -f "$f" ] && ckseed 007 "$f"
done

# bulkfile: fixture records wrapped in <snapshots>, one chain per directory.
bulk() {  # NAME FILES...
    local name=$1; shift
    {
        echo "<snapshots>"
        for f in "$@"; do
            body "$f" | grep -v '<active>' | sed 's/^/  /'
        done
        echo "</snapshots>"
    } > "$out/bulkfile/$name.xml"
}
for f in "$fixtures"/libvirt-tests/domainsnapshotxml2xmlout/*.xml \
         "$fixtures"/libvirt-tests/qemudomainsnapshotxml2xmlout/*.xml; do
    [ -f "$f" ] && bulk "one-$(basename "$f" .xml)" "$f"
done
bulk ondisk-pair "$fixtures"/libvirt-9.0-ondisk/ondisk-root-not-current.xml
printf '<snapshots/>\n' > "$out/bulkfile/empty.xml"
printf '<snapshots current="a">\n  <domainsnapshot>\n    <name>a</name>\n    <creationTime>1</creationTime>\n  </domainsnapshot>\n  <domainsnapshot>\n    <name>b</name>\n    <parent>\n      <name>a</name>\n    </parent>\n    <creationTime>2</creationTime>\n  </domainsnapshot>\n</snapshots>\n' > "$out/bulkfile/tiny.xml"

# legacy: the libvirt-written files, several per directory.
legacy() {  # NAME FILES...
    local name=$1; shift
    for f in "$@"; do
        printf -- '--8<-- %s\n' "$(basename "$f")"
        clean "$f"
    done > "$out/legacy/$name"
}
legacy ondisk-all "$fixtures"/libvirt-9.0-ondisk/ondisk-*.xml
legacy ondisk-b1 "$fixtures"/libvirt-9.0-ondisk/ondisk-b1-current.xml
{ printf -- '--8<-- a.xml\n'; clean "$fixtures"/libvirt-9.0-ondisk/ondisk-root-not-current.xml
  printf -- '--8<-- a.xml.new\nnot xml\n--8<-- junk\n\x01\x02\n'; } > "$out/legacy/with-junk"

# Small generated stores: the benchmark's realistic domains, all shapes.
if [ -n "$gen" ] && [ -x "$gen" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    i=0
    for shape in chain wide random; do
        for count in 1 3 8; do
            i=$((i + 1))
            "$gen" -q --out "$tmp/b$i" --vm vm1 --snapshots $count --shape $shape \
                --vary 50 --seed $i
            cp "$tmp/b$i/vm1.xml" "$out/bulkfile/gen-$shape-$count.xml"
            "$gen" -q --out "$tmp/l$i" --vm vm1 --snapshots $count --shape $shape \
                --vary 50 --seed $i --legacy
            for f in "$tmp/l$i"/vm1/*.xml; do
                printf -- '--8<-- %s\n' "$(basename "$f")"
                cat "$f"
            done > "$out/legacy/gen-$shape-$count"
        done
    done
fi

# bulkfile-zstd: a mode byte (0: one frame, level 1) before each document,
# and again with 060 (framed as the writer frames it, no extra cut) and
# 160 (plus a cut in the middle).
for f in "$out"/bulkfile/*; do
    { printf '\000'; cat "$f"; } > "$out/bulkfile-zstd/$(basename "$f")"
    { printf '\060'; cat "$f"; } > "$out/bulkfile-zstd/framed-$(basename "$f")"
    { printf '\260'; cat "$f"; } > "$out/bulkfile-zstd/framed-cut-$(basename "$f")"
done

# Format 3 (when the generator writes it): the files as written, for
# bulkfile (its zstd path), and for bulkfile-zstd each file's document
# (zstdcat) then its packs' entries, each after a line "--pack--" (mode
# 060: the harness frames them again as the writer does).
if [ -n "$gen" ] && [ -x "$gen" ] && "$gen" --help 2>&1 | grep -q pieces &&
   command -v zstd >/dev/null; then
    for count in 1 3 8; do
        "$gen" -q --out "$tmp/p$count" --vm vm1 --snapshots $count --shape chain \
            --vary 50 --seed $count --compression pieces
        cp "$tmp/p$count/vm1.xml" "$out/bulkfile/pieces-$count.xml"
        python3 - "$tmp/p$count/vm1.xml" "$out/bulkfile-zstd/pieces-$count.xml" <<'PYEOF'
import struct, subprocess, sys
data = open(sys.argv[1], "rb").read()
doc = subprocess.run(["zstd", "-dcq"], input=data, capture_output=True, check=True).stdout
out = b"\060" + doc
magic, tag = struct.pack("<I", 0x184D2A57), b"virtsnap-pack 1\n"
at = data.find(magic)
while at >= 0:
    size = struct.unpack("<I", data[at + 4:at + 8])[0]
    body = data[at + 8:at + 8 + size]
    if body.startswith(tag):
        out += b"\n--pack--\n" + subprocess.run(["zstd", "-dcq"], input=body[len(tag):],
                                                 capture_output=True, check=True).stdout
        at += 8 + size
    else:
        at += 1
    at = data.find(magic, at)
open(sys.argv[2], "wb").write(out)
PYEOF
    done
fi

# ops: operation sequences in fuzz-ops.c's encoding (written by python3,
# which meson needs anyway): a TAB-named current snapshot, CR in texts,
# TAB/LF/CR in attributes, creation times spelled 0, nesting at the limit
# and one past it, every delete shape, fragments as character references.
python3 - "$out/ops" <<'PYEOF'
import sys
out = sys.argv[1]
def frag(b): return bytes([len(b)]) + b
def dom(nest, attr=b"", body=b""): return bytes([nest]) + frag(attr) + frag(body)
def plain(name, desc=b"", state=5, d=None, opts=0):
    opts |= 0 if d else 1
    return bytes([0 | opts << 3]) + frag(name) + frag(desc) + bytes([state]) + (d or b"")
def redef(name, desc=b"", parent=0xff, state=2, when=100, mem=0, memfrag=b"", d=None,
          current=False, existing=None):
    opts = mem | (0 if d else 4) | (8 if current else 0)
    head = bytes([(2 if existing is not None else 1) | opts << 3])
    head += bytes([existing]) if existing is not None else frag(name)
    body = frag(desc) + bytes([parent, state, when])
    if mem in (2, 3):
        body += frag(memfrag)
    return head + body + (d or b"")
def write(name, data):
    with open(f"{out}/{name}", "wb") as f:
        f.write(data)
D = dom(0, b"x")
write("tab-current", b"\x01" + plain(b"base", d=D) + plain(b"nightly\tbuild") +
      redef(b"r", b"one&#13;two\n", 0, 0, 200, 2, b"/m&#9;x",
            dom(1, b"a&#9;b&#10;c&#13;d", b"<t>x&#13;</t>")) +
      redef(b"s", b"", 1, 2, 201, 3, b"/s&#9;&#13;", D) +
      bytes([3, 2]) + bytes([4, 0, 0]))
write("zero-time", b"\x00" + plain(b"base", d=D) +
      b"".join(redef(b"z%d" % w, b"", 0, 2, w, d=D) for w in (0, 1, 2, 7)) +
      redef(b"max", b"", 0, 2, 3, d=D) + redef(b"min", b"", 0, 2, 4, d=D))
write("depth", b"\x01" + plain(b"base", d=D) + redef(b"d254", b"", 0, 2, 9, d=dom(254)) +
      redef(b"d255", b"", 0, 2, 9, d=dom(255)) + plain(b"p254", d=dom(254)) +
      plain(b"p255", d=dom(255)) + bytes([6]) + bytes([3, 1]))
write("refs", b"\x03" + plain("n\ta\u00e9\u6f22\U0001f600".encode(), b"\r\n\t]]>", 1, D) +
      redef(b"x'\"<>&", b"&#13;", 0, 0, 77, 2, b"\t", dom(0, b"\t\n\r", b"</>")))
write("delete-shapes", b"\x01" + plain(b"a", d=D) + plain(b"b") + plain(b"c") +
      bytes([3, 0]) + bytes([4, 1, 1]) + bytes([6]) + bytes([7]) + plain(b"d") +
      bytes([4, 0, 4]) + bytes([4, 0, 2]) + bytes([4, 0, 3]) + bytes([5]))
PYEOF

# pieces: every on-disk fixture's <domain> as a document to capture (mode
# bytes 1 and 0x8f: two edits), and a few raw piece lists.
for f in "$fixtures"/libvirt-9.0-ondisk/*.xml; do
    [ -f "$f" ] || continue
    dom=$(clean "$f" | sed -n '/<domain[ >]/,/<\/domain>/p')
    [ -n "$dom" ] || continue
    n=$((n + 1))
    { printf '\001'; printf '%s\n' "$dom"; } > "$out/pieces/$(printf '%04d' $n)-$(basename "$f")"
    { printf '\217'; printf '%s\n' "$dom"; } > "$out/pieces/$(printf '%04d' $n)-b-$(basename "$f")"
done
printf '\000<domain>\n  <name>a</name>\n\377  <devices>\n    <disk/>\n\377  </devices>\n</domain>\n' \
    > "$out/pieces/raw-split"
printf '\000<domain>\n  <metadata>\n    <a:b xmlns:a="urn:a"/>\n  </metadata>\n</domain>\n' \
    > "$out/pieces/raw-metadata"

for d in snapshot checkpoint bulkfile bulkfile-zstd legacy ops pieces; do
    echo "$d: $(ls "$out/$d" | wc -l) seeds"
done
