#!/usr/bin/python3
"""Compare `envdrift inventory --format json` with Ansible (ansible-core).

usage: inventory_oracle.py ENVDRIFT SPEC

SPEC has one line per check:
  list FILE              ansible-inventory -i FILE --list (one run per file)
                         against envdrift: hosts, each host's groups (direct
                         and through children), each host's variables
  limit FILE PATTERN     the hosts Ansible selects for --limit PATTERN (its
                         InventoryManager.subset, in this process) against
                         envdrift inventory --limit PATTERN
  limit-cli FILE PATTERN the same through `ansible all --list-hosts --limit`
Prints "ok N - what" or "not ok N - what" per check, as tests/cli do.
Ansible runs in an empty directory so no group_vars/ of the working
directory joins in.
"""
import json
import os
import subprocess
import sys
import tempfile

failures = 0
count = 0


def report(ok, what, detail=""):
    global failures, count
    count += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", count, what))
    if not ok:
        failures += 1
        for line in detail.splitlines():
            print("#   " + line)


def canon(v):
    """A value in a form where 1500 and 1500.0 agree but True and 1 do not."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("num", float(v))
    if isinstance(v, str):
        return ("str", v)
    if v is None:
        return ("null",)
    if isinstance(v, list):
        return ("list", tuple(canon(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((str(k), canon(x)) for k, x in v.items())))
    return ("other", repr(v))


def envdrift(prog, path, limit=None):
    cmd = [prog, "inventory", "-i", path, "--format", "json",
           "--ssh-config", "/dev/null"]
    if limit is not None:
        cmd += ["--limit", limit]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode:
        return None, p.stderr.strip()
    return json.loads(p.stdout), ""


def ansible_groups(data):
    """host -> every group holding it, directly or through children."""
    children = {g: v.get("children", []) for g, v in data.items() if g != "_meta"}
    direct = {g: v.get("hosts", []) for g, v in data.items() if g != "_meta"}
    out = {}

    def walk(g, seen):
        hosts = set(direct.get(g, []))
        for c in children.get(g, []):
            if c not in seen:
                hosts |= walk(c, seen | {c})
        return hosts

    for g in direct:
        for h in walk(g, {g}):
            out.setdefault(h, set()).add(g)
    for h in data.get("_meta", {}).get("hostvars", {}):
        out.setdefault(h, set()).add("all")
    return out


def check_list(prog, path, cwd):
    p = subprocess.run(["ansible-inventory", "-i", os.path.abspath(path), "--list"],
                       capture_output=True, text=True, cwd=cwd, timeout=120)
    report(p.returncode == 0, "%s: ansible-inventory --list runs" % path, p.stderr)
    if p.returncode:
        return
    data = json.loads(p.stdout)
    ours, err = envdrift(prog, path)
    report(ours is not None, "%s: envdrift inventory runs" % path, err)
    if ours is None:
        return
    theirs_groups = ansible_groups(data)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    mine = {h["name"]: h for h in ours["hosts"]}
    report(sorted(mine) == sorted(theirs_groups), "%s: same hosts" % path,
           "ansible: %s\nenvdrift: %s" % (sorted(theirs_groups), sorted(mine)))
    bad_groups, bad_vars = [], []
    for name in sorted(set(mine) & set(theirs_groups)):
        if set(mine[name]["groups"]) != theirs_groups[name]:
            bad_groups.append("%s: ansible %s, envdrift %s" % (
                name, sorted(theirs_groups[name]), sorted(mine[name]["groups"])))
        a, e = hostvars.get(name, {}), mine[name]["vars"]
        for k in sorted(set(a) | set(e)):
            if k not in a or k not in e or canon(a[k]) != canon(e[k]):
                bad_vars.append("%s: %s: ansible %s, envdrift %s" % (
                    name, k, json.dumps(a.get(k, "<unset>")),
                    json.dumps(e.get(k, "<unset>"))))
    report(not bad_groups, "%s: same groups for every host" % path,
           "\n".join(bad_groups))
    report(not bad_vars, "%s: same variables for every host (%d hosts)"
           % (path, len(mine)), "\n".join(bad_vars))


_managers = {}


def ansible_limit(path, pattern):
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    if path not in _managers:
        _managers[path] = InventoryManager(loader=DataLoader(),
                                           sources=[os.path.abspath(path)])
    inv = _managers[path]
    inv.clear_pattern_cache()
    inv.subset(None)
    inv.subset(pattern)
    return sorted(h.name for h in inv.get_hosts("all"))


def check_limit(prog, path, pattern, cli, cwd):
    if cli:
        p = subprocess.run(["ansible", "all", "-i", os.path.abspath(path),
                            "--list-hosts", "--limit", pattern],
                           capture_output=True, text=True, cwd=cwd, timeout=120)
        lines = [l.strip() for l in p.stdout.splitlines()[1:] if l.strip()]
        theirs = sorted(lines) if p.returncode == 0 else None
    else:
        try:
            theirs = ansible_limit(path, pattern)
        except Exception as e:  # Ansible refuses the pattern
            theirs = None
    ours, err = envdrift(prog, path, pattern)
    mine = sorted(h["name"] for h in ours["hosts"]) if ours else None
    # selecting nothing: Ansible errs, and envdrift errs too unless every
    # term matched something (then it selects no host)
    if theirs == []:
        theirs = None
    if mine == []:
        mine = None
    report(mine == theirs, "%s: --limit '%s'%s" % (path, pattern,
                                                   " (ansible CLI)" if cli else ""),
           "ansible: %s\nenvdrift: %s %s" % (theirs, mine, err))


def main():
    prog, spec = sys.argv[1], sys.argv[2]
    os.environ.setdefault("ANSIBLE_LOCAL_TEMP", tempfile.mkdtemp())
    os.environ["ANSIBLE_NOCOLOR"] = "1"
    os.environ["LC_ALL"] = "C.UTF-8"  # Ansible refuses other encodings
    cwd = tempfile.mkdtemp()
    with open(spec) as f:
        for line in f:
            w = line.split(None, 2)
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "list":
                check_list(prog, w[1], cwd)
            elif w[0] in ("limit", "limit-cli"):
                check_limit(prog, w[1], w[2].strip(), w[0] == "limit-cli", cwd)
            else:
                report(False, "spec line understood: %s" % line.strip())
    print("# %d checks, %d failed" % (count, failures))
    sys.exit(1 if failures else 0)


main()
