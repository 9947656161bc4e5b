/* cmd-store.h — what the store group's files share (tools/ only).
 *
 * cmd-store.c holds the group's table; a command with a file of its own
 * defines its option table and handler there, declared here for that
 * table.
 */
#ifndef VS_CMD_STORE_H
#define VS_CMD_STORE_H

#include "cli.h"

extern const vsCliOptDef vsCliOptsCopy[];               /* cmd-copy-store.c */
int vsCliCmdCopy(vsCli *cli, const vsCliCmd *cmd);

#endif
