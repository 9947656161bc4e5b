/* roundtrip-checkpoint.c — the checkpoint half of the round-trip test:
 * random <domaincheckpoint> documents (names from libvirt's checkpoint
 * alphabet and past it, any description, shared and extreme
 * creationTimes, <disks> by target, by path, unknown and repeated, with
 * odd bitmap names, a schema-valid <domain> or none, elements in any
 * order as the schema interleaves them), plain creates, redefines of new
 * and existing checkpoints (several roots when no parent is given). */
#include <string.h>

#include "roundtrip.h"

/* A checkpoint name, as text content: mostly libvirt's pattern
 * [a-zA-Z0-9_-][a-zA-Z0-9_.-]* up to past the 247-byte limit, sometimes
 * a leading '.', sometimes anything a snapshot may be called (refused).
 * @plain gets the name itself. */
static void
randomCheckpointName(Run *run, GString *xml, GString *plain)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_-.";
    guint len = rtChance(run, 10) ? 240 + rtPick(run, 12) : 1 + rtPick(run, 24);

    if (rtChance(run, 4)) {
        rtRandomName(run, xml, plain);
        return;
    }
    g_string_truncate(plain, 0);
    while (plain->len < len) {
        char c = alphabet[rtPick(run, sizeof(alphabet) - 1)];

        if (plain->len == 0 && c == '.' && !rtChance(run, 5))
            continue;
        g_string_append_c(plain, c);
        rtSpell(run, xml, (gunichar) c, FALSE);
    }
}

/* <disks>: by target or by the path of a domain's disk, in any order,
 * sometimes one the domain lacks or one named twice; any checkpoint= and
 * bitmap=. */
static void
appendDisks(Run *run, GString *xml)
{
    static const char *const targets[] = { "vda", "vdb", "vdc" };
    static const char *const paths[] = { "/img/a.qcow2", "/img/b.qcow2", "/img/c.qcow2" };
    guint n = 1 + rtPick(run, 3);
    guint first = rtPick(run, 3);
    gboolean down = rtChance(run, 50);

    g_string_append(xml, "<disks>");
    for (guint i = 0; i < n; i++) {
        guint which = (first + (down ? 3 - i : i)) % 3;
        const char *name = rtChance(run, 20) ? paths[which] : targets[which];
        guint how = rtPick(run, 4);

        if (rtChance(run, 3))
            name = rtChance(run, 50) ? "vdz" : targets[first];   /* unknown, or twice */
        g_string_append(xml, "<disk name='");
        rtSpellString(run, xml, name, TRUE);
        g_string_append_c(xml, '\'');
        if (how == 0)
            g_string_append(xml, " checkpoint='no'");
        else if (how == 1)
            g_string_append(xml, " checkpoint='bitmap'");
        if (how != 0 || rtChance(run, 3))
            rtRandomAttr(run, xml, "bitmap", rtChance(run, 50) ? 0 : 12);
        if (how != 0 && rtChance(run, 20))
            g_string_append(xml, " size='1048576'");
        g_string_append(xml, "/>");
    }
    g_string_append(xml, "</disks>");
}

static void
appendDescription(Run *run, GString *xml)
{
    g_string_append(xml, "<description>");
    rtRandomText(run, xml, 30);
    g_string_append(xml, "</description>");
}

/* Appends the pieces in a random order: the schema interleaves them. */
static void
appendShuffled(Run *run, GString *xml, GPtrArray *pieces)
{
    while (pieces->len) {
        guint i = rtPick(run, pieces->len);
        g_string_append(xml, ((GString *) pieces->pdata[i])->str);
        g_ptr_array_remove_index_fast(pieces, i);
    }
}

static void
freePiece(gpointer piece)
{
    g_string_free(piece, TRUE);
}

static GString *
newPiece(GPtrArray *pieces)
{
    GString *piece = g_string_new(NULL);

    g_ptr_array_add(pieces, piece);
    return piece;
}

/* A whole <domaincheckpoint> for a redefine of @spelled: a random parent
 * (none: another root) and time, disks, maybe a domain. */
