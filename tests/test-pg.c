/* test-pg.c — the PostgreSQL store against a real, private PostgreSQL 15
 * (support/pg-harness.sh): the same promises as the directory store.
 * Several processes on one VM lose nothing, readers never wait, the server
 * killed at points inside a commit leaves exactly the old or the new tree,
 * a connection dropped between load and commit fails cleanly, a schema or
 * row of a newer virtsnap is refused. */
#include <libpq-fe.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "support/harness.h"
#include "testutil.h"

#define WRITERS 4
#define OPS_PER_WRITER 250
#define DOMAIN_XML \
    "<domain type='qemu'><name>demo</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>" \
    "</domain>"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGconn, PQfinish)

static char *pg_dir;
static char *pg_uri;

/* The one server of this program, started on first use; NULL: skipped. */
static const char *
server(void)
{
    if (!pg_uri) {
        pg_dir = vsTestDaemonDir();
        pg_uri = vsTestDaemonStart(VS_TEST_POSTGRESQL, pg_dir);
    }
    return pg_uri;
}

static PGconn *
sql(void)
{
    PGconn *conn = PQconnectdb(server());
    g_assert_cmpint(PQstatus(conn), ==, CONNECTION_OK);
    return conn;
}

static void
sqlDo(PGconn *conn, const char *text)
{
    PGresult *res = PQexec(conn, text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        g_error("%s: %s", text, PQerrorMessage(conn));
    PQclear(res);
}

/* An empty store: the schema dropped (it comes back on first use). */
static void
reset(void)
{
    PGconn *conn = sql();
    sqlDo(conn, "SET client_min_messages = warning");
    sqlDo(conn, "DROP SCHEMA IF EXISTS virtsnap CASCADE");
    PQfinish(conn);
}

static vsStore *
openStore(void)
{
    vsStore *store = NULL;
    g_autoptr(GError) error = NULL;
    if (vsStoreOpen(&store, server(), 0, &error) < 0)
        g_error("%s", error->message);
    return store;
}

static int
redefine(vsDomain *dom, const char *name, const char *parent, GError **error)
{
    g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent)
                                : g_strdup("");
    g_autofree char *xml = g_strdup_printf(
        "<domainsnapshot><name>%s</name><state>shutoff</state>%s"
        "<creationTime>1</creationTime>" DOMAIN_XML "</domainsnapshot>", name, p);
    return vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                             VS_SNAPSHOT_CREATE_REDEFINE, error);
}

/* Creates snapshots @first .. @first + @count - 1 ("sNNN", under "base"),
 * one commit each. */
static void
addSnapshots(vsStore *store, int first, int count)
{
    for (int i = first; i < first + count; i++) {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *name = g_strdup_printf("s%03d", i);

        g_assert_cmpint(vsStoreLoadDomain(&dom, store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &error), ==, 0);
        if (vsDomainCount(dom) == 0)
            g_assert_cmpint(redefine(dom, "base", NULL, &error), ==, 0);
        g_assert_cmpint(redefine(dom, name, "base", &error), ==, 0);
    }
}

static char *
formatStored(vsStore *store)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    if (vsStoreLoadDomain(&dom, store, "demo", NULL, 0, &error) < 0)
        g_error("%s", error->message);
    g_assert_cmpint(vsDomainFormat(&text, dom, &error), ==, 0);
    return text;
}

/* ---------------------------------------------------------------- */

/* As test-concurrency.c: each writer mixes creates, redefines and
 * deletes, every one a separate load-modify-commit, on a connection of its
 * own.  Run once with the lock removed from pgLock: snapshots went missing. */
static void
writerMain(int id)
{
    vsStore *store = openStore();
    for (int i = 0; i < OPS_PER_WRITER; i++) {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *name = g_strdup_printf("w%d-%03d", id, i);
        g_autofree char *old = NULL;
        int ret;

        if (vsStoreLoadDomain(&dom, store, "demo", NULL, VS_DOMAIN_LOAD_WRITE, &error) < 0) {
            g_printerr("writer %d op %d: %s\n", id, i, error->message);
            _exit(10);
        }
        if (i % 10 == 9) {
            old = g_strdup_printf("w%d-%03d", id, i - 2);
            ret = vsDomainDelete(dom, old, 0, &error);
        } else if (i % 10 == 5) {
            old = g_strdup_printf("w%d-%03d", id, i - 1);
            ret = redefine(dom, old, "base", &error);
        } else {
            ret = redefine(dom, name, "base", &error);
        }
        if (ret < 0) {
            g_printerr("writer %d op %d: %s\n", id, i, error->message);
            _exit(11);
        }
    }
    _exit(0);
}

