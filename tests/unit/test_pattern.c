/* test_pattern.c — the pattern language (src/pattern.c): what compiles, what
 * is refused with a message, and what each piece matches, on a vocabulary
 * written here (words are their own stems; "my", "the", "a", "of", "left"
 * are stop or side words). */
#include "check.h"

#include "pattern.h"

#include <ctype.h>
#include <stdlib.h>

static const char *vocab[256];
static int n_vocab;

static int word_id(const char *w)
{
    for (int i = 0; i < n_vocab; i++)
        if (!strcmp(vocab[i], w))
            return i;
    if (n_vocab == (int)(sizeof vocab / sizeof *vocab)) {
        fprintf(stderr, "test vocabulary full at '%s'\n", w);
        abort();
    }
    vocab[n_vocab] = strdup(w);
    return n_vocab++;
}

static int env_word(void *env, const char *raw, int ids[4])
{
    (void)env;
    if (!strcmp(raw, "shoulderblade")) {      /* a spelling fix to two words */
        ids[0] = word_id("shoulder");
        ids[1] = word_id("blade");
        return 2;
    }
    ids[0] = word_id(raw);
    return 1;
}

static bool is_stop(const char *w)
{
    return !strcmp(w, "my") || !strcmp(w, "the") || !strcmp(w, "a") || !strcmp(w, "of") ||
           !strcmp(w, "left") || !strcmp(w, "in");
}

static bool env_skip(void *env, int id)
{
    (void)env;
    return is_stop(vocab[id]);
}

static const char *env_cls(void *env, const char *name)
{
    (void)env;
    if (!strcmp(name, "few")) return "a few, a couple of, several, #";
    if (!strcmp(name, "helps")) return "helps, feels better, <good>";
    if (!strcmp(name, "good")) return "good, great";
    if (!strcmp(name, "loop")) return "<loop>";
    if (!strcmp(name, "stops")) return "the, in";
    if (!strcmp(name, "stop pair")) return "in the";
    if (!strcmp(name, "a day")) return "a day, whole day, 24 hours, 2 days, 2 or 3 days";
    if (!strcmp(name, "hours")) return "a few hours, #0-23 hours, # #0-23 hours";
    if (!strcmp(name, "days")) return "#24-9999 hours, # days";
    return NULL;
}

static const kf_pat_env ENV = { env_word, env_cls, env_skip, NULL };

static int *compile(const char *text, kf_buf *err)
{
    int *prog = NULL, len = 0;
    kf_err e = kf_pattern_compile(text, &ENV, &prog, &len, err);
    return e == KF_OK ? prog : NULL;
}

/* Tokens of a sentence: words, numbers, ',' and '.' / '?' */
static int toks(const char *s, kf_ptok *t, int max)
{
    int n = 0;
    while (*s && n < max) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        if (*s == '.' || *s == '?' || *s == ',') {
            t[n++] = (kf_ptok){ -1, *s == ',' ? KF_PT_COMMA : KF_PT_STOP, 0, 0, *s == ',', -1 };
            s++;
            continue;
        }
        char w[32];
        int k = 0;
        bool num = isdigit((unsigned char)*s);
        while (*s && *s != ' ' && *s != '.' && *s != ',' && *s != '?' && k < 31)
            w[k++] = *s++;
        w[k] = '\0';
        if (num) {
            t[n++] = (kf_ptok){ -1, KF_PT_NUM, 0, 0, 0, atoi(w) };
            continue;
        }
        int id = word_id(w);
        t[n++] = (kf_ptok){ id, KF_PT_WORD, (unsigned char)is_stop(w), 0,
                            (unsigned char)(!strcmp(w, "and") || !strcmp(w, "but")), -1 };
    }
    return n;
}

/* Does `pat` match `text` starting at its first token?  Sets *words. */
static bool match_at(const char *pat, const char *text, int at, kf_pmatch *m)
{
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile(pat, &err);
    if (!prog) {
        fprintf(stderr, "pattern '%s' did not compile: %s\n", pat, err.s ? err.s : "");
        kf_buf_free(&err);
        return false;
    }
    kf_buf_free(&err);
    kf_ptok t[64];
    int n = toks(text, t, 64);
    bool ok = kf_pattern_match(prog, t, n, at, m);
    kf_free(prog);
    return ok;
}

static bool matches(const char *pat, const char *text)
{
    kf_pmatch m;
    return match_at(pat, text, 0, &m);
}

