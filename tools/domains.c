/* domains.c — the store handle and the VM handles that the commands of
 * one invocation share.
 *
 * A batch loads each VM once and sees its own writes: handles are kept
 * while commands follow each other, and dropped (their locks released)
 * before anything waits — input, an editor — and at exit.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

static gint64
vsCliFixedClock(gpointer data)
{
    return *(const gint64 *)data;
}

static int
vsCliStoreOpenFlags(vsCli *cli, gboolean create, vsStore **out)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vsStore) store = NULL;

    if (vsStoreOpen(&store, cli->store_dir, create ? VS_STORE_OPEN_CREATE : 0,
                    &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (cli->have_now)
        vsStoreSetClock(store, vsCliFixedClock, &cli->now);
    *out = g_steal_pointer(&store);
    return 0;
}

int
vsCliOpenStore(vsCli *cli, gboolean create, vsStore **out)
{
    vsCliFlushDomains(cli);
    return vsCliStoreOpenFlags(cli, create, out);
}

void
vsCliFlushDomains(vsCli *cli)
{
    if (cli->domains)
        g_hash_table_remove_all(cli->domains);
    if (cli->checkpoint_domains)
        g_hash_table_remove_all(cli->checkpoint_domains);
}

/* A directory, not a store URI ("postgresql://..."), which is never
 * created as a directory. */
static gboolean
vsCliIsPath(const char *location)
{
    return strstr(location, "://") == NULL;
}

/* The checkpoint directory and its parents (mode 0700), when missing. */
static int
vsCliMakeCheckpointDir(vsCli *cli)
{
    if (g_mkdir_with_parents(cli->checkpoint_dir, 0700) < 0) {
        vsCliError(cli, "cannot create checkpoint directory '%s': %s", cli->checkpoint_dir,
                   g_strerror(errno));
        return -1;
    }
    return 0;
}

int
vsCliOpenCheckpointStore(vsCli *cli, gboolean create, vsStore **out)
{
    g_autoptr(GError) err = NULL;

    vsCliFlushDomains(cli);
    *out = NULL;
    /* a database store (a URI) has no libvirt layout: the store commands
     * (convert, export, check, domrename) see no checkpoint directory */
    if (!vsCliIsPath(cli->checkpoint_dir) ||
        (!create && !g_file_test(cli->checkpoint_dir, G_FILE_TEST_EXISTS)))
        return 0;
    if (create && vsCliMakeCheckpointDir(cli) < 0)
        return -1;
    if (vsStoreOpen(out, cli->checkpoint_dir, 0, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

/* The checkpoint store: created (with its parents, mode 0700) when
 * missing, since a VM known by its snapshots has no checkpoints yet. */
static int
vsCliCheckpointStore(vsCli *cli)
{
    g_autoptr(GError) err = NULL;

    if (cli->checkpoint_store)
        return 0;
    if (vsCliIsPath(cli->checkpoint_dir) && vsCliMakeCheckpointDir(cli) < 0)
        return -1;
    if (vsStoreOpen(&cli->checkpoint_store, cli->checkpoint_dir, 0, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (cli->have_now)
        vsStoreSetClock(cli->checkpoint_store, vsCliFixedClock, &cli->now);
    return 0;
}

typedef struct {
    vsDomain *dom;
    gboolean write;
} vsCliDomainEntry;

static void
vsCliDomainEntryFree(gpointer data)
{
    vsCliDomainEntry *e = data;

    vsDomainFree(e->dom);
    g_free(e);
}

int
vsCliRequireKnownDomain(vsCli *cli, vsStore *store, const char *vm)
{
    g_autoptr(GError) err = NULL;
    gboolean known = FALSE;

    if (vsStoreHasDomain(&known, store, vm, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (!known) {
        vsCliError(cli, "failed to get domain '%s'", vm);
        return -1;
    }
    return 0;
}

/* A VM is known by its snapshots, or by its checkpoints when the
 * checkpoint store is open. */
static int
vsCliRequireKnown(vsCli *cli, const char *vm)
{
    g_autoptr(GError) err = NULL;
    gboolean known = FALSE;

    if (cli->checkpoint_store &&
        vsStoreHasCheckpoints(&known, cli->checkpoint_store, vm, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return known ? 0 : vsCliRequireKnownDomain(cli, cli->store, vm);
}

static int
vsCliLoad(vsCli *cli, const vsCliCmd *cmd, gboolean write, gboolean create,
          gboolean checkpoints, vsDomain **dom_out)
{
    GHashTable **map = checkpoints ? &cli->checkpoint_domains : &cli->domains;
    g_autoptr(GError) err = NULL;
    vsCliDomainEntry *e;
    vsDomain *dom = NULL;
    const char *vm = NULL;

    if (vsCliOptString(cli, cmd, "domain", &vm) < 0)
        return -1;
    g_assert(vm);   /* a required option */

    /* Only a create may make the store directory; other commands fail on
     * a missing store, and on a VM the store has nothing for (virsh:
     * "failed to get domain"). */
    if (!cli->store && vsCliStoreOpenFlags(cli, create, &cli->store) < 0)
        return -1;
    if (checkpoints && vsCliCheckpointStore(cli) < 0)
        return -1;
    /* asked at every command: an earlier one of the batch may have deleted
     * the VM's last snapshot */
    if (!create && vsCliRequireKnown(cli, vm) < 0)
        return -1;

    if (!*map)
        *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, vsCliDomainEntryFree);
    /* A kept write handle serves everything: its lock has been held since
     * it was loaded, so it is current.  A read-only one is replaced by a
     * fresh locked load before a write (never write from a stale view). */
    e = g_hash_table_lookup(*map, vm);
    if (e && (e->write || !write)) {
        *dom_out = e->dom;
        return 0;
    }
    if (e)
        g_hash_table_remove(*map, vm);

    if ((checkpoints ? vsStoreLoadCheckpoints(&dom, cli->checkpoint_store, vm, NULL,
                                              write ? VS_DOMAIN_LOAD_WRITE : 0, &err)
                     : vsStoreLoadDomain(&dom, cli->store, vm, NULL,
                                         write ? VS_DOMAIN_LOAD_WRITE : 0, &err)) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    e = g_new0(vsCliDomainEntry, 1);
    e->dom = dom;
    e->write = write;
    g_hash_table_insert(*map, g_strdup(vm), e);
    *dom_out = dom;
    return 0;
}

int
vsCliLoadDomain(vsCli *cli, const vsCliCmd *cmd, gboolean write, vsDomain **dom_out)
{
    return vsCliLoad(cli, cmd, write, FALSE, FALSE, dom_out);
}

int
vsCliLoadDomainToCreate(vsCli *cli, const vsCliCmd *cmd, vsDomain **dom_out)
{
    return vsCliLoad(cli, cmd, TRUE, TRUE, FALSE, dom_out);
}

int
vsCliLoadCheckpoints(vsCli *cli, const vsCliCmd *cmd, gboolean write, vsDomain **dom_out)
{
    return vsCliLoad(cli, cmd, write, FALSE, TRUE, dom_out);
}

int
vsCliLoadCheckpointsToCreate(vsCli *cli, const vsCliCmd *cmd, vsDomain **dom_out)
{
    return vsCliLoad(cli, cmd, TRUE, TRUE, TRUE, dom_out);
}
