/* test-crash.c — crash consistency: interrupt a commit at every step of the
 * write path (and by SIGKILL at random instants) and prove the VM's file is
 * exactly the state before or after the operation, never anything else;
 * in the default mode (zstd) and in pieces mode (format 3, whose packs
 * and held record frames are written in the same one replace). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "virtsnap/virtsnap.h"
#include "util/atomicfile.h"
#include "testutil.h"

#define VM "demo"
#define DOMAIN_XML \
    "<domain type='qemu'><name>demo</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>" \
    "<memory unit='KiB'>65536</memory><os><type arch='x86_64'>hvm</type></os>" \
    "<devices><disk type='file' device='disk'>" \
    "<source file='/var/lib/images/demo.qcow2'/><target dev='vda' bus='virtio'/>" \
    "</disk></devices></domain>"

static guint interruption_points;
/* How every store of the running test writes (children inherit it). */
static vsCompression store_mode = VS_COMPRESSION_ZSTD;

static const char *const step_names[] = {
    [VS_ATOMIC_STEP_CREATE] = "create", [VS_ATOMIC_STEP_WRITE] = "write",
    [VS_ATOMIC_STEP_FSYNC] = "fsync", [VS_ATOMIC_STEP_CLOSE] = "close",
    [VS_ATOMIC_STEP_RENAME] = "rename", [VS_ATOMIC_STEP_DIRSYNC] = "dirsync",
    [VS_ATOMIC_STEP_UNLINK] = "unlink",
};

static gint64
fixedClock(gpointer data)
{
    return 1700000000;
}

/* A fixed clock makes a plain create produce the same bytes in every run. */
static vsStore *
openStore(const char *dir)
{
    vsStore *store = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    vsStoreSetClock(store, fixedClock, NULL);
    vsStoreSetCompressionMode(store, store_mode);
    return store;
}

static vsDomain *
loadWrite(vsStore *store)
{
    vsDomain *dom = NULL;
    g_autoptr(GError) error = NULL;
    if (vsStoreLoadDomain(&dom, store, VM, NULL, VS_DOMAIN_LOAD_WRITE, &error) < 0)
        g_error("load: %s", error->message);
    return dom;
}

static vsDomain *
loadCheckpointsWrite(vsStore *store)
{
    vsDomain *dom = NULL;
    g_autoptr(GError) error = NULL;
    if (vsStoreLoadCheckpoints(&dom, store, VM, NULL, VS_DOMAIN_LOAD_WRITE, &error) < 0)
        g_error("load checkpoints: %s", error->message);
    return dom;
}

static int
redefineCheckpoint(vsDomain *dom, const char *name, const char *parent, gint64 when,
                   const char *description, GError **error)
{
    g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent)
                                : g_strdup("");
    g_autofree char *xml = g_strdup_printf(
        "<domaincheckpoint><name>%s</name><description>%s</description>"
        "%s<creationTime>%" G_GINT64_FORMAT "</creationTime>" DOMAIN_XML "</domaincheckpoint>",
        name, description ? description : "x", p, when);
    return vsDomainCheckpointCreateXML(NULL, dom, xml, strlen(xml), NULL,
                                       VS_CHECKPOINT_CREATE_REDEFINE, error);
}

static int
redefine(vsDomain *dom, const char *name, const char *parent, gint64 when,
         const char *description, unsigned int flags, GError **error)
{
    g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent)
                                : g_strdup("");
    g_autofree char *xml = g_strdup_printf(
        "<domainsnapshot><name>%s</name><description>%s</description><state>shutoff</state>"
        "%s<creationTime>%" G_GINT64_FORMAT "</creationTime>" DOMAIN_XML "</domainsnapshot>",
        name, description ? description : "", p, when);
    return vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                             VS_SNAPSHOT_CREATE_REDEFINE | flags, error);
}

