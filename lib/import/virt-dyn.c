/* virt-dyn.c — the libvirt client library's functions, loaded when first needed (virt-dyn.h). */
#include "util/dynlib.h"
#include "import/virt-dyn.h"

static const char *const names[] = {
    "virConnectAuthPtrDefault",
    "virConnectClose",
    "virConnectGetURI",
    "virConnectListAllDomains",
    "virConnectOpenAuth",
    "virDomainCheckpointCreateXML",
    "virDomainCheckpointDelete",
    "virDomainCheckpointFree",
    "virDomainCheckpointGetName",
    "virDomainCheckpointGetXMLDesc",
    "virDomainCheckpointLookupByName",
    "virDomainFree",
    "virDomainGetName",
    "virDomainGetUUIDString",
    "virDomainHasCurrentSnapshot",
    "virDomainListAllCheckpoints",
    "virDomainListAllSnapshots",
    "virDomainLookupByName",
    "virDomainSnapshotCreateXML",
    "virDomainSnapshotCurrent",
    "virDomainSnapshotDelete",
    "virDomainSnapshotFree",
    "virDomainSnapshotGetName",
    "virDomainSnapshotGetXMLDesc",
    "virDomainSnapshotLookupByName",
    "virEventRegisterDefaultImpl",
    "virEventRunDefaultImpl",
    "virGetLastError",
    "virGetLastErrorMessage",
    "virSetErrorFunc",
    NULL,
};

vsVirtFuncs vsVirt;

int
vsVirtLoad(GError **error)
{
    static vsDynlib lib = {
        .soname = "libvirt.so.0", .what = "the libvirt client library",
        .names = names, .slots = (gpointer *) &vsVirt,
    };

    G_STATIC_ASSERT(sizeof(vsVirt) == (G_N_ELEMENTS(names) - 1) * sizeof(gpointer));
    return vsDynlibLoad(&lib, error);
}
