# The two commands of the README: `make up` (the whole stack) and `make test`
# (everything the tests need, then the whole suite). `npm test` is the quick loop.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STACK := infra/stack.sh

.PHONY: help install build up down status test bench bench-profiles clean up-cluster down-cluster test-cluster

help:
	@echo "make up      install, build, start Temporal, NATS, PostgreSQL, the worker and the three services"
	@echo "make down    stop what 'make up' started"
	@echo "make test    install, build, lint and format check, start what the tests need (Chromium too), run the whole suite"
	@echo "make bench   run the benchmarks (writes BENCHMARKS.md)"
	@echo "make bench-profiles  the dev and cluster profiles side by side (brings both up; writes BENCHMARKS.md)"
	@echo "make up-cluster / down-cluster   the production profile: Temporal server, 3 NATS nodes, 2 of each process, HAProxy, Prometheus"

# npm ci only when the lockfile changed since the last install.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

build: install
	npm run build

up: build
	$(STACK) up

down:
	$(STACK) down

up-cluster: build
	infra/cluster.sh up

down-cluster:
	infra/cluster.sh down

# Node-level faults on the cluster profile (brings it up if it is not running).
test-cluster: build
	infra/cluster.sh up
	npx tsc -p tsconfig.tests.json
	YUQING_CLUSTER=1 npx jest --selectProjects cluster

status:
	$(STACK) status

test: build
	npm run lint
	npm run format:check
	$(STACK) deps
	set -a && . .data/stack.env && set +a && npm test

bench: build
	$(STACK) up
	set -a && . .data/stack.env && set +a && npm run bench

bench-profiles: build
	$(STACK) up
	set -a && . .data/stack.env && set +a && node bench/dist/profiles.js

clean: down
	rm -rf .data node_modules */dist services/*/dist */tsconfig.tsbuildinfo services/*/tsconfig.tsbuildinfo