/* root -> {a -> {a1 -> a1x, a2}, b -> b1}, r2; current a1x. */
static void
buildBase(vsStore *store)
{
    g_autoptr(vsDomain) dom = loadWrite(store);
    static const char *tree[][2] = {
        { "root", NULL }, { "a", "root" }, { "a1", "a" }, { "a1x", "a1" },
        { "a2", "a" }, { "b", "root" }, { "b1", "b" }, { "r2", NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS(tree); i++) {
        g_autoptr(GError) error = NULL;
        if (redefine(dom, tree[i][0], tree[i][1], 100 + i, NULL,
                     g_str_equal(tree[i][0], "a1x") ? VS_SNAPSHOT_CREATE_CURRENT : 0,
                     &error) < 0)
            g_error("base: %s", error->message);
    }
}

/* The same tree of checkpoints (the checkpoint kind's own file). */
static void
buildCheckpointBase(vsStore *store)
{
    g_autoptr(vsDomain) dom = loadCheckpointsWrite(store);
    static const char *tree[][2] = {
        { "root", NULL }, { "a", "root" }, { "a1", "a" }, { "a1x", "a1" },
        { "a2", "a" }, { "b", "root" }, { "b1", "b" }, { "r2", NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS(tree); i++) {
        g_autoptr(GError) error = NULL;
        if (redefineCheckpoint(dom, tree[i][0], tree[i][1], 100 + i, NULL, &error) < 0)
            g_error("checkpoint base: %s", error->message);
    }
}

typedef int (*DomainOpFunc)(vsDomain *dom, GError **error);

static int dop_create(vsDomain *dom, GError **error)
{
    const char *xml = "<domainsnapshot><name>new</name></domainsnapshot>";
    return vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0, 0, error);
}
static int dop_redefine_existing(vsDomain *dom, GError **error)
{
    return redefine(dom, "a1", "b", 103, "moved", 0, error);
}
static int dop_redefine_new_current(vsDomain *dom, GError **error)
{
    return redefine(dom, "c", "r2", 200, NULL, VS_SNAPSHOT_CREATE_CURRENT, error);
}
static int dop_set_current(vsDomain *dom, GError **error)
{
    return vsDomainSetCurrent(dom, "b", error);
}
static int dop_delete_single(vsDomain *dom, GError **error)
{
    return vsDomainDelete(dom, "a", VS_SNAPSHOT_DELETE_METADATA_ONLY, error);
}
static int dop_delete_children(vsDomain *dom, GError **error)
{
    return vsDomainDelete(dom, "root", VS_SNAPSHOT_DELETE_CHILDREN, error);
}
static int dop_delete_children_only(vsDomain *dom, GError **error)
{
    return vsDomainDelete(dom, "a", VS_SNAPSHOT_DELETE_CHILDREN_ONLY, error);
}
static int dop_delete_all(vsDomain *dom, GError **error)
{
    return vsDomainDeleteAll(dom, error);
}

/* Operations run in a fresh process on a store: load for writing, act. */
typedef int (*OpFunc)(vsStore *store, GError **error);

#define DOMAIN_OP(name) \
    static int op_##name(vsStore *store, GError **error) \
    { \
        g_autoptr(vsDomain) dom = loadWrite(store); \
        return dop_##name(dom, error); \
    }
DOMAIN_OP(create)
DOMAIN_OP(redefine_existing)
DOMAIN_OP(redefine_new_current)
DOMAIN_OP(set_current)
DOMAIN_OP(delete_single)
DOMAIN_OP(delete_children)
DOMAIN_OP(delete_children_only)
DOMAIN_OP(delete_all)

/* The checkpoint kind's operations, on its own store. */
#define CHECKPOINT_OP(name, call) \
    static int op_ck_##name(vsStore *store, GError **error) \
    { \
        g_autoptr(vsDomain) dom = loadCheckpointsWrite(store); \
        return call; \
    }
CHECKPOINT_OP(redefine_new, redefineCheckpoint(dom, "c", "r2", 200, NULL, error))
CHECKPOINT_OP(redefine_existing, redefineCheckpoint(dom, "a1", "b", 103, "moved", error))
CHECKPOINT_OP(delete_single,
              vsDomainDelete(dom, "a", VS_CHECKPOINT_DELETE_METADATA_ONLY, error))
CHECKPOINT_OP(delete_children, vsDomainDelete(dom, "root", VS_CHECKPOINT_DELETE_CHILDREN |
                                                           VS_CHECKPOINT_DELETE_METADATA_ONLY,
                                              error))
CHECKPOINT_OP(delete_all, vsDomainDeleteAll(dom, error))

static int
op_ck_convert(vsStore *store, GError **error)
{
    return vsStoreConvertCheckpoints(NULL, store, VM, NULL, error);
}

static int
op_ck_rename(vsStore *store, GError **error)
{
    return vsStoreRenameCheckpoints(NULL, store, VM, VM "2", error);
}

/* Upgrade of a VM that only has libvirt's per-file directory. */
static int
op_convert(vsStore *store, GError **error)
{
    return vsStoreConvertDomain(NULL, store, VM, NULL, error);
}

/* Removing or renaming the bulk file of a VM that was exported moves the
 * exported directory aside first (issue 11 item 9). */
static int
op_rename(vsStore *store, GError **error)
{
    return vsStoreRenameDomain(NULL, store, VM, VM "2", error);
}

static void
buildExportedBase(vsStore *store)
{
    g_autoptr(GError) error = NULL;
    buildBase(store);
    if (vsStoreExportLegacy(NULL, store, VM, 0, &error) < 0)
        g_error("export: %s", error->message);
}

/* The base for op_convert: the same tree, as libvirt's directory only. */
static void
buildLegacyBase(vsStore *store, const char *dir)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *bulk = g_build_filename(dir, VM ".xml", NULL);
    buildBase(store);
    if (vsStoreExportLegacy(NULL, store, VM, 0, &error) < 0)
        g_error("export: %s", error->message);
    g_assert_cmpint(g_unlink(bulk), ==, 0);
}

