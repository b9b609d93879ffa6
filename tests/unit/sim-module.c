/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A relocatable object that looks like a kernel module to libkmod: its
 * .modinfo section holds NUL-terminated key=value strings, as MODULE_INFO()
 * puts them. Compiled by tests/unit/meson.build with:
 *   -DSIM_NAME=token -DSIM_RELEASE="release" [-DSIM_LIVEPATCH] [-DSIM_REPLACE] */

#define SIM_STR2(x) #x
#define SIM_STR(x) SIM_STR2(x)
#define SIM_MODINFO(id, text) \
        __attribute__((section(".modinfo"), used, aligned(1))) \
        static const char sim_modinfo_##id[] = text

SIM_MODINFO(name, "name=" SIM_STR(SIM_NAME));
SIM_MODINFO(vermagic, "vermagic=" SIM_RELEASE " SMP preempt mod_unload modversions");
SIM_MODINFO(license, "license=GPL");
#ifdef SIM_LIVEPATCH
SIM_MODINFO(livepatch, "livepatch=Y");
#endif
#ifdef SIM_REPLACE
SIM_MODINFO(replace, "livepatch_replace=Y");
#endif

int sim_module_init(void);
int sim_module_init(void) {
        return 0;
}
