// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helper for the test of a transition that cannot finish: a kthread that
 * stays inside lpvm_sleeper_nap() until told to stop. Livepatch only switches
 * a task whose stack holds no function being patched, so while this thread
 * naps, a patch of lpvm_sleeper_nap() (lpvm_stuck) never completes its
 * transition.
 *
 * Stop it: echo 1 > /sys/module/lpvm_sleeper/parameters/stop (or rmmod).
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>

static bool stop;
module_param(stop, bool, 0644);
MODULE_PARM_DESC(stop, "write 1 to let the kthread leave lpvm_sleeper_nap()");

static struct task_struct *lpvm_thread;

/* noinline: it must stay a function of its own, on the stack and patchable.
 * The loop wakes up now and then (also for livepatch's fake signals) and
 * goes back to sleep without ever returning. */
static noinline int lpvm_sleeper_nap(void)
{
	int naps = 0;

	while (!READ_ONCE(stop) && !kthread_should_stop()) {
		schedule_timeout_interruptible(HZ / 5);
		naps++;
	}
	return naps;
}

static int lpvm_sleeper_main(void *unused)
{
	int naps = lpvm_sleeper_nap();

	pr_info("lpvm_sleeper: left lpvm_sleeper_nap() after %d naps\n", naps);
	/* After a stop request, wait here (outside the nap) for rmmod. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 5);
	return 0;
}

static int __init lpvm_sleeper_init(void)
{
	lpvm_thread = kthread_run(lpvm_sleeper_main, NULL, "lpvm_sleeper");
	return PTR_ERR_OR_ZERO(lpvm_thread);
}

static void __exit lpvm_sleeper_exit(void)
{
	kthread_stop(lpvm_thread);
}

module_init(lpvm_sleeper_init);
module_exit(lpvm_sleeper_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lpmaint VM test helper: a kthread napping in a patchable function");
