// A diagnostic, never for production: an LD_PRELOAD library that times every
// fsync/fdatasync of the process it is loaded into, per kind of thread (the
// store's journal thread, its committer, any other), and can skip them, to
// tell how much of a latency tail the disk's syncs make. Used for the figures
// in docs/benchmarks.md ("Why the other two goals are not met").
//
//   cc -shared -fPIC -O2 -o bench/.data/sync_shim.so bench/disk/sync_shim.c -ldl -lpthread
//   export SAMWAAD_ENV="LOG_LEVEL=warn LD_PRELOAD=$PWD/bench/.data/sync_shim.so
//   SYNC_SHIM_OUT=/tmp/syncs.txt" TARGETS=samwaad SAT_RATES= LAT_RATES=5000 IDLE_CONNS=0
//   bench/run.sh
//
// SYNC_SHIM_SKIP=all makes every sync a no-op (nothing is durable then),
// SYNC_SHIM_SKIP=commit only the committer's (SQLite's), and
// SYNC_SHIM_SKIP=commit-write turns the committer's into a start of writeback. At exit (SIGTERM
// ends samwaad cleanly) a histogram per kind goes to SYNC_SHIM_OUT, or stderr; with several
// processes (run.sh restarts the server for each run) each appends its own lines.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kJournal, kCommit, kOther, kKinds };
enum { kBuckets = 10 };
static const double kEdgesMs[kBuckets] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 1e12};
static const char* const kKindNames[kKinds] = {"journal", "commit", "other"};

static _Atomic long counts[kKinds][kBuckets];
static _Atomic long total_ns[kKinds];

static int thread_kind(void) {
  char name[32] = {0};
  pthread_getname_np(pthread_self(), name, sizeof name);
  if (strstr(name, "journal") != NULL) return kJournal;
  if (strstr(name, "commit") != NULL) return kCommit;
  return kOther;
}

static int skipped(int kind) {
  const char* skip = getenv("SYNC_SHIM_SKIP");
  if (skip == NULL) return 0;
  return strcmp(skip, "all") == 0 || (strcmp(skip, "commit") == 0 && kind == kCommit);
}

// SYNC_SHIM_SKIP=commit-write: the committer's syncs only start the writeback
// of the file's dirty pages (no wait, no flush of the disk's cache), as a
// store that paced SQLite's writes without syncing them would.
static int write_only(int kind) {
  const char* skip = getenv("SYNC_SHIM_SKIP");
  return skip != NULL && strcmp(skip, "commit-write") == 0 && kind == kCommit;
}

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int timed(int (*real)(int), int fd) {
  const int kind = thread_kind();
  if (skipped(kind)) return 0;
  if (write_only(kind)) return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  const long start = now_ns();
  const int rc = real(fd);
  const long took = now_ns() - start;
  int bucket = 0;
  while ((double)took / 1e6 > kEdgesMs[bucket]) ++bucket;
  ++counts[kind][bucket];
  total_ns[kind] += took;
  return rc;
}

int fsync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  return timed(real, fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  return timed(real, fd);
}

__attribute__((destructor)) static void report(void) {
  const char* path = getenv("SYNC_SHIM_OUT");
  FILE* out = path != NULL ? fopen(path, "a") : stderr;
  if (out == NULL) return;
  for (int kind = 0; kind < kKinds; ++kind) {
    long n = 0;
    for (int b = 0; b < kBuckets; ++b) n += counts[kind][b];
    if (n == 0) continue;
    fprintf(out, "%s syncs %ld mean %.3f ms |", kKindNames[kind], n,
            (double)total_ns[kind] / 1e6 / (double)n);
    for (int b = 0; b < kBuckets; ++b) {
      if (b + 1 < kBuckets)
        fprintf(out, " <=%gms %ld", kEdgesMs[b], (long)counts[kind][b]);
      else
        fprintf(out, " more %ld", (long)counts[kind][b]);
    }
    fprintf(out, "\n");
  }
  if (out != stderr) fclose(out);
}
