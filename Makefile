# Ember: thin wrapper over CMake. `make run` and `make test` are the two
# commands a new machine needs; both install missing Debian packages first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all build asan test run deps deps-test clean fuzz

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DEMBER_SANITIZE=ON

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD)

asan: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD)

test: deps-test
	@$(MAKE) --no-print-directory build asan
	@tests/run.sh $(BUILD) $(ASAN_BUILD)

run: deps
	@$(MAKE) --no-print-directory build
	@scripts/run-demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
