// SPDX-License-Identifier: LGPL-2.1-or-later
//
// browser-test.js: drives lpmaint's Cockpit page in Debian's Chromium with
// playwright-core; started by tests/cockpit/run, which sets up the sandbox,
// the patches and one cockpit-ws per user, and passes everything in the
// environment:
//   LPMAINT_COCKPIT_URL_AUTO  the page, served by cockpit-ws running as the automation user
//   LPMAINT_COCKPIT_URL_USER  the same for the ordinary user
//   LPMAINT_COCKPIT_RING      the ring the host is in
//   LPMAINT_COCKPIT_CALENDAR  its RebootCalendar=
//   LPMAINT_COCKPIT_DISABLE   the applied patch the test disables
//   LPMAINT_COCKPIT_KEEP      an applied patch that stays
//   LPMAINT_COCKPIT_OUT       where screenshots go
//   LPMAINT_COCKPIT_LOGIND    the systemd/logind double's call log (JSON lines), if it runs
//   LPMAINT_COCKPIT_CHROMIUM  the browser (default /usr/bin/chromium)
// Prints one "ok - ..." / "not ok - ..." line per check ("# SKIP why" for a
// check this lpmaintd cannot have yet) and "# ..." diagnostics; the run script
// numbers and counts them. Exits non-zero if a check failed.

"use strict";

const { chromium } = require("playwright-core");
const { execFileSync, spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const env = process.env;
const URL_AUTO = env.LPMAINT_COCKPIT_URL_AUTO;
const URL_USER = env.LPMAINT_COCKPIT_URL_USER;
const RING = env.LPMAINT_COCKPIT_RING;
const CALENDAR = env.LPMAINT_COCKPIT_CALENDAR || "";
const DISABLE = env.LPMAINT_COCKPIT_DISABLE;
const KEEP = env.LPMAINT_COCKPIT_KEEP;
const CHANNEL = env.LPMAINT_COCKPIT_CHANNEL;
const OUT = env.LPMAINT_COCKPIT_OUT;
const LOGIND_LOG = env.LPMAINT_COCKPIT_LOGIND || "";
const CHROMIUM = env.LPMAINT_COCKPIT_CHROMIUM || "/usr/bin/chromium";
const TIMEOUT = 20000;

let failed = 0;

function ok(desc) {
    console.log(`ok - ${desc}`);
}

function notOk(desc, err) {
    failed++;
    console.log(`not ok - ${desc}`);
    for (const line of String(err && err.stack ? err.message : err).split("\n").slice(0, 12))
        console.log(`#   ${line}`);
}

function skip(desc, why) {
    console.log(`ok - ${desc} # SKIP ${why}`);
}

function note(text) {
    console.log(`# ${text}`);
}

/* check(desc, async fn): one check; a failure is reported and the next runs. */
async function check(desc, fn) {
    try {
        const detail = await fn();
        ok(detail ? `${desc} (${detail})` : desc);
        return true;
    } catch (e) {
        notOk(desc, e);
        return false;
    }
}

function assert(cond, msg) {
    if (!cond)
        throw new Error(msg);
}

/* lpmaintd's own view, through the CLI (as root, read-only). */
function lpmaintJson(...args) {
    return JSON.parse(execFileSync("lpmaint", ["--json", ...args], { encoding: "utf8" }));
}

function cliState(name) {
    const p = lpmaintJson("list").find(x => x.name === name);
    return p ? p.state : null;
}

function logindCalls() {
    try {
        return fs.readFileSync(LOGIND_LOG, "utf8").split("\n").filter(Boolean).map(l => JSON.parse(l));
    } catch {
        return [];
    }
}

async function waitFor(fn, what, timeout = TIMEOUT) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
        try {
            const v = await fn();
            if (v)
                return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline)
            throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${last ? ": " + last.message : ""}`);
        await new Promise(r => setTimeout(r, 100));
    }
}

function row(page, name) {
    return page.locator(`#lp-patches-body tr[data-patch="${name}"]`);
}

async function text(locator) {
    return (await locator.innerText({ timeout: TIMEOUT })).replace(/\s+/g, " ").trim();
}

