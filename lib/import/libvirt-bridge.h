/* libvirt-bridge.h — what the libvirt bridge's files share (internal):
 * the report (libvirt-report.c, always built) and the live side
 * (libvirt-live.c with libvirt's client, libvirt-off.c without). */
#pragma once

#include "virtsnap/virtsnap.h"

vsLibvirtReport *vsLibvirtReportNew(const char *vm);
/* Appends a line; @name and @detail are copied (both nullable). */
void vsLibvirtReportAdd(vsLibvirtReport *report, vsLibvirtEntry entry, vsMomentKindId kind,
                        const char *name, const char *detail);