static void test_refused(void)
{
    const char *bad[] = {
        "", "   ", "...", "... helps", "helps ...", "(for", "for)", "<nope>", "<few",
        "(my)", "helps & ", "& helps", "<loop>", "...  ... x", "(a ... b)", "\"two words\"",
        "helps ? x", "(<few>) (for)", "in", "in/the", "the & rest", "<stops>",
        "#5 hours", "#5- hours", "#9-3 hours", "#0-10000 hours", "#1-2x hours", NULL
    };
    for (int i = 0; bad[i]; i++) {
        kf_buf err;
        kf_buf_init(&err);
        int *prog = compile(bad[i], &err);
        if (prog) {
            fprintf(stderr, "'%s' should not compile\n", bad[i]);
            check_cur_failed = 1;
            kf_free(prog);
        } else if (!err.s || !*err.s) {
            fprintf(stderr, "'%s' refused without a message\n", bad[i]);
            check_cur_failed = 1;
        }
        kf_buf_free(&err);
    }
}

static void test_words_and_stop_words(void)
{
    CHECK(matches("massage helps", "massage helps"));
    CHECK(matches("massage helps", "massage the helps"));       /* stop words between */
    CHECK(!matches("massage helps", "massage really helps"));   /* another word between */
    CHECK(!matches("massage helps", "massage , helps"));        /* a comma breaks */
    CHECK(!matches("massage helps", "massage"));
    CHECK(matches("shoulderblade", "shoulder blade"));          /* the spelling fix */
    CHECK(matches("sore shoulderblade", "sore my shoulder blade"));
    /* quoted, a stop word must be there */
    CHECK(matches("\"the\" morning", "the morning"));
    CHECK(!matches("\"the\" morning", "morning"));
}

/* A stop word written in a pattern is read as its author wrote it. */
static void test_stop_words_as_written(void)
{
    /* between two pattern words, a lone stop word is passed over, as in
     * phrases: "balance is off" reads "balance my off", "balance off" */
    CHECK(matches("balance of off", "balance of off"));
    CHECK(matches("balance of off", "balance the off"));
    CHECK(matches("balance of off", "balance off"));
    /* at the start or end of a pattern it must be there */
    CHECK(matches("in rest", "in rest"));
    CHECK(!matches("in rest", "rest"));
    CHECK(!matches("in rest", "the rest"));
    CHECK(matches("rest in", "rest in"));
    CHECK(!matches("rest in", "rest"));
    kf_pmatch m;
    CHECK(match_at("in rest", "in rest", 0, &m));
    CHECK_INT(m.first, 0);
    CHECK_INT(m.words, 1);            /* a stop word read is no word for longest-first */
    CHECK(!match_at("in rest", "in rest", 1, &m));    /* "rest" alone is not it */
    /* two at the start: both as written */
    CHECK(matches("in the rest", "in the rest"));
    CHECK(!matches("in the rest", "in my rest"));
    /* one of a/b, or an entry of a class, is required like any word (here
     * "in" is a stop word, "on" is not) */
    CHECK(matches("twitch in/on eye", "twitch in eye"));
    CHECK(matches("twitch in/on eye", "twitch on my eye"));
    CHECK(matches("twitch in/on eye", "twitch in the eye"));
    CHECK(!matches("twitch in/on eye", "twitch eye"));
    CHECK(!matches("twitch in/on eye", "twitch my eye"));
    CHECK(matches("back <stops> hours", "back the hours"));
    CHECK(!matches("back <stops> hours", "back hours"));
    CHECK(matches("in/on/left rest", "left rest"));           /* a side word too */
    CHECK(!matches("in/on/left rest", "rest"));
    /* an alternative of several stop words keeps them all */
    CHECK(matches("back <stop pair> hours", "back in the hours"));
    CHECK(!matches("back <stop pair> hours", "back in hours"));
    CHECK(!matches("back <stop pair> hours", "back hours"));
    /* in parentheses a stop word changes nothing: passed over anyway */
    CHECK(matches("back (in/the) hours", "back hours"));
    CHECK(matches("back (in/the) hours", "back in hours"));
    CHECK(matches("(in) rest", "rest"));
    /* in a run of words with other words, stop words are passed over */
    CHECK(matches("<few> hours", "couple hours"));
    CHECK(matches("<few> hours", "couple of the hours"));
    /* an & part may start with a stop word it names */
    CHECK(match_at("back & in/within <few> hours", "back in 2 hours", 0, &m));
    CHECK_INT(m.last, 3);
    CHECK(match_at("back & in/within <few> hours", "in 2 hours back", 3, &m));
    CHECK_INT(m.first, 0);
    CHECK(!match_at("back & in/within <few> hours", "back 2 hours", 0, &m));
    /* a negation is a word, never a stop word */
    CHECK(matches("not sore", "not sore"));
    CHECK(!matches("not sore", "sore"));
    /* the longest-first length counts the words, not the stop words */
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile("in/left the rest (of the) day", &err);
    CHECK(prog != NULL);
    if (prog) {
        CHECK_INT(kf_pattern_max_len(prog), 2);
        int firsts[4];
        CHECK_INT(kf_pattern_firsts(prog, firsts, 4), 2);   /* in, left */
        kf_free(prog);
    }
    kf_buf_free(&err);
}

