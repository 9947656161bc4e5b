/* virt-dyn.h — libvirt's client library, called through a table filled when
 * first needed (util/dynlib.h), so that a process that does not use it never
 * loads it.  Include after libvirt/libvirt.h and libvirt/virterror.h; call
 * vsVirtLoad() before the first call.  A function (or variable) missing from
 * the table fails to link: add it here and in virt-dyn.c. */
#pragma once
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <glib.h>

typedef struct {
    __typeof__(virConnectAuthPtrDefault) *virConnectAuthPtrDefault;   /* a variable */
    __typeof__(virConnectClose) *virConnectClose;
    __typeof__(virConnectGetURI) *virConnectGetURI;
    __typeof__(virConnectListAllDomains) *virConnectListAllDomains;
    __typeof__(virConnectOpenAuth) *virConnectOpenAuth;
    __typeof__(virDomainCheckpointCreateXML) *virDomainCheckpointCreateXML;
    __typeof__(virDomainCheckpointDelete) *virDomainCheckpointDelete;
    __typeof__(virDomainCheckpointFree) *virDomainCheckpointFree;
    __typeof__(virDomainCheckpointGetName) *virDomainCheckpointGetName;
    __typeof__(virDomainCheckpointGetXMLDesc) *virDomainCheckpointGetXMLDesc;
    __typeof__(virDomainCheckpointLookupByName) *virDomainCheckpointLookupByName;
    __typeof__(virDomainFree) *virDomainFree;
    __typeof__(virDomainGetName) *virDomainGetName;
    __typeof__(virDomainGetUUIDString) *virDomainGetUUIDString;
    __typeof__(virDomainHasCurrentSnapshot) *virDomainHasCurrentSnapshot;
    __typeof__(virDomainListAllCheckpoints) *virDomainListAllCheckpoints;
    __typeof__(virDomainListAllSnapshots) *virDomainListAllSnapshots;
    __typeof__(virDomainLookupByName) *virDomainLookupByName;
    __typeof__(virDomainSnapshotCreateXML) *virDomainSnapshotCreateXML;
    __typeof__(virDomainSnapshotCurrent) *virDomainSnapshotCurrent;
    __typeof__(virDomainSnapshotDelete) *virDomainSnapshotDelete;
    __typeof__(virDomainSnapshotFree) *virDomainSnapshotFree;
    __typeof__(virDomainSnapshotGetName) *virDomainSnapshotGetName;
    __typeof__(virDomainSnapshotGetXMLDesc) *virDomainSnapshotGetXMLDesc;
    __typeof__(virDomainSnapshotLookupByName) *virDomainSnapshotLookupByName;
    __typeof__(virEventRegisterDefaultImpl) *virEventRegisterDefaultImpl;
    __typeof__(virEventRunDefaultImpl) *virEventRunDefaultImpl;
    __typeof__(virGetLastError) *virGetLastError;
    __typeof__(virGetLastErrorMessage) *virGetLastErrorMessage;
    __typeof__(virSetErrorFunc) *virSetErrorFunc;
} vsVirtFuncs;
extern vsVirtFuncs vsVirt;

/* Errors: VS_ERROR_FAILED (the library cannot be loaded). */
int vsVirtLoad(GError **error);

#define virConnectAuthPtrDefault (*vsVirt.virConnectAuthPtrDefault)
#define virConnectClose (vsVirt.virConnectClose)
#define virConnectGetURI (vsVirt.virConnectGetURI)
#define virConnectListAllDomains (vsVirt.virConnectListAllDomains)
#define virConnectOpenAuth (vsVirt.virConnectOpenAuth)
#define virDomainCheckpointCreateXML (vsVirt.virDomainCheckpointCreateXML)
#define virDomainCheckpointDelete (vsVirt.virDomainCheckpointDelete)
#define virDomainCheckpointFree (vsVirt.virDomainCheckpointFree)
#define virDomainCheckpointGetName (vsVirt.virDomainCheckpointGetName)
#define virDomainCheckpointGetXMLDesc (vsVirt.virDomainCheckpointGetXMLDesc)
#define virDomainCheckpointLookupByName (vsVirt.virDomainCheckpointLookupByName)
#define virDomainFree (vsVirt.virDomainFree)
#define virDomainGetName (vsVirt.virDomainGetName)
#define virDomainGetUUIDString (vsVirt.virDomainGetUUIDString)
#define virDomainHasCurrentSnapshot (vsVirt.virDomainHasCurrentSnapshot)
#define virDomainListAllCheckpoints (vsVirt.virDomainListAllCheckpoints)
#define virDomainListAllSnapshots (vsVirt.virDomainListAllSnapshots)
#define virDomainLookupByName (vsVirt.virDomainLookupByName)
#define virDomainSnapshotCreateXML (vsVirt.virDomainSnapshotCreateXML)
#define virDomainSnapshotCurrent (vsVirt.virDomainSnapshotCurrent)
#define virDomainSnapshotDelete (vsVirt.virDomainSnapshotDelete)
#define virDomainSnapshotFree (vsVirt.virDomainSnapshotFree)
#define virDomainSnapshotGetName (vsVirt.virDomainSnapshotGetName)
#define virDomainSnapshotGetXMLDesc (vsVirt.virDomainSnapshotGetXMLDesc)
#define virDomainSnapshotLookupByName (vsVirt.virDomainSnapshotLookupByName)
#define virEventRegisterDefaultImpl (vsVirt.virEventRegisterDefaultImpl)
#define virEventRunDefaultImpl (vsVirt.virEventRunDefaultImpl)
#define virGetLastError (vsVirt.virGetLastError)
#define virGetLastErrorMessage (vsVirt.virGetLastErrorMessage)
#define virSetErrorFunc (vsVirt.virSetErrorFunc)
