# knotfinder — build with `make`; see README.md for the two commands that
# matter.  Every .c file in src/ is part of the program; tests/unit/*.c are
# each linked with all of src/ except main.c.
CC      ?= cc
PKGS    := jansson libmicrohttpd sqlite3 libedit
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wno-unused-parameter -pthread $(shell pkg-config --cflags $(PKGS))
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

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(LIBOBJS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBOBJS) | $(BUILD)/bench
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/bench:
	mkdir -p $@

tests: $(BUILD)/knotfinder $(TESTS)
benches: $(BUILD)/knotfinder $(BENCHES)

# Unit tests only; the whole suite is tests/run.sh.
unit: tests
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

clean:
	rm -rf build
	rm -f $(WEBGZ) $(WEBGZ:%=%.tmp)

.PHONY: all web tests benches unit clean
