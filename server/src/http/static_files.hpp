// Serves the built web client: hashed assets cached for a year, everything
// else revalidated, and index.html for the app's client-side routes.
#pragma once

#include <filesystem>

#include "http/message.hpp"

namespace samwaad::http {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);
  Response serve(const Request& request) const;

 private:
  Response file_response(const std::filesystem::path& file, bool immutable) const;
  std::filesystem::path root_;
};

// The Content-Security-Policy for the app's HTML.
extern const char* const kAppContentSecurityPolicy;
std::string content_type_for(const std::filesystem::path& file);

}  // namespace samwaad::http
