# Talking Portrait Studio. `make demo`, `make test`, `make studio` set up .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test studio bench lint clean venv package package-test x11-test-deps

venv: $(STAMP)

# torch first, from the local CPU build: any other torch spec pulls GBs of CUDA packages.
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/studio render resources/samples/portrait.jpg resources/samples/speech.wav -o out/demo.mp4

test: $(STAMP)
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 tests

# A real X server for the first-hour scenario (tests/test_gui_scenarios.py); without it that
# scenario runs offscreen. Debian packages: Xvfb and the xcb libraries Qt's X11 platform loads.
x11-test-deps:
	apt-get update -qq && apt-get install -y -qq xvfb xauth libxcb-cursor0 libxcb-icccm4 \
		libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxkbcommon-x11-0 libxcb-xinerama0 \
		libxcb-randr0 libxcb-shape0 libxcb-xkb1 > /dev/null

studio: $(STAMP)
	$(VENV)/bin/studio gui

# Every bench, then the diffusion caches at SD1.5 size (random weights) on the CPU: 8 frames at
# 128x128, failing below 2.5x or 35 dB against the plain pipeline (3.4x to 4.0x measured; the
# 3x target is for 32 frames, over which the once-per-shot reference pass is shared).
bench: $(STAMP)
	for b in bench/bench_*.py; do QT_QPA_PLATFORM=offscreen $(PY) $$b || exit 1; done
	$(PY) bench/bench_diffusion.py --sd15 --device cpu --size 128 --frames 8 --repeats 1 --require --min-speedup 2.5

# The standalone bundle (packaging/README.md): dist/TalkingPortraitStudio/. DIFFUSION=1 includes
# torch, diffusers and transformers for the diffusion renderer.
PACKAGING := $(VENV)/.packaging

$(PACKAGING): $(STAMP) packaging/requirements.txt
	$(PY) -m pip install -q -r packaging/requirements.txt
	touch $(PACKAGING)

package: $(PACKAGING)
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/studio.spec $(if $(filter 1 yes true,$(DIFFUSION)),-- --diffusion)

# Builds the bundle (make package) and runs it headless from a copy outside the source tree.
package-test: $(PACKAGING)
	$(PY) packaging/smoke_test.py

clean:
	rm -rf $(VENV) out build dist .pytest_cache
