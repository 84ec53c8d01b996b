/*
 * text.h — the text reader: a person's own words -> findings.
 *
 * Normalises (UTF-8 punctuation folded, invalid bytes skipped), splits into
 * words, fixes spelling against the KB lexicon, stems, matches lexicon
 * phrases longest-first, scopes negation, attaches sides, and reads numbers
 * (age, weeks pregnant, how long, dominant hand).  Each fact keeps the byte
 * span of the words it came from.  Never reads past `len`.
 */
#ifndef KF_TEXT_H
#define KF_TEXT_H

#include "findings.h"

/* Longest text the reader accepts; longer input gets KF_ETOOBIG and a
 * message, never silent truncation. */
#define KF_TEXT_MAX (1024 * 1024)

/* Reads `text` (need not be NUL-terminated) into `out`, which the caller has
 * initialised; facts are added to what is already there.  Returns KF_OK,
 * KF_ETOOBIG (err says so; nothing added) or KF_ENOMEM. */
kf_err kf_text_read(const kf_kb *kb, const char *text, size_t len,
                    kf_findings *out, kf_buf *err);

/* Words, not a binary file: at most one byte in ten (past the first 32) is
 * an invalid UTF-8 sequence or a control character (NUL included).  A few
 * stray bytes (a Latin-1 accent, a pasted symbol) still pass; kf_text_read
 * skips them.  The commands refuse input that fails this, with
 * KF_TEXT_NOT_WORDS, rather than read findings out of random bytes. */
bool kf_text_is_words(const char *text, size_t n);
#define KF_TEXT_NOT_WORDS "this does not look like words: many of its bytes are neither " \
    "letters, punctuation nor spaces (a file of another kind?). Please describe the pain " \
    "in your own words."

#endif
