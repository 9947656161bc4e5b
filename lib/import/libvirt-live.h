/* libvirt-live.h — what the files of the libvirt bridge that talk to
 * libvirt share (internal; built only with libvirt's client library):
 * libvirt-live.c (the connection, the kinds, diff, pull) and
 * libvirt-push.c. */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "import/virt-dyn.h"   /* every libvirt call goes through its table */

#include "import/libvirt-bridge.h"
#include "import/virt-dyn.h"
#include "record/moment.h"
#include "tree/tree.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/* What one kind of moment needs from libvirt. */
typedef struct {
    const vsMomentKind *kind;
    /* Every record's name and SECURE dump, parents first, and the current
     * record's name (NULL: none). */
    int (*read)(virDomainPtr dom, const char *vm, GPtrArray *names, GPtrArray *xmls,
                char **current, GError **error);
    int (*parse)(vsMoment **out, const char *xml, GError **error);
    int (*format)(char **out, const vsMoment *moment, const char *uuid, GError **error);
    /* @name's SECURE dump (free()); NULL with *error set by vsLiveErr,
     * naming @vm, @name and @what. */
    char *(*dump)(virDomainPtr dom, const char *vm, const char *name, const char *what,
                  GError **error);
    /* REDEFINE (CURRENT with @current); -1 leaves libvirt's error set. */
    int (*define)(virDomainPtr dom, const char *xml, gboolean current);
    /* Deletes the metadata of @name only; -1 with *error set as for dump. */
    int (*remove)(virDomainPtr dom, const char *vm, const char *name, const char *what,
                  GError **error);
} vsLiveKind;

/* Every kind, in push order (purge goes backwards); NULL-terminated. */
extern const vsLiveKind *const vsLiveKinds[];

/* "VM 'vm': snapshot 's': WHAT: libvirt's last message" (@kind may be
 * NULL without @name); a missing domain is NOT_FOUND.  Returns -1. */
int vsLiveErr(GError **error, const char *vm, const vsMomentKind *kind, const char *name,
              const char *what);
/* Domain @vm of @lv and its UUID; NOT_FOUND naming it when libvirt has none. */
int vsLiveLookupDomain(virDomainPtr *out, char uuid[VIR_UUID_STRING_BUFLEN], vsLibvirt *lv,
                       const char *vm, GError **error);
/* libvirt's records of one kind, as a tree. */
int vsLiveLoad(vsTree **out, const vsLiveKind *lk, virDomainPtr dom, const char *vm,
               GError **error);
/* The differences of vsTreeDiff(@store, @live) as report lines (PARENT when
 * the parent names differ, else DIFFERS). */
void vsLiveReportDiffs(vsLibvirtReport *report, const vsTree *store, const vsTree *live,
                       const GArray *diffs);
