// The disk's own ceiling for durable one-row commits: a loop of one-row UPDATE transactions on
// one SQLite connection with the pragmas Taskport uses (WAL, synchronous=FULL by default).
// Usage: ceiling DATABASE SECONDS [full|normal]   Prints commits per second.
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DATABASE SECONDS [full|normal]\n", argv[0]);
        return 2;
    }
    const char *mode = argc > 3 ? argv[3] : "full";
    double seconds = atof(argv[2]);
    sqlite3 *db;
    check(sqlite3_open(argv[1], &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL", 0, 0, 0), db, "wal");
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", strcmp(mode, "normal") == 0 ? "NORMAL" : "FULL");
    check(sqlite3_exec(db, pragma, 0, 0, 0), db, "synchronous");
    check(sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
                           "INSERT OR IGNORE INTO t (id, n) VALUES (1, 0);", 0, 0, 0), db, "setup");
    sqlite3_stmt *begin, *update, *commit;
    check(sqlite3_prepare_v2(db, "BEGIN", -1, &begin, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE t SET n = n + 1 WHERE id = 1", -1, &update, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, 0), db, "prepare");
    long commits = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        check(sqlite3_step(begin), db, "begin"); sqlite3_reset(begin);
        check(sqlite3_step(update), db, "update"); sqlite3_reset(update);
        check(sqlite3_step(commit), db, "commit"); sqlite3_reset(commit);
        commits++;
    }
    printf("%.0f\n", commits / (now() - start));
    sqlite3_close(db);
    return 0;
}
