# logview: `make run` builds and serves /var/log; `make test` runs every check.
ROOT ?= /var/log
BIND ?= 127.0.0.1:8765
TARGET ?= x86_64-unknown-linux-gnu

.PHONY: run build test test-rust test-browser lint static bench clean

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

clean:
	cargo clean
