/* backend-pg.c — the PostgreSQL backend: a store is a database named by a
 * libpq URI (postgresql://… or postgres://…); each VM's tree of one kind is
 * one row of virtsnap.vms naming, in order, the frames of the same document
 * the directory store writes (format/bulkfile-write.c), kept in
 * virtsnap.frames by their SHA-256.  A commit is one transaction that
 * sends only the frames the old document did not have (the bulk writer
 * copies those of unchanged runs of records), so a commit at 16,384
 * snapshots costs about what it costs in a directory.  Schema, names and
 * versions: docs/format.md, "The PostgreSQL store".
 *
 * Locks: a write handle's lock is a session advisory lock held by a
 * connection of its own, which also runs the handle's commits; readers use
 * the store's connection and never wait (MVCC: one statement, one
 * snapshot).  Connections, statements and their failures:
 * backend-pg-conn.c. */
#include <string.h>
#include <libpq-fe.h>
#include <zstd.h>

#include "util/atomicfile.h"
#include "util/error.h"
#include "format/bulkfile.h"
#include "store/backend-pg-private.h"
#include "store/pq-dyn.h"

/* The schema this code writes; rows and schemas above it are refused. */
#define PG_SCHEMA_VERSION 1
#define PG_ROW_FORMAT 1
/* Frames are split further so no value comes near bytea's 1 GB. */
#define PG_CHUNK_MAX ((gsize) 32 * 1024 * 1024)
/* Transactions failing with a serialization failure or a deadlock are
 * run again up to this many times, after a random pause that doubles
 * (2-10 ms at first, up to ~0.6 s before the last). */
#define PG_RETRIES 8
/* pg_advisory_xact_lock key serializing the schema's creation ("vsnp"). */
#define PG_SCHEMA_LOCK "1987277424"

/* Whether the schema is there: a plain query of the catalog (its own
 * statement snapshot), not to_regclass, whose cached catalog view may not
 * yet show a schema another session committed while we waited. */
#define PG_HAS_SCHEMA \
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c " \
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " \
    "WHERE n.nspname = 'virtsnap' AND c.relname = 'meta')"

struct _vsBackendLock {
    PGconn *conn;        /* holds the VM's advisory lock; runs its commits */
};

/* A commit's cache: what the VM's row names now, and the writer's frames. */
typedef struct {
    GHashTable *digests;        /* hex SHA-256 of every stored frame */
    vsBulkSegments *segments;   /* for vsBulkFileWrite, or NULL */
} PgCache;

static const char *const schema_sql =
    "CREATE SCHEMA IF NOT EXISTS virtsnap;"
    "CREATE TABLE virtsnap.meta (key text PRIMARY KEY, value text NOT NULL);"
    "CREATE TABLE virtsnap.vms ("
    "  kind text NOT NULL, vm text NOT NULL, format integer NOT NULL,"
    "  frames text[] NOT NULL, bytes bigint NOT NULL, generation bigint NOT NULL,"
    "  PRIMARY KEY (kind, vm));"
    "CREATE TABLE virtsnap.frames ("
    "  kind text NOT NULL, vm text NOT NULL, digest text NOT NULL, data bytea NOT NULL,"
    "  PRIMARY KEY (kind, vm, digest),"
    "  FOREIGN KEY (kind, vm) REFERENCES virtsnap.vms ON DELETE CASCADE ON UPDATE CASCADE);"
    /* already zstd: no second compression by the server */
    "ALTER TABLE virtsnap.frames ALTER COLUMN data SET STORAGE EXTERNAL;"
    "INSERT INTO virtsnap.meta VALUES ('schema-version', '1');";

/* ---------------------------------------------------------------- */
/* Locations (connections and errors: backend-pg-conn.c)              */

static gboolean
pgAccepts(const char *location)
{
    return g_str_has_prefix(location, "postgresql://") ||
           g_str_has_prefix(location, "postgres://");
}

/* ---------------------------------------------------------------- */
/* The store: its schema and settings                                 */