static void
test_writers_lose_nothing(void)
{
    g_autoptr(vsStore) store = NULL;
    pid_t writers[WRITERS];

    if (!server())
        return;
    reset();
    store = openStore();
    addSnapshots(store, 0, 0);
    {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &error), ==, 0);
        g_assert_cmpint(redefine(dom, "base", NULL, &error), ==, 0);
    }
    for (int w = 0; w < WRITERS; w++) {
        writers[w] = fork();
        if (writers[w] == 0)
            writerMain(w);
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        g_assert_cmpint(waitpid(writers[w], &status, 0), ==, writers[w]);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    }
    {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, store, "demo", NULL, 0, &error), ==, 0);
        for (int w = 0; w < WRITERS; w++) {
            for (int i = 0; i < OPS_PER_WRITER; i++) {
                g_autofree char *name = g_strdup_printf("w%d-%03d", w, i);
                gboolean gone = (i % 10 == 7 || i % 10 == 5 || i % 10 == 9);
                const vsSnapshot *s = vsDomainLookup(dom, name, NULL);
                if (gone)
                    g_assert_null(s);
                else if (!s)
                    g_error("lost update: %s", name);
            }
        }
        g_assert_cmpuint(vsDomainCount(dom), ==, 1 + WRITERS * 175);
    }
}

/* A write handle holds the VM: another writer is refused (NOWAIT), a
 * reader loads at once, another VM is free. */
static void
test_readers_never_wait(void)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsStore) other = NULL;
    g_autoptr(vsDomain) held = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;

    if (!server())
        return;
    reset();
    store = openStore();
    other = openStore();
    addSnapshots(store, 0, 3);
    g_assert_cmpint(vsStoreLoadDomain(&held, store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                      &error), ==, 0);
    g_assert_cmpint(vsStoreLoadDomain(&dom, other, "demo", NULL,
                                      VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT, &error),
                    ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_LOCKED);
    g_clear_error(&error);
    g_assert_cmpint(vsStoreLoadDomain(&dom, other, "demo", NULL, 0, &error), ==, 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 4);
    g_clear_pointer(&dom, vsDomainFree);
    g_assert_cmpint(vsStoreLoadDomain(&dom, other, "vm2", NULL,
                                      VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT, &error),
                    ==, 0);
}

/* ---------------------------------------------------------------- */
/* Faults                                                             */

/* Waits until a backend of application "virtsnap" waits for a lock (asked
 * outside any transaction: one sees a frozen pg_stat_activity). */
static void
waitForBlockedCommit(void)
{
    g_autoptr(PGconn) conn = sql();

    for (;;) {
        PGresult *res = PQexec(conn, "SELECT count(*) FROM pg_stat_activity "
                               "WHERE application_name = 'virtsnap' "
                               "AND wait_event_type = 'Lock'");
        gboolean blocked = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
        PQclear(res);
        if (blocked)
            return;
        g_usleep(20 * 1000);
    }
}

/* The server is killed while a commit waits at one point of its
 * transaction (@blocker holds what that statement needs): after the
 * restart the VM is exactly as before the commit. */
static void
killDuringCommit(const char *blocker, const char *what)
{
    g_autoptr(vsStore) store = NULL;
    g_autofree char *before = NULL, *after = NULL, *again = NULL;
    PGconn *conn;
    pid_t pid;
    int status;

    reset();
    store = openStore();
    addSnapshots(store, 0, 40);
    before = formatStored(store);
    conn = sql();
    sqlDo(conn, "BEGIN");
    sqlDo(conn, blocker);
    pid = fork();
    if (pid == 0) {
        vsStore *s = openStore();
        g_autoptr(vsDomain) dom = NULL;
        if (vsStoreLoadDomain(&dom, s, "demo", NULL, VS_DOMAIN_LOAD_WRITE, NULL) < 0)
            _exit(1);
        vsDomainDelete(dom, "s005", 0, NULL);   /* changes frames */
        _exit(2);                                 /* never reached without a server */
    }
    waitForBlockedCommit();
    vsTestDaemonKill(VS_TEST_POSTGRESQL, pg_dir);
    PQfinish(conn);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_free(vsTestDaemonStart(VS_TEST_POSTGRESQL, pg_dir));
    after = formatStored(store);   /* the store's connection comes back */
    if (strcmp(before, after) != 0)
        g_error("killed %s: the tree changed", what);
    /* and the VM takes the next commit */
    addSnapshots(store, 40, 1);
    again = formatStored(store);
    g_assert_nonnull(strstr(again, "<name>s040</name>"));
}

