/* cmd-snapshot-edit.c — snapshot-edit: the definition in an editor, then
 * redefined (and renamed or cloned), as virsh's snapshot-edit does. */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd-snapshot.h"

const vsCliOptDef vsCliOptsSnapshotEdit[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "snapshot name" },
    VS_OPT_CURRENT("also set edited snapshot as current"),
    { "rename", VS_CLI_OT_BOOL, 0, "allow renaming an existing snapshot" },
    { "clone", VS_CLI_OT_BOOL, 0, "allow cloning to new name" },
    { 0 }
};

/* Runs $VISUAL / $EDITOR / vi on @path; the editor string may carry
 * options, so it goes through sh, with the file as "$1" (never quoted
 * into the command line).  Also checkpoint-edit's (cli.h). */
int
vsCliRunEditor(vsCli *cli, const char *path)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *script = NULL;
    const char *editor = g_getenv("VISUAL");
    int status = 0;

    if (!editor || !*editor)
        editor = g_getenv("EDITOR");
    if (!editor || !*editor)
        editor = "vi";
    script = g_strdup_printf("%s \"$1\"", editor);
    {
        const char *argv[] = { "/bin/sh", "-c", script, "sh", path, NULL };

        fflush(stdout);
        if (!g_spawn_sync(NULL, (char **)argv, NULL,
                          G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                          NULL, NULL, &status, &err)) {
            vsCliError(cli, "cannot run editor '%s': %s", editor, err->message);
            return -1;
        }
    }
    if (!g_spawn_check_wait_status(status, &err)) {
        vsCliError(cli, "editor '%s' failed: %s", editor, err->message);
        return -1;
    }
    return 0;
}

/* virsh's vshAskReedit: only asked on a terminal; -1 otherwise. */
static int
vsCliAskReedit(vsCli *cli, const char *msg)
{
    if (!isatty(STDIN_FILENO))
        return -1;
    for (;;) {
        char line[64];

        vsCliPrint(cli, "%s\nTry again? [y,n,f,?]:", msg);
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
            return 'n';
        switch (line[0]) {
        case 'y':
        case 'n':
        case 'f':
            return line[0];
        default:
            vsCliPrint(cli, "y - yes, start editor again\n"
                       "n - no, throw away my changes\n"
                       "f - force, try to redefine again\n"
                       "? - print this help\n");
        }
    }
}

/* Puts the definition of the snapshot to edit in a new temporary file;
 * *name, *doc and *tmp are set as far as it got (-1, reported). */
static int
vsCliEditStart(vsCli *cli, const vsCliCmd *cmd, char **name, char **doc,
               char **tmp)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    int fd;

    /* No lock is held while the editor runs: the definition is compared
     * again, under the lock, before it is replaced, as virsh does. */
    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if (vsCliLookupSnapshot(cli, cmd, "snapshotname", FALSE, dom, &snap) < 0)
        return -1;
    /* a copy: the handle is dropped while the editor runs */
    *name = g_strdup(vsMomentGetName(snap));
    if (vsCliFormatSnapshot(cli, dom, snap, VS_SNAPSHOT_FORMAT_SECURE, doc) < 0)
        return -1;

    /* The file holds secrets: g_file_open_tmp creates it 0600. */
    if ((fd = g_file_open_tmp("virtsnapXXXXXX.xml", tmp, &err)) < 0) {
        vsCliError(cli, "cannot create a temporary file: %s", err->message);
        return -1;
    }
    close(fd);
    if (!g_file_set_contents(*tmp, *doc, -1, &err)) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

/* virsh's edit loop: runs the editor on @tmp until its result redefines
 * snapshot @name (1: *dom_out and *edited_name set), is unchanged (0), or
 * the user gives up (-1, reported).  *doc is the definition as the store
 * last had it: a change by someone else while the editor ran is caught
 * under the lock and offered for editing again. */
