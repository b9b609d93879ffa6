/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The contract between lpmaintd and its clients: the names on the bus and the
 * polkit actions. lpmaintd and the CLI both include this header, and nothing
 * else of each other; the introspection files in dbus/ and
 * polkit/org.lpmaint1.policy say the same. */

#define LPMAINT_BUS_NAME          "org.lpmaint1"
#define LPMAINT_OBJECT_PATH       "/org/lpmaint1"
#define LPMAINT_MANAGER_INTERFACE "org.lpmaint1.Manager"
#define LPMAINT_PATCH_INTERFACE   "org.lpmaint1.Patch"
#define LPMAINT_KERNEL_INTERFACE  "org.lpmaint1.Kernel"
#define LPMAINT_SIGNALS_INTERFACE "org.lpmaint1.Signals"
/* Each patch is the object PREFIX/NAME. */
#define LPMAINT_PATCH_PATH_PREFIX "/org/lpmaint1/patch"

/* The polkit actions (polkit/org.lpmaint1.policy). */
#define POLKIT_ACTION_APPLY "org.lpmaint1.apply-patch"
#define POLKIT_ACTION_APPLY_BREAK_GLASS "org.lpmaint1.apply-patch-break-glass"
#define POLKIT_ACTION_DOWNGRADE "org.lpmaint1.downgrade-patch"
#define POLKIT_ACTION_ROLLBACK "org.lpmaint1.rollback-patch"
#define POLKIT_ACTION_ACKNOWLEDGE "org.lpmaint1.acknowledge-break-glass"
#define POLKIT_ACTION_REBOOT "org.lpmaint1.reboot"
/* Running the ring's health checks now (RunHealthChecks). */
#define POLKIT_ACTION_RUN_HEALTH_CHECKS "org.lpmaint1.run-health-checks"
/* lpmaint-sync reports how its run went. */
#define POLKIT_ACTION_REPORT_SYNC "org.lpmaint1.report-sync"

/* The named D-Bus errors of org.lpmaint1 (org.lpmaint1(5) lists them from
 * here). lpmaintd pairs each with an errno (service/basic/errors.c). */
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
/* AcknowledgeBreakGlass for a break-glass apply already acknowledged: a named
 * refusal rather than a silent success, so a second reviewer learns that
 * someone else did (the audit log says who). */
#define LPMAINT_ERROR_ALREADY_ACKNOWLEDGED   "org.lpmaint1.Error.AlreadyAcknowledged"
