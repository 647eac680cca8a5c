// Where image files live: a flat namespace of immutable objects under keys the
// media service makes ("<public_id>.jpg", "<public_id>_thumb.jpg"). The disk
// store (MEDIA_URL=file://...) is the one built today; an S3-compatible store
// fits the same interface (put = PUT Object, open = HEAD + ranged GETs,
// remove = DELETE Object).
//
// Every call blocks on disk or network: worker threads only. Failures of the
// storage itself (disk full, permissions, unreachable bucket) throw
// MediaStoreError; a missing object is not an error (nullptr / no-op).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace samwaad::media {

struct MediaStoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One stored object, opened for reading: the size and entity tag are those
// of the bytes read() returns, even if the object is replaced meanwhile.
class MediaReader {
 public:
  virtual ~MediaReader() = default;
  virtual uint64_t size() const = 0;
  // Quoted, as in an HTTP ETag header; changes whenever the content does.
  virtual const std::string& etag() const = 0;
  // Up to `length` bytes from `offset` (fewer at the end). Throws MediaStoreError.
  virtual std::string read(uint64_t offset, uint64_t length) = 0;
};

class MediaStore {
 public:
  virtual ~MediaStore() = default;

  // Stores `content` under `key`, replacing any object there. Atomic: a
  // reader, and a restart after a crash, see the whole new object or none of
  // it, never part of it. Durable when it returns.
  virtual void put(const std::string& key, std::string_view content) = 0;
  // nullptr if there is no object under `key`.
  virtual std::unique_ptr<MediaReader> open(const std::string& key) = 0;
  // Removing a missing object is not an error.
  virtual void remove(const std::string& key) = 0;
};

// Keys are 1-128 characters of [a-z0-9_.-], not starting with '.': never a
// path, whatever a caller passes. Stores throw std::invalid_argument for others.
bool is_valid_media_key(std::string_view key);

// Opens the store a MEDIA_URL names: `file:///abs/dir` or `file://rel/dir`
// (created if missing). Throws std::invalid_argument for an unsupported URL,
// MediaStoreError if the directory cannot be used.
std::unique_ptr<MediaStore> open_media_store(const std::string& media_url);

}  // namespace samwaad::media
