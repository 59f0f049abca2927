# logview: `make run` builds and serves /var/log; `make test` runs every check.
ROOT ?= /var/log
BIND ?= 127.0.0.1:8765
# `make static`: the static x86_64 binary a release ships (musl; needs that Rust target).
TARGET ?= x86_64-unknown-linux-musl
# Cargo's build directory: CARGO_TARGET_DIR when set, as cargo itself does.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

.PHONY: run build test test-rust test-browser lint static bench fuzz mutants clean

run:
	cargo build --release
	@echo "Open http://$(BIND)/ in a browser (serving $(ROOT)); Ctrl-C stops."
	$(TARGET_DIR)/release/logview --bind $(BIND) $(ROOT)

build:
	cargo build --release

test: lint release-for-tests test-rust test-browser

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

test-rust:
	@[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || printf '%s\n' \
	  '==================================================================' \
	  'SKIPPING the nginx TLS proxy test: nginx not found (apt-get install nginx)' \
	  '==================================================================' >&2
	@[ -x /usr/sbin/rsyslogd ] || printf '%s\n' \
	  '==================================================================' \
	  'SKIPPING the rsyslog collection test: rsyslogd not found (apt-get install rsyslog)' \
	  '==================================================================' >&2
	LOGVIEW_DIST=$(abspath $(DIST)) cargo test

test-browser:
	cargo build
	LOGVIEW_BIN=$(abspath $(TARGET_DIR))/debug/logview bash tests/browser/run.sh

bench: static
	cargo bench --bench bench

static:
	@rustup target list --installed | grep -qx $(TARGET) || \
	  { echo "make static: the Rust target $(TARGET) is missing: rustup target add $(TARGET)" >&2; exit 1; }
	RUSTFLAGS='$(RELEASE_RUSTFLAGS)' cargo build --release --locked --target $(TARGET)
	@file $(TARGET_DIR)/$(TARGET)/release/logview
	@ls -l $(TARGET_DIR)/$(TARGET)/release/logview | awk '{print "static binary: " $$5 " bytes"}'

# Release archives: static musl binaries linked by rust-lld (.cargo/config.toml), no C cross
# toolchain. dist/logview-VERSION-TARGET.tar.gz (binary, man page made from its --help,
# README, systemd unit, nginx and rsyslog examples, licences and the linked crates' licences)
# and dist/SHA256SUMS. Reproducible: build paths are remapped (--remap-path-prefix), the
# archives get sorted entries, owner 0, fixed modes and the last commit's time
# (SOURCE_DATE_EPOCH), and gzip -n leaves out name and time.
RELEASE_TARGETS ?= x86_64-unknown-linux-musl aarch64-unknown-linux-musl
DIST ?= dist
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || stat -c %Y Cargo.toml)
RELEASE_RUSTFLAGS = --remap-path-prefix=$(CURDIR)=/logview \
  --remap-path-prefix=$(or $(CARGO_HOME),$(HOME)/.cargo)=/cargo
RELEASE_FILES = README.md docs/logview.service docs/nginx-logview.conf docs/nginx-hosts.conf docs/nginx-hosts.html \
  docs/rsyslog-collector.conf docs/rsyslog-forward.conf
LICENSES = LICENSE-MIT LICENSE-APACHE
# THIRD-PARTY-LICENSES ($(2)): each crate linked into target $(1)'s binary (cargo tree: normal
# edges, no proc macros) with its licence expression and the licence files it ships, read from
# the registry's sources that --locked just built. The same Cargo.lock gives the same file; a
# failing cargo tree fails the release (it is not piped, so its status counts).
CARGO_REGISTRY_SRC = $(or $(CARGO_HOME),$(HOME)/.cargo)/registry/src
define third_party
cargo tree --locked -e normal,no-proc-macro --target $(1) --prefix none -f '{p}|{l}' > $(2).crates; \
  sed 's/ (\*)$$//' $(2).crates | LC_ALL=C sort -u | while IFS='|' read -r pkg lic; do set -- $$pkg; \
  [ "$$1" = logview ] && continue; printf '==== %s %s: %s\n\n' "$$1" "$$2" "$$lic"; \
  src=$$(ls -d $(CARGO_REGISTRY_SRC)/*/"$$1-$${2#v}" 2>/dev/null | head -1); found=; \
  for f in "$$src"/LICEN[CS]E* "$$src"/COPYING* "$$src"/UNLICENSE* "$$src"/NOTICE*; do \
    [ -f "$$f" ] && { found=1; printf -- '---- %s\n' "$${f##*/}"; cat "$$f"; echo; }; done; \
  [ -n "$$found" ] || printf '(the crate ships no licence file: see its licence expression)\n\n'; \
  done > $(2); rm $(2).crates