/* The checkpoint bases: the checkpoint tree, as a bulk file, as libvirt's
 * directory only, or both (exported). */
static void
buildCheckpointLegacyBase(vsStore *store, const char *dir, gboolean keep_bulk)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *bulk = g_build_filename(dir, VM ".xml", NULL);
    buildCheckpointBase(store);
    if (vsStoreExportCheckpoints(NULL, store, VM, 0, &error) < 0)
        g_error("export checkpoints: %s", error->message);
    if (!keep_bulk)
        g_assert_cmpint(g_unlink(bulk), ==, 0);
}

typedef enum {
    BASE_BULK, BASE_LEGACY, BASE_EXPORTED, BASE_CK_BULK, BASE_CK_LEGACY, BASE_CK_EXPORTED
} BaseKind;

#define BASE_IS_CHECKPOINT(b) ((b) >= BASE_CK_BULK)
#define BASE_IS_LEGACY(b) ((b) == BASE_LEGACY || (b) == BASE_CK_LEGACY)
#define BASE_IS_EXPORTED(b) ((b) == BASE_EXPORTED || (b) == BASE_CK_EXPORTED)

static const struct {
    const char *name;
    OpFunc fn;
    BaseKind base;
} ops[] = {
    { "create", op_create, BASE_BULK },
    { "redefine-existing", op_redefine_existing, BASE_BULK },
    { "redefine-new-current", op_redefine_new_current, BASE_BULK },
    { "set-current", op_set_current, BASE_BULK },
    { "delete-single", op_delete_single, BASE_BULK },
    { "delete-children", op_delete_children, BASE_BULK },
    { "delete-children-only", op_delete_children_only, BASE_BULK },
    { "delete-all", op_delete_all, BASE_BULK },
    { "convert", op_convert, BASE_LEGACY },
    { "delete-all-exported", op_delete_all, BASE_EXPORTED },
    { "rename-exported", op_rename, BASE_EXPORTED },
    { "checkpoint-redefine-new", op_ck_redefine_new, BASE_CK_BULK },
    { "checkpoint-redefine-existing", op_ck_redefine_existing, BASE_CK_BULK },
    { "checkpoint-delete-single", op_ck_delete_single, BASE_CK_BULK },
    { "checkpoint-delete-children", op_ck_delete_children, BASE_CK_BULK },
    { "checkpoint-delete-all", op_ck_delete_all, BASE_CK_BULK },
    { "checkpoint-convert", op_ck_convert, BASE_CK_LEGACY },
    { "checkpoint-delete-all-exported", op_ck_delete_all, BASE_CK_EXPORTED },
    { "checkpoint-rename-exported", op_ck_rename, BASE_CK_EXPORTED },
};

