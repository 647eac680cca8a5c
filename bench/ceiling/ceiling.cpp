// Ceiling: the cheapest server `loadgen chat` can run against, to measure what this
// machine can do at all -- a measuring instrument, not a product.
//
// It exists to answer "how many chat messages per second can the generator push
// through *any* server on this box, and at what CPU per message and latency?": the
// generator and the kernel's loopback TCP share the cores with the server, so a real
// server's figures are only meaningful next to this ceiling.
//
// Per message it does the least any real server must: read and unmask the frame, find
// the event, ack id and the fields (`to`, `text`, `clientId`) by scanning a flat JSON
// object, build the message object once, and write the frames the real server writes:
// the ack `{ok:true,message}` to the sender, `message-received` (with an ack id) to
// every socket of the recipient, and `message-delivered` to every socket of the sender
// once the recipient acks (once per acking socket: there is no per-message state).
// All frames due on a socket in one event-loop iteration go out in one send(). One
// thread, level-triggered epoll, one read() per readable event.
//
// Deliberately left out (each would cost a real server more, which is the point):
// storage and durability of any kind; authentication (the token *is* the user id:
// `signup`/`login` answer `{user:{id},token:id}` with an id derived from the email, so
// any cached user file from a ceiling stays valid across restarts); offline delivery,
// idempotency by clientId, read receipts, typing, presence, `message-sent` to the
// sender's other tabs; validation beyond "`to` is 24 hex digits and `text` is a
// string"; WebSocket fragmentation, compression, pong timeouts (pings are sent every
// 25 s but never checked); HTTP beyond the four requests below. Loopback only.
//
//   ceiling --port 3102    (binds 127.0.0.1)
//   POST /api/v1/auth/signup|login {email,...} -> {"user":{"id":ID},"token":ID}
//   GET  /socket.io/?EIO=4&transport=polling   -> an Engine.IO open packet (for run.sh)
//   GET  /socket.io/?EIO=4&transport=websocket -> 101, then Engine.IO / Socket.IO v5

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using u64 = std::uint64_t;
using sv = std::string_view;

struct Pending {  // a message-received awaiting the recipient's ack
  int from;       // sender's user index
  u64 mid;        // message sequence number
  bool done;
};

struct Conn {
  int fd = -1;
  bool ws = false, dirty = false, out_armed = false, close_after = false;
  int user = -1;
  std::string in, out;
  u64 next_ack = 1, pend_base = 1;
  std::deque<Pending> pend;
};

struct User {
  char id[25];
  std::vector<int> fds;
};

struct SvHash {
  using is_transparent = void;
  size_t operator()(sv s) const { return std::hash<sv>{}(s); }
};

int ep = -1;
std::vector<std::unique_ptr<Conn>> conns;  // by fd
std::vector<User> users;
std::unordered_map<std::string, int, SvHash, std::equal_to<>> user_by_id;
std::vector<int> dirty;
u64 next_mid = 0;
char id_prefix[9];  // message ids: 8 hex digits of the start time + 16 of a counter
char now_iso[32];   // createdAt / deliveredAt, refreshed once per loop iteration
volatile sig_atomic_t stop = 0;

void refresh_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  static time_t last = 0;
  static char head[24];
  if (ts.tv_sec != last) {
    last = ts.tv_sec;
    tm t{};
    gmtime_r(&last, &t);
    std::strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &t);
  }
  std::snprintf(now_iso, sizeof now_iso, "%s.%03dZ", head, static_cast<int>(ts.tv_nsec / 1000000));
}

