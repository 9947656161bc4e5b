/* fuzz-common.h — shared oracle plumbing and bulk-file checks. */
#pragma once

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bulkfile-private.h"
#include "snapshot/snapshot.h"

/* An oracle failed: print why and abort, so libFuzzer keeps the input.
 * VS_FUZZ_IGNORE='TEXT1|TEXT2' skips failures whose message contains one
 * of the texts, to explore past known findings until they are fixed.
 * Returns only then. */
static inline void fuzzOracleFailed(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static inline void
fuzzOracleFailed(const char *fmt, ...)
{
    const char *ignore = getenv("VS_FUZZ_IGNORE");
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (ignore && *ignore) {
        g_auto(GStrv) texts = g_strsplit(ignore, "|", -1);
        for (guint i = 0; texts[i]; i++) {
            if (*texts[i] && strstr(msg, texts[i]))
                return;
        }
    }
    fputs(msg, stderr);
    abort();
}

/* Keeps one input's decompressed document, and what its load holds, small
 * enough for the fuzzer's memory and time limits while still far above any
 * interesting input. */
#define FUZZ_BULK_MAX (16 * 1024 * 1024)

/* Every record of @a has a record of its name in @b with a <domain> of the
 * same canonical bytes (markers included: a formatted document hides
 * which bytes were secrets and which newlines were data). */
static inline gboolean
fuzzSameDomains(const vsTree *a, const vsTree *b)
{
    for (const vsMoment *m = vsTreeFirst(a); m; m = vsTreeNext(a, m)) {
        const vsMoment *other = vsTreeLookup(b, m->name);

        if (!other || !vsXmlSubtreeEqual(vsMomentGetDomain(m), vsMomentGetDomain(other)))
            return FALSE;
    }
    return TRUE;
}

/* The bulk file's two readers agree (issue 16): what the fast reader takes,
 * the DOM reader takes as the same tree with the same reusable frames; and
 * a load (the fast reader, then the DOM reader for what it declines) ends
 * exactly as the DOM reader's alone, the same one-line error included. */
static inline void
fuzzBulkReadersAgree(const char *data, size_t size, vsBulkReadOptions opts)
{
    g_autoptr(vsTree) dom = NULL, fast = NULL, any = NULL;
    g_autoptr(vsBulkSegments) dom_segs = NULL, fast_segs = NULL, any_segs = NULL;
    g_autoptr(GError) dom_err = NULL, fast_err = NULL, any_err = NULL;
    g_autoptr(GString) a = g_string_new(NULL);
    g_autoptr(GString) b = g_string_new(NULL);
    int dom_ret, fast_ret, any_ret;

    opts.reader = VS_BULK_READER_DOM;
    dom_ret = vsBulkFileParse(&dom, &dom_segs, &vsSnapshotKind, data, size, "fuzz.xml", &opts,
                              &dom_err);
    opts.reader = VS_BULK_READER_FAST;
    fast_ret = vsBulkFileParse(&fast, &fast_segs, &vsSnapshotKind, data, size, "fuzz.xml", &opts,
                               &fast_err);
    opts.reader = VS_BULK_READER_AUTO;
    any_ret = vsBulkFileParse(&any, &any_segs, &vsSnapshotKind, data, size, "fuzz.xml", &opts,
                              &any_err);
    if (any_ret != dom_ret || (dom_ret < 0 && strcmp(any_err->message, dom_err->message) != 0)) {
        fuzzOracleFailed("a load differs from the DOM reader's: %s / %s\n",
                         any_err ? any_err->message : "loads",
                         dom_err ? dom_err->message : "loads");
        return;
    }
    if (fast_ret < 0)
        return;
    if (dom_ret < 0) {
        fuzzOracleFailed("the fast reader takes what the DOM reader refuses: %s\n",
                         dom_err->message);
        return;
    }
    vsBulkFileFormat(a, fast, NULL);
    vsBulkFileFormat(b, dom, NULL);
    if (!g_string_equal(a, b) || fast_segs->segments->len != dom_segs->segments->len ||
        fast_segs->preorder != dom_segs->preorder || !fuzzSameDomains(fast, dom))
        fuzzOracleFailed("the fast and DOM readers read different trees or frames:\n"
                         "--- fast\n%s--- dom\n%s", a->str, b->str);
}

/* Parses @data; when it loads, format -> parse -> format must be stable,
 * and every frame kept for reuse must hold exactly its records. */
static inline void
fuzzBulkCheck(const char *data, size_t size)
{
    vsBulkReadOptions opts = { .max_held = FUZZ_BULK_MAX, .max_document = FUZZ_BULK_MAX };
    g_autoptr(vsTree) tree = NULL, again = NULL;
    g_autoptr(vsBulkSegments) segments = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) first = g_string_new(NULL);
    g_autoptr(GString) second = g_string_new(NULL);

    fuzzBulkReadersAgree(data, size, opts);
    if (vsBulkFileParse(&tree, &segments, &vsSnapshotKind, data, size, "fuzz.xml", &opts, &error) < 0) {
        if (!error || !error->message || !*error->message)
            abort();
        return;
    }
    if (vsBulkSegmentsVerify(segments, &error) < 0) {
        fuzzOracleFailed("a reusable frame is wrong: %s\n", error->message);
        return;
    }
    vsBulkFileFormat(first, tree, NULL);
    if (vsBulkFileParse(&again, NULL, &vsSnapshotKind, first->str, first->len, "fuzz-formatted.xml", NULL,
                        &error) < 0) {
        fuzzOracleFailed("our own bulk output does not load: %s\n", error->message);
        return;
    }
    if (vsTreeCount(again) != vsTreeCount(tree)) {
        fuzzOracleFailed("reload changed the count: %u -> %u\n", vsTreeCount(tree),
                         vsTreeCount(again));
        return;
    }
    vsBulkFileFormat(second, again, NULL);
    if (!g_string_equal(first, second))
        fuzzOracleFailed("bulk format is not stable:\n--- first\n%s--- second\n%s",
                         first->str, second->str);
}

