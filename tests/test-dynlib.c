/* test-dynlib.c — util/dynlib.c: an optional library opened on first use. */
#include <string.h>
#include <glib.h>
#include <zstd.h>

#include "util/dynlib.h"
#include "virtsnap/virtsnap.h"

/* A library that is there: every slot filled with the real function. */
static void
testLoads(void)
{
    static const char *const names[] = { "ZSTD_versionNumber", "ZSTD_isError", NULL };
    gpointer slots[2] = { NULL, NULL };
    vsDynlib lib = { .soname = "libzstd.so.1", .what = "zstd", .names = names,
                     .slots = slots };
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsDynlibLoad(&lib, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpuint(((unsigned (*)(void)) slots[0])(), ==, ZSTD_versionNumber());
    g_assert_nonnull(slots[1]);
    g_assert_cmpint(vsDynlibLoad(&lib, &error), ==, 0);   /* again: no second open */
}

/* Missing library or function: one line naming it, and the same answer on
 * every later call. */
static void
testFailures(void)
{
    static const char *const names[] = { "nothing", NULL };
    static const char *const missing[] = { "ZSTD_versionNumber", "no_such_function", NULL };
    gpointer slots[2];
    vsDynlib absent = { .soname = "libvirtsnap-absent.so.9", .what = "the absent library",
                        .names = names, .slots = slots };
    vsDynlib partial = { .soname = "libzstd.so.1", .what = "zstd", .names = missing,
                         .slots = slots };
    g_autoptr(GError) error = NULL;

    for (int i = 0; i < 2; i++) {
        g_assert_cmpint(vsDynlibLoad(&absent, &error), ==, -1);
        g_assert_error(error, VS_ERROR, VS_ERROR_FAILED);
        g_assert_true(g_str_has_prefix(error->message, "cannot load the absent library: "));
        g_assert_null(strchr(error->message, '\n'));
        g_clear_error(&error);
    }
    g_assert_cmpint(vsDynlibLoad(&partial, &error), ==, -1);
    g_assert_cmpstr(error->message, ==, "zstd (libzstd.so.1) has no no_such_function");
    /* the library's own tables keep their failure for the process; these die here */
    g_free(absent.failure);
    g_free(partial.failure);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dynlib/loads", testLoads);
    g_test_add_func("/dynlib/failures", testFailures);
    return g_test_run();
}
