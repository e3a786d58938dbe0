/*
** casebook-wal: an SQLite VFS shim that joins a transaction's WAL writes into one write.
**
** Why. SQLite writes each WAL frame as two pwrite() calls, the 24-byte frame header and the
** page, so a commit of 27 pages costs 54 system calls. On the machines Casebook was measured
** on a system call costs 2.3-3 us and the pwrites were 140 us of a lone intake's 225 us commit
** (docs/performance.md). This shim keeps the contiguous writes to a WAL file in a buffer and
** hands them to the real file in one write.
**
** When the buffer reaches the file. Before anything else reads or changes that file (xRead,
** xSync, xTruncate, xFileSize, xClose, locks, file controls), before a write that does not
** continue it, once it would pass BUFFER_MAX (written in WRITE_MAX pieces), and at once when it holds a whole commit frame
** (the header whose "database size after commit" is not zero, then its page): so a commit's
** write error is the commit's error, returned from SQLite's own xWrite call, before SQLite
** publishes the new frames in the wal-index. The one commit-frame header that is written
** without its page (walRewriteChecksums rewrites headers in place, each after reading its
** frame) goes straight through.
**
** As a last line, every call into this VFS from the same thread first empties a buffer the
** thread left (a thread-local pointer): SQLite publishes frames with xShmBarrier/xShmLock on
** the database file, never the WAL file, so nothing published can be missing from the WAL.
**
** What it does not change. The order of writes to a file (a buffer is emptied before any
** other write or read of its file), fsync (xSync empties first, then syncs), what another
** connection or process sees (frames are only read up to the published mxFrame), what a crash
** leaves (a commit is in the WAL before the wal-index says so, as without the shim).
**
** Loaded as an SQLite extension (src/db/wal-coalesce.ts): it registers "casebook-wal" as the
** default VFS over the one that was default ("unix"), and gives every later connection the
** SQL function casebook_wal_stats() (writes asked, writes made, bytes) for tests and checks.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
#include <stdlib.h>
#include <string.h>

#define BUFFER_MAX (4 * 1024 * 1024)
#define FRAME_HEADER 24
/* The unix VFS writes at most 0x1ffff bytes per call (seekAndWriteFd masks the count). */
#define WRITE_MAX (120 * 1024)

typedef struct CoFile CoFile;
struct CoFile {
  sqlite3_file base;        /* pMethods = &coMethods */
  sqlite3_file *real;       /* the wrapped file, allocated right after this struct */
  int isWal;                /* opened with SQLITE_OPEN_WAL: the only kind whose writes wait */
  char *buf;                /* writes waiting, for the bytes [start, start + len) */
  int len, cap;
  sqlite3_int64 start;
  int commitHeader;         /* the last write waiting is a commit frame's header */
  sqlite3_int64 lastRead;   /* offset of the last xRead when it was this file's last call, else -1 */
  int failed;               /* an error of a flush that could not be returned (SQLITE_OK if none) */
};

static sqlite3_vfs *root;
static _Thread_local CoFile *waiting; /* the file whose buffer this thread has not flushed */

static struct {
  sqlite3_int64 asked, made, bytes;
} stats;

#define REAL(p) ((p)->real)
#define ROUND8(n) (((n) + 7) & ~7)

static void count(sqlite3_int64 *counter, sqlite3_int64 n) { __atomic_add_fetch(counter, n, __ATOMIC_RELAXED); }

static int flush(CoFile *p) {
  int rc = SQLITE_OK, done = 0;
  while (rc == SQLITE_OK && done < p->len) {
    int n = p->len - done < WRITE_MAX ? p->len - done : WRITE_MAX;
    rc = REAL(p)->pMethods->xWrite(REAL(p), p->buf + done, n, p->start + done);
    count(&stats.made, 1);
    count(&stats.bytes, n);
    done += n;
  }
  if (p->len > 0) {
    p->len = 0;
    p->commitHeader = 0;
  }
  if (waiting == p) waiting = 0;
  if (rc == SQLITE_OK && p->failed != SQLITE_OK) {
    rc = p->failed;
    p->failed = SQLITE_OK;
  }
  return rc;
}

