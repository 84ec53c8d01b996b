/* fuzz_journal.c — libFuzzer harness for the journal's field parsers
 * (journal.h, store.h): the lists of things done, "REGION[:SIDE]", times,
 * pain scores, relief hours, and a whole check-in checked against the KB
 * and the store's ranges.  The first byte picks the parser; the rest is
 * the text a person typed.  Checked: what a parser accepts is in range and
 * in the stored form, and the check-in it makes passes the store's own
 * validation.  Build and run with tests/fuzz/run.sh. */
#include "journal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static kf_kb *kb;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir && *dir ? dir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "fuzz_journal: cannot load the KB:\n%s", errs.s ? errs.s : "");
        exit(1);
    }
    kf_buf_free(&errs);
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    char *s = kf_strndup((const char *)data + 1, size - 1);
    if (!s)
        return 0;
    kf_buf err, out;
    kf_buf_init(&err);
    kf_buf_init(&out);
    kf_checkin c = { .pain_before = -1, .relief_hours = -1, .done_s = -1, .via = "web" };
    const long long now = 1767225600;          /* a fixed "now": 2026-01-01 */
    switch (data[0] % 7) {
    case 0: {
        if (kf_journal_words(kb, "--did", s, &out, &err) == KF_OK) {
            c.did = out.s;
            if (kf_checkin_validate(&c, NULL) != KF_OK)
                abort();              /* the stored form must pass the store */
        }
        break;
    }
    case 1: {
        const char *region = NULL;
        kf_side side = KF_SIDE_NONE;
        if (kf_journal_where(kb, s, &region, &side, &err) == KF_OK) {
            if ((region && kf_kb_region(kb, region) < 0) || (unsigned)side > KF_SIDE_BOTH)
                abort();
            c.region = region;
            c.side = side;
            if (kf_journal_check(kb, &c, NULL) != KF_OK)
                abort();
        }
        break;
    }
    case 2: {
        char at[KF_TIME_LEN];
        long long t;
        if (kf_journal_time(s, now, at, &err) == KF_OK &&
            (!kf_time_parse_utc(at, &t) || t > now + KF_STORE_FUTURE_S))
            abort();
        break;
    }
    case 3: {
        int p = -1;
        if (kf_journal_pain(s, &p, &err) == KF_OK && (p < 0 || p > 10))
            abort();
        break;
    }
    case 4: {
        double h = -1;
        if (kf_journal_hours(s, &h, &err) == KF_OK &&
            (!isfinite(h) || h < 0 || h > KF_STORE_HOURS_MAX))
            abort();
        break;
    }
    case 5: {
        /* A whole check-in from the text's lines: note, where, did, worse. */
        char *f[4] = { s, NULL, NULL, NULL };
        for (int i = 1; i < 4 && f[i - 1]; i++) {
            char *nl = strchr(f[i - 1], '\n');
            if (nl) {
                *nl = '\0';
                f[i] = nl + 1;
            }
        }
        c.note = f[0];
        c.region = f[1];
        c.did = f[2];
        c.worse_after = f[3];
        c.pain = size > 1 ? data[1] % 12 : 0;
        c.relief_hours = size > 2 ? (double)data[2] - 10 : -1;
        kf_journal_check(kb, &c, &err);
        kf_checkin_validate(&c, NULL);
        json_decref(kf_checkin_json(&c));
        break;
    }
    default: {
        long long t;
        if (kf_time_parse_utc(s, &t)) {
            char back[KF_TIME_LEN];
            kf_time_format(t, back);
            if (strcmp(back, s) != 0)
                abort();              /* only the canonical form parses */
        }
        break;
    }
    }
    kf_buf_free(&err);
    kf_buf_free(&out);
    kf_free(s);
    return 0;
}
