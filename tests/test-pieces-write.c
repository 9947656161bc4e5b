/* test-pieces-write.c — the store's compression mode (none, zstd, pieces)
 * and format 3's writer: the setting saved and read back, its boolean
 * forms kept. */
#include <string.h>

#include "virtsnap/virtsnap.h"
#include "testutil.h"

static char *
configOf(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, ".virtsnap", "config", NULL);
    return vsTestReadFile(path, NULL);
}

/* Saved as compression=pieces, read by the next vsStoreOpen; the boolean
 * forms see pieces as compressed and set zstd or none. */
static void
test_setting(void)
{
    g_autofree char *dir = vsTestTempDir();
    g_autofree char *config = NULL;
    g_autofree char *path = NULL;
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsStore) other = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreGetCompressionMode(store), ==, VS_COMPRESSION_ZSTD);
    g_assert_cmpint(vsStoreSaveCompressionMode(store, VS_COMPRESSION_PIECES, &error), ==, 0);
    g_assert_cmpint(vsStoreGetCompressionMode(store), ==, VS_COMPRESSION_PIECES);
    config = configOf(dir);
    g_assert_nonnull(strstr(config, "\ncompression=pieces\n"));
    g_assert_cmpint(vsStoreOpen(&other, dir, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_PIECES);
    g_assert_true(vsStoreGetCompression(other));

    vsStoreSetCompression(other, FALSE);
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_NONE);
    g_assert_false(vsStoreGetCompression(other));
    vsStoreSetCompression(other, TRUE);
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_ZSTD);
    vsStoreSetCompressionMode(other, VS_COMPRESSION_PIECES);
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_PIECES);

    /* A mode outside the enum is refused and changes nothing. */
    g_assert_cmpint(vsStoreSaveCompressionMode(store, (vsCompression) 7, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_cmpint(vsStoreGetCompressionMode(store), ==, VS_COMPRESSION_PIECES);

    g_assert_cmpint(vsStoreSaveCompression(store, TRUE, &error), ==, 0);
    g_clear_pointer(&config, g_free);
    config = configOf(dir);
    g_assert_nonnull(strstr(config, "\ncompression=zstd\n"));

    /* An unknown name is refused, naming the three it knows. */
    path = g_build_filename(dir, ".virtsnap", "config", NULL);
    g_assert_true(g_file_set_contents(path, "[store]\ncompression=piece\n", -1, NULL));
    g_clear_pointer(&other, vsStoreFree);
    g_assert_cmpint(vsStoreOpen(&other, dir, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "unknown compression 'piece' (expected zstd, "
                                            "pieces or none)"));
    vsStoreFree(store);
    store = NULL;
    g_assert_cmpint(vsTestRemoveTree(dir), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pieces-write/setting", test_setting);
    return g_test_run();
}
