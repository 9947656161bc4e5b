/* virtsnap.h — the whole public API of libvirtsnap.
 *
 * libvirtsnap keeps libvirt-style domain snapshot metadata: a tree of
 * <domainsnapshot> records per virtual machine, with at most one "current"
 * snapshot.  A store is named by its location (a directory today); each
 * VM's whole tree is one record of the store — in a directory, one bulk
 * file DIR/<vm>.xml — replaced atomically, exactly once per operation (or
 * once per batch of operations, see vsDomainBegin).
 *
 * libvirt calls snapshots (and checkpoints) "moments": a record is a
 * vsMoment, whose common fields any kind has (vsMomentGet*), and a
 * snapshot is the kind of moment this API stores (vsSnapshot, the same
 * type; vsSnapshotGet* for what only snapshots have).
 *
 * Conventions (every function below follows them):
 *  - Functions that can fail return int: 0 on success, a negative value on
 *    failure, and then set *error (GError, domain VS_ERROR, codes below).
 *  - Output arguments come first and belong to the caller, who frees them
 *    with the type's free function (all accept NULL) or g_free for strings.
 *  - Getters return borrowed pointers that live as long as their owner.
 *    Borrowed records: every record (const vsMoment *) a vsDomain hands
 *    out — vsDomainLookup, vsDomainGetCurrent, vsDomainGetParent,
 *    vsDomainListMoments — stays valid until that vsDomain is freed,
 *    whatever operations run in between (batches, rollbacks and replaces
 *    included), and so do the strings its vsMomentGet and vsSnapshotGet
 *    getters return.  Records are immutable: a record describes the
 *    moment as it was when it was handed out.  After a change (redefine,
 *    delete — which re-parents children with new records —, set current)
 *    look the record up again for the new state.  A record handed back to
 *    a vsDomain function (@moment, @from) stands for
 *    its name: it is looked up in the tree as it is now.  Cost: the handle
 *    keeps a reference to each distinct record it has handed out, so a
 *    record that a later operation drops or replaces is freed with the
 *    handle rather than at once (a long-lived handle that hands out and then
 *    replaces many records holds them all; free it to release them).
 *  - Flags are the libvirt flags with the same names and values.
 *  - Error messages are libvirt's texts where libvirt has one (including its
 *    category prefix such as "XML error: "), so virsh users see the same words.
 *
 * Objects are not thread-safe; use one per thread or lock around them.
 */
#ifndef VIRTSNAP_H
#define VIRTSNAP_H

#include <glib.h>

G_BEGIN_DECLS

#define VS_VERSION_STRING "0.1.0"

/* Marks the library's public functions: the shared library is built with
 * hidden visibility, so it exports exactly what this header declares. */
#if defined(__GNUC__) || defined(__clang__)
#define VS_EXPORT __attribute__((visibility("default")))
#else
#define VS_EXPORT
#endif

/* ------------------------------------------------------------------ */
/* Errors                                                               */

#define VS_ERROR (vs_error_quark())
VS_EXPORT GQuark vs_error_quark(void);

typedef enum {
    VS_ERROR_FAILED = 1,   /* anything else; the message says what */
    VS_ERROR_NOT_FOUND,    /* no such snapshot / VM / current snapshot */
    VS_ERROR_EXISTS,       /* a snapshot of that name already exists */
    VS_ERROR_INVALID,      /* bad input: XML, flags, names, tree rules */
    VS_ERROR_CORRUPT,      /* a stored file is unreadable or inconsistent */
    VS_ERROR_TOO_LARGE,    /* input exceeds a configured size limit */
    VS_ERROR_LOCKED,       /* another process holds the VM's lock */
    VS_ERROR_IO,           /* a system call failed; message names the file */
} vsErrorCode;

/* ------------------------------------------------------------------ */
/* Records: moments, and snapshots                                      */

typedef struct _vsMoment vsMoment;
/* A record of the snapshot kind (<domainsnapshot>). */
typedef vsMoment vsSnapshot;

/* The kinds of moment. */
typedef enum {
    VS_MOMENT_SNAPSHOT = 1,
} vsMomentKindId;

VS_EXPORT vsMoment *vsMomentRef(vsMoment *moment);
VS_EXPORT void vsMomentUnref(vsMoment *moment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsMoment, vsMomentUnref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsSnapshot, vsMomentUnref)

/* What every moment has.  Borrowed strings, valid as long as @moment, NULL
 * when the element is absent. */
VS_EXPORT vsMomentKindId vsMomentGetKind(const vsMoment *moment);
VS_EXPORT const char *vsMomentGetName(const vsMoment *moment);
VS_EXPORT const char *vsMomentGetDescription(const vsMoment *moment);
VS_EXPORT const char *vsMomentGetParentName(const vsMoment *moment);
VS_EXPORT gint64 vsMomentGetCreationTime(const vsMoment *moment);
/* TRUE when the record carries a full <domain> definition. */
VS_EXPORT gboolean vsMomentHasDomain(const vsMoment *moment);

/* ---- Snapshots: a moment of kind VS_MOMENT_SNAPSHOT ---------------- */

typedef enum {
    VS_SNAPSHOT_STATE_NOSTATE = 0,
    VS_SNAPSHOT_STATE_RUNNING,
    VS_SNAPSHOT_STATE_BLOCKED,
    VS_SNAPSHOT_STATE_PAUSED,
    VS_SNAPSHOT_STATE_SHUTDOWN,
    VS_SNAPSHOT_STATE_SHUTOFF,
    VS_SNAPSHOT_STATE_CRASHED,
    VS_SNAPSHOT_STATE_PMSUSPENDED,
    VS_SNAPSHOT_STATE_DISK_SNAPSHOT,
    VS_SNAPSHOT_STATE_LAST
} vsSnapshotState;

typedef enum {
    VS_SNAPSHOT_LOCATION_DEFAULT = 0,
    VS_SNAPSHOT_LOCATION_NO,
    VS_SNAPSHOT_LOCATION_INTERNAL,
    VS_SNAPSHOT_LOCATION_EXTERNAL,
    VS_SNAPSHOT_LOCATION_MANUAL,
    VS_SNAPSHOT_LOCATION_LAST
} vsSnapshotLocation;

/* Parse flags: libvirt's internal VIR_DOMAIN_SNAPSHOT_PARSE_* values. */
typedef enum {
    VS_SNAPSHOT_PARSE_REDEFINE = 1 << 0, /* a previously dumped definition */
    VS_SNAPSHOT_PARSE_INTERNAL = 1 << 1, /* <active> is required and read */
    VS_SNAPSHOT_PARSE_OFFLINE  = 1 << 2, /* VM inactive or disk-only */
    VS_SNAPSHOT_PARSE_VALIDATE = 1 << 3, /* RelaxNG-validate first */
} vsSnapshotParseFlags;

/* Format flags: libvirt's VIR_DOMAIN_SNAPSHOT_FORMAT_* values. */
typedef enum {
    VS_SNAPSHOT_FORMAT_SECURE   = 1 << 0, /* keep secrets (see vsSnapshotFormat) */
    VS_SNAPSHOT_FORMAT_INTERNAL = 1 << 1, /* append <active> */
    VS_SNAPSHOT_FORMAT_CURRENT  = 1 << 2, /* with INTERNAL: <active>1 */
} vsSnapshotFormatFlags;

/* Largest snapshot document accepted by vsSnapshotParse (bytes).  Within
 * it, libxml2's own limits apply (no XML_PARSE_HUGE, as in libvirt):
 * nesting deeper than the bulk file can hold (256 levels) is refused, so
 * is a start tag, or an attribute value, of more than 10,000,000 bytes.
 * A text node of more than 10,000,000 bytes (as parsed) is refused when
 * libxml2 reads it in several runs (around a reference or a non-ASCII
 * character), but libxml2 2.9 takes one run of plain ASCII that long.
 * vsDomainCreateXML refuses such a text either way (the bulk file's
 * reader would not load it back), and takes one of exactly 10,000,000. */
#define VS_SNAPSHOT_XML_MAX (64 * 1024 * 1024)

/**
 * vsSnapshotParse:
 * @out: (out): the new record; free with vsMomentUnref
 * @xml: the document; need not be NUL-terminated
 * @len: its length in bytes (> VS_SNAPSHOT_XML_MAX is TOO_LARGE)
 * @flags: vsSnapshotParseFlags
 * @now: seconds since the epoch, stamped as creationTime (and default
 *   name) on a plain create, exactly as libvirt's post-parse does; 0 skips
 *   that stamping (libvirt's parser tests without a mocked clock)
 * @is_current: (out) (optional): with PARSE_INTERNAL, the <active> value
 *
 * Parses one <domainsnapshot> with libvirt's rules and messages.  Entities,
 * DTDs and network access are disabled.  <domain>, <inactiveDomain> and
 * <cookie> are kept as opaque subtrees.
 * Errors: VS_ERROR_INVALID (with libvirt's text), VS_ERROR_TOO_LARGE.
 * Cost: one pass over @xml (plus a RelaxNG validation with VALIDATE).
 */
VS_EXPORT int vsSnapshotParse(vsSnapshot **out, const char *xml, gsize len,
                    unsigned int flags, gint64 now, gboolean *is_current,
                    GError **error);