static void
setUpBase(const char *dir, BaseKind base)
{
    g_autoptr(vsStore) store = openStore(dir);
    if (base == BASE_LEGACY)
        buildLegacyBase(store, dir);
    else if (base == BASE_EXPORTED)
        buildExportedBase(store);
    else if (base == BASE_CK_BULK)
        buildCheckpointBase(store);
    else if (base == BASE_CK_LEGACY || base == BASE_CK_EXPORTED)
        buildCheckpointLegacyBase(store, dir, base == BASE_CK_EXPORTED);
    else
        buildBase(store);
}

/* Whether the VM's legacy directory DIR/<VM>/ is there. */
static gboolean
legacyDirPresent(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, VM, NULL);
    return g_file_test(path, G_FILE_TEST_IS_DIR);
}

/* The file's exact bytes (base64: compressed files are binary), to compare. */
static char *
readBulk(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, VM ".xml", NULL);
    g_autofree char *data = NULL;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;   /* no file = no snapshots */
    return g_base64_encode((const guchar *) data, len);
}

/* The crash hook: die, as a power cut would, before the Nth call of @step. */
typedef struct {
    vsAtomicStep step;
    guint nth;
    guint seen;
} CrashPlan;

static int
crashHook(vsAtomicStep step, gpointer data)
{
    CrashPlan *plan = data;
    if (step == plan->step && ++plan->seen == plan->nth)
        _exit(99);
    return 0;
}

/* Runs @op in a child that dies at the plan's step; returns TRUE when the
 * child actually died there (FALSE: the op finished before reaching it). */
static gboolean
runCrashingChild(const char *dir, OpFunc op, CrashPlan plan)
{
    pid_t pid = fork();
    int status;

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        vsStore *store = openStore(dir);
        GError *error = NULL;
        vsAtomicFileSetFaultHook(crashHook, &plan);
        if (op(store, &error) < 0)
            _exit(2);
        _exit(0);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), !=, 2);
    return WEXITSTATUS(status) == 99;
}

static void
assertNoTemps(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *entry;
    while ((entry = g_dir_read_name(d)))
        if (vsAtomicFileIsTemp(entry))
            g_error("temporary file %s left after the next writer's load", entry);
}

