# The two commands a newcomer needs: `make serve` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# Build one territory alone, as a standalone site for its own domain: make html TERRITORY=loiret
TERRITORY ?=
export TERRITORY
export PYTHONPATH := $(CURDIR)/plugins:$(CURDIR)/functions
# The git repository the production editor saves to, owner/name (docs/editing.md): required by
# `make publish`; the deploy workflow passes its own repository.
EDITOR_REPO ?=
export EDITOR_REPO

.PHONY: venv venv-aws venv-dev html publish serve test lint browser clean outbox bench fault-bench \
        deploy deploy-stack deploy-waf codeowners preview admin editor report announce lock

# Every install comes from the lock files (exact versions and their hashes; `make lock`
# regenerates them): requirements/runtime.txt for building and serving, requirements/aws.txt
# adds boto3 for the AWS commands, requirements/dev.txt adds the test tools. Install output goes
# to stderr, so that `make -s admin ARGS=export > file.csv` writes only the data.
$(BIN)/python:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { \
	  echo "Le module venv de Python manque : installez-le (Debian, Ubuntu : apt-get install python3-venv), puis relancez make." >&2; \
	  exit 1; }
	@$(PYTHON) -m venv $(VENV) >&2

$(BIN)/.installed-%: requirements/%.txt | $(BIN)/python
	@echo "Installation des dépendances ($<)…" >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $< >&2
	@touch $@

venv: $(BIN)/.installed-runtime
venv-aws: $(BIN)/.installed-aws
venv-dev: $(BIN)/.installed-dev

# The lock files, from pyproject.toml (runtime, `aws` and `dev` extras) and
# functions/requirements.in (the Lambda package, for its Python 3.12 on arm64). Run it after
# changing a dependency, or to take newer versions, and commit the result (docs/benchmarks.md).
# The dev lock is resolved first and constrains the others: a package has the same version in
# all three, so installing the test tools over a serving install changes nothing it has.
UV_VERSION := 0.13.9
UV_COMPILE := $(BIN)/uv pip compile --quiet --generate-hashes --custom-compile-command "make lock"
lock: | $(BIN)/python
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" >&2
	$(UV_COMPILE) --universal --python-version 3.11 pyproject.toml --extra aws --extra dev \
	  -o requirements/dev.txt
	$(UV_COMPILE) --universal --python-version 3.11 pyproject.toml --extra aws \
	  -c requirements/dev.txt -o requirements/aws.txt
	$(UV_COMPILE) --universal --python-version 3.11 pyproject.toml \
	  -c requirements/dev.txt -o requirements/runtime.txt
	$(UV_COMPILE) --python-version 3.12 --python-platform aarch64-manylinux_2_28 \
	  functions/requirements.in -o functions/requirements.txt

# Pelican, unless nothing changed since the last build (checked before Pelican is imported).
html: venv
	$(BIN)/python -m territories.launch --settings pelicanconf.py
	@if [ -d admin/node_modules/decap-cms ]; then $(BIN)/python -m tools.decap_config --output output; fi

# Production ships the editor (installed from admin/package-lock.json when missing) for
# EDITOR_REPO, checked before the build: no placeholder repository, no local backend.
publish: venv
	@$(BIN)/python -m tools.decap_config --check --production
	@$(MAKE) --no-print-directory admin/node_modules/.package-lock.json
	$(BIN)/pelican --settings publishconf.py
	$(BIN)/python -m tools.decap_config --output output --production

serve: html
	@$(BIN)/python -m forms.local --root output --port $(PORT)

# Debian's Chromium, driven by Playwright in the browser tests (browser downloads are blocked).
# npm installs the content editor (Decap CMS) that a browser test drives.
browser:
	@command -v chromium >/dev/null && command -v npm >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium $$(command -v npm >/dev/null || echo nodejs npm) >/dev/null; }

# Edit a territory and see it: build it alone, serve it with the forms, rebuild and reload on
# every change (docs/operators.md): make preview TERRITORY=loiret [PORT=8001]
preview: venv
	@test -n "$(TERRITORY)" || { echo "Indiquez le territoire : make preview TERRITORY=<slug>" >&2; exit 2; }
	$(BIN)/python -m tools.preview $(TERRITORY) --port $(PORT)

# The stored submissions (docs/operators.md): make admin ARGS="list --territory loiret"
# Silent recipe: `make -s admin ARGS=export > file.csv` writes only the CSV.
ARGS ?= --help
admin: venv-aws
	@$(BIN)/python -m forms.admin $(ARGS)

