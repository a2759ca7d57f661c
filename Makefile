# Arbiter: one entry point for building, testing and checking. `make ci` is what .ci/run runs.
SWIFT ?= swift
export ARBITER_WERROR ?= 1

.PHONY: all build release test ci bench clean deps

all: build

deps:
	./.ci/install-deps

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release --product arbiter

test:
	$(SWIFT) test

bench:
	./Benchmarks/run.sh

ci: build test

clean:
	rm -rf .build