/* ---------------------------------------------------------------- */
/* A scratch store directory per fuzzing process                      */

static inline int
fuzzRemoveEntry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (ftw->level > 0)
        remove(path);
    return 0;
}

/* Empties a directory (keeps it). */
static inline void
fuzzWipeDir(const char *dir)
{
    nftw(dir, fuzzRemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A crashed run cannot clean up after itself (libFuzzer exits from its
 * crash handler), so each run removes the directories named
 * "<prefix><pid>-XXXXXX" in @base whose process is gone. */
static inline void
fuzzRemoveStaleDirs(const char *base, const char *prefix)
{
    g_autoptr(GDir) dir = g_dir_open(base, 0, NULL);
    const char *entry;

    while (dir && (entry = g_dir_read_name(dir))) {
        guint64 pid;
        g_auto(GStrv) parts = NULL;
        if (!g_str_has_prefix(entry, prefix))
            continue;
        parts = g_strsplit(entry + strlen(prefix), "-", 2);
        if (!parts[0] || !parts[1] ||
            !g_ascii_string_to_unsigned(parts[0], 10, 1, G_MAXINT, &pid, NULL) ||
            kill((pid_t) pid, 0) == 0 || errno != ESRCH)
            continue;
        {
            g_autofree char *stale = g_build_filename(base, entry, NULL);
            fuzzWipeDir(stale);
            rmdir(stale);
        }
    }
}

/* A fresh directory "<prefix><pid>-XXXXXX" under /dev/shm (else the
 * temporary directory), after removing dead runs' ones; g_free it. */
static inline char *
fuzzMakeScratchDir(const char *prefix)
{
    const char *base = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir();
    g_autofree char *pattern = g_strdup_printf("%s%d-XXXXXX", prefix, (int) getpid());
    char *dir;

    fuzzRemoveStaleDirs(base, prefix);
    dir = g_build_filename(base, pattern, NULL);
    if (!g_mkdtemp(dir)) {
        perror(dir);
        abort();
    }
    return dir;
}
