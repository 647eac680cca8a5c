#include "obs/metrics.hpp"

#include <gtest/gtest.h>

namespace samwaad::obs {

TEST(Metrics, RendersCountersAndHistogramBuckets) {
  Metrics m;
  m.record_request("GET", "/api/v1/users/:id", 200, 0.003);
  m.record_request("GET", "/api/v1/users/:id", 404, 0.2);
  m.connection_opened();
  auto text = m.render();
  EXPECT_NE(
      text.find(
          R"(samwaad_http_requests_total{method="GET",route="/api/v1/users/:id",status="200"} 1)"),
      std::string::npos);
  EXPECT_NE(
      text.find(
          R"(samwaad_http_request_duration_seconds_bucket{route="/api/v1/users/:id",le="0.005"} 1)"),
      std::string::npos);
  EXPECT_NE(
      text.find(
          R"(samwaad_http_request_duration_seconds_bucket{route="/api/v1/users/:id",le="+Inf"} 2)"),
      std::string::npos);
  EXPECT_NE(text.find("samwaad_http_open_connections 1"), std::string::npos);
}

TEST(Metrics, PublishesCountersKeptElsewhereAtTheirTotal) {
  Metrics m;
  m.set_counter("samwaad_things_total", "Things.", 3);
  m.set_counter("samwaad_things_total", "Things.", 5);
  m.set_counter("samwaad_many_total", "Many.", 12'345'678);
  const auto text = m.render();
  EXPECT_NE(text.find("# TYPE samwaad_things_total counter\nsamwaad_things_total 5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("samwaad_many_total 12345678\n"), std::string::npos) << text;
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.record_request("GET", "a\"b", 200, 0.1);
  EXPECT_NE(m.render().find(R"(route="a\"b")"), std::string::npos);
}

}  // namespace samwaad::obs