endef
.PHONY: release man release-for-tests bench-musl
release:
	@for t in $(RELEASE_TARGETS); do rustup target list --installed | grep -qx $$t || \
	  { echo "make release: the Rust target $$t is missing: rustup target add $$t" >&2; exit 1; }; done
	for t in $(RELEASE_TARGETS); do \
	  RUSTFLAGS='$(RELEASE_RUSTFLAGS)' cargo build --release --locked --target $$t || exit 1; done
	rm -rf $(DIST) && mkdir -p $(DIST)
	set -e; for t in $(RELEASE_TARGETS); do \
	  name=logview-$(VERSION)-$$t; d=$(DIST)/$$name; mkdir $$d; \
	  cp $(TARGET_DIR)/$$t/release/logview $$d/ && chmod 755 $$d/logview; \
	  cp $(RELEASE_FILES) $(LICENSES) $$d/; \
	  $(call third_party,$$t,$$d/THIRD-PARTY-LICENSES); \
	  $(TARGET_DIR)/x86_64-unknown-linux-musl/release/logview --help | \
	    awk -v version=$(VERSION) -f docs/help2man.awk > $$d/logview.1; \
	  tar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \
	    --mode=u=rwX,go=rX --format=gnu -C $(DIST) -cf - $$name | gzip -9 -n > $$d.tar.gz; \
	  rm -r $$d; done
	cd $(DIST) && export LC_ALL=C && sha256sum *.tar.gz > SHA256SUMS && cat SHA256SUMS
	@ls -l $(foreach t,$(RELEASE_TARGETS),$(TARGET_DIR)/$(t)/release/logview) | awk '{print $$5 " bytes  " $$9}'

# docs/logview.1 from the help text (src/config.rs); tests/release.rs fails when it is stale.
man:
	cargo build
	$(TARGET_DIR)/debug/logview --help | awk -v version=$(VERSION) -f docs/help2man.awk > docs/logview.1

# `make test` checks the archives (tests/release.rs) when both musl targets are installed
# (.ci/run installs them); otherwise it says loudly that they are skipped.
release-for-tests:
	@if [ "$$(rustup target list --installed 2>/dev/null | grep -cx $(foreach t,$(RELEASE_TARGETS),-e $(t)))" = \
	    "$(words $(RELEASE_TARGETS))" ]; then $(MAKE) --no-print-directory release; else printf '%s\n' \
	  '==================================================================' \
	  'SKIPPING the release tests: rustup target add $(RELEASE_TARGETS)' \
	  '==================================================================' >&2; fi

# Scenarios A-F with the glibc build and then with the x86_64 musl release binary, one run.
bench-musl: release
	cargo build --release
	BENCH_ONLY=A,B,C,D,E,F LOGVIEW_BENCH_BIN=$(abspath $(TARGET_DIR))/release/logview cargo bench --bench bench
	BENCH_ONLY=A,B,C,D,E,F LOGVIEW_BENCH_BIN=$(abspath $(TARGET_DIR))/x86_64-unknown-linux-musl/release/logview \
	  cargo bench --bench bench

# Each fuzz target for FUZZ_SECS seconds (default 60), one after another; needs nightly.
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cd fuzz && for t in http_head sandbox_path render_html lines_split timestamps search_blocks classify gzip; do \
	  mkdir -p corpus/$$t && cargo +nightly fuzz run $$t corpus/$$t seeds/$$t -- -max_total_time=$${FUZZ_SECS:-60} -jobs=1 -workers=1 || exit 1; done

# Mutation testing (cargo-mutants) of the code that guards the promises, each part against the
# tests that cover it: NAME;FILES;FUNCTION REGEX (empty: every function);CARGO TEST ARGS.
# Mutants that cannot matter are excluded, with the reason, in .cargo/mutants.toml. Not part of
# `make test` or CI (about an hour on 2 cores); MUTANTS=sandbox,auth runs some parts, and
# MUTANTS_ARGS=--iterate re-tests only what an earlier run did not catch.
define MUTANT_SETS
sandbox;src/source/sandbox.rs;;--lib --test refusals --test sandbox_race --test backslash_names --test listing_race
auth;src/http/auth.rs;;--lib --test auth --test auth_load
router;src/router.rs;;--test refusals --test auth --test page --test flood --test history --test raw --test lines_api
positions;src/source/position.rs src/follow/follower.rs;Position|Fingerprint|Follower::resume|fingerprint_hash|fnv1a|check_rotation|Follower::restart|Follower::position;--lib --test resume --test follow --test follow_ends
render;src/render.rs;push_escaped|is_special|Renderer::html|Renderer::step|text|Renderer::line;--lib --test history --test hostile_render
session;src/stream/session.rs;send_on|read_client|ws_config|close_frame|follow|flush|Batch::check;--test hostile --test hostile_render --test follow_ends --test watch --test follow
index;src/index/lines.rs src/index/time.rs src/source/reader.rs;;--lib --test lines_jump --test lines_api
search;src/text/search.rs src/api/search.rs;;--lib --test search
timeline;src/index/timeline.rs src/api/timeline.rs;;--lib --test timeline
merge;src/stream/merge.rs;;--lib --test merge
classify;src/text/classify.rs;;--lib --test levels
endef
export MUTANT_SETS
mutants:
	command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
	@printf '%s\n' "$$MUTANT_SETS" | { fail=0; while IFS=';' read -r name file re tests; do \
	  case ",$${MUTANTS:-$$name}," in *",$$name,"*) ;; *) continue ;; esac; \
	  echo "== mutants: $$name ($$file $${re:+functions $$re})"; \
	  mkdir -p "mutants.out/$$name"; \
	  cargo mutants --profile mutants -j $${MUTANTS_JOBS:-1} $$(printf -- '--file %s ' $$file) $${re:+--re "$$re"} \
	    $${MUTANTS_ARGS} -o "mutants.out/$$name" -- $$tests </dev/null || fail=1; \
	done; exit $$fail; }

clean:
	cargo clean