/**
 * vsSnapshotFormat:
 * @out: (out): the NUL-terminated document, ending in "\n"; g_free it
 * @snap: the record
 * @uuid: (nullable): the VM's UUID, printed as <domain><uuid> when the
 *   record has no full <domain>
 * @flags: vsSnapshotFormatFlags
 *
 * Formats exactly as libvirt 9.0 does (element order, 2-space indent,
 * single-quoted attributes, escaping).  Without FORMAT_SECURE the secrets
 * libvirt 9.0 hides are left out: <graphics passwd=…> and the <cookies> of
 * a network <source> (disk, backingStore, nvram), in <domain> and
 * <inactiveDomain> (docs/format.md lists where libvirt does this).
 * Cost: linear in the output size.  Never fails for a parsed record.
 */
VS_EXPORT int vsSnapshotFormat(char **out, const vsSnapshot *snap, const char *uuid,
                     unsigned int flags, GError **error);

/* What only snapshots have (@snap must be a snapshot).  Borrowed strings,
 * valid as long as @snap. */
VS_EXPORT vsSnapshotState vsSnapshotGetState(const vsSnapshot *snap);
VS_EXPORT vsSnapshotLocation vsSnapshotGetMemoryLocation(const vsSnapshot *snap);
/* TRUE when memory or any disk is external (libvirt's "external"). */
VS_EXPORT gboolean vsSnapshotIsExternal(const vsSnapshot *snap);
/* virsh snapshot-info's "Location:" word: "internal" or "external". */
VS_EXPORT const char *vsSnapshotGetLocationSummary(const vsSnapshot *snap);

VS_EXPORT const char *vsSnapshotStateToString(vsSnapshotState state);
/* -1 when @str names no state. */
VS_EXPORT int vsSnapshotStateFromString(const char *str);

/**
 * vsSnapshotNameCheck:
 * Refuses names libvirt refuses (a '/', a leading '.') and names that could
 * not be a libvirt snapshot file name: empty, NUL or control characters other
 * than TAB (which libvirt 9.0 stores), or longer than VS_SNAPSHOT_NAME_MAX
 * bytes (libvirt writes "<name>.xml.new", so 247 + 8 = NAME_MAX is its real
 * limit).  Errors: VS_ERROR_INVALID.
 */
#define VS_SNAPSHOT_NAME_MAX 247
VS_EXPORT int vsSnapshotNameCheck(const char *name, GError **error);

/* ------------------------------------------------------------------ */
/* Tree operation and list flags (libvirt's public values)              */

typedef enum {
    VS_SNAPSHOT_CREATE_REDEFINE    = 1 << 0,
    VS_SNAPSHOT_CREATE_CURRENT     = 1 << 1,
    VS_SNAPSHOT_CREATE_NO_METADATA = 1 << 2,
    VS_SNAPSHOT_CREATE_HALT        = 1 << 3,
    VS_SNAPSHOT_CREATE_DISK_ONLY   = 1 << 4,
    VS_SNAPSHOT_CREATE_REUSE_EXT   = 1 << 5,
    VS_SNAPSHOT_CREATE_QUIESCE     = 1 << 6,
    VS_SNAPSHOT_CREATE_ATOMIC      = 1 << 7,
    VS_SNAPSHOT_CREATE_LIVE        = 1 << 8,
    VS_SNAPSHOT_CREATE_VALIDATE    = 1 << 9,
} vsSnapshotCreateFlags;

typedef enum {
    VS_SNAPSHOT_DELETE_CHILDREN      = 1 << 0,
    VS_SNAPSHOT_DELETE_METADATA_ONLY = 1 << 1,
    VS_SNAPSHOT_DELETE_CHILDREN_ONLY = 1 << 2,
} vsSnapshotDeleteFlags;

typedef enum {
    VS_SNAPSHOT_LIST_ROOTS       = 1 << 0, /* domain-wide: roots only */
    VS_SNAPSHOT_LIST_DESCENDANTS = 1 << 0, /* from a snapshot: all below */
    VS_SNAPSHOT_LIST_METADATA    = 1 << 1,
    VS_SNAPSHOT_LIST_LEAVES      = 1 << 2,
    VS_SNAPSHOT_LIST_NO_LEAVES   = 1 << 3,
    VS_SNAPSHOT_LIST_NO_METADATA = 1 << 4,
    VS_SNAPSHOT_LIST_INACTIVE    = 1 << 5,
    VS_SNAPSHOT_LIST_ACTIVE      = 1 << 6,
    VS_SNAPSHOT_LIST_DISK_ONLY   = 1 << 7,
    VS_SNAPSHOT_LIST_INTERNAL    = 1 << 8,
    VS_SNAPSHOT_LIST_EXTERNAL    = 1 << 9,
    VS_SNAPSHOT_LIST_TOPOLOGICAL = 1 << 10,
} vsSnapshotListFlags;

/* ------------------------------------------------------------------ */
/* The store and its VMs                                                */

typedef struct _vsStore vsStore;
typedef struct _vsDomain vsDomain;

typedef enum {
    VS_STORE_OPEN_CREATE   = 1 << 0, /* create DIR (mode 0700) if missing */
} vsStoreOpenFlags;

/**
 * vsStoreOpen:
 * @out: (out): the store; free with vsStoreFree
 * @location: where the store is: a directory path (libvirt's snapshotDir,
 *   or virtsnap's own).  The location chooses the backend, so a later kind
 *   of store (a database URI) opens with the same call.
 * Errors: VS_ERROR_NOT_FOUND (no such directory), VS_ERROR_IO,
 * VS_ERROR_CORRUPT (an unreadable DIR/.virtsnap/config).
 * Cost: a stat, a read of the store's settings and, with CREATE, a mkdir.
 */
VS_EXPORT int vsStoreOpen(vsStore **out, const char *location, unsigned int flags,
                          GError **error);
/* Frees the store once its VM handles are freed too (a vsDomain keeps what
 * it needs of its store: either may be freed first). */
VS_EXPORT void vsStoreFree(vsStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsStore, vsStoreFree)

/* The store's location, as given to vsStoreOpen (borrowed). */
VS_EXPORT const char *vsStoreGetLocation(const vsStore *store);

/* How new bulk files are stored (docs/format.md, "The bulk file"):
 * NONE     plain XML (format 1);
 * ZSTD     zstd frames of runs of records (format 2), the default;
 * PIECES   zstd frames whose records name their <domain> definitions,
 *          each distinct definition stored once as pieces (format 3): a
 *          load decompresses each definition once instead of once per
 *          record, and a commit writes only the definitions it added.
 * Every format is always readable; a VM's file takes the store's mode at
 * its next commit (converted whole). */
typedef enum {
    VS_COMPRESSION_NONE,
    VS_COMPRESSION_ZSTD,
    VS_COMPRESSION_PIECES,
} vsCompression;

/* The store's mode (DIR/.virtsnap/config, see vsStoreSaveCompressionMode)
 * is read by vsStoreOpen; Set changes it for this handle only. */
VS_EXPORT void vsStoreSetCompressionMode(vsStore *store, vsCompression mode);
VS_EXPORT vsCompression vsStoreGetCompressionMode(const vsStore *store);

/**
 * vsStoreSaveCompressionMode:
 * Makes @mode the store's setting for every later writer (and this
 * handle).  Existing files are converted as their VMs are next written.
 * Errors: VS_ERROR_IO; VS_ERROR_INVALID for a mode outside vsCompression.
 * Cost: one atomic rewrite of DIR/.virtsnap/config (one transaction on a
 * PostgreSQL store).
 */
VS_EXPORT int vsStoreSaveCompressionMode(vsStore *store, vsCompression mode,
                                         GError **error);

/* The boolean forms of the three above: Get is whether the mode is not
 * NONE; Set and Save with TRUE mean ZSTD, with FALSE NONE. */
VS_EXPORT void vsStoreSetCompression(vsStore *store, gboolean compress);
VS_EXPORT gboolean vsStoreGetCompression(const vsStore *store);
VS_EXPORT int vsStoreSaveCompression(vsStore *store, gboolean compress, GError **error);

/* The load limit: a bound on the memory a load of one VM holds, counted as
 * the distinct data it keeps (each record's own fields, each distinct
 * <domain> once, and the reader's copies for recognising repeats).  A file
 * that needs more fails to load with VS_ERROR_TOO_LARGE, naming it and the
 * limit, before using the memory: a small compressed file of many distinct
 * big records (a zstd bomb) stops there, a big but repetitive one (16,384
 * snapshots sharing a few domains) loads.  Besides it, every load refuses a
 * record over 64 MiB as stored (what create accepts) and a document over
 * 64 GiB decompressed, so one record's parse and a load's time are bounded
 * too.  Read by vsStoreOpen from DIR/.virtsnap/config (load-limit = bytes);
 * vsStoreSetLoadLimit changes it for this handle (0: the default). */