static void
test_kill_during_commit(void)
{
    if (!server())
        return;
    /* before the row is replaced; after it, while frames are inserted; while
     * old frames are deleted */
    killDuringCommit("SELECT 1 FROM virtsnap.vms FOR SHARE", "at the row's update");
    killDuringCommit("LOCK TABLE virtsnap.frames IN SHARE MODE", "at the frames' insert");
    killDuringCommit("SELECT 1 FROM virtsnap.frames FOR SHARE", "at the old frames' delete");
}

/* Every backend but this one is terminated between the load and the
 * commit: the commit fails with one line naming store and VM, nothing
 * changes, and the next operation works. */
static void
test_connection_dropped(void)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL, *after = NULL;
    PGconn *conn;

    if (!server())
        return;
    reset();
    store = openStore();
    addSnapshots(store, 0, 5);
    before = formatStored(store);
    g_assert_cmpint(vsStoreLoadDomain(&dom, store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                      &error), ==, 0);
    conn = sql();
    sqlDo(conn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'virtsnap'");
    PQfinish(conn);
    g_assert_cmpint(vsDomainDelete(dom, "s001", 0, &error), ==, -1);
    g_assert_nonnull(strstr(error->message, "VM 'demo'"));
    g_assert_nonnull(strstr(error->message, "postgresql://"));
    g_assert_null(strchr(error->message, '\n'));
    g_assert_nonnull(vsDomainLookup(dom, "s001", NULL));
    g_clear_pointer(&dom, vsDomainFree);
    after = formatStored(store);
    g_assert_cmpstr(before, ==, after);
    addSnapshots(store, 5, 1);
}

/* ---------------------------------------------------------------- */
/* Versions                                                           */

static void
test_newer_refused(void)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    vsStore *s = NULL;
    PGconn *conn;

    if (!server())
        return;
    reset();
    store = openStore();
    addSnapshots(store, 0, 2);
    conn = sql();
    sqlDo(conn, "UPDATE virtsnap.vms SET format = 2");
    g_assert_cmpint(vsStoreLoadDomain(&dom, store, "demo", NULL, 0, &error), ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "newer virtsnap"));
    g_clear_error(&error);
    {
        /* check reports it (a database has no legacy layout to look at) */
        g_autoptr(vsLegacyReport) report = NULL;
        g_assert_cmpint(vsStoreCheck(&report, store, NULL, 0, &error), ==, 0);
        g_assert_cmpuint(vsLegacyReportGetCount(report), ==, 1);
        g_assert_nonnull(strstr(vsLegacyReportGetMessage(report, 0), "newer virtsnap"));
    }
    sqlDo(conn, "UPDATE virtsnap.vms SET format = 1");
    sqlDo(conn, "UPDATE virtsnap.meta SET value = '2' WHERE key = 'schema-version'");
    g_assert_cmpint(vsStoreOpen(&s, server(), 0, &error), ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "schema is version 2"));
    PQfinish(conn);
}

static void
test_unreachable(void)
{
    g_autoptr(GError) error = NULL;
    vsStore *s = NULL;

    g_assert_cmpint(vsStoreOpen(&s, "postgresql://someone:secret@/virtsnap?host=/nonexistent",
                                0, &error), ==, -1);
    g_assert_nonnull(strstr(error->message, "cannot connect"));
    g_assert_null(strstr(error->message, "secret"));
    g_assert_null(strchr(error->message, '\n'));
}

/* A server that refuses writes (a standby; here every transaction
 * read-only): reads work, a write fails with one line saying so. */
static void
test_read_only(void)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsStore) ro = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *before = NULL, *after = NULL;

    if (!server())
        return;
    reset();
    store = openStore();
    addSnapshots(store, 0, 2);
    before = formatStored(store);
    uri = g_strdup_printf("%s&options=-c%%20default_transaction_read_only%%3Don", server());
    g_assert_cmpint(vsStoreOpen(&ro, uri, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreLoadDomain(&dom, ro, "demo", NULL, VS_DOMAIN_LOAD_WRITE, &error),
                    ==, 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 3);
    g_assert_cmpint(vsDomainDelete(dom, "s001", 0, &error), ==, -1);
    g_assert_nonnull(strstr(error->message, "VM 'demo'"));
    g_assert_nonnull(strstr(error->message, "read-only"));
    after = formatStored(store);
    g_assert_cmpstr(before, ==, after);
}

/* The pieces mode is kept in virtsnap.meta like the others, and a store
 * set to it stores the writer's bytes (format 3: packs are frames too):
 * what it commits loads back, in this handle and in a new one. */