/* The method calls to lpmaintd's objects during @seconds, as busctl monitor
 * shows them (root may monitor the sandbox's bus). */
function monitorCalls(seconds) {
    return new Promise((resolve, reject) => {
        const child = spawn("busctl", ["--system", "monitor", "--json=short",
            "--match", "type='method_call',path_namespace='/org/lpmaint1'"], { stdio: ["ignore", "pipe", "ignore"] });
        let out = "";
        child.stdout.on("data", d => { out += d; });
        child.on("error", reject);
        child.on("close", () => resolve(out.split("\n").filter(l => l.startsWith("{")).map(l => JSON.parse(l))));
        setTimeout(() => child.kill("SIGTERM"), seconds * 1000);
    });
}

/* Opens the page in a fresh context and waits until lpmaintd's data is there. */
async function openPage(browser, url, who, problems) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    page.on("pageerror", e => problems.push(`${who}: page error: ${e.message}`));
    page.on("console", m => {
        if (m.type() === "error")
            problems.push(`${who}: console error: ${m.text()}`);
    });
    page.lpNavigations = 0;
    page.on("framenavigated", f => {
        if (f === page.mainFrame())
            page.lpNavigations++;
    });
    await page.goto(url, { timeout: TIMEOUT });
    await page.waitForSelector("#lp-page[aria-busy=false]", { timeout: TIMEOUT });
    return page;
}

async function main() {
    for (const [k, v] of Object.entries({ URL_AUTO, URL_USER, RING, DISABLE, KEEP, OUT })) {
        if (!v)
            throw new Error(`${k} is not set: run tests/cockpit/run`);
    }
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        // Playwright adds a fresh --user-data-dir (a temporary profile) itself.
        args: [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    });
    note(`Chromium ${browser.version()}`);
    const problems = [];
    try {
        await run(browser, problems);
    } finally {
        await browser.close();
    }
}