#define VS_STORE_LOAD_LIMIT_DEFAULT ((guint64) 1024 * 1024 * 1024)
VS_EXPORT guint64 vsStoreGetLoadLimit(const vsStore *store);
VS_EXPORT void vsStoreSetLoadLimit(vsStore *store, guint64 bytes);
/* Makes @bytes (0: the default) the store's limit for every later loader.
 * Errors: VS_ERROR_IO.  Cost: one atomic rewrite of DIR/.virtsnap/config. */
VS_EXPORT int vsStoreSaveLoadLimit(vsStore *store, guint64 bytes, GError **error);
/* Parses "123", "64K", "2G" (binary units, K to T) into bytes.
 * Errors: VS_ERROR_INVALID. */
VS_EXPORT int vsStoreParseSize(const char *text, guint64 *out, GError **error);

/* The time source for plain creates (vsDomainCreateXML): @clock returns
 * seconds since the epoch, stamped as the new snapshot's creationTime (and
 * default name).  A VM manager passes its own clock, e.g. the hypervisor
 * host's, or a fixed one for reproducible runs (the CLI's VIRTSNAP_NOW);
 * NULL restores the real clock.  Applies to this handle and the VMs loaded
 * through it. */
typedef gint64 (*vsClockFunc)(gpointer data);
VS_EXPORT void vsStoreSetClock(vsStore *store, vsClockFunc clock, gpointer data);

/**
 * vsStoreListDomains:
 * @out: (out): NULL-terminated, sorted names of the VMs with snapshots
 *   stored (a bulk file); g_strfreev
 * Cost: one readdir of the store directory.
 */
VS_EXPORT int vsStoreListDomains(char ***out, vsStore *store, GError **error);

/**
 * vsStoreHasDomain:
 * @out: (out): TRUE when the store holds anything for VM @vm: its bulk file
 *   DIR/<vm>.xml or libvirt's per-file directory DIR/<vm>/ (any entry at
 *   either path, not followed; loading says what is wrong with one of the
 *   wrong type).  virtsnap knows a VM only by its stored snapshots: a VM
 *   whose last snapshot was deleted is unknown again.  Use it to refuse
 *   commands on a VM that does not exist, as virsh does ("failed to get
 *   domain"); vsStoreLoadDomain itself gives an unknown VM an empty tree,
 *   to which a create adds the first snapshot.
 * Errors: VS_ERROR_INVALID (bad VM name), VS_ERROR_IO.
 * Cost: at most two fstatat calls.
 */
VS_EXPORT int vsStoreHasDomain(gboolean *out, vsStore *store, const char *vm, GError **error);

typedef enum {
    VS_DOMAIN_LOAD_WRITE = 1 << 0,   /* take the VM's lock (blocking) */
    VS_DOMAIN_LOAD_NOWAIT = 1 << 1,  /* with WRITE: fail LOCKED, don't wait */
} vsDomainLoadFlags;

/**
 * vsStoreLoadDomain:
 * @out: (out): VM @vm's snapshots; free with vsDomainFree (which drops the
 *   lock)
 * @vm: the VM name (a valid file name; see vsDomainNameCheck)
 * @uuid: (nullable): the VM's UUID, for the <domain><uuid> fallback and
 *   the redefine UUID check; NULL takes it from the snapshots' domains
 *
 * Loads the VM's record (DIR/<vm>.xml) with a streaming reader,
 * all-or-nothing.  A VM without one has an empty tree (vsStoreHasDomain
 * tells whether it exists).  With LOAD_WRITE the VM's lock is held from
 * now until vsDomainFree, so a read-modify-write never loses another
 * process's update.  Without it the handle is a read-only snapshot of the
 * file.  A vsDomain holds one VM's moments of one kind (vsDomainGetKind);
 * its functions below work for every kind unless they say otherwise.
 * Errors: VS_ERROR_CORRUPT (file:line and problem), VS_ERROR_LOCKED,
 * VS_ERROR_IO, VS_ERROR_INVALID (bad VM name), VS_ERROR_TOO_LARGE (past
 * the load limit, see VS_STORE_LOAD_LIMIT_DEFAULT).
 * Cost: one read of the file; memory linear in unique content, at most
 * the store's load limit plus one record being read.  A write
 * handle on a compressed file also keeps the file's frames (about the
 * compressed size) so that commits copy what they do not change, and
 * from its first commit on the writer's buffers for the runs it formed
 * again (the run's text and the old frame's content, each about the
 * run's size: a few hundred KB for ~10 KB domains, up to 64 MiB each for
 * runs of multi-megabyte domains), so that the next commit does not map
 * and page-fault them again.
 */
VS_EXPORT int vsStoreLoadDomain(vsDomain **out, vsStore *store, const char *vm,
                                const char *uuid, unsigned int flags, GError **error);

/* VM names: non-empty, no '/', no leading '.', no control characters, and
 * short enough for DIR/<vm>.xml plus a temporary suffix. */
VS_EXPORT int vsDomainNameCheck(const char *vm, GError **error);

VS_EXPORT void vsDomainFree(vsDomain *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsDomain, vsDomainFree)

VS_EXPORT const char *vsDomainGetName(const vsDomain *dom);
/* The kind of the handle's moments (VS_MOMENT_SNAPSHOT for
 * vsStoreLoadDomain). */
VS_EXPORT vsMomentKindId vsDomainGetKind(const vsDomain *dom);
/* The VM's UUID (given at load, else found in its snapshots' <domain>s),
 * or NULL when unknown; pass it to vsSnapshotFormat for the
 * <domain><uuid> fallback.  Borrowed. */
VS_EXPORT const char *vsDomainGetUUID(const vsDomain *dom);
VS_EXPORT guint vsDomainCount(const vsDomain *dom);

/* The record named @name as the tree is now (borrowed, valid until
 * vsDomainFree; see "Borrowed records"), or NULL (then *error is NOT_FOUND
 * with libvirt's text
 * "Domain snapshot not found: no domain snapshot with matching name 'X'"). */
VS_EXPORT const vsMoment *vsDomainLookup(const vsDomain *dom, const char *name,
                                         GError **error);
/* The current snapshot's record as the tree is now (borrowed, valid until
 * vsDomainFree; whether it is still current later: call again), or NULL
 * with NOT_FOUND
 * "Domain snapshot not found: the domain does not have a current snapshot". */
VS_EXPORT const vsMoment *vsDomainGetCurrent(const vsDomain *dom, GError **error);
/* The parent, in the tree as it is now, of the record named like @moment
 * (borrowed, valid until vsDomainFree), or NULL for a root or a record no
 * longer in the tree (no error). */
VS_EXPORT const vsMoment *vsDomainGetParent(const vsDomain *dom, const vsMoment *moment);
/* Children / all descendants, in the tree as it is now, of the record
 * named like @moment; 0 when it is no longer in the tree. */
VS_EXPORT guint vsDomainCountChildren(const vsDomain *dom, const vsMoment *moment);
VS_EXPORT guint vsDomainCountDescendants(const vsDomain *dom, const vsMoment *moment);

/**
 * vsDomainListMoments:
 * @out: (out): borrowed records (valid until vsDomainFree, see "Borrowed
 *   records") in a new GPtrArray (free the array only)
 * @from: (nullable): start record, looked up by name in the tree as it is
 *   now (NOT_FOUND when it is gone); NULL lists domain-wide
 * @flags: the kind's list flags (vsSnapshotListFlags for snapshots), with
 *   libvirt's group rules
 *
 * Order: always topological (pre-order; siblings by creationTime, then
 * name), so TOPOLOGICAL is implied; the CLI re-sorts by name like virsh.
 * Errors: VS_ERROR_INVALID for unknown flags.  Cost: O(N), plus one
 * hash-set entry per record listed for the first time by this handle.
 */
VS_EXPORT int vsDomainListMoments(GPtrArray **out, const vsDomain *dom,
                                  const vsMoment *from, unsigned int flags, GError **error);

/**
 * vsDomainCreateXML:
 * @out_name: (out) (optional): the name of the new/redefined snapshot
 * @xml: a <domainsnapshot> document of @len bytes
 * @domain_xml: (nullable): plain create only — the VM's current <domain>
 *   definition, which a hypervisor would supply; NULL reuses the current
 *   snapshot's (error "internal error: missing domain in snapshot" if none)
 * @vm_state: plain create only — the VM's state (0 means shutoff)
 * @flags: vsSnapshotCreateFlags (REDEFINE, CURRENT, VALIDATE, DISK_ONLY;
 *   NO_METADATA is refused because virtsnap stores nothing else)
 *
 * Plain create: creationTime/name stamped from the store clock; the new
 * snapshot becomes the child of the current one and becomes current;
 * state, memory and disks follow libvirt's rules for @vm_state.
 * Redefine: update in place or insert; libvirt's checks and messages.
 * What the VM's file could not load back is refused (VS_ERROR_INVALID or
 * VS_ERROR_TOO_LARGE, naming the snapshot): a creationTime of 0, nesting
 * deeper than 256 levels, a record over 64 MiB as stored; and before the
 * commit the record is formatted as stored and read back, so that no limit
 * of the XML reader turns an accepted record into an unloadable file.
 * Needs a LOAD_WRITE handle.  Errors: VS_ERROR_INVALID, VS_ERROR_EXISTS,
 * VS_ERROR_NOT_FOUND, VS_ERROR_TOO_LARGE, VS_ERROR_IO (tree unchanged on
 * any error).
 * Cost: one atomic rewrite of the VM's bulk file.  Compressed (the
 * default): O(N) to walk the tree, plus formatting and compressing only
 * the run of ~32 records that changed; the other frames are copied.
 * Plain: formatting and writing every record.
 */
