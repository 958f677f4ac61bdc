# The two commands a newcomer needs: `make demo` and `make test`. Both set up first.
.PHONY: setup demo test lint format bench soak clean

setup:
	scripts/setup.sh

demo: setup
	scripts/with-display.sh scripts/demo.sh

test:
	scripts/test.sh

lint: setup
	scripts/lint.sh

format: setup
	.venv/bin/ruff format python examples bench && .venv/bin/ruff check --fix python examples bench && npm run format

bench: setup
	scripts/with-display.sh .venv/bin/python bench/run.py

# Not part of `make test`: a few minutes of viewers and launcher cycles against a real server.
soak: setup
	scripts/with-display.sh .venv/bin/python bench/soak.py

clean:
	rm -rf .setup-stamps lib python/jupyterlab_pvw/labextension tsconfig.tsbuildinfo artifacts