static void test_alternatives_and_optional(void)
{
    CHECK(matches("never/wont let go", "wont let go"));
    CHECK(matches("never/wont let go", "never let go"));
    CHECK(!matches("never/wont let go", "maybe let go"));
    CHECK(matches("helps (for) hours", "helps for hours"));
    CHECK(matches("helps (for) hours", "helps hours"));
    CHECK(matches("(only) helps", "helps"));
    CHECK(matches("(only) helps", "only helps"));
    /* an alternative that is a stop word is still required */
    CHECK(matches("back within/in hours", "back in hours"));
    CHECK(!matches("back within/in hours", "back hours"));
    CHECK(matches("back within/in hours", "back within hours"));
    kf_pmatch m;
    CHECK(match_at("helps (for a while)", "helps for a while", 0, &m));
    CHECK_INT(m.words, 3);            /* the optional words taken when there */
}

static void test_classes_and_numbers(void)
{
    CHECK(matches("for <few> hours", "for a few hours"));
    CHECK(matches("for <few> hours", "for a couple of hours"));
    CHECK(matches("for <few> hours", "for 3 hours"));
    CHECK(!matches("for <few> hours", "for many hours"));
    CHECK(matches("it <helps>", "it feels better"));
    CHECK(matches("it <helps>", "it great"));              /* a class inside a class */
    CHECK(matches("# hours", "2 hours"));
    CHECK(!matches("# hours", "two hours"));
    int firsts[8];
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile("(only) <good> hours", &err);
    CHECK(prog != NULL);
    if (prog) {
        CHECK_INT(kf_pattern_firsts(prog, firsts, 8), 3);   /* only, good, great */
        CHECK_INT(kf_pattern_max_len(prog), 3);
        CHECK_INT(kf_pattern_groups(prog), 1);
        kf_free(prog);
    }
    prog = compile("# hours", &err);
    CHECK(prog != NULL);
    if (prog) {
        CHECK_INT(kf_pattern_firsts(prog, firsts, 8), 1);
        CHECK_INT(firsts[0], KF_PAT_NUMBER);
        kf_free(prog);
    }
    kf_buf_free(&err);
}

/* A number written in digits in a class entry or a pattern ("24 hours",
 * "2 or 3 days") is that number: the reader makes digits a number token,
 * never a word, so an entry with digits compiled to a word never matched
 * (kb/80's "massage helps for 24 hours" read nothing of a day). */
static void test_numbers_written_in_digits(void)
{
    CHECK(matches("for <a day>", "for 24 hours"));
    CHECK(matches("for <a day>", "for 2 days"));
    CHECK(matches("for <a day> of relief", "for 2 or 3 days of relief"));
    CHECK(matches("<a day> of relief", "24 hours of relief"));  /* a number starts the match */
    CHECK(matches("for <a day>", "for a day"));
    CHECK(!matches("for <a day>", "for 3 hours"));      /* another number is not it */
    CHECK(!matches("for <a day>", "for 5 days"));
    CHECK(!matches("for <a day>", "for 24 minutes"));
    CHECK(matches("after 10 minutes", "after 10 minutes"));    /* in a pattern too */
    CHECK(!matches("after 10 minutes", "after 12 minutes"));
    CHECK(matches("ran 10k", "ran 10 k"));           /* digits then letters: the number, the word */
    kf_pmatch m;
    CHECK(match_at("for <a day>", "for 24 hours", 0, &m));
    CHECK_INT(m.words, 3);            /* the number counts as a word for longest-first */
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile("<a day> of relief", &err);
    CHECK(prog != NULL);
    if (prog) {
        int firsts[8];
        /* indexed under a number (24, 2) and the words (a is a stop word here, so day, whole) */
        int nf = kf_pattern_firsts(prog, firsts, 8);
        bool number = false;
        for (int i = 0; i < nf; i++)
            number |= firsts[i] == KF_PAT_NUMBER;
        CHECK(number);
        for (int i = 0; i < nf; i++)
            CHECK(firsts[i] >= 0 || firsts[i] == KF_PAT_NUMBER);
        kf_free(prog);
    }
    kf_buf_free(&err);
}

