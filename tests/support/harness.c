/* harness.c — runs the shell harnesses of tests/support for GTest programs. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "harness.h"
#include "testutil.h"

/* Every daemon started, so that exit stops what a test left running. */
typedef struct {
    vsTestDaemon daemon;
    char *dir;
} Started;

static GArray *started;

static const char *
harnessScript(vsTestDaemon daemon)
{
    return daemon == VS_TEST_LIBVIRTD ? "libvirtd-harness.sh" : "pg-harness.sh";
}

/* Runs "bash SCRIPT CMD DIR"; its stdout without the final newline (g_free), or NULL with
 * the test skipped (exit status 77: not installed).  Aborts the test on any other failure. */
static char *
harnessRun(vsTestDaemon daemon, const char *cmd, const char *dir)
{
    const char *srcdir = g_getenv("VS_TESTS_SRCDIR");
    g_autofree char *script = NULL;
    g_autofree char *owner = g_strdup_printf("%d", (int) getpid());
    g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "VS_HARNESS_OWNER", owner, TRUE);
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    char *out = NULL;
    int status = 0;

    g_assert_nonnull(srcdir);
    script = g_build_filename(srcdir, "support", harnessScript(daemon), NULL);
    const char *argv[] = { "bash", script, cmd, dir, NULL };
    if (!g_spawn_sync(NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                      &status, &error))
        g_error("%s: %s", script, error->message);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        g_test_skip(g_strchomp(err));
        g_free(out);
        return NULL;
    }
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("%s %s %s failed: %s", harnessScript(daemon), cmd, dir, err);
    return g_strchomp(out);
}

static void
stopAll(void)
{
    for (guint i = 0; started && i < started->len; i++) {
        Started *s = &g_array_index(started, Started, i);
        g_free(harnessRun(s->daemon, "stop", s->dir));
    }
}

char *
vsTestDaemonDir(void)
{
    g_autofree char *parent = vsTestTempDir();
    char *dir = g_build_filename(parent, "d", NULL);

    /* The daemon's user (uid 65534 when root) must be able to reach its directory. */
    g_assert_cmpint(g_chmod(parent, 0755), ==, 0);
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    if (!started) {
        started = g_array_new(FALSE, FALSE, sizeof(Started));
        /* Registered after vsTestTempDir's cleanup, so it runs before it. */
        atexit(stopAll);
    }
    return dir;
}

char *
vsTestDaemonStart(vsTestDaemon daemon, const char *dir)
{
    char *uri = harnessRun(daemon, "start", dir);
    Started s = { daemon, g_strdup(dir) };

    g_assert_nonnull(started);   /* @dir comes from vsTestDaemonDir */
    g_array_append_val(started, s);
    return uri;
}

void
vsTestDaemonStop(vsTestDaemon daemon, const char *dir)
{
    g_free(harnessRun(daemon, "stop", dir));
}

void
vsTestDaemonKill(vsTestDaemon daemon, const char *dir)
{
    g_free(harnessRun(daemon, "kill", dir));
}
