/* writer.c — a helper for the journal reliability tests: writes check-ins
 * to a journal as fast as it can and reports each one after its commit
 * returned, so a test that kills it with SIGKILL knows exactly which
 * entries were committed.
 *
 *   writer DB TAG [N]   write N check-ins (default: until killed), each
 *                       with the note "TAG-i", printing "i" on stdout (one
 *                       write(2) per line, no buffering) after the commit.
 * Exit status: 0 when N were written, 1 on a store error (message on
 * stderr), 2 on usage. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: writer DB TAG [N]\n");
        return 2;
    }
    long n = argc > 3 ? atol(argv[3]) : -1;
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    if (kf_store_open(argv[1], &s, &err) != KF_OK) {
        fprintf(stderr, "writer: %s\n", err.s);
        return 1;
    }
    for (long i = 0; n < 0 || i < n; i++) {
        char note[96], line[32];
        snprintf(note, sizeof note, "%s-%ld", argv[2], i);
        kf_checkin c = { .pain = (int)(i % 11), .pain_before = -1,
                         .relief_hours = (double)(i % 7), .done_s = -1,
                         .did = "tennis_ball", .region = "medial_border",
                         .side = KF_SIDE_RIGHT, .via = "test", .note = note };
        err.len = 0;
        if (kf_store_add_checkin(s, &c, NULL, &err) != KF_OK) {
            fprintf(stderr, "writer: %s\n", err.s);
            kf_store_close(s);
            return 1;
        }
        int len = snprintf(line, sizeof line, "%ld\n", i);
        if (write(1, line, (size_t)len) != len)
            return 1;
    }
    kf_store_close(s);
    kf_buf_free(&err);
    return 0;
}