bool is_hex24(sv s) {
  if (s.size() != 24) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

int user_of(sv id) {  // id: 24 hex digits
  auto it = user_by_id.find(id);
  if (it != user_by_id.end()) return it->second;
  users.emplace_back();
  std::memcpy(users.back().id, id.data(), 24);
  users.back().id[24] = 0;
  int u = static_cast<int>(users.size()) - 1;
  user_by_id.emplace(std::string(id), u);
  return u;
}

void conversation_id(const char* a, const char* b, char* out) {  // symmetric, 24 hex
  auto hv = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (int k = 0; k < 24; ++k) out[k] = "0123456789abcdef"[hv(a[k]) ^ hv(b[k])];
}

void mark_dirty(Conn& c) {
  if (!c.dirty) {
    c.dirty = true;
    dirty.push_back(c.fd);
  }
}

void frame(Conn& c, sv payload) {  // unmasked server text frame, queued
  char h[4];
  size_t hl = 0, n = payload.size();
  h[hl++] = static_cast<char>(0x81);
  if (n < 126) {
    h[hl++] = static_cast<char>(n);
  } else {  // every payload here is < 64 KiB (text is capped, see on_send_message)
    h[hl++] = 126;
    h[hl++] = static_cast<char>(n >> 8);
    h[hl++] = static_cast<char>(n);
  }
  c.out.append(h, hl);
  c.out.append(payload);
  mark_dirty(c);
}

void close_conn(int fd) {
  Conn* c = conns[static_cast<size_t>(fd)].get();
  if (!c) return;
  if (c->user >= 0) {
    auto& v = users[static_cast<size_t>(c->user)].fds;
    for (size_t k = 0; k < v.size(); ++k)
      if (v[k] == fd) {
        v[k] = v.back();
        v.pop_back();
        break;
      }
  }
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  conns[static_cast<size_t>(fd)].reset();  // a dirty-list entry for it is skipped
}

// Flat JSON object of string (or scalar) values: calls f(key, raw string contents).
template <class F>
bool scan_object(sv s, F f) {
  size_t i = 0, n = s.size();
  auto ws = [&] {
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  };
  auto str = [&](sv& out) {  // at '"'; leaves i after the closing quote
    size_t b = ++i;
    while (i < n && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
    if (i >= n) return false;
    out = s.substr(b, i++ - b);
    return true;
  };
  ws();
  if (i >= n || s[i++] != '{') return false;
  for (;;) {
    ws();
    if (i < n && s[i] == '}') return true;
    sv k, v;
    if (i >= n || s[i] != '"' || !str(k)) return false;
    ws();
    if (i >= n || s[i++] != ':') return false;
    ws();
    if (i < n && s[i] == '"') {
      if (!str(v)) return false;
      f(k, v);
    } else {
      while (i < n && s[i] != ',' && s[i] != '}') {
        if (s[i] == '{' || s[i] == '[') return false;
        ++i;
      }
    }
    ws();
    if (i < n && s[i] == ',')
      ++i;
    else if (i < n && s[i] == '}')
      return true;
    else
      return false;
  }
}

char tmp[1 << 17];  // one outgoing payload at a time

void on_send_message(Conn& c, u64 ack, bool has_ack, sv body) {
  sv to, text, cid;
  bool has_text = false, has_cid = false;
  bool ok = scan_object(body, [&](sv k, sv v) {
    if (k == "to")
      to = v;
    else if (k == "text")
      text = v, has_text = true;
    else if (k == "clientId")
      cid = v, has_cid = true;
  });
  int n;
  if (!ok || !is_hex24(to) || !has_text || text.empty() || text.size() > 8000 || cid.size() > 200) {
    if (!has_ack) return;
    n = std::snprintf(tmp, sizeof tmp,
                      "43%llu[{\"ok\":false,\"error\":{\"code\":\"validation\",\"message\":"
                      "\"invalid input\"}}]",
                      static_cast<unsigned long long>(ack));
    frame(c, sv(tmp, static_cast<size_t>(n)));
    return;
  }
  int rcpt = user_of(to);  // first: it may grow `users`
  const User& me = users[static_cast<size_t>(c.user)];
  u64 mid = next_mid++;
  char conv[25] = {};
  conversation_id(me.id, to.data(), conv);
  // The message object, written once at a fixed offset; frames are built around it.
  const size_t mo = 64;
  int mlen = std::snprintf(
      tmp + mo, sizeof tmp - mo - 64,
      "{\"id\":\"%s%016llx\",\"conversationId\":\"%s\",\"from\":\"%s\",\"to\":\"%.24s\","
      "\"text\":\"%.*s\",\"image\":null,\"call\":null,\"clientId\":%s%.*s%s,\"delivered\":false,"
      "\"deliveredAt\":null,\"read\":false,\"readAt\":null,\"createdAt\":\"%s\"}",
      id_prefix, static_cast<unsigned long long>(mid), conv, me.id, to.data(),
      static_cast<int>(text.size()), text.data(), has_cid ? "\"" : "", static_cast<int>(cid.size()),
      has_cid ? cid.data() : "null", has_cid ? "\"" : "", now_iso);
  sv msg(tmp + mo, static_cast<size_t>(mlen));
  // Each frame is [prefix][message]}], the prefix written just before the message.
  auto emit = [&](Conn& to_conn, const char* fmt, u64 id) {
    char pre[64];
    int pl = std::snprintf(pre, sizeof pre, fmt, static_cast<unsigned long long>(id));
    std::memcpy(tmp + mo - pl, pre, static_cast<size_t>(pl));
    std::memcpy(tmp + mo + mlen, "}]", 2);
    frame(to_conn, sv(tmp + mo - pl, static_cast<size_t>(pl + mlen + 2)));
  };
  if (has_ack) emit(c, "43%llu[{\"ok\":true,\"message\":", ack);
  for (int rfd : users[static_cast<size_t>(rcpt)].fds) {
    Conn& r = *conns[static_cast<size_t>(rfd)];
    r.pend.push_back({c.user, mid, false});
    emit(r, "42%llu[\"message-received\",{\"message\":", r.next_ack++);
  }
}

void on_ack(Conn& c, u64 id) {  // the recipient acked message-received #id
  if (id < c.pend_base || id - c.pend_base >= c.pend.size()) return;
  Pending& p = c.pend[id - c.pend_base];
  if (!p.done) {
    p.done = true;
    const User& from = users[static_cast<size_t>(p.from)];
    char conv[25] = {};
    conversation_id(from.id, users[static_cast<size_t>(c.user)].id, conv);
    int n =
        std::snprintf(tmp, sizeof tmp,
                      "42[\"message-delivered\",{\"messageId\":\"%s%016llx\",\"conversationId\":"
                      "\"%s\",\"deliveredAt\":\"%s\"}]",
                      id_prefix, static_cast<unsigned long long>(p.mid), conv, now_iso);
    for (int sfd : from.fds)
      frame(*conns[static_cast<size_t>(sfd)], sv(tmp, static_cast<size_t>(n)));
  }
  while (!c.pend.empty() && c.pend.front().done) {
    c.pend.pop_front();
    c.pend_base++;
  }
}

bool parse_u64(sv& s, u64& v) {
  size_t k = 0;
  v = 0;
  while (k < s.size() && s[k] >= '0' && s[k] <= '9') v = v * 10 + static_cast<u64>(s[k++] - '0');
  s.remove_prefix(k);
  return k > 0;
}

void on_text(Conn& c, sv m) {  // one Engine.IO packet
  if (m.size() < 2 || m[0] != '4') {
    if (m == "1") c.close_after = true;
    return;  // "3" pong and anything else
  }
  char t = m[1];
  sv rest = m.substr(2);
  if (t == '0') {  // Socket.IO connect {"token":...}
    sv tok;
    if (c.user < 0 &&
        scan_object(rest,
                    [&](sv k, sv v) {
                      if (k == "token") tok = v;
                    }) &&
        is_hex24(tok)) {
      c.user = user_of(tok);
      users[static_cast<size_t>(c.user)].fds.push_back(c.fd);
      int n = std::snprintf(tmp, sizeof tmp, "40{\"sid\":\"c%d\"}", c.fd);
      frame(c, sv(tmp, static_cast<size_t>(n)));
    } else if (c.user < 0) {
      frame(c, "44{\"message\":\"unauthorized\"}");
    }
    return;
  }
  if (t == '1') {
    c.close_after = true;
    return;
  }
  if (c.user < 0) return;
  u64 id = 0;
  bool has_id = parse_u64(rest, id);
  if (t == '3') {
    on_ack(c, id);
  } else if (t == '2' && rest.size() > 2 && rest[0] == '[' && rest[1] == '"') {
    size_t q = rest.find('"', 2);
    if (q == sv::npos) return;
    sv ev = rest.substr(2, q - 2);
    size_t b = rest.find_first_not_of(" ,", q + 1);
    if (b == sv::npos) return;
    sv body = rest.substr(b, rest.size() - b - 1);  // drop the closing ']'
    if (ev == "send-message")
      on_send_message(c, id, has_id, body);
    else if (has_id) {
      int n = std::snprintf(tmp, sizeof tmp, "43%llu[{\"ok\":true}]",
                            static_cast<unsigned long long>(id));
      frame(c, sv(tmp, static_cast<size_t>(n)));
    }
  }
}

void reply_http(Conn& c, const char* status, sv body) {
  char h[256];
  int n = std::snprintf(h, sizeof h,
                        "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: "
                        "%zu\r\nConnection: close\r\n\r\n",
                        status, body.size());
  c.out.append(h, static_cast<size_t>(n));
  c.out.append(body);
  c.close_after = true;
  mark_dirty(c);
}

sv header(sv head, sv name) {  // value of a header, name lower-case
  for (size_t p = head.find("\r\n"); p != sv::npos && p + 2 < head.size();
       p = head.find("\r\n", p + 2)) {
    sv line = head.substr(p + 2, head.find("\r\n", p + 2) - p - 2);
    if (line.size() <= name.size() || line[name.size()] != ':') continue;
    bool eq = true;
    for (size_t k = 0; k < name.size() && eq; ++k) eq = (line[k] | 0x20) == name[k];
    if (!eq) continue;
    sv v = line.substr(name.size() + 1);
    while (!v.empty() && v[0] == ' ') v.remove_prefix(1);
    return v;
  }
  return {};
}

constexpr sv kOpen =
    "0{\"sid\":\"ceiling\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
    "\"maxPayload\":1000000}";

// HTTP request in c.in; returns false while incomplete.
bool on_http(Conn& c) {
  size_t he = c.in.find("\r\n\r\n");
  if (he == std::string::npos) {
    if (c.in.size() > 16384) reply_http(c, "431 Too Large", "{}");
    return false;
  }
  sv head(c.in.data(), he + 2);
  size_t clen = std::strtoull(std::string(header(head, "content-length")).c_str(), nullptr, 10);
  if (clen > 65536 || c.in.size() < he + 4 + clen) return false;
  sv body(c.in.data() + he + 4, clen);
  if (head.starts_with("POST /api/v1/auth/signup ") ||
      head.starts_with("POST /api/v1/auth/login ")) {
    sv email;
    scan_object(body, [&](sv k, sv v) {
      if (k == "email") email = v;
    });
    u64 h = 1469598103934665603ull;  // FNV-1a of the email: the same email, the same id
    for (char ch : email) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
    char b[128];
    int n = std::snprintf(b, sizeof b,
                          "{\"user\":{\"id\":\"ce11e000%016llx\"},\"token\":\"ce11e000%016llx\"}",
                          static_cast<unsigned long long>(h), static_cast<unsigned long long>(h));
    reply_http(c, head.starts_with("POST /api/v1/auth/signup") ? "201 Created" : "200 OK",
               sv(b, static_cast<size_t>(n)));
  } else if (head.starts_with("GET /socket.io/") && header(head, "upgrade").size() == 9) {
    sv key = header(head, "sec-websocket-key");
    std::string k(key);
    k += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char dig[20], acc[32];
    SHA1(reinterpret_cast<const unsigned char*>(k.data()), k.size(), dig);
    EVP_EncodeBlock(acc, dig, 20);
    char h[256];
    int n = std::snprintf(h, sizeof h,
                          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                          "Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                          acc);
    c.out.append(h, static_cast<size_t>(n));
    c.ws = true;
    frame(c, kOpen);
  } else if (head.starts_with("GET /socket.io/")) {
    reply_http(c, "200 OK", kOpen);
  } else {
    reply_http(c, "404 Not Found", "{\"error\":{\"code\":\"not_found\"}}");
  }
  c.in.erase(0, he + 4 + clen);
  return true;
}

// Complete frames in [p, p+n): handled; returns bytes consumed.
size_t on_frames(Conn& c, char* p, size_t n) {
  size_t off = 0;
  while (n - off >= 2 && !c.close_after) {
    auto* h = reinterpret_cast<unsigned char*>(p + off);
    size_t avail = n - off, hl = 2;
    u64 len = h[1] & 0x7f;
    if (len == 126) {
      if (avail < 4) break;
      len = (u64{h[2]} << 8) | h[3], hl = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int k = 0; k < 8; ++k) len = (len << 8) | h[2 + k];
      hl = 10;
    }
    if (!(h[1] & 0x80) || !(h[0] & 0x80) || len > (1u << 20)) {  // unmasked, fragmented, huge
      c.close_after = true;
      break;
    }
    if (avail < hl + 4 + len) break;
    unsigned char* mk = h + hl;
    char* d = p + off + hl + 4;
    for (size_t k = 0; k < len; ++k) d[k] ^= static_cast<char>(mk[k & 3]);
    off += hl + 4 + len;
    int op = h[0] & 0x0f;
    if (op == 0x1) {
      on_text(c, sv(d, len));
    } else if (op == 0x8) {  // (WebSocket pings from clients are not answered: none come)
      c.close_after = true;
    }
  }
  return off;
}

char rbuf[1 << 16];

void on_readable(Conn& c) {
  ssize_t r = read(c.fd, rbuf, sizeof rbuf);
  if (r <= 0) {
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    close_conn(c.fd);
    return;
  }
  size_t n = static_cast<size_t>(r);
  if (!c.ws) {
    c.in.append(rbuf, n);
    if (!on_http(c) || !c.ws || c.in.empty()) return;
    n = 0;  // frames after the upgrade request: process from c.in below
  }
  if (c.in.empty() && n) {  // the common case: frames straight from the read buffer
    size_t used = on_frames(c, rbuf, n);
    if (used < n) c.in.assign(rbuf + used, n - used);
  } else {
    c.in.append(rbuf, n);
    size_t used = on_frames(c, c.in.data(), c.in.size());
    c.in.erase(0, used);
  }
  if (c.in.size() > (2u << 20)) c.close_after = true;
  if (c.close_after) mark_dirty(c);
}

void flush(Conn& c) {
  size_t off = 0;
  while (off < c.out.size()) {
    ssize_t w = send(c.fd, c.out.data() + off, c.out.size() - off, MSG_NOSIGNAL);
    if (w > 0) {
      off += static_cast<size_t>(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && errno == EAGAIN) {
      break;
    } else {
      close_conn(c.fd);
      return;
    }
  }
  c.out.erase(0, off);
  if (c.out.empty() && c.close_after) {
    close_conn(c.fd);
    return;
  }
  bool want = !c.out.empty();
  if (want != c.out_armed) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.fd = c.fd;
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    c.out_armed = want;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 3102;
  for (int i = 1; i + 1 < argc; i += 2)
    if (sv(argv[i]) == "--port") port = std::atoi(argv[i + 1]);
  if (port <= 0 || port > 65535) return std::fprintf(stderr, "ceiling: bad --port\n"), 2;
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = [](int) { stop = 1; };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) rl.rlim_cur = rl.rlim_max, setrlimit(RLIMIT_NOFILE, &rl);
  std::snprintf(id_prefix, sizeof id_prefix, "%08llx",
                static_cast<unsigned long long>(time(nullptr)));
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(lfd, 4096) != 0)
    return std::fprintf(stderr, "ceiling: cannot listen on 127.0.0.1:%d: %s\n", port,
                        std::strerror(errno)),
           1;
  ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  std::fprintf(stderr, "ceiling on http://127.0.0.1:%d (pid %d)\n", port, getpid());
  epoll_event evs[512];
  time_t next_ping = time(nullptr) + 25;
  while (!stop) {
    int n = epoll_wait(ep, evs, 512, 1000);
    if (n < 0 && errno != EINTR) return std::perror("epoll_wait"), 1;
    refresh_now();
    for (int k = 0; k < n; ++k) {
      int fd = evs[k].data.fd;
      if (fd == lfd) {
        for (int a = 0; a < 256; ++a) {  // bounded per wake-up
          int cfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          if (conns.size() <= static_cast<size_t>(cfd))
            conns.resize(static_cast<size_t>(cfd) + 1024);
          conns[static_cast<size_t>(cfd)] = std::make_unique<Conn>();
          conns[static_cast<size_t>(cfd)]->fd = cfd;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = cfd;
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
        }
        continue;
      }
      Conn* c = conns[static_cast<size_t>(fd)].get();
      if (!c) continue;
      if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(*c);
      c = conns[static_cast<size_t>(fd)].get();
      if (c && (evs[k].events & EPOLLOUT)) mark_dirty(*c);
    }
    if (time(nullptr) >= next_ping) {  // Engine.IO heartbeat; pongs are not checked
      next_ping = time(nullptr) + 25;
      for (auto& c : conns)
        if (c && c->ws && c->user >= 0) frame(*c, "2");
    }
    for (size_t k = 0; k < dirty.size(); ++k) {  // one send per socket per iteration
      Conn* c = conns[static_cast<size_t>(dirty[k])].get();
      if (!c || !c->dirty) continue;
      c->dirty = false;
      flush(*c);
    }
    dirty.clear();
  }
  std::fprintf(stderr, "ceiling: %llu messages\n", static_cast<unsigned long long>(next_mid));
  return 0;
}
