/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* The named D-Bus errors of org.lpmaint1. Internally each is a negative errno
 * (see errors.c for the pairs); the bus boundary turns it into the name. */
#define LPMAINT_ERROR_BUSY                   "org.lpmaint1.Error.Busy"
#define LPMAINT_ERROR_INVALID_MANIFEST       "org.lpmaint1.Error.InvalidManifest"
#define LPMAINT_ERROR_BAD_SIGNATURE          "org.lpmaint1.Error.BadSignature"
#define LPMAINT_ERROR_UNTRUSTED_SIGNER       "org.lpmaint1.Error.UntrustedSigner"
#define LPMAINT_ERROR_EXPIRED                "org.lpmaint1.Error.Expired"
#define LPMAINT_ERROR_DIGEST_MISMATCH        "org.lpmaint1.Error.DigestMismatch"
#define LPMAINT_ERROR_WRONG_KERNEL           "org.lpmaint1.Error.WrongKernel"
#define LPMAINT_ERROR_NOT_LIVEPATCH          "org.lpmaint1.Error.NotLivepatch"
#define LPMAINT_ERROR_BAD_FILE               "org.lpmaint1.Error.BadFile"
#define LPMAINT_ERROR_FILE_TOO_LARGE         "org.lpmaint1.Error.FileTooLarge"
#define LPMAINT_ERROR_ALREADY_APPLIED        "org.lpmaint1.Error.AlreadyApplied"
#define LPMAINT_ERROR_NO_SUCH_PATCH          "org.lpmaint1.Error.NoSuchPatch"
#define LPMAINT_ERROR_NOT_APPLIED            "org.lpmaint1.Error.NotApplied"
#define LPMAINT_ERROR_LOAD_FAILED            "org.lpmaint1.Error.LoadFailed"
#define LPMAINT_ERROR_LIVEPATCH_UNSUPPORTED  "org.lpmaint1.Error.LivepatchUnsupported"
#define LPMAINT_ERROR_INVALID_CONFIG         "org.lpmaint1.Error.InvalidConfig"
#define LPMAINT_ERROR_KERNEL_REFUSED         "org.lpmaint1.Error.KernelRefused"
#define LPMAINT_ERROR_UNSIGNED               "org.lpmaint1.Error.Unsigned"
#define LPMAINT_ERROR_SIGNER_NOT_ALLOWED     "org.lpmaint1.Error.SignerNotAllowed"
#define LPMAINT_ERROR_CERTIFICATE_EXPIRED    "org.lpmaint1.Error.CertificateExpired"
#define LPMAINT_ERROR_CERTIFICATE_REVOKED    "org.lpmaint1.Error.CertificateRevoked"
#define LPMAINT_ERROR_WRONG_PURPOSE          "org.lpmaint1.Error.WrongPurpose"
#define LPMAINT_ERROR_ROLLBACK               "org.lpmaint1.Error.Rollback"
#define LPMAINT_ERROR_RING_NOT_RELEASED      "org.lpmaint1.Error.RingNotReleased"
#define LPMAINT_ERROR_REBOOT_FAILED          "org.lpmaint1.Error.RebootFailed"
#define LPMAINT_ERROR_NO_REBOOT_SCHEDULED    "org.lpmaint1.Error.NoRebootScheduled"
#define LPMAINT_ERROR_NO_FLEET_LOCK          "org.lpmaint1.Error.NoFleetLock"
/* The state directory could not be written or read (a full disk, EIO, read-only). */
#define LPMAINT_ERROR_STORAGE_FAILED         "org.lpmaint1.Error.StorageFailed"
/* The audit trail could not make a change's record durable: the change is refused. */
#define LPMAINT_ERROR_AUDIT_FAILED           "org.lpmaint1.Error.AuditFailed"
/* A security record (the accepted versions) is damaged: lpmaintd fails closed. */
#define LPMAINT_ERROR_STATE_DAMAGED          "org.lpmaint1.Error.StateDamaged"

void lpmaint_errors_register(void);

/* Sets StorageFailed for @r (a negative errno of a state file operation),
 * with "@what: strerror" as its message. Returns the errno of StorageFailed. */
int bus_error_set_storage(sd_bus_error *error, int r, const char *what);
