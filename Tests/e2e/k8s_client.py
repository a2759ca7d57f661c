#!/usr/bin/env python3
"""The official Python `kubernetes` client against Arbiter.

usage: k8s_client.py [--content-type TYPE] sar    SERVER CA CERT KEY USER GROUPS(comma) VERB RESOURCE SUBRESOURCE NAMESPACE
       k8s_client.py ssar   SERVER CA CERT KEY VERB GROUP RESOURCE NAMESPACE

Prints `allowed=<bool> reason=<reason>` and exits 0, or prints the error and exits 2.
"""
import sys

from kubernetes import client


def api(server, ca, cert, key):
    config = client.Configuration()
    config.host = server
    config.ssl_ca_cert = ca
    config.cert_file = cert
    config.key_file = key
    config.verify_ssl = True
    return client.AuthorizationV1Api(client.ApiClient(config))


def main(argv):
    extra = {}
    if argv[1] == "--content-type":
        # Only for telling an encoding problem from a decision problem: the plain call is the test.
        extra["_headers"] = {"Content-Type": argv[2]}
        argv = argv[:1] + argv[3:]
    mode = argv[1]
    try:
        if mode == "sar":
            server, ca, cert, key, user, groups, verb, resource, subresource, namespace = argv[2:12]
            body = client.V1SubjectAccessReview(
                api_version="authorization.k8s.io/v1", kind="SubjectAccessReview",
                spec=client.V1SubjectAccessReviewSpec(
                    user=user, groups=[g for g in groups.split(",") if g],
                    resource_attributes=client.V1ResourceAttributes(
                        verb=verb, resource=resource, subresource=subresource or None,
                        namespace=namespace or None, version="v1")))
            answer = api(server, ca, cert, key).create_subject_access_review(body, **extra)
        elif mode == "ssar":
            server, ca, cert, key, verb, group, resource, namespace = argv[2:10]
            body = client.V1SelfSubjectAccessReview(
                api_version="authorization.k8s.io/v1", kind="SelfSubjectAccessReview",
                spec=client.V1SelfSubjectAccessReviewSpec(
                    resource_attributes=client.V1ResourceAttributes(
                        verb=verb, group=group or None, resource=resource, namespace=namespace or None)))
            answer = api(server, ca, cert, key).create_self_subject_access_review(body, **extra)
        else:
            print("unknown mode %s" % mode)
            return 2
    except Exception as e:  # noqa: BLE001 - the test prints whatever went wrong
        print("error: %s" % str(e).replace("\n", " ")[:600])
        return 2
    print("allowed=%s reason=%s kind=%s apiVersion=%s" % (
        answer.status.allowed, answer.status.reason, answer.kind, answer.api_version))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