VS_EXPORT int vsDomainCreateXML(char **out_name, vsDomain *dom, const char *xml,
                      gsize len, const char *domain_xml,
                      vsSnapshotState vm_state, unsigned int flags,
                      GError **error);

/**
 * vsDomainSetCurrent:
 * Makes @name current (virsh snapshot-current NAME / snapshot-revert).
 * Errors: VS_ERROR_NOT_FOUND, VS_ERROR_IO.  Cost: one atomic rewrite.
 */
VS_EXPORT int vsDomainSetCurrent(vsDomain *dom, const char *name, GError **error);

/**
 * vsDomainDelete:
 * Deletes @name with libvirt's semantics: children re-parented to the
 * grandparent and current moved to the parent; DELETE_CHILDREN removes the
 * subtree too; DELETE_CHILDREN_ONLY only the descendants.
 * METADATA_ONLY is accepted; with or without it only metadata is deleted
 * (virtsnap never touches disk or memory data; the CLI warns without it).
 * Deleting the last snapshot removes the VM's file (and first moves a
 * legacy directory aside: see vsDomainGetMovedAside).  Re-parented children
 * get new records; records handed out before stay valid and unchanged
 * (see "Borrowed records").
 * Errors: VS_ERROR_NOT_FOUND, VS_ERROR_INVALID (flags), VS_ERROR_IO.
 * Cost: one atomic rewrite (or one unlink), whatever the subtree size.
 */
VS_EXPORT int vsDomainDelete(vsDomain *dom, const char *name, unsigned int flags,
                   GError **error);

/**
 * vsDomainDeleteAll:
 * Drops every snapshot of the VM without re-parenting (libvirt's
 * `undefine --snapshots-metadata`): removes DIR/<vm>.xml (and first moves a
 * legacy directory aside: see vsDomainGetMovedAside).
 * Cost: one unlink plus a directory flush.
 */
VS_EXPORT int vsDomainDeleteAll(vsDomain *dom, GError **error);

/**
 * vsDomainBegin:
 * Starts a batch on a write handle: the changing calls that follow
 * (vsDomainCreateXML, vsDomainSetCurrent, vsDomainDelete,
 * vsDomainDeleteAll, vsDomainReplace) change the handle's tree in memory
 * only, and every query on the handle sees their result, until
 * vsDomainCommit stores them all with one durable write or
 * vsDomainRollback drops them.  A call that fails inside a batch leaves it
 * as it was.  vsDomainFree drops a batch still open.
 * Errors: VS_ERROR_INVALID (a read-only handle, a batch already open).
 * Cost: O(N) (the tree is copied).
 */
VS_EXPORT int vsDomainBegin(vsDomain *dom, GError **error);

/**
 * vsDomainCommit:
 * Ends the batch and stores its changes, all or nothing: on failure the
 * VM's stored tree and the handle are as they were before vsDomainBegin.
 * Errors: VS_ERROR_INVALID (no batch open), VS_ERROR_IO.
 * Cost: one atomic rewrite of the VM's file (one unlink when the batch
 * emptied the tree; nothing when it changed nothing), however many calls
 * the batch made.
 */
VS_EXPORT int vsDomainCommit(vsDomain *dom, GError **error);

/* Ends the batch, dropping its changes (nothing was stored).  Records
 * handed out during the batch stay valid (see "Borrowed records"). */
VS_EXPORT void vsDomainRollback(vsDomain *dom);

/**
 * vsDomainReplace:
 * @records: (array length=n): records of the handle's kind, e.g. from
 *   vsSnapshotParse with PARSE_REDEFINE, in any order; not consumed
 * @current: (nullable): the name of the record to make current
 *
 * Makes the VM's tree exactly @records: what an import does (libvirt's
 * per-file layout, another store, a running libvirt).  Validated first,
 * all or nothing: each record of the handle's kind and with a name the
 * kind can store (VS_ERROR_INVALID), no name twice (VS_ERROR_EXISTS), every
 * parent among them and no parent cycle (VS_ERROR_INVALID, naming the
 * record), @current among them (VS_ERROR_NOT_FOUND), and each record
 * storable as vsDomainCreateXML checks it (VS_ERROR_INVALID,
 * VS_ERROR_TOO_LARGE).  Records are taken as given, as libvirt's own
 * loader takes its files: the create and redefine rules do not apply.
 * Records handed out before stay valid (see "Borrowed records").
 * Needs a LOAD_WRITE handle.
 * Cost: O(N) to link and check the records, then one atomic rewrite (none
 * inside a batch).
 */
VS_EXPORT int vsDomainReplace(vsDomain *dom, vsMoment *const *records, guint n,
                              const char *current, GError **error);

/**
 * vsDomainGetMovedAside:
 * A VM whose bulk file is gone is read from its legacy directory DIR/<vm>/
 * again, if there is one (an export-legacy, or a conversion that kept it):
 * the snapshots just deleted would come back.  So a commit that removes the
 * bulk file first moves such a directory to DIR/.virtsnap/legacy/<vm>/<N>/
 * (then removes the file: a crash in between leaves the file, which is the
 * truth).  Returns that directory's path when this handle's last commit
 * (successful or not) moved one, else NULL; tell the user.  Borrowed: valid
 * until the next operation on @dom.
 */
VS_EXPORT const char *vsDomainGetMovedAside(const vsDomain *dom);

/**
 * vsStoreRenameDomain:
 * @out_moved_aside: (out) (optional): like vsDomainGetMovedAside: where
 *   VM @from's legacy directory DIR/<from>/ was moved (it would otherwise
 *   become @from's snapshots again), or NULL; g_free
 * Moves VM @from's snapshots to the name @to (both locked while moving).
 * Errors: VS_ERROR_EXISTS when @to has snapshots or a legacy directory,
 * VS_ERROR_NOT_FOUND, VS_ERROR_IO.  Cost: one rename plus a directory
 * flush (and one more of each for a legacy directory).
 */
VS_EXPORT int vsStoreRenameDomain(char **out_moved_aside, vsStore *store, const char *from,
                        const char *to, GError **error);

/**
 * vsDomainFormat:
 * @out: (out): the VM's whole document (g_free): every record with its
 *   full <domain>, as a plain file holds it and as `zstdcat` shows a
 *   format-2 (zstd) file, whatever the store's compression; inside a
 *   batch, as vsDomainCommit would leave it.  A format-3 (pieces) file
 *   holds references to definitions instead; this is what they stand for
 *   (`virtsnap store-dumpxml`).
 * Errors: none today.  Cost: linear in the document's size, every
 * definition formatted once per record that holds it, all in memory
 * (vsDomainWriteDocument hands it out in parts).
 */
VS_EXPORT int vsDomainFormat(char **out, const vsDomain *dom, GError **error);

/* Receives @len bytes of a document (vsDomainWriteDocument); returns 0, or
 * -1 with @error set to stop the writing. */
typedef int (*vsDocumentWriteFunc)(const char *bytes, gsize len, gpointer data,
                                   GError **error);

/**
 * vsDomainWriteDocument:
 * The document vsDomainFormat returns, handed to @write in order, about
 * 1 MiB at a time (a record is never split across two calls but may be
 * bigger), so memory stays bounded by the biggest record rather than the
 * document: what `virtsnap store-dumpxml` prints, for trees whose document
 * is larger than memory (issue 16's worst case: ~64 GiB).
 * Errors: whatever @write sets; the first failure stops the writing.
 * Cost: linear in the document's size (as vsDomainFormat).
 */
VS_EXPORT int vsDomainWriteDocument(const vsDomain *dom, vsDocumentWriteFunc write,
                                    gpointer data, GError **error);

/* ------------------------------------------------------------------ */
/* Legacy layout (libvirt's per-file directories)                       */
/*
 * libvirt <= 9.x keeps a VM's snapshots as DIR/<vm>/<snap>.xml, one file
 * per snapshot, <active>1</active> marking the current one.  virtsnap reads
 * such a directory with libvirt's rules (INTERNAL format, parents rebuilt)
 * but reports, instead of skipping, everything libvirt would silently drop,
 * and converts a VM only once every problem has an explicit resolution
 * (vsLegacyOptions).  It can also write a VM back in that layout.
 *
 * A directory that was converted is moved aside (by default) to
 * DIR/.virtsnap/legacy/<vm>/<N>/, N = 1, 2, ... per move: under a name no
 * VM can have (VM names never start with '.'), so it is never taken for a
 * VM's legacy directory and never collides with a VM's files.
 */

/* What happens to DIR/<vm>/ once its bulk file is written and verified. */
typedef enum {
    VS_LEGACY_LEFTOVER_MOVE = 0,  /* default: move it aside, keep it all */
    VS_LEGACY_LEFTOVER_KEEP,      /* leave it in place (check reports it) */
    VS_LEGACY_LEFTOVER_REMOVE,    /* delete the converted files; any other
                                   * entry (a dropped file) is moved aside */
} vsLegacyLeftover;

