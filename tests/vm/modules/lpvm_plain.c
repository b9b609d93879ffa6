// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test module (d): an ordinary module with no livepatch=Y. Signed with a valid
 * manifest, it must still be refused by lpmaintd (NotLivepatch) and never
 * reach the kernel; if it did, its init would say so in the kernel log.
 */
#include <linux/init.h>
#include <linux/module.h>

static int __init lpvm_plain_init(void)
{
	pr_warn("lpvm_plain: loaded, which lpmaintd should have refused\n");
	return 0;
}

static void __exit lpvm_plain_exit(void)
{
}

module_init(lpvm_plain_init);
module_exit(lpvm_plain_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lpmaint VM test module D (not a livepatch)");
