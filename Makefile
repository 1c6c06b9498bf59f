# envdrift: non-recursive build. `make` builds build/envdrift; `make test`
# installs build dependencies, runs unit + CLI tests, then again under
# ASan+UBSan. See README.md.

PKGS     := libgit2 yaml-0.1 openssl libssh2 zlib
BUILD    ?= build
CC       ?= cc
CFLAGS   ?= -O2 -g
WERROR   ?= -Werror
PREFIX   ?= /usr/local
SYSTEMD_UNIT_DIR ?= /etc/systemd/system
DESTDIR  ?=
VERSION  := 0.1.0
V        ?=
Q        := $(if $(V),,@)

WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wold-style-definition -Wmissing-prototypes -Wwrite-strings -Wcast-qual \
	-Wformat=2 -Wpointer-arith -Wvla -Wundef -Wdeclaration-after-statement \
	-Wredundant-decls -Wconversion -Wno-sign-conversion

CPPFLAGS += -I. -I$(BUILD) -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
	-DENVDRIFT_VERSION='"$(VERSION)"' \
	-DFIXTURE_DIR='"$(CURDIR)/tests/fixtures"'
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
ALL_CFLAGS = -std=c11 $(WARNINGS) $(WERROR) $(CFLAGS) $(PKG_CFLAGS)
LIBS      = $(PKG_LIBS) -lpthread -lm