static char *
redefineXML(Run *run, const char *spelled)
{
    g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func(freePiece);
    GString *xml = g_string_new("<domaincheckpoint>");

    if (rtChance(run, 99))
        g_string_append_printf(newPiece(pieces), "<name>%s</name>", spelled);
    if (rtChance(run, 60))
        appendDescription(run, newPiece(pieces));
    rtAppendParent(run, newPiece(pieces), randomCheckpointName);
    if (rtChance(run, 98))
        rtAppendTime(run, newPiece(pieces));
    if (rtChance(run, 50))
        appendDisks(run, newPiece(pieces));
    if (rtChance(run, 70))
        rtRandomDomain(run, newPiece(pieces), TRUE);
    appendShuffled(run, xml, pieces);
    g_string_append(xml, "</domaincheckpoint>");
    return g_string_free(xml, FALSE);
}

static int
opRedefine(Run *run, gboolean existing, GError **error)
{
    g_autoptr(GString) spelled = g_string_new(NULL);
    g_autoptr(GString) name = g_string_new(NULL);
    g_autofree char *xml = NULL;
    const char *old = existing ? rtExistingName(run) : NULL;

    run->op = existing ? "redefine existing" : "redefine new";
    if (old)
        rtSpellString(run, spelled, old, FALSE);
    else
        randomCheckpointName(run, spelled, name);
    xml = redefineXML(run, spelled->str);
    return vsDomainCheckpointCreateXML(NULL, run->dom, xml, strlen(xml), NULL,
                                       VS_CHECKPOINT_CREATE_REDEFINE, error);
}

/* A create of a running VM's checkpoint, as far as metadata goes: the
 * given <domain>, or the current checkpoint's when none is given.  What a
 * create ignores (creationTime, parent) is sometimes there too. */
static int
opPlainCreate(Run *run, GError **error)
{
    g_autoptr(GString) xml = g_string_new("<domaincheckpoint>");
    g_autoptr(GString) name = g_string_new(NULL);
    g_autoptr(GString) domain = g_string_new(NULL);
    unsigned int flags = 0;

    run->op = "plain create";
    if (rtChance(run, 90)) {
        g_string_append(xml, "<name>");
        randomCheckpointName(run, xml, name);
        g_string_append(xml, "</name>");
    }
    if (rtChance(run, 50))
        appendDescription(run, xml);
    if (rtChance(run, 10))
        rtAppendTime(run, xml);
    if (rtChance(run, 10))
        rtAppendParent(run, xml, randomCheckpointName);
    if (rtChance(run, 40))
        appendDisks(run, xml);
    g_string_append(xml, "</domaincheckpoint>");
    if (rtChance(run, 70))
        rtRandomDomain(run, domain, TRUE);
    if (rtChance(run, 4))
        flags = rtChance(run, 50) ? VS_CHECKPOINT_CREATE_QUIESCE
                                  : VS_CHECKPOINT_CREATE_REDEFINE_VALIDATE;
    return vsDomainCheckpointCreateXML(NULL, run->dom, xml->str, xml->len,
                                       domain->len ? domain->str : NULL, flags, error);
}

static int
change(Run *run, GError **error)
{
    guint op = rtPick(run, 100);

    if (op < 25)
        return opPlainCreate(run, error);
    if (op < 60)
        return opRedefine(run, FALSE, error);
    if (op < 82)
        return opRedefine(run, TRUE, error);
    return rtOpDelete(run, error);
}

/* The disks through the getters, then the record as checkpoint-dumpxml
 * prints it. */
static void
describe(GString *out, const vsDomain *dom, const vsMoment *chk)
{
    g_autofree char *xml = NULL;
    guint n = vsCheckpointGetDiskCount(chk);

    for (guint i = 0; i < n; i++) {
        const char *bitmap = vsCheckpointGetDiskBitmap(chk, i);
        g_string_append_printf(out, "|disk=%s,%s,%s", vsCheckpointGetDiskName(chk, i),
                               vsCheckpointTypeToString(vsCheckpointGetDiskType(chk, i)),
                               bitmap ? bitmap : "-");
    }
    g_string_append_c(out, '\n');
    g_assert_cmpint(vsCheckpointFormat(&xml, chk, VS_CHECKPOINT_FORMAT_SECURE, NULL), ==, 0);
    g_string_append(out, xml);
}

const RtKind rtCheckpointKind = {
    .name = "checkpoints",
    .load = vsStoreLoadCheckpoints,
    .stores_current = FALSE,
    .change = change,
    .describe = describe,
    .delete_children = VS_CHECKPOINT_DELETE_CHILDREN,
    .delete_children_only = VS_CHECKPOINT_DELETE_CHILDREN_ONLY,
    .delete_metadata_only = VS_CHECKPOINT_DELETE_METADATA_ONLY,
};