static void
test_every_step(gconstpointer data)
{
    static const vsAtomicStep steps[] = {
        VS_ATOMIC_STEP_CREATE, VS_ATOMIC_STEP_WRITE, VS_ATOMIC_STEP_FSYNC,
        VS_ATOMIC_STEP_CLOSE, VS_ATOMIC_STEP_RENAME, VS_ATOMIC_STEP_DIRSYNC,
        VS_ATOMIC_STEP_UNLINK,
    };
    guint points = 0;

    store_mode = GPOINTER_TO_INT(data);
    for (guint o = 0; o < G_N_ELEMENTS(ops); o++) {
        g_autofree char *refdir = vsTestTempDir();
        g_autofree char *before = NULL, *after = NULL;

        g_autofree char *after_tree = NULL;

        /* Reference: the file before and after the operation. */
        setUpBase(refdir, ops[o].base);
        before = readBulk(refdir);
        {
            g_autoptr(vsStore) store = openStore(refdir);
            g_autoptr(GError) error = NULL;
            if (ops[o].fn(store, &error) < 0)
                g_error("%s: %s", ops[o].name, error->message);
            after = readBulk(refdir);
            g_autoptr(vsDomain) dom = BASE_IS_CHECKPOINT(ops[o].base)
                                          ? loadCheckpointsWrite(store) : loadWrite(store);
            vsDomainFormat(&after_tree, dom, NULL);
        }
        g_assert_cmpstr(before, !=, after);

        for (guint s = 0; s < G_N_ELEMENTS(steps); s++) {
            for (guint nth = 1;; nth++) {
                g_autofree char *dir = vsTestTempDir();
                g_autofree char *now = NULL;
                CrashPlan plan = { steps[s], nth, 0 };
                setUpBase(dir, ops[o].base);
                if (!runCrashingChild(dir, ops[o].fn, plan))
                    break;   /* this step occurs fewer than nth times */
                points++;
                now = readBulk(dir);
                if (g_strcmp0(now, before) != 0 && g_strcmp0(now, after) != 0)
                    g_error("%s: crash before %s #%u left a file that is neither the old "
                            "nor the new state", ops[o].name, step_names[steps[s]], nth);
                /* The exported directory never outlives the file it copies:
                 * else it would be the VM's snapshots again. */
                if (BASE_IS_EXPORTED(ops[o].base) && !now && legacyDirPresent(dir))
                    g_error("%s: crash before %s #%u left %s/ without %s.xml", ops[o].name,
                            step_names[steps[s]], nth, VM, VM);
                /* The next writer loads it (cleaning the dead writer's temp file). */
                {
                    g_autoptr(vsStore) store = openStore(dir);
                    g_autoptr(vsDomain) dom = NULL;
                    g_autofree char *mem = NULL;
                    g_autoptr(GError) error = NULL;
                    /* A half-done upgrade finishes when convert runs again
                     * (a write load never converts on its own). */
                    if (BASE_IS_LEGACY(ops[o].base) &&
                        ops[o].fn(store, &error) < 0)
                        g_error("convert again: %s", error->message);
                    dom = BASE_IS_CHECKPOINT(ops[o].base) ? loadCheckpointsWrite(store)
                                                          : loadWrite(store);
                    vsDomainFormat(&mem, dom, NULL);
                    if (BASE_IS_LEGACY(ops[o].base))
                        g_assert_cmpstr(mem, ==, after_tree);
                    else if (now)
                        g_assert_cmpuint(vsDomainCount(dom), >, 0);
                    else
                        g_assert_cmpuint(vsDomainCount(dom), ==, 0);
                }
                assertNoTemps(dir);
            }
        }
    }
    interruption_points += points;
    g_test_message("interrupted %u commits at distinct write-path steps", points);
    g_assert_cmpuint(points, >=, G_N_ELEMENTS(ops) * 5);
}

/* A child performs a fixed sequence of operations and is SIGKILLed while
 * one of them runs.  Which one is chosen by synchronisation, not by timing:
 * the child runs operation i only when the parent sends a token and reports
 * each one done; the parent lets operations 0..j-1 complete, releases
 * operation j, waits a random delay (up to about one operation's time) and
 * kills.  The child never runs past j (it waits for the next token), so every
 * run is a kill with the sequence unfinished, whatever the machine's load;
 * the file must then be exactly state j or state j+1.  How many kills landed
 * inside operation j depends on timing and is only reported. */
#define SEQ_LEN 24

static int
seqOp(vsDomain *dom, guint i, GError **error)
{
    g_autofree char *name = g_strdup_printf("k%02u", i);
    g_autofree char *older = i >= 2 ? g_strdup_printf("k%02u", i - 2) : NULL;
    switch (i % 4) {
    case 3:   /* k(i-2) was created by the case-1 step two ops ago */
        return vsDomainDelete(dom, older, 0, error);
    case 2:
        return vsDomainSetCurrent(dom, "root", error);
    default:
        return redefine(dom, name, "root", 1000 + i, "seq", VS_SNAPSHOT_CREATE_CURRENT, error);
    }
}

static G_NORETURN void
seqChild(const char *dir, int go_fd, int done_fd)
{
    vsStore *store = openStore(dir);
    vsDomain *dom = loadWrite(store);
    char token;

    for (guint i = 0; i < SEQ_LEN; i++) {
        GError *error = NULL;
        if (read(go_fd, &token, 1) != 1 || seqOp(dom, i, &error) < 0 ||
            write(done_fd, "d", 1) != 1)
            _exit(2);
    }
    /* Never reached with j < SEQ_LEN tokens; waits to be killed. */
    while (read(go_fd, &token, 1) == 1)
        ;
    _exit(3);
}

static void
sendToken(int go_fd)
{
    g_assert_cmpint(write(go_fd, "g", 1), ==, 1);
}

static void
awaitDone(int done_fd)
{
    char c;
    g_assert_cmpint(read(done_fd, &c, 1), ==, 1);
}

