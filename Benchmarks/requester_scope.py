#!/usr/bin/env python3
"""What a workload's request stream reaches, independently of Arbiter's engine.

For the first N requests of WORKLOAD/requests.jsonl (N = 500, 1,000, ... and all): how many
distinct users, (user, namespace) and (group, namespace) pairs they name; and, over all requests,
how many have a subject of their own with a binding in the request's scope (a ClusterRoleBinding,
or a RoleBinding in the request's namespace, naming the user, the user's service account, or a
group other than system:authenticated, which every request carries). Such a request's decision
must read at least one line chosen by its requester: with thousands of distinct requesters those
lines cannot all stay in a core's cache.

Usage: python3 Benchmarks/requester_scope.py Benchmarks/data/large
Needs PyYAML (as ../shared/bench/rbacgen.py does); about 10 s on the large workload.
"""
import json
import sys

import yaml

SHARED_GROUP = "system:authenticated"


def bound_subjects(path):
    """(kind, name) named by ClusterRoleBindings; (kind, name, namespace) by RoleBindings."""
    cluster, namespaced = set(), set()
    with open(path) as f:
        for doc in yaml.load_all(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            kind = (doc or {}).get("kind")
            if kind not in ("RoleBinding", "ClusterRoleBinding"):
                continue
            namespace = doc["metadata"].get("namespace", "")
            for subject in doc.get("subjects") or []:
                if subject["kind"] == "ServiceAccount":
                    sa_namespace = subject.get("namespace") or namespace
                    key = ("User", f"system:serviceaccount:{sa_namespace}:{subject['name']}")
                else:
                    key = (subject["kind"], subject["name"])
                if kind == "ClusterRoleBinding":
                    cluster.add(key)
                else:
                    namespaced.add(key + (namespace,))
    return cluster, namespaced


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    workload = sys.argv[1]
    with open(f"{workload}/requests.jsonl") as f:
        specs = [json.loads(line)["spec"] for line in f if line.strip()]
    print("first N requests: distinct users, (user, namespace) pairs, (group, namespace) pairs")
    for n in sorted({500, 1000, 2000, 3000, 5000, len(specs)}):
        if n > len(specs):
            continue
        users, user_pairs, group_pairs = set(), set(), set()
        for spec in specs[:n]:
            namespace = (spec.get("resourceAttributes") or {}).get("namespace", "")
            users.add(spec["user"])
            user_pairs.add((spec["user"], namespace))
            group_pairs.update((group, namespace) for group in spec.get("groups") or [])
        print(f"  {n:>6}: {len(users):>6} {len(user_pairs):>6} {len(group_pairs):>6}")
    cluster, namespaced = bound_subjects(f"{workload}/rbac.yaml")
    reached = 0
    for spec in specs:
        namespace = (spec.get("resourceAttributes") or {}).get("namespace", "")
        own = [("User", spec["user"])] + [("Group", g) for g in spec.get("groups") or [] if g != SHARED_GROUP]
        if any(s in cluster or (namespace and s + (namespace,) in namespaced) for s in own):
            reached += 1
    print(f"requests with a binding in scope naming their own user or group (not {SHARED_GROUP}): "
          f"{reached} of {len(specs)} ({100 * reached / len(specs):.0f}%)")


if __name__ == "__main__":
    main()