/* Resolutions: each one is an explicit "yes, drop/alter that" from the user. */
typedef enum {
    /* Entries that are not loadable snapshots (unreadable, over 1 MiB,
     * unparsable, junk, stale temporary files, sub-directories, symlinks)
     * are left out; they stay in the moved-aside directory. */
    VS_LEGACY_DROP_BAD_FILES   = 1 << 0,
    /* Snapshots whose parent does not exist become roots (libvirt's view). */
    VS_LEGACY_ORPHANS_ROOT     = 1 << 1,
    /* A name defined by several files: keep the file whose name sorts
     * first (resp. last) bytewise; the others are left out. */
    VS_LEGACY_DUPLICATES_FIRST = 1 << 2,
    VS_LEGACY_DUPLICATES_LAST  = 1 << 3,
    /* Several snapshots marked current: make none current. */
    VS_LEGACY_NO_CURRENT       = 1 << 4,
    /* Convert even though a running libvirt reads the store directory
     * (vsStoreCheckLibvirtIdle): it no longer sees the VM's snapshots
     * until vsStoreExportLegacy writes them back. */
    VS_LEGACY_FORCE_LIBVIRT_RUNNING = 1 << 5,
} vsLegacyResolveFlags;

typedef struct _vsLegacyOptions vsLegacyOptions;

/* Defaults: policy MOVE, no resolution.  Free with vsLegacyOptionsFree. */
VS_EXPORT vsLegacyOptions *vsLegacyOptionsNew(void);
VS_EXPORT void vsLegacyOptionsFree(vsLegacyOptions *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsLegacyOptions, vsLegacyOptionsFree)

VS_EXPORT void vsLegacyOptionsSetLeftover(vsLegacyOptions *opts, vsLegacyLeftover policy);
/* @flags: vsLegacyResolveFlags (FIRST and LAST together are INVALID at use). */
VS_EXPORT void vsLegacyOptionsSetFlags(vsLegacyOptions *opts, unsigned int flags);
/* Makes @name the current snapshot, whatever the files say (resolves
 * "several current"; also picks one when none is).  NULL unsets. */
VS_EXPORT void vsLegacyOptionsSetCurrent(vsLegacyOptions *opts, const char *name);
/* Makes @name a root (its recorded parent is dropped): breaks a parent
 * cycle at a point the user chooses, or re-roots one orphan.  Repeatable. */
VS_EXPORT void vsLegacyOptionsAddRoot(vsLegacyOptions *opts, const char *name);
/* Called after each directory entry is read (@done of @total). */
typedef void (*vsLegacyProgressFunc)(const char *vm, guint done, guint total,
                                     gpointer data);
VS_EXPORT void vsLegacyOptionsSetProgress(vsLegacyOptions *opts, vsLegacyProgressFunc fn,
                                gpointer data);

/* What a finding is about. */
typedef enum {
    VS_LEGACY_PROBLEM_NOT_CONVERTED = 1, /* note: VM still in the legacy layout */
    VS_LEGACY_PROBLEM_LEFTOVER,        /* note: DIR/<vm>/ beside DIR/<vm>.xml,
                                        * same snapshots (interrupted or kept
                                        * conversion, or an export) */
    VS_LEGACY_PROBLEM_DIVERGED,        /* DIR/<vm>/ beside DIR/<vm>.xml, and
                                        * they differ */
    VS_LEGACY_PROBLEM_COLLISION,       /* a path another VM owns; a symlink in DIR */
    VS_LEGACY_PROBLEM_SYMLINK,         /* a symlink in DIR/<vm>/ (never followed) */
    VS_LEGACY_PROBLEM_UNREADABLE,      /* not a regular file, or a read error */
    VS_LEGACY_PROBLEM_TOO_LARGE,       /* over libvirt's 1 MiB limit */
    VS_LEGACY_PROBLEM_UNPARSABLE,      /* a *.xml libvirt cannot parse */
    VS_LEGACY_PROBLEM_JUNK,            /* not *.xml and not a snapshot */
    VS_LEGACY_PROBLEM_STALE_TEMP,      /* *.xml.new (libvirt) or a virtsnap temp */
    VS_LEGACY_PROBLEM_DUPLICATE,       /* several files define one name */
    VS_LEGACY_PROBLEM_NAME_MISMATCH,   /* note: file name is not <name>.xml */
    VS_LEGACY_PROBLEM_MISSING_PARENT,  /* <parent> names no snapshot */
    VS_LEGACY_PROBLEM_CYCLE,           /* parents form a cycle */
    VS_LEGACY_PROBLEM_NO_CURRENT,      /* note: no file has <active>1 */
    VS_LEGACY_PROBLEM_SEVERAL_CURRENT, /* several files have <active>1 */
    VS_LEGACY_PROBLEM_BULK_CORRUPT,    /* the VM's bulk file does not load */
    VS_LEGACY_PROBLEM_UNSUPPORTED_NAME, /* DIR/<name>/ whose name virtsnap cannot
                                        * use as a VM name (leading '.', control
                                        * characters, too long, not UTF-8) */
} vsLegacyProblem;

/* A short keyword ("unparsable", "missing-parent", ...) for output. */
VS_EXPORT const char *vsLegacyProblemToString(vsLegacyProblem kind);

/* Findings and a summary of what was done, from convert, export, check. */
typedef struct _vsLegacyReport vsLegacyReport;
VS_EXPORT void vsLegacyReportFree(vsLegacyReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsLegacyReport, vsLegacyReportFree)

VS_EXPORT guint vsLegacyReportGetCount(const vsLegacyReport *report);
VS_EXPORT vsLegacyProblem vsLegacyReportGetProblem(const vsLegacyReport *report, guint i);
/* TRUE for informational findings, which never block a conversion. */
VS_EXPORT gboolean vsLegacyReportIsNote(const vsLegacyReport *report, guint i);
/* Borrowed strings.  The VM; the store-relative path concerned (NULL when
 * the finding is about the VM as a whole); a one-line message; what was
 * done about it (NULL when nothing was: an unresolved problem or a note). */
VS_EXPORT const char *vsLegacyReportGetDomain(const vsLegacyReport *report, guint i);
VS_EXPORT const char *vsLegacyReportGetPath(const vsLegacyReport *report, guint i);
VS_EXPORT const char *vsLegacyReportGetMessage(const vsLegacyReport *report, guint i);
VS_EXPORT const char *vsLegacyReportGetAction(const vsLegacyReport *report, guint i);
/* Problems (not notes) nothing was done about. */
VS_EXPORT guint vsLegacyReportCountUnresolved(const vsLegacyReport *report);
/* What the operation did, one line per step ("" when nothing). */
VS_EXPORT const char *vsLegacyReportGetSummary(const vsLegacyReport *report);

/**
 * vsStoreListLegacyDomains:
 * @out: (out): NULL-terminated, sorted names of VMs with a directory
 *   DIR/<vm>/ (converted or not; symlinks excluded); g_strfreev
 * Cost: one readdir of the store directory.
 */
VS_EXPORT int vsStoreListLegacyDomains(char ***out, vsStore *store, GError **error);

/**
 * vsStoreFindUnsupportedNames:
 * @out: (out): one VS_LEGACY_PROBLEM_UNSUPPORTED_NAME finding per directory
 *   DIR/<name>/ whose name vsDomainNameCheck refuses (DIR/.virtsnap
 *   excepted): libvirt may keep a VM's snapshots there, which virtsnap can
 *   neither convert nor manage, so the caller should say so rather than
 *   skip it (vsStoreListLegacyDomains leaves them out).
 * Errors: VS_ERROR_IO.  Cost: one readdir of the store directory.
 */
VS_EXPORT int vsStoreFindUnsupportedNames(vsLegacyReport **out, vsStore *store, GError **error);

/**
 * vsStoreFindLibvirt:
 * @out_pidfile: (out): the pid file of a running libvirt qemu driver
 *   (libvirtd, virtqemud or an embedded qemu:///embed one) whose snapshot
 *   directory is this store, or NULL when none runs; g_free
 * @out_pid: (out) (optional): that driver's process id, 0 when none
 *
 * Asks the kernel, without talking to any daemon: the driver holds a lock
 * on its state directory's driver.pid while it runs, and the snapshot
 * directory follows from the state directory's layout (embedded root R:
 * R/lib/qemu/snapshot and R/run/qemu/driver.pid; system:
 * /var/lib/libvirt/qemu/snapshot and /run/libvirt/qemu/driver.pid; session:
 * ~/.config/libvirt/qemu/snapshot and $XDG_RUNTIME_DIR/libvirt/qemu/run/).
 * A libvirt that is stopped (or socket-activated and idle) is not found.
 * Errors: VS_ERROR_IO when a pid file exists but cannot be checked.
 * Cost: a realpath and one open + fcntl per candidate pid file.
 */
VS_EXPORT int vsStoreFindLibvirt(char **out_pidfile, gint64 *out_pid, vsStore *store,
                       GError **error);

