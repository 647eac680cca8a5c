# Samwaad: `make run` builds and serves on :3000, `make test` runs every test.
# Both install what is missing first (Debian packages, npm packages, a newer
# Node when the system's is too old) and rebuild only what changed.

SHELL := /bin/bash
JOBS ?= 2
BUILD_TYPE ?= Release
RELEASE_DIR := build/release
TEST_DIR := build/test
NODE_ENV_SH := scripts/node-env.sh

.PHONY: run test setup server server-test web clean format tidy bench help

help:
	@echo "make run    - install what is missing, build, serve on http://localhost:$${PORT:-3000}"
	@echo "make test   - install what is missing, build, run every test"
	@echo "make format - clang-format the C++ sources; make tidy - clang-tidy them"

setup:
	@scripts/setup.sh

$(RELEASE_DIR)/CMakeCache.txt:
	cmake -S server -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSAMWAAD_TESTS=OFF

server: setup $(RELEASE_DIR)/CMakeCache.txt
	cmake --build $(RELEASE_DIR) --target samwaad -j$(JOBS)

$(TEST_DIR)/CMakeCache.txt:
	cmake -S server -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAMWAAD_SANITIZE=ON -DSAMWAAD_TESTS=ON

server-test: setup $(TEST_DIR)/CMakeCache.txt
	cmake --build $(TEST_DIR) -j$(JOBS)

web: setup
	@source $(NODE_ENV_SH) && scripts/build-web.sh

run: server web
	@mkdir -p "$${DATA_DIR:-./data}"
	WEB_DIR="$${WEB_DIR:-$(CURDIR)/web/dist}" exec $(RELEASE_DIR)/samwaad serve

test: server-test web
	@source $(NODE_ENV_SH) && SAMWAAD_BIN=$(CURDIR)/$(TEST_DIR)/samwaad TEST_BUILD_DIR=$(CURDIR)/$(TEST_DIR) scripts/run-tests.sh

format:
	find server -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

tidy: $(TEST_DIR)/CMakeCache.txt
	find server/src -name '*.cpp' ! -name '*_test.cpp' | xargs clang-tidy -p $(TEST_DIR) --quiet

clean:
	rm -rf build web/dist
