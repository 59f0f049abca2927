# logview: `make run` builds and serves /var/log; `make test` runs every check.
ROOT ?= /var/log
BIND ?= 127.0.0.1:8765
TARGET ?= x86_64-unknown-linux-gnu

.PHONY: run build test test-rust test-browser lint static bench fuzz clean

run:
	cargo build --release
	@echo "Open http://$(BIND)/ in a browser (serving $(ROOT)); Ctrl-C stops."
	./target/release/logview --bind $(BIND) $(ROOT)

build:
	cargo build --release

test: lint test-rust test-browser

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

test-rust:
	@[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || printf '%s\n' \
	  '==================================================================' \
	  'SKIPPING the nginx TLS proxy test: nginx not found (apt-get install nginx)' \
	  '==================================================================' >&2
	cargo test

test-browser:
	cargo build
	LOGVIEW_BIN=$(CURDIR)/target/debug/logview bash tests/browser/run.sh

bench: static
	cargo bench --bench bench

static:
	RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --target $(TARGET)
	@file target/$(TARGET)/release/logview
	@ls -l target/$(TARGET)/release/logview | awk '{print "static binary: " $$5 " bytes"}'

# Each fuzz target for FUZZ_SECS seconds (default 60), one after another; needs nightly.
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cd fuzz && for t in http_head sandbox_path render_html lines_split; do \
	  mkdir -p corpus/$$t && cargo +nightly fuzz run $$t corpus/$$t seeds/$$t -- -max_total_time=$${FUZZ_SECS:-60} -jobs=1 -workers=1 || exit 1; done

clean:
	cargo clean
