// Samwaad load generator: speaks Engine.IO v4 / Socket.IO v5 over a hand-rolled
// WebSocket client (RFC 6455, masked client frames) on raw non-blocking sockets
// and epoll, so it costs little CPU next to the server it measures on a 2-core box.
//
//   loadgen signup --port P --users N --cache FILE
//   loadgen chat   --port P --cache FILE --pairs K --rate R [--duration S] [--server-pid PID]
//   loadgen idle   --port P --cache FILE --conns N --procs 2 --src 127.0.0.2-127.0.0.20
//   --server-pid PID
//
// chat: K pairs of users, both sides of a pair send to each other on an open-loop
// schedule (R messages/s in total); latency runs from the *scheduled* send time to the
// recipient's `message-received` (no coordinated omission). The recipient acks
// `message-received`, which makes the server send `message-delivered` to the sender.
// idle: N authenticated sockets that only answer pings; reports the server's RSS delta.
//
// Only loopback (127.0.0.0/8) addresses are accepted, for the server and the sources.
// Every phase is bounded in time. Work runs in forked worker processes (--procs),
// because open files are capped per process; the parent coordinates and samples
// /proc for CPU and memory.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <queue>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace {

using u64 = std::uint64_t;
using i64 = std::int64_t;

i64 now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<i64>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::fputs("loadgen: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
  std::exit(2);
}

void sleep_until(i64 t) {
  for (;;) {
    i64 d = t - now_ns();
    if (d <= 0) return;
    timespec ts{static_cast<time_t>(d / 1'000'000'000), static_cast<long>(d % 1'000'000'000)};
    nanosleep(&ts, nullptr);
  }
}

// ---------------------------------------------------------------- options

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 3100;
  std::string cache;
  std::string prefix = "bench";
  std::string label;
  int users = 0;  // idle: distinct users the sockets are spread over (0 = min(conns, 1000))
  int pairs = 100;
  double rate = 2000;
  double warmup = 1, duration = 5, drain = 3;
  int procs = 1;
  int conns = 1000;
  std::vector<std::string> src;
  int server_pid = 0;
  double settle = 3, hold = 0;
  bool json = false;
  int signup_concurrency = 4;
  double connect_timeout = 120;
  int inflight = 200;  // concurrent handshakes per worker
};

in_addr_t parse_loopback(const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) die("not an IPv4 address: %s", s.c_str());
  if ((ntohl(a.s_addr) >> 24) != 127)
    die("refusing non-loopback address %s (127.0.0.0/8 only)", s.c_str());
  return a.s_addr;
}

std::vector<std::string> expand_src(const std::string& spec) {
  std::vector<std::string> out;
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, ',')) {
    auto dash = part.find('-');
    if (dash == std::string::npos) {
      parse_loopback(part);
      out.push_back(part);
      continue;
    }
    std::string a = part.substr(0, dash), b = part.substr(dash + 1);
    u64 x = ntohl(parse_loopback(a)), y = ntohl(parse_loopback(b));
    if (y < x || y - x > 1000) die("bad source range %s", part.c_str());
    for (u64 v = x; v <= y; ++v) {
      in_addr ia{};
      ia.s_addr = htonl(static_cast<uint32_t>(v));
      char buf[32];
      inet_ntop(AF_INET, &ia, buf, sizeof buf);
      out.emplace_back(buf);
    }
  }
  return out;
}

Options parse_args(int argc, char** argv) {
  Options o;
  if (argc < 2) die("usage: loadgen signup|chat|idle [options]  (see bench/README.md)");
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die("%s needs a value", k.c_str());
      return argv[++i];
    };
    if (k == "--host")
      o.host = val();
    else if (k == "--port")
      o.port = std::stoi(val());
    else if (k == "--cache")
      o.cache = val();
    else if (k == "--prefix")
      o.prefix = val();
    else if (k == "--label")
      o.label = val();
    else if (k == "--users")
      o.users = std::stoi(val());
    else if (k == "--pairs")
      o.pairs = std::stoi(val());
    else if (k == "--rate")
      o.rate = std::stod(val());
    else if (k == "--warmup")
      o.warmup = std::stod(val());
    else if (k == "--duration")
      o.duration = std::stod(val());
    else if (k == "--drain")
      o.drain = std::stod(val());
    else if (k == "--procs")
      o.procs = std::stoi(val());
    else if (k == "--conns")
      o.conns = std::stoi(val());
    else if (k == "--src")
      o.src = expand_src(val());
    else if (k == "--server-pid")
      o.server_pid = std::stoi(val());
    else if (k == "--settle")
      o.settle = std::stod(val());
    else if (k == "--hold")
      o.hold = std::stod(val());
    else if (k == "--json")
      o.json = true;
    else if (k == "--signup-concurrency")
      o.signup_concurrency = std::stoi(val());
    else if (k == "--connect-timeout")
      o.connect_timeout = std::stod(val());
    else if (k == "--inflight")
      o.inflight = std::stoi(val());
    else
      die("unknown option %s", k.c_str());
  }
  parse_loopback(o.host);
  if (o.port <= 0 || o.port > 65535) die("bad --port");
  if (o.procs < 1 || o.procs > 16) die("--procs must be 1..16");
  if (o.pairs < 1 || o.pairs > 100000) die("bad --pairs");
  if (o.conns < 1 || o.conns > 1000000) die("bad --conns");
  if (!(o.rate > 0) || o.rate > 10'000'000) die("bad --rate");
  if (!(o.duration > 0) || o.duration > 3600 || o.warmup < 0 || o.warmup > 600 || o.drain < 0 ||
      o.drain > 600)
    die("bad --warmup/--duration/--drain");
  if (o.hold < 0 || o.hold > 3600 || o.settle < 0 || o.settle > 600) die("bad --hold/--settle");
  if (o.inflight < 1) o.inflight = 1;
  if (o.src.empty()) o.src.push_back(o.host == "127.0.0.1" ? "127.0.0.1" : o.host);
  return o;
}

// ---------------------------------------------------------------- /proc

u64 proc_ticks(int pid) {  // utime + stime of every thread, clock ticks
  if (pid <= 0) return 0;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  std::ifstream f(path);
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto rp = s.rfind(')');
  if (rp == std::string::npos) return 0;
  std::istringstream is(s.substr(rp + 2));
  std::string tok;
  u64 ut = 0, st = 0;
  // fields after comm: 3 state, 4 ppid, ... 14 utime, 15 stime
  for (int field = 3; field <= 15 && (is >> tok); ++field) {
    if (field == 14) ut = std::strtoull(tok.c_str(), nullptr, 10);
    if (field == 15) st = std::strtoull(tok.c_str(), nullptr, 10);
  }
  return ut + st;
}

long proc_rss_kb(int pid) {
  if (pid <= 0) return -1;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", pid);
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

struct SysCpu {
  u64 busy = 0, total = 0, steal = 0, irq = 0;
};
SysCpu sys_cpu() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  u64 v[10] = {};
  f >> cpu;
  for (auto& x : v) f >> x;
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  SysCpu s;
  s.steal = v[7];
  s.irq = v[5] + v[6];
  s.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  s.total = s.busy + v[3] + v[4];
  return s;
}

