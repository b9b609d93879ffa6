#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""test-sync-units SERVICE TIMER PATH SYSUSERS LPMAINT_SYNC GROUP CHANNEL_DEB_H

Checks the pull agent's units as the build makes them (lpmaint-sync(8)):

  - systemd-analyze verify accepts the service, the timer and the path unit
    (the service's ExecStart= pointed at the built lpmaint-sync), without a
    word of complaint;
  - systemd-analyze security --offline rates the service no worse than
    MAX_EXPOSURE;
  - the service is one run of "lpmaint-sync run" as the lpmaint-sync user,
    with its state directory, and keeps every hardening setting listed here;
    it may reach the network (no IPAddressDeny=) but no other socket family;
  - the timer and the path unit start that service, the timer hourly with a
    random delay and Persistent=, the path unit on the running kernel's index
    in the directory "lpmaint-channel deb" packages install to;
  - sysusers makes the lpmaint-sync user and puts it into the automation
    group GROUP.

Exit status 77 (skipped) without systemd-analyze.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

# systemd-analyze security's overall exposure of lpmaint-sync.service
# (systemd 252): a change that weakens the sandbox fails here.
MAX_EXPOSURE = 1.1

# Key: the value it must have ('' for an empty setting).
HARDENING = {
    'CapabilityBoundingSet': '',
    'NoNewPrivileges': 'yes',
    'ProtectSystem': 'strict',
    'ProtectHome': 'yes',
    'PrivateTmp': 'yes',
    'PrivateDevices': 'yes',
    'PrivateIPC': 'yes',
    'PrivateMounts': 'yes',
    'PrivateUsers': 'yes',
    'ProtectProc': 'invisible',
    'ProcSubset': 'pid',
    'ProtectControlGroups': 'yes',
    'ProtectKernelTunables': 'yes',
    'ProtectKernelModules': 'yes',
    'ProtectKernelLogs': 'yes',
    'ProtectClock': 'yes',
    'ProtectHostname': 'yes',
    'RestrictNamespaces': 'yes',
    'RestrictRealtime': 'yes',
    'RestrictSUIDSGID': 'yes',
    'LockPersonality': 'yes',
    'MemoryDenyWriteExecute': 'yes',
    'RemoveIPC': 'yes',
    'SystemCallArchitectures': 'native',
    'UMask': '0077',
    'RestrictAddressFamilies': 'AF_UNIX AF_INET AF_INET6',
}

failures = []


def fail(msg):
    failures.append(msg)
    print(f'FAIL: {msg}')


def check(cond, msg):
    if not cond:
        fail(msg)


def parse_unit(path):
    """{section: {key: [values in order]}}; continuation lines are joined."""
    sections = {}
    current = None
    pending = ''
    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = pending + raw.rstrip('\n')
            pending = ''
            if line.endswith('\\'):
                pending = line[:-1] + ' '
                continue
            s = line.strip()
            if not s or s[0] in '#;':
                continue
            if s.startswith('[') and s.endswith(']'):
                current = sections.setdefault(s[1:-1], {})
                continue
            if current is None or '=' not in s:
                fail(f'{path}: line outside a section or without "=": {s}')
                continue
            key, value = s.split('=', 1)
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def last(section, key):
    """The value a key ends up with (a later assignment wins), or None."""
    values = section.get(key)
    return values[-1] if values else None


def run_quiet(args):
    env = dict(os.environ, SYSTEMD_LOG_COLOR='0', LC_ALL='C.UTF-8')
    r = subprocess.run(args, capture_output=True, text=True, env=env)
    out = (r.stdout + r.stderr).strip()
    return r.returncode, out


def main():
    if len(sys.argv) != 8:
        print(__doc__, file=sys.stderr)
        return 2
    service, timer, path_unit, sysusers, binary, group, channel_deb_h = sys.argv[1:]
    analyze = shutil.which('systemd-analyze')
    if not analyze:
        print('systemd-analyze is not installed: skipped', file=sys.stderr)
        return 77

    svc = parse_unit(service)
    tmr = parse_unit(timer)
    pth = parse_unit(path_unit)

    # --- the service ------------------------------------------------------
    s = svc.get('Service', {})
    check(last(s, 'Type') == 'oneshot', 'service: Type=oneshot')
    exec_start = last(s, 'ExecStart') or ''
    argv = exec_start.split()
    check(len(argv) == 2 and argv[0].endswith('/lpmaint-sync') and argv[0].startswith('/')
          and argv[1] == 'run', f'service: ExecStart= is ".../lpmaint-sync run", got "{exec_start}"')
    check(last(s, 'User') == 'lpmaint-sync', 'service: User=lpmaint-sync')
    check(last(s, 'StateDirectory') == 'lpmaint-sync', 'service: StateDirectory=lpmaint-sync')
    check(last(s, 'DynamicUser') in (None, 'no'), 'service: no DynamicUser= (the group must be in /etc/group)')
    for key, want in HARDENING.items():
        got = last(s, key)
        check(got == want, f'service: {key}={want}, got {got!r}')
    filters = s.get('SystemCallFilter', [])
    check('@system-service' in filters, 'service: SystemCallFilter=@system-service')
    check(any(f.startswith('~') and '@privileged' in f[1:].split() for f in filters),
          'service: SystemCallFilter=~@privileged')
    check('IPAddressDeny' not in s, 'service: no IPAddressDeny= (a channel may be on any address)')
    check(last(s, 'PrivateNetwork') in (None, 'no'), 'service: no PrivateNetwork= (it fetches the channel)')
    check(not s.get('AmbientCapabilities'), 'service: no AmbientCapabilities=')
    check('Install' not in svc, 'service: no [Install]: only its timer and path unit start it')

    # --- the timer --------------------------------------------------------
    t = tmr.get('Timer', {})
    check(last(t, 'Unit') in (None, 'lpmaint-sync.service'), 'timer: starts lpmaint-sync.service')
    check(os.path.basename(timer) == 'lpmaint-sync.timer', 'timer: named after the service it starts')
    check(last(t, 'OnCalendar') == 'hourly' or last(t, 'OnUnitActiveSec') == '1h', 'timer: hourly')
    check(bool(last(t, 'RandomizedDelaySec')), 'timer: RandomizedDelaySec=')
    check(last(t, 'Persistent') == 'true', 'timer: Persistent=true')
    check('timers.target' in (last(tmr.get('Install', {}), 'WantedBy') or '').split(),
          'timer: WantedBy=timers.target')

    # --- the path unit ----------------------------------------------------
    p = pth.get('Path', {})
    check(last(p, 'Unit') == 'lpmaint-sync.service', 'path: Unit=lpmaint-sync.service')
    with open(channel_deb_h, encoding='utf-8') as f:
        m = re.search(r'#define\s+CHANNEL_DEB_INSTALL_DIR\s+"([^"]+)"', f.read())
    check(m is not None, f'{channel_deb_h}: CHANNEL_DEB_INSTALL_DIR')
    if m:
        want = f'{m.group(1)}/kernels/%v/index'
        check(p.get('PathChanged') == [want], f'path: PathChanged={want}, got {p.get("PathChanged")}')
    check(not p.get('PathExists'), 'path: no PathExists= (it would start a run after every run)')
    check('paths.target' in (last(pth.get('Install', {}), 'WantedBy') or '').split(),
          'path: WantedBy=paths.target')

    # --- the user ---------------------------------------------------------
    with open(sysusers, encoding='utf-8') as f:
        entries = [line.split() for line in f if line.strip() and not line.lstrip().startswith('#')]
    check(any(e[:2] == ['u', 'lpmaint-sync'] for e in entries), 'sysusers: u lpmaint-sync')
    check(any(e[:3] == ['m', 'lpmaint-sync', group] for e in entries), f'sysusers: m lpmaint-sync {group}')
    check(any(e[:2] == ['g', group] for e in entries), f'sysusers: g {group}')

    # --- systemd's own checks ---------------------------------------------
    with tempfile.TemporaryDirectory(prefix='lpmaint-units.') as tmp:
        with open(service, encoding='utf-8') as f:
            text = f.read()
        with open(os.path.join(tmp, 'lpmaint-sync.service'), 'w', encoding='utf-8') as f:
            f.write(text.replace(argv[0] if argv else '@', os.path.abspath(binary)))
        for src in (timer, path_unit):
            shutil.copy(src, tmp)
        units = [os.path.join(tmp, u) for u in ('lpmaint-sync.service', 'lpmaint-sync.timer', 'lpmaint-sync.path')]
        rc, out = run_quiet([analyze, 'verify', '--man=no'] + units)
        check(rc == 0 and not out, f'systemd-analyze verify: exit {rc}: {out}')
        rc, out = run_quiet([analyze, 'security', '--offline=yes', '--no-pager', units[0]])
        m = re.search(r'Overall exposure level for lpmaint-sync\.service: (\d+\.\d+)', out)
        if rc != 0 or not m:
            fail(f'systemd-analyze security: exit {rc}: {out[-2000:]}')
        else:
            exposure = float(m.group(1))
            print(f'systemd-analyze security: {exposure} (at most {MAX_EXPOSURE})')
            check(exposure <= MAX_EXPOSURE, f'systemd-analyze security: {exposure} > {MAX_EXPOSURE}')

    if failures:
        print(f'{len(failures)} check(s) failed')
        return 1
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
