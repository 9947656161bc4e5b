/* cli.h — what the files of the virtsnap command share (tools/ only).
 *
 * The CLI sees libvirtsnap only through <virtsnap/virtsnap.h>.  Its files:
 *   virtsnap.c         main: global options, the table of command groups,
 *                      running a batch or the standard-input command stream
 *   parse.c            virsh's command syntax; a parsed command's options
 *   domains.c          the store and VM handles the commands of a batch share
 *   input.c            capped reads: a file a command names, stdin lines
 *   output.c           messages, command output, virsh's table and tree
 *                      layouts, times, --json
 *   cmd-shell.c        help, exit, quit, and every help text
 *   cmd-snapshot.c     the snapshot-* group: its table and shared helpers
 *                      (cmd-snapshot.h); its commands, one family per file,
 *                      in cmd-snapshot-{create,list,info,dumpxml,edit,delete}.c
 *   cmd-checkpoint.c   the checkpoint-* group (the checkpoint store, --checkpoint-dir)
 *   cmd-store.c        convert, export-legacy, check, undefine, domrename,
 *                      store-config; copy-store and store-dumpxml in
 *                      cmd-copy-store.c and cmd-store-dump.c (cmd-store.h)
 *   cmd-xml.c          xml
 *   cmd-libvirt.c      pull, push, diff: the bridge to a running libvirt
 *
 * Each command group is a table of commands, each with an option table
 * from which both the parser and `--help` work.  To add a group, define a
 * vsCliGroup in its own cmd-*.c file, declare it below and list it in
 * vsCliGroups[] in virtsnap.c (and the file in tools/meson.build).
 */
#ifndef VS_CLI_H
#define VS_CLI_H

#include <stdio.h>
#include <virtsnap/virtsnap.h>

/* virsh's VSH_MAX_XML_FILE: the largest XML file a command reads. */
#define VS_CLI_MAX_XML_FILE (10 * 1024 * 1024)

typedef enum {
    VS_CLI_OT_BOOL,     /* --opt */
    VS_CLI_OT_STRING,   /* --opt VALUE, --opt=VALUE, or the next positional */
    VS_CLI_OT_ARGV,     /* like STRING, repeatable; takes every remaining positional */
} vsCliOptType;

typedef enum {
    VS_CLI_OF_REQUIRED = 1 << 0,  /* must be given; shown as <name> */
    VS_CLI_OF_NAMED    = 1 << 1,  /* only as --opt VALUE, never positional */
    VS_CLI_OF_EMPTY_OK = 1 << 2,  /* an empty value is not an error */
} vsCliOptFlags;

typedef struct {
    const char *name;
    vsCliOptType type;
    unsigned int flags;     /* vsCliOptFlags */
    const char *help;
} vsCliOptDef;

typedef struct _vsCli vsCli;
typedef struct _vsCliCmd vsCliCmd;

/* 0 on success; -1 after the error was reported with vsCliError. */
typedef int (*vsCliHandler)(vsCli *cli, const vsCliCmd *cmd);

typedef struct {
    const char *name;
    const char *summary;          /* one line, after NAME */
    const char *description;      /* DESCRIPTION paragraph */
    const vsCliOptDef *opts;      /* terminated by { NULL } */
    vsCliHandler handler;
} vsCliCmdDef;

typedef struct {
    const char *title;            /* heading in `virtsnap help` */
    const char *keyword;          /* `virtsnap help KEYWORD` lists the group */
    const vsCliCmdDef *cmds;      /* terminated by { NULL } */
} vsCliGroup;

/* The command groups (one per cmd-*.c). */
extern const vsCliGroup vsCliGroupSnapshot;
extern const vsCliGroup vsCliGroupCheckpoint;
extern const vsCliGroup vsCliGroupXml;
extern const vsCliGroup vsCliGroupStore;
extern const vsCliGroup vsCliGroupShell;
extern const vsCliGroup vsCliGroupLibvirt;

/* Process-wide state shared by all commands of one invocation. */
struct _vsCli {
    gboolean quiet;         /* -q: no headers, no extra newlines, no "Extra" text */
    char *store_dir;        /* the store directory in use */
    gboolean have_now;      /* VIRTSNAP_NOW set: fixed clock for creates */
    gint64 now;
    gboolean quit;          /* a `quit` command ran */
    gboolean stdin_commands; /* commands are read from standard input */
    vsStore *store;         /* opened by the first vsCliLoadDomain */
    GHashTable *domains;    /* VM name -> loaded handle, see vsCliLoadDomain */
    /* checkpoints: their own store (libvirt's checkpointDir) and handles */
    char *checkpoint_dir;   /* --checkpoint-dir, else derived (vsCliDefaultCheckpointDir) */
    vsStore *checkpoint_store;
    GHashTable *checkpoint_domains;
    char *connect_uri;      /* -c/--connect URI: libvirt's, for pull/push/diff */
    int status;             /* exit status the last command asks for (diff: 1 when
                             * different, 2 on error); 0: 0 on success, 1 on error */
};