/* "#A-B" is a number from A to B: hours under a day are the short relief of
 * the method, 24 hours and more a day (issue 10: "massage helps for 24
 * hours" was read as relief for hours, as "# hours" takes any number). */
static void test_number_ranges(void)
{
    CHECK(matches("for <hours>", "for 3 hours"));
    CHECK(matches("for <hours>", "for 0 hours"));
    CHECK(matches("for <hours>", "for 23 hours"));
    CHECK(!matches("for <hours>", "for 24 hours"));
    CHECK(!matches("for <hours>", "for 48 hours"));
    CHECK(matches("for <hours>", "for 2 3 hours"));      /* "2-3 hours" */
    CHECK(matches("for <hours>", "for a few hours"));
    CHECK(matches("for <days>", "for 24 hours"));
    CHECK(matches("for <days>", "for 72 hours"));
    CHECK(matches("for <days>", "for 9999 hours"));
    CHECK(!matches("for <days>", "for 10000 hours"));
    CHECK(!matches("for <days>", "for 12 hours"));
    CHECK(matches("for <days>", "for 3 days"));
    CHECK(matches("#24-9999 hours of relief", "36 hours of relief"));   /* a range starts it */
    CHECK(!matches("#24-9999 hours of relief", "6 hours of relief"));
    CHECK(!matches("for #1-5", "for a"));                /* a word is no number */
    kf_pmatch m;
    CHECK(match_at("for <days>", "for 48 hours", 0, &m));
    CHECK_INT(m.words, 3);
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile("#24-9999 hours of relief", &err);
    CHECK(prog != NULL);
    if (prog) {
        int firsts[8];
        int nf = kf_pattern_firsts(prog, firsts, 8);
        CHECK_INT(nf, 1);
        CHECK(nf == 1 && firsts[0] == KF_PAT_NUMBER);   /* indexed under a number */
        kf_free(prog);
    }
    kf_buf_free(&err);
}

static void test_gap(void)
{
    CHECK(matches("helps ... hours", "helps my neck for hours"));
    CHECK(matches("helps ... hours", "helps hours"));
    CHECK(!matches("helps ... hours", "helps . hours"));      /* not past a sentence */
    CHECK(!matches("helps ... hours", "helps a b c d e f g h hours"));   /* too far */
    kf_pmatch m;
    CHECK(match_at("helps ... hours", "helps my neck hours", 0, &m));
    CHECK_INT(m.n, 2);                /* the words in the gap are not consumed */
}

static void test_cooccurrence(void)
{
    kf_pmatch m;
    CHECK(match_at("<helps> & for <few> hours", "massage helps for a few hours", 1, &m));
    CHECK_INT(m.first, 1);
    CHECK_INT(m.last, 5);
    /* either order, with other words between */
    CHECK(match_at("<helps> & for <few> hours", "for 2 hours the massage helps", 5, &m));
    CHECK_INT(m.first, 0);
    /* not in another sentence */
    CHECK(!match_at("<helps> & for <few> hours", "massage helps . for a few hours", 1, &m));
    /* not beyond the window */
    CHECK(!match_at("helps & hours", "helps a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 hours", 0, &m));
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile("helps & hours", &err);
    CHECK(prog && kf_pattern_groups(prog) == 2);
    kf_free(prog);
    kf_buf_free(&err);
}

/* An order-free match reads the nearest words of each part, and leaves a
 * part said again nearer to the others to the match starting there: the
 * words of another clause are not taken (issue 10, "one leg is swollen and
 * it hurts when I breathe in"). */