/**
 * vsStoreCheckLibvirtIdle:
 * @vm: (nullable): the VM about to be converted (for the message)
 * Fails with VS_ERROR_LOCKED, one line naming the driver, what converting
 * would do to it and how to undo it (`virtsnap export-legacy VM`), when
 * vsStoreFindLibvirt finds a running libvirt using this directory.
 * vsStoreConvertDomain calls it unless VS_LEGACY_FORCE_LIBVIRT_RUNNING.
 */
VS_EXPORT int vsStoreCheckLibvirtIdle(vsStore *store, const char *vm, GError **error);

/**
 * vsStoreConvertDomain:
 * @out: (out) (optional): what was found and done; set also when the
 *   conversion is refused for problems, so the caller can show them all
 * @opts: (nullable): resolutions and leftover policy; NULL: defaults
 *
 * Converts VM @vm from DIR/<vm>/ to DIR/<vm>.xml, holding the VM's lock:
 * reads the directory with libvirt's rules, refuses (VS_ERROR_CORRUPT, one
 * line naming the first problems) while any problem has no resolution,
 * writes the bulk file with one atomic replace, re-reads and compares it,
 * and only then applies the leftover policy.  Safe to interrupt anywhere
 * and to run again: with the bulk file already there, the directory is
 * compared with it and the policy applied if they match; if they differ,
 * nothing is touched (VS_ERROR_EXISTS).  A VM already converted with no
 * directory left succeeds and does nothing.  While a running libvirt reads
 * the store directory (vsStoreCheckLibvirtIdle) nothing is converted unless
 * @opts has VS_LEGACY_FORCE_LIBVIRT_RUNNING.
 * Errors: VS_ERROR_NOT_FOUND (neither file nor directory), VS_ERROR_CORRUPT,
 * VS_ERROR_EXISTS, VS_ERROR_INVALID (options naming no snapshot; a path
 * owned by another VM), VS_ERROR_LOCKED (the VM's lock, or a running
 * libvirt), VS_ERROR_IO.
 * Cost: one read of every file, one atomic write and one read of the bulk
 * file, one rename (MOVE) or one unlink per converted file (REMOVE).
 */
VS_EXPORT int vsStoreConvertDomain(vsLegacyReport **out, vsStore *store, const char *vm,
                         const vsLegacyOptions *opts, GError **error);

typedef enum {
    /* Write over a non-empty DIR/<vm>/: files of the export are replaced,
     * other entries are moved aside (never deleted). */
    VS_LEGACY_EXPORT_FORCE = 1 << 0,
} vsLegacyExportFlags;

/**
 * vsStoreExportLegacy:
 * @out: (out) (optional): summary of what was written
 *
 * Writes DIR/<vm>/<snap>.xml for every snapshot of VM @vm exactly as
 * libvirt 9.0 does (its header comment, element order, secrets included,
 * <active>, mode 0600), each file replaced atomically, so an older libvirt
 * sees every snapshot again.  The bulk file stays (virtsnap keeps using it;
 * `check` reports the directory as a leftover once they differ).  Refuses
 * an existing non-empty directory without EXPORT_FORCE, and any symlink.
 * Errors: VS_ERROR_NOT_FOUND (no bulk file or no snapshots),
 * VS_ERROR_EXISTS, VS_ERROR_INVALID (the directory path is another VM's
 * file or a symlink), VS_ERROR_LOCKED, VS_ERROR_IO.
 * Cost: one read of the bulk file, one atomic write per snapshot.
 */
VS_EXPORT int vsStoreExportLegacy(vsLegacyReport **out, vsStore *store, const char *vm,
                        unsigned int flags, GError **error);

typedef enum {
    /* Fix what can be fixed without guessing, moving things aside rather
     * than deleting them: a stale *.xml.new beside its committed <snap>.xml,
     * a duplicate file identical to the one named <name>.xml, a file not
     * named <name>.xml (renamed when that name is free), stale virtsnap
     * temporary files.  A leftover directory is not touched (it may be an
     * export for an older libvirt): vsStoreConvertDomain moves it. */
    VS_STORE_CHECK_REPAIR = 1 << 0,
} vsStoreCheckFlags;

/**
 * vsStoreCheck:
 * @out: (out): the findings; each repaired one has an action
 * @vm: (nullable): one VM; NULL checks every VM with a bulk file or a
 *   legacy directory, and the store directory itself (symlinks, paths two
 *   VMs would need)
 *
 * Reports leftover legacy directories beside bulk files, VMs not yet
 * converted, bulk files that do not load, every legacy-directory problem
 * listed in vsLegacyProblem and (whole store) directories whose names
 * cannot be VM names (vsStoreFindUnsupportedNames).  Read-only unless CHECK_REPAIR.
 * A store that is not a directory (a database) has no legacy layout: each
 * VM's record is loaded and one that does not load is reported.
 * Errors: VS_ERROR_INVALID (bad VM name), VS_ERROR_LOCKED (repair),
 * VS_ERROR_IO.  Findings are not errors: see vsLegacyReportCountUnresolved.
 * Cost: reads every file concerned once.
 */
VS_EXPORT int vsStoreCheck(vsLegacyReport **out, vsStore *store, const char *vm,
                 unsigned int flags, GError **error);

/* ------------------------------------------------------------------ */
/* Checkpoints (issue 13): libvirt's <domaincheckpoint>, a second kind   */
/* of moment                                                            */
/*
 * A checkpoint records which disks got a dirty bitmap at a moment
 * (libvirt's incremental backup).  It is a vsMoment of kind
 * VS_MOMENT_CHECKPOINT (vsCheckpoint, the same type): every vsDomain call
 * above works on a handle of checkpoints (vsStoreLoadCheckpoints).  Unlike
 * snapshots, no current checkpoint is stored, and virsh shows none: libvirt
 * 9.0 derives it when it loads a VM's checkpoints (the single leaf when
 * all checkpoints form one chain, else none), and a redefine makes the new
 * checkpoint current when its parent is current or there is none.  virtsnap
 * keeps exactly that rule for a plain create's parent and for redefines;
 * vsDomainGetCurrent answers only for what a change on the handle made
 * current, and vsDomainSetCurrent refuses.
 * Checkpoints live in a store of their own (libvirt's checkpointDir): a
 * directory store opened with vsStoreOpen, with one bulk file per VM
 * (root element <checkpoints>, see docs/format.md).
 */

#define VS_MOMENT_CHECKPOINT ((vsMomentKindId) 2)

/* A record of the checkpoint kind (<domaincheckpoint>). */
typedef vsMoment vsCheckpoint;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsCheckpoint, vsMomentUnref)

/* A disk's checkpoint= (libvirt's virDomainCheckpointType). */
typedef enum {
    VS_CHECKPOINT_TYPE_DEFAULT = 0,
    VS_CHECKPOINT_TYPE_NO,
    VS_CHECKPOINT_TYPE_BITMAP,
    VS_CHECKPOINT_TYPE_LAST
} vsCheckpointType;

/* Parse flags: libvirt's VIR_DOMAIN_CHECKPOINT_PARSE_REDEFINE. */
typedef enum {
    VS_CHECKPOINT_PARSE_REDEFINE = 1 << 0,
} vsCheckpointParseFlags;

/* Format flags: libvirt's public VIR_DOMAIN_CHECKPOINT_XML_* values. */
typedef enum {
    VS_CHECKPOINT_FORMAT_SECURE    = 1 << 0, /* keep secrets of the <domain> */
    VS_CHECKPOINT_FORMAT_NO_DOMAIN = 1 << 1, /* leave <domain> out */
    VS_CHECKPOINT_FORMAT_SIZE      = 1 << 2, /* bitmap sizes: needs a running VM */
} vsCheckpointFormatFlags;

/* libvirt's VIR_DOMAIN_CHECKPOINT_CREATE_* values. */
typedef enum {
    VS_CHECKPOINT_CREATE_REDEFINE          = 1 << 0,
    VS_CHECKPOINT_CREATE_QUIESCE           = 1 << 1,
    VS_CHECKPOINT_CREATE_REDEFINE_VALIDATE = 1 << 2,
} vsCheckpointCreateFlags;

/* libvirt's VIR_DOMAIN_CHECKPOINT_DELETE_* values (vsDomainDelete). */
typedef enum {
    VS_CHECKPOINT_DELETE_CHILDREN      = 1 << 0,
    VS_CHECKPOINT_DELETE_METADATA_ONLY = 1 << 1,
    VS_CHECKPOINT_DELETE_CHILDREN_ONLY = 1 << 2,
} vsCheckpointDeleteFlags;

/* libvirt's VIR_DOMAIN_CHECKPOINT_LIST_* values (vsDomainListMoments). */
typedef enum {
    VS_CHECKPOINT_LIST_ROOTS       = 1 << 0, /* domain-wide: roots only */
    VS_CHECKPOINT_LIST_DESCENDANTS = 1 << 0, /* from a checkpoint: all below */
    VS_CHECKPOINT_LIST_TOPOLOGICAL = 1 << 1,
    VS_CHECKPOINT_LIST_LEAVES      = 1 << 2,
    VS_CHECKPOINT_LIST_NO_LEAVES   = 1 << 3,
} vsCheckpointListFlags;