static int
pgSchemaVersion(PgBackend *be, int *out, GError **error)
{
    PGresult *res = vsPgRun(be, be->conn, NULL, "read the schema version",
                          "SELECT value FROM virtsnap.meta WHERE key = 'schema-version'",
                          0, NULL, NULL, NULL, FALSE, error);
    gint64 v = 0;

    if (!res)
        return -1;
    if (PQntuples(res) != 1 || !g_ascii_string_to_signed(PQgetvalue(res, 0, 0), 10, 1,
                                                          G_MAXINT, &v, NULL)) {
        PQclear(res);
        return vsErr(error, VS_ERROR_CORRUPT, "%s: virtsnap.meta holds no valid "
                     "schema-version", be->label);
    }
    PQclear(res);
    *out = (int) v;
    return 0;
}

/* Creates the schema on first use (one creator at a time) and refuses one
 * written by a newer virtsnap.  Version 1 is the first: nothing to
 * upgrade yet; an upgrade from N goes here, in the same transaction. */
static int
pgSchemaEnsure(PgBackend *be, GError **error)
{
    PGresult *res;
    gboolean exists;
    int version = PG_SCHEMA_VERSION;

    res = vsPgRun(be, be->conn, NULL, "look up the schema",
                PG_HAS_SCHEMA, 0, NULL, NULL, NULL, FALSE,
                error);
    if (!res)
        return -1;
    exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!exists) {
        /* READ COMMITTED whatever the default: the check after the lock
         * must see a schema another process created meanwhile. */
        if (vsPgDo(be, be->conn, NULL, "create the schema",
                 "BEGIN ISOLATION LEVEL READ COMMITTED", 0, NULL, error) < 0 ||
            vsPgDo(be, be->conn, NULL, "create the schema",
                 "SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK ")", 0, NULL, error) < 0 ||
            !(res = vsPgRun(be, be->conn, NULL, "create the schema",
                          PG_HAS_SCHEMA, 0, NULL, NULL,
                          NULL, FALSE, error)))
            goto fail;
        exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        PQclear(res);
        if ((!exists && vsPgDo(be, be->conn, NULL, "create the schema", schema_sql, 0, NULL,
                             error) < 0) ||
            vsPgDo(be, be->conn, NULL, "create the schema", "COMMIT", 0, NULL, error) < 0)
            goto fail;
    }
    if (pgSchemaVersion(be, &version, error) < 0)
        return -1;
    if (version > PG_SCHEMA_VERSION)
        return vsErr(error, VS_ERROR_CORRUPT, "%s: the virtsnap schema is version %d, "
                     "written by a newer virtsnap (this one knows up to version %d)",
                     be->label, version, PG_SCHEMA_VERSION);
    return 0;

 fail:
    vsPgRollback(be->conn);
    return -1;
}

static void
pgClose(vsBackend *backend)
{
    PgBackend *be = PG_BACKEND(backend);

    if (be->conn)
        PQfinish(be->conn);
    g_free(be->location);
    g_free(be->label);
    g_free(be);
}

static int
pgOpen(vsBackend **out, const char *location, gboolean create, GError **error)
{
    PgBackend *be = g_new0(PgBackend, 1);

    be->base.ops = &vsBackendPgOps;
    be->location = g_strdup(location);
    be->label = vsPgLabel(location);
    if (vsPgConnect(&be->conn, be, error) < 0 || pgSchemaEnsure(be, error) < 0) {
        pgClose(&be->base);
        return -1;
    }
    *out = &be->base;
    return 0;
}

/* virtsnap.meta keys compression (zstd | pieces | none) and load-limit
 * (bytes), as the directory store's config file has them.  The store keeps
 * the writer's bytes cut at its frames, so a pieces file (format 3) is
 * stored as it is: its packs are frames like the records'. */
static int
pgLoadSettings(vsBackend *backend, vsBackendSettings *out, GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    PGresult *res = vsPgRun(be, be->conn, NULL, "read the settings",
                          "SELECT key, value FROM virtsnap.meta "
                          "WHERE key IN ('compression', 'load-limit')",
                          0, NULL, NULL, NULL, FALSE, error);
    int ret = 0;

    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res) && ret == 0; i++) {
        const char *key = PQgetvalue(res, i, 0), *value = PQgetvalue(res, i, 1);
        if (strcmp(key, "load-limit") == 0 &&
            vsStoreParseSize(value, &out->load_limit, NULL) < 0)
            ret = vsErr(error, VS_ERROR_CORRUPT, "%s: virtsnap.meta: bad load-limit '%s'",
                        be->label, value);
        else if (strcmp(key, "compression") == 0 &&
                 vsCompressionParse(value, &out->compression) < 0)
            ret = vsErr(error, VS_ERROR_CORRUPT, "%s: virtsnap.meta: unknown compression "
                        "'%s' (expected " VS_COMPRESSION_NAMES ")", be->label, value);
    }
    PQclear(res);
    return ret;
}

