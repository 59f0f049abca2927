# logview: `make run` builds and serves /var/log; `make test` runs every check.
ROOT ?= /var/log
BIND ?= 127.0.0.1:8765
TARGET ?= x86_64-unknown-linux-gnu

.PHONY: run build test test-rust test-browser lint static bench fuzz mutants clean

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
	cd fuzz && for t in http_head sandbox_path render_html lines_split timestamps search_blocks classify; do \
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
