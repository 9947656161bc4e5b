/* test-concurrency.c — several processes on one store: no lost update, no
 * failed reader, no blocking across VMs, no wedge after a killed writer. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "testutil.h"

#define WRITERS 4
#define OPS_PER_WRITER 250
#define DOMAIN_XML \
    "<domain type='qemu'><name>demo</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>" \
    "</domain>"

static vsStore *
openStore(const char *dir)
{
    vsStore *store = NULL;
    g_autoptr(GError) error = NULL;
    if (vsStoreOpen(&store, dir, 0, &error) < 0)
        g_error("%s", error->message);
    return store;
}

/* The kind the writers test: snapshots, or checkpoints (set before the
 * processes fork). */
static gboolean use_checkpoints;

static int
loadDemo(vsDomain **dom, vsStore *store, unsigned int flags, GError **error)
{
    return use_checkpoints ? vsStoreLoadCheckpoints(dom, store, "demo", NULL, flags, error)
                           : vsStoreLoadDomain(dom, store, "demo", NULL, flags, error);
}

static int
redefine(vsDomain *dom, const char *name, const char *parent, GError **error)
{
    g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent)
                                : g_strdup("");
    g_autofree char *xml = NULL;

    if (use_checkpoints) {
        xml = g_strdup_printf("<domaincheckpoint><name>%s</name>%s<creationTime>1"
                              "</creationTime></domaincheckpoint>", name, p);
        return vsDomainCheckpointCreateXML(NULL, dom, xml, strlen(xml), NULL,
                                           VS_CHECKPOINT_CREATE_REDEFINE, error);
    }
    xml = g_strdup_printf(
        "<domainsnapshot><name>%s</name><state>shutoff</state>%s"
        "<creationTime>1</creationTime>" DOMAIN_XML "</domainsnapshot>", name, p);
    return vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                             VS_SNAPSHOT_CREATE_REDEFINE, error);
}

/* Each writer mixes creates, redefines of its own earlier snapshots and
 * deletes, every one a separate load-modify-commit under the VM's lock. */
static void
writerMain(const char *dir, int id)
{
    vsStore *store = openStore(dir);
    for (int i = 0; i < OPS_PER_WRITER; i++) {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *name = g_strdup_printf("w%d-%03d", id, i);
        int ret;

        if (loadDemo(&dom, store, VS_DOMAIN_LOAD_WRITE, &error) < 0)
            _exit(10);
        if (i % 10 == 9) {
            /* delete the snapshot made two steps ago (never another writer's) */
            g_autofree char *old = g_strdup_printf("w%d-%03d", id, i - 2);
            ret = vsDomainDelete(dom, old, 0, &error);
        } else if (i % 10 == 5) {
            /* redefine an earlier one of ours under the root */
            g_autofree char *old = g_strdup_printf("w%d-%03d", id, i - 1);
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

/* Readers load without a lock while writers replace the file. */
static void
readerMain(const char *dir, int stop_fd)
{
    vsStore *store = openStore(dir);
    guint loads = 0;
    for (;;) {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        char c;
        if (loadDemo(&dom, store, 0, &error) < 0) {
            g_printerr("reader: %s\n", error->message);
            _exit(20);
        }
        if (vsDomainCount(dom) == 0)
            _exit(21);   /* the base snapshot is always there */
        loads++;
        if (read(stop_fd, &c, 1) == 0)
            break;
    }
    _exit(loads > 0 ? 0 : 22);
}

static void
test_writers_lose_nothing(gconstpointer data)
{
    g_autofree char *dir = vsTestTempDir();
    pid_t writers[WRITERS], reader;
    int pipefd[2];
    g_autoptr(vsStore) store = openStore(dir);

    {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        use_checkpoints = data != NULL;
        g_assert_cmpint(loadDemo(&dom, store, VS_DOMAIN_LOAD_WRITE, &error), ==, 0);
        g_assert_cmpint(redefine(dom, "base", NULL, &error), ==, 0);
    }

    /* The reader polls a non-blocking pipe: EOF once the writers are done. */
    g_assert_cmpint(pipe2(pipefd, O_NONBLOCK), ==, 0);
    reader = fork();
    if (reader == 0) {
        close(pipefd[1]);
        readerMain(dir, pipefd[0]);
    }
    close(pipefd[0]);
    for (int w = 0; w < WRITERS; w++) {
        writers[w] = fork();
        if (writers[w] == 0)
            writerMain(dir, w);
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        g_assert_cmpint(waitpid(writers[w], &status, 0), ==, writers[w]);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    }
    close(pipefd[1]);   /* tells the reader to stop */
    {
        int status;
        g_assert_cmpint(waitpid(reader, &status, 0), ==, reader);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    }

    /* Every writer's net effect is there: 250 ops = 200 creates, 25
     * deletes and 25 redefines of existing ones, so 175 survivors each. */
    {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        g_assert_cmpint(loadDemo(&dom, store, 0, &error), ==, 0);
        g_assert_cmpuint(vsDomainCount(dom), ==, 1 + WRITERS * 175);
        for (int w = 0; w < WRITERS; w++) {
            for (int i = 0; i < OPS_PER_WRITER; i++) {
                g_autofree char *name = g_strdup_printf("w%d-%03d", w, i);
                gboolean deleted = (i % 10 == 7);
                gboolean never = (i % 10 == 5 || i % 10 == 9);
                const vsSnapshot *s = vsDomainLookup(dom, name, NULL);
                if (deleted || never)
                    g_assert_null(s);
                else if (!s)
                    g_error("lost update: %s", name);
            }
        }
    }
}

static void
test_other_vms_not_blocked_and_no_stale_lock(void)
{
    g_autofree char *dir = vsTestTempDir();
    g_autoptr(vsStore) store = openStore(dir);
    g_autoptr(vsDomain) held = NULL;
    g_autoptr(GError) error = NULL;
    int status;
    pid_t pid;

    g_assert_cmpint(vsStoreLoadDomain(&held, store, "a", NULL, VS_DOMAIN_LOAD_WRITE, &error),
                    ==, 0);
    /* Another process: VM 'b' is free, VM 'a' is held. */
    pid = fork();
    if (pid == 0) {
        vsStore *s = openStore(dir);
        vsDomain *d = NULL;
        if (vsStoreLoadDomain(&d, s, "b", NULL,
                              VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT, NULL) < 0)
            _exit(1);
        vsDomainFree(d);
        GError *e = NULL;
        if (vsStoreLoadDomain(&d, s, "a", NULL,
                              VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT, &e) == 0 ||
            !g_error_matches(e, VS_ERROR, VS_ERROR_LOCKED))
            _exit(2);
        _exit(0);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_clear_pointer(&held, vsDomainFree);

    /* A writer killed while holding the lock does not wedge the VM. */
    pid = fork();
    if (pid == 0) {
        vsStore *s = openStore(dir);
        vsDomain *d = NULL;
        if (vsStoreLoadDomain(&d, s, "a", NULL, VS_DOMAIN_LOAD_WRITE, NULL) < 0)
            _exit(1);
        raise(SIGKILL);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(vsStoreLoadDomain(&held, store, "a", NULL,
                                      VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT, &error), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/concurrency/writers-lose-nothing", NULL, test_writers_lose_nothing);
    g_test_add_data_func("/concurrency/writers-lose-nothing/checkpoints", "checkpoints",
                         test_writers_lose_nothing);
    g_test_add_func("/concurrency/other-vms-and-stale-locks",
                    test_other_vms_not_blocked_and_no_stale_lock);
    return g_test_run();
}
