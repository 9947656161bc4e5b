/* backend-pg-none.c — a build without libpq (meson -Dpostgresql=disabled,
 * or libpq-dev missing): a postgresql:// location is still recognised, so
 * it is refused with a clear error instead of being taken for a path. */
#include "util/error.h"
#include "store/backend.h"

static gboolean
pgAccepts(const char *location)
{
    return g_str_has_prefix(location, "postgresql://") ||
           g_str_has_prefix(location, "postgres://");
}

static int
pgOpen(vsBackend **out, const char *location, gboolean create, GError **error)
{
    return vsErr(error, VS_ERROR_INVALID, "%s: this virtsnap was built without PostgreSQL "
                 "support (meson feature 'postgresql', needs libpq)",
                 g_str_has_prefix(location, "postgres://") ? "postgres://…" : "postgresql://…");
}

const vsBackendOps vsBackendPgOps = {
    .name = "postgresql",
    .accepts = pgAccepts,
    .open = pgOpen,
};