LIB_SRC  := $(wildcard core/*.c collector/*.c collector/fleet/*.c differ/*.c baselines/*.c reports/*.c)
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/gen/embedded.o
CLI_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRC))
EMBED_SHARE := baselines/collect-default.yaml baselines/sysctl-classes.yaml baselines/diff-defaults.yaml \
	baselines/secret-files.yaml
# the fleet scan's remote script rides along, so its command line is constant
EMBED    := $(EMBED_SHARE) collector/fleet/remote.sh

.PHONY: all unit cli-test test asan deps deps-test install-debs demo bench bench-scan bench-incr bench-remote install clean lint check-deps \
	fuzz fuzz-smoke fuzz-bins valgrind
all: $(BUILD)/envdrift

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Shipped YAML defaults and the remote script are compiled in, so an
# installed binary needs no data directory to work.
$(BUILD)/gen/embedded.c: $(EMBED) tests/lib/embed.sh
	@mkdir -p $(@D)
	sh tests/lib/embed.sh $(EMBED) > $@

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libenvdrift.a: $(LIB_OBJ)
	@rm -f $@ # a stale member (a source since removed) must not survive
	$(Q)$(AR) rcs $@ $^

$(BUILD)/envdrift: $(CLI_OBJ) $(BUILD)/libenvdrift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libenvdrift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LIBS)

# a test tool: a fleet-sized report for the browser tests (t0017)
$(BUILD)/tests/tools/mkreport: $(BUILD)/tests/tools/mkreport.o $(BUILD)/libenvdrift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

unit: $(UNIT_BIN)
	@failed=; for t in $(UNIT_BIN); do echo "== $$t"; $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "unit: failing:$$failed"; exit 1; fi

# a test tool: the scalars of a YAML file (t0036, the pipeline examples)
$(BUILD)/tests/tools/yamlscalars: $(BUILD)/tests/tools/yamlscalars.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

cli-test: $(BUILD)/envdrift $(BUILD)/tests/tools/mkreport $(BUILD)/tests/tools/yamlscalars
	ENVDRIFT=$(CURDIR)/$(BUILD)/envdrift ENVDRIFT_MKREPORT=$(CURDIR)/$(BUILD)/tests/tools/mkreport \
		ENVDRIFT_YAMLSCALARS=$(CURDIR)/$(BUILD)/tests/tools/yamlscalars \
		ENVDRIFT_ARTIFACTS=$(CURDIR)/$(BUILD)/artifacts sh tests/cli/run.sh

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan:
	$(MAKE) BUILD=build/asan CFLAGS='$(ASAN_FLAGS)' LDFLAGS='-fsanitize=address,undefined' unit cli-test

# libFuzzer targets (tests/fuzz/fuzz_NAME.c), linked against the library
# built with clang into build/fuzz. `make fuzz` runs each for FUZZ_SECONDS
# on a copy of its seed corpus; `make fuzz-smoke` for 3 s each, without the
# targets in FUZZ_SMOKE_SKIP (ones that crash on their seeds: see RELIABILITY.md).
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-fsanitize=fuzzer-no-link,address,undefined
FUZZ_NAMES   ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SMOKE_SKIP ?=
FUZZ_BIN      = $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))

fuzz-bins:
	$(MAKE) BUILD=$(FUZZ_DIR) CC=clang CFLAGS='$(FUZZ_CFLAGS)' WERROR= $(FUZZ_DIR)/libenvdrift.a
	$(MAKE) $(FUZZ_BIN)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/libenvdrift.a
	@echo "  FUZZ    $@"
	$(Q)clang $(CPPFLAGS) -std=c11 -Wall -Wextra $(FUZZ_CFLAGS) $(PKG_CFLAGS) \
		-fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libenvdrift.a $(LIBS)

fuzz: fuzz-bins
	sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-smoke: fuzz-bins
	sh tests/fuzz/run.sh $(FUZZ_DIR) 3 $(filter-out $(FUZZ_SMOKE_SKIP),$(FUZZ_NAMES))

# A subset of the tests under valgrind memcheck: zero errors, zero
# definite leaks (tests/valgrind/run.sh says which and why).
valgrind: $(BUILD)/envdrift $(UNIT_BIN)
	sh tests/valgrind/run.sh $(BUILD)

# cppcheck, and gcc -fanalyzer against reviewed false positives
# (tests/lint/fanalyzer.supp), over the project's own sources; file sizes
# and file-level call cycles from the objects (tests/lint/structure.sh).
lint: $(BUILD)/gen/embedded.c $(LIB_OBJ) $(CLI_OBJ)
	BUILD=$(BUILD) sh tests/lint/lint.sh

# Install what the build and the tests need, only when something is missing.
DEB_DEPS := build-essential pkg-config libgit2-dev libyaml-dev libssl-dev \
	libssh2-1-dev zlib1g-dev libcmocka-dev git openssh-server openssh-client
# only the tests need these: JUnit validation, the HTML report in a browser,
# shellcheck of the remote script (make lint), the HTTPS git server
# (tests/lib/gitserver.sh; its TLS module is only a Recommends of lighttpd),
# ansible-core (t0043: Ansible as the inventory oracle), JSON checks
# (python3), the Prometheus text parser and strace (t0047: metrics, atomic
# writes; t0012), the openssl tool (t0022, t0024),
# systemd-analyze (t0020), rpm and rpmbuild (t0052: a real rpm database). Installed without Recommends; a test whose tool
# is missing fails (need_tool in tests/cli/test-lib.sh), it never skips.
TEST_DEPS := libxml2-utils ansible-core chromium cmark-gfm clang libclang-rt-14-dev cppcheck valgrind sudo shellcheck \
	lighttpd lighttpd-mod-openssl python3 python3-prometheus-client strace openssl systemd rpm
deps:
	@$(MAKE) --no-print-directory install-debs PKGS_WANTED='$(DEB_DEPS)'
deps-test:
	@$(MAKE) --no-print-directory install-debs PKGS_WANTED='$(DEB_DEPS) $(TEST_DEPS)'
# Daemons in the list (openssh-server, lighttpd) must not start at install
# time: the tests start their own. A policy-rc.d that returns 101 forbids
# it; ours is removed afterwards, one already there is left alone.
# Should lighttpd's package have started it all the same, that one is
# stopped by its pid file.
install-debs:
	@missing=$$(for p in $(PKGS_WANTED); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		ours=; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\n# envdrift make install-debs: no daemon starts at install\nexit 101\n' \
				>/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && ours=1; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
		rc=$$?; \
		[ -z "$$ours" ] || rm -f /usr/sbin/policy-rc.d; \
		case " $$(echo $$missing) " in *" lighttpd "*) \
			pid=$$(cat /run/lighttpd.pid 2>/dev/null); \
			if [ -n "$$pid" ] && [ "$$(readlink /proc/$$pid/exe)" = /usr/sbin/lighttpd ]; then \
				echo "stopping the lighttpd the package started (pid $$pid)"; kill "$$pid"; \
			fi ;; \
		esac; \
		exit $$rc; \
	fi

test: deps-test
	$(MAKE) all unit cli-test
	$(MAKE) asan
	$(MAKE) fuzz-smoke
	$(MAKE) lint
	$(MAKE) valgrind
	@echo "make test: all passed"

# a cold build with one job takes 30 s: use every CPU
NPROC := $(shell nproc 2>/dev/null || echo 2)
DEMO_REPO ?= $(BUILD)/demo-state
demo: deps
	$(MAKE) -j$(NPROC) all
	sh doc/demo.sh $(BUILD)/envdrift $(DEMO_REPO)

# BENCH_SCAN=0 leaves out the fleet scan comparison (bench/scan.sh: root,
# a simulated SSH fleet, installs pssh and ansible when missing)
BENCH_SCAN ?= 1
# BENCH_REMOTE=0 leaves out the state repository on git servers
# (bench/remote.sh: root, an SSH and an HTTPS git server, a simulated fleet)
BENCH_REMOTE ?= 1
bench: deps
	$(MAKE) all
	sh bench/run.sh $(BUILD)/envdrift
	@if [ "$(BENCH_SCAN)" != 0 ]; then $(MAKE) --no-print-directory bench-scan; fi
	@if [ "$(BENCH_INCR)" != 0 ]; then $(MAKE) --no-print-directory bench-incr; fi
	@if [ "$(BENCH_REMOTE)" != 0 ]; then $(MAKE) --no-print-directory bench-remote; fi

bench-scan: all
	sh bench/scan.sh $(BUILD)/envdrift

# the nightly re-scan against the last build before it (issue 14):
# bench/scan_incr.sh, OLD built from git archive BENCH_INCR_BASE
BENCH_INCR ?= 1
BENCH_INCR_BASE ?= 1adeb26
bench-incr: all
	rm -rf $(BUILD)/bench-old && mkdir -p $(BUILD)/bench-old
	git archive $(BENCH_INCR_BASE) | tar -x -C $(BUILD)/bench-old
	$(MAKE) --no-print-directory -C $(BUILD)/bench-old BUILD=build all
	BENCH_SCAN_MODE=incr sh bench/scan.sh $(BUILD)/envdrift $(BUILD)/bench-old/build/envdrift

# the HTTPS git server and GNU time (CPU and peak RSS per run)
REMOTE_DEPS := lighttpd lighttpd-mod-openssl time
bench-remote: all
	@$(MAKE) --no-print-directory install-debs PKGS_WANTED='$(DEB_DEPS) $(REMOTE_DEPS)'
	sh bench/remote.sh $(BUILD)/envdrift

install: $(BUILD)/envdrift
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/envdrift
	install -m 0755 $(BUILD)/envdrift $(DESTDIR)$(PREFIX)/bin/envdrift
	install -m 0644 doc/envdrift.1 $(DESTDIR)$(PREFIX)/share/man/man1/envdrift.1
	install -m 0644 $(EMBED_SHARE) $(DESTDIR)$(PREFIX)/share/envdrift/
	install -m 0644 baselines/parity.example.yaml $(DESTDIR)$(PREFIX)/share/envdrift/
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	for u in envdrift-scan.service envdrift-scan.timer; do \
		sed 's|@BINDIR@|$(PREFIX)/bin|g' doc/systemd/$$u > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u || exit 1; \
	done

clean:
	rm -rf build

.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
