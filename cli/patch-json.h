/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "json.h"
#include "patch.h"

/* One patch as `list --json` and `show --json` write it (lpmaint(1), JSON OUTPUT). */
void json_patch(JsonWriter *w, const Patch *p);