/* Largest checkpoint document vsCheckpointParse accepts (bytes). */
#define VS_CHECKPOINT_XML_MAX VS_SNAPSHOT_XML_MAX

/**
 * vsCheckpointParse:
 * @out: (out): the new record; vsMomentUnref
 * @xml: a <domaincheckpoint> document of @len bytes
 * @flags: vsCheckpointParseFlags
 * @now: without REDEFINE, the creationTime to stamp (and the default
 *   name); 0 stamps nothing (libvirt's xml2xml test without a mocked time)
 *
 * libvirt 9.0's virDomainCheckpointDefParseString: the document is always
 * validated against domaincheckpoint.rng (names match
 * [a-zA-Z0-9_-][a-zA-Z0-9_.-]*); REDEFINE requires <name> and
 * <creationTime> and reads <parent> and <domain>, which are ignored
 * otherwise; a <disk> without checkpoint= is a bitmap.  A creationTime of
 * 0 is refused (libvirt would not write it back).
 * Errors: VS_ERROR_INVALID with libvirt's texts, VS_ERROR_TOO_LARGE.
 * Cost: one parse and one RelaxNG validation (the schema compiled once per
 * process).
 */
VS_EXPORT int vsCheckpointParse(vsCheckpoint **out, const char *xml, gsize len,
                                unsigned int flags, gint64 now, GError **error);

/**
 * vsCheckpointFormat:
 * @out: (out): the document, as libvirt 9.0's checkpoint-dumpxml prints
 *   it (without virsh's extra newline); g_free
 * @flags: vsCheckpointFormatFlags.  SIZE needs the bitmaps of a running
 *   VM, which virtsnap never has: it fails as virsh does on an inactive VM
 *   ("Requested operation is not valid: domain is not running").
 * Errors: VS_ERROR_INVALID (SIZE, unknown flags).  Cost: linear in size.
 */
VS_EXPORT int vsCheckpointFormat(char **out, const vsCheckpoint *chk, unsigned int flags,
                                 GError **error);

/* <disks> entries, in order (@chk must be a checkpoint): target name (or a
 * path, as given, when the record has no <domain> to align with), type and
 * bitmap name (NULL when none).  Borrowed. */
VS_EXPORT guint vsCheckpointGetDiskCount(const vsCheckpoint *chk);
VS_EXPORT const char *vsCheckpointGetDiskName(const vsCheckpoint *chk, guint i);
VS_EXPORT vsCheckpointType vsCheckpointGetDiskType(const vsCheckpoint *chk, guint i);
VS_EXPORT const char *vsCheckpointGetDiskBitmap(const vsCheckpoint *chk, guint i);
/* "default", "no", "bitmap"; NULL out of range. */
VS_EXPORT const char *vsCheckpointTypeToString(vsCheckpointType type);

/**
 * vsCheckpointNameCheck:
 * Names a checkpoint can be stored under: libvirt's schema pattern
 * [a-zA-Z0-9_-][a-zA-Z0-9_.-]* and at most VS_SNAPSHOT_NAME_MAX bytes (a
 * file name in libvirt's layout).  Errors: VS_ERROR_INVALID.
 */
VS_EXPORT int vsCheckpointNameCheck(const char *name, GError **error);

/**
 * vsStoreLoadCheckpoints:
 * Like vsStoreLoadDomain, for VM @vm's checkpoints: @store is the
 * checkpoint store (libvirt's checkpointDir), the file DIR/<vm>.xml whose
 * root is <checkpoints>.  A file of the other kind is never taken for it
 * (VS_ERROR_CORRUPT naming both).  Same flags, errors and cost.
 */
VS_EXPORT int vsStoreLoadCheckpoints(vsDomain **out, vsStore *store, const char *vm,
                                     const char *uuid, unsigned int flags, GError **error);

/* VMs with checkpoints stored in @store (sorted; g_strfreev), and whether
 * @vm has any (bulk file or libvirt directory), as vsStoreListDomains and
 * vsStoreHasDomain; and vsStoreRenameDomain for checkpoints. */
VS_EXPORT int vsStoreListCheckpointDomains(char ***out, vsStore *store, GError **error);
VS_EXPORT int vsStoreHasCheckpoints(gboolean *out, vsStore *store, const char *vm,
                                    GError **error);
VS_EXPORT int vsStoreRenameCheckpoints(char **out_moved_aside, vsStore *store,
                                       const char *from, const char *to, GError **error);

/**
 * vsStoreConvertCheckpoints, vsStoreExportCheckpoints, vsStoreCheckCheckpoints:
 * vsStoreConvertDomain, vsStoreExportLegacy and vsStoreCheck for a
 * checkpoint store: libvirt's DIR/<vm>/<name>.xml checkpoint files (read
 * with libvirt's rules: schema applied, no file marks a current one)
 * converted to DIR/<vm>.xml, written back byte for byte as libvirt 9.0
 * writes them (its header naming `virsh checkpoint-edit`, mode 0600), and
 * checked or repaired.  Same options, findings, errors and costs.
 */
VS_EXPORT int vsStoreConvertCheckpoints(vsLegacyReport **out, vsStore *store, const char *vm,
                                        const vsLegacyOptions *opts, GError **error);
VS_EXPORT int vsStoreExportCheckpoints(vsLegacyReport **out, vsStore *store, const char *vm,
                                       unsigned int flags, GError **error);
VS_EXPORT int vsStoreCheckCheckpoints(vsLegacyReport **out, vsStore *store, const char *vm,
                                      unsigned int flags, GError **error);

/**
 * vsDomainCheckpointCreateXML:
 * @out_name: (out) (optional): the name of the new/redefined checkpoint
 * @dom: a LOAD_WRITE handle from vsStoreLoadCheckpoints
 * @xml: a <domaincheckpoint> document of @len bytes
 * @domain_xml: (nullable): plain create only — the VM's <domain>; NULL
 *   reuses the current checkpoint's (error "internal error: missing domain
 *   in checkpoint" if none)
 * @flags: vsCheckpointCreateFlags: REDEFINE.  As libvirt 9.0's qemu
 *   driver: QUIESCE is refused ("unsupported flags (0x2) in function
 *   qemuCheckpointCreateXML"), and REDEFINE_VALIDATE needs the bitmaps of
 *   a running VM ("Requested operation is not valid: domain is not
 *   running"), which virtsnap never has
 *
 * Redefine (libvirt's virDomainCheckpointRedefinePrep): parent must exist,
 * no self-parent, no cycle; a <domain> must carry the VM's uuid, and then
 * <disks> are aligned with its disks (domain order, paths turned into
 * target names, unlisted disks 'no' — or 'bitmap' when <disks> is absent —,
 * empty or read-only disks 'no'); default bitmap names are the checkpoint
 * name.  The record replaces one of the same name, keeping its children.
 * Plain create: stamped with the store clock, child of the current
 * checkpoint, disks aligned with @domain_xml, becomes current.
 * Errors: VS_ERROR_INVALID (libvirt's texts: "invalid argument: parent c0
 * for moment c1 not found", ...), VS_ERROR_EXISTS, VS_ERROR_TOO_LARGE,
 * VS_ERROR_IO; nothing changes on any error.
 * Cost: as vsDomainCreateXML.
 */
VS_EXPORT int vsDomainCheckpointCreateXML(char **out_name, vsDomain *dom, const char *xml,
                                          gsize len, const char *domain_xml,
                                          unsigned int flags, GError **error);
/* libvirt bridge: pull, push, diff against a running libvirt (issue 14) */
/*
 * Moves a VM's whole snapshot tree between the store and a running libvirt
 * (any URI libvirt's client takes: qemu:///system, qemu+ssh://host/system,
 * qemu:///embed?root=DIR, ...).  Records travel with libvirt's SECURE flag:
 * the store keeps what libvirt keeps.  Works per kind of moment; today the
 * snapshot and the checkpoint kind.  Every call takes the store of each
 * kind: @store for snapshots, @checkpoints (nullable: checkpoints are then
 * left out) for checkpoints, which live in a store of their own.  Snapshots
 * are pushed before checkpoints (libvirt refuses a snapshot redefine while
 * the domain has checkpoints) and purged after them.  Checkpoints have no
 * current one of their own to move (libvirt derives it).
 *
 * Built only when libvirt's client library was found at build time
 * (meson feature "libvirt"); otherwise every call below that talks to
 * libvirt fails with VS_ERROR_FAILED "virtsnap was built without libvirt
 * support", and vsLibvirtIsSupported() is FALSE.
 */

typedef struct _vsLibvirt vsLibvirt;

/* TRUE when this build can talk to libvirt. */
VS_EXPORT gboolean vsLibvirtIsSupported(void);

/**
 * vsLibvirtOpen:
 * @out: (out): the connection; free with vsLibvirtFree
 * @uri: (nullable): as virsh's --connect; NULL takes LIBVIRT_DEFAULT_URI,
 *   then libvirt's own default
 * Opens a read-write connection (SECURE dumps need one) with libvirt's
 * default authentication callback, as virsh does: a server that asks for
 * credentials (SASL, polkit) gets them prompted for on the terminal.  For
 * qemu:///embed URIs libvirt needs an event loop: the first such open
 * registers libvirt's default one and runs it in a thread of its own
 * (process-wide, once).  libvirt's own error printing is turned off
 * (process-wide): errors come back through @error only.  As libvirt asks
 * of its clients, the process should ignore SIGPIPE: a daemon that dies
 * during a call otherwise kills it instead of failing the call.
 * Errors: VS_ERROR_FAILED with libvirt's message.  Cost: a connection.
 */
