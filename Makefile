# drover — live-migration control for Pacemaker + libvirt clusters.
# Plain GNU make + pkg-config.  `make help` lists the targets.

VERSION := 0.1.0

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# Pacemaker looks for agents only under its compiled-in OCF root
OCF_ROOT ?= /usr/lib/ocf
DESTDIR ?=

# SANITIZE=1 builds everything with ASan + UBSan in a separate tree
ifeq ($(SANITIZE),1)
BUILD ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined
else
BUILD ?= build
SAN_FLAGS :=
endif

# Debian 12 packages needed to build and test (installed by `make deps`)
DEB_BUILD_DEPS := build-essential pkg-config pacemaker-dev libcpg-dev \
	libquorum-dev libcorosync-common-dev libvirt-dev libxml2-dev \
	libxml2-utils libglib2.0-dev libjson-glib-dev libqb-dev check \
	valgrind clang-format clang-14 libclang-rt-14-dev libgnutls28-dev \
	libldap-dev
DEB_LAB_DEPS := pacemaker pacemaker-cli-utils corosync libvirt-daemon \
	libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils \
	resource-agents busybox-static iproute2 nftables ethtool \
	iputils-ping util-linux procps psmisc cpio kmod perl shellcheck \
	prometheus gnutls-bin slapd ldap-utils pcs debootstrap
# make deb / make rpm (rpmbuild from Debian's rpm package); systemd-analyze
DEB_PACKAGING_DEPS := debhelper dpkg-dev fakeroot lintian rpm systemd
DEB_DEPS := $(DEB_BUILD_DEPS) $(DEB_LAB_DEPS) $(DEB_PACKAGING_DEPS)
# The Debian 13 root the lab's release-13 nodes run on, drover built in it
# (tests/lab/rootfs makes it again when this list changes)
DEB13_ROOT_PKGS := build-essential pkg-config pacemaker-dev libcpg-dev \
	libquorum-dev libcorosync-common-dev libvirt-dev libxml2-dev \
	libxml2-utils libglib2.0-dev libjson-glib-dev libqb-dev check \
	libgnutls28-dev libldap-dev pacemaker pacemaker-cli-utils corosync \
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-driver-network \
	libvirt-daemon-driver-storage libvirt-clients \
	qemu-system-x86 qemu-utils resource-agents iproute2 iputils-ping util-linux \
	procps psmisc kmod perl gnutls-bin slapd ldap-utils ca-certificates \
	man-db pcs busybox-static valgrind clang-19 libclang-rt-19-dev \
	debhelper dpkg-dev fakeroot lintian rpm git

PKGS := pacemaker pacemaker-cib libcpg libquorum libcorosync_common libvirt libxml-2.0 \
	glib-2.0 gio-2.0 json-glib-1.0 libqb gnutls ldap
# Recursive (=) so that pkg-config runs only after `make deps`
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))

WARNINGS := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wwrite-strings
ifneq ($(CI)$(WERROR),)
WARNINGS += -Werror
endif

# Debian's hardening, as its packages are built (dpkg-buildflags: stack
# protector, _FORTIFY_SOURCE, format security, full RELRO; and on 13 stack
# clash and CET protection); not under the sanitizers, which replace what
# _FORTIFY_SOURCE checks.  debian/rules passes its own.
ifeq ($(SANITIZE),1)
CFLAGS ?= -O1 -g
else
BUILDFLAGS = $(shell DEB_BUILD_MAINT_OPTIONS=hardening=+all \
	dpkg-buildflags --get $(1) 2>/dev/null)
