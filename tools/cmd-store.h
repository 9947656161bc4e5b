/* cmd-store.h — what the store group's files share (tools/ only).
 *
 * cmd-store.c holds the group's table and the helpers below; a command
 * with a file of its own defines its option table and handler there,
 * declared here for that table.
 */
#ifndef VS_CMD_STORE_H
#define VS_CMD_STORE_H

#include "cli.h"

/* The store at @location (a checkpoint store: vsCliDefaultCheckpointDir
 * or --checkpoint-dir), created when @create; *out NULL with no error when
 * it does not exist and @create is FALSE.  (cmd-store.c) */
int vsCliOpenCheckpointSide(vsStore **out, const char *location, gboolean create,
                            GError **error);

extern const vsCliOptDef vsCliOptsCopy[];               /* cmd-copy-store.c */
int vsCliCmdCopy(vsCli *cli, const vsCliCmd *cmd);

extern const vsCliOptDef vsCliOptsStoreDump[];          /* cmd-store-dump.c */
int vsCliCmdStoreDump(vsCli *cli, const vsCliCmd *cmd);

#endif
