#include "media/multipart.hpp"

#include <algorithm>
#include <functional>
#include <vector>

namespace samwaad::media {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// Transport padding allowed after a boundary, before its line break (RFC 2046).
constexpr std::size_t kMaxBoundaryPadding = 64;
constexpr std::size_t kMaxBoundaryLength = 70;

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 2045 token characters: printable ASCII except specials and space.
bool is_token_char(char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// RFC 2046 `bchars`.
bool is_boundary_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

std::vector<std::string_view> split_lines(std::string_view block) {
  std::vector<std::string_view> lines;
  while (!block.empty()) {
    const auto end = block.find(kCrlf);
    lines.push_back(block.substr(0, end));
    if (end == std::string_view::npos) break;
    block.remove_prefix(end + kCrlf.size());
  }
  return lines;
}

PartHeaders parse_part_headers(std::string_view block) {
  PartHeaders headers;
  bool has_disposition = false;
  for (std::string_view line : split_lines(block)) {
    if (line.empty() || is_space(line.front())) {
      // Folded (multi-line) headers are obsolete, and no form encoder makes them.
      throw MultipartError("malformed part header");
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      throw MultipartError("malformed part header");
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (has_disposition) throw MultipartError("a part has two Content-Disposition headers");
      has_disposition = true;
      auto parsed = parse_header_value(value);
      if (!parsed || parsed->value != "form-data" || !parsed->params.count("name")) {
        throw MultipartError("a part's Content-Disposition must be form-data with a name");
      }
      headers.name = parsed->params.at("name");
      if (auto it = parsed->params.find("filename"); it != parsed->params.end()) {
        headers.filename = it->second;
      }
    } else if (name == "content-type") {
      headers.content_type = std::string(value);
    }
  }
  if (!has_disposition) throw MultipartError("a part has no Content-Disposition header");
  return headers;
}

}  // namespace

MultipartParser::MultipartParser(const std::string& boundary, MultipartHandler& handler,
                                 MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), handler_(handler), limits_(limits), pending_(kCrlf) {}

std::size_t MultipartParser::find_delimiter() const {
  // Boyer-Moore-Horspool: linear on the adversarial inputs (runs of "\r\n--")
  // where a naive search would compare the whole delimiter at every byte.
  const std::boyer_moore_horspool_searcher searcher(delimiter_.begin(), delimiter_.end());
  const auto it = std::search(pending_.begin(), pending_.end(), searcher);
  return it == pending_.end() ? std::string::npos : static_cast<std::size_t>(it - pending_.begin());
}

void MultipartParser::feed(std::string_view bytes) {
  if (state_ == State::epilogue) return;
  pending_.append(bytes);
  bool progress = true;
  while (progress) {
    switch (state_) {
      case State::preamble: progress = skip_preamble(); break;
      case State::boundary_line: progress = read_boundary_line(); break;
      case State::headers: progress = read_headers(); break;
      case State::content: progress = read_content(); break;
      case State::epilogue:
        pending_.clear();
        progress = false;
        break;
    }
  }
}

void MultipartParser::finish() {
  switch (state_) {
    case State::epilogue: return;
    case State::preamble: throw MultipartError("no multipart boundary found in the body");
    case State::content: throw MultipartError("the body ended inside a part");
    case State::boundary_line:
    case State::headers: throw MultipartError("the body ended without its closing boundary");
  }
}

bool MultipartParser::skip_preamble() {
  const std::size_t at = find_delimiter();
  if (at == std::string::npos) {
    // Keep what could be the start of a delimiter split across pieces.
    const std::size_t keep = delimiter_.size() - 1;
    if (pending_.size() > keep) pending_.erase(0, pending_.size() - keep);
    return false;
  }
  pending_.erase(0, at + delimiter_.size());
  state_ = State::boundary_line;
  return true;
}

bool MultipartParser::read_boundary_line() {
  if (pending_.size() < 2) return false;
  if (pending_.compare(0, 2, "--") == 0) {
    state_ = State::epilogue;
    pending_.clear();
    return false;
  }
  const std::size_t crlf = pending_.find(kCrlf);
  const std::size_t padding = std::min(crlf, pending_.size());
  for (std::size_t i = 0; i < padding; ++i) {
    const bool pending_cr =
        crlf == std::string::npos && i + 1 == pending_.size() && pending_[i] == '\r';
    if (!is_space(pending_[i]) && !pending_cr) throw MultipartError("malformed boundary line");
  }
  if (padding > kMaxBoundaryPadding) throw MultipartError("malformed boundary line");
  if (crlf == std::string::npos) return false;
  if (parts_ == limits_.max_parts) throw MultipartError("too many parts");
  ++parts_;
  pending_.erase(0, crlf + kCrlf.size());
  state_ = State::headers;
  return true;
}

bool MultipartParser::read_headers() {
  std::size_t end = 0;
  std::size_t separator = 0;
  if (pending_.compare(0, kCrlf.size(), kCrlf) == 0) {
    separator = kCrlf.size();  // a part without any header line
  } else {
    end = pending_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (pending_.size() > limits_.max_header_bytes)
        throw MultipartError("part headers too large");
      return false;
    }
    separator = 4;
  }
  if (end > limits_.max_header_bytes) throw MultipartError("part headers too large");
  const PartHeaders headers = parse_part_headers(std::string_view(pending_).substr(0, end));
  pending_.erase(0, end + separator);
  state_ = State::content;
  handler_.on_part_begin(headers);
  return true;
}