struct CpuSample {
  i64 t = 0;
  u64 server = 0, gen = 0;
  SysCpu sys;
};
CpuSample cpu_sample(int server_pid, const std::vector<pid_t>& gen_pids) {
  CpuSample c;
  c.t = now_ns();
  c.server = proc_ticks(server_pid);
  c.gen = proc_ticks(getpid());
  for (pid_t p : gen_pids) c.gen += proc_ticks(p);
  c.sys = sys_cpu();
  return c;
}

// ---------------------------------------------------------------- users (REST)

struct User {
  std::string email, id, token;
};

struct HttpResp {
  int status = 0;
  std::string body;
};

HttpResp http_post(const Options& o, const std::string& path, const std::string& body) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", std::strerror(errno));
  timeval tv{60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(o.port));
  sa.sin_addr.s_addr = parse_loopback(o.host);
  HttpResp r;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    r.status = -1;
    r.body = std::strerror(errno);
    return r;
  }
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                    "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = write(fd, req.data() + off, req.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
    if (resp.size() > (1u << 20)) break;
    // Stop once a Content-Length body is complete (the server may keep the connection).
    auto he = resp.find("\r\n\r\n");
    if (he != std::string::npos) {
      std::string head = resp.substr(0, he);
      std::transform(head.begin(), head.end(), head.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      auto cl = head.find("content-length:");
      if (cl != std::string::npos &&
          resp.size() - he - 4 >= std::strtoull(head.c_str() + cl + 15, nullptr, 10))
        break;
    }
  }
  close(fd);
  if (resp.rfind("HTTP/1.", 0) == 0 && resp.size() > 12) r.status = std::atoi(resp.c_str() + 9);
  auto he = resp.find("\r\n\r\n");
  if (he != std::string::npos) r.body = resp.substr(he + 4);
  return r;
}

std::string json_str_after(const std::string& s, const std::string& key, size_t from = 0) {
  auto p = s.find("\"" + key + "\":\"", from);
  if (p == std::string::npos) return {};
  p += key.size() + 4;
  auto e = s.find('"', p);
  return e == std::string::npos ? std::string() : s.substr(p, e - p);
}

User signup_one(const Options& o, int i) {
  User u;
  u.email = o.prefix + "-" + std::to_string(i) + "@bench.example";
  const std::string password = "bench-password-1";
  std::string body = "{\"name\":\"Bench User " + std::to_string(i) + "\",\"email\":\"" + u.email +
                     "\",\"password\":\"" + password + "\"}";
  HttpResp r;
  for (int attempt = 0; attempt < 5; ++attempt) {
    r = http_post(o, "/api/v1/auth/signup", body);
    if (r.status == 409)
      r = http_post(o, "/api/v1/auth/login",
                    "{\"email\":\"" + u.email + "\",\"password\":\"" + password + "\"}");
    if (r.status == 200 || r.status == 201) break;
    if (r.status == 429) die("signup rate limited (429): run the server with RATE_LIMITS=off");
    usleep(200000);
  }
  if (r.status != 200 && r.status != 201)
    die("signup of %s failed: HTTP %d %.200s", u.email.c_str(), r.status, r.body.c_str());
  auto up = r.body.find("\"user\"");
  u.id = json_str_after(r.body, "id", up == std::string::npos ? 0 : up);
  u.token = json_str_after(r.body, "token");
  if (u.id.size() != 24 || u.token.empty())
    die("unexpected signup response: %.200s", r.body.c_str());
  return u;
}

std::vector<User> ensure_users(const Options& o, int n) {
  std::vector<User> users;
  if (!o.cache.empty()) {
    std::ifstream f(o.cache);
    std::string line;
    while (std::getline(f, line)) {
      std::istringstream is(line);
      User u;
      if (is >> u.email >> u.id >> u.token) users.push_back(u);
    }
  }
  if (static_cast<int>(users.size()) >= n) {
    users.resize(static_cast<size_t>(n));
    return users;
  }
  int have = static_cast<int>(users.size());
  int need = n - have;
  i64 t0 = now_ns();
  std::fprintf(stderr, "loadgen: creating %d users (%d cached) on %s:%d ...\n", need, have,
               o.host.c_str(), o.port);
  std::vector<User> fresh(static_cast<size_t>(need));
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < std::max(1, o.signup_concurrency); ++t)
    ts.emplace_back([&] {
      for (int k; (k = next.fetch_add(1)) < need;)
        fresh[static_cast<size_t>(k)] = signup_one(o, have + k);
    });
  for (auto& t : ts) t.join();
  users.insert(users.end(), fresh.begin(), fresh.end());
  if (!o.cache.empty()) {
    std::ofstream f(o.cache, std::ios::app);
    for (auto& u : fresh) f << u.email << ' ' << u.id << ' ' << u.token << '\n';
  }
  std::fprintf(stderr, "loadgen: %d users created in %.1f s\n", need, (now_ns() - t0) / 1e9);
  return users;
}

// ---------------------------------------------------------------- worker

struct Counters {
  u64 conns_ok = 0, conns_failed = 0, disconnects = 0;
  u64 sent = 0, sent_window = 0, backlog_skipped = 0;
  u64 acks_ok = 0, acks_err = 0;
  u64 recv = 0, recv_window = 0, recv_dup = 0, recv_gap = 0;
  u64 receipts = 0, receipts_window = 0, msg_sent_events = 0, other_events = 0, pings = 0;
  u64 backlog = 0, stale = 0;  // messages from earlier runs: pushed on connect / arriving late
  char first_error[200] = {};
};

enum class St : uint8_t { Connecting, Upgrading, WaitOpen, WaitConnect, Ready, Closed };

struct Conn {
  int fd = -1;
  St st = St::Closed;
  bool out_armed = false, dirty = false;
  int user = -1;
  int peer = -1;  // chat: index of the partner's Conn in this worker
  std::string in;
  size_t in_off = 0;
  std::string out;
  size_t out_off = 0;
  std::string frag;
  int frag_op = 0;
  u64 seq = 0, expect_seq = 0, next_ack = 1;
  i64 interval = 0;
  std::unordered_map<u64, i64> pending_acks;  // ack id -> scheduled time
};

constexpr u64 kCtlTag = ~0ull;
constexpr size_t kMaxOutBacklog = 16u << 20;