ifeq ($(origin CFLAGS),undefined)
CFLAGS := $(or $(call BUILDFLAGS,CFLAGS),-O2 -g)
endif
ifeq ($(origin CPPFLAGS),undefined)
CPPFLAGS := $(call BUILDFLAGS,CPPFLAGS)
endif
ifeq ($(origin LDFLAGS),undefined)
LDFLAGS := $(call BUILDFLAGS,LDFLAGS)
endif
endif
# PCMK_ALLOW_DEPRECATED=0: Pacemaker's deprecated API does not compile (what
# 3.0 deprecates may be gone in the next release)
# (WARNINGS after CFLAGS: Debian's -Wformat would lower -Wformat=2)
ALL_CFLAGS = -std=gnu11 $(CPPFLAGS) $(CFLAGS) $(WARNINGS) $(SAN_FLAGS) \
	-DPCMK_ALLOW_DEPRECATED=0 -DDROVER_VERSION='"$(VERSION)"' -Ilib/include \
	-Ilib $(PKG_CFLAGS)
# --as-needed: each program loads only the libraries it uses (an agent
# start-up is dominated by loading them, see docs/design.md)
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS) $(SAN_FLAGS)

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_A := $(BUILD)/libdrover.a

AGENT_SRCS := $(wildcard agents/*.c)
AGENTS := $(AGENT_SRCS:agents/%.c=$(BUILD)/ocf/drover/%)

TOOL_SRCS := $(wildcard tools/*.c)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/%.o)
DROVER := $(BUILD)/drover

UNIT_SRCS := $(wildcard tests/unit/check_*.c) tests/unit/unit_main.c
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
UNIT_TESTS := $(BUILD)/tests/unit-tests
TEST_AGENT := $(BUILD)/tests/test-agent
HANG_FS := $(BUILD)/tests/hang-fs
FIRST_PARSE := $(BUILD)/tests/first-parse
FAKE_COROSYNC := $(BUILD)/tests/fake-corosync

HEADERS := $(wildcard lib/include/drover/*.h lib/*.h tests/unit/*.h)

# Manual pages, printed by the programs from the tables they run on
MAN_PAGES := $(BUILD)/man/drover.8 \
	$(AGENT_SRCS:agents/%.c=$(BUILD)/man/drover-%.7)

.PHONY: all deps check check-all check-unit check-valgrind check-cli check-man check-packages \
	check-lab check-lab-12 check-lab-13 check-lab-both check-systemd options-doc check-release-13 check-release-13-more lab-helpers lab-down release-13 lint-shell demo bench install format format-check \
	clean help fuzz check-fuzz dist deb rpm soak coverage

# Keep objects between builds (they are intermediate for the programs)
.SECONDARY:

all: $(LIB_A) $(AGENTS) $(DROVER) $(MAN_PAGES)

help:
	@echo "make               build libdrover, the agents and the drover CLI"
	@echo "make deps          install missing Debian packages (as root)"
	@echo "make check         deps, build, every test (unit, sanitizers, valgrind,"
	@echo "                   fuzz, CLI, man, packages, lab) on Debian 12; build,"
	@echo "                   unit, CLI, man, packages in a Debian 13 root; each lab"
	@echo "                   scenario once, on Debian 12 or 13 nodes"
	@echo "make check-lab-both  every lab scenario on 12 and on 13 nodes (-12, -13)"
	@echo "make check-release-13-more  sanitizers, valgrind, fuzzing in the 13 root"
	@echo "make check-unit    only the unit tests (SANITIZE=1 for ASan+UBSan)"
	@echo "make demo          a real 3-node lab cluster showing drover at work"
	@echo "make bench         benchmarks against the stock tools"
	@echo "make soak          200 live migrations under random faults on the lab"
	@echo "make install       DESTDIR=... PREFIX=/usr"
	@echo "make deb           Debian packages in build/deb (lintian-checked)"
	@echo "make rpm           RPM packages in build/rpm (rpmbuild)"
	@echo "make format-check  clang-format check of all C sources"
	@echo "make coverage      line coverage by the unit and CLI tests (gcov)"
	@echo "make options-doc   docs/options.md from the option table (lib/options.c)"
	@echo "make fuzz          libFuzzer on every parser of outside input,"
	@echo "                   FUZZ_SECONDS=60 each (check-fuzz: 5 s each)"

deps:
	@packaging/install-deps $(DEB_DEPS)

# Each object depends on the headers it includes (-MMD: the compiler
# lists them in a .d beside it; -MP: a header that goes away breaks
# nothing); an object without its .d (an older tree) is built again
$(BUILD)/%.o: %.c $(BUILD)/%.d
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.d: ;

-include $(wildcard $(BUILD)/lib/*.d $(BUILD)/agents/*.d $(BUILD)/tools/*.d \
	$(BUILD)/tests/*/*.d)

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# Programs link libdrover statically: agents then run from any directory
# (the lab mounts $(BUILD)/ocf over /usr/lib/ocf/resource.d) without rpath.
$(BUILD)/ocf/drover/%: $(BUILD)/agents/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $< $(LIB_A) $(ALL_LDFLAGS) $(PKG_LIBS)

