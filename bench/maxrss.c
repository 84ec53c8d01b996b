/*
 * maxrss.c — runs a command and prints its peak resident set size, for
 * machines without GNU time (bench/rss.sh uses /usr/bin/time -v when it is
 * there).  Stdin, stdout and stderr pass through; the figure goes to stderr
 * as "maxrss_kb N" so it cannot mix with the command's output.
 *
 *   build/bench/maxrss COMMAND [ARGS...]
 *
 * Exit status: the command's, or 127 when it cannot be started.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "maxrss: fork: %s\n", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "maxrss: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        fprintf(stderr, "maxrss: wait: %s\n", strerror(errno));
        return 127;
    }
    /* Linux reports ru_maxrss in kilobytes. */
    fprintf(stderr, "maxrss_kb %ld\n", ru.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