/* A write that does not wait: what waits first, then this one. */
static int writeThrough(CoFile *p, const void *data, int n, sqlite3_int64 off) {
  int rc = flush(p);
  if (rc != SQLITE_OK) return rc;
  count(&stats.made, 1);
  count(&stats.bytes, n);
  return REAL(p)->pMethods->xWrite(REAL(p), data, n, off);
}

/* Every call starts here: another file's waiting writes go first; `self`'s too unless keep. */
static int settle(CoFile *self, int keep) {
  if (waiting && waiting != self) {
    CoFile *other = waiting;
    int rc = flush(other);
    if (rc != SQLITE_OK) other->failed = rc; /* reported by that file's next call */
  }
  if (self && !keep && self->isWal) return flush(self);
  return SQLITE_OK;
}

static int isCommitHeader(const void *data, int n) {
  const unsigned char *h = (const unsigned char *)data;
  return n == FRAME_HEADER && (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int coWrite(sqlite3_file *f, const void *data, int n, sqlite3_int64 off) {
  CoFile *p = (CoFile *)f;
  sqlite3_int64 lastRead = p->lastRead;
  int completesCommit, rc;
  p->lastRead = -1;
  settle(p, 1);
  if (!p->isWal) return REAL(p)->pMethods->xWrite(REAL(p), data, n, off);
  count(&stats.asked, 1);
  /* This write is the page of the commit frame whose header waits: the transaction is whole. */
  completesCommit = p->commitHeader && off == p->start + p->len;
  if (p->len > 0 && (off != p->start + p->len || p->len + n > BUFFER_MAX)) {
    rc = flush(p);
    if (rc != SQLITE_OK) return rc;
  }
  /* A commit header rewritten in place after reading its frame, or one too big to wait: now. */
  if ((p->len == 0 && isCommitHeader(data, n) && lastRead == off) || n > WRITE_MAX) return writeThrough(p, data, n, off);
  if (p->len + n > p->cap) {
    int cap = p->cap ? p->cap : 64 * 1024;
    char *grown;
    while (cap < p->len + n) cap *= 2;
    if (cap > BUFFER_MAX) cap = BUFFER_MAX;
    grown = realloc(p->buf, cap);
    if (!grown) return writeThrough(p, data, n, off);
    p->buf = grown;
    p->cap = cap;
  }
  if (p->len == 0) p->start = off;
  memcpy(p->buf + p->len, data, n);
  p->len += n;
  waiting = p;
  if (completesCommit) return flush(p);
  p->commitHeader = isCommitHeader(data, n);
  return SQLITE_OK;
}

static int coRead(sqlite3_file *f, void *data, int n, sqlite3_int64 off) {
  CoFile *p = (CoFile *)f;
  int rc = settle(p, 0);
  if (rc != SQLITE_OK) return rc;
  p->lastRead = off;
  return REAL(p)->pMethods->xRead(REAL(p), data, n, off);
}

/* The calls that only need the buffer emptied first, then go to the real file. */
#define PASS(p, call)                       \
  do {                                      \
    int rc_ = settle((p), 0);               \
    (p)->lastRead = -1;                     \
    if (rc_ != SQLITE_OK) return rc_;       \
    return call;                            \
  } while (0)

static int coClose(sqlite3_file *f) {
  CoFile *p = (CoFile *)f;
  int rc = settle(p, 0);
  int closed = REAL(p)->pMethods->xClose(REAL(p));
  if (waiting == p) waiting = 0;
  free(p->buf);
  p->buf = 0;
  return rc != SQLITE_OK ? rc : closed;
}
static int coTruncate(sqlite3_file *f, sqlite3_int64 size) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xTruncate(REAL(p), size)); }
static int coSync(sqlite3_file *f, int flags) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xSync(REAL(p), flags)); }
static int coFileSize(sqlite3_file *f, sqlite3_int64 *size) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xFileSize(REAL(p), size)); }
static int coLock(sqlite3_file *f, int lock) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xLock(REAL(p), lock)); }
static int coUnlock(sqlite3_file *f, int lock) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xUnlock(REAL(p), lock)); }
static int coCheckReservedLock(sqlite3_file *f, int *out) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xCheckReservedLock(REAL(p), out)); }
static int coFileControl(sqlite3_file *f, int op, void *arg) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xFileControl(REAL(p), op, arg)); }
static int coSectorSize(sqlite3_file *f) { CoFile *p = (CoFile *)f; return REAL(p)->pMethods->xSectorSize(REAL(p)); }
static int coDeviceCharacteristics(sqlite3_file *f) { CoFile *p = (CoFile *)f; return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p)); }
static int coShmMap(sqlite3_file *f, int page, int size, int extend, void volatile **out) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xShmMap(REAL(p), page, size, extend, out)); }
static int coShmLock(sqlite3_file *f, int offset, int n, int flags) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xShmLock(REAL(p), offset, n, flags)); }
static void coShmBarrier(sqlite3_file *f) {
  CoFile *p = (CoFile *)f;
  settle(p, 1); /* a WAL file never gets this call; another file's waiting writes do go first */
  REAL(p)->pMethods->xShmBarrier(REAL(p));
}
static int coShmUnmap(sqlite3_file *f, int deleteFlag) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xShmUnmap(REAL(p), deleteFlag)); }
static int coFetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xFetch(REAL(p), off, n, out)); }
static int coUnfetch(sqlite3_file *f, sqlite3_int64 off, void *page) { CoFile *p = (CoFile *)f; PASS(p, REAL(p)->pMethods->xUnfetch(REAL(p), off, page)); }