static int
pgSaveSettings(vsBackend *backend, const vsBackendSettings *settings, GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    g_autofree char *limit = g_strdup_printf("%" G_GUINT64_FORMAT, settings->load_limit);
    const char *compression = vsCompressionName(settings->compression);
    const char *upsert = "INSERT INTO virtsnap.meta VALUES ($1, $2) "
                         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";
    const char *c[] = { "compression", compression };
    const char *l[] = { "load-limit", limit };
    const char *what = "save the settings";

    if (vsPgDo(be, be->conn, NULL, what, "BEGIN", 0, NULL, error) < 0 ||
        vsPgDo(be, be->conn, NULL, what, upsert, 2, c, error) < 0 ||
        (settings->load_limit != VS_STORE_LOAD_LIMIT_DEFAULT
         ? vsPgDo(be, be->conn, NULL, what, upsert, 2, l, error)
         : vsPgDo(be, be->conn, NULL, what,
                "DELETE FROM virtsnap.meta WHERE key = 'load-limit'", 0, NULL, error)) < 0 ||
        vsPgDo(be, be->conn, NULL, what, "COMMIT", 0, NULL, error) < 0) {
        vsPgRollback(be->conn);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* VMs                                                                */

static int
pgCompare(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
pgList(vsBackend *backend, const vsMomentKind *kind, GPtrArray **out, GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    const char *params[] = { kind->noun };
    PGresult *res = vsPgRun(be, be->conn, NULL, "list the VMs",
                          "SELECT vm FROM virtsnap.vms WHERE kind = $1",
                          1, params, NULL, NULL, FALSE, error);

    if (!res)
        return -1;
    *out = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < PQntuples(res); i++)
        g_ptr_array_add(*out, g_strdup(PQgetvalue(res, i, 0)));
    PQclear(res);
    /* Byte order, as the directory store lists, whatever the collation. */
    g_ptr_array_sort(*out, pgCompare);
    return 0;
}

static int
pgHas(vsBackend *backend, const vsMomentKind *kind, const char *vm, gboolean *out,
      GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    const char *params[] = { kind->noun, vm };
    PGresult *res = vsPgRun(be, be->conn, vm, "look up the VM",
                          "SELECT 1 FROM virtsnap.vms WHERE kind = $1 AND vm = $2",
                          2, params, NULL, NULL, FALSE, error);

    if (!res)
        return -1;
    *out = PQntuples(res) > 0;
    PQclear(res);
    return 0;
}

/* The VM's advisory lock key: 64 bits of SHA-256("<kind>/<vm>"). */
static char *
pgLockKey(const vsMomentKind *kind, const char *vm)
{
    g_autofree char *name = g_strdup_printf("%s/%s", kind->noun, vm);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize len = sizeof(digest);
    gint64 key = 0;

    g_checksum_update(sum, (const guchar *) name, strlen(name));
    g_checksum_get_digest(sum, digest, &len);
    for (int i = 0; i < 8; i++)
        key = (gint64) (((guint64) key << 8) | digest[i]);
    return g_strdup_printf("%" G_GINT64_FORMAT, key);
}

static int
pgLock(vsBackend *backend, const vsMomentKind *kind, const char *vm, gboolean wait,
       vsBackendLock **out, GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    g_autofree char *key = pgLockKey(kind, vm);
    const char *params[] = { key };
    PGconn *conn = NULL;
    PGresult *res;
    gboolean got;

    if (vsPgConnect(&conn, be, error) < 0)
        return -1;
    res = vsPgRun(be, conn, vm, "lock the VM",
                wait ? "SELECT pg_advisory_lock($1::bigint), true"
                     : "SELECT 0, pg_try_advisory_lock($1::bigint)",
                1, params, NULL, NULL, FALSE, error);
    if (!res) {
        PQfinish(conn);
        return -1;
    }
    got = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    PQclear(res);
    if (!got) {
        PQfinish(conn);
        return vsErr(error, VS_ERROR_LOCKED, "VM '%s' is locked by another virtsnap process",
                     vm);
    }
    *out = g_new0(vsBackendLock, 1);
    (*out)->conn = conn;
    return 0;
}

static void
pgUnlock(vsBackend *backend, vsBackendLock *lock)
{
    PQfinish(lock->conn);  /* the session's advisory lock goes with it */
    g_free(lock);
}

static void
pgCacheFree(gpointer data)
{
    PgCache *cache = data;

    if (!cache)
        return;
    g_hash_table_unref(cache->digests);
    vsBulkSegmentsFree(cache->segments);
    g_free(cache);
}

static PgCache *
pgCacheNew(void)
{
    PgCache *cache = g_new0(PgCache, 1);
    cache->digests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return cache;
}

static guint32
pgInt4(const PGresult *res, int row, int col)
{
    guint32 v;
    if (PQgetlength(res, row, col) != 4)
        return G_MAXUINT32;
    memcpy(&v, PQgetvalue(res, row, col), 4);
    return GUINT32_FROM_BE(v);
}

/* One statement (one snapshot of the database): the row's format, its
 * frame count, and each frame in order with its digest. */
static int
pgLoad(vsBackend *backend, const vsMomentKind *kind, const char *vm,
       const vsBackendLoadArgs *args, vsBackendLoaded *out, GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    vsBulkReadOptions read_opts = { .max_held = args->load_limit };
    const char *params[] = { kind->noun, vm };
    g_autofree char *label = g_strdup_printf("%s [%s %s]", be->label, kind->noun, vm);
    g_autoptr(GByteArray) doc = g_byte_array_new();
    vsBulkSegments *segments = NULL;
    PgCache *cache = NULL;
    PGresult *res;
    int rows;

    *out = (vsBackendLoaded) { 0 };
    res = vsPgRun(be, be->conn, vm, "load the VM",
                "SELECT v.format, array_length(v.frames, 1), u.digest, f.data "
                "FROM virtsnap.vms v CROSS JOIN LATERAL unnest(v.frames) "
                "  WITH ORDINALITY AS u(digest, n) "
                "LEFT JOIN virtsnap.frames f "
                "  ON f.kind = v.kind AND f.vm = v.vm AND f.digest = u.digest "
                "WHERE v.kind = $1 AND v.vm = $2 ORDER BY u.n",
                2, params, NULL, NULL, TRUE, error);
    if (!res)
        return -1;
    rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        return 0;
    }
    if (pgInt4(res, 0, 0) > PG_ROW_FORMAT) {
        vsErr(error, VS_ERROR_CORRUPT, "%s: VM '%s': its %s record is format %u, written by "
              "a newer virtsnap (this one reads up to %d)", be->label, vm, kind->noun,
              pgInt4(res, 0, 0), PG_ROW_FORMAT);
        goto fail;
    }
    if (pgInt4(res, 0, 1) != (guint32) rows) {
        vsErr(error, VS_ERROR_CORRUPT, "%s: VM '%s': its %s record names %u frames, %d found",
              be->label, vm, kind->noun, pgInt4(res, 0, 1), rows);
        goto fail;
    }
    if (args->write)
        cache = pgCacheNew();
    for (int i = 0; i < rows; i++) {
        if (PQgetisnull(res, i, 3)) {
            vsErr(error, VS_ERROR_CORRUPT, "%s: VM '%s': frame %d of its %s record is missing",
                  be->label, vm, i, kind->noun);
            goto fail;
        }
        if (doc->len + (guint64) PQgetlength(res, i, 3) > read_opts.max_held &&
            read_opts.max_held) {
            vsErr(error, VS_ERROR_TOO_LARGE, "%s: VM '%s': its %s record is larger than the "
                  "store's load-limit (%" G_GUINT64_FORMAT " bytes)", be->label, vm,
                  kind->noun, read_opts.max_held);
            goto fail;
        }
        g_byte_array_append(doc, (const guint8 *) PQgetvalue(res, i, 3),
                            PQgetlength(res, i, 3));
        if (cache)
            g_hash_table_add(cache->digests, g_strndup(PQgetvalue(res, i, 2),
                                                        PQgetlength(res, i, 2)));
    }
    PQclear(g_steal_pointer(&res));
    if (vsBulkFileParse(&out->tree, cache ? &segments : NULL, kind, (const char *) doc->data,
                        doc->len, label, &read_opts, error) < 0)
        goto fail;
    if (cache)
        cache->segments = segments;
    out->stored = TRUE;
    out->cache = cache;
    return 0;

 fail:
    PQclear(res);
    pgCacheFree(cache);
    return -1;
}

/* ---------------------------------------------------------------- */
/* Changes                                                            */

typedef struct {
    const guint8 *data;
    gsize len;
    char *digest;
} PgFrame;

static void
pgFrameClear(gpointer p)
{
    g_free(((PgFrame *) p)->digest);
}

/* The document cut into its zstd frames (and anything else into chunks),
 * each at most PG_CHUNK_MAX bytes. */
static GArray *
pgSplit(GBytes *doc)
{
    GArray *frames = g_array_new(FALSE, FALSE, sizeof(PgFrame));
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(doc, &len);
    gsize pos = 0;

    g_array_set_clear_func(frames, pgFrameClear);
    while (pos < len) {
        size_t n = ZSTD_findFrameCompressedSize(data + pos, len - pos);
        PgFrame frame = { data + pos, 0, NULL };

        if (ZSTD_isError(n) || n == 0)
            n = len - pos;
        frame.len = MIN(n, PG_CHUNK_MAX);
        frame.digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256, frame.data, frame.len);
        g_array_append_val(frames, frame);
        pos += frame.len;
    }
    return frames;
}

