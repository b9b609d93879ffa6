/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Found before the real header by the layers that may not use the bus
 * (service/meson.build, docs/ARCHITECTURE.md): core/ decides on values and
 * replies to no one. Use basic/util.h, which needs no sd-bus. */
#error "this layer may not include <systemd/sd-bus.h>"
