/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lpmaint's Cockpit page: plain JavaScript on cockpit.js (../base1/cockpit.js),
 * no framework and no build step.
 *
 * Everything comes from lpmaintd over the system bus, through the Cockpit
 * bridge, which runs as the logged-in user: polkit decides what that user may
 * change, exactly as for `lpmaint` on the command line (Cockpit's own polkit
 * agent asks for a password where a rule says auth_admin).
 *
 * How the page stays current, without polling lpmaintd's state:
 *   - org.lpmaint1.Manager at /org/lpmaint1 is a cockpit.dbus proxy: its
 *     properties come with PropertiesChanged;
 *   - every org.lpmaint1.Patch object comes from client.proxies(), which
 *     follows the ObjectManager at /org/lpmaint1 (InterfacesAdded/Removed) and
 *     each patch's PropertiesChanged;
 *   - org.lpmaint1.Kernel and org.lpmaint1.Signals are read by lpmaintd from
 *     the kernel on each request and announce no changes, nor do the Manager
 *     properties annotated EmitsChangedSignal=false (NextRebootWindowUSec,
 *     CoverageEndsUSec). They, and the audit history (Manager.GetHistory, the
 *     newest HISTORY_LIMIT records), are read again shortly after any Manager
 *     or Patch change or signal (TransitionFinished, PatchSoakFinished), and
 *     every REFRESH_INTERVAL_MS while the page is visible.
 * Properties and methods a given lpmaintd does not have (an older version)
 * are left out of the page, or shown as not reported, never as errors.
 */
