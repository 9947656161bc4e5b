/* testutil.h — shared helpers for the GTest programs. */
#pragma once

#include <glib.h>

/* Absolute path of a fixture under tests/fixtures (g_free). */
char *vsTestFixture(const char *relpath);
/* Every file below tests/fixtures whose name ends in @suffix (paths,
 * g_free'd with the array). */
GPtrArray *vsTestFixtureFiles(const char *suffix);
/* Whole file contents; aborts the test on error (g_free). */
char *vsTestReadFile(const char *path, gsize *len);
/* Removes @path and everything below it (a link itself, never its
 * target); 0 when it is gone. */
int vsTestRemoveTree(const char *path);
/* A fresh temporary directory, removed (recursively) at exit. */
char *vsTestTempDir(void);
/* Compares @actual with the golden file @golden_path; with
 * VIRTSNAP_REGENERATE=1 rewrites the golden file instead. */
void vsTestAssertGolden(const char *actual, const char *golden_path);
