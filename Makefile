# knotfinder — build with `make`; see README.md for the two commands that
# matter.  Every .c file in src/ is part of the program; tests/unit/*.c are
# each linked with all of src/ except main.c.
#   make                 build/knotfinder (finds kb/ and web/ beside it)
#   make check           the whole test suite (tests/run.sh; QUICK=1 for --quick)
#   make install         binary, knowledge base, web files, man page under
#                        $(PREFIX) (default /usr/local), staged under $(DESTDIR)
#   make uninstall       removes what install put there
VERSION := 0.1.0
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/knotfinder
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/knotfinder
INSTALL ?= install
CC      ?= cc
PKGS    := jansson libmicrohttpd sqlite3 libedit
# libpq (libpq-dev): its header for src/store_pg.c, which loads the library
# with dlopen() only when a PostgreSQL database is opened; the tests that
# talk to the server themselves link it.
PQCFLAGS := $(shell pkg-config --cflags libpq)
PQLIBS  := $(shell pkg-config --libs libpq)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wno-unused-parameter -pthread $(shell pkg-config --cflags $(PKGS)) $(PQCFLAGS)
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lstemmer -lm -pthread
ifdef WERROR
CFLAGS  += -Werror
endif

# `make SAN=1` builds into build/san with AddressSanitizer and UBSan.
ifdef SAN
BUILD   := build/san
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD   := build
endif

SRCS    := $(wildcard src/*.c)
OBJS    := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
LIBOBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
TESTS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
BENCHES := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
# The web app's text files, each with a gzip twin beside it (web/NAME.gz,
# not committed) that the server sends to browsers that accept gzip; a twin
# older than its file is never sent, so an edit without `make` stays safe.
WEBSRC  := $(wildcard web/*.html web/*.css web/*.js web/*.svg)
WEBGZ   := $(WEBSRC:%=%.gz)

all: $(BUILD)/knotfinder web

web: $(WEBGZ)

web/%.gz: web/%
	gzip -9 -n -c $< >$@.tmp && mv $@.tmp $@

$(BUILD)/knotfinder: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

# main.c has the version and the data folder the installed binary reads;
# it is rebuilt when either changes (the stamp is rewritten only then).
$(BUILD)/obj/main.o: CFLAGS += -DKF_VERSION='"$(VERSION)"' -DKF_DATADIR='"$(DATADIR)"'
$(BUILD)/obj/main.o: $(BUILD)/obj/main.stamp
$(BUILD)/obj/main.stamp: FORCE | $(BUILD)/obj
	@echo '$(VERSION) $(DATADIR)' | cmp -s - $@ || echo '$(VERSION) $(DATADIR)' >$@

$(BUILD)/tests/test_store_hosted: LDLIBS += $(PQLIBS)
$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(LIBOBJS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBOBJS) | $(BUILD)/bench
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/bench:
	mkdir -p $@

tests: $(BUILD)/knotfinder $(TESTS)
benches: $(BUILD)/knotfinder $(BENCHES)

# Unit tests only; the whole suite is tests/run.sh (make check).
unit: tests
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

# The whole suite.  It does not install packages: ./test.sh does that first.
check: all tests
	tests/run.sh $(if $(QUICK),--quick)
test: check

install: all
	@test -n "$(DATADIR)" || { echo "make install: DATADIR is empty" >&2; exit 1; }
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(DOCDIR)"
	$(INSTALL) -m 755 $(BUILD)/knotfinder "$(DESTDIR)$(BINDIR)/knotfinder"
	rm -rf "$(DESTDIR)$(DATADIR)/kb" "$(DESTDIR)$(DATADIR)/web"
	$(INSTALL) -d "$(DESTDIR)$(DATADIR)/kb" "$(DESTDIR)$(DATADIR)/web"
	$(INSTALL) -m 644 $(wildcard kb/*.kb) "$(DESTDIR)$(DATADIR)/kb"
	$(INSTALL) -p -m 644 $(sort $(filter-out %.tmp,$(wildcard web/*.*)) $(WEBGZ)) "$(DESTDIR)$(DATADIR)/web"
	sed -e 's|/usr/local/share/knotfinder|$(DATADIR)|g' \
	    -e 's|"knotfinder [0-9][^"]*"|"knotfinder $(VERSION)"|' docs/knotfinder.1 \
	    >"$(DESTDIR)$(MANDIR)/man1/knotfinder.1"
	chmod 644 "$(DESTDIR)$(MANDIR)/man1/knotfinder.1"
	$(INSTALL) -m 644 README.md LICENSE "$(DESTDIR)$(DOCDIR)"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/knotfinder" "$(DESTDIR)$(MANDIR)/man1/knotfinder.1"
	rm -rf "$(DESTDIR)$(DATADIR)" "$(DESTDIR)$(DOCDIR)"

clean:
	rm -rf build
	rm -f $(WEBGZ) $(WEBGZ:%=%.tmp)

# No built-in rules: without this, `make test` "built" ./test by copying test.sh.
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules

.PHONY: all web tests benches unit check test install uninstall clean FORCE