/* "{d1,d2,...}": the digests as a text[] literal (hex needs no quoting). */
static char *
pgDigestArray(GArray *frames)
{
    GString *s = g_string_new("{");

    for (guint i = 0; i < frames->len; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", g_array_index(frames, PgFrame, i).digest);
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

/* The transaction of one commit: the row first (the frames refer to it),
 * the frames the row did not have, then the frames it no longer names. */
static int
pgWrite(PgBackend *be, PGconn *conn, const char *kind, const char *vm, GArray *frames,
        gsize total, GHashTable *have, GError **error)
{
    g_autofree char *list = pgDigestArray(frames);
    g_autofree char *bytes = g_strdup_printf("%" G_GSIZE_FORMAT, total);
    g_autoptr(GHashTable) sent = g_hash_table_new(g_str_hash, g_str_equal);
    const char *row[] = { kind, vm, list, bytes };
    const char *what = "commit";

    if (vsPgDo(be, conn, vm, what, "BEGIN", 0, NULL, error) < 0 ||
        vsPgDo(be, conn, vm, what,
             "INSERT INTO virtsnap.vms VALUES ($1, $2, 1, $3::text[], $4::bigint, 1) "
             "ON CONFLICT (kind, vm) DO UPDATE SET format = 1, frames = EXCLUDED.frames, "
             "  bytes = EXCLUDED.bytes, generation = virtsnap.vms.generation + 1",
             4, row, error) < 0)
        return -1;
    for (guint i = 0; i < frames->len; i++) {
        PgFrame *f = &g_array_index(frames, PgFrame, i);
        const char *values[] = { kind, vm, f->digest, (const char *) f->data };
        int lengths[] = { 0, 0, 0, (int) f->len };
        int formats[] = { 0, 0, 0, 1 };
        PGresult *res;

        if ((have && g_hash_table_contains(have, f->digest)) ||
            !g_hash_table_add(sent, f->digest))
            continue;
        res = vsPgRun(be, conn, vm, what,
                    "INSERT INTO virtsnap.frames VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT DO NOTHING", 4, values, lengths, formats, FALSE, error);
        if (!res)
            return -1;
        PQclear(res);
    }
    return vsPgDo(be, conn, vm, what,
                "DELETE FROM virtsnap.frames WHERE kind = $1 AND vm = $2 "
                "AND digest <> ALL ($3::text[])", 3, row, error) < 0 ||
           vsPgDo(be, conn, vm, what, "COMMIT", 0, NULL, error) < 0 ? -1 : 0;
}

static int
pgDelete(PgBackend *be, PGconn *conn, const char *kind, const char *vm, GError **error)
{
    const char *params[] = { kind, vm };
    return vsPgDo(be, conn, vm, "remove the VM's record",
                "DELETE FROM virtsnap.vms WHERE kind = $1 AND vm = $2", 2, params, error);
}

static int
pgCommit(vsBackend *backend, const vsMomentKind *kind, const char *vm,
         const vsBackendCommit *commit, gpointer *out_cache, char **out_note, GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    PGconn *conn = commit->lock->conn;
    PgCache *old = commit->cache;
    g_autoptr(vsAtomicFile) mem = NULL;
    g_autoptr(GBytes) doc = NULL;
    g_autoptr(GArray) frames = NULL;
    vsBulkSegments *segments = NULL;
    PgCache *next;
    int ret = -1;

    *out_cache = NULL;
    *out_note = NULL;
    if (vsTreeCount(commit->next) == 0) {
        ret = pgDelete(be, conn, kind->noun, vm, error);
        if (ret == 0)
            *out_cache = pgCacheNew();
        return ret;
    }
    mem = vsAtomicFileOpenMemory();
    if (vsBulkFileWrite(mem, commit->next, commit->uuid, commit->compression,
                        old ? old->segments : NULL, &segments, error) < 0)
        return -1;
    doc = vsAtomicFileStealMemory(mem);
    frames = pgSplit(doc);
    for (int attempt = 0; attempt < PG_RETRIES && ret < 0; attempt++) {
        g_autoptr(GError) err = NULL;

        ret = pgWrite(be, conn, kind->noun, vm, frames, g_bytes_get_size(doc),
                      old ? old->digests : NULL, &err);
        if (ret < 0) {
            vsPgRollback(conn);
            if (attempt + 1 == PG_RETRIES || !vsPgRetryable(be, conn)) {
                g_propagate_error(error, g_steal_pointer(&err));
                break;
            }
            /* apart from whoever we collided with, longer each time */
            g_usleep((gulong) g_random_int_range(2000, 10000) << attempt);
        }
    }
    if (ret < 0) {
        vsBulkSegmentsFree(segments);
        return -1;
    }
    next = pgCacheNew();
    next->segments = segments;
    for (guint i = 0; i < frames->len; i++)
        g_hash_table_add(next->digests, g_strdup(g_array_index(frames, PgFrame, i).digest));
    *out_cache = next;
    return 0;
}

static int
pgRemove(vsBackend *backend, const vsMomentKind *kind, const char *vm, GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    return pgDelete(be, be->conn, kind->noun, vm, error);
}

static int
pgRename(vsBackend *backend, const vsMomentKind *kind, const char *from, const char *to,
         char **out_note, GError **error)
{
    PgBackend *be = PG_BACKEND(backend);
    const char *params[] = { kind->noun, from, to };
    const char *what = "rename the VM";
    PGresult *res = NULL;
    gboolean has_to = FALSE;

    *out_note = NULL;
    if (pgHas(backend, kind, to, &has_to, error) < 0)
        return -1;
    if (has_to)
        return vsErr(error, VS_ERROR_EXISTS, "%s: VM '%s' already has %s metadata",
                     be->label, to, kind->noun);
    res = vsPgRun(be, be->conn, from, what,
                "UPDATE virtsnap.vms SET vm = $3 WHERE kind = $1 AND vm = $2",
                3, params, NULL, NULL, FALSE, error);
    if (!res)
        return -1;
    if (strcmp(PQcmdTuples(res), "1") != 0) {
        PQclear(res);
        return vsErr(error, VS_ERROR_NOT_FOUND, "VM '%s' has no %s metadata in %s", from,
                     kind->noun, be->label);
    }
    PQclear(res);
    return 0;
}

const vsBackendOps vsBackendPgOps = {
    .name = "postgresql",
    .accepts = pgAccepts,
    .open = pgOpen,
    .close = pgClose,
    .load_settings = pgLoadSettings,
    .save_settings = pgSaveSettings,
    .list = pgList,
    .has = pgHas,
    .lock = pgLock,
    .unlock = pgUnlock,
    .load = pgLoad,
    .commit = pgCommit,
    .remove = pgRemove,
    .rename = pgRename,
    .cache_free = pgCacheFree,
};
