# Neural Lens — one command to run, one to test.  Everything installs into .venv/.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint install bench mutate clean-venv install-desktop

run: $(STAMP)            ## open the window
	$(PY) main.py

test: $(STAMP)           ## lint, then the whole test suite (what CI runs)
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: $(STAMP)           ## ruff (configured in pyproject.toml)
	$(PY) -m ruff check .

bench: $(STAMP)          ## benchmarks (not run by CI); prints ratio tables
	$(PY) tests/bench/run_all.py

# Mutation testing of the core modules (pyproject.toml [tool.mutmut]; results kept in mutants/, so a
# second run only tries what is new).  Long: not part of `make test`.  MUTATE_JOBS: parallel workers.
MUTATE_JOBS ?= 2
mutate: $(STAMP)         ## mutation testing (mutmut) of the core modules; prints the README's table
	nice $(PY) -m mutmut run --max-children $(MUTATE_JOBS)
	$(PY) tools/mutation_table.py

PEERS       := .venv-peers
PEERS_STAMP := $(PEERS)/.installed
.PHONY: bench-peers

bench-peers: $(PEERS_STAMP)  ## captum and Lucent next to ours on the same torch (.venv-peers); one table
	$(PEERS)/bin/python tests/bench/peers.py

# The peers' own venv reuses the main venv's torch through a .pth file (no second torch download);
# captum, torch-lucent and kornia come --no-deps (their pins would pull in another torch).
$(PEERS_STAMP): $(STAMP)
	test -x $(PEERS)/bin/python || $(PY) -m venv $(PEERS)
	$(PY) -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" > \
		"$$($(PEERS)/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/_neural_lens_main_venv.pth"
	$(PEERS)/bin/python -m pip install --no-deps captum==0.9.0 torch-lucent==0.1.8 kornia==0.4.1
	$(PEERS)/bin/python -m pip install tqdm matplotlib decorator ipython
	touch $(PEERS_STAMP)

install: $(STAMP)

# The launcher and the icon for this user (freedesktop: the app menu, "Open with" for images).
# The launcher starts this checkout's .venv/bin/neural-lens.  DATA_HOME=/elsewhere to install elsewhere.
DATA_HOME ?= $(if $(XDG_DATA_HOME),$(XDG_DATA_HOME),$(HOME)/.local/share)
install-desktop: $(STAMP)  ## add Neural Lens to the desktop's application menu (~/.local/share)
	install -d "$(DATA_HOME)/applications" "$(DATA_HOME)/icons/hicolor/scalable/apps"
	sed -e 's|^Exec=neural-lens|Exec="$(CURDIR)/$(VENV)/bin/neural-lens"|' \
	    -e 's|^TryExec=neural-lens|TryExec=$(CURDIR)/$(VENV)/bin/neural-lens|' \
	    resources/neural-lens.desktop > "$(DATA_HOME)/applications/neural-lens.desktop"
	install -m 644 resources/icon.svg "$(DATA_HOME)/icons/hicolor/scalable/apps/neural-lens.svg"
	for size in 16 24 32 48 64 128 256; do \
	    install -d "$(DATA_HOME)/icons/hicolor/$${size}x$${size}/apps" && \
	    install -m 644 resources/icons/neural-lens-$$size.png "$(DATA_HOME)/icons/hicolor/$${size}x$${size}/apps/neural-lens.png"; \
	done
	-update-desktop-database -q "$(DATA_HOME)/applications" 2>/dev/null
	-gtk-update-icon-cache -q -t "$(DATA_HOME)/icons/hicolor" 2>/dev/null
	@echo "Neural Lens is in the application menu (launcher: $(DATA_HOME)/applications/neural-lens.desktop)"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements-dev.txt
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	touch $(STAMP)

clean-venv:
	rm -rf $(VENV)
