/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "patch-json.h"

void json_patch(JsonWriter *w, const Patch *p) {
        json_begin_object(w);
        json_field_string(w, "name", p->name);
        json_field_string(w, "version", p->version);
        json_field_string(w, "kernel_release", p->kernel_release);
        json_field_string(w, "module_sha256", p->module_sha256);
        json_field_bool(w, "replace", p->replace);
        json_field_strv(w, "cves", p->cves);
        json_field_string(w, "description", p->description);
        json_field_uint(w, "issued_usec", p->issued_usec);
        json_field_uint(w, "expires_usec", p->expires_usec);
        json_field_uint(w, "coverage_ends_usec", p->coverage_ends_usec);
        json_key(w, "release");
        json_begin_array(w);
        for (size_t i = 0; i < p->release.n; i++) {
                json_begin_object(w);
                json_field_string(w, "ring", p->release.releases[i].ring);
                json_field_uint(w, "usec", p->release.releases[i].usec);
                json_end_object(w);
        }
        json_end_array(w);
        json_field_string(w, "signer", p->signer);
        json_field_string(w, "stream", p->stream);
        json_field_string(w, "source", p->source);
        json_key(w, "module_signature");
        json_begin_object(w);
        json_field_string(w, "signer", p->module_signer);
        json_field_string(w, "key", p->module_sig_key);
        json_field_string(w, "hash_algorithm", p->module_sig_hashalgo);
        json_end_object(w);
        json_field_bool(w, "break_glass", p->break_glass);
        json_field_bool(w, "break_glass_acknowledged", p->break_glass_acknowledged);
        json_field_string(w, "soak_state", p->soak_state);
        json_field_string(w, "soak_result", p->soak_result);
        json_field_uint(w, "soak_ends_usec", p->soak_ends_usec);
        json_field_string(w, "state", p->state);
        json_field_string(w, "operation", p->operation);
        json_field_string(w, "result", p->result);
        json_field_string(w, "result_message", p->result_message);
        json_key(w, "blocking_tasks");
        json_begin_array(w);
        for (size_t i = 0; i < p->blocking.n; i++) {
                json_begin_object(w);
                json_field_uint(w, "pid", p->blocking.tasks[i].pid);
                json_field_string(w, "comm", p->blocking.tasks[i].comm);
                json_end_object(w);
        }
        json_end_array(w);
        json_field_string(w, "superseded_by", p->superseded_by);
        json_field_uint(w, "state_changed_usec", p->state_changed_usec);
        json_field_uint(w, "applied_usec", p->applied_usec);
        json_field_string(w, "object_path", p->object_path);
        json_end_object(w);
}
