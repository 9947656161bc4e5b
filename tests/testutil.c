/* testutil.c — shared helpers for the GTest programs. */
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include "testutil.h"

char *
vsTestFixture(const char *relpath)
{
    const char *root = g_getenv("VS_FIXTURES");
    g_assert_nonnull(root);
    return g_build_filename(root, relpath, NULL);
}

static void
collectFiles(const char *dir, const char *suffix, GPtrArray *paths)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            collectFiles(path, suffix, paths);
        else if (g_str_has_suffix(name, suffix))
            g_ptr_array_add(paths, g_steal_pointer(&path));
    }
}

GPtrArray *
vsTestFixtureFiles(const char *suffix)
{
    g_autofree char *root = vsTestFixture("");
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);

    collectFiles(root, suffix, paths);
    return paths;
}

char *
vsTestReadFile(const char *path, gsize *len)
{
    g_autoptr(GError) error = NULL;
    char *data = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, &data, &n, &error))
        g_error("%s", error->message);
    if (len)
        *len = n;
    return data;
}

static GPtrArray *temp_dirs;

static void
remove_tree(const char *path)
{
    GDir *dir;

    /* A link is removed itself, never what it points to. */
    if (g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        g_unlink(path);
        return;
    }
    dir = g_dir_open(path, 0, NULL);
    if (dir) {
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
                !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                remove_tree(child);
            else
                g_unlink(child);
        }
        g_dir_close(dir);
    }
    g_rmdir(path);
}

int
vsTestRemoveTree(const char *path)
{
    remove_tree(path);
    return g_file_test(path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK) ? -1 : 0;
}

static void
cleanup_temp_dirs(void)
{
    for (guint i = 0; temp_dirs && i < temp_dirs->len; i++)
        remove_tree(temp_dirs->pdata[i]);
}

char *
vsTestTempDir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("virtsnap-test-XXXXXX", &error);
    g_assert_no_error(error);
    if (!temp_dirs) {
        temp_dirs = g_ptr_array_new_with_free_func(g_free);
        atexit(cleanup_temp_dirs);
    }
    g_ptr_array_add(temp_dirs, g_strdup(dir));
    return dir;
}

void
vsTestAssertGolden(const char *actual, const char *golden_path)
{
    if (g_strcmp0(g_getenv("VIRTSNAP_REGENERATE"), "1") == 0) {
        g_autoptr(GError) error = NULL;
        g_file_set_contents(golden_path, actual, -1, &error);
        g_assert_no_error(error);
        return;
    }
    g_autofree char *expected = vsTestReadFile(golden_path, NULL);
    if (strcmp(expected, actual) != 0)
        g_test_message("golden mismatch: %s", golden_path);
    g_assert_cmpstr(actual, ==, expected);
}
