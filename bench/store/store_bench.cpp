// The SQLite store under the realtime hub's write pattern, measured per chat
// message: process CPU time (not wall time: the machine is shared) and the
// pages SQLite writes (WAL frames, and checkpoint writes into the database).
//
// Each round queues `batch` asynchronous inserts between random members of
// `pairs` conversations (unique clientIds, as the load generator sends) and
// the delivered receipts of the messages stored since the last round, as the
// hub does when recipients ack. A prefill of the same
// shape first gives the indexes some depth; it is not measured.
//
// Pages are counted by a VFS shim registered as the default, so the store's
// own connections go through it unchanged.
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

using samwaad::store::Message;
using samwaad::store::SqliteStore;

// --- A VFS that counts writes and syncs, per kind of file.

struct Counts {
  std::atomic<uint64_t> wal_frames{0};  // page-sized writes to a WAL file
  std::atomic<uint64_t> db_pages{0};    // writes to a database file (checkpoints)
  std::atomic<uint64_t> syncs{0};
};
Counts counts;

sqlite3_vfs* real_vfs = nullptr;

struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool wal;
  bool db;
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }

int shim_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  auto* shim = reinterpret_cast<ShimFile*>(f);
  if (shim->wal && amount >= 512) counts.wal_frames.fetch_add(1, std::memory_order_relaxed);
  if (shim->db) counts.db_pages.fetch_add(1, std::memory_order_relaxed);
  return shim->real->pMethods->xWrite(shim->real, data, amount, offset);
}
int shim_sync(sqlite3_file* f, int flags) {
  counts.syncs.fetch_add(1, std::memory_order_relaxed);
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int shim_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int shim_read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
  return real_of(f)->pMethods->xRead(real_of(f), data, amount, offset);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int shim_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int shim_lock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xLock(real_of(f), level); }
int shim_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int shim_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int shim_file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int shim_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int shim_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int shim_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int shim_shm_unmap(sqlite3_file* f, int del) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}
int shim_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), offset, amount, out);
}
int shim_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), offset, page);
}

const sqlite3_io_methods shim_methods = {
    3,
    shim_close,
    shim_read,
    shim_write,
    shim_truncate,
    shim_sync,
    shim_file_size,
    shim_lock,
    shim_unlock,
    shim_check_reserved,
    shim_file_control,
    shim_sector_size,
    shim_device_characteristics,
    shim_shm_map,
    shim_shm_lock,
    shim_shm_barrier,
    shim_shm_unmap,
    shim_fetch,
    shim_unfetch,
};

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* shim = reinterpret_cast<ShimFile*>(f);
  shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
  shim->wal = (flags & SQLITE_OPEN_WAL) != 0;
  shim->db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  const int rc = real_vfs->xOpen(real_vfs, name, shim->real, flags, out_flags);
  shim->base.pMethods = shim->real->pMethods != nullptr ? &shim_methods : nullptr;
  return rc;
}

sqlite3_vfs shim_vfs;

void install_counting_vfs() {
  real_vfs = sqlite3_vfs_find(nullptr);
  shim_vfs = *real_vfs;
  shim_vfs.zName = "counting";
  shim_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + real_vfs->szOsFile;
  shim_vfs.xOpen = shim_open;
  sqlite3_vfs_register(&shim_vfs, 1);
}

// --- The workload.

struct Options {
  int pairs = 100;
  int batch = 50;
  int rounds = 1000;
  int prefill_rounds = 1000;
  // How clients make their clientIds: "v4" (random UUIDs), "v7" (time-ordered
  // UUIDs, as the web client sends) or "seq" (a counter per sender).
  std::string client_ids = "v7";
  std::string dir;
};

double process_cpu_us() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto us = [](const timeval& t) { return t.tv_sec * 1e6 + static_cast<double>(t.tv_usec); };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

// CPU time (µs) of this process's threads with the given name (the store
// names its committer and journal threads), from /proc/self/task/*/schedstat.
double thread_cpu_us(const std::string& name) {
  double total = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string got;
    std::getline(comm, got);
    if (got != name) continue;
    std::ifstream schedstat(task.path() / "schedstat");
    double ns = 0;
    schedstat >> ns;
    total += ns / 1e3;
  }
  return total;
}

