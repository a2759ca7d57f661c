# Arbiter: one entry point for building, testing and checking. `make ci` is what .ci/run runs.
SWIFT ?= swift
export ARBITER_WERROR ?= 1
DEV ?= .dev
PORT ?= 8443

.PHONY: all deps build release test ci policies deploy-check e2e fuzz-replay fuzz fuzz-ci bench run clean

all: build

deps:
	./.ci/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product arbiter

test: deps
	$(SWIFT) test

# Every shipped policy file is validated and its tests pass.
policies: build
	.build/debug/arbiter validate Policies/control-plane Policies/examples
	.build/debug/arbiter test Policies

# systemd units (verify + security score), PKI script, Kubernetes files, smoke test.
deploy-check: build
	ARBITER=.build/debug/arbiter ./.ci/check-deploy

# End-to-end: the built binary with real clients (curl, kubectl, Python kubernetes, h2load).
e2e: build
	ARBITER=.build/debug/arbiter Tests/e2e/run.sh

# Replays the committed fuzz seeds and crash regressions through every fuzz target.
fuzz-replay: build
	for t in sar http1 http2 policy kubectl; do .build/debug/ArbiterFuzz $$t Tests/Fixtures/fuzz/$$t || exit 1; done

# Coverage-guided fuzzing (libFuzzer + ASan, built once in .build-fuzz): every target for
# FUZZ_SECONDS with its seeds and dictionary; fails on a finding or a run that cannot have fuzzed
# (Tests/fuzz/run.sh, docs/fuzzing.md). fuzz-ci: short, fresh corpus, bounded.
FUZZ_SECONDS ?= 600
fuzz: deps
	SWIFT=$(SWIFT) Tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-ci: deps
	FUZZ_FRESH=1 FUZZ_WORK=.fuzz/ci SWIFT=$(SWIFT) Tests/fuzz/run.sh 30

ci: build test policies deploy-check e2e fuzz-replay

bench: deps
	./Benchmarks/run.sh

# Dev certificates (Deploy/pki/make-certs.sh) and the shipped policies, on 127.0.0.1:$(PORT).
run: release
	bash Deploy/pki/make-certs.sh --out $(DEV)/pki --node devnode >/dev/null
	@echo "try: curl --cacert $(DEV)/pki/ca.crt --cert $(DEV)/pki/kube-apiserver-authz-client.crt --key $(DEV)/pki/kube-apiserver-authz-client.key -H 'content-type: application/json' --data-binary @Deploy/examples/review-allowed.json https://127.0.0.1:$(PORT)/authorize"
	.build/release/arbiter serve --listen 127.0.0.1:$(PORT) \
		--tls-cert $(DEV)/pki/arbiter.crt --tls-key $(DEV)/pki/arbiter.key --client-ca $(DEV)/pki/client-ca.crt \
		--caller kube-apiserver-authz-client --metrics-reader kube-apiserver-authz-client \
		--policy Policies/control-plane --policy Policies/examples

clean:
	rm -rf .build $(DEV)

# "Prove it under attack" (Tests/prove/run.sh): fuzz summary, differential run, the checklist's unit
# tests, e2e, abuse probes with a healthy neighbour, sslyze, soak with reloads and rotation, fresh
# connections; writes docs/reliability.md. prove-ci is the bounded variant .ci/run calls.
.PHONY: prove prove-ci
prove: deps
	Tests/prove/run.sh full

prove-ci: deps
	Tests/prove/run.sh ci
