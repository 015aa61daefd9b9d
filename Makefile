# Two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
STORE   ?= $(or $(GAPDATA_STORE),data/gapdata.duckdb)
RAW     ?= ../shared/data
PORT    ?= 8501

.PHONY: run test install browser store lint bench clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded by Playwright).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install -y chromium' (browser tests will be skipped)"; fi; }

$(STORE): | $(STAMP)
	$(BIN)/python -m gapdata build --raw $(RAW) --store $(STORE)

store: $(STAMP)
	$(BIN)/python -m gapdata build --raw $(RAW) --store $(STORE)

run: $(STAMP) $(STORE)
	GAPDATA_STORE=$(STORE) $(BIN)/streamlit run dashboard.py --server.port $(PORT) --server.headless true

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data/gapdata.duckdb screenshots bench/out
