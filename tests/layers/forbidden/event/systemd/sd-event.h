/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Found before the real header by the layers that may not use the event loop
 * (service/meson.build, docs/ARCHITECTURE.md): core/, trust/ and state/ do
 * their work when called and keep no event sources. */
#error "this layer may not include <systemd/sd-event.h>"