VS_EXPORT int vsLibvirtOpen(vsLibvirt **out, const char *uri, GError **error);
VS_EXPORT void vsLibvirtFree(vsLibvirt *lv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsLibvirt, vsLibvirtFree)
/* The URI libvirt says it is connected to (borrowed). */
VS_EXPORT const char *vsLibvirtGetURI(const vsLibvirt *lv);

/* @out: (out): NULL-terminated, sorted names of every domain (active or
 * not) the connection has; g_strfreev.  Errors: VS_ERROR_FAILED. */
VS_EXPORT int vsLibvirtListDomains(char ***out, vsLibvirt *lv, GError **error);

typedef enum {
    /* pull: replace a stored tree that differs from libvirt's;
     * push: redefine records libvirt holds with different content */
    VS_LIBVIRT_REPLACE = 1 << 0,
    /* pull: once the store's write is durable (and read back equal),
     * delete libvirt's metadata, children first, METADATA_ONLY */
    VS_LIBVIRT_PURGE   = 1 << 1,
    /* push: only report what would be done */
    VS_LIBVIRT_DRY_RUN = 1 << 2,
} vsLibvirtFlags;

/* One line of a report: a difference (diff, a refused pull or push) or
 * what was done to one record. */
typedef enum {
    VS_LIBVIRT_ONLY_STORE = 1,  /* the record is only in the store */
    VS_LIBVIRT_ONLY_LIBVIRT,    /* the record is only in libvirt */
    VS_LIBVIRT_DIFFERS,         /* same name, different content */
    VS_LIBVIRT_PARENT,          /* same name, different parent (detail says) */
    VS_LIBVIRT_CURRENT,         /* the current record differs (name: the
                                 * store's, NULL for none; detail says) */
    VS_LIBVIRT_CREATED,         /* push: redefined in libvirt, new */
    VS_LIBVIRT_REPLACED,        /* push: redefined over a different one */
    VS_LIBVIRT_SKIPPED,         /* push: libvirt has it identically */
    VS_LIBVIRT_KEPT,            /* push: only in libvirt, left alone */
    VS_LIBVIRT_MADE_CURRENT,    /* push: made current (its CURRENT redefine) */
    VS_LIBVIRT_STORED,          /* pull: stored */
    VS_LIBVIRT_DELETED,         /* pull --purge: metadata deleted in libvirt */
    VS_LIBVIRT_NORMALIZED,      /* push: libvirt took the record but dumps it
                                 * otherwise (it re-formats a <domain> it did
                                 * not write itself); pull --replace stores
                                 * its form */
} vsLibvirtEntry;

/* "only-in-store", "only-in-libvirt", "differs", "parent", "current",
 * "created", "replaced", "skipped", "kept", "made-current", "stored",
 * "deleted", "normalized". */
VS_EXPORT const char *vsLibvirtEntryToString(vsLibvirtEntry entry);

typedef struct _vsLibvirtReport vsLibvirtReport;
VS_EXPORT void vsLibvirtReportFree(vsLibvirtReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsLibvirtReport, vsLibvirtReportFree)
/* The VM the report is about (borrowed). */
VS_EXPORT const char *vsLibvirtReportGetDomain(const vsLibvirtReport *report);
VS_EXPORT guint vsLibvirtReportGetCount(const vsLibvirtReport *report);
VS_EXPORT vsLibvirtEntry vsLibvirtReportGetEntry(const vsLibvirtReport *report, guint i);
VS_EXPORT vsMomentKindId vsLibvirtReportGetKind(const vsLibvirtReport *report, guint i);
/* Borrowed: the record's name (NULL for a CURRENT line without one); a
 * detail for PARENT and CURRENT lines ("store: 'a', libvirt: none"), else
 * NULL. */
VS_EXPORT const char *vsLibvirtReportGetName(const vsLibvirtReport *report, guint i);
VS_EXPORT const char *vsLibvirtReportGetDetail(const vsLibvirtReport *report, guint i);
/* How many lines of @entry the report holds. */
VS_EXPORT guint vsLibvirtReportCountEntry(const vsLibvirtReport *report,
                                          vsLibvirtEntry entry);

/**
 * vsLibvirtDiff:
 * @out: (out): the differences between the store's tree for VM @vm and
 *   libvirt's (empty when equal): records in the store's order, then
 *   libvirt's, the current last
 * @equal: (out): TRUE when they are the same
 * Records are compared as stored (every field, the parent included).
 * Errors: VS_ERROR_NOT_FOUND (no such domain in libvirt, naming it),
 * VS_ERROR_FAILED (libvirt's message), the store's load errors.
 * Cost: one SECURE dump per libvirt record, one load of the VM.
 */
VS_EXPORT int vsLibvirtDiff(vsLibvirtReport **out, gboolean *equal, vsLibvirt *lv,
                            vsStore *store, vsStore *checkpoints, const char *vm,
                            GError **error);

/**
 * vsLibvirtPull:
 * @out: (out) (optional): what was stored and deleted; set also when the
 *   pull is refused because the store holds a different tree (then its
 *   lines are the differences)
 * @flags: VS_LIBVIRT_REPLACE, VS_LIBVIRT_PURGE
 * Reads every snapshot of domain @vm (TOPOLOGICAL list, SECURE dumps, the
 * current one) and makes the store's tree for @vm exactly that, in one
 * durable write (none when the store already holds the same tree).  A
 * store holding a different, non-empty tree is refused (VS_ERROR_EXISTS,
 * one line with the first differences) unless REPLACE.  With PURGE, after
 * the write is durable and read back equal, libvirt's metadata of the
 * records read is deleted children first (METADATA_ONLY), so the domain
 * can migrate.  The store never changes on failure; a PURGE that fails
 * midway leaves the store complete and libvirt with a subset (run again).
 * Errors: VS_ERROR_NOT_FOUND (no such domain), VS_ERROR_EXISTS,
 * VS_ERROR_INVALID (a record libvirt gave that virtsnap refuses, naming
 * it), VS_ERROR_FAILED (libvirt, naming the VM and snapshot),
 * VS_ERROR_LOCKED, VS_ERROR_IO.
 * Cost: one SECURE dump per record, one atomic write, one read back with
 * PURGE and one delete per record.
 */
VS_EXPORT int vsLibvirtPull(vsLibvirtReport **out, vsLibvirt *lv, vsStore *store,
                            vsStore *checkpoints, const char *vm, unsigned int flags,
                            GError **error);

/**
 * vsLibvirtPush:
 * @out: (out) (optional): one line per record: created, replaced, skipped,
 *   kept (only in libvirt: never deleted), made-current; on a refusal for
 *   conflicts, the conflicting records (DIFFERS / PARENT)
 * @target: (nullable): the libvirt domain to push into; NULL: @vm.  When it
 *   is another name, every record's <domain> (and <inactiveDomain>) gets
 *   the target's name and UUID (restoring into a clone)
 * @path_map: (nullable): pairs OLD, NEW, ..., NULL: in every record, a
 *   path (any "file" attribute, a <source>'s "dev") starting with OLD
 *   starts with NEW instead (the first pair that matches); NULL keeps
 *   paths as they are.  A revert uses the snapshot's <domain>, so a clone
 *   whose images live elsewhere needs its paths mapped.
 * @flags: VS_LIBVIRT_REPLACE, VS_LIBVIRT_DRY_RUN
 * Makes libvirt's snapshots of the domain equal the store's: redefines
 * (REDEFINE) parents first in pre-order, CURRENT only on the current
 * record (or a CURRENT redefine of it at the end when libvirt already has
 * it identically but another is current); skips records libvirt has
 * identically, so a run after a failure completes the job.  Refuses
 * before changing anything: records libvirt has with other content
 * (unless REPLACE, VS_ERROR_EXISTS), a domain whose UUID is not the
 * records' (without @target, VS_ERROR_INVALID).  A failure midway leaves
 * libvirt with a parents-first prefix.  Each record redefined is dumped
 * back and compared: one libvirt re-formatted is reported NORMALIZED.
 * Errors: VS_ERROR_NOT_FOUND (nothing stored for @vm, no such domain),
 * VS_ERROR_EXISTS, VS_ERROR_INVALID (also an empty OLD or a missing NEW in
 * @path_map), VS_ERROR_FAILED (libvirt's message,
 * naming the VM and snapshot), the store's load errors.
 * Cost: one SECURE dump per libvirt record, one redefine and one dump per
 * record created or replaced.
 */
VS_EXPORT int vsLibvirtPush(vsLibvirtReport **out, vsLibvirt *lv, vsStore *store,
                            vsStore *checkpoints, const char *vm, const char *target,
                            const char *const *path_map, unsigned int flags,
                            GError **error);

G_END_DECLS

#endif /* VIRTSNAP_H */