class Worker {
 public:
  Worker(const Options& o, const std::vector<User>& users, int ctl_fd, int res_fd)
      : o_(o), users_(users), ctl_fd_(ctl_fd), res_fd_(res_fd) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die("epoll_create1: %s", std::strerror(errno));
    rng_ = 0x9E3779B97F4A7C15ull ^ static_cast<u64>(now_ns()) ^ (static_cast<u64>(getpid()) << 32);
    sa_.sin_family = AF_INET;
    sa_.sin_port = htons(static_cast<uint16_t>(o.port));
    sa_.sin_addr.s_addr = parse_loopback(o.host);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kCtlTag;
    epoll_ctl(ep_, EPOLL_CTL_ADD, ctl_fd_, &ev);
  }

  // conns: (user index, source address); peers are set by the caller afterwards.
  void add_conn(int user, in_addr_t src) {
    conns_.emplace_back();
    conns_.back().user = user;
    srcs_.push_back(src);
  }
  std::vector<Conn>& conns() { return conns_; }

  void connect_all() {
    i64 deadline = now_ns() + static_cast<i64>(o_.connect_timeout * 1e9);
    size_t next = 0;
    while (c_.conns_ok + c_.conns_failed < conns_.size()) {
      while (next < conns_.size() && inflight_ < o_.inflight) start_connect(next++);
      if (now_ns() > deadline) {
        for (size_t i = 0; i < conns_.size(); ++i)
          if (conns_[i].st != St::Ready && conns_[i].st != St::Closed) fail(i, "handshake timeout");
        for (; next < conns_.size(); ++next) {
          c_.conns_failed++;
          note_error("handshake timeout (not started)");
        }
        break;
      }
      poll_once(now_ns() + 50'000'000);
      if (ctl_eof_) return;
    }
  }

  // Chat, before the start: a recipient that connects is pushed every message it has
  // not acknowledged yet (offline delivery) -- leftovers of an earlier overloaded run.
  // Take them (acking each, which marks them delivered) until 500 ms pass without any
  // event, at most 60 s, so they neither load the server nor count in this run.
  void absorb_backlog() {
    i64 end = now_ns() + 60'000'000'000;
    last_event_ = now_ns();
    while (!ctl_eof_) {
      i64 now = now_ns();
      if (now >= end || now - last_event_ >= 500'000'000) break;
      poll_once(std::min(end, last_event_ + 500'000'000));
    }
    u64 absorbed = c_.recv + c_.stale;
    Counters fresh;
    fresh.conns_ok = c_.conns_ok;
    fresh.conns_failed = c_.conns_failed;
    std::memcpy(fresh.first_error, c_.first_error, sizeof fresh.first_error);
    fresh.backlog = absorbed;
    c_ = fresh;
    for (auto& c : conns_) c.expect_seq = 0;
  }

  // Chat: wait for the start time, send on schedule, drain, return.
  void run_chat() {
    i64 t0 = 0;
    if (!read_full(ctl_fd_, &t0, sizeof t0)) return;
    start_ = t0;
    timespec wall{};
    clock_gettime(CLOCK_REALTIME, &wall);
    wall_start_ = static_cast<i64>(wall.tv_sec) * 1'000'000'000 + wall.tv_nsec;
    m0_ = t0 + static_cast<i64>(o_.warmup * 1e9);
    m1_ = m0_ + static_cast<i64>(o_.duration * 1e9);
    const i64 end = m1_ + static_cast<i64>(o_.drain * 1e9);
    const int total_senders = 2 * o_.pairs;
    const double per_conn_rate = o_.rate / total_senders;
    const i64 interval = std::max<i64>(1, static_cast<i64>(1e9 / per_conn_rate));
    for (size_t i = 0; i < conns_.size(); ++i) {
      Conn& c = conns_[i];
      if (c.st != St::Ready || c.peer < 0 || conns_[static_cast<size_t>(c.peer)].st != St::Ready)
        continue;
      c.interval = interval;
      // spread the senders' phases evenly over one interval
      i64 phase = static_cast<i64>(static_cast<double>(interval) * c.user / total_senders);
      heap_.push({t0 + phase, static_cast<int>(i)});
    }
    lat_.reserve(static_cast<size_t>(o_.rate * o_.duration * 1.1) + 16);
    ack_lat_.reserve(lat_.capacity());
    for (;;) {
      i64 now = now_ns();
      if (now >= end) break;
      if (now >= m1_ && c_.recv >= c_.sent && c_.receipts >= c_.sent &&
          c_.acks_ok + c_.acks_err >= c_.sent)
        break;
      i64 wake = end;
      if (!heap_.empty() && heap_.top().due < m1_) wake = std::min(wake, heap_.top().due);
      poll_once(wake);
      fire_due();
      flush_dirty();
    }
  }

  // Idle: keep answering pings until the parent closes the control pipe (bounded).
  void run_idle() {
    i64 end = now_ns() + static_cast<i64>((o_.settle + o_.hold + 600) * 1e9);
    while (!ctl_eof_ && now_ns() < end) poll_once(std::min(end, now_ns() + 1'000'000'000));
  }

  void close_all() {
    for (auto& c : conns_)
      if (c.fd >= 0) {
        close(c.fd);
        c.fd = -1;
      }
  }

  Counters& counters() { return c_; }
  std::vector<u64>& lat() { return lat_; }
  std::vector<u64>& ack_lat() { return ack_lat_; }

  static bool read_full(int fd, void* p, size_t n) {
    auto* b = static_cast<char*>(p);
    while (n) {
      ssize_t r = read(fd, b, n);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      b += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }

 private:
  struct Due {
    i64 due;
    int conn;
    bool operator>(const Due& o) const { return due > o.due; }
  };

  void note_error(const char* what) {
    if (!c_.first_error[0]) std::snprintf(c_.first_error, sizeof c_.first_error, "%s", what);
  }

  void start_connect(size_t i) {
    Conn& c = conns_[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      c_.conns_failed++;
      note_error(std::strerror(errno));
      return;
    }
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (srcs_[i] != htonl(INADDR_LOOPBACK)) {
      setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sockaddr_in la{};
      la.sin_family = AF_INET;
      la.sin_addr.s_addr = srcs_[i];
      if (bind(c.fd, reinterpret_cast<sockaddr*>(&la), sizeof la) != 0) {
        fail(i, "bind source address failed");  // counted once: st is still Closed
        return;
      }
    }
    c.st = St::Connecting;
    inflight_++;
    int r = connect(c.fd, reinterpret_cast<sockaddr*>(&sa_), sizeof sa_);
    if (r != 0 && errno != EINPROGRESS) {
      fail(i, "connect failed");
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = i;
    c.out_armed = true;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  void fail(size_t i, const char* why) {
    Conn& c = conns_[i];
    bool handshaking = c.st != St::Ready && c.st != St::Closed;
    if (c.st == St::Ready) {
      c_.disconnects++;
      note_error(why);
    } else if (handshaking) {
      c_.conns_failed++;
      inflight_--;
      note_error(why);
    } else if (c.fd >= 0) {  // bind failure path: not yet counted
      c_.conns_failed++;
      note_error(why);
    }
    if (c.fd >= 0) {
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
    }
    c.fd = -1;
    c.st = St::Closed;
    c.out.clear();
    c.out_off = 0;
  }

  void poll_once(i64 wake_at) {
    epoll_event evs[512];
    i64 d = std::max<i64>(0, wake_at - now_ns());
    timespec ts{static_cast<time_t>(d / 1'000'000'000), static_cast<long>(d % 1'000'000'000)};
    int n = epoll_pwait2(ep_, evs, 512, &ts, nullptr);
    if (n < 0) {
      if (errno == EINTR) return;
      die("epoll_pwait2: %s", std::strerror(errno));
    }
    for (int k = 0; k < n; ++k) {
      if (evs[k].data.u64 == kCtlTag) {
        char b[64];
        ssize_t r = read(ctl_fd_, b, sizeof b);
        if (r <= 0) {
          ctl_eof_ = true;
          epoll_ctl(ep_, EPOLL_CTL_DEL, ctl_fd_, nullptr);
        }
        continue;
      }
      size_t i = static_cast<size_t>(evs[k].data.u64);
      Conn& c = conns_[i];
      if (c.fd < 0) continue;
      if (c.st == St::Connecting && (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          fail(i, "connect refused or failed");
          continue;
        }
        c.st = St::Upgrading;
        char key[25];
        make_ws_key(key);
        c.out = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + o_.host + ":" +
                std::to_string(o_.port) +
                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        c.out_off = 0;
        flush(i);
        continue;
      }
      if (evs[k].events & EPOLLIN) {
        if (!read_some(i)) continue;
      } else if (evs[k].events & (EPOLLERR | EPOLLHUP)) {
        fail(i, "connection reset");
        continue;
      }
      if (c.fd >= 0 && (evs[k].events & EPOLLOUT)) flush(i);
    }
    flush_dirty();
  }

  void make_ws_key(char* out) {
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char raw[16];
    for (int k = 0; k < 16; ++k) raw[k] = static_cast<unsigned char>(next_rand());
    int o = 0;
    for (int k = 0; k < 15; k += 3) {
      u64 v = (u64{raw[k]} << 16) | (u64{raw[k + 1]} << 8) | raw[k + 2];
      out[o++] = b64[(v >> 18) & 63];
      out[o++] = b64[(v >> 12) & 63];
      out[o++] = b64[(v >> 6) & 63];
      out[o++] = b64[v & 63];
    }
    u64 v = u64{raw[15]} << 16;
    out[o++] = b64[(v >> 18) & 63];
    out[o++] = b64[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
    out[o] = 0;
  }

  u64 next_rand() {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
  }

  bool read_some(size_t i) {
    Conn& c = conns_[i];
    char buf[65536];
    for (int rounds = 0; rounds < 8;
         ++rounds) {  // bounded per wake-up, so one socket cannot starve others
      ssize_t n = read(c.fd, buf, sizeof buf);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buf) break;
        continue;
      }
      if (n == 0) {
        fail(i, "server closed the connection");
        return false;
      }
      if (errno == EAGAIN || errno == EINTR) break;
      fail(i, "read error");
      return false;
    }
    return process_input(i);
  }

  bool process_input(size_t i) {
    Conn& c = conns_[i];
    if (c.st == St::Upgrading) {
      auto he = c.in.find("\r\n\r\n");
      if (he == std::string::npos) {
        if (c.in.size() > 16384) fail(i, "oversized upgrade response");
        return c.fd >= 0;
      }
      if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
        std::string first = c.in.substr(0, c.in.find("\r\n"));
        std::string msg = "upgrade refused: " + first;
        fail(i, msg.c_str());
        return false;
      }
      c.in_off = he + 4;
      c.st = St::WaitOpen;
    }
    for (;;) {
      size_t avail = c.in.size() - c.in_off;
      if (avail < 2) break;
      const auto* p = reinterpret_cast<const unsigned char*>(c.in.data() + c.in_off);
      bool fin = p[0] & 0x80;
      int op = p[0] & 0x0f;
      bool masked = p[1] & 0x80;
      u64 len = p[1] & 0x7f;
      size_t hl = 2;
      if (len == 126) {
        if (avail < 4) break;
        len = (u64{p[2]} << 8) | p[3];
        hl = 4;
      } else if (len == 127) {
        if (avail < 10) break;
        len = 0;
        for (int k = 0; k < 8; ++k) len = (len << 8) | p[2 + k];
        hl = 10;
      }
      if (len > (32u << 20)) {
        fail(i, "oversized frame");
        return false;
      }
      size_t mk = hl;
      if (masked) hl += 4;
      if (avail < hl + len) break;
      std::string_view payload(c.in.data() + c.in_off + hl, static_cast<size_t>(len));
      std::string unmasked;
      if (masked) {  // servers must not mask; tolerate it anyway
        unmasked.assign(payload);
        for (size_t k = 0; k < unmasked.size(); ++k)
          unmasked[k] = static_cast<char>(unmasked[k] ^ p[mk + (k & 3)]);
        payload = unmasked;
      }
      c.in_off += hl + static_cast<size_t>(len);
      if (op == 0x8) {
        fail(i, "websocket close from server");
        return false;
      } else if (op == 0x9) {
        send_frame(i, 0xA, payload);
      } else if (op == 0xA) {
        // pong: ignore
      } else if (op == 0x1 || op == 0x2 || op == 0x0) {
        if (op != 0) c.frag_op = op;
        if (!fin) {
          c.frag.append(payload);
        } else if (!c.frag.empty()) {
          c.frag.append(payload);
          std::string whole;
          whole.swap(c.frag);
          if (c.frag_op == 1) on_text(i, whole);
        } else if (c.frag_op == 1) {
          on_text(i, payload);
        }
        if (c.fd < 0) return false;
      }
    }
    if (c.in_off == c.in.size()) {
      c.in.clear();
      c.in_off = 0;
    } else if (c.in_off > 65536) {
      c.in.erase(0, c.in_off);
      c.in_off = 0;
    }
    return true;
  }

  static bool parse_u64(std::string_view& s, u64& v) {
    size_t k = 0;
    v = 0;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') v = v * 10 + static_cast<u64>(s[k++] - '0');
    s.remove_prefix(k);
    return k > 0;
  }

  void on_text(size_t i, std::string_view m) {
    Conn& c = conns_[i];
    if (m.empty()) return;
    if (debug_ > 0) {
      debug_--;
      std::fprintf(stderr, "[conn %zu] <- %.*s\n", i,
                   static_cast<int>(std::min<size_t>(m.size(), 400)), m.data());
    }
    if (m[0] == '2') {  // Engine.IO ping
      c_.pings++;
      send_text(i, "3");
      return;
    }
    if (m[0] == '6' || m[0] == '3') return;
    if (m[0] == '1') {
      fail(i, "engine.io close");
      return;
    }
    if (m[0] == '0') {
      if (c.st == St::WaitOpen) {
        c.st = St::WaitConnect;
        send_text(i, "40{\"token\":\"" + users_[static_cast<size_t>(c.user)].token + "\"}");
      }
      return;
    }
    if (m[0] != '4' || m.size() < 2) return;
    char t = m[1];
    std::string_view rest = m.substr(2);
    if (c.st == St::WaitConnect) {
      if (t == '0') {
        c.st = St::Ready;
        inflight_--;
        c_.conns_ok++;
      } else {
        std::string msg = "connect refused: " + std::string(m.substr(0, 160));
        fail(i, msg.c_str());
      }
      return;
    }
    if (t == '1') {
      fail(i, "socket.io disconnect from server");
      return;
    }
    if (t == '3') {  // ACK of our send-message
      u64 id = 0;
      parse_u64(rest, id);
      auto it = c.pending_acks.find(id);
      i64 now = now_ns();
      if (it != c.pending_acks.end()) {
        if (it->second >= m0_ && it->second < m1_)
          ack_lat_.push_back(static_cast<u64>(now - it->second));
        c.pending_acks.erase(it);
      }
      if (rest.find("\"ok\":true") != std::string_view::npos ||
          rest.find("\"ok\": true") != std::string_view::npos) {
        c_.acks_ok++;
      } else {
        c_.acks_err++;
        std::string msg = "send-message refused: " + std::string(rest.substr(0, 160));
        note_error(msg.c_str());
      }
      return;
    }
    if (t != '2') return;
    last_event_ = now_ns();
    u64 ack = 0;
    bool has_ack = parse_u64(rest, ack);
    if (rest.size() < 3 || rest[0] != '[' || rest[1] != '"') return;
    rest.remove_prefix(2);
    auto q = rest.find('"');
    if (q == std::string_view::npos) return;
    std::string_view ev = rest.substr(0, q);
    i64 now = now_ns();
    if (ev == "message-received") {
      if (has_ack) send_text(i, "43" + std::to_string(ack) + "[]");
      auto p = rest.find("\"text\":");
      if (p != std::string_view::npos) {
        p += 7;
        while (p < rest.size() && rest[p] == ' ') ++p;
      }
      if (p == std::string_view::npos || rest.substr(p, 2) != "\"b") {
        c_.other_events++;
        return;
      }
      std::string_view s = rest.substr(p + 2);
      u64 sched = 0, seq = 0;
      parse_u64(s, sched);
      if (!s.empty() && s[0] == '.') {
        s.remove_prefix(1);
        parse_u64(s, seq);
      }
      if (static_cast<i64>(sched) < start_ || start_ == 0) {  // scheduled before this run began
        c_.stale++;
        return;
      }
      c_.recv++;
      if (now >= m0_ && now < m1_) c_.recv_window++;
      if (seq < c.expect_seq) {
        c_.recv_dup++;
        return;
      }
      if (seq > c.expect_seq) c_.recv_gap++;
      c.expect_seq = seq + 1;
      i64 st = static_cast<i64>(sched);
      if (st >= m0_ && st < m1_) lat_.push_back(static_cast<u64>(now - st));
    } else if (ev == "message-delivered") {
      c_.receipts++;
      if (now >= m0_ && now < m1_) c_.receipts_window++;
    } else if (ev == "message-sent") {
      c_.msg_sent_events++;
    } else {
      c_.other_events++;
      if (has_ack) send_text(i, "43" + std::to_string(ack) + "[]");
    }
  }

  void fire_due() {
    i64 now = now_ns();
    char buf[256];
    while (!heap_.empty() && heap_.top().due <= now && heap_.top().due < m1_) {
      Due d = heap_.top();
      heap_.pop();
      Conn& c = conns_[static_cast<size_t>(d.conn)];
      if (c.st != St::Ready || c.peer < 0) continue;
      Conn& peer = conns_[static_cast<size_t>(c.peer)];
      heap_.push({d.due + c.interval, d.conn});
      if (c.out.size() - c.out_off > kMaxOutBacklog) {  // safety bound; reported as an error
        c_.backlog_skipped++;
        continue;
      }
      u64 id = c.next_ack++;
      u64 seq = c.seq++;
      // Client ids that lead with the wall-clock time of the send, as the web
      // client's UUIDv7s do: each sender's grow as strings (the server skips
      // its repeat look-up for an id above the sender's stored ones), and all
      // senders' sort together by time, as in an index led by the client id.
      int n = std::snprintf(buf, sizeof buf,
                            "42%llu[\"send-message\",{\"to\":\"%s\",\"text\":\"b%lld.%llu\","
                            "\"clientId\":\"%016llx-%d-%"
                            "012llu\"}]",
                            static_cast<unsigned long long>(id),
                            users_[static_cast<size_t>(peer.user)].id.c_str(),
                            static_cast<long long>(d.due), static_cast<unsigned long long>(seq),
                            static_cast<unsigned long long>(wall_start_ + (d.due - start_)), c.user,
                            static_cast<unsigned long long>(seq));
      c.pending_acks.emplace(id, d.due);
      send_frame(i_of(c), 0x1, std::string_view(buf, static_cast<size_t>(n)), /*defer=*/true);
      c_.sent++;
      if (d.due >= m0_) c_.sent_window++;
    }
  }

  size_t i_of(const Conn& c) const { return static_cast<size_t>(&c - conns_.data()); }

  void send_text(size_t i, std::string_view s) { send_frame(i, 0x1, s, true); }

  void send_frame(size_t i, int op, std::string_view payload, bool defer = true) {
    Conn& c = conns_[i];
    if (c.fd < 0) return;
    if (c.out_off > 0 && c.out_off == c.out.size()) {
      c.out.clear();
      c.out_off = 0;
    }
    unsigned char h[14];
    size_t hl = 0;
    h[hl++] = static_cast<unsigned char>(0x80 | op);
    size_t len = payload.size();
    if (len < 126) {
      h[hl++] = static_cast<unsigned char>(0x80 | len);
    } else if (len < 65536) {
      h[hl++] = 0x80 | 126;
      h[hl++] = static_cast<unsigned char>(len >> 8);
      h[hl++] = static_cast<unsigned char>(len);
    } else {
      h[hl++] = 0x80 | 127;
      for (int k = 7; k >= 0; --k)
        h[hl++] = static_cast<unsigned char>(static_cast<u64>(len) >> (8 * k));
    }
    u64 r = next_rand();
    unsigned char mask[4] = {static_cast<unsigned char>(r), static_cast<unsigned char>(r >> 8),
                             static_cast<unsigned char>(r >> 16),
                             static_cast<unsigned char>(r >> 24)};
    std::memcpy(h + hl, mask, 4);
    hl += 4;
    c.out.append(reinterpret_cast<char*>(h), hl);
    size_t base = c.out.size();
    c.out.append(payload);
    char* d = c.out.data() + base;
    for (size_t k = 0; k < len; ++k) d[k] = static_cast<char>(d[k] ^ mask[k & 3]);
    if (defer) {
      if (!c.dirty) {
        c.dirty = true;
        dirty_.push_back(static_cast<int>(i));
      }
    } else {
      flush(i);
    }
  }

  void flush_dirty() {
    for (int i : dirty_) {
      Conn& c = conns_[static_cast<size_t>(i)];
      c.dirty = false;
      if (c.fd >= 0 && !c.out_armed) flush(static_cast<size_t>(i));
    }
    dirty_.clear();
  }

  void flush(size_t i) {
    Conn& c = conns_[i];
    while (c.out_off < c.out.size()) {
      ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      fail(i, "write error");
      return;
    }
    bool want = c.out_off < c.out.size() || c.st == St::Connecting;
    if (want != c.out_armed) {
      epoll_event ev{};
      ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
      ev.data.u64 = i;
      epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
      c.out_armed = want;
    }
    if (!want) {
      c.out.clear();
      c.out_off = 0;
    }
  }

  const Options& o_;
  const std::vector<User>& users_;
  int ctl_fd_, res_fd_;
  int ep_ = -1;
  bool ctl_eof_ = false;
  u64 rng_;
  sockaddr_in sa_{};
  std::vector<Conn> conns_;
  std::vector<in_addr_t> srcs_;
  int inflight_ = 0;
  int debug_ = std::getenv("LOADGEN_DEBUG") ? std::atoi(std::getenv("LOADGEN_DEBUG")) : 0;
  std::vector<int> dirty_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> heap_;
  i64 start_ = 0, m0_ = INT64_MAX, m1_ = INT64_MAX, last_event_ = 0;
  i64 wall_start_ = 0;  // CLOCK_REALTIME at start_
  Counters c_;
  std::vector<u64> lat_, ack_lat_;
};

// ---------------------------------------------------------------- parent side

struct ReadyMsg {
  u64 ok = 0, failed = 0;
  char err[200] = {};
};

struct Child {
  pid_t pid = -1;
  int ctl = -1;  // parent writes
  int res = -1;  // parent reads
};

std::vector<pid_t> g_children;

void kill_children(int) {
  for (pid_t p : g_children)
    if (p > 0) kill(p, SIGKILL);
  _exit(130);
}

bool write_full(int fd, const void* p, size_t n) {
  const auto* b = static_cast<const char*>(p);
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    b += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Read exactly n bytes from fd, waiting at most until deadline.
bool read_until(int fd, void* p, size_t n, i64 deadline) {
  auto* b = static_cast<char*>(p);
  while (n) {
    i64 left = deadline - now_ns();
    if (left <= 0) return false;
    pollfd pf{fd, POLLIN, 0};
    int r = poll(&pf, 1, static_cast<int>(std::min<i64>(left / 1'000'000 + 1, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t k = read(fd, b, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    b += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

// Fork one worker; `setup` fills its Worker with connections; `body` runs after connect.
template <class Setup, class Body>
Child spawn(const Options& o, const std::vector<User>& users, Setup setup, Body body) {
  int ctl[2], res[2];
  if (pipe2(ctl, O_CLOEXEC) != 0 || pipe2(res, O_CLOEXEC) != 0)
    die("pipe: %s", std::strerror(errno));
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", std::strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    close(ctl[1]);
    close(res[0]);
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    {
      Worker w(o, users, ctl[0], res[1]);
      setup(w);
      w.connect_all();
      if (o.mode == "chat") w.absorb_backlog();
      ReadyMsg rm;
      rm.ok = w.counters().conns_ok;
      rm.failed = w.counters().conns_failed;
      std::memcpy(rm.err, w.counters().first_error, sizeof rm.err);
      write_full(res[1], &rm, sizeof rm);
      body(w, res[1]);
      w.close_all();
    }
    _exit(0);
  }
  close(ctl[0]);
  close(res[1]);
  g_children.push_back(pid);
  return Child{pid, ctl[1], res[0]};
}

std::vector<ReadyMsg> wait_ready(const Options& o, std::vector<Child>& kids) {
  std::vector<ReadyMsg> out(kids.size());
  i64 deadline = now_ns() + static_cast<i64>((o.connect_timeout + 30) * 1e9);
  for (size_t k = 0; k < kids.size(); ++k)
    if (!read_until(kids[k].res, &out[k], sizeof(ReadyMsg), deadline))
      die("worker %zu did not report ready", k);
  return out;
}

void reap(std::vector<Child>& kids) {
  for (auto& k : kids) {
    if (k.ctl >= 0) close(k.ctl);
    if (k.res >= 0) close(k.res);
    k.ctl = k.res = -1;
  }
  i64 deadline = now_ns() + 10'000'000'000;
  for (auto& k : kids) {
    while (true) {
      int st = 0;
      pid_t r = waitpid(k.pid, &st, WNOHANG);
      if (r == k.pid || r < 0) break;
      if (now_ns() > deadline) {
        kill(k.pid, SIGKILL);
        waitpid(k.pid, &st, 0);
        break;
      }
      usleep(10000);
    }
  }
  g_children.clear();
}

double pct(const std::vector<u64>& v, double q) {  // nearest rank, in ms
  if (v.empty()) return NAN;
  size_t idx = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  idx = idx == 0 ? 0 : idx - 1;
  if (idx >= v.size()) idx = v.size() - 1;
  return static_cast<double>(v[idx]) / 1e6;
}

std::string jnum(double x) {
  if (!std::isfinite(x)) return "null";
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", x);
  return b;
}

std::string jstr(const std::string& s) {
  std::string o = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      o += '\\', o += ch;
    else if (static_cast<unsigned char>(ch) < 0x20)
      o += ' ';
    else
      o += ch;
  }
  return o + "\"";
}

struct CpuReport {
  double window_s = 0, server_ms = 0, gen_ms = 0, other_ms = 0, steal_ms = 0, irq_ms = 0,
         capacity_ms = 0;
};
CpuReport cpu_report(const CpuSample& a, const CpuSample& b) {
  double tick_ms = 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  CpuReport r;
  r.window_s = static_cast<double>(b.t - a.t) / 1e9;
  r.server_ms = static_cast<double>(b.server - a.server) * tick_ms;
  r.gen_ms = static_cast<double>(b.gen - a.gen) * tick_ms;
  double busy = static_cast<double>(b.sys.busy - a.sys.busy) * tick_ms;
  r.steal_ms = static_cast<double>(b.sys.steal - a.sys.steal) * tick_ms;
  r.irq_ms = static_cast<double>(b.sys.irq - a.sys.irq) * tick_ms;
  r.other_ms = std::max(0.0, busy - r.server_ms - r.gen_ms - r.steal_ms);
  r.capacity_ms = static_cast<double>(b.sys.total - a.sys.total) * tick_ms;
  return r;
}

int run_chat(const Options& o) {
  int nusers = 2 * o.pairs;
  std::vector<User> users = ensure_users(o, nusers);
  std::vector<in_addr_t> src;
  for (auto& s : o.src) src.push_back(parse_loopback(s));
  std::vector<Child> kids;
  int procs = std::min(o.procs, o.pairs);
  for (int w = 0; w < procs; ++w) {
    kids.push_back(spawn(
        o, users,
        [&, w](Worker& wk) {
          for (int k = w; k < o.pairs; k += procs) {
            int a = static_cast<int>(wk.conns().size());
            wk.add_conn(2 * k, src[static_cast<size_t>(2 * k) % src.size()]);
            wk.add_conn(2 * k + 1, src[static_cast<size_t>(2 * k + 1) % src.size()]);
            wk.conns()[static_cast<size_t>(a)].peer = a + 1;
            wk.conns()[static_cast<size_t>(a) + 1].peer = a;
          }
        },
        [&](Worker& wk, int res) {
          wk.run_chat();
          Counters c = wk.counters();
          write_full(res, &c, sizeof c);
          for (auto* v : {&wk.lat(), &wk.ack_lat()}) {
            u64 n = v->size();
            write_full(res, &n, sizeof n);
            write_full(res, v->data(), n * sizeof(u64));
          }
        }));
  }
  auto ready = wait_ready(o, kids);
  u64 ok = 0, failed = 0;
  std::string err;
  for (auto& r : ready) {
    ok += r.ok;
    failed += r.failed;
    if (err.empty() && r.err[0]) err = r.err;
  }
  if (ok == 0) {
    reap(kids);
    die("no connection could be established: %s", err.c_str());
  }
  std::vector<pid_t> pids;
  for (auto& k : kids) pids.push_back(k.pid);
  i64 t0 = now_ns() + 200'000'000;
  for (auto& k : kids) write_full(k.ctl, &t0, sizeof t0);
  i64 m0 = t0 + static_cast<i64>(o.warmup * 1e9), m1 = m0 + static_cast<i64>(o.duration * 1e9);
  sleep_until(m0);
  CpuSample a = cpu_sample(o.server_pid, pids);
  sleep_until(m1);
  CpuSample b = cpu_sample(o.server_pid, pids);
  long rss = proc_rss_kb(o.server_pid);

  Counters tot;
  std::vector<u64> lat, ack_lat;
  i64 deadline = m1 + static_cast<i64>((o.drain + 30) * 1e9);
  for (auto& k : kids) {
    Counters c;
    if (!read_until(k.res, &c, sizeof c, deadline)) die("worker did not report results");
    for (auto* v : {&lat, &ack_lat}) {
      u64 n = 0;
      if (!read_until(k.res, &n, sizeof n, deadline)) die("worker did not report results");
      size_t base = v->size();
      v->resize(base + n);
      if (n && !read_until(k.res, v->data() + base, n * sizeof(u64), deadline))
        die("worker did not report results");
    }
    tot.conns_ok += c.conns_ok;
    tot.conns_failed += c.conns_failed;
    tot.disconnects += c.disconnects;
    tot.sent += c.sent;
    tot.sent_window += c.sent_window;
    tot.backlog_skipped += c.backlog_skipped;
    tot.acks_ok += c.acks_ok;
    tot.acks_err += c.acks_err;
    tot.recv += c.recv;
    tot.recv_window += c.recv_window;
    tot.recv_dup += c.recv_dup;
    tot.recv_gap += c.recv_gap;
    tot.receipts += c.receipts;
    tot.receipts_window += c.receipts_window;
    tot.msg_sent_events += c.msg_sent_events;
    tot.other_events += c.other_events;
    tot.pings += c.pings;
    tot.backlog += c.backlog;
    tot.stale += c.stale;
    if (err.empty() && c.first_error[0]) err = c.first_error;
  }
  reap(kids);
  std::sort(lat.begin(), lat.end());
  std::sort(ack_lat.begin(), ack_lat.end());
  CpuReport cr = cpu_report(a, b);
  double delivered_ps = static_cast<double>(tot.recv_window) / o.duration;
  u64 lost = tot.sent > tot.recv ? tot.sent - tot.recv : 0;
  u64 no_ack = tot.sent > tot.acks_ok + tot.acks_err ? tot.sent - tot.acks_ok - tot.acks_err : 0;
  u64 no_receipt = tot.sent > tot.receipts ? tot.sent - tot.receipts : 0;
  u64 errors = failed + tot.disconnects + tot.acks_err + tot.backlog_skipped + tot.recv_dup + lost +
               no_ack + no_receipt;
  double us_per_msg =
      tot.recv_window ? cr.server_ms * 1000.0 / static_cast<double>(tot.recv_window) : NAN;
  double gen_us_per_msg =
      tot.recv_window ? cr.gen_ms * 1000.0 / static_cast<double>(tot.recv_window) : NAN;

  std::string j =
      "{\"mode\":\"chat\",\"label\":" + jstr(o.label) + ",\"port\":" + std::to_string(o.port) +
      ",\"pairs\":" + std::to_string(o.pairs) + ",\"sockets\":" + std::to_string(ok) +
      ",\"procs\":" + std::to_string(procs) + ",\"offered_per_s\":" + jnum(o.rate) +
      ",\"sent_per_s\":" + jnum(static_cast<double>(tot.sent_window) / o.duration) +
      ",\"delivered_per_s\":" + jnum(delivered_ps) +
      ",\"receipts_per_s\":" + jnum(static_cast<double>(tot.receipts_window) / o.duration) +
      ",\"latency_ms\":{\"samples\":" + std::to_string(lat.size()) +
      ",\"p50\":" + jnum(pct(lat, 0.5)) + ",\"p90\":" + jnum(pct(lat, 0.9)) +
      ",\"p99\":" + jnum(pct(lat, 0.99)) + ",\"p999\":" + jnum(pct(lat, 0.999)) +
      ",\"max\":" + jnum(pct(lat, 1.0)) + "}" +
      ",\"ack_latency_ms\":{\"p50\":" + jnum(pct(ack_lat, 0.5)) +
      ",\"p99\":" + jnum(pct(ack_lat, 0.99)) + ",\"p999\":" + jnum(pct(ack_lat, 0.999)) + "}" +
      ",\"sent\":" + std::to_string(tot.sent) + ",\"received\":" + std::to_string(tot.recv) +
      ",\"acks_ok\":" + std::to_string(tot.acks_ok) +
      ",\"receipts\":" + std::to_string(tot.receipts) + ",\"errors\":" + std::to_string(errors) +
      ",\"error_detail\":{\"connect_failed\":" + std::to_string(failed) +
      ",\"disconnects\":" + std::to_string(tot.disconnects) +
      ",\"acks_refused\":" + std::to_string(tot.acks_err) +
      ",\"acks_missing\":" + std::to_string(no_ack) + ",\"not_received\":" + std::to_string(lost) +
      ",\"receipts_missing\":" + std::to_string(no_receipt) +
      ",\"duplicates\":" + std::to_string(tot.recv_dup) +
      ",\"out_of_order\":" + std::to_string(tot.recv_gap) +
      ",\"backlog_skipped\":" + std::to_string(tot.backlog_skipped) + ",\"first\":" + jstr(err) +
      "}" + ",\"earlier_runs\":{\"absorbed_before_start\":" + std::to_string(tot.backlog) +
      ",\"stale_during_run\":" + std::to_string(tot.stale) + "}" +
      ",\"cpu\":{\"window_s\":" + jnum(cr.window_s) + ",\"server_ms\":" + jnum(cr.server_ms) +
      ",\"server_us_per_msg\":" + jnum(us_per_msg) +
      ",\"server_cores\":" + jnum(cr.server_ms / 1000.0 / cr.window_s) +
      ",\"generator_ms\":" + jnum(cr.gen_ms) + ",\"generator_us_per_msg\":" + jnum(gen_us_per_msg) +
      ",\"other_ms\":" + jnum(cr.other_ms) +
      ",\"other_cores\":" + jnum(cr.other_ms / 1000.0 / cr.window_s) +
      ",\"steal_ms\":" + jnum(cr.steal_ms) + ",\"irq_softirq_ms\":" + jnum(cr.irq_ms) +
      ",\"machine_cores\":" + jnum(cr.capacity_ms / 1000.0 / cr.window_s) +
      "},\"server_rss_kb\":" + std::to_string(rss) + "}";
  if (o.json) {
    std::printf("%s\n", j.c_str());
  } else {
    std::printf(
        "chat %s: %d pairs, offered %.0f/s, sent %.0f/s, delivered %.0f/s, receipts %.0f/s\n"
        "  latency (scheduled send -> message-received) p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  "
        "max %.3f ms "
        "(%zu samples)\n"
        "  ack latency p50 %.3f ms  p99 %.3f ms; leftovers of earlier runs: %llu absorbed before "
        "the start, %llu during\n"
        "  errors %llu (connect %llu, disconnects %llu, refused %llu, no ack %llu, not received "
        "%llu, dup %llu, "
        "no receipt %llu)%s%s\n"
        "  cpu over %.2f s: server %.0f ms (%.2f cores, %.1f us/msg), generator %.0f ms (%.1f "
        "us/msg), other %.0f ms, "
        "steal %.0f ms; server RSS %ld kB\n",
        o.label.c_str(), o.pairs, o.rate, static_cast<double>(tot.sent_window) / o.duration,
        delivered_ps, static_cast<double>(tot.receipts_window) / o.duration, pct(lat, 0.5),
        pct(lat, 0.99), pct(lat, 0.999), pct(lat, 1.0), lat.size(), pct(ack_lat, 0.5),
        pct(ack_lat, 0.99), static_cast<unsigned long long>(tot.backlog),
        static_cast<unsigned long long>(tot.stale), static_cast<unsigned long long>(errors),
        static_cast<unsigned long long>(failed), static_cast<unsigned long long>(tot.disconnects),
        static_cast<unsigned long long>(tot.acks_err), static_cast<unsigned long long>(no_ack),
        static_cast<unsigned long long>(lost), static_cast<unsigned long long>(tot.recv_dup),
        static_cast<unsigned long long>(no_receipt), err.empty() ? "" : "; first: ", err.c_str(),
        cr.window_s, cr.server_ms, cr.server_ms / 1000.0 / cr.window_s, us_per_msg, cr.gen_ms,
        gen_us_per_msg, cr.other_ms, cr.steal_ms, rss);
  }
  return 0;
}

int run_idle(const Options& o) {
  if (o.server_pid <= 0) die("idle mode needs --server-pid (it measures the server's RSS)");
  int nusers = o.users > 0 ? std::min(o.users, o.conns) : std::min(o.conns, 1000);
  std::vector<User> users = ensure_users(o, nusers);
  std::vector<in_addr_t> src;
  for (auto& s : o.src) src.push_back(parse_loopback(s));
  usleep(static_cast<useconds_t>(o.settle * 1e6 / 2));
  long rss0 = proc_rss_kb(o.server_pid);
  CpuSample a = cpu_sample(o.server_pid, {});
  i64 t0 = now_ns();
  std::vector<Child> kids;
  int procs = std::min(o.procs, o.conns);
  for (int w = 0; w < procs; ++w) {
    kids.push_back(spawn(
        o, users,
        [&, w](Worker& wk) {
          for (int g = w; g < o.conns; g += procs)
            wk.add_conn(g % nusers, src[static_cast<size_t>(g) % src.size()]);
        },
        [&](Worker& wk, int res) {
          wk.run_idle();
          Counters c = wk.counters();
          write_full(res, &c, sizeof c);
        }));
  }
  auto ready = wait_ready(o, kids);
  i64 t1 = now_ns();
  std::vector<pid_t> pids;
  for (auto& k : kids) pids.push_back(k.pid);
  CpuSample b = cpu_sample(o.server_pid, {});
  u64 ok = 0, failed = 0;
  std::string err;
  for (auto& r : ready) {
    ok += r.ok;
    failed += r.failed;
    if (err.empty() && r.err[0]) err = r.err;
  }
  usleep(static_cast<useconds_t>(o.settle * 1e6));
  long rss1 = proc_rss_kb(o.server_pid);
  long gen_rss = 0;
  for (pid_t p : pids) gen_rss += std::max(0L, proc_rss_kb(p));
  if (o.hold > 0) usleep(static_cast<useconds_t>(o.hold * 1e6));
  long rss2 = proc_rss_kb(o.server_pid);
  // tell workers to close, collect their counters
  for (auto& k : kids) {
    close(k.ctl);
    k.ctl = -1;
  }
  u64 disconnects = 0;
  i64 deadline = now_ns() + 30'000'000'000;
  for (auto& k : kids) {
    Counters c;
    if (read_until(k.res, &c, sizeof c, deadline)) disconnects += c.disconnects;
  }
  reap(kids);
  CpuReport cr = cpu_report(a, b);
  double per_conn_kb = ok ? static_cast<double>(rss1 - rss0) / static_cast<double>(ok) : NAN;
  double connect_s = static_cast<double>(t1 - t0) / 1e9;
  std::string j =
      "{\"mode\":\"idle\",\"label\":" + jstr(o.label) + ",\"port\":" + std::to_string(o.port) +
      ",\"requested\":" + std::to_string(o.conns) + ",\"connected\":" + std::to_string(ok) +
      ",\"failed\":" + std::to_string(failed) + ",\"disconnects\":" + std::to_string(disconnects) +
      ",\"users\":" + std::to_string(nusers) + ",\"procs\":" + std::to_string(procs) +
      ",\"sources\":" + std::to_string(src.size()) + ",\"rss_before_kb\":" + std::to_string(rss0) +
      ",\"rss_after_kb\":" + std::to_string(rss1) + ",\"rss_end_kb\":" + std::to_string(rss2) +
      ",\"rss_per_conn_kb\":" + jnum(per_conn_kb) + ",\"connect_s\":" + jnum(connect_s) +
      ",\"connects_per_s\":" + jnum(static_cast<double>(ok) / connect_s) +
      ",\"server_cpu_us_per_connect\":" +
      jnum(ok ? cr.server_ms * 1000.0 / static_cast<double>(ok) : NAN) +
      ",\"generator_rss_kb\":" + std::to_string(gen_rss) + ",\"first_error\":" + jstr(err) + "}";
  if (o.json) {
    std::printf("%s\n", j.c_str());
  } else {
    std::printf(
        "idle %s: %llu/%d sockets connected (%llu failed, %llu dropped while idle) over %zu source "
        "addresses, %d users\n"
        "  server RSS %ld kB -> %ld kB (%.2f kB per socket; %ld kB at the end)\n"
        "  connect phase %.2f s (%.0f sockets/s, server %.0f us CPU per handshake)%s%s\n",
        o.label.c_str(), static_cast<unsigned long long>(ok), o.conns,
        static_cast<unsigned long long>(failed), static_cast<unsigned long long>(disconnects),
        src.size(), nusers, rss0, rss1, per_conn_kb, rss2, connect_s,
        static_cast<double>(ok) / connect_s,
        ok ? cr.server_ms * 1000.0 / static_cast<double>(ok) : NAN,
        err.empty() ? "" : "; first error: ", err.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, kill_children);
  signal(SIGTERM, kill_children);
  if (o.mode == "signup") {
    int n = o.users > 0 ? o.users : 2 * o.pairs;
    auto u = ensure_users(o, n);
    std::printf("%zu users ready%s%s\n", u.size(), o.cache.empty() ? "" : " in ", o.cache.c_str());
    return 0;
  }
  if (o.mode == "chat") return run_chat(o);
  if (o.mode == "idle") return run_idle(o);
  die("unknown mode %s (signup, chat, idle)", o.mode.c_str());
}