static void
test_random_sigkill(gconstpointer data)
{
    g_autofree char *refdir = vsTestTempDir();
    g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func(g_free);
    gint64 start, duration;
    guint inside = 0, iterations = g_test_slow() ? 1000 : 200;
    GRand *rand = g_rand_new_with_seed(20261125);

    signal(SIGPIPE, SIG_IGN);   /* a child that died early fails an assertion */
    store_mode = GPOINTER_TO_INT(data);

    /* The reference states: states[j] is the file before operation j. */
    {
        g_autoptr(vsStore) store = openStore(refdir);
        buildBase(store);
        g_ptr_array_add(states, readBulk(refdir));
        start = g_get_monotonic_time();
        g_autoptr(vsDomain) dom = loadWrite(store);
        for (guint i = 0; i < SEQ_LEN; i++) {
            g_autoptr(GError) error = NULL;
            if (seqOp(dom, i, &error) < 0)
                g_error("seq %u: %s", i, error->message);
            g_ptr_array_add(states, readBulk(refdir));
        }
        duration = g_get_monotonic_time() - start;
    }

    for (guint it = 0; it < iterations; it++) {
        g_autofree char *dir = vsTestTempDir();
        g_autofree char *now = NULL;
        guint j = g_rand_int_range(rand, 0, SEQ_LEN);
        gint32 max_delay = (gint32) MAX(duration * 12 / 10 / SEQ_LEN, 100);
        int go[2], done[2];
        int status;
        pid_t pid;
        char c;
        {
            g_autoptr(vsStore) store = openStore(dir);
            buildBase(store);
        }
        g_assert_cmpint(pipe(go), ==, 0);
        g_assert_cmpint(pipe(done), ==, 0);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
            close(go[1]);
            close(done[0]);
            seqChild(dir, go[0], done[1]);
        }
        close(go[0]);
        close(done[1]);
        for (guint i = 0; i < j; i++) {
            sendToken(go[1]);
            awaitDone(done[0]);
        }
        sendToken(go[1]);
        g_usleep(g_rand_int_range(rand, 0, max_delay));
        kill(pid, SIGKILL);
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        /* Killed, whatever the timing: it cannot have run past operation j. */
        g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        if (read(done[0], &c, 1) != 1)
            inside++;   /* operation j had not finished */
        close(go[1]);
        close(done[0]);

        now = readBulk(dir);
        if (g_strcmp0(now, states->pdata[j]) != 0 && g_strcmp0(now, states->pdata[j + 1]) != 0)
            g_error("iteration %u: killed during operation %u, the file is neither the state "
                    "before nor after it", it, j);
        {
            g_autoptr(vsStore) store = openStore(dir);
            g_autoptr(vsDomain) dom = loadWrite(store);
            g_assert_cmpuint(vsDomainCount(dom), >, 0);
        }
        assertNoTemps(dir);
        /* Temp dirs pile up otherwise; this one is done. */
        {
            g_autofree char *path = g_build_filename(dir, VM ".xml", NULL);
            g_unlink(path);
        }
    }
    g_rand_free(rand);
    interruption_points += iterations;
    g_test_message("SIGKILLed %u runs during a chosen operation of a %u-op sequence "
                   "(%u while it ran, the others just after; sequence %" G_GINT64_FORMAT " us)",
                   iterations, SEQ_LEN, inside, duration);
}

int
main(int argc, char **argv)
{
    int ret;
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/crash/every-write-path-step",
                         GINT_TO_POINTER(VS_COMPRESSION_ZSTD), test_every_step);
    g_test_add_data_func("/crash/random-sigkill", GINT_TO_POINTER(VS_COMPRESSION_ZSTD),
                         test_random_sigkill);
    g_test_add_data_func("/crash/pieces/every-write-path-step",
                         GINT_TO_POINTER(VS_COMPRESSION_PIECES), test_every_step);
    g_test_add_data_func("/crash/pieces/random-sigkill", GINT_TO_POINTER(VS_COMPRESSION_PIECES),
                         test_random_sigkill);
    ret = g_test_run();
    g_print("# interruption points tried: %u\n", interruption_points);
    return ret;
}