(function () {
    "use strict";

    const _ = cockpit.gettext;

    const BUS_NAME = "org.lpmaint1";
    const OBJECT_PATH = "/org/lpmaint1";
    const MANAGER = "org.lpmaint1.Manager";
    const KERNEL = "org.lpmaint1.Kernel";
    const SIGNALS = "org.lpmaint1.Signals";
    const PATCH = "org.lpmaint1.Patch";
    const PROPERTIES = "org.freedesktop.DBus.Properties";

    /* The modest timer for what announces no changes (see above). */
    const REFRESH_INTERVAL_MS = 30 * 1000;
    /* Changes come in bursts (a transition changes several properties). */
    const CHANGE_DEBOUNCE_MS = 250;
    const HISTORY_LIMIT = 50;
    const BOOTS_SHOWN = 5;
    /* Manager properties that do not emit PropertiesChanged. */
    const MANAGER_UNANNOUNCED = ["NextRebootWindowUSec", "CoverageEndsUSec"];

    /* The kernel's taint flags (Documentation/admin-guide/tainted-kernels.rst),
     * to decode RingCriteria's ExpectedTaint mask; the host's own taint comes
     * decoded from lpmaintd (Kernel.TaintFlags). */
    const TAINT_LETTERS = [
        ["P", "proprietary module"], ["F", "module force loaded"], ["S", "out of specification"],
        ["R", "module force unloaded"], ["M", "machine check"], ["B", "bad page"],
        ["U", "user request"], ["D", "kernel died"], ["A", "ACPI table overridden"],
        ["W", "warning"], ["C", "staging driver"], ["I", "firmware workaround"],
        ["O", "out-of-tree module"], ["E", "unsigned module"], ["L", "soft lockup"],
        ["K", "live patched"], ["X", "auxiliary"], ["T", "randstruct"], ["N", "test"],
    ];

    const ERROR_TEXT = {
        "org.freedesktop.DBus.Error.AccessDenied": _("Not authorized: polkit did not allow this for your user."),
        "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired": _("Not authorized: this needs authentication, and no authentication agent answered."),
        "org.freedesktop.DBus.Error.UnknownMethod": _("This version of lpmaintd does not support this action."),
        "org.freedesktop.DBus.Error.InvalidArgs": _("lpmaintd refused the request's arguments."),
        "org.freedesktop.DBus.Error.ServiceUnknown": _("lpmaintd cannot be reached."),
        "org.freedesktop.DBus.Error.NoReply": _("lpmaintd did not answer in time."),
        "org.lpmaint1.Error.Busy": _("Another kernel transition is in progress; try again when it has finished."),
        "org.lpmaint1.Error.NoSuchPatch": _("lpmaintd does not know this patch."),
        "org.lpmaint1.Error.NotApplied": _("The patch is not applied."),
        "org.lpmaint1.Error.KernelRefused": _("The kernel refused the change."),
        "org.lpmaint1.Error.RebootFailed": _("The reboot could not be scheduled."),
        "org.lpmaint1.Error.NoRebootScheduled": _("There is no reboot to cancel."),
    };

    const PATCH_STATES = {
        loading: ["info", _("Loading"), true],
        patching: ["info", _("Patching"), true],
        unpatching: ["info", _("Unpatching"), true],
        applied: ["success", _("Applied")],
        disabled: ["neutral", _("Disabled")],
        failed: ["danger", _("Failed")],
        superseded: ["neutral", _("Superseded")],
        absent: ["warning", _("Absent")],
    };

    const SOAK_STATES = {
        soaking: ["info", _("Soaking"), true],
        healthy: ["success", _("Healthy")],
        failed: ["danger", _("Failed")],
        cancelled: ["neutral", _("Cancelled")],
    };

    const WAVE_STATES = {
        waiting: ["info", _("Waiting"), _("a reboot wave is open and continues at its next run")],
        hooks: ["info", _("Running hooks"), _("pre-reboot hooks are running")],
        scheduled: ["warning", _("Scheduled"), _("logind will reboot the host")],
        verifying: ["info", _("Verifying"), _("back after a planned reboot; the ring's health checks run")],
        failed: ["danger", _("Failed"), _("back after a planned reboot, but a health check failed")],
    };

    const BOOT_ENDS = {
        running: ["success", _("running")],
        shutdown: ["neutral", _("shutdown")],
        reboot: ["neutral", _("reboot")],
        "planned-reboot": ["info", _("planned reboot")],
        crash: ["danger", _("crash")],
        unknown: ["neutral", _("unknown")],
        "daemon-stopped": ["warning", _("lpmaintd stopped")],
    };

    const CRITERIA = [
        ["SoakUSec", _("Soak time"), v => formatDuration(v)],
        ["MaxNewTaintFlags", _("New taint flags"), v => formatLimit(v)],
        ["ExpectedTaint", _("Expected taint"), v => taintLettersNode(v)],
        ["MaxNewOops", _("New oopses"), v => formatLimit(v)],
        ["MaxNewWarnings", _("New warnings"), v => formatLimit(v)],
        ["MaxKernelLogEvents", _("Kernel log events"), v => formatLimit(v)],
        ["MaxPressureIncrease", _("Pressure increase"),
            v => v >= 10000 ? _("no limit") : cockpit.format(_("at most $0 points"), (v / 100).toFixed(2))],
    ];

    /* ---- helpers */

    /* h("div", { class: "x", text: "..." }, children...): a DOM element; text is
     * always set as text, never parsed as markup. */
    function h(tag, props, ...children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(props || {})) {
            if (v === undefined || v === null || v === false)
                continue;
            if (k === "class")
                e.className = v;
            else if (k === "text")
                e.textContent = v;
            else if (k === "dataset")
                Object.assign(e.dataset, v);
            else if (k.startsWith("on"))
                e.addEventListener(k.slice(2), v);
            else
                e.setAttribute(k, v === true ? "" : v);
        }
        for (const c of children.flat(Infinity)) {
            if (c === undefined || c === null || c === false)
                continue;
            e.append(c instanceof Node ? c : String(c));
        }
        return e;
    }

    function $(id) {
        return document.getElementById(id);
    }

    function has(obj, key) {
        return !!obj && Object.prototype.hasOwnProperty.call(obj, key);
    }

    /* A label (PatternFly's): kind is success, info, warning, danger or neutral. */
    function label(kind, text, spinning) {
        return h("span", { class: "lp-label lp-label-" + kind },
                 spinning ? h("span", { class: "lp-spinner", "aria-hidden": "true" }) : null,
                 text);
    }

    function muted(text) {
        return h("span", { class: "lp-muted", text });
    }

    function mono(text) {
        return h("code", { class: "lp-mono", text });
    }

    function formatDuration(usec) {
        let s = Math.round(Number(usec) / 1e6);
        if (!Number.isFinite(s) || s <= 0)
            return _("0 s");
        const parts = [];
        for (const [unit, size] of [[_("d"), 86400], [_("h"), 3600], [_("min"), 60], [_("s"), 1]]) {
            if (s >= size) {
                parts.push(Math.floor(s / size) + " " + unit);
                s %= size;
            }
            if (parts.length === 2)
                break;
        }
        return parts.join(" ");
    }

    function formatTime(usec) {
        if (!usec)
            return "—";
        return new Date(Number(usec) / 1000).toLocaleString(undefined, {
            year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
        });
    }

    function formatRelative(usec) {
        const delta = Number(usec) / 1000 - Date.now();
        if (Math.abs(delta) < 60 * 1000)
            return delta >= 0 ? _("in less than a minute") : _("just now");
        /* Whole minutes are enough to tell when. */
        const d = formatDuration(Math.round(Math.abs(delta) / 60000) * 60000 * 1000);
        return delta >= 0 ? cockpit.format(_("in $0"), d) : cockpit.format(_("$0 ago"), d);
    }

    /* A time and how far it is from now: "Jan 2, 2027, 03:00 (in 5 h 2 min)". */
    function timeNode(usec) {
        if (!usec)
            return muted("—");
        return h("span", { title: new Date(Number(usec) / 1000).toISOString() },
                 formatTime(usec), " ", muted("(" + formatRelative(usec) + ")"));
    }

    function formatLimit(v) {
        return cockpit.format(_("at most $0"), v);
    }

    function taintLettersNode(mask) {
        const flags = [];
        for (let bit = 0; bit < TAINT_LETTERS.length; bit++) {
            if (Math.floor(Number(mask) / 2 ** bit) % 2 === 1)
                flags.push(TAINT_LETTERS[bit]);
        }
        return flags.length ? taintList(flags) : muted(_("none"));
    }

    /* Taint flags, [letter, name] each: the kernel's letter and what it means. */
    function taintList(flags) {
        return h("ul", { class: "lp-flags" }, flags.map(([letter, name]) =>
            h("li", { dataset: { letter } }, h("span", { class: "lp-flag-letter", text: letter }), h("span", { text: name }))));
    }

    /* <dl> from [term, value node or text, field name for data-field]. */
    function descriptionList(rows) {
        const dl = h("dl", { class: "lp-dl" });
        for (const [term, value, field] of rows) {
            if (value === undefined)
                continue;
            dl.append(h("dt", { text: term }),
                      h("dd", { dataset: field ? { field } : undefined }, value));
        }
        return dl;
    }

    function replaceChildren(parent, ...children) {
        parent.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
    }

    /* Variants of a GetAll reply, {name: {t, v}}, to {name: value}. */
    function unwrap(dict) {
        const out = {};
        for (const [k, v] of Object.entries(dict || {}))
            out[k] = v && has(v, "v") ? v.v : v;
        return out;
    }

    function describeError(err) {
        /* The page's own checks (a form's input) are plain Errors. */
        if (err instanceof Error)
            return { summary: err.message, name: "", message: "" };
        const name = (err && err.name) || "";
        const problem = (err && err.problem) || "";
        const message = err && err.message ? String(err.message) : String(err);
        let summary = ERROR_TEXT[name];
        if (!summary && problem)
            summary = problem === "not-found" || problem === "disconnected"
                ? _("lpmaintd cannot be reached.")
                : cockpit.message(err);
        return { summary: summary || _("The request failed."), name: name || problem, message };
    }

    function errorNode(err) {
        const e = describeError(err);
        return [
            h("p", { class: "lp-error-summary", text: e.summary }),
            e.message && e.message !== e.summary && e.message !== e.name ? h("p", { class: "lp-error-message", text: e.message }) : null,
            e.name ? h("p", { class: "lp-error-name" }, mono(e.name)) : null,
        ];
    }

    /* ---- page-level alerts */

    function showAlert(kind, title, body, key) {
        const box = $("lp-alerts");
        if (key) {
            const old = box.querySelector(`[data-key="${CSS.escape(key)}"]`);
            if (old)
                old.remove();
        }
        const alert = h("div", { class: "lp-alert lp-alert-" + kind, role: kind === "danger" ? "alert" : "status", dataset: key ? { key } : undefined },
                        h("div", { class: "lp-alert-text" },
                          h("p", { class: "lp-alert-title", text: title }),
                          body),
                        h("button", {
                            type: "button", class: "lp-alert-close", "aria-label": _("Close"), text: "×",
                            onclick: () => alert.remove(),
                        }));
        box.append(alert);
        return alert;
    }

    function clearAlert(key) {
        const old = $("lp-alerts").querySelector(`[data-key="${CSS.escape(key)}"]`);
        if (old)
            old.remove();
    }

    /* ---- the modal dialog */

    let dialogBusy = false;

    /* openDialog({ title, body, confirm, danger, action }): action() returns a
     * promise; the dialog stays open, with the error shown in it, if it fails. */
    function openDialog(opts) {
        const dialog = $("lp-dialog");
        const confirmButton = $("lp-dialog-confirm");
        $("lp-dialog-title").textContent = opts.title;
        replaceChildren($("lp-dialog-body"), opts.body);
        $("lp-dialog-error").hidden = true;
        replaceChildren($("lp-dialog-error"));
        confirmButton.textContent = opts.confirm;
        confirmButton.className = "lp-btn " + (opts.danger ? "lp-btn-danger" : "lp-btn-primary");
        confirmButton.disabled = false;
        $("lp-dialog-cancel").disabled = false;
        dialog.dataset.kind = opts.kind || "";
        dialog.lpAction = opts.action;
        dialogBusy = false;
        dialog.showModal();
        const first = dialog.querySelector("input, select, textarea");
        (first || confirmButton).focus();
    }

    function closeDialog() {
        const dialog = $("lp-dialog");
        if (dialog.open)
            dialog.close();
        dialog.lpAction = null;
    }

    function setupDialog() {
        const dialog = $("lp-dialog");
        $("lp-dialog-form").addEventListener("submit", ev => {
            ev.preventDefault();
            if (dialogBusy || !dialog.lpAction)
                return;
            const confirmButton = $("lp-dialog-confirm");
            const text = confirmButton.textContent;
            dialogBusy = true;
            confirmButton.disabled = true;
            $("lp-dialog-cancel").disabled = true;
            replaceChildren(confirmButton, h("span", { class: "lp-spinner lp-spinner-inverse", "aria-hidden": "true" }), text);
            $("lp-dialog-error").hidden = true;
            let promise;
            try {
                promise = Promise.resolve(dialog.lpAction());
            } catch (e) {
                promise = Promise.reject(e);
            }
            promise.then(() => {
                dialogBusy = false;
                confirmButton.textContent = text;
                closeDialog();
            }, err => {
                dialogBusy = false;
                confirmButton.textContent = text;
                confirmButton.disabled = false;
                $("lp-dialog-cancel").disabled = false;
                const box = $("lp-dialog-error");
                replaceChildren(box, errorNode(err));
                box.hidden = false;
            });
        });
        $("lp-dialog-cancel").addEventListener("click", () => {
            if (!dialogBusy)
                closeDialog();
        });
        dialog.addEventListener("cancel", ev => {
            if (dialogBusy)
                ev.preventDefault();
        });
    }

    /* ---- lpmaintd */

    /* The connection to lpmaintd, made again by connect() when it comes back
     * after it could not be reached at all. */
    let client = null;
    let manager = null;
    let patches = null;

    /* What announces no changes: read on change and on the timer. */
    const live = {
        kernel: null,           /* org.lpmaint1.Kernel, unwrapped GetAll */
        signals: null,          /* org.lpmaint1.Signals */
        manager: {},            /* MANAGER_UNANNOUNCED, fresh */
        history: null,          /* GetHistory records, oldest first */
        historyError: null,
        error: null,
        updated: 0,             /* Date.now() of the last read */
    };
    const pending = new Set();  /* patch names with a Disable call in flight */
    let available = null;       /* null: not known yet */
    let users = null;           /* uid -> user name, from /etc/passwd */

    function managerData() {
        const m = { ...manager.data };
        for (const k of MANAGER_UNANNOUNCED) {
            if (has(live.manager, k))
                m[k] = live.manager[k];
        }
        return m;
    }

    function managerHasMethod(name) {
        return typeof manager[name] === "function";
    }

    /* A method call on /org/lpmaint1, as a native promise of the reply's
     * arguments. Calls that change something allow interactive authorization,
     * so that Cockpit's polkit agent can ask for a password. */
    function call(iface, method, args, type, interactive) {
        const options = {};
        if (type)
            options.type = type;
        if (interactive)
            options.flags = "i";
        return Promise.resolve(client.call(OBJECT_PATH, iface, method, args, options));
    }

    function act(method, args, type) {
        return call(MANAGER, method, args, type, true);
    }

    let refreshing = null;
    let refreshAgain = false;

    function refreshLive() {
        if (refreshing) {
            refreshAgain = true;
            return refreshing;
        }
        const m = manager.data;
        const unannounced = MANAGER_UNANNOUNCED.filter(k => has(m, k));
        const reads = [
            call(PROPERTIES, "GetAll", [KERNEL], "s"),
            call(PROPERTIES, "GetAll", [SIGNALS], "s"),
            call(MANAGER, "GetHistory", [{ limit: cockpit.variant("u", HISTORY_LIMIT) }], "a{sv}"),
            ...unannounced.map(k => call(PROPERTIES, "Get", [MANAGER, k], "ss")),
        ];
        refreshing = Promise.allSettled(reads).then(results => {
            const [kernel, signals, history, ...rest] = results;
            if (kernel.status === "fulfilled")
                live.kernel = unwrap(kernel.value[0]);
            if (signals.status === "fulfilled")
                live.signals = unwrap(signals.value[0]);
            if (history.status === "fulfilled") {
                live.history = history.value[0];
                live.historyError = null;
            } else {
                live.historyError = history.reason;
            }
            rest.forEach((r, i) => {
                if (r.status === "fulfilled")
                    live.manager[unannounced[i]] = r.value[0].v;
            });
            live.error = kernel.status === "rejected" ? kernel.reason : null;
            live.updated = Date.now();
            render();
        }).finally(() => {
            refreshing = null;
            if (refreshAgain) {
                refreshAgain = false;
                refreshLive();
            }
        });
        return refreshing;
    }

    let refreshTimer = null;
    function refreshSoon() {
        if (refreshTimer !== null)
            return;
        refreshTimer = window.setTimeout(() => {
            refreshTimer = null;
            refreshLive();
        }, CHANGE_DEBOUNCE_MS);
    }

    let renderQueued = false;
    function renderSoon() {
        if (renderQueued)
            return;
        renderQueued = true;
        window.setTimeout(() => {
            renderQueued = false;
            render();
        }, 0);
    }

    function loadUsers() {
        cockpit.file("/etc/passwd").read()
                .then(text => {
                    users = new Map();
                    for (const line of (text || "").split("\n")) {
                        const f = line.split(":");
                        if (f.length > 2)
                            users.set(Number(f[2]), f[0]);
                    }
                    renderSoon();
                })
                .catch(() => { users = new Map() });
    }

    /* ---- rendering */

    function render() {
        const page = $("lp-page");
        page.setAttribute("aria-busy", available === null ? "true" : "false");
        $("lp-unavailable").hidden = available !== false;
        $("lp-content").hidden = available !== true;
        if (available !== true)
            return;
        const m = managerData();
        renderHeader(m);
        renderRing(m);
        renderKernel(m);
        renderReboot(m);
        renderSync(m);
        renderSignals();
        renderPatches(m);
        renderHistory();
    }

    function renderHeader(m) {
        const parts = [];
        if (m.Version)
            parts.push(cockpit.format(_("lpmaintd $0"), m.Version));
        if (m.KernelRelease)
            parts.push(cockpit.format(_("kernel $0"), m.KernelRelease));
        if (m.AutomationGroup)
            parts.push(cockpit.format(_("automation group $0"), m.AutomationGroup));
        $("lp-subtitle").textContent = parts.join(" · ");

        const status = [];
        if (m.Simulated)
            status.push(label("neutral", _("Simulated kernel")));
        if (m.LivepatchSupported === false)
            status.push(label("danger", _("Live patching not supported")));
        if (m.Busy)
            status.push(label("info", _("Transition in progress"), true));
        if (m.BootReapply === "pending" || m.BootReapply === "running")
            status.push(label("info", _("Re-applying after boot"), true));
        const unack = m.UnacknowledgedBreakGlass || [];
        if (unack.length)
            status.push(label("warning", cockpit.format(_("Break-glass not acknowledged: $0"), unack.join(", "))));
        replaceChildren($("lp-header-status"), status);
    }

    function renderRing(m) {
        const ring = m.Ring || "";
        const tag = $("lp-ring-name");
        tag.textContent = ring || _("none");
        tag.classList.toggle("lp-muted", !ring);
        const body = $("lp-ring");
        if (!ring) {
            replaceChildren(body, h("p", { class: "lp-muted", text: _("This host is in no ring: live patches do not soak.") }));
            return;
        }
        const criteria = m.RingCriteria || {};
        const rows = [];
        const known = new Set();
        for (const [key, term, fmt] of CRITERIA) {
            known.add(key);
            if (has(criteria, key))
                rows.push([term, fmt(criteria[key]), "criterion-" + key]);
        }
        for (const [key, value] of Object.entries(criteria)) {
            if (!known.has(key))
                rows.push([key, String(value), "criterion-" + key]);
        }
        const checks = m.RingHealthChecks || [];
        rows.push([_("Health checks"), checks.length ? h("span", { class: "lp-chips" }, checks.map(c => h("span", { class: "lp-chip", text: c }))) : muted(_("none")), "health-checks"]);
        if (has(m, "AutomaticRollback"))
            rows.push([_("Automatic rollback"), m.AutomaticRollback ? _("yes, a failed soak disables the patch") : _("no"), "automatic-rollback"]);
        replaceChildren(body, descriptionList(rows));
    }

    function renderKernel(m) {
        $("lp-kernel-release").textContent = m.KernelRelease || "";
        const k = live.kernel;
        const body = $("lp-kernel");
        if (!k) {
            replaceChildren(body, live.error ? errorNode(live.error) : muted(_("Reading…")));
            return;
        }
        let taint;
        const mask = Number(k.Tainted || 0);
        if (!mask) {
            taint = label("success", _("Not tainted"));
        } else {
            taint = h("div", null,
                      taintList((k.TaintFlags || []).map(([, letter, name]) => [letter, name])),
                      h("div", { class: "lp-muted lp-small" }, cockpit.format(_("mask $0 (0x$1)"), mask, mask.toString(16))));
        }
        const unmanaged = k.UnmanagedPatches || [];
        const rows = [
            [_("Taint"), taint, "taint"],
            [_("Live patching"), m.LivepatchSupported === false ? label("danger", _("not supported")) : _("supported"), "livepatch"],
            [_("Lockdown"), has(k, "KernelLockdown") ? (k.KernelLockdown || muted(_("no lockdown LSM"))) : undefined, "lockdown"],
            [_("Module signatures"), has(k, "ModuleSignatureEnforced") ? (k.ModuleSignatureEnforced ? _("enforced") : _("not enforced")) : undefined, "module-signatures"],
            [_("Unmanaged live patches"), unmanaged.length ? label("warning", unmanaged.join(", ")) : muted(_("none")), "unmanaged"],
        ];
        replaceChildren(body, descriptionList(rows));
    }

    function renderSignals() {
        const k = live.kernel || {};
        const s = live.signals;
        const body = $("lp-signals");
        $("lp-signals-updated").textContent = live.updated
            ? cockpit.format(_("read $0"), new Date(live.updated).toLocaleTimeString())
            : "";
        if (!s) {
            replaceChildren(body, live.error ? errorNode(live.error) : muted(_("Reading…")));
            return;
        }
        const counter = (n, kind) => Number(n) > 0 ? label(kind, String(n)) : h("span", { text: "0" });
        const rows = [
            [_("Oopses"), counter(k.OopsCount || 0, "danger"), "oops-count"],
            [_("Warnings"), counter(k.WarnCount || 0, "warning"), "warn-count"],
        ];

        if (has(s, "KernelLogEvents")) {
            const [oldest, events] = s.KernelLogEvents || [0, []];
            const seen = (events || []).filter(([, n]) => Number(n) > 0);
            const chips = seen.map(([event, n]) =>
                h("span", { class: "lp-chip " + (event === "livepatch" ? "" : "lp-chip-danger"), dataset: { event } },
                  h("span", { class: "lp-chip-letter", text: String(n) }), event));
            rows.push([_("Kernel log"),
                h("div", null,
                  chips.length ? h("div", { class: "lp-chips" }, chips) : h("span", { text: _("no trouble logged") }),
                  oldest ? h("div", { class: "lp-muted lp-small" }, cockpit.format(_("since $0"), formatTime(oldest))) : null),
                "kernel-log-events"]);
        }

        if (has(s, "Pressure") && (s.Pressure || []).length) {
            rows.push([_("Pressure (avg60)"),
                h("span", { class: "lp-chips" }, s.Pressure.map(([res, , avg60]) =>
                    h("span", { class: "lp-chip", title: _("share of time some tasks stalled, last 60 s") },
                      h("span", { class: "lp-chip-letter", text: res }), (Number(avg60) / 100).toFixed(2) + " %"))),
                "pressure"]);
        }

        if (has(s, "HealthChecks")) {
            const checks = s.HealthChecks || [];
            rows.push([_("Health checks"),
                checks.length
                    ? h("ul", { class: "lp-list" }, checks.map(([name, passed, status, detail, started]) =>
                        h("li", null, label(passed ? "success" : "danger", passed ? _("passed") : _("failed")), " ",
                          h("strong", { text: name }), " ", muted(formatRelative(started)),
                          !passed && detail ? h("div", { class: "lp-small", text: detail }) : null)))
                    : muted(_("none ran yet")),
                "health-checks"]);
        }

        if (has(s, "Boots")) {
            const boots = (s.Boots || []).slice(-BOOTS_SHOWN).reverse();
            rows.push([_("Boots"),
                boots.length
                    ? h("ul", { class: "lp-list" }, boots.map(([id, release, booted, , end, reason]) => {
                        const [kind, text] = BOOT_ENDS[end] || ["neutral", end || "?"];
                        return h("li", { title: id }, label(kind, text), " ", formatTime(booted), " ", muted(release),
                                 reason ? h("div", { class: "lp-small lp-muted", text: reason }) : null);
                    }))
                    : muted(_("none recorded")),
                "boots"]);
        }
        replaceChildren(body, descriptionList(rows));
    }

    function renderReboot(m) {
        const required = !!m.RebootRequired;
        const tag = $("lp-reboot-required");
        replaceChildren(tag, required ? label("warning", _("Reboot required")) : label("success", _("No reboot needed")));

        const rows = [];
        const reasons = m.RebootReasons || [];
        if (reasons.length) {
            rows.push([_("Reasons"), h("ul", { class: "lp-list" }, reasons.map(([code, text, since]) =>
                h("li", { dataset: { code } }, h("span", { text }), " ",
                  since ? muted("(" + cockpit.format(_("since $0"), formatTime(since)) + ")") : null,
                  h("div", { class: "lp-small lp-muted" }, mono(code))))), "reboot-reasons"]);
        }

        const calendar = m.RebootCalendar || "";
        if (has(m, "RebootCalendar"))
            rows.push([_("Reboot calendar"), calendar ? mono(calendar) : muted(_("none: no reboot waves")), "reboot-calendar"]);
        if (calendar && has(m, "RebootWindowUSec"))
            rows.push([_("Window"), cockpit.format(_("$0 after the wave starts"), formatDuration(m.RebootWindowUSec)), "reboot-window"]);
        if (calendar || has(m, "NextRebootWindowUSec")) {
            rows.push([_("Next window"),
                !has(m, "NextRebootWindowUSec") ? muted(_("not reported by this lpmaintd"))
                    : m.NextRebootWindowUSec ? timeNode(m.NextRebootWindowUSec) : muted(_("none: the wave timer is not running")),
                "next-window"]);
        }
        if (calendar && has(m, "RebootDelayUSec") && m.RebootDelayUSec)
            rows.push([_("Delay"), cockpit.format(_("$0 from decision to reboot"), formatDuration(m.RebootDelayUSec)), "reboot-delay"]);
        if ((m.PreRebootHooks || []).length)
            rows.push([_("Pre-reboot hooks"), h("span", { class: "lp-chips" }, m.PreRebootHooks.map(n => h("span", { class: "lp-chip", text: n }))), "pre-reboot-hooks"]);

        let scheduled;
        if (!has(m, "ScheduledRebootUSec")) {
            scheduled = muted(_("not reported by this lpmaintd"));
        } else if (m.ScheduledRebootUSec) {
            const by = m.ScheduledRebootBy === "admin" ? _("by an administrator")
                : m.ScheduledRebootBy === "wave" ? _("by the reboot wave")
                    : m.ScheduledRebootBy ? cockpit.format(_("by $0"), m.ScheduledRebootBy) : "";
            scheduled = h("span", null, label("warning", _("Scheduled")), " ", timeNode(m.ScheduledRebootUSec),
                          by ? h("div", { class: "lp-small lp-muted", dataset: { by: m.ScheduledRebootBy }, text: by }) : null);
        } else {
            scheduled = h("span", { text: _("not scheduled") });
        }
        rows.push([_("Scheduled reboot"), scheduled, "scheduled-reboot"]);

        if (m.WaveState) {
            const [kind, text, meaning] = WAVE_STATES[m.WaveState] || ["neutral", m.WaveState, ""];
            rows.push([_("Reboot wave"), h("span", null, label(kind, text), " ", muted(meaning)), "wave-state"]);
        }
        if (m.FleetLockURL) {
            rows.push([_("Fleet lock"), h("span", null,
                m.FleetLockHeld ? label("warning", _("held")) : label("neutral", _("not held")), " ",
                mono(m.FleetLockURL), " ", muted(cockpit.format(_("group $0"), m.FleetLockGroup || "default"))), "fleet-lock"]);
        }
        if (has(m, "CoverageEndsUSec"))
            rows.push([_("Live patch coverage ends"), m.CoverageEndsUSec ? timeNode(m.CoverageEndsUSec) : muted(_("not known")), "coverage-ends"]);
        replaceChildren($("lp-reboot"), descriptionList(rows));

        const scheduleButton = $("lp-schedule-reboot");
        const cancelButton = $("lp-cancel-reboot");
        scheduleButton.hidden = !managerHasMethod("ScheduleReboot");
        cancelButton.hidden = !managerHasMethod("CancelReboot");
        /* Something to cancel: a scheduled reboot, an open wave, an administrator's request. */
        const cancellable = !has(m, "ScheduledRebootUSec") ||
            !!m.ScheduledRebootUSec || !!m.WaveState || reasons.some(([code]) => code === "admin-request");
        cancelButton.disabled = !cancellable;
        $("lp-reboot-actions").hidden = scheduleButton.hidden && cancelButton.hidden;
    }

    /* lpmaint-sync, the pull agent: where patches come from, as lpmaintd
     * recorded its runs (SyncConfiguration, SyncStatus, SyncErrors). */
    function renderSync(m) {
        const card = $("lp-sync-card");
        card.hidden = !has(m, "SyncStatus");
        if (card.hidden)
            return;
        const channels = unwrap(m.SyncConfiguration).Channels || [];
        const s = unwrap(m.SyncStatus);
        const failed = !!s.LastUSec && s.LastUSec !== s.LastSuccessUSec && !!s.LastResult;
        const tag = $("lp-sync-state");
        if (!channels.length)
            replaceChildren(tag, label("neutral", _("No channels")));
        else if (failed)
            replaceChildren(tag, label("danger", _("Last run failed")));
        else if (s.LastSuccessUSec)
            replaceChildren(tag, label("success", _("Synced")));
        else
            replaceChildren(tag, label("neutral", _("Never synced")));

        if (!channels.length) {
            replaceChildren($("lp-sync"), h("p", { class: "lp-muted", text: _("lpmaint.conf names no channels ([Sync] Channels=): patches come only from \"lpmaint apply\".") }));
            return;
        }
        const rows = [
            [_("Channels"), h("ul", { class: "lp-list" }, channels.map(c => h("li", null, mono(c)))), "channels"],
            [_("Last sync"), s.LastSuccessUSec ? timeNode(s.LastSuccessUSec) : muted(_("never")), "last-sync"],
            [_("Index serial"), s.LastSuccessUSec ? String(s.LastSuccessSerial) : muted("—"), "serial"],
        ];
        if (failed) {
            rows.push([_("Last error"), h("span", null, label("danger", s.LastResult), " ", h("span", { text: s.LastMessage || "" }),
                h("div", { class: "lp-small lp-muted" }, mono(s.LastChannel || ""), " ", formatTime(s.LastUSec))), "last-error"]);
        }
        const errors = Object.entries(m.SyncErrors || {}).filter(([, n]) => Number(n) > 0);
        if (errors.length) {
            rows.push([_("Failed runs"), h("span", { class: "lp-chips" }, errors.map(([kind, n]) =>
                h("span", { class: "lp-chip", dataset: { kind }, text: kind + " " + n }))), "errors"]);
        }
        replaceChildren($("lp-sync"), descriptionList(rows));
    }

    function patchSortKey(d) {
        const active = ["loading", "patching", "applied", "unpatching"].includes(d.State) ? 0 : 1;
        return [active, -(Number(d.StateChangedUSec) || 0)];
    }

    function renderPatches(m) {
        const list = Object.keys(patches)
                .map(path => patches[path])
                .filter(p => p && p.valid && p.data && p.data.Name)
                .map(p => p.data);
        list.sort((a, b) => {
            const ka = patchSortKey(a), kb = patchSortKey(b);
            return ka[0] - kb[0] || ka[1] - kb[1] || String(a.Name).localeCompare(b.Name);
        });
        const applied = list.filter(d => d.State === "applied").length;
        $("lp-patches-count").textContent = list.length
            ? cockpit.format(_("$0 applied, $1 in all"), applied, list.length)
            : "";
        $("lp-patches-empty").hidden = list.length > 0;
        $("lp-patches").hidden = list.length === 0;
        replaceChildren($("lp-patches-body"), list.map(d => patchRow(d, m)));
    }

    function patchRow(d, m) {
        const [kind, text, spinning] = PATCH_STATES[d.State] || ["neutral", d.State || "?"];
        const facts = [cockpit.format(_("version $0"), d.Version)];
        if (d.Replace)
            facts.push(_("cumulative"));
        if (d.SupersededBy)
            facts.push(cockpit.format(_("superseded by $0"), d.SupersededBy));
        const cves = d.CVEs || [];

        const name = h("td", { dataset: { label: _("Patch") } },
                       h("div", { class: "lp-patch-name", text: d.Name }),
                       h("div", { class: "lp-small lp-muted", text: facts.join(" · ") }),
                       d.Description ? h("div", { class: "lp-small", text: d.Description }) : null,
                       cves.length ? h("div", { class: "lp-chips lp-cves" }, cves.map(c => h("span", { class: "lp-chip lp-chip-cve", text: c }))) : null,
                       d.BreakGlass && !d.BreakGlassAcknowledged ? label("warning", _("break-glass, not acknowledged")) : null);

        const state = h("td", { dataset: { field: "state", label: _("State") } }, label(kind, text, spinning));

        let result;
        if (!d.Result) {
            result = muted(d.State === "loading" || d.State === "patching" || d.State === "unpatching" ? _("in progress") : "—");
        } else {
            result = h("div", null,
                       d.Result === "success" ? h("span", { text: d.Operation ? cockpit.format(_("$0: success"), d.Operation) : _("success") })
                           : label("danger", d.Operation ? `${d.Operation}: ${d.Result}` : d.Result),
                       d.ResultMessage ? h("div", { class: "lp-small lp-muted", text: d.ResultMessage }) : null,
                       (d.BlockingTasks || []).length
                           ? h("div", { class: "lp-small" }, cockpit.format(_("blocked by $0"), d.BlockingTasks.map(([pid, comm]) => `${comm} (${pid})`).join(", ")))
                           : null);
        }
        const resultCell = h("td", { dataset: { field: "result", label: _("Result") } }, result);

        let soak;
        if (!d.SoakState) {
            soak = muted(_("no ring"));
        } else {
            const [skind, stext, sspin] = SOAK_STATES[d.SoakState] || ["neutral", d.SoakState];
            let detail = null;
            if (d.SoakState === "soaking" && d.SoakEndsUSec)
                detail = cockpit.format(_("ends $0"), formatRelative(d.SoakEndsUSec));
            else if (d.SoakResult)
                detail = d.SoakResult;
            else if (d.SoakState === "healthy" && d.SoakEndsUSec)
                detail = cockpit.format(_("since $0"), formatTime(d.SoakEndsUSec));
            soak = h("div", null, label(skind, stext, sspin), detail ? h("div", { class: "lp-small lp-muted", text: detail }) : null);
        }
        const soakCell = h("td", { dataset: { field: "soak", label: _("Soak") } }, soak);

        /* When it last reached "applied"; muted once it left the kernel. */
        const appliedCell = h("td", { dataset: { field: "applied", label: _("Applied") } },
                              d.AppliedUSec
                                  ? h("span", {
                                      class: d.State === "applied" ? null : "lp-muted",
                                      title: new Date(d.AppliedUSec / 1000).toISOString(),
                                      text: formatTime(d.AppliedUSec),
                                  })
                                  : muted("—"));

        const actions = h("td", { class: "lp-actions" });
        if (d.State === "applied" || pending.has(d.Name)) {
            const busy = pending.has(d.Name);
            actions.append(h("button", {
                type: "button",
                class: "lp-btn lp-btn-secondary-danger",
                disabled: busy || m.Busy ? true : undefined,
                title: m.Busy && !busy ? _("Another transition is in progress") : undefined,
                dataset: { action: "disable", patch: d.Name },
                onclick: () => confirmDisable(d),
            }, busy ? h("span", { class: "lp-spinner", "aria-hidden": "true" }) : null, busy ? _("Disabling…") : _("Disable")));
        }
        return h("tr", { dataset: { patch: d.Name, state: d.State || "" } }, name, state, resultCell, soakCell, appliedCell, actions);
    }

    function historyUser(uid) {
        if (uid === 4294967295)
            return muted(_("unknown"));
        const name = users && users.get(uid);
        return name ? h("span", { title: "uid " + uid, text: name }) : h("span", { text: "uid " + uid });
    }

    const HISTORY_RESULTS = { success: "success", healthy: "success", denied: "danger", refused: "danger", failed: "danger" };

    function renderHistory() {
        const records = live.history;
        const body = $("lp-history-body");
        if (live.historyError && !records) {
            replaceChildren(body, h("tr", null, h("td", { colspan: "6" }, errorNode(live.historyError))));
            $("lp-history-empty").hidden = true;
            return;
        }
        if (!records) {
            replaceChildren(body);
            return;
        }
        $("lp-history-count").textContent = records.length >= HISTORY_LIMIT
            ? cockpit.format(_("the newest $0 records"), HISTORY_LIMIT)
            : cockpit.format(_("$0 records"), records.length);
        $("lp-history-empty").hidden = records.length > 0;
        $("lp-history").hidden = records.length === 0;
        replaceChildren(body, records.slice().reverse().map(([time, uid, pid, unit, action, patch, sha, result, message]) =>
            h("tr", { dataset: { action, result } },
              h("td", { class: "lp-nowrap", dataset: { label: _("Time") }, title: new Date(time / 1000).toISOString(), text: formatTime(time) }),
              h("td", { class: "lp-nowrap", dataset: { label: _("Caller") } }, historyUser(uid), unit ? h("div", { class: "lp-small lp-muted", text: unit }) : null),
              h("td", { class: "lp-nowrap", dataset: { label: _("Action") } }, mono(action)),
              h("td", { dataset: { label: _("Patch") }, text: patch || "—" }),
              h("td", { dataset: { label: _("Result") } }, label(HISTORY_RESULTS[result] || "neutral", result)),
              h("td", { class: "lp-small", dataset: { label: _("Message") }, text: message || "" }))));
    }

    /* ---- actions */

    function confirmDisable(d) {
        openDialog({
            kind: "disable",
            title: cockpit.format(_("Disable $0?"), d.Name),
            body: [
                h("p", null, _("The kernel runs the unpatched code again once the reverse transition completes, and lpmaintd removes the module.")),
                (d.CVEs || []).length
                    ? h("p", null, _("The host is then exposed to: "), h("strong", { text: d.CVEs.join(", ") }))
                    : null,
            ],
            confirm: _("Disable"),
            danger: true,
            action: () => {
                pending.add(d.Name);
                renderSoon();
                return act("Disable", [d.Name, {}], "sa{sv}")
                        .finally(() => {
                            pending.delete(d.Name);
                            renderSoon();
                        });
            },
        });
    }

    function pad(n) {
        return String(n).padStart(2, "0");
    }

    function localInputValue(date) {
        return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
    }

    function scheduleReboot() {
        const m = managerData();
        /* Default: the next reboot window, else an hour from now. */
        let initial = new Date(Date.now() + 3600 * 1000);
        if (m.NextRebootWindowUSec && m.NextRebootWindowUSec / 1000 > Date.now())
            initial = new Date(m.NextRebootWindowUSec / 1000);
        initial.setSeconds(0, 0);

        const when = h("input", { type: "datetime-local", id: "lp-reboot-when", name: "when", required: true, value: localInputValue(initial) });
        const reason = h("input", { type: "text", id: "lp-reboot-reason", name: "reason", maxlength: "512", placeholder: _("Why, for the audit trail") });
        openDialog({
            kind: "schedule-reboot",
            title: _("Schedule a reboot"),
            body: [
                h("p", null, _("lpmaintd asks logind to reboot the host at this time, outside the reboot waves. Logged-in users get logind's warnings, and the reboot can be cancelled until then.")),
                h("div", { class: "lp-form-group" }, h("label", { for: "lp-reboot-when", text: _("Reboot at") }), when),
                h("div", { class: "lp-form-group" }, h("label", { for: "lp-reboot-reason", text: _("Reason") }), reason),
            ],
            confirm: _("Schedule reboot"),
            action: () => {
                const t = new Date(when.value).getTime();
                if (!when.value || !Number.isFinite(t))
                    return Promise.reject(new Error(_("Enter the date and time of the reboot.")));
                if (t <= Date.now())
                    return Promise.reject(new Error(_("The time is in the past.")));
                return act("ScheduleReboot", [t * 1000, reason.value.trim()], "ts");
            },
        });
    }

    function cancelReboot() {
        const m = managerData();
        openDialog({
            kind: "cancel-reboot",
            title: _("Cancel the reboot?"),
            body: h("p", null, m.ScheduledRebootUSec
                ? cockpit.format(_("The reboot scheduled for $0 is cancelled, an open reboot wave closed and an administrator's request withdrawn."), formatTime(m.ScheduledRebootUSec))
                : _("An open reboot wave is closed and an administrator's request withdrawn.")),
            confirm: _("Cancel reboot"),
            danger: true,
            action: () => act("CancelReboot", []),
        });
    }

    /* ---- start */

    function setAvailable(value, why) {
        available = value;
        if (value === false) {
            $("lp-subtitle").textContent = "";
            replaceChildren($("lp-unavailable-text"),
                            h("p", { text: _("lpmaintd (org.lpmaint1) does not answer on the system bus. This page connects again as soon as it starts.") }),
                            why ? h("p", { class: "lp-muted" }, mono(describeError(why).name || describeError(why).summary)) : null);
        }
        render();
    }

    /* Connects to lpmaintd: the Manager proxy, the patches through the
     * ObjectManager, lpmaintd's signals and its name's owner. */
    function connect() {
        const c = cockpit.dbus(BUS_NAME, { bus: "system" });
        client = c;
        manager = c.proxy(MANAGER, OBJECT_PATH);
        patches = c.proxies(PATCH, OBJECT_PATH);
        const current = () => c === client;

        manager.addEventListener("changed", () => {
            renderSoon();
            refreshSoon();
        });
        for (const ev of ["added", "changed", "removed"]) {
            patches.addEventListener(ev, () => {
                renderSoon();
                refreshSoon();
            });
        }
        manager.addEventListener("TransitionFinished", (event, path, name, operation, result) => {
            if (result !== "success") {
                showAlert("danger", cockpit.format(_("$0 of $1 failed: $2"), operation, name, result),
                          null, "transition-" + name);
            }
            refreshSoon();
        });
        manager.addEventListener("PatchSoakFinished", (event, path, name, verdict, reason) => {
            if (verdict === "failed")
                showAlert("danger", cockpit.format(_("The soak of $0 failed"), name), h("p", { text: reason }), "soak-" + name);
            refreshSoon();
        });
        c.addEventListener("owner", (event, owner) => {
            if (!current())
                return;
            if (owner === null && available) {
                showAlert("warning", _("lpmaintd stopped"), h("p", { text: _("What is shown may be out of date until it runs again.") }), "owner");
            } else if (owner && available) {
                clearAlert("owner");
                refreshSoon();
            }
        });
        c.addEventListener("close", (event, options) => {
            if (current())
                setAvailable(false, options && options.problem ? options : null);
        });

        manager.wait()
                .then(() => {
                    if (!current())
                        return;
                    if (!manager.valid)
                        throw new Error(_("lpmaintd does not provide org.lpmaint1.Manager."));
                    setAvailable(true);
                    refreshLive();
                    if (!users)
                        loadUsers();
                })
                .catch(err => {
                    if (current())
                        setAvailable(false, err);
                });
    }

    function init() {
        setupDialog();
        $("lp-schedule-reboot").addEventListener("click", scheduleReboot);
        $("lp-cancel-reboot").addEventListener("click", cancelReboot);

        /* When lpmaintd could not be reached, its name getting an owner (a
         * start, or bus activation) connects again: a signal, not a poll. */
        const bus = cockpit.dbus(null, { bus: "system" });
        bus.subscribe({ name: "org.freedesktop.DBus", interface: "org.freedesktop.DBus", member: "NameOwnerChanged", arg0: BUS_NAME },
                      (path, iface, signal, args) => {
                          if (args[2] && available === false) {
                              if (client)
                                  client.close();
                              connect();
                          }
                      });
        connect();

        window.setInterval(() => {
            if (!cockpit.hidden && available)
                refreshLive();
        }, REFRESH_INTERVAL_MS);
        cockpit.addEventListener("visibilitychange", () => {
            if (!cockpit.hidden && available)
                refreshLive();
        });
        /* Relative times ("in 5 min") move on without any change. */
        window.setInterval(() => {
            if (!cockpit.hidden && available && !$("lp-dialog").open)
                render();
        }, 60 * 1000);
    }

    if (document.readyState === "loading")
        document.addEventListener("DOMContentLoaded", init);
    else
        init();
}());