$(DROVER): $(TOOL_OBJS) $(LIB_A)
	$(CC) -o $@ $(TOOL_OBJS) $(LIB_A) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/man/drover.8: $(DROVER)
	@mkdir -p $(@D)
	$(DROVER) help --man >$@

$(BUILD)/man/drover-%.7: $(BUILD)/ocf/drover/%
	@mkdir -p $(@D)
	$< man >$@

SLOT_LATENCY := $(BUILD)/tests/slot-latency
DRAIN_PLANNER := $(BUILD)/tests/drain-planner

$(DRAIN_PLANNER): $(BUILD)/tests/bench/drain-planner.o $(LIB_A)
	$(CC) -o $@ $< $(LIB_A) $(ALL_LDFLAGS) $(PKG_LIBS)

$(SLOT_LATENCY): $(BUILD)/tests/bench/slot-latency.o $(LIB_A)
	$(CC) -o $@ $< $(LIB_A) $(ALL_LDFLAGS) $(PKG_LIBS)

$(TEST_AGENT): $(BUILD)/tests/unit/test_agent.o $(LIB_A)
	$(CC) -o $@ $< $(LIB_A) $(ALL_LDFLAGS) $(PKG_LIBS)

$(FIRST_PARSE): $(BUILD)/tests/unit/first_parse.o $(LIB_A)
	$(CC) -o $@ $< $(LIB_A) $(ALL_LDFLAGS) $(PKG_LIBS)

$(HANG_FS): $(BUILD)/tests/unit/hang_fs.o
	$(CC) -o $@ $< $(ALL_LDFLAGS)

$(FAKE_COROSYNC): $(BUILD)/tests/unit/fake_corosync.o
	$(CC) -o $@ $< $(ALL_LDFLAGS) $(shell pkg-config --libs libqb)

$(UNIT_TESTS): $(UNIT_OBJS) $(LIB_A)
	$(CC) -o $@ $(UNIT_OBJS) $(LIB_A) $(ALL_LDFLAGS) $(PKG_LIBS) \
		$(shell pkg-config --libs check)

# The unit tests find their helpers through the environment
UNIT_ENV = DROVER_TEST_AGENT=$(TEST_AGENT) DROVER_TEST_DATA=tests/unit/data \
	DROVER_SCHEMAS=schemas DROVER_CLI=$(DROVER) DROVER_TEST_HANG_FS=$(HANG_FS) \
	DROVER_TEST_FAKE_COROSYNC=$(FAKE_COROSYNC) DROVER_AGENT_DIR=$(BUILD)/ocf/drover \
	DROVER_TEST_FIRST_PARSE=$(FIRST_PARSE) \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/unit/lsan.supp
UNIT_HELPERS := $(UNIT_TESTS) $(TEST_AGENT) $(HANG_FS) $(FAKE_COROSYNC) $(FIRST_PARSE) \
	$(DROVER) $(AGENTS)

check-unit: $(UNIT_HELPERS)
	$(UNIT_ENV) $(UNIT_TESTS)

