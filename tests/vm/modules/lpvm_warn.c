// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test live patch (e): a patch that hurts the host on demand. It replaces the
 * kernel's show function of /proc/version; the replacement prints a marker
 * (so the test sees from user space that the patch is live) and issues a
 * kernel warning, once per load of the module. The kernel then logs a
 * "WARNING:" record with a call trace, counts it in /sys/kernel/warn_count
 * and taints itself W: what a ring's soak must catch, and roll back.
 *
 * Nothing else in the test VM reads /proc/version, so the warning comes when
 * the test reads it (cat /proc/version) and not before.
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#define LPVM_WARN_MARKER "lpmaint-vm-marker-WARN"

static int lpvm_warn_version_show(struct seq_file *m, void *v)
{
	seq_puts(m, LPVM_WARN_MARKER "\n");
	WARN_ONCE(1, "lpvm_warn: /proc/version was read through the test live patch\n");
	return 0;
}

static struct klp_func lpvm_funcs[] = {
	{ .old_name = "version_proc_show", .new_func = lpvm_warn_version_show },
	{ }
};

/* .name NULL: the function lives in vmlinux. */
static struct klp_object lpvm_objs[] = {
	{ .funcs = lpvm_funcs },
	{ }
};

static struct klp_patch lpvm_patch = {
	.mod = THIS_MODULE,
	.objs = lpvm_objs,
};

static int __init lpvm_warn_init(void)
{
	return klp_enable_patch(&lpvm_patch);
}

/* Nothing to undo: livepatch keeps a module reference until the patch is
 * disabled, so this only runs once the patch is gone. */
static void __exit lpvm_warn_exit(void)
{
}

module_init(lpvm_warn_init);
module_exit(lpvm_warn_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("lpmaint VM test live patch E (/proc/version marker and a kernel warning)");