static void test_cooccurrence_nearest(void)
{
    kf_pmatch m;
    /* the nearer "hours" (right, two away) before the farther one (left) */
    CHECK(match_at("helps & hours", "hours x y helps z hours", 3, &m));
    CHECK_INT(m.first, 3);
    CHECK_INT(m.last, 5);
    CHECK_INT(m.n, 2);
    /* on the left when that is nearer */
    CHECK(match_at("helps & hours", "hours helps x y z hours", 1, &m));
    CHECK_INT(m.first, 0);
    CHECK_INT(m.last, 1);
    /* a tie goes to the later side */
    CHECK(match_at("helps & hours", "hours helps hours", 1, &m));
    CHECK_INT(m.first, 1);
    CHECK_INT(m.last, 2);
    /* "helps" said again in a later clause, between: the match is the later one's */
    CHECK(!match_at("helps & hours", "helps x and helps for hours", 0, &m));
    CHECK(match_at("helps & hours", "helps x and helps for hours", 3, &m));
    CHECK_INT(m.first, 3);
    CHECK_INT(m.last, 5);
    CHECK_INT(m.n, 2);                /* its own words only, not "x" */
    CHECK(!match_at("helps & hours", "helps x , helps for hours", 0, &m));
    /* in the same clause ("the back of my leg below the knee"): both readings stand */
    CHECK(match_at("helps & hours", "helps x helps for hours", 0, &m));
    CHECK_INT(m.last, 4);
    /* ... and so does the first when the later one is read already */
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile("helps & hours", &err);
    kf_ptok t[16];
    int n = toks("helps x and helps for hours", t, 16);
    t[3].used = 1;
    CHECK(prog && kf_pattern_match(prog, t, n, 0, &m));
    CHECK(prog && m.first == 0 && m.last == 5 && m.n == 2);
    kf_free(prog);
    kf_buf_free(&err);
    /* a part said again after the others changes nothing */
    CHECK(match_at("helps & hours", "helps for hours x helps", 0, &m));
    CHECK_INT(m.last, 2);
    /* three parts, each the nearest */
    CHECK(match_at("calf & swollen & hard", "swollen x calf y hard z swollen", 2, &m));
    CHECK_INT(m.first, 0);
    CHECK_INT(m.last, 4);
}

static void test_used_tokens(void)
{
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile("helps & hours", &err);
    kf_ptok t[16];
    int n = toks("helps for hours", t, 16);
    kf_pmatch m;
    CHECK(prog && kf_pattern_match(prog, t, n, 0, &m));
    t[2].used = 1;                    /* "hours" read by an earlier phrase */
    CHECK(prog && !kf_pattern_match(prog, t, n, 0, &m));
    t[0].used = 1;
    CHECK(prog && !kf_pattern_match(prog, t, n, 0, &m));
    CHECK(prog && !kf_pattern_match(prog, t, n, -1, &m));
    CHECK(prog && !kf_pattern_match(prog, t, n, n, &m));
    kf_free(prog);
    kf_buf_free(&err);
}

static void test_bounded(void)
{
    /* A pattern that could backtrack a great deal still ends quickly. */
    kf_buf err;
    kf_buf_init(&err);
    int *prog = compile("x ... x ... x ... x ... x ... x ... x ... y", &err);
    CHECK(prog != NULL);
    kf_ptok t[64];
    char text[200] = "";
    for (int i = 0; i < 60; i++)
        strcat(text, "x ");
    int n = toks(text, t, 64);
    kf_pmatch m;
    if (prog)
        CHECK(!kf_pattern_match(prog, t, n, 0, &m));
    kf_free(prog);
    kf_buf_free(&err);
}

static void test_out_of_memory(void)
{
    for (long k = 0; k < 12; k++) {
        kf_alloc_fail_after(k);
        int *prog = NULL, len = 0;
        kf_err e = kf_pattern_compile("(only) <helps> & for <few> hours", &ENV, &prog, &len, NULL);
        kf_alloc_fail_after(-1);
        CHECK(e == KF_OK || e == KF_ENOMEM);
        CHECK((e == KF_OK) == (prog != NULL));
        kf_free(prog);
    }
}

int main(void)
{
    RUN(test_refused);
    RUN(test_words_and_stop_words);
    RUN(test_stop_words_as_written);
    RUN(test_alternatives_and_optional);
    RUN(test_classes_and_numbers);
    RUN(test_numbers_written_in_digits);
    RUN(test_number_ranges);
    RUN(test_gap);
    RUN(test_cooccurrence);
    RUN(test_cooccurrence_nearest);
    RUN(test_used_tokens);
    RUN(test_bounded);
    RUN(test_out_of_memory);
    for (int i = 0; i < n_vocab; i++)
        free((void *)vocab[i]);
    return CHECK_DONE();
}