bool MultipartParser::read_content() {
  const std::size_t at = find_delimiter();
  if (at != std::string::npos) {
    if (at > 0) handler_.on_part_data(std::string_view(pending_).substr(0, at));
    pending_.erase(0, at + delimiter_.size());
    state_ = State::boundary_line;
    handler_.on_part_end();
    return true;
  }
  // All but what could be the start of a delimiter split across pieces.
  const std::size_t keep = delimiter_.size() - 1;
  if (pending_.size() > keep) {
    const std::size_t ready = pending_.size() - keep;
    handler_.on_part_data(std::string_view(pending_).substr(0, ready));
    pending_.erase(0, ready);
  }
  return false;
}

std::optional<HeaderValue> parse_header_value(std::string_view text) {
  HeaderValue result;
  const auto semicolon = text.find(';');
  result.value = lower(trim(text.substr(0, semicolon)));
  if (result.value.empty()) return std::nullopt;
  std::string_view rest =
      semicolon == std::string_view::npos ? std::string_view{} : text.substr(semicolon + 1);
  while (true) {
    rest = trim(rest);
    while (!rest.empty() && rest.front() == ';') rest = trim(rest.substr(1));
    if (rest.empty()) break;
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view raw_name = trim(rest.substr(0, eq));
    if (raw_name.empty() || !std::all_of(raw_name.begin(), raw_name.end(), is_token_char)) {
      return std::nullopt;
    }
    rest = trim(rest.substr(eq + 1));
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) {
          value.push_back(rest[++i]);
        } else if (rest[i] == '"') {
          closed = true;
          break;
        } else {
          value.push_back(rest[i]);
        }
      }
      if (!closed) return std::nullopt;
      rest = rest.substr(i + 1);
      rest = trim(rest);
      if (!rest.empty() && rest.front() != ';') return std::nullopt;
    } else {
      const auto end = rest.find(';');
      value = std::string(trim(rest.substr(0, end)));
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    }
    // The first of a repeated parameter counts.
    result.params.emplace(lower(raw_name), std::move(value));
  }
  return result;
}

bool is_form_data(std::string_view content_type) {
  auto parsed = parse_header_value(content_type);
  return parsed && parsed->value == "multipart/form-data";
}

std::optional<std::string> form_data_boundary(std::string_view content_type) {
  auto parsed = parse_header_value(content_type);
  if (!parsed || parsed->value != "multipart/form-data") return std::nullopt;
  auto it = parsed->params.find("boundary");
  if (it == parsed->params.end()) return std::nullopt;
  const std::string& boundary = it->second;
  if (boundary.empty() || boundary.size() > kMaxBoundaryLength || boundary.back() == ' ' ||
      !std::all_of(boundary.begin(), boundary.end(), is_boundary_char)) {
    return std::nullopt;
  }
  return boundary;
}

}  // namespace samwaad::media
