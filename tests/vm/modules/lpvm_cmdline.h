/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by lpvm_cmdline_a and lpvm_cmdline_b: a live patch that replaces the
 * kernel's show function of /proc/cmdline, so the test can see from user
 * space, without any lpmaint code, which patch the kernel is running.
 * The including file defines LPVM_MARKER and LPVM_REPLACE first.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

/* The marker goes first on the line, the real command line is dropped: the
 * kernel does not export saved_command_line to modules. */
static int lpvm_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, LPVM_MARKER "\n");
	return 0;
}

static struct klp_func lpvm_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = lpvm_cmdline_show },
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
	.replace = LPVM_REPLACE,
};

static int __init lpvm_init(void)
{
	return klp_enable_patch(&lpvm_patch);
}

/* Nothing to undo: livepatch keeps a module reference until the patch is
 * disabled, so this only runs once the patch is gone. */
static void __exit lpvm_exit(void)
{
}

module_init(lpvm_init);
module_exit(lpvm_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
