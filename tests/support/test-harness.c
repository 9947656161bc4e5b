/* test-harness.c — the C side of tests/support (harness.h), as a GTest program will use it:
 * start a private daemon, use it through its URI, crash it, start it again on the same
 * directory, find the data, stop it.  (The shell proofs test-*-harness.sh go further.) */
#include <stdarg.h>
#include "harness.h"
#include "testutil.h"

/* Runs a client program; TRUE on success, its stdout in @out (g_free) when asked. */
static gboolean
runClient(char **out, const char *arg0, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *stdout_text = NULL;
    g_autofree char *stderr_text = NULL;
    int status = 0;
    va_list ap;

    va_start(ap, arg0);
    for (const char *a = arg0; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer) a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                      &stdout_text, &stderr_text, &status, &error))
        g_error("%s: %s", arg0, error->message);
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_test_message("%s: %s", arg0, stderr_text);
        return FALSE;
    }
    if (out)
        *out = g_strdup(g_strchomp(stdout_text));
    return TRUE;
}

static void
testPostgresqlCrashRestart(void)
{
    g_autofree char *dir = vsTestDaemonDir();
    g_autofree char *uri = vsTestDaemonStart(VS_TEST_POSTGRESQL, dir);
    g_autofree char *again = NULL;
    g_autofree char *rows = NULL;

    if (!uri)
        return;   /* skipped: not installed */
    g_assert_true(g_str_has_prefix(uri, "postgresql:///virtsnap?host="));
    g_assert_true(runClient(NULL, "psql", uri, "-X", "-v", "ON_ERROR_STOP=1", "-Atc",
                            "CREATE TABLE t (x text); INSERT INTO t VALUES ('kept')", NULL));
    vsTestDaemonKill(VS_TEST_POSTGRESQL, dir);
    g_assert_false(runClient(NULL, "psql", uri, "-X", "-Atc", "SELECT 1", NULL));

    again = vsTestDaemonStart(VS_TEST_POSTGRESQL, dir);
    g_assert_cmpstr(again, ==, uri);
    g_assert_true(runClient(&rows, "psql", uri, "-X", "-Atc", "SELECT x FROM t", NULL));
    g_assert_cmpstr(rows, ==, "kept");
    vsTestDaemonStop(VS_TEST_POSTGRESQL, dir);
    g_assert_false(runClient(NULL, "psql", uri, "-X", "-Atc", "SELECT 1", NULL));
}

static void
testLibvirtdCrashRestart(void)
{
    g_autofree char *dir = vsTestDaemonDir();
    g_autofree char *uri = vsTestDaemonStart(VS_TEST_LIBVIRTD, dir);
    g_autofree char *domain = NULL;
    g_autofree char *again = NULL;
    g_autofree char *names = NULL;

    if (!uri)
        return;   /* skipped: not installed */
    domain = g_build_filename(g_getenv("VS_TESTS_SRCDIR"), "cli", "data", "demo-domain.xml",
                              NULL);
    g_assert_true(g_str_has_prefix(uri, "qemu:///session?socket="));
    g_assert_true(runClient(NULL, "virsh", "-q", "-c", uri, "define", domain, NULL));
    vsTestDaemonKill(VS_TEST_LIBVIRTD, dir);
    g_assert_false(runClient(NULL, "virsh", "-q", "-c", uri, "list", NULL));

    again = vsTestDaemonStart(VS_TEST_LIBVIRTD, dir);
    g_assert_cmpstr(again, ==, uri);
    g_assert_true(runClient(&names, "virsh", "-q", "-c", uri, "list", "--all", "--name", NULL));
    g_assert_cmpstr(names, ==, "demo");
    vsTestDaemonStop(VS_TEST_LIBVIRTD, dir);
    g_assert_false(runClient(NULL, "virsh", "-q", "-c", uri, "list", NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/harness/postgresql/crash-restart", testPostgresqlCrashRestart);
    g_test_add_func("/harness/libvirtd/crash-restart", testLibvirtdCrashRestart);
    return g_test_run();
}