/* --- options of a parsed command (parse.c) ------------------------- */

const char *vsCliCmdName(const vsCliCmd *cmd);
gboolean vsCliOptBool(const vsCliCmd *cmd, const char *name);
/* 0 when absent (*value = NULL), 1 when present, -1 when present but
 * empty (reported like virsh: "Failed to get option 'X': ..."). */
int vsCliOptString(vsCli *cli, const vsCliCmd *cmd, const char *name,
                   const char **value);
/* Every value of an ARGV option, in order (NULL when absent). */
const GPtrArray *vsCliOptArgv(const vsCliCmd *cmd, const char *name);
/* virsh's VSH_EXCLUSIVE_OPTIONS: -1 (reported) when both are present. */
int vsCliOptExclusive(vsCli *cli, const vsCliCmd *cmd,
                      const char *a, const char *b);

/* --- output (output.c) ---------------------------------------------- */

/* "error: MESSAGE" on stderr (stdout is flushed first). */
void vsCliError(vsCli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* "warning: MESSAGE" on stderr: the command succeeded, but not entirely as
 * virsh's would (not dropped by -q). */
void vsCliWarning(vsCli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* "note: MESSAGE" on stderr: something the user should know that virsh
 * would not have done (not dropped by -q). */
void vsCliNote(vsCli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* When an operation moved VM @vm's legacy directory aside (@aside non-NULL,
 * vsDomainGetMovedAside), says so in one "note:" line on stderr. */
void vsCliNoteMovedAside(vsCli *cli, const char *vm, const char *aside);
void vsCliReportGError(vsCli *cli, const GError *err);
/* Command output on stdout. */
void vsCliPrint(vsCli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Informational output, dropped by -q (virsh's vshPrintExtra). */
void vsCliPrintExtra(vsCli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* --- store and VM handles (domains.c; errors reported) ---------------- */

/* A new store handle of the caller's.  Drops the VM handles kept by
 * vsCliLoadDomain first (and so their locks): the caller may lock any VM. */
int vsCliOpenStore(vsCli *cli, gboolean create, vsStore **out);
/* The VM named by the command's "domain" option, borrowed.  @write takes
 * the VM's lock (mutating commands).  Fails like virsh ("failed to get
 * domain 'X'") when the store has nothing for the VM (vsStoreHasDomain),
 * and on a missing store directory.  Handles are kept while the commands
 * of a batch follow each other, so a batch loads each VM once and our own
 * writes are seen; they are dropped (locks released) before waiting for
 * input, before an editor runs, by vsCliOpenStore and at exit. */
int vsCliLoadDomain(vsCli *cli, const vsCliCmd *cmd, gboolean write,
                    vsDomain **dom_out);
/* The same for the commands that create a snapshot, which may start a new
 * VM (and create the store directory): a write handle, no existence check. */
int vsCliLoadDomainToCreate(vsCli *cli, const vsCliCmd *cmd, vsDomain **dom_out);
/* virtsnap knows a VM only by what @store holds for it (vsStoreHasDomain):
 * reports virsh's "failed to get domain 'VM'" and returns -1 when nothing. */
int vsCliRequireKnownDomain(vsCli *cli, vsStore *store, const char *vm);
/* The same two for a VM's checkpoints (the checkpoint store, opened and
 * created on first use; a VM is known by its snapshots or checkpoints). */
int vsCliLoadCheckpoints(vsCli *cli, const vsCliCmd *cmd, gboolean write,
                         vsDomain **dom_out);
int vsCliLoadCheckpointsToCreate(vsCli *cli, const vsCliCmd *cmd, vsDomain **dom_out);
/* A new handle on the checkpoint store (like vsCliOpenStore); *out NULL
 * when its directory does not exist and @create is FALSE. */
int vsCliOpenCheckpointStore(vsCli *cli, gboolean create, vsStore **out);
/* Drops every kept VM handle (releasing their locks). */
void vsCliFlushDomains(vsCli *cli);

/* --- input (input.c) ------------------------------------------------ */

/* Reads at most @max bytes of @path ("-" is standard input when
 * @dash_is_stdin); a longer file is a TOO_LARGE error. */
int vsCliReadFile(char **out, gsize *len, const char *path, gsize max,
                  gboolean dash_is_stdin, GError **error);

/* Runs the user's editor ($VISUAL, $EDITOR, vi) on @path; -1 (reported)
 * when it cannot run or fails (cmd-snapshot-edit.c). */
int vsCliRunEditor(vsCli *cli, const char *path);

/* virsh's --xpath EXPR [--wrap] on a document of ours: the matching nodes,
 * one per line or under one <nodes> root; -1 (reported)
 * (cmd-snapshot-dumpxml.c). */
int vsCliDumpXPath(vsCli *cli, const char *xml, const char *xpath, gboolean wrap);

/* --- virsh's layouts (output.c) ------------------------------------ */

typedef struct _vsCliTable vsCliTable;
vsCliTable *vsCliTableNew(guint ncols, const char *const *header);
void vsCliTableAddRow(vsCliTable *table, const char *const *cells);
/* virsh's vsh-table layout; @header prints the header and dashes. */
char *vsCliTableFormat(vsCliTable *table, gboolean header);
void vsCliTableFree(vsCliTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsCliTable, vsCliTableFree)

/* Prints virsh's vshTreePrint for entry @root of @n entries as it goes
 * (nothing built: the output of a chain is quadratic); @parents[i] is the
 * index of entry i's parent, -1 for none, -2 for one not listed. */
void vsCliTreePrint(vsCli *cli, const char *const *names, const int *parents, guint n,
                    guint root);
/* --tree of a list of moments: every entry whose parent is not listed
 * starts a tree; @start (--from) is printed as the root of what is below it. */
void vsCliPrintMomentTree(vsCli *cli, GPtrArray *list, const vsMoment *start);

/* The order of virsh's plain lists (its vshStrcasecmp on names), for
 * g_ptr_array_sort on records. */
gint vsCliCompareMomentNames(gconstpointer a, gconstpointer b);

/* Local time like virsh's listing: "%Y-%m-%d %H:%M:%S %z". */
char *vsCliFormatTime(gint64 when);

/* Where store @store keeps checkpoints when no --checkpoint-dir says (virtsnap.c). */
char *vsCliDefaultCheckpointDir(const char *store);

/* JSON: a string literal (or null) and one snapshot object. */
void vsCliJsonString(GString *out, const char *str);
void vsCliJsonSnapshot(GString *out, const vsDomain *dom,
                       const vsSnapshot *snap, guint indent);

/* --- the program around the commands (not for command handlers) ----- */

/* Every command group, in `help` order, NULL-terminated (virtsnap.c). */
extern const vsCliGroup *const vsCliGroups[];
/* The command called @name in any group, or NULL (virtsnap.c). */
const vsCliCmdDef *vsCliFindCommand(const char *name);
/* Parses a whole batch — a command string in virsh's syntax, or an
 * argument vector, one word per element — into the commands to run, in
 * order (free the array).  NULL (reported) when any command is malformed:
 * then nothing runs (parse.c). */
GPtrArray *vsCliParseString(vsCli *cli, const char *str);
GPtrArray *vsCliParseArgv(vsCli *cli, char **argv, int argc);
/* Runs a parsed command: its handler's result (parse.c). */
int vsCliCmdRun(vsCli *cli, const vsCliCmd *cmd);
/* Whether @opt takes a positional argument: a value option that is not
 * VS_CLI_OF_NAMED (parse.c). */
gboolean vsCliOptIsPositional(const vsCliOptDef *opt);
/* `virtsnap --help`: the global options and every group (cmd-shell.c). */
void vsCliUsage(vsCli *cli);

/* Longest line read in standard-input mode (input.c). */
#define VS_CLI_MAX_LINE (1024 * 1024)

/* Standard input, read with our own buffer so we know when the next
 * read would block. */
typedef struct {
    GString *buf;       /* bytes read but not yet returned */
    gboolean eof;
} vsCliInput;

/* Reads one line (without its newline) into @line; FALSE at the end of
 * input.  A line over VS_CLI_MAX_LINE bytes sets *too_long and is
 * skipped.  Before waiting for more input the kept VM handles are
 * dropped: a pause in the input must not keep other writers locked out. */
gboolean vsCliReadLine(vsCli *cli, vsCliInput *in, GString *line,
                       gboolean *too_long);

#endif /* VS_CLI_H */