/* One table per version of the wrapped methods, so SQLite never calls what the real file lacks. */
static sqlite3_io_methods coMethods[3];

static int coOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *outFlags) {
  CoFile *p = (CoFile *)f;
  int rc;
  (void)vfs;
  settle(0, 0);
  memset(p, 0, sizeof(*p));
  p->real = (sqlite3_file *)((char *)p + ROUND8(sizeof(CoFile)));
  p->lastRead = -1;
  rc = root->xOpen(root, name, p->real, flags, outFlags);
  if (p->real->pMethods) {
    int version = p->real->pMethods->iVersion;
    p->base.pMethods = &coMethods[(version < 1 ? 1 : version > 3 ? 3 : version) - 1];
    p->isWal = (flags & SQLITE_OPEN_WAL) != 0;
  } else {
    p->base.pMethods = 0;
  }
  return rc;
}

/* The VFS calls that are not about an open file go to the root VFS unchanged. */
static int coDelete(sqlite3_vfs *v, const char *name, int sync) { (void)v; settle(0, 0); return root->xDelete(root, name, sync); }
static int coAccess(sqlite3_vfs *v, const char *name, int flags, int *out) { (void)v; settle(0, 0); return root->xAccess(root, name, flags, out); }
static int coFullPathname(sqlite3_vfs *v, const char *name, int n, char *out) { (void)v; return root->xFullPathname(root, name, n, out); }
static void *coDlOpen(sqlite3_vfs *v, const char *name) { (void)v; return root->xDlOpen(root, name); }
static void coDlError(sqlite3_vfs *v, int n, char *out) { (void)v; root->xDlError(root, n, out); }
static void (*coDlSym(sqlite3_vfs *v, void *h, const char *sym))(void) { (void)v; return root->xDlSym(root, h, sym); }
static void coDlClose(sqlite3_vfs *v, void *h) { (void)v; root->xDlClose(root, h); }
static int coRandomness(sqlite3_vfs *v, int n, char *out) { (void)v; return root->xRandomness(root, n, out); }
static int coSleep(sqlite3_vfs *v, int us) { (void)v; settle(0, 0); return root->xSleep(root, us); }
static int coCurrentTime(sqlite3_vfs *v, double *out) { (void)v; return root->xCurrentTime(root, out); }
static int coGetLastError(sqlite3_vfs *v, int n, char *out) { (void)v; return root->xGetLastError(root, n, out); }
static int coCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *out) { (void)v; return root->xCurrentTimeInt64(root, out); }
static int coSetSystemCall(sqlite3_vfs *v, const char *name, sqlite3_syscall_ptr fn) { (void)v; return root->xSetSystemCall(root, name, fn); }
static sqlite3_syscall_ptr coGetSystemCall(sqlite3_vfs *v, const char *name) { (void)v; return root->xGetSystemCall(root, name); }
static const char *coNextSystemCall(sqlite3_vfs *v, const char *name) { (void)v; return root->xNextSystemCall(root, name); }

