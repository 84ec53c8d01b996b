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

#endif