check-valgrind: $(UNIT_HELPERS)
	$(UNIT_ENV) CK_FORK=no DROVER_SLOTS_SEEDS=5 valgrind --quiet --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite \
		--suppressions=tests/unit/valgrind.supp --num-callers=40 \
		$(UNIT_TESTS)

check-cli: $(DROVER)
	DROVER=$(DROVER) tests/cli/run

check-man: $(MAN_PAGES) $(AGENTS) $(DROVER)
	tests/man/check $(BUILD)

# docs/options.md, from the option table (lib/options.c); check-man fails
# when it is stale
options-doc: $(DROVER)
	$(DROVER) help --markdown >docs/options.md

# drover's systemd drop-in, as systemd-analyze verify reads it
check-systemd:
	tests/packaging/systemd-verify

# The packages build (lintian clean) and the .deb set installs and purges
check-packages: deb rpm
	prove -v tests/packaging/install.t :: $(BUILD)

# The lab scenarios, longest first (tests/lab/suites: with two lanes, a
# long one taken last ends the run late); a new one not named here runs
# after these
LAB_LONGEST_FIRST := drain slots vm-agent docs misconfig queue upgrade networks \
	ocf-conformance slots-faults shutdown reload health firewall blackhole postcopy
LAB_TESTS := $(LAB_LONGEST_FIRST:%=tests/integration/%.t) \
	$(filter-out $(LAB_LONGEST_FIRST:%=tests/integration/%.t),$(wildcard tests/integration/*.t)) \
	tests/lab/selftest.t
SHELL_SCRIPTS = tests/lab/lab tests/lab/node-init tests/lab/lib.sh tests/lab/demo \
	$(wildcard tests/lab/sh/*.sh tests/lab/guest/build \
	tests/lab/guest/domain-xml tests/lab/guest/check tests/ocft/run \
	tests/ocft/shims/* tests/bench/run tests/bench/bench-*) tests/soak/soak.t \
	tests/coverage \
	$(LAB_TESTS) tests/cli/run tests/man/check tests/packaging/install.t \
	packaging/install-deps .ci/run tests/lab/rootfs tests/lab/suites \
	tests/packaging/systemd-verify

# Scenarios on the real lab cluster (needs root); each test file brings its
# own lab up and always takes it down (tests/lab/suites).  Every scenario
# passes on Debian 12 nodes and on Debian 13 nodes: check-lab-both runs
# them all on each, two labs at a time (57 minutes here).  make
# check, which must stay within the hour, runs each one once, one lab at a
# time: those in LAB_ON_13 on 13 nodes, the others on 12 (upgrade.t takes
# 12's nodes to 13).  docs/design.md says why.
LAB_ON_13 := selftest docs health vm-agent misconfig drain reload stock-params
LAB_SPLIT := $(foreach t,$(LAB_TESTS),\
	$(if $(filter $(basename $(notdir $(t))),$(LAB_ON_13)),13,12):$(t))
LAB_BOTH := $(patsubst %/upgrade.t,12:%/upgrade.t,$(LAB_TESTS))
LAB_HELPERS = $(SLOT_LATENCY) $(HANG_FS)

lab-helpers: $(LAB_HELPERS)

check-lab: all $(LAB_HELPERS) release-13
	tests/lab/guest/build
	LAB_LANES=1 tests/lab/suites 12 13 -- $(LAB_SPLIT)

check-lab-12 check-lab-13 check-lab-both: all $(LAB_HELPERS) release-13
	tests/lab/guest/build
	tests/lab/suites $(or $(subst check-lab-,,$(filter-out check-lab-both,$@)),12 13) \
		-- $(LAB_BOTH)

# What check-all runs on the host, in the Debian 13 root, but for the
# sanitizers, valgrind and fuzzing: check-release-13-more (they pass there
# too, in 10 minutes make check has not got)
check-release-13: release-13
	tests/lab/rootfs build 13 check-unit check-cli check-man check-packages

check-release-13-more: release-13
	tests/lab/rootfs build 13 SANITIZE=1 BUILD=build/13san check-unit
	tests/lab/rootfs build 13 check-fuzz check-valgrind

lab-down:
	tests/lab/lab down

# The Debian 13 root and drover built in it, for the lab's release-13 nodes
# (`lab up --release 13` makes it current)
release-13:
	tests/lab/rootfs make 13 $(DEB13_ROOT_PKGS) >/dev/null
	tests/lab/rootfs build 13 all lab-helpers $(if $(CI)$(WERROR),WERROR=1)

lint-shell:
	shellcheck -x -P SCRIPTDIR $(SHELL_SCRIPTS)

# libFuzzer on every parser of outside input (tests/fuzz/fuzz_*.c).  clang
# compiles the library itself, into an archive each target takes what it
# needs from: the coverage instrumentation libFuzzer steers by must be in
# the code under test, not only in the harness.
# the newest clang installed with its fuzzer runtime (clang-14 on Debian
# 12, clang-19 on 13)
FUZZ_CC ?= $(or $(lastword $(sort $(foreach v, \
	$(patsubst /usr/bin/clang-%,%,$(wildcard /usr/bin/clang-[0-9][0-9])), \
	$(if $(wildcard /usr/lib/llvm-$(v)/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a), \
	clang-$(v))))),clang-14)
FUZZ_SECONDS ?= 60
FUZZ_OPTS ?=
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
# -Wno-string-concatenation: clang's guess at a missing comma, wrong for
# the long names of lib/virt.c's state table
FUZZ_CFLAGS = -std=gnu11 $(WARNINGS) -Wno-string-concatenation -O1 -g \
	$(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link -DPCMK_ALLOW_DEPRECATED=0 \
	-DDROVER_VERSION='"$(VERSION)"' \
	-Ilib/include -Ilib $(PKG_CFLAGS)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzz/%.o)
FUZZ_LIB_A := $(BUILD)/fuzz/libdrover.a
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

$(BUILD)/fuzz/%.o: %.c $(HEADERS) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB_A): $(FUZZ_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(FUZZ_LIB_A)
	$(FUZZ_CC) -o $@ $^ $(FUZZ_SAN) -fsanitize=fuzzer -Wl,--as-needed \
		$(LDFLAGS) $(PKG_LIBS)

# Each target grows its own copy of the seeds (the repository's stay as
# they are); a crash, leak or timeout fails the run and leaves the input in
# $(BUILD)/fuzz/<target>-{crash,leak,timeout}-* (G_SLICE: GLib 2.74's slice
# allocator would hide leaked GObjects, GStrings and GPtrArrays from LSan;
# G_DEBUG: a GLib or json-glib critical, an API misused on some input, is
# a finding too: it traps, which ASan then reports as a crash)
fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    corpus=$(BUILD)/fuzz/corpus-$$t; \
	    mkdir -p $$corpus; cp tests/fuzz/corpus/$$t/* $$corpus/; \
	    echo "  FUZZ    $$t ($(FUZZ_SECONDS) s)"; \
	    G_SLICE=always-malloc G_DEBUG=fatal-criticals \
		ASAN_OPTIONS=handle_sigtrap=1 $(BUILD)/fuzz/$$t \
		-max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/$$t- \
		$(FUZZ_OPTS) $$corpus; \
	done

# 5 s each: fourteen targets, about 70 s in make check
check-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=5

# Line coverage of the library, the agents and the CLI by the unit and CLI
# tests (gcov): one line per source file and the total
coverage:
	rm -rf build/cov && mkdir -p build
	$(MAKE) BUILD=build/cov CFLAGS="-O0 -g --coverage" LDFLAGS=--coverage \
		check-unit check-cli >build/coverage.log 2>&1 || \
		{ tail -n 20 build/coverage.log; exit 1; }
	tests/coverage build/cov

# Everything, in order; `make check` first installs what is missing
# The Debian 13 root and its checks (debootstrap mostly waits on the
# mirror) run beside the host's sanitizer, fuzz, valgrind and package
# checks; their output follows the host's.  Then the lab.
check-all: check-unit check-cli check-man check-systemd format-check lint-shell
	@mkdir -p $(BUILD)
	$(MAKE) check-release-13 >$(BUILD)/check-release-13.log 2>&1 & r13=$$!; \
	trap 'kill $$r13 2>/dev/null; wait; exit 130' INT TERM; \
	$(MAKE) SANITIZE=1 check-unit && $(MAKE) check-fuzz && \
		$(MAKE) check-valgrind && $(MAKE) check-packages; host=$$?; \
	wait $$r13; rc13=$$?; \
	echo "--- check-release-13, run beside the above ($(BUILD)/check-release-13.log):"; \
	cat $(BUILD)/check-release-13.log; \
	echo "--- check-release-13: exit $$rc13"; \
	[ $$host = 0 ] && [ $$rc13 = 0 ]
	$(MAKE) check-lab

check: deps
	$(MAKE) check-all

demo: deps
	$(MAKE) all
	tests/lab/demo

bench: deps
	$(MAKE) all $(SLOT_LATENCY) $(DRAIN_PLANNER)
	tests/bench/run

# Live migrations under random faults on the lab (SOAK_MIGRATIONS=200,
# SOAK_SECONDS=10800, SOAK_SEED to replay); not part of make check
soak: deps
	$(MAKE) all
	tests/lab/guest/build
	prove -v tests/soak/soak.t

install: all
	install -d $(DESTDIR)$(OCF_ROOT)/resource.d/drover $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(DATADIR)/drover/schemas
	$(if $(AGENTS),install -m 755 $(AGENTS) \
		$(DESTDIR)$(OCF_ROOT)/resource.d/drover/)
	install -m 755 $(DROVER) $(DESTDIR)$(SBINDIR)/drover
	install -m 644 schemas/*.rng $(DESTDIR)$(DATADIR)/drover/schemas/
	install -d $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(filter %.7,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man7/
	install -m 644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)/resource-agents-deps.target.d
	install -m 644 packaging/systemd/drover.conf \
		$(DESTDIR)$(SYSTEMDUNITDIR)/resource-agents-deps.target.d/

# Packages, from the files under version control (packaging/debian,
# packaging/rpm/drover.spec); lintian must find no error
DEB_DIR := $(BUILD)/deb
RPM_DIR := $(abspath $(BUILD)/rpm)
DIST := drover-$(VERSION)

# Made again every time (dist is phony): it packs what git has now, an
# older tarball would package older sources
dist:
	@mkdir -p $(BUILD)
	rm -rf $(BUILD)/$(DIST) && mkdir -p $(BUILD)/$(DIST)
	git ls-files -z | xargs -0 tar -c | tar -x -C $(BUILD)/$(DIST)
	tar -C $(BUILD) -czf $(BUILD)/$(DIST).tar.gz $(DIST)

deb: dist
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)
	tar -C $(DEB_DIR) -xzf $(BUILD)/$(DIST).tar.gz
	cp -r packaging/debian $(DEB_DIR)/$(DIST)/debian
	cd $(DEB_DIR)/$(DIST) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error --suppress-tags-from-file packaging/lintian-overrides \
		$(DEB_DIR)/*.changes

rpm: dist
	rm -rf $(RPM_DIR) && mkdir -p $(RPM_DIR)/SOURCES
	cp $(BUILD)/$(DIST).tar.gz $(RPM_DIR)/SOURCES/
	rpmbuild -bb --nodeps --define "_topdir $(RPM_DIR)" \
		--define "version $(VERSION)" packaging/rpm/drover.spec

C_SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(C_SOURCES)

format-check:
	clang-format --dry-run -Werror $(C_SOURCES)

clean:
	rm -rf build
