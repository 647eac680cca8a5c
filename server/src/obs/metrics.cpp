#include "obs/metrics.hpp"

#include <sstream>

namespace samwaad::obs {
namespace {

std::string escape_label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void Metrics::record_request(const std::string& method, const std::string& route, int status,
                             double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  auto& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::set_gauge(const std::string& name, const std::string& help, double value) {
  std::lock_guard lock(mutex_);
  gauges_[name] = {help, value};
}

void Metrics::add_counter(const std::string& name, const std::string& help, double delta) {
  std::lock_guard lock(mutex_);
  auto& entry = counters_[name];
  entry.first = help;
  entry.second += delta;
}

void Metrics::set_counter(const std::string& name, const std::string& help, double total) {
  std::lock_guard lock(mutex_);
  counters_[name] = {help, total};
}

std::string Metrics::render() const {
  std::ostringstream out;
  // The stream's default, 6 digits, would print a count of 1,234,567 as
  // 1.23457e+06; 15 keeps every count below 10^15 exact.
  out.precision(15);
  std::lock_guard lock(mutex_);
  out << "# HELP samwaad_http_requests_total HTTP requests by method, route and status.\n"
      << "# TYPE samwaad_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out << "samwaad_http_requests_total{method=\"" << escape_label(method) << "\",route=\""
        << escape_label(route) << "\",status=\"" << status << "\"} " << count << "\n";
  }
  out << "# HELP samwaad_http_request_duration_seconds HTTP request latency by route.\n"
      << "# TYPE samwaad_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    auto label = escape_label(route);
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out << "samwaad_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\""
          << kBuckets[i] << "\"} " << h.buckets[i] << "\n";
    }
    out << "samwaad_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} "
        << h.count << "\n";
    out << "samwaad_http_request_duration_seconds_sum{route=\"" << label << "\"} " << h.sum << "\n";
    out << "samwaad_http_request_duration_seconds_count{route=\"" << label << "\"} " << h.count
        << "\n";
  }
  out << "# HELP samwaad_http_open_connections Open HTTP connections.\n"
      << "# TYPE samwaad_http_open_connections gauge\n"
      << "samwaad_http_open_connections " << open_connections() << "\n";
  for (const auto& [name, entry] : gauges_) {
    out << "# HELP " << name << " " << entry.first << "\n# TYPE " << name << " gauge\n"
        << name << " " << entry.second << "\n";
  }
  for (const auto& [name, entry] : counters_) {
    out << "# HELP " << name << " " << entry.first << "\n# TYPE " << name << " counter\n"
        << name << " " << entry.second << "\n";
  }
  return out.str();
}

}  // namespace samwaad::obs