# The content editor (Decap CMS) at /admin/ and /<slug>/admin/ (docs/editing.md); its npm
# packages are pinned in admin/. Once installed, `make html` adds it too (with Decap's local
# backend, for decap-server); `make publish` always installs and adds it, for production.
admin/node_modules/.package-lock.json: admin/package-lock.json
	npm ci --prefix admin --no-audit --no-fund

editor: html admin/node_modules/.package-lock.json
	$(BIN)/python -m tools.decap_config --output output

# New placements of the last build, e-mailed to the alerts' confirmed subscribers (each placement
# to each subscriber at most once); on AWS the deploy does it after the upload. Its links point at
# `make serve`'s address (PORT) unless SITE_URL says otherwise.
announce: venv
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python -m forms.announce --var var

# The e-mails `make serve` wrote, newest first (python -m forms.outbox --help for more).
outbox: venv
	@$(BIN)/python -m forms.outbox

# Build speed against stock Pelican and Hugo, rebuilds, page weight (docs/benchmarks.md).
bench: venv-dev
	@command -v hugo >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null; }
	$(BIN)/python bench/build_bench.py --sizes 100 1000 --runs 3
	$(BIN)/python bench/incremental_bench.py --size 100 --runs 3
	$(BIN)/python bench/incremental_bench.py --size 1000 --runs 3 --no-check
	$(BIN)/python -m territories.launch --settings pelicanconf.py
	$(BIN)/python bench/page_weight.py output
	$(BIN)/python bench/forms_bench.py

# The forms under faults: kill -9, a locked database, an unwritable outbox (docs/forms.md).
fault-bench: venv
	$(BIN)/python bench/fault_bench.py

# Screenshots (docs/screenshots/tmp/) and Lighthouse scores of each territory's main pages
# (docs/browser-checks.md); Lighthouse is installed on first use into .cache/lighthouse/.
report: html venv-dev browser
	$(BIN)/python -m tools.screenshots --out docs/screenshots/tmp
	$(BIN)/python -m tools.lighthouse_report

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint --regions eu-west-3 -- template.yaml
	$(BIN)/cfn-lint --regions us-east-1 -- waf.yaml

test: venv-dev browser lint
	$(BIN)/pytest

clean:
	rm -rf output .output-cache .cache/build var functions/forms/catalogue.json

# Production (docs/operators.md): build with publishconf.py, deploy the SAM stack (its functions
# carry the catalogue just built), upload output/ to the site bucket, invalidate CloudFront.
# `make deploy DRY_RUN=1` builds and prints the upload plan only: nothing changes on AWS.
# A standalone territory has its own stack: make deploy TERRITORY=loiret STACK=territoires-loiret
STACK          ?= territoires
AWS_REGION     ?= eu-west-3
SAM            ?= sam
DRY_RUN        ?=
SAM_PARAMETERS ?=

# Checked before anything runs: one territory's build would replace every site in the main stack.
ifneq ($(filter deploy deploy-stack,$(MAKECMDGOALS)),)
ifneq ($(and $(TERRITORY),$(filter territoires,$(STACK))),)
$(error TERRITORY=$(TERRITORY) : un site autonome se déploie sur sa propre pile (STACK=territoires-$(TERRITORY)), voir docs/operators.md)
endif
endif

deploy: publish venv-aws $(if $(DRY_RUN),,deploy-stack)
	$(BIN)/python -m tools.deploy --stack $(STACK) --region $(AWS_REGION) $(if $(DRY_RUN),--dry-run)

deploy-stack: publish
	$(SAM) build
	$(SAM) deploy --stack-name $(STACK) --region $(AWS_REGION) --capabilities CAPABILITY_IAM \
	  --resolve-s3 --no-confirm-changeset --no-fail-on-empty-changeset \
	  --parameter-overrides EditorRepo=$(EDITOR_REPO) $(if $(SITEURL),SiteUrl=$(SITEURL)) $(SAM_PARAMETERS)

# The CloudFront web ACL (rate limits per client IP) can only live in us-east-1 (docs/aws.md):
# its own stack; give its WebAclArn output to the main one (SAM_PARAMETERS="CloudFrontWebAclArn=…").
deploy-waf:
	$(SAM) deploy --template-file waf.yaml --stack-name $(STACK)-waf --region us-east-1 \
	  --no-confirm-changeset --no-fail-on-empty-changeset
	aws cloudformation describe-stacks --stack-name $(STACK)-waf --region us-east-1 \
	  --query "Stacks[0].Outputs[?OutputKey=='WebAclArn'].OutputValue" --output text

# .github/CODEOWNERS from the territories' `owners:` lists (commit the result).
codeowners: venv
	@$(BIN)/python -m tools.codeowners
