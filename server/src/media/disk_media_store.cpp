#include "media/disk_media_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include "core/ids.hpp"

namespace samwaad::media {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error) {
  throw MediaStoreError("media store: " + what + " " + path.string() + ": " + std::strerror(error));
}

// Closes the descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  // Closes now, reporting the error close() can return (a late write error).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

void write_all(int fd, std::string_view content, const fs::path& path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Makes a rename in `dir` durable.
void sync_directory(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0) fail("cannot sync directory", dir, errno);
}

void make_directories(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) fail("cannot create directory", dir, error.value());
}

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(value));
  return text;
}

class DiskReader final : public MediaReader {
 public:
  DiskReader(int fd, uint64_t size, std::string etag, fs::path path)
      : fd_(fd), size_(size), etag_(std::move(etag)), path_(std::move(path)) {}

  uint64_t size() const override { return size_; }
  const std::string& etag() const override { return etag_; }

  std::string read(uint64_t offset, uint64_t length) override {
    if (offset >= size_) return {};
    length = std::min(length, size_ - offset);
    std::string bytes(length, '\0');
    std::size_t done = 0;
    while (done < length) {
      const ssize_t n =
          ::pread(fd_.get(), bytes.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot read", path_, errno);
      }
      if (n == 0) break;  // shorter than it was: objects are never rewritten in place
      done += static_cast<std::size_t>(n);
    }
    bytes.resize(done);
    return bytes;
  }

 private:
  Fd fd_;
  uint64_t size_;
  std::string etag_;
  fs::path path_;
};

void check_key(const std::string& key) {
  if (!is_valid_media_key(key)) throw std::invalid_argument("media store: invalid key");
}

}  // namespace

DiskMediaStore::DiskMediaStore(fs::path root) : root_(std::move(root)), tmp_(root_ / "tmp") {
  make_directories(tmp_);
  // Leftovers of writes a crash interrupted: never renamed, so never visible.
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(tmp_, error)) fs::remove(entry.path(), error);
}

fs::path DiskMediaStore::path_of(const std::string& key) const {
  check_key(key);
  return root_ / key.substr(0, 2) / key;
}

void DiskMediaStore::put(const std::string& key, std::string_view content) {
  const fs::path target = path_of(key);
  const fs::path temp = tmp_ / (random_hex(16) + ".part");
  try {
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) fail("cannot create", temp, errno);
    write_all(fd.get(), content, temp);
    if (::fsync(fd.get()) != 0) fail("cannot sync", temp, errno);
    if (fd.close() != 0) fail("cannot close", temp, errno);
    make_directories(target.parent_path());
    if (::rename(temp.c_str(), target.c_str()) != 0) fail("cannot rename into", target, errno);
    sync_directory(target.parent_path());
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
}

std::unique_ptr<MediaReader> DiskMediaStore::open(const std::string& key) {
  const fs::path path = path_of(key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return nullptr;
    fail("cannot open", path, errno);
  }
  Fd guard(fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail("cannot stat", path, errno);
  if (!S_ISREG(info.st_mode)) return nullptr;
  // Objects are written once under a fresh key, so size and modification
  // time identify the content (as nginx's ETags do).
  const uint64_t mtime_ns = static_cast<uint64_t>(info.st_mtim.tv_sec) * 1'000'000'000ULL +
                            static_cast<uint64_t>(info.st_mtim.tv_nsec);
  std::string etag = "\"" + hex(static_cast<uint64_t>(info.st_size)) + "-" + hex(mtime_ns) + "\"";
  return std::make_unique<DiskReader>(guard.release(), static_cast<uint64_t>(info.st_size),
                                      std::move(etag), path);
}

void DiskMediaStore::remove(const std::string& key) {
  const fs::path path = path_of(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    fail("cannot remove", path, errno);
  }
}

}  // namespace samwaad::media
