# nucseg — the two commands a user needs:
#   make run    install missing deps, build, run the main job on a synthetic 10X/40X plate
#   make test   install missing deps, build (release + ASan/UBSan), run every test
# and `make bench` for the speed comparisons against the Python peers, `make bundle` for a
# folder that runs nucseg on machines without its Debian libraries.

JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
BUILD     ?= build
ASAN      ?= build-asan
PORTABLE  ?= build-portable
BUNDLE    ?= nucseg-bundle
RESULTS   ?= results
NUCSEG     = $(BUILD)/nucseg

.PHONY: all deps build asan run test test-release test-asan bench bundle clean python install

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN)/CMakeCache.txt:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DNUCSEG_SANITIZE=ON

asan: deps $(ASAN)/CMakeCache.txt
	cmake --build $(ASAN) -j $(JOBS)

run: build
	$(NUCSEG) run -o $(RESULTS)

test-release: build
	@scripts/install-deps.sh --with-test
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	@scripts/install-deps.sh --with-test
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE slow

test: test-release test-asan

bench: build
	@scripts/install-deps.sh --with-peers
	bench/run_all.sh $(NUCSEG) $(RESULTS)/bench

# A folder to carry nucseg to machines without its Debian libraries (scripts/make-bundle.sh),
# from a build for any x86-64 CPU rather than this one's.
$(PORTABLE)/CMakeCache.txt:
	cmake -S . -B $(PORTABLE) -DCMAKE_BUILD_TYPE=Release -DNUCSEG_NATIVE=OFF

bundle: deps $(PORTABLE)/CMakeCache.txt
	cmake --build $(PORTABLE) -j $(JOBS) --target nucseg_cli bench_pool bench_segment bench_affine_fit
	scripts/make-bundle.sh $(PORTABLE) $(BUNDLE)

# The Python module alone: build/python/nucseg.*.so (PYTHONPATH=build/python).
python: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target nucseg_python

# Library (static and shared), headers, nucseg.pc, the CLI and the Python module under
# PREFIX (default /usr/local), staged under DESTDIR when given.
PREFIX    ?= /usr/local
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

clean:
	rm -rf $(BUILD) $(ASAN) $(PORTABLE)

# Only the file-to-file comparison (part of `make bench`): nucseg segment vs the Python peer.
.PHONY: bench-e2e
bench-e2e: build
	@scripts/install-deps.sh --with-peers
	bench/e2e.sh $(NUCSEG) $(RESULTS)/bench/e2e