async function run(browser, problems) {
    let auto, user;

    const loaded = await check("the page loads through cockpit-ws as the automation user and reaches lpmaintd", async () => {
        auto = await openPage(browser, URL_AUTO, "automation user", problems);
        assert(await auto.locator("#lp-content").isVisible(), "the page shows no content: " + await text(auto.locator("#lp-unavailable")));
        const subtitle = await text(auto.locator("#lp-subtitle"));
        assert(/lpmaintd \S+/.test(subtitle), `subtitle "${subtitle}"`);
        return subtitle;
    });
    if (!loaded) {
        if (auto)
            await auto.screenshot({ path: path.join(OUT, "lpmaint-cockpit-failed.png"), fullPage: true }).catch(() => {});
        return;
    }

    await check("shows the host's ring and its criteria", async () => {
        await waitFor(async () => (await text(auto.locator("#lp-ring-name"))) === RING, `ring ${RING}`);
        const soak = await text(auto.locator('#lp-ring [data-field="criterion-SoakUSec"]'));
        assert(soak === "1 h", `soak time "${soak}"`);
        const warnings = await text(auto.locator('#lp-ring [data-field="criterion-MaxNewWarnings"]'));
        assert(warnings === "at most 0", `new warnings "${warnings}"`);
        const expected = await text(auto.locator('#lp-ring [data-field="criterion-ExpectedTaint"]'));
        assert(/K/.test(expected) && /O/.test(expected) && /E/.test(expected), `expected taint "${expected}"`);
        const checks = await text(auto.locator('#lp-ring [data-field="health-checks"]'));
        assert(checks.includes("smoke"), `health checks "${checks}"`);
        return `${RING}: soak ${soak}, expected taint ${expected}`;
    });

    await check("shows both applied patches, applied and soaking", async () => {
        for (const name of [DISABLE, KEEP]) {
            await waitFor(async () => (await text(row(auto, name).locator('[data-field="state"]'))) === "Applied", `${name} Applied`);
            const soak = await text(row(auto, name).locator('[data-field="soak"]'));
            assert(soak.startsWith("Soaking"), `${name} soak "${soak}"`);
            const result = await text(row(auto, name).locator('[data-field="result"]'));
            assert(result.includes("success"), `${name} result "${result}"`);
        }
        return `${DISABLE}, ${KEEP}`;
    });

    await check("decodes the kernel's taint into letters (K: live patched)", async () => {
        const taint = await waitFor(async () => {
            const t = await text(auto.locator('#lp-kernel [data-field="taint"]'));
            return /K/.test(t) ? t : null;
        }, "taint K");
        return taint;
    });

    await check("shows the health signals: oops and warning counts, kernel log events, boots", async () => {
        const oops = await text(auto.locator('#lp-signals [data-field="oops-count"]'));
        const warns = await text(auto.locator('#lp-signals [data-field="warn-count"]'));
        const log = await text(auto.locator('#lp-signals [data-field="kernel-log-events"]'));
        const boots = await text(auto.locator('#lp-signals [data-field="boots"]'));
        assert(/^\d+$/.test(oops) && /^\d+$/.test(warns), `counts "${oops}" "${warns}"`);
        assert(boots.includes("running"), `boots "${boots}"`);
        return `oopses ${oops}, warnings ${warns}, kernel log: ${log}`;
    });

    await check("shows reboot required with its reason and the ring's reboot calendar", async () => {
        const tag = await text(auto.locator("#lp-reboot-required"));
        assert(tag === "Reboot required", `tag "${tag}"`);
        assert(await auto.locator('#lp-reboot [data-code="kernel-installed"]').count() === 1, "no kernel-installed reason");
        const calendar = await text(auto.locator('#lp-reboot [data-field="reboot-calendar"]'));
        assert(calendar === CALENDAR, `calendar "${calendar}"`);
        const next = await text(auto.locator('#lp-reboot [data-field="next-window"]'));
        const scheduled = await text(auto.locator('#lp-reboot [data-field="scheduled-reboot"]'));
        return `calendar ${calendar}; next window: ${next}; scheduled: ${scheduled}`;
    });

    await check("shows the patch channel, its last sync and serial, and the last run's error", async () => {
        const tag = await text(auto.locator("#lp-sync-state"));
        assert(tag === "Last run failed", `tag "${tag}"`);
        const channels = await text(auto.locator('#lp-sync [data-field="channels"]'));
        assert(channels === CHANNEL, `channels "${channels}"`);
        const serial = await text(auto.locator('#lp-sync [data-field="serial"]'));
        assert(serial === "7", `serial "${serial}"`);
        const last = await text(auto.locator('#lp-sync [data-field="last-sync"]'));
        assert(last && last !== "never", `last sync "${last}"`);
        const error = await text(auto.locator('#lp-sync [data-field="last-error"]'));
        assert(error.startsWith("not-found") && error.includes("HTTP 404"), `last error "${error}"`);
        const fetch = await text(auto.locator('#lp-sync [data-field="errors"] [data-kind="fetch"]'));
        assert(fetch === "fetch 1", `failed runs "${fetch}"`);
        return `serial ${serial}; last sync ${last}; ${error}`;
    });

    await check("shows the audit history with both applies", async () => {
        await waitFor(async () => {
            for (const name of [DISABLE, KEEP]) {
                const r = auto.locator(`#lp-history-body tr[data-action="apply"]`, { hasText: name });
                if (await r.count() < 1)
                    return false;
            }
            return true;
        }, "apply records");
        return await text(auto.locator("#lp-history-count"));
    });

    await check("an idle page polls no Manager or Patch state (8 s of the bus watched)", async () => {
        const watching = monitorCalls(8);
        // A ping of our own, to know that the watch sees calls at all.
        await new Promise(r => setTimeout(r, 2000));
        execFileSync("busctl", ["--system", "call", "org.lpmaint1", "/org/lpmaint1", "org.freedesktop.DBus.Peer", "Ping"]);
        const all = await watching;
        assert(all.some(c => c.member === "Ping"), "busctl monitor did not see our Ping");
        const calls = all.filter(c => c.member !== "Ping");
        const unannounced = ["NextRebootWindowUSec", "CoverageEndsUSec"];
        const polled = calls.filter(c => {
            const [iface, prop] = (c.payload && c.payload.data) || [];
            return c.member === "GetManagedObjects" ||
                (c.member === "GetAll" && (iface === "org.lpmaint1.Manager" || iface === "org.lpmaint1.Patch")) ||
                (c.member === "Get" && (iface === "org.lpmaint1.Patch" ||
                                        (iface === "org.lpmaint1.Manager" && !unannounced.includes(prop))));
        });
        assert(polled.length === 0, "state read: " + polled.map(c => `${c.member}(${c.payload.data.join(", ")})`).join("; "));
        // At most the timer's round and one change's (Kernel, Signals, history, two Manager properties).
        assert(calls.length <= 10, `${calls.length} calls: ` + calls.map(c => c.member).join(", "));
        return `${calls.length} calls: ${calls.map(c => c.member + "(" + ((c.payload && c.payload.data) || [])[0] + ")").join(", ") || "none"}`;
    });

    // The ordinary user: polkit says no, and the page says so.
    await check("an ordinary user's Disable is refused by polkit and the page shows why", async () => {
        user = await openPage(browser, URL_USER, "ordinary user", problems);
        const button = row(user, DISABLE).locator('button[data-action="disable"]');
        await button.click({ timeout: TIMEOUT });
        await user.locator("#lp-dialog[open]").waitFor({ timeout: TIMEOUT });
        await user.locator("#lp-dialog-confirm").click();
        const error = user.locator("#lp-dialog-error");
        await error.waitFor({ state: "visible", timeout: TIMEOUT });
        const msg = await text(error);
        assert(msg.includes("Not authorized"), `error "${msg}"`);
        assert(/org\.freedesktop\.DBus\.Error\.(AccessDenied|InteractiveAuthorizationRequired)/.test(msg), `error name missing: "${msg}"`);
        await user.screenshot({ path: path.join(OUT, "lpmaint-cockpit-denied.png") });
        await user.locator("#lp-dialog-cancel").click();
        await user.locator("#lp-dialog[open]").waitFor({ state: "detached", timeout: TIMEOUT }).catch(() => {});
        assert(cliState(DISABLE) === "applied", `lpmaintd says ${cliState(DISABLE)}`);
        return msg.slice(0, 120);
    });

    // The automation user disables it; the change arrives without a reload.
    await check("Disable as the automation user: the state changes live, without a reload", async () => {
        const token = String(Math.random());
        await auto.evaluate(t => { window.lpTestToken = t; }, token);
        const navigations = auto.lpNavigations;
        // Every state the row shows, in order, as PropertiesChanged brings it.
        await auto.evaluate(name => {
            window.lpStates = [];
            const record = () => {
                const r = document.querySelector(`#lp-patches-body tr[data-patch="${name}"]`);
                const s = r ? r.dataset.state : null;
                if (s && window.lpStates[window.lpStates.length - 1] !== s)
                    window.lpStates.push(s);
            };
            new MutationObserver(record).observe(document.getElementById("lp-patches-body"), { childList: true, subtree: true, attributes: true });
            record();
        }, DISABLE);
        await row(auto, DISABLE).locator('button[data-action="disable"]').click({ timeout: TIMEOUT });
        await auto.locator("#lp-dialog[open]").waitFor({ timeout: TIMEOUT });
        const title = await text(auto.locator("#lp-dialog-title"));
        assert(title.includes(DISABLE), `dialog "${title}"`);
        await auto.locator("#lp-dialog-confirm").click();
        await waitFor(async () => !(await auto.locator("#lp-dialog").evaluate(d => d.open)) ||
                      await auto.locator("#lp-dialog-error").isVisible(), "the dialog to close");
        if (await auto.locator("#lp-dialog-error").isVisible())
            throw new Error("Disable failed: " + await text(auto.locator("#lp-dialog-error")));
        await waitFor(async () => (await text(row(auto, DISABLE).locator('[data-field="state"]'))) === "Disabled", `${DISABLE} Disabled`);
        assert(await auto.evaluate(() => window.lpTestToken) === token, "the page was reloaded");
        assert(auto.lpNavigations === navigations, "the page navigated");
        assert(cliState(DISABLE) === "disabled", `lpmaintd says ${cliState(DISABLE)}`);
        const soak = await text(row(auto, DISABLE).locator('[data-field="soak"]'));
        const states = await auto.evaluate(() => window.lpStates);
        assert(await row(auto, DISABLE).locator('button[data-action="disable"]').count() === 0, "Disable still offered");
        return `states seen: ${states.join(" → ")}; soak: ${soak}`;
    });

    await check("the other session's page follows the change too", async () => {
        await waitFor(async () => (await text(row(user, DISABLE).locator('[data-field="state"]'))) === "Disabled", "Disabled in the ordinary user's page");
        const keep = await text(row(user, KEEP).locator('[data-field="state"]'));
        assert(keep === "Applied", `${KEEP} "${keep}"`);
    });

    await check("the history shows the disable and the refused attempt", async () => {
        await waitFor(async () =>
            await auto.locator('#lp-history-body tr[data-action="disable"][data-result="success"]', { hasText: DISABLE }).count() >= 1 &&
            await auto.locator('#lp-history-body tr[data-action="disable"][data-result="denied"]', { hasText: DISABLE }).count() >= 1,
        "disable records (success and denied)");
    });

    await rebootPart(auto);

    await check("lpmaintd stopping and starting again: open pages say so, a new one waits for it, both follow again", async () => {
        const pidfile = env.LPMAINT_DAEMON_PIDFILE, start = env.LPMAINT_DAEMON_START;
        assert(pidfile && start, "LPMAINT_DAEMON_PIDFILE and LPMAINT_DAEMON_START are not set");
        const pid = Number(fs.readFileSync(pidfile, "utf8").trim());
        process.kill(pid, "SIGTERM");
        await waitFor(() => {
            try {
                process.kill(pid, 0);
                return false;
            } catch {
                return true;
            }
        }, "lpmaintd to stop");
        const alert = auto.locator('#lp-alerts [data-key="owner"]');
        await alert.waitFor({ state: "visible", timeout: TIMEOUT });
        const said = await text(alert.locator(".lp-alert-title"));
        // A page opened now finds nobody to talk to, and says so.
        const late = await openPage(browser, URL_AUTO, "page opened while lpmaintd was stopped", problems);
        await late.locator("#lp-unavailable").waitFor({ state: "visible", timeout: TIMEOUT });
        const unavailable = await text(late.locator("#lp-unavailable-title"));
        execFileSync(start, [], { stdio: "ignore" });
        await alert.waitFor({ state: "detached", timeout: TIMEOUT });
        for (const page of [auto, late]) {
            await waitFor(async () => (await text(row(page, KEEP).locator('[data-field="state"]'))) === "Applied", `${KEEP} Applied again`);
            await waitFor(async () => (await text(row(page, DISABLE).locator('[data-field="state"]'))) === "Disabled", `${DISABLE} Disabled again`);
        }
        await late.context().close();
        return `open page: "${said}"; new page: "${unavailable}", then connected`;
    });

    await check("no JavaScript errors on the pages", async () => {
        assert(problems.length === 0, problems.join("\n"));
    });

    const shot = path.join(OUT, "lpmaint-cockpit.png");
    await check("saves a screenshot", async () => {
        await auto.evaluate(() => window.scrollTo(0, 0));
        await auto.screenshot({ path: shot, fullPage: true });
        return shot;
    });
}

