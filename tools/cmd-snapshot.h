/* cmd-snapshot.h — what the snapshot-* command files share (tools/ only).
 *
 * cmd-snapshot.c holds the group's table and the helpers below; each
 * cmd-snapshot-FAMILY.c defines the option tables and handlers of its
 * commands, declared here for that table.
 */
#ifndef VS_CMD_SNAPSHOT_H
#define VS_CMD_SNAPSHOT_H

#include "cli.h"

/* Options most snapshot commands have, with virsh's help texts. */
#define VS_OPT_DOMAIN { "domain", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED, "domain name" }
#define VS_OPT_CURRENT(help) { "current", VS_CLI_OT_BOOL, 0, help }
#define VS_OPT_JSON { "json", VS_CLI_OT_BOOL, 0, "print one JSON document" }

/* virsh's virshLookupSnapshot: the snapshot named by option @arg, or with
 * --current the current one (@exclusive: not both); borrowed from @dom.
 * -1 (reported) when neither is given or there is no such snapshot. */
int vsCliLookupSnapshot(vsCli *cli, const vsCliCmd *cmd, const char *arg,
                        gboolean exclusive, const vsDomain *dom,
                        const vsSnapshot **snap);
/* The VM of the "domain" option (vsCliLoadDomain, @write) and in it the
 * snapshot of "snapshotname" or --current (not both); -1 (reported). */
int vsCliLoadSnapshot(vsCli *cli, const vsCliCmd *cmd, gboolean write,
                      vsDomain **dom, const vsSnapshot **snap);
/* --json for one snapshot: its object and a newline on stdout. */
void vsCliPrintSnapshotJson(vsCli *cli, const vsDomain *dom, const vsSnapshot *snap);
/* vsSnapshotFormat with @dom's UUID; -1 (reported). */
int vsCliFormatSnapshot(vsCli *cli, const vsDomain *dom, const vsSnapshot *snap,
                        unsigned int flags, char **out);
/* An XML file a command names (virsh's 10 MiB cap); -1 (reported). */
int vsCliReadXml(vsCli *cli, const char *path, char **buf, gsize *len);

/* The commands, by family (file). */
extern const vsCliOptDef vsCliOptsSnapshotCreate[];     /* cmd-snapshot-create.c */
extern const vsCliOptDef vsCliOptsSnapshotCreateAs[];
int vsCliCmdSnapshotCreate(vsCli *cli, const vsCliCmd *cmd);
int vsCliCmdSnapshotCreateAs(vsCli *cli, const vsCliCmd *cmd);

extern const vsCliOptDef vsCliOptsSnapshotList[];       /* cmd-snapshot-list.c */
int vsCliCmdSnapshotList(vsCli *cli, const vsCliCmd *cmd);

extern const vsCliOptDef vsCliOptsSnapshotInfo[];       /* cmd-snapshot-info.c */
extern const vsCliOptDef vsCliOptsSnapshotCurrent[];
extern const vsCliOptDef vsCliOptsSnapshotParent[];
int vsCliCmdSnapshotInfo(vsCli *cli, const vsCliCmd *cmd);
int vsCliCmdSnapshotCurrent(vsCli *cli, const vsCliCmd *cmd);
int vsCliCmdSnapshotParent(vsCli *cli, const vsCliCmd *cmd);

extern const vsCliOptDef vsCliOptsSnapshotDumpxml[];    /* cmd-snapshot-dumpxml.c */
int vsCliCmdSnapshotDumpxml(vsCli *cli, const vsCliCmd *cmd);

extern const vsCliOptDef vsCliOptsSnapshotEdit[];       /* cmd-snapshot-edit.c */
int vsCliCmdSnapshotEdit(vsCli *cli, const vsCliCmd *cmd);

extern const vsCliOptDef vsCliOptsSnapshotDelete[];     /* cmd-snapshot-delete.c */
extern const vsCliOptDef vsCliOptsSnapshotRevert[];
int vsCliCmdSnapshotDelete(vsCli *cli, const vsCliCmd *cmd);
int vsCliCmdSnapshotRevert(vsCli *cli, const vsCliCmd *cmd);

#endif /* VS_CMD_SNAPSHOT_H */