static void
test_pieces_setting(void)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsStore) other = NULL;
    g_autoptr(vsStore) fresh = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL, *after = NULL, *here = NULL;

    if (!server())
        return;
    reset();
    store = openStore();
    g_assert_cmpint(vsStoreGetCompressionMode(store), ==, VS_COMPRESSION_ZSTD);
    addSnapshots(store, 0, 3);
    before = formatStored(store);
    g_assert_cmpint(vsStoreSaveCompressionMode(store, VS_COMPRESSION_PIECES, &error), ==, 0);
    other = openStore();
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_PIECES);
    g_assert_true(vsStoreGetCompression(other));
    addSnapshots(other, 3, 2);   /* converts, then writes since */
    fresh = openStore();
    after = formatStored(fresh);
    g_assert_cmpuint(strlen(after), >, strlen(before));
    g_assert_nonnull(strstr(after, "<name>s004</name>"));
    here = formatStored(other);
    g_assert_cmpstr(here, ==, after);
    {
        /* format 3 as written: its packs (magic 0x184D2A57) are frames */
        g_autoptr(PGconn) conn = sql();
        PGresult *res = PQexec(conn, "SELECT count(*) FROM virtsnap.frames WHERE "
                                     "substring(data from 1 for 4) = '\\x572a4d18'::bytea");

        g_assert_cmpint(PQresultStatus(res), ==, PGRES_TUPLES_OK);
        g_assert_cmpint(atoi(PQgetvalue(res, 0, 0)), >, 0);
        PQclear(res);
    }
    g_assert_cmpint(vsStoreSaveCompression(other, TRUE, &error), ==, 0);
    g_clear_pointer(&other, vsStoreFree);
    other = openStore();
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_ZSTD);
}

/* SERIALIZABLE transactions (the URI's default here) on different VMs make
 * the server cancel some commits ("could not serialize access", at
 * COMMIT): those are run again, so every operation succeeds.  How many
 * were retried depends on timing; that none is lost does not. */
static void
test_serializable_retried(void)
{
    g_autofree char *uri = NULL;
    pid_t pids[WRITERS];

    if (!server())
        return;
    reset();
    uri = g_strdup_printf("%s&options=-c%%20default_transaction_isolation%%3Dserializable",
                          server());
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            vsStore *store = NULL;
            g_autofree char *vm = g_strdup_printf("vm%d", w);
            g_autoptr(GError) oerr = NULL;
            if (vsStoreOpen(&store, uri, 0, &oerr) < 0) {
                g_printerr("writer %d: %s\n", w, oerr->message);
                _exit(10);
            }
            for (int i = 0; i < 60; i++) {
                g_autoptr(vsDomain) dom = NULL;
                g_autoptr(GError) error = NULL;
                g_autofree char *name = g_strdup_printf("s%02d", i);
                if (vsStoreLoadDomain(&dom, store, vm, NULL, VS_DOMAIN_LOAD_WRITE,
                                      &error) < 0 ||
                    redefine(dom, name, NULL, &error) < 0) {
                    g_printerr("writer %d op %d: %s\n", w, i, error->message);
                    _exit(11);
                }
            }
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        g_assert_cmpint(waitpid(pids[w], &status, 0), ==, pids[w]);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    }
    {
        g_autoptr(vsStore) store = openStore();
        for (int w = 0; w < WRITERS; w++) {
            g_autoptr(vsDomain) dom = NULL;
            g_autoptr(GError) error = NULL;
            g_autofree char *vm = g_strdup_printf("vm%d", w);
            g_assert_cmpint(vsStoreLoadDomain(&dom, store, vm, NULL, 0, &error), ==, 0);
            g_assert_cmpuint(vsDomainCount(dom), ==, 60);
        }
    }
}

/* A role the server does not know: one line naming the store. */
static void
test_unknown_role(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *uri = NULL;
    vsStore *s = NULL;

    if (!server())
        return;
    uri = g_strdup_printf("%s&user=nosuchrole", server());
    g_assert_cmpint(vsStoreOpen(&s, uri, 0, &error), ==, -1);
    g_assert_nonnull(strstr(error->message, "cannot connect"));
    g_assert_nonnull(strstr(error->message, "nosuchrole"));
    g_assert_null(strchr(error->message, '\n'));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pg/unreachable", test_unreachable);
    g_test_add_func("/pg/readers-never-wait", test_readers_never_wait);
    g_test_add_func("/pg/writers-lose-nothing", test_writers_lose_nothing);
    g_test_add_func("/pg/connection-dropped", test_connection_dropped);
    g_test_add_func("/pg/kill-during-commit", test_kill_during_commit);
    g_test_add_func("/pg/newer-refused", test_newer_refused);
    g_test_add_func("/pg/read-only", test_read_only);
    g_test_add_func("/pg/serializable-retried", test_serializable_retried);
    g_test_add_func("/pg/pieces-setting", test_pieces_setting);
    g_test_add_func("/pg/unknown-role", test_unknown_role);
    return g_test_run();
}