/* Schedule and cancel a reboot, once lpmaintd has ScheduleReboot and CancelReboot. */
async function rebootPart(auto) {
    const desc = "schedule a reboot from the page, see it scheduled, cancel it";
    const scheduleButton = auto.locator("#lp-schedule-reboot");
    const cancelButton = auto.locator("#lp-cancel-reboot");
    if (!(await scheduleButton.isVisible()) || !(await cancelButton.isVisible())) {
        skip(desc, "this lpmaintd has no ScheduleReboot/CancelReboot yet (the page hides the actions)");
        return;
    }
    if (!LOGIND_LOG) {
        skip(desc, "no stand-in logind on the sandbox's bus");
        return;
    }
    const hasScheduled = await auto.locator('#lp-reboot [data-field="scheduled-reboot"]', { hasText: "not reported" }).count() === 0;

    await check(desc, async () => {
        // Two hours from now, to the minute, as the datetime-local input takes it.
        const when = new Date(Date.now() + 2 * 3600 * 1000);
        when.setSeconds(0, 0);
        const pad = n => String(n).padStart(2, "0");
        const local = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}T${pad(when.getHours())}:${pad(when.getMinutes())}`;
        const before = logindCalls().length;

        await scheduleButton.click();
        await auto.locator("#lp-dialog[open]").waitFor({ timeout: TIMEOUT });
        await auto.locator("#lp-reboot-when").fill(local);
        await auto.locator("#lp-reboot-reason").fill("cockpit page test");
        await auto.screenshot({ path: path.join(OUT, "lpmaint-cockpit-schedule.png") });
        await auto.locator("#lp-dialog-confirm").click();
        await waitFor(async () => !(await auto.locator("#lp-dialog").evaluate(d => d.open)) ||
                      await auto.locator("#lp-dialog-error").isVisible(), "the dialog to close");
        if (await auto.locator("#lp-dialog-error").isVisible()) {
            const msg = await text(auto.locator("#lp-dialog-error"));
            await auto.locator("#lp-dialog-cancel").click();
            throw new Error(`ScheduleReboot failed, the page says: ${msg}`);
        }
        const calls = await waitFor(() => {
            const c = logindCalls().slice(before);
            return c.some(call => call.method === "ScheduleShutdown") ? c : null;
        }, "logind's ScheduleShutdown");
        const [kind, usec] = calls.find(call => call.method === "ScheduleShutdown").args;
        assert(kind === "reboot", `logind was asked for "${kind}"`);
        assert(Math.abs(Number(usec) / 1000 - when.getTime()) < 60 * 1000, `logind was asked for ${usec}, expected about ${when.getTime() * 1000}`);

        let shown = "";
        if (hasScheduled) {
            await waitFor(async () => await auto.locator('#lp-reboot [data-field="scheduled-reboot"] [data-by="admin"]').count() === 1,
                          "the scheduled reboot, by an administrator");
            shown = await text(auto.locator('#lp-reboot [data-field="scheduled-reboot"]'));
        }
        await auto.screenshot({ path: path.join(OUT, "lpmaint-cockpit-reboot.png"), fullPage: true });

        await waitFor(async () => await cancelButton.isEnabled(), "Cancel reboot enabled");
        await cancelButton.click();
        await auto.locator("#lp-dialog[open]").waitFor({ timeout: TIMEOUT });
        await auto.locator("#lp-dialog-confirm").click();
        await waitFor(async () => !(await auto.locator("#lp-dialog").evaluate(d => d.open)) ||
                      await auto.locator("#lp-dialog-error").isVisible(), "the dialog to close");
        if (await auto.locator("#lp-dialog-error").isVisible()) {
            const msg = await text(auto.locator("#lp-dialog-error"));
            await auto.locator("#lp-dialog-cancel").click();
            throw new Error(`CancelReboot failed, the page says: ${msg}`);
        }
        await waitFor(() => logindCalls().slice(before).some(call => call.method === "CancelScheduledShutdown"), "logind's CancelScheduledShutdown");
        if (hasScheduled) {
            await waitFor(async () => (await text(auto.locator('#lp-reboot [data-field="scheduled-reboot"]'))) === "not scheduled",
                          "the scheduled reboot to go away");
        }
        await waitFor(async () => await auto.locator('#lp-history-body tr[data-action^="reboot"][data-action*="cancel"]').count() >= 1,
                      "the cancel in the history");
        return shown ? `shown: ${shown}` : "ScheduledRebootUSec not reported";
    });
}

main().then(() => process.exit(failed ? 1 : 0), e => {
    notOk("the browser test ran to its end", e);
    process.exit(1);
});