static sqlite3_vfs coVfs;

static void statsFunction(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  char text[160];
  (void)argc;
  (void)argv;
  sqlite3_snprintf(sizeof(text), text, "{\"vfs\":\"%s\",\"writesAsked\":%lld,\"writesMade\":%lld,\"bytes\":%lld}",
                   sqlite3_vfs_find(0) == &coVfs ? coVfs.zName : "other",
                   __atomic_load_n(&stats.asked, __ATOMIC_RELAXED), __atomic_load_n(&stats.made, __ATOMIC_RELAXED),
                   __atomic_load_n(&stats.bytes, __ATOMIC_RELAXED));
  sqlite3_result_text(ctx, text, -1, SQLITE_TRANSIENT);
}

static int addFunctions(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  (void)api;
  return sqlite3_create_function(db, "casebook_wal_stats", 0, SQLITE_UTF8, 0, statsFunction, 0, 0);
}

static void fill(sqlite3_io_methods *m, int version) {
  memset(m, 0, sizeof(*m));
  m->iVersion = version;
  m->xClose = coClose;
  m->xRead = coRead;
  m->xWrite = coWrite;
  m->xTruncate = coTruncate;
  m->xSync = coSync;
  m->xFileSize = coFileSize;
  m->xLock = coLock;
  m->xUnlock = coUnlock;
  m->xCheckReservedLock = coCheckReservedLock;
  m->xFileControl = coFileControl;
  m->xSectorSize = coSectorSize;
  m->xDeviceCharacteristics = coDeviceCharacteristics;
  if (version >= 2) {
    m->xShmMap = coShmMap;
    m->xShmLock = coShmLock;
    m->xShmBarrier = coShmBarrier;
    m->xShmUnmap = coShmUnmap;
  }
  if (version >= 3) {
    m->xFetch = coFetch;
    m->xUnfetch = coUnfetch;
  }
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_casebookwal_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  int rc;
  SQLITE_EXTENSION_INIT2(api);
  if (sqlite3_vfs_find("casebook-wal") == 0) {
    root = sqlite3_vfs_find(0);
    if (!root || root->iVersion < 3) {
      *err = sqlite3_mprintf("casebook-wal: the default VFS is missing or older than version 3");
      return SQLITE_ERROR;
    }
    fill(&coMethods[0], 1);
    fill(&coMethods[1], 2);
    fill(&coMethods[2], 3);
    memset(&coVfs, 0, sizeof(coVfs));
    coVfs.iVersion = 3;
    coVfs.szOsFile = ROUND8(sizeof(CoFile)) + root->szOsFile;
    coVfs.mxPathname = root->mxPathname;
    coVfs.zName = "casebook-wal";
    coVfs.xOpen = coOpen;
    coVfs.xDelete = coDelete;
    coVfs.xAccess = coAccess;
    coVfs.xFullPathname = coFullPathname;
    coVfs.xDlOpen = coDlOpen;
    coVfs.xDlError = coDlError;
    coVfs.xDlSym = coDlSym;
    coVfs.xDlClose = coDlClose;
    coVfs.xRandomness = coRandomness;
    coVfs.xSleep = coSleep;
    coVfs.xCurrentTime = coCurrentTime;
    coVfs.xGetLastError = coGetLastError;
    coVfs.xCurrentTimeInt64 = coCurrentTimeInt64;
    coVfs.xSetSystemCall = coSetSystemCall;
    coVfs.xGetSystemCall = coGetSystemCall;
    coVfs.xNextSystemCall = coNextSystemCall;
    rc = sqlite3_vfs_register(&coVfs, 1);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_auto_extension((void (*)(void))addFunctions);
    if (rc != SQLITE_OK) return rc;
  }
  rc = addFunctions(db, err, api);
  if (rc != SQLITE_OK) return rc;
  /* The library stays loaded when this connection closes: the VFS lives in it. */
  return SQLITE_OK_LOAD_PERMANENTLY;
}