static int
vsCliEditLoop(vsCli *cli, const vsCliCmd *cmd, const char *name, const char *tmp,
              unsigned int define_flags, char **doc, vsDomain **dom_out,
              char **edited_name)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *edited = NULL;
    vsDomain *dom = NULL;
    gsize edited_len = 0;

    for (gboolean run_editor = TRUE;;) {
        g_autofree char *reread = NULL;
        const vsSnapshot *cur;
        const char *msg = NULL;
        unsigned int flags = define_flags;
        int c;

        if (run_editor) {
            /* No lock may be held while a person edits. */
            vsCliFlushDomains(cli);
            if (vsCliRunEditor(cli, tmp) < 0)
                return -1;
            g_clear_pointer(&edited, g_free);
            if (vsCliReadXml(cli, tmp, &edited, &edited_len) < 0)
                return -1;
            if (strcmp(*doc, edited) == 0 &&
                !(define_flags & VS_SNAPSHOT_CREATE_CURRENT)) {
                vsCliPrintExtra(cli, "Snapshot %s XML configuration not changed.\n",
                                name);
                return 0;
            }
        }

        g_clear_error(&err);
        if (vsCliLoadDomain(cli, cmd, TRUE, &dom) < 0)
            return -1;
        if (!(cur = vsDomainLookup(dom, name, &err)) ||
            vsSnapshotFormat(&reread, cur, vsDomainGetUUID(dom), VS_SNAPSHOT_FORMAT_SECURE, &err) < 0) {
            vsCliReportGError(cli, err);
            return -1;
        }
        if (strstr(edited, "<state>disk-snapshot</state>"))
            flags |= VS_SNAPSHOT_CREATE_DISK_ONLY;
        if (strcmp(*doc, reread) != 0) {
            msg = "The XML configuration was changed by another user.";
            g_free(*doc);
            *doc = g_steal_pointer(&reread);
        } else if (vsDomainCreateXML(edited_name, dom, edited, edited_len,
                                     NULL, 0, flags, &err) < 0) {
            vsCliReportGError(cli, err);
            msg = "Failed.";
        } else {
            *dom_out = dom;
            return 1;
        }

        dom = NULL;
        vsCliFlushDomains(cli);
        c = vsCliAskReedit(cli, msg);
        if (c == 'y' || c == 'f') {
            run_editor = c == 'y';
            continue;
        }
        /* Without a terminal to ask on, the define error (already
         * reported) is the answer; a concurrent change is reported. */
        if (c < 0 && !err)
            vsCliError(cli, "%s", msg);
        return -1;
    }
}

/* A redefinition under a new name is a clone (--clone), a rename
 * (--rename: the old name goes) or refused (the new one goes again). */
static int
vsCliEditFinish(vsCli *cli, const vsCliCmd *cmd, vsDomain *dom, const char *name,
                const char *edited_name)
{
    g_autoptr(GError) err = NULL;
    gboolean rename_ok = vsCliOptBool(cmd, "rename");
    const char *victim = rename_ok ? name : edited_name;

    if (strcmp(name, edited_name) == 0) {
        vsCliPrintExtra(cli, "Snapshot %s edited.\n", name);
        return 0;
    }
    if (vsCliOptBool(cmd, "clone")) {
        vsCliPrintExtra(cli, "Snapshot %s cloned to %s.\n", name, edited_name);
        return 0;
    }
    if (vsDomainDelete(dom, victim, VS_SNAPSHOT_DELETE_METADATA_ONLY, &err) < 0) {
        vsCliReportGError(cli, err);
        vsCliError(cli, "Failed to clean up %s", victim);
        return -1;
    }
    if (!rename_ok) {
        vsCliError(cli, "Must use --rename or --clone to change %s to %s",
                   name, edited_name);
        return -1;
    }
    return 0;
}

int
vsCliCmdSnapshotEdit(vsCli *cli, const vsCliCmd *cmd)
{
    vsDomain *dom = NULL;
    g_autofree char *name = NULL;
    g_autofree char *doc = NULL;
    g_autofree char *tmp = NULL;
    g_autofree char *edited_name = NULL;
    unsigned int define_flags = VS_SNAPSHOT_CREATE_REDEFINE;
    int ret = -1;
    int rc;

    if (vsCliOptExclusive(cli, cmd, "rename", "clone") < 0)
        return -1;
    if (vsCliOptBool(cmd, "current") && vsCliOptBool(cmd, "snapshotname"))
        define_flags |= VS_SNAPSHOT_CREATE_CURRENT;

    if (vsCliEditStart(cli, cmd, &name, &doc, &tmp) < 0)
        goto cleanup;
    rc = vsCliEditLoop(cli, cmd, name, tmp, define_flags, &doc, &dom, &edited_name);
    if (rc < 0 || (rc > 0 && vsCliEditFinish(cli, cmd, dom, name, edited_name) < 0))
        goto cleanup;
    ret = 0;

 cleanup:
    if (tmp)
        unlink(tmp);
    if (ret < 0 && name)
        vsCliError(cli, "Failed to update %s", name);
    return ret;
}