// Counts completions down to zero, reusable round after round.
class Pending {
 public:
  void add(int n) {
    std::lock_guard lock(mutex_);
    left_ += n;
  }
  void done() {
    std::lock_guard lock(mutex_);
    if (--left_ == 0) zero_.notify_one();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    zero_.wait(lock, [this] { return left_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  int left_ = 0;
};

// snprintf rather than string concatenation, which trips GCC 12's
// -Wrestrict false positive.
template <typename... Args>
std::string format(const char* pattern, Args... args) {
  char buf[96];
  const int n = std::snprintf(buf, sizeof buf, pattern, args...);
  return std::string(buf, static_cast<std::size_t>(std::min<int>(n, sizeof buf - 1)));
}

struct Sent {
  std::string id;
  std::string to;
};

class Workload {
 public:
  Workload(SqliteStore& store, const Options& options) : store_(store), options_(options) {
    for (int i = 0; i < 2 * options.pairs; ++i) {
      samwaad::store::User user;
      user.id = samwaad::new_object_id();
      user.name = format("user%d", i);
      user.email = format("user%d@example.com", i);
      user.password_hash = format("hash%d", i);
      user.created_ms = user.updated_ms = now_ms();
      store.insert_user(user);
      users_.push_back(user.id);
    }
  }

  // Two rounds of inserts in flight, so the next one is queued while the
  // journal syncs: batches then have the same size from run to run, as under
  // load, instead of depending on when a thread happens to wake. Receipts
  // pace nothing (the hub waits for none): they are waited for at the end.
  void run(int rounds) {
    for (int r = 0; r < rounds; ++r) {
      queue_round(r % 2);
      pending_[(r + 1) % 2].wait();
    }
    pending_[(rounds - 1) % 2].wait();
    queue_receipts();  // of the last round
    receipts_.wait();
  }

 private:
  static int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  void queue_round(int slot) {
    Pending& pending = pending_[slot];
    pending.add(options_.batch);
    for (int i = 0; i < options_.batch; ++i) send_one(pending);
    queue_receipts();
  }

  // The receipts of the messages acknowledged since the last call.
  void queue_receipts() {
    std::vector<Sent> acks;
    {
      std::lock_guard lock(sent_mutex_);
      acks.swap(sent_);
    }
    receipts_.add(static_cast<int>(acks.size()));
    for (Sent& s : acks) {
      store_.mark_delivered_async(std::move(s.id), std::move(s.to), now_ms(),
                                  [this](auto, std::exception_ptr) { receipts_.done(); });
    }
  }

  std::string client_id(std::size_t from) {
    if (options_.client_ids == "seq") {
      return format("18f2a9c3-%zu-%012llu", from, static_cast<unsigned long long>(seq_));
    }
    // v4: random bits. v7: 48 bits of milliseconds and a 12-bit counter that
    // keeps each sender's ids growing within a millisecond, as the web client
    // makes them (web/src/lib/clientId.js); then random bits.
    uint64_t high = rng64_();
    if (options_.client_ids == "v7") {
      auto& [last_ms, counter] = v7_state_[from];
      uint64_t ms = static_cast<uint64_t>(now_ms());
      if (ms > last_ms) {
        counter = rng64_() & 0x7ff;
      } else {
        ms = last_ms;
        if (++counter > 0xfff) {
          ++ms;
          counter = 0;
        }
      }
      last_ms = ms;
      high = (ms << 16) | 0x7000 | counter;
    }
    const uint64_t low = rng64_();
    return format(
        "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(high >> 32),
        static_cast<unsigned long long>((high >> 16) & 0xffff),
        static_cast<unsigned long long>(high & 0xffff), static_cast<unsigned long long>(low >> 48),
        static_cast<unsigned long long>(low & 0xffffffffffffULL));
  }

  void send_one(Pending& pending) {
    const auto pair = static_cast<std::size_t>(rng_() % static_cast<unsigned>(options_.pairs));
    const bool forward = (rng_() & 1) != 0;
    const std::size_t from = 2 * pair + (forward ? 0 : 1);
    const std::size_t to = 2 * pair + (forward ? 1 : 0);
    Message m;
    m.from = users_[from];
    m.to = users_[to];
    m.created_ms = now_ms();
    m.text = format("b%lld.%llu", static_cast<long long>(m.created_ms),
                    static_cast<unsigned long long>(seq_));
    m.client_id = client_id(from);
    ++seq_;
    store_.insert_message_async(
        std::move(m),
        [this, &pending](samwaad::store::InsertedMessage inserted, std::exception_ptr error) {
          if (!error) {
            std::lock_guard lock(sent_mutex_);
            sent_.push_back({std::move(inserted.message.id), std::move(inserted.message.to)});
          }
          pending.done();
        });
  }

  SqliteStore& store_;
  Options options_;
  std::vector<std::string> users_;
  std::mt19937 rng_{42};
  std::mt19937_64 rng64_{7};
  uint64_t seq_ = 0;
  std::unordered_map<std::size_t, std::pair<uint64_t, uint64_t>> v7_state_;  // ms, counter
  Pending pending_[2];  // inserts, per round slot
  Pending receipts_;
  std::mutex sent_mutex_;
  std::vector<Sent> sent_;  // guarded by sent_mutex_: delivered next round
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--pairs")
      options.pairs = std::atoi(value);
    else if (flag == "--batch")
      options.batch = std::atoi(value);
    else if (flag == "--rounds")
      options.rounds = std::atoi(value);
    else if (flag == "--prefill-rounds")
      options.prefill_rounds = std::atoi(value);
    else if (flag == "--client-ids")
      options.client_ids = value;
    else if (flag == "--dir")
      options.dir = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  if (options.client_ids != "v4" && options.client_ids != "v7" && options.client_ids != "seq") {
    std::fprintf(stderr, "--client-ids: v4, v7 or seq\n");
    std::exit(2);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  install_counting_vfs();
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "samwaad-store-bench-XXXXXX").string();
  const bool own_dir = options.dir.empty();
  if (own_dir) {
    if (mkdtemp(pattern.data()) == nullptr) return 1;
    options.dir = pattern;
  }
  {
    SqliteStore store(options.dir + "/samwaad.db");
    store.migrate();
    Workload workload(store, options);
    workload.run(options.prefill_rounds);

    const double cpu0 = process_cpu_us();
    const double commit0 = thread_cpu_us("store-commit");
    const double journal0 = thread_cpu_us("store-journal");
    const auto folded0 = store.group_commit_stats().folded_receipts;
    const auto lookups0 = store.group_commit_stats().client_id_lookups;
    const uint64_t frames0 = counts.wal_frames, pages0 = counts.db_pages, syncs0 = counts.syncs;
    const auto commits0 = store.group_commit_stats().transactions;
    workload.run(options.rounds);
    const double cpu = process_cpu_us() - cpu0;
    const double commit = thread_cpu_us("store-commit") - commit0;
    const double journal = thread_cpu_us("store-journal") - journal0;
    const double messages = static_cast<double>(options.rounds) * options.batch;
    std::printf(
        "{\"messages\":%.0f,\"cpu_us_per_msg\":%.2f,\"committer_us_per_msg\":%.2f,"
        "\"journal_us_per_msg\":%.2f,\"folded_receipts_per_msg\":%.3f,"
        "\"client_id_lookups_per_msg\":%.3f,"
        "\"wal_frames_per_msg\":%.3f,"
        "\"db_pages_per_msg\":%.3f,\"syncs_per_msg\":%.3f,\"commits_per_round\":%.2f}\n",
        messages, cpu / messages, commit / messages, journal / messages,
        static_cast<double>(store.group_commit_stats().folded_receipts - folded0) / messages,
        static_cast<double>(store.group_commit_stats().client_id_lookups - lookups0) / messages,
        static_cast<double>(counts.wal_frames - frames0) / messages,
        static_cast<double>(counts.db_pages - pages0) / messages,
        static_cast<double>(counts.syncs - syncs0) / messages,
        static_cast<double>(store.group_commit_stats().transactions - commits0) / options.rounds);
  }
  if (own_dir) fs::remove_all(options.dir);
  return 0;
}
