// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test live patch (c): replaces lpvm_sleeper_nap() in module lpvm_sleeper.
 * The helper's kthread never leaves the old function while it naps, so the
 * transition to the patched state cannot finish; lpmaintd must reverse it.
 */
#include <linux/init.h>
#include <linux/livepatch.h>
#include <linux/module.h>

static int lpvm_stuck_nap(void)
{
	return 0;
}

static struct klp_func lpvm_funcs[] = {
	{ .old_name = "lpvm_sleeper_nap", .new_func = lpvm_stuck_nap },
	{ }
};

static struct klp_object lpvm_objs[] = {
	{ .name = "lpvm_sleeper", .funcs = lpvm_funcs },
	{ }
};

static struct klp_patch lpvm_patch = {
	.mod = THIS_MODULE,
	.objs = lpvm_objs,
};

static int __init lpvm_stuck_init(void)
{
	return klp_enable_patch(&lpvm_patch);
}

static void __exit lpvm_stuck_exit(void)
{
}

module_init(lpvm_stuck_init);
module_exit(lpvm_stuck_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("lpmaint VM test live patch C (transition that cannot finish)");
